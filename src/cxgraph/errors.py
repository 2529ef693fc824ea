"""Errors the CLI turns into a one-line message and exit code 2 (pySHACL's convention)."""

from __future__ import annotations

from pathlib import Path


class CxGraphError(Exception):
    """A usage or input error: bad configuration, contract, mapping or parameter."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        super().__init__(message)

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return where + super().__str__()


class StoreDamaged(CxGraphError):
    """The embedded store's files are damaged or unreadable: the remedy is a rebuild, and a server answers it as
    its own failure (503), not as the caller's bad request."""


def read_utf8(path: Path, what: str = "file") -> str:
    """A text file read as UTF-8, or a CxGraphError naming it: missing, or where its first bad byte is."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CxGraphError(f"{what} not found", path) from None
    except UnicodeDecodeError as exc:
        raise CxGraphError(f"not UTF-8 ({exc.reason} at byte {exc.start})", path) from None
