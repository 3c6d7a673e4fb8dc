//! Our client against third-party servers: Python `websockets`
//! (tests/peers/py_server.py) and Node `ws` (tests/peers/node_server.js).
//!
//! Each case opens its own connection on the path `/case/<name>`, drives a
//! `Connection` over `std::net`, and asserts both on our events and on what
//! the server says it observed: its JSON log lines give each message's type,
//! length and SHA-256, each ping's payload, the close code and reason it
//! received, the subprotocol it chose, and the 403 refusal.
//!
//!     cargo test --release --features real-peers --test real_peers -- --nocapture
//!
//! Needs python3 with `websockets` and node with `ws` (see
//! tests/peers/README.md; scripts/ci.d/30-peers.sh installs them).
//! `PEER_PYTHON` and `PEER_NODE` name other interpreters. Each server is
//! started with a lifetime of its own and killed by PID when the test ends.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rfc6455::{
    ClientRequest, Close, CloseCode, Config, Connection, Event, Initiator, MessageKind, OsEntropy,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The longest wait for any one reply or log line.
const STEP: Duration = Duration::from_secs(10);
/// How long a server lives if nobody kills it, in seconds.
const SERVER_LIFETIME: &str = "150";

#[test]
fn python_websockets() {
    let python = std::env::var("PEER_PYTHON").unwrap_or_else(|_| "python3".into());
    run_cases(&Server::start(&python, "py_server.py", false));
}

#[test]
fn node_ws() {
    let node = std::env::var("PEER_NODE").unwrap_or_else(|_| "node".into());
    run_cases(&Server::start(&node, "node_server.js", false));
}

/// The same cases against servers that accept permessage-deflate
/// (websockets' default; ws with every message compressed): our client
/// offers it by default, and every case checks it was agreed.
#[test]
fn python_websockets_deflate() {
    let python = std::env::var("PEER_PYTHON").unwrap_or_else(|_| "python3".into());
    run_cases(&Server::start(&python, "py_server.py", true));
}

#[test]
fn node_ws_deflate() {
    let node = std::env::var("PEER_NODE").unwrap_or_else(|_| "node".into());
    run_cases(&Server::start(&node, "node_server.js", true));
}

type Case = fn(&Server, &str);

const CASES: &[(&str, Case)] = &[
    ("text-ascii", |s, n| {
        echo(s, n, &[Msg::text("hello, rfc6455")])
    }),
    ("text-utf8-4byte", |s, n| {
        echo(s, n, &[Msg::text("𝄞😀 ñé中€")])
    }),
    ("text-sizes", |s, n| {
        let sizes = [0, 1, 125, 126, 127, 65535, 65536, 1 << 20];
        let msgs: Vec<Msg> = sizes.iter().map(|&n| Msg::Text(utf8_text(n))).collect();
        echo(s, n, &msgs)
    }),
    ("binary-sizes", |s, n| {
        let sizes = [0, 1, 125, 126, 127, 65535, 65536, 4 << 20];
        let msgs: Vec<Msg> = sizes
            .iter()
            .map(|&n| Msg::Binary(bytes(n, n as u64)))
            .collect();
        echo(s, n, &msgs)
    }),
    ("pipelined-100", pipelined),
    ("fragmented-text", fragmented_text),
    ("fragmented-binary", fragmented_binary),
    ("ping-pong", ping_pong),
    ("close-code-reason", close_code_reason),
    ("subprotocol-first-offered", |s, n| {
        subprotocol(s, n, &["superchat", "chat"], Some("superchat"))
    }),
    ("subprotocol-skip-unknown", |s, n| {
        subprotocol(s, n, &["v2.unknown", "chat"], Some("chat"))
    }),
    ("subprotocol-none-supported", |s, n| {
        subprotocol(s, n, &["v2.unknown"], None)
    }),
    ("subprotocol-none-offered", |s, n| {
        subprotocol(s, n, &[], None)
    }),
    ("rejected-403", rejected_403),
];

fn run_cases(server: &Server) {
    let mut failed = Vec::new();
    for (name, case) in CASES {
        let start = Instant::now();
        match catch_unwind(AssertUnwindSafe(|| case(server, name))) {
            Ok(()) => println!(
                "PASS {} {name} ({} ms)",
                server.library,
                start.elapsed().as_millis()
            ),
            Err(panic) => {
                let why = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("panic");
                println!("FAIL {} {name}: {why}", server.library);
                failed.push(*name);
            }
        }
    }
    assert!(failed.is_empty(), "{}: failed {failed:?}", server.library);
}

// ---- cases ----

/// Sends each message, checks the echo, then closes with 1000; checks the
/// server saw every message (type, length, SHA-256) and a clean close.
fn echo(server: &Server, name: &str, msgs: &[Msg]) {
    let (mut peer, id) = Peer::open(server, name, &[]);
    for msg in msgs {
        peer.send(msg);
        let got = peer.next_data();
        assert!(
            got == *msg,
            "echo of {} came back as {}",
            msg.describe(),
            got.describe()
        );
    }
    server.check_messages(id, msgs);
    peer.close_normally(server, id);
}

fn pipelined(server: &Server, name: &str) {
    let msgs: Vec<Msg> = (0..100)
        .map(|i| match i % 2 {
            0 => Msg::Text(format!("#{i} {}", utf8_text(i * 37 % 300))),
            _ => Msg::Binary(bytes(i * 53 % 700, i as u64)),
        })
        .collect();
    let (mut peer, id) = Peer::open(server, name, &[]);
    for msg in &msgs {
        peer.send(msg);
    }
    for (i, msg) in msgs.iter().enumerate() {
        let got = peer.next_data();
        assert!(
            got == *msg,
            "#{i}: sent {}, got {}",
            msg.describe(),
            got.describe()
        );
    }
    server.check_messages(id, &msgs);
    peer.close_normally(server, id);
}

/// A text message in fragments that split 4-byte code points, with an empty
/// fragment and a ping between fragments.
fn fragmented_text(server: &Server, name: &str) {
    let (mut peer, id) = Peer::open(server, name, &[]);
    let parts: [&[u8]; 5] = [b"a\xf0\x9d", b"\x84", b"", b"\x9e\xf0", b"\x9f\x98\x80z"];
    for (i, part) in parts.iter().enumerate() {
        if i == 1 {
            peer.conn.ping(b"mid-message").unwrap();
        }
        let fin = i == parts.len() - 1;
        peer.conn
            .send_fragment(MessageKind::Text, part, fin)
            .unwrap();
        peer.flush();
    }
    match peer.next() {
        Event::Pong(p) => assert_eq!(&p[..], b"mid-message"),
        e => panic!("expected the pong first, got {}", describe(&e)),
    }
    let whole = Msg::text("a𝄞😀z");
    let got = peer.next_data();
    assert!(got == whole, "got {}", got.describe());
    server.check_messages(id, std::slice::from_ref(&whole));
    let ping = server.wait_for("ping", |v| v["event"] == "ping" && v["conn"] == id);
    assert_eq!(ping["hex"], hex(b"mid-message"));
    peer.close_normally(server, id);
}

fn fragmented_binary(server: &Server, name: &str) {
    let (mut peer, id) = Peer::open(server, name, &[]);
    let big = bytes(70_000, 7);
    let parts: [&[u8]; 4] = [&[0, 1], &[], &[0xff; 300], &big];
    for (i, part) in parts.iter().enumerate() {
        let fin = i == parts.len() - 1;
        peer.conn
            .send_fragment(MessageKind::Binary, part, fin)
            .unwrap();
        peer.flush();
    }
    let whole = Msg::Binary(parts.concat());
    let got = peer.next_data();
    assert!(got == whole, "got {}", got.describe());
    server.check_messages(id, std::slice::from_ref(&whole));
    peer.close_normally(server, id);
}

fn ping_pong(server: &Server, name: &str) {
    let (mut peer, id) = Peer::open(server, name, &[]);
    let payloads: [Vec<u8>; 3] = [
        b"ping-\x00\xff-payload".to_vec(),
        Vec::new(),
        (0..125).collect(),
    ];
    for payload in &payloads {
        peer.conn.ping(payload).unwrap();
        peer.flush();
        match peer.next() {
            Event::Pong(p) => assert_eq!(p[..], payload[..], "pong payload"),
            e => panic!("expected a pong, got {}", describe(&e)),
        }
    }
    let seen = server.wait_count(id, "ping", payloads.len());
    for (entry, payload) in seen.iter().zip(&payloads) {
        assert_eq!(entry["hex"], hex(payload), "ping the server saw");
        assert_eq!(entry["len"], payload.len());
    }
    peer.close_normally(server, id);
}

fn close_code_reason(server: &Server, name: &str) {
    let (mut peer, id) = Peer::open(server, name, &[]);
    let close = peer.close(4001, "bye-ñ");
    let expected = Close {
        code: CloseCode(4001),
        reason: "bye-ñ".into(),
        initiator: Initiator::Local,
        clean: true,
    };
    assert_eq!(close, expected, "our Close event (the server's echo)");
    let seen = server.wait_for("close", |v| v["event"] == "close" && v["conn"] == id);
    assert_eq!(seen["code"], 4001, "close code the server received");
    assert_eq!(seen["reason"], "bye-ñ", "close reason the server received");
    assert_eq!(
        seen["clean"], true,
        "server's view of the closing handshake"
    );
    if let Some(sent) = seen.get("sent_code") {
        assert_eq!(*sent, 4001, "close code the server sent back");
        assert_eq!(seen["sent_reason"], "bye-ñ");
    }
}

fn subprotocol(server: &Server, name: &str, offer: &[&str], expect: Option<&str>) {
    let (mut peer, id) = Peer::open(server, name, offer);
    assert_eq!(peer.open.protocol.as_deref(), expect, "Open.protocol");
    assert_eq!(peer.conn.protocol(), expect, "Connection::protocol");
    let seen = server.wait_for("open", |v| v["event"] == "open" && v["conn"] == id);
    assert_eq!(
        seen["subprotocol"],
        serde_json::json!(expect),
        "server's choice"
    );
    assert_eq!(
        seen["offered"],
        serde_json::json!(offer),
        "what the server saw offered"
    );
    // The connection works after negotiation.
    let msg = Msg::text("after negotiation");
    peer.send(&msg);
    assert!(peer.next_data() == msg);
    peer.close_normally(server, id);
}

fn rejected_403(server: &Server, name: &str) {
    let path = format!("/forbidden?case={name}");
    let mut peer = Peer::connect(server, &path, &[]);
    match peer.next() {
        Event::Rejected(r) => {
            assert_eq!(r.status(), 403);
            assert_eq!(&r.body()[..], b"Forbidden\n", "body");
        }
        e => panic!("expected Rejected, got {}", describe(&e)),
    }
    match peer.next() {
        Event::Close(c) => {
            assert_eq!(c.code, CloseCode::ABNORMAL);
            assert_eq!((c.initiator, c.clean), (Initiator::Remote, false));
        }
        e => panic!("expected Close, got {}", describe(&e)),
    }
    peer.wait_transport_closed();
    let seen = server.wait_for("rejected", |v| {
        v["event"] == "rejected" && v["path"] == path.as_str()
    });
    assert_eq!(seen["status"], 403);
}

// ---- our side: a client connection over a TcpStream ----

struct Peer {
    conn: Connection,
    sock: TcpStream,
    open: rfc6455::Open,
    buf: Vec<u8>,
}

impl Peer {
    /// Connects, without waiting for the handshake.
    fn connect(server: &Server, path: &str, protocols: &[&str]) -> Peer {
        let sock = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        sock.set_read_timeout(Some(STEP)).unwrap();
        sock.set_nodelay(true).unwrap();
        let request = ClientRequest::new(format!("127.0.0.1:{}", server.port), path)
            .protocols(protocols.iter().copied());
        let conn = Connection::client(request, Config::default(), OsEntropy::default()).unwrap();
        let mut peer = Peer {
            conn,
            sock,
            open: Default::default(),
            buf: vec![0; 64 * 1024],
        };
        peer.flush();
        peer
    }

    /// Connects to `/case/<name>` and waits for Open; returns the server's
    /// id for the connection.
    fn open(server: &Server, name: &str, protocols: &[&str]) -> (Peer, u64) {
        let path = format!("/case/{name}");
        let mut peer = Peer::connect(server, &path, protocols);
        match peer.next() {
            Event::Open(open) => peer.open = open,
            e => panic!("expected Open, got {}", describe(&e)),
        }
        let seen = server.wait_for("open", |v| {
            v["event"] == "open" && v["path"] == path.as_str()
        });
        // Compression agreed on both sides exactly when the server offers it.
        let agreed = seen["extensions"]
            .as_str()
            .is_some_and(|e| e.contains("permessage-deflate"));
        assert_eq!(
            agreed, server.deflate,
            "server's extensions {}",
            seen["extensions"]
        );
        assert_eq!(peer.open.deflate.is_some(), server.deflate, "Open.deflate");
        assert_eq!(peer.conn.deflate().is_some(), server.deflate);
        (peer, seen["conn"].as_u64().unwrap())
    }

    fn flush(&mut self) {
        while let Some(bytes) = self.conn.poll_transmit() {
            self.sock.write_all(&bytes).expect("write");
        }
    }

    fn read(&mut self) {
        match self.sock.read(&mut self.buf) {
            Ok(0) => self.conn.handle_eof(),
            Ok(n) => self.conn.handle_input(&self.buf[..n]),
            Err(e) => panic!("read: {e} (nothing within {STEP:?})"),
        }
    }

    /// The next event, reading as needed.
    fn next(&mut self) -> Event {
        loop {
            if let Some(event) = self.conn.poll_event() {
                self.flush();
                return event;
            }
            self.flush();
            assert!(!self.conn.should_close_transport(), "no more events");
            self.read();
        }
    }

    fn next_data(&mut self) -> Msg {
        match self.next() {
            Event::Text(t) => Msg::Text(t.as_str().into()),
            Event::Binary(b) => Msg::Binary(b.to_vec()),
            e => panic!("expected a message, got {}", describe(&e)),
        }
    }

    fn send(&mut self, msg: &Msg) {
        let sent = match msg {
            Msg::Text(t) => self.conn.send_text(t),
            Msg::Binary(b) => self.conn.send_binary(b),
        };
        sent.unwrap();
        self.flush();
    }

    /// Starts the closing handshake and returns our `Close` event once the
    /// server has closed TCP too.
    fn close(&mut self, code: u16, reason: &str) -> Close {
        self.conn.close(CloseCode(code), reason).unwrap();
        self.flush();
        let close = match self.next() {
            Event::Close(c) => c,
            e => panic!("expected Close, got {}", describe(&e)),
        };
        self.wait_transport_closed();
        close
    }

    /// Closes with 1000, cleanly on both sides.
    fn close_normally(mut self, server: &Server, id: u64) {
        let close = self.close(1000, "");
        assert_eq!((close.code, close.clean), (CloseCode::NORMAL, true));
        let seen = server.wait_for("close", |v| v["event"] == "close" && v["conn"] == id);
        assert_eq!(seen["code"], 1000, "close code the server received");
        assert_eq!(
            seen["clean"], true,
            "server's view of the closing handshake"
        );
        let errors = server.entries(|v| v["event"] == "error" && v["conn"] == id);
        assert!(errors.is_empty(), "server reported {errors:?}");
    }

    /// Reads until the server closes TCP (§7.1.1: the server closes first),
    /// then closes our side as `should_close_transport` asks.
    fn wait_transport_closed(&mut self) {
        while !self.conn.should_close_transport() {
            self.read();
            if let Some(e) = self.conn.poll_event() {
                panic!("unexpected {} after Close", describe(&e));
            }
        }
        self.sock.shutdown(Shutdown::Both).expect("shutdown");
    }
}

// ---- the server process and its log ----

#[derive(Default)]
struct Log {
    entries: Vec<Value>,
    ended: bool,
}

struct Server {
    child: Child,
    port: u16,
    library: String,
    log: Arc<(Mutex<Log>, Condvar)>,
    /// Started with PEER_SERVER_DEFLATE=1: it accepts permessage-deflate.
    deflate: bool,
}

impl Server {
    fn start(program: &str, script: &str, deflate: bool) -> Server {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers");
        let mut child = Command::new(program)
            .env("PEER_SERVER_DEFLATE", if deflate { "1" } else { "0" })
            .arg(dir.join(script))
            .args(["0", SERVER_LIFETIME])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run {program} {script}: {e} (tests/peers/README.md)")
            });
        let stdout = child.stdout.take().unwrap();
        let log: Arc<(Mutex<Log>, Condvar)> = Arc::default();
        let mut server = Server {
            child,
            port: 0,
            library: script.into(),
            log: log.clone(),
            deflate,
        };
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let entry = serde_json::from_str(&line)
                    .unwrap_or_else(|_| serde_json::json!({ "event": "unparsed", "line": line }));
                lock(&log.0).entries.push(entry);
                log.1.notify_all();
            }
            lock(&log.0).ended = true;
            log.1.notify_all();
        });
        let listening = server.wait_for("listening", |v| v["event"] == "listening");
        server.port = listening["port"].as_u64().unwrap() as u16;
        server.library =
            format!("{}-{}", listening["library"], listening["version"]).replace('"', "");
        if deflate {
            server.library.push_str(" (permessage-deflate)");
        }
        println!("{script}: {} on port {}", server.library, server.port);
        server
    }

    fn entries(&self, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        let log = lock(&self.log.0);
        log.entries.iter().filter(|v| pred(v)).cloned().collect()
    }

    /// Waits for the first log entry matching `pred`.
    fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.wait_until(what, |entries| entries.iter().find(|v| pred(v)).cloned())
    }

    /// Waits for `n` log entries of `event` for connection `id`.
    fn wait_count(&self, id: u64, event: &str, n: usize) -> Vec<Value> {
        self.wait_until(&format!("{n} {event} entries"), |entries| {
            let seen: Vec<Value> = entries
                .iter()
                .filter(|v| v["event"] == event && v["conn"] == id)
                .cloned()
                .collect();
            (seen.len() >= n).then_some(seen)
        })
    }

    fn wait_until<T>(&self, what: &str, mut found: impl FnMut(&[Value]) -> Option<T>) -> T {
        let deadline = Instant::now() + STEP;
        let (mutex, cv) = &*self.log;
        let mut log = lock(mutex);
        loop {
            if let Some(t) = found(&log.entries) {
                return t;
            }
            let now = Instant::now();
            if log.ended || now >= deadline {
                let why = if log.ended {
                    "server exited"
                } else {
                    "timed out"
                };
                let tail: Vec<String> = log
                    .entries
                    .iter()
                    .rev()
                    .take(8)
                    .map(Value::to_string)
                    .collect();
                drop(log);
                panic!("server log has no {what} ({why}); last lines, newest first: {tail:#?}");
            }
            log = cv
                .wait_timeout(log, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Checks the server's `message` entries for connection `id` against `msgs`.
    fn check_messages(&self, id: u64, msgs: &[Msg]) {
        let seen = self.wait_count(id, "message", msgs.len());
        assert_eq!(seen.len(), msgs.len(), "messages the server saw");
        for (i, (entry, msg)) in seen.iter().zip(msgs).enumerate() {
            let (kind, data) = match msg {
                Msg::Text(t) => ("text", t.as_bytes()),
                Msg::Binary(b) => ("binary", &b[..]),
            };
            let what = format!("message #{i} ({}) as the server saw it", msg.describe());
            assert_eq!(entry["type"], kind, "{what}: type");
            assert_eq!(entry["len"], data.len(), "{what}: length");
            assert_eq!(
                entry["sha256"],
                hex(&Sha256::digest(data)),
                "{what}: sha256"
            );
            if let Msg::Text(t) = msg {
                if let Some(text) = entry.get("text") {
                    assert_eq!(text, t.as_str(), "{what}: text");
                }
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill(); // by PID
        let _ = self.child.wait();
    }
}

/// Locks the log; a panicking case must not poison it for the others.
fn lock(log: &Mutex<Log>) -> std::sync::MutexGuard<'_, Log> {
    log.lock().unwrap_or_else(|e| e.into_inner())
}

// ---- messages and test data ----

#[derive(PartialEq)]
enum Msg {
    Text(String),
    Binary(Vec<u8>),
}

impl Msg {
    fn text(s: &str) -> Msg {
        Msg::Text(s.into())
    }

    fn describe(&self) -> String {
        match self {
            Msg::Text(t) => format!("text of {} bytes", t.len()),
            Msg::Binary(b) => format!("binary of {} bytes", b.len()),
        }
    }
}

fn describe(event: &Event) -> String {
    match event {
        Event::Text(t) => format!("Text of {} bytes", t.len()),
        Event::Binary(b) => format!("Binary of {} bytes", b.len()),
        Event::Rejected(r) => format!("Rejected {}", r.status()),
        e => format!("{e:?}"),
    }
}

/// Text of exactly `n` UTF-8 bytes mixing 1- to 4-byte characters.
fn utf8_text(n: usize) -> String {
    let pool = ["a", "ñ", "中", "😀", " ", "𝄞", "é", "€"];
    let mut s = String::with_capacity(n);
    for c in pool.iter().cycle() {
        let c = if s.len() + c.len() > n { "a" } else { c };
        if s.len() == n {
            break;
        }
        s.push_str(c);
    }
    s
}

/// `n` pseudo-random bytes (xorshift64*), the same for the same seed.
fn bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}
