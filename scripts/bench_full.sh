#!/usr/bin/env bash
# The full benchmark run behind BENCHMARKS.md, in both builds the project
# reports: the default release profile, and `lto = "fat"` with
# `codegen-units = 1` (set through cargo's profile environment variables,
# built in target/lto so the two never share artefacts or results).
#   scripts/bench_full.sh            # ~25 minutes on 2 cores
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
if [ "${1:-}" = --assemble ]; then
  # Only rebuild BENCHMARKS.md from the reports already in target/.
  ASSEMBLE_ONLY=1
fi
run() { # $1: target dir, $2: report
  CARGO_TARGET_DIR=$1 cargo bench --bench ws
  CARGO_TARGET_DIR=$1 BENCH_ALLOCS=1 cargo bench --bench ws
  python3 scripts/bench_report.py --target "$1" --out "$2" --svg "$1/ratios.svg"
}
if [ -z "${ASSEMBLE_ONLY:-}" ]; then
  run target target/BENCHMARKS.default.md
  CARGO_PROFILE_BENCH_LTO=fat CARGO_PROFILE_BENCH_CODEGEN_UNITS=1 run target/lto target/BENCHMARKS.lto.md
fi
assemble() {
  # Each report ends with the Python binding's section (bench_report.py
  # appends python/bench/RESULTS.md): keep it once, at the end.
  local nopy='/^## Through the Python binding/,$d'
  echo "# Benchmarks"
  echo
  sed -n '/^Two builds of the same harness/,/^$/p' scripts/bench_header.md
  echo "## Default release profile"
  sed '1d' target/BENCHMARKS.default.md | sed "$nopy" | sed 's/^## /### /'
  echo
  echo "## LTO = fat, codegen-units = 1"
  sed '1d' target/BENCHMARKS.lto.md | sed "$nopy" | sed 's/^## /### /' | grep -v 'ratios.svg'
  if [ -f benches/echo_results.md ]; then
    # scripts/echo_load.py's figures, recorded by hand after a run.
    echo
    cat benches/echo_results.md
  fi
  if [ -f python/bench/RESULTS.md ]; then
    echo
    cat python/bench/RESULTS.md
  fi
}
cp target/ratios.svg benches/ratios.svg
assemble > BENCHMARKS.md
echo "bench_full: $((SECONDS - t0))s"
