//! The `Sec-WebSocket-Extensions` parser and permessage-deflate
//! negotiation on arbitrary header values.
//!
//! Layout (`split_input`): byte 0 picks a configuration (bits 0-2 the
//! server window - 8, bits 3-5 the client window - 8, bit 6
//! server_no_context_takeover, bit 7 client_no_context_takeover), byte 1
//! the level (mod 10), byte 2's low three bits count the cut points, the
//! rest is cut there into header lines.
//!
//! Invariants:
//! - nothing panics; a parse gives tokens (names, parameters, values);
//! - a server selects exactly when some permessage-deflate offer is well
//!   formed, the first such one; its answer re-parses to one
//!   permessage-deflate element that the offering client accepts, agreeing
//!   on everything but the client's optional extra reset;
//! - a malformed header is `Malformed` for the client and declined by the
//!   server; every agreed window is 8 to 15;
//! - a client's offer parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfc6455::{
    DeflateConfig, DeflateOffer, DeflateParams, ExtensionError, PERMESSAGE_DEFLATE, deflate_offers,
    parse_extension_header,
};

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn windows_ok(p: &DeflateParams) -> bool {
    (8..=15).contains(&p.server_max_window_bits) && (8..=15).contains(&p.client_max_window_bits)
}

fuzz_target!(|data: &[u8]| {
    let (_, cuts, payload) = rfc6455_fuzz::split_input(data);
    let flags = data.first().copied().unwrap_or(0);
    let lines = rfc6455_fuzz::pieces(payload, &cuts);
    let custom = DeflateConfig::default()
        .server_max_window_bits(8 + (flags & 7))
        .client_max_window_bits(8 + ((flags >> 3) & 7))
        .server_no_context_takeover(flags & 64 != 0)
        .client_no_context_takeover(flags & 128 != 0)
        .level(data.get(1).copied().unwrap_or(0) % 10);
    assert_eq!(custom.validate(), Ok(()));

    let parsed = parse_extension_header(&lines);
    if let Ok(exts) = &parsed {
        for e in exts {
            assert!(is_token(&e.name));
            for (p, v) in &e.params {
                assert!(is_token(p));
                assert!(v.as_deref().is_none_or(is_token));
            }
        }
    }

    for config in [
        DeflateConfig::default(),
        DeflateConfig::low_memory(),
        custom.clone(),
    ] {
        // Server.
        let selected = config.select(&lines);
        match &parsed {
            Err(e) => {
                assert_eq!(*e, ExtensionError::Malformed);
                assert!(selected.is_none());
            }
            Ok(exts) => {
                assert_eq!(selected, config.select_from(exts));
                let first = deflate_offers(exts).into_iter().find_map(Result::ok);
                match first {
                    None => assert!(selected.is_none()),
                    Some(offer) => {
                        let (server_view, answer) = selected.clone().expect("a good offer");
                        assert_eq!(
                            Some((server_view, answer.clone())),
                            config.accept_offer(&offer)
                        );
                        assert!(windows_ok(&server_view));
                        let again = parse_extension_header([&answer]).expect("answer parses");
                        assert_eq!(again.len(), 1);
                        assert_eq!(again[0].name, PERMESSAGE_DEFLATE);
                        let client_view = offer
                            .accept_response([&answer])
                            .expect("answer accepted")
                            .expect("answer agrees");
                        assert_eq!(
                            DeflateParams {
                                client_no_context_takeover: server_view.client_no_context_takeover,
                                ..client_view
                            },
                            server_view
                        );
                        assert!(
                            client_view.client_no_context_takeover
                                >= server_view.client_no_context_takeover
                        );
                    }
                }
            }
        }
        // Client: the same bytes as a server's answer.
        match config.accept_response(&lines) {
            Ok(Some(p)) => {
                assert!(parsed.is_ok());
                assert!(windows_ok(&p));
            }
            Ok(None) => assert!(parsed.as_ref().is_ok_and(|e| e.is_empty())),
            Err(e) => {
                if parsed.is_err() {
                    assert_eq!(e, ExtensionError::Malformed);
                }
            }
        }
    }

    // Our offer parses back to itself.
    let offer = custom.offer().expect("enabled");
    let exts = parse_extension_header([offer.header_value()]).expect("our offer parses");
    assert_eq!(exts.len(), 1);
    assert_eq!(DeflateOffer::from_extension(&exts[0]), Ok(offer));
});
