"""Reading a JSON export item by item gives the records, and the errors, that parsing it whole gives."""

from __future__ import annotations

import json
import random
import tracemalloc
from decimal import Decimal
from typing import Any

import pytest

from conftest import ROOT
from cxgraph.build.json_stream import ExportProblem, iterate_json, json_chunks, syntax_problem
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
]


def _whole(text: str, iterators: list[str]) -> tuple[Any, ...]:
    """What the build read before: the document parsed whole, then walked."""
    problem = syntax_problem(text)
    if problem is not None:
        return "problem", problem.message, problem.line
    document = json.loads(text, parse_float=Decimal)
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


def test_a_name_read_twice_at_the_top_level_is_a_problem_not_a_silent_loss() -> None:
    text = '{"orders": [{"id": 1}], "orders": [{"id": 2}]}'
    assert _whole(text, ["$.orders[*]"])[1] == [[(("orders", 0), {"id": 2})]]  # json.loads keeps only the last
    kind, message, _line = _streamed(text, ["$.orders[*]"])
    assert kind == "problem" and "names 'orders' twice" in message
    assert _streamed('{"x": 1, "x": 2, "orders": []}', ["$.orders[*]"]) == ("records", [[]])  # not read: no matter


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
