"""Reading source exports as records: CSV rows and JSON objects reached by a JSONPath iterator.

Only the JSONPath subset that YARRRML iterators in this project use is supported (`$`, `.name`,
`[*]`), so that the record contracts see exactly the records the mapping engine will iterate.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cxgraph.errors import CxGraphError
from cxgraph.lineage import WHOLE_DOCUMENT, pointer_text

_TOKEN = re.compile(r"\.([A-Za-z_][\w-]*)|\[\*\]")


@dataclass(slots=True)
class Record:
    """One source record: where it is (line or JSON pointer) and its raw field values.

    Slotted, with the locator computed when asked for: a build holds one per source row until it ends,
    so every byte here is multiplied by millions of rows.
    """

    row: int
    values: dict[str, Any]
    pointer: tuple[Any, ...] | None = None  # None: a CSV row (located by its line)

    @property
    def locator(self) -> str:
        """How reports name the record: `line N` in a CSV export, its JSON Pointer in a JSON one."""
        if self.pointer is None:
            return f"line {self.row}"
        return pointer_text(self.pointer) or WHOLE_DOCUMENT


@dataclass
class SourceFile:
    """A parsed export file, kept so the accepted records can be written back unchanged."""

    path: Path
    format: str
    header: list[str] = field(default_factory=list)
    rows: list[Record] = field(default_factory=list)
    document: Any = None
    problem: str | None = None
    problem_line: int | None = None
    digest: str = ""  # of the bytes read: staging reads a JSON export again and must find the same file


_CHANGED = "the export changed while the build read it (checked, then changed before staging): build again"


def parse_iterator(iterator: str) -> list[str | None]:
    """Split `$.orders[*].lines[*]` into ["orders", None, "lines", None] (None = every item)."""
    if not iterator.startswith("$"):
        raise ValueError(f"JSONPath iterator must start with '$': {iterator!r}")
    rest = iterator[1:]
    tokens: list[str | None] = []
    pos = 0
    while pos < len(rest):
        match = _TOKEN.match(rest, pos)
        if not match:
            raise ValueError(f"unsupported JSONPath {iterator!r} (use only .name and [*])")
        tokens.append(match.group(1))
        pos = match.end()
    return tokens


# Whole fields are read whatever their size (the file is in memory already); rows with a value over the
# project's max_field_chars are quarantined by the contract check, not the file refused.
csv.field_size_limit(2**31 - 1)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="surrogateescape")


def _not_utf8(data: bytes) -> str | None:
    """Why a file is not UTF-8 as a whole (a few stray bytes are left to quarantine their rows)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:200].count(b"\x00") > 10:
        return "not UTF-8 (looks like UTF-16): export it as UTF-8"
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    bad = 0
    for line in lines:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
    if bad >= 2 and bad >= 0.05 * len(lines):
        return (f"not UTF-8: {bad} of {len(lines)} lines hold bytes that are not UTF-8 (is the export Latin-1 or "
                "Windows-1252?); export it as UTF-8")
    return None


def read_file(path: Path, fmt: str, digest: str | None = None) -> SourceFile:
    """Read an export; an unreadable or missing file is reported on the result, never raised, so others still load.

    `digest`: the file is being read again (staging after the check) and must be the file that was checked;
    if it changed in between, that is raised.
    """
    parsed = SourceFile(path=path, format=fmt)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        parsed.problem = "missing file (the data folder has no such export)"
        data = b""
    except IsADirectoryError:
        parsed.problem = "is a folder, not an export file"
        data = b""
    found = hashlib.sha256(data).hexdigest()
    if digest is not None and found != digest:
        raise CxGraphError(_CHANGED, path)
    if parsed.problem:
        return parsed
    if not data.strip():
        parsed.problem = "empty file"
        return parsed
    encoding = _not_utf8(data)
    if encoding:
        parsed.problem = encoding
        parsed.problem_line = 1
        return parsed
    text = _decode(data)
    parsed.digest = found
    del data
    if fmt == "csv":
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # an unclosed quote is an error
        try:
            parsed.header = next(reader)
            duplicated = sorted({c for c in parsed.header if parsed.header.count(c) > 1})
            if duplicated:
                parsed.problem = f"the header names a column twice: {', '.join(duplicated)}"
                parsed.problem_line = 1
                return parsed
            start = reader.line_num + 1
            for values in reader:
                line, start = start, reader.line_num + 1  # a record is named by its first line
                if not values or values == [""]:
                    continue
                row: dict[str, Any] = dict(zip(parsed.header, values, strict=False))
                if len(values) != len(parsed.header):
                    row["__width__"] = len(values)
                parsed.rows.append(Record(row=line, values=row))
        except csv.Error as exc:
            parsed.problem = f"CSV syntax error (truncated or damaged?): {exc}"
            parsed.problem_line = reader.line_num
            return parsed
        last = parsed.rows[-1] if parsed.rows else None
        if last is not None and not text.endswith(("\n", "\r")) and "__width__" in last.values \
                and last.values["__width__"] < len(parsed.header):
            parsed.problem = (f"the last row is cut short ({last.values['__width__']} of {len(parsed.header)} "
                              "cells and no line end): the export looks truncated")
            parsed.problem_line = last.row
        return parsed
    if fmt == "json":
        try:
            # decimals as written (a float would turn 0.1000000000000000055 into 0.1)
            parsed.document = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            # a string still open at the end of the file is reported where it starts
            ends_early = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
            truncated = " (the file ends too early: truncated?)" if ends_early else ""
            parsed.problem = f"JSON syntax error: {exc.msg}{truncated}"
            parsed.problem_line = exc.lineno
        except RecursionError:
            parsed.problem = "JSON nested too deeply to read"
        return parsed
    raise CxGraphError(f"unsupported format {fmt!r} (csv or json)", path)


def iterate_json(document: Any, tokens: list[str | None]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Yield (pointer, node) for every node the iterator reaches."""
    frontier: list[tuple[tuple[Any, ...], Any]] = [((), document)]
    for token in tokens:
        nxt: list[tuple[tuple[Any, ...], Any]] = []
        for pointer, node in frontier:
            if token is None:
                if isinstance(node, list):
                    nxt.extend(((*pointer, i), item) for i, item in enumerate(node))
            elif isinstance(node, dict) and token in node:
                nxt.append(((*pointer, token), node[token]))
        frontier = nxt
    yield from frontier


def json_value(record: Any, dotted: str) -> Any:
    """A field of a JSON record by dotted path, or None when absent."""
    node = record
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def set_json_value(record: Any, dotted: str, change: Any) -> None:
    """Replace a field of a JSON record (each item of a list of strings) by `change(value)`."""
    node = record
    parts = dotted.split(".")
    for part in parts[:-1]:
        if not isinstance(node, dict) or part not in node:
            return
        node = node[part]
    if not isinstance(node, dict) or parts[-1] not in node:
        return
    value = node[parts[-1]]
    if isinstance(value, str):
        node[parts[-1]] = change(value)
    elif isinstance(value, list):
        items = [change(v) if isinstance(v, str) else v for v in value]
        node[parts[-1]] = [v for v in items if v is not None]


def json_records(source: SourceFile, iterator: str) -> list[Record]:
    """The records an iterator reaches, numbered 1.. in document order."""
    tokens = parse_iterator(iterator)
    records = []
    for number, (pointer, node) in enumerate(iterate_json(source.document, tokens), start=1):
        records.append(Record(row=number, values=node, pointer=pointer))
    return records


def write_csv(source: SourceFile, keep: set[int], target: Path,
              extra: dict[str, tuple[str, Callable[[str], str]]] | None = None, blank_is_absent: bool = False,
              rewrite: dict[str, Callable[[str], str]] | None = None) -> None:
    """Write the header and the kept rows (by line number) to the staging copy.

    `extra`: added columns, each (source column, function) computing its value from another column;
    `blank_is_absent`: a cell of spaces only is written empty, as the contract check reads it;
    `rewrite`: columns whose non-blank values are written changed (local timestamps given their offset).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    extra = extra or {}
    rewrite = rewrite or {}
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*source.header, *extra])
        for record in source.rows:
            if record.row in keep:
                cells = []
                for column in source.header:
                    value = record.values.get(column, "")
                    if column in rewrite and value.strip():
                        value = rewrite[column](value)
                    cells.append("" if blank_is_absent and not value.strip() else value)
                for column, function in extra.values():
                    value = record.values.get(column, "")
                    cells.append(function(value) if value.strip() else "")
                writer.writerow(cells)


def read_document(source: SourceFile) -> Any:
    """A fresh copy of a JSON export for staging, parsed again from the bytes the check read.

    (deepcopy recurses and fails on deeply nested values; the text is not held from the check to here, since a
    build holds every export at once.)"""
    data = source.path.read_bytes()
    if hashlib.sha256(data).hexdigest() != source.digest:
        raise CxGraphError(_CHANGED, source.path)
    return json.loads(_decode(data), parse_float=Decimal)


def write_json(source: SourceFile, drop: set[tuple[Any, ...]], target: Path,
               transform: Callable[[Any], None] | None = None, document: Any = None) -> None:
    """Write the document without the dropped records (deepest first, so indexes stay valid).

    `transform` changes the copy in place first (while record pointers still hold); `document`: the copy
    (`read_document`), when the caller already has it. Written as ASCII JSON, so that text outside any record
    that is not valid UTF-8 cannot stop the write.
    """
    if document is None:
        document = read_document(source)
    if transform:
        transform(document)
    def order(pointer: tuple[Any, ...]) -> tuple[Any, ...]:
        return (len(pointer), tuple((0, x, "") if isinstance(x, int) else (1, 0, str(x)) for x in pointer))

    for pointer in sorted(drop, key=order, reverse=True):
        parent = document
        for part in pointer[:-1]:
            parent = parent[part]
        del parent[pointer[-1]]
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        text = json.dumps(document, ensure_ascii=True, indent=1, default=_decimal_text)
    except RecursionError:
        raise CxGraphError("a record is nested too deeply to stage", source.path) from None
    target.write_text(text, encoding="utf-8")


def scalar_text(value: Any) -> str | None:
    """A JSON value as the mapping engine reads it from the staged JSON (None: absent; a list or an object:
    not a single value, so the record set stays JSON): text as it is, a decimal as written, other numbers and
    booleans as Python prints them (morph-kgc 2.10 maps every value through `str`)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value if "\x00" not in value else None
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, bool | int):
        return str(value)
    return None


def _decimal_text(value: Any) -> str:
    """A JSON decimal, staged as the exact text it was written with (plain notation, no exponent)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot stage a {type(value).__name__}")
