"""The command line as a user runs it: real subprocesses, a real on-disk store."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from conftest import CXGRAPH, FIXTURES, ROOT, cx, graph_triples
from cxgraph.project import load_project
from cxgraph.stores.embedded import EmbeddedStore

ROOT_PROJECT = load_project(ROOT)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`cxgraph demo`, the README's first command after installation, on an on-disk store."""
    work = tmp_path_factory.mktemp("demo")
    store = work / ".cxgraph" / "store"
    proc = cx("demo", cwd=work, store=store)
    assert proc.returncode == 0, proc.stderr
    pytest.demo_output = proc.stdout  # type: ignore[attr-defined]
    return store



def test_the_mapped_copies_go_once_loaded_unless_kept(demo_store: Path, tmp_path: Path) -> None:
    """At 100,000 customers the mapping engine's N-Quads were as large as the store: a build deletes them."""
    assert not (demo_store.parent / "staging").exists()
    store = tmp_path / ".cxgraph" / "store"
    proc = cx("build", "--only", "crm", "--keep-staging", cwd=tmp_path, store=store)
    assert proc.returncode == 0, proc.stderr
    mapped = sorted((tmp_path / ".cxgraph" / "staging").glob("mapped-*.nq"))
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in mapped)
    crm = EmbeddedStore(store).count(ROOT_PROJECT.sources["crm"].graph)
    assert mapped and lines == crm > 0  # every quad the engine wrote is in the store, and kept to look at


def test_demo_prints_loads_and_answers(demo_store: Path) -> None:
    output = pytest.demo_output  # type: ignore[attr-defined]
    assert "Sources loaded" in output
    for source in ("crm", "commerce", "contact-center", "case-management", "wms", "logistics", "billing",
                   "marketing", "monitoring", "catalog", "observations", "approvals-sheet", "stock-sheet"):
        assert f"│ {source} " in output
    assert "Quarantined rows: 0" in output
    assert "Identity resolution:" in output
    assert "Rules: late-delivery 17 triples" in output
    flat = " ".join(output.split())
    assert re.search(r"Time per stage: plan \(contracts, mappings, ontology\) \d+\.\d s, contract check", flat)
    peaks = re.search(r"Peak memory of the build process: ([\d,]+) MiB; per stage: (.*?)\.", flat)
    if sys.platform.startswith("linux"):  # read from /proc
        assert peaks, flat
        stages = {name: int(mib.replace(",", ""))
                  for name, mib in re.findall(r"(.+?) ([\d,]+) MiB(?:, |$)", peaks.group(2))}
        assert "identity" in stages and "reasoning" in stages
        assert int(peaks.group(1).replace(",", "")) == max(stages.values())
    assert "10 violations, 8 warnings, 2 infos" in " ".join(output.split())  # the sample's deliberate 20
    reports = demo_store.parent / "reports"
    results = json.loads((reports / "validation.json").read_text(encoding="utf-8"))
    assert len(results["results"]) == 20 and results["conforms"] is False
    assert (reports / "validation.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    from cxgraph.answer.queries import catalog

    for query in catalog(ROOT / "queries").values():
        assert query.title in output
    # the open cases' triage is kept, so the recommendations query's example has its answer
    assert "Triage: 13 open cases, 9 routed by the catalog's rules and 4 that no rule covers" in " ".join(
        output.split())
    recommendations = output.split("(recommendations: about=")[1]
    assert "routes to" in recommendations and "Delivery Care" in recommendations
    assert "cxgraph recommend triage [CASE] | recover ORDER | suppress CAMPAIGN | outreach SIGNAL" in " ".join(
        output.split())  # the newcomer is told where the recommendations are
    assert "cxgraph context customer 0030000101" in " ".join(output.split())  # and the packs, API and MCP


def test_build_only_replaces_that_source_graph(demo_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(demo_store, store)
    before = graph_triples(store)
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "sample", data)
    contacts = data / "crm" / "contacts.csv"
    lines = contacts.read_text(encoding="utf-8").splitlines(keepends=True)
    contacts.write_text("".join(lines[:-1]), encoding="utf-8")  # the CRM export lost its last contact
    proc = cx("build", "--only", "crm", "--data", str(data), cwd=tmp_path, store=store)
    assert proc.returncode == 0, proc.stderr
    after = graph_triples(store)
    crm = "<https://data.brightwater.example/graph/source/crm>"
    lineage = "<https://data.brightwater.example/graph/lineage/crm>"
    assert len(after[crm]) < len(before[crm])
    assert len(after[lineage]) == len(before[lineage]) - 1  # the lost contact's record, and nothing else
    for graph, triples in before.items():
        if graph in (crm, lineage, "<https://data.brightwater.example/graph/provenance>",
                     "<https://data.brightwater.example/graph/identity>",
                     "<https://data.brightwater.example/graph/inferred>"):
            continue
        assert after[graph] == triples, graph
    loads = [t for t in after["<https://data.brightwater.example/graph/provenance>"] if "loadsSource" in t]
    assert sum("system/crm>" in t for t in loads) == 2
    assert sum("system/billing>" in t for t in loads) == 1


def test_stats_lists_every_graph_with_load_time(demo_store: Path, tmp_path: Path) -> None:
    proc = cx("stats", cwd=tmp_path, store=demo_store)
    assert proc.returncode == 0, proc.stderr
    assert "graph/source/crm" in proc.stdout
    assert "graph/identity" in proc.stdout
    # each source graph's row shows its triples and the end of its last load, as the provenance graph says
    store = EmbeddedStore(demo_store)
    crm = "https://data.brightwater.example/graph/source/crm"
    (row,) = store.query(
        "SELECT (MAX(?end) AS ?t) WHERE { ?a <https://w3id.org/cxgraph/ontology#hasTargetGraph> ?g ; "
        f"<http://www.w3.org/ns/prov#endedAtTime> ?end FILTER(STR(?g) = \"{crm}\") }}")
    count = store.count(crm)
    store.close()
    line = next(text for text in proc.stdout.splitlines() if crm in text)
    assert row["t"].value in line and f" {count} " in line


@pytest.mark.parametrize("fmt,rdflib_format", [("nquads", "nquads"), ("trig", "trig")])
def test_export_round_trips_every_named_graph(demo_store: Path, tmp_path: Path, fmt: str, rdflib_format: str) -> None:
    target = tmp_path / f"dump.{fmt}"
    proc = cx("export", "--format", fmt, str(target), cwd=tmp_path, store=demo_store)
    assert proc.returncode == 0, proc.stderr
    dataset = rdflib.Dataset()
    dataset.parse(target, format=rdflib_format)
    exported = {str(g.identifier): len(g) for g in dataset.graphs() if len(g)}
    reader = EmbeddedStore(demo_store).raw
    expected = {g.value: len(list(reader.quads_for_pattern(None, None, None, g))) for g in reader.named_graphs()}
    assert exported == expected


def test_queries_lists_every_query(tmp_path: Path, demo_store: Path) -> None:
    proc = cx("queries", cwd=tmp_path, store=demo_store)
    assert proc.returncode == 0, proc.stderr
    for path in (ROOT / "queries").glob("*.rq"):
        assert path.stem in proc.stdout
    assert proc.stdout.count("workflow (iri, optional), e.g. id:workflow/delivery-issue") == 2  # the two of CQ11
    assert "customer (iri), e.g." in proc.stdout  # a required parameter says nothing more


def test_query_json_is_sparql_results_json(demo_store: Path, tmp_path: Path) -> None:
    from cxgraph.answer.queries import catalog

    query = catalog(ROOT / "queries")["customer-records"]
    args = [part for k, v in query.examples.items() for part in ("--param", f"{k}={v}")]
    proc = cx("query", "customer-records", *args, "--format", "json",
              cwd=tmp_path, store=demo_store)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["head"]["vars"][:1] == ["record"]
    assert doc["results"]["bindings"]
    assert doc["results"]["bindings"][0]["record"]["type"] == "uri"
    csv_proc = cx("query", "customer-records", *args, "--format", "csv",
                  cwd=tmp_path, store=demo_store)
    assert csv_proc.returncode == 0
    assert csv_proc.stdout.splitlines()[0].startswith("record,")
    assert len(csv_proc.stdout.splitlines()) == len(doc["results"]["bindings"]) + 1


@pytest.mark.parametrize("args,message", [
    (["query", "no-such-query"], "no query named 'no-such-query'"),
    (["query", "customer-records"], "needs parameter 'customer'"),
    (["query", "customer-records", "--param", "customer=not an iri"], "expects an IRI"),
    (["query", "customer-records", "--param", "colour=blue"], "has no parameter 'colour'"),
    (["query", "customer-records", "--param", "customer"], "--param takes key=value"),
    (["query", "customer-records", "--param", "customer=id:x", "--format", "xml"], "unknown format 'xml'"),
    (["build", "--only", "erp"], "unknown source erp"),
])
def test_usage_errors_exit_2_with_a_clear_message(demo_store: Path, tmp_path: Path, args: list[str],
                                                  message: str) -> None:
    proc = cx(*args, cwd=tmp_path, store=demo_store)
    assert proc.returncode == 2
    assert message in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr


def test_injection_attempt_is_bound_as_a_term_not_spliced(demo_store: Path, tmp_path: Path) -> None:
    evil = "https://x.example/a> } UNION { ?record ?p ?o } #"
    proc = cx("query", "customer-records", "--param", f"customer={evil}", cwd=tmp_path, store=demo_store)
    assert proc.returncode == 2
    assert "expects an IRI" in proc.stderr
    legal = "https://data.brightwater.example/id/crm/contact/0000000000"
    proc = cx("query", "customer-records", "--param", f"customer={legal}", "--format", "json",
              cwd=tmp_path, store=demo_store)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["results"]["bindings"] == []


def _broken_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "loaders", project / "loaders")
    shutil.copytree(ROOT / "queries", project / "queries")
    reg = project / "loaders" / "sources.yaml"
    reg.write_text(reg.read_text(encoding="utf-8").replace("data_root: ../data/sample",
                                                           f"data_root: {ROOT / 'data' / 'sample'}"),
                   encoding="utf-8")
    return project


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_broken_mapping_stops_the_run_naming_file_and_line(tmp_path: Path) -> None:
    project = _broken_project(tmp_path)
    mapping = project / "loaders" / "mappings" / "crm.yml"
    mapping.write_text(mapping.read_text(encoding="utf-8").replace("$(Email)", "$(Emial)", 1), encoding="utf-8")
    proc = cx("build", cwd=tmp_path, store=tmp_path / "store", project=project)
    assert proc.returncode == 2
    line = _line_of(mapping, "$(Emial)")
    assert f"crm.yml:{line}:" in proc.stderr and "$(Emial)" in proc.stderr


def test_broken_contract_stops_the_run_naming_file_and_line(tmp_path: Path) -> None:
    project = _broken_project(tmp_path)
    contract = project / "loaders" / "contracts" / "billing.json"
    text = contract.read_text(encoding="utf-8")
    contract.write_text(text.replace('"type": "decimal"', '"type": "money"', 1), encoding="utf-8")
    proc = cx("build", cwd=tmp_path, store=tmp_path / "store", project=project)
    assert proc.returncode == 2
    assert "billing.json:" in proc.stderr and "unknown type 'money'" in proc.stderr
    contract.write_text(text[:-20], encoding="utf-8")
    proc = cx("build", cwd=tmp_path, store=tmp_path / "store", project=project)
    assert proc.returncode == 2 and "billing.json:" in proc.stderr and "invalid JSON" in proc.stderr


def test_broken_registry_stops_the_run_naming_file_and_line(tmp_path: Path) -> None:
    project = _broken_project(tmp_path)
    reg = project / "loaders" / "sources.yaml"
    text = reg.read_text(encoding="utf-8")
    reg.write_text(text.replace("    mapping: mappings/wms.yml", "    mappings: mappings/wms.yml"), encoding="utf-8")
    proc = cx("build", cwd=tmp_path, store=tmp_path / "store", project=project)
    assert proc.returncode == 2
    assert f"sources.yaml:{_line_of(reg, 'mappings: mappings/wms.yml')}:" in proc.stderr
    reg.write_text(text.replace("  crm:\n", "  crm:\n   bad: [\n"), encoding="utf-8")
    proc = cx("build", cwd=tmp_path, store=tmp_path / "store", project=project)
    assert proc.returncode == 2 and "sources.yaml:" in proc.stderr and "invalid YAML" in proc.stderr


def test_missing_export_file_refuses_its_source(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "sample", data)
    (data / "wms" / "inventory.csv").unlink()
    proc = cx("build", "--data", str(data), cwd=tmp_path, store=tmp_path / "store")
    assert proc.returncode == 2
    assert "wms/inventory.csv: missing file" in proc.stderr and "source 'wms' refused" in proc.stderr


assert FIXTURES.exists()


def test_a_parameter_iri_that_occurs_nowhere_is_named(demo_store: Path, tmp_path: Path) -> None:
    proc = cx("query", "customer-records", "--param", "customer=id:crm/contact/0039999999", "--format", "csv",
              cwd=tmp_path, store=demo_store)
    assert proc.returncode == 0
    assert proc.stdout.strip() == "record,definition,system,identifier,name,email,party"
    assert ("<https://data.brightwater.example/id/crm/contact/0039999999> occurs nowhere in the store"
            in " ".join(proc.stderr.split()))
    found = cx("query", "customer-records", "--param", "customer=id:crm/contact/0030000101", cwd=tmp_path,
               store=demo_store)
    assert "occurs nowhere" not in found.stderr


def test_an_optional_parameter_may_be_left_out(demo_store: Path, tmp_path: Path) -> None:
    """CQ11 over every workflow, through the query workers of an on-disk store; or over one."""
    import csv
    import io

    every = cx("query", "desire-paths", "--format", "csv", cwd=tmp_path, store=demo_store)
    assert every.returncode == 0, every.stderr
    rows = list(csv.reader(io.StringIO(every.stdout)))
    assert rows[0] == ["step", "departure", "instances", "of", "records", "observation", "observedBy", "observedOn",
                       "frequency", "dataSource", "systemOfRecord"]
    step = "https://data.brightwater.example/id/step/"
    assert [(r[0].removeprefix(step), r[1], r[2], r[3]) for r in rows[1:]] == [
        ("account-recovery-verify-identity", "skipped step", "1", "6"),
        ("billing-dispute-review-payments", "workaround", "0", "6"),
        ("delivery-issue-check-stock", "shadow data use", "0", "10"),
        ("delivery-issue-contact-carrier", "skipped step", "3", "10"),
        ("delivery-issue-approve-remedy", "informal approval", "2", "10"),
        ("delivery-issue-approve-remedy", "reordered step", "1", "10"),
        ("delivery-issue-approve-remedy", "skipped step", "1", "10"),
        ("product-replacement-check-stock", "shadow data use", "0", "10"),
    ]
    one = cx("query", "desire-paths", "--param", "workflow=id:workflow/account-recovery", "--format", "csv",
             cwd=tmp_path, store=demo_store)
    assert one.returncode == 0, one.stderr
    assert one.stdout.splitlines()[1:] == [f"{step}account-recovery-verify-identity,skipped step,1,6,1,,,,,,"]


def test_validate_with_one_format_into_a_folder_writes_the_file(demo_store: Path, tmp_path: Path) -> None:
    proc = cx("validate", "--format", "json", "--output", str(tmp_path / "out") + "/", cwd=tmp_path, store=demo_store)
    assert proc.returncode == 1, proc.stderr
    assert json.loads((tmp_path / "out" / "validation.json").read_text(encoding="utf-8"))["counts"]["Violation"] == 10


def test_a_query_file_without_a_header_is_skipped_with_a_warning(demo_store: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    for folder in ("loaders", "ontology", "queries", "shapes", "data"):
        shutil.copytree(ROOT / folder, project / folder)
    (project / "queries" / "scratch.rq").write_text("SELECT * WHERE { ?s ?p ?o } LIMIT 1\n", encoding="utf-8")
    proc = cx("query", "customer-records", "--param", "customer=id:crm/contact/0030000101", "--format", "csv",
              cwd=tmp_path, store=demo_store, project=project)
    assert proc.returncode == 0, proc.stderr
    assert "Ann Rees" in proc.stdout
    assert "skipped" in proc.stderr and "scratch.rq" in proc.stderr


def test_a_registry_beside_the_projects_is_chosen_with_registry(demo_store: Path, tmp_path: Path) -> None:
    mine = ROOT / "loaders" / "sources.yaml"
    registry = tmp_path / "myco" / "sources.yaml"
    registry.parent.mkdir()
    text = mine.read_text(encoding="utf-8")
    for key in ("data_root: ../data/sample", "ontology: ../ontology/cxgraph.ttl", "identity: identity.yaml"):
        name, _, value = key.partition(": ")
        text = text.replace(key, f"{name}: {(mine.parent / value).resolve()}")
    text = text.replace("contract: contracts/", f"contract: {mine.parent}/contracts/").replace(
        "mapping: mappings/", f"mapping: {mine.parent}/mappings/")
    text = text.replace("https://data.brightwater.example/", "https://myco.example/")
    registry.write_text(text, encoding="utf-8")
    store = tmp_path / "myco-store"
    proc = cx("--registry", str(registry), "build", "--only", "catalog", cwd=tmp_path, store=store)
    assert proc.returncode == 0, proc.stderr
    assert "https://myco.example/graph/source/catalog" in proc.stdout.replace("\n", "")
    assert (ROOT / "loaders" / "sources.yaml").read_text(encoding="utf-8") == mine.read_text(encoding="utf-8")


def test_sparql_runs_ad_hoc_queries_with_the_projects_prefixes_and_bound_parameters(demo_store: Path,
                                                                                    tmp_path: Path) -> None:
    proc = cx("sparql", "--format", "csv", "--param", "c=id:crm/contact/0030000101",
              "SELECT ?name WHERE { ?c cx:hasName ?name }", cwd=tmp_path, store=demo_store)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["name", "Ann Rees"]
    evil = cx("sparql", "--format", "csv", "--param", 'c=x" } UNION { ?s ?p ?o', "SELECT ?c WHERE { }",
              cwd=tmp_path, store=demo_store)
    assert evil.returncode == 0 and len(evil.stdout.splitlines()) == 2  # one row: the value, as a literal
    query = tmp_path / "q.rq"
    query.write_text("PREFIX cx: <https://w3id.org/cxgraph/ontology#>\nASK { ?p a cx:Party }\n", encoding="utf-8")
    assert cx("sparql", "--file", str(query), cwd=tmp_path, store=demo_store).stdout.strip() == "true"
    graph = cx("sparql", "CONSTRUCT { ?c cx:hasName ?n } WHERE { ?c cx:hasName ?n } LIMIT 2", cwd=tmp_path,
               store=demo_store)
    assert graph.returncode == 0 and graph.stdout.count("hasName") >= 2
    bad = cx("sparql", "SELECT * {", cwd=tmp_path, store=demo_store)
    assert bad.returncode == 2 and bad.stderr.startswith("error: the query cannot run: error at 1:")
    stdin = subprocess.run([*CXGRAPH, "sparql", "-", "--format", "csv"], capture_output=True, text=True,
                           input="SELECT (COUNT(*) AS ?n) { ?p a cx:Party }", cwd=tmp_path,
                           env={**os.environ, "CXGRAPH_PROJECT": str(ROOT), "CXGRAPH_STORE": str(demo_store)})
    assert stdin.stdout.splitlines() == ["n", "152"]
