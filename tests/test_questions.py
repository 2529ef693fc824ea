"""Competency questions 1-6, 10-12 and 14: the exact answers on the sample enterprise (data/sample/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, Built
from cxgraph.answer.queries import catalog, run
from cxgraph.answer.render import compact
from cxgraph.errors import CxGraphError

ID = "https://data.brightwater.example/id/"
PREFIXES = {"id": ID, "cx": "https://w3id.org/cxgraph/ontology#"}
QUERIES = catalog(ROOT / "queries")


def ask(sample: Built, name: str, **params: str) -> list[tuple[str, ...]]:
    """Rows of a named query as short strings (prefixed IRIs, lexical literals, '' when unbound)."""
    answer = run(sample.store, QUERIES[name], params, PREFIXES)
    return [tuple(compact(term, PREFIXES) for term in row) for row in answer.rows]


def column(sample: Built, name: str, col: str, **params: str) -> list[str]:
    answer = run(sample.store, QUERIES[name], params, PREFIXES)
    index = answer.variables.index(col)
    return [compact(row[index], PREFIXES) for row in answer.rows]


CRM = "Brightwater CRM (Salesforce-style)"
SHOP = "Web shop and app platform (Shopify-style)"
BILLING = "Billing and payments"
CONTACT = "Contact center platform"


def test_every_query_has_a_title_question_and_example(sample: Built) -> None:
    assert {q.competency_question for q in QUERIES.values()} == {1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14}
    for query in QUERIES.values():
        assert query.question and query.params
        assert all(p.example for p in query.params.values()), query.name
        answer = run(sample.store, query, query.examples, PREFIXES)
        if query.name == "recommendations":  # kept by `cxgraph recommend`, never by a build (tests/test_policy.py)
            assert answer.rows == []
        else:
            assert answer.rows, f"{query.name} example has no answer"


# CQ1 ---------------------------------------------------------------------------------------------
def test_cq1_ann_rees_has_four_records_in_four_systems(sample: Built) -> None:
    rows = [r[:6] for r in ask(sample, "customer-records", customer="id:crm/contact/0030000101")]
    assert rows == [
        ("id:billing/account/BA-500101", "billing account", BILLING, "BA-500101", "Ann Rees", "Ann.Rees@Example.com "),
        ("id:crm/contact/0030000101", "contract holder", CRM, "0030000101", "Ann Rees", "ann.rees@example.com"),
        ("id:commerce/customer/cus_arees001", "digital identity", SHOP, "cus_arees001", "Ann Rees",
         "ann.rees@example.com"),
        ("id:contact-center/profile/SP-200101", "service relationship", CONTACT, "SP-200101", "Ann Rees",
         "ann.rees@example.com"),
    ]


def test_cq1_any_record_or_the_party_gives_the_same_answer(sample: Built) -> None:
    by_contact = ask(sample, "customer-records", customer="id:crm/contact/0030000102")
    party = by_contact[0][-1]
    assert party.startswith("id:party/")
    assert ask(sample, "customer-records", customer="id:billing/account/BA-500102") == by_contact
    assert ask(sample, "customer-records", customer=party) == by_contact
    # scenario (b): the same person under three different e-mails, still one party
    assert [(r[0], r[5]) for r in by_contact] == [
        ("id:billing/account/BA-500102", "accounts.byrne@example.net"),
        ("id:crm/contact/0030000102", "daniel.byrne@example.com"),
        ("id:commerce/customer/cus_dbyrn002", "danny.byrne@example.org"),
        ("id:contact-center/profile/SP-200102", "daniel.byrne@example.com"),
    ]


def test_cq1_household_member_sees_the_household_but_not_the_payer(sample: Built) -> None:
    rows = [r[:4] for r in ask(sample, "customer-records", customer="id:crm/contact/0030000103")]
    assert rows == [
        ("id:crm/contact/0030000103", "contract holder", CRM, "0030000103"),
        ("id:commerce/customer/cus_jkell003", "digital identity", SHOP, "cus_jkell003"),
        ("id:crm/household/HH-30001", "household", CRM, "HH-30001"),
        ("id:contact-center/profile/SP-200103", "service relationship", CONTACT, "SP-200103"),
    ]


# CQ2 ---------------------------------------------------------------------------------------------
def test_cq2_email_system_of_record_copies_and_programs(sample: Built) -> None:
    assert ask(sample, "system-of-record", term="cx:hasEmailAddress") == [
        ("system of record", CRM, "", "", "", "contact email, all customers"),
        ("copy", BILLING, CRM, "Billing account sync", "nightly", ""),
        ("copy", CRM, SHOP, "Commerce to CRM customer sync", "hourly", ""),
        ("copy", CONTACT, CRM, "Contact center profile sync", "real-time", ""),
        ("copy", "Marketing automation", CRM, "CRM to marketing contact sync", "nightly", ""),
    ]


def test_cq2_concept_contract_holder(sample: Built) -> None:
    assert ask(sample, "system-of-record", term="cx:ContractHolder") == [
        ("system of record", CRM, "", "", "", "all customers"),
        ("copy", "Marketing automation", CRM, "CRM to marketing contact sync", "nightly", ""),
    ]


# CQ3 ---------------------------------------------------------------------------------------------
def test_cq3_scenario_h_commerce_keeps_the_old_email(sample: Built) -> None:
    rows = [r[1:] for r in ask(sample, "conflicting-values", customer="id:crm/contact/0030000105")]
    assert rows == [("has email address", CRM, "sophie.martin@example.org", SHOP, "sophie.dupont@example.com",
                     "id:commerce/customer/cus_smart005")]


def test_cq3_only_scenarios_b_and_h_disagree_with_the_system_of_record(sample: Built) -> None:
    parties = [row["p"].value for row in sample.store.query(
        "SELECT ?p WHERE { ?p a <https://w3id.org/cxgraph/ontology#Party> }")]
    assert len(parties) == 152
    conflicts = sorted(r[-1] for p in parties for r in ask(sample, "conflicting-values", customer=p))
    assert conflicts == ["id:billing/account/BA-500102", "id:commerce/customer/cus_dbyrn002",
                         "id:commerce/customer/cus_smart005"]


# CQ4 ---------------------------------------------------------------------------------------------
def test_cq4_billing_dispute_waits_for_the_finance_lead(sample: Built) -> None:
    assert ask(sample, "workflows-in-motion", customer="id:commerce/customer/cus_dbyrn002") == [
        ("id:case-management/workflow-instance/WFI-18812", "Billing dispute", "Approve adjustment above threshold",
         "3", "Finance Operations", "Billing Care", "waiting", "id:case-management/case/CS0018812",
         "2026-11-14T11:06:00+01:00"),
    ]


def test_cq4_delayed_order_at_execute_remedy(sample: Built) -> None:
    rows = ask(sample, "workflows-in-motion", customer="id:crm/contact/0030000101")
    assert [(r[0], r[2], r[6], r[7]) for r in rows] == [
        ("id:case-management/workflow-instance/WFI-10421", "Execute refund or replacement", "running",
         "id:case-management/case/CS0010421"),
    ]
    assert ask(sample, "workflows-in-motion", customer="id:crm/contact/0030000105") == []


def test_cq4_keeps_this_customers_cases_and_labelled_workflows_and_owners_only() -> None:
    """The query reads one pattern per OPTIONAL from a bound node; it must keep what two-pattern groups kept: a
    case of another customer's is not this customer's, and an unlabelled second workflow or owner adds no row."""
    import pyoxigraph as ox

    from cxgraph.stores.embedded import EmbeddedStore

    cx, rdfs = PREFIXES["cx"], "http://www.w3.org/2000/01/rdf-schema#"
    store = EmbeddedStore()
    graph = ox.NamedNode("https://example.org/graph/test")

    def q(s: str, p: str, o: str) -> ox.Quad:
        obj = ox.Literal(o[1:]) if o.startswith("'") else ox.NamedNode(ID + o)
        return ox.Quad(ox.NamedNode(ID + s), ox.NamedNode(p if p.startswith("http") else cx + p), obj, graph)

    store.raw.extend([
        q("r", "representsParty", "p"), q("other", "representsParty", "p2"),
        q("c1", "concernsCustomerRecord", "r"), q("c2", "concernsCustomerRecord", "other"),
        q("i", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "t"), q("i", "hasStatus", "'running"),
        q("i", "concernsCase", "c1"), q("i", "concernsCase", "c2"),
        q("i", "instantiates", "w1"), q("i", "instantiates", "w2"), q("w1", rdfs + "label", "'Refund"),
        q("i", "isOwnedBy", "t1"), q("i", "isOwnedBy", "t2"), q("t1", rdfs + "label", "'Billing Care"),
    ])
    store.raw.add(ox.Quad(ox.NamedNode(ID + "i"), ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                          ox.NamedNode(cx + "WorkflowInstance"), graph))
    rows = [tuple(compact(t, PREFIXES) for t in row)
            for row in run(store, QUERIES["workflows-in-motion"], {"customer": "id:r"}, PREFIXES).rows]
    assert rows == [("id:i", "Refund", "", "", "", "Billing Care", "running", "id:c1", "")]


# CQ5 ---------------------------------------------------------------------------------------------
def test_cq5_delivery_delay_case_rules(sample: Built) -> None:
    rows = [r[:8] for r in ask(sample, "governing-rules", case="id:case-management/case/CS0010421")]
    policy = "Delivery recovery policy"
    assert rows == [
        ("An exception to the policy for a delayed order needs supervisor approval", policy, "allows",
         "Policy exception", "", "", "Supervisor", "false"),
        ("Goodwill credit for a late delivery", policy, "allows", "Goodwill credit", "", "", "", "false"),
        ("No delay refund for an on-time delivery", policy, "forbids", "Goodwill credit", "", "", "", "false"),
        ("No delay refund for an on-time delivery", policy, "forbids", "Refund", "", "", "", "false"),
        ("No replacement of a line that no location has in stock", policy, "forbids", "Replacement", "", "", "",
         "true"),
        ("No replacement of a line that no location has in stock", policy, "forbids", "Reship", "", "", "", "true"),
        ("No second refund of an order already refunded; beyond it, only an exception", policy, "forbids", "Refund",
         "", "", "", "false"),
        ("Refund above 100 needs supervisor approval", policy, "allows", "Refund", "100", "", "Supervisor", "false"),
        ("Refund allowed for delayed orders", policy, "allows", "Refund", "", "", "", "false"),
        ("Replacement only from available inventory", policy, "allows", "Replacement", "", "", "", "true"),
        ("Replacement only from available inventory", policy, "allows", "Reship", "", "", "", "true"),
    ]


def test_cq5_billing_dispute_needs_finance_lead_above_250(sample: Built) -> None:
    rows = {(r[0], r[2], r[3], r[4], r[6]) for r in ask(sample, "governing-rules",
                                                         case="id:case-management/case/CS0018812")}
    assert ("Adjustment above 250 needs finance lead approval", "allows", "Refund", "250", "Finance lead") in rows
    assert ("Payment plan after two failed payments", "allows", "Payment plan", "", "") in rows
    assert ("No chargeback reversal while the invoice is disputed", "forbids", "Chargeback reversal", "", "") in rows
    assert len(rows) == 5


# CQ6 ---------------------------------------------------------------------------------------------
def test_cq6_journey_of_the_delayed_order_in_time_order(sample: Built) -> None:
    rows = ask(sample, "customer-journey", customer="id:crm/contact/0030000101")
    recent = [(r[1], r[2], r[4]) for r in rows if r[0] >= "2026-11"]
    assert recent == [
        ("order placed", "Web shop", "id:commerce/order/WEB-104211"),
        ("payment", "", "id:billing/payment/PAY-1042111"),
        ("carrier event", "", "id:logistics/event/EVT-1042111"),
        ("shipment dispatched", "", "id:logistics/shipment/SHP-104211"),
        ("carrier event", "", "id:logistics/event/EVT-1042112"),
        ("carrier event", "", "id:logistics/event/EVT-1042113"),
        ("carrier event", "", "id:logistics/event/EVT-1042114"),
        ("contact", "Chat", "id:contact-center/interaction/INT-1042111"),
        ("case opened", "", "id:case-management/case/CS0010421"),
        ("carrier event", "", "id:logistics/event/EVT-1042115"),
        ("contact", "Phone", "id:contact-center/interaction/INT-1042112"),
        ("refund", "", "id:billing/refund/RF-104211"),
    ]
    assert len(rows) == 20  # plus the earlier order WEB-103880: order, payment, shipment dispatched and
    # delivered, 4 events
    late = [r for r in rows if r[4] == "id:logistics/shipment/SHP-104211"]
    assert [r[5] for r in late] == ["delayed (late)"]
    systems = {r[3] for r in rows}
    assert systems == {SHOP, BILLING, "Carrier integration hub", CONTACT, "Case management (ServiceNow-style)"}


def test_cq6_journey_orders_instants_across_time_zones(sample: Built) -> None:
    from datetime import datetime

    times = column(sample, "customer-journey", "time", customer="id:crm/contact/0030000102")
    instants = [datetime.fromisoformat(t.replace("Z", "+00:00")) for t in times]
    assert instants == sorted(instants)
    assert len({t[-6:] for t in times}) > 1  # several zones in one journey


# CQ14 --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("context,definition,system", [
    ("billing-dispute", "billing account", BILLING),
    ("delivery", "household", CRM),
    ("marketing", "contract holder", CRM),
    ("online-account", "digital identity", SHOP),
    ("service", "service relationship", CONTACT),
    ("loyalty", "contract holder", CRM),
])
def test_cq14_definition_and_authority_per_context(sample: Built, context: str, definition: str, system: str) -> None:
    rows = ask(sample, "definition-in-context", context=f"id:context/{context}")
    assert [(r[1], r[3]) for r in rows] == [(definition, system)]
    assert rows[0][2].startswith("A customer record that")


# CQ10 --------------------------------------------------------------------------------------------
def test_cq10_a_degraded_system_reaches_the_customers_of_open_workflows_through_data_flows(sample: Built) -> None:
    """CRM feeds billing (e-mail addresses, a data flow): a CRM outage reaches the billing steps too."""
    rows = ask(sample, "system-impact", system="id:system/crm")
    assert [row[:6] for row in rows] == [
        ("id:system/billing", "id:step/billing-dispute-review-payments",
         "id:case-management/workflow-instance/WFI-20022", "running", "id:case-management/case/CS0020025",
         "id:billing/account/BA-500145"),
        ("id:system/billing", "id:step/delivery-issue-execute-remedy",
         "id:case-management/workflow-instance/WFI-10421", "running", "id:case-management/case/CS0010421",
         "id:contact-center/profile/SP-200101"),
        ("id:system/crm", "id:step/account-recovery-verify-identity",
         "id:case-management/workflow-instance/WFI-20020", "running", "id:case-management/case/CS0020023",
         "id:contact-center/profile/SP-200137"),
    ]
    assert all(row[6].startswith("id:party/") for row in rows)  # and the resolved party of each customer


def test_cq10_the_warehouse_reaches_more_and_marketing_reaches_nothing(sample: Built) -> None:
    wms = ask(sample, "system-impact", system="id:system/wms")
    assert sorted({row[0] for row in wms}) == ["id:system/billing", "id:system/commerce", "id:system/crm",
                                               "id:system/wms"]
    assert sorted({row[4] for row in wms}) == [
        "id:case-management/case/CS0010421", "id:case-management/case/CS0012001", "id:case-management/case/CS0013001",
        "id:case-management/case/CS0013002", "id:case-management/case/CS0013003", "id:case-management/case/CS0020023",
        "id:case-management/case/CS0020024", "id:case-management/case/CS0020025", "id:case-management/case/CS0020027"]
    assert ask(sample, "system-impact", system="id:system/marketing") == []  # no step depends on what it feeds


# CQ12 --------------------------------------------------------------------------------------------
def test_cq12_a_refund_decided_by_an_employee_with_a_supervisor_approval(sample: Built) -> None:
    rows = [(r[0], r[1], r[3], r[4]) for r in ask(sample, "decision-explanation", decision="id:decision/DEC-10421")]
    assert rows[0][0] == "decided" and rows[0][2:] == ("189 GBP", "2026-11-18T15:35:00+01:00")
    assert rows[1:] == [
        ("case", "id:case-management/case/CS0010421", "delivery_delay", ""),
        ("by", "id:employee/EMP-1002", "employee", ""),
        ("approval", "id:employee/EMP-1001", "Supervisor", "2026-11-18T15:20:00+01:00"),
        ("rule", "id:rule/dr-refund-approval", "requires approval by Supervisor", ""),
        ("used", "id:case-management/approval/APR-10421", "Case management (ServiceNow-style)", ""),
        ("used", "id:commerce/order-line/WEB-104211-2", SHOP, ""),
        ("used", "id:commerce/order/WEB-104211", SHOP, ""),
        ("used", "id:logistics/shipment/SHP-104211", "Carrier integration hub", ""),
        ("used", "id:wms/fulfilment/FUL-104212", "Warehouse management system", ""),
        ("used", "id:wms/inventory/BW-10007-DC-LEEDS", "Warehouse management system", ""),
        ("documented by", "id:case-management/decision/DEC-10421", "Case management (ServiceNow-style)", ""),
    ]
    assert [r[2] for r in ask(sample, "decision-explanation", decision="id:decision/DEC-10421")][2:4] == [
        "Tom Hughes", "Priya Raman"]


def test_cq12_an_automatic_credit_by_a_system_with_no_approval_and_no_records(sample: Built) -> None:
    rows = [r[:4] for r in ask(sample, "decision-explanation", decision="id:decision/DEC-30002")]
    assert rows == [
        ("decided", "id:action/goodwill_credit", "Automatic goodwill credit of 12.00 GBP for a late delivery; the "
         "records it used were not exported.", "12 GBP"),
        ("case", "id:case-management/case/CS0020005", "CS0020005", "delivery_delay"),
        ("by", "id:system/case-management", "Case management (ServiceNow-style)", "system"),
        ("rule", "id:rule/dr-goodwill", "Goodwill credit for a late delivery", ""),
        ("documented by", "id:case-management/decision/DEC-30002", "DEC-30002", "Case management (ServiceNow-style)"),
    ]


# CQ11 --------------------------------------------------------------------------------------------
EVENT = "id:case-management/workflow-event/"
INSTANCE = "id:case-management/workflow-instance/"
OBS = "id:observation/practice/"
STOCK = "id:stock-sheet/inventory/"
# step, departure, instances, of, records, observation, observed by, observed on, frequency, data source, its
# system of record
DELIVERY_ISSUE = [
    ("id:step/delivery-issue-check-stock", "shadow data use", "0", "10", "4", OBS + "OBS-002", "id:employee/EMP-1401",
     "2026-10-22", "daily", "id:system/stock-sheet", "id:system/wms"),
    ("id:step/delivery-issue-contact-carrier", "skipped step", "3", "10", "3", OBS + "OBS-003",
     "id:employee/EMP-1006", "2026-11-09", "often", "", ""),
    ("id:step/delivery-issue-approve-remedy", "informal approval", "2", "10", "2", OBS + "OBS-001",
     "id:employee/EMP-1201", "2026-11-05", "weekly", "id:system/approvals-sheet", "id:system/case-management"),
    ("id:step/delivery-issue-approve-remedy", "reordered step", "1", "10", "1", "", "", "", "", "", ""),
    ("id:step/delivery-issue-approve-remedy", "skipped step", "1", "10", "1", "", "", "", "", "", ""),
]
BILLING_DISPUTE = [
    ("id:step/billing-dispute-review-payments", "workaround", "0", "6", "0", OBS + "OBS-004", "id:employee/EMP-1101",
     "2026-10-28", "weekly", "", ""),
]


def test_cq11_delivery_issue_departs_in_its_histories_in_the_sheets_and_in_what_people_saw(sample: Built) -> None:
    """Scenario (f): three instances skip contacting the carrier, as OBS-003 says; the refunds approved over chat
    skipped (WFI-12211) or reordered (WFI-12210) the approval step, and the approvals sheet holds them (R0002,
    R0003) where case management, the system of record for approvals, does not; the stock sheet, trusted over
    the WMS, disagrees with it on four rows."""
    assert ask(sample, "desire-paths", workflow="id:workflow/delivery-issue") == DELIVERY_ISSUE


def test_cq11_billing_dispute_only_observed_a_workaround_and_its_histories_follow_the_order(sample: Built) -> None:
    assert ask(sample, "desire-paths", workflow="id:workflow/billing-dispute") == BILLING_DISPUTE


def test_cq11_every_workflow_and_a_skip_that_nobody_observed(sample: Built) -> None:
    assert ask(sample, "desire-paths") == [
        ("id:step/account-recovery-verify-identity", "skipped step", "1", "6", "1", "", "", "", "", "", ""),
        *BILLING_DISPUTE,
        *DELIVERY_ISSUE,
        ("id:step/product-replacement-check-stock", "shadow data use", "0", "10", "4", OBS + "OBS-005",
         "id:employee/EMP-1401", "2026-11-12", "weekly", "id:system/stock-sheet", "id:system/wms"),
    ]


def test_cq11_the_evidence_records_say_when_and_by_whom(sample: Built) -> None:
    """The event that shows each departure in an instance's history, the sheets' rows and the observations."""
    sheet = ("id:system/stock-sheet", "id:system/wms")
    stock = [("id:step/delivery-issue-check-stock", "shadow data use", "", STOCK + row, "2026-11-16T08:30:00Z", "", "",
              *sheet) for row in ("BW-10007-DC-LEEDS", "BW-10007-STORE-MANCHESTER", "BW-10021-STORE-DUBLIN",
                                  "BW-10027-STORE-LONDON")]
    approvals = ("id:system/approvals-sheet", "id:system/case-management")
    assert ask(sample, "desire-paths-evidence", workflow="id:workflow/delivery-issue") == [
        ("id:step/delivery-issue-check-stock", "shadow data use", "", OBS + "OBS-002", "2026-10-22",
         "id:employee/EMP-1401", "daily", *sheet),
        *stock,
        ("id:step/delivery-issue-contact-carrier", "skipped step", INSTANCE + "WFI-20002", EVENT + "WFE-2000205",
         "2025-09-22T15:15:00+02:00", "id:employee/EMP-1005", "", "", ""),
        ("id:step/delivery-issue-contact-carrier", "skipped step", INSTANCE + "WFI-20004", EVENT + "WFE-2000405",
         "2025-10-07T11:04:00+02:00", "id:employee/EMP-1002", "", "", ""),
        ("id:step/delivery-issue-contact-carrier", "skipped step", INSTANCE + "WFI-20005", EVENT + "WFE-2000505",
         "2025-12-27T17:42:00+01:00", "id:employee/EMP-1003", "", "", ""),
        ("id:step/delivery-issue-contact-carrier", "skipped step", "", OBS + "OBS-003", "2026-11-09",
         "id:employee/EMP-1006", "often", "", ""),
        ("id:step/delivery-issue-approve-remedy", "informal approval", INSTANCE + "WFI-12210",
         "id:approvals-sheet/approval/R0002", "2026-10-30T11:05:00Z", "id:employee/EMP-1001", "", *approvals),
        ("id:step/delivery-issue-approve-remedy", "informal approval", INSTANCE + "WFI-12211",
         "id:approvals-sheet/approval/R0003", "2026-11-02T16:40:00Z", "id:employee/EMP-1006", "", *approvals),
        ("id:step/delivery-issue-approve-remedy", "informal approval", "", OBS + "OBS-001", "2026-11-05",
         "id:employee/EMP-1201", "weekly", *approvals),
        ("id:step/delivery-issue-approve-remedy", "reordered step", INSTANCE + "WFI-12210", EVENT + "WFE-1221012",
         "2026-11-02T10:55:00+01:00", "id:employee/EMP-1001", "", "", ""),
        ("id:step/delivery-issue-approve-remedy", "skipped step", INSTANCE + "WFI-12211", EVENT + "WFE-1221109",
         "2026-11-02T17:30:00+01:00", "id:employee/EMP-1005", "", "", ""),
    ]
    assert ask(sample, "desire-paths-evidence", workflow="id:workflow/billing-dispute") == [
        ("id:step/billing-dispute-review-payments", "workaround", "", OBS + "OBS-004", "2026-10-28",
         "id:employee/EMP-1101", "weekly", "", ""),
    ]


def test_cq11_the_summary_counts_the_evidence_rows(sample: Built) -> None:
    """desire-paths counts, per step and departure, the instances and records that desire-paths-evidence lists."""
    evidence = ask(sample, "desire-paths-evidence")
    assert len(evidence) == 21
    for step, departure, instances, _of, records, observation, *_ in ask(sample, "desire-paths"):
        rows = [r for r in evidence if r[:2] == (step, departure)]
        assert int(records) == sum(1 for r in rows if not r[3].startswith(OBS))
        assert int(instances) == len({r[2] for r in rows if r[2]})
        assert observation == min((r[3] for r in rows if r[3].startswith(OBS)), default="")


def test_cq11_moving_an_event_into_the_documented_order_changes_the_answer(sample: Built) -> None:
    """WFI-12210 completed approve-remedy three days after execute-remedy (WFE-1221012); moved before it, the
    reordered step is gone, and nothing else changes."""
    import pyoxigraph as ox

    from cxgraph.stores.embedded import EmbeddedStore

    store = EmbeddedStore()
    store.raw.extend(sample.store.raw)
    event = ox.NamedNode(ID + "case-management/workflow-event/WFE-1221012")
    at = ox.NamedNode("https://w3id.org/cxgraph/ontology#occurredAt")
    (quad,) = store.raw.quads_for_pattern(event, at, None, None)
    assert quad.object.value == "2026-11-02T10:55:00+01:00"  # execute-remedy was completed 2026-10-30T16:00
    store.raw.remove(quad)
    store.raw.add(ox.Quad(event, at, ox.Literal("2026-10-30T12:40:00+01:00", datatype=quad.object.datatype),
                          quad.graph_name))
    moved = Built(sample.project, store, sample.report)
    assert ask(moved, "desire-paths", workflow="id:workflow/delivery-issue") == [
        row for row in DELIVERY_ISSUE if row[1] != "reordered step"]
    assert [r for r in ask(moved, "desire-paths-evidence") if r[1] == "reordered step"] == []


def test_cq11_the_sample_readme_documents_the_same_answer(sample: Built) -> None:
    """data/sample/README.md's table is computed by the generator in plain Python from the files it wrote."""
    text = (ROOT / "data" / "sample" / "README.md").read_text(encoding="utf-8")
    section = text.split("## Desire paths (competency question 11)", 1)[1].split("\n## ", 1)[0]
    table = [line.split(" | ") for line in section.splitlines() if line.startswith("| ") and "`" in line]
    documented = [(f"id:step/{cells[1].strip('`')}", cells[2], *cells[3].split(" of "), cells[4]) for cells in table]
    assert documented == [row[:5] for row in ask(sample, "desire-paths")]
    evidence = ask(sample, "desire-paths-evidence")
    for cells in table:
        listed = sorted(r[3].rsplit("/", 1)[1] for r in evidence
                        if r[:2] == (f"id:step/{cells[1].strip('`')}", cells[2]) and not r[3].startswith(OBS))
        assert cells[5] == (", ".join(f"`{e}`" for e in listed) or "-")



def test_a_remembered_query_is_read_again_when_its_file_changes(tmp_path: Path) -> None:
    """The context pack asks conflicting-values each time through remembered_query: the same file gives the same
    parsed query, an edit (even one of the same size) is read at once, and a broken header still fails."""
    from cxgraph.answer.queries import remembered_query

    path = tmp_path / "conflicting-values.rq"
    text = (ROOT / "queries" / "conflicting-values.rq").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = remembered_query(path)
    assert remembered_query(path) is first
    edited = text.replace("#+ title: Where systems disagree", "#+ title: Where systems DISAGREE", 1)
    assert edited != text and len(edited) == len(text)
    path.write_text(edited, encoding="utf-8")
    again = remembered_query(path)
    assert again is not first and again.title.startswith("Where systems DISAGREE")
    path.write_text(text.replace("#+ title:", "#+ titel:", 1), encoding="utf-8")
    with pytest.raises(CxGraphError, match="title"):
        remembered_query(path)
