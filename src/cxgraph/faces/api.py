"""`cxgraph api`: the graph over HTTP for assistants, agents and applications (FastAPI).

Context packs (`/customers|cases|orders/{id}/context`), the named queries with typed parameters
(`/queries/{name}`), read-only time-limited SPARQL (`/sparql`), kept recommendations, the latest validation
report and `/health`, described by an OpenAPI schema (`/openapi.json`, `/docs`). Read-only. Errors are RFC 9457
problem documents. With auth on (`--auth KEYS`, required off loopback), every request but /health carries an
API key (`Authorization: Bearer KEY` or `X-API-Key: KEY`) tied to a role scope, and every answer is cut to
that scope. Keys are kept as SHA-256 digests (`cxgraph api-key` makes one).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import inspect
import json
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import yaml
from fastapi import FastAPI, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from cxgraph.answer.context import build_pack, load_scopes, parse_limits
from cxgraph.answer.queries import NamedQuery, catalog, run
from cxgraph.answer.render import to_json
from cxgraph.build.inputs import stale
from cxgraph.errors import CxGraphError, StoreDamaged
from cxgraph.faces.sparql_endpoint import EndpointConfig, problem, sparql_handler
from cxgraph.project import Project, WorkFolder
from cxgraph.stores.embedded import EmbeddedStore, damage
from cxgraph.stores.query_pool import QueryPool
from cxgraph.stores.remote import Endpoint, RemoteStore
from cxgraph.vocab import PREFIXES

LOOPBACK = ("127.0.0.1", "localhost", "::1")
STATIC = Path(__file__).resolve().parent / "static"
JSON_LD = "application/ld+json"
SPARQL_JSON = "application/sparql-results+json"
PY_TYPES: dict[str, Any] = {"iri": str, "string": str, "integer": int, "decimal": float, "date": dt.date,
                            "dateTime": str, "boolean": bool}


ScopeQ = Annotated[str | None, Query(description="The caller's role scope (context/scopes.yaml); with auth on, the "
                                                 "key's scope.")]
LimitQ = Annotated[list[str] | None, Query(description="SECTION=N: keep the N most recent items of a section.")]
AboutQ = Annotated[str, Query(description="The case, order, campaign or signal the recommendations were made for "
                                          "(IRI or id:...).")]


@dataclass
class ApiConfig:
    project: Project
    store: Path | None = None  # the embedded store, or
    endpoint: Endpoint | None = None  # a remote one
    timeout: float = 30.0
    workers: int = 2
    memory_mb: int = 2048
    keys: dict[str, tuple[str, str]] | None = None  # sha256 digest -> (name, scope); None: auth off
    hosts: list[str] = field(default_factory=list)
    actions: bool = False  # accept POST /actions (proposals recorded in the actions graph)
    lock: Path | None = None  # the build lock a proposal is written under


# --- keys ---------------------------------------------------------------------------------------------------

def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def read_keys(path: Path, project: Project) -> dict[str, tuple[str, str]]:
    """The keys file: `keys: {NAME: {scope: SCOPE, sha256: DIGEST}}`; every scope must exist."""
    if not path.is_file():
        raise CxGraphError("no such keys file (make one with `cxgraph api-key NAME --scope SCOPE --file ...`)", path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise CxGraphError(f"not valid YAML: {exc}", path) from None
    _default, scopes = load_scopes(project)
    keys = {}
    for name, entry in (doc.get("keys") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str) or len(entry["sha256"]) != 64:
            raise CxGraphError(f"key {name!r} needs `sha256:` (64 hex digits) and `scope:`", path)
        if entry.get("scope") not in scopes:
            raise CxGraphError(f"key {name!r}: unknown scope {entry.get('scope')!r} ({', '.join(sorted(scopes))})",
                               path)
        keys[entry["sha256"].lower()] = (str(name), str(entry["scope"]))
    if not keys:
        raise CxGraphError("the keys file holds no key", path)
    return keys


def add_key(path: Path, name: str, scope: str, project: Project) -> str:
    """A new random key for `scope`, its digest added to the keys file (created if missing); the key itself is
    returned once and kept nowhere."""
    _default, scopes = load_scopes(project)
    if scope not in scopes:
        raise CxGraphError(f"unknown scope {scope!r}; the scopes are {', '.join(sorted(scopes))}")
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    doc = doc or {}
    keys = doc.setdefault("keys", {}) or {}
    if name in keys:
        raise CxGraphError(f"a key named {name!r} exists already", path)
    key = secrets.token_urlsafe(32)
    keys[name] = {"scope": scope, "sha256": digest(key)}
    doc["keys"] = keys
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=True), encoding="utf-8")
    path.chmod(0o600)
    return key


# --- the application ----------------------------------------------------------------------------------------

class ProposedAction(BaseModel):
    """An action an assistant or a person proposes; checked against the policy rules, then recorded."""

    on: Literal["case", "order", "customer"]
    target: str = Field(description="The case number, order number or customer record identifier (or its IRI).")
    action: str = Field(description="The action type: refund, replacement, reship, goodwill_credit, exception...")
    amount: str | None = Field(None, description="The amount, as a decimal string (189.00).")
    currency: str | None = Field(None, description="The amount's currency (GBP, EUR).")
    note: str | None = Field(None, description="Why, in the proposer's words.")
    actor: str | None = Field(None, description="Without auth: who proposes (an employee EMP-..., or an AI agent's "
                                                "name). With auth, the key's name.")
    actor_kind: Literal["person", "ai-agent"] = "ai-agent"


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.headers = status, title, detail, headers or {}


def _problem_of(exc: CxGraphError) -> Problem:
    text = str(exc)
    missing = any(m in text for m in ("has the identifier", "is not a", "is not an", "represents no"))
    return Problem(404 if missing else 400, "Not found" if missing else "Bad request", text)


def create_api(config: ApiConfig) -> FastAPI:
    """The ASGI application."""
    project = config.project
    queries = catalog(project.queries_dir)
    ids = {**PREFIXES, "id": project.id_iri("")}
    default_scope, scopes = load_scopes(project)
    pool = QueryPool(config.store, size=config.workers, timeout=config.timeout, memory_mb=config.memory_mb) \
        if config.store is not None else None

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if pool is not None:
                pool.close()

    app = FastAPI(title="cxgraph", version="1", lifespan=lifespan,
                  description="The enterprise context graph for customer experience: context packs, named "
                              "questions, SPARQL, recommendations and validation, cut to the caller's role scope.")
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=_hosts(config.hosts))

    @app.exception_handler(Problem)
    async def on_problem(_request: Request, exc: Problem) -> Response:
        response = problem(exc.status, exc.title, exc.detail)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(StoreDamaged)  # found by the exception's class first: not a bad request
    async def on_damaged(_request: Request, exc: StoreDamaged) -> Response:
        return problem(503, "Store damaged", str(exc))

    @app.exception_handler(CxGraphError)
    async def on_error(_request: Request, exc: CxGraphError) -> Response:
        found = _problem_of(exc)
        return problem(found.status, found.title, found.detail)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_request: Request, exc: RequestValidationError) -> Response:
        detail = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        return problem(422, "Invalid request", detail)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_request: Request, exc: StarletteHTTPException) -> Response:
        return problem(exc.status_code, str(exc.detail) if exc.status_code != 404 else "Not found",
                       str(exc.detail))

    @app.exception_handler(Exception)
    async def on_crash(_request: Request, exc: Exception) -> Response:
        damaged = damage(exc, config.store)  # met while a query's results were read
        if damaged is not None:
            return problem(503, "Store damaged", str(damaged))
        return problem(500, "Server error", "the server failed on this request (its log says why)")

    def presented(request: Request) -> tuple[str, tuple[str, str] | None]:
        """The key the request carries (Authorization: Bearer, else X-API-Key) and its (name, scope), if known;
        the digest is computed once and compared with every stored one in constant time."""
        auth = request.headers.get("authorization", "")
        given = auth[7:].strip() if auth.lower().startswith("bearer ") else request.headers.get("x-api-key") or ""
        if not given or config.keys is None:
            return given, None
        hashed = digest(given)
        return given, next((v for k, v in config.keys.items() if hmac.compare_digest(k, hashed)), None)

    def key_name(request: Request) -> str | None:
        """The name of the caller's key (auth on), checked by `caller` first."""
        found = presented(request)[1]
        return found[0] if found else None

    def caller(request: Request, scope: str | None) -> str:
        """The caller's scope: its key's when auth is on (another one asked for is refused), else the one asked
        for or the default; an unknown scope is refused."""
        if config.keys is not None:
            given, found = presented(request)
            if found is None:
                raise Problem(401, "Unauthorized", "give an API key: Authorization: Bearer KEY or X-API-Key: KEY"
                              if not given else "unknown API key", {"WWW-Authenticate": 'Bearer realm="cxgraph"'})
            if scope is not None and scope != found[1]:
                raise Problem(403, "Forbidden", f"this key's scope is {found[1]!r}, not {scope!r}")
            return found[1]
        chosen = scope or default_scope
        if chosen not in scopes:
            raise Problem(400, "Unknown scope", f"unknown scope {chosen!r}; the scopes are "
                                                f"{', '.join(sorted(scopes))}")
        return chosen

    def allowed(request: Request, what: str, query: str | None = None) -> None:
        """Refuse what the caller's scope may not see: a named query it does not list, or (when it withholds
        anything) ad-hoc SPARQL and the validation report, whose answers cannot be cut."""
        scope = scopes[caller(request, None)]
        ok = scope.may_query(query) if query is not None else scope.unrestricted
        if not ok:
            raise Problem(403, "Outside the scope",
                          f"the scope {scope.name!r} may not use {what} (context/scopes.yaml)")

    def open_store() -> Any:
        if config.endpoint is not None:
            return RemoteStore(config.endpoint)
        assert config.store is not None
        return EmbeddedStore(config.store)

    async def in_thread(fn: Callable[[], Any]) -> Any:
        return await anyio.to_thread.run_sync(fn)

    def on_store(fn: Callable[[Any], Any]) -> Any:
        """Call fn with the store (the embedded one opened on its live build, closed after)."""
        store = open_store()
        try:
            return fn(store)
        finally:
            if isinstance(store, EmbeddedStore):
                store.close()

    def pack(kind: str, given: str, scope: str, limit: list[str] | None, brief: bool) -> Response:
        limits = parse_limits(limit, "limit")  # a bad one is a CxGraphError: 400
        body = on_store(lambda store: build_pack(store, project, kind, given, scope, limits, brief))
        return Response(json.dumps(body, ensure_ascii=False), media_type=JSON_LD)

    Packed: dict[int | str, dict[str, Any]] = {
        200: {"content": {JSON_LD: {}}, "description": "A JSON-LD 1.1 context pack."}}

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        """The browser view (no CDN: its one library is shipped in the package)."""
        return Response((STATIC / "index.html").read_bytes(), media_type="text/html; charset=utf-8")

    @app.get("/search", tags=["context"])
    async def search(request: Request, q: Annotated[str, Query(min_length=2, max_length=200, description=(
            "Part of a customer's name, or the start of an identifier: a customer record, a case or an order."))],
                     limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[dict[str, str]]:
        """Customers (one per resolved party), cases and orders whose name or identifier matches."""
        caller(request, None)

        return list(await in_thread(lambda: on_store(lambda store: find(store, q, limit))))

    @app.get("/health", tags=["service"])
    async def health() -> dict[str, Any]:
        """Whether the service is up, over which store, and how many project files that store does not follow
        as they are now (`stale`; a context pack names them; null when that cannot be told)."""
        def count(store: Any) -> int | None:
            if isinstance(store, EmbeddedStore) and not store.exists():
                return 0
            found = stale(store, project)
            return None if any(b.file is None for b in found) else len(found)

        try:
            behind_by = await in_thread(lambda: on_store(count))
        except StoreDamaged:
            raise  # unhealthy: 503
        except CxGraphError:
            behind_by = None
        return {"status": "ok", "store": "remote" if config.endpoint else "embedded", "auth": config.keys is not None,
                "stale": behind_by}

    @app.get("/customers/{customer:path}/context", tags=["context"], responses=Packed, response_class=Response)
    async def customer_context(request: Request, customer: str, scope: ScopeQ = None,
                               limit: LimitQ = None) -> Response:
        """Everything about a customer (a customer record's identifier or IRI, or a party IRI)."""
        chosen = caller(request, scope)
        return await in_thread(lambda: pack("customer", customer, chosen, limit, False))

    @app.get("/cases/{case:path}/context", tags=["context"], responses=Packed, response_class=Response)
    async def case_context(request: Request, case: str, scope: ScopeQ = None, limit: LimitQ = None,
                           brief: bool = False) -> Response:
        """Everything about a case (its number or IRI); `brief` adds the matching knowledge articles."""
        chosen = caller(request, scope)
        return await in_thread(lambda: pack("case", case, chosen, limit, brief))

    @app.get("/orders/{order:path}/context", tags=["context"], responses=Packed, response_class=Response)
    async def order_context(request: Request, order: str, scope: ScopeQ = None, limit: LimitQ = None) -> Response:
        """Everything about an order (its number or IRI)."""
        chosen = caller(request, scope)
        return await in_thread(lambda: pack("order", order, chosen, limit, False))

    @app.get("/queries", tags=["queries"])
    async def list_queries(request: Request) -> list[dict[str, Any]]:
        """The named competency questions the caller's scope may run, and their typed parameters."""
        scope = scopes[caller(request, None)]
        return [{"name": q.name, "title": q.title, "question": q.question, "cq": q.competency_question,
                 "params": {p.name: {"type": p.type, "description": p.description, "example": p.example,
                                     "required": p.required} for p in q.params.values()}}
                for q in queries.values() if scope.may_query(q.name)]

    def answer(query: NamedQuery, values: dict[str, str]) -> Response:
        result = on_store(lambda store: run(store, query, values, ids, pool=pool))
        return Response(to_json(result), media_type=SPARQL_JSON)

    for query in queries.values():
        _add_query_route(app, query, allowed, answer, in_thread)

    @app.get("/recommendations", tags=["recommendations"], response_class=Response,
             responses={200: {"content": {SPARQL_JSON: {}}}})
    async def recommendations(request: Request, about: AboutQ) -> Response:
        """The recommendations `cxgraph recommend` kept for a case, order, campaign or signal, with their rules."""
        allowed(request, "the recommendations query", "recommendations")
        return await in_thread(lambda: answer(queries["recommendations"], {"about": about}))

    @app.post("/actions", tags=["actions"], status_code=201)
    async def propose_action(request: Request, body: ProposedAction) -> dict[str, Any]:
        """Propose an action on a case, order or customer: checked against the policy rules and recorded in the
        actions graph as approved (a rule allows it without approval), needs approval (with the role a rule
        names) or rejected (with the rule that refused it). Never written into a source system's graph. With auth
        on, the proposer is the key's AI agent, in the key's scope. Needs `cxgraph api --actions`."""
        scope = caller(request, None)
        if not config.actions:
            raise Problem(403, "Actions are off", "start `cxgraph api --actions` to accept proposed actions")
        from cxgraph.answer.actions import find_actor, propose
        from cxgraph.answer.payloads import proposal_json

        name = key_name(request) or body.actor
        if not name:
            raise Problem(422, "Invalid request", "body.actor: who proposes (an employee EMP-... or an agent's name)")
        kind = "ai-agent" if config.keys is not None else body.actor_kind

        def run_it(store: Any) -> dict[str, Any]:
            who = find_actor(store, project, name, kind, scope if kind == "ai-agent" else None)
            proposal = propose(store, project, body.on, body.target, body.action, body.amount, body.currency,
                               who, body.note, config.lock or Path(".cxgraph/build.lock"))
            return proposal_json(project, proposal)
        return dict(await in_thread(lambda: on_store(run_it)))

    @app.get("/actions/tasks", tags=["actions"])
    async def action_tasks(request: Request) -> list[dict[str, str]]:
        """The approved actions as tasks for the systems of record (as `cxgraph act tasks`)."""
        caller(request, None)
        from cxgraph.answer.actions import tasks

        return list(await in_thread(lambda: on_store(lambda store: tasks(store, project))))

    @app.get("/validation", tags=["validation"])
    async def validation(request: Request) -> Response:
        """The latest validation report (`cxgraph validate` or `cxgraph demo` writes it)."""
        allowed(request, "the validation report")
        folder = WorkFolder.beside(config.store).reports if config.store is not None else Path(".cxgraph/reports")
        report = folder / "validation.json"
        if not report.is_file():
            raise Problem(404, "No validation report", f"no {report}; run `cxgraph validate` first")
        return Response(report.read_bytes(), media_type="application/json")

    if pool is not None:
        handler = sparql_handler(EndpointConfig(store=config.store or Path(), project_lock=Path()), pool)

        async def sparql(request: Request) -> Response:
            allowed(request, "SPARQL")
            return await handler(request)

        app.add_api_route("/sparql", sparql, methods=["GET", "POST"], tags=["sparql"], response_class=Response,
                          summary="SPARQL 1.1 Query (read-only, time- and memory-limited)",
                          openapi_extra={"parameters": [{"name": "query", "in": "query", "required": False,
                                                         "schema": {"type": "string"}}]})
    else:
        async def sparql_remote(request: Request, query: str) -> Response:
            allowed(request, "SPARQL")
            store = RemoteStore(config.endpoint)  # type: ignore[arg-type]
            try:
                rows = await in_thread(lambda: store.query(query))
            except CxGraphError as exc:
                raise Problem(400, "Query failed", str(exc)) from None
            from cxgraph.answer.queries import Answer
            result = Answer(variables=[v.value for v in rows.variables],
                            rows=[[row[v.value] for v in rows.variables] for row in rows])
            return Response(to_json(result), media_type=SPARQL_JSON)

        app.add_api_route("/sparql", sparql_remote, methods=["GET"], tags=["sparql"], response_class=Response,
                          summary="SPARQL 1.1 SELECT on the remote store")
    return app


SEARCH = """
SELECT ?kind ?identifier ?label ?it WHERE {
  {
    ?record a cx:CustomerRecord ; cx:hasSourceIdentifier ?identifier ; cx:representsParty ?it .
    OPTIONAL { ?record cx:hasName ?name }
    BIND("customer" AS ?kind)
    BIND(COALESCE(?name, ?identifier) AS ?label)
  }
  UNION
  {
    ?it a ?class ; cx:hasSourceIdentifier ?identifier .
    VALUES (?class ?kind) { (cx:Case "case") (cx:Order "order") }
    BIND(?identifier AS ?label)
  }
  # at the level of the bound ?q (a FILTER inside a group would not see it)
  FILTER (STRSTARTS(LCASE(STR(?identifier)), ?q) || (?kind = "customer" && CONTAINS(LCASE(STR(?label)), ?q)))
} ORDER BY ?kind ?label ?identifier"""


def find(store: Any, text: str, limit: int) -> list[dict[str, str]]:
    """Search hits: the term is bound as a literal, never spliced into the query."""
    import pyoxigraph as ox

    from cxgraph.stores.binding import bind_values
    from cxgraph.vocab import sparql_prologue

    rows = store.query(bind_values(sparql_prologue() + SEARCH, {"q": ox.Literal(text.strip().lower())}))
    hits: list[dict[str, str]] = []
    parties: set[str] = set()
    for row in rows:
        if row["kind"].value == "customer":  # one hit per resolved party
            if row["it"].value in parties:
                continue
            parties.add(row["it"].value)
        hits.append({"kind": row["kind"].value, "identifier": row["identifier"].value,
                     "label": row["label"].value, "iri": row["it"].value})
        if len(hits) >= limit:
            break
    return hits


def _add_query_route(app: FastAPI, query: NamedQuery, allowed: Callable[[Request, str, str | None], None],
                     answer: Callable[[NamedQuery, dict[str, str]], Response],
                     in_thread: Callable[[Callable[[], Any]], Any]) -> None:
    """GET /queries/NAME with the query's parameters as typed query parameters."""
    async def endpoint(request: Request, **values: Any) -> Response:
        allowed(request, f"the query {query.name!r}", query.name)
        given = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in values.items() if v is not None}
        return await in_thread(lambda: answer(query, given))

    params = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
    for p in query.params.values():
        kind = PY_TYPES.get(p.type, str)
        default = Query(... if p.required else None, description=p.description or p.type,
                        examples=[p.example] if p.example else None)
        params.append(inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY,
                                        annotation=kind if p.required else kind | None, default=default))
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    app.add_api_route(f"/queries/{query.name}", endpoint, methods=["GET"], tags=["queries"], response_class=Response,
                      summary=query.title, description=query.question,
                      responses={200: {"content": {SPARQL_JSON: {}}, "description": "SPARQL 1.1 results (JSON)"}})


def _hosts(extra: list[str]) -> list[str]:
    return sorted({*LOOPBACK, "testserver", *[h for h in extra if h not in ("0.0.0.0", "::")]}) \
        if not any(h in ("0.0.0.0", "::") for h in extra) else ["*"]
