"""The sample enterprise's stories (data/sample/README.md, scenarios a-h) are traceable in the graph."""

from __future__ import annotations

from conftest import CX, Built

PREFIXES = """
PREFIX cx: <https://w3id.org/cxgraph/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX id: <https://data.brightwater.example/id/>
"""
ID = "https://data.brightwater.example/id/"


def rows(sample: Built, sparql: str) -> list[tuple[str, ...]]:
    answer = sample.store.query(PREFIXES + sparql)
    names = [v.value for v in answer.variables]
    return [tuple("" if s[n] is None else s[n].value.removeprefix(ID) for n in names) for s in answer]


def ask(sample: Built, sparql: str) -> bool:
    return bool(sample.store.query(PREFIXES + sparql))


def party_of(sample: Built, record: str) -> str:
    return rows(sample, f"SELECT ?p WHERE {{ <{ID}{record}> cx:representsParty ?p }}")[0][0]


def test_a_delayed_order_backorder_delay_chat_case_and_approved_refund(sample: Built) -> None:
    assert rows(sample, """
        SELECT ?fulfilment ?available ?receipt ?shipment ?status WHERE {
          ?order cx:hasSourceIdentifier "WEB-104211" .
          ?fulfilment cx:fulfilsOrder ?order ; cx:hasStatus "backordered" ; cx:refersToProduct ?product .
          ?inv a cx:InventoryPosition ; cx:refersToProduct ?product ; cx:hasLocationCode "DC-LEEDS" ;
               cx:hasQuantityAvailable ?available ; cx:hasNextReceiptDate ?receipt ; cx:isRecordedIn id:system\\/wms .
          ?shipment a cx:Shipment ; cx:fulfilsOrder ?order ; cx:hasStatus ?status .
        }""") == [("wms/fulfilment/FUL-104212", "0", "2026-12-15", "logistics/shipment/SHP-104211", "delayed")]
    assert rows(sample, """
        SELECT ?code WHERE { ?e cx:concernsShipment id:logistics\\/shipment\\/SHP-104211 ;
                                cx:hasEventCode ?code } ORDER BY ?code""") == [("DL",), ("EX",), ("IT",), ("IT",),
                                                                                  ("PU",)]
    assert rows(sample, """
        SELECT ?interaction ?channel ?case ?category WHERE {
          ?interaction a cx:Interaction ; cx:isOnChannel ?channel ; cx:concernsOrder ?order ;
                       cx:isLinkedToCase ?case ; cx:occurredAt ?t .
          ?order cx:hasSourceIdentifier "WEB-104211" . ?case cx:hasCategory ?category .
        } ORDER BY ?t""") == [
        ("contact-center/interaction/INT-1042111", "channel/chat", "case-management/case/CS0010421", "delivery_delay"),
        ("contact-center/interaction/INT-1042112", "channel/phone", "case-management/case/CS0010421",
         "delivery_delay"),
    ]
    assert rows(sample, """
        SELECT ?decision ?action ?rule ?approver ?role ?amount ?refund WHERE {
          ?decision a cx:Decision ; cx:concernsCase id:case-management\\/case\\/CS0010421 ; cx:decidesAction ?action ;
                    cx:appliesRule ?rule ; cx:hasApproval ?approval .
          ?approval cx:isGivenBy ?approver ; cx:hasAmount ?amount ; cx:isRecordedIn id:system\\/case-management .
          ?approver cx:hasRole ?role .
          ?refund a cx:Refund ; cx:concernsOrder id:commerce\\/order\\/WEB-104211 .
        }""") == [("decision/DEC-10421", "action/refund", "rule/dr-refund-approval", "employee/EMP-1001",
                   "role/supervisor", "189", "billing/refund/RF-104211")]
    used = {r[0] for r in rows(sample, "SELECT ?r WHERE { id:decision\\/DEC-10421 prov:used ?r }")}
    assert used == {"commerce/order/WEB-104211", "commerce/order-line/WEB-104211-2", "wms/fulfilment/FUL-104212",
                    "wms/inventory/BW-10007-DC-LEEDS", "logistics/shipment/SHP-104211",
                    "case-management/approval/APR-10421"}


def test_b_billing_dispute_different_emails_two_failed_payments_pending_approval(sample: Built) -> None:
    # one party although no e-mail matches: linked by cross-reference and phone
    assert party_of(sample, "billing/account/BA-500102") == party_of(sample, "commerce/customer/cus_dbyrn002")
    rules = rows(sample, """
        SELECT ?record ?rule WHERE {
          ?link cx:linksRecord ?record ; cx:matchedByRule ?rule .
          FILTER(?record IN (id:billing\\/account\\/BA-500102, id:commerce\\/customer\\/cus_dbyrn002))
        } ORDER BY ?record ?rule""")
    assert rules == [("billing/account/BA-500102", "identity-rule/cross-reference"),
                     ("billing/account/BA-500102", "identity-rule/normalized-phone"),
                     ("commerce/customer/cus_dbyrn002", "identity-rule/cross-reference"),
                     ("commerce/customer/cus_dbyrn002", "identity-rule/normalized-phone")]
    assert rows(sample, """
        SELECT ?payment ?reason WHERE { ?payment a cx:Payment ; cx:settlesInvoice id:billing\\/invoice\\/INV-1088120 ;
                                        cx:hasStatus "failed" ; cx:hasFailureReason ?reason } ORDER BY ?payment""") == [
        ("billing/payment/PAY-1088121", "insufficient_funds"), ("billing/payment/PAY-1088122", "card_declined")]
    assert rows(sample, """
        SELECT ?customer ?step ?threshold ?role WHERE {
          id:case-management\\/case\\/CS0018812 cx:concernsCustomerRecord ?customer ; cx:hasCategory ?category .
          ?wfi cx:concernsCase id:case-management\\/case\\/CS0018812 ; cx:isAtStep ?step .
          ?rule cx:appliesToCategory ?category ; cx:hasThresholdAmount ?threshold ; cx:requiresApprovalBy ?role .
          id:billing\\/invoice\\/INV-1088120 cx:hasAmount ?amount . FILTER(?amount > ?threshold)
        }""") == [("billing/account/BA-500102", "step/billing-dispute-approve-adjustment", "250", "role/finance_lead")]
    assert not ask(sample, "ASK { ?a a cx:Approval ; cx:concernsCase id:case-management\\/case\\/CS0018812 }")


def test_c_household_contract_holder_is_not_the_payer(sample: Built) -> None:
    assert rows(sample, """
        SELECT ?identity WHERE { ?identity a cx:DigitalIdentity ; cx:isMemberOfHousehold id:crm\\/household\\/HH-30001 }
        ORDER BY ?identity""") == [("commerce/customer/cus_jkell003",), ("commerce/customer/cus_lkell004",)]
    payer = rows(sample, "SELECT ?b WHERE { id:crm\\/contact\\/0030000103 cx:isPaidThrough ?b }")
    assert payer == [("billing/account/BA-500104",)]
    assert party_of(sample, "billing/account/BA-500104") == party_of(sample, "crm/contact/0030000104")
    assert party_of(sample, "billing/account/BA-500104") != party_of(sample, "crm/contact/0030000103")
    assert not ask(sample, f"""ASK {{ ?b a cx:BillingAccount ; cx:representsParty
                                    <{ID}{party_of(sample, 'crm/contact/0030000103')}> }}""")


def test_d_carrier_delay_signal_who_contacted_and_who_did_not(sample: Built) -> None:
    answer = rows(sample, """
        SELECT ?contact (IF(BOUND(?later), "contacted", "not contacted") AS ?state) WHERE {
          { SELECT ?contact (SAMPLE(?i) AS ?later) WHERE {
            id:monitoring\\/signal\\/SIG-0001 cx:affects ?shipment .
            ?shipment cx:fulfilsOrder ?order . ?event cx:concernsShipment ?shipment ; cx:hasEventCode "DL" ;
                                                      cx:occurredAt ?delayed .
            ?order cx:isPlacedBy ?identity . ?identity cx:representsParty ?party .
            ?contact a cx:ContractHolder ; cx:representsParty ?party .
            OPTIONAL { ?i cx:involvesCustomerRecord ?r . ?r cx:representsParty ?party .
                       ?i cx:occurredAt ?t FILTER(?t > ?delayed) }
          } GROUP BY ?contact }
        } ORDER BY ?contact""")
    assert answer == [("crm/contact/0030000106", "contacted"), ("crm/contact/0030000107", "not contacted"),
                      ("crm/contact/0030000108", "not contacted"), ("crm/contact/0030000109", "contacted"),
                      ("crm/contact/0030000110", "not contacted"), ("crm/contact/0030000111", "not contacted")]


def test_e_campaign_targets_with_open_severe_case_or_late_delivery(sample: Built) -> None:
    targets = "?send cx:sendsOffer id:marketing\\/offer\\/OFF-101 ; cx:targetsCustomerRecord ?target . " \
              "?target cx:representsParty ?party ."
    assert rows(sample, f"SELECT (COUNT(?send) AS ?n) WHERE {{ {targets} }}") == [("25",)]
    assert rows(sample, f"""SELECT DISTINCT ?target WHERE {{ {targets}
        ?rec cx:representsParty ?party . ?case cx:concernsCustomerRecord ?rec ; cx:hasStatus ?s ; cx:hasSeverity ?sev .
        FILTER(?s IN ("new", "open", "pending") && ?sev IN ("high", "critical")) }} ORDER BY ?target""") == [
        ("crm/contact/0030000112",), ("crm/contact/0030000113",)]
    assert rows(sample, f"""SELECT DISTINCT ?target WHERE {{ {targets}
        ?rec cx:representsParty ?party . ?order cx:isPlacedBy ?rec . ?shp cx:fulfilsOrder ?order ;
        a cx:Shipment ; cx:hasStatus ?st FILTER(?st IN ("delayed", "exception")) }} ORDER BY ?target""") == [
        ("crm/contact/0030000114",), ("crm/contact/0030000115",)]


def test_f_observed_practice_informal_approvals_and_shadow_stock_sheet(sample: Built) -> None:
    assert rows(sample, """
        SELECT ?practice ?kind ?step ?source WHERE {
          ?practice a ?kind ; cx:departsFromStep ?step ; cx:usesDataSource ?source .
          VALUES ?kind { cx:InformalApproval cx:ShadowDataUse }
        } ORDER BY ?practice""") == [
        ("observation/practice/OBS-001", "https://w3id.org/cxgraph/ontology#InformalApproval",
         "step/delivery-issue-approve-remedy", "system/approvals-sheet"),
        ("observation/practice/OBS-002", "https://w3id.org/cxgraph/ontology#ShadowDataUse",
         "step/delivery-issue-check-stock", "system/stock-sheet"),
        ("observation/practice/OBS-005", "https://w3id.org/cxgraph/ontology#ShadowDataUse",
         "step/product-replacement-check-stock", "system/stock-sheet"),
    ]
    # approvals that exist only in the shadow sheet
    assert rows(sample, """
        SELECT ?row ?case WHERE {
          ?row a cx:Approval ; cx:isRecordedIn id:system\\/approvals-sheet ; cx:concernsCase ?case .
          FILTER NOT EXISTS { ?official a cx:Approval ; cx:concernsCase ?case ;
                                        cx:isRecordedIn id:system\\/case-management }
        } ORDER BY ?row""") == [("approvals-sheet/approval/R0002", "case-management/case/CS0012210"),
                                ("approvals-sheet/approval/R0003", "case-management/case/CS0012211")]
    assert rows(sample, """
        SELECT ?sku ?loc ?sheet ?wms WHERE {
          ?s cx:isRecordedIn id:system\\/stock-sheet ; cx:refersToProduct ?p ; cx:hasLocationCode ?loc ;
             cx:hasQuantityAvailable ?sheet .
          ?w cx:isRecordedIn id:system\\/wms ; cx:refersToProduct ?p ; cx:hasLocationCode ?loc ;
             cx:hasQuantityAvailable ?wms .
          ?p cx:hasSourceIdentifier ?sku . FILTER(?sheet != ?wms)
        } ORDER BY ?sku ?loc""") == [("BW-10007", "DC-LEEDS", "3", "0"), ("BW-10007", "STORE-MANCHESTER", "2", "0"),
                                     ("BW-10021", "STORE-DUBLIN", "0", "4"), ("BW-10027", "STORE-LONDON", "6", "1")]


def test_g_wms_degradation_reaches_dependent_steps_and_open_cases(sample: Built) -> None:
    assert rows(sample, """
        SELECT ?step WHERE { id:monitoring\\/signal\\/SIG-0002 a cx:ServiceAnomalySignal ; cx:affects ?system .
                             ?step cx:dependsOnSystem ?system } ORDER BY ?step""") == [
        ("step/delivery-issue-check-stock",), ("step/delivery-issue-execute-remedy",),
        ("step/product-replacement-check-stock",), ("step/product-replacement-pick",),
        ("step/product-replacement-reship",)]
    assert rows(sample, """
        SELECT ?case WHERE { id:monitoring\\/signal\\/SIG-0002 cx:affects ?system . ?step cx:dependsOnSystem ?system .
          ?wfi cx:isAtStep ?step ; cx:concernsCase ?case ; cx:hasStatus ?s FILTER(?s IN ("running", "waiting"))
          ?case cx:hasStatus ?cs FILTER(?cs IN ("new", "open", "pending")) } ORDER BY ?case""") == [
        ("case-management/case/CS0010421",), ("case-management/case/CS0013001",),
        ("case-management/case/CS0013002",), ("case-management/case/CS0013003",)]


def test_h_email_differs_between_crm_and_commerce_but_one_party(sample: Built) -> None:
    assert party_of(sample, "crm/contact/0030000105") == party_of(sample, "commerce/customer/cus_smart005")
    assert rows(sample, """
        SELECT ?system WHERE { ?a a cx:AuthorityAssignment ; cx:concernsAttribute cx:hasEmailAddress ;
                                  cx:assignsAuthorityTo ?system }""") == [("system/crm",)]


def test_identity_resolution_keeps_records_distinct(sample: Built) -> None:
    assert sample.report.identity == {"records": 504, "parties": 152, "linked": 148}
    assert not ask(sample, "ASK { ?a <http://www.w3.org/2002/07/owl#sameAs> ?b }")
    # no party holds two records of the same customer definition
    assert not ask(sample, """ASK { ?a cx:representsParty ?p ; a ?c . ?b cx:representsParty ?p ; a ?c .
                                   FILTER(?a != ?b) VALUES ?c { cx:ContractHolder cx:BillingAccount cx:DigitalIdentity
                                   cx:ServiceRelationship } }""")
    # every link names its rule and evidence
    assert not ask(sample, "ASK { ?l a cx:IdentityLink "
                           "FILTER NOT EXISTS { ?l cx:matchedByRule ?r ; cx:hasEvidence ?e } }")


def test_every_load_is_a_prov_activity_with_checksums_and_reconciled_counts(sample: Built) -> None:
    loads = rows(sample, """
        SELECT ?system ?read ?loaded ?quarantined ?files WHERE {
          { SELECT ?load (COUNT(?f) AS ?files) WHERE { ?load a cx:SourceLoad ; prov:used ?f .
                                                        ?f cx:hasChecksum ?c FILTER(STRSTARTS(?c, "sha256:")) }
            GROUP BY ?load }
          ?load cx:loadsSource ?system ; cx:hasRowsRead ?read ; cx:hasRowsLoaded ?loaded ;
                cx:hasRowsQuarantined ?quarantined ; prov:startedAtTime ?s ; prov:endedAtTime ?e .
        } ORDER BY ?system""")
    assert len(loads) == 13
    for _system, read, loaded, quarantined, _files in loads:
        assert int(read) == int(loaded) + int(quarantined)
    assert dict((r[0], r[4]) for r in loads)["system/catalog"] == "17"


def test_registered_systems_no_source_describes_are_declared_from_the_registry(sample: Built) -> None:
    registry = sample.project.graph_iri("registry")
    rows = sample.store.query(f"SELECT ?s ?label WHERE {{ GRAPH <{registry}> {{ ?s a <{CX}System> ; "
                              "<http://www.w3.org/2000/01/rdf-schema#label> ?label } } ORDER BY ?s")
    declared = {r["s"].value: r["label"].value for r in rows}
    assert declared == {s.system: s.title for s in sample.project.sources.values()
                        if s.name in ("catalog", "observations")}  # no export describes these two
    crm = sample.project.sources["crm"].system  # described by the catalog: not declared again
    labels = list(sample.store.query(f"SELECT ?l WHERE {{ <{crm}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"))
    assert len(labels) == 1
