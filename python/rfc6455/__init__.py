"""rfc6455: the sans-IO WebSocket (RFC 6455) state machine, from Python.

A binding, through ctypes, of librfc6455's C ABI (``ffi/`` in the
repository). Bytes in, events out, bytes to write; no callbacks::

    from rfc6455 import Connection, Text
    conn = Connection.server()
    conn.handle_input(bytes_read)
    for event in conn.events():
        if isinstance(event, Request):
            conn.accept()
        elif isinstance(event, Text):
            conn.send_text(event.data)
    sock.sendall(conn.data_to_send())

``rfc6455.aio`` runs a connection over asyncio streams.
"""

from ._connection import (
    Binary,
    Close,
    Config,
    Connection,
    Error,
    Event,
    Fragment,
    Initiator,
    MessageKind,
    Open,
    Other,
    PeerErrorKind,
    Ping,
    Pong,
    Rejected,
    Request,
    Rfc6455Error,
    Role,
    State,
    Status,
    Text,
    now,
    version,
)

__all__ = [
    "Binary", "Close", "Config", "Connection", "Error", "Event", "Fragment", "Initiator",
    "MessageKind", "Open", "Other", "PeerErrorKind", "Ping", "Pong", "Rejected", "Request",
    "Rfc6455Error", "Role", "State", "Status", "Text", "now", "version",
]
