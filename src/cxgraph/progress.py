"""How long work says how far it got, without the library knowing about terminals.

A stage calls `tick(task, done, total, unit)` as it goes: `task` names the stage and, where there is one,
the source ("check crm", "load", "validate"); `total` may be an estimate that grows. The command line turns
the calls into Rich bars or plain lines (`cxgraph.cli.progress`); the default does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

Tick = Callable[[str, int, int, str], None]


def silent(task: str, done: int, total: int, unit: str) -> None:
    """The default: nobody is watching."""
