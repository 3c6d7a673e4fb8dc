#!/usr/bin/env bash
# The cargo-fuzz targets, deterministically (fuzz/README.md, "CI and
# exploration"). For every target:
#   1. replay: every committed input in fuzz/seeds/<target>/ (seeds and
#      regress_* regression inputs), each once, in name order;
#   2. a short exploration from those inputs with a fixed seed and a fixed
#      number of runs (RUNS below: 3 to 110 s a target, 6 minutes in all),
#      reload off and address space randomization off
#      (scripts/lib/fuzz-env.sh).
# Two runs on the same commit execute the same inputs and print the same
# counts. Open-ended exploration with random seeds is scripts/fuzz.sh.
#   FUZZ_SEED=N  another fixed seed (default 6455)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/fuzz-env.sh
SEED=${FUZZ_SEED:-6455}
# Runs per target, sized from their speed on a 2-core machine.
declare -A RUNS=(
  [connection]=40000 [pair_ledger]=8000 [capi]=50000
  [decode_client]=150000 [decode_server]=150000
  [handshake_client]=80000 [handshake_server]=120000
  [frame_header]=400000 [utf8]=400000
  [inflate]=20000 [extension_header]=150000
)

start=$SECONDS
fuzz build
echo "55-fuzz: build $((SECONDS - start))s"
summary=()
for t in $(fuzz list); do
  runs=${RUNS[$t]:-}
  if [ -z "$runs" ]; then
    echo "fuzz target $t has no run count in scripts/ci.d/55-fuzz.sh" >&2
    exit 1
  fi
  t0=$SECONDS
  log=$(mktemp)
  work=$(mktemp -d)
  mapfile -t inputs < <(find "fuzz/seeds/$t" -type f | LC_ALL=C sort)
  ok=1
  if ! fuzz run "$t" "${inputs[@]}" -- -runs=1 >"$log" 2>&1; then
    ok=0
  elif ! fuzz run "$t" "$work" "fuzz/seeds/$t" -- -seed="$SEED" -runs="$runs" \
    -reload=0 -print_final_stats=1 >"$log" 2>&1; then
    ok=0
  fi
  if [ $ok = 0 ]; then
    grep -E 'panicked|assert|left|right|ERROR|SUMMARY|Test unit written|Running:' "$log" | tail -20 >&2
    for a in fuzz/artifacts/"$t"/*; do
      [ -f "$a" ] || continue
      echo "--- $a (reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run $t $a)" >&2
      fuzz fmt "$t" "$a" 2>&1 | tail -30 >&2 || true
    done
    rm -rf "$log" "$work"
    echo "fuzz target $t failed" >&2
    exit 1
  fi
  line="$(printf '%-17s replayed=%-3s %s %ss' "$t" "${#inputs[@]}" "$(fuzz_summary "$log")" $((SECONDS - t0)))"
  echo "$line"
  summary+=("$line")
  rm -rf "$log" "$work"
done
echo "=== fuzz (seed $SEED)"
printf '%s\n' "${summary[@]}"
echo "55-fuzz: $((SECONDS - start))s"
