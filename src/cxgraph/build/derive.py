"""Derived facts: the project's rules (`rules/*.rq`, SPARQL CONSTRUCT kept as data) written into `graph/derived`.

A rule is an asset, like a query or a shape: a business definition (when is a delivery late?) that an
analyst can read and change without touching Python. Each build runs every rule over the union of the
graphs (after identity and reasoning) and swaps the result in as one graph, so a rule's facts are always
those of the data just published. A rule's only parameter is the day the graph describes (`?asOf`),
bound as an xsd:date term in a VALUES block (as named queries bind parameters): `as_of` in sources.yaml
for a reproducible snapshot, else the build's day (UTC).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyoxigraph as ox

from cxgraph.errors import CxGraphError
from cxgraph.progress import Tick, silent
from cxgraph.project import Project
from cxgraph.stores.binding import bind_values
from cxgraph.stores.embedded import GraphStore
from cxgraph.vocab import XSD_DATE
from cxgraph.yamlio import read_header


@dataclass(frozen=True)
class Rule:
    """One derivation rule: a CONSTRUCT query and what it says it derives."""

    id: str
    title: str
    path: Path
    text: str


def rule_files(project: Project) -> list[Path]:
    """The `.rq` files of the registry's `rules:` list (default: the project's rules/ folder), in order."""
    files: list[Path] = []
    for entry in project.rules or (project.rules_dir,):
        if entry.is_dir():
            files += sorted(entry.glob("*.rq"))
        elif entry.is_file():
            files.append(entry)
        elif entry != project.rules_dir:  # a project without rules/ derives nothing; a named one must exist
            raise CxGraphError("no such rules folder or file (rules: in the registry)", entry)
    return files


def load_rules(project: Project) -> list[Rule]:
    """Every rule file; one that is not a CONSTRUCT with an id and a title stops the build, named."""
    rules = []
    seen: dict[str, Path] = {}
    for path in rule_files(project):
        text, header, _lines = read_header(path, "rule")
        if not isinstance(header, dict) or not header.get("id") or not header.get("title"):
            raise CxGraphError("a rule needs a `#+ id:` and a `#+ title:` header", path, 1)
        try:
            parsed = ox.Store().query(bind_values(text, {"asOf": ox.Literal("2000-01-01", datatype=XSD_DATE)}))
        except SyntaxError as exc:
            raise CxGraphError(f"rule is not valid SPARQL: {exc}", path) from None
        if not isinstance(parsed, ox.QueryTriples):
            raise CxGraphError("a rule must be a SPARQL CONSTRUCT query", path)
        rule_id = str(header["id"])
        if rule_id in seen:
            raise CxGraphError(f"rule id {rule_id!r} is also used by {seen[rule_id]}", path, 1)
        seen[rule_id] = path
        rules.append(Rule(id=rule_id, title=str(header["title"]), path=path, text=text))
    return rules


def as_of_day(project: Project) -> date:
    """The day the graph describes: the registry's `as_of`, else today in UTC."""
    return project.as_of or datetime.now(UTC).date()


def derive(store: GraphStore, project: Project, tick: Tick = silent) -> dict[str, int]:
    """Run every rule and swap the union of their results in as the derived graph; counts per rule id.

    A registry lists its rules (`rules: [core, ../rules]`), so an enterprise can replace a project rule
    with its own version (say, which order statuses mean cancelled) without changing the others'.
    `tick` hears the rules run.
    """
    started = time.perf_counter()
    target = project.graph_iri("derived")
    staging = store.scratch_graph(project.staging_graph("derived"), target)
    day = ox.Literal(as_of_day(project).isoformat(), datatype=XSD_DATE)
    counts: dict[str, int] = {}
    graph = ox.NamedNode(staging)
    rules = load_rules(project)
    for done, rule in enumerate(rules):
        tick("derive (rules/)", done, len(rules), "rules")
        try:
            triples = list(store.query(bind_values(rule.text, {"asOf": day})))
        except (SyntaxError, OSError, RuntimeError) as exc:
            raise CxGraphError(f"rule {rule.id} failed: {exc}", rule.path) from None
        store.add_quads(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
        counts[rule.id] = len(triples)
    tick("derive (rules/)", len(rules), len(rules), "rules")
    store.replace_graph(staging, target)
    counts["milliseconds"] = round((time.perf_counter() - started) * 1000)
    return counts
