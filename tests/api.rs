//! The API as users meet it (issue 16): one named test per defect that was
//! reproduced from user programs, and one per friction removed.

mod common;

use common::*;
use rfc6455::{
    Accept, ClientRequest, CloseCode, Config, Connection, Event, HandshakeError, MAX_LEND,
    PeerError, Role, State, UsageError,
};

/// A client that sent its request, and the right accept key for it.
fn client() -> (Connection, String) {
    started_client(ClientRequest::new("h", "/"))
}

fn ok_101(accept: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    )
}

// ---- defects ----

/// §5.5.2: a Ping MUST be answered "unless it already received a Close
/// frame". After our own `close(1000)` the peer's ping gets its pong, and
/// `pong()` is allowed; data frames stay refused (§5.5.1).
#[test]
fn defect_pong_is_sent_while_closing_after_our_close() {
    let mut s = open_server(Config::default());
    s.close(CloseCode::NORMAL, "bye").unwrap();
    let close = take_output(&mut s);
    assert_eq!(close, sframe(true, 8, &close_payload(1000, "bye")));
    s.handle_input(&cframe(true, 9, b"are you there"));
    assert_eq!(drain(&mut s), ["ping \"are you there\""]);
    assert_eq!(s.state(), State::Closing);
    assert_eq!(take_output(&mut s), sframe(true, 10, b"are you there"));
    assert_eq!(s.pong(b"unsolicited"), Ok(()));
    assert_eq!(take_output(&mut s), sframe(true, 10, b"unsolicited"));
    assert_eq!(s.send_binary(b"x"), Err(UsageError::InvalidState));
    // The peer's close completes the handshake; nothing is sent after it.
    s.handle_input(&cframe(true, 8, &close_payload(1000, "")));
    assert_eq!(drain(&mut s), ["close 1000 \"\" Local clean=true"]);
    assert_eq!(s.pong(b"late"), Err(UsageError::InvalidState));
    assert!(take_output(&mut s).is_empty());
}

/// A text message and the peer's Close in one read. Frames are read as
/// events are taken, one event ahead: the state is OPEN while the message
/// is handled (replies may still be sent), and CLOSED once the close frame
/// is read, with our reply queued behind the echo. A close that arrives
/// alone is read at once, so the state is CLOSED when `handle_input`
/// returns.
#[test]
fn state_follows_the_events_taken() {
    let mut s = open_server(Config::default());
    s.handle_input(
        &[
            cframe(true, 1, b"last words"),
            cframe(true, 8, &close_payload(1001, "going")),
        ]
        .concat(),
    );
    assert_eq!(s.state(), State::Open, "the close frame is not read yet");
    assert!(!s.is_closed());
    assert!(!s.should_close_transport());
    let Some(Event::Text(t)) = s.poll_event() else {
        panic!()
    };
    assert_eq!(s.state(), State::Open);
    s.send_text(t.as_str()).unwrap();
    assert!(matches!(s.poll_event(), Some(Event::Close(c)) if c.clean));
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.send_text("late"), Err(UsageError::InvalidState));
    assert_eq!(
        take_output(&mut s),
        [
            sframe(true, 1, b"last words"),
            sframe(true, 8, &close_payload(1001, "going"))
        ]
        .concat()
    );
    assert!(s.should_close_transport());

    let mut s = open_server(Config::default());
    s.handle_input(&cframe(true, 8, &close_payload(1000, "")));
    assert_eq!(s.state(), State::Closed, "the reply is queued at once");
}

/// `input_buffer(usize::MAX)` panicked (capacity overflow), or in release
/// builds overflowed and truncated the buffered input. It lends at most
/// `MAX_LEND` bytes, and input buffered before it is kept.
#[test]
fn defect_input_buffer_of_usize_max_does_not_panic() {
    let mut s = open_server(Config::default());
    let frame = cframe(true, 2, &[7; 100]);
    s.handle_input(&frame[..50]);
    let buf = s.input_buffer(usize::MAX);
    assert_eq!(buf.len(), MAX_LEND);
    buf[..frame.len() - 50].copy_from_slice(&frame[50..]);
    s.commit_input(frame.len() - 50);
    assert_eq!(drain(&mut s), [describe_message(false, &[7; 100])]);
    // A lent buffer never committed hands nothing in.
    let _ = s.input_buffer(usize::MAX - 1);
    s.handle_input(&cframe(true, 1, b"next"));
    assert_eq!(drain(&mut s), [describe_message(true, b"next")]);
}

/// `HTTP/1.1 100 Continue` before a valid 101 left the client CONNECTING
/// (and `Rejected(100)` after EOF). RFC 9110 §15.2: 1xx responses other
/// than 101 are skipped, however the bytes are split.
#[test]
fn defect_interim_responses_before_the_101_are_skipped() {
    let (_, accept) = client();
    let input = format!(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n{}",
        ok_101(&accept)
    );
    let input = [input.as_bytes(), &sframe(true, 1, b"hello")].concat();
    for cut in 0..input.len() {
        let (mut c, _) = client();
        c.handle_input(&input[..cut]);
        c.handle_input(&input[cut..]);
        assert_eq!(c.state(), State::Open, "cut at {cut}");
        assert_eq!(drain(&mut c), ["open None", "text \"hello\""]);
    }
    // A server that sends nothing but interim responses is refused.
    let (mut c, _) = client();
    c.handle_input("HTTP/1.1 100 Continue\r\n\r\n".repeat(9).as_bytes());
    assert!(matches!(
        c.poll_event(),
        Some(Event::Error(PeerError::Handshake(
            HandshakeError::UnexpectedResponse
        )))
    ));
}

/// The documented order: take events, then write output. A held-back
/// close frame (and any reply) reaches the output queue while events are
/// taken, so a loop that writes output first and then blocks on a read
/// leaves it unsent. This shows both orders.
#[test]
fn defect_close_frame_waits_for_events_then_output() {
    let input = [
        cframe(true, 1, b"m"),
        cframe(true, 8, &close_payload(1000, "")),
    ]
    .concat();
    // Wrong order: output first. The close frame is not there yet.
    let mut s = open_server(Config::default());
    s.handle_input(&input);
    assert!(s.poll_transmit().is_none());
    assert!(!s.should_close_transport());
    // Then the events: now the close frame is queued.
    assert_eq!(drain(&mut s).len(), 2);
    assert_eq!(
        take_output(&mut s),
        sframe(true, 8, &close_payload(1000, ""))
    );
    assert!(s.should_close_transport());
}

// ---- frictions ----

/// `abort` in CONNECTING, client side: the final Close is 1006, initiated
/// locally, and the request not yet written is dropped.
#[test]
fn abort_a_client_while_connecting() {
    let mut c = Connection::client(
        ClientRequest::new("h", "/"),
        Config::default(),
        Rng::entropy(1),
    )
    .unwrap();
    assert_eq!(
        c.close(CloseCode::NORMAL, ""),
        Err(UsageError::InvalidState)
    );
    c.abort();
    assert_eq!(c.state(), State::Closed);
    assert!(c.should_close_transport());
    assert!(c.poll_transmit().is_none());
    assert_eq!(drain(&mut c), ["close 1006 \"\" Local clean=false"]);
    c.abort();
    assert!(c.poll_event().is_none(), "exactly one Close event");
}

/// `abort` on a server that holds a request the application has not
/// answered yet.
#[test]
fn abort_a_server_while_deciding() {
    let mut s = server();
    s.handle_input(REQUEST.as_bytes());
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    s.abort();
    assert_eq!(s.accept(Accept::new()), Err(UsageError::InvalidState));
    assert_eq!(drain(&mut s), ["close 1006 \"\" Local clean=false"]);
    assert!(s.should_close_transport() && s.poll_transmit().is_none());
}

/// `abort` on an OPEN connection, and after our close (the initiator stays
/// ours), and after the Close event (nothing new, but the transport may
/// close at once: a client that stops waiting for the server's TCP close).
#[test]
fn abort_in_every_later_state() {
    let mut s = open_server(Config::default());
    s.send_text("never sent").unwrap();
    s.abort();
    assert!(s.poll_transmit().is_none());
    assert_eq!(drain(&mut s), ["close 1006 \"\" Local clean=false"]);

    let mut c = open_client(Config::default());
    c.close(CloseCode::NORMAL, "").unwrap();
    let _ = take_output(&mut c);
    c.abort();
    assert_eq!(drain(&mut c), ["close 1006 \"\" Local clean=false"]);

    let mut c = open_client(Config::default());
    c.handle_input(&sframe(true, 8, &close_payload(1000, "")));
    assert_eq!(drain(&mut c), ["close 1000 \"\" Remote clean=true"]);
    let _ = take_output(&mut c);
    assert!(
        !c.should_close_transport(),
        "a client waits for the server's TCP close"
    );
    c.handle_timeout(rfc6455::Instant::from_secs(1));
    assert!(c.poll_timeout().is_some(), "the close timer waits for TCP");
    c.abort();
    assert!(c.should_close_transport());
    assert!(c.poll_event().is_none());
    assert_eq!(c.poll_timeout(), None, "abort stops every timer");
}

/// An upgrade done elsewhere: a server needs no entropy, and the protocol
/// agreed on there is recorded.
#[test]
fn open_server_needs_no_entropy_and_records_the_protocol() {
    let mut s = Connection::open_server(Config::default()).with_protocol("chat");
    assert_eq!(
        (s.role(), s.state(), s.protocol()),
        (Role::Server, State::Open, Some("chat"))
    );
    s.send_text("hi").unwrap();
    assert_eq!(take_output(&mut s), sframe(true, 1, b"hi"));
    let c = Connection::open_client(Config::default(), Rng::entropy(3));
    assert_eq!((c.role(), c.protocol()), (Role::Client, None));
}

/// The `Accept` builder keeps what each call set: a subprotocol and a
/// header chosen before `no_compression()` are still in the 101, which
/// names no extension although the client offered permessage-deflate and
/// the configuration allows it ("the server declines ... by not including
/// it in the response", RFC 7692 §5; RFC 6455 §4.2.2 /subprotocol/).
#[test]
fn accept_builder_calls_combine() {
    let offer = REQUEST.replace(
        "\r\n\r\n",
        "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
    );
    let mut s = server();
    s.handle_input(offer.as_bytes());
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    s.accept(
        Accept::new()
            .protocol("superchat")
            .header("X-Server", "demo")
            .no_compression(),
    )
    .unwrap();
    let out = String::from_utf8(take_output(&mut s)).unwrap();
    assert!(
        out.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{out}"
    );
    assert!(
        out.contains("\r\nSec-WebSocket-Protocol: superchat\r\n"),
        "{out}"
    );
    assert!(out.contains("\r\nX-Server: demo\r\n"), "{out}");
    assert!(!out.contains("Sec-WebSocket-Extensions"), "{out}");
    assert_eq!(s.protocol(), Some("superchat"));
    let Some(Event::Open(open)) = s.poll_event() else {
        panic!("no Open")
    };
    assert_eq!(open.protocol.as_deref(), Some("superchat"));
    assert_eq!(open.extensions, None);
}

/// `check_request` applies the same §4.2.1 rules as `Connection::server`,
/// with the same errors, over headers parsed elsewhere.
#[test]
fn check_request_agrees_with_the_server() {
    let variants: Vec<String> = vec![
        REQUEST.to_string(),
        REQUEST.replace("GET ", "POST "),
        REQUEST.replace("Host: server.example.com\r\n", ""),
        REQUEST.replace("Host: server.example.com\r\n", "Host: a\r\nHost: b\r\n"),
        REQUEST.replace("Upgrade: websocket\r\n", ""),
        REQUEST.replace("Upgrade: websocket", "Upgrade: h2c"),
        REQUEST.replace("Connection: Upgrade", "Connection: keep-alive"),
        REQUEST.replace("Connection: Upgrade", "Connection: keep-alive, UPGRADE"),
        REQUEST.replace("Version: 13", "Version: 8"),
        REQUEST.replace("Version: 13", "Version: 13\r\nSec-WebSocket-Version: 13"),
        REQUEST.replace("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZR"),
        REQUEST.replace("dGhlIHNhbXBsZSBub25jZQ==", "AAAA"),
        REQUEST.replace(
            "Origin:",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin:",
        ),
        REQUEST.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
    ];
    for head in &variants {
        let mut lines = head.split("\r\n");
        let method = lines.next().unwrap().split(' ').next().unwrap();
        let headers: Vec<(&str, &[u8])> = lines
            .take_while(|l| !l.is_empty())
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n, v.trim().as_bytes())
            })
            .collect();
        let checked = rfc6455::check_request(method, headers);
        let mut s = server();
        s.handle_input(head.as_bytes());
        match s.poll_event() {
            Some(Event::Request(r)) => {
                let accept = checked.unwrap_or_else(|e| panic!("{e:?} for {head:?}"));
                s.accept(Accept::new()).unwrap();
                let out = String::from_utf8(take_output(&mut s)).unwrap();
                let accept = std::str::from_utf8(&accept).unwrap();
                assert!(out.contains(&format!("Sec-WebSocket-Accept: {accept}\r\n")));
                assert!(r.is_websocket());
            }
            Some(Event::Error(PeerError::Handshake(e))) => {
                assert_eq!(checked, Err(e), "{head:?}");
            }
            other => panic!("{other:?}"),
        }
    }
}

/// Chainable setters and presets, since `Config` is `#[non_exhaustive]`.
#[test]
fn config_setters_and_presets() {
    let c = Config::new()
        .max_message_size(1)
        .max_frame_size(2)
        .max_fragments(3)
        .max_handshake_bytes(4)
        .max_headers(5)
        .max_header_line(6)
        .max_pending_output(7)
        .auto_pong(false)
        .streaming(true)
        .allow_plain_http(true);
    assert_eq!(
        (
            c.max_message_size,
            c.max_frame_size,
            c.max_fragments,
            c.max_handshake_bytes,
            c.max_headers,
            c.max_header_line,
            c.max_pending_output
        ),
        (1, 2, 3, 4, 5, 6, 7)
    );
    assert!(!c.auto_pong && c.streaming && c.allow_plain_http);
    let small = Config::low_memory();
    assert!(small.max_message_size < Config::default().max_message_size);
    // The preset is enforced like any other limit.
    let mut s = open_server(Config::low_memory());
    s.handle_input(&cframe(true, 2, &vec![0; (64 << 10) + 1]));
    assert_eq!(
        drain(&mut s).last().unwrap(),
        "close 1009 \"\" Library clean=false"
    );
}

/// Echoing through `send_text_bytes` / `send_binary_bytes`: no UTF-8
/// check again, and on a server a large payload leaves `poll_transmit` as
/// the very buffer the event carried. The wire bytes are the same as with
/// `send_text` / `send_binary`, pongs follow the replies sent before them, and a client
/// (which must mask) gets the same frames as with a copy.
#[test]
fn sends_from_shared_buffers() {
    let big: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let input = [cframe(true, 2, &big), cframe(true, 9, b"p")].concat();
    let mut s = open_server(Config::default());
    s.handle_input(&input);
    let Some(Event::Binary(data)) = s.poll_event() else {
        panic!()
    };
    let ptr = data.as_ptr();
    s.send_binary_bytes(data).unwrap();
    assert!(matches!(s.poll_event(), Some(Event::Ping(_))));
    s.send_text_bytes(rfc6455::Utf8Bytes::from_bytes("é".repeat(3000).into()).unwrap())
        .unwrap();
    let expect_len = sframe(true, 2, &big).len() + (2 + 1) + (4 + 6000);
    assert_eq!(s.buffered_amount(), expect_len);
    let mut chunks = Vec::new();
    while let Some(b) = s.poll_transmit() {
        chunks.push(b);
    }
    assert!(
        chunks
            .iter()
            .any(|c| c.as_ptr() == ptr && c.len() == big.len())
    );
    let wire: Vec<u8> = chunks.concat();
    // The ping is read when its event is taken, after the echo was sent:
    // its pong follows the echo.
    let mut expect = sframe(true, 2, &big);
    expect.extend(sframe(true, 10, b"p"));
    expect.extend(sframe(true, 1, "é".repeat(3000).as_bytes()));
    assert!(wire == expect, "wire bytes differ");
    assert_eq!(s.buffered_amount(), 0);
    // A client masks, so it copies; the frame is the same as send_binary's.
    let mut a = open_client(Config::default());
    let mut b = open_client(Config::default());
    a.send_binary_bytes(big.clone().into()).unwrap();
    b.send_binary(&big).unwrap();
    assert!(take_output(&mut a) == take_output(&mut b));
    // The usual checks apply.
    s.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(
        s.send_binary_bytes(vec![1; 5000].into()),
        Err(UsageError::InvalidState)
    );
}

/// A server sends a shared payload without a copy from 4 KiB on (a buffer
/// of its own from `poll_transmit`); below that it is copied behind its
/// header, and the frame comes out in one buffer.
#[test]
fn shared_payloads_go_out_without_a_copy_from_4_kib() {
    for (len, zero_copy) in [(10, false), (4095, false), (4096, true), (5000, true)] {
        let payload = bytes::Bytes::from(vec![3u8; len]);
        let ptr = payload.as_ptr();
        let mut s = open_server(Config::default());
        s.send_binary_bytes(payload).unwrap();
        let mut chunks = Vec::new();
        while let Some(b) = s.poll_transmit() {
            chunks.push(b);
        }
        let own = chunks.iter().any(|c| c.as_ptr() == ptr && c.len() == len);
        assert_eq!(own, zero_copy, "{len} bytes");
        assert_eq!(chunks.len(), if zero_copy { 2 } else { 1 }, "{len} bytes");
        assert!(chunks.concat() == sframe(true, 2, &vec![3u8; len]));
    }
}

/// Found by `scripts/fuzz.sh` (handshake_client): a lone CR after a leading
/// empty line is no empty line (RFC 9112 §2.2 skips CRLF or LF only), so a
/// status or request line that starts with it is malformed, not skipped.
#[test]
fn a_bare_cr_before_the_first_line_is_refused() {
    let (mut c, accept) = client();
    c.handle_input(format!("\n\r{}", ok_101(&accept)).as_bytes());
    assert_eq!(
        drain(&mut c),
        [
            "error Handshake(Malformed)",
            "close 1006 \"\" Library clean=false"
        ]
    );
    let mut s = server();
    s.handle_input(format!("\n\r{REQUEST}").as_bytes());
    assert!(matches!(
        s.poll_event(),
        Some(Event::Error(PeerError::Handshake(
            HandshakeError::Malformed
        )))
    ));
    // A real empty line (LF or CRLF) is still skipped, by both roles.
    for empty in ["\r\n", "\n"] {
        let (mut c, accept) = client();
        c.handle_input(format!("{empty}{}", ok_101(&accept)).as_bytes());
        assert_eq!(drain(&mut c), ["open None"], "{empty:?}");
        let mut s = server();
        s.handle_input(format!("{empty}{REQUEST}").as_bytes());
        let Some(Event::Request(req)) = s.poll_event() else {
            panic!("{empty:?}")
        };
        assert_eq!((req.method(), req.path()), ("GET", "/chat"), "{empty:?}");
        assert!(req.is_websocket(), "{empty:?}");
        assert_eq!(req.origin(), Some("http://example.com"), "{empty:?}");
        assert!(req.as_bytes().starts_with(b"GET /chat "), "{empty:?}");
    }
}

/// A streamed text piece that ends inside a code point holds its first
/// bytes back for the next piece; lent by `poll_event_ref`, the piece and
/// the bytes held back leave the input buffer together when it is settled.
#[test]
fn a_lent_text_piece_leaves_with_the_bytes_it_held_back() {
    let mut s = open_server(Config::default().streaming(true));
    let text = "aé€b".as_bytes();
    // "a", the first byte of "é" | its second, "€" but its last byte | the rest.
    let mut input = cframe(false, 1, &text[..2]);
    input.extend(cframe(false, 0, &text[2..5]));
    input.extend(cframe(true, 0, &text[5..]));
    s.handle_input(&input);
    let mut pieces = Vec::new();
    while let Some(e) = s.poll_event_ref() {
        let rfc6455::EventRef::Fragment { data, .. } = e else {
            panic!("{e:?}")
        };
        pieces.push(String::from_utf8(data.to_vec()).unwrap());
    }
    assert_eq!(pieces, ["a", "é", "€b"]);
}

/// Payloads read into the slice from `input_buffer` are handed out where
/// they were read, without a copy: a message in one frame, and streamed
/// pieces (but one that carries a code point from the frame before, which
/// is put together in the reassembly buffer).
#[test]
fn payloads_read_into_a_lent_buffer_are_not_copied() {
    fn read(s: &mut Connection, frame: &[u8]) -> std::ops::Range<usize> {
        let buf = s.input_buffer(frame.len());
        buf.copy_from_slice(frame);
        let at = buf.as_ptr() as usize;
        s.commit_input(frame.len());
        at..at + frame.len()
    }
    let mut s = open_server(Config::default());
    let lent = read(&mut s, &cframe(true, 2, &[7; 300]));
    let Some(Event::Binary(b)) = s.poll_event() else {
        panic!()
    };
    assert!(lent.contains(&(b.as_ptr() as usize)), "binary");
    let mut s = open_server(Config::default().streaming(true));
    for (i, frame) in [
        cframe(false, 1, b"hello"),
        cframe(false, 0, b" wor\xC3"),
        cframe(true, 0, b"\xA9ld"),
    ]
    .iter()
    .enumerate()
    {
        let lent = read(&mut s, frame);
        let Some(Event::Fragment(f)) = s.poll_event() else {
            panic!()
        };
        let inside = lent.contains(&(f.data.as_ptr() as usize));
        assert_eq!(inside, i < 2, "piece {i} {:?}", f.data);
    }
}
