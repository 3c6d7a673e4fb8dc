#!/usr/bin/env bash
# Real third-party peers (tests/peers/README.md), all on 127.0.0.1:
#   1. Python `websockets` and Node `ws` clients against our echo_server and
#      tokio_echo examples, with their default permessage-deflate offers
#      (PEER_EXPECT_DEFLATE=1: each asserts the server accepted it);
#   2. our client (tests/real_peers.rs) against `websockets` and `ws` servers;
#   3. the client example against both servers, the push example against a
#      `websockets` client (tests/peers/examples_check.py);
#   4. headless Chromium against the chat example (tests/peers/chat_browser.js);
#   5. the timers (tests/peers/timers_check.py): echo_server, tokio_echo and
#      chat drop a `websockets` client that stops answering pings, and a raw
#      socket gone silent, within ping-interval + pong-timeout; echo_server
#      cuts off a half-sent request at the handshake timeout while serving
#      another client; the client example gives up on a server that never
#      closes TCP after the closing handshake, within its close timeout.
# Installs what it needs. Every process is bounded by `timeout` and the
# servers are killed by PID on exit. Runs every check, then fails if any did.
set -euo pipefail
cd "$(dirname "$0")/../.."
. "$HOME/.cargo/env" 2>/dev/null || true
export RUST_BACKTRACE=0

# ---- tools (scripts/lib/peers.sh: installs, process bookkeeping, checks)
. scripts/lib/peers.sh
peers_install
[ -x /usr/bin/chromium ] || apt_install chromium
cargo build --release --example echo_server --example tokio_echo --example chat \
  --example client --example push
cargo build --release -p rfc6455-tokio --example echo --example hyper_upgrade
cargo test --release --features real-peers --test real_peers --no-run
ex=target/release/examples

echo "INFO $("$PY" -c 'import websockets; print("websockets", websockets.__version__)')," \
  "ws $(node -p 'require("./tests/peers/node_modules/ws/package.json").version')," \
  "playwright-core $(node -p 'require("./tests/peers/node_modules/playwright-core/package.json").version')," \
  "$(/usr/bin/chromium --version 2>/dev/null), node $(node --version)"

# ---- 1. third-party clients against our servers
port=$(free_port)
start echo_server "$ex/echo_server" "127.0.0.1:$port"
wait_port "$port"
PEER_EXPECT_DEFLATE=1 both_clients echo_server "ws://127.0.0.1:$port/"

start tokio_echo "$ex/tokio_echo" 127.0.0.1:0
PEER_EXPECT_DEFLATE=1 both_clients tokio_echo "$(first_line tokio_echo 's/^echo server on //p')"

# The rfc6455-tokio crate's 24-line echo, and the hyper upgrade example (its
# upgrade is hyper's: no compression there).
start tokio_crate_echo "$ex/echo" 127.0.0.1:0
PEER_EXPECT_DEFLATE=1 both_clients "rfc6455-tokio echo" "$(first_line tokio_crate_echo 's/^echo server on //p')"
start hyper_upgrade "$ex/hyper_upgrade" 127.0.0.1:0
both_clients "hyper upgrade" \
  "$(first_line hyper_upgrade 's|^hyper server on http://\([^ ]*\)/ .*|ws://\1/ws|p')"

# ---- 2. our client against third-party servers
check "real_peers (our client -> websockets, ws)" 300 env PEER_PYTHON="$PY" \
  cargo test --release --features real-peers --test real_peers -- --nocapture

# ---- 3. the client and push examples
start py_server "$PY" tests/peers/py_server.py 0 120
py_port=$(first_line py_server 's/.*"port":\([0-9]*\).*/\1/p')
start node_server node tests/peers/node_server.js 0 120
node_port=$(first_line node_server 's/.*"port":\([0-9]*\).*/\1/p')
check "client example -> websockets" 60 "$PY" tests/peers/examples_check.py client \
  "$ex/client" "ws://127.0.0.1:$py_port"
check "client example -> ws" 60 "$PY" tests/peers/examples_check.py client \
  "$ex/client" "ws://127.0.0.1:$node_port"
start push "$ex/push" 127.0.0.1:0
url=$(first_line push 's/^push server on //p')
check "websockets -> push example" 60 "$PY" tests/peers/examples_check.py push "$url"

# ---- 4. Chromium against the chat example
start chat "$ex/chat" 127.0.0.1:0
url=$(first_line chat 's/^chat on //p')
check "chromium -> chat example" 70 node tests/peers/chat_browser.js "$url"

# ---- 5. timers (1 s ping interval, 1 s pong timeout, 2 s handshake timeout)
port=$(free_port)
start echo_timers "$ex/echo_server" "127.0.0.1:$port" --ping-interval 1 --pong-timeout 1 \
  --handshake-timeout 2
wait_port "$port"
check "dead peers dropped by echo_server" 30 "$PY" tests/peers/timers_check.py dead-peer \
  "ws://127.0.0.1:$port/" 1 1
check "half-sent request cut off by echo_server" 30 "$PY" tests/peers/timers_check.py \
  half-request "ws://127.0.0.1:$port/" 2
start tokio_timers "$ex/tokio_echo" 127.0.0.1:0 --ping-interval 1 --pong-timeout 1
url=$(first_line tokio_timers 's/^echo server on //p')
check "dead peers dropped by tokio_echo" 30 "$PY" tests/peers/timers_check.py dead-peer "$url" 1 1
start chat_timers "$ex/chat" 127.0.0.1:0 --ping-interval 1 --pong-timeout 1
url=$(first_line chat_timers 's/^chat on //p')
check "dead peers dropped by chat" 30 "$PY" tests/peers/timers_check.py dead-peer "${url}chat" 1 1
check "client example gives up on a server that never closes TCP" 30 "$PY" \
  tests/peers/timers_check.py client-close "$ex/client" 1

print_summary peers
