#!/usr/bin/env bash
# The Autobahn TestSuite, diffed against
# autobahn/expected-results.json (pass rule enforced by the checker):
#   1. both roles at once, all 517 cases with permessage-deflate (12.*,
#      13.*): examples/echo_server and examples/autobahn_client;
#   2. the server role again, groups 1-10, with the rfc6455-tokio crate's echo example.
set -euo pipefail
cd "$(dirname "$0")/../.."
t0=$SECONDS
AUTOBAHN_DEFLATE=1 scripts/autobahn.sh
echo "40-autobahn: core examples $((SECONDS - t0))s"
t0=$SECONDS
cargo build --release -p rfc6455-tokio --example echo
AUTOBAHN_ROLES=server AUTOBAHN_SERVER_CMD="$PWD/target/release/examples/echo" scripts/autobahn.sh
echo "40-autobahn: rfc6455-tokio echo $((SECONDS - t0))s"
