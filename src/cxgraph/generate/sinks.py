"""Streaming writers for generated exports: rows go to disk as they are made, so memory stays constant.

CSV files are written with the csv module (quoting what needs it); JSON exports are one array under one key,
exactly as the sample's systems export them ({"orders": [...]}), written item by item.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO


class CsvSink:
    """One CSV export: a header, then rows as dicts (missing keys are empty)."""

    def __init__(self, path: Path, header: list[str], fragment: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.rows = 0
        self._file: TextIO = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.DictWriter(self._file, header, restval="", lineterminator="\n")
        if not fragment:
            self._writer.writeheader()

    def write(self, row: dict[str, Any]) -> None:
        self._writer.writerow(row)
        self.rows += 1

    def close(self) -> None:
        self._file.close()


class JsonArraySink:
    """One JSON export holding one array under `key`; items are serialized as they arrive.

    A fragment is the items alone (comma-separated, no brackets), to be stitched into the export later.
    """

    def __init__(self, path: Path, key: str, fragment: bool = False, nested: str | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.rows = 0  # items, and the items of their `nested` list (order lines): the build counts both as rows
        self.fragment = fragment
        self.nested = nested
        self._file: TextIO = path.open("w", encoding="utf-8")
        if not fragment:
            self._file.write(f'{{"{key}": [\n')
        self._dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode

    def write(self, item: dict[str, Any]) -> None:
        if self.rows:
            self._file.write(",\n")
        self._file.write(self._dumps(item))
        self.rows += 1 + (len(item.get(self.nested) or ()) if self.nested else 0)

    def close(self) -> None:
        if not self.fragment:
            self._file.write("\n]}\n")
        self._file.close()


class Sinks:
    """Every export a generator writes, by path relative to the output folder; closed together."""

    def __init__(self, out: Path, fragments: bool = False) -> None:
        self.out = out
        self.fragments = fragments
        self._open: dict[str, CsvSink | JsonArraySink] = {}

    def csv(self, rel: str, header: list[str]) -> CsvSink:
        sink = CsvSink(self.out / rel, header, self.fragments)
        self._open[rel] = sink
        return sink

    def json(self, rel: str, key: str, nested: str | None = None) -> JsonArraySink:
        sink = JsonArraySink(self.out / rel, key, self.fragments, nested)
        self._open[rel] = sink
        return sink

    def counts(self) -> dict[str, int]:
        return {rel: sink.rows for rel, sink in sorted(self._open.items())}

    def __enter__(self) -> Sinks:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for sink in self._open.values():
            sink.close()


def stitch(target: Path, parts: list[Path], *, header: list[str] | None = None, key: str | None = None,
           first: tuple[str, ...] = ()) -> None:
    """One export from its fragments, in order: a CSV header or a JSON wrapper around them (`first` items lead)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as out:
        if header is not None:
            csv.writer(out, lineterminator="\n").writerow(header)
        else:
            out.write(f'{{"{key}": [\n')
        items = list(first)
        out.write(",\n".join(items))
        wrote = bool(items)
        for part in parts:
            if not part.is_file() or part.stat().st_size == 0:
                continue
            if key is not None and wrote:
                out.write(",\n")
            with part.open(encoding="utf-8", newline="") as f:
                shutil.copyfileobj(f, out, 1 << 20)
            wrote = True
        if key is not None:
            out.write("\n]}\n")
