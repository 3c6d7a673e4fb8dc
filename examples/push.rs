//! Pushes a random number to every client once a second (as in express-ws's
//! `setInterval(() => ws.send(Math.random()), 1000)`) and echoes whatever
//! the client sends.
//!
//!     cargo run --example push [127.0.0.1:8081]
//!     cargo run --example client -- ws://127.0.0.1:8081/     # elsewhere
//!
//! One blocking thread per client serves both the socket and the timer: the
//! socket has a 100 ms read timeout, so the thread wakes at least that often
//! to see whether a second has passed.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use rfc6455::{Accept, Config, Connection, Entropy, Event, OsEntropy, State};

const PERIOD: Duration = Duration::from_secs(1);

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".into());
    let listener = TcpListener::bind(&addr)?;
    println!("push server on ws://{}/", listener.local_addr()?);
    for sock in listener.incoming().flatten() {
        std::thread::spawn(move || serve(sock));
    }
    Ok(())
}

fn serve(mut sock: TcpStream) -> std::io::Result<()> {
    sock.set_read_timeout(Some(Duration::from_millis(100)))?;
    let mut conn = Connection::server(Config::default());
    let mut rng = OsEntropy::default();
    let mut next_push = Instant::now() + PERIOD;
    let mut buf = vec![0u8; 64 * 1024];
    while !conn.should_close_transport() {
        match sock.read(&mut buf) {
            Ok(0) => conn.handle_eof(),
            Ok(n) => conn.handle_input(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e),
        }
        while let Some(event) = conn.poll_event() {
            let _ = match event {
                Event::Request(_) => conn.accept(Accept::new()),
                Event::Open(_) => {
                    next_push = Instant::now() + PERIOD;
                    Ok(())
                }
                Event::Text(text) => conn.send_text(text.as_str()),
                Event::Binary(data) => conn.send_binary(&data),
                _ => Ok(()),
            };
        }
        if conn.state() == State::Open && Instant::now() >= next_push {
            next_push += PERIOD;
            let _ = conn.send_text(&random(&mut rng).to_string());
        }
        while let Some(bytes) = conn.poll_transmit() {
            sock.write_all(&bytes)?;
        }
    }
    // Close our side, then read until the peer closes too (at most a
    // second), so our last frames are not lost to a TCP reset.
    sock.shutdown(Shutdown::Write)?;
    sock.set_read_timeout(Some(Duration::from_secs(1)))?;
    while matches!(sock.read(&mut buf), Ok(1..)) {}
    Ok(())
}

/// A uniform number in [0, 1), like JavaScript's `Math.random()`.
fn random(rng: &mut impl Entropy) -> f64 {
    let mut bytes = [0u8; 8];
    rng.fill(&mut bytes);
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}
