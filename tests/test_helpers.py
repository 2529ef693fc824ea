"""Unit tests of the engine's pure helpers: value checks, phone numbers, term binding, JSON Pointers and lineage
IRIs, severities, and the package layering. Each pins exact values, so a changed rule shows here first."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import ROOT
from cxgraph.answer.queries import Param, parse_params, to_term
from cxgraph.build.contract import FieldRule
from cxgraph.build.identity import normalize_phone
from cxgraph.build.values import check_value, in_zone, shown_value, value_text
from cxgraph.check.reports import at_or_above, severity_rank
from cxgraph.cli.sparql import parameter_term
from cxgraph.errors import CxGraphError
from cxgraph.lineage import file_entity_iri, parse_record_iri, pointer_text, record_iri
from cxgraph.stores.binding import bind_values
from cxgraph.vocab import XSD, local_name
from cxgraph.xsd import ill_typed

# --- value checks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    (None, None), ("", None), ("   ", None), (True, "true"), (False, "false"), (Decimal("12.50"), "12.50"),
    (Decimal("1E+2"), "100"), (7, "7"), ({"a": 1}, '{"a": 1}'), ("x", "x"),
])
def test_value_text_is_what_the_mapping_engine_sees(raw: object, expected: str | None) -> None:
    assert value_text(raw) == expected


def test_shown_value_keeps_reports_printable() -> None:
    assert shown_value("café") == "café"
    assert shown_value("caf\udce9") == "caf\\xe9"  # a Latin-1 byte read as surrogate escape
    assert shown_value("\ud83d") == "\\ud83d"  # a lone JSON surrogate
    assert shown_value(Decimal("1.50")) == '"1.50"'


@pytest.mark.parametrize(("rule", "raw", "expected"), [
    (FieldRule("n", "integer"), "42", None),
    (FieldRule("n", "integer"), "4.2", ("type", "expected an integer")),
    (FieldRule("n", "integer"), str(2**53 + 1), ("range", "integer too large to map exactly (more than 2^53); "
                                                 "declare the field a string")),
    (FieldRule("n", "integer", minimum=1), "0", ("minimum", "must be at least 1")),
    (FieldRule("n", "decimal", maximum=1), "1.5", ("maximum", "must be at most 1")),
    (FieldRule("n", "decimal"), "12.50", None),
    (FieldRule("n", "decimal"), "12,50", ("type", "expected a decimal number such as 12.50")),
    (FieldRule("n", "boolean"), "yes", ("type", "expected true or false")),
    (FieldRule("n", "string", required=True), "  ", ("required", "required value is missing")),
    (FieldRule("n", "string"), None, None),
    (FieldRule("d", "date"), "2026-02-30", ("type", "not a calendar date")),
    (FieldRule("d", "date"), "2017-10-18 00:00:00", None),  # a day written as a midnight
    (FieldRule("d", "date"), "2017-10-18 10:56:33", ("type", "a date field holds days, but this value is a point "
                                                      "in time; declare the field datetime")),
    (FieldRule("t", "datetime"), "2026-11-03T14:22:01Z", None),
    (FieldRule("t", "datetime"), "2026-11-03T14:22:01", ("timezone", "timestamp has no time zone; the instant is "
                                                          "ambiguous (a source whose timestamps are local declares "
                                                          "`timezone:` in sources.yaml, e.g. America/Sao_Paulo)")),
    (FieldRule("e", "email"), "ann@example", ("type", "expected an e-mail address")),
    (FieldRule("c", "currency"), "gbp", ("type", "expected an ISO 4217 currency code such as GBP")),
    (FieldRule("i", "iri"), "not an iri", ("type", "expected an absolute IRI")),
    (FieldRule("s", "string", enum=("open", "closed")), "pending", ("enum", "not one of the allowed values: open, "
                                                                   "closed")),
    (FieldRule("s", "string", pattern=re.compile(r"[A-Z]{2}\d+")), "ab1", ("pattern", r"does not match [A-Z]{2}\d+")),
    (FieldRule("l", "list"), ["a", ""], ("type", "expected a list of non-empty strings")),
    (FieldRule("s", "string"), ["a"], ("type", "expected a single string value, found a JSON list")),
    (FieldRule("n", "integer"), True, ("type", "expected integer, found a JSON boolean")),
])
def test_check_value(rule: FieldRule, raw: object, expected: tuple[str, str] | None) -> None:
    assert check_value(rule, raw) == expected


def test_local_timestamps_are_read_in_the_source_zone() -> None:
    rule = FieldRule("t", "datetime")
    assert check_value(rule, "2017-10-02 10:56:33", "America/Sao_Paulo") is None
    assert in_zone("2017-10-02 10:56:33", "America/Sao_Paulo") == ("2017-10-02T10:56:33-03:00", None)
    assert in_zone("2017-10-02 10:56", "Europe/London") == ("2017-10-02T10:56:00+01:00", None)
    # clocks going forward: the local time does not exist; going back: it happens twice
    assert in_zone("2026-03-29 01:30:00", "Europe/London") == (
        None, "local time 2026-03-29 01:30:00 does not exist in Europe/London (clocks went forward)")
    assert in_zone("2026-10-25 01:30:00", "Europe/London")[1] == (
        "local time 2026-10-25 01:30:00 happens twice in Europe/London (clocks went back): the instant is ambiguous")
    assert check_value(rule, "2026-10-25 01:30:00", "Europe/London") == (
        "timezone", "local time 2026-10-25 01:30:00 happens twice in Europe/London (clocks went back): the instant "
                    "is ambiguous")


@pytest.mark.parametrize(("text", "datatype", "bad"), [
    ("2026-11-03", "date", False), ("2026-11-03T00:00:00", "date", True), ("1996-07-04", "dateTime", True),
    ("12.5", "decimal", False), ("12,5", "decimal", True), ("INF", "double", False), ("maybe", "boolean", True),
    ("anything", "string", False),
])
def test_ill_typed_literals(text: str, datatype: str, bad: bool) -> None:
    assert ill_typed(text, XSD + datatype) is bad


# --- phone numbers --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "country", "expected"), [
    ("+44 113 496 0000", None, "+441134960000"),
    ("0113 496 0000", "GB", "+441134960000"),
    ("0113 496 0000", None, None),  # a national number needs a country
    ("(415) 555-0132", "US", "+14155550132"),
    ("555-4729", "US", None),  # dialled locally only: not compared
    ("n/a", "GB", None),
])
def test_normalize_phone(text: str, country: str | None, expected: str | None) -> None:
    assert normalize_phone(text, country) == expected


# --- binding parameters as RDF terms --------------------------------------------------------------------

PREFIXES = {"id": "https://data.example/id/", "xsd": XSD}


def test_named_query_parameters_become_typed_terms() -> None:
    assert to_term(Param("c", "iri"), "id:crm/contact/1", PREFIXES) == ox.NamedNode("https://data.example/id/crm/contact/1")
    assert to_term(Param("c", "iri"), "<urn:x:1>") == ox.NamedNode("urn:x:1")
    assert to_term(Param("n", "integer"), "-3") == ox.Literal("-3", datatype=ox.NamedNode(XSD + "integer"))
    assert to_term(Param("s", "string"), 'a "quoted" > value\n') == ox.Literal('a "quoted" > value\n')
    with pytest.raises(CxGraphError, match=r"unknown prefix 'nope'"):
        to_term(Param("c", "iri"), "nope:x", PREFIXES)
    with pytest.raises(CxGraphError, match=r"parameter 'c' expects an IRI"):
        to_term(Param("c", "iri"), "https://x.example/a b")
    with pytest.raises(CxGraphError, match=r"expects an integer"):
        to_term(Param("n", "integer"), "1.5")


def test_ad_hoc_parameters_and_their_values_block() -> None:
    assert parameter_term("c", "id:x", PREFIXES) == ox.NamedNode("https://data.example/id/x")
    assert parameter_term("d", '"2026-11-20"^^xsd:date', PREFIXES) == ox.Literal(
        "2026-11-20", datatype=ox.NamedNode(XSD + "date"))
    assert parameter_term("t", "just text", PREFIXES) == ox.Literal("just text")
    hostile = ox.Literal('"} } DROP ALL ; SELECT * { ?s ?p "')
    bound = bind_values("PREFIX x: <urn:x:> SELECT ?s WHERE { ?s ?p ?v }", {"v": hostile})
    # the value is one escaped literal inside the VALUES block opening the WHERE group
    assert bound == ('PREFIX x: <urn:x:> SELECT ?s WHERE { VALUES (?v) { ("\\"} } DROP ALL ; SELECT * { ?s ?p '
                     '\\"") }  ?s ?p ?v }')
    assert [s["s"] for s in ox.Store().query(bound)] == []  # and the query still parses as written


def test_parse_params() -> None:
    assert parse_params(["a=1", " b = x=y "]) == {"a": "1", "b": " x=y "}
    with pytest.raises(CxGraphError, match="--param takes key=value"):
        parse_params(["novalue"])
    with pytest.raises(CxGraphError, match="given twice"):
        parse_params(["a=1", "a=2"])


# --- JSON Pointers and lineage IRIs ---------------------------------------------------------------------

def test_json_pointers_escape_tilde_and_slash() -> None:
    assert pointer_text(()) == ""
    assert pointer_text(("result", 3)) == "/result/3"
    assert pointer_text(("a/b", "m~n", "")) == "/a~1b/m~0n/"


@pytest.mark.parametrize(("row", "pointer", "fragment", "locator"), [
    (12, None, "#line=12", "line 12"),
    (4, ("result", 3), "#/result/3", "/result/3"),
    (1, ("a/b", "ü s", "%"), "#/a~1b/%C3%BC%20s/%25", "/a~1b/ü s/%"),
    (1, (), "#", "(the whole document)"),  # an iterator of `$`: the record is the document
])
def test_record_iris_round_trip(row: int, pointer: tuple | None, fragment: str, locator: str) -> None:
    entity = file_entity_iri("https://data.example/id/load/crm/20261120T000000000000Z", 2)
    iri = record_iri(entity, row, pointer)
    assert iri == entity + fragment
    ox.NamedNode(iri)  # a valid IRI, whatever the keys hold
    assert parse_record_iri(iri) == (entity, locator)


# --- severities -----------------------------------------------------------------------------------------

def test_one_severity_scale_two_spellings() -> None:
    assert [severity_rank(s) for s in ("Violation", "ERROR", "warning", "WARN", "Info", "info")] == [0, 0, 1, 1, 2, 2]
    assert severity_rank("http://www.w3.org/ns/shacl#Warning") == 1
    assert at_or_above("Warning", "warning") and not at_or_above("Info", "warning")
    assert at_or_above("ERROR", "Violation") and not at_or_above("WARN", "violation")
    with pytest.raises(ValueError, match="unknown severity 'fatal'"):
        severity_rank("fatal")
    assert local_name("http://www.w3.org/ns/shacl#Violation") == "Violation"


# --- the engine's shape ---------------------------------------------------------------------------------

# A module imports only from its own layer's package or from lower layers: the pipeline reads one way.
LAYERS = {"core": 0, "stores": 1, "build": 2, "generate": 2, "check": 3, "answer": 3, "faces": 4, "cli": 5}
CORE = {"errors", "vocab", "yamlio", "project", "lineage", "ontology", "xsd", "faults", "system", "progress",
        "peak_memory", "__init__", "__version__"}


def _layer(module: str) -> str:
    part = module.split(".")[1] if module.count(".") else "__init__"
    if part == "__main__":  # `python -m cxgraph` runs the command line: the top of the pipeline
        return "cli"
    return "core" if part in CORE else part


def test_imports_flow_one_way_through_the_pipeline() -> None:
    src = ROOT / "src"
    wrong = []
    modules = sorted(src.rglob("*.py"))
    assert {p.parent.name for p in modules} == {"cxgraph", "build", "generate", "stores", "check", "answer", "faces",
                                                "cli"}
    for path in modules:
        name = ".".join(path.relative_to(src).with_suffix("").parts)
        here = _layer(name)
        assert here in LAYERS, f"{name}: not in any layer"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cxgraph"):
                targets = [node.module] if node.module != "cxgraph" else [f"cxgraph.{a.name}" for a in node.names]
                for target in targets:
                    there = _layer(target)
                    if there == here:
                        continue
                    if LAYERS[there] >= LAYERS[here]:
                        wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_no_module_declares_the_engine_namespaces_itself() -> None:
    declared = []
    for path in sorted((ROOT / "src" / "cxgraph").rglob("*.py")):
        if path.name == "vocab.py":
            continue
        text = path.read_text(encoding="utf-8")
        for namespace in ("https://w3id.org/cxgraph/ontology#", "http://www.w3.org/2001/XMLSchema#",
                          "http://www.w3.org/ns/prov#", "https://cxgraph.invalid/"):
            if namespace in text:
                declared.append(f"{path.relative_to(ROOT)}: {namespace}")
    assert declared == []


def test_the_readme_module_map_matches_the_tree() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The engine's modules"):]
    section = section[:section.index("\n## ", 4)]
    listed = set()
    for package, modules in re.findall(r"^\| (core|`\w+/`) \| (.*) \|$", section, flags=re.M):
        folder = "" if package == "core" else package.strip("`")
        listed |= {folder + name for name in re.findall(r"`(\w+\.py)`", modules)}
    actual = {str(p.relative_to(ROOT / "src" / "cxgraph")) for p in (ROOT / "src" / "cxgraph").rglob("*.py")
              if p.name != "__init__.py"}
    assert listed == actual, (sorted(actual - listed), sorted(listed - actual))


def test_check_reads_no_rows_from_build() -> None:
    """Validation links results to rows from the lineage graph; it imports nothing from the build."""
    for path in (ROOT / "src" / "cxgraph" / "check").glob("*.py"):
        assert "cxgraph.build" not in path.read_text(encoding="utf-8"), path.name


def test_system_packages_are_found_by_command_or_file(tmp_path: Path) -> None:
    from cxgraph.system import JDK, SystemPackage

    jar = SystemPackage("libx-java", "x", file=tmp_path / "x.jar")
    assert not jar.present()
    (tmp_path / "x.jar").write_bytes(b"")
    assert jar.present()
    assert not SystemPackage("nothing", "x", command="cxgraph-no-such-command").present()
    assert JDK.install_hint == "`cxgraph setup` installs it (apt-get install default-jdk-headless)"
