"""`cxgraph api` (issue 11, item 3): a real uvicorn process over an on-disk copy of the sample store, called
over HTTP as a client would. Answers equal the CLI's; errors are problem+json; with --auth, keys tied to scopes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import Built, cx, write_store
from test_endpoint import running_api


@pytest.fixture(scope="module")
def api(sample: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    work = tmp_path_factory.mktemp("api")
    store = write_store(work / ".cxgraph" / "store", sample.store.raw)
    with running_api("--store", str(store), "--timeout", "5") as url:
        yield url, store


def _problem(response: httpx.Response, status: int, needle: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and needle in body["detail"], body


def test_health_and_openapi(api: tuple[str, Path]) -> None:
    url, _ = api
    assert httpx.get(f"{url}/health").json() == {"status": "ok", "store": "embedded", "auth": False, "stale": 0}
    schema = httpx.get(f"{url}/openapi.json").json()
    for path in ("/customers/{customer}/context", "/cases/{case}/context", "/orders/{order}/context", "/queries",
                 "/queries/customer-records", "/queries/recommendations", "/sparql", "/recommendations",
                 "/validation", "/health"):
        assert path in schema["paths"], path
    (param,) = schema["paths"]["/queries/customer-records"]["get"]["parameters"]
    assert (param["name"], param["in"], param["required"]) == ("customer", "query", True)
    optional = {p["name"]: p["required"] for p in schema["paths"]["/queries/desire-paths"]["get"]["parameters"]}
    assert optional == {"workflow": False}


@pytest.mark.parametrize(("path", "cli"), [
    ("/customers/0030000101/context", ("context", "customer", "0030000101")),
    ("/cases/CS0018812/context?brief=true&scope=ai-service-assistant",
     ("context", "case", "CS0018812", "--brief", "--scope", "ai-service-assistant")),
    ("/orders/WEB-104211/context?limit=order-events=2&scope=marketing-assistant",
     ("context", "order", "WEB-104211", "--limit", "order-events=2", "--scope", "marketing-assistant")),
])
def test_context_packs_equal_the_cli(api: tuple[str, Path], tmp_path: Path, path: str, cli: tuple[str, ...]) -> None:
    url, store = api
    response = httpx.get(url + path, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/ld+json")
    proc = cx(*cli, cwd=tmp_path, store=store)
    assert proc.returncode == 0, proc.stderr
    http, local = response.json(), json.loads(proc.stdout)
    http["pack"].pop("madeAt"), local["pack"].pop("madeAt")
    assert http == local


def test_named_queries_with_typed_parameters_equal_the_cli(api: tuple[str, Path], tmp_path: Path) -> None:
    url, store = api
    listed = httpx.get(f"{url}/queries").json()
    assert [q["name"] for q in listed][:2] == ["customer-records", "system-of-record"]
    assert listed[0]["params"]["customer"]["type"] == "iri"
    response = httpx.get(f"{url}/queries/customer-records", params={"customer": "id:crm/contact/0030000101"})
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "application/sparql-results+json")
    proc = cx("query", "customer-records", "-p", "customer=id:crm/contact/0030000101", "--format", "json",
              cwd=tmp_path, store=store)
    assert response.json() == json.loads(proc.stdout)
    assert len(response.json()["results"]["bindings"]) == 4
    _problem(httpx.get(f"{url}/queries/customer-records"), 422, "customer")
    _problem(httpx.get(f"{url}/queries/customer-records", params={"customer": "nope:x"}), 400, "unknown prefix")


def test_errors_are_problem_documents(api: tuple[str, Path]) -> None:
    url, _ = api
    party = httpx.get(f"{url}/customers/0030000101/context", timeout=60).json()["pack"]["about"]
    by_iri = httpx.get(f"{url}/customers/{party}/context", timeout=60)  # an IRI, slash and all
    assert by_iri.status_code == 200 and by_iri.json()["pack"]["about"] == party
    _problem(httpx.get(f"{url}/customers/nobody/context"), 404, "no customer record has the identifier 'nobody'")
    _problem(httpx.get(f"{url}/orders/WEB-104211/context", params={"scope": "nobody"}), 400, "unknown scope")
    _problem(httpx.get(f"{url}/orders/WEB-104211/context", params={"limit": "orders"}), 400, "SECTION=N")
    _problem(httpx.get(f"{url}/no/such/path"), 404, "Not Found")
    _problem(httpx.get(f"{url}/validation"), 404, "run `cxgraph validate` first")


def test_sparql_is_read_only_and_time_limited(api: tuple[str, Path]) -> None:
    url, _ = api
    response = httpx.get(f"{url}/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    assert response.status_code == 200 and int(response.json()["results"]["bindings"][0]["n"]["value"]) > 50000
    _problem(httpx.post(f"{url}/sparql", data={"query": "DELETE WHERE { ?s ?p ?o }"}), 400, "")
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    _problem(httpx.get(f"{url}/sparql", params={"query": slow}, timeout=60), 503, "")


def test_recommendations_and_validation(api: tuple[str, Path], tmp_path: Path) -> None:
    url, store = api
    order = "id:commerce/order/WEB-104211"
    assert httpx.get(f"{url}/recommendations", params={"about": order}).json()["results"]["bindings"] == []
    assert cx("recommend", "recover", "WEB-104211", cwd=tmp_path, store=store).returncode == 0
    kept = httpx.get(f"{url}/recommendations", params={"about": order}).json()["results"]["bindings"]
    assert {b["what"]["value"] for b in kept} >= {"Refund", "Policy exception", "Goodwill credit"}
    assert cx("validate", "--format", "json", cwd=tmp_path, store=store).returncode == 1  # the sample's 20 results
    report = httpx.get(f"{url}/validation").json()
    assert len(report["results"]) == 20


def test_auth_ties_each_key_to_its_scope(sample: Built, api: tuple[str, Path], tmp_path: Path) -> None:
    _url, store = api
    keys = tmp_path / "keys.yaml"
    marketing = cx("api-key", "campaign-bot", "--scope", "marketing-assistant", "--file", str(keys), cwd=tmp_path,
                   store=store)
    service = cx("api-key", "desk", "--scope", "service-agent", "--file", str(keys), cwd=tmp_path, store=store)
    assert marketing.returncode == 0 and service.returncode == 0, marketing.stderr + service.stderr
    assert marketing.stdout.strip() not in keys.read_text(encoding="utf-8")  # digests only
    assert cx("api-key", "desk", "--scope", "service-agent", "--file", str(keys), cwd=tmp_path,
              store=store).returncode == 2  # a name is used once
    with running_api("--store", str(store), "--auth", str(keys)) as url:
        assert httpx.get(f"{url}/health").status_code == 200
        _problem(httpx.get(f"{url}/customers/0030000102/context"), 401, "give an API key")
        _problem(httpx.get(f"{url}/queries", headers={"Authorization": "Bearer wrong"}), 401, "unknown API key")
        bearer = {"Authorization": f"Bearer {marketing.stdout.strip()}"}
        pack = httpx.get(f"{url}/customers/0030000102/context", headers=bearer, timeout=60).json()
        assert pack["pack"]["scope"]["name"] == "marketing-assistant" and "hasFailureReason" not in json.dumps(pack)
        _problem(httpx.get(f"{url}/customers/0030000102/context", params={"scope": "service-agent"},
                           headers=bearer), 403, "this key's scope is 'marketing-assistant'")
        desk = httpx.get(f"{url}/customers/0030000102/context", headers={"X-API-Key": service.stdout.strip()},
                         timeout=60).json()
        assert desk["pack"]["scope"]["name"] == "service-agent" and "hasFailureReason" in json.dumps(desk)
        # what cannot be cut stays out of a narrower scope: ad-hoc SPARQL, unlisted queries, the report
        _problem(httpx.get(f"{url}/sparql", params={"query": "SELECT ?r { ?p cx:hasFailureReason ?r }"},
                           headers=bearer), 403, "may not use SPARQL")
        _problem(httpx.get(f"{url}/queries/customer-journey", params={"customer": "id:crm/contact/0030000102"},
                           headers=bearer), 403, "may not use the query 'customer-journey'")
        _problem(httpx.get(f"{url}/validation", headers=bearer), 403, "may not use the validation report")
        listed = [q["name"] for q in httpx.get(f"{url}/queries", headers=bearer).json()]
        assert listed == ["customer-records", "system-of-record", "definition-in-context"]
        assert httpx.get(f"{url}/queries/customer-records", params={"customer": "id:crm/contact/0030000102"},
                         headers=bearer).status_code == 200
    refused = cx("api", "--store", str(store), "--host", "0.0.0.0", "--port", "1", cwd=tmp_path, store=store)
    assert refused.returncode == 2 and "needs --auth" in refused.stderr


def test_schemathesis_finds_no_server_error(api: tuple[str, Path], tmp_path: Path) -> None:
    """Property-based requests generated from the OpenAPI schema (examples, coverage and fuzzing phases): none
    gets a 5xx answer (a query stopped at its time limit, 503, is no crash, but the generated ones are small)."""
    url, _ = api
    st = Path(sys.executable).parent / "st"
    proc = subprocess.run([str(st), "run", f"{url}/openapi.json", "--checks", "not_a_server_error",
                           "--max-examples", "10", "--seed", "1", "--no-color"],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)  # its cache goes there
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout.split("SUMMARY")[-1]
