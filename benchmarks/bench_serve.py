"""Serving benchmark: what bounding every query costs, against the plain alternatives in the same run.

Run: `python benchmarks/bench_serve.py [--requests N] [--clients C]` after `cxgraph build` (it reads the
store at $CXGRAPH_STORE or .cxgraph/store). On the same store and the same two queries (a light lookup of
one customer's name and a whole-store aggregate), it times:
  * embedded: pyoxigraph in this process (no limits; what a library caller gets);
  * `oxigraph serve-read-only` (its own HTTP server; its --timeout-s does not stop every query);
  * `cxgraph serve` (worker processes killed at their time and memory limits, answers built whole);
  * `QueryPool.run` in this process (what `cxgraph query` adds per query: one worker round trip);
and prints p50/p95 latency, requests per second with C concurrent clients, and ratios to embedded.
Nothing is asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox

from cxgraph.stores.generations import StoreFolder
from cxgraph.stores.push import oxigraph_binary
from cxgraph.stores.query_pool import QueryPool, Request

LIGHT = ("SELECT ?name WHERE { <https://data.brightwater.example/id/crm/contact/0030000101> "
         "<https://w3id.org/cxgraph/ontology#hasName> ?name }")
HEAVY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def _http(base: str, query: str) -> float:
    data = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(f"{base}/query", data=data, method="POST",
                                     headers={"Accept": "application/sparql-results+json",
                                              "Content-Type": "application/x-www-form-urlencoded"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
    return time.perf_counter() - started


def _series(call, n: int, clients: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """(p50 ms, p95 ms, requests/s) of n calls from `clients` threads."""
    for _ in range(3):
        call()
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        times = list(pool.map(lambda _i: call(), range(n)))
    wall = time.perf_counter() - started
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.95) - 1] * 1000, n / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    store_path = Path(os.environ.get("CXGRAPH_STORE", ".cxgraph/store"))
    folder = StoreFolder(store_path)
    live = folder.live()
    if live is None:
        sys.exit("no store: run `cxgraph build` first")
    lease = folder.lease()
    embedded = ox.Store.read_only(str(live))

    def local(query: str) -> float:
        started = time.perf_counter()
        list(embedded.query(query, use_default_graph_as_union=True))
        return time.perf_counter() - started

    servers = []
    oxi_port, cx_port = _port(), _port()
    servers.append(subprocess.Popen([oxigraph_binary(), "serve-read-only", "--location", str(live), "--bind",
                                     f"127.0.0.1:{oxi_port}", "--union-default-graph"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    cxgraph = Path(sys.executable).parent / "cxgraph"
    servers.append(subprocess.Popen([str(cxgraph), "serve", "--store", str(store_path), "--port", str(cx_port),
                                     "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    pool = QueryPool(store_path, size=2)
    try:
        _wait(f"http://127.0.0.1:{oxi_port}/")
        _wait(f"http://127.0.0.1:{cx_port}/")
        print(f"store: {live} ({len(embedded)} quads); {args.requests} requests, {args.clients} clients")
        cases = (("light lookup", LIGHT, args.requests), ("aggregate", HEAVY, max(20, args.requests // 20)))
        for name, query, n in cases:
            rows = {
                "embedded (in process)": _series(lambda q=query: local(q), n, args.clients),
                "QueryPool.run (cxgraph query)": _series(lambda q=query: _pool(pool, q), n, args.clients),
                "oxigraph serve-read-only": _series(lambda q=query: _http(f"http://127.0.0.1:{oxi_port}", q), n,
                                                    args.clients),
                "cxgraph serve": _series(lambda q=query: _http(f"http://127.0.0.1:{cx_port}", q), n, args.clients),
            }
            base = rows["embedded (in process)"]
            oxi = rows["oxigraph serve-read-only"]
            print(f"\n{name}:")
            print(f"  {'':32} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8}  p50 vs embedded  p50 vs oxigraph serve")
            for label, (p50, p95, rate) in rows.items():
                print(f"  {label:32} {p50:8.2f} {p95:8.2f} {rate:8.0f}  {p50 / base[0]:14.1f}x  {p50 / oxi[0]:20.2f}x")
    finally:
        pool.close()
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        lease.release()


def _pool(pool: QueryPool, query: str) -> float:
    started = time.perf_counter()
    pool.run(Request(query))
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
