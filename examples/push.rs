//! Pushes a random number to every client once a second (as in express-ws's
//! `setInterval(() => ws.send(Math.random()), 1000)`) and echoes whatever
//! the client sends.
//!
//!     cargo run --example push [127.0.0.1:8081]
//!     cargo run --example client -- ws://127.0.0.1:8081/     # elsewhere
//!
//! One blocking thread per client serves the socket, the push timer and the
//! connection's own timers: each read waits until the earlier of the next
//! push and the connection's next deadline (`poll_timeout`), then the time
//! is handed in with `handle_timeout`.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use rfc6455::{Accept, Clock, Config, Connection, Entropy, Event, OsEntropy, State};

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
    let clock = Clock::new();
    let mut conn = Connection::server(Config::default());
    conn.handle_timeout(clock.now());
    let mut rng = OsEntropy::default();
    let mut next_push = Instant::now() + PERIOD;
    let mut buf = vec![0u8; 64 * 1024];
    while !conn.should_close_transport() {
        // The push timer runs only while OPEN.
        let mut wake = conn.poll_timeout().and_then(|t| clock.to_std(t));
        if conn.state() == State::Open {
            wake = Some(wake.map_or(next_push, |t| t.min(next_push)));
        }
        let wait = wake.map(|t| t.saturating_duration_since(Instant::now()));
        let read = if wait == Some(Duration::ZERO) {
            None
        } else {
            sock.set_read_timeout(wait)?;
            match sock.read(&mut buf) {
                Ok(n) => Some(n),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => None,
                Err(e) => return Err(e),
            }
        };
        conn.handle_timeout(clock.now());
        match read {
            Some(0) => conn.handle_eof(),
            Some(n) => conn.handle_input(&buf[..n]),
            None => {}
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
