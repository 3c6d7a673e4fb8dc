//! Arbitrary response heads into a client. The client never emits `Open`
//! without a valid 101 carrying the accept key computed (with
//! `rfc6455::accept_key`) from the key in the request it sent; when it
//! opens, the bytes behind the head (known frames) are decoded exactly;
//! every simple valid 101 opens; and events and output do not depend on
//! the split. `@@` in the input stands for the right accept key, so the
//! fuzzer can reach the open state. Layout: see `rfc6455_fuzz::split_input`.
//! The client offers no extension (compression off), so any accepted
//! extension must fail it; the permessage-deflate answers are checked by
//! `tests/deflate.rs` (one named test per rule) and `tests/deflate_conn.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfc6455::{ClientRequest, Connection, MessageKind, PeerError};
use rfc6455_fuzz::*;

fn replace(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if hay[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

/// Whether `head` is a 101 the client must accept: RFC 6455 §4.1, items
/// 1-6, in HTTP/1.1, for a request offering "chat" and "superchat" and no
/// extensions.
fn valid_101(head: &[u8], accept: &[u8]) -> bool {
    let line = first_line(head);
    let mut parts = line.splitn(3, |&b| b == b' ');
    // HTTP/1.1 exactly: a 101 in HTTP/1.0, which has no Upgrade, is refused
    // (RFC 9110 §7.8, §15.2).
    let status_ok =
        parts.next() == Some(&b"HTTP/1.1"[..]) && parts.next() == Some(&b"101"[..]);
    let h = header_lines(head);
    let has = |n: &str, t: &str| {
        header_tokens(&h, n)
            .iter()
            .any(|v| v.eq_ignore_ascii_case(t.as_bytes()))
    };
    let accepts: Vec<&Vec<u8>> = h
        .iter()
        .filter(|(k, _)| k == b"sec-websocket-accept")
        .map(|(_, v)| v)
        .collect();
    let protocols = h
        .iter()
        .filter(|(k, _)| k == b"sec-websocket-protocol")
        .count();
    let chosen = header_tokens(&h, "sec-websocket-protocol");
    let protocol_ok = protocols == 0
        || (protocols == 1
            && chosen.len() == 1
            && (chosen[0] == b"chat" || chosen[0] == b"superchat"));
    let no_extensions = header_tokens(&h, "sec-websocket-extensions").is_empty();
    status_ok
        && has("upgrade", "websocket")
        && has("connection", "upgrade")
        && accepts.len() == 1
        && accepts[0] == accept
        && protocol_ok
        && no_extensions
}

fn simple(head: &[u8], config: &rfc6455::Config) -> bool {
    if head.len() > config.max_handshake_bytes || !head.ends_with(b"\r\n\r\n") {
        return false;
    }
    let body = &head[..head.len() - 4];
    let last = body.split(|&b| b == b'\n').count() - 1;
    head.starts_with(b"HTTP/1.1 101 ")
        && body.split(|&b| b == b'\n').enumerate().all(|(i, l)| {
            // Every line but the last still has its CR (the last lost it
            // with the final CRLF CRLF).
            let l = if i < last {
                l.strip_suffix(b"\r").unwrap_or(l)
            } else {
                l
            };
            l.len() <= config.max_header_line
                && l.iter().all(|&b| (0x20..0x7F).contains(&b))
                && (i == 0
                    || l.iter()
                        .position(|&b| b == b':')
                        .is_some_and(|c| c > 0 && l[..c].iter().all(|&b| is_tchar(b))))
        })
        && head.split(|&b| b == b'\n').count() - 3 <= config.max_headers.min(128)
        && head
            .iter()
            .enumerate()
            .all(|(i, &b)| b != b'\n' || (i > 0 && head[i - 1] == b'\r'))
}

fuzz_target!(|data: &[u8]| {
    let (knobs, cuts, payload) = split_input(data);
    // The oracle (`valid_101`) knows no extension offer: compression off.
    let mut config = knobs.config();
    config.deflate = rfc6455::DeflateConfig::disabled();
    let seed = 11;
    let make = || {
        let req = ClientRequest::new("fuzz.example", "/ws").protocols(["chat", "superchat"]);
        Connection::client(req, config.clone(), entropy(seed)).unwrap()
    };
    let request = take_output(&mut make());
    let key = header_lines(&request)
        .into_iter()
        .find(|(k, _)| k == b"sec-websocket-key")
        .expect("the request carries a key")
        .1;
    assert!(key_ok(&key), "the client's key is base64 of 16 bytes");
    let accept = rfc6455::accept_key(&key);
    let payload = replace(payload, b"@@", &accept);
    let behind = [
        encode_frame(true, 1, "first ✓".as_bytes(), None),
        encode_frame(true, 2, &[0, 1, 2], None),
    ]
    .concat();
    let end = head_end(&payload);
    let input = match end {
        Some(n) => [&payload[..n], &behind[..]].concat(),
        None => payload.clone(),
    };
    let cuts: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    let (_, rec, out) = run_pieces(&make, &config, &[&input], knobs.eof);
    let split = run_fed(
        &make,
        &config,
        &pieces(&input, &cuts),
        knobs.eof,
        knobs.feed,
    );
    assert_eq!(rec.recs, split.1.recs, "events depend on the split");
    assert_eq!(out, split.2, "output depends on the split");
    rec.check_end(knobs.eof);
    assert_eq!(
        &out[..request.len()],
        &request[..],
        "the request is sent first, once"
    );
    let mut sent = WireDecoder::new(rfc6455::Role::Client, true);
    sent.push(&out);
    assert!(sent.messages.is_empty());

    match rec.recs.first() {
        Some(Rec::Open(protocol, ext)) => {
            let n = end.expect("open without a complete head");
            let head = &payload[..n];
            assert!(
                valid_101(head, &accept),
                "opened on an invalid response: {:?}",
                String::from_utf8_lossy(head)
            );
            assert!(ext.is_none());
            let chosen = header_tokens(&header_lines(head), "sec-websocket-protocol");
            assert_eq!(
                protocol.as_ref().map(|p| p.as_bytes().to_vec()),
                chosen.first().cloned()
            );
            if !knobs.small_limits {
                assert_eq!(
                    rec.recs[1..3],
                    [
                        Rec::Message(MessageKind::Text, "first ✓".as_bytes().to_vec()),
                        Rec::Message(MessageKind::Binary, vec![0, 1, 2]),
                    ],
                    "the bytes behind the head are kept exactly"
                );
            }
        }
        Some(Rec::Rejected(status, head, _)) => {
            assert_ne!(*status, 101);
            let n = end.expect("rejected without a complete head");
            assert_eq!(
                head[..],
                payload[head_start(&payload[..n])..n],
                "the head is exactly the bytes from the status line to its end"
            );
            assert!(matches!(
                rec.recs[1],
                Rec::Close {
                    code: 1006,
                    clean: false,
                    ..
                }
            ));
        }
        Some(Rec::Error(PeerError::Handshake(e))) => {
            if let Some(n) = end {
                let head = &payload[..n];
                assert!(
                    !(simple(head, &config) && valid_101(head, &accept)),
                    "a simple valid 101 refused with {e:?}: {:?}",
                    String::from_utf8_lossy(head)
                );
            }
        }
        None => assert!(!knobs.eof),
        Some(other) => panic!("first event {other:?}"),
    }
    if rec.recs.iter().any(|r| matches!(r, Rec::Open(..))) {
        assert!(
            matches!(rec.recs[0], Rec::Open(..)),
            "Open is the first event"
        );
    }
});
