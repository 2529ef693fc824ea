"""`cxgraph queries` and `cxgraph query`: the named competency questions, their parameters bound as RDF terms."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cxgraph.answer.queries import NamedQuery, absent_iris, bind, load_catalog, parse_params, run
from cxgraph.answer.render import FORMATS, to_csv, to_json, to_table
from cxgraph.cli.common import (
    AsOfOpt,
    EndpointOpt,
    ProjectOpt,
    StoreOpt,
    as_of_moment,
    err,
    exits_on_error,
    open_store,
    out,
    prefixes,
    project_at,
    query_timeout,
    store_path,
    warn,
)
from cxgraph.errors import CxGraphError
from cxgraph.project import Project
from cxgraph.stores.embedded import EmbeddedStore
from cxgraph.stores.query_pool import QueryPool


def named_queries(project: Project) -> dict[str, NamedQuery]:
    """The named queries; a file whose header cannot be read is skipped with a warning naming it."""
    found, skipped = load_catalog(project.queries_dir)
    for problem in skipped:
        warn(err, f"skipped {problem}")
    return found


@exits_on_error
def list_queries(ctx: typer.Context, project: ProjectOpt = None) -> None:
    """List the named competency queries and their parameters."""
    found = named_queries(project_at(ctx, project))
    table = Table(title="Queries", title_justify="left", show_lines=True)
    for column in ("name", "title", "parameters"):
        table.add_column(column, overflow="fold")
    for q in found.values():
        params = "\n".join(f"{p.name} ({p.type}{'' if p.required else ', optional'}), e.g. {p.example}"
                           for p in q.params.values())
        table.add_row(Text(q.name), Text.assemble(q.title, "\n", (q.question, "dim")), Text(params or "-"))
    out.print(table)


@exits_on_error
def query(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Query name (see `cxgraph queries`).")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="key=value (repeatable).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json (SPARQL results JSON) or csv")] = "table",
    store: StoreOpt = None,
    project: ProjectOpt = None,
    endpoint: EndpointOpt = None,
    as_of: AsOfOpt = None,
    timeout: Annotated[float | None, typer.Option(
        "--timeout", help="Time limit in seconds (default $CXGRAPH_QUERY_TIMEOUT or 60); the query is stopped then.")]
    = None,
) -> None:
    """Run one named query with its parameters bound as RDF terms, stopped at its time limit."""
    if fmt not in FORMATS:
        raise CxGraphError(f"unknown format {fmt!r}; use {', '.join(FORMATS)}")
    proj = project_at(ctx, project)
    found = named_queries(proj)
    if name not in found:
        raise CxGraphError(f"no query named {name!r}; known: {', '.join(found)}")
    values = parse_params(param or [])
    named = found[name]
    bound = bind(named, values, prefixes(proj))  # check parameters before opening the store
    moment = as_of_moment(as_of)
    graph = open_store(ctx, store, endpoint, moment, proj)
    if isinstance(graph, EmbeddedStore):
        if not graph.exists():
            raise CxGraphError("no store here yet; run `cxgraph build` first", graph.path)
        with QueryPool(store_path(store), size=1, timeout=query_timeout(timeout), as_of=moment) as pool:
            answer = run(graph, named, values, prefixes(proj), pool=pool)
            absent = absent_iris(graph, bound, pool) if not answer.rows else []
    else:
        answer = run(graph, named, values, prefixes(proj))
        absent = absent_iris(graph, bound) if not answer.rows else []
    for iri in absent:
        warn(err, f"<{iri}> occurs nowhere in the store: is the identifier or the prefix right? (id: is "
                  f"<{proj.id_iri('')}>)")
    if fmt == "json":
        sys.stdout.write(to_json(answer) + "\n")
    elif fmt == "csv":
        sys.stdout.write(to_csv(answer))
    else:
        out.print(to_table(answer, {**prefixes(proj), **named.prefixes}, title=named.title))


def register(app: typer.Typer) -> None:
    """Add `queries` and `query` to the cxgraph command."""
    app.command("queries")(list_queries)
    app.command("query")(query)
