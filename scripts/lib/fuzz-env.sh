# Sourced by scripts/ci.d/55-fuzz.sh and scripts/fuzz.sh: installs
# cargo-fuzz if it is missing and defines `fuzz`, which runs it on the
# machine's stable toolchain (RUSTC_BOOTSTRAP=1 unlocks the -Z flags that
# cargo-fuzz passes; no nightly toolchain is needed or fetched) with address
# space randomization off. libFuzzer feeds the operands of the target's
# comparisons back into its mutations (-use_cmp), and with ASLR those include
# pointer values, so a fixed -seed alone does not make a run repeatable;
# `setarch -R` does.
. "$HOME/.cargo/env" 2>/dev/null || true
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
fuzz() { RUSTC_BOOTSTRAP=1 setarch "$(uname -m)" -R cargo fuzz "$@"; }

# fuzz_summary LOG: one line of what a libFuzzer log says: executions,
# coverage (cov: edges, ft: features) and corpus size at the end.
fuzz_summary() {
  local last execs
  last=$(grep -E '^#[0-9]+' "$1" | tail -n1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$1")
  printf 'execs=%s cov=%s ft=%s corp=%s\n' "${execs:-?}" \
    "$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")" \
    "$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")" \
    "$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")"
}
