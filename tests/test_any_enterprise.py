"""What makes the engine hold for an enterprise that is not the sample: shape profiles chosen in the registry,
a source's phone country and time zone, identity keys scoped to one system, and rules kept as data."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import CX, ROOT, Built, cx
from cxgraph.build.contract import FieldRule
from cxgraph.build.derive import derive, load_rules
from cxgraph.build.identity import load_identity, normalize_phone
from cxgraph.build.values import check_value, in_zone
from cxgraph.check.validate import load_shapes
from cxgraph.errors import CxGraphError
from cxgraph.project import load_project
from cxgraph.stores.embedded import EmbeddedStore

XSD = "http://www.w3.org/2001/XMLSchema#"


def _registry(tmp_path: Path, extra: str = "", source_extra: str = "") -> Path:
    """A one-source registry beside a copy-free project (paths point into the repository)."""
    loaders = tmp_path / "loaders"
    loaders.mkdir(exist_ok=True)
    registry = loaders / "sources.yaml"
    registry.write_text(f"""base_iri: https://myco.example/
data_root: {ROOT / "data/sample"}
ontology: {ROOT / "ontology/cxgraph.ttl"}
identity: {ROOT / "loaders/identity.yaml"}
{extra}
sources:
  crm:
    files: [crm/contacts.csv, crm/households.csv]
    contract: {ROOT / "loaders/contracts/crm.json"}
    mapping: {ROOT / "loaders/mappings/crm.yml"}
{source_extra}
""", encoding="utf-8")
    return registry


def _project(registry: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CXGRAPH_REGISTRY", str(registry))
    return load_project(ROOT)


# --- shape profiles -----------------------------------------------------------------------------------------

def test_the_sample_registry_selects_core_then_brightwater(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CXGRAPH_REGISTRY", raising=False)
    assert load_project(ROOT).shapes == (ROOT / "shapes/core", ROOT / "shapes/brightwater")


def test_without_shapes_key_the_core_profile_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(_registry(tmp_path), monkeypatch)
    assert project.shapes == (ROOT / "shapes/core",)
    _graph, index = load_shapes(project.shapes)
    assert {file.split("/")[0] for _label, file in index.values()} == {"core"}
    assert "https://w3id.org/cxgraph/shapes#Order-status" not in index  # Brightwater's status list is not core


def test_a_profile_path_is_relative_to_the_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "shapes").mkdir()
    mine = tmp_path / "shapes" / "mine.ttl"
    mine.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
                    "<https://myco.example/shapes#S> a sh:NodeShape .\n", encoding="utf-8")
    project = _project(_registry(tmp_path, "shapes: [core, ../shapes]"), monkeypatch)
    assert project.shapes == (ROOT / "shapes/core", (tmp_path / "shapes").resolve())
    _graph, index = load_shapes(project.shapes)
    assert index["https://myco.example/shapes#S"][1] == "shapes/mine.ttl"


def test_a_shape_defined_in_two_profiles_is_refused(tmp_path: Path) -> None:
    twin = tmp_path / "twin.ttl"
    twin.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
                    "<https://w3id.org/cxgraph/shapes#Record-isRecordedIn> a sh:PropertyShape .\n", encoding="utf-8")
    with pytest.raises(CxGraphError, match=r"also defined in .*core/customer\.ttl"):
        load_shapes([ROOT / "shapes/core", twin])
    # nor may a profile add constraints to a core shape without declaring it again
    twin.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
                    "<https://w3id.org/cxgraph/shapes#Record-isRecordedIn> sh:minCount 5 .\n", encoding="utf-8")
    with pytest.raises(CxGraphError, match=r"also defined in .*core/customer\.ttl"):
        load_shapes([ROOT / "shapes/core", twin])


def test_a_missing_profile_stops_validate_naming_it(tmp_path: Path) -> None:
    registry = _registry(tmp_path, "shapes: [core, ../nowhere]")
    proc = cx("--registry", str(registry), "validate", cwd=tmp_path, store=tmp_path / "store")
    assert proc.returncode == 2
    assert "nowhere" in proc.stderr and "no such shapes folder or file" in proc.stderr


@pytest.mark.parametrize("extra,source_extra,message", [
    ("shapes: core", "", "'shapes' must be a list of shape profiles"),
    ("shape: [core]", "", "unknown key 'shape' \\(allowed: as_of, base_iri, data_root, identity, max_field_chars, "),
    ("as_of: last tuesday", "", "as_of must be a day such as 2026-11-29"),
    ("", "    default_country: Germany", "default_country must be an ISO 3166 two-letter code"),
    ("", "    default_country: UK", "default_country must be an ISO 3166 two-letter code such as DE or GB"),
    ("", "    timezone: Berlin", "timezone must be an IANA time zone"),
])
def test_registry_settings_are_checked_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, source_extra: str, message: str,
) -> None:
    with pytest.raises(CxGraphError, match=message) as error:
        _project(_registry(tmp_path, extra, source_extra), monkeypatch)
    assert "sources.yaml:" in str(error.value)


# --- phones: the record's country, else the source's, never a global default ---------------------------------

@pytest.mark.parametrize("text,country,expected", [
    ("030-0074321", "DE", "+49300074321"),  # a Berlin number stays German
    ("07700 900123", "GB", "+447700900123"),
    ("(55) 5555-4729", "MX", "+525555554729"),  # a local format the sample's pattern rejected
    ("(5) 555-4729", "MX", None),  # dialable only within its area: not a key that tells people apart
    ("555-4729", "US", None),
    ("0011 44 20 7946 0000", "AU", "+442079460000"),  # Australia's international prefix is 0011
    ("030-0074321", "UK", None),  # no country UK (it is GB): not guessed
    ("0612345678", "IT", "+390612345678"),  # Italy keeps its leading 0
    ("+44 7700 900123", None, "+447700900123"),
    ("0044 7700 900123", None, "+447700900123"),
    ("030-0074321", None, None),  # a national number without a country is not compared
    ("no phone", "DE", None),
])
def test_phone_numbers_normalize_in_their_own_country(text: str, country: str | None, expected: str | None) -> None:
    assert normalize_phone(text, country) == expected


def test_a_global_default_country_is_refused(tmp_path: Path) -> None:
    identity = tmp_path / "identity.yaml"
    text = (ROOT / "loaders/identity.yaml").read_text(encoding="utf-8")
    anchor = "  country_property: cx:hasCountryCode\n"
    identity.write_text(text.replace(anchor, anchor + "  default_country: GB\n"), encoding="utf-8")
    with pytest.raises(CxGraphError, match="give each source its `default_country`"):
        load_identity(identity)


def test_two_rules_with_one_id_are_refused(tmp_path: Path) -> None:
    identity = tmp_path / "identity.yaml"
    doc = load_identity(ROOT / "loaders/identity.yaml")
    first, second = doc.rules[0].id, doc.rules[1].id
    text = (ROOT / "loaders/identity.yaml").read_text(encoding="utf-8")
    identity.write_text(text.replace(f"id: {second}\n", f"id: {first}\n", 1), encoding="utf-8")
    second_line = text[:text.index(f"id: {second}\n")].count("\n") + 1
    with pytest.raises(CxGraphError, match=f"rule id '{first}' is used twice") as caught:
        load_identity(identity)
    assert caught.value.path == identity and caught.value.line == second_line


# --- time zones -----------------------------------------------------------------------------------------------

def test_a_zone_less_timestamp_is_refused_without_a_source_zone() -> None:
    broken = check_value(FieldRule("t", type="datetime"), "2017-10-02T10:56:33")
    assert broken is not None and broken[0] == "timezone" and "timezone:" in broken[1]


def test_a_source_zone_reads_local_timestamps_with_the_offset_of_that_day() -> None:
    assert in_zone("2017-10-02 10:56:33", "America/Sao_Paulo") == ("2017-10-02T10:56:33-03:00", None)
    assert in_zone("2026-01-15 09:00:00", "Europe/Berlin") == ("2026-01-15T09:00:00+01:00", None)
    assert in_zone("2026-07-15 09:00:00", "Europe/Berlin") == ("2026-07-15T09:00:00+02:00", None)
    assert in_zone("2026-07-15 09:00:00.1234567", "Europe/Berlin") == ("2026-07-15T09:00:00.1234567+02:00", None)
    assert in_zone("2026-01-15 09:00", "Asia/Kolkata") == ("2026-01-15T09:00:00+05:30", None)
    assert in_zone("1930-06-01 10:00:00", "Europe/Amsterdam") == ("1930-06-01T10:00:00+01:20", None)  # +01:19:32
    assert check_value(FieldRule("t", type="datetime"), "2026-07-15 09:00:00", "Europe/Berlin") is None
    # a timestamp that carries its own zone keeps it
    assert check_value(FieldRule("t", type="datetime"), "2026-07-15T09:00:00Z", "Europe/Berlin") is None


@pytest.mark.parametrize("local,why", [
    ("2026-03-29 02:30:00", "does not exist in Europe/Berlin (clocks went forward)"),
    ("2026-10-25 02:30:00", "happens twice in Europe/Berlin (clocks went back)"),
])
def test_a_local_time_with_no_single_instant_is_quarantined(local: str, why: str) -> None:
    broken = check_value(FieldRule("t", type="datetime"), local, "Europe/Berlin")
    assert broken is not None and broken[0] == "timezone" and f"local time {local} {why}" in broken[1]


def test_a_build_writes_local_timestamps_with_their_offset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The monitoring export with its zones taken off, read in Europe/London: summer +01:00, winter +00:00."""
    data = tmp_path / "data"
    (data / "monitoring").mkdir(parents=True)
    doc = json.loads((ROOT / "data/sample/monitoring/signals.json").read_text(encoding="utf-8"))
    records = doc["signals"]
    stamps = {}
    for record in records:
        stamps[record["signal_id"]] = record["detected_at"][:19].replace("T", " ")
    stamps[records[0]["signal_id"]] = "2026-07-15 09:00:00"  # one in summer time
    for record in records:
        record["detected_at"] = stamps[record["signal_id"]]
    (data / "monitoring/signals.json").write_text(json.dumps(doc), encoding="utf-8")
    registry = tmp_path / "loaders" / "sources.yaml"
    registry.parent.mkdir()
    (data / "catalog").symlink_to(ROOT / "data/sample/catalog")
    catalog = load_project(ROOT).sources["catalog"]
    registry.write_text(f"""base_iri: https://myco.example/
data_root: {data}
ontology: {ROOT / "ontology/cxgraph.ttl"}
identity: {ROOT / "loaders/identity.yaml"}
sources:
  catalog:
    files: [{", ".join(catalog.files)}]
    contract: {catalog.contract}
    mapping: {catalog.mapping}
  monitoring:
    files: [monitoring/signals.json]
    contract: {ROOT / "loaders/contracts/monitoring.json"}
    mapping: {ROOT / "loaders/mappings/monitoring.yml"}
    timezone: Europe/London
""", encoding="utf-8")
    store = tmp_path / "store"
    proc = cx("--registry", str(registry), "build", "--max-quarantine", "1", cwd=tmp_path, store=store)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = cx("--registry", str(registry), "sparql", "--format", "json",
               "SELECT ?id ?t WHERE { ?s cx:hasSourceIdentifier ?id ; cx:detectedAt ?t }", cwd=tmp_path, store=store)
    assert found.returncode == 0, found.stderr
    rows = {b["id"]["value"]: b["t"]["value"] for b in json.loads(found.stdout)["results"]["bindings"]}
    # London is +01:00 in summer and UTC in winter (which the store writes as Z)
    assert rows == {signal: local.replace(" ", "T") + ("+01:00" if local.startswith("2026-07") else "Z")
                    for signal, local in stamps.items()}


# --- identity keys are scoped to the system that assigns them -------------------------------------------------

def test_a_person_key_links_records_of_one_system_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cxgraph.build.identity import resolve

    identity = tmp_path / "identity.yaml"
    identity.write_text("""record_classes: [cx:DigitalIdentity]
rules:
  - id: person-key
    kind: key
    property: cx:hasPersonKey
""", encoding="utf-8")
    project = replace(load_project(ROOT), identity=identity)
    store = EmbeddedStore()
    g = ox.NamedNode(project.sources["commerce"].graph)
    quads = []
    records = (("a1", "P-1", "shop"), ("a2", "P-1", "shop"), ("b1", "P-1", "app"), ("a3", "P-2", "shop"))
    for record, key, system in records:
        node = ox.NamedNode(f"https://x.example/{record}")
        quads += [
            ox.Quad(node, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                    ox.NamedNode(CX + "DigitalIdentity"), g),
            ox.Quad(node, ox.NamedNode(CX + "hasPersonKey"), ox.Literal(key), g),
            ox.Quad(node, ox.NamedNode(CX + "isRecordedIn"), ox.NamedNode(f"https://x.example/system/{system}"), g),
        ]
    store.add_quads(quads)
    counts = resolve(store, project)
    assert counts == {"records": 4, "parties": 3, "linked": 1}
    parties = {row["r"].value.rsplit("/", 1)[1]: row["p"].value for row in store.query(
        f"SELECT ?r ?p WHERE {{ ?r <{CX}representsParty> ?p }}")}
    assert parties["a1"] == parties["a2"] and parties["b1"] != parties["a1"] and parties["a3"] != parties["a1"]


# --- rules kept as data ---------------------------------------------------------------------------------------

def test_the_sample_late_deliveries_as_of_its_day(sample: Built) -> None:
    """As of 2026-11-20: the nine delayed parcels and the eight delivered after their promised date."""
    late = sorted(row["id"].value for row in sample.store.query(
        f"SELECT ?id WHERE {{ ?s <{CX}isLate> true ; <{CX}hasSourceIdentifier> ?id }}"))
    assert late == sorted([
        "SHP-104211", "SHP-140201", "SHP-140202", "SHP-130101", "SHP-130102", "SHP-130103", "SHP-130104",
        "SHP-130105", "SHP-130106",
        "SHP-150145", "SHP-150262", "SHP-150285", "SHP-150265", "SHP-150129", "SHP-150253", "SHP-122100",
        "SHP-122110",
    ])


def _late(quads: list[tuple[str, str, object]], as_of: str) -> list[str]:
    project = replace(load_project(ROOT), as_of=date.fromisoformat(as_of))
    store = EmbeddedStore()
    g = ox.NamedNode("https://x.example/graph")
    out = []
    for s, p, o in quads:
        obj = o if isinstance(o, (ox.Literal, ox.NamedNode)) else ox.NamedNode(str(o))
        pred = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type") if p == "a" else ox.NamedNode(CX + p)
        out.append(ox.Quad(ox.NamedNode(f"https://x.example/{s}"), pred, obj, g))
    store.add_quads(out)
    counts = derive(store, project)
    late = sorted(row["x"].value.rsplit("/", 1)[1] for row in store.query(
        f"SELECT ?x WHERE {{ GRAPH <{project.graph_iri('derived')}> {{ ?x <{CX}isLate> true }} }}"))
    assert counts["late-delivery"] == len(late)  # the rule's reported count is what it wrote
    return late


def _day(text: str) -> ox.Literal:
    return ox.Literal(text, datatype=ox.NamedNode(XSD + "date"))


def test_lateness_from_dates_only() -> None:
    """A wholesaler with order dates only: shipped after the required day is late, unshipped past it too."""
    order, shipment, system = CX + "Order", CX + "Shipment", "https://x.example/erp"
    facts: list[tuple[str, str, object]] = []
    for name, required, shipped in (("o1", "2026-03-10", "2026-03-12"), ("o2", "2026-03-10", "2026-03-10"),
                                    ("o3", "2026-03-10", None), ("o4", "2026-04-10", None)):
        facts += [(name, "a", order), (name, "hasRequiredDate", _day(required))]
        if shipped:
            facts += [(f"s{name}", "a", shipment), (f"s{name}", "fulfilsOrder", f"https://x.example/{name}"),
                      (f"s{name}", "shippedOn", _day(shipped)), (f"s{name}", "isRecordedIn", system)]
    facts += [("o5", "a", order), ("o5", "hasRequiredDate", _day("2026-03-01")), ("o5", "hasStatus",
                                                                                   ox.Literal("Cancelled"))]
    facts += [("o6", "a", order), ("o6", "hasRequiredDate", _day("2026-03-01")), ("o6", "hasStatus",
                                                                                   ox.Literal("canceled")),
              ("so6", "a", shipment), ("so6", "fulfilsOrder", "https://x.example/o6"), ("so6", "isRecordedIn", system)]
    # o1 shipped two days late; o3 never shipped and its day has passed; o4's day is still to come;
    # o5 and o6 (and o6's shipment, never shipped) were cancelled;
    # o2 shipped on the day (its arrival unknown, and its system records no arrivals: not judged late)
    assert _late(facts, "2026-03-31") == ["o3", "so1"]


def test_lateness_from_arrivals_and_parcels_still_moving() -> None:
    shipment, system = CX + "Shipment", "https://x.example/carrier"
    facts: list[tuple[str, str, object]] = [
        ("p1", "a", shipment), ("p1", "hasPromisedDate", _day("2026-11-10")), ("p1", "isRecordedIn", system),
        ("p1", "deliveredAt", ox.Literal("2026-11-11T08:00:00+01:00", datatype=ox.NamedNode(XSD + "dateTime"))),
        ("p2", "a", shipment), ("p2", "hasPromisedDate", _day("2026-11-10")), ("p2", "isRecordedIn", system),
        ("p2", "deliveredOn", _day("2026-11-10")),
        ("p3", "a", shipment), ("p3", "hasPromisedDate", _day("2026-11-10")), ("p3", "isRecordedIn", system),
        ("p3", "shippedAt", ox.Literal("2026-11-08T08:00:00Z", datatype=ox.NamedNode(XSD + "dateTime"))),
        ("p4", "a", shipment), ("p4", "hasPromisedDate", _day("2026-11-25")), ("p4", "isRecordedIn", system),
    ]
    # p1 arrived a day late; p2 on time; p3 shipped, not arrived, promised day passed, its system records
    # arrivals: still on its way, late; p4 not due yet
    assert _late(facts, "2026-11-20") == ["p1", "p3"]


def test_a_rule_that_is_not_a_construct_stops_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = load_project(ROOT)
    root = tmp_path / "project"
    (root / "rules").mkdir(parents=True)
    (root / "rules/bad.rq").write_text("#+ id: bad\n#+ title: Bad\nSELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    with pytest.raises(CxGraphError, match="must be a SPARQL CONSTRUCT"):
        load_rules(replace(project, rules=(root / "rules",)))
    (root / "rules/bad.rq").write_text("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }\n", encoding="utf-8")
    with pytest.raises(CxGraphError, match="needs a `#\\+ id:`"):
        load_rules(replace(project, rules=(root / "rules",)))


def test_a_contract_bounds_numbers_both_ways() -> None:
    """A CSAT score of 1 to 5: `minimum` and `maximum` in the contract."""
    rule = FieldRule("score", type="integer", minimum=1, maximum=5)
    assert check_value(rule, "5") is None
    assert check_value(rule, "6") == ("maximum", "must be at most 5")
    assert check_value(rule, "0") == ("minimum", "must be at least 1")


@pytest.mark.parametrize("value,broken", [
    ("2017-10-18", None),
    ("2017-10-18 00:00:00", None),  # a day some exports write as a midnight
    ("2017-10-18T00:00:00.000", None),
    ("2017-10-18 10:00:00", "a date field holds days, but this value is a point in time"),
    ("2017-10-18T00:00:00Z", "a date field holds days, but this value is a point in time"),
    ("2017-02-30 00:00:00", "not a calendar date"),
])
def test_a_day_written_as_midnight_is_a_day(value: str, broken: str | None) -> None:
    found = check_value(FieldRule("d", type="date"), value)
    if broken is None:
        assert found is None
    else:
        assert found is not None and found[0] == "type" and broken in found[1]


def test_a_registry_chooses_its_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An enterprise whose systems say "storniert" keeps its own version of a rule beside its registry."""
    (tmp_path / "rules").mkdir()
    mine = tmp_path / "rules" / "late-delivery.rq"
    mine.write_text((ROOT / "rules/late-delivery.rq").read_text(encoding="utf-8").replace('"cancel"', '"cancel|storn"'),
                    encoding="utf-8")
    project = _project(_registry(tmp_path, "rules: [../rules]"), monkeypatch)
    assert [r.path for r in load_rules(project)] == [mine.resolve()]
    assert [r.path for r in load_rules(replace(project, rules=()))] == [
        ROOT / "rules/late-delivery.rq"]
    with pytest.raises(CxGraphError, match="rule id 'late-delivery' is also used by"):
        load_rules(replace(project, rules=(ROOT / "rules", tmp_path / "rules")))
    with pytest.raises(CxGraphError, match="no such rules folder or file"):
        load_rules(replace(project, rules=(tmp_path / "nowhere",)))


def test_two_record_sets_of_one_csv_file_are_each_checked_whole(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Two record sets read the same CSV export (so they share its rows): the first one's check must not cut the
    rows down to what it keeps before the second is checked (every row's LastName would then read as missing)."""
    from cxgraph.build.checking import check
    from cxgraph.build.contract import load_contracts

    contract = tmp_path / "crm.json"
    contract.write_text(json.dumps({"source": "crm", "record_sets": {
        "contacts": {"file": "crm/contacts.csv", "format": "csv", "key": "ContactId",
                     "fields": {"ContactId": {"type": "string", "required": True}}},
        "names": {"file": "crm/contacts.csv", "format": "csv", "key": "ContactId",
                  "fields": {"ContactId": {"type": "string", "required": True, "references": "contacts.ContactId"},
                             "LastName": {"type": "string", "required": True}}},
    }}), encoding="utf-8")
    registry = _registry(tmp_path)
    registry.write_text(registry.read_text(encoding="utf-8").replace(
        f"files: [crm/contacts.csv, crm/households.csv]\n    contract: {ROOT / 'loaders/contracts/crm.json'}",
        f"files: [crm/contacts.csv]\n    contract: {contract}"), encoding="utf-8")
    project = _project(registry, monkeypatch)
    result = check(project, load_contracts(project), {"crm"}).result
    rows = sum(1 for _ in csv.DictReader((ROOT / "data/sample/crm/contacts.csv").open(encoding="utf-8")))
    assert [(c.record_set, c.read, c.quarantined) for c in result.for_source("crm")] == [
        ("contacts", rows, 0), ("names", rows, 0)]
    assert not result.issues


# --- one export, read by two sources --------------------------------------------------------------------------

def test_two_sources_reading_one_export_each_load_what_their_own_contract_accepts(tmp_path: Path) -> None:
    """crm and crm2 read the same CRM files; crm2's contract refuses the bronze tier. Staged once, the second
    copy overwrote the first and the build failed (34 accepted rows did not reach the graph); each source now
    maps its own staged copy: crm loads all 155 contacts, crm2 the 121 it accepts and quarantines 34."""
    loaders = tmp_path / "loaders"
    loaders.mkdir()
    for name in ("crm", "crm2"):
        contract = json.loads((ROOT / "loaders/contracts/crm.json").read_text(encoding="utf-8"))
        contract["source"] = name
        del contract["record_sets"]["contacts"]["fields"]["BillingAccountNo"]["references"]  # no billing here
        if name == "crm2":
            contract["record_sets"]["contacts"]["fields"]["LoyaltyTier"]["enum"] = ["silver", "gold", "none"]
        (loaders / f"{name}.json").write_text(json.dumps(contract), encoding="utf-8")
    sources = "".join(f"""  {name}:
    files: [crm/contacts.csv, crm/households.csv]
    contract: {loaders / f"{name}.json"}
    mapping: {ROOT / "loaders/mappings/crm.yml"}
""" for name in ("crm", "crm2"))
    registry = loaders / "sources.yaml"
    registry.write_text(f"""base_iri: https://myco.example/
data_root: {ROOT / "data/sample"}
ontology: {ROOT / "ontology/cxgraph.ttl"}
identity: {ROOT / "loaders/identity.yaml"}
sources:
{sources}""", encoding="utf-8")
    store = tmp_path / "store"
    proc = cx("--registry", str(registry), "build", "--max-quarantine", "0.5", cwd=tmp_path, store=store)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tiers = cx("--registry", str(registry), "sparql", "--format", "json",
               "SELECT ?g ?tier (COUNT(?s) AS ?n) WHERE { GRAPH ?g { ?s cx:hasLoyaltyTier ?tier } } GROUP BY ?g ?tier",
               cwd=tmp_path, store=store)
    assert tiers.returncode == 0, tiers.stderr
    counts = {(b["g"]["value"].rsplit("/", 1)[-1], b["tier"]["value"]): int(b["n"]["value"])
              for b in json.loads(tiers.stdout)["results"]["bindings"]}
    bronze = sum(1 for row in csv.DictReader((ROOT / "data/sample/crm/contacts.csv").open(encoding="utf-8"))
                 if row["LoyaltyTier"] == "bronze")
    assert bronze == 34 and counts[("crm", "bronze")] == bronze
    assert ("crm2", "bronze") not in counts
    assert {t: n for (g, t), n in counts.items() if g == "crm2"} == {t: n for (g, t), n in counts.items()
                                                                    if g == "crm" and t != "bronze"}
    with (tmp_path / "reports" / "quarantine.csv").open(encoding="utf-8") as f:
        quarantined = [row for row in csv.DictReader(f)]
    assert len(quarantined) == bronze
    assert {(row["source"], row["value"], row["rule"]) for row in quarantined} == {("crm2", "bronze", "enum")}
