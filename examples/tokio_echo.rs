//! The echo server again, on tokio: the sans-IO `Connection` does not care
//! who reads and writes its bytes, so the blocking loop of `echo_server.rs`
//! becomes an async one by adding `.await`.
//!
//!     cargo run --example tokio_echo [127.0.0.1:9003]

use rfc6455::{Accept, Config, Connection, Event};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9003".into());
    let listener = TcpListener::bind(&addr).await?;
    println!("echo server on ws://{}/", listener.local_addr()?);
    loop {
        let (sock, _) = listener.accept().await?;
        tokio::spawn(serve(sock));
    }
}

async fn serve(mut sock: TcpStream) -> std::io::Result<()> {
    sock.set_nodelay(true)?;
    let mut conn = Connection::server(Config::default());
    let mut buf = vec![0u8; 64 * 1024];
    while !conn.should_close_transport() {
        let n = sock.read(&mut buf).await?;
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
            sock.write_all(&bytes).await?;
        }
    }
    // Close our side, then read until the peer closes too, so our last
    // frames are not lost to a TCP reset. (A public server would bound this
    // wait with `tokio::time::timeout`.)
    sock.shutdown().await?;
    while sock.read(&mut buf).await? > 0 {}
    Ok(())
}
