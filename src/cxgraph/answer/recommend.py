"""Triage recommendations (competency question 7): which team, what priority, and why, from rules kept as data.

A triage rule is a catalog entry (cx:TriageRule): the team it routes to or the priority it sets, a threshold,
and the name of a condition query, a SPARQL file of the project (`rules/conditions/<name>.rq`). The
engine runs each rule's condition with the rule's threshold and the graph's moment bound as RDF terms;
each row names a case and one statement the condition relied on (`?record ?property ?value`). Per case:
the routing rule with the lowest precedence chooses the team, the highest priority any rule sets wins,
and every rule that fired is kept with its facts. Nothing about teams, priorities or thresholds is here.

Recommendations are written to the recommendations graph (made again, a case's recommendation replaces
the old one), each fact as it stood, so validation can say when one no longer holds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from cxgraph import vocab
from cxgraph.errors import CxGraphError
from cxgraph.project import Project
from cxgraph.stores.remote import bind_values
from cxgraph.vocab import RDF_TYPE, RDFS_LABEL, cx, prov, sparql_prologue
from cxgraph.yamlio import read_header

RECOMMENDATIONS = "recommendations"  # the engine graph they are kept in (Project.graph_iri)
Fact = tuple[Any, Any, Any]  # (record, property, value) as RDF terms


@dataclass(frozen=True)
class TriageRule:
    """A catalog triage rule, as the graph holds it."""

    iri: str
    label: str
    condition: str  # the condition query's name
    threshold: ox.Literal | None
    team: str | None
    priority: str | None
    precedence: int | None
    urgency: float | None = None  # the resolution hours of the priority's service level agreement: lower wins


@dataclass
class Firing:
    """One rule whose condition held for a case, with the statements it relied on."""

    rule: TriageRule
    facts: list[Fact] = field(default_factory=list)


@dataclass
class Triage:
    """The recommendation for one case: team and priority (None when no rule sets them), and every firing."""

    case: str
    identifier: str | None
    current_team: str | None
    current_priority: str | None
    firings: list[Firing] = field(default_factory=list)

    @property
    def team(self) -> str | None:
        routing = sorted((f.rule for f in self.firings if f.rule.team),
                         key=lambda r: (r.precedence if r.precedence is not None else 1 << 30, r.iri))
        return routing[0].team if routing else None

    @property
    def priority(self) -> str | None:
        """The most urgent priority a rule sets: the one whose service level agreement resolves soonest (the
        catalog's data, not an order of names)."""
        found = sorted((f.rule.urgency if f.rule.urgency is not None else float("inf"), f.rule.priority)
                       for f in self.firings if f.rule.priority)
        return found[0][1] if found else None


def triage_rules(store: Any, project: Project) -> list[TriageRule]:
    """Every triage rule of the catalog, in IRI order."""
    rows = store.query(sparql_prologue() + """
        SELECT ?rule ?label ?query ?threshold ?team ?priority ?precedence (MIN(?hours) AS ?urgency) WHERE {
          ?rule a cx:TriageRule ; cx:hasConditionQuery ?query .
          OPTIONAL { ?rule rdfs:label ?label }
          OPTIONAL { ?rule cx:hasThresholdValue ?threshold }
          OPTIONAL { ?rule cx:routesToTeam ?team }
          OPTIONAL { ?rule cx:setsPriority ?priority
                     OPTIONAL { ?sla cx:appliesToPriority ?priority ; cx:hasResolutionTargetHours ?hours } }
          OPTIONAL { ?rule cx:hasPrecedence ?precedence }
        } GROUP BY ?rule ?label ?query ?threshold ?team ?priority ?precedence ORDER BY ?rule""")
    found = []
    for row in rows:
        found.append(TriageRule(
            iri=row["rule"].value, label=row["label"].value if row["label"] else row["rule"].value,
            condition=row["query"].value, threshold=row["threshold"],
            team=row["team"].value if row["team"] else None,
            priority=row["priority"].value if row["priority"] else None,
            precedence=int(row["precedence"].value) if row["precedence"] else None,
            urgency=float(row["urgency"].value) if row["urgency"] else None))
    return found


def condition_text(project: Project, name: str) -> str:
    """A condition query's SPARQL, read from the project's conditions folder (its header checked)."""
    path = project.conditions_dir / f"{name}.rq"
    if not path.is_file():
        raise CxGraphError(f"a triage rule names the condition query {name!r}, but there is no {path.name} in "
                           f"{project.conditions_dir}")
    text, header, _lines = read_header(path, "condition")
    if not isinstance(header, dict) or "title" not in header:
        raise CxGraphError("a condition query needs a `#+ title:` header", path)
    return text


def moment(project: Project) -> ox.Literal:
    """The moment the graph describes: the start (UTC) of the registry's `as_of` day, else now."""
    when = (datetime.combine(project.as_of, time(), UTC) if project.as_of else datetime.now(UTC)).replace(
        microsecond=0)
    return ox.Literal(when.isoformat().replace("+00:00", "Z"), datatype=vocab.XSD_DATETIME)


def triage(store: Any, project: Project, case: str | None = None) -> list[Triage]:
    """Run every triage rule's condition (for one case, or all open cases) and combine what fired per case."""
    rules = triage_rules(store, project)
    fired: dict[str, dict[str, Firing]] = defaultdict(dict)
    for rule in rules:
        bindings: dict[str, Any] = {"asOf": moment(project)}
        if rule.threshold is not None:
            bindings["threshold"] = rule.threshold
        if case is not None:
            bindings["case"] = ox.NamedNode(case)
        text = condition_text(project, rule.condition)
        try:
            rows = store.query(bind_values(text, bindings))
        except (SyntaxError, ValueError) as exc:
            raise CxGraphError(f"condition query {rule.condition!r} of rule <{rule.iri}> cannot run: {exc}",
                               project.conditions_dir / f"{rule.condition}.rq") from None
        for row in rows:
            target = row["case"].value
            firing = fired[target].setdefault(rule.iri, Firing(rule))
            fact = (row["record"], row["property"], row["value"])
            if None not in fact and fact not in firing.facts:
                firing.facts.append(fact)
    targets = [case] if case is not None else _open_cases(store)
    targets = sorted(set(targets) | (set(fired) if case is None else set()))
    about = _cases(store, targets)
    return [Triage(target, *about.get(target, (None, None, None)),
                   firings=[fired[target][r.iri] for r in rules if r.iri in fired.get(target, {})])
            for target in targets]


def _open_cases(store: Any) -> list[str]:
    rows = store.query(sparql_prologue() + "SELECT ?case WHERE { ?case a cx:Case "
                       "FILTER NOT EXISTS { ?case cx:closedAt ?closed } }")
    return [row["case"].value for row in rows]


def _cases(store: Any, cases: list[str]) -> dict[str, tuple[str | None, str | None, str | None]]:
    """Case -> (source identifier, the team that owns it, its priority), as the source systems say."""
    if not cases:
        return {}
    values = " ".join(str(ox.NamedNode(c)) for c in cases)
    rows = store.query(sparql_prologue() + f"SELECT ?case ?id ?team ?priority WHERE {{ VALUES ?case {{ {values} }} "
                       "OPTIONAL { ?case cx:hasSourceIdentifier ?id } OPTIONAL { ?case cx:isOwnedBy ?team } "
                       "OPTIONAL { ?case cx:hasPriority ?priority } }")
    def text(term: Any) -> str | None:
        return term.value if term is not None else None

    return {row["case"].value: (text(row["id"]), text(row["team"]), text(row["priority"])) for row in rows}


def find_case(store: Any, project: Project, given: str) -> str:
    """A case named by its IRI (<...>, id:...) or by its identifier in the source system (bound as a literal)."""
    iri = (given[1:-1] if given.startswith("<") and given.endswith(">") else
           project.id_iri(given[3:]) if given.startswith("id:") else
           given if given.startswith(("http://", "https://", "urn:")) else None)
    if iri is not None:
        try:
            node = ox.NamedNode(iri)
        except ValueError as exc:
            raise CxGraphError(f"{given!r} is not a valid IRI ({exc})") from None
        found = store.query(bind_values(sparql_prologue() + "ASK { ?case a cx:Case }", {"case": node}))
        if not bool(found):
            raise CxGraphError(f"<{iri}> is not a case in the store")
        return iri
    rows = list(store.query(bind_values(
        sparql_prologue() + "SELECT ?case WHERE { ?case a cx:Case ; cx:hasSourceIdentifier ?id } ORDER BY ?case",
        {"id": ox.Literal(given)})))
    if not rows:
        raise CxGraphError(f"no case has the identifier {given!r}; give its IRI (id:...) or a case number")
    if len(rows) > 1:
        raise CxGraphError(f"{len(rows)} cases have the identifier {given!r}; give its IRI (id:...)")
    return str(rows[0]["case"].value)


# --- the recommendations graph -----------------------------------------------------------------------------

def recommendation_iri(project: Project, kind: str, target: str) -> str:
    """id:recommendation/<kind>/<the target's path below id:>, or its percent-encoded IRI otherwise."""
    base = project.id_iri("")
    local = target[len(base):] if target.startswith(base) else quote(target, safe="")
    return project.id_iri(f"recommendation/{kind}/{local}")


def triage_quads(project: Project, triages: list[Triage], made: datetime) -> list[ox.Quad]:
    """Each case's triage as a cx:Recommendation with its rule firings and the facts as they stood."""
    graph = ox.NamedNode(project.graph_iri(RECOMMENDATIONS))
    stamp = ox.Literal(made.replace(microsecond=0).isoformat().replace("+00:00", "Z"), datatype=vocab.XSD_DATETIME)
    quads = []
    for item in triages:
        rec = ox.NamedNode(recommendation_iri(project, "triage", item.case))
        quads += [ox.Quad(rec, RDF_TYPE, cx("Recommendation"), graph),
                  ox.Quad(rec, cx("isRecommendationFor"), ox.NamedNode(item.case), graph),
                  ox.Quad(rec, prov("generatedAtTime"), stamp, graph),
                  ox.Quad(rec, RDFS_LABEL, ox.Literal(f"triage of {item.identifier or item.case}"), graph)]
        if item.team:
            quads.append(ox.Quad(rec, cx("recommendsTeam"), ox.NamedNode(item.team), graph))
        if item.priority:
            quads.append(ox.Quad(rec, cx("recommendsPriority"), ox.Literal(item.priority), graph))
        for firing in item.firings:
            node = ox.NamedNode(f"{rec.value}/rule/{quote(firing.rule.iri.rsplit('/', 1)[-1], safe='')}")
            quads += [ox.Quad(node, RDF_TYPE, cx("RuleFiring"), graph),
                      ox.Quad(rec, cx("hasRuleFiring"), node, graph),
                      ox.Quad(node, cx("firedRule"), ox.NamedNode(firing.rule.iri), graph)]
            for index, (record, prop, value) in enumerate(firing.facts, start=1):
                fact = ox.NamedNode(f"{node.value}/fact/{index}")
                quads += [ox.Quad(fact, RDF_TYPE, cx("Fact"), graph),
                          ox.Quad(node, cx("reliesOn"), fact, graph),
                          ox.Quad(fact, cx("isAboutResource"), record, graph),
                          ox.Quad(fact, cx("hasPropertyIri"), ox.Literal(prop.value, datatype=vocab.XSD_ANYURI),
                                  graph),
                          ox.Quad(fact, cx("hadLiteralValue") if isinstance(value, ox.Literal)
                                  else cx("hadResourceValue"), value, graph),
                          ox.Quad(rec, prov("wasDerivedFrom"), record, graph)]
    return quads


def write_triage(store: Any, project: Project, triages: list[Triage], lock: Path,
                 made: datetime | None = None, every_case: bool = False) -> int:
    """Replace these cases' triage recommendations in the recommendations graph, published whole; quads written."""
    graph = project.graph_iri(RECOMMENDATIONS)
    quads = triage_quads(project, triages, made or datetime.now(UTC))
    # every case's triage (a run over all open cases) replaces every earlier one, so a case that closed loses its
    # recommendation; one case's replaces that case's
    if every_case:
        starts = [recommendation_iri(project, "triage", "")]
    else:
        starts = [f"{recommendation_iri(project, 'triage', item.case)}{end}" for item in triages for end in ("", "/")]
    lock.parent.mkdir(parents=True, exist_ok=True)  # the work folder beside the store (first use on a remote one)
    with store.workspace(lock) as ws:
        ws.fetch([graph] if graph in ws.target_graphs else [])  # a remote store answers 404 for a missing graph
        for start in starts:  # a recommendation IRI, or the start of those of its firings and facts
            test = f"STR(?s) = {ox.Literal(start)}" if not start.endswith("/") else \
                f"STRSTARTS(STR(?s), {ox.Literal(start)})"
            ws.store.update(f"DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o "
                            f"FILTER({test}) }} }}")
        ws.store.add_quads(quads)
        ws.publish([graph])
    return len(quads)
