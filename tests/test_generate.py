"""`cxgraph generate`: deterministic for a seed, the same people at any size, every row within its contract."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from conftest import CX, ROOT, Built, build_memory
from cxgraph.build.checking import check
from cxgraph.build.contract import load_contracts
from cxgraph.check.validate import run_validation
from cxgraph.errors import CxGraphError
from cxgraph.generate.enterprise import HEADERS, JSON_KEYS, generate
from cxgraph.project import load_project
from test_validate_engines import assert_engines_agree

SAMPLE = ROOT / "data" / "sample"


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_same_seed_gives_the_same_files_whatever_the_workers(tmp_path: Path) -> None:
    one = generate(tmp_path / "one", 250, 7, SAMPLE, workers=1, span=100)
    two = generate(tmp_path / "two", 250, 7, SAMPLE, workers=2, span=100)
    assert files(one.out) == files(two.out)
    assert one.rows == two.rows and one.hard_cases == two.hard_cases
    other = generate(tmp_path / "other", 250, 8, SAMPLE, workers=1, span=100)
    assert files(other.out)["crm/contacts.csv"] != files(one.out)["crm/contacts.csv"]
    # three spans, each with its carrier-delay signal, stitched into well-formed exports
    for rel, key in JSON_KEYS.items():
        items = json.loads((one.out / rel).read_text(encoding="utf-8"))[key]
        assert isinstance(items, list), rel
    signals = json.loads((one.out / "monitoring/signals.json").read_text(encoding="utf-8"))["signals"]
    assert [s["signal_id"] for s in signals][:1] == ["SIG-0002"]  # the sample's WMS anomaly, copied
    for rel, header in HEADERS.items():
        with (one.out / rel).open(encoding="utf-8", newline="") as f:
            assert next(csv.reader(f)) == header, rel
    assert not (one.out / ".parts").exists()


def test_a_person_is_the_same_at_any_size(tmp_path: Path) -> None:
    small = generate(tmp_path / "small", 120, 3, SAMPLE)
    large = generate(tmp_path / "large", 240, 3, SAMPLE)
    for rel in ["crm/contacts.csv", "truth/records.csv", "billing/accounts.csv", "wms/fulfilments.csv"]:
        head = (small.out / rel).read_text(encoding="utf-8").splitlines()
        assert (large.out / rel).read_text(encoding="utf-8").splitlines()[: len(head)] == head, rel
    orders = json.loads((small.out / "commerce/orders.json").read_text(encoding="utf-8"))["orders"]
    more = json.loads((large.out / "commerce/orders.json").read_text(encoding="utf-8"))["orders"]
    assert more[: len(orders)] == orders


def test_every_generated_row_passes_its_contract(tmp_path: Path) -> None:
    report = generate(tmp_path / "data", 4000, 11, SAMPLE)  # every kind of planted inconsistency once
    project = load_project(ROOT, report.out)
    result = check(project, load_contracts(project)).result
    assert not result.issues and not result.file_problems and not result.refused
    read = {c.file: 0 for c in result.counts.values()}
    for count in result.counts.values():
        read[count.file] += count.read
    for rel, rows in report.rows.items():
        assert read[rel] == rows, rel  # every row written is a row the build reads
    assert set(report.hard_cases) == {"name-change", "reused-phone", "shared-email", "typo"}
    summary = json.loads((report.out / "truth/summary.json").read_text(encoding="utf-8"))
    assert summary["customers"] == 4000 and summary["rows"] == report.rows
    with (report.out / "truth/inconsistencies.csv").open(encoding="utf-8") as f:
        assert [r["kind"] for r in csv.DictReader(f)] == [
            "delivered-not-shipped", "case-without-customer", "decision-without-rule", "step-of-other-workflow"]


def test_refuses_a_folder_in_use_and_no_customers(tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(CxGraphError, match="not empty"):
        generate(tmp_path / "used", 10, 1, SAMPLE)
    assert (tmp_path / "used" / "keep.txt").read_text(encoding="utf-8") == "mine"
    with pytest.raises(CxGraphError, match="at least 1"):
        generate(tmp_path / "none", 0, 1, SAMPLE)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Built]:
    """1,000 generated customers (one planted inconsistency among them), built once for this module."""
    data = tmp_path_factory.mktemp("generated") / "data"
    generate(data, 1000, 5, SAMPLE)
    return data, build_memory(tmp_path_factory.mktemp("generated-build"), data)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_a_generated_enterprise_builds_whole_and_its_graph_agrees_with_the_truth(
        generated: tuple[Path, Built]) -> None:
    data, built = generated
    store, project = built.store, built.project
    assert built.report.ok and built.report.quarantined == 0
    base = project.id_iri("")
    # late deliveries, as the late-delivery rule derives them
    late = {r["s"].value.removeprefix(base + "logistics/shipment/") for r in store.query(
        f"SELECT ?s WHERE {{ ?s a <{CX}Shipment> ; <{CX}isLate> true }}")}
    assert late == {r["shipment"] for r in _rows(data / "truth/late_shipments.csv")} and late
    # identity: every record of a person on one party; a party joining two people has a hard case behind it
    person = {r["record"]: (r["person"], r["hard_case"]) for r in _rows(data / "truth/records.csv")}
    parties: dict[str, set[str]] = {}
    for row in store.query(f"SELECT ?r ?p WHERE {{ ?r <{CX}representsParty> ?p }}"):
        parties.setdefault(row["p"].value, set()).add(row["r"].value.removeprefix(base))
    party_of = {record: party for party, records in parties.items() for record in records}
    assert set(party_of) == set(person)
    for record, (who, _hard) in person.items():
        same = {r for r, (p, _h) in person.items() if p == who}
        assert same <= parties[party_of[record]], record  # recall: nothing of one person is left apart
    merged = [records for records in parties.values() if len({person[r][0] for r in records}) > 1]
    assert merged and all(any({"shared-email", "reused-phone"} & set(person[r][1].split()) for r in records)
                          for records in merged)
    # signal reach: the signal names exactly the late shipments still on their way that it lists
    signal = project.id_iri("monitoring/signal/SIG-1000")
    reached = {row["o"].value.removeprefix(base + "logistics/shipment/") for row in store.query(
        f"SELECT ?o WHERE {{ <{signal}> <{CX}affects> ?o }}")}
    assert reached == {r["via"] for r in _rows(data / "truth/signal_parties.csv")}
    assert reached <= late


def test_the_planted_inconsistency_is_found_by_validation(generated: tuple[Path, Built]) -> None:
    data, built = generated
    (planted,) = _rows(data / "truth/inconsistencies.csv")
    assert planted["kind"] == "delivered-not-shipped"
    results = run_validation(built.store, built.project).results
    focus = built.project.id_iri(planted["focus"])
    assert any(r.focus == focus and "delivered" in r.shape_label for r in results), focus


def test_validation_compiled_to_sparql_equals_pyshacl_on_generated_data(generated: tuple[Path, Built]) -> None:
    """1,000 generated customers: every result of `cxgraph validate` is pySHACL's, one for one (≈ 500 results)."""
    _data, built = generated
    validation = assert_engines_agree(built.store, built.project)
    assert len(validation.results) > 300


def test_splink_is_scored_on_the_same_records_and_truth_as_the_rules(generated: tuple[Path, Built]) -> None:
    """The harness's Splink comparison, for real (DuckDB): it reads every customer record the rules link and
    its links are judged against the generated truth; blocked on e-mail or phone it finds no true link the
    rules miss (the rules' recall is 1.0) but leaves apart the household and reused-phone records the
    rules join."""
    pytest.importorskip("splink")
    from benchmarks.identity_splink import link, records

    data, built = generated
    base = built.project.id_iri("")
    rows = records(built.store, built.project)
    person = {base + r["record"]: r["person"] for r in _rows(data / "truth/records.csv")}
    assert {r["unique_id"] for r in rows} == set(person)
    assert all(r["first_name"] and r["email"] for r in rows if r["system"] == "crm")
    assert any(r["phone"] and r["phone"].startswith("+") for r in rows)
    linked = link(rows, seed=1, wide=False)
    same = {(a, b) for a in person for b in person if a < b and person[a] == person[b]}
    found = {tuple(sorted(pair)) for pair in linked["pairs"]}
    rules: dict[str, set[str]] = {}
    for row in built.store.query(f"SELECT ?r ?p WHERE {{ ?r <{CX}representsParty> ?p }}"):
        rules.setdefault(row["p"].value, set()).add(row["r"].value)
    by_rules = {(a, b) for group in rules.values() for a in group for b in group if a < b}
    assert found and found - by_rules == set()  # nothing the rules did not already link
    assert len(found & same) / len(found) > len(by_rules & same) / len(by_rules)  # fewer false merges
    assert (by_rules - same) - found  # some of the rules' false merges it does not make
