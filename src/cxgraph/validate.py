"""SHACL validation of the context graph with pySHACL, and its reports for people and for CI.

The data graph is the union of every named graph in the store, which is what queries read: the source,
identity, provenance, inferred and ontology graphs, and any graph that is not this project's (reported).
pySHACL runs with inference "none" on a graph it may modify in place (no copy). Shapes target the
concrete classes the mappings assert, so they need no entailment (measured on the sample: the inferred
and ontology graphs add no result and 0.5 s).
"""

from __future__ import annotations

import html
import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS, SH
from rdflib.plugins.sparql import prepareQuery

from .config import Project
from .contracts import Contract, load_contracts
from .errors import CxGraphError
from .records import json_records, json_value, read_file
from .xsd import ill_typed

SEVERITIES = ("Violation", "Warning", "Info")
CX = rdflib.Namespace("https://w3id.org/cxgraph/ontology#")


@dataclass(frozen=True)
class SourceRecord:
    """Where a focus node came from: its source, system, identifier and, when found, file and row."""

    source: str
    system: str
    identifier: str | None = None
    file: Path | None = None
    locator: str | None = None


@dataclass
class Result:
    """One sh:ValidationResult, flattened for reports."""

    shape: str
    shape_label: str
    severity: str
    focus: str
    message: str
    path: str | None = None
    value: str | None = None
    component: str | None = None
    origin: SourceRecord | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "shape": self.shape, "shape_label": self.shape_label, "severity": self.severity, "focus": self.focus,
            "message": self.message, "path": self.path, "value": self.value, "component": self.component,
        }
        if self.origin:
            out["source"] = self.origin.source
            out["system"] = self.origin.system
            out["identifier"] = self.origin.identifier
            out["file"] = str(self.origin.file) if self.origin.file else None
            out["record"] = self.origin.locator
        return out


@dataclass
class Validation:
    """The outcome of one validation run."""

    results: list[Result]
    report: rdflib.Graph
    shapes: dict[str, tuple[str, str]]  # shape IRI -> (label, file name)
    data_triples: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    unknown_graphs: list[str] = field(default_factory=list)

    def failing(self, fail_on: str) -> list[Result]:
        """Results at or above the `fail_on` severity."""
        limit = SEVERITIES.index(fail_on.capitalize())
        return [r for r in self.results if SEVERITIES.index(r.severity) <= limit]


def shape_files(profiles: Iterable[Path]) -> list[Path]:
    """The Turtle files of the shape profiles, in order: a folder gives every `.ttl` under it."""
    files: list[Path] = []
    for profile in profiles:
        if profile.is_dir():
            found = sorted(profile.rglob("*.ttl"))
            if not found:
                raise CxGraphError("no .ttl shapes files in this shape profile", profile)
            files += found
        elif profile.is_file():
            files.append(profile)
        else:
            raise CxGraphError("no such shapes folder or file", profile)
    if not files:
        raise CxGraphError("no shape profile selected")
    return files


def load_shapes(profiles: Path | Iterable[Path]) -> tuple[rdflib.Graph, dict[str, tuple[str, str]]]:
    """Every Turtle file of the profiles in one shapes graph; a file that does not parse stops the run, named.

    A shape IRI defined in two profiles is refused: the enterprise profile adds shapes, it does not
    silently merge constraints into a core shape.
    """
    graph = rdflib.Graph()
    shapes: dict[str, tuple[str, str]] = {}
    owner: dict[str, Path] = {}  # shape IRI -> the file that defines it
    for path in shape_files([profiles] if isinstance(profiles, Path) else profiles):
        part = rdflib.Graph()
        try:
            part.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises several parser exception types
            raise CxGraphError(f"shapes file does not parse: {exc}", path) from None
        for subject in set(part.subjects()):  # a later file may not add to a shape an earlier file defines
            if isinstance(subject, rdflib.URIRef) and str(subject) in owner and owner[str(subject)] != path:
                raise CxGraphError(f"shape {subject} is also defined in {owner[str(subject)]}", path)
        graph += part
        name = f"{path.parent.name}/{path.name}"
        for kind in (SH.NodeShape, SH.PropertyShape):
            for shape in part.subjects(RDF.type, kind):
                if isinstance(shape, rdflib.URIRef):
                    label = part.value(shape, RDFS.label) or part.value(shape, SH.name) or _local(str(shape))
                    shapes[str(shape)] = (str(label), name)
                    owner[str(shape)] = path
    return graph, shapes


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


class PreparedQueryGraph(rdflib.Graph):
    """An rdflib graph that parses each SPARQL text once.

    pySHACL sends a SHACL-SPARQL constraint's text to rdflib once per focus node, and rdflib parses it
    each time (50-200 ms): caching the prepared query took the sample's validation from 161 s to ~10 s.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepared: dict[str, Any] = {}

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if isinstance(query_object, str):
            if query_object not in self._prepared:
                self._prepared[query_object] = prepareQuery(query_object)
            query_object = self._prepared[query_object]
        return super().query(query_object, *args, **kwargs)


def data_graph(store: Any, project: Project) -> rdflib.Graph:
    """The union of every named graph in the store: exactly what queries read (their default graph).

    Graphs no source or engine of the project writes are included too (and reported by
    `unknown_graphs`): data that queries would answer from is never left unchecked.
    """
    graph = PreparedQueryGraph()
    graph.ill_typed = []  # type: ignore[attr-defined]
    exports = [store.export_graph(name) for name in store.named_graphs()]
    if getattr(store, "path", None) is not None and store.default_graph_count():  # embedded: the real default graph
        exports.append(store.raw.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()))
    for data in exports:
        graph.parse(data=data, format="nt")
        graph.ill_typed += ill_typed_triples(data)  # type: ignore[attr-defined]
    if len(graph) == 0:
        raise CxGraphError("the store holds no data; run `cxgraph build` first")
    return graph


def unknown_graphs(store: Any, project: Project) -> list[str]:
    """Named graphs in the store that no source or engine of this project writes."""
    known = project.known_graphs()
    unknown = [g for g in store.named_graphs() if g not in known]
    default = store.default_graph_count() if hasattr(store, "default_graph_count") else None
    if default:
        unknown.append(f"the default graph ({default} triples)")
    return unknown


def run_validation(store: Any, project: Project, profiles: list[Path] | None = None) -> Validation:
    """Validate the store's data with pySHACL and attach each focus node's source record.

    The shapes are the registry's profiles (`shapes:` in sources.yaml) unless `profiles` are given.
    """
    import pyshacl

    shapes, shape_index = load_shapes(profiles or project.shapes)
    data = data_graph(store, project)
    started = time.perf_counter()
    _conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_infos=False, allow_warnings=False,
        inplace=True,
    )
    seconds = time.perf_counter() - started
    results = []
    for node in report.objects(None, SH.result):  # top-level results (not nested sh:detail ones)
        shape = report.value(node, SH.sourceShape)
        severity = _local(str(report.value(node, SH.resultSeverity)))
        path = report.value(node, SH.resultPath)
        value = report.value(node, SH.value)
        component = report.value(node, SH.sourceConstraintComponent)
        messages = sorted(str(m) for m in report.objects(node, SH.resultMessage))
        shape_iri = str(shape) if isinstance(shape, rdflib.URIRef) else _owner(shapes, shape)
        label = shape_index.get(shape_iri, (_local(shape_iri), ""))[0]
        results.append(Result(
            shape=shape_iri, shape_label=label, severity=severity, focus=str(report.value(node, SH.focusNode)),
            message=" ".join(messages), path=str(path) if path is not None else None,
            value=str(value) if value is not None else None,
            component=_local(str(component)) if component is not None else None,
        ))
    results += ill_typed_results(getattr(data, "ill_typed", []))
    results.sort(key=lambda r: (SEVERITIES.index(r.severity), r.shape, r.focus, r.message))
    origins = locate(store, project, {r.focus for r in results})
    for result in results:
        result.origin = origins.get(result.focus)
    counts = {s: sum(1 for r in results if r.severity == s) for s in SEVERITIES}
    return Validation(results, report, shape_index, len(data), seconds, counts, unknown_graphs(store, project))


ILL_TYPED = "https://w3id.org/cxgraph/engine#IllTypedLiteral"


def ill_typed_triples(ntriples: bytes) -> list[ox.Triple]:
    """Triples whose literal's text is not of its datatype, read with pyoxigraph as written (rdflib
    normalizes "1996-07-04"^^xsd:dateTime into a well-typed "1996-07-04T00:00:00" while parsing)."""
    return [t for t in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)
            if isinstance(t.object, ox.Literal) and ill_typed(t.object.value, t.object.datatype.value)]


def ill_typed_results(triples: Iterable[ox.Triple]) -> list[Result]:
    """Ill-typed literals as violations: pySHACL's sh:datatype misses them (it sees rdflib's normalized form),
    and a SPARQL range filter then drops the value silently."""
    return [Result(shape=ILL_TYPED, shape_label="Literal of the wrong datatype (ill-typed)", severity="Violation",
                   focus=t.subject.value, path=t.predicate.value, value=t.object.value,
                   component="DatatypeConstraintComponent",
                   message=f"{t.object.value!r} is not a lexical form of {_local(t.object.datatype.value)}")
            for t in triples]


def _owner(shapes: rdflib.Graph, shape: Any) -> str:
    """The named node shape that owns a blank property shape, so results group under a name."""
    for owner in shapes.subjects(SH.property, shape):
        if isinstance(owner, rdflib.URIRef):
            return str(owner)
    return str(shape)


def locate(store: Any, project: Project, focus_nodes: Iterable[str]) -> dict[str, SourceRecord]:
    """For each focus node: the source graph holding it, its identifier, and its export row if found."""
    focus = sorted(f for f in focus_nodes if f.startswith(("http://", "https://")))
    if not focus:
        return {}
    by_graph = {s.graph: s for s in project.sources.values()}
    values = " ".join(f"<{f}>" for f in focus)
    systems = {row["s"].value: row["l"].value for row in store.query(
        "SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }")}
    found: dict[str, SourceRecord] = {}
    query = (f"SELECT ?f ?g ?id WHERE {{ VALUES ?f {{ {values} }} GRAPH ?g {{ ?f ?p ?o }} "
             f"OPTIONAL {{ GRAPH ?g {{ ?f <{CX}hasSourceIdentifier> ?id }} }} }}")
    for row in store.query(query):
        source = by_graph.get(row["g"].value)
        if source is None or row["f"].value in found:
            continue
        found[row["f"].value] = SourceRecord(source=source.name, system=systems.get(source.system, source.system),
                                             identifier=row["id"].value if row["id"] is not None else None)
    try:
        contracts = load_contracts(project)
    except CxGraphError:
        return found
    indexes: dict[str, dict[str, tuple[Path, str]]] = {}
    for iri, origin in list(found.items()):
        if not origin.identifier:
            continue
        if origin.source not in indexes:
            indexes[origin.source] = _row_index(project, contracts[origin.source])
        hit = indexes[origin.source].get(origin.identifier)
        if hit:
            found[iri] = SourceRecord(origin.source, origin.system, origin.identifier, *hit)
    return found


def _row_index(project: Project, contract: Contract) -> dict[str, tuple[Path, str]]:
    """Key value -> (export file, row) for a source's singly keyed record sets, each file read once."""
    index: dict[str, tuple[Path, str]] = {}
    files: dict[Path, Any] = {}
    for rs in contract.record_sets.values():
        path = project.data_root / rs.file
        if len(rs.key) != 1 or not path.exists():
            continue
        if path not in files:
            files[path] = read_file(path, rs.format)
        parsed = files[path]
        records = parsed.rows if rs.format == "csv" else json_records(parsed, rs.iterator or "$")
        for record in records:
            value = record.values.get(rs.key[0]) if rs.format == "csv" else json_value(record.values, rs.key[0])
            if value is not None:
                index.setdefault(str(value), (path, record.locator))
    return index


# Reports -------------------------------------------------------------------------------------------

def to_turtle(validation: Validation) -> str:
    return validation.report.serialize(format="turtle")


def to_json(validation: Validation) -> str:
    return json.dumps({
        "conforms": not validation.results,
        "counts": validation.counts,
        "data_triples": validation.data_triples,
        "unknown_graphs": validation.unknown_graphs,
        "results": [r.as_dict() for r in validation.results],
    }, indent=2, ensure_ascii=False) + "\n"


def to_junit(validation: Validation, fail_on: str = "violation") -> str:
    """One testcase per shape, one failure per result at or above `fail_on`; the rest go to system-out."""
    failing = {id(r) for r in validation.failing(fail_on)}
    by_shape: dict[str, list[Result]] = defaultdict(list)
    for result in validation.results:
        by_shape[result.shape].append(result)
    suite = ET.Element("testsuite", name="cxgraph SHACL validation", tests=str(len(validation.shapes)),
                       failures=str(sum(1 for r in validation.results if id(r) in failing)), errors="0",
                       time=f"{validation.seconds:.3f}")
    for shape in sorted(set(validation.shapes) | set(by_shape)):
        label, file = validation.shapes.get(shape, (_local(shape), ""))
        group = file.removesuffix(".ttl").replace("/", ".") or "other"
        case = ET.SubElement(suite, "testcase", classname=f"shapes.{group}",
                             name=label)
        notes = []
        for result in by_shape.get(shape, []):
            where = _where(result)
            text = f"{result.severity}: {result.message}\nfocus: {result.focus}{where}"
            if id(result) in failing:
                failure = ET.SubElement(case, "failure", type=result.severity, message=result.message)
                failure.text = text
            else:
                notes.append(text)
        if notes:
            ET.SubElement(case, "system-out").text = "\n\n".join(notes)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _where(result: Result) -> str:
    origin = result.origin
    if not origin:
        return ""
    text = f"\nsource: {origin.source} ({origin.system})"
    if origin.identifier:
        text += f", record {origin.identifier}"
    if origin.file:
        text += f" at {origin.file}" + (f" {origin.locator}" if origin.locator else "")
    return text


def to_html(validation: Validation) -> str:
    """A self-contained page: summary per shape and severity, then every result with its source record."""
    e = html.escape
    rows = []
    for r in validation.results:
        origin = r.origin
        if origin and origin.file:
            link = f'<a href="{e(origin.file.resolve().as_uri())}">{e(origin.file.name)}</a> {e(origin.locator or "")}'
        else:
            link = ""
        source = f"{e(origin.system)}<br><small>{e(origin.identifier or '')}</small>" if origin else ""
        rows.append(
            f'<tr class="{e(r.severity.lower())}"><td>{e(r.severity)}</td><td>{e(r.shape_label)}</td>'
            f'<td><a href="{e(r.focus)}">{e(r.focus)}</a></td><td>{source}</td><td>{link}</td>'
            f"<td>{e(r.message)}</td><td>{e(r.value or '')}</td></tr>")
    summary = defaultdict(int)
    for r in validation.results:
        summary[(r.shape_label, r.severity)] += 1
    summary_rows = "".join(f"<tr><td>{e(label)}</td><td>{e(sev)}</td><td>{n}</td></tr>"
                           for (label, sev), n in sorted(summary.items(), key=lambda i: (i[0][1], i[0][0])))
    status = "conforms" if not validation.results else ", ".join(f"{n} {s.lower()}" for s, n in
                                                                  validation.counts.items() if n)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cxgraph validation report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1d2433; }}
table {{ border-collapse: collapse; margin-bottom: 2rem; }}
th, td {{ border: 1px solid #d0d5dd; padding: .35rem .6rem; text-align: left; vertical-align: top; font-size: .9rem; }}
th {{ background: #f2f4f7; }}
tr.violation td:first-child {{ color: #b42318; font-weight: 600; }}
tr.warning td:first-child {{ color: #b54708; font-weight: 600; }}
tr.info td:first-child {{ color: #175cd3; }}
</style></head><body>
<h1>cxgraph validation report</h1>
<p>{e(status)} &middot; {validation.data_triples} data triples &middot; {len(validation.shapes)} shapes &middot;
validated in {validation.seconds:.1f} s</p>
<h2>Summary</h2>
<table><tr><th>shape</th><th>severity</th><th>results</th></tr>{summary_rows}</table>
<h2>Results</h2>
<table><tr><th>severity</th><th>shape</th><th>focus node</th><th>source system</th><th>source record</th>
<th>message</th><th>value</th></tr>{''.join(rows)}</table>
</body></html>
"""


WRITERS = {"turtle": to_turtle, "json": to_json, "html": to_html}
