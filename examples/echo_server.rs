//! Echoes every text and binary message back, one thread per client.
//!
//!     cargo run --release --example echo_server [127.0.0.1:9001]
//!
//! Its limits allow 64 MiB messages and a million fragments, so that the
//! Autobahn TestSuite (16 MiB messages, 65 537 fragments) can use it. The
//! library's defaults are smaller, and safer.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

use rfc6455::{Accept, Config, Connection, Event};

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let listener = TcpListener::bind(&addr)?;
    eprintln!("echo server on ws://{addr}/");
    for sock in listener.incoming().flatten() {
        std::thread::spawn(move || serve(sock));
    }
    Ok(())
}

fn serve(mut sock: TcpStream) -> std::io::Result<()> {
    let mut config = Config::default();
    config.max_message_size = 64 << 20;
    config.max_frame_size = 64 << 20;
    config.max_fragments = 1 << 20;
    config.max_pending_output = 256 << 20;
    let mut conn = Connection::server(config);
    let mut buf = vec![0u8; 64 * 1024];
    sock.set_nodelay(true)?;
    while !conn.should_close_transport() {
        let n = sock.read(&mut buf)?;
        if n == 0 {
            conn.handle_eof();
        } else {
            conn.handle_input(&buf[..n]);
        }
        while let Some(event) = conn.poll_event() {
            let _ = match event {
                Event::Request(_) => conn.accept(Accept::new()),
                Event::Text(text) => conn.send_text(text.as_str()),
                Event::Binary(data) => conn.send_binary(&data),
                _ => Ok(()),
            };
        }
        while let Some(bytes) = conn.poll_transmit() {
            sock.write_all(&bytes)?;
        }
    }
    linger_close(sock)
}

/// Closes our side, then reads until the peer closes too (for at most a
/// second), so our last frames are not lost to a TCP reset.
fn linger_close(mut sock: TcpStream) -> std::io::Result<()> {
    sock.shutdown(Shutdown::Write)?;
    sock.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut buf = [0u8; 4096];
    while matches!(sock.read(&mut buf), Ok(n) if n > 0) {}
    Ok(())
}
