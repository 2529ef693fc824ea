"""Policies evaluated for what is in their scope (competency questions 8, 9 and 13): outreach for a signal, the
offer guard for a campaign, recovery options for an order; each verdict with the rules that held and their
facts, kept in the recommendations graph, replaced when made again, flagged when a fact no longer holds. The
sample's story is in data/sample/README.md (scenarios (a), (d), (e), (g) and the sections after them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import CX, ID, ROOT, Built, cx, write_store
from cxgraph.answer.policy import evaluate
from cxgraph.answer.queries import catalog, run
from cxgraph.answer.recommend import find_resource, names, triage, write_evaluations, write_triage
from cxgraph.answer.render import compact
from cxgraph.errors import CxGraphError
from cxgraph.stores.embedded import EmbeddedStore

XSD = "http://www.w3.org/2001/XMLSchema#"
Row = tuple[str, str, str, str | None, list[str], list[str]]  # target, action, status, channel, held, approvals


def _rows(sample_store: EmbeddedStore, built: Built, kind: str, given: str) -> list[Row]:
    evaluations = evaluate(sample_store, built.project, kind, ID + given)
    shown = names(sample_store, [e.target for e in evaluations])
    return [(shown[e.target], v.action.rsplit("/", 1)[1], v.status,
             v.channel.rsplit("/", 1)[1] if v.channel else None,
             [f.rule.iri.rsplit("/", 1)[1] for f in v.firings], [r.rsplit("/", 1)[1] for r in v.approvals])
            for e in evaluations for v in e.verdicts]


def _copy(sample: Built) -> EmbeddedStore:
    store = EmbeddedStore()
    store.raw.extend(sample.store.raw)
    return store


def _replace(store: EmbeddedStore, graph: str, subject: str, prop: str, value: ox.Literal | None) -> None:
    """Change one statement of a source graph, as a reload of that source would."""
    g = ox.NamedNode(graph)
    for quad in list(store.raw.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(CX + prop), None, g)):
        store.raw.remove(quad)
    if value is not None:
        store.raw.add(ox.Quad(ox.NamedNode(subject), ox.NamedNode(CX + prop), value, g))


# --- service recovery (competency question 13) -------------------------------------------------------------

# Scenario (a): WEB-104211's tent (BW-10007) is out of stock at every WMS location (the stock sheet's 3 at
# DC-LEEDS is a copy, not the system of record), so no replacement; 338.00 > 100, so a refund needs a supervisor.
# RF-104211 refunded the tent (189.00) on 19 November: a second refund is forbidden, an exception needs a supervisor.
ANN = [
    ("WEB-104211", "exception", "allowed", None, ["dr-exception"], ["supervisor"]),
    ("WEB-104211", "goodwill_credit", "allowed", None, ["dr-goodwill"], []),
    ("WEB-104211", "refund", "forbidden", None, ["dr-no-second-refund", "dr-refund-approval", "dr-refund-delayed"], []),
    ("WEB-104211", "replacement", "forbidden", None, ["dr-no-replacement-out-of-stock"], []),
    ("WEB-104211", "reship", "forbidden", None, ["dr-no-replacement-out-of-stock"], []),
]
# Scenario (e): Aoife Kelly's late WEB-140201: its products are in stock, so a replacement is allowed.
AOIFE = [
    ("WEB-140201", "exception", "allowed", None, ["dr-exception"], ["supervisor"]),
    ("WEB-140201", "goodwill_credit", "allowed", None, ["dr-goodwill"], []),
    ("WEB-140201", "refund", "allowed", None, ["dr-refund-approval", "dr-refund-delayed"], ["supervisor"]),
    ("WEB-140201", "replacement", "allowed", None, ["dr-replacement-stock"], []),
    ("WEB-140201", "reship", "allowed", None, ["dr-replacement-stock"], []),
]
# Ann Rees's earlier WEB-103880 arrived on time: no delay refund or credit, and no rule allows a replacement.
ON_TIME = [
    ("WEB-103880", "exception", "not allowed", None, [], []),
    ("WEB-103880", "goodwill_credit", "forbidden", None, ["dr-no-refund-on-time"], []),
    ("WEB-103880", "refund", "forbidden", None, ["dr-no-refund-on-time"], []),
    ("WEB-103880", "replacement", "not allowed", None, [], []),
    ("WEB-103880", "reship", "not allowed", None, [], []),
]


def test_recovery_options_follow_inventory_reality_and_name_the_approval(sample: Built) -> None:
    assert _rows(sample.store, sample, "order", "commerce/order/WEB-104211") == ANN
    assert _rows(sample.store, sample, "order", "commerce/order/WEB-140201") == AOIFE
    assert _rows(sample.store, sample, "order", "commerce/order/WEB-103880") == ON_TIME
    (evaluation,) = evaluate(sample.store, sample.project, "order", ID + "commerce/order/WEB-104211")
    replacement = next(v for v in evaluation.verdicts if v.action.endswith("/replacement"))
    stock = sorted((s.value.rsplit("/", 1)[1], o.value) for s, p, o in replacement.firings[0].facts
                   if p.value == CX + "hasQuantityAvailable")
    # the WMS (system of record for available quantities) at each of the five locations; not the stock sheet
    assert stock == [(f"BW-10007-{loc}", "0") for loc in
                     ("DC-LEEDS", "DC-ROTTERDAM", "STORE-DUBLIN", "STORE-LONDON", "STORE-MANCHESTER")]
    assert [r.iri.rsplit("/", 1)[1] for r in replacement.unmet] == ["dr-replacement-stock"]


def test_stock_arriving_allows_the_replacement(sample: Built) -> None:
    store = _copy(sample)
    _replace(store, sample.project.sources["wms"].graph, ID + "wms/inventory/BW-10007-DC-ROTTERDAM",
             "hasQuantityAvailable", ox.Literal("2", datatype=ox.NamedNode(XSD + "integer")))
    rows = _rows(store, sample, "order", "commerce/order/WEB-104211")
    assert ("WEB-104211", "replacement", "allowed", None, ["dr-replacement-stock"], []) in rows
    (evaluation,) = evaluate(store, sample.project, "order", ID + "commerce/order/WEB-104211")
    replacement = next(v for v in evaluation.verdicts if v.action.endswith("/replacement"))
    assert (ox.NamedNode(ID + "wms/inventory/BW-10007-DC-ROTTERDAM"), ox.NamedNode(CX + "hasQuantityAvailable"),
            ox.Literal("2", datatype=ox.NamedNode(XSD + "integer"))) in replacement.firings[0].facts


def test_a_refund_taken_back_allows_a_refund_again(sample: Built) -> None:
    """Billing reverses RF-104211 (its status is no longer 'processed'): the delay allows a refund again, with a
    supervisor (338.00 > 100); a refund processed after the graph's moment does not count yet."""
    store = _copy(sample)
    _replace(store, sample.project.sources["billing"].graph, ID + "billing/refund/RF-104211", "hasStatus",
             ox.Literal("reversed"))
    rows = _rows(store, sample, "order", "commerce/order/WEB-104211")
    assert ("WEB-104211", "refund", "allowed", None, ["dr-refund-approval", "dr-refund-delayed"], ["supervisor"]) \
        in rows
    later = _copy(sample)
    _replace(later, sample.project.sources["billing"].graph, ID + "billing/refund/RF-104211", "occurredAt",
             ox.Literal("2099-01-01T00:00:00Z", datatype=ox.NamedNode(XSD + "dateTime")))
    assert ("WEB-104211", "refund", "allowed", None, ["dr-refund-approval", "dr-refund-delayed"], ["supervisor"]) \
        in _rows(later, sample, "order", "commerce/order/WEB-104211")


# --- personalization guard (competency question 9) ---------------------------------------------------------

SUPPRESSED_101 = {  # scenario (e): an open severe case, or a late delivery
    "SND-101001": ["mk-no-offer-severe-case"], "SND-101002": ["mk-no-offer-severe-case"],
    "SND-101003": ["mk-no-offer-late-delivery"], "SND-101004": ["mk-no-offer-late-delivery"],
}
SUPPRESSED_100 = {  # the October campaign: four contacts without marketing consent in the CRM
    "SND-100001": ["mk-no-consent"], "SND-100003": ["mk-no-consent"], "SND-100006": ["mk-no-consent"],
    "SND-100011": ["mk-no-consent"],
}


def _guard(store: EmbeddedStore, sample: Built, campaign: str) -> tuple[dict[str, list[str]], int]:
    rows = _rows(store, sample, "campaign", f"marketing/campaign/{campaign}")
    assert {row[1] for row in rows} == {"offer"}
    suppressed = {row[0]: [r for r in row[4] if r != "mk-consent"] for row in rows if row[2] != "allowed"}
    assert all(row[4] == ["mk-consent"] for row in rows if row[2] == "allowed")
    return suppressed, sum(1 for row in rows if row[2] == "allowed")


def test_the_offer_guard_names_the_failure_that_suppresses_each_send(sample: Built) -> None:
    assert _guard(sample.store, sample, "CMP-101") == (SUPPRESSED_101, 21)
    assert _guard(sample.store, sample, "CMP-100") == (SUPPRESSED_100, 26)
    evaluations = evaluate(sample.store, sample.project, "campaign", ID + "marketing/campaign/CMP-101")
    (severe,) = [v for e in evaluations if e.target.endswith("SND-101002") for v in e.verdicts]
    facts = {(s.value.rsplit("/", 1)[1], p.value.removeprefix(CX), o.value) for s, p, o in severe.firings[0].facts}
    assert {("CS0012002", "hasSeverity", "critical"), ("CS0012002", "hasStatus", "open")} <= facts


def test_consent_withdrawn_or_a_case_closed_changes_the_guard(sample: Built) -> None:
    store = _copy(sample)
    crm = sample.project.sources["crm"].graph
    _replace(store, crm, ID + "crm/contact/0030000125", "hasMarketingConsent", ox.Literal(False))
    cases = sample.project.sources["case-management"].graph
    _replace(store, cases, ID + "case-management/case/CS0012001", "closedAt",
             ox.Literal("2026-11-19T10:00:00Z", datatype=ox.NamedNode(XSD + "dateTime")))
    suppressed, allowed = _guard(store, sample, "CMP-101")
    expected = {**SUPPRESSED_101, "SND-101005": ["mk-no-consent"]}
    del expected["SND-101001"]  # Emma de Vries's severe case is closed
    assert (suppressed, allowed) == (expected, 21)


# --- proactive intervention (competency question 8) --------------------------------------------------------

# Scenario (d): the carrier delay reaches six customers; two called already, the others get a notice on the
# channel they can be reached on: e-mail with consent in the CRM, else phone.
SIG_0001 = [
    ("Rhys Morgan", "proactive_notice", "allowed", "phone", ["po-notice-phone"], []),
    ("Oliver Bennett", "proactive_notice", "forbidden", None,
     ["po-already-in-touch", "po-notice-email", "po-notice-phone"], []),
    ("Chloe Harris", "proactive_notice", "allowed", "email", ["po-notice-email", "po-notice-phone"], []),
    ("Callum Fraser", "proactive_notice", "allowed", "email", ["po-notice-email", "po-notice-phone"], []),
    ("Isla Campbell", "proactive_notice", "allowed", "phone", ["po-notice-phone"], []),
    ("Hannah Wright", "proactive_notice", "forbidden", None,
     ["po-already-in-touch", "po-notice-email", "po-notice-phone"], []),
]
# Scenario (g): the WMS degradation reaches the customers whose cases wait at a step that depends on the WMS
# or on a system it feeds (competency question 10's nine open cases); one of them was in touch since 08:45.
SIG_0002 = [
    ("Holly Baker", "allowed", "email"), ("Niamh O'Brien", "allowed", "phone"), ("Euan Taylor", "allowed", "email"),
    ("Emma de Vries", "allowed", "email"), ("Ann Rees", "allowed", "email"), ("Pieter Jansen", "allowed", "phone"),
    ("Euan Wilson", "allowed", "email"), ("Amélie Laurent", "allowed", "phone"), ("Thijs Bos", "forbidden", None),
]


def test_outreach_reaches_the_affected_customers_not_yet_in_touch(sample: Built) -> None:
    assert _rows(sample.store, sample, "signal", "monitoring/signal/SIG-0001") == SIG_0001
    assert [(r[0], r[2], r[3]) for r in _rows(sample.store, sample, "signal", "monitoring/signal/SIG-0002")] \
        == SIG_0002
    # the failed payment (b) and the tent's shortage (a): each customer called after the signal
    assert [(r[0], r[2]) for r in _rows(sample.store, sample, "signal", "monitoring/signal/SIG-0003")] == \
        [("Daniel Byrne", "forbidden")]
    assert [(r[0], r[2]) for r in _rows(sample.store, sample, "signal", "monitoring/signal/SIG-0004")] == \
        [("Ann Rees", "forbidden")]
    evaluations = evaluate(sample.store, sample.project, "signal", ID + "monitoring/signal/SIG-0001")
    rhys = next(e for e in evaluations if ID + "commerce/order/WEB-130103" in {o.value for _, _, o in e.scope_facts})
    path = {(s.value.removeprefix(ID), p.value.removeprefix(CX), o.value.removeprefix(ID))
            for s, p, o in rhys.scope_facts}
    assert path == {
        ("monitoring/signal/SIG-0001", "affects", "logistics/shipment/SHP-130103"),
        ("logistics/shipment/SHP-130103", "fulfilsOrder", "commerce/order/WEB-130103"),
        ("commerce/order/WEB-130103", "isPlacedBy", "commerce/customer/cus_rmorg008"),
        ("commerce/customer/cus_rmorg008", "representsParty", rhys.target.removeprefix(ID)),
    }


def test_a_call_taken_back_or_consent_given_changes_the_outreach(sample: Built) -> None:
    store = _copy(sample)
    contact_center = ox.NamedNode(sample.project.sources["contact-center"].graph)
    for quad in list(store.raw.quads_for_pattern(ox.NamedNode(ID + "contact-center/interaction/INT-1301011"),
                                                 None, None, contact_center)):
        store.raw.remove(quad)
    _replace(store, sample.project.sources["crm"].graph, ID + "crm/contact/0030000108", "hasMarketingConsent",
             ox.Literal(True))
    rows = {r[0]: r for r in _rows(store, sample, "signal", "monitoring/signal/SIG-0001")}
    assert rows["Oliver Bennett"][2:5] == ("allowed", "email", ["po-notice-email", "po-notice-phone"])
    assert rows["Rhys Morgan"][2:5] == ("allowed", "email", ["po-notice-email", "po-notice-phone"])


# --- kept as recommendations --------------------------------------------------------------------------------

def test_verdicts_are_kept_replaced_and_flagged_when_a_fact_no_longer_holds(sample: Built, tmp_path: Path) -> None:
    from cxgraph.check.validate import run_validation

    store = _copy(sample)
    graph = sample.project.graph_iri("recommendations")
    lock = tmp_path / "build.lock"
    order = ID + "commerce/order/WEB-104211"
    evaluations = evaluate(store, sample.project, "order", order)
    write_evaluations(store, sample.project, "recover", order, evaluations, lock)
    first = store.count(graph)
    write_evaluations(store, sample.project, "recover", order, evaluate(store, sample.project, "order", order), lock)
    assert store.count(graph) == first  # made again: replaced, not added
    rows = store.query(
        f"SELECT ?rec ?how ?action (GROUP_CONCAT(STR(?role)) AS ?roles) WHERE {{ GRAPH <{graph}> {{ "
        f"?rec <{CX}isPromptedBy> <{order}> ; ?how ?action . "
        f"FILTER (?how IN (<{CX}recommendsAction>, <{CX}advisesAgainstAction>)) "
        f"OPTIONAL {{ ?rec <{CX}needsApprovalBy> ?role }} }} }} GROUP BY ?rec ?how ?action ORDER BY ?action")
    assert [(r["rec"].value.removeprefix(ID), r["how"].value.removeprefix(CX), r["action"].value.removeprefix(ID),
             r["roles"].value.removeprefix(ID) if r["roles"] else "") for r in rows] == [
        ("recommendation/recover/commerce/order/WEB-104211/exception", "recommendsAction", "action/exception",
         "role/supervisor"),
        ("recommendation/recover/commerce/order/WEB-104211/goodwill_credit", "recommendsAction",
         "action/goodwill_credit", ""),
        ("recommendation/recover/commerce/order/WEB-104211/refund", "advisesAgainstAction", "action/refund", ""),
        ("recommendation/recover/commerce/order/WEB-104211/replacement", "advisesAgainstAction", "action/replacement",
         ""),
        ("recommendation/recover/commerce/order/WEB-104211/reship", "advisesAgainstAction", "action/reship", ""),
    ]
    # the tent arrives at Rotterdam: the kept "no replacement" relied on 0 there, which no longer holds
    _replace(store, sample.project.sources["wms"].graph, ID + "wms/inventory/BW-10007-DC-ROTTERDAM",
             "hasQuantityAvailable", ox.Literal("2", datatype=ox.NamedNode(XSD + "integer")))
    stale = sorted({r.focus for r in run_validation(store, sample.project).results
                    if r.shape.endswith("RecommendationFactHoldsShape")})
    index = stale_index(store, graph)
    assert stale == [ID + f"recommendation/recover/commerce/order/WEB-104211/{action}/rule/"
                          f"dr-no-replacement-out-of-stock/fact/{index}" for action in ("replacement", "reship")]
    write_evaluations(store, sample.project, "recover", order, evaluate(store, sample.project, "order", order), lock)
    assert not [r for r in run_validation(store, sample.project).results
                if r.shape.endswith("RecommendationFactHoldsShape")]


def test_the_recommendations_query_answers_from_what_was_kept(sample: Built, tmp_path: Path) -> None:
    """queries/recommendations.rq: a case's triage and an order's recovery options as `cxgraph recommend` kept
    them, with the rule that held, how many facts it relied on, the approval and when; made again after stock
    arrives, the answer changes."""
    query = catalog(ROOT / "queries")["recommendations"]
    store = _copy(sample)
    lock = tmp_path / "build.lock"
    made = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    case, order = ID + "case-management/case/CS0010421", ID + "commerce/order/WEB-104211"
    write_triage(store, sample.project, triage(store, sample.project, case), lock, made)
    write_evaluations(store, sample.project, "recover", order, evaluate(store, sample.project, "order", order), lock,
                      made)

    def ask(about: str) -> list[tuple[str, ...]]:
        answer = run(store, query, {"about": about}, {"id": ID})
        return [tuple(compact(term, {"id": ID}) for term in row[1:]) for row in answer.rows]

    when = "2026-11-20T09:30:00Z"
    assert ask(case) == [
        ("routes to", "Delivery Care", "P1", "", "", "A case near its resolution target is urgent", "4", when),
        ("routes to", "Delivery Care", "P1", "", "", "Late delivery goes to Delivery Care", "4", when),
    ]
    recovery = [
        ("advises against", "Refund", "", "", "", "No second refund of an order already refunded; beyond it, only an "
         "exception", "5", when),
        ("advises against", "Refund", "", "", "", "Refund above 100 needs supervisor approval", "6", when),
        ("advises against", "Refund", "", "", "", "Refund allowed for delayed orders", "5", when),
        ("advises against", "Replacement", "", "", "", "No replacement of a line that no location has in stock", "14",
         when),
        ("advises against", "Reship", "", "", "", "No replacement of a line that no location has in stock", "14", when),
        ("recommends", "Goodwill credit", "", "", "", "Goodwill credit for a late delivery", "3", when),
        ("recommends", "Policy exception", "", "", "Supervisor", "An exception to the policy for a delayed order needs "
         "supervisor approval", "5", when),
    ]
    assert ask(order) == recovery
    _replace(store, sample.project.sources["wms"].graph, ID + "wms/inventory/BW-10007-DC-ROTTERDAM",
             "hasQuantityAvailable", ox.Literal("2", datatype=ox.NamedNode(XSD + "integer")))
    assert ask(order) == recovery  # kept as made, until made again
    write_evaluations(store, sample.project, "recover", order, evaluate(store, sample.project, "order", order), lock,
                      made)
    assert sorted({row[:2] for row in ask(order)}) == [
        ("advises against", "Refund"), ("recommends", "Goodwill credit"), ("recommends", "Policy exception"),
        ("recommends", "Replacement"), ("recommends", "Reship")]


def stale_index(store: EmbeddedStore, graph: str) -> int:
    """The number of the kept fact that says BW-10007 had 0 available at DC-ROTTERDAM."""
    (row,) = store.query(
        f"SELECT ?fact WHERE {{ GRAPH <{graph}> {{ ?fact <{CX}isAboutResource> "
        f"<{ID}wms/inventory/BW-10007-DC-ROTTERDAM> ; <{CX}hadLiteralValue> ?v . "
        f"FILTER (STRSTARTS(STR(?fact), \"{ID}recommendation/recover/commerce/order/WEB-104211/replacement/\")) }} }}")
    return int(row["fact"].value.rsplit("/", 1)[1])


def test_cli_recover_suppress_outreach(sample: Built, tmp_path: Path) -> None:
    store = write_store(tmp_path / ".cxgraph" / "store", sample.store.raw)
    proc = cx("recommend", "recover", "WEB-104211", "--format", "json", cwd=tmp_path, store=store)
    assert proc.returncode == 0, proc.stderr
    (item,) = json.loads(proc.stdout)
    assert [(v["action"].rsplit("/", 1)[1], v["status"], v["approvals"]) for v in item["verdicts"]] == [
        (a, s, [ID + "role/" + r for r in roles]) for _, a, s, _, _, roles in ANN]
    text = cx("recommend", "suppress", "CMP-101", cwd=tmp_path, store=store)
    assert text.returncode == 0, text.stderr
    assert text.stdout.count(": forbidden") == 4 and text.stdout.count(": allowed") == 21
    assert "No offers while a severe case is open (id:rule/mk-no-offer-severe-case)" in text.stdout
    outreach = cx("recommend", "outreach", "SIG-0001", "--format", "json", cwd=tmp_path, store=store)
    assert [(i["name"], i["verdicts"][0]["status"]) for i in json.loads(outreach.stdout)] == \
        [(r[0], r[2]) for r in SIG_0001]
    kept = cx("sparql", f"SELECT (COUNT(?r) AS ?n) WHERE {{ ?r <{CX}recommendsAction> ?a }}", "--format", "csv",
              cwd=tmp_path, store=store)
    assert kept.stdout.splitlines() == ["n", str(2 + 21 + 4)]  # refund and credit; 21 sends; 4 notices
    for args, message in ((("recover", "CMP-101"), "no order has the identifier 'CMP-101'"),
                          (("outreach", "id:monitoring/signal/SIG-9"), "is not a signal in the store")):
        bad = cx("recommend", *args, cwd=tmp_path, store=store)
        assert bad.returncode == 2 and message in bad.stderr, bad.stderr


def test_a_policy_without_a_condition_file_or_with_mixed_targets_is_refused(sample: Built, tmp_path: Path) -> None:
    store = _copy(sample)
    catalog = sample.project.sources["catalog"].graph
    _replace(store, catalog, ID + "rule/dr-goodwill", "hasConditionQuery", ox.Literal("no-such-condition"))
    with pytest.raises(CxGraphError, match=r"no-such-condition.*no no-such-condition\.rq"):
        evaluate(store, sample.project, "order", ID + "commerce/order/WEB-104211")
    _replace(store, catalog, ID + "rule/dr-goodwill", "hasConditionQuery", ox.Literal("send-consented"))
    with pytest.raises(CxGraphError, match="has a condition for a campaign"):
        evaluate(store, sample.project, "order", ID + "commerce/order/WEB-104211")
    with pytest.raises(CxGraphError, match="no policy of the catalog is evaluated for a given 'case'"):
        evaluate(sample.store, sample.project, "case", ID + "case-management/case/CS0010421")


def test_find_resource_binds_the_identifier(sample: Built) -> None:
    assert find_resource(sample.store, sample.project, "SIG-0001", "Signal", "a signal") == \
        ID + "monitoring/signal/SIG-0001"
    with pytest.raises(CxGraphError, match="no order has the identifier 'x\" } #'"):
        find_resource(sample.store, sample.project, 'x" } #', "Order", "an order")


def test_a_broken_condition_query_names_its_file_and_its_own_line(sample: Built, tmp_path: Path) -> None:
    """The terms the engine binds go on the line of the WHERE brace, so the store's line is the file's line."""
    import dataclasses
    import shutil

    project = tmp_path / "project"
    shutil.copytree(sample.project.root / "rules", project / "rules")
    path = project / "rules" / "conditions" / "party-in-touch-since-signal.rq"
    lines = path.read_text(encoding="utf-8").splitlines()
    broken = next(i for i, line in enumerate(lines, start=1) if "FILTER (?started >= ?detected)" in line)
    lines[broken - 1] = lines[broken - 1].replace("?detected)", "?detected")  # an unclosed parenthesis
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    copy = dataclasses.replace(sample.project, root=project)  # the same registry, its conditions in the copy
    with pytest.raises(CxGraphError) as caught:
        evaluate(sample.store, copy, "signal", ID + "monitoring/signal/SIG-0001")
    assert str(path) in str(caught.value)
    assert f"error at {broken + 1}:1" in str(caught.value)  # the parser stops at the start of the next line


def test_conditions_side_by_side_answer_as_one_at_a_time(sample: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    """A policy's conditions run on a thread per core: the same evaluations as one after another."""
    givens = [("campaign", "marketing/campaign/CMP-101"), ("signal", "monitoring/signal/SIG-0001"),
              ("order", "commerce/order/WEB-104211")]
    monkeypatch.setattr("cxgraph.answer.policy.PARALLEL_TARGETS", 1)  # the sample's campaigns have ~30 sends
    side_by_side = [evaluate(sample.store, sample.project, kind, ID + given) for kind, given in givens]
    monkeypatch.setattr("cxgraph.answer.policy.os.cpu_count", lambda: 1)
    assert [evaluate(sample.store, sample.project, kind, ID + given) for kind, given in givens] == side_by_side
    assert all(side_by_side) and sum(len(e) for e in side_by_side) >= 30


def test_of_two_broken_conditions_the_first_rules_is_reported(sample: Built, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses
    import shutil

    from cxgraph.answer.conditions import load_condition
    from cxgraph.answer.policy import policies_for

    project = tmp_path / "project"
    shutil.copytree(sample.project.root / "rules", project / "rules")
    copy = dataclasses.replace(sample.project, root=project)
    (policy,) = policies_for(sample.store, sample.project, "campaign", {})
    paths = [load_condition(sample.project, rule.condition, {}).path for rule in policy.rules]
    assert len(paths) >= 3
    for path in (paths[1], paths[-1]):  # the second and the last rule's conditions: an undefined prefix
        target = project / "rules" / "conditions" / path.name
        target.write_text(target.read_text(encoding="utf-8").replace("cx:targetsCustomerRecord",
                                                                     "nowhere:targetsCustomerRecord"),
                          encoding="utf-8")
    monkeypatch.setattr("cxgraph.answer.policy.PARALLEL_TARGETS", 1)  # side by side, as for a large campaign
    with pytest.raises(CxGraphError) as caught:
        evaluate(sample.store, copy, "campaign", ID + "marketing/campaign/CMP-101")
    assert paths[1].name in str(caught.value) and paths[-1].name not in str(caught.value)
