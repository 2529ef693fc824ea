"""`cxgraph api` (the HTTP API for assistants and applications), `cxgraph api-key` (a key for a scope) and
`cxgraph mcp` (the Model Context Protocol server for AI assistants)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from cxgraph.cli.common import (
    EndpointOpt,
    ProjectOpt,
    StoreOpt,
    exits_on_error,
    out,
    project_at,
    settings,
    store_path,
    work_folder,
)
from cxgraph.errors import CxGraphError
from cxgraph.stores.embedded import EmbeddedStore
from cxgraph.stores.remote import Endpoint

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _store_or_endpoint(ctx: typer.Context, store: Path | None, endpoint: str | None
                       ) -> tuple[Path | None, Endpoint | None]:
    """The embedded store's folder (it must hold a build), or the remote endpoint when one is given."""
    if endpoint:
        given = settings(ctx)
        return None, Endpoint.from_options(endpoint, user=given.user, password=given.password,
                                           union_default_graph=given.union_default_graph)
    path = store_path(store)
    if not EmbeddedStore(path).exists():
        raise CxGraphError("no store here yet; run `cxgraph build` first", path)
    return path, None


@exits_on_error
def api(
    ctx: typer.Context,
    store: StoreOpt = None,
    project: ProjectOpt = None,
    endpoint: EndpointOpt = None,
    host: Annotated[str, typer.Option("--host", help="Address to bind; 127.0.0.1 keeps it on this machine. Any "
                                                     "other address needs --auth.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8787,
    auth: Annotated[Path | None, typer.Option(
        "--auth", envvar="CXGRAPH_API_KEYS",
        help="Keys file (`cxgraph api-key` makes one): every request but /health then needs a key, and answers "
             "are cut to the key's scope.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Time limit of a named query or SPARQL query (s).")]
    = 30.0,
    workers: Annotated[int, typer.Option("--workers", help="Query worker processes.")] = 2,
    memory_mb: Annotated[int, typer.Option("--memory-mb", help="Memory a query worker may use (MB).")] = 2048,
    allow_host: Annotated[list[str] | None, typer.Option(
        "--allow-host", help="Another Host name clients use to reach it (repeatable).")] = None,
    actions: Annotated[bool, typer.Option("--actions", help="Accept POST /actions: proposed actions, checked "
                                                            "against the policy rules and recorded in the actions "
                                                            "graph (never in a source graph).")] = False,
) -> None:
    """Serve the HTTP API: context packs, named queries, SPARQL (read-only), recommendations, validation; with
    --actions, proposed actions."""
    import uvicorn

    from cxgraph.faces.api import ApiConfig, create_api, read_keys

    proj = project_at(ctx, project)
    if not 0 < port < 65536:
        raise CxGraphError(f"--port must be between 1 and 65535, not {port}")
    if host not in LOOPBACK and auth is None:
        raise CxGraphError(f"bound to {host}, the API needs --auth KEYS (make a key with `cxgraph api-key NAME "
                           "--scope SCOPE --file KEYS`); on 127.0.0.1 it may run without")
    keys = read_keys(auth, proj) if auth is not None else None
    path, remote = _store_or_endpoint(ctx, store, endpoint)
    app = create_api(ApiConfig(project=proj, store=path, endpoint=remote, timeout=timeout, workers=workers,
                               memory_mb=memory_mb, keys=keys, hosts=[host, *(allow_host or [])],
                               actions=actions, lock=work_folder(store).lock))
    base = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    out.print(Text(f"cxgraph API: {base}/docs (OpenAPI: {base}/openapi.json); "
                   + ("proposed actions accepted at /actions; " if actions else "read-only; ")
                   + ("every request but /health needs an API key" if keys else "no authentication (loopback)")
                   + ". Ctrl-C stops it."), soft_wrap=True)
    sys.stdout.flush()
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


@exits_on_error
def api_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Who or what the key is for (an assistant, an application).")],
    scope: Annotated[str, typer.Option("--scope", help="The role scope its answers are cut to "
                                                       "(context/scopes.yaml).")],
    file: Annotated[Path, typer.Option("--file", help="The keys file (created if missing; holds digests only).")]
    = Path(".cxgraph/api-keys.yaml"),
    project: ProjectOpt = None,
) -> None:
    """Make an API key for a scope: its SHA-256 digest goes to the keys file, the key is printed once."""
    from cxgraph.faces.api import add_key

    key = add_key(file, name, scope, project_at(ctx, project))
    sys.stdout.write(key + "\n")
    sys.stderr.write(f"key {name!r} for scope {scope!r} added to {file}; start `cxgraph api --auth {file}` and send "
                     "it as Authorization: Bearer KEY (shown only now)\n")


def register(app: typer.Typer) -> None:
    """Add `api`, `api-key` and `mcp` to the cxgraph command."""
    app.command("api")(api)
    app.command("api-key")(api_key)
    app.command("mcp")(mcp)


@exits_on_error
def mcp(
    ctx: typer.Context,
    store: StoreOpt = None,
    project: ProjectOpt = None,
    endpoint: EndpointOpt = None,
    scope: Annotated[str | None, typer.Option(
        "--scope", envvar="CXGRAPH_SCOPE",
        help="The assistant's role scope: every answer is cut to it (context/scopes.yaml; default: its default).")]
    = None,
    agent: Annotated[str, typer.Option("--agent", help="The AI agent's name its proposed actions are recorded "
                                                       "under.")] = "mcp-assistant",
) -> None:
    """Serve the graph to an AI assistant over the Model Context Protocol (stdio): context packs, named queries,
    explanations and recommendations as tools; the ontology and the query catalog as resources."""
    from cxgraph.faces.mcp_server import create_server

    proj = project_at(ctx, project)
    path, remote = _store_or_endpoint(ctx, store, endpoint)
    create_server(proj, path, remote, scope, agent, work_folder(store).lock).run("stdio")
