"""The JSON every face gives for the same answer (the CLI's --format json, the HTTP API, the MCP tools), so
that they are equal by construction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from cxgraph.answer.actions import Proposal
from cxgraph.answer.explain import Explanation
from cxgraph.answer.policy import Evaluation
from cxgraph.answer.recommend import Triage
from cxgraph.answer.render import compact
from cxgraph.project import Project
from cxgraph.vocab import PREFIXES


def prefixes(project: Project) -> dict[str, str]:
    """Prefixes a user may write parameters with: the engine's and the project's data namespace (`id:`)."""
    return {**PREFIXES, "id": project.id_iri("")}


def short(project: Project, iri: str | None) -> str:
    """An IRI as the answers show it (render.compact with the project's prefixes), "-" for none."""
    return "-" if iri is None else compact(ox.NamedNode(iri), prefixes(project))


def fact_terms(project: Project, facts: Iterable[tuple[Any, Any, Any]]) -> list[list[str]]:
    """Statements a rule relied on, each as its three terms compacted."""
    return [[compact(t, prefixes(project)) for t in fact] for fact in facts]


def explanation_json(project: Project, e: Explanation) -> dict[str, object]:
    return {
        "decision": e.decision, "identifier": e.identifier, "action": e.action, "outcome": e.outcome,
        "amount": e.amount, "currency": e.currency, "decided_at": e.decided_at, "case": e.case,
        "decided_by": [{"agent": a, "name": n, "classes": c} for a, n, c in e.agents],
        "approvals": [{"approval": a, "given_by": b, "name": n, "at": t, "roles": r} for a, b, n, t, r in e.approvals],
        "used_records": [{"record": r, "system": s, "identifier": i} for r, s, i in e.records],
        "documented_by": [{"record": r, "system": s} for r, s in e.documented_by],
        "rules": [{
            "rule": c.rule, "label": c.label, "condition": c.condition, "requires_approval_by": c.requires,
            "about": c.about, "holds": c.holds,
            "facts": fact_terms(project, c.facts),
            "action": None if c.verdict is None else {
                "status": c.verdict.status, "approvals": c.verdict.approvals,
                "rules": [f.rule.iri for f in c.verdict.firings]},
        } for c in e.rules],
        "missing_approvals": e.missing_approvals,
    }


def triage_json(project: Project, items: list[Triage]) -> list[dict[str, object]]:
    return [{
        "case": item.case, "identifier": item.identifier, "team": item.team, "priority": item.priority,
        "current_team": item.current_team, "current_priority": item.current_priority,
        "rules": [{"rule": f.rule.iri, "label": f.rule.label, "team": f.rule.team, "priority": f.rule.priority,
                   "facts": fact_terms(project, f.facts)} for f in item.firings],
    } for item in items]


def evaluations_json(project: Project, evaluations: list[Evaluation], shown: dict[str, str]) -> list[dict[str, object]]:
    return [{
        "policy": e.policy.iri, "target": e.target, "name": shown.get(e.target),
        "verdicts": [{
            "action": v.action, "status": v.status, "channel": v.channel, "approvals": v.approvals,
            "rules": [{"rule": f.rule.iri, "label": f.rule.label,
                       "effect": "forbids" if v.action in f.rule.forbids else "allows",
                       "facts": fact_terms(project, f.facts)} for f in v.firings],
            "unmet": [{"rule": r.iri, "label": r.label} for r in v.unmet],
        } for v in e.verdicts],
    } for e in evaluations]


def proposal_json(project: Project, p: Proposal) -> dict[str, Any]:
    return {"proposal": p.iri, "status": p.check.status, "reason": p.check.reason, "action": p.action,
            "on": p.kind, "target": p.target, "amount": None if p.amount is None else str(p.amount),
            "currency": p.currency, "actor": {"iri": p.actor.iri, "name": p.actor.name, "kind": p.actor.kind,
                                              "scope": p.actor.scope},
            "rules_applied": p.check.applied, "refused_by": p.check.refused_by, "awaits_approval_by": p.check.awaits,
            "used": p.check.used, "made_at": p.made.isoformat().replace("+00:00", "Z")}
