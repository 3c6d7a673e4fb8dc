//! # rfc6455-tokio
//!
//! WebSocket streams for tokio, on top of the [`rfc6455`] sans-IO state
//! machine, as quinn is to quinn-proto. A [`WebSocketStream`] is a
//! [`Stream`] of received [`Message`]s and a [`Sink`] of messages to send,
//! over any `AsyncRead + AsyncWrite` transport (a `TcpStream`, a TLS
//! stream, a hyper upgrade). The protocol itself (framing, masking, UTF-8,
//! limits, the closing handshake, pongs) is the core crate's.
//!
//! ```no_run
//! use futures_util::{SinkExt, StreamExt};
//! use rfc6455_tokio::{Config, accept};
//!
//! # async fn run() -> Result<(), rfc6455_tokio::Error> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
//! let (tcp, _) = listener.accept().await?;
//! let mut ws = accept(tcp, Config::default()).await?;
//! while let Some(msg) = ws.next().await {
//!     let msg = msg?;
//!     if msg.is_data() {
//!         ws.send(msg).await?; // echo
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Reads go straight into the connection's input buffer: the stream keeps
//! no read buffer of its own, and when a read would block it lets the
//! connection free its buffers (`Connection::shrink_to_fit`), so an idle
//! connection holds well under 1 KiB. Output is written as the connection hands it
//! out; a payload sent from a shared buffer on a server is not copied.
//!
//! The connection's timers run on `tokio::time` (the runtime needs its time
//! driver, as `#[tokio::main]` and `Runtime::new` provide): the opening
//! handshake timeout, keepalive pings and dead-peer detection, the close
//! timeout, as `Config` sets them (`Config::ping_interval`, ...). A dead
//! peer ends the stream with an error and a `Close` (1006).
//!
//! [`Stream`]: futures_core::Stream
//! [`Sink`]: futures_sink::Sink

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::io::IoSlice;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

pub use rfc6455;
pub use rfc6455::{
    Accept, ClientRequest, Clock, Close, CloseCode, Config, Connection, Event, Fragment, Initiator,
    Open, PeerError, Reject, Request, Response, State, UsageError, Utf8Bytes,
};

/// How much is lent to one read. The connection keeps what the read did not
/// fill only until the read returns.
const READ_SIZE: usize = 16 * 1024;

/// The most buffers one vectored write takes.
const MAX_IOV: usize = 16;

/// Above this many queued bytes, `poll_ready` waits for the transport.
const WRITE_HIGH_WATER: usize = 128 * 1024;

/// A message received from, or to send to, the peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// In streaming mode (`Config::streaming`), a piece of a data message.
    /// Received only.
    Fragment(Fragment),
    /// A ping. A received one has already been answered (unless
    /// `Config::auto_pong` is off).
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// Received: how the connection ended, always the last message. Sent:
    /// starts the closing handshake with its code and reason ([`Message::close`]).
    Close(Close),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<String>) -> Self {
        Message::Text(Utf8Bytes::from(text.into()))
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Message::Binary(data.into())
    }

    /// A close message to send, with a code and a reason of at most 123 bytes.
    pub fn close(code: CloseCode, reason: impl Into<String>) -> Self {
        Message::Close(Close {
            code,
            reason: reason.into(),
            initiator: Initiator::Local,
            clean: true,
        })
    }

    /// Whether this is a text or binary message (or a piece of one).
    pub fn is_data(&self) -> bool {
        matches!(
            self,
            Message::Text(_) | Message::Binary(_) | Message::Fragment(_)
        )
    }
}

/// What went wrong, sorted by who caused it.
#[derive(Debug)]
pub enum Error {
    /// The transport failed.
    Io(io::Error),
    /// The peer broke the protocol; the connection has been failed, and a
    /// [`Message::Close`] follows on the stream.
    Peer(PeerError),
    /// The application asked for something the connection refuses.
    Usage(UsageError),
    /// Client: the server answered the handshake with another status.
    Rejected(Response),
    /// The connection closed before the handshake completed.
    Closed(Close),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "transport: {e}"),
            Error::Peer(e) => write!(f, "peer: {e}"),
            Error::Usage(e) => write!(f, "usage: {e}"),
            Error::Rejected(r) => write!(f, "handshake rejected with status {}", r.status()),
            Error::Closed(c) => write!(f, "closed during the handshake: {}", c.code.as_u16()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Peer(e) => Some(e),
            Error::Usage(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<UsageError> for Error {
    fn from(e: UsageError) -> Self {
        Error::Usage(e)
    }
}

/// A WebSocket connection over an async transport: a [`Stream`] of received
/// [`Message`]s and a [`Sink`] of messages to send. Split it into halves
/// with `futures_util::StreamExt::split`.
///
/// [`Stream`]: futures_core::Stream
/// [`Sink`]: futures_sink::Sink
pub struct WebSocketStream<S> {
    io: S,
    conn: Connection,
    /// Output taken from the connection and not yet fully written.
    writing: VecDeque<Bytes>,
    /// The transport's write half is shut down.
    shut_down: bool,
    /// The `Close` message has been yielded: the stream is over.
    finished: bool,
    /// Turns `std::time::Instant` into the connection's instants.
    clock: Clock,
    /// Armed at the connection's next deadline while a read is pending.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<S> fmt::Debug for WebSocketStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketStream")
            .field("conn", &self.conn)
            .finish_non_exhaustive()
    }
}

/// Server: reads the opening handshake from `io` and accepts it, with no
/// subprotocol. Plain HTTP requests and bad handshakes are answered (404,
/// 400, 426, ...) and end in an error.
pub async fn accept<S>(io: S, config: Config) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with(io, config, |_| Ok(Accept::new())).await
}

/// Server: reads the opening handshake and lets `decide` accept it (with a
/// subprotocol, extra headers) or reject it (403, 404, ...): what Node
/// `ws`'s `verifyClient` and `handleProtocols` do.
pub async fn accept_with<S, F>(
    io: S,
    config: Config,
    decide: F,
) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    let mut ws = WebSocketStream::from_connection(io, Connection::server(config));
    let mut decide = Some(decide);
    loop {
        match ws.next_event().await? {
            Event::Request(req) => {
                let verdict = match decide.take() {
                    Some(decide) if req.is_websocket() => decide(&req),
                    _ => Err(Reject::new(404)),
                };
                match verdict {
                    Ok(accept) => ws.conn.accept(accept)?,
                    Err(reject) => ws.conn.reject(reject)?,
                }
            }
            Event::Open(_) => {
                // The 101 goes out now, whatever the caller does next.
                poll_fn(|cx| ws.poll_write_out(cx)).await?;
                return Ok(ws);
            }
            other => return Err(ws.handshake_failed(other).await),
        }
    }
}

/// Client: sends the opening handshake for `request` over `io` (already
/// connected) and waits for the server's answer. Masks come from the
/// operating system's generator.
pub async fn connect<S>(
    io: S,
    request: ClientRequest,
    config: Config,
) -> Result<(WebSocketStream<S>, Open), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let conn = Connection::client(request, config, rfc6455::OsEntropy::default())?;
    let mut ws = WebSocketStream::from_connection(io, conn);
    match ws.next_event().await? {
        Event::Open(open) => Ok((ws, open)),
        other => Err(ws.handshake_failed(other).await),
    }
}

impl<S> WebSocketStream<S> {
    /// Wraps a connection that runs over `io`: one that starts OPEN
    /// (`Connection::open_server`, after an upgrade done elsewhere), or
    /// one still in its handshake.
    pub fn from_connection(io: S, mut conn: Connection) -> Self {
        let clock = Clock::new();
        conn.handle_timeout(clock.instant(tokio::time::Instant::now().into_std()));
        WebSocketStream {
            io,
            conn,
            writing: VecDeque::new(),
            shut_down: false,
            finished: false,
            clock,
            sleep: None,
        }
    }

    /// The connection, for its getters (state, protocol, buffered amount).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The connection, for commands the `Sink` does not cover
    /// (`send_fragment`, `abort`). Output they queue goes out on the next
    /// flush.
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The subprotocol agreed on in the handshake.
    pub fn protocol(&self) -> Option<&str> {
        self.conn.protocol()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    /// Writes queued output until none is left, then flushes the transport.
    ///
    /// The buffers the connection hands out (a frame header, then a payload
    /// sent without a copy, ...) go out in one vectored write where the
    /// transport supports it: written one by one, a header and its payload
    /// would be two small writes, and Nagle's algorithm would hold the
    /// second until the peer's delayed ACK (40 ms on Linux).
    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            while self.writing.len() < MAX_IOV {
                match self.conn.poll_transmit() {
                    Some(b) => self.writing.push_back(b),
                    None => break,
                }
            }
            if self.writing.is_empty() {
                return Pin::new(&mut self.io).poll_flush(cx);
            }
            let io = Pin::new(&mut self.io);
            let n = if io.is_write_vectored() && self.writing.len() > 1 {
                let mut iov = [IoSlice::new(&[]); MAX_IOV];
                for (slot, buf) in iov.iter_mut().zip(&self.writing) {
                    *slot = IoSlice::new(buf);
                }
                ready!(io.poll_write_vectored(cx, &iov[..self.writing.len()]))?
            } else {
                ready!(io.poll_write(cx, &self.writing[0]))?
            };
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            let mut n = n;
            while n > 0 {
                let front = &mut self.writing[0];
                if n < front.len() {
                    bytes::Buf::advance(front, n);
                    break;
                }
                n -= front.len();
                self.writing.pop_front();
            }
        }
    }

    /// Reads once, straight into the connection's input buffer.
    fn poll_read_in(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let lent = self.conn.input_buffer(READ_SIZE);
        let mut buf = ReadBuf::new(lent);
        let polled = Pin::new(&mut self.io).poll_read(cx, &mut buf);
        let n = buf.filled().len();
        match polled {
            Poll::Ready(Ok(())) => {
                self.conn.commit_input(n);
                if n == 0 {
                    self.conn.handle_eof();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => {
                self.conn.commit_input(0);
                Poll::Ready(Err(e))
            }
            Poll::Pending => {
                self.conn.commit_input(0);
                // Nothing to read: an idle connection keeps no read buffer.
                self.conn.shrink_to_fit();
                Poll::Pending
            }
        }
    }

    /// The next event, reading and writing as needed; `None` once the
    /// transport is done with.
    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Event>>> {
        loop {
            if let Some(event) = self.conn.poll_event() {
                return Poll::Ready(Ok(Some(event)));
            }
            // Replies to the events just taken (pongs, our close frame) go
            // out before we wait for more input. A write that cannot finish
            // now does not stop reading: its waker is registered.
            if let Poll::Ready(Err(e)) = self.poll_write_out(cx) {
                return Poll::Ready(Err(e));
            }
            if self.conn.should_close_transport() {
                ready!(self.poll_write_out(cx))?;
                if !self.shut_down {
                    // Errors here change nothing: the connection is over.
                    let _ = ready!(Pin::new(&mut self.io).poll_shutdown(cx));
                    self.shut_down = true;
                }
                return Poll::Ready(Ok(None));
            }
            match self.poll_read_in(cx) {
                Poll::Ready(result) => {
                    result?;
                    self.conn.handle_timeout(self.now());
                }
                Poll::Pending => {
                    if !ready!(self.poll_deadline(cx)) {
                        return Poll::Pending;
                    }
                }
            }
        }
    }

    /// Now, on tokio's clock (which tests may pause), as a connection instant.
    fn now(&self) -> rfc6455::Instant {
        self.clock.instant(tokio::time::Instant::now().into_std())
    }

    /// Waits for the connection's next deadline; `Ready(true)` once it has
    /// come and the timers have run, `Ready(false)` if there is none.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        let Some(deadline) = self.conn.poll_timeout() else {
            self.sleep = None;
            return Poll::Ready(false);
        };
        let when = self
            .clock
            .to_std(deadline)
            .unwrap_or_else(std::time::Instant::now);
        let when = tokio::time::Instant::from_std(when);
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(when)));
        if sleep.deadline() != when {
            sleep.as_mut().reset(when);
        }
        ready!(sleep.as_mut().poll(cx));
        self.conn.handle_timeout(self.now());
        Poll::Ready(true)
    }

    async fn next_event(&mut self) -> Result<Event, Error> {
        match poll_fn(|cx| self.poll_event(cx)).await? {
            Some(event) => Ok(event),
            None => Err(Error::Io(io::ErrorKind::UnexpectedEof.into())),
        }
    }

    /// Turns the event that ended a handshake into its error, after the
    /// connection's answer (a 4xx on a server) has been written.
    async fn handshake_failed(&mut self, event: Event) -> Error {
        let mut error = match event {
            Event::Rejected(r) => Some(Error::Rejected(r)),
            Event::Error(e) => Some(Error::Peer(e)),
            Event::Close(c) => Some(Error::Closed(c)),
            _ => None,
        };
        while let Ok(event) = self.next_event().await {
            if let (None, Event::Close(c)) = (&error, &event) {
                error = Some(Error::Closed(c.clone()));
            }
        }
        error.unwrap_or(Error::Io(io::ErrorKind::UnexpectedEof.into()))
    }

    /// Starts the closing handshake and writes our close frame. The stream
    /// then yields what is still in flight and the final `Close`.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.conn.close(code, reason)?;
        poll_fn(|cx| self.poll_write_out(cx)).await?;
        Ok(())
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketStream<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            let event = match ready!(this.poll_event(cx)) {
                Ok(Some(event)) => event,
                Ok(None) => return Poll::Ready(None),
                Err(e) => {
                    if this.finished {
                        return Poll::Ready(None);
                    }
                    // The transport failed: the connection cannot go on.
                    this.conn.abort();
                    return Poll::Ready(Some(Err(Error::Io(e))));
                }
            };
            let message = match event {
                Event::Text(t) => Message::Text(t),
                Event::Binary(b) => Message::Binary(b),
                Event::Fragment(f) => Message::Fragment(f),
                Event::Ping(p) => Message::Ping(p),
                Event::Pong(p) => Message::Pong(p),
                Event::Error(e) => return Poll::Ready(Some(Err(Error::Peer(e)))),
                Event::Close(c) => {
                    this.finished = true;
                    Message::Close(c)
                }
                // Handshake events are handled by `accept` and `connect`.
                _ => continue,
            };
            return Poll::Ready(Some(Ok(message)));
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketStream<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        let taken: usize = this.writing.iter().map(Bytes::len).sum();
        if this.conn.buffered_amount() + taken > WRITE_HIGH_WATER {
            ready!(this.poll_write_out(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        let conn = &mut self.get_mut().conn;
        match message {
            Message::Text(t) => conn.send_text_bytes(t)?,
            Message::Binary(b) => conn.send_binary_bytes(b)?,
            Message::Ping(p) => conn.ping(&p)?,
            Message::Pong(p) => conn.pong(&p)?,
            Message::Close(c) => conn.close(c.code, &c.reason)?,
            Message::Fragment(f) => conn.send_fragment(f.kind, &f.data, f.last)?,
        }
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(ready!(self.get_mut().poll_write_out(cx)).map_err(Error::Io))
    }

    /// Starts the closing handshake with 1000 if nobody has, and writes
    /// everything queued. Read the stream to its end to see the peer's
    /// answer and let the transport close.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.conn.state() == State::Open {
            this.conn.close(CloseCode::NORMAL, "")?;
        }
        ready!(this.poll_write_out(cx))?;
        Poll::Ready(Ok(()))
    }
}
