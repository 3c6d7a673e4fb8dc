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
    let mut c = Connection::client(
        ClientRequest::new("h", "/").protocol("chat"),
        config,
        Rng::entropy(5),
    )
    .unwrap();
    let request = String::from_utf8(take_output(&mut c)).unwrap();
    let key = request
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap();
    let accept = String::from_utf8(rfc6455::accept_key(key.as_bytes()).to_vec()).unwrap();
    (c, accept)
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
