"""Data reasoning: exact inferences on a small fixture, and the sample enterprise's inferred graph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import typer
from typer.testing import CliRunner

import cxgraph.build.materialize as materialize_module
from conftest import CX, ID, ROOT, Built
from cxgraph.build.materialize import data_graphs, inferred_graph, materialize
from cxgraph.cli import app as cxgraph_app
from cxgraph.errors import CxGraphError
from cxgraph.project import Project
from cxgraph.stores.embedded import EmbeddedStore

BASE = "https://example.org/"
EX = "https://example.org/ns#"

TBOX = """
@prefix ex: <https://example.org/ns#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:A rdfs:subClassOf ex:B , [ a owl:Restriction ; owl:onProperty ex:p ; owl:someValuesFrom ex:C ] .
ex:B rdfs:subClassOf ex:C .
ex:D owl:equivalentClass ex:E .
ex:U owl:equivalentClass [ a owl:Class ; owl:unionOf ( ex:U1 ex:U2 ) ] .
ex:W rdfs:subClassOf [ a owl:Class ; owl:unionOf ( ex:W1 ex:W2 ) ] .
ex:I owl:equivalentClass [ a owl:Class ; owl:intersectionOf ( ex:A ex:F ) ] ; rdfs:subClassOf ex:G .
ex:L owl:equivalentClass [ a owl:Class ; owl:intersectionOf ( ex:G ex:C ) ] .
ex:H owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:status ; owl:hasValue ex:severe ] .
ex:J owl:equivalentClass [ a owl:Class ; owl:intersectionOf (
    ex:K [ a owl:Restriction ; owl:onProperty ex:status ; owl:hasValue ex:severe ] ) ] .
ex:N owl:equivalentClass [ a owl:Class ; owl:intersectionOf (
    ex:K [ a owl:Restriction ; owl:onProperty ex:p ; owl:someValuesFrom ex:C ] ) ] .
ex:X rdfs:subClassOf owl:Thing .
ex:p rdfs:subPropertyOf ex:q . ex:q rdfs:subPropertyOf ex:r .
ex:s owl:equivalentProperty ex:t .
"""

ONE = """
@prefix ex: <https://example.org/ns#> .
ex:a a ex:A .
ex:a2 a ex:A , ex:F .
ex:b a ex:B , ex:C .
ex:d a ex:D .
ex:u a ex:U1 .
ex:w a ex:W .
ex:h ex:status ex:severe .
ex:k a ex:K ; ex:status ex:severe .
ex:k2 a ex:K ; ex:status ex:mild ; ex:p ex:b .
ex:h2 ex:status ex:severe .
ex:thing a ex:X .
ex:x ex:p ex:y ; ex:s ex:z .
ex:x2 ex:q ex:y2 .
"""

TWO = """
@prefix ex: <https://example.org/ns#> .
ex:x2 ex:p ex:y2 .
ex:b2 a ex:A , ex:C .
ex:h2 a ex:H .
"""

# Exactly what must be inferred, no more: no owl:Thing, nothing through someValuesFrom or a superclass union,
# and ex:x2 ex:q ex:y2 is not repeated because graph one asserts it (nor are ex:b2's and ex:h2's types in two).
EXPECTED = """
@prefix ex: <https://example.org/ns#> .
ex:a a ex:B , ex:C .
ex:b2 a ex:B .
ex:a2 a ex:B , ex:C , ex:I , ex:G , ex:L .
ex:d a ex:E .
ex:u a ex:U .
ex:h a ex:H .
ex:k a ex:H , ex:J .
ex:k2 ex:q ex:b ; ex:r ex:b .
ex:x ex:q ex:y ; ex:r ex:y ; ex:t ex:z .
ex:x2 ex:r ex:y2 .
"""


def _project(tmp: Path) -> Project:
    return Project(root=tmp, registry=tmp / "sources.yaml", data_root=tmp, base_iri=BASE,
                   ontology=tmp / "ontology.ttl", identity=tmp / "identity.yaml")


def _load(store: EmbeddedStore, text: str, graph: str) -> None:
    store.raw.load(text.encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(graph))


def _graph(store: EmbeddedStore, graph: str) -> set[ox.Triple]:
    return {q.triple for q in store.raw.quads_for_pattern(None, None, None, ox.NamedNode(graph))}


def _turtle(text: str) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(text.encode(), format=ox.RdfFormat.TURTLE)}


@pytest.fixture
def fixture_store(tmp_path: Path) -> tuple[Project, EmbeddedStore]:
    project = _project(tmp_path)
    store = EmbeddedStore()
    _load(store, TBOX, project.graph_iri("ontology"))
    _load(store, ONE, project.graph_iri("source/one"))
    _load(store, TWO, project.graph_iri("source/two"))
    return project, store


def test_fixture_inferences_are_exactly_the_expected_ones(fixture_store: tuple[Project, EmbeddedStore]) -> None:
    project, store = fixture_store
    counts = materialize(store, project)
    inferred = _graph(store, inferred_graph(project))
    expected = _turtle(EXPECTED)
    assert inferred - expected == set(), "unexpected inferences"
    assert expected - inferred == set(), "missing inferences"
    assert counts["triples"] == len(expected)
    assert counts["types"] == sum(1 for t in expected if t.predicate.value.endswith("#type"))
    assert counts["rounds"] >= 2  # ex:L needs ex:G, which needs ex:I from the first round



def test_removal_in_small_requests_gives_the_same_graph(fixture_store: tuple[Project, EmbeddedStore],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    project, store = fixture_store
    requests: list[str] = []
    update = store.update
    monkeypatch.setattr(store, "update", lambda sparql: (requests.append(sparql), update(sparql))[1])
    monkeypatch.setattr(materialize_module, "UPDATE_BYTES", 300)  # about one operation a request
    materialize(store, project)
    removals = [r for r in requests if r.startswith("DELETE") and " ;\n" not in r]
    assert len(removals) > 10
    assert _graph(store, inferred_graph(project)) == _turtle(EXPECTED)


def test_a_subproperty_of_rdf_type_and_a_defined_top_class(tmp_path: Path) -> None:
    """Entailments of a property under rdf:type can be any type: all are checked against the data. A definition
    of owl:Thing types nothing (nor do the subclass rules)."""
    project = _project(tmp_path)
    store = EmbeddedStore()
    _load(store, """@prefix ex: <https://example.org/ns#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ex:kind rdfs:subPropertyOf rdf:type . ex:B rdfs:subClassOf ex:C .
        owl:Thing owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:flag ; owl:hasValue ex:on ] .""",
          project.graph_iri("ontology"))
    _load(store, "@prefix ex: <https://example.org/ns#> . ex:m ex:kind ex:B . ex:n ex:kind ex:Z . ex:f ex:flag ex:on .",
          project.graph_iri("source/one"))
    _load(store, "@prefix ex: <https://example.org/ns#> . ex:m a ex:B .", project.graph_iri("source/two"))
    materialize(store, project)
    assert _graph(store, inferred_graph(project)) == _turtle(
        "@prefix ex: <https://example.org/ns#> . ex:m a ex:C . ex:n a ex:Z .")

def test_source_graphs_are_untouched_and_rebuild_is_stable(fixture_store: tuple[Project, EmbeddedStore]) -> None:
    project, store = fixture_store
    graphs = [project.graph_iri(n) for n in ("ontology", "source/one", "source/two")]
    before = {g: _graph(store, g) for g in graphs}
    materialize(store, project)
    first = _graph(store, inferred_graph(project))
    materialize(store, project)
    assert _graph(store, inferred_graph(project)) == first
    assert {g: _graph(store, g) for g in graphs} == before
    assert sorted(store.named_graphs()) == sorted([*graphs, inferred_graph(project)])  # no staging left behind


def test_rebuild_follows_the_data(fixture_store: tuple[Project, EmbeddedStore]) -> None:
    project, store = fixture_store
    materialize(store, project)
    store.update(f"DELETE DATA {{ GRAPH <{project.graph_iri('source/one')}> {{ <{EX}a> a <{EX}A> }} }}")
    store.update(f"INSERT DATA {{ GRAPH <{project.graph_iri('source/two')}> {{ <{EX}new> a <{EX}U2> }} }}")
    inferred = materialize(store, project)
    triples = _graph(store, inferred_graph(project))
    assert ox.Triple(ox.NamedNode(EX + "a"), ox.NamedNode(RDF_TYPE), ox.NamedNode(EX + "B")) not in triples
    assert ox.Triple(ox.NamedNode(EX + "new"), ox.NamedNode(RDF_TYPE), ox.NamedNode(EX + "U")) in triples
    assert inferred["triples"] == len(_turtle(EXPECTED)) - 2 + 1


def test_no_ontology_graph_is_an_error(tmp_path: Path) -> None:
    project = _project(tmp_path)
    store = EmbeddedStore()
    _load(store, ONE, project.graph_iri("source/one"))
    with pytest.raises(CxGraphError, match="no ontology graph"):
        materialize(store, project)


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.fixture(scope="module")
def reasoned(sample: Built) -> tuple[Built, EmbeddedStore, dict[str, int]]:
    """A copy of the sample store, so that the shared sample is not changed under other tests."""
    store = EmbeddedStore()
    store.raw.extend(q for q in sample.store.raw if q.graph_name != ox.NamedNode(inferred_graph(sample.project)))
    return sample, store, materialize(store, sample.project)


def _count(store: EmbeddedStore, sparql: str) -> int:
    return int(next(iter(store.query(sparql)))["n"].value)


def test_sample_customer_records_and_signals(reasoned: tuple[Built, EmbeddedStore, dict[str, int]]) -> None:
    sample, store, _ = reasoned
    records = _count(store, f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ ?r a <{CX}CustomerRecord> }}")
    households = _count(store, f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ ?r a <{CX}Household> }}")
    assert sample.report.identity["records"] == 504
    assert households == 11
    assert records == 504 + households
    assert bool(store.query(f"ASK {{ GRAPH <{inferred_graph(sample.project)}> {{ "
                       f"<{ID}crm/household/HH-30006> a <{CX}CustomerRecord>, <{CX}Record> }} }}"))
    anomaly = _count(store, f"SELECT (COUNT(?s) AS ?n) WHERE {{ ?s a <{CX}ServiceAnomalySignal>, <{CX}Signal> }}")
    assert anomaly == 1
    # every record of any kind is a cx:Record, e.g. every shipment
    shipments = _count(store, f"SELECT (COUNT(?s) AS ?n) WHERE {{ ?s a <{CX}Shipment>, <{CX}Record> }}")
    assert shipments == _count(store, f"SELECT (COUNT(?s) AS ?n) WHERE {{ ?s a <{CX}Shipment> }}") == 304
    # a subproperty: each prov:used of a source load is also a prov:wasInfluencedBy
    used = _count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?a <http://www.w3.org/ns/prov#used> ?e }")
    influenced = _count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?a <http://www.w3.org/ns/prov#wasInfluencedBy> ?e }")
    assert used > 0 and influenced >= used


def test_sample_signal_subclass_is_inferred_when_not_asserted(sample: Built) -> None:
    """The monitoring mapping asserts cx:Signal itself; without it, reasoning must supply it."""
    store = EmbeddedStore()
    signal = ox.NamedNode(CX + "Signal")
    monitoring = ox.NamedNode(sample.project.sources["monitoring"].graph)
    store.raw.extend(q for q in sample.store.raw if q.object != signal or q.graph_name != monitoring)
    materialize(store, sample.project)
    inferred = inferred_graph(sample.project)
    rows = store.query(f"SELECT ?s WHERE {{ GRAPH <{inferred}> {{ ?s a <{CX}Signal> }} }} ORDER BY ?s")
    assert [r["s"].value for r in rows] == [f"{ID}monitoring/signal/SIG-000{i}" for i in (1, 2, 3, 4)]
    anomaly = f"<{ID}monitoring/signal/SIG-0002>"
    assert bool(store.query(f"ASK {{ {anomaly} a <{CX}ServiceAnomalySignal> "
                            f"GRAPH <{inferred}> {{ {anomaly} a <{CX}Signal> }} }}"))


def test_sample_inferred_graph_holds_nothing_asserted(reasoned: tuple[Built, EmbeddedStore, dict[str, int]]) -> None:
    sample, store, counts = reasoned
    inferred = inferred_graph(sample.project)
    data = " ".join(f"<{g}>" for g in data_graphs(store, sample.project))
    repeated = _count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{inferred}> {{ ?s ?p ?o }} "
                             f"VALUES ?g {{ {data} }} GRAPH ?g {{ ?s ?p ?o }} }}")
    assert repeated == 0
    assert counts["triples"] == store.count(inferred) > 0
    for source in sample.project.sources.values():
        assert store.count(source.graph) == sample.store.count(source.graph)


def test_sample_rebuild_gives_the_same_graph(reasoned: tuple[Built, EmbeddedStore, dict[str, int]]) -> None:
    sample, store, counts = reasoned
    inferred = ox.NamedNode(inferred_graph(sample.project))
    first = set(store.raw.quads_for_pattern(None, None, None, inferred))
    assert materialize(store, sample.project)["triples"] == counts["triples"]
    assert set(store.raw.quads_for_pattern(None, None, None, inferred)) == first


def _app() -> typer.Typer:
    """The `cxgraph` command itself, run in-process."""
    return cxgraph_app


def test_reason_command(tmp_path: Path, reasoned: tuple[Built, EmbeddedStore, dict[str, int]]) -> None:
    sample, store, counts = reasoned
    disk = EmbeddedStore(tmp_path / "store")
    with disk.workspace(tmp_path / "build.lock") as ws:
        ws.store.raw.extend(q for q in store.raw if q.graph_name != ox.NamedNode(inferred_graph(sample.project)))
        ws.publish([])
    disk.close()
    result = CliRunner().invoke(_app(), ["reason", "--store", str(tmp_path / "store"), "--project", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert f"{counts['triples']}" in result.output
    again = EmbeddedStore(tmp_path / "store", read_only=True)
    assert again.count(inferred_graph(sample.project)) == counts["triples"]


def test_reason_command_without_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["reason", "--store", str(tmp_path / "none"), "--project", str(ROOT)])
    assert result.exit_code == 2
    assert "run `cxgraph build` first" in result.output


@pytest.mark.parametrize("batch", [7, 500_000])
def test_a_workspace_streams_the_subclass_closure_to_the_same_graph_an_update_writes(
        sample: Built, batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build's workspace reads each class's instances as TSV and hands N-Quads to the bulk loader in batches;
    any other store takes the SPARQL update. Both give the same inferred graph on the sample, in batches of any
    size (7 bytes: a load per 8 KB the store writes)."""
    import cxgraph.build.materialize as reasoning

    monkeypatch.setattr(reasoning, "SCAN_BYTES", batch)
    graph = ox.NamedNode(inferred_graph(sample.project))
    found = []
    for store in (EmbeddedStore.private(ox.Store()), EmbeddedStore()):
        store.raw.extend(q for q in sample.store.raw.quads_for_pattern(None, None, None, None) if q.graph_name != graph)
        assert store.is_private == (not found)
        materialize(store, sample.project)
        found.append({str(q) for q in store.raw.quads_for_pattern(None, None, None, graph)})
    assert found[0] and found[0] == found[1]


def test_a_workspace_drops_a_graph_in_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """A workspace deletes a graph it replaces a few quads per transaction (bounded memory), and all of it."""
    import cxgraph.stores.embedded as embedded

    monkeypatch.setattr(embedded, "DROP_STEP", 7)
    store = EmbeddedStore.private(ox.Store())
    graph, other = ox.NamedNode(ID + "graph/g"), ox.NamedNode(ID + "graph/other")
    store.raw.extend(ox.Quad(ox.NamedNode(f"{ID}s{i}"), ox.NamedNode(CX + "p"), ox.Literal(i), g)
                     for i in range(50) for g in (graph, other))
    store.drop_graph(graph.value)
    assert store.count(graph.value) == 0 and store.count(other.value) == 50


def test_a_workspace_infers_types_of_blank_nodes_on_the_same_node(tmp_path: Path) -> None:
    """The bulk loader renames the blank nodes it reads: a class with a blank-node instance is closed over as
    quads, so the inferred types land on the very node the data has (and IRIs beside it still get theirs)."""
    project = _project(tmp_path)
    store = EmbeddedStore.private(ox.Store())
    _load(store, TBOX, project.graph_iri("ontology"))
    _load(store, "@prefix ex: <https://example.org/ns#> . [] a ex:A ; ex:name \"n\" . ex:a a ex:A . ex:d a ex:D .",
          project.graph_iri("source/one"))
    materialize(store, project)
    inferred = _graph(store, inferred_graph(project))
    blank = next(t.subject for t in _graph(store, project.graph_iri("source/one"))
                 if isinstance(t.subject, ox.BlankNode))
    b, c, e = (ox.NamedNode(EX + name) for name in "BCE")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    assert inferred == {ox.Triple(s, rdf_type, o) for s, o in [
        (blank, b), (blank, c), (ox.NamedNode(EX + "a"), b), (ox.NamedNode(EX + "a"), c),
        (ox.NamedNode(EX + "d"), e)]}


def test_the_type_sink_takes_lines_cut_anywhere() -> None:
    """The store writes a class's instances 8 KB at a time, so a line can be cut between two writes: each instance
    still gets each superclass once, a blank node on the same node, and a last line without its end is kept.
    The store flushes its output after every class: the lines still wait for one load across classes."""
    store = EmbeddedStore.private(ox.Store())
    staging = "https://example.org/graph/inferred"
    sink = materialize_module._Supertypes(store, staging)
    sink.start([EX + "B", EX + "C"])
    for piece in [b"?", b"x\n<https://example.org/ns#a1>\n<https://exa", b"mple.org/ns#a2>\n_:b", b"9\n_:c7\n",
                  b"<https://example.org/ns#a3>"]:
        assert sink.write(piece) == len(piece)
    sink.flush()
    sink.end()
    sink.start([EX + "D"])
    sink.write(b"?x\n<https://example.org/ns#d1>\n")
    sink.flush()
    sink.end()
    assert sink.loads == 0 and store.count(staging) == 0
    sink.load()
    assert sink.loads == 1
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    found = {(q.subject, q.object) for q in store.raw.quads_for_pattern(None, rdf_type, None, ox.NamedNode(staging))}
    subjects = [ox.NamedNode(EX + f"a{i}") for i in (1, 2, 3)] + [ox.BlankNode("b9"), ox.BlankNode("c7")]
    assert found == {(s, ox.NamedNode(EX + c)) for s in subjects for c in "BC"} | {
        (ox.NamedNode(EX + "d1"), ox.NamedNode(EX + "D"))}
