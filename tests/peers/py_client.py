#!/usr/bin/env python3
"""Echo-server conformance client built on the third-party `websockets` library.

Usage: python3 py_client.py ws://127.0.0.1:PORT/path

Connects to an echo server (one that sends every data message back unchanged,
answers pings and echoes the Close frame's code and reason), runs a list of
cases and asserts on what it observed. Output, one line each:

    INFO websockets <version> ...
    PASS <case>
    FAIL <case>: <why>
    SUMMARY py_client: <n> passed, <m> failed

Exit status: 0 if every case passed, 1 if any failed, 2 on bad usage.
The whole run is bounded by TOTAL_TIMEOUT seconds.
"""

import asyncio
import hashlib
import os
import random
import sys
import time

import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.frames import Frame, Opcode

TOTAL_TIMEOUT = 50.0  # seconds for the whole run
STEP_TIMEOUT = 10.0  # seconds for any single wait
CLOSE_TIMEOUT = 5.0  # how long websockets waits for the server to drop TCP
MAX_SIZE = 64 * 1024 * 1024

NAME = "py_client"
results = []  # (case, ok)


def report(case, ok, why=""):
    results.append((case, ok))
    print(f"PASS {case}" if ok else f"FAIL {case}: {why}", flush=True)


class CaseFailed(Exception):
    pass


class CaseTimeout(CaseFailed):
    """A reply did not come in time; later replies can no longer be matched."""


class RecordingConnection(ClientConnection):
    """Records the payload of every Pong frame the server sends."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pongs = []
        self.pong_event = asyncio.Event()

    def process_event(self, event):
        if isinstance(event, Frame) and event.opcode is Opcode.PONG:
            self.pongs.append(bytes(event.data))
            self.pong_event.set()
        super().process_event(event)

    async def wait_new_pong(self, seen):
        """Wait until more than `seen` pongs were received; return the new ones."""
        deadline = time.monotonic() + STEP_TIMEOUT
        while len(self.pongs) <= seen:
            self.pong_event.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                await asyncio.wait_for(self.pong_event.wait(), remaining)
            except asyncio.TimeoutError:
                break
        return self.pongs[seen:]


def describe(msg):
    if isinstance(msg, str):
        raw = msg.encode("utf-8")
        kind = "text"
    else:
        raw = bytes(msg)
        kind = "binary"
    return f"{kind} len={len(raw)} sha256={hashlib.sha256(raw).hexdigest()[:16]}"


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def check_echo(expected, got):
    if isinstance(expected, str) != isinstance(got, str):
        raise CaseFailed(f"type mismatch: sent {describe(expected)}, got {describe(got)}")
    if expected != got:
        ea = expected.encode() if isinstance(expected, str) else expected
        ga = got.encode() if isinstance(got, str) else bytes(got)
        raise CaseFailed(
            f"echo differs: sent {describe(expected)}, got {describe(got)}, "
            f"first difference at byte {first_difference(ea, ga)}"
        )


async def recv(ws):
    try:
        return await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
    except asyncio.TimeoutError:
        raise CaseTimeout(f"no message within {STEP_TIMEOUT}s")


async def echo_case(ws, message):
    await asyncio.wait_for(ws.send(message), STEP_TIMEOUT)
    check_echo(message, await recv(ws))


async def fragmented_case(ws, fragments, expected, text=None, ping_between=None):
    """Send `fragments` as one fragmented message; optionally ping between fragments."""

    async def gen():
        for i, frag in enumerate(fragments):
            if i == 1 and ping_between is not None:
                # A control frame in the middle of a fragmented message (RFC 6455 §5.4).
                await ws.ping(ping_between)
            yield frag

    pongs_before = len(ws.pongs)
    await asyncio.wait_for(ws.send(gen(), text=text), STEP_TIMEOUT)
    check_echo(expected, await recv(ws))
    if ping_between is not None:
        new = await ws.wait_new_pong(pongs_before)
        if new != [ping_between]:
            raise CaseFailed(f"expected one pong {ping_between!r}, got {new!r}")


async def ping_case(ws, payload):
    pongs_before = len(ws.pongs)
    waiter = await ws.ping(payload)
    new = await ws.wait_new_pong(pongs_before)
    if not new:
        raise CaseTimeout(f"no pong within {STEP_TIMEOUT}s for ping {payload!r}")
    if new != [payload] or not waiter.done():
        raise CaseFailed(f"pong payload {new!r} != ping payload {payload!r}")


async def pipelined_case(ws, count):
    sent = []
    for i in range(count):
        msg = f"pipelined #{i} " + "x" * (i * 37 % 300) if i % 2 == 0 else os.urandom(i * 53 % 700)
        sent.append(msg)
        await ws.send(msg)
    for i, msg in enumerate(sent):
        got = await recv(ws)
        try:
            check_echo(msg, got)
        except CaseFailed as e:
            raise CaseFailed(f"message #{i}: {e}")


def utf8_text(nbytes):
    """Random text mixing 1-, 2-, 3- and 4-byte UTF-8 sequences, exactly nbytes long."""
    pool = ["a", "Z", " ", "ñ", "é", "Ω", "中", "€", "𝄞", "😀"]
    out, size = [], 0
    while size < nbytes:
        c = random.choice(pool)
        n = len(c.encode())
        if size + n > nbytes:
            c, n = "a", 1
        out.append(c)
        size += n
    return "".join(out)


async def run(url):
    print(f"INFO websockets {websockets.__version__} (python {sys.version.split()[0]})", flush=True)
    print(f"INFO connecting to {url}", flush=True)
    try:
        ws = await asyncio.wait_for(
            connect(
                url,
                create_connection=RecordingConnection,
                max_size=MAX_SIZE,
                ping_interval=None,  # no unsolicited keepalive pings
                close_timeout=CLOSE_TIMEOUT,
                open_timeout=STEP_TIMEOUT,
            ),
            STEP_TIMEOUT,
        )
    except Exception as e:  # noqa: BLE001 - any failure to connect is reported
        report("connect", False, f"{type(e).__name__}: {e}")
        return
    report("connect", True)
    ext = ws.response.headers.get("Sec-WebSocket-Extensions")
    print(f"INFO negotiated subprotocol={ws.subprotocol!r} extensions={ext!r}", flush=True)
    # PEER_EXPECT_DEFLATE=1: the server must have accepted the default
    # permessage-deflate offer of websockets.
    if os.environ.get("PEER_EXPECT_DEFLATE") == "1":
        report("permessage-deflate negotiated", bool(ext) and "permessage-deflate" in ext, repr(ext))

    big = os.urandom(4 * 1024 * 1024)
    cases = [
        ("text-ascii", lambda: echo_case(ws, "hello, rfc6455")),
        ("text-utf8-4byte", lambda: echo_case(ws, "𝄞😀 ñé中€")),
        ("text-empty", lambda: echo_case(ws, "")),
        ("text-125", lambda: echo_case(ws, "t" * 125)),
        ("text-126", lambda: echo_case(ws, "u" * 126)),
        ("text-65535", lambda: echo_case(ws, utf8_text(65535))),
        ("text-65536", lambda: echo_case(ws, utf8_text(65536))),
        ("text-utf8-1MiB", lambda: echo_case(ws, utf8_text(1024 * 1024))),
    ]
    for n in (0, 1, 125, 126, 127, 65535, 65536):
        cases.append((f"binary-{n}", lambda n=n: echo_case(ws, os.urandom(n))))
    cases += [
        ("binary-4MiB", lambda: echo_case(ws, big)),
        (
            "fragmented-text",
            lambda: fragmented_case(ws, ["frag", "mented ", "", "𝄞😀"], "fragmented 𝄞😀"),
        ),
        (
            # fragment boundaries in the middle of 4-byte UTF-8 sequences
            "fragmented-text-split-codepoint",
            lambda: fragmented_case(
                ws,
                [b"a\xf0\x9d", b"\x84", b"\x9e\xf0", b"\x9f\x98\x80z"],
                "a𝄞😀z",
                text=True,
            ),
        ),
        (
            "fragmented-binary",
            lambda: fragmented_case(ws, [b"\x00\x01", b"", b"\xff" * 300, big[:70000]],
                                    b"\x00\x01" + b"\xff" * 300 + big[:70000]),
        ),
        (
            "fragmented-text-ping-between",
            lambda: fragmented_case(ws, ["before ", "after"], "before after",
                                    ping_between=b"mid-fragment"),
        ),
        ("ping-payload", lambda: ping_case(ws, b"ping-\x00\xff-payload")),
        ("ping-empty", lambda: ping_case(ws, b"")),
        ("ping-125", lambda: ping_case(ws, bytes(range(125)))),
        ("pipelined-200", lambda: pipelined_case(ws, 200)),
    ]

    timed_out = None
    for case, fn in cases:
        if timed_out is not None:
            report(case, False, f"not run: no reply in time in {timed_out}, later replies would be mismatched")
            continue
        if ws.protocol.close_rcvd is not None or ws.protocol.state.name == "CLOSED":
            rc = ws.protocol.close_rcvd
            report(case, False, f"connection already closed (server close: {rc})")
            continue
        try:
            await fn()
            report(case, True)
        except CaseFailed as e:
            report(case, False, str(e))
            if isinstance(e, CaseTimeout):
                timed_out = case
        except websockets.ConnectionClosed as e:
            report(case, False, f"connection closed: {e}")
        except Exception as e:  # noqa: BLE001
            report(case, False, f"{type(e).__name__}: {e}")

    # Closing handshake: the server must echo our code and reason (RFC 6455 §5.5.1).
    code, reason = 4001, "bye-ñ"
    start = time.monotonic()
    try:
        await asyncio.wait_for(ws.close(code, reason), CLOSE_TIMEOUT + STEP_TIMEOUT)
    except Exception as e:  # noqa: BLE001
        report("close-echo", False, f"close() raised {type(e).__name__}: {e}")
        return
    elapsed = time.monotonic() - start
    rcvd = ws.protocol.close_rcvd
    if rcvd is None:
        report("close-echo", False, "server sent no Close frame before the connection ended")
    elif (rcvd.code, rcvd.reason) != (code, reason):
        report("close-echo", False,
               f"sent code={code} reason={reason!r}, server answered code={rcvd.code} reason={rcvd.reason!r}")
    else:
        report("close-echo", True)
    # After the closing handshake the server should close TCP first (RFC 6455 §7.1.1);
    # websockets aborts the connection itself after CLOSE_TIMEOUT otherwise.
    if elapsed >= CLOSE_TIMEOUT - 0.2:
        report("close-tcp", False, f"server did not close the TCP connection ({elapsed:.1f}s)")
    else:
        report("close-tcp", True)
    print(f"INFO closing handshake took {elapsed * 1000:.0f} ms", flush=True)


async def main(url):
    try:
        await asyncio.wait_for(run(url), TOTAL_TIMEOUT)
    except asyncio.TimeoutError:
        report("run", False, f"whole run exceeded {TOTAL_TIMEOUT}s")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].startswith(("ws://", "wss://")):
        print("usage: py_client.py ws://HOST:PORT/PATH", file=sys.stderr)
        sys.exit(2)
    asyncio.run(main(sys.argv[1]))
    failed = sum(1 for _, ok in results if not ok)
    passed = len(results) - failed
    print(f"SUMMARY {NAME}: {passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed or not results else 0)
