//! Full sessions through the engine: a client–server pair, server scenarios
//! replayed under every split of the input, and the close handshake.

mod common;

use common::*;
use rfc6455::{
    Accept, ClientRequest, CloseCode, Config, Connection, Event, Initiator, MessageKind, Reject,
    Role, State, UsageError,
};

#[test]
fn pair_full_session() {
    let req = ClientRequest::from_url("ws://127.0.0.1:9001/chat")
        .unwrap()
        .protocols(["chat", "superchat"]);
    let mut p = Pair::new(req, Config::default());
    assert_eq!(p.client.state(), State::Connecting);
    p.drive();
    assert_eq!(p.server_events, ["request /chat", "open Some(\"chat\")"]);
    assert_eq!(p.client_events, ["open Some(\"chat\")"]);
    assert_eq!(
        (p.client.state(), p.server.state()),
        (State::Open, State::Open)
    );
    assert_eq!(p.client.protocol(), Some("chat"));

    p.client.send_text("hello 𝄞").unwrap();
    p.client.send_binary(&[1, 2, 3]).unwrap();
    p.client
        .send_fragment(MessageKind::Text, "frag".as_bytes(), false)
        .unwrap();
    p.client.ping(b"mid").unwrap();
    p.client
        .send_fragment(MessageKind::Text, &"ment𝄞".as_bytes()[..6], false)
        .unwrap();
    p.client
        .send_fragment(MessageKind::Text, &"ment𝄞".as_bytes()[6..], true)
        .unwrap();
    p.server.send_binary(&vec![7u8; 70_000]).unwrap();
    p.drive();
    assert_eq!(
        p.server_events[2..],
        [
            "text \"hello 𝄞\"".to_string(),
            format!("binary len=3 hash={:x}", hash(&[1, 2, 3])),
            "ping \"mid\"".into(),
            "text \"fragment𝄞\"".into()
        ]
    );
    assert_eq!(
        p.client_events[1..],
        [
            format!("binary len=70000 hash={:x}", hash(&vec![7u8; 70_000])),
            "pong \"mid\"".into()
        ]
    );

    // The client starts the closing handshake.
    p.client.close(CloseCode(4000), "done").unwrap();
    assert_eq!(p.client.state(), State::Closing);
    assert_eq!(p.client.initiator(), Some(Initiator::Local));
    assert_eq!(p.client.send_text("late"), Err(UsageError::InvalidState));
    p.drive();
    assert_eq!(
        p.server_events.last().unwrap(),
        "close 4000 \"done\" Remote clean=true"
    );
    assert_eq!(
        p.client_events.last().unwrap(),
        "close 4000 \"done\" Local clean=true"
    );
    assert_eq!(
        (p.client.state(), p.server.state()),
        (State::Closed, State::Closed)
    );
    // The server closes TCP first (§7.1.1); the client waits for it.
    assert!(p.server.should_close_transport());
    assert!(!p.client.should_close_transport());
    p.client.handle_eof();
    assert!(p.client.should_close_transport());
    assert_eq!(
        p.client.poll_event().map(|e| describe(&e)),
        None,
        "one close event only"
    );
}

#[test]
fn server_initiated_close() {
    let mut p = Pair::new(ClientRequest::new("h", "/"), Config::default());
    p.drive();
    p.server.close(CloseCode::GOING_AWAY, "restart").unwrap();
    p.drive();
    assert_eq!(
        p.client_events.last().unwrap(),
        "close 1001 \"restart\" Remote clean=true"
    );
    assert_eq!(
        p.server_events.last().unwrap(),
        "close 1001 \"restart\" Local clean=true"
    );
    assert!(p.server.should_close_transport());
}

/// A whole server session; `big` is the size of its one large binary frame.
fn server_session_input(big: usize) -> Vec<u8> {
    let mut input = REQUEST.as_bytes().to_vec();
    input.extend(cframe(true, 1, "Hello".as_bytes()));
    input.extend(cframe(false, 1, "κό".as_bytes()));
    input.extend(cframe(true, 9, b"ping!"));
    input.extend(cframe(false, 0, &"σμε".as_bytes()[..3]));
    input.extend(cframe(true, 0, &"σμε".as_bytes()[3..]));
    input.extend(cframe(true, 2, &[0u8; 256]));
    input.extend(cframe(true, 2, &vec![0xAB; big]));
    input.extend(cframe(true, 10, b"unsolicited"));
    input.extend(cframe(true, 8, &close_payload(1000, "bye")));
    input.extend(cframe(true, 1, b"after close is ignored"));
    input
}

fn server_session_events(big: usize) -> Vec<String> {
    [
        "request /chat",
        "open Some(\"chat\")",
        "text \"Hello\"",
        "ping \"ping!\"",
        "text \"κόσμε\"",
        &format!("binary len=256 hash={:x}", hash(&[0u8; 256])),
        &format!("binary len={big} hash={:x}", hash(&vec![0xAB; big])),
        "pong \"unsolicited\"",
        "close 1000 \"bye\" Remote clean=true",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn server_session_same_however_split() {
    // Every byte boundary of the whole session, with a 300-byte large frame
    // (two-byte length) to keep the run short...
    let (events, output) = same_however_split(&server, &server_session_input(300));
    assert_eq!(events, server_session_events(300));
    // ...and the same session with a 64 KiB frame (eight-byte length), whole.
    let (events, output_big) = feed_in_pieces(&server, &server_session_input(65_536), &[]);
    assert_eq!(events, server_session_events(65_536));
    // The reply: 101, a pong for the ping, then the echoed close.
    let mut expect = sframe(true, 10, b"ping!");
    expect.extend(sframe(true, 8, &close_payload(1000, "bye")));
    for out in [output, output_big] {
        assert!(out.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
        let head_end = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        assert_eq!(&out[head_end..], &expect[..]);
    }
}

#[test]
fn every_scenario_same_however_split() {
    let scenarios: Vec<Vec<u8>> = vec![
        [
            REQUEST.as_bytes(),
            &cframe(true, 1, "𝄞 four".as_bytes()),
            &cframe(true, 8, &close_payload(4999, "é")),
        ]
        .concat(),
        [REQUEST.as_bytes(), &cframe(true, 1, b"\xce\xba\xff")].concat(),
        [
            REQUEST.as_bytes(),
            &cframe(false, 2, b"ab"),
            &cframe(true, 0, b"cd"),
            &cframe(true, 8, &[]),
        ]
        .concat(),
        [REQUEST.as_bytes(), &cframe(true, 8, &[3])].concat(),
        [REQUEST.as_bytes(), &sframe(true, 1, b"unmasked")].concat(),
        b"GET / HTTP/1.0\r\nHost: x\r\n\r\n".to_vec(),
    ];
    for s in &scenarios {
        let (events, _) = same_however_split(&server, s);
        assert!(events.last().unwrap().starts_with("close"), "{events:?}");
    }
}

#[test]
fn client_keeps_frames_behind_the_response() {
    let make = || {
        Connection::client(
            ClientRequest::new("h", "/"),
            Config::default(),
            Rng::entropy(5),
        )
        .unwrap()
    };
    let mut probe = make();
    let request = take_output(&mut probe);
    // Compute the accept for the probe's key: the same seed gives the same key.
    let key_line = String::from_utf8(request).unwrap();
    let key = key_line
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap()
        .to_string();
    let accept = String::from_utf8(rfc6455::accept_key(key.as_bytes()).to_vec()).unwrap();
    let mut input = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .into_bytes();
    input.extend(sframe(true, 1, b"first"));
    input.extend(sframe(true, 2, b"second"));
    let (events, _) = same_however_split(&make, &input);
    assert_eq!(
        events,
        [
            "open None".to_string(),
            "text \"first\"".into(),
            format!("binary len=6 hash={:x}", hash(b"second"))
        ]
    );
}

#[test]
fn client_reports_rejection_with_body() {
    let make = || {
        Connection::client(
            ClientRequest::new("h", "/forbidden"),
            Config::default(),
            Rng::entropy(5),
        )
        .unwrap()
    };
    let input = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\nX-Why: nope\r\n\r\ndenied";
    let (events, _) = same_however_split(&make, input);
    assert_eq!(
        events,
        [
            "rejected 403 \"denied\"",
            "close 1006 \"\" Remote clean=false"
        ]
    );
    // Without Content-Length, the body runs to the end of the transport.
    let mut c = make();
    c.handle_input(b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n\r\nmoved");
    assert!(c.poll_event().is_none());
    c.handle_eof();
    match c.poll_event() {
        Some(Event::Rejected(r)) => {
            assert_eq!(r.status(), 302);
            assert_eq!(r.header("location"), Some(&b"/elsewhere"[..]));
            assert_eq!(&r.body()[..], b"moved");
        }
        other => panic!("{other:?}"),
    }
}

/// A buffer lent by `input_buffer` while the request waits for the
/// application holds no input: `accept` forgets it, and committing it
/// afterwards hands nothing in (its bytes are whatever the buffer held).
#[test]
fn a_buffer_lent_before_accept_hands_nothing_in() {
    let mut s = server();
    s.handle_input(REQUEST.as_bytes());
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    // What a commit of the forgotten buffer would hand in, were it kept:
    // an unmasked frame, which the server must refuse with 1002.
    let unmasked = sframe(true, 1, b"hi");
    s.input_buffer(64)[..unmasked.len()].copy_from_slice(&unmasked);
    s.accept(Accept::new()).unwrap();
    s.commit_input(unmasked.len());
    assert_eq!(drain(&mut s), ["open None"]);
    assert_eq!(s.state(), State::Open);
    let out = take_output(&mut s);
    assert!(out.starts_with(b"HTTP/1.1 101 "));
    assert!(out.ends_with(b"\r\n\r\n"), "nothing behind the 101");
}

#[test]
fn server_application_rejects() {
    let mut s = server();
    s.handle_input(REQUEST.as_bytes());
    let Some(Event::Request(req)) = s.poll_event() else {
        panic!()
    };
    assert_eq!(req.origin(), Some("http://example.com"));
    assert_eq!(req.host(), Some("server.example.com"));
    assert_eq!(
        s.accept(Accept::new().protocol("mqtt")).unwrap_err(),
        UsageError::InvalidProtocol
    );
    s.reject(Reject::new(403).header("X-Reason", "origin").body("no"))
        .unwrap();
    let out = String::from_utf8(take_output(&mut s)).unwrap();
    assert!(out.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\nno"));
    assert_eq!(drain(&mut s), ["close 1006 \"\" Local clean=false"]);
    assert!(s.should_close_transport());
    s.handle_input(REQUEST.as_bytes());
    assert!(
        s.poll_event().is_none(),
        "nothing is parsed after a rejection"
    );
}

#[test]
fn plain_http_reaches_the_application_when_allowed() {
    let mut cfg = Config::default();
    cfg.allow_plain_http = true;
    let mut s = Connection::server(cfg);
    s.handle_input(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let Some(Event::Request(req)) = s.poll_event() else {
        panic!()
    };
    assert!(!req.is_websocket());
    assert_eq!(s.accept(Accept::new()), Err(UsageError::InvalidState));
    s.reject(
        Reject::new(200)
            .header("Content-Type", "text/html")
            .body("<p>hi</p>"),
    )
    .unwrap();
    let out = String::from_utf8(take_output(&mut s)).unwrap();
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n") && out.ends_with("<p>hi</p>"));
}

#[test]
fn pongs_coalesce_and_output_stays_bounded() {
    let mut s = open_server(Config::default());
    let mut input = Vec::new();
    for i in 0..1000u32 {
        input.extend(cframe(true, 9, &i.to_be_bytes()));
    }
    for _ in 0..100 {
        s.handle_input(&input);
        while s.poll_event().is_some() {}
        assert!(s.buffered_amount() <= 16 * (4 + 6));
    }
    // The 16 latest pings are answered, in order; older ones coalesced away.
    let out = take_output(&mut s);
    let expect: Vec<u8> = (984..1000u32)
        .flat_map(|i| sframe(true, 10, &i.to_be_bytes()))
        .collect();
    assert_eq!(out, expect);
}

#[test]
fn auto_pong_can_be_switched_off() {
    let mut cfg = Config::default();
    cfg.auto_pong = false;
    let mut s = open_server(cfg);
    s.handle_input(&cframe(true, 9, b"x"));
    assert_eq!(drain(&mut s), ["ping \"x\""]);
    assert!(take_output(&mut s).is_empty());
}

#[test]
fn close_in_the_middle_of_a_fragmented_message_is_normal() {
    let mut s = open_server(Config::default());
    s.handle_input(
        &[
            cframe(false, 1, b"part"),
            cframe(true, 8, &close_payload(1001, "")),
        ]
        .concat(),
    );
    assert_eq!(drain(&mut s), ["close 1001 \"\" Remote clean=true"]);
}

#[test]
fn eof_without_close_is_1006() {
    let mut s = open_server(Config::default());
    s.handle_input(&cframe(true, 1, b"x"));
    s.handle_eof();
    assert_eq!(
        drain(&mut s),
        ["text \"x\"", "close 1006 \"\" Remote clean=false"]
    );
    assert!(s.should_close_transport());
    // After our close without an answer: still 1006, initiated locally.
    let mut s = open_server(Config::default());
    s.close(CloseCode::NORMAL, "").unwrap();
    s.handle_eof();
    assert_eq!(drain(&mut s), ["close 1006 \"\" Local clean=false"]);
}

#[test]
fn no_data_is_sent_after_our_close() {
    let mut c = open_client(Config::default());
    c.close(CloseCode::NORMAL, "").unwrap();
    let after_close = take_output(&mut c);
    assert_eq!(c.send_text("x"), Err(UsageError::InvalidState));
    assert_eq!(
        c.close(CloseCode::NORMAL, ""),
        Err(UsageError::InvalidState)
    );
    assert_eq!(
        c.send_fragment(MessageKind::Binary, b"", true),
        Err(UsageError::InvalidState)
    );
    // A ping that arrives while closing is reported and answered (§5.5.2):
    // control frames may follow our close frame, data frames may not.
    c.handle_input(&sframe(true, 9, b"p"));
    assert_eq!(drain(&mut c), ["ping \"p\""]);
    let pong = take_output(&mut c);
    assert_eq!((pong[0], pong[1] & 0x7F, pong.len()), (0x8A, 1, 2 + 4 + 1));
    assert_eq!(c.ping(b""), Err(UsageError::InvalidState));
    assert_eq!(after_close.len(), 2 + 4 + 2);
}

#[test]
fn close_command_checks_code_and_reason() {
    let mut s = open_server(Config::default());
    for bad in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
        assert_eq!(
            s.close(CloseCode(bad), ""),
            Err(UsageError::InvalidCloseCode(bad))
        );
    }
    assert_eq!(
        s.close(CloseCode::NORMAL, &"x".repeat(124)),
        Err(UsageError::ReasonTooLong)
    );
    assert_eq!(s.state(), State::Open, "refusals change nothing");
    s.close(CloseCode::NORMAL, &"x".repeat(123)).unwrap();
    let out = take_output(&mut s);
    assert_eq!(out, sframe(true, 8, &close_payload(1000, &"x".repeat(123))));
}

#[test]
fn usage_errors() {
    let mut s = server();
    assert_eq!(s.send_text("early"), Err(UsageError::InvalidState));
    assert_eq!(s.accept(Accept::new()), Err(UsageError::InvalidState));
    let mut s = open_server(Config::default());
    assert_eq!(s.ping(&[0; 126]), Err(UsageError::ControlTooLong));
    // 125 bytes is the most a control frame carries (§5.5), and allowed.
    s.ping(&[0; 125]).unwrap();
    assert_eq!(take_output(&mut s)[..2], [0x89, 125]);
    s.send_fragment(MessageKind::Text, b"a", false).unwrap();
    assert_eq!(s.send_text("b"), Err(UsageError::MessageInProgress));
    assert_eq!(
        s.send_fragment(MessageKind::Binary, b"b", true),
        Err(UsageError::FragmentKind)
    );
    assert_eq!(
        s.send_fragment(MessageKind::Text, b"\xff", true),
        Err(UsageError::InvalidUtf8)
    );
    assert_eq!(
        s.send_fragment(MessageKind::Text, b"\xe2\x82", true),
        Err(UsageError::InvalidUtf8)
    );
    s.send_fragment(MessageKind::Text, b"\xe2\x82", false)
        .unwrap();
    s.send_fragment(MessageKind::Text, b"\xac", true).unwrap();
    let mut cfg = Config::default();
    cfg.max_pending_output = 100;
    let mut s = open_server(cfg);
    assert_eq!(s.send_binary(&[0; 200]), Err(UsageError::OutputFull));
    s.send_binary(&[0; 50]).unwrap();
    assert_eq!(s.send_binary(&[0; 50]), Err(UsageError::OutputFull));
    let _ = s.poll_transmit();
    s.send_binary(&[0; 50]).unwrap();
    // The bound is inclusive, counted with the longest header (14 bytes):
    // a payload that fills it exactly goes, one byte more does not.
    let _ = s.poll_transmit();
    assert_eq!(s.send_binary(&[0; 87]), Err(UsageError::OutputFull));
    s.send_binary(&[0; 86]).unwrap();
}

#[test]
fn client_masks_every_frame_with_a_fresh_key() {
    let mut c = open_client(Config::default());
    c.send_text("same").unwrap();
    c.send_text("same").unwrap();
    let out = take_output(&mut c);
    assert_eq!(out.len(), 2 * (2 + 4 + 4));
    assert_eq!(out[1] & 0x80, 0x80);
    assert_ne!(out[2..6], out[12..16], "fresh mask key per frame");
    let mut s = open_server(Config::default());
    s.handle_input(&out);
    assert_eq!(drain(&mut s), ["text \"same\"", "text \"same\""]);
}

#[test]
fn streaming_mode_delivers_pieces_as_they_arrive() {
    let mut cfg = Config::default();
    cfg.streaming = true;
    cfg.max_message_size = 1 << 30;
    cfg.max_frame_size = 1 << 30;
    let mut s = open_server(cfg);
    let big = vec![b'a'; 1 << 20];
    let input = [cframe(false, 1, &big), cframe(true, 0, b"end")].concat();
    let mut total = 0;
    let mut pieces = 0;
    let mut last = false;
    for chunk in input.chunks(16 * 1024) {
        s.handle_input(chunk);
        while let Some(e) = s.poll_event() {
            let Event::Fragment(f) = e else {
                panic!("{e:?}")
            };
            assert_eq!(f.first, pieces == 0);
            assert_eq!(f.kind, MessageKind::Text);
            assert!(f.data.iter().all(|&b| b == b'a' || b"end".contains(&b)));
            assert!(!f.data.is_empty(), "an empty piece");
            total += f.data.len();
            pieces += 1;
            last = f.last;
        }
    }
    assert!(last);
    assert_eq!(total, (1 << 20) + 3);
    assert!(pieces >= 64, "delivered while arriving, in {pieces} pieces");
}

#[test]
fn framing_only_start_is_open() {
    let c = Connection::open_client(Config::default(), Rng::entropy(3));
    assert_eq!(c.state(), State::Open);
    assert_eq!(c.role(), Role::Client);
}

#[test]
fn replies_to_earlier_messages_precede_the_close_frame() {
    // A message followed, in the same read, by a violation: the echo of the
    // message is still sent, and the 1002 close frame comes after it.
    let mut s = open_server(Config::default());
    s.handle_input(
        &[
            cframe(true, 1, b"echo me"),
            frame_with(true, 2, 1, b"x", Some([1, 2, 3, 4])),
        ]
        .concat(),
    );
    assert_eq!(
        s.state(),
        State::Open,
        "frames are read as events are taken: the violation is not read yet"
    );
    let Some(Event::Text(t)) = s.poll_event() else {
        panic!()
    };
    s.send_text(t.as_str()).unwrap();
    assert!(matches!(s.poll_event(), Some(Event::Error(_))));
    assert_eq!(s.send_text("too late"), Err(UsageError::InvalidState));
    assert!(matches!(s.poll_event(), Some(Event::Close(_))));
    let expect = [
        sframe(true, 1, b"echo me"),
        sframe(true, 8, &close_payload(1002, "reserved bits set")),
    ]
    .concat();
    assert_eq!(take_output(&mut s), expect);
    // The same for a peer's close right behind a message.
    let mut s = open_server(Config::default());
    s.handle_input(
        &[
            cframe(true, 1, b"last words"),
            cframe(true, 8, &close_payload(1000, "")),
        ]
        .concat(),
    );
    let Some(Event::Text(t)) = s.poll_event() else {
        panic!()
    };
    s.send_text(t.as_str()).unwrap();
    assert_eq!(drain(&mut s), ["close 1000 \"\" Remote clean=true"]);
    let expect = [
        sframe(true, 1, b"last words"),
        sframe(true, 8, &close_payload(1000, "")),
    ]
    .concat();
    assert_eq!(take_output(&mut s), expect);
    assert!(s.should_close_transport());
}

#[test]
fn pongs_precede_later_messages() {
    let mut s = open_server(Config::default());
    s.handle_input(
        &[
            cframe(false, 1, b"a"),
            cframe(true, 9, b"p"),
            cframe(true, 0, b"b"),
        ]
        .concat(),
    );
    assert_eq!(drain(&mut s), ["ping \"p\"", "text \"ab\""]);
    s.send_text("ab").unwrap();
    assert_eq!(
        take_output(&mut s),
        [sframe(true, 10, b"p"), sframe(true, 1, b"ab")].concat()
    );
}

#[test]
fn reading_straight_into_the_connection_buffer() {
    let input = server_session_input(65_536);
    let (expect, _) = feed_in_pieces(&server, &input, &[]);
    let mut rng = Rng(42);
    for _ in 0..20 {
        let mut s = server();
        let mut events = Vec::new();
        let mut at = 0;
        while at < input.len() {
            let want = 1 + rng.below(5000);
            let buf = s.input_buffer(want);
            let n = buf.len().min(input.len() - at).min(1 + rng.below(want));
            buf[..n].copy_from_slice(&input[at..at + n]);
            at += n;
            s.commit_input(n);
            events.extend(drain(&mut s));
        }
        assert_eq!(events, expect);
    }
    // A lent buffer that is never committed hands nothing in.
    let mut s = open_server(Config::default());
    s.input_buffer(100).fill(0xFF);
    s.handle_input(&cframe(true, 1, b"ok"));
    assert_eq!(drain(&mut s), ["text \"ok\""]);
    s.input_buffer(10);
    s.handle_eof();
    s.commit_input(10);
    assert_eq!(drain(&mut s), ["close 1006 \"\" Remote clean=false"]);
}

/// A frame header split inside its masking key, where the key's bytes look
/// like the header of a large masked binary frame: the bytes after the
/// split continue the buffered header, and must not be read as a header of
/// their own (and their payload unmasked with a key that is not one).
#[test]
fn a_header_split_inside_a_key_that_looks_like_a_header() {
    let payload: Vec<u8> = (0..3000u32).map(|i| (i * 7) as u8).collect();
    // Binary, FIN, 126 + 16-bit length; key 82 FE 04 00 reads as "binary,
    // masked, 1 024 bytes".
    let wire = frame_with(true, 0, 2, &payload, Some([0x82, 0xFE, 0x04, 0x00]));
    let mut s = open_server(Config::default());
    s.handle_input(&wire[..4]);
    s.handle_input(&wire[4..]);
    match s.poll_event() {
        Some(Event::Binary(b)) => assert!(b[..] == payload[..], "payload differs"),
        other => panic!("{other:?}"),
    }
}
