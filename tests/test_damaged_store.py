"""A store whose files are damaged inside (RocksDB opens it; a block fails its checksum when a read reaches it):
every reader says so as the store's failure, rebuild it, never a bare RocksDB error, a 400, or a hang.

pyoxigraph reads lazily, so the error surfaces while results are iterated, long after `query()` returned; and
its ASK, joins and ORDER BY on such a store never return: RocksDB's iterator repeats the error forever and they
read on past an error (an upstream defect; the query workers' time limit ends such a query, an in-process read
such as a context pack's does not).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from conftest import Built, garble, live_generation, write_store
from cxgraph.errors import CxGraphError, StoreDamaged
from cxgraph.stores.embedded import EmbeddedStore, damage
from cxgraph.stores.query_pool import QueryPool, Request
from test_endpoint import running_api
from test_serve_limits import ask, serving

EVERYTHING = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def damaged(sample: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = write_store(tmp_path_factory.mktemp("damaged") / ".cxgraph" / "store", sample.store.raw)
    garble(live_generation(store))
    return store


def test_damage_is_told_from_other_errors(tmp_path: Path) -> None:
    corrupt = RuntimeError("Corruption: block checksum mismatch: stored = 1, computed = 2 in /s/000154.sst")
    found = damage(corrupt, tmp_path)
    assert isinstance(found, StoreDamaged) and isinstance(found, CxGraphError)
    assert str(found) == (f"{tmp_path}: the store is damaged or unreadable ({corrupt}); rebuild it with "
                          "`cxgraph build`")
    assert damage(OSError("IO error: No such file or directory: While open a file for random read")) is not None
    assert damage(OSError("IO error: No space left on device")) is None  # a full disk is not damage
    assert damage(OSError("failed to lookup address information")) is None  # a SERVICE call
    assert damage(RuntimeError("The variable ?x is not projected")) is None
    assert damage(ValueError("Corruption: not from the store")) is None
    assert damage(found) is found


def test_reading_the_results_of_a_damaged_store_says_so(damaged: Path) -> None:
    store = EmbeddedStore(damaged)
    try:
        results = store.query(EVERYTHING)  # returns: pyoxigraph has read nothing yet
        assert [v.value for v in results.variables] == ["s", "p", "o"]
        with pytest.raises(StoreDamaged, match=r"the store is damaged or unreadable \(Corruption: block checksum "
                                               r"mismatch.*rebuild it with `cxgraph build`"):
            list(results)
        with pytest.raises(StoreDamaged):
            store.query(EVERYTHING).serialize(format=ox.QueryResultsFormat.JSON)
        with pytest.raises(StoreDamaged):
            list(store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"))
    finally:
        store.close()


def test_a_query_worker_says_the_store_is_damaged(damaged: Path) -> None:
    with QueryPool(damaged, size=1, timeout=30) as pool:
        with pytest.raises(StoreDamaged, match=r"the store is damaged or unreadable \(Corruption: "):
            pool.run(Request(EVERYTHING, rows=True))
        with pytest.raises(StoreDamaged, match="rebuild it with `cxgraph build`"):
            pool.run(Request(EVERYTHING))  # serialized in the worker


def test_the_sparql_endpoint_answers_503_store_damaged(damaged: Path) -> None:
    with serving(damaged, timeout=10) as (base, _process):
        status, body, kind = ask(base, EVERYTHING)
    assert status == 503 and kind.startswith("application/problem+json"), body
    problem = json.loads(body)
    assert problem["title"] == "Store damaged" and "damaged or unreadable (Corruption: " in problem["detail"]


def test_an_ask_on_a_damaged_store_says_so_instead_of_hanging(damaged: Path) -> None:
    """pyoxigraph's own ASK would loop forever here; the embedded store answers an ASK by its first solution."""
    store = EmbeddedStore(damaged)
    try:
        with pytest.raises(StoreDamaged, match="damaged or unreadable"):
            store.query("ASK { ?s a ?class }")
    finally:
        store.close()


def test_an_ask_is_answered_as_pyoxigraph_answers_it(sample: Built) -> None:
    """The first-solution form of an ASK gives the same booleans as pyoxigraph's ASK on a sound store."""
    asks = ["ASK { ?s ?p ?o }", "ASK WHERE { ?s a <https://w3id.org/cxgraph/ontology#Party> }",
            "PREFIX cx: <https://w3id.org/cxgraph/ontology#>\n# ASK in a comment\nask { ?s a cx:NoSuchClass }",
            "ASK { FILTER(false) }", "ASK {}", "ASK { ?s ?p ?o } LIMIT 0",
            "ASK { ?s ?p ?o } VALUES ?s { <https://example.org/nothing> }"]
    raw = sample.store.raw
    for text in asks:
        answer = sample.store.query(text)
        assert isinstance(answer, bool), text
        assert answer == bool(raw.query(text, use_default_graph_as_union=True)), text


def test_the_api_health_answers_503_store_damaged(damaged: Path) -> None:
    """A monitor sees the damage (it read 'ok' before: the staleness check took it for an unknown record)."""
    with running_api("--store", str(damaged), "--timeout", "10") as url:
        response = httpx.get(f"{url}/health", timeout=60)
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["title"] == "Store damaged" and "rebuild it with `cxgraph build`" in body["detail"], body
