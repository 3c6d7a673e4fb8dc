#!/usr/bin/env bash
# Applies one mutant by hand, runs the tests named, and puts the file back:
# to check that a new test kills a survivor that cargo-mutants reported
# (scripts/mutants.sh), without a whole run. README, "Mutation testing".
#
#   scripts/try-mutant.sh FILE LINE OLD NEW [cargo test arguments...]
#
# OLD is replaced by NEW once, on line LINE of FILE (it must be there).
# Prints "caught" with the first panic, or "SURVIVED". Example:
#   scripts/try-mutant.sh src/utf8.rs 101 'cut == data.len()' 'cut != data.len()' --lib utf8
# Mind the precedence: cargo-mutants swaps an operator in the syntax tree,
# so `a || b || c` with its second `||` mutated is `(a || b) && c`.
set -euo pipefail
cd "$(dirname "$0")/.."
f=$1 line=$2 old=$3 new=$4
shift 4
backup=$(mktemp)
cp "$f" "$backup"
# Put the file back however this ends, and drop the regression files a
# failing property writes (the failure is the mutant's, not the code's).
restore() {
  cp "$backup" "$f"
  rm -f "$backup"
  git checkout -q -- proptest-regressions 2>/dev/null || true
}
trap restore EXIT
python3 - "$f" "$line" "$old" "$new" <<'PY'
import sys
f, n, old, new = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lines = open(f).read().split('\n')
if old not in lines[n - 1]:
    sys.exit(f"{f}:{n}: {old!r} not in {lines[n - 1]!r}")
lines[n - 1] = lines[n - 1].replace(old, new, 1)
open(f, 'w').write('\n'.join(lines))
PY
out=$(mktemp)
if timeout 300 cargo test -q "$@" >"$out" 2>&1; then
  echo "SURVIVED $f:$line $old -> $new"
else
  echo "caught $f:$line $old -> $new: $(grep -m1 -E 'panicked|^error' "$out" || tail -1 "$out")"
fi
rm -f "$out"
