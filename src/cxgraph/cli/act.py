"""`cxgraph act`: propose an action on a case, order or customer (checked against the policy rules and
recorded in the actions graph), approve or reject it, and export the approved ones as tasks."""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Annotated, Any

import typer
from rich.text import Text

from cxgraph.answer.actions import TASK_FIELDS, find_actor, propose, review, tasks
from cxgraph.answer.payloads import proposal_json
from cxgraph.cli.common import (
    EndpointOpt,
    ProjectOpt,
    StoreOpt,
    exits_on_error,
    open_store,
    out,
    project_at,
    short,
    work_folder,
)
from cxgraph.errors import CxGraphError

act = typer.Typer(help="Governed actions: propose (checked against the policy rules), approve or reject, and "
                       "export approved actions as tasks for the systems of record.", no_args_is_help=True)




@act.command("propose")
@exits_on_error
def propose_cmd(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(metavar="case|order|customer", help="What the action is on.")],
    given: Annotated[str, typer.Argument(metavar="ID", help="Its number or identifier (CS0010421, WEB-104211, "
                                                            "0030000101) or its IRI.")],
    action: Annotated[str, typer.Option("--action", help="The action type (refund, replacement, goodwill_credit, "
                                                         "exception...).")],
    actor: Annotated[str, typer.Option("--actor", help="Who proposes: an employee (EMP-1002) or an AI agent's "
                                                       "name.")],
    actor_kind: Annotated[str, typer.Option("--actor-kind", help="person or ai-agent")] = "person",
    scope: Annotated[str | None, typer.Option("--scope", help="The scope an AI agent acts in.")] = None,
    amount: Annotated[str | None, typer.Option("--amount", help="The amount (189.00), with --currency.")] = None,
    currency: Annotated[str | None, typer.Option("--currency", help="GBP, EUR...")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why, in the proposer's words.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    store: StoreOpt = None, project: ProjectOpt = None, endpoint: EndpointOpt = None,
) -> None:
    """Propose an action: allowed (recorded as approved), needing an approval (recorded, waiting for the role a
    rule names) or refused (recorded as rejected, with the rule that refused it). Exit 1 when refused."""
    proj = project_at(ctx, project)
    graph = open_store(ctx, store, endpoint, project=proj)
    who = find_actor(graph, proj, actor, actor_kind, scope)
    p = propose(graph, proj, kind, given, action, amount, currency, who, note, work_folder(store).lock)
    if fmt == "json":
        sys.stdout.write(json.dumps(proposal_json(proj, p), indent=2, ensure_ascii=False) + "\n")
    else:
        style = {"approved": "green", "needs approval": "yellow", "rejected": "red"}[p.check.status]
        out.print(Text.assemble((p.check.status, f"bold {style}"), f": {p.check.reason}"))
        out.print(f"  proposal {short(proj, p.iri)}: {short(proj, p.action)} on {short(proj, p.target)}"
                  + (f", {p.amount} {p.currency}" if p.amount is not None else "") + f", by {p.actor.name}",
                  highlight=False)
        for rule in p.check.applied:
            out.print(f"  rule applied: {short(proj, rule)}", highlight=False)
        for rule in p.check.refused_by:
            out.print(f"  refused by: {short(proj, rule)}", highlight=False)
    raise typer.Exit(1 if p.check.status == "rejected" else 0)


def _review(ctx: typer.Context, proposal: str, by: str, approve: bool, reason: str | None, store: Any,
            project: Any, endpoint: Any) -> None:
    proj = project_at(ctx, project)
    status = review(open_store(ctx, store, endpoint, project=proj), proj, proposal, by, approve, reason,
                    work_folder(store).lock)
    out.print(f"{proposal}: {status}", highlight=False)


@act.command("approve")
@exits_on_error
def approve_cmd(ctx: typer.Context,
                proposal: Annotated[str, typer.Argument(help="The proposal (its IRI or the part after proposal/).")],
                by: Annotated[str, typer.Option("--by", help="The approving employee (EMP-1001): holds a role "
                                                             "the proposal awaits.")],
                store: StoreOpt = None, project: ProjectOpt = None, endpoint: EndpointOpt = None) -> None:
    """Approve a proposal that needs approval."""
    _review(ctx, proposal, by, True, None, store, project, endpoint)


@act.command("reject")
@exits_on_error
def reject_cmd(ctx: typer.Context,
               proposal: Annotated[str, typer.Argument(help="The proposal (its IRI or the part after proposal/).")],
               by: Annotated[str, typer.Option("--by", help="The rejecting employee (EMP-1001).")],
               reason: Annotated[str | None, typer.Option("--reason", help="Why.")] = None,
               store: StoreOpt = None, project: ProjectOpt = None, endpoint: EndpointOpt = None) -> None:
    """Reject a proposal that needs approval."""
    _review(ctx, proposal, by, False, reason, store, project, endpoint)


@act.command("tasks")
@exits_on_error
def tasks_cmd(ctx: typer.Context,
              fmt: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
              store: StoreOpt = None, project: ProjectOpt = None, endpoint: EndpointOpt = None) -> None:
    """The approved actions as a task list for the systems of record (which system carries each out)."""
    if fmt not in ("json", "csv"):
        raise CxGraphError(f"unknown format {fmt!r}; use json or csv")
    proj = project_at(ctx, project)
    rows = tasks(open_store(ctx, store, endpoint, project=proj), proj)
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=TASK_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    sys.stdout.write(buffer.getvalue())
