//! The connection handle, and every function that takes one, in the Rust
//! crate's groups: constructors (`new.rs`), input (`input.rs`), output
//! (`output.rs`), commands (`commands.rs`), getters (`getters.rs`); `args.rs`
//! reads the caller's arguments.

// In the header's order (cbindgen follows it; blank lines keep rustfmt's
// sorting out): constructors, input, output, commands, getters.
mod new;

mod input;

mod output;

mod commands;

mod getters;

mod args;

use args::*;
pub use commands::*;
pub use getters::*;
pub use input::*;
pub use new::*;
pub use output::*;

use std::ffi::{CStr, c_char};

use bytes::Bytes;
use ws::{
    Accept, ClientRequest, CloseCode, Connection, Event, EventRef, Instant, MessageKind, Reject,
};

use crate::config::{read_config, rfc6455_config};
use crate::event::{EVENT_V1_SIZE, event_message, rfc6455_event};
use crate::{Fail, Outcome, Status, entry, rfc6455_status};

/// An opaque WebSocket connection. Create it with `rfc6455_client_new`,
/// `rfc6455_server_new` or `rfc6455_open_new`; free it with `rfc6455_free`.
pub struct rfc6455_conn {
    conn: Connection,
    /// A panic was caught inside a call: the state may be inconsistent.
    poisoned: bool,
    /// `rfc6455_input_buffer` lent this many bytes, not yet committed.
    lent_input: Option<usize>,
    /// The event last returned, and its message: `rfc6455_event` points into them.
    event: Option<Event>,
    event_message: String,
    /// The output last lent by `rfc6455_poll_transmit`.
    lent_output: Bytes,
    /// Output taken from the connection but not yet copied out by
    /// `rfc6455_transmit_copy`.
    output_rest: Bytes,
    /// The request from the last `REQUEST` event, until accept or reject.
    request: Option<ws::Request>,
    /// The extensions from the `OPEN` event.
    extensions: Option<String>,
    /// The address range of the payload the last event lent (it lies in
    /// the connection's own buffers), empty if none.
    lent_payload: std::ops::Range<usize>,
}

impl rfc6455_conn {
    /// `data`, or a copy of it if it overlaps the payload the last event
    /// lent: that payload lies in the connection's input buffer, which a
    /// call that takes input or closes may move or free while `data` is
    /// still being read (the header lets the caller pass an event's
    /// payload to the next call).
    fn unalias<'a>(&self, data: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        let start = data.as_ptr() as usize;
        let end = start + data.len();
        if start < self.lent_payload.end && self.lent_payload.start < end {
            std::borrow::Cow::Owned(data.to_vec())
        } else {
            std::borrow::Cow::Borrowed(data)
        }
    }
}

/// Which end of the connection.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum rfc6455_conn_role {
    /// Sends the opening handshake and masks its frames.
    Client = 0,
    /// Answers the opening handshake.
    Server = 1,
}

/// The connection's state, as the browser's `readyState`.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum rfc6455_conn_state {
    /// The opening handshake is under way.
    Connecting = 0,
    /// Messages flow.
    Open = 1,
    /// A close frame was sent or received, not both yet.
    Closing = 2,
    /// The connection is over; the `CLOSE` event is queued.
    Closed = 3,
}

/// The kind of a data message, for `rfc6455_send_fragment`.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum rfc6455_message_kind {
    /// UTF-8 text.
    Text = 0,
    /// Arbitrary bytes.
    Binary = 1,
}

/// A header: two NUL-terminated strings.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct rfc6455_header {
    /// The name, an HTTP token.
    pub name: *const c_char,
    /// The value, with no CR, LF or NUL.
    pub value: *const c_char,
}

/// `rfc6455_poll_timeout` writes this when no timer runs.
pub const RFC6455_NO_DEADLINE: u64 = 0xFFFF_FFFF_FFFF_FFFF;

// ---- the handle ----

fn boxed(conn: Connection) -> *mut rfc6455_conn {
    Box::into_raw(Box::new(rfc6455_conn {
        conn,
        poisoned: false,
        lent_input: None,
        event: None,
        event_message: String::new(),
        lent_output: Bytes::new(),
        output_rest: Bytes::new(),
        request: None,
        extensions: None,
        lent_payload: 0..0,
    }))
}

/// Runs `body` on the handle behind `conn`: checks it, catches panics
/// (poisoning the handle), records failures. Unless `keeps_lend`, a buffer
/// lent by `rfc6455_input_buffer` is taken back first.
fn with_conn(
    function: &'static str,
    conn: *mut rfc6455_conn,
    keeps_lend: bool,
    body: impl FnOnce(&mut rfc6455_conn) -> Outcome,
) -> rfc6455_status {
    entry(
        function,
        || {
            if !conn.is_null() {
                // SAFETY: `conn` is a live handle (the caller's guarantee);
                // the panic unwound out of `body`, so no reference to it is
                // alive any more.
                unsafe { (*conn).poisoned = true };
            }
        },
        || {
            if conn.is_null() {
                return Err(Fail::null("conn"));
            }
            // SAFETY: `conn` is non-NULL and came from one of our
            // constructors and was not freed (the caller's guarantee); a
            // handle is used by one thread at a time, so this is the only
            // reference.
            let h = unsafe { &mut *conn };
            if h.poisoned {
                return Err(Fail::new(
                    Status::Panic,
                    "the handle is poisoned by an earlier panic",
                ));
            }
            if !keeps_lend && h.lent_input.take().is_some() {
                // Another call came between the lend and its commit: the
                // lend is over (its memory may move). Lending 0 bytes makes
                // the connection forget the old lend.
                let _ = h.conn.input_buffer(0);
            }
            body(h)
        },
    )
}

/// Maps a refused command: after the connection closed, `CLOSED`.
fn refused(h: &rfc6455_conn, e: ws::UsageError) -> Fail {
    let closed = h.conn.is_closed()
        || (h.conn.state() == ws::State::Closing
            && h.conn.initiator() == Some(ws::Initiator::Local));
    if e == ws::UsageError::InvalidState && closed {
        Fail::new(
            Status::Closed,
            "the connection is closed (or closing after our close)",
        )
    } else {
        e.into()
    }
}

fn role_of(role: u32) -> Result<ws::Role, Fail> {
    match role {
        0 => Ok(ws::Role::Client),
        1 => Ok(ws::Role::Server),
        r => Err(Fail::new(
            Status::InvalidArgument,
            format!("unknown role {r}"),
        )),
    }
}
