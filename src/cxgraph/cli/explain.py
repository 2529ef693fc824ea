"""`cxgraph explain DECISION`: what was decided, by whom or what, under which rules, from which records, when;
and whether its rules still hold and its action is still allowed on today's graph."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.text import Text

from cxgraph.answer.explain import Explanation, explain, find_decision
from cxgraph.cli.common import (
    EndpointOpt,
    ProjectOpt,
    StoreOpt,
    exits_on_error,
    fact_terms,
    facts_text,
    open_store,
    out,
    project_at,
    short,
)
from cxgraph.errors import CxGraphError
from cxgraph.project import Project


def as_json(project: Project, e: Explanation) -> dict[str, object]:
    return {
        "decision": e.decision, "identifier": e.identifier, "action": e.action, "outcome": e.outcome,
        "amount": e.amount, "currency": e.currency, "decided_at": e.decided_at, "case": e.case,
        "decided_by": [{"agent": a, "name": n, "classes": c} for a, n, c in e.agents],
        "approvals": [{"approval": a, "given_by": b, "name": n, "at": t, "roles": r} for a, b, n, t, r in e.approvals],
        "used_records": [{"record": r, "system": s, "identifier": i} for r, s, i in e.records],
        "documented_by": [{"record": r, "system": s} for r, s in e.documented_by],
        "rules": [{
            "rule": c.rule, "label": c.label, "condition": c.condition, "requires_approval_by": c.requires,
            "about": c.about, "holds_today": c.holds,
            "facts": fact_terms(project, c.facts),
            "action_today": None if c.verdict is None else {
                "status": c.verdict.status, "approvals": c.verdict.approvals,
                "rules": [f.rule.iri for f in c.verdict.firings]},
        } for c in e.rules],
        "missing_approvals": e.missing_approvals,
    }


@exits_on_error
def explain_cmd(
    ctx: typer.Context,
    decision: Annotated[str, typer.Argument(help="A decision: the identifier of its record (DEC-10421) or its IRI "
                                                 "(id:decision/DEC-10421).")],
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    store: StoreOpt = None,
    project: ProjectOpt = None,
    endpoint: EndpointOpt = None,
) -> None:
    """Explain a decision: what, by whom, under which rules, from which records, when; and whether its rules
    still hold, and its action is still allowed with the approvals it got, on today's graph."""
    if fmt not in ("table", "json"):
        raise CxGraphError(f"unknown format {fmt!r}; use table or json")
    proj = project_at(ctx, project)
    graph = open_store(ctx, store, endpoint)
    e = explain(graph, proj, find_decision(graph, proj, decision))
    if fmt == "json":
        sys.stdout.write(json.dumps(as_json(proj, e), indent=2, ensure_ascii=False) + "\n")
        return
    s = short
    out.print(Text(f"Decision {e.identifier or s(proj, e.decision)} ({s(proj, e.decision)})", style="bold"))
    out.print(f"  what: {s(proj, e.action)}" + (f" {e.amount} {e.currency or ''}".rstrip() if e.amount else "")
              + (f" on {s(proj, e.case)}" if e.case else ""), highlight=False)
    if e.outcome:
        out.print(f"  outcome: {e.outcome}", highlight=False)
    out.print(f"  when: {e.decided_at or '-'}", highlight=False)
    for agent, name, classes in e.agents:
        kinds = ", ".join(s(proj, c) for c in classes) or "agent"
        out.print(f"  by: {name or s(proj, agent)} ({s(proj, agent)}, {kinds})", highlight=False)
    for approval, by, name, at, roles in e.approvals:
        out.print(f"  approval: {s(proj, approval)} by {name or s(proj, by)} "
                  f"({', '.join(s(proj, r) for r in roles) or 'no role'}) at {at or '-'}", highlight=False)
    for record, system, ident in e.records:
        out.print(f"  used: {s(proj, record)} ({ident or '-'} in {s(proj, system)})", highlight=False)
    for record, system in e.documented_by:
        out.print(f"  documented by: {s(proj, record)} in {s(proj, system)}", highlight=False)
    if not e.rules:
        out.print(Text("  rule: none recorded", style="yellow"))
    for c in e.rules:
        out.print(f"  rule: {c.label or s(proj, c.rule)} ({s(proj, c.rule)})"
                  + "".join(f", approval by {s(proj, r)}" for r in c.requires), highlight=False)
        if c.holds is None:
            out.print(Text("    today: not machine-checkable (no condition query, or nothing to run it for)",
                           style="dim"))
            continue
        facts = facts_text(proj, c.facts)
        out.print(Text.assemble("    today its condition ", ("holds" if c.holds else "no longer holds",
                                                            "green" if c.holds else "red"),
                                f" for {s(proj, c.about)}" + (f": {facts}" if facts else "")))
        if c.verdict is not None:
            out.print(f"    today the action is {c.verdict.status}"
                      + "".join(f", approval by {s(proj, r)}" for r in c.verdict.approvals), highlight=False)
    if e.missing_approvals:
        out.print(Text("  missing approval: " + ", ".join(s(proj, r) for r in e.missing_approvals), style="red"))


def register(app: typer.Typer) -> None:
    """Add `explain` to the cxgraph command."""
    app.command("explain")(explain_cmd)
