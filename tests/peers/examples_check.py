#!/usr/bin/env python3
"""Checks two of the crate's examples against third-party peers.

Usage:
    python3 examples_check.py client CLIENT_BINARY ws://127.0.0.1:PORT
        Runs the `client` example against an echo server that supports the
        "superchat" subprotocol and answers /forbidden with 403 (py_server.py,
        node_server.js): a line typed on stdin comes back, end of input closes
        with 1000 cleanly (exit 0), /forbidden prints "rejected 403" (exit 2).
    python3 examples_check.py push ws://127.0.0.1:PORT/
        Connects to the `push` example with the `websockets` library: two
        numbers in [0, 1) arrive about a second apart, a message sent is
        echoed, and a close with 4002 "done" is answered in kind.

Output: PASS <case> / FAIL <case>: <why> / SUMMARY examples_check: ...
Exit status 0 if every case passed, 1 otherwise, 2 on bad usage. Every wait
is bounded; the client process is killed if it outlives its case.
"""

import asyncio
import queue
import subprocess
import sys
import threading
import time

STEP = 10.0
results = []


def report(case, ok, why=""):
    results.append(ok)
    print(f"PASS {case}" if ok else f"FAIL {case}: {why}", flush=True)


class Proc:
    """The client example with pipes, killed by PID when done."""

    def __init__(self, binary, *args):
        self.p = subprocess.Popen(
            [binary, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # end of output

    def line(self):
        """The next stdout line, within STEP seconds."""
        try:
            line = self.lines.get(timeout=STEP)
        except queue.Empty:
            raise AssertionError(f"no output within {STEP}s")
        if line is None:
            raise AssertionError("client ended its output")
        return line

    def finish(self):
        """Closes stdin (end of input); returns (remaining lines, exit status)."""
        self.p.stdin.close()
        try:
            status = self.p.wait(timeout=STEP)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"client did not exit within {STEP}s")
        rest = []
        while (line := self.lines.get(timeout=STEP)) is not None:
            rest.append(line)
        # A run that ends as expected prints no error line.
        errors = self.p.stderr.read()
        if errors:
            raise AssertionError(f"error output: {errors!r}")
        return rest, status

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def expect(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: expected {want!r}, got {got!r}")


def check_client(binary, base):
    def echo_and_close():
        proc = Proc(binary, f"{base}/examples-check", "--protocol", "v9", "--protocol", "superchat")
        try:
            expect(proc.line(), "open protocol=superchat", "first line")
            text = "hello 𝄞 ñ"
            proc.p.stdin.write(text + "\n")
            proc.p.stdin.flush()
            expect(proc.line(), text, "echo")
            rest, status = proc.finish()  # closes stdin: Ctrl-D
            expect(rest, ["closed code=1000 reason= clean=true"], "after end of input")
            expect(status, 0, "exit status")
        finally:
            proc.kill()

    def rejected():
        proc = Proc(binary, f"{base}/forbidden")
        try:
            expect(proc.line(), "rejected 403", "first line")
            rest, status = proc.finish()
            expect(rest, ["closed code=1006 reason= clean=false"], "after the refusal")
            expect(status, 2, "exit status")
        finally:
            proc.kill()

    def server_closes_first():
        proc = Proc(binary, f"{base}/close-first")
        try:
            expect(proc.line(), "open protocol=-", "first line")
            expect(proc.line(), "closed code=1000 reason=bye clean=true", "the server's close")
            rest, status = proc.finish()  # end of input after the close: nothing more
            expect(rest, [], "after end of input")
            expect(status, 0, "exit status")
        finally:
            proc.kill()

    for case, fn in (
        ("client-echo-and-close", echo_and_close),
        ("client-rejected-403", rejected),
        ("client-server-closes-first", server_closes_first),
    ):
        try:
            fn()
            report(case, True)
        except AssertionError as e:
            report(case, False, str(e))


async def check_push(url):
    import websockets
    from websockets.asyncio.client import connect

    print(f"INFO websockets {websockets.__version__}", flush=True)
    ws = await asyncio.wait_for(connect(url, ping_interval=None, close_timeout=5), STEP)
    try:
        times, numbers = [], []
        while len(numbers) < 2:
            msg = await asyncio.wait_for(ws.recv(), 3)
            times.append(time.monotonic())
            numbers.append(float(msg))
        ok = all(0.0 <= n < 1.0 for n in numbers) and numbers[0] != numbers[1]
        gap = times[1] - times[0]
        report("push-two-numbers", ok and 0.7 < gap < 1.5, f"numbers {numbers}, {gap:.2f}s apart")

        await ws.send("echo me")
        while True:  # numbers may arrive before the echo
            msg = await asyncio.wait_for(ws.recv(), 3)
            if msg == "echo me":
                report("push-echo", True)
                break
            float(msg)

        await asyncio.wait_for(ws.close(4002, "done"), STEP)
        rcvd = ws.protocol.close_rcvd
        got = (rcvd.code, rcvd.reason) if rcvd else None
        report("push-close", got == (4002, "done"), f"server's close frame: {got}")
    finally:
        await ws.close()


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "client":
        check_client(sys.argv[2], sys.argv[3].rstrip("/"))
    elif len(sys.argv) == 3 and sys.argv[1] == "push":
        try:
            asyncio.run(asyncio.wait_for(check_push(sys.argv[2]), 30))
        except Exception as e:  # noqa: BLE001 - any failure is reported
            report("push", False, f"{type(e).__name__}: {e}")
    else:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    failed = results.count(False)
    print(f"SUMMARY examples_check: {len(results) - failed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed or not results else 0)


if __name__ == "__main__":
    main()
