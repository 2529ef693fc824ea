"""A remote SPARQL 1.1 store (Fuseki, Oxigraph server, GraphDB, ...) behind the same interface as the embedded one.

Queries go through SPARQLWrapper, updates through the SPARQL 1.1 Update protocol, loads through the
Graph Store Protocol one named graph at a time in bounded chunks (never a whole file in memory).
Unless the server is declared to use the union of its named graphs as the default graph, every query
names its dataset explicitly (default-graph-uri and named-graph-uri for every graph), so that no
answer silently misses a source graph whatever the server's setting.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import secrets
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox

from cxgraph.errors import CxGraphError
from cxgraph.progress import Tick, silent
from cxgraph.project import LOCK_HOLDER, LOCK_TOKEN, REMOTE_LOCK, REMOTE_STAGING
from cxgraph.stores.binding import bind_values, strip_prologue
from cxgraph.stores.embedded import DUMP_FORMATS, EmbeddedStore, Term, Workspace
from cxgraph.stores.generations import BuildLock
from cxgraph.vocab import XSD_STRING

T = TypeVar("T")


class PublishUncertain(CxGraphError):
    """The swap request was sent but its outcome is unknown (timed out or the connection dropped)."""


CHUNK_TRIPLES = 20_000


def inline_limit() -> int:
    """Builds up to this many quads are published inline, in the swap request itself (no staging graph)."""
    return int(os.environ.get("CXGRAPH_INLINE_PUBLISH_QUADS", "300000"))


def _inline_publish(private: EmbeddedStore, replaced: list[str], dropped: list[str], appended: list[str]) -> list[str]:
    """The operations of one request that replaces the graphs with their data written inline.

    Nothing is uploaded before: no staging graph exists for a reader to see, even on a server whose
    default graph is the union of its named graphs; blank nodes stay one node (one INSERT DATA).
    """
    operations = [f"DROP SILENT GRAPH <{g}>" for g in [*replaced, *dropped]]
    blocks = []
    for graph in [*replaced, *appended]:
        lines = [f"{q.subject} {q.predicate} {q.object} ." for q in
                 private.raw.quads_for_pattern(None, None, None, ox.NamedNode(graph))]
        if lines:
            blocks.append(f"GRAPH <{graph}> {{\n" + "\n".join(lines) + "\n}")
    if blocks:
        operations.append("INSERT DATA {\n" + "\n".join(blocks) + "\n}")
    return operations


def _literal(text: str) -> str:
    return str(ox.Literal(text))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Endpoint:
    """Where the store is and how to reach it."""

    query: str
    update: str
    gsp: str
    user: str | None = None
    password: str | None = None
    union_default_graph: bool = False
    timeout: float = 120.0

    @classmethod
    def from_options(
        cls, query: str, update: str | None = None, gsp: str | None = None, user: str | None = None,
        password: str | None = None, union_default_graph: bool | None = None, timeout: float | None = None,
    ) -> Endpoint:
        """Fill what is not given from CXGRAPH_* variables, then from the server's usual URL layout.

        `.../query` (Oxigraph) gives `.../update` and `.../store`; `.../sparql` (Fuseki) gives
        `.../update` and `.../data`.
        """
        env = os.environ
        base, _, last = query.rstrip("/").rpartition("/")
        guess_update = f"{base}/update" if last in ("query", "sparql") else query
        guess_gsp = f"{base}/{'data' if last == 'sparql' else 'store'}" if last in ("query", "sparql") else query
        union = union_default_graph
        if union is None:
            union = env.get("CXGRAPH_UNION_DEFAULT_GRAPH", "").lower() in ("1", "true", "yes")
        if not query.startswith(("http://", "https://")):
            raise CxGraphError(f"--endpoint must be an http(s) URL, not {query!r}")
        return cls(
            query=query,
            update=update or env.get("CXGRAPH_UPDATE_ENDPOINT") or guess_update,
            gsp=gsp or env.get("CXGRAPH_GSP_ENDPOINT") or guess_gsp,
            user=user or env.get("CXGRAPH_ENDPOINT_USER"),
            password=password or env.get("CXGRAPH_ENDPOINT_PASSWORD"),
            union_default_graph=union,
            timeout=timeout or float(env.get("CXGRAPH_ENDPOINT_TIMEOUT", "120")),
        )


class _Row(dict):
    """One solution: variable name -> term (missing names give None, as pyoxigraph's do)."""

    def __missing__(self, key: str) -> None:
        return None


class RemoteSolutions:
    """SELECT results with the shape the engine reads from pyoxigraph: `.variables` and rows by name."""

    def __init__(self, variables: list[str], rows: list[_Row]) -> None:
        self.variables = [ox.Variable(v) for v in variables]
        self._rows = rows

    def __iter__(self) -> Iterator[_Row]:
        return iter(self._rows)


def term_from_json(binding: dict[str, str]) -> Term:
    """A term of the SPARQL 1.1 Query Results JSON Format as a pyoxigraph term."""
    kind = binding["type"]
    if kind == "uri":
        return ox.NamedNode(binding["value"])
    if kind == "bnode":
        return ox.BlankNode(binding["value"])
    if "xml:lang" in binding:
        return ox.Literal(binding["value"], language=binding["xml:lang"])
    datatype = binding.get("datatype")
    if datatype and datatype != XSD_STRING:
        return ox.Literal(binding["value"], datatype=ox.NamedNode(datatype))
    return ox.Literal(binding["value"])


class RemoteStore:
    """A SPARQL 1.1 Query/Update/Graph Store Protocol service."""

    def __init__(self, endpoint: Endpoint, tick: Tick = silent) -> None:
        self.endpoint = endpoint
        self._graphs: list[str] | None = None
        self.tick = tick  # hears the quads a publish uploads

    # -- HTTP -------------------------------------------------------------------------------------
    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"User-Agent": "cxgraph"}
        if self.endpoint.user is not None:
            token = base64.b64encode(f"{self.endpoint.user}:{self.endpoint.password or ''}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        return {**headers, **(extra or {})}

    def _request(self, method: str, url: str, body: bytes | None = None, content_type: str | None = None,
                 accept: str | None = None, what: str = "request") -> bytes:
        headers = self._headers({k: v for k, v in (("Content-Type", content_type), ("Accept", accept)) if v})
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.endpoint.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", errors="replace").strip().splitlines()
            raise _http_error(exc.code, url, what, detail[0] if detail else exc.reason) from None
        except TimeoutError:
            raise CxGraphError(f"{what} timed out after {self.endpoint.timeout:.0f} s at {url}") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise CxGraphError(f"{what} timed out after {self.endpoint.timeout:.0f} s at {url}") from None
            raise CxGraphError(f"cannot reach the endpoint {url} ({reason}); is the server running?") from None

    def _gsp_url(self, graph: str) -> str:
        return f"{self.endpoint.gsp}?{urllib.parse.urlencode({'graph': graph})}"

    # -- GraphStore interface ---------------------------------------------------------------------
    def remembered(self, name: str, compute: Callable[[], T]) -> T:
        """Computed each time: another client can change the endpoint's data at any moment."""
        del name
        return compute()

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None, *, dataset: bool = True) -> Any:
        """Run a query through SPARQLWrapper; parameters travel as a VALUES block of RDF terms."""
        from SPARQLWrapper import JSON, POST, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        # Whole-line comments (the query headers) go: SPARQLWrapper guesses the query form from keywords
        # and took words in a header for an ADD update.
        body = "\n".join(line for line in sparql.splitlines() if not line.lstrip().startswith("#"))
        text = bind_values(body, bindings) if bindings else body
        client = SPARQLWrapper(self.endpoint.query, agent="cxgraph")
        client.setMethod(POST)
        client.setReturnFormat(JSON)
        client.setTimeout(int(self.endpoint.timeout))
        client.setQuery(text)
        form = re.search(r"(?i)\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", strip_prologue(text))
        if form:
            client.queryType = form.group(1).upper()
        if self.endpoint.user is not None:
            client.setCredentials(self.endpoint.user, self.endpoint.password or "")
        if dataset and not self.endpoint.union_default_graph:
            for graph in self.named_graphs():
                client.addDefaultGraph(graph)
                client.addParameter("named-graph-uri", graph)
        try:
            doc = client.query().convert()
        except urllib.error.HTTPError as exc:
            raise _http_error(exc.code, self.endpoint.query, "query", exc.reason) from None
        except SPARQLWrapperException as exc:
            code = {"EndPointNotFound": 404, "Unauthorized": 401, "QueryBadFormed": 400,
                    "EndPointInternalError": 500, "URITooLong": 414}.get(type(exc).__name__, 0)
            message = str(exc).strip().splitlines()
            raise _http_error(code, self.endpoint.query, "query", message[0] if message else type(exc).__name__) \
                from None
        except TimeoutError:
            raise CxGraphError(f"query timed out after {self.endpoint.timeout:.0f} s at {self.endpoint.query}") \
                from None
        except urllib.error.URLError as exc:
            raise CxGraphError(f"cannot reach the endpoint {self.endpoint.query} ({exc.reason}); "
                               "is the server running?") from None
        if not isinstance(doc, dict):
            raise CxGraphError(f"the endpoint {self.endpoint.query} did not answer with SPARQL results JSON")
        if "boolean" in doc:
            return bool(doc["boolean"])
        variables = doc.get("head", {}).get("vars", [])
        rows = [_Row({k: term_from_json(v) for k, v in b.items()}) for b in doc.get("results", {}).get("bindings", [])]
        return RemoteSolutions(variables, rows)

    def update(self, sparql: str) -> None:
        self._request("POST", self.endpoint.update, sparql.encode("utf-8"), "application/sparql-update",
                      what="update")
        self._graphs = None

    def all_graphs(self) -> list[str]:
        """Every named graph on the server, a build's staging graphs included."""
        if self._graphs is None:
            result = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", dataset=False)
            self._graphs = sorted(row["g"].value for row in result if isinstance(row["g"], ox.NamedNode))
        return list(self._graphs)

    def named_graphs(self) -> list[str]:
        """The named graphs readers should see: never a build's staging graphs."""
        return [g for g in self.all_graphs() if not g.startswith(REMOTE_STAGING)]

    def count(self, graph: str) -> int:
        rows = list(self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", dataset=False))
        return int(rows[0]["n"].value)

    def default_graph_count(self) -> int | None:
        """Triples in the server's real default graph, or None when it is declared to be the union."""
        if self.endpoint.union_default_graph:
            return None
        rows = list(self.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", dataset=False))
        return int(rows[0]["n"].value)

    def drop_graph(self, graph: str) -> None:
        self.update(f"DROP SILENT GRAPH <{graph}>")

    def replace_graph(self, staging: str, target: str) -> None:
        """One update request, one transaction on Fuseki and Oxigraph: the target never half-exists."""
        if staging == target:
            return
        self.update(f"DROP SILENT GRAPH <{target}> ; MOVE SILENT GRAPH <{staging}> TO GRAPH <{target}>")

    def scratch_graph(self, staging: str, target: str) -> str:
        """Others read a remote store: new content is written beside `target`, then swapped in."""
        self.drop_graph(staging)
        return staging

    def post_triples(self, graph: str, ntriples: bytes) -> None:
        """Append N-Triples to a named graph with a Graph Store Protocol POST."""
        self._request("POST", self._gsp_url(graph), ntriples, "application/n-triples", what=f"upload to <{graph}>")
        self._graphs = None

    def load_graph(self, path: Path, graph: str | None = None) -> None:
        """Stream an RDF file to the store, graph by graph, in chunks of at most CHUNK_TRIPLES triples."""
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".")) or ox.RdfFormat.N_QUADS
        self.add_quads(ox.parse(path=str(path), format=fmt), default_graph=graph)

    def add_quads(self, quads: Iterable[ox.Quad], default_graph: str | None = None) -> None:
        buffers: dict[str, list[str]] = {}
        for quad in quads:
            name = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else default_graph
            if name is None:
                raise CxGraphError("refusing to write into the default graph of a remote store; name a graph")
            lines = buffers.setdefault(name, [])
            lines.append(f"{quad.subject} {quad.predicate} {quad.object} .\n")
            if len(lines) >= CHUNK_TRIPLES:
                self.post_triples(name, "".join(lines).encode("utf-8"))
                lines.clear()
        for name, lines in buffers.items():
            if lines:
                self.post_triples(name, "".join(lines).encode("utf-8"))

    def export_graph(self, graph: str) -> bytes:
        return self._request("GET", self._gsp_url(graph), accept="application/n-triples", what=f"download <{graph}>")

    def dump(self, path: Path, fmt: str) -> None:
        """Every named graph, fetched one at a time with the Graph Store Protocol, as N-Quads or TriG."""
        if fmt not in DUMP_FORMATS:
            raise CxGraphError(f"unknown export format {fmt!r}; use {' or '.join(DUMP_FORMATS)}")
        path.parent.mkdir(parents=True, exist_ok=True)
        store = ox.Store()
        for graph in self.named_graphs():
            store.load(self.export_graph(graph), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
        store.dump(output=str(path), format=DUMP_FORMATS[fmt])

    def finish_load(self) -> None:
        """Nothing to compact from here (Fuseki's TDB2 compaction is an admin operation)."""

    # -- writing --------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def workspace(self, lock: Path, fresh_if_damaged: bool = False,
                  keeping: Iterable[str] | None = None) -> Iterator[Workspace]:
        """A private in-memory store to build in, published by one SPARQL Update that swaps every graph.

        The workspace starts empty (`keeping` is for a store that would otherwise start as a copy); `fetch`
        downloads the graphs the build reads but does not replace (for `--only`). Publishing is one update
        request, one transaction on Fuseki and Oxigraph, that replaces every graph the build touches, adds
        the new provenance and drops what the build drops:
        up to `inline_limit()` quads the data is written in that request; above it each graph is first
        uploaded into a staging graph (Graph Store Protocol, bounded chunks) that the request moves into
        place. A build that fails before that request leaves the store as it was (its staging graphs are
        removed, or by the next build if it was killed).
        """
        build_lock = BuildLock(lock)
        build_lock.acquire()
        nonce = secrets.token_hex(8)
        staged: list[str] = []
        notices: list[str] = []
        held = False
        try:
            self._lock_remote(nonce, notices)
            held = True
            present = self.all_graphs()
            leftovers = [g for g in present if g.startswith(REMOTE_STAGING) and g != REMOTE_LOCK]
            for graph in leftovers:
                self.drop_graph(graph)
            if leftovers:
                notices.append(f"removed {len(leftovers)} staging graph(s) a killed build left on the remote store")
            private = EmbeddedStore()

            def fetch(graphs: list[str]) -> None:
                for graph in graphs:
                    if graph not in private.named_graphs():
                        private.raw.load(self.export_graph(graph), format=ox.RdfFormat.N_TRIPLES,
                                         to_graph=ox.NamedNode(graph))

            def publish(replaced: list[str], dropped: list[str], appended: list[str]) -> None:
                size = sum(private.count(g) for g in [*replaced, *appended])
                if size <= inline_limit():
                    operations = _inline_publish(private, replaced, dropped, appended)
                else:
                    operations = self._staged_publish(private, replaced, dropped, appended, nonce, staged, size)
                try:
                    self.update(" ;\n".join(op for op in operations if op))
                    self.tick("upload", size, size, "quads")
                except CxGraphError as exc:
                    if "timed out" not in str(exc) and "cannot reach" not in str(exc):
                        raise  # the server refused the request: it applied nothing
                    raise PublishUncertain(f"{exc}\nThe request that swaps every graph in was sent but not "
                                           "answered: the server may have applied it whole or not at all; check "
                                           "with `cxgraph stats`.") from None
                staged.clear()

            ws = Workspace(private, publish, fetch, notices)
            ws.target_graphs = [g for g in present if g not in leftovers and g != REMOTE_LOCK]
            yield ws
        finally:
            for graph in staged:
                with contextlib.suppress(CxGraphError):
                    self.drop_graph(graph)
            if held:
                with contextlib.suppress(CxGraphError):
                    self.update(f"DELETE WHERE {{ GRAPH <{REMOTE_LOCK}> {{ <{REMOTE_LOCK}> <{LOCK_TOKEN}> "
                                f"{_literal(nonce)} ; ?p ?o }} }}")
            build_lock.release()

    def _staged_publish(self, private: EmbeddedStore, replaced: list[str], dropped: list[str], appended: list[str],
                        nonce: str, staged: list[str], size: int = 0) -> list[str]:
        """Upload each graph into a staging graph (GSP, bounded chunks); the operations that swap them in."""
        operations = []
        done = 0
        for graph in [*replaced, *appended]:
            self.tick("upload", done, size, "quads")
            done += private.count(graph)
            staging = f"{REMOTE_STAGING}{nonce}/{len(staged)}"
            quads = private.raw.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            staged.append(staging)
            self.add_quads(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(staging)) for q in quads)
            has_data = self.count(staging) > 0
            if graph in appended:
                operations.append(f"ADD SILENT GRAPH <{staging}> TO GRAPH <{graph}>" if has_data else "")
            elif has_data:
                operations.append(f"MOVE GRAPH <{staging}> TO GRAPH <{graph}>")
            else:
                operations.append(f"DROP SILENT GRAPH <{graph}>")
        operations += [f"DROP SILENT GRAPH <{g}>" for g in dropped]
        operations += [f"DROP SILENT GRAPH <{g}>" for g in staged]
        return operations

    def _lock_remote(self, token: str, notices: list[str]) -> None:
        """Hold the store's build lock: a graph that one conditional SPARQL Update creates only if absent.

        Builds from other machines (which the local lock file cannot see) are told who holds it; a lock
        left by a build of this machine whose process is gone is broken and said so.
        """
        holder = f"{socket.gethostname()} pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%S%z')}"
        for _attempt in range(2):
            self.update(f"INSERT {{ GRAPH <{REMOTE_LOCK}> {{ <{REMOTE_LOCK}> <{LOCK_TOKEN}> {_literal(token)} ; "
                        f"<{LOCK_HOLDER}> {_literal(holder)} }} }} WHERE {{ FILTER NOT EXISTS {{ "
                        f"GRAPH <{REMOTE_LOCK}> {{ ?s ?p ?o }} }} }}")
            rows = list(self.query(f"SELECT ?token ?holder WHERE {{ GRAPH <{REMOTE_LOCK}> {{ ?l <{LOCK_TOKEN}> ?token "
                                   f"OPTIONAL {{ ?l <{LOCK_HOLDER}> ?holder }} }} }}", dataset=False))
            tokens = {r["token"].value for r in rows if r["token"] is not None}
            if tokens == {token}:
                return
            other = next((r["holder"].value for r in rows if r["holder"] is not None), "unknown")
            match = re.fullmatch(r"(\S+) pid (\d+) since .*", other)
            if match and match.group(1) == socket.gethostname() and not _alive(int(match.group(2))):
                self.update(f"DROP SILENT GRAPH <{REMOTE_LOCK}>")
                notices.append(f"removed the build lock of a build that is gone ({other})")
                continue
            raise CxGraphError(f"another build is running on this store ({other}); if it is gone, remove its "
                               f"lock with the SPARQL update DROP GRAPH <{REMOTE_LOCK}>")
        raise CxGraphError("could not take the store's build lock")


def _http_error(code: int, url: str, what: str, detail: object) -> CxGraphError:
    meaning = {400: "the server rejected the request", 401: "authentication required or wrong credentials",
               403: "forbidden (is the server read-only, or the user not allowed to write?)",
               404: "not found (check the endpoint URL)", 413: "request too large",
               500: "the server failed", 503: "the server is unavailable"}.get(code, "failed")
    status = f"HTTP {code}: " if code else ""
    return CxGraphError(f"{what} at {url} failed: {status}{meaning} ({str(detail)[:300]})")
