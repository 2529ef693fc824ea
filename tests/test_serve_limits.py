"""`cxgraph serve` bounds and contains every query: time and memory limits, no truncated answers,
no outbound requests, only its own Host names, and answers from each finished build without a restart.

A real server process on a loopback port, real worker processes, real HTTP clients.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CXGRAPH, ROOT, Built, cx, write_store
from test_endpoint import free_port, wait_until_up

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SORT = "SELECT ?a ?f WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?a"
LIGHT = "SELECT ?name WHERE { <https://data.brightwater.example/id/crm/contact/0030000101> " \
        "<https://w3id.org/cxgraph/ontology#hasName> ?name }"


def ask(base: str, query: str, host: str | None = None, accept: str = "application/sparql-results+json",
        timeout: float = 60) -> tuple[int, bytes, str]:
    request = urllib.request.Request(f"{base}/query", data=urllib.parse.urlencode({"query": query}).encode(),
                                     method="POST", headers={"Accept": accept,
                                                             "Content-Type": "application/x-www-form-urlencoded"})
    if host:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


@pytest.fixture(scope="module")
def server(sample: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    work = tmp_path_factory.mktemp("limits")
    store = write_store(work / ".cxgraph" / "store", sample.store.raw)
    with serving(store, timeout=3) as (base, process):
        yield {"base": base, "store": store, "work": work, "process": process}


@contextlib.contextmanager
def serving(store: Path, timeout: float) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`cxgraph serve` over the store: 2 workers of 600 MB, answers up to 1 MB, this time limit."""
    port = free_port()
    process = subprocess.Popen([*CXGRAPH, "serve", "--store", str(store), "--port", str(port), "--timeout",
                                str(timeout), "--workers", "2", "--memory-mb", "600", "--max-answer-mb", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/", process)
        yield base, process
    finally:
        process.terminate()
        process.communicate(timeout=20)


def _workers(server_pid: int) -> list[int]:
    """The live child processes of the server (its query workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == server_pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def test_a_runaway_aggregate_ends_at_its_limit_while_light_queries_answer(server: dict[str, object]) -> None:
    base = str(server["base"])
    process: subprocess.Popen[str] = server["process"]  # type: ignore[assignment]
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        outcome["status"], outcome["body"], outcome["type"] = ask(base, RUNAWAY)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    light = []
    while thread.is_alive():
        started = time.monotonic()
        status, body, _ = ask(base, LIGHT)
        light.append((status, time.monotonic() - started))
        assert status == 200, body
        assert json.loads(body)["results"]["bindings"][0]["name"]["value"] == "Ann Rees"
    thread.join()
    assert outcome["status"] == 503
    assert outcome["type"] == "application/problem+json"
    assert "time limit" in json.loads(outcome["body"])["detail"]  # type: ignore[arg-type]
    assert 3 <= outcome["seconds"] < 6  # type: ignore[operator]
    assert len(light) >= 3
    # the worker that ran it was killed and replaced: nothing keeps computing the runaway
    time.sleep(0.5)
    workers = _workers(process.pid)
    assert len(workers) == 2
    for pid in workers:
        ticks = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        before = int(ticks[11]) + int(ticks[12])
        time.sleep(0.5)
        ticks = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        assert int(ticks[11]) + int(ticks[12]) - before < 10  # idle: under 0.1 s of CPU in 0.5 s


def test_a_query_over_its_memory_is_stopped_and_the_next_one_answers(server: dict[str, object]) -> None:
    """Its own server, with a time limit the query never reaches on a loaded machine: the memory limit stops it."""
    with serving(Path(str(server["store"])), timeout=300) as (base, _process):
        status, body, content_type = ask(base, SORT, timeout=300)
        assert status == 507, body[:300]
        assert content_type == "application/problem+json"
        assert "memory" in json.loads(body)["detail"]
        assert ask(base, LIGHT)[0] == 200


def test_an_answer_too_large_is_an_error_never_a_truncated_200(server: dict[str, object]) -> None:
    status, body, _ = ask(str(server["base"]), "SELECT * WHERE { ?s ?p ?o }", accept="text/csv")
    assert status == 507
    assert "larger than 1 MB" in json.loads(body)["detail"]


def test_service_is_refused_and_nothing_is_fetched(server: dict[str, object]) -> None:
    hits: list[str] = []

    class Listener(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # pragma: no cover - reached only if the endpoint fetched the URL
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *_args: object) -> None:
            pass

    listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{listener.server_address[1]}/sparql"
    try:
        for query in (f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
                      f"SELECT * WHERE {{ service SILENT <{url}> {{ ?s ?p ?o }} }}",
                      f"SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}"):
            status, body, _ = ask(str(server["base"]), query)
            assert status == 403, body
        # the word in a string, an IRI or a comment is not the keyword
        status, _, _ = ask(str(server["base"]), 'SELECT * WHERE { ?s ?p "SERVICE" } LIMIT 1 # SERVICE <x>')
        assert status == 200
    finally:
        listener.shutdown()
    assert hits == []


@pytest.mark.parametrize("host", ["evil.example", "evil.example:7878", "attacker.test"])
def test_only_its_own_host_names_are_answered(server: dict[str, object], host: str) -> None:
    assert ask(str(server["base"]), "ASK {}", host=host)[0] == 400
    assert ask(str(server["base"]), "ASK {}", host="localhost")[0] == 200


def test_bad_query_and_updates_are_clear_errors(server: dict[str, object]) -> None:
    status, body, content_type = ask(str(server["base"]), "SELECT * WHERE {")
    assert "cannot run" in json.loads(body)["detail"]
    assert status == 400 and content_type == "application/problem+json"
    request = urllib.request.Request(f"{server['base']}/update", data=b"update=DROP%20ALL", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 403


def test_a_finished_build_is_served_without_a_restart(server: dict[str, object], tmp_path: Path) -> None:
    base = str(server["base"])
    assert json.loads(ask(base, LIGHT)[1])["results"]["bindings"][0]["name"]["value"] == "Ann Rees"
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "sample", data)
    contacts = data / "crm" / "contacts.csv"
    contacts.write_text(contacts.read_text(encoding="utf-8").replace(",Ann,Rees,", ",Ann,Served,", 1),
                        encoding="utf-8")
    store = Path(server["store"])  # type: ignore[arg-type]
    proc = cx("build", "--only", "crm", "--data", str(data), cwd=store.parent.parent, store=store)
    assert proc.returncode == 0, proc.stderr
    names = {b["name"]["value"] for b in json.loads(ask(base, LIGHT)[1])["results"]["bindings"]}
    assert names == {"Ann Served"}


def test_service_hidden_after_a_carriage_return_comment_and_load_are_refused(sample: Built, tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from cxgraph.faces.sparql_endpoint import EndpointConfig, create_app

    store = write_store(tmp_path / "store", sample.store.raw)
    config = EndpointConfig(store=store, project_lock=tmp_path / "build.lock", timeout=5, workers=1, writable=True)
    with TestClient(create_app(config), base_url="http://localhost") as client:
        hidden = "SELECT * WHERE { # comment\rSERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
        assert client.post("/query", data={"query": hidden}).status_code == 403
        assert client.post("/query", data={"query": "SELECT * { \\UFFFFFFFF ?s ?p ?o } LIMIT 1"}).status_code in (
            200, 400)
        response = client.post("/update", data={"update": "LOAD <http://127.0.0.1:9/data.ttl>"})
        assert response.status_code == 403 and "LOAD" in response.json()["title"]
        assert client.get("/store", params={"graph": "not an iri"}).status_code == 400
        runaway = ("DELETE { GRAPH <https://example.org/x> { ?a ?b ?c } } WHERE { GRAPH ?g1 { ?a ?b ?c } "
                   "GRAPH ?g2 { ?d ?e ?f } GRAPH ?g3 { ?g ?h ?i } }")
        started = time.monotonic()
        response = client.post("/update", data={"update": runaway})
        assert response.status_code == 503 and "nothing was changed" in response.json()["detail"]
        assert time.monotonic() - started < 15
        assert client.post("/update", data={"update": "INSERT DATA { GRAPH <https://example.org/g> { "
                                                      "<https://example.org/s> <https://example.org/p> 1 } }"}
                           ).status_code == 204
        answer = client.post("/query", data={"query": "ASK { GRAPH <https://example.org/g> { ?s ?p 1 } }"},
                             headers={"Accept": "application/sparql-results+json"})
        assert answer.json()["boolean"] is True  # the write was published whole and is served at once


def test_query_workers_do_not_outlive_a_killed_server(tmp_path: Path, sample: Built) -> None:
    store = write_store(tmp_path / "store", sample.store.raw)
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from cxgraph.stores.query_pool import QueryPool, Request\n"
        f"pool = QueryPool(Path({str(store)!r}), size=2, timeout=60)\n"
        "import threading\n"
        f"threading.Thread(target=pool.run, args=(Request({RUNAWAY!r}),), daemon=True).start()\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    import sys

    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    workers = _workers(parent.pid)
    assert len(workers) == 2
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.1)
    alive = [pid for pid in workers if Path(f"/proc/{pid}/stat").exists()
             and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    assert alive == []


@pytest.mark.parametrize("query,uses", [
    ("SELECT * { ?s ?p ?o.SERVICE <http://x/> {?a ?b ?c} }", True),
    ("SELECT * { ?s ?p ?o .SERVICE <http://x/> {} }", True),
    ("SELECT * { <a:b> <a:c> <a:d>.SERVICE <http://x/> {} }", True),
    ('SELECT * { ?s ?p "x".SERVICE <http://x/> {} }', True),
    ("SELECT * { ?s ?p 1.SERVICE <http://x/> {} }", True),
    ("SELECT * { ?s ?p ?o}SERVICE<http://x/>{}", True),
    ("SELECT * { # x\rSERVICE <http://x/> {} }", True),
    ("SELECT * { \\u0053ERVICE <http://x/> {} }", True),
    ("SELECT * { ?s ?p ?o FILTER(?o < 3) SERVICE <x:y> {} }", True),
    ("SELECT * { ?s ?p ?o ; ex:SERVICE ?x . ?SERVICE ?p 'SERVICE' } # SERVICE", False),
    ("SELECT * { ?s ex.SERVICE:x ?o }", False),  # a prefixed name
    ("SELECT * { ?s ?p ex:o.SERVICE }", False),  # one prefixed name: a dot inside a local name is part of it
    ("SELECT * { ?s <http://x/SERVICE> '''SERVICE''' }", False),
    ("SELECT * { \\UFFFFFFFF }", False),
])
def test_the_service_keyword_is_found_as_the_query_parser_reads_it(query: str, uses: bool) -> None:
    from cxgraph.faces.sparql_endpoint import uses_keyword

    assert uses_keyword(query, "SERVICE") is uses


def test_an_answer_format_nobody_offers_is_406(server: dict[str, object]) -> None:
    status, body, content_type = ask(str(server["base"]), "ASK {}", accept="image/png")
    assert status == 406 and content_type == "application/problem+json"
    assert "image/png" in json.loads(body)["detail"]
    assert ask(str(server["base"]), "ASK {}", accept="image/png, */*;q=0.1")[0] == 200
