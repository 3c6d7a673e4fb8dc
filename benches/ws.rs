//! Side-by-side benchmarks: this crate (`rfc6455`) against peer WebSocket
//! crates, plus two floors that do no WebSocket work at all.
//!
//! Run:
//!   cargo bench --bench ws                      # full criterion run
//!   BENCH_QUICK=1 cargo bench --bench ws        # short warm-up/measurement (CI)
//!   BENCH_ALLOCS=1 cargo bench --bench ws       # untimed pass: allocations/message + idle size
//!   python3 scripts/bench_report.py   # -> BENCHMARKS.md, benches/ratios.svg, target/bench-summary.json
//!
//! Every implementation gets exactly the same bytes, served by an in-memory
//! "socket" in reads of at most 64 KiB (1 500 B for the fragmented workload),
//! and every implementation checksums every message payload it delivers. Before
//! anything is timed, the harness checks that all implementations produced the
//! same message count and the same checksum (and that encoders produce frames
//! that a reference parser decodes back to the original payloads).
//!
//! Plug-in point for our own crate: the `ours_*` functions below (search for
//! "OURS"). An implementation whose function returns `None` is not registered.

#![allow(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

use std::hint::black_box;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, SamplingMode, Throughput};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

#[global_allocator]
static GLOBAL: alloc_count::CountingAlloc = alloc_count::CountingAlloc;

// ============================================================================
// Constants
// ============================================================================

/// Every decode corpus holds at least this many bytes of frames.
const CORPUS_BYTES: usize = 4 << 20;
/// Largest read served by the in-memory socket (and size of the read buffer).
const READ_MAX: usize = 64 << 10;
/// Message sizes for the single-frame decode and the encode workloads.
const SIZES: [usize; 5] = [16, 125, 1 << 10, 64 << 10, 1 << 20];
/// Fragmented workload: 1 MiB text messages in 4 KiB frames, read 1 500 B at a time.
const FRAG_MSG: usize = 1 << 20;
const FRAG_FRAME: usize = 4 << 10;
const FRAG_READ: usize = 1500;
/// Streaming workload: payload block repeated to build one huge frame.
const STREAM_BLOCK: usize = 64 << 10;
/// The RFC 6455 example key and its accept value.
const HS_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const HS_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1")
}

fn allocs_pass() -> bool {
    std::env::var("BENCH_ALLOCS").is_ok_and(|v| v == "1")
}

/// Payload size of the streaming message for our crate and for the peers that
/// stream (no assembly); and for the peer that assembles the message in memory.
fn stream_sizes() -> (u64, u64) {
    if quick() {
        (64 << 20, 64 << 20)
    } else {
        (1 << 30, 256 << 20)
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

// ============================================================================
// Seeded PRNG (splitmix64)
// ============================================================================

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    fn mask(&mut self) -> [u8; 4] {
        (self.next_u64() as u32).to_le_bytes()
    }
    fn fill(&mut self, buf: &mut [u8]) {
        let mut chunks = buf.chunks_exact_mut(8);
        for c in &mut chunks {
            c.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let rest = chunks.into_remainder();
        let last = self.next_u64().to_le_bytes();
        let n = rest.len();
        rest.copy_from_slice(&last[..n]);
    }
}

// ============================================================================
// Payload checksum
// ============================================================================

/// Sum of the payload read as little-endian u64 words (the last word
/// zero-padded). Vectorises well, so it costs every implementation the same
/// small amount per byte, and it is position-sensitive within each word.
#[inline]
fn word_sum(p: &[u8]) -> u64 {
    let mut chunks = p.chunks_exact(8);
    let mut acc = 0u64;
    for c in &mut chunks {
        acc = acc.wrapping_add(u64::from_le_bytes(c.try_into().unwrap()));
    }
    let rest = chunks.remainder();
    let mut last = [0u8; 8];
    last[..rest.len()].copy_from_slice(rest);
    acc.wrapping_add(u64::from_le_bytes(last))
}

/// `word_sum` computed incrementally over a payload delivered in pieces of
/// arbitrary sizes; equals `word_sum` of the concatenation.
#[derive(Default, Clone, Copy)]
struct StreamSum {
    acc: u64,
    pos: u64,
}

impl StreamSum {
    #[inline]
    fn update(&mut self, mut chunk: &[u8]) {
        while self.pos % 8 != 0 && !chunk.is_empty() {
            self.acc = self
                .acc
                .wrapping_add(u64::from(chunk[0]) << (8 * (self.pos % 8)));
            self.pos += 1;
            chunk = &chunk[1..];
        }
        self.acc = self.acc.wrapping_add(word_sum(chunk));
        self.pos += chunk.len() as u64;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text = 1,
    Binary = 2,
}

/// What an implementation saw: message count, payload bytes, and an
/// order-sensitive hash of (kind, length, word_sum) of every message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tally {
    msgs: u64,
    bytes: u64,
    hash: u64,
}

impl Tally {
    #[inline]
    fn msg(&mut self, kind: Kind, payload: &[u8]) {
        self.msg_sum(kind, payload.len() as u64, word_sum(payload));
    }
    #[inline]
    fn msg_sum(&mut self, kind: Kind, len: u64, sum: u64) {
        self.msgs += 1;
        self.bytes += len;
        self.hash = (self.hash.rotate_left(7) ^ sum ^ (len << 2) ^ kind as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

// ============================================================================
// Frame building and a small reference parser (used only for validation)
// ============================================================================

fn push_header(out: &mut Vec<u8>, fin: bool, opcode: u8, len: usize, mask: Option<[u8; 4]>) {
    out.push(if fin { 0x80 } else { 0 } | opcode);
    let m = if mask.is_some() { 0x80 } else { 0 };
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= 0xFFFF {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    if let Some(k) = mask {
        out.extend_from_slice(&k);
    }
}

fn apply_mask(data: &mut [u8], key: [u8; 4]) {
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= key[i & 3];
    }
}

/// Parse a stream of complete frames; assemble messages; check the mask bit
/// of every frame against `masked`. Panics on anything unexpected.
fn reference_parse(mut buf: &[u8], masked: bool) -> Tally {
    let mut t = Tally::default();
    let mut msg = Vec::new();
    let mut kind = None;
    while !buf.is_empty() {
        let (b0, b1) = (buf[0], buf[1]);
        buf = &buf[2..];
        let fin = b0 & 0x80 != 0;
        let opcode = b0 & 0x0F;
        assert_eq!(b0 & 0x70, 0, "reserved bits set");
        assert_eq!(b1 & 0x80 != 0, masked, "mask bit does not match the role");
        let len = match b1 & 0x7F {
            126 => {
                let l = u16::from_be_bytes([buf[0], buf[1]]) as usize;
                buf = &buf[2..];
                l
            }
            127 => {
                let l = u64::from_be_bytes(buf[..8].try_into().unwrap()) as usize;
                buf = &buf[8..];
                l
            }
            n => n as usize,
        };
        let key = if masked {
            let k = [buf[0], buf[1], buf[2], buf[3]];
            buf = &buf[4..];
            Some(k)
        } else {
            None
        };
        let start = msg.len();
        msg.extend_from_slice(&buf[..len]);
        buf = &buf[len..];
        if let Some(k) = key {
            apply_mask(&mut msg[start..], k);
        }
        match opcode {
            1 => kind = Some(Kind::Text),
            2 => kind = Some(Kind::Binary),
            0 => assert!(kind.is_some(), "continuation without a start"),
            op => panic!("unexpected opcode {op}"),
        }
        if fin {
            let k = kind.take().unwrap();
            if k == Kind::Text {
                std::str::from_utf8(&msg).expect("text message is not UTF-8");
            }
            t.msg(k, &msg);
            msg.clear();
        }
    }
    t
}

// ============================================================================
// Corpora
// ============================================================================

fn json_like(rng: &mut Rng, len: usize) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(len + 160);
    s.push('[');
    while s.len() < len {
        let _ = write!(
            s,
            "{{\"id\":{},\"user\":\"user_{:x}\",\"score\":{}.{:02},\"active\":{},\"tags\":[\"t{}\",\"t{}\"],\"note\":\"lorem ipsum {}\"}},",
            rng.below(1_000_000),
            rng.next_u64() & 0xFFFF_FFFF,
            rng.below(1000),
            rng.below(100),
            rng.below(2) == 1,
            rng.below(50),
            rng.below(50),
            rng.below(10_000),
        );
    }
    s.truncate(len); // ASCII only, so any cut is valid UTF-8
    s.into_bytes()
}

fn gen_payload(rng: &mut Rng, kind: Kind, len: usize) -> Vec<u8> {
    match kind {
        Kind::Text => json_like(rng, len),
        Kind::Binary => {
            let mut v = vec![0u8; len];
            rng.fill(&mut v);
            v
        }
    }
}

/// A decode input: at least `CORPUS_BYTES` of distinct masked client frames,
/// each frame with its own mask key.
struct Corpus {
    msg_size: usize,
    read: usize,
    wire: Vec<u8>,
    expect: Tally,
    /// The unmasked payloads (kept for the encode workloads, binary only).
    payloads: Vec<Bytes>,
    /// All payloads back to back (for the encode memcpy floor).
    flat: Vec<u8>,
}

impl Corpus {
    fn generate(kind: Kind, msg_size: usize, frame_size: usize, read: usize, seed: u64) -> Corpus {
        let mut rng = Rng::new(seed);
        let mut wire = Vec::with_capacity(CORPUS_BYTES + CORPUS_BYTES / 4);
        let mut expect = Tally::default();
        let mut payloads = Vec::new();
        let mut flat = Vec::new();
        let opcode = match kind {
            Kind::Text => 1,
            Kind::Binary => 2,
        };
        while wire.len() < CORPUS_BYTES {
            let p = gen_payload(&mut rng, kind, msg_size);
            expect.msg(kind, &p);
            let nframes = p.len().div_ceil(frame_size).max(1);
            for (i, part) in p.chunks(frame_size).enumerate() {
                let key = rng.mask();
                let op = if i == 0 { opcode } else { 0 };
                push_header(&mut wire, i + 1 == nframes, op, part.len(), Some(key));
                let start = wire.len();
                wire.extend_from_slice(part);
                apply_mask(&mut wire[start..], key);
            }
            if kind == Kind::Binary {
                flat.extend_from_slice(&p);
                payloads.push(Bytes::from(p));
            }
        }
        assert_eq!(reference_parse(&wire, true), expect, "generator self-check");
        Corpus {
            msg_size,
            read,
            wire,
            expect,
            payloads,
            flat,
        }
    }

    fn reader(&self) -> MemStream<'_> {
        MemStream::reader(&self.wire, self.read)
    }
}

// ============================================================================
// In-memory "sockets"
// ============================================================================

/// Serves `input` in reads of at most `read` bytes; writes go to `out` (or are
/// discarded). Implements both std and tokio I/O traits.
struct MemStream<'a> {
    input: &'a [u8],
    pos: usize,
    read: usize,
    out: Option<&'a mut Vec<u8>>,
}

impl<'a> MemStream<'a> {
    fn reader(input: &'a [u8], read: usize) -> Self {
        MemStream {
            input,
            pos: 0,
            read,
            out: None,
        }
    }
    fn writer(out: &'a mut Vec<u8>) -> Self {
        MemStream {
            input: &[],
            pos: 0,
            read: READ_MAX,
            out: Some(out),
        }
    }
    fn duplex(input: &'a [u8], out: &'a mut Vec<u8>) -> Self {
        MemStream {
            input,
            pos: 0,
            read: READ_MAX,
            out: Some(out),
        }
    }
    #[inline]
    fn next_piece(&mut self, max: usize) -> &'a [u8] {
        let n = max.min(self.read).min(self.input.len() - self.pos);
        let piece = &self.input[self.pos..self.pos + n];
        self.pos += n;
        piece
    }
    #[inline]
    fn put(&mut self, data: &[u8]) {
        if let Some(out) = self.out.as_mut() {
            out.extend_from_slice(data);
        }
    }
}

impl Read for MemStream<'_> {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let piece = self.next_piece(buf.len());
        buf[..piece.len()].copy_from_slice(piece);
        Ok(piece.len())
    }
}

impl Write for MemStream<'_> {
    #[inline]
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.put(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsyncRead for MemStream<'_> {
    #[inline]
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let piece = this.next_piece(buf.remaining());
        buf.put_slice(piece);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for MemStream<'_> {
    #[inline]
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().put(data);
        Poll::Ready(Ok(data.len()))
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let mut n = 0;
        for b in bufs {
            this.put(b);
            n += b.len();
        }
        Poll::Ready(Ok(n))
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// One huge masked binary frame whose payload is a 64 KiB block repeated;
/// generated on the fly so a 1 GiB message needs no 1 GiB buffer.
struct StreamInput {
    header: Vec<u8>,
    /// The block, already masked (64 KiB is a multiple of 4, so every
    /// repetition has the same mask phase).
    block: Vec<u8>,
    size: u64,
    expect: Tally,
}

impl StreamInput {
    fn new(size: u64, seed: u64) -> StreamInput {
        assert_eq!(size % STREAM_BLOCK as u64, 0);
        let mut rng = Rng::new(seed);
        let mut plain = vec![0u8; STREAM_BLOCK];
        rng.fill(&mut plain);
        let key = rng.mask();
        let mut header = Vec::new();
        push_header(&mut header, true, 2, size as usize, Some(key));
        let mut block = plain.clone();
        apply_mask(&mut block, key);
        let reps = size / STREAM_BLOCK as u64;
        let mut expect = Tally::default();
        expect.msg_sum(Kind::Binary, size, word_sum(&plain).wrapping_mul(reps));
        StreamInput {
            header,
            block,
            size,
            expect,
        }
    }
    fn total(&self) -> u64 {
        self.header.len() as u64 + self.size
    }
    fn reader(&self) -> StreamReader<'_> {
        StreamReader { s: self, pos: 0 }
    }
}

struct StreamReader<'a> {
    s: &'a StreamInput,
    pos: u64,
}

impl Read for StreamReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = (buf.len().min(READ_MAX) as u64).min(self.s.total() - self.pos) as usize;
        let mut done = 0;
        let hlen = self.s.header.len() as u64;
        while done < want {
            if self.pos < hlen {
                let h = &self.s.header[self.pos as usize..];
                let n = h.len().min(want - done);
                buf[done..done + n].copy_from_slice(&h[..n]);
                done += n;
                self.pos += n as u64;
            } else {
                let off = ((self.pos - hlen) % STREAM_BLOCK as u64) as usize;
                let b = &self.s.block[off..];
                let n = b.len().min(want - done);
                buf[done..done + n].copy_from_slice(&b[..n]);
                done += n;
                self.pos += n as u64;
            }
        }
        Ok(want)
    }
}

impl Write for StreamReader<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("tokio runtime")
    })
}

/// A browser-style upgrade request (~540 bytes, Chrome-like headers).
fn browser_request() -> Vec<u8> {
    format!(
        "GET /chat?room=lobby HTTP/1.1\r\n\
         Host: example.com:8080\r\n\
         Connection: Upgrade\r\n\
         Pragma: no-cache\r\n\
         Cache-Control: no-cache\r\n\
         User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n\
         Upgrade: websocket\r\n\
         Origin: http://example.com:8080\r\n\
         Sec-WebSocket-Version: 13\r\n\
         Accept-Encoding: gzip, deflate, br, zstd\r\n\
         Accept-Language: en-US,en;q=0.9\r\n\
         Sec-WebSocket-Key: {HS_KEY}\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
         \r\n"
    )
    .into_bytes()
}

fn check_handshake_response(out: &[u8]) {
    let text = std::str::from_utf8(out).expect("response is not UTF-8");
    assert!(
        text.starts_with("HTTP/1.1 101"),
        "not a 101 response: {text:?}"
    );
    let accept = text
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("sec-websocket-accept")
                .then(|| v.trim().to_owned())
        })
        .expect("no Sec-WebSocket-Accept header");
    assert_eq!(accept, HS_ACCEPT);
    assert!(
        text.ends_with("\r\n\r\n"),
        "response not terminated: {text:?}"
    );
}

// ============================================================================
// OURS — the rfc6455 crate
// ----------------------------------------------------------------------------
// Contracts (the peers below follow the same ones):
//   * decode: read pieces of at most `c.read` bytes into ONE reusable 64 KiB
//     buffer (the peers read from the same `MemStream`), hand them to the
//     connection, drain events; `t.msg(kind, payload)` for every message;
//     stop once `t.msgs == c.expect.msgs`.
//   * encode: append every byte to send to `out` (`out` is cleared by the
//     caller); the frames must be masked iff `side == Side::Client`.
//   * handshake: feed `req`, accept, append the response bytes to `out`.
//   * stream: streaming mode (no assembly); `StreamSum` over the fragments,
//     then `t.msg_sum(Kind::Binary, len, sum.acc)` when the message ends.
// A function that returns `None` is not registered.
// ============================================================================

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Server,
    Client,
}

/// Limits off, like the peers.
fn ours_config(streaming: bool) -> rfc6455::Config {
    let mut cfg = rfc6455::Config::default();
    cfg.max_message_size = usize::MAX;
    cfg.max_frame_size = usize::MAX;
    cfg.max_fragments = usize::MAX;
    cfg.max_pending_output = usize::MAX;
    cfg.streaming = streaming;
    cfg
}

/// A server never masks, so it gets an entropy source that is never called
/// (zero-sized: no heap).
fn ours_server() -> rfc6455::Connection {
    rfc6455::Connection::open_server(ours_config(false))
}

/// OURS: decode `c`.
fn ours_decode(c: &Corpus) -> Option<Tally> {
    use rfc6455::Event;
    let mut conn = ours_server();
    let mut src = c.reader();
    let mut t = Tally::default();
    while t.msgs < c.expect.msgs {
        // The way the crate's docs recommend: read straight into the space
        // the connection lends, so the bytes land where they stay.
        let n = src.read(conn.input_buffer(READ_MAX)).unwrap();
        assert!(n > 0, "ours: input exhausted");
        conn.commit_input(n);
        while let Some(ev) = conn.poll_event() {
            match ev {
                Event::Binary(b) => t.msg(Kind::Binary, &b),
                Event::Text(s) => t.msg(Kind::Text, s.as_bytes()),
                other => panic!("ours: unexpected event {other:?}"),
            }
        }
    }
    Some(t)
}

/// OURS, the copy path: the bytes are read into the caller's own buffer
/// and handed in with `handle_input` (what the C and Python bindings do
/// with bytes they were given); the continuation of a frame under way is
/// unmasked as it is copied.
fn ours_decode_copy(c: &Corpus) -> Option<Tally> {
    use rfc6455::EventRef;
    let mut conn = ours_server();
    let mut src = c.reader();
    let mut t = Tally::default();
    let mut buf = vec![0u8; READ_MAX];
    while t.msgs < c.expect.msgs {
        let n = src.read(&mut buf).unwrap();
        assert!(n > 0, "ours-copy: input exhausted");
        conn.handle_input(&buf[..n]);
        while let Some(ev) = conn.poll_event_ref() {
            match ev {
                EventRef::Binary(b) => t.msg(Kind::Binary, b),
                EventRef::Text(s) => t.msg(Kind::Text, s.as_bytes()),
                other => panic!("ours-copy: unexpected event {other:?}"),
            }
        }
    }
    Some(t)
}

/// OURS, the borrowed path: `poll_event_ref` lends each payload where it
/// lies instead of moving it out as `Bytes` (no reference counting).
fn ours_decode_ref(c: &Corpus) -> Option<Tally> {
    use rfc6455::EventRef;
    let mut conn = ours_server();
    let mut src = c.reader();
    let mut t = Tally::default();
    while t.msgs < c.expect.msgs {
        let n = src.read(conn.input_buffer(READ_MAX)).unwrap();
        assert!(n > 0, "ours-ref: input exhausted");
        conn.commit_input(n);
        while let Some(ev) = conn.poll_event_ref() {
            match ev {
                EventRef::Binary(b) => t.msg(Kind::Binary, b),
                EventRef::Text(s) => t.msg(Kind::Text, s.as_bytes()),
                other => panic!("ours-ref: unexpected event {other:?}"),
            }
        }
    }
    Some(t)
}

/// OURS: encode every payload of `c` as one binary message.
fn ours_encode(c: &Corpus, side: Side, out: &mut Vec<u8>) -> Option<()> {
    let mut conn = match side {
        Side::Server => ours_server(),
        Side::Client => {
            rfc6455::Connection::open_client(ours_config(false), rfc6455::OsEntropy::default())
        }
    };
    for p in &c.payloads {
        conn.send_binary(p).expect("ours: send_binary");
        while let Some(b) = conn.poll_transmit() {
            out.extend_from_slice(&b);
        }
    }
    Some(())
}

/// OURS: server handshake on `req`; response bytes appended to `out`.
fn ours_handshake(req: &[u8], out: &mut Vec<u8>) -> Option<()> {
    use rfc6455::{Accept, Config, Connection, Event};
    let mut conn = Connection::server(Config::default());
    conn.handle_input(req);
    while let Some(ev) = conn.poll_event() {
        match ev {
            Event::Request(_) => conn.accept(Accept::new()).expect("ours: accept"),
            Event::Open(_) => {}
            other => panic!("ours: unexpected event {other:?}"),
        }
    }
    while let Some(b) = conn.poll_transmit() {
        out.extend_from_slice(&b);
    }
    Some(())
}

/// OURS: one huge message in streaming mode, fragments checksummed as they come.
fn ours_stream(s: &StreamInput) -> Option<Tally> {
    use rfc6455::{Event, MessageKind};
    let mut conn = rfc6455::Connection::open_server(ours_config(true));
    let mut src = s.reader();
    let mut t = Tally::default();
    let mut sum = StreamSum::default();
    while t.msgs == 0 {
        let n = src.read(conn.input_buffer(READ_MAX)).unwrap();
        assert!(n > 0, "ours: input exhausted");
        conn.commit_input(n);
        while let Some(ev) = conn.poll_event() {
            match ev {
                Event::Fragment(f) => {
                    assert_eq!(f.kind, MessageKind::Binary);
                    sum.update(&f.data);
                    if f.last {
                        t.msg_sum(Kind::Binary, sum.pos, sum.acc);
                    }
                }
                Event::Binary(b) => t.msg(Kind::Binary, &b),
                other => panic!("ours: unexpected event {other:?}"),
            }
        }
    }
    Some(t)
}

/// OURS, the borrowed path: the pieces are lent where they lie, and the
/// read buffer is reused in place for the whole message.
fn ours_stream_ref(s: &StreamInput) -> Option<Tally> {
    use rfc6455::{EventRef, MessageKind};
    let mut conn = rfc6455::Connection::open_server(ours_config(true));
    let mut src = s.reader();
    let mut t = Tally::default();
    let mut sum = StreamSum::default();
    while t.msgs == 0 {
        let n = src.read(conn.input_buffer(READ_MAX)).unwrap();
        assert!(n > 0, "ours-ref: input exhausted");
        conn.commit_input(n);
        while let Some(ev) = conn.poll_event_ref() {
            match ev {
                EventRef::Fragment {
                    kind, data, last, ..
                } => {
                    assert_eq!(kind, MessageKind::Binary);
                    sum.update(data);
                    if last {
                        t.msg_sum(Kind::Binary, sum.pos, sum.acc);
                    }
                }
                EventRef::Binary(b) => t.msg(Kind::Binary, b),
                other => panic!("ours-ref: unexpected event {other:?}"),
            }
        }
    }
    Some(t)
}

/// OURS: size of an idle connection (see `measure_idle`).
fn ours_idle(frame: &[u8]) -> Option<Idle> {
    Some(measure_idle(ours_server, 0, |conn| {
        conn.handle_input(frame);
        while conn.poll_event().is_some() {}
    }))
}

// ============================================================================
// Peers: decode
// ============================================================================

fn tungstenite_config() -> tungstenite::protocol::WebSocketConfig {
    tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None)
}

fn tungstenite_decode(c: &Corpus) -> Option<Tally> {
    use tungstenite::{Message, protocol::Role, protocol::WebSocket};
    let mut ws = WebSocket::from_raw_socket(c.reader(), Role::Server, Some(tungstenite_config()));
    let mut t = Tally::default();
    while t.msgs < c.expect.msgs {
        match ws.read().expect("tungstenite read") {
            Message::Binary(b) => t.msg(Kind::Binary, &b),
            Message::Text(s) => t.msg(Kind::Text, s.as_bytes()),
            other => panic!("tungstenite: unexpected {other:?}"),
        }
    }
    Some(t)
}

fn tokio_websockets_decode(c: &Corpus) -> Option<Tally> {
    rt().block_on(async {
        let mut ws = tokio_websockets::ServerBuilder::new()
            .limits(tokio_websockets::Limits::unlimited())
            .serve(c.reader());
        let mut t = Tally::default();
        while t.msgs < c.expect.msgs {
            let m = ws
                .next()
                .await
                .expect("tokio-websockets: end of stream")
                .expect("tokio-websockets read");
            if let Some(s) = m.as_text() {
                t.msg(Kind::Text, s.as_bytes());
            } else if m.is_binary() {
                t.msg(Kind::Binary, m.as_payload());
            } else {
                panic!("tokio-websockets: unexpected {m:?}");
            }
        }
        Some(t)
    })
}

fn fastwebsockets_decode(c: &Corpus) -> Option<Tally> {
    use fastwebsockets::{FragmentCollector, OpCode, Role, WebSocket};
    rt().block_on(async {
        let mut ws = WebSocket::after_handshake(c.reader(), Role::Server);
        ws.set_max_message_size(usize::MAX);
        let mut ws = FragmentCollector::new(ws);
        let mut t = Tally::default();
        while t.msgs < c.expect.msgs {
            let f = ws.read_frame().await.expect("fastwebsockets read");
            match f.opcode {
                OpCode::Binary => t.msg(Kind::Binary, &f.payload),
                OpCode::Text => t.msg(Kind::Text, &f.payload),
                op => panic!("fastwebsockets: unexpected {op:?}"),
            }
        }
        Some(t)
    })
}

/// websocket-sans-io is a frame-level push parser (no message assembly, no
/// UTF-8 check). We use it the way an application needing messages would:
/// a frame that arrives whole is checksummed in place in the read buffer;
/// otherwise its pieces are gathered in one reusable message buffer. Text is
/// UTF-8-checked with `std::str::from_utf8` (the other crates validate too).
fn sansio_decode(c: &Corpus) -> Option<Tally> {
    use websocket_sans_io::{Opcode, WebsocketFrameDecoder, WebsocketFrameEvent};
    let mut dec = WebsocketFrameDecoder::new();
    let mut buf = vec![0u8; READ_MAX];
    let mut msg: Vec<u8> = Vec::new();
    let mut src = c.reader();
    let mut t = Tally::default();
    let mut frame_len = 0u64;
    let mut frame_fin = false;
    let mut first_piece = false;
    let kind_of = |op: Opcode| match op {
        Opcode::Text => Kind::Text,
        Opcode::Binary => Kind::Binary,
        other => panic!("websocket-sans-io: unexpected opcode {other:?}"),
    };
    let finish = |t: &mut Tally, kind: Kind, p: &[u8]| {
        if kind == Kind::Text {
            std::str::from_utf8(p).expect("websocket-sans-io: invalid UTF-8");
        }
        t.msg(kind, p);
    };
    while t.msgs < c.expect.msgs {
        let n = src.read(&mut buf).unwrap();
        assert!(n > 0, "websocket-sans-io: input exhausted");
        let mut off = 0;
        loop {
            let r = match dec.add_data(&mut buf[off..n]) {
                Ok(r) => r,
                Err(e) => match e {},
            };
            let piece = off..off + r.consumed_bytes;
            off += r.consumed_bytes;
            match r.event {
                None => {
                    if r.consumed_bytes == 0 {
                        break;
                    }
                }
                Some(WebsocketFrameEvent::Start { frame_info, .. }) => {
                    frame_len = frame_info.payload_length;
                    frame_fin = frame_info.fin;
                    first_piece = true;
                }
                Some(WebsocketFrameEvent::PayloadChunk { original_opcode }) => {
                    let kind = kind_of(original_opcode);
                    if first_piece && frame_fin && msg.is_empty() && piece.len() as u64 == frame_len
                    {
                        // whole single-frame message in the read buffer: no copy
                        finish(&mut t, kind, &buf[piece]);
                        frame_len = u64::MAX; // mark "already delivered"
                    } else {
                        msg.extend_from_slice(&buf[piece]);
                    }
                    first_piece = false;
                }
                Some(WebsocketFrameEvent::End {
                    frame_info,
                    original_opcode,
                }) => {
                    if frame_info.fin && frame_len != u64::MAX {
                        finish(&mut t, kind_of(original_opcode), &msg);
                        msg.clear();
                    }
                }
            }
        }
    }
    Some(t)
}

// ============================================================================
// Floors: decode
// ============================================================================

/// The same reads, copied into a 64 KiB buffer, checksummed, and nothing else.
fn floor_readcopy(c: &Corpus, buf: &mut [u8]) -> Tally {
    let mut src = c.reader();
    let mut sum = StreamSum::default();
    loop {
        let n = src.read(buf).unwrap();
        if n == 0 {
            break;
        }
        sum.update(&buf[..n]);
    }
    Tally {
        msgs: c.expect.msgs,
        bytes: sum.pos,
        hash: sum.acc,
    }
}

// ============================================================================
// Peers: encode
// ============================================================================

fn tungstenite_encode(c: &Corpus, side: Side, out: &mut Vec<u8>) -> Option<()> {
    use tungstenite::{Message, protocol::Role, protocol::WebSocket};
    let role = match side {
        Side::Server => Role::Server,
        Side::Client => Role::Client,
    };
    let mut ws = WebSocket::from_raw_socket(MemStream::writer(out), role, None);
    for p in &c.payloads {
        ws.write(Message::Binary(p.clone()))
            .expect("tungstenite write");
    }
    ws.flush().expect("tungstenite flush");
    Some(())
}

fn tokio_websockets_encode(c: &Corpus, side: Side, out: &mut Vec<u8>) -> Option<()> {
    use tokio_websockets::{ClientBuilder, Message, ServerBuilder};
    rt().block_on(async {
        let stream = MemStream::writer(out);
        let mut ws = match side {
            Side::Server => ServerBuilder::new().serve(stream),
            Side::Client => ClientBuilder::new().take_over(stream),
        };
        for p in &c.payloads {
            ws.feed(Message::binary(p.clone()))
                .await
                .expect("tokio-websockets feed");
        }
        ws.flush().await.expect("tokio-websockets flush");
        Some(())
    })
}

fn fastwebsockets_encode(c: &Corpus, side: Side, out: &mut Vec<u8>) -> Option<()> {
    use fastwebsockets::{Frame, Payload, Role, WebSocket};
    let role = match side {
        Side::Server => Role::Server,
        Side::Client => Role::Client,
    };
    rt().block_on(async {
        let mut ws = WebSocket::after_handshake(MemStream::writer(out), role);
        for p in &c.payloads {
            ws.write_frame(Frame::binary(Payload::Borrowed(p)))
                .await
                .expect("fastwebsockets write");
        }
        ws.flush().await.expect("fastwebsockets flush");
        Some(())
    })
}

fn sansio_encode(c: &Corpus, side: Side, out: &mut Vec<u8>, rng: &mut Rng) -> Option<()> {
    use websocket_sans_io::{FrameInfo, Opcode, WebsocketFrameEncoder};
    let mut enc = WebsocketFrameEncoder::new();
    for p in &c.payloads {
        let info = FrameInfo {
            opcode: Opcode::Binary,
            payload_length: p.len() as u64,
            mask: (side == Side::Client).then(|| rng.mask()),
            fin: true,
            reserved: 0,
        };
        out.extend_from_slice(&enc.start_frame(&info));
        let start = out.len();
        out.extend_from_slice(p);
        enc.transform_frame_payload(&mut out[start..]);
    }
    Some(())
}

// ============================================================================
// Peers: handshake
// ============================================================================

fn tungstenite_handshake(req: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let ws = tungstenite::accept(MemStream::duplex(req, out)).expect("tungstenite accept");
    drop(ws);
    Some(())
}

fn tokio_websockets_handshake(req: &[u8], out: &mut Vec<u8>) -> Option<()> {
    rt().block_on(async {
        let (_req, ws) = tokio_websockets::ServerBuilder::new()
            .accept(MemStream::duplex(req, out))
            .await
            .expect("tokio-websockets accept");
        drop(ws);
        Some(())
    })
}

// ============================================================================
// Peers: one huge message
// ============================================================================

/// websocket-sans-io streams payload pieces without assembling (like ours in
/// streaming mode).
fn sansio_stream(s: &StreamInput) -> Option<Tally> {
    use websocket_sans_io::{Opcode, WebsocketFrameDecoder, WebsocketFrameEvent};
    let mut dec = WebsocketFrameDecoder::new();
    let mut buf = vec![0u8; READ_MAX];
    let mut src = s.reader();
    let mut t = Tally::default();
    let mut sum = StreamSum::default();
    while t.msgs == 0 {
        let n = src.read(&mut buf).unwrap();
        assert!(n > 0, "websocket-sans-io: input exhausted");
        let mut off = 0;
        loop {
            let r = match dec.add_data(&mut buf[off..n]) {
                Ok(r) => r,
                Err(e) => match e {},
            };
            let piece = off..off + r.consumed_bytes;
            off += r.consumed_bytes;
            match r.event {
                None if r.consumed_bytes == 0 => break,
                None | Some(WebsocketFrameEvent::Start { .. }) => {}
                Some(WebsocketFrameEvent::PayloadChunk { original_opcode }) => {
                    assert_eq!(original_opcode, Opcode::Binary);
                    sum.update(&buf[piece]);
                }
                Some(WebsocketFrameEvent::End { frame_info, .. }) => {
                    if frame_info.fin {
                        t.msg_sum(Kind::Binary, sum.pos, sum.acc);
                    }
                }
            }
        }
    }
    Some(t)
}

/// tungstenite assembles the whole message in memory.
fn tungstenite_stream(s: &StreamInput) -> Option<Tally> {
    use tungstenite::{Message, protocol::Role, protocol::WebSocket};
    let mut ws = WebSocket::from_raw_socket(s.reader(), Role::Server, Some(tungstenite_config()));
    let mut t = Tally::default();
    match ws.read().expect("tungstenite read") {
        Message::Binary(b) => t.msg(Kind::Binary, &b),
        other => panic!("tungstenite: unexpected {other:?}"),
    }
    Some(t)
}

fn floor_stream(s: &StreamInput, buf: &mut [u8]) -> Tally {
    let mut src = s.reader();
    let mut sum = StreamSum::default();
    loop {
        let n = src.read(buf).unwrap();
        if n == 0 {
            break;
        }
        sum.update(&buf[..n]);
    }
    Tally {
        msgs: 1,
        bytes: sum.pos,
        hash: sum.acc,
    }
}

// ============================================================================
// Idle connection size
// ============================================================================

/// Size of an idle connection: `struct_bytes` is `size_of` the connection
/// object minus its transport; `heap_fresh` is the heap it holds right after
/// construction, `heap_after_msg` after it has received one 16-byte message
/// (buffers some crates allocate lazily are then included).
#[derive(Clone, Copy, Debug)]
struct Idle {
    struct_bytes: usize,
    heap_fresh: i64,
    heap_after_msg: i64,
}

fn one_small_frame() -> Vec<u8> {
    let mut v = Vec::new();
    let key = [1, 2, 3, 4];
    push_header(&mut v, true, 2, 16, Some(key));
    let start = v.len();
    v.extend_from_slice(b"0123456789abcdef");
    apply_mask(&mut v[start..], key);
    v
}

fn measure_idle<T>(
    make: impl FnOnce() -> T,
    transport_size: usize,
    use_one: impl FnOnce(&mut T),
) -> Idle {
    alloc_count::start();
    let mut conn = make();
    let heap_fresh = alloc_count::snapshot().live;
    use_one(&mut conn);
    let heap_after_msg = alloc_count::snapshot().live;
    alloc_count::stop();
    let struct_bytes = std::mem::size_of::<T>().saturating_sub(transport_size);
    drop(conn);
    Idle {
        struct_bytes,
        heap_fresh,
        heap_after_msg,
    }
}

fn idle_sizes() -> Vec<(&'static str, Idle)> {
    let frame = one_small_frame();
    let ms = std::mem::size_of::<MemStream<'static>>();
    let _ = rt(); // build the runtime before counting
    let mut v = Vec::new();
    if let Some(i) = ours_idle(&frame) {
        v.push(("ours", i));
    }
    v.push((
        "tungstenite",
        measure_idle(
            || {
                tungstenite::protocol::WebSocket::from_raw_socket(
                    MemStream::reader(&frame, READ_MAX),
                    tungstenite::protocol::Role::Server,
                    None,
                )
            },
            ms,
            |ws| {
                ws.read().unwrap();
            },
        ),
    ));
    v.push((
        "tokio-websockets",
        measure_idle(
            || tokio_websockets::ServerBuilder::new().serve(MemStream::reader(&frame, READ_MAX)),
            ms,
            |ws| {
                rt().block_on(ws.next()).unwrap().unwrap();
            },
        ),
    ));
    v.push((
        "fastwebsockets",
        measure_idle(
            || {
                fastwebsockets::FragmentCollector::new(fastwebsockets::WebSocket::after_handshake(
                    MemStream::reader(&frame, READ_MAX),
                    fastwebsockets::Role::Server,
                ))
            },
            ms,
            |ws| {
                rt().block_on(ws.read_frame()).unwrap();
            },
        ),
    ));
    v.push((
        "websocket-sans-io",
        measure_idle(
            || {
                (
                    websocket_sans_io::WebsocketFrameDecoder::new(),
                    websocket_sans_io::WebsocketFrameEncoder::new(),
                )
            },
            0,
            |(dec, _)| {
                let mut f = frame.clone();
                let mut off = 0;
                loop {
                    let r = dec.add_data(&mut f[off..]).unwrap();
                    off += r.consumed_bytes;
                    if r.consumed_bytes == 0 && r.event.is_none() {
                        break;
                    }
                }
            },
        ),
    ));
    v
}

// ============================================================================
// Workload registry
// ============================================================================

type DecodeFn = fn(&Corpus) -> Option<Tally>;
type EncodeFn = fn(&Corpus, Side, &mut Vec<u8>) -> Option<()>;
type HandshakeFn = fn(&[u8], &mut Vec<u8>) -> Option<()>;
type StreamFn = fn(&StreamInput) -> Option<Tally>;

fn sansio_encode_fn(c: &Corpus, side: Side, out: &mut Vec<u8>) -> Option<()> {
    let mut rng = Rng::new(0x5A5A);
    sansio_encode(c, side, out, &mut rng)
}

const DECODERS: &[(&str, DecodeFn)] = &[
    ("ours", ours_decode),
    ("ours-ref", ours_decode_ref),
    ("ours-copy", ours_decode_copy),
    ("tungstenite", tungstenite_decode),
    ("tokio-websockets", tokio_websockets_decode),
    ("fastwebsockets", fastwebsockets_decode),
    ("websocket-sans-io", sansio_decode),
];

const ENCODERS: &[(&str, EncodeFn)] = &[
    ("ours", ours_encode),
    ("tungstenite", tungstenite_encode),
    ("tokio-websockets", tokio_websockets_encode),
    ("fastwebsockets", fastwebsockets_encode),
    ("websocket-sans-io", sansio_encode_fn),
];

const HANDSHAKERS: &[(&str, HandshakeFn)] = &[
    ("ours", ours_handshake),
    ("tungstenite", tungstenite_handshake),
    ("tokio-websockets", tokio_websockets_handshake),
];

/// (name, function, assembles the message in memory?)
const STREAMERS: &[(&str, StreamFn, bool)] = &[
    ("ours", ours_stream, false),
    ("ours-ref", ours_stream_ref, false),
    ("websocket-sans-io", sansio_stream, false),
    ("tungstenite", tungstenite_stream, true),
];

fn size_label(n: usize) -> String {
    if n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{}MiB", n >> 20)
    } else if n >= 1 << 10 && n % (1 << 10) == 0 {
        format!("{}KiB", n >> 10)
    } else {
        format!("{n}B")
    }
}

struct DecodeW {
    id: String,
    title: String,
    corpus: std::rc::Rc<Corpus>,
    impls: Vec<(&'static str, DecodeFn)>,
}

struct EncodeW {
    id: String,
    title: String,
    side: Side,
    corpus: std::rc::Rc<Corpus>,
    impls: Vec<(&'static str, EncodeFn)>,
}

struct StreamW {
    id: String,
    title: String,
    /// (name, fn, input)
    impls: Vec<(&'static str, StreamFn, std::rc::Rc<StreamInput>)>,
    floor: std::rc::Rc<StreamInput>,
}

struct Workloads {
    decode: Vec<DecodeW>,
    encode: Vec<EncodeW>,
    handshake: (Vec<u8>, Vec<(&'static str, HandshakeFn)>),
    stream: StreamW,
}

fn build() -> Workloads {
    use std::rc::Rc;
    let mut decode = Vec::new();
    let mut encode = Vec::new();
    let mut seed = 1u64;
    let mut binary_corpora = Vec::new();
    for kind in [Kind::Binary, Kind::Text] {
        for &size in &SIZES {
            seed += 1;
            let corpus = Rc::new(Corpus::generate(kind, size, size, READ_MAX, seed));
            let kname = if kind == Kind::Text { "text" } else { "binary" };
            let id = format!("decode-{kname}-{}", size_label(size));
            let title = format!(
                "Decode {kname}, {} messages in single masked frames ({} msgs, {} per read)",
                size_label(size),
                corpus.expect.msgs,
                size_label(READ_MAX)
            );
            if kind == Kind::Binary {
                binary_corpora.push(corpus.clone());
            }
            decode.push(DecodeW {
                id,
                title,
                corpus,
                impls: Vec::new(),
            });
        }
    }
    let frag = Corpus::generate(Kind::Text, FRAG_MSG, FRAG_FRAME, FRAG_READ, 99);
    decode.push(DecodeW {
        id: "decode-text-1MiB-frag4KiB-read1500".into(),
        title: format!(
            "Decode 1 MiB text messages sent as 4 KiB frames, read 1 500 bytes at a time ({} msgs)",
            frag.expect.msgs
        ),
        corpus: Rc::new(frag),
        impls: Vec::new(),
    });
    for side in [Side::Server, Side::Client] {
        for c in &binary_corpora {
            let (sname, what) = match side {
                Side::Server => ("server", "unmasked (server role)"),
                Side::Client => ("client", "masked (client role)"),
            };
            encode.push(EncodeW {
                id: format!("encode-{sname}-{}", size_label(c.msg_size)),
                title: format!(
                    "Encode binary {} messages, {what} ({} msgs)",
                    size_label(c.msg_size),
                    c.expect.msgs
                ),
                side,
                corpus: c.clone(),
                impls: Vec::new(),
            });
        }
    }
    let (big, peer) = stream_sizes();
    let big_in = Rc::new(StreamInput::new(big, 7));
    let peer_in = if peer == big {
        big_in.clone()
    } else {
        Rc::new(StreamInput::new(peer, 7))
    };
    let stream = StreamW {
        id: "stream-huge".into(),
        title: format!(
            "One huge binary message: {} streamed (ours, websocket-sans-io), {} assembled (tungstenite)",
            size_label(big as usize),
            size_label(peer as usize)
        ),
        impls: STREAMERS
            .iter()
            .map(|&(n, f, assembles)| {
                (
                    n,
                    f,
                    if assembles {
                        peer_in.clone()
                    } else {
                        big_in.clone()
                    },
                )
            })
            .collect(),
        floor: big_in,
    };
    Workloads {
        decode,
        encode,
        handshake: (browser_request(), Vec::new()),
        stream,
    }
}

/// Run every implementation once, check it against the expected result, and
/// keep only the implementations that are available.
fn validate(w: &mut Workloads) {
    println!("validating implementations (message count + checksum must match)...");
    for d in &mut w.decode {
        let mut buf = vec![0u8; READ_MAX];
        let f = floor_readcopy(&d.corpus, &mut buf);
        assert_eq!(
            f.bytes,
            d.corpus.wire.len() as u64,
            "{}: floor-readcopy byte count",
            d.id
        );
        for &(name, f) in DECODERS {
            match f(&d.corpus) {
                None => continue,
                Some(t) => {
                    assert_eq!(
                        t, d.corpus.expect,
                        "{}: {name} produced a different result",
                        d.id
                    );
                    d.impls.push((name, f));
                }
            }
        }
        println!(
            "  ok {:<40} {:>8} msgs  impls: {:?}",
            d.id,
            d.corpus.expect.msgs,
            names(&d.impls)
        );
    }
    for e in &mut w.encode {
        for &(name, f) in ENCODERS {
            let mut out = Vec::new();
            if f(&e.corpus, e.side, &mut out).is_none() {
                continue;
            }
            let t = reference_parse(&out, e.side == Side::Client);
            assert_eq!(
                t, e.corpus.expect,
                "{}: {name} produced different frames",
                e.id
            );
            e.impls.push((name, f));
        }
        println!(
            "  ok {:<40} {:>8} msgs  impls: {:?}",
            e.id,
            e.corpus.expect.msgs,
            names(&e.impls)
        );
    }
    let (req, impls) = &mut w.handshake;
    for &(name, f) in HANDSHAKERS {
        let mut out = Vec::new();
        if f(req, &mut out).is_none() {
            continue;
        }
        check_handshake_response(&out);
        impls.push((name, f));
    }
    println!(
        "  ok {:<40} {:>8} B request  impls: {:?}",
        "handshake",
        req.len(),
        names(impls)
    );
    let s = &mut w.stream;
    let mut buf = vec![0u8; READ_MAX];
    let f = floor_stream(&s.floor, &mut buf);
    assert_eq!(f.bytes, s.floor.total());
    s.impls.retain(|(name, f, input)| match f(input) {
        None => false,
        Some(t) => {
            assert_eq!(
                t, input.expect,
                "stream: {name} produced a different result"
            );
            true
        }
    });
    println!(
        "  ok {:<40} impls: {:?}",
        s.id,
        s.impls
            .iter()
            .map(|(n, _, i)| format!("{n} ({})", size_label(i.size as usize)))
            .collect::<Vec<_>>()
    );
}

fn names<F>(v: &[(&'static str, F)]) -> Vec<&'static str> {
    v.iter().map(|(n, _)| *n).collect()
}

// ============================================================================
// Metadata, allocation pass
// ============================================================================

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// `target/bench-meta.json`: per workload, what one criterion iteration
/// processes (messages, payload bytes, wire bytes) for each implementation.
fn write_meta(w: &Workloads) {
    let mut items = Vec::new();
    let entry = |id: &str,
                 title: &str,
                 cat: &str,
                 msgs: u64,
                 payload: u64,
                 wire: u64,
                 impls: &[(&str, u64, u64)]| {
        let im: Vec<String> = impls
            .iter()
            .map(|(n, m, p)| format!("{}: {{\"msgs\": {m}, \"payload_bytes\": {p}}}", json_str(n)))
            .collect();
        format!(
            "{{\"id\": {}, \"title\": {}, \"category\": {}, \"msgs\": {msgs}, \"payload_bytes\": {payload}, \"wire_bytes\": {wire}, \"impls\": {{{}}}}}",
            json_str(id),
            json_str(title),
            json_str(cat),
            im.join(", ")
        )
    };
    for d in &w.decode {
        let c = &d.corpus;
        let mut im: Vec<(&str, u64, u64)> = d
            .impls
            .iter()
            .map(|(n, _)| (*n, c.expect.msgs, c.expect.bytes))
            .collect();
        im.push(("floor-readcopy", c.expect.msgs, c.expect.bytes));
        im.push(("floor-memcpy", c.expect.msgs, c.expect.bytes));
        items.push(entry(
            &d.id,
            &d.title,
            "decode",
            c.expect.msgs,
            c.expect.bytes,
            c.wire.len() as u64,
            &im,
        ));
    }
    for e in &w.encode {
        let c = &e.corpus;
        let mut im: Vec<(&str, u64, u64)> = e
            .impls
            .iter()
            .map(|(n, _)| (*n, c.expect.msgs, c.expect.bytes))
            .collect();
        im.push(("floor-copy", c.expect.msgs, c.expect.bytes));
        im.push(("floor-memcpy", c.expect.msgs, c.expect.bytes));
        items.push(entry(
            &e.id,
            &e.title,
            "encode",
            c.expect.msgs,
            c.expect.bytes,
            c.wire.len() as u64,
            &im,
        ));
    }
    let (req, hs) = &w.handshake;
    let im: Vec<(&str, u64, u64)> = hs.iter().map(|(n, _)| (*n, 1, req.len() as u64)).collect();
    items.push(entry(
        "handshake",
        &format!(
            "Server handshake on a {}-byte browser-style request",
            req.len()
        ),
        "handshake",
        1,
        req.len() as u64,
        req.len() as u64,
        &im,
    ));
    let s = &w.stream;
    let mut im: Vec<(&str, u64, u64)> = s.impls.iter().map(|(n, _, i)| (*n, 1, i.size)).collect();
    im.push(("floor-readcopy", 1, s.floor.size));
    items.push(entry(
        &s.id,
        &s.title,
        "stream",
        1,
        s.floor.size,
        s.floor.total(),
        &im,
    ));
    let json = format!(
        "{{\"quick\": {}, \"read_max\": {READ_MAX}, \"workloads\": [\n  {}\n]}}\n",
        quick(),
        items.join(",\n  ")
    );
    let dir = target_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bench-meta.json"), json).unwrap();
}

fn count<R>(f: impl FnOnce() -> R) -> alloc_count::Snapshot {
    alloc_count::start();
    let r = f();
    let s = alloc_count::stop();
    drop(r);
    s
}

/// Untimed pass: allocations per message for every workload and
/// implementation, plus idle connection sizes. Prints a table and writes
/// `target/bench-allocs.json`.
fn run_allocs(w: &Workloads) {
    let _ = rt();
    let mut rows: Vec<(String, &str, u64, alloc_count::Snapshot)> = Vec::new();
    for d in &w.decode {
        let c = &d.corpus;
        for &(name, f) in &d.impls {
            rows.push((d.id.clone(), name, c.expect.msgs, count(|| f(c))));
        }
        let mut buf = vec![0u8; READ_MAX];
        rows.push((
            d.id.clone(),
            "floor-readcopy",
            c.expect.msgs,
            count(|| floor_readcopy(c, &mut buf)),
        ));
    }
    for e in &w.encode {
        let c = &e.corpus;
        for &(name, f) in &e.impls {
            let mut out = Vec::with_capacity(c.wire.len() + 64);
            rows.push((
                e.id.clone(),
                name,
                c.expect.msgs,
                count(|| f(c, e.side, &mut out)),
            ));
        }
    }
    let (req, hs) = &w.handshake;
    for &(name, f) in hs {
        let mut out = Vec::with_capacity(1024);
        rows.push(("handshake".into(), name, 1, count(|| f(req, &mut out))));
    }
    for (name, f, input) in &w.stream.impls {
        rows.push((w.stream.id.clone(), name, 1, count(|| f(input))));
    }
    println!(
        "\nallocations per message (untimed; one pass over each corpus, connection setup included)"
    );
    println!(
        "{:<40} {:<18} {:>10} {:>14} {:>14}",
        "workload", "impl", "msgs", "allocs/msg", "bytes/msg"
    );
    let mut json_rows = Vec::new();
    for (id, name, msgs, s) in &rows {
        let per = s.events() as f64 / *msgs as f64;
        let bytes = s.bytes as f64 / *msgs as f64;
        println!("{id:<40} {name:<18} {msgs:>10} {per:>14.3} {bytes:>14.1}");
        json_rows.push(format!(
            "{{\"workload\": {}, \"impl\": {}, \"msgs\": {msgs}, \"allocs\": {}, \"reallocs\": {}, \"bytes\": {}, \"allocs_per_msg\": {per}, \"bytes_per_msg\": {bytes}}}",
            json_str(id),
            json_str(name),
            s.allocs,
            s.reallocs,
            s.bytes
        ));
    }
    let idle = idle_sizes();
    println!("\nidle connection (server role, framing mode)");
    println!(
        "{:<18} {:>14} {:>14} {:>18}",
        "impl", "struct bytes", "heap fresh", "heap after 1 msg"
    );
    let mut json_idle = Vec::new();
    for (name, i) in &idle {
        println!(
            "{name:<18} {:>14} {:>14} {:>18}",
            i.struct_bytes, i.heap_fresh, i.heap_after_msg
        );
        json_idle.push(format!(
            "{{\"impl\": {}, \"struct_bytes\": {}, \"heap_fresh\": {}, \"heap_after_msg\": {}}}",
            json_str(name),
            i.struct_bytes,
            i.heap_fresh,
            i.heap_after_msg
        ));
    }
    let json = format!(
        "{{\"allocs\": [\n  {}\n], \"idle\": [\n  {}\n]}}\n",
        json_rows.join(",\n  "),
        json_idle.join(",\n  ")
    );
    let dir = target_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bench-allocs.json");
    std::fs::write(&path, json).unwrap();
    println!("\nwrote {}", path.display());
}

// ============================================================================
// Criterion
// ============================================================================

fn throughput(msg_size: usize, msgs: u64, bytes: u64) -> Throughput {
    // Small messages are about per-message cost, big ones about bandwidth.
    // (bench_report.py derives ns/msg, msgs/s and GB/s for every workload.)
    if msg_size <= 1024 {
        Throughput::Elements(msgs)
    } else {
        Throughput::Bytes(bytes)
    }
}

/// `BENCH_AB=FILTER`: a development aid for a noisy machine, not the
/// report. Every decode workload whose id contains FILTER runs its
/// implementations in turn, round after round (`BENCH_AB_ROUNDS`, 40 by
/// default), so that a slow spell of the machine hits them all alike, and
/// prints the fastest and the median round of each (ns per message).
fn run_interleaved(w: &Workloads, filter: &str) {
    let rounds: usize = std::env::var("BENCH_AB_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    for d in w.decode.iter().filter(|d| d.id.contains(filter)) {
        let corpus = &d.corpus;
        let mut times = vec![Vec::with_capacity(rounds); d.impls.len()];
        for _ in 0..rounds {
            for (i, &(_, f)) in d.impls.iter().enumerate() {
                let t = std::time::Instant::now();
                black_box(f(black_box(corpus)));
                times[i].push(t.elapsed().as_nanos() as f64 / corpus.expect.msgs as f64);
            }
        }
        println!("{}", d.id);
        for (i, &(name, _)) in d.impls.iter().enumerate() {
            let t = &mut times[i];
            t.sort_by(f64::total_cmp);
            println!(
                "  {name:<20} min {:>10.1}  median {:>10.1} ns/msg",
                t[0],
                t[t.len() / 2]
            );
        }
    }
}

fn run_criterion(w: &Workloads) {
    let mut c = Criterion::default();
    if quick() {
        c = c
            .warm_up_time(Duration::from_millis(150))
            .measurement_time(Duration::from_millis(400))
            .sample_size(10)
            .nresamples(2000);
    } else {
        // Full mode: 131 benchmarks at criterion's default 8 s each would take
        // 18 minutes; 1 s + 3 s keeps the run under 10 with 100 samples each.
        c = c
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
    }
    let mut c = c.configure_from_args();

    for d in &w.decode {
        let corpus = &d.corpus;
        let mut g = c.benchmark_group(&d.id);
        g.throughput(throughput(
            corpus.msg_size,
            corpus.expect.msgs,
            corpus.expect.bytes,
        ));
        if corpus.msg_size >= 64 << 10 {
            g.sampling_mode(SamplingMode::Flat);
        }
        for &(name, f) in &d.impls {
            g.bench_function(name, |b| b.iter(|| black_box(f(black_box(corpus)))));
        }
        let mut buf = vec![0u8; READ_MAX];
        g.bench_function("floor-readcopy", |b| {
            b.iter(|| black_box(floor_readcopy(black_box(corpus), &mut buf)))
        });
        let mut dst = vec![0u8; corpus.wire.len()];
        g.bench_function("floor-memcpy", |b| {
            b.iter(|| {
                dst.copy_from_slice(black_box(&corpus.wire));
                black_box(&mut dst);
            })
        });
        g.finish();
    }
    for e in &w.encode {
        let corpus = &*e.corpus;
        let mut g = c.benchmark_group(&e.id);
        g.throughput(throughput(
            corpus.msg_size,
            corpus.expect.msgs,
            corpus.expect.bytes,
        ));
        if corpus.msg_size >= 64 << 10 {
            g.sampling_mode(SamplingMode::Flat);
        }
        let mut out = Vec::with_capacity(corpus.wire.len() + 64);
        for &(name, f) in &e.impls {
            g.bench_function(name, |b| {
                b.iter(|| {
                    out.clear();
                    black_box(f(black_box(corpus), e.side, &mut out));
                })
            });
        }
        g.bench_function("floor-copy", |b| {
            b.iter(|| {
                out.clear();
                for p in black_box(&corpus.payloads) {
                    out.extend_from_slice(p);
                }
                black_box(&mut out);
            })
        });
        let mut dst = vec![0u8; corpus.flat.len()];
        g.bench_function("floor-memcpy", |b| {
            b.iter(|| {
                dst.copy_from_slice(black_box(&corpus.flat));
                black_box(&mut dst);
            })
        });
        g.finish();
    }
    {
        let (req, hs) = &w.handshake;
        let mut g = c.benchmark_group("handshake");
        g.throughput(Throughput::Elements(1));
        let mut out = Vec::with_capacity(1024);
        for &(name, f) in hs {
            g.bench_function(name, |b| {
                b.iter(|| {
                    out.clear();
                    black_box(f(black_box(req), &mut out));
                })
            });
        }
        g.finish();
    }
    {
        let s = &w.stream;
        let mut g = c.benchmark_group(&s.id);
        g.sampling_mode(SamplingMode::Flat).sample_size(10);
        for (name, f, input) in &s.impls {
            g.throughput(Throughput::Bytes(input.size));
            g.bench_function(*name, |b| b.iter(|| black_box(f(black_box(input)))));
        }
        g.throughput(Throughput::Bytes(s.floor.size));
        let mut buf = vec![0u8; READ_MAX];
        g.bench_function("floor-readcopy", |b| {
            b.iter(|| black_box(floor_stream(black_box(&s.floor), &mut buf)))
        });
        g.finish();
    }
    c.final_summary();
}

fn main() {
    let t0 = std::time::Instant::now();
    let mut w = build();
    validate(&mut w);
    println!("generated and validated in {:.1?}", t0.elapsed());
    if allocs_pass() {
        run_allocs(&w);
        return;
    }
    if let Ok(filter) = std::env::var("BENCH_AB") {
        run_interleaved(&w, &filter);
        return;
    }
    write_meta(&w);
    if let Some(i) = idle_sizes().into_iter().find(|(n, _)| *n == "ours") {
        println!("ours: idle connection {:?}", i.1);
    }
    run_criterion(&w);
}
