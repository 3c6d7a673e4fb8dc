//! A hostile server, one case per test: the mirror image of
//! `tests/adversarial.rs` for the client role. Each case is one response
//! or one frame sequence with one asserted outcome: a rejection with its
//! status, a handshake error, or a close with its code and `clean`, and
//! always what the client wrote in answer: nothing after a refused
//! handshake, one masked close frame with the right code after a
//! violation, and only pongs after its own close frame.

mod common;

use common::*;
use rfc6455::{
    ClientRequest, CloseCode, Config, Connection, Event, FrameHeader, HandshakeError, Initiator,
    PeerError, ProtocolError, State, Status, UsageError, apply_mask,
};

// ---- helpers ----

/// A client that offers the subprotocols "chat" and "superchat" and the
/// extension "x-one", with its request already taken, and the accept key
/// its server must send.
struct Client {
    conn: Connection,
    accept: String,
}

fn client_with(config: Config, request: ClientRequest) -> Client {
    let mut conn = Connection::client(request, config, Rng::entropy(0x5eed)).unwrap();
    let request = String::from_utf8(take_output(&mut conn)).unwrap();
    assert!(request.ends_with("\r\n\r\n"));
    let key = request
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap();
    let accept = String::from_utf8(rfc6455::accept_key(key.as_bytes()).to_vec()).unwrap();
    Client { conn, accept }
}

fn offering() -> ClientRequest {
    ClientRequest::new("example.com", "/ws")
        .protocols(["chat", "superchat"])
        .extension("x-one")
}

fn client() -> Client {
    client_with(Config::default(), offering())
}

impl Client {
    /// Hands in `input`, where `{accept}` stands for the right accept key.
    fn respond(&mut self, input: &str) -> &mut Self {
        let input = input.replace("{accept}", &self.accept);
        self.conn.handle_input(input.as_bytes());
        self
    }

    fn feed(&mut self, input: &[u8]) -> &mut Self {
        self.conn.handle_input(input);
        self
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.conn.poll_event()).collect()
    }

    fn described(&mut self) -> Vec<String> {
        self.events().iter().map(describe).collect()
    }

    /// What the client wrote since the last call, as frames.
    fn sent(&mut self) -> Vec<(u8, Vec<u8>)> {
        client_frames(&take_output(&mut self.conn))
    }
}

/// Decodes what a client wrote, checking that every frame is masked.
fn client_frames(mut out: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    while !out.is_empty() {
        let Ok(Status::Complete(h, n)) = FrameHeader::parse(out) else {
            panic!("the client wrote a partial or invalid frame")
        };
        let key = h.mask.expect("a client masks every frame (§5.3)");
        let len = h.payload_len as usize;
        let mut payload = out[n..n + len].to_vec();
        apply_mask(&mut payload, key, 0);
        frames.push((h.opcode.as_u8(), payload));
        out = &out[n + len..];
    }
    frames
}

const OK_101: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n";

/// A valid 101 with `extra` header lines.
fn ok_101(extra: &str) -> String {
    format!("{OK_101}{extra}\r\n")
}

/// Asserts that the response `input` fails the handshake with `error`:
/// the error, then a 1006 close started by the library, nothing written,
/// and the transport to be closed at once.
fn refused_with(mut c: Client, input: &str, error: HandshakeError) {
    c.respond(input);
    assert_eq!(
        c.described(),
        [
            format!("error Handshake({error:?})"),
            "close 1006 \"\" Library clean=false".to_string()
        ]
    );
    assert_eq!(c.conn.state(), State::Closed);
    assert!(take_output(&mut c.conn).is_empty(), "nothing is written");
    assert!(c.conn.should_close_transport());
    assert_eq!(c.conn.send_text("x"), Err(UsageError::InvalidState));
    // What follows is ignored.
    c.respond(&ok_101(""));
    assert!(c.conn.poll_event().is_none());
}

fn refused(input: &str, error: HandshakeError) {
    refused_with(client(), input, error);
}

/// The response a client reports for `input` (with `eof` after it if
/// asked), checking that a 1006 close by the remote follows, nothing is
/// written, and the transport is to be closed.
fn rejected_with(mut c: Client, input: &[u8], eof: bool) -> rfc6455::Response {
    c.feed(input);
    if eof {
        c.conn.handle_eof();
    }
    let events = c.events();
    assert_eq!(
        events.len(),
        2,
        "{:?}",
        events.iter().map(describe).collect::<Vec<_>>()
    );
    let Event::Rejected(response) = &events[0] else {
        panic!("not a rejection: {}", describe(&events[0]))
    };
    assert_eq!(describe(&events[1]), "close 1006 \"\" Remote clean=false");
    assert!(take_output(&mut c.conn).is_empty(), "nothing is written");
    assert!(c.conn.should_close_transport());
    response.clone()
}

fn rejected(input: &[u8]) -> rfc6455::Response {
    rejected_with(client(), input, false)
}

/// A client that opened with a plain 101.
fn opened_with(config: Config) -> Client {
    let mut c = client_with(config, offering());
    c.respond(&ok_101(""));
    assert_eq!(c.described(), ["open None"]);
    c
}

fn opened() -> Client {
    opened_with(Config::default())
}

/// Asserts that an OPEN client fails the connection on `input` with
/// `code`: the error then a close with the code, not clean, one masked
/// close frame with the code written, the transport to be closed, and
/// later input ignored. Returns the error.
fn violation_with(config: Config, input: &[u8], code: u16) -> ProtocolError {
    let mut c = opened_with(config);
    c.feed(input);
    let events = c.events();
    let n = events.len();
    assert!(n >= 2);
    let Event::Close(close) = &events[n - 1] else {
        panic!("no Close last")
    };
    assert_eq!(
        (close.code.as_u16(), close.clean, close.initiator),
        (code, false, Initiator::Library)
    );
    let Event::Error(PeerError::Protocol(error)) = events[n - 2] else {
        panic!("no Error before the Close: {}", describe(&events[n - 2]))
    };
    assert_eq!(error.close_code().as_u16(), code);
    let sent = c.sent();
    let last = sent.last().expect("a close frame");
    assert_eq!(last.0, 8, "the close frame is the last thing written");
    assert_eq!(last.1[..2], code.to_be_bytes());
    assert!(
        sent[..sent.len() - 1].iter().all(|f| f.0 == 10),
        "only pongs before it"
    );
    assert!(c.conn.should_close_transport());
    c.feed(&sframe(true, 1, b"later"));
    assert!(c.conn.poll_event().is_none(), "later input is ignored");
    error
}

fn violation(input: &[u8], code: u16) -> ProtocolError {
    violation_with(Config::default(), input, code)
}

// ---- interim responses ----

#[test]
fn continue_100_then_101_opens() {
    let mut c = client();
    c.respond(&format!("HTTP/1.1 100 Continue\r\n\r\n{}", ok_101("")));
    assert_eq!(c.described(), ["open None"]);
}

#[test]
fn eight_interim_responses_then_101_opens() {
    let mut c = client();
    let interim = "HTTP/1.1 102 Processing\r\n\r\n".repeat(8);
    c.respond(&format!("{interim}{}", ok_101("")));
    assert_eq!(c.described(), ["open None"]);
}

#[test]
fn nine_interim_responses_fail_with_unexpected_response() {
    refused(
        &"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n".repeat(9),
        HandshakeError::UnexpectedResponse,
    );
}

// ---- final responses that are not 101 ----

#[test]
fn status_200_with_a_body_is_rejected() {
    let r = rejected(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    assert_eq!((r.status(), &r.body()[..]), (200, &b"hello"[..]));
}

#[test]
fn status_204_is_rejected_at_once_without_a_body() {
    // RFC 9112 §6.3: a 204 ends at its empty line, Content-Length or not.
    let r = rejected(b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n");
    assert_eq!((r.status(), r.body().len()), (204, 0));
}

#[test]
fn status_302_with_location_is_rejected_and_location_is_readable() {
    let r = rejected(
        b"HTTP/1.1 302 Found\r\nLocation: wss://other.example/ws\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(r.status(), 302);
    assert_eq!(r.header("location"), Some(&b"wss://other.example/ws"[..]));
}

#[test]
fn status_301_without_a_length_has_a_body_up_to_eof() {
    let r = rejected_with(
        client(),
        b"HTTP/1.1 301 Moved Permanently\r\nLocation: /new\r\n\r\nmoved to /new",
        true,
    );
    assert_eq!((r.status(), &r.body()[..]), (301, &b"moved to /new"[..]));
}

#[test]
fn status_304_is_rejected_at_once() {
    let r = rejected(b"HTTP/1.1 304 Not Modified\r\n\r\n");
    assert_eq!((r.status(), r.body().len()), (304, 0));
}

#[test]
fn status_401_with_a_challenge_is_rejected() {
    let r = rejected(
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(r.status(), 401);
    assert_eq!(r.header("WWW-Authenticate"), Some(&b"Bearer"[..]));
}

#[test]
fn status_403_with_a_body_is_rejected() {
    let r = rejected(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nnope");
    assert_eq!((r.status(), &r.body()[..]), (403, &b"nope"[..]));
}

#[test]
fn status_404_without_a_body_is_rejected_at_once() {
    let r = rejected(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    assert_eq!((r.status(), r.body().len()), (404, 0));
}

#[test]
fn status_426_naming_the_version_is_rejected() {
    let r = rejected(
        b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13, 8\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(r.status(), 426);
    assert_eq!(r.header("sec-websocket-version"), Some(&b"13, 8"[..]));
}

#[test]
fn status_500_with_a_body_is_rejected() {
    let r = rejected(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 3\r\n\r\nugh");
    assert_eq!((r.status(), &r.body()[..]), (500, &b"ugh"[..]));
}

#[test]
fn status_503_without_a_body_waits_for_eof() {
    let mut c = client();
    c.respond("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n\r\n");
    assert!(
        c.events().is_empty(),
        "the body runs until the server closes"
    );
    assert!(!c.conn.should_close_transport());
    let r = rejected_with(c, b"", true);
    assert_eq!(
        (r.status(), r.header("retry-after")),
        (503, Some(&b"5"[..]))
    );
}

#[test]
fn content_length_longer_than_the_body_reports_what_arrived_at_eof() {
    let mut c = client();
    c.respond("HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\n\r\nshort");
    assert!(c.events().is_empty(), "95 bytes are still owed");
    let r = rejected_with(c, b"", true);
    assert_eq!(&r.body()[..], b"short");
}

#[test]
fn content_length_shorter_than_the_body_keeps_exactly_its_bytes() {
    let r = rejected(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\nabcdefgh");
    assert_eq!(&r.body()[..], b"abc");
}

#[test]
fn chunked_body_is_decoded_and_reported_without_waiting_for_eof() {
    let r = rejected(
        b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnot \r\n7\r\nallowed\r\n0\r\n\r\n",
    );
    assert_eq!((r.status(), &r.body()[..]), (403, &b"not allowed"[..]));
}

#[test]
fn chunked_body_overrides_content_length() {
    let r = rejected(
        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    );
    assert_eq!(&r.body()[..], b"abc");
}

#[test]
fn chunked_body_trickled_one_byte_at_a_time_is_the_same() {
    let input = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n";
    let make = || client().conn;
    let (events, output) = same_however_split(&make, input);
    assert_eq!(
        events,
        [
            "rejected 404 \"hello\"",
            "close 1006 \"\" Remote clean=false"
        ]
    );
    assert!(output.is_empty());
}

#[test]
fn content_length_with_a_sign_fails_as_malformed() {
    // RFC 9112 §6.3: an invalid Content-Length in a response is an
    // unrecoverable error; the response is discarded.
    refused(
        "HTTP/1.1 403 Forbidden\r\nContent-Length: +4\r\n\r\nnope",
        HandshakeError::Malformed,
    );
}

#[test]
fn conflicting_content_lengths_fail_as_malformed() {
    refused(
        "HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nnope!",
        HandshakeError::Malformed,
    );
}

#[test]
fn rejection_body_is_cut_at_max_handshake_bytes() {
    let mut config = Config::default();
    config.max_handshake_bytes = 1024;
    config.max_header_line = 1024;
    let c = client_with(config, offering());
    let mut input = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 1000000\r\n\r\n".to_vec();
    input.extend(vec![b'z'; 5000]);
    let r = rejected_with(c, &input, false);
    assert_eq!(r.body().len(), 1024);
}

// ---- 101 responses that are not a valid upgrade ----

#[test]
fn wrong_accept_fails() {
    refused(
        &format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        ),
        HandshakeError::BadAccept,
    );
}

#[test]
fn missing_accept_fails() {
    refused(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        HandshakeError::BadAccept,
    );
}

#[test]
fn duplicated_accept_fails() {
    refused(
        &ok_101("Sec-WebSocket-Accept: {accept}\r\n"),
        HandshakeError::BadAccept,
    );
}

#[test]
fn accept_with_trailing_garbage_fails() {
    refused(
        &ok_101("").replace("{accept}", "{accept}x"),
        HandshakeError::BadAccept,
    );
}

#[test]
fn missing_upgrade_fails() {
    refused(
        &ok_101("").replace("Upgrade: websocket\r\n", ""),
        HandshakeError::NotUpgrade,
    );
}

#[test]
fn upgrade_to_another_protocol_fails() {
    refused(
        &ok_101("").replace("Upgrade: websocket", "Upgrade: h2c"),
        HandshakeError::NotUpgrade,
    );
}

#[test]
fn missing_connection_fails() {
    refused(
        &ok_101("").replace("Connection: Upgrade\r\n", ""),
        HandshakeError::NotUpgrade,
    );
}

#[test]
fn connection_without_the_upgrade_token_fails() {
    refused(
        &ok_101("").replace("Connection: Upgrade", "Connection: keep-alive"),
        HandshakeError::NotUpgrade,
    );
}

#[test]
fn http_1_0_101_fails() {
    refused(
        &ok_101("").replace("HTTP/1.1 101", "HTTP/1.0 101"),
        HandshakeError::HttpVersion,
    );
}

#[test]
fn unoffered_protocol_fails() {
    refused(
        &ok_101("Sec-WebSocket-Protocol: mqtt\r\n"),
        HandshakeError::UnofferedProtocol,
    );
}

#[test]
fn protocol_header_twice_fails() {
    refused(
        &ok_101("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n"),
        HandshakeError::UnofferedProtocol,
    );
}

#[test]
fn two_protocols_in_one_header_fail() {
    refused(
        &ok_101("Sec-WebSocket-Protocol: chat, superchat\r\n"),
        HandshakeError::UnofferedProtocol,
    );
}

#[test]
fn protocol_chosen_when_none_was_offered_fails() {
    refused_with(
        client_with(Config::default(), ClientRequest::new("h", "/")),
        &ok_101("Sec-WebSocket-Protocol: chat\r\n"),
        HandshakeError::UnofferedProtocol,
    );
}

#[test]
fn offered_protocol_is_agreed() {
    let mut c = client();
    c.respond(&ok_101("Sec-WebSocket-Protocol: superchat\r\n"));
    assert_eq!(c.described(), ["open Some(\"superchat\")"]);
    assert_eq!(c.conn.protocol(), Some("superchat"));
}

#[test]
fn unoffered_extension_fails() {
    refused(
        &ok_101("Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n"),
        HandshakeError::UnofferedExtension,
    );
}

#[test]
fn offered_extension_accepted_twice_fails() {
    // The second acceptance was not offered (§4.1, item 5).
    refused(
        &ok_101("Sec-WebSocket-Extensions: x-one\r\nSec-WebSocket-Extensions: x-one\r\n"),
        HandshakeError::UnofferedExtension,
    );
}

#[test]
fn offered_extension_accepted_once_opens() {
    let mut c = client();
    c.respond(&ok_101("Sec-WebSocket-Extensions: x-one; level=2\r\n"));
    let events = c.events();
    let [Event::Open(open)] = &events[..] else {
        panic!("not one Open")
    };
    assert_eq!(open.extensions.as_deref(), Some("x-one; level=2"));
}

#[test]
fn malformed_extension_header_fails() {
    refused(
        &ok_101("Sec-WebSocket-Extensions: x-one; a=\"open\r\n"),
        HandshakeError::UnofferedExtension,
    );
}

// ---- heads that break the HTTP rules or the limits ----

#[test]
fn oversized_head_fails() {
    refused(
        &ok_101(&"X-Pad: 0123456789abcdef\r\n".repeat(1000)),
        HandshakeError::HeadTooLarge,
    );
}

#[test]
fn too_many_headers_fail() {
    refused(
        &ok_101(&"X-N: 1\r\n".repeat(100)),
        HandshakeError::TooManyHeaders,
    );
}

#[test]
fn header_line_over_the_limit_fails() {
    refused(
        &ok_101(&format!("X-Long: {}\r\n", "l".repeat(9000))),
        HandshakeError::LineTooLong,
    );
}

#[test]
fn nul_in_a_header_value_fails() {
    refused(&ok_101("X-Evil: a\0b\r\n"), HandshakeError::Malformed);
}

#[test]
fn bare_cr_in_a_header_value_fails() {
    refused(&ok_101("X-Evil: a\rb\r\n"), HandshakeError::Malformed);
}

#[test]
fn obsolete_line_folding_fails() {
    refused(
        &ok_101("X-Folded: first\r\n second\r\n"),
        HandshakeError::Malformed,
    );
}

#[test]
fn non_numeric_status_fails() {
    refused("HTTP/1.1 1O1 Switching\r\n\r\n", HandshakeError::Malformed);
}

#[test]
fn http_2_status_line_fails() {
    refused(
        &ok_101("").replace("HTTP/1.1", "HTTP/2"),
        HandshakeError::Malformed,
    );
}

#[test]
fn eof_before_the_head_ends_fails() {
    let mut c = client();
    c.respond("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n");
    assert!(c.events().is_empty());
    c.conn.handle_eof();
    assert_eq!(
        c.described(),
        ["error Handshake(Eof)", "close 1006 \"\" Remote clean=false"]
    );
    assert!(take_output(&mut c.conn).is_empty());
    assert!(c.conn.should_close_transport());
}

// ---- valid responses in awkward shapes ----

#[test]
fn response_trickled_one_byte_at_a_time_opens() {
    let probe = client();
    let mut input = ok_101("Sec-WebSocket-Protocol: chat\r\n")
        .replace("{accept}", &probe.accept)
        .into_bytes();
    input.extend(sframe(true, 1, b"hi"));
    let make = || client().conn;
    let (events, output) = same_however_split(&make, &input);
    assert_eq!(events, ["open Some(\"chat\")", "text \"hi\""]);
    assert!(output.is_empty());
}

#[test]
fn one_leading_empty_line_is_skipped() {
    let mut c = client();
    c.respond(&format!("\r\n{}", ok_101("")));
    assert_eq!(c.described(), ["open None"]);
}

#[test]
fn frames_pipelined_behind_the_101_are_kept() {
    let mut c = client();
    let frames = [
        sframe(true, 1, b"first"),
        sframe(false, 2, &[1, 2]),
        sframe(true, 0, &[3]),
        sframe(true, 9, b"p"),
    ]
    .concat();
    let mut input = ok_101("").replace("{accept}", &c.accept).into_bytes();
    input.extend(frames);
    c.feed(&input);
    assert_eq!(
        c.described(),
        [
            "open None",
            "text \"first\"",
            &describe_message(false, &[1, 2, 3]),
            "ping \"p\""
        ]
    );
    assert_eq!(c.sent(), [(10, b"p".to_vec())]);
}

// ---- frames from the server that break the rules ----

#[test]
fn masked_frame_is_1002() {
    assert_eq!(
        violation(&frame_with(true, 0, 1, b"hi", Some([1, 2, 3, 4])), 1002),
        ProtocolError::MaskedFrame
    );
}

#[test]
fn rsv1_is_1002() {
    assert_eq!(
        violation(&frame_with(true, 0b100, 1, b"hi", None), 1002),
        ProtocolError::ReservedBits
    );
}

#[test]
fn rsv2_and_rsv3_on_a_ping_are_1002() {
    assert_eq!(
        violation(&frame_with(true, 0b011, 9, b"", None), 1002),
        ProtocolError::ReservedBits
    );
}

#[test]
fn reserved_data_opcode_is_1002() {
    assert_eq!(
        violation(&sframe(true, 3, b""), 1002),
        ProtocolError::ReservedOpcode
    );
}

#[test]
fn reserved_control_opcode_is_1002() {
    assert_eq!(
        violation(&sframe(true, 0xB, b""), 1002),
        ProtocolError::ReservedOpcode
    );
}

#[test]
fn ping_of_126_bytes_is_1002() {
    assert_eq!(
        violation(&sframe(true, 9, &[b'p'; 126]), 1002),
        ProtocolError::ControlFrameTooLong
    );
}

#[test]
fn fragmented_ping_is_1002() {
    assert_eq!(
        violation(&sframe(false, 9, b"part"), 1002),
        ProtocolError::FragmentedControlFrame
    );
}

#[test]
fn continuation_with_nothing_to_continue_is_1002() {
    assert_eq!(
        violation(&sframe(true, 0, b"orphan"), 1002),
        ProtocolError::UnexpectedContinuation
    );
}

#[test]
fn new_message_inside_a_fragmented_one_is_1002() {
    let input = [sframe(false, 1, b"a"), sframe(true, 1, b"b")].concat();
    assert_eq!(violation(&input, 1002), ProtocolError::ExpectedContinuation);
}

#[test]
fn length_with_the_top_bit_set_is_1002() {
    let mut input = vec![0x82, 127];
    input.extend_from_slice(&(1u64 << 63).to_be_bytes());
    assert_eq!(violation(&input, 1002), ProtocolError::LengthTopBit);
}

#[test]
fn non_minimal_length_is_1002() {
    assert_eq!(
        violation(&[0x82, 126, 0, 5, 1, 2, 3, 4, 5], 1002),
        ProtocolError::NonMinimalLength
    );
}

#[test]
fn declared_length_of_2_pow_40_against_a_small_limit_is_1009_at_the_header() {
    let mut config = Config::default();
    config.max_message_size = 1 << 20;
    config.max_frame_size = 1 << 20;
    let mut input = vec![0x82, 127];
    input.extend_from_slice(&(1u64 << 40).to_be_bytes());
    assert_eq!(
        violation_with(config, &input, 1009),
        ProtocolError::FrameTooBig
    );
}

#[test]
fn message_over_the_limit_is_1009() {
    let mut config = Config::default();
    config.max_message_size = 100;
    config.max_frame_size = 100;
    let input = [sframe(false, 2, &[0; 60]), sframe(true, 0, &[0; 41])].concat();
    assert_eq!(
        violation_with(config, &input, 1009),
        ProtocolError::MessageTooBig
    );
}

#[test]
fn too_many_fragments_is_1008() {
    let mut config = Config::default();
    config.max_fragments = 3;
    let input = [
        sframe(false, 2, b"a"),
        sframe(false, 0, b"b"),
        sframe(false, 0, b"c"),
        sframe(true, 0, b"d"),
    ]
    .concat();
    assert_eq!(
        violation_with(config, &input, 1008),
        ProtocolError::TooManyFragments
    );
}

#[test]
fn invalid_utf8_in_the_first_fragment_is_1007() {
    assert_eq!(
        violation(&sframe(false, 1, b"ok \xff"), 1007),
        ProtocolError::InvalidUtf8
    );
}

#[test]
fn invalid_utf8_in_a_later_fragment_is_1007() {
    let input = [sframe(false, 1, "κό".as_bytes()), sframe(true, 0, b"\xce")].concat();
    assert_eq!(violation(&input, 1007), ProtocolError::InvalidUtf8);
}

#[test]
fn hundred_thousand_pings_with_output_never_taken_keep_pending_output_bounded() {
    let mut c = opened();
    let ping = sframe(true, 9, b"ping");
    for _ in 0..100_000 {
        c.feed(&ping);
        // Events are taken, output never is.
        while c.conn.poll_event().is_some() {}
        assert!(c.conn.buffered_amount() <= 16 * (6 + 4));
    }
    let sent = c.sent();
    assert_eq!(sent.len(), 16, "the pongs for the last 16 pings (§5.5.3)");
    assert!(sent.iter().all(|f| *f == (10, b"ping".to_vec())));
}

// ---- close frames from the server ----

macro_rules! invalid_close_code {
    ($($name:ident: $code:expr;)*) => {$(
        #[test]
        fn $name() {
            let code: u16 = $code;
            assert_eq!(
                violation(&sframe(true, 8, &close_payload(code, "")), 1002),
                ProtocolError::InvalidCloseCode(code)
            );
        }
    )*};
}

invalid_close_code! {
    close_code_0_is_1002: 0;
    close_code_999_is_1002: 999;
    close_code_1004_is_1002: 1004;
    close_code_1005_is_1002: 1005;
    close_code_1006_is_1002: 1006;
    close_code_1015_is_1002: 1015;
    close_code_1016_is_1002: 1016;
    close_code_2999_is_1002: 2999;
    close_code_5000_is_1002: 5000;
    close_code_65535_is_1002: 65535;
}

#[test]
fn one_byte_close_payload_is_1002() {
    assert_eq!(
        violation(&sframe(true, 8, &[3]), 1002),
        ProtocolError::InvalidCloseLength
    );
}

#[test]
fn close_reason_of_124_bytes_is_1002() {
    let payload = close_payload(1000, &"r".repeat(124));
    assert_eq!(
        violation(&sframe(true, 8, &payload), 1002),
        ProtocolError::ControlFrameTooLong
    );
}

#[test]
fn close_reason_with_invalid_utf8_is_1007() {
    let mut payload = close_payload(1000, "");
    payload.extend_from_slice(b"\xc3\x28");
    assert_eq!(
        violation(&sframe(true, 8, &payload), 1007),
        ProtocolError::InvalidUtf8
    );
}

#[test]
fn server_close_is_echoed_and_the_client_waits_for_the_tcp_close() {
    let mut c = opened();
    c.feed(&sframe(true, 8, &close_payload(1001, "going away")));
    assert_eq!(
        c.described(),
        ["close 1001 \"going away\" Remote clean=true"]
    );
    assert_eq!(c.sent(), [(8, close_payload(1001, "going away"))]);
    // §7.1.1: the server closes TCP first; the client waits for it.
    assert!(!c.conn.should_close_transport());
    c.conn.handle_eof();
    assert!(c.conn.should_close_transport());
    assert!(c.events().is_empty(), "one Close event only");
}

#[test]
fn data_after_the_server_close_is_ignored() {
    let mut c = opened();
    let input = [
        sframe(true, 8, &close_payload(1000, "")),
        sframe(true, 1, b"too late"),
        sframe(true, 9, b"ping"),
    ]
    .concat();
    c.feed(&input);
    assert_eq!(c.described(), ["close 1000 \"\" Remote clean=true"]);
    assert_eq!(
        c.sent(),
        [(8, close_payload(1000, ""))],
        "no pong after the close"
    );
}

#[test]
fn empty_server_close_is_reported_as_1005_and_echoed_empty() {
    let mut c = opened();
    c.feed(&sframe(true, 8, b""));
    assert_eq!(c.described(), ["close 1005 \"\" Remote clean=true"]);
    assert_eq!(c.sent(), [(8, Vec::new())]);
}

#[test]
fn server_eof_without_a_close_is_1006() {
    let mut c = opened();
    c.conn.handle_eof();
    assert_eq!(c.described(), ["close 1006 \"\" Remote clean=false"]);
    assert!(c.sent().is_empty());
    assert!(c.conn.should_close_transport());
}

// ---- our close ----

#[test]
fn after_our_close_only_pongs_are_written_and_the_handshake_completes() {
    let mut c = opened();
    c.conn.close(CloseCode::NORMAL, "bye").unwrap();
    assert_eq!(c.sent(), [(8, close_payload(1000, "bye"))]);
    // The server has not seen our close yet: a ping, data, then its close.
    c.feed(
        &[
            sframe(true, 9, b"still there?"),
            sframe(true, 1, b"in flight"),
        ]
        .concat(),
    );
    assert_eq!(
        c.described(),
        ["ping \"still there?\"", "text \"in flight\""]
    );
    assert_eq!(c.conn.send_text("reply"), Err(UsageError::InvalidState));
    assert_eq!(c.conn.ping(b"x"), Err(UsageError::InvalidState));
    assert_eq!(c.sent(), [(10, b"still there?".to_vec())], "only the pong");
    c.feed(&sframe(true, 8, &close_payload(1000, "")));
    assert_eq!(c.described(), ["close 1000 \"\" Local clean=true"]);
    assert!(c.sent().is_empty(), "nothing after the server's close");
    assert!(
        !c.conn.should_close_transport(),
        "waits for the server's TCP close"
    );
    c.conn.handle_eof();
    assert!(c.conn.should_close_transport());
}

#[test]
fn abort_after_a_clean_close_closes_the_transport_at_once() {
    let mut c = opened();
    c.conn.close(CloseCode::GOING_AWAY, "").unwrap();
    c.feed(&sframe(true, 8, &close_payload(1001, "")));
    assert_eq!(c.described(), ["close 1001 \"\" Local clean=true"]);
    assert_eq!(c.sent(), [(8, close_payload(1001, ""))]);
    assert!(!c.conn.should_close_transport());
    c.conn.abort();
    assert!(c.conn.should_close_transport());
    assert!(c.events().is_empty(), "no second Close event");
    assert!(c.sent().is_empty());
}

#[test]
fn violation_after_our_close_sends_no_second_close() {
    let mut c = opened();
    c.conn.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(c.sent().len(), 1);
    c.feed(&frame_with(true, 0, 1, b"masked", Some([9, 9, 9, 9])));
    assert_eq!(
        c.described(),
        [
            "error Protocol(MaskedFrame)",
            "close 1002 \"\" Library clean=false"
        ]
    );
    assert!(c.sent().is_empty(), "our close frame was already sent");
    assert!(c.conn.should_close_transport());
}

#[test]
fn server_that_never_answers_our_close_is_aborted() {
    let mut c = opened();
    c.conn.close(CloseCode::NORMAL, "").unwrap();
    let _ = c.sent();
    assert_eq!(c.conn.state(), State::Closing);
    c.conn.abort();
    let events = c.events();
    let [Event::Close(close)] = &events[..] else {
        panic!("one Close")
    };
    assert_eq!(
        (close.code.as_u16(), close.clean, close.initiator),
        (1006, false, Initiator::Local)
    );
    assert!(c.conn.should_close_transport());
}
