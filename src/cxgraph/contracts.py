"""Record contracts: every source row is either accepted for mapping or quarantined with its reason.

A contract (`loaders/contracts/<source>.json`) declares, per record set (a CSV file, or the records a
JSONPath iterator reaches in a JSON file), the fields the mapping reads with their type, whether they
are required, patterns, enumerations and references. Checking happens before mapping because a
mapping engine silently drops a triple whose template meets an empty value, and writes dirty values
such as "N/A" as ill-typed literals: the contract is what makes "nothing is lost" checkable.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .config import Project, Source
from .errors import CxGraphError
from .iri import raw_iri_value
from .mapping_names import raw_column
from .records import (
    Record,
    SourceFile,
    json_records,
    json_value,
    parse_iterator,
    read_file,
    set_json_value,
    write_csv,
    write_json,
)

TYPES = {"string", "integer", "decimal", "boolean", "date", "datetime", "email", "currency", "iri", "list"}
RULE_KEYS = {"type", "required", "pattern", "enum", "references", "description", "minimum", "maximum"}

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DATE = re.compile(r"-?\d{4,}-\d\d-\d\d")
_DATETIME = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
_MIDNIGHT = re.compile(r"(\d{4}-\d\d-\d\d)[T ]00:00(:00(\.0+)?)?")  # a day some exports write as a midnight
_TIMED_DAY = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?")
_LOCAL_DATETIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?")  # zone-less, read in a source's zone
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CURRENCY = re.compile(r"[A-Z]{3}")
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")


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


@dataclass(frozen=True)
class Issue:
    """Why one row was quarantined: file, row, column, value and the rule it broke."""

    source: str
    record_set: str
    file: str
    row: int | None
    locator: str
    column: str
    value: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "record_set": self.record_set,
            "file": self.file,
            "row": self.row,
            "locator": self.locator,
            "column": self.column,
            "value": self.value,
            "rule": self.rule,
            "message": self.message,
        }


@dataclass
class RecordSetCount:
    """Rows of one record set: read, quarantined, and loaded as counted in the graph after mapping.

    `loaded` is None until the build has looked for each accepted row's subject in the graph.
    """

    source: str
    record_set: str
    file: str
    read: int = 0
    quarantined: int = 0
    loaded: int | None = None
    verified: bool = True  # False: no subject template to find rows by, so loaded = accepted is assumed

    @property
    def accepted(self) -> int:
        return self.read - self.quarantined


@dataclass
class CheckResult:
    """What the contract check decided for every record of every checked source."""

    counts: dict[tuple[str, str], RecordSetCount] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    file_problems: list[Issue] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    refused: dict[str, list[Issue]] = field(default_factory=dict)  # source -> the file problems that refused it

    def for_source(self, source: str) -> list[RecordSetCount]:
        return [c for (s, _), c in self.counts.items() if s == source]

    def issues_for(self, source: str) -> list[Issue]:
        return [i for i in self.issues if i.source == source]


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

        def fail(message: str, needle: str | None = None, *, _name: str = name, _line: int | None = line) -> None:
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


def _text(value: Any) -> str | None:
    """A scalar as the text a mapping engine will see; None for absent or empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text if text.strip() != "" else None


def _show(value: Any) -> str:
    """A value as the quarantine report shows it: always printable UTF-8 (bad bytes as \\xe9, lone
    surrogates as \\ud83d)."""
    if not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, default=_text)
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    try:
        return repr(value.encode("utf-8", errors="surrogateescape"))[2:-1]
    except UnicodeEncodeError:
        return value.encode("utf-8", errors="backslashreplace").decode("utf-8")


def in_zone(value: str, zone: str) -> tuple[str | None, str | None]:
    """A zone-less local timestamp read in the source's IANA zone: (xsd:dateTime with offset, None) or (None, why).

    A local time that the zone skips (clocks going forward) or passes twice (clocks going back) names no
    single instant, so it is refused rather than guessed.
    """
    from zoneinfo import ZoneInfo

    text = value.strip()
    if not _LOCAL_DATETIME.fullmatch(text):
        return None, "expected a timestamp such as 2017-10-02 10:56:33 (read in the source's time zone)"
    try:
        local = datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        return None, "not a valid timestamp"
    tz = ZoneInfo(zone)
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        return None, f"local time {text} does not exist in {zone} (clocks went forward)"
    if first.utcoffset() != second.utcoffset():
        return None, f"local time {text} happens twice in {zone} (clocks went back): the instant is ambiguous"
    # the text as written (fractions kept), with the offset in whole minutes (old local mean times have seconds,
    # which xsd:dateTime cannot hold)
    offset = round(first.utcoffset().total_seconds() / 60)  # type: ignore[union-attr]
    sign, minutes = ("-" if offset < 0 else "+"), abs(offset)
    stamp = text.replace(" ", "T") + (":00" if len(text) == 16 else "")
    return f"{stamp}{sign}{minutes // 60:02d}:{minutes % 60:02d}", None


def check_value(rule: FieldRule, raw: Any, zone: str | None = None) -> tuple[str, str] | None:
    """(rule id, message) when `raw` breaks the field rule, else None.

    `zone`: the source's time zone (sources.yaml `timezone`), in which zone-less timestamps are read.
    """
    if rule.type == "list":
        if raw is None:
            return ("required", "required value is missing") if rule.required else None
        if not isinstance(raw, list) or not all(isinstance(v, str) and v for v in raw):
            return ("type", "expected a list of non-empty strings")
        if rule.required and not raw:
            return ("required", "required list is empty")
        return None
    if isinstance(raw, (dict, list)):
        return ("type", f"expected a single {rule.type} value, found a JSON {type(raw).__name__}")
    value = _text(raw)
    if value is None:
        return ("required", "required value is missing") if rule.required else None
    if _has_surrogates(value):
        return ("encoding", "value is not valid UTF-8")
    kind = rule.type
    if isinstance(raw, bool) and kind != "boolean":
        return ("type", f"expected {kind}, found a JSON boolean")
    if kind == "integer" and not _INTEGER.fullmatch(value):
        return ("type", "expected an integer")
    if kind == "integer" and abs(int(value)) > 2**53:  # morph-kgc maps integers through a float
        return ("range", "integer too large to map exactly (more than 2^53); declare the field a string")
    if kind == "decimal" and not _DECIMAL.fullmatch(value):
        return ("type", "expected a decimal number such as 12.50")
    if kind == "boolean" and value not in ("true", "false", "1", "0"):
        return ("type", "expected true or false")
    if kind == "date":
        day = _MIDNIGHT.fullmatch(value)
        if day is None and _TIMED_DAY.fullmatch(value):
            return ("type", "a date field holds days, but this value is a point in time; declare the field datetime")
        if not _DATE.fullmatch(value) and day is None:
            return ("type", "expected a date YYYY-MM-DD")
        try:
            date.fromisoformat(day.group(1) if day else value)
        except ValueError:
            return ("type", "not a calendar date")
    if kind == "datetime" and zone and _LOCAL_DATETIME.fullmatch(value.strip()):
        _stamp, why = in_zone(value, zone)
        if why:
            return ("timezone", why)
    elif kind == "datetime":
        if not _DATETIME.fullmatch(value):
            return ("type", "expected an ISO 8601 timestamp such as 2026-11-03T14:22:01+00:00")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return ("type", "not a valid timestamp")
        if parsed.tzinfo is None:
            return ("timezone", "timestamp has no time zone; the instant is ambiguous (a source whose "
                    "timestamps are local declares `timezone:` in sources.yaml, e.g. America/Sao_Paulo)")
    if kind == "email" and not _EMAIL.fullmatch(value.strip()):
        return ("type", "expected an e-mail address")
    if kind == "currency" and not _CURRENCY.fullmatch(value):
        return ("type", "expected an ISO 4217 currency code such as GBP")
    if kind == "iri" and not _IRI.fullmatch(value):
        return ("type", "expected an absolute IRI")
    if rule.minimum is not None and kind in ("integer", "decimal") and float(value) < rule.minimum:
        return ("minimum", f"must be at least {rule.minimum}")
    if rule.maximum is not None and kind in ("integer", "decimal") and float(value) > rule.maximum:
        return ("maximum", f"must be at most {rule.maximum}")
    if rule.enum is not None and value not in rule.enum:
        return ("enum", f"not one of the allowed values: {', '.join(rule.enum)}")
    if rule.pattern is not None and not rule.pattern.fullmatch(value):
        return ("pattern", f"does not match {rule.pattern.pattern}")
    return None


@dataclass
class _Checked:
    record_set: RecordSet
    records: list[Record]
    bad: dict[int, Issue] = field(default_factory=dict)  # index -> first issue


@dataclass
class MappingNeeds:
    """What the mapping of one record set needs from its records beyond the contract (mapping.py finds it).

    `subject_fields`: fields of the subject template (a row without them would vanish silently);
    `raw_iri`: fields written into IRIs without encoding, with the positions they take ("whole" IRI,
    IRI "fragment").
    """

    subject_fields: tuple[str, ...] = ()
    raw_iri: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class Checked:
    """The typed outcome of `check`: the decision per record, the parsed files and the per-record-set state."""

    result: CheckResult
    files: dict[Path, SourceFile]
    states: dict[tuple[str, str], _Checked]

    def __iter__(self) -> Any:  # (result, files, states), as the older tuple return value unpacked
        return iter((self.result, self.files, self.states))


def _field(rs: RecordSet, record: Record, name: str) -> Any:
    return json_value(record.values, name) if rs.format == "json" else record.values.get(name)


def _to_check(project: Project, contracts: dict[str, Contract], selected: set[str]) -> tuple[list[str], list[str]]:
    """The selected sources plus those their references point into, when their exports are present."""
    wanted, skipped = list(selected), []
    frontier = list(selected)
    while frontier:
        name = frontier.pop()
        for rs in contracts[name].record_sets.values():
            for rule in rs.fields.values():
                target = rule.references[0] if rule.references else None
                if target is None or target in wanted or target in skipped:
                    continue
                present = all((project.data_root / f).exists() for f in project.sources[target].files)
                (wanted if present else skipped).append(target)
                if present:
                    frontier.append(target)
    order = list(contracts)
    return sorted(wanted, key=order.index), skipped


def _file_problem(rs: RecordSet, parsed: SourceFile, records: list[Record]) -> tuple[str, str, int | None] | None:
    """(rule, message, line) when a file cannot be loaded as a whole: the source is refused, not emptied."""
    if parsed.problem:
        rule = "empty-file" if parsed.problem == "empty file" else (
            "missing-file" if parsed.problem.startswith("missing") else "unreadable-file")
        return rule, parsed.problem, parsed.problem_line
    if rs.format == "csv":
        if any(_has_surrogates(h) for h in parsed.header):
            return "encoding", "the header is not valid UTF-8 (is the export in another encoding?)", 1
        missing = [f for f in rs.fields if f not in parsed.header]
        if missing:
            return ("missing-column", f"no column {', '.join(missing)} (declared in the contract); the header has: "
                    f"{', '.join(parsed.header)}", 1)
    if not records and not rs.allow_empty:
        where = "only a header line" if rs.format == "csv" else f"no records at {rs.iterator}"
        return ("no-records", f"{where}: refusing to replace the graph with nothing (set \"allow_empty\": true "
                f"on record set {rs.name!r} if an empty export is normal)", None)
    return None


def check(
    project: Project, contracts: dict[str, Contract], selected: set[str] | None = None,
    needs: dict[tuple[str, str], MappingNeeds] | None = None, max_field_chars: int | None = None,
    refused: set[str] | None = None,
) -> Checked:
    """Check the records of the selected sources (and those they reference) against their contracts.

    A file that cannot be read as a whole (empty, header only, truncated, undecodable, missing a
    declared column) refuses its source: `result.refused`; that source is not mapped and its graph
    stays as it was. References into a refused source, or into one whose exports are not in the data
    folder, are left unchecked (`result.unchecked`) rather than quarantining every row that uses them.
    References are resolved against accepted records only.
    """
    result = CheckResult()
    files: dict[Path, SourceFile] = {}
    checked: dict[tuple[str, str], _Checked] = {}
    needs = needs or {}
    limit = max_field_chars or project.max_field_chars
    names, result.unchecked = _to_check(project, contracts, set(selected or contracts))
    for source in sorted(refused or ()):  # refused before (the shrink guard): as unreadable, not checked
        result.refused[source] = []
    for source in names:
        if source in result.refused:
            for rs in contracts[source].record_sets.values():
                result.counts[(source, rs.name)] = RecordSetCount(source=source, record_set=rs.name, file=rs.file)
            continue
        contract = contracts[source]
        zone = project.sources[source].timezone if source in project.sources else None
        for rs in contract.record_sets.values():
            path = project.data_root / rs.file
            if path not in files:
                files[path] = read_file(path, rs.format)
            parsed = files[path]
            count = RecordSetCount(source=source, record_set=rs.name, file=rs.file)
            result.counts[(source, rs.name)] = count
            records = [] if parsed.problem else (
                parsed.rows if rs.format == "csv" else json_records(parsed, rs.iterator or "$"))
            problem = _file_problem(rs, parsed, records)
            if problem:
                issue = Issue(source, rs.name, rs.file, problem[2], "file", "", "", problem[0], problem[1])
                if issue not in result.file_problems:
                    result.file_problems.append(issue)
                result.refused.setdefault(source, []).append(issue)
                checked[(source, rs.name)] = _Checked(rs, [])
                continue
            count.read = len(records)
            state = _Checked(rs, records)
            checked[(source, rs.name)] = state
            need = needs.get((source, rs.name), MappingNeeds())
            seen_keys: dict[tuple[str, ...], int] = {}
            for index, record in enumerate(records):
                issue = _check_record(rs, record, need, limit, zone)
                if issue is None and rs.key:
                    key = tuple(str(_text(_field(rs, record, k))) for k in rs.key)
                    if key in seen_keys:
                        issue = Issue(source, rs.name, rs.file, record.row, record.locator, ",".join(rs.key),
                                      "|".join(key), "duplicate-key",
                                      f"duplicate key; first seen in row {seen_keys[key]}")
                    else:
                        seen_keys[key] = record.row
                if issue:
                    state.bad[index] = issue
    for source in result.refused:
        for rs_name in contracts[source].record_sets:
            checked.pop((source, rs_name), None)
            count = result.counts[(source, rs_name)]
            count.read = count.quarantined = 0
        if source not in result.unchecked:
            result.unchecked.append(source)
    skip = set(result.unchecked)
    # Parents first, then references, repeated until nothing changes (a quarantined record can leave
    # another record's reference dangling).
    changed = True
    while changed:
        changed = False
        accepted_values: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        quarantined_values: dict[tuple[str, str, str], dict[str, Issue]] = defaultdict(dict)
        for (source, name), state in checked.items():
            for index, record in enumerate(state.records):
                for fname in state.record_set.fields:
                    raw = _field(state.record_set, record, fname)
                    for value in raw if isinstance(raw, list) else [raw]:
                        text = _text(value)
                        if text is None:
                            continue
                        if index in state.bad:
                            quarantined_values[(source, name, fname)].setdefault(text, state.bad[index])
                        else:
                            accepted_values[(source, name, fname)].add(text)
        for (source, _name), state in checked.items():
            rs = state.record_set
            parent_state = checked.get((source, rs.parent)) if rs.parent else None
            bad_parents = (
                {parent_state.records[i].pointer for i in parent_state.bad} if parent_state else set()
            )
            for index, record in enumerate(state.records):
                if index in state.bad:
                    continue
                issue = None
                if bad_parents and any(record.pointer[: len(p)] == p for p in bad_parents):
                    issue = Issue(source, rs.name, rs.file, record.row, record.locator, "", "",
                                  "parent-quarantined", f"its {rs.parent} record was quarantined")
                for rule in rs.fields.values():
                    if issue or not rule.references or rule.references[0] in skip:
                        continue
                    raw = _field(rs, record, rule.name)
                    values = raw if isinstance(raw, list) else [raw]
                    for value in values:
                        text = _text(value)
                        if text is not None and text not in accepted_values[rule.references]:
                            src, target_rs, target_field = rule.references
                            cause = quarantined_values[rule.references].get(text)
                            if cause is not None:  # say why, not "missing": the record is there, quarantined
                                why = f"{cause.rule}" + (f" on {cause.column}" if cause.column else "")
                                issue = Issue(source, rs.name, rs.file, record.row, record.locator, rule.name, text,
                                              "reference-quarantined",
                                              f"{src} {target_rs} {text} was quarantined ({why}: {cause.message}; "
                                              f"{cause.file} {cause.locator})")
                            else:
                                issue = Issue(source, rs.name, rs.file, record.row, record.locator, rule.name, text,
                                              "dangling-reference",
                                              f"no accepted {src} {target_rs} record has {target_field} = {text}")
                            break
                if issue:
                    state.bad[index] = issue
                    changed = True
    for (source, name), state in checked.items():
        result.counts[(source, name)].quarantined = len(state.bad)
        result.issues.extend(state.bad[i] for i in sorted(state.bad))
    return Checked(result, files, checked)


def _has_surrogates(value: str) -> bool:
    """Not writable as UTF-8: bytes that were not UTF-8 (surrogate escapes) or a lone JSON surrogate (\\ud83d)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _strings(node: Any) -> list[tuple[str, str]]:
    """(dotted name, text) of every string in a JSON record, nested ones included."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[str, Any]] = [("", node)]
    while stack:
        name, value = stack.pop()
        if isinstance(value, str):
            found.append((name, value))
        elif isinstance(value, dict):
            stack.extend((f"{name}.{k}" if name else str(k), v) for k, v in value.items())
        elif isinstance(value, list) and not any(isinstance(v, dict) for v in value):
            stack.extend((name, v) for v in value)  # lists of objects are child records, checked as such
    return found


MAX_JSON_DEPTH = 64


def _depth(node: Any) -> int:
    """How deeply a JSON value nests (iteratively: a deep value must not exhaust the stack here)."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        value, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        if isinstance(value, dict):
            stack.extend((v, level + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, level + 1) for v in value)
    return deepest


def _check_record(
    rs: RecordSet, record: Record, need: MappingNeeds, limit: int, zone: str | None = None,
) -> Issue | None:
    def issue(column: str, value: Any, rule: str, message: str) -> Issue:
        return Issue(rs.source, rs.name, rs.file, record.row, record.locator, column,
                     "" if value is None else _show(value)[:200], rule, message)

    if rs.format == "csv" and "__width__" in record.values:
        return issue("", str(record.values["__width__"]), "row-width",
                     "row has a different number of cells than the header")
    if rs.format == "json" and not isinstance(record.values, dict):
        return issue("", record.values, "type", "expected a JSON object")
    if rs.format == "json" and _depth(record.values) > MAX_JSON_DEPTH:
        return issue("", "", "too-deep", f"a value is nested more than {MAX_JSON_DEPTH} levels deep")
    # Every value of the row, read by the mapping or not, is written to the staging copy: it must be text.
    texts = (list(record.values.items()) if rs.format == "csv" else _strings(record.values))
    for name, value in texts:
        if not isinstance(value, str):
            continue
        if _has_surrogates(value):
            return issue(name, value, "encoding", "value is not valid UTF-8")
        if "\x00" in value and rs.format == "csv":
            return issue(name, value, "encoding", "value holds a NUL character, which the mapping engine cuts off")
        if len(value) > limit:
            return issue(name, value, "too-long", f"value has {len(value):,} characters; the limit is {limit:,} "
                         "(max_field_chars in sources.yaml)")
    for name, rule in rs.fields.items():
        raw = _field(rs, record, name)
        broken = check_value(rule, raw, zone)
        if broken:
            return issue(name, raw, broken[0], broken[1])
    for name in need.subject_fields:
        if _text(_field(rs, record, name)) is None:
            return issue(name, None, "required", "the mapping's subject needs this value (the row would vanish)")
    for name, kinds in need.raw_iri.items():
        raw = _field(rs, record, name)
        for value in raw if isinstance(raw, list) else [raw]:
            text = _text(value)
            if text is None:
                continue
            for kind in sorted(kinds):
                _mapped, why = raw_iri_value(text, whole=kind == "whole")
                if why:
                    return issue(name, text, "iri", why)
    return None


def stage(
    sources: list[Source], contracts: dict[str, Contract], files: dict[Path, SourceFile], checked: dict,
    project: Project, staging_root: Path, needs: dict[tuple[str, str], MappingNeeds] | None = None,
) -> None:
    """Write each source's accepted records to the staging copy the mapping engine reads.

    Values the mapping writes into IRIs unencoded are percent-encoded here (iri.raw_iri_value), so that
    no value can end an IRI and start a quad of its own.
    """
    needs = needs or {}
    for source in sources:
        by_file: dict[str, list[_Checked]] = defaultdict(list)
        for rs in contracts[source.name].record_sets.values():
            by_file[rs.file].append(checked[(source.name, rs.name)])
        for rel, states in by_file.items():
            parsed = files[project.data_root / rel]
            target = staging_root / rel
            if parsed.format == "csv":
                bad_rows = {s.records[i].row for s in states for i in s.bad}
                keep = {r.row for r in parsed.rows if r.row not in bad_rows}
                encode = {(name, kind): kind for s in states
                          for name, kinds in needs.get((source.name, s.record_set.name), MappingNeeds()).raw_iri.items()
                          for kind in kinds}
                write_csv(parsed, keep, target, {raw_column(n, k): (n, _encoder(k)) for (n, k) in encode},
                          blank_is_absent=True, rewrite=_zoned_fields(states, source.timezone))
            else:
                drop = {s.records[i].pointer for s in states for i in s.bad}
                rewrites = [(s, needs.get((source.name, s.record_set.name), MappingNeeds())) for s in states]
                zoned = _zoned_fields(states, source.timezone)
                write_json(parsed, drop, target,
                           lambda doc, r=rewrites, d=drop, z=zoned: _encode_json(doc, r, d, z))


def _zoned_fields(states: list[_Checked], zone: str | None) -> dict[str, Callable[[str], str]]:
    """How values are written to the staging copy when the export's form is not the literal's.

    A day written as a midnight (2017-10-18 00:00:00) in a `date` field is written as the day; with a
    declared time zone, a local `datetime` gets the zone's offset of that instant
    (2017-10-02T10:56:33-03:00), never as if it were UTC.
    """
    def day(value: str) -> str:
        found = _MIDNIGHT.fullmatch(value.strip())
        return found.group(1) if found else value

    def stamp(value: str) -> str:
        if not zone or not _LOCAL_DATETIME.fullmatch(value.strip()):
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


def _encode_json(document: Any, rewrites: list[tuple[_Checked, MappingNeeds]], drop: set[tuple[Any, ...]],
                 zoned: dict[str, Callable[[str], str]] | None = None) -> None:
    """Encode raw IRI values (and local timestamps) in place in the copy of a JSON document, before dropped
    records go."""
    for state, need in rewrites:
        for index, record in enumerate(state.records):
            if index in state.bad or record.pointer in drop:
                continue
            node = document
            for part in record.pointer:
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
