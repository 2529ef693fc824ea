"""The project layout and the source-system registry (`loaders/sources.yaml`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CxGraphError
from .yamlio import LineDict, line_of, load_yaml

SOURCES_FILE = Path("loaders") / "sources.yaml"
DEFAULT_MAX_FIELD_CHARS = 4 * 1024 * 1024  # a longer value quarantines its row (sources.yaml: max_field_chars)
DEFAULT_MAX_SHRINK = 0.5  # a source reading less than half the rows of its last load is refused (max_shrink)


def _fraction(value: object, registry: Path, line: int | None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise CxGraphError("max_shrink must be a fraction between 0 and 1 (1 turns the guard off)", registry, line)
    return float(value)


@dataclass(frozen=True)
class Source:
    """One registered source system: its exports, contract, mapping and named graph."""

    name: str
    title: str
    system: str
    files: tuple[str, ...]
    contract: Path
    mapping: Path
    graph: str
    max_shrink: float | None = None  # this source's own shrink guard (else the registry's)
    kind: str | None = None  # "shadow" for a source people trust but no one governs (cx:ShadowDataSource)


@dataclass(frozen=True)
class Project:
    """A cxgraph project: where the assets are and how the graph is named."""

    root: Path
    registry: Path
    data_root: Path
    base_iri: str
    ontology: Path
    identity: Path
    sources: dict[str, Source] = field(default_factory=dict)
    max_field_chars: int = DEFAULT_MAX_FIELD_CHARS
    max_shrink: float = DEFAULT_MAX_SHRINK

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    def graph_iri(self, kind: str) -> str:
        """IRI of an engine-owned graph such as `identity`, `provenance`, `ontology`."""
        return f"{self.base_iri}graph/{kind}"

    def engine_graphs(self) -> dict[str, str]:
        """The graphs the engine itself writes, by kind."""
        return {kind: self.graph_iri(kind) for kind in ("ontology", "provenance", "registry", "identity", "inferred")}

    def known_graphs(self) -> set[str]:
        """Every graph a build of this project writes: one per source plus the engine's own."""
        return {s.graph for s in self.sources.values()} | set(self.engine_graphs().values())

    def id_iri(self, suffix: str) -> str:
        return f"{self.base_iri}id/{suffix}"

    def select(self, only: list[str] | None) -> list[Source]:
        """The sources named by `--only` (all when empty), in registry order."""
        if not only:
            return list(self.sources.values())
        unknown = [name for name in only if name not in self.sources]
        if unknown:
            raise CxGraphError(
                f"unknown source {', '.join(unknown)}; registered: {', '.join(self.sources)}", self.registry
            )
        return [self.sources[name] for name in self.sources if name in only]


def find_project(start: Path | None = None) -> Path:
    """The project root: $CXGRAPH_PROJECT, else the nearest folder holding loaders/sources.yaml.

    With a registry chosen (`--registry`, $CXGRAPH_REGISTRY) and no project found, the registry's
    project is the folder above its own (a `loaders/`-like folder beside `queries/` and `shapes/`).
    """
    env = os.environ.get("CXGRAPH_PROJECT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / SOURCES_FILE).is_file():
            return candidate
    chosen = os.environ.get("CXGRAPH_REGISTRY")
    if chosen:
        return Path(chosen).resolve().parent.parent
    raise CxGraphError(
        f"no {SOURCES_FILE} here or in a parent folder; run inside a cxgraph project or set CXGRAPH_PROJECT"
    )


def _require(node: LineDict, key: str, path: Path, what: str) -> object:
    if not isinstance(node, dict) or key not in node:
        raise CxGraphError(f"{what}: missing required key {key!r}", path, line_of(node))
    return node[key]


def load_project(root: Path | None = None, data_root: Path | None = None) -> Project:
    """Read and check `loaders/sources.yaml`; every error names the file and line."""
    root = (root or find_project()).resolve()
    chosen = os.environ.get("CXGRAPH_REGISTRY")
    registry = Path(chosen).resolve() if chosen else root / SOURCES_FILE
    if chosen and not registry.is_file():
        raise CxGraphError("no such registry (--registry / CXGRAPH_REGISTRY)", registry)
    doc = load_yaml(registry)
    if not isinstance(doc, dict):
        raise CxGraphError("expected a mapping at the top level", registry, 1)
    base_iri = str(_require(doc, "base_iri", registry, "registry"))
    if not base_iri.endswith("/"):
        raise CxGraphError("base_iri must end with '/'", registry, line_of(doc, "base_iri"))
    loaders_dir = registry.parent
    max_chars = doc.get("max_field_chars", DEFAULT_MAX_FIELD_CHARS)
    if not isinstance(max_chars, int) or isinstance(max_chars, bool) or max_chars < 1:
        raise CxGraphError("max_field_chars must be a positive whole number", registry, line_of(doc, "max_field_chars"))
    data = data_root or (loaders_dir / str(doc.get("data_root", "../data/sample")))
    data_folder = Path(data).resolve()
    if data_root is not None and not data_folder.is_dir():
        raise CxGraphError("--data must be a folder holding the source exports", data_folder)
    project = Project(
        root=root,
        registry=registry,
        data_root=data_folder,
        base_iri=base_iri,
        ontology=(loaders_dir / str(doc.get("ontology", "../ontology/cxgraph.ttl"))).resolve(),
        identity=(loaders_dir / str(doc.get("identity", "identity.yaml"))).resolve(),
        max_field_chars=max_chars,
        max_shrink=_fraction(doc.get("max_shrink", DEFAULT_MAX_SHRINK), registry, line_of(doc, "max_shrink")),
    )
    entries = _require(doc, "sources", registry, "registry")
    if not isinstance(entries, dict) or not entries:
        raise CxGraphError("'sources' must map source names to their settings", registry, line_of(doc, "sources"))
    for name, entry in entries.items():
        where = f"source {name!r}"
        line = line_of(entries, name)
        if not isinstance(entry, dict):
            raise CxGraphError(f"{where}: expected a mapping", registry, line)
        files = _require(entry, "files", registry, where)
        if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
            raise CxGraphError(f"{where}: 'files' must be a list of paths", registry, line_of(entry, "files"))
        known = {"title", "system", "files", "contract", "mapping", "graph", "format", "max_shrink", "kind"}
        extra = sorted(set(entry) - known)
        if extra:
            raise CxGraphError(
                f"{where}: unknown key {extra[0]!r} (allowed: {', '.join(sorted(known))})",
                registry,
                line_of(entry, extra[0]),
            )
        contract = loaders_dir / str(_require(entry, "contract", registry, where))
        mapping = loaders_dir / str(_require(entry, "mapping", registry, where))
        for key, path in (("contract", contract), ("mapping", mapping)):
            if not path.is_file():
                raise CxGraphError(f"{where}: {key} file {path} does not exist", registry, line_of(entry, key))
        project.sources[str(name)] = Source(
            name=str(name),
            title=str(entry.get("title", name)),
            system=str(entry.get("system", f"{base_iri}id/system/{name}")),
            files=tuple(files),
            contract=contract.resolve(),
            mapping=mapping.resolve(),
            graph=str(entry.get("graph", f"{base_iri}graph/source/{name}")),
            max_shrink=_fraction(entry["max_shrink"], registry, line_of(entry, "max_shrink"))
            if "max_shrink" in entry else None,
            kind=str(entry["kind"]) if entry.get("kind") is not None else None,
        )
    return project
