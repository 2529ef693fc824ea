"""What a build keeps of each record past the contract check: where it is and the kept fields, in columns."""

from __future__ import annotations

import tracemalloc
from decimal import Decimal

import pytest

from cxgraph.build.checking import field_value
from cxgraph.build.contract import RecordSet
from cxgraph.build.held_records import HeldRecords
from cxgraph.build.records import Record


def _csv(n: int) -> list[Record]:
    return [Record(row=i + 2, values={"id": f"C{i:07d}", "customer": f"P{i % 50:05d}", "note": "x" * 40})
            for i in range(n)]


def test_a_csv_record_reads_back_its_line_and_kept_fields_only() -> None:
    records = _csv(3)
    held = HeldRecords(records, json=False, fields=("customer", "id"))
    assert len(held) == 3
    assert [held.row(i) for i in range(3)] == [2, 3, 4]
    assert held.pointer(1) is None
    assert held.value(2, "id") == "C0000002" and held.value(2, "note") is None  # not kept
    assert held[1] == Record(3, {"id": "C0000001", "customer": "P00001"}, None)
    assert held[-1].row == 4 and [r.row for r in held[1:]] == [3, 4]
    with pytest.raises(IndexError):
        held[-4]
    with pytest.raises(IndexError):
        held[3]
    assert [r.locator for r in held] == ["line 2", "line 3", "line 4"]
    held.release()
    assert held.value(2, "id") is None and held.column("id") == [] and held.row(2) == 4


def test_json_records_keep_nested_fields_as_the_export_nests_them() -> None:
    rs = RecordSet(source="s", name="lines", file="f.json", format="json", fields={},
                   iterator="$.orders[*].lines[*]")
    records = [Record(row=1, values={"sku": "A", "order": {"id": "O1", "at": None}, "qty": Decimal("2.50")},
                      pointer=("orders", 0, "lines", 0)),
               Record(row=2, values={"sku": "B", "order": {"id": "O1"}, "qty": 3}, pointer=("orders", 0, "lines", 1)),
               Record(row=3, values={"sku": ["C", "D"]}, pointer=("orders", 7, "lines", 0))]
    held = HeldRecords(records, json=True, fields=("order.id", "qty", "sku"))
    assert [held.pointer(i) for i in range(3)] == [r.pointer for r in records]
    assert [r.locator for r in held] == ["/orders/0/lines/0", "/orders/0/lines/1", "/orders/7/lines/0"]
    first = held[0]
    assert first.values == {"order": {"id": "O1"}, "qty": Decimal("2.50"), "sku": "A"}
    assert field_value(rs, first, "order.id") == "O1"  # the check's reader reads the cut-down record the same
    assert held.value(2, "order.id") is None and held.value(2, "sku") == ["C", "D"]
    assert held.value(0, "qty") == Decimal("2.50") and type(held.value(1, "qty")) is int


def test_pointers_of_other_shapes_are_kept_as_they_are() -> None:
    """An iterator gives its records one shape of pointer; anything else is held whole, not bent to the first."""
    pointers = [("a", 0), ("a", 1, "b"), ("c", 2), ()]
    held = HeldRecords([Record(i, {}, p) for i, p in enumerate(pointers, start=1)], json=True)
    assert [held.pointer(i) for i in range(4)] == pointers
    whole = HeldRecords([Record(1, {}, ())], json=True)
    assert whole.pointer(0) == () and whole[0].locator == "(the whole document)"
    keys = HeldRecords([Record(1, {}, ("a", 0)), Record(2, {}, ("b", 0))], json=True)  # same shape, another key
    assert [keys.pointer(i) for i in range(2)] == [("a", 0), ("b", 0)]
    number = HeldRecords([Record(1, {}, ("a", 0)), Record(2, {}, (5, 1))], json=True)  # a number where a key was
    assert [number.pointer(i) for i in range(2)] == [("a", 0), (5, 1)]
    assert len(HeldRecords([], json=True)) == 0


def test_a_repeated_text_is_held_once_and_equal_values_of_other_types_stay_apart() -> None:
    pool: dict[str, str] = {}
    one = HeldRecords([Record(1, {"k": "P00001", "n": 1}), Record(2, {"k": "P00001", "n": True})], json=True,
                      fields=("k", "n"), pool=pool)
    other = HeldRecords([Record(1, {"ref": "P00001", "n": Decimal(1)})], json=True, fields=("n", "ref"), pool=pool)
    assert one.value(0, "k") is one.value(1, "k") is other.value(0, "ref")
    assert [type(one.value(0, "n")), type(one.value(1, "n")), type(other.value(0, "n"))] == [int, bool, Decimal]


def test_held_in_columns_a_record_costs_a_fraction_of_a_record_and_its_dict() -> None:
    """What the check held per row before (a Record and a dict of its kept fields) against the columns, on the
    same 20,000 rows: the kept ids are each row's own, the customer one of 50."""
    def cost(make: object) -> int:
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            kept = make()  # type: ignore[operator]
            size = tracemalloc.get_traced_memory()[0] - before
            del kept
            return size
        finally:
            tracemalloc.stop()

    records = _csv(20_000)
    # copies of the texts, as the check's rows hold text a parse made, not the list's own strings
    as_before = cost(lambda: [Record(r.row, {k: r.values[k][:1] + r.values[k][1:] for k in ("customer", "id")})
                              for r in records])
    as_held = cost(lambda: HeldRecords(records, json=False, fields=("customer", "id")))
    assert as_held < 0.45 * as_before, (as_held, as_before)
