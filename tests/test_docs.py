"""`cxgraph docs`: one HTML page documenting every module of the ontology with pyLODE."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import typer
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from typer.testing import CliRunner

from conftest import CX, ROOT
from cxgraph.check.docs import imports_closure
from cxgraph.cli.ontology import register
from cxgraph.errors import CxGraphError

ONTOLOGY = ROOT / "ontology"


def _terms() -> dict[str, tuple[URIRef, str]]:
    """Every cx: class and property in the ontology files, read independently of the code under test."""
    graph = Graph()
    for path in [ONTOLOGY / "cxgraph.ttl", *sorted((ONTOLOGY / "modules").glob("*.ttl"))]:
        graph.parse(path, format="turtle")
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    terms = {}
    for kind in kinds:
        for term in graph.subjects(RDF.type, kind):
            if isinstance(term, URIRef) and str(term).startswith(CX):
                terms[str(term)] = (kind, str(graph.value(term, RDFS.label)))
    return terms


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("docs") / "site"
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["docs", "--project", str(ROOT), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "index.html" in result.output
    return (out / "index.html").read_text(encoding="utf-8")


def _headings(text: str) -> set[str]:
    return {" ".join(html.unescape(h).split()) for h in re.findall(r"<h3>([^<]*)", text)}


def test_every_class_and_property_is_documented_with_its_label(page: str) -> None:
    terms = _terms()
    classes = [label for kind, label in terms.values() if kind == OWL.Class]
    # the six competing customer definitions, read from the files: the reader found the modules
    assert {"customer record", "billing account", "digital identity", "contract holder", "household",
            "service relationship", "trade account"} <= set(classes)
    headings = _headings(page)
    missing = sorted(label for _, label in terms.values() if label not in headings)
    assert missing == []
    for iri in terms:
        assert f"<code>{iri}</code>" in page, iri


def test_one_page_under_the_top_header_listing_every_module(page: str) -> None:
    assert re.search(r"<title>\s*cxgraph ontology\s*</title>", page)
    for module in ("customer", "decision", "marketing", "operations", "policy", "service", "signal", "system",
                   "workflow"):
        assert f"<code>https://w3id.org/cxgraph/ontology/{module}</code>" in page
    assert "cxgraph ontology: workflow module</h1>" not in page
    # PROV-O is named as an import and its terms link out, but it is not documented again
    assert 'href="http://www.w3.org/ns/prov-o#"' in page
    assert "<code>http://www.w3.org/ns/prov#Activity</code>" not in page
    assert 'href="http://www.w3.org/ns/prov#Agent"' in page


def test_imports_closure_follows_the_catalogs() -> None:
    modules = imports_closure(ONTOLOGY / "cxgraph.ttl")
    iris = [m.iri for m in modules]
    assert iris[0] == "https://w3id.org/cxgraph/ontology"
    assert len(iris) == len(set(iris)) == 11  # top, nine modules, PROV-O
    assert "http://www.w3.org/ns/prov-o#" in iris


def test_an_unresolved_import_names_the_file(tmp_path: Path) -> None:
    top = tmp_path / "top.ttl"
    top.write_text("<https://example.org/o> a <http://www.w3.org/2002/07/owl#Ontology> ;\n"
                   "  <http://www.w3.org/2002/07/owl#imports> <https://example.org/missing> .\n", encoding="utf-8")
    unresolved = r"top\.ttl(:\d+)?: owl:imports <https://example.org/missing> does not resolve"
    with pytest.raises(CxGraphError, match=unresolved):
        imports_closure(top)
