"""Every bad input of issue 7, reproduced on a copy of the sample: refused or quarantined, never lost.

Each case copies a built store and the sample's exports, breaks one export the way real exports
break, runs `cxgraph build` as a user would, and compares every graph's size before and after.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, cx, garble, graph_triples, live_generation, write_store
from cxgraph.build import pipeline
from cxgraph.errors import CxGraphError
from cxgraph.project import WorkFolder, load_project
from cxgraph.stores.embedded import EmbeddedStore

BASE = "https://data.brightwater.example/"
GRAPH = BASE + "graph/source/"
CRM = GRAPH + "crm"


def counts(store: Path) -> dict[str, int]:
    reader = EmbeddedStore(store)
    found = {g: reader.count(g) for g in reader.named_graphs()}
    reader.close()
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    work = tmp_path_factory.mktemp("bad-input")
    store = work / ".cxgraph" / "store"
    proc = cx("build", cwd=work, store=store)
    assert proc.returncode == 0, proc.stderr
    return store, counts(store)


@pytest.fixture
def case(built: tuple[Path, dict[str, int]], tmp_path: Path) -> tuple[Path, Path]:
    """(store, data): a private copy of the built store and of the sample's exports."""
    store = tmp_path / ".cxgraph" / "store"
    shutil.copytree(built[0].parent, store.parent)
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "sample", data)
    return store, data


def build(store: Path, data: Path, *args: str):  # type: ignore[no-untyped-def]
    return cx("build", "--data", str(data), *args, cwd=store.parent.parent, store=store)


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in an export by `new` (a test's one change)."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def one_line_errors(stderr: str) -> list[str]:
    assert "Traceback" not in stderr
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def assert_refused(proc, store: Path, before: dict[str, int], source: str, *needles: str) -> None:  # type: ignore[no-untyped-def]
    """The build exits 2, names the file and the problem, keeps the source's graph, cascades nothing."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    text = " ".join(" ".join(one_line_errors(proc.stderr)).split())
    for needle in needles:
        assert needle in text, text
    assert f"source {source!r} refused, its graph is kept as it was ({before[GRAPH + source]} triples)" in text
    after = counts(store)
    assert after[GRAPH + source] == before[GRAPH + source]
    for name, size in before.items():
        if name.startswith(GRAPH):
            assert after.get(name) == size, name  # nothing cascades into the other sources
    report = json.loads((store.parent / "reports" / "quarantine.json").read_text(encoding="utf-8"))
    assert report["status"] == "published" and source in report["refused_sources"]
    assert report["quarantined"] == []


def test_a_truncated_json_export_refuses_its_source_only(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    path = data / "commerce" / "customers.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    proc = build(store, data)
    assert_refused(proc, store, built[1], "commerce", "commerce/customers.json:", "JSON syntax error", "truncated")


def test_a_json_export_naming_its_array_twice_refuses_its_source(built, case) -> None:  # type: ignore[no-untyped-def]
    """A JSON reader keeps the last of two equal names: the records under the first would vanish without a word.
    (The check reads an export item by item, so it sees both.)"""
    store, data = case
    path = data / "logistics" / "shipments.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"shipments":', '"shipments": [], "shipments":', 1), encoding="utf-8")
    proc = build(store, data)
    assert_refused(proc, store, built[1], "logistics", "logistics/shipments.json:",
                   "names 'shipments' twice at its top level")


def test_a_truncated_file_of_several_record_sets_is_reported_once(built, case) -> None:  # type: ignore[no-untyped-def]
    """catalog/policies.json holds four record sets (policies, rules, allowed and forbidden actions): one error line,
    and the catalog (with the rules the recommendations evaluate) stays as it was."""
    store, data = case
    path = data / "catalog" / "policies.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    proc = build(store, data)
    assert_refused(proc, store, built[1], "catalog", "catalog/policies.json:", "JSON syntax error", "truncated")
    assert len([line for line in one_line_errors(proc.stderr) if "policies.json" in line]) == 1


@pytest.mark.parametrize("cut", ["empty", "header-only", "blank-lines"])
def test_an_empty_or_header_only_csv_refuses_its_source(built, case, cut: str) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    path = data / "crm" / "contacts.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0]
    path.write_text({"empty": "", "header-only": header + "\n", "blank-lines": "\n\n  \n"}[cut], encoding="utf-8")
    proc = build(store, data)
    needle = "only a header line" if cut == "header-only" else "empty file"
    assert_refused(proc, store, built[1], "crm", "crm/contacts.csv", needle)


def test_a_missing_column_refuses_the_file_naming_the_column(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    path = data / "crm" / "contacts.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("LoyaltyTier", "Tier", 1), encoding="utf-8")
    proc = build(store, data, "--only", "crm")
    assert_refused(proc, store, built[1], "crm", "crm/contacts.csv:1", "no column LoyaltyTier")
    assert "Usecols" not in proc.stderr


def test_a_csv_cut_inside_a_quoted_field_refuses_its_source(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    path = data / "crm" / "contacts.csv"
    text = path.read_text(encoding="utf-8")
    cut = text.index('"14 Grosvenor Road') + 5
    path.write_text(text[:cut], encoding="utf-8")
    proc = build(store, data, "--only", "crm")
    assert_refused(proc, store, built[1], "crm", "crm/contacts.csv", "CSV syntax error")


def test_an_export_cut_at_a_row_boundary_is_refused_by_the_shrink_guard(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    path = data / "crm" / "contacts.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:11]), encoding="utf-8")  # the header and 10 of 152 contacts
    proc = build(store, data, "--only", "crm")
    assert_refused(proc, store, built[1], "crm", "crm/contacts.csv: 10 records where the last load read 144 (-93%)",
                   "--allow-shrink")
    proc = build(store, data, "--only", "crm", "--allow-shrink")
    assert proc.returncode == 0, proc.stderr
    assert counts(store)[CRM] < built[1][CRM]


def test_a_full_build_with_a_refused_source_keeps_every_graph_it_does_not_rewrite(built, case) -> None:  # type: ignore[no-untyped-def]
    """A full build's workspace starts with only the graphs it will not rewrite, not a copy it drops graphs from:
    the refused source's graph and lineage come back whole, and the load history and a recorded action stay."""
    store, data = case
    actions, lineage, provenance = (f"<{BASE}graph/actions>", f"<{BASE}graph/lineage/crm>",
                                    f"<{BASE}graph/provenance>")
    recommendations = f"<{BASE}graph/recommendations>"
    write_store(store, update=f'INSERT DATA {{ GRAPH {actions} {{ <{BASE}id/action/kept> '
                              '<http://www.w3.org/2000/01/rdf-schema#label> "recorded before the build" } '
                              f'GRAPH {recommendations} {{ <{BASE}id/recommendation/kept> '
                              '<http://www.w3.org/2000/01/rdf-schema#label> "made before the build" } }')
    before = graph_triples(store)
    path = data / "crm" / "contacts.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:11]), encoding="utf-8")  # the header and 10 of 152 contacts
    proc = build(store, data)
    assert_refused(proc, store, built[1], "crm", "crm/contacts.csv: 10 records where the last load read 144 (-93%)")
    after = graph_triples(store)
    for graph in (f"<{CRM}>", lineage, actions, recommendations):
        assert after[graph] == before[graph], graph
    assert before[provenance] < after[provenance]  # this build's loads added to the history
    for graph in (f"<{GRAPH}billing>", f"<{BASE}graph/registry>", f"<{BASE}graph/identity>",
                  f"<{BASE}graph/derived>"):  # the registry's build record too: the refused source's inputs carried
        assert after[graph] == before[graph], graph  # rebuilt from the same exports: the same triples
    inferred = f"<{BASE}graph/inferred>"  # the same, but for the types of this build's load records
    assert ({t for t in after[inferred] if not t.startswith(f"<{BASE}id/load/")}
            == {t for t in before[inferred] if not t.startswith(f"<{BASE}id/load/")})
    assert len(after[f"<{BASE}graph/lineage/billing>"]) == len(before[f"<{BASE}graph/lineage/billing>"])
    assert set(after) == set(before)


def test_a_full_build_that_cannot_write_its_new_generation_fails_and_replaces_nothing(
        built, case, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A write error while the graphs it keeps are copied in (a full disk) fails the build: it is not taken for
    a damaged live store, from which a full build would start afresh and lose the load history."""
    store, data = case
    before = graph_triples(store)
    generations = sorted(p.name for p in (store / "generations").iterdir())

    def full_disk(self: EmbeddedStore, quads: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(EmbeddedStore, "add_quads", full_disk)
    with pytest.raises(CxGraphError, match=r"cannot copy the graph .*No space left on device.*nothing was replaced"):
        pipeline.build(load_project(ROOT, data), EmbeddedStore(store), WorkFolder.beside(store).root,
                       echo=lambda _m: None)
    monkeypatch.undo()
    assert graph_triples(store) == before
    assert sorted(p.name for p in (store / "generations").iterdir()) == generations


def test_one_file_of_a_source_cut_short_is_refused_too(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    path = data / "crm" / "households.csv"
    path.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:2]), encoding="utf-8")
    proc = build(store, data, "--only", "crm")
    assert_refused(proc, store, built[1], "crm", "crm/households.csv: 1 records where the last load read 11 (-91%)")


def test_a_utf16_export_refuses_its_source(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    path = data / "crm" / "households.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    proc = build(store, data, "--only", "crm")
    assert_refused(proc, store, built[1], "crm", "crm/households.csv", "UTF-16")


def _rewrite_contacts(data: Path, change) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    path = data / "crm" / "contacts.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    change(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return rows


def test_a_long_field_is_read_and_a_field_over_the_limit_quarantines_only_its_row(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    mib = "x" * (1024 * 1024)

    def change(rows: list[dict[str, str]]) -> None:
        rows[0]["MailingStreet"] = mib  # 1 MiB, over Python's csv limit of 131,072 but under the project's
        rows[1]["MailingStreet"] = "y" * (5 * 1024 * 1024)  # over max_field_chars (4 MiB)

    _rewrite_contacts(data, change)
    proc = build(store, data, "--only", "crm")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((store.parent / "reports" / "quarantine.json").read_text(encoding="utf-8"))
    own = [q for q in report["quarantined"] if q["source"] == "crm"]  # rows elsewhere that refer to it follow it
    assert [(q["row"], q["column"], q["rule"]) for q in own] == [(3, "MailingStreet", "too-long")]
    assert {q["rule"] for q in report["quarantined"] if q["source"] != "crm"} <= {"reference-quarantined",
                                                                                  "parent-quarantined"}
    reader = EmbeddedStore(store)
    streets = [r["v"].value for r in reader.query(
        f"SELECT ?v WHERE {{ GRAPH <{CRM}> {{ <{BASE}id/crm/contact/0030000101> ?p ?v "
        "FILTER(STRLEN(STR(?v)) > 1000) } }")]
    assert streets == [mib]
    crm = next(r for r in report["record_sets"] if r["record_set"] == "contacts")
    assert crm["read"] == crm["loaded"] + crm["quarantined"] and crm["quarantined"] == 1
    assert crm["loaded_counted_in_graph"] is True


def test_invalid_utf8_in_an_unchecked_column_quarantines_the_row(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    path = data / "crm" / "contacts.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"Grosvenor", b"Gros\xe9venor")  # MailingStreet: no contract rule reads it
    path.write_bytes(b"\n".join(lines))
    proc = build(store, data, "--only", "crm")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((store.parent / "reports" / "quarantine.json").read_text(encoding="utf-8"))
    assert [(q["row"], q["column"], q["rule"], q["value"]) for q in report["quarantined"] if q["source"] == "crm"] \
        == [(3, "MailingStreet", "encoding", "14 Gros\\xe9venor Road, Rathgar")]


def test_a_used_records_item_cannot_write_a_quad_of_its_own(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    path = data / "case-management" / "decisions.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    evil = ('commerce/order/X> <https://w3id.org/cxgraph/ontology#hasEmail> "attacker@evil.example" '
            '<https://evil.example/graph> .\n<https://data.brightwater.example/id/crm/contact/0030000101> '
            '<https://w3id.org/cxgraph/ontology#hasEmail> "attacker@evil.example" <https://evil.example/g2> .\n#')
    doc["result"][0]["used_records"].append(evil)
    doc["result"][1]["decided_by"] = 'EMP 1002>"x'
    path.write_text(json.dumps(doc), encoding="utf-8")
    proc = build(store, data, "--only", "case-management")
    assert proc.returncode == 0, proc.stderr
    after = counts(store)
    assert set(after) == set(built[1])  # no new graph
    reader = EmbeddedStore(store)
    assert not list(reader.query('SELECT ?s WHERE { ?s ?p "attacker@evil.example" }'))
    used = [r["o"].value for r in reader.query(
        f"SELECT ?o WHERE {{ <{BASE}id/decision/DEC-10421> <http://www.w3.org/ns/prov#used> ?o "
        "FILTER(CONTAINS(STR(?o), 'order/X')) }")]
    assert len(used) == 1 and ">" not in used[0] and "\n" not in used[0] and " " not in used[0]
    text = " ".join(proc.stdout.split())
    assert "case-management: 2 link(s) to resources nothing in the store describes" in text
    report = json.loads((store.parent / "reports" / "quarantine.json").read_text(encoding="utf-8"))
    assert report["quarantined"] == []
    proc = cx("query", "customer-records", "--param", "customer=id:crm/contact/0030000101", "--format", "csv",
              cwd=store.parent.parent, store=store)
    assert proc.returncode == 0 and "attacker@evil.example" not in proc.stdout


def test_a_graph_that_is_not_the_projects_is_reported_and_removed_by_a_full_build(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    write_store(store, update='INSERT DATA { GRAPH <https://evil.example/graph> { <https://data.brightwater.example/'
                              'id/crm/contact/0030000101> <https://w3id.org/cxgraph/ontology#hasEmail> '
                              '"attacker@evil.example" } }')
    stats = cx("stats", cwd=store.parent.parent, store=store)
    assert stats.returncode == 0
    assert "graph <https://evil.example/graph> is not written by any source" in " ".join(stats.stderr.split())
    validate = cx("validate", "--format", "json", cwd=store.parent.parent, store=store)
    assert json.loads(validate.stdout)["unknown_graphs"] == ["https://evil.example/graph"]
    only = build(store, data, "--only", "crm")
    assert only.returncode == 0 and "https://evil.example/graph" in counts(store)
    assert "is not this project's" in " ".join(only.stdout.split())
    full = build(store, data)
    assert full.returncode == 0, full.stderr
    assert "removed graph <https://evil.example/graph>" in " ".join(full.stdout.split())
    assert set(counts(store)) == set(built[1])


def test_a_failed_build_writes_its_own_quarantine_report(built, case, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    project = tmp_path / "project"
    for folder in ("loaders", "ontology", "queries", "shapes"):
        shutil.copytree(ROOT / folder, project / folder)
    # identity rules are read late in the build, after the records were checked and mapped
    (project / "loaders" / "identity.yaml").write_text("rules: [unclosed\n", encoding="utf-8")
    _rewrite_contacts(data, lambda rows: rows[0].update(LoyaltyTier="platinum"))
    proc = cx("build", "--data", str(data), cwd=store.parent.parent, store=store, project=project)
    assert proc.returncode == 2
    assert one_line_errors(proc.stderr)[0].startswith("error: ")
    assert "identity.yaml" in proc.stderr and "Nothing was replaced" in proc.stderr
    report = json.loads((store.parent / "reports" / "quarantine.json").read_text(encoding="utf-8"))
    assert report["status"].startswith("failed:")
    assert [(q["row"], q["rule"]) for q in report["quarantined"] if q["source"] == "crm"] == [(2, "enum")]
    assert counts(store) == built[1]


def test_markup_in_data_and_parameters_is_printed_literally(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    _rewrite_contacts(data, lambda rows: rows[0].update(FirstName="[red]Ann[/red] [/]", LastName="[bold]x"))
    proc = build(store, data, "--only", "crm")
    assert proc.returncode == 0, proc.stderr
    proc = cx("query", "customer-records", "--param", "customer=id:crm/contact/0030000101", cwd=store.parent.parent,
              store=store)
    assert proc.returncode == 0, proc.stderr
    assert "[red]Ann[/red] [/] [bold]x" in " ".join(proc.stdout.split())
    proc = cx("query", "customer-records", "--param", "customer=id:[/]", cwd=store.parent.parent, store=store)
    assert proc.returncode == 2 and "'id:[/]'" in proc.stderr and "Traceback" not in proc.stderr


def test_a_repeated_parameter_is_an_error(built, case) -> None:  # type: ignore[no-untyped-def]
    store, _data = case
    proc = cx("query", "customer-records", "--param", "customer=id:crm/contact/0030000101", "--param",
              "customer=id:crm/contact/0030000102", cwd=store.parent.parent, store=store)
    assert proc.returncode == 2
    assert one_line_errors(proc.stderr) == [
        "error: --param customer is given twice ('id:crm/contact/0030000101' and 'id:crm/contact/0030000102'); "
        "give each parameter once"]


def test_a_damaged_store_is_one_line_and_a_full_build_recovers(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    live = store / "generations" / (store / "live").read_text().strip()
    (live / "CURRENT").write_text("garbage\n")
    proc = cx("stats", cwd=store.parent.parent, store=store)
    assert proc.returncode == 2
    assert one_line_errors(proc.stderr)[0].startswith("error: ") and "damaged" in proc.stderr
    only = build(store, data, "--only", "crm")
    assert only.returncode == 2 and "damaged" in only.stderr
    full = build(store, data)
    assert full.returncode == 0, full.stderr
    assert "starts from an empty store" in " ".join(full.stdout.split())
    after = counts(store)
    assert {g: n for g, n in after.items() if g.startswith(GRAPH)} == {
        g: n for g, n in built[1].items() if g.startswith(GRAPH)}


@pytest.mark.parametrize("command", [("stats",), ("context", "order", "WEB-104211"), ("reason",), ("validate",),
                                     ("build", "--only", "crm")])
def test_a_store_damaged_inside_its_tables_is_one_line(built, case, command) -> None:  # type: ignore[no-untyped-def]
    """RocksDB opens it; a read that reaches a garbled block fails its checksum: said as the store's damage,
    never RocksDB's bare error or a hang (`reason` dropped the old inferred graph with an ASK that never returned)."""
    store, _data = case
    garble(live_generation(store))
    proc = cx(*command, cwd=store.parent.parent, store=store)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = one_line_errors(proc.stderr)
    assert len(errors) == 1, proc.stderr
    assert "damaged or unreadable (Corruption: block checksum mismatch" in errors[0], errors
    assert "rebuild it with `cxgraph build`" in errors[0] or "a full build" in errors[0], errors


def test_a_full_build_recovers_a_store_damaged_inside_its_tables(built, case) -> None:  # type: ignore[no-untyped-def]
    """Copying the graphs a full build keeps reads the damaged live store: the build starts afresh (as for a store
    it cannot open), rather than fail as for a new generation it cannot write."""
    store, data = case
    garble(live_generation(store))
    full = build(store, data)
    assert full.returncode == 0, full.stderr
    said = " ".join(full.stdout.split())
    assert "the live store is damaged or unreadable (Corruption: " in said and "starts from an empty store" in said
    assert {g: n for g, n in counts(store).items() if g.startswith(GRAPH)} == {
        g: n for g, n in built[1].items() if g.startswith(GRAPH)}


def test_a_live_file_naming_a_missing_generation_is_one_line_and_a_full_build_recovers(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    (store / "live").write_text("nonexistent\n")
    proc = cx("stats", cwd=store.parent.parent, store=store)
    assert proc.returncode == 2 and one_line_errors(proc.stderr) and "missing" in proc.stderr
    only = build(store, data, "--only", "crm")
    assert only.returncode == 2 and "Traceback" not in only.stderr
    full = build(store, data)
    assert full.returncode == 0, full.stderr
    assert set(counts(store)) == set(built[1])


def test_a_store_of_the_older_layout_is_read_and_migrated_by_the_next_build(built, case) -> None:  # type: ignore[no-untyped-def]
    import pyoxigraph as ox

    store, data = case
    reader = EmbeddedStore(store)
    dump = store.parent / "all.nq"
    reader.raw.dump(output=str(dump), format=ox.RdfFormat.N_QUADS)
    reader.close()
    shutil.rmtree(store)
    legacy = ox.Store(str(store))  # what cxgraph wrote before generations: RocksDB in the store folder itself
    legacy.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
    legacy.flush()
    del legacy
    assert counts(store) == built[1]
    proc = build(store, data, "--only", "crm")
    assert proc.returncode == 0, proc.stderr
    assert "older cxgraph" in " ".join(proc.stdout.split())
    assert not (store / "CURRENT").exists() and (store / "live").exists()
    after = counts(store)
    assert {g: n for g, n in after.items() if g.startswith(GRAPH)} == {
        g: n for g, n in built[1].items() if g.startswith(GRAPH)}


def test_a_lone_surrogate_in_a_json_export_quarantines_its_record(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    edit(data / "case-management" / "decisions.json", '"outcome": "Refund 189.00', '"outcome": "\\ud83d Refund 189.00')
    proc = build(store, data, "--only", "case-management")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((store.parent / "reports" / "quarantine.json").read_text(encoding="utf-8"))
    own = [(q["locator"], q["column"], q["rule"]) for q in report["quarantined"] if q["source"] == "case-management"]
    assert own == [("/result/0", "outcome", "encoding")]


@pytest.mark.parametrize("damage,needle", [
    ("cp1252", "not UTF-8: "),
    ("duplicate-header", "the header names a column twice: LastName"),
    ("cut-last-row", "the last row is cut short"),
    ("missing", "missing file"),
])
def test_more_whole_file_damage_refuses_the_source(built, case, damage: str, needle: str) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    path = data / "crm" / "contacts.csv"
    text = path.read_text(encoding="utf-8")
    if damage == "cp1252":
        path.write_bytes(text.replace("Ann,Rees", "Zoë,Rées").replace("Daniel", "Dàniel").encode("cp1252"))
    elif damage == "duplicate-header":
        path.write_text(text.replace("MailingCity", "LastName", 1), encoding="utf-8")
    elif damage == "cut-last-row":
        path.write_text(text.rstrip("\n")[:-60], encoding="utf-8")
    else:
        path.unlink()
    proc = build(store, data, "--only", "crm")
    assert_refused(proc, store, built[1], "crm", "crm/contacts.csv", needle)


def test_a_nul_byte_and_a_deep_json_value_quarantine_their_rows(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    _rewrite_contacts(data, lambda rows: rows[0].update(FirstName="An\x00n"))
    path = data / "commerce" / "customers.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    deep: object = "bottom"
    for _ in range(600):
        deep = [deep]
    doc["customers"][1]["notes"] = deep
    path.write_text(json.dumps(doc), encoding="utf-8")
    proc = build(store, data, "--only", "crm", "--only", "commerce")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((store.parent / "reports" / "quarantine.json").read_text(encoding="utf-8"))
    own = {(q["source"], q["locator"], q["rule"]) for q in report["quarantined"]
           if q["rule"] not in ("reference-quarantined", "parent-quarantined")}
    assert own == {("crm", "line 2", "encoding"), ("commerce", "/customers/1", "too-deep")}


def test_a_json_decimal_is_kept_as_written(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    edit(data / "case-management" / "decisions.json", '"amount": "189.00"',
         '"amount": 189.1000000000000000055511151231257827')
    proc = build(store, data, "--only", "case-management")
    assert proc.returncode == 0, proc.stderr
    reader = EmbeddedStore(store)
    amounts = [r["a"].value for r in reader.query(
        f"SELECT ?a WHERE {{ <{BASE}id/decision/DEC-10421> <https://w3id.org/cxgraph/ontology#hasAmount> ?a }}")]
    assert amounts == ["189.1000000000000000055511151231257827"]


def test_triples_in_the_default_graph_are_reported_and_removed_by_a_full_build(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    write_store(store, update='INSERT DATA { <https://data.brightwater.example/id/crm/contact/0030000101> '
                              '<https://w3id.org/cxgraph/ontology#hasEmailAddress> "attacker@evil.example" }')
    stats = cx("stats", cwd=store.parent.parent, store=store)
    assert "the store's default graph holds 1 triples" in " ".join(stats.stderr.split())
    validate = cx("validate", "--format", "json", cwd=store.parent.parent, store=store)
    assert json.loads(validate.stdout)["unknown_graphs"] == ["the default graph (1 triples)"]
    full = build(store, data)
    assert full.returncode == 0, full.stderr
    assert "removed the default graph (1 triples)" in " ".join(full.stdout.split())
    assert EmbeddedStore(store).default_graph_count() == 0


def test_terminal_escapes_in_data_are_printed_escaped(built, case) -> None:  # type: ignore[no-untyped-def]
    store, data = case
    _rewrite_contacts(data, lambda rows: rows[0].update(FirstName="\x1b[31mESC\x1b[0m\u202e"))
    assert build(store, data, "--only", "crm").returncode == 0
    proc = cx("query", "customer-records", "--param", "customer=id:crm/contact/0030000101", cwd=store.parent.parent,
              store=store)
    assert "\x1b" not in proc.stdout and "\u202e" not in proc.stdout
    assert "\\x1b[31mESC\\x1b[0m\\u202e" in proc.stdout
    csv_out = cx("query", "customer-records", "--param", "customer=id:crm/contact/0030000101", "--format", "csv",
                 cwd=store.parent.parent, store=store)
    assert "\x1b[31mESC" in csv_out.stdout  # machine formats carry the data exactly


@pytest.mark.parametrize("rel", ["crm/contacts.csv", "case-management/cases.json"])
def test_an_export_changed_between_check_and_staging_is_refused_not_staged(tmp_path: Path, rel: str) -> None:
    """The build lets go of each export's rows once its source is checked and reads it again to stage it: a
    file rewritten in between must not be staged, since its rows are not the ones that were checked."""
    from cxgraph.build.checking import check
    from cxgraph.build.pipeline import plan_build
    from cxgraph.build.staging import stage
    from cxgraph.errors import CxGraphError
    from cxgraph.project import load_project

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "sample", data)
    project = load_project(ROOT, data)
    selected = project.select(None)
    plan = plan_build(project, selected)
    checked = check(project, plan.contracts, {s.name for s in selected}, plan.needs)
    assert not checked.result.refused
    target = data / rel
    target.write_bytes(target.read_bytes().replace(b"a", b"b", 1))  # same size, other content
    with pytest.raises(CxGraphError, match="changed while the build read it") as caught:
        stage(selected, plan.contracts, checked, project, tmp_path / "staging", plan.needs)
    assert str(target) in str(caught.value)
