//! permessage-deflate (RFC 7692) throughput and compression ratio: ours
//! beside soketto's `deflate` extension, on the same messages.
//!
//!   cargo bench --bench deflate                 # full run
//!   BENCH_QUICK=1 cargo bench --bench deflate   # short warm-up/measurement (CI)
//!
//! Workloads: JSON-like records and English-like text, messages of 1 KiB,
//! 64 KiB and 1 MiB. Each implementation compresses a message into a
//! frame payload (sync flush, `00 00 ff ff` removed) and inflates one back;
//! before timing, each one's output is inflated by the other and checked
//! byte for byte, and the compression ratio (payload / message) is printed.
//!
//! Implementations, each as a message's payload goes through it:
//! - `ours-l1-nct`: `rfc6455::Compressor` at level 1, context reset per
//!   message: the same settings as soketto's extension (it always uses
//!   `Compression::fast()` and no context takeover);
//! - `ours-l6-nct`: our default level (6), context reset per message here
//!   too (kept, a message repeated in the window would compress to almost
//!   nothing and flatter the figure);
//! - `soketto-0.8.1`: `soketto::extension::deflate::Deflate` (flate2 on
//!   miniz_oxide), through its `Extension::encode` / `decode`, the calls
//!   its `Sender` and `Receiver` make for every message once the handshake
//!   enabled the extension.
//!
//! Decompression is of a message compressed on its own (no context), so
//! each iteration is the same work; ours inflates in 64 KiB steps into a
//! reused buffer, soketto into a fresh `Vec` per message (its API).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rfc6455::{Compressor, Decompressor, InflateStatus};
use soketto::Storage;
use soketto::base::{Header, OpCode};
use soketto::extension::Extension;
use soketto::extension::deflate::Deflate;

const SIZES: [usize; 3] = [1 << 10, 64 << 10, 1 << 20];
const STEP: usize = 64 << 10;
const SOKETTO: &str = "soketto-0.8.1";

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1")
}

/// splitmix64, for reproducible messages.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// JSON records as an API sends them: repeated keys, varying values.
fn json(len: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng(seed);
    let names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"];
    let tags = [
        "\"new\"",
        "\"vip\"",
        "\"beta\"",
        "\"eu\"",
        "\"us\"",
        "\"trial\"",
    ];
    let mut s = String::from("[");
    while s.len() < len {
        s.push_str(&format!(
            "{{\"id\":{},\"user\":\"{}_{}\",\"active\":{},\"score\":{}.{},\"tags\":[{},{}],\"ts\":17{:08}}},",
            r.below(1_000_000),
            names[r.below(names.len())],
            r.below(1000),
            r.below(2) == 1,
            r.below(100),
            r.below(10),
            tags[r.below(tags.len())],
            tags[r.below(tags.len())],
            r.below(100_000_000),
        ));
    }
    s.truncate(len);
    s.into_bytes()
}

/// English-like text: words drawn with a skewed distribution.
fn text(len: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng(seed);
    let words = [
        "the",
        "of",
        "and",
        "to",
        "a",
        "in",
        "is",
        "that",
        "for",
        "it",
        "as",
        "was",
        "with",
        "be",
        "by",
        "on",
        "not",
        "he",
        "this",
        "are",
        "or",
        "his",
        "from",
        "at",
        "which",
        "but",
        "have",
        "an",
        "had",
        "they",
        "you",
        "were",
        "their",
        "one",
        "all",
        "we",
        "socket",
        "message",
        "frame",
        "window",
        "compression",
        "server",
        "client",
        "protocol",
        "connection",
        "extension",
        "negotiation",
        "deflate",
        "handshake",
        "payload",
    ];
    let mut s = String::new();
    while s.len() < len {
        // Skewed: the first words are the most frequent.
        let i = r.below(words.len()).min(r.below(words.len()));
        s.push_str(words[i]);
        s.push(if r.below(12) == 0 { '.' } else { ' ' });
    }
    s.truncate(len);
    s.into_bytes()
}

fn soketto_deflate() -> Deflate {
    let mut d = Deflate::new(soketto::Mode::Server);
    // A server whose handshake accepted a bare offer.
    d.configure(&[]).unwrap();
    assert!(d.is_enabled());
    d
}

fn soketto_compress(d: &mut Deflate, msg: &[u8]) -> Vec<u8> {
    let mut header = Header::new(OpCode::Binary);
    let mut data = Storage::Shared(msg);
    d.encode(&mut header, &mut data).unwrap();
    assert!(header.is_rsv1());
    match data {
        Storage::Owned(v) => v,
        other => other.as_ref().to_vec(),
    }
}

fn soketto_inflate(d: &mut Deflate, mut payload: Vec<u8>) -> Vec<u8> {
    try_soketto_inflate(d, &mut payload).unwrap();
    payload
}

fn try_soketto_inflate(d: &mut Deflate, payload: &mut Vec<u8>) -> Result<(), String> {
    let mut header = Header::new(OpCode::Binary);
    header.set_fin(true).set_rsv1(true);
    d.decode(&mut header, payload).map_err(|e| e.to_string())
}

/// Inflates one message with ours, in `STEP`-byte steps, into `out`.
fn ours_inflate(d: &mut Decompressor, payload: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut input = payload;
    loop {
        let r = d.inflate(input, out, STEP).unwrap();
        input = &input[r.consumed..];
        if r.status == InflateStatus::NeedInput && input.is_empty() {
            break;
        }
    }
    while d.finish_message(out, STEP).unwrap().status != InflateStatus::MessageEnd {}
}

/// A decompressor that forgets the context after each message.
fn ours_decompressor() -> Decompressor {
    let params = rfc6455::DeflateParams {
        client_no_context_takeover: true,
        ..rfc6455::DeflateParams::default()
    };
    Decompressor::for_params(&params, rfc6455::Role::Server)
}

/// A compressor at `level` that resets its context after each message.
fn ours_nct(level: u8) -> Compressor {
    let params = rfc6455::DeflateParams {
        server_no_context_takeover: true,
        ..rfc6455::DeflateParams::default()
    };
    Compressor::for_params(&params, rfc6455::Role::Server, level)
}

fn ours_l1_nct() -> Compressor {
    ours_nct(1)
}

fn bench(c: &mut Criterion) {
    let (warm, measure) = if quick() {
        (Duration::from_millis(200), Duration::from_millis(600))
    } else {
        (Duration::from_secs(1), Duration::from_secs(3))
    };
    println!(
        "{:<8} {:>8}  {:<14} {:>10} {:>8}",
        "data", "size", "impl", "payload", "ratio"
    );
    for (kind, make) in [("json", json as fn(usize, u64) -> Vec<u8>), ("text", text)] {
        let mut g = c.benchmark_group(format!("deflate/{kind}"));
        g.warm_up_time(warm)
            .measurement_time(measure)
            .sample_size(10);
        for size in SIZES {
            let msg = make(size, size as u64);
            g.throughput(Throughput::Bytes(size as u64));
            // Check each one against the other before timing, and print
            // the ratios.
            let ours1 = ours_l1_nct().compress_message(&msg);
            let ours6 = ours_nct(6).compress_message(&msg);
            let theirs = soketto_compress(&mut soketto_deflate(), &msg);
            let mut out = Vec::new();
            for (name, p) in [("ours1", &ours1), ("ours6", &ours6), ("theirs", &theirs)] {
                ours_inflate(&mut ours_decompressor(), p, &mut out);
                assert!(out == msg, "ours inflates");
                let mut q = p.clone();
                let r = try_soketto_inflate(&mut soketto_deflate(), &mut q);
                assert!(r.is_ok() && q == msg, "soketto inflates {name}: {r:?}");
            }
            for (name, p) in [
                ("ours-l1-nct", &ours1),
                ("ours-l6-nct", &ours6),
                (SOKETTO, &theirs),
            ] {
                println!(
                    "{kind:<8} {size:>8}  {name:<14} {:>10} {:>7.2}%",
                    p.len(),
                    100.0 * p.len() as f64 / size as f64
                );
            }

            // ---- compress ----
            let mut comp = ours_l1_nct();
            let mut buf = Vec::with_capacity(size + 64);
            g.bench_function(BenchmarkId::new("compress/ours-l1-nct", size), |b| {
                b.iter(|| {
                    buf.clear();
                    comp.compress(black_box(&msg), true, &mut buf);
                    black_box(buf.len())
                })
            });
            let mut comp = ours_nct(6);
            g.bench_function(BenchmarkId::new("compress/ours-l6-nct", size), |b| {
                b.iter(|| {
                    buf.clear();
                    comp.compress(black_box(&msg), true, &mut buf);
                    black_box(buf.len())
                })
            });
            let mut sk = soketto_deflate();
            g.bench_function(BenchmarkId::new(format!("compress/{SOKETTO}"), size), |b| {
                b.iter(|| black_box(soketto_compress(&mut sk, black_box(&msg)).len()))
            });

            // ---- decompress (each message compressed on its own, level 1) ----
            let mut dec = ours_decompressor();
            g.bench_function(BenchmarkId::new("decompress/ours", size), |b| {
                b.iter(|| {
                    ours_inflate(&mut dec, black_box(&ours1), &mut out);
                    black_box(out.len())
                })
            });
            let mut sk = soketto_deflate();
            g.bench_function(
                BenchmarkId::new(format!("decompress/{SOKETTO}"), size),
                |b| {
                    b.iter_batched(
                        || ours1.clone(),
                        |p| black_box(soketto_inflate(&mut sk, p).len()),
                        BatchSize::LargeInput,
                    )
                },
            );
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
