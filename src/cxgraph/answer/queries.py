"""Named competency queries: `.rq` files with a header, parameters bound as RDF terms.

Header lines start with `#+ ` and hold YAML (as grlc's decorators do):

    #+ title: Every record of a customer across systems
    #+ question: For customer X, every record of them ...
    #+ params:
    #+   customer: {type: iri, description: A customer record or party, example: "https://..."}

Parameters are substituted as terms (pyoxigraph's SEP-0007 substitution), never spliced into text.
SEP-0007 requires a substituted variable to be projected, so each query SELECTs its parameters; they
are dropped from the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from cxgraph.errors import CxGraphError
from cxgraph.stores.embedded import GraphStore
from cxgraph.stores.query_pool import QueryError, QueryPool, Request
from cxgraph.vocab import XSD
from cxgraph.yamlio import parsed_once, read_header

SCHEMES = {"urn", "mailto", "tag", "file", "http", "https"}
PARAM_TYPES = {"iri", "string", "integer", "decimal", "date", "dateTime", "boolean"}


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    description: str = ""
    example: str | None = None
    required: bool = True


@dataclass
class NamedQuery:
    """One `.rq` file: its SPARQL text, title, question and typed parameters."""

    name: str
    path: Path
    text: str
    title: str
    question: str
    params: dict[str, Param] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)
    competency_question: int | None = None

    @property
    def examples(self) -> dict[str, str]:
        return {p.name: p.example for p in self.params.values() if p.example is not None}


def parse_query(path: Path) -> NamedQuery:
    """Read a query file and its header; a malformed header names the file and line."""
    text, header, header_size = read_header(path, "query")
    if not isinstance(header, dict) or "title" not in header:
        raise CxGraphError("query header needs at least '#+ title:'", path, 1)
    params = {}
    for name, spec in (header.get("params") or {}).items():
        spec = spec or {}
        ptype = spec.get("type", "string")
        if ptype not in PARAM_TYPES:
            raise CxGraphError(f"parameter {name!r} has unknown type {ptype!r} ({', '.join(sorted(PARAM_TYPES))})",
                               path)
        if not re.search(rf"[?$]{re.escape(name)}\b", text.split("\n", header_size)[-1]):
            raise CxGraphError(f"parameter {name!r} is declared but the query never uses ?{name}", path)
        params[name] = Param(name=name, type=ptype, description=str(spec.get("description", "")),
                             example=None if spec.get("example") is None else str(spec["example"]),
                             required=bool(spec.get("required", True)))
    prefixes = dict(re.findall(r"(?im)^\s*PREFIX\s+([\w-]*):\s*<([^>]*)>", text))
    cq = header.get("cq")
    return NamedQuery(name=path.stem, path=path, text=text, title=str(header["title"]),
                      question=str(header.get("question", "")).strip(), params=params, prefixes=prefixes,
                      competency_question=int(cq) if cq is not None else None)


def remembered_query(path: Path) -> NamedQuery:
    """parse_query, read again only when the file's content changed: a context pack asks one named query
    each time (conflicting values), and parsing its YAML header was 0.5 ms of the pack. Shared: do not
    change the result."""
    return parsed_once(path, parse_query, _PARSED)


_PARSED: dict[str, tuple[bytes, NamedQuery]] = {}


def load_catalog(folder: Path) -> tuple[dict[str, NamedQuery], list[CxGraphError]]:
    """All queries in a folder, by file name without `.rq`, in competency-question order, and the files
    skipped because their header is broken (one bad file does not take the others down)."""
    if not folder.is_dir():
        raise CxGraphError("no queries folder", folder)
    found, skipped = [], []
    for path in sorted(folder.glob("*.rq")):
        try:
            found.append(parse_query(path))
        except CxGraphError as exc:
            skipped.append(exc)
    found.sort(key=lambda q: (q.competency_question or 999, q.name))
    return {q.name: q for q in found}, skipped


def catalog(folder: Path) -> dict[str, NamedQuery]:
    """All readable queries in a folder (see load_catalog for the skipped ones)."""
    return load_catalog(folder)[0]


def to_term(param: Param, value: str, prefixes: dict[str, str] | None = None) -> ox.NamedNode | ox.Literal:
    """Turn a command-line value into the RDF term of the parameter's type, or say why not."""
    def bad(expected: str) -> CxGraphError:
        return CxGraphError(f"parameter {param.name!r} expects {expected}, got {value!r}")

    kind = param.type
    if kind == "iri":
        iri = value
        if value.startswith("<") and value.endswith(">"):
            iri = value[1:-1]
        elif ":" in value and not re.match(r"[A-Za-z][\w+.-]*://", value):
            prefix, _, local = value.partition(":")
            known = prefixes or {}
            if prefix in known:
                iri = known[prefix] + local
            elif prefix.lower() not in SCHEMES:
                raise CxGraphError(f"parameter {param.name!r}: unknown prefix {prefix!r} in {value!r} "
                                   f"(known: {', '.join(sorted(known))}); or give a full IRI")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+", iri):
            raise bad("an IRI (https://... or a prefixed name such as id:crm/contact/0030000101)")
        try:
            return ox.NamedNode(iri)
        except ValueError as exc:
            raise bad(f"a valid IRI ({exc})") from None
    if kind == "string":
        return ox.Literal(value)
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", value):
            raise bad("an integer")
        return ox.Literal(value, datatype=ox.NamedNode(XSD + "integer"))
    if kind == "decimal":
        try:
            Decimal(value)
        except InvalidOperation:
            raise bad("a decimal number") from None
        return ox.Literal(value, datatype=ox.NamedNode(XSD + "decimal"))
    if kind == "boolean":
        if value not in ("true", "false"):
            raise bad("true or false")
        return ox.Literal(value, datatype=ox.NamedNode(XSD + "boolean"))
    if kind == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            raise bad("a date YYYY-MM-DD") from None
        return ox.Literal(value, datatype=ox.NamedNode(XSD + "date"))
    if kind == "dateTime":
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise bad("a timestamp such as 2026-11-20T12:00:00Z") from None
        if parsed.tzinfo is None:
            raise bad("a timestamp with a time zone")
        return ox.Literal(value, datatype=ox.NamedNode(XSD + "dateTime"))
    raise bad(kind)  # pragma: no cover - types are checked when the header is parsed


def bind(
    query: NamedQuery, values: dict[str, str], prefixes: dict[str, str] | None = None,
) -> dict[str, ox.NamedNode | ox.Literal]:
    """Check names and types of the given parameters against the query's declaration.

    Prefixed names use the project's prefixes (`prefixes`) and those the query declares.
    """
    unknown = sorted(set(values) - set(query.params))
    if unknown:
        known = ", ".join(query.params) or "none"
        raise CxGraphError(f"query {query.name!r} has no parameter {unknown[0]!r} (parameters: {known})")
    missing = [p.name for p in query.params.values() if p.required and p.name not in values]
    if missing:
        p = query.params[missing[0]]
        hint = f" (for example --param {p.name}={p.example})" if p.example else ""
        raise CxGraphError(f"query {query.name!r} needs parameter {p.name!r} ({p.type}){hint}")
    usable = {**(prefixes or {}), **query.prefixes}
    return {name: to_term(query.params[name], value, usable) for name, value in values.items()}


@dataclass
class Answer:
    """A SELECT answer: variables and rows of RDF terms (None where unbound)."""

    variables: list[str]
    rows: list[list[Any]]


def run(
    store: GraphStore, query: NamedQuery, values: dict[str, str], prefixes: dict[str, str] | None = None,
    pool: QueryPool | None = None,
) -> Answer:
    """Run a named query with its parameters substituted as RDF terms.

    With a `pool` (an on-disk store) the query runs in a worker process stopped at the pool's time and
    memory limits; otherwise in this process (in-memory stores) or on the remote endpoint.
    """
    bindings = bind(query, values, prefixes)
    if pool is not None:
        try:
            result = pool.run(Request(query.text, dict(bindings), rows=True))
        except QueryError as exc:
            if exc.status == 400:
                raise CxGraphError(str(exc), query.path) from None
            raise CxGraphError(f"query {query.name!r}: {exc}") from None
        if result.kind != "solutions":
            raise CxGraphError("named queries must be SELECT queries", query.path)
        keep = [i for i, v in enumerate(result.variables) if v not in query.params]
        return Answer(variables=[result.variables[i] for i in keep],
                      rows=[[row[i] for i in keep] for row in result.rows])
    try:
        solutions = store.query(query.text, bindings)
    except SyntaxError as exc:
        raise CxGraphError(f"query does not parse: {exc}", query.path) from None
    except RuntimeError as exc:  # e.g. a parameter that the SELECT clause does not project
        raise CxGraphError(f"query cannot run: {exc}", query.path) from None
    if not hasattr(solutions, "variables"):  # pyoxigraph's QuerySolutions or a remote store's
        raise CxGraphError("named queries must be SELECT queries", query.path)
    # Parameters are projected only because SEP-0007 substitution requires it; they are not answers.
    variables = [v.value for v in solutions.variables if v.value not in query.params]
    rows = [[solution[v] for v in variables] for solution in solutions]
    return Answer(variables=variables, rows=rows)


ABSENT = "ASK { { ?term ?p ?o } UNION { ?s ?p ?term } }"


def absent_iris(store: GraphStore, bindings: dict[str, Any], pool: QueryPool | None = None) -> list[str]:
    """The IRI parameters that occur nowhere in the store (an empty answer is then explained, not silent)."""
    absent = []
    for term in bindings.values():
        if not isinstance(term, ox.NamedNode):
            continue
        if pool is not None:
            found = bool(pool.run(Request(ABSENT, {"term": term}, rows=True)).rows[0][0])
        else:
            found = bool(store.query(ABSENT, {"term": term}))
        if not found:
            absent.append(term.value)
    return absent


def parse_params(pairs: list[str]) -> dict[str, str]:
    """`key=value` pairs from the command line."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CxGraphError(f"--param takes key=value, got {pair!r}")
        if key.strip() in values:
            raise CxGraphError(f"--param {key.strip()} is given twice ({values[key.strip()]!r} and {value!r}); "
                               "give each parameter once")
        values[key.strip()] = value
    return values
