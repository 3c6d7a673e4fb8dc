//! Property tests (proptest): frames survive any split, message sequences
//! survive any fragmentation and chunking through a client–server pair,
//! events do not depend on chunking, message limits hold exactly, the
//! incremental UTF-8 validator agrees with `core::str::from_utf8`, and the
//! close-code rules agree with RFC 6455 §7.4. Failures are kept in
//! `proptest-regressions/properties.txt` and replayed first.

mod common;

use common::Rng;
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, RngSeed};
use rfc6455::{
    CloseCode, Config, Connection, Event, EventRef, FrameHeader, MessageKind, Opcode, PeerError,
    ProtocolError, State, Status, UsageError, Utf8Validator,
};

/// CI runs a fixed seed, so that two runs on one commit test the same
/// cases; `PROPTEST_RNG_SEED=N` picks another (exploration).
const SEED: u64 = 6455;

fn config(cases: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases,
        rng_seed: match default.rng_seed {
            RngSeed::Random => RngSeed::Fixed(SEED),
            chosen => chosen,
        },
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/properties.txt",
        ))),
        ..default
    }
}

/// Sorted cut points into `0..=len`, from fractions.
fn cuts_from(fractions: &[u16], len: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = fractions
        .iter()
        .map(|&f| usize::from(f) * len / usize::from(u16::MAX))
        .collect();
    cuts.sort_unstable();
    cuts
}

/// Bytes that are mostly UTF-8, with some stray bytes mixed in.
fn utf8ish() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => any::<char>().prop_map(|c| c.to_string().into_bytes()),
            1 => any::<u8>().prop_map(|b| vec![b]),
            1 => prop::sample::select(vec![
                vec![0xED, 0xA0, 0x80], // a surrogate
                vec![0xC0, 0xAF],       // overlong
                vec![0xF4, 0x90, 0x80, 0x80],
                vec![0xF0, 0x9F, 0x98], // truncated
                vec![0xE2, 0x82],
            ]),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

// ---- RFC 6455 §7.4, written out here apart from the library ----

/// Whether a close frame may carry `code` (sent or received), by §7.4.1
/// and §7.4.2: 0-999 are not used; 1000-1003 are defined; 1004 is reserved;
/// 1005 and 1006 "MUST NOT be set as a status code in a Close control
/// frame"; 1007-1011 are defined; 1012-1014 are registered with IANA
/// (service restart, try again later, bad gateway); 1015 "MUST NOT be set";
/// 1016-2999 are reserved for future revisions; 3000-3999 are for
/// libraries and frameworks; 4000-4999 for private use; above is undefined.
fn rfc_close_code_allowed(code: u16) -> bool {
    const TABLE: &[(u16, u16, bool)] = &[
        (0, 999, false),
        (1000, 1003, true),
        (1004, 1006, false),
        (1007, 1014, true),
        (1015, 1015, false),
        (1016, 2999, false),
        (3000, 3999, true),
        (4000, 4999, true),
        (5000, 65535, false),
    ];
    TABLE
        .iter()
        .find(|(lo, hi, _)| (*lo..=*hi).contains(&code))
        .map(|t| t.2)
        .unwrap()
}

fn check_close_code(code: u16) {
    let allowed = rfc_close_code_allowed(code);
    assert_eq!(CloseCode(code).is_valid_on_wire(), allowed, "{code}");
    // Received: a valid code is echoed and closes cleanly; any other fails
    // the connection with 1002.
    let mut s = open_server(Config::default());
    s.handle_input(&cframe(true, 8, &code.to_be_bytes()));
    let events = drain(&mut s);
    if allowed {
        assert_eq!(events, [format!("close {code} \"\" Remote clean=true")]);
        assert_eq!(take_output(&mut s), sframe(true, 8, &code.to_be_bytes()));
    } else {
        assert_eq!(
            events,
            [
                format!("error Protocol(InvalidCloseCode({code}))"),
                "close 1002 \"\" Library clean=false".to_string()
            ]
        );
    }
    // Sent: the application may close with exactly the allowed codes.
    let mut c = open_client(Config::default());
    let r = c.close(CloseCode(code), "");
    if allowed {
        assert_eq!(r, Ok(()));
        assert_eq!(c.state(), State::Closing);
    } else {
        assert_eq!(r, Err(UsageError::InvalidCloseCode(code)));
        assert_eq!(c.state(), State::Open);
        assert!(c.poll_transmit().is_none());
    }
}

#[test]
fn close_code_rules_agree_with_rfc_7_4_for_every_code() {
    for code in 0..=u16::MAX {
        assert_eq!(
            CloseCode(code).is_valid_on_wire(),
            rfc_close_code_allowed(code),
            "{code}"
        );
    }
    // The boundaries of every range, through a connection.
    for code in [
        0, 1, 999, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012,
        1013, 1014, 1015, 1016, 1999, 2000, 2999, 3000, 3001, 3999, 4000, 4999, 5000, 9999, 65535,
    ] {
        check_close_code(code);
    }
}

/// One generated frame: FIN, an opcode index (0-7 pick data and
/// continuation opcodes, 8-15 are taken as they are), RSV1 or not, the
/// payload, and whether the mask is the right one for the role.
type GenFrame = (bool, u8, u8, Vec<u8>, bool);

/// The wire bytes of generated frames, valid and invalid, as a server
/// (`server`) or a client reads them.
fn mixed_frames(frames: &[GenFrame], server: bool) -> Vec<u8> {
    let mut input = Vec::new();
    for (fin, opcode, rsv, payload, right_mask) in frames {
        let masked = server == *right_mask;
        let op = if *opcode < 8 {
            [0u8, 1, 2, 0, 1, 2, 1, 3][usize::from(*opcode)]
        } else {
            *opcode
        };
        let payload = if op >= 8 {
            &payload[..payload.len().min(130)]
        } else {
            &payload[..]
        };
        input.extend(frame_with(
            *fin,
            *rsv * 4,
            op,
            payload,
            masked.then_some([1, 2, 3, 4]),
        ));
    }
    input
}

/// A framing-only connection in the role that reads `mixed_frames`.
fn mixed_conn(server: bool, streaming: bool) -> Connection {
    let mut cfg = Config::default();
    cfg.streaming = streaming;
    if server {
        Connection::open_server(cfg)
    } else {
        Connection::open_client(cfg, Rng::entropy(5))
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// A header encodes to the bytes it parses from, whatever the split.
    #[test]
    fn any_header_round_trips_under_any_split(
        fin in any::<bool>(),
        rsv in 0u8..8,
        opcode in 0u8..16,
        mask in proptest::option::of(any::<[u8; 4]>()),
        len in prop_oneof![0u64..=125, 126u64..=0xFFFF, 0x1_0000u64..=(i64::MAX as u64)],
    ) {
        let h = FrameHeader { fin, rsv, opcode: Opcode::from_u8(opcode), mask, payload_len: len };
        let (bytes, n) = h.encode();
        prop_assert_eq!(n, h.encoded_len());
        for k in 0..n {
            prop_assert_eq!(FrameHeader::parse(&bytes[..k]), Ok(Status::Partial));
        }
        prop_assert_eq!(FrameHeader::parse(&bytes[..n]), Ok(Status::Complete(h, n)));
    }

    /// Any single frame, encoded and split at arbitrary points, decodes to
    /// itself: the message or control payload arrives whole and unchanged.
    #[test]
    fn any_frame_split_anywhere_decodes_to_itself(
        kind in prop::sample::select(vec![1u8, 2, 9, 10]),
        payload in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..=125),
            prop::collection::vec(any::<u8>(), 126..2000),
            Just(vec![0x5Au8; 70_000]),
        ],
        server in any::<bool>(),
        mask in any::<[u8; 4]>(),
        fractions in prop::collection::vec(any::<u16>(), 0..6),
    ) {
        let control = kind >= 8;
        let payload = if control { payload[..payload.len().min(125)].to_vec() } else { payload };
        let payload = if kind == 1 { String::from_utf8_lossy(&payload).into_owned().into_bytes() } else { payload };
        let frame = frame_with(true, 0, kind, &payload, server.then_some(mask));
        let make = || if server { open_server(Config::default()) } else { open_client(Config::default()) };
        let cuts = cuts_from(&fractions, frame.len());
        let (events, _) = feed_in_pieces(&make, &frame, &cuts);
        let expect = match kind {
            1 => describe_message(true, &payload),
            2 => describe_message(false, &payload),
            9 => describe(&Event::Ping(payload.clone().into())),
            _ => describe(&Event::Pong(payload.clone().into())),
        };
        prop_assert_eq!(events, vec![expect]);
    }

    /// Any sequence of messages, in any fragmentation, with pings between
    /// fragments, through a client–server pair whose network delivers the
    /// bytes in any chunking, arrives whole, in order, in both directions.
    #[test]
    fn message_sequences_round_trip_through_a_pair(
        msgs in prop::collection::vec(
            (any::<bool>(), any::<bool>(), utf8ish(), 0usize..3000, prop::collection::vec(any::<u16>(), 0..5), any::<bool>()),
            0..12,
        ),
        seed in any::<u64>(),
        max_chunk in 1usize..600,
    ) {
        let mut net = Net::new(Pair::new(rfc6455::ClientRequest::new("h", "/"), Config::default()), seed, max_chunk);
        net.settle();
        prop_assert_eq!(net.pair.client.state(), State::Open);
        let mut expect: [Vec<String>; 2] = Default::default(); // [to server, to client]
        let mut rng = Rng(seed | 1);
        for (from_client, text, utf8, binary_len, fractions, pings) in &msgs {
            let data: Vec<u8> = if *text {
                String::from_utf8_lossy(utf8).into_owned().into_bytes()
            } else {
                (0..*binary_len).map(|_| rng.next() as u8).collect()
            };
            let kind = if *text { MessageKind::Text } else { MessageKind::Binary };
            let to = usize::from(!*from_client);
            let conn = if *from_client { &mut net.pair.client } else { &mut net.pair.server };
            if fractions.is_empty() {
                if *text {
                    conn.send_text(std::str::from_utf8(&data).unwrap()).unwrap();
                } else {
                    conn.send_binary(&data).unwrap();
                }
            } else {
                // Fragments may split a code point; only the message must be UTF-8.
                let cuts = cuts_from(fractions, data.len());
                let mut start = 0;
                for (i, &c) in cuts.iter().chain(std::iter::once(&data.len())).enumerate() {
                    let last = i == cuts.len();
                    conn.send_fragment(kind, &data[start..c], last).unwrap();
                    start = c;
                    if *pings && !last {
                        let p = [i as u8; 3];
                        conn.ping(&p).unwrap();
                        expect[to].push(describe(&Event::Ping(p.to_vec().into())));
                    }
                }
            }
            expect[to].push(describe_message(*text, &data));
            net.step();
        }
        net.settle();
        let not_pong = |e: &&String| !e.starts_with("pong");
        let server_got: Vec<&String> = net.pair.server_events.iter().skip(2).filter(not_pong).collect();
        let client_got: Vec<&String> = net.pair.client_events.iter().skip(1).filter(not_pong).collect();
        prop_assert_eq!(server_got, expect[0].iter().collect::<Vec<_>>());
        prop_assert_eq!(client_got, expect[1].iter().collect::<Vec<_>>());
    }

    /// Events and output depend on the bytes, never on how they were split:
    /// a stream of valid and invalid frames, fed whole and in pieces.
    #[test]
    fn events_do_not_depend_on_chunking(
        frames in prop::collection::vec(
            (any::<bool>(), 0u8..16, 0u8..2, prop::collection::vec(any::<u8>(), 0..300), any::<bool>()),
            0..10,
        ),
        fractions in prop::collection::vec(any::<u16>(), 0..12),
        server in any::<bool>(),
        streaming in any::<bool>(),
        eof in any::<bool>(),
    ) {
        let input = mixed_frames(&frames, server);
        let make = || mixed_conn(server, streaming);
        let whole = feed_output_at_end(&make, &input, &[], eof);
        let cuts = cuts_from(&fractions, input.len());
        let split = feed_output_at_end(&make, &input, &cuts, eof);
        if streaming {
            // Streamed pieces follow the chunking; their concatenation does not.
            let joined = |events: &[String]| -> Vec<String> {
                events.iter().filter(|e| !e.starts_with("fragment")).cloned().collect()
            };
            prop_assert_eq!(joined(&whole.0), joined(&split.0));
        } else {
            prop_assert_eq!(&whole.0, &split.0);
        }
        prop_assert_eq!(whole.1, split.1);
        let closes = whole.0.iter().filter(|e| e.starts_with("close")).count();
        prop_assert!(closes <= 1);
        if eof {
            prop_assert_eq!(closes, 1);
        }
        if closes == 1 {
            prop_assert!(whole.0.last().unwrap().starts_with("close"));
        }
    }

    /// Large masked frames, whose payloads are unmasked as they are copied
    /// in (also when their header arrives in the same copy), decode to what
    /// was sent under any chunking, with any keys, between small frames,
    /// fragments, text and pings, whether events are taken after every
    /// copy or only now and then, lent or owned.
    #[test]
    fn large_frames_decode_under_any_chunking(
        messages in prop::collection::vec(
            (0u8..4, prop_oneof![0usize..200, 1000usize..5000], any::<[u8; 4]>(), any::<u8>()),
            1..8,
        ),
        fractions in prop::collection::vec(any::<u16>(), 0..16),
        take_every in 1usize..4,
        lend in any::<bool>(),
        streaming in any::<bool>(),
    ) {
        let mut input = Vec::new();
        let mut expect = Vec::new();
        for (i, (kind, len, key, seed)) in messages.iter().enumerate() {
            let payload: Vec<u8> = (0..*len).map(|j| (j as u8).wrapping_mul(31) ^ seed).collect();
            let key = Some(*key);
            match kind {
                // One binary frame.
                0 => {
                    input.extend(frame_with(true, 0, 2, &payload, key));
                    expect.push(format!("binary {payload:?}"));
                }
                // A binary message in two fragments, a ping between them.
                1 => {
                    let (a, b) = payload.split_at(len / 3);
                    input.extend(frame_with(false, 0, 2, a, key));
                    input.extend(frame_with(true, 0, 9, &[i as u8], key));
                    input.extend(frame_with(true, 0, 0, b, key));
                    expect.push(format!("ping {:?}", [i as u8]));
                    expect.push(format!("binary {payload:?}"));
                }
                // Text (ASCII).
                2 => {
                    let text: Vec<u8> = payload.iter().map(|b| b'a' + b % 26).collect();
                    input.extend(frame_with(true, 0, 1, &text, key));
                    expect.push(format!("text {text:?}"));
                }
                // A binary message in three fragments.
                _ => {
                    let (a, rest) = payload.split_at(len / 3);
                    let (b, c) = rest.split_at(rest.len() / 2);
                    input.extend(frame_with(false, 0, 2, a, key));
                    input.extend(frame_with(false, 0, 0, b, key));
                    input.extend(frame_with(true, 0, 0, c, key));
                    expect.push(format!("binary {payload:?}"));
                }
            }
        }
        let mut cfg = Config::default();
        cfg.streaming = streaming;
        let mut conn = Connection::open_server(cfg);
        let mut got = Vec::new();
        // Streamed pieces are joined into their messages.
        let mut piece = Vec::new();
        let mut take = |conn: &mut Connection, got: &mut Vec<String>| loop {
            let (kind, data, last) = if lend {
                match conn.poll_event_ref() {
                    None => return,
                    Some(EventRef::Binary(b)) => ("binary", b.to_vec(), true),
                    Some(EventRef::Text(t)) => ("text", t.as_bytes().to_vec(), true),
                    Some(EventRef::Fragment { kind, data, last, .. }) => {
                        (if kind == MessageKind::Text { "text" } else { "binary" }, data.to_vec(), last)
                    }
                    Some(EventRef::Other(Event::Ping(p))) => ("ping", p.to_vec(), true),
                    Some(e) => panic!("unexpected {e:?}"),
                }
            } else {
                match conn.poll_event() {
                    None => return,
                    Some(Event::Binary(b)) => ("binary", b.to_vec(), true),
                    Some(Event::Text(t)) => ("text", t.as_bytes().to_vec(), true),
                    Some(Event::Fragment(f)) => {
                        (if f.kind == MessageKind::Text { "text" } else { "binary" }, f.data.to_vec(), f.last)
                    }
                    Some(Event::Ping(p)) => ("ping", p.to_vec(), true),
                    Some(e) => panic!("unexpected {e:?}"),
                }
            };
            if kind == "ping" {
                got.push(format!("ping {data:?}"));
                continue;
            }
            piece.extend_from_slice(&data);
            if last {
                got.push(format!("{kind} {piece:?}"));
                piece.clear();
            }
        };
        let cuts = cuts_from(&fractions, input.len());
        let mut from = 0;
        for (n, c) in cuts.iter().copied().chain(std::iter::once(input.len())).enumerate() {
            conn.handle_input(&input[from..c]);
            from = c;
            if n % take_every == 0 {
                take(&mut conn, &mut got);
            }
        }
        take(&mut conn, &mut got);
        prop_assert_eq!(got, expect);
    }

    /// `poll_event_ref` lends what `poll_event` moves out: the same events,
    /// payloads and output, for any frames and any chunking, in both roles
    /// and both modes.
    #[test]
    fn lent_events_equal_owned_events(
        frames in prop::collection::vec(
            (any::<bool>(), 0u8..16, 0u8..2, prop::collection::vec(any::<u8>(), 0..300), any::<bool>()),
            0..10,
        ),
        fractions in prop::collection::vec(any::<u16>(), 0..12),
        server in any::<bool>(),
        streaming in any::<bool>(),
        eof in any::<bool>(),
    ) {
        let input = mixed_frames(&frames, server);
        let make = || mixed_conn(server, streaming);
        let cuts = cuts_from(&fractions, input.len());
        let run = |lend: bool| {
            let mut conn = make();
            let mut events = Vec::new();
            let mut out = Vec::new();
            let mut from = 0;
            for c in cuts.iter().copied().chain(std::iter::once(input.len())) {
                conn.handle_input(&input[from..c]);
                from = c;
                loop {
                    let e = if lend {
                        match conn.poll_event_ref() {
                            Some(e) => e.to_owned(),
                            None => break,
                        }
                    } else {
                        match conn.poll_event() {
                            Some(e) => e,
                            None => break,
                        }
                    };
                    // Replies interleave with the events, as an echo would.
                    if let Event::Binary(b) = &e {
                        let _ = conn.send_binary(b);
                    }
                    events.push(describe(&e));
                }
                while let Some(b) = conn.poll_transmit() {
                    out.extend_from_slice(&b);
                }
            }
            if eof {
                conn.handle_eof();
                while let Some(e) = conn.poll_event_ref() {
                    events.push(describe(&e.to_owned()));
                }
                while let Some(b) = conn.poll_transmit() {
                    out.extend_from_slice(&b);
                }
            }
            (events, out)
        };
        let owned = run(false);
        let lent = run(true);
        prop_assert_eq!(&owned.0, &lent.0);
        prop_assert!(owned.1 == lent.1, "output differs");
    }

    /// In streaming mode every text piece is valid UTF-8 on its own (an
    /// unfinished code point is held back, even across frames), and the
    /// pieces join to the message, for any text, fragmentation and chunking,
    /// whether the pieces are lent or moved out.
    #[test]
    fn streamed_text_pieces_are_whole_code_points(
        text in "\\PC{0,200}",
        frame_cuts in prop::collection::vec(any::<u16>(), 0..6),
        read_cuts in prop::collection::vec(any::<u16>(), 0..12),
        lend in any::<bool>(),
    ) {
        let data = text.as_bytes();
        let cuts = cuts_from(&frame_cuts, data.len());
        let mut input = Vec::new();
        let mut start = 0;
        for (i, &c) in cuts.iter().chain(std::iter::once(&data.len())).enumerate() {
            input.extend(cframe(i == cuts.len(), if i == 0 { 1 } else { 0 }, &data[start..c]));
            start = c;
        }
        let mut s = open_server(Config::default().streaming(true));
        let mut joined = Vec::new();
        let mut lasts = 0;
        let mut from = 0;
        for c in cuts_from(&read_cuts, input.len()).into_iter().chain(std::iter::once(input.len())) {
            s.handle_input(&input[from..c]);
            from = c;
            // Lent by `poll_event_ref` or moved out by `poll_event`.
            while let Some(e) = if lend { s.poll_event_ref().map(|e| e.to_owned()) } else { s.poll_event() } {
                let Event::Fragment(f) = e else { panic!("unexpected {e:?}") };
                prop_assert!(std::str::from_utf8(&f.data).is_ok(), "piece {:?}", f.data);
                prop_assert!(f.text().is_some());
                // Only the last piece may be empty (a final frame with
                // nothing left to deliver).
                prop_assert!(!f.data.is_empty() || f.last, "an empty piece before the last");
                joined.extend_from_slice(&f.data);
                lasts += usize::from(f.last);
            }
        }
        prop_assert_eq!(lasts, 1);
        prop_assert!(joined == data);
    }

    /// For any limit L and any fragmentation, a message of exactly L bytes
    /// is accepted and one of L+1 bytes fails the connection with 1009.
    #[test]
    fn message_limit_is_exact(
        limit in 1usize..5000,
        fractions in prop::collection::vec(any::<u16>(), 0..8),
        text in any::<bool>(),
        streaming in any::<bool>(),
    ) {
        let mut cfg = Config::default();
        cfg.max_message_size = limit;
        cfg.streaming = streaming;
        for len in [limit, limit + 1] {
            let data = vec![b'x'; len];
            let cuts = cuts_from(&fractions, len);
            let mut input = Vec::new();
            let mut start = 0;
            for (i, &c) in cuts.iter().chain(std::iter::once(&len)).enumerate() {
                let op = if i == 0 { if text { 1 } else { 2 } } else { 0 };
                input.extend(cframe(i == cuts.len(), op, &data[start..c]));
                start = c;
            }
            let mut s = open_server(cfg.clone());
            s.handle_input(&input);
            let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
            if len == limit {
                let total: usize = events.iter().map(|e| match e {
                    Event::Text(t) => t.len(),
                    Event::Binary(b) => b.len(),
                    Event::Fragment(f) => f.data.len(),
                    other => panic!("{other:?}"),
                }).sum();
                prop_assert_eq!(total, limit);
                prop_assert_eq!(s.state(), State::Open);
            } else {
                let err = events.iter().find_map(|e| match e {
                    Event::Error(PeerError::Protocol(p)) => Some(*p),
                    _ => None,
                });
                // The frame limit is clamped to the message limit (a frame
                // is part of a message), so a frame over it fails first.
                let biggest = cuts
                    .iter()
                    .chain(std::iter::once(&len))
                    .scan(0, |start, &c| Some(c - std::mem::replace(start, c)))
                    .max()
                    .unwrap_or(0);
                let want = if biggest > limit {
                    ProtocolError::FrameTooBig
                } else {
                    ProtocolError::MessageTooBig
                };
                prop_assert_eq!(err, Some(want));
                match events.last() {
                    Some(Event::Close(c)) => prop_assert_eq!(c.code.as_u16(), 1009),
                    other => prop_assert!(false, "{:?}", other),
                }
                let out = take_output(&mut s);
                prop_assert_eq!(out[0], 0x88);
                prop_assert_eq!(&out[2..4], &1009u16.to_be_bytes()[..], "close frame with 1009");
            }
        }
    }

    /// A frame of exactly `max_frame_size` is accepted, one byte more fails
    /// with 1009 at the header, before its payload arrives.
    #[test]
    fn frame_limit_is_exact(limit in 1usize..70_000) {
        let mut cfg = Config::default();
        cfg.max_frame_size = limit;
        let mut s = open_server(cfg.clone());
        s.handle_input(&cframe(true, 2, &vec![7; limit]));
        prop_assert_eq!(drain(&mut s).len(), 1);
        let mut s = open_server(cfg);
        let over = cframe(true, 2, &vec![7; limit + 1]);
        let header_len = if limit < 125 { 6 } else if limit < 0xFFFF { 8 } else { 14 };
        s.handle_input(&over[..header_len]);
        prop_assert_eq!(drain(&mut s), vec![
            "error Protocol(FrameTooBig)".to_string(),
            "close 1009 \"\" Library clean=false".to_string(),
        ]);
    }

    /// The incremental validator agrees with `core::str::from_utf8`, for
    /// any chunking: it fails exactly when the bytes so far can no longer
    /// begin valid UTF-8, and ends complete exactly when they are UTF-8.
    #[test]
    fn utf8_validator_agrees_with_core(
        data in prop_oneof![utf8ish(), prop::collection::vec(any::<u8>(), 0..64)],
        fractions in prop::collection::vec(any::<u16>(), 0..10),
    ) {
        let cuts = cuts_from(&fractions, data.len());
        let mut v = Utf8Validator::new();
        let mut start = 0;
        let mut failed = false;
        for &c in cuts.iter().chain(std::iter::once(&data.len())) {
            let ok = v.feed(&data[start..c]).is_ok();
            let prefix_ok = match std::str::from_utf8(&data[..c]) {
                Ok(_) => true,
                Err(e) => e.error_len().is_none(),
            };
            prop_assert_eq!(ok, prefix_ok, "after {} bytes", c);
            start = c;
            if !ok {
                failed = true;
                break;
            }
        }
        prop_assert_eq!(!failed && v.is_complete(), std::str::from_utf8(&data).is_ok());
    }

    /// The close-code table, for random codes, through a connection.
    #[test]
    fn close_code_rules_agree_with_rfc_7_4(code in any::<u16>()) {
        check_close_code(code);
    }
}
