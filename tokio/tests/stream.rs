//! `WebSocketStream` over in-memory pipes (`tokio::io::duplex`) and real
//! loopback TCP: handshakes both ways, echoes, pings, the closing
//! handshake, refusals, a peer's violation, EOF, and split halves.

use futures_util::{SinkExt, StreamExt};
use rfc6455_tokio::{
    Accept, ClientRequest, CloseCode, Config, Error, Initiator, Message, PeerError, Reject, accept,
    accept_with, connect,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, duplex};

fn request() -> ClientRequest {
    ClientRequest::new("test", "/chat").protocols(["chat", "superchat"])
}

async fn echo(io: DuplexStream) -> Result<(), Error> {
    let mut ws = accept(io, Config::default()).await?;
    while let Some(msg) = ws.next().await {
        match msg {
            Ok(msg) if msg.is_data() => ws.send(msg).await?,
            _ => {}
        }
    }
    Ok(())
}

#[tokio::test]
async fn echo_roundtrip_and_clean_close() {
    let (a, b) = duplex(4096); // small: writes and reads interleave
    let server = tokio::spawn(echo(b));
    let (mut ws, open) = connect(a, request(), Config::default()).await.unwrap();
    assert_eq!(open.protocol, None);
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    ws.send(Message::text("héllo")).await.unwrap();
    ws.send(Message::binary(big.clone())).await.unwrap();
    ws.send(Message::Ping("p".into())).await.unwrap();
    // The pong may overtake the echo of the binary message (it is owed as
    // soon as the ping is read); the echoes keep their order.
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(ws.next().await.unwrap().unwrap());
    }
    let pong = got.iter().position(|m| *m == Message::Pong("p".into()));
    got.remove(pong.expect("the pong"));
    assert!(got == [Message::text("héllo"), Message::binary(big)]);
    ws.close(CloseCode::NORMAL, "done").await.unwrap();
    let Some(Ok(Message::Close(close))) = ws.next().await else {
        panic!()
    };
    assert_eq!(
        (
            close.code,
            close.reason.as_str(),
            close.initiator,
            close.clean
        ),
        (CloseCode::NORMAL, "done", Initiator::Local, true)
    );
    assert!(ws.next().await.is_none(), "the stream ends after Close");
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn subprotocol_chosen_by_the_server() {
    let (a, b) = duplex(64 << 10);
    let server = tokio::spawn(async move {
        let ws = accept_with(b, Config::default(), |req| {
            assert_eq!(req.path(), "/chat");
            Ok(Accept::new().protocol("superchat"))
        })
        .await
        .unwrap();
        ws.protocol().map(String::from)
    });
    let (ws, open) = connect(a, request(), Config::default()).await.unwrap();
    assert_eq!(open.protocol.as_deref(), Some("superchat"));
    assert_eq!(ws.protocol(), Some("superchat"));
    assert_eq!(server.await.unwrap().as_deref(), Some("superchat"));
}

#[tokio::test]
async fn a_refused_handshake_is_an_error_on_both_sides() {
    let (a, b) = duplex(64 << 10);
    let server = tokio::spawn(async move {
        accept_with(b, Config::default(), |_| Err(Reject::new(403).body("no")))
            .await
            .map(|_| ())
    });
    match connect(a, request(), Config::default()).await {
        Err(Error::Rejected(r)) => {
            assert_eq!(r.status(), 403);
            assert_eq!(&r.body()[..], b"no");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(server.await.unwrap(), Err(Error::Closed(_))));
}

#[tokio::test]
async fn a_bad_request_gets_its_status() {
    let (mut a, b) = duplex(64 << 10);
    let server = tokio::spawn(accept(b, Config::default()));
    a.write_all(b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    a.read_to_end(&mut response).await.unwrap();
    assert!(response.starts_with(b"HTTP/1.1 426 "));
    assert!(matches!(
        server.await.unwrap(),
        Err(Error::Peer(PeerError::Handshake(_)))
    ));
}

/// A raw client breaks the protocol after a message: the echo of the
/// message goes out before the 1002 close frame, the stream reports the
/// error, then the Close, then ends, and the transport is shut down.
#[tokio::test]
async fn a_violation_is_reported_then_closed() {
    let (mut a, b) = duplex(64 << 10);
    let server = tokio::spawn(async move {
        let mut ws = accept(b, Config::default()).await.unwrap();
        let mut seen = Vec::new();
        while let Some(msg) = ws.next().await {
            match msg {
                Ok(msg) if msg.is_data() => ws.send(msg).await.unwrap(),
                Ok(Message::Close(c)) => seen.push(format!("close {}", c.code.as_u16())),
                Ok(other) => seen.push(format!("{other:?}")),
                Err(e) => seen.push(format!("error {e}")),
            }
        }
        seen
    });
    a.write_all(b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .await
        .unwrap();
    // A masked "hi", then a frame with RSV1 set (no extension): 1002.
    a.write_all(&[0x81, 0x82, 0, 0, 0, 0, b'h', b'i', 0xC1, 0x80, 0, 0, 0, 0])
        .await
        .unwrap();
    let mut out = Vec::new();
    a.read_to_end(&mut out).await.unwrap();
    let frames = &out[out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
    assert_eq!(&frames[..4], &[0x81, 2, b'h', b'i']);
    assert_eq!(&frames[4..8], &[0x88, frames[5], 0x03, 0xEA]);
    let seen = server.await.unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].starts_with("error peer:"), "{seen:?}");
    assert_eq!(seen[1], "close 1002");
}

#[tokio::test]
async fn eof_ends_the_stream_with_1006() {
    let (a, b) = duplex(64 << 10);
    let server = tokio::spawn(async move {
        let mut ws = accept(b, Config::default()).await.unwrap();
        let mut last = None;
        while let Some(msg) = ws.next().await {
            last = Some(msg.unwrap());
        }
        last
    });
    let (ws, _) = connect(a, request(), Config::default()).await.unwrap();
    drop(ws);
    let Some(Message::Close(close)) = server.await.unwrap() else {
        panic!()
    };
    assert_eq!((close.code.as_u16(), close.clean), (1006, false));
}

/// Split halves over loopback TCP: one task forwards what the other reads.
#[tokio::test]
async fn split_halves_over_tcp() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let ws = accept(tcp, Config::default()).await.unwrap();
        let (tx, rx) = ws.split();
        rx.filter_map(|m| async move { m.ok().filter(Message::is_data).map(Ok) })
            .forward(tx)
            .await
    });
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (ws, _) = connect(tcp, request(), Config::default()).await.unwrap();
    let (mut tx, mut rx) = ws.split();
    for i in 0..100 {
        tx.send(Message::text(format!("message {i}")))
            .await
            .unwrap();
    }
    for i in 0..100 {
        let msg = rx.next().await.unwrap().unwrap();
        assert_eq!(msg, Message::text(format!("message {i}")));
    }
    tx.close().await.unwrap();
    let Some(Ok(Message::Close(close))) = rx.next().await else {
        panic!()
    };
    assert!(close.clean);
    assert!(rx.next().await.is_none());
    tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

/// Keepalive on tokio's clock: a peer that completed the handshake and
/// then went silent (it never answers the ping) is dropped after
/// `ping_interval + pong_timeout`, with an error and a 1006 Close.
#[tokio::test(start_paused = true)]
async fn a_silent_peer_is_dropped_by_keepalive() {
    use std::time::Duration;
    let (mut a, b) = duplex(64 << 10);
    let config = Config::default()
        .ping_interval(Some(Duration::from_secs(5)))
        .pong_timeout(Some(Duration::from_secs(3)));
    let server = tokio::spawn(async move {
        let start = tokio::time::Instant::now();
        let mut ws = accept(b, config).await.unwrap();
        let mut seen = Vec::new();
        while let Some(msg) = ws.next().await {
            seen.push(match msg {
                Ok(Message::Close(c)) => format!("close {} {}", c.code.as_u16(), c.clean),
                Ok(other) => format!("{other:?}"),
                Err(e) => format!("error {e}"),
            });
        }
        (seen, start.elapsed())
    });
    a.write_all(b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .await
        .unwrap();
    let (seen, elapsed) = server.await.unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].starts_with("error peer:"), "{seen:?}");
    assert_eq!(seen[1], "close 1006 false");
    assert!(
        elapsed >= Duration::from_secs(8) && elapsed < Duration::from_secs(9),
        "{elapsed:?}"
    );
    // The silent peer got the 101 and one ping, and no close frame.
    let mut out = Vec::new();
    a.read_to_end(&mut out).await.unwrap();
    let frames = &out[out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
    assert_eq!(frames, [0x89, 0]);
}

/// A transport that records every write call, and supports vectored writes.
struct Recorder {
    calls: std::sync::Arc<std::sync::Mutex<Vec<usize>>>,
}

impl tokio::io::AsyncRead for Recorder {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        _: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Pending
    }
}

impl tokio::io::AsyncWrite for Recorder {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.calls.lock().unwrap().push(buf.len());
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let n = bufs.iter().map(|b| b.len()).sum();
        self.calls.lock().unwrap().push(n);
        std::task::Poll::Ready(Ok(n))
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// A large payload sent from a shared buffer comes out of the connection
/// as its own buffer, after its frame header: both go to the transport in
/// one vectored write, never as a small header write that Nagle's
/// algorithm would hold back until the peer's delayed ACK.
#[tokio::test]
async fn a_header_and_its_payload_go_out_in_one_write() {
    let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let io = Recorder {
        calls: calls.clone(),
    };
    let conn = rfc6455_tokio::Connection::open_server(Config::default());
    let mut ws = rfc6455_tokio::WebSocketStream::from_connection(io, conn);
    ws.send(Message::binary(vec![7u8; 5000])).await.unwrap();
    ws.send(Message::text("small")).await.unwrap();
    assert_eq!(*calls.lock().unwrap(), [4 + 5000, 2 + 5]);
}
