"""The on-disk store as generations: a build writes a private copy and publishes it with one rename.

A store folder (default `.cxgraph/store`) holds:

    live                          names the published generation (one line), replaced atomically
    history                       one line per publication: when (UTC) and which generation, oldest first
    generations/<id>/             a generation; never written once published
    generations/<id>.partial/     a generation being built; left behind only by a killed build
    generations/<id>.readers      lock file: readers hold a shared lock on it while the generation is open

Readers open the generation `live` points to, read-only, and keep it for their lifetime: they see one
whole build, never a build in progress (RocksDB readers beside a bulk-loading writer saw doubled quads
and, once, a false `Corruption` error). A build starts from a checkpoint of the live generation (hard
links, milliseconds), or a full build from an empty one into which it copies the graphs it keeps, writes
into it, and publishes it by replacing the `live` file, an atomic
rename: a build killed at any moment leaves `live` on the old generation or on the new one, whole.
The last published generations are kept as the store's history ($CXGRAPH_KEEP_HISTORY, default 10), so a
reader can open the graph as it was at a moment (`--as-of`); older ones, once no reader holds them, are
removed by the next build. A `.partial` folder is a killed build's, cleared (and reported) by the next
writer, or by a reader when no build is running.

One writer at a time: `BuildLock` is an exclusive `flock` on `build.lock` beside the store's work
folder, holding the writer's pid, so a second build says which process it waits for.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cxgraph import faults
from cxgraph.errors import CxGraphError

LIVE = "live"
HISTORY = "history"
GENERATIONS = "generations"
DEFAULT_KEEP_HISTORY = 10
PARTIAL = ".partial"
READERS = ".readers"


_ROCKSDB_FILE = re.compile(r"CURRENT|IDENTITY|LOCK|LOG(\.old\..*)?|MANIFEST-\d+|OPTIONS-\d+|\d+\.(sst|log|blob)")


def _is_rocksdb(folder: Path) -> bool:
    return (folder / "CURRENT").is_file() and any(folder.glob("MANIFEST-*"))


class BuildLock:
    """An exclusive lock for the one build (or other writer) of a store; released when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, wait: float = 1.0) -> None:
        """Take the lock, waiting up to `wait` seconds (a reader clearing a dead build's left-overs holds it
        for milliseconds); then say which process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                holder = os.pread(fd, 64, 0).decode("ascii", errors="replace").strip() or "unknown"
                os.close(fd)
                raise CxGraphError(f"another build is running (pid {holder}); wait for it to finish",
                                   self.path) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it (True), else leave it (False)."""
        try:
            self.acquire(wait=0)
        except CxGraphError:
            return False
        return True

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> BuildLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


@dataclass
class ReaderLease:
    """A shared lock on a generation's readers file: while held, no build removes that generation."""

    generation: Path
    fd: int

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


@dataclass
class StoreFolder:
    """The generations of one on-disk store."""

    path: Path
    cleared: list[str] = field(default_factory=list)  # what left-overs were removed, for the caller to report

    def __post_init__(self) -> None:
        self.path = self.path.resolve()

    @property
    def generations(self) -> Path:
        return self.path / GENERATIONS

    @property
    def live_link(self) -> Path:
        return self.path / LIVE

    def exists(self) -> bool:
        return self.live() is not None

    def is_legacy(self) -> bool:
        """A store written before generations: the RocksDB folder is the store folder itself."""
        return not self.live_link.exists() and _is_rocksdb(self.path)

    def live(self) -> Path | None:
        """The published generation, or None before the first build."""
        if self.is_legacy():
            return self.path
        try:
            target = self.live_link.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise CxGraphError(f"the store's `live` file is damaged ({exc}); rebuild with `cxgraph build`",
                               self.path) from None
        folder = self.generations / target
        if not target or "/" in target or not folder.is_dir():
            raise CxGraphError(f"the store's live generation {target} is missing; rebuild with `cxgraph build`",
                               self.path)
        return folder

    @property
    def history_file(self) -> Path:
        return self.path / HISTORY

    def timeline(self) -> list[tuple[datetime, Path]]:
        """Every publication, oldest first, with the moment it happened, whether or not its generation is still
        on disk (a removed one still ends the period of the one before it). The live generation is always
        last: published before its line was written when a build was killed in between, its folder's time
        stands in until the next writer records it."""
        found: list[tuple[datetime, Path]] = []
        for line in self._lines():
            when, _, name = line.partition(" ")
            try:
                moment = datetime.fromisoformat(when)
            except ValueError:
                continue  # a torn line (a power cut while appending): that publication is not history
            if name and "/" not in name and moment.tzinfo is not None:
                found.append((moment, self.generations / name))
        live = self.live()
        if live is not None and live != self.path and all(folder != live for _, folder in found):
            found.append((datetime.fromtimestamp(live.stat().st_mtime, UTC), live))
        return found

    def history(self) -> list[tuple[datetime, Path]]:
        """The publications an as-of answer can be given from: the unbroken run of the latest ones whose
        generations are still on disk (an older one a reader kept open, past a removed one, is not history)."""
        timeline = self.timeline()
        start = len(timeline)
        while start > 0 and timeline[start - 1][1].is_dir():
            start -= 1
        return timeline[start:]

    def _record_live(self) -> None:
        """Write the history line a build killed after publishing did not write (the writer holds the lock)."""
        timeline = self.timeline()
        if timeline and not any(line.endswith(" " + timeline[-1][1].name) for line in self._lines()):
            self._append(timeline[-1][0], timeline[-1][1])

    def _lines(self) -> list[str]:
        try:
            return self.history_file.read_text(encoding="ascii").splitlines()
        except FileNotFoundError:
            return []

    def _append(self, moment: datetime, generation: Path) -> None:
        """One line per publication; a line torn by a power cut is closed first, so it cannot swallow this one."""
        with self.history_file.open("a+b") as handle:
            torn = False
            if handle.seek(0, os.SEEK_END) > 0:
                handle.seek(-1, os.SEEK_END)
                torn = handle.read(1) != b"\n"
            handle.write((b"\n" if torn else b"") + f"{moment.isoformat()} {generation.name}\n".encode("ascii"))
            handle.flush()
            os.fsync(handle.fileno())

    def kept(self) -> set[Path]:
        """The generations kept as history: those of the last $CXGRAPH_KEEP_HISTORY publications."""
        text = os.environ.get("CXGRAPH_KEEP_HISTORY", str(DEFAULT_KEEP_HISTORY))
        try:
            keep = int(text)
        except ValueError:
            raise CxGraphError(f"CXGRAPH_KEEP_HISTORY={text!r}: give a whole number of builds to keep") from None
        return {folder for _, folder in self.timeline()[-keep:]} if keep > 0 else set()

    def at(self, moment: datetime) -> Path:
        """The generation that was live at `moment`: the last one published at or before it."""
        if self.is_legacy():
            raise CxGraphError("this store was written before cxgraph kept builds: its history starts with the next "
                               "build", self.path)
        history = self.history()
        if not history:
            raise CxGraphError("no store here yet; run `cxgraph build` first", self.path)
        before = [folder for when, folder in history if when <= moment]
        if not before:
            raise CxGraphError(f"the store keeps no build published by {moment.isoformat()}: its history starts at "
                               f"{history[0][0].isoformat()} ({len(history)} builds kept; $CXGRAPH_KEEP_HISTORY)",
                               self.path)
        return before[-1]

    # -- readers ------------------------------------------------------------------------------------
    def lease_at(self, moment: datetime) -> ReaderLease:
        """The generation live at `moment`, locked against removal for as long as the lease is held."""
        for _ in range(20):
            generation = self.at(moment)
            lock = generation.parent / (generation.name + READERS)
            try:
                fd = os.open(lock, os.O_RDONLY)
            except FileNotFoundError:
                time.sleep(0.05)  # removed a moment ago: look again
                continue
            fcntl.flock(fd, fcntl.LOCK_SH)
            if generation.is_dir():
                return ReaderLease(generation, fd)
            os.close(fd)
        raise CxGraphError("the store kept changing while opening it; try again", self.path)

    def lease(self) -> ReaderLease:
        """The live generation, locked against removal for as long as the lease is held."""
        for _ in range(20):
            live = self.live()
            if live is None:
                raise CxGraphError("no store here yet; run `cxgraph build` first", self.path)
            if live == self.path:  # legacy layout: nothing to lease
                return ReaderLease(live, -1)
            lock = live.parent / (live.name + READERS)
            try:
                fd = os.open(lock, os.O_RDONLY)
            except FileNotFoundError:
                time.sleep(0.05)  # published a moment ago or removed: look again
                continue
            fcntl.flock(fd, fcntl.LOCK_SH)
            if live.is_dir() and self.live() == live:
                return ReaderLease(live, fd)
            os.close(fd)
        raise CxGraphError("the store kept changing while opening it; try again", self.path)

    # -- the writer ---------------------------------------------------------------------------------
    def clear_leftovers(self, keep: Path | None = None, prune: bool = True) -> list[str]:
        """Remove partial generations and, when `prune` (a writer: a reader clearing a dead build's folder keeps
        the history as the builds left it), generations neither kept as history nor held by a reader (the
        caller holds the build lock)."""
        cleared: list[str] = []
        for stale in self.path.glob(f".{LIVE}.*"):
            stale.unlink(missing_ok=True)
        if self.live_link.exists() and _is_rocksdb(self.path):  # a migration published; its old files stayed
            for entry in self.path.iterdir():
                if entry.is_file() and _ROCKSDB_FILE.fullmatch(entry.name):
                    entry.unlink(missing_ok=True)
            cleared.append("removed the files of the store's older layout (migrated)")
        if not self.generations.is_dir():
            return cleared
        try:
            live = self.live()
        except CxGraphError:
            live = None
            keep_all = True  # `live` is damaged: keep every finished generation, they may be all that is left
        else:
            keep_all = not prune
        if not keep_all:
            self._record_live()
        history = self.kept() if not keep_all else set()
        for entry in sorted(self.generations.iterdir()):
            if entry.name.endswith(PARTIAL) and entry.is_dir() and entry != keep:
                shutil.rmtree(entry, ignore_errors=True)
                cleared.append(f"removed {entry.name}, the unfinished generation of a build that did not end")
                lock = self.generations / (entry.name[: -len(PARTIAL)] + READERS)
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
            elif entry.is_dir() and entry != live and entry != keep and not entry.name.endswith(PARTIAL) \
                    and not keep_all and entry not in history:
                if self._remove_unread(entry):
                    cleared.append(f"removed generation {entry.name} (superseded, no reader)")
            elif entry.name.endswith(READERS) and not (self.generations / entry.name[: -len(READERS)]).exists() \
                    and not (self.generations / (entry.name[: -len(READERS)] + PARTIAL)).exists():
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
        return cleared

    def _remove_unread(self, generation: Path) -> bool:
        lock = generation.parent / (generation.name + READERS)
        try:
            fd = os.open(lock, os.O_RDONLY)
        except FileNotFoundError:
            shutil.rmtree(generation, ignore_errors=True)
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False  # a reader (a server worker, a long query) still has it open: next build
        shutil.rmtree(generation, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
        os.close(fd)
        return True

    def new_generation(self) -> Path:
        """A fresh `.partial` folder name for the build to write."""
        self.generations.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}"
        (self.generations / (name + READERS)).touch()
        return self.generations / (name + PARTIAL)

    def publish(self, partial: Path) -> Path:
        """Rename the finished generation into place and point `live` at it: one atomic step for readers."""
        final = partial.with_name(partial.name[: -len(PARTIAL)])
        _fsync_tree(partial)
        partial.rename(final)
        _fsync_dir(self.generations)
        faults.point("renamed")
        self._point_live_at(final)
        faults.point("live")
        self._append(datetime.now(UTC), final)  # when it became what readers see
        return final

    def _point_live_at(self, generation: Path) -> None:
        tmp = self.path / f".{LIVE}.{os.getpid()}"
        with tmp.open("w", encoding="ascii") as handle:
            handle.write(generation.name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.live_link)
        _fsync_dir(self.path)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    """Make a finished generation durable before it is published (a power cut must not publish holes)."""
    for entry in folder.iterdir():
        if entry.is_file():
            fd = os.open(entry, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(folder)


@contextlib.contextmanager
def held(lock: BuildLock) -> Iterator[BuildLock]:
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()
