"""Marketplace benchmark: cxgraph on data it was not written for, an Olist-shaped marketplace at scale.

Run: `python benchmarks/bench_marketplace.py [--customers N] [--data DIR] [--work DIR] [--regenerate]`.
It generates the exports if they are missing (`benchmarks/marketplace/generate.py`, seeded, ~16,000
customer rows by default), then runs cxgraph as a user would, with the marketplace's registry:

    cxgraph --registry benchmarks/marketplace/loaders/sources.yaml build --store WORK/store
    cxgraph --registry ... validate --store WORK/store --format json --output WORK/validation.json
    cxgraph --registry ... sparql / query ...

and prints rows read, loaded and quarantined per file (with the reasons), triples per graph, build and
validate seconds, validation results by shape and severity, identity parties against the distinct
customer_unique_id, and each answer of the graph beside the same answer computed in plain Python from the
CSV files, with both times and their ratio. Every comparison is printed as `equal` or `DIFFERENT`; the
script exits 1 when one differs (speed is measured, not tested).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import yaml

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks" / "marketplace"
REGISTRY = HERE / "loaders" / "sources.yaml"
CONTRACT = HERE / "loaders" / "contracts" / "marketplace.json"
DEFAULT_WORK = Path("/tmp/cxgraph-marketplace")
ID = "https://data.marketplace.example/id/marketplace/"
T = TypeVar("T")

sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (benchmarks/marketplace/generate.py)

LATE_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s cx:isLate true }"
LATE_AND_UNHAPPY = """
SELECT (COUNT(DISTINCT ?shipment) AS ?n) WHERE {
  ?shipment a cx:Shipment ; cx:isLate true ; cx:fulfilsOrder ?order .
  ?review a cx:Review ; cx:concernsOrder ?order ; cx:hasRating ?score .
  FILTER (?score <= 2)
}"""
GRAPH_TRIPLES = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
PARTIES = "SELECT ?record ?party WHERE { ?record a cx:DigitalIdentity ; cx:representsParty ?party }"
COMMENTS = "SELECT ?id ?text WHERE { ?review a cx:Review ; cx:hasSourceIdentifier ?id ; cx:hasCommentText ?text }"


class Bench:
    """Runs the command line and keeps the figures."""

    def __init__(self, work: Path, data: Path | None) -> None:
        self.work = work
        self.store = work / "store"
        self.data = data
        script = Path(sys.executable).with_name("cxgraph")
        self.cli = [str(script)] if script.exists() else [sys.executable, "-m", "cxgraph"]
        self.failures: list[str] = []

    def run(self, *args: str, data: bool = False, ok: tuple[int, ...] = (0,)) -> tuple[str, float, int]:
        command = [*self.cli, "--registry", str(REGISTRY), *args, "--store", str(self.store)]
        if data and self.data:
            command += ["--data", str(self.data)]
        started = time.perf_counter()
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "COLUMNS": "250"})
        seconds = time.perf_counter() - started
        if proc.returncode not in ok:
            sys.exit(f"{' '.join(command)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout, seconds, proc.returncode

    def sparql(self, query: str) -> tuple[list[dict[str, str]], float]:
        text, seconds, _ = self.run("sparql", query, "--format", "json")
        rows = [{k: v["value"] for k, v in b.items()} for b in json.loads(text)["results"]["bindings"]]
        return rows, seconds

    def compare(self, what: str, graph: Any, plain: Any, graph_s: float, plain_s: float, show: str = "",
                command: str = "cxgraph command") -> None:
        verdict = "equal" if graph == plain else "DIFFERENT"
        if graph != plain:
            self.failures.append(what)
        shown = show or f"graph {graph} vs plain Python {plain}"
        print(f"  {what}: {shown}: {verdict}; graph {graph_s:.2f} s ({command}), plain Python "
              f"{plain_s:.3f} s, ratio graph/plain {graph_s / max(plain_s, 1e-6):.1f}x")


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


# Plain Python on the CSV files ---------------------------------------------------------------------------

class Exports:
    """The CSV files as rows (csv.DictReader), and what the contract decides about them, recomputed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        contract = json.loads(CONTRACT.read_text(encoding="utf-8"))["record_sets"]
        self.sets = {name: spec for name, spec in contract.items()}
        self.rows = {name: self._read(spec["file"]) for name, spec in self.sets.items()}
        self._lines: dict[str, dict[int, str]] = {}

    def _read(self, name: str) -> list[dict[str, str]]:
        with (self.folder / name).open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))

    def line_keys(self, name: str) -> dict[int, str]:
        """Row key by the physical line on which each CSV record starts (the engine's `line N`)."""
        if name not in self._lines:
            with (self.folder / self.sets[name]["file"]).open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle)
                header = next(reader)
                lines = self._lines[name] = {}
                start = reader.line_num + 1
                for values in reader:
                    line, start = start, reader.line_num + 1
                    if values and values != [""]:
                        lines[line] = self.key(name, dict(zip(header, values, strict=False)))
        return self._lines[name]

    def key(self, name: str, row: dict[str, str]) -> str:
        key = self.sets[name]["key"]
        return "|".join(row[k] for k in ([key] if isinstance(key, str) else key))

    def quarantine(self, zone: str) -> dict[tuple[str, str], str]:
        """(record set, key) -> rule: local times the zone skips or passes twice, and every row whose reference
        then points at a quarantined row (repeated until nothing changes). The generator plants no other fault."""
        bad: dict[tuple[str, str], str] = {}
        for name, spec in self.sets.items():
            stamps = [f for f, rule in spec["fields"].items() if rule.get("type") == "datetime"]
            for row in self.rows[name]:
                for field in stamps:
                    value = row[field].strip()
                    if value and not generate.once(datetime.fromisoformat(value)):
                        bad[(name, self.key(name, row))] = "timezone"
                        break
        changed = True
        while changed:
            changed = False
            for name, spec in self.sets.items():
                refs = [(f, rule["references"]) for f, rule in spec["fields"].items() if "references" in rule]
                for row in self.rows[name]:
                    mine = (name, self.key(name, row))
                    if mine in bad:
                        continue
                    for field, target in refs:
                        target_set, _, _target_field = target.partition(".")
                        value = row[field]
                        if value and (target_set, value) in bad:
                            bad[mine] = "reference-quarantined"
                            changed = True
                            break
        return bad

    def accepted(self, name: str, bad: dict[tuple[str, str], str]) -> list[dict[str, str]]:
        return [row for row in self.rows[name] if (name, self.key(name, row)) not in bad]


def late_subjects(orders: list[dict[str, str]], as_of: date) -> dict[str, str]:
    """rules/late-delivery.rq, read from its description and applied to the orders file: IRI -> why.

    A shipment exists for an order that reached the carrier or the customer. It is late when it arrived
    after the promised day (the estimated delivery date); when it has not arrived, when it was shipped after
    that day, or when that day is before the as-of day (the platform records arrivals, so it is "still on
    its way"). An order with no shipment is late when its promised day is before the as-of day. Neither is
    late when the order's status says cancel. Days are the local days written in the export.
    """
    late: dict[str, str] = {}
    for o in orders:
        promised = o["order_estimated_delivery_date"][:10]
        shipped = o["order_delivered_carrier_date"][:10] or None
        arrived = o["order_delivered_customer_date"][:10] or None
        if "cancel" in o["order_status"].lower():
            continue
        if shipped or arrived:
            iri = ID + "shipment/" + o["order_id"]
            if arrived and arrived > promised:
                late[iri] = "arrived after the promised day"
            elif not arrived and shipped and shipped > promised:
                late[iri] = "shipped after the promised day"
            elif not arrived and promised < as_of.isoformat():
                late[iri] = f"not arrived, promised day passed ({o['order_status']})"
        elif promised < as_of.isoformat():
            late[ID + "order/" + o["order_id"]] = f"never shipped, promised day passed ({o['order_status']})"
    return late


def zoned(local: str, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(local).replace(tzinfo=zone).isoformat()


# The run ---------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None,
                        help=f"exports folder (default: the registry's data_root, {generate.DEFAULT_FOLDER})")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="where the store and reports go")
    parser.add_argument("--customers", type=int, default=16_000, help="customer rows when generating")
    parser.add_argument("--seed", type=int, default=20181017)
    parser.add_argument("--regenerate", action="store_true", help="write the exports even when they exist")
    args = parser.parse_args()
    registry = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))
    source = registry["sources"]["marketplace"]
    data = (args.data or (REGISTRY.parent / registry["data_root"])).resolve()
    zone = ZoneInfo(source["timezone"])
    as_of = date.fromisoformat(str(registry["as_of"]))
    bench = Bench(args.work.resolve(), data if args.data else None)

    if args.regenerate or not all((data / f).is_file() for f in source["files"]):
        made, seconds = timed(lambda: generate.generate(data, args.customers, args.seed))
        print(f"Generated {sum(made.counts.values()):,} rows into {data} in {seconds:.1f} s (seed {args.seed}).")
    notes = json.loads((data / "generation.json").read_text(encoding="utf-8"))
    print(f"Exports: {data} ({notes['customers_requested']:,} customer rows requested, seed {notes['seed']}); "
          f"planted DST traps: {len(notes['dst_traps'])}, anomalies: {len(notes['anomalies'])}")
    for line in notes["dst_traps"]:
        print(f"  DST trap: {line}")
    for line in notes["anomalies"]:
        print(f"  anomaly: {line}")

    # build ---------------------------------------------------------------------------------------------
    for leftover in (bench.store, bench.work / "reports"):  # a fresh store each run: comparable timings
        if leftover.exists():
            shutil.rmtree(leftover)
    out, build_s, _ = bench.run("build", data=True)
    report = json.loads((bench.work / "reports" / "quarantine.json").read_text(encoding="utf-8"))
    print(f"\nBuild: {build_s:.1f} s (cxgraph build, wall clock); status {report['status']}")
    for line in out.splitlines():
        if line.startswith(("Identity resolution", "Reasoning", "Rules", "Quarantined rows")):
            print(f"  {line.strip()}")
    print(f"  {'file':<40} {'read':>7} {'loaded':>7} {'quarantined':>11}")
    for rs in report["record_sets"]:
        print(f"  {rs['file']:<40} {rs['read']:>7,} {rs['loaded']:>7,} {rs['quarantined']:>11,}")
    totals = [sum(rs[k] for rs in report["record_sets"]) for k in ("read", "loaded", "quarantined")]
    print(f"  {'total':<40} {totals[0]:>7,} {totals[1]:>7,} {totals[2]:>11,}")
    reasons = Counter((q["file"], q["rule"], q["column"]) for q in report["quarantined"])
    for (file, rule, column), n in sorted(reasons.items()):
        print(f"  quarantined: {n} x {rule} on {column} in {file}")
    for q in report["quarantined"]:
        if q["rule"] != "reference-quarantined":
            print(f"    {q['file']} {q['locator']}: {q['message']}")
    triples, triples_s = bench.sparql(GRAPH_TRIPLES)
    print(f"  triples per graph ({triples_s:.2f} s):")
    for row in triples:
        print(f"    {int(row['n']):>9,}  {row['g']}")
    print(f"    {sum(int(r['n']) for r in triples):>9,}  all graphs")

    # plain Python: read the CSV files once ---------------------------------------------------------------
    exports, read_s = timed(lambda: Exports(data))
    print(f"\nPlain Python: read {sum(len(r) for r in exports.rows.values()):,} CSV rows in {read_s:.2f} s "
          "(csv.DictReader); each answer below is timed with this reading included")

    print("\nComparisons (graph answer vs the same answer in plain Python on the CSV files):")
    expected, q_s = timed(lambda: exports.quarantine(source["timezone"]))
    graph_q = {(q["record_set"], _row_key(exports, q)): q["rule"] for q in report["quarantined"]}
    bench.compare("quarantined rows (record set, key, rule)", graph_q, expected, build_s, read_s + q_s,
                  show=f"build quarantined {len(graph_q)}, plain Python expects {len(expected)} "
                       f"({dict(Counter(expected.values()))})", command="the whole cxgraph build")
    orders = exports.accepted("orders", expected)

    # identity
    rows, party_s = bench.sparql(PARTIES)
    customers, c_s = timed(lambda: exports.accepted("customers", expected))
    by_person: dict[str, set[str]] = defaultdict(set)
    for row in customers:
        by_person[row["customer_unique_id"]].add(ID + "customer/" + row["customer_id"])
    by_party: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        by_party[row["party"]].add(row["record"])
    graph_groups = sorted(sorted(g) for g in by_party.values())
    plain_groups = sorted(sorted(g) for g in by_person.values())
    bench.compare("identity: parties vs distinct customer_unique_id", graph_groups, plain_groups, party_s,
                  read_s + c_s, show=f"{len(by_party):,} parties over {len(rows):,} customer records vs "
                                     f"{len(by_person):,} distinct customer_unique_id over {len(customers):,} rows "
                                     f"(same grouping record by record)")

    # late deliveries
    rows, late_s = bench.sparql(LATE_COUNT)
    late, l_s = timed(lambda: late_subjects(exports.accepted("orders", expected), as_of))
    bench.compare("late deliveries (?s cx:isLate true)", int(rows[0]["n"]), len(late), late_s, read_s + l_s)
    why = Counter(reason.split(" (")[0] for reason in late.values())
    for reason, n in why.most_common():
        print(f"    {n:>5,}  {reason}")
    statuses = Counter(r.split("(")[-1].rstrip(")") for r in late.values() if "(" in r)
    print(f"    late without an arrival, by order status: {dict(statuses)}")

    # late and unhappy
    rows, unhappy_s = bench.sparql(LATE_AND_UNHAPPY)

    def late_and_unhappy() -> int:
        low = {r["order_id"] for r in exports.accepted("reviews", expected) if int(r["review_score"]) <= 2}
        shipments = late_subjects(exports.accepted("orders", expected), as_of)
        return sum(1 for iri in shipments if "/shipment/" in iri and iri.rsplit("/", 1)[1] in low)

    plain_unhappy, u_s = timed(late_and_unhappy)
    bench.compare("late shipments whose order got a review score <= 2", int(rows[0]["n"]), plain_unhappy,
                  unhappy_s, read_s + u_s)

    # a customer's journey, across the customer_id rows of one person
    persons = Counter(row["customer_unique_id"] for row in customers)
    busiest = max(persons, key=lambda p: (persons[p], p))
    records = sorted(r["customer_id"] for r in customers if r["customer_unique_id"] == busiest)
    out, journey_s, _ = bench.run("query", "customer-journey", "--param",
                                  f"customer=id:marketplace/customer/{records[0]}", "--format", "json")
    journey = [{k: v["value"] for k, v in b.items()} for b in json.loads(out)["results"]["bindings"]]
    graph_events = sorted((r["event"], r["record"].removeprefix(ID), r["time"], r.get("detail", ""))
                          for r in journey)

    def plain_journey() -> list[tuple[str, str, str, str]]:
        mine = set(records)
        placed = [o for o in orders if o["customer_id"] in mine]
        lateness = late_subjects(placed, as_of)
        events = []
        for o in placed:
            order_late = ID + "order/" + o["order_id"] in lateness
            ship_late = ID + "shipment/" + o["order_id"] in lateness
            status = o["order_status"] + (" (late)" if order_late else "")
            events.append(("order placed", "order/" + o["order_id"], zoned(o["order_purchase_timestamp"], zone),
                           status))
            if o["order_delivered_carrier_date"]:
                events.append(("shipment dispatched", "shipment/" + o["order_id"],
                               zoned(o["order_delivered_carrier_date"], zone), "late" if ship_late else ""))
            if o["order_delivered_customer_date"]:
                events.append(("shipment delivered", "shipment/" + o["order_id"],
                               zoned(o["order_delivered_customer_date"], zone), "late" if ship_late else ""))
        ids = {o["order_id"] for o in placed}
        for r in exports.accepted("reviews", expected):
            if r["order_id"] in ids:
                text = r["review_comment_message"]
                events.append(("review", "review/" + r["review_id"], zoned(r["review_answer_timestamp"], zone),
                               r["review_score"] + (f": {text}" if text.strip() else "")))
        return sorted(events)

    plain_events, j_s = timed(plain_journey)
    payments = [p for p in exports.accepted("payments", expected)
                if p["order_id"] in {o["order_id"] for o in orders if o["customer_id"] in set(records)}]
    bench.compare(f"customer-journey of {busiest} ({len(records)} customer_id rows)", graph_events, plain_events,
                  journey_s, read_s + j_s, show=f"{len(graph_events)} events vs {len(plain_events)} expected "
                                                f"({dict(Counter(e[0] for e in plain_events))})")
    for r in journey:  # in the query's order (time)
        print(f"    {r['time']}  {r['event']:<19} {r['record'].removeprefix(ID)[:50]:<50} "
              f"{r.get('detail', '')[:60]!r}")
    print(f"    not in the journey: {len(payments)} payment(s) of these orders (the query shows a payment only "
          "with cx:occurredAt and cx:hasStatus, which Olist payments do not have)")

    # review comments, exactly as typed (newlines, quotes, commas, '>')
    rows, comments_s = bench.sparql(COMMENTS)
    graph_comments = {r["id"]: r["text"] for r in rows}
    plain_comments, k_s = timed(lambda: {r["review_id"]: r["review_comment_message"]
                                         for r in exports.accepted("reviews", expected)
                                         if r["review_comment_message"].strip()})
    special = sum(1 for t in plain_comments.values() if any(c in t for c in '\r\n">,'))
    bench.compare("review comments, character for character", graph_comments, plain_comments, comments_s,
                  read_s + k_s, show=f"{len(graph_comments):,} comments vs {len(plain_comments):,} in the CSV "
                                     f"({special:,} with a newline, quote, comma or '>')")

    # validate --------------------------------------------------------------------------------------------
    output = bench.work / "validation.json"
    out, validate_s, code = bench.run("validate", "--format", "json", "--output", str(output), ok=(0, 1))
    validation = json.loads(output.read_text(encoding="utf-8"))
    print(f"\nValidate: {validate_s:.1f} s (cxgraph validate, wall clock), exit {code}; "
          f"{validation['data_triples']:,} data triples; results {validation['counts']}")
    for line in out.splitlines():
        if line.startswith("Validated"):  # pySHACL's own time; the rest is reading the store into rdflib
            print(f"  {line.strip()}")
    by_shape = Counter((r["severity"], r["shape_label"], r["shape"]) for r in validation["results"])
    for (severity, label, shape), n in sorted(by_shape.items()):
        print(f"  {severity:<9} {n:>5}  {label} <{shape}>")
        for r in [r for r in validation["results"] if r["shape"] == shape][:5]:
            print(f"      {r['focus'].removeprefix(ID)}: {r['message'][:140]}")
    graph_results = sorted((r["shape"].rsplit("#", 1)[-1], r["focus"].removeprefix(ID)) for r in validation["results"])
    expected_results, v_s = timed(lambda: expected_validation(exports, expected))
    bench.compare("validation results (shape, focus node)", graph_results, expected_results, validate_s,
                  read_s + v_s, show=f"{len(graph_results)} results vs {len(expected_results)} the data holds",
                  command="cxgraph validate")

    print(f"\nSummary: rows {totals[0]:,} read, {totals[1]:,} loaded, {totals[2]:,} quarantined; "
          f"{sum(int(r['n']) for r in triples):,} triples; build {build_s:.1f} s, validate {validate_s:.1f} s "
          f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs)")
    if bench.failures:
        print(f"DIFFERENT: {', '.join(bench.failures)}")
        sys.exit(1)
    print("Every graph answer equals the plain-Python answer.")


def _row_key(exports: Exports, issue: dict[str, Any]) -> str:
    """The key of the row a quarantine entry names (by its line in the export)."""
    return exports.line_keys(issue["record_set"])[issue["row"]]


def expected_validation(exports: Exports, bad: dict[tuple[str, str], str]) -> list[tuple[str, str]]:
    """What the marketplace profile should report on these exports (the core profile: nothing)."""
    statuses = {"created", "approved", "invoiced", "processing", "shipped", "delivered", "canceled", "unavailable"}
    found = []
    orders = exports.accepted("orders", bad)
    items = {r["order_id"] for r in exports.accepted("order_items", bad)}
    for o in orders:
        if o["order_status"] not in statuses:
            found.append(("Order-status", "order/" + o["order_id"]))
        if o["order_status"] not in ("canceled", "unavailable") and o["order_id"] not in items:
            found.append(("Order-items", "order/" + o["order_id"]))
        if o["order_status"] == "delivered" and not o["order_delivered_customer_date"]:
            found.append(("DeliveredOrder-arrival", "order/" + o["order_id"]))
    for p in exports.accepted("payments", bad):
        focus = f"payment/{p['order_id']}-{p['payment_sequential']}"
        if int(p["payment_installments"]) < 1:
            found.append(("Payment-instalments", focus))
        if p["payment_type"] not in ("credit_card", "boleto", "voucher", "debit_card"):
            found.append(("Payment-method", focus))
    for r in exports.accepted("reviews", bad):
        if not 1 <= int(r["review_score"]) <= 5:
            found.append(("Review-rating", "review/" + r["review_id"]))
    return sorted(found)


if __name__ == "__main__":
    main()
