"""Reading a JSON export item by item gives the records, and the errors, that parsing it whole gives."""

from __future__ import annotations

import json
import random
import tracemalloc
from decimal import Decimal
from typing import Any

import pytest

from conftest import ROOT
from cxgraph.build.json_stream import ExportProblem, iterate_json, json_chunks
from cxgraph.build.records import parse_iterator

DOCUMENTS = [
    ('{"orders": [{"id": 1, "lines": [{"a": 1.10}, {"a": 2}]}, {"id": 2, "lines": []}, {"id": 3}], '
     '"meta": {"x": [1, 2]}}', ["$.orders[*]", "$.orders[*].lines[*]"]),
    ('[{"a": 1}, {"a": [1, {"b": 2}]}, 3, "x", null]', ["$[*]"]),
    ('  {"meta": 1, "events": [ ] , "z": null}\n', ["$.events[*]"]),
    ('{"events": {"a": 1}}', ["$.events[*]"]),
    ('{"result": [{"k": "a\\n> \\"b\\" \\u00e9 \\ud800"}, {"k": "b"}]}', ["$.result[*]"]),
    ('{}', ["$.x[*]"]),
    ('{"x": [1, 2]}', ["$"]),
    ('{"x": {"y": [1, 2]}}', ["$.x.y[*]"]),
    ('{"a": [{"b": [1]}], "c": [{"d": 2}]}', ["$.a[*].b[*]", "$.c[*]"]),
    ('{"meta": {"n": 1}, "rows": [{"n": 2}]}', ["$.meta", "$.rows[*]"]),
]


def _whole(text: str, iterators: list[str]) -> tuple[Any, ...]:
    """What the build read before: the document parsed whole, then walked; its errors worded as they were."""
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        ends_early = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        truncated = " (the file ends too early: truncated?)" if ends_early else ""
        return "problem", f"JSON syntax error: {exc.msg}{truncated}", exc.lineno
    except RecursionError:
        return "problem", "JSON nested too deeply to read", None
    return "records", [list(iterate_json(document, parse_iterator(i))) for i in iterators]


def _streamed(text: str, iterators: list[str]) -> tuple[Any, ...]:
    found: list[list[Any]] = [[] for _ in iterators]
    try:
        for chunk in json_chunks(text, [parse_iterator(i) for i in iterators]):
            for k, records in enumerate(chunk):
                found[k].extend(records)
    except ExportProblem as problem:
        return "problem", problem.message, problem.line
    return "records", found


def _damaged(text: str, rng: random.Random) -> str:
    at = rng.randrange(len(text) + 1)
    char = rng.choice(',:[]{}" x1\n\\')
    return text[:at] + char + text[at + 1:] if rng.random() < 0.5 else text[:at] + char + text[at:]


@pytest.mark.parametrize("text,iterators", DOCUMENTS)
def test_every_cut_and_damage_reads_as_the_whole_parse_reads_it(text: str, iterators: list[str]) -> None:
    assert _streamed(text, iterators) == _whole(text, iterators)
    assert _whole(text, iterators)[0] == "records"
    for cut in range(len(text)):
        assert _streamed(text[:cut], iterators) == _whole(text[:cut], iterators), repr(text[:cut])
    rng = random.Random(7)
    for _ in range(400):
        damaged = _damaged(text, rng)
        assert _streamed(damaged, iterators) == _whole(damaged, iterators), repr(damaged)


def test_the_sample_exports_read_the_same_whole_and_cut() -> None:
    """The project's own exports, with their own iterators, and cut every few characters."""
    for rel, iterators in [
        ("catalog/policies.json", ["$.policies[*]", "$.policies[*].rules[*]", "$.policies[*].rules[*].allows[*]"]),
        ("commerce/orders.json", ["$.orders[*]", "$.orders[*].lines[*]"]),
        ("monitoring/signals.json", ["$.signals[*]", "$.signals[*].affects[*]"]),
    ]:
        text = (ROOT / "data" / "sample" / rel).read_text(encoding="utf-8")
        whole = _whole(text, iterators)
        assert whole[0] == "records" and all(whole[1]), rel
        assert _streamed(text, iterators) == whole
        for cut in range(0, len(text), max(1, len(text) // 150)):
            assert _streamed(text[:cut], iterators) == _whole(text[:cut], iterators), (rel, cut)


@pytest.mark.parametrize("iterator", ["$.orders[*]", "$.orders"])
def test_a_name_read_twice_at_the_top_level_is_a_problem_not_a_silent_loss(iterator: str) -> None:
    text = '{"orders": [{"id": 1}], "orders": [{"id": 2}]}'
    assert _whole(text, ["$.orders[*]"])[1] == [[(("orders", 0), {"id": 2})]]  # json.loads keeps only the last
    kind, message, _line = _streamed(text, [iterator])
    assert kind == "problem" and "names 'orders' twice" in message
    assert _streamed('{"x": 1, "x": 2, "orders": []}', [iterator])[0] == "records"  # not read: no matter
    cut = text[:-3]  # and cut short: the syntax error is reported, as the first thing to mend
    assert _streamed(cut, [iterator]) == _whole(cut, [iterator])


def test_each_chunk_holds_the_records_of_one_top_level_item() -> None:
    """Staging encodes every record set's records of a chunk before writing any: a chunk must be one item."""
    text = (ROOT / "data" / "sample" / "commerce" / "orders.json").read_text(encoding="utf-8")
    chunks = list(json_chunks(text, [parse_iterator("$.orders[*]"), parse_iterator("$.orders[*].lines[*]")]))
    assert len(chunks) == len(json.loads(text)["orders"]) > 100
    for item, (orders, lines) in enumerate(chunks):
        assert [pointer for pointer, _node in orders] == [("orders", item)]
        assert all(pointer[:2] == ("orders", item) for pointer, _node in lines)
        assert [node for _pointer, node in lines] == orders[0][1].get("lines", [])


def test_a_number_too_long_to_read_is_a_problem_not_a_crash() -> None:
    kind, message, _line = _streamed('{"rows": [{"n": ' + "9" * 5000 + "}]}", ["$.rows[*]"])
    assert kind == "problem" and "cannot be read" in message


def test_reading_item_by_item_holds_one_item_not_the_document() -> None:
    """The reason for reading item by item: a large export parsed whole took several times its size."""
    items = [{"event_id": f"EVT-{i}", "shipment_id": f"SHP-{i // 3}", "code": "PU", "at": "2026-01-01T10:00:00Z",
              "weight": Decimal("1.25"), "tags": ["a", "b"]} for i in range(40_000)]
    text = json.dumps({"events": items}, default=str)
    del items
    tracemalloc.start()
    count = sum(len(chunk[0]) for chunk in json_chunks(text, [parse_iterator("$.events[*]")]))
    streamed = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    document = json.loads(text, parse_float=Decimal)
    whole = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == len(document["events"]) == 40_000
    assert streamed * 50 < whole, (streamed, whole)
