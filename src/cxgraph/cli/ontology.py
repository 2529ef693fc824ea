"""`cxgraph check-ontology`, `format-ontology` and `docs`: ontology QC for editors and CI, and its pages.

check-ontology loads the imports closure through the catalog, runs every SPARQL check in the checks
folder and the engine's own checks, then HermiT; findings are grouped by severity. Exit codes as
pySHACL: 0 no ERROR finding and the ontology consistent with every class satisfiable, 1 otherwise,
2 on usage or input errors (a file that does not parse, no Java for HermiT).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from cxgraph.check.data_consistency import (
    DATA_CHECKS,
    DATA_CONSISTENCY,
    DataConsistency,
    check_with_data,
    data_findings,
)
from cxgraph.check.docs import write_docs
from cxgraph.check.hermit import Reasoning
from cxgraph.check.ontology_check import run_checks
from cxgraph.check.ontology_qc import (
    QcReport,
    format_files,
    show,
    to_html,
    to_json,
    to_junit,
)
from cxgraph.check.reports import ROBOT_SEVERITIES
from cxgraph.cli.common import ProjectOpt, StoreOpt, err, exits_on_error, out, project_at, store_path, work_folder
from cxgraph.errors import CxGraphError
from cxgraph.ontology import load_closure
from cxgraph.stores.embedded import EmbeddedStore

FORMATS = ("table", "json", "junit", "html")
STYLE = {"ERROR": "bold red", "WARN": "yellow", "INFO": "cyan"}

OntologyOpt = Annotated[Path | None, typer.Option(
    "--ontology", help="Top ontology file; its imports resolve through catalog-v001.xml beside it "
                       "(default: the project's, from loaders/sources.yaml).")]
ChecksOpt = Annotated[Path | None, typer.Option(
    "--checks", help="Folder of SPARQL checks (default: checks/ in the project's ontology folder).")]


def _paths(ctx: typer.Context, ontology: Path | None, checks: Path | None, project: Path | None,
           ) -> tuple[Path, Path]:
    """The top ontology file and the checks folder: given, or the project's."""
    if ontology is not None and checks is not None:
        return ontology, checks
    try:
        proj = project_at(ctx, project)
    except CxGraphError:
        if ontology is None:
            raise
        return ontology, checks or ontology.resolve().parent / "checks"
    return ontology or proj.ontology, checks or proj.ontology.parent / "checks"


def _check_data(ctx: typer.Context, report: QcReport, store: Path | None, project: Path | None) -> DataConsistency:
    """HermiT over the ontology with the store's data; its culprits join the report as findings."""
    graph = EmbeddedStore(store_path(store))
    if not graph.exists():
        raise CxGraphError("no store here yet; run `cxgraph build` first (--data reasons over its data)", graph.path)
    with err.status("Reasoning with HermiT over the ontology and the data...", spinner="dots"):
        result = check_with_data(report.closure.graph, graph, project_at(ctx, project))
    report.add(DATA_CHECKS, data_findings(result, report.closure.top_iri), {DATA_CONSISTENCY.id: result.seconds})
    return result


def _data_verdict(result: DataConsistency) -> str:
    aside = "; ".join(f"{n} set aside: {why}" for why, n in sorted(result.set_aside.items()))
    state = ("failed: " + str(result.error) if result.consistent is None else
             "consistent" if result.consistent else f"inconsistent ({len(result.culprits)} individuals named)")
    return (f"HermiT with the data ({result.triples} triples{'; ' + aside if aside else ''}): {state} "
            f"({result.seconds:.1f} s).")


def _where(path: Path | None, line: int | None) -> str:
    if path is None:
        return ""
    try:
        shown = str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        shown = str(path)
    return f"{shown}:{line}" if line else shown


def _print_table(report: QcReport) -> None:
    graph, prefixes = report.closure.graph, report.closure.prefixes()
    titles = {c.id: c.title for c in report.checks}
    if report.findings:
        table = Table(title=f"Ontology findings ({report.closure.top.name} and its imports)", title_justify="left",
                      show_lines=False)
        for column in ("severity", "check", "entity", "property", "value", "where", "why"):
            table.add_column(column, overflow="fold")
        for severity in ROBOT_SEVERITIES:
            rows = [f for f in report.findings if f.severity == severity]
            for f in rows:
                cells = (f.check, show(f.entity, graph, prefixes), show(f.property, graph, prefixes),
                         show(f.value, graph, prefixes), _where(f.file, f.line), f.message or titles.get(f.check, ""))
                table.add_row(Text(severity, style=STYLE[severity]), *(Text(cell) for cell in cells))
            if rows:
                table.add_section()
        out.print(table)
    closure = report.closure
    owned = len(closure.owned())
    files = len(closure.files)
    out.print(f"{files} file{'s' if files != 1 else ''} in the imports closure ({owned} cxgraph, {files - owned} "
              f"vendored; {len(closure.graph)} triples); {len(report.checks)} checks run.", highlight=False,
              soft_wrap=True)


def _print_reasoning(result: Reasoning | None) -> None:
    if result is None:
        out.print("HermiT: not run (--no-reason).", soft_wrap=True)
        return
    if result.error:
        state = Text("failed", style="bold red")
    elif result.consistent:
        state = Text("consistent", style="green" if not result.unsatisfiable else "")
    else:
        state = Text("inconsistent", style="bold red")
    detail = "" if result.error or not result.consistent else (
        f"; {len(result.unsatisfiable)} unsatisfiable classes; {len(result.inferred_subclasses)} inferred subclass "
        f"relations and {len(result.inferred_equivalences)} equivalences not asserted")
    runs = f", {result.runs} runs to find the cause" if result.runs > 1 else ""
    out.print(Text.assemble("HermiT: ", state, f"{detail} (classified in {result.seconds:.1f} s{runs})."),
              soft_wrap=True)


@exits_on_error
def check_ontology(
    ctx: typer.Context,
    ontology: OntologyOpt = None,
    checks: ChecksOpt = None,
    no_reason: Annotated[bool, typer.Option("--no-reason", help="Skip HermiT (hygiene checks only).")] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, json, html or junit (one testcase per check, one "
                                                       "failure per finding).")] = "table",
    output: Annotated[Path | None, typer.Option("--output", help="Write the json, html or junit report to this file "
                                                                 "(the table still goes to the terminal).")] = None,
    data: Annotated[bool, typer.Option("--data", help="Also reason over the ontology with the built store's data "
                                                      "(as Protégé would with the data loaded) and name the "
                                                      "individuals that make it inconsistent.")] = False,
    store: StoreOpt = None,
    project: ProjectOpt = None,
) -> None:
    """Check the ontology: imports via the catalog, hygiene checks, canonical Turtle, then HermiT."""
    if fmt not in FORMATS:
        raise CxGraphError(f"unknown format {fmt!r}; use {', '.join(FORMATS)}")
    if output is not None and fmt == "table":
        raise CxGraphError("--output needs --format json, html or junit")
    top, checks_dir = _paths(ctx, ontology, checks, project)
    with err.status("Checking the ontology (closure, hygiene checks" + (")..." if no_reason else ", HermiT)..."),
                    spinner="dots"):
        report, result = run_checks(top, checks_dir, reason=not no_reason)
    with_data = _check_data(ctx, report, store, project) if data else None
    hermit: dict[str, Any] | None = None if result is None else {
        "consistent": result.consistent, "hermit_seconds": round(result.seconds, 3), "hermit_error": result.error}
    if with_data is not None:
        hermit = {**(hermit or {}), "with_data": {
            "consistent": with_data.consistent, "seconds": round(with_data.seconds, 3), "triples": with_data.triples,
            "set_aside": dict(with_data.set_aside), "error": with_data.error}}
    verdict = [] if result is None else [
        "HermiT: " + ("failed: " + str(result.error) if result.consistent is None else
                      "consistent" if result.consistent else "inconsistent")
        + f", {len(result.unsatisfiable)} unsatisfiable classes ({result.seconds:.1f} s)"]
    if with_data is not None:
        verdict.append(_data_verdict(with_data))
    writers = {"junit": to_junit, "html": lambda r: to_html(r, verdict),
               "json": lambda r: to_json(r, {"reasoner": hermit})}
    document = writers[fmt](report) if fmt in writers else None
    if document is not None and output is None:
        sys.stdout.write(document)
    else:
        _print_table(report)
        _print_reasoning(result)
        if with_data is not None:
            out.print(_data_verdict(with_data), highlight=False, soft_wrap=True)
        counts = ", ".join(f"{report.count(s)} {s}" for s in ROBOT_SEVERITIES)
        out.print(f"Findings: {counts}.", highlight=False, soft_wrap=True)
        if document is not None and output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(document, encoding="utf-8")
            out.print(f"Wrote {output} ({fmt}).", highlight=False, soft_wrap=True)
    raise typer.Exit(report.exit_code)


@exits_on_error
def format_ontology(
    ctx: typer.Context,
    ontology: OntologyOpt = None,
    check: Annotated[bool, typer.Option("--check", help="Only report files that are not canonical (exit 1 if "
                                                        "any); change nothing.")] = False,
    project: ProjectOpt = None,
) -> None:
    """Rewrite the cxgraph ontology files in canonical Turtle (vendored imports are left as published)."""
    top = ontology or project_at(ctx, project).ontology
    if not top.is_file():
        raise CxGraphError("ontology file not found", top)
    closure = load_closure(top)
    changed = format_files(closure, write=not check)
    owned = len(closure.owned())
    for path, line in changed:
        out.print(f"{'not canonical' if check else 'rewrote'}: {_where(path, line)}", highlight=False, soft_wrap=True)
    if check:
        out.print(f"{len(changed)} of {owned} files would be rewritten by `cxgraph format-ontology`." if changed
                  else f"All {owned} files are canonical.", highlight=False, soft_wrap=True)
        raise typer.Exit(1 if changed else 0)
    out.print(f"{len(changed)} of {owned} files rewritten; the others were canonical." if changed else
              f"All {owned} files were already canonical.", highlight=False, soft_wrap=True)


OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Folder to write index.html into (default: "
                                                "docs/ in the work folder beside the store, .cxgraph/docs).")]


@exits_on_error
def docs(ctx: typer.Context, project: ProjectOpt = None, output: OutputOpt = None) -> None:
    """Write HTML documentation of the ontology (all modules on one page) with pyLODE."""
    proj = project_at(ctx, project)
    page = write_docs(proj.ontology, output or work_folder(None).docs)
    out.print(f"Wrote {page}")


def register(app: typer.Typer) -> None:
    """Add the ontology commands to the `cxgraph` app."""
    app.command("check-ontology")(check_ontology)
    app.command("format-ontology")(format_ontology)
    app.command("docs")(docs)
