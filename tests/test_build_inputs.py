"""A build records the project files it applied; readers say which ones the store no longer follows.

One on-disk build of a copy of the project; each test edits its own copy of that project (inputs are named
relative to the project root, so any copy reads the same store) and asks as a user would.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from conftest import ROOT, cx, write_store
from cxgraph.build.inputs import behind, recorded
from cxgraph.project import load_project
from cxgraph.stores.embedded import EmbeddedStore
from test_endpoint import running_api

PROJECT_FOLDERS = ("loaders", "ontology", "rules", "queries", "shapes", "context", "data")


def copy_project(target: Path) -> Path:
    for folder in PROJECT_FOLDERS:
        shutil.copytree(ROOT / folder, target / folder)
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(project copy, store) after one full build."""
    root = tmp_path_factory.mktemp("inputs")
    project = copy_project(root / "project")
    store = root / "run" / "store"
    proc = cx("build", cwd=root, store=store, project=project)
    assert proc.returncode == 0, proc.stderr
    return project, store


def edited(tmp_path: Path) -> Path:
    """A copy of the project to edit: the same content, so the module's store applies to it as built."""
    return copy_project(tmp_path / "project")


def sha(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_build_records_each_file_it_applied_with_its_checksum(built: tuple[Path, Path]) -> None:
    project_dir, store_path = built
    project = load_project(project_dir)
    store = EmbeddedStore(store_path)
    found = recorded(store, project)
    assert found is not None
    expected = {f"loaders/{kind}/{p.name}" for kind in ("mappings", "contracts")
                for p in (project_dir / "loaders" / kind).iterdir()}
    wide = {"loaders/identity.yaml", "loaders/sources.yaml"}
    assert {p for p in found if p.startswith("loaders/")} - wide == expected
    assert {"loaders/identity.yaml", "loaders/sources.yaml", "ontology/cxgraph.ttl", "ontology/catalog-v001.xml",
            "ontology/imports/prov-o.ttl", "rules/late-delivery.rq"} <= set(found)
    assert not any(p.startswith("rules/conditions/") for p in found)  # read when asked, not built in
    for path, value in found.items():
        assert value == sha(project_dir / path), path
    assert behind(store, project) == []
    store.close()


def test_an_edited_removed_or_new_input_is_named_on_every_read(built: tuple[Path, Path], tmp_path: Path) -> None:
    project_dir = edited(tmp_path)
    store = built[1]
    with (project_dir / "loaders" / "mappings" / "wms.yml").open("a", encoding="utf-8") as handle:
        handle.write("# an edit\n")
    (project_dir / "rules" / "late-delivery.rq").rename(project_dir / "rules" / "late-delivery.rq.off")
    shutil.copy(ROOT / "rules" / "late-delivery.rq", project_dir / "rules" / "later-delivery.rq")
    reading = EmbeddedStore(store)
    found = {b.file: b.change for b in behind(reading, load_project(project_dir))}
    reading.close()
    assert set(found) == {"loaders/mappings/wms.yml", "rules/late-delivery.rq", "rules/later-delivery.rq"}
    assert found["loaders/mappings/wms.yml"].startswith("changed: the store's build applied another")
    assert found["rules/late-delivery.rq"].startswith("gone: ")
    assert found["rules/later-delivery.rq"].startswith("not applied: ")

    query = cx("query", "customer-records", "--param", "customer=id:crm/contact/0030000101", "--format", "json",
               cwd=tmp_path, store=store, project=project_dir)
    assert query.returncode == 0, query.stderr
    assert json.loads(query.stdout)["results"]["bindings"]  # the answer is unchanged and stays clean JSON
    warned = [line for line in query.stderr.splitlines() if line.startswith("warning: the store is behind")]
    assert len(warned) == 3 and "loaders/mappings/wms.yml: changed" in warned[0]

    pack = cx("context", "order", "WEB-104211", cwd=tmp_path, store=store, project=project_dir)
    assert pack.returncode == 0, pack.stderr
    stale = json.loads(pack.stdout)["pack"]["stale"]
    assert [s["file"] for s in stale] == ["loaders/mappings/wms.yml", "rules/late-delivery.rq",
                                          "rules/later-delivery.rq"]

    with running_api("--store", str(store), "--project", str(project_dir)) as url:
        health = httpx.get(f"{url}/health").json()
    assert health["stale"] == 3


def test_a_store_that_follows_the_project_says_nothing(built: tuple[Path, Path], tmp_path: Path) -> None:
    project_dir = edited(tmp_path)  # a copy elsewhere: same content, so the same store applies
    query = cx("context", "customer", "0030000101", cwd=tmp_path, store=built[1], project=project_dir)
    assert query.returncode == 0, query.stderr
    assert "behind" not in query.stderr
    assert json.loads(query.stdout)["pack"]["stale"] == []
    with running_api("--store", str(built[1]), "--project", str(project_dir)) as url:
        assert httpx.get(f"{url}/health").json()["stale"] == 0


def test_a_past_build_is_not_compared_with_todays_files(built: tuple[Path, Path], tmp_path: Path) -> None:
    project_dir = edited(tmp_path)
    with (project_dir / "loaders" / "mappings" / "crm.yml").open("a", encoding="utf-8") as handle:
        handle.write("# an edit\n")
    now = cx("context", "customer", "0030000101", cwd=tmp_path, store=built[1], project=project_dir)
    assert [s["file"] for s in json.loads(now.stdout)["pack"]["stale"]] == ["loaders/mappings/crm.yml"]
    assert "crm.yml: changed" in now.stderr
    past = cx("context", "customer", "0030000101", "--as-of", "2100-01-01", cwd=tmp_path, store=built[1],
              project=project_dir)
    assert past.returncode == 0, past.stderr
    assert json.loads(past.stdout)["pack"]["stale"] == [] and "behind" not in past.stderr


def test_a_registry_that_names_other_inputs_is_compared_without_failing(built: tuple[Path, Path],
                                                                          tmp_path: Path) -> None:
    """A rules: entry that is missing, a source no longer registered: the answers still come, with the files
    named (before, a missing rules: entry failed every pack)."""
    project_dir = edited(tmp_path)
    registry = project_dir / "loaders" / "sources.yaml"
    text = registry.read_text(encoding="utf-8")
    registry.write_text(text.replace("\nsources:", "\nrules: [../no-such-rules]\nsources:", 1), encoding="utf-8")
    project = load_project(project_dir)
    assert "rules" in registry.read_text(encoding="utf-8") and project.rules
    reading = EmbeddedStore(built[1])
    found = {b.file: b.change.split(":")[0] for b in behind(reading, project)}
    reading.close()
    assert found == {"loaders/sources.yaml": "changed", "rules/late-delivery.rq": "no longer named by the project"}
    pack = cx("context", "customer", "0030000101", cwd=tmp_path, store=built[1], project=project_dir)
    assert pack.returncode == 0, pack.stderr
    assert {s["file"] for s in json.loads(pack.stdout)["pack"]["stale"]} == set(found)


def test_a_build_of_some_sources_carries_the_others_inputs(built: tuple[Path, Path], tmp_path: Path) -> None:
    project_dir = edited(tmp_path)
    store = tmp_path / "run" / "store"
    shutil.copytree(built[1].parent, store.parent)
    with (project_dir / "loaders" / "mappings" / "wms.yml").open("a", encoding="utf-8") as handle:
        handle.write("# an edit\n")
    with (project_dir / "loaders" / "mappings" / "crm.yml").open("a", encoding="utf-8") as handle:
        handle.write("# an edit\n")
    with (project_dir / "ontology" / "modules" / "signal.ttl").open("a", encoding="utf-8") as handle:
        handle.write("# an edit\n")
    only = cx("build", "--only", "wms", cwd=tmp_path, store=store, project=project_dir)
    assert only.returncode == 0, only.stderr
    project = load_project(project_dir)
    reading = EmbeddedStore(store)
    assert [b.file for b in behind(reading, project)] == ["loaders/mappings/crm.yml",
                                                          "ontology/modules/signal.ttl"]
    assert recorded(reading, project)["loaders/mappings/wms.yml"] == sha(  # type: ignore[index]
        project_dir / "loaders" / "mappings" / "wms.yml")
    reading.close()
    full = cx("build", cwd=tmp_path, store=store, project=project_dir)
    assert full.returncode == 0, full.stderr
    reading = EmbeddedStore(store)
    assert behind(reading, project) == []
    reading.close()


def test_a_store_built_before_inputs_were_recorded_is_said_unknown(tmp_path: Path) -> None:
    store = write_store(tmp_path / "store", [ox.Quad(ox.NamedNode("https://example.org/s"), ox.NamedNode(
        "https://example.org/p"), ox.Literal("o"), ox.NamedNode("https://example.org/g"))])
    reading = EmbeddedStore(store)
    found = behind(reading, load_project(ROOT))
    reading.close()
    assert len(found) == 1 and found[0].file is None and "cxgraph build" in found[0].change
    proc = cx("stats", cwd=tmp_path, store=store)
    assert proc.returncode == 0, proc.stderr
    assert "the store records no build inputs" in " ".join(proc.stderr.split())
