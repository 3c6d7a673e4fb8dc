//! `rfc6455_event`: an event as a flat C struct pointing into the handle.

use ws::{Event, EventRef, Initiator, MessageKind, PeerError};

/// What kind of event `rfc6455_poll_event` returned.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum rfc6455_event_kind {
    /// No event (`rfc6455_poll_event` returned `RFC6455_STATUS_EMPTY`).
    None = 0,
    /// Server: a client's opening handshake arrived; answer with
    /// `rfc6455_accept` or `rfc6455_reject`. `data` is the request head;
    /// `RFC6455_FLAG_WEBSOCKET` is set for an upgrade request; the
    /// `rfc6455_request_*` getters read it.
    Request = 1,
    /// The connection is OPEN. `data` is the subprotocol agreed on (length
    /// 0 if none), `extra` the extensions header's text (length 0 if none).
    Open = 2,
    /// Client: the server answered with another status than 101.
    /// `http_status` is it, `data` the response head, `extra` its body. A
    /// `CLOSE` event follows.
    Rejected = 3,
    /// A complete text message (UTF-8) in `data`.
    Text = 4,
    /// A complete binary message in `data`.
    Binary = 5,
    /// Streaming mode: a piece of a message; `RFC6455_FLAG_TEXT` or
    /// `RFC6455_FLAG_BINARY`, `RFC6455_FLAG_FIRST`, `RFC6455_FLAG_LAST`.
    Fragment = 6,
    /// A ping, payload in `data` (a pong was queued unless `auto_pong` is off).
    Ping = 7,
    /// A pong, payload in `data`.
    Pong = 8,
    /// The peer broke the protocol; the connection failed. `error` says
    /// how, `close_code` the code it failed with, `http_status` the status
    /// a server answered a bad request with, `data` a message. A `CLOSE`
    /// event follows.
    Error = 9,
    /// The connection is closed: always the last event, exactly once.
    /// `close_code`, `data` the reason, `RFC6455_FLAG_CLEAN`, `initiator`.
    Close = 10,
    /// An event this ABI version does not know (a newer library's).
    Other = 11,
}

/// Who started the closing (in a `CLOSE` event).
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum rfc6455_initiator {
    /// Not a `CLOSE` event.
    None = 0,
    /// This side's application (`rfc6455_close`, `rfc6455_reject`, `rfc6455_abort`).
    Local = 1,
    /// This library, on the peer's protocol error.
    Library = 2,
    /// The peer.
    Remote = 3,
}

/// What the peer did wrong (in an `ERROR` event).
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum rfc6455_peer_error {
    /// Not an `ERROR` event.
    None = 0,
    /// A framing or message violation after the handshake.
    Protocol = 1,
    /// A bad opening handshake (or it timed out, or the transport ended).
    Handshake = 2,
    /// Dead-peer detection: nothing arrived after a keepalive ping.
    Unresponsive = 3,
    /// A kind this ABI version does not know.
    Other = 4,
}

/// `flags` bit: the message (or fragment) is text.
pub const RFC6455_FLAG_TEXT: u32 = 1;
/// `flags` bit: the message (or fragment) is binary.
pub const RFC6455_FLAG_BINARY: u32 = 2;
/// `flags` bit: the fragment is its message's first piece (always set for
/// `TEXT` and `BINARY`).
pub const RFC6455_FLAG_FIRST: u32 = 4;
/// `flags` bit: the fragment is its message's last piece (always set for
/// `TEXT` and `BINARY`).
pub const RFC6455_FLAG_LAST: u32 = 8;
/// `flags` bit, `CLOSE`: the closing handshake completed.
pub const RFC6455_FLAG_CLEAN: u32 = 16;
/// `flags` bit, `REQUEST`: the request is a WebSocket upgrade (without
/// `allow_plain_http`, always).
pub const RFC6455_FLAG_WEBSOCKET: u32 = 32;

/// An event, written by `rfc6455_poll_event` into the caller's struct.
///
/// Set `size` to `sizeof(rfc6455_event)` before the first call
/// (`rfc6455_event ev = RFC6455_EVENT_INIT;`); the library writes only
/// that many bytes and never changes `size`. The pointers point into the
/// handle and are valid until the next call on it; they are never NULL.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct rfc6455_event {
    /// `sizeof(rfc6455_event)` as the caller was compiled.
    pub size: usize,
    /// What happened.
    pub kind: rfc6455_event_kind,
    /// `RFC6455_FLAG_*` bits.
    pub flags: u32,
    /// `CLOSE`: the close code (1005 if the peer's frame had none, 1006 if
    /// no close frame arrived); `ERROR`: the code the connection failed
    /// with. Otherwise 0.
    pub close_code: u16,
    /// `REJECTED`: the response's status; `ERROR` of kind `HANDSHAKE`: the
    /// status a server answered with. Otherwise 0.
    pub http_status: u16,
    /// `CLOSE`: who started the closing.
    pub initiator: rfc6455_initiator,
    /// `ERROR`: what kind of violation.
    pub error: rfc6455_peer_error,
    /// The payload, head, subprotocol, message or reason (see the kinds).
    pub data: *const u8,
    /// The length of `data` in bytes.
    pub len: usize,
    /// `REJECTED`: the body; `OPEN`: the extensions.
    pub extra: *const u8,
    /// The length of `extra` in bytes.
    pub extra_len: usize,
}

/// The size of the first version of the struct: the smallest `size` accepted.
pub(crate) const EVENT_V1_SIZE: usize = std::mem::size_of::<rfc6455_event>();

/// A non-NULL pointer for an empty value.
static EMPTY: [u8; 1] = [0];

fn ptr(bytes: &[u8]) -> (*const u8, usize) {
    if bytes.is_empty() {
        (EMPTY.as_ptr(), 0)
    } else {
        (bytes.as_ptr(), bytes.len())
    }
}

fn kind_flag(kind: MessageKind) -> u32 {
    match kind {
        MessageKind::Text => RFC6455_FLAG_TEXT,
        MessageKind::Binary => RFC6455_FLAG_BINARY,
    }
}

impl rfc6455_event {
    /// An event of kind `NONE`.
    pub(crate) fn none() -> rfc6455_event {
        rfc6455_event {
            size: std::mem::size_of::<rfc6455_event>(),
            kind: rfc6455_event_kind::None,
            flags: 0,
            close_code: 0,
            http_status: 0,
            initiator: rfc6455_initiator::None,
            error: rfc6455_peer_error::None,
            data: EMPTY.as_ptr(),
            len: 0,
            extra: EMPTY.as_ptr(),
            extra_len: 0,
        }
    }

    /// The C view of a payload lent by `poll_event_ref`.
    pub(crate) fn lent(event: &EventRef<'_>) -> rfc6455_event {
        use rfc6455_event_kind as K;
        let mut e = rfc6455_event::none();
        let whole = RFC6455_FLAG_FIRST | RFC6455_FLAG_LAST;
        let (kind, data) = match event {
            EventRef::Text(text) => {
                e.flags = RFC6455_FLAG_TEXT | whole;
                (K::Text, text.as_bytes())
            }
            EventRef::Binary(data) => {
                e.flags = RFC6455_FLAG_BINARY | whole;
                (K::Binary, *data)
            }
            EventRef::Fragment {
                kind,
                data,
                first,
                last,
            } => {
                e.flags = kind_flag(*kind);
                if *first {
                    e.flags |= RFC6455_FLAG_FIRST;
                }
                if *last {
                    e.flags |= RFC6455_FLAG_LAST;
                }
                (K::Fragment, *data)
            }
            EventRef::Other(other) => return rfc6455_event::view(other, ""),
            // `EventRef` is #[non_exhaustive]: a kind added later.
            _ => (K::Other, &[][..]),
        };
        e.kind = kind;
        (e.data, e.len) = ptr(data);
        e
    }

    /// The C view of `event`, pointing into it and into `message` (the
    /// text of an error), which the handle keeps until its next call.
    pub(crate) fn view(event: &Event, message: &str) -> rfc6455_event {
        use rfc6455_event_kind as K;
        let mut e = rfc6455_event::none();
        let whole = RFC6455_FLAG_FIRST | RFC6455_FLAG_LAST;
        let (kind, data) = match event {
            Event::Request(req) => {
                if req.is_websocket() {
                    e.flags = RFC6455_FLAG_WEBSOCKET;
                }
                (K::Request, req.as_bytes())
            }
            Event::Open(open) => {
                (e.extra, e.extra_len) = ptr(open.extensions.as_deref().unwrap_or("").as_bytes());
                (K::Open, open.protocol.as_deref().unwrap_or("").as_bytes())
            }
            Event::Rejected(resp) => {
                e.http_status = resp.status();
                (e.extra, e.extra_len) = ptr(resp.body());
                (K::Rejected, resp.as_bytes())
            }
            Event::Text(text) => {
                e.flags = RFC6455_FLAG_TEXT | whole;
                (K::Text, text.as_bytes())
            }
            Event::Binary(data) => {
                e.flags = RFC6455_FLAG_BINARY | whole;
                (K::Binary, &data[..])
            }
            Event::Fragment(f) => {
                e.flags = kind_flag(f.kind);
                if f.first {
                    e.flags |= RFC6455_FLAG_FIRST;
                }
                if f.last {
                    e.flags |= RFC6455_FLAG_LAST;
                }
                (K::Fragment, &f.data[..])
            }
            Event::Ping(p) => (K::Ping, &p[..]),
            Event::Pong(p) => (K::Pong, &p[..]),
            Event::Error(err) => {
                let (kind, code, status) = match err {
                    PeerError::Protocol(p) => (rfc6455_peer_error::Protocol, p.close_code(), 0),
                    PeerError::Handshake(h) => (
                        rfc6455_peer_error::Handshake,
                        ws::CloseCode::ABNORMAL,
                        h.http_status(),
                    ),
                    PeerError::Unresponsive => {
                        (rfc6455_peer_error::Unresponsive, ws::CloseCode::ABNORMAL, 0)
                    }
                };
                e.error = kind;
                e.close_code = code.as_u16();
                e.http_status = status;
                (K::Error, message.as_bytes())
            }
            Event::Close(close) => {
                e.close_code = close.code.as_u16();
                if close.clean {
                    e.flags = RFC6455_FLAG_CLEAN;
                }
                e.initiator = match close.initiator {
                    Initiator::Local => rfc6455_initiator::Local,
                    Initiator::Library => rfc6455_initiator::Library,
                    Initiator::Remote => rfc6455_initiator::Remote,
                };
                (K::Close, close.reason.as_bytes())
            }
            // `Event` is #[non_exhaustive]: a kind added later.
            _ => (K::Other, message.as_bytes()),
        };
        e.kind = kind;
        (e.data, e.len) = ptr(data);
        e
    }
}

/// The text an `ERROR` (or unknown) event carries in `data`.
pub(crate) fn event_message(event: &Event) -> String {
    match event {
        Event::Error(e) => e.to_string(),
        Event::Request(_)
        | Event::Open(_)
        | Event::Rejected(_)
        | Event::Text(_)
        | Event::Binary(_)
        | Event::Fragment(_)
        | Event::Ping(_)
        | Event::Pong(_)
        | Event::Close(_) => String::new(),
        other => format!("{other:?}"),
    }
}
