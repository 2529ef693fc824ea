"""Context-pack benchmark: what one pack costs, against the plain queries about the same customer, same run.

Run: `python benchmarks/bench_context.py [--filler N] [--runs R]`. Without --filler it reads the store at
$CXGRAPH_STORE or .cxgraph/store (after `cxgraph build`); with --filler it generates the sample enterprise
with N filler people instead of 132 (scripts/make_sample_data.py), builds it into a scratch store and
measures there. For a customer, a case and an order pack it prints p50/p95 over R runs, the facts and bytes of
the pack, and the ratio to the `customer-records` (one customer's records: the floor of a point lookup) and
`customer-journey` queries on the same customer. Nothing is asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cxgraph.answer.context import build_pack  # noqa: E402
from cxgraph.answer.queries import bind, catalog  # noqa: E402
from cxgraph.project import load_project  # noqa: E402
from cxgraph.stores.binding import bind_values  # noqa: E402
from cxgraph.stores.embedded import EmbeddedStore  # noqa: E402

PACKS = [("customer", "0030000101"), ("case", "CS0010421"), ("order", "WEB-104211")]
CUSTOMER = {"customer": "id:crm/contact/0030000101"}


def generate(filler: int, out: Path) -> None:
    """The sample generator with `filler` filler people, written to `out`."""
    spec = importlib.util.spec_from_file_location("make_sample_data", ROOT / "scripts" / "make_sample_data.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    module.N_FILLER = filler
    argv = sys.argv
    sys.argv = ["make_sample_data.py", str(out)]
    try:
        module.main()
    finally:
        sys.argv = argv


def timed(fn, runs: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """p50 and p95 in milliseconds (one warm-up run first)."""
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--filler", type=int, default=None, help="generate the sample with this many filler people")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data = None
        store_path = Path(os.environ.get("CXGRAPH_STORE", ROOT / ".cxgraph" / "store"))
        if args.filler is not None:
            data = Path(scratch) / "data"
            started = time.perf_counter()
            generate(args.filler, data)
            store_path = Path(scratch) / "store"
            subprocess.run([sys.executable, "-m", "cxgraph", "build", "--data", str(data), "--store", str(store_path)],
                           cwd=ROOT, check=True, capture_output=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
            print(f"generated and built {args.filler} filler people in {time.perf_counter() - started:.1f} s")
        project = load_project(ROOT, data)
        store = EmbeddedStore(store_path)
        quads = len(store.raw)
        queries = catalog(ROOT / "queries")
        ids = {"id": project.id_iri("")}

        def point(name: str) -> list[object]:  # bound as `cxgraph query` binds: VALUES opening the WHERE
            return list(store.query(bind_values(queries[name].text, bind(queries[name], CUSTOMER, ids))))

        records, _ = timed(lambda: point("customer-records"), args.runs)
        journey, _ = timed(lambda: point("customer-journey"), args.runs)
        print(f"store: {quads} quads; customer-records p50 {records:.1f} ms, customer-journey p50 {journey:.1f} ms")
        print("| pack | p50 ms | p95 ms | facts | bytes | x customer-records | x customer-journey |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for kind, given in PACKS:
            pack = build_pack(store, project, kind, given)
            p50, p95 = timed(lambda k=kind, g=given: build_pack(store, project, k, g), args.runs)
            size = len(json.dumps(pack, ensure_ascii=False).encode())
            print(f"| {kind} {given} | {p50:.1f} | {p95:.1f} | {pack['pack']['facts']} | {size} | "
                  f"{p50 / records:.1f} | {p50 / journey:.2f} |")
        store.close()


if __name__ == "__main__":
    main()
