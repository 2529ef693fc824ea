"""The graph store behind one small interface: embedded pyoxigraph now, a remote SPARQL endpoint later.

Queries see the union of all named graphs as their default graph (what Fuseki calls
`unionDefaultGraph`), so that no answer silently misses a source graph.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from .errors import CxGraphError

Term = ox.NamedNode | ox.BlankNode | ox.Literal

DUMP_FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}


def default_store_path() -> Path:
    """$CXGRAPH_STORE, else `.cxgraph/store` in the working directory."""
    return Path(os.environ.get("CXGRAPH_STORE", ".cxgraph/store"))


class GraphStore(Protocol):
    """What the pipeline and the queries need from a store."""

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> Any: ...

    def update(self, sparql: str) -> None: ...

    def load_graph(self, path: Path, graph: str | None = None) -> None: ...

    def replace_graph(self, staging: str, target: str) -> None: ...

    def drop_graph(self, graph: str) -> None: ...

    def add_quads(self, quads: Iterable[ox.Quad]) -> None: ...

    def named_graphs(self) -> list[str]: ...

    def count(self, graph: str) -> int: ...

    def dump(self, path: Path, fmt: str) -> None: ...

    def export_graph(self, graph: str) -> bytes: ...

    def finish_load(self) -> None: ...


class EmbeddedStore:
    """pyoxigraph, on disk (RocksDB folder) or in memory when `path` is None."""

    def __init__(self, path: Path | None = None, read_only: bool = False) -> None:
        self.path = path
        try:
            if path is None:
                self._store = ox.Store()
            elif read_only:
                if not path.exists():
                    raise CxGraphError("no store here yet; run `cxgraph build` first", path)
                self._store = ox.Store.read_only(str(path))
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path))
        except OSError as exc:
            raise CxGraphError(f"cannot open the store: {exc}", path) from None

    @property
    def raw(self) -> ox.Store:
        return self._store

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> Any:
        """Run SPARQL with the union default graph; bindings are RDF terms, never text."""
        substitutions = {ox.Variable(k): v for k, v in (bindings or {}).items()}
        return self._store.query(sparql, use_default_graph_as_union=True, substitutions=substitutions or None)

    def update(self, sparql: str) -> None:
        self._store.update(sparql)

    def load_graph(self, path: Path, graph: str | None = None) -> None:
        """Bulk-load a file (N-Quads keep their graphs; other formats go to `graph`)."""
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".")) or ox.RdfFormat.N_QUADS
        kwargs: dict[str, Any] = {"path": str(path), "format": fmt}
        if graph and fmt not in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            kwargs["to_graph"] = ox.NamedNode(graph)
        if self.path is None:
            self._store.load(**kwargs)
        else:
            self._store.bulk_load(**kwargs)

    def replace_graph(self, staging: str, target: str) -> None:
        """Swap a fully loaded staging graph in for `target` in one update (one transaction)."""
        self._store.update(f"DROP SILENT GRAPH <{target}> ; MOVE SILENT GRAPH <{staging}> TO GRAPH <{target}>")

    def drop_graph(self, graph: str) -> None:
        self._store.update(f"DROP SILENT GRAPH <{graph}>")

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        self._store.extend(list(quads))

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def count(self, graph: str) -> int:
        result = self._store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return int(next(iter(result))["n"].value)

    def dump(self, path: Path, fmt: str) -> None:
        """Every named graph (and the default graph, if used) in N-Quads or TriG."""
        if fmt not in DUMP_FORMATS:
            raise CxGraphError(f"unknown export format {fmt!r}; use {' or '.join(DUMP_FORMATS)}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._store.dump(output=str(path), format=DUMP_FORMATS[fmt])

    def export_graph(self, graph: str) -> bytes:
        """One named graph as N-Triples (for pySHACL and other rdflib-based consumers)."""
        return self._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))

    def finish_load(self) -> None:
        """Compact after a bulk load: on disk, queries were 3-10x slower without it."""
        if self.path is not None:
            self._store.optimize()
            self._store.flush()
