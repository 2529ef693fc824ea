"""Each source's YARRRML mapping, run by morph-kgc on a small fixture, gives exactly the expected graph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from conftest import FIXTURES, ROOT, build_memory
from cxgraph.project import load_project

CASES = sorted(p.name for p in (FIXTURES / "mappings").iterdir() if (p / "expected.ttl").exists())


def mapped_graph(work: Path) -> rdflib.Graph:
    """morph-kgc's own output (the store would canonicalize literals such as "59.00"^^xsd:decimal)."""
    dataset = rdflib.Dataset()
    for path in sorted((work / "staging").glob("mapped-*.nq")):
        dataset.parse(path, format="nquads")
    graph = rdflib.Graph()
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def stored_graph(built, source: str) -> set[str]:
    graph = ox.NamedNode(built.project.sources[source].graph)
    return {str(q.triple) for q in built.store.raw.quads_for_pattern(None, None, None, graph)}


@pytest.mark.parametrize("source", CASES)
def test_mapping_fixture_gives_expected_graph(source: str, tmp_path: Path) -> None:
    fixture = FIXTURES / "mappings" / source
    built = build_memory(tmp_path, data_root=fixture / "data", only=[source], keep_staging=True)
    summary = built.report.sources[0]
    assert summary.rows_quarantined == 0, built.report.check.issues
    actual = mapped_graph(tmp_path)
    expected = rdflib.Graph().parse(fixture / "expected.ttl")
    if not isomorphic(actual, expected):
        _, only_actual, only_expected = graph_diff(to_isomorphic(actual), to_isomorphic(expected))
        pytest.fail("mapping output differs from expected.ttl\nonly in output:\n"
                    + only_actual.serialize(format="nt") + "\nonly expected:\n" + only_expected.serialize(format="nt"))
    assert summary.triples == len(stored_graph(built, source)) > 0


def test_every_registered_source_has_a_mapping_fixture() -> None:
    assert sorted(load_project(ROOT).sources) == CASES
