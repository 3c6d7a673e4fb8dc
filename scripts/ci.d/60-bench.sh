#!/usr/bin/env bash
# Benchmarks in quick mode (a few seconds per workload), so the harness
# cannot rot: every implementation's results are checked before timing.
# The full run behind BENCHMARKS.md is `cargo bench --bench ws` followed by
# `BENCH_ALLOCS=1 cargo bench --bench ws` and `python3 scripts/bench_report.py`.
set -euo pipefail
BENCH_QUICK=1 cargo bench --bench ws
# permessage-deflate: ours beside soketto (benches/deflate.rs); it checks
# that each inflates the other's output before timing.
BENCH_QUICK=1 cargo bench --bench deflate
BENCH_ALLOCS=1 cargo bench --bench ws
python3 scripts/bench_report.py --out target/BENCHMARKS.quick.md --svg target/ratios.quick.svg
test -s target/bench-summary.json
# Memory per idle connection, as a server holds 10 000 of them: ours must
# stay under 8 KB each; tokio-tungstenite's figure is printed beside it.
t0=$SECONDS
cargo build --release --example tokio_echo --example tungstenite_echo
.venv-peers/bin/python scripts/idle_conns.py --conns 10000 --check-kb 8
echo "60-bench: idle connections $((SECONDS - t0))s"
