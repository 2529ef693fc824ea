"""The contract check reads each export a record at a time: what it finds partway is reported as if found on reading
the whole file, and nothing it read before is kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from cxgraph.build.checking import check
from cxgraph.build.json_stream import ExportProblem
from cxgraph.build.pipeline import plan_build
from cxgraph.build.records import csv_records, read_file
from cxgraph.project import load_project


def _check(data: Path, source: str, ticks: list[tuple[str, int, int]] | None = None):  # type: ignore[no-untyped-def]
    project = load_project(ROOT, data)
    selected = [s for s in project.select(None) if s.name == source]
    plan = plan_build(project, selected)
    def tick(task: str, done: int, total: int, unit: str) -> None:
        if ticks is not None:
            ticks.append((task, done, total))
    return check(project, plan.contracts, {source}, plan.needs, tick=tick)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "sample", root)
    return root


def test_csv_rows_are_read_one_at_a_time_and_a_fault_after_them_is_raised(data: Path) -> None:
    path = data / "crm" / "contacts.csv"
    path.write_text(path.read_text(encoding="utf-8") + 'x,"never closed\n', encoding="utf-8")
    parsed = read_file(path, "csv")
    assert parsed.problem is None and parsed.header[0]
    rows = csv_records(parsed)
    first = next(rows)
    assert first.row == 2 and 0 < parsed.read_to < len(parsed.text or "")
    seen = 1
    with pytest.raises(ExportProblem, match="CSV syntax error") as caught:
        for _row in rows:
            seen += 1
    assert seen > 100 and caught.value.line is not None


def test_a_file_refused_partway_keeps_none_of_its_records(data: Path) -> None:
    path = data / "crm" / "contacts.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n")[:-60], encoding="utf-8")  # the last row cut short
    checked = _check(data, "crm")
    assert "crm" in checked.result.refused
    assert "the last row is cut short" in checked.result.refused["crm"][0].message
    assert not [key for key in checked.states if key[0] == "crm"]
    assert all(count.read == 0 for count in checked.result.for_source("crm"))
    assert not checked.result.issues_for("crm")


def test_a_csv_cut_short_is_reported_before_a_missing_column(data: Path) -> None:
    """Both faults: the one found reading the rows is named, as when files were read whole."""
    path = data / "catalog" / "programs.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace(lines[0].split(",")[1], "renamed", 1)
    path.write_text("\n".join(lines) + '\nx,"never closed', encoding="utf-8")
    checked = _check(data, "catalog")
    reasons = [(issue.file, issue.rule, issue.message) for issue in checked.result.refused["catalog"]]
    assert ("catalog/programs.csv", "unreadable-file",
            "CSV syntax error (truncated or damaged?): unexpected end of data") in reasons
    assert not [r for r in reasons if r[1] == "missing-column"]


def test_progress_never_says_done_before_the_source_is(data: Path) -> None:
    ticks: list[tuple[str, int, int]] = []
    checked = _check(data, "commerce", ticks)
    assert not checked.result.refused
    read = sum(count.read for count in checked.result.for_source("commerce"))
    own = [(done, total) for task, done, total in ticks if task == "check commerce"]
    assert own[-1] == (read, read) and len(own) > 3  # one per record set's first record, and the end
    assert all(done < total for done, total in own[:-1]), own
