//! A closed-loop load generator for echo servers: N connections, each
//! sending one binary message of SIZE bytes and waiting for its echo, over
//! and over, for a fixed time. Prints the messages echoed per second.
//! `scripts/echo_load.py` runs it against our `tokio_echo` and peer echo
//! servers and measures the servers' CPU time.
//!
//!     cargo run --release -p rfc6455-tokio --example echo_load -- \
//!         ws://127.0.0.1:9003/ --conns 100 --size 16 --seconds 5

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use rfc6455::{ClientRequest, Config};
use rfc6455_tokio::{Message, connect};
use tokio::net::TcpStream;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: echo_load URL [--conns N] [--size B] [--seconds S]")?;
    let (mut conns, mut size, mut seconds) = (100usize, 16usize, 5u64);
    while let Some(flag) = args.next() {
        let value: u64 = args.next().ok_or("flag without a value")?.parse()?;
        match flag.as_str() {
            "--conns" => conns = value as usize,
            "--size" => size = value as usize,
            "--seconds" => seconds = value,
            _ => return Err(format!("unknown flag {flag}").into()),
        }
    }
    let addr = url
        .strip_prefix("ws://")
        .and_then(|r| r.split('/').next())
        .ok_or("only ws:// URLs")?
        .to_string();
    let payload = Bytes::from(vec![0x5a; size]);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (url, addr, payload) = (url.clone(), addr.clone(), payload.clone());
        tasks.push(tokio::spawn(async move {
            let sock = TcpStream::connect(&addr).await?;
            sock.set_nodelay(true)?;
            let mut config = Config::default();
            config.max_message_size = 1 << 24;
            config.max_frame_size = 1 << 24;
            // No compression offer: the peer servers cannot negotiate it, so
            // every server does the same work (our server would accept an
            // offer, and compress and inflate every message).
            config.deflate = rfc6455::DeflateConfig::disabled();
            let (mut ws, _) = connect(sock, ClientRequest::from_url(&url)?, config).await?;
            let mut echoed = 0u64;
            while Instant::now() < deadline {
                ws.send(Message::Binary(payload.clone())).await?;
                match ws.next().await {
                    Some(Ok(Message::Binary(b))) if b.len() == payload.len() => echoed += 1,
                    other => return Err(format!("unexpected {other:?}").into()),
                }
            }
            let _ = ws.close(rfc6455::CloseCode::NORMAL, "").await;
            Ok::<u64, Box<dyn std::error::Error + Send + Sync>>(echoed)
        }));
    }
    let start = Instant::now();
    let mut total = 0u64;
    for t in tasks {
        total += t.await?.map_err(|e| e.to_string())?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{{\"conns\": {conns}, \"size\": {size}, \"seconds\": {elapsed:.3}, \"messages\": {total}, \"per_second\": {:.0}}}",
        total as f64 / elapsed
    );
    Ok(())
}
