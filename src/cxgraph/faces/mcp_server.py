"""`cxgraph mcp`: the graph as a Model Context Protocol server (the official `mcp` SDK, stdio transport).

An assistant gets its context in one tool call, the same JSON the CLI and the HTTP API give, cut to the scope
the server was started with (`--scope`: whoever launches the server decides what the assistant may see; no
tool takes a scope, so a prompt cannot widen it). Read-only: recommendations are made, not kept. Resources:
the ontology (Turtle) and the query catalog.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from cxgraph.answer.context import build_pack, scope_named
from cxgraph.answer.explain import explain, find_decision
from cxgraph.answer.policy import evaluate
from cxgraph.answer.queries import catalog, run
from cxgraph.answer.recommend import find_case, find_resource, names, triage
from cxgraph.answer.render import to_json
from cxgraph.check.docs import merged_ontology
from cxgraph.errors import CxGraphError
from cxgraph.project import Project
from cxgraph.stores.embedded import EmbeddedStore, damage
from cxgraph.stores.remote import Endpoint, RemoteStore
from cxgraph.vocab import PREFIXES

# recommend's kinds: (the kind a policy is scoped to, its class, how it is named)
KINDS = {"recover": ("order", "Order", "an order"), "suppress": ("campaign", "Campaign", "a campaign"),
         "outreach": ("signal", "Signal", "a signal")}

INSTRUCTIONS = """cxgraph holds one enterprise's customer-experience context graph: who each customer is in every
system, their cases, orders, payments, interactions, the signals and policies that affect them, and
recommendations with their reasons. Call customer_context, case_context or order_context first: each returns a
JSON-LD pack where every fact sits in the named graph of the system it came from (its header says when each
system was last loaded and what was left out). Use run_query for a named question (list_queries lists them),
recommend for what policy allows now, explain_decision for why a past decision was taken. Quote identifiers
(case numbers, order numbers) as the packs give them; do not guess facts the pack does not hold."""


F = TypeVar("F", bound=Callable[..., Any])


def _said(fn: F) -> F:
    """A tool whose refusals (an unknown customer, a bad parameter) reach the assistant as the same one-line
    message the CLI prints, not as a generic failure."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CxGraphError as exc:
            raise ToolError(str(exc)) from None
        except (RuntimeError, OSError) as exc:  # RocksDB met damage while a query's results were read
            damaged = damage(exc)
            if damaged is None:
                raise
            raise ToolError(str(damaged)) from None
    return wrapper  # type: ignore[return-value]


def create_server(project: Project, store: Path | None, endpoint: Endpoint | None, scope: str | None,
                  agent: str = "mcp-assistant", lock: Path | None = None) -> MCPServer:
    """The MCP server over the embedded store at `store` or a remote `endpoint`, every answer cut to `scope`;
    actions it proposes are recorded as proposed by the AI agent `agent`."""
    role = scope_named(project, scope)  # an unknown scope stops the server before it starts
    chosen = role.name
    queries = catalog(project.queries_dir)
    ids = {**PREFIXES, "id": project.id_iri("")}
    server = MCPServer("cxgraph", instructions=INSTRUCTIONS, version="1")

    def with_store(fn: Any) -> Any:
        graph: Any = RemoteStore(endpoint) if endpoint is not None else EmbeddedStore(store)
        try:
            return fn(graph)
        finally:
            if isinstance(graph, EmbeddedStore):
                graph.close()

    def pack(kind: str, given: str, limits: dict[str, int] | None, brief: bool = False) -> dict[str, Any]:
        return with_store(lambda g: build_pack(g, project, kind, given, chosen, limits or {}, brief))

    @server.tool()
    @_said
    def customer_context(customer: str, limits: dict[str, int] | None = None) -> dict[str, Any]:
        """Everything the graph holds about one customer, as a JSON-LD context pack: the resolved party and each
        of its records in each system (with the system of record for each customer definition), cases with
        their workflow step, orders with shipments and refunds, interactions, invoices and payments, signals
        that affect them, offers sent, and kept recommendations. `customer` is a customer record's identifier
        in its system (0030000101, BA-500101, cus_arees001) or an IRI (id:crm/contact/0030000101, id:party/...).
        `limits` keeps the N most recent items of a section ({"orders": 3}); the pack says what it left out."""
        return pack("customer", customer, limits)

    @server.tool()
    @_said
    def case_context(case: str, brief: bool = False, limits: dict[str, int] | None = None) -> dict[str, Any]:
        """Everything about one service case, as a JSON-LD context pack: the case, its workflow instance and
        current step, its decisions and approvals, the customer context its category is handled in (so which
        customer definition applies), the policy rules for its category (actions allowed or forbidden,
        thresholds, approvals needed), the order or invoice it is about, and the customer's context. `case` is
        the case number (CS0010421) or its IRI. `brief` adds the knowledge articles for its category."""
        return pack("case", case, limits, brief)

    @server.tool()
    @_said
    def order_context(order: str, limits: dict[str, int] | None = None) -> dict[str, Any]:
        """Everything about one order, as a JSON-LD context pack: lines, fulfilments, shipments and carrier
        events, stock of its products at every warehouse location (and in shadow copies), refunds, invoices,
        cases about it, and the customer's context. `order` is the order number (WEB-104211) or its IRI."""
        return pack("order", order, limits)

    @server.tool()
    @_said
    def list_queries() -> list[dict[str, Any]]:
        """The named questions the graph answers (customer records across systems, system of record, conflicts,
        workflows in motion, governing rules, journey, impact of a system outage, desire paths, a decision
        explained, kept recommendations, definition in context), each with its parameters and an example."""
        return [{"name": q.name, "title": q.title, "question": q.question,
                 "params": {p.name: {"type": p.type, "description": p.description, "example": p.example,
                                     "required": p.required} for p in q.params.values()}}
                for q in queries.values() if role.may_query(q.name)]

    @server.tool()
    @_said
    def run_query(name: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """Answer one named question (see list_queries) with its parameters, e.g. name="customer-journey",
        params={"customer": "id:crm/contact/0030000101"}. Returns SPARQL 1.1 JSON results. Parameters are bound
        as RDF terms, never pasted into the query."""
        if name not in queries or not role.may_query(name):
            raise CxGraphError(f"no query named {name!r} in this scope; one of "
                               f"{', '.join(q for q in queries if role.may_query(q))}")
        answer = with_store(lambda g: run(g, queries[name], params or {}, ids))
        return dict(json.loads(to_json(answer)))

    @server.tool()
    @_said
    def explain_decision(decision: str) -> dict[str, Any]:
        """Why a decision was taken and whether it still holds: what was decided, by whom (a person or a
        system), with whose approval in which role, under which rules, from which records, when; for each rule,
        whether its condition holds on today's graph and what policy says about the action now, and which
        approvals are missing. `decision` is the decision record's identifier (DEC-10421) or its IRI."""
        from cxgraph.answer.payloads import explanation_json as as_json

        def answer(graph: Any) -> dict[str, Any]:
            found = explain(graph, project, find_decision(graph, project, decision))
            return dict(role.cut(as_json(project, found)))
        return dict(with_store(answer))

    @server.tool()
    @_said
    def recommend(kind: str, about: str) -> list[dict[str, Any]]:
        """What the enterprise's rules recommend now, with every rule that held and the facts it used:
        kind="triage" for a case (team and priority), "recover" for a delayed order (refund, replacement,
        goodwill credit, exception: allowed, forbidden or not allowed, and the approvals needed), "suppress" for
        a campaign (which sends to hold back and why), "outreach" for a signal (which affected customers to
        contact, on which channel). `about` is the case, order, campaign or signal (identifier or IRI)."""
        from cxgraph.answer.payloads import evaluations_json
        from cxgraph.answer.payloads import triage_json as as_json

        def answer(graph: Any) -> list[dict[str, Any]]:
            if kind == "triage":
                return list(role.cut(as_json(project, triage(graph, project, find_case(graph, project, about)))))
            if kind not in KINDS:
                raise CxGraphError(f"unknown kind {kind!r}; one of triage, {', '.join(KINDS)}")
            given_kind, cls, what = KINDS[kind]
            target = find_resource(graph, project, about, cls, what)
            evaluations = evaluate(graph, project, given_kind, target)
            shown = names(graph, sorted({target} | {e.target for e in evaluations}
                                        | {v.action for e in evaluations for v in e.verdicts}))
            return list(role.cut(evaluations_json(project, evaluations, shown)))
        return list(with_store(answer))

    @server.tool()
    @_said
    def propose_action(on: str, target: str, action: str, amount: str | None = None, currency: str | None = None,
                       note: str | None = None) -> dict[str, Any]:
        """Propose an action for a person to carry out, checked against the enterprise's policy rules first:
        on="case" | "order" | "customer", target its number (CS0010421, WEB-104211) or identifier, action a type
        such as refund, replacement, reship, goodwill_credit or exception, amount as a decimal string with its
        currency. The answer says whether it is approved (a rule allows it without approval), needs approval
        (by which role) or rejected (by which rule); it is recorded either way, as proposed by this assistant,
        and never changes a source system. Do not tell a customer an action is done: it is only proposed."""
        from cxgraph.answer.actions import find_actor, propose
        from cxgraph.answer.payloads import proposal_json

        def answer(graph: Any) -> dict[str, Any]:
            who = find_actor(graph, project, agent, "ai-agent", chosen)
            return proposal_json(project, propose(graph, project, on, target, action, amount, currency, who, note,
                                                  lock or Path(".cxgraph/build.lock")))
        return dict(with_store(answer))

    @server.resource("cxgraph://ontology", name="ontology", mime_type="text/turtle",
                     description="The cxgraph OWL ontology (every module), in Turtle.")
    def ontology() -> str:
        return str(merged_ontology(project.ontology).serialize(format="turtle"))

    @server.resource("cxgraph://queries", name="query-catalog", mime_type="application/json",
                     description="The named questions with their parameters.")
    def query_catalog() -> str:
        return json.dumps(list_queries(), ensure_ascii=False)  # the queries this scope may run

    @server.resource("cxgraph://queries/{name}", name="query", mime_type="application/sparql-query",
                     description="One named question's SPARQL, with its header.")
    def query_text(name: str) -> str:
        if name not in queries or not role.may_query(name):
            raise CxGraphError(f"no query named {name!r}")
        return queries[name].text

    return server
