"""`cxgraph validate`: pySHACL over the store, exit codes, and the four report formats."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import RDF, SH

from conftest import FIXTURES, ROOT, Built, cx

SHAPES = FIXTURES / "validation"
CASES = json.loads((ROOT / "data/sample/case-management/cases.json").read_text(encoding="utf-8"))["result"]
LOW_PRIORITY = sorted(c["number"] for c in CASES if c["priority"] not in ("P1", "P2", "P3"))
STILL_OPEN = sorted(c["number"] for c in CASES if not c.get("closed_at"))


@pytest.fixture(scope="module")
def disk_store(sample: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample graph on disk (copied from the in-memory build), as `cxgraph build` leaves it."""
    path = tmp_path_factory.mktemp("validate") / "store"
    dump = path.parent / "all.nq"
    sample.store.raw.dump(output=str(dump), format=ox.RdfFormat.N_QUADS)
    store = ox.Store(str(path))
    store.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    return path


def validate(store: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cx("validate", *args, cwd=tmp, store=store)


def test_conforming_data_exits_0(disk_store: Path, tmp_path: Path) -> None:
    proc = validate(disk_store, tmp_path, "--shapes", str(SHAPES / "pass"))
    assert proc.returncode == 0, proc.stderr
    assert "conforms" in proc.stdout


def test_warnings_fail_only_with_fail_on_warning(disk_store: Path, tmp_path: Path) -> None:
    proc = validate(disk_store, tmp_path, "--shapes", str(SHAPES / "warn"))
    assert proc.returncode == 0, proc.stderr
    assert f"{len(LOW_PRIORITY)} warnings" in proc.stdout
    proc = validate(disk_store, tmp_path, "--shapes", str(SHAPES / "warn"), "--fail-on", "warning")
    assert proc.returncode == 1


def test_violations_exit_1_and_every_report_format_agrees(disk_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    proc = validate(disk_store, tmp_path, "--shapes", str(SHAPES / "violation"), "--format", "turtle",
                    "--format", "junit", "--format", "html", "--format", "json", "--output", str(out))
    assert proc.returncode == 1, proc.stderr
    expected = {f"https://data.brightwater.example/id/case-management/case/{n}" for n in STILL_OPEN}
    # Turtle: a standard sh:ValidationReport
    report = rdflib.Graph().parse(out / "validation.ttl")
    (node,) = report.subjects(RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms).toPython() is False
    assert {str(f) for f in report.objects(None, SH.focusNode)} == expected
    # JUnit: one testcase per shape, one failure per result
    suite = ET.parse(out / "validation.xml").getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["case is closed"]
    failures = cases[0].findall("failure")
    assert len(failures) == len(STILL_OPEN) == int(suite.get("failures"))
    assert all(f.get("type") == "Violation" for f in failures)
    # JSON: each result with the source record it came from
    doc = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert doc["conforms"] is False and doc["counts"] == {"Violation": len(STILL_OPEN), "Warning": 0, "Info": 0}
    for result in doc["results"]:
        number = result["identifier"]
        assert result["source"] == "case-management"
        assert result["file"].endswith("case-management/cases.json")
        index = int(result["record"].rsplit("/", 1)[-1])
        assert CASES[index]["number"] == number
        assert result["focus"].endswith(number)
    # HTML: readable, linking focus nodes and source files
    page = (out / "validation.html").read_text(encoding="utf-8")
    assert page.count('<tr class="violation">') == len(STILL_OPEN)
    assert "cases.json</a>" in page and f'href="{sorted(expected)[0]}"' in page


def test_single_report_to_stdout_keeps_the_summary_on_stderr(disk_store: Path, tmp_path: Path) -> None:
    proc = validate(disk_store, tmp_path, "--shapes", str(SHAPES / "warn"), "--format", "json")
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert sorted(r["identifier"] for r in doc["results"]) == LOW_PRIORITY
    assert "Validated" in proc.stderr


@pytest.mark.parametrize("args,message", [
    (["--shapes", str(SHAPES / "broken")], "shapes file does not parse"),
    (["--shapes", str(SHAPES / "nowhere")], "no such shapes folder or file"),
    (["--fail-on", "fatal"], "--fail-on takes violation, warning or info"),
    (["--format", "pdf"], "unknown report format 'pdf'"),
    (["--format", "json", "--format", "html"], "several --format need --output FOLDER"),
])
def test_usage_and_input_errors_exit_2(disk_store: Path, tmp_path: Path, args: list[str], message: str) -> None:
    proc = validate(disk_store, tmp_path, *args)
    assert proc.returncode == 2
    assert message in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr


def test_no_store_yet_is_a_clear_error(tmp_path: Path) -> None:
    proc = validate(tmp_path / "missing", tmp_path, "--shapes", str(SHAPES / "pass"))
    assert proc.returncode == 2
    assert "run `cxgraph build` first" in proc.stderr


def test_results_link_the_record_the_build_loaded_from_the_data_folder_it_was_given(tmp_path: Path) -> None:
    """Lineage is recorded at load: a build from another data folder (`--data`) links results to that folder's
    files and rows, whatever the registry's folder holds, without reading any export again."""
    import shutil

    from conftest import build_memory
    from cxgraph.check.validate import run_validation
    from cxgraph.project import load_project

    copy = tmp_path / "elsewhere"
    shutil.copytree(ROOT / "data/sample", copy)
    built = build_memory(tmp_path / "work", data_root=copy)
    validation = run_validation(built.store, load_project(ROOT))  # the registry's own data folder
    located = [r for r in validation.results if r.origin and r.origin.file]
    assert len(located) == len(validation.results) == 20
    kinds = set()
    for result in located:
        origin = result.origin
        assert origin.file.is_relative_to(copy), origin.file
        if origin.file.suffix == ".csv":
            kinds.add("csv")
            line = int(origin.locator.removeprefix("line "))
            cells = next(csv.reader([origin.file.read_text(encoding="utf-8").splitlines()[line - 1]]))
            # the identifier is the key's cells (a composite key's joined by "-", e.g. product and location)
            assert any("-".join(cells[i:j]) == origin.identifier for i in range(len(cells))
                       for j in range(i + 1, len(cells) + 1)), (origin.identifier, cells)
        else:
            kinds.add("json")
            node = json.loads(origin.file.read_text(encoding="utf-8"))
            for part in origin.locator.split("/")[1:]:
                node = node[int(part)] if isinstance(node, list) else node[part]
            assert origin.identifier in json.dumps(node, ensure_ascii=False)
    assert kinds == {"csv", "json"}
