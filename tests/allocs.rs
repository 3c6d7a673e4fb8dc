//! Zero allocations per message in steady state, on every decode workload
//! of the benchmarks: a long-lived server connection decodes a stream of
//! masked frames, read in fixed-size reads, and the application drops each
//! payload once it has looked at it. After a warm-up (the buffers reach
//! their working size), the allocator must not be called at all.
//!
//! One test function runs every workload in turn: the counting allocator is
//! global, so nothing else may run while it counts.

mod common;

use common::cframe;
use rfc6455::{Config, Connection, Event};

#[global_allocator]
static GLOBAL: alloc_count::CountingAlloc = alloc_count::CountingAlloc;

/// Limits off, as in the benchmarks.
fn config(streaming: bool) -> Config {
    let mut cfg = Config::default();
    cfg.max_message_size = usize::MAX;
    cfg.max_frame_size = usize::MAX;
    cfg.max_fragments = usize::MAX;
    cfg.streaming = streaming;
    cfg
}

/// `count` messages of `size` bytes (text: multi-byte UTF-8 included), each
/// in frames of at most `frame` bytes, masked.
fn wire(text: bool, size: usize, frame: usize, count: usize) -> Vec<u8> {
    let pattern = "ascii and κόσμε and 😀 ".as_bytes();
    let mut payload: Vec<u8> = pattern.iter().copied().cycle().take(size).collect();
    if text {
        // Cut back to a whole code point, then pad with ASCII.
        while std::str::from_utf8(&payload).is_err() {
            payload.pop();
        }
        payload.resize(size, b'.');
    }
    let mut out = Vec::new();
    for _ in 0..count {
        let mut start = 0;
        loop {
            let end = (start + frame).min(size);
            let first = start == 0;
            let opcode = match (first, text) {
                (false, _) => 0,
                (true, true) => 1,
                (true, false) => 2,
            };
            out.extend(cframe(end == size, opcode, &payload[start..end]));
            start = end;
            if end == size {
                break;
            }
        }
    }
    out
}

/// Decodes `input` in reads of `read` bytes through the lent buffer (or
/// `handle_input`), counting allocations over the second half of the
/// messages. Returns (messages counted, allocator calls).
fn steady_allocs(input: &[u8], read: usize, streaming: bool, lend: bool) -> (u64, u64) {
    steady_allocs_with(input, read, streaming, lend, false)
}

/// As `steady_allocs`; with `by_ref`, events are taken with
/// `poll_event_ref` (payloads lent, not moved out).
fn steady_allocs_with(
    input: &[u8],
    read: usize,
    streaming: bool,
    lend: bool,
    by_ref: bool,
) -> (u64, u64) {
    let mut conn = Connection::open_server(config(streaming));
    let total_msgs = {
        // Count the messages: one per FIN data frame.
        let mut probe = Connection::open_server(config(false));
        probe.handle_input(input);
        std::iter::from_fn(|| probe.poll_event()).count() as u64
    };
    let mut msgs = 0u64;
    let mut counting = false;
    let mut sum = 0u64;
    for chunk in input.chunks(read) {
        if lend {
            common::read_into(&mut conn, chunk, read);
        } else {
            conn.handle_input(chunk);
        }
        loop {
            let event = if by_ref { conn.poll_event_ref() } else { None };
            match event {
                Some(rfc6455::EventRef::Binary(b)) => {
                    sum = sum.wrapping_add(b.len() as u64);
                    msgs += 1;
                }
                Some(rfc6455::EventRef::Text(t)) => {
                    sum = sum.wrapping_add(t.len() as u64);
                    msgs += 1;
                }
                Some(rfc6455::EventRef::Fragment { data, last, .. }) => {
                    sum = sum.wrapping_add(data.len() as u64);
                    msgs += u64::from(last);
                }
                Some(other) => panic!("unexpected {other:?}"),
                None => break,
            }
        }
        while let Some(e) = conn.poll_event() {
            match e {
                Event::Binary(b) => {
                    sum = sum.wrapping_add(b.len() as u64);
                    msgs += 1;
                }
                Event::Text(t) => {
                    sum = sum.wrapping_add(t.len() as u64);
                    msgs += 1;
                }
                Event::Fragment(f) => {
                    sum = sum.wrapping_add(f.data.len() as u64);
                    msgs += u64::from(f.last);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        if !counting && msgs >= total_msgs / 2 {
            counting = true;
            alloc_count::start();
        }
    }
    let snap = alloc_count::stop();
    assert_eq!(msgs, total_msgs);
    assert!(sum > 0);
    (total_msgs - total_msgs / 2, snap.events())
}

#[test]
fn no_allocation_per_message_in_steady_state() {
    let mut failures = Vec::new();
    let mut report = |name: String, (msgs, allocs): (u64, u64)| {
        println!("{name:<44} {msgs:>7} messages counted, {allocs} allocator calls");
        if allocs != 0 {
            failures.push(name);
        }
    };
    for text in [false, true] {
        let kind = if text { "text" } else { "binary" };
        for size in [16, 125, 1 << 10, 64 << 10, 1 << 20] {
            // At least 2 MiB, and at least 8 messages.
            let count = ((2 << 20) / size).max(8);
            let input = wire(text, size, size, count);
            for lend in [true, false] {
                let how = if lend { "lent" } else { "copied" };
                report(
                    format!("{kind} {size} B, 64 KiB reads, {how}"),
                    steady_allocs(&input, 64 << 10, false, lend),
                );
            }
            report(
                format!("{kind} {size} B, 64 KiB reads, poll_event_ref"),
                steady_allocs_with(&input, 64 << 10, false, true, true),
            );
        }
    }
    // 1 MiB text in 4 KiB frames, read 1 500 bytes at a time: assembled, and
    // streamed.
    let input = wire(true, 1 << 20, 4 << 10, 6);
    report(
        "text 1 MiB in 4 KiB frames, 1500 B reads".into(),
        steady_allocs(&input, 1500, false, true),
    );
    report(
        "text 1 MiB in 4 KiB frames, poll_event_ref".into(),
        steady_allocs_with(&input, 1500, false, true, true),
    );
    report(
        "text 1 MiB in 4 KiB frames, streamed, poll_event_ref".into(),
        steady_allocs_with(&input, 1500, true, true, true),
    );
    // Streamed, a code point that straddles two frames is carried to the
    // next piece, which is put together in the reused reassembly buffer.
    report(
        "text 1 MiB in 4 KiB frames, streamed".into(),
        steady_allocs(&input, 1500, true, true),
    );
    let input = wire(false, 8 << 20, 8 << 20, 2);
    report(
        "binary 8 MiB, streamed in 64 KiB reads".into(),
        steady_allocs(&input, 64 << 10, true, true),
    );
    assert!(
        failures.is_empty(),
        "allocations in steady state: {failures:?}"
    );
}
