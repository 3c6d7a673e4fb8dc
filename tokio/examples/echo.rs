//! Echo server: `cargo run -p rfc6455-tokio --example echo -- [127.0.0.1:9001]`.
use futures_util::{SinkExt, StreamExt};
use rfc6455_tokio::{Config, Error, accept};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:9001".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("echo server on ws://{}/", listener.local_addr()?);
    let config = Config::default().max_fragments(1 << 20); // Autobahn 9.3 sends 65 536
    loop {
        let (tcp, config) = (listener.accept().await?.0, config.clone());
        tokio::spawn(async move {
            let mut ws = accept(tcp, config).await?;
            while let Some(msg) = ws.next().await {
                match msg {
                    Ok(msg) if msg.is_data() => ws.send(msg).await?,
                    _ => {} // pings are answered; a peer's error is followed by its Close
                }
            }
            Ok::<_, Error>(())
        });
    }
}
