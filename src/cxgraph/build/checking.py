"""Checking records against their contracts: every source row is accepted for mapping or quarantined with its reason.

Checking happens before mapping because a mapping engine silently drops a triple whose template meets an
empty value, and writes dirty values such as "N/A" as ill-typed literals: the check is what makes
"nothing is lost" checkable. `check` returns a `Checked`: the decision per record set and record, and
the files it read (their digests: staging reads each again to write the accepted records, and must find the
file that was checked). Records are read from each export one at a time (a CSV row, a JSON top-level item) and
held in columns as they are checked, so no export is ever held parsed whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxgraph.build.contract import Contract, RecordSet
from cxgraph.build.held_records import HeldRecords, ValuePool
from cxgraph.build.iri import raw_iri_value
from cxgraph.build.json_stream import ExportProblem
from cxgraph.build.records import Record, SourceFile, csv_records, json_records, json_value, read_file
from cxgraph.build.values import check_value, has_surrogates, shown_value, value_text
from cxgraph.progress import Tick, silent
from cxgraph.project import Project


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


@dataclass
class RecordSetState:
    """One record set's records and the first issue of each bad one. `records` is a `HeldRecords` (filled as its
    records are checked): where each record is, and the fields read after the check."""

    record_set: RecordSet
    records: HeldRecords
    bad: dict[int, Issue] = field(default_factory=dict)  # index -> first issue


@dataclass
class MappingNeeds:
    """What the mapping of one record set needs from its records beyond the contract (pipeline.mapping_needs finds it).

    `subject_fields`: fields of the subject template (a row without them would vanish silently);
    `raw_iri`: fields written into IRIs without encoding, with the positions they take ("whole" IRI,
    IRI "fragment").
    """

    subject_fields: tuple[str, ...] = ()
    raw_iri: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class Checked:
    """The typed outcome of `check`: the decision per record, the files read (their digests) and the per-record-set
    state."""

    result: CheckResult
    files: dict[Path, SourceFile]
    states: dict[tuple[str, str], RecordSetState]

    def release_values(self) -> None:
        """Let go of the field values each record kept past the check (references, subject fields), once the
        subjects they make are known: what the build does after that needs only where each record is (row,
        JSON pointer). The exports themselves are let go as each source is checked, and staging reads them
        again (held to the end, they were most of a build's memory, which grew with every row)."""
        for state in self.states.values():
            state.records.release()


def field_value(rs: RecordSet, record: Record, name: str) -> Any:
    """A field of a record as parsed (CSV cell or JSON value by dotted name); None when absent."""
    return json_value(record.values, name) if rs.format == "json" else record.values.get(name)


def _to_check(project: Project, contracts: dict[str, Contract], selected: set[str]) -> tuple[list[str], list[str]]:
    """The selected sources plus those their references point into, when their exports are present."""
    wanted, skipped = list(selected), list[str]()
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


def _file_problem(rs: RecordSet, parsed: SourceFile) -> tuple[str, str, int | None] | None:
    """(rule, message, line) when a file cannot be loaded as a whole: the source is refused, not emptied."""
    if parsed.problem:
        rule = "empty-file" if parsed.problem == "empty file" else (
            "missing-file" if parsed.problem.startswith("missing") else "unreadable-file")
        return rule, parsed.problem, parsed.problem_line
    if rs.format == "csv":
        if any(has_surrogates(h) for h in parsed.header):
            return "encoding", "the header is not valid UTF-8 (is the export in another encoding?)", 1
        missing = [f for f in rs.fields if f not in parsed.header]
        if missing:
            return ("missing-column", f"no column {', '.join(missing)} (declared in the contract); the header has: "
                    f"{', '.join(parsed.header)}", 1)
    return None


def _syntax_first(rs: RecordSet, parsed: SourceFile) -> tuple[str, str, int | None] | None:
    """A CSV export whose header lacks a column may be cut short too: that is reported first, as the problem
    to mend first (it was found on reading, before the header was looked at, when files were read whole)."""
    try:
        for _record in csv_records(parsed):
            pass
    except ExportProblem as exc:
        parsed.problem, parsed.problem_line = exc.message, exc.line
        return _file_problem(rs, parsed)
    return None


def _no_records(rs: RecordSet) -> tuple[str, str, int | None]:
    where = "only a header line" if rs.format == "csv" else f"no records at {rs.iterator}"
    return ("no-records", f"{where}: refusing to replace the graph with nothing (set \"allow_empty\": true "
            f"on record set {rs.name!r} if an empty export is normal)", None)


def _kept_fields(contracts: dict[str, Contract], names: list[str],
                 needs: dict[tuple[str, str], MappingNeeds]) -> dict[tuple[str, str], tuple[str, ...]]:
    """Per record set, the fields read after each row's own check: its references (resolved once every
    source is checked), the fields other records reference, and the fields its subject templates use.
    Only these are held past the check; staging reads the export again for the rest."""
    record_sets = [rs for source in names for rs in contracts[source].record_sets.values()]
    kept = _referenced(record_sets)
    for rs in record_sets:
        kept[(rs.source, rs.name)].update(rule.name for rule in rs.fields.values() if rule.references)
        kept[(rs.source, rs.name)].update(needs.get((rs.source, rs.name), MappingNeeds()).subject_fields)
    return {key: tuple(sorted(fields)) for key, fields in kept.items()}


def _referenced(record_sets: Iterable[RecordSet]) -> dict[tuple[str, str], set[str]]:
    """(source, record set) -> its fields that the given record sets' references point at."""
    targets: dict[tuple[str, str], set[str]] = defaultdict(set)
    for rs in record_sets:
        for rule in rs.fields.values():
            if rule.references:
                targets[rule.references[:2]].add(rule.references[2])
    return targets


def _check_records(rs: RecordSet, parsed: SourceFile, state: RecordSetState, need: MappingNeeds, limit: int,
                   zone: str | None, pool: ValuePool, progress: Callable[[int, int], None]) -> None:
    """Check each record of a record set as it is read from its export, holding what is read of it later
    (`state.records`, a HeldRecords) and the first issue of each bad one (`state.bad`). Raises ExportProblem when
    the export turns out unreadable partway (its source is then refused: what was held is dropped)."""
    held = state.records
    source = rs.source
    seen_keys: dict[tuple[str, ...], int] = {}
    records = csv_records(parsed) if rs.format == "csv" else json_records(parsed, rs.iterator or "$")
    for index, record in enumerate(records):
        if index % 5000 == 0:
            progress(index, parsed.read_to)
        issue: Issue | None = _check_record(rs, record, need, limit, zone)
        if issue is None and rs.key:
            key = tuple(str(value_text(field_value(rs, record, k))) for k in rs.key)
            if key in seen_keys:
                issue = Issue(source, rs.name, rs.file, record.row, record.locator, ",".join(rs.key),
                              "|".join(key), "duplicate-key", f"duplicate key; first seen in row {seen_keys[key]}")
            else:
                seen_keys[key] = record.row
        if issue:
            state.bad[index] = issue
        held.append(record, pool)


def _progress(tick: Tick, task: str, parsed: SourceFile, done: int) -> Callable[[int, int], None]:
    """Tell `tick` the rows checked, against a total estimated from how far into the file they reach."""
    size = max(len(parsed.text or ""), 1)

    def progress(index: int, reached: int) -> None:
        estimate = int((index + 1) * size / reached) if reached else index + 1  # `reached`: past record `index`
        tick(task, done + index, done + max(index, estimate), "rows")
    return progress


def check(
    project: Project, contracts: dict[str, Contract], selected: set[str] | None = None,
    needs: dict[tuple[str, str], MappingNeeds] | None = None, max_field_chars: int | None = None,
    refused: set[str] | None = None, tick: Tick = silent,
) -> Checked:
    """Check the records of the selected sources (and those they reference) against their contracts.

    A file that cannot be read as a whole (empty, header only, truncated, undecodable, missing a
    declared column) refuses its source: `result.refused`; that source is not mapped and its graph
    stays as it was. References into a refused source, or into one whose exports are not in the data
    folder, are left unchecked (`result.unchecked`) rather than quarantining every row that uses them.
    References are resolved against accepted records only. `tick` hears each source's rows checked
    ("check NAME"), against the rows of its files read so far.
    """
    result = CheckResult()
    files: dict[Path, SourceFile] = {}
    checked: dict[tuple[str, str], RecordSetState] = {}
    needs = needs or {}
    limit = max_field_chars or project.max_field_chars
    names, result.unchecked = _to_check(project, contracts, set(selected or contracts))
    kept = _kept_fields(contracts, names, needs)
    let_go: set[Path] = set()  # files let go once the last record set reading them was checked
    pool: ValuePool = {}  # one copy of each kept text, across sources (references repeat their targets' keys)
    for source in sorted(refused or ()):  # refused before (the shrink guard): as unreadable, not checked
        result.refused[source] = []
    for source in names:
        if source in result.refused:
            for rs in contracts[source].record_sets.values():
                result.counts[(source, rs.name)] = RecordSetCount(source=source, record_set=rs.name, file=rs.file)
            continue
        contract = contracts[source]
        zone = project.sources[source].timezone if source in project.sources else None
        rows_done = 0
        # What is read of each file after the check, by every record set reading it (two record sets of one CSV file
        # hold its rows each); a file is let go once the last of them is checked: staging reads it again.
        per_file: dict[str, set[str]] = defaultdict(set)
        last_reader: dict[str, str] = {}
        for rs in contract.record_sets.values():
            per_file[rs.file].update(kept.get((source, rs.name), ()))
            last_reader[rs.file] = rs.name
        for rs in contract.record_sets.values():
            path = project.data_root / rs.file
            if path not in files or path in let_go:
                first = files.get(path)  # read by another source before: it must still be the file checked then
                files[path] = read_file(path, rs.format, first.digest if first is not None and first.digest else None)
                let_go.discard(path)
            parsed = files[path]
            count = RecordSetCount(source=source, record_set=rs.name, file=rs.file)
            result.counts[(source, rs.name)] = count
            json_set = rs.format == "json"
            state = RecordSetState(rs, HeldRecords([], json_set, tuple(sorted(per_file[rs.file]))))
            problem = _file_problem(rs, parsed)
            if problem is not None and parsed.problem is None and rs.format == "csv":
                problem = _syntax_first(rs, parsed) or problem
            if problem is None:
                try:
                    _check_records(rs, parsed, state, needs.get((source, rs.name), MappingNeeds()), limit, zone,
                                   pool, _progress(tick, f"check {source}", parsed, rows_done))
                except ExportProblem as exc:  # found partway: the file is refused as if found on reading it
                    parsed.problem, parsed.problem_line = exc.message, exc.line
                    problem = _file_problem(rs, parsed)
                if problem is None and not state.records and not rs.allow_empty:
                    problem = _no_records(rs)
            if problem:
                refusal = Issue(source, rs.name, rs.file, problem[2], "file", "", "", problem[0], problem[1])
                if refusal not in result.file_problems:
                    result.file_problems.append(refusal)
                result.refused.setdefault(source, []).append(refusal)
                state = RecordSetState(rs, HeldRecords([], json_set))
            else:
                count.read = len(state.records)
                rows_done += count.read
            checked[(source, rs.name)] = state
            if last_reader[rs.file] == rs.name:
                parsed.text = None  # staging reads it again
                let_go.add(path)
        tick(f"check {source}", rows_done, rows_done, "rows")
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
    targets = _referenced(state.record_set for state in checked.values())
    changed = True
    while changed:
        changed = False
        accepted_values: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        quarantined_values: dict[tuple[str, str, str], dict[str, Issue]] = defaultdict(dict)
        for (source, name), state in checked.items():
            if (source, name) not in targets:
                continue
            for fname in targets[(source, name)]:
                for index, raw in enumerate(state.records.column(fname)):
                    for value in raw if isinstance(raw, list) else [raw]:
                        text = value_text(value)
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
                {parent_state.records.pointer(i) or () for i in parent_state.bad} if parent_state else set()
            )
            held = state.records
            for index in range(len(held)):
                if index in state.bad:
                    continue
                issue = None
                pointer = held.pointer(index) if bad_parents else None
                if pointer is not None and any(pointer[: len(p)] == p for p in bad_parents):
                    record = held[index]
                    issue = Issue(source, rs.name, rs.file, record.row, record.locator, "", "",
                                  "parent-quarantined", f"its {rs.parent} record was quarantined")
                for rule in rs.fields.values():
                    if issue or not rule.references or rule.references[0] in skip:
                        continue
                    raw = held.value(index, rule.name)
                    values = raw if isinstance(raw, list) else [raw]
                    for value in values:
                        text = value_text(value)
                        if text is not None and text not in accepted_values[rule.references]:
                            src, target_rs, target_field = rule.references
                            record = held[index]
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
                     "" if value is None else shown_value(value)[:200], rule, message)

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
        if has_surrogates(value):
            return issue(name, value, "encoding", "value is not valid UTF-8")
        if "\x00" in value and rs.format == "csv":
            return issue(name, value, "encoding", "value holds a NUL character, which the mapping engine cuts off")
        if len(value) > limit:
            return issue(name, value, "too-long", f"value has {len(value):,} characters; the limit is {limit:,} "
                         "(max_field_chars in sources.yaml)")
    for name, rule in rs.fields.items():
        raw = field_value(rs, record, name)
        broken = check_value(rule, raw, zone)
        if broken:
            return issue(name, raw, broken[0], broken[1])
    for name in need.subject_fields:
        if value_text(field_value(rs, record, name)) is None:
            return issue(name, None, "required", "the mapping's subject needs this value (the row would vanish)")
    for name, kinds in need.raw_iri.items():
        raw = field_value(rs, record, name)
        for value in raw if isinstance(raw, list) else [raw]:
            text = value_text(value)
            if text is None:
                continue
            for kind in sorted(kinds):
                _mapped, why = raw_iri_value(text, whole=kind == "whole")
                if why:
                    return issue(name, text, "iri", why)
    return None
