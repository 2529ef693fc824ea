"""`cxgraph validate`: the graph against the SHACL shape profiles, with reports for people and CI."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cxgraph.answer.render import printable
from cxgraph.check.reports import SHACL_SEVERITIES, severity_rank
from cxgraph.cli.common import (
    EndpointOpt,
    ProjectOpt,
    StoreOpt,
    err,
    exits_on_error,
    open_store,
    out,
    project_at,
    warn,
    work_folder,
)
from cxgraph.cli.progress import board
from cxgraph.errors import CxGraphError

if TYPE_CHECKING:
    from cxgraph.check.validate import Result, Validation

REPORT_SUFFIX = {"turtle": ".ttl", "junit": ".xml", "html": ".html", "json": ".json"}
COLOURS = dict(zip(SHACL_SEVERITIES, ("red", "yellow", "blue"), strict=True))


@exits_on_error
def validate(
    ctx: typer.Context,
    fmt: Annotated[list[str] | None, typer.Option(
        "--format", help="Report format: turtle (sh:ValidationReport), junit, html or json; repeatable.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", help="Report file (one format) or folder (several); default: standard output.")] = None,
    fail_on: Annotated[str, typer.Option(
        "--fail-on", help="Lowest severity that fails the run: violation, warning or info (check-ontology's "
                          "error, warn and info name the same levels).")] = "violation",
    shapes: Annotated[list[Path] | None, typer.Option(
        "--shapes", help="Shape profile folder or file, repeatable (default: the registry's `shapes:`).")] = None,
    engine: Annotated[str, typer.Option(
        "--engine", help="sparql: the shapes compiled to SPARQL and run on the store (default); pyshacl: the "
                         "union copied into rdflib and validated by pySHACL (slow on big graphs, the reference).")]
    = "sparql",
    store: StoreOpt = None,
    project: ProjectOpt = None,
    endpoint: EndpointOpt = None,
) -> None:
    """Validate the graph with the SHACL shapes (SHACL Core and SHACL-SPARQL). Exit 0 conforms, 1 does not,
    2 error."""
    from cxgraph.check.validate import WRITERS, run_validation, to_junit

    formats = fmt or []
    try:
        severity_rank(fail_on)
    except ValueError:
        raise CxGraphError(f"--fail-on takes violation, warning or info, not {fail_on!r}") from None
    unknown = [f for f in formats if f not in REPORT_SUFFIX]
    if unknown:
        raise CxGraphError(f"unknown report format {unknown[0]!r}; use {', '.join(REPORT_SUFFIX)}")
    if len(formats) > 1 and output is None:
        raise CxGraphError("several --format need --output FOLDER")
    proj = project_at(ctx, project)
    with board(f"Validating ({engine})...") as shown:
        result = run_validation(open_store(ctx, store, endpoint, project=proj), proj, shapes, engine, shown.tick)
    summary = err if formats and output is None else out
    print_validation(result, summary, proj.id_iri(""))
    if not endpoint and shapes is None:  # the latest report on the store's own shapes, for `cxgraph api`
        latest = work_folder(store).reports / "validation.json"
        latest.parent.mkdir(parents=True, exist_ok=True)
        latest.write_text(WRITERS["json"](result), encoding="utf-8")
    for name in formats:
        text = to_junit(result, fail_on) if name == "junit" else WRITERS[name](result)
        if output is None:
            sys.stdout.write(text)
            continue
        # a folder: several formats, an existing folder, or a name without suffix (`--output DIR/` loses its slash)
        into_folder = len(formats) > 1 or output.is_dir() or (not output.exists() and not output.suffix)
        target = output / f"validation{REPORT_SUFFIX[name]}" if into_folder else output
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        summary.print(f"Wrote {target} ({name}).")
    raise typer.Exit(1 if result.failing(fail_on) else 0)


def _short(focus: str, id_base: str | None) -> str:
    """A focus node as the summary shows it: without the project's `id:` namespace when it has it."""
    return focus.removeprefix(id_base) if id_base else focus


def print_validation(result: Validation, console: Console, id_base: str | None = None) -> None:
    """The grouped summary: per severity and shape, how many results and which focus nodes."""
    groups: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for r in result.results:
        groups[(r.severity, r.shape_label)].append(r)
    table = Table(title="Validation results by shape", title_justify="left", show_lines=True)
    for column in ("severity", "shape", "results", "focus nodes (source system)"):
        table.add_column(column, overflow="fold")
    for (severity, label), items in sorted(groups.items(), key=lambda g: (severity_rank(g[0][0]), g[0][1])):
        shown = [f"{_short(i.focus, id_base)} ({i.origin.source if i.origin else '?'})" for i in items[:6]]
        if len(items) > 6:
            shown.append(f"... and {len(items) - 6} more")
        table.add_row(Text(severity, style=COLOURS[severity]), Text(printable(label)), str(len(items)),
                      Text(printable("\n".join(shown))))
    if result.results:
        console.print(table)
    counts = ", ".join(f"{n} {s.lower()}{'s' if n != 1 else ''}" for s, n in result.counts.items())
    verdict = Text("conforms", style="green") if not result.results else Text(counts)
    console.print(Text.assemble(f"Validated {result.data_triples} triples against {len(result.shapes)} shapes in "
                                f"{result.seconds:.1f} s: ", verdict, "."))
    for graph in result.unknown_graphs:
        name = graph if graph.startswith("the default graph") else f"graph <{graph}>"
        warn(console, f"{name} is not written by any source or by the engine of this project; it was "
                      "validated with the rest (a full `cxgraph build` removes it)")


def register(app: typer.Typer) -> None:
    """Add `validate` to the cxgraph command."""
    app.command("validate")(validate)
