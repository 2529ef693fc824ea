"""`cxgraph sparql`: ad-hoc SPARQL on the store, with the project's prefixes and bound parameters.

The query comes as an argument, from `--file`, or from standard input (`-`). The project's prefixes
(`id:` from the registry, `cx:`, `rdf:`, `rdfs:`, `xsd:`, `prov:`) are declared before it; its own
PREFIX lines win. Parameters are bound as RDF terms (`--param name=value`), as for named queries; the
query runs bounded, in a worker process, like every query on the embedded store.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import pyoxigraph as ox
import typer

from cxgraph.answer.queries import Answer, parse_params
from cxgraph.answer.render import FORMATS, to_csv, to_json, to_table
from cxgraph.cli.common import (
    AsOfOpt,
    EndpointOpt,
    ProjectOpt,
    StoreOpt,
    as_of_moment,
    exits_on_error,
    open_store,
    out,
    prefixes,
    project_at,
    query_timeout,
    store_path,
)
from cxgraph.errors import CxGraphError
from cxgraph.stores.binding import bind_values
from cxgraph.stores.query_pool import QueryError, QueryPool, Request
from cxgraph.vocab import sparql_prologue

_TYPED = re.compile(r'"(?P<text>.*)"\^\^(?P<datatype>\S+)', re.S)


def parameter_term(name: str, value: str, prefixes: dict[str, str]) -> ox.NamedNode | ox.Literal:
    """A command-line value as an RDF term: <iri>, prefix:local (a known prefix), "text"^^datatype, or text."""
    try:
        if value.startswith("<") and value.endswith(">"):
            return ox.NamedNode(value[1:-1])
        head, colon, local = value.partition(":")
        if colon and head in prefixes and not local.startswith("//"):
            return ox.NamedNode(prefixes[head] + local)
        if re.match(r"https?://", value):
            return ox.NamedNode(value)
        typed = _TYPED.fullmatch(value)
        if typed:
            datatype = parameter_term(name, typed.group("datatype"), prefixes)
            if isinstance(datatype, ox.NamedNode):
                return ox.Literal(typed.group("text"), datatype=datatype)
    except ValueError as exc:
        raise CxGraphError(f"--param {name}: {value!r} is not a valid IRI ({exc})") from None
    return ox.Literal(value)


@exits_on_error
def sparql(
    ctx: typer.Context,
    query: Annotated[str | None, typer.Argument(help="The query text, or - to read it from standard input.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the query from this file.")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="name=value, bound to ?name "
                                                    "(repeatable): <iri>, prefix:name, \"v\"^^xsd:type or text.")]
    = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv (SELECT); CONSTRUCT writes Turtle")]
    = "table",
    timeout: Annotated[float | None, typer.Option("--timeout", help="Time limit in seconds (default "
                                                  "$CXGRAPH_QUERY_TIMEOUT or 60).")] = None,
    store: StoreOpt = None,
    project: ProjectOpt = None,
    endpoint: EndpointOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Run ad-hoc SPARQL with the project's prefixes; parameters are bound as RDF terms."""
    from cxgraph.stores.embedded import EmbeddedStore

    if fmt not in FORMATS:
        raise CxGraphError(f"unknown format {fmt!r}; use {', '.join(FORMATS)}")
    if (query is None) == (file is None):
        raise CxGraphError("give the query as an argument, with --file, or as - for standard input")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise CxGraphError(f"cannot read the query ({exc.strerror})", file) from None
    else:
        text = sys.stdin.read() if query == "-" else str(query)
    proj = project_at(ctx, project)
    known = prefixes(proj)
    bindings = {name: parameter_term(name, value, known) for name, value in parse_params(param or []).items()}
    # parameters travel as a VALUES block of terms written by pyoxigraph's serializer (an ad-hoc query
    # need not project them, which SEP-0007 substitution would require)
    bound = bind_values(text, bindings) if bindings else text
    moment = as_of_moment(as_of)
    graph = open_store(ctx, store, endpoint, moment, proj)
    if isinstance(graph, EmbeddedStore):
        if not graph.exists():
            raise CxGraphError("no store here yet; run `cxgraph build` first", graph.path)
        with QueryPool(store_path(store), size=1, timeout=query_timeout(timeout), as_of=moment) as pool:
            try:
                answer = pool.run(Request(bound, rows=True, graph_format="text/turtle", prefixes=known))
            except QueryError as exc:
                raise CxGraphError(str(exc)) from None
        if answer.kind == "graph":
            sys.stdout.write(answer.body.decode("utf-8"))
            return
        if answer.kind == "boolean":
            out.print("true" if answer.rows[0][0] else "false")
            return
        result = Answer(variables=answer.variables, rows=answer.rows)
    else:
        try:
            solutions = graph.query(sparql_prologue(known) + bound)
        except SyntaxError as exc:
            raise CxGraphError(f"the query cannot run: {exc}") from None
        if isinstance(solutions, bool):
            out.print("true" if solutions else "false")
            return
        variables = [v.value for v in solutions.variables]
        result = Answer(variables=variables, rows=[[row[v] for v in variables] for row in solutions])
    if fmt == "json":
        sys.stdout.write(to_json(result) + "\n")
    elif fmt == "csv":
        sys.stdout.write(to_csv(result))
    else:
        out.print(to_table(result, known))


def register(app: typer.Typer) -> None:
    """Add `sparql` to the cxgraph command."""
    app.command("sparql")(sparql)
