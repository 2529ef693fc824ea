"""`cxgraph mcp` (issue 11, item 4): a real server process driven by the MCP SDK's own client over stdio; every
tool's answer equals the CLI's, cut to the scope the server was started with."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

from conftest import CXGRAPH, ROOT, Built, cx, write_store


async def _session(store: Path, scope: str, calls: list[tuple[str, dict[str, Any]]],
                   resources: list[str]) -> tuple[list[str], list[Any], list[str]]:
    params = StdioServerParameters(command=CXGRAPH[0], args=[*CXGRAPH[1:], "mcp", "--store", str(store), "--scope",
                                                             scope],
                                   env={**os.environ, "CXGRAPH_PROJECT": str(ROOT)})
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = sorted(t.name for t in (await session.list_tools()).tools)
        answers = []
        for name, arguments in calls:
            result = await session.call_tool(name, arguments)
            answers.append(("error", result.content[0].text) if result.is_error else
                           json.loads(result.content[0].text) if result.structured_content is None
                           else result.structured_content)
        texts = []
        for uri in resources:
            read_back = await session.read_resource(uri)
            texts.append(read_back.contents[0].text)
        return tools, answers, texts


@pytest.fixture(scope="module")
def store(sample: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_store(tmp_path_factory.mktemp("mcp") / ".cxgraph" / "store", sample.store.raw)


def _cli(store: Path, tmp_path: Path, *args: str) -> Any:
    proc = cx(*args, cwd=tmp_path, store=store)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _unwrap(answer: Any) -> Any:
    """A structured tool result that is not an object comes wrapped as {"result": ...}."""
    return answer["result"] if isinstance(answer, dict) and set(answer) == {"result"} else answer


def test_tools_answer_as_the_cli_does(store: Path, tmp_path: Path) -> None:
    calls = [
        ("customer_context", {"customer": "0030000101"}),
        ("case_context", {"case": "CS0018812", "brief": True}),
        ("order_context", {"order": "WEB-104211", "limits": {"order-events": 2}}),
        ("run_query", {"name": "customer-records", "params": {"customer": "id:crm/contact/0030000101"}}),
        ("explain_decision", {"decision": "DEC-12210"}),
        ("recommend", {"kind": "recover", "about": "WEB-104211"}),
        ("recommend", {"kind": "triage", "about": "CS0010421"}),
        ("list_queries", {}),
        ("customer_context", {"customer": "nobody"}),
        ("recommend", {"kind": "refund everything", "about": "WEB-104211"}),
    ]
    tools, answers, texts = anyio.run(_session, store, "ai-service-assistant", calls,
                                      ["cxgraph://queries", "cxgraph://ontology", "cxgraph://queries/customer-records"])
    assert tools == ["case_context", "customer_context", "explain_decision", "list_queries", "order_context",
                     "propose_action", "recommend", "run_query"]
    scoped = ("--scope", "ai-service-assistant")
    expected = [
        _cli(store, tmp_path, "context", "customer", "0030000101", *scoped),
        _cli(store, tmp_path, "context", "case", "CS0018812", "--brief", *scoped),
        _cli(store, tmp_path, "context", "order", "WEB-104211", "--limit", "order-events=2", *scoped),
        _cli(store, tmp_path, "query", "customer-records", "-p", "customer=id:crm/contact/0030000101", "--format",
             "json"),
        _cli(store, tmp_path, "explain", "DEC-12210", "--format", "json"),
        _cli(store, tmp_path, "recommend", "recover", "WEB-104211", "--format", "json", "--no-keep"),
        _cli(store, tmp_path, "recommend", "triage", "CS0010421", "--format", "json", "--no-keep"),
    ]
    for got, want in zip(answers[:3], expected[:3], strict=True):
        got, want = dict(got), dict(want)
        got["pack"] = {k: v for k, v in got["pack"].items() if k != "madeAt"}
        want["pack"] = {k: v for k, v in want["pack"].items() if k != "madeAt"}
        assert got == want
        assert got["pack"]["scope"]["name"] == "ai-service-assistant" and '"hasDescription"' not in json.dumps(got)
    assert _unwrap(answers[3]) == expected[3]
    # an assistant that may not read free text gets explanations and recommendations without the facts its
    # rules relied on and without outcomes: the same answer, cut
    for got, want in zip(answers[4:7], expected[4:], strict=True):
        assert _unwrap(got) == _cut(want)
    assert "outcome" not in answers[4] and '"facts"' not in json.dumps(answers[5:7])
    assert [q["name"] for q in _unwrap(answers[7])][:3] == ["customer-records", "system-of-record",
                                                            "conflicting-values"]
    assert answers[8][0] == "error" and "no customer record has the identifier 'nobody'" in answers[8][1]
    assert answers[9][0] == "error" and "unknown kind 'refund everything'" in answers[9][1]
    assert [q["name"] for q in json.loads(texts[0])] == [q["name"] for q in _unwrap(answers[7])]
    assert "customer-journey" not in texts[0]  # its answer cannot be cut: not in this scope
    assert "owl:Ontology" in texts[1] and "cx:ContractHolder" in texts[1]
    assert texts[2].startswith("#+ cq: 1")


def _cut(answer: Any) -> Any:
    if isinstance(answer, dict):
        return {k: _cut(v) for k, v in answer.items() if k not in ("facts", "outcome")}
    return [_cut(v) for v in answer] if isinstance(answer, list) else answer


def test_a_query_outside_the_scope_is_refused(store: Path) -> None:
    calls = [("run_query", {"name": "customer-journey", "params": {"customer": "id:crm/contact/0030000101"}})]
    _tools, answers, _texts = anyio.run(_session, store, "marketing-assistant", calls, [])
    assert answers[0][0] == "error" and "no query named 'customer-journey' in this scope" in answers[0][1]


def test_an_unknown_scope_stops_the_server(store: Path, tmp_path: Path) -> None:
    proc = cx("mcp", "--store", str(store), "--scope", "everything", cwd=tmp_path, store=store)
    assert proc.returncode == 2 and "unknown scope 'everything'" in proc.stderr
