#!/usr/bin/env python3
"""An asyncio WebSocket echo server on the rfc6455 binding.

    python3 examples/echo_server.py [HOST:PORT]     (default 127.0.0.1:9001)

Echoes text and binary messages; the library answers pings and closes and
runs the timers (handshake timeout, keepalive, dead-peer detection).
"""

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rfc6455 import Binary, Config, Connection, Error, Request, Text  # noqa: E402
from rfc6455.aio import drive  # noqa: E402


def on_event(conn: Connection, event) -> None:
    if isinstance(event, Request):
        conn.accept()
    elif isinstance(event, Text):
        conn.send_text(event.data)
    elif isinstance(event, Binary):
        conn.send_binary(event.data)
    elif isinstance(event, Error):
        print(f"echo_server: peer error: {event.message}", file=sys.stderr)


async def serve(reader, writer) -> None:
    config = Config(max_message_size=64 << 20, max_frame_size=64 << 20, max_fragments=1 << 20)
    await drive(Connection.server(config), reader, writer, on_event)


async def main(addr: str) -> None:
    host, _, port = addr.rpartition(":")
    server = await asyncio.start_server(serve, host, int(port))
    sock = server.sockets[0].getsockname()
    print(f"echo server on ws://{sock[0]}:{sock[1]}/", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:9001"))
    except KeyboardInterrupt:
        pass
