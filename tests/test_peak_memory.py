"""The build's peak memory per stage: read from the process's own high-water mark, reset between stages."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxgraph import peak_memory
from cxgraph.build.pipeline import StageClock

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or not peak_memory.reset(),
                                reason="the peak of resident memory is read from Linux's /proc")


def _hold(mib: int) -> bytearray:
    block = bytearray(mib << 20)
    block[::4096] = b"x" * len(block[::4096])  # touched, so resident
    return block


def test_the_peak_follows_a_reset() -> None:
    assert peak_memory.reset()
    before = peak_memory.peak_mib()
    held = _hold(200)
    del held
    peak = peak_memory.peak_mib()
    assert before is not None and peak is not None and peak >= before + 190
    assert peak_memory.reset()
    after = peak_memory.peak_mib()
    assert after is not None and after < peak - 150  # the 200 MiB were let go before the reset


def test_each_stage_is_charged_its_own_peak() -> None:
    clock = StageClock()
    clock.lap("small")
    held = _hold(300)
    del held
    clock.lap("large")
    clock.lap_at("never ran", None)
    clock.lap("small again")
    assert set(clock.peak_mib) == set(clock.seconds) == {"small", "large", "small again"}
    assert clock.peak_mib["large"] >= clock.peak_mib["small"] + 250
    assert clock.peak_mib["small again"] < clock.peak_mib["large"] - 200


def test_a_workspace_hands_the_bulk_loader_quads_in_batches(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                             ) -> None:
    """pyoxigraph's bulk loader holds all it is given (some 0.7 KB a quad, list or generator): a build's workspace
    gives it ADD_BATCH quads at a time, so writing the identity graph or the lineage does not grow with them."""
    import pyoxigraph as ox

    from cxgraph.stores import embedded
    from cxgraph.stores.embedded import EmbeddedStore

    graph, p = ox.NamedNode("https://example.org/g"), ox.NamedNode("https://example.org/p")

    def quads(n: int) -> Iterator[ox.Quad]:
        return (ox.Quad(ox.NamedNode(f"https://example.org/s/{i}"), p,
                        ox.NamedNode(f"https://example.org/record/{i}#row={i}"), graph) for i in range(n))

    small = EmbeddedStore.private(ox.Store())
    monkeypatch.setattr(embedded, "ADD_BATCH", 3)
    small.add_quads(quads(10))
    assert small.count(graph.value) == 10
    monkeypatch.setattr(embedded, "ADD_BATCH", 50_000)
    store = EmbeddedStore.private(ox.Store(str(tmp_path / "store")))  # on disk, as a build's
    assert peak_memory.reset()
    before = peak_memory.peak_mib()
    store.add_quads(quads(600_000))
    peak = peak_memory.peak_mib()
    assert store.count(graph.value) == 600_000
    assert before is not None and peak is not None and peak - before < 200  # at once: some 400 MiB
