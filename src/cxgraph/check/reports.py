"""Reports of the checks (SHACL validation of the graph, QC of the ontology): JSON, JUnit XML and HTML.

Both checks produce the same thing, findings of named checks at a severity, so one writer per format
serves both. Severity is one scale of three levels with two spellings: SHACL's (Violation, Warning, Info)
in validation reports and ROBOT's (ERROR, WARN, INFO) in ontology reports, as each field's users read
them; `--fail-on` and counts accept either.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

SHACL_SEVERITIES = ("Violation", "Warning", "Info")
ROBOT_SEVERITIES = ("ERROR", "WARN", "INFO")
_RANK = {name.lower(): rank for names in (SHACL_SEVERITIES, ROBOT_SEVERITIES) for rank, name in enumerate(names)}


def severity_rank(name: str) -> int:
    """0 (Violation / ERROR), 1 (Warning / WARN) or 2 (Info / INFO); either spelling, any case, or an sh: IRI."""
    key = name.rsplit("#", 1)[-1].lower()
    if key not in _RANK:
        raise ValueError(f"unknown severity {name!r}: one of {', '.join(SHACL_SEVERITIES)} "
                         f"(or {', '.join(ROBOT_SEVERITIES)})")
    return _RANK[key]


def at_or_above(severity: str, limit: str) -> bool:
    """Whether a finding of `severity` fails a run that fails on `limit` (e.g. a Warning fails --fail-on warning)."""
    return severity_rank(severity) <= severity_rank(limit)


@dataclass(frozen=True)
class Entry:
    """One finding of one check, as every format shows it.

    `case`: the key of the check it belongs to (a shape IRI, a check id), one JUnit testcase each; `message`:
    one line; `detail`: the longer text (focus node, source record); `row`: the finding as JSON and HTML row.
    """

    case: str
    severity: str
    message: str
    detail: str
    row: dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One check that ran (whether or not it found anything): a JUnit testcase.

    `key` identifies it (two shapes may share a label); `name` is what people read.
    """

    key: str
    name: str
    group: str
    seconds: float = 0.0
    description: str = ""


@dataclass
class CheckReport:
    """What a check run found, ready for any format: the cases that ran and every finding."""

    title: str
    cases: list[Case]
    entries: list[Entry]
    seconds: float
    header: dict[str, Any] = field(default_factory=dict)  # JSON fields before the findings (conforms, counts...)
    rows_key: str = "results"  # the JSON key of the findings
    columns: tuple[str, ...] = ()  # the row fields the HTML table shows, in order
    links: tuple[str, ...] = ()  # row fields whose value is an IRI or URL the HTML page links to
    extra: dict[str, Any] = field(default_factory=dict)  # JSON fields after the findings


def to_json(report: CheckReport) -> str:
    """The header fields, then every finding's row under `rows_key`, then any extra fields."""
    document = {**report.header, report.rows_key: [e.row for e in report.entries], **report.extra}
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


def to_junit(report: CheckReport, failing: Callable[[Entry], bool]) -> str:
    """One testcase per check, one <failure> per failing finding; the other findings go to its <system-out>."""
    by_case: dict[str, list[Entry]] = {}
    for entry in report.entries:
        by_case.setdefault(entry.case, []).append(entry)
    failures = sum(1 for e in report.entries if failing(e))
    seconds = f"{report.seconds:.3f}"
    cases = _all_cases(report, by_case)
    root = ET.Element("testsuites", name=report.title, tests=str(len(cases)), failures=str(failures), errors="0",
                      time=seconds)
    suite = ET.SubElement(root, "testsuite", name=report.title, tests=str(len(cases)), failures=str(failures),
                          errors="0", skipped="0", time=seconds)
    for case in cases:
        element = ET.SubElement(suite, "testcase", classname=case.group, name=case.name, time=f"{case.seconds:.3f}")
        notes = []
        for entry in by_case.get(case.key, []):
            if failing(entry):
                failure = ET.SubElement(element, "failure", type=entry.severity, message=entry.message)
                failure.text = entry.detail
            else:
                notes.append(f"{entry.severity}: {entry.message}\n{entry.detail}".strip())
        if notes:
            ET.SubElement(element, "system-out").text = "\n\n".join(notes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _all_cases(report: CheckReport, by_case: dict[str, list[Entry]]) -> list[Case]:
    """The cases that ran, plus one per key a finding names that no case declares (never dropped)."""
    known = {c.key for c in report.cases}
    return list(report.cases) + [Case(key, key, "other") for key in by_case if key not in known]


def to_html(report: CheckReport, status: str, facts: Iterable[str] = ()) -> str:
    """A self-contained page (no script, no external asset): a summary per check and severity, then every finding."""
    e = html.escape

    def cell(name: str, value: Any) -> str:
        text = "" if value is None else str(value)
        if name in report.links and text.startswith(("http://", "https://", "file:")):
            shown = text.rsplit("/", 1)[-1] if text.startswith("file:") else text
            return f'<td><a href="{e(text)}">{e(shown)}</a></td>'
        return f"<td>{e(text)}</td>"

    by_case: dict[str, list[Entry]] = {}
    for entry in report.entries:
        by_case.setdefault(entry.case, []).append(entry)
    cases = _all_cases(report, by_case)
    names = {c.key: c.name for c in cases}
    summary_rows = ""
    for case in sorted(cases, key=lambda c: (min((severity_rank(x.severity) for x in by_case.get(c.key, [])),
                                                  default=3), c.name)):
        found = Counter(entry.severity for entry in by_case.get(case.key, []))
        shown = ", ".join(f"{n} {sev}" for sev, n in sorted(found.items(), key=lambda i: severity_rank(i[0])))
        summary_rows += f"<tr><td>{e(case.name)}</td><td>{e(case.group)}</td><td>{e(shown or 'none')}</td></tr>"
    rows = "".join(f'<tr class="{e(entry.severity.lower())}"><td>{e(entry.severity)}</td>'
                   f"<td>{e(names.get(entry.case, entry.case))}</td>"
                   + "".join(cell(c, entry.row.get(c)) for c in report.columns) + "</tr>"
                   for entry in report.entries)
    head = "".join(f"<th>{e(c.replace('_', ' '))}</th>" for c in report.columns)
    about = " &middot; ".join(e(f) for f in [status, *facts])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(report.title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1d2433; }}
table {{ border-collapse: collapse; margin-bottom: 2rem; }}
th, td {{ border: 1px solid #d0d5dd; padding: .35rem .6rem; text-align: left; vertical-align: top; font-size: .9rem; }}
th {{ background: #f2f4f7; }}
tr.violation td:first-child, tr.error td:first-child {{ color: #b42318; font-weight: 600; }}
tr.warning td:first-child, tr.warn td:first-child {{ color: #b54708; font-weight: 600; }}
tr.info td:first-child {{ color: #175cd3; }}
</style></head><body>
<h1>{e(report.title)}</h1>
<p>{about}</p>
<h2>Summary</h2>
<table><tr><th>check</th><th>group</th><th>findings</th></tr>{summary_rows}</table>
<h2>Findings</h2>
<table><tr><th>severity</th><th>check</th>{head}</tr>{rows}</table>
</body></html>
"""
