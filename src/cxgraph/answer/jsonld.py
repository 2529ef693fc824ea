"""JSON-LD 1.1 for context packs: the published `@context` made from the ontology, and quads written as one
object per named graph whose nodes use that context's terms.

The published context (context/context.jsonld) gives every cx: class and property a short term, with the
object properties coerced to IRIs and the datatype properties to their range, as the ontology says. A pack
carries only the terms it uses (a prompt has no room for the others) and writes a value the coercion does not
fit (an IRI where a literal is expected, another datatype) in expanded form, so that a JSON-LD processor
(pyld) turns the pack back into exactly the quads it was made from.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import OWL as RDFLIB_OWL
from rdflib import RDF as RDFLIB_RDF
from rdflib import RDFS as RDFLIB_RDFS
from rdflib import Graph, URIRef

from cxgraph.vocab import CX, DCT, PROV, RDF, RDFS, SKOS, XSD

PREFIXES = {"cx": CX, "prov": PROV, "rdf": RDF, "rdfs": RDFS, "xsd": XSD, "skos": SKOS, "dct": DCT}
RDF_TYPE = RDF + "type"
XSD_STRING = XSD + "string"
Json = dict[str, Any]


def ontology_context(ontology: Graph) -> Json:
    """The published @context: prefixes, then a term per cx: class and property, sorted."""
    terms: Json = {"@version": 1.1, **PREFIXES}
    for cls in sorted(set(ontology.subjects(RDFLIB_RDF.type, RDFLIB_OWL.Class)), key=str):
        if isinstance(cls, URIRef) and str(cls).startswith(CX):
            terms[str(cls)[len(CX):]] = f"cx:{str(cls)[len(CX):]}"
    for kind, coerce in ((RDFLIB_OWL.ObjectProperty, "@id"), (RDFLIB_OWL.DatatypeProperty, None),
                         (RDFLIB_OWL.AnnotationProperty, None)):
        for prop in sorted(set(ontology.subjects(RDFLIB_RDF.type, kind)), key=str):
            if not isinstance(prop, URIRef) or not str(prop).startswith(CX):
                continue
            name = str(prop)[len(CX):]
            ranges = {str(r) for r in ontology.objects(prop, RDFLIB_RDFS.range)}
            datatype = next(iter(ranges)) if kind == RDFLIB_OWL.DatatypeProperty and len(ranges) == 1 else None
            if coerce == "@id":
                terms[name] = {"@id": f"cx:{name}", "@type": "@id"}
            elif datatype and datatype.startswith(XSD) and datatype != XSD_STRING:
                terms[name] = {"@id": f"cx:{name}", "@type": f"xsd:{datatype[len(XSD):]}"}
            else:
                terms[name] = f"cx:{name}"
    return {"@context": terms}


def read_context(path: Path) -> Json:
    """The published context's term definitions, read again only when the file changes (every pack reads it).
    The value is shared: callers must not change it. A file replaced (a new inode) or rewritten to another size
    within the same clock tick, or copied in with its old time (`cp -p`), is read again too."""
    seen = path.stat()
    return _read_context(path, (seen.st_mtime_ns, seen.st_size, seen.st_ino))


@functools.lru_cache(maxsize=8)
def _read_context(path: Path, _version: tuple[int, int, int]) -> Json:
    return dict(json.loads(path.read_text(encoding="utf-8"))["@context"])


@dataclass
class _Tables:
    """What a writer derives from the published terms and its prefixes, once for every writer of the same
    ones: the namespaces longest first, the term of each IRI, and the compact form of the IRIs written so far
    (a pack writes the same predicates, classes and graphs as the pack before)."""

    prefixes: dict[str, str]
    namespaces: list[tuple[str, str]]  # (namespace, prefix name), longest namespace first
    by_iri: dict[str, tuple[str, str | None]]  # IRI -> (term, coercion)
    compact: dict[str, tuple[str | None, str]] = field(default_factory=dict)  # IRI -> (prefix used, compact form)


_TABLES: dict[tuple[int, tuple[tuple[str, str], ...]], tuple[Json, _Tables]] = {}
COMPACT_KEPT = 100_000  # compact forms a writer's tables keep (node IRIs are many; a server runs for long)


class Writer:
    """Writes quads as compact JSON-LD with the published terms and the project's own prefixes."""

    def __init__(self, published: Json, prefixes: dict[str, str]) -> None:
        self.published = published
        self.tables = _tables(published, prefixes)
        self.prefixes = self.tables.prefixes
        self.by_iri = self.tables.by_iri
        self.used_terms: set[str] = set()
        self.used_prefixes: set[str] = set()

    def expand(self, value: str) -> str:
        return _expand(self.prefixes, value)

    def expand_type(self, coercion: str) -> str:
        return coercion if coercion.startswith("@") else self.expand(coercion)

    def iri(self, value: str) -> str:
        """A compact IRI with the longest matching prefix, else the IRI itself."""
        compact = self.tables.compact
        known = compact.get(value)
        if known is None:
            known = next(((name, f"{name}:{value[len(ns):]}") for ns, name in self.tables.namespaces
                          if value.startswith(ns) and len(value) > len(ns)), (None, value))
            if len(compact) >= COMPACT_KEPT:
                compact.clear()
            compact[value] = known
        if known[0] is not None:
            self.used_prefixes.add(known[0])
        return known[1]

    def _key(self, predicate: str) -> tuple[str, str | None]:
        if predicate in self.by_iri:
            term, coercion = self.by_iri[predicate]
            self.used_terms.add(term)
            if coercion and coercion != "@id":
                self.iri(coercion)  # its prefix (xsd:) is needed in the context
            return term, coercion
        return self.iri(predicate), None

    def _type(self, cls: str) -> str:
        found = self.by_iri.get(cls)
        if found and found[1] is None:
            self.used_terms.add(found[0])
            return found[0]
        return self.iri(cls)

    def _value(self, term: ox.NamedNode | ox.BlankNode | ox.Literal | Any, coercion: str | None) -> Any:
        if isinstance(term, ox.NamedNode):
            return self.iri(term.value) if coercion == "@id" else {"@id": self.iri(term.value)}
        if isinstance(term, ox.BlankNode):
            return "_:" + term.value if coercion == "@id" else {"@id": "_:" + term.value}
        if term.language:
            return {"@value": term.value, "@language": term.language}
        datatype = term.datatype.value
        if coercion is not None and datatype == coercion:
            return term.value
        if coercion is None and datatype == XSD_STRING:
            return term.value
        return {"@value": term.value, "@type": self.iri(datatype)}

    def graphs(self, quads: list[ox.Quad]) -> list[Json]:
        """One object per named graph, sorted by IRI, its nodes sorted by @id, their values sorted."""
        nodes: dict[str, dict[str, Json]] = defaultdict(dict)
        for quad in quads:
            graph = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else "@default"
            subject = quad.subject
            sid = self.iri(subject.value) if isinstance(subject, ox.NamedNode) else str(subject)
            node = nodes[graph].setdefault(sid, {"@id": sid})
            if quad.predicate.value == RDF_TYPE and isinstance(quad.object, ox.NamedNode):
                node.setdefault("@type", []).append(self._type(quad.object.value))
                continue
            key, coercion = self._key(quad.predicate.value)
            node.setdefault(key, []).append(self._value(quad.object, coercion))
        out = []
        for graph in sorted(nodes):
            body = [_sorted_node(nodes[graph][sid]) for sid in sorted(nodes[graph])]
            out.append({"@id": self.iri(graph), "@graph": body} if graph != "@default" else {"@graph": body})
        return out

    def context(self, extra: Json | None = None) -> Json:
        """The terms and prefixes this writer used, with their published definitions."""
        context: Json = {"@version": 1.1}
        for name in sorted(self.used_prefixes):
            context[name] = self.prefixes[name]
        for term in sorted(self.used_terms):  # a copy: the published terms are shared by every pack
            definition = self.published[term]
            context[term] = dict(definition) if isinstance(definition, dict) else definition
        context.update(extra or {})
        return context


def _sorted_node(node: Json) -> Json:
    """@id and @type first, then the properties by name; each property's values in a stable order, a single
    value unwrapped."""
    out: Json = {"@id": node["@id"]}
    if "@type" in node:
        types = sorted(set(node["@type"]))
        out["@type"] = types[0] if len(types) == 1 else types
    for key in sorted(k for k in node if not k.startswith("@")):
        values = node[key]
        out[key] = values[0] if len(values) == 1 else sorted(
            values, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return out


def _expand(prefixes: dict[str, str], value: str) -> str:
    prefix, _, rest = value.partition(":")
    return prefixes[prefix] + rest if prefix in prefixes and not rest.startswith("//") else value


def _tables(published: Json, given: dict[str, str]) -> _Tables:
    """The tables of a writer of these terms and prefixes (the published terms are read_context's shared value:
    kept here with its tables, so that its id names it)."""
    key = (id(published), tuple(sorted(given.items())))
    found = _TABLES.get(key)
    if found is not None and found[0] is published:
        return found[1]
    prefixes = {**given, **{k: v for k, v in published.items() if isinstance(v, str) and not k.startswith("@")
                            and v.endswith(("#", "/"))}}
    by_iri: dict[str, tuple[str, str | None]] = {}
    for term, definition in published.items():
        if term.startswith("@") or term in prefixes:
            continue
        target = definition if isinstance(definition, str) else definition["@id"]
        coercion = None if isinstance(definition, str) else definition.get("@type")
        by_iri[_expand(prefixes, target)] = (term, None if coercion is None else coercion if coercion.startswith("@")
                                             else _expand(prefixes, coercion))
    # longest namespace first; of two names for one namespace, the first given (as max() over them chose)
    namespaces: list[tuple[str, str]] = []
    for name, ns in sorted(prefixes.items(), key=lambda item: -len(item[1])):
        if all(ns != known for known, _ in namespaces):
            namespaces.append((ns, name))
    tables = _Tables(prefixes, namespaces, by_iri)
    if len(_TABLES) > 16:
        _TABLES.clear()
    _TABLES[key] = (published, tables)
    return tables
