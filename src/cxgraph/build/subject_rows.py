"""Which accepted rows each subject IRI comes from, held compactly.

A build keeps this from staging to the end (to count rows in the graph, to locate a focus node's row, to
name the row behind a bad line or a dangling link): one entry per source row. A row is one int (its index
and its record set's number), and a list only where several rows make the same subject, instead of a list
of (name, index) tuples per subject, which was most of what a build held per row.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

_SETS_BITS = 8  # up to 256 record sets in one source's mapping


class SubjectRows:
    """subject IRI -> the rows (record set name, index among its records) whose subject templates give it."""

    def __init__(self) -> None:
        self._names: list[str] = []
        self._numbers: dict[str, int] = {}
        self._rows: dict[str, int | list[int]] = {}

    def add(self, iri: str, record_set: str, index: int) -> None:
        number = self._numbers.get(record_set)
        if number is None:
            number = self._numbers[record_set] = len(self._names)
            if number >= 1 << _SETS_BITS:
                raise ValueError(f"more than {1 << _SETS_BITS} record sets in one source")
            self._names.append(record_set)
        code = (index << _SETS_BITS) | number
        held = self._rows.get(iri)
        if held is None:
            self._rows[sys.intern(iri)] = code  # the load's sets of subjects share the string
        elif isinstance(held, int):
            self._rows[iri] = [held, code]
        else:
            held.append(code)

    def _decode(self, held: int | list[int]) -> list[tuple[str, int]]:
        codes = [held] if isinstance(held, int) else held
        mask = (1 << _SETS_BITS) - 1
        return [(self._names[code & mask], code >> _SETS_BITS) for code in codes]

    def get(self, iri: str) -> list[tuple[str, int]]:
        """The rows that give `iri`, in the order they were added (empty when none does)."""
        held = self._rows.get(iri)
        return [] if held is None else self._decode(held)

    def __contains__(self, iri: object) -> bool:
        return iri in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def items(self) -> Iterator[tuple[str, list[tuple[str, int]]]]:
        for iri, held in self._rows.items():
            yield iri, self._decode(held)

    def record_sets(self) -> set[str]:
        """The record sets some subject comes from."""
        return set(self._names)


class AnySubject:
    """Whether any of several sources' rows give a subject (without a set of all their IRIs)."""

    def __init__(self, rows: Iterable[SubjectRows]) -> None:
        self._rows = list(rows)

    def __contains__(self, iri: object) -> bool:
        return any(iri in rows for rows in self._rows)
