//! The permessage-deflate decompressor on arbitrary compressed bytes, and
//! the compressor–decompressor round trip on arbitrary data.
//!
//! Layout (`split_input`): byte 0 is flags (bits 0-2 window bits - 8,
//! bits 3-5 the output step, bits 6-7 the compression level), byte 1 the
//! message size limit (`64 × byte + 1`), byte 2's low three bits count
//! the cut points, the rest is the payload.
//!
//! Invariants:
//! - no panic; no call writes more than the room it is given, so a
//!   message never has more than limit + 1 bytes written (the 1009 case);
//! - the verdict does not depend on the chunking or the step: the split,
//!   small-step, limited run agrees with a whole, large-step run (same
//!   output when that fits the limit, the same error, or over the limit),
//!   and its output is always a prefix of the whole run's;
//! - every error closes with 1007;
//! - the payload, compressed in fragments cut at the cut points (two
//!   messages, with or without context takeover), inflates back exactly
//!   through the small step.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfc6455::{Compressor, Decompressor, InflateError, InflateStatus};

/// What a run ended with.
#[derive(Debug, PartialEq)]
enum Verdict {
    Ok,
    TooBig,
    Err(InflateError),
}

/// The whole run's limit: larger than any limited run's, so a limited run
/// over its limit is always a prefix of it.
const REFERENCE_LIMIT: usize = 8 << 20;

/// Inflates one message from `pieces`, each call given at most `step`
/// bytes of room and never more than `limit + 1` in all.
fn run(bits: u8, pieces: &[&[u8]], step: usize, limit: usize) -> (Vec<u8>, Verdict) {
    let mut d = Decompressor::new(bits);
    let mut out = Vec::new();
    for piece in pieces {
        let mut input = *piece;
        loop {
            let room = (limit + 1 - out.len()).min(step);
            let before = out.len();
            let r = match d.inflate(input, &mut out, room) {
                Ok(r) => r,
                Err(e) => {
                    assert_eq!(e.close_code().as_u16(), 1007);
                    assert_eq!(out.len(), before);
                    return (out, Verdict::Err(e));
                }
            };
            assert!(r.produced <= room);
            assert_eq!(out.len() - before, r.produced);
            input = &input[r.consumed..];
            if out.len() > limit {
                return (out, Verdict::TooBig);
            }
            match r.status {
                InflateStatus::NeedInput => {
                    assert!(input.is_empty());
                    break;
                }
                InflateStatus::OutputFull => assert_eq!(r.produced, room),
                InflateStatus::MessageEnd => panic!("MessageEnd from inflate"),
            }
        }
    }
    loop {
        let room = (limit + 1 - out.len()).min(step);
        let before = out.len();
        let r = match d.finish_message(&mut out, room) {
            Ok(r) => r,
            Err(e) => {
                assert_eq!(e.close_code().as_u16(), 1007);
                return (out, Verdict::Err(e));
            }
        };
        assert!(r.produced <= room);
        assert_eq!(out.len() - before, r.produced);
        if out.len() > limit {
            return (out, Verdict::TooBig);
        }
        match r.status {
            InflateStatus::MessageEnd => return (out, Verdict::Ok),
            InflateStatus::OutputFull => assert_eq!(r.produced, room),
            InflateStatus::NeedInput => panic!("NeedInput from finish_message"),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (_, cuts, payload) = rfc6455_fuzz::split_input(data);
    let flags = data.first().copied().unwrap_or(0);
    let bits = 8 + (flags & 7);
    let step = [1, 2, 7, 64, 512, 4096, 1 << 16, 3][usize::from((flags >> 3) & 7)];
    let level = [0, 1, 6, 9][usize::from(flags >> 6)];
    let limit = usize::from(data.get(1).copied().unwrap_or(0)) * 64 + 1;
    let pieces = rfc6455_fuzz::pieces(payload, &cuts);

    // Arbitrary bytes as one compressed message.
    let (whole, whole_verdict) = run(bits, &[payload], 1 << 16, REFERENCE_LIMIT);
    let (split, split_verdict) = run(bits, &pieces, step, limit);
    assert!(split.len() <= limit + 1);
    let (shorter, longer) = if split.len() <= whole.len() {
        (&split, &whole)
    } else {
        (&whole, &split)
    };
    assert!(longer.starts_with(shorter), "outputs disagree");
    match whole_verdict {
        Verdict::Ok if whole.len() <= limit => {
            assert_eq!(split_verdict, Verdict::Ok);
            assert_eq!(split, whole);
        }
        Verdict::Ok | Verdict::TooBig => assert_eq!(split_verdict, Verdict::TooBig),
        Verdict::Err(e) => assert!(
            split_verdict == Verdict::Err(e) || split_verdict == Verdict::TooBig,
            "{e:?} whole, {split_verdict:?} split"
        ),
    }

    // The payload as data: two messages, compressed in fragments.
    let reset = flags & 1 != 0;
    let mut c = Compressor::new(bits, level);
    let mut d = Decompressor::new(bits);
    for _ in 0..2 {
        let mut wire = Vec::new();
        let mut parts = Vec::new();
        for (i, p) in pieces.iter().enumerate() {
            let start = wire.len();
            c.compress(p, i + 1 == pieces.len(), &mut wire);
            parts.push(start..wire.len());
        }
        let chunks: Vec<&[u8]> = parts.iter().map(|r| &wire[r.clone()]).collect();
        let mut out = Vec::new();
        for chunk in &chunks {
            let mut input = *chunk;
            loop {
                let r = d.inflate(input, &mut out, step).expect("our own data");
                assert!(r.produced <= step);
                input = &input[r.consumed..];
                if r.status == InflateStatus::NeedInput {
                    break;
                }
            }
        }
        while d
            .finish_message(&mut out, step)
            .expect("our own data")
            .status
            != InflateStatus::MessageEnd
        {}
        assert_eq!(out, payload, "round trip");
        if reset {
            c.reset();
            d.reset();
        }
    }
});
