#!/usr/bin/env bash
# Format, lints, unit and integration tests, docs, and the no_std build.
set -euo pipefail
rustup component add rustfmt clippy >/dev/null 2>&1 || true
rustup target add thumbv7m-none-eabi
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace --all-targets
cargo test --workspace --doc
# The docs, with every link resolved, for both feature sets.
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --no-default-features
# The core is no_std + alloc: it must build for a Cortex-M3 with no OS.
cargo build --no-default-features --target thumbv7m-none-eabi
cargo clippy --no-default-features --target thumbv7m-none-eabi -- -D warnings
cargo build --no-default-features --features deflate --target thumbv7m-none-eabi
cargo clippy --no-default-features --features deflate --target thumbv7m-none-eabi -- -D warnings
# Without the `simd` feature the crate is forbid(unsafe_code): the mask
# tests on the portable loop alone.
cargo test --lib --no-default-features --features std,deflate -- mask
# The `simd` feature's kernels under Miri, with the CPU features enabled on
# the command line so that the run-time dispatch reaches both of them.
rustup toolchain install nightly --profile minimal --component miri
cargo +nightly miri setup
RUSTFLAGS="-C target-feature=+avx2,+avx512f" cargo +nightly miri test --lib -- simd::
# The core without permessage-deflate, with std.
cargo clippy --all-targets --no-default-features --features std -- -D warnings
