"""Governed actions (issue 11, item 6): a proposed action is checked against the policy rules kept as data and
recorded in the actions graph, never in a source graph; a refusal names its rule, an action above a threshold
waits for the role the rule names, an approved one is a task and is explained. CLI, HTTP and MCP agree."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import anyio
import httpx
import pyoxigraph as ox
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

from conftest import CX, CXGRAPH, ID, ROOT, Built, cx, write_store
from cxgraph.stores.embedded import EmbeddedStore
from test_endpoint import running_api

ACTIONS = "https://data.brightwater.example/graph/actions"


@pytest.fixture()
def store(sample: Built, tmp_path: Path) -> Path:
    return write_store(tmp_path / ".cxgraph" / "store", sample.store.raw)


def act(store: Path, *args: str) -> tuple[int, Any]:
    proc = cx("act", *args, cwd=store.parent.parent, store=store)
    assert "Traceback" not in proc.stderr
    try:
        return proc.returncode, json.loads(proc.stdout)
    except json.JSONDecodeError:
        return proc.returncode, proc.stdout + proc.stderr


def graphs(store: Path) -> dict[str, int]:
    reader = EmbeddedStore(store)
    try:
        return {g: reader.count(g) for g in reader.named_graphs()}
    finally:
        reader.close()


def test_a_forbidden_action_is_refused_with_its_rule_and_recorded(store: Path) -> None:
    before = graphs(store)
    code, body = act(store, "propose", "order", "WEB-104211", "--action", "refund", "--amount", "50", "--currency",
                     "GBP", "--actor", "helper-bot", "--actor-kind", "ai-agent", "--scope", "ai-service-assistant",
                     "--format", "json")
    assert code == 1
    assert (body["status"], body["refused_by"], body["reason"]) == (
        "rejected", [ID + "rule/dr-no-second-refund"], "forbidden by dr-no-second-refund")
    assert ID + "billing/refund/RF-104211" in body["used"]  # the refund the rule relied on
    after = graphs(store)
    assert {g: n for g, n in after.items() if g != ACTIONS} == before  # no source graph changed
    reader = EmbeddedStore(store)
    try:
        kept = {(str(q.predicate.value).rsplit("#", 1)[-1], str(q.object)) for q in reader.raw.quads_for_pattern(
            ox.NamedNode(body["proposal"]), None, None, ox.NamedNode(ACTIONS))}
        agent = {str(q.object) for q in reader.raw.quads_for_pattern(
            ox.NamedNode(ID + "agent/helper-bot"), ox.NamedNode(CX + "actsInScope"), None, None)}
    finally:
        reader.close()
    assert ("hasProposalStatus", '"rejected"') in kept
    assert ("isRefusedByRule", f"<{ID}rule/dr-no-second-refund>") in kept
    assert agent == {'"ai-service-assistant"'}


def test_above_a_threshold_it_waits_for_the_role_then_is_a_task_and_explained(store: Path) -> None:
    code, small = act(store, "propose", "order", "WEB-140201", "--action", "refund", "--amount", "50", "--currency",
                      "EUR", "--actor", "EMP-1002", "--format", "json")
    assert code == 0 and (small["status"], small["rules_applied"], small["awaits_approval_by"]) == (
        "approved", [ID + "rule/dr-refund-delayed"], [])  # 50 <= 100: the approval rule does not apply
    code, big = act(store, "propose", "order", "WEB-140201", "--action", "refund", "--amount", "150", "--currency",
                    "EUR", "--actor", "EMP-1002", "--note", "customer missed a trip", "--format", "json")
    assert code == 0 and (big["status"], big["awaits_approval_by"]) == ("needs approval", [ID + "role/supervisor"])
    assert big["reason"] == "allowed by dr-refund-approval, dr-refund-delayed; approval needed by supervisor"
    proposal = big["proposal"].rsplit("/", 1)[1]
    code, text = act(store, "approve", proposal, "--by", "EMP-1003")  # Aisling Nolan is an agent
    assert code == 2 and "holds" in text and "awaits approval by" in text
    _code, own = act(store, "propose", "order", "WEB-140201", "--action", "refund", "--amount", "150", "--currency",
                     "EUR", "--actor", "EMP-1001", "--format", "json")
    code, text = act(store, "approve", own["proposal"].rsplit("/", 1)[1], "--by", "EMP-1001")
    assert code == 2 and "proposed it" in text  # the supervisor cannot approve her own proposal
    assert [t["amount"] for t in act(store, "tasks")[1]] == ["50"]  # not yet a task
    code, text = act(store, "approve", proposal, "--by", "EMP-1001")
    assert code == 0, text
    code, text = act(store, "reject", proposal, "--by", "EMP-1001")
    assert code == 2 and "is approved" in text
    code, tasks = act(store, "tasks")
    assert [(t["amount"], t["approved_by"], t["identifier"]) for t in tasks] == [
        ("50", "policy", "WEB-140201"), ("150", ID + "employee/EMP-1001", "WEB-140201")]
    proc = cx("act", "tasks", "--format", "csv", cwd=store.parent.parent, store=store)
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [r["task"] for r in rows] == [t["task"] for t in tasks] and rows[1]["rules"].split() == [
        ID + "rule/dr-refund-approval", ID + "rule/dr-refund-delayed"]
    explained = cx("explain", big["proposal"], "--format", "json", cwd=store.parent.parent, store=store)
    body = json.loads(explained.stdout)
    assert body["missing_approvals"] == [] and body["approvals"][0]["given_by"] == ID + "employee/EMP-1001"
    assert body["amount"] == "150" and [r["rule"] for r in body["rules"]] == [
        ID + "rule/dr-refund-approval", ID + "rule/dr-refund-delayed"]


def test_a_case_is_checked_against_its_own_categorys_rules(store: Path) -> None:
    """Scenario (b)'s billing dispute: its order's delivery rules do not count; the dispute's rules do."""
    _code, big = act(store, "propose", "case", "CS0018812", "--action", "goodwill_credit", "--amount", "300",
                     "--currency", "EUR", "--actor", "EMP-1201", "--format", "json")
    assert (big["status"], big["awaits_approval_by"]) == ("needs approval", [ID + "role/finance_lead"])
    _code, small = act(store, "propose", "case", "CS0018812", "--action", "goodwill_credit", "--amount", "30",
                       "--currency", "EUR", "--actor", "EMP-1201", "--format", "json")
    assert (small["status"], small["rules_applied"]) == ("approved", [ID + "rule/bd-adjustment"])
    code, reversal = act(store, "propose", "case", "CS0018812", "--action", "chargeback_reversal", "--actor",
                         "EMP-1201", "--format", "json")
    assert code == 1 and reversal["refused_by"] == [ID + "rule/bd-no-reversal"]
    code, nothing = act(store, "propose", "customer", "0030000101", "--action", "refund", "--actor", "EMP-1002",
                        "--format", "json")
    assert code == 1 and nothing["reason"] == "no rule of the catalog allows it"
    # a refund in a billing dispute: only the rule for adjustments above 250 allows it, so not 200
    code, mid = act(store, "propose", "case", "CS0018812", "--action", "refund", "--amount", "200", "--currency",
                    "EUR", "--actor", "EMP-1201", "--format", "json")
    assert code == 1 and (mid["status"], mid["reason"]) == (
        "rejected", "no rule allows it at this amount: bd-adjustment-approval")
    _code, big_refund = act(store, "propose", "case", "CS0018812", "--action", "refund", "--amount", "300",
                            "--currency", "EUR", "--actor", "EMP-1201", "--format", "json")
    assert big_refund["awaits_approval_by"] == [ID + "role/finance_lead"]


def test_notes_follow_ups_and_escalations_on_any_case(store: Path) -> None:
    """The case-handling policy's rules have no category: any case may get a note or a follow-up, and an
    escalation waits for a supervisor; an order is no case."""
    _code, note = act(store, "propose", "case", "CS0010421", "--action", "note", "--note", "customer asked for news",
                      "--actor", "helper", "--actor-kind", "ai-agent", "--scope", "ai-service-assistant",
                      "--format", "json")
    assert (note["status"], note["rules_applied"]) == ("approved", [ID + "rule/ch-note"])
    _code, escalation = act(store, "propose", "case", "CS0018812", "--action", "escalation", "--actor", "EMP-1201",
                            "--format", "json")
    assert (escalation["status"], escalation["awaits_approval_by"]) == ("needs approval", [ID + "role/supervisor"])
    code, order = act(store, "propose", "order", "WEB-104211", "--action", "follow_up", "--actor", "EMP-1002",
                      "--format", "json")
    assert code == 1 and order["reason"] == "no rule of the catalog allows it"


def test_a_recorded_proposal_and_who_proposed_it_are_in_the_customers_pack(sample: Built, store: Path) -> None:
    """The customer pack's proposals section gives the proposal's own statements and its proposer's. Before, a
    group binding ?s to the proposal bound nothing: a proposal on a customer record reached no pack (one on an
    order or a case came in through that section)."""
    from cxgraph.answer.context import build_pack

    code, body = act(store, "propose", "customer", "0030000101", "--action", "refund", "--actor", "helper-bot",
                     "--actor-kind", "ai-agent", "--format", "json")
    assert code == 1 and body["reason"] == "no rule of the catalog allows it"
    reader = EmbeddedStore(store)
    try:
        pack = build_pack(reader, sample.project, "customer", "0030000101")
    finally:
        reader.close()
    section = next(s for s in pack["pack"]["sections"] if s["name"] == "proposals")
    assert (section["items"], section["shown"]) == (1, 1)
    actions = next(g["@graph"] for g in pack["@graph"] if g["@id"] == "graph:actions")
    written = {node["@id"]: node for node in actions}
    node = written[body["proposal"].replace(ID, "id:")]
    assert "ActionProposal" in node["@type"] and node["concernsCustomerRecord"] == "id:crm/contact/0030000101"
    agent = node["wasAssociatedWith"] if "wasAssociatedWith" in node else node["prov:wasAssociatedWith"]["@id"]
    assert agent in written and len(written[agent]) > 1  # the proposer's own statements too


@pytest.mark.parametrize(("args", "needle"), [
    (("--action", "teleport"), "no action type 'teleport' in the catalog"),
    (("--action", "refund", "--amount", "lots", "--currency", "EUR"), "amount 'lots' is not a number"),
    (("--action", "refund", "--amount", "-5", "--currency", "EUR"), "must be zero or more"),
    (("--action", "refund", "--amount", "5"), "an amount needs its --currency"),
    (("--action", "re fund"), "'re fund' cannot be part of an IRI"),
])
def test_bad_proposals_are_refused_before_anything_is_recorded(store: Path, args: tuple[str, ...],
                                                               needle: str) -> None:
    before = graphs(store)
    code, text = act(store, "propose", "order", "WEB-140201", *args, "--actor", "EMP-1002")
    assert code == 2 and needle in text
    assert graphs(store) == before
    code, text = act(store, "propose", "order", "WEB-140201", "--action", "refund", "--actor", "EMP-9999")
    assert code == 2 and "no employee 'EMP-9999'" in text


def test_http_and_mcp_proposals_agree_with_the_cli(store: Path, tmp_path: Path) -> None:
    keys = tmp_path / "keys.yaml"
    key = cx("api-key", "desk-bot", "--scope", "ai-service-assistant", "--file", str(keys), cwd=tmp_path,
             store=store).stdout.strip()
    env = {**os.environ, "CXGRAPH_PROJECT": str(ROOT)}
    proposal = {"on": "order", "target": "WEB-140201", "action": "refund", "amount": "150", "currency": "EUR"}
    assert act(store, "propose", "order", "WEB-140201", "--action", "refund", "--amount", "20", "--currency", "EUR",
               "--actor", "EMP-1002")[0] == 0  # approved by the policy: one task
    with running_api("--store", str(store)) as readonly, \
            running_api("--store", str(store), "--auth", str(keys), "--actions") as server:
        off = httpx.post(f"{readonly}/actions", json={**proposal, "actor": "EMP-1002"})
        assert off.status_code == 403 and "--actions" in off.json()["detail"]
        assert httpx.post(f"{server}/actions", json=proposal).status_code == 401
        made = httpx.post(f"{server}/actions", json=proposal,
                          headers={"Authorization": f"Bearer {key}"}, timeout=60)
        assert made.status_code == 201, made.text
        body = made.json()
        assert (body["status"], body["actor"]["iri"], body["actor"]["scope"]) == (
            "needs approval", ID + "agent/desk-bot", "ai-service-assistant")
        _code, cli = act(store, "propose", "order", "WEB-140201", "--action", "refund", "--amount", "150",
                         "--currency", "EUR", "--actor", "desk-bot", "--actor-kind", "ai-agent", "--scope",
                         "ai-service-assistant", "--format", "json")
        same = ("status", "reason", "rules_applied", "refused_by", "awaits_approval_by", "used", "actor")
        assert {k: body[k] for k in same} == {k: cli[k] for k in same}
        refused = httpx.post(f"{server}/actions", json={**proposal, "target": "WEB-104211"},
                             headers={"X-API-Key": key}, timeout=60).json()
        assert (refused["status"], refused["refused_by"]) == ("rejected", [ID + "rule/dr-no-second-refund"])
        tasks = httpx.get(f"{server}/actions/tasks", headers={"X-API-Key": key}).json()
        assert [t["amount"] for t in tasks] == ["20"] and tasks == act(store, "tasks")[1]
        bad = httpx.post(f"{server}/actions", json={**proposal, "action": "re fund"},
                         headers={"X-API-Key": key})
        assert bad.status_code == 400 and "cannot be part of an IRI" in bad.json()["detail"]

    async def through_mcp() -> Any:
        params = StdioServerParameters(command=CXGRAPH[0], args=[*CXGRAPH[1:], "mcp", "--store", str(store),
                                                                 "--scope", "ai-service-assistant", "--agent",
                                                                 "desk-bot"], env=env)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool("propose_action", {**proposal})
            return result.structured_content or json.loads(result.content[0].text)

    answer = anyio.run(through_mcp)
    assert {k: answer[k] for k in same} == {k: cli[k] for k in same}
