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
(`ENGINE_CHECKS`) reported in the same way. Reasoning lives in `reasoner`.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyoxigraph as ox
from rdflib import OWL, RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from .errors import CxGraphError
from .yamlio import read_header

SEVERITIES = ("ERROR", "WARN", "INFO")
CATALOG = "catalog-v001.xml"
CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"
RESULT_VARS = ("entity", "property", "value")

# The prefixes of the canonical form (ontology/README.md); others a file declares are kept after these.
CANONICAL_PREFIXES = {
    "cx": "https://w3id.org/cxgraph/ontology#",
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
}


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
    "Every .ttl file in the ontology folder is reached from the top file through owl:imports; the store "
    "loads every file of the folder, but Protégé and the reasoner see only the closure.")
ENGINE_CHECKS = (IMPORT_RESOLUTION, CANONICAL, ORPHAN)


@dataclass
class OntologyFile:
    """One parsed file of the closure."""

    path: Path
    text: str
    graph: Graph
    ontologies: tuple[URIRef, ...]
    imports: tuple[tuple[URIRef, URIRef], ...]  # (importing ontology, imported IRI)


@dataclass
class Closure:
    """The top file and everything it imports, merged into one graph."""

    top: Path
    catalog: Path
    files: list[OntologyFile]
    graph: Graph
    findings: list[Finding] = field(default_factory=list)

    @property
    def top_iri(self) -> URIRef:
        return self.files[0].ontologies[0]

    def owned(self) -> list[OntologyFile]:
        """The project's own files: those declaring the top ontology or one under its IRI (not vendored)."""
        base = str(self.top_iri)
        return [f for f in self.files
                if any(str(o) == base or str(o).startswith((base + "/", base + "#")) for o in f.ontologies)]

    def prefixes(self) -> dict[str, str]:
        """Prefixes for showing terms: the canonical ones, then any other a file declares."""
        found = dict(CANONICAL_PREFIXES)
        for f in self.files:
            for prefix, ns in f.graph.namespaces():
                if prefix and prefix not in found and str(ns) not in found.values():
                    found[prefix] = str(ns)
        return found

    def where(self, entity: Node | None) -> tuple[Path | None, int | None]:
        """The file (and line, when it starts a statement) that declares or describes `entity`."""
        if not isinstance(entity, URIRef):
            return None, None
        for predicate in (RDF.type, None):
            for f in self.files:
                if (entity, predicate, None) in f.graph:
                    return f.path, _subject_line(f, entity)
        return None, None


def _subject_line(f: OntologyFile, entity: URIRef) -> int | None:
    names = [f"<{entity}>"]
    for prefix, ns in f.graph.namespaces():
        if prefix is not None and str(entity).startswith(str(ns)):
            names.append(f"{prefix}:{str(entity)[len(str(ns)):]}")
    pattern = re.compile(rf"^(?:{'|'.join(re.escape(n) for n in names)})(?=\s)")
    for number, line in enumerate(f.text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None


def _text_line(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return None


# --- catalog and closure ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CatalogEntry:
    name: str
    target: Path
    line: int | None


def read_catalog(path: Path) -> dict[str, CatalogEntry]:
    """The `<uri name=... uri=...>` entries of an OASIS XML catalog, targets resolved beside the catalog."""
    try:
        text = path.read_text(encoding="utf-8")
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise CxGraphError(f"catalog is not well-formed XML: {exc}", path, exc.position[0]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CxGraphError(f"cannot read catalog: {exc}", path) from None
    entries: dict[str, CatalogEntry] = {}
    for element in root.iter(f"{CATALOG_NS}uri"):
        name, uri = element.get("name"), element.get("uri")
        if not name or not uri:
            raise CxGraphError("catalog <uri> entry without name or uri", path, _text_line(text, "<uri"))
        parsed = urlparse(uri)
        target = Path(unquote(parsed.path)) if parsed.scheme == "file" else path.parent / uri
        entries[name] = CatalogEntry(name, target.resolve(), _text_line(text, f'name="{name}"'))
    return entries


def parse_ontology_file(path: Path) -> OntologyFile:
    """Parse one Turtle file, or say which line is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CxGraphError("ontology file not found", path) from None
    except UnicodeDecodeError as exc:
        raise CxGraphError(f"not UTF-8 ({exc.reason} at byte {exc.start})", path) from None
    graph = Graph(bind_namespaces="none")
    try:
        graph.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
    except SyntaxError as exc:  # rdflib's BadSyntax: (uri, lines, text, offset, why)
        offset = exc.args[3] if len(exc.args) > 4 and isinstance(exc.args[3], int) else None
        why = exc.args[4] if len(exc.args) > 4 else str(exc)
        line = text[:offset].count("\n") + 1 if offset is not None else None
        raise CxGraphError(f"Turtle does not parse: {why}", path, line) from None
    ontologies = tuple(sorted(o for o in graph.subjects(RDF.type, OWL.Ontology) if isinstance(o, URIRef)))
    imports = tuple(sorted((s, o) for s, o in graph.subject_objects(OWL.imports)
                           if isinstance(s, URIRef) and isinstance(o, URIRef)))
    return OntologyFile(path.resolve(), text, graph, ontologies, imports)


def _declares(f: OntologyFile, iri: URIRef) -> bool:
    return iri in f.ontologies or any((o, OWL.versionIRI, iri) in f.graph for o in f.ontologies)


def load_closure(top: Path) -> Closure:
    """Parse the top file and, breadth first, every file its imports resolve to through the catalog."""
    top = top.resolve()
    catalog_path = top.parent / CATALOG
    catalog = read_catalog(catalog_path) if catalog_path.is_file() else None
    first = parse_ontology_file(top)
    if not first.ontologies:
        raise CxGraphError("declares no owl:Ontology, so it cannot be the top of an imports closure", top)
    files, findings = [first], []
    by_path = {first.path: first}
    queue = [first]
    while queue:
        current = queue.pop(0)
        for ontology, imported in current.imports:
            target = _resolve(current, ontology, imported, catalog, catalog_path, findings)
            if target is None:
                continue
            loaded = by_path.get(target)
            if loaded is None:
                loaded = by_path[target] = parse_ontology_file(target)
                files.append(loaded)
                queue.append(loaded)
            if not _declares(loaded, imported):
                findings.append(Finding(IMPORT_RESOLUTION.id, "ERROR", ontology, OWL.imports, imported,
                                        catalog_path, catalog[str(imported)].line if catalog else None,
                                        f"{_rel(catalog_path)} maps it to {_rel(target)}, which declares "
                                        f"{', '.join(map(str, loaded.ontologies)) or 'no owl:Ontology'}"))
    findings += _sibling_catalogs(files, catalog, catalog_path)
    merged = Graph(bind_namespaces="none")
    for f in files:
        for prefix, ns in f.graph.namespaces():
            merged.bind(prefix, ns, override=False)
        for triple in f.graph:
            merged.add(triple)
    return Closure(top, catalog_path, files, merged, findings)


def _resolve(current: OntologyFile, ontology: URIRef, imported: URIRef, catalog: dict[str, CatalogEntry] | None,
             catalog_path: Path, findings: list[Finding]) -> Path | None:
    line = _text_line(current.text, str(imported)) or _subject_line(current, ontology)
    if catalog is None:
        findings.append(Finding(IMPORT_RESOLUTION.id, "ERROR", ontology, OWL.imports, imported, current.path, line,
                                f"there is no {_rel(catalog_path)}, so the import cannot be resolved offline"))
        return None
    entry = catalog.get(str(imported))
    if entry is None:
        findings.append(Finding(IMPORT_RESOLUTION.id, "ERROR", ontology, OWL.imports, imported, current.path, line,
                                f"{_rel(current.path)} imports it, but {_rel(catalog_path)} has no entry for it"))
        return None
    if not entry.target.is_file():
        findings.append(Finding(IMPORT_RESOLUTION.id, "ERROR", ontology, OWL.imports, imported, catalog_path,
                                entry.line, f"{_rel(catalog_path)} maps it to {_rel(entry.target)}, "
                                            "which does not exist"))
        return None
    return entry.target


def _sibling_catalogs(files: list[OntologyFile], catalog: dict[str, CatalogEntry] | None,
                      catalog_path: Path) -> list[Finding]:
    """A module opened alone in Protégé uses the catalog beside it: it must resolve as the top one does."""
    if catalog is None:
        return []
    findings, read = [], {}
    for f in files:
        sibling = f.path.parent / CATALOG
        if sibling.resolve() == catalog_path.resolve() or not sibling.is_file():
            continue
        entries = read.setdefault(sibling, read_catalog(sibling))
        for ontology, imported in f.imports:
            expected = catalog.get(str(imported))
            got = entries.get(str(imported))
            if expected is None or (got is not None and got.target == expected.target):
                continue
            message = (f"{_rel(sibling)} has no entry for it" if got is None else
                       f"{_rel(sibling)} maps it to {_rel(got.target)}, the top catalog to {_rel(expected.target)}")
            findings.append(Finding(IMPORT_RESOLUTION.id, "ERROR", ontology, OWL.imports, imported, sibling,
                                    got.line if got else None, message))
    return findings


def orphan_files(closure: Closure) -> list[Finding]:
    """Turtle files in the ontology folder that the imports closure never reaches."""
    reached = {f.path for f in closure.files}
    return [Finding(ORPHAN.id, ORPHAN.severity, file=path, message=f"{_rel(path)} is not imported by any file "
                    f"of the closure of {_rel(closure.top)}")
            for path in sorted(closure.top.parent.rglob("*.ttl")) if path.resolve() not in reached]


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


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
    if severity not in SEVERITIES:
        raise CxGraphError(f"severity {header['severity']!r} is not one of {', '.join(SEVERITIES)}", path,
                           _text_line(text, "severity"))
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
    store.extend(ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o)) for s, p, o in graph)
    return store


def run_check(closure: Closure, check: Check, store: ox.Store | None = None) -> list[Finding]:
    """Run one SPARQL check over the merged closure; each row is a finding."""
    assert check.query is not None
    store = store or sparql_store(closure.graph)
    findings = []
    for row in store.query(check.query):
        entity, prop, value = (_from_ox(row[name]) for name in RESULT_VARS)
        path, line = closure.where(entity)
        findings.append(Finding(check.id, check.severity, entity, prop, value, path, line))
    return sorted(set(findings), key=_finding_key)


def _finding_key(f: Finding) -> tuple:
    return (SEVERITIES.index(f.severity), f.check, str(f.file or ""), f.line or 0,
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
                                    f"{_rel(f.path)} differs from its canonical form from this line on; "
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
    findings = list(closure.findings)
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
    where = f"{_rel(f.file)}:{f.line}" if f.file and f.line else _rel(f.file) if f.file else "closure"
    triple = " ".join(t for t in (show(f.entity, graph, prefixes), show(f.property, graph, prefixes),
                                  show(f.value, graph, prefixes)) if t)
    return f"{where}: {triple}" + (f" ({f.message})" if f.message else "")


def to_junit(report: QcReport, suite: str = "cxgraph check-ontology") -> str:
    """JUnit XML: one testcase per check, one <failure> per ERROR or WARN finding, INFO in <system-out>."""
    graph, prefixes = report.closure.graph, report.closure.prefixes()
    failing = [f for f in report.findings if f.severity != "INFO"]
    root = ET.Element("testsuites", name=suite, tests=str(len(report.checks)), failures=str(len(failing)),
                      errors="0", time=f"{sum(report.seconds.values()):.3f}")
    element = ET.SubElement(root, "testsuite", name=suite, tests=str(len(report.checks)),
                            failures=str(len(failing)), errors="0", skipped="0",
                            time=f"{sum(report.seconds.values()):.3f}")
    for check in report.checks:
        case = ET.SubElement(element, "testcase", classname=f"ontology.{check.severity.lower()}", name=check.id,
                             time=f"{report.seconds.get(check.id, 0.0):.3f}")
        found = [f for f in report.findings if f.check == check.id]
        for f in found:
            if f.severity != "INFO":
                failure = ET.SubElement(case, "failure", type=f.severity, message=_finding_line(f, graph, prefixes))
                failure.text = f"{check.title}. {check.description}".strip()
        info = [_finding_line(f, graph, prefixes) for f in found if f.severity == "INFO"]
        if info:
            ET.SubElement(case, "system-out").text = "\n".join(info)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def to_json(report: QcReport, extra: dict | None = None) -> str:
    """The report as JSON: full IRIs, literals as text, every check with its finding count and time."""
    import json

    def term(node: Node | None) -> str | None:
        return None if node is None else show(node, report.closure.graph, {}) if isinstance(node, BNode) else str(node)

    document = {
        "ontology": str(report.closure.top),
        "conforms": report.exit_code == 0,
        "counts": {s: report.count(s) for s in SEVERITIES},
        **(extra or {}),
        "checks": [{"id": c.id, "title": c.title, "severity": c.severity, "description": c.description,
                    "file": str(c.path) if c.path else None, "seconds": round(report.seconds.get(c.id, 0.0), 3),
                    "findings": sum(1 for f in report.findings if f.check == c.id)} for c in report.checks],
        "findings": [{"check": f.check, "severity": f.severity, "entity": term(f.entity),
                      "property": term(f.property), "value": term(f.value),
                      "file": str(f.file) if f.file else None, "line": f.line, "message": f.message}
                     for f in report.findings],
    }
    return json.dumps(document, indent=2) + "\n"
