#!/usr/bin/env python3
"""Writes the committed seed corpus, fuzz/seeds/<target>/<name>.

Byte-stream targets (decode_*, handshake_*, utf8) share one layout (see
fuzz/src/lib.rs, split_input): flags, limit scale, cut count, cuts, payload.
The structured targets (connection, pair_ledger) take any bytes; their seeds
are fixed pseudo-random byte strings. Run from anywhere; it is idempotent.
"""
import os
import random
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
STREAMING, NO_PONG, SMALL, EOF, PLAIN, LEND, LEND_EARLY = 1, 2, 4, 8, 16, 32, 64


def layout(payload, flags=0, limit=0, cuts=()):
    head = bytes([flags, limit, len(cuts)])
    for c in cuts:
        head += struct.pack("<H", c)
    return head + payload


def frame(fin, op, payload, mask=None, rsv=0):
    out = bytes([(0x80 if fin else 0) | (rsv << 4) | op])
    m = 0x80 if mask else 0
    n = len(payload)
    if n <= 125:
        out += bytes([m | n])
    elif n <= 0xFFFF:
        out += bytes([m | 126]) + struct.pack(">H", n)
    else:
        out += bytes([m | 127]) + struct.pack(">Q", n)
    if mask:
        out += bytes(mask)
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return out + payload


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def close(code, reason=b""):
    return struct.pack(">H", code) + reason


def decode_seeds(target, mask):
    f = lambda fin, op, p, rsv=0: frame(fin, op, p, mask, rsv)
    s = {
        "hello": f(True, 1, b"Hello"),
        "fragmented_with_ping": f(False, 1, "κό".encode()) + f(True, 9, b"ping!")
        + f(False, 0, "σμε".encode()[:3]) + f(True, 0, "σμε".encode()[3:]),
        "close_bye": f(True, 1, b"x") + f(True, 8, close(1000, b"bye")),
        "close_empty": f(True, 8, b""),
        "binary_256": f(True, 2, bytes(range(256))),
        # A 64-bit length whose payload is cut short: the header path, small.
        "binary_64k_partial": f(True, 2, b"\xab" * 65536)[:300],
        "bad_utf8": f(True, 1, b"ab\xffcd"),
        "bad_utf8_later_fragment": f(False, 1, "κό".encode()) + f(True, 0, b"\xce"),
        "rsv": f(True, 1, b"x", rsv=4),
        "reserved_opcode": f(True, 3, b""),
        "bad_close_code": f(True, 8, close(1005)),
        "one_byte_close": f(True, 8, b"\x03"),
        "unexpected_continuation": f(True, 0, b"x"),
        "control_too_long": f(True, 9, bytes(126)),
        "pings": b"".join(f(True, 9, struct.pack(">I", i)) for i in range(20)),
        "pong": f(True, 10, b"unsolicited"),
        "huge_length": bytes([0x82, (0x80 if mask else 0) | 127]) + struct.pack(">Q", 1 << 40)
        + (bytes(mask) if mask else b""),
        "top_bit_length": bytes([0x82, (0x80 if mask else 0) | 127]) + b"\x80" + bytes(7),
        "non_minimal": bytes([0x82, (0x80 if mask else 0) | 126, 0, 5]),
        "wrong_mask": frame(True, 1, b"hi", None if mask else [1, 2, 3, 4]),
        "empty_continuations": f(False, 2, b"") + b"".join(f(False, 0, b"") for _ in range(40))
        + f(True, 0, b"end"),
    }
    for name, payload in s.items():
        write(target, name, layout(payload))
        write(target, name + "_split", layout(payload, cuts=(1, 3, 7, 100)))
    write(target, "streaming_fragments", layout(s["fragmented_with_ping"], STREAMING, cuts=(4, 9, 20)))
    write(target, "streaming_bad_utf8", layout(s["bad_utf8"], STREAMING, cuts=(8,)))
    write(target, "small_limits_big", layout(s["binary_256"], SMALL, 10, (5,)))
    write(target, "small_limits_fragments", layout(s["empty_continuations"], SMALL, 3))
    write(target, "no_pong_eof", layout(s["pings"], NO_PONG | EOF))
    write(target, "eof_mid_frame", layout(s["binary_256"][:40], EOF))
    write(target, "lent_fragments", layout(s["fragmented_with_ping"], LEND, cuts=(3, 11)))
    write(target, "lent_early_eof", layout(s["close_bye"], LEND_EARLY | EOF, cuts=(5,)))


REQUEST = (b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
           b"Sec-WebSocket-Version: 13\r\n\r\n")


def handshake_server_seeds():
    t = "handshake_server"
    r = REQUEST
    variants = {
        "rfc_request": r,
        "minimal": b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        "bare_lf": r.replace(b"\r\n", b"\n"),
        "post": r.replace(b"GET ", b"POST "),
        "http_1_0": r.replace(b"HTTP/1.1", b"HTTP/1.0"),
        "no_host": r.replace(b"Host: server.example.com\r\n", b""),
        "two_hosts": r.replace(b"Host: server.example.com\r\n", b"Host: a\r\nHost: b\r\n"),
        "version_8": r.replace(b"Version: 13", b"Version: 8"),
        "versions_13_8": r.replace(b"Version: 13", b"Version: 13, 8"),
        "bad_key": r.replace(b"dGhlIHNhbXBsZSBub25jZQ==", b"dGhlIHNhbXBsZSBub25jZR=="),
        "two_keys": r.replace(b"Origin:", b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin:"),
        "no_upgrade": r.replace(b"Upgrade: websocket\r\n", b""),
        "connection_list": r.replace(b"Connection: Upgrade", b"Connection: keep-alive, UPGRADE"),
        "extensions": r.replace(b"Origin:", b"Sec-WebSocket-Extensions: permessage-deflate; "
                                b"client_max_window_bits, x; y=\"a,b\"\r\nOrigin:"),
        "plain_get": b"GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n",
    }
    for name, head in variants.items():
        write(t, name, layout(head))
    write(t, "rfc_request_split", layout(r, cuts=(3, 40, 150, 200)))
    write(t, "plain_allowed", layout(variants["plain_get"], PLAIN))
    write(t, "small_limits", layout(r, SMALL, 30))
    write(t, "eof_mid_head", layout(r[:60], EOF))
    write(t, "trailing_frames", layout(r + frame(True, 1, b"early", [1, 2, 3, 4])))
    write(t, "lent_reads", layout(r, LEND, cuts=(10, 100)))
    write(t, "lent_early", layout(r, LEND_EARLY, cuts=(50,)))
    # Regressions: a request behind an empty line (bare LF, then CRLF). The
    # library skips it (RFC 9112 §2.2); the oracle once expected the head to
    # include it (issue 10).
    write(t, "regress_leading_lf", layout(b"\n" + r))
    write(t, "regress_leading_crlf", layout(b"\r\n" + r, cuts=(1, 2)))
    write(t, "regress_bare_cr_before_request", layout(b"\n\r" + r))
    write(t, "regress_leading_lf_plain", layout(b"\n" + variants["plain_get"], PLAIN))


def handshake_client_seeds():
    t = "handshake_client"
    ok = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Accept: @@\r\n")
    variants = {
        "ok": ok + b"\r\n",
        "ok_chat": ok + b"Sec-WebSocket-Protocol: chat\r\n\r\n",
        "ok_bare_lf": (ok + b"\r\n").replace(b"\r\n", b"\n"),
        "unoffered_protocol": ok + b"Sec-WebSocket-Protocol: mqtt\r\n\r\n",
        "two_protocols": ok + b"Sec-WebSocket-Protocol: chat, superchat\r\n\r\n",
        "extension": ok + b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
        "wrong_accept": ok.replace(b"@@", b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") + b"\r\n",
        "two_accepts": ok + b"Sec-WebSocket-Accept: @@\r\n\r\n",
        "no_upgrade": ok.replace(b"Upgrade: websocket\r\n", b"") + b"\r\n",
        "forbidden": b"HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nnope",
        "redirect_no_length": b"HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\nmoved",
        # Refused: HTTP/1.0 has no Upgrade (HandshakeError::HttpVersion).
        "http_1_0_101": ok.replace(b"HTTP/1.1", b"HTTP/1.0") + b"\r\n",
        "garbage": b"\x00\xff HTTP nonsense\r\n\r\n",
    }
    for name, head in variants.items():
        write(t, name, layout(head))
    write(t, "ok_split", layout(variants["ok"], cuts=(1, 12, 60, 130)))
    write(t, "redirect_eof", layout(variants["redirect_no_length"], EOF))
    write(t, "small_limits", layout(variants["ok_chat"], SMALL, 20))
    write(t, "lent_reads", layout(variants["ok"], LEND, cuts=(20,)))
    # Regression: a bare CR before the status line is not an empty line
    # (found by scripts/fuzz.sh; the library once skipped it and opened).
    write(t, "regress_bare_cr_before_status", layout(b"\n\r" + variants["ok"]))
    # Regressions: a response behind an empty line (issue 10).
    write(t, "regress_leading_lf_403", layout(b"\n" + variants["forbidden"]))
    write(t, "regress_leading_crlf_ok", layout(b"\r\n" + variants["ok"]))
    write(t, "redirect_lent_eof", layout(variants["redirect_no_length"], LEND_EARLY | EOF, cuts=(7,)))


def utf8_seeds():
    t = "utf8"
    samples = {
        "greek": "κόσμε".encode(),
        "mixed": "𝄞😀 ascii ü €".encode(),
        "surrogate": b"\xed\xa0\x80",
        "overlong": b"\xc0\xaf\xe0\x80\xaf",
        "too_big": b"\xf4\x90\x80\x80",
        "truncated": b"\xf0\x9f\x98",
        "lone_continuation": b"a\x80b",
        "long_ascii": b"x" * 100 + "é".encode() + b"y" * 100,
    }
    for name, s in samples.items():
        write(t, name, layout(s, limit=len(name), cuts=(1, 2, 5)))


def structured_seeds():
    rnd = random.Random(6455)
    for t in ("connection", "pair_ledger"):
        for i, n in enumerate((16, 64, 128, 256, 512, 1024, 2048)):
            write(t, f"random_{i}", bytes(rnd.randrange(256) for _ in range(n)))
    # The C ABI's calls (capi): a generator of their own, so the seeds
    # above stay as they were.
    capi = random.Random(6455)
    for i, n in enumerate((16, 64, 128, 256, 512, 1024, 2048)):
        write("capi", f"random_{i}", bytes(capi.randrange(256) for _ in range(n)))


def frame_header_seeds():
    t = "frame_header"
    hs = {
        "rfc_hello": bytes([0x81, 0x05]),
        "rfc_masked": bytes([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D]),
        "len16": bytes([0x82, 0x7E, 0x01, 0x00]),
        "len64": bytes([0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]),
        "len64_masked": bytes([0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4]),
        "non_minimal16": bytes([0x82, 0x7E, 0x00, 0x7D]),
        "non_minimal64": bytes([0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]),
        "top_bit": bytes([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0]),
        "rsv_close": bytes([0xF8, 0x80, 9, 9, 9, 9]),
        "partial": bytes([0x82, 0xFF, 0, 0]),
    }
    for name, h in hs.items():
        write(t, name, h + b"\x00\x11\x22\x33\x44\x55\x66\x77")


def raw_deflate(data, level=6, wbits=15):
    """permessage-deflate payload: raw DEFLATE, sync flush, tail removed."""
    import zlib
    c = zlib.compressobj(level, zlib.DEFLATED, -wbits)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def inflate_seeds():
    # flags: bits 0-2 window - 8, 3-5 output step, 6-7 level; byte 1 limit.
    t = "inflate"
    w15, w9 = 7, 1
    text = b"Hello, hello! The same words, the same words, again and again. " * 8
    s = {
        "rfc_hello": (bytes.fromhex("f248cdc9c90700"), w15, 1, (3,)),
        "rfc_stored": (bytes.fromhex("000500faff48656c6c6f00"), w15 | 8, 0, (5,)),
        "rfc_bfinal": (bytes.fromhex("f348cdc9c9070000"), w15, 1, ()),
        "rfc_two_blocks": (bytes.fromhex("f248050000 00ffffcac9c90700".replace(" ", "")), w15, 1, (4, 8)),
        "empty": (b"\x00", w15, 0, ()),
        "corrupt_btype": (b"\xff\xff\xff", w15, 0, ()),
        "after_final": (bytes.fromhex("f348cdc9c90700f248cdc9c90700"), w15, 1, (7,)),
        "text_w15": (raw_deflate(text), w15 | (2 << 3) | (2 << 6), 255, (10, 40)),
        "text_w9": (raw_deflate(text, 9, 9), w9 | (1 << 3) | (1 << 6), 255, (1, 2, 3)),
        "bomb_1mib": (raw_deflate(bytes(1 << 20), 9), w15 | (5 << 3), 16, (100, 500)),
        "far_distance_w9": (raw_deflate(text * 20, 6, 15), w9, 255, ()),
    }
    for name, (payload, flags, limit, cuts) in s.items():
        write(t, name, layout(payload, flags, limit, cuts))
    # finish_message ended the message with output still pending behind the
    # trailer (a block cut short; the trailer decodes as more symbols).
    write(t, "regress_pending_after_trailer", bytes.fromhex("07072c002affff40ffff002affff40ffff"))


def extension_header_seeds():
    # byte 0: server window - 8 | client window - 8 << 3 | snct 64 | cnct 128.
    t = "extension_header"
    s = {
        "browser": ("permessage-deflate; client_max_window_bits",),
        "autobahn_13_7": ("permessage-deflate; client_no_context_takeover; client_max_window_bits; "
                          "server_no_context_takeover; server_max_window_bits=9, permessage-deflate; "
                          "client_no_context_takeover; client_max_window_bits; server_no_context_takeover, "
                          "permessage-deflate; client_no_context_takeover; client_max_window_bits",),
        "quoted": ('permessage-deflate; client_max_window_bits="10"; server_max_window_bits="8"',),
        "two_lines": ("x-foo, permessage-deflate; server_max_window_bits=16",
                      "permessage-deflate; server_max_window_bits=12"),
        "malformed": ('permessage-deflate; a="open',),
        "answer": ("permessage-deflate; server_no_context_takeover; client_max_window_bits=10",),
        "duplicate": ("permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",),
    }
    for i, (name, lines) in enumerate(s.items()):
        data = b"".join(l.encode() for l in lines)
        cuts, at = [], 0
        for l in lines[:-1]:
            at += len(l)
            cuts.append(at)
        write(t, name, layout(data, flags=(i * 37) & 0xFF, limit=6, cuts=cuts))


if __name__ == "__main__":
    inflate_seeds()
    extension_header_seeds()
    decode_seeds("decode_server", [0x37, 0xFA, 0x21, 0x3D])
    decode_seeds("decode_client", None)
    handshake_server_seeds()
    handshake_client_seeds()
    utf8_seeds()
    structured_seeds()
    frame_header_seeds()
