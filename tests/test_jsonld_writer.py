"""The JSON-LD writer of context packs keeps what it derives from the published context between packs: a
changed context.jsonld is read again, and the compact forms it remembers stay bounded and right."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyoxigraph as ox
import pytest

import cxgraph.answer.jsonld as jsonld
from cxgraph.answer.jsonld import Writer, read_context

CX = "https://w3id.org/cxgraph/ontology#"


def _write(path: Path, terms: dict[str, object], mtime: int) -> None:
    path.write_text(json.dumps({"@context": {"@version": 1.1, "cx": CX, **terms}}), encoding="utf-8")
    os.utime(path, ns=(mtime, mtime))


def test_a_changed_context_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "context.jsonld"
    quad = ox.Quad(ox.NamedNode("https://x.example/id/1"), ox.NamedNode(CX + "isPlacedBy"),
                   ox.NamedNode("https://x.example/id/2"), ox.NamedNode("https://x.example/graph/a"))
    _write(path, {"isPlacedBy": {"@id": "cx:isPlacedBy", "@type": "@id"}}, 1_000_000_000)
    first = Writer(read_context(path), {"id": "https://x.example/id/"})
    assert first.graphs([quad])[0]["@graph"][0]["isPlacedBy"] == "id:2"
    _write(path, {"placedBy": {"@id": "cx:isPlacedBy", "@type": "@id"}}, 2_000_000_000)
    second = Writer(read_context(path), {"id": "https://x.example/id/"})
    assert second.graphs([quad])[0]["@graph"][0]["placedBy"] == "id:2"
    assert second.context() == {"@version": 1.1, "id": "https://x.example/id/",
                                "placedBy": {"@id": "cx:isPlacedBy", "@type": "@id"}}
    second.context()["placedBy"]["@id"] = "changed by a caller"  # a pack's context is its own
    assert read_context(path)["placedBy"]["@id"] == "cx:isPlacedBy"
    _write(path, {"wasPlacedBy": {"@id": "cx:isPlacedBy", "@type": "@id"}}, 2_000_000_000)  # `cp -p`: same time
    assert "wasPlacedBy" in read_context(path)


def test_the_compact_forms_kept_are_bounded_and_the_longest_prefix_wins(monkeypatch: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    monkeypatch.setattr(jsonld, "COMPACT_KEPT", 3)
    path = tmp_path / "context.jsonld"
    _write(path, {}, 1_000_000_000)
    prefixes = {"id": "https://x.example/id/", "crm": "https://x.example/id/crm/", "other": "https://x.example/id/"}
    writer = Writer(read_context(path), prefixes)
    iris = [f"https://x.example/id/crm/{n}" for n in range(10)] + ["https://x.example/id/7", "https://y.example/z",
                                                                  "https://x.example/id/crm/"]
    compact = [writer.iri(i) for i in iris]
    assert compact == [f"crm:{n}" for n in range(10)] + ["id:7", "https://y.example/z", "id:crm/"]
    assert len(writer.tables.compact) <= 3
    assert writer.used_prefixes == {"crm", "id"}
    assert [Writer(read_context(path), prefixes).iri(i) for i in iris] == compact  # the kept forms, again
