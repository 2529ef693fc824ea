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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from cxgraph import vocab
from cxgraph.answer.conditions import Condition, Fact, load_condition, moment, run_condition
from cxgraph.answer.policy import ALLOWED, Evaluation
from cxgraph.errors import CxGraphError
from cxgraph.project import Project
from cxgraph.stores.binding import bind_values, values_rows
from cxgraph.vocab import RDF_TYPE, RDFS_LABEL, cx, prov, sparql_prologue

RECOMMENDATIONS = "recommendations"  # the engine graph they are kept in (Project.graph_iri)


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


def triage(store: Any, project: Project, case: str | None = None) -> list[Triage]:
    """Run every triage rule's condition (for one case, or all open cases) and combine what fired per case."""
    rules = triage_rules(store, project)
    fired: dict[str, dict[str, Firing]] = defaultdict(dict)
    cache: dict[str, Condition] = {}
    for rule in rules:
        condition = load_condition(project, rule.condition, cache)
        bindings: dict[str, Any] = {"asOf": moment(project), "threshold": rule.threshold,
                                    condition.input: ox.NamedNode(case) if case is not None else None}
        for target, facts in run_condition(store, condition, bindings).items():
            fired[target][rule.iri] = Firing(rule, facts)
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
    rows = store.query(values_rows(
        sparql_prologue() + "SELECT ?case ?id ?team ?priority WHERE { OPTIONAL { ?case cx:hasSourceIdentifier ?id } "
        "OPTIONAL { ?case cx:isOwnedBy ?team } OPTIONAL { ?case cx:hasPriority ?priority } }",
        "case", [ox.NamedNode(c) for c in cases]))
    def text(term: Any) -> str | None:
        return term.value if term is not None else None

    return {row["case"].value: (text(row["id"]), text(row["team"]), text(row["priority"])) for row in rows}


def given_iri(project: Project, given: str, below: str | None = None) -> str | None:
    """The IRI a user wrote (<...>, id:..., http(s): or urn:), or, with `below`, a bare name taken as
    id:<below>/<name> (refund -> id:action/refund); None when it is no IRI (an identifier to look up)."""
    if given.startswith("<") and given.endswith(">"):
        return given[1:-1]
    if given.startswith("id:"):
        return project.id_iri(given[3:])
    if given.startswith(("http://", "https://", "urn:")):
        return given
    return project.id_iri(f"{below}/{given}") if below is not None else None


def find_resource(store: Any, project: Project, given: str, kind: str, what: str) -> str:
    """A resource of class cx:<kind> named by its IRI (<...>, id:...) or by its identifier in its source system
    (bound as a literal); `what` names it in messages (a case, an order...)."""
    iri = given_iri(project, given)
    cls = cx(kind)
    if iri is not None:
        try:
            node = ox.NamedNode(iri)
        except ValueError as exc:
            raise CxGraphError(f"{given!r} is not a valid IRI ({exc})") from None
        found = store.query(bind_values("ASK { ?it a ?class }", {"it": node, "class": cls}))
        if not bool(found):
            raise CxGraphError(f"<{iri}> is not {what} in the store")
        return iri
    rows = list(store.query(bind_values(
        sparql_prologue() + "SELECT ?it WHERE { ?it a ?class ; cx:hasSourceIdentifier ?id } ORDER BY ?it",
        {"id": ox.Literal(given), "class": cls})))
    if not rows:
        raise CxGraphError(f"no {what.split(' ', 1)[-1]} has the identifier {given!r}; give its IRI (id:...) or "
                           "its identifier in its system")
    if len(rows) > 1:
        raise CxGraphError(f"{len(rows)} {what.split(' ', 1)[-1]}s have the identifier {given!r}; "
                           "give its IRI (id:...)")
    return str(rows[0]["it"].value)


def find_case(store: Any, project: Project, given: str) -> str:
    """A case named by its IRI (<...>, id:...) or by its case number."""
    return find_resource(store, project, given, "Case", "a case")


def names(store: Any, resources: list[str]) -> dict[str, str]:
    """A name to show for each resource: its identifier in its system, else its label (a party's name)."""
    if not resources:
        return {}
    rows = store.query(values_rows(
        sparql_prologue() + "SELECT ?it (SAMPLE(?id) AS ?ident) (SAMPLE(?label) AS ?name) WHERE { "
        "OPTIONAL { ?it cx:hasSourceIdentifier ?id } OPTIONAL { ?it rdfs:label ?label } } GROUP BY ?it",
        "it", [ox.NamedNode(r) for r in resources]))
    found = {}
    for row in rows:
        term = row["ident"] or row["name"]
        if term is not None:
            found[row["it"].value] = term.value
    return found


# --- the recommendations graph -----------------------------------------------------------------------------

def _local(project: Project, iri: str) -> str:
    """The IRI's path below id:, or its percent-encoded IRI otherwise."""
    base = project.id_iri("")
    return iri[len(base):] if iri.startswith(base) else quote(iri, safe="")


def recommendation_iri(project: Project, kind: str, target: str) -> str:
    """id:recommendation/<kind>/<the target's path below id:>, or its percent-encoded IRI otherwise."""
    return project.id_iri(f"recommendation/{kind}/{_local(project, target)}")


def _stamp(made: datetime) -> ox.Literal:
    return ox.Literal(made.replace(microsecond=0).isoformat().replace("+00:00", "Z"), datatype=vocab.XSD_DATETIME)


def _firing_quads(rec: ox.NamedNode, rule: str, facts: list[Fact], graph: ox.NamedNode) -> list[ox.Quad]:
    """A rule that held for the recommendation's target, with each fact as it stood."""
    node = ox.NamedNode(f"{rec.value}/rule/{quote(rule.rsplit('/', 1)[-1], safe='')}")
    quads = [ox.Quad(node, RDF_TYPE, cx("RuleFiring"), graph),
             ox.Quad(rec, cx("hasRuleFiring"), node, graph),
             ox.Quad(node, cx("firedRule"), ox.NamedNode(rule), graph)]
    for index, (record, prop, value) in enumerate(facts, start=1):
        fact = ox.NamedNode(f"{node.value}/fact/{index}")
        quads += [ox.Quad(fact, RDF_TYPE, cx("Fact"), graph),
                  ox.Quad(node, cx("reliesOn"), fact, graph),
                  ox.Quad(fact, cx("isAboutResource"), record, graph),
                  ox.Quad(fact, cx("hasPropertyIri"), ox.Literal(prop.value, datatype=vocab.XSD_ANYURI), graph),
                  ox.Quad(fact, cx("hadLiteralValue") if isinstance(value, ox.Literal)
                          else cx("hadResourceValue"), value, graph),
                  ox.Quad(rec, prov("wasDerivedFrom"), record, graph)]
    return quads


def triage_quads(project: Project, triages: list[Triage], made: datetime) -> list[ox.Quad]:
    """Each case's triage as a cx:Recommendation with its rule firings and the facts as they stood."""
    graph = ox.NamedNode(project.graph_iri(RECOMMENDATIONS))
    quads = []
    for item in triages:
        rec = ox.NamedNode(recommendation_iri(project, "triage", item.case))
        quads += [ox.Quad(rec, RDF_TYPE, cx("Recommendation"), graph),
                  ox.Quad(rec, cx("isRecommendationFor"), ox.NamedNode(item.case), graph),
                  ox.Quad(rec, cx("isPromptedBy"), ox.NamedNode(item.case), graph),
                  ox.Quad(rec, prov("generatedAtTime"), _stamp(made), graph),
                  ox.Quad(rec, RDFS_LABEL, ox.Literal(f"triage of {item.identifier or item.case}"), graph)]
        if item.team:
            quads.append(ox.Quad(rec, cx("recommendsTeam"), ox.NamedNode(item.team), graph))
        if item.priority:
            quads.append(ox.Quad(rec, cx("recommendsPriority"), ox.Literal(item.priority), graph))
        for firing in item.firings:
            quads += _firing_quads(rec, firing.rule.iri, firing.facts, graph)
    return quads


def evaluation_iri(project: Project, kind: str, given: str, target: str, action: str) -> str:
    """id:recommendation/<kind>/<what was asked about>/[<the target, when another>/]<the action's name>."""
    middle = "" if target == given else f"{_local(project, target)}/"
    return recommendation_iri(project, kind, given) + f"/{middle}{quote(action.rsplit('/', 1)[-1], safe='')}"


def evaluation_quads(project: Project, kind: str, evaluations: list[Evaluation], made: datetime,
                     shown: dict[str, str] | None = None) -> list[ox.Quad]:
    """Each action's verdict for each target as a cx:Recommendation: the action recommended (allowed) or advised
    against (forbidden, or no rule allows it), its channel and approvals, and every rule that held with its facts."""
    graph = ox.NamedNode(project.graph_iri(RECOMMENDATIONS))
    shown = shown or {}
    quads = []
    for evaluation in evaluations:
        for verdict in evaluation.verdicts:
            rec = ox.NamedNode(evaluation_iri(project, kind, evaluation.given, evaluation.target, verdict.action))
            label = (f"{shown.get(verdict.action, verdict.action)} for "
                     f"{shown.get(evaluation.target, evaluation.target)}: {verdict.status}")
            quads += [ox.Quad(rec, RDF_TYPE, cx("Recommendation"), graph),
                      ox.Quad(rec, cx("isRecommendationFor"), ox.NamedNode(evaluation.target), graph),
                      ox.Quad(rec, cx("isPromptedBy"), ox.NamedNode(evaluation.given), graph),
                      ox.Quad(rec, cx("recommendsAction") if verdict.status == ALLOWED else cx("advisesAgainstAction"),
                              ox.NamedNode(verdict.action), graph),
                      ox.Quad(rec, prov("generatedAtTime"), _stamp(made), graph),
                      ox.Quad(rec, RDFS_LABEL, ox.Literal(label), graph)]
            if verdict.channel:
                quads.append(ox.Quad(rec, cx("recommendsChannel"), ox.NamedNode(verdict.channel), graph))
            quads += [ox.Quad(rec, cx("needsApprovalBy"), ox.NamedNode(role), graph) for role in verdict.approvals]
            for firing in verdict.firings:  # each with the facts that put the target in scope
                quads += _firing_quads(rec, firing.rule.iri, evaluation.scope_facts + firing.facts, graph)
    return quads


def write_recommendations(store: Any, project: Project, quads: list[ox.Quad], replacing: list[str],
                          lock: Path) -> int:
    """Replace recommendations in the recommendations graph, published whole; quads written.

    `replacing` lists what goes first: a recommendation IRI (exactly), or, ending in "/", the start of the IRIs
    of every recommendation, firing and fact below it."""
    graph = project.graph_iri(RECOMMENDATIONS)
    lock.parent.mkdir(parents=True, exist_ok=True)  # the work folder beside the store (first use on a remote one)
    with store.workspace(lock) as ws:
        ws.fetch([graph] if graph in ws.target_graphs else [])  # a remote store answers 404 for a missing graph
        for start in replacing:
            test = f"STR(?s) = {ox.Literal(start)}" if not start.endswith("/") else \
                f"STRSTARTS(STR(?s), {ox.Literal(start)})"
            ws.store.update(f"DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o "
                            f"FILTER({test}) }} }}")
        ws.store.add_quads(quads)
        ws.publish([graph])
    return len(quads)


def write_triage(store: Any, project: Project, triages: list[Triage], lock: Path,
                 made: datetime | None = None, every_case: bool = False) -> int:
    """Replace these cases' triage recommendations; quads written. Every case's triage (a run over all open cases)
    replaces every earlier one, so a case that closed loses its recommendation; one case's replaces that case's."""
    quads = triage_quads(project, triages, made or datetime.now(UTC))
    if every_case:
        starts = [recommendation_iri(project, "triage", "")]
    else:
        starts = [f"{recommendation_iri(project, 'triage', item.case)}{end}" for item in triages for end in ("", "/")]
    return write_recommendations(store, project, quads, starts, lock)


def write_evaluations(store: Any, project: Project, kind: str, given: str, evaluations: list[Evaluation],
                      lock: Path, made: datetime | None = None, shown: dict[str, str] | None = None) -> int:
    """Replace every `kind` recommendation made for `given` (an order, campaign or signal) with these; quads
    written. A target that left the scope (the customer called, the send was cancelled) loses its own."""
    quads = evaluation_quads(project, kind, evaluations, made or datetime.now(UTC), shown)
    return write_recommendations(store, project, quads, [recommendation_iri(project, kind, given) + "/"], lock)
