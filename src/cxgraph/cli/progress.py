"""Progress people can see: Rich bars (done, rate, time left) on a terminal, plain lines in CI or a pipe.

Long work (generate, build, validate, push) calls a `cxgraph.progress.Tick` per stage and source. On a
terminal each task gets a live bar on stderr under a line saying the current step; otherwise a task that
runs longer than a couple of seconds prints one line per tenth of its work, so logs stay short and greppable
and quick runs (tests, the sample) stay quiet.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.console import Group
from rich.live import Live
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from cxgraph.cli.common import err
from cxgraph.progress import Tick

QUIET_SECONDS = 2.0  # off a terminal, a task quicker than this prints nothing


@dataclass
class Board:
    """`tick` for the stages' progress, `say` for the step being worked on (shown on a terminal only)."""

    tick: Tick
    say: Callable[[str], None]


@contextmanager
def board(step: str = "") -> Iterator[Board]:
    """A progress board for one command: live bars on a terminal, a line per tenth of a long task elsewhere."""
    if err.is_terminal:
        yield from _live(step)
        return
    started: dict[str, float] = {}
    marks: dict[str, set[int]] = {}

    def lines(task: str, done: int, total: int, unit: str) -> None:
        begun = started.setdefault(task, time.perf_counter())
        seconds = time.perf_counter() - begun
        tenth = min(done * 10 // max(total, 1), 10)
        seen = marks.setdefault(task, set())
        if tenth in seen or seconds < QUIET_SECONDS:
            return
        seen.add(tenth)
        rate = done / max(seconds, 1e-9)
        err.print(f"{task}: {done:,}/{total:,} {unit} ({tenth * 10}%), {rate:,.0f} {unit}/s, {seconds:.1f} s",
                  soft_wrap=True, highlight=False)

    yield Board(lines, lambda _message: None)


def _live(step: str) -> Iterator[Board]:
    bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[unit]}"), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=err)
    status = Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err)
    current = status.add_task(escape(step), total=None)
    tasks: dict[str, TaskID] = {}
    started: dict[str, float] = {}

    def tick(task: str, done: int, total: int, unit: str) -> None:
        if task not in tasks:
            tasks[task] = bars.add_task(escape(task), total=total, unit=unit, rate="")
            started[task] = time.perf_counter()
        seconds = max(time.perf_counter() - started[task], 1e-9)
        bars.update(tasks[task], completed=done, total=total, rate=f"{done / seconds:,.0f}/s")

    live = Live(Group(bars, status), console=err, refresh_per_second=8, transient=False)

    def say(message: str) -> None:  # a new step shows at once, not at the next refresh
        status.update(current, description=escape(message))
        live.refresh()

    with live:
        yield Board(tick, say)
        status.update(current, visible=False)
        live.refresh()


@contextmanager
def progress(label: str, unit: str) -> Iterator[Callable[[int, int], None]]:
    """One task's `(done, total)` callback (the generator's), on the same board."""
    with board() as shown:
        yield lambda done, total: shown.tick(label, done, total, unit)
