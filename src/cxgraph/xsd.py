"""XSD lexical forms, checked strictly: a literal whose text is not of its datatype is ill-typed.

rdflib reads `"1996-07-04"^^xsd:dateTime` as well-typed and pySHACL's `sh:datatype` follows it, while a
SPARQL range filter then drops the value: the build and `validate` check lexical forms themselves.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from cxgraph.vocab import XSD

_ZONE = r"(Z|[+-](0\d|1[0-3]):[0-5]\d|[+-]14:00)?"
_DATE = r"-?([1-9]\d{3,}|0\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
_TIME = r"(([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?|24:00:00(\.0+)?)"
PATTERNS = {
    "integer": r"[+-]?\d+",
    "int": r"[+-]?\d+",
    "long": r"[+-]?\d+",
    "nonNegativeInteger": r"\+?\d+|-0+",
    "positiveInteger": r"\+?0*[1-9]\d*",
    "decimal": r"[+-]?(\d+(\.\d*)?|\.\d+)",
    "double": r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF)|-INF|NaN",
    "float": r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF)|-INF|NaN",
    "boolean": r"true|false|1|0",
    "date": _DATE + _ZONE,
    "dateTime": _DATE + "T" + _TIME + _ZONE,
    "dateTimeStamp": _DATE + "T" + _TIME + r"(Z|[+-](0\d|1[0-3]):[0-5]\d|[+-]14:00)",
    "time": _TIME + _ZONE,
    "gYear": r"-?([1-9]\d{3,}|0\d{3})" + _ZONE,
}
_COMPILED = {XSD + name: re.compile(pattern) for name, pattern in PATTERNS.items()}


def ill_typed(text: str, datatype: str) -> bool:
    """Whether `text` is not a lexical form of `datatype` (datatypes not listed here are not judged)."""
    pattern = _COMPILED.get(datatype)
    if pattern is None:
        return False
    if not pattern.fullmatch(text):
        return True
    if datatype in (XSD + "date", XSD + "dateTime", XSD + "dateTimeStamp") and not text.startswith("-"):
        try:
            date.fromisoformat(text[:10])
        except ValueError:
            return True  # 2026-02-30
    return False


# The datatypes a mapping may give a field of each contract type.
FOR_CONTRACT_TYPE = {
    "integer": {XSD + n for n in ("integer", "int", "long", "nonNegativeInteger", "positiveInteger", "decimal")},
    "decimal": {XSD + n for n in ("decimal", "double", "float")},
    "boolean": {XSD + "boolean"},
    "date": {XSD + "date"},
    "datetime": {XSD + "dateTime", XSD + "dateTimeStamp"},
}


def ontology_datatypes(graph: Any) -> dict[str, str]:
    """Each data property's datatype, from an rdflib graph of the ontology: its xsd: range, or xsd:date for a
    date-valued property (range rdfs:Literal, scope note "Values are xsd:date literals", because xsd:date is
    outside the OWL 2 datatype map)."""
    from rdflib.namespace import OWL, RDF, RDFS, SKOS

    found: dict[str, str] = {}
    for prop in graph.subjects(RDF.type, OWL.DatatypeProperty):
        rng = graph.value(prop, RDFS.range)
        notes = " ".join(str(n) for n in graph.objects(prop, SKOS.scopeNote))
        if rng is not None and str(rng).startswith(XSD):
            found[str(prop)] = str(rng)
        elif rng == RDFS.Literal and "xsd:date literals" in notes:
            found[str(prop)] = XSD + "date"
    return found
