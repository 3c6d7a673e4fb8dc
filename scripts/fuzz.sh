#!/usr/bin/env bash
# Exploration (not CI): every cargo-fuzz target, or the ones named, with a
# random seed for SECONDS each, as many at once as the machine has cores.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      default 600 s a target
#   FUZZ_JOBS=N                                  targets run at once (default nproc)
# The corpus grows in fuzz/corpus/<target>/ (not committed; kept between
# runs) from fuzz/seeds/<target>/, and is minimized with `cargo fuzz cmin`
# at the end. Per target it prints executions, coverage (cov: edges, ft:
# features), corpus size before and after cmin, and any crash, whose input
# libFuzzer leaves in fuzz/artifacts/<target>/. A crash goes into
# fuzz/seeds/<target>/regress_<what> next to its fix (fuzz/README.md).
# Logs: fuzz/logs/<target>.log. Exits 1 if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/fuzz-env.sh
SECS=${1:-600}
shift || true
JOBS=${FUZZ_JOBS:-$(nproc)}
# One exploration at a time: two would share fuzz/corpus/ and fuzz/logs/.
mkdir -p fuzz/logs
exec 9>fuzz/logs/.lock
flock -n 9 || { echo "fuzz.sh: another exploration is running" >&2; exit 1; }
fuzz build
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(fuzz list); fi

explore() {
  local t=$1
  mkdir -p "fuzz/corpus/$t"
  # -seed=0 (the default): libFuzzer picks a random seed and prints it.
  fuzz run "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- -max_total_time="$SECS" \
    -print_final_stats=1 >"fuzz/logs/$t.log" 2>&1
}

echo "fuzz.sh: ${#targets[@]} targets, ${SECS}s each, $JOBS at a time"
declare -A status
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$JOBS" ]; then wait -n || true; running=$((running - 1)); fi
  echo "  start $t $(date +%T)"
  ( if explore "$t"; then echo ok >"fuzz/logs/$t.status"; else echo CRASH >"fuzz/logs/$t.status"; fi ) &
  running=$((running + 1))
done
wait

crashed=0
echo "=== exploration, ${SECS}s a target"
for t in "${targets[@]}"; do
  log=fuzz/logs/$t.log
  st=$(cat "fuzz/logs/$t.status" 2>/dev/null || echo '?')
  seed=$(sed -n 's/.*Seed: \([0-9]*\).*/\1/p' "$log" | head -n1)
  before=$(find "fuzz/corpus/$t" -type f | wc -l)
  fuzz cmin "$t" "fuzz/corpus/$t" >"fuzz/logs/$t.cmin.log" 2>&1 || true
  after=$(find "fuzz/corpus/$t" -type f | wc -l)
  printf '%-17s %-5s seed=%s %s cmin=%s->%s\n' "$t" "$st" "${seed:-?}" \
    "$(fuzz_summary "$log")" "$before" "$after"
  if [ "$st" != ok ]; then
    crashed=1
    { grep -E 'panicked at|SUMMARY|Test unit written' "$log" || true; } | head -5 | sed 's/^/    /'
  fi
done
exit $crashed
