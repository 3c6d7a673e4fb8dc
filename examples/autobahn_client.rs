//! Runs the Autobahn TestSuite's fuzzing server cases as a client: asks for
//! the case count, runs each case by echoing every message, then asks the
//! server to write its report.
//!
//!     wstest -m fuzzingserver -s spec.json   # elsewhere
//!     cargo run --release --example autobahn_client [ws://127.0.0.1:9002]
//!
//! Limits are raised for the suite's 16 MiB messages and 65 537 fragments.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use rfc6455::{ClientRequest, Clock, Config, Connection, Event, OsEntropy};

const AGENT: &str = "rfc6455";

fn main() {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ws://127.0.0.1:9002".into());
    let mut count = 0;
    let _ = session(&format!("{base}/getCaseCount"), |_, event| {
        if let Event::Text(text) = event {
            count = text.as_str().trim().parse().unwrap_or(0);
        }
    });
    eprintln!("{count} cases");
    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={AGENT}");
        if let Err(e) = session(&url, |conn, event| {
            let _ = match event {
                Event::Text(text) => conn.send_text(text.as_str()),
                Event::Binary(data) => conn.send_binary(&data),
                _ => Ok(()),
            };
        }) {
            eprintln!("case {case}: {e}");
        }
    }
    let _ = session(&format!("{base}/updateReports?agent={AGENT}"), |_, _| {});
    eprintln!("reports updated");
}

/// Runs one connection to its end, handing every event to `on_event`.
fn session(url: &str, mut on_event: impl FnMut(&mut Connection, Event)) -> std::io::Result<()> {
    let request = ClientRequest::from_url(url).map_err(std::io::Error::other)?;
    let mut sock = TcpStream::connect((request.host_name(), request.port()))?;
    sock.set_nodelay(true)?;
    let mut config = Config::default();
    config.max_message_size = 64 << 20;
    config.max_frame_size = 64 << 20;
    config.max_fragments = 1 << 20;
    config.max_pending_output = 256 << 20;
    // After a clean close the server closes TCP first; wait 2 s at most.
    config.close_timeout = Some(Duration::from_secs(2));
    let clock = Clock::new();
    let mut conn =
        Connection::client(request, config, OsEntropy::default()).map_err(std::io::Error::other)?;
    conn.handle_timeout(clock.now());
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(bytes) = conn.poll_transmit() {
            sock.write_all(&bytes)?;
        }
        if conn.should_close_transport() {
            return Ok(());
        }
        // Read, but not past the connection's next deadline.
        let wait = conn.poll_timeout().map(|t| clock.until(t));
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
            on_event(&mut conn, event);
        }
    }
}
