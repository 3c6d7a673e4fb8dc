//! A fastwebsockets echo server, a peer for `scripts/echo_load.py`: the
//! upgrade through hyper and `fastwebsockets::upgrade`, then a
//! `FragmentCollector` that echoes every data message, as fastwebsockets'
//! documentation shows; one task per connection on a current-thread runtime.
//!
//!     cargo run --release --example fastwebsockets_echo [ADDR]

use fastwebsockets::{FragmentCollector, OpCode, WebSocketError, upgrade};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use tokio::net::TcpListener;

async fn echo(fut: upgrade::UpgradeFut) -> Result<(), WebSocketError> {
    let mut ws = FragmentCollector::new(fut.await?);
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
            OpCode::Close => return Ok(()),
            _ => {}
        }
    }
}

async fn on_request(mut req: Request<Incoming>) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let (response, fut) = upgrade::upgrade(&mut req)?;
    tokio::spawn(async move {
        let _ = echo(fut).await;
    });
    Ok(response)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9005".into());
    let listener = TcpListener::bind(&addr).await?;
    println!(
        "fastwebsockets echo server on ws://{}/",
        listener.local_addr()?
    );
    loop {
        let (sock, _) = listener.accept().await?;
        sock.set_nodelay(true)?;
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(sock);
            let _ = http1::Builder::new()
                .serve_connection(io, service_fn(on_request))
                .with_upgrades()
                .await;
        });
    }
}
