"""Load benchmark: where a build spends its time, and bulk loading against triple-by-triple adds.

Run: `python benchmarks/bench_load.py [--repeat N]`. It checks and builds the sample enterprise, then
times, in the same run and on the same N-Quads (larger synthetic data belongs to the scale issue):
  * pyoxigraph bulk load into an on-disk store (what `cxgraph build` does), plus optimize();
  * the plain alternative: parsing with rdflib and adding quad by quad to a pyoxigraph store;
and prints figures and ratios. Nothing here is asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox
import rdflib

from cxgraph.build.checking import check
from cxgraph.build.contract import load_contracts
from cxgraph.build.pipeline import build
from cxgraph.project import load_project
from cxgraph.stores.embedded import EmbeddedStore

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def timed(label: str, fn: Callable[[], T], results: dict[str, float]) -> T:
    start = time.perf_counter()
    value = fn()
    results[label] = time.perf_counter() - start
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of the load comparison")
    args = parser.parse_args()
    project = load_project(ROOT)
    work = Path(tempfile.mkdtemp(prefix="cxgraph-bench-"))
    results: dict[str, float] = {}
    try:
        contracts = load_contracts(project)
        result = timed("contract check (all sources)", lambda: check(project, contracts).result, results)
        rows = sum(c.read for c in result.counts.values())
        report = timed("full build, in memory", lambda: build(project, EmbeddedStore(), work / "mem",
                                                              echo=lambda _m: None, keep_staging=True), results)
        triples = sum(s.triples for s in report.sources)
        nquads = sorted((work / "mem" / "staging").glob("mapped-*.nq"))
        bulk, plain = [], []
        for i in range(args.repeat):
            target = work / f"disk-{i}"
            start = time.perf_counter()
            store = ox.Store(str(target))
            for path in nquads:
                store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
            store.optimize()
            bulk.append(time.perf_counter() - start)
            del store
            start = time.perf_counter()
            dataset = rdflib.Dataset()
            for path in nquads:
                dataset.parse(path, format="nquads")
            store = ox.Store()
            for s, p, o, g in dataset.quads((None, None, None, None)):
                store.add(ox.Quad(_term(s), _term(p), _term(o), _term(g)))
            plain.append(time.perf_counter() - start)
        print(f"rows checked by contracts: {rows:,} in {results['contract check (all sources)']:.2f} s "
              f"({rows / results['contract check (all sources)']:,.0f} rows/s)")
        print(f"full build (contracts, morph-kgc, load, identity): {triples:,} source triples in "
              f"{results['full build, in memory']:.1f} s")
        best_bulk, best_plain = min(bulk), min(plain)
        print(f"load {triples:,} quads, pyoxigraph bulk_load + optimize (on disk): {best_bulk:.2f} s "
              f"({triples / best_bulk:,.0f} quads/s)")
        print(f"load {triples:,} quads, rdflib parse + add one by one (plain alternative): {best_plain:.2f} s "
              f"({triples / best_plain:,.0f} quads/s)")
        print(f"ratio plain / bulk: {best_plain / best_bulk:.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _term(node: rdflib.term.Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(node, rdflib.URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, rdflib.BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, rdflib.Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))
    raise TypeError(node)


if __name__ == "__main__":
    main()
