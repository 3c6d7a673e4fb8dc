#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, then
# runs every stage in scripts/ci.d/ in order. Each stage is a script of its
# own that installs its own tools (idempotently) and fails loudly.
#   scripts/test.sh            all stages
#   scripts/test.sh 10 20      only the stages whose names start with 10 or 20
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
. "$HOME/.cargo/env" 2>/dev/null || true

stages=()
for f in scripts/ci.d/[0-9]*.sh; do
  if [ $# -eq 0 ]; then stages+=("$f"); continue; fi
  for want in "$@"; do
    case "$(basename "$f")" in "$want"*) stages+=("$f");; esac
  done
done

summary=()
for f in "${stages[@]}"; do
  echo "=== stage $(basename "$f")"
  start=$(date +%s)
  if bash "$f"; then
    summary+=("ok    $(( $(date +%s) - start ))s  $(basename "$f")")
  else
    summary+=("FAIL  $(( $(date +%s) - start ))s  $(basename "$f")")
    printf '%s\n' "${summary[@]}"
    echo "stage $(basename "$f") failed" >&2
    exit 1
  fi
done
echo "=== summary"
printf '%s\n' "${summary[@]}"
