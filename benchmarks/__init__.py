"""cxgraph's benchmarks: `python -m benchmarks` is the scale harness; the bench_*.py scripts measure one thing each."""
