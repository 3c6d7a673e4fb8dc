//! What a connection reports: events, and the owned values they carry.

use alloc::string::String;
use bytes::Bytes;
use core::fmt;

use crate::close::CloseCode;
use crate::error::PeerError;
use crate::handshake::{Request, Response};

/// Something that happened on a connection, taken with
/// [`crate::Connection::poll_event`]. Every value is owned, so events can be
/// kept, sent to other threads, or handed across a C ABI.
///
/// ```
/// use rfc6455::{Config, Connection, Event, MessageKind};
/// let mut conn = Connection::open_server(Config::default().streaming(true));
/// // A masked text message in two frames ("he", "llo"), then a ping.
/// conn.handle_input(&[0x01, 0x82, 0, 0, 0, 0, b'h', b'e']);
/// conn.handle_input(&[0x80, 0x83, 0, 0, 0, 0, b'l', b'l', b'o', 0x89, 0x80, 0, 0, 0, 0]);
/// let mut text = Vec::new();
/// while let Some(event) = conn.poll_event() {
///     match event {
///         Event::Fragment(f) => {
///             assert_eq!(f.kind, MessageKind::Text);
///             text.extend_from_slice(&f.data);
///             if f.last {
///                 assert_eq!(text, b"hello");
///             }
///         }
///         Event::Ping(payload) => assert!(payload.is_empty()), // answered already
///         other => panic!("{other:?}"),
///     }
/// }
/// assert_eq!(&conn.poll_transmit().unwrap()[..], &[0x8A, 0]); // the pong
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// Server: a client's opening handshake arrived. Answer it with
    /// `accept` or `reject`.
    Request(Request),
    /// The handshake is complete; the connection is OPEN.
    Open(Open),
    /// Client: the server answered with a status other than 101. A `Close`
    /// event follows.
    Rejected(Response),
    /// A complete text message.
    Text(Utf8Bytes),
    /// A complete binary message.
    Binary(Bytes),
    /// In streaming mode, a piece of a data message, delivered as it arrives.
    Fragment(Fragment),
    /// A ping arrived (a pong has been queued unless `auto_pong` is off).
    Ping(Bytes),
    /// A pong arrived.
    Pong(Bytes),
    /// The peer broke the protocol; the connection has been failed. A
    /// `Close` event follows.
    Error(PeerError),
    /// The connection is closed. Always the last event, and always exactly one.
    Close(Close),
}

/// An event from [`crate::Connection::poll_event_ref`]: a message's payload
/// lent from the connection's buffers, valid until the next call on the
/// connection; every other event as [`Event`] has it.
#[derive(Debug)]
#[non_exhaustive]
pub enum EventRef<'a> {
    /// A complete text message.
    Text(&'a str),
    /// A complete binary message.
    Binary(&'a [u8]),
    /// In streaming mode, a piece of a data message. A text piece is valid
    /// UTF-8 on its own.
    Fragment {
        /// The message's type.
        kind: MessageKind,
        /// The bytes.
        data: &'a [u8],
        /// Whether this is the message's first piece.
        first: bool,
        /// Whether this is the message's last piece.
        last: bool,
    },
    /// Any other event.
    Other(Event),
}

impl<'a> EventRef<'a> {
    pub(crate) fn from_payload(what: crate::connection::Delivery, data: &'a [u8]) -> Self {
        use crate::connection::Delivery;
        match what {
            // Checked as it arrived; the crate has no `unsafe` to skip the
            // check, so it runs again, at SIMD speed.
            Delivery::Message(MessageKind::Text) => {
                EventRef::Text(crate::utf8::as_str(data).unwrap_or_default())
            }
            Delivery::Message(MessageKind::Binary) => EventRef::Binary(data),
            Delivery::Piece { kind, first, last } => EventRef::Fragment {
                kind,
                data,
                first,
                last,
            },
        }
    }

    /// The event with its payload copied out, as `poll_event` would have
    /// returned it (without the copy).
    pub fn to_owned(&self) -> Event {
        match self {
            EventRef::Text(t) => Event::Text(Utf8Bytes(Bytes::copy_from_slice(t.as_bytes()))),
            EventRef::Binary(b) => Event::Binary(Bytes::copy_from_slice(b)),
            EventRef::Fragment {
                kind,
                data,
                first,
                last,
            } => Event::Fragment(Fragment {
                kind: *kind,
                data: Bytes::copy_from_slice(data),
                first: *first,
                last: *last,
            }),
            EventRef::Other(e) => e.clone(),
        }
    }
}

/// The outcome of the opening handshake.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Open {
    /// The subprotocol both sides agreed on.
    pub protocol: Option<String>,
    /// The extensions the server accepted, as the header's text.
    pub extensions: Option<String>,
    /// The permessage-deflate parameters agreed, if compression was
    /// negotiated (RFC 7692).
    #[cfg(feature = "deflate")]
    pub deflate: Option<crate::deflate::DeflateParams>,
}

/// Who started the closing of a connection.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Initiator {
    /// This side's application, by `close` or `reject`.
    Local,
    /// This library, on the peer's protocol error.
    Library,
    /// The peer, by a close frame, a refused handshake, or by going away.
    Remote,
}

/// How a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Close {
    /// The code from the peer's close frame; 1005 if it had none; the code
    /// we failed the connection with on a protocol error; 1006 if no close
    /// frame was received.
    pub code: CloseCode,
    /// The reason from the peer's close frame, or empty.
    pub reason: String,
    /// Who started the closing.
    pub initiator: Initiator,
    /// Whether the closing handshake completed: a close frame was both sent
    /// and received.
    pub clean: bool,
}

/// The type of a data message.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// UTF-8 text.
    Text,
    /// Arbitrary bytes.
    Binary,
}

/// A piece of a data message in streaming mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment {
    /// The message's type.
    pub kind: MessageKind,
    /// The bytes. A text piece is valid UTF-8 on its own: a code point
    /// that the bytes so far leave unfinished (at most three bytes) is held
    /// back for the next piece. See [`Fragment::text`].
    pub data: Bytes,
    /// Whether this is the message's first piece.
    pub first: bool,
    /// Whether this is the message's last piece.
    pub last: bool,
}

impl Fragment {
    /// A text piece as a `str` (`None` for a binary piece). Each text piece
    /// is whole code points, so it needs no bytes carried between pieces.
    pub fn text(&self) -> Option<&str> {
        match self.kind {
            MessageKind::Text => core::str::from_utf8(&self.data).ok(),
            MessageKind::Binary => None,
        }
    }
}

/// Bytes known to be valid UTF-8: the payload of a text message.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// Wraps bytes that are valid UTF-8; `None` otherwise.
    pub fn from_bytes(bytes: Bytes) -> Option<Self> {
        core::str::from_utf8(&bytes)
            .is_ok()
            .then_some(Utf8Bytes(bytes))
    }

    pub(crate) fn from_validated(bytes: Bytes) -> Self {
        debug_assert!(core::str::from_utf8(&bytes).is_ok());
        Utf8Bytes(bytes)
    }

    /// The text. This crate forbids `unsafe`, so the check that the bytes
    /// are UTF-8 runs again here (SIMD, at memory speed); [`Utf8Bytes::as_bytes`]
    /// is free.
    pub fn as_str(&self) -> &str {
        crate::utf8::as_str(&self.0).unwrap_or_default()
    }

    /// The UTF-8 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The underlying buffer.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&'static str> for Utf8Bytes {
    fn from(s: &'static str) -> Self {
        Utf8Bytes(Bytes::from_static(s.as_bytes()))
    }
}

impl From<String> for Utf8Bytes {
    fn from(s: String) -> Self {
        Utf8Bytes(Bytes::from(s))
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl AsRef<[u8]> for Utf8Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_fragment_reads_as_its_str_and_a_binary_one_as_none() {
        let piece = |kind| Fragment {
            kind,
            data: Bytes::from_static("żółw".as_bytes()),
            first: true,
            last: false,
        };
        assert_eq!(piece(MessageKind::Text).text(), Some("żółw"));
        assert_eq!(piece(MessageKind::Binary).text(), None);
    }

    #[test]
    fn utf8_bytes_compare_with_str_by_content() {
        let t = Utf8Bytes::from(String::from("héllo"));
        assert!(t == *"héllo");
        assert!(t != *"hello");
        assert!(t != *"héllo!");
        assert!(t == "héllo");
        assert!(t != "hello");
    }
}
