"""The ontology together with the data: is there a model, and if not, which individuals break it and why.

What a Protégé user sees who opens the ontology with the data and starts HermiT. The data is every source
graph plus the identity, registry and derived graphs; the provenance, lineage and inferred graphs are the
engine's bookkeeping and entailments. HermiT reads only the OWL 2 datatype map, and dateTimes to the
millisecond, so literals outside it (`xsd:date`, a microsecond timestamp) are set aside and counted. The
N-Triples go to HermiT as pyoxigraph writes them: rdflib would rewrite `...:30.945Z` as `...:30.945000+00:00`,
which HermiT calls malformed.

When HermiT finds no model, a query names the individuals first: those whose asserted types, or the
domains and ranges of the properties they take part in, fall under two disjoint classes (PROV-O's
activities and entities, the customer definitions). That names the usual causes in seconds, where
trying individuals one by one with HermiT takes minutes.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, URIRef

from cxgraph.check.hermit import Inconsistent, hermit_world, java, java_message, ntriples
from cxgraph.check.ontology_qc import Check, Finding, show
from cxgraph.project import Project
from cxgraph.vocab import ONTOLOGY_PREFIXES, OWL, RDF, RDFS, XSD, sparql_prologue

DATA_CONSISTENCY = Check(
    "data-consistency", "The ontology and the data are inconsistent together", "ERROR",
    "HermiT finds no model of the ontology with the data graphs: an individual is a member of two disjoint "
    "classes, through its types or the domains and ranges of the properties it takes part in.")
DATA_CHECKS = (DATA_CONSISTENCY,)

# The OWL 2 datatype map (OWL 2 Structural Specification, section 4): HermiT refuses literals of any other.
OWL2_DATATYPES = {XSD + name for name in (
    "decimal", "integer", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger", "negativeInteger", "long",
    "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "double", "float",
    "string", "normalizedString", "token", "language", "Name", "NCName", "NMTOKEN", "boolean", "hexBinary",
    "base64Binary", "anyURI", "dateTime", "dateTimeStamp")} | {
    RDF + "PlainLiteral", RDF + "XMLLiteral", RDF + "langString", RDFS + "Literal", OWL + "real", OWL + "rational"}
_SUB_MILLISECOND = re.compile(r"T\d\d:\d\d:\d\d\.\d{4,}")


@dataclass
class Culprit:
    """An individual under two disjoint classes, with what puts it under each (a type or a property)."""

    individual: str
    first: str
    second: str
    first_because: str
    second_because: str


@dataclass
class DataConsistency:
    """HermiT's verdict on the ontology with the data, and what it could not read."""

    consistent: bool | None  # None: HermiT failed (see error)
    seconds: float
    triples: int
    set_aside: Counter[str] = field(default_factory=Counter)  # why -> how many literals
    culprits: list[Culprit] = field(default_factory=list)
    error: str | None = None


def set_aside(literal: ox.Literal) -> str | None:
    """Why HermiT would refuse this literal, or None."""
    datatype = literal.datatype.value
    if datatype not in OWL2_DATATYPES:
        return f"datatype {datatype.removeprefix(XSD) if datatype.startswith(XSD) else datatype} is not in the " \
               "OWL 2 datatype map"
    if datatype == XSD + "dateTime" and _SUB_MILLISECOND.search(literal.value):
        return "dateTime finer than a millisecond"
    return None


def data_ntriples(store: Any, project: Project) -> tuple[list[str], Counter[str]]:
    """The data graphs as N-Triples lines, and the literals set aside (by reason)."""
    lines: list[str] = []
    skipped: Counter[str] = Counter()
    for graph in project.data_graphs(store.named_graphs(), provenance=False):
        for triple in ox.parse(store.export_graph(graph), format=ox.RdfFormat.N_TRIPLES):
            if isinstance(triple.object, ox.Literal):
                why = set_aside(triple.object)
                if why:
                    skipped[why] += 1
                    continue
            lines.append(f"{triple} .")
    return lines, skipped


DISJOINT = """
SELECT ?x ?a ?b (MIN(STR(?why1)) AS ?because1) (MIN(STR(?why2)) AS ?because2) WHERE {
  { ?a owl:disjointWith ?b } UNION { ?b owl:disjointWith ?a }
  UNION { ?list a owl:AllDisjointClasses ; owl:members ?m .
          ?m rdf:rest*/rdf:first ?a . ?m rdf:rest*/rdf:first ?b FILTER(?a != ?b) }
  ?c1 rdfs:subClassOf* ?a . ?c2 rdfs:subClassOf* ?b .
  { ?x a ?c1 BIND(rdf:type AS ?why1) } UNION { ?x ?p1 ?o1 . ?p1 rdfs:subPropertyOf*/rdfs:domain ?c1 BIND(?p1 AS ?why1) }
  UNION { ?s1 ?p1 ?x . ?p1 rdfs:subPropertyOf*/rdfs:range ?c1 BIND(?p1 AS ?why1) }
  { ?x a ?c2 BIND(rdf:type AS ?why2) } UNION { ?x ?p2 ?o2 . ?p2 rdfs:subPropertyOf*/rdfs:domain ?c2 BIND(?p2 AS ?why2) }
  UNION { ?s2 ?p2 ?x . ?p2 rdfs:subPropertyOf*/rdfs:range ?c2 BIND(?p2 AS ?why2) }
  FILTER(isIRI(?x) && STR(?a) < STR(?b))
} GROUP BY ?x ?a ?b ORDER BY ?x ?a ?b LIMIT 1000
"""


def disjoint_members(ontology: bytes, data: list[str]) -> list[Culprit]:
    """Individuals under two disjoint classes by their types, domains and ranges (an RDFS-level explanation)."""
    store = ox.Store()
    store.load(ontology, format=ox.RdfFormat.N_TRIPLES)
    store.load("\n".join(data).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    solutions = store.query(sparql_prologue({"rdf": RDF, "rdfs": RDFS, "owl": OWL}) + DISJOINT)
    assert isinstance(solutions, ox.QuerySolutions)
    return [Culprit(row["x"].value, row["a"].value, row["b"].value, _because(row["because1"]),
                    _because(row["because2"])) for row in solutions]


def _because(term: Any) -> str:
    if term is None:
        return "?"
    return "its type" if term.value == RDF + "type" else short(term.value)  # MIN puts rdf:type first


def short(iri: str) -> str:
    """An IRI as a prefixed name when one of the ontology's prefixes covers it (as QC shows terms)."""
    return show(URIRef(iri), Graph(), ONTOLOGY_PREFIXES)


def check_with_data(ontology: Graph, store: Any, project: Project) -> DataConsistency:
    """HermiT over the ontology's closure and the store's data graphs, and, when inconsistent, the culprits."""
    import owlready2

    java()
    lines, skipped = data_ntriples(store, project)
    schema = ntriples(ontology)
    started = time.perf_counter()
    try:
        hermit_world(schema + b"\n" + "\n".join(lines).encode("utf-8")).close()
    except Inconsistent:
        result = DataConsistency(False, time.perf_counter() - started, len(lines), skipped)
        result.culprits = disjoint_members(schema, lines)
        return result
    except owlready2.OwlReadyJavaError as exc:
        return DataConsistency(None, time.perf_counter() - started, len(lines), skipped, error=java_message(str(exc)))
    return DataConsistency(True, time.perf_counter() - started, len(lines), skipped)


def data_findings(result: DataConsistency, top: URIRef) -> list[Finding]:
    """The verdict as report rows: one per culprit, or one for the whole when no culprit is found."""
    if result.consistent is not False:
        return []
    if not result.culprits:
        return [Finding(DATA_CONSISTENCY.id, DATA_CONSISTENCY.severity, top,
                        message="HermiT finds no model, and no individual is under two disjoint classes by its "
                                "types, domains and ranges alone (look at cardinalities and value restrictions)")]
    return [Finding(DATA_CONSISTENCY.id, DATA_CONSISTENCY.severity, URIRef(c.individual), URIRef(RDF + "type"),
                    URIRef(c.first),
                    message=f"is a {short(c.first)} (by {c.first_because}) and a {short(c.second)} (by "
                            f"{c.second_because}), which are disjoint")
            for c in result.culprits]
