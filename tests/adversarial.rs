//! Hostile input, one case per test: one line of input, one asserted
//! outcome (a close code, an HTTP status, a usage error or an event).
//! The helpers check the rest of the contract every time: the failure is
//! the last event, the close frame carrying the code is the last thing
//! sent, and nothing more is read afterwards.

mod common;

use common::*;
use rfc6455::{
    Accept, ClientRequest, Config, Connection, Event, PeerError, Reject, State, UsageError,
};

// ---- helpers ----

/// The close code an OPEN server ends with after `input` (with `config`),
/// checking that a failure's close frame carries the code and is the last
/// thing sent, and that later input is ignored.
fn close_code_with(config: Config, input: &[u8]) -> u16 {
    let mut s = open_server(config);
    s.handle_input(input);
    let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    let Some(Event::Close(close)) = events.last() else {
        panic!("no Close event: {events:?}")
    };
    let code = close.code.as_u16();
    let out = take_output(&mut s);
    if !close.clean {
        assert!(
            matches!(events[events.len() - 2], Event::Error(PeerError::Protocol(p)) if p.close_code().as_u16() == code),
            "{events:?}"
        );
        let n = out.len();
        let last_close = out
            .windows(4)
            .rposition(|w| w[0] == 0x88 && w[2..4] == code.to_be_bytes())
            .expect("a close frame with the code");
        assert_eq!(last_close + 2 + usize::from(out[last_close + 1]), n);
    }
    assert_eq!(s.state(), State::Closed);
    s.handle_input(&cframe(true, 1, b"more"));
    assert!(s.poll_event().is_none(), "input after the close is ignored");
    code
}

fn close_code(input: &[u8]) -> u16 {
    close_code_with(Config::default(), input)
}

/// The close code an OPEN client ends with after `input`.
fn client_close_code(input: &[u8]) -> u16 {
    let mut c = open_client(Config::default());
    c.handle_input(input);
    let events: Vec<Event> = std::iter::from_fn(|| c.poll_event()).collect();
    match events.last() {
        Some(Event::Close(close)) => close.code.as_u16(),
        other => panic!("{other:?}"),
    }
}

/// The events an OPEN server reports for `input`.
fn events(input: &[u8]) -> Vec<String> {
    let mut s = open_server(Config::default());
    s.handle_input(input);
    drain(&mut s)
}

/// The HTTP status a fresh server answers `head` with, checking that an
/// error and a Close are reported and the transport is to be closed.
fn status(head: &[u8]) -> u16 {
    let mut s = server();
    s.handle_input(head);
    let events: Vec<String> = std::iter::from_fn(|| s.poll_event())
        .map(|e| describe(&e))
        .collect();
    assert!(events[0].starts_with("error Handshake"), "{events:?}");
    assert_eq!(events[1], "close 1006 \"\" Library clean=false");
    let out = take_output(&mut s);
    assert!(s.should_close_transport());
    std::str::from_utf8(&out[9..12]).unwrap().parse().unwrap()
}

fn req(from: &str, to: &str) -> Vec<u8> {
    assert!(REQUEST.contains(from), "{from}");
    REQUEST.replacen(from, to, 1).into_bytes()
}

/// The first event a client reports for the response `head`, where
/// `{accept}` stands for the right accept key.
fn client_response(head: &str) -> String {
    let (mut c, accept) = started_client(ClientRequest::new("h", "/").protocol("chat"));
    c.handle_input(head.replace("{accept}", &accept).as_bytes());
    c.poll_event().map(|e| describe(&e)).unwrap_or_default()
}

const OK_101: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n";

/// A server that has handed `REQUEST` to the application.
fn server_with_request() -> Connection {
    let mut s = server();
    s.handle_input(REQUEST.as_bytes());
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    s
}

fn with_limit(max_message_size: usize) -> Config {
    let mut c = Config::default();
    c.max_message_size = max_message_size;
    c
}

fn masked_header(b0: u8, len_bytes: &[u8]) -> Vec<u8> {
    [&[b0][..], len_bytes, &[1, 2, 3, 4]].concat()
}

// ---- server handshake ----

#[test]
fn handshake_missing_host_is_400() {
    assert_eq!(status(&req("Host: server.example.com\r\n", "")), 400);
}

#[test]
fn handshake_duplicate_host_is_400() {
    assert_eq!(
        status(&req(
            "Host: server.example.com\r\n",
            "Host: a\r\nHost: b\r\n"
        )),
        400
    );
}

#[test]
fn handshake_missing_upgrade_is_400() {
    assert_eq!(status(&req("Upgrade: websocket\r\n", "")), 400);
}

#[test]
fn handshake_upgrade_to_h2c_is_400() {
    assert_eq!(status(&req("Upgrade: websocket", "Upgrade: h2c")), 400);
}

#[test]
fn handshake_missing_connection_is_400() {
    assert_eq!(status(&req("Connection: Upgrade\r\n", "")), 400);
}

#[test]
fn handshake_missing_key_is_400() {
    assert_eq!(
        status(&req("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "")),
        400
    );
}

#[test]
fn handshake_duplicate_key_is_400() {
    let two = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n";
    assert_eq!(
        status(&req("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", two)),
        400
    );
}

#[test]
fn handshake_key_not_base64_is_400() {
    assert_eq!(
        status(&req("dGhlIHNhbXBsZSBub25jZQ==", "!!!!!!!!!!!!!!!!!!!!!!==")),
        400
    );
}

#[test]
fn handshake_key_of_17_bytes_is_400() {
    assert_eq!(
        status(&req("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZXgx")),
        400
    );
}

#[test]
fn handshake_key_with_stray_trailing_bits_is_400() {
    assert_eq!(
        status(&req("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZR==")),
        400
    );
}

#[test]
fn handshake_missing_version_is_426() {
    assert_eq!(status(&req("Sec-WebSocket-Version: 13\r\n", "")), 426);
}

#[test]
fn handshake_version_8_is_426() {
    assert_eq!(status(&req("Version: 13", "Version: 8")), 426);
}

#[test]
fn handshake_version_list_13_and_8_is_426() {
    assert_eq!(status(&req("Version: 13", "Version: 13, 8")), 426);
}

#[test]
fn handshake_version_header_twice_is_426() {
    assert_eq!(
        status(&req(
            "Sec-WebSocket-Version: 13\r\n",
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13\r\n"
        )),
        426
    );
}

#[test]
fn handshake_post_is_405() {
    assert_eq!(status(&req("GET ", "POST ")), 405);
}

#[test]
fn handshake_http_1_0_is_505() {
    assert_eq!(status(&req("HTTP/1.1", "HTTP/1.0")), 505);
}

#[test]
fn handshake_oversized_head_is_431() {
    assert_eq!(
        status(&req(
            "Origin:",
            &format!("X-Pad: {}\r\nOrigin:", "p".repeat(7000)).repeat(3)
        )),
        431
    );
}

#[test]
fn handshake_endless_head_is_431_at_the_limit() {
    assert_eq!(
        status(
            &b"GET / HTTP/1.1\r\n"
                .iter()
                .chain(&b"X: y\r\n".repeat(3000))
                .copied()
                .collect::<Vec<u8>>()
        ),
        431
    );
}

#[test]
fn handshake_header_line_over_8_kib_is_431() {
    assert_eq!(
        status(&req(
            "Origin: http://example.com",
            &format!("Origin: {}", "o".repeat(9000))
        )),
        431
    );
}

#[test]
fn handshake_too_many_headers_is_431() {
    assert_eq!(
        status(&req("Origin:", &("X-N: 1\r\n".repeat(100) + "Origin:"))),
        431
    );
}

#[test]
fn handshake_tls_client_hello_is_400() {
    assert_eq!(
        status(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"),
        400
    );
}

#[test]
fn handshake_nul_in_header_value_is_400() {
    assert_eq!(
        status(&req(
            "Origin: http://example.com",
            "Origin: http://exa\0mple.com"
        )),
        400
    );
}

#[test]
fn handshake_obsolete_line_folding_is_400() {
    assert_eq!(
        status(&req(
            "Origin: http://example.com\r\n",
            "Origin: http://example.com\r\n folded\r\n"
        )),
        400
    );
}

#[test]
fn handshake_space_before_colon_is_400() {
    assert_eq!(status(&req("Host: server", "Host : server")), 400);
}

#[test]
fn handshake_trickled_one_byte_at_a_time_is_accepted() {
    let mut s = server();
    REQUEST
        .as_bytes()
        .iter()
        .for_each(|b| s.handle_input(std::slice::from_ref(b)));
    assert_eq!(drain(&mut s), ["request /chat", "open Some(\"chat\")"]);
}

#[test]
fn handshake_with_bare_lf_line_ends_is_accepted() {
    assert_eq!(
        server_verdict(Config::default(), REQUEST.replace("\r\n", "\n").as_bytes()).0,
        ["request /chat"]
    );
}

#[test]
fn handshake_header_names_in_any_case_are_accepted() {
    assert_eq!(
        server_verdict(
            Config::default(),
            b"GET /chat HTTP/1.1\r\nhOST: h\r\nupgrade: WebSocket\r\nCONNECTION: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nSEC-WEBSOCKET-VERSION: 13\r\n\r\n"
        )
        .0,
        ["request /chat"]
    );
}

#[test]
fn handshake_frames_behind_the_head_are_decoded_after_accept() {
    let mut s = server();
    s.handle_input(
        &[
            REQUEST.as_bytes(),
            &cframe(true, 1, b"early"),
            &cframe(true, 8, &close_payload(1000, "")),
        ]
        .concat(),
    );
    assert_eq!(
        drain(&mut s),
        [
            "request /chat",
            "open Some(\"chat\")",
            "text \"early\"",
            "close 1000 \"\" Remote clean=true"
        ]
    );
}

#[test]
fn handshake_eof_in_the_middle_of_the_head_is_1006() {
    let mut s = server();
    s.handle_input(&REQUEST.as_bytes()[..40]);
    s.handle_eof();
    assert_eq!(drain(&mut s), ["close 1006 \"\" Remote clean=false"]);
}

// ---- CR/LF injection through the builders ----

#[test]
fn client_request_header_value_with_crlf_is_refused() {
    assert_eq!(
        Connection::client(
            ClientRequest::new("h", "/").header("X-A", "1\r\nX-Evil: 1"),
            Config::default(),
            Rng::entropy(1)
        )
        .unwrap_err(),
        UsageError::InvalidHeader
    );
}

#[test]
fn client_request_header_value_with_bare_lf_is_refused() {
    assert_eq!(
        Connection::client(
            ClientRequest::new("h", "/").header("X-A", "1\nX-Evil: 1"),
            Config::default(),
            Rng::entropy(1)
        )
        .unwrap_err(),
        UsageError::InvalidHeader
    );
}

#[test]
fn client_request_header_name_with_crlf_is_refused() {
    assert_eq!(
        Connection::client(
            ClientRequest::new("h", "/").header("X-A\r\nX-Evil", "1"),
            Config::default(),
            Rng::entropy(1)
        )
        .unwrap_err(),
        UsageError::InvalidHeader
    );
}

#[test]
fn client_request_host_with_crlf_is_refused() {
    assert_eq!(
        Connection::client(
            ClientRequest::new("h\r\nX-Evil: 1", "/"),
            Config::default(),
            Rng::entropy(1)
        )
        .unwrap_err(),
        UsageError::InvalidUrl
    );
}

/// "Fragment identifiers are meaningless in the context of WebSocket URIs
/// and MUST NOT be used on these URIs. ... the character "#" ... MUST be
/// escaped as %23" (RFC 6455 §3); DEL is a control character, allowed in
/// neither a `Host` value nor a request-target (RFC 9110 §4.1, RFC 9112
/// §3.2). A request built by hand is held to the same rule as a URL.
#[test]
fn client_request_with_a_fragment_or_del_is_refused() {
    for (host, path) in [
        ("h", "/chat#frag"),
        ("h#x", "/"),
        ("h", "/a\x7fb"),
        ("h\x7f", "/"),
    ] {
        assert_eq!(
            Connection::client(
                ClientRequest::new(host, path),
                Config::default(),
                Rng::entropy(1)
            )
            .unwrap_err(),
            UsageError::InvalidUrl,
            "{host:?} {path:?}"
        );
    }
    // Escaped, the same characters are fine.
    assert!(
        Connection::client(
            ClientRequest::new("h", "/chat%23frag%7F"),
            Config::default(),
            Rng::entropy(1)
        )
        .is_ok()
    );
}

#[test]
fn client_request_path_with_crlf_is_refused() {
    assert_eq!(
        Connection::client(
            ClientRequest::new("h", "/\r\nX-Evil: 1"),
            Config::default(),
            Rng::entropy(1)
        )
        .unwrap_err(),
        UsageError::InvalidUrl
    );
}

#[test]
fn client_request_origin_with_lf_is_refused() {
    assert_eq!(
        Connection::client(
            ClientRequest::new("h", "/").origin("o\nX-Evil: 1"),
            Config::default(),
            Rng::entropy(1)
        )
        .unwrap_err(),
        UsageError::InvalidHeader
    );
}

#[test]
fn client_request_protocol_with_crlf_is_refused() {
    assert_eq!(
        Connection::client(
            ClientRequest::new("h", "/").protocol("chat\r\nX-Evil: 1"),
            Config::default(),
            Rng::entropy(1)
        )
        .unwrap_err(),
        UsageError::InvalidProtocol
    );
}

#[test]
fn accept_header_value_with_crlf_is_refused_and_nothing_is_sent() {
    let mut s = server_with_request();
    assert_eq!(
        s.accept(Accept::new().header("X-A", "1\r\nX-Evil: 1")),
        Err(UsageError::InvalidHeader)
    );
    assert!(s.poll_transmit().is_none() && s.state() == State::Connecting);
}

#[test]
fn accept_header_name_with_lf_is_refused() {
    assert_eq!(
        server_with_request().accept(Accept::new().header("X-A\nX-Evil", "1")),
        Err(UsageError::InvalidHeader)
    );
}

#[test]
fn accept_reserved_header_is_refused() {
    assert_eq!(
        server_with_request().accept(Accept::new().header("Sec-WebSocket-Accept", "forged")),
        Err(UsageError::ReservedHeader)
    );
}

#[test]
fn reject_header_value_with_crlf_is_refused_and_nothing_is_sent() {
    let mut s = server_with_request();
    assert_eq!(
        s.reject(Reject::new(403).header("X-A", "1\r\n\r\n<html>")),
        Err(UsageError::InvalidHeader)
    );
    assert!(s.poll_transmit().is_none() && s.state() == State::Connecting);
}

#[test]
fn reject_header_value_with_nul_is_refused() {
    assert_eq!(
        server_with_request().reject(Reject::new(403).header("X-A", "a\0b")),
        Err(UsageError::InvalidHeader)
    );
}

#[test]
fn reject_status_101_is_refused() {
    assert_eq!(
        server_with_request().reject(Reject::new(101)),
        Err(UsageError::InvalidStatus)
    );
}

// ---- client handshake ----

#[test]
fn client_101_with_wrong_accept_fails() {
    assert_eq!(
        client_response(&(OK_101.replace("{accept}", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") + "\r\n")),
        "error Handshake(BadAccept)"
    );
}

#[test]
fn client_101_without_accept_fails() {
    assert_eq!(
        client_response(&(OK_101.replace("Sec-WebSocket-Accept: {accept}\r\n", "") + "\r\n")),
        "error Handshake(BadAccept)"
    );
}

#[test]
fn client_101_with_two_accepts_fails() {
    assert_eq!(
        client_response(&format!("{OK_101}Sec-WebSocket-Accept: {{accept}}\r\n\r\n")),
        "error Handshake(BadAccept)"
    );
}

#[test]
fn client_101_without_connection_upgrade_fails() {
    assert_eq!(
        client_response(&(OK_101.replace("Connection: Upgrade\r\n", "") + "\r\n")),
        "error Handshake(NotUpgrade)"
    );
}

#[test]
fn client_101_choosing_unoffered_protocol_fails() {
    assert_eq!(
        client_response(&format!("{OK_101}Sec-WebSocket-Protocol: mqtt\r\n\r\n")),
        "error Handshake(UnofferedProtocol)"
    );
}

#[test]
fn client_101_choosing_two_protocols_fails() {
    assert_eq!(
        client_response(&format!(
            "{OK_101}Sec-WebSocket-Protocol: chat, chat\r\n\r\n"
        )),
        "error Handshake(UnofferedProtocol)"
    );
}

#[test]
fn client_101_with_unoffered_extension_fails() {
    assert_eq!(
        client_response(&format!(
            "{OK_101}Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n"
        )),
        "error Handshake(UnofferedExtension)"
    );
}

#[test]
fn client_200_is_a_rejection() {
    assert_eq!(
        client_response("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
        "rejected 200 \"hi\""
    );
}

#[test]
fn client_oversized_response_head_fails() {
    assert_eq!(
        client_response(&format!("{OK_101}{}", "X-Pad: aaaaaaaa\r\n".repeat(2000))),
        "error Handshake(HeadTooLarge)"
    );
}

#[test]
fn client_garbage_response_fails() {
    assert_eq!(
        client_response("SSH-2.0-OpenSSH_9.6\r\n\r\n"),
        "error Handshake(Malformed)"
    );
}

#[test]
fn client_valid_101_opens() {
    assert_eq!(
        client_response(&format!("{OK_101}Sec-WebSocket-Protocol: chat\r\n\r\n")),
        "open Some(\"chat\")"
    );
}

// ---- framing ----

#[test]
fn unmasked_client_frame_is_1002() {
    assert_eq!(close_code(&sframe(true, 1, b"hi")), 1002);
}

#[test]
fn masked_server_frame_is_1002() {
    assert_eq!(client_close_code(&cframe(true, 1, b"hi")), 1002);
}

#[test]
fn length_with_top_bit_set_is_1002() {
    assert_eq!(
        close_code(&masked_header(0x82, &[0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1])),
        1002
    );
}

#[test]
fn declared_length_of_2_pow_40_against_1_mib_is_1009_at_the_header() {
    assert_eq!(
        close_code_with(
            with_limit(1 << 20),
            &masked_header(0x82, &[&[0xFF][..], &(1u64 << 40).to_be_bytes()].concat())
        ),
        1009
    );
}

#[test]
fn declared_length_of_2_pow_63_minus_1_is_1009() {
    assert_eq!(
        close_code(&masked_header(
            0x82,
            &[&[0xFF][..], &(i64::MAX as u64).to_be_bytes()].concat()
        )),
        1009
    );
}

#[test]
fn non_minimal_16_bit_length_is_1002() {
    assert_eq!(close_code(&masked_header(0x82, &[0xFE, 0x00, 0x7D])), 1002);
}

#[test]
fn non_minimal_64_bit_length_is_1002() {
    assert_eq!(
        close_code(&masked_header(0x82, &[0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF])),
        1002
    );
}

#[test]
fn non_minimal_zero_length_is_1002() {
    assert_eq!(close_code(&masked_header(0x82, &[0xFE, 0x00, 0x00])), 1002);
}

#[test]
fn rsv1_is_1002() {
    assert_eq!(
        close_code(&frame_with(true, 0b100, 1, b"x", Some([1, 2, 3, 4]))),
        1002
    );
}

#[test]
fn rsv2_is_1002() {
    assert_eq!(
        close_code(&frame_with(true, 0b010, 2, b"x", Some([1, 2, 3, 4]))),
        1002
    );
}

#[test]
fn rsv3_on_a_ping_is_1002() {
    assert_eq!(
        close_code(&frame_with(true, 0b001, 9, b"x", Some([1, 2, 3, 4]))),
        1002
    );
}

#[test]
fn reserved_data_opcode_is_1002() {
    assert_eq!(close_code(&cframe(true, 0x3, b"x")), 1002);
}

#[test]
fn reserved_control_opcode_is_1002() {
    assert_eq!(close_code(&cframe(true, 0xB, b"")), 1002);
}

#[test]
fn ping_of_126_bytes_is_1002() {
    assert_eq!(close_code(&cframe(true, 9, &[0; 126])), 1002);
}

#[test]
fn close_of_126_bytes_is_1002() {
    assert_eq!(
        close_code(&cframe(true, 8, &close_payload(1000, &"r".repeat(124)))),
        1002
    );
}

#[test]
fn fragmented_ping_is_1002() {
    assert_eq!(close_code(&cframe(false, 9, b"x")), 1002);
}

#[test]
fn fragmented_close_is_1002() {
    assert_eq!(
        close_code(&cframe(false, 8, &close_payload(1000, ""))),
        1002
    );
}

#[test]
fn continuation_with_nothing_to_continue_is_1002() {
    assert_eq!(close_code(&cframe(true, 0, b"orphan")), 1002);
}

#[test]
fn continuation_after_a_finished_message_is_1002() {
    assert_eq!(
        close_code(&[cframe(true, 1, b"done"), cframe(true, 0, b"more")].concat()),
        1002
    );
}

#[test]
fn new_message_inside_a_fragmented_one_is_1002() {
    assert_eq!(
        close_code(&[cframe(false, 2, b"a"), cframe(true, 1, b"b")].concat()),
        1002
    );
}

// ---- messages ----

#[test]
fn invalid_utf8_in_the_first_chunk_is_1007() {
    assert_eq!(close_code(&cframe(true, 1, b"\xff valid after")), 1007);
}

#[test]
fn invalid_utf8_in_a_later_chunk_is_1007() {
    assert_eq!(
        close_code(
            &[
                cframe(false, 1, "κό".as_bytes()),
                cframe(false, 0, b"ok"),
                cframe(true, 0, b"\xc0\xaf")
            ]
            .concat()
        ),
        1007
    );
}

#[test]
fn invalid_utf8_before_the_frame_completes_is_1007() {
    assert_eq!(
        close_code(
            &cframe(
                true,
                1,
                &[b"ok\xed\xa0\x80".as_slice(), &[b'x'; 1000]].concat()
            )[..12]
        ),
        1007
    );
}

#[test]
fn code_point_cut_off_at_the_end_of_the_message_is_1007() {
    assert_eq!(
        close_code(&[cframe(false, 1, b"\xe2\x82"), cframe(true, 0, b"")].concat()),
        1007
    );
}

#[test]
fn code_point_split_across_fragments_is_accepted() {
    assert_eq!(
        events(
            &[
                cframe(false, 1, b"\xe2"),
                cframe(false, 0, b"\x82"),
                cframe(true, 0, b"\xac")
            ]
            .concat()
        ),
        ["text \"€\""]
    );
}

#[test]
fn utf8_surrogate_is_1007() {
    assert_eq!(close_code(&cframe(true, 1, b"\xed\xb0\x80")), 1007);
}

#[test]
fn utf8_above_u10ffff_is_1007() {
    assert_eq!(close_code(&cframe(true, 1, b"\xf4\x90\x80\x80")), 1007);
}

#[test]
fn twenty_thousand_empty_continuations_are_1008_over_the_fragment_limit() {
    assert_eq!(
        close_code(
            &[
                cframe(false, 2, b""),
                cframe(false, 0, b"").repeat(20_000),
                cframe(true, 0, b"")
            ]
            .concat()
        ),
        1008
    );
}

#[test]
fn twenty_thousand_empty_continuations_within_a_raised_limit_are_one_empty_message() {
    let mut cfg = Config::default();
    cfg.max_fragments = 30_000;
    let mut s = open_server(cfg);
    s.handle_input(
        &[
            cframe(false, 2, b""),
            cframe(false, 0, b"").repeat(20_000),
            cframe(true, 0, b""),
        ]
        .concat(),
    );
    assert_eq!(
        drain(&mut s),
        [format!("binary len=0 hash={:x}", hash(b""))]
    );
}

#[test]
fn message_of_exactly_the_limit_is_accepted() {
    assert_eq!(
        events_with(
            with_limit(1000),
            &[cframe(false, 2, &[1; 600]), cframe(true, 0, &[2; 400])].concat()
        )
        .len(),
        1
    );
}

fn events_with(config: Config, input: &[u8]) -> Vec<String> {
    let mut s = open_server(config);
    s.handle_input(input);
    drain(&mut s)
}

#[test]
fn message_one_byte_over_the_limit_is_1009() {
    assert_eq!(
        close_code_with(
            with_limit(1000),
            &[cframe(false, 2, &[1; 600]), cframe(true, 0, &[2; 401])].concat()
        ),
        1009
    );
}

#[test]
fn message_over_the_limit_is_1009_before_its_payload_arrives() {
    assert_eq!(
        close_code_with(
            with_limit(1000),
            &[
                cframe(false, 2, &[1; 600]),
                cframe(true, 0, &[2; 401])[..8].to_vec()
            ]
            .concat()
        ),
        1009
    );
}

#[test]
fn frame_over_the_frame_limit_is_1009() {
    assert_eq!(
        close_code_with(
            {
                let mut c = Config::default();
                c.max_frame_size = 100;
                c
            },
            &cframe(true, 2, &[0; 101])
        ),
        1009
    );
}

// ---- close frames ----

#[test]
fn every_invalid_close_code_is_1002() {
    let valid = |c: u16| matches!(c, 1000..=1003 | 1007..=1014 | 3000..=4999);
    assert!(
        (0..=u16::MAX)
            .filter(|&c| !valid(c))
            .all(|c| close_code(&cframe(true, 8, &c.to_be_bytes())) == 1002)
    );
}

#[test]
fn every_valid_close_code_is_echoed() {
    let valid = |c: u16| matches!(c, 1000..=1003 | 1007..=1014 | 3000..=4999);
    assert!(
        (0..=u16::MAX)
            .filter(|&c| valid(c))
            .all(|c| close_code(&cframe(true, 8, &c.to_be_bytes())) == c)
    );
}

#[test]
fn one_byte_close_payload_is_1002() {
    assert_eq!(close_code(&cframe(true, 8, &[0x03])), 1002);
}

#[test]
fn close_reason_of_124_bytes_is_1002() {
    assert_eq!(
        close_code(&cframe(true, 8, &close_payload(1000, &"x".repeat(124)))),
        1002
    );
}

#[test]
fn close_reason_of_123_bytes_is_accepted_and_echoed() {
    assert_eq!(
        events(&cframe(true, 8, &close_payload(4000, &"x".repeat(123)))),
        [format!(
            "close 4000 {:?} Remote clean=true",
            "x".repeat(123)
        )]
    );
}

#[test]
fn close_reason_with_invalid_utf8_is_1007() {
    assert_eq!(
        close_code(&cframe(true, 8, b"\x03\xe8bad \xff reason")),
        1007
    );
}

#[test]
fn empty_close_is_reported_as_1005() {
    assert_eq!(close_code(&cframe(true, 8, b"")), 1005);
}

#[test]
fn data_after_a_close_is_ignored() {
    assert_eq!(
        events(
            &[
                cframe(true, 8, &close_payload(1000, "")),
                cframe(true, 1, b"late"),
                cframe(true, 9, b"late ping")
            ]
            .concat()
        ),
        ["close 1000 \"\" Remote clean=true"]
    );
}

#[test]
fn garbage_after_a_close_is_ignored() {
    assert_eq!(
        events(&[cframe(true, 8, &close_payload(1001, "")), vec![0xFF; 64]].concat()),
        ["close 1001 \"\" Remote clean=true"]
    );
}

// ---- control traffic ----

#[test]
fn hundred_thousand_pings_with_output_never_taken_keep_pending_output_bounded() {
    let mut s = open_server(Config::default());
    let ping = cframe(true, 9, &[0xAB; 125]);
    (0..100_000).for_each(|_| {
        s.handle_input(&ping);
        while s.poll_event().is_some() {}
        assert!(s.buffered_amount() <= 16 * (125 + 6));
    });
}

#[test]
fn hundred_thousand_pings_in_one_read_keep_pending_output_bounded() {
    let mut s = open_server(Config::default());
    s.handle_input(&cframe(true, 9, b"0123456789").repeat(100_000));
    // Frames are read as events are taken: take them all, writing nothing.
    let mut pings = 0;
    while let Some(e) = s.poll_event() {
        assert!(matches!(e, Event::Ping(_)));
        pings += 1;
    }
    assert_eq!(pings, 100_000);
    assert!(s.buffered_amount() <= 16 * (10 + 6));
}

/// "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in
/// response, unless it already received a Close frame" (§5.5.2): having
/// sent one is no exception (issue 16). Data frames stay forbidden.
#[test]
fn pings_after_our_close_are_answered() {
    let mut s = open_server(Config::default());
    s.close(rfc6455::CloseCode::NORMAL, "").unwrap();
    let _ = take_output(&mut s);
    s.handle_input(&cframe(true, 9, b"late").repeat(3));
    while s.poll_event().is_some() {}
    assert_eq!(s.state(), State::Closing);
    assert_eq!(
        take_output(&mut s),
        [0x8A, 4, b'l', b'a', b't', b'e'].repeat(3)
    );
    assert_eq!(s.pong(b"beat"), Ok(()));
    assert_eq!(s.send_text("data"), Err(UsageError::InvalidState));
}

#[test]
fn unsolicited_pong_is_reported_and_not_answered() {
    assert_eq!(
        events(&cframe(true, 10, b"heartbeat")),
        ["pong \"heartbeat\""]
    );
}

// ---- regressions for library bugs found by fuzzing ----

/// A head with an `Origin` line of exactly `max_header_line` bytes, and
/// the offset just past that line's CR.
fn head_with_line_at_the_limit() -> (Vec<u8>, usize) {
    let limit = Config::default().max_header_line;
    let line = format!("Origin: {}", "o".repeat(limit - "Origin: ".len()));
    assert_eq!(line.len(), limit);
    let head = req("Origin: http://example.com", &line);
    let cr = head.windows(2).position(|w| w == b"o\r").unwrap() + 2;
    (head, cr)
}

#[test]
fn header_line_of_exactly_the_limit_is_accepted() {
    assert_eq!(
        server_verdict(Config::default(), &head_with_line_at_the_limit().0).0,
        ["request /chat"]
    );
}

#[test]
fn header_line_of_exactly_the_limit_is_accepted_when_a_read_ends_after_its_cr() {
    let (head, cr) = head_with_line_at_the_limit();
    assert_eq!(
        feed_in_pieces(&server, &head, &[cr]).0,
        ["request /chat", "open Some(\"chat\")"]
    );
}

#[test]
fn response_line_of_exactly_the_limit_is_accepted_when_a_read_ends_after_its_cr() {
    let line = format!(
        "X-Pad: {}",
        "p".repeat(Config::default().max_header_line - 7)
    );
    let head = format!("{OK_101}{line}\r\n\r\n");
    let cr = head.find("p\r").unwrap() + 2;
    assert_eq!(client_response_in_pieces(&head, &[cr]), ["open None"]);
}

#[test]
fn response_line_of_exactly_the_limit_is_accepted_in_one_read() {
    let line = format!(
        "X-Pad: {}",
        "p".repeat(Config::default().max_header_line - 7)
    );
    assert_eq!(
        client_response_in_pieces(&format!("{OK_101}{line}\r\n\r\n"), &[]),
        ["open None"]
    );
}

/// Every event a client reports for the response `head` (`{accept}` is
/// the right key), fed in pieces cut at `cuts` (offsets after the
/// substitution).
fn client_response_in_pieces(head: &str, cuts: &[usize]) -> Vec<String> {
    let make = || {
        Connection::client(
            ClientRequest::new("h", "/").protocol("chat"),
            Config::default(),
            Rng::entropy(9),
        )
        .unwrap()
    };
    let request = String::from_utf8(take_output(&mut make())).unwrap();
    let key = request
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap();
    let accept = String::from_utf8(rfc6455::accept_key(key.as_bytes()).to_vec()).unwrap();
    assert_eq!(accept.len(), "{accept}".len() + 20);
    let input = head.replace("{accept}", &accept);
    let shift = |c: usize| {
        if c > head.find("{accept}").unwrap() {
            c + 20
        } else {
            c
        }
    };
    let cuts: Vec<usize> = cuts.iter().map(|&c| shift(c)).collect();
    feed_in_pieces(&make, input.as_bytes(), &cuts).0
}

// ---- reading straight into the connection's buffer ----

/// Feeds `input` through `input_buffer` / `commit_input`, lending `extra`
/// bytes more than each read fills.
fn commit_in_reads(conn: &mut Connection, input: &[u8], read: usize, extra: usize) {
    for piece in input.chunks(read) {
        read_into(conn, piece, piece.len() + extra);
    }
}

#[test]
fn reads_committed_into_the_lent_buffer_give_the_same_events() {
    let mut s = server();
    commit_in_reads(
        &mut s,
        &[
            REQUEST.as_bytes(),
            &cframe(true, 1, "κόσμε".as_bytes()),
            &cframe(true, 8, &close_payload(1000, "")),
        ]
        .concat(),
        7,
        100,
    );
    assert_eq!(
        drain(&mut s),
        [
            "request /chat",
            "open Some(\"chat\")",
            "text \"κόσμε\"",
            "close 1000 \"\" Remote clean=true"
        ]
    );
}

#[test]
fn a_lent_buffer_given_back_unused_changes_nothing() {
    let mut s = open_server(Config::default());
    let _ = s.input_buffer(4096);
    s.commit_input(0);
    s.handle_input(&cframe(true, 1, b"after"));
    assert_eq!(drain(&mut s), ["text \"after\""]);
}

#[test]
fn commit_without_a_lent_buffer_is_ignored() {
    let mut s = open_server(Config::default());
    s.commit_input(100);
    s.handle_input(&cframe(true, 1, b"x"));
    assert_eq!(drain(&mut s), ["text \"x\""]);
}

#[test]
fn accept_does_not_read_a_buffer_that_is_only_lent() {
    let mut s = server();
    s.handle_input(REQUEST.as_bytes());
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    let _ = s.input_buffer(64);
    s.accept(Accept::new()).unwrap();
    assert_eq!(drain(&mut s), ["open None"]);
}

#[test]
fn eof_after_a_lent_buffer_keeps_the_rejection_body_exact() {
    let mut c = Connection::client(
        ClientRequest::new("h", "/"),
        Config::default(),
        Rng::entropy(9),
    )
    .unwrap();
    commit_in_reads(
        &mut c,
        b"HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\nmoved",
        5,
        0,
    );
    let _ = c.input_buffer(8);
    c.handle_eof();
    assert_eq!(
        drain(&mut c),
        [
            "rejected 302 \"moved\"",
            "close 1006 \"\" Remote clean=false"
        ]
    );
}

// ---- surfaces that hostile input reaches ----

fn request(head: &[u8]) -> rfc6455::Request {
    let mut s = server();
    s.handle_input(head);
    match s.poll_event() {
        Some(Event::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn request_values_lose_surrounding_white_space() {
    assert_eq!(
        request(&req(
            "Origin: http://example.com",
            "Origin: \t http://example.com \t "
        ))
        .origin(),
        Some("http://example.com")
    );
}

#[test]
fn request_head_is_kept_exactly() {
    assert_eq!(request(REQUEST.as_bytes()).as_bytes(), REQUEST.as_bytes());
}

#[test]
fn extension_offers_with_quoted_values_and_escapes_are_unquoted() {
    let exts = request(&req(
        "Origin:",
        "Sec-WebSocket-Extensions: foo; bar=\"a\\bc\"; n=7, , qux\r\nOrigin:",
    ))
    .extensions();
    assert_eq!(
        exts.iter()
            .map(|e| format!("{}{:?}", e.name, e.params))
            .collect::<Vec<_>>(),
        [
            "foo[(\"bar\", Some(\"abc\")), (\"n\", Some(\"7\"))]",
            "qux[]"
        ]
    );
}

#[test]
fn extension_offer_with_a_quoted_value_that_is_no_token_gives_none() {
    // "When using the quoted-string syntax variant, the value after
    // quoted-string unescaping MUST conform to the 'token' ABNF" (§9.1): a
    // comma or a quote inside the quotes splits nothing, and breaks the
    // header, as the permessage-deflate offers read it too.
    for value in ["\"a\\\"b\"", "\"b,c\"", "\"b c\""] {
        let r = request(&req(
            "Origin:",
            &format!("Sec-WebSocket-Extensions: foo; bar={value}, qux\r\nOrigin:"),
        ));
        assert!(r.extensions().is_empty(), "{value}");
    }
}

#[test]
fn extension_offer_with_junk_after_an_element_gives_none() {
    assert!(
        request(&req(
            "Origin:",
            "Sec-WebSocket-Extensions: foo bar\r\nOrigin:"
        ))
        .extensions()
        .is_empty()
    );
}

#[test]
fn extension_offer_with_an_empty_parameter_gives_none() {
    assert!(
        request(&req(
            "Origin:",
            "Sec-WebSocket-Extensions: foo; ; x\r\nOrigin:"
        ))
        .extensions()
        .is_empty()
    );
}

#[test]
fn extension_offer_with_an_unterminated_quote_gives_none() {
    assert!(
        request(&req(
            "Origin:",
            "Sec-WebSocket-Extensions: foo; a=\"open\\\r\nOrigin:"
        ))
        .extensions()
        .is_empty()
    );
}

#[test]
fn rejection_headers_and_head_are_reported_as_received() {
    let mut c = Connection::client(
        ClientRequest::new("h", "/"),
        Config::default(),
        Rng::entropy(9),
    )
    .unwrap();
    c.handle_input(b"HTTP/1.1 503 Busy\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n");
    let Some(Event::Rejected(r)) = c.poll_event() else {
        panic!()
    };
    assert_eq!(
        (
            r.headers().count(),
            r.header("retry-after"),
            r.as_bytes().len()
        ),
        (2, Some(&b"5"[..]), 56)
    );
}

/// The status line of a refusal: "status-line = HTTP-version SP
/// status-code SP [ reason-phrase ]" (RFC 9112 §4), with the reason
/// phrases of RFC 9110 §15 (RFC 6585 §4, §5 for 429 and 431); any other
/// status gets a placeholder, since "A client SHOULD ignore the
/// reason-phrase content" (RFC 9112 §4).
#[test]
fn refusals_carry_their_status_and_reason_phrase() {
    for (status, phrase) in [
        (200, "OK"),
        (204, "No Content"),
        (301, "Moved Permanently"),
        (302, "Found"),
        (400, "Bad Request"),
        (401, "Unauthorized"),
        (403, "Forbidden"),
        (404, "Not Found"),
        (405, "Method Not Allowed"),
        (408, "Request Timeout"),
        (414, "URI Too Long"),
        (426, "Upgrade Required"),
        (429, "Too Many Requests"),
        (431, "Request Header Fields Too Large"),
        (500, "Internal Server Error"),
        (503, "Service Unavailable"),
        (505, "HTTP Version Not Supported"),
        (100, "Status"),
        (418, "Status"),
        (599, "Status"),
    ] {
        let mut s = server_with_request();
        s.reject(Reject::new(status)).unwrap();
        assert!(
            String::from_utf8(take_output(&mut s))
                .unwrap()
                .starts_with(&format!("HTTP/1.1 {status} {phrase}\r\n")),
            "{status}"
        );
    }
}

#[test]
fn client_101_with_two_protocol_headers_fails() {
    assert_eq!(
        client_response(&format!(
            "{OK_101}Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
        )),
        "error Handshake(UnofferedProtocol)"
    );
}

#[test]
fn client_request_origin_given_as_a_header_is_refused() {
    assert_eq!(
        Connection::client(
            ClientRequest::new("h", "/").header("Origin", "http://evil.example"),
            Config::default(),
            Rng::entropy(1)
        )
        .unwrap_err(),
        UsageError::ReservedHeader
    );
}

#[test]
fn reject_after_accept_is_refused() {
    let mut s = server_with_request();
    s.accept(Accept::new()).unwrap();
    assert_eq!(s.reject(Reject::new(403)), Err(UsageError::InvalidState));
}

#[test]
fn ws_urls_give_host_port_and_scheme() {
    let (a, b) = (
        ClientRequest::from_url("ws://example.com:8080/x").unwrap(),
        ClientRequest::from_url("WSS://[::1]/").unwrap(),
    );
    assert_eq!(
        (
            a.host_name(),
            a.port(),
            a.is_secure(),
            b.host_name(),
            b.port(),
            b.is_secure()
        ),
        ("example.com", 8080, false, "::1", 443, true)
    );
}

#[test]
fn every_error_has_a_message_of_its_own() {
    use rfc6455::{HandshakeError as H, ProtocolError as P};
    let protocol = [
        P::UnmaskedFrame,
        P::MaskedFrame,
        P::ReservedBits,
        P::ReservedOpcode,
        P::NonMinimalLength,
        P::LengthTopBit,
        P::ControlFrameTooLong,
        P::FragmentedControlFrame,
        P::UnexpectedContinuation,
        P::ExpectedContinuation,
        P::InvalidUtf8,
        P::InvalidCloseLength,
        P::InvalidCloseCode(1005),
        P::FrameTooBig,
        P::MessageTooBig,
        P::TooManyFragments,
    ]
    .map(|e| PeerError::Protocol(e).to_string());
    let handshake = [
        H::Malformed,
        H::HeadTooLarge,
        H::TooManyHeaders,
        H::LineTooLong,
        H::RequestLineTooLong,
        H::Method,
        H::HttpVersion,
        H::MissingHeader("Host"),
        H::DuplicateHeader("Host"),
        H::NotUpgrade,
        H::BadKey,
        H::UnsupportedVersion,
        H::BadAccept,
        H::UnofferedProtocol,
        H::UnofferedExtension,
        H::UnexpectedResponse,
        H::Eof,
        H::EarlyData,
    ]
    .map(|e| PeerError::Handshake(e).to_string());
    let usage = [
        UsageError::InvalidState,
        UsageError::MessageInProgress,
        UsageError::FragmentKind,
        UsageError::ControlTooLong,
        UsageError::InvalidCloseCode(5000),
        UsageError::ReasonTooLong,
        UsageError::InvalidUtf8,
        UsageError::OutputFull,
        UsageError::InvalidHeader,
        UsageError::ReservedHeader,
        UsageError::InvalidProtocol,
        UsageError::InvalidUrl,
        UsageError::InvalidStatus,
        UsageError::InvalidConfig("max_headers > 128"),
    ]
    .map(|e| e.to_string());
    let all: Vec<&String> = protocol.iter().chain(&handshake).chain(&usage).collect();
    assert_eq!(
        all.iter().collect::<std::collections::HashSet<_>>().len(),
        all.len(),
        "{all:?}"
    );
    assert!(
        all.iter().all(|m| !m.is_empty())
            && protocol[12].contains("1005")
            && usage[4].contains("5000")
    );
}

#[test]
fn os_entropy_gives_every_client_a_fresh_key() {
    let key = || {
        String::from_utf8(take_output(
            &mut Connection::client(
                ClientRequest::new("h", "/"),
                Config::default(),
                rfc6455::OsEntropy::default(),
            )
            .unwrap(),
        ))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("Sec-WebSocket-Key"))
        .unwrap()
        .to_string()
    };
    assert_ne!(key(), key());
}

#[test]
fn os_entropy_refills_its_pool() {
    use rfc6455::Entropy;
    let (mut e, mut a, mut b) = (rfc6455::OsEntropy::default(), [0u8; 300], [0u8; 300]);
    e.fill(&mut a);
    e.fill(&mut b);
    assert!(a != b && a[256..] != [0; 44] && format!("{e:?}") == "OsEntropy");
}

#[test]
fn text_that_is_not_utf8_is_refused_as_utf8_bytes() {
    assert!(rfc6455::Utf8Bytes::from_bytes(b"ok \xff".to_vec().into()).is_none());
}

#[test]
fn utf8_bytes_read_back_as_text() {
    let t = rfc6455::Utf8Bytes::from_bytes("κόσμε".as_bytes().to_vec().into()).unwrap();
    assert!(
        t == "κόσμε"
            && format!("{t}") == "κόσμε"
            && format!("{t:?}") == "\"κόσμε\""
            && t.as_ref() == "κόσμε".as_bytes()
            && !t.is_empty()
            && t.clone().into_bytes().len() == 10
            && rfc6455::Utf8Bytes::from(String::new()).is_empty()
    );
}

#[test]
fn close_codes_print_their_names() {
    let c = rfc6455::CloseCode::from(1009);
    assert_eq!(
        (
            format!("{c:?}"),
            c.to_string(),
            u16::from(c),
            format!("{:?}", rfc6455::CloseCode(4321))
        ),
        (
            "MESSAGE_TOO_BIG(1009)".to_string(),
            "1009".to_string(),
            1009,
            "CloseCode(4321)".to_string()
        )
    );
}

#[test]
fn close_code_names_cover_the_registry() {
    let names: Vec<String> = [
        1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015,
    ]
    .map(|c| format!("{:?}", rfc6455::CloseCode(c)))
    .to_vec();
    assert!(
        names.iter().all(|n| !n.starts_with("CloseCode(")),
        "{names:?}"
    );
}

#[test]
fn connection_debug_shows_role_state_and_backlog() {
    let mut s = open_server(Config::default());
    s.send_binary(&[0; 10]).unwrap();
    assert_eq!(
        format!("{s:?}"),
        "Connection { role: Server, state: Open, buffered_amount: 12, .. }"
    );
}

#[test]
fn unsolicited_pong_is_sent_as_a_heartbeat() {
    let mut c = open_client(Config::default());
    c.pong(b"beat").unwrap();
    assert_eq!(events(&take_output(&mut c)), ["pong \"beat\""]);
}

#[test]
fn the_configuration_is_kept() {
    assert_eq!(
        open_server(with_limit(1234)).config().max_message_size,
        1234
    );
}

#[test]
fn opcodes_print_their_names() {
    let names: Vec<String> = (0..16u8)
        .map(|v| format!("{:?}", rfc6455::Opcode::from_u8(v)))
        .collect();
    assert_eq!(
        names[..3].join(" ") + " " + &names[8..11].join(" ") + " " + &names[3],
        "CONTINUATION TEXT BINARY CLOSE PING PONG Opcode(0x3)"
    );
}

#[test]
fn static_text_compares_as_utf8_bytes() {
    let t = rfc6455::Utf8Bytes::from("static");
    assert!(t == "static" && t.as_str() == "static");
}

#[test]
fn request_after_an_empty_line_is_read_whole_or_refused() {
    let mut s = server();
    s.handle_input(format!("\r\n{REQUEST}").as_bytes());
    match s.poll_event() {
        Some(Event::Request(r)) => assert_eq!(
            (
                r.method(),
                r.path(),
                r.host(),
                r.origin(),
                r.protocols().count()
            ),
            (
                "GET",
                "/chat",
                Some("server.example.com"),
                Some("http://example.com"),
                2
            )
        ),
        Some(Event::Error(PeerError::Handshake(_))) => {}
        other => panic!("{other:?}"),
    }
}
