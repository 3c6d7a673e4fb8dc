#!/usr/bin/env bash
# Mutation testing of the wire layer with cargo-mutants (not in CI: it
# rebuilds and reruns the tests once per mutant, about 10 minutes on two
# cores). Every mutant should be caught; see the counts in the last line.
# Mutants that cannot change behaviour are excluded in .cargo/mutants.toml,
# each with its reason.
#   scripts/mutants.sh                 the wire layer (frame, mask, utf8, close)
#   scripts/mutants.sh src/handshake/body.rs ...   the files named instead
# Results: mutants.out/ (outcomes.json, caught.txt, missed.txt, timeout.txt).
# A surviving mutant is listed in missed.txt: add the test that kills it.
set -euo pipefail
cd "$(dirname "$0")/.."
. "$HOME/.cargo/env" 2>/dev/null || true
export CARGO_TERM_COLOR=never
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
# A target directory of its own: cargo-mutants builds a copy of the tree,
# and in a shared one its last (mutated) build would look up to date to the
# next ordinary `cargo test`.
export CARGO_TARGET_DIR="$PWD/target/mutants"

if ! command -v cargo-mutants >/dev/null; then
  cargo install --locked cargo-mutants
fi

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(src/frame.rs src/mask.rs src/utf8.rs src/close.rs)
fi
args=()
for f in "${files[@]}"; do args+=(--file "$f"); done

# One mutant at a time; a test run over 60 s counts as a timeout (a mutant
# that loops forever). The suites that exercise the wire layer: the unit
# tests, the RFC rules, the hostile inputs (both roles) and the API.
cargo mutants --jobs 1 --timeout 60 --no-shuffle "${args[@]}" -- \
  --lib --test rules --test adversarial --test client_adversarial --test api
