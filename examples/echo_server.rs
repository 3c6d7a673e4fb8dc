//! Echoes every text and binary message back, one thread per client, and
//! drops clients that stop answering (dead-peer detection).
//!
//!     cargo run --release --example echo_server [ADDR] [--ping-interval S]
//!         [--pong-timeout S] [--handshake-timeout S] [--random-reads SEED]
//!
//! ADDR defaults to 127.0.0.1:9001. After `--ping-interval` seconds without
//! input a client is pinged; if nothing arrives within `--pong-timeout`
//! seconds more, it is dropped. A request head that is not complete within
//! `--handshake-timeout` seconds is answered 408. Defaults 30, 30, 10 (the
//! library's). Whole seconds; 0 switches a timer off.
//!
//! `--random-reads SEED` makes every socket read ask for a random number of
//! bytes (1 to 64 KiB, a quarter of them at most 16), drawn from SEED and
//! the client's number, so frames reach the connection split anywhere; the
//! TCP soak (`examples/tcp_soak/`) runs the server this way. Without it,
//! every read asks for 64 KiB.
//!
//! The thread never sleeps past the connection's next deadline: it reads
//! with a timeout computed from `poll_timeout`, and hands the time in with
//! `handle_timeout` after every wake-up.
//!
//! Its limits allow 64 MiB messages and a million fragments, so that the
//! Autobahn TestSuite (16 MiB messages, 65 537 fragments) can use it. The
//! library's defaults are smaller, and safer.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

use rfc6455::{Accept, Clock, Config, Connection, Event};

const USAGE: &str = "usage: echo_server [ADDR] [--ping-interval S] [--pong-timeout S] \
                     [--handshake-timeout S] [--random-reads SEED]";

/// What the command line sets.
struct Options {
    addr: String,
    config: Config,
    /// `--random-reads`: the seed of the read sizes, if they are random.
    read_seed: Option<u64>,
}

fn main() -> std::io::Result<()> {
    let Options {
        addr,
        config,
        read_seed,
    } = parse_args().unwrap_or_else(|e| {
        eprintln!("{e}\n{USAGE}");
        std::process::exit(2)
    });
    let listener = TcpListener::bind(&addr)?;
    eprintln!("echo server on ws://{}/", listener.local_addr()?);
    for (n, sock) in (0u64..).zip(listener.incoming().flatten()) {
        let config = config.clone();
        let sizes = read_seed.map(|seed| ReadSizes::new(seed, n));
        std::thread::spawn(move || serve(sock, config, sizes));
    }
    Ok(())
}

fn parse_args() -> Result<Options, String> {
    let mut config = Config::default();
    config.max_message_size = 64 << 20;
    config.max_frame_size = 64 << 20;
    config.max_fragments = 1 << 20;
    config.max_pending_output = 256 << 20;
    let mut addr = "127.0.0.1:9001".to_string();
    let mut args = std::env::args().skip(1);
    if let Some(a) = args.next() {
        if a.starts_with("--") {
            return Err(format!("the address comes first, not {a}"));
        }
        addr = a;
    }
    let mut read_seed = None;
    while let Some(flag) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        if flag == "--random-reads" {
            read_seed = Some(value.ok_or_else(|| format!("{flag} wants a number"))?);
            continue;
        }
        let secs = value.ok_or_else(|| format!("{flag} wants whole seconds"))?;
        let d = (secs > 0).then(|| Duration::from_secs(secs));
        match flag.as_str() {
            "--ping-interval" => config.ping_interval = d,
            "--pong-timeout" => config.pong_timeout = d,
            "--handshake-timeout" => config.handshake_timeout = d,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(Options {
        addr,
        config,
        read_seed,
    })
}

/// Random read sizes for `--random-reads` (xorshift64*, one stream per
/// client).
struct ReadSizes(u64);

impl ReadSizes {
    fn new(seed: u64, client: u64) -> Self {
        // Any nonzero state will do; mixing the client's number in gives
        // each thread a stream of its own.
        ReadSizes((seed ^ client.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }

    /// The next read's size, from 1 to `max`: a quarter tiny (frame headers
    /// and masks cut apart), the rest anywhere up to `max`.
    fn next(&mut self, max: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 8;
        let cap = if r % 4 == 0 { 16 } else { max as u64 };
        1 + ((r >> 2) % cap.min(max as u64)) as usize
    }
}

fn serve(mut sock: TcpStream, config: Config, mut sizes: Option<ReadSizes>) -> std::io::Result<()> {
    let clock = Clock::new();
    let mut conn = Connection::server(config);
    conn.handle_timeout(clock.now());
    let mut buf = vec![0u8; 64 * 1024];
    sock.set_nodelay(true)?;
    while !conn.should_close_transport() {
        let len = sizes.as_mut().map_or(buf.len(), |s| s.next(buf.len()));
        let read = read_until(&mut sock, &mut buf[..len], &clock, conn.poll_timeout())?;
        conn.handle_timeout(clock.now());
        match read {
            Some(0) => conn.handle_eof(),
            Some(n) => conn.handle_input(&buf[..n]),
            None => {} // the deadline came first
        }
        while let Some(event) = conn.poll_event() {
            let _ = match event {
                Event::Request(_) => conn.accept(Accept::new()),
                Event::Text(text) => conn.send_text(text.as_str()),
                Event::Binary(data) => conn.send_binary(&data),
                Event::Error(e) => {
                    eprintln!("echo_server: peer error: {e}");
                    Ok(())
                }
                _ => Ok(()),
            };
        }
        while let Some(bytes) = conn.poll_transmit() {
            sock.write_all(&bytes)?;
        }
    }
    linger_close(sock)
}

/// Reads once, waiting at most until `deadline`: `None` if it came first.
fn read_until(
    sock: &mut TcpStream,
    buf: &mut [u8],
    clock: &Clock,
    deadline: Option<rfc6455::Instant>,
) -> std::io::Result<Option<usize>> {
    let wait = deadline.map(|t| clock.until(t));
    if wait == Some(Duration::ZERO) {
        return Ok(None);
    }
    sock.set_read_timeout(wait)?;
    match sock.read(buf) {
        Ok(n) => Ok(Some(n)),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Closes our side, then reads until the peer closes too (for at most a
/// second), so our last frames are not lost to a TCP reset. The connection
/// is over: this wait is the transport's, not the protocol's.
fn linger_close(mut sock: TcpStream) -> std::io::Result<()> {
    sock.shutdown(Shutdown::Write)?;
    sock.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut buf = [0u8; 4096];
    while matches!(sock.read(&mut buf), Ok(n) if n > 0) {}
    Ok(())
}
