"""The browser view (issue 11, item 5), end to end in headless Chromium (Debian's `chromium`, driven by
Playwright): search a scenario customer, open their context, and check what the page shows against the API's
own answers. A screenshot is saved; CXGRAPH_SCREENSHOT=docs/browser-view.png writes the README's copy."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import ROOT, Built, cx, write_store
from cxgraph.system import CHROMIUM as CHROMIUM_PACKAGE
from test_endpoint import running_api

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def site(sample: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`cxgraph api` over a copy of the sample where the open cases were triaged and the graph validated."""
    work = tmp_path_factory.mktemp("browser")
    store = write_store(work / ".cxgraph" / "store", sample.store.raw)
    assert cx("recommend", "triage", cwd=work, store=store).returncode == 0
    assert cx("validate", cwd=work, store=store).returncode == 1  # the sample's deliberate results
    with running_api("--store", str(store)) as url:
        yield url


def test_a_customer_context_in_the_browser(site: str, tmp_path: Path) -> None:
    if not CHROMIUM_PACKAGE.present():
        pytest.skip(f"'chromium' is missing: {CHROMIUM_PACKAGE.install_hint}")
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("request", lambda request: problems.append(f"outside request: {request.url}")
                if not request.url.startswith((site, "data:")) else None)
        page.goto(site + "/")
        page.fill("#q", "daniel byrne")
        page.click("#search button")
        page.wait_for_selector("#results button")
        assert page.inner_text("#results") == "customer: Daniel Byrne (0030000102)"
        page.click("#results button")
        page.wait_for_function("window.cxgraphView && window.cxgraphView.ready", timeout=30000)
        view: dict[str, Any] = page.evaluate(
            "({nodes: cxgraphView.nodes.map(n => [n.id, n.source, n.systemOfRecord]), edges: cxgraphView.edges,"
            " sources: cxgraphView.sources, timeline: cxgraphView.timeline, recommendations:"
            " cxgraphView.recommendations, conflicts: cxgraphView.conflicts, validation: cxgraphView.validation,"
            " drawn: cxgraphView.graph.nodes().length})")
        legend = page.inner_text("#legend")
        timeline_text = page.inner_text("#timeline")
        page.screenshot(path=str(tmp_path / "browser-view.png"), full_page=True)
        browser.close()
    assert problems == []
    pack = httpx.get(f"{site}/customers/0030000102/context", timeout=60).json()
    ids = {n["@id"] for g in pack["@graph"] for n in g["@graph"]}
    # the picture: every node of the pack, drawn, coloured by its source system; edges between them labelled
    assert {n[0] for n in view["nodes"]} == ids and view["drawn"] == len(ids)
    assert {n[1] for n in view["nodes"]} == set(view["sources"]) and "graph:source/billing" in view["sources"]
    for source in view["sources"]:
        assert source.removeprefix("graph:") in legend
    party = pack["pack"]["about"]
    assert {(e["source"], e["label"], e["target"]) for e in view["edges"]} >= {
        ("id:crm/contact/0030000102", "representsParty", party), ("id:crm/contact/0030000102", "isRecordedIn",
                                                                   "id:system/crm")}
    # his four records, each held in the system of record for its definition, marked so
    assert sorted(n[0] for n in view["nodes"] if n[2]) == [
        "id:billing/account/BA-500102", "id:commerce/customer/cus_dbyrn002", "id:contact-center/profile/SP-200102",
        "id:crm/contact/0030000102"]
    # the journey across channels, newest first
    times = [datetime.fromisoformat(e["when"].replace("Z", "+00:00")) for e in view["timeline"]]
    times = [t if t.tzinfo else t.replace(tzinfo=UTC) for t in times]
    assert len(times) > 5 and times == sorted(times, reverse=True)
    assert any(entry["channel"] for entry in view["timeline"]) and "CS0018812" in timeline_text
    # the triage of his billing dispute, with its rules; the two systems that disagree with the CRM
    assert any("CS0018812" in r and "rules:" in r for r in view["recommendations"])
    conflicts = httpx.get(f"{site}/queries/conflicting-values",
                          params={"customer": "id:crm/contact/0030000102"}).json()["results"]["bindings"]
    assert len(view["conflicts"]) == len(conflicts) == 2
    # exactly the validation results whose focus is one of his nodes
    report = httpx.get(f"{site}/validation").json()["results"]
    base = pack["@context"]["id"]
    mine = [r["message"] for r in report if r["focus"] in {base + i[3:] for i in ids if i.startswith("id:")}]
    assert [v["message"] for v in view["validation"]] == mine
    target = os.environ.get("CXGRAPH_SCREENSHOT")
    if target:
        shutil.copy(tmp_path / "browser-view.png", ROOT / target)
