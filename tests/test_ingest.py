"""The loader takes quads only into the graph of the source that made them, and names every bad line."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from cxgraph.build.ingest import ingest
from cxgraph.build.iri import encode_illegal, expand_template, raw_iri_value, template_value
from cxgraph.errors import CxGraphError
from cxgraph.project import mapping_graph

NONCE = "0123456789abcdef"
CRM = "https://example.org/graph/source/crm"
BILLING = "https://example.org/graph/source/billing"
S = "https://example.org/id/crm/contact/1"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapped-0.nq"
    path.write_text(text, encoding="utf-8")
    return path


def _ingest(path: Path, known: set[str] | None = None):  # type: ignore[no-untyped-def]
    store = ox.Store()
    done = ingest([path], {mapping_graph(NONCE, "crm"): "crm", mapping_graph(NONCE, "billing"): "billing"},
                  {"crm": CRM, "billing": BILLING}, store, known)
    return store, done


def test_quads_move_from_their_nonce_graph_to_their_source_graph(tmp_path: Path) -> None:
    path = _write(tmp_path, f'<{S}> <https://example.org/p> "a" <{mapping_graph(NONCE, "crm")}> .\n'
                            f'<{S}> <https://example.org/q> "b" <{mapping_graph(NONCE, "billing")}> .\n')
    store, done = _ingest(path)
    assert {(q.graph_name.value, q.object.value) for q in store} == {(CRM, "a"), (BILLING, "b")}
    assert dict(done.triples) == {"crm": 1, "billing": 1}
    assert done.subjects["crm"] == {S}


@pytest.mark.parametrize("graph", [CRM, BILLING, "https://evil.example/graph", mapping_graph("guessed", "crm")])
def test_a_quad_naming_any_other_graph_fails_the_load(tmp_path: Path, graph: str) -> None:
    path = _write(tmp_path, f'<{S}> <https://example.org/p> "a" <{mapping_graph(NONCE, "crm")}> .\n'
                            f'<{S}> <https://example.org/p> "attacker" <{graph}> .\n')
    with pytest.raises(CxGraphError, match="instead of a source graph"):
        _ingest(path)


def test_a_quad_in_the_default_graph_fails_the_load(tmp_path: Path) -> None:
    with pytest.raises(CxGraphError, match="instead of a source graph"):
        _ingest(_write(tmp_path, f'<{S}> <https://example.org/p> "a" .\n'))


def test_an_unreadable_line_is_attributed_to_its_row(tmp_path: Path) -> None:
    good = f'<{S}> <https://example.org/p> "a" <{mapping_graph(NONCE, "crm")}> .\n'
    bad = f'<{S}> <https://example.org/see> <http://x y> <{mapping_graph(NONCE, "crm")}> .\n'
    store, done = _ingest(_write(tmp_path, good + bad + good.replace('"a"', '"c"')), known={S})
    assert [(b.line, b.subject) for b in done.bad_lines] == [(2, S)]
    assert {q.object.value for q in store} == {"a", "c"}  # the good lines of the chunk are kept


def test_an_unreadable_line_nobody_made_fails_the_load(tmp_path: Path) -> None:
    text = f'<{S}> <https://example.org/p> "a" <{mapping_graph(NONCE, "crm")}> .\nfoo> <{CRM}> .\n'
    with pytest.raises(CxGraphError, match="no source row can be found") as error:
        _ingest(_write(tmp_path, text), known={S})
    assert error.value.line == 2



def test_each_file_goes_once_loaded_when_asked_and_one_with_a_bad_line_stays(tmp_path: Path) -> None:
    crm = mapping_graph(NONCE, "crm")
    good = [tmp_path / "mapped-0.nq", tmp_path / "mapped-1.nq"]
    for i, path in enumerate(good):
        path.write_text(f'<{S}> <https://example.org/p> "{i}" <{crm}> .\n', encoding="utf-8")
    bad = tmp_path / "mapped-2.nq"
    bad.write_text(f'<{S}> <https://example.org/p> "2" <{crm}> .\n<{S}> <https://example.org/q> <a b> <{crm}> .\n',
                   encoding="utf-8")
    seen: list[list[bool]] = []

    def handed_over():  # type: ignore[no-untyped-def]
        for path in [*good, bad]:
            seen.append([p.exists() for p in good])  # before each file is handed over
            yield path

    store = ox.Store()
    done = ingest(handed_over(), {crm: "crm"}, {"crm": CRM}, store, {S}, discard=True)
    assert seen == [[True, True], [False, True], [False, False]]  # the first went before the second came
    assert bad.exists() and len(done.bad_lines) == 1  # kept: the line the store refused is in it
    assert sorted(q.object.value for q in store) == ["0", "1", "2"]
    kept = tmp_path / "kept.nq"
    kept.write_text(f'<{S}> <https://example.org/p> "k" <{crm}> .\n', encoding="utf-8")
    ingest([kept], {crm: "crm"}, {"crm": CRM}, ox.Store())
    assert kept.exists()  # not asked: nothing is deleted

def test_template_values_are_encoded_as_the_mapping_engine_does() -> None:
    assert template_value("a b/c~d%e>\n") == "a%20b%2Fc~d%25e%3E%0A"
    assert expand_template("id:crm/contact/$(ContactId)", {"id": "https://example.org/id/"},
                           {"ContactId": "0030 1"}) == "https://example.org/id/crm/contact/0030%201"
    assert expand_template("id:x/$(a)-$(b)", {"id": "https://e.org/"}, {"a": "1", "b": ""}) is None


@pytest.mark.parametrize("value", ['x> <http://e/p> "v" <http://evil/g> .\n', "a b", "50%", "{}|^`\\", "\x00",
                                   "é", "a?b#c"])
def test_a_raw_iri_fragment_can_never_end_the_iri(value: str) -> None:
    mapped, why = raw_iri_value(value, whole=False)
    assert why is None and mapped is not None
    iri = ox.NamedNode("https://example.org/id/" + mapped)
    assert iri.value.count("#") == 0 and "?" not in iri.value
    assert not set(mapped) & set(' <>"{}|\\^`\n\x00')


def test_a_whole_iri_is_encoded_or_refused() -> None:
    assert raw_iri_value("https://example.org/a b", whole=True) == ("https://example.org/a%20b", None)
    assert raw_iri_value("not an iri", whole=True)[1] is not None
    assert raw_iri_value("http://[::1", whole=True)[1] is not None
    assert encode_illegal("100%") == "100%25" and encode_illegal("%41") == "%41"


def test_an_ill_typed_literal_fails_the_load_naming_its_source(tmp_path: Path) -> None:
    text = (f'<{S}> <https://example.org/at> "1996-07-04"^^<http://www.w3.org/2001/XMLSchema#dateTime> '
            f'<{mapping_graph(NONCE, "crm")}> .\n')
    with pytest.raises(CxGraphError, match="source 'crm': the mapping wrote 1 ill-typed literal"):
        _ingest(_write(tmp_path, text))


def test_validate_reports_ill_typed_literals_that_pyshacl_lets_pass() -> None:
    import pyshacl
    import rdflib

    from cxgraph.check.validate import ill_typed_results, ill_typed_triples

    turtle = """@prefix ex: <http://example.org/> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        ex:o a ex:Order ; ex:at "1996-07-04"^^xsd:dateTime ; ex:on "2026-02-30"^^xsd:date .
        ex:p a ex:Order ; ex:at "1996-07-04T10:00:00Z"^^xsd:dateTime ; ex:on "1996-07-04"^^xsd:date ."""
    data = rdflib.Graph().parse(format="turtle", data=turtle)
    shapes = rdflib.Graph().parse(format="turtle", data="""@prefix ex: <http://example.org/> .
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        ex:S a sh:NodeShape ; sh:targetClass ex:Order ; sh:property [ sh:path ex:at ; sh:datatype xsd:dateTime ] .""")
    conforms, _report, _text = pyshacl.validate(data, shacl_graph=shapes)
    assert conforms  # pySHACL (0.40, after rdflib) takes "1996-07-04"^^xsd:dateTime as well-typed
    ntriples = ox.serialize(ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_TRIPLES)
    found = {(r.focus, r.value) for r in ill_typed_results(ill_typed_triples(ntriples))}
    assert found == {("http://example.org/o", "1996-07-04"), ("http://example.org/o", "2026-02-30")}


def test_the_store_scan_finds_ill_typed_literals_in_every_graph_it_reads_and_skips_the_judged() -> None:
    """Each graph is dumped and only lines with a judged datatype are parsed: a string that spells a typed
    literal, a blank subject, a last line without newline, the default graph and a judged graph."""
    from cxgraph.check.validate import ill_typed_in_store
    from cxgraph.stores.embedded import EmbeddedStore

    xsd = "http://www.w3.org/2001/XMLSchema#"
    p, at = ox.NamedNode("https://example.org/p"), ox.NamedNode("https://example.org/at")
    a, b, c = (ox.NamedNode(f"https://example.org/{n}") for n in "abc")
    blank = ox.BlankNode("b1")
    g1, g2, judged = (ox.NamedNode(f"https://example.org/graph/{n}") for n in ("one", "two", "judged"))
    bad_date = ox.Literal("2026-02-30", datatype=ox.NamedNode(xsd + "date"))
    store = EmbeddedStore()
    store.raw.extend([
        ox.Quad(a, p, ox.Literal(f'x"^^<{xsd}date> .\n<{a.value}> <{p.value}> "nope"^^<{xsd}integer> .'), g1),
        ox.Quad(a, at, ox.Literal("2026-02-28", datatype=ox.NamedNode(xsd + "date")), g1),
        ox.Quad(blank, at, ox.Literal("12a", datatype=ox.NamedNode(xsd + "integer")), g1),
        ox.Quad(b, at, bad_date, g2),
        ox.Quad(c, at, ox.Literal("yes", datatype=ox.NamedNode(xsd + "boolean")), ox.DefaultGraph()),
        ox.Quad(c, at, bad_date, judged),
    ])
    found = {(t.subject.value if isinstance(t.subject, ox.NamedNode) else "_", t.object.value)
             for t in ill_typed_in_store(store, [judged.value])}
    assert found == {("_", "12a"), ("https://example.org/b", "2026-02-30"), ("https://example.org/c", "yes")}


def test_the_bulk_path_and_the_checked_path_load_the_same(tmp_path: Path) -> None:
    """A chunk of ordinary lines takes the bytes path; one unusual line sends it through the per-quad path."""
    lines = [f'<{S}{i}> <https://example.org/p> "v{i}"^^<http://www.w3.org/2001/XMLSchema#string> '
             f'<{mapping_graph(NONCE, "crm" if i % 2 else "billing")}> .\n' for i in range(50)]
    lines.append(f'<{S}x> <https://example.org/p> "caf\\u00E9" <{mapping_graph(NONCE, "crm")}> .\n')  # an escape
    fast_store, fast = _ingest(_write(tmp_path, "".join(lines[:50])))
    slow_store, slow = _ingest(_write(tmp_path, "".join(lines)))
    assert {str(q) for q in fast_store} == {str(q) for q in slow_store} - {
        str(q) for q in slow_store if q.subject.value == f"{S}x"}
    assert dict(fast.triples) == {"crm": 25, "billing": 25} and dict(slow.triples) == {"crm": 26, "billing": 25}
    assert fast.subjects["crm"] | {f"{S}x"} == slow.subjects["crm"]
    assert {q.object.value for q in slow_store if q.subject.value == f"{S}x"} == {"café"}
