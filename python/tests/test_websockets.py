"""The binding against the `websockets` library, in both roles, over real
TCP on 127.0.0.1: text, binary, fragmented messages, pings, close codes and
a rejected handshake. Each test runs one asyncio loop bounded by
`asyncio.wait_for` (and conftest's alarm)."""

import asyncio
from http import HTTPStatus

import pytest
import websockets
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

from rfc6455 import (
    Binary,
    Close,
    Config,
    Connection,
    Error,
    Fragment,
    Initiator,
    MessageKind,
    Open,
    Ping,
    Pong,
    Rejected,
    Request,
    Rfc6455Error,
    Role,
    State,
    Status,
    Text,
)
from rfc6455.aio import Driver

LIMIT = 15  # seconds for one scenario


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, LIMIT))


# ---- our server, the websockets client ----------------------------------------


async def our_server(on_event, config=None):
    """Starts a server on 127.0.0.1 running `on_event` for every connection;
    returns (server, url, log) where log collects every event."""
    log = []

    async def handle(reader, writer):
        def record(conn, event):
            log.append(event)
            return on_event(conn, event)

        await Driver(Connection.server(config), reader, writer, record).run()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"ws://127.0.0.1:{port}/chat?room=1", log


def echo(conn, event):
    if isinstance(event, Request):
        conn.accept(protocol="chat" if "chat" in event.protocols else None)
    elif isinstance(event, Text):
        conn.send_text(event.data)
    elif isinstance(event, Binary):
        conn.send_binary(event.data)


def ws_client(url, **kw):
    return connect(url, proxy=None, compression=None, ping_interval=None, **kw)


def test_server_echoes_text_and_binary():
    async def scenario():
        server, url, log = await our_server(echo)
        async with server:
            async with ws_client(url, subprotocols=["chat"]) as ws:
                assert ws.subprotocol == "chat"
                await ws.send("héllo €")
                assert await ws.recv() == "héllo €"
                await ws.send(bytes(range(256)) * 300)
                assert await ws.recv() == bytes(range(256)) * 300
                await ws.send(b"")
                assert await ws.recv() == b""
        request = log[0]
        assert isinstance(request, Request)
        assert (request.method, request.path) == ("GET", "/chat?room=1")
        assert request.protocols == ("chat",) and request.is_websocket
        assert request.header("host") == url.split("/")[2].encode()
        assert log[1] == Open(protocol="chat")

    run(scenario())


def test_server_reassembles_fragmented_messages():
    async def scenario():
        server, url, log = await our_server(echo)
        async with server:
            async with ws_client(url) as ws:
                await ws.send(["frag", "mented ", "tëxt"])
                assert await ws.recv() == "fragmented tëxt"
                await ws.send([b"\x00\x01", b"", b"\x02"])
                assert await ws.recv() == b"\x00\x01\x02"
        assert Text("fragmented tëxt") in log

    run(scenario())


def test_server_streams_fragments():
    async def scenario():
        pieces = []

        def on_event(conn, event):
            if isinstance(event, Request):
                conn.accept()
            elif isinstance(event, Fragment):
                pieces.append(event)
                if event.last:
                    conn.send_binary(b"".join(p.data for p in pieces))

        server, url, _ = await our_server(on_event, Config(streaming=True))
        async with server:
            async with ws_client(url) as ws:
                await ws.send([b"ab", b"cd", b"e"])
                assert await ws.recv() == b"abcde"
        # Pieces come as the bytes arrive: how many depends on the reads.
        assert all(p.kind == MessageKind.BINARY for p in pieces)
        assert pieces[0].first and pieces[-1].last
        assert not any(p.last for p in pieces[:-1]) and not any(p.first for p in pieces[1:])

    run(scenario())


def test_server_answers_pings_and_sends_its_own():
    async def scenario():
        def on_event(conn, event):
            echo(conn, event)
            if isinstance(event, Text) and event.data == "ping me":
                conn.ping(b"from server")

        server, url, log = await our_server(on_event)
        async with server:
            async with ws_client(url) as ws:
                latency = await asyncio.wait_for(await ws.ping(b"payload"), 5)
                assert latency >= 0
                await ws.send("ping me")
                assert await ws.recv() == "ping me"
                # websockets answers our ping; wait until the pong arrived.
                for _ in range(50):
                    if Pong(b"from server") in log:
                        break
                    await asyncio.sleep(0.05)
        assert Ping(b"payload") in log
        assert Pong(b"from server") in log

    run(scenario())


@pytest.mark.parametrize("code,reason", [(1000, ""), (1001, "going"), (4001, "custom ✓")])
def test_server_sees_the_clients_close_code(code, reason):
    async def scenario():
        server, url, log = await our_server(echo)
        async with server:
            async with ws_client(url) as ws:
                await ws.close(code, reason)
            assert ws.close_code == code
        for _ in range(50):
            if log and isinstance(log[-1], Close):
                break
            await asyncio.sleep(0.05)
        assert log[-1] == Close(code, reason, Initiator.REMOTE, True)

    run(scenario())


def test_server_closes_with_its_code():
    async def scenario():
        def on_event(conn, event):
            echo(conn, event)
            if isinstance(event, Text) and event.data == "bye":
                conn.close(4002, "server says bye")
                with pytest.raises(Rfc6455Error) as e:
                    conn.send_text("too late")
                assert e.value.status == Status.CLOSED

        server, url, log = await our_server(on_event)
        async with server:
            async with ws_client(url) as ws:
                await ws.send("bye")
                assert await ws.recv() == "bye"
                with pytest.raises(websockets.ConnectionClosed):
                    await ws.recv()
            assert (ws.close_code, ws.close_reason) == (4002, "server says bye")
        assert log[-1] == Close(4002, "server says bye", Initiator.LOCAL, True)

    run(scenario())


def test_server_rejects_a_handshake():
    async def scenario():
        def on_event(conn, event):
            if isinstance(event, Request):
                if event.header("authorization") != b"Bearer ok":
                    conn.reject(401, [("WWW-Authenticate", "Bearer")], b"who are you?\n")
                else:
                    conn.accept()

        server, url, log = await our_server(on_event)
        async with server:
            with pytest.raises(websockets.InvalidStatus) as e:
                async with ws_client(url):
                    pass
            response = e.value.response
            assert response.status_code == 401
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert response.body == b"who are you?\n"
            async with ws_client(url, additional_headers={"Authorization": "Bearer ok"}) as ws:
                await ws.ping()
        assert isinstance(log[-1], Close) and log[-1].code == 1000

    run(scenario())


# ---- our client, the websockets server ----------------------------------------


async def ws_server(handler, **kw):
    server = await serve(handler, "127.0.0.1", 0, compression=None, ping_interval=None, **kw)
    port = server.sockets[0].getsockname()[1]
    return server, f"ws://127.0.0.1:{port}/path"


async def ws_echo(ws):
    async for message in ws:
        await ws.send(message)


async def our_client(url, on_event, protocols=(), config=None):
    """Runs our client against `url`; returns every event it saw."""
    log = []
    host, port = url.split("/")[2].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    conn = Connection.client(url, protocols=protocols, config=config)
    assert conn.role() == Role.CLIENT and conn.state() == State.CONNECTING

    def record(conn, event):
        log.append(event)
        on_event(conn, event)

    await Driver(conn, reader, writer, record).run()
    assert conn.should_close_transport()
    return log


def test_client_text_binary_and_fragments():
    async def scenario():
        server, url = await ws_server(ws_echo, subprotocols=["superchat"])
        replies = []

        def on_event(conn, event):
            if isinstance(event, Open):
                assert conn.protocol() == "superchat"
                conn.send_text("hello ✓")
                conn.send_binary(b"\x00" * 70000)
                conn.send_fragment(MessageKind.TEXT, "€"[:1], False)  # a whole char: str
                conn.send_fragment(MessageKind.TEXT, "€ split".encode()[:2], False)
                conn.send_fragment(MessageKind.TEXT, "€ split".encode()[2:], True)
            elif isinstance(event, (Text, Binary)):
                replies.append(event)
                if len(replies) == 3:
                    conn.close(1000, "done")

        async with server:
            log = await our_client(url, on_event, protocols=["chat", "superchat"])
        assert log[0] == Open(protocol="superchat")
        assert replies == [Text("hello ✓"), Binary(b"\x00" * 70000), Text("€€ split")]
        assert log[-1] == Close(1000, "done", Initiator.LOCAL, True)

    run(scenario())


def test_client_receives_fragmented_messages():
    async def scenario():
        async def handler(ws):
            await ws.send(["one ", "two ", "three"])
            await ws.send([b"\x01", b"\x02\x03"])
            await ws.wait_closed()

        server, url = await ws_server(handler)
        got = []

        def on_event(conn, event):
            if isinstance(event, (Text, Binary)):
                got.append(event)
                if len(got) == 2:
                    conn.close()

        async with server:
            await our_client(url, on_event)
        assert got == [Text("one two three"), Binary(b"\x01\x02\x03")]

    run(scenario())


def test_client_pings_and_answers_pings():
    async def scenario():
        async def handler(ws):
            pong = await ws.ping(b"srv")
            await asyncio.wait_for(pong, 5)
            await ws.send("pinged")
            await ws.wait_closed()

        server, url = await ws_server(handler)

        def on_event(conn, event):
            if isinstance(event, Open):
                conn.ping(b"cli")
            elif isinstance(event, Text):
                conn.close()

        async with server:
            log = await our_client(url, on_event)
        assert Ping(b"srv") in log and Pong(b"cli") in log
        assert Text("pinged") in log

    run(scenario())


@pytest.mark.parametrize("code", [1000, 1008, 3000, 4999])
def test_client_sees_the_servers_close_code(code):
    async def scenario():
        async def handler(ws):
            await ws.close(code, f"code {code}")

        server, url = await ws_server(handler)
        async with server:
            log = await our_client(url, lambda conn, event: None)
        assert log[-1] == Close(code, f"code {code}", Initiator.REMOTE, True)

    run(scenario())


def test_client_close_code_reaches_the_server():
    async def scenario():
        seen = asyncio.get_running_loop().create_future()

        async def handler(ws):
            try:
                await ws.recv()
            except websockets.ConnectionClosed:
                pass
            seen.set_result((ws.close_code, ws.close_reason))

        server, url = await ws_server(handler)

        def on_event(conn, event):
            if isinstance(event, Open):
                with pytest.raises(Rfc6455Error) as e:
                    conn.close(1005)  # may not be sent
                assert e.value.status == Status.INVALID_CLOSE_CODE
                conn.close(4321, "bye ✓")

        async with server:
            await our_client(url, on_event)
            assert await asyncio.wait_for(seen, 5) == (4321, "bye ✓")

    run(scenario())


def test_client_handshake_rejected():
    async def scenario():
        def process_request(connection, request):
            return connection.respond(HTTPStatus.FORBIDDEN, "not you\n")

        server, url = await ws_server(ws_echo, process_request=process_request)
        async with server:
            log = await our_client(url, lambda conn, event: None)
        rejected = log[0]
        assert isinstance(rejected, Rejected) and rejected.status == 403
        assert rejected.body == b"not you\n"
        assert log[-1].code == 1006 and not log[-1].clean

    run(scenario())


def test_client_refuses_an_unoffered_protocol():
    async def scenario():
        server, url = await ws_server(ws_echo, select_subprotocol=lambda ws, offered: "other")
        async with server:
            log = await our_client(url, lambda conn, event: None, protocols=["chat"])
        # websockets refuses to choose a protocol we did not offer (500), or
        # we fail the handshake ourselves: either way, no Open.
        assert not any(isinstance(e, Open) for e in log)
        assert isinstance(log[0], (Rejected, Error))

    run(scenario())


# ---- the binding itself, no network -------------------------------------------


def test_errors_are_exceptions_with_statuses():
    conn = Connection.open(Role.SERVER)
    with pytest.raises(Rfc6455Error) as e:
        conn.close(999)
    assert e.value.status == Status.INVALID_CLOSE_CODE
    with pytest.raises(Rfc6455Error) as e:
        conn.ping(b"x" * 126)
    assert e.value.status == Status.CONTROL_TOO_LONG
    with pytest.raises(Rfc6455Error) as e:
        conn.send_fragment(MessageKind.TEXT, b"\xff", True)
    assert e.value.status == Status.INVALID_UTF8
    with pytest.raises(Rfc6455Error) as e:
        Connection.client("http://example.com/")
    assert e.value.status == Status.INVALID_URL
    with pytest.raises(Rfc6455Error) as e:
        Connection.server(Config(max_frame_size=1 << 30))
    assert e.value.status == Status.INVALID_CONFIG
    conn.free()
    with pytest.raises(Rfc6455Error):
        conn.state()


def test_timers_through_the_binding():
    conn = Connection.server(Config(handshake_timeout=1.0))
    conn.handle_timeout(10**9)
    assert conn.poll_timeout() == 2 * 10**9
    conn.handle_timeout(3 * 10**9)
    events = list(conn.events())
    assert isinstance(events[0], Error) and events[0].http_status == 408
    assert isinstance(events[1], Close)
    assert conn.data_to_send().startswith(b"HTTP/1.1 408")
    assert conn.should_close_transport() and conn.poll_timeout() is None


def test_lent_input_buffer():
    conn = Connection.open(Role.SERVER)
    frame = bytes([0x81, 0x82, 1, 2, 3, 4, ord("h") ^ 1, ord("i") ^ 2])
    buf = conn.input_buffer(1024)
    assert len(buf) == 1024
    buf[: len(frame)] = frame  # what sock.recv_into(buf) would do
    conn.commit_input(len(frame))
    assert list(conn.events()) == [Text("hi")]
    with pytest.raises(Rfc6455Error) as e:
        conn.commit_input(0)  # nothing is lent any more
    assert e.value.status == Status.NOT_LENT


# ---- permessage-deflate (RFC 7692) with websockets, both roles ----------------


def test_server_compression_with_websockets():
    async def scenario():
        text = "compressible " * 8000

        def on_event(conn, event):
            if isinstance(event, Request) and event.path.endswith("plain"):
                conn.accept(compression=False)
            else:
                echo(conn, event)

        server, url, log = await our_server(on_event)
        async with server:
            async with connect(url, proxy=None, ping_interval=None) as ws:
                assert [type(e).__name__ for e in ws.protocol.extensions] == [
                    "PerMessageDeflate"
                ]
                await ws.send(text)
                assert await ws.recv() == text
                await ws.send(bytes(100_000))
                assert await ws.recv() == bytes(100_000)
            async with connect(url + "plain", proxy=None, ping_interval=None) as ws:
                assert ws.protocol.extensions == []
                await ws.send(text)
                assert await ws.recv() == text
        opens = [e for e in log if isinstance(e, Open)]
        assert opens[0].extensions.startswith("permessage-deflate")
        assert opens[1].extensions is None

    run(scenario())


def test_client_compression_with_websockets():
    async def scenario():
        server = await serve(ws_echo, "127.0.0.1", 0, ping_interval=None)
        port = server.sockets[0].getsockname()[1]
        url = f"ws://127.0.0.1:{port}/path"
        text = "compressible " * 8000
        sent = []

        def on_event(conn, event):
            if isinstance(event, Open):
                assert conn.extensions() == event.extensions
                before = conn.buffered_amount()
                conn.send_text(text)
                sent.append(conn.buffered_amount() - before)
                conn.send_uncompressed(MessageKind.BINARY, b"as it is" * 300)
                sent.append(conn.buffered_amount() - before - sent[0])
            elif isinstance(event, Binary):
                conn.close(1000)

        async with server:
            log = await our_client(url, on_event)
            off = await our_client(url, lambda c, e: c.close() if isinstance(e, Open) else None,
                                   config=Config(deflate=False))
        open_ = next(e for e in log if isinstance(e, Open))
        assert open_.extensions.startswith("permessage-deflate")
        assert [e for e in log if isinstance(e, (Text, Binary))] == [
            Text(text), Binary(b"as it is" * 300)
        ]
        # The text went out compressed, the binary as it is (a masked frame).
        assert 0 < sent[0] < len(text) // 20
        assert sent[1] == 2400 + 8
        assert next(e for e in off if isinstance(e, Open)).extensions is None

    run(scenario())


def test_compression_config_is_checked():
    with pytest.raises(Rfc6455Error) as e:
        Connection.server(Config(deflate_client_max_window_bits=16))
    assert e.value.status == Status.INVALID_CONFIG


def test_lent_events_and_buffers_are_released():
    conn = Connection.open(Role.SERVER)
    payload = bytes(range(256)) * 4
    frame = bytes([0x82, 0xFE, 4, 0, 0, 0, 0, 0]) + payload  # masked, key 0
    conn.handle_input(frame * 2)
    first = conn.poll_event_lent()
    assert isinstance(first, Binary) and isinstance(first.data, memoryview)
    assert first.data.readonly and first.data == payload
    second = conn.poll_event_lent()
    assert second.data == payload
    with pytest.raises(ValueError):
        bytes(first.data)  # released by the next call
    kept = bytes(second.data)
    assert conn.poll_event_lent() is None
    with pytest.raises(ValueError):
        second.data[0]
    assert kept == payload
    buf = conn.input_buffer(64)
    conn.commit_input(0)
    with pytest.raises(ValueError):
        buf[0] = 1
