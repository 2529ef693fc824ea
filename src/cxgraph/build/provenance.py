"""PROV-O records of each source load, kept in the provenance graph (history is kept, newest wins), and lineage.

Lineage is recorded when a row is loaded: each subject a source wrote gets `cx:wasReadFrom` its source
record, an IRI naming the load's file entity and the row (or JSON Pointer) in its fragment. Reports find the
row behind a focus node from the graph, never by reading the contracts and exports again (which may have
changed, or been read from another data folder).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from cxgraph.lineage import activity_iri, file_entity_iri, record_iri
from cxgraph.project import Project, Source
from cxgraph.vocab import RDF_TYPE, RDFS_LABEL, READ_FROM, XSD_ANYURI, XSD_DATETIME, XSD_INTEGER, cx, prov


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


@dataclass
class LoadRecord:
    """The facts of one source load, written as a cx:SourceLoad (a prov:Activity)."""

    source: Source
    started: datetime
    ended: datetime
    files: list[tuple[str, str, int]]  # (file name relative to the data root, checksum, records read)
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    triples: int


def _dt(value: datetime) -> ox.Literal:
    return ox.Literal(value.isoformat(), datatype=XSD_DATETIME)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD_INTEGER)


def lineage_quads(project: Project, source: Source, activity: str,
                  located: Iterable[tuple[str, tuple[int, int, Any]]]) -> Iterator[ox.Quad]:
    """Each loaded subject -> the source record it was read from (cx:wasReadFrom), in the source's lineage graph,
    made as the store takes them (a list of a source's quads held some 400 bytes a subject).

    `located`: (subject IRI, (file index in the registry's order, row, JSON pointer or None)).
    """
    graph = ox.NamedNode(project.lineage_graph(source.name))
    for subject, (index, row, pointer) in located:
        yield ox.Quad(ox.NamedNode(subject), READ_FROM,
                      ox.NamedNode(record_iri(file_entity_iri(activity, index), row, pointer)), graph)


def load_quads(project: Project, record: LoadRecord) -> list[ox.Quad]:
    """The activity, the files it used (name, checksum, where it was read from), and its counts."""
    graph = ox.NamedNode(project.graph_iri("provenance"))
    activity = ox.NamedNode(activity_iri(project, record.source.name, record.started))
    quads = [
        ox.Quad(activity, RDF_TYPE, cx("SourceLoad"), graph),
        ox.Quad(activity, RDFS_LABEL, ox.Literal(f"load of {record.source.name} at {record.started.isoformat()}"),
                graph),
        ox.Quad(activity, cx("loadsSource"), ox.NamedNode(record.source.system), graph),
        ox.Quad(activity, prov("startedAtTime"), _dt(record.started), graph),
        ox.Quad(activity, prov("endedAtTime"), _dt(record.ended), graph),
        ox.Quad(activity, cx("hasTargetGraph"),
                ox.Literal(record.source.graph, datatype=XSD_ANYURI), graph),
        ox.Quad(activity, cx("hasRowsRead"), _int(record.rows_read), graph),
        ox.Quad(activity, cx("hasRowsLoaded"), _int(record.rows_loaded), graph),
        ox.Quad(activity, cx("hasRowsQuarantined"), _int(record.rows_quarantined), graph),
        ox.Quad(activity, cx("hasTripleCount"), _int(record.triples), graph),
    ]
    for index, (name, checksum, count) in enumerate(record.files, start=1):
        entity = ox.NamedNode(file_entity_iri(activity.value, index))
        location = (project.data_root / name).resolve().as_uri()
        quads += [
            ox.Quad(entity, prov("atLocation"), ox.NamedNode(location), graph),
            ox.Quad(entity, RDF_TYPE, cx("SourceFile"), graph),
            ox.Quad(entity, cx("hasFileName"), ox.Literal(name), graph),
            ox.Quad(entity, cx("hasChecksum"), ox.Literal(checksum), graph),
            ox.Quad(entity, cx("hasRecordCount"), _int(count), graph),
            ox.Quad(activity, prov("used"), entity, graph),
        ]
    return quads


def registry_quads(project: Project, described: set[str]) -> list[ox.Quad]:
    """The registered systems no source describes, as the registry says them (label, and shadow kind).

    Without them a source whose system the catalog does not list leaves every record "recorded in"
    an IRI that nothing describes, shown raw in answers.
    """
    graph = ox.NamedNode(project.graph_iri("registry"))
    quads = []
    for source in project.sources.values():
        if source.system in described:
            continue
        system = ox.NamedNode(source.system)
        quads += [ox.Quad(system, RDF_TYPE, cx("System"), graph),
                  ox.Quad(system, RDFS_LABEL, ox.Literal(source.title), graph)]
        if source.kind == "shadow":
            quads.append(ox.Quad(system, RDF_TYPE, cx("ShadowDataSource"), graph))
    return quads
