"""HTML documentation of the ontology with pyLODE, one page for the whole imports closure.

pyLODE documents the one graph it is given and does not follow owl:imports, so the modules are merged
first: the imports closure of the top ontology is resolved offline through `catalog-v001.xml` (as
Protégé does); the project's own modules (ontology IRIs under the top ontology's IRI) are merged and
documented, with one header, the top ontology's, that lists the modules; imports from elsewhere (the
vendored PROV-O) are named as imports, not documented again. pyLODE 3.3.4 is pinned: 3.4.x fails on
import, and 3.3.4 sits beside rdflib 7.3+ and pyoxigraph 0.5 without conflict.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rdflib import OWL, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from cxgraph.errors import CxGraphError
from cxgraph.ontology import OntologyFile, require_closure


def imports_closure(top: Path) -> list[OntologyFile]:
    """The top ontology and everything it imports, transitively, each import resolved through the catalog."""
    if not top.is_file():
        raise CxGraphError("ontology file does not exist", top)
    return require_closure(top).files


def merged_ontology(top: Path) -> Graph:
    """The project's modules as one graph under the top ontology's header, for one documentation page."""
    if not top.is_file():
        raise CxGraphError("ontology file does not exist", top)
    closure = require_closure(top)
    head, own = closure.files[0], closure.owned()
    external = [m for m in closure.files if m not in own]
    merged = Graph()
    for module in own:
        for prefix, namespace in module.graph.namespaces():
            merged.bind(prefix, namespace, override=False)
        for triple in module.graph:
            if triple[0] == URIRef(module.iri) and module is not head:
                continue  # module headers are summarized in the top header
            merged.add(triple)
    subject = URIRef(head.iri)
    for module in own[1:]:
        merged.remove((subject, OWL.imports, URIRef(module.iri)))
    for module in external:
        merged.add((subject, OWL.imports, URIRef(module.iri)))
    listing = "\n".join(f"- **{_text(m.graph, m.iri, DCTERMS.title)}** (`{m.iri}`): "
                        f"{_text(m.graph, m.iri, DCTERMS.description)}" for m in own[1:])
    if listing:
        description = _text(head.graph, head.iri, DCTERMS.description)
        merged.remove((subject, DCTERMS.description, None))
        merged.add((subject, DCTERMS.description,
                    Literal(f"{description}\n\nThis page documents these modules together:\n\n{listing}", lang="en")))
    return merged


def _text(graph: Graph, iri: str, predicate: URIRef) -> str:
    return str(graph.value(URIRef(iri), predicate) or "")


def write_docs(top: Path, output: Path) -> Path:
    """Write `output/index.html` documenting the ontology closure of `top`; returns the page's path."""
    graph = merged_ontology(top)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from pylode import OntPub  # importing pyLODE sets up DEBUG logging on the root logger
        from pylode.utils import PylodeError
    except ImportError as exc:
        raise CxGraphError(f"pyLODE is not installed ({exc}); install cxgraph with its dependencies") from None
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    output.mkdir(parents=True, exist_ok=True)
    page = output / "index.html"
    try:
        html = OntPub(graph, sort_subjects=True).make_html()
    except PylodeError as exc:
        raise CxGraphError(f"pyLODE cannot document the ontology: {exc}", top) from None
    page.write_text(html, encoding="utf-8")
    return page
