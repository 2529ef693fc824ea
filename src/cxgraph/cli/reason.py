"""The `reason` and `docs` commands: rebuild the inferred graph; write the ontology's HTML documentation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cxgraph.build.materialize import inferred_graph, materialize
from cxgraph.check.docs import write_docs
from cxgraph.cli.common import ProjectOpt, StoreOpt, exits_on_error, out
from cxgraph.errors import CxGraphError
from cxgraph.project import WorkFolder, load_project
from cxgraph.stores.embedded import EmbeddedStore, default_store_path

OutputOpt = Annotated[Path, typer.Option("--output", "-o", help="Folder to write index.html into.")]




@exits_on_error
def reason(project: ProjectOpt = None, store: StoreOpt = None) -> None:
    """Rebuild the inferred graph (subclass and subproperty closure, defined classes) on the built store."""
    proj = load_project(project)
    path = store or default_store_path()
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


@exits_on_error
def docs(project: ProjectOpt = None, output: OutputOpt = Path(".cxgraph/docs")) -> None:
    """Write HTML documentation of the ontology (all modules on one page) with pyLODE."""
    proj = load_project(project)
    page = write_docs(proj.ontology, output)
    out.print(f"Wrote {page}")


def register(app: typer.Typer) -> None:
    """Add `reason` and `docs` to the cxgraph command."""
    app.command("reason")(reason)
    app.command("docs")(docs)
