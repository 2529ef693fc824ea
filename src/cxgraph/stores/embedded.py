"""The graph store behind one small interface: embedded pyoxigraph, or a remote SPARQL endpoint (remote.py).

Queries see the union of all named graphs as their default graph (what Fuseki calls
`unionDefaultGraph`), so that no answer silently misses a source graph.

Nothing writes a published store in place. A build (or `cxgraph reason`) asks the store for a
`Workspace`: a private, writable pyoxigraph store that starts as a copy of what is published (a full
build's: of only the graphs it will not rewrite), which the pipeline changes freely and then publishes in
one step (`Workspace.publish`) or abandons. On disk
the workspace is a new generation (generations.py); in memory it is a copy swapped in; on a remote
store it is uploaded into staging graphs and swapped in by one SPARQL Update (remote.py).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import pyoxigraph as ox

from cxgraph import faults
from cxgraph.errors import CxGraphError, StoreDamaged
from cxgraph.project import DEFAULT_STORE, WorkFolder
from cxgraph.stores.binding import bind_values
from cxgraph.stores.generations import BuildLock, ReaderLease, StoreFolder

Term = ox.NamedNode | ox.BlankNode | ox.Literal

# The ASK keyword after a query's comments and prologue.
_ASK = re.compile(r"(?is)^((?:\s+|#[^\n]*(?:\n|$)|PREFIX\s*[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>)*)ASK\b")
DUMP_FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}


T = TypeVar("T")
_REMEMBERED: dict[str, dict[str, Any]] = {}  # generation folder -> name -> value (EmbeddedStore.remembered)
_REMEMBERED_LOCK = threading.Lock()
_REMEMBERED_GENERATIONS = 4
DROP_STEP = 50_000  # quads deleted per transaction when a build drops a graph in its workspace
# Quads handed to pyoxigraph's bulk loader at once: it holds all it is given, some 0.7 KB a quad whether given a
# list or a generator (2,000,000 quads: 1,447 MiB at once, 180 MiB in loads of 100,000, in the same time).
ADD_BATCH = 100_000


def remembered(store: Any, name: str, compute: Callable[[], T]) -> T:
    """`store.remembered(name, compute)` where the store has it (see EmbeddedStore.remembered), else `compute()`."""
    method = getattr(store, "remembered", None)
    return cast(T, method(name, compute)) if method is not None else compute()


def default_store_path() -> Path:
    """$CXGRAPH_STORE, else `.cxgraph/store` in the working directory."""
    return Path(os.environ.get("CXGRAPH_STORE", str(DEFAULT_STORE)))


class GraphStore(Protocol):
    """What the pipeline and the queries need from a store."""

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> Any: ...

    def update(self, sparql: str) -> None: ...

    def load_graph(self, path: Path, graph: str | None = None) -> None: ...

    def replace_graph(self, staging: str, target: str) -> None: ...

    def scratch_graph(self, staging: str, target: str) -> str: ...

    def drop_graph(self, graph: str) -> None: ...

    def add_quads(self, quads: Iterable[ox.Quad]) -> None: ...

    def named_graphs(self) -> list[str]: ...

    def count(self, graph: str) -> int: ...

    def dump(self, path: Path, fmt: str) -> None: ...

    def export_graph(self, graph: str) -> bytes: ...

    def finish_load(self) -> None: ...

    def remembered(self, name: str, compute: Callable[[], T]) -> T: ...


class Workspace:
    """A private, writable copy of a store that a writer changes and then publishes whole, or not at all.

    `store` is an in-process pyoxigraph store nobody else reads. `fetch` makes sure the given graphs
    are in it (a remote store's workspace starts empty; an embedded one starts as a copy, of only what it
    keeps for a full build; `keep` copies in graphs that it keeps unread). `publish`
    replaces, on the real store and in one step, every graph in `replaced`, removes those in `dropped`
    and adds the quads of `appended` graphs (history such as provenance) to what is there.
    """

    def __init__(self, store: EmbeddedStore, publish: Callable[[list[str], list[str], list[str]], None],
                 fetch: Callable[[list[str]], None] | None = None, notices: list[str] | None = None,
                 keep: Callable[[list[str]], None] | None = None) -> None:
        self.store = store
        self._publish = publish
        self._fetch = fetch
        self._keep = keep
        self.published = False
        self.notices = notices or []
        self.target_graphs: list[str] = []  # the named graphs of the published store when the work began

    def fetch(self, graphs: list[str]) -> None:
        """Make sure these graphs, which the work reads but does not replace, are in the workspace."""
        if self._fetch:
            self._fetch(graphs)

    def keep(self, graphs: list[str]) -> None:
        """These graphs of the published store stay as they are, unread: a workspace that did not start as a
        copy (a full build's on disk) copies them in, so the published result has them."""
        if self._keep:
            self._keep(graphs)

    def publish(self, replaced: list[str], dropped: list[str] = (), appended: list[str] = ()) -> None:  # type: ignore[assignment]
        self._publish(list(replaced), list(dropped), list(appended))
        self.published = True


def _damaged(exc: Exception, where: Path | None) -> StoreDamaged:
    """pyoxigraph reports a damaged RocksDB folder as RuntimeError (or OSError), whether opening or reading it."""
    return StoreDamaged(f"the store is damaged or unreadable ({_first_line(exc)[:300]}); rebuild it with "
                        "`cxgraph build`", where)


# RocksDB's status for a file that fails its checksum or cannot be read, as pyoxigraph passes it on (Corruption as
# RuntimeError, an I/O failure as OSError); a full disk is not damage (a build says so itself).
_DAMAGE = ("Corruption: ", "IO error: ")


def damage(exc: BaseException, where: Path | None = None) -> StoreDamaged | None:
    """`exc` as a StoreDamaged when it is RocksDB reporting damage, else None.

    Query results are read lazily, so such an error can surface anywhere results are iterated, long after
    `query()` returned; the places that catch every error (the CLI, the query workers, the servers) ask this.
    """
    if isinstance(exc, StoreDamaged):
        return exc
    text = str(exc)
    if not isinstance(exc, (RuntimeError, OSError)) or not text.startswith(_DAMAGE) or "No space left" in text:
        return None
    return _damaged(exc, where)


class Results:
    """A SELECT's solutions or a CONSTRUCT's triples, as pyoxigraph gives them, whose reading reports a damaged
    store as StoreDamaged (a CxGraphError, which the callers of `query` already handle): pyoxigraph evaluates
    lazily, so RocksDB's checksum error surfaces while the results are read, not when `query` returns."""

    __slots__ = ("_results", "_where")

    def __init__(self, results: ox.QuerySolutions | ox.QueryTriples, where: Path | None) -> None:
        self._results = results
        self._where = where

    @property
    def variables(self) -> list[ox.Variable]:
        """A SELECT's variables (AttributeError for triples, as pyoxigraph's)."""
        return cast(ox.QuerySolutions, self._results).variables

    def __iter__(self) -> Iterator[Any]:
        try:
            yield from self._results
        except (OSError, RuntimeError) as exc:
            raise (damage(exc, self._where) or exc) from None

    def serialize(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._results.serialize(*args, **kwargs)
        except (OSError, RuntimeError) as exc:
            raise (damage(exc, self._where) or exc) from None


class EmbeddedStore:
    """pyoxigraph, on disk (a folder of generations) or in memory when `path` is None.

    On disk the store is only ever read through this class: it opens the live generation read-only
    (lazily, at the first query) and keeps it for its lifetime, so one object sees one build.
    `read_only` is accepted for compatibility; writes go through `workspace()`.
    """

    def __init__(self, path: Path | None = None, read_only: bool = True, as_of: datetime | None = None) -> None:
        del read_only
        self.path = path
        self.as_of = as_of  # read the generation that was live then (the store's history), not the live one
        self.notices: list[str] = []
        self._lease: ReaderLease | None = None
        self._store: ox.Store | None = ox.Store() if path is None else None
        self._opening = threading.Lock()  # threads querying at once open one generation, with one lease
        self.is_private = False  # a workspace's store: nobody else reads it, so graphs are written in place

    @classmethod
    def private(cls, store: ox.Store) -> EmbeddedStore:
        """Wrap a writable pyoxigraph store that only its creator uses (a workspace)."""
        wrapped = cls()
        wrapped._store = store
        wrapped.is_private = True
        return wrapped

    @property
    def folder(self) -> StoreFolder | None:
        return StoreFolder(self.path) if self.path is not None else None

    def exists(self) -> bool:
        return self.path is None or StoreFolder(self.path).exists()

    def _open(self) -> ox.Store:
        if self._store is not None:
            return self._store
        with self._opening:
            return self._store if self._store is not None else self._open_live()

    def _open_live(self) -> ox.Store:
        assert self.path is not None
        folder = StoreFolder(self.path)
        if not self.path.exists() or not folder.exists():
            raise CxGraphError("no store here yet; run `cxgraph build` first", self.path)
        self._clear_if_idle(folder)
        lease = folder.lease() if self.as_of is None else folder.lease_at(self.as_of)
        try:
            self._store = ox.Store.read_only(str(lease.generation))
        except (OSError, RuntimeError) as exc:  # pyoxigraph reports a damaged RocksDB folder as RuntimeError
            lease.release()
            raise _damaged(exc, lease.generation) from None
        self._lease = lease
        return self._store

    def _clear_if_idle(self, folder: StoreFolder) -> None:
        """A killed build's partial generation is cleared by the first reader that finds no build running."""
        generations = folder.generations
        if not generations.is_dir() or not any(p.name.endswith(".partial") for p in generations.iterdir()):
            return
        lock = BuildLock(WorkFolder.beside(self.path).lock)  # type: ignore[arg-type]
        if lock.try_acquire():
            try:
                self.notices += folder.clear_leftovers(prune=False)
            finally:
                lock.release()

    def close(self) -> None:
        """Let go of the open generation (a later query opens the live one again)."""
        if self.path is None:
            return
        self._store = None
        gc.collect()
        if self._lease is not None:
            self._lease.release()
            self._lease = None

    @property
    def raw(self) -> ox.Store:
        return self._open()

    def remembered(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()` once per published build for everyone in this process, for what only a build changes
        (the policy catalog, when each graph was loaded). A published generation is never written again, so
        its folder is the key; a store in memory or a build's workspace can change, so it computes each time.
        The value is shared: callers must not change it."""
        self._open()
        if self._lease is None:
            return compute()
        key = str(self._lease.generation)
        with _REMEMBERED_LOCK:
            held = _REMEMBERED.pop(key, None)
            if held is None:
                held = {}
                while len(_REMEMBERED) >= _REMEMBERED_GENERATIONS:  # the least recently used goes
                    del _REMEMBERED[next(iter(_REMEMBERED))]
            _REMEMBERED[key] = held
        if name not in held:
            held[name] = compute()
        return cast(T, held[name])

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> Any:
        """Run SPARQL with the union default graph; bindings are RDF terms, never text."""
        # Bound by a VALUES block opening the WHERE group, as on a remote store: pyoxigraph's substitutions
        # join the bound term only after evaluating the pattern (1.2 s instead of 0.7 ms for one customer's
        # records on the sample), and where they are fast they reach into nested groups, so a query with a
        # FILTER, BIND or LIMIT in a group would answer differently here than on a remote store.
        if bindings:
            sparql = bind_values(sparql, bindings)
        store = self._open()
        answer = self._ask(store, sparql) if _ASK.match(sparql) else None
        if answer is not None:
            return answer
        try:
            result = store.query(sparql, use_default_graph_as_union=True)
        except (OSError, RuntimeError) as exc:
            raise _damaged(exc, self.path) from None
        return result if isinstance(result, ox.QueryBoolean) else Results(result, self.path)

    def _ask(self, store: ox.Store, sparql: str) -> bool | None:
        """An ASK answered by its first solution: pyoxigraph's ASK reads on past an error for a valid solution,
        and on a damaged store its index repeats the error forever (a hang, not an answer). None: the SELECT form
        does not parse, and the ASK is asked as it is (its own syntax error then names the query)."""
        try:
            solutions = store.query(_ASK.sub(r"\1SELECT *", sparql, count=1), use_default_graph_as_union=True)
        except SyntaxError:
            return None
        except (OSError, RuntimeError) as exc:
            raise _damaged(exc, self.path) from None
        return next(iter(Results(cast(ox.QuerySolutions, solutions), self.path)), None) is not None

    def statements(self, subject: ox.NamedNode, predicate: ox.NamedNode | None = None) -> list[ox.Quad]:
        """A subject's statements in every graph, read from the index without a query (a context pack reads a
        few hundred nodes); whole, so that a damaged store says so here, as `query` does."""
        try:
            return list(self._open().quads_for_pattern(subject, predicate, None, None))
        except (OSError, RuntimeError) as exc:
            raise _damaged(exc, self.path) from None


    def update(self, sparql: str) -> None:
        self._writable().update(sparql)

    def _writable(self) -> ox.Store:
        if self.path is not None:
            raise CxGraphError("a published store is never written in place; use a workspace", self.path)
        return self._open()

    def load_graph(self, path: Path, graph: str | None = None) -> None:
        """Load a file (N-Quads keep their graphs; other formats go to `graph`)."""
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".")) or ox.RdfFormat.N_QUADS
        kwargs: dict[str, Any] = {"path": str(path), "format": fmt}
        if graph and fmt not in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            kwargs["to_graph"] = ox.NamedNode(graph)
        self._writable().load(**kwargs)

    def replace_graph(self, staging: str, target: str) -> None:
        """Swap a fully loaded staging graph in for `target` in one update (one transaction)."""
        if staging == target:  # written in place (scratch_graph)
            return
        self._writable().update(f"DROP SILENT GRAPH <{target}> ; MOVE SILENT GRAPH <{staging}> TO GRAPH <{target}>")

    def scratch_graph(self, staging: str, target: str) -> str:
        """The empty graph to write `target`'s new content into before `replace_graph(it, target)`.

        A workspace's store has no other reader, so that is `target` itself (copying a million inferred
        triples from a staging graph cost 10 s at 20k customers); a shared store gets the staging graph.
        """
        graph = target if self.is_private else staging
        self.drop_graph(graph)
        return graph

    def drop_graph(self, graph: str) -> None:
        store = self._writable()
        if self.is_private:
            # A build's own workspace (a copy of the live store, for --only) drops the graphs it replaces. One
            # DROP is one transaction, held in memory until it commits: dropping a 469,000-quad graph peaked at
            # 688 MiB and took 12 s, in deletes of 50,000 at 409 MiB and 8 s.
            # Nobody else reads the workspace, so the graph may go in steps.
            # Not ASK: on a damaged store pyoxigraph's ASK (and ORDER BY, aggregates) never returns, reading the
            # same failed block again and again, while an index read raises.
            while next(iter(store.quads_for_pattern(None, None, None, ox.NamedNode(graph))), None) is not None:
                store.update(f"DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ {{ SELECT ?s ?p ?o WHERE "
                             f"{{ GRAPH <{graph}> {{ ?s ?p ?o }} }} LIMIT {DROP_STEP} }} }}")
        store.update(f"DROP SILENT GRAPH <{graph}>")

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        if self.is_private:  # no reader to protect: the bulk path (a failed build discards the workspace)
            store, pending = self._writable(), iter(quads)
            while batch := list(itertools.islice(pending, ADD_BATCH)):
                store.bulk_extend(batch)
        else:
            self._writable().extend(list(quads))

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._open().named_graphs() if isinstance(g, ox.NamedNode))

    def count(self, graph: str) -> int:
        result = self._open().query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        assert isinstance(result, ox.QuerySolutions)
        return int(next(iter(result))["n"].value)

    def default_graph_count(self) -> int:
        """Triples in the store's real default graph (cxgraph writes none; queries read them all the same)."""
        result = self._open().query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        assert isinstance(result, ox.QuerySolutions)
        return int(next(iter(result))["n"].value)

    def dump(self, path: Path, fmt: str) -> None:
        """Every named graph (and the default graph, if used) in N-Quads or TriG."""
        if fmt not in DUMP_FORMATS:
            raise CxGraphError(f"unknown export format {fmt!r}; use {' or '.join(DUMP_FORMATS)}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._open().dump(output=str(path), format=DUMP_FORMATS[fmt])

    def export_graph(self, graph: str) -> bytes:
        """One named graph as N-Triples (for pySHACL and other rdflib-based consumers)."""
        data = self._open().dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
        assert data is not None  # no output file given: the serialization is returned
        return data

    def finish_load(self) -> None:
        """Nothing to do on a published store: a workspace is compacted when it is published."""

    # -- writing ----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def workspace(self, lock: Path, fresh_if_damaged: bool = False,
                  keeping: Iterable[str] | None = None) -> Iterator[Workspace]:
        """A private copy to change, published by `Workspace.publish`, else discarded.

        Holds the build lock (`lock`) throughout: a second writer is told which process it waits for.
        `fresh_if_damaged`: when the live store cannot be read, start from an empty one (a full build
        replaces everything but the load history) instead of failing. `keeping`: the only graphs of the
        live store the work does not rewrite or drop (a full build's load history, actions and
        recommendations); on disk the workspace then starts with those (and the default graph) copied in,
        instead of a copy of everything from which the work deletes the rest (at 100,000 customers: minutes
        of deletes for a graph of 5 million quads). Others come back with `Workspace.fetch` or
        `Workspace.keep` when the work does not replace them after all (a refused source).
        """
        if self.as_of is not None:
            raise CxGraphError(f"the store as of {self.as_of.isoformat()} is history: it is read, never written")
        build_lock = BuildLock(lock)
        try:
            build_lock.acquire()
        except OSError as exc:
            raise CxGraphError(f"cannot create the build lock ({exc.strerror})", lock) from None
        try:
            if self.path is None:
                yield from self._memory_workspace()
            else:
                yield from self._disk_workspace(fresh_if_damaged, None if keeping is None else set(keeping))
        finally:
            build_lock.release()

    def _memory_workspace(self) -> Iterator[Workspace]:
        current = self._open()
        private = ox.Store()
        private.extend(current.quads_for_pattern(None, None, None, None))

        def publish(_replaced: list[str], _dropped: list[str], _appended: list[str]) -> None:
            self._store = private

        ws = Workspace(EmbeddedStore.private(private), publish)
        ws.target_graphs = self.named_graphs()
        yield ws

    def _disk_workspace(self, fresh_if_damaged: bool, keeping: set[str] | None) -> Iterator[Workspace]:
        assert self.path is not None
        folder = StoreFolder(self.path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CxGraphError(f"cannot create the store folder ({exc.strerror})", self.path) from None
        notices = folder.clear_leftovers()
        legacy = folder.is_legacy()
        partial = folder.new_generation()
        private: EmbeddedStore | None = None
        published = False
        live_graphs: list[str] | None = None  # the live store's graphs, when the workspace holds only some
        try:
            try:
                if folder.exists() and keeping is None:
                    _checkpoint(folder, partial)
                    private = EmbeddedStore.private(ox.Store(str(partial)))
                elif folder.exists() and keeping is not None:
                    private = EmbeddedStore.private(ox.Store(str(partial)))
                    live_graphs = _copy_graphs(folder, private, keeping.__contains__, default=True)
            except CxGraphError as exc:
                if not fresh_if_damaged or isinstance(exc, NotCopied):
                    raise
                if private is not None:
                    private._store = None
                    gc.collect()
                private, live_graphs = None, None
                shutil.rmtree(partial, ignore_errors=True)
                notices.append(f"{exc}; this full build starts from an empty store (the load history, recorded "
                               "actions and recommendations are lost)")
            if legacy:
                notices.append("the store had the layout of an older cxgraph: it is copied into a generation, and "
                               "the old files are removed once this build is published")
            if private is None:
                private = EmbeddedStore.private(ox.Store(str(partial)))

            def publish(_replaced: list[str], _dropped: list[str], _appended: list[str]) -> None:
                nonlocal published
                assert private is not None
                raw = private._store
                assert raw is not None
                raw.optimize()
                raw.flush()
                private._store = None
                del raw
                gc.collect()
                faults.point("before-publish")
                final = folder.publish(partial)
                published = True
                faults.point("published")
                self.close()
                notices.extend(n for n in folder.clear_leftovers(keep=final) if "older layout" not in n)

            def copy_in(graphs: list[str]) -> None:
                assert private is not None
                wanted = set(graphs) - set(private.named_graphs())
                if live_graphs is not None and wanted & set(live_graphs):
                    _copy_graphs(folder, private, wanted.__contains__)

            ws = Workspace(private, publish, notices=notices, fetch=copy_in, keep=copy_in)
            ws.target_graphs = private.named_graphs() if live_graphs is None else live_graphs
            yield ws
        finally:
            if not published:
                if private is not None:
                    private._store = None
                gc.collect()
                shutil.rmtree(partial, ignore_errors=True)
                (partial.parent / (partial.name[: -len(".partial")] + ".readers")).unlink(missing_ok=True)
            self.notices += notices


def _checkpoint(folder: StoreFolder, partial: Path) -> None:
    """Start a new generation as a RocksDB checkpoint of the live one: hard links, milliseconds."""
    _reading_live(folder, lambda live, _generation: live.backup(str(partial)))


class NotCopied(CxGraphError):
    """The live store was read, but a graph could not be written into the new generation (a full disk): the
    build fails, rather than start from an empty store as it would for a live store it cannot read."""


def _copy_graphs(folder: StoreFolder, into: EmbeddedStore, wanted: Callable[[str], bool],
                 default: bool = False) -> list[str]:
    """Copy the live generation's named graphs that are `wanted` (and its default graph when `default`) into
    a workspace with the bulk loader; the live store's named graphs."""
    def copy(live: ox.Store, generation: Path) -> list[str]:
        graphs = sorted(g.value for g in live.named_graphs() if isinstance(g, ox.NamedNode))
        for name in [ox.NamedNode(g) for g in graphs if wanted(g)] + ([ox.DefaultGraph()] if default else []):
            try:
                into.add_quads(_read_live(live.quads_for_pattern(None, None, None, name), generation))
            except (OSError, RuntimeError) as exc:
                raise NotCopied(f"cannot copy the graph {name} of the live store into the build's new generation "
                                f"({_first_line(exc)[:300]}); nothing was replaced", generation) from None
        return graphs

    return _reading_live(folder, copy)


def _live_damaged(exc: Exception, generation: Path) -> CxGraphError:
    return CxGraphError(f"the live store is damaged or unreadable ({_first_line(exc)[:300]}); a full build "
                        "(`cxgraph build` without --only) starts afresh", generation)


def _read_live(quads: Iterator[ox.Quad], generation: Path) -> Iterator[ox.Quad]:
    """The live store's quads, read lazily by the bulk loader: a failed read is the live store's damage (a full
    build starts afresh), told apart from a failed write into the new generation (NotCopied: the build fails)."""
    try:
        yield from quads
    except (OSError, RuntimeError) as exc:
        raise _live_damaged(exc, generation) from None


def _reading_live(folder: StoreFolder, work: Callable[[ox.Store, Path], T]) -> T:
    """`work` on the live generation opened read-only, leased for that time and let go of after it. A live
    store that cannot be opened or read is a CxGraphError after which a full build starts afresh (a write
    error of `work`'s own is its to report)."""
    try:
        lease = folder.lease()
    except CxGraphError as exc:
        raise CxGraphError(f"{exc} (the live store cannot be read; a full build starts afresh)") from None
    try:
        return work(ox.Store.read_only(str(lease.generation)), lease.generation)
    except (OSError, RuntimeError) as exc:
        raise _live_damaged(exc, lease.generation) from None
    finally:
        gc.collect()  # the store opened above is unreachable once `work` returned: closed before the lease goes
        lease.release()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
