"""`cxgraph context customer|case|order ID`: one JSON-LD context pack, sourced fact by fact, cut to a scope."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from cxgraph.answer.context import build_pack, parse_limits
from cxgraph.cli.common import (
    AsOfOpt,
    EndpointOpt,
    ProjectOpt,
    StoreOpt,
    as_of_moment,
    exits_on_error,
    open_store,
    project_at,
)

context = typer.Typer(help="Context packs for assistants and agents: everything about one customer, case or order "
                           "as JSON-LD, each fact with its source graph, cut to a role scope (context/scopes.yaml).",
                      no_args_is_help=True)

ScopeOpt = Annotated[str | None, typer.Option(
    "--scope", envvar="CXGRAPH_SCOPE",
    help="The caller's role scope (context/scopes.yaml; default: its `default`); an unknown scope is refused.")]
LimitOpt = Annotated[list[str] | None, typer.Option(
    "--limit", help="SECTION=N: keep the N most recent items of a section (repeatable).")]


def _pack(ctx: typer.Context, kind: str, given: str, scope: str | None, limit: list[str] | None, brief: bool,
          store: StoreOpt, project: ProjectOpt, endpoint: EndpointOpt, as_of: str | None) -> None:
    moment = as_of_moment(as_of)
    limits = parse_limits(limit)
    proj = project_at(ctx, project)
    graph = open_store(ctx, store, endpoint, moment, proj)
    pack = build_pack(graph, proj, kind, given, scope, limits, brief, as_of)
    sys.stdout.write(json.dumps(pack, indent=1, ensure_ascii=False) + "\n")


@context.command("customer")
@exits_on_error
def customer_cmd(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="A customer record (its identifier, 0030000101, or IRI) or a "
                                                 "party (id:party/...): the pack is about the resolved party.")],
    scope: ScopeOpt = None, limit: LimitOpt = None, store: StoreOpt = None, project: ProjectOpt = None,
    endpoint: EndpointOpt = None, as_of: AsOfOpt = None,
) -> None:
    """A customer's context: records, systems and systems of record, cases, orders, interactions, billing,
    signals, offers and recommendations."""
    _pack(ctx, "customer", customer, scope, limit, False, store, project, endpoint, as_of)


@context.command("case")
@exits_on_error
def case_cmd(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="A case: its number (CS0010421) or IRI.")],
    scope: ScopeOpt = None, limit: LimitOpt = None,
    brief: Annotated[bool, typer.Option("--brief", help="Add the knowledge articles for the case's category and "
                                                        "workflow.")] = False,
    store: StoreOpt = None, project: ProjectOpt = None, endpoint: EndpointOpt = None, as_of: AsOfOpt = None,
) -> None:
    """A case's context: the case, its workflows and decisions, the rules that govern it, its order, and its
    customer's context."""
    _pack(ctx, "case", case, scope, limit, brief, store, project, endpoint, as_of)


@context.command("order")
@exits_on_error
def order_cmd(
    ctx: typer.Context,
    order: Annotated[str, typer.Argument(help="An order: its number (WEB-104211) or IRI.")],
    scope: ScopeOpt = None, limit: LimitOpt = None, store: StoreOpt = None, project: ProjectOpt = None,
    endpoint: EndpointOpt = None, as_of: AsOfOpt = None,
) -> None:
    """An order's context: lines, fulfilments, shipments and their events, stock, refunds, invoices, cases, and
    its customer's context."""
    _pack(ctx, "order", order, scope, limit, False, store, project, endpoint, as_of)
