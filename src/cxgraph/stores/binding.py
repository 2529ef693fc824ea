"""Parameters bound as RDF terms by a VALUES block opening the query's WHERE group.

One way for every store: the embedded one, its query workers and a remote endpoint. The store joins from the
bound terms first (pyoxigraph's SEP-0007 substitutions, and a trailing VALUES clause, join them after the
whole pattern is evaluated: seconds instead of milliseconds for one customer). The terms are written by
pyoxigraph's serializer, so a value can never change the query's structure.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

Term = Any  # a pyoxigraph NamedNode, BlankNode or Literal


def values_clause(bindings: Mapping[str, Term]) -> str:
    """A VALUES data block binding each parameter to its RDF term, serialized by pyoxigraph (escaped)."""
    names = list(bindings)
    terms = " ".join(str(bindings[n]) for n in names)
    return f"VALUES ({' '.join('?' + n for n in names)}) {{ ({terms}) }}"


def bind_values(sparql: str, bindings: Mapping[str, Term]) -> str:
    """The query with its parameters bound by a VALUES block opening the outer WHERE group.

    There the store joins from the bound terms (a trailing VALUES clause is joined after the whole
    pattern is evaluated: minutes instead of milliseconds on a journey query). The terms are written by
    pyoxigraph's serializer, so a value can never change the query's structure.
    """
    return _open_where(sparql, values_clause(bindings))


def values_rows(sparql: str, name: str, terms: Sequence[Term]) -> str:
    """The query with one variable bound to each of several terms (one row each), where bind_values binds."""
    rows = " ".join(str(term) for term in terms)
    return _open_where(sparql, f"VALUES ?{name} {{ {rows} }}")


# Oxigraph's join planner starts from the smallest part of a group by its estimate: a VALUES block counts its
# rows, a pattern with its predicate and object given counts 1,000. From 1,001 rows on, a query bound to many
# terms starts from such a pattern over the whole store instead (a campaign guard's consent condition at
# 10,000 customers: 60 us per send up to 1,000 sends, 410 us from 1,001; at 100,000 customers 70 s for 28,560
# sends). Batches stay below that, so the cost follows the terms given.
VALUES_BATCH = 500


def values_batches(sparql: str, name: str, terms: Sequence[Term], size: int = VALUES_BATCH) -> list[str]:
    """The query bound to the terms as values_rows does, in batches of at most `size` rows: for a query whose
    rows each belong to one of the terms (no LIMIT, OFFSET or aggregate across them at its top level), the rows
    of all the batches are the rows of the one query (tests/test_condition_binding.py checks the conditions)."""
    return [values_rows(sparql, name, terms[i:i + size]) for i in range(0, len(terms), size)] or \
        [values_rows(sparql, name, [])]


def _open_where(sparql: str, clause: str) -> str:
    """The query with a VALUES clause opening its outer WHERE group, on the line of its brace: a syntax error
    the store reports is at the line of the file the query was read from."""
    cut = _where_brace(sparql) if len(sparql) <= _REMEMBERED_LENGTH else _where_brace.__wrapped__(sparql)
    if cut is None:
        return f"{sparql}\n{clause}\n"
    return f"{sparql[:cut]} {clause} {sparql[cut:]}"


# Query texts longer than this are not remembered: a policy's targets come in batches of 500 IRIs (some 30 KB
# each, a different text every time), which would fill the cache and push out the templates it is for.
_REMEMBERED_LENGTH = 8_192


@functools.lru_cache(maxsize=1024)
def _where_brace(sparql: str) -> int | None:
    """Where the outer WHERE group opens (after its brace), None without one. Remembered per query text: a
    context pack binds some thirty queries, the same texts each time, and masking them cost 2-3 ms of it."""
    masked = _mask(sparql)  # comments, strings and IRIs cannot hold the WHERE brace
    body = strip_prologue(masked)
    offset = len(masked) - len(body)
    where = re.search(r"(?i)\bWHERE\s*\{", body) or re.search(r"\{", body)
    return None if where is None else offset + where.end()


_HIDING = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                     r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>|#[^\r\n]*')


def _mask(sparql: str) -> str:
    """The query with every comment, string and IRI blanked out (same length, same line breaks), so that
    looking for a keyword or a brace never finds one inside them."""
    return _HIDING.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)) if m.group(0).startswith("#")
                       else m.group(0)[0] + " " * (len(m.group(0)) - 2) + m.group(0)[-1], sparql)


def strip_prologue(text: str) -> str:
    """The query after its PREFIX/BASE declarations (whose IRIs may contain keyword-like words)."""
    return re.sub(r"^(\s*(PREFIX\s+[\w-]*:\s*<[^>]*>|BASE\s*<[^>]*>))*", "", text, flags=re.I)
