//! A command-line client: each line typed on stdin is sent as a text
//! message, and each message received is printed (binary ones as
//! `<binary N bytes>`). End of input (Ctrl-D) closes with 1000 and waits for
//! the server's close.
//!
//!     cargo run --example client -- ws://127.0.0.1:9001/ [--protocol NAME]...
//!         [--close-timeout S]
//!
//! `--protocol` offers a subprotocol (repeatable, in order of preference).
//! `--close-timeout` bounds, in whole seconds (default 10), the wait for the
//! server's close frame after ours and for the server to close TCP after
//! the closing handshake (RFC 6455 §7.1.1): a server that never does is
//! given up on. The connection's other timers (handshake, keepalive) keep
//! the library's defaults; the main thread waits for input only until the
//! connection's next deadline (`poll_timeout`).
//! It prints `open protocol=<p>` (`-` for none) once connected, `rejected
//! <status>` if the server refuses the handshake, and `closed code=<c>
//! reason=<r> clean=<b>` at the end. Exit status: 0 after a clean close, 2
//! if the handshake was refused, 1 otherwise.

use std::error::Error;
use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::time::Duration;

use rfc6455::{ClientRequest, Clock, CloseCode, Config, Connection, Event, OsEntropy, State};

const USAGE: &str = "usage: client ws://HOST:PORT/PATH [--protocol NAME]... [--close-timeout S]";

/// What the main thread is handed by the socket and stdin threads.
enum Input {
    Bytes(Vec<u8>),
    Eof,
    Line(String),
    StdinEof,
}

fn main() -> ExitCode {
    run().unwrap_or_else(|e| {
        eprintln!("client: {e}");
        ExitCode::FAILURE
    })
}

fn run() -> Result<ExitCode, Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (mut url, mut protocols) = (None, Vec::new());
    let mut config = Config::default();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--protocol" => protocols.push(args.next().ok_or(USAGE)?),
            "--close-timeout" => {
                let secs: u64 = args.next().ok_or(USAGE)?.parse().map_err(|_| USAGE)?;
                config.close_timeout = (secs > 0).then(|| Duration::from_secs(secs));
            }
            _ if url.is_none() && !arg.starts_with("--") => url = Some(arg),
            _ => return Err(USAGE.into()),
        }
    }
    let request = ClientRequest::from_url(&url.ok_or(USAGE)?)?.protocols(protocols);
    let mut sock = TcpStream::connect((request.host_name(), request.port()))?;
    let clock = Clock::new();
    let mut conn = Connection::client(request, config, OsEntropy::default())?;
    conn.handle_timeout(clock.now());

    let (tx, rx) = channel();
    let (mut reader, feed) = (sock.try_clone()?, tx.clone());
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n @ 1..) = reader.read(&mut buf) {
            if feed.send(Input::Bytes(buf[..n].to_vec())).is_err() {
                return;
            }
        }
        let _ = feed.send(Input::Eof);
    });

    let mut status = ExitCode::FAILURE;
    loop {
        while let Some(bytes) = conn.poll_transmit() {
            sock.write_all(&bytes)?;
        }
        if conn.should_close_transport() {
            break;
        }
        // Wait for input, but not past the connection's next deadline.
        let input = match conn.poll_timeout() {
            Some(t) => match rx.recv_timeout(clock.until(t)) {
                Ok(input) => Some(input),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return Err("input threads ended".into()),
            },
            None => Some(rx.recv()?),
        };
        conn.handle_timeout(clock.now());
        match input {
            None => {} // a timer was due
            Some(Input::Bytes(bytes)) => conn.handle_input(&bytes),
            Some(Input::Eof) => conn.handle_eof(),
            Some(Input::Line(line)) => conn
                .send_text(&line)
                .unwrap_or_else(|e| eprintln!("client: {e}")),
            // Ctrl-D closes, unless the server already started closing.
            Some(Input::StdinEof) if conn.state() == State::Open => conn
                .close(CloseCode::NORMAL, "")
                .unwrap_or_else(|e| eprintln!("client: {e}")),
            Some(Input::StdinEof) => {}
        }
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Open(open) => {
                    println!("open protocol={}", open.protocol.as_deref().unwrap_or("-"));
                    let tx = tx.clone();
                    std::thread::spawn(move || read_stdin(tx));
                }
                Event::Text(text) => println!("{text}"),
                Event::Binary(data) => println!("<binary {} bytes>", data.len()),
                Event::Rejected(response) => {
                    println!("rejected {}", response.status());
                    status = ExitCode::from(2);
                }
                Event::Error(e) => eprintln!("client: peer error: {e}"),
                Event::Close(close) => {
                    println!(
                        "closed code={} reason={} clean={}",
                        close.code, close.reason, close.clean
                    );
                    if close.clean {
                        status = ExitCode::SUCCESS;
                    }
                }
                _ => {}
            }
        }
        std::io::stdout().flush()?;
    }
    Ok(status)
}

fn read_stdin(tx: Sender<Input>) {
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if tx.send(Input::Line(line)).is_err() {
            return;
        }
    }
    let _ = tx.send(Input::StdinEof);
}
