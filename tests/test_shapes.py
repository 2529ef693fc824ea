"""The SHACL shapes (shapes/): exact results on the sample, one fixture per consistency shape, a valid shapes graph.

pySHACL runs for real (inference "none", advanced). rdflib parses a SPARQL query every time it is asked, and
pySHACL asks once per focus node, so the data graph here caches prepared queries (PreparedQueryGraph): the
same results, about 13 s instead of about 160 s on the sample.
"""

from __future__ import annotations

import re
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from pyshacl import validate
from pyshacl.entrypoints import meta_validate
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS, XSD
from rdflib.plugins.sparql import prepareQuery

from conftest import ROOT, Built
from cxgraph.check.validate import PreparedQueryGraph

SHAPES_DIR = ROOT / "shapes"
CXSH = "https://w3id.org/cxgraph/shapes#"
CX = "https://w3id.org/cxgraph/ontology#"
ID = "https://data.brightwater.example/id/"
Triple = tuple[str, str, str]  # (source shape, focus node, severity), shortened


def load_shapes(*names: str) -> rdflib.Graph:
    """The named files under shapes/ (e.g. core/consistency.ttl), or the sample's profiles: core and brightwater."""
    graph = rdflib.Graph()
    for path in [SHAPES_DIR / n for n in names] if names else sorted(SHAPES_DIR.rglob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def short(term: Any) -> str:
    return str(term).removeprefix(CXSH).removeprefix(ID)


def run(data: rdflib.Graph, shapes: rdflib.Graph) -> tuple[list[Triple], list[str]]:
    """Validate; return the (shape, focus, severity) of every result and every result message."""
    _conforms, report, text = validate(data, shacl_graph=shapes, inference="none", advanced=True, inplace=True)
    assert isinstance(report, rdflib.Graph), text
    results, messages = [], []
    for node in report.objects(None, SH.result):  # top-level results; nested sh:detail ones are not counted
        results.append((short(report.value(node, SH.sourceShape)), short(report.value(node, SH.focusNode)),
                        short(report.value(node, SH.resultSeverity)).rsplit("#", 1)[-1]))
        messages += [str(m) for m in report.objects(node, SH.resultMessage)]
    return sorted(results), messages


# --- the sample enterprise ------------------------------------------------------------------------------

SAMPLE_RESULTS = sorted([
    ("CustomerCopyDisagreesShape", "billing/account/BA-500102", "Warning"),
    ("CustomerCopyDisagreesShape", "commerce/customer/cus_dbyrn002", "Warning"),
    ("CustomerCopyDisagreesShape", "commerce/customer/cus_smart005", "Warning"),
    ("InventoryCopyDisagreesShape", "stock-sheet/inventory/BW-10007-DC-LEEDS", "Warning"),
    ("InventoryCopyDisagreesShape", "stock-sheet/inventory/BW-10007-STORE-MANCHESTER", "Warning"),
    ("InventoryCopyDisagreesShape", "stock-sheet/inventory/BW-10021-STORE-DUBLIN", "Warning"),
    ("InventoryCopyDisagreesShape", "stock-sheet/inventory/BW-10027-STORE-LONDON", "Warning"),
    ("OfferDuringSevereCaseShape", "marketing/send/SND-101001", "Violation"),
    ("OfferDuringSevereCaseShape", "marketing/send/SND-101002", "Violation"),
    ("OfferDuringLateDeliveryShape", "marketing/send/SND-101003", "Violation"),
    ("OfferDuringLateDeliveryShape", "marketing/send/SND-101004", "Violation"),
    ("RefundApprovalShape", "billing/refund/RF-122100", "Violation"),
    ("RefundApprovalShape", "billing/refund/RF-122110", "Violation"),
    ("ApprovalOnlyInShadowSourceShape", "approvals-sheet/approval/R0002", "Info"),
    ("ApprovalOnlyInShadowSourceShape", "approvals-sheet/approval/R0003", "Info"),
    ("DeliveredOrderShipmentShape", "commerce/order/WEB-160001", "Warning"),
    ("CaseOwnerAndCustomer-customer", "case-management/case/CS0030001", "Violation"),
    ("DecisionExplained-rule", "decision/DEC-30001", "Violation"),
    ("DecisionExplained-records", "decision/DEC-30002", "Violation"),
    ("WorkflowInstanceStepShape", "case-management/workflow-instance/WFI-30001", "Violation"),
])


@pytest.fixture(scope="module")
def sample_validation(sample: Built) -> tuple[list[Triple], list[str]]:
    """The data graph pySHACL gets: the source graphs and the identity graph (no provenance, no ontology)."""
    data = PreparedQueryGraph()
    names = [s.graph for s in sample.project.sources.values()] + [sample.project.graph_iri("identity")]
    for name in names:
        data.parse(data=sample.store.raw.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(name)),
                   format="nt")
    assert len(data) == sum(sample.store.count(name) for name in names)  # nothing lost in the copy
    return run(data, load_shapes())


def test_sample_finds_exactly_the_inconsistencies_on_purpose(sample_validation: tuple[list[Triple], list[str]]) -> None:
    results, _messages = sample_validation
    assert results == SAMPLE_RESULTS  # a list: no result twice


def test_sample_messages_are_filled_in(sample_validation: tuple[list[Triple], list[str]]) -> None:
    _results, messages = sample_validation
    assert len(messages) == len(SAMPLE_RESULTS)
    assert not [m for m in messages if re.search(r"\{[?$]\w+\}", m)]
    text = "\n".join(messages)
    for expected in ["'sophie.dupont@example.com'", "'sophie.martin@example.org'", "Refund RF-122100 of 119",
                     "requires approval by a supervisor", "shipment SHP-160001 as 'in_transit'",
                     "current step 'Close the case' belongs to 'Online account recovery'",
                     "Offer send SND-101002 to Lucas Dubois", "shows 3 units of BW-10007 available at DC-LEEDS"]:
        assert expected in text, expected


def test_readme_documents_the_same_list() -> None:
    readme = (ROOT / "data/sample/README.md").read_text(encoding="utf-8")
    section = readme.split("## Inconsistencies on purpose", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([\w-]+)` \| `([^`]+)` \| (\w+) \|", section, flags=re.M)
    assert sorted(rows) == SAMPLE_RESULTS


# --- one fixture per consistency shape --------------------------------------------------------------------

PREFIXES = """
@prefix cx: <https://w3id.org/cxgraph/ontology#> .
@prefix id: <https://data.brightwater.example/id/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
id:crm a cx:System ; rdfs:label "CRM" .
id:shop a cx:System ; rdfs:label "Web shop" .
id:cm a cx:System ; rdfs:label "Case management" .
id:sheet a cx:System, cx:ShadowDataSource ; rdfs:label "Approvals sheet" .
id:team a cx:Team .
id:someone a cx:ServiceRelationship ; cx:isRecordedIn id:cm .
"""

FIXTURES: dict[str, tuple[str, set[Triple]]] = {
    "customer copy disagrees with the system of record": ("""
        id:auth a cx:AuthorityAssignment ; cx:assignsAuthorityTo id:crm ; cx:concernsAttribute cx:hasEmailAddress .
        id:c1 a cx:ContractHolder ; cx:isRecordedIn id:crm ; cx:hasSourceIdentifier "C1" ;
            cx:representsParty id:p1 ; cx:hasEmailAddress "ann@example.com" .
        id:d1 a cx:DigitalIdentity ; cx:isRecordedIn id:shop ; cx:hasSourceIdentifier "D1" ;
            cx:representsParty id:p1 ; cx:hasEmailAddress " Ann@Example.com " .
        id:c2 a cx:ContractHolder ; cx:isRecordedIn id:crm ; cx:hasSourceIdentifier "C2" ;
            cx:representsParty id:p2 ; cx:hasEmailAddress "new@example.com" .
        id:d2 a cx:DigitalIdentity ; cx:isRecordedIn id:shop ; cx:hasSourceIdentifier "D2" ;
            cx:representsParty id:p2 ; cx:hasEmailAddress "old@example.com" .
        id:d3 a cx:DigitalIdentity ; cx:isRecordedIn id:shop ; cx:hasSourceIdentifier "D3" ;
            cx:representsParty id:p3 ; cx:hasEmailAddress "alone@example.com" .
        """, {("CustomerCopyDisagreesShape", "d2", "Warning")}),
    "stock copy disagrees with the system of record": ("""
        id:wms a cx:System . id:stock a cx:System, cx:ShadowDataSource .
        id:auth a cx:AuthorityAssignment ; cx:assignsAuthorityTo id:wms ; cx:concernsAttribute cx:hasQuantityAvailable .
        id:w1 a cx:InventoryPosition ; cx:isRecordedIn id:wms ; cx:refersToProduct id:tent ;
            cx:hasLocationCode "DC-A" ; cx:hasQuantityAvailable 5 .
        id:w2 a cx:InventoryPosition ; cx:isRecordedIn id:wms ; cx:refersToProduct id:tent ;
            cx:hasLocationCode "DC-B" ; cx:hasQuantityAvailable 0 .
        id:s1 a cx:InventoryPosition ; cx:isRecordedIn id:stock ; cx:refersToProduct id:tent ;
            cx:hasLocationCode "DC-A" ; cx:hasQuantityAvailable 5 .
        id:s2 a cx:InventoryPosition ; cx:isRecordedIn id:stock ; cx:refersToProduct id:tent ;
            cx:hasLocationCode "DC-B" ; cx:hasQuantityAvailable 3 .
        """, {("InventoryCopyDisagreesShape", "s2", "Warning")}),
    "case without owner or customer": ("""
        id:team a cx:Team . id:r1 a cx:ServiceRelationship ; cx:isRecordedIn id:cm .
        id:k1 a cx:Case ; cx:isOwnedBy id:team ;
            cx:concernsCustomerRecord id:r1 .
        id:k2 a cx:Case ; cx:concernsCustomerRecord id:r1 .
        id:k3 a cx:Case ; cx:isOwnedBy id:crm ; cx:concernsCustomerRecord id:r1 .
        id:k4 a cx:Case ; cx:isOwnedBy id:team .
        id:k5 a cx:Case ; cx:isOwnedBy id:team ;
            cx:concernsCustomerRecord id:gone .
        """, {("CaseOwnerAndCustomer-owner", "k2", "Violation"), ("CaseOwnerAndCustomer-owner", "k3", "Violation"),
              ("CaseOwnerAndCustomer-customer", "k4", "Violation"),
              ("CaseOwnerAndCustomerShape", "k5", "Violation")}),
    "delivered order whose shipment is still moving": ("""
        id:o1 a cx:Order ; cx:hasStatus "delivered" .
        id:h1 a cx:Shipment ; cx:fulfilsOrder id:o1 ; cx:hasStatus "delivered" .
        id:o2 a cx:Order ; cx:hasStatus "delivered" .
        id:h2 a cx:Shipment ; cx:fulfilsOrder id:o2 ; cx:hasStatus "in_transit" .
        id:f2 a cx:Fulfilment ; cx:fulfilsOrder id:o2 ; cx:hasStatus "shipped" .
        id:o3 a cx:Order ; cx:hasStatus "fulfilled" .
        id:h3 a cx:Shipment ; cx:fulfilsOrder id:o3 ; cx:hasStatus "delayed" .
        """, {("DeliveredOrderShipmentShape", "o2", "Warning")}),
    "refund above threshold without the required approval": ("""
        id:action\\/refund cx:isRecordedAs cx:Refund .
        id:rule a cx:PolicyRule ; rdfs:label "Refund above 100 needs supervisor approval" ;
            cx:appliesToCategory "delivery_delay" ; cx:allowsAction id:action\\/refund ;
            cx:hasThresholdAmount 100.00 ; cx:requiresApprovalBy id:supervisor .
        id:supervisor rdfs:label "Supervisor" .
        id:boss a cx:Employee ; cx:hasRole id:supervisor .
        id:agent a cx:Employee ; cx:hasRole id:agentRole .
        id:f1 a cx:Refund ; cx:hasAmount 80.00 ; cx:hasCurrency "GBP" ; cx:concernsOrder id:o1 .
        id:k1 a cx:Case ; cx:isOwnedBy id:team ; cx:concernsCustomerRecord id:someone ;
            cx:concernsOrder id:o1 ; cx:hasCategory "delivery_delay" .
        id:f2 a cx:Refund ; cx:hasAmount 150.00 ; cx:hasCurrency "GBP" ; cx:concernsOrder id:o2 .
        id:k2 a cx:Case ; cx:isOwnedBy id:team ; cx:concernsCustomerRecord id:someone ;
            cx:concernsOrder id:o2 ; cx:hasCategory "delivery_delay" .
        id:a2 a cx:Approval ; cx:isRecordedIn id:cm ; cx:concernsCase id:k2 ; cx:approvesAction id:action\\/refund ;
            cx:isGivenBy id:boss ; cx:hasAmount 150.00 ; cx:hasCurrency "GBP" .
        id:f3 a cx:Refund ; cx:hasAmount 150.00 ; cx:hasCurrency "GBP" ; cx:concernsOrder id:o3 .
        id:k3 a cx:Case ; cx:isOwnedBy id:team ; cx:concernsCustomerRecord id:someone ;
            cx:concernsOrder id:o3 ; cx:hasCategory "delivery_delay" .
        id:a3 a cx:Approval ; cx:isRecordedIn id:sheet ; cx:concernsCase id:k3 ; cx:approvesAction id:action\\/refund ;
            cx:isGivenBy id:boss ; cx:hasAmount 150.00 .
        id:f4 a cx:Refund ; cx:hasAmount 150.00 ; cx:hasCurrency "GBP" ; cx:concernsOrder id:o4 .
        id:k4 a cx:Case ; cx:isOwnedBy id:team ; cx:concernsCustomerRecord id:someone ;
            cx:concernsOrder id:o4 ; cx:hasCategory "delivery_delay" .
        id:a4 a cx:Approval ; cx:isRecordedIn id:cm ; cx:concernsCase id:k4 ; cx:approvesAction id:action\\/refund ;
            cx:isGivenBy id:agent .
        id:f5 a cx:Refund ; cx:hasAmount 150.00 ; cx:hasCurrency "GBP" ; cx:concernsOrder id:o5 .
        id:k5 a cx:Case ; cx:isOwnedBy id:team ; cx:concernsCustomerRecord id:someone ;
            cx:concernsOrder id:o5 ; cx:hasCategory "delivery_delay" .
        id:a5 a cx:Approval ; cx:isRecordedIn id:cm ; cx:concernsCase id:k5 ; cx:approvesAction id:action\\/refund ;
            cx:isGivenBy id:boss ; cx:hasAmount 100.00 .
        id:f6 a cx:Refund ; cx:hasAmount 150.00 ; cx:hasCurrency "GBP" ; cx:concernsOrder id:o6 .
        id:k6 a cx:Case ; cx:isOwnedBy id:team ; cx:concernsCustomerRecord id:someone ;
            cx:concernsOrder id:o6 ; cx:hasCategory "billing_dispute" .
        """, {("RefundApprovalShape", "f3", "Violation"), ("RefundApprovalShape", "f4", "Violation"),
              ("RefundApprovalShape", "f5", "Violation"), ("ApprovalOnlyInShadowSourceShape", "a3", "Info")}),
    "approval kept only in a shadow data source": ("""
        id:a1 a cx:Approval ; cx:isRecordedIn id:sheet ; cx:concernsCase id:k1 ; cx:approvesAction id:refund .
        id:a1b a cx:Approval ; cx:isRecordedIn id:cm ; cx:concernsCase id:k1 ; cx:approvesAction id:refund .
        id:a2 a cx:Approval ; cx:isRecordedIn id:sheet ; cx:concernsCase id:k2 ; cx:approvesAction id:refund .
        id:a3 a cx:Approval ; cx:isRecordedIn id:sheet ; cx:concernsCase id:k3 ; cx:approvesAction id:refund .
        id:a3b a cx:Approval ; cx:isRecordedIn id:cm ; cx:concernsCase id:k3 ; cx:approvesAction id:credit .
        """, {("ApprovalOnlyInShadowSourceShape", "a2", "Info"), ("ApprovalOnlyInShadowSourceShape", "a3", "Info")}),
    "decision that does not name its rule or records": ("""
        id:rule a cx:PolicyRule ; cx:allowsAction id:credit .
        id:order cx:isRecordedIn id:shop .
        id:d1 a cx:Decision ; cx:decidesAction id:credit ; cx:appliesRule id:rule ; prov:used id:order .
        id:d2 a cx:Decision ; cx:decidesAction id:credit ; prov:used id:order .
        id:d3 a cx:Decision ; cx:decidesAction id:credit ; cx:appliesRule id:rule .
        id:d4 a cx:Decision ; cx:decidesAction id:credit ; cx:appliesRule id:rule ; prov:used id:gone .
        id:d5 a cx:Decision ; cx:decidesAction id:credit ; cx:appliesRule id:notARule ; prov:used id:order .
        """, {("DecisionExplained-rule", "d2", "Violation"), ("DecisionExplained-records", "d3", "Violation"),
              ("DecisionExplained-recordsExist", "d4", "Violation"), ("DecisionExplained-rule", "d5", "Violation")}),
    "decision whose rule does not allow its action": ("""
        id:rule a cx:PolicyRule ; cx:allowsAction id:credit ; cx:forbidsAction id:refund .
        id:order cx:isRecordedIn id:shop .
        id:d1 a cx:Decision ; cx:decidesAction id:credit ; cx:appliesRule id:rule ; prov:used id:order .
        id:d2 a cx:Decision ; cx:decidesAction id:refund ; cx:appliesRule id:rule ; prov:used id:order .
        id:d3 a cx:Decision ; cx:decidesAction id:replacement ; cx:appliesRule id:rule ; prov:used id:order .
        """, {("DecisionRuleAllowsActionShape", "d2", "Violation"),
              ("DecisionRuleAllowsActionShape", "d3", "Violation")}),
    "offer while a severe case is open": ("""
        id:c1 a cx:ContractHolder ; cx:representsParty id:p1 ; cx:hasMarketingConsent true .
        id:r1 a cx:ServiceRelationship ; cx:isRecordedIn id:cm ; cx:representsParty id:p1 .
        id:k1 a cx:Case ; cx:isOwnedBy id:team ; cx:concernsCustomerRecord id:r1 ;
            cx:hasSeverity "high" ; cx:hasStatus "open" ;
            cx:openedAt "2026-11-16T10:00:00+01:00"^^xsd:dateTime .
        id:s1 a cx:OfferSend ; cx:targetsCustomerRecord id:c1 ; cx:hasStatus "scheduled" ;
            cx:scheduledAt "2026-11-24T08:00:00Z"^^xsd:dateTime .
        id:s2 a cx:OfferSend ; cx:targetsCustomerRecord id:c1 ; cx:hasStatus "suppressed" ;
            cx:scheduledAt "2026-11-24T08:00:00Z"^^xsd:dateTime .
        id:s3 a cx:OfferSend ; cx:targetsCustomerRecord id:c1 ; cx:hasStatus "sent" ;
            cx:scheduledAt "2026-11-01T08:00:00Z"^^xsd:dateTime .
        id:c2 a cx:ContractHolder ; cx:isRecordedIn id:crm ; cx:representsParty id:p2 ; cx:hasMarketingConsent true .
        id:k2 a cx:Case ; cx:isOwnedBy id:team ; cx:concernsCustomerRecord id:c2 ;
            cx:hasSeverity "critical" ; cx:hasStatus "closed" ;
            cx:openedAt "2026-09-20T10:00:00Z"^^xsd:dateTime ; cx:closedAt "2026-10-05T10:00:00Z"^^xsd:dateTime .
        id:s4 a cx:OfferSend ; cx:targetsCustomerRecord id:c2 ; cx:hasStatus "sent" ;
            cx:scheduledAt "2026-10-01T07:00:00Z"^^xsd:dateTime .
        id:s5 a cx:OfferSend ; cx:targetsCustomerRecord id:c2 ; cx:hasStatus "scheduled" ;
            cx:scheduledAt "2026-11-24T08:00:00Z"^^xsd:dateTime .
        id:c3 a cx:ContractHolder ; cx:isRecordedIn id:crm ; cx:representsParty id:p3 ; cx:hasMarketingConsent true .
        id:k3 a cx:Case ; cx:isOwnedBy id:team ; cx:concernsCustomerRecord id:c3 ;
            cx:hasSeverity "low" ; cx:hasStatus "open" ;
            cx:openedAt "2026-11-16T10:00:00Z"^^xsd:dateTime .
        id:s6 a cx:OfferSend ; cx:targetsCustomerRecord id:c3 ; cx:hasStatus "scheduled" ;
            cx:scheduledAt "2026-11-24T08:00:00Z"^^xsd:dateTime .
        """, {("OfferDuringSevereCaseShape", "s1", "Violation"), ("OfferDuringSevereCaseShape", "s4", "Violation")}),
    "offer while a delivery is late": ("""
        id:c1 a cx:ContractHolder ; cx:representsParty id:p1 ; cx:hasMarketingConsent true .
        id:d1 a cx:DigitalIdentity ; cx:representsParty id:p1 .
        id:o1 a cx:Order ; cx:isPlacedBy id:d1 .
        id:h1 a cx:Shipment ; cx:fulfilsOrder id:o1 ; cx:hasStatus "delayed" .
        id:s1 a cx:OfferSend ; cx:targetsCustomerRecord id:c1 ; cx:hasStatus "scheduled" .
        id:s2 a cx:OfferSend ; cx:targetsCustomerRecord id:c1 ; cx:hasStatus "sent" .
        id:c2 a cx:ContractHolder ; cx:representsParty id:p2 ; cx:hasMarketingConsent true .
        id:d2 a cx:DigitalIdentity ; cx:representsParty id:p2 .
        id:o2 a cx:Order ; cx:isPlacedBy id:d2 .
        id:h2 a cx:Shipment ; cx:fulfilsOrder id:o2 ; cx:hasStatus "delivered" .
        id:s3 a cx:OfferSend ; cx:targetsCustomerRecord id:c2 ; cx:hasStatus "scheduled" .
        """, {("OfferDuringLateDeliveryShape", "s1", "Violation")}),
    "offer without marketing consent": ("""
        id:c1 a cx:ContractHolder ; cx:hasMarketingConsent true .
        id:c2 a cx:ContractHolder ; cx:hasMarketingConsent false .
        id:c3 a cx:ContractHolder .
        id:s1 a cx:OfferSend ; cx:targetsCustomerRecord id:c1 ; cx:hasStatus "scheduled" .
        id:s2 a cx:OfferSend ; cx:targetsCustomerRecord id:c2 ; cx:hasStatus "scheduled" .
        id:s3 a cx:OfferSend ; cx:targetsCustomerRecord id:c3 ; cx:hasStatus "sent" .
        id:s4 a cx:OfferSend ; cx:targetsCustomerRecord id:c2 ; cx:hasStatus "suppressed" .
        """, {("OfferWithoutConsentShape", "s2", "Violation"), ("OfferWithoutConsentShape", "s3", "Violation")}),
    "workflow instance at a step of another workflow": ("""
        id:a1 a cx:WorkflowStep ; cx:isStepOf id:wa ; rdfs:label "Close the case" .
        id:b1 a cx:WorkflowStep ; cx:isStepOf id:wb ; rdfs:label "Close the case" .
        id:wb rdfs:label "Online account recovery" .
        id:i1 a cx:WorkflowInstance ; cx:instantiates id:wa ; cx:isAtStep id:a1 .
        id:i2 a cx:WorkflowInstance ; cx:instantiates id:wa ; cx:isAtStep id:b1 .
        id:i3 a cx:WorkflowInstance ; cx:instantiates id:wa ; cx:isAtStep id:undocumented .
        """, {("WorkflowInstanceStepShape", "i2", "Violation"), ("WorkflowInstanceStepShape", "i3", "Violation")}),
    "resolved party with contradicting identity evidence": ("""
        id:p1 a cx:Party . id:p2 a cx:Party . id:p3 a cx:Party . id:p4 a cx:Party .
        id:c1 cx:representsParty id:p1 ; cx:hasName "Rhian Pryce" ; cx:hasEmailAddress "rhian@example.com" .
        id:d1 cx:representsParty id:p1 ; cx:hasName "Gareth Pryce" ; cx:hasEmailAddress "g.pryce@example.net" .
        id:c2 cx:representsParty id:p2 ; cx:hasName "Ann Rees" .
        id:d2 cx:representsParty id:p2 ; cx:hasName "ann  rees" .
        id:c3 cx:representsParty id:p3 ; cx:hasName "Daniel Byrne" .
        id:d3 cx:representsParty id:p3 ; cx:hasName "Danny Byrne" ; cx:refersToRecord id:c3 .
        id:c4 cx:representsParty id:p4 ; cx:hasName "Mary Jones" ; cx:hasEmailAddress "mary@example.com" .
        id:b4 cx:representsParty id:p4 ; cx:hasName "M. Jones" ; cx:hasEmailAddress "Mary@Example.com " .
        """, {("PartyIdentityEvidenceShape", "p1", "Warning")}),
    "recommendation relying on a statement that changed": ("""
        id:s1 cx:isLate true . id:s2 cx:fulfilsOrder id:o2 .
        id:r1 a cx:Recommendation ; cx:hasRuleFiring id:r1f .
        id:r1f a cx:RuleFiring ; cx:reliesOn id:f1, id:f2, id:f3, id:f4 .
        id:f1 a cx:Fact ; cx:isAboutResource id:s1 ;
            cx:hasPropertyIri "https://w3id.org/cxgraph/ontology#isLate"^^xsd:anyURI ; cx:hadLiteralValue true .
        id:f2 a cx:Fact ; cx:isAboutResource id:s2 ;
            cx:hasPropertyIri "https://w3id.org/cxgraph/ontology#fulfilsOrder"^^xsd:anyURI ; cx:hadResourceValue id:o2 .
        id:f3 a cx:Fact ; cx:isAboutResource id:s3 ;
            cx:hasPropertyIri "https://w3id.org/cxgraph/ontology#isLate"^^xsd:anyURI ; cx:hadLiteralValue true .
        id:f4 a cx:Fact ; cx:isAboutResource id:s2 ;
            cx:hasPropertyIri "https://w3id.org/cxgraph/ontology#fulfilsOrder"^^xsd:anyURI ; cx:hadResourceValue id:o9 .
        """, {("RecommendationFactHoldsShape", "f3", "Warning"), ("RecommendationFactHoldsShape", "f4", "Warning")}),
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_consistency_shape_fixture(name: str) -> None:
    turtle, expected = FIXTURES[name]
    data = rdflib.Graph().parse(data=PREFIXES + turtle, format="turtle")
    results, messages = run(data, load_shapes("core/consistency.ttl", "brightwater/consistency.ttl"))
    assert set(results) == expected
    assert len(results) == len(expected)
    assert not [m for m in messages if re.search(r"\{[?$]\w+\}", m)]


def test_every_consistency_shape_has_a_fixture() -> None:
    shapes = load_shapes("core/consistency.ttl", "brightwater/consistency.ttl")
    targeted = {short(s) for s in shapes.subjects(SH.targetClass, None)}
    exercised = {shape for _turtle, expected in FIXTURES.values() for shape, _f, _s in expected}
    owners = {short(s) for s, p in shapes.subject_objects(SH.property) if short(p) in exercised}
    assert targeted <= exercised | owners


# --- the shapes graph itself --------------------------------------------------------------------------------

def test_shapes_graph_is_valid_shacl() -> None:
    conforms, _report, text = meta_validate(load_shapes(), inference="none")
    assert conforms, text
    broken = rdflib.Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:x:S> a sh:PropertyShape ; sh:path <urn:x:p> ; sh:minCount "one" .""", format="turtle")
    assert not meta_validate(broken, inference="none")[0]


def ontology_terms() -> set[str]:
    ontology = rdflib.Graph()
    for path in sorted((ROOT / "ontology/modules").glob("*.ttl")):
        ontology.parse(path, format="turtle")
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    return {str(s) for kind in kinds for s in ontology.subjects(RDF.type, kind) if str(s).startswith(CX)}


def test_shapes_use_only_terms_the_ontology_declares() -> None:
    shapes = load_shapes()
    declared = ontology_terms()
    used = {str(o) for o in shapes.objects() if isinstance(o, rdflib.URIRef) and str(o).startswith(CX)}
    for text in shapes.objects(None, SH.select):
        used |= {CX + local for local in re.findall(r"\bcx:(\w+)", str(text))}
    assert used - declared == set()
    assert len(used) == 238  # terms the shapes constrain: a shape on a new term changes this count


def test_every_named_shape_is_labelled_explained_and_has_a_message() -> None:
    shapes = load_shapes()
    named = {s for kind in (SH.NodeShape, SH.PropertyShape) for s in shapes.subjects(RDF.type, kind)
             if isinstance(s, rdflib.URIRef)}
    assert len(named) == 298  # core and brightwater profiles: a new or removed shape changes this count
    for shape in named:
        assert str(shape).startswith(CXSH), shape
        assert len(list(shapes.objects(shape, RDFS.label))) == 1, shape
        assert len(list(shapes.objects(shape, RDFS.comment))) == 1, shape
        core = (shape, RDF.type, SH.PropertyShape) in shapes or any((shape, p, None) in shapes
                                                                    for p in (SH["or"], SH.xone))
        if core and (shape, SH.sparql, None) not in shapes:  # SPARQL constraints carry their own message
            assert len(list(shapes.objects(shape, SH.message))) == 1, shape
    for constraint in shapes.objects(None, SH.sparql):
        assert len(list(shapes.objects(constraint, SH.message))) == 1, constraint


def test_sparql_constraints_select_this_and_every_message_variable() -> None:
    shapes = load_shapes()
    for constraint in shapes.objects(None, SH.sparql):
        select = str(shapes.value(constraint, SH.select))
        head = select.split("WHERE", 1)[0]
        assert "$this" in head, select[:80]
        for variable in re.findall(r"\{[?$](\w+)\}", str(shapes.value(constraint, SH.message))):
            assert re.search(rf"[?$]{variable}\b", head), (variable, select[:80])
        prepareQuery(f"PREFIX cx: <{CX}> PREFIX rdfs: <{RDFS}> PREFIX prov: <http://www.w3.org/ns/prov#>\n{select}")


def test_shapes_target_only_concrete_classes_that_the_mappings_assert() -> None:
    """Validation runs without inference: a target must be a class records are typed with, a leaf of the
    ontology's class tree or a class some mapping asserts (the sample's or the second enterprise's)."""
    ontology = rdflib.Graph()
    for path in (ROOT / "ontology/modules").glob("*.ttl"):
        ontology.parse(path)
    classes = {str(c) for c in ontology.subjects(RDF.type, OWL.Class)}
    parents = {str(o) for o in ontology.objects(None, RDFS.subClassOf) if isinstance(o, rdflib.URIRef)}
    mapped = set()
    for path in [*(ROOT / "loaders/mappings").glob("*.yml"), *(ROOT / "tests/fixtures").rglob("mappings/*.yml")]:
        mapped |= {CX + c for c in re.findall(r"\[a, cx:(\w+)\]", path.read_text(encoding="utf-8"))}
    targets = {str(t) for t in load_shapes().objects(None, SH.targetClass)}
    assert targets <= classes
    assert {t for t in targets if t in parents} - mapped == set()
    assert CX + "Record" not in targets and CX + "CustomerRecord" not in targets


def test_shape_files_are_named_after_the_ontology_modules() -> None:
    modules = {p.stem for p in (ROOT / "ontology/modules").glob("*.ttl")}
    assert {p.stem for p in (SHAPES_DIR / "core").glob("*.ttl")} == modules | {"consistency", "datatypes"}
    assert {p.stem for p in (SHAPES_DIR / "brightwater").glob("*.ttl")} <= modules | {"consistency"}
    assert {p.name for p in SHAPES_DIR.iterdir() if p.suffix == ".ttl"} == set()


def test_core_datatype_shapes_follow_the_ontology_ranges() -> None:
    """One datatype shape per data property, with the ontology's range (xsd:date from the scope note)."""
    ontology = rdflib.Graph()
    for path in (ROOT / "ontology/modules").glob("*.ttl"):
        ontology.parse(path)
    expected = {}
    for prop in ontology.subjects(RDF.type, OWL.DatatypeProperty):
        rng = ontology.value(prop, RDFS.range)
        notes = " ".join(map(str, ontology.objects(prop, SKOS.scopeNote)))
        if rng is not None and str(rng).startswith(str(XSD)):
            expected[str(prop)] = str(rng)
        elif rng == RDFS.Literal and "xsd:date literals" in notes:
            expected[str(prop)] = str(XSD.date)
    shapes = load_shapes("core/datatypes.ttl")
    found = {str(shapes.value(s, SH.path)): str(shapes.value(s, SH.datatype))
             for s in shapes.subjects(SH.targetSubjectsOf, None)}
    assert found == expected


def test_no_shape_or_query_names_an_enterprise_namespace() -> None:
    """Core shapes and the named queries hold for any enterprise: `id:` comes from the registry."""
    for path in [*(SHAPES_DIR / "core").glob("*.ttl"), *(ROOT / "queries").glob("*.rq")]:
        text = path.read_text(encoding="utf-8")
        assert "brightwater" not in text.lower() and "PREFIX id:" not in text, path


def test_workflow_event_and_observation_shapes() -> None:
    """A workflow event names one instance, one documented step, entered or completed, one time and its employee;
    an observed practice is one of five kinds (a reordered step is one) and names its observer (Brightwater)."""
    data = rdflib.Graph().parse(data=PREFIXES + """
        id:wf a cx:WorkflowDefinition . id:s1 a cx:WorkflowStep ; cx:isStepOf id:wf .
        id:i1 a cx:WorkflowInstance . id:i2 a cx:WorkflowInstance . id:emp a cx:Employee .
        id:e1 a cx:WorkflowEvent ; cx:isEventOf id:i1 ; cx:concernsStep id:s1 ; cx:hasTransition "completed" ;
            cx:occurredAt "2026-11-02T10:55:00+01:00"^^xsd:dateTime ; cx:isMadeBy id:emp .
        id:e2 a cx:WorkflowEvent ; cx:isEventOf id:i1 ; cx:concernsStep id:s1 ; cx:hasTransition "reopened" ;
            cx:occurredAt "2026-11-02T11:00:00+01:00"^^xsd:dateTime ; cx:isMadeBy id:emp .
        id:e3 a cx:WorkflowEvent ; cx:isEventOf id:i1, id:i2 ; cx:hasTransition "entered" ;
            cx:occurredAt "2026-11-02T11:05:00+01:00"^^xsd:dateTime .
        id:p1 a cx:ObservedPractice, cx:ReorderedStep ; cx:departsFromStep id:s1 ; cx:isObservedIn id:team ;
            cx:isObservedBy id:emp ; cx:observedOn "2026-11-05"^^xsd:date ; cx:hasDescription "Approval after refund" .
        id:p2 a cx:ObservedPractice, cx:ReorderedStep, cx:SkippedStep ; cx:departsFromStep id:s1 ;
            cx:isObservedIn id:team ; cx:observedOn "2026-11-05"^^xsd:date ; cx:hasDescription "Both at once" .
        """, format="turtle")
    results, messages = run(data, load_shapes("core/workflow.ttl", "brightwater/workflow.ttl"))
    assert [r for r in results if r[1] in ("e1", "e2", "e3", "p1", "p2")] == [
        ("ObservedPractice-observedBy", "p2", "Violation"),
        ("ObservedPracticeShape", "p2", "Violation"),
        ("WorkflowEvent-instance", "e3", "Violation"),
        ("WorkflowEvent-step", "e3", "Violation"),
        ("WorkflowEvent-transition", "e2", "Violation"),
        ("WorkflowEvent-user", "e3", "Violation"),
    ]
    assert "entered or completed" in " ".join(messages)


def test_an_inventory_position_names_the_product_whose_stock_it_counts() -> None:
    """The stock conditions and the order pack find a product's positions through cx:isStockOfProduct: a position
    that states only cx:refersToProduct (a mapping written before it) is flagged, not silently counted as no stock."""
    data = rdflib.Graph().parse(data=PREFIXES + """
        id:tent a cx:Product . id:stove a cx:Product .
        id:w1 a cx:InventoryPosition ; cx:refersToProduct id:tent ; cx:isStockOfProduct id:tent .
        id:w2 a cx:InventoryPosition ; cx:refersToProduct id:tent .
        id:w3 a cx:InventoryPosition ; cx:refersToProduct id:tent ; cx:isStockOfProduct id:tent, id:stove .
        id:w4 a cx:InventoryPosition ; cx:refersToProduct id:tent ; cx:isStockOfProduct id:stove .
        """, format="turtle")
    results, messages = run(data, load_shapes("core/operations.ttl"))
    assert sorted({r for r in results if r[0] == "InventoryPosition-stockOf"}) == [
        ("InventoryPosition-stockOf", "w2", "Violation"), ("InventoryPosition-stockOf", "w3", "Violation"),
        ("InventoryPosition-stockOf", "w4", "Violation")]  # w4: another product than the one it refers to
    assert any("cx:isStockOfProduct" in m for m in messages)
