//! Arbitrary response heads into a client. The client never emits `Open`
//! without a valid 101 carrying the accept key computed (with
//! `rfc6455::accept_key`) from the key in the request it sent; when it
//! opens, the bytes behind the head (known frames) are decoded exactly;
//! every simple valid 101 opens; and events and output do not depend on
//! the split. `@@` in the input stands for the right accept key, so the
//! fuzzer can reach the open state. Layout: see `rfc6455_fuzz::split_input`.
//! Knob bit 7 makes the client offer permessage-deflate (the default
//! offer, `permessage-deflate; client_max_window_bits`); without it any
//! accepted extension must fail the client. With it, every canonical answer
//! (the parameters of RFC 7692 §7.1, each at most once, window bits 8-15
//! written plainly) opens with that extension, and nothing opens that
//! names another extension, another parameter or two extensions. The
//! finer rules (quoted values, leading zeros, ...) have one named test
//! each in `tests/deflate.rs`.
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

/// The values of the response's `Sec-WebSocket-Extensions` lines, but for
/// those that list nothing (a list's empty elements do not count, RFC 9110
/// §5.6.1).
fn extension_lines(head: &[u8]) -> Vec<Vec<u8>> {
    header_lines(head)
        .into_iter()
        .filter(|(k, _)| k == b"sec-websocket-extensions")
        .map(|(_, v)| v)
        .filter(|v| {
            v.split(|&b| b == b',')
                .any(|e| e.iter().any(|&b| b != b' ' && b != b'\t'))
        })
        .collect()
}

/// A canonical permessage-deflate answer to the default offer:
/// `permessage-deflate`, then `; ` and each known parameter at most once,
/// window bits 8 to 15 without leading zeros (RFC 7692 §7.1).
fn canonical_deflate(v: &[u8]) -> bool {
    let Ok(v) = std::str::from_utf8(v) else {
        return false;
    };
    let mut parts = v.split("; ");
    if parts.next() != Some("permessage-deflate") {
        return false;
    }
    let mut seen = Vec::new();
    for p in parts {
        let (name, value) = match p.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (p, None),
        };
        let ok = match (name, value) {
            ("server_no_context_takeover" | "client_no_context_takeover", None) => true,
            ("server_max_window_bits" | "client_max_window_bits", Some(b)) => {
                matches!(b, "8" | "9" | "10" | "11" | "12" | "13" | "14" | "15")
            }
            _ => false,
        };
        if !ok || seen.contains(&name) {
            return false;
        }
        seen.push(name);
    }
    true
}

/// What a client that opened must have been answered: one extension,
/// permessage-deflate, with known parameter names only.
fn could_be_deflate(lines: &[Vec<u8>]) -> bool {
    let joined = lines
        .iter()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect::<Vec<_>>()
        .join(",");
    let elements: Vec<&str> = joined
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    elements.len() == 1 && {
        let mut params = elements[0].split(';').map(str::trim);
        params
            .next()
            .is_some_and(|n| n.eq_ignore_ascii_case("permessage-deflate"))
            && params.all(|p| {
                let name = p.split('=').next().unwrap_or_default().trim();
                [
                    "server_no_context_takeover",
                    "client_no_context_takeover",
                    "server_max_window_bits",
                    "client_max_window_bits",
                ]
                .iter()
                .any(|k| name.eq_ignore_ascii_case(k))
            })
    }
}

/// Whether `head` is a 101 the client must accept: RFC 6455 §4.1, items
/// 1-6, in HTTP/1.1, for a request offering "chat" and "superchat", and
/// either no extension or (when `deflate`) the default permessage-deflate
/// offer, answered canonically.
fn valid_101(head: &[u8], accept: &[u8], deflate: bool) -> bool {
    let line = first_line(head);
    let mut parts = line.splitn(3, |&b| b == b' ');
    // HTTP/1.1 exactly: a 101 in HTTP/1.0, which has no Upgrade, is refused
    // (RFC 9110 §7.8, §15.2).
    let status_ok = parts.next() == Some(&b"HTTP/1.1"[..]) && parts.next() == Some(&b"101"[..]);
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
    let ext = extension_lines(head);
    let extensions_ok = match &ext[..] {
        [] => true,
        [one] => deflate && canonical_deflate(one),
        _ => false,
    };
    status_ok
        && has("upgrade", "websocket")
        && has("connection", "upgrade")
        && accepts.len() == 1
        && accepts[0] == accept
        && protocol_ok
        && extensions_ok
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
    let mut config = knobs.config();
    if !knobs.deflate {
        config.deflate = rfc6455::DeflateConfig::disabled();
    }
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
            let lines = extension_lines(head);
            let shown = || String::from_utf8_lossy(head).into_owned();
            assert!(
                knobs.deflate || lines.is_empty(),
                "an extension accepted with none offered: {}",
                shown()
            );
            match &lines[..] {
                [] => assert!(ext.is_none(), "{ext:?}"),
                [one] if canonical_deflate(one) => assert_eq!(
                    ext.as_deref().map(str::as_bytes),
                    Some(&one[..]),
                    "Open says another extension than the 101"
                ),
                _ => assert!(
                    could_be_deflate(&lines) && ext.is_some(),
                    "opened on an extension answer that is not permessage-deflate: {}",
                    shown()
                ),
            }
            // Apart from the extension, the rules of valid_101 hold.
            let without: Vec<u8> = head
                .split(|&b| b == b'\n')
                .filter(|l| {
                    !l.to_ascii_lowercase()
                        .starts_with(b"sec-websocket-extensions:")
                })
                .collect::<Vec<_>>()
                .join(&b'\n');
            assert!(
                valid_101(&without, &accept, knobs.deflate),
                "opened on an invalid response: {:?}",
                String::from_utf8_lossy(head)
            );
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
                    !(simple(head, &config) && valid_101(head, &accept, knobs.deflate)),
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
