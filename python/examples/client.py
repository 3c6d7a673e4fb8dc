#!/usr/bin/env python3
"""A WebSocket client on the rfc6455 binding.

    python3 examples/client.py ws://HOST:PORT/PATH

Sends each line of stdin as a text message, prints every message that
arrives, and closes (1000) at the end of stdin. Exits 0 after a clean close.
"""

import asyncio
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rfc6455 import Binary, Close, Connection, Error, Open, Rejected, Rfc6455Error, Text  # noqa: E402
from rfc6455.aio import Driver  # noqa: E402


async def main(url: str) -> int:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    conn = Connection.client(url)
    loop = asyncio.get_running_loop()
    closed = {}

    def on_event(conn, event):
        if isinstance(event, Open):
            print("open", file=sys.stderr)
            threading.Thread(target=read_stdin, daemon=True).start()
        elif isinstance(event, Text):
            print(event.data, flush=True)
        elif isinstance(event, Binary):
            print(f"[{len(event.data)} bytes of binary]", flush=True)
        elif isinstance(event, Rejected):
            print(f"rejected: HTTP {event.status}", file=sys.stderr)
        elif isinstance(event, Error):
            print(f"error: {event.message}", file=sys.stderr)
        elif isinstance(event, Close):
            closed["clean"] = event.clean
            print(f"closed: {event.code} {event.reason} ({'clean' if event.clean else 'not clean'})",
                  file=sys.stderr)

    driver = Driver(conn, reader, writer, on_event)

    def command(f, *args):
        try:
            f(*args)
        except Rfc6455Error as e:  # e.g. the server closed first
            print(f"client: {e}", file=sys.stderr)
        driver.wake()

    def read_stdin():
        for line in sys.stdin:
            loop.call_soon_threadsafe(command, conn.send_text, line.rstrip("\r\n"))
        loop.call_soon_threadsafe(command, conn.close, 1000, "bye")

    await driver.run()
    return 0 if closed.get("clean") else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: client.py ws://HOST:PORT/PATH")
    sys.exit(asyncio.run(main(sys.argv[1])))
