"""A JSON record set whose fields hold single values is staged as a table too, and maps to the same graph."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import ROOT, build_memory
from cxgraph.vocab import CX

AWKWARD = 'Ann "the > one" <b>\nsecond line, with \\ and \t tab'


def _graph(built, source: str) -> set[str]:
    graph = ox.NamedNode(built.project.sources[source].graph)
    return {str(q.triple) for q in built.store.raw.quads_for_pattern(None, None, None, graph)}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with text no table must break: quotes, angle brackets, newlines, a backslash, a tab, a blank."""
    root = tmp_path_factory.mktemp("json-tables") / "data"
    shutil.copytree(ROOT / "data" / "sample", root)
    path = root / "commerce" / "customers.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["customers"][0]["first_name"] = AWKWARD
    doc["customers"][1]["last_name"] = "   "  # blank: absent, as the contract check reads it
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    path = root / "commerce" / "orders.json"  # a quarantined order and a quarantined line: left out of both
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["orders"][1]["placed_at"] = "not a time"
    doc["orders"][2]["lines"][0]["quantity"] = "N/A"
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return root


def test_a_json_record_set_maps_to_the_same_graph_from_its_table(data: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sources = ["commerce", "case-management", "logistics", "monitoring", "catalog"]
    tables = build_memory(tmp_path / "tables", data_root=data, only=sources, keep_staging=True)
    staged = tmp_path / "tables" / "staging"
    assert (staged / "commerce" / "orders.json.lines.csv").is_file()  # $.orders[*].lines[*]: nested records
    assert (staged / "commerce" / "customers.json.customers.csv").is_file()
    assert not (staged / "commerce" / "customers.json").exists()  # every record set of it reads the table
    # decisions name the records they used in a list: that record set reads the document
    assert (staged / "case-management" / "decisions.json").is_file()
    assert not any(staged.glob("case-management/decisions.json.*.csv"))

    import cxgraph.build.staging as staging

    monkeypatch.setattr(staging, "json_tables", lambda *args, **kwargs: {})
    documents = build_memory(tmp_path / "documents", data_root=data, only=sources,
                             keep_staging=True)
    assert not any((tmp_path / "documents" / "staging").glob("*/*.json.*.csv"))
    for source in sources:
        assert _graph(tables, source) == _graph(documents, source), source
    names = {q.object.value for q in tables.store.raw.quads_for_pattern(
        None, ox.NamedNode(CX + "hasName"), None, ox.NamedNode(tables.project.sources["commerce"].graph))}
    assert AWKWARD + " Rees" in names  # the text whole, newline, quotes and all
    assert [s.rows_quarantined for s in tables.report.sources] == [s.rows_quarantined for s in documents.report.sources]
    commerce = next(s for s in tables.report.sources if s.name == "commerce")
    assert commerce.rows_quarantined >= 2
