"""Record contracts: what each source's exports hold, field by field (`loaders/contracts/<source>.json`).

A contract declares, per record set (a CSV file, or the records a JSONPath iterator reaches in a JSON
file), the fields the mapping reads with their type, whether they are required, patterns, enumerations
and references. This module reads and checks the contracts themselves; checking.py holds records to them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from cxgraph.build.records import parse_iterator
from cxgraph.errors import CxGraphError
from cxgraph.project import Project

TYPES = {"string", "integer", "decimal", "boolean", "date", "datetime", "email", "currency", "iri", "list"}
RULE_KEYS = {"type", "required", "pattern", "enum", "references", "description", "minimum", "maximum"}

@dataclass(frozen=True)
class FieldRule:
    """The checks for one field of a record set."""

    name: str
    type: str = "string"
    required: bool = False
    pattern: re.Pattern[str] | None = None
    enum: tuple[str, ...] | None = None
    references: tuple[str, str, str] | None = None  # (source, record set, field)
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class RecordSet:
    """A file (or the records one JSONPath iterator reaches in it) with its field rules."""

    source: str
    name: str
    file: str
    format: str
    fields: dict[str, FieldRule]
    key: tuple[str, ...] = ()
    iterator: str | None = None
    parent: str | None = None
    allow_empty: bool = False


@dataclass
class Contract:
    source: str
    path: Path
    record_sets: dict[str, RecordSet]


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(f'"{needle}"')
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def _bound(spec: dict[str, Any], key: str, name: str, fail: Any) -> float | None:
    """A field's `minimum` or `maximum`: a number, for integer and decimal fields."""
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(f"field {name!r}: {key} must be a number", name)
    return value


def load_contract(path: Path, source: str) -> Contract:
    """Parse and check a contract file; a broken one stops the run naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
        doc = json.loads(text)
    except FileNotFoundError:
        raise CxGraphError("contract file not found", path) from None
    except json.JSONDecodeError as exc:
        raise CxGraphError(f"invalid JSON: {exc.msg}", path, exc.lineno) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("record_sets"), dict):
        raise CxGraphError("a contract needs a 'record_sets' object", path, 1)
    if doc.get("source", source) != source:
        raise CxGraphError(
            f"contract says source {doc['source']!r} but sources.yaml registers it for {source!r}",
            path,
            _line_of(text, "source"),
        )
    record_sets: dict[str, RecordSet] = {}
    for name, spec in doc["record_sets"].items():
        line = _line_of(text, name)

        def fail(message: str, needle: str | None = None, *, _name: str = name, _line: int | None = line,
                 ) -> NoReturn:
            raise CxGraphError(
                f"record set {_name!r}: {message}", path, _line_of(text, needle) if needle else _line
            )

        if not isinstance(spec, dict):
            fail("expected an object")
        fmt = spec.get("format")
        if fmt not in ("csv", "json"):
            fail(f"format must be 'csv' or 'json', not {fmt!r}")
        if not isinstance(spec.get("file"), str):
            fail("missing 'file'")
        iterator = spec.get("iterator")
        if fmt == "json":
            if not isinstance(iterator, str):
                fail("a JSON record set needs an 'iterator' such as \"$.orders[*]\"")
            try:
                parse_iterator(iterator)
            except ValueError as exc:
                fail(str(exc), "iterator")
        if not isinstance(spec.get("fields"), dict) or not spec["fields"]:
            fail("missing 'fields'")
        rules: dict[str, FieldRule] = {}
        for fname, fspec in spec["fields"].items():
            if not isinstance(fspec, dict):
                fail(f"field {fname!r}: expected an object", fname)
            unknown = set(fspec) - RULE_KEYS
            if unknown:
                fail(f"field {fname!r}: unknown rule {sorted(unknown)[0]!r}", fname)
            ftype = fspec.get("type", "string")
            if ftype not in TYPES:
                fail(f"field {fname!r}: unknown type {ftype!r} (one of {', '.join(sorted(TYPES))})", fname)
            pattern = None
            if "pattern" in fspec:
                try:
                    pattern = re.compile(fspec["pattern"])
                except re.error as exc:
                    fail(f"field {fname!r}: bad pattern: {exc}", fname)
            enum = fspec.get("enum")
            if enum is not None and (not isinstance(enum, list) or not enum):
                fail(f"field {fname!r}: 'enum' must be a non-empty list", fname)
            ref = None
            if "references" in fspec:
                target = str(fspec["references"])
                match = re.fullmatch(r"(?:([\w-]+):)?([\w-]+)\.([\w.-]+)", target)
                if not match:
                    fail(f"field {fname!r}: references must be 'recordset.field' or 'source:recordset.field'", fname)
                ref = (match.group(1) or source, match.group(2), match.group(3))
            rules[fname] = FieldRule(
                name=fname,
                type=ftype,
                required=bool(fspec.get("required", False)),
                pattern=pattern,
                enum=tuple(str(v) for v in enum) if enum else None,
                references=ref,
                minimum=_bound(fspec, "minimum", fname, fail),
                maximum=_bound(fspec, "maximum", fname, fail),
            )
        key = spec.get("key", ())
        key = (key,) if isinstance(key, str) else tuple(key)
        for k in key:
            if k not in rules:
                fail(f"key field {k!r} is not declared in 'fields'", "key")
        parent = spec.get("parent")
        allow_empty = spec.get("allow_empty", False)
        if not isinstance(allow_empty, bool):
            fail("'allow_empty' must be true or false", "allow_empty")
        record_sets[name] = RecordSet(
            source=source,
            name=name,
            file=spec["file"],
            format=fmt,
            fields=rules,
            key=key,
            iterator=iterator,
            parent=parent,
            allow_empty=allow_empty,
        )
    for rs in record_sets.values():
        if rs.parent and rs.parent not in record_sets:
            raise CxGraphError(
                f"record set {rs.name!r}: parent {rs.parent!r} is not a record set of this contract",
                path,
                _line_of(text, rs.parent),
            )
    return Contract(source=source, path=path, record_sets=record_sets)


def load_contracts(project: Project) -> dict[str, Contract]:
    """Every source's contract, with cross-contract references and file lists checked."""
    contracts = {name: load_contract(src.contract, name) for name, src in project.sources.items()}
    for name, contract in contracts.items():
        listed = set(project.sources[name].files)
        covered = {rs.file for rs in contract.record_sets.values()}
        for missing in sorted(covered - listed):
            raise CxGraphError(
                f"contract reads {missing!r}, which sources.yaml does not list for source {name!r}",
                contract.path,
                _line_of(contract.path.read_text(encoding="utf-8"), missing),
            )
        for extra in sorted(listed - covered):
            raise CxGraphError(
                f"source {name!r} lists {extra!r} but its contract {contract.path.name} has no record set for it",
                project.registry,
            )
        for rs in contract.record_sets.values():
            for rule in rs.fields.values():
                if not rule.references:
                    continue
                src, target_rs, target_field = rule.references
                target = contracts.get(src)
                if target is None or target_rs not in target.record_sets:
                    raise CxGraphError(
                        f"field {rule.name!r} references {src}:{target_rs}, which no contract declares",
                        contract.path,
                        _line_of(contract.path.read_text(encoding="utf-8"), rule.name),
                    )
                if target_field not in target.record_sets[target_rs].fields:
                    raise CxGraphError(
                        f"field {rule.name!r} references {src}:{target_rs}.{target_field}, an undeclared field",
                        contract.path,
                        _line_of(contract.path.read_text(encoding="utf-8"), rule.name),
                    )
    return contracts
