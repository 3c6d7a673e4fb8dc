//! Arbitrary request heads into a server. A `Request` reaches the
//! application only for a valid upgrade (checked here independently), and
//! every simple valid upgrade does reach it; a refusal carries the error's
//! HTTP status; the 101 carries the right accept key; the bytes behind the
//! head (a known frame sequence) are decoded exactly; and events and
//! output do not depend on how the input is split. Layout: see
//! `rfc6455_fuzz::split_input`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfc6455::{Connection, HandshakeError, Initiator, MessageKind, PeerError, Role};
use rfc6455_fuzz::*;

const CANARY: &str = "behind the head ✓";

/// Whether the head is a valid upgrade request, by RFC 6455 §4.2.1, and
/// whether it is a plain request (no Upgrade: websocket) that is otherwise
/// acceptable HTTP/1.1.
fn verdict(head: &[u8]) -> (bool, bool) {
    let line = first_line(head);
    let h = header_lines(head);
    let count = |n: &str| h.iter().filter(|(k, _)| k == n.as_bytes()).count();
    let tokens = |n: &str| header_tokens(&h, n);
    let has = |n: &str, t: &str| {
        tokens(n)
            .iter()
            .any(|v| v.eq_ignore_ascii_case(t.as_bytes()))
    };
    let http11 = line.ends_with(b" HTTP/1.1") && count("host") == 1;
    let upgrade = has("upgrade", "websocket");
    let keys: Vec<&Vec<u8>> = h
        .iter()
        .filter(|(k, _)| k == b"sec-websocket-key")
        .map(|(_, v)| v)
        .collect();
    let valid = http11
        && line.starts_with(b"GET ")
        && upgrade
        && has("connection", "upgrade")
        // `Sec-WebSocket-Version-Client = version`: one value (§4.3).
        && count("sec-websocket-version") == 1
        && h.iter().any(|(k, v)| k == b"sec-websocket-version" && v == b"13")
        && keys.len() == 1
        && key_ok(keys[0]);
    (valid, http11 && !upgrade)
}

/// A head simple enough that any HTTP/1.1 parser must take it: CRLF line
/// ends, visible ASCII, a plain request target, token header names, and
/// within every configured limit.
fn simple(head: &[u8], config: &rfc6455::Config) -> bool {
    if head.len() > config.max_handshake_bytes || !head.ends_with(b"\r\n\r\n") {
        return false;
    }
    let body = &head[..head.len() - 4];
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    let headers = lines.len() - 1;
    if headers > config.max_headers.min(128) {
        return false;
    }
    for (i, l) in lines.iter().enumerate() {
        let l = if i + 1 < lines.len() {
            match l.strip_suffix(b"\r") {
                Some(l) => l,
                None => return false,
            }
        } else {
            l
        };
        if l.len() > config.max_header_line || l.iter().any(|&b| !(0x20..0x7F).contains(&b)) {
            return false;
        }
        if i == 0 {
            let parts: Vec<&[u8]> = l.split(|&b| b == b' ').collect();
            let target_ok = |t: &[u8]| {
                t.first() == Some(&b'/')
                    && t.iter()
                        .all(|&b| b.is_ascii_alphanumeric() || b"/?=&._~%-".contains(&b))
            };
            if parts.len() != 3
                || parts[0].is_empty()
                || !parts[0].iter().all(|&b| is_tchar(b))
                || !target_ok(parts[1])
                || parts[2] != b"HTTP/1.1"
            {
                return false;
            }
        } else {
            let Some(colon) = l.iter().position(|&b| b == b':') else {
                return false;
            };
            if colon == 0 || !l[..colon].iter().all(|&b| is_tchar(b)) {
                return false;
            }
        }
    }
    true
}

/// `rfc6455::check_request`, over the headers of a simple head as an HTTP
/// server would parse them, agrees with the connection: it accepts what
/// the connection hands to the application as a WebSocket request (with
/// the same accept key), and refuses with the same error what the
/// connection refuses for a §4.2.1 rule.
fn check_request_agrees(head: &[u8], first: Option<&Rec>, out: &[u8]) {
    let line = first_line(head);
    let method = std::str::from_utf8(line.split(|&b| b == b' ').next().unwrap_or_default())
        .unwrap_or_default();
    let lines = header_lines(head);
    let headers = lines
        .iter()
        .map(|(k, v)| (std::str::from_utf8(k).unwrap_or_default(), &v[..]));
    let checked = rfc6455::check_request(method, headers);
    match first {
        Some(Rec::Request(_)) if line.ends_with(b" HTTP/1.1") => {
            let accept = checked.expect("check_request refused a request the server accepted");
            let ours = [&b"Sec-WebSocket-Accept: "[..], &accept, b"\r\n"].concat();
            assert!(
                out.windows(ours.len()).any(|w| w == ours),
                "accept keys differ"
            );
        }
        Some(Rec::Error(PeerError::Handshake(e)))
            if matches!(
                e,
                HandshakeError::Method
                    | HandshakeError::MissingHeader(_)
                    | HandshakeError::DuplicateHeader(_)
                    | HandshakeError::NotUpgrade
                    | HandshakeError::BadKey
                    | HandshakeError::UnsupportedVersion
            ) =>
        {
            assert_eq!(checked, Err(*e), "check_request and the server disagree");
        }
        _ => {}
    }
}

/// The extension the server agreed to (the default config accepts
/// permessage-deflate, RFC 7692): one only if some offer names it, and
/// then answered in exactly one `Sec-WebSocket-Extensions` line that says
/// what `Open` says. A request whose only offer is a bare
/// `permessage-deflate` (every parameter is optional, §7.1) is accepted.
fn check_extension(head: &[u8], resp_headers: &[(Vec<u8>, Vec<u8>)], ext: Option<&str>) {
    let offers: Vec<Vec<u8>> = header_lines(head)
        .into_iter()
        .filter(|(k, _)| k == b"sec-websocket-extensions")
        .map(|(_, v)| v)
        .collect();
    let answered: Vec<&Vec<u8>> = resp_headers
        .iter()
        .filter(|(k, _)| k == b"sec-websocket-extensions")
        .map(|(_, v)| v)
        .collect();
    match ext {
        Some(e) => {
            let named = offers.iter().any(|v| {
                v.windows(18)
                    .any(|w| w.eq_ignore_ascii_case(b"permessage-deflate"))
            });
            assert!(named, "an extension no offer named: {e:?}");
            assert!(e.starts_with("permessage-deflate"), "{e:?}");
            assert_eq!(
                answered,
                [&e.as_bytes().to_vec()],
                "the 101 says another extension"
            );
        }
        None => {
            assert!(answered.is_empty(), "extensions answered but not in Open");
            let bare = offers.len() == 1 && offers[0].eq_ignore_ascii_case(b"permessage-deflate");
            assert!(!bare, "a bare permessage-deflate offer was declined");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (knobs, cuts, payload) = split_input(data);
    let config = knobs.config();
    let key = [9, 8, 7, 6];
    let behind = [
        encode_frame(true, 1, CANARY.as_bytes(), Some(key)),
        // A ping rather than a close, so that reading goes on past it.
        encode_frame(true, 9, b"canary ping", Some(key)),
    ]
    .concat();
    let end = head_end(payload);
    let input = match end {
        Some(n) => [&payload[..n], &behind[..]].concat(),
        None => payload.to_vec(),
    };
    let make = || Connection::server(config.clone());
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

    let status = |out: &[u8]| -> u16 {
        assert!(
            out.starts_with(b"HTTP/1.1 "),
            "{:?}",
            String::from_utf8_lossy(out)
        );
        std::str::from_utf8(&out[9..12]).unwrap().parse().unwrap()
    };
    if let Some(n) = end {
        let head = &payload[head_start(&payload[..n])..n];
        if simple(head, &config) && !config.allow_plain_http {
            check_request_agrees(head, rec.recs.first(), &out);
        }
    }
    match rec.recs.first() {
        Some(Rec::Request(head)) => {
            let n = end.expect("a request without a complete head");
            assert_eq!(
                head[..],
                payload[head_start(&payload[..n])..n],
                "the head is exactly the bytes from the request line to its end"
            );
            let (valid, plain) = verdict(head);
            let out_head_end = head_end(&out).expect("a complete response head");
            let resp = &out[..out_head_end];
            if valid {
                assert_eq!(status(resp), 101);
                let keyv = &header_lines(head)
                    .into_iter()
                    .find(|(k, _)| k == b"sec-websocket-key")
                    .unwrap()
                    .1;
                let accept = rfc6455::accept_key(keyv);
                let rh = header_lines(resp);
                let got: Vec<&Vec<u8>> = rh
                    .iter()
                    .filter(|(k, _)| k == b"sec-websocket-accept")
                    .map(|(_, v)| v)
                    .collect();
                assert_eq!(got, [&accept.to_vec()], "accept key");
                let offered = header_tokens(&header_lines(head), "sec-websocket-protocol");
                let chose = offered.iter().any(|p| p == b"chat");
                let proto = header_tokens(&rh, "sec-websocket-protocol");
                assert_eq!(proto.len(), usize::from(chose));
                let Some(Rec::Open(p, ext)) = rec.recs.get(1) else {
                    panic!("no Open after accept: {:?}", rec.recs)
                };
                assert_eq!(p.is_some(), chose);
                check_extension(head, &rh, ext.as_deref());
                // The bytes behind the head, decoded exactly: the text,
                // the ping, then (on EOF) the close; the pong answers.
                if !knobs.small_limits {
                    assert_eq!(
                        rec.recs[2..4],
                        [
                            Rec::Message(MessageKind::Text, CANARY.as_bytes().to_vec()),
                            Rec::Ping(b"canary ping".to_vec())
                        ]
                    );
                    assert_eq!(rec.recs.len(), 4 + usize::from(knobs.eof), "{:?}", rec.recs);
                    let mut sent = WireDecoder::new(Role::Server, false);
                    sent.push(&out[out_head_end..]);
                    assert_eq!(sent.frames.len(), usize::from(config.auto_pong));
                    if config.auto_pong {
                        assert_eq!(sent.frames[0].opcode, 10);
                        assert_eq!(sent.frames[0].payload, b"canary ping");
                    }
                }
            } else {
                assert!(
                    plain && config.allow_plain_http,
                    "invalid upgrade passed: {head:?}"
                );
                assert_eq!(status(resp), 404);
            }
        }
        Some(Rec::Error(PeerError::Handshake(e))) => {
            assert_eq!(status(&out), e.http_status(), "{e:?}");
            if e.http_status() == 426 {
                assert!(
                    out.windows(27)
                        .any(|w| w == b"Sec-WebSocket-Version: 13\r\n")
                );
            }
            assert!(matches!(
                rec.recs[1],
                Rec::Close {
                    code: 1006,
                    initiator: Initiator::Library,
                    clean: false,
                    ..
                }
            ));
            if let Some(n) = end {
                if simple(&payload[..n], &config) {
                    let (valid, plain) = verdict(&payload[..n]);
                    assert!(
                        !valid && !(plain && config.allow_plain_http),
                        "a simple valid request refused with {e:?}: {:?}",
                        String::from_utf8_lossy(&payload[..n])
                    );
                }
            }
        }
        Some(Rec::Close {
            code: 1006,
            initiator: Initiator::Remote,
            clean: false,
            ..
        }) => {
            assert!(knobs.eof && rec.recs.len() == 1 && out.is_empty());
        }
        None => assert!(out.is_empty()),
        Some(other) => panic!("first event {other:?}"),
    }
});
