//! Heap held by the permessage-deflate codec, and the bounded inflate of a
//! decompression bomb, measured with the counting allocator
//! (benches/alloc-count; the main crate forbids `unsafe_code`, which a
//! `GlobalAlloc` needs). As in `tests/memory.rs`, a call's peak is bounded
//! from above by the live bytes before it plus the bytes it requested
//! (`Meter`, tests/common/meter.rs).
//!
//! The allocator is global: the tests take a lock so that no other test
//! of this binary is counted at the same time.

#![cfg(feature = "deflate")]

mod common;

use std::sync::Mutex;

use common::Meter;
use rfc6455::{Compressor, Decompressor, InflateStatus};

#[global_allocator]
static GLOBAL: alloc_count::CountingAlloc = alloc_count::CountingAlloc;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const KIB: i64 = 1 << 10;

/// Text-like input: words from a small vocabulary.
fn text(len: usize) -> Vec<u8> {
    let words: [&[u8]; 8] = [
        b"socket ",
        b"frame ",
        b"deflate ",
        b"window ",
        b"message ",
        b"{\"id\":",
        b"42, ",
        b"\"ok\"} ",
    ];
    let mut x = 1u32;
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        out.extend_from_slice(words[(x >> 16) as usize % words.len()]);
    }
    out.truncate(len);
    out
}

/// Inflates a whole message, step by step.
fn inflate_all(d: &mut Decompressor, z: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut input = z;
    loop {
        let r = d.inflate(input, &mut out, 1 << 16).unwrap();
        input = &input[r.consumed..];
        if r.status == InflateStatus::NeedInput {
            break;
        }
    }
    while d.finish_message(&mut out, 1 << 16).unwrap().status != InflateStatus::MessageEnd {}
    out
}

/// What each codec holds between messages once it has been used, with
/// context takeover (the state stays) and after `release` (none).
#[test]
fn state_sizes() {
    let _one = ONE_AT_A_TIME.lock().unwrap();
    alloc_count::start();
    let msg = text(64 << 10);
    let mut report = Vec::new();
    for (bits, level, max_kib) in [(15u8, 6u8, 400), (12, 6, 200), (9, 1, 140), (8, 1, 140)] {
        let m = Meter::new();
        let mut c = Compressor::new(bits, level);
        let z = c.compress_message(&msg);
        let held = m.live() - z.capacity() as i64;
        report.push(format!(
            "compressor {bits:>2} bits level {level}: {} KiB",
            held / KIB
        ));
        assert!(held <= max_kib * KIB, "compressor {bits}: {held}");
        assert!(held > 128 * KIB, "zlib-rs's hash table alone is 128 KiB");

        let m = Meter::new();
        let mut d = Decompressor::new(bits);
        let out = inflate_all(&mut d, &z);
        assert_eq!(out, msg);
        let held = m.live() - out.capacity() as i64;
        report.push(format!("decompressor {bits:>2} bits: {} KiB", held / KIB));
        assert!(held <= 48 * KIB, "decompressor {bits}: {held}");
        assert!(held >= 32 * KIB, "zlib-rs always keeps a 32 KiB window");

        // With no context takeover a connection can free both between
        // messages.
        let m = Meter::new();
        drop(out);
        drop(z);
        c.release();
        d.release();
        assert!(m.live() <= -(32 * KIB));
        let m = Meter::new();
        let _ = (&c, &d);
        assert_eq!(m.live(), 0);
    }
    alloc_count::stop();
    for line in &report {
        eprintln!("{line}");
    }
}

/// A message of about 1 MiB that inflates to 1 GiB (DEFLATE's best ratio
/// is about 1032:1, so that is as small as such a message can be), against
/// a 1 MiB limit: inflation stops with at most limit + 1 bytes written
/// when each call is given what is left of the limit, and the heap peaks
/// at the output plus the decompressor's state.
#[test]
fn bomb_stops_at_the_limit() {
    let _one = ONE_AT_A_TIME.lock().unwrap();
    let zeros = vec![0u8; 1 << 20];
    let mut c = Compressor::new(15, 9);
    let mut first = Vec::new();
    c.compress(&zeros, false, &mut first);
    let mut next = Vec::new();
    c.compress(&zeros, false, &mut next);
    let mut again = Vec::new();
    c.compress(&zeros, false, &mut again);
    // Once the window is all zeros, every further MiB is the same bytes.
    assert_eq!(next, again);
    let mut bomb = first.clone();
    for _ in 1..1024 {
        bomb.extend_from_slice(&next);
    }
    bomb.push(0x00); // the last fragment: nothing new
    assert!(bomb.len() < 1100 << 10, "{}", bomb.len());
    eprintln!(
        "bomb: {} bytes inflating to 1 GiB ({} + 1023 x {} + 1)",
        bomb.len(),
        first.len(),
        next.len()
    );
    // The pieces mean what they say: three of them are 3 MiB of zeros.
    let mut d = Decompressor::new(15);
    let three = [&first[..], &next, &next, &[0]].concat();
    let out = inflate_all(&mut d, &three);
    assert_eq!(out.len(), 3 << 20);
    assert!(out.iter().all(|&b| b == 0));
    drop((zeros, out, d, c));

    let limit: usize = 1 << 20;
    let step: usize = 64 << 10;
    alloc_count::start();

    // (a) Whole messages: each call gets min(step, limit + 1 - so far).
    let mut m = Meter::new();
    let mut d = Decompressor::new(15);
    let mut out: Vec<u8> = Vec::new();
    let mut input = &bomb[..];
    let mut calls = 0;
    let too_big = loop {
        let room = (limit + 1 - out.len()).min(step);
        let r = m.call(|| d.inflate(input, &mut out, room)).unwrap();
        calls += 1;
        assert!(r.produced <= room);
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
    // The input taken is about the limit's share of the bomb.
    let taken = bomb.len() - input.len();
    assert!(taken < 4 * bomb.len() / 1024 + (4 << 10), "{taken}");
    // The output Vec grows by doubling: at most twice what it holds.
    let peak_a = m.peak;
    eprintln!(
        "whole message: {calls} calls, {} KiB of input taken, peak {} KiB \
         (output capacity {} KiB)",
        taken >> 10,
        peak_a / KIB,
        out.capacity() >> 10
    );
    assert!(peak_a <= 2 * (limit as i64 + 1) + 64 * KIB, "peak {peak_a}");
    // Reserved up front, the bound is the limit plus the state.
    drop(out);
    drop(d);
    let mut m = Meter::new();
    let mut d = Decompressor::new(15);
    let mut out: Vec<u8> = m.call(|| Vec::with_capacity(limit + 1));
    let mut input = &bomb[..];
    loop {
        let room = (limit + 1 - out.len()).min(step);
        let r = m.call(|| d.inflate(input, &mut out, room)).unwrap();
        input = &input[r.consumed..];
        if out.len() > limit {
            break;
        }
        assert_eq!(r.status, InflateStatus::OutputFull);
    }
    let peak_b = m.peak;
    eprintln!("whole message, output reserved: peak {} KiB", peak_b / KIB);
    assert!(peak_b <= limit as i64 + 1 + 48 * KIB, "peak {peak_b}");
    drop(out);
    drop(d);

    // (b) Streaming: one step-sized buffer, each piece delivered (here:
    // counted) before the next call; the message fails once the total
    // passes the limit.
    let mut m = Meter::new();
    let mut d = Decompressor::new(15);
    let mut buf = m.call(|| vec![0u8; 16 << 10]);
    let mut total = 0usize;
    let mut input = &bomb[..];
    while total <= limit {
        let r = m.call(|| d.inflate_into(input, &mut buf)).unwrap();
        assert!(buf[..r.produced].iter().all(|&b| b == 0));
        total += r.produced;
        input = &input[r.consumed..];
        assert_eq!(r.status, InflateStatus::OutputFull);
    }
    assert!(total <= limit + buf.len());
    let peak_c = m.peak;
    eprintln!("streaming, 16 KiB pieces: peak {} KiB", peak_c / KIB);
    assert!(peak_c <= 16 * KIB + 48 * KIB, "peak {peak_c}");
    alloc_count::stop();
}
