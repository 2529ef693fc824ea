"""`cxgraph reason`: rebuild the inferred graph on a built store, published whole or not at all."""

from __future__ import annotations

import typer
from rich.table import Table

from cxgraph.build.materialize import inferred_graph, materialize
from cxgraph.cli.common import ProjectOpt, StoreOpt, exits_on_error, out, project_at, store_path
from cxgraph.errors import CxGraphError
from cxgraph.project import WorkFolder
from cxgraph.stores.embedded import EmbeddedStore


@exits_on_error
def reason(ctx: typer.Context, project: ProjectOpt = None, store: StoreOpt = None) -> None:
    """Rebuild the inferred graph (subclass and subproperty closure, defined classes) on the built store."""
    proj = project_at(ctx, project)
    path = store_path(store)
    graph = EmbeddedStore(path)
    if not graph.exists():
        raise CxGraphError("no store here yet; run `cxgraph build` first", path)
    with graph.workspace(WorkFolder.beside(path).lock) as ws:  # published whole, or not at all
        counts = materialize(ws.store, proj)
        ws.publish([inferred_graph(proj)])
    table = Table(title="Inferred graph rebuilt", title_justify="left")
    for column in ("graph", "triples", "of them rdf:type", "seconds"):
        table.add_column(column, justify="left" if column == "graph" else "right")
    table.add_row(inferred_graph(proj), str(counts["triples"]), str(counts["types"]),
                  f"{counts['milliseconds'] / 1000:.2f}")
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add `reason` to the cxgraph command."""
    app.command("reason")(reason)
