"""The SHACL engine compiled to SPARQL (`cxgraph validate`'s default) gives pySHACL's results.

Compared as multisets of (shape, focus node, severity, component, path, value, message) on real builds: the
sample enterprise, the second enterprise (Northwind, its own shapes), and the fixture profiles of
test_validate; generated data at scale is compared in test_generate. The W3C SHACL Core suite is in
test_shacl_w3c.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, Built
from cxgraph.build.pipeline import build
from cxgraph.check.validate import Validation, run_validation
from cxgraph.errors import CxGraphError
from cxgraph.project import load_project
from cxgraph.stores.embedded import EmbeddedStore


def results(validation: Validation) -> Counter[tuple[str | None, ...]]:
    """The results as a multiset. A message substitutes a term's text: pySHACL writes rdflib's normalized
    form ("+00:00" for a UTC dateTime) where the store gives the literal as written ("Z")."""
    return Counter((r.shape, r.focus, r.severity, r.component, r.path, r.value, r.message.replace("+00:00", "Z"))
                   for r in validation.results)


def assert_engines_agree(store: object, project: object, profiles: list[Path] | None = None) -> Validation:
    compiled = run_validation(store, project, profiles, engine="sparql")
    reference = run_validation(store, project, profiles, engine="pyshacl")
    mine, theirs = results(compiled), results(reference)
    assert mine == theirs, (f"only compiled: {sorted((mine - theirs).elements())[:5]}; "
                            f"only pySHACL: {sorted((theirs - mine).elements())[:5]}")
    assert compiled.counts == reference.counts
    return compiled


def test_the_sample_enterprise(sample: Built) -> None:
    validation = assert_engines_agree(sample.store, sample.project)
    assert validation.counts == {"Violation": 10, "Warning": 8, "Info": 2}


def test_the_second_enterprise(tmp_path: Path) -> None:
    """Northwind: another registry, its own base IRI and its own shape profile."""
    registry = FIXTURES / "wholesaler" / "loaders" / "sources.yaml"
    project = load_project(ROOT, registry_file=registry)
    store = EmbeddedStore()
    build(project, store, tmp_path, echo=lambda _m: None)
    validation = assert_engines_agree(store, project)
    assert validation.results  # its deliberate inconsistencies are found


@pytest.mark.parametrize("profile", ["pass", "warn", "violation"])
def test_the_fixture_profiles(sample: Built, profile: str) -> None:
    assert_engines_agree(sample.store, sample.project, [FIXTURES / "validation" / profile])


def test_unknown_engine_is_refused(sample: Built) -> None:
    with pytest.raises(CxGraphError, match="unknown validation engine"):
        run_validation(sample.store, sample.project, engine="jena")


@pytest.mark.parametrize("engine", ["sparql", "pyshacl"])
def test_an_ill_typed_literal_written_outside_the_build_is_a_violation(sample: Built, tmp_path: Path,
                                                                        engine: str) -> None:
    """The build refuses ill-typed literals; a store written otherwise still gets them reported, named."""
    import pyoxigraph as ox

    from conftest import write_store
    from cxgraph.vocab import ILL_TYPED, XSD

    graph = ox.NamedNode(sample.project.graph_iri("derived"))
    subject = ox.NamedNode(sample.project.id_iri("commerce/order/X-1"))
    quads = [ox.Quad(subject, ox.NamedNode("https://w3id.org/cxgraph/ontology#placedAt"),
                     ox.Literal("2026-02-30T10:00:00Z", datatype=ox.NamedNode(XSD + "dateTime")), graph),
             ox.Quad(subject, ox.NamedNode("https://w3id.org/cxgraph/ontology#hasQuantity"),
                     ox.Literal("12", datatype=ox.NamedNode(XSD + "integer")), graph)]
    store = EmbeddedStore(write_store(tmp_path / "store", quads))
    validation = run_validation(store, sample.project, [FIXTURES / "validation" / "pass"], engine=engine)
    ill = [r for r in validation.results if r.shape == ILL_TYPED]
    assert [(r.focus, r.value, r.severity) for r in ill] == [(subject.value, "2026-02-30T10:00:00Z", "Violation")]


PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


def _compiled_and_pyshacl(shapes_ttl: str, data_ttl: str) -> tuple[Counter, Counter]:
    import pyshacl
    import rdflib
    from rdflib.namespace import SH

    from cxgraph.check.shacl_sparql import validate_graph

    shapes = rdflib.Graph().parse(data=PREFIXES + shapes_ttl, format="turtle")
    data = rdflib.Graph().parse(data=PREFIXES + data_ttl, format="turtle")

    def key(report: rdflib.Graph) -> Counter:
        return Counter((str(report.value(r, SH.focusNode)), str(report.value(r, SH.sourceConstraintComponent)))
                       for r in report.objects(None, SH.result))

    return key(validate_graph(data, shapes)[1]), key(pyshacl.validate(data, shacl_graph=shapes,
                                                                       inference="none")[1])


@pytest.mark.parametrize("select", [
    "SELECT $this WHERE { OPTIONAL { $this ex:p ?o } FILTER(!bound(?o)) }",  # $this bound before OPTIONAL
    "SELECT $this WHERE { FILTER NOT EXISTS { $this ex:p ?o } }",
    "SELECT $this WHERE { $this ex:q ?x }",  # two solutions for ex:a: one result
])
def test_a_sparql_constraint_sees_this_pre_bound(select: str) -> None:
    shapes = f'ex:S sh:targetClass ex:C ; sh:sparql [ sh:select "{select}" ; sh:prefixes ex:decl ] .\n' \
             'ex:decl sh:declare [ sh:prefix "ex" ; sh:namespace "http://ex/"^^xsd:anyURI ] .'
    mine, theirs = _compiled_and_pyshacl(shapes, "ex:a a ex:C ; ex:q 1, 2 . ex:b a ex:C ; ex:p 1 .")
    assert mine == theirs and mine


@pytest.mark.parametrize(("shapes", "refusal"), [
    ('ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:pattern "^(?!foo)" ] .', "not a regular"),
    ("ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:datatype xsd:int ] .", "xsd:integer"),
    ('ex:S sh:targetClass ex:C ; sh:sparql [ sh:select "SELECT $this WHERE { $this $PATH ?o }" ] .', "PATH"),
    ("ex:S sh:target [ a sh:SPARQLTarget ; sh:select 'SELECT ?this WHERE { ?this a ?c }' ] .", "sh:target"),
    ("ex:S sh:targetClass ex:C ; sh:sparql [ sh:select 'SELECT $this WHERE { $this ?p ?o } LIMIT 1' ] .",
     "LIMIT"),
])
def test_what_the_engine_does_not_run_is_refused_by_name(shapes: str, refusal: str) -> None:
    with pytest.raises(CxGraphError, match=refusal):
        _compiled_and_pyshacl(shapes, 'ex:a a ex:C ; ex:p "bar" .')
