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

from cxgraph.build.json_stream import ExportProblem, json_chunks
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
    """An export read as text, its records read from it as they are needed (`csv_records`, `json_records`), never
    all held at once: parsed whole, the largest exports took several times their size in memory."""

    path: Path
    format: str
    header: list[str] = field(default_factory=list)
    text: str | None = None  # None once let go (after the check), or when the file could not be read
    problem: str | None = None
    problem_line: int | None = None
    digest: str = ""  # of the bytes read: staging reads an export again and must find the same file
    read_to: int = 0  # how far into the text the records read so far reach (for progress)

    def reach(self, at: int) -> None:
        """The records read so far reach `at` in the text."""
        self.read_to = at


CHANGED = "the export changed while the build read it (checked, then changed before staging): build again"


def changed(source: SourceFile, problem: ExportProblem | None = None) -> CxGraphError:
    """The error for an export staging finds other than the check read it (a fault the check did not meet, or
    another count of records): it cannot happen unless the file changed in between."""
    if problem is None:
        return CxGraphError(CHANGED, source.path)
    return CxGraphError(f"{problem.message} ({CHANGED})", source.path, problem.line)


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


def _text_of(data: bytes) -> str | tuple[str, int]:
    """The text of an export read as UTF-8, a BOM dropped, decoded once (an export can be a gigabyte); or
    (why it is not UTF-8 as a whole, the line named). A few stray bytes are kept as surrogates, so that only
    their rows are quarantined."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:200].count(b"\x00") > 10:
        return "not UTF-8 (looks like UTF-16): export it as UTF-8", 1
    view = memoryview(data)[3:] if data.startswith(b"\xef\xbb\xbf") else memoryview(data)
    try:
        return str(view, "utf-8")
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
                "Windows-1252?); export it as UTF-8", 1)
    del lines
    return str(view, "utf-8", "surrogateescape")


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
        raise CxGraphError(CHANGED, path)
    if parsed.problem:
        return parsed
    if not data or data.isspace():  # (not strip(): a copy of the whole file)
        parsed.problem = "empty file"
        return parsed
    text = _text_of(data)
    del data
    if isinstance(text, tuple):
        parsed.problem, parsed.problem_line = text
        return parsed
    parsed.digest = found
    if fmt == "csv":
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            parsed.header = next(reader)
        except csv.Error as exc:
            parsed.problem = f"CSV syntax error (truncated or damaged?): {exc}"
            parsed.problem_line = reader.line_num
            return parsed
        duplicated = sorted({c for c in parsed.header if parsed.header.count(c) > 1})
        if duplicated:
            parsed.problem = f"the header names a column twice: {', '.join(duplicated)}"
            parsed.problem_line = 1
            return parsed
        parsed.text = text
        return parsed
    if fmt == "json":
        parsed.text = text  # its syntax is checked as its records are read (json_stream)
        return parsed
    raise CxGraphError(f"unsupported format {fmt!r} (csv or json)", path)


def csv_records(source: SourceFile) -> Iterator[Record]:
    """The rows of a CSV export after its header, each named by its first line, read one at a time.

    Raises ExportProblem at a syntax error (an unclosed quote) or a last row cut short with no line end (after
    the rows before it: a caller that keeps nothing of a refused file must wait for the end)."""
    text = _text(source)
    handle = io.StringIO(text, newline="")
    reader = csv.reader(handle, strict=True)  # an unclosed quote is an error
    header = source.header
    last: Record | None = None
    try:
        next(reader)
        start = reader.line_num + 1
        for values in reader:
            line, start = start, reader.line_num + 1  # a record is named by its first line
            if not values or values == [""]:
                continue
            row: dict[str, Any] = dict(zip(header, values, strict=False))
            if len(values) != len(header):
                row["__width__"] = len(values)
            last = Record(row=line, values=row)
            source.read_to = handle.tell()
            yield last
    except csv.Error as exc:
        raise ExportProblem(f"CSV syntax error (truncated or damaged?): {exc}", reader.line_num) from None
    if last is not None and not text.endswith(("\n", "\r")) and "__width__" in last.values \
            and last.values["__width__"] < len(header):
        raise ExportProblem(f"the last row is cut short ({last.values['__width__']} of {len(header)} cells and no "
                            "line end): the export looks truncated", last.row)


def json_records(source: SourceFile, iterator: str) -> Iterator[Record]:
    """The records an iterator reaches, numbered 1.. in document order, read one top-level item at a time.

    Raises ExportProblem when the export is not valid JSON (after the records before the fault)."""
    number = 0
    for chunk in json_chunks(_text(source), [parse_iterator(iterator)], source.reach):
        for pointer, node in chunk[0]:
            number += 1
            yield Record(row=number, values=node, pointer=pointer)


def _text(source: SourceFile) -> str:
    if source.text is None:
        raise ValueError(f"{source.path} is not held (it was let go, or could not be read)")
    return source.text


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


def write_csv(source: SourceFile, drop: set[int], target: Path,
              extra: dict[str, tuple[str, Callable[[str], str]]] | None = None, blank_is_absent: bool = False,
              rewrite: dict[str, Callable[[str], str]] | None = None) -> None:
    """Write the header and the rows not dropped (by line number) to the staging copy, a row at a time.

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
        try:
            for record in csv_records(source):
                if record.row in drop:
                    continue
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
        except ExportProblem as exc:  # the check read this file whole: it cannot fail here unless it changed
            raise changed(source, exc) from None


def read_document(source: SourceFile) -> Any:
    """A JSON export parsed whole, from the text read for staging (`read_file` with the check's digest), for a
    record set staged as a document rather than a table."""
    return json.loads(_text(source), parse_float=Decimal)


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
