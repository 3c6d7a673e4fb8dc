#!/usr/bin/env python3
"""Memory per idle connection, as a server holds many of them.

    python3 scripts/idle_conns.py [--conns N] [--check-kb KB]

For each server (our examples/tokio_echo, and a tokio-tungstenite echo
server, benches/peers/tungstenite_echo.rs), in turn:
  1. start it on 127.0.0.1 (its PID is kept; only that PID is ever signalled);
  2. read its resident set size (VmRSS in /proc/PID/status);
  3. open N WebSocket connections (Python `websockets`, no compression, no
     keepalive pings), each sending one 16-byte message and awaiting its
     echo, then staying idle;
  4. read VmRSS again, once it has settled;
  5. close every connection and stop the server.
Prints (RSS after - RSS before) / N for each, and the ratio. With
--check-kb, exits 1 if ours is above that many KB per connection.
Needs `pip install websockets` and the release examples built
(cargo build --release --example tokio_echo --example tungstenite_echo).
"""

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time

import websockets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "examples")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def settled_rss(pid):
    """VmRSS once two reads 200 ms apart agree within 1 %."""
    last = rss_kb(pid)
    for _ in range(25):
        time.sleep(0.2)
        now = rss_kb(pid)
        if abs(now - last) <= last // 100:
            return now
        last = now
    return last


async def wait_port(port, deadline):
    while time.monotonic() < deadline:
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


async def open_idle(port, n):
    uri = f"ws://127.0.0.1:{port}/"
    sem = asyncio.Semaphore(200)
    conns = []
    payload = b"0123456789abcdef"

    async def one(i):
        async with sem:
            ws = await websockets.connect(
                uri, compression=None, ping_interval=None, open_timeout=30, max_size=1 << 20
            )
            await ws.send(payload)
            echo = await asyncio.wait_for(ws.recv(), 30)
            if echo != payload:
                raise RuntimeError(f"connection {i}: wrong echo")
            conns.append(ws)

    await asyncio.gather(*(one(i) for i in range(n)))
    return conns


async def measure(name, cmd, port, n):
    proc = subprocess.Popen(cmd + [f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL)
    try:
        await wait_port(port, time.monotonic() + 20)
        before = settled_rss(proc.pid)
        t0 = time.monotonic()
        conns = await open_idle(port, n)
        opened = time.monotonic() - t0
        await asyncio.sleep(0.5)
        after = settled_rss(proc.pid)
        per = (after - before) * 1024 / n
        print(f"{name:<18} {n} idle connections opened in {opened:.1f}s: "
              f"RSS {before} KB -> {after} KB, {per / 1000:.1f} KB per connection", flush=True)
        await asyncio.wait_for(
            asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True), 120
        )
        return per
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--check-kb", type=float, default=None)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 2 * args.conns + 1024)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < args.conns + 512:
        sys.exit(f"open-file limit {hard} is too low for {args.conns} connections")
    ours = asyncio.run(measure("rfc6455 tokio_echo", [os.path.join(BIN, "tokio_echo")], 9013, args.conns))
    peer = asyncio.run(measure("tokio-tungstenite", [os.path.join(BIN, "tungstenite_echo")], 9014, args.conns))
    print(f"tokio-tungstenite holds {peer / max(ours, 1):.1f}x the memory per idle connection")
    if args.check_kb is not None and ours / 1000 > args.check_kb:
        sys.exit(f"ours holds {ours / 1000:.1f} KB per idle connection, above {args.check_kb} KB")


if __name__ == "__main__":
    main()
