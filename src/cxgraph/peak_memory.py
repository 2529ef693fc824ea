"""The process's peak resident memory per stretch of work, so that a build can say which stage needs the most.

Linux keeps the high-water mark of a process's resident memory (VmHWM in /proc/self/status) and sets it back
to the current size when "5" is written to /proc/self/clear_refs. Where either is missing (another system, a
locked-down /proc) there is no reading: a lifetime peak charged to the last stage would mislead.

The kernel reports the same mark as the process's peak to `getrusage` and to its parent when it exits, so
after a reset `/usr/bin/time -v` shows the peak since then only: the build prints the whole build's peak
itself (the largest of its stages').
"""

from __future__ import annotations

from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def reset() -> bool:
    """Start a new stretch: the peak becomes the memory held now. False where the peak cannot be reset."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return peak_mib() is not None


def peak_mib() -> int | None:
    """The most resident memory the process held since the last `reset()` (since it started without one), MiB."""
    try:
        status = _STATUS.read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return None
