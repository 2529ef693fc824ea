"""Staging: the accepted records written to the copy of each export that the mapping engine reads.

Values the mapping writes into IRIs unencoded are percent-encoded here (iri.raw_iri_value), so that no
value can end an IRI and start a quad of its own; days written as midnights become days, and local
timestamps get their zone's offset.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cxgraph.build.checking import Checked, MappingNeeds, RecordSetState
from cxgraph.build.contract import Contract
from cxgraph.build.iri import raw_iri_value
from cxgraph.build.mapping_names import raw_column
from cxgraph.build.records import (
    json_value,
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
) -> dict[tuple[str, str, str | None], str]:
    """Write each source's accepted records to the staging copy the mapping engine reads.

    Values the mapping writes into IRIs unencoded are percent-encoded here (iri.raw_iri_value), so that
    no value can end an IRI and start a quad of its own. A JSON record set whose fields hold single values is
    also written as a table (`json_tables`); returns (source, file, iterator) -> that table's path in the
    staging folder, for the staged mappings to read instead.
    """
    needs = needs or {}
    tables: dict[tuple[str, str, str | None], str] = {}
    for source in sources:
        by_file: dict[str, list[RecordSetState]] = defaultdict(list)
        for rs in contracts[source.name].record_sets.values():
            by_file[rs.file].append(checked.states[(source.name, rs.name)])
        for rel, states in by_file.items():
            parsed = checked.files[project.data_root / rel]
            target = staging_root / rel
            if parsed.format == "csv":
                parsed = read_file(parsed.path, "csv", parsed.digest)  # the rows were let go after the check
                bad_rows = {s.held.row(i) for s in states for i in s.bad}
                keep = {r.row for r in parsed.rows if r.row not in bad_rows}
                encode = {(name, kind): kind for s in states
                          for name, kinds in needs.get((source.name, s.record_set.name), MappingNeeds()).raw_iri.items()
                          for kind in kinds}
                write_csv(parsed, keep, target, {raw_column(n, k): (n, _encoder(k)) for (n, k) in encode},
                          blank_is_absent=True, rewrite=_zoned_fields(states, source.timezone))
            else:
                drop = {s.held.pointer(i) or () for s in states for i in s.bad}
                rewrites = [(s, needs.get((source.name, s.record_set.name), MappingNeeds())) for s in states]
                zoned = _zoned_fields(states, source.timezone)
                document = read_document(parsed)
                _encode_json(document, rewrites=rewrites, drop=drop, zoned=zoned)
                written = json_tables(document, rewrites, drop, staging_root, rel)
                tables.update({(source.name, rel, iterator): path for iterator, path in written.items()})
                if len(written) < len(states):  # a record set still reads the document
                    write_json(parsed, drop, target, document=document)
                del document  # before the next file is read: two whole documents at once were staging's peak
    return tables


def json_tables(document: Any, rewrites: list[tuple[RecordSetState, MappingNeeds]], drop: set[tuple[Any, ...]],
                staging_root: Path, rel: str) -> dict[str | None, str]:
    """Each record set of a staged JSON document whose fields all hold single values, written as CSV beside it
    (`<file>.<record set>.csv`, its fields and their IRI-safe copies as columns, an absent value blank).

    morph-kgc 2.10 reads a JSON source again, and walks it with its iterator, for every predicate-object entry of
    a mapping: 57% of its time on the commerce orders at 10,000 customers. A table it reads once per entry too,
    but only the columns the entry names, with pandas' C parser. Returns iterator -> the table's path."""
    written: dict[str | None, str] = {}
    for state, need in rewrites:
        columns = list(state.record_set.fields)
        columns += [raw_column(name, kind) for name, kinds in need.raw_iri.items() for kind in sorted(kinds)]
        held = state.held
        path = f"{rel}.{state.record_set.name}.csv"
        target = staging_root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        complete = False
        with target.open("w", encoding="utf-8", newline="") as handle:  # row by row: the table is not held whole
            writer = csv.writer(handle)
            writer.writerow(columns)
            for index in range(len(held)):
                pointer = held.pointer(index) or ()
                if index in state.bad or pointer in drop:
                    continue
                node = document
                for part in pointer:
                    node = node[part]
                cells = [scalar_text(node.get(column) if isinstance(node, dict) and column in node
                                     else json_value(node, column)) for column in columns]
                if any(cell is None for cell in cells):
                    break  # a list or an object: the engine reads this record set from the document
                writer.writerow([cell or "" for cell in cells])
            else:
                complete = True
        if complete:
            written[state.record_set.iterator] = path
        else:
            target.unlink()
    return written


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
        held = state.held
        for index in range(len(held)):
            pointer = held.pointer(index)
            if index in state.bad or pointer in drop:
                continue
            node = document
            for part in pointer or ():
                node = node[part]
            for name in state.record_set.fields:  # a blank value is absent, as the contract check read it
                set_json_value(node, name, lambda v: None if v.strip() == "" else v)
            for name, change in (zoned or {}).items():
                if name in state.record_set.fields:
                    set_json_value(node, name, change)
            for name, kinds in need.raw_iri.items():  # IRI-safe copies beside the value, which literals keep
                value = json_value(node, name)
                for kind in kinds:
                    encode = _encoder(kind)
                    if isinstance(value, str) and value.strip():
                        node[raw_column(name, kind)] = encode(value)
                    elif isinstance(value, list):
                        node[raw_column(name, kind)] = [encode(v) for v in value if isinstance(v, str) and v.strip()]
