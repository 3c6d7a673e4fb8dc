//! The echo server again, on tokio: the sans-IO `Connection` does not care
//! who reads and writes its bytes, so the blocking loop of `echo_server.rs`
//! becomes an async one: the read races `tokio::time::sleep_until` the
//! connection's next deadline.
//!
//!     cargo run --example tokio_echo [ADDR] [--ping-interval S] [--pong-timeout S]
//!
//! ADDR defaults to 127.0.0.1:9003; the flags are `echo_server`'s (whole
//! seconds, 0 switches a timer off, defaults 30 and 30).

use std::time::Duration;

use rfc6455::{Accept, Clock, Config, Connection, Event, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9003".into());
    let mut config = Config::default();
    while let Some(flag) = args.next() {
        let secs: u64 = match args.next().map(|v| v.parse()) {
            Some(Ok(s)) => s,
            _ => return Err(std::io::Error::other(format!("{flag} wants whole seconds"))),
        };
        let d = (secs > 0).then(|| Duration::from_secs(secs));
        match flag.as_str() {
            "--ping-interval" => config.ping_interval = d,
            "--pong-timeout" => config.pong_timeout = d,
            _ => return Err(std::io::Error::other(format!("unknown flag {flag}"))),
        }
    }
    let listener = TcpListener::bind(&addr).await?;
    println!("echo server on ws://{}/", listener.local_addr()?);
    let clock = Clock::new();
    loop {
        let (sock, _) = listener.accept().await?;
        tokio::spawn(serve(sock, config.clone(), clock));
    }
}

/// Sleeps until `deadline` on `clock`, or for ever if there is none.
async fn sleep_until(clock: &Clock, deadline: Option<Instant>) {
    match deadline.and_then(|t| clock.to_std(t)) {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

async fn serve(mut sock: TcpStream, config: Config, clock: Clock) -> std::io::Result<()> {
    sock.set_nodelay(true)?;
    let mut conn = Connection::server(config);
    conn.handle_timeout(clock.now());
    while !conn.should_close_transport() {
        // Wait for the socket to be readable (or the next deadline) holding
        // no read buffer: an idle connection keeps only the `Connection`'s
        // few hundred bytes. `readable` is cancel-safe.
        let ready = tokio::select! {
            r = sock.readable() => { r?; true }
            () = sleep_until(&clock, conn.poll_timeout()) => false,
        };
        // Read straight into the space the connection lends.
        let read = if ready {
            match sock.try_read(conn.input_buffer(64 * 1024)) {
                Ok(n) => Some(n),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    // Nothing after all: give back the read-sized buffer.
                    // (Keeping it for a moment helps a busy connection, but
                    // leaves the allocator's heap fragmented: 10 KB per idle
                    // connection instead of 6 in scripts/idle_conns.py.)
                    conn.shrink_to_fit();
                    None
                }
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        conn.handle_timeout(clock.now());
        match read {
            Some(0) => conn.handle_eof(),
            Some(n) => conn.commit_input(n),
            None => {}
        }
        while let Some(event) = conn.poll_event() {
            let _ = match event {
                Event::Request(_) => conn.accept(Accept::new()),
                // The payloads go back out without a copy.
                Event::Text(text) => conn.send_text_bytes(text),
                Event::Binary(data) => conn.send_binary_bytes(data),
                _ => Ok(()),
            };
        }
        while let Some(bytes) = conn.poll_transmit() {
            sock.write_all(&bytes).await?;
        }
    }
    // Close our side, then read until the peer closes too (a second at
    // most), so our last frames are not lost to a TCP reset.
    sock.shutdown().await?;
    let linger = async {
        let mut buf = [0u8; 4096];
        while sock.read(&mut buf).await? > 0 {}
        Ok::<_, std::io::Error>(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), linger).await;
    Ok(())
}
