#!/usr/bin/env python3
"""End-to-end echo over loopback TCP, as users meet it.

    python3 scripts/echo_load.py [--conns 100] [--seconds 5] [--sizes 16,65536]

Servers (each a current-thread tokio runtime, one task per connection):
  rfc6455            examples/tokio_echo
  tokio-tungstenite  benches/peers/tungstenite_echo.rs
  fastwebsockets     benches/peers/fastwebsockets_echo.rs
For each server and message size, the load generator (rfc6455-tokio's
examples/echo_load: N connections, each sending a binary message and waiting
for its echo, over and over) runs for the given time. Reported: messages
echoed per second, and the server's CPU seconds (user + system, from
/proc/PID/stat) per million messages. Both processes share the machine, so
the CPU figure is the fairer one. Only processes this script starts are
signalled, by PID. Build first:
  cargo build --release --example tokio_echo --example tungstenite_echo --example fastwebsockets_echo
  cargo build --release -p rfc6455-tokio --example echo_load
"""

import argparse
import json
import os
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "examples")
TICK = os.sysconf("SC_CLK_TCK")

SERVERS = [
    ("rfc6455", "tokio_echo", 9023),
    ("tokio-tungstenite", "tungstenite_echo", 9024),
    ("fastwebsockets", "fastwebsockets_echo", 9025),
]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of the whole line (1-based).
    return (int(fields[11]) + int(fields[12])) / TICK


def wait_port(port, deadline):
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def run(name, binary, port, size, conns, seconds):
    proc = subprocess.Popen([os.path.join(BIN, binary), f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL)
    try:
        wait_port(port, time.monotonic() + 20)
        before = cpu_seconds(proc.pid)
        out = subprocess.run(
            [os.path.join(BIN, "echo_load"), f"ws://127.0.0.1:{port}/", "--conns", str(conns),
             "--size", str(size), "--seconds", str(seconds)],
            check=True, capture_output=True, text=True, timeout=seconds + 60,
        ).stdout
        cpu = cpu_seconds(proc.pid) - before
        r = json.loads(out.strip().splitlines()[-1])
        r["server"] = name
        r["server_cpu_s"] = cpu
        r["cpu_s_per_million"] = cpu / max(r["messages"], 1) * 1e6
        return r
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conns", type=int, default=100)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--sizes", default="16,65536")
    args = ap.parse_args()
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        for name, binary, port in SERVERS:
            r = run(name, binary, port, size, args.conns, args.seconds)
            rows.append(r)
            print(f"{name:<18} {size:>6} B x {args.conns} conns: {r['per_second']:>9.0f} msg/s, "
                  f"server {r['server_cpu_s']:.2f} CPU s = {r['cpu_s_per_million']:.2f} CPU s per million",
                  flush=True)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
