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
//! use std::io::{Read, Write};
//! use rfc6455::{Accept, Config, Connection, Event};
//!
//! let listener = std::net::TcpListener::bind("127.0.0.1:9001")?;
//! let (mut sock, _) = listener.accept()?;
//! let mut conn = Connection::server(Config::default());
//! let mut buf = [0u8; 16 * 1024];
//! while !conn.should_close_transport() {
//!     let n = sock.read(&mut buf)?;
//!     if n == 0 { conn.handle_eof() } else { conn.handle_input(&buf[..n]) }
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
//!     if n == 0 { break }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## How to drive a connection
//!
//! [`Connection`]'s methods come in four groups: getters, `handle_*` for
//! input from the transport, commands from the application, and
//! `#[must_use] poll_*` for what the caller must do next. After every input
//! or command, drain [`Connection::poll_event`], then write everything
//! [`Connection::poll_transmit`] returns, then close the transport when
//! [`Connection::should_close_transport`] says so.
//!
//! States: CONNECTING → OPEN → CLOSING → CLOSED ([`State`]). Every
//! connection ends with exactly one [`Event::Close`], which says who
//! started the closing ([`Initiator`]) and whether it was clean.
//!
//! Errors are sorted by who caused them: the peer's violations arrive as
//! [`Event::Error`] ([`ProtocolError`] with its close code, or
//! [`HandshakeError`] with its HTTP status) and fail the connection; the
//! application's misuse is refused at once with a [`UsageError`].
//!
//! ## Features
//!
//! - `std` (default): [`OsEntropy`], backed by the operating system's
//!   generator. Without it the crate is `no_std` + `alloc`.

#![no_std]
#![forbid(unsafe_code)]
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
mod error;
mod event;
mod frame;
mod handshake;
mod mask;
mod time;
mod utf8;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use close::{CloseCode, MAX_REASON_LEN};
#[cfg(feature = "std")]
pub use config::OsEntropy;
pub use config::{Config, Entropy};
pub use connection::{Connection, Role, State};
pub use error::{HandshakeError, PeerError, ProtocolError, UsageError};
pub use event::{Close, Event, Fragment, Initiator, MessageKind, Open, Utf8Bytes};
pub use frame::{FrameHeader, HeaderError, MAX_HEADER_LEN, Opcode, RSV1, RSV2, RSV3, Status};
pub use handshake::{
    Accept, ClientRequest, Extension, Headers, Reject, Request, Response, accept_key,
};
pub use mask::{apply_mask, apply_mask_naive};
#[cfg(feature = "std")]
pub use time::Clock;
pub use time::Instant;
pub use utf8::{Utf8Error, Utf8Validator};
