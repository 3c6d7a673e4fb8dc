#!/usr/bin/env python3
"""Checks the library's timers (issue 13) through the examples, on 127.0.0.1.

Usage:
    python3 timers_check.py dead-peer ws://127.0.0.1:PORT/PATH PING PONG
        Two clients complete the handshake and then stop answering: a
        `websockets` client (ping_interval=None, its transport paused, so it
        never reads the server's ping nor answers it) and a raw socket that
        goes silent. The server (run with --ping-interval PING --pong-timeout
        PONG) must close TCP within PING + PONG seconds of the handshake (a
        margin of 1 s, and not 0.25 s early). A third client that answers
        pings stays connected meanwhile.
    python3 timers_check.py half-request ws://127.0.0.1:PORT/ TIMEOUT
        Sends half a request head, then nothing: the server (run with
        --handshake-timeout TIMEOUT) must answer 408 and close TCP after
        TIMEOUT seconds (1 s margin), while another client is served.
    python3 timers_check.py client-close CLIENT_BINARY TIMEOUT
        Runs the `client` example (--close-timeout TIMEOUT) against a server
        written here that completes the closing handshake but never closes
        TCP: the client must print a clean close and exit 0 within TIMEOUT
        seconds (1 s margin), and not before.

Output: PASS <case> / FAIL <case>: <why> / SUMMARY timers_check: ...
Exit status 0 if every case passed, 1 otherwise, 2 on bad usage. Every wait
is bounded; the client process is killed by PID if it outlives its case.
"""

import asyncio
import base64
import hashlib
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse

MARGIN = 1.0
EARLY = 0.25
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TCP_CLOSE_WAIT = 8  # linux/tcp_states.h: the peer sent FIN
TCP_CLOSE = 7
results = []


def report(case, ok, why=""):
    results.append(ok)
    print(f"PASS {case}" if ok else f"FAIL {case}: {why}", flush=True)


def within(case, elapsed, expect, detail=""):
    ok = expect - EARLY <= elapsed <= expect + MARGIN
    report(f"{case} ({elapsed:.2f}s, expected {expect}s)", ok, f"after {elapsed:.2f}s, expected {expect}s (+{MARGIN}s) {detail}")


def host_port(url):
    u = urlparse(url.replace("http://", "ws://"))
    return u.hostname, u.port, (u.path or "/")


def request_head(host, port, path):
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError(f"EOF before the end of the head: {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def read_to_eof(sock, limit):
    """Everything until EOF, and when it came (monotonic); bounded by `limit` s."""
    sock.settimeout(limit)
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return data, time.monotonic()
        data += chunk


def fin_received(sock):
    """Whether the peer has closed its side (Linux TCP_INFO state)."""
    state = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]
    return state in (TCP_CLOSE_WAIT, TCP_CLOSE)


def server_frames(data):
    """(opcode, payload) of each complete unmasked frame in `data`."""
    frames = []
    while len(data) >= 2:
        n, at = data[1] & 0x7F, 2
        if n == 126:
            n, at = struct.unpack("!H", data[2:4])[0], 4
        elif n == 127:
            n, at = struct.unpack("!Q", data[2:10])[0], 10
        if len(data) < at + n:
            break
        frames.append((data[0] & 0x0F, data[at : at + n]))
        data = data[at + n :]
    return frames


async def websockets_silent(url, ping, pong):
    """A `websockets` client that opens, then never reads nor answers."""
    from websockets.asyncio.client import connect

    ws = await asyncio.wait_for(connect(url, ping_interval=None, close_timeout=1), 10)
    opened = time.monotonic()
    ws.transport.pause_reading()  # the ping stays unread: no pong
    probe = socket.socket(fileno=os.dup(ws.transport.get_extra_info("socket").fileno()))
    try:
        deadline = opened + ping + pong + MARGIN + 2
        while not fin_received(probe):
            if time.monotonic() > deadline:
                raise AssertionError("the server never closed the connection")
            await asyncio.sleep(0.02)
        return time.monotonic() - opened
    finally:
        probe.close()
        ws.transport.abort()


async def raw_silent(url, ping, pong):
    """A raw socket that completes the handshake, then goes silent."""
    host, port, path = host_port(url)

    def run():
        with socket.create_connection((host, port), timeout=10) as s:
            s.sendall(request_head(host, port, path))
            head, rest = read_head(s)
            if not head.startswith(b"HTTP/1.1 101"):
                raise AssertionError(f"not upgraded: {head[:40]!r}")
            opened = time.monotonic()
            data, closed = read_to_eof(s, ping + pong + MARGIN + 2)
            data = rest + data
            return closed - opened, data

    return await asyncio.to_thread(run)


async def answering(url, seconds):
    """A `websockets` client that answers pings and echoes for `seconds`."""
    from websockets.asyncio.client import connect

    async with connect(url, ping_interval=None, close_timeout=2) as ws:
        end = time.monotonic() + seconds
        n = 0
        while time.monotonic() < end:
            await ws.send(f"still here {n}")
            got = await asyncio.wait_for(ws.recv(), 5)
            # An echo server echoes; the chat example prefixes "[id] ".
            if not got.endswith(f"still here {n}"):
                raise AssertionError(f"echo {got!r}")
            n += 1
            await asyncio.sleep(0.2)
        return n


async def check_dead_peer(url, ping, pong):
    expect = ping + pong
    lively = asyncio.create_task(answering(url, expect + MARGIN + 1))
    raw = asyncio.create_task(raw_silent(url, ping, pong))
    try:
        elapsed = await websockets_silent(url, ping, pong)
        within("dead-peer-websockets-paused", elapsed, expect)
    except Exception as e:  # noqa: BLE001 - any failure is reported
        report("dead-peer-websockets-paused", False, f"{type(e).__name__}: {e}")
    try:
        elapsed, data = await raw
        # The server pinged (an empty ping) before giving up, and sent no
        # close frame to a peer presumed gone.
        ops = [(op, p) for op, p in server_frames(data)]
        within("dead-peer-raw-silent", elapsed, expect)
        ok = (9, b"") in ops and all(op != 8 for op, _ in ops)
        report("dead-peer-was-pinged", ok, f"frames {ops!r}")
    except Exception as e:  # noqa: BLE001
        report("dead-peer-raw-silent", False, f"{type(e).__name__}: {e}")
    await report_echoes("lively-peer-stays", lively)


async def report_echoes(case, task):
    """Reports whether a client that kept answering (`answering`) was served."""
    try:
        n = await task
        report(case, n > 0, f"{n} echoes")
    except Exception as e:  # noqa: BLE001 - any failure is reported
        report(case, False, f"{type(e).__name__}: {e}")


async def check_half_request(url, timeout):
    host, port, path = host_port(url)

    def half():
        with socket.create_connection((host, port), timeout=10) as s:
            s.sendall(request_head(host, port, path)[:40])
            sent = time.monotonic()
            data, closed = read_to_eof(s, timeout + MARGIN + 2)
            return closed - sent, data

    other = asyncio.create_task(answering(url, timeout / 2))
    try:
        elapsed, data = await asyncio.to_thread(half)
        within("half-request-cut-off", elapsed, timeout)
        report("half-request-408", data.startswith(b"HTTP/1.1 408 "), f"answer {data[:40]!r}")
    except Exception as e:  # noqa: BLE001
        report("half-request-cut-off", False, f"{type(e).__name__}: {e}")
    await report_echoes("other-client-served", other)


def never_closing_server(listener):
    """Accepts one client, completes the handshake, answers its close frame,
    and then holds the TCP connection open (until the listener goes)."""
    conn, _ = listener.accept()
    conn.settimeout(30)
    head, buf = read_head(conn)
    key = next(
        line.split(b":", 1)[1].strip()
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"sec-websocket-key:")
    )
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    conn.sendall(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )
    while True:  # client frames: masked, short
        while len(buf) < 6 or len(buf) < 6 + (buf[1] & 0x7F):
            chunk = conn.recv(4096)
            if not chunk:
                return conn
            buf += chunk
        n = buf[1] & 0x7F
        mask = buf[2:6]
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(buf[6 : 6 + n]))
        op, buf = buf[0] & 0x0F, buf[6 + n :]
        if op == 8:
            conn.sendall(struct.pack("!BB", 0x88, len(payload)) + payload)
            return conn  # ...and never close it


def check_client_close(binary, timeout):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    proc = subprocess.Popen(
        [binary, f"ws://127.0.0.1:{port}/", "--close-timeout", str(int(timeout))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    held = None
    try:
        listener.settimeout(10)
        box = {}
        t = threading.Thread(target=lambda: box.setdefault("conn", never_closing_server(listener)))
        t.start()
        first = proc.stdout.readline().strip()
        if first != "open protocol=-":
            raise AssertionError(f"first line {first!r}")
        proc.stdin.close()  # end of input: the client closes with 1000
        closing = time.monotonic()
        t.join(10)
        held = box.get("conn")
        status = proc.wait(timeout=timeout + MARGIN + 5)
        elapsed = time.monotonic() - closing
        rest = proc.stdout.read().strip()
        ok = rest == "closed code=1000 reason= clean=true" and status == 0
        report("client-clean-close-output", ok, f"printed {rest!r}, exit {status}")
        within("client-gives-up-on-tcp-close", elapsed, timeout)
    except Exception as e:  # noqa: BLE001
        report("client-gives-up-on-tcp-close", False, f"{type(e).__name__}: {e}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if held:
            held.close()
        listener.close()


def main():
    args = [a.replace("http://", "ws://", 1) for a in sys.argv[1:]]
    if len(args) == 4 and args[0] == "dead-peer":
        asyncio.run(asyncio.wait_for(check_dead_peer(args[1], float(args[2]), float(args[3])), 60))
    elif len(args) == 3 and args[0] == "half-request":
        asyncio.run(asyncio.wait_for(check_half_request(args[1], float(args[2])), 60))
    elif len(args) == 3 and args[0] == "client-close":
        check_client_close(args[1], float(args[2]))
    else:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    failed = results.count(False)
    print(f"SUMMARY timers_check: {len(results) - failed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed or not results else 0)


if __name__ == "__main__":
    main()
