//! permessage-deflate through `Connection`: negotiation in both roles, the
//! RSV1 rules, corrupt data, compressed sends on the wire, and a
//! client–server round-trip property over any messages, fragmentations and
//! chunkings, with and without context takeover. The bomb and the memory a
//! connection holds are measured in `tests/deflate_conn_memory.rs`.

#![cfg(feature = "deflate")]

mod common;

use common::{Rng, cframe, describe, frame_with, take_output};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rfc6455::{
    Accept, ClientRequest, CloseCode, Compressor, Config, Connection, DeflateConfig, DeflateParams,
    Event, ExtensionError, HandshakeError, MessageKind, PeerError, ProtocolError,
};

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A masked client frame with RSV bits.
fn cframe_rsv(fin: bool, rsv: u8, opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame_with(fin, rsv, opcode, payload, Some(MASK))
}

fn compress(data: &[u8]) -> Vec<u8> {
    Compressor::new(15, 6).compress_message(data)
}

/// An OPEN server that agreed `params` (as after a handshake).
fn deflate_server(config: Config, params: DeflateParams) -> Connection {
    Connection::open_server(config).with_deflate(params)
}

/// Every event, described, until none is left.
fn events(conn: &mut Connection) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(e) = conn.poll_event() {
        out.push(describe(&e));
    }
    out
}

/// The first error event and the close code of a server fed `input`.
fn failure(mut conn: Connection, input: &[u8]) -> (Option<ProtocolError>, u16) {
    conn.handle_input(input);
    let mut err = None;
    let mut code = 0;
    while let Some(e) = conn.poll_event() {
        match e {
            Event::Error(PeerError::Protocol(p)) => err = err.or(Some(p)),
            Event::Close(c) => code = c.code.as_u16(),
            _ => {}
        }
    }
    (err, code)
}

// ------------------------------------------------------------ negotiation

/// Runs a handshake between a client and a server with these
/// configurations; the server accepts with `accept`. Returns both
/// connections, OPEN, and both `Open` events.
fn handshake(
    client: Config,
    server: Config,
    accept: Accept,
) -> (Connection, Connection, Vec<Event>) {
    let mut c = Connection::client(ClientRequest::new("h", "/"), client, Rng::entropy(3)).unwrap();
    let mut s = Connection::server(server);
    s.handle_input(&take_output(&mut c));
    let Some(Event::Request(req)) = s.poll_event() else {
        panic!("no request")
    };
    let _ = req;
    s.accept(accept).unwrap();
    let mut opens = Vec::new();
    while let Some(e) = s.poll_event() {
        opens.push(e);
    }
    c.handle_input(&take_output(&mut s));
    while let Some(e) = c.poll_event() {
        opens.push(e);
    }
    (c, s, opens)
}

#[test]
fn default_configs_negotiate_compression_in_both_roles() {
    let (c, s, opens) = handshake(Config::default(), Config::default(), Accept::new());
    let agreed = DeflateParams::default();
    assert_eq!(s.deflate(), Some(agreed));
    assert_eq!(c.deflate(), Some(agreed));
    assert_eq!(s.extensions(), Some("permessage-deflate"));
    assert_eq!(c.extensions(), Some("permessage-deflate"));
    for e in &opens {
        let Event::Open(open) = e else {
            panic!("{e:?}")
        };
        assert_eq!(open.deflate, Some(agreed));
        assert_eq!(open.extensions.as_deref(), Some("permessage-deflate"));
    }
}

#[test]
fn low_memory_preset_negotiates_its_windows_and_no_context_takeover() {
    let cfg = Config::default().deflate(DeflateConfig::low_memory());
    let (c, s, _) = handshake(cfg.clone(), cfg, Accept::new());
    let agreed = DeflateParams {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: 9,
        client_max_window_bits: 9,
    };
    assert_eq!(s.deflate(), Some(agreed));
    assert_eq!(c.deflate(), Some(agreed));
}

#[test]
fn accept_no_compression_declines_for_one_connection() {
    let (c, s, opens) = handshake(
        Config::default(),
        Config::default(),
        Accept::new().no_compression(),
    );
    assert_eq!((c.deflate(), s.deflate()), (None, None));
    assert_eq!((c.extensions(), s.extensions()), (None, None));
    assert!(
        opens
            .iter()
            .all(|e| matches!(e, Event::Open(o) if o.deflate.is_none()))
    );
}

#[test]
fn disabled_server_declines_and_disabled_client_offers_nothing() {
    let off = Config::default().deflate(DeflateConfig::disabled());
    let (c, s, _) = handshake(Config::default(), off.clone(), Accept::new());
    assert_eq!((c.deflate(), s.deflate()), (None, None));
    let mut c = Connection::client(ClientRequest::new("h", "/"), off, Rng::entropy(3)).unwrap();
    let head = String::from_utf8(take_output(&mut c)).unwrap();
    assert!(!head.contains("Sec-WebSocket-Extensions"), "{head}");
}

#[test]
fn client_offers_its_config_and_server_sees_the_offers() {
    let cfg = Config::default().deflate(DeflateConfig::default().server_max_window_bits(10));
    let mut c = Connection::client(ClientRequest::new("h", "/"), cfg, Rng::entropy(3)).unwrap();
    let head = String::from_utf8(take_output(&mut c)).unwrap();
    assert!(head.contains(
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits; server_max_window_bits=10\r\n"
    ));
    let mut s = Connection::server(Config::default());
    s.handle_input(head.as_bytes());
    let Some(Event::Request(req)) = s.poll_event() else {
        panic!()
    };
    let offers = req.deflate_offers();
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].unwrap().server_max_window_bits, Some(10));
    s.accept(Accept::new()).unwrap();
    let out = String::from_utf8(take_output(&mut s)).unwrap();
    assert!(
        out.contains("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n"),
        "{out}"
    );
}

#[test]
fn server_skips_a_malformed_offer_and_takes_the_next() {
    let mut s = Connection::server(Config::default());
    s.handle_input(
        b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
          Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=16, \
          permessage-deflate; server_max_window_bits=12\r\n\r\n",
    );
    let Some(Event::Request(req)) = s.poll_event() else {
        panic!()
    };
    let offers = req.deflate_offers();
    assert_eq!(offers[0], Err(ExtensionError::InvalidValue));
    s.accept(Accept::new()).unwrap();
    assert_eq!(s.deflate().unwrap().server_max_window_bits, 12);
}

#[test]
fn server_with_only_unacceptable_offers_opens_without_compression() {
    let mut s = Connection::server(Config::default());
    s.handle_input(
        b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
          Sec-WebSocket-Extensions: permessage-deflate; x=1, permessage-deflate; \
          server_no_context_takeover; server_no_context_takeover\r\n\r\n",
    );
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    s.accept(Accept::new()).unwrap();
    assert_eq!(s.deflate(), None);
    let out = String::from_utf8(take_output(&mut s)).unwrap();
    assert!(!out.contains("Sec-WebSocket-Extensions"), "{out}");
}

/// A client offering the defaults, fed a 101 with `extensions`.
fn client_answered(extensions: &str) -> Vec<String> {
    let mut c = Connection::client(
        ClientRequest::new("h", "/"),
        Config::default(),
        Rng::entropy(3),
    )
    .unwrap();
    let req = String::from_utf8(take_output(&mut c)).unwrap();
    let key = req
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap();
    let accept = String::from_utf8(rfc6455::accept_key(key.as_bytes()).to_vec()).unwrap();
    c.handle_input(
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Extensions: {extensions}\r\n\r\n"
        )
        .as_bytes(),
    );
    events(&mut c)
}

#[test]
fn client_fails_the_handshake_on_a_bad_answer() {
    let cases = [
        ("permessage-deflate; x=1", ExtensionError::UnknownParameter),
        (
            "permessage-deflate; server_max_window_bits=16",
            ExtensionError::InvalidValue,
        ),
        (
            "permessage-deflate; client_max_window_bits",
            ExtensionError::InvalidValue,
        ),
        (
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            ExtensionError::DuplicateParameter,
        ),
        (
            "permessage-deflate, permessage-deflate",
            ExtensionError::DuplicateExtension,
        ),
    ];
    for (answer, err) in cases {
        let got = client_answered(answer);
        assert_eq!(
            got[0],
            describe(&Event::Error(PeerError::Handshake(
                HandshakeError::Extension(err)
            ))),
            "{answer}"
        );
        assert!(got[1].starts_with("close 1006"), "{got:?}");
    }
    assert_eq!(
        HandshakeError::Extension(ExtensionError::UnknownParameter).to_string(),
        "permessage-deflate negotiation failed: unknown permessage-deflate parameter"
    );
}

#[test]
fn client_accepts_a_valid_answer() {
    let got = client_answered(
        "permessage-deflate; server_no_context_takeover; client_max_window_bits=10",
    );
    assert!(got[0].starts_with("open"), "{got:?}");
}

#[test]
fn client_refuses_a_hand_made_deflate_offer() {
    let req = ClientRequest::new("h", "/").extension("permessage-deflate");
    assert!(Connection::client(req, Config::default(), Rng::entropy(3)).is_err());
}

// ------------------------------------------------------------ RSV1 rules

#[test]
fn rsv1_without_the_extension_fails_with_1002() {
    let s = Connection::open_server(Config::default());
    let frame = cframe_rsv(true, 0b100, 0x1, &compress(b"hi"));
    assert_eq!(
        failure(s, &frame),
        (Some(ProtocolError::ReservedBits), 1002)
    );
}

#[test]
fn rsv1_on_a_control_frame_fails_with_1002() {
    for op in [0x8, 0x9, 0xA] {
        let s = deflate_server(Config::default(), DeflateParams::default());
        let frame = cframe_rsv(true, 0b100, op, &[]);
        assert_eq!(
            failure(s, &frame),
            (Some(ProtocolError::ReservedBits), 1002),
            "{op}"
        );
    }
}

#[test]
fn rsv1_on_a_continuation_frame_fails_with_1002() {
    let s = deflate_server(Config::default(), DeflateParams::default());
    let mut c = Compressor::new(15, 6);
    let mut a = Vec::new();
    c.compress(b"hello ", false, &mut a);
    let mut b = Vec::new();
    c.compress(b"world", true, &mut b);
    let input = [
        cframe_rsv(false, 0b100, 0x1, &a),
        cframe_rsv(true, 0b100, 0x0, &b),
    ]
    .concat();
    assert_eq!(
        failure(s, &input),
        (Some(ProtocolError::ReservedBits), 1002)
    );
}

#[test]
fn rsv2_and_rsv3_fail_with_the_extension_too() {
    for rsv in [0b010, 0b001, 0b110] {
        let s = deflate_server(Config::default(), DeflateParams::default());
        let frame = cframe_rsv(true, rsv, 0x2, b"x");
        assert_eq!(
            failure(s, &frame),
            (Some(ProtocolError::ReservedBits), 1002),
            "{rsv}"
        );
    }
}

#[test]
fn compressed_fragmented_message_and_control_frames_between() {
    let mut s = deflate_server(Config::default(), DeflateParams::default());
    let mut c = Compressor::new(15, 6);
    let mut a = Vec::new();
    c.compress("héllo ".as_bytes(), false, &mut a);
    let mut b = Vec::new();
    c.compress(b"world", true, &mut b);
    let input = [
        cframe_rsv(false, 0b100, 0x1, &a),
        cframe(true, 0x9, b"p"),
        cframe(true, 0x0, &b),
    ]
    .concat();
    s.handle_input(&input);
    assert_eq!(
        events(&mut s),
        ["ping \"p\"", "text \"héllo world\""].map(String::from)
    );
}

// ------------------------------------------------------------ bad data

#[test]
fn corrupt_data_fails_with_1007() {
    // BTYPE 11 is reserved (RFC 1951 §3.2.3).
    let s = deflate_server(Config::default(), DeflateParams::default());
    let frame = cframe_rsv(true, 0b100, 0x2, &[0x07, 0x00]);
    assert_eq!(
        failure(s, &frame),
        (Some(ProtocolError::InvalidCompressedData), 1007)
    );
}

#[test]
fn invalid_utf8_after_inflation_fails_with_1007() {
    let s = deflate_server(Config::default(), DeflateParams::default());
    let frame = cframe_rsv(true, 0b100, 0x1, &compress(&[b'a', 0xff, b'b']));
    assert_eq!(failure(s, &frame), (Some(ProtocolError::InvalidUtf8), 1007));
}

#[test]
fn no_context_takeover_refuses_a_reference_into_the_last_message() {
    // The client agreed to no context takeover; its second message refers
    // back into the first (a compressor that kept its context).
    let params = DeflateParams {
        client_no_context_takeover: true,
        ..DeflateParams::default()
    };
    let mut s = deflate_server(Config::default(), params);
    let mut c = Compressor::new(15, 6);
    let msg = b"the same words, the same words, the same words".repeat(4);
    let one = c.compress_message(&msg);
    let two = c.compress_message(&msg);
    s.handle_input(&cframe_rsv(true, 0b100, 0x1, &one));
    assert_eq!(events(&mut s).len(), 1);
    let (err, code) = failure(s, &cframe_rsv(true, 0b100, 0x1, &two));
    assert_eq!(
        (err, code),
        (Some(ProtocolError::InvalidCompressedData), 1007)
    );
}

#[test]
fn shrink_to_fit_keeps_a_taken_over_context_in_both_directions() {
    // With context takeover (the default), each direction's zlib state is
    // the context the next message refers back into: `shrink_to_fit`
    // between messages must keep it, and frees it only without takeover.
    let mut s = deflate_server(Config::default(), DeflateParams::default());
    let mut c = Compressor::new(15, 6);
    // Over the default threshold (1024 bytes), so that sends compress too.
    let msg = b"the same words, the same words, the same words".repeat(30);
    let one = c.compress_message(&msg);
    let two = c.compress_message(&msg);
    assert!(
        two.len() < one.len(),
        "the second refers back into the first"
    );
    s.handle_input(&cframe_rsv(true, 0b100, 0x1, &one));
    let first = events(&mut s);
    assert_eq!(first.len(), 1);
    // And one sent, so the compressor holds a context too.
    s.send_text(core::str::from_utf8(&msg).unwrap()).unwrap();
    let first_out = take_output(&mut s);
    s.shrink_to_fit();
    s.handle_input(&cframe_rsv(true, 0b100, 0x1, &two));
    assert_eq!(events(&mut s), first, "the same message again");
    s.send_text(core::str::from_utf8(&msg).unwrap()).unwrap();
    let second_out = take_output(&mut s);
    // The second send refers back into the first: shorter on the wire.
    assert!(
        second_out.len() < first_out.len(),
        "{} {}",
        second_out.len(),
        first_out.len()
    );
}

#[test]
fn shrink_to_fit_in_a_compressed_fragmented_send_keeps_the_message_whole() {
    // Without context takeover the compressor is freed between messages,
    // but not inside one: a fragmented compressed message is one deflate
    // stream across its frames.
    let params = DeflateParams {
        server_no_context_takeover: true,
        ..DeflateParams::default()
    };
    let mut config = Config::default();
    config.deflate = config.deflate.threshold(0);
    let mut s = deflate_server(config, params);
    let part = b"fragments of one compressed message, ".repeat(20);
    s.send_fragment(MessageKind::Binary, &part, false).unwrap();
    let mut wire = take_output(&mut s);
    s.shrink_to_fit();
    s.send_fragment(MessageKind::Binary, &part, false).unwrap();
    let second = take_output(&mut s);
    // The second fragment refers back into the first: the same stream.
    assert!(
        second.len() * 2 < wire.len(),
        "{} {}",
        second.len(),
        wire.len()
    );
    wire.extend(second);
    s.shrink_to_fit();
    s.send_fragment(MessageKind::Binary, &part, true).unwrap();
    wire.extend(take_output(&mut s));
    // A client that agreed the same parameters reads it back.
    let mut c = Connection::open_client(Config::default(), Rng::entropy(9)).with_deflate(params);
    c.handle_input(&wire);
    match c.poll_event() {
        Some(Event::Binary(b)) => assert_eq!(&b[..], &part.repeat(3)[..]),
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------------------ sends

#[test]
fn sends_compress_at_the_threshold_with_rsv1_on_the_first_frame_only() {
    let mut s = Connection::open_server(Config::default()).with_deflate(DeflateParams::default());
    s.send_binary(&[7u8; 1023]).unwrap();
    let out = take_output(&mut s);
    assert_eq!(out[0], 0x82, "under the threshold: uncompressed");
    s.send_binary(&[7u8; 1024]).unwrap();
    let out = take_output(&mut s);
    assert_eq!(out[0], 0xC2, "RSV1 set");
    assert!(out.len() < 40);
    // Fragments: RSV1 on the first only.
    s.send_fragment(MessageKind::Text, b"aaaa", false).unwrap();
    s.send_fragment(MessageKind::Text, b"aaaa", true).unwrap();
    let out = take_output(&mut s);
    assert_eq!(out[0], 0x41, "text, RSV1, not final");
    let second = 2 + out[1] as usize;
    assert_eq!(out[second], 0x80, "continuation, final, no RSV1");
    // A message sent whole through send_fragment: the threshold applies.
    s.send_fragment(MessageKind::Binary, &[7u8; 1023], true)
        .unwrap();
    assert_eq!(
        take_output(&mut s)[0],
        0x82,
        "under the threshold: uncompressed"
    );
    s.send_fragment(MessageKind::Binary, &[7u8; 1024], true)
        .unwrap();
    assert_eq!(take_output(&mut s)[0], 0xC2, "at the threshold: RSV1");
    // An empty last fragment after everything was flushed: its payload is
    // one 0x00 byte (RFC 7692 §7.2.3.6), not nothing.
    s.send_fragment(MessageKind::Binary, b"abc", false).unwrap();
    let _ = take_output(&mut s);
    s.send_fragment(MessageKind::Binary, b"", true).unwrap();
    assert_eq!(take_output(&mut s), [0x80, 1, 0x00]);
}

// ------------------------------------------------------------ round trip

/// What one side sends: a message, cut into fragments at these points
/// (empty: one frame), uncompressed if `plain`.
#[derive(Clone, Debug)]
struct Msg {
    text: bool,
    data: Vec<u8>,
    cuts: Vec<usize>,
    plain: bool,
}

fn msg() -> impl Strategy<Value = Msg> {
    (
        any::<bool>(),
        prop_oneof![
            // Compressible text (may be cut mid-code-point by fragments).
            (0usize..6000).prop_map(|n| "héllo wörld € 𝄞 {\"k\":1} "
                .chars()
                .cycle()
                .take(n)
                .collect::<String>()
                .into_bytes()),
            prop::collection::vec(any::<u8>(), 0..3000),
        ],
        prop::collection::vec(0usize..6000, 0..4),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(text, data, mut cuts, plain)| {
            let text = text && std::str::from_utf8(&data).is_ok();
            cuts.retain(|&c| c <= data.len());
            cuts.sort_unstable();
            Msg {
                text,
                data,
                cuts,
                plain,
            }
        })
}

fn send(conn: &mut Connection, m: &Msg) {
    let kind = if m.text {
        MessageKind::Text
    } else {
        MessageKind::Binary
    };
    if m.plain {
        return conn.send_uncompressed(kind, &m.data).unwrap();
    }
    if m.cuts.is_empty() {
        return if m.text {
            conn.send_text(std::str::from_utf8(&m.data).unwrap())
                .unwrap()
        } else {
            conn.send_binary(&m.data).unwrap()
        };
    }
    let mut start = 0;
    for &c in &m.cuts {
        conn.send_fragment(kind, &m.data[start..c], false).unwrap();
        start = c;
    }
    conn.send_fragment(kind, &m.data[start..], true).unwrap();
}

/// Reads every message out of `conn`, reassembling streamed pieces.
fn receive(conn: &mut Connection, got: &mut Vec<(bool, Vec<u8>)>, partial: &mut Vec<u8>) {
    while let Some(e) = conn.poll_event() {
        match e {
            Event::Text(t) => got.push((true, t.as_bytes().to_vec())),
            Event::Binary(b) => got.push((false, b.to_vec())),
            Event::Fragment(f) => {
                if f.kind == MessageKind::Text {
                    assert!(f.text().is_some(), "a text piece is whole code points");
                }
                partial.extend_from_slice(&f.data);
                if f.last {
                    got.push((f.kind == MessageKind::Text, std::mem::take(partial)));
                }
            }
            Event::Open(_) | Event::Ping(_) | Event::Pong(_) | Event::Close(_) => {}
            other => panic!("{other:?}"),
        }
    }
}

/// Moves what `from` wrote into `to` in pieces of at most `chunk` bytes.
fn deliver(
    from: &mut Connection,
    to: &mut Connection,
    chunk: usize,
    sink: &mut Vec<(bool, Vec<u8>)>,
    partial: &mut Vec<u8>,
) {
    let out = take_output(from);
    for piece in out.chunks(chunk.max(1)) {
        to.handle_input(piece);
        receive(to, sink, partial);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn compressed_messages_round_trip_exactly(
        msgs in prop::collection::vec((any::<bool>(), msg()), 1..12),
        chunk in 1usize..3000,
        nct in any::<(bool, bool)>(),
        bits in (8u8..=15, 8u8..=15),
        streaming in any::<(bool, bool)>(),
        threshold in prop_oneof![Just(0usize), Just(1024)],
    ) {
        let deflate = DeflateConfig::default()
            .server_no_context_takeover(nct.0)
            .client_no_context_takeover(nct.1)
            .server_max_window_bits(bits.0)
            .client_max_window_bits(bits.1)
            .threshold(threshold);
        let ccfg = Config::default().deflate(deflate.clone()).streaming(streaming.0);
        let scfg = Config::default().deflate(deflate).streaming(streaming.1);
        let (mut c, mut s, _) = handshake(ccfg, scfg, Accept::new());
        prop_assert!(c.deflate().is_some() && s.deflate().is_some());
        let (mut at_s, mut at_c) = (Vec::new(), Vec::new());
        let (mut ps, mut pc) = (Vec::new(), Vec::new());
        for (from_client, m) in &msgs {
            if *from_client {
                send(&mut c, m);
                deliver(&mut c, &mut s, chunk, &mut at_s, &mut ps);
            } else {
                send(&mut s, m);
                deliver(&mut s, &mut c, chunk, &mut at_c, &mut pc);
            }
        }
        let want = |client: bool| -> Vec<(bool, Vec<u8>)> {
            msgs.iter().filter(|(f, _)| *f == client).map(|(_, m)| (m.text, m.data.clone())).collect()
        };
        prop_assert_eq!(at_s, want(true));
        prop_assert_eq!(at_c, want(false));
        // A clean close after it all.
        c.close(CloseCode::NORMAL, "").unwrap();
        let (mut x, mut y) = (Vec::new(), Vec::new());
        deliver(&mut c, &mut s, chunk, &mut x, &mut y);
    }
}

/// The inflated size is held to `max_message_size` exactly, whole or
/// streamed: a message of the limit passes, one byte more fails with 1009.
#[test]
fn a_compressed_message_of_the_limit_passes_and_one_byte_more_fails_with_1009() {
    const MAX: usize = 10_000;
    for streaming in [false, true] {
        let mut config = Config::default().streaming(streaming);
        config.max_message_size = MAX;
        config.max_frame_size = MAX;
        let mut s = deflate_server(config.clone(), DeflateParams::default());
        s.handle_input(&cframe_rsv(true, 0b100, 0x2, &compress(&[b'x'; MAX])));
        let mut got = 0;
        while let Some(e) = s.poll_event() {
            match e {
                Event::Binary(b) => got += b.len(),
                Event::Fragment(f) => got += f.data.len(),
                e => panic!("streaming {streaming}: {e:?}"),
            }
        }
        assert_eq!(got, MAX, "streaming {streaming}");
        let s = deflate_server(config, DeflateParams::default());
        let over = cframe_rsv(true, 0b100, 0x2, &compress(&[b'x'; MAX + 1]));
        assert_eq!(
            failure(s, &over),
            (Some(ProtocolError::MessageTooBig), 1009),
            "streaming {streaming}"
        );
    }
}

/// Compressed text read a few bytes at a time: each inflate step's output
/// may end inside a code point, which is no error until the message ends.
#[test]
fn compressed_text_inflated_in_small_steps_is_valid_across_code_points() {
    let text = "€ü".repeat(2000);
    let frame = cframe_rsv(true, 0b100, 0x1, &compress(text.as_bytes()));
    for streaming in [false, true] {
        let config = Config::default().streaming(streaming);
        let mut s = deflate_server(config, DeflateParams::default());
        let mut got = Vec::new();
        for chunk in frame.chunks(3) {
            s.handle_input(chunk);
            while let Some(e) = s.poll_event() {
                match e {
                    Event::Text(t) => got.extend_from_slice(t.as_bytes()),
                    Event::Fragment(f) => {
                        // Each piece is whole code points.
                        assert!(f.text().is_some(), "{:?}", f.data);
                        got.extend_from_slice(&f.data);
                    }
                    e => panic!("streaming {streaming}: {e:?}"),
                }
            }
        }
        assert!(got == text.as_bytes(), "streaming {streaming}");
    }
}
