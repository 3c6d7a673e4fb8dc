//! A broadcast chat: every message goes to every connected client, text
//! prefixed with its sender's id ("[3] hello"), binary (an image, a file)
//! as it came. One port serves the page at `/` (plain HTTP, answered
//! through `Connection::reject`) and the WebSocket at `/chat`, which
//! refuses with 403 a browser page from another origin (cross-site
//! WebSocket hijacking, CWE-1385: the browser sends the page's `Origin`).
//!
//!     cargo run --example chat [ADDR] [--ping-interval S] [--pong-timeout S]
//!
//! ADDR defaults to 127.0.0.1:8080. A client that sends nothing for
//! `--ping-interval` seconds is pinged, and dropped if nothing arrives
//! within `--pong-timeout` seconds more (whole seconds, 0 switches a timer
//! off, defaults 30 and 30): a closed laptop leaves the room within a
//! minute.
//!
//! then open http://127.0.0.1:8080/ in two browser tabs.
//!
//! Each client has two threads: one reads its socket; the other owns its
//! `Connection` and takes socket input and chat lines from one channel,
//! waiting on it no longer than the connection's next deadline
//! (`poll_timeout`). The registry maps client ids to those channels.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rfc6455::{Accept, Clock, Config, Connection, Event, Reject, Request};

const PAGE: &str = include_str!("chat.html");

/// What a client's thread is handed.
enum Input {
    /// Bytes read from its socket.
    Bytes(Vec<u8>),
    /// Its socket reached end of file (or failed).
    Eof,
    /// A chat line to send it.
    Say(Arc<str>),
    /// A binary message to send it.
    Relay(Bytes),
}

type Clients = Arc<Mutex<HashMap<u64, Sender<Input>>>>;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());
    let mut config = Config::default();
    config.allow_plain_http = true;
    while let Some(flag) = args.next() {
        let Some(Ok(secs)) = args.next().map(|v| v.parse::<u64>()) else {
            return Err(std::io::Error::other(format!("{flag} wants whole seconds")));
        };
        let d = (secs > 0).then(|| Duration::from_secs(secs));
        match flag.as_str() {
            "--ping-interval" => config.ping_interval = d,
            "--pong-timeout" => config.pong_timeout = d,
            _ => return Err(std::io::Error::other(format!("unknown flag {flag}"))),
        }
    }
    let listener = TcpListener::bind(&addr)?;
    println!("chat on http://{}/", listener.local_addr()?);
    let clients = Clients::default();
    for (id, sock) in (1..).zip(listener.incoming().flatten()) {
        let (clients, config) = (clients.clone(), config.clone());
        std::thread::spawn(move || serve(id, sock, &clients, config));
    }
    Ok(())
}

fn serve(id: u64, mut sock: TcpStream, clients: &Clients, config: Config) -> std::io::Result<()> {
    let (tx, rx) = channel();
    let reader = sock.try_clone()?;
    let feed = tx.clone();
    std::thread::spawn(move || read_into(reader, feed));
    let result = session(id, &mut sock, &tx, &rx, clients, config);
    clients.lock().unwrap().remove(&id);
    drop(tx);
    // Close our side, then wait (at most a second) until the peer closes
    // too, so our last frames are not lost to a TCP reset.
    sock.shutdown(Shutdown::Write)?;
    let deadline = Instant::now() + Duration::from_secs(1);
    while rx
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .is_ok()
    {}
    sock.shutdown(Shutdown::Read)?; // wakes the reader if the peer never closed
    result
}

fn read_into(mut sock: TcpStream, feed: Sender<Input>) {
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n @ 1..) = sock.read(&mut buf) {
        if feed.send(Input::Bytes(buf[..n].to_vec())).is_err() {
            return;
        }
    }
    let _ = feed.send(Input::Eof);
}

fn session(
    id: u64,
    sock: &mut TcpStream,
    tx: &Sender<Input>,
    rx: &Receiver<Input>,
    clients: &Clients,
    config: Config,
) -> std::io::Result<()> {
    let clock = Clock::new();
    let mut conn = Connection::server(config);
    conn.handle_timeout(clock.now());
    while !conn.should_close_transport() {
        // Wait for input, but not past the connection's next deadline.
        let input = match conn.poll_timeout() {
            Some(t) => rx.recv_timeout(clock.until(t)),
            None => rx.recv().map_err(RecvTimeoutError::from),
        };
        conn.handle_timeout(clock.now());
        match input {
            Ok(Input::Bytes(bytes)) => conn.handle_input(&bytes),
            // These fail only once we are closing.
            Ok(Input::Say(line)) => {
                let _ = conn.send_text(&line);
            }
            Ok(Input::Relay(data)) => {
                let _ = conn.send_binary_bytes(data);
            }
            Err(RecvTimeoutError::Timeout) => {} // a timer was due
            Ok(Input::Eof) | Err(RecvTimeoutError::Disconnected) => conn.handle_eof(),
        }
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Request(req) => {
                    let answer = match (req.is_websocket(), req.path()) {
                        (true, "/chat") if !same_origin(&req) => {
                            conn.reject(Reject::new(403).body("cross-origin request refused\n"))
                        }
                        (true, "/chat") => conn.accept(Accept::new()),
                        (false, "/") => conn.reject(
                            Reject::new(200)
                                .header("Content-Type", "text/html; charset=utf-8")
                                .body(PAGE),
                        ),
                        _ => conn.reject(Reject::new(404).body("not found\n")),
                    };
                    answer.map_err(std::io::Error::other)?;
                }
                Event::Open(_) => {
                    clients.lock().unwrap().insert(id, tx.clone());
                }
                Event::Text(text) => {
                    let line: Arc<str> = format!("[{id}] {text}").into();
                    for client in clients.lock().unwrap().values() {
                        let _ = client.send(Input::Say(line.clone()));
                    }
                }
                Event::Binary(data) => {
                    for client in clients.lock().unwrap().values() {
                        let _ = client.send(Input::Relay(data.clone()));
                    }
                }
                Event::Close(_) => {
                    clients.lock().unwrap().remove(&id);
                }
                _ => {}
            }
        }
        while let Some(bytes) = conn.poll_transmit() {
            sock.write_all(&bytes)?;
        }
    }
    Ok(())
}

/// Whether a WebSocket request may join: a browser always sends the
/// `Origin` of the page that opened the socket (RFC 6455 §4.1, item 8;
/// §10.2), so a page of ours comes from `http://` + our `Host`. Clients that
/// are not browsers send no `Origin` and are let in.
fn same_origin(req: &Request) -> bool {
    match (req.origin(), req.host()) {
        (None, _) => true,
        (Some(origin), Some(host)) => {
            origin.strip_prefix("http://") == Some(host)
                || origin.strip_prefix("https://") == Some(host)
        }
        (Some(_), None) => false,
    }
}
