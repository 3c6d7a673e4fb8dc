#!/usr/bin/env bash
# Benchmarks in quick mode (a few seconds per workload), so the harness
# cannot rot: every implementation's results are checked before timing.
# The full run behind BENCHMARKS.md is `cargo bench --bench ws` followed by
# `BENCH_ALLOCS=1 cargo bench --bench ws` and `python3 scripts/bench_report.py`.
set -euo pipefail
BENCH_QUICK=1 cargo bench --bench ws
BENCH_ALLOCS=1 cargo bench --bench ws
python3 scripts/bench_report.py --out target/BENCHMARKS.quick.md --svg target/ratios.quick.svg
test -s target/bench-summary.json
