"""Property-based bad input (Hypothesis): generated broken exports never crash the build, every row is
accounted for, good rows still load, and a source that fails keeps its previous graph.

Examples are derandomized (the same cases every CI run): 150 fast cases through the contract check and
staging, and 8 end-to-end cases through the real mapping engine and store.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path

import pyoxigraph as ox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, Built
from cxgraph.build.checking import check
from cxgraph.build.contract import load_contracts
from cxgraph.build.mapping import check_mapping
from cxgraph.build.pipeline import build, mapping_needs
from cxgraph.build.staging import stage
from cxgraph.errors import CxGraphError
from cxgraph.project import load_project
from cxgraph.stores.embedded import EmbeddedStore

SAMPLE = ROOT / "data" / "sample" / "crm"
HEADER = SAMPLE.joinpath("contacts.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
GOOD_ROWS = list(csv.DictReader(io.StringIO(SAMPLE.joinpath("contacts.csv").read_text(encoding="utf-8"))))
NASTY = ['"', ">", "a\nb", "\r\n", "\\", "{}", "[/]", "} UNION {", " ", "", "\t", "é😀", "%", "x" * 5000,
         'x> <http://evil/p> "v" <http://evil/g> .', "2026-02-30T00:00:00Z", "platinum", "HH-99999"]

cells = st.one_of(st.sampled_from(NASTY), st.text(max_size=30),
                  st.text(alphabet=st.characters(codec="utf-8"), max_size=10))


@st.composite
def contacts_file(draw: st.DrawFn) -> bytes:
    """A contacts.csv: mostly the sample's rows, some cells broken, sometimes the whole file broken."""
    rows = [dict(r) for r in draw(st.lists(st.sampled_from(GOOD_ROWS), min_size=1, max_size=12, unique_by=id))]
    for row in rows:
        for column in draw(st.lists(st.sampled_from(HEADER), max_size=3)):
            row[column] = draw(cells)
    header = list(HEADER)
    damage = draw(st.sampled_from(["none", "none", "none", "truncate", "drop-column", "rename-column", "empty",
                                   "header-only", "invalid-utf8", "extra-cells", "crlf"]))
    if damage == "drop-column":
        header.remove(draw(st.sampled_from(HEADER)))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore",
                            lineterminator="\r\n" if damage == "crlf" else "\n")
    writer.writeheader()
    if damage != "header-only":
        writer.writerows(rows)
    text = buffer.getvalue()
    if damage == "rename-column":
        text = text.replace(draw(st.sampled_from(HEADER)), "Renamed", 1)
    if damage == "extra-cells":
        text = text.replace("\n", ",extra\n", 2)
    data = b"" if damage == "empty" else text.encode("utf-8")
    if damage == "truncate" and data:
        data = data[: draw(st.integers(min_value=1, max_value=len(data)))]
    if damage == "invalid-utf8" and data:
        at = draw(st.integers(min_value=len(data) // 2, max_value=len(data)))
        data = data[:at] + b"\xff\xfe\xe9" + data[at:]
    return data


def _data_folder(root: Path, contacts: bytes) -> Path:
    (root / "crm").mkdir(parents=True)
    (root / "crm" / "contacts.csv").write_bytes(contacts)
    shutil.copy(SAMPLE / "households.csv", root / "crm" / "households.csv")
    return root


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(contacts=contacts_file())
def test_a_broken_export_never_crashes_the_check_and_every_row_is_accounted_for(contacts: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        data = _data_folder(Path(folder) / "data", contacts)
        project = load_project(ROOT, data)
        contracts = load_contracts(project)
        source = project.sources["crm"]
        needs = mapping_needs({"crm": check_mapping(source, contracts["crm"])[1]})
        checked = check(project, contracts, {"crm"}, needs)
        result = checked.result
        if "crm" in result.refused:
            assert all(c.read == c.quarantined == 0 for c in result.for_source("crm"))
            assert result.refused["crm"] and all(i.message for i in result.refused["crm"])
            return
        for count in result.for_source("crm"):
            assert count.read == count.accepted + count.quarantined
        staging = Path(folder) / "staging"
        stage([source], contracts, checked, project, staging, needs)
        staged = list(csv.DictReader(io.StringIO((staging / "crm" / "contacts.csv").read_text(encoding="utf-8"),
                                                 newline="")))
        contacts_count = next(c for c in result.for_source("crm") if c.record_set == "contacts")
        assert len(staged) == contacts_count.accepted
        for row in staged:
            assert row["ContactId"].startswith("003")
            assert all(not any("\udc80" <= ch <= "\udcff" for ch in value) for value in row.values())


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(contacts=contacts_file())
def test_a_broken_export_through_the_real_build_keeps_or_accounts_for_every_row(sample: Built,
                                                                                contacts: bytes) -> None:
    crm = sample.project.sources["crm"].graph
    before = {str(q.triple) for q in sample.store.raw.quads_for_pattern(None, None, None, ox.NamedNode(crm))}
    with tempfile.TemporaryDirectory() as folder:
        data = _data_folder(Path(folder) / "data", contacts)
        store = EmbeddedStore()
        store.raw.extend(sample.store.raw)
        project = load_project(ROOT, data)
        try:
            report = build(project, store, Path(folder) / "work", only=["crm"], echo=lambda _m: None,
                           allow_shrink=True)
        except CxGraphError as exc:  # a whole-build failure must leave everything as it was
            assert "Nothing was replaced" in str(exc)
            report = None
        after = {str(q.triple) for q in store.raw.quads_for_pattern(None, None, None, ox.NamedNode(crm))}
        if report is None or "crm" in report.refused:
            assert after == before
            return
        summary = next(s for s in report.sources if s.name == "crm")
        assert summary.rows_read == summary.rows_loaded + summary.rows_quarantined
        quarantined_rows = {i.row for i in report.check.issues if i.record_set == "contacts"}
        reader = csv.reader(io.StringIO(contacts.decode("utf-8", errors="replace"), newline=""))
        subjects = {q.subject.value for q in store.raw.quads_for_pattern(None, None, None, ox.NamedNode(crm))}
        header = next(reader)
        start = reader.line_num + 1
        for values in reader:  # a row's number is the line it starts on, as in the quarantine report
            line, start = start, reader.line_num + 1
            if not values or values == [""]:
                continue
            row = dict(zip(header, values, strict=False))
            contact = f"{project.id_iri('crm/contact/')}{row.get('ContactId', '')}"
            if line not in quarantined_rows and row.get("ContactId"):
                assert contact in subjects, (line, row)
        for name in sample.store.named_graphs():  # the other sources' graphs did not move
            if "/graph/source/" in name and name != crm:
                assert store.count(name) == sample.store.count(name)
