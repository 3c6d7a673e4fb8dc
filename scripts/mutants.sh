#!/usr/bin/env bash
# Mutation testing with cargo-mutants (not in CI: it rebuilds and reruns
# the tests once per mutant). Every mutant of the wire layer and of the
# handshake checks should be caught; see the counts in the last line.
# Mutants that cannot change behaviour are excluded in .cargo/mutants.toml,
# each with its reason.
#
#   scripts/mutants.sh                 the wire layer (frame, mask, utf8, close),
#                                      about 10 minutes on two cores
#   scripts/mutants.sh src/handshake/*.rs      the files named instead (the
#                                      handshake: about 440 mutants, 30 minutes)
#   scripts/mutants.sh --all           every file of src/, with the suites of
#                                      the whole crate (about 1 500 mutants;
#                                      hours)
#   scripts/mutants.sh --all src/deflate/codec.rs ...   the named files, with
#                                      the suites of the whole crate
#   scripts/mutants.sh FILES -- --iterate   options after `--` go to
#                                      cargo-mutants (`--iterate` retests
#                                      only what the last run did not catch;
#                                      `--output DIR` writes DIR/mutants.out)
#
# Results: mutants.out/ (outcomes.json, caught.txt, missed.txt, timeout.txt,
# unviable.txt). A surviving mutant is listed in missed.txt: add the test
# that kills it. Count as caught / (caught + missed + timeout).
set -euo pipefail
cd "$(dirname "$0")/.."
. "$HOME/.cargo/env" 2>/dev/null || true
export CARGO_TERM_COLOR=never
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
# No shared target directory: cargo-mutants builds each copy of the tree in
# that copy's own target/. In a shared one, a mutated build would look up to
# date to the next ordinary `cargo test`, and two runs (or two jobs) would
# test each other's builds: a second run's baseline once failed on the first
# run's mutant.
unset CARGO_TARGET_DIR

if ! command -v cargo-mutants >/dev/null; then
  cargo install --locked cargo-mutants
fi

all=0
files=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --all) all=1 ;;
    --) shift; extra+=("$@"); break ;;
    *) files+=("$1") ;;
  esac
  shift
done

# The suites that exercise the wire layer and the handshake: the unit
# tests, the RFC rules, the hostile inputs (both roles), the API and the
# hardening rules (the 414 / 431 limits, HTTP/1.0, configurations).
tests=(--lib --test rules --test adversarial --test client_adversarial --test api --test hardening)
# A test run over 20 s counts as a timeout (a mutant that loops forever;
# the suites take under a second).
timeout=20
if [ "$all" = 1 ]; then
  # The rest of the crate: connections (engine, timers), permessage-deflate
  # (codec and negotiation, and through `Connection`, with the heap it
  # holds), the properties (fixed seed), the heap bounds of tests/memory.rs
  # but its two slow ones (skipped below); about 7 s in all. Left out: the
  # soak (100 000 messages), the real peers (they need python and node),
  # and tests/allocs.rs (13 s).
  tests+=(--test engine --test timers --test deflate --test deflate_conn --test properties
    --test deflate_memory --test deflate_conn_memory --test memory)
  timeout=60
  if [ ${#files[@]} -eq 0 ]; then
    while IFS= read -r f; do files+=("$f"); done < <(find src -name '*.rs' | sort)
  fi
fi
if [ ${#files[@]} -eq 0 ]; then
  files=(src/frame.rs src/mask.rs src/utf8.rs src/close.rs)
fi
args=()
for f in "${files[@]}"; do args+=(--file "$f"); done

# One mutant at a time (MUTANTS_JOBS=2 for two, on a machine left to it).
if [ "$all" = 1 ]; then
  # To the test binaries: leave out memory.rs's every-case peak table and
  # its 1 GiB stream (11 s between them).
  tests+=(-- --skip peak_heap_stays_within --skip a_1_gib_message)
fi
cargo mutants --jobs "${MUTANTS_JOBS:-1}" --timeout "$timeout" --no-shuffle "${args[@]}" "${extra[@]}" -- "${tests[@]}"
