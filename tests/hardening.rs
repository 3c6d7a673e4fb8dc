//! Hardening (issue 15): the request-line limit answers 414, a 101 in
//! HTTP/1.0 is refused, configurations that make no sense are refused or
//! clamped when the connection is built, and what a server buffers while
//! the application decides on a request is bounded. One rule per test.

mod common;

use common::*;
use rfc6455::{ClientRequest, Config, Connection, HandshakeError, PeerError, State, UsageError};

// ---- helpers ----

/// What a fresh server does with `input`: its events, the status line it
/// answered with (empty if none) and the body of that answer.
fn server_answer(config: Config, input: &[u8]) -> (Vec<String>, String, String) {
    let mut s = Connection::server(config);
    s.handle_input(input);
    let events: Vec<String> = std::iter::from_fn(|| s.poll_event())
        .map(|e| describe(&e))
        .collect();
    let out = String::from_utf8(take_output(&mut s)).unwrap();
    let status_line = out.lines().next().unwrap_or("").to_string();
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (events, status_line, body)
}

/// A request whose target is `len` bytes long ("/" then `a`s).
fn request_with_target(len: usize) -> Vec<u8> {
    let target = format!("/{}", "a".repeat(len - 1));
    REQUEST.replacen("/chat", &target, 1).into_bytes()
}

/// The length of `REQUEST`'s request line with a target of `len` bytes.
fn request_line_len(len: usize) -> usize {
    "GET ".len() + len + " HTTP/1.1".len()
}

/// A client that sent its request, and the right accept key.
fn client(config: Config) -> (Connection, String) {
    started_client_with(ClientRequest::new("h", "/").protocol("chat"), config)
}

fn events_of(conn: &mut Connection) -> Vec<String> {
    std::iter::from_fn(|| conn.poll_event())
        .map(|e| describe(&e))
        .collect()
}

// ---- 414 for an overlong request line (RFC 9112 §3) ----

#[test]
fn request_line_over_the_limit_is_414_uri_too_long() {
    let limit = Config::default().max_header_line;
    let target = limit - request_line_len(0) + 1;
    assert_eq!(request_line_len(target), limit + 1);
    let (events, status, body) = server_answer(Config::default(), &request_with_target(target));
    assert_eq!(
        events,
        [
            "error Handshake(RequestLineTooLong)",
            "close 1006 \"\" Library clean=false"
        ]
    );
    assert_eq!(status, "HTTP/1.1 414 URI Too Long");
    assert_eq!(body, "request target too long\n");
}

#[test]
fn request_line_of_exactly_the_limit_is_accepted() {
    let limit = Config::default().max_header_line;
    let target = limit - request_line_len(0);
    let (events, status, _) = server_answer(Config::default(), &request_with_target(target));
    assert_eq!(events.len(), 1);
    assert!(
        events[0].starts_with("request /aaaa"),
        "{}",
        &events[0][..20]
    );
    assert_eq!(status, "");
}

#[test]
fn request_line_over_the_limit_is_414_before_its_end_arrives() {
    let limit = Config::default().max_header_line;
    let mut s = Connection::server(Config::default());
    s.handle_input(b"GET /");
    s.handle_input(&vec![b'a'; limit]);
    assert_eq!(events_of(&mut s)[0], "error Handshake(RequestLineTooLong)");
    assert!(take_output(&mut s).starts_with(b"HTTP/1.1 414 URI Too Long\r\n"));
    assert!(s.should_close_transport());
}

#[test]
fn request_line_over_the_limit_behind_an_empty_line_is_414() {
    let limit = Config::default().max_header_line;
    let input = [b"\r\n".to_vec(), request_with_target(limit)].concat();
    let (events, status, _) = server_answer(Config::default(), &input);
    assert_eq!(events[0], "error Handshake(RequestLineTooLong)");
    assert_eq!(status, "HTTP/1.1 414 URI Too Long");
}

#[test]
fn header_line_over_the_limit_is_still_431() {
    let limit = Config::default().max_header_line;
    let origin = format!("Origin: {}", "o".repeat(limit));
    let input = REQUEST.replacen("Origin: http://example.com", &origin, 1);
    let (events, status, _) = server_answer(Config::default(), input.as_bytes());
    assert_eq!(events[0], "error Handshake(LineTooLong)");
    assert_eq!(status, "HTTP/1.1 431 Request Header Fields Too Large");
}

#[test]
fn first_header_line_over_the_limit_is_431_not_414() {
    let mut config = Config::default();
    config.max_header_line = 40;
    let input = b"GET / HTTP/1.1\r\nX-Long: 0123456789012345678901234567890123456789\r\n\r\n";
    let (events, status, _) = server_answer(config, input);
    assert_eq!(events[0], "error Handshake(LineTooLong)");
    assert_eq!(status, "HTTP/1.1 431 Request Header Fields Too Large");
}

#[test]
fn request_line_limit_follows_the_configuration() {
    let mut config = Config::default();
    config.max_header_line = 30;
    let (events, status, _) = server_answer(config, b"GET /0123456789012345678 HTTP/1.1\r\n");
    assert_eq!(events[0], "error Handshake(RequestLineTooLong)");
    assert_eq!(status, "HTTP/1.1 414 URI Too Long");
    assert_eq!(HandshakeError::RequestLineTooLong.http_status(), 414);
    assert_eq!(HandshakeError::LineTooLong.http_status(), 431);
}

#[test]
fn client_status_line_over_the_limit_is_line_too_long() {
    let mut config = Config::default();
    config.max_header_line = 40;
    let (mut c, _) = client(config);
    c.handle_input(b"HTTP/1.1 101 Switching Protocols and a very long reason\r\n");
    assert_eq!(
        events_of(&mut c),
        [
            "error Handshake(LineTooLong)",
            "close 1006 \"\" Library clean=false"
        ]
    );
    assert!(take_output(&mut c).is_empty());
}

// ---- a 101 in HTTP/1.0 is refused ----

#[test]
fn client_refuses_an_http_1_0_101() {
    let (mut c, accept) = client(Config::default());
    c.handle_input(
        format!(
            "HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(
        events_of(&mut c),
        [
            "error Handshake(HttpVersion)",
            "close 1006 \"\" Library clean=false"
        ]
    );
    assert_eq!(c.state(), State::Closed);
    assert!(take_output(&mut c).is_empty(), "nothing is sent");
    assert!(c.should_close_transport());
    assert_eq!(c.send_text("x"), Err(UsageError::InvalidState));
}

#[test]
fn client_takes_an_http_1_0_403_as_a_rejection() {
    let (mut c, _) = client(Config::default());
    c.handle_input(b"HTTP/1.0 403 Forbidden\r\nContent-Length: 2\r\n\r\nno");
    assert_eq!(
        events_of(&mut c),
        ["rejected 403 \"no\"", "close 1006 \"\" Remote clean=false"]
    );
}

#[test]
fn http_1_0_101_error_says_why() {
    let e = PeerError::Handshake(HandshakeError::HttpVersion);
    assert_eq!(e.to_string(), "HTTP version is not 1.1");
}

// ---- configurations that make no sense ----

/// Asserts that `config` breaks `rule`: `validate` names it, `client` and
/// `try_server` refuse it (the client writes nothing), and `server` clamps
/// it to a configuration that `validate` accepts.
fn refused_config(config: Config, rule: &'static str) -> Config {
    assert_eq!(config.validate(), Err(UsageError::InvalidConfig(rule)));
    assert!(matches!(
        Connection::try_server(config.clone()),
        Err(UsageError::InvalidConfig(r)) if r == rule
    ));
    let client = Connection::client(
        ClientRequest::new("h", "/"),
        config.clone(),
        Rng::entropy(1),
    );
    assert!(matches!(client, Err(UsageError::InvalidConfig(r)) if r == rule));
    let clamped = Connection::server(config.clone()).config().clone();
    assert_eq!(clamped.validate(), Ok(()));
    for conn in [
        Connection::open_server(config.clone()),
        Connection::open_client(config, Rng::entropy(1)),
    ] {
        assert_eq!(conn.config().validate(), Ok(()));
    }
    clamped
}

#[test]
fn the_presets_are_valid() {
    assert_eq!(Config::default().validate(), Ok(()));
    assert_eq!(Config::low_memory().validate(), Ok(()));
    assert!(Connection::try_server(Config::default()).is_ok());
}

#[test]
fn max_message_size_of_0_is_refused() {
    let mut c = Config::default();
    c.max_message_size = 0;
    c.max_frame_size = 0;
    let clamped = refused_config(c, "max_message_size is 0");
    assert_eq!((clamped.max_message_size, clamped.max_frame_size), (1, 1));
}

#[test]
fn max_frame_size_of_0_is_refused() {
    let clamped = refused_config(Config::default().max_frame_size(0), "max_frame_size is 0");
    assert_eq!(clamped.max_frame_size, 1);
}

#[test]
fn max_fragments_of_0_is_refused() {
    let clamped = refused_config(Config::default().max_fragments(0), "max_fragments is 0");
    assert_eq!(clamped.max_fragments, 1);
}

#[test]
fn max_handshake_bytes_of_0_is_refused() {
    let c = Config::default().max_handshake_bytes(0).max_header_line(0);
    let clamped = refused_config(c, "max_handshake_bytes is 0");
    assert_eq!(
        (clamped.max_handshake_bytes, clamped.max_header_line),
        (1, 1)
    );
}

#[test]
fn max_headers_of_0_is_refused() {
    let clamped = refused_config(Config::default().max_headers(0), "max_headers is 0");
    assert_eq!(clamped.max_headers, 1);
}

#[test]
fn max_header_line_of_0_is_refused() {
    let clamped = refused_config(Config::default().max_header_line(0), "max_header_line is 0");
    assert_eq!(clamped.max_header_line, 1);
}

#[test]
fn max_pending_output_of_0_is_refused() {
    let c = Config::default().max_pending_output(0);
    let clamped = refused_config(c, "max_pending_output is 0");
    assert_eq!(clamped.max_pending_output, 1);
}

#[test]
fn frame_limit_above_the_message_limit_is_refused() {
    let c = Config::default().max_frame_size((16 << 20) + 1);
    let clamped = refused_config(c, "max_frame_size > max_message_size");
    assert_eq!(
        clamped.max_frame_size,
        16 << 20,
        "lowered to the message limit"
    );
    // A frame limit equal to the message limit is fine.
    assert_eq!(
        Config::default().max_frame_size(16 << 20).validate(),
        Ok(())
    );
}

#[test]
fn more_than_128_headers_is_refused() {
    let clamped = refused_config(Config::default().max_headers(129), "max_headers > 128");
    assert_eq!(clamped.max_headers, 128);
    assert_eq!(Config::default().max_headers(128).validate(), Ok(()));
}

#[test]
fn header_line_limit_above_the_head_limit_is_refused() {
    let c = Config::default()
        .max_handshake_bytes(4096)
        .max_header_line(4097);
    let clamped = refused_config(c, "max_header_line > max_handshake_bytes");
    assert_eq!(clamped.max_header_line, 4096);
}

#[test]
fn lowering_the_message_limit_lowers_the_frame_limit() {
    let c = Config::default().max_message_size(1 << 20);
    assert_eq!((c.max_message_size, c.max_frame_size), (1 << 20, 1 << 20));
    assert_eq!(c.validate(), Ok(()));
    // Raising it leaves the frame limit alone.
    let c = Config::default().max_message_size(1 << 30);
    assert_eq!(c.max_frame_size, 16 << 20);
}

#[test]
fn a_clamped_server_enforces_the_clamped_limit() {
    let mut c = Config::default();
    c.max_message_size = 10;
    let mut s = Connection::open_server(c);
    assert_eq!(s.config().max_frame_size, 10);
    s.handle_input(&cframe(true, 2, &[0; 11]));
    assert_eq!(
        drain(&mut s),
        [
            "error Protocol(FrameTooBig)",
            "close 1009 \"\" Library clean=false"
        ]
    );
}

#[test]
fn invalid_config_error_names_the_rule() {
    assert_eq!(
        UsageError::InvalidConfig("max_headers > 128").to_string(),
        "invalid configuration: max_headers > 128"
    );
}

// ---- bytes behind the request while the application decides ----

/// A server holding `REQUEST` for the application, with `behind` bytes
/// delivered behind it in the same read or in a later one.
fn waiting_server(config: Config, behind: &[u8], same_read: bool) -> Connection {
    let mut s = Connection::server(config);
    if same_read {
        s.handle_input(&[REQUEST.as_bytes(), behind].concat());
    } else {
        s.handle_input(REQUEST.as_bytes());
        s.handle_input(behind);
    }
    s
}

/// Masked binary frames of `payload` bytes each, `count` of them.
fn frames(count: usize, payload: usize) -> Vec<u8> {
    (0..count)
        .flat_map(|_| cframe(true, 2, &vec![7; payload]))
        .collect()
}

fn small_frames_config() -> Config {
    // The bound is max(max_handshake_bytes, max_frame_size + 14) = 4096.
    Config::default()
        .max_message_size(1000)
        .max_handshake_bytes(4096)
        .max_header_line(1024)
}

#[test]
fn early_frames_up_to_the_bound_are_kept_for_accept() {
    // 4 frames of 1008 bytes (1000 of payload, an 8-byte masked header),
    // then one of 64 (58 + 6): 4096 bytes, the bound exactly.
    let mut behind = frames(4, 1000);
    behind.extend(cframe(true, 2, &[1; 58]));
    assert_eq!(behind.len(), 4096);
    for same_read in [true, false] {
        let mut s = waiting_server(small_frames_config(), &behind, same_read);
        let events = drain(&mut s);
        assert_eq!(events.len(), 7, "{same_read}");
        assert_eq!(events[..2], ["request /chat", "open Some(\"chat\")"]);
        assert_eq!(s.state(), State::Open);
    }
}

#[test]
fn early_data_over_the_bound_fails_with_400() {
    let mut behind = frames(4, 1000);
    behind.extend(cframe(true, 2, &[1; 59]));
    assert_eq!(behind.len(), 4097);
    for same_read in [true, false] {
        let mut s = waiting_server(small_frames_config(), &behind, same_read);
        let events: Vec<String> = std::iter::from_fn(|| s.poll_event())
            .map(|e| describe(&e))
            .collect();
        assert_eq!(
            events,
            [
                "request /chat",
                "error Handshake(EarlyData)",
                "close 1006 \"\" Library clean=false"
            ]
        );
        assert_eq!(
            s.accept(rfc6455::Accept::new()),
            Err(UsageError::InvalidState)
        );
        let out = take_output(&mut s);
        assert!(out.starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
        assert!(s.should_close_transport());
    }
}

#[test]
fn early_data_bound_stops_a_flood_while_the_application_waits() {
    let mut s = Connection::server(Config::low_memory());
    s.handle_input(REQUEST.as_bytes());
    let chunk = vec![0x5a; 16 << 10];
    let mut fed = 0;
    while !s.is_closed() && fed < 64 << 20 {
        s.handle_input(&chunk);
        fed += chunk.len();
    }
    // low_memory: max(4 KiB, 64 KiB + 14): the fifth 16 KiB read is over.
    assert_eq!(fed, 5 * (16 << 10));
    let events: Vec<String> = std::iter::from_fn(|| s.poll_event())
        .map(|e| describe(&e))
        .collect();
    assert_eq!(events[1], "error Handshake(EarlyData)");
    // Later input is ignored.
    s.handle_input(&chunk);
    assert!(s.poll_event().is_none());
}

#[test]
fn early_data_over_the_bound_after_the_decision_is_not_early() {
    // Once accepted, the bytes are frames and the frame limits apply.
    let mut s = waiting_server(small_frames_config(), b"", true);
    assert_eq!(drain(&mut s), ["request /chat", "open Some(\"chat\")"]);
    s.handle_input(&frames(10, 1000));
    assert_eq!(drain(&mut s).len(), 10);
    assert_eq!(s.state(), State::Open);
}

#[test]
fn a_timeout_of_zero_is_refused() {
    use std::time::Duration;
    for c in [
        Config::default().handshake_timeout(Some(Duration::ZERO)),
        Config::default().ping_interval(Some(Duration::ZERO)),
        Config::default().pong_timeout(Some(Duration::ZERO)),
        Config::default().close_timeout(Some(Duration::ZERO)),
        Config::default().message_timeout(Some(Duration::ZERO)),
    ] {
        let clamped = refused_config(c, "a timeout is zero (None switches it off)");
        assert!(
            [
                clamped.handshake_timeout,
                clamped.ping_interval,
                clamped.pong_timeout,
                clamped.close_timeout,
                clamped.message_timeout
            ]
            .iter()
            .all(|t| *t != Some(Duration::ZERO))
        );
    }
    // Off is fine.
    assert_eq!(Config::default().ping_interval(None).validate(), Ok(()));
}
