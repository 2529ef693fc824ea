"""Named points in the build where tests kill the process, to prove a kill leaves the store whole.

`CXGRAPH_KILL_AT=<point>` makes the process SIGKILL itself when it reaches that point (the Nth time
with `<point>:N`). Unset, `point()` costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def point(name: str) -> None:
    """Die here if the test asked for it (no clean-up runs: exactly what SIGKILL or a power cut does)."""
    wanted = os.environ.get("CXGRAPH_KILL_AT")
    if not wanted:
        return
    target, _, nth = wanted.partition(":")
    if target != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
