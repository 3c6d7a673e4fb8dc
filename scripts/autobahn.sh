#!/usr/bin/env bash
# Autobahn TestSuite conformance run for the rfc6455 crate, in both roles.
#
#   scripts/autobahn.sh            run the suite, compare with autobahn/expected-results.json
#   scripts/autobahn.sh --write    run the suite, then rewrite autobahn/expected-results.json
#                                  (only once the results are good: the pass rule still applies)
#
# What it does, each step bounded by `timeout`:
#  1. Installs wstest (PyPI `autobahntestsuite`, Python 2.7 only) into target/autobahn-venv,
#     from the pins in autobahn/requirements-wstest.txt, with a virtualenv made from
#     $(pyenv root)/versions/2.7.18/bin/python. An existing venv is reused when it has the
#     pinned wstest version.
#  2. Builds the examples: cargo build --release --example echo_server --example autobahn_client
#  3. Role "server" (our server, wstest is the client):
#       target/release/examples/echo_server 127.0.0.1:9001
#       wstest -m fuzzingclient -s target/autobahn/fuzzingclient.json   -> target/autobahn/server/
#  4. Role "client" (our client, wstest is the server):
#       wstest -m fuzzingserver -s target/autobahn/fuzzingserver.json -u 0   (ws://127.0.0.1:9002)
#       target/release/examples/autobahn_client ws://127.0.0.1:9002        -> target/autobahn/client/
#     The client asks /getCaseCount, runs /runCase?case=N&agent=rfc6455 for N = 1..count,
#     echoing every message, then calls /updateReports?agent=rfc6455 and exits 0.
#  5. scripts/autobahn_check.py diffs both index.json reports against
#     autobahn/expected-results.json and enforces the pass rule (see that file).
#
# Staying on loopback: wstest's fuzzingserver binds all interfaces and its spec cannot change
# that, so wstest always runs through autobahn/wstest_loopback.py, which makes every
# listening socket default to 127.0.0.1. On top of that, steps 3-4 run inside a private
# network namespace (`unshare -n`, only `lo` up) when the machine allows it (root, or
# unprivileged user namespaces): no packet can leave the host and ports 9001/9002 cannot
# clash with other processes. Steps 1-2 need the package registries, so they run outside.
#
# Environment:
#  AUTOBAHN_DEFLATE=1        also run groups 12.* and 13.* (permessage-deflate); default: excluded
#  AUTOBAHN_CASES=1.*,2.*    comma-separated case patterns to run (default `*`); the comparison
#                            with the expected file is limited to the same cases
#  AUTOBAHN_ROLES="server"   which roles to run (default "server client")
#  AUTOBAHN_PARALLEL=0       run the two roles one after the other (default: at the same
#                            time; they share nothing but the machine)
#  AUTOBAHN_SERVER_CMD       command for our server; the address 127.0.0.1:9001 is appended
#  AUTOBAHN_CLIENT_CMD       command for our client; the URL ws://127.0.0.1:9002 is appended
#                            (both split on whitespace; when both are set, no cargo build)
#  AUTOBAHN_NETNS=auto|1|0   use `unshare -n` if it works | require it | never (default auto)
#  AUTOBAHN_ROLE_TIMEOUT     seconds allowed for one role's whole run (default 1500)
#  AUTOBAHN_PYTHON2          Python 2.7 interpreter (default $(pyenv root)/versions/2.7.18/bin/python)
#
# Only the processes this script starts are ever signalled, by PID, from an EXIT trap.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET="$ROOT/target"
OUT="$TARGET/autobahn"
VENV="$TARGET/autobahn-venv"
REQS="$ROOT/autobahn/requirements-wstest.txt"
WSTEST_VERSION=25.10.1
AGENT=rfc6455
SERVER_ADDR=127.0.0.1:9001
CLIENT_PORT=9002
CLIENT_URL="ws://127.0.0.1:$CLIENT_PORT"
ROLE_TIMEOUT=${AUTOBAHN_ROLE_TIMEOUT:-1500}
CASES=${AUTOBAHN_CASES:-*}
ROLES=${AUTOBAHN_ROLES:-server client}
if [[ ${AUTOBAHN_DEFLATE:-0} == 1 ]]; then EXCLUDE=""; else EXCLUDE="12.*,13.*"; fi

log() { printf '[autobahn] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- process bookkeeping: every background process goes through `spawn` -------------------
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
trap cleanup EXIT
# Turn signals into a normal exit so the EXIT trap runs.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# spawn SECONDS LOGFILE CMD...: start CMD in the background under `timeout`, remember its PID
# in $SPAWNED and in PIDS. (`timeout` passes a TERM it receives on to CMD.) LOGFILE `-` keeps
# this script's stdout/stderr.
spawn() {
    local secs=$1 logfile=$2
    shift 2
    if [[ $logfile == - ]]; then
        timeout -k 5 "$secs" "$@" </dev/null &
    else
        timeout -k 5 "$secs" "$@" </dev/null >"$logfile" 2>&1 &
    fi
    SPAWNED=$!
    PIDS+=("$SPAWNED")
}

# run_bounded SECONDS LOGFILE CMD...: run CMD to completion (bounded), return its status.
# It runs in the background and we `wait`, so a signal to this script is handled at once.
run_bounded() {
    local status=0
    spawn "$@"
    wait "$SPAWNED" || status=$?
    forget "$SPAWNED"
    return "$status"
}

forget() {
    local keep=() pid
    for pid in "${PIDS[@]}"; do [[ $pid == "$1" ]] || keep+=("$pid"); done
    PIDS=("${keep[@]+"${keep[@]}"}")
}

# stop PID: TERM, then KILL after 5 s; reap it.
stop() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    forget "$pid"
}

listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# wait_listen PORT PID WHAT: wait up to 60 s for a listener on 127.0.0.1:PORT while PID lives.
wait_listen() {
    local port=$1 pid=$2 what=$3
    for _ in $(seq 600); do
        listening "$port" && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    log "$what did not listen on port $port within 60 s"
    return 1
}

tail_log() { log "last lines of $1:"; tail -n "${2:-30}" "$1" >&2 || true; }

# write_spec FILE KIND: the wstest spec for `fuzzingclient` or `fuzzingserver`.
write_spec() {
    python3 - "$1" "$2" "$CASES" "$EXCLUDE" "$AGENT" "$SERVER_ADDR" "$CLIENT_URL" "$OUT" <<'PY'
import json, sys
path, kind, cases, exclude, agent, server_addr, client_url, out = sys.argv[1:]
spec = {
    "cases": [c for c in cases.split(",") if c],
    "exclude-cases": [c for c in exclude.split(",") if c],
    "exclude-agent-cases": {},
}
if kind == "fuzzingclient":
    spec["outdir"] = out + "/server"
    spec["servers"] = [{"agent": agent, "url": "ws://" + server_addr}]
else:
    spec["outdir"] = out + "/client"
    spec["url"] = client_url
with open(path, "w") as f:
    json.dump(spec, f, indent=2)
    f.write("\n")
PY
}

split_cmd() { # split_cmd VAR STRING: whitespace-split STRING into array VAR
    read -r -a "$1" <<<"$2"
}

# --- step 1: wstest ------------------------------------------------------------------------
python2_path() {
    if [[ -n ${AUTOBAHN_PYTHON2:-} ]]; then
        echo "$AUTOBAHN_PYTHON2"
        return
    fi
    command -v pyenv >/dev/null || die "pyenv not found; set AUTOBAHN_PYTHON2 to a Python 2.7"
    local py
    py="$(pyenv root)/versions/2.7.18/bin/python"
    if [[ ! -x $py ]]; then
        log "installing Python 2.7.18 with pyenv"
        timeout 1800 pyenv install -s 2.7.18 >&2 || die "pyenv install 2.7.18 failed"
    fi
    echo "$py"
}

wstest_ok() {
    [[ -x $VENV/bin/python ]] &&
        timeout 60 "$VENV/bin/python" -m autobahntestsuite.wstest --autobahnversion 2>/dev/null |
        grep -qx "AutobahnTestSuite $WSTEST_VERSION"
}

setup_wstest() {
    if wstest_ok; then
        log "reusing $VENV"
        return
    fi
    local py
    py=$(python2_path)
    "$py" -c 'import sys; assert sys.version_info[:2] == (2, 7)' || die "$py is not Python 2.7"
    if ! timeout 60 "$py" -m virtualenv --version >/dev/null 2>&1; then
        log "installing virtualenv<20.22 into $py"
        timeout 600 "$py" -m pip install --quiet 'virtualenv<20.22' >&2 || die "pip install virtualenv failed"
    fi
    rm -rf "$VENV"
    mkdir -p "$TARGET"
    log "creating $VENV"
    timeout 300 "$py" -m virtualenv --quiet "$VENV" >&2 || die "virtualenv failed"
    log "installing autobahntestsuite==$WSTEST_VERSION (pins: $REQS)"
    timeout 1200 "$VENV/bin/pip" install --quiet --no-warn-script-location -r "$REQS" >&2 ||
        die "pip install -r $REQS failed"
    wstest_ok || die "wstest does not run from $VENV"
}

# --- steps 3-4: the two roles (possibly inside the network namespace) ----------------------
wstest_cmd() { echo "$VENV/bin/python" "$ROOT/autobahn/wstest_loopback.py"; }

run_role_server() {
    local server_cmd wstest
    split_cmd server_cmd "${AUTOBAHN_SERVER_CMD:-$TARGET/release/examples/echo_server}"
    split_cmd wstest "$(wstest_cmd)"
    rm -rf "$OUT/server"
    write_spec "$OUT/fuzzingclient.json" fuzzingclient
    listening "${SERVER_ADDR##*:}" && die "port ${SERVER_ADDR##*:} is already in use"

    log "role server: starting ${server_cmd[*]} $SERVER_ADDR"
    spawn "$((ROLE_TIMEOUT + 60))" "$OUT/echo_server.log" "${server_cmd[@]}" "$SERVER_ADDR"
    local server_pid=$SPAWNED
    if ! wait_listen "${SERVER_ADDR##*:}" "$server_pid" "echo server"; then
        tail_log "$OUT/echo_server.log"
        die "our server did not start"
    fi

    log "role server: wstest -m fuzzingclient (log: $OUT/wstest-fuzzingclient.log)"
    local status=0 start=$SECONDS
    run_bounded "$ROLE_TIMEOUT" "$OUT/wstest-fuzzingclient.log" \
        "${wstest[@]}" -m fuzzingclient -s "$OUT/fuzzingclient.json" || status=$?
    log "role server: wstest finished in $((SECONDS - start)) s with status $status"
    if ! kill -0 "$server_pid" 2>/dev/null; then
        tail_log "$OUT/echo_server.log"
        log "role server: our server exited during the run"
        status=1
    fi
    stop "$server_pid"
    if [[ $status != 0 ]]; then
        tail_log "$OUT/wstest-fuzzingclient.log"
        [[ $status == 124 ]] && log "role server: timed out after $ROLE_TIMEOUT s"
        return 1
    fi
    [[ -f $OUT/server/index.json ]] || die "role server: no report at $OUT/server/index.json"
}

run_role_client() {
    local client_cmd wstest
    split_cmd client_cmd "${AUTOBAHN_CLIENT_CMD:-$TARGET/release/examples/autobahn_client}"
    split_cmd wstest "$(wstest_cmd)"
    rm -rf "$OUT/client"
    write_spec "$OUT/fuzzingserver.json" fuzzingserver
    listening "$CLIENT_PORT" && die "port $CLIENT_PORT is already in use"

    log "role client: wstest -m fuzzingserver on $CLIENT_URL (log: $OUT/wstest-fuzzingserver.log)"
    # -u 0: no embedded web server (it would listen on 8080).
    spawn "$((ROLE_TIMEOUT + 60))" "$OUT/wstest-fuzzingserver.log" \
        "${wstest[@]}" -m fuzzingserver -s "$OUT/fuzzingserver.json" -u 0
    local wstest_pid=$SPAWNED
    if ! wait_listen "$CLIENT_PORT" "$wstest_pid" "wstest fuzzingserver"; then
        tail_log "$OUT/wstest-fuzzingserver.log"
        die "wstest fuzzingserver did not start"
    fi

    log "role client: ${client_cmd[*]} $CLIENT_URL (log: $OUT/autobahn_client.log)"
    local status=0 start=$SECONDS
    run_bounded "$ROLE_TIMEOUT" "$OUT/autobahn_client.log" "${client_cmd[@]}" "$CLIENT_URL" || status=$?
    log "role client: our client finished in $((SECONDS - start)) s with status $status"
    # /updateReports writes the reports before it closes the connection; allow a moment anyway.
    for _ in $(seq 100); do
        [[ $status != 0 || -f $OUT/client/index.json ]] && break
        sleep 0.1
    done
    stop "$wstest_pid"
    if [[ $status != 0 ]]; then
        tail_log "$OUT/autobahn_client.log"
        [[ $status == 124 ]] && log "role client: timed out after $ROLE_TIMEOUT s"
        return 1
    fi
    [[ -f $OUT/client/index.json ]] || {
        tail_log "$OUT/wstest-fuzzingserver.log"
        die "role client: no report at $OUT/client/index.json (did the client call /updateReports?agent=$AGENT?)"
    }
}

run_roles() {
    local role status=0
    if [[ ${AUTOBAHN_PARALLEL:-1} == 1 && $(wc -w <<<"$ROLES") == 2 ]]; then
        # The two roles use their own ports, logs and report directories, so
        # they run at the same time (each wstest takes about one core). A
        # subshell does not inherit the EXIT trap: each sets its own, so
        # its processes are stopped however it ends.
        local ps pc
        (PIDS=(); trap cleanup EXIT; run_role_server) &
        ps=$!
        (PIDS=(); trap cleanup EXIT; run_role_client) &
        pc=$!
        wait "$ps" || status=1
        wait "$pc" || status=1
        return "$status"
    fi
    for role in $ROLES; do
        case $role in
            server) run_role_server || status=1 ;;
            client) run_role_client || status=1 ;;
            *) die "unknown role '$role' in AUTOBAHN_ROLES" ;;
        esac
    done
    return "$status"
}

if [[ ${1:-} == --inside-netns ]]; then
    # Re-executed by the outer script under `unshare -n`: a fresh namespace has `lo` down.
    ip link set lo up
    run_roles
    exit 0
fi

# --- main ----------------------------------------------------------------------------------
WRITE=()
for arg in "$@"; do
    case $arg in
        --write) WRITE=(--write) ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$arg' (try --help)" ;;
    esac
done

mkdir -p "$OUT"
setup_wstest
log "$("$VENV/bin/python" -m autobahntestsuite.wstest --autobahnversion | tr '\n' ' ')"

if [[ -z ${AUTOBAHN_SERVER_CMD:-} || -z ${AUTOBAHN_CLIENT_CMD:-} ]]; then
    log "building the examples"
    (cd "$ROOT" && timeout 3600 cargo build --release --example echo_server --example autobahn_client) ||
        die "cargo build failed"
fi

use_netns=0
case ${AUTOBAHN_NETNS:-auto} in
    0) ;;
    1) use_netns=1 ;;
    auto) timeout 10 unshare -n true 2>/dev/null && command -v ip >/dev/null && use_netns=1 ;;
    *) die "AUTOBAHN_NETNS must be auto, 0 or 1" ;;
esac

status=0
roles_count=$(wc -w <<<"$ROLES")
if [[ $use_netns == 1 ]]; then
    log "running the roles inside a private network namespace (unshare -n)"
    run_bounded "$((roles_count * (ROLE_TIMEOUT + 120)))" - \
        unshare -n -- bash "$0" --inside-netns || status=$?
else
    log "unshare -n unavailable: running on the host's loopback"
    run_roles || status=$?
fi

check=(python3 "$ROOT/scripts/autobahn_check.py" --expected "$ROOT/autobahn/expected-results.json"
    --agent "$AGENT" --cases "$CASES" --exclude "$EXCLUDE")
reports=()
for role in $ROLES; do
    [[ -f $OUT/$role/index.json ]] && reports+=(--report "$role=$OUT/$role/index.json")
done
if [[ $status != 0 ]]; then
    # Show what the reports that exist say, but the run has failed whatever they say.
    log "a role failed to run (see above); checking the reports that exist, for diagnosis only"
    [[ ${#reports[@]} -gt 0 ]] && { timeout 120 "${check[@]}" "${reports[@]}" || true; }
    exit 1
fi
timeout 120 "${check[@]}" "${reports[@]}" "${WRITE[@]+"${WRITE[@]}"}"
