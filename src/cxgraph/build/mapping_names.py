"""Names the engine gives to what it adds to a staged export (shared by staging and mapping)."""

from __future__ import annotations


def raw_column(field_name: str, kind: str) -> str:
    """The staged column holding a field's IRI-safe copy for one position ("whole" IRI or "fragment")."""
    return f"cxgraph_iri_{kind}__" + field_name.replace(".", "__")
