#!/usr/bin/env python3
"""Decoding through the binding against wsproto, in the same run.

    python3 bench/decode.py [--rounds N] [--markdown FILE]

For 16 B and 64 KiB binary messages: a stream of masked client frames (what
a server reads) is fed, 64 KiB at a time as a socket read would hand it, to
a framing-only server connection of each library, and every message is
taken as an event object (`rfc6455.Binary`, `wsproto.events.BytesMessage`).
Both libraries check the masking and assemble messages; neither is in a
handshake. The stream is about 4 MiB (as in the Rust benches), fed as many
times as it takes to reach the message count: the bytes of a socket read
are in cache, just written there by the kernel, and a 64 MiB stream would
measure the machine's memory bandwidth instead of the libraries.

Two rows for the binding: `poll_event` (the payload copied into `bytes`) and
`poll_event_lent` (the payload lent as a `memoryview`, no copy: what the
binding's docs recommend for large binary messages). Reports messages/s and
MiB/s of payload for each, the best of 5 rounds, and the ratios. Needs
`pip install wsproto`.

`--markdown FILE` also writes the table as the section that
scripts/bench_report.py appends to BENCHMARKS.md (python/bench/RESULTS.md).
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import wsproto  # noqa: E402
from wsproto.connection import Connection as WsprotoConnection  # noqa: E402
from wsproto.connection import ConnectionType  # noqa: E402
from wsproto.events import BytesMessage  # noqa: E402

import rfc6455  # noqa: E402
from rfc6455 import Binary, Config, Connection, Role  # noqa: E402

READ = 64 * 1024


def masked_frame(payload: bytes) -> bytes:
    n = len(payload)
    head = bytearray([0x82])
    if n < 126:
        head.append(0x80 | n)
    elif n < 65536:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    key = os.urandom(4)
    big = int.from_bytes(payload, "big") ^ int.from_bytes((key * (n // 4 + 1))[:n], "big")
    return bytes(head) + key + big.to_bytes(n, "big")


def chunks(stream: bytes):
    return [stream[i : i + READ] for i in range(0, len(stream), READ)]


def run_rfc6455(reads, count, size, lent=False):
    conn = Connection.open(Role.SERVER, config=Config(max_pending_output=1 << 30))
    poll = conn.poll_event_lent if lent else conn.poll_event
    got = 0
    t = time.perf_counter()
    for r in reads:
        conn.handle_input(r)
        while (ev := poll()) is not None:
            assert type(ev) is Binary
            got += 1
    elapsed = time.perf_counter() - t
    assert got == count
    conn.free()
    return elapsed


def run_rfc6455_lent(reads, count, size):
    return run_rfc6455(reads, count, size, lent=True)


def run_wsproto(reads, count, size):
    conn = WsprotoConnection(ConnectionType.SERVER)
    got = 0
    t = time.perf_counter()
    for r in reads:
        conn.receive_data(r)
        for ev in conn.events():
            assert type(ev) is BytesMessage
            if ev.message_finished:
                got += 1
    elapsed = time.perf_counter() - t
    assert got == count
    return elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--markdown", help="write the results as a markdown section to this file")
    args = ap.parse_args()
    versions = (f"rfc6455 binding {rfc6455.version()} (ctypes), wsproto {wsproto.__version__}, "
                f"Python {sys.version.split()[0]}")
    print(versions)
    print(f"{'size':>8} {'library':<13} {'msgs/s':>12} {'MiB/s':>9}   ratio")
    rows = []
    libs = (("rfc6455", run_rfc6455), ("rfc6455 lent", run_rfc6455_lent), ("wsproto", run_wsproto))
    # (size, frames in the ~4 MiB stream, times it is fed)
    for size, frames, times in ((16, 200_000, 1), (64 * 1024, 64, 16)):
        count = frames * times
        payload = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
        frame = masked_frame(payload)
        reads = chunks(frame * frames) * times
        best = {}
        for name, fn in libs:
            best[name] = min(fn(reads, count, size) for _ in range(args.rounds))
        for name, _ in libs:
            rate = count / best[name]
            mib = rate * size / (1 << 20)
            ratio = best["wsproto"] / best[name]
            print(f"{size:>8} {name:<13} {rate:>12,.0f} {mib:>9.1f}   "
                  + (f"{ratio:.1f}x wsproto" if name != "wsproto" else ""))
            rows.append((size, name, best[name] / count * 1e9, rate, mib, ratio))
    if args.markdown:
        write_markdown(args.markdown, versions, rows, args.rounds)


def write_markdown(path, versions, rows, rounds):
    label = {16: "16 B", 64 * 1024: "64 KiB"}
    out = [
        "## Through the Python binding: decode against wsproto",
        "",
        "Generated by `python3 python/bench/decode.py --markdown python/bench/RESULTS.md` "
        "(scripts/bench_report.py appends it here).",
        "",
        f"- {versions}; best of {rounds} rounds.",
        "- A framing-only server connection of each library gets a stream of masked binary "
        "frames in reads of 64 KiB (200 000 messages of 16 B; 64 messages of 64 KiB, about "
        "4 MiB as in the Rust benches, fed 16 times); every message is taken as an event "
        "object (`rfc6455.Binary`, `wsproto.events.BytesMessage`).",
        "- `rfc6455` takes events with `poll_event` (payload copied into `bytes`); "
        "`rfc6455 lent` with `poll_event_lent` (payload lent as a `memoryview` until the next "
        "call, no copy), as the binding's docs recommend for large binary messages.",
        "",
        "| message | library | ns/msg | msgs/s | MiB/s | × wsproto's rate |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for size, name, ns, rate, mib, ratio in rows:
        lib = f"**{name} (ctypes)**" if name != "wsproto" else name
        times = f"{ratio:.1f}×" if name != "wsproto" else "1.0×"
        out.append(f"| {label[size]} | {lib} | {ns:,.0f} | {rate:,.0f} | {mib:,.1f} | {times} |")
    Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
