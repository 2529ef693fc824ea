"""Context packs: everything the graph holds about one customer, case or order, in one JSON-LD document an
assistant can put in its prompt, sourced fact by fact and cut to the caller's role scope.

A pack is gathered by the section queries its kind lists in `context/packs.yaml`, each starting at the focus
(never a scan of the store). A section with a limit keeps its most recent items and says how many it left out.
Every fact keeps the named graph it came from: the pack's `@graph` holds one object per source graph, and the
pack header names when each source was last loaded. Who sees what is `context/scopes.yaml`: the sections a
scope sees, the classes and properties it never sees. The header (`pack`) is mapped to nothing in the pack's
@context, so a JSON-LD processor reads exactly the quads of the facts.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from cxgraph.answer.jsonld import Json, Writer, read_context
from cxgraph.answer.recommend import find_resource, given_iri
from cxgraph.build.inputs import stale
from cxgraph.errors import CxGraphError
from cxgraph.project import Project
from cxgraph.stores.binding import bind_values, values_batches, values_rows
from cxgraph.stores.embedded import EmbeddedStore, remembered
from cxgraph.vocab import CX, PREFIXES, RDF, RDFS, sparql_prologue
from cxgraph.yamlio import read_header

RDF_TYPE = ox.NamedNode(RDF + "type")


@dataclass(frozen=True)
class Section:
    """One section query: its rows are facts (?s ?p ?o ?g), for a limited section also ?item and its time ?at."""

    name: str
    title: str
    focus: str
    limit: int | None
    text: str
    path: Path


@dataclass(frozen=True)
class PackKind:
    name: str
    focus: str  # the class of the focus (a local name in cx:)
    title: str
    sections: tuple[str, ...]
    brief: tuple[str, ...] = ()
    party: str | None = None  # property path from the focus to the customer's party
    party_sections: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scope:
    name: str
    description: str
    sections: frozenset[str] | None  # None: every section
    withhold_properties: frozenset[str] = frozenset()
    withhold_classes: frozenset[str] = frozenset()
    queries: frozenset[str] | None = None  # the named queries it may run; None: all, when it withholds nothing

    @property
    def unrestricted(self) -> bool:
        """Sees everything: it may run any named query, ad-hoc SPARQL, and read the validation report."""
        return not self.withhold_properties and not self.withhold_classes and self.sections is None

    def may_query(self, name: str) -> bool:
        """Whether it may run a named query: one its `queries:` lists (a query's answer is not cut, so a scope
        that withholds anything runs only the ones listed)."""
        return name in self.queries if self.queries is not None else self.unrestricted

    def cut(self, answer: Any) -> Any:
        """An explanation's or a recommendation's JSON for this scope: without the facts the rules relied on
        (they may state what it may not see) and without free-text outcomes, unless it sees everything."""
        if self.unrestricted:
            return answer
        if isinstance(answer, dict):
            return {k: self.cut(v) for k, v in answer.items() if k not in ("facts", "outcome")}
        if isinstance(answer, list):
            return [self.cut(v) for v in answer]
        return answer


@dataclass
class Cut:
    """What a section kept and left out."""

    section: str
    title: str
    items: int = 0
    shown: int = 0
    limit: int | None = None


def context_dir(project: Project) -> Path:
    return project.root / "context"


def _yaml(path: Path) -> Any:
    """An asset's YAML, read again only when the file changes (a pack per request must not re-read it)."""
    if not path.is_file():
        raise CxGraphError("missing", path)
    return _read_yaml(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _read_yaml(path: Path, _mtime: int) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise CxGraphError(f"not valid YAML: {exc}", path) from None


def pack_kinds(project: Project) -> dict[str, PackKind]:
    """The pack kinds of context/packs.yaml."""
    path = context_dir(project) / "packs.yaml"
    doc = _yaml(path)
    kinds = {}
    for name, spec in doc.items():
        if not isinstance(spec, dict) or "focus" not in spec or "sections" not in spec:
            raise CxGraphError(f"pack kind {name!r} needs `focus` and `sections`", path)
        kinds[name] = PackKind(name, str(spec["focus"]), str(spec.get("title", name)), tuple(spec["sections"]),
                               tuple(spec.get("brief", ())), spec.get("party"), tuple(spec.get("party_sections", ())))
    return kinds


def load_scopes(project: Project) -> tuple[str, dict[str, Scope]]:
    """The default scope's name and every scope of context/scopes.yaml."""
    path = context_dir(project) / "scopes.yaml"
    doc = _yaml(path)
    scopes = {}
    for name, spec in (doc.get("scopes") or {}).items():
        spec = spec or {}
        sections = spec.get("sections")
        scopes[name] = Scope(
            name, " ".join(str(spec.get("description", "")).split()),
            None if sections is None else frozenset(sections),
            frozenset(_expand(p, path) for p in spec.get("withhold_properties", ())),
            frozenset(_expand(c, path) for c in spec.get("withhold_classes", ())),
            None if spec.get("queries") is None else frozenset(spec["queries"]))
    default = doc.get("default")
    if default not in scopes:
        raise CxGraphError(f"the default scope {default!r} is not one of the scopes ({', '.join(sorted(scopes))})",
                           path)
    return str(default), scopes


def _expand(curie: str, path: Path) -> str:
    prefix, _, local = str(curie).partition(":")
    if prefix not in PREFIXES:
        raise CxGraphError(f"{curie!r}: use one of the prefixes {', '.join(PREFIXES)}", path)
    return PREFIXES[prefix] + local


def scope_named(project: Project, name: str | None) -> Scope:
    """The scope by name (default: the assets' default); an unknown scope is refused."""
    default, scopes = load_scopes(project)
    chosen = name or default
    if chosen not in scopes:
        raise CxGraphError(f"unknown scope {chosen!r}; the scopes are {', '.join(sorted(scopes))} "
                           f"(context/scopes.yaml)")
    return scopes[chosen]


def load_section(project: Project, name: str) -> Section:
    """A section query and its header, read again only when the file changes."""
    path = context_dir(project) / "sections" / f"{name}.rq"
    if not path.is_file():
        raise CxGraphError(f"a pack names the section {name!r}, but there is no {path.name}", path.parent)
    return _read_section(path, name, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _read_section(path: Path, name: str, _mtime: int) -> Section:
    text, header, _ = read_header(path, "section")
    if not isinstance(header, dict) or "title" not in header or "focus" not in header:
        raise CxGraphError("a section query needs `#+ title:` and `#+ focus:`", path)
    limit = header.get("limit")
    return Section(name, str(header["title"]), str(header["focus"]), None if limit is None else int(limit), text,
                   path)


def parse_limits(given: list[str] | None, what: str = "--limit") -> dict[str, int]:
    """SECTION=N items (the command line's --limit, the API's ?limit=) as {section: N}."""
    limits = {}
    for item in given or []:
        name, sep, value = item.partition("=")
        if not sep or not value.isdigit():
            raise CxGraphError(f"{what} {item!r}: write SECTION=N, N a whole number (orders=3)")
        limits[name] = int(value)
    return limits


def find_focus(store: Any, project: Project, kind: PackKind, given: str) -> str:
    """The focus of a pack: a case or an order by number or IRI; for a customer, the party itself or the party
    that a customer record (by IRI or identifier) represents."""
    if kind.focus != "Party":
        return find_resource(store, project, given, kind.focus, f"a {kind.focus.lower()}")
    if _is_party(store, project, given):
        return str(given_iri(project, given))
    is_iri = given.startswith(("<", "id:", "http://", "https://", "urn:"))
    iri = find_resource(store, project, given, "Record" if is_iri else "CustomerRecord",
                        "a customer record or party" if is_iri else "a customer record")
    rows = list(store.query(bind_values(sparql_prologue() + "SELECT ?party WHERE { ?record cx:representsParty "
                                        "?party } ORDER BY ?party", {"record": ox.NamedNode(iri)})))
    if not rows:
        raise CxGraphError(f"<{iri}> represents no resolved party (is it a customer record?)")
    return str(rows[0]["party"].value)


def _is_party(store: Any, project: Project, given: str) -> bool:
    iri = given_iri(project, given)
    if iri is None:
        return False
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return False
    return bool(store.query(bind_values(f"ASK {{ ?it a <{CX}Party> }}", {"it": node})))


def _party_of(store: Any, kind: PackKind, focus: str) -> str | None:
    if not kind.party:
        return None
    rows = list(store.query(bind_values(sparql_prologue() + f"SELECT ?party WHERE {{ ?focus {kind.party} ?party }} "
                                        "ORDER BY ?party LIMIT 1", {"focus": ox.NamedNode(focus)})))
    return str(rows[0]["party"].value) if rows else None


def gather(store: Any, section: Section, focus: str, limit: int | None,
           ) -> tuple[set[ox.NamedNode], set[ox.NamedNode], Cut]:
    """The nodes a section selects, its items cut to the most recent `limit`: the nodes whose every statement
    the pack gives (a column such as ?s) and those it names by type, label and identifier (a column whose name
    starts with `named`); ?item and ?at are the item and its time. The facts are read once for every section
    (`_facts`): one query per section read the same nodes again (5.9 against 8.9 ms for an order's pack)."""
    cut = Cut(section.name, section.title, limit=limit)
    full: dict[str, set[ox.NamedNode]] = {}
    named: dict[str, set[ox.NamedNode]] = {}
    times: dict[str, str] = {}
    solutions = store.query(bind_values(section.text, {"focus": ox.NamedNode(focus)}))
    columns = [str(v.value) for v in solutions.variables if str(v.value) not in ("item", "at")]
    for row in solutions:
        found, at = _get(row, "item"), _get(row, "at")
        item = found.value if found is not None else ""
        for column in columns:  # ?named...: type, label and identifier; any other: every statement
            node = _get(row, column)
            if isinstance(node, ox.NamedNode):
                (named if column.startswith("named") else full).setdefault(item, set()).add(node)
        full.setdefault(item, set())
        if at is not None:
            times[item] = max(times.get(item, ""), _instant(at))
    items = sorted((i for i in full if full[i] or named.get(i)), key=lambda i: (times.get(i, ""), i), reverse=True)
    cut.items = len(items) if section.limit is not None else (1 if items else 0)
    kept = items if limit is None or section.limit is None else items[:limit]
    cut.shown = len(kept) if section.limit is not None else cut.items
    return {n for i in kept for n in full[i]}, {n for i in kept for n in named.get(i, ())}, cut


NAMING = (RDF + "type", RDFS + "label", CX + "hasSourceIdentifier")


def _facts(store: Any, nodes: set[ox.NamedNode], only: tuple[str, ...] | None, graphs: set[str]) -> list[ox.Quad]:
    """Every statement about these nodes (or only these properties) in the graphs that hold data.

    On the embedded store each node's statements are read directly, without a query: 3.1 against 6.1 ms for the
    25 nodes of an order's pack at 100,000 customers (the query's join and rows cost as much as the reads)."""
    if not nodes:
        return []
    if not isinstance(store, EmbeddedStore):
        return _facts_by_query(store, nodes, only, graphs)
    keep = {ox.NamedNode(g) for g in graphs}
    predicates: list[ox.NamedNode | None] = [ox.NamedNode(p) for p in only] if only else [None]
    return [q for node in sorted(nodes, key=str) for p in predicates
            for q in store.statements(node, p) if q.graph_name in keep]


def _facts_by_query(store: Any, nodes: set[ox.NamedNode], only: tuple[str, ...] | None,
                    graphs: set[str]) -> list[ox.Quad]:
    """`_facts` on any SPARQL store (an endpoint)."""
    if not nodes:
        return []
    where = "GRAPH ?g { ?s ?p ?o }"
    if only:  # a filter on the rows read from the nodes: a VALUES block for ?p made the store read every
        # statement of these properties (1 s at 10,000 customers for the labels of a few systems)
        where += " FILTER (?p IN (" + ", ".join(str(ox.NamedNode(p)) for p in only) + "))"
    return [ox.Quad(r["s"], r["p"], r["o"], r["g"])
            for query in values_batches(f"SELECT ?s ?p ?o ?g WHERE {{ {where} }}", "s", sorted(nodes, key=str))
            for r in store.query(query) if r["g"].value in graphs]


def _instant(term: Any) -> str:
    """A sortable UTC instant for a date or date-time literal (offsets differ between systems); the lexical
    form for anything else."""
    text = str(term.value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _get(row: Any, name: str) -> Any:
    """A row's value for a variable, None when unbound or not selected."""
    try:
        return row[name]
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _withhold(store: Any, quads: list[ox.Quad], scope: Scope) -> tuple[list[ox.Quad], int]:
    """The facts the scope may see, and how many it may not.

    A withheld property goes; so does every node of a withheld class with every statement pointing at it. A
    recommendation keeps the statements its rules relied on as cx:Fact nodes: a fact stating a withheld
    property, or about a hidden node, is hidden too, and so is a recommendation for a hidden target, with its
    rule firings and their facts."""
    kept = [q for q in quads if q.predicate.value not in scope.withhold_properties]
    if not scope.withhold_classes and not scope.withhold_properties:
        return kept, len(quads) - len(kept)
    hidden: set[str] = set()
    if scope.withhold_classes:
        nodes = {q.subject for q in kept if isinstance(q.subject, ox.NamedNode)} | {
            q.object for q in kept if isinstance(q.object, ox.NamedNode)}
        if nodes:
            classes = " ".join(str(ox.NamedNode(c)) for c in sorted(scope.withhold_classes))
            query = f"SELECT DISTINCT ?it WHERE {{ VALUES ?class {{ {classes} }} ?it a ?class }}"
            rows = store.query(values_rows(query, "it", sorted(nodes, key=str)))
            hidden = {row["it"].value for row in rows}
    pointing = {CX + "isAboutResource", CX + "hadResourceValue", CX + "isRecommendationFor"}
    carried = {CX + "hasRuleFiring", CX + "reliesOn"}
    while True:
        more = set()
        for q in kept:
            subject, obj = str(q.subject)[1:-1], q.object.value if isinstance(q.object, ox.Literal | ox.NamedNode) \
                else ""
            if subject in hidden:
                if q.predicate.value in carried:
                    more.add(obj)  # a hidden recommendation's firings and facts
                continue
            if (q.predicate.value == CX + "hasPropertyIri" and obj in scope.withhold_properties) or (
                    q.predicate.value in pointing and obj in hidden):
                more.add(subject)
        if more <= hidden:
            break
        hidden |= more
    kept = [q for q in kept if str(q.subject)[1:-1] not in hidden
            and not (isinstance(q.object, ox.NamedNode) and q.object.value in hidden)]
    return kept, len(quads) - len(kept)


def _verdicts(store: Any, project: Project, kind: PackKind, focus: str, writer: Writer) -> list[Json]:
    """For an order (a case's order), what the policies scoped to orders allow, forbid or do not allow now,
    with the approvals each action needs and the rules behind it (cxgraph recommend recover, not kept)."""
    from cxgraph.answer.actions import order_of
    from cxgraph.answer.policy import evaluate, policies_for

    order = order_of(store, kind.focus.lower(), focus)
    if order is None or not policies_for(store, project, "order"):  # a catalog may scope no policy to orders
        return []
    evaluations = evaluate(store, project, "order", order)
    return [{"policy": writer.iri(e.policy.iri), "order": writer.iri(e.target), "action": writer.iri(v.action),
             "status": v.status, "approvals": [writer.iri(r) for r in v.approvals],
             "rules": [writer.iri(f.rule.iri) for f in v.firings]}
            for e in evaluations if e.target == order for v in e.verdicts]


def _conflicts(store: Any, project: Project, party: str | None, scope: Scope, writer: Writer) -> list[Json]:
    """Where a system disagrees with the system of record about the party (queries/conflicting-values.rq), for
    the attributes the scope may see."""
    if party is None:
        return []
    from cxgraph.answer.queries import remembered_query, run

    path = project.queries_dir / "conflicting-values.rq"
    if not path.is_file():
        return []
    query = remembered_query(path)
    answer = run(store, query, {"customer": party}, {**PREFIXES, "id": project.id_iri("")})
    rows = [dict(zip(answer.variables, row, strict=True)) for row in answer.rows]
    withheld = set(scope.withhold_properties)
    if withheld:  # the query names an attribute by its label
        withheld |= {str(r["l"].value) for r in store.query(values_rows(
            "SELECT ?l WHERE { ?p <http://www.w3.org/2000/01/rdf-schema#label> ?l }", "p",
            [ox.NamedNode(w) for w in sorted(scope.withhold_properties)]))}
    return [{"attribute": r["attribute"].value, "systemOfRecord": r["systemOfRecord"].value,
             "value": r["recordValue"].value, "otherSystem": r["otherSystem"].value, "otherValue":
             r["otherValue"].value, "otherRecord": writer.iri(r["otherRecord"].value)}
            for r in rows if r.get("attribute") is not None and r["attribute"].value not in withheld]


def _loaded(store: Any, graphs: set[str]) -> dict[str, str]:
    """When each graph was last loaded (its latest source load's end)."""
    found: dict[str, str] = remembered(store, "graphs loaded", lambda: {
        str(row["g"].value): str(row["t"].value) for row in store.query(
            sparql_prologue() + "SELECT ?g (MAX(?end) AS ?t) WHERE { ?load a cx:SourceLoad ; "
            "cx:hasTargetGraph ?g ; prov:endedAtTime ?end } GROUP BY ?g") if row["t"] is not None})
    return {g: found[g] for g in graphs if g in found}


def build_pack(store: Any, project: Project, kind_name: str, given: str, scope_name: str | None = None,
               limits: dict[str, int] | None = None, brief: bool = False, as_of: str | None = None) -> Json:
    """The context pack about `given` for the scope, as a JSON-LD document."""
    kinds = pack_kinds(project)
    if kind_name not in kinds:
        raise CxGraphError(f"unknown pack kind {kind_name!r}; one of {', '.join(kinds)}")
    kind = kinds[kind_name]
    scope = scope_named(project, scope_name)
    limits = limits or {}
    known = set(kind.sections) | set(kind.brief) | set(kind.party_sections)
    sections = {name: load_section(project, name) for name in known}
    limited = {name for name, section in sections.items() if section.limit is not None}
    unknown = sorted(set(limits) - limited)
    if unknown:
        raise CxGraphError(f"--limit names no limited section of a {kind_name} pack: {', '.join(unknown)} "
                           f"(its limited sections: {', '.join(sorted(limited))})")
    negative = sorted(name for name, n in limits.items() if not isinstance(n, int) or n < 0)
    if negative:
        raise CxGraphError(f"--limit {negative[0]}: a limit is a whole number, 0 or more")
    focus = find_focus(store, project, kind, given)
    graphs = {source.graph for source in project.sources.values()} | {
        project.graph_iri(kind) for kind in ("identity", "derived", "recommendations", "actions")}
    plan = [(name, focus) for name in kind.sections + (kind.brief if brief else ())]
    party = _party_of(store, kind, focus)
    if party is not None:
        plan += [(name, party) for name in kind.party_sections]
    writer = Writer(read_context(context_dir(project) / "context.jsonld"),
                    {"id": project.id_iri(""), "graph": project.graph_iri("")})
    # the policy verdicts, the conflicts and the staleness check read other parts of the store than the sections:
    # they run beside them (pyoxigraph answers outside Python's lock) on a worker of this pack's own, so that
    # concurrent requests do not queue behind one another's and an error below waits for it (a caller closes
    # the store once the pack is made or failed)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pack")
    beside = pool.submit(lambda: (
        _conflicts(store, project, party or (focus if kind.focus == "Party" else None), scope, writer),
        _verdicts(store, project, kind, focus, writer),
        [] if as_of else [{"file": b.file, "change": b.change} for b in stale(store, project)]))
    try:
        full: set[ox.NamedNode] = set()
        named: set[ox.NamedNode] = set()
        cuts: list[Cut] = []
        for name, start in plan:
            if scope.sections is not None and name not in scope.sections:
                continue
            section = sections[name]
            section_full, section_named, cut = gather(store, section, start, limits.get(name, section.limit))
            full |= section_full
            named |= section_named
            cuts.append(cut)
        quads = sorted(set(_facts(store, full, None, graphs) + _facts(store, named - full, NAMING, graphs)), key=str)
        quads, withheld = _withhold(store, quads, scope)
        body = writer.graphs(quads)
        used = sorted({q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)})
        loaded = _loaded(store, set(used))
        conflicts, verdicts, behind = beside.result()
    finally:
        pool.shutdown(wait=True)
    header: Json = {
        "kind": kind_name,
        "about": writer.iri(focus),
        "party": writer.iri(party) if party else None,
        "scope": {"name": scope.name, "description": scope.description},
        "asOf": as_of,
        "madeAt": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "facts": len(quads),
        "withheld": withheld,
        "sources": [{"graph": writer.iri(g), "lastLoaded": loaded.get(g)} for g in used],
        "sections": [{"name": c.section, "title": c.title, "items": c.items, "shown": c.shown, "limit": c.limit,
                      "leftOut": c.items - c.shown} for c in cuts],
        "conflicts": conflicts,
        "policy": verdicts,
        "stale": behind,  # project files the store does not follow as they are now (a past build: not compared)
    }
    return {"@context": writer.context({"pack": None}), "pack": header, "@graph": body}
