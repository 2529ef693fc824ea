"""A decision explained (competency question 12): what, by whom, under which rules, from which records, when;
and whether its rule still holds, and its action is still allowed with the approvals it got, on today's graph.
Scenarios (a) and (f) of data/sample/README.md."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import CX, ID, Built, cx, write_store
from cxgraph.answer.explain import explain, find_decision
from cxgraph.errors import CxGraphError
from cxgraph.stores.embedded import EmbeddedStore


def test_a_refund_approved_by_a_supervisor(sample: Built) -> None:
    e = explain(sample.store, sample.project, find_decision(sample.store, sample.project, "DEC-10421"))
    assert (e.decision, e.action, e.amount, e.currency, e.decided_at, e.case) == (
        ID + "decision/DEC-10421", ID + "action/refund", "189", "GBP", "2026-11-18T15:35:00+01:00",
        ID + "case-management/case/CS0010421")
    assert e.agents == [(ID + "employee/EMP-1002", "Tom Hughes", [CX + "Employee"])]
    assert e.approvals == [(ID + "case-management/approval/APR-10421", ID + "employee/EMP-1001", "Priya Raman",
                            "2026-11-18T15:20:00+01:00", [ID + "role/supervisor"])]
    assert [r[0].removeprefix(ID) for r in e.records] == [
        "case-management/approval/APR-10421", "commerce/order-line/WEB-104211-2", "commerce/order/WEB-104211",
        "logistics/shipment/SHP-104211", "wms/fulfilment/FUL-104212", "wms/inventory/BW-10007-DC-LEEDS"]
    assert e.documented_by == [(ID + "case-management/decision/DEC-10421", ID + "system/case-management")]
    (rule,) = e.rules
    assert (rule.rule, rule.condition, rule.about, rule.holds) == (
        ID + "rule/dr-refund-approval", "order-delayed-value-above", ID + "commerce/order/WEB-104211", True)
    assert (ID + "commerce/order/WEB-104211", CX + "hasAmount", "338") in {
        (s.value, p.value, o.value) for s, p, o in rule.facts}
    assert rule.verdict is not None  # billing processed the refund (RF-104211): today a second one is forbidden
    assert (rule.verdict.status, rule.verdict.approvals) == ("forbidden", [])
    assert [f.rule.iri for f in rule.verdict.firings if rule.verdict.action in f.rule.forbids] == [
        ID + "rule/dr-no-second-refund"]
    assert e.missing_approvals == []  # Priya Raman is a supervisor


def test_an_approval_only_in_the_shadow_sheet_is_missing(sample: Built) -> None:
    e = explain(sample.store, sample.project, ID + "decision/DEC-12210")
    assert e.approvals == []
    assert ID + "approvals-sheet/approval/R0002" in [r[0] for r in e.records]
    assert [(r.rule, r.holds) for r in e.rules] == [(ID + "rule/dr-refund-approval", True)]  # 148.00 > 100
    assert e.missing_approvals == [ID + "role/supervisor"]


def test_a_decision_without_a_rule(sample: Built) -> None:
    e = explain(sample.store, sample.project, find_decision(sample.store, sample.project, "DEC-30001"))
    assert (e.rules, e.missing_approvals) == ([], [])
    assert e.agents == [(ID + "employee/EMP-1004", "Marek Kowalski", [CX + "Employee"])]


def test_a_condition_that_no_longer_holds_is_shown(sample: Built) -> None:
    store = EmbeddedStore()
    store.raw.extend(sample.store.raw)
    # the jacket's shipment is no longer late and the tent ships: nothing delays WEB-104211 any more
    store.raw.remove(ox.Quad(ox.NamedNode(ID + "logistics/shipment/SHP-104211"), ox.NamedNode(CX + "isLate"),
                             ox.Literal(True), ox.NamedNode(sample.project.graph_iri("derived"))))
    wms = ox.NamedNode(sample.project.sources["wms"].graph)
    fulfilment = ox.NamedNode(ID + "wms/fulfilment/FUL-104212")
    store.raw.remove(ox.Quad(fulfilment, ox.NamedNode(CX + "hasStatus"), ox.Literal("backordered"), wms))
    store.raw.add(ox.Quad(fulfilment, ox.NamedNode(CX + "hasStatus"), ox.Literal("shipped"), wms))
    store.raw.remove(ox.Quad(ox.NamedNode(ID + "billing/refund/RF-104211"), ox.NamedNode(CX + "hasStatus"),
                             ox.Literal("processed"), ox.NamedNode(sample.project.sources["billing"].graph)))
    (rule,) = explain(store, sample.project, ID + "decision/DEC-10421").rules
    assert (rule.holds, rule.facts) == (False, [])
    assert rule.verdict is not None and rule.verdict.status == "not allowed"
    assert [r.iri.rsplit("/", 1)[1] for r in rule.verdict.unmet] == ["dr-refund-approval", "dr-refund-delayed"]


def test_cli_explain(sample: Built, tmp_path: Path) -> None:
    store = write_store(tmp_path / ".cxgraph" / "store", sample.store.raw)
    proc = cx("explain", "DEC-12210", "--format", "json", cwd=tmp_path, store=store)
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert (body["identifier"], body["missing_approvals"]) == ("DEC-12210", [ID + "role/supervisor"])
    assert body["rules"][0]["action"]["status"] == "forbidden"  # RF-122100 refunded it
    assert body["rules"][0]["action"]["rules"][0] == ID + "rule/dr-no-second-refund"
    text = cx("explain", "id:decision/DEC-10421", cwd=tmp_path, store=store)
    assert text.returncode == 0, text.stderr
    assert "by: Tom Hughes (id:employee/EMP-1002, cx:Employee)" in text.stdout
    assert "today its condition holds for id:commerce/order/WEB-104211" in text.stdout
    missing = cx("explain", "DEC-99999", cwd=tmp_path, store=store)
    assert missing.returncode == 2 and "no decision record has the identifier 'DEC-99999'" in missing.stderr


def test_find_decision_refuses_what_is_not_one(sample: Built) -> None:
    with pytest.raises(CxGraphError, match="is not a decision in the store"):
        find_decision(sample.store, sample.project, "id:case-management/case/CS0010421")
