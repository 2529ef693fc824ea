"""morph-kgc's parse of a staged mapping, kept between builds (build/morph_cached.py), run by the real engine."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from cxgraph.build import morph_cached
from cxgraph.build.mapping import _run_group, parse_cache
from cxgraph.project import load_project

PROJECT = load_project(ROOT)
MAPPING = """prefixes:
  ex: https://example.org/
mappings:
  person:
    sources:
    - - people.csv~csv
    s: ex:person/$(id)
    graphs: https://cxgraph.invalid/load/{nonce}/marketing
    po:
    - - ex:name
      - $(name)
{more}"""
EXTRA = """    - - ex:city
      - $(city)
"""


def _map(engine: Path, stage: Path, nonce: str, more: str = "") -> str:
    """Map people.csv with the engine, as a build does, and return its N-Quads, sorted (the engine's order
    varies from run to run)."""
    mapping = stage / "marketing.yml"
    mapping.write_text(MAPPING.format(nonce=nonce, more=more), encoding="utf-8")
    output = stage / "mapped-0.nq"
    _run_group(engine, [(PROJECT.sources["marketing"], mapping)], stage, output, nonce=nonce)
    return "".join(sorted(output.read_text(encoding="utf-8").splitlines(keepends=True)))


def _in_engine(engine: Path, code: str, kept: Path) -> str:
    """Run `code` on the kept parse `frames` (pandas frames) in the engine's venv, where pandas is."""
    prologue = f"import pickle, sys\nframes = pickle.loads(open({str(kept)!r}, 'rb').read())\n"
    return subprocess.run([str(engine), "-c", prologue + code], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CXGRAPH_MAPPING_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "stage"
    folder.mkdir()
    (folder / "people.csv").write_text('id,name,city\n1,"Ann > ""A""\nB",Oslo\n2,Bo,Rome\n', encoding="utf-8")
    return folder


def test_a_kept_parse_serves_the_next_build_with_its_own_nonce(mapping_engine: Path, stage: Path) -> None:
    first, second = secrets.token_hex(16), secrets.token_hex(16)
    before = _map(mapping_engine, stage, first)
    kept = list((stage.parent / "cache").glob("*.pickle"))
    assert len(kept) == 1 and before.count(f"/load/{first}/marketing>") == 2
    assert '"Ann > \\"A\\"\\nB"' in before  # the value, escaped, whatever was cached
    # The kept parse is what the next run maps with: a predicate changed in it shows in the output.
    cells = _in_engine(mapping_engine, "print([str(v) for f in frames for v in f.to_numpy().ravel()])", kept[0])
    assert "/marketing" in cells and first not in cells  # kept without the build's nonce
    _in_engine(mapping_engine, "frames[0]['predicate_map_value'] = frames[0]['predicate_map_value']"
                               ".str.replace('name', 'label')\n"
                               f"open({str(kept[0])!r}, 'wb').write(pickle.dumps(frames))", kept[0])
    after = _map(mapping_engine, stage, second)
    assert after.count(f"/load/{second}/marketing>") == 2 and first not in after
    assert sorted(after.replace(second, first).replace("/label>", "/name>").splitlines()) == before.splitlines()
    assert "/label>" in after


def test_an_unreadable_or_stale_parse_is_parsed_again(mapping_engine: Path, stage: Path) -> None:
    nonce = secrets.token_hex(16)
    before = _map(mapping_engine, stage, nonce)
    [kept] = (stage.parent / "cache").glob("*.pickle")
    kept.write_bytes(b"not a pickle")
    assert _map(mapping_engine, stage, nonce) == before
    assert _in_engine(mapping_engine, "print(len(frames[0]))", kept).strip() == "1"  # written again whole: one rule
    changed = _map(mapping_engine, stage, nonce, EXTRA)  # another mapping text: another key, not the old parse
    assert changed.count("/city>") == 2 and len(list((stage.parent / "cache").glob("*.pickle"))) == 2


def test_no_cache_when_the_folder_is_empty(mapping_engine: Path, stage: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXGRAPH_MAPPING_CACHE", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(stage.parent / "xdg"))  # where the default would be
    assert _map(mapping_engine, stage, secrets.token_hex(16)).count("/name>") == 2
    assert not list(stage.parent.rglob("*.pickle"))


def test_a_folder_others_may_write_is_not_read(mapping_engine: Path, stage: Path) -> None:
    """A kept parse is a pickle: one planted in a folder anyone can write would run as the engine loads it."""
    folder = stage.parent / "cache"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    assert _map(mapping_engine, stage, secrets.token_hex(16)).count("/name>") == 2
    assert not list(folder.iterdir())


def test_a_relative_cache_folder_is_the_callers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CXGRAPH_MAPPING_CACHE", "kept")
    assert parse_cache() == str(tmp_path / "kept")  # not the staging folder the engine runs in
    monkeypatch.delenv("CXGRAPH_MAPPING_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert parse_cache() == str(tmp_path / "cxgraph" / "mapping-parses")


def test_the_key_follows_the_engine_the_text_and_where_an_rdf_mapping_is(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "m.yml").write_text("graphs: x/N1/y\n", encoding="utf-8")
        (tmp_path / folder / "m.ttl").write_text("<s> <p> <o> .\n", encoding="utf-8")
    a, b = str(tmp_path / "a" / "m.yml"), str(tmp_path / "b" / "m.yml")
    assert morph_cached._key("s", [a], "N1") == morph_cached._key("s", [b], "N1")  # YARRRML: no base
    assert morph_cached._key("s", [a], "N1") != morph_cached._key("t", [a], "N1")
    ttl = [str(tmp_path / f / "m.ttl") for f in ("a", "b")]
    assert morph_cached._key("s", ttl[:1], "") != morph_cached._key("s", ttl[1:], "")  # <p> resolves per file
    assert morph_cached._key("s", [str(tmp_path / "absent.yml")], "") is None
    before = morph_cached._key("s", [a], "N1")
    monkeypatch.setattr(morph_cached, "_versions", lambda: "another engine")
    assert morph_cached._key("s", [a], "N1") != before  # another morph-kgc: its own parse


def test_a_mapping_holding_the_placeholder_is_never_kept(mapping_engine: Path, stage: Path) -> None:
    more = f"""    - - ex:note
      - {morph_cached.PLACEHOLDER}
"""
    nonce = secrets.token_hex(16)
    for _ in range(2):
        assert _map(mapping_engine, stage, nonce, more).count(f'"{morph_cached.PLACEHOLDER}"') == 2
    assert not list((stage.parent / "cache").glob("*.pickle"))
