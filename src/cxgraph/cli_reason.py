"""The `reason` and `docs` commands: rebuild the inferred graph; write the ontology's HTML documentation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .cli_common import ProjectOpt, StoreOpt, out
from .cli_common import fail as _fail
from .config import load_project
from .docs import write_docs
from .errors import CxGraphError
from .reason import inferred_graph, materialize
from .store import EmbeddedStore, default_store_path

OutputOpt = Annotated[Path, typer.Option("--output", "-o", help="Folder to write index.html into.")]




def reason(project: ProjectOpt = None, store: StoreOpt = None) -> None:
    """Rebuild the inferred graph (subclass and subproperty closure, defined classes) on the built store."""
    try:
        proj = load_project(project)
        path = store or default_store_path()
        graph = EmbeddedStore(path)
        if not graph.exists():
            raise CxGraphError("no store here yet; run `cxgraph build` first", path)
        with graph.workspace(path.resolve().parent / "build.lock") as ws:  # published whole, or not at all
            counts = materialize(ws.store, proj)
            ws.publish([inferred_graph(proj)])
    except CxGraphError as exc:
        _fail(exc)
    table = Table(title="Inferred graph rebuilt", title_justify="left")
    for column in ("graph", "triples", "of them rdf:type", "seconds"):
        table.add_column(column, justify="left" if column == "graph" else "right")
    table.add_row(inferred_graph(proj), str(counts["triples"]), str(counts["types"]),
                  f"{counts['milliseconds'] / 1000:.2f}")
    out.print(table)


def docs(project: ProjectOpt = None, output: OutputOpt = Path(".cxgraph/docs")) -> None:
    """Write HTML documentation of the ontology (all modules on one page) with pyLODE."""
    try:
        proj = load_project(project)
        page = write_docs(proj.ontology, output)
    except CxGraphError as exc:
        _fail(exc)
    out.print(f"Wrote {page}")


def register(app: typer.Typer) -> None:
    """Add `reason` and `docs` to the cxgraph command."""
    app.command("reason")(reason)
    app.command("docs")(docs)
