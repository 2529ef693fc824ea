"""HermiT over the ontology together with the data: the sample has a model, and a record that is also an
activity is named with the two disjoint classes and what put it under each."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import CX, ID, Built, cx, write_store
from cxgraph.check.data_consistency import check_with_data, data_findings, set_aside
from cxgraph.ontology import load_closure
from cxgraph.stores.embedded import EmbeddedStore

PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def java() -> str:
    import shutil

    from cxgraph.system import JDK

    found = shutil.which("java")
    if not found:
        pytest.skip(f"'java' is missing: {JDK.install_hint}")
    return found


def test_the_sample_data_is_consistent_with_the_ontology(sample: Built, java: str) -> None:
    closure = load_closure(sample.project.ontology)
    result = check_with_data(closure.graph, sample.store, sample.project)
    assert result.error is None and result.consistent is True and result.culprits == []
    # HermiT reads only the OWL 2 datatype map: the sample's days (xsd:date) are set aside, and said so
    assert dict(result.set_aside) == {"datatype date is not in the OWL 2 datatype map": 1278}
    assert result.triples > 0


def test_a_decision_that_is_also_a_record_is_named(sample: Built, java: str, tmp_path: Path) -> None:
    store = EmbeddedStore()
    store.raw.extend(sample.store.raw)
    decision = f"{ID}decision/DEC-10421"
    graph = ox.NamedNode(sample.project.sources["case-management"].graph)
    # what the mapping wrote before decisions got decision records: the activity itself held as a record
    store.add_quads([ox.Quad(ox.NamedNode(decision), ox.NamedNode(CX + "isRecordedIn"),
                             ox.NamedNode(f"{ID}system/case-management"), graph)])
    closure = load_closure(sample.project.ontology)
    result = check_with_data(closure.graph, store, sample.project)
    assert result.consistent is False
    assert [(c.individual, c.first, c.second) for c in result.culprits] == [
        (decision, PROV + "Activity", PROV + "Entity")]
    (finding,) = data_findings(result, closure.top_iri)
    assert str(finding.entity) == decision
    assert finding.message == ("is a prov:Activity (by its type) and a prov:Entity (by cx:isRecordedIn), which are "
                               "disjoint")


@pytest.mark.parametrize(("literal", "why"), [
    (ox.Literal("2026-11-20", datatype=ox.NamedNode(XSD + "date")), "datatype date is not in the OWL 2 datatype map"),
    (ox.Literal("2026-11-29T19:19:30.945287Z", datatype=ox.NamedNode(XSD + "dateTime")),
     "dateTime finer than a millisecond"),
    (ox.Literal("2026-11-29T19:19:30.945Z", datatype=ox.NamedNode(XSD + "dateTime")), None),
    (ox.Literal("12.50", datatype=ox.NamedNode(XSD + "decimal")), None),
    (ox.Literal("text"), None),
])
def test_literals_hermit_cannot_read_are_set_aside(literal: ox.Literal, why: str | None) -> None:
    assert set_aside(literal) == why


def test_check_ontology_with_data_names_the_individual(sample: Built, java: str, tmp_path: Path) -> None:
    import json

    store = tmp_path / ".cxgraph" / "store"
    decision = f"{ID}decision/DEC-10421"
    write_store(store, sample.store.raw, update=(
        f"INSERT DATA {{ GRAPH <{sample.project.sources['case-management'].graph}> {{ <{decision}> "
        f"<{CX}hasSourceIdentifier> \"DEC-10421\" }} }}"))
    proc = cx("check-ontology", "--data", "--no-reason", "--format", "json", cwd=tmp_path, store=store)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["reasoner"]["with_data"]["consistent"] is False
    assert [(f["check"], f["entity"]) for f in report["findings"]] == [("data-consistency", decision)]
