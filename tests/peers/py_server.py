#!/usr/bin/env python3
"""Logging echo server built on the third-party `websockets` library.

Usage: python3 py_server.py PORT [LIFETIME_SECONDS]

Binds 127.0.0.1:PORT (PORT 0 picks a free port) and echoes every message back
with the same type. Prints one JSON object per line on stdout, flushed at once:

    {"event":"listening","port":N,"library":"websockets","version":"17.4"}   (first line)
    {"event":"rejected","conn":C,"path":"/forbidden","status":403}
    {"event":"open","conn":C,"path":"/x?y","subprotocol":"chat"|null,"offered":[...]}
    {"event":"message","conn":C,"type":"text"|"binary","len":N,"sha256":"<hex>"[,"text":"..."|"hex":"..."]}
    {"event":"ping","conn":C,"len":N,"hex":"<payload hex>"}
    {"event":"pong","conn":C,"len":N,"hex":"<payload hex>"}
    {"event":"error","conn":C,"error":"..."}
    {"event":"close","conn":C,"code":N,"reason":"...","clean":true|false,"sent_code":N|null,"sent_reason":...}
    {"event":"exit","why":"timeout"|"SIGTERM"|"SIGINT"}

"len" is the payload size in bytes (UTF-8 bytes for text). "text" (text
messages) or "hex" (binary messages) is included when len <= 1024.
"close" code/reason are those of the Close frame received from the client
(1006 and "" if none); "sent_*" describe the Close frame this server sent.

Subprotocols: the server supports "chat" and "superchat" and picks the first
one the client offered that it supports; none is selected otherwise (the
handshake still succeeds). A handshake for the path /forbidden is answered
with HTTP 403. Keepalive pings are disabled; compression too, unless
PEER_SERVER_DEFLATE=1 (then websockets' default permessage-deflate, and the
"open" line names the extensions agreed). The server
exits by itself after LIFETIME_SECONDS (default 60) or on SIGTERM/SIGINT.
"""

import asyncio
import hashlib
import json
import os
import signal
import sys
import urllib.parse

import websockets
from websockets.asyncio.server import ServerConnection, serve
from websockets.frames import Frame, Opcode

SUPPORTED = ["chat", "superchat"]
MAX_SIZE = 64 * 1024 * 1024
INLINE_LIMIT = 1024

_next_conn = 0


def log(**fields):
    sys.stdout.write(json.dumps(fields, separators=(",", ":")) + "\n")
    sys.stdout.flush()


class LoggingConnection(ServerConnection):
    """Logs control frames (ping/pong) received from the client."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        global _next_conn
        _next_conn += 1
        self.conn_id = _next_conn

    def process_event(self, event):
        if isinstance(event, Frame) and event.opcode in (Opcode.PING, Opcode.PONG):
            data = bytes(event.data)
            kind = "ping" if event.opcode is Opcode.PING else "pong"
            log(event=kind, conn=self.conn_id, len=len(data), hex=data.hex())
        super().process_event(event)


def path_only(request_path):
    return urllib.parse.urlsplit(request_path).path


def select_subprotocol(connection, offered):
    for proto in offered:  # client's order of preference
        if proto in SUPPORTED:
            return proto
    return None


def process_request(connection, request):
    if path_only(request.path) == "/forbidden":
        log(event="rejected", conn=connection.conn_id, path=request.path, status=403)
        return connection.respond(403, "Forbidden\n")
    return None


async def handler(ws):
    offered = []
    for value in ws.request.headers.get_all("Sec-WebSocket-Protocol"):
        offered += [p.strip() for p in value.split(",") if p.strip()]
    log(event="open", conn=ws.conn_id, path=ws.request.path, subprotocol=ws.subprotocol, offered=offered,
        extensions=ws.response.headers.get("Sec-WebSocket-Extensions"))
    if path_only(ws.request.path) == "/close-first":
        # This server starts the closing handshake at once.
        await ws.close(1000, "bye")
    try:
        async for msg in ws:
            if isinstance(msg, str):
                raw = msg.encode("utf-8")
                extra = {"text": msg} if len(raw) <= INLINE_LIMIT else {}
                kind = "text"
            else:
                raw = msg
                extra = {"hex": raw.hex()} if len(raw) <= INLINE_LIMIT else {}
                kind = "binary"
            log(event="message", conn=ws.conn_id, type=kind, len=len(raw),
                sha256=hashlib.sha256(raw).hexdigest(), **extra)
            await ws.send(msg)
    except websockets.ConnectionClosedError as e:
        # Raised for any close code other than 1000/1001 too; only report real
        # failures: no Close frame from the client, or this server closed first
        # (e.g. because the client violated the protocol).
        if e.rcvd is None or not e.rcvd_then_sent:
            log(event="error", conn=ws.conn_id, error=str(e))
    except websockets.ConnectionClosedOK:
        # The client closed (1000/1001) while an echo was being sent: normal.
        pass
    # Wait for the closing handshake and TCP teardown to finish.
    await ws.wait_closed()
    rcvd, sent = ws.protocol.close_rcvd, ws.protocol.close_sent
    log(
        event="close",
        conn=ws.conn_id,
        code=rcvd.code if rcvd else 1006,
        reason=rcvd.reason if rcvd else "",
        clean=rcvd is not None and sent is not None,
        sent_code=sent.code if sent else None,
        sent_reason=sent.reason if sent else None,
    )


async def main(port, lifetime):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda s=sig: stop.done() or stop.set_result(s.name))
    loop.call_later(lifetime, lambda: stop.done() or stop.set_result("timeout"))
    server = await serve(
        handler,
        "127.0.0.1",
        port,
        create_connection=LoggingConnection,
        select_subprotocol=select_subprotocol,
        process_request=process_request,
        compression="deflate" if os.environ.get("PEER_SERVER_DEFLATE") == "1" else None,
        ping_interval=None,
        max_size=MAX_SIZE,
        close_timeout=5,
    )
    actual = server.sockets[0].getsockname()[1]
    log(event="listening", port=actual, library="websockets", version=websockets.__version__)
    why = await stop
    log(event="exit", why=why)
    # Close open connections with 1001 (going away); bounded in time.
    server.close()
    try:
        await asyncio.wait_for(server.wait_closed(), 6)
    except asyncio.TimeoutError:
        pass


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        print("usage: py_server.py PORT [LIFETIME_SECONDS]", file=sys.stderr)
        sys.exit(2)
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) == 3 else 60.0))
