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

mod client;
mod content;
mod ledger;
mod server;
mod stats;

use std::error::Error;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use rfc6455::Clock;

use client::{GRACE, client_thread};
use content::Pools;
use server::Server;
use stats::Stats;

const USAGE: &str = "usage: tcp_soak [--seconds S] [--connections N] [--seed N] [--threads N] \
                     [--server PATH]";

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
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag} wants a number"))
        };
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

/// What every connection is given: read-only.
pub struct Plan {
    pub addr: SocketAddr,
    pub seed: u64,
    pub pools: Pools,
    pub clock: Clock,
    /// No new message after this; then the close.
    pub stop_sending: StdInstant,
    /// A connection still running then is aborted.
    pub give_up: StdInstant,
}
