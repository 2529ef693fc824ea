"""`cxgraph stats`, `export`, `push` and `serve`: what the store holds, copying it out, and serving it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cxgraph.cli.common import (
    EndpointOpt,
    ProjectOpt,
    StoreOpt,
    err,
    exits_on_error,
    notices,
    open_store,
    out,
    project_at,
    store_path,
    warn,
    work_folder,
)
from cxgraph.cli.progress import board
from cxgraph.errors import CxGraphError
from cxgraph.project import REMOTE_LOCK, REMOTE_STAGING
from cxgraph.stores.embedded import EmbeddedStore
from cxgraph.stores.generations import DEFAULT_KEEP_HISTORY
from cxgraph.stores.push import push_graphs
from cxgraph.stores.remote import RemoteStore
from cxgraph.vocab import sparql_prologue


@exits_on_error
def stats(ctx: typer.Context, store: StoreOpt = None, project: ProjectOpt = None, endpoint: EndpointOpt = None,
          ) -> None:
    """Per named graph: triples and when it was last loaded; graphs that are not this project's are flagged."""
    proj = project_at(ctx, project)
    graph = open_store(ctx, store, endpoint, project=proj)
    loaded = {
        row["g"].value: row["t"].value
        for row in graph.query(
            sparql_prologue() + "SELECT ?g (MAX(?end) AS ?t) WHERE { ?a a cx:SourceLoad ; cx:hasTargetGraph ?gl ; "
            "prov:endedAtTime ?end BIND(STR(?gl) AS ?g) } GROUP BY ?g")
    }
    notices(graph)
    table = Table(title="Named graphs", title_justify="left")
    table.add_column("graph", overflow="fold")
    table.add_column("triples", justify="right")
    table.add_column("last loaded")
    total = 0
    known = proj.known_graphs()
    unknown = []
    for name in graph.named_graphs():
        count = graph.count(name)
        total += count
        if name not in known:
            unknown.append(name)
        table.add_row(Text(name, style="" if name in known else "red"), str(count),
                      loaded.get(name, "") if name in known else Text("not this project's", style="red"))
    default = graph.default_graph_count()
    if default:
        total += default
        unknown.append("")
        table.add_row(Text("(the default graph)", style="red"), str(default),
                      Text("not this project's", style="red"))
    table.add_row(Text("total", style="bold"), Text(str(total), style="bold"), "")
    out.print(table)
    if isinstance(graph, EmbeddedStore) and graph.folder is not None:
        history = graph.folder.history()
        if history:
            out.print(f"History: {len(history)} build(s) kept, published from {history[0][0].isoformat()} to "
                      f"{history[-1][0].isoformat()}; --as-of answers from them ($CXGRAPH_KEEP_HISTORY, default "
                      f"{DEFAULT_KEEP_HISTORY}).", highlight=False)
    if isinstance(graph, RemoteStore):
        hidden = [g for g in graph.all_graphs() if g.startswith(REMOTE_STAGING)]
        if REMOTE_LOCK in hidden:
            warn(err, "a build holds this store's lock (running, or killed: the next build says which)")
        staging = [g for g in hidden if g != REMOTE_LOCK]
        if staging:
            warn(err, f"{len(staging)} staging graph(s) of a build in progress or killed are on the store (not "
                      "counted above; a server that unions its graphs shows them to other readers); the next "
                      "build removes left-overs")
    for name in unknown:
        if not name:
            warn(err, f"the store's default graph holds {default} triples that no source or engine of this "
                      "project writes: queries read them; `cxgraph build` (a full build) removes them")
            continue
        warn(err, f"graph <{name}> is not written by any source or by the engine of this project: queries "
                  "read it; `cxgraph build` (a full build) removes it")


@exits_on_error
def export(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Output file.")],
    fmt: Annotated[str, typer.Option("--format", help="nquads or trig")] = "nquads",
    store: StoreOpt = None,
    endpoint: EndpointOpt = None,
) -> None:
    """Dump every named graph (what Fuseki's TDB2 loader or any bulk loader takes)."""
    open_store(ctx, store, endpoint).dump(file, fmt)
    out.print(f"Wrote {file} ({fmt}).")


@exits_on_error
def push(
    ctx: typer.Context,
    endpoint: Annotated[str, typer.Option("--endpoint", envvar="CXGRAPH_ENDPOINT",
                                          help="SPARQL query URL of the remote store.")],
    store: StoreOpt = None,
    project: ProjectOpt = None,
) -> None:
    """Upload every named graph of the embedded store to a remote store (staged, then swapped in)."""
    proj = project_at(ctx, project)
    local = EmbeddedStore(store_path(store), read_only=True)
    remote = open_store(ctx, None, endpoint)
    assert isinstance(remote, RemoteStore)
    with board(f"Pushing to {endpoint}...") as shown:
        pushed = push_graphs(local, remote, work_folder(store).lock, proj.is_private_graph, shown.tick)
    table = Table(title=f"Pushed to {endpoint}", title_justify="left")
    table.add_column("graph", overflow="fold")
    table.add_column("triples", justify="right")
    for graph, count in pushed:
        table.add_row(graph, str(count))
    out.print(table)


@exits_on_error
def serve(
    store: StoreOpt = None,
    host: Annotated[str, typer.Option("--host", help="Address to bind; 127.0.0.1 keeps it on this machine.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 7878,
    timeout: Annotated[float, typer.Option("--timeout", help="Query time limit in seconds; a query still running "
                                           "then is stopped (HTTP 503).")] = 30,
    workers: Annotated[int, typer.Option("--workers", help="Query worker processes (queries answered at once).")]
    = 2,
    memory_mb: Annotated[int, typer.Option("--memory-mb", help="Memory a query worker may use (MB); beyond it the "
                                           "query is stopped (HTTP 507).")] = 2048,
    max_answer_mb: Annotated[int, typer.Option("--max-answer-mb", help="Largest answer sent (MB).")] = 256,
    allow_host: Annotated[list[str] | None, typer.Option(
        "--allow-host", help="Host name clients may use besides localhost and the bound address (repeatable).")]
    = None,
    allow_service: Annotated[bool, typer.Option("--allow-service", help="Let queries use SERVICE (the server then "
                                                "fetches URLs that queries name).")] = False,
    writable: Annotated[bool, typer.Option("--writable", help="Accept SPARQL Update and Graph Store writes, each "
                                           "published whole (no authentication: keep it on loopback).")] = False,
) -> None:
    """Serve the store as a SPARQL 1.1 endpoint: read-only, loopback, time- and memory-limited queries."""
    import uvicorn

    from cxgraph.faces.sparql_endpoint import EndpointConfig, create_app

    path = store_path(store)
    if not EmbeddedStore(path).exists():
        raise CxGraphError("no store here yet; run `cxgraph build` first", path)
    if not 0 < port < 65536:
        raise CxGraphError(f"--port must be between 1 and 65535, not {port}")
    if timeout <= 0 or workers < 1 or memory_mb < 64 or max_answer_mb < 1:
        raise CxGraphError("--timeout, --workers, --memory-mb (at least 64) and --max-answer-mb must be positive")
    config = EndpointConfig(store=path, project_lock=work_folder(store).lock, timeout=timeout,
                            workers=workers, memory_mb=memory_mb, max_answer_mb=max_answer_mb, writable=writable,
                            allow_service=allow_service, hosts=[host, *(allow_host or [])])
    app = create_app(config)
    mode = "read-write" if writable else "read-only"
    base = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    out.print(Text(f"SPARQL endpoint: {base}/query ({mode}, queries limited to {timeout:g} s and {memory_mb} MB; the "
                   f"default graph is the union of all named graphs; answers follow each finished build). "
                   "Ctrl-C stops it."), soft_wrap=True)
    if writable:
        out.print(Text(f"Update: {base}/update  Graph Store: {base}/store"), soft_wrap=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        warn(err, f"bound to {host}: this endpoint has no authentication or TLS; put a proxy in front")
    sys.stdout.flush()
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


def register(app: typer.Typer) -> None:
    """Add `stats`, `export`, `push` and `serve` to the cxgraph command."""
    for command in (stats, export, push, serve):
        app.command(command.__name__)(command)
