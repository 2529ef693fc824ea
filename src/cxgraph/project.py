"""The project layout and the source-system registry (`loaders/sources.yaml`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cxgraph.errors import CxGraphError
from cxgraph.vocab import PRIVATE
from cxgraph.yamlio import line_of, load_yaml

SOURCES_FILE = Path("loaders") / "sources.yaml"
DEFAULT_MAX_FIELD_CHARS = 4 * 1024 * 1024  # a longer value quarantines its row (sources.yaml: max_field_chars)
DEFAULT_MAX_SHRINK = 0.5  # a source reading less than half the rows of its last load is refused (max_shrink)


def _fraction(value: object, registry: Path, line: int | None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise CxGraphError("max_shrink must be a fraction between 0 and 1 (1 turns the guard off)", registry, line)
    return float(value)


def _as_of(value: object, registry: Path, line: int | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CxGraphError(f"as_of must be a day such as 2026-11-29, not {value!r}", registry, line) from None


def known_country(value: str) -> str | None:
    """An ISO 3166 code libphonenumber knows (GB, not UK), upper-cased; else None."""
    import phonenumbers

    code = value.strip().upper()
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


def _country(value: object, registry: Path, line: int | None) -> str | None:
    if value is None:
        return None
    code = known_country(value) if isinstance(value, str) else None
    if code is None:
        raise CxGraphError(f"default_country must be an ISO 3166 two-letter code such as DE or GB, not {value!r}",
                           registry, line)
    return code


def _timezone(value: object, registry: Path, line: int | None) -> str | None:
    if value is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise CxGraphError(f"timezone must be an IANA time zone such as America/Sao_Paulo, not {value!r}",
                           registry, line) from None
    return str(value)


ENGINE_GRAPHS = ("ontology", "provenance", "registry", "identity", "inferred", "derived", "recommendations",
                 "actions")
REGISTRY_KEYS = {"base_iri", "data_root", "ontology", "identity", "sources", "shapes", "rules", "as_of",
                 "max_field_chars", "max_shrink"}
DEFAULT_STORE = Path(".cxgraph/store")  # beside it, in `.cxgraph/`, the work folder (WorkFolder)

# Graphs the engine keeps to itself while it works (under vocab.PRIVATE, an RFC 6761 .invalid name): a
# build's remote staging graphs and its lock on a remote store; never published, pushed or shown.
REMOTE_STAGING = PRIVATE + "remote-staging/"
REMOTE_LOCK = REMOTE_STAGING + "lock"
LOCK_TOKEN = PRIVATE + "lock#token"
LOCK_HOLDER = PRIVATE + "lock#holder"


def mapping_graph(nonce: str, source: str) -> str:
    """The graph a source's staged mapping writes into: named with a nonce drawn for the build, which no
    export can know in advance (ingest.py takes only that graph's quads, into that source's graph)."""
    return f"{PRIVATE}load/{nonce}/{source}"


@dataclass(frozen=True)
class WorkFolder:
    """The folder beside a store (`.cxgraph/` for `.cxgraph/store`) where builds keep their lock, the staging
    copies the mapping engine reads, and the reports (quarantine, validation)."""

    root: Path

    @classmethod
    def beside(cls, store: Path) -> WorkFolder:
        return cls(store.resolve().parent)

    @property
    def lock(self) -> Path:
        """The build lock: one writer at a time, for the embedded store and for a remote one built from here."""
        return self.root / "build.lock"

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def docs(self) -> Path:
        """Where `cxgraph docs` writes the ontology's pages unless told otherwise."""
        return self.root / "docs"


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
    default_country: str | None = None  # ISO 3166 alpha-2: phone numbers of records that name no country
    timezone: str | None = None  # IANA zone in which the source's zone-less timestamps are read


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
    shapes: tuple[Path, ...] = ()  # shape profiles (folders or files), core first; see `_asset_list`
    as_of: date | None = None  # the day the graph describes, for derivation rules (else the build's day)
    rules: tuple[Path, ...] = ()  # derivation rule folders or files (`rules:`; default: the project's rules/)

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def rules_dir(self) -> Path:
        return self.root / "rules"

    @property
    def conditions_dir(self) -> Path:
        """The condition queries that catalog rules name (cx:hasConditionQuery): `rules/conditions/*.rq`."""
        return self.rules_dir / "conditions"

    @property
    def core_shapes(self) -> Path:
        """The core profile: what the ontology means for any enterprise."""
        return self.root / "shapes" / "core"

    def graph_iri(self, kind: str) -> str:
        """IRI of an engine-owned graph such as `identity`, `provenance`, `ontology`."""
        return f"{self.base_iri}graph/{kind}"

    def engine_graphs(self) -> dict[str, str]:
        """The graphs the engine itself writes, by kind."""
        return {kind: self.graph_iri(kind) for kind in ENGINE_GRAPHS}

    def lineage_graph(self, source: str) -> str:
        """Where each subject a source's load wrote says which source record (file and row) it was read from.

        One per source, replaced with the source's graph, so a partial build keeps the others' lineage.
        """
        return self.graph_iri(f"lineage/{source}")

    def data_graphs(self, names: list[str], *, provenance: bool) -> list[str]:
        """Of these graph names, those that hold data: all but the ontology, the inferred graph, the lineage
        graphs and private ones; the provenance graph only when `provenance` (rules read the load records,
        reasoning over the data as Protégé would does not)."""
        skip = {self.graph_iri("ontology"), self.graph_iri("inferred")} | {self.lineage_graph(n) for n in self.sources}
        if not provenance:
            skip.add(self.graph_iri("provenance"))
        return [g for g in names if g not in skip and not self.is_private_graph(g)]

    def staging_graph(self, kind: str) -> str:
        """A graph an engine step fills before it replaces its real graph (never left after a build)."""
        return self.graph_iri(f"staging/{kind}")

    def is_private_graph(self, graph: str) -> bool:
        """A graph the engine uses while it works (staging, the remote lock): never published or pushed."""
        return graph.startswith((self.staging_graph(""), PRIVATE))

    def known_graphs(self) -> set[str]:
        """Every graph a build of this project writes: per source its graph and lineage, plus the engine's own."""
        return ({s.graph for s in self.sources.values()} | {self.lineage_graph(n) for n in self.sources}
                | set(self.engine_graphs().values()))

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


def _require(node: dict[str, Any], key: str, path: Path, what: str) -> object:
    if not isinstance(node, dict) or key not in node:
        raise CxGraphError(f"{what}: missing required key {key!r}", path, line_of(node))
    return node[key]


def _asset_list(doc: dict[str, Any], key: str, registry: Path, core: Path, what: str, *,
                may_be_empty: bool) -> tuple[Path, ...]:
    """A registry list of asset folders or files (`shapes:`, `rules:`): `core` (the project's own) or paths
    relative to the registry; without the key, `core` alone. Whether they exist is checked by the command
    that reads them (a build does not need the shapes)."""
    entries = doc.get(key, ["core"])
    if not isinstance(entries, list) or not (entries or may_be_empty) or not all(isinstance(e, str) for e in entries):
        raise CxGraphError(f"'{key}' must be a list of {what}: core, or folders/files relative to this file",
                           registry, line_of(doc, key))
    return tuple(core if entry == "core" else (registry.parent / entry).resolve() for entry in entries)


def load_project(root: Path | None = None, data_root: Path | None = None, registry_file: Path | None = None,
                 ) -> Project:
    """Read and check the source registry; every error names the file and line.

    The registry is `registry_file` (the CLI's --registry), else $CXGRAPH_REGISTRY, else the project's
    `loaders/sources.yaml`.
    """
    root = (root or find_project()).resolve()
    chosen = str(registry_file) if registry_file is not None else os.environ.get("CXGRAPH_REGISTRY")
    registry = Path(chosen).resolve() if chosen else root / SOURCES_FILE
    if chosen and not registry.is_file():
        raise CxGraphError("no such registry (--registry / CXGRAPH_REGISTRY)", registry)
    doc = load_yaml(registry)
    if not isinstance(doc, dict):
        raise CxGraphError("expected a mapping at the top level", registry, 1)
    unknown = sorted(str(key) for key in doc if key not in REGISTRY_KEYS)
    if unknown:  # a misspelt `shapes:` would silently validate with the core profile alone
        raise CxGraphError(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(REGISTRY_KEYS))})", registry,
                           line_of(doc, unknown[0]))
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
    project = replace(project,
                      shapes=_asset_list(doc, "shapes", registry, project.core_shapes, "shape profiles",
                                         may_be_empty=False),
                      rules=_asset_list(doc, "rules", registry, project.rules_dir, "rule folders or files",
                                        may_be_empty=True),
                      as_of=_as_of(doc.get("as_of"), registry, line_of(doc, "as_of")))
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
        known = {"title", "system", "files", "contract", "mapping", "graph", "format", "max_shrink", "kind",
                 "default_country", "timezone"}
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
            system=str(entry.get("system", project.id_iri(f"system/{name}"))),
            files=tuple(files),
            contract=contract.resolve(),
            mapping=mapping.resolve(),
            graph=str(entry.get("graph", project.graph_iri(f"source/{name}"))),
            max_shrink=_fraction(entry["max_shrink"], registry, line_of(entry, "max_shrink"))
            if "max_shrink" in entry else None,
            kind=str(entry["kind"]) if entry.get("kind") is not None else None,
            default_country=_country(entry.get("default_country"), registry, line_of(entry, "default_country")),
            timezone=_timezone(entry.get("timezone"), registry, line_of(entry, "timezone")),
        )
    return project
