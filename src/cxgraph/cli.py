"""The `cxgraph` command: build the context graph, inspect it, ask it questions.

Exit codes follow pySHACL: 0 success, 1 does not conform (validation, later), 2 usage or input error.
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import __version__
from .cli_common import ProjectOpt, StoreOpt, err, out
from .cli_common import fail as _fail
from .cli_ontology import register as register_ontology
from .cli_reason import register as register_reason
from .cli_sparql import register as register_sparql
from .config import Project, load_project
from .errors import CxGraphError
from .load import BuildReport, build
from .mapping import engine_python
from .queries import NamedQuery, absent_iris, bind, load_catalog, parse_params, run
from .query_pool import QueryPool
from .remote import REMOTE_LOCK, STAGING_PREFIX, Endpoint, RemoteStore
from .render import FORMATS, printable, to_csv, to_json, to_table
from .serve import push_graphs
from .store import EmbeddedStore, default_store_path

if TYPE_CHECKING:
    from .validate import Result, Validation

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_enable=False,
                  help="cxgraph: an enterprise context graph for customer experience.")

DataOpt = Annotated[Path | None, typer.Option("--data", help="Folder holding the source exports "
                                              "(default: data_root of sources.yaml).")]
EndpointOpt = Annotated[str | None, typer.Option(
    "--endpoint", envvar="CXGRAPH_ENDPOINT",
    help="SPARQL 1.1 query URL of a remote store (Fuseki, Oxigraph, GraphDB...) to use instead of the embedded "
         "one; update/GSP URLs, credentials and the union-default-graph setting come from the root options or "
         "CXGRAPH_* variables (see README).")]
OnlyOpt = Annotated[list[str] | None, typer.Option("--only", help="Load only this source (repeatable); "
                                                   "the other sources' graphs stay as they are.")]

LABEL_PREFIXES = {
    "cx": "https://w3id.org/cxgraph/ontology#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "prov": "http://www.w3.org/ns/prov#",
}


def _prefixes(project: Project) -> dict[str, str]:
    """Prefixes a user may write parameters with: the ontology's and the project's data namespace."""
    return {**LABEL_PREFIXES, "id": project.id_iri("")}




def _project(project: Path | None, data: Path | None = None) -> Project:
    return load_project(project, data)


def _store_path(store: Path | None) -> Path:
    return store or default_store_path()


REMOTE: dict[str, object] = {}


def _open(store: Path | None, endpoint: str | None) -> EmbeddedStore | RemoteStore:
    """The embedded store, or the remote endpoint when --endpoint (or CXGRAPH_ENDPOINT) is given."""
    if endpoint:
        return RemoteStore(Endpoint.from_options(endpoint, **REMOTE))  # type: ignore[arg-type]
    return EmbeddedStore(_store_path(store))


def _catalog(project: Project) -> dict[str, NamedQuery]:
    """The named queries; a file whose header cannot be read is skipped with a warning naming it."""
    found, skipped = load_catalog(project.queries_dir)
    for problem in skipped:
        _warn(err, f"skipped {problem}")
    return found


def _query_timeout(given: float | None = None) -> float:
    """A query's time limit: --timeout, else $CXGRAPH_QUERY_TIMEOUT, else 60 s."""
    text = os.environ.get("CXGRAPH_QUERY_TIMEOUT", "60")
    try:
        value = given if given is not None else float(text)
    except ValueError:
        raise CxGraphError(f"CXGRAPH_QUERY_TIMEOUT must be a number of seconds, not {text!r}") from None
    if value <= 0:
        raise CxGraphError("the query time limit must be a positive number of seconds")
    return value


def _notices(graph: EmbeddedStore | RemoteStore) -> None:
    """What opening the store cleared up (a killed build's left-overs), said once on stderr."""
    for notice in getattr(graph, "notices", []):
        err.print(Text.assemble(("note: ", "yellow"), notice), soft_wrap=True)


def _work_dir(store_path: Path) -> Path:
    return store_path.resolve().parent


def _echo(message: str) -> None:
    err.print(message, highlight=False, markup=False)


def _warn(console: Console, *parts: str) -> None:
    console.print(Text.assemble(("warning: ", "yellow"), *(printable(p) for p in parts)), soft_wrap=True)


def _print_build(report: BuildReport) -> None:
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
            _warn(out, f"{problem.file}: {problem.message} ({problem.source}/{problem.record_set})")
    for name in report.check.unchecked:
        why = "it was refused" if name in report.refused else "its exports are not in the data folder"
        _warn(out, f"references into {name!r} were not checked: {why}")
    if report.dangling:
        by_source: dict[str, int] = defaultdict(int)
        for link in report.dangling:
            by_source[link.source] += 1
        for source, count in by_source.items():
            first = next(link for link in report.dangling if link.source == source)
            where = f" ({first.record[1]} {first.record[2]})" if first.record else ""
            _warn(out, f"{source}: {count} link(s) to resources nothing in the store describes, e.g. "
                       f"<{first.target}> from <{first.subject}>{where}")
    for graph in report.dropped_graphs:
        name = graph if graph.startswith("the default graph") else f"graph <{graph}>"
        _warn(out, f"removed {name}: no source or engine of this project writes it")
    for graph in report.unknown_graphs:
        name = graph if graph.startswith("the default graph") else f"graph <{graph}>"
        _warn(out, f"{name} is not this project's (a full build removes it)")
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


def _build(project: Project, store_path: Path, only: list[str] | None,
           store: EmbeddedStore | RemoteStore | None = None, allow_shrink: bool = False) -> BuildReport:
    store = store or EmbeddedStore(store_path)
    with err.status("Building the context graph (contracts, mappings, identity)...", spinner="dots") as status:
        return build(project, store, _work_dir(store_path), only=only,
                     echo=lambda message: status.update(Text(message)), allow_shrink=allow_shrink)


@app.command()
def setup() -> None:
    """Install the isolated mapping engine (morph-kgc) if it is not there yet."""
    try:
        python = engine_python(echo=_echo)
    except CxGraphError as exc:
        _fail(exc)
    out.print(f"Mapping engine ready: {python}")


def _refused(report: BuildReport) -> None:
    """A refused source: one line per problem, exit 2 (the rest of the build was published)."""
    if report.ok:
        return
    for name, problems in report.refused.items():
        for problem in problems:
            line = f":{problem.row}" if problem.row else ""
            kept = report.previous.get(name)
            kept_text = (f"its graph is kept as it was ({kept} triples)" if kept is not None
                         else "it has no graph yet")
            err.print(Text.assemble(("error: ", "bold red"),
                                    f"{problem.file}{line}: {problem.message}: source {name!r} refused, {kept_text}"),
                      soft_wrap=True)
    loaded = ", ".join(s.name for s in report.sources) or "none"
    err.print(Text(f"The other sources were loaded and published ({loaded})."), soft_wrap=True)
    raise typer.Exit(2)


MaxQuarantineOpt = Annotated[float, typer.Option(
    "--max-quarantine", help="Share of a source's rows that may be quarantined before the build exits 1 "
                             "(the graphs are published either way).")]


def _over_quarantine(report: BuildReport, limit: float) -> None:
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


@app.command("build")
def build_cmd(project: ProjectOpt = None, store: StoreOpt = None, data: DataOpt = None,
              only: OnlyOpt = None, endpoint: EndpointOpt = None,
              allow_shrink: Annotated[bool, typer.Option(
                  "--allow-shrink", help="Load a source even when it has far fewer rows than its last load "
                                         "(max_shrink in sources.yaml).")] = False,
              max_quarantine: MaxQuarantineOpt = 0.05) -> None:
    """Load every source (or --only some) through contracts and mappings into the store."""
    try:
        if not 0 <= max_quarantine <= 1:
            raise CxGraphError("--max-quarantine is a share between 0 and 1 (e.g. 0.05)")
        target = _open(store, endpoint)
        report = _build(_project(project, data), _store_path(store), only, target, allow_shrink)
    except CxGraphError as exc:
        _fail(exc)
    _print_build(report)
    _refused(report)
    _over_quarantine(report, max_quarantine)


@app.command()
def demo(project: ProjectOpt = None, store: StoreOpt = None) -> None:
    """Build the sample enterprise, validate it (reports beside the quarantine report) and answer the
    competency questions with their example parameters."""
    from .validate import WRITERS, run_validation

    try:
        proj = _project(project)
        store_path = _store_path(store)
        graph = EmbeddedStore(store_path)
        report = _build(proj, store_path, None, graph)
        _print_build(report)
        _refused(report)
        with err.status("Validating with pySHACL...", spinner="dots"):
            validation = run_validation(graph, proj)
        out.print()
        _print_validation(validation, out)
        folder = report.quarantine_csv.parent
        for name in ("html", "json"):
            target = folder / f"validation{REPORT_SUFFIX[name]}"
            target.write_text(WRITERS[name](validation), encoding="utf-8")
        out.print(f"Validation report: {folder / 'validation.html'} and validation.json.")
        queries = _catalog(proj)
        with QueryPool(store_path, size=1, timeout=_query_timeout()) as pool:
            for query in queries.values():
                answer = run(graph, query, query.examples, _prefixes(proj), pool=pool)
                shown = ", ".join(f"{k}={v}" for k, v in query.examples.items())
                out.print()
                out.print(Text.assemble((query.title, "bold"), f"  ({query.name}{': ' + shown if shown else ''})"))
                out.print(to_table(answer, {**_prefixes(proj), **query.prefixes}))
    except CxGraphError as exc:
        _fail(exc)


@app.command()
def stats(store: StoreOpt = None, project: ProjectOpt = None, endpoint: EndpointOpt = None) -> None:
    """Per named graph: triples and when it was last loaded; graphs that are not this project's are flagged."""
    try:
        proj = _project(project)
        graph = _open(store, endpoint)
        loaded = {
            row["g"].value: row["t"].value
            for row in graph.query(
                "PREFIX cx: <https://w3id.org/cxgraph/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#> "
                "SELECT ?g (MAX(?end) AS ?t) WHERE { ?a a cx:SourceLoad ; cx:hasTargetGraph ?gl ; "
                "prov:endedAtTime ?end BIND(STR(?gl) AS ?g) } GROUP BY ?g")
        }
        _notices(graph)
        table = Table(title="Named graphs", title_justify="left")
        table.add_column("graph")
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
        if isinstance(graph, RemoteStore):
            hidden = [g for g in graph.all_graphs() if g.startswith(STAGING_PREFIX)]
            if REMOTE_LOCK in hidden:
                _warn(err, "a build holds this store's lock (running, or killed: the next build says which)")
            staging = [g for g in hidden if g != REMOTE_LOCK]
            if staging:
                _warn(err, f"{len(staging)} staging graph(s) of a build in progress or killed are on the store (not "
                           "counted above; a server that unions its graphs shows them to other readers); the next "
                           "build removes left-overs")
        for name in unknown:
            if not name:
                _warn(err, f"the store's default graph holds {default} triples that no source or engine of this "
                           "project writes: queries read them; `cxgraph build` (a full build) removes them")
                continue
            _warn(err, f"graph <{name}> is not written by any source or by the engine of this project: queries "
                       "read it; `cxgraph build` (a full build) removes it")
    except CxGraphError as exc:
        _fail(exc)


@app.command()
def export(
    file: Annotated[Path, typer.Argument(help="Output file.")],
    fmt: Annotated[str, typer.Option("--format", help="nquads or trig")] = "nquads",
    store: StoreOpt = None,
    endpoint: EndpointOpt = None,
) -> None:
    """Dump every named graph (what Fuseki's TDB2 loader or any bulk loader takes)."""
    try:
        graph = _open(store, endpoint)
        graph.dump(file, fmt)
    except CxGraphError as exc:
        _fail(exc)
    out.print(f"Wrote {file} ({fmt}).")


@app.command("queries")
def list_queries(project: ProjectOpt = None) -> None:
    """List the named competency queries and their parameters."""
    try:
        found = _catalog(_project(project))
    except CxGraphError as exc:
        _fail(exc)
    table = Table(title="Queries", title_justify="left", show_lines=True)
    for column in ("name", "title", "parameters"):
        table.add_column(column, overflow="fold")
    for q in found.values():
        params = "\n".join(f"{p.name} ({p.type}), e.g. {p.example}" for p in q.params.values())
        table.add_row(Text(q.name), Text.assemble(q.title, "\n", (q.question, "dim")), Text(params or "-"))
    out.print(table)


@app.command()
def query(
    name: Annotated[str, typer.Argument(help="Query name (see `cxgraph queries`).")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="key=value (repeatable).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json (SPARQL results JSON) or csv")] = "table",
    store: StoreOpt = None,
    project: ProjectOpt = None,
    endpoint: EndpointOpt = None,
    timeout: Annotated[float | None, typer.Option(
        "--timeout", help="Time limit in seconds (default $CXGRAPH_QUERY_TIMEOUT or 60); the query is stopped then.")]
    = None,
) -> None:
    """Run one named query with its parameters bound as RDF terms, stopped at its time limit."""
    try:
        if fmt not in FORMATS:
            raise CxGraphError(f"unknown format {fmt!r}; use {', '.join(FORMATS)}")
        proj = _project(project)
        found = _catalog(proj)
        if name not in found:
            raise CxGraphError(f"no query named {name!r}; known: {', '.join(found)}")
        values = parse_params(param or [])
        named = found[name]
        bind(named, values, _prefixes(proj))  # check parameters before opening the store
        graph = _open(store, endpoint)
        if isinstance(graph, EmbeddedStore):
            if not graph.exists():
                raise CxGraphError("no store here yet; run `cxgraph build` first", graph.path)
            with QueryPool(_store_path(store), size=1, timeout=_query_timeout(timeout)) as pool:
                answer = run(graph, named, values, _prefixes(proj), pool=pool)
                absent = absent_iris(graph, bind(named, values, _prefixes(proj)), pool) if not answer.rows else []
        else:
            answer = run(graph, named, values, _prefixes(proj))
            absent = absent_iris(graph, bind(named, values, _prefixes(proj))) if not answer.rows else []
    except CxGraphError as exc:
        _fail(exc)
    for iri in absent:
        _warn(err, f"<{iri}> occurs nowhere in the store: is the identifier or the prefix right? (id: is "
                   f"<{proj.id_iri('')}>)")
    if fmt == "json":
        sys.stdout.write(to_json(answer) + "\n")
    elif fmt == "csv":
        sys.stdout.write(to_csv(answer))
    else:
        out.print(to_table(answer, {**_prefixes(proj), **named.prefixes}, title=named.title))


REPORT_SUFFIX = {"turtle": ".ttl", "junit": ".xml", "html": ".html", "json": ".json"}


@app.command()
def validate(
    fmt: Annotated[list[str] | None, typer.Option(
        "--format", help="Report format: turtle (sh:ValidationReport), junit, html or json; repeatable.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", help="Report file (one format) or folder (several); default: standard output.")] = None,
    fail_on: Annotated[str, typer.Option(
        "--fail-on", help="Lowest severity that fails the run: violation, warning or info.")] = "violation",
    shapes: Annotated[list[Path] | None, typer.Option(
        "--shapes", help="Shape profile folder or file, repeatable (default: the registry's `shapes:`).")] = None,
    store: StoreOpt = None,
    project: ProjectOpt = None,
    endpoint: EndpointOpt = None,
) -> None:
    """Validate the graph with the SHACL shapes (pySHACL). Exit 0 conforms, 1 does not, 2 error."""
    from .validate import SEVERITIES, run_validation, to_junit

    formats = fmt or []
    try:
        if fail_on.capitalize() not in SEVERITIES:
            raise CxGraphError(f"--fail-on takes violation, warning or info, not {fail_on!r}")
        unknown = [f for f in formats if f not in REPORT_SUFFIX]
        if unknown:
            raise CxGraphError(f"unknown report format {unknown[0]!r}; use {', '.join(REPORT_SUFFIX)}")
        if len(formats) > 1 and output is None:
            raise CxGraphError("several --format need --output FOLDER")
        proj = _project(project)
        with err.status("Validating with pySHACL...", spinner="dots"):
            result = run_validation(_open(store, endpoint), proj, shapes)
    except CxGraphError as exc:
        _fail(exc)
    from .validate import WRITERS

    to_stdout = bool(formats) and output is None
    summary = err if to_stdout else out
    _print_validation(result, summary)
    for name in formats:
        text = to_junit(result, fail_on) if name == "junit" else WRITERS[name](result)
        if to_stdout:
            sys.stdout.write(text)
            continue
        # a folder: several formats, an existing folder, or a name without suffix (`--output DIR/` loses its slash)
        into_folder = len(formats) > 1 or output.is_dir() or (not output.exists() and not output.suffix)
        target = output / f"validation{REPORT_SUFFIX[name]}" if into_folder else output
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        summary.print(f"Wrote {target} ({name}).")
    raise typer.Exit(1 if result.failing(fail_on) else 0)


def _print_validation(result: Validation, console: Console) -> None:
    """The grouped summary: per severity and shape, how many results and which focus nodes."""
    groups: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for r in result.results:
        groups[(r.severity, r.shape_label)].append(r)
    table = Table(title="Validation results by shape", title_justify="left", show_lines=True)
    for column in ("severity", "shape", "results", "focus nodes (source system)"):
        table.add_column(column, overflow="fold")
    colours = {"Violation": "red", "Warning": "yellow", "Info": "blue"}
    for (severity, label), items in sorted(groups.items(), key=lambda g: (("Violation", "Warning", "Info")
                                                                          .index(g[0][0]), g[0][1])):
        shown = [f"{i.focus.rsplit('/id/', 1)[-1]} ({i.origin.source if i.origin else '?'})" for i in items[:6]]
        if len(items) > 6:
            shown.append(f"... and {len(items) - 6} more")
        table.add_row(Text(severity, style=colours[severity]), Text(printable(label)), str(len(items)),
                      Text(printable("\n".join(shown))))
    if result.results:
        console.print(table)
    counts = ", ".join(f"{n} {s.lower()}{'s' if n != 1 else ''}" for s, n in result.counts.items())
    verdict = Text("conforms", style="green") if not result.results else Text(counts)
    console.print(Text.assemble(f"Validated {result.data_triples} triples against {len(result.shapes)} shapes in "
                                f"{result.seconds:.1f} s: ", verdict, "."))
    for graph in result.unknown_graphs:
        name = graph if graph.startswith("the default graph") else f"graph <{graph}>"
        _warn(console, f"{name} is not written by any source or by the engine of this project; it was "
                       "validated with the rest (a full `cxgraph build` removes it)")


@app.command()
def push(
    endpoint: Annotated[str, typer.Option("--endpoint", envvar="CXGRAPH_ENDPOINT",
                                          help="SPARQL query URL of the remote store.")],
    store: StoreOpt = None,
) -> None:
    """Upload every named graph of the embedded store to a remote store (staged, then swapped in)."""
    try:
        local = EmbeddedStore(_store_path(store), read_only=True)
        remote = _open(None, endpoint)
        pushed = push_graphs(local, remote, _work_dir(_store_path(store)) / "build.lock")
    except CxGraphError as exc:
        _fail(exc)
    table = Table(title=f"Pushed to {endpoint}", title_justify="left")
    table.add_column("graph")
    table.add_column("triples", justify="right")
    for graph, count in pushed:
        table.add_row(graph, str(count))
    out.print(table)


@app.command()
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

    from .endpoint import EndpointConfig, create_app

    try:
        path = _store_path(store)
        if not EmbeddedStore(path).exists():
            raise CxGraphError("no store here yet; run `cxgraph build` first", path)
        if not 0 < port < 65536:
            raise CxGraphError(f"--port must be between 1 and 65535, not {port}")
        if timeout <= 0 or workers < 1 or memory_mb < 64 or max_answer_mb < 1:
            raise CxGraphError("--timeout, --workers, --memory-mb (at least 64) and --max-answer-mb must be positive")
        config = EndpointConfig(store=path, project_lock=path.resolve().parent / "build.lock", timeout=timeout,
                                workers=workers, memory_mb=memory_mb, max_answer_mb=max_answer_mb, writable=writable,
                                allow_service=allow_service, hosts=[host, *(allow_host or [])])
        app = create_app(config)
    except CxGraphError as exc:
        _fail(exc)
    mode = "read-write" if writable else "read-only"
    base = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    out.print(Text(f"SPARQL endpoint: {base}/query ({mode}, queries limited to {timeout:g} s and {memory_mb} MB; the "
                   f"default graph is the union of all named graphs; answers follow each finished build). "
                   "Ctrl-C stops it."), soft_wrap=True)
    if writable:
        out.print(Text(f"Update: {base}/update  Graph Store: {base}/store"), soft_wrap=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        _warn(err, f"bound to {host}: this endpoint has no authentication or TLS; put a proxy in front")
    sys.stdout.flush()
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
    update_endpoint: Annotated[str | None, typer.Option(
        "--update-endpoint", envvar="CXGRAPH_UPDATE_ENDPOINT", help="SPARQL Update URL of the remote store.")] = None,
    gsp_endpoint: Annotated[str | None, typer.Option(
        "--gsp-endpoint", envvar="CXGRAPH_GSP_ENDPOINT", help="Graph Store Protocol URL of the remote store.")]
    = None,
    user: Annotated[str | None, typer.Option("--user", envvar="CXGRAPH_ENDPOINT_USER",
                                             help="User for HTTP basic authentication.")] = None,
    password: Annotated[str | None, typer.Option("--password", envvar="CXGRAPH_ENDPOINT_PASSWORD",
                                                 help="Password for HTTP basic authentication.")] = None,
    registry: Annotated[Path | None, typer.Option(
        "--registry", envvar="CXGRAPH_REGISTRY",
        help="The source registry to use instead of the project's loaders/sources.yaml (an enterprise kept beside "
             "the sample); its paths are relative to its own folder.")] = None,
    union_default_graph: Annotated[bool, typer.Option(
        "--union-default-graph", envvar="CXGRAPH_UNION_DEFAULT_GRAPH",
        help="The remote store already uses the union of its named graphs as default graph; otherwise every "
             "query names all graphs explicitly.")] = False,
) -> None:
    if registry is not None:
        os.environ["CXGRAPH_REGISTRY"] = str(registry.resolve())
    REMOTE.update({"update": update_endpoint, "gsp": gsp_endpoint, "user": user, "password": password,
                   "union_default_graph": union_default_graph})
    if version:
        out.print(f"cxgraph {__version__}")
        raise typer.Exit(0)


register_ontology(app)
register_reason(app)
register_sparql(app)


def main() -> None:
    """Console-script entry point: an unexpected error is one line and exit 2 (CXGRAPH_DEBUG=1: traceback)."""
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    if os.environ.get("CXGRAPH_DEBUG"):
        app()
        return
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        err.print("interrupted", style="bold red")
        sys.exit(130)
    except Exception as exc:  # a bug or an environment failure: say what, not a wall of traceback
        err.print(Text.assemble(("error: ", "bold red"), f"{type(exc).__name__}: {exc} (internal error; run with "
                                "CXGRAPH_DEBUG=1 to see where)"), soft_wrap=True)
        sys.exit(2)
