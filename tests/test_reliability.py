"""All-or-nothing builds: a build killed at any point leaves the store exactly as before or as after.

Real subprocesses, a real on-disk store, real SIGKILL: at each named point of the build
(`cxgraph.faults`) and at timed moments while the mapping engine runs; readers during a build; a
second writer.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import to_isomorphic

from conftest import CXGRAPH, ROOT, cx
from cxgraph.stores.embedded import EmbeddedStore
from cxgraph.stores.generations import StoreFolder

CX = "https://w3id.org/cxgraph/ontology#"
PROVENANCE = "https://data.brightwater.example/graph/provenance"
CRM = "https://data.brightwater.example/graph/source/crm"
ONLY = ("--only", "crm")  # a build of one source passes every point a full build does, in a third of the time
KILL_POINTS = ["checked", "staged", "dropped", "ingest-chunk", "ingested", "provenance", "identity", "reasoned",
               "before-publish", "renamed", "live", "published"]


def snapshot(store: Path) -> dict[str, object]:
    """Every graph as a set of triples; the provenance graph as its number of loads (timestamps differ)."""
    reader = EmbeddedStore(store)
    by_graph: dict[str, set[str]] = {name: set() for name in reader.named_graphs()}
    for quad in reader.raw.quads_for_pattern(None, None, None, None):
        text = str(quad.triple)
        if "/id/load/" not in text:  # what is derived from a load activity is named by its time: left out
            by_graph[quad.graph_name.value].add(text)
    rows = reader.query(f"SELECT (COUNT(?a) AS ?n) WHERE {{ GRAPH <{PROVENANCE}> {{ ?a a <{CX}SourceLoad> }} }}")
    loads = int(next(iter(rows))["n"].value)
    reader.close()
    graphs: dict[str, object] = {}
    for name, triples in by_graph.items():
        if name == PROVENANCE:
            graphs[name] = loads
        elif any("_:" in t for t in triples):  # blank nodes get new labels on every load: compare canonically
            graph = rdflib.Graph().parse(data="".join(t + " .\n" for t in triples), format="nt")
            graphs[name] = to_isomorphic(graph)
        else:
            graphs[name] = triples
    return graphs


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A store built from the sample ("before"), changed data, and the store that data gives ("after")."""
    work = tmp_path_factory.mktemp("kill")
    data = work / "data"
    shutil.copytree(ROOT / "data" / "sample", data)
    contacts = data / "crm" / "contacts.csv"
    contacts.write_text(contacts.read_text(encoding="utf-8").replace(",Ann,Rees,", ",Ann,CHANGED,", 1),
                        encoding="utf-8")
    before = work / "before" / "store"
    proc = cx("build", cwd=work, store=before)
    assert proc.returncode == 0, proc.stderr
    after = work / "after" / "store"
    shutil.copytree(before.parent, after.parent)
    proc = cx("build", "--only", "crm", "--data", str(data), cwd=work, store=after)
    assert proc.returncode == 0, proc.stderr
    return {"work": work, "data": data, "before": before, "before_graphs": snapshot(before),
            "after_graphs": snapshot(after)}


def _morph_processes(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if "morph_cached.py" in cmdline and marker in cmdline:  # the engine, run through its parse cache
            found.append(int(entry.name))
    return found


def _fresh(states: dict[str, object], name: str) -> Path:
    folder = Path(states["work"]) / name  # type: ignore[arg-type]
    shutil.copytree(Path(states["before"]).parent, folder)  # type: ignore[arg-type]
    return folder / "store"


def _assert_whole(store: Path, states: dict[str, object]) -> str:
    now = snapshot(store)
    if now == states["before_graphs"]:
        return "before"
    assert now == states["after_graphs"], "the store is neither the old build nor the new one"
    return "after"


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_build_killed_at_any_point_leaves_the_store_before_or_after(states: dict[str, object], point: str) -> None:
    store = _fresh(states, f"at-{point}")
    env = {**os.environ, "CXGRAPH_KILL_AT": point, "CXGRAPH_PROJECT": str(ROOT), "CXGRAPH_STORE": str(store)}
    proc = subprocess.run([*CXGRAPH, "build", *ONLY, "--data", str(states["data"])], cwd=store.parent, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr[-2000:])
    partials = [p for p in (store / "generations").iterdir() if p.name.endswith(".partial")]
    assert bool(partials) == (point not in ("renamed", "live", "published"))
    # the first reader that finds a dead build's partial generation clears it and says so
    reader = EmbeddedStore(store)
    reader.named_graphs()
    reader.close()
    if partials:
        assert any("unfinished generation" in n for n in reader.notices), reader.notices
    # a kill after `live` names the new generation is the new build; before that, the old one
    assert _assert_whole(store, states) == ("after" if point in ("live", "published") else "before")
    assert not _morph_processes(str(store.parent))
    if point not in ("ingest-chunk", "renamed", "live", "published"):
        return
    # the next build removes what is left (a complete but unpublished generation) and publishes
    proc = cx("build", *ONLY, "--data", str(states["data"]), cwd=store.parent, store=store)
    assert proc.returncode == 0, proc.stderr
    if point == "renamed":
        assert "superseded" in proc.stdout, proc.stdout
    now = snapshot(store)
    loads = now.pop(PROVENANCE)
    after = dict(states["after_graphs"])  # type: ignore[call-overload]
    assert loads == after.pop(PROVENANCE) + (1 if point in ("live", "published") else 0)
    assert now == after
    # what is left on disk is the store's history: every generation was published, the live one last (a
    # generation renamed but never published is gone)
    generations = sorted(p for p in (store / "generations").iterdir() if p.is_dir())
    history = StoreFolder(store).history()
    assert [folder for _, folder in history] == generations, (history, generations)
    assert history[-1][1] == StoreFolder(store).live()
    assert len(history) == 2 + (1 if point in ("live", "published") else 0)  # the copied store's, the killed, this


@pytest.mark.parametrize("delay", [1.0, 2.0, 3.0])  # a full build maps for several seconds: killed while mapping
def test_a_build_killed_while_mapping_leaves_no_worker_and_no_change(states: dict[str, object], delay: float) -> None:
    store = _fresh(states, f"timed-{delay}")
    env = {**os.environ, "CXGRAPH_PROJECT": str(ROOT), "CXGRAPH_STORE": str(store)}
    proc = subprocess.Popen([*CXGRAPH, "build", "--data", str(states["data"])], cwd=store.parent, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    deadline = time.monotonic() + 10
    while _morph_processes(str(store.parent)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _morph_processes(str(store.parent))
    assert _assert_whole(store, states) == "before"
    # a reader finding a dead build's partial generation clears it and says so
    reader = EmbeddedStore(store)
    reader.named_graphs()
    leftovers = [p for p in (store / "generations").iterdir() if p.name.endswith(".partial")]
    assert not leftovers
    reader.close()


def test_readers_during_a_build_see_the_old_or_the_new_graph_never_a_mix(states: dict[str, object]) -> None:
    store = _fresh(states, "readers")
    before = states["before_graphs"][CRM]  # type: ignore[index]
    after = states["after_graphs"][CRM]  # type: ignore[index]
    env = {**os.environ, "CXGRAPH_PROJECT": str(ROOT), "CXGRAPH_STORE": str(store)}
    proc = subprocess.Popen([*CXGRAPH, "build", *ONLY, "--data", str(states["data"])], cwd=store.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = {"before": 0, "after": 0}
    while proc.poll() is None:
        reader = EmbeddedStore(store)
        crm = {str(q.triple) for q in reader.raw.quads_for_pattern(None, None, None, None) if q.graph_name.value == CRM}
        names = reader.named_graphs()
        reader.close()
        assert not [n for n in names if "staging" in n or "cxgraph.invalid" in n]
        assert crm in (before, after)
        seen["before" if crm == before else "after"] += 1
    _out, stderr = proc.communicate()
    assert proc.returncode == 0, stderr
    assert seen["before"] > 0
    reader = EmbeddedStore(store)
    assert {str(q.triple) for q in reader.raw.quads_for_pattern(None, None, None, None)
            if q.graph_name.value == CRM} == after


def test_a_second_build_is_told_which_process_is_building(states: dict[str, object]) -> None:
    store = _fresh(states, "second")
    env = {**os.environ, "CXGRAPH_PROJECT": str(ROOT), "CXGRAPH_STORE": str(store)}
    first = subprocess.Popen([*CXGRAPH, "build"], cwd=store.parent, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        lock = store.parent / "build.lock"
        while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip()):
            time.sleep(0.05)
        second = cx("build", cwd=store.parent, store=store)
        assert second.returncode == 2
        assert f"another build is running (pid {first.pid})" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.wait(timeout=600)
    assert first.returncode == 0
