"""Condition queries answer the same for the order or signal the engine binds as for the whole store: a policy's
scope may be evaluated for one order (recommend recover, explain, a pack's policy header) or, with nothing bound,
for every one. The delayed-order conditions are shaped so that the store reads from the bound order (see
rules/conditions/order-delayed-lines-in-stock.rq); these pin that the shape keeps their answers."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from conftest import Built
from cxgraph.answer.conditions import load_condition, moment, run_condition
from cxgraph.errors import CxGraphError

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


def test_a_send_to_a_record_without_a_party_has_no_consent_and_no_one_elses_facts(sample: Built) -> None:
    """send-not-consented reads the party's records from a bound node: a targeted record with no party holds
    (no record says it consented), whoever else in the store consented, and no other party's record is a fact."""
    from cxgraph.stores.embedded import EmbeddedStore

    cx = "https://w3id.org/cxgraph/ontology#"
    condition = load_condition(sample.project, "send-not-consented")
    store = EmbeddedStore()
    graph = ox.NamedNode("https://example.org/graph/test")
    n = ox.NamedNode

    def q(s: str, p: str, o: ox.NamedNode | ox.Literal) -> ox.Quad:
        return ox.Quad(n(f"https://example.org/{s}"), n(cx + p), o, graph)

    system = n("https://example.org/crm")
    store.raw.extend([
        q("authority", "concernsAttribute", n(cx + "hasMarketingConsent")),
        q("authority", "assignsAuthorityTo", system),
        q("send-1", "targetsCustomerRecord", n("https://example.org/lonely")),
        q("send-2", "targetsCustomerRecord", n("https://example.org/r2")),
        q("r2", "representsParty", n("https://example.org/p2")), q("r2", "isRecordedIn", system),
        q("r2", "hasMarketingConsent", ox.Literal(True)),
        q("r3", "representsParty", n("https://example.org/p3")), q("r3", "isRecordedIn", system),
        q("r3", "hasMarketingConsent", ox.Literal(False)),
    ])
    found = run_condition(store, condition, {})
    assert set(found) == {"https://example.org/send-1"}  # send-2's party consented
    assert [tuple(str(t) for t in fact) for fact in found["https://example.org/send-1"]] == [
        ("<https://example.org/send-1>", f"<{cx}targetsCustomerRecord>", "<https://example.org/lonely>")]


def test_a_condition_file_is_parsed_once_and_again_when_it_changes(sample: Built, tmp_path) -> None:
    """Policy evaluation reads a dozen condition files each time: their headers are parsed once per content
    (the same object comes back), and an edit, even one that keeps the file's size, is read at once."""
    import dataclasses

    project = dataclasses.replace(sample.project, root=tmp_path)
    project.conditions_dir.mkdir(parents=True)
    path = project.conditions_dir / "order-itself.rq"
    text = (sample.project.conditions_dir / "order-itself.rq").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = load_condition(project, "order-itself")
    assert load_condition(project, "order-itself") is first
    title = first.text.split("#+ title:", 1)[1].splitlines()[0].strip()
    edited = text.replace(f"#+ title: {title}", "#+ title: " + "X" * len(title), 1)
    assert edited != text and len(edited) == len(text)
    path.write_text(edited, encoding="utf-8")
    again = load_condition(project, "order-itself")
    assert again is not first and again.text == edited
    path.write_text(text.replace("#+ title:", "#+ titel:", 1), encoding="utf-8")
    with pytest.raises(CxGraphError, match="title"):
        load_condition(project, "order-itself")


def test_many_targets_are_bound_in_batches_with_the_same_answer(sample: Built) -> None:
    """A campaign's scope binds every send as a target. The store plans a VALUES block of more than 1,000 rows
    from the whole store instead (seconds per thousand sends), so the targets go in batches of VALUES_BATCH;
    the union of the batches is the one query's answer: every target in scope that holds, with its facts."""
    from cxgraph.stores.binding import VALUES_BATCH, values_batches
    from cxgraph.stores.embedded import EmbeddedStore

    cx = "https://w3id.org/cxgraph/ontology#"
    n = ox.NamedNode
    graph = n("https://example.org/graph/test")
    system = n("https://example.org/crm")
    quads = [ox.Quad(n("https://example.org/authority"), n(cx + "concernsAttribute"), n(cx + "hasMarketingConsent"),
                     graph),
             ox.Quad(n("https://example.org/authority"), n(cx + "assignsAuthorityTo"), system, graph)]
    sends = 2 * VALUES_BATCH + 201
    for i in range(sends):
        record, party = n(f"https://example.org/r{i}"), n(f"https://example.org/p{i}")
        quads += [ox.Quad(n(f"https://example.org/send-{i:05d}"), n(cx + "targetsCustomerRecord"), record, graph),
                  ox.Quad(record, n(cx + "representsParty"), party, graph),
                  ox.Quad(record, n(cx + "isRecordedIn"), system, graph),
                  ox.Quad(record, n(cx + "hasMarketingConsent"), ox.Literal(i % 3 == 0), graph)]
    store = EmbeddedStore()
    store.raw.extend(quads)
    targets = [n(f"https://example.org/send-{i:05d}") for i in range(sends) if i % 7]  # some sends out of scope
    assert len(values_batches("SELECT * WHERE { ?s ?p ?o }", "s", targets)) == 3
    # as a policy runs them: the campaign and the moment bound too (each batch's text is bound again)
    bound = {"campaign": n("https://example.org/campaign"), "asOf": moment(sample.project)}
    for name, holds in (("send-consented", lambda i: i % 3 == 0), ("send-not-consented", lambda i: i % 3 != 0)):
        condition = load_condition(sample.project, name)
        everything = run_condition(store, condition, bound)
        in_scope = run_condition(store, condition, bound, targets)
        expected = {f"https://example.org/send-{i:05d}" for i in range(sends) if i % 7 and holds(i)}
        assert set(in_scope) == expected
        assert in_scope == {t: f for t, f in everything.items() if t in expected}
        assert all(len(facts) == 2 if name == "send-consented" else len(facts) >= 1
                   for facts in in_scope.values())


def test_every_condition_answers_per_target_so_batches_add_up(sample: Built) -> None:
    """values_batches binds a policy's targets 500 at a time and adds the rows up: right only for a condition
    with no LIMIT, OFFSET or aggregate at its top level (rows about one target never depend on another)."""
    from rdflib.plugins.sparql import prepareQuery

    paths = sorted(sample.project.conditions_dir.glob("*.rq"))
    assert len(paths) > 10
    for path in paths:
        node, names = prepareQuery(path.read_text(encoding="utf-8")).algebra.p, []
        while node is not None and getattr(node, "name", None) not in (None, "ToMultiSet"):  # not into subqueries
            names.append(node.name)
            node = node.get("p")
        assert names[:1] and not {"Slice", "AggregateJoin", "Group"} & set(names), (path.name, names)
