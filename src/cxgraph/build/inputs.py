"""Which project files the store's graphs follow, recorded by each build, so a reader can tell when it is behind.

A build applies the sources' mappings and contracts, the ontology, the identity rules and the derivation
rules. Edit one of them and the store keeps answering from the old one until the next build; nothing else
says so (a new mapping property that a query reads finds nothing, quietly). Each build therefore writes a
cx:GraphBuild into the registry graph (which every build replaces) with every input's path and checksum;
`behind` compares them with the files as they are now. A build that reloads only some sources carries over
the inputs of what it did not reload (a refused source keeps its old graph, so its old mapping).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Any

import pyoxigraph as ox

from cxgraph.errors import CxGraphError, StoreDamaged
from cxgraph.ontology import CATALOG
from cxgraph.project import Project, Source
from cxgraph.stores.embedded import remembered
from cxgraph.vocab import RDF_TYPE, cx, sparql_prologue

Inputs = dict[str, str]  # path relative to the project root (forward slashes) -> "sha256:..."

# path -> (device, inode, ctime_ns, mtime_ns, size, checksum): a pack compares every input, one stat each
_DIGESTS: dict[Path, tuple[int, int, int, int, int, str]] = {}
_RACY_SECONDS = 2.0  # a file changed this recently may change again within its timestamp's tick: not kept


def checksum(path: Path) -> str | None:
    """The file's "sha256:..." digest (None: no such or no readable file), read again only when its identity,
    size or times changed (git's rule: a file modified within the last seconds is hashed every time)."""
    try:
        stat = path.stat()
        if not S_ISREG(stat.st_mode):
            return None
        key = (stat.st_dev, stat.st_ino, stat.st_ctime_ns, stat.st_mtime_ns, stat.st_size)
        known = _DIGESTS.get(path)
        if known is not None and known[:5] == key:
            return known[5]
        with path.open("rb") as handle:
            found = "sha256:" + hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None
    if time.time() - stat.st_mtime > _RACY_SECONDS:
        _DIGESTS[path] = (*key, found)
    return found


def input_path(project: Project, path: Path) -> str:
    """How a build input is named: relative to the project root, as the registry names it (its paths are
    absolute once loaded; a registry may name files outside the root, `../shared/crm.yml`)."""
    return Path(os.path.relpath(os.path.normpath(path), os.path.normpath(project.root))).as_posix()


def source_inputs(source: Source) -> list[Path]:
    """What a source's load applies: its contract and its mapping."""
    return [source.contract, source.mapping]


def project_wide_inputs(project: Project, ontology_files: list[Path], strict: bool = True) -> list[Path]:
    """What every build applies again: the registry itself (as_of, each source's settings), the identity
    rules and the derivation rules; and the ontology's files given. `strict`: a `rules:` entry that does not
    exist is an error (a build), else it is left out (a reader: the file it named is then reported gone)."""
    from cxgraph.build.derive import rule_files

    try:
        rules = rule_files(project)
    except CxGraphError:
        if strict:
            raise
        rules = []
    return [*ontology_files, project.registry, project.identity, *rules]


def digests(project: Project, paths: list[Path]) -> Inputs:
    """Each existing file's checksum under its input name (a missing one is left out)."""
    found = {input_path(project, p): checksum(p) for p in paths}
    return {path: value for path, value in found.items() if value is not None}


def current(project: Project, ontology_files: list[Path]) -> Inputs:
    """Every input as it is now: each registered source's contract and mapping, the ontology's files, the
    identity rules and the derivation rules (a build takes them when it has read the contracts and mappings)."""
    sources = [p for s in project.sources.values() for p in source_inputs(s)]
    return digests(project, sources + project_wide_inputs(project, ontology_files))


def applied(project: Project, now: Inputs, loaded: list[Source], ontology_files: list[Path],
            ontology_loaded: bool, before: Inputs | None) -> Inputs:
    """What the store follows after this build: from `now`, what it applied (the loaded sources' mappings and
    contracts, the identity and derivation rules, the ontology's files when it loaded the ontology); from the
    build before (`before`), the inputs of the sources it did not reload and, when it kept the ontology graph,
    of the ontology (left out when the build before did not record them: unknown)."""
    sources_now = {input_path(project, p) for s in project.sources.values() for p in source_inputs(s)}
    reloaded = {input_path(project, p) for s in loaded for p in source_inputs(s)}
    ontology = {input_path(project, p) for p in ontology_files}

    def kept(path: str) -> bool:
        return (path in sources_now and path not in reloaded) or (not ontology_loaded and path in ontology)

    result = {path: value for path, value in (before or {}).items() if kept(path)}
    result.update({path: value for path, value in now.items() if not kept(path)})
    return result


def build_quads(project: Project, inputs: Inputs) -> list[ox.Quad]:
    """The cx:GraphBuild with each input it applied, for the registry graph. Named by nothing but its inputs
    (no time), so two builds of the same project and exports make the same graphs, as they do elsewhere; when
    it ran is in the provenance graph's loads."""
    graph = ox.NamedNode(project.graph_iri("registry"))
    build = ox.NamedNode(project.id_iri("graph-build"))
    quads = [ox.Quad(build, RDF_TYPE, cx("GraphBuild"), graph)]
    for index, (path, value) in enumerate(sorted(inputs.items()), start=1):
        entity = ox.NamedNode(f"{build.value}/input/{index}")
        quads += [ox.Quad(build, cx("appliedInput"), entity, graph),
                  ox.Quad(entity, RDF_TYPE, cx("BuildInput"), graph),
                  ox.Quad(entity, cx("hasInputPath"), ox.Literal(path), graph),
                  ox.Quad(entity, cx("hasInputChecksum"), ox.Literal(value), graph)]
    return quads


def recorded(store: Any, project: Project) -> Inputs | None:
    """The inputs the store's build applied (None when the store was built before builds recorded them)."""
    def read() -> Inputs | None:
        rows = list(store.query(
            sparql_prologue() + f"SELECT ?build ?path ?sum WHERE {{ GRAPH <{project.graph_iri('registry')}> {{ "
            "?build a cx:GraphBuild OPTIONAL { ?build cx:appliedInput ?input . "
            "?input cx:hasInputPath ?path ; cx:hasInputChecksum ?sum } } }"))
        if not rows:
            return None
        builds = {row["build"] for row in rows}
        if len(builds) > 1:
            raise CxGraphError(f"the registry graph holds {len(builds)} graph builds; it should hold the last one")
        return {str(row["path"].value): str(row["sum"].value) for row in rows if row["path"] is not None}
    return remembered(store, "build inputs", read)


@dataclass(frozen=True)
class Behind:
    """A project file the store does not follow as it is now."""

    file: str | None  # None: the store records no inputs at all
    change: str

    def text(self) -> str:
        return f"{self.file}: {self.change}" if self.file else self.change


def behind(store: Any, project: Project) -> list[Behind]:
    """The project files whose content is not what the store's build applied, each with how it differs.

    Compared: every recorded input with the file now (changed, gone, or no longer one the project names),
    and the inputs the project names now (each source's mapping and contract, the registry, the identity
    rules, the derivation rules, the ontology's top file and catalog) with the record (not applied). The
    ontology's imported files are known from the record only: a new import changes the file that imports
    it. Empty when the store follows the project."""
    found = recorded(store, project)
    if found is None:
        return [Behind(None, "the store records no build inputs (it was built by an earlier cxgraph), so "
                             "whether it follows the project's mappings and ontology is unknown: run "
                             "`cxgraph build`")]
    ontology_top = [project.ontology, project.ontology.parent / CATALOG]
    now = digests(project, [p for s in project.sources.values() for p in source_inputs(s)]
                  + project_wide_inputs(project, ontology_top, strict=False))
    ontology_folder = input_path(project, project.ontology.parent).rstrip("/") + "/"
    out = []
    for path, value in sorted(found.items()):
        there = now[path] if path in now else checksum(project.root / path)
        if there is None:
            out.append(Behind(path, "gone: the store's build applied it, and its answers follow it "
                                    "until `cxgraph build`"))
        elif there != value:
            out.append(Behind(path, "changed: the store's build applied another version, and its "
                                    "answers follow that until `cxgraph build`"))
        elif path not in now and not path.startswith(ontology_folder):
            out.append(Behind(path, "no longer named by the project: the store's build applied it, and its "
                                    "answers follow it until `cxgraph build`"))
    out += [Behind(path, "not applied: the store's build did not read it, and its answers do not "
                         "follow it until `cxgraph build`") for path in sorted(set(now) - set(found))]
    return out


def stale(store: Any, project: Project) -> list[Behind]:
    """`behind`, for an answer that must not fail because of it: a store or project whose record cannot be
    read or compared gives one entry saying so."""
    try:
        return behind(store, project)
    except StoreDamaged:
        raise  # not a question of following the project: nothing else can be read either
    except (CxGraphError, OSError) as exc:
        return [Behind(None, f"whether the store follows the project cannot be told: {exc}")]
