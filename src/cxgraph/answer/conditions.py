"""Condition queries: the machine-readable conditions of rules kept as data (`rules/conditions/<name>.rq`).

A condition is a SPARQL SELECT with a `#+` header naming its `input` (the variable bound to what the engine
is asked about: a case, an order, a campaign, a signal) and its `target` (the variable naming what each row
is about: the case itself, a send of the campaign, a customer the signal affects). Each row is one reason
the condition holds for its target; the statements it relied on ("facts") are either the header's `facts:`
triple patterns filled from the row, or, without that header, the row's `?record ?property ?value`.

The engine binds the input, the rule's threshold (`?threshold`), the graph's moment (`?asOf`) and, within
a policy's scope, the targets, as RDF terms; nothing is pasted into the query text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from cxgraph import vocab
from cxgraph.errors import CxGraphError
from cxgraph.project import Project
from cxgraph.stores.binding import values_batches
from cxgraph.vocab import PREFIXES
from cxgraph.yamlio import parsed_once, read_header

Fact = tuple[Any, Any, Any]  # (resource, property, value) as RDF terms
Pattern = tuple[str | ox.NamedNode | ox.Literal, ...]  # "?name" for a variable, else a term


@dataclass(frozen=True)
class Condition:
    """One condition query, read and checked."""

    name: str
    path: Path
    text: str
    input: str
    target: str
    facts: tuple[Pattern, ...] = ()


def _term(token: str, path: Path) -> str | ox.NamedNode | ox.Literal:
    """A token of a `facts:` pattern: ?var, a, prefix:name, <iri>, true or false."""
    if token.startswith("?") and token[1:].isidentifier():
        return token
    if token == "a":
        return vocab.RDF_TYPE
    if token in ("true", "false"):
        return ox.Literal(token == "true")
    if token.startswith("<") and token.endswith(">"):
        return ox.NamedNode(token[1:-1])
    prefix, sep, local = token.partition(":")
    if sep and prefix in PREFIXES:
        return ox.NamedNode(PREFIXES[prefix] + local)
    raise CxGraphError(f"a `facts:` pattern has the term {token!r}; use ?variable, a, true, false, <iri> or one of "
                       f"the prefixes {', '.join(sorted(PREFIXES))}", path)


def load_condition(project: Project, name: str, cache: dict[str, Condition] | None = None) -> Condition:
    """A condition query from the project's conditions folder, its header checked."""
    if cache is not None and name in cache:
        return cache[name]
    path = project.conditions_dir / f"{name}.rq"
    if not path.is_file():
        raise CxGraphError(f"a rule or policy names the condition query {name!r}, but there is no {path.name} in "
                           f"{project.conditions_dir}")
    condition = parsed_once(path, lambda p: _read_condition(name, p), _READ)
    if cache is not None:
        cache[name] = condition
    return condition


# The last reading of each condition file, with the content it was read from (yamlio.parsed_once): a policy
# evaluation reads a dozen, and parsing their YAML headers again each time cost half of it (17 of 33 ms for
# one order).
_READ: dict[str, tuple[bytes, Condition]] = {}


def _read_condition(name: str, path: Path) -> Condition:
    """A condition query read from its file, its header checked."""
    text, header, _lines = read_header(path, "condition")
    if not isinstance(header, dict) or "title" not in header:
        raise CxGraphError("a condition query needs a `#+ title:` header", path)
    target = header.get("target")
    if not isinstance(target, str) or not target.isidentifier():
        raise CxGraphError("a condition query needs a `#+ target:` header naming the variable each row is about",
                           path)
    given = header.get("input", target)
    if not isinstance(given, str) or not given.isidentifier():
        raise CxGraphError("`#+ input:` names the variable bound to what the engine is asked about", path)
    patterns = header.get("facts", [])
    if not isinstance(patterns, list) or not all(isinstance(p, str) and len(p.split()) == 3 for p in patterns):
        raise CxGraphError("`#+ facts:` is a list of triple patterns, each '?subject prefix:property ?object'", path)
    facts = tuple(tuple(_term(token, path) for token in p.split()) for p in patterns)
    return Condition(name, path, text, given, target, facts)


def moment(project: Project, at: datetime | None = None) -> ox.Literal:
    """The moment the graph describes: `at` (an --as-of answer), else the start (UTC) of the registry's `as_of`
    day, else now."""
    when = (at if at is not None else datetime.combine(project.as_of, time(), UTC) if project.as_of
            else datetime.now(UTC)).replace(microsecond=0)
    return ox.Literal(when.isoformat().replace("+00:00", "Z"), datatype=vocab.XSD_DATETIME)


def run_condition(store: Any, condition: Condition, bindings: Mapping[str, Any],
                  targets: Iterable[Any] | None = None) -> dict[str, list[Fact]]:
    """Where the condition holds: target IRI -> the facts it relied on (sorted, without repeats).

    `bindings` are single terms (input, threshold, moment); `targets`, when given, limits the rows to those
    targets (a policy's scope)."""
    texts = [condition.text] if targets is None else values_batches(condition.text, condition.target, list(targets))
    given = {k: v for k, v in bindings.items() if v is not None}
    found: dict[str, list[Fact]] = {}
    for row in (row for text in texts for row in _rows(store, condition, text, given)):
        target = row[condition.target]
        if target is None:
            continue
        facts = found.setdefault(target.value, [])
        for fact in _facts(condition, row):
            if fact not in facts:
                facts.append(fact)
    return {target: sorted(facts, key=lambda f: tuple(str(t) for t in f)) for target, facts in found.items()}


def _rows(store: Any, condition: Condition, text: str, bindings: Mapping[str, Any]) -> Any:
    try:
        return store.query(text, bindings)
    except (SyntaxError, ValueError, OSError) as exc:
        raise CxGraphError(f"condition query {condition.name!r} cannot run: {exc}", condition.path) from None


def _facts(condition: Condition, row: Any) -> list[Fact]:
    """The statements one row relied on; a pattern with an unbound variable gives none."""
    if not condition.facts:
        fact = (row["record"], row["property"], row["value"])
        return [] if None in fact else [fact]
    out = []
    for pattern in condition.facts:
        terms = [row[p[1:]] if isinstance(p, str) else p for p in pattern]
        if None not in terms:
            out.append((terms[0], terms[1], terms[2]))
    return out
