"""The records of one record set as a build holds them after the contract check: in columns, not an object each.

From the check to its end, a build needs of each record only where it is (its line, or its JSON pointer) and,
until the subjects are known, the few fields that references and subject templates read. Held as a `Record`
and a dict of those fields per row, that was about 450 bytes a row, the largest thing in a build that grew with
its rows (1.7 GB at 100,000 customers). Here a record is a number in an array, its JSON pointer the indexes
its iterator's `[*]` steps took, and each kept field one list of values, a value repeated across rows (the
customer every order references) stored once.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from cxgraph.build.records import Record, json_value

ValuePool = dict[str, str]  # a text -> the one copy the build keeps of it


class HeldRecords(Sequence[Record]):
    """The records of one record set: row numbers, JSON pointers and the kept fields' values, by index.

    Indexing gives a `Record` as the check saw it, cut down to the kept fields (nested as in the export for
    JSON, so `checking.field_value` reads it the same); `row`, `pointer` and `value` read one part without
    building it.
    """

    __slots__ = ("_columns", "_json", "_keys", "_pointers", "_rows", "_steps")

    def __init__(self, records: Iterable[Record], json: bool, fields: tuple[str, ...] = (),
                 pool: ValuePool | None = None) -> None:
        pool = {} if pool is None else pool
        self._json = json
        self._rows = array("q")
        self._keys: tuple[Any, ...] | None = None  # a pointer's parts, None where an index goes
        self._steps: list[array[int]] = []  # per None in _keys, each record's index there
        self._pointers: list[tuple[Any, ...] | None] | None = None  # when pointers do not share one shape
        self._columns: dict[str, list[Any]] = {name: [] for name in fields}
        for record in records:
            self.append(record, pool)

    def append(self, record: Record, pool: ValuePool) -> None:
        """Hold one more record, its texts the pool's copies (the check holds each record as it checks it, so the
        parsed records need not stay; the pool is not kept, since the build holds its records to the end)."""
        if self._json:
            self._hold_pointer(record.pointer)
        self._rows.append(record.row)
        for name, column in self._columns.items():
            column.append(_shared(pool, json_value(record.values, name) if self._json
                                  else record.values.get(name)))

    def _hold_pointer(self, pointer: tuple[Any, ...] | None) -> None:
        if self._pointers is not None:
            self._pointers.append(pointer)
            return
        parts = pointer or ()
        keys = tuple(None if type(part) is int else part for part in parts)
        if not self._rows:
            self._keys = keys
            self._steps = [array("q") for part in keys if part is None]
        if keys == self._keys:
            steps = iter(self._steps)
            for part in parts:
                if type(part) is int:
                    next(steps).append(part)
            return
        held = [self.pointer(i) for i in range(len(self._rows))]  # shapes differ: hold each pointer as it is
        self._pointers = [*held, pointer]
        self._keys, self._steps = None, []

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Record: ...

    @overload
    def __getitem__(self, index: slice) -> list[Record]: ...

    def __getitem__(self, index: int | slice) -> Record | list[Record]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return Record(self._rows[index], self._values(index), self.pointer(index))

    def __iter__(self) -> Iterator[Record]:
        return (self[i] for i in range(len(self)))

    def row(self, index: int) -> int:
        """The record's line (CSV) or its number in document order (JSON)."""
        return self._rows[index]

    def pointer(self, index: int) -> tuple[Any, ...] | None:
        """The record's JSON pointer (None for a CSV row)."""
        if not self._json:
            return None
        if self._pointers is not None:
            return self._pointers[index]
        if self._keys is None:
            return ()
        steps = iter(self._steps)
        return tuple(next(steps)[index] if part is None else part for part in self._keys)

    def value(self, index: int, name: str) -> Any:
        """A kept field's value (None when absent, or when the field is not kept or was released)."""
        column = self._columns.get(name)
        return None if column is None else column[index]

    def column(self, name: str) -> list[Any]:
        """A kept field's values, in record order (empty when the field is not kept or was released)."""
        return self._columns.get(name, [])

    def release(self) -> None:
        """Let go of the kept values: what the build does once the subjects are known needs only where each
        record is."""
        self._columns = {}

    def _values(self, index: int) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, column in self._columns.items():
            value = column[index]
            if value is None:
                continue
            if not self._json:
                values[name] = value
                continue
            *parents, last = name.split(".")
            node = values
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
        return values


def _shared(pool: ValuePool, value: Any) -> Any:
    """The pool's copy of a text, so a value many rows hold is held once. Only text: 1, 1.0 and True are equal
    keys, and a pool of every kind would hand back another type."""
    if type(value) is not str:
        return value
    held = pool.get(value)
    if held is None:  # a copy, made beside the other kept values: the parsed row's text goes with its row
        held = pool[value] = value[:1] + value[1:]
    return held
