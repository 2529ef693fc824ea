"""An injection corpus through every field type and IRI position of a source, and every query parameter.

A small project (written here into a temporary folder) maps one CSV and one JSON export whose values
go into literals of every contract type, IRI templates, whole IRIs and morph-kgc's `concat`. Each
corpus value is put in each column of its own row; one real build maps them all. Nothing may leave
the source's graph, every row is loaded or quarantined, a string is stored exactly as written, and
an IRI never carries a character that could end it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import ROOT, Built
from cxgraph.answer.queries import bind, catalog, run
from cxgraph.build.pipeline import build
from cxgraph.errors import CxGraphError
from cxgraph.project import load_project
from cxgraph.stores.binding import bind_values
from cxgraph.stores.embedded import EmbeddedStore

CORPUS = [
    '"', "'", '"""', "{}", "}", "{", ">", "<", "a\nb", "a\r\nb", "\\", "\\u0022", "\t", " ", "#", "?", "%", "%41",
    "%zz", 'x> <http://evil.example/p> "v" <http://evil.example/g> .\n<http://evil.example/s> <http://e/p> "w" .',
    '" . } ; DROP ALL ; INSERT DATA { GRAPH <http://evil.example/g> { <a:b> <a:c> "d" } } #',
    "} UNION { ?s ?p ?o", "?s ?p ?o", "$x", "_:b0", "<<( <a:b> <a:c> <a:d> )>>", "[red]x[/red] [/]", "é€😀",
    "\u202e", "javascript:alert(1)", "http://[::1", "mailto:a@b.c", "a@b.c", "1e400", "-0", "NaN", "true",
    "2026-02-30", "2026-11-29T25:00:00Z", "GBP", "12345678901234567890", "0.1e1", "x" * 200_000,
]
TYPES = {"s": "string", "i": "integer", "d": "decimal", "b": "boolean", "dt": "date", "ts": "datetime",
         "em": "email", "cur": "currency", "iri": "iri"}
GOOD = {"s": "plain", "i": "1", "d": "1.5", "b": "true", "dt": "2026-11-29", "ts": "2026-11-29T10:00:00Z",
        "em": "a@example.org", "cur": "GBP", "iri": "https://example.org/x"}
EX = "https://inject.example/"

MAPPING = f"""prefixes:
  ex: {EX}
  id: {EX}id/
  xsd: http://www.w3.org/2001/XMLSchema#
  grel: http://users.ugent.be/~bjdmeest/function/grel.ttl#
  morph-kgc: https://github.com/morph-kgc/morph-kgc/function/built-in.ttl#
mappings:
  thing:
    sources:
      - ['things.csv~csv']
    s: id:thing/$(id)
    po:
      - [a, ex:Thing]
      - [ex:s, $(s)]
      - [ex:i, $(i), xsd:integer]
      - [ex:d, $(d), xsd:decimal]
      - [ex:b, $(b), xsd:boolean]
      - [ex:dt, $(dt), xsd:date]
      - [ex:ts, $(ts), xsd:dateTime]
      - [ex:em, $(em)]
      - [ex:cur, $(cur)]
      - [ex:template, id:other/$(s)~iri]
      - [ex:whole, $(iri)~iri]
      - p: ex:concat
        o:
          function: morph-kgc:concat
          parameters:
            - [grel:valueParameter1, "{EX}id/"]
            - [grel:valueParameter2, $(s)]
          type: iri
  listed:
    sources:
      - ['lists.json~jsonpath', '$.items[*]']
    s: id:listed/$(id)
    po:
      - [a, ex:Listed]
      - p: ex:used
        o:
          function: morph-kgc:concat
          parameters:
            - [grel:valueParameter1, "{EX}id/"]
            - [grel:valueParameter2, $(used)]
          type: iri
"""


def _project(folder: Path) -> Path:
    loaders = folder / "loaders"
    (loaders / "contracts").mkdir(parents=True)
    (loaders / "mappings").mkdir()
    (loaders / "sources.yaml").write_text(f"""base_iri: {EX}
data_root: ../data
ontology: {ROOT / "ontology" / "cxgraph.ttl"}
identity: identity.yaml
sources:
  things:
    title: things
    files: [things.csv, lists.json]
    contract: contracts/things.json
    mapping: mappings/things.yml
""", encoding="utf-8")
    (loaders / "identity.yaml").write_text("record_classes: [cx:ContractHolder]\nrules: []\n", encoding="utf-8")
    fields = {"id": {"type": "string", "required": True}, **{c: {"type": t} for c, t in TYPES.items()}}
    contract = {"source": "things", "record_sets": {
        "things": {"file": "things.csv", "format": "csv", "key": "id", "fields": fields},
        "lists": {"file": "lists.json", "format": "json", "iterator": "$.items[*]", "key": "id",
                  "fields": {"id": {"type": "string", "required": True}, "used": {"type": "list"}}}}}
    (loaders / "contracts" / "things.json").write_text(json.dumps(contract), encoding="utf-8")
    (loaders / "mappings" / "things.yml").write_text(MAPPING, encoding="utf-8")
    data = folder / "data"
    data.mkdir()
    rows = [{"id": "good", **GOOD}]
    for n, value in enumerate(CORPUS):
        for column in TYPES:
            rows.append({"id": f"r{n}-{column}", **GOOD, column: value})
    with (data / "things.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", *TYPES])
        writer.writeheader()
        writer.writerows(rows)
    items = [{"id": f"l{n}", "used": ["ok/1", value]} for n, value in enumerate(CORPUS)]
    (data / "lists.json").write_text(json.dumps({"items": items}), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory) -> tuple[EmbeddedStore, object]:
    folder = _project(tmp_path_factory.mktemp("injection"))
    project = load_project(folder)
    store = EmbeddedStore()
    report = build(project, store, folder / ".cxgraph", echo=lambda _m: None)
    return store, report


def test_nothing_leaves_the_source_graph(injected) -> None:  # type: ignore[no-untyped-def]
    store, _report = injected
    graphs = set(store.named_graphs())
    assert f"{EX}graph/source/things" in graphs
    assert graphs <= {f"{EX}graph/source/things"} | {
        f"{EX}graph/{g}" for g in ("ontology", "provenance", "registry", "identity", "inferred",
                                   "lineage/things")}  # identity: empty
    source = f"{EX}graph/source/things"
    for quad in store.raw.quads_for_pattern(None, None, None, ox.NamedNode(source)):
        assert quad.subject.value.startswith((f"{EX}id/thing/", f"{EX}id/listed/")), quad
        assert quad.predicate.value.startswith(EX) or quad.predicate.value.endswith("#type"), quad
    assert not list(store.query("SELECT * WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?s), 'evil.example') "
                                "|| CONTAINS(STR(?p), 'evil.example')) }"))


def test_every_row_is_loaded_or_quarantined_and_strings_are_kept_exactly(injected) -> None:  # type: ignore[no-untyped-def]
    store, report = injected
    counts = {c.record_set: c for c in report.check.for_source("things")}
    for count in counts.values():
        assert count.read == count.loaded + count.quarantined
    assert counts["things"].read == 1 + len(CORPUS) * len(TYPES)
    quarantined = {i.locator for i in report.check.issues}
    strings = {r["id"].value: r["s"].value for r in store.query(
        f"SELECT ?id ?s WHERE {{ ?t a <{EX}Thing> ; <{EX}s> ?s . BIND(STRAFTER(STR(?t), 'thing/') AS ?id) }}")}
    for n, value in enumerate(CORPUS):
        row_id = f"r{n}-s"
        if value.strip() == "":
            continue  # blank is "no value": no triple, by the contract's definition of empty
        assert strings.get(row_id) == value or any(i.locator for i in report.check.issues if
                                                   i.value.startswith(value[:50]) and i.column == "s"), row_id
    # a typed column holds only values of its type: the rest are quarantined, never ill-typed literals
    for quad in store.raw:
        if isinstance(quad.object, ox.Literal) and quad.object.datatype.value.endswith(
                ("#integer", "#decimal", "#boolean", "#date", "#dateTime")):
            assert ox.Literal(quad.object.value, datatype=quad.object.datatype) == quad.object
    assert quarantined  # the corpus breaks the typed columns


def test_every_iri_is_valid_and_carries_no_structure(injected) -> None:  # type: ignore[no-untyped-def]
    store, _report = injected
    iris = [q.object.value for q in store.raw if isinstance(q.object, ox.NamedNode)
            and q.predicate.value in (f"{EX}template", f"{EX}concat", f"{EX}used", f"{EX}whole")]
    assert len(iris) > len(CORPUS)
    for iri in iris:
        assert not set(iri) & set(' <>"{}|\\^`\n\r\t'), iri
        if iri.startswith(f"{EX}id/"):
            assert "#" not in iri and "?" not in iri, iri


@pytest.mark.parametrize("value", CORPUS)
def test_every_query_parameter_is_bound_as_a_term(sample: Built, value: str) -> None:
    prefixes = {"id": sample.project.id_iri(""), "cx": "https://w3id.org/cxgraph/ontology#"}
    for query in catalog(ROOT / "queries").values():
        for name in query.params:
            values = {**query.examples, name: value}
            try:
                terms = bind(query, values, prefixes)
            except CxGraphError:
                continue  # refused with a message: not the parameter's type
            answer = run(sample.store, query, values, prefixes)  # the query's text is never changed
            assert isinstance(answer.rows, list)
            remote_text = bind_values(query.text, terms)  # what a remote store gets: one VALUES block of terms
            ox.Store().query(remote_text)  # it parses: the value did not change the query's structure
            assert remote_text.count("VALUES (") == 1


def test_a_comment_or_string_never_receives_the_bound_values(sample: Built) -> None:
    """The VALUES block opens the real WHERE group: not a `where {` in a comment, a string or an IRI (there it
    would bind nothing and the query would answer for every customer)."""
    sparql = ("#+ title: orders where {the customer} placed\n"
              "# rows where { ... }\n"
              "PREFIX cx: <https://w3id.org/cxgraph/ontology#>\n"
              "SELECT ?o WHERE { ?o cx:isPlacedBy ?customer FILTER (STR(?o) != \"where {\") }")
    customer = ox.NamedNode("https://data.brightwater.example/id/commerce/customer/cus_arees001")
    text = bind_values(sparql, {"customer": customer})
    assert text.splitlines()[:2] == sparql.splitlines()[:2]  # comments untouched
    orders = sorted(row["o"].value.rsplit("/", 1)[1] for row in sample.store.query(text))
    assert orders == ["WEB-103880", "WEB-104211"]
    assert sorted(r["o"].value.rsplit("/", 1)[1] for r in sample.store.query(sparql, {"customer": customer})) == \
        orders  # EmbeddedStore.query binds the same way
