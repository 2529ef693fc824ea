"""Context packs (issue 11, items 1 and 2): one JSON-LD document about a customer, case or order, each fact in
the named graph it came from, cut to a role scope declared in context/scopes.yaml. Checked with pyld, an
independent JSON-LD processor: a pack is exactly the quads the graph holds for its facts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from pyld import jsonld

from conftest import ID, ROOT, Built, cx, garble, live_generation, write_store
from cxgraph.answer.context import NAMING, _facts, _facts_by_query, build_pack
from cxgraph.answer.jsonld import ontology_context
from cxgraph.answer.recommend import triage, write_triage
from cxgraph.check.docs import merged_ontology
from cxgraph.errors import CxGraphError
from cxgraph.stores.embedded import EmbeddedStore

GRAPH = "https://data.brightwater.example/graph/"


def quads_of(pack: dict[str, Any]) -> set[ox.Quad]:
    """The pack read by pyld (expanded, then to RDF), parsed back into quads."""
    nquads = jsonld.to_rdf(pack, {"format": "application/n-quads"})
    return set(ox.parse(nquads.encode("utf-8"), ox.RdfFormat.N_QUADS))


def nodes(pack: dict[str, Any]) -> dict[str, list[str]]:
    return {g["@id"]: [n["@id"] for n in g["@graph"]] for g in pack["@graph"]}


def test_the_published_context_is_made_from_the_ontology() -> None:
    published = json.loads((ROOT / "context" / "context.jsonld").read_text(encoding="utf-8"))
    assert published == ontology_context(merged_ontology(ROOT / "ontology" / "cxgraph.ttl")), \
        "stale: run python scripts/make_jsonld_context.py"
    terms = published["@context"]
    assert terms["isPlacedBy"] == {"@id": "cx:isPlacedBy", "@type": "@id"}
    assert terms["occurredAt"] == {"@id": "cx:occurredAt", "@type": "xsd:dateTime"}
    assert terms["Case"] == "cx:Case"


@pytest.mark.parametrize(("kind", "given", "brief"), [
    ("customer", "0030000101", False), ("customer", "id:crm/contact/0030000102", False),
    ("case", "CS0010421", True), ("case", "CS0018812", False), ("order", "WEB-104211", False),
    ("order", "APP-108812", False)])
def test_a_pack_is_exactly_the_quads_the_graph_holds_for_its_facts(sample: Built, kind: str, given: str,
                                                                  brief: bool) -> None:
    pack = build_pack(sample.store, sample.project, kind, given, brief=brief)
    found = quads_of(pack)
    assert len(found) == pack["pack"]["facts"] > 100
    missing = [q for q in found if q not in sample.store.raw]
    assert missing == []
    # every fact is in a source graph, the identity graph or the derived graph, never the inferred or lineage ones
    assert {q.graph_name.value.removeprefix(GRAPH).split("/")[0] for q in found} <= {"source", "identity", "derived"}
    # the header names when each source graph was last loaded
    sources = {s["graph"]: s["lastLoaded"] for s in pack["pack"]["sources"]}
    assert all(sources[g] for g in sources if g.startswith("graph:source/"))
    assert set(sources) == {"graph:" + q.graph_name.value.removeprefix(GRAPH) for q in found}


def test_the_facts_read_directly_are_the_facts_a_query_reads(sample: Built) -> None:
    """The embedded store's direct reads (`_facts`) and the query an endpoint runs (`_facts_by_query`) give the
    same statements: every node of the store's source graphs, all of them and only the naming properties."""
    raw = sample.store.raw
    graphs = {source.graph for source in sample.project.sources.values()} | {
        sample.project.graph_iri(kind) for kind in ("identity", "derived")}
    subjects = {q.subject for q in raw.quads_for_pattern(None, None, None, None) if isinstance(q.subject, ox.NamedNode)}
    assert len(subjects) > 1000
    for only in (None, NAMING):
        direct, queried = _facts(sample.store, subjects, only, graphs), _facts_by_query(sample.store, subjects, only,
                                                                                         graphs)
        assert len(direct) == len(set(direct)) > 1000
        assert set(direct) == set(queried)
        assert {q.graph_name.value for q in direct} <= graphs
    assert {q.predicate.value for q in _facts(sample.store, subjects, NAMING, graphs)} == set(NAMING)


def test_a_customer_pack_holds_every_record_and_what_moves_around_it(sample: Built) -> None:
    """Ann Rees (scenario (a)): her four records in four systems, the system of record for each definition,
    her case with its workflow at 'execute remedy', both orders with lines, shipments and the refund, her
    interactions, invoices and payments, the shortage of her tent and the WMS degradation her workflow's
    step depends on."""
    pack = build_pack(sample.store, sample.project, "customer", "id:billing/account/BA-500101")
    assert pack["pack"]["about"].startswith("id:party/")
    assert pack == build_pack(sample.store, sample.project, "customer", "0030000101") | {"pack": pack["pack"]}
    found = nodes(pack)
    assert found["graph:identity"] == [
        "id:billing/account/BA-500101", "id:commerce/customer/cus_arees001", "id:contact-center/profile/SP-200101",
        "id:crm/contact/0030000101", pack["pack"]["about"]]
    assert found["graph:source/case-management"] == [
        "id:case-management/approval/APR-10421", "id:case-management/case/CS0010421",
        "id:case-management/workflow-instance/WFI-10421", "id:decision/DEC-10421"]
    assert found["graph:source/commerce"] == [
        "id:commerce/customer/cus_arees001", "id:commerce/order-line/WEB-103880-1",
        "id:commerce/order-line/WEB-103880-2", "id:commerce/order-line/WEB-104211-1",
        "id:commerce/order-line/WEB-104211-2", "id:commerce/order/WEB-103880", "id:commerce/order/WEB-104211"]
    assert found["graph:source/billing"] == [
        "id:billing/account/BA-500101", "id:billing/invoice/INV-1038800", "id:billing/invoice/INV-1042110",
        "id:billing/payment/PAY-1038801", "id:billing/payment/PAY-1042111", "id:billing/refund/RF-104211"]
    # the inventory shortage on her tent, and the WMS degradation her open workflow's step depends on (CQ10)
    assert found["graph:source/monitoring"] == ["id:monitoring/signal/SIG-0002", "id:monitoring/signal/SIG-0004"]
    assert found["graph:derived"] == ["id:logistics/shipment/SHP-104211"]  # cx:isLate, derived by a rule
    assert "id:authority/auth-crm-contract-holder" in found["graph:source/catalog"]
    crm = next(g for g in pack["@graph"] if g["@id"] == "graph:source/crm")["@graph"]
    assert crm[0]["hasEmailAddress"] == "ann.rees@example.com" and crm[0]["hasMarketingConsent"] == "true"
    step = next(n for g in pack["@graph"] for n in g["@graph"] if n["@id"] == "id:step/delivery-issue-execute-remedy")
    # a step is named (type, label, identifier), not told in full
    assert (step["@type"], step["rdfs:label"]) == ("WorkflowStep", "Execute refund or replacement")
    assert [(s["name"], s["items"]) for s in pack["pack"]["sections"]] == [
        ("party-records", 1), ("record-systems", 1), ("cases", 1), ("orders", 2), ("interactions", 2),
        ("billing", 4), ("signals", 2), ("offers", 0), ("recommendations", 0), ("proposals", 0)]


def test_a_case_pack_says_which_definition_applies_and_which_rules_govern(sample: Built) -> None:
    """Scenario (b)'s billing dispute is handled in the billing-dispute context: the billing account is the
    customer, billing is its system of record; the billing-dispute rules, with the finance lead's approval
    above 250; the disputed invoice and its failed payments. Scenario (a)'s delayed delivery: the household."""
    dispute = build_pack(sample.store, sample.project, "case", "CS0018812")
    catalog = {n["@id"]: n for g in dispute["@graph"] if g["@id"] == "graph:source/catalog" for n in g["@graph"]}
    assert catalog["id:context/billing-dispute"]["usesDefinition"] == {"@id": "cx:BillingAccount"}
    assert catalog["id:context/billing-dispute"]["appliesToCaseCategory"] == "billing_dispute"
    assert sorted(i for i in catalog if i.startswith("id:rule/")) == [
        "id:rule/bd-adjustment", "id:rule/bd-adjustment-approval", "id:rule/bd-no-reversal", "id:rule/bd-payment-plan"]
    assert catalog["id:rule/bd-adjustment-approval"]["requiresApprovalBy"] == "id:role/finance_lead"
    assert catalog["id:role/finance_lead"]["rdfs:label"] == "Finance lead"
    billing = nodes(dispute)["graph:source/billing"]
    assert {"id:billing/invoice/INV-1088120", "id:billing/payment/PAY-1088121", "id:billing/payment/PAY-1088122"} \
        <= set(billing)
    assert not [i for i in nodes(dispute)["graph:source/catalog"] if i.startswith("id:article/")]  # not a brief
    delivery = build_pack(sample.store, sample.project, "case", "CS0010421", brief=True)
    catalog = {n["@id"]: n for g in delivery["@graph"] if g["@id"] == "graph:source/catalog" for n in g["@graph"]}
    assert catalog["id:context/delivery"]["usesDefinition"] == {"@id": "cx:Household"}
    assert {"id:rule/dr-exception", "id:rule/dr-no-second-refund", "id:rule/dr-refund-approval"} <= set(catalog)
    # on delivery delays, and on the delivery-issue workflow its instance follows
    assert sorted(i for i in catalog if i.startswith("id:article/")) == [
        "id:article/KB-0001", "id:article/KB-0002", "id:article/KB-0003"]


def test_a_pack_keeps_the_shape_of_the_published_frame(sample: Built) -> None:
    """Framed by pyld with context/frame.jsonld, a pack keeps every quad and its grouping by named graph."""
    frame = json.loads((ROOT / "context" / "frame.jsonld").read_text(encoding="utf-8"))
    pack = build_pack(sample.store, sample.project, "case", "CS0010421", brief=True)
    framed = jsonld.frame(pack, {**frame, "@context": pack["@context"]}, {"omitGraph": False})
    assert quads_of(framed) == quads_of(pack)
    assert sorted(g["@id"] for g in framed["@graph"]) == [g["@id"] for g in pack["@graph"]]


def test_an_order_pack_shows_stock_in_the_system_of_record_and_in_its_copy(sample: Built) -> None:
    pack = build_pack(sample.store, sample.project, "order", "WEB-104211")
    # what the recovery policy allows now, with the approvals and rules (as cxgraph recommend recover)
    assert [(v["action"], v["status"], v["approvals"]) for v in pack["pack"]["policy"]] == [
        ("id:action/exception", "allowed", ["id:role/supervisor"]), ("id:action/goodwill_credit", "allowed", []),
        ("id:action/refund", "forbidden", []), ("id:action/replacement", "forbidden", []),
        ("id:action/reship", "forbidden", [])]
    found = nodes(pack)
    assert [i for i in found["graph:source/wms"] if "BW-10007" in i] == [
        f"id:wms/inventory/BW-10007-{loc}" for loc in
        ("DC-LEEDS", "DC-ROTTERDAM", "STORE-DUBLIN", "STORE-LONDON", "STORE-MANCHESTER")]
    assert "id:stock-sheet/inventory/BW-10007-DC-LEEDS" in found["graph:source/stock-sheet"]
    assert found["graph:source/logistics"][-1] == "id:logistics/shipment/SHP-104211"
    events = next(s for s in pack["pack"]["sections"] if s["name"] == "order-events")
    assert (events["items"], events["shown"], events["leftOut"]) == (5, 5, 0)


def test_limits_keep_the_most_recent_and_say_what_was_left_out(sample: Built) -> None:
    pack = build_pack(sample.store, sample.project, "order", "WEB-104211", limits={"order-events": 2})
    events = next(s for s in pack["pack"]["sections"] if s["name"] == "order-events")
    assert (events["items"], events["shown"], events["leftOut"], events["limit"]) == (5, 2, 3, 2)
    logistics = nodes(pack)["graph:source/logistics"]
    assert [i for i in logistics if "/event/" in i] == ["id:logistics/event/EVT-1042114",
                                                         "id:logistics/event/EVT-1042115"]  # the two latest
    with pytest.raises(CxGraphError, match="--limit names no limited section of a order pack: offers"):
        build_pack(sample.store, sample.project, "order", "WEB-104211", limits={"offers": 1})


def test_scopes_cut_the_pack_and_name_themselves(sample: Built) -> None:
    """The marketing assistant sees consent and orders, never cases, interactions, payments or their failures;
    the AI service assistant sees cases but no free text people wrote."""
    full = build_pack(sample.store, sample.project, "customer", "0030000102")
    marketing = build_pack(sample.store, sample.project, "customer", "0030000102", "marketing-assistant")
    assert marketing["pack"]["scope"]["name"] == "marketing-assistant"
    assert "no cases" in marketing["pack"]["scope"]["description"]
    assert [s["name"] for s in marketing["pack"]["sections"]] == [
        "party-records", "record-systems", "orders", "offers", "recommendations"]
    text = json.dumps(marketing)
    for hidden in ("case-management/case/", "/payment/", "/invoice/", "/interaction/", "hasFailureReason",
                   "hasDescription"):
        assert hidden not in text, hidden
    assert '"hasMarketingConsent"' in text
    assert quads_of(marketing) < quads_of(full)
    assert marketing["pack"]["withheld"] > 0
    assistant = build_pack(sample.store, sample.project, "customer", "0030000102", "ai-service-assistant")
    text = json.dumps(assistant)
    assert "case-management/case/CS0018812" in text and "hasFailureReason" in text
    assert not any(p in text for p in ('"hasDescription"', '"hasCommentText"', '"hasOutcome"'))
    kept = quads_of(assistant)
    assert {q for q in quads_of(full) - kept} and all(
        q.predicate.value.endswith(("#hasDescription", "#hasCommentText", "#hasOutcome"))
        for q in quads_of(full) - kept)
    with pytest.raises(CxGraphError, match="unknown scope 'nobody'; the scopes are ai-service-assistant, "
                                           "marketing-assistant, service-agent"):
        build_pack(sample.store, sample.project, "customer", "0030000102", "nobody")


def test_a_scope_sees_no_withheld_fact_through_a_kept_recommendation(sample: Built, tmp_path: Path) -> None:
    """A triage keeps the statements its rules relied on (cx:Fact): a payment's failure reason, a case's
    severity. The marketing assistant sees neither, nor the triage of a case it may not see; the service
    agent sees both."""
    store = EmbeddedStore()
    store.raw.extend(sample.store.raw)
    write_triage(store, sample.project, triage(store, sample.project), tmp_path / "lock",
                 datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    agent = json.dumps(build_pack(store, sample.project, "customer", "0030000102"))
    assert "hasFailureReason" in agent and "recommendation/triage/case-management/case/CS0018812" in agent
    marketing = build_pack(store, sample.project, "customer", "0030000102", "marketing-assistant")
    text = json.dumps(marketing)
    for hidden in ("hasFailureReason", "insufficient_funds", "card_declined", "CS0018812", "hasSeverity"):
        assert hidden not in text, hidden
    assert quads_of(marketing) <= set(store.raw)
    conflicts = marketing["pack"]["conflicts"]  # scenario (b): billing and commerce disagree with the CRM
    assert sorted(c["otherRecord"] for c in conflicts) == ["id:billing/account/BA-500102",
                                                           "id:commerce/customer/cus_dbyrn002"]


def test_a_pack_is_deterministic_and_shows_kept_recommendations(sample: Built, tmp_path: Path) -> None:
    store = EmbeddedStore()
    store.raw.extend(sample.store.raw)
    case = ID + "case-management/case/CS0010421"
    write_triage(store, sample.project, triage(store, sample.project, case), tmp_path / "lock",
                 datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    first = build_pack(store, sample.project, "customer", "0030000101")
    second = build_pack(store, sample.project, "customer", "0030000101")
    first["pack"].pop("madeAt"), second["pack"].pop("madeAt")
    assert json.dumps(first) == json.dumps(second)
    recommendations = {n["@id"]: n for g in first["@graph"] if g["@id"] == "graph:recommendations"
                       for n in g["@graph"]}
    triaged = recommendations["id:recommendation/triage/case-management/case/CS0010421"]
    assert triaged["recommendsTeam"] == "id:team/delivery-care" and triaged["recommendsPriority"] == "P1"
    assert len(triaged["hasRuleFiring"]) == 2 and all(f in recommendations for f in triaged["hasRuleFiring"])
    assert quads_of(first) <= set(store.raw)


def test_cli_context_customer_case_order(sample: Built, tmp_path: Path) -> None:
    store = write_store(tmp_path / ".cxgraph" / "store", sample.store.raw)
    proc = cx("context", "case", "CS0010421", "--brief", "--scope", "ai-service-assistant", "--limit",
              "interactions=1", cwd=tmp_path, store=store)
    assert proc.returncode == 0, proc.stderr
    pack = json.loads(proc.stdout)
    assert (pack["pack"]["kind"], pack["pack"]["about"], pack["pack"]["scope"]["name"]) == (
        "case", "id:case-management/case/CS0010421", "ai-service-assistant")
    again = build_pack(sample.store, sample.project, "case", "CS0010421", "ai-service-assistant",
                       {"interactions": 1}, True)
    again["pack"]["madeAt"] = pack["pack"]["madeAt"]
    assert pack == again and quads_of(pack) <= set(sample.store.raw)
    for args, needle in [(("customer", "0030000101", "--scope", "nobody"), "unknown scope 'nobody'"),
                         (("order", "WEB-999999"), "no order has the identifier 'WEB-999999'"),
                         (("case", "CS0010421", "--limit", "cases"), "--limit 'cases': write SECTION=N"),
                         (("case", "CS0010421", "--limit", "case-rules=2"), "names no limited section"),
                         (("customer", "id:commerce/order/WEB-104211"), "represents no resolved party")]:
        bad = cx("context", *args, cwd=tmp_path, store=store)
        assert bad.returncode == 2 and needle in bad.stderr, bad.stderr
        assert "Traceback" not in bad.stderr


def test_a_pack_that_fails_waits_for_the_work_it_ran_beside_before_raising(sample: Built,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The verdicts run beside the sections; a section failing must not leave them reading a store its caller
    is about to close (the HTTP and MCP servers close theirs once a pack is made or failed)."""
    import time

    import cxgraph.answer.context as context
    from cxgraph.errors import CxGraphError

    finished: list[str] = []

    def slow_verdicts(*args: Any) -> list[Any]:
        time.sleep(0.3)
        finished.append("verdicts")
        return []

    def failing_gather(*args: Any) -> Any:
        raise CxGraphError("a section query failed")

    monkeypatch.setattr(context, "_verdicts", slow_verdicts)
    monkeypatch.setattr(context, "gather", failing_gather)
    with pytest.raises(CxGraphError, match="a section query failed"):
        build_pack(sample.store, sample.project, "order", "WEB-104211")
    assert finished == ["verdicts"]  # done before build_pack raised, not after


def test_a_damaged_store_says_so_where_a_pack_reads_its_facts(sample: Built, tmp_path: Path) -> None:
    """The facts are read from the index, not through a query: a damaged store is named there as a query names
    it (rebuild it), not a bare RocksDB error (a 500 from the servers)."""
    path = write_store(tmp_path / "store", sample.store.raw.quads_for_pattern(None, None, None, None))
    subjects = sorted({q.subject for q in sample.store.raw.quads_for_pattern(None, None, None, None)
                       if isinstance(q.subject, ox.NamedNode)}, key=str)
    garble(live_generation(path))
    store = EmbeddedStore(path)
    errors = []
    for subject in subjects:
        try:
            store.statements(subject)
        except CxGraphError as exc:
            errors.append(str(exc))
    store.close()
    assert errors, "no read met a garbled block"
    assert "the store is damaged or unreadable (Corruption: block checksum mismatch" in errors[0]
    assert "rebuild it with `cxgraph build`" in errors[0]
