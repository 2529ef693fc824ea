"""`cxgraph explain DECISION`: what was decided, by whom or what, under which rules, from which records, when;
and whether its rules still hold and its action is still allowed on today's graph."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Annotated

import pyoxigraph as ox
import typer
from rich.text import Text

from cxgraph.answer.explain import Explanation, RuleCheck, explain, find_decision
from cxgraph.answer.payloads import explanation_json as as_json
from cxgraph.cli.common import (
    EndpointOpt,
    ProjectOpt,
    StoreOpt,
    as_of_moment,
    exits_on_error,
    facts_text,
    open_store,
    out,
    project_at,
    short,
)
from cxgraph.errors import CxGraphError
from cxgraph.project import Project
from cxgraph.stores.binding import bind_values


@exits_on_error
def explain_cmd(
    ctx: typer.Context,
    decision: Annotated[str, typer.Argument(help="A decision: the identifier of its record (DEC-10421) or its IRI "
                                                 "(id:decision/DEC-10421).")],
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    store: StoreOpt = None,
    project: ProjectOpt = None,
    endpoint: EndpointOpt = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Also check the rules on the graph as it was then: a moment (2026-11-18T15:35:00+01:00, a "
                        "day), or `decided` for the moment of the decision; from the builds the embedded store "
                        "keeps.")] = None,
) -> None:
    """Explain a decision: what, by whom, under which rules, from which records, when; and whether its rules
    hold, and its action is allowed with the approvals it got, on today's graph (and, with --as-of, on the
    graph as it was then)."""
    if fmt not in ("table", "json"):
        raise CxGraphError(f"unknown format {fmt!r}; use table or json")
    moment = as_of_moment(as_of) if as_of not in (None, "decided") else None  # a bad one before any work
    if as_of is not None and endpoint:
        raise CxGraphError("--as-of reads the builds the embedded store keeps; a remote store keeps no history here")
    proj = project_at(ctx, project)
    graph = open_store(ctx, store, endpoint, project=proj)
    iri = find_decision(graph, proj, decision)
    today = explain(graph, proj, iri)
    then: Explanation | None = None
    if as_of is not None:
        if as_of == "decided":
            if today.decided_at is None:
                raise CxGraphError(f"{decision} has no decision time (cx:decidedAt): give --as-of a moment")
            moment = as_of_moment(today.decided_at, f"the decision time of {decision}")
        past = open_store(ctx, store, endpoint, moment)
        if not bool(past.query(bind_values("ASK { ?d ?p ?o }", {"d": ox.NamedNode(iri)}))):
            raise CxGraphError(f"{decision} was not in the graph as of {moment.isoformat() if moment else as_of}: "
                               "the build that loaded it was published later")
        then = explain(past, proj, iri, at=moment)
    if fmt == "json":
        body = as_json(proj, today)
        if then is not None and moment is not None:
            body = {**body, "as_of": moment.isoformat(), "then": as_json(proj, then)["rules"],
                    "missing_approvals_then": then.missing_approvals}
        sys.stdout.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return
    _print(proj, today, then, moment)


def _print(proj: Project, e: Explanation, then: Explanation | None, moment: datetime | None) -> None:
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
    past = {c.rule: c for c in then.rules} if then is not None else {}
    for c in e.rules:
        out.print(f"  rule: {c.label or s(proj, c.rule)} ({s(proj, c.rule)})"
                  + "".join(f", approval by {s(proj, r)}" for r in c.requires), highlight=False)
        if c.rule in past and moment is not None:
            _check_lines(proj, past[c.rule], f"as of {moment.isoformat()}", "held", "did not hold")
        _check_lines(proj, c, "today", "holds", "no longer holds")
    if e.missing_approvals:
        out.print(Text("  missing approval: " + ", ".join(s(proj, r) for r in e.missing_approvals), style="red"))


def _check_lines(proj: Project, c: RuleCheck, when: str, holds: str, fails: str) -> None:
    """A rule's condition and its policy's verdict on one graph (today's, or the graph as it was)."""
    if c.holds is None:
        out.print(Text(f"    {when}: not machine-checkable (no condition query, or nothing to run it for)",
                       style="dim"))
        return
    facts = facts_text(proj, c.facts)
    out.print(Text.assemble(f"    {when} its condition ", (holds if c.holds else fails, "green" if c.holds else "red"),
                            f" for {short(proj, c.about)}" + (f": {facts}" if facts else "")))
    if c.verdict is not None:
        forbidding = [f.rule for f in c.verdict.firings if c.verdict.action in f.rule.forbids]
        out.print(f"    {when} the action is {c.verdict.status}"
                  + "".join(f" by {r.label or short(proj, r.iri)} ({short(proj, r.iri)})" for r in forbidding)
                  + "".join(f", approval by {short(proj, r)}" for r in c.verdict.approvals), highlight=False)


def register(app: typer.Typer) -> None:
    """Add `explain` to the cxgraph command."""
    app.command("explain")(explain_cmd)
