"""Progress people can see: what the long stages report, and how a terminal and a log show it."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from conftest import Built
from cxgraph.build.derive import load_rules
from cxgraph.check.validate import run_validation
from cxgraph.cli import progress as shown
from cxgraph.stores.push import oxigraph_binary, push_graphs
from cxgraph.stores.remote import Endpoint, RemoteStore
from test_endpoint import free_port, wait_until_up

Tick = tuple[str, int, int, str]


def last(ticks: list[Tick], task: str) -> Tick:
    return [t for t in ticks if t[0] == task][-1]


def test_the_build_reports_rows_checked_per_source_sources_mapped_quads_loaded_and_rules(sample: Built) -> None:
    ticks, report = sample.ticks, sample.report
    for summary in report.sources:
        _task, done, total, unit = last(ticks, f"check {summary.name}")
        assert (done, total, unit) == (summary.rows_read, summary.rows_read, "rows"), summary.name
    assert last(ticks, "map (morph-kgc)")[1:] == (len(report.sources), len(report.sources), "sources")
    _task, loaded, total, unit = last(ticks, "load")
    assert loaded == total and unit == "quads"
    assert loaded >= sum(s.triples for s in report.sources)  # every line the engine wrote, duplicates too
    rules = len(load_rules(sample.project))
    assert last(ticks, "derive (rules/)")[1:] == (rules, rules, "rules")
    for task in {t[0] for t in ticks}:  # each task only moves forward
        done = [t[1] for t in ticks if t[0] == task]
        assert done == sorted(done), task


def test_validation_reports_each_check_as_it_finishes(sample: Built) -> None:
    ticks: list[Tick] = []
    result = run_validation(sample.store, sample.project, tick=lambda *seen: ticks.append(seen))
    checks = [t for t in ticks if t[0] == "validate"]
    assert checks[0][1] == 0 and checks[-1][1] == checks[-1][2] > 100
    assert [t[1] for t in checks] == list(range(checks[-1][2] + 1))
    focus = len({r.focus for r in result.results if r.focus.startswith("http")})
    assert last(ticks, "locate focus nodes")[1:] == (focus, focus, "nodes")


def test_off_a_terminal_a_long_task_prints_a_line_per_tenth_and_a_quick_one_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    log = io.StringIO()
    monkeypatch.setattr(shown, "err", Console(file=log, width=200, force_terminal=False))
    with shown.board("Loading...") as board:
        for done in range(0, 1001, 50):
            board.tick("quick", done, 1000, "rows")
    assert log.getvalue() == ""  # under QUIET_SECONDS: nothing, and the step line never shows in a log
    monkeypatch.setattr(shown, "QUIET_SECONDS", 0.0)
    with shown.board() as board:
        for done in range(0, 1001):
            board.tick("check crm", done, 1000, "rows")
    lines = log.getvalue().splitlines()
    assert len(lines) == 11
    assert re.fullmatch(r"check crm: 1,000/1,000 rows \(100%\), [\d,]+ rows/s, [\d.]+ s", lines[-1])


def test_on_a_terminal_each_task_is_a_bar_under_the_current_step(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(shown, "err", Console(file=screen, width=120, force_terminal=True, color_system=None))
    with shown.board("Building [the graph]...") as board:
        board.say("Mapping 13 source(s) with morph-kgc...")
        board.tick("check crm", 500, 1000, "rows")
        board.tick("load", 2000, 4000, "quads")
    text = screen.getvalue()
    assert "check crm" in text and "500/1000" in text and "rows" in text
    assert "2000/4000" in text and "quads" in text
    assert "Mapping 13 source(s) with morph-kgc..." in text


def test_push_reports_the_quads_it_uploads(sample: Built, tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen([oxigraph_binary(), "serve", "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", process)
        remote = RemoteStore(Endpoint.from_options(f"http://127.0.0.1:{port}/query"))
        ticks: list[Tick] = []
        pushed = push_graphs(sample.store, remote, tmp_path / "build.lock", sample.project.is_private_graph,
                             lambda *seen: ticks.append(seen))
        total = sum(count for _graph, count in pushed)
        assert ticks and ticks[-1] == ("upload", total, total, "quads")
        assert {g: remote.count(g) for g in remote.named_graphs()} == dict(pushed)
    finally:
        process.terminate()
        process.wait(timeout=10)
