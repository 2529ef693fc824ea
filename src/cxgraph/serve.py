"""The `oxigraph` server binary (for tests and users who want it) and pushing the store to a remote store."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pyoxigraph as ox

from .errors import CxGraphError
from .remote import RemoteStore
from .store import EmbeddedStore


def oxigraph_binary() -> str:
    """The `oxigraph` server installed with the package (PyPI `oxigraph`), next to this interpreter first."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.exists():
        return str(beside)
    found = shutil.which("oxigraph")
    if not found:
        raise CxGraphError("the `oxigraph` server is not installed; `pip install oxigraph` (a cxgraph dependency)")
    return found


def push_graphs(local: EmbeddedStore, remote: RemoteStore) -> list[tuple[str, int]]:
    """Upload each named graph into a staging graph in bounded chunks, then swap it in."""
    pushed = []
    for graph in local.named_graphs():
        if "/graph/staging/" in graph or graph.startswith("https://cxgraph.invalid/"):
            continue
        staging = graph + "#staging"
        remote.drop_graph(staging)
        quads = local.raw.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        remote.add_quads(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(staging)) for q in quads)
        remote.replace_graph(staging, graph)
        pushed.append((graph, local.count(graph)))
    return pushed
