"""`cxgraph setup`, `build` and `demo`: get the machine ready, load the sources, show the sample end to end."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cxgraph.answer.queries import run
from cxgraph.answer.recommend import triage, write_triage
from cxgraph.answer.render import printable, to_table
from cxgraph.build.mapping import engine_python
from cxgraph.build.pipeline import BuildReport, build
from cxgraph.cli.common import (
    DataOpt,
    EndpointOpt,
    ProjectOpt,
    StoreOpt,
    echo,
    err,
    exits_on_error,
    open_store,
    out,
    prefixes,
    project_at,
    query_timeout,
    store_path,
    warn,
)
from cxgraph.cli.progress import board
from cxgraph.cli.query import named_queries
from cxgraph.cli.validate import REPORT_SUFFIX, print_validation
from cxgraph.errors import CxGraphError
from cxgraph.project import Project, WorkFolder
from cxgraph.stores.embedded import EmbeddedStore
from cxgraph.stores.query_pool import QueryPool
from cxgraph.stores.remote import RemoteStore
from cxgraph.system import install_system_packages, missing_system_packages

OnlyOpt = Annotated[list[str] | None, typer.Option("--only", help="Load only this source (repeatable); "
                                                   "the other sources' graphs stay as they are.")]
MaxQuarantineOpt = Annotated[float, typer.Option(
    "--max-quarantine", help="Share of a source's rows that may be quarantined before the build exits 1 "
                             "(the graphs are published either way).")]


@exits_on_error
def setup(
    system: Annotated[bool, typer.Option(
        "--system/--no-system", help="Also install the system packages (Java for HermiT, the OWL API, Jena) with "
                                     "apt-get when this user can; otherwise say the command.")] = True,
) -> None:
    """Install the isolated mapping engine (morph-kgc) and, where possible, the system packages cxgraph uses."""
    python = engine_python(echo=echo)
    out.print(f"Mapping engine ready: {python}")
    if not system:
        return
    missing = missing_system_packages()
    tried = bool(missing) and install_system_packages(missing, echo=echo) is not None
    still = missing_system_packages()
    for package in missing:
        state = "missing" if package in still else "installed"
        out.print(f"{package.name} ({package.purpose}): {state}", highlight=False, soft_wrap=True)
    if still:
        why = "apt-get failed" if tried else "no root, password-less sudo or apt-get here"
        warn(out, f"not installed ({why}); run: "
                  f"sudo apt-get install -y {' '.join(p.name for p in still)}  (the commands that need them say so; "
                  "build, validate and queries do not)")
    elif not missing:
        out.print("System packages ready: " + ", ".join(p.name for p in missing_system_packages(all_packages=True)),
                  highlight=False, soft_wrap=True)


def print_build(report: BuildReport) -> None:
    table = Table(title="Sources loaded", title_justify="left")
    for column in ("source", "rows read", "loaded", "quarantined", "triples", "graph"):
        table.add_column(column, justify="right" if column not in ("source", "graph") else "left")
    for s in report.sources:
        table.add_row(Text(s.name), str(s.rows_read), str(s.rows_loaded),
                      Text(str(s.rows_quarantined), style="red" if s.rows_quarantined else ""), str(s.triples),
                      Text(s.graph))
    for name in report.refused:
        kept = report.previous.get(name)
        table.add_row(Text(name), "-", "-", "-", Text("refused", style="bold red"),
                      Text(f"kept as it was ({kept} triples)" if kept is not None else "no graph yet"))
    out.print(table)
    for notice in report.notices:
        out.print(Text.assemble(("note: ", "yellow"), notice), soft_wrap=True)
    refused = {i for issues in report.refused.values() for i in issues}
    for problem in report.file_problems:
        if problem not in refused:
            warn(out, f"{problem.file}: {problem.message} ({problem.source}/{problem.record_set})")
    for name in report.check.unchecked:
        why = "it was refused" if name in report.refused else "its exports are not in the data folder"
        warn(out, f"references into {name!r} were not checked: {why}")
    if report.dangling:
        by_source: dict[str, int] = defaultdict(int)
        for link in report.dangling:
            by_source[link.source] += 1
        for source, count in by_source.items():
            first = next(link for link in report.dangling if link.source == source)
            where = f" ({first.record[1]} {first.record[2]})" if first.record else ""
            warn(out, f"{source}: {count} link(s) to resources nothing in the store describes, e.g. "
                      f"<{first.target}> from <{first.subject}>{where}")
    for graph in report.dropped_graphs:
        name = graph if graph.startswith("the default graph") else f"graph <{graph}>"
        warn(out, f"removed {name}: no source or engine of this project writes it")
    for graph in report.unknown_graphs:
        name = graph if graph.startswith("the default graph") else f"graph <{graph}>"
        warn(out, f"{name} is not this project's (a full build removes it)")
    ident = report.identity
    out.print(f"Identity resolution: {ident['records']} customer records -> {ident['parties']} parties "
              f"({ident['linked']} linked across records).")
    if report.inferred:
        out.print(f"Reasoning: {report.inferred.get('triples', 0)} triples materialized into the inferred graph "
                  f"in {report.inferred.get('milliseconds', 0)} ms.")
    rules = {k: v for k, v in report.derived.items() if k != "milliseconds"}
    if rules:
        out.print("Rules: " + ", ".join(f"{rule} {count} triples" for rule, count in rules.items())
                  + f" in the derived graph ({report.derived.get('milliseconds', 0)} ms).")
    out.print(f"Quarantined rows: {report.quarantined}; report: {report.quarantine_csv} and "
              f"{report.quarantine_json.name}. Built in {report.seconds:.1f} s.")
    if report.stages:
        out.print("Time per stage: " + ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in report.stages.items())
                  + ".", soft_wrap=True)
    if report.stage_peak_mib:  # the mapping engine's own processes apart
        out.print(f"Peak memory of the build process: {max(report.stage_peak_mib.values()):,} MiB; per stage: "
                  + ", ".join(f"{stage} {mib:,} MiB" for stage, mib in report.stage_peak_mib.items()) + ".",
                  soft_wrap=True)


def run_build(project: Project, store: Path, only: list[str] | None,
              target: EmbeddedStore | RemoteStore | None = None, allow_shrink: bool = False,
              keep_staging: bool = False, spark: str | None = None) -> BuildReport:
    """Build with progress per stage and source: the current step, and bars for the long ones."""
    target = target or EmbeddedStore(store)
    with board("Building the context graph (contracts, mappings, identity)...") as shown:
        if isinstance(target, RemoteStore):
            target.tick = shown.tick
        return build(project, target, WorkFolder.beside(store).root, only=only, echo=shown.say,
                     allow_shrink=allow_shrink, tick=shown.tick, keep_staging=keep_staging, spark=spark)


def exit_if_refused(report: BuildReport) -> None:
    """A refused source: one line per problem, exit 2 (the rest of the build was published)."""
    if report.ok:
        return
    for name, problems in report.refused.items():
        # one line per problem, not per record set: a file holding several (policies, rules, their actions) is
        # refused once
        shown = dict.fromkeys((p.file, f":{p.row}" if p.row else "", p.message) for p in problems)
        kept = report.previous.get(name)
        kept_text = f"its graph is kept as it was ({kept} triples)" if kept is not None else "it has no graph yet"
        for file, line, message in shown:
            err.print(Text.assemble(("error: ", "bold red"),
                                    f"{file}{line}: {message}: source {name!r} refused, {kept_text}"), soft_wrap=True)
    loaded = ", ".join(s.name for s in report.sources) or "none"
    err.print(Text(f"The other sources were loaded and published ({loaded})."), soft_wrap=True)
    raise typer.Exit(2)


def exit_if_over_quarantine(report: BuildReport, limit: float) -> None:
    """Exit 1 (a verdict, as pySHACL's "does not conform") when a source set aside too many of its rows."""
    over = [s for s in report.sources if s.rows_read and s.rows_quarantined / s.rows_read > limit]
    if not over:
        return
    for summary in over:
        reasons: dict[tuple[str, str], int] = defaultdict(int)
        for issue in report.check.issues_for(summary.name):
            reasons[(issue.rule, issue.column)] += 1
        top = sorted(reasons.items(), key=lambda item: -item[1])[:3]
        shown = "; ".join(f"{n} {rule}" + (f" on {column}" if column else "") for (rule, column), n in top)
        err.print(Text.assemble(("error: ", "bold red"), printable(
            f"{summary.name}: {summary.rows_quarantined} of {summary.rows_read} rows quarantined "
            f"({summary.rows_quarantined / summary.rows_read:.0%}, more than --max-quarantine {limit:.0%}); top "
            f"reasons: {shown}; see {report.quarantine_csv}")), soft_wrap=True)
    raise typer.Exit(1)


@exits_on_error
def build_cmd(ctx: typer.Context, project: ProjectOpt = None, store: StoreOpt = None, data: DataOpt = None,
              only: OnlyOpt = None, endpoint: EndpointOpt = None,
              allow_shrink: Annotated[bool, typer.Option(
                  "--allow-shrink", help="Load a source even when it has far fewer rows than its last load "
                                         "(max_shrink in sources.yaml).")] = False,
              max_quarantine: MaxQuarantineOpt = 0.05,
              keep_staging: Annotated[bool, typer.Option(
                  "--keep-staging", help="Keep the mapping engine's input tables and N-Quads output in the work "
                                         "folder's staging/ (by default they are deleted once loaded).")] = False,
              spark: Annotated[str | None, typer.Option(
                  "--spark", metavar="MASTER", envvar="CXGRAPH_SPARK_MASTER",
                  help="Run the mapping stage on Apache Spark, a task per source: local[2], spark://host:7077 "
                       "(needs pip install -e '.[spark]').")] = None,
              ) -> None:
    """Load every source (or --only some) through contracts and mappings into the store."""
    if not 0 <= max_quarantine <= 1:
        raise CxGraphError("--max-quarantine is a share between 0 and 1 (e.g. 0.05)")
    target = open_store(ctx, store, endpoint)
    report = run_build(project_at(ctx, project, data), store_path(store), only, target, allow_shrink, keep_staging,
                       spark)
    print_build(report)
    exit_if_refused(report)
    exit_if_over_quarantine(report, max_quarantine)


@exits_on_error
def demo(ctx: typer.Context, project: ProjectOpt = None, store: StoreOpt = None) -> None:
    """Build the sample enterprise, validate it (reports beside the quarantine report) and answer the
    competency questions with their example parameters."""
    from cxgraph.check.validate import WRITERS, run_validation

    proj = project_at(ctx, project)
    path = store_path(store)
    graph = EmbeddedStore(path)
    report = run_build(proj, path, None, graph)
    print_build(report)
    exit_if_refused(report)
    with err.status("Validating...", spinner="dots"):
        validation = run_validation(graph, proj)
    out.print()
    print_validation(validation, out, proj.id_iri(""))
    folder = report.quarantine_csv.parent
    for name in ("html", "json"):
        target = folder / f"validation{REPORT_SUFFIX[name]}"
        target.write_text(WRITERS[name](validation), encoding="utf-8")
    out.print(f"Validation report: {folder / 'validation.html'} and validation.json.")
    items = triage(graph, proj)  # kept, so the recommendations query below has its example's answer
    write_triage(graph, proj, items, WorkFolder.beside(path).lock, datetime.now(UTC), every_case=True)
    unruled = sum(1 for item in items if not item.firings)
    out.print(f"Triage: {len(items)} open cases, {len(items) - unruled} routed by the catalog's rules and {unruled} "
              "that no rule covers, kept as recommendations (cxgraph recommend triage shows why).")
    queries = named_queries(proj)
    with QueryPool(path, size=1, timeout=query_timeout()) as pool:
        for query in queries.values():
            answer = run(graph, query, query.examples, prefixes(proj), pool=pool)
            shown = ", ".join(f"{k}={v}" for k, v in query.examples.items())
            out.print()
            out.print(Text.assemble((query.title, "bold"), f"  ({query.name}{': ' + shown if shown else ''})"))
            out.print(to_table(answer, {**prefixes(proj), **query.prefixes}))
    out.print()
    out.print(Text.assemble(("Next: ", "bold"), "more recommendations from the catalog's rules, with their reasons: "
                            "cxgraph recommend triage [CASE] | recover ORDER | suppress CAMPAIGN | outreach SIGNAL; "
                            "a decision explained: cxgraph explain DECISION "
                            "(README, \"Recommendations and explanations\"); everything about one customer for an "
                            "assistant: cxgraph context customer 0030000101; the HTTP API, MCP server and browser "
                            "view: cxgraph api, cxgraph mcp."))


def register(app: typer.Typer) -> None:
    """Add `setup`, `build` and `demo` to the cxgraph command."""
    app.command("setup")(setup)
    app.command("build")(build_cmd)
    app.command("demo")(demo)
