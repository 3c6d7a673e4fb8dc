//! A hyper 1 server that serves a page at `/` and upgrades `/ws` to an
//! echoing WebSocket: hyper owns the HTTP/1.1 connection, `check_request`
//! runs the RFC 6455 §4.2.1 checks over the headers hyper parsed, and the
//! upgraded transport becomes a `WebSocketStream` that starts OPEN.
//!
//!     cargo run -p rfc6455-tokio --example hyper_upgrade -- [127.0.0.1:9005]

use std::convert::Infallible;

use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONNECTION, SEC_WEBSOCKET_ACCEPT, UPGRADE};
use hyper::{Request, Response, StatusCode, Version};
use hyper_util::rt::TokioIo;
use rfc6455_tokio::{Config, Connection, WebSocketStream, rfc6455};

async fn handle(mut req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let reply = |status: u16, body: String| {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        Ok(response)
    };
    match req.uri().path() {
        "/" => return reply(200, "<p>WebSocket echo at /ws</p>\n".into()),
        "/ws" => {}
        _ => return reply(404, "not found\n".into()),
    }
    // "The method of the request MUST be GET, and the HTTP version MUST be
    // at least 1.1" (RFC 6455 §4.1): the version is ours to check here.
    if req.version() < Version::HTTP_11 {
        return reply(400, "HTTP/1.1 or later is required\n".into());
    }
    let headers = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()));
    let accept = match rfc6455::check_request(req.method().as_str(), headers) {
        Ok(accept) => accept,
        Err(e) => return reply(e.http_status(), format!("{e}\n")),
    };
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let conn = Connection::open_server(Config::default());
        let mut ws = WebSocketStream::from_connection(TokioIo::new(upgraded), conn);
        while let Some(msg) = ws.next().await {
            if let Ok(msg) = msg
                && msg.is_data()
                && ws.send(msg).await.is_err()
            {
                break;
            }
        }
    });
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = response.headers_mut();
    h.insert(UPGRADE, "websocket".parse().unwrap());
    h.insert(CONNECTION, "Upgrade".parse().unwrap());
    h.insert(SEC_WEBSOCKET_ACCEPT, accept.as_slice().try_into().unwrap());
    Ok(response)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:9005".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "hyper server on http://{}/ (WebSocket at /ws)",
        listener.local_addr()?
    );
    loop {
        let (tcp, _) = listener.accept().await?;
        tokio::spawn(async move {
            let service = hyper::service::service_fn(handle);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades()
                .await;
        });
    }
}
