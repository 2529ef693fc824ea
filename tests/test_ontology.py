"""Ontology QC with real tools: SPARQL hygiene checks, canonical Turtle, HermiT on Java, and Protégé readiness
(the OWL API that Protégé is built on, and py-horned-owl) over the imports closure.

Fixtures under fixtures/ontology/<case>/ are small, canonical cxgraph ontologies, each clean except for the
one defect its name says; each test pins the exact findings (check, severity, entity, property, value,
file, line), so a check that stops finding its defect, or starts finding others, fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
import typer
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from conftest import CX, FIXTURES, ROOT
from cxgraph.check.hermit import REASONER_CHECKS, Reasoning
from cxgraph.check.ontology_check import run_checks
from cxgraph.check.ontology_qc import (
    ENGINE_CHECKS,
    Finding,
    QcReport,
    canonical_turtle,
    format_files,
    load_checks,
    parse_check,
    run_check,
)
from cxgraph.cli.ontology import register
from cxgraph.errors import CxGraphError
from cxgraph.ontology import Closure, load_closure
from cxgraph.system import JDK, OWLAPI, SystemPackage

ONTOLOGY = ROOT / "ontology" / "cxgraph.ttl"
CHECKS = ROOT / "ontology" / "checks"
CASES = FIXTURES / "ontology"
TOP = URIRef("https://w3id.org/cxgraph/ontology")
XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")  # not rdflib.XSD: pytest's collection trips its warnings
_SCRIPT = Path(sys.executable).parent / "cxgraph"
CXGRAPH = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "cxgraph"]


def cx(name: str) -> URIRef:
    return URIRef(CX + name)


def rows(report: QcReport, case: str) -> set[tuple]:
    """Findings as comparable tuples, files relative to the fixture folder."""
    folder = (CASES / case).resolve()
    return {(f.check, f.severity, f.entity, f.property, f.value,
             str(f.file.relative_to(folder)) if f.file else None, f.line) for f in report.findings}


def case(name: str) -> Path:
    return CASES / name / "cxgraph.ttl"


def ensure_tool(command: str, package: SystemPackage) -> str:
    """The path of `command`; a skip naming the setup step when it is missing (tests install nothing)."""
    found = shutil.which(command)
    if not found:
        pytest.skip(f"{command!r} is missing: {package.install_hint}")
    return found


@pytest.fixture(scope="session")
def java() -> str:
    return ensure_tool("java", JDK)


# --- the shipped ontology -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped(java: str) -> tuple[QcReport, Reasoning]:
    report, result = run_checks(ONTOLOGY, CHECKS)
    assert result is not None
    return report, result


def test_shipped_ontology_passes_every_check_and_is_consistent(shipped: tuple[QcReport, Reasoning]) -> None:
    report, result = shipped
    assert [(f.check, f.entity, f.value, f.message) for f in report.findings] == []
    assert result.consistent is True and result.error is None
    assert result.unsatisfiable == [] and result.inferred_subclasses == [] and result.inferred_equivalences == []
    assert 0 < result.seconds < 120
    assert report.exit_code == 0
    closure = report.closure
    assert [f.path.relative_to(ROOT / "ontology").as_posix() for f in closure.files] == [
        "cxgraph.ttl", *(f"modules/{m}.ttl" for m in ("customer", "decision", "marketing", "operations", "policy",
                                                      "service", "signal", "system", "workflow")),
        "imports/prov-o.ttl"]
    assert [f.path.name for f in closure.owned()] == [f.path.name for f in closure.files[:-1]]  # prov-o is vendored
    ran = {c.id for c in report.checks}
    assert ran == {p.stem for p in CHECKS.glob("*.rq")} | {c.id for c in (*ENGINE_CHECKS, *REASONER_CHECKS)}


def test_every_check_file_says_its_id_title_and_severity() -> None:
    checks = load_checks(CHECKS)
    assert {c.id for c in checks} >= {
        "missing-label", "multiple-labels", "missing-definition", "duplicate-label", "label-style",
        "undeclared-class", "punning", "subclass-cycle", "ontology-metadata", "version-iri"}
    for check in checks:
        assert check.path is not None and check.id == check.path.stem
        assert check.severity in ("ERROR", "WARN", "INFO") and check.title and check.description


SERVICE = URIRef(f"{TOP}/service")
SKOS_DEFINITION = URIRef("http://www.w3.org/2004/02/skos/core#definition")
DCT_LICENSE = URIRef("http://purl.org/dc/terms/license")
PROV_ROLE = URIRef("http://www.w3.org/ns/prov#Role")
CASE_LABEL = Literal("case", lang="en")

# (check, triples to remove, triples to add, the exact (entity, property, value) rows the check must return)
MUTATIONS = [
    ("missing-label", [(cx("Case"), RDFS.label, CASE_LABEL)], [], {(cx("Case"), RDFS.label, None)}),
    ("multiple-labels", [], [(cx("Case"), RDFS.label, Literal("service case", lang="en"))],
     {(cx("Case"), RDFS.label, CASE_LABEL), (cx("Case"), RDFS.label, Literal("service case", lang="en"))}),
    ("missing-definition", [(cx("Case"), SKOS_DEFINITION, None)], [], {(cx("Case"), SKOS_DEFINITION, None)}),
    ("duplicate-label", [(cx("Case"), RDFS.label, CASE_LABEL)], [(cx("Case"), RDFS.label, Literal("role", lang="en"))],
     {(cx("Case"), RDFS.label, Literal("role", lang="en")), (PROV_ROLE, RDFS.label, Literal("Role"))}),
    ("label-style", [(cx("Case"), RDFS.label, CASE_LABEL)], [(cx("Case"), RDFS.label, Literal("Case"))],
     {(cx("Case"), RDFS.label, Literal("Case"))}),
    ("undeclared-class", [], [(cx("Case"), RDFS.subClassOf, cx("Undeclared"))],
     {(cx("Undeclared"), RDFS.subClassOf, cx("Case"))}),
    ("punning", [], [(cx("Case"), RDF.type, OWL.NamedIndividual)],
     {(cx("Case"), RDF.type, OWL.NamedIndividual), (cx("Case"), RDF.type, OWL.Class)}),
    ("subclass-cycle", [], [(cx("Record"), RDFS.subClassOf, cx("Case"))],
     {(cx("Record"), RDFS.subClassOf, cx("Case")), (cx("Case"), RDFS.subClassOf, cx("Record"))}),
    ("ontology-metadata", [(SERVICE, DCT_LICENSE, None)], [], {(SERVICE, DCT_LICENSE, None)}),
    ("version-iri", [(SERVICE, OWL.versionIRI, None)], [(SERVICE, OWL.versionIRI, URIRef(f"{TOP}/service/latest"))],
     {(SERVICE, OWL.versionIRI, URIRef(f"{TOP}/service/latest"))}),
    ("unsupported-datatype", [(cx("createdAt"), RDFS.range, None)], [(cx("createdAt"), RDFS.range, XSD_DATE)],
     {(cx("createdAt"), RDFS.range, XSD_DATE)}),
    ("inverse-property", [], [(cx("isRecordedIn"), OWL.inverseOf, cx("assignsAuthorityTo"))],
     {(cx("isRecordedIn"), OWL.inverseOf, cx("assignsAuthorityTo")),
      (cx("assignsAuthorityTo"), OWL.inverseOf, cx("isRecordedIn"))}),
]


@pytest.fixture(scope="module")
def shipped_closure() -> Closure:
    return load_closure(ONTOLOGY)


@pytest.mark.parametrize("check_id, remove, add, expected", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_each_check_finds_a_defect_injected_into_the_shipped_ontology(
        shipped_closure: Closure, check_id: str, remove: list, add: list, expected: set) -> None:
    """On the real closure (cx: namespace, PROV-O beside it), one injected defect gives exactly its rows."""
    closure = shipped_closure
    graph = Graph(bind_namespaces="none")
    for triple in closure.graph:
        graph.add(triple)
    for pattern in remove:
        assert (pattern in graph) if None not in pattern else any(graph.triples(pattern))
        graph.remove(pattern)
    for triple in add:
        graph.add(triple)
    check = parse_check(CHECKS / f"{check_id}.rq")
    assert run_check(closure, check) == []
    found = run_check(replace(closure, graph=graph), check)
    assert {(f.entity, f.property, f.value) for f in found} == expected
    assert {f.severity for f in found} == {check.severity}


# --- hygiene checks on fixtures (no reasoner) --------------------------------------------------------

HYGIENE = {
    "missing-label": {("missing-label", "ERROR", cx("Household"), RDFS.label, None, "cxgraph.ttl", 23)},
    "duplicate-label": {
        ("duplicate-label", "ERROR", cx("SupportCase"), RDFS.label, Literal("case", lang="en"), "cxgraph.ttl", 23),
        ("duplicate-label", "ERROR", cx("Case"), RDFS.label, Literal("case", lang="en"), "cxgraph.ttl", 33)},
    "punning": {
        ("punning", "ERROR", cx("concernsCase"), RDF.type, OWL.AnnotationProperty, "cxgraph.ttl", 23),
        ("punning", "ERROR", cx("concernsCase"), RDF.type, OWL.ObjectProperty, "cxgraph.ttl", 23)},
    "subclass-cycle": {
        ("subclass-cycle", "ERROR", cx("Issue"), RDFS.subClassOf, cx("Ticket"), "cxgraph.ttl", 33),
        ("subclass-cycle", "ERROR", cx("Ticket"), RDFS.subClassOf, cx("Issue"), "cxgraph.ttl", 38)},
    "import-not-in-catalog": {
        ("import-resolution", "ERROR", TOP, OWL.imports, URIRef(f"{TOP}/missing"), "cxgraph.ttl", 21),
        ("import-resolution", "ERROR", TOP, OWL.imports, URIRef(f"{TOP}/gone"), "catalog-v001.xml", 3)},
    "non-canonical": {("canonical-serialization", "ERROR", TOP, None, None, "cxgraph.ttl", 1)},
    "malformed-restriction": set(),  # the restriction's value is a blank node: compared below
    "date-range": {("unsupported-datatype", "ERROR", cx("opensOn"), RDFS.range, XSD_DATE, "cxgraph.ttl", 24)},
}


@pytest.mark.parametrize("name", sorted(HYGIENE))
def test_hygiene_fixture_gives_exactly_its_finding(name: str) -> None:
    report, result = run_checks(case(name), CHECKS, reason=False)
    assert result is None
    if name == "malformed-restriction":
        [finding] = report.findings
        assert (finding.check, finding.entity, finding.property, finding.line) == (
            "malformed-restriction", cx("LinkedCase"), RDFS.subClassOf, 23)
        assert (finding.value, RDF.type, OWL.Restriction) in report.closure.graph
    else:
        assert rows(report, name) == HYGIENE[name]
    assert report.exit_code == 1


def test_import_findings_name_the_files() -> None:
    report, _ = run_checks(case("import-not-in-catalog"), CHECKS, reason=False)
    messages = {str(f.value).rsplit("/", 1)[1]: f.message for f in report.findings}
    assert re.search(r"cxgraph\.ttl imports it, but \S*catalog-v001\.xml has no entry for it$", messages["missing"])
    assert re.search(r"catalog-v001\.xml maps it to \S*modules/gone\.ttl, which does not exist$", messages["gone"])


def test_module_catalogs_orphans_and_wrong_targets_are_found(tmp_path: Path) -> None:
    """Protégé opening a module alone uses the catalog beside it, which must resolve as the top one does; a
    catalog target must declare the ontology it stands for; every .ttl in the folder must be in the closure."""
    good = tmp_path / "good"
    shutil.copytree(CASES / "good", good)
    (good / "modules" / "catalog-v001.xml").write_text(
        '<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">\n'
        '  <uri name="https://w3id.org/cxgraph/ontology" uri="../cxgraph.ttl"/>\n</catalog>\n')
    (good / "modules" / "extra.ttl").write_text((good / "cxgraph.ttl").read_text())  # declares the top IRI
    report, _ = run_checks(good / "cxgraph.ttl", CHECKS, reason=False)
    assert [(f.check, f.severity, f.file) for f in report.findings] == [
        ("orphan-file", "WARN", good / "modules" / "extra.ttl")]

    core = good / "modules" / "core.ttl"
    core.write_text(core.read_text().replace(
        "owl:versionIRI", f"owl:imports <{TOP}/other> ;\n    owl:versionIRI"))
    catalog = good / "catalog-v001.xml"
    catalog.write_text(catalog.read_text().replace(
        "</catalog>", f'    <uri name="{TOP}/other" uri="modules/extra.ttl"/>\n</catalog>'))
    report, _ = run_checks(good / "cxgraph.ttl", CHECKS, reason=False)
    found = {(f.check, f.entity, f.value, str(f.file.relative_to(good)) if f.file else None, f.line,
              re.sub(r"\S*/(modules/extra\.ttl)", r"\1", f.message.split("catalog-v001.xml ", 1)[-1]))
             for f in report.findings}
    assert found == {
        ("import-resolution", URIRef(f"{TOP}/core"), URIRef(f"{TOP}/other"), "catalog-v001.xml", 5,
         f"maps it to modules/extra.ttl, which declares {TOP}"),
        ("import-resolution", URIRef(f"{TOP}/core"), URIRef(f"{TOP}/other"), "modules/catalog-v001.xml", None,
         "has no entry for it"),
        ("import-resolution", TOP, URIRef(f"{TOP}/core"), "modules/catalog-v001.xml", None, "has no entry for it")}


def test_bad_check_files_are_input_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rq"
    bad.write_text("#+ id: bad\n#+ title: Bad\n#+ severity: FATAL\nSELECT ?entity ?property ?value WHERE {}\n")
    with pytest.raises(CxGraphError, match=r"bad\.rq:3: severity 'FATAL' is not one of ERROR, WARN, INFO"):
        parse_check(bad)
    bad.write_text("#+ id: bad\n#+ title: Bad\n#+ severity: WARN\nSELECT ?entity ?value WHERE { ?entity ?p ?value }\n")
    with pytest.raises(CxGraphError, match=r"SELECT of \?entity \?property \?value .* got \?entity \?value"):
        parse_check(bad)
    bad.write_text("#+ id: bad\n#+ title: Bad\n#+ severity: WARN\nSELECT ?entity WHERE {\n  ?entity ?p\n")
    with pytest.raises(CxGraphError, match=r"bad\.rq:\d: check is not valid SPARQL"):
        parse_check(bad)
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix owl: <http://www.w3.org/2002/07/owl#> .\n<urn:o> a owl:Ontology .\n<urn:x> a \n")
    with pytest.raises(CxGraphError, match=r"broken\.ttl:3: Turtle does not parse"):
        load_closure(broken)


# --- canonical serialization and format-ontology ------------------------------------------------------

def test_shipped_files_are_canonical_and_prov_o_is_left_as_published() -> None:
    closure = load_closure(ONTOLOGY)
    assert format_files(closure, write=False) == []
    prov = closure.files[-1]
    assert prov.path.name == "prov-o.ttl" and prov not in closure.owned()
    assert canonical_turtle(prov.graph) != prov.text  # it is not rdflib's form, and must not be rewritten


def ontology_app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    return app


def test_format_ontology_check_then_rewrite(tmp_path: Path) -> None:
    folder = tmp_path / "non-canonical"
    shutil.copytree(CASES / "non-canonical", folder)
    top = folder / "cxgraph.ttl"
    before = top.read_text()
    runner = CliRunner()
    checked = runner.invoke(ontology_app(), ["format-ontology", "--ontology", str(top), "--check"])
    assert checked.exit_code == 1, checked.output
    assert f"not canonical: {top}:1" in checked.output and "1 of 1 files would be rewritten" in checked.output
    assert top.read_text() == before
    rewritten = runner.invoke(ontology_app(), ["format-ontology", "--ontology", str(top)])
    assert rewritten.exit_code == 0, rewritten.output
    assert f"rewrote: {top}:1" in rewritten.output
    after = top.read_text()
    assert after != before and not after.startswith("#")
    assert isomorphic(Graph().parse(data=before, format="turtle"), Graph().parse(data=after, format="turtle"))
    again = runner.invoke(ontology_app(), ["format-ontology", "--ontology", str(top), "--check"])
    assert again.exit_code == 0 and "All 1 files are canonical." in again.output
    report, _ = run_checks(top, CHECKS, reason=False)
    assert report.findings == [] and report.exit_code == 0


# --- HermiT (real Java) -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("unsatisfiable", {("unsatisfiable-class", "ERROR", cx("CaseAboutItself"), OWL.equivalentClass, OWL.Nothing,
                        "cxgraph.ttl", 23)}),
    ("inconsistent", {("consistency", "ERROR", cx("recordZero"), None, None, "cxgraph.ttl", 23)}),
    ("date-range", {("unsupported-datatype", "ERROR", cx("opensOn"), RDFS.range, XSD_DATE, "cxgraph.ttl", 24),
                    ("reasoner-error", "ERROR", TOP, None, None, "cxgraph.ttl", 17)}),
    ("good", {("inferred-subclass", "INFO", cx("PartyLinkedRecord"), RDFS.subClassOf, cx("Record"),
               "modules/core.ttl", 17),
              ("inferred-subclass", "INFO", cx("CustomerRecord"), RDFS.subClassOf, cx("PartyLinkedRecord"),
               "modules/core.ttl", 42)}),
])
def test_hermit_findings_on_fixtures(java: str, name: str, expected: set[tuple]) -> None:
    report, result = run_checks(case(name), CHECKS)
    assert result is not None
    assert rows(report, name) == expected
    assert report.exit_code == (0 if name == "good" else 1)
    if name == "inconsistent":
        assert result.consistent is False and result.culprits == [cx("recordZero")] and result.runs == 3
        [finding] = report.findings
        assert finding.message == "this individual alone makes the ontology inconsistent"
    if name == "unsatisfiable":
        assert result.consistent is True and result.unsatisfiable == [cx("CaseAboutItself")]
    if name == "date-range":
        assert result.consistent is None
        assert "XMLSchema#date' is not part of the OWL 2 datatype map" in (result.error or "")


# --- the command line, as a subprocess ----------------------------------------------------------------

def cxgraph(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CXGRAPH, *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


def test_cli_check_ontology_writes_junit_for_ci(java: str, tmp_path: Path) -> None:
    report = tmp_path / "ontology.xml"
    proc = cxgraph("check-ontology", "--format", "junit", "--output", str(report))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "HermiT: consistent; 0 unsatisfiable classes" in proc.stdout
    assert "Findings: 0 ERROR, 0 WARN, 0 INFO." in proc.stdout
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {p.stem for p in CHECKS.glob("*.rq")} | {c.id for c in (*ENGINE_CHECKS, *REASONER_CHECKS)}
    assert suite.get("failures") == "0" and not list(suite.iter("failure"))
    assert float(cases["consistency"].get("time") or 0) > 0  # HermiT's time


def test_cli_unsatisfiable_fixture_fails_with_one_junit_failure(java: str, tmp_path: Path) -> None:
    report = tmp_path / "ontology.xml"
    proc = cxgraph("check-ontology", "--ontology", str(case("unsatisfiable")), "--format", "junit",
                   "--output", str(report))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.search(r"ERROR\s+│\s+unsatisfiable-class\s+│\s+cx:CaseAboutItself\s+│\s+owl:equivalentClass\s+│\s+"
                     r"owl:Nothing", proc.stdout), proc.stdout
    failures = [(c.get("name"), f.get("type"), f.get("message")) for c in ET.parse(report).iter("testcase")
                for f in c.iter("failure")]
    assert failures == [("unsatisfiable-class", "ERROR",
                         f"{case('unsatisfiable').relative_to(ROOT)}:23: cx:CaseAboutItself owl:equivalentClass "
                         "owl:Nothing")]


def test_cli_without_java_says_so_in_one_line() -> None:
    proc = cxgraph("check-ontology", "--ontology", str(case("good")), env={"PATH": "/nonexistent"})
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "Java is not installed" in proc.stderr and "--no-reason" in proc.stderr
    skipped = cxgraph("check-ontology", "--ontology", str(case("good")), "--no-reason", env={"PATH": "/nonexistent"})
    assert skipped.returncode == 0, skipped.stderr
    assert "HermiT: not run (--no-reason)." in skipped.stdout


def test_cli_json_and_usage_errors(tmp_path: Path) -> None:
    import json

    runner = CliRunner()
    result = runner.invoke(ontology_app(), ["check-ontology", "--ontology", str(case("missing-label")), "--no-reason",
                                            "--format", "json"])
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["conforms"] is False and document["counts"] == {"ERROR": 1, "WARN": 0, "INFO": 0}
    assert [(f["check"], f["entity"], f["line"]) for f in document["findings"]] == [
        ("missing-label", CX + "Household", 23)]
    missing = runner.invoke(ontology_app(), ["check-ontology", "--ontology", str(tmp_path / "none.ttl")])
    assert missing.exit_code == 2 and "none.ttl: ontology file not found" in missing.output
    wrong = runner.invoke(ontology_app(), ["check-ontology", "--format", "pdf"])
    assert wrong.exit_code == 2 and "unknown format 'pdf'" in wrong.output
    page = runner.invoke(ontology_app(), ["check-ontology", "--ontology", str(case("missing-label")), "--no-reason",
                                          "--format", "html"])
    assert page.exit_code == 1 and page.stdout.startswith("<!doctype html>")
    assert page.stdout.count('<tr class="error">') == 1 and f'href="{CX}Household"' in page.stdout


# --- Protégé readiness: OWL 2 DL and nothing unparsed, by parsers other than rdflib -----------------------

OWLAPI_JARS = ("owlapi-distribution", "guava", "caffeine", "hppcrt", "commons-io", "commons-rdf-api",
               "atinject-jsr330-api", "jsr305", "slf4j-api", "slf4j-nop", "xz")


@pytest.fixture(scope="session")
def owlapi(tmp_path_factory: pytest.TempPathFactory, java: str) -> list[str]:
    """The project's OwlApiCheck compiled against Debian's OWL API; the command to run it."""
    javac = ensure_tool("javac", JDK)
    jars = Path("/usr/share/java")
    if not OWLAPI.present():
        pytest.skip(f"the OWL API is missing: {OWLAPI.install_hint}")
    rdf4j = sorted(p for p in jars.glob("rdf4j-*.jar") if not re.search(r"-\d", p.name))
    classpath = ":".join([*(str(jars / f"{name}.jar") for name in OWLAPI_JARS), *map(str, rdf4j)])
    classes = tmp_path_factory.mktemp("owlapi")
    compiled = subprocess.run([javac, "-d", str(classes), "-cp", classpath,
                               str(ROOT / "tools" / "owlapi" / "OwlApiCheck.java")],
                              capture_output=True, text=True, timeout=300)
    assert compiled.returncode == 0, compiled.stderr
    return [java, "-cp", f"{classes}:{classpath}", "OwlApiCheck"]


def run_owlapi(command: list[str], path: Path) -> tuple[int, list[list[str]]]:
    proc = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=300)
    return proc.returncode, [line.split("\t") for line in proc.stdout.splitlines()]


def test_owl_api_opens_the_closure_through_the_catalog_in_owl2_dl(owlapi: list[str]) -> None:
    code, lines = run_owlapi(owlapi, ONTOLOGY)
    facts = {line[0]: line[1:] for line in lines}
    assert code == 0, lines
    assert facts["result"] == ["OK"] and facts["closure"] == ["11"] and facts["violations"] == ["0"]
    per_ontology = [line for line in lines if line[0] in ("unparsed", "guessed")]
    assert len(per_ontology) == 22 and all(line[2] == "0" for line in per_ontology)
    assert {line[1] for line in per_ontology} == {str(TOP), *(f"{TOP}/{m}" for m in (
        "customer", "decision", "marketing", "operations", "policy", "service", "signal", "system", "workflow")),
        "http://www.w3.org/ns/prov#"}
    assert (facts["classes"][0], facts["axioms"][0]) == ("108", "2410"), facts  # a new term changes both
    seconds = {line[1]: float(line[2]) for line in lines if line[0] == "seconds"}
    assert set(seconds) == {"load", "profile"}


def test_owl_api_flags_a_malformed_restriction_and_a_missing_import(owlapi: list[str]) -> None:
    code, lines = run_owlapi(owlapi, case("malformed-restriction"))
    assert code == 1
    violations = [line for line in lines if line[0] == "violation"]
    assert len(violations) == 1 and violations[0][1] == "UseOfUndeclaredClass"
    assert f"SubClassOf(<{CX}LinkedCase> <http://org.semanticweb.owlapi/error#Error1>)" in violations[0][2]
    code, lines = run_owlapi(owlapi, case("import-not-in-catalog"))
    assert code == 2
    assert lines[-2][:2] == ["error", "UnloadableImportException"] and lines[-1] == ["result", "LOAD-FAILED"]


def horned_closure(top: Path):  # -> pyhornedowl.PyIndexedOntology
    """The closure as one ontology for py-horned-owl (which reads RDF/XML, not Turtle, and resolves no imports)."""
    import pyhornedowl

    closure = load_closure(top)
    headers = set(closure.graph.subjects(RDF.type, OWL.Ontology))
    merged = Graph(bind_namespaces="none")
    for triple in closure.graph:
        if triple[0] not in headers and triple[1] != OWL.imports:
            merged.add(triple)
    merged.add((URIRef("urn:x-cxgraph:closure"), RDF.type, OWL.Ontology))
    return closure, pyhornedowl.open_ontology_from_string(merged.serialize(format="xml"), "rdf")


def test_py_horned_owl_reads_the_closure_as_owl2_dl() -> None:
    from pyhornedowl import profile

    closure, ontology = horned_closure(ONTOLOGY)
    report = profile.check_profile(ontology, "DL")
    assert report.conformant, [v.message for v in report.violations]
    graph = closure.graph
    for kind, horned in ((OWL.Class, ontology.get_classes()), (OWL.ObjectProperty, ontology.get_object_properties()),
                         (OWL.DatatypeProperty, ontology.get_data_properties())):
        assert set(horned) == {str(s) for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef)}
    kinds = Counter(type(a.component).__name__ for a in ontology.get_axioms())
    named = sum(1 for _, o in graph.subject_objects(RDFS.subClassOf) if isinstance(o, URIRef))
    assert kinds["SubClassOf"] == len(set(graph.subject_objects(RDFS.subClassOf))) >= named
    assert kinds["ObjectPropertyDomain"] + kinds["DataPropertyDomain"] + kinds["AnnotationPropertyDomain"] == len(
        set(graph.subject_objects(RDFS.domain)))
    # Not compared: owl:AllDisjointClasses, which py-horned-owl 2.0.0 drops when it reads RDF (it keeps
    # pairwise owl:disjointWith); the OWL API test above is the one that vouches for "nothing unparsed".


def test_py_horned_owl_flags_illegal_punning() -> None:
    from pyhornedowl import profile

    _, ontology = horned_closure(case("punning"))
    report = profile.check_profile(ontology, "DL")
    assert not report.conformant
    assert [type(v).__name__ for v in report.violations] == ["UseOfIllegalPunning"]
    assert str(report.violations[0].iri) == CX + "concernsCase"


def test_findings_are_hashable_and_sorted_by_severity() -> None:
    a = Finding("x", "INFO", cx("A"))
    b = Finding("y", "ERROR", cx("B"))
    report = QcReport(load_closure(case("good")), [], [], {})
    report.add([], [a, b, a], {})
    assert [f.check for f in report.findings] == ["y", "x"]
    assert report.exit_code == 1
