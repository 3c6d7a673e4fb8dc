//! A soak over loopback TCP: our `echo_server` example against many of our
//! clients at once, with a ledger that must balance at the end.
//!
//!     cargo build --release --example echo_server --example tcp_soak
//!     target/release/examples/tcp_soak [--seconds S] [--connections N]
//!         [--seed N] [--threads N] [--server PATH]
//!
//! Defaults: 60 s of sending, 200 connections, seed 6455, 2 client
//! threads, and the `echo_server` built next to this program. The server
//! is started on 127.0.0.1 port 0 with `--random-reads SEED`, so it reads
//! with random sizes too; it is killed (by its PID) when the soak ends.
//!
//! Each connection is a `Connection::client` driven on a single-threaded
//! tokio runtime (the connections are shared out among `--threads` of
//! them) with non-blocking reads and writes, so it never stops reading
//! while the server is blocked writing an echo. For `--seconds` it sends:
//!
//! - text (valid UTF-8, 1- to 4-byte characters) and binary messages of 0
//!   to 256 KiB, the boundaries of the length encodings included, each
//!   carrying its connection and sequence number when it has room;
//! - about a third of them in 2 to 64 fragments cut anywhere (text inside a
//!   character, empty fragments too), sent over several turns of the loop
//!   with pings between some fragments;
//! - pings (at most 8 unanswered at once, so the server's 16 pending pongs
//!   never coalesce) and now and then an unsolicited pong;
//!
//! and reads with random sizes (1 byte to 256 KiB, lent by
//! `input_buffer`). Then it closes with 1000 without waiting for the echoes
//! still in flight.
//!
//! The ledger, per connection: every message must come back exactly once,
//! in order, of the same kind, length and hash; every ping must be
//! answered by a pong with its payload, in order; the `Close` event must
//! be ours (1000, clean), and the server must then close TCP. A message
//! that comes back out of turn counts as reordered, one that matches a
//! message already received as duplicated, one that matches nothing as
//! corrupted, and one still expected at the end as lost. Anything the
//! server prints after its first line (it prints only peer errors) is an
//! error too. The summary ends with PASS, and the exit status is 0, only if
//! every count of trouble is 0.
//!
//! Every connection stops within `--seconds` plus 60 s, whatever the
//! server does; one that has not finished by then is aborted and counted.

use std::collections::VecDeque;
use std::error::Error;
use std::hash::{DefaultHasher, Hasher};
use std::io::{BufRead, BufReader, ErrorKind};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStderr, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant as StdInstant};

use bytes::Bytes;
use rfc6455::{
    ClientRequest, Clock, CloseCode, Config, Connection, Event, Initiator, Instant, MessageKind,
};
use tokio::io::Interest;
use tokio::net::TcpStream;

const USAGE: &str = "usage: tcp_soak [--seconds S] [--connections N] [--seed N] [--threads N] \
                     [--server PATH]";

/// The largest message sent: 256 KiB.
const MAX_MESSAGE: usize = 256 << 10;
/// Lengths where the frame header's length encoding changes (7-bit,
/// 16-bit, 64-bit), and the extremes: a twentieth of the messages.
const EDGE_LENGTHS: [usize; 10] = [0, 1, 125, 126, 127, 65_535, 65_536, 65_537, 262_143, 262_144];
/// Unanswered pings allowed at once. Below the 16 pending pongs a
/// connection keeps before coalescing them, so every ping gets its pong.
const MAX_PINGS_IN_FLIGHT: usize = 8;
/// Messages sent and not yet echoed, per connection: at most this many...
const MAX_MESSAGES_IN_FLIGHT: usize = 32;
/// ...and no new one once this many bytes are in flight.
const MAX_BYTES_IN_FLIGHT: usize = 1 << 20;
/// No new message while this many bytes wait to be written.
const MAX_UNWRITTEN: usize = 512 << 10;
/// How long after the sending phase a connection may take to finish.
const GRACE: Duration = Duration::from_secs(60);
/// Received messages remembered for telling a duplicate from corruption.
const RECENT: usize = 256;

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("tcp_soak: {e}");
            ExitCode::from(2)
        }
    }
}

/// What the command line sets.
#[derive(Clone, Debug)]
struct Options {
    seconds: u64,
    connections: usize,
    seed: u64,
    threads: usize,
    server: PathBuf,
}

fn parse_args() -> Result<Options, String> {
    let here = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut o = Options {
        seconds: 60,
        connections: 200,
        seed: 6455,
        threads: 2,
        server: here.with_file_name(format!("echo_server{}", std::env::consts::EXE_SUFFIX)),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} wants a value"))?;
        let number = || value.parse::<u64>().map_err(|_| format!("{flag} wants a number"));
        match flag.as_str() {
            "--seconds" => o.seconds = number()?,
            "--connections" => o.connections = number()? as usize,
            "--seed" => o.seed = number()?,
            "--threads" => o.threads = number()? as usize,
            "--server" => o.server = PathBuf::from(&value),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if o.connections == 0 || o.threads == 0 || o.connections > 0xFFFF {
        return Err("--connections wants 1 to 65535, --threads at least 1".into());
    }
    Ok(o)
}

fn run() -> Result<bool, Box<dyn Error>> {
    let opts = parse_args().map_err(|e| format!("{e}\n{USAGE}"))?;
    let server = Server::start(&opts.server, opts.seed)?;
    println!(
        "tcp_soak: seed {}, {} connections on {} client threads, {} s of sending; \
         server {} (pid {}) on {}, --random-reads {}",
        opts.seed,
        opts.connections,
        opts.threads,
        opts.seconds,
        opts.server.display(),
        server.child.id(),
        server.addr,
        opts.seed,
    );

    let started = StdInstant::now();
    let plan = Arc::new(Plan {
        addr: server.addr,
        seed: opts.seed,
        pools: Pools::new(opts.seed),
        clock: Clock::with_epoch(started),
        stop_sending: started + Duration::from_secs(opts.seconds),
        give_up: started + Duration::from_secs(opts.seconds) + GRACE,
    });
    let threads: Vec<_> = (0..opts.threads)
        .map(|t| {
            let plan = Arc::clone(&plan);
            let ids: Vec<usize> = (t..opts.connections).step_by(opts.threads).collect();
            std::thread::spawn(move || client_thread(&plan, &ids))
        })
        .collect();
    let mut total = Stats::default();
    for t in threads {
        let stats = t.join().map_err(|_| "a client thread panicked")??;
        total.add(&stats);
    }
    let closed = StdInstant::now();
    let server_lines = server.stop()?;

    let sending = plan.stop_sending.min(closed) - started;
    let all = closed - started;
    total.print(sending, all, &server_lines);
    let pass = total.trouble() == 0 && server_lines.is_empty() && total.clean == opts.connections;
    println!("result              {}", if pass { "PASS" } else { "FAIL" });
    Ok(pass)
}

// ---- the server process

/// The `echo_server` child process, killed by its PID when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    /// Every line the server prints after the first one.
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(path: &PathBuf, seed: u64) -> Result<Server, Box<dyn Error>> {
        let child = Command::new(path)
            .args(["127.0.0.1:0", "--random-reads", &seed.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            lines: mpsc::channel().1,
        };
        let stderr = server.child.stderr.take().ok_or("no stderr")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || forward_lines(stderr, tx));
        // "echo server on ws://127.0.0.1:PORT/"
        let first = rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| "the server printed nothing within 10 s")?;
        server.addr = first
            .strip_prefix("echo server on ws://")
            .and_then(|a| a.strip_suffix('/'))
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("unexpected first line from the server: {first:?}"))?;
        server.lines = rx;
        Ok(server)
    }

    /// Checks the server is still running, kills it, and returns what it
    /// printed after its first line.
    fn stop(mut self) -> Result<Vec<String>, Box<dyn Error>> {
        let mut lines = Vec::new();
        if let Some(status) = self.child.try_wait()? {
            lines.push(format!("the server exited by itself: {status}"));
        }
        self.child.kill()?;
        self.child.wait()?;
        // The pipe is closed now: the forwarding thread sends what is left.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            lines.push(line);
        }
        Ok(lines)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only our own child, by its PID; harmless if it is already gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn forward_lines(stderr: ChildStderr, tx: mpsc::Sender<String>) {
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { return };
        if tx.send(line).is_err() {
            return;
        }
    }
}

// ---- what every connection shares

/// What every connection is given: read-only.
struct Plan {
    addr: SocketAddr,
    seed: u64,
    pools: Pools,
    clock: Clock,
    /// No new message after this; then the close.
    stop_sending: StdInstant,
    /// A connection still running then is aborted.
    give_up: StdInstant,
}

/// Random content that messages are cut from, so that making a 256 KiB
/// message costs a copy, not 256 Ki calls to the generator.
struct Pools {
    binary: Vec<u8>,
    /// UTF-8 of 1- to 4-byte characters.
    text: String,
}

impl Pools {
    fn new(seed: u64) -> Pools {
        const CHARS: [&str; 10] = ["a", "Z", " ", "0", "é", "ß", "κ", "€", "語", "𝄞"];
        let mut rng = Rng::new(seed, u64::MAX);
        let mut binary = Vec::with_capacity(2 * MAX_MESSAGE + 8);
        while binary.len() < 2 * MAX_MESSAGE {
            binary.extend_from_slice(&rng.next().to_le_bytes());
        }
        let mut text = String::with_capacity(2 * MAX_MESSAGE + 4);
        while text.len() < 2 * MAX_MESSAGE {
            text.push_str(CHARS[rng.below(CHARS.len())]);
        }
        Pools { binary, text }
    }

    /// A message of exactly `len` bytes: `id` and `seq` in 16 ASCII
    /// characters first if it has room, then content from a random place.
    fn message(&self, rng: &mut Rng, kind: MessageKind, len: usize, id: usize, seq: u64) -> Vec<u8> {
        let mut data = Vec::with_capacity(len);
        if len >= 16 {
            data.extend_from_slice(format!("{id:04x}{seq:012x}").as_bytes());
        }
        let need = len - data.len();
        match kind {
            MessageKind::Binary => {
                let start = rng.below(self.binary.len() - need + 1);
                data.extend_from_slice(&self.binary[start..start + need]);
            }
            MessageKind::Text => {
                let mut start = rng.below(self.text.len() - need + 1);
                while !self.text.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = start + need;
                while !self.text.is_char_boundary(end) {
                    end -= 1;
                }
                data.extend_from_slice(self.text[start..end].as_bytes());
                data.resize(len, b'.'); // up to 3 bytes of ASCII make up the length
            }
        }
        data
    }
}

/// A small deterministic generator (xorshift64*), seeded through
/// splitmix64 so that nearby seeds give unrelated streams.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut z = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// From `lo` to `hi`, both included.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True one time in `n`.
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// A message's length: every size class from empty to 256 KiB is common
/// enough to be exercised every second, and the mean (about 37 KiB) keeps
/// 200 connections busy without the run being only a bandwidth test.
fn message_len(rng: &mut Rng) -> usize {
    match rng.below(20) {
        0 => EDGE_LENGTHS[rng.below(EDGE_LENGTHS.len())],
        1..=11 => rng.range(0, 1024),
        12..=16 => rng.range(1025, 64 << 10),
        _ => rng.range((64 << 10) + 1, MAX_MESSAGE),
    }
}

/// A read's size: a quarter each of tiny (a frame header or a mask cut
/// apart), packet-sized, up to 64 KiB, and up to 256 KiB.
fn read_len(rng: &mut Rng) -> usize {
    match rng.below(4) {
        0 => rng.range(1, 16),
        1 => rng.range(17, 1500),
        2 => rng.range(1501, 64 << 10),
        _ => rng.range((64 << 10) + 1, 256 << 10),
    }
}

fn hash(data: &[u8]) -> u64 {
    // SipHash with fixed keys: the same value for the same bytes, in every
    // run, and no two messages here collide by accident.
    let mut h = DefaultHasher::new();
    h.write(data);
    h.finish()
}

// ---- the ledger

/// A message sent and not yet echoed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Entry {
    kind: MessageKind,
    len: usize,
    hash: u64,
}

/// One connection's account of what it sent and what came back.
#[derive(Default)]
struct Ledger {
    /// Messages sent, oldest first, not yet echoed.
    expected: VecDeque<Entry>,
    expected_bytes: usize,
    /// The last `RECENT` messages received (for telling duplicates).
    recent: VecDeque<Entry>,
    /// Ping payloads sent, oldest first, not yet answered.
    pings: VecDeque<Bytes>,
    lost: u64,
    duplicated: u64,
    reordered: u64,
    corrupted: u64,
    pings_unanswered: u64,
    /// Pongs that answer no ping we sent, or answer one out of turn.
    pongs_unexpected: u64,
}

impl Ledger {
    fn sent(&mut self, kind: MessageKind, data: &[u8]) {
        let entry = Entry {
            kind,
            len: data.len(),
            hash: hash(data),
        };
        self.expected_bytes += entry.len;
        self.expected.push_back(entry);
    }

    /// Takes an echoed message; false if it was not the one expected next.
    fn received(&mut self, kind: MessageKind, data: &[u8]) -> bool {
        let got = Entry {
            kind,
            len: data.len(),
            hash: hash(data),
        };
        let in_order = self.expected.front() == Some(&got);
        if let Some(i) = self.expected.iter().position(|e| *e == got) {
            self.expected.remove(i);
            self.expected_bytes -= got.len;
            if i > 0 {
                self.reordered += 1;
            }
        } else if self.recent.contains(&got) {
            self.duplicated += 1;
        } else {
            self.corrupted += 1;
        }
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(got);
        in_order
    }

    /// Takes a pong; true if it answers the oldest unanswered ping.
    fn pong(&mut self, payload: &[u8]) -> bool {
        if self.pings.front().is_some_and(|p| p == payload) {
            self.pings.pop_front();
            true
        } else {
            self.pongs_unexpected += 1;
            false
        }
    }

    /// The connection is over: what is still expected never came.
    fn finish(&mut self) {
        self.lost += self.expected.len() as u64;
        self.expected.clear();
        self.expected_bytes = 0;
        self.pings_unanswered += self.pings.len() as u64;
        self.pings.clear();
    }
}

// ---- the figures

#[derive(Default, Debug)]
struct Stats {
    connections: usize,
    opened: usize,
    /// Our close (1000) answered, and then TCP closed by the server.
    clean: usize,
    unclean: usize,
    messages_sent: u64,
    text_sent: u64,
    fragmented: u64,
    frames_sent: u64,
    bytes_sent: u64,
    messages_received: u64,
    bytes_received: u64,
    largest: usize,
    empty: u64,
    pings_sent: u64,
    pongs_received: u64,
    pings_from_server: u64,
    unsolicited_pongs: u64,
    reads: u64,
    tiny_reads: u64,
    bytes_read: u64,
    lost: u64,
    duplicated: u64,
    reordered: u64,
    corrupted: u64,
    pings_unanswered: u64,
    pongs_unexpected: u64,
    /// Connections that never exchanged a message.
    idle: u64,
    /// What went wrong, one line each (peer errors, resets, usage errors,
    /// unclean closes); the first few are printed.
    errors: Vec<String>,
    /// What the first ledger mismatches looked like (counted above).
    details: Vec<String>,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.connections += o.connections;
        self.opened += o.opened;
        self.clean += o.clean;
        self.unclean += o.unclean;
        self.messages_sent += o.messages_sent;
        self.text_sent += o.text_sent;
        self.fragmented += o.fragmented;
        self.frames_sent += o.frames_sent;
        self.bytes_sent += o.bytes_sent;
        self.messages_received += o.messages_received;
        self.bytes_received += o.bytes_received;
        self.largest = self.largest.max(o.largest);
        self.empty += o.empty;
        self.pings_sent += o.pings_sent;
        self.pongs_received += o.pongs_received;
        self.pings_from_server += o.pings_from_server;
        self.unsolicited_pongs += o.unsolicited_pongs;
        self.reads += o.reads;
        self.tiny_reads += o.tiny_reads;
        self.bytes_read += o.bytes_read;
        self.lost += o.lost;
        self.duplicated += o.duplicated;
        self.reordered += o.reordered;
        self.corrupted += o.corrupted;
        self.pings_unanswered += o.pings_unanswered;
        self.pongs_unexpected += o.pongs_unexpected;
        self.idle += o.idle;
        self.errors.extend(o.errors.iter().cloned());
        self.details.extend(o.details.iter().cloned());
    }

    fn take_ledger(&mut self, l: &Ledger) {
        self.lost += l.lost;
        self.duplicated += l.duplicated;
        self.reordered += l.reordered;
        self.corrupted += l.corrupted;
        self.pings_unanswered += l.pings_unanswered;
        self.pongs_unexpected += l.pongs_unexpected;
    }

    /// Everything that must be 0.
    fn trouble(&self) -> u64 {
        self.lost
            + self.duplicated
            + self.reordered
            + self.corrupted
            + self.pings_unanswered
            + self.pongs_unexpected
            + self.unclean as u64
            + self.idle
            + self.errors.len() as u64
            + (self.connections - self.opened) as u64
            + u64::from(self.messages_sent != self.messages_received)
            + u64::from(self.bytes_sent != self.bytes_received)
    }

    fn print(&self, sending: Duration, all: Duration, server_lines: &[String]) {
        let mib = |b: u64| b as f64 / f64::from(1 << 20);
        let secs = all.as_secs_f64();
        println!(
            "connections         {} opened of {}, {} closed clean (1000 answered, then TCP \
             closed by the server), {} unclean",
            self.opened, self.connections, self.clean, self.unclean
        );
        println!(
            "messages sent       {} ({} text, {} binary; {} fragmented; {} frames; {} empty, \
             largest {} B), {} B = {:.1} MiB",
            self.messages_sent,
            self.text_sent,
            self.messages_sent - self.text_sent,
            self.fragmented,
            self.frames_sent,
            self.empty,
            self.largest,
            self.bytes_sent,
            mib(self.bytes_sent)
        );
        println!(
            "messages received   {}, {} B = {:.1} MiB",
            self.messages_received,
            self.bytes_received,
            mib(self.bytes_received)
        );
        println!(
            "pings               {} sent, {} answered in order, {} unanswered, {} unexpected \
             pongs; {} unsolicited pongs sent; {} pings from the server",
            self.pings_sent,
            self.pongs_received,
            self.pings_unanswered,
            self.pongs_unexpected,
            self.unsolicited_pongs,
            self.pings_from_server
        );
        println!(
            "client reads        {} ({} of at most 16 B), {:.1} MiB, {:.0} B on average",
            self.reads,
            self.tiny_reads,
            mib(self.bytes_read),
            self.bytes_read as f64 / self.reads.max(1) as f64
        );
        println!(
            "ledger              lost {}, duplicated {}, reordered {}, corrupted {}",
            self.lost, self.duplicated, self.reordered, self.corrupted
        );
        println!(
            "errors              {} on the clients, {} lines from the server, {} idle \
             connections",
            self.errors.len(),
            server_lines.len(),
            self.idle
        );
        for e in self.errors.iter().take(20) {
            println!("  client: {e}");
        }
        for d in self.details.iter().take(20) {
            println!("  ledger: {d}");
        }
        for l in server_lines.iter().take(20) {
            println!("  server: {l}");
        }
        println!(
            "duration            {:.1} s sending + {:.1} s closing = {:.1} s; {:.0} messages/s \
             and {:.1} MiB/s echoed",
            sending.as_secs_f64(),
            (all - sending).as_secs_f64(),
            secs,
            self.messages_received as f64 / secs,
            mib(self.bytes_received) / secs
        );
    }
}

// ---- the clients

/// Runs connections `ids` as tasks of a single-threaded runtime on this
/// thread.
fn client_thread(plan: &Arc<Plan>, ids: &[usize]) -> Result<Stats, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| e.to_string())?;
    let tasks: Vec<_> = ids
        .iter()
        .map(|&id| rt.spawn(Client::new(Arc::clone(plan), id).soak()))
        .collect();
    rt.block_on(async {
        let mut total = Stats::default();
        for t in tasks {
            total.add(&t.await.map_err(|e| format!("a connection's task failed: {e}"))?);
        }
        Ok(total)
    })
}

/// A message being sent in fragments, over several turns of the loop.
struct Outgoing {
    kind: MessageKind,
    data: Vec<u8>,
    /// Where each fragment ends; the last is `data.len()`.
    ends: Vec<usize>,
    /// How many fragments have been sent.
    sent: usize,
}

/// One connection of the soak: its generators, ledger and figures.
struct Client {
    plan: Arc<Plan>,
    id: usize,
    /// Message kinds, sizes and contents, fragmentation, pings.
    rng: Rng,
    /// Read sizes.
    reads: Rng,
    ledger: Ledger,
    stats: Stats,
    /// Diagnostics for the first ledger mismatches (they are counted there).
    details: Vec<String>,
    next_seq: u64,
    next_ping: u64,
    sending: Option<Outgoing>,
    close_sent: bool,
    closed: Option<rfc6455::Close>,
    /// The server closed TCP (a read returned 0).
    eof: bool,
}

impl Client {
    fn new(plan: Arc<Plan>, id: usize) -> Client {
        let seed = plan.seed;
        Client {
            plan,
            id,
            rng: Rng::new(seed, 3 * id as u64),
            reads: Rng::new(seed, 3 * id as u64 + 1),
            ledger: Ledger::default(),
            stats: Stats {
                connections: 1,
                ..Stats::default()
            },
            details: Vec::new(),
            next_seq: 0,
            next_ping: 0,
            sending: None,
            close_sent: false,
            closed: None,
            eof: false,
        }
    }

    /// Runs the connection to its end and returns its figures.
    async fn soak(mut self) -> Stats {
        if let Err(e) = self.drive().await {
            self.stats.errors.push(format!("connection {}: {e}", self.id));
        }
        self.finish()
    }

    async fn drive(&mut self) -> Result<(), String> {
        let plan = Arc::clone(&self.plan);
        let sock = TcpStream::connect(plan.addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        sock.set_nodelay(true).map_err(|e| e.to_string())?;
        let url = format!("ws://{}/soak/{}", plan.addr, self.id);
        let request = ClientRequest::from_url(&url).map_err(|e| e.to_string())?;
        let mut config = Config::default();
        // Every pong must answer one of our pings: no keepalive pings of
        // the library's own.
        config.ping_interval = None;
        // A loaded CI machine may take long to echo what is in flight when
        // we close; the soak checks what arrives, not how fast.
        config.close_timeout = Some(Duration::from_secs(30));
        let mut masks = Rng::new(plan.seed, 3 * self.id as u64 + 2);
        let entropy = move |buf: &mut [u8]| buf.fill_with(|| masks.next() as u8);
        let mut conn = Connection::client(request, config, entropy).map_err(|e| e.to_string())?;

        // Output taken from the connection and not yet written, and how
        // much of the first buffer is written.
        let mut out: VecDeque<Bytes> = VecDeque::new();
        let (mut written, mut unwritten) = (0, 0);
        loop {
            let now = StdInstant::now();
            conn.handle_timeout(plan.clock.instant(now));
            if now >= plan.give_up {
                conn.abort();
                self.take_events(&mut conn);
                return Err(format!("still running {GRACE:?} after the sending phase"));
            }
            let mut progress = false;
            self.take_events(&mut conn);
            progress |= self.produce(&mut conn, now >= plan.stop_sending, unwritten)?;
            while let Some(bytes) = conn.poll_transmit() {
                unwritten += bytes.len();
                out.push_back(bytes);
            }
            while let Some(front) = out.front() {
                match sock.try_write(&front[written..]) {
                    Ok(n) => {
                        progress = true;
                        written += n;
                        unwritten -= n;
                        if written == front.len() {
                            out.pop_front();
                            written = 0;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => {
                        conn.abort();
                        self.take_events(&mut conn);
                        return Err(format!("write: {e}"));
                    }
                }
            }
            if conn.should_close_transport() && out.is_empty() {
                break;
            }
            if !self.eof {
                // Read straight into the connection's buffer, a random
                // number of bytes at a time.
                let buf = conn.input_buffer(read_len(&mut self.reads));
                match sock.try_read(buf) {
                    Ok(0) => {
                        conn.commit_input(0);
                        conn.handle_eof();
                        self.eof = true;
                        progress = true;
                    }
                    Ok(n) => {
                        conn.commit_input(n);
                        self.stats.reads += 1;
                        self.stats.bytes_read += n as u64;
                        self.stats.tiny_reads += u64::from(n <= 16);
                        progress = true;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => conn.commit_input(0),
                    Err(e) => {
                        conn.commit_input(0);
                        conn.abort();
                        self.take_events(&mut conn);
                        return Err(format!("read: {e}"));
                    }
                }
            }
            if progress {
                // Let the other connections of this thread have a turn.
                tokio::task::yield_now().await;
                continue;
            }
            // Nothing to do until the socket is ready, a timer of the
            // connection is due, or the sending phase ends.
            let interest = match (self.eof, out.is_empty()) {
                (false, true) => Some(Interest::READABLE),
                (false, false) => Some(Interest::READABLE | Interest::WRITABLE),
                (true, false) => Some(Interest::WRITABLE),
                (true, true) => None,
            };
            let mut deadline = conn
                .poll_timeout()
                .and_then(|t: Instant| plan.clock.to_std(t))
                .map_or(plan.give_up, |t| t.min(plan.give_up));
            if !self.close_sent && now < plan.stop_sending {
                deadline = deadline.min(plan.stop_sending);
            }
            tokio::select! {
                ready = async {
                    match interest {
                        Some(i) => sock.ready(i).await.map(drop),
                        None => std::future::pending().await,
                    }
                } => ready.map_err(|e| format!("wait: {e}"))?,
                () = tokio::time::sleep_until(deadline.into()) => {}
            }
        }
        self.take_events(&mut conn);
        Ok(())
    }

    fn take_events(&mut self, conn: &mut Connection) {
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Open(_) => self.stats.opened = 1,
                Event::Text(text) => self.received(MessageKind::Text, text.as_bytes()),
                Event::Binary(data) => self.received(MessageKind::Binary, &data),
                Event::Pong(payload) => {
                    if self.ledger.pong(&payload) {
                        self.stats.pongs_received += 1;
                    }
                }
                Event::Ping(_) => self.stats.pings_from_server += 1,
                Event::Close(close) => self.closed = Some(close),
                Event::Error(e) => self.error(format!("peer error: {e}")),
                Event::Rejected(r) => self.error(format!("handshake refused: {}", r.status())),
                other => self.error(format!("unexpected event: {other:?}")),
            }
        }
    }

    fn error(&mut self, what: String) {
        self.stats.errors.push(format!("connection {}: {what}", self.id));
    }

    fn received(&mut self, kind: MessageKind, data: &[u8]) {
        self.stats.messages_received += 1;
        self.stats.bytes_received += data.len() as u64;
        if !self.ledger.received(kind, data) && self.details.len() < 3 {
            let head = String::from_utf8_lossy(&data[..data.len().min(16)]).into_owned();
            self.details.push(format!(
                "connection {}: message {} out of turn: {kind:?}, {} B, starting {head:?}",
                self.id, self.stats.messages_received, data.len()
            ));
        }
    }

    /// Sends what the application has to send this turn: up to four steps
    /// (a fragment, or a new message), with pings and pongs between; the
    /// close once the sending phase is over. True if anything was sent.
    fn produce(&mut self, conn: &mut Connection, stop: bool, unwritten: usize) -> Result<bool, String> {
        if conn.state() != rfc6455::State::Open || self.close_sent {
            return Ok(false);
        }
        let mut progress = false;
        for _ in 0..self.rng.range(1, 4) {
            if self.sending.is_some() {
                self.send_fragment(conn)?;
            } else if stop {
                conn.close(CloseCode::NORMAL, "soak done")
                    .map_err(|e| format!("close: {e}"))?;
                self.close_sent = true;
                return Ok(true);
            } else if self.ledger.expected.len() < MAX_MESSAGES_IN_FLIGHT
                && self.ledger.expected_bytes < MAX_BYTES_IN_FLIGHT
                && conn.buffered_amount() + unwritten < MAX_UNWRITTEN
            {
                self.start_message(conn)?;
            } else {
                break;
            }
            progress = true;
            if self.rng.one_in(8) {
                self.ping(conn)?;
            }
            if self.rng.one_in(64) {
                conn.pong(b"unsolicited").map_err(|e| format!("pong: {e}"))?;
                self.stats.unsolicited_pongs += 1;
            }
        }
        Ok(progress)
    }

    fn start_message(&mut self, conn: &mut Connection) -> Result<(), String> {
        let kind = if self.rng.one_in(2) {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        let len = message_len(&mut self.rng);
        let data = self.plan.pools.message(&mut self.rng, kind, len, self.id, self.next_seq);
        self.next_seq += 1;
        self.ledger.sent(kind, &data);
        let s = &mut self.stats;
        s.messages_sent += 1;
        s.bytes_sent += len as u64;
        s.text_sent += u64::from(kind == MessageKind::Text);
        s.empty += u64::from(len == 0);
        s.largest = s.largest.max(len);
        if self.rng.one_in(3) {
            // 2 to 8 fragments, now and then up to 64, cut anywhere.
            s.fragmented += 1;
            let n = if self.rng.one_in(8) {
                self.rng.range(9, 64)
            } else {
                self.rng.range(2, 8)
            };
            let mut ends: Vec<usize> = (1..n).map(|_| self.rng.range(0, len)).collect();
            ends.sort_unstable();
            ends.push(len);
            self.sending = Some(Outgoing {
                kind,
                data,
                ends,
                sent: 0,
            });
            return self.send_fragment(conn);
        }
        s.frames_sent += 1;
        match kind {
            MessageKind::Text => {
                let text = std::str::from_utf8(&data).map_err(|e| format!("generator: {e}"))?;
                conn.send_text(text)
            }
            MessageKind::Binary => conn.send_binary(&data),
        }
        .map_err(|e| format!("send: {e}"))
    }

    /// Sends the next fragment of the message being sent; between two
    /// fragments, a third of the time, a ping.
    fn send_fragment(&mut self, conn: &mut Connection) -> Result<(), String> {
        let Some(out) = self.sending.as_mut() else {
            return Ok(());
        };
        let start = if out.sent == 0 { 0 } else { out.ends[out.sent - 1] };
        let end = out.ends[out.sent];
        let fin = out.sent + 1 == out.ends.len();
        conn.send_fragment(out.kind, &out.data[start..end], fin)
            .map_err(|e| format!("send_fragment: {e}"))?;
        out.sent += 1;
        self.stats.frames_sent += 1;
        if fin {
            self.sending = None;
        } else if self.rng.one_in(3) {
            self.ping(conn)?;
        }
        Ok(())
    }

    /// Sends a ping of 6 to 125 bytes that names this connection and the
    /// ping's number, unless too many are unanswered.
    fn ping(&mut self, conn: &mut Connection) -> Result<(), String> {
        if self.ledger.pings.len() >= MAX_PINGS_IN_FLIGHT {
            return Ok(());
        }
        let mut payload = format!("{:04x}:{}", self.id, self.next_ping).into_bytes();
        self.next_ping += 1;
        payload.resize(self.rng.range(payload.len(), 125), b'~');
        conn.ping(&payload).map_err(|e| format!("ping: {e}"))?;
        self.ledger.pings.push_back(Bytes::from(payload));
        self.stats.pings_sent += 1;
        Ok(())
    }

    /// Closes the books: what is still expected is lost, and the close must
    /// have been ours, answered (1000, clean), and followed by the server's
    /// TCP close.
    fn finish(mut self) -> Stats {
        self.ledger.finish();
        self.stats.take_ledger(&self.ledger);
        match &self.closed {
            Some(c)
                if c.clean
                    && c.code == CloseCode::NORMAL
                    && c.initiator == Initiator::Local
                    && self.eof =>
            {
                self.stats.clean += 1;
            }
            other => {
                self.stats.unclean += 1;
                let what = format!("unclean end: {other:?}, server closed TCP: {}", self.eof);
                self.error(what);
            }
        }
        if self.stats.messages_received == 0 {
            self.stats.idle += 1;
        }
        self.stats.details = self.details;
        self.stats
    }
}
