"""How a source value may enter an IRI: one function per position, so a value never becomes structure.

A YARRRML template such as `id:crm/contact/$(ContactId)` has its values percent-encoded by the mapping
engine (R2RML's IRI-safe form; morph-kgc uses RFC 3986 unreserved characters, exactly
`urllib.parse.quote(value, safe="")`). A value used as a whole IRI (`$(url)~iri`) or passed to a
function that builds an IRI (morph-kgc's `concat`) is written as it is: there `>` and a newline end the
IRI and start a new N-Quads line. Those values go through `raw_iri_value` before mapping.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pyoxigraph as ox

from cxgraph.vocab import PRIVATE

# Characters RFC 3987 never allows in an IRI, plus `%` not starting an escape: these are encoded.
_ILLEGAL = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f-\x9f]|%(?![0-9A-Fa-f]{2})|[\ud800-\udfff\ufff0-\uffff]')
_REFERENCE = re.compile(r"\$\(([^)]*)\)")
_PROBE_BASE = PRIVATE


def template_value(value: str) -> str:
    """A value as the mapping engine writes it into an IRI template (what the graph will hold)."""
    return quote(value, safe="")


def encode_illegal(value: str) -> str:
    """Percent-encode (UTF-8) every character an IRI may not contain; everything else is kept."""
    return _ILLEGAL.sub(lambda m: quote(m.group(0), safe="", errors="surrogatepass"), value)


def raw_iri_value(value: str, whole: bool) -> tuple[str | None, str | None]:
    """(value to map, None) or (None, why not) for a value the mapping writes into an IRI unencoded.

    `whole`: the value is the entire IRI and must be absolute and valid; otherwise it is a fragment
    appended to a namespace (e.g. a path such as `logistics/shipment/SHP-1`).
    """
    encoded = encode_illegal(value)
    if not whole:  # a path below a namespace: a `?` or `#` would start a query or fragment, i.e. structure
        encoded = encoded.replace("?", "%3F").replace("#", "%23")
    try:
        ox.NamedNode(encoded if whole else _PROBE_BASE + encoded)
    except ValueError as exc:
        return None, f"not usable in an IRI: {exc}"
    return encoded, None


def expand_template(template: str, prefixes: dict[str, str], values: dict[str, str]) -> str | None:
    """The IRI a YARRRML subject template gives for one record (None when a value is missing)."""
    text = template
    head, sep, rest = text.partition(":")
    if sep and head in prefixes and not rest.startswith("//"):
        text = prefixes[head] + rest
    parts: list[str] = []
    position = 0
    for match in _REFERENCE.finditer(text):
        value = values.get(match.group(1))
        if value is None or value == "":
            return None
        parts += [text[position: match.start()], template_value(value)]
        position = match.end()
    parts.append(text[position:])
    return "".join(parts)


def is_template(term: str) -> bool:
    """A term with constant text around its references: the mapping engine encodes its values."""
    body = term[:-4] if term.endswith("~iri") else term
    return bool(_REFERENCE.search(body)) and _REFERENCE.sub("", body) != ""
