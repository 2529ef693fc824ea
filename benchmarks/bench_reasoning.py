"""Reasoning benchmark: SPARQL rules on the store (what `cxgraph reason` does) against owlrl and reasonable.

Run: `python benchmarks/bench_reasoning.py [--target 200000] [--timeout 900] [--memory-gib 8]`. It builds the
sample enterprise, then reasons over two inputs: the sample's data graphs, and a larger graph made here
(never committed) by copying the sample's data graphs with their IRIs rewritten until about --target
triples. Each approach runs in its own process, watched for time (--timeout) and resident memory
(--memory-gib), so that one that runs away is stopped and reported, not waited for:
  * sparql-memory, sparql-disk: `cxgraph.build.materialize.materialize` on an in-memory / on-disk pyoxigraph store;
  * owlrl-rdfs, owlrl-owlrl: owlrl's RDFS and OWL 2 RL closures of an rdflib graph (TBox + data);
  * reasonable: reasonable's OWL 2 RL closure of the same triples.
For the others it also checks that their closure contains every triple `materialize` inferred. It prints
seconds, triples added, peak memory and ratios against sparql-memory. Nothing is asserted: speed is
measured, not tested. The optional approaches need `pip install owlrl reasonable`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import rdflib

ROOT = Path(__file__).resolve().parents[1]
APPROACHES = ["sparql-memory", "sparql-disk", "owlrl-rdfs", "owlrl-owlrl", "reasonable"]


# ---------------------------------------------------------------- inputs


def make_inputs(work: Path, target: int) -> list[tuple[str, Path, int]]:
    """Build the sample; write ontology.nt, sample.nq and large.nq (data graphs copied with rewritten IRIs)."""
    from cxgraph.build.materialize import data_graphs
    from cxgraph.build.pipeline import build
    from cxgraph.project import load_project
    from cxgraph.stores.embedded import EmbeddedStore

    project = load_project(ROOT)
    store = EmbeddedStore()
    print("building the sample enterprise...", file=sys.stderr)
    build(project, store, work / "build", echo=lambda _m: None)
    ontology = ox.NamedNode(project.graph_iri("ontology"))
    with (work / "ontology.nt").open("wb") as handle:
        ox.serialize((q.triple for q in store.raw.quads_for_pattern(None, None, None, ontology)), handle,
                     format=ox.RdfFormat.N_TRIPLES)
    data = [ox.NamedNode(g) for g in data_graphs(store, project)]
    quads = [q for g in data for q in store.raw.quads_for_pattern(None, None, None, g)]
    with (work / "sample.nq").open("wb") as handle:
        ox.serialize(quads, handle, format=ox.RdfFormat.N_QUADS)
    text = (work / "sample.nq").read_text(encoding="utf-8")
    copies = max(1, round(target / len(quads)))
    ids = "<" + project.id_iri("")
    with (work / "large.nq").open("w", encoding="utf-8") as handle:
        handle.write(text)
        for i in range(1, copies):
            handle.write(text.replace(ids, f"{ids}copy{i}/"))
    return [("sample", work / "sample.nq", len(quads)), (f"sample x{copies}", work / "large.nq", len(quads) * copies)]


# ---------------------------------------------------------------- workers (one process per approach and input)


def _rdflib_graph(ontology: Path, data: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(ontology, format="nt")
    dataset = rdflib.Dataset()
    dataset.parse(data, format="nquads")
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def _ours(path: Path | None) -> set[tuple[str, str, str]]:
    if path is None or not path.exists():
        return set()
    return {(t.subject.value, t.predicate.value, t.object.value)
            for t in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)}


def _key(term: object) -> str:
    return str(term).strip("<>")


def worker(approach: str, ontology: Path, data: Path, ours: Path | None, work: Path) -> dict[str, object]:
    """Run one approach; returns seconds (load, reason), input size, triples added, coverage of ours."""
    started = time.perf_counter()
    if approach.startswith("sparql"):
        from cxgraph.build.materialize import inferred_graph, materialize
        from cxgraph.project import load_project
        from cxgraph.stores.embedded import EmbeddedStore

        project = load_project(ROOT)
        store = EmbeddedStore(work / "store" if approach == "sparql-disk" else None)
        store.load_graph(ontology, project.graph_iri("ontology"))
        store.load_graph(data)
        store.finish_load()
        size = len(store.raw)
        loaded = time.perf_counter()
        counts = materialize(store, project)
        reasoned = time.perf_counter()
        if ours is not None and approach == "sparql-memory":
            graph = ox.NamedNode(inferred_graph(project))
            with ours.open("wb") as handle:
                ox.serialize((q.triple for q in store.raw.quads_for_pattern(None, None, None, graph)), handle,
                             format=ox.RdfFormat.N_TRIPLES)
        return {"input": size, "load_s": loaded - started, "reason_s": reasoned - loaded, "added": counts["triples"]}
    graph = _rdflib_graph(ontology, data)
    size = len(graph)
    loaded = time.perf_counter()
    if approach.startswith("owlrl"):
        import owlrl

        semantics = owlrl.RDFS_Semantics if approach == "owlrl-rdfs" else owlrl.OWLRL_Semantics
        owlrl.DeductiveClosure(semantics).expand(graph)
        reasoned = time.perf_counter()
        closure = {(_key(s), _key(p), _key(o)) for s, p, o in graph}
        added = len(graph) - size
    else:
        import reasonable

        reasoner = reasonable.PyReasoner()
        reasoner.from_graph(graph)
        triples = reasoner.reason()
        reasoned = time.perf_counter()
        closure = {(_key(s), _key(p), _key(o)) for s, p, o in triples}
        added = len(closure - {(_key(s), _key(p), _key(o)) for s, p, o in graph})
    expected = _ours(ours)
    covered = len(expected & closure)
    return {"input": size, "load_s": loaded - started, "reason_s": reasoned - loaded, "added": added,
            "covers_ours": f"{covered}/{len(expected)}"}


# ---------------------------------------------------------------- the watched run


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_watched(approach: str, ontology: Path, data: Path, ours: Path, work: Path, timeout: float,
                memory_mib: float) -> dict[str, object]:
    result_file = work / f"{approach}.json"
    command = [sys.executable, __file__, "--worker", approach, "--ontology", str(ontology), "--data", str(data),
               "--ours", str(ours), "--work", str(work), "--result", str(result_file)]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak, stopped = 0.0, None
    while proc.poll() is None:
        peak = max(peak, _rss_mib(proc.pid))
        elapsed = time.perf_counter() - started
        if elapsed > timeout:
            stopped = f"stopped after {timeout:.0f} s"
        elif peak > memory_mib:
            stopped = f"stopped at {peak / 1024:.1f} GiB after {elapsed:.0f} s"
        if stopped:
            proc.kill()
            proc.wait()
            break
        time.sleep(0.1)
    stderr = proc.stderr.read() if proc.stderr else ""
    if stopped:
        return {"error": stopped, "peak_mib": peak}
    if proc.returncode != 0 or not result_file.exists():
        tail = stderr.strip().splitlines()[-1:] or ["no output"]
        return {"error": f"failed: {tail[0][:100]}", "peak_mib": peak}
    return {**json.loads(result_file.read_text()), "peak_mib": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=int, default=200_000, help="triples in the larger input (about)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before an approach is stopped")
    parser.add_argument("--memory-gib", type=float, default=8, help="resident memory at which it is stopped")
    parser.add_argument("--only", default=",".join(APPROACHES), help="comma-separated approaches")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--ontology", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ours", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = worker(args.worker, args.ontology, args.data, args.ours, args.work)
        args.result.write_text(json.dumps(result), encoding="utf-8")
        return
    approaches = [a for a in args.only.split(",") if a]
    unknown = sorted(set(approaches) - set(APPROACHES))
    if unknown:
        parser.error(f"unknown approach {unknown[0]}; known: {', '.join(APPROACHES)}")
    work = Path(tempfile.mkdtemp(prefix="cxgraph-bench-reason-"))
    inputs = make_inputs(work, args.target)
    ontology_triples = sum(1 for _ in ox.parse(path=str(work / "ontology.nt"), format=ox.RdfFormat.N_TRIPLES))
    print(f"ontology graph: {ontology_triples:,} triples; timeout {args.timeout:.0f} s, "
          f"memory limit {args.memory_gib:g} GiB; one run of each\n")
    header = f"{'input':<12} {'approach':<14} {'data triples':>12} {'load s':>8} {'reason s':>9} " \
             f"{'added':>9} {'peak MiB':>9} {'x sparql':>9}  covers ours"
    print(header)
    print("-" * len(header))
    for name, data, _size in inputs:
        folder = work / name.replace(" ", "-")
        folder.mkdir()
        ours = folder / "ours.nt"
        order = ["sparql-memory", *[a for a in approaches if a != "sparql-memory"]]
        baseline = None
        for approach in order:
            if approach not in approaches and approach != "sparql-memory":
                continue
            (folder / approach).mkdir()
            result = run_watched(approach, work / "ontology.nt", data, ours, folder / approach, args.timeout,
                                 args.memory_gib * 1024)
            if approach == "sparql-memory" and "reason_s" in result:
                baseline = float(result["reason_s"])
            if approach not in approaches:
                continue
            if "error" in result:
                print(f"{name:<12} {approach:<14} {'':>12} {'':>8} {'':>9} {'':>9} {result['peak_mib']:>9.0f} "
                      f"{'':>9}  {result['error']}")
                continue
            ratio = f"{float(result['reason_s']) / baseline:.1f}" if baseline else "-"
            print(f"{name:<12} {approach:<14} {result['input']:>12,} {result['load_s']:>8.2f} "
                  f"{result['reason_s']:>9.2f} {result['added']:>9,} {result['peak_mib']:>9.0f} {ratio:>9}  "
                  f"{result.get('covers_ours', '(is ours)' if approach == 'sparql-memory' else '-')}", flush=True)
    print(f"\n'data triples' includes the ontology graph (sparql) or TBox + data merged (rdflib). 'added': triples "
          f"the approach adds (sparql: the inferred graph; the others: their whole closure minus the input). "
          f"Work folder: {work}")


if __name__ == "__main__":
    main()
