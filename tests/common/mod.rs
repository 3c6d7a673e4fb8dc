//! Shared test helpers: frame builders, transcripts, a client–server pair.
#![allow(dead_code)]

mod meter;

// Used by the memory tests only (the others leave it unused).
#[allow(unused_imports)]
pub use meter::Meter;

use rfc6455::{Accept, ClientRequest, Config, Connection, Event, FrameHeader, Opcode, apply_mask};

/// Hands `bytes` in through `input_buffer` / `commit_input`, asking for
/// `read` bytes each time, as a socket read would. The lent slice may be
/// shorter than asked (it ends where a large frame does): read again for
/// the rest.
pub fn read_into(conn: &mut Connection, mut bytes: &[u8], read: usize) {
    while !bytes.is_empty() {
        let buf = conn.input_buffer(read);
        assert!(!buf.is_empty(), "an empty lend for a read of {read}");
        let n = buf.len().min(bytes.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        conn.commit_input(n);
        bytes = &bytes[n..];
    }
}

/// A small deterministic generator (xorshift64*), for entropy and chunking.
#[derive(Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn entropy(seed: u64) -> impl FnMut(&mut [u8]) + Send + 'static {
        let mut r = Rng(seed | 1);
        move |buf: &mut [u8]| buf.iter_mut().for_each(|b| *b = r.next() as u8)
    }
}

/// Encodes one frame. `mask` of `Some` masks the payload.
pub fn frame_with(
    fin: bool,
    rsv: u8,
    opcode: u8,
    payload: &[u8],
    mask: Option<[u8; 4]>,
) -> Vec<u8> {
    let h = FrameHeader {
        fin,
        rsv,
        opcode: Opcode::from_u8(opcode),
        mask,
        payload_len: payload.len() as u64,
    };
    let (bytes, n) = h.encode();
    let mut out = bytes[..n].to_vec();
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(k) = mask {
        apply_mask(&mut out[start..], k, 0);
    }
    out
}

/// A masked frame, as a client sends it.
pub fn cframe(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame_with(fin, 0, opcode, payload, Some([0x37, 0xfa, 0x21, 0x3d]))
}

/// An unmasked frame, as a server sends it.
pub fn sframe(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame_with(fin, 0, opcode, payload, None)
}

pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_bytes());
    p
}

pub const REQUEST: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// One line per event, for comparing transcripts.
pub fn describe(e: &Event) -> String {
    match e {
        Event::Request(r) => format!("request {}", r.path()),
        Event::Open(o) => format!("open {:?}", o.protocol),
        Event::Rejected(r) => format!(
            "rejected {} {:?}",
            r.status(),
            String::from_utf8_lossy(r.body())
        ),
        Event::Text(t) if t.len() <= 64 => format!("text {:?}", t.as_str()),
        Event::Text(t) => format!("text len={} hash={:x}", t.len(), hash(t.as_bytes())),
        Event::Binary(b) => format!("binary len={} hash={:x}", b.len(), hash(b)),
        Event::Fragment(f) => format!(
            "fragment {:?} len={} first={} last={}",
            f.kind,
            f.data.len(),
            f.first,
            f.last
        ),
        Event::Ping(p) => format!("ping {:?}", String::from_utf8_lossy(p)),
        Event::Pong(p) => format!("pong {:?}", String::from_utf8_lossy(p)),
        Event::Error(e) => format!("error {e:?}"),
        Event::Close(c) => format!(
            "close {} {:?} {:?} clean={}",
            c.code.as_u16(),
            c.reason,
            c.initiator,
            c.clean
        ),
        other => format!("{other:?}"),
    }
}

pub fn hash(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Drains events, accepting any request (with protocol "chat" if offered).
pub fn drain(conn: &mut Connection) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(e) = conn.poll_event() {
        if let Event::Request(r) = &e {
            let accept = if r.protocols().any(|p| p == "chat") {
                Accept::new().protocol("chat")
            } else {
                Accept::new()
            };
            if r.is_websocket() {
                conn.accept(accept).unwrap();
            }
        }
        out.push(describe(&e));
        // No test hands in enough bytes for a million events: a connection
        // that keeps making them from the same bytes fails here, not hangs.
        assert!(out.len() <= 1_000_000, "events without end");
    }
    out
}

pub fn take_output(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(b) = conn.poll_transmit() {
        // Nothing to write is `None`, never an empty chunk (a caller would
        // loop on it).
        assert!(!b.is_empty(), "poll_transmit gave an empty chunk");
        out.extend_from_slice(&b);
    }
    out
}

/// Feeds `input` to a fresh connection in the given pieces; returns the
/// transcript and all output.
pub fn feed_in_pieces(
    make: &dyn Fn() -> Connection,
    input: &[u8],
    cuts: &[usize],
) -> (Vec<String>, Vec<u8>) {
    let mut conn = make();
    let mut events = Vec::new();
    let mut output = take_output(&mut conn);
    let mut start = 0;
    for &c in cuts.iter().chain(std::iter::once(&input.len())) {
        conn.handle_input(&input[start..c]);
        start = c;
        events.extend(drain(&mut conn));
        output.extend(take_output(&mut conn));
    }
    (events, output)
}

/// Feeds `input` whole, then split at every byte boundary, then in random
/// chunks, and asserts every run gives the same events and output.
pub fn same_however_split(make: &dyn Fn() -> Connection, input: &[u8]) -> (Vec<String>, Vec<u8>) {
    let whole = feed_in_pieces(make, input, &[]);
    for cut in 0..=input.len() {
        let split = feed_in_pieces(make, input, &[cut]);
        assert_eq!(split, whole, "split at byte {cut}");
    }
    let one_by_one: Vec<usize> = (1..input.len()).collect();
    assert_eq!(
        feed_in_pieces(make, input, &one_by_one),
        whole,
        "byte at a time"
    );
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20 {
        let mut cuts = Vec::new();
        let mut at = 0;
        loop {
            at += 1 + rng.below(17);
            if at >= input.len() {
                break;
            }
            cuts.push(at);
        }
        assert_eq!(feed_in_pieces(make, input, &cuts), whole, "cuts {cuts:?}");
    }
    whole
}

pub fn server() -> Connection {
    Connection::server(Config::default())
}

/// A client that has written its request for `req`, and the right
/// `Sec-WebSocket-Accept` value for the key in it.
pub fn started_client(req: ClientRequest) -> (Connection, String) {
    started_client_with(req, Config::default())
}

/// `started_client` with a configuration.
pub fn started_client_with(req: ClientRequest, config: Config) -> (Connection, String) {
    let mut c = Connection::client(req, config, Rng::entropy(9)).unwrap();
    let request = String::from_utf8(take_output(&mut c)).unwrap();
    let key = request
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap();
    let accept = String::from_utf8(rfc6455::accept_key(key.as_bytes()).to_vec()).unwrap();
    (c, accept)
}

pub fn open_server(config: Config) -> Connection {
    Connection::open_server(config)
}

pub fn open_client(config: Config) -> Connection {
    Connection::open_client(config, Rng::entropy(2))
}

/// A client and a server joined by an in-memory lossless transport.
pub struct Pair {
    pub client: Connection,
    pub server: Connection,
    pub client_events: Vec<String>,
    pub server_events: Vec<String>,
}

impl Pair {
    pub fn new(req: ClientRequest, config: Config) -> Pair {
        let client = Connection::client(req, config.clone(), Rng::entropy(7)).unwrap();
        let server = Connection::server(config);
        Pair {
            client,
            server,
            client_events: Vec::new(),
            server_events: Vec::new(),
        }
    }

    /// Shuttles bytes both ways until neither side has anything to say.
    pub fn drive(&mut self) {
        loop {
            self.server_events.extend(drain(&mut self.server));
            self.client_events.extend(drain(&mut self.client));
            let c2s = take_output(&mut self.client);
            let s2c = take_output(&mut self.server);
            if c2s.is_empty() && s2c.is_empty() {
                break;
            }
            self.server.handle_input(&c2s);
            self.client.handle_input(&s2c);
        }
    }
}

// ---- added for the hostile-input suites (issue 5) ----

/// A client–server pair over a network that delivers what each side sends
/// in random pieces, sometimes holding part of it back until later, and
/// joining it with what is sent next.
pub struct Net {
    pub pair: Pair,
    /// Taken from the client's `poll_transmit`, not yet delivered.
    pub c2s: Vec<u8>,
    /// Taken from the server's `poll_transmit`, not yet delivered.
    pub s2c: Vec<u8>,
    pub rng: Rng,
    /// The largest piece delivered at once.
    pub max_chunk: usize,
    /// Every data message received, as (length, hash), by
    /// [client, server].
    pub ledger: [Vec<(usize, u64)>; 2],
    /// Whether to keep the transcript in `pair.*_events` (off for long runs).
    pub transcript: bool,
}

/// Like [`drain`], but also enters each data message into `ledger`, and
/// keeps the transcript only if asked.
pub fn drain_ledger(
    conn: &mut Connection,
    events: &mut Vec<String>,
    ledger: &mut Vec<(usize, u64)>,
    transcript: bool,
) {
    while let Some(e) = conn.poll_event() {
        match &e {
            Event::Request(r) if r.is_websocket() => conn.accept(Accept::new()).unwrap(),
            Event::Text(t) => ledger.push((t.len(), hash(t.as_bytes()))),
            Event::Binary(b) => ledger.push((b.len(), hash(b))),
            _ => {}
        }
        if transcript || !matches!(e, Event::Text(_) | Event::Binary(_)) {
            events.push(describe(&e));
        }
    }
}

impl Net {
    pub fn new(pair: Pair, seed: u64, max_chunk: usize) -> Net {
        Net {
            pair,
            c2s: Vec::new(),
            s2c: Vec::new(),
            rng: Rng(seed | 1),
            max_chunk: max_chunk.max(1),
            ledger: Default::default(),
            transcript: true,
        }
    }

    /// Takes what both sides have to say, then delivers a random share of
    /// what is in flight each way, in random pieces.
    pub fn step(&mut self) {
        let p = &mut self.pair;
        let [client_ledger, server_ledger] = &mut self.ledger;
        let keep = self.transcript;
        drain_ledger(&mut p.server, &mut p.server_events, server_ledger, keep);
        drain_ledger(&mut p.client, &mut p.client_events, client_ledger, keep);
        // Sometimes only part of the output is taken now.
        if self.rng.below(4) != 0 {
            self.c2s.extend(take_output(&mut p.client));
        } else if let Some(b) = p.client.poll_transmit() {
            self.c2s.extend_from_slice(&b);
        }
        if self.rng.below(4) != 0 {
            self.s2c.extend(take_output(&mut p.server));
        } else if let Some(b) = p.server.poll_transmit() {
            self.s2c.extend_from_slice(&b);
        }
        for to_server in [true, false] {
            let wire = if to_server {
                &mut self.c2s
            } else {
                &mut self.s2c
            };
            // Deliver all, some, or (one time in eight) nothing yet.
            let share = match self.rng.below(8) {
                0 => 0,
                1..=4 => wire.len(),
                _ => self.rng.below(wire.len() + 1),
            };
            let mut sent = 0;
            while sent < share {
                let n = (1 + self.rng.below(self.max_chunk)).min(share - sent);
                let piece = &wire[sent..sent + n];
                if to_server {
                    p.server.handle_input(piece);
                    drain_ledger(&mut p.server, &mut p.server_events, server_ledger, keep);
                } else {
                    p.client.handle_input(piece);
                    drain_ledger(&mut p.client, &mut p.client_events, client_ledger, keep);
                }
                sent += n;
            }
            wire.drain(..sent);
        }
    }

    /// Steps until nothing is in flight and neither side has output.
    pub fn settle(&mut self) {
        for _ in 0..100_000 {
            self.step();
            let quiet = self.c2s.is_empty()
                && self.s2c.is_empty()
                && self.pair.client.buffered_amount() == 0
                && self.pair.server.buffered_amount() == 0;
            if quiet {
                self.step();
                if self.c2s.is_empty() && self.s2c.is_empty() {
                    return;
                }
            }
        }
        panic!("the network never settles");
    }
}

/// The transcript line a received message produces (see [`describe`]).
pub fn describe_message(text: bool, data: &[u8]) -> String {
    let e = if text {
        Event::Text(String::from_utf8(data.to_vec()).unwrap().into())
    } else {
        Event::Binary(data.to_vec().into())
    };
    describe(&e)
}

/// Feeds `input` in the given pieces, draining events after each piece
/// but taking the output only at the end (so that how many pongs coalesce
/// does not depend on the split); then EOF if asked.
pub fn feed_output_at_end(
    make: &dyn Fn() -> Connection,
    input: &[u8],
    cuts: &[usize],
    eof: bool,
) -> (Vec<String>, Vec<u8>) {
    let mut conn = make();
    let mut events = Vec::new();
    let mut start = 0;
    for &c in cuts.iter().chain(std::iter::once(&input.len())) {
        let c = c.clamp(start, input.len());
        conn.handle_input(&input[start..c]);
        start = c;
        events.extend(drain(&mut conn));
    }
    if eof {
        conn.handle_eof();
        events.extend(drain(&mut conn));
    }
    (events, take_output(&mut conn))
}

/// The first event of a fresh server fed `input`, with the HTTP status it
/// answered (0 if it answered nothing or only a 101).
pub fn server_verdict(config: Config, input: &[u8]) -> (Vec<String>, u16) {
    let mut s = Connection::server(config);
    s.handle_input(input);
    let mut events = Vec::new();
    while let Some(e) = s.poll_event() {
        events.push(describe(&e));
    }
    let out = take_output(&mut s);
    let status = if out.starts_with(b"HTTP/1.1 ") && out.len() >= 12 {
        std::str::from_utf8(&out[9..12])
            .unwrap_or("0")
            .parse()
            .unwrap_or(0)
    } else {
        0
    };
    (events, status)
}
