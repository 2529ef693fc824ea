"""The W3C SHACL Core test suite (vendored under tests/data/shacl-w3c/core) as cases any SHACL engine can be run on.

`cases()` reads the manifests, `run(case, validate)` runs one case on a backend and gives the expected and the actual
validation results in one comparable form, `normalize_report` turns any sh:ValidationReport graph into that form.

A backend is `validate(data: rdflib.Graph, shapes: rdflib.Graph) -> tuple[bool, list[tuple]]`: conforms and the
results, each already a normalized tuple (usually through `normalize_report` on the engine's report graph).
`pyshacl_backend` is the reference one.

Results are compared as multisets (collections.Counter), not sets: the manifests ask for a report isomorphic to the
expected one, and five expected reports list the same result twice (core/node/class-003, core/property/lessThan-002,
core/property/property-001, core/property/uniqueLang-001, core/validation-reports/shared: e.g. a property shape
reached through two paths reports twice, sh:lessThan once per pair of values). A blank focus node or value being
"_:data" also only stays countable that way.

A result is the tuple (focus, path, severity, component, shape, value):
- IRIs and literals as N-Triples text (`<http://...>`, `"abc"`, `"1"^^<...#integer>`, `"x"@en`; an xsd:string literal
  is written plain, a language tag in lower case, so engines that differ only there compare equal);
- a blank focus node or value is `"_:data"` (blank node ids are not comparable across engines or parses);
- a blank sh:resultPath is a SPARQL-like path string, e.g. `(^<p>/<q>)*`; an IRI path is `<p>`;
- a blank sh:sourceShape is the canonical text of its structure: its triples sorted, nested blank nodes written
  inline the same way, RDF lists as `( ... )`;
- a missing value (no sh:resultPath on a node shape's result, no sh:value) is None.
sh:resultMessage, sh:detail and any other property of a result are ignored, as the suite says.
"""

from __future__ import annotations

import functools
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import rdflib
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

SUITE = Path(__file__).resolve().parent / "data" / "shacl-w3c"
TOP_MANIFEST = SUITE / "core" / "manifest.ttl"
FOLDERS = ("complex", "misc", "node", "path", "property", "targets", "validation-reports")

SH = Namespace("http://www.w3.org/ns/shacl#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")

DATA_BNODE = "_:data"

Result = tuple[str | None, str | None, str | None, str | None, str | None, str | None]
Backend = Callable[[Graph, Graph], tuple[bool, Iterable[Result]]]


@dataclass(frozen=True)
class Case:
    name: str  # e.g. "core/node/class-001"
    data_graph: Path
    shapes_graph: Path
    conforms: bool
    results: tuple[Result, ...]  # the expected results, sorted, a result listed n times appearing n times
    status: str  # "approved" or "proposed"
    label: str = ""


# --- reading the manifests ---------------------------------------------------------------------------------------


def parse(path: Path) -> Graph:
    """A test file as a new graph, its terms exactly as written: `<>` and relative IRIs resolve against the file's
    own URI, and literals keep their lexical form (rdflib by default rewrites e.g. "1"^^xsd:boolean as "true", which
    uniqueLang-002 tells apart; SPARQL stores keep the form as written)."""
    graph = Graph()
    normalize = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        with warnings.catch_warnings():  # core/property/or-datatypes-001 has "none"^^xsd:boolean on purpose
            warnings.filterwarnings("ignore", "Parsing weird boolean", UserWarning)
            graph.parse(path, format="turtle", publicID=path.resolve().as_uri())
    finally:
        rdflib.NORMALIZE_LITERALS = normalize
    return graph


@functools.cache
def _parse(path: Path) -> Graph:
    """`parse`, once per file: the manifests and the expected reports (never handed to a backend)."""
    return parse(path)


def _path_of(iri: Node) -> Path:
    if not isinstance(iri, URIRef) or not iri.startswith("file://"):
        raise ValueError(f"not a local file IRI: {iri!r}")
    return Path(unquote(urlparse(str(iri)).path))


def _name_of(entry: URIRef) -> str:
    return _path_of(entry).relative_to(SUITE).as_posix()


def _manifest_files(top: Path = TOP_MANIFEST) -> list[Path]:
    """Every manifest reachable from the top one through mf:include, the top one first, each once."""
    seen: list[Path] = []
    todo = [top]
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.append(path)
        graph = _parse(path)
        for manifest in graph.subjects(RDF.type, MF.Manifest):
            todo.extend(sorted(_path_of(inc) for inc in graph.objects(manifest, MF.include)))
    return seen


def _case(graph: Graph, entry: URIRef) -> Case:
    action = graph.value(entry, MF.action)
    result = graph.value(entry, MF.result)
    if action is None or result is None:
        raise ValueError(f"{entry}: no mf:action or mf:result")
    if (entry, RDF.type, SHT.Validate) not in graph:
        raise ValueError(f"{entry}: not a sht:Validate test ({list(graph.objects(entry, RDF.type))})")
    data_path = _path_of(graph.value(action, SHT.dataGraph))
    shapes_path = _path_of(graph.value(action, SHT.shapesGraph))
    conforms = graph.value(result, SH.conforms)
    if not isinstance(conforms, Literal) or conforms.datatype != XSD.boolean:
        raise ValueError(f"{entry}: mf:result has no boolean sh:conforms")
    status = graph.value(entry, MF.status)
    # The expected report sits in the test file; its blank sh:sourceShape nodes are those of the shapes graph
    # when the test file is the shapes graph (`<>`), which is how the suite writes them. `_parse` is cached, so
    # then `shapes` is `graph` itself.
    shapes = _parse(shapes_path)
    data = _parse(data_path)
    return Case(
        name=_name_of(entry),
        data_graph=data_path,
        shapes_graph=shapes_path,
        conforms=bool(conforms.toPython()),
        results=tuple(sorted(normalize_report(graph, data, shapes, report=result).elements(), key=repr)),
        status=str(status).removeprefix(str(SHT)) if status is not None else "",
        label=str(graph.value(entry, RDFS.label) or ""),
    )


@functools.cache
def _cases() -> tuple[Case, ...]:
    found: dict[str, Case] = {}
    for path in _manifest_files():
        graph = _parse(path)
        for manifest in graph.subjects(RDF.type, MF.Manifest):
            for entries in graph.objects(manifest, MF.entries):
                for entry in Collection(graph, entries):
                    case = _case(graph, entry)  # type: ignore[arg-type]  # an entry is an IRI
                    if case.name in found:
                        raise ValueError(f"test {case.name} listed twice")
                    found[case.name] = case
    return tuple(sorted(found.values(), key=lambda c: c.name))


def cases() -> list[Case]:
    """Every test entry of every manifest reachable from core/manifest.ttl, sorted by name."""
    return list(_cases())


# --- normalizing reports -----------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def term_text(term: Node) -> str:
    """An IRI or literal as N-Triples text (xsd:string written plain, language tag lower case)."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        text = f'"{_escape(str(term))}"'
        if term.language:
            return f"{text}@{term.language.lower()}"
        if term.datatype is not None and term.datatype != XSD.string:
            return f"{text}^^<{term.datatype}>"
        return text
    if isinstance(term, BNode):
        return "_:"
    raise TypeError(f"not an RDF term: {term!r}")


def _describing(node: Node, *graphs: Graph) -> Graph | None:
    """The first graph that has triples about `node`."""
    for graph in graphs:
        if (node, None, None) in graph:
            return graph
    return None


def _list_items(graph: Graph, node: Node) -> list[Node] | None:
    if node == RDF.nil:
        return []
    if (node, RDF.first, None) not in graph:
        return None
    return list(Collection(graph, node))


def path_text(path: Node, *graphs: Graph) -> str:
    """A SHACL property path as a SPARQL-like string: `<p>`, `^<p>`, `(<p>/<q>)`, `(<p>|<q>)`, `<p>*`, `<p>+`,
    `<p>?`; `graphs` are searched in order for the triples of its blank nodes."""
    if not isinstance(path, BNode):
        return term_text(path)
    graph = _describing(path, *graphs)
    if graph is None:
        return "_:"
    items = _list_items(graph, path)
    if items is not None:
        return "(" + "/".join(path_text(i, *graphs) for i in items) + ")"
    for predicate, template in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"), (SH.oneOrMorePath, "{}+"),
                                (SH.zeroOrOnePath, "{}?")):
        inner = graph.value(path, predicate)
        if inner is not None:
            return template.format(path_text(inner, *graphs))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        items = _list_items(graph, alternatives) or []
        return "(" + "|".join(path_text(i, *graphs) for i in items) + ")"
    return node_text(path, *graphs)  # not a SHACL path: its structure, as for a shape


def node_text(node: Node, *graphs: Graph, _seen: frozenset[Node] = frozenset()) -> str:
    """Canonical text of a blank node's structure: `[ <p> o ; ... ]` with its triples sorted, nested blank nodes
    written the same way, RDF lists as `( ... )`. IRIs and literals are their N-Triples text."""
    if not isinstance(node, BNode):
        return term_text(node)
    if node in _seen:
        return "_:"
    graph = _describing(node, *graphs)
    if graph is None:
        return "_:"
    seen = _seen | {node}
    items = _list_items(graph, node)
    if items is not None:
        return "( " + " ".join(node_text(i, *graphs, _seen=seen) for i in items) + " )"
    parts = sorted(f"{term_text(p)} {node_text(o, *graphs, _seen=seen)}" for p, o in graph.predicate_objects(node))
    return "[ " + " ; ".join(parts) + " ]"


def _one(graph: Graph, subject: Node, predicate: URIRef) -> Node | None:
    values = list(graph.objects(subject, predicate))
    if len(values) > 1:
        raise ValueError(f"result {subject} has {len(values)} values for {predicate}")
    return values[0] if values else None


def _focus_or_value(term: Node | None) -> str | None:
    if term is None:
        return None
    return DATA_BNODE if isinstance(term, BNode) else term_text(term)


def result_tuple(graph: Graph, result: Node, data: Graph, shapes: Graph) -> Result:
    """One sh:ValidationResult of `graph` as (focus, path, severity, component, shape, value)."""
    del data  # focus nodes and values are always nodes of the data graph: a blank one is DATA_BNODE
    focus = _one(graph, result, SH.focusNode)
    path = _one(graph, result, SH.resultPath)
    severity = _one(graph, result, SH.resultSeverity)
    component = _one(graph, result, SH.sourceConstraintComponent)
    shape = _one(graph, result, SH.sourceShape)
    value = _one(graph, result, SH.value)
    return (
        _focus_or_value(focus),
        None if path is None else path_text(path, graph, shapes),
        None if severity is None else term_text(severity),
        None if component is None else term_text(component),
        None if shape is None else node_text(shape, shapes, graph),
        _focus_or_value(value),
    )


def report_node(report_graph: Graph) -> Node:
    reports = list(report_graph.subjects(RDF.type, SH.ValidationReport))
    if len(reports) != 1:
        raise ValueError(f"expected one sh:ValidationReport, found {len(reports)}")
    return reports[0]


def report_conforms(report_graph: Graph, report: Node | None = None) -> bool:
    report = report_node(report_graph) if report is None else report
    conforms = report_graph.value(report, SH.conforms)
    if not isinstance(conforms, Literal):
        raise ValueError("report has no sh:conforms")
    return bool(conforms.toPython())


def normalize_report(report_graph: Graph, data: Graph, shapes: Graph, *, report: Node | None = None,
                     ) -> Counter[Result]:
    """The results of a sh:ValidationReport as a multiset of normalized tuples (see the module's docstring).

    `report` is the report node; by default the one node of type sh:ValidationReport in `report_graph`. A blank
    sh:resultPath is read from the report graph, else the shapes graph; a blank sh:sourceShape from the shapes
    graph, else the report graph (engines may or may not copy the shape's triples into the report)."""
    report = report_node(report_graph) if report is None else report
    return Counter(result_tuple(report_graph, r, data, shapes) for r in report_graph.objects(report, SH.result))


# --- running -----------------------------------------------------------------------------------------------------


def load_graphs(case: Case) -> tuple[Graph, Graph]:
    """Fresh data and shapes graphs of a case; the same graph object when the test file is both."""
    data = parse(case.data_graph)
    if case.shapes_graph == case.data_graph:
        return data, data
    return data, parse(case.shapes_graph)


def run(case: Case, validate: Backend) -> tuple[bool, Counter[Result], Counter[Result]]:
    """Run one case on a backend: (the backend's sh:conforms equals the expected one, expected results, actual),
    the results as multisets. The case passes when the bool is true and the two multisets are equal."""
    data, shapes = load_graphs(case)
    conforms, results = validate(data, shapes)
    return bool(conforms) == case.conforms, Counter(case.results), Counter(results)


def pyshacl_backend(data: Graph, shapes: Graph) -> tuple[bool, list[Result]]:
    """pySHACL as the suite expects it to run: no inference, SHACL Core only (no SHACL-AF), warnings and infos
    count against conformance (sh:conforms is false whenever there is any result, whatever its severity)."""
    import pyshacl

    conforms, report_graph, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=False, allow_warnings=False, allow_infos=False,
        abort_on_first=False, meta_shacl=False, js=False, debug=False,
    )
    return bool(conforms), sorted(normalize_report(report_graph, data, shapes).elements(), key=repr)
