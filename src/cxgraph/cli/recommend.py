"""`cxgraph recommend`: recommendations made from rules kept as data, printed with their reasons and kept in
the recommendations graph (queryable over SPARQL; made again, they replace the old ones)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cxgraph.answer.payloads import evaluations_json
from cxgraph.answer.payloads import triage_json as as_json
from cxgraph.answer.policy import ALLOWED, FORBIDDEN, evaluate
from cxgraph.answer.recommend import (
    find_case,
    find_resource,
    names,
    triage,
    write_evaluations,
    write_triage,
)
from cxgraph.cli.common import (
    EndpointOpt,
    ProjectOpt,
    StoreOpt,
    exits_on_error,
    facts_text,
    open_store,
    out,
    project_at,
    short,
    work_folder,
)
from cxgraph.errors import CxGraphError

recommend = typer.Typer(no_args_is_help=True, help="Recommendations with their reasons, from rules kept as data.")




@recommend.command("triage")
@exits_on_error
def triage_cmd(
    ctx: typer.Context,
    case: Annotated[str | None, typer.Argument(help="A case: its number in case management (CS0010421) or its IRI "
                                                    "(id:case-management/case/CS0010421); default: every open case.")]
    = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    store: StoreOpt = None,
    project: ProjectOpt = None,
    endpoint: EndpointOpt = None,
    keep: Annotated[bool, typer.Option("--keep/--no-keep", help="Write the recommendations to the "
                                                                "recommendations graph (default) or only show them.")]
    = True,
) -> None:
    """Which team and priority for a case, and why: every triage rule that fired, with the facts it used."""
    if fmt not in ("table", "json"):
        raise CxGraphError(f"unknown format {fmt!r}; use table or json")
    proj = project_at(ctx, project)
    graph = open_store(ctx, store, endpoint, project=proj)
    target = find_case(graph, proj, case) if case is not None else None
    items = triage(graph, proj, target)
    if keep:
        write_triage(graph, proj, items, work_folder(store).lock, datetime.now(UTC), every_case=target is None)
    if fmt == "json":
        sys.stdout.write(json.dumps(as_json(proj, items), indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title="Triage", title_justify="left", show_lines=True)
    for column in ("case", "team", "priority", "now", "why (rules that fired and the facts they used)"):
        table.add_column(column, overflow="fold")
    for item in items:
        if not item.firings:
            why = Text("no triage rule applies", style="dim")
        else:
            why = Text("\n".join(
                f"{f.rule.label} ({short(proj, f.rule.iri)}): "
                + facts_text(proj, f.facts)
                for f in item.firings))
        table.add_row(item.identifier or short(proj, item.case), short(proj, item.team), item.priority or "-",
                      f"{short(proj, item.current_team)} {item.current_priority or ''}".strip(), why)
    out.print(table)


KeepOpt = Annotated[bool, typer.Option("--keep/--no-keep", help="Write the recommendations to the recommendations "
                                                                "graph (default) or only show them.")]
FormatOpt = Annotated[str, typer.Option("--format", help="table or json")]




def _run_policies(ctx: typer.Context, kind: str, given_kind: str, cls: str, what: str, given: str, fmt: str,
                  store: Path | None, project: Path | None, endpoint: str | None, keep: bool, title: str) -> None:
    """Evaluate the policies scoped to what was given, keep the verdicts as recommendations, and show them."""
    if fmt not in ("table", "json"):
        raise CxGraphError(f"unknown format {fmt!r}; use table or json")
    proj = project_at(ctx, project)
    graph = open_store(ctx, store, endpoint, project=proj)
    target = find_resource(graph, proj, given, cls, what)
    evaluations = evaluate(graph, proj, given_kind, target)
    shown = names(graph, sorted({target} | {e.target for e in evaluations}
                                | {v.action for e in evaluations for v in e.verdicts}))
    if keep:
        write_evaluations(graph, proj, kind, target, evaluations, work_folder(store).lock, datetime.now(UTC), shown)
    if fmt == "json":
        sys.stdout.write(json.dumps(evaluations_json(proj, evaluations, shown), indent=2, ensure_ascii=False) + "\n")
        return
    if not evaluations:
        out.print(f"Nothing is in the scope of a policy for {shown.get(target, short(proj, target))}.")
        return
    out.print(Text(f"{title} for {shown.get(target, short(proj, target))}", style="bold"))
    for e in evaluations:
        out.print()
        out.print(Text.assemble((shown.get(e.target, short(proj, e.target)), "bold"),
                                f" ({short(proj, e.target)}, {short(proj, e.policy.iri)})"))
        out.print(Text("  in scope: " + facts_text(proj, e.scope_facts), style="dim"))
        for v in e.verdicts:
            style = "green" if v.status == ALLOWED else "red" if v.status == FORBIDDEN else "yellow"
            how = (f" on {shown.get(v.channel, short(proj, v.channel))}" if v.channel else "") + "".join(
                f", approval by {shown.get(role, short(proj, role))}" for role in v.approvals)
            out.print(Text.assemble(f"  {shown.get(v.action, short(proj, v.action))}: ", (v.status, style), how))
            deciding = [f for f in v.firings if v.status != FORBIDDEN or v.action in f.rule.forbids]
            for f in deciding:
                effect = "forbids" if v.action in f.rule.forbids else "allows"
                out.print(f"    {effect}: {f.rule.label} ({short(proj, f.rule.iri)})"
                          + (f": {facts_text(proj, f.facts)}" if f.facts else ""), highlight=False)
            for r in v.unmet:
                out.print(Text(f"    does not hold: {r.label} ({short(proj, r.iri)})", style="dim"))



def _verb(name: str, kind: str, cls: str, what: str, example: str, title: str, doc: str) -> None:
    """Register `cxgraph recommend <name> THING`, evaluating the policies scoped to a `kind` (cx:<cls>)."""

    @exits_on_error
    def command(
        ctx: typer.Context,
        given: str,
        fmt: FormatOpt = "table",
        store: StoreOpt = None,
        project: ProjectOpt = None,
        endpoint: EndpointOpt = None,
        keep: KeepOpt = True,
    ) -> None:
        _run_policies(ctx, name, kind, cls, what, given, fmt, store, project, endpoint, keep, title)

    command.__doc__ = doc
    # an object, not a string: the module's annotations are postponed, and this one names the verb's kind
    command.__annotations__["given"] = Annotated[str, typer.Argument(
        metavar=kind.upper(), help=f"{what.capitalize()}: its identifier ({example}) or its IRI.")]
    recommend.command(name)(command)


_verb("recover", "order", "Order", "an order", "WEB-104211", "Recovery options",
      """Service recovery for an order: each option (refund, replacement, credit...) the policy allows, forbids or
    does not allow given inventory reality, the approvals it needs, and the rules and facts behind it.""")
_verb("suppress", "campaign", "Campaign", "a campaign", "CMP-101", "Offer sends",
      """Personalization guard for a campaign: each send the policy allows, and each it does not (no consent, an
    open severe case, a late delivery, a recent failed payment), with the failure that suppresses it.""")
_verb("outreach", "signal", "Signal", "a signal", "SIG-0001", "Outreach",
      """Proactive intervention for a signal: every customer it affects (with the path), whether to reach out and on
    which channel the customer can be reached (consent respected), or why not (already in touch).""")
