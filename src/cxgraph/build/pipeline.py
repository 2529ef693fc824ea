"""The build pipeline: contracts, staging, YARRRML mapping, named graphs, provenance, identity, reasoning.

A build works in a private workspace (stores/embedded.py, stores/remote.py) and publishes every graph it
touches (the sources it loads, their provenance and lineage, the identity, inferred and ontology graphs) in
one step that readers see wholly or not at all. A source whose exports cannot be read is refused: it is not
mapped, its graph stays as it was, references into it are not checked (so nothing cascades), and the build
says so and exits non-zero. Every row is either quarantined with its reason or counted in the graph: a row whose
subject does not reach the graph fails the build.
"""

from __future__ import annotations

import csv
import json
import secrets
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from cxgraph import faults, peak_memory
from cxgraph.build.checking import Checked, CheckResult, Issue, MappingNeeds, check
from cxgraph.build.contract import Contract, load_contracts
from cxgraph.build.derive import as_of_day, derive
from cxgraph.build.identity import resolve
from cxgraph.build.ingest import Ingested, ingest
from cxgraph.build.inputs import Inputs, applied, build_quads, current, recorded
from cxgraph.build.iri import expand_template
from cxgraph.build.mapping import MappingRule, check_mapping, mapping_cost, start_mapping, write_staged_mapping
from cxgraph.build.materialize import materialize
from cxgraph.build.provenance import (
    LoadRecord,
    lineage_quads,
    load_quads,
    registry_quads,
    sha256,
)
from cxgraph.build.staging import stage
from cxgraph.build.subject_rows import AnySubject, SubjectRows
from cxgraph.build.values import value_text
from cxgraph.errors import CxGraphError
from cxgraph.lineage import activity_iri
from cxgraph.ontology import Closure, require_closure
from cxgraph.progress import Tick, silent
from cxgraph.project import Project, Source, WorkFolder, mapping_graph
from cxgraph.stores.embedded import EmbeddedStore, Workspace
from cxgraph.vocab import sparql_prologue
from cxgraph.xsd import ontology_datatypes


@dataclass
class SourceSummary:
    """Per source: rows read / loaded (counted in the graph) / quarantined and the triples in its graph."""

    name: str
    graph: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    triples: int


@dataclass
class DanglingLink:
    """A link a source wrote to a resource that nothing in the store describes."""

    source: str
    subject: str
    predicate: str
    target: str
    record: tuple[str, str, str] | None = None  # (record set, file, locator) of the row that wrote it


@dataclass
class BuildReport:
    sources: list[SourceSummary]
    check: CheckResult
    identity: dict[str, int]
    quarantine_csv: Path
    quarantine_json: Path
    seconds: float
    file_problems: list[Issue] = field(default_factory=list)
    inferred: dict[str, int] = field(default_factory=dict)
    derived: dict[str, int] = field(default_factory=dict)  # triples per rule id, and milliseconds
    refused: dict[str, list[Issue]] = field(default_factory=dict)
    previous: dict[str, int] = field(default_factory=dict)  # refused source -> triples kept in its graph
    dangling: list[DanglingLink] = field(default_factory=list)
    unknown_graphs: list[str] = field(default_factory=list)
    dropped_graphs: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage, in the order they ran
    stage_peak_mib: dict[str, int] = field(default_factory=dict)  # the build process's peak memory per stage

    @property
    def quarantined(self) -> int:
        return sum(s.rows_quarantined for s in self.sources)

    @property
    def ok(self) -> bool:
        """False when a source was refused: the build published the rest but must not exit 0."""
        return not self.refused


class StageClock:
    """Seconds and peak memory per build stage: each `lap(name)` charges the time since the previous lap to
    `name`, and the most memory the build process held meanwhile (where the system can tell: `peak_memory`).
    The memory tells which stage sets a build's peak, which the time does not: at 100,000 customers the rules'
    stage took 5% of the time and set the peak, until the late-delivery rule was reshaped."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.peak_mib: dict[str, int] = {}
        self._watching = peak_memory.reset()
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._last
        self._last = now
        self._charge_memory(name)

    def lap_at(self, name: str, when: float | None) -> None:
        """Charge the time up to `when` (a perf_counter reading; None: nothing) to `name`, and the peak memory
        up to now (it cannot be read back in time)."""
        if when is not None and when > self._last:
            self.seconds[name] = self.seconds.get(name, 0.0) + when - self._last
            self._last = when
            self._charge_memory(name)

    def _charge_memory(self, name: str) -> None:
        peak = peak_memory.peak_mib() if self._watching else None
        if peak is not None:
            self.peak_mib[name] = max(self.peak_mib.get(name, 0), peak)
            peak_memory.reset()


@dataclass
class BuildPlan:
    """What the build decided before touching any row: contracts, the checked mappings and what they need."""

    contracts: dict[str, Contract]
    rules: dict[str, list[MappingRule]]  # per source, its mapping's rules
    docs: dict[str, Any]  # per source, its mapping as YARRRML
    needs: dict[tuple[str, str], MappingNeeds]
    closure: Closure | None  # the ontology's imports closure (None: no ontology file; loading says so)

    @property
    def ontology_files(self) -> list[Path]:
        """The ontology's files as the build read them: its imports closure and the catalog that resolved it."""
        if self.closure is None:
            return []
        return [*(module.path for module in self.closure.files), self.closure.catalog]


def plan_build(project: Project, selected: list[Source]) -> BuildPlan:
    """Read the contracts and the ontology once, and check each selected source's mapping against them."""
    contracts = load_contracts(project)
    closure = require_closure(project.ontology) if project.ontology.is_file() else None
    ranges = ontology_datatypes(closure.graph) if closure else {}
    checked = {s.name: check_mapping(s, contracts[s.name], ranges) for s in selected}
    rules = {name: found for name, (_doc, found) in checked.items()}
    return BuildPlan(contracts, rules, {name: doc for name, (doc, _rules) in checked.items()}, mapping_needs(rules),
                     closure)


def load_ontology(store: EmbeddedStore, project: Project, closure: Closure | None = None) -> int:
    """The ontology's imports closure (as Protégé opens it), in its own graph, so queries can read labels."""
    target = project.graph_iri("ontology")
    store.drop_graph(target)
    if not project.ontology.exists():
        return 0
    for module in (closure or require_closure(project.ontology)).files:
        try:
            store.load_graph(module.path, target)
        except SyntaxError as exc:
            raise CxGraphError(f"ontology file does not parse: {exc}", module.path) from None
    return store.count(target)


def ontology_ranges(project: Project) -> dict[str, str]:
    """Each data property's datatype in the project's ontology (the mapping check compares literals with it)."""
    if not project.ontology.is_file():
        return {}  # loading the ontology reports it, after the mapping checks
    return ontology_datatypes(require_closure(project.ontology).graph)


def mapping_needs(plans: dict[str, list[MappingRule]]) -> dict[tuple[str, str], MappingNeeds]:
    """Per record set: the fields its subject templates need and the fields written raw into IRIs."""
    needs: dict[tuple[str, str], MappingNeeds] = {}
    for source, rules in plans.items():
        for rule in rules:
            need = needs.setdefault((source, rule.record_set.name), MappingNeeds())
            if rule.subject:
                refs = tuple(r for r in _references(rule.subject) if r not in need.subject_fields)
                need.subject_fields = need.subject_fields + refs
            for name, kinds in rule.raw_iri.items():
                need.raw_iri.setdefault(name, set()).update(kinds)
    return needs


def _references(template: str) -> list[str]:
    import re

    return re.findall(r"\$\(([^)]*)\)", template)


def expected_subjects(source: str, rules: list[MappingRule], checked: Checked) -> SubjectRows:
    """subject IRI -> the accepted rows (record set, index) whose subject templates give it."""
    subjects = SubjectRows()
    for rule in rules:
        if not rule.subject:
            continue
        state = checked.states.get((source, rule.record_set.name))
        if state is None:
            continue
        refs = _references(rule.subject)
        held = state.records
        for index in range(len(held)):
            if index in state.bad:
                continue
            values = {r: value_text(held.value(index, r)) or "" for r in refs}
            iri = expand_template(rule.subject, rule.prefixes, values)
            if iri is not None:
                subjects.add(iri, rule.record_set.name, index)
    return subjects


def previous_rows(store: Any, project: Project) -> dict[tuple[str, str], int]:
    """Records read per (source graph, file) by the last load of each source (empty on a new store)."""
    try:
        if not store.exists():
            return {}
    except AttributeError:
        pass
    except CxGraphError:
        return {}  # a damaged store: the workspace says so
    query = (
        sparql_prologue() + f"SELECT ?g ?file ?read WHERE {{ GRAPH <{project.graph_iri('provenance')}> {{ "
        "?a a cx:SourceLoad ; "
        "cx:hasTargetGraph ?gl ; prov:endedAtTime ?end ; prov:used ?f . ?f cx:hasFileName ?file ; "
        "cx:hasRecordCount ?read . FILTER NOT EXISTS { "
        "?b a cx:SourceLoad ; cx:hasTargetGraph ?gl ; prov:endedAtTime ?later FILTER(?later > ?end) } } "
        "BIND(STR(?gl) AS ?g) }")
    try:
        return {(row["g"].value, row["file"].value): int(row["read"].value) for row in store.query(query)}
    except CxGraphError:
        return {}  # an unreadable store: the workspace says so (a full build starts afresh)


def previous_inputs(store: Any, project: Project) -> Inputs | None:
    """The inputs the store's build follows (None on a new, damaged or unrecorded store): a build that
    reloads only some sources carries over those of the others."""
    try:
        if not store.exists():
            return None
    except AttributeError:
        pass
    except CxGraphError:
        return None
    try:
        return recorded(store, project)
    except CxGraphError:
        return None  # an unreadable store: the workspace says so (a full build starts afresh)


def shrink_guard(project: Project, result: CheckResult, selected: list[Source],
                 previous: dict[tuple[str, str], int]) -> None:
    """Refuse a source one of whose files holds far fewer records than at its last load.

    Such a file (an export cut at a row boundary) parses, so nothing else notices; mapped, it would
    shrink the source's graph and leave every reference into the missing rows dangling (thousands of
    quarantined rows elsewhere).
    """
    for source in selected:
        if source.name in result.refused:
            continue
        limit = source.max_shrink if source.max_shrink is not None else project.max_shrink
        now: dict[str, int] = defaultdict(int)
        for count in result.for_source(source.name):
            now[count.file] += count.read
        problems = []
        for name in source.files:
            before = previous.get((source.graph, name))
            if before and now[name] < before * (1 - limit):
                problems.append(Issue(source.name, "", name, None, "file", "", str(now[name]), "shrunk",
                                      f"{now[name]} records where the last load read {before} "
                                      f"({(now[name] - before) / before:+.0%}): an export cut short? (max_shrink "
                                      f"{limit:g}; `cxgraph build --allow-shrink` accepts it)"))
        if problems:
            result.file_problems.extend(problems)
            result.refused[source.name] = problems
            if source.name not in result.unchecked:
                result.unchecked.append(source.name)


def build(
    project: Project,
    store: Any,
    work_dir: Path,
    only: list[str] | None = None,
    echo: Callable[[str], None] = print,
    workers: int | None = None,
    allow_shrink: bool = False,
    tick: Tick = silent,
    keep_staging: bool = False,
    spark: str | None = None,
) -> BuildReport:
    """Load the selected sources, each into its own named graph, and publish them in one step.

    `echo` hears the step being worked on, `tick` how far the long ones got (rows checked per source,
    sources mapped, quads loaded, rules run). `keep_staging`: leave the mapping engine's input tables and
    N-Quads in the work folder's `staging/` to look at; by default each N-Quads file goes once loaded and
    the folder once mapping ends (at 100,000 customers they were 5.0 GB beside a 5.3 GB store). `spark`: a
    Spark master URL; the mapping stage runs there, a task per source (spark_mapping.py)."""
    started_all = time.perf_counter()
    spark = spark.strip() if spark else spark
    if spark:
        from cxgraph.build.spark_mapping import spark_ready

        spark_ready(spark)
    clock = StageClock()
    selected = project.select(only)
    plan = plan_build(project, selected)
    now = current(project, plan.ontology_files)
    clock.lap("plan (contracts, mappings, ontology)")
    contracts, needs = plan.contracts, plan.needs
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CxGraphError(f"cannot create the work folder beside the store ({exc.strerror})", work_dir) from None
    folder = WorkFolder(work_dir)
    reports = folder.reports
    names = {s.name for s in selected}
    with store.workspace(folder.lock, fresh_if_damaged=not only,
                         keeping=None if only else kept_by_full_build(project)) as ws:
        started = datetime.now(UTC)
        previous = {} if allow_shrink else previous_rows(store, project)
        before = previous_inputs(store, project)
        checked = check(project, contracts, names, needs, tick=tick)
        result = checked.result
        shrink_guard(project, result, selected, previous)
        if any(name in result.refused for name in names):  # references into a refused source: unchecked
            first = result
            checked = check(project, contracts, names, needs, refused=set(first.refused))
            result = checked.result
            result.refused.update(first.refused)
            result.file_problems[:0] = [p for p in first.file_problems if p not in result.file_problems]
        loadable = [s for s in selected if s.name not in result.refused]
        write_quarantine(reports, result, names, "building")
        faults.point("checked")
        clock.lap("contract check")
        try:
            report = _load(project, ws, work_dir, only, echo, workers, plan, checked, loadable, started, clock,
                           tick, now=now, before=before, keep_staging=keep_staging, spark=spark)
        except CxGraphError as exc:
            write_quarantine(reports, result, names, f"failed: {exc}")
            if ws.published or type(exc).__name__ == "PublishUncertain":
                raise
            raise CxGraphError(f"{exc}\nNothing was replaced: the store is as it was before this build.") from None
        except BaseException:
            write_quarantine(reports, result, names, "failed: interrupted")
            raise
        report.notices = ws.notices
    csv_path, json_path = write_quarantine(reports, result, names, "published")
    report.quarantine_csv, report.quarantine_json = csv_path, json_path
    clock.lap("quarantine report")
    report.stages = clock.seconds
    report.stage_peak_mib = clock.peak_mib
    report.seconds = time.perf_counter() - started_all
    return report


def _load(project: Project, ws: Workspace, work_dir: Path, only: list[str] | None, echo: Callable[[str], None],
          workers: int | None, plan: BuildPlan, checked: Checked, loadable: list[Source], started: datetime,
          clock: StageClock, tick: Tick = silent, *, now: Inputs, before: Inputs | None,
          keep_staging: bool = False, spark: str | None = None) -> BuildReport:
    """`now`: the project files as the plan read them; `before`: those the store's build before followed."""
    result = checked.result
    staging_root = WorkFolder(work_dir).staging
    if staging_root.exists():
        shutil.rmtree(staging_root)
    staged = stage(loadable, plan.contracts, checked, project, staging_root, plan.needs)
    expected = {s.name: expected_subjects(s.name, plan.rules[s.name], checked) for s in loadable}
    checked.release_values()
    nonce = secrets.token_hex(16)
    jobs = []
    for source in loadable:
        mapping = staging_root / "mappings" / f"{source.name}.yml"
        write_staged_mapping(plan.docs[source.name], mapping_graph(nonce, source.name), mapping,
                             {(file, it): path for (name, file, it), path in staged.tables.items()
                              if name == source.name},
                             {file: path for (name, file), path in staged.moved.items() if name == source.name})
        jobs.append((source, mapping))
    faults.point("staged")
    clock.lap("staging")
    if jobs:
        echo(f"Mapping {len(jobs)} source(s) with morph-kgc" + (f" on Spark ({spark})" if spark else "")
             + ", loading each group's quads as it ends...")
    costs = {s.name: mapping_cost(plan.rules[s.name], {rs: count.accepted for (name, rs), count
                                                        in checked.result.counts.items() if name == s.name})
             for s in loadable}
    with start_mapping(jobs, staging_root, workers=workers, echo=echo, tick=tick, costs=costs,
                       nonce=nonce, spark=spark) as mapper:
        work = ws.store
        engine = project.engine_graphs()
        present = set(ws.target_graphs)
        untouched = [s.graph for s in project.sources.values() if s not in loadable and s.graph in present]
        ws.fetch(untouched + ([engine["ontology"]] if only and engine["ontology"] in present else []))
        ws.keep([g for s in project.sources.values() if s not in loadable
                 for g in [project.lineage_graph(s.name)] if g in present])
        previous = {name: work.count(project.sources[name].graph) for name in result.refused
                    if project.sources[name].graph in present}
        for source in loadable:
            work.drop_graph(source.graph)
        faults.point("dropped")
        known = AnySubject(expected.values())
        ingested = ingest(mapper.outputs(), {mapping_graph(nonce, s.name): s.name for s in loadable},
                          {s.name: s.graph for s in loadable}, work.raw, known, tick, project.id_iri(""),
                          discard=not keep_staging)
    if not keep_staging:  # the engine has ended: its input tables are done with
        shutil.rmtree(staging_root, ignore_errors=True)
    clock.lap_at("mapping (morph-kgc), loading beside it", mapper.finished)
    _quarantine_bad_lines(project, work, ingested, expected, checked, loadable)
    faults.point("ingested")
    clock.lap("load (after the mapping ended)")
    summaries = _reconcile(project, work, ingested, expected, checked, loadable)
    dangling = find_dangling(work, project, loadable, expected, checked, ingested)
    # what is not this project's: left-over staging always goes; other unknown graphs go on a full build
    unknown = sorted(g for g in present if g not in project.known_graphs())
    leftovers = [g for g in unknown if project.is_private_graph(g)]
    dropped = unknown if not only else leftovers
    for graph in dropped:
        work.drop_graph(graph)
    default_triples = work.default_graph_count()
    if default_triples and not only:  # cxgraph writes nothing there: a full build clears what another tool put
        work.update("CLEAR SILENT DEFAULT")
        dropped = [*dropped, f"the default graph ({default_triples} triples)"]
    provenance = []
    for summary in summaries:
        source = project.sources[summary.name]
        per_file: dict[str, int] = defaultdict(int)
        for count in checked.result.for_source(source.name):
            per_file[count.file] += count.read
        checksums = [(name, _checksum(checked, project.data_root / name), per_file[name]) for name in source.files]
        provenance += load_quads(project, LoadRecord(
            source=source, started=started, ended=datetime.now(UTC), files=checksums, rows_read=summary.rows_read,
            rows_loaded=summary.rows_loaded, rows_quarantined=summary.rows_quarantined, triples=summary.triples))
    clock.lap("reconcile (rows to subjects, dangling links)")
    work.add_quads(provenance)
    for source in loadable:
        work.drop_graph(project.lineage_graph(source.name))
        work.add_quads(lineage_quads(project, source, activity_iri(project, source.name, started),
                                     located_subjects(source, expected[source.name], ingested, checked)))
    faults.point("provenance")
    registry_graph = engine["registry"]
    work.drop_graph(registry_graph)
    systems = " ".join(f"<{s.system}>" for s in project.sources.values())
    source_graphs = " ".join(f"<{s.graph}>" for s in project.sources.values())
    described = {row["s"].value for row in work.query(  # by a source: engine graphs do not count
        f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {systems} }} VALUES ?g {{ {source_graphs} }} "
        "GRAPH ?g { ?s ?p ?o } }")}
    work.add_quads(registry_quads(project, described))
    replaced = [g for s in loadable for g in (s.graph, project.lineage_graph(s.name))]
    ontology_loaded = not only or engine["ontology"] not in work.named_graphs()
    if ontology_loaded:
        echo("Loading the ontology...")
        load_ontology(work, project, plan.closure)
        replaced.append(engine["ontology"])
    work.add_quads(build_quads(project, applied(project, now, loadable, plan.ontology_files, ontology_loaded,
                                                before)))
    clock.lap("provenance, lineage, ontology")
    echo("Resolving identities...")
    identity = resolve(work, project)
    faults.point("identity")
    clock.lap("identity")
    echo("Reasoning...")
    inferred = materialize(work, project)
    faults.point("reasoned")
    clock.lap("reasoning")
    echo(f"Deriving (rules/, as of {as_of_day(project).isoformat()})...")
    derived = derive(work, project, tick)
    clock.lap("derivation (rules/)")
    replaced += [engine["registry"], engine["identity"], engine["inferred"], engine["derived"]]
    echo("Publishing...")
    ws.publish(replaced, dropped, [engine["provenance"]])
    clock.lap("publish")
    names = {s.name for s in loadable} | set(result.refused)
    problems = [i for i in result.file_problems if i.source in names]
    return BuildReport(summaries, result, identity, Path(), Path(), 0.0, problems, inferred, derived,
                       refused=dict(result.refused), previous=previous, dangling=dangling,
                       unknown_graphs=[g for g in unknown if g not in dropped]
                       + ([f"the default graph ({default_triples} triples)"] if default_triples and only else []),
                       dropped_graphs=dropped)


def kept_by_full_build(project: Project) -> set[str]:
    """The graphs of the store a full build neither rewrites nor drops: the load history (it appends to it),
    recorded actions and recommendations. Every source's graph and lineage is rewritten, or fetched back when
    the source is refused; graphs that are not the project's are dropped."""
    return {graph for kind, graph in project.engine_graphs().items() if kind not in REWRITTEN_BY_FULL_BUILD}


REWRITTEN_BY_FULL_BUILD = ("ontology", "registry", "identity", "inferred", "derived")  # engine graphs


def _checksum(checked: Checked, path: Path) -> str:
    """The checksum of the bytes the check read (not of the file as it is now, which may have changed since)."""
    parsed = checked.files.get(path)
    return f"sha256:{parsed.digest}" if parsed is not None and parsed.digest else sha256(path)


def located_subjects(source: Source, expected: SubjectRows, ingested: Ingested,
                     checked: Checked) -> Iterator[tuple[str, tuple[int, int, Any]]]:
    """Each subject the source's load put in the graph, with (file index, row, JSON pointer) of the first accepted
    record whose subject template gave it: the lineage that reports link focus nodes to. One at a time, as the
    store takes the lineage: the build does not hold a source's lineage whole."""
    file_index = {name: i for i, name in enumerate(source.files, start=1)}
    loaded = ingested.subjects[source.name]
    for iri, rows in expected.items():
        if iri not in loaded:
            continue
        for rs_name, index in rows:
            state = checked.states[(source.name, rs_name)]
            if index in state.bad:
                continue
            held = state.records
            yield iri, (file_index[state.record_set.file], held.row(index), held.pointer(index))
            break


def _quarantine_bad_lines(project: Project, work: EmbeddedStore, ingested: Ingested,
                          expected: dict[str, SubjectRows], checked: Checked,
                          loadable: list[Source]) -> None:
    """A row whose mapping produced a line the store refused is quarantined, and its quads removed."""
    for bad in ingested.bad_lines:
        for source in loadable:
            rows = expected[source.name].get(bad.subject or "")
            if not rows:
                continue
            for rs_name, index in rows:
                state = checked.states[(source.name, rs_name)]
                if index in state.bad:
                    continue
                record = state.records[index]
                issue = Issue(source.name, rs_name, state.record_set.file, record.row, record.locator, "",
                              bad.text[:200], "invalid-iri",
                              f"the mapping made a term the store cannot read ({bad.error})")
                state.bad[index] = issue
                checked.result.issues.append(issue)
                checked.result.counts[(source.name, rs_name)].quarantined += 1
            work.update(f"DELETE WHERE {{ GRAPH <{source.graph}> {{ <{bad.subject}> ?p ?o }} }}")
            ingested.subjects[source.name].discard(bad.subject or "")


def _reconcile(project: Project, work: EmbeddedStore, ingested: Ingested,
               expected: dict[str, SubjectRows], checked: Checked,
               loadable: list[Source]) -> list[SourceSummary]:
    """Count loaded rows in the graph; rows read must equal rows loaded plus rows quarantined."""
    summaries = []
    lost: list[str] = []
    for source in loadable:
        found: dict[str, set[int]] = defaultdict(set)
        for iri, rows in expected[source.name].items():
            if iri in ingested.subjects[source.name]:
                for rs_name, index in rows:
                    found[rs_name].add(index)
        with_subjects = expected[source.name].record_sets()
        for count in checked.result.for_source(source.name):
            state = checked.states[(source.name, count.record_set)]
            if count.record_set in with_subjects:
                count.loaded = len(found[count.record_set])
            else:
                count.loaded = count.accepted  # no subject template to look for (a blank or function subject)
                count.verified = False
            if count.loaded != count.accepted:
                missing = [state.records[i] for i in range(len(state.records))
                           if i not in state.bad and i not in found[count.record_set]]
                where = ", ".join(r.locator for r in missing[:3])
                lost.append(f"{count.file} ({count.record_set}): {count.accepted - count.loaded} accepted row(s) "
                            f"did not reach the graph, e.g. {where}")
        counts = checked.result.for_source(source.name)
        read = sum(c.read for c in counts)
        loaded = sum(c.loaded or 0 for c in counts)
        quarantined = sum(c.quarantined for c in counts)
        summaries.append(SourceSummary(source.name, source.graph, read, loaded, quarantined,
                                       work.count(source.graph)))
    if lost:
        raise CxGraphError("rows were lost between the contract check and the graph (read != loaded + "
                           "quarantined):\n  " + "\n  ".join(lost) + "\n(`cxgraph build --keep-staging` keeps "
                           "what the mapping engine read and wrote in the work folder's staging/ to look at)")
    return summaries


def find_dangling(work: EmbeddedStore, project: Project, loadable: list[Source],
                  expected: dict[str, SubjectRows], checked: Checked, ingested: Ingested,
                  limit: int = 1000) -> list[DanglingLink]:
    """Links from the loaded sources to resources in the project's namespace that nothing describes: the
    first `limit` in the order of graph, subject, predicate and object.

    Set-based: of the object IRIs the load gathered, those no loaded source has as a subject (nor the registry
    declares) are looked up in the workspace (a graph fetched or kept may describe them), and only those
    found nowhere are traced to the quads that name them. A query over every quad with a NOT EXISTS per
    quad took 10 s of a 108 s build at 10,000 customers."""
    if not loadable:
        return []
    registered = {s.system for s in project.sources.values()}  # the registry graph declares them
    described = set().union(*(ingested.subjects[s.name] for s in loadable))
    raw = work.raw
    rows: list[tuple[str, str, str, str, str]] = []  # graph, subject's sort key, predicate, object, subject
    by_graph = {s.graph: s.name for s in loadable}
    candidates = {o for s in loadable for o in ingested.objects[s.name]} - described - registered
    for iri in candidates:
        term = ox.NamedNode(iri)
        if any(isinstance(q.graph_name, ox.NamedNode) for q in raw.quads_for_pattern(term, None, None, None)):
            continue
        for loaded in loadable:
            if iri not in ingested.objects[loaded.name]:
                continue
            for quad in raw.quads_for_pattern(None, None, term, ox.NamedNode(loaded.graph)):
                subject = str(getattr(quad.subject, "value", quad.subject))
                key = ("0" if isinstance(quad.subject, ox.BlankNode) else "1") + subject
                rows.append((loaded.graph, key, quad.predicate.value, iri, subject))
    rows.sort()  # SPARQL's ORDER BY ?g ?s ?p ?o: blank nodes before IRIs
    found = []
    for graph, _key, predicate, obj, subject in rows[:limit]:
        source = by_graph[graph]
        record = None
        origin = expected[source].get(subject)
        if origin:
            rs_name, index = origin[0]
            state = checked.states[(source, rs_name)]
            record = (rs_name, state.record_set.file, state.records[index].locator)
        found.append(DanglingLink(source, subject, predicate, obj, record))
    return found


def write_quarantine(folder: Path, result: CheckResult, names: set[str], status: str) -> tuple[Path, Path]:
    """The quarantine report of this build (whatever its outcome): one row per quarantined record or refused file.

    CSV: the rows; JSON: the build's status, per record set read / loaded / quarantined, file problems
    and the rows. Written when the records are checked and again when the build ends, so a failed build
    never leaves the previous build's report behind.
    """
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / "quarantine.csv"
    json_path = folder / "quarantine.json"
    issues = [i for i in result.issues if i.source in names]
    problems = [i for i in result.file_problems if i.source in names]
    columns = ["source", "record_set", "file", "row", "locator", "column", "value", "rule", "message"]
    tmp_csv = csv_path.with_suffix(".csv.tmp")
    with tmp_csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for issue in [*problems, *issues]:
            writer.writerow(issue.as_dict())
    counts = [
        {"source": c.source, "record_set": c.record_set, "file": c.file, "read": c.read, "loaded": c.loaded,
         "quarantined": c.quarantined, "loaded_counted_in_graph": c.verified and c.loaded is not None}
        for c in result.counts.values() if c.source in names
    ]
    tmp_json = json_path.with_suffix(".json.tmp")
    tmp_json.write_text(json.dumps({
        "status": status,
        "written": datetime.now(UTC).isoformat(),
        "refused_sources": sorted(s for s in result.refused if s in names),
        "record_sets": counts,
        "file_problems": [p.as_dict() for p in problems],
        "quarantined": [i.as_dict() for i in issues],
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp_csv.replace(csv_path)
    tmp_json.replace(json_path)
    return csv_path, json_path

