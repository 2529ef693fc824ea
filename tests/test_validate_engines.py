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
