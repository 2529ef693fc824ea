"""Progress people can see: a Rich bar (done, rate, time left) on a terminal, plain lines in CI or a pipe.

Long work (generate, build, validate, push) reports `advance(done, total)`; on a terminal that drives a
live bar on stderr, otherwise one line per tenth of the work, so logs stay short and greppable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from cxgraph.cli.common import err


@contextmanager
def progress(label: str, unit: str) -> Iterator[Callable[[int, int], None]]:
    """A callback `(done, total)` reporting `label` progress in `unit`s, live on a terminal, in lines otherwise."""
    started = time.perf_counter()
    if err.is_terminal:
        with Progress(TextColumn(f"{label}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                      console=err, transient=False) as bar:
            task = bar.add_task(label, total=None, rate="")

            def live(done: int, total: int) -> None:
                seconds = max(time.perf_counter() - started, 1e-9)
                bar.update(task, completed=done, total=total, rate=f"{done / seconds:,.0f} {unit}/s")

            yield live
        return
    marks: set[int] = set()

    def lines(done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if tenth in marks:
            return
        marks.add(tenth)
        seconds = time.perf_counter() - started
        err.print(f"{label}: {done:,}/{total:,} {unit} ({tenth * 10}%), {seconds:.1f} s", soft_wrap=True)

    yield lines
