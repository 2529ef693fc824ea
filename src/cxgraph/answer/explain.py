"""A decision explained (competency question 12): what was decided, by whom or what, under which rules, from
which records (PROV-O), when; and whether it still holds on today's graph.

The rule a decision applied is re-checked twice when the catalog gives it a condition query: the rule's own
condition (does it still hold for the decision's order, case...? with the facts it relies on), and the policy
the rule belongs to (is the decided action still allowed, forbidden or not allowed, and which approvals does it
need: were they given?). What the decision is about is found from the decision: its case, or a record the case
or the decision points to, of the class the condition's `input` names (`order` -> cx:Order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyoxigraph as ox

from cxgraph.answer.conditions import Condition, Fact, load_condition, moment, run_condition
from cxgraph.answer.policy import Verdict, evaluate
from cxgraph.answer.policy import rules as policy_rules
from cxgraph.answer.recommend import find_resource
from cxgraph.errors import CxGraphError
from cxgraph.project import Project
from cxgraph.stores.binding import bind_values
from cxgraph.vocab import CX, sparql_prologue


@dataclass
class RuleCheck:
    """A rule the decision applied, checked against today's graph."""

    rule: str
    label: str | None
    condition: str | None  # its condition query, when the catalog gives one
    requires: list[str] = field(default_factory=list)  # roles the rule says must approve (cx:requiresApprovalBy)
    about: str | None = None  # what the condition was run for
    holds: bool | None = None  # None: not machine-checkable (no condition query, or nothing to run it for)
    facts: list[Fact] = field(default_factory=list)
    verdict: Verdict | None = None  # the policy's verdict on the decided action today


@dataclass
class Explanation:
    """Everything the graph says about one decision, and how it stands today."""

    decision: str
    identifier: str | None
    action: str | None
    outcome: str | None
    amount: str | None
    currency: str | None
    decided_at: str | None
    agents: list[tuple[str, str | None, list[str]]]  # (agent, name, its classes)
    case: str | None
    approvals: list[tuple[str, str | None, str | None, str | None, list[str]]]  # (approval, by, name, when, roles)
    records: list[tuple[str, str | None, str | None]]  # (record used, its system, its identifier)
    documented_by: list[tuple[str, str | None]]  # (decision record, its system)
    rules: list[RuleCheck]

    @property
    def missing_approvals(self) -> list[str]:
        """Roles whose approval a rule the decision applied requires, or today's policy requires for the decided
        action, that no approval of the decision was given by."""
        given = {role for approval in self.approvals for role in approval[4]}
        needed = {role for check in self.rules for role in check.requires}
        needed |= {role for check in self.rules if check.verdict for role in check.verdict.approvals}
        return sorted(needed - given)


def find_decision(store: Any, project: Project, given: str) -> str:
    """A decision by its IRI (<...>, id:...) or by the identifier of the record that documents it (DEC-10421)."""
    if given.startswith(("<", "id:", "http://", "https://", "urn:")):
        return find_resource(store, project, given, "Decision", "a decision")
    rows = list(store.query(bind_values(sparql_prologue() + "SELECT DISTINCT ?decision WHERE { ?record "
                                        "cx:documents ?decision ; cx:hasSourceIdentifier ?id . "
                                        "?decision a cx:Decision } ORDER BY ?decision", {"id": ox.Literal(given)})))
    if not rows:
        raise CxGraphError(f"no decision record has the identifier {given!r}; give the decision's IRI (id:...) or "
                           "the identifier of its record")
    if len(rows) > 1:
        raise CxGraphError(f"{len(rows)} decisions are documented as {given!r}; give its IRI (id:...)")
    return str(rows[0]["decision"].value)


def _one(store: Any, decision: ox.NamedNode, sparql: str) -> list[Any]:
    return list(store.query(bind_values(sparql_prologue() + sparql, {"decision": decision})))


def _value(term: Any) -> str | None:
    return term.value if term is not None else None


def explain(store: Any, project: Project, decision_iri: str, at: datetime | None = None) -> Explanation:
    """The decision's explanation, its rules re-checked on the graph `store` holds, at the moment `at` (an
    as-of store's moment; default the graph's moment, as_of or now)."""
    decision = ox.NamedNode(decision_iri)
    (head,) = _one(store, decision, """
        SELECT (SAMPLE(?a) AS ?action) (SAMPLE(?o) AS ?outcome) (SAMPLE(?m) AS ?amount) (SAMPLE(?c) AS ?currency)
               (SAMPLE(?t) AS ?at) (SAMPLE(?k) AS ?case) (SAMPLE(?i) AS ?id)
        WHERE { ?decision a cx:Decision .
                OPTIONAL { ?decision cx:decidesAction ?a } OPTIONAL { ?decision cx:hasOutcome ?o }
                OPTIONAL { ?decision cx:hasAmount ?m } OPTIONAL { ?decision cx:hasCurrency ?c }
                OPTIONAL { ?decision cx:decidedAt ?t } OPTIONAL { ?decision cx:concernsCase ?k }
                OPTIONAL { ?r cx:documents ?decision ; cx:hasSourceIdentifier ?i } }""")
    agents: dict[str, tuple[str, str | None, list[str]]] = {}
    for row in _one(store, decision, """
            SELECT ?agent ?name ?class WHERE { ?decision prov:wasAssociatedWith ?agent .
              OPTIONAL { ?agent rdfs:label ?name }
              OPTIONAL { ?agent a ?class FILTER (STRSTARTS(STR(?class), STR(cx:))) }
            } ORDER BY ?agent ?class"""):
        entry = agents.setdefault(row["agent"].value, (row["agent"].value, _value(row["name"]), []))
        if row["class"] is not None and row["class"].value not in entry[2]:
            entry[2].append(row["class"].value)
    approvals = [(r["approval"].value, _value(r["by"]), _value(r["name"]), _value(r["at"]),
                  sorted(r["roles"].value.split()) if r["roles"] is not None else []) for r in _one(
        store, decision, """SELECT ?approval ?by ?name ?at (GROUP_CONCAT(DISTINCT STR(?role)) AS ?roles) WHERE {
          { ?decision cx:hasApproval ?approval .
            OPTIONAL { ?approval cx:isGivenBy ?by } OPTIONAL { ?approval cx:occurredAt ?at } }
          UNION  # an action proposal approved in cxgraph (cxgraph act approve)
          { ?decision cx:isApprovedBy ?by . BIND(?decision AS ?approval) OPTIONAL { ?decision cx:wasReviewedAt ?at } }
          OPTIONAL { ?by rdfs:label ?name } OPTIONAL { ?by cx:hasRole ?role }
        } GROUP BY ?approval ?by ?name ?at ORDER BY ?approval""")]
    records = [(r["record"].value, _value(r["system"]), _value(r["id"])) for r in _one(
        store, decision, """SELECT ?record (SAMPLE(?s) AS ?system) (SAMPLE(?i) AS ?id) WHERE {
          ?decision prov:used ?record .
          OPTIONAL { ?record cx:isRecordedIn ?s } OPTIONAL { ?record cx:hasSourceIdentifier ?i }
        } GROUP BY ?record ORDER BY ?record""")]
    documented = [(r["record"].value, _value(r["system"])) for r in _one(
        store, decision, """SELECT ?record (SAMPLE(?s) AS ?system) WHERE { ?record cx:documents ?decision .
          OPTIONAL { ?record cx:isRecordedIn ?s } } GROUP BY ?record ORDER BY ?record""")]
    rules = [RuleCheck(r["rule"].value, _value(r["label"]), _value(r["query"]),
                       sorted(r["roles"].value.split()) if r["roles"] is not None else []) for r in _one(
        store, decision, """SELECT ?rule (SAMPLE(?l) AS ?label) (SAMPLE(?q) AS ?query)
                                  (GROUP_CONCAT(DISTINCT STR(?role)) AS ?roles) WHERE {
          ?decision cx:appliesRule ?rule . OPTIONAL { ?rule rdfs:label ?l } OPTIONAL { ?rule cx:hasConditionQuery ?q }
          OPTIONAL { ?rule cx:requiresApprovalBy ?role } } GROUP BY ?rule ORDER BY ?rule""")]
    action = _value(head["action"])
    cache: dict[str, Condition] = {}
    for check in rules:
        _check(store, project, decision, check, action, cache, at)
    return Explanation(decision_iri, _value(head["id"]), action, _value(head["outcome"]), _value(head["amount"]),
                       _value(head["currency"]), _value(head["at"]), list(agents.values()), _value(head["case"]),
                       approvals, records, documented, rules)


def _check(store: Any, project: Project, decision: ox.NamedNode, check: RuleCheck, action: str | None,
           cache: dict[str, Condition], at: datetime | None) -> None:
    """Run the rule's condition for what the decision is about, and its policy for the decided action."""
    found = policy_rules(store, check.rule)
    if not found:  # no condition query: not machine-checkable
        return
    policy, _label, scope, rule = found[0]
    condition = load_condition(project, rule.condition, cache)
    cls = ox.NamedNode(CX + condition.input[:1].upper() + condition.input[1:])
    rows = list(store.query(bind_values(sparql_prologue() + """
        SELECT DISTINCT ?about WHERE {
          { ?decision cx:concernsCase ?about } UNION { ?decision prov:used ?about }
          UNION { ?decision cx:concernsCase/(cx:concernsOrder|cx:concernsInvoice|cx:concernsCustomerRecord) ?about }
          ?about a ?class } ORDER BY ?about""", {"decision": decision, "class": cls})))
    if not rows:
        return
    about = rows[0]["about"]
    check.about = about.value
    held = run_condition(store, condition, {condition.input: about, "asOf": moment(project, at),
                                            "threshold": rule.threshold})
    check.holds = about.value in held
    check.facts = held.get(about.value, [])
    if action is None or scope is None or load_condition(project, scope, cache).input != condition.input:
        return
    for evaluation in evaluate(store, project, condition.input, about.value, only=policy, at=at):
        if evaluation.target == about.value:
            check.verdict = next((v for v in evaluation.verdicts if v.action == action), None)
