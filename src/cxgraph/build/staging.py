"""Staging: the accepted records written to the copy of each export that the mapping engine reads.

Values the mapping writes into IRIs unencoded are percent-encoded here (iri.raw_iri_value), so that no
value can end an IRI and start a quad of its own; days written as midnights become days, and local
timestamps get their zone's offset.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxgraph.build.checking import Checked, MappingNeeds, RecordSetState
from cxgraph.build.contract import Contract
from cxgraph.build.iri import raw_iri_value
from cxgraph.build.json_stream import ExportProblem, json_chunks
from cxgraph.build.mapping_names import raw_column
from cxgraph.build.records import (
    SourceFile,
    changed,
    json_value,
    parse_iterator,
    read_document,
    read_file,
    scalar_text,
    set_json_value,
    write_csv,
    write_json,
)
from cxgraph.build.values import LOCAL_DATETIME, MIDNIGHT, in_zone
from cxgraph.project import Project, Source


def stage(
    sources: list[Source], contracts: dict[str, Contract], checked: Checked, project: Project, staging_root: Path,
    needs: dict[tuple[str, str], MappingNeeds] | None = None,
) -> Staged:
    """Write each source's accepted records to the staging copy the mapping engine reads.

    Values the mapping writes into IRIs unencoded are percent-encoded here (iri.raw_iri_value), so that
    no value can end an IRI and start a quad of its own. A JSON record set whose fields hold single values is
    also written as a table (`json_tables`). An export that several sources read is staged once per source
    (`.sources/<source>/<file>`): each keeps only the rows its own contract accepted. Returns where the staged
    mappings must read instead of the export's own path (`Staged`).
    """
    needs = needs or {}
    staged = Staged()
    readers = Counter(rel for source in sources
                      for rel in {rs.file for rs in contracts[source.name].record_sets.values()})
    for source in sources:
        by_file: dict[str, list[RecordSetState]] = defaultdict(list)
        for rs in contracts[source.name].record_sets.values():
            by_file[rs.file].append(checked.states[(source.name, rs.name)])
        for rel, states in by_file.items():
            parsed = checked.files[project.data_root / rel]
            own = rel if readers[rel] == 1 else f"{SHARED}/{source.name}/{rel}"
            if own != rel:
                staged.moved[(source.name, rel)] = own
            target = staging_root / own
            if parsed.format == "csv":
                parsed = read_file(parsed.path, "csv", parsed.digest)  # the text was let go after the check
                bad_rows = {s.records.row(i) for s in states for i in s.bad}
                encode = {(name, kind): kind for s in states
                          for name, kinds in needs.get((source.name, s.record_set.name), MappingNeeds()).raw_iri.items()
                          for kind in kinds}
                write_csv(parsed, bad_rows, target, {raw_column(n, k): (n, _encoder(k)) for (n, k) in encode},
                          blank_is_absent=True, rewrite=_zoned_fields(states, source.timezone))
            else:
                parsed = read_file(parsed.path, "json", parsed.digest)
                drop = {s.records.pointer(i) or () for s in states for i in s.bad}
                rewrites = [(s, needs.get((source.name, s.record_set.name), MappingNeeds())) for s in states]
                zoned = _zoned_fields(states, source.timezone)
                written = json_tables(parsed, rewrites, drop, zoned, staging_root, own)
                staged.tables.update({(source.name, rel, iterator): path for iterator, path in written.items()})
                if len(written) < len(states):  # a record set still reads the document: staged whole
                    document = read_document(parsed)
                    parsed.text = None  # the document is parsed: its text need not stay beside it and its dump
                    _encode_json(document, rewrites=rewrites, drop=drop, zoned=zoned)
                    write_json(parsed, drop, target, document=document)
                    del document
    return staged


SHARED = ".sources"  # where an export several sources read is staged once per source (no `~`: morph-kgc's separator)


@dataclass
class Staged:
    """Where each source's staged mapping reads, where it is not the export's own path in the staging folder."""

    tables: dict[tuple[str, str, str | None], str] = field(default_factory=dict)  # (source, file, iterator) -> table
    moved: dict[tuple[str, str], str] = field(default_factory=dict)  # (source, file) -> its own staged copy


def json_tables(source: SourceFile, rewrites: list[tuple[RecordSetState, MappingNeeds]], drop: set[tuple[Any, ...]],
                zoned: dict[str, Callable[[str], str]], staging_root: Path, rel: str) -> dict[str | None, str]:
    """Each record set of a JSON export whose fields all hold single values, written as CSV in the staging folder
    (`<file>.<record set>.csv`, its fields and their IRI-safe copies as columns, an absent value blank), the
    accepted records encoded as `_encode_json` encodes them in the staged document.

    morph-kgc 2.10 reads a JSON source again, and walks it with its iterator, for every predicate-object entry of
    a mapping: 57% of its time on the commerce orders at 10,000 customers. A table it reads once per entry too,
    but only the columns the entry names, with pandas' C parser. The export is read a top-level item at a time
    and each table written row by row, so neither is held whole. Returns iterator -> the table's path."""
    written: dict[str | None, str] = {}
    iterators = [parse_iterator(state.record_set.iterator or "$") for state, _need in rewrites]
    tables: list[_Table | None] = []
    with ExitStack() as stack:
        for state, need in rewrites:
            columns = list(state.record_set.fields)
            columns += [raw_column(name, kind) for name, kinds in need.raw_iri.items() for kind in sorted(kinds)]
            path = f"{rel}.{state.record_set.name}.csv"
            target = staging_root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            handle = stack.enter_context(target.open("w", encoding="utf-8", newline=""))
            writer = csv.writer(handle)
            writer.writerow(columns)
            tables.append(_Table(path, target, columns, writer))
        counted = [0] * len(rewrites)
        try:
            for chunk in json_chunks(source.text or "", iterators):
                found = []
                for k, ((state, need), records) in enumerate(zip(rewrites, chunk, strict=True)):
                    kept = [(pointer, node) for index, (pointer, node) in enumerate(records, start=counted[k])
                            if index not in state.bad and pointer not in drop]
                    counted[k] += len(records)
                    for _pointer, node in kept:  # every record set's first, as in the staged document
                        _encode_node(node, state, need, zoned)
                    found.append(kept)
                for k, kept in enumerate(found):
                    table = tables[k]
                    if table is None:
                        continue
                    for _pointer, node in kept:
                        cells = [scalar_text(node.get(column) if isinstance(node, dict) and column in node
                                             else json_value(node, column)) for column in table.columns]
                        if any(cell is None for cell in cells):
                            tables[k] = None  # a list or an object: the engine reads this record set from the document
                            table.target.unlink()
                            break
                        table.writer.writerow([cell or "" for cell in cells])
        except ExportProblem as exc:  # the check read this file whole: it cannot fail here unless it changed
            raise changed(source, exc) from None
        if counted != [len(state.records) for state, _need in rewrites]:
            raise changed(source)
    for (state, _need), table in zip(rewrites, tables, strict=True):
        if table is not None:
            written[state.record_set.iterator] = table.path
    return written


@dataclass
class _Table:
    """A record set's table being written: where, its columns, its writer."""

    path: str
    target: Path
    columns: list[str]
    writer: Any


def _zoned_fields(states: list[RecordSetState], zone: str | None) -> dict[str, Callable[[str], str]]:
    """How values are written to the staging copy when the export's form is not the literal's.

    A day written as a midnight (2017-10-18 00:00:00) in a `date` field is written as the day; with a
    declared time zone, a local `datetime` gets the zone's offset of that instant
    (2017-10-02T10:56:33-03:00), never as if it were UTC.
    """
    def day(value: str) -> str:
        found = MIDNIGHT.fullmatch(value.strip())
        return found.group(1) if found else value

    def stamp(value: str) -> str:
        if not zone or not LOCAL_DATETIME.fullmatch(value.strip()):
            return value
        zoned, _why = in_zone(value, zone)
        return zoned or value

    changes: dict[str, Callable[[str], str]] = {}
    for state in states:
        for name, rule in state.record_set.fields.items():
            if rule.type == "date":
                changes[name] = day
            elif rule.type == "datetime" and zone:
                changes[name] = stamp
    return changes


def _encoder(kind: str) -> Any:
    def encode(value: str) -> str:
        mapped, _why = raw_iri_value(value, whole=kind == "whole")
        return mapped if mapped is not None else value
    return encode


def _encode_json(document: Any, rewrites: list[tuple[RecordSetState, MappingNeeds]], drop: set[tuple[Any, ...]],
                 zoned: dict[str, Callable[[str], str]] | None = None) -> None:
    """Encode raw IRI values (and local timestamps) in place in the copy of a JSON document, before dropped
    records go."""
    for state, need in rewrites:
        held = state.records
        for index in range(len(held)):
            pointer = held.pointer(index)
            if index in state.bad or pointer in drop:
                continue
            node = document
            for part in pointer or ():
                node = node[part]
            _encode_node(node, state, need, zoned or {})


def _encode_node(node: Any, state: RecordSetState, need: MappingNeeds, zoned: dict[str, Callable[[str], str]]) -> None:
    """Encode one accepted record in place: a blank value absent, local timestamps zoned, and an IRI-safe copy
    beside each value written into IRIs unencoded (which literals keep)."""
    for name in state.record_set.fields:  # a blank value is absent, as the contract check read it
        set_json_value(node, name, lambda v: None if v.strip() == "" else v)
    for name, change in zoned.items():
        if name in state.record_set.fields:
            set_json_value(node, name, change)
    for name, kinds in need.raw_iri.items():
        value = json_value(node, name)
        for kind in kinds:
            encode = _encoder(kind)
            if isinstance(value, str) and value.strip():
                node[raw_column(name, kind)] = encode(value)
            elif isinstance(value, list):
                node[raw_column(name, kind)] = [encode(v) for v in value if isinstance(v, str) and v.strip()]
