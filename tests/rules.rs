//! One named test per failure rule: the close code or HTTP status it gets.

mod common;

use common::*;
use rfc6455::{
    ClientRequest, Config, Connection, Event, HandshakeError, PeerError, ProtocolError, State,
};

/// Feeds `input` to an OPEN server; asserts it fails with `code`, that the
/// close frame carrying `code` is the last thing sent, and that later input
/// is ignored.
fn server_fails(input: &[u8], code: u16, config: Config) -> ProtocolError {
    let mut s = open_server(config);
    s.handle_input(input);
    let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    let err = events.iter().find_map(|e| match e {
        Event::Error(PeerError::Protocol(p)) => Some(*p),
        _ => None,
    });
    let err = err.unwrap_or_else(|| panic!("no error in {events:?}"));
    match events.last() {
        Some(Event::Close(c)) => {
            assert_eq!(c.code.as_u16(), code);
            assert!(!c.clean);
        }
        other => panic!("last event {other:?}"),
    }
    let out = take_output(&mut s);
    let at = out
        .windows(4)
        .rposition(|w| w[0] == 0x88 && w[2..4] == code.to_be_bytes())
        .expect("close frame sent");
    assert_eq!(
        at + 2 + out[at + 1] as usize,
        out.len(),
        "close frame is the last frame"
    );
    assert_eq!(s.state(), State::Closed);
    assert!(s.should_close_transport());
    s.handle_input(&cframe(true, 1, b"more"));
    assert!(
        s.poll_event().is_none(),
        "input after a fatal error is ignored"
    );
    assert!(s.poll_transmit().is_none());
    err
}

fn fails(input: &[u8], code: u16) -> ProtocolError {
    server_fails(input, code, Config::default())
}

fn client_fails(input: &[u8], code: u16) -> ProtocolError {
    let mut c = open_client(Config::default());
    c.handle_input(input);
    let events: Vec<Event> = std::iter::from_fn(|| c.poll_event()).collect();
    match (&events[0], events.last()) {
        (Event::Error(PeerError::Protocol(p)), Some(Event::Close(cl))) => {
            assert_eq!(cl.code.as_u16(), code);
            *p
        }
        other => panic!("{other:?}"),
    }
}

/// The status line a fresh server answers `head` with.
fn status(head: &[u8]) -> (u16, String) {
    let mut s = server();
    s.handle_input(head);
    let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(
        matches!(events.first(), Some(Event::Error(PeerError::Handshake(_)))),
        "{events:?}"
    );
    assert!(matches!(events.last(), Some(Event::Close(_))));
    let out = String::from_utf8(take_output(&mut s)).unwrap();
    assert!(s.should_close_transport());
    s.handle_input(head);
    assert!(
        s.poll_event().is_none(),
        "after a rejection nothing more is parsed"
    );
    (out[9..12].parse().unwrap(), out)
}

fn req_with(from: &str, to: &str) -> Vec<u8> {
    assert!(REQUEST.contains(from), "{from}");
    REQUEST.replacen(from, to, 1).into_bytes()
}

// ---- server handshake ----

#[test]
fn post_gets_405() {
    assert_eq!(status(&req_with("GET ", "POST ")).0, 405);
}

#[test]
fn http_1_0_gets_505() {
    assert_eq!(status(&req_with("HTTP/1.1", "HTTP/1.0")).0, 505);
}

#[test]
fn missing_host_gets_400() {
    assert_eq!(status(&req_with("Host: server.example.com\r\n", "")).0, 400);
}

#[test]
fn duplicate_host_gets_400() {
    assert_eq!(
        status(&req_with(
            "Host: server.example.com\r\n",
            "Host: a\r\nHost: b\r\n"
        ))
        .0,
        400
    );
}

#[test]
fn missing_upgrade_gets_400() {
    assert_eq!(status(&req_with("Upgrade: websocket\r\n", "")).0, 400);
}

#[test]
fn connection_without_upgrade_gets_400() {
    assert_eq!(
        status(&req_with("Connection: Upgrade", "Connection: keep-alive")).0,
        400
    );
}

#[test]
fn missing_key_gets_400() {
    assert_eq!(
        status(&req_with(
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
            ""
        ))
        .0,
        400
    );
}

#[test]
fn key_of_15_bytes_gets_400() {
    assert_eq!(
        status(&req_with(
            "dGhlIHNhbXBsZSBub25jZQ==",
            "dGhlIHNhbXBsZSBub25j"
        ))
        .0,
        400
    );
}

#[test]
fn missing_version_gets_426_with_version_13() {
    let (code, out) = status(&req_with("Sec-WebSocket-Version: 13\r\n", ""));
    assert_eq!(code, 426);
    assert!(out.contains("\r\nSec-WebSocket-Version: 13\r\n"));
}

#[test]
fn version_8_gets_426() {
    assert_eq!(status(&req_with("Version: 13", "Version: 8")).0, 426);
}

/// Hands `head` to `s`, which must take it as a WebSocket upgrade; accepts
/// it and returns the response, which must be a 101 (§4.2.2).
fn accept_upgrade(s: &mut Connection, head: &[u8]) -> String {
    s.handle_input(head);
    let Some(Event::Request(req)) = s.poll_event() else {
        panic!("the request is refused")
    };
    assert!(req.is_websocket());
    s.accept(rfc6455::Accept::new()).unwrap();
    let out = String::from_utf8(take_output(s)).unwrap();
    assert!(
        out.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{out}"
    );
    out
}

/// The server reads §4.2.1's headers by name: "|Host|", "|Upgrade|",
/// "|Connection|", "|Sec-WebSocket-Key|", "|Sec-WebSocket-Version|". Other
/// headers, however long their names, are none of these: a browser's
/// `Date`, `Referer`, `User-Agent` or `If-Modified-Since` (the same lengths
/// as the names above) neither duplicate them nor stand in for them.
#[test]
fn other_headers_are_not_taken_for_the_handshake_headers() {
    // Names of 4, 7, 10, 17 and 21 bytes, after the real ones.
    let others = "Date: Tue, 15 Nov 1994 08:12:31 GMT\r\nReferer: websocket\r\n\
        User-Agent: Upgrade\r\nIf-Modified-Since: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        X-Client-Version-Tag1: 13\r\n\r\n";
    let head = REQUEST.replace("\r\n\r\n", &format!("\r\n{others}"));
    let mut s = server();
    let out = accept_upgrade(&mut s, head.as_bytes());
    assert!(out.contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    // Nor do they make up for a missing one: "Referer: websocket" is no
    // |Upgrade| (400), "User-Agent: Upgrade" no |Connection| (400), a
    // 21-byte "X-Client-Version-Tag1: 13" no |Sec-WebSocket-Version| (426).
    let without = |header: &str| {
        let head = REQUEST.replace(header, "");
        assert_ne!(head, REQUEST, "{header}");
        head.replace("\r\n\r\n", &format!("\r\n{others}"))
    };
    assert_eq!(status(without("Upgrade: websocket\r\n").as_bytes()).0, 400);
    assert_eq!(status(without("Connection: Upgrade\r\n").as_bytes()).0, 400);
    assert_eq!(
        status(without("Sec-WebSocket-Version: 13\r\n").as_bytes()).0,
        426
    );
    assert_eq!(
        status(without("Host: server.example.com\r\n").as_bytes()).0,
        400
    );
    let no_key = without("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
    assert_eq!(status(no_key.as_bytes()).0, 400);
}

/// With `allow_plain_http`, a request without `Upgrade: websocket` reaches
/// the application as plain HTTP, to be answered with `reject` only, while
/// an upgrade request is still a WebSocket handshake (§4.2.1), accepted
/// with a 101 (§4.2.2).
#[test]
fn plain_http_when_allowed_leaves_upgrades_alone() {
    let config = Config::default().allow_plain_http(true);
    let mut s = Connection::server(config.clone());
    accept_upgrade(&mut s, REQUEST.as_bytes());
    assert!(matches!(s.poll_event(), Some(Event::Open(_))));

    let mut s = Connection::server(config);
    s.handle_input(b"GET /index.html HTTP/1.1\r\nHost: server.example.com\r\n\r\n");
    let Some(Event::Request(req)) = s.poll_event() else {
        panic!("no request")
    };
    assert!(!req.is_websocket());
    assert_eq!(req.path(), "/index.html");
    assert_eq!(
        s.accept(rfc6455::Accept::new()),
        Err(rfc6455::UsageError::InvalidState)
    );
    s.reject(rfc6455::Reject::new(404)).unwrap();
    let out = String::from_utf8(take_output(&mut s)).unwrap();
    assert!(out.starts_with("HTTP/1.1 404 Not Found\r\n"), "{out}");
}

#[test]
fn malformed_head_gets_400() {
    assert_eq!(status(b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n").0, 400);
}

#[test]
fn oversized_head_gets_431() {
    let mut head = REQUEST.replace("\r\n\r\n", "\r\n").into_bytes();
    while head.len() < 20_000 {
        head.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    assert_eq!(status(&head).0, 431);
}

#[test]
fn too_many_headers_gets_431() {
    let mut head = REQUEST.replace("\r\n\r\n", "\r\n");
    for i in 0..70 {
        head.push_str(&format!("X-{i}: v\r\n"));
    }
    head.push_str("\r\n");
    assert_eq!(status(head.as_bytes()).0, 431);
}

#[test]
fn long_header_line_gets_431() {
    let head = req_with(
        "Origin: http://example.com",
        &format!("Origin: http://{}.com", "a".repeat(9000)),
    );
    assert_eq!(status(&head).0, 431);
}

#[test]
fn head_trickled_one_byte_at_a_time_is_accepted() {
    let mut s = server();
    for b in REQUEST.as_bytes() {
        s.handle_input(std::slice::from_ref(b));
    }
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
}

// ---- client handshake ----

fn client_response_error(response: &str, req: ClientRequest) -> HandshakeError {
    let (mut c, accept) = started_client(req);
    c.handle_input(response.replace("{accept}", &accept).as_bytes());
    let events: Vec<Event> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(
        matches!(events.last(), Some(Event::Close(cl)) if !cl.clean),
        "{events:?}"
    );
    assert!(c.should_close_transport());
    match events[0] {
        Event::Error(PeerError::Handshake(e)) => e,
        ref other => panic!("{other:?}"),
    }
}

const OK_101: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n";

#[test]
fn client_fails_on_wrong_accept() {
    let resp = OK_101.replace("{accept}", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") + "\r\n";
    assert_eq!(
        client_response_error(&resp, ClientRequest::new("h", "/")),
        HandshakeError::BadAccept
    );
}

#[test]
fn client_fails_on_missing_upgrade() {
    let resp = OK_101.replace("Upgrade: websocket\r\n", "") + "\r\n";
    assert_eq!(
        client_response_error(&resp, ClientRequest::new("h", "/")),
        HandshakeError::NotUpgrade
    );
}

#[test]
fn client_fails_on_unoffered_protocol() {
    let resp = format!("{OK_101}Sec-WebSocket-Protocol: mqtt\r\n\r\n");
    let req = ClientRequest::new("h", "/").protocol("chat");
    assert_eq!(
        client_response_error(&resp, req),
        HandshakeError::UnofferedProtocol
    );
}

#[test]
fn client_fails_on_unoffered_extension() {
    let resp = format!("{OK_101}Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n");
    assert_eq!(
        client_response_error(&resp, ClientRequest::new("h", "/")),
        HandshakeError::UnofferedExtension
    );
}

#[test]
fn client_fails_on_eof_before_response() {
    let mut c = Connection::client(
        ClientRequest::new("h", "/"),
        Config::default(),
        Rng::entropy(9),
    )
    .unwrap();
    c.handle_eof();
    assert_eq!(
        drain(&mut c),
        ["error Handshake(Eof)", "close 1006 \"\" Remote clean=false"]
    );
}

// ---- framing ----

#[test]
fn unmasked_client_frame_is_1002() {
    assert_eq!(
        fails(&sframe(true, 1, b"hi"), 1002),
        ProtocolError::UnmaskedFrame
    );
}

#[test]
fn masked_server_frame_is_1002() {
    assert_eq!(
        client_fails(&cframe(true, 1, b"hi"), 1002),
        ProtocolError::MaskedFrame
    );
}

#[test]
fn rsv_bits_are_1002() {
    for rsv in 1..8 {
        let f = frame_with(true, rsv, 1, b"x", Some([1, 2, 3, 4]));
        assert_eq!(fails(&f, 1002), ProtocolError::ReservedBits);
    }
}

#[test]
fn reserved_opcodes_are_1002() {
    for op in [3, 4, 5, 6, 7, 11, 12, 13, 14, 15] {
        assert_eq!(
            fails(&cframe(true, op, b""), 1002),
            ProtocolError::ReservedOpcode
        );
    }
}

#[test]
fn control_frame_over_125_is_1002() {
    assert_eq!(
        fails(&cframe(true, 9, &[0; 126]), 1002),
        ProtocolError::ControlFrameTooLong
    );
}

#[test]
fn fragmented_control_frame_is_1002() {
    assert_eq!(
        fails(&cframe(false, 9, b"x"), 1002),
        ProtocolError::FragmentedControlFrame
    );
}

#[test]
fn continuation_without_message_is_1002() {
    assert_eq!(
        fails(&cframe(true, 0, b"x"), 1002),
        ProtocolError::UnexpectedContinuation
    );
}

#[test]
fn new_message_inside_fragmented_one_is_1002() {
    let input = [cframe(false, 1, b"a"), cframe(true, 1, b"b")].concat();
    assert_eq!(fails(&input, 1002), ProtocolError::ExpectedContinuation);
}

#[test]
fn non_minimal_length_is_1002() {
    assert_eq!(
        fails(&[0x82, 0xFE, 0x00, 0x05, 1, 2, 3, 4], 1002),
        ProtocolError::NonMinimalLength
    );
}

#[test]
fn length_with_top_bit_set_is_1002() {
    let f = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4];
    assert_eq!(fails(&f, 1002), ProtocolError::LengthTopBit);
}

// ---- messages and limits ----

#[test]
fn invalid_utf8_is_1007_before_the_frame_completes() {
    // Only the first 3 of 100 declared payload bytes arrive; the second is invalid.
    let f = cframe(true, 1, &[b'a', 0xFF, b'b'].repeat(34)[..100]);
    let err = fails(&f[..8 + 3], 1007);
    assert_eq!(err, ProtocolError::InvalidUtf8);
}

#[test]
fn invalid_utf8_in_a_later_fragment_is_1007() {
    let input = [cframe(false, 1, "κό".as_bytes()), cframe(true, 0, b"\xce")].concat();
    assert_eq!(fails(&input, 1007), ProtocolError::InvalidUtf8);
}

#[test]
fn message_over_limit_is_1009_and_at_limit_is_accepted() {
    let mut cfg = Config::default();
    cfg.max_message_size = 1000;
    let mut s = open_server(cfg.clone());
    s.handle_input(&[cframe(false, 2, &[1; 500]), cframe(true, 0, &[2; 500])].concat());
    assert_eq!(drain(&mut s).len(), 1);
    let input = [cframe(false, 2, &[1; 500]), cframe(true, 0, &[2; 501])].concat();
    assert_eq!(
        server_fails(&input, 1009, cfg),
        ProtocolError::MessageTooBig
    );
}

#[test]
fn frame_over_limit_is_1009() {
    let mut cfg = Config::default();
    cfg.max_frame_size = 10;
    cfg.max_message_size = 100;
    assert_eq!(
        server_fails(&cframe(true, 2, &[0; 11]), 1009, cfg),
        ProtocolError::FrameTooBig
    );
}

#[test]
fn declared_2_pow_40_length_is_1009_at_the_header() {
    let mut cfg = Config::default();
    cfg.max_message_size = 1 << 20;
    let mut header = vec![0x82, 0xFF];
    header.extend_from_slice(&(1u64 << 40).to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    assert_eq!(server_fails(&header, 1009, cfg), ProtocolError::FrameTooBig);
}

#[test]
fn too_many_fragments_is_1008() {
    let mut cfg = Config::default();
    cfg.max_fragments = 100;
    let mut input = cframe(false, 2, b"");
    for _ in 0..200 {
        input.extend(cframe(false, 0, b""));
    }
    assert_eq!(
        server_fails(&input, 1008, cfg),
        ProtocolError::TooManyFragments
    );
}

/// `max_fragments` is the most frames a message may have: a message of
/// exactly that many is delivered whole, and one frame more is 1008
/// ("a message that violates its policy", RFC 6455 §7.4.1).
#[test]
fn message_of_exactly_max_fragments_is_accepted() {
    let mut cfg = Config::default();
    cfg.max_fragments = 3;
    let mut s = open_server(cfg.clone());
    let input = [
        cframe(false, 2, b"a"),
        cframe(false, 0, b"b"),
        cframe(true, 0, b"c"),
    ]
    .concat();
    s.handle_input(&input);
    let events: Vec<String> = std::iter::from_fn(|| s.poll_event())
        .map(|e| describe(&e))
        .collect();
    assert_eq!(events, [describe_message(false, b"abc")]);
    assert_eq!(s.state(), State::Open);
    let over = [
        cframe(false, 2, b"a"),
        cframe(false, 0, b"b"),
        cframe(false, 0, b"c"),
        cframe(true, 0, b"d"),
    ]
    .concat();
    assert_eq!(
        server_fails(&over, 1008, cfg),
        ProtocolError::TooManyFragments
    );
}

// ---- close frames ----

#[test]
fn one_byte_close_payload_is_1002() {
    assert_eq!(
        fails(&cframe(true, 8, &[0x03]), 1002),
        ProtocolError::InvalidCloseLength
    );
}

#[test]
fn invalid_close_codes_are_1002() {
    for code in [
        0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
    ] {
        assert_eq!(
            fails(&cframe(true, 8, &code.to_be_bytes()), 1002),
            ProtocolError::InvalidCloseCode(code)
        );
    }
}

#[test]
fn invalid_utf8_close_reason_is_1007() {
    let mut p = 1000u16.to_be_bytes().to_vec();
    p.extend_from_slice(b"\xff");
    assert_eq!(
        fails(&cframe(true, 8, &p), 1007),
        ProtocolError::InvalidUtf8
    );
}

#[test]
fn valid_close_codes_are_echoed() {
    for code in [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999,
    ] {
        let mut s = open_server(Config::default());
        s.handle_input(&cframe(true, 8, &code.to_be_bytes()));
        assert_eq!(
            drain(&mut s),
            [format!("close {code} \"\" Remote clean=true")]
        );
        assert_eq!(take_output(&mut s), sframe(true, 8, &code.to_be_bytes()));
    }
}
