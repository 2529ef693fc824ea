"""Mapping in groups of sources: balanced by what each source will write, handed over as each process ends."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import ROOT
from cxgraph.build.mapping import STARTUP_COST, MappingRun, mapping_cost, plan_groups
from cxgraph.errors import CxGraphError
from cxgraph.project import load_project

PROJECT = load_project(ROOT)


def _jobs(names: list[str]) -> list:
    return [(PROJECT.sources[name], Path(f"{name}.yml")) for name in names]


def test_a_large_build_gives_each_big_source_its_own_process_largest_first() -> None:
    names = sorted(PROJECT.sources)
    costs = {name: 100_000 for name in names} | {"logistics": 9_000_000, "commerce": 6_000_000}
    groups = plan_groups(_jobs(names), 2, costs)
    assert [[s.name for s, _ in g] for g in groups[:2]] == [["logistics"], ["commerce"]]
    assert len(groups) == 6
    assert sorted(s.name for g in groups for s, _ in g) == names  # every source once
    loads = [sum(costs[s.name] for s, _ in g) for g in groups]
    assert loads == sorted(loads, reverse=True)


def test_a_small_build_makes_one_group_per_process() -> None:
    names = sorted(PROJECT.sources)
    groups = plan_groups(_jobs(names), 2, {name: STARTUP_COST // 10 for name in names})
    assert len(groups) == 2
    assert abs(len(groups[0]) - len(groups[1])) <= 1


def test_the_cost_of_a_source_follows_its_rows_and_rules() -> None:
    from cxgraph.build.contract import load_contracts
    from cxgraph.build.mapping import check_mapping

    source = PROJECT.sources["crm"]
    _doc, rules = check_mapping(source, load_contracts(PROJECT)[source.name])
    few = mapping_cost(rules, {rule.record_set.name: 10 for rule in rules})
    many = mapping_cost(rules, {rule.record_set.name: 10_000 for rule in rules})
    entries = sum(rule.objects + 1 for rule in rules)
    assert entries > len(rules) and many - few == 9_990 * entries


FAKE_ENGINE = """#!/bin/sh
# stands in for `python -c BOOTSTRAP morph_cached.py CONFIG`: writes its output, sleeps, or fails, by its sources
config="$4"
output=$(sed -n 's/^output_file=//p' "$config")
if grep -q '^\\[billing\\]' "$config"; then sleep 60; fi
if grep -q '^\\[wms\\]' "$config"; then echo "boom" >&2; exit 1; fi
echo '<https://example.org/s> <https://example.org/p> "o" <https://example.org/g> .' > "$output"
"""


@pytest.fixture
def engine(tmp_path: Path) -> Path:
    path = tmp_path / "engine"
    path.write_text(FAKE_ENGINE)
    path.chmod(0o755)
    return path


def test_each_group_is_handed_over_as_it_ends_and_leaving_stops_the_rest(engine: Path, tmp_path: Path) -> None:
    run = MappingRun(engine, [_jobs(["billing"]), _jobs(["crm"])], tmp_path, 2)
    started = time.perf_counter()
    with run:
        first = next(run.outputs())
        assert first.name == "mapped-1.nq"  # crm's, handed over while billing still maps
        assert first.read_text().startswith("<https://example.org/s>")
        while len(run._procs) < 2 and time.perf_counter() - started < 20:  # a loaded machine starts it late
            time.sleep(0.05)
        assert [proc.poll() for proc in run._procs if proc.args[-1].endswith("mapped-0.ini")] == [None]
    assert time.perf_counter() - started < 30  # billing's process was killed, not waited for
    assert [proc.returncode for proc in run._procs if proc.returncode != 0] == [-9]  # billing: killed


def test_a_failed_group_names_its_mapping(engine: Path, tmp_path: Path) -> None:
    with MappingRun(engine, [_jobs(["wms"]), _jobs(["crm"])], tmp_path, 2) as run, \
            pytest.raises(CxGraphError, match=r"morph-kgc failed on the mappings \S*wms\.yml:\nboom"):
        list(run.outputs())


def test_all_groups_end(engine: Path, tmp_path: Path) -> None:
    with MappingRun(engine, [_jobs(["crm", "catalog"]), _jobs(["marketing"]), _jobs(["commerce"])], tmp_path,
                    2) as run:
        outputs = list(run.outputs())
    assert sorted(p.name for p in outputs) == ["mapped-0.nq", "mapped-1.nq", "mapped-2.nq"]
    assert run.finished is not None
