"""The same answers embedded, over HTTP from a real Oxigraph server, and from `cxgraph serve`.

Every server here is a real process on a loopback port: `oxigraph serve` for a remote store, and small
Python HTTP servers where a test needs a server that misbehaves (slow, 401, 500, failing mid-load).
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from SPARQLWrapper import JSON, SPARQLWrapper

from conftest import CXGRAPH, ID, ROOT, Built, cx, write_store
from cxgraph.answer.queries import catalog, run
from cxgraph.stores.push import oxigraph_binary
from cxgraph.stores.remote import Endpoint, RemoteStore

QUERIES = catalog(ROOT / "queries")
PREFIXES = {"id": "https://data.brightwater.example/id/", "cx": "https://w3id.org/cxgraph/ontology#"}
# Every competency query with its example, plus further parameters from the sample's scenarios.
# (queries/recommendations.rq reads what `cxgraph recommend` kept, which the remote store's own tests change:
# it is compared on a store of its own, test_recommendations_and_explanations_served_equal_embedded.)
CASES = [(q.name, q.examples) for q in QUERIES.values() if q.name != "recommendations"] + [
    ("customer-records", {"customer": "id:crm/contact/0030000103"}),
    ("conflicting-values", {"customer": "id:billing/account/BA-500102"}),
    ("workflows-in-motion", {"customer": "id:crm/contact/0030000101"}),
    ("governing-rules", {"case": "id:case-management/case/CS0018812"}),
    ("customer-journey", {"customer": "id:crm/contact/0030000102"}),
    ("definition-in-context", {"context": "id:context/delivery"}),
    ("system-impact", {"system": "id:system/wms"}),
    ("desire-paths", {"workflow": "id:workflow/billing-dispute"}),
    ("desire-paths", {}),
    ("desire-paths-evidence", {}),
    ("decision-explanation", {"decision": "id:decision/DEC-30002"}),
    ("decision-explanation", {"decision": "id:decision/DEC-12210"}),
]


@contextlib.contextmanager
def running_api(*args: str) -> Iterator[str]:
    """`cxgraph api ARGS` on a free port, up: its base URL; stopped after."""
    port = free_port()
    process = subprocess.Popen([*CXGRAPH, "api", "--port", str(port), *args],
                               env={**os.environ, "CXGRAPH_PROJECT": str(ROOT)}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen[bytes] | None = None, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A read-write Oxigraph server (default graph NOT the union: cxgraph must name its dataset)."""
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph") / "db"
    process = subprocess.Popen([oxigraph_binary(), "serve", "--location", str(location), "--bind",
                                f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", process)
        yield f"http://127.0.0.1:{port}/query"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def remote_built(oxigraph_server: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    work = tmp_path_factory.mktemp("remote-build")
    proc = cx("build", "--endpoint", oxigraph_server, cwd=work, store=work / ".cxgraph" / "store")
    assert proc.returncode == 0, proc.stderr
    assert "Quarantined rows: 0" in proc.stdout
    return oxigraph_server


def rows(answer) -> list[tuple[str, ...]]:
    return [tuple("" if t is None else str(t) for t in row) for row in answer.rows]


@pytest.mark.parametrize("name,params", CASES)
def test_remote_store_answers_equal_embedded(sample: Built, remote_built: str, name: str,
                                             params: dict[str, str]) -> None:
    remote = RemoteStore(Endpoint.from_options(remote_built))
    embedded = rows(run(sample.store, QUERIES[name], params, PREFIXES))
    assert embedded
    assert rows(run(remote, QUERIES[name], params, PREFIXES)) == embedded


def test_remote_graphs_equal_embedded_graphs(sample: Built, remote_built: str) -> None:
    remote = RemoteStore(Endpoint.from_options(remote_built))
    graphs = [g for g in sample.store.named_graphs() if "/graph/provenance" not in g]
    for graph in graphs:
        if graph.endswith("/graph/ontology"):
            assert remote.count(graph) == sample.store.count(graph)  # blank nodes: compare sizes
            continue
        local = {str(q.triple) for q in sample.store.raw.quads_for_pattern(None, None, None, ox.NamedNode(graph))}
        theirs = ox.Store()
        theirs.load(remote.export_graph(graph), format=ox.RdfFormat.N_TRIPLES)
        remote_triples = {str(t) for t in theirs}
        if graph.endswith("/graph/inferred"):  # entailments about each build's own (timestamped) load records
            local, remote_triples = ({t for t in ts if "/id/load/" not in t} for ts in (local, remote_triples))
        if "/graph/lineage/" in graph:  # each build names its own load: the same records, another time stamp
            local, remote_triples = ({re.sub(r"/id/load/([^/]+)/\d{8}T\d+Z/", r"/id/load/\1/-/", t) for t in ts}
                                     for ts in (local, remote_triples))
            assert local
        assert remote_triples == local, graph
    assert not [g for g in remote.named_graphs() if "/staging/" in g]


def test_remote_query_cli_with_union_default_graph_flag_misses_nothing(remote_built: str, tmp_path: Path) -> None:
    # this server does not union its graphs: claiming it does must visibly change the answer (empty)
    base = ["query", "customer-records", "--param", "customer=id:crm/contact/0030000101", "--format", "json"]
    proc = cx(*base, "--endpoint", remote_built, cwd=tmp_path, store=tmp_path / "none")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["results"]["bindings"]) == 4
    proc = cx("--union-default-graph", *base, "--endpoint", remote_built, cwd=tmp_path, store=tmp_path / "none")
    assert json.loads(proc.stdout)["results"]["bindings"] == []


def test_remote_validate_and_stats(remote_built: str, tmp_path: Path) -> None:
    proc = cx("stats", "--endpoint", remote_built, cwd=tmp_path, store=tmp_path / "none")
    assert proc.returncode == 0, proc.stderr
    assert "graph/source/crm" in proc.stdout
    proc = cx("validate", "--endpoint", remote_built, "--shapes", str(ROOT / "tests/fixtures/validation/warn"),
              "--format", "json", cwd=tmp_path, store=tmp_path / "none")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["counts"]["Warning"] == 8


# cxgraph serve -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(sample: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`cxgraph serve` over an on-disk copy of the sample store."""
    work = tmp_path_factory.mktemp("serve")
    write_store(work / "store", sample.store.raw)
    port = free_port()
    process = subprocess.Popen([*CXGRAPH, "serve", "--store", str(work / "store"), "--port", str(port),
                                "--timeout", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", None)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
        assert f"SPARQL endpoint: http://127.0.0.1:{port}/query (read-only" in output


@pytest.mark.parametrize("name,params", CASES)
def test_served_answers_equal_embedded(sample: Built, served: str, name: str, params: dict[str, str]) -> None:
    remote = RemoteStore(Endpoint.from_options(f"{served}/query", union_default_graph=True))
    assert rows(run(remote, QUERIES[name], params, PREFIXES)) == rows(run(sample.store, QUERIES[name], params,
                                                                          PREFIXES))


@pytest.fixture(scope="module")
def served_recommendations(sample: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A copy of the sample store where `cxgraph recommend` kept a triage of every open case and an order's
    recovery options, and `cxgraph serve` over it: (the store, its query URL)."""
    work = tmp_path_factory.mktemp("serve-recommendations")
    store = write_store(work / "store", sample.store.raw)
    for args in (("triage",), ("recover", "WEB-104211"), ("suppress", "CMP-101")):
        proc = cx("recommend", *args, cwd=work, store=store)
        assert proc.returncode == 0, proc.stderr
    port = free_port()
    process = subprocess.Popen([*CXGRAPH, "serve", "--store", str(store), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", process)
        yield store, f"http://127.0.0.1:{port}/query"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("args", [
    ("recommend", "triage", "--no-keep"),
    ("recommend", "triage", "CS0020004", "--no-keep"),
    ("recommend", "recover", "WEB-104211", "--no-keep"),
    ("recommend", "recover", "WEB-103880", "--no-keep"),
    ("recommend", "suppress", "CMP-100", "--no-keep"),
    ("recommend", "outreach", "SIG-0001", "--no-keep"),
    ("explain", "DEC-10421"),
    ("explain", "DEC-12210"),
    ("query", "recommendations", "-p", "about=id:commerce/order/WEB-104211"),
    ("query", "recommendations", "-p", "about=id:marketing/campaign/CMP-101"),
    ("query", "recommendations", "-p", "about=id:case-management/case/CS0013002"),
    ("query", "decision-explanation", "-p", "decision=id:decision/DEC-20004"),
    ("context", "customer", "0030000101"),
    ("context", "case", "CS0018812", "--brief", "--scope", "ai-service-assistant"),
    ("context", "order", "WEB-104211", "--scope", "marketing-assistant", "--limit", "order-events=2"),
])
def test_recommendations_and_explanations_served_equal_embedded(served_recommendations: tuple[Path, str],
                                                                tmp_path: Path, args: tuple[str, ...]) -> None:
    """Competency questions 7-9, 12 and 13 through `cxgraph serve` (read-only: made, not kept) give the same JSON
    as on the embedded store, and what was kept is read back the same."""
    store, url = served_recommendations
    fmt = () if args[0] == "context" else ("--format", "json")
    embedded = cx(*args, *fmt, cwd=tmp_path, store=store)
    served = cx(*args, *fmt, "--endpoint", url, cwd=tmp_path, store=tmp_path / "none")
    assert embedded.returncode == 0 and served.returncode == 0, embedded.stderr + served.stderr
    answer, remote = json.loads(embedded.stdout), json.loads(served.stdout)
    if args[0] == "context":  # a pack says when it was made
        assert answer["pack"].pop("madeAt") <= remote["pack"].pop("madeAt")
    assert answer and remote == answer
    if args[:2] == ("query", "recommendations"):
        assert answer["results"]["bindings"], "nothing kept"
    if args[:2] == ("context", "customer"):  # Ann Rees's case was triaged: the pack shows it
        assert any(g["@id"] == "graph:recommendations" for g in answer["@graph"])


def test_served_with_sparqlwrapper_as_clients_do(served: str) -> None:
    client = SPARQLWrapper(f"{served}/query")
    client.setReturnFormat(JSON)
    client.setQuery("PREFIX cx: <https://w3id.org/cxgraph/ontology#> "
                    "SELECT (COUNT(?p) AS ?n) WHERE { ?p a cx:Party }")
    result = client.query().convert()
    assert result["results"]["bindings"][0]["n"]["value"] == "152"


@pytest.mark.parametrize("accept,marker", [
    ("application/sparql-results+json", '"bindings"'),
    ("application/sparql-results+xml", "<sparql"),
    ("text/csv", "n\r\n152"),
    ("text/tab-separated-values", "?n\n152"),
])
def test_served_select_content_negotiation(served: str, accept: str, marker: str) -> None:
    query = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a <https://w3id.org/cxgraph/ontology#Party> }"
    for request in (
        urllib.request.Request(f"{served}/query?{urllib.parse.urlencode({'query': query})}",
                               headers={"Accept": accept}),
        urllib.request.Request(f"{served}/query", data=query.encode(), method="POST",
                               headers={"Accept": accept, "Content-Type": "application/sparql-query"}),
    ):
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read().decode("utf-8")
        assert marker in body


@pytest.mark.parametrize("accept,fmt", [("text/turtle", ox.RdfFormat.TURTLE),
                                        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
                                        ("application/ld+json", ox.RdfFormat.JSON_LD)])
def test_served_construct_content_negotiation(served: str, accept: str, fmt: ox.RdfFormat) -> None:
    query = ("CONSTRUCT { ?r ?p ?o } WHERE { VALUES ?r { "
             "<https://data.brightwater.example/id/crm/contact/0030000101> } ?r ?p ?o }")
    request = urllib.request.Request(f"{served}/query?{urllib.parse.urlencode({'query': query})}",
                                     headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    graph = ox.Store()
    graph.load(body, format=fmt)
    assert len(graph) >= 10


def test_served_is_read_only(served: str, tmp_path: Path) -> None:
    request = urllib.request.Request(f"{served}/update", data=b"DROP ALL", method="POST",
                                     headers={"Content-Type": "application/sparql-update"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 403
    proc = cx("build", "--only", "crm", "--endpoint", f"{served}/query", cwd=tmp_path, store=tmp_path / "s")
    assert proc.returncode == 2
    assert "HTTP 403" in proc.stderr and "Traceback" not in proc.stderr


# failures ------------------------------------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    """A misbehaving SPARQL server: its behaviour is set per test on the server object."""

    def log_message(self, *_args: object) -> None:
        pass

    def _answer(self) -> None:
        mode = self.server.mode  # type: ignore[attr-defined]
        if mode == "slow":
            time.sleep(3)
        status = {"401": 401, "500": 500, "slow": 200}[mode]
        body = b'{"head":{"vars":[]},"results":{"bindings":[]}}'
        self.send_response(status)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="cx"')
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (the timeout test) is expected here."""


@pytest.fixture
def bad_server() -> Iterator[http.server.ThreadingHTTPServer]:
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.mark.parametrize("mode,message", [("401", "HTTP 401"), ("500", "HTTP 500"), ("slow", "timed out")])
def test_endpoint_failures_are_one_clear_line(bad_server: http.server.ThreadingHTTPServer, tmp_path: Path,
                                              mode: str, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    bad_server.mode = mode  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{bad_server.server_address[1]}/query"
    monkeypatch.setenv("CXGRAPH_ENDPOINT_TIMEOUT", "1")
    proc = cx("query", "customer-records", "--param", "customer=id:crm/contact/0030000101", "--endpoint", url,
              cwd=tmp_path, store=tmp_path / "none")
    assert proc.returncode == 2
    assert message in proc.stderr and url in proc.stderr
    assert "Traceback" not in proc.stderr


def test_endpoint_down_is_named(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    proc = cx("stats", "--endpoint", url, cwd=tmp_path, store=tmp_path / "none")
    assert proc.returncode == 2
    assert f"cannot reach the endpoint {url}" in proc.stderr


class _FailingProxy(http.server.BaseHTTPRequestHandler):
    """Forwards to a real Oxigraph server but fails the Nth Graph Store upload with HTTP 500."""

    def log_message(self, *_args: object) -> None:
        pass

    def _forward(self) -> None:
        server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.command == "POST" and self.path.startswith("/store"):
            server.uploads += 1  # type: ignore[attr-defined]
            if server.uploads == server.fail_at:  # type: ignore[attr-defined]
                self.send_response(500)
                self.send_header("Content-Length", "6")
                self.end_headers()
                self.wfile.write(b"broken")
                return
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept", "authorization")}
        request = urllib.request.Request(server.target + self.path, data=body, method=self.command,  # type: ignore
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, payload, ctype = response.status, response.read(), response.headers.get("Content-Type")
        except urllib.error.HTTPError as exc:
            status, payload, ctype = exc.code, exc.read(), exc.headers.get("Content-Type")
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _forward


def test_load_failing_midway_leaves_no_half_written_graph(remote_built: str, tmp_path: Path) -> None:
    target = remote_built.rsplit("/", 1)[0]
    before = RemoteStore(Endpoint.from_options(remote_built))
    counts = {g: before.count(g) for g in before.named_graphs()}
    proxy = _QuietServer(("127.0.0.1", 0), _FailingProxy)
    proxy.target, proxy.uploads, proxy.fail_at = target, 0, 2  # type: ignore[attr-defined]
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        data = tmp_path / "data"
        import shutil

        shutil.copytree(ROOT / "data" / "sample", data)
        contacts = data / "crm" / "contacts.csv"
        contacts.write_text("".join(contacts.read_text(encoding="utf-8").splitlines(keepends=True)[:-5]),
                            encoding="utf-8")
        url = f"http://127.0.0.1:{proxy.server_address[1]}/query"
        proc = cx("build", "--only", "crm", "--only", "billing", "--data", str(data), "--endpoint", url,
                  cwd=tmp_path, store=tmp_path / ".cxgraph" / "store",
                  env={"CXGRAPH_INLINE_PUBLISH_QUADS": "0"})  # the staged path: graphs uploaded, then swapped
    finally:
        proxy.shutdown()
    assert proc.returncode == 2
    message = " ".join(proc.stderr.split())
    assert "HTTP 500" in message and "Nothing was replaced: the store is as it was before this build" in message
    after = RemoteStore(Endpoint.from_options(remote_built))
    assert {g: after.count(g) for g in after.named_graphs()} == counts


def test_push_uploads_every_graph(sample: Built, oxigraph_server: str, tmp_path: Path,
                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    port = free_port()
    process = subprocess.Popen([oxigraph_binary(), "serve", "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", process)
        store = tmp_path / "store"
        dump = tmp_path / "all.nq"
        sample.store.raw.dump(output=str(dump), format=ox.RdfFormat.N_QUADS)
        disk = ox.Store(str(store))
        disk.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
        disk.flush()
        del disk
        proc = cx("push", "--endpoint", f"http://127.0.0.1:{port}/query", cwd=tmp_path, store=store)
        assert proc.returncode == 0, proc.stderr
        remote = RemoteStore(Endpoint.from_options(f"http://127.0.0.1:{port}/query"))
        assert {g: remote.count(g) for g in remote.named_graphs()} == {
            g: sample.store.count(g) for g in sample.store.named_graphs()}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_remote_builds_are_serialized_by_a_lock_on_the_store(remote_built: str, tmp_path: Path) -> None:
    from cxgraph.project import LOCK_HOLDER, LOCK_TOKEN, REMOTE_LOCK, REMOTE_STAGING

    remote = RemoteStore(Endpoint.from_options(remote_built))
    before = {g: remote.count(g) for g in remote.named_graphs()}
    # a build on another machine holds the lock: this one is told who, and changes nothing
    remote.update(f'INSERT DATA {{ GRAPH <{REMOTE_LOCK}> {{ <{REMOTE_LOCK}> <{LOCK_TOKEN}> "x" ; '
                  f'<{LOCK_HOLDER}> "other-host pid 4242 since 2026-11-29T10:00:00+0000" }} }}')
    proc = cx("build", "--only", "crm", "--endpoint", remote_built, cwd=tmp_path, store=tmp_path / "s")
    assert proc.returncode == 2
    assert "another build is running on this store (other-host pid 4242" in " ".join(proc.stderr.split())
    # a build of this machine that was killed left its lock and a staging graph: both go, and it is said
    remote.update(f"DROP GRAPH <{REMOTE_LOCK}>")
    remote.update(f'INSERT DATA {{ GRAPH <{REMOTE_LOCK}> {{ <{REMOTE_LOCK}> <{LOCK_TOKEN}> "y" ; '
                  f'<{LOCK_HOLDER}> "{socket.gethostname()} pid 999999 since 2026-11-29T10:00:00+0000" }} }}'
                  f' ; INSERT DATA {{ GRAPH <{REMOTE_STAGING}dead/0> {{ <https://e.org/s> <https://e.org/p> 1 }} }}')
    stats = cx("stats", "--endpoint", remote_built, cwd=tmp_path, store=tmp_path / "s")
    assert "staging graph(s)" in " ".join(stats.stderr.split())
    proc = cx("build", "--only", "crm", "--endpoint", remote_built, cwd=tmp_path, store=tmp_path / "s")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert "removed the build lock of a build that is gone" in text and "removed 1 staging graph(s)" in text
    after = RemoteStore(Endpoint.from_options(remote_built))
    assert not [g for g in after.all_graphs() if g.startswith(REMOTE_STAGING)]
    assert {g: after.count(g) for g in after.named_graphs() if "/source/" in g} == {
        g: n for g, n in before.items() if "/source/" in g}


def test_readers_of_a_union_server_see_the_old_or_the_new_graphs_during_a_remote_build(tmp_path: Path) -> None:
    """On `oxigraph serve --union-default-graph`, what a plain client counts while a build publishes."""
    port = free_port()
    process = subprocess.Popen([oxigraph_binary(), "serve", "--location", str(tmp_path / "db"), "--bind",
                                f"127.0.0.1:{port}", "--union-default-graph"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", process)
        first = cx("build", "--endpoint", url, cwd=tmp_path, store=tmp_path / "s",
                   env={"CXGRAPH_UNION_DEFAULT_GRAPH": "true"})
        assert first.returncode == 0, first.stderr

        from cxgraph.project import REMOTE_LOCK

        def total() -> int:  # every quad but the build lock's two (which says a build runs, and is no data)
            query = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                                                     f"FILTER(?g != <{REMOTE_LOCK}>) }}"})
            request = urllib.request.Request(f"{url}?{query}", headers={"Accept": "application/sparql-results+json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(json.loads(response.read())["results"]["bindings"][0]["n"]["value"])

        before = total()
        build = subprocess.Popen([*CXGRAPH, "build", "--only", "crm", "--endpoint", url],
                                 cwd=tmp_path, env={**os.environ, "CXGRAPH_PROJECT": str(ROOT),
                                                    "CXGRAPH_STORE": str(tmp_path / "s"),
                                                    "CXGRAPH_UNION_DEFAULT_GRAPH": "true"},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seen = set()
        while build.poll() is None:
            seen.add(total())
        assert build.returncode == 0, build.stderr.read() if build.stderr else ""
        after = total()
        assert after != before  # the build changed the store (one more load in the provenance, at least)
        assert seen <= {before, after}, (before, after, sorted(seen))
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_triage_on_a_remote_store_equals_the_embedded_one(remote_built: str, sample: Built, tmp_path: Path) -> None:
    """`recommend triage --endpoint`: the same answer as on the embedded store, kept in the remote store (the
    first run creates the recommendations graph, which a real server does not serve before it exists)."""
    from cxgraph.answer.recommend import triage

    local = [(t.identifier, t.team, t.priority, [f.rule.iri for f in t.firings])
             for t in triage(sample.store, sample.project)]
    store = tmp_path / ".cxgraph" / "store"
    for _run in range(2):  # made again: replaced, not added
        proc = cx("recommend", "triage", "--endpoint", remote_built, "--format", "json", cwd=tmp_path, store=store)
        assert proc.returncode == 0, proc.stderr
        remote = [(t["identifier"], t["team"], t["priority"], [r["rule"] for r in t["rules"]])
                  for t in json.loads(proc.stdout)]
        assert remote == local
        kept = RemoteStore(Endpoint.from_options(remote_built))
        (row,) = kept.query("SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { GRAPH ?g { ?r a "
                            "<https://w3id.org/cxgraph/ontology#Recommendation> "
                            f"FILTER (STRSTARTS(STR(?r), \"{ID}recommendation/triage/\")) }} }}")
        assert int(row["n"].value) == len(local)


@pytest.mark.parametrize(("verb", "given", "kind", "iri"), [
    ("recover", "WEB-104211", "order", "commerce/order/WEB-104211"),
    ("suppress", "CMP-101", "campaign", "marketing/campaign/CMP-101"),
    ("outreach", "SIG-0002", "signal", "monitoring/signal/SIG-0002"),
])
def test_policy_verdicts_on_a_remote_store_equal_the_embedded_ones(remote_built: str, sample: Built, tmp_path: Path,
                                                                   verb: str, given: str, kind: str, iri: str) -> None:
    """`recommend recover|suppress|outreach --endpoint`: the same verdicts, rules and facts as embedded (the same
    JSON), kept once in the remote store."""
    from cxgraph.answer.policy import evaluate
    from cxgraph.answer.recommend import names
    from cxgraph.cli.recommend import evaluations_json

    evaluations = evaluate(sample.store, sample.project, kind, ID + iri)
    local = evaluations_json(sample.project, evaluations, names(sample.store, [e.target for e in evaluations]))
    store = tmp_path / ".cxgraph" / "store"
    for _run in range(2):  # made again: replaced, not added
        proc = cx("recommend", verb, given, "--endpoint", remote_built, "--format", "json", cwd=tmp_path, store=store)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) == local
        kept = RemoteStore(Endpoint.from_options(remote_built))
        (row,) = kept.query("SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { GRAPH ?g { ?r "
                            f"<https://w3id.org/cxgraph/ontology#isPromptedBy> <{ID}{iri}> }} }}")
        assert int(row["n"].value) == sum(len(e.verdicts) for e in evaluations)


def test_the_http_api_over_a_remote_store_answers_as_embedded(sample: Built, remote_built: str,
                                                               tmp_path: Path) -> None:
    """`cxgraph api --endpoint`: a context pack and a named query from the remote store equal the embedded
    ones; its /sparql takes SELECT queries."""
    from cxgraph.answer.context import build_pack

    with running_api("--endpoint", remote_built) as base:
        # (other tests of this module keep recommendations in the remote store: left out of the comparison)
        remote = json.loads(urllib.request.urlopen(f"{base}/orders/WEB-104211/context?limit=recommendations=0",
                                                   timeout=60).read())
        local = build_pack(sample.store, sample.project, "order", "WEB-104211", limits={"recommendations": 0})
        for pack in (remote, local):
            pack["pack"].pop("madeAt")
            pack["pack"]["sources"] = [s["graph"] for s in pack["pack"]["sources"]  # load times differ
                                       if s["graph"] != "graph:recommendations"]
            pack["pack"]["sections"] = [s for s in pack["pack"]["sections"] if s["name"] != "recommendations"]
        assert remote == local
        query = urllib.parse.urlencode({"customer": "id:crm/contact/0030000101"})
        answer = json.loads(urllib.request.urlopen(f"{base}/queries/customer-records?{query}", timeout=60).read())
        assert len(answer["results"]["bindings"]) == 4
        count = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/cxgraph/"
                                                 "ontology#Party> }"})
        counted = json.loads(urllib.request.urlopen(f"{base}/sparql?{count}", timeout=60).read())
        assert counted["results"]["bindings"][0]["n"]["value"] == "152"
