"""The W3C SHACL Core test suite (tests/data/shacl-w3c/core), run on every SHACL backend in BACKENDS.

pySHACL is the reference backend: it proves the runner (manifest reading, report normalization, comparison) on a
known engine. Adding an engine is one entry in BACKENDS (and, if need be, its known failures in KNOWN_FAILURES):

    from cxgraph.check.shacl_sparql import validate_graph
    BACKENDS["sparql"] = validate_graph          # (data, shapes) -> (conforms, [normalized result tuples])
"""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection

from cxgraph.check.shacl_sparql import to_rdflib, validate_graph
from shacl_w3c import FOLDERS, SH, Backend, Case, cases, normalize_report, path_text, pyshacl_backend, run, term_text


def sparql_backend(data: Graph, shapes: Graph) -> tuple[bool, list]:
    """cxgraph's SHACL compiled to SPARQL, on an in-memory Oxigraph store holding the data graph."""
    conforms, report = validate_graph(data, shapes)
    return conforms, sorted(normalize_report(report, data, shapes).elements(), key=repr)


def as_stored(results: Counter) -> Counter:
    """Literals as Oxigraph stores them: it keeps a valid number in canonical form ("4.0"^^xsd:decimal is read
    back as "4"), so a store-based engine reports the canonical form of the value the suite wrote."""
    store = ox.Store()

    def one(text: object) -> object:
        if not isinstance(text, str) or not text.startswith('"'):
            return text
        quad = next(iter(ox.parse(f"<urn:s> <urn:p> {text} .".encode(), format=ox.RdfFormat.N_TRIPLES)))
        store.clear()
        store.add(ox.Quad(quad.subject, quad.predicate, quad.object))
        return term_text(to_rdflib(next(iter(store)).object))

    return Counter({tuple(one(part) for part in result): n for result, n in results.items()})


BACKENDS: dict[str, Backend] = {"pyshacl": pyshacl_backend, "sparql": sparql_backend}

# Cases pySHACL (the version in the venv) gets wrong, with why. xfail is strict: a fixed one must leave the list.
KNOWN_PYSHACL_FAILURES: dict[str, str] = {
    "core/property/uniqueLang-002": (
        'pySHACL reads sh:uniqueLang "1"^^xsd:boolean by its value (True) and checks unique languages; the suite '
        'says only the literal true activates the constraint, so "1" is ignored and the data conforms'
    ),
}

KNOWN_SPARQL_FAILURES: dict[str, str] = {
    "core/property/datatype-ill-formed": (
        "refused on purpose: Oxigraph stores a valid xsd:byte (xsd:int, ...) literal as xsd:integer, so "
        "sh:datatype xsd:byte would fail every valid value; the engine says so and names the shape instead"
    ),
}

KNOWN_FAILURES: dict[str, dict[str, str]] = {"pyshacl": KNOWN_PYSHACL_FAILURES, "sparql": KNOWN_SPARQL_FAILURES}
CANONICAL = {"sparql": as_stored}  # how a backend's store writes literals back, applied to both sides


def _params() -> list:
    params = []
    for backend in BACKENDS:
        known = KNOWN_FAILURES.get(backend, {})
        for case in cases():
            marks = [pytest.mark.xfail(strict=True, reason=known[case.name])] if case.name in known else []
            params.append(pytest.param(backend, case, id=f"{backend}:{case.name}", marks=marks))
    return params


@pytest.mark.parametrize(("backend", "case"), _params())
def test_w3c_core(backend: str, case: Case) -> None:
    conforms_ok, expected, actual = run(case, BACKENDS[backend])
    if backend in CANONICAL:
        expected, actual = CANONICAL[backend](expected), CANONICAL[backend](actual)
    assert conforms_ok, f"{case.name}: expected sh:conforms {case.conforms}"
    assert expected == actual, (
        f"{case.name}: missing {sorted((expected - actual).elements(), key=repr)}, "
        f"unexpected {sorted((actual - expected).elements(), key=repr)}"
    )


def test_known_failures_name_real_cases() -> None:
    names = {case.name for case in cases()}
    for backend, known in KNOWN_FAILURES.items():
        assert backend in BACKENDS
        assert set(known) <= names, set(known) - names


def test_manifests_are_read_whole() -> None:
    """A broken manifest reader must not pass by finding nothing: ≥ 90 cases, every folder, every case checked."""
    found = cases()
    assert len(found) >= 90
    per_folder = Counter(case.name.split("/")[1] for case in found)
    assert set(per_folder) == set(FOLDERS), per_folder
    assert len({case.name for case in found}) == len(found)
    for case in found:
        assert case.data_graph.is_file() and case.shapes_graph.is_file(), case
        assert case.status in {"approved", "proposed"}, case
        # a non-conforming case expects results, a conforming one none
        assert case.conforms == (not case.results), case.name
    assert sum(len(case.results) for case in found) > 150


def test_runner_can_fail() -> None:
    """A backend that reports nothing passes the conforming cases only; one that drops or repeats a result fails."""
    def nothing(data: Graph, shapes: Graph) -> tuple[bool, list]:
        return True, []

    passed = {case.name for case in cases() if _passes(case, nothing)}
    assert passed == {case.name for case in cases() if case.conforms}

    case = next(c for c in cases() if c.name == "core/validation-reports/shared")  # one result expected twice
    assert _passes(case, lambda data, shapes: (False, list(case.results)))
    assert not _passes(case, lambda data, shapes: (False, list(case.results)[:1]))
    assert not _passes(case, lambda data, shapes: (False, [*case.results, case.results[0]]))


def _passes(case: Case, backend: Backend) -> bool:
    conforms_ok, expected, actual = run(case, backend)
    return conforms_ok and expected == actual


def test_path_and_term_text() -> None:
    g = Graph()
    p, q = URIRef("http://e/p"), URIRef("http://e/q")
    inverse, star, seq, alt = BNode(), BNode(), BNode(), BNode()
    g.add((inverse, SH.inversePath, q))
    Collection(g, seq, [p, inverse])
    g.add((star, SH.zeroOrMorePath, seq))
    Collection(g, alt_list := BNode(), [star, p])
    g.add((alt, SH.alternativePath, alt_list))
    assert path_text(alt, g) == "((<http://e/p>/^<http://e/q>)*|<http://e/p>)"
    assert term_text(Literal("a\"b\n", datatype=URIRef("http://www.w3.org/2001/XMLSchema#string"))) == '"a\\"b\\n"'
    assert term_text(Literal("x", lang="EN-gb")) == '"x"@en-gb'
    assert term_text(Literal("01", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer"), normalize=False)) == (
        '"01"^^<http://www.w3.org/2001/XMLSchema#integer>')
