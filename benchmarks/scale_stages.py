"""The stages of the scale harness, each run in its own watched process (`python -m benchmarks.scale_stages`).

Every stage writes one JSON result; `benchmarks/__main__.py` runs them, samples the process tree's memory and
prints the table. Stages and their floors, on the same data in the same run:
  generate            `cxgraph generate` (rows/s)
  build               `cxgraph build` on disk, time per stage; then exports the store (N-Quads, N-Triples union)
  floor-load          pyoxigraph bulk_load + optimize of the exported N-Quads into a fresh on-disk store
  validate            `cxgraph validate` (SHACL compiled to SPARQL on the store)
  pyshacl             pySHACL on the same shapes and union, compared result for result
  jena                Jena SHACL (Debian libapache-jena-java) on the same shapes and the same union
  queries             point questions p50 on disk (sampled customers, cases, orders, decisions); analytic ones on
                      disk and on an in-memory pyoxigraph store loaded with the same quads
  accuracy            identity resolution, late deliveries, the campaign guard and signal reach against truth/
  splink              Splink (DuckDB) on the same customer records, scored on the same truth beside the rules
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
JAVA_DIR = Path("/usr/share/java")
SH = "http://www.w3.org/ns/shacl#"


def _project(data: Path | None = None) -> Any:
    from cxgraph.project import load_project

    return load_project(ROOT, data)


def _open(store: Path) -> Any:
    from cxgraph.stores.embedded import EmbeddedStore

    return EmbeddedStore(store)


def stage_generate(args: argparse.Namespace) -> dict[str, Any]:
    from cxgraph.generate.enterprise import generate

    report = generate(args.data, args.customers, args.seed, ROOT / "data" / "sample")
    return {"rows": report.source_rows, "seconds": report.seconds, "hard_cases": report.hard_cases,
            "bytes": sum(f.stat().st_size for f in args.data.rglob("*") if f.is_file())}


def stage_build(args: argparse.Namespace) -> dict[str, Any]:
    from cxgraph.build.pipeline import build
    from cxgraph.project import WorkFolder

    project = _project(args.data)
    store = _open(args.store)
    report = build(project, store, WorkFolder.beside(args.store).root, echo=lambda _m: None)
    quads = sum(store.count(g) for g in store.named_graphs())
    rows = sum(s.rows_read for s in report.sources)
    disk = sum(f.stat().st_size for f in args.store.rglob("*") if f.is_file())
    store.close()
    return {"seconds": report.seconds, "stages": report.stages, "stage_peak_mib": report.stage_peak_mib,
            "quads": quads, "rows": rows,
            "quarantined": report.quarantined, "ok": report.ok, "disk_bytes": disk}


def stage_export(args: argparse.Namespace) -> dict[str, Any]:
    """The same quads for the floors: N-Quads for bulk loading, the union as N-Triples for Jena (a stage of
    its own: at 100,000 customers it took longer than its timeout left to the build)."""
    store = _open(args.store)
    started = time.perf_counter()
    store.dump(args.nquads, "nquads")  # what `cxgraph export` writes
    with args.union.open("wb") as nt:
        for graph in store.named_graphs():
            nt.write(store.export_graph(graph))
    store.close()
    return {"seconds": time.perf_counter() - started, "bytes": args.nquads.stat().st_size}


def stage_floor_load(args: argparse.Namespace) -> dict[str, Any]:
    import pyoxigraph as ox

    target = Path(tempfile.mkdtemp(prefix="floor-", dir=args.store.parent))
    try:
        started = time.perf_counter()
        store = ox.Store(str(target))
        store.bulk_load(path=str(args.nquads), format=ox.RdfFormat.N_QUADS)
        loaded = time.perf_counter()
        store.optimize()
        done = time.perf_counter()
        quads = len(store)
        del store
        return {"seconds": done - started, "load_seconds": loaded - started, "quads": quads}
    finally:
        shutil.rmtree(target, ignore_errors=True)


def stage_validate(args: argparse.Namespace) -> dict[str, Any]:
    """`cxgraph validate`'s engine (SHACL compiled to SPARQL, on the store); its results for the others."""
    return _validate(args, "sparql", args.results)


def stage_pyshacl(args: argparse.Namespace) -> dict[str, Any]:
    """pySHACL on a copy of the same union: the reference the compiled engine must equal, result for result."""
    out = _validate(args, "pyshacl", args.work / "pyshacl-results.json")
    if args.results.exists():
        ours = json.loads(args.results.read_text(encoding="utf-8"))["full"]
        theirs = json.loads((args.work / "pyshacl-results.json").read_text(encoding="utf-8"))["full"]
        mine, ref = Counter(map(tuple, ours)), Counter(map(tuple, theirs))
        out.update(identical=mine == ref, only_compiled=sum((mine - ref).values()),
                   only_pyshacl=sum((ref - mine).values()))
    return out


def _validate(args: argparse.Namespace, engine: str, results_file: Path) -> dict[str, Any]:
    from cxgraph.check.validate import load_shapes, run_validation

    project = _project(args.data)
    store = _open(args.store)
    started = time.perf_counter()
    validation = run_validation(store, project, engine=engine)
    seconds = time.perf_counter() - started
    if not args.shapes.exists():
        load_shapes(project.shapes)[0].serialize(args.shapes, format="turtle")
    results = sorted({(r.shape, r.focus, r.severity) for r in validation.results})
    # the message is left out: pySHACL writes a dateTime it substitutes in rdflib's normalized form
    full = sorted((r.shape, r.focus, r.severity, r.component or "", r.path or "", r.value or "")
                  for r in validation.results)
    results_file.write_text(json.dumps({"focus": results, "full": full}), encoding="utf-8")
    return {"seconds": seconds, "engine_seconds": validation.seconds, "results": len(validation.results),
            "counts": validation.counts, "triples": validation.data_triples}


def _jena_classpath(work: Path) -> str | None:
    from cxgraph.system import jena_classpath

    if not (JAVA_DIR / "jena-shacl.jar").is_file():
        return None
    return jena_classpath(work / "jena-shim")


def stage_jena(args: argparse.Namespace) -> dict[str, Any]:
    import rdflib

    from cxgraph.check.validate import load_shapes

    classpath = _jena_classpath(args.store.parent)
    if classpath is None:
        return {"error": "Jena not installed (cxgraph setup installs libapache-jena-java)"}
    if not args.shapes.exists():  # validation did not finish: Jena still runs, with nothing to compare against
        load_shapes(_project(args.data).shapes)[0].serialize(args.shapes, format="turtle")
    report = args.store.parent / "jena-report.ttl"
    started = time.perf_counter()
    with report.open("wb") as out:
        proc = subprocess.run(["java", f"-Xmx{args.java_gib}g", "-cp", classpath, "shacl.shacl", "validate",
                               "--shapes", str(args.shapes), "--data", str(args.union)],
                              stdout=out, stderr=subprocess.PIPE, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        return {"error": f"Jena exited {proc.returncode}: {proc.stderr.decode()[-300:]}", "seconds": seconds}
    graph = rdflib.Graph().parse(report, format="turtle")
    results = set()
    for node in graph.subjects(rdflib.RDF.type, rdflib.URIRef(SH + "ValidationResult")):
        shape = graph.value(node, rdflib.URIRef(SH + "sourceShape"))
        focus = graph.value(node, rdflib.URIRef(SH + "focusNode"))
        severity = str(graph.value(node, rdflib.URIRef(SH + "resultSeverity"))).rsplit("#", 1)[-1]
        results.add((str(shape) if isinstance(shape, rdflib.URIRef) else "_", str(focus), severity))
    if not args.results.exists():
        return {"seconds": seconds, "results": len(results), "same_focus_and_severity": None}
    ours = {tuple(r) for r in json.loads(args.results.read_text(encoding="utf-8"))["focus"]}
    # Jena names a blank-node property shape "_" where cxgraph names the node shape owning it: compare what
    # both name (focus node and severity), and the shapes both name
    named = {r[0] for r in results} & {r[0] for r in ours}
    return {"seconds": seconds, "results": len(results),
            "same_focus_and_severity": {(f, v) for _s, f, v in results} == {(f, v) for _s, f, v in ours},
            "only_jena": len({r for r in results if r[0] in named} - ours),
            "only_cxgraph": len({r for r in ours if r[0] in named} - results)}


def _sample(path: Path, column: str, n: int, seed: int, keep: Callable[[dict[str, str]], bool] = lambda _r: True,
            ) -> list[str]:
    """n values of a truth column, the same ones for the same seed (reservoir sampling: one pass, any size)."""
    rng = random.Random(seed)
    chosen: list[str] = []
    with path.open(encoding="utf-8") as f:
        for i, row in enumerate(r for r in csv.DictReader(f) if keep(r)):
            if i < n:
                chosen.append(row[column])
            elif (j := rng.randint(0, i)) < n:
                chosen[j] = row[column]
    return chosen


def _p50(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def stage_queries(args: argparse.Namespace) -> dict[str, Any]:
    import pyoxigraph as ox

    from cxgraph.answer.context import build_pack
    from cxgraph.answer.policy import evaluate
    from cxgraph.answer.queries import bind, catalog
    from cxgraph.stores.binding import bind_values
    from cxgraph.stores.embedded import EmbeddedStore

    project = _project(args.data)
    store = _open(args.store)
    queries = catalog(ROOT / "queries")
    ids = {"id": project.id_iri(""), "cx": "https://w3id.org/cxgraph/ontology#"}
    truth = args.data / "truth"
    customers = _sample(truth / "records.csv", "record", args.samples, 1, lambda r: r["system"] == "crm")
    orders = _sample(truth / "orders.csv", "order", args.samples, 2, lambda r: r["delayed"] == "yes")
    with (args.data / "case-management/cases.json").open(encoding="utf-8") as f:
        cases = [c["number"] for c in itertools.islice(json.load(f)["result"], 0, 2000)
                 if c.get("profile_id")][: args.samples]
    with (args.data / "case-management/decisions.json").open(encoding="utf-8") as f:
        decisions = [d["sys_id"] for d in itertools.islice(json.load(f)["result"], 0, args.samples)]

    def named(name: str, values: dict[str, str], on: Any = None) -> Callable[[], Any]:
        text = bind_values(queries[name].text, bind(queries[name], values, ids))
        target = on if on is not None else store
        return lambda: list(target.query(text))

    def over(focus: list[str], make: Callable[[str], Callable[[], Any]]) -> float:
        return statistics.median(_p50(make(f), args.runs) for f in focus) if focus else float("nan")

    point = {
        "CQ1 customer-records": over(customers, lambda c: named("customer-records", {"customer": f"id:{c}"})),
        "CQ3 conflicting-values": over(customers, lambda c: named("conflicting-values", {"customer": f"id:{c}"})),
        "CQ4 workflows-in-motion": over(customers, lambda c: named("workflows-in-motion", {"customer": f"id:{c}"})),
        "CQ5 governing-rules": over(cases, lambda c: named("governing-rules",
                                                           {"case": f"id:case-management/case/{c}"})),
        "CQ6 customer-journey": over(customers, lambda c: named("customer-journey", {"customer": f"id:{c}"})),
        "CQ7 recover (policy for an order)": over(orders, lambda o: lambda: evaluate(
            store, project, "order", project.id_iri(f"commerce/order/{o}"))),
        "CQ12 decision-explanation": over(decisions, lambda d: named("decision-explanation",
                                                                     {"decision": f"id:decision/{d}"})),
        "CQ13 recommendations": over(orders, lambda o: named("recommendations",
                                                             {"about": f"id:commerce/order/{o}"})),
        "CQ14 definition-in-context": _p50(named("definition-in-context", {"context": "id:context/billing-dispute"}),
                                           args.runs),
        "context pack: customer": over(customers[:5], lambda c: lambda: build_pack(
            store, project, "customer", project.id_iri(c))),
        "context pack: case": over(cases[:5], lambda c: lambda: build_pack(store, project, "case", c)),
        "context pack: order": over(orders[:5], lambda o: lambda: build_pack(store, project, "order", o)),
    }
    runs = max(1, args.runs // 4)
    analytic: dict[str, dict[str, float]] = {}
    whole = {"CQ2 system-of-record (e-mail)": ("system-of-record", {"term": "cx:hasEmailAddress"}),
             "CQ10 system-impact (wms)": ("system-impact", {"system": "id:system/wms"}),
             "CQ11 desire-paths": ("desire-paths", {}), "CQ11 desire-paths-evidence": ("desire-paths-evidence", {})}
    # Every query on disk before the in-memory copy is loaded: with millions of quads held in memory by the same
    # process, the disk store's reads slowed 3-4x (CQ 10 at 10,000 customers: 11 ms before, 37 ms after,
    # 11 ms again once the copy was freed), which measured the copy, not the disk.
    for label, (name, values) in whole.items():
        analytic[label] = {"disk_ms": _p50(named(name, values), runs)}
    campaign = project.id_iri("marketing/campaign/CMP-101")
    signal = project.id_iri("monitoring/signal/SIG-1000")
    policies = {"CQ8 campaign guard (CMP-101)": ("campaign", campaign),
                "CQ9 signal outreach (SIG-1000)": ("signal", signal)}
    for label, (kind, given) in policies.items():
        analytic[label] = {"disk_ms": _p50(lambda k=kind, g=given: evaluate(store, project, k, g), runs)}
    store.close()
    memory = ox.Store()
    memory.bulk_load(path=str(args.nquads), format=ox.RdfFormat.N_QUADS)
    for label, (name, values) in whole.items():
        text = bind_values(queries[name].text, bind(queries[name], values, ids))
        analytic[label]["memory_ms"] = _p50(lambda t=text: list(memory.query(t, use_default_graph_as_union=True)),
                                            runs)
    in_memory = EmbeddedStore.private(memory)  # the same policy engine, over the in-memory copy
    for label, (kind, given) in policies.items():
        analytic[label]["memory_ms"] = _p50(lambda k=kind, g=given: evaluate(in_memory, project, k, g), runs)
    return {"point_p50_ms": point, "analytic": analytic, "samples": args.samples}


def _pairs(groups: dict[str, set[str]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for members in groups.values():
        out.update(itertools.combinations(sorted(members), 2))
    return out


def _pr(found: set[Any], truth: set[Any]) -> dict[str, Any]:
    hit = len(found & truth)
    return {"precision": hit / len(found) if found else 1.0, "recall": hit / len(truth) if truth else 1.0,
            "found": len(found), "truth": len(truth)}


def stage_accuracy(args: argparse.Namespace) -> dict[str, Any]:
    from cxgraph.answer.policy import evaluate

    project = _project(args.data)
    store = _open(args.store)
    base = project.id_iri("")
    truth = args.data / "truth"
    with (truth / "records.csv").open(encoding="utf-8") as f:
        person_of = {r["record"]: r["person"] for r in csv.DictReader(f)}
    by_person: dict[str, set[str]] = defaultdict(set)
    for record, person in person_of.items():
        by_person[person].add(record)
    by_party: dict[str, set[str]] = defaultdict(set)
    party_of: dict[str, str] = {}
    for row in store.query("PREFIX cx: <https://w3id.org/cxgraph/ontology#> "
                           "SELECT ?r ?p WHERE { ?r cx:representsParty ?p }"):
        record = row["r"].value.removeprefix(base)
        by_party[row["p"].value].add(record)
        party_of[record] = row["p"].value
    identity = _pr(_pairs(by_party), _pairs(by_person))
    late_found = {row["s"].value.removeprefix(base + "logistics/shipment/") for row in store.query(
        "PREFIX cx: <https://w3id.org/cxgraph/ontology#> SELECT ?s WHERE { ?s a cx:Shipment ; cx:isLate true }")}
    with (truth / "late_shipments.csv").open(encoding="utf-8") as f:
        late_truth = {r["shipment"] for r in csv.DictReader(f)}
    campaign = project.id_iri("marketing/campaign/CMP-101")
    stopped = set()
    for evaluation in evaluate(store, project, "campaign", campaign):
        if any(v.action.endswith("/offer") and v.status != "allowed" for v in evaluation.verdicts):
            stopped.add(evaluation.target.removeprefix(base + "marketing/send/"))
    with (truth / "offer_sends.csv").open(encoding="utf-8") as f:
        sends = list(csv.DictReader(f))
    guard = _pr(stopped & {s["send"] for s in sends}, {s["send"] for s in sends if s["suppress"] == "yes"})
    merged = {person for members in by_party.values() if len({person_of.get(m) for m in members}) > 1
              for person in {person_of.get(m) for m in members}}  # people a false merge joined to another
    wrong = [s for s in sends if (s["send"] in stopped) != (s["suppress"] == "yes")]
    guard["wrong_where_identity_merged_people"] = f"{sum(s['person'] in merged for s in wrong)}/{len(wrong)}"
    with (truth / "signal_parties.csv").open(encoding="utf-8") as f:
        reach_truth = {(r["signal"], r["person"]) for r in csv.DictReader(f)}
    reach_found = set()
    for signal in sorted({s for s, _p in reach_truth}):
        for evaluation in evaluate(store, project, "signal", project.id_iri(f"monitoring/signal/{signal}")):
            for record in by_party.get(evaluation.target, ()):
                if record in person_of:
                    reach_found.add((signal, person_of[record]))
    store.close()
    return {"identity": identity, "late_deliveries": _pr(late_found, late_truth), "campaign_guard": guard,
            "signal_reach": _pr(reach_found, reach_truth)}


# Splink blocked on names too joins namesakes: its pairs grow with the square of the customers, and at
# 100,000 it was stopped at the harness's 20 GiB; blocked on e-mail or phone it runs at every size.
WIDE_SPLINK_MAX = 10_000


def stage_splink(args: argparse.Namespace) -> dict[str, Any]:
    """Splink on the records the rules link, scored on the same truth; what it adds to the rules' links."""
    try:
        import splink  # noqa: F401
    except ImportError:
        return {"error": "Splink is not installed (pip install -e '.[linkage]')"}
    from benchmarks.identity_splink import link, records

    project = _project(args.data)
    store = _open(args.store)
    base = project.id_iri("")
    with (args.data / "truth" / "records.csv").open(encoding="utf-8") as f:
        person_of = {base + r["record"]: r["person"] for r in csv.DictReader(f)}
    by_person: dict[str, set[str]] = defaultdict(set)
    for record, person in person_of.items():
        by_person[person].add(record)
    truth = _pairs(by_person)
    by_party: dict[str, set[str]] = defaultdict(set)
    for row in store.query("PREFIX cx: <https://w3id.org/cxgraph/ontology#> "
                           "SELECT ?r ?p WHERE { ?r cx:representsParty ?p }"):
        by_party[row["p"].value].add(row["r"].value)
    rules = _pairs(by_party)
    started = time.perf_counter()
    rows = records(store, project)
    read = time.perf_counter() - started
    out: dict[str, Any] = {"records": len(rows), "read_seconds": read, "rules": _pr(rules, truth)}
    for name, wide in (("email_or_phone", False), ("names_too", True)):
        if wide and args.customers > WIDE_SPLINK_MAX:
            out[name] = {"error": f"not run above {WIDE_SPLINK_MAX:,} customers: blocking on names gives pairs in "
                                  "the square of the customers (6,030 at 1,000, 348,656 at 10,000, precision 0.10)"}
            continue
        linked = link(rows, seed=args.seed, wide=wide)
        found = {tuple(sorted(pair)) for pair in linked["pairs"]}
        out[name] = {**_pr(found, truth), "seconds": linked["seconds"],
                     "true_links_the_rules_miss": len((found & truth) - rules),
                     "false_links": len(found - truth),
                     "false_links_the_rules_make_that_splink_does_not": len((rules - truth) - found)}
    return out


STAGES: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "generate": stage_generate, "build": stage_build, "export": stage_export, "floor-load": stage_floor_load,
    "validate": stage_validate, "pyshacl": stage_pyshacl,
    "jena": stage_jena, "queries": stage_queries, "accuracy": stage_accuracy, "splink": stage_splink,
}


def main() -> None:
    parser = argparse.ArgumentParser(description="one stage of the scale harness")
    parser.add_argument("stage", choices=sorted(STAGES))
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--java-gib", type=int, default=12)
    parser.add_argument("--result", type=Path, required=True)
    args = parser.parse_args()
    work: Path = args.work
    args.data, args.store = work / "data", work / "store"
    args.nquads, args.union = work / "store.nq", work / "union.nt"
    args.shapes, args.results, args.work = work / "shapes.ttl", work / "validate-results.json", work
    result = STAGES[args.stage](args)
    args.result.write_text(json.dumps(result, default=str), encoding="utf-8")


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    main()
