"""The scale harness: `python -m benchmarks --customers 1000 10000 100000`.

For each size it generates an enterprise (`cxgraph generate`), builds it on disk, validates it, asks the
competency questions and scores the answers against the generated truth. Each stage runs in its own process,
watched for time (--timeout) and for the resident memory of its whole process tree; each is compared with its
floor measured in the same run on the same data (see benchmarks/scale_stages.py). It prints a markdown table
and writes it, with every figure as JSON, to --out (benchmarks/results/ by default). Nothing is asserted:
speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants (a build runs the mapping engine as children)."""
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def run_stage(stage: str, work: Path, args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    """Run one stage in a watched process; its JSON result with wall time and peak memory, or an error."""
    result_file = work / f"{stage}.json"
    command = [sys.executable, "-m", "benchmarks.scale_stages", stage, "--work", str(work),
               "--result", str(result_file), "--runs", str(args.runs), "--samples", str(args.samples),
               *[f"--{k.replace('_', '-')}={v}" for k, v in extra.items()]]
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])})
    peak, stopped = 0.0, None
    while proc.poll() is None:
        peak = max(peak, _tree_rss_mib(proc.pid))
        elapsed = time.perf_counter() - started
        if elapsed > args.timeout:
            stopped = f"stopped after {args.timeout:.0f} s"
        elif peak > args.memory_gib * 1024:
            stopped = f"stopped at {peak / 1024:.1f} GiB"
        if stopped:
            subprocess.run(["pkill", "-KILL", "-P", str(proc.pid)], check=False)
            proc.kill()
            proc.wait()
            break
        time.sleep(0.2)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read() if proc.stderr else ""
    if stopped:
        return {"error": stopped, "wall_seconds": wall, "peak_mib": peak}
    if proc.returncode != 0 or not result_file.exists():
        tail = [line for line in stderr.strip().splitlines() if line.strip()][-1:] or ["no output"]
        return {"error": f"failed: {tail[0][:200]}", "wall_seconds": wall, "peak_mib": peak}
    result = {**json.loads(result_file.read_text(encoding="utf-8")), "wall_seconds": wall, "peak_mib": peak}
    result_file.write_text(json.dumps(result, default=str), encoding="utf-8")  # whole, for a later --resume
    return result


def measure(customers: int, args: argparse.Namespace) -> dict[str, Any]:
    """Every stage at one size, in order (a stage whose input failed is skipped)."""
    work = args.resume or Path(tempfile.mkdtemp(prefix=f"cxgraph-scale-{customers}-", dir=args.work))
    out: dict[str, Any] = {"customers": customers}
    try:
        for stage in ["generate", "build", "export", "floor-load", "validate", "pyshacl", "jena", "queries",
                      "accuracy", "splink"]:
            if stage in args.skip:
                if args.resume and (work / f"{stage}.json").exists():  # measured by the run being resumed
                    out[stage] = json.loads((work / f"{stage}.json").read_text(encoding="utf-8"))
                continue
            if stage == "jena" and customers > args.validate_max:
                out[stage] = {"error": f"not run above {args.validate_max:,} customers (--validate-max)"}
                continue
            if stage == "pyshacl" and customers > args.pyshacl_max:
                out[stage] = {"error": f"not run above {args.pyshacl_max:,} customers (--pyshacl-max)"}
                continue
            if "error" in out.get("generate", {}) or (stage != "generate" and "error" in out.get("build", {})):
                break
            print(f"  {customers:,} customers: {stage}...", file=sys.stderr, flush=True)
            out[stage] = run_stage(stage, work, args, customers=customers, seed=args.seed)
    finally:
        if not args.keep and not args.resume:
            shutil.rmtree(work, ignore_errors=True)
    return out


def _f(value: Any, digits: int = 1) -> str:
    return "-" if value is None or value != value else f"{value:,.{digits}f}"


def _mib(value: int | None) -> str:
    return "" if value is None else f" ({value:,} MiB)"


def markdown(runs: list[dict[str, Any]], machine: str) -> str:
    """The harness's table: one column per size."""
    sizes = [r["customers"] for r in runs]
    head = "| stage | " + " | ".join(f"{n:,} customers" for n in sizes) + " |\n|---|" + "---|" * len(sizes) + "\n"

    def row(label: str, cell: Any) -> str:
        cells = []
        for r in runs:
            try:
                cells.append(cell(r))
            except (KeyError, TypeError, ZeroDivisionError):
                cells.append(next((f"not run: {r[k]['error']}" for k in r if isinstance(r[k], dict)
                                   and "error" in r[k] and k in label.split()[0].lower()), "-"))
        return f"| {label} | " + " | ".join(cells) + " |\n"

    lines = [row("generate: rows, rows/s, peak MiB", lambda r: f"{r['generate']['rows']:,} rows, "
                 f"{r['generate']['rows'] / r['generate']['seconds']:,.0f}/s, {_f(r['generate'].get('peak_mib'), 0)}")]
    def rate(r: dict[str, Any], stage: str) -> float:
        return float(r[stage]["quads"] / r[stage]["seconds"])

    lines.append(row("build: quads, s, quads/s, peak MiB, disk MiB", lambda r: (
        f"{r['build']['quads']:,}, {r['build']['seconds']:.1f} s, {rate(r, 'build'):,.0f}/s, "
        f"{r['build']['peak_mib']:,.0f}, {r['build']['disk_bytes'] / 2**20:,.0f}")))
    lines.append(row("export: N-Quads + the union as N-Triples (the floors' input), s", lambda r: (
        f"{r['export']['seconds']:.1f} s")))
    lines.append(row("floor: pyoxigraph bulk_load + optimize, s, quads/s", lambda r: (
        f"{r['floor-load']['seconds']:.1f} s, {rate(r, 'floor-load'):,.0f}/s")))
    lines.append(row("build ÷ floor (quads/s; target ≥ 0.8)", lambda r: (
        f"{rate(r, 'build') / rate(r, 'floor-load'):.2f}")))
    stage_names = list(dict.fromkeys(k for r in runs for k in r.get("build", {}).get("stages", {})))
    for name in stage_names:
        lines.append(row(f"build stage: {name}, s (the build process's peak MiB in it)", lambda r, n=name: (
            _f(r["build"]["stages"].get(n)) + _mib(r["build"].get("stage_peak_mib", {}).get(n)))))
    lines.append(row("validate (cxgraph validate: SHACL compiled to SPARQL): s, results, peak MiB", lambda r: (
        f"{r['validate']['wall_seconds']:.1f} s, {r['validate']['results']:,}, {r['validate']['peak_mib']:,.0f}")))
    lines.append(row("pySHACL, same shapes and union: s, results", lambda r: (
        f"{r['pyshacl']['wall_seconds']:.1f} s, {r['pyshacl']['results']:,}")))
    lines.append(row("same results as pySHACL (shape, focus, severity, component, path, value)", lambda r: (
        f"{r['pyshacl']['identical']} ({r['pyshacl']['only_compiled']} only compiled, "
        f"{r['pyshacl']['only_pyshacl']} only pySHACL)")))
    lines.append(row("Jena SHACL, same shapes and union: s, results", lambda r: (
        f"{r['jena']['wall_seconds']:.1f} s, {r['jena']['results']:,}")))
    lines.append(row("validate ÷ Jena (time; target ≤ 1)", lambda r: (
        f"{r['validate']['wall_seconds'] / r['jena']['wall_seconds']:.2f}")))
    lines.append(row("same focus nodes and severities as Jena", lambda r: str(r["jena"]["same_focus_and_severity"])))
    points = list(dict.fromkeys(k for r in runs for k in r.get("queries", {}).get("point_p50_ms", {})))
    for name in points:
        lines.append(row(f"{name}, p50 ms (target ≤ 20)", lambda r, n=name: _f(r["queries"]["point_p50_ms"][n])))
    analytic = list(dict.fromkeys(k for r in runs for k in r.get("queries", {}).get("analytic", {})))
    for name in analytic:
        lines.append(row(f"{name}, ms on disk / in memory", lambda r, n=name: (
            f"{_f(r['queries']['analytic'][n]['disk_ms'])} / {_f(r['queries']['analytic'][n]['memory_ms'])}")))
    for name in ["identity", "late_deliveries", "campaign_guard", "signal_reach"]:
        lines.append(row(f"accuracy: {name.replace('_', ' ')} precision / recall", lambda r, n=name: (
            f"{r['accuracy'][n]['precision']:.3f} / {r['accuracy'][n]['recall']:.3f} "
            f"({r['accuracy'][n]['found']:,} found, {r['accuracy'][n]['truth']:,} true"
            + (f"; errors on people identity merged: {r['accuracy'][n]['wrong_where_identity_merged_people']}"
               if "wrong_where_identity_merged_people" in r["accuracy"][n] else "") + ")")))
    def linked(r: dict[str, Any]) -> str:
        seconds = r["splink"]["email_or_phone"]["seconds"]
        return (f"{r['splink']['records']:,}, {r['splink']['read_seconds']:.1f} s, {seconds['train']:.1f} s, "
                f"{seconds['predict'] + seconds['cluster']:.1f} s")

    lines.append(row("splink: records, read s, train s, predict + cluster s", linked))
    for name, label in (("rules", "identity rules (identity.yaml)"),
                        ("email_or_phone", "Splink, blocking on e-mail or phone"),
                        ("names_too", "Splink, blocking on e-mail, phone, surname, first name + country")):
        lines.append(row(f"splink: {label}, precision / recall", lambda r, n=name: (
            f"not run: {r['splink'][n]['error']}" if "error" in r["splink"][n] else
            f"{r['splink'][n]['precision']:.3f} / {r['splink'][n]['recall']:.3f} ({r['splink'][n]['found']:,} pairs"
            + (f"; true links the rules miss {r['splink'][n]['true_links_the_rules_miss']:,}, false links "
               f"{r['splink'][n]['false_links']:,}, rules' false links it avoids "
               f"{r['splink'][n]['false_links_the_rules_make_that_splink_does_not']:,}" if n != "rules" else "")
            + ")")))
    return f"Machine: {machine}\n\n" + head + "".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[1000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="repetitions per point question (p50 of them)")
    parser.add_argument("--samples", type=int, default=5, help="customers, cases, orders, decisions asked about")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a stage is stopped")
    parser.add_argument("--memory-gib", type=float, default=20, help="resident memory at which a stage is stopped")
    parser.add_argument("--validate-max", type=int, default=20_000,
                        help="largest size at which Jena SHACL also validates (above it: not run)")
    parser.add_argument("--pyshacl-max", type=int, default=2_000,
                        help="largest size at which pySHACL also validates (it did not finish at 10,000 in 30 min)")
    parser.add_argument("--skip", nargs="*", default=[], help="stages not to run (e.g. jena accuracy)")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: the system's)")
    parser.add_argument("--keep", action="store_true", help="keep each size's data and store")
    parser.add_argument("--resume", type=Path, default=None,
                        help="a kept folder of one size to go on in (with --skip for the stages it has; their "
                             "results are read from it)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    machine = (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
               f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, Python "
               f"{platform.python_version()}")
    runs = []
    for customers in args.customers:
        runs.append(measure(customers, args))
        table = markdown(runs, machine)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "scale.json").write_text(json.dumps({"machine": machine, "at": datetime.now(UTC).isoformat(),
                                                         "runs": runs}, indent=2, default=str), encoding="utf-8")
        (args.out / "scale.md").write_text(table, encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
