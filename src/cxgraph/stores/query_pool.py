"""Queries that always end: each runs in a worker process that is killed at its time or memory limit.

pyoxigraph cannot cancel a query, and `oxigraph serve --timeout-s` did not stop `COUNT(*)` or
`ORDER BY` over a cartesian product (each held a core and up to 3.5 GB until restarted). So a query
from a user or a client runs in a worker process: the parent waits up to the time limit and then kills
the worker (SIGKILL) and starts another; the worker's address space is capped (RLIMIT_AS), so a query
that needs more memory dies alone. An answer is serialized whole in the worker before it is sent: a
query that is stopped gives an error, never a truncated answer.

Each worker keeps the store generation it last read open (read-only, leased) and opens the live one
again when a build has published a new generation: a server answers from a finished build without a
restart, and never from a build in progress.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from cxgraph.errors import CxGraphError, StoreDamaged
from cxgraph.stores.binding import bind_values

DEFAULT_TIMEOUT = 30.0
DEFAULT_MEMORY_MB = 2048
DEFAULT_MAX_ANSWER_MB = 256
WATCH_INTERVAL = 0.05  # seconds between looks at a running query's memory


@dataclass
class Request:
    """A query for a worker: text, RDF-term bindings, the answer format and the dataset."""

    sparql: str
    bindings: dict[str, Any] = field(default_factory=dict)
    results_format: str = "application/sparql-results+json"  # for SELECT and ASK
    graph_format: str = "application/n-triples"  # for CONSTRUCT and DESCRIBE
    default_graphs: list[str] | None = None  # None: the union of all named graphs
    named_graphs: list[str] | None = None
    rows: bool = False  # answer SELECT as Python rows of terms instead of serialized bytes
    prefixes: dict[str, str] | None = None  # declared before the query (its own PREFIX lines win)


@dataclass
class Answer:
    """What a worker sends back: status (`ok`, `bad-query`, `too-large`, `damaged`, `error`) and the answer."""

    status: str
    body: bytes = b""
    media_type: str = ""
    kind: str = ""  # solutions, boolean or graph
    message: str = ""
    variables: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    generation: str = ""


class QueryError(CxGraphError):
    """A query the pool stopped or could not run; `status` is the HTTP status a server answers with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _limit_memory(megabytes: int) -> None:
    """A hard backstop on the address space; the parent watches resident memory against `megabytes`.

    RocksDB and the threads of an open store reserve several hundred MB of address space that they
    never touch, so the cap on the address space is twice the limit plus 1 GB.
    """
    if megabytes > 0:
        limit = (2 * megabytes + 1024) * 1024 * 1024
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes(pid: int) -> int:
    """Resident memory of a process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _worker(conn: Connection, store_path: str | None, memory_mb: int, max_answer: int, as_of: str = "") -> None:
    """The worker loop: open the live generation (again when it changes), or the one live at `as_of` (the
    store's history, which does not change), and answer one request at a time."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops its workers
    _limit_memory(memory_mb)
    _watch_parent()
    from cxgraph.stores.embedded import EmbeddedStore, damage

    store: EmbeddedStore | None = None
    generation = ""
    while True:
        try:
            request: Request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if store_path is None:
                raise CxGraphError("no store to read")
            from cxgraph.stores.generations import StoreFolder

            moment = datetime.fromisoformat(as_of) if as_of else None
            live = StoreFolder(Path(store_path)).live() if moment is None else generation
            if store is None or str(live) != generation:
                if store is not None:
                    store.close()
                store = EmbeddedStore(Path(store_path), as_of=moment)
                store.named_graphs()  # opens (and leases) the live generation now
                generation = str(live)
            answer = _answer(store.raw, request, max_answer)
            answer.generation = generation
        except SyntaxError as exc:
            answer = Answer("bad-query", message=_first_line(exc))
        except MemoryError:
            answer = Answer("too-large", message="the query needed more memory than the worker may use")
        except CxGraphError as exc:
            answer = Answer("error", message=str(exc))
        except (OSError, RuntimeError, ValueError, TypeError) as exc:
            damaged = damage(exc, Path(store_path) if store_path else None)  # met while the results were read
            if damaged is not None:
                answer = Answer("damaged", message=str(damaged))
            else:
                answer = Answer("bad-query" if isinstance(exc, (ValueError, TypeError)) else "error",
                                message=_first_line(exc))
        try:
            conn.send(answer)
        except (OSError, ValueError, MemoryError):
            return


def _watch_parent() -> None:
    """Exit when the parent process is gone, even in the middle of a query (no orphan keeps a core)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _answer(store: ox.Store, request: Request, max_answer: int) -> Answer:
    kwargs: dict[str, Any] = {}
    if request.default_graphs is None:
        kwargs["use_default_graph_as_union"] = True
    else:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in request.default_graphs] or ox.DefaultGraph()
    if request.named_graphs is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in request.named_graphs]
    sparql = request.sparql
    if request.bindings:  # a VALUES block opening the WHERE group (see EmbeddedStore.query)
        sparql = bind_values(sparql, request.bindings)
    if request.prefixes:
        kwargs["prefixes"] = request.prefixes
    result = store.query(sparql, **kwargs)
    if isinstance(result, ox.QuerySolutions):
        if request.rows:
            variables = [v.value for v in result.variables]
            rows = [[solution[v] for v in variables] for solution in result]
            return Answer("ok", kind="solutions", variables=variables, rows=rows)
        fmt = ox.QueryResultsFormat.from_media_type(request.results_format) or ox.QueryResultsFormat.JSON
        body = result.serialize(format=fmt)
        kind = "solutions"
    elif isinstance(result, ox.QueryBoolean):
        fmt = ox.QueryResultsFormat.from_media_type(request.results_format) or ox.QueryResultsFormat.JSON
        if request.rows:
            return Answer("ok", kind="boolean", rows=[[bool(result)]])
        body = result.serialize(format=fmt)
        kind = "boolean"
    else:
        gfmt = ox.RdfFormat.from_media_type(request.graph_format) or ox.RdfFormat.N_TRIPLES
        body = result.serialize(format=gfmt)
        fmt = gfmt  # type: ignore[assignment]
        kind = "graph"
    if body is None:
        body = b""
    if len(body) > max_answer:
        return Answer("too-large", message=f"the answer is larger than {max_answer // (1024 * 1024)} MB; "
                                           "ask for less (LIMIT, fewer variables)")
    return Answer("ok", body=body, media_type=fmt.media_type, kind=kind)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class _Worker:
    """One worker process: `python -m cxgraph.stores.query_worker`, talking over a socket pair (pickled requests)."""

    def __init__(self, store_path: Path | None, memory_mb: int, max_answer: int, as_of: datetime | None = None,
                 ) -> None:
        parent, child = socket.socketpair()
        self.conn = Connection(parent.detach())
        child_fd = child.detach()
        command = [sys.executable, "-m", "cxgraph.stores.query_worker", str(child_fd), str(store_path or ""),
                   str(memory_mb), str(max_answer), as_of.isoformat() if as_of else ""]
        # no PR_SET_PDEATHSIG: it fires when the *thread* that started the worker ends (an anyio thread
        # does after 10 s idle); the worker watches its parent process instead (_watch_parent)
        self.process = subprocess.Popen(command, pass_fds=[child_fd], stdin=subprocess.DEVNULL)
        os.close(child_fd)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        with contextlib.suppress(OSError):
            self.conn.close()


class QueryPool:
    """A fixed number of worker processes over one on-disk store; `run` is thread-safe."""

    def __init__(self, store_path: Path, size: int = 2, timeout: float = DEFAULT_TIMEOUT,
                 memory_mb: int = DEFAULT_MEMORY_MB, max_answer_mb: int = DEFAULT_MAX_ANSWER_MB,
                 as_of: datetime | None = None) -> None:
        self.store_path = store_path
        self.as_of = as_of  # every worker reads the generation live then
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.max_answer = max_answer_mb * 1024 * 1024
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._available = threading.Semaphore(size)
        self._closed = False
        for _ in range(size):
            self._idle.append(self._start())

    def _start(self) -> _Worker:
        return _Worker(self.store_path, self.memory_mb, self.max_answer, self.as_of)

    def run(self, request: Request, timeout: float | None = None) -> Answer:
        """The answer, or QueryError: 400 bad query, 503 stopped at the time limit, 507 too large, 500."""
        limit = self.timeout if timeout is None else timeout
        started = time.monotonic()
        if not self._available.acquire(timeout=limit):
            raise QueryError(f"every query worker was busy for {limit:g} s (the time limit); try again", 503)
        try:
            limit = max(0.1, limit - (time.monotonic() - started))
            with self._lock:
                worker = self._idle.pop() if self._idle else self._start()
            healthy = False
            try:
                if not worker.alive():
                    worker.kill()
                    worker = self._start()
                try:
                    worker.conn.send(request)
                except OSError:
                    raise QueryError("a query worker ended unexpectedly; try again", 500) from None
                self._wait(worker, limit)
                try:
                    answer: Answer = worker.conn.recv()
                except (EOFError, OSError):
                    raise QueryError("the query was stopped: its worker ended, most likely over the memory a query "
                                     f"may use ({self.memory_mb} MB) or nested too deeply", 507) from None
                healthy = True
            finally:
                with self._lock:
                    if healthy and not self._closed:
                        self._idle.append(worker)
                    else:
                        worker.kill()
                        if not self._closed:
                            self._idle.append(self._start())
        finally:
            self._available.release()
        if answer.status == "bad-query":
            raise QueryError(f"the query cannot run: {answer.message}", 400)
        if answer.status == "too-large":
            raise QueryError(answer.message, 507)
        if answer.status == "damaged":  # the server's own failure, until the store is rebuilt
            raise StoreDamaged(answer.message)
        if answer.status != "ok":
            raise QueryError(answer.message, 500)
        return answer

    def _wait(self, worker: _Worker, limit: float) -> None:
        """Until the answer is ready; raise (the caller kills the worker) at the time or memory limit."""
        deadline = time.monotonic() + limit
        ceiling = self.memory_mb * 1024 * 1024
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QueryError(f"the query was stopped after {limit:g} s (the time limit)", 503)
            if worker.conn.poll(min(WATCH_INTERVAL, remaining)):
                return
            pid = worker.process.pid
            if ceiling and pid is not None and resident_bytes(pid) > ceiling:
                raise QueryError(f"the query was stopped: it needed more memory than a query may use "
                                 f"({self.memory_mb} MB)", 507)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._idle = self._idle, []
        for worker in workers:
            worker.kill()

    def __enter__(self) -> QueryPool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def worker_main(argv: list[str]) -> None:
    """Entry point of a worker process: `python -m cxgraph.stores.query_worker FD STORE MEMORY_MB MAX_ANSWER_BYTES
    [AS_OF]`."""
    _worker(Connection(int(argv[1])), argv[2] or None, int(argv[3]), int(argv[4]), argv[5] if len(argv) > 5 else "")
