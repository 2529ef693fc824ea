"""Ontology quality control: the imports closure, SPARQL hygiene checks and canonical Turtle.

The closure is what Protégé opens: the top file plus every `owl:imports`, resolved only through the
`catalog-v001.xml` beside the top file (never fetched). Hygiene checks are ROBOT-report-style SPARQL
files (`ontology/checks/*.rq`), each returning `?entity ?property ?value`, with a `#+ ` YAML header
(they run on Oxigraph, loaded with the merged closure):

    #+ id: missing-label
    #+ title: A cxgraph term has no rdfs:label
    #+ severity: ERROR            (ERROR, WARN or INFO)
    #+ description: Why the rule exists and what a finding means.

Import resolution and canonical serialization need files, not triples, so they are checks of the engine
(`ENGINE_CHECKS`) reported in the same way. Reasoning lives in `hermit.py`; `ontology_check.py` runs both.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from cxgraph.check import reports
from cxgraph.check.reports import ROBOT_SEVERITIES, Case, CheckReport, Entry, at_or_above, severity_rank
from cxgraph.errors import CxGraphError
from cxgraph.ontology import Closure, shown_path, text_line
from cxgraph.vocab import ONTOLOGY_PREFIXES
from cxgraph.yamlio import read_header

RESULT_VARS = ("entity", "property", "value")

# The prefixes of the canonical form (ontology/README.md); others a file declares are kept after these.
CANONICAL_PREFIXES = ONTOLOGY_PREFIXES


@dataclass(frozen=True)
class Check:
    """One rule: a SPARQL file from the checks folder, or a check the engine runs itself."""

    id: str
    title: str
    severity: str
    description: str = ""
    path: Path | None = None
    query: str | None = None


@dataclass(frozen=True)
class Finding:
    """One ROBOT-style report row: the check, its severity, the entity, property and value it concerns."""

    check: str
    severity: str
    entity: Node | None = None
    property: Node | None = None
    value: Node | None = None
    file: Path | None = None
    line: int | None = None
    message: str = ""


IMPORT_RESOLUTION = Check(
    "import-resolution", "An owl:imports does not resolve to a local file through the catalog", "ERROR",
    "Every owl:imports resolves, through catalog-v001.xml beside the top file, to a file that exists and "
    "declares the imported ontology, so Protégé opens the ontology offline. A catalog next to a module "
    "(for opening it alone) must resolve its imports to the same files.")
CANONICAL = Check(
    "canonical-serialization", "A file is not in canonical Turtle (run cxgraph format-ontology)", "ERROR",
    "Parsing a cxgraph file and writing it back with rdflib's Turtle serializer changes nothing, so edits "
    "made in Protégé give reviewable diffs once re-serialized. Vendored imports are kept as published.")
ORPHAN = Check(
    "orphan-file", "A Turtle file in the ontology folder is outside the imports closure", "WARN",
    "Every .ttl file in the ontology folder is reached from the top file through owl:imports; Protégé, the "
    "reasoner and the build see only the closure, so a file outside it is edited in vain.")
ENGINE_CHECKS = (IMPORT_RESOLUTION, CANONICAL, ORPHAN)


def orphan_files(closure: Closure) -> list[Finding]:
    """Turtle files in the ontology folder that the imports closure never reaches."""
    reached = {f.path for f in closure.files}
    return [Finding(ORPHAN.id, ORPHAN.severity, file=path, message=f"{shown_path(path)} is not imported by any file "
                    f"of the closure of {shown_path(closure.top)}")
            for path in sorted(closure.top.parent.rglob("*.ttl")) if path.resolve() not in reached]


# --- SPARQL checks ------------------------------------------------------------------------------------

def parse_check(path: Path) -> Check:
    """Read one check file: its `#+ ` YAML header and its SPARQL, validated before anything runs."""
    text, header, _ = read_header(path, "check")
    if not isinstance(header, dict):
        raise CxGraphError("check header must be '#+ key: value' lines", path, 1)
    missing = [key for key in ("id", "title", "severity") if key not in header]
    if missing:
        raise CxGraphError(f"check header needs {', '.join('#+ ' + k + ':' for k in missing)}", path, 1)
    severity = str(header["severity"]).upper()
    if severity not in ROBOT_SEVERITIES:
        raise CxGraphError(f"severity {header['severity']!r} is not one of {', '.join(ROBOT_SEVERITIES)}", path,
                           text_line(text, "severity"))
    try:
        solutions = ox.Store().query(text)
    except SyntaxError as exc:
        where = re.match(r"error at (\d+):", str(exc))
        raise CxGraphError(f"check is not valid SPARQL: {str(exc).splitlines()[0]}", path,
                           int(where.group(1)) if where else None) from None
    projected = [v.value for v in getattr(solutions, "variables", [])]
    if not isinstance(solutions, ox.QuerySolutions) or projected != list(RESULT_VARS):
        raise CxGraphError("a check is a SELECT of ?entity ?property ?value (in that order), got "
                           f"{' '.join('?' + v for v in projected) or type(solutions).__name__}", path)
    description = " ".join(str(header.get("description", "")).split())
    return Check(str(header["id"]), str(header["title"]), severity, description, path, text)


def load_checks(folder: Path) -> list[Check]:
    """Every `*.rq` check in a folder, by id; two files with one id are an input error."""
    if not folder.is_dir():
        raise CxGraphError("no checks folder", folder)
    checks = sorted((parse_check(p) for p in folder.glob("*.rq")), key=lambda c: c.id)
    seen: dict[str, Path | None] = {c.id: None for c in ENGINE_CHECKS}
    for check in checks:
        if check.id in seen:
            raise CxGraphError(f"check id {check.id!r} is already used by {seen[check.id] or 'the engine'}",
                               check.path)
        seen[check.id] = check.path
    if not checks:
        raise CxGraphError("no *.rq checks in the folder", folder)
    return checks


def _to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    assert isinstance(term, Literal)
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype))) if term.datatype else ox.Literal(str(term))


def _from_ox(term: object) -> Node | None:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value) if datatype == str(XSD.string) else Literal(term.value, datatype=URIRef(datatype))
    return None


def sparql_store(graph: Graph) -> ox.Store:
    """The closure in an in-memory Oxigraph store: the checks run there, much faster than rdflib's engine."""
    store = ox.Store()
    store.extend(ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o)) for s, p, o in graph)  # type: ignore[arg-type]
    return store


def run_check(closure: Closure, check: Check, store: ox.Store | None = None) -> list[Finding]:
    """Run one SPARQL check over the merged closure; each row is a finding."""
    assert check.query is not None
    store = store or sparql_store(closure.graph)
    findings = []
    solutions = store.query(check.query)
    assert isinstance(solutions, ox.QuerySolutions)  # parse_check admits SELECT queries only
    for row in solutions:
        entity, prop, value = (_from_ox(row[name]) for name in RESULT_VARS)
        path, line = closure.where(entity)
        findings.append(Finding(check.id, check.severity, entity, prop, value, path, line))
    return sorted(set(findings), key=_finding_key)


def _finding_key(f: Finding) -> tuple:
    return (severity_rank(f.severity), f.check, str(f.file or ""), f.line or 0,
            str(f.entity or ""), str(f.property or ""), str(f.value or ""), f.message)


# --- canonical serialization --------------------------------------------------------------------------

def canonical_turtle(graph: Graph) -> str:
    """rdflib's Turtle with the canonical prefixes first; other prefixes of the file kept, unused ones dropped."""
    out = Graph(bind_namespaces="none")
    for prefix, ns in CANONICAL_PREFIXES.items():
        out.bind(prefix, Namespace(ns))
    taken_ns = set(CANONICAL_PREFIXES.values())
    for prefix, ns in sorted(graph.namespaces()):
        if prefix and prefix not in CANONICAL_PREFIXES and str(ns) not in taken_ns:
            out.bind(prefix, ns)
            taken_ns.add(str(ns))
    for triple in graph:
        out.add(triple)
    return out.serialize(format="turtle")


def first_difference(old: str, new: str) -> int:
    """The first line (1-based) where two texts differ."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), 1):
        if a != b:
            return number
    return min(len(old_lines), len(new_lines)) + 1


def canonical_findings(closure: Closure) -> list[Finding]:
    """Each owned file whose canonical form differs from its text, with the first line that differs."""
    findings = []
    for f in closure.owned():
        canonical = canonical_turtle(f.graph)
        if canonical != f.text:
            findings.append(Finding(CANONICAL.id, CANONICAL.severity, f.ontologies[0], None, None, f.path,
                                    first_difference(f.text, canonical),
                                    f"{shown_path(f.path)} differs from its canonical form from this line on; "
                                    "run `cxgraph format-ontology`"))
    return findings


def format_files(closure: Closure, write: bool) -> list[tuple[Path, int]]:
    """The owned files not in canonical form, each with its first differing line; rewritten when `write`."""
    changed = []
    for f in closure.owned():
        canonical = canonical_turtle(f.graph)
        if canonical != f.text:
            changed.append((f.path, first_difference(f.text, canonical)))
            if write:
                f.path.write_text(canonical, encoding="utf-8")
    return changed


# --- the whole report ---------------------------------------------------------------------------------

@dataclass
class QcReport:
    """Every check run, its findings and its time in seconds; `add` appends the reasoner's."""

    closure: Closure
    checks: list[Check]
    findings: list[Finding]
    seconds: dict[str, float]

    def add(self, checks: Iterable[Check], findings: Iterable[Finding], seconds: dict[str, float]) -> None:
        """Append checks run elsewhere; findings without a file get the one declaring their entity."""
        located = [f if f.file else replace(f, file=where[0], line=where[1])
                   for f in findings for where in [self.closure.where(f.entity)]]
        self.checks += list(checks)
        self.findings = sorted(set(self.findings) | set(located), key=_finding_key)
        self.seconds.update(seconds)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def exit_code(self) -> int:
        """pySHACL-style: 0 when nothing is an ERROR, 1 otherwise."""
        return 1 if self.count("ERROR") else 0


def check_closure(closure: Closure, checks: list[Check]) -> QcReport:
    """Run the engine checks and every SPARQL check over a loaded closure."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    findings = [Finding(IMPORT_RESOLUTION.id, "ERROR", p.ontology, p.property, p.imported, p.file, p.line, p.message)
                for p in closure.problems]
    seconds[IMPORT_RESOLUTION.id] = time.perf_counter() - started
    for check, run in ((CANONICAL, canonical_findings), (ORPHAN, orphan_files)):
        started = time.perf_counter()
        findings += run(closure)
        seconds[check.id] = time.perf_counter() - started
    store = sparql_store(closure.graph)
    for check in checks:
        started = time.perf_counter()
        findings += run_check(closure, check, store)
        seconds[check.id] = time.perf_counter() - started
    return QcReport(closure, [*ENGINE_CHECKS, *checks], sorted(set(findings), key=_finding_key), seconds)


# --- showing terms ------------------------------------------------------------------------------------

def show(node: Node | None, graph: Graph, prefixes: dict[str, str]) -> str:
    """A term as an editor writes it: prefixed name, literal text, or `[ a owl:AllDisjointClasses ]`."""
    if node is None:
        return ""
    if isinstance(node, Literal):
        return f'"{node}"@{node.language}' if node.language else str(node)
    if isinstance(node, BNode):
        kinds = sorted(show(t, graph, prefixes) for t in graph.objects(node, RDF.type))
        return f"[ a {', '.join(kinds)} ]" if kinds else "[ ]"
    best = max(((p, ns) for p, ns in prefixes.items() if str(node).startswith(ns)), key=lambda x: len(x[1]),
               default=None)
    if best and re.fullmatch(r"[A-Za-z_][\w.-]*", str(node)[len(best[1]):] or "_"):
        return f"{best[0]}:{str(node)[len(best[1]):]}"
    return f"<{node}>"


# --- machine-readable reports -------------------------------------------------------------------------

def _finding_line(f: Finding, graph: Graph, prefixes: dict[str, str]) -> str:
    where = f"{shown_path(f.file)}:{f.line}" if f.file and f.line else shown_path(f.file) if f.file else "closure"
    triple = " ".join(t for t in (show(f.entity, graph, prefixes), show(f.property, graph, prefixes),
                                  show(f.value, graph, prefixes)) if t)
    return f"{where}: {triple}" + (f" ({f.message})" if f.message else "")


def check_report(report: QcReport, extra: dict[str, Any] | None = None) -> CheckReport:
    """The QC run as the shared report model: one case per check, one entry per finding (full IRIs in rows)."""
    graph, prefixes = report.closure.graph, report.closure.prefixes()
    by_id = {c.id: c for c in report.checks}

    def term(node: Node | None) -> str | None:
        return None if node is None else show(node, graph, {}) if isinstance(node, BNode) else str(node)

    cases = [Case(c.id, c.id, f"ontology.{c.severity.lower()}", report.seconds.get(c.id, 0.0), c.description)
             for c in report.checks]
    entries = [Entry(f.check, f.severity, _finding_line(f, graph, prefixes),
                     f"{by_id[f.check].title}. {by_id[f.check].description}".strip() if f.check in by_id else "",
                     {"check": f.check, "severity": f.severity, "entity": term(f.entity), "property": term(f.property),
                      "value": term(f.value), "file": str(f.file) if f.file else None, "line": f.line,
                      "message": f.message})
               for f in report.findings]
    header = {
        "ontology": str(report.closure.top),
        "conforms": report.exit_code == 0,
        "counts": {s: report.count(s) for s in ROBOT_SEVERITIES},
        **(extra or {}),
        "checks": [{"id": c.id, "title": c.title, "severity": c.severity, "description": c.description,
                    "file": str(c.path) if c.path else None, "seconds": round(report.seconds.get(c.id, 0.0), 3),
                    "findings": sum(1 for f in report.findings if f.check == c.id)} for c in report.checks],
    }
    return CheckReport(title="cxgraph check-ontology", cases=cases, entries=entries,
                       seconds=sum(report.seconds.values()), header=header, rows_key="findings",
                       columns=("entity", "property", "value", "file", "line", "message"), links=("entity",))


def to_junit(report: QcReport) -> str:
    """JUnit XML: one testcase per check, one <failure> per ERROR or WARN finding, INFO in <system-out>."""
    return reports.to_junit(check_report(report), lambda entry: at_or_above(entry.severity, "WARN"))


def to_json(report: QcReport, extra: dict[str, Any] | None = None) -> str:
    """The report as JSON: full IRIs, literals as text, every check with its finding count and time."""
    return reports.to_json(check_report(report, extra))


def to_html(report: QcReport, facts: Iterable[str] = ()) -> str:
    """A self-contained page: every check with its findings, then every finding; `facts` join the header
    (the reasoner's verdict)."""
    counts = ", ".join(f"{report.count(s)} {s}" for s in ROBOT_SEVERITIES)
    return reports.to_html(check_report(report), "conforms" if report.exit_code == 0 else "does not conform",
                           [str(report.closure.top), counts, f"{len(report.checks)} checks", *facts])
