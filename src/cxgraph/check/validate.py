"""SHACL validation of the context graph with pySHACL, and its reports for people and for CI.

The data graph is the union of every named graph in the store, which is what queries read: the source,
identity, provenance, inferred and ontology graphs, and any graph that is not this project's (reported).
pySHACL runs with inference "none" on a graph it may modify in place (no copy). Shapes target the
concrete classes the mappings assert, so they need no entailment (measured on the sample: the inferred
and ontology graphs add no result and 0.5 s).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS, SH
from rdflib.plugins.sparql import prepareQuery

from cxgraph import vocab
from cxgraph.check import reports
from cxgraph.check.reports import SHACL_SEVERITIES, Case, CheckReport, Entry, at_or_above, severity_rank
from cxgraph.errors import CxGraphError
from cxgraph.lineage import parse_record_iri
from cxgraph.progress import Tick, silent
from cxgraph.project import Project
from cxgraph.vocab import DOCUMENTS, ILL_TYPED, READ_FROM, SOURCE_IDENTIFIER, local_name
from cxgraph.xsd import PATTERNS, ill_typed


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
        return [r for r in self.results if at_or_above(r.severity, fail_on)]


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
                    label = part.value(shape, RDFS.label) or part.value(shape, SH.name) or local_name(str(shape))
                    shapes[str(shape)] = (str(label), name)
                    owner[str(shape)] = path
    return graph, shapes


class PreparedQueryGraph(rdflib.Graph):
    """An rdflib graph that parses each SPARQL text once.

    pySHACL sends a SHACL-SPARQL constraint's text to rdflib once per focus node, and rdflib parses it
    each time (50-200 ms): caching the prepared query took the sample's validation from 161 s to ~10 s.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepared: dict[str, Any] = {}

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(query_object, str):
            if query_object not in self._prepared:
                self._prepared[query_object] = prepareQuery(query_object)
            query_object = self._prepared[query_object]
        return super().query(query_object, *args, **kwargs)


def data_graph(store: Any) -> rdflib.Graph:
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


ENGINES = ("sparql", "pyshacl")


def run_validation(store: Any, project: Project, profiles: list[Path] | None = None,
                   engine: str = "sparql", tick: Tick = silent) -> Validation:
    """Validate the store's data and attach each focus node's source record.

    `engine` "sparql" (the default) compiles the shapes to SPARQL and runs them on the store itself
    (`shacl_sparql`): nothing is copied, and the results are pySHACL's (checked on the W3C SHACL Core suite
    and on both enterprises' data). "pyshacl" copies the union into rdflib and runs pySHACL, the reference.
    The shapes are the registry's profiles (`shapes:` in sources.yaml) unless `profiles` are given.
    `tick` hears how far the checks, the ill-typed scan and the locating of focus nodes got.
    """
    if engine not in ENGINES:
        raise CxGraphError(f"unknown validation engine {engine!r}: one of {', '.join(ENGINES)}")
    shapes, shape_index = load_shapes(profiles or project.shapes)
    started = time.perf_counter()
    if engine == "pyshacl":
        results, report, triples, ill = _pyshacl(store, shapes, shape_index)
    else:
        published = getattr(store, "path", None) is not None  # a build's generation, never written in place
        judged = {s.graph for s in project.sources.values()} if published else set()
        results, report, triples, ill = _compiled(store, shapes, shape_index, judged, tick)
    results += ill_typed_results(ill)
    seconds = time.perf_counter() - started
    results.sort(key=lambda r: (severity_rank(r.severity), r.shape, r.focus, r.message))
    origins = locate(store, project, {r.focus for r in results}, tick)
    for result in results:
        result.origin = origins.get(result.focus)
    counts = {s: sum(1 for r in results if r.severity == s) for s in SHACL_SEVERITIES}
    return Validation(results, report, shape_index, triples, seconds, counts, unknown_graphs(store, project))


def _pyshacl(store: Any, shapes: rdflib.Graph, shape_index: dict[str, tuple[str, str]]) \
        -> tuple[list[Result], rdflib.Graph, int, list[ox.Triple]]:
    import pyshacl

    data = data_graph(store)
    _conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_infos=False, allow_warnings=False,
        inplace=True,
    )
    results = []
    for node in report.objects(None, SH.result):  # top-level results (not nested sh:detail ones)
        shape = report.value(node, SH.sourceShape)
        severity = local_name(str(report.value(node, SH.resultSeverity)))
        path = report.value(node, SH.resultPath)
        value = report.value(node, SH.value)
        component = report.value(node, SH.sourceConstraintComponent)
        messages = sorted(str(m) for m in report.objects(node, SH.resultMessage))
        shape_iri = str(shape) if isinstance(shape, rdflib.URIRef) else _owner(shapes, shape)
        label = shape_index.get(shape_iri, (local_name(shape_iri), ""))[0]
        results.append(Result(
            shape=shape_iri, shape_label=label, severity=severity, focus=str(report.value(node, SH.focusNode)),
            message=" ".join(messages), path=str(path) if path is not None else None,
            value=str(value) if value is not None else None,
            component=local_name(str(component)) if component is not None else None,
        ))
    return results, report, len(data), getattr(data, "ill_typed", [])


def _compiled(store: Any, shapes: rdflib.Graph, shape_index: dict[str, tuple[str, str]],
              judged: set[str], tick: Tick = silent) -> tuple[list[Result], rdflib.Graph, int, list[ox.Triple]]:
    from cxgraph.check import shacl_sparql

    triples = _triple_count(store)
    if triples == 0:
        raise CxGraphError("the store holds no data; run `cxgraph build` first")
    findings, _checks = shacl_sparql.validate(store.query, shapes, tick=tick)
    results = []
    for f in findings:
        shape_iri = str(f.shape) if isinstance(f.shape, rdflib.URIRef) else _owner(shapes, f.shape)
        results.append(Result(
            shape=shape_iri, shape_label=shape_index.get(shape_iri, (local_name(shape_iri), ""))[0],
            severity=local_name(str(f.severity)), focus=f.focus.value,
            message=" ".join(sorted(str(m) for m in f.messages)),
            path=str(f.path) if f.path is not None else None,
            value=f.value.value if f.value is not None else None, component=local_name(str(f.component))))
    return results, shacl_sparql.report_graph(findings, shapes), triples, ill_typed_in_store(store, judged, tick)


def _triple_count(store: Any) -> int:
    """The quads the validation read: the embedded store's own count, or a remote store's named graphs."""
    from cxgraph.stores.embedded import EmbeddedStore

    if isinstance(store, EmbeddedStore):
        return len(store.raw)
    rows = list(store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"))
    return int(rows[0]["n"].value) if rows else 0


def ill_typed_in_store(store: Any, judged: Iterable[str] = (), tick: Tick = silent) -> list[ox.Triple]:
    """Ill-typed literals anywhere in the store, found by the store: the lexical patterns of `cxgraph.xsd`
    (and a cast, for impossible dates) run as SPARQL filters, so only suspects travel, and each suspect is
    judged again by `cxgraph.xsd.ill_typed`. On the embedded store each graph is dumped as N-Triples and only
    its lines with a judged datatype are parsed (`_ill_typed_in_graph`): a SPARQL scan with these filters took
    140 s for 3.4M quads (10,000 customers), a Python object per quad 55-75 s.
    `judged`: graphs whose every literal the build's ingest already judged (and refused if ill-typed) and
    nothing else writes, the source graphs of a published store: skipped there. The engine's graphs, the
    default graph and any graph not the project's are read."""
    from cxgraph.stores.embedded import EmbeddedStore

    if isinstance(store, EmbeddedStore):
        raw = store.raw
        graphs = [ox.NamedNode(g) for g in store.named_graphs() if g not in judged] + [ox.DefaultGraph()]
        found: list[ox.Triple] = []
        for done, g in enumerate(graphs):
            tick("ill-typed literals", done, len(graphs), "graphs")
            found += _ill_typed_in_graph(raw, g)
        tick("ill-typed literals", len(graphs), len(graphs), "graphs")
        return found
    tests = []
    for name, pattern in PATTERNS.items():
        datatype = f"<{vocab.XSD}{name}>"
        escaped = ("^(" + pattern + ")$").replace("\\", "\\\\").replace('"', '\\"')
        test = f'!REGEX(STR(?o), "{escaped}")'
        if name in ("date", "dateTime"):
            test += f" || !COALESCE(datatype({datatype}(STR(?o))) = {datatype}, false)"
        tests.append(f"(datatype(?o) = {datatype} && ({test}))")
    rows = store.query(f"SELECT DISTINCT ?s ?p ?o WHERE {{ ?s ?p ?o FILTER(isLiteral(?o)) "
                       f"FILTER({' || '.join(tests)}) }}")
    found = []
    for row in rows:
        literal = row["o"]
        if ill_typed(literal.value, literal.datatype.value):
            found.append(ox.Triple(row["s"], row["p"], literal))
    return found


_SUSPECT = re.compile(rb'"\^\^<' + re.escape(vocab.XSD.encode()) + rb"(?:"
                      + b"|".join(re.escape(name.encode()) for name in PATTERNS) + rb")>")


def _ill_typed_in_graph(raw: ox.Store, graph: ox.NamedNode | ox.DefaultGraph) -> list[ox.Triple]:
    """The graph as N-Triples from the store, and only the lines with a literal of a judged datatype parsed
    and judged: 3 s for 2.5M quads where a Python object per quad took 75 s."""
    data = raw.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
    assert data is not None
    lines: dict[int, bytes] = {}
    for match in _SUSPECT.finditer(data):
        start = data.rfind(b"\n", 0, match.start()) + 1
        if start not in lines:
            end = data.find(b"\n", match.end())
            lines[start] = data[start:end if end >= 0 else len(data)]
    if not lines:
        return []
    return ill_typed_triples(b"\n".join(lines.values()) + b"\n")


def ill_typed_triples(ntriples: bytes) -> list[ox.Triple]:
    """Triples whose literal's text is not of its datatype, read with pyoxigraph as written (rdflib
    normalizes "1996-07-04"^^xsd:dateTime into a well-typed "1996-07-04T00:00:00" while parsing)."""
    return [t for t in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)
            if isinstance(t.object, ox.Literal) and isinstance(t.subject, ox.NamedNode | ox.BlankNode)
            and ill_typed(t.object.value, t.object.datatype.value)]


def ill_typed_results(triples: Iterable[ox.Triple]) -> list[Result]:
    """Ill-typed literals as violations: pySHACL's sh:datatype misses them (it sees rdflib's normalized form),
    and a SPARQL range filter then drops the value silently."""
    results = []
    for t in triples:
        literal, subject = t.object, t.subject
        assert isinstance(literal, ox.Literal) and isinstance(subject, ox.NamedNode | ox.BlankNode)
        results.append(Result(
            shape=ILL_TYPED, shape_label="Literal of the wrong datatype (ill-typed)", severity="Violation",
            focus=subject.value, path=t.predicate.value, value=literal.value, component="DatatypeConstraintComponent",
            message=f"{literal.value!r} is not a lexical form of {local_name(literal.datatype.value)}"))
    return results


def _owner(shapes: rdflib.Graph, shape: Any) -> str:
    """The named node shape that owns a blank property shape, so results group under a name."""
    for owner in shapes.subjects(SH.property, shape):
        if isinstance(owner, rdflib.URIRef):
            return str(owner)
    return str(shape)


def locate(store: Any, project: Project, focus_nodes: Iterable[str], tick: Tick = silent) -> dict[str, SourceRecord]:
    """For each focus node: the source graph holding it, its identifier, and the source record it was read from.

    The record comes from the lineage the build wrote when it loaded the row (file, line or JSON Pointer, and
    where the file was read), so it is right whatever data folder the build read and however the export has
    changed since; nothing upstream is read again.
    """
    focus = sorted(f for f in focus_nodes if f.startswith(("http://", "https://")))
    if not focus:
        return {}
    by_graph = {s.graph: s for s in project.sources.values()}
    lineage = {s.graph: project.lineage_graph(s.name) for s in project.sources.values()}
    systems = {row["s"].value: row["l"].value for row in store.query(
        f"SELECT ?s ?l WHERE {{ ?s <{vocab.RDFS}label> ?l }}")}
    # Four simple lookups from the focus nodes, joined here: one query with OPTIONALs of two patterns made
    # the store read every identifier of a graph once per focus node and graph (minutes for 3,000 results).
    holders: dict[str, str] = {}  # focus -> the first source graph (IRI order) holding it
    own: dict[tuple[str, str], str] = {}
    documented: dict[tuple[str, str], str] = {}
    read_from: dict[tuple[str, str], str] = {}
    for start in range(0, len(focus), 2000):
        tick("locate focus nodes", start, len(focus), "nodes")
        values = "VALUES ?f { " + " ".join(str(ox.NamedNode(f)) for f in focus[start:start + 2000]) + " }"
        for row in store.query(f"SELECT DISTINCT ?f ?g WHERE {{ {values} GRAPH ?g {{ ?f ?p ?o }} }}"):
            f, g = row["f"].value, row["g"].value
            if g in by_graph and (f not in holders or g < holders[f]):
                holders[f] = g
        for row in store.query(
                f"SELECT ?f ?g ?id WHERE {{ {values} GRAPH ?g {{ ?f <{SOURCE_IDENTIFIER.value}> ?id }} }}"):
            own.setdefault((row["f"].value, row["g"].value), row["id"].value)
        # the identifier of the record documenting it (an activity is not a record)
        for row in store.query(f"SELECT ?f ?g ?id WHERE {{ {values} GRAPH ?g {{ ?doc <{DOCUMENTS.value}> ?f . "
                               f"?doc <{SOURCE_IDENTIFIER.value}> ?id }} }}"):
            documented.setdefault((row["f"].value, row["g"].value), row["id"].value)
        for row in store.query(f"SELECT ?f ?g ?rec WHERE {{ {values} GRAPH ?g {{ ?f <{READ_FROM.value}> ?rec }} }}"):
            read_from.setdefault((row["f"].value, row["g"].value), row["rec"].value)
    tick("locate focus nodes", len(focus), len(focus), "nodes")
    found: dict[str, SourceRecord] = {}
    records: dict[str, str] = {}
    for f, g in holders.items():
        source = by_graph[g]
        found[f] = SourceRecord(source=source.name, system=systems.get(source.system, source.system),
                                identifier=own.get((f, g), documented.get((f, g))))
        if (f, lineage[g]) in read_from:  # the lineage graph of the source holding it
            records[f] = read_from[(f, lineage[g])]
    files = _file_locations(store, project, {parse_record_iri(r)[0] for r in records.values()})
    for iri, record in records.items():
        entity, locator = parse_record_iri(record)
        origin = found[iri]
        if entity in files:
            found[iri] = SourceRecord(origin.source, origin.system, origin.identifier, files[entity], locator)
    return found


def _file_locations(store: Any, project: Project, entities: set[str]) -> dict[str, Path]:
    """File entity IRI -> the file its load read (prov:atLocation, else its name under the data folder)."""
    if not entities:
        return {}
    values = " ".join(str(ox.NamedNode(e)) for e in sorted(entities))
    rows = store.query(
        f"SELECT ?e ?name ?at WHERE {{ VALUES ?e {{ {values} }} GRAPH <{project.graph_iri('provenance')}> {{ "
        f"?e <{vocab.CX}hasFileName> ?name OPTIONAL {{ ?e <{vocab.PROV}atLocation> ?at }} }} }}")
    located = {}
    for row in rows:
        at = row["at"].value if row["at"] is not None else None
        located[row["e"].value] = (Path(url2pathname(urlparse(at).path)) if at and at.startswith("file:")
                                   else project.data_root / row["name"].value)
    return located


# Reports ------------------------------------------------------------------------------------------

def check_report(validation: Validation, page: bool = False) -> CheckReport:
    """The validation as the shared report model: one case per shape, one entry per result.

    `page`: rows for the HTML page, which also link each source file by its URI.
    """
    cases = []
    for shape in sorted(validation.shapes):
        label, file = validation.shapes[shape]
        cases.append(Case(shape, label, "shapes." + (file.removesuffix(".ttl").replace("/", ".") or "other")))
    engine = {r.shape: r.shape_label for r in validation.results if r.shape not in validation.shapes}
    cases += [Case(shape, label, "engine") for shape, label in sorted(engine.items())]  # ill-typed literals
    entries = [Entry(r.shape, r.severity, r.message, f"focus: {r.focus}{_where(r)}",
                     {**r.as_dict(), "file_uri": _file_uri(r)} if page else r.as_dict())
               for r in validation.results]
    return CheckReport(
        title="cxgraph SHACL validation", cases=cases, entries=entries, seconds=validation.seconds,
        header={"conforms": not validation.results, "counts": validation.counts,
                "data_triples": validation.data_triples, "unknown_graphs": validation.unknown_graphs},
        columns=("focus", "system", "identifier", "file_uri", "record", "message", "value"),
        links=("focus", "file_uri"))


def to_turtle(validation: Validation) -> str:
    return validation.report.serialize(format="turtle")


def to_json(validation: Validation) -> str:
    return reports.to_json(check_report(validation))


def to_junit(validation: Validation, fail_on: str = "violation") -> str:
    """One testcase per shape, one failure per result at or above `fail_on`; the rest go to system-out."""
    return reports.to_junit(check_report(validation), lambda entry: at_or_above(entry.severity, fail_on))


def to_html(validation: Validation) -> str:
    """A self-contained page: summary per shape and severity, then every result with its source record."""
    status = "conforms" if not validation.results else ", ".join(
        f"{n} {s.lower()}" for s, n in validation.counts.items() if n)
    return reports.to_html(check_report(validation, page=True), status, [
        f"{validation.data_triples} data triples", f"{len(validation.shapes)} shapes",
        f"validated in {validation.seconds:.1f} s"])


def _file_uri(result: Result) -> str | None:
    return result.origin.file.resolve().as_uri() if result.origin and result.origin.file else None


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


WRITERS = {"turtle": to_turtle, "json": to_json, "html": to_html}
