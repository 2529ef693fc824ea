"""Answers as a Rich table, SPARQL 1.1 Query Results JSON, or SPARQL 1.1 CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pyoxigraph as ox
from rich.table import Table
from rich.text import Text

from cxgraph.answer.queries import Answer
from cxgraph.vocab import XSD

FORMATS = ("table", "json", "csv")


def term_json(term: Any) -> dict[str, str]:
    """One term as in the SPARQL 1.1 Query Results JSON Format."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD + "string":
        out["datatype"] = term.datatype.value
    return out


def to_json(answer: Answer) -> str:
    bindings = [
        {var: term_json(term) for var, term in zip(answer.variables, row, strict=True) if term is not None}
        for row in answer.rows
    ]
    return json.dumps({"head": {"vars": answer.variables}, "results": {"bindings": bindings}}, indent=2,
                      ensure_ascii=False)


def to_csv(answer: Answer) -> str:
    """SPARQL 1.1 CSV: plain values, CRLF line ends, blank where unbound."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(answer.variables)
    for row in answer.rows:
        writer.writerow(["" if term is None else (f"_:{term.value}" if isinstance(term, ox.BlankNode)
                                                   else term.value) for term in row])
    return buffer.getvalue()


def compact(term: Any, prefixes: dict[str, str]) -> str:
    """A short human form: prefixed name for IRIs, lexical form for literals."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        best = max(((p, ns) for p, ns in prefixes.items() if term.value.startswith(ns)),
                   key=lambda item: len(item[1]), default=None)
        return f"{best[0]}:{term.value[len(best[1]):]}" if best else term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text safe to print on a terminal: control characters (ESC sequences, bidi overrides) shown escaped."""
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def to_table(answer: Answer, prefixes: dict[str, str], title: str | None = None) -> Table:
    table = Table(title=Text(title) if title else None, show_lines=False, title_justify="left")
    for var in answer.variables:
        table.add_column(var, overflow="fold")
    for row in answer.rows:
        table.add_row(*(Text(printable(compact(term, prefixes))) for term in row))  # never markup or escapes
    return table
