//! A tokio-tungstenite echo server, the peer that `scripts/idle_conns.py`
//! compares `examples/tokio_echo` with: driven as its documentation shows
//! (`accept_async`, then the stream of messages), one task per connection.
//!
//!     cargo run --release --example tungstenite_echo [ADDR]

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9004".into());
    let listener = TcpListener::bind(&addr).await?;
    println!(
        "tokio-tungstenite echo server on ws://{}/",
        listener.local_addr()?
    );
    loop {
        let (sock, _) = listener.accept().await?;
        tokio::spawn(async move {
            sock.set_nodelay(true)?;
            let Ok(mut ws) = tokio_tungstenite::accept_async(sock).await else {
                return Ok::<_, std::io::Error>(());
            };
            while let Some(Ok(msg)) = ws.next().await {
                if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                    break;
                }
            }
            Ok(())
        });
    }
}
