"""The store's history (issue 10, item 7): each published build is kept (the last $CXGRAPH_KEEP_HISTORY), so a
query, ad-hoc SPARQL and a decision's explanation answer from the graph as it was at a moment, and nothing of
today's data leaks into that answer. Real builds of the sample on disk, real processes."""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import CX, ID, ROOT, cx, write_store
from cxgraph.errors import CxGraphError
from cxgraph.stores.embedded import EmbeddedStore
from cxgraph.stores.generations import StoreFolder

EMAIL = f"SELECT ?e WHERE {{ <{ID}crm/contact/0030000101> <{CX}hasEmailAddress> ?e }}"


def _quads(store: Path, as_of: datetime | None = None) -> set[str]:
    reader = EmbeddedStore(store, as_of=as_of)
    found = {str(q) for q in reader.raw.quads_for_pattern(None, None, None, None)}
    reader.close()
    return found


def _now() -> datetime:
    moment = datetime.now(UTC)
    time.sleep(0.05)  # the next publication is strictly later
    return moment


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Two builds: the sample before billing processed DEC-10421's refund, then with the refund processed, Ann
    Rees's CRM e-mail changed, her late shipment delivered on time and her backordered tent shipped; the moment
    between them and the first build's quads."""
    work = tmp_path_factory.mktemp("history")
    data = work / "data"
    shutil.copytree(ROOT / "data" / "sample", data)
    store = work / ".cxgraph" / "store"
    refunds = data / "billing" / "refunds.csv"
    processed = refunds.read_text(encoding="utf-8")
    refund = "RF-104211,WEB-104211,BA-500101,189.00,GBP,processed,2026-11-19T09:00:00Z\n"
    assert refund in processed
    refunds.write_text(processed.replace(refund, ""), encoding="utf-8")
    first = cx("build", "--data", str(data), cwd=work, store=store)
    assert first.returncode == 0, first.stderr
    before = _quads(store)
    between = _now()
    refunds.write_text(processed, encoding="utf-8")
    contacts = data / "crm" / "contacts.csv"
    contacts.write_text(contacts.read_text(encoding="utf-8").replace(
        "0030000101,Ann,Rees,ann.rees@example.com", "0030000101,Ann,Rees,ann.rees@new.example"), encoding="utf-8")
    shipments = data / "logistics" / "shipments.json"
    doc = json.loads(shipments.read_text(encoding="utf-8"))
    for shipment in doc["shipments"]:
        if shipment["shipment_id"] == "SHP-104211":
            shipment.update(status="delivered", delivered_at="2026-11-09T12:00:00+00:00")
    shipments.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    fulfilments = data / "wms" / "fulfilments.csv"
    fulfilments.write_text(fulfilments.read_text(encoding="utf-8").replace(
        "FUL-104212,WEB-104211,BW-10007,backordered,", "FUL-104212,WEB-104211,BW-10007,shipped,"), encoding="utf-8")
    second = cx("build", "--data", str(data), cwd=work, store=store)
    assert second.returncode == 0, second.stderr
    return {"work": work, "store": store, "data": data, "between": between, "before": before}


def _run(h: dict[str, object], *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return cx(*args, cwd=h["work"], store=h["store"], env=env)  # type: ignore[arg-type]


def test_a_query_as_of_a_moment_answers_from_the_build_live_then(history: dict[str, object]) -> None:
    moment = history["between"].isoformat()  # type: ignore[attr-defined]
    assert _run(history, "sparql", EMAIL, "--format", "csv").stdout.splitlines() == ["e", "ann.rees@new.example"]
    assert _run(history, "sparql", EMAIL, "--format", "csv", "--as-of", moment).stdout.splitlines() == \
        ["e", "ann.rees@example.com"]
    stats = _run(history, "stats")
    assert "History: 2 build(s) kept, published from " in " ".join(stats.stdout.split()), stats.stdout
    named = _run(history, "query", "customer-records", "-p", "customer=id:crm/contact/0030000101", "--format",
                 "csv", "--as-of", moment)
    assert named.returncode == 0, named.stderr
    assert f"{ID}crm/contact/0030000101,contract holder,Brightwater CRM (Salesforce-style),0030000101,Ann Rees," \
           "ann.rees@example.com," in named.stdout


def test_a_context_pack_as_of_a_moment(history: dict[str, object]) -> None:
    """`cxgraph context customer --as-of`: Ann Rees's CRM e-mail as it was, her refund not yet processed."""
    moment = history["between"].isoformat()  # type: ignore[attr-defined]
    then = _run(history, "context", "customer", "0030000101", "--as-of", moment)
    today = _run(history, "context", "customer", "0030000101")
    assert then.returncode == 0 and today.returncode == 0, then.stderr + today.stderr
    old, new = json.loads(then.stdout), json.loads(today.stdout)
    assert old["pack"]["asOf"] == moment and new["pack"]["asOf"] is None
    assert '"ann.rees@example.com"' in then.stdout and "ann.rees@new.example" not in then.stdout
    assert "ann.rees@new.example" in today.stdout
    assert "billing/refund/RF-104211" not in then.stdout and "billing/refund/RF-104211" in today.stdout


def test_nothing_of_today_leaks_into_an_as_of_answer(history: dict[str, object]) -> None:
    """The graph as of the moment between the builds is exactly the first build: every quad, no more."""
    store = history["store"]
    assert _quads(store, history["between"]) == history["before"]  # type: ignore[arg-type]
    assert _quads(store) != history["before"]  # type: ignore[arg-type]


def test_a_decision_explained_as_it_stood_and_as_it_stands(history: dict[str, object]) -> None:
    proc = _run(history, "explain", "DEC-10421", "--format", "json", "--as-of",
                history["between"].isoformat())  # type: ignore[attr-defined]
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    (then,) = body["then"]
    (today,) = body["rules"]
    assert (then["holds"], then["action"]["status"], then["action"]["approvals"]) == (
        True, "allowed", [ID + "role/supervisor"])
    assert ["id:logistics/shipment/SHP-104211", "cx:isLate", "true"] in then["facts"]
    assert ["id:wms/fulfilment/FUL-104212", "cx:hasStatus", "backordered"] in then["facts"]
    # today the shipment arrived before the promised day and the tent shipped: the condition no longer holds,
    # and the on-time rule forbids a delay refund
    assert (today["holds"], today["facts"], today["action"]["status"]) == (False, [], "forbidden")
    text = _run(history, "explain", "DEC-10421", "--as-of", history["between"].isoformat())  # type: ignore[attr-defined]
    assert "its condition held for id:commerce/order/WEB-104211" in text.stdout
    assert "today its condition no longer holds for id:commerce/order/WEB-104211" in " ".join(text.stdout.split())


@pytest.mark.parametrize(("as_of", "message"), [
    ("before", "the store keeps no build published by {day}T00:00:00+00:00: its history starts at"),
    ("2026-11-30T10:00", "has no offset (Z or +01:00)"),
    ("yesterday", "is not a date-time"),
])
def test_an_as_of_the_store_cannot_answer_is_refused(history: dict[str, object], as_of: str, message: str) -> None:
    first = StoreFolder(history["store"]).history()[0][0]  # type: ignore[arg-type]
    day = (first - timedelta(days=1)).date().isoformat()  # the day before the first build, whatever the clock
    proc = _run(history, "sparql", EMAIL, "--as-of", day if as_of == "before" else as_of)
    assert proc.returncode == 2 and message.format(day=day) in " ".join(proc.stderr.split()), proc.stderr


def test_explain_as_of_its_decision_or_a_remote_store_is_refused(history: dict[str, object]) -> None:
    decided = _run(history, "explain", "DEC-10421", "--as-of", "decided")  # 2026-11-18: before any build here
    assert decided.returncode == 2
    assert "keeps no build published by 2026-11-18T15:35:00+01:00" in " ".join(decided.stderr.split())
    for args in (("sparql", EMAIL), ("explain", "DEC-10421")):  # refused before any work (no endpoint is reached)
        remote = _run(history, *args, "--as-of", "2026-11-30T00:00:00z", "--endpoint", "http://127.0.0.1:9/query")
        assert remote.returncode == 2 and "a remote store keeps no history here" in remote.stderr, remote.stderr


def _publish(store: Path, marker: str) -> None:
    """One publication into an on-disk store (a build's last step): the marker's quad, nothing else."""
    write_store(store, update=f"DELETE WHERE {{ <urn:x:store> ?p ?o }} ; "
                              f"INSERT DATA {{ <urn:x:store> <urn:x:is> {ox.Literal(marker)} }}")


def _marker(store: Path, moment: datetime) -> str:
    reader = EmbeddedStore(store, as_of=moment)
    (quad,) = list(reader.raw.quads_for_pattern(ox.NamedNode("urn:x:store"), None, None, None))
    reader.close()
    return quad.object.value


def test_a_kept_old_generation_never_answers_for_a_removed_newer_one(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader (an idle server worker) keeps generation A open past its history; B, newer, is removed: a moment
    in B's period is refused, never answered from A."""
    monkeypatch.setenv("CXGRAPH_KEEP_HISTORY", "1")
    store = tmp_path / "store"
    _publish(store, "A")
    holder = EmbeddedStore(store)
    holder.named_graphs()  # leases A
    _publish(store, "B")
    during_b = _now()
    _publish(store, "C")
    after_c = _now()
    assert _marker(store, after_c) == "C"
    with pytest.raises(CxGraphError, match=r"the store keeps no build published by .*its history starts at"):
        _marker(store, during_b)
    holder.close()


def test_a_torn_history_line_does_not_swallow_the_next(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _publish(store, "A")
    during_a = _now()
    history = store / "history"
    history.write_bytes(history.read_bytes() + b"2026-11-30T07:1")  # a power cut while appending a line
    _publish(store, "B")
    after_b = _now()
    _publish(store, "C")  # B is no longer live: only its own line says when it was
    after_c = _now()
    assert [_marker(store, during_a), _marker(store, after_b), _marker(store, after_c)] == ["A", "B", "C"]
    assert len(StoreFolder(store).history()) == 3


def test_a_reader_never_prunes_the_history(tmp_path: Path) -> None:
    """A reader that clears a dead build's folder keeps every published build, whatever its own setting."""
    store = tmp_path / "store"
    for marker in "ABC":
        _publish(store, marker)
    (store / "generations" / "00000000000000000001.partial").mkdir()  # a dead build's
    proc = cx("sparql", "SELECT * WHERE { ?s ?p ?o }", "--format", "csv", cwd=tmp_path, store=store,
              env={"CXGRAPH_KEEP_HISTORY": "ten"})
    assert proc.returncode == 0, proc.stderr
    assert len([p for p in (store / "generations").iterdir() if p.is_dir()]) == 3
    assert len(StoreFolder(store).history()) == 3


def test_the_history_kept_and_a_build_killed_before_its_line(history: dict[str, object], tmp_path: Path) -> None:
    store = tmp_path / ".cxgraph" / "store"
    shutil.copytree(history["store"].parent, store.parent)  # type: ignore[attr-defined]
    data = history["data"]
    lines = (store / "history").read_text(encoding="ascii").splitlines()
    assert len(lines) == 2
    # a build killed after publishing, before writing its history line: what readers see is still history
    killed = cx("build", "--data", str(data), "--only", "crm", cwd=tmp_path, store=store,
                env={"CXGRAPH_KILL_AT": "live"})
    assert killed.returncode != 0
    assert len((store / "history").read_text(encoding="ascii").splitlines()) == 2
    now = datetime.now(UTC)
    assert _quads(store, now) == _quads(store)
    # keep one build: the next one removes the others, and the moment between the first two is gone
    kept = cx("build", "--data", str(data), "--only", "crm", cwd=tmp_path, store=store,
              env={"CXGRAPH_KEEP_HISTORY": "1"})
    assert kept.returncode == 0, kept.stderr
    assert len([p for p in (store / "generations").iterdir() if p.is_dir()]) == 1
    gone = cx("sparql", EMAIL, "--as-of", history["between"].isoformat(), cwd=tmp_path,  # type: ignore[attr-defined]
              store=store)
    assert gone.returncode == 2 and "its history starts at" in gone.stderr


def test_what_a_store_remembers_is_per_published_build(tmp_path: Path) -> None:
    """`remembered` (the policy catalog, when graphs were loaded) is computed once per published build, for every
    reader of it, and afresh for the next build and for a store in memory, whose data can change under it."""
    from cxgraph.answer.policy import rules

    store = tmp_path / "store"
    policy = (f"INSERT DATA {{ GRAPH <{ID}graph/x> {{ <{ID}p> a <{CX}Policy> ; <{CX}hasScopeQuery> 'scope.rq' . "
              f"<{ID}r1> <{CX}isRuleOf> <{ID}p> ; <{CX}hasConditionQuery> 'first.rq' }} }}")
    write_store(store, update=policy)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    first, second = EmbeddedStore(store), EmbeddedStore(store)
    assert first.remembered("n", compute) == 1 and second.remembered("n", compute) == 1  # one build: once
    assert [r.condition for _p, _l, _s, r in rules(first)] == ["first.rq"]
    first.close()
    second.close()
    rule = f"GRAPH <{ID}graph/x> {{ <{ID}r1> <{CX}hasConditionQuery>"
    write_store(store, update=f"DELETE DATA {{ {rule} 'first.rq' }} }}; INSERT DATA {{ {rule} 'next.rq' }} }}")
    later = EmbeddedStore(store)
    assert later.remembered("n", compute) == 2  # the next build: computed again
    assert [r.condition for _p, _l, _s, r in rules(later)] == ["next.rq"]
    later.close()
    memory = EmbeddedStore()
    assert memory.remembered("n", compute) == 3 and memory.remembered("n", compute) == 4
