"""Shared fixtures: the real mapping engine (morph-kgc in its own venv) and the sample enterprise built once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import pytest

from cxgraph.build.mapping import engine_python
from cxgraph.build.pipeline import BuildReport, build
from cxgraph.project import Project, load_project
from cxgraph.stores.embedded import EmbeddedStore

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ID = "https://data.brightwater.example/id/"
CX = "https://w3id.org/cxgraph/ontology#"

# The console script the README runs (`.venv/bin/cxgraph`), next to this interpreter once installed.
_SCRIPT = Path(sys.executable).parent / "cxgraph"
CXGRAPH = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "cxgraph"]


def cx(*args: str, cwd: Path, store: Path, project: Path = ROOT, env: dict[str, str] | None = None,
       ) -> subprocess.CompletedProcess[str]:
    """Run the `cxgraph` command as a user would, in a real subprocess."""
    full = {**os.environ, "CXGRAPH_PROJECT": str(project), "CXGRAPH_STORE": str(store), "COLUMNS": "200",
            **(env or {})}
    return subprocess.run([*CXGRAPH, *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=600)


@dataclass
class Built:
    project: Project
    store: EmbeddedStore
    report: BuildReport
    ticks: list[tuple[str, int, int, str]] = field(default_factory=list)  # the progress the build reported


def graph_triples(store: Path) -> dict[str, set[str]]:
    """Every triple of an on-disk store, by graph name (N-Triples text): graphs compared before and after."""
    reader = EmbeddedStore(store)
    graphs: dict[str, set[str]] = {}
    for quad in reader.raw.quads_for_pattern(None, None, None, None):
        graphs.setdefault(str(quad.graph_name), set()).add(str(quad.triple))
    reader.close()
    return graphs


def write_store(store: Path, quads: Iterable[ox.Quad] = (), update: str | None = None) -> Path:
    """Publish quads (and an update) into an on-disk store as a build does: one workspace, one step."""
    disk = EmbeddedStore(store)
    with disk.workspace(store.parent / "build.lock") as ws:
        ws.store.raw.extend(quads)
        if update:
            ws.store.update(update)
        ws.publish([])
    disk.close()
    return store


def garble(generation: Path, tables: int = 6) -> None:
    """Overwrite the first half (data blocks) of a generation's largest tables, keeping each table's index and
    footer at its end: RocksDB opens the store, and fails a block's checksum only when a read reaches it."""
    largest = sorted(generation.glob("*.sst"), key=lambda f: f.stat().st_size)[-tables:]
    assert largest and sum(f.stat().st_size for f in largest) > 100_000  # the data is in tables, not the log
    for table in largest:
        with table.open("r+b") as raw:
            raw.write(b"\x55" * (table.stat().st_size // 2))


def live_generation(store: Path) -> Path:
    return store / "generations" / (store / "live").read_text(encoding="utf-8").strip()


def build_memory(work: Path, data_root: Path | None = None, only: list[str] | None = None,
                 keep_staging: bool = False) -> Built:
    """Build into an in-memory store, the way `cxgraph build` does on disk."""
    project = load_project(ROOT, data_root)
    store = EmbeddedStore()
    ticks: list[tuple[str, int, int, str]] = []
    report = build(project, store, work, only=only, echo=lambda _m: None,
                   tick=lambda *seen: ticks.append(seen), keep_staging=keep_staging)
    return Built(project, store, report, ticks)


@pytest.fixture(scope="session", autouse=True)
def mapping_engine() -> Path:
    """Install (once) and return the isolated morph-kgc interpreter."""
    return engine_python()


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The whole sample enterprise, built once per test session."""
    return build_memory(tmp_path_factory.mktemp("sample"))
