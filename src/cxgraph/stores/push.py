"""The `oxigraph` server binary (for tests and users who want it) and pushing the store to a remote store."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from cxgraph.errors import CxGraphError
from cxgraph.progress import Tick, silent
from cxgraph.stores.embedded import EmbeddedStore
from cxgraph.stores.remote import RemoteStore


def oxigraph_binary() -> str:
    """The `oxigraph` server installed with the package (PyPI `oxigraph`), next to this interpreter first."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.exists():
        return str(beside)
    found = shutil.which("oxigraph")
    if not found:
        raise CxGraphError("the `oxigraph` server is not installed; `pip install oxigraph` (a cxgraph dependency)")
    return found


def push_graphs(local: EmbeddedStore, remote: RemoteStore, lock: Path, private: Callable[[str], bool],
                tick: Tick = silent) -> list[tuple[str, int]]:
    """Upload every named graph of the embedded store and swap them all in with one SPARQL Update.

    Readers of the remote store see the previous graphs or all the pushed ones, never a mix. `private`: the
    graphs the engine keeps to itself (Project.is_private_graph), which are not pushed. `tick` hears the
    quads uploaded (`RemoteStore.tick`).
    """
    graphs = [g for g in local.named_graphs() if not private(g)]
    remote.tick = tick
    with remote.workspace(lock) as ws:
        for graph in graphs:
            ws.store.raw.extend(local.raw.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
        ws.publish(graphs)
    return [(graph, local.count(graph)) for graph in graphs]
