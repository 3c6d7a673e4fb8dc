#!/usr/bin/env bash
# Nothing lost over real TCP: examples/tcp_soak starts the echo_server
# example on 127.0.0.1 (port 0, random read sizes) and runs 200 clients
# against it for TCP_SOAK_SECONDS (default 10): messages of 0 to 256 KiB,
# random fragmentation, pings, random read sizes, then a close with 1000.
# It fails unless the ledger balances: nothing lost, duplicated, reordered
# or corrupted, every ping answered, every close clean. Fixed seed
# (TCP_SOAK_SEED, default 6455). The long run is the same command with
# `--seconds 60` (figures in README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
. "$HOME/.cargo/env" 2>/dev/null || true
seconds=${TCP_SOAK_SECONDS:-10}
seed=${TCP_SOAK_SEED:-6455}
started=$SECONDS

cargo build --release --example echo_server --example tcp_soak
echo "57-tcp-soak: build $((SECONDS - started))s"

t0=$SECONDS
# The soak ends by itself within its seconds + 60 s and kills the server it
# started; the timeout is only a backstop.
timeout $((seconds + 120)) "${CARGO_TARGET_DIR:-target}/release/examples/tcp_soak" \
  --seconds "$seconds" --seed "$seed" --connections 200
echo "57-tcp-soak: soak $((SECONDS - t0))s"
echo "57-tcp-soak: $((SECONDS - started))s"
