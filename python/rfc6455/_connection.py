"""The Pythonic layer: Connection, Config, events as dataclasses, errors."""

from __future__ import annotations

import ctypes
import enum
import time
from ctypes import byref, c_bool, c_char_p, c_int, c_size_t, c_uint64, c_void_p
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional, Sequence, Tuple, Union

from . import _lib
from ._lib import lib

# ---- enums ------------------------------------------------------------------


class Status(enum.IntEnum):
    """What a call to the C library returned (``rfc6455_status``)."""

    OK = 0
    EMPTY = 1
    NULL_POINTER = 2
    INVALID_ARGUMENT = 3
    INVALID_UTF8 = 4
    INVALID_CLOSE_CODE = 5
    INVALID_STATE = 6
    CLOSED = 7
    BUFFER_TOO_SMALL = 8
    NOT_LENT = 9
    INVALID_CONFIG = 10
    INVALID_URL = 11
    INVALID_HEADER = 12
    INVALID_PROTOCOL = 13
    INVALID_STATUS = 14
    MESSAGE_IN_PROGRESS = 15
    FRAGMENT_KIND = 16
    CONTROL_TOO_LONG = 17
    REASON_TOO_LONG = 18
    OUTPUT_FULL = 19
    RESERVED_HEADER = 20
    PANIC = 21
    REFUSED = 22


class State(enum.IntEnum):
    """The connection's state, as the browser's ``readyState``."""

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3


class Role(enum.IntEnum):
    """Which end of the connection."""

    CLIENT = 0
    SERVER = 1


class MessageKind(enum.IntEnum):
    """The kind of a data message."""

    TEXT = 0
    BINARY = 1


class Initiator(enum.IntEnum):
    """Who started the closing."""

    LOCAL = 1
    LIBRARY = 2
    REMOTE = 3


class PeerErrorKind(enum.IntEnum):
    """What the peer did wrong."""

    PROTOCOL = 1
    HANDSHAKE = 2
    UNRESPONSIVE = 3
    OTHER = 4


class Rfc6455Error(Exception):
    """A call was refused; ``status`` says why, the message tells more.

    Commands refused for the application's misuse (a bad close code, text
    that is not UTF-8, sending after the close) change nothing, as in Rust.
    """

    def __init__(self, status: int, message: str):
        try:
            self.status: Union[Status, int] = Status(status)
        except ValueError:
            self.status = status
        super().__init__(f"{getattr(self.status, 'name', self.status)}: {message}")


_EMPTY = 1  # Status.EMPTY, as a plain int for the hot path


def _check(status: int) -> int:
    if status > _EMPTY:
        raise Rfc6455Error(status, _lib.last_error())
    return status


# ---- events -----------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """Server: a client's opening handshake; answer with ``accept`` or ``reject``."""

    method: str
    path: str
    headers: Tuple[Tuple[str, bytes], ...]
    protocols: Tuple[str, ...]
    is_websocket: bool
    head: bytes

    def header(self, name: str) -> Optional[bytes]:
        """The first header called ``name`` (case-insensitive)."""
        name = name.lower()
        return next((v for n, v in self.headers if n.lower() == name), None)


@dataclass(frozen=True)
class Open:
    """The handshake is complete; the connection is OPEN."""

    protocol: Optional[str] = None
    extensions: Optional[str] = None


@dataclass(frozen=True)
class Rejected:
    """Client: the server answered with a status other than 101."""

    status: int
    head: bytes
    body: bytes


@dataclass(frozen=True)
class Text:
    """A complete text message."""

    data: str


@dataclass(frozen=True)
class Binary:
    """A complete binary message (a ``memoryview`` from ``poll_event_lent``)."""

    data: BytesLike


@dataclass(frozen=True)
class Fragment:
    """Streaming mode: a piece of a message."""

    kind: MessageKind
    data: BytesLike
    first: bool
    last: bool


@dataclass(frozen=True)
class Ping:
    """A ping (answered already unless ``auto_pong`` is off)."""

    payload: bytes


@dataclass(frozen=True)
class Pong:
    """A pong."""

    payload: bytes


@dataclass(frozen=True)
class Error:
    """The peer broke the protocol; a ``Close`` event follows."""

    kind: PeerErrorKind
    message: str
    close_code: int
    http_status: int


@dataclass(frozen=True)
class Close:
    """The connection is closed: always the last event, exactly once."""

    code: int
    reason: str
    initiator: Initiator
    clean: bool


@dataclass(frozen=True)
class Other:
    """An event kind this binding does not know."""

    message: str


Event = Union[Request, Open, Rejected, Text, Binary, Fragment, Ping, Pong, Error, Close, Other]

_FLAG_TEXT, _FLAG_FIRST, _FLAG_LAST, _FLAG_CLEAN, _FLAG_WEBSOCKET = 1, 4, 8, 16, 32
_ACCEPT_NO_COMPRESSION = 1

# ---- config -----------------------------------------------------------------


def _ms(seconds: Optional[float]) -> int:
    if seconds is None or seconds <= 0:
        return 0
    return max(1, round(seconds * 1000))


@dataclass
class Config:
    """Limits, options and timers; the defaults are the library's. Timeouts
    are in seconds; ``None`` switches a timer off."""

    max_message_size: int = 16 << 20
    max_frame_size: int = 16 << 20
    max_fragments: int = 4096
    max_handshake_bytes: int = 16 << 10
    max_headers: int = 64
    max_header_line: int = 8 << 10
    max_pending_output: int = 64 << 20
    auto_pong: bool = True
    streaming: bool = False
    allow_plain_http: bool = False
    handshake_timeout: Optional[float] = 10.0
    ping_interval: Optional[float] = 30.0
    pong_timeout: Optional[float] = 30.0
    close_timeout: Optional[float] = 10.0
    message_timeout: Optional[float] = None
    #: permessage-deflate (RFC 7692): offered by a client, accepted by a
    #: server. Window bits 8 to 15; messages under ``deflate_threshold``
    #: bytes go out uncompressed.
    deflate: bool = True
    deflate_level: int = 6
    deflate_server_no_context_takeover: bool = False
    deflate_client_no_context_takeover: bool = False
    deflate_server_max_window_bits: int = 15
    deflate_client_max_window_bits: int = 15
    deflate_threshold: int = 1024

    def _to_c(self) -> _lib.Config:
        c = _lib.Config()
        _check(lib.rfc6455_config_init(byref(c), ctypes.sizeof(c)))
        for name in (
            "max_message_size",
            "max_frame_size",
            "max_fragments",
            "max_handshake_bytes",
            "max_headers",
            "max_header_line",
            "max_pending_output",
        ):
            setattr(c, name, getattr(self, name))
        c.auto_pong, c.streaming = int(self.auto_pong), int(self.streaming)
        c.allow_plain_http = int(self.allow_plain_http)
        c.handshake_timeout_ms = _ms(self.handshake_timeout)
        c.ping_interval_ms = _ms(self.ping_interval)
        c.pong_timeout_ms = _ms(self.pong_timeout)
        c.close_timeout_ms = _ms(self.close_timeout)
        c.message_timeout_ms = _ms(self.message_timeout)
        c.deflate = int(self.deflate)
        c.deflate_level = self.deflate_level
        c.deflate_server_no_context_takeover = int(self.deflate_server_no_context_takeover)
        c.deflate_client_no_context_takeover = int(self.deflate_client_no_context_takeover)
        c.deflate_server_max_window_bits = self.deflate_server_max_window_bits
        c.deflate_client_max_window_bits = self.deflate_client_max_window_bits
        c.deflate_threshold = self.deflate_threshold
        return c


def now() -> int:
    """The time to hand to ``handle_timeout``: ``time.monotonic_ns()``."""
    return time.monotonic_ns()


# ---- the connection ---------------------------------------------------------

Headers = Iterable[Tuple[str, str]]
BytesLike = Union[bytes, bytearray, memoryview]


def _headers(headers: Headers):
    items = [(n.encode(), v.encode()) for n, v in headers]
    arr = (_lib.Header * max(1, len(items)))()
    for i, (n, v) in enumerate(items):
        arr[i].name, arr[i].value = n, v
    return arr, len(items), items  # `items` keeps the bytes alive


def _fragment(flags: int, data: BytesLike) -> Fragment:
    return Fragment(
        MessageKind.TEXT if flags & _FLAG_TEXT else MessageKind.BINARY,
        data,
        bool(flags & _FLAG_FIRST),
        bool(flags & _FLAG_LAST),
    )


def _bytes(data: BytesLike) -> bytes:
    return data if isinstance(data, bytes) else bytes(data)


class Connection:
    """A WebSocket connection as a state machine over bytes, as in Rust.

    Methods come in the Rust crate's four groups: getters (``state``,
    ``role``, ``protocol``, ...), ``handle_*`` for input, commands
    (``accept``, ``send_text``, ``close``, ...), and ``poll_*`` for what to
    do next. After input or commands, take every event (``events()``), then
    write ``data_to_send()``, then close the transport if
    ``should_close_transport()``, then wait no later than ``poll_timeout()``.
    """

    def __init__(self, handle: int):
        self._h = c_void_p(handle)
        self._event = _lib.Event()
        self._event.size = ctypes.sizeof(_lib.Event)
        self._event_ref = byref(self._event)
        self._ptr, self._len = c_void_p(), c_size_t()
        self._ptr_ref, self._len_ref = byref(self._ptr), byref(self._len)
        # The memoryview last lent (input_buffer, poll_event_lent): released
        # by the next call, so that a view kept too long raises instead of
        # reading memory the library reuses.
        self._lent: Optional[memoryview] = None

    # -- constructors

    @classmethod
    def client(
        cls,
        url: str,
        protocols: Sequence[str] = (),
        headers: Headers = (),
        config: Optional[Config] = None,
    ) -> "Connection":
        """A client for ``url``; the opening handshake is queued at once."""
        out = c_void_p()
        protos = (c_char_p * max(1, len(protocols)))(*[p.encode() for p in protocols])
        harr, hn, _keep = _headers(headers)
        cfg = (config or Config())._to_c()
        _check(
            lib.rfc6455_client_new(
                url.encode(), protos, len(protocols), harr, hn, byref(cfg), byref(out)
            )
        )
        return cls(out.value)

    @classmethod
    def server(cls, config: Optional[Config] = None) -> "Connection":
        """A server, waiting for a client's opening handshake."""
        out = c_void_p()
        cfg = (config or Config())._to_c()
        _check(lib.rfc6455_server_new(byref(cfg), byref(out)))
        return cls(out.value)

    @classmethod
    def open(
        cls, role: Role, protocol: Optional[str] = None, config: Optional[Config] = None
    ) -> "Connection":
        """A connection that starts OPEN (the upgrade was done elsewhere)."""
        out = c_void_p()
        cfg = (config or Config())._to_c()
        p = protocol.encode() if protocol is not None else None
        _check(lib.rfc6455_open_new(int(role), p, byref(cfg), byref(out)))
        return cls(out.value)

    def free(self) -> None:
        """Frees the handle now (it is freed when garbage-collected anyway)."""
        h, self._h = self._h, None
        if h is not None and h.value:
            lib.rfc6455_free(h)

    def __del__(self):
        try:
            if getattr(self, "_h", None) is not None:
                self.free()
        except Exception:  # at interpreter exit the library may be gone already
            pass

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc) -> None:
        self.free()

    def _handle(self) -> c_void_p:
        if self._lent is not None:
            self._lent.release()
            self._lent = None
        if self._h is None:
            raise Rfc6455Error(Status.NULL_POINTER, "the connection was freed")
        return self._h

    # -- getters

    def state(self) -> State:
        v = c_int()
        _check(lib.rfc6455_state(self._handle(), byref(v)))
        return State(v.value)

    def role(self) -> Role:
        v = c_int()
        _check(lib.rfc6455_role(self._handle(), byref(v)))
        return Role(v.value)

    def is_closed(self) -> bool:
        return self.state() == State.CLOSED

    def _lent_str(self, fn) -> Optional[str]:
        if _check(fn(self._handle(), byref(self._ptr), byref(self._len))) == Status.EMPTY:
            return None
        return ctypes.string_at(self._ptr.value, self._len.value).decode()

    def protocol(self) -> Optional[str]:
        """The subprotocol agreed on, if any."""
        return self._lent_str(lib.rfc6455_protocol)

    def extensions(self) -> Optional[str]:
        """The extensions the server accepted, as the header's text."""
        return self._lent_str(lib.rfc6455_extensions)

    def buffered_amount(self) -> int:
        v = c_size_t()
        _check(lib.rfc6455_buffered_amount(self._handle(), byref(v)))
        return v.value

    def should_close_transport(self) -> bool:
        v = c_bool()
        _check(lib.rfc6455_should_close_transport(self._handle(), byref(v)))
        return v.value

    # -- input

    def handle_input(self, data: BytesLike) -> None:
        """Hands in bytes read from the transport."""
        data = _bytes(data)
        _check(_lib.raw.rfc6455_handle_input(self._handle(), data, c_size_t(len(data))))

    def input_buffer(self, size: int) -> memoryview:
        """Lends up to ``size`` bytes (at most 1 MiB) of the connection's input
        buffer to read into directly, e.g. ``n = sock.recv_into(buf)``; then call
        ``commit_input(n)``. The view is released by the next call on the
        connection (using it then raises ``ValueError``); slices taken of it
        are not, and must not be kept."""
        p, n = c_void_p(), c_size_t()
        _check(lib.rfc6455_input_buffer(self._handle(), size, byref(p), byref(n)))
        self._lent = _lib.view(p.value, n.value, _lib.PyBUF_WRITE)
        return self._lent

    def commit_input(self, n: int) -> None:
        """Hands in the first ``n`` bytes of the buffer ``input_buffer`` lent."""
        _check(lib.rfc6455_commit_input(self._handle(), n))

    def handle_eof(self) -> None:
        """The peer will send nothing more."""
        _check(lib.rfc6455_handle_eof(self._handle()))

    def handle_timeout(self, now_ns: Optional[int] = None) -> None:
        """Hands in the time (ns, default ``time.monotonic_ns()``); runs due timers."""
        _check(lib.rfc6455_handle_timeout(self._handle(), now() if now_ns is None else now_ns))

    def poll_timeout(self) -> Optional[int]:
        """When to call ``handle_timeout`` next (ns, same clock), or None."""
        v = c_uint64()
        if _check(lib.rfc6455_poll_timeout(self._handle(), byref(v))) == Status.EMPTY:
            return None
        return v.value

    # -- output

    def poll_event(self) -> Optional[Event]:
        """The next event, or None."""
        if _check(_lib.raw.rfc6455_poll_event(self._handle(), self._event_ref)) == _EMPTY:
            return None
        return self._convert(self._event)

    def poll_event_lent(self) -> Optional[Event]:
        """As ``poll_event``, but the payload of a ``Binary`` or ``Fragment``
        is lent, not copied: a read-only ``memoryview`` of the connection's
        own buffer (as Rust's ``poll_event_ref``). It is released by the next
        call on the connection (using it then raises ``ValueError``); take
        ``bytes(event.data)`` to keep it. Slices of it are not released and
        must not be kept. The fast way to read large binary messages."""
        if _check(_lib.raw.rfc6455_poll_event(self._handle(), self._event_ref)) == _EMPTY:
            return None
        ev = self._event
        kind = ev.kind
        if kind == 5 or kind == 6:
            data = _lib.view(ev.data, ev.len, _lib.PyBUF_READ)
            self._lent = data
            return Binary(data) if kind == 5 else _fragment(ev.flags, data)
        return self._convert(ev)

    def events(self) -> Iterator[Event]:
        """Takes every event waiting (commands may be issued in between)."""
        while True:
            event = self.poll_event()
            if event is None:
                return
            yield event

    def poll_transmit(self) -> Optional[bytes]:
        """The next bytes to write, or None."""
        st = _lib.raw.rfc6455_poll_transmit(self._handle(), self._ptr_ref, self._len_ref)
        if _check(st) == _EMPTY:
            return None
        return ctypes.string_at(self._ptr.value, self._len.value)

    def data_to_send(self) -> bytes:
        """Everything waiting to be written, in one buffer."""
        chunks = []
        while (chunk := self.poll_transmit()) is not None:
            chunks.append(chunk)
        return b"".join(chunks)

    def shrink_to_fit(self) -> None:
        _check(lib.rfc6455_shrink_to_fit(self._handle()))

    def _convert(self, ev: _lib.Event) -> Event:
        kind = ev.kind
        data = ctypes.string_at(ev.data, ev.len) if ev.len else b""
        if kind == 4:
            return Text(data.decode("utf-8"))
        if kind == 5:
            return Binary(data)
        if kind == 6:
            return _fragment(ev.flags, data)
        if kind == 7:
            return Ping(data)
        if kind == 8:
            return Pong(data)
        if kind == 10:
            return Close(
                ev.close_code, data.decode("utf-8"), Initiator(ev.initiator), bool(ev.flags & _FLAG_CLEAN)
            )
        if kind == 1:
            return self._request(data, bool(ev.flags & _FLAG_WEBSOCKET))
        if kind == 2:
            extra = ctypes.string_at(ev.extra, ev.extra_len) if ev.extra_len else b""
            return Open(data.decode() or None, extra.decode() or None)
        if kind == 3:
            body = ctypes.string_at(ev.extra, ev.extra_len) if ev.extra_len else b""
            return Rejected(ev.http_status, data, body)
        if kind == 9:
            try:
                err = PeerErrorKind(ev.error)
            except ValueError:
                err = PeerErrorKind.OTHER
            return Error(err, data.decode("utf-8", "replace"), ev.close_code, ev.http_status)
        return Other(data.decode("utf-8", "replace"))

    def _request(self, head: bytes, websocket: bool) -> Request:
        h = self._handle()
        p, n, v, vn = c_void_p(), c_size_t(), c_void_p(), c_size_t()

        def lent(fn, *args) -> Optional[bytes]:
            if _check(fn(h, *args, byref(p), byref(n))) == Status.EMPTY:
                return None
            return ctypes.string_at(p.value, n.value)

        headers, protocols = [], []
        i = 0
        while _check(lib.rfc6455_request_header_at(h, i, byref(p), byref(n), byref(v), byref(vn))) == 0:
            headers.append(
                (ctypes.string_at(p.value, n.value).decode("latin-1"), ctypes.string_at(v.value, vn.value))
            )
            i += 1
        i = 0
        while (proto := lent(lib.rfc6455_request_protocol_at, i)) is not None:
            protocols.append(proto.decode())
            i += 1
        return Request(
            method=(lent(lib.rfc6455_request_method) or b"").decode("latin-1"),
            path=(lent(lib.rfc6455_request_path) or b"").decode("latin-1"),
            headers=tuple(headers),
            protocols=tuple(protocols),
            is_websocket=websocket,
            head=head,
        )

    # -- commands

    def accept(
        self, protocol: Optional[str] = None, headers: Headers = (), compression: bool = True
    ) -> None:
        """Server: accepts the request, choosing ``protocol`` among those offered.
        ``compression=False`` opens without permessage-deflate, whatever was
        offered."""
        harr, hn, _keep = _headers(headers)
        p = protocol.encode() if protocol is not None else None
        flags = 0 if compression else _ACCEPT_NO_COMPRESSION
        _check(lib.rfc6455_accept(self._handle(), p, harr, hn, flags))

    def reject(self, status: int, headers: Headers = (), body: BytesLike = b"") -> None:
        """Server: answers the request with ``status`` (not 101); the connection closes."""
        harr, hn, _keep = _headers(headers)
        body = body.encode() if isinstance(body, str) else _bytes(body)
        _check(lib.rfc6455_reject(self._handle(), status, harr, hn, body, len(body)))

    def send_text(self, text: str) -> None:
        data = text.encode("utf-8")
        _check(lib.rfc6455_send_text(self._handle(), data, len(data)))

    def send_binary(self, data: BytesLike) -> None:
        data = _bytes(data)
        _check(lib.rfc6455_send_binary(self._handle(), data, len(data)))

    def send_uncompressed(self, kind: MessageKind, data: Union[BytesLike, str]) -> None:
        """A whole message, never compressed, whatever was negotiated (Node
        ``ws``'s ``compress: false``)."""
        data = data.encode("utf-8") if isinstance(data, str) else _bytes(data)
        _check(lib.rfc6455_send_uncompressed(self._handle(), int(kind), data, len(data)))

    def send_fragment(self, kind: MessageKind, data: Union[BytesLike, str], fin: bool) -> None:
        """One fragment of a message; ``fin`` marks the last."""
        data = data.encode("utf-8") if isinstance(data, str) else _bytes(data)
        _check(lib.rfc6455_send_fragment(self._handle(), int(kind), data, len(data), fin))

    def ping(self, payload: BytesLike = b"") -> None:
        payload = _bytes(payload)
        _check(lib.rfc6455_ping(self._handle(), payload, len(payload)))

    def pong(self, payload: BytesLike = b"") -> None:
        payload = _bytes(payload)
        _check(lib.rfc6455_pong(self._handle(), payload, len(payload)))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Starts the closing handshake (``code`` must be sendable: not 1005, 1006...)."""
        r = reason.encode("utf-8")
        _check(lib.rfc6455_close(self._handle(), code, r, len(r)))

    def abort(self) -> None:
        """Abandons the connection at once."""
        _check(lib.rfc6455_abort(self._handle()))

    def __repr__(self) -> str:
        if self._h is None:
            return "<Connection freed>"
        return f"<Connection {self.role().name} {self.state().name}>"


def version() -> str:
    """The C library's version."""
    return lib.rfc6455_version().decode()
