"""Loads librfc6455 with ctypes and declares its functions.

ctypes, not cffi: it ships with Python, so the package needs no compiler and
no third-party dependency, and the C ABI (flat structs, status codes, no
callbacks) was designed to be easy to declare by hand. cffi's API mode would
save some per-call overhead, at the price of a C compiler at install time.

The library is found, in order: the path in the ``RFC6455_LIB`` environment
variable; ``ffi/build/librfc6455.so`` (what ``make -C ffi`` builds) next to
this package in the repository; ``target/release/librfc6455.so`` (what
``cargo build --release -p rfc6455-ffi`` builds, or ``$CARGO_TARGET_DIR``).
"""

from __future__ import annotations

import ctypes
import os
import sys
from ctypes import (
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_int,
    c_size_t,
    c_uint8,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path

ABI_VERSION = 1

_EXT = {"darwin": "dylib", "win32": "dll"}.get(sys.platform, "so")
_NAME = ("" if sys.platform == "win32" else "lib") + "rfc6455." + _EXT


def _candidates() -> list[Path]:
    env = os.environ.get("RFC6455_LIB")
    if env:
        return [Path(env)]
    repo = Path(__file__).resolve().parent.parent.parent
    found = [repo / "ffi" / "build" / _NAME]
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        found.append(Path(target) / "release" / _NAME)
    found.append(repo / "target" / "release" / _NAME)
    return found


def _load() -> ctypes.CDLL:
    tried = _candidates()
    for path in tried:
        if path.is_file():
            return ctypes.CDLL(str(path))
    raise ImportError(
        "librfc6455 not found (run `make -C ffi`, or set RFC6455_LIB); tried: "
        + ", ".join(str(p) for p in tried)
    )


lib = _load()


class Config(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("max_message_size", c_size_t),
        ("max_frame_size", c_size_t),
        ("max_fragments", c_size_t),
        ("max_handshake_bytes", c_size_t),
        ("max_headers", c_size_t),
        ("max_header_line", c_size_t),
        ("max_pending_output", c_size_t),
        ("auto_pong", c_uint8),
        ("streaming", c_uint8),
        ("allow_plain_http", c_uint8),
        ("handshake_timeout_ms", c_uint64),
        ("ping_interval_ms", c_uint64),
        ("pong_timeout_ms", c_uint64),
        ("close_timeout_ms", c_uint64),
        ("message_timeout_ms", c_uint64),
        ("deflate", c_uint8),
        ("deflate_level", c_uint8),
        ("deflate_server_no_context_takeover", c_uint8),
        ("deflate_client_no_context_takeover", c_uint8),
        ("deflate_server_max_window_bits", c_uint8),
        ("deflate_client_max_window_bits", c_uint8),
        ("deflate_threshold", c_size_t),
    ]


class Event(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("kind", c_int),
        ("flags", c_uint32),
        ("close_code", c_uint16),
        ("http_status", c_uint16),
        ("initiator", c_int),
        ("error", c_int),
        ("data", c_void_p),
        ("len", c_size_t),
        ("extra", c_void_p),
        ("extra_len", c_size_t),
    ]


class Header(Structure):
    _fields_ = [("name", c_char_p), ("value", c_char_p)]


Conn = c_void_p
P = POINTER
_out_ptr = P(c_void_p)

_SIGNATURES = {
    "rfc6455_last_error_message": [c_char_p, c_size_t, P(c_size_t)],
    "rfc6455_config_init": [P(Config), c_size_t],
    "rfc6455_client_new": [c_char_p, P(c_char_p), c_size_t, P(Header), c_size_t, P(Config), P(Conn)],
    "rfc6455_server_new": [P(Config), P(Conn)],
    "rfc6455_open_new": [c_uint32, c_char_p, P(Config), P(Conn)],
    "rfc6455_free": [Conn],
    "rfc6455_handle_input": [Conn, c_char_p, c_size_t],
    "rfc6455_input_buffer": [Conn, c_size_t, _out_ptr, P(c_size_t)],
    "rfc6455_commit_input": [Conn, c_size_t],
    "rfc6455_handle_eof": [Conn],
    "rfc6455_handle_timeout": [Conn, c_uint64],
    "rfc6455_poll_timeout": [Conn, P(c_uint64)],
    "rfc6455_poll_event": [Conn, P(Event)],
    "rfc6455_poll_transmit": [Conn, _out_ptr, P(c_size_t)],
    "rfc6455_transmit_copy": [Conn, c_void_p, c_size_t, P(c_size_t)],
    "rfc6455_should_close_transport": [Conn, P(c_bool)],
    "rfc6455_buffered_amount": [Conn, P(c_size_t)],
    "rfc6455_shrink_to_fit": [Conn],
    "rfc6455_accept": [Conn, c_char_p, P(Header), c_size_t, c_uint32],
    "rfc6455_send_uncompressed": [Conn, c_uint32, c_char_p, c_size_t],
    "rfc6455_reject": [Conn, c_uint16, P(Header), c_size_t, c_char_p, c_size_t],
    "rfc6455_send_text": [Conn, c_char_p, c_size_t],
    "rfc6455_send_binary": [Conn, c_char_p, c_size_t],
    "rfc6455_send_fragment": [Conn, c_uint32, c_char_p, c_size_t, c_bool],
    "rfc6455_ping": [Conn, c_char_p, c_size_t],
    "rfc6455_pong": [Conn, c_char_p, c_size_t],
    "rfc6455_close": [Conn, c_uint16, c_char_p, c_size_t],
    "rfc6455_abort": [Conn],
    "rfc6455_state": [Conn, P(c_int)],
    "rfc6455_role": [Conn, P(c_int)],
    "rfc6455_protocol": [Conn, _out_ptr, P(c_size_t)],
    "rfc6455_extensions": [Conn, _out_ptr, P(c_size_t)],
    "rfc6455_request_method": [Conn, _out_ptr, P(c_size_t)],
    "rfc6455_request_path": [Conn, _out_ptr, P(c_size_t)],
    "rfc6455_request_header": [Conn, c_char_p, _out_ptr, P(c_size_t)],
    "rfc6455_request_header_at": [Conn, c_size_t, _out_ptr, P(c_size_t), _out_ptr, P(c_size_t)],
    "rfc6455_request_protocol_at": [Conn, c_size_t, _out_ptr, P(c_size_t)],
}

for _name, _args in _SIGNATURES.items():
    _f = getattr(lib, _name)
    _f.argtypes = _args
    _f.restype = c_int

lib.rfc6455_version.argtypes = []
lib.rfc6455_version.restype = c_char_p
lib.rfc6455_abi_version.argtypes = []
lib.rfc6455_abi_version.restype = c_uint32
lib.rfc6455_status_name.argtypes = [c_int]
lib.rfc6455_status_name.restype = c_char_p

# The calls on the hot path (input, events, output), declared without
# `argtypes`: ctypes' per-argument conversion cost about as much as the call
# itself (0.7 against 0.4 us for `rfc6455_poll_event`). Their callers pass
# only ctypes objects (a `c_void_p` handle, `byref`s, `c_size_t` lengths) and
# bytes, so nothing is left to ctypes' default int conversion.
raw = ctypes.CDLL(lib._name)
for _name in ("rfc6455_handle_input", "rfc6455_poll_event", "rfc6455_poll_transmit"):
    getattr(raw, _name).restype = c_int

# Lent buffers as memoryviews, with no copy: slices of one view of an array
# type that spans the address space from 0 (made once: a view per call, or an
# array type per length, would cost more than the call itself). Nothing is
# read through the span itself, only through the slices the library lends.
PyBUF_READ, PyBUF_WRITE = 0x100, 0x200
_SPAN = ctypes.c_uint8 * (sys.maxsize // 2)
_ALL = memoryview(_SPAN.from_address(0)).cast("B")
_ALL_READ = _ALL.toreadonly()


def view(ptr: int, n: int, flags: int) -> memoryview:
    ptr = ptr or 0  # a NULL pointer (None) comes with n == 0
    return (_ALL_READ if flags == PyBUF_READ else _ALL)[ptr : ptr + n]


if lib.rfc6455_abi_version() != ABI_VERSION:
    raise ImportError(
        f"librfc6455 has ABI version {lib.rfc6455_abi_version()}, this package wants {ABI_VERSION}"
    )


def last_error() -> str:
    buf = ctypes.create_string_buffer(1024)
    lib.rfc6455_last_error_message(buf, len(buf), None)
    return buf.value.decode("utf-8", "replace")
