"""Condition queries answer the same for the order or signal the engine binds as for the whole store: a policy's
scope may be evaluated for one order (recommend recover, explain, a pack's policy header) or, with nothing bound,
for every one. The delayed-order conditions are shaped so that the store reads from the bound order (see
rules/conditions/order-delayed-lines-in-stock.rq); these pin that the shape keeps their answers."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from conftest import Built
from cxgraph.answer.conditions import load_condition, moment, run_condition

XSD = "http://www.w3.org/2001/XMLSchema#"
THRESHOLD = ox.Literal("100.00", datatype=ox.NamedNode(XSD + "decimal"))


@pytest.mark.parametrize("name", ["order-delayed", "order-delayed-value-above", "order-delayed-lines-in-stock",
                                  "order-delayed-line-out-of-stock", "signal-affected-parties"])
def test_a_condition_bound_answers_as_over_the_whole_store(sample: Built, name: str) -> None:
    condition = load_condition(sample.project, name)
    kind = condition.input[:1].upper() + condition.input[1:]
    given = [row["it"] for row in sample.store.query(
        f"SELECT ?it WHERE {{ ?it a <https://w3id.org/cxgraph/ontology#{kind}> }} ORDER BY ?it")]
    assert given
    bindings = {"asOf": moment(sample.project), "threshold": THRESHOLD}
    everything = run_condition(sample.store, condition, bindings)
    assert everything  # the sample has delayed orders, an out-of-stock line and affected customers
    found: dict[str, list[object]] = {}
    for node in given:
        one = run_condition(sample.store, condition, {**bindings, condition.input: node})
        if condition.target == condition.input:  # as a policy's rule runs it: the targets in scope bound too
            assert one == run_condition(sample.store, condition, {**bindings, condition.input: node}, [node])
            assert set(one) <= {node.value}
        for target, facts in one.items():
            found.setdefault(target, []).extend(facts)
    # every target and fact found for one of them is found over the whole store, and nothing else
    assert {t: sorted(set(f), key=lambda x: tuple(map(str, x))) for t, f in found.items()} == everything
