//! Shared machinery for the fuzz targets: input layout, an event recorder
//! that checks the event-sequence rules as it goes, an independent decoder
//! for the bytes a connection sends, and a client–server pair over an
//! in-memory network the fuzz input controls.
//!
//! Everything here checks; nothing here trusts the library under test for
//! the checking (the wire decoder and the head finder are written apart
//! from `rfc6455`'s own).

use rfc6455::{
    Accept, ClientRequest, Config, Connection, Event, Initiator, MessageKind, PeerError, Role,
    State,
};

/// xorshift64*: payloads, masks and keys from a seed in the input.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    /// `n` pseudo-random bytes: a slice of a fixed pool at a random offset
    /// (cheap, so that the fuzzer's time goes to the library).
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let pool = &pools().0;
        let mut out = Vec::with_capacity(n);
        let mut at = self.below(pool.len());
        while out.len() < n {
            let take = (n - out.len()).min(pool.len() - at);
            out.extend_from_slice(&pool[at..at + take]);
            at = 0;
        }
        out
    }

    /// Text of exactly `n` bytes; with `multibyte`, a mix of one- to
    /// four-byte characters (padded with ASCII to land on `n`).
    pub fn text(&mut self, n: usize, multibyte: bool) -> String {
        let pool = if multibyte { &pools().1 } else { &pools().2 };
        let mut out = String::with_capacity(n);
        let mut at = self.below(pool.len());
        while !pool.is_char_boundary(at) {
            at -= 1;
        }
        while out.len() < n {
            let mut end = (at + n - out.len()).min(pool.len());
            while !pool.is_char_boundary(end) {
                end -= 1;
            }
            if end == at {
                out.push('.');
                continue;
            }
            out.push_str(&pool[at..end]);
            at = 0;
        }
        out
    }
}

/// Pools of random bytes, multi-byte text and ASCII text, built once.
fn pools() -> &'static (Vec<u8>, String, String) {
    static POOLS: std::sync::OnceLock<(Vec<u8>, String, String)> = std::sync::OnceLock::new();
    POOLS.get_or_init(|| {
        const CHARS: [char; 8] = ['a', 'Z', ' ', 'é', 'κ', '€', '語', '𝄞'];
        let mut r = Rng(0x1234_5678_9ABC_DEF1);
        let bytes = (0..1 << 18).map(|_| r.next() as u8).collect();
        let multi = (0..1 << 16)
            .map(|_| CHARS[(r.next() % 8) as usize])
            .collect();
        let ascii = (0..1 << 17)
            .map(|_| char::from(b'a' + (r.next() % 26) as u8))
            .collect();
        (bytes, multi, ascii)
    })
}

/// Entropy for a client: masks and the handshake key from a seed.
pub fn entropy(seed: u64) -> impl FnMut(&mut [u8]) + Send + 'static {
    let mut r = Rng::new(seed);
    move |buf: &mut [u8]| buf.iter_mut().for_each(|b| *b = r.next() as u8)
}

// ---- input layout for the byte-stream targets ----

/// permessage-deflate for a pair target, from a knob byte (`knob % 4`):
/// 0 off; 1 the defaults with every message compressed (threshold 0);
/// 2 the low-memory preset (9-bit windows, no context takeover) with
/// every message compressed; 3 the defaults (messages of 1 KiB or more).
pub fn deflate_knob(knob: u8) -> rfc6455::DeflateConfig {
    use rfc6455::DeflateConfig;
    match knob % 4 {
        0 => DeflateConfig::disabled(),
        1 => DeflateConfig::default().threshold(0),
        2 => DeflateConfig::low_memory().threshold(0),
        _ => DeflateConfig::default(),
    }
}

/// Options the first bytes of a byte-stream target's input select.
#[derive(Clone, Debug, Default)]
pub struct Knobs {
    pub streaming: bool,
    pub no_auto_pong: bool,
    pub small_limits: bool,
    pub eof: bool,
    pub plain_http: bool,
    pub limit: u8,
    /// How the split run hands its input in.
    pub feed: Feed,
    /// Client targets: offer permessage-deflate (the default config's
    /// offer); otherwise compression is off.
    pub deflate: bool,
}

/// How input is handed to a connection.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Feed {
    /// `handle_input`.
    #[default]
    Handle,
    /// `input_buffer` (a little larger than the read) then `commit_input`.
    Lend,
    /// As `Lend`, but the buffer is lent before the events of the previous
    /// read are handled (a server accepts while the buffer is out), and one
    /// is lent and never committed before EOF.
    LendEarly,
}

impl Knobs {
    pub fn config(&self) -> Config {
        let mut c = Config::default();
        c.streaming = self.streaming;
        c.auto_pong = !self.no_auto_pong;
        c.allow_plain_http = self.plain_http;
        if self.small_limits {
            let l = usize::from(self.limit);
            c.max_message_size = l * 7 + 1;
            c.max_frame_size = if l % 3 == 0 {
                c.max_message_size
            } else {
                l * 3 + 1
            };
            c.max_fragments = l % 16 + 1;
            c.max_handshake_bytes = 64 + l * 8;
            c.max_header_line = 16 + l * 4;
            c.max_headers = l % 20 + 1;
        }
        c
    }
}

/// Splits a byte-stream target's input into its parts:
///
/// - byte 0: flags: bit 0 streaming, bit 1 auto-pong off, bit 2 small
///   limits (scaled from byte 1), bit 3 end with EOF, bit 4 plain HTTP,
///   bits 5-6 how the split run feeds its input (0 `handle_input`, 1 lent
///   buffers, 2-3 lent early, see [`Feed`]), bit 7 a client offers
///   permessage-deflate;
/// - byte 1: the limit scale;
/// - byte 2: the number of cuts (low 3 bits), then that many little-endian
///   u16 cut points (taken modulo the payload length + 1, then sorted);
/// - the rest: the payload.
pub fn split_input(data: &[u8]) -> (Knobs, Vec<usize>, &[u8]) {
    let get = |i: usize| data.get(i).copied().unwrap_or(0);
    let flags = get(0);
    let knobs = Knobs {
        streaming: flags & 1 != 0,
        no_auto_pong: flags & 2 != 0,
        small_limits: flags & 4 != 0,
        eof: flags & 8 != 0,
        plain_http: flags & 16 != 0,
        limit: get(1),
        feed: match (flags >> 5) & 3 {
            0 => Feed::Handle,
            1 => Feed::Lend,
            _ => Feed::LendEarly,
        },
        deflate: flags & 128 != 0,
    };
    let ncuts = usize::from(get(2) & 7);
    let start = (3 + 2 * ncuts).min(data.len());
    let payload = &data[start..];
    let mut cuts: Vec<usize> = (0..ncuts)
        .map(|i| usize::from(u16::from_le_bytes([get(3 + 2 * i), get(4 + 2 * i)])))
        .map(|c| c % (payload.len() + 1))
        .collect();
    cuts.sort_unstable();
    (knobs, cuts, payload)
}

/// The pieces `input` falls into at `cuts` (sorted, at most `input.len()`).
pub fn pieces<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for &c in cuts {
        let c = c.clamp(start, input.len());
        out.push(&input[start..c]);
        start = c;
    }
    out.push(&input[start..]);
    out
}

// ---- events ----

/// An event as compared between runs. Streamed pieces are merged into the
/// message they belong to, recorded where its last piece arrived; a
/// streamed message that never completes is not recorded (how much of it
/// was delivered before the failure depends on how the input was split).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rec {
    Request(Vec<u8>),
    Open(Option<String>, Option<String>),
    Rejected(u16, Vec<u8>, Vec<u8>),
    Message(MessageKind, Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Error(PeerError),
    Close {
        code: u16,
        reason: String,
        initiator: Initiator,
        clean: bool,
    },
    Other(String),
}

/// Records events and checks the sequence rules as they arrive: nothing
/// after the `Close`; after an `Error`, only the `Close`; messages within
/// the limit; text is UTF-8 (streamed text: every prefix so far could
/// still be UTF-8).
#[derive(Debug)]
pub struct Recorder {
    pub recs: Vec<Rec>,
    /// The streamed message under way, and how much of it is known to be
    /// UTF-8 up to a character boundary.
    pending: Option<(MessageKind, Vec<u8>)>,
    checked: usize,
    pub seen_error: bool,
    pub seen_close: bool,
    max_message: usize,
}

fn utf8_prefix_ok(b: &[u8]) -> bool {
    match core::str::from_utf8(b) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

impl Recorder {
    pub fn new(config: &Config) -> Recorder {
        Recorder {
            recs: Vec::new(),
            pending: None,
            checked: 0,
            seen_error: false,
            seen_close: false,
            max_message: config.max_message_size,
        }
    }

    pub fn push(&mut self, e: &Event) {
        assert!(!self.seen_close, "event after the Close event: {e:?}");
        if self.seen_error {
            assert!(
                matches!(e, Event::Close(_)),
                "after an Error only the Close may follow, got {e:?}"
            );
        }
        let rec = match e {
            Event::Request(r) => {
                check_request_accessors(r);
                Rec::Request(r.as_bytes().to_vec())
            }
            Event::Open(o) => Rec::Open(o.protocol.clone(), o.extensions.clone()),
            Event::Rejected(r) => {
                Rec::Rejected(r.status(), r.as_bytes().to_vec(), r.body().to_vec())
            }
            Event::Text(t) => {
                assert!(
                    self.pending.is_none(),
                    "whole message inside a streamed one"
                );
                assert!(
                    core::str::from_utf8(t.as_bytes()).is_ok(),
                    "text event not UTF-8"
                );
                assert_eq!(t.as_str().len(), t.len());
                assert!(t.len() <= self.max_message, "text of {} > limit", t.len());
                Rec::Message(MessageKind::Text, t.as_bytes().to_vec())
            }
            Event::Binary(b) => {
                assert!(
                    self.pending.is_none(),
                    "whole message inside a streamed one"
                );
                assert!(b.len() <= self.max_message, "binary of {} > limit", b.len());
                Rec::Message(MessageKind::Binary, b.to_vec())
            }
            Event::Fragment(f) => {
                if f.first {
                    assert!(self.pending.is_none(), "first piece inside a message");
                    self.pending = Some((f.kind, Vec::new()));
                    self.checked = 0;
                }
                let (kind, data) = self.pending.as_mut().expect("piece without a first");
                assert_eq!(*kind, f.kind, "piece of another kind");
                data.extend_from_slice(&f.data);
                assert!(data.len() <= self.max_message, "streamed message > limit");
                if *kind == MessageKind::Text {
                    let fresh = &data[self.checked..];
                    assert!(utf8_prefix_ok(fresh), "streamed text is not UTF-8 so far");
                    self.checked += match core::str::from_utf8(fresh) {
                        Ok(_) => fresh.len(),
                        Err(e) => e.valid_up_to(),
                    };
                }
                if !f.last {
                    return;
                }
                let (kind, data) = self.pending.take().unwrap_or((f.kind, Vec::new()));
                if kind == MessageKind::Text {
                    assert_eq!(
                        self.checked,
                        data.len(),
                        "streamed text ends inside a character"
                    );
                }
                Rec::Message(kind, data)
            }
            Event::Ping(p) => {
                assert!(p.len() <= 125);
                Rec::Ping(p.to_vec())
            }
            Event::Pong(p) => {
                assert!(p.len() <= 125);
                Rec::Pong(p.to_vec())
            }
            Event::Error(p) => {
                self.seen_error = true;
                self.pending = None;
                Rec::Error(*p)
            }
            Event::Close(c) => {
                self.seen_close = true;
                self.pending = None;
                assert!(c.reason.len() <= 123, "reason over 123 bytes");
                Rec::Close {
                    code: c.code.as_u16(),
                    reason: c.reason.clone(),
                    initiator: c.initiator,
                    clean: c.clean,
                }
            }
            other => Rec::Other(format!("{other:?}")),
        };
        self.recs.push(rec);
    }

    /// The final sequence checks: at most one `Close`, and last; an `Error`
    /// is followed by exactly the `Close`.
    pub fn check_end(&self, must_be_closed: bool) {
        let closes = self
            .recs
            .iter()
            .filter(|r| matches!(r, Rec::Close { .. }))
            .count();
        assert!(closes <= 1, "{closes} Close events");
        if must_be_closed {
            assert_eq!(closes, 1, "no Close event: {:?}", self.recs);
        }
        if closes == 1 {
            assert!(matches!(self.recs.last(), Some(Rec::Close { .. })));
        }
        for (i, r) in self.recs.iter().enumerate() {
            if matches!(r, Rec::Error(_)) {
                assert_eq!(
                    i + 2,
                    self.recs.len(),
                    "Error not followed by just the Close"
                );
            }
        }
    }

    pub fn close(&self) -> Option<&Rec> {
        self.recs.iter().find(|r| matches!(r, Rec::Close { .. }))
    }

    pub fn error(&self) -> Option<PeerError> {
        self.recs.iter().find_map(|r| match r {
            Rec::Error(e) => Some(*e),
            _ => None,
        })
    }

    pub fn messages(&self) -> Vec<(MessageKind, Vec<u8>)> {
        self.recs
            .iter()
            .filter_map(|r| match r {
                Rec::Message(k, d) => Some((*k, d.clone())),
                _ => None,
            })
            .collect()
    }
}

/// The accessors of a request agree with the head, read independently.
fn check_request_accessors(r: &rfc6455::Request) {
    let head = r.as_bytes();
    let mut words = first_line(head).split(|&b| b == b' ');
    let method = words.next().unwrap_or_default();
    let path = words.next().unwrap_or_default();
    assert_eq!(r.method().as_bytes(), method, "Request::method");
    assert_eq!(r.path().as_bytes(), path, "Request::path");
    let h = header_lines(head);
    let value = |name: &str| {
        h.iter()
            .find(|(k, _)| k == name.as_bytes())
            .map(|(_, v)| v.clone())
    };
    let text = |v: Option<Vec<u8>>| v.and_then(|v| String::from_utf8(v).ok());
    assert_eq!(
        r.host().map(String::from),
        text(value("host")),
        "Request::host"
    );
    assert_eq!(
        r.origin().map(String::from),
        text(value("origin")),
        "Request::origin"
    );
    assert_eq!(r.headers().count(), h.len(), "Request::headers");
}

/// Drains a connection's events into `rec`. A server accepts every
/// WebSocket request (choosing "chat" when offered) and answers plain
/// HTTP requests with a 404.
pub fn drain(conn: &mut Connection, rec: &mut Recorder) {
    while let Some(e) = conn.poll_event() {
        rec.push(&e);
        answer_request(conn, &e);
    }
}

fn answer_request(conn: &mut Connection, e: &Event) {
    if let Event::Request(r) = e {
        if r.is_websocket() {
            let accept = if r.protocols().any(|p| p == "chat") {
                Accept::new().protocol("chat")
            } else {
                Accept::new()
            };
            conn.accept(accept)
                .expect("accepting a request the library passed");
        } else {
            conn.reject(rfc6455::Reject::new(404).body("no page"))
                .expect("rejecting a plain request");
        }
    }
}

pub fn take_output(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(b) = conn.poll_transmit() {
        assert!(!b.is_empty(), "poll_transmit returned an empty buffer");
        out.extend_from_slice(&b);
    }
    out
}

/// Feeds `pieces` one read each (draining events after each, taking the
/// output only at the end, so pong coalescing does not depend on the
/// split), then EOF if asked. Returns the events and all output.
pub fn run_pieces(
    make: &dyn Fn() -> Connection,
    config: &Config,
    pieces: &[&[u8]],
    eof: bool,
) -> (Connection, Recorder, Vec<u8>) {
    run_fed(make, config, pieces, eof, Feed::Handle)
}

/// [`run_pieces`], handing the input in the way `feed` says.
pub fn run_fed(
    make: &dyn Fn() -> Connection,
    config: &Config,
    pieces: &[&[u8]],
    eof: bool,
    feed: Feed,
) -> (Connection, Recorder, Vec<u8>) {
    let mut conn = make();
    let mut rec = Recorder::new(config);
    let mut out = take_output(&mut conn);
    for (i, p) in pieces.iter().enumerate() {
        match feed {
            Feed::Handle => conn.handle_input(p),
            Feed::Lend | Feed::LendEarly => {
                // The lent slice may be shorter than asked (it ends where
                // a large frame does): read again for the rest.
                let mut rest = &p[..];
                while !rest.is_empty() {
                    let buf = conn.input_buffer(rest.len() + i % 7);
                    assert!(!buf.is_empty() && buf.len() <= rest.len() + i % 7);
                    let n = buf.len().min(rest.len());
                    buf[..n].copy_from_slice(&rest[..n]);
                    conn.commit_input(n);
                    rest = &rest[n..];
                }
            }
        }
        if feed == Feed::LendEarly {
            // The next read's buffer is out while this read's events are
            // handled.
            let _ = conn.input_buffer(16 + i % 5);
        }
        drain(&mut conn, &mut rec);
    }
    if eof {
        if feed == Feed::LendEarly {
            let _ = conn.input_buffer(8);
        }
        conn.handle_eof();
        drain(&mut conn, &mut rec);
    }
    out.extend(take_output(&mut conn));
    assert!(take_output(&mut conn).is_empty());
    (conn, rec, out)
}

// ---- the end of an HTTP head, found independently ----

/// Where the first HTTP head in `b` ends (just past its empty line): lines
/// end with LF, an optional CR before it is not part of the line, and an
/// empty line other than the very first ends the head.
pub fn head_end(b: &[u8]) -> Option<usize> {
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            let line = &b[start..i];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() && start > 0 {
                return Some(i + 1);
            }
            start = i + 1;
        }
    }
    None
}

/// The header lines of a head, as (name, trimmed value), stopping at the
/// empty line. Written apart from the library's own header reader.
pub fn header_lines(head: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    for line in skip_empty_lines(head).split(|&b| b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let mut v = &line[colon + 1..];
        while let [b' ' | b'\t', rest @ ..] = v {
            v = rest;
        }
        while let [rest @ .., b' ' | b'\t'] = v {
            v = rest;
        }
        out.push((line[..colon].to_ascii_lowercase(), v.to_vec()));
    }
    out
}

/// The head without the empty lines an HTTP/1.1 parser skips before the
/// request or status line (RFC 9112 §2.2).
pub fn skip_empty_lines(mut head: &[u8]) -> &[u8] {
    loop {
        match head {
            [b'\r', b'\n', rest @ ..] | [b'\n', rest @ ..] => head = rest,
            _ => return head,
        }
    }
}

/// Where a head's first line starts: after the empty lines (CRLF or bare
/// LF) that may come before it, which the library skips (RFC 9112 §2.2), so
/// that `Request::as_bytes` and `Response::as_bytes` are exactly the bytes
/// from the first line through the empty line that ends the head.
pub fn head_start(b: &[u8]) -> usize {
    b.len() - skip_empty_lines(b).len()
}

/// The first line of a head (request or status line), after any empty
/// lines, without its line end.
pub fn first_line(head: &[u8]) -> &[u8] {
    let head = skip_empty_lines(head);
    let end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    head[..end].strip_suffix(b"\r").unwrap_or(&head[..end])
}

/// Every comma-separated element of every header `name` (lower case).
pub fn header_tokens(headers: &[(Vec<u8>, Vec<u8>)], name: &str) -> Vec<Vec<u8>> {
    headers
        .iter()
        .filter(|(n, _)| n == name.as_bytes())
        .flat_map(|(_, v)| v.split(|&b| b == b','))
        .map(|t| t.trim_ascii().to_vec())
        .filter(|t| !t.is_empty())
        .collect()
}

// ---- what a connection sends, decoded independently ----

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireFrame {
    pub fin: bool,
    /// RSV1: the first frame of a compressed message (permessage-deflate).
    pub compressed: bool,
    pub opcode: u8,
    pub payload: Vec<u8>,
}

/// Decodes the byte stream one side sends, checking every frame: canonical
/// header, no RSV bits but RSV1 on the first frame of a data message once
/// permessage-deflate is agreed (`inflater`; such messages are inflated
/// before the checks on messages), known opcode, masked exactly when a client sends,
/// control frames short and unfragmented, fragmentation well formed, text
/// UTF-8; and nothing but pongs after the close frame.
#[derive(Debug)]
pub struct WireDecoder {
    buf: Vec<u8>,
    /// Bytes of `buf` already decoded.
    start: usize,
    /// Still inside the opening handshake head.
    head_pending: bool,
    /// The head was not a 101: the rest is a body, not frames.
    pub not_websocket: bool,
    masked: bool,
    pub frames: Vec<WireFrame>,
    pub closed: bool,
    /// The kind of the fragmented message under way (1 text, 2 binary),
    /// whether it is compressed, and its payload so far.
    message: Option<(u8, bool, Vec<u8>)>,
    pub messages: Vec<(MessageKind, Vec<u8>)>,
    /// Set once the sender agreed permessage-deflate: inflates what it
    /// compressed.
    pub inflater: Option<rfc6455::Decompressor>,
}

impl WireDecoder {
    pub fn new(role: Role, with_head: bool) -> WireDecoder {
        WireDecoder {
            buf: Vec::new(),
            start: 0,
            head_pending: with_head,
            not_websocket: false,
            masked: role == Role::Client,
            frames: Vec::new(),
            closed: false,
            message: None,
            messages: Vec::new(),
            inflater: None,
        }
    }

    /// The sender, in `role`, agreed `params`: its compressed messages are
    /// inflated with its side of them.
    pub fn set_deflate(&mut self, params: &rfc6455::DeflateParams, role: Role) {
        let peer = match role {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        };
        self.inflater = Some(rfc6455::Decompressor::for_params(params, peer));
    }

    pub fn close_frame(&self) -> Option<&WireFrame> {
        self.frames.iter().find(|f| f.opcode == 8)
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || self.not_websocket {
            return;
        }
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
        if self.head_pending {
            let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                return;
            };
            let head: Vec<u8> = self.buf.drain(..end + 4).collect();
            self.head_pending = false;
            if head.starts_with(b"HTTP/") && !head.starts_with(b"HTTP/1.1 101 ") {
                self.not_websocket = true;
                return;
            }
        }
        while let Some((frame, used)) = self.parse_one() {
            self.start += used;
            // Only pongs may follow our close frame: no data frame (§5.5.1),
            // no second close, and no ping (nothing would answer it), but a
            // ping from a peer that has not closed yet MUST be answered
            // (§5.5.2).
            assert!(
                !self.closed || frame.opcode == 10,
                "opcode {} sent after the close frame",
                frame.opcode
            );
            self.check(&frame);
            if frame.opcode == 8 {
                self.closed = true;
            }
            self.frames.push(frame);
        }
    }

    fn parse_one(&self) -> Option<(WireFrame, usize)> {
        let b = &self.buf[self.start..];
        if b.len() < 2 {
            return None;
        }
        let allowed = if self.inflater.is_some() { 0x40 } else { 0 };
        assert_eq!(b[0] & 0x70 & !allowed, 0, "RSV bits in our own frame");
        let masked = b[1] & 0x80 != 0;
        assert_eq!(masked, self.masked, "mask bit wrong for the role");
        let (len, mut at) = match b[1] & 0x7F {
            126 => {
                if b.len() < 4 {
                    return None;
                }
                let n = u64::from(u16::from_be_bytes([b[2], b[3]]));
                assert!(n >= 126, "non-minimal 16-bit length");
                (n, 4)
            }
            127 => {
                if b.len() < 10 {
                    return None;
                }
                let n = u64::from_be_bytes(b[2..10].try_into().unwrap());
                assert!(n > 0xFFFF && n >> 63 == 0, "bad 64-bit length {n}");
                (n, 10)
            }
            n => (u64::from(n), 2),
        };
        let key = if masked {
            if b.len() < at + 4 {
                return None;
            }
            let k = [b[at], b[at + 1], b[at + 2], b[at + 3]];
            at += 4;
            Some(k)
        } else {
            None
        };
        let len = usize::try_from(len).unwrap();
        if b.len() < at + len {
            return None;
        }
        let mut payload = b[at..at + len].to_vec();
        if let Some(k) = key {
            for (i, x) in payload.iter_mut().enumerate() {
                *x ^= k[i % 4];
            }
        }
        let frame = WireFrame {
            fin: b[0] & 0x80 != 0,
            compressed: b[0] & 0x40 != 0,
            opcode: b[0] & 0x0F,
            payload,
        };
        Some((frame, at + len))
    }

    fn check(&mut self, f: &WireFrame) {
        match f.opcode {
            8..=10 => {
                assert!(!f.compressed, "RSV1 on a control frame sent");
                assert!(f.fin, "fragmented control frame sent");
                assert!(f.payload.len() <= 125, "control frame over 125 sent");
                if f.opcode == 8 {
                    match f.payload.len() {
                        0 => {}
                        1 => panic!("one-byte close payload sent"),
                        _ => {
                            let code = u16::from_be_bytes([f.payload[0], f.payload[1]]);
                            assert!(close_code_sendable(code), "close code {code} sent");
                            assert!(
                                core::str::from_utf8(&f.payload[2..]).is_ok(),
                                "close reason not UTF-8"
                            );
                        }
                    }
                }
            }
            0 => {
                assert!(!f.compressed, "RSV1 on a continuation frame sent");
                let (_, _, data) = self
                    .message
                    .as_mut()
                    .expect("continuation sent without a message");
                data.extend_from_slice(&f.payload);
                if f.fin {
                    self.finish_message();
                }
            }
            1 | 2 => {
                assert!(
                    self.message.is_none(),
                    "new message sent inside a fragmented one"
                );
                self.message = Some((f.opcode, f.compressed, f.payload.clone()));
                if f.fin {
                    self.finish_message();
                }
            }
            op => panic!("reserved opcode {op} sent"),
        }
    }

    fn finish_message(&mut self) {
        let (op, compressed, mut data) = self.message.take().unwrap();
        if compressed {
            let inflater = self.inflater.as_mut().expect("RSV1 without the extension");
            let mut out = Vec::new();
            let r = inflater
                .inflate(&data, &mut out, usize::MAX)
                .expect("our compressed data inflates");
            assert_eq!(r.consumed, data.len());
            while inflater
                .finish_message(&mut out, usize::MAX)
                .expect("our compressed data inflates")
                .status
                != rfc6455::InflateStatus::MessageEnd
            {}
            data = out;
        }
        let kind = if op == 1 {
            assert!(
                core::str::from_utf8(&data).is_ok(),
                "text message sent is not UTF-8"
            );
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        self.messages.push((kind, data));
    }
}

/// RFC 6455 §7.4: codes an endpoint may put in a close frame. Written
/// from the RFC's text, apart from the library's table.
pub fn close_code_sendable(code: u16) -> bool {
    match code {
        0..=999 => false,            // "not used"
        1004 | 1005 | 1006 => false, // reserved; 1005/1006 "MUST NOT be set"
        1015 => false,               // "MUST NOT be set"
        1000..=1014 => true,         // defined (1012-1014 by IANA)
        1016..=2999 => false,        // reserved for future revisions
        3000..=4999 => true,         // libraries/frameworks and private use
        _ => false,
    }
}

// ---- a client and a server over an in-memory network ----

/// Rank of a state in CONNECTING → OPEN → CLOSING → CLOSED.
pub fn rank(s: State) -> u8 {
    match s {
        State::Connecting => 0,
        State::Open => 1,
        State::Closing => 2,
        State::Closed => 3,
    }
}

/// One end of a pair: its connection, what it reported, everything it
/// sent (decoded), and the bytes sent but not yet delivered.
pub struct Side {
    pub conn: Connection,
    pub rec: Recorder,
    pub sent: WireDecoder,
    pub wire: Vec<u8>,
    /// `handle_eof` was called: nothing more is delivered to it.
    pub eof: bool,
    pub rank: u8,
    /// Echo every whole message as soon as it is taken (replies then go
    /// out in the window before a held-back close frame).
    pub echo: bool,
    /// Every data message the application sent successfully, in order.
    pub sends: Vec<(MessageKind, Vec<u8>)>,
}

impl Side {
    pub fn new(conn: Connection, config: &Config) -> Side {
        let role = conn.role();
        let rank = rank(conn.state());
        let with_head = conn.state() == State::Connecting;
        Side {
            conn,
            rec: Recorder::new(config),
            sent: WireDecoder::new(role, with_head),
            wire: Vec::new(),
            eof: false,
            rank,
            echo: false,
            sends: Vec::new(),
        }
    }

    /// Takes events and output, and checks the state rules.
    pub fn pump(&mut self) {
        while let Some(e) = self.conn.poll_event() {
            self.rec.push(&e);
            answer_request(&mut self.conn, &e);
            if !self.echo {
                continue;
            }
            // Echoes go through the shared-buffer sends (no copy of a large
            // payload on a server), the application's own sends through
            // the copying ones.
            let sent = match &e {
                Event::Text(t) => self
                    .conn
                    .send_text_bytes(t.clone())
                    .map(|()| (MessageKind::Text, t.as_bytes().to_vec())),
                Event::Binary(b) => self
                    .conn
                    .send_binary_bytes(b.clone())
                    .map(|()| (MessageKind::Binary, b.to_vec())),
                _ => continue,
            };
            if let Ok(m) = sent {
                self.sends.push(m);
            }
        }
        if self.sent.inflater.is_none() {
            if let Some(p) = self.conn.deflate() {
                self.sent.set_deflate(&p, self.conn.role());
            }
        }
        let out = take_output(&mut self.conn);
        self.sent.push(&out);
        self.wire.extend_from_slice(&out);
        self.check_state();
    }

    pub fn check_state(&mut self) {
        let r = rank(self.conn.state());
        assert!(
            r >= self.rank,
            "state went back: {} -> {:?}",
            self.rank,
            self.conn.state()
        );
        self.rank = r;
        assert_eq!(
            self.conn.state() == State::Closed,
            self.rec.seen_close,
            "CLOSED exactly when the Close event came ({:?})",
            self.conn.state()
        );
        if self.sent.closed && self.conn.state() != State::Closed {
            assert_eq!(
                self.conn.state(),
                State::Closing,
                "close frame sent but not CLOSING"
            );
        }
    }

    pub fn handle_eof(&mut self) {
        self.eof = true;
        self.conn.handle_eof();
        self.pump();
    }
}

pub struct Pair {
    pub client: Side,
    pub server: Side,
    /// Deliver through `input_buffer` / `commit_input`.
    pub lend: bool,
}

impl Pair {
    pub fn new(client_cfg: Config, server_cfg: Config, seed: u64) -> Pair {
        let req = ClientRequest::new("fuzz.example", "/ws").protocols(["chat", "superchat"]);
        let client = Connection::client(req, client_cfg.clone(), entropy(seed)).unwrap();
        let server = Connection::server(server_cfg.clone());
        let mut p = Pair {
            client: Side::new(client, &client_cfg),
            server: Side::new(server, &server_cfg),
            lend: false,
        };
        p.client.pump();
        p
    }

    pub fn side(&mut self, client: bool) -> &mut Side {
        if client {
            &mut self.client
        } else {
            &mut self.server
        }
    }

    /// Moves up to `max` bytes from one side's wire to the other.
    pub fn deliver(&mut self, to_server: bool, max: usize) -> usize {
        let (from, to) = if to_server {
            (&mut self.client, &mut self.server)
        } else {
            (&mut self.server, &mut self.client)
        };
        let n = max.min(from.wire.len());
        let bytes: Vec<u8> = from.wire.drain(..n).collect();
        if !to.eof {
            if self.lend {
                // A lent buffer is at most `MAX_LEND` long: read in pieces.
                let mut at = 0;
                loop {
                    let left = n - at;
                    let buf = to.conn.input_buffer(left + left % 3);
                    let k = buf.len().min(left);
                    buf[..k].copy_from_slice(&bytes[at..at + k]);
                    to.conn.commit_input(k);
                    at += k;
                    if at == n {
                        break;
                    }
                }
            } else {
                to.conn.handle_input(&bytes);
            }
        }
        to.pump();
        from.pump();
        n
    }

    /// Delivers everything both ways until neither side has more to say.
    pub fn settle(&mut self) {
        for _ in 0..1000 {
            if self.client.wire.is_empty() && self.server.wire.is_empty() {
                return;
            }
            self.deliver(true, usize::MAX);
            self.deliver(false, usize::MAX);
        }
        panic!("the pair never settles");
    }

    /// Ends both transports the way a caller would, and checks that each
    /// side ends with exactly one Close event.
    pub fn finish(&mut self) {
        self.settle();
        // A side that says so closes its transport: the other reads EOF.
        for _ in 0..2 {
            for client in [true, false] {
                let (me, peer) = if client {
                    (&mut self.client, &mut self.server)
                } else {
                    (&mut self.server, &mut self.client)
                };
                if me.conn.should_close_transport() && !peer.eof {
                    peer.handle_eof();
                }
            }
            self.settle();
        }
        for side in [&mut self.client, &mut self.server] {
            if !side.eof {
                side.handle_eof();
            }
            side.pump();
            side.rec.check_end(true);
            assert_eq!(side.conn.state(), State::Closed);
            assert!(
                side.conn.should_close_transport(),
                "closed, output taken, EOF seen"
            );
            assert_eq!(side.conn.buffered_amount(), 0);
        }
    }
}

// ---- the decode targets ----

/// Arbitrary bytes into an OPEN connection of `role`: never panics; the
/// same events and output however the input is split; the sequence rules;
/// and the output agrees with the events (the close frame carries the
/// error's code or echoes the peer's; pongs answer the latest pings).
pub fn decode_target(data: &[u8], role: Role) {
    let (knobs, cuts, payload) = split_input(data);
    let config = knobs.config();
    let make = || match role {
        Role::Server => Connection::open_server(config.clone()),
        Role::Client => Connection::open_client(config.clone(), entropy(7)),
    };
    let (mut conn, rec, out) = run_pieces(&make, &config, &[payload], knobs.eof);
    let split = run_fed(
        &make,
        &config,
        &pieces(payload, &cuts),
        knobs.eof,
        knobs.feed,
    );
    assert_eq!(
        rec.recs, split.1.recs,
        "events depend on the split {cuts:?}"
    );
    assert_eq!(out, split.2, "output depends on the split {cuts:?}");
    if payload.len() <= 48 {
        let bytes: Vec<&[u8]> = payload.chunks(1).collect();
        let one = run_pieces(&make, &config, &bytes, knobs.eof);
        assert_eq!(rec.recs, one.1.recs, "events differ byte at a time");
        assert_eq!(out, one.2, "output differs byte at a time");
    }
    rec.check_end(knobs.eof);
    assert_eq!(conn.state() == State::Closed, rec.close().is_some());

    let mut sent = WireDecoder::new(role, false);
    sent.push(&out);
    assert!(
        sent.messages.is_empty(),
        "data sent without the application asking"
    );
    let pings: Vec<&Vec<u8>> = rec
        .recs
        .iter()
        .filter_map(|r| match r {
            Rec::Ping(p) => Some(p),
            _ => None,
        })
        .collect();
    let pongs: Vec<&Vec<u8>> = sent
        .frames
        .iter()
        .filter(|f| f.opcode == 10)
        .map(|f| &f.payload)
        .collect();
    if config.auto_pong {
        let latest = &pings[pings.len().saturating_sub(16)..];
        assert_eq!(pongs, latest, "pongs answer the latest pings, in order");
    } else {
        assert!(pongs.is_empty());
    }
    match (rec.error(), rec.close()) {
        (
            Some(PeerError::Protocol(e)),
            Some(Rec::Close {
                code,
                clean,
                initiator,
                ..
            }),
        ) => {
            let want = e.close_code().as_u16();
            assert_eq!(*code, want);
            assert!(!clean);
            assert_eq!(*initiator, Initiator::Library);
            let f = sent.close_frame().expect("a failure sends a close frame");
            assert_eq!(f.payload[..2], want.to_be_bytes(), "close frame code");
        }
        (Some(e), _) => panic!("unexpected error {e:?}"),
        (
            None,
            Some(Rec::Close {
                code,
                clean: true,
                initiator,
                ..
            }),
        ) => {
            assert_eq!(*initiator, Initiator::Remote);
            let f = sent.close_frame().expect("a received close is answered");
            if *code == 1005 {
                assert!(f.payload.is_empty());
            } else {
                assert_eq!(
                    f.payload[..2],
                    code.to_be_bytes(),
                    "the peer's code is echoed"
                );
            }
        }
        (
            None,
            Some(Rec::Close {
                code, clean: false, ..
            }),
        ) => {
            assert_eq!(*code, 1006, "only EOF closes without an error");
            assert!(knobs.eof);
            assert!(sent.close_frame().is_none(), "no close frame on EOF");
        }
        (None, Some(other)) => panic!("{other:?}"),
        (None, None) => assert!(sent.close_frame().is_none()),
    }
    if conn.state() == State::Closed {
        conn.handle_input(payload);
        conn.handle_input(&[0x81, 0x80, 0, 0, 0, 0]);
        assert!(conn.poll_event().is_none(), "input after CLOSED is ignored");
        assert!(conn.poll_transmit().is_none(), "nothing sent after CLOSED");
    }
}

/// Encodes one frame (written apart from the library's encoder).
pub fn encode_frame(fin: bool, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | (opcode & 0x0F)];
    let m = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(m | n as u8),
        n @ 126..=0xFFFF => {
            out.push(m | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(m | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(k) => {
            out.extend_from_slice(&k);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// `tchar` (RFC 9110 §5.6.2).
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `key` is base64 of exactly 16 bytes, canonically encoded.
pub fn key_ok(key: &[u8]) -> bool {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    key.len() == 24
        && &key[22..] == b"=="
        && key[..22].iter().all(|b| B64.contains(b))
        // 16 bytes are 128 bits; 22 characters carry 132: the last 4 are 0.
        && B64.iter().position(|&c| c == key[21]).is_some_and(|i| i % 16 == 0)
}
