"""`cxgraph recommend`: recommendations made from rules kept as data, printed with their reasons and kept in
the recommendations graph (queryable over SPARQL; made again, they replace the old ones)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated

import pyoxigraph as ox
import typer
from rich.table import Table
from rich.text import Text

from cxgraph.answer.recommend import Triage, find_case, triage, write_triage
from cxgraph.answer.render import compact
from cxgraph.cli.common import (
    EndpointOpt,
    ProjectOpt,
    StoreOpt,
    exits_on_error,
    open_store,
    out,
    prefixes,
    project_at,
    work_folder,
)
from cxgraph.errors import CxGraphError
from cxgraph.project import Project

recommend = typer.Typer(no_args_is_help=True, help="Recommendations with their reasons, from rules kept as data.")


def _short(project: Project, iri: str | None) -> str:
    """An IRI as the answers show it (render.compact), "-" for none."""
    return "-" if iri is None else compact(ox.NamedNode(iri), prefixes(project))


def as_json(project: Project, items: list[Triage]) -> list[dict[str, object]]:
    return [{
        "case": item.case, "identifier": item.identifier, "team": item.team, "priority": item.priority,
        "current_team": item.current_team, "current_priority": item.current_priority,
        "rules": [{"rule": f.rule.iri, "label": f.rule.label, "team": f.rule.team, "priority": f.rule.priority,
                   "facts": [[compact(t, prefixes(project)) for t in fact] for fact in f.facts]} for f in item.firings],
    } for item in items]


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
    graph = open_store(ctx, store, endpoint)
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
                f"{f.rule.label} ({_short(proj, f.rule.iri)}): "
                + "; ".join(" ".join(compact(t, prefixes(proj)) for t in fact) for fact in f.facts)
                for f in item.firings))
        table.add_row(item.identifier or _short(proj, item.case), _short(proj, item.team), item.priority or "-",
                      f"{_short(proj, item.current_team)} {item.current_priority or ''}".strip(), why)
    out.print(table)
