"""`cxgraph serve`: a SPARQL 1.1 Protocol endpoint over the embedded store, bounded and contained.

Queries run in worker processes (query_pool.py) that are killed at the time limit and capped in
memory, so an aggregate or a sort over a cartesian product ends on time and a cut-off answer is an
error status (503 time limit, 507 memory or size), never a truncated 200. The endpoint makes no
outbound request: a query with `SERVICE` is refused (403) unless `--allow-service`. It answers only
requests whose `Host` is one of its own names (DNS rebinding from a browser on this machine gets 400).
Every answer comes from the live generation, picked up when a build publishes a new one.

Writes (`--writable`): SPARQL Update and Graph Store Protocol writes each run in a workspace of the
store that is published whole, as a build is.
"""

from __future__ import annotations

import contextlib
import json
import pickle
import re
import subprocess
import sys
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request as HttpRequest
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from cxgraph.errors import CxGraphError, StoreDamaged
from cxgraph.stores.query_pool import QueryError, QueryPool, Request

RESULTS_TYPES = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                 "text/tab-separated-values", "application/json", "application/xml"]
GRAPH_TYPES = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml",
               "application/n-quads", "application/trig", "text/n3"]
_ALIASES = {"application/json": "application/sparql-results+json", "application/xml": "application/sparql-results+xml"}
_STRING = (r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
           r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')
# Tokens that can hide a keyword: strings, IRIs, comments (to the end of a line, \n or \r), variables and
# blank node labels (no dots), prefixed names (which may hold dots, but not end with one); then plain words.
_TOKENS = re.compile(rf'(?P<string>{_STRING})|(?P<iri><[^<>"{{}}|^`\\\x00-\x20]*>)|(?P<comment>#[^\r\n]*)'
                     r"|(?P<var>[?$][\w\u00b7]+)|(?P<bnode>_:(?:[\w-]|\.(?=[\w-]))*)"
                     r"|(?P<name>(?:[A-Za-z_][\w-]*(?:\.[\w-]+)*)?:(?:[\w%:-]|\\.|\.(?=[\w%:-]))*)"
                     r"|(?P<word>[A-Za-z_]\w*)")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def uses_keyword(sparql: str, keyword: str) -> bool:
    """Whether `keyword` occurs as a SPARQL keyword (not in a string, IRI, comment, name or variable).

    Codepoint escapes (\\u0053) are decoded first, as the SPARQL grammar says they may appear anywhere.
    """
    def decode(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else "\ufffd"

    text = _ESCAPE.sub(decode, sparql)
    return any(m.group("word") and m.group("word").upper() == keyword for m in _TOKENS.finditer(text))


def _accepted(header: str, offered: list[str]) -> str | None:
    """The offered media type the Accept header prefers (by q-value, then order), or None."""
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        quality = 1.0
        for param in pieces[1:]:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            choices.append((-quality, index, media))
    for _q, _i, media in sorted(choices):
        if media in offered:
            return _ALIASES.get(media, media)
        if media in ("*/*", "application/*", "text/*"):
            prefix = media.split("/")[0]
            for candidate in offered:
                if media == "*/*" or candidate.startswith(prefix + "/"):
                    return _ALIASES.get(candidate, candidate)
    return None


def problem(status: int, title: str, detail: str) -> Response:
    """An RFC 9457 problem document."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return Response(json.dumps(body, ensure_ascii=False), status_code=status, media_type="application/problem+json")


@dataclass
class EndpointConfig:
    store: Path
    project_lock: Path
    timeout: float = 30.0
    workers: int = 2
    memory_mb: int = 2048
    max_answer_mb: int = 256
    writable: bool = False
    allow_service: bool = False
    hosts: list[str] = field(default_factory=list)


def _params(request: HttpRequest, body: bytes) -> dict[str, list[str]]:
    params = urllib.parse.parse_qs(request.url.query, keep_blank_values=True)
    if request.method == "POST" and request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"):
        for key, values in urllib.parse.parse_qs(body.decode("utf-8", errors="replace"),
                                                 keep_blank_values=True).items():
            params.setdefault(key, []).extend(values)
    return params


def query_runner(config: EndpointConfig, pool: QueryPool) -> Callable[..., Awaitable[Response]]:
    """Run one SPARQL query in the pool, the answer in the format the Accept header asks for."""

    async def run_query(sparql: str, accept: str, defaults: list[str] | None, named: list[str] | None) -> Response:
        if not config.allow_service and uses_keyword(sparql, "SERVICE"):
            return problem(403, "SERVICE is not allowed",
                           "this endpoint makes no outbound requests (start it with --allow-service to allow)")
        results = _accepted(accept, RESULTS_TYPES)
        graphs = _accepted(accept, GRAPH_TYPES)
        if accept.strip() and results is None and graphs is None:
            return problem(406, "Not acceptable", f"no answer format matches Accept: {accept[:200]}; offered: "
                                                  f"{', '.join(RESULTS_TYPES + GRAPH_TYPES)}")
        results = results or RESULTS_TYPES[0]
        graphs = graphs or "application/n-triples"
        job = Request(sparql, results_format=results, graph_format=graphs, default_graphs=defaults,
                      named_graphs=named)
        try:
            answer = await anyio.to_thread.run_sync(pool.run, job)
        except QueryError as exc:
            titles = {400: "Bad query", 503: "Query stopped at the time limit",
                      507: "Query stopped at the memory or answer size limit"}
            return problem(exc.status, titles.get(exc.status, "Query failed"), str(exc))
        except StoreDamaged as exc:
            return problem(503, "Store damaged", str(exc))
        except CxGraphError as exc:
            return problem(500, "Query failed", str(exc))
        media = answer.media_type
        if media.startswith("text/") or media.endswith(("+json", "+xml", "/json", "/xml", "n-triples", "n-quads",
                                                        "turtle", "trig")):
            media += "; charset=utf-8"
        return Response(answer.body, media_type=media, headers={"Vary": "Accept"})

    return run_query


def sparql_handler(config: EndpointConfig, pool: QueryPool) -> Callable[[HttpRequest], Awaitable[Response]]:
    """The SPARQL 1.1 Protocol query operation (GET ?query=, a form, or an application/sparql-query body)."""
    run_query = query_runner(config, pool)

    async def query(request: HttpRequest) -> Response:
        body = await request.body()
        params = _params(request, body)
        content_type = request.headers.get("content-type", "")
        if request.method == "POST" and content_type.startswith("application/sparql-query"):
            sparql = body.decode("utf-8", errors="replace")
        elif params.get("query"):
            sparql = params["query"][0]
        else:
            return problem(400, "No query", "give the query as ?query=, a form field or an "
                                           "application/sparql-query body")
        if len(params.get("query", [])) > 1:
            return problem(400, "Several queries", "give exactly one query parameter")
        defaults = params.get("default-graph-uri")
        named = params.get("named-graph-uri")
        return await run_query(sparql, request.headers.get("accept", ""), defaults, named)

    return query


def create_app(config: EndpointConfig, pool: QueryPool | None = None) -> Starlette:
    """The ASGI application (run by uvicorn in `cxgraph serve`)."""
    pool = pool or QueryPool(config.store, size=config.workers, timeout=config.timeout, memory_mb=config.memory_mb,
                             max_answer_mb=config.max_answer_mb)

    run_query = query_runner(config, pool)
    query = sparql_handler(config, pool)

    async def update(request: HttpRequest) -> Response:
        if not config.writable:
            return problem(403, "Read-only endpoint", "start `cxgraph serve --writable` to accept updates")
        body = await request.body()
        params = _params(request, body)
        if request.headers.get("content-type", "").startswith("application/sparql-update"):
            text = body.decode("utf-8", errors="replace")
        elif params.get("update"):
            text = params["update"][0]
        else:
            return problem(400, "No update", "give the update as a form field or an application/sparql-update body")
        if not config.allow_service and (uses_keyword(text, "SERVICE") or uses_keyword(text, "LOAD")):
            return problem(403, "SERVICE and LOAD are not allowed",
                           "this endpoint makes no outbound requests (start it with --allow-service to allow)")
        return await anyio.to_thread.run_sync(write_bounded, config, {"kind": "update", "text": text})

    async def store(request: HttpRequest) -> Response:
        params = _params(request, b"")
        graph = params.get("graph", [None])[0]
        if graph is None and "default" not in params:
            return problem(400, "No graph", "name the graph: ?graph=IRI (or ?default)")
        try:
            target = _iri(graph) if graph is not None else None
        except CxGraphError as exc:
            return problem(400, "Not an IRI", str(exc))
        if request.method in ("GET", "HEAD"):
            pattern = f"GRAPH <{target}> {{ ?s ?p ?o }}" if target else "?s ?p ?o"
            sparql = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}"
            defaults: list[str] | None = None if graph else []
            return await run_query(sparql, request.headers.get("accept", "") or "application/n-triples",
                                   defaults, None)
        if not config.writable:
            return problem(403, "Read-only endpoint", "start `cxgraph serve --writable` to accept writes")
        if target is None:
            return problem(400, "Named graphs only", "cxgraph keeps everything in named graphs; give ?graph=IRI")
        body = await request.body()
        content_type = request.headers.get("content-type", "application/n-triples").split(";")[0].strip()

        job = {"kind": "graph", "method": request.method, "graph": target, "body": body, "content_type": content_type}
        return await anyio.to_thread.run_sync(write_bounded, config, job)

    async def root(_request: HttpRequest) -> Response:
        mode = "read-write" if config.writable else "read-only"
        return PlainTextResponse(f"cxgraph SPARQL endpoint ({mode}): /query (SPARQL 1.1 Query), /update, "
                                 "/store (Graph Store Protocol). The default graph is the union of all named graphs.\n")

    routes = [
        Route("/", root, methods=["GET"]),
        Route("/query", query, methods=["GET", "POST"]),
        Route("/sparql", query, methods=["GET", "POST"]),
        Route("/update", update, methods=["POST"]),
        Route("/store", store, methods=["GET", "HEAD", "PUT", "POST", "DELETE"]),
    ]
    hosts = _allowed_hosts(config.hosts)
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            pool.close()

    app = Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)],
                    lifespan=lifespan)
    app.state.pool = pool
    return app


def _iri(text: str | None) -> str:
    import pyoxigraph as ox

    try:
        return ox.NamedNode(text or "").value
    except ValueError:
        raise CxGraphError(f"not an IRI: {text!r}") from None


def apply_write(store_path: Path, lock: Path, job: dict[str, Any]) -> tuple[int, str, str]:
    """Apply one write to a workspace of the store and publish it: (status, title, detail); 204 is done.

    Runs in a write worker process (write_bounded), which is killed at the time limit: a killed write
    leaves a partial generation that the next writer removes, and the store as it was.
    """
    import pyoxigraph as ox

    from cxgraph.stores.embedded import EmbeddedStore

    try:
        target = EmbeddedStore(store_path)
        with target.workspace(lock) as ws:
            if job["kind"] == "update":
                ws.store.update(job["text"])
                replaced: list[str] = []
            else:
                graph = job["graph"]
                if job["method"] in ("PUT", "DELETE"):
                    ws.store.drop_graph(graph)
                if job["method"] in ("PUT", "POST"):
                    fmt = ox.RdfFormat.from_media_type(job["content_type"])
                    if fmt is None:
                        raise CxGraphError(f"unsupported content type {job['content_type']}")
                    ws.store.raw.load(job["body"], format=fmt, to_graph=ox.NamedNode(graph))
                replaced = [graph]
            ws.publish(replaced)
    except SyntaxError as exc:
        return 400, "Bad update", str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
    except StoreDamaged as exc:
        return 503, "Store damaged", str(exc)
    except CxGraphError as exc:
        return (409 if "another build" in str(exc) else 400), "Write refused", str(exc)
    except (OSError, ValueError, RuntimeError) as exc:
        return 400, "Write refused", str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return 204, "", ""


def write_bounded(config: EndpointConfig, job: dict[str, Any]) -> Response:
    """Run one write in a worker process, killed at the time limit (503: nothing changed)."""
    command = [sys.executable, "-m", "cxgraph.faces.write_worker", str(config.store), str(config.project_lock),
               str(config.memory_mb)]
    try:
        proc = subprocess.run(command, input=pickle.dumps(job), capture_output=True, timeout=config.timeout)
    except subprocess.TimeoutExpired:
        return problem(503, "Write stopped at the time limit",
                       f"the write was stopped after {config.timeout:g} s; nothing was changed")
    try:
        status, title, detail = pickle.loads(proc.stdout)
    except Exception:  # the worker died (memory limit) before answering
        return problem(507, "Write stopped", "the write worker ended before it finished (memory limit?); nothing "
                                             "was changed")
    return Response(status_code=204) if status == 204 else problem(status, title, detail)


def _allowed_hosts(extra: Iterable[str]) -> list[str]:
    """The Host names this endpoint answers to: loopback names, the bound address, and --allow-host ones."""
    hosts = {"localhost", "127.0.0.1", "::1", "[::1]"}
    for host in extra:
        if host in ("0.0.0.0", "::", "*"):
            continue
        hosts.add(host)
        if ":" in host and not host.startswith("["):
            hosts.add(f"[{host}]")
    return sorted(hosts)
