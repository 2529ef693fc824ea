"""The ontology as Protégé opens it: the top file and its imports closure, resolved offline through the catalog.

One reader for every use: the build loads these files into the ontology graph, the mapping check reads
the properties' datatypes from them, ontology QC checks them and the documentation is written from them.
Each `owl:imports` is resolved only through the `catalog-v001.xml` beside the top file (never fetched);
an import that does not resolve is an `ImportProblem` with its file and line.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from rdflib import OWL, RDF, Graph, URIRef
from rdflib.term import Node

from cxgraph.errors import CxGraphError, read_utf8
from cxgraph.vocab import ONTOLOGY_PREFIXES

CATALOG = "catalog-v001.xml"
CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"


@dataclass(frozen=True)
class ImportProblem:
    """An owl:imports the catalog does not resolve (or resolves to the wrong document), where it is written."""

    ontology: URIRef
    property: URIRef
    imported: URIRef
    file: Path | None
    line: int | None
    message: str


@dataclass
class OntologyFile:
    """One parsed file of the closure."""

    path: Path
    text: str
    graph: Graph
    ontologies: tuple[URIRef, ...]
    imports: tuple[tuple[URIRef, URIRef], ...]  # (importing ontology, imported IRI)
    imported_as: URIRef | None = None  # the IRI it was first imported by (PROV-O's file declares several)

    @property
    def iri(self) -> str:
        """The document's ontology IRI: the one it was imported by, else the one it declares."""
        if self.imported_as is not None and self.imported_as in self.ontologies:
            return str(self.imported_as)
        if len(self.ontologies) != 1:
            raise CxGraphError(f"expected one owl:Ontology with an IRI, found {len(self.ontologies)}", self.path)
        return str(self.ontologies[0])


@dataclass
class Closure:
    """The top file and everything it imports, merged into one graph."""

    top: Path
    catalog: Path
    files: list[OntologyFile]
    graph: Graph
    problems: list[ImportProblem] = field(default_factory=list)

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
        found = dict(ONTOLOGY_PREFIXES)
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
                    return f.path, subject_line(f, entity)
        return None, None


def subject_line(f: OntologyFile, entity: URIRef) -> int | None:
    names = [f"<{entity}>"]
    for prefix, ns in f.graph.namespaces():
        if prefix is not None and str(entity).startswith(str(ns)):
            names.append(f"{prefix}:{str(entity)[len(str(ns)):]}")
    pattern = re.compile(rf"^(?:{'|'.join(re.escape(n) for n in names)})(?=\s)")
    for number, line in enumerate(f.text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None


def text_line(text: str, needle: str) -> int | None:
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
            raise CxGraphError("catalog <uri> entry without name or uri", path, text_line(text, "<uri"))
        parsed = urlparse(uri)
        target = Path(unquote(parsed.path)) if parsed.scheme == "file" else path.parent / uri
        entries[name] = CatalogEntry(name, target.resolve(), text_line(text, f'name="{name}"'))
    return entries


def parse_ontology_file(path: Path) -> OntologyFile:
    """Parse one Turtle file, or say which line is wrong."""
    text = read_utf8(path, "ontology file")
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
    files: list[OntologyFile] = [first]
    problems: list[ImportProblem] = []
    by_path = {first.path: first}
    queue = [first]
    while queue:
        current = queue.pop(0)
        for ontology, imported in current.imports:
            target = _resolve(current, ontology, imported, catalog, catalog_path, problems)
            if target is None:
                continue
            loaded = by_path.get(target)
            if loaded is None:
                loaded = by_path[target] = parse_ontology_file(target)
                loaded.imported_as = imported
                files.append(loaded)
                queue.append(loaded)
            if not _declares(loaded, imported):
                problems.append(ImportProblem(ontology, OWL.imports, imported,
                                        catalog_path, catalog[str(imported)].line if catalog else None,
                                        f"{shown_path(catalog_path)} maps it to {shown_path(target)}, which declares "
                                        f"{', '.join(map(str, loaded.ontologies)) or 'no owl:Ontology'}"))
    problems += _sibling_catalogs(files, catalog, catalog_path)
    merged = Graph(bind_namespaces="none")
    for f in files:
        for prefix, ns in f.graph.namespaces():
            merged.bind(prefix, ns, override=False)
        for triple in f.graph:
            merged.add(triple)
    return Closure(top, catalog_path, files, merged, problems)


def _resolve(current: OntologyFile, ontology: URIRef, imported: URIRef, catalog: dict[str, CatalogEntry] | None,
             catalog_path: Path, problems: list[ImportProblem]) -> Path | None:
    line = text_line(current.text, str(imported)) or subject_line(current, ontology)
    if catalog is None:
        problems.append(ImportProblem(ontology, OWL.imports, imported, current.path, line,
                                f"there is no {shown_path(catalog_path)}, so the import cannot be resolved offline"))
        return None
    entry = catalog.get(str(imported))
    if entry is None:
        problems.append(ImportProblem(ontology, OWL.imports, imported, current.path, line,
                                f"{shown_path(current.path)} imports it, but {shown_path(catalog_path)} has no "
                                "entry for it"))
        return None
    if not entry.target.is_file():
        problems.append(ImportProblem(ontology, OWL.imports, imported, catalog_path,
                                entry.line, f"{shown_path(catalog_path)} maps it to {shown_path(entry.target)}, "
                                            "which does not exist"))
        return None
    return entry.target


def _sibling_catalogs(files: list[OntologyFile], catalog: dict[str, CatalogEntry] | None,
                      catalog_path: Path) -> list[ImportProblem]:
    """A module opened alone in Protégé uses the catalog beside it: it must resolve as the top one does."""
    if catalog is None:
        return []
    problems: list[ImportProblem] = []
    read: dict[Path, dict[str, CatalogEntry]] = {}
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
            message = (f"{shown_path(sibling)} has no entry for it" if got is None else
                       f"{shown_path(sibling)} maps it to {shown_path(got.target)}, the top catalog to "
                       f"{shown_path(expected.target)}")
            problems.append(ImportProblem(ontology, OWL.imports, imported, sibling,
                                    got.line if got else None, message))
    return problems


def shown_path(path: Path) -> str:
    """A path as messages show it: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def require_closure(top: Path) -> Closure:
    """The closure of `top`, or a stop naming the first import that does not resolve (the build needs it whole)."""
    closure = load_closure(top)
    if closure.problems:
        problem = closure.problems[0]
        raise CxGraphError(f"owl:imports <{problem.imported}> does not resolve: {problem.message}", problem.file,
                           problem.line)
    return closure
