# Shared by the CI stages that run third-party WebSocket peers against our
# servers (scripts/ci.d/30-peers.sh, 45-ffi.sh). Source it from the
# repository's root, under `set -euo pipefail`. It defines:
#   apt_install PKG...      apt-get install, updating the lists once
#   peers_install           python3 + a virtualenv (.venv-peers, in $PY) with
#                           tests/peers/requirements.txt, node + tests/peers' npm packages
#   start NAME CMD...       a server in the background (at most 5 minutes), its
#                           output in $tmp/NAME.log, its PID remembered
#   first_line NAME SED     the server's first output line through a sed expression
#   free_port / wait_port   a free port on 127.0.0.1 / wait for a listener there
#   check NAME LIMIT CMD... one bounded check; the outcome goes to `summary`
#   both_clients NAME URL   the websockets and ws echo clients against one server
#   print_summary TITLE     prints the checks; fails if any did
# An EXIT trap kills the servers it started, by PID, and removes $tmp.

apt_install() {
  if [ -z "${apt_updated:-}" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

peers_install() {
  command -v python3 >/dev/null || apt_install python3
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
  # websockets goes into a virtualenv of its own (system Pythons may refuse pip).
  local venv=.venv-peers
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
  fi
  PY=$PWD/$venv/bin/python
  "$PY" -m pip install -q -r tests/peers/requirements.txt
  (cd tests/peers && npm ci --no-audit --no-fund --loglevel=error)
}

# ---- process bookkeeping
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

# start NAME CMD...: runs a server in the background (at most 5 minutes).
start() {
  local name=$1; shift
  timeout 300 "$@" >"$tmp/$name.log" 2>&1 &
  pids+=($!)
}
# first_line NAME SED-EXPR: waits (10 s at most) for the server's first
# output line and prints it through the sed expression.
first_line() {
  for _ in $(seq 100); do
    if [ -s "$tmp/$1.log" ]; then head -n1 "$tmp/$1.log" | sed -n "$2"; return; fi
    sleep 0.1
  done
  echo "$1 printed nothing within 10 s" >&2; return 1
}
free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1 after 10 s" >&2; return 1
}

summary=()
# check NAME LIMIT CMD...: runs one bounded check, prints its output.
check() {
  local name=$1 limit=$2; shift 2
  local start_s=$SECONDS
  echo "--- $name"
  if timeout "$limit" "$@"; then
    summary+=("ok    $((SECONDS - start_s))s  $name")
  else
    summary+=("FAIL  $((SECONDS - start_s))s  $name (exit $?)")
  fi
}

# both_clients NAME URL: the websockets and ws echo clients against one server.
both_clients() {
  check "py_client -> $1" 70 "$PY" tests/peers/py_client.py "$2"
  check "node_client -> $1" 70 node tests/peers/node_client.js "$2"
}

# print_summary TITLE: the checks' outcomes; fails if any failed.
print_summary() {
  echo "=== $1"
  printf '%s\n' "${summary[@]}"
  ! printf '%s\n' "${summary[@]}" | grep -q '^FAIL'
}
