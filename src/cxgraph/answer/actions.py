"""Governed actions: an action proposed by a person or an AI agent on a case, an order or a customer, checked
against the policy rules kept as data before it is recorded, then approved or rejected by a person who holds
the role a rule names. Proposals live in the actions graph (`.../graph/actions`), never in a source system's
graph; approved ones are exported as tasks for the systems of record to carry out.

The check: for an order (a case's order), the policies scoped to orders give the verdict on the action, with
the rules that held and their facts; for a case, the rules of its category without a condition query allow or
forbid it as they stand. A forbidding rule rejects the proposal (named); with no allowing rule it is rejected
too (the rules that would have allowed it are named). An allowing rule with an amount threshold asks for its
approval when the proposed amount is above it (the order's amount when none is proposed); one without a
threshold asks for its approval always.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from cxgraph import vocab
from cxgraph.answer.policy import ALLOWED, FORBIDDEN, evaluate, policies_for
from cxgraph.answer.recommend import find_resource, given_iri
from cxgraph.errors import CxGraphError
from cxgraph.project import Project
from cxgraph.stores.binding import bind_values
from cxgraph.vocab import CX, PROV, RDF, RDFS, cx, sparql_prologue

NEEDS_APPROVAL, APPROVED, REJECTED = "needs approval", "approved", "rejected"
ACTIONS = "actions"
KINDS = {"case": ("Case", "a case", "concernsCase"), "order": ("Order", "an order", "concernsOrder"),
         "customer": ("CustomerRecord", "a customer record", "concernsCustomerRecord")}


@dataclass
class Check:
    """What the rules say about a proposed action."""

    status: str
    applied: list[str] = field(default_factory=list)  # the rules that allow it (held, or stand for the category)
    refused_by: list[str] = field(default_factory=list)
    awaits: list[str] = field(default_factory=list)  # roles whose approval it needs
    used: list[str] = field(default_factory=list)  # records the rules relied on
    reason: str = ""


@dataclass
class Actor:
    iri: str
    name: str
    kind: str  # "person" (an employee of the catalog) or "ai-agent"
    scope: str | None = None


def _amount(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CxGraphError(f"amount {text!r} is not a number (189.00)") from None
    if not value.is_finite() or value < 0:
        raise CxGraphError(f"amount {text!r} must be zero or more")
    return value


def _node(iri: str, given: str) -> ox.NamedNode:
    """An IRI made from what the user gave; one that is not an IRI is named, not a crash."""
    try:
        return ox.NamedNode(iri)
    except ValueError:
        raise CxGraphError(f"{given!r} cannot be part of an IRI (spaces, angle brackets...)") from None


def find_action(store: Any, project: Project, given: str) -> str:
    """An action type by its IRI or its identifier in the catalog (refund -> id:action/refund)."""
    iri = str(given_iri(project, given, "action"))
    if not bool(store.query(bind_values(f"ASK {{ ?it a <{CX}ActionType> }}", {"it": _node(iri, given)}))):
        known = sorted(str(r["it"].value).rsplit("/", 1)[-1] for r in store.query(
            f"SELECT ?it WHERE {{ ?it a <{CX}ActionType> }}"))
        raise CxGraphError(f"no action type {given!r} in the catalog; one of {', '.join(known)}")
    return iri


def find_actor(store: Any, project: Project, name: str, kind: str, scope: str | None) -> Actor:
    """A person is an employee of the catalog (EMP-1002 or its IRI); an AI agent is named by the caller and
    acts in a scope."""
    if kind == "person":
        iri = str(given_iri(project, name, "employee"))
        rows = list(store.query(bind_values(sparql_prologue() + "SELECT ?label WHERE { ?it a cx:Employee "
                                            "OPTIONAL { ?it rdfs:label ?label } }", {"it": _node(iri, name)})))
        if not rows:
            raise CxGraphError(f"no employee {name!r} in the catalog (give EMP-... or its IRI)")
        return Actor(iri, rows[0]["label"].value if rows[0]["label"] else name, "person")
    if kind != "ai-agent":
        raise CxGraphError(f"an actor is a person or an ai-agent, not {kind!r}")
    if not name or not all(c.isalnum() or c in "-_." for c in name):
        raise CxGraphError(f"an AI agent's name is letters, digits, '-', '_' or '.', not {name!r}")
    return Actor(project.id_iri(f"agent/{name}"), name, "ai-agent", scope)


def order_of(store: Any, kind: str, target: str) -> str | None:
    """The order an action on `target` concerns: the order itself, or a case's order; none for a customer."""
    if kind == "order":
        return target
    if kind == "case":
        rows = list(store.query(bind_values(sparql_prologue() + "SELECT ?o WHERE { ?case cx:concernsOrder ?o } "
                                            "ORDER BY ?o LIMIT 1", {"case": ox.NamedNode(target)})))
        return str(rows[0]["o"].value) if rows else None
    return None


def _category_rules(store: Any, case: str, action: str) -> list[dict[str, Any]]:
    """The rules without a condition query that allow or forbid the action: those of the case's category, and
    those for any case (no category: a note, a follow-up, an escalation)."""
    rows = store.query(bind_values(sparql_prologue() + """
        SELECT ?rule ?effect ?threshold ?role WHERE {
          ?case cx:hasCategory ?category .
          ?rule a cx:PolicyRule .
          OPTIONAL { ?rule cx:appliesToCategory ?ruleCategory }
          FILTER (!BOUND(?ruleCategory) || ?ruleCategory = ?category)  # its category's rules, and any case's
          FILTER NOT EXISTS { ?rule cx:hasConditionQuery ?q }
          { ?rule cx:allowsAction ?action BIND("allows" AS ?effect) }
          UNION { ?rule cx:forbidsAction ?action BIND("forbids" AS ?effect) }
          OPTIONAL { ?rule cx:hasThresholdAmount ?threshold }
          OPTIONAL { ?rule cx:requiresApprovalBy ?role }
        } ORDER BY ?rule""", {"case": ox.NamedNode(case), "action": ox.NamedNode(action)}))
    return [{"rule": r["rule"].value, "effect": r["effect"].value,
             "threshold": Decimal(r["threshold"].value) if r["threshold"] else None,
             "role": r["role"].value if r["role"] else None} for r in rows]


def _decimal(threshold: ox.Literal | None) -> Decimal | None:
    return Decimal(threshold.value) if threshold is not None else None


def _needs(role: str | None, threshold: Decimal | None, amount: Decimal | None, held: bool) -> bool:
    """Whether an allowing rule asks for its approval: always without a threshold; with one, when the proposed
    amount is above it (or, none proposed, when the rule held on the order's amount)."""
    if role is None:
        return False
    if threshold is None:
        return True
    return amount > threshold if amount is not None else held


def check(store: Any, project: Project, kind: str, target: str, action: str, amount: Decimal | None) -> Check:
    """The rules' verdict on the proposed action (see the module's docstring)."""
    result = Check(status=REJECTED)
    verdict_found = False
    order = order_of(store, kind, target)
    allowing: list[tuple[str, str | None, Decimal | None, bool]] = []  # (rule, role, threshold, held)
    # for a case, only the rules of its own category count (a billing dispute's order is no delivery delay)
    relevant = _rules_of_category(store, target) if kind == "case" else None
    if order is not None and policies_for(store, project, "order"):  # a catalog may scope no policy to orders
        for evaluation in evaluate(store, project, "order", order):
            if evaluation.target != order:
                continue
            verdict = next((v for v in evaluation.verdicts if v.action == action), None)
            if verdict is None or (relevant is not None and not relevant & (
                    {f.rule.iri for f in verdict.firings} | {r.iri for r in verdict.unmet})):
                continue
            verdict_found = True
            result.used += [str(s.value) for s, _p, _o in evaluation.scope_facts]
            for firing in verdict.firings:
                result.used += [str(s.value) for s, _p, _o in firing.facts]
                if action in firing.rule.forbids:
                    result.refused_by.append(firing.rule.iri)
                elif verdict.status == ALLOWED:
                    allowing.append((firing.rule.iri, firing.rule.approval, _decimal(firing.rule.threshold), True))
            for rule in verdict.unmet:
                if verdict.status == ALLOWED and rule.threshold is not None and rule.approval:
                    allowing.append((rule.iri, rule.approval, _decimal(rule.threshold), False))  # its amount only
                elif verdict.status != ALLOWED and verdict.status != FORBIDDEN:
                    result.refused_by.append(rule.iri)
    if kind == "case" and not result.refused_by:
        for static in _category_rules(store, target, action):
            verdict_found = True
            if static["effect"] == "forbids":
                result.refused_by.append(static["rule"])
            else:
                allowing.append((static["rule"], static["role"], static["threshold"], True))
    if any(r in result.refused_by for r in _forbidding(store, result.refused_by)):
        result.refused_by = _forbidding(store, result.refused_by)
        result.reason = "forbidden by " + _names(result.refused_by)
    elif not any(held for _r, _role, _t, held in allowing):
        result.reason = ("no rule of the catalog allows it" if not verdict_found else
                         "no rule that would allow it holds: " + _names(sorted(set(result.refused_by))))
    else:
        # a rule with a threshold concerns amounts above it: below, it does not apply
        result.applied = sorted({r for r, _role, t, held in allowing if held and (
            t is None or amount is None or amount > t)})
    if result.reason == "" and not result.applied:  # only rules for larger amounts allow it
        result.reason = "no rule allows it at this amount: " + _names(sorted({r for r, *_ in allowing}))
        result.refused_by = sorted({r for r, *_ in allowing})
    elif result.reason == "":
        result.refused_by = []
        result.awaits = sorted({role for _r, role, threshold, held in allowing
                                if role and _needs(role, threshold, amount, held)})
        result.status = NEEDS_APPROVAL if result.awaits else APPROVED
        result.reason = (f"allowed by {_names(result.applied)}; approval needed by {_names(result.awaits)}"
                         if result.awaits else f"allowed by {_names(result.applied)} without approval")
    result.refused_by = sorted(set(result.refused_by))
    result.used = sorted(set(result.used) | {target} | ({order} if order else set()))
    return result


def _rules_of_category(store: Any, case: str) -> set[str]:
    """The policy rules for the case's category."""
    return {str(r["rule"].value) for r in store.query(bind_values(
        sparql_prologue() + "SELECT ?rule WHERE { ?case cx:hasCategory ?c . ?rule cx:appliesToCategory ?c }",
        {"case": ox.NamedNode(case)}))}


def _names(rules: list[str]) -> str:
    return ", ".join(r.rsplit("/", 1)[-1] for r in rules)


def _forbidding(store: Any, candidates: list[str]) -> list[str]:
    """Of these rules, those that forbid something (the rest only failed to allow)."""
    if not candidates:
        return []
    rows = store.query(sparql_prologue() + "SELECT DISTINCT ?r WHERE { ?r cx:forbidsAction ?a VALUES ?r { "
                       + " ".join(str(ox.NamedNode(c)) for c in sorted(set(candidates))) + " } }")
    return sorted({str(r["r"].value) for r in rows})


@dataclass
class Proposal:
    iri: str
    kind: str
    target: str
    action: str
    amount: Decimal | None
    currency: str | None
    actor: Actor
    check: Check
    made: datetime
    note: str | None = None


def propose(store: Any, project: Project, kind: str, given: str, action: str, amount: str | None,
            currency: str | None, actor: Actor, note: str | None, lock: Path) -> Proposal:
    """Check the proposed action and record it, with its status, in the actions graph."""
    if kind not in KINDS:
        raise CxGraphError(f"an action is proposed on a case, an order or a customer, not {kind!r}")
    cls, what, _prop = KINDS[kind]
    target = find_resource(store, project, given, cls, what)
    action_iri = find_action(store, project, action)
    value = _amount(amount)
    if value is not None and not currency:
        raise CxGraphError("an amount needs its --currency (GBP, EUR)")
    found = check(store, project, kind, target, action_iri, value)
    made = datetime.now(UTC).replace(microsecond=0)
    iri = project.id_iri(f"proposal/{made.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}")
    proposal = Proposal(iri, kind, target, action_iri, value, currency, actor, found, made, note)
    _write(store, project, proposal_quads(project, proposal), [], lock)
    return proposal


def _stamp(moment: datetime) -> ox.Literal:
    return ox.Literal(moment.isoformat().replace("+00:00", "Z"), datatype=vocab.XSD_DATETIME)


def proposal_quads(project: Project, p: Proposal) -> list[ox.Quad]:
    graph = ox.NamedNode(project.graph_iri(ACTIONS))
    node = ox.NamedNode(p.iri)
    prov_used = ox.NamedNode(PROV + "used")
    quads = [ox.Quad(node, ox.NamedNode(RDF + "type"), cx("ActionProposal"), graph),
             ox.Quad(node, ox.NamedNode(RDF + "type"), cx("Decision"), graph),
             ox.Quad(node, cx("decidesAction"), ox.NamedNode(p.action), graph),
             ox.Quad(node, cx(KINDS[p.kind][2]), ox.NamedNode(p.target), graph),
             ox.Quad(node, cx("hasProposalStatus"), ox.Literal(p.check.status), graph),
             ox.Quad(node, cx("decidedAt"), _stamp(p.made), graph),
             ox.Quad(node, ox.NamedNode(PROV + "wasAssociatedWith"), ox.NamedNode(p.actor.iri), graph),
             ox.Quad(node, ox.NamedNode(RDFS + "label"),
                     ox.Literal(f"{p.action.rsplit('/', 1)[-1]} proposed by {p.actor.name}: {p.check.reason}"), graph)]
    if p.amount is not None:
        decimal = ox.NamedNode(vocab.XSD + "decimal")
        quads.append(ox.Quad(node, cx("hasAmount"), ox.Literal(str(p.amount), datatype=decimal), graph))
    if p.currency:
        quads.append(ox.Quad(node, cx("hasCurrency"), ox.Literal(p.currency), graph))
    if p.note:
        quads.append(ox.Quad(node, cx("hasDescription"), ox.Literal(p.note), graph))
    quads += [ox.Quad(node, cx("appliesRule"), ox.NamedNode(r), graph) for r in p.check.applied]
    quads += [ox.Quad(node, cx("isRefusedByRule"), ox.NamedNode(r), graph) for r in p.check.refused_by]
    quads += [ox.Quad(node, cx("awaitsApprovalBy"), ox.NamedNode(r), graph) for r in p.check.awaits]
    quads += [ox.Quad(node, prov_used, ox.NamedNode(r), graph) for r in p.check.used]
    if p.actor.kind == "ai-agent":
        agent = ox.NamedNode(p.actor.iri)
        quads += [ox.Quad(agent, ox.NamedNode(RDF + "type"), cx("AIAgent"), graph),
                  ox.Quad(agent, ox.NamedNode(RDFS + "label"), ox.Literal(p.actor.name), graph)]
        if p.actor.scope:
            quads.append(ox.Quad(agent, cx("actsInScope"), ox.Literal(p.actor.scope), graph))
    return quads


def _write(store: Any, project: Project, quads: list[ox.Quad], delete: list[tuple[str, str]], lock: Path) -> None:
    """Add quads to the actions graph (after deleting (subject, property) statements), published whole."""
    graph = project.graph_iri(ACTIONS)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with store.workspace(lock) as ws:
        ws.fetch([graph] if graph in ws.target_graphs else [])
        for subject, prop in delete:
            ws.store.update(f"DELETE WHERE {{ GRAPH <{graph}> {{ <{subject}> <{prop}> ?o }} }}")
        ws.store.add_quads(quads)
        ws.publish([graph])


def review(store: Any, project: Project, proposal: str, by: str, approve: bool, reason: str | None,
           lock: Path) -> str:
    """Approve (by an employee holding a role the proposal awaits) or reject (by any employee) a proposal that
    needs approval; its new status."""
    iri = str(given_iri(project, proposal, "proposal"))
    rows = list(store.query(bind_values(sparql_prologue() + """
        SELECT ?status (GROUP_CONCAT(STR(?role)) AS ?roles) WHERE {
          ?p a cx:ActionProposal ; cx:hasProposalStatus ?status . OPTIONAL { ?p cx:awaitsApprovalBy ?role }
        } GROUP BY ?status""", {"p": _node(iri, proposal)})))
    if not rows:
        raise CxGraphError(f"no action proposal {proposal!r}")
    status = rows[0]["status"].value
    if status != NEEDS_APPROVAL:
        raise CxGraphError(f"{proposal} is {status}: only a proposal that needs approval is approved or rejected")
    awaited = set(rows[0]["roles"].value.split()) if rows[0]["roles"] else set()
    reviewer = find_actor(store, project, by, "person", None)
    proposers = {str(r["a"].value) for r in store.query(bind_values(
        sparql_prologue() + "SELECT ?a WHERE { ?p prov:wasAssociatedWith ?a }", {"p": ox.NamedNode(iri)}))}
    if reviewer.iri in proposers:
        raise CxGraphError(f"{reviewer.name} ({by}) proposed it: a proposal is approved or rejected by someone else")
    held = {str(r["role"].value) for r in store.query(bind_values(
        sparql_prologue() + "SELECT ?role WHERE { ?e cx:hasRole ?role }", {"e": ox.NamedNode(reviewer.iri)}))}
    if approve and not awaited & held:
        raise CxGraphError(f"{reviewer.name} ({by}) holds {', '.join(sorted(held)) or 'no role'}; the proposal "
                           f"awaits approval by {', '.join(sorted(awaited))}")
    graph = ox.NamedNode(project.graph_iri(ACTIONS))
    node = ox.NamedNode(iri)
    new = APPROVED if approve else REJECTED
    quads = [ox.Quad(node, cx("hasProposalStatus"), ox.Literal(new), graph),
             ox.Quad(node, cx("isApprovedBy" if approve else "isRejectedBy"), ox.NamedNode(reviewer.iri), graph),
             ox.Quad(node, cx("wasReviewedAt"), _stamp(datetime.now(UTC).replace(microsecond=0)), graph)]
    if reason:
        quads.append(ox.Quad(node, cx("hasOutcome"), ox.Literal(reason), graph))
    _write(store, project, quads, [(iri, CX + "hasProposalStatus")], lock)
    return new


TASK_FIELDS = ["task", "proposal", "action", "on", "target", "identifier", "system", "amount", "currency",
               "proposed_by", "approved_by", "approved_at", "rules"]


def tasks(store: Any, project: Project) -> list[dict[str, str]]:
    """Approved proposals as tasks for the systems of record: the system that holds the records the action
    creates (the action type's record class and its system of record), else the system holding the target."""
    rows = store.query(sparql_prologue() + """
        SELECT ?p ?action ?target ?identifier ?system ?amount ?currency ?proposer ?approver ?at
               (GROUP_CONCAT(DISTINCT STR(?rule)) AS ?rules) WHERE {
          GRAPH ?actions { ?p a cx:ActionProposal ; cx:hasProposalStatus "approved" ; cx:decidesAction ?action ;
                              cx:decidedAt ?decided ; prov:wasAssociatedWith ?proposer .
                           ?p cx:concernsCase|cx:concernsOrder|cx:concernsCustomerRecord ?target .
                           OPTIONAL { ?p cx:isApprovedBy ?approver } OPTIONAL { ?p cx:wasReviewedAt ?reviewed }
                           OPTIONAL { ?p cx:hasAmount ?amount } OPTIONAL { ?p cx:hasCurrency ?currency }
                           OPTIONAL { ?p cx:appliesRule ?rule } }
          OPTIONAL { ?target cx:hasSourceIdentifier ?identifier }
          OPTIONAL { ?target cx:isRecordedIn ?held }
          OPTIONAL { ?action cx:isRecordedAs ?class .
                     ?assignment cx:concernsConcept ?class ; cx:assignsAuthorityTo ?sor }
          BIND(COALESCE(?sor, ?held) AS ?system)
          BIND(COALESCE(?reviewed, ?decided) AS ?at)
        } GROUP BY ?p ?action ?target ?identifier ?system ?amount ?currency ?proposer ?approver ?at
        ORDER BY ?at ?p""".replace("GRAPH ?actions", f"GRAPH <{project.graph_iri(ACTIONS)}>"))
    out = []
    for row in rows:
        target = str(row["target"].value)
        out.append({
            "task": "TASK-" + str(row["p"].value).rsplit("/", 1)[-1], "proposal": str(row["p"].value),
            "action": str(row["action"].value).rsplit("/", 1)[-1], "on": _kind_of(target, project),
            "target": target, "identifier": row["identifier"].value if row["identifier"] else "",
            "system": str(row["system"].value) if row["system"] else "",
            "amount": row["amount"].value if row["amount"] else "", "currency": row["currency"].value
            if row["currency"] else "", "proposed_by": str(row["proposer"].value),
            "approved_by": str(row["approver"].value) if row["approver"] else "policy",
            "approved_at": row["at"].value, "rules": " ".join(sorted(row["rules"].value.split()))
            if row["rules"] else ""})
    return out


def _kind_of(target: str, project: Project) -> str:
    local = target.removeprefix(project.id_iri(""))
    return "case" if "/case/" in local else "order" if "/order/" in local else "customer"
