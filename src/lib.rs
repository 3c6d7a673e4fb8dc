//! # rfc6455
//!
//! A WebSocket ([RFC 6455]) connection as a pure state machine, for clients
//! and servers. It reads no socket, no clock and no random number generator:
//! the caller hands it the bytes it read and writes out the bytes it gets
//! back; entropy is a trait the caller implements. So it runs the same in a
//! blocking loop, inside tokio, on a microcontroller, in a game engine, or
//! behind a C ABI. The core is `no_std` + `alloc` and `forbid(unsafe_code)`.
//!
//! [RFC 6455]: https://www.rfc-editor.org/rfc/rfc6455
//!
//! ## A server, driven over a `TcpStream`
//!
//! ```no_run
//! use std::io::{ErrorKind, Read, Write};
//! use std::time::Duration;
//! use rfc6455::{Accept, Clock, Config, Connection, Event};
//!
//! let listener = std::net::TcpListener::bind("127.0.0.1:9001")?;
//! let (mut sock, _) = listener.accept()?;
//! let clock = Clock::new();
//! let mut conn = Connection::server(Config::default());
//! conn.handle_timeout(clock.now());
//! let mut buf = [0u8; 16 * 1024];
//! while !conn.should_close_transport() {
//!     // Wait for bytes, but not past the connection's next deadline.
//!     let wait = conn.poll_timeout().map(|t| clock.until(t).max(Duration::from_millis(1)));
//!     sock.set_read_timeout(wait)?;
//!     let read = match sock.read(&mut buf) {
//!         Ok(n) => Some(n),
//!         Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => None,
//!         Err(e) => return Err(e.into()),
//!     };
//!     conn.handle_timeout(clock.now());
//!     match read {
//!         Some(0) => conn.handle_eof(),
//!         Some(n) => conn.handle_input(&buf[..n]),
//!         None => {} // the deadline came first
//!     }
//!     while let Some(event) = conn.poll_event() {
//!         match event {
//!             Event::Request(_) => conn.accept(Accept::new())?,
//!             Event::Text(text) => conn.send_text(text.as_str())?,
//!             Event::Binary(data) => conn.send_binary(&data)?,
//!             Event::Close(close) => println!("closed: {close:?}"),
//!             _ => {}
//!         }
//!     }
//!     while let Some(bytes) = conn.poll_transmit() {
//!         sock.write_all(&bytes)?;
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## A client
//!
//! ```no_run
//! use std::io::{Read, Write};
//! use rfc6455::{ClientRequest, CloseCode, Config, Connection, Event, OsEntropy};
//!
//! let mut sock = std::net::TcpStream::connect("127.0.0.1:9001")?;
//! // The request is checked (no header injection) and queued at once.
//! let request = ClientRequest::from_url("ws://127.0.0.1:9001/chat")?.protocol("chat");
//! let mut conn = Connection::client(request, Config::default(), OsEntropy::default())?;
//! let mut buf = [0u8; 16 * 1024];
//! loop {
//!     while let Some(event) = conn.poll_event() {
//!         match event {
//!             Event::Open(open) => {
//!                 println!("open, protocol {:?}", open.protocol);
//!                 conn.send_text("hello")?;
//!             }
//!             Event::Text(text) => {
//!                 println!("got {}", text.as_str());
//!                 conn.close(CloseCode::NORMAL, "done")?;
//!             }
//!             Event::Rejected(response) => println!("refused: {}", response.status()),
//!             Event::Error(e) => println!("the server broke the protocol: {e}"),
//!             Event::Close(close) => println!("closed: {close:?}"),
//!             _ => {}
//!         }
//!     }
//!     while let Some(bytes) = conn.poll_transmit() {
//!         sock.write_all(&bytes)?;
//!     }
//!     // A client waits for the server to close TCP (RFC 6455 §7.1.1).
//!     if conn.should_close_transport() {
//!         break;
//!     }
//!     let n = sock.read(&mut buf)?;
//!     if n == 0 { conn.handle_eof() } else { conn.handle_input(&buf[..n]) }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## How to drive a connection
//!
//! [`Connection`]'s methods come in four groups: getters, `handle_*` for
//! input from the transport and the clock, commands from the application,
//! and `#[must_use] poll_*` for what the caller must do next. After every
//! input or command, drain [`Connection::poll_event`], then write everything
//! [`Connection::poll_transmit`] returns, then close the transport when
//! [`Connection::should_close_transport`] says so; then wait for input, but
//! not past [`Connection::poll_timeout`]. Take events before writing
//! output: replies to events, and a close frame held back behind them, are
//! queued while events are taken.
//!
//! Every connection ends with exactly one [`Event::Close`], which says who
//! started the closing ([`Initiator`]) and whether it was clean.
//!
//! ## States
//!
//! [`Connection::state`] changes while input is handled or a command runs,
//! never when events are taken, with one exception: our close frame that is
//! held back behind earlier events (see above).
//!
//! | from | to | when |
//! |---|---|---|
//! | CONNECTING | OPEN | server: `accept`; client: a valid 101 arrives |
//! | CONNECTING | CLOSED | a bad request or response (`Error` + `Close` 1006), `reject`, a non-101 response (`Rejected` + `Close` 1006), EOF, `abort` |
//! | OPEN | CLOSING | we `close`; or the peer's close frame (or a violation) arrives behind events not yet taken: our close frame waits for them |
//! | OPEN | CLOSED | the peer's close frame arrives and our answer is queued at once (`Close`, clean); a violation (`Error` + `Close` with its code, after our close frame); EOF (`Close` 1006); `abort` |
//! | CLOSING | CLOSED | after our `close`: the peer's close frame (`Close`, clean), a violation, EOF or `abort`; after the peer's: the events before our held-back close frame are taken |
//!
//! In CLOSING after our `close`, frames are still read, pings are still
//! answered and `pong` is allowed; data sends are refused (§5.5.1). In
//! CLOSING because our close frame is held back, replies to the events
//! before it may still be sent. CLOSED means the `Close` event is queued;
//! the transport may still have output to write
//! ([`Connection::should_close_transport`]).
//!
//! ## Errors
//!
//! Errors are sorted by who caused them: the peer's violations arrive as
//! [`Event::Error`] ([`ProtocolError`] with its close code, or
//! [`HandshakeError`] with its HTTP status) and fail the connection; the
//! application's misuse is refused at once with a [`UsageError`] and
//! changes nothing.
//!
//! ## Time
//!
//! Like quinn-proto, the connection keeps its own timers but reads no
//! clock: time is an argument. The caller hands in an [`Instant`]
//! (nanoseconds since an epoch of its choosing; with `std`, `Clock`
//! converts from `std::time::Instant`) with
//! [`Connection::handle_timeout`] whenever it wakes up, before handing in
//! what it read, and sleeps no later than [`Connection::poll_timeout`].
//! Input and commands happen at the latest instant handed in, so events and
//! output depend only on the input and the instants, never on when the
//! caller asks. No timer fires unless time is handed in; an instant handed
//! in late runs each due timer once. Each timer is a [`Config`] field, and
//! `None` switches it off:
//!
//! - `handshake_timeout` (10 s), from the connection's creation to the end
//!   of the handshake: a server still reading the request answers 408 and
//!   closes; a client still waiting for the response fails with 1006. Both
//!   report [`HandshakeError::Timeout`]. A server's timer stops once the
//!   request is complete (the application decides in its own time).
//! - `ping_interval` (30 s): after this long with no bytes received while
//!   OPEN, a ping is sent (no event).
//! - `pong_timeout` (30 s): if no bytes at all arrive this long after that
//!   ping (any frame counts, not only the pong, which may be queued behind
//!   a long message), the connection fails with
//!   [`PeerError::Unresponsive`], code 1006, `clean: false`; no close
//!   frame is sent and queued output is dropped: the transport is to be
//!   closed at once.
//! - `close_timeout` (10 s): after our close frame, if the peer's does not
//!   come, the `Close` event is 1006, not clean, and
//!   `should_close_transport` becomes true; a client that completed the
//!   closing handshake waits this long for the server's TCP close (§7.1.1).
//! - `message_timeout` (off): a data message still arriving this long after
//!   its first frame header fails with 1008
//!   ([`ProtocolError::MessageTimeout`]).
//!
//! `poll_timeout` changes when the state changes (open, closing, closed:
//! every timer stops at `Close`, except a client's wait for the TCP
//! close), when bytes arrive (keepalive restarts), when a data message
//! starts or ends, and when a timer fires. It is never earlier than the
//! latest instant handed in. Before the first instant it is
//! [`Instant::ZERO`] if a timer is running: timers started before the
//! clock is known run from the first instant handed in.
//!
//! ## Features
//!
//! - `std` (default): `OsEntropy`, backed by the operating system's
//!   generator, `Clock`, from `std::time::Instant` to [`Instant`], and
//!   `std::error::Error` impls. Without it the crate is `no_std` + `alloc`.
//! - `deflate` (default): permessage-deflate (RFC 7692): `DeflateConfig`
//!   and the negotiation rules, `Compressor` and the bounded
//!   `Decompressor`, on the zlib-rs backend; `no_std` too
//!   (`--no-default-features --features deflate`).
//! - `simd` (default, needs `std`): unmasking with AVX2 or AVX-512 when the
//!   CPU has them, detected at run time. Its one module is the only
//!   `unsafe` in the crate; without the feature the crate is
//!   `forbid(unsafe_code)`.

#![no_std]
// The `simd` feature's one module calls CPU-specific kernels; everything
// else stays free of `unsafe` (and with the feature off, all of it).
#![cfg_attr(not(feature = "simd"), forbid(unsafe_code))]
#![cfg_attr(feature = "simd", deny(unsafe_code))]
#![warn(
    missing_docs,
    clippy::std_instead_of_core,
    clippy::alloc_instead_of_core
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod close;
mod config;
mod connection;
#[cfg(feature = "deflate")]
mod deflate;
mod error;
mod event;
mod frame;
mod handshake;
mod mask;
#[cfg(feature = "simd")]
mod simd;
mod time;
mod utf8;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use close::{CloseCode, MAX_REASON_LEN};
#[cfg(feature = "std")]
pub use config::OsEntropy;
pub use config::{Config, Entropy};
pub use connection::{Connection, MAX_LEND, Role, State};
#[cfg(feature = "deflate")]
pub use deflate::{
    Compressor, DEFLATE_TRAILER, Decompressor, DeflateBuf, DeflateConfig, DeflateDirection,
    DeflateOffer, DeflateParams, ExtensionError, InflateError, InflateStatus, Inflated,
    PERMESSAGE_DEFLATE, deflate_offers, parse_extension_header,
};
pub use error::{HandshakeError, PeerError, ProtocolError, UsageError};
pub use event::{Close, Event, EventRef, Fragment, Initiator, MessageKind, Open, Utf8Bytes};
pub use frame::{FrameHeader, HeaderError, MAX_HEADER_LEN, Opcode, RSV1, RSV2, RSV3, Status};
pub use handshake::{
    Accept, ClientRequest, Extension, Headers, Reject, Request, Response, accept_key, check_request,
};
pub use mask::{apply_mask, apply_mask_naive};
#[cfg(feature = "std")]
pub use time::Clock;
pub use time::Instant;
pub use utf8::{Utf8Error, Utf8Validator};
