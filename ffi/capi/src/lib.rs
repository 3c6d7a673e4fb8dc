//! # rfc6455-ffi: the rfc6455 WebSocket state machine behind a C ABI
//!
//! A push-based API with no callbacks: bytes in, events out, bytes to write.
//! The library reads no socket and no clock; the caller does both, as with
//! the Rust crate (its crate docs describe the driver loop, which is the
//! same here).
//!
//! The functions come in the Rust crate's four groups, with a `rfc6455_`
//! prefix: getters, `rfc6455_handle_*` for input, commands, and
//! `rfc6455_poll_*` for what the caller must do next. After input or
//! commands, drain `rfc6455_poll_event` until it returns
//! `RFC6455_STATUS_EMPTY`, then write everything `rfc6455_poll_transmit` (or
//! `rfc6455_transmit_copy`) gives, then close the transport if
//! `rfc6455_should_close_transport` says so, then wait for input no later
//! than `rfc6455_poll_timeout`.
//!
//! ## Rules of the ABI
//!
//! - Every function returns a [`rfc6455_status`], except three that cannot
//!   fail: `rfc6455_version`, `rfc6455_abi_version` and
//!   `rfc6455_status_name`. `RFC6455_STATUS_OK` (0) is success,
//!   `RFC6455_STATUS_EMPTY` (1) means "nothing to return" (no event, no
//!   output, no deadline, an absent value) and is not an error; every other
//!   status is an error, and `rfc6455_last_error_message` tells what it was.
//! - The last error message is **thread-local**: it describes the latest
//!   failed call on the calling thread, whichever handle it was on (a
//!   constructor that fails has no handle to keep it in).
//! - A handle is not thread-safe: one thread at a time may use it. It may
//!   move between threads.
//! - Pointers the library hands out (event payloads, lent input and output
//!   buffers, request strings) are valid until the next call on the same
//!   handle, unless a function's documentation says longer; an event's
//!   payload may be passed to that next call (an echo: `rfc6455_send_text(c,
//!   ev.data, ev.len)`). They are never NULL: an empty value is a non-NULL
//!   pointer with length 0.
//! - A NULL handle or a NULL pointer where one is required, text that is not
//!   UTF-8, a close code that may not be sent, a struct whose `size` is too
//!   small, and commands after the connection closed are refused with a
//!   status. Use after `rfc6455_free` cannot be detected: it is undefined
//!   behaviour, as with `free(3)`.
//! - A panic never crosses the boundary: it is caught, the call returns
//!   `RFC6455_STATUS_PANIC`, and the handle is poisoned (every later call on
//!   it returns `RFC6455_STATUS_PANIC`, except `rfc6455_free`).
//! - Structs that may grow (`rfc6455_config`, `rfc6455_event`) start with
//!   their `size`, which the caller sets to `sizeof` the struct it was
//!   compiled with; the library reads and writes only that many bytes.

#![warn(missing_docs)]
#![allow(non_camel_case_types)]

mod config;
mod conn;
mod event;

use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

pub use config::*;
pub use conn::*;
pub use event::*;

/// The ABI version: it changes when a function's signature or a struct's
/// existing fields change. Fields appended to a sized struct do not change
/// it.
pub const RFC6455_ABI_VERSION: u32 = 1;

/// What a call did. Every function returns one.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum rfc6455_status {
    /// Success.
    Ok = 0,
    /// Success, with nothing to return: no event, no output, no deadline,
    /// or an absent value. Not an error.
    Empty = 1,
    /// A pointer that is required was NULL (or a NULL handle).
    NullPointer = 2,
    /// An argument is out of range (an unknown role or kind, a length too
    /// large, a `size` too small).
    InvalidArgument = 3,
    /// Text (a message, a close reason, a string argument) is not UTF-8.
    InvalidUtf8 = 4,
    /// The close code may not be sent (1004-1006, 1015, below 1000,
    /// reserved ranges).
    InvalidCloseCode = 5,
    /// The command does not fit the connection's state (e.g. sending while
    /// CONNECTING, `accept` on a client).
    InvalidState = 6,
    /// The connection is closed (or our close frame was sent): no more
    /// commands.
    Closed = 7,
    /// The caller's buffer cannot hold even one byte of what is waiting.
    BufferTooSmall = 8,
    /// `rfc6455_commit_input` without a buffer lent by
    /// `rfc6455_input_buffer` (never lent, already committed, or
    /// invalidated by another call), or more bytes than were lent.
    NotLent = 9,
    /// The configuration breaks a rule (the message names it).
    InvalidConfig = 10,
    /// The URL is not a valid `ws://` or `wss://` URL.
    InvalidUrl = 11,
    /// A header name is not an HTTP token, or a value holds CR, LF or NUL.
    InvalidHeader = 12,
    /// A subprotocol is not a token, or the client did not offer it.
    InvalidProtocol = 13,
    /// The HTTP status is outside 100-599, or 101.
    InvalidStatus = 14,
    /// A data message was sent while a fragmented one is unfinished.
    MessageInProgress = 15,
    /// A fragment does not continue the message being sent.
    FragmentKind = 16,
    /// A ping or pong payload is over 125 bytes.
    ControlTooLong = 17,
    /// A close reason is over 123 bytes.
    ReasonTooLong = 18,
    /// Sending would take the output queue over `max_pending_output`.
    OutputFull = 19,
    /// The header is written by the handshake itself.
    ReservedHeader = 20,
    /// A panic was caught; the handle is poisoned.
    Panic = 21,
    /// The library refused the command for a reason this ABI version has
    /// no status for (the message tells it).
    Refused = 22,
}

use rfc6455_status as Status;

/// A failed call: its status and message.
pub(crate) struct Fail {
    pub(crate) status: Status,
    pub(crate) message: String,
}

impl Fail {
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Fail {
        Fail {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn null(what: &str) -> Fail {
        Fail::new(Status::NullPointer, format!("{what} is NULL"))
    }
}

impl From<ws::UsageError> for Fail {
    fn from(e: ws::UsageError) -> Fail {
        use ws::UsageError as U;
        let status = match e {
            U::InvalidState => Status::InvalidState,
            U::MessageInProgress => Status::MessageInProgress,
            U::FragmentKind => Status::FragmentKind,
            U::ControlTooLong => Status::ControlTooLong,
            U::InvalidCloseCode(_) => Status::InvalidCloseCode,
            U::ReasonTooLong => Status::ReasonTooLong,
            U::InvalidUtf8 => Status::InvalidUtf8,
            U::OutputFull => Status::OutputFull,
            U::InvalidHeader => Status::InvalidHeader,
            U::ReservedHeader => Status::ReservedHeader,
            U::InvalidProtocol => Status::InvalidProtocol,
            U::InvalidUrl => Status::InvalidUrl,
            U::InvalidStatus => Status::InvalidStatus,
            U::InvalidConfig(_) => Status::InvalidConfig,
            // UsageError is #[non_exhaustive]: a variant added later.
            _ => Status::Refused,
        };
        Fail::new(status, e.to_string())
    }
}

pub(crate) type Outcome = Result<Status, Fail>;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(function: &str, message: &str) {
    let text = format!("{function}: {message}").replace('\0', "\\0");
    let text = CString::new(text).unwrap_or_default();
    // A thread being torn down has no slot left; the status still tells.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = text);
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("panic: {s}")
    } else {
        "panic".to_string()
    }
}

/// Runs one entry point: catches panics, records the message of a failure.
/// `on_panic` runs after a caught panic (to poison a handle).
pub(crate) fn entry(
    function: &'static str,
    on_panic: impl FnOnce(),
    body: impl FnOnce() -> Outcome,
) -> rfc6455_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(status)) => status,
        Ok(Err(fail)) => {
            set_last_error(function, &fail.message);
            fail.status
        }
        Err(payload) => {
            set_last_error(function, &panic_text(&*payload));
            on_panic();
            Status::Panic
        }
    }
}

/// Copies the message of the last failed call on this thread into `buf`
/// (NUL-terminated, truncated to `capacity - 1` bytes) and writes its full
/// length, without the NUL, to `*len` (if `len` is not NULL).
///
/// Returns `RFC6455_STATUS_EMPTY` if no call has failed on this thread
/// (an empty string is written), `RFC6455_STATUS_BUFFER_TOO_SMALL` if the
/// message was truncated. This call never changes the message itself.
///
/// # Safety
/// `buf` MUST point to `capacity` writable bytes (it may be NULL only if
/// `capacity` is 0); `len`, if not NULL, to a writable `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_last_error_message(
    buf: *mut c_char,
    capacity: usize,
    len: *mut usize,
) -> rfc6455_status {
    let result = catch_unwind(AssertUnwindSafe(|| {
        LAST_ERROR
            .try_with(|slot| slot.borrow().as_bytes().to_vec())
            .unwrap_or_default()
    }));
    let message = result.unwrap_or_default();
    if !len.is_null() {
        // SAFETY: the caller guarantees a non-NULL `len` is writable.
        unsafe { len.write(message.len()) };
    }
    if capacity == 0 || buf.is_null() {
        return if message.is_empty() && capacity == 0 {
            Status::Empty
        } else if buf.is_null() && capacity != 0 {
            Status::NullPointer
        } else {
            Status::BufferTooSmall
        };
    }
    let n = message.len().min(capacity - 1);
    // SAFETY: `buf` points to `capacity` writable bytes and `n + 1 <=
    // capacity`; `message` is our own buffer, so the two do not overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(message.as_ptr(), buf.cast::<u8>(), n);
        buf.add(n).write(0);
    }
    if n < message.len() {
        Status::BufferTooSmall
    } else if message.is_empty() {
        Status::Empty
    } else {
        Status::Ok
    }
}

/// The library's version, e.g. `"0.1.0"`: a static NUL-terminated string.
#[unsafe(no_mangle)]
pub extern "C" fn rfc6455_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version the library was built with: compare it with
/// `RFC6455_ABI_VERSION` from the header the caller was compiled with.
#[unsafe(no_mangle)]
pub extern "C" fn rfc6455_abi_version() -> u32 {
    RFC6455_ABI_VERSION
}

/// The status's name, e.g. `"RFC6455_STATUS_NULL_POINTER"`: a static
/// NUL-terminated string; `"RFC6455_STATUS_UNKNOWN"` for a value that is
/// not a status.
#[unsafe(no_mangle)]
pub extern "C" fn rfc6455_status_name(status: i32) -> *const c_char {
    let name: &'static str = match status {
        0 => "RFC6455_STATUS_OK\0",
        1 => "RFC6455_STATUS_EMPTY\0",
        2 => "RFC6455_STATUS_NULL_POINTER\0",
        3 => "RFC6455_STATUS_INVALID_ARGUMENT\0",
        4 => "RFC6455_STATUS_INVALID_UTF8\0",
        5 => "RFC6455_STATUS_INVALID_CLOSE_CODE\0",
        6 => "RFC6455_STATUS_INVALID_STATE\0",
        7 => "RFC6455_STATUS_CLOSED\0",
        8 => "RFC6455_STATUS_BUFFER_TOO_SMALL\0",
        9 => "RFC6455_STATUS_NOT_LENT\0",
        10 => "RFC6455_STATUS_INVALID_CONFIG\0",
        11 => "RFC6455_STATUS_INVALID_URL\0",
        12 => "RFC6455_STATUS_INVALID_HEADER\0",
        13 => "RFC6455_STATUS_INVALID_PROTOCOL\0",
        14 => "RFC6455_STATUS_INVALID_STATUS\0",
        15 => "RFC6455_STATUS_MESSAGE_IN_PROGRESS\0",
        16 => "RFC6455_STATUS_FRAGMENT_KIND\0",
        17 => "RFC6455_STATUS_CONTROL_TOO_LONG\0",
        18 => "RFC6455_STATUS_REASON_TOO_LONG\0",
        19 => "RFC6455_STATUS_OUTPUT_FULL\0",
        20 => "RFC6455_STATUS_RESERVED_HEADER\0",
        21 => "RFC6455_STATUS_PANIC\0",
        22 => "RFC6455_STATUS_REFUSED\0",
        _ => "RFC6455_STATUS_UNKNOWN\0",
    };
    name.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_match_the_enum() {
        for (status, name) in [
            (Status::Ok, "OK"),
            (Status::NullPointer, "NULL_POINTER"),
            (Status::Refused, "REFUSED"),
        ] {
            // SAFETY: the function returns a static NUL-terminated string.
            let got = unsafe { std::ffi::CStr::from_ptr(rfc6455_status_name(status as i32)) };
            assert_eq!(got.to_str().unwrap(), format!("RFC6455_STATUS_{name}"));
        }
    }

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let mut poisoned = false;
        let status = entry("test", || poisoned = true, || panic!("boom"));
        assert_eq!(status, Status::Panic);
        assert!(poisoned);
        let mut buf = [0 as c_char; 64];
        let mut len = 0;
        // SAFETY: `buf` holds 64 bytes, `len` is a local.
        let s = unsafe { rfc6455_last_error_message(buf.as_mut_ptr(), buf.len(), &mut len) };
        assert_eq!(s, Status::Ok);
        // SAFETY: the function NUL-terminated the buffer.
        let text = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(text.to_str().unwrap(), "test: panic: boom");
    }
}
