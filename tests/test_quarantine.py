"""Broken rows are quarantined with file, row, column, value and rule; the good rows still load."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyoxigraph as ox

from conftest import CX, FIXTURES, build_memory

QUARANTINE = FIXTURES / "quarantine"


def _count(built, cls: str) -> int:
    rows = built.store.query(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{CX}{cls}> }}")
    return int(next(iter(rows))["n"].value)


def test_bad_csv_rows_are_quarantined_and_good_rows_load(tmp_path: Path) -> None:
    built = build_memory(tmp_path, data_root=QUARANTINE / "bad-rows", only=["crm"])
    issues = {(i.row, i.column, i.rule) for i in built.report.check.issues}
    assert issues == {
        (3, "ContactId", "required"),
        (4, "CreatedDate", "type"),
        (5, "LoyaltyTier", "enum"),
        (6, "HouseholdId", "dangling-reference"),
        (7, "FirstName", "encoding"),
        (9, "CreatedDate", "timezone"),
        (10, "ContactId", "duplicate-key"),
        (11, "", "row-width"),
    }
    by_row = {i.row: i for i in built.report.check.issues}
    assert by_row[7].value == "Ren\\xe9"
    assert by_row[5].value == "platinum"
    assert all(i.file == "crm/contacts.csv" for i in built.report.check.issues)
    summary = built.report.sources[0]
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (11, 3, 8)
    assert summary.rows_read == summary.rows_loaded + summary.rows_quarantined
    loaded = {row["id"].value for row in built.store.query(
        f"SELECT ?id WHERE {{ ?c a <{CX}ContractHolder> ; <{CX}hasSourceIdentifier> ?id }}")}
    assert loaded == {"0030000101", "0030000107"}
    assert _count(built, "Household") == 1
    # the quarantine report holds the same rows, in CSV and JSON
    with built.report.quarantine_csv.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(int(r["row"]) for r in rows) == [3, 4, 5, 6, 7, 9, 10, 11]
    report = json.loads(built.report.quarantine_json.read_text(encoding="utf-8"))
    counts = {r["record_set"]: (r["read"], r["loaded"], r["quarantined"]) for r in report["record_sets"]}
    assert counts == {"contacts": (10, 2, 8), "households": (1, 1, 0)}
    assert len(report["quarantined"]) == 8


def test_an_empty_file_refuses_its_source_and_nothing_cascades(tmp_path: Path) -> None:
    """An empty export is refused: its source is not loaded (no graph emptied), no row is quarantined for it."""
    built = build_memory(tmp_path, data_root=QUARANTINE / "empty-file", only=["crm"])
    problems = built.report.file_problems
    assert [(p.file, p.rule) for p in problems] == [("crm/households.csv", "empty-file")]
    assert list(built.report.refused) == ["crm"]
    assert not built.report.ok
    assert built.report.check.issues == []
    assert built.report.sources == []
    assert _count(built, "ContractHolder") == 0
    report = json.loads(built.report.quarantine_json.read_text(encoding="utf-8"))
    assert report["status"] == "published"
    assert report["refused_sources"] == ["crm"]
    assert report["file_problems"][0]["rule"] == "empty-file"


def test_json_records_quarantine_children_with_their_parent(tmp_path: Path) -> None:
    built = build_memory(tmp_path, data_root=QUARANTINE / "json-records", only=["commerce"])
    issues = {(i.record_set, i.locator, i.column, i.value, i.rule) for i in built.report.check.issues}
    assert issues == {
        ("lines", "/orders/0/lines/1", "quantity", "two", "type"),
        ("orders", "/orders/1", "total", "N/A", "type"),
        ("lines", "/orders/1/lines/0", "", "", "parent-quarantined"),
        ("orders", "/orders/2", "customer_id", "cus_Missing1", "dangling-reference"),
    }
    counts = {c.record_set: (c.read, c.loaded, c.quarantined) for c in built.report.check.for_source("commerce")}
    assert counts == {"customers": (1, 1, 0), "orders": (3, 1, 2), "lines": (3, 1, 2), "products": (1, 1, 0)}
    orders = {r["o"].value for r in built.store.query(f"SELECT ?o WHERE {{ ?o a <{CX}Order> }}")}
    assert orders == {"https://data.brightwater.example/id/commerce/order/WEB-100001"}
    lines = {r["l"].value for r in built.store.query(f"SELECT ?l WHERE {{ ?l a <{CX}OrderLine> }}")}
    assert lines == {"https://data.brightwater.example/id/commerce/order-line/WEB-100001-1"}
    # no ill-typed literal reached the graph
    for quad in built.store.raw.quads_for_pattern(None, None, None, None):
        if isinstance(quad.object, ox.Literal) and quad.object.datatype.value.endswith("#decimal"):
            assert quad.object.value != "N/A"


def test_a_build_that_quarantines_too_much_exits_1_with_its_top_reasons(tmp_path: Path) -> None:
    from conftest import cx

    proc = cx("build", "--only", "crm", "--data", str(QUARANTINE / "bad-rows"), cwd=tmp_path,
              store=tmp_path / "store")
    assert proc.returncode == 1
    message = " ".join(proc.stderr.split())
    assert "crm: 8 of 11 rows quarantined (73%, more than --max-quarantine 5%)" in message
    assert "top reasons:" in message and "quarantine.csv" in message
    relaxed = cx("build", "--only", "crm", "--data", str(QUARANTINE / "bad-rows"), "--max-quarantine", "0.8",
                 cwd=tmp_path, store=tmp_path / "store")
    assert relaxed.returncode == 0, relaxed.stderr


def test_a_reference_to_a_quarantined_record_says_why(tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(QUARANTINE / "bad-rows", data)
    households = data / "crm" / "households.csv"
    lines = households.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[1].rstrip("\n").split(",")
    cells[header.index("CreatedDate")] = "yesterday"
    households.write_text(lines[0] + ",".join(cells) + "\n", encoding="utf-8")
    household = cells[header.index("HouseholdId")]
    built = build_memory(tmp_path / "work", data_root=data, only=["crm"])
    causes = [i for i in built.report.check.issues if i.rule == "reference-quarantined"]
    assert causes and all(i.value == household for i in causes)
    assert causes[0].message.startswith(f"crm households {household} was quarantined (type on CreatedDate: ")
    assert "crm/households.csv line 2" in causes[0].message


def test_bad_workflow_events_are_quarantined_with_file_and_json_pointer(tmp_path: Path) -> None:
    """The workflow event history's record contract: each broken event names the file and its JSON Pointer."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "mappings" / "case-management" / "data", data)
    events = data / "case-management" / "workflow_events.json"
    doc = json.loads(events.read_text(encoding="utf-8"))
    good = doc["result"][0]
    doc["result"] += [
        {**good, "sys_id": "WFE-0000104", "transition": "reopened"},
        {**good, "sys_id": "WFE-0000105", "workflow_instance": "WFI-99999"},
        {**good, "sys_id": "WFE-0000106", "occurred_at": "2026-11-03T16:02:00"},
        {**good, "sys_id": "WFE-106"},
        {**good, "sys_id": "WFE-0000107", "user": ""},
    ]
    events.write_text(json.dumps(doc), encoding="utf-8")
    built = build_memory(tmp_path / "work", data_root=data, only=["case-management"])
    issues = {(i.file, i.locator, i.column, i.value, i.rule) for i in built.report.check.issues}
    assert issues == {
        ("case-management/workflow_events.json", "/result/3", "transition", "reopened", "enum"),
        ("case-management/workflow_events.json", "/result/4", "workflow_instance", "WFI-99999", "dangling-reference"),
        ("case-management/workflow_events.json", "/result/5", "occurred_at", "2026-11-03T16:02:00", "timezone"),
        ("case-management/workflow_events.json", "/result/6", "sys_id", "WFE-106", "pattern"),
        ("case-management/workflow_events.json", "/result/7", "user", "", "required"),
    }
    counts = {c.record_set: (c.read, c.loaded, c.quarantined) for c in built.report.check.for_source("case-management")}
    assert counts["workflow_events"] == (8, 3, 5)
    loaded = {row["e"].value.rsplit("/", 1)[-1] for row in built.store.query(
        f"SELECT ?e WHERE {{ ?e a <{CX}WorkflowEvent> }}")}
    assert loaded == {"WFE-0000101", "WFE-0000102", "WFE-0000103"}
