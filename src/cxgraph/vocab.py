"""The engine's vocabulary: the namespaces it reads and writes, and the terms it writes itself.

One place, so that no module declares `cx:` or `xsd:` again and a renamed term is renamed once. The
enterprise's own namespace (`id:`) is not here: it comes from the registry's `base_iri` (project.py).
"""

from __future__ import annotations

import pyoxigraph as ox

CX = "https://w3id.org/cxgraph/ontology#"
ENGINE = "https://w3id.org/cxgraph/engine#"  # terms of the engine's reports, never of the enterprise's data
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"

# IRIs under this reserved domain (RFC 6761) name what the engine keeps private while it works (staging
# graphs, the remote build lock): never published, never a graph a reader should see.
PRIVATE = "https://cxgraph.invalid/"

# The prefixes every query may use without declaring them (`id:` is added per project).
PREFIXES = {"cx": CX, "rdf": RDF, "rdfs": RDFS, "xsd": XSD, "prov": PROV}
# The prefixes canonical ontology Turtle is written with.
ONTOLOGY_PREFIXES = {"cx": CX, "owl": OWL, "rdf": RDF, "rdfs": RDFS, "xsd": XSD, "skos": SKOS, "dct": DCT,
                     "prov": PROV}


def sparql_prologue(prefixes: dict[str, str] | None = None) -> str:
    """PREFIX lines for a query text (the engine's own queries; user queries get theirs bound likewise)."""
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in (prefixes or PREFIXES).items())


def cx(name: str) -> ox.NamedNode:
    return ox.NamedNode(CX + name)


def prov(name: str) -> ox.NamedNode:
    return ox.NamedNode(PROV + name)


def xsd(name: str) -> ox.NamedNode:
    return ox.NamedNode(XSD + name)


def local_name(iri: str) -> str:
    """The part of an IRI after its last `#` or `/` (a shape's or a term's short name in reports)."""
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


RDF_TYPE = ox.NamedNode(RDF + "type")
RDFS_LABEL = ox.NamedNode(RDFS + "label")
XSD_STRING = XSD + "string"
XSD_DATE = xsd("date")
XSD_DATETIME = xsd("dateTime")
XSD_INTEGER = xsd("integer")
XSD_ANYURI = xsd("anyURI")

# Terms the engine writes (their meaning is in the ontology, except the report-only ENGINE terms)
SOURCE_IDENTIFIER = cx("hasSourceIdentifier")
DOCUMENTS = cx("documents")  # a record -> the activity it documents (a decision record -> the decision)
READ_FROM = cx("wasReadFrom")  # a loaded subject -> the source record (file#locator) it was read from
ILL_TYPED = ENGINE + "IllTypedLiteral"  # the "shape" of an ill-typed literal in validation reports
