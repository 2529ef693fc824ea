"""The build pipeline: contracts, staging, YARRRML mapping, named graphs, provenance, identity, reasoning."""

from __future__ import annotations

import contextlib
import csv
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .config import Project, Source
from .contracts import CheckResult, Issue, check, load_contracts, stage
from .errors import CxGraphError
from .identity import resolve
from .mapping import check_mapping, run_morph, write_staged_mapping
from .provenance import LoadRecord, load_quads, sha256
from .reason import materialize
from .store import GraphStore


@dataclass
class SourceSummary:
    """Per source: rows read / loaded / quarantined and the triples now in its graph."""

    name: str
    graph: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    triples: int


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

    @property
    def quarantined(self) -> int:
        return sum(s.rows_quarantined for s in self.sources)


def _staging_graph(project: Project, source: Source) -> str:
    return project.graph_iri(f"staging/source/{source.name}")


def load_ontology(store: GraphStore, project: Project) -> int:
    """The ontology and its vendored imports, in their own graph, so queries can read labels."""
    folder = project.ontology.parent
    if not project.ontology.exists():
        return 0
    target = project.graph_iri("ontology")
    staging = project.graph_iri("staging/ontology")
    store.drop_graph(staging)
    for path in sorted(folder.rglob("*.ttl")):
        try:
            store.load_graph(path, staging)
        except SyntaxError as exc:
            raise CxGraphError(f"ontology file does not parse: {exc}", path) from None
    store.replace_graph(staging, target)
    return store.count(target)


def build(
    project: Project,
    store: GraphStore,
    work_dir: Path,
    only: list[str] | None = None,
    echo: Callable[[str], None] = print,
    workers: int | None = None,
) -> BuildReport:
    """Load the selected sources, each into its own named graph, replacing only those graphs."""
    started_all = time.perf_counter()
    contracts = load_contracts(project)
    selected = project.select(only)
    mappings = {s.name: check_mapping(s, contracts[s.name])[0] for s in selected}
    started = datetime.now(UTC)
    result, files, checked = check(project, contracts, {s.name for s in selected})
    staging_root = work_dir / "staging"
    if staging_root.exists():
        shutil.rmtree(staging_root)
    stage(selected, contracts, files, checked, project, staging_root)
    jobs = []
    for source in selected:
        mapping = staging_root / "mappings" / f"{source.name}.yml"
        write_staged_mapping(mappings[source.name], _staging_graph(project, source), mapping)
        jobs.append((source, mapping))
    echo(f"Mapping {len(selected)} source(s) with morph-kgc...")
    outputs = run_morph(jobs, staging_root, workers=workers, echo=echo)
    try:
        for source in selected:
            store.drop_graph(_staging_graph(project, source))
        for output in outputs:
            store.load_graph(output)
    except CxGraphError as exc:
        _drop_staging(store, project, selected)
        raise CxGraphError(f"{exc}\nNothing was replaced: the graphs of {', '.join(s.name for s in selected)} "
                           "are as they were before this build.") from None
    summaries = []
    provenance = []
    swapped: list[str] = []
    try:
        for source in selected:
            triples = store.count(_staging_graph(project, source))
            store.replace_graph(_staging_graph(project, source), source.graph)
            swapped.append(source.name)
            counts = result.for_source(source.name)
            read = sum(c.read for c in counts)
            quarantined = sum(c.quarantined for c in counts)
            summaries.append(SourceSummary(source.name, source.graph, read, read - quarantined, quarantined,
                                           triples))
            checksums = [(name, sha256(project.data_root / name)) for name in source.files]
            provenance += load_quads(project, LoadRecord(
                source=source, started=started, ended=datetime.now(UTC), files=checksums, rows_read=read,
                rows_loaded=read - quarantined, rows_quarantined=quarantined, triples=triples))
    except CxGraphError as exc:
        rest = [s.name for s in selected if s.name not in swapped]
        raise CxGraphError(f"{exc}\nReplaced: {', '.join(swapped) or 'none'}; not replaced (left as before): "
                           f"{', '.join(rest)}.") from None
    try:
        store.add_quads(provenance)
        if not only or project.graph_iri("ontology") not in store.named_graphs():
            load_ontology(store, project)  # a partial build leaves the ontology graph as it is
        identity = resolve(store, project)
        inferred = materialize(store, project)
        store.finish_load()
    except CxGraphError as exc:
        raise CxGraphError(f"{exc}\nThe source graphs of {', '.join(swapped)} were replaced, but the provenance, "
                           "ontology, identity or inferred graph may be stale: run the build again.") from None
    names = {s.name for s in selected}
    issues = [i for i in result.issues if i.source in names]
    problems = [i for i in result.file_problems if i.source in names]
    reports = work_dir / "reports"
    csv_path, json_path = write_quarantine(reports, issues, problems, result, names)
    return BuildReport(summaries, result, identity, csv_path, json_path, time.perf_counter() - started_all,
                       problems, inferred)


def _drop_staging(store: GraphStore, project: Project, sources: list[Source]) -> None:
    """Best effort: remove half-loaded staging graphs after a failed upload."""
    for source in sources:
        with contextlib.suppress(CxGraphError):
            store.drop_graph(_staging_graph(project, source))


def write_quarantine(
    folder: Path, issues: list[Issue], problems: list[Issue], result: CheckResult, names: set[str],
) -> tuple[Path, Path]:
    """The quarantine report: one row per quarantined record (CSV), plus counts and file problems (JSON)."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / "quarantine.csv"
    json_path = folder / "quarantine.json"
    columns = ["source", "record_set", "file", "row", "locator", "column", "value", "rule", "message"]
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for issue in [*problems, *issues]:
            writer.writerow(issue.as_dict())
    counts = [
        {"source": c.source, "record_set": c.record_set, "file": c.file, "read": c.read, "loaded": c.loaded,
         "quarantined": c.quarantined}
        for c in result.counts.values() if c.source in names
    ]
    json_path.write_text(json.dumps({
        "record_sets": counts,
        "file_problems": [p.as_dict() for p in problems],
        "quarantined": [i.as_dict() for i in issues],
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return csv_path, json_path
