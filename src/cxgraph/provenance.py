"""PROV-O records of each source load, kept in the provenance graph (history is kept, newest wins)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyoxigraph as ox

from .config import Project, Source

CX = "https://w3id.org/cxgraph/ontology#"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
XSD = "http://www.w3.org/2001/XMLSchema#"


def cx(name: str) -> ox.NamedNode:
    return ox.NamedNode(CX + name)


def prov(name: str) -> ox.NamedNode:
    return ox.NamedNode(PROV + name)


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
    return ox.Literal(value.isoformat(), datatype=ox.NamedNode(XSD + "dateTime"))


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))


def load_quads(project: Project, record: LoadRecord) -> list[ox.Quad]:
    """The activity, the files it used, and its counts."""
    graph = ox.NamedNode(project.graph_iri("provenance"))
    stamp = record.started.strftime("%Y%m%dT%H%M%S%fZ")
    activity = ox.NamedNode(project.id_iri(f"load/{record.source.name}/{stamp}"))
    quads = [
        ox.Quad(activity, RDF_TYPE, cx("SourceLoad"), graph),
        ox.Quad(activity, RDFS_LABEL, ox.Literal(f"load of {record.source.name} at {record.started.isoformat()}"),
                graph),
        ox.Quad(activity, cx("loadsSource"), ox.NamedNode(record.source.system), graph),
        ox.Quad(activity, prov("startedAtTime"), _dt(record.started), graph),
        ox.Quad(activity, prov("endedAtTime"), _dt(record.ended), graph),
        ox.Quad(activity, cx("hasTargetGraph"),
                ox.Literal(record.source.graph, datatype=ox.NamedNode(XSD + "anyURI")), graph),
        ox.Quad(activity, cx("hasRowsRead"), _int(record.rows_read), graph),
        ox.Quad(activity, cx("hasRowsLoaded"), _int(record.rows_loaded), graph),
        ox.Quad(activity, cx("hasRowsQuarantined"), _int(record.rows_quarantined), graph),
        ox.Quad(activity, cx("hasTripleCount"), _int(record.triples), graph),
    ]
    for index, (name, checksum, count) in enumerate(record.files, start=1):
        entity = ox.NamedNode(f"{activity.value}/file/{index}")
        quads += [
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
