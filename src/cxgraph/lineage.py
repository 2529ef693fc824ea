"""The names of what a load read: the load, each file it used, each record in a file.

The build writes them (provenance and lineage graphs) and the reports read them back, so the naming lives
below both: a record is its file entity's IRI with the row in the fragment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from cxgraph.project import Project

WHOLE_DOCUMENT = "(the whole document)"  # how reports show a record that is the document itself (pointer "")


def pointer_text(pointer: tuple[Any, ...]) -> str:
    """An RFC 6901 JSON Pointer: `~` written `~0` and `/` written `~1` in each key."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in pointer)


def activity_iri(project: Project, source: str, started: datetime) -> str:
    """The IRI of one load of a source (its time makes it unique: the provenance graph keeps every load)."""
    return project.id_iri(f"load/{source}/{started.strftime('%Y%m%dT%H%M%S%fZ')}")


def file_entity_iri(activity: str, index: int) -> str:
    """The IRI of the `index`-th file (1-based, in the registry's order) a load used."""
    return f"{activity}/file/{index}"


def record_iri(file_entity: str, row: int, pointer: tuple[Any, ...] | None) -> str:
    """The IRI of one source record: the file it was read from, and where in it as the IRI's fragment.

    A CSV record is `#line=N` (the line it starts on, as RFC 5147 numbers text lines); a JSON record is its
    RFC 6901 JSON Pointer in fragment form (`#/orders/3`).
    """
    if pointer is None:
        return f"{file_entity}#line={row}"
    return f"{file_entity}#{quote(pointer_text(pointer), safe=_FRAGMENT_SAFE)}"


def parse_record_iri(iri: str) -> tuple[str, str]:
    """(file entity IRI, locator as reports show it: "line 12" or a JSON Pointer) of a record IRI."""
    entity, _, fragment = iri.partition("#")
    if fragment.startswith("line="):
        return entity, f"line {fragment[5:]}"
    return entity, unquote(fragment) or WHOLE_DOCUMENT


_FRAGMENT_SAFE = "/~!$&'()*+,;=:@-._"


