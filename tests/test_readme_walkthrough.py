"""The README's "Adding a source system" walk-through, run as written: its files and its commands."""

from __future__ import annotations

import json
import re
import shlex
import textwrap
from pathlib import Path

from conftest import ROOT, cx


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Adding a source system")
    return text[start:text.index("\n## ", start + 1)]


def _files(section: str) -> dict[str, str]:
    """Every `myco/...`: caption and the fenced block under it."""
    found = re.findall(r"`(myco/[^`]+)`:\n\n( *)```[a-z]*\n(.*?)\n\2```", section, re.S)
    return {name: textwrap.dedent(body) + "\n" for name, _indent, body in found}


def _commands(section: str) -> list[list[str]]:
    block = re.search(r"```bash\n(.*?)\n *```", section, re.S)
    assert block, "the walk-through has a bash block"
    return [shlex.split(line)[1:] for line in textwrap.dedent(block.group(1)).splitlines() if line.strip()]


def test_the_walkthrough_runs_as_written(tmp_path: Path) -> None:
    section = _section()
    files = _files(section)
    assert set(files) == {"myco/data/helpdesk/customers.csv", "myco/data/helpdesk/tickets.csv",
                          "myco/loaders/contracts/helpdesk.json", "myco/loaders/mappings/helpdesk.yml",
                          "myco/loaders/sources.yaml"}
    project = tmp_path / "project"
    project.mkdir()
    for folder in ("ontology", "loaders", "queries", "shapes", "rules"):
        (project / folder).symlink_to(ROOT / folder)
    for name, body in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(body, encoding="utf-8")
    build, validate, query, sparql = _commands(section)
    store = tmp_path / "unused-store"

    proc = cx(*build, cwd=project, store=store, project=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning" not in proc.stderr.lower(), proc.stderr
    assert re.search(r"helpdesk\s*│\s*6\s*│\s*6\s*│\s*0\s*│", proc.stdout), proc.stdout

    proc = cx(*validate, cwd=project, store=store, project=project)
    assert proc.returncode == 0 and "conforms" in proc.stdout, proc.stdout + proc.stderr

    proc = cx(*query, "--format", "json", cwd=project, store=store, project=project)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["results"]["bindings"]
    assert [(r["record"]["value"], r["identifier"]["value"]) for r in rows] == [
        ("https://data.myco.example/id/helpdesk/customer/C-1", "C-1")]

    proc = cx(*sparql, "--format", "json", cwd=project, store=store, project=project)
    assert proc.returncode == 0, proc.stderr
    opened = sorted(b["opened"]["value"] for b in json.loads(proc.stdout)["results"]["bindings"])
    assert opened == ["2026-03-02T09:15:00+01:00", "2026-07-01T14:00:00+02:00", "2026-10-25T11:30:00+01:00"]
    for stamp in opened:
        assert f"`{stamp}`" in section
