"""Competency questions 1-6 and 14: the exact answers on the sample enterprise (data/sample/README.md)."""

from __future__ import annotations

import pytest

from conftest import ROOT, Built
from cxgraph.answer.queries import catalog, run
from cxgraph.answer.render import compact

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
    assert {q.competency_question for q in QUERIES.values()} == {1, 2, 3, 4, 5, 6, 10, 14}
    for query in QUERIES.values():
        assert query.question and query.params
        assert all(p.example for p in query.params.values()), query.name
        assert run(sample.store, query, query.examples, PREFIXES).rows, f"{query.name} example has no answer"


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


# CQ5 ---------------------------------------------------------------------------------------------
def test_cq5_delivery_delay_case_rules(sample: Built) -> None:
    rows = [r[:8] for r in ask(sample, "governing-rules", case="id:case-management/case/CS0010421")]
    policy = "Delivery recovery policy"
    assert rows == [
        ("Goodwill credit for a late delivery", policy, "allows", "Goodwill credit", "", "", "", "false"),
        ("No delay refund for an on-time delivery", policy, "forbids", "Goodwill credit", "", "", "", "false"),
        ("No delay refund for an on-time delivery", policy, "forbids", "Refund", "", "", "", "false"),
        ("No replacement of a line that no location has in stock", policy, "forbids", "Replacement", "", "", "",
         "true"),
        ("No replacement of a line that no location has in stock", policy, "forbids", "Reship", "", "", "", "true"),
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
