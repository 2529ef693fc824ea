"""Run morph-kgc with each source's parsed mapping kept between builds.

morph-kgc spends most of a small build parsing mappings: it turns each YARRRML file into an RDF graph and
reads it back with a few hundred rdflib SPARQL queries, parsing each query's text again every time (6 s of
a 7 s run on half the sample's sources). A build stages the same mapping text every time but for the
nonce in its graph IRI, so the parse of a source is kept here, keyed by that text with the nonce taken out,
and put back with the build's own nonce. The rest of the run is morph-kgc's own `__main__`, unchanged.

This file runs in the engine's private venv, by path (mapping.py's BOOTSTRAP, which keeps the working
folder off the module path), and imports nothing of cxgraph. Environment: CXGRAPH_MAPPING_CACHE (the
folder, which only this user may write; empty: no cache) and CXGRAPH_LOAD_NONCE (the build's nonce, which
every staged graph IRI carries).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import os
import pickle
import runpy
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SCHEMA = "1"  # bump when what is kept changes shape
PLACEHOLDER = "cxgraphnonceplaceholder"
KEEP = 512  # parsed sources kept; the least recently used go first


@functools.cache
def _versions() -> str:
    """What a kept parse was made with: this script, Python and the engine's packages (morph-kgc has no
    `__version__`, so the installed distributions are asked). Once per run, not once per source."""
    metadata = importlib.import_module("importlib.metadata")
    found = []
    for name in ("morph-kgc", "rdflib", "pandas", "numpy", "ruamel.yaml", "pyyaml"):
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=-")
    own = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    return ";".join([sys.version, own, *found])


def _key(section: str, paths: list[str], nonce: str) -> str | None:
    """The cache key of a section's mapping files, or None when one is not a local file or already holds the
    placeholder (its parse could not be told apart from the nonce's)."""
    digest = hashlib.sha256(f"{SCHEMA}\0{_versions()}\0{section}\0".encode())
    for path in paths:
        if not os.path.isfile(path):
            return None
        text = Path(path).read_text(encoding="utf-8")
        if PLACEHOLDER in text:
            return None
        if nonce:
            text = text.replace(nonce, PLACEHOLDER)
        suffix = Path(path).suffix
        # YARRRML has no base; an RDF mapping's relative IRIs resolve against the file's own path
        where = "" if suffix in (".yml", ".yaml", ".yarrrml") else str(Path(path).resolve())
        digest.update(f"{suffix}\0{where}\0{len(text)}\0{text}\0".encode())
    return digest.hexdigest()


def _swap(frames: tuple[Any, ...], old: str, new: str) -> tuple[Any, ...]:
    """The frames with `old` replaced by `new` inside every text cell (the graph IRIs carry the nonce)."""
    return tuple(frame.replace(old, new, regex=True) if len(frame) else frame for frame in frames)


def _store(folder: Path, key: str, frames: tuple[Any, ...]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(frames, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / f"{key}.pickle")  # whole or not at all, for builds side by side
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    kept = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    stale = [p for p in folder.glob("*.tmp") if time.time() - p.stat().st_mtime > 3600]  # a writer killed
    for old in kept[KEEP:] + stale:
        with contextlib.suppress(OSError):
            old.unlink()


def _trusted(folder: Path) -> bool:
    """A kept parse is a pickle, which runs code as it loads: use a folder only this user can write."""
    try:
        info = folder.stat()
    except FileNotFoundError:
        return True  # made here, with this user's umask
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def _cache_parses(folder: Path, nonce: str) -> None:
    parser = importlib.import_module("morph_kgc.mapping.mapping_parser").MappingParser
    parse = parser._parse_data_source_mapping_files

    def cached(self: Any, section_name: str) -> Any:
        key = _key(section_name, self.config.get_mappings_files(section_name), nonce)
        if key is None:
            return parse(self, section_name)
        path = folder / f"{key}.pickle"
        with contextlib.suppress(Exception):  # missing, or unreadable: parse it again
            with path.open("rb") as f:
                frames = pickle.load(f)
            with contextlib.suppress(OSError):
                os.utime(path)  # recently used
            return _swap(frames, PLACEHOLDER, nonce) if nonce else frames
        frames = parse(self, section_name)
        with contextlib.suppress(OSError):
            _store(folder, key, _swap(frames, nonce, PLACEHOLDER) if nonce else frames)
        return frames

    parser._parse_data_source_mapping_files = cached


def _prepare_queries_once() -> None:
    """rdflib parses a query's text on every call; morph-kgc runs the same few texts hundreds of times."""
    processor = importlib.import_module("rdflib.plugins.sparql.processor")
    query = processor.SPARQLProcessor.query
    prepared: dict[Any, Any] = {}

    def once(self: Any, strOrQuery: Any, initBindings: Any = None, initNs: Any = None, base: Any = None,
             DEBUG: bool = False) -> Any:
        if isinstance(strOrQuery, str):
            key = (strOrQuery, base, tuple(sorted((initNs or {}).items())))
            if key not in prepared:
                prepared[key] = processor.translateQuery(processor.parseQuery(strOrQuery), base, initNs)
            strOrQuery = prepared[key]
        return query(self, strOrQuery, initBindings, initNs, base, DEBUG)

    processor.SPARQLProcessor.query = once


def main() -> None:
    _prepare_queries_once()
    folder = os.environ.get("CXGRAPH_MAPPING_CACHE", "")
    if folder and _trusted(Path(folder)):
        _cache_parses(Path(folder), os.environ.get("CXGRAPH_LOAD_NONCE", ""))
    sys.argv = ["morph_kgc", *sys.argv[1:]]
    runpy.run_module("morph_kgc", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
