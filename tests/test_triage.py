"""Triage (competency question 7): team and priority for a case, from catalog rules with condition queries,
each with the rules that fired and the facts they used; kept in the recommendations graph; stale when a fact
changes. The sample's story is in data/sample/README.md (Triage)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import CX, ID, ROOT, Built, cx, write_store
from cxgraph.answer.recommend import find_case, triage, write_triage
from cxgraph.stores.embedded import EmbeddedStore

TEAM = ID + "team/"
# As of the sample's day (2026-11-20): every open case, the team and priority triage recommends, and the rules
# that fired. Routing: a late shipment of the case's order -> Delivery Care; a failed payment of the customer
# -> Billing Care. Priority: P1 once the resolution target of the case's priority is less than 24 h away.
EXPECTED = [
    ("CS0010421", "delivery-care", "P1", ["tr-late-delivery", "tr-resolution-at-risk"]),
    ("CS0012001", None, "P1", ["tr-resolution-at-risk"]),
    ("CS0012002", None, "P1", ["tr-resolution-at-risk"]),
    ("CS0013001", None, None, []),  # no rule applies: a P3 delivery case within its 72 h, its shipment on time
    ("CS0013002", None, "P1", ["tr-resolution-at-risk"]),
    ("CS0013003", None, "P1", ["tr-resolution-at-risk"]),
    ("CS0018812", "billing-care", "P1", ["tr-failed-payment", "tr-resolution-at-risk"]),
    ("CS0020023", None, None, []),
    ("CS0020024", "billing-care", "P1", ["tr-failed-payment", "tr-resolution-at-risk"]),
    ("CS0020025", None, None, []),
    ("CS0020026", None, "P1", ["tr-resolution-at-risk"]),
    ("CS0020027", "billing-care", "P2", ["tr-failed-payment"]),
    ("CS0030001", None, None, []),
]


def _rows(items: list) -> list[tuple]:  # type: ignore[type-arg]
    return [(t.identifier, t.team.removeprefix(TEAM) if t.team else None, t.priority,
             [f.rule.iri.rsplit("/", 1)[1] for f in t.firings]) for t in items]


def _copy(sample: Built) -> EmbeddedStore:
    store = EmbeddedStore()
    store.raw.extend(sample.store.raw)
    return store


def test_every_open_case_is_triaged_with_its_reasons(sample: Built) -> None:
    items = triage(sample.store, sample.project)
    assert _rows(items) == EXPECTED
    late = next(t for t in items if t.identifier == "CS0010421")
    (delivery, _) = late.firings
    facts = {(s.value, p.value, o.value) for s, p, o in delivery.facts}
    assert facts == {
        (ID + "case-management/case/CS0010421", CX + "hasStatus", "open"),  # a case that closes makes it stale
        (ID + "case-management/case/CS0010421", CX + "concernsOrder", ID + "commerce/order/WEB-104211"),
        (ID + "logistics/shipment/SHP-104211", CX + "fulfilsOrder", ID + "commerce/order/WEB-104211"),
        (ID + "logistics/shipment/SHP-104211", CX + "isLate", "true"),
    }
    assert (late.current_team, late.current_priority) == (TEAM + "delivery-care", "P2")


def test_one_case_by_its_number_and_a_case_no_rule_covers(sample: Built) -> None:
    case = find_case(sample.store, sample.project, "CS0020027")
    assert case == ID + "case-management/case/CS0020027"
    assert _rows(triage(sample.store, sample.project, case)) == [EXPECTED[11]]
    quiet = find_case(sample.store, sample.project, "CS0013001")
    assert _rows(triage(sample.store, sample.project, quiet)) == [("CS0013001", None, None, [])]


def test_changing_one_fact_changes_the_recommendation_and_its_reasons(sample: Built) -> None:
    store = _copy(sample)
    # the shipment arrives in time after all: the lateness rule no longer derives it
    store.raw.remove(ox.Quad(ox.NamedNode(ID + "logistics/shipment/SHP-104211"), ox.NamedNode(CX + "isLate"),
                             ox.Literal(True), ox.NamedNode(sample.project.graph_iri("derived"))))
    # and the failed payment of CS0020027's customer is taken back by billing
    billing = ox.NamedNode(sample.project.sources["billing"].graph)
    for quad in list(store.raw.quads_for_pattern(ox.NamedNode(ID + "billing/payment/PAY-1500801"),
                                                   ox.NamedNode(CX + "hasFailureReason"), None, billing)):
        store.raw.remove(quad)
    rows = {row[0]: row for row in _rows(triage(store, sample.project))}
    assert rows["CS0010421"] == ("CS0010421", None, "P1", ["tr-resolution-at-risk"])
    assert rows["CS0020027"] == ("CS0020027", None, None, [])


def test_a_rule_is_a_catalog_entry_and_its_threshold_is_data(sample: Built) -> None:
    store = _copy(sample)
    catalog = ox.NamedNode(sample.project.sources["catalog"].graph)
    rule = ox.NamedNode(ID + "rule/tr-resolution-at-risk")
    threshold = ox.NamedNode(CX + "hasThresholdValue")
    for quad in list(store.raw.quads_for_pattern(rule, threshold, None, catalog)):
        store.raw.remove(quad)
    # -100: only cases more than 100 hours past their resolution target (as of 2026-11-20, 00:00 UTC)
    store.raw.add(ox.Quad(rule, threshold, ox.Literal("-100", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#decimal")), catalog))
    rows = _rows(triage(store, sample.project))
    # CS0010421 157 h past, CS0013003 150 h, CS0018812 110 h; CS0012001 (60 h) and CS0012002 (31 h) no longer
    assert {row[0] for row in rows if "tr-resolution-at-risk" in row[3]} == {"CS0010421", "CS0013003", "CS0018812"}


def test_recommendations_are_kept_replaced_and_flagged_when_a_fact_no_longer_holds(sample: Built,
                                                                                   tmp_path: Path) -> None:
    from cxgraph.check.validate import run_validation

    store = _copy(sample)
    graph = sample.project.graph_iri("recommendations")
    write_triage(store, sample.project, triage(store, sample.project), tmp_path / "build.lock")
    first = store.count(graph)
    write_triage(store, sample.project, triage(store, sample.project), tmp_path / "build.lock")
    assert store.count(graph) == first  # made again: replaced, not added
    (row,) = store.query(
        f"SELECT ?team ?priority (COUNT(DISTINCT ?fact) AS ?facts) WHERE {{ GRAPH <{graph}> {{ "
        f"?rec <{CX}isRecommendationFor> <{ID}case-management/case/CS0010421> ; <{CX}recommendsTeam> ?team ; "
        f"<{CX}recommendsPriority> ?priority ; <{CX}hasRuleFiring>/<{CX}reliesOn> ?fact }} }} GROUP BY ?team ?priority")
    # 4 facts for the late delivery (status, order, shipment's order, lateness), 4 for the resolution target
    assert (row["team"].value, row["priority"].value, int(row["facts"].value)) == (TEAM + "delivery-care", "P1", 8)
    store.raw.remove(ox.Quad(ox.NamedNode(ID + "logistics/shipment/SHP-104211"), ox.NamedNode(CX + "isLate"),
                             ox.Literal(True), ox.NamedNode(sample.project.graph_iri("derived"))))
    stale = [r for r in run_validation(store, sample.project).results
             if r.shape.endswith("RecommendationFactHoldsShape")]
    assert [(r.severity, r.message) for r in stale] == [(
        "Warning", f"Recommendation {ID}recommendation/triage/case-management/case/CS0010421 relied on "
                   f"{ID}logistics/shipment/SHP-104211 {CX}isLate true, which the graph no longer holds: the "
                   "recommendation may be stale; make it again (cxgraph recommend).")]


def test_cli_recommend_triage(sample: Built, tmp_path: Path) -> None:
    store = write_store(tmp_path / ".cxgraph" / "store", sample.store.raw)
    proc = cx("recommend", "triage", "CS0010421", "--format", "json", cwd=tmp_path, store=store)
    assert proc.returncode == 0, proc.stderr
    (item,) = json.loads(proc.stdout)
    assert (item["identifier"], item["team"], item["priority"]) == ("CS0010421", TEAM + "delivery-care", "P1")
    assert [r["label"] for r in item["rules"]] == ["Late delivery goes to Delivery Care",
                                                   "A case near its resolution target is urgent"]
    kept = cx("sparql", f"SELECT ?team WHERE {{ ?r <{CX}recommendsTeam> ?team }}", "--format", "csv",
              cwd=tmp_path, store=store)
    assert kept.stdout.splitlines() == ["team", TEAM + "delivery-care"]
    missing = cx("recommend", "triage", "CS9999999", cwd=tmp_path, store=store)
    assert missing.returncode == 2 and "no case has the identifier 'CS9999999'" in missing.stderr


def test_no_team_category_channel_or_threshold_is_written_in_the_engine() -> None:
    """Rules are data: the catalog's teams, priorities, categories and channels appear nowhere in src/ (channels
    by name: their ids, such as email or phone, are also the names of contract types and identity steps).

    Except in `cxgraph generate` (src/cxgraph/generate/), which writes the sample enterprise's exports, as
    scripts/make_sample_data.py does: it is where that catalog's names are data, not engine decisions."""
    catalog = ROOT / "data" / "sample" / "catalog"
    teams = list(csv.DictReader((catalog / "teams.csv").open(encoding="utf-8")))
    names = {row["team_id"] for row in teams} | {row["name"] for row in teams}
    names |= {row["name"] for row in csv.DictReader((catalog / "channels.csv").open(encoding="utf-8"))}
    names |= {"delivery_delay", "billing_dispute", "product_fault", "P1", "P2", "P3", "P4"}
    found = [(path.name, name) for path in (ROOT / "src").rglob("*.py") if path.parent.name != "generate"
             for name in names if f'"{name}"' in path.read_text(encoding="utf-8")
             or f"'{name}'" in path.read_text(encoding="utf-8")]
    assert found == []


def test_a_case_that_closes_loses_its_recommendation_and_one_case_leaves_the_others(sample: Built,
                                                                                   tmp_path: Path) -> None:
    store = _copy(sample)
    graph = sample.project.graph_iri("recommendations")
    lock = tmp_path / "build.lock"
    write_triage(store, sample.project, triage(store, sample.project), lock, every_case=True)

    def targets() -> list[str]:
        return sorted(row["t"].value.rsplit("/", 1)[1] for row in store.query(
            f"SELECT ?t WHERE {{ GRAPH <{graph}> {{ ?r <{CX}isRecommendationFor> ?t }} }}"))

    assert targets() == [row[0] for row in EXPECTED]
    case = ID + "case-management/case/CS0012001"
    store.raw.add(ox.Quad(ox.NamedNode(case), ox.NamedNode(CX + "closedAt"), ox.Literal(
        "2026-11-19T10:00:00Z", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")),
        ox.NamedNode(sample.project.sources["case-management"].graph)))
    one = find_case(store, sample.project, "CS0010421")
    write_triage(store, sample.project, triage(store, sample.project, one), lock)  # one case: the others stay
    assert targets() == [row[0] for row in EXPECTED]
    write_triage(store, sample.project, triage(store, sample.project), lock, every_case=True)
    assert targets() == [row[0] for row in EXPECTED if row[0] != "CS0012001"]


def test_a_threshold_with_a_fraction_of_an_hour(sample: Built) -> None:
    store = _copy(sample)
    catalog = ox.NamedNode(sample.project.sources["catalog"].graph)
    rule = ox.NamedNode(ID + "rule/tr-resolution-at-risk")
    threshold = ox.NamedNode(CX + "hasThresholdValue")
    for quad in list(store.raw.quads_for_pattern(rule, threshold, None, catalog)):
        store.raw.remove(quad)
    # CS0013002 has 14 h 15 min left: it fires at 14.5 h, not at 14.25 h
    for hours, fires in (("14.5", True), ("14.25", False)):
        store.raw.add(ox.Quad(rule, threshold, ox.Literal(hours, datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#decimal")), catalog))
        rows = {row[0]: row for row in _rows(triage(store, sample.project))}
        assert ("tr-resolution-at-risk" in rows["CS0013002"][3]) is fires, hours
        for quad in list(store.raw.quads_for_pattern(rule, threshold, None, catalog)):
            store.raw.remove(quad)


@pytest.mark.parametrize(("given", "message"), [
    ("id:case-management/case/CS9999", "is not a case in the store"),
    ("<https://data.brightwater.example/id/a b>", "is not a valid IRI"),
    ("CS9999999", "no case has the identifier 'CS9999999'"),
])
def test_a_case_that_does_not_exist_is_named(sample: Built, given: str, message: str) -> None:
    from cxgraph.errors import CxGraphError

    with pytest.raises(CxGraphError, match=message):
        find_case(sample.store, sample.project, given)


@pytest.mark.parametrize("given", ["id:case-management/case/CS0018812",
                                   "<https://data.brightwater.example/id/case-management/case/CS0018812>"])
def test_a_case_is_named_by_iri_too(sample: Built, given: str) -> None:
    assert find_case(sample.store, sample.project, given) == ID + "case-management/case/CS0018812"


def test_cq13_a_recommendation_that_only_sets_a_priority_is_one_row_per_rule(sample: Built, tmp_path: Path) -> None:
    """CQ 13 on a triage that names no team: `what` is unbound, and the recommendation is not repeated once for
    every label in the store (its label lookup read every label when nothing was recommended)."""
    from cxgraph.answer.queries import bind, catalog
    from cxgraph.stores.binding import bind_values

    store = _copy(sample)
    write_triage(store, sample.project, triage(store, sample.project), tmp_path / "build.lock")
    case = f"{ID}case-management/case/CS0013003"
    query = catalog(ROOT / "queries")["recommendations"]
    rows = list(store.query(bind_values(query.text, bind(query, {"about": f"<{case}>"}, {}))))
    fired = {r["f"].value for r in store.query(
        f"SELECT ?f WHERE {{ ?rec <{CX}isPromptedBy> <{case}> ; <{CX}hasRuleFiring>/<{CX}firedRule> ?f }}")}
    assert fired and len(rows) == len(fired)
    assert all(r["what"] is None and r["verdict"].value == "routes to" and r["priority"].value == "P1" for r in rows)
