//! permessage-deflate (RFC 7692) building blocks: the RFC's byte vectors,
//! the negotiation rules of both roles (one named test per rule), the
//! codec's edge cases, and a round-trip property over any messages,
//! fragmentations and chunkings. Memory is measured in
//! `tests/deflate_memory.rs`.

#![cfg(feature = "deflate")]

use bytes::BytesMut;
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, RngSeed};
use rfc6455::{
    CloseCode, Compressor, Decompressor, DeflateConfig, DeflateDirection, DeflateOffer,
    DeflateParams, ExtensionError, InflateError, InflateStatus, Role, UsageError, deflate_offers,
    parse_extension_header,
};

// ---------------------------------------------------------------- helpers

/// Inflates one message given as compressed pieces, `step` bytes of output
/// at most per call (asserted), and returns its bytes.
fn inflate_message(
    d: &mut Decompressor,
    pieces: &[&[u8]],
    step: usize,
) -> Result<Vec<u8>, InflateError> {
    let mut out = Vec::new();
    for piece in pieces {
        let mut input = *piece;
        loop {
            let before = out.len();
            let r = d.inflate(input, &mut out, step)?;
            assert!(r.produced <= step, "{} > {step}", r.produced);
            assert_eq!(out.len() - before, r.produced);
            input = &input[r.consumed..];
            match r.status {
                InflateStatus::NeedInput => {
                    assert!(input.is_empty());
                    break;
                }
                InflateStatus::OutputFull => assert_eq!(r.produced, step),
                InflateStatus::MessageEnd => panic!("MessageEnd from inflate"),
            }
        }
    }
    loop {
        let before = out.len();
        let r = d.finish_message(&mut out, step)?;
        assert!(r.produced <= step);
        assert_eq!(out.len() - before, r.produced);
        match r.status {
            InflateStatus::MessageEnd => return Ok(out),
            InflateStatus::OutputFull => assert_eq!(r.produced, step),
            InflateStatus::NeedInput => panic!("NeedInput from finish_message"),
        }
    }
}

fn inflate_one(d: &mut Decompressor, payload: &[u8]) -> Result<Vec<u8>, InflateError> {
    inflate_message(d, &[payload], 1 << 16)
}

/// Data that repeats with the given period: compressible only by matches
/// reaching `period` bytes back.
fn periodic(len: usize, period: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    let block: Vec<u8> = (0..period)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect();
    (0..len).map(|i| block[i % period]).collect()
}

const HELLO: &[u8] = b"Hello";

// ------------------------------------------------ RFC 7692 §7.2.3 vectors

/// An empty last fragment after a flush is one 0x00 byte (RFC 7692
/// §7.2.3.6), into either kind of buffer; and the compressor's `Debug`
/// tells its settings.
#[test]
fn an_empty_final_fragment_is_one_zero_byte_in_any_buffer() {
    let mut c = Compressor::new(15, 6);
    let mut v = Vec::new();
    c.compress(b"abc", false, &mut v);
    let n = v.len();
    c.compress(b"", true, &mut v);
    assert_eq!(&v[n..], [0x00]);
    let mut c = Compressor::new(15, 6);
    let mut b = BytesMut::new();
    c.compress(b"abc", false, &mut b);
    c.compress(b"", true, &mut b);
    assert_eq!(&b[..], &v[..]);
    let debug = format!("{c:?}");
    assert!(
        debug.contains("window_bits: 15") && debug.contains("level: 6"),
        "{debug}"
    );
}

/// The output space asked for at once follows the input (about 9/8 of it
/// and a little), not the 64 KiB step: compressing 1 000 bytes into an
/// empty buffer takes a buffer of about that size.
#[test]
fn compress_asks_for_space_in_proportion_to_the_input() {
    let input = periodic(1000, 1000, 7);
    let mut c = Compressor::new(15, 6);
    let mut out = Vec::new();
    c.compress(&input, true, &mut out);
    assert!(out.capacity() <= 2048, "{}", out.capacity());
    let mut d = Decompressor::new(15);
    assert_eq!(inflate_one(&mut d, &out).unwrap(), input);
}

#[test]
fn rfc_7_2_3_1_hello_compressed() {
    let mut d = Decompressor::new(15);
    assert_eq!(
        inflate_one(&mut d, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]).unwrap(),
        HELLO
    );
    // Our compressor writes the same bytes.
    let mut c = Compressor::new(15, 6);
    assert_eq!(
        c.compress_message(HELLO),
        [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]
    );
}

#[test]
fn rfc_7_2_3_1_fragmented_message() {
    // "f2 48 cd" in the first frame, "c9 c9 07 00" in the continuation.
    let mut d = Decompressor::new(15);
    assert_eq!(
        inflate_message(&mut d, &[&[0xf2, 0x48, 0xcd], &[0xc9, 0xc9, 0x07, 0x00]], 1).unwrap(),
        HELLO
    );
}

#[test]
fn rfc_7_2_3_2_shared_window() {
    let mut d = Decompressor::new(15);
    assert_eq!(
        inflate_one(&mut d, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]).unwrap(),
        HELLO
    );
    assert_eq!(
        inflate_one(&mut d, &[0xf2, 0x00, 0x11, 0x00, 0x00]).unwrap(),
        HELLO
    );
    // Our compressor, with context takeover, refers back to the first too.
    let mut c = Compressor::new(15, 6);
    let first = c.compress_message(HELLO);
    let second = c.compress_message(HELLO);
    assert_eq!(
        second,
        [0xf2, 0x00, 0x11, 0x00, 0x00],
        "{first:02x?} {second:02x?}"
    );
}

#[test]
fn rfc_7_2_3_2_no_context_takeover_repeats_the_first() {
    let params = DeflateParams {
        server_no_context_takeover: true,
        ..DeflateParams::default()
    };
    let mut c = Compressor::for_params(&params, Role::Server, 6);
    assert!(c.is_reset_per_message());
    assert_eq!(c.compress_message(HELLO), c.compress_message(HELLO));
    // The client's decompressor resets too: the shared-window message
    // refers to bytes it no longer has.
    let mut d = Decompressor::for_params(&params, Role::Client);
    inflate_one(&mut d, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]).unwrap();
    assert_eq!(
        inflate_one(&mut d, &[0xf2, 0x00, 0x11, 0x00, 0x00]),
        Err(InflateError::Corrupt)
    );
}

#[test]
fn rfc_7_2_3_3_no_compression_block() {
    let mut d = Decompressor::new(15);
    assert_eq!(
        inflate_one(
            &mut d,
            &[
                0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00
            ]
        )
        .unwrap(),
        HELLO
    );
    // Level 0 writes stored blocks the same way.
    let mut c = Compressor::new(15, 0);
    assert_eq!(
        c.compress_message(HELLO),
        [
            0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00
        ]
    );
}

#[test]
fn rfc_7_2_3_4_bfinal_block() {
    let mut d = Decompressor::new(15);
    assert_eq!(
        inflate_one(&mut d, &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00]).unwrap(),
        HELLO
    );
    // The stream ended; the next message starts a new one.
    assert_eq!(
        inflate_one(&mut d, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]).unwrap(),
        HELLO
    );
    // Without the last 00 (not what the RFC shows, but nothing is missing
    // or ambiguous): the tail is not fed, and the next message is whole.
    assert_eq!(
        inflate_one(&mut d, &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]).unwrap(),
        HELLO
    );
    assert_eq!(
        inflate_one(&mut d, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]).unwrap(),
        HELLO
    );
    // An empty message as a final empty block, as some zlib bindings send.
    assert_eq!(inflate_one(&mut d, &[0x03, 0x00]).unwrap(), b"");
    assert_eq!(
        inflate_message(&mut d, &[&[0xf2, 0x48], &[0xcd, 0xc9, 0xc9, 0x07, 0x00]], 1).unwrap(),
        HELLO
    );
}

#[test]
fn rfc_7_2_3_5_two_blocks() {
    // "He", a sync flush, then "llo".
    let mut d = Decompressor::new(15);
    assert_eq!(
        inflate_one(
            &mut d,
            &[
                0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00
            ]
        )
        .unwrap(),
        HELLO
    );
}

#[test]
fn rfc_7_2_3_6_empty_fragment() {
    // An empty message is the single octet 00, which our compressor writes.
    let mut c = Compressor::new(15, 6);
    assert_eq!(c.compress_message(b""), [0x00]);
    let mut d = Decompressor::new(15);
    assert_eq!(inflate_one(&mut d, &[0x00]).unwrap(), b"");
    // A last fragment with nothing new is 00 as well.
    let mut out = Vec::new();
    c.compress(HELLO, false, &mut out);
    assert!(out.ends_with(&[0x00, 0x00, 0xff, 0xff]), "{out:02x?}");
    let mut last = Vec::new();
    c.compress(b"", true, &mut last);
    assert_eq!(last, [0x00]);
    assert_eq!(
        inflate_message(&mut d, &[&out, &last, &[]], 3).unwrap(),
        HELLO
    );
}

// ------------------------------------------------------- codec behaviour

#[test]
fn fragments_compress_across_each_other() {
    let text = b"the same words, the same words, the same words again".repeat(20);
    let mut c = Compressor::new(15, 6);
    let mut parts = Vec::new();
    for (i, chunk) in text.chunks(100).enumerate() {
        let mut out = BytesMut::new();
        let fin = (i + 1) * 100 >= text.len();
        c.compress(chunk, fin, &mut out);
        if !fin {
            // Each fragment is flushed: a streaming receiver gets it all.
            assert!(out.ends_with(&[0x00, 0x00, 0xff, 0xff]));
        }
        parts.push(out);
    }
    let total: usize = parts.iter().map(|p| p.len()).sum();
    assert!(total < text.len() / 4, "{total}");
    let pieces: Vec<&[u8]> = parts.iter().map(|p| &p[..]).collect();
    let mut d = Decompressor::new(15);
    assert_eq!(inflate_message(&mut d, &pieces, 7).unwrap(), text);
    // Every fragment's data is available as soon as it arrives.
    let mut d = Decompressor::new(15);
    let mut out = Vec::new();
    d.inflate(&parts[0], &mut out, 1 << 20).unwrap();
    assert_eq!(out, &text[..100]);
}

/// "An endpoint MAY use both DEFLATE blocks with the "BFINAL" bit set to 0
/// and DEFLATE blocks with the "BFINAL" bit set to 1 ... The next DEFLATE
/// block follows the padded data if any" (RFC 7692 §7.2.1): a message may
/// go on after a final block, with a new stream.
#[test]
fn blocks_after_a_final_block_are_decoded() {
    let mut d = Decompressor::new(15);
    assert_eq!(
        inflate_message(
            &mut d,
            &[
                &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
                &[0x0a, 0xcf, 0x2f, 0xca, 0x49, 0x01, 0x00]
            ],
            2
        )
        .unwrap(),
        b"HelloWorld"
    );
    // The new stream goes on into the next message: §7.2.3.2's second
    // message is 'H' and then 4 bytes from 5 back, here "orld".
    assert_eq!(
        inflate_one(&mut d, &[0xf2, 0x00, 0x11, 0x00, 0x00]).unwrap(),
        b"Horld"
    );
    // Many final blocks, even empty ones, in one message.
    let mut d = Decompressor::new(15);
    let mut msg = vec![0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    for _ in 0..1000 {
        msg.extend_from_slice(&[0x03, 0x00]);
    }
    msg.extend_from_slice(&[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00]);
    assert_eq!(inflate_one(&mut d, &msg).unwrap(), b"HelloHello");
    // The new stream cannot refer back across the end of the old one.
    let mut d = Decompressor::new(15);
    assert_eq!(
        inflate_one(
            &mut d,
            &[
                0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xf2, 0x00, 0x11, 0x00, 0x00
            ]
        ),
        Err(InflateError::Corrupt)
    );
}

#[test]
fn corrupt_data_fails_with_1007_and_stays_failed() {
    let mut d = Decompressor::new(15);
    // BTYPE 11 is reserved (RFC 1951 §3.2.3).
    let e = inflate_one(&mut d, &[0xff, 0xff, 0xff]).unwrap_err();
    assert_eq!(e, InflateError::Corrupt);
    assert_eq!(e.close_code(), CloseCode::INVALID_PAYLOAD);
    assert_eq!(e.to_string(), "invalid compressed data");
    assert_eq!(
        inflate_one(&mut d, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]),
        Err(InflateError::Corrupt)
    );
    // A stored block whose NLEN does not match LEN.
    let mut d = Decompressor::new(15);
    assert_eq!(
        inflate_one(&mut d, &[0x00, 0x05, 0x00, 0xfa, 0xfe, 0x48]),
        Err(InflateError::Corrupt)
    );
    // A distance before the first byte of the stream.
    let mut d = Decompressor::new(15);
    assert_eq!(
        inflate_one(&mut d, &[0xf2, 0x00, 0x11, 0x00, 0x00]),
        Err(InflateError::Corrupt)
    );
}

#[test]
fn an_error_leaves_the_output_as_it_was() {
    let text = periodic(100_000, 300, 3);
    let mut z = Compressor::new(15, 6).compress_message(&text);
    // The message ends with an empty stored block's header; its LEN and
    // NLEN must be complements (RFC 1951 §3.2.4), and 0000 0000 are not.
    z.extend_from_slice(&[0x00, 0x00, 0x00, 0x00]);
    let mut d = Decompressor::new(15);
    let mut out = b"kept".to_vec();
    assert_eq!(d.inflate(&z, &mut out, 1 << 20), Err(InflateError::Corrupt));
    assert_eq!(out, b"kept");
    let mut out = BytesMut::from(&b"kept"[..]);
    let mut d = Decompressor::new(15);
    assert_eq!(d.inflate(&z, &mut out, 1 << 20), Err(InflateError::Corrupt));
    assert_eq!(&out[..], b"kept");
}

#[test]
fn every_call_respects_its_output_limit() {
    let text = periodic(100_000, 300, 7);
    let mut c = Compressor::new(15, 9);
    let z = c.compress_message(&text);
    assert!(z.len() < 2_000, "{}", z.len());
    for step in [1, 2, 3, 100, 4096] {
        let mut d = Decompressor::new(15);
        assert_eq!(inflate_message(&mut d, &[&z], step).unwrap(), text);
    }
    // Into a fixed slice, as a streaming caller does.
    let mut d = Decompressor::new(15);
    let mut buf = [0u8; 512];
    let mut got = Vec::new();
    let mut input = &z[..];
    loop {
        let r = d.inflate_into(input, &mut buf).unwrap();
        got.extend_from_slice(&buf[..r.produced]);
        input = &input[r.consumed..];
        if r.status == InflateStatus::NeedInput {
            break;
        }
    }
    loop {
        let r = d.finish_message_into(&mut buf).unwrap();
        got.extend_from_slice(&buf[..r.produced]);
        if r.status == InflateStatus::MessageEnd {
            break;
        }
    }
    assert_eq!(got, text);
}

/// Found by the `inflate` fuzz target: a message cut inside a block, whose
/// restored `00 00 ff ff` decodes as more symbols. zlib takes the trailer
/// into its bit buffer before it writes their output, so "trailer taken"
/// is not "message done" when the room ran out.
#[test]
fn output_pending_behind_the_trailer_is_not_lost() {
    let payload = [0x2a, 0xff, 0xff, 0x40, 0xff, 0xff];
    let whole = inflate_message(&mut Decompressor::new(15), &[&payload], 1 << 16).unwrap();
    assert!(whole.len() > 100);
    for step in [1, 2, 3, 7] {
        let split = inflate_message(
            &mut Decompressor::new(15),
            &[&payload[..1], &payload[1..3], &payload[3..]],
            step,
        )
        .unwrap();
        assert_eq!(split, whole, "step {step}");
    }
}

#[test]
fn a_message_over_the_limit_stops_at_limit_plus_one() {
    let text = vec![b'a'; 1 << 20];
    let z = Compressor::new(15, 6).compress_message(&text);
    let limit = 10_000;
    let mut d = Decompressor::new(15);
    let mut out = Vec::new();
    let mut input = &z[..];
    let too_big = loop {
        let room = (limit + 1 - out.len()).min(4096);
        let r = d.inflate(input, &mut out, room).unwrap();
        input = &input[r.consumed..];
        if out.len() > limit {
            break true;
        }
        if r.status == InflateStatus::NeedInput {
            break false;
        }
    };
    assert!(too_big);
    assert_eq!(out.len(), limit + 1);
}

/// The 8-bit window is honoured with zlib's 9-bit one: no distance
/// reaches past 256 bytes. A decoder with an 8-bit window, given one byte
/// of room at a time, keeps no more than 256 bytes to refer to.
#[test]
fn window_8_is_honoured() {
    for period in [200, 250, 251, 256, 300] {
        let data = periodic(20_000, period, period as u32);
        for level in [1, 6, 9] {
            let z = Compressor::new(8, level).compress_message(&data);
            let mut d = Decompressor::new(8);
            assert_eq!(
                inflate_message(&mut d, &[&z], 1).unwrap(),
                data,
                "period {period} level {level}"
            );
        }
    }
}

#[test]
fn small_windows_keep_within_them() {
    for bits in 9..=15u8 {
        let window = 1usize << bits;
        let data = periodic(3 * window + 1000, window - 100, u32::from(bits));
        let z = Compressor::new(bits, 6).compress_message(&data);
        let mut d = Decompressor::new(bits);
        assert_eq!(inflate_message(&mut d, &[&z], 1).unwrap(), data, "{bits}");
    }
    // A strict decoder does notice a larger window: 15-bit output, period
    // 3000, through a 9-bit decoder.
    let data = periodic(20_000, 3000, 1);
    let z = Compressor::new(15, 6).compress_message(&data);
    let mut d = Decompressor::new(9);
    assert_eq!(
        inflate_message(&mut d, &[&z], 1),
        Err(InflateError::Corrupt)
    );
}

#[test]
fn release_frees_and_resets() {
    let mut c = Compressor::new(15, 6);
    assert!(!c.is_allocated());
    let a = c.compress_message(HELLO);
    assert!(c.is_allocated());
    c.release();
    assert!(!c.is_allocated());
    assert_eq!(c.compress_message(HELLO), a);
    c.reset();
    assert_eq!(c.compress_message(HELLO), a);
    let mut d = Decompressor::new(15);
    inflate_one(&mut d, &a).unwrap();
    d.release();
    assert!(!d.is_allocated());
    assert_eq!(inflate_one(&mut d, &a).unwrap(), HELLO);
    assert!(d.is_allocated(), "inflating allocates again");
}

#[test]
fn decompressor_reports_its_settings() {
    for (asked, bits) in [(0, 8), (8, 8), (12, 12), (15, 15), (99, 15)] {
        assert_eq!(Decompressor::new(asked).window_bits(), bits);
    }
    let debug = format!("{:?}", Decompressor::new(11));
    assert!(
        debug.contains("window_bits: 11") && debug.contains("allocated: false"),
        "{debug}"
    );
}

// -------------------------------------- negotiation: client (the answer)

/// The default client's view of a server answer.
fn client(answer: &[&str]) -> Result<Option<DeflateParams>, ExtensionError> {
    DeflateConfig::default().accept_response(answer)
}

fn params(snct: bool, cnct: bool, sbits: u8, cbits: u8) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: snct,
        client_no_context_takeover: cnct,
        server_max_window_bits: sbits,
        client_max_window_bits: cbits,
    }
}

#[test]
fn client_offer_texts() {
    assert_eq!(
        DeflateConfig::default().offer_header(),
        "permessage-deflate; client_max_window_bits"
    );
    assert_eq!(
        DeflateConfig::default()
            .client_max_window_bits(10)
            .server_max_window_bits(12)
            .client_no_context_takeover(true)
            .offer_header(),
        "permessage-deflate; client_max_window_bits=10; server_max_window_bits=12; \
         client_no_context_takeover"
    );
    assert_eq!(DeflateConfig::disabled().offer_header(), "");
    // An invalid configuration is clamped, never sent as is.
    assert_eq!(
        DeflateConfig::default()
            .server_max_window_bits(3)
            .offer_header(),
        "permessage-deflate; client_max_window_bits; server_max_window_bits=8"
    );
    // The offer we send parses back to itself.
    let offer = DeflateConfig::low_memory().offer().unwrap();
    let exts = parse_extension_header([offer.header_value()]).unwrap();
    assert_eq!(DeflateOffer::from_extension(&exts[0]), Ok(offer));
}

#[test]
fn client_accepts_a_bare_answer() {
    assert_eq!(
        client(&["permessage-deflate"]),
        Ok(Some(DeflateParams::default()))
    );
}

#[test]
fn client_no_answer_means_no_compression() {
    assert_eq!(client(&[]), Ok(None));
    assert_eq!(client(&["", " , "]), Ok(None));
}

#[test]
fn client_refuses_unknown_parameters() {
    assert_eq!(
        client(&["permessage-deflate; foo"]),
        Err(ExtensionError::UnknownParameter)
    );
    assert_eq!(
        client(&["permessage-deflate; Server_No_Context_Takeover"]),
        Err(ExtensionError::UnknownParameter)
    );
}

#[test]
fn client_refuses_duplicate_parameters() {
    for answer in [
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
        "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
        "permessage-deflate; client_max_window_bits=10; client_max_window_bits=11",
    ] {
        assert_eq!(
            client(&[answer]),
            Err(ExtensionError::DuplicateParameter),
            "{answer}"
        );
    }
}

#[test]
fn client_refuses_out_of_range_values() {
    for v in ["7", "16", "0", "08", "015", "1e1", "+9", "-9", "abc", "9.0"] {
        for p in ["server_max_window_bits", "client_max_window_bits"] {
            assert_eq!(
                client(&[&format!("permessage-deflate; {p}={v}")]),
                Err(ExtensionError::InvalidValue),
                "{p}={v}"
            );
        }
    }
}

#[test]
fn client_refuses_values_on_flags_and_missing_values() {
    for answer in [
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover=\"x\"",
        "permessage-deflate; server_max_window_bits",
        // In a response client_max_window_bits must have a value.
        "permessage-deflate; client_max_window_bits",
    ] {
        assert_eq!(
            client(&[answer]),
            Err(ExtensionError::InvalidValue),
            "{answer}"
        );
    }
}

#[test]
fn client_accepts_quoted_values() {
    assert_eq!(
        client(&["permessage-deflate; client_max_window_bits=\"10\""]),
        Ok(Some(params(false, false, 15, 10)))
    );
    assert_eq!(
        client(&["permessage-deflate; server_max_window_bits=\"8\""]),
        Ok(Some(params(false, false, 8, 15)))
    );
}

#[test]
fn client_refuses_an_unoffered_client_window() {
    let offer = DeflateOffer {
        client_max_window_bits: None,
        ..DeflateOffer::default()
    };
    assert_eq!(
        offer.accept_response(["permessage-deflate; client_max_window_bits=10"]),
        Err(ExtensionError::UnofferedClientWindow)
    );
    assert_eq!(
        offer.accept_response(["permessage-deflate"]),
        Ok(Some(DeflateParams::default()))
    );
}

#[test]
fn client_refuses_a_client_window_above_its_offer() {
    let config = DeflateConfig::default().client_max_window_bits(10);
    assert_eq!(
        config.accept_response(["permessage-deflate; client_max_window_bits=11"]),
        Err(ExtensionError::ClientWindowTooLarge)
    );
    assert_eq!(
        config.accept_response(["permessage-deflate; client_max_window_bits=9"]),
        Ok(Some(params(false, false, 15, 9)))
    );
    // Unanswered, our own value holds.
    assert_eq!(
        config.accept_response(["permessage-deflate"]),
        Ok(Some(params(false, false, 15, 10)))
    );
}

#[test]
fn client_refuses_a_server_window_above_its_request() {
    let config = DeflateConfig::default().server_max_window_bits(10);
    assert_eq!(
        config.accept_response(["permessage-deflate; server_max_window_bits=11"]),
        Err(ExtensionError::ServerWindowTooLarge)
    );
    assert_eq!(
        config.accept_response(["permessage-deflate; server_max_window_bits=10"]),
        Ok(Some(params(false, false, 10, 15)))
    );
    assert_eq!(
        config.accept_response(["permessage-deflate; server_max_window_bits=8"]),
        Ok(Some(params(false, false, 8, 15)))
    );
    // Unasked, the server may name any window.
    assert_eq!(
        client(&["permessage-deflate; server_max_window_bits=12"]),
        Ok(Some(params(false, false, 12, 15)))
    );
}

#[test]
fn client_requires_its_server_window_request_answered() {
    let config = DeflateConfig::default().server_max_window_bits(10);
    assert_eq!(
        config.accept_response(["permessage-deflate"]),
        Err(ExtensionError::MissingServerMaxWindowBits)
    );
}

#[test]
fn client_requires_its_server_no_context_takeover_answered() {
    let config = DeflateConfig::default().server_no_context_takeover(true);
    assert_eq!(
        config.accept_response(["permessage-deflate"]),
        Err(ExtensionError::MissingServerNoContextTakeover)
    );
    assert_eq!(
        config.accept_response(["permessage-deflate; server_no_context_takeover"]),
        Ok(Some(params(true, false, 15, 15)))
    );
}

#[test]
fn client_honours_no_context_takeover_the_server_asks_for() {
    // The server may add both unasked; the client must follow.
    let p = client(&["permessage-deflate; client_no_context_takeover; server_no_context_takeover"])
        .unwrap()
        .unwrap();
    assert_eq!(p, params(true, true, 15, 15));
    assert_eq!(
        p.compressor(Role::Client),
        DeflateDirection {
            window_bits: 15,
            no_context_takeover: true
        }
    );
    // Our own promise holds even when the server does not ask.
    let config = DeflateConfig::default().client_no_context_takeover(true);
    assert_eq!(
        config.accept_response(["permessage-deflate"]),
        Ok(Some(params(false, true, 15, 15)))
    );
}

#[test]
fn client_refuses_unoffered_extensions() {
    assert_eq!(
        client(&["x-webkit-deflate-frame"]),
        Err(ExtensionError::UnofferedExtension)
    );
    assert_eq!(
        client(&["permessage-deflate, x-foo"]),
        Err(ExtensionError::UnofferedExtension)
    );
    assert_eq!(
        client(&["Permessage-Deflate"]),
        Err(ExtensionError::UnofferedExtension)
    );
    // Nothing offered, nothing may be accepted.
    assert_eq!(
        DeflateConfig::disabled().accept_response(["permessage-deflate"]),
        Err(ExtensionError::UnofferedExtension)
    );
    assert_eq!(DeflateConfig::disabled().accept_response([""]), Ok(None));
}

#[test]
fn client_refuses_permessage_deflate_twice() {
    assert_eq!(
        client(&["permessage-deflate, permessage-deflate"]),
        Err(ExtensionError::DuplicateExtension)
    );
    assert_eq!(
        client(&["permessage-deflate", "permessage-deflate"]),
        Err(ExtensionError::DuplicateExtension)
    );
}

#[test]
fn client_refuses_malformed_answers() {
    for answer in [
        "permessage-deflate;",
        "permessage-deflate; client_max_window_bits=\"1 0\"",
        "permessage-deflate client_max_window_bits",
        "permessage-deflate; client_max_window_bits=\"10",
    ] {
        assert_eq!(
            client(&[answer]),
            Err(ExtensionError::Malformed),
            "{answer}"
        );
    }
    assert_eq!(
        ExtensionError::Malformed.to_string(),
        "malformed extension list"
    );
}

// ------------------------------------------ negotiation: server (offers)

fn server(offers: &[&str]) -> Option<(DeflateParams, String)> {
    DeflateConfig::default().select(offers)
}

#[test]
fn server_accepts_a_bare_offer() {
    assert_eq!(
        server(&["permessage-deflate"]),
        Some((DeflateParams::default(), "permessage-deflate".into()))
    );
}

#[test]
fn server_accepts_browser_and_autobahn_offers() {
    // What Chrome, Firefox, Node's ws and Python's websockets send.
    assert_eq!(
        server(&["permessage-deflate; client_max_window_bits"]),
        Some((DeflateParams::default(), "permessage-deflate".into()))
    );
    // Autobahn 13.3 / 13.5: server_max_window_bits=9.
    assert_eq!(
        server(&[
            "permessage-deflate; client_no_context_takeover; client_max_window_bits; \
             server_no_context_takeover; server_max_window_bits=9"
        ]),
        Some((
            params(true, false, 9, 15),
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=9".into()
        ))
    );
}

#[test]
fn server_honours_an_8_bit_window() {
    assert_eq!(
        server(&["permessage-deflate; server_max_window_bits=8"]),
        Some((
            params(false, false, 8, 15),
            "permessage-deflate; server_max_window_bits=8".into()
        ))
    );
}

#[test]
fn server_answers_the_offered_server_window_even_at_15() {
    assert_eq!(
        server(&["permessage-deflate; server_max_window_bits=15"]),
        Some((
            DeflateParams::default(),
            "permessage-deflate; server_max_window_bits=15".into()
        ))
    );
    // Its own smaller window wins, asked or not.
    let config = DeflateConfig::default().server_max_window_bits(10);
    assert_eq!(
        config.select(["permessage-deflate; server_max_window_bits=12"]),
        Some((
            params(false, false, 10, 15),
            "permessage-deflate; server_max_window_bits=10".into()
        ))
    );
    assert_eq!(
        config.select(["permessage-deflate"]),
        Some((
            params(false, false, 10, 15),
            "permessage-deflate; server_max_window_bits=10".into()
        ))
    );
}

#[test]
fn server_asks_for_a_client_window_only_when_offered() {
    let config = DeflateConfig::default().client_max_window_bits(10);
    assert_eq!(
        config.select(["permessage-deflate; client_max_window_bits"]),
        Some((
            params(false, false, 15, 10),
            "permessage-deflate; client_max_window_bits=10".into()
        ))
    );
    // Not offered: the response MUST NOT name it; the client may use 15.
    assert_eq!(
        config.select(["permessage-deflate"]),
        Some((DeflateParams::default(), "permessage-deflate".into()))
    );
    // Offered with a value: that is the most the client uses.
    assert_eq!(
        server(&["permessage-deflate; client_max_window_bits=12"]),
        Some((
            params(false, false, 15, 12),
            "permessage-deflate; client_max_window_bits=12".into()
        ))
    );
}

#[test]
fn server_no_context_takeover_rules() {
    // Asked by the client: answered.
    assert_eq!(
        server(&["permessage-deflate; server_no_context_takeover"]),
        Some((
            params(true, false, 15, 15),
            "permessage-deflate; server_no_context_takeover".into()
        ))
    );
    // The client's own hint binds nothing; only our answer would.
    assert_eq!(
        server(&["permessage-deflate; client_no_context_takeover"]),
        Some((DeflateParams::default(), "permessage-deflate".into()))
    );
    let low = DeflateConfig::low_memory().select(["permessage-deflate; client_max_window_bits"]);
    assert_eq!(
        low,
        Some((
            params(true, true, 9, 9),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=9; client_max_window_bits=9"
                .into()
        ))
    );
}

#[test]
fn server_accepts_quoted_values() {
    assert_eq!(
        server(&[
            "permessage-deflate; client_max_window_bits=\"10\"; server_max_window_bits=\"11\""
        ]),
        Some((
            params(false, false, 11, 10),
            "permessage-deflate; server_max_window_bits=11; client_max_window_bits=10".into()
        ))
    );
}

#[test]
fn server_declines_unknown_parameters() {
    assert_eq!(server(&["permessage-deflate; foo=1"]), None);
    assert_eq!(server(&["permessage-deflate; mem_level=8"]), None);
}

#[test]
fn server_declines_duplicate_parameters() {
    assert_eq!(
        server(&["permessage-deflate; client_max_window_bits; client_max_window_bits"]),
        None
    );
    assert_eq!(
        server(&["permessage-deflate; server_no_context_takeover; server_no_context_takeover"]),
        None
    );
}

#[test]
fn server_declines_out_of_range_values() {
    for v in ["7", "16", "08", "x", "\"\\7\""] {
        assert_eq!(
            server(&[&format!("permessage-deflate; server_max_window_bits={v}")]),
            None,
            "{v}"
        );
        assert_eq!(
            server(&[&format!("permessage-deflate; client_max_window_bits={v}")]),
            None,
            "{v}"
        );
    }
    // server_max_window_bits needs a value; flags take none.
    assert_eq!(
        server(&["permessage-deflate; server_max_window_bits"]),
        None
    );
    assert_eq!(
        server(&["permessage-deflate; server_no_context_takeover=1"]),
        None
    );
}

#[test]
fn server_takes_the_first_acceptable_of_several_offers() {
    // Autobahn 13.7 offers three; the first is honoured.
    let three = "permessage-deflate; client_no_context_takeover; client_max_window_bits; \
                 server_no_context_takeover; server_max_window_bits=9, permessage-deflate; \
                 client_no_context_takeover; client_max_window_bits; server_no_context_takeover, \
                 permessage-deflate; client_no_context_takeover; client_max_window_bits";
    assert_eq!(server(&[three]).unwrap().0, params(true, false, 9, 15));
    // A declined offer is skipped, across header lines too.
    assert_eq!(
        server(&[
            "x-foo, permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=12"
        ]),
        Some((
            params(false, false, 12, 15),
            "permessage-deflate; server_max_window_bits=12".into()
        ))
    );
}

#[test]
fn server_with_nothing_acceptable_compresses_nothing() {
    assert_eq!(server(&[]), None);
    assert_eq!(server(&["x-webkit-deflate-frame"]), None);
    assert_eq!(
        server(&[
            "permessage-deflate; foo",
            "permessage-deflate; server_max_window_bits=20"
        ]),
        None
    );
    // A malformed header declines every offer in it.
    assert_eq!(server(&["permessage-deflate, x; a=\"open"]), None);
    // Disabled: nothing is accepted.
    assert_eq!(
        DeflateConfig::disabled().select(["permessage-deflate"]),
        None
    );
}

#[test]
fn server_shows_what_was_offered() {
    let exts = parse_extension_header([
        "permessage-deflate; client_max_window_bits=\"10\", x-foo; a=b",
        "permessage-deflate; bogus",
    ])
    .unwrap();
    assert_eq!(
        deflate_offers(&exts),
        [
            Ok(DeflateOffer {
                client_max_window_bits: Some(10),
                ..DeflateOffer::default()
            }),
            Err(ExtensionError::UnknownParameter)
        ]
    );
    assert_eq!(
        DeflateConfig::default().select_from(&exts).unwrap().0,
        params(false, false, 15, 10)
    );
}

#[test]
fn select_answers_are_accepted_by_the_offering_client() {
    let configs = [
        DeflateConfig::default(),
        DeflateConfig::low_memory(),
        DeflateConfig::default().server_max_window_bits(8),
        DeflateConfig::default()
            .client_max_window_bits(12)
            .client_no_context_takeover(true),
    ];
    for client_config in &configs {
        for server_config in &configs {
            let offer = client_config.offer_header();
            let (server_view, answer) = server_config.select([&offer]).unwrap();
            let client_view = client_config.accept_response([&answer]).unwrap().unwrap();
            // The client may reset more than it was asked to; all else agrees.
            assert_eq!(
                DeflateParams {
                    client_no_context_takeover: server_view.client_no_context_takeover,
                    ..client_view
                },
                server_view,
                "{offer} -> {answer}"
            );
            assert!(
                client_view.client_no_context_takeover >= server_view.client_no_context_takeover
            );
        }
    }
}

#[test]
fn config_validation() {
    assert_eq!(DeflateConfig::default().validate(), Ok(()));
    assert_eq!(DeflateConfig::low_memory().validate(), Ok(()));
    assert_eq!(
        DeflateConfig::default()
            .server_max_window_bits(16)
            .validate(),
        Err(UsageError::InvalidConfig(
            "server_max_window_bits is not 8 to 15"
        ))
    );
    assert_eq!(
        DeflateConfig::default()
            .client_max_window_bits(7)
            .validate(),
        Err(UsageError::InvalidConfig(
            "client_max_window_bits is not 8 to 15"
        ))
    );
    assert_eq!(
        DeflateConfig::default().level(10).validate(),
        Err(UsageError::InvalidConfig("level is over 9"))
    );
    let c = DeflateConfig::default()
        .level(12)
        .client_max_window_bits(0)
        .clamped();
    assert_eq!((c.level, c.client_max_window_bits), (9, 8));
    assert_eq!(c.clone().validate(), Ok(()));
    assert_eq!(DeflateConfig::default().threshold, 1024);
}

// ------------------------------------------------------------- property

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
            "proptest-regressions/deflate.txt",
        ))),
        ..default
    }
}

/// Message bytes: mostly from a small alphabet (so matches happen), with
/// runs, sometimes random.
fn message() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b' ')], 0..3000),
        proptest::collection::vec(any::<u8>(), 0..600),
        (any::<u8>(), 0..5000usize).prop_map(|(b, n)| vec![b; n]),
        (1..700usize, 0..4000usize, any::<u32>()).prop_map(|(p, n, s)| periodic(n, p, s)),
    ]
}

/// Sorted cut points into `0..=len`, from fractions.
fn cuts(fractions: &[u16], len: usize) -> Vec<usize> {
    let mut c: Vec<usize> = fractions
        .iter()
        .map(|&f| usize::from(f) * len / usize::from(u16::MAX))
        .collect();
    c.push(0);
    c.push(len);
    c.sort_unstable();
    c.dedup();
    c
}

fn pieces<'a>(data: &'a [u8], fractions: &[u16]) -> Vec<&'a [u8]> {
    let c = cuts(fractions, data.len());
    if c.len() < 2 {
        return vec![data];
    }
    c.windows(2).map(|w| &data[w[0]..w[1]]).collect()
}

proptest! {
    #![proptest_config(config(200))]

    /// Any messages, split into any fragments when compressed, and the
    /// compressed bytes cut into any chunks when inflated (with any output
    /// step), come back exactly: with and without context takeover, for
    /// several windows and levels, in both roles.
    #[test]
    fn round_trip(
        messages in proptest::collection::vec(
            (message(), proptest::collection::vec(any::<u16>(), 0..4),
             proptest::collection::vec(any::<u16>(), 0..6)),
            1..6),
        bits in prop_oneof![Just(8u8), Just(9), Just(12), Just(15)],
        level in prop_oneof![Just(0u8), Just(1), Just(6), Just(9)],
        no_context_takeover in any::<bool>(),
        role_is_server in any::<bool>(),
        step in prop_oneof![Just(1usize), 2..64usize, Just(1 << 16)],
    ) {
        let agreed = DeflateParams {
            server_no_context_takeover: no_context_takeover,
            client_no_context_takeover: no_context_takeover,
            server_max_window_bits: bits,
            client_max_window_bits: bits,
        };
        let (us, them) = if role_is_server {
            (Role::Server, Role::Client)
        } else {
            (Role::Client, Role::Server)
        };
        let mut c = Compressor::for_params(&agreed, us, level);
        let mut d = Decompressor::for_params(&agreed, them);
        prop_assert_eq!(c.window_bits(), bits);
        prop_assert_eq!(d.is_reset_per_message(), no_context_takeover);
        for (msg, fragment_cuts, chunk_cuts) in &messages {
            let fragments = pieces(msg, fragment_cuts);
            let mut wire = Vec::new();
            for (i, f) in fragments.iter().enumerate() {
                c.compress(f, i + 1 == fragments.len(), &mut wire);
            }
            let chunks = pieces(&wire, chunk_cuts);
            let got = inflate_message(&mut d, &chunks, step);
            prop_assert_eq!(got.as_deref(), Ok(&msg[..]));
        }
    }
}

#[test]
fn codec_types_can_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Compressor>();
    send_sync::<Decompressor>();
    send_sync::<DeflateConfig>();
    send_sync::<DeflateParams>();
    send_sync::<ExtensionError>();
    send_sync::<InflateError>();
}
