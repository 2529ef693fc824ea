"""Dangling links found from the load's own subjects and objects equal what a query over every quad finds."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import ROOT
from cxgraph.build.ingest import ingest
from cxgraph.build.pipeline import find_dangling
from cxgraph.build.subject_rows import SubjectRows
from cxgraph.project import load_project, mapping_graph
from cxgraph.stores.embedded import EmbeddedStore

NONCE = "00112233445566778899aabbccddeeff"


def _by_query(store: EmbeddedStore, graphs: list[str], namespace: str) -> list[tuple[str, str, str, str]]:
    """The query the build ran before: every quad of the loaded graphs, NOT EXISTS per quad."""
    values = " ".join(f"<{g}>" for g in graphs)
    rows = store.query(
        f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
        f"FILTER(isIRI(?o) && STRSTARTS(STR(?o), \"{namespace}\")) "
        "FILTER NOT EXISTS { GRAPH ?any { ?o ?p2 ?o2 } } } ORDER BY ?g ?s ?p ?o")
    return [(r["g"].value, r["s"].value, r["p"].value, r["o"].value) for r in rows]


@pytest.mark.parametrize("escaped", [False, True], ids=["fast path", "checked path"])
def test_dangling_links_equal_the_query_over_every_quad(tmp_path: Path, escaped: bool) -> None:
    """The loader's fast path reads objects from the bytes; a chunk with an escape takes the checked path."""
    project = load_project(ROOT)
    crm, billing = project.sources["crm"], project.sources["billing"]
    ns = project.id_iri("")
    p, q = "https://example.org/p", "https://example.org/q"
    kept = ox.NamedNode(project.graph_iri("actions"))
    work = EmbeddedStore()
    work.raw.add(ox.Quad(ox.NamedNode(f"{ns}kept/1"), ox.NamedNode(p), ox.Literal("x"), kept))  # a kept graph
    work.raw.add(ox.Quad(ox.NamedNode(f"{ns}default/1"), ox.NamedNode(p), ox.Literal("x")))  # default graph only
    c, b = f"<{mapping_graph(NONCE, 'crm')}>", f"<{mapping_graph(NONCE, 'billing')}>"
    lines = [
        f"<{ns}crm/contact/1> <{p}> <{ns}billing/account/A> {c} .",  # described by the other source
        f"<{ns}crm/contact/1> <{p}> <{ns}nowhere/1> {c} .",
        f"<{ns}crm/contact/2> <{q}> <{ns}nowhere/1> {c} .",
        f"_:blank <{p}> <{ns}nowhere/1> {c} .",  # a blank subject sorts first
        f"<{ns}crm/contact/1> <{p}> <{crm.system}> {c} .",  # the registry declares systems
        f"<{ns}crm/contact/1> <{p}> <{ns}default/1> {c} .",  # described only in the default graph
        f'<{ns}crm/contact/1> <{p}> "see <{ns}nowhere/2>" {c} .',  # a literal, not a link
        f'<{ns}crm/contact/1> <{p}> "see <{ns}nowhere/5>"^^<http://www.w3.org/2001/XMLSchema#string> {c} .',
        f"<{ns}billing/account/A> <{p}> <{ns}kept/1> {b} .",
        f"<{ns}billing/account/A> <{p}> <https://other.example/x> {b} .",  # not the enterprise's namespace
        f"<{ns}billing/account/A> <{q}> <{ns}nowhere/3> {b} .",
        f"<{ns}billing/account/A> <{q}> <{ns}crm/contact/2> {b} .",
    ] + ([f'<{ns}crm/contact/2> <{p}> "a \\"quoted\\" <{ns}nowhere/4>" {c} .'] if escaped else [])
    mapped = tmp_path / "mapped.nq"
    mapped.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = ingest([mapped], {mapping_graph(NONCE, "crm"): "crm", mapping_graph(NONCE, "billing"): "billing"},
                  {"crm": crm.graph, "billing": billing.graph}, work.raw, namespace=ns)
    expected = {"crm": SubjectRows(), "billing": SubjectRows()}
    found = find_dangling(work, project, [crm, billing], expected, None, done)  # type: ignore[arg-type]
    oracle = [row for row in _by_query(work, [crm.graph, billing.graph], ns) if row[3] != crm.system]
    assert [(project.sources[d.source].graph, d.subject, d.predicate, d.target) for d in found] == oracle
    assert [(d.source, d.subject.startswith(ns), d.target.removeprefix(ns)) for d in found] == [
        ("billing", True, "nowhere/3"), ("crm", False, "nowhere/1"), ("crm", True, "default/1"),
        ("crm", True, "nowhere/1"), ("crm", True, "nowhere/1")]
    assert len(find_dangling(work, project, [crm, billing], expected, None, done, limit=2)) == 2  # type: ignore[arg-type]
