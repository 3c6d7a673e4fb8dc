//! permessage-deflate through `Connection`, measured with the counting
//! allocator (benches/alloc-count): a decompression bomb against the limit
//! (peak heap asserted), and the heap an idle connection holds with
//! compression on. The allocator is global: every test here takes a lock.

#![cfg(feature = "deflate")]

mod common;

use std::sync::Mutex;

use common::{Meter, cframe, describe, frame_with};
use rfc6455::{Compressor, Config, Connection, DeflateConfig, DeflateParams, Event};

#[global_allocator]
static GLOBAL: alloc_count::CountingAlloc = alloc_count::CountingAlloc;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A masked client frame with RSV bits.
fn cframe_rsv(fin: bool, rsv: u8, opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame_with(fin, rsv, opcode, payload, Some(MASK))
}

/// An OPEN server that agreed `params` (as after a handshake).
fn deflate_server(config: Config, params: DeflateParams) -> Connection {
    Connection::open_server(config).with_deflate(params)
}

/// A DEFLATE stream that inflates to `mib` MiB of zeros per `copies`: one
/// MiB of zeros compressed from a fresh state ends with a sync flush and
/// refers back only into its own output, so copies of it follow each other
/// as one valid stream.
fn bomb(copies: usize) -> (Vec<u8>, usize) {
    let one = {
        let mut c = Compressor::new(15, 9);
        let mut out = Vec::new();
        c.compress(&vec![0u8; 1 << 20], false, &mut out);
        out
    };
    (one.repeat(copies), one.len())
}

#[test]
fn a_bomb_fails_with_1009_before_more_than_the_limit_plus_a_step_is_held() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    const LIMIT: usize = 1 << 20;
    for streaming in [false, true] {
        // 1 GiB of zeros from just under 1 MiB of compressed data.
        let (payload, one) = bomb(1024);
        let (payload, copies) = if payload.len() + 14 > LIMIT {
            let copies = (LIMIT - 14) / one;
            (payload[..copies * one].to_vec(), copies)
        } else {
            (payload, 1024)
        };
        assert!(copies >= 1000, "{copies} MiB of output only");
        let frame = cframe_rsv(true, 0b100, 0x2, &payload);
        drop(payload);
        let cfg = Config::default()
            .max_message_size(LIMIT)
            .streaming(streaming);
        let mut s = deflate_server(cfg, DeflateParams::default());
        alloc_count::start();
        let mut m = Meter::new();
        let mut got = Vec::new();
        let mut delivered = 0;
        // Reads of 64 KiB, as a transport delivers them.
        for read in frame.chunks(64 << 10) {
            m.call(|| s.handle_input(read));
            while let Some(e) = m.call(|| s.poll_event()) {
                if let Event::Fragment(f) = &e {
                    delivered += f.data.len();
                } else {
                    got.push(describe(&e));
                }
            }
        }
        let counted = alloc_count::stop();
        // The read lands in the input buffer (64 KiB), the decompressor
        // holds ~46 KiB; the output's capacity is at most the limit plus
        // one byte, reached by doubling: while it grows the last time, the
        // old half and the new buffer are both held.
        let peak = counted.peak;
        let _ = m.peak;
        println!("streaming={streaming}: peak heap {peak} bytes, {delivered} bytes delivered");
        let bound = LIMIT as i64 + LIMIT as i64 / 2 + (256 << 10);
        assert!(peak <= bound, "peak {peak} > {bound}");
        assert!(delivered <= LIMIT, "{delivered}");
        assert_eq!(got[0], "error Protocol(MessageTooBig)", "{got:?}");
        assert!(got.last().unwrap().starts_with("close 1009"), "{got:?}");
    }
}

// ------------------------------------------------------------ memory

/// The heap one OPEN server connection holds after it received and sent
/// one compressed message of 64 KiB each way and went idle
/// (`shrink_to_fit`), under `params` (`None`: compression off).
fn held_after_traffic(params: Option<DeflateParams>, level: u8) -> i64 {
    let msg = "a compressible line of text, with some words that repeat\n".repeat(1200);
    let frame = {
        let bits = params.map_or(15, |p| p.client_max_window_bits);
        let mut c = Compressor::new(bits, 6);
        cframe_rsv(true, 0b100, 0x1, &c.compress_message(msg.as_bytes()))
    };
    let plain = cframe(true, 0x1, msg.as_bytes());
    alloc_count::start();
    let before = alloc_count::snapshot().live;
    let cfg = Config::default().deflate(DeflateConfig::default().level(level));
    let mut s = Connection::open_server(cfg);
    if let Some(p) = params {
        s = s.with_deflate(p);
    }
    s.handle_input(if params.is_some() { &frame } else { &plain });
    let Some(Event::Text(t)) = s.poll_event() else {
        panic!()
    };
    assert_eq!(t.len(), msg.len());
    drop(t);
    s.send_text(&msg).unwrap();
    while s.poll_transmit().is_some() {}
    s.shrink_to_fit();
    let held = alloc_count::snapshot().live - before;
    alloc_count::stop();
    drop(s);
    held
}

/// What a connection holds with compression on, next to the idle figure
/// without it (printed; README's table). Asserted loosely so that growth is
/// noticed: zlib-rs's compressor keeps a 64 Ki-entry hash table whatever
/// the window.
#[test]
fn memory_held_per_connection_with_compression() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let takeover = DeflateParams::default();
    let nct = DeflateParams {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        ..DeflateParams::default()
    };
    let low = DeflateParams {
        server_max_window_bits: 9,
        client_max_window_bits: 9,
        ..nct
    };
    let off = held_after_traffic(None, 6);
    let with = held_after_traffic(Some(takeover), 6);
    let without = held_after_traffic(Some(nct), 6);
    let small = held_after_traffic(Some(low), 1);
    println!("heap held by an idle server connection after a 64 KiB message each way:");
    println!("  compression off:                         {off} bytes");
    println!("  context takeover, 15-bit windows:        {with} bytes");
    println!("  no context takeover, 15-bit windows:     {without} bytes");
    println!("  low_memory (no takeover, 9-bit windows): {small} bytes");
    // With context takeover the compressor (about 370 KiB at 15 bits and
    // memory level 8: window, hash table, match buffers) and the
    // decompressor (about 46 KiB) stay; without, shrink_to_fit frees both.
    assert!(with > off + (150 << 10), "{with}");
    assert!(with < off + (512 << 10), "{with}");
    assert!(without <= off + 1024, "{without} vs {off}");
    assert!(small <= off + 1024, "{small} vs {off}");
}
