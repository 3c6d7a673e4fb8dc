//! The connection handle and every function that takes one.

use std::ffi::{CStr, c_char};

use bytes::Bytes;
use ws::{Accept, ClientRequest, CloseCode, Connection, Event, Instant, MessageKind, Reject};

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

// ---- helpers: reading the caller's arguments ----

/// A NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `s`, if not NULL, MUST be a NUL-terminated string valid for the call.
unsafe fn c_str<'a>(s: *const c_char, what: &str) -> Result<&'a str, Fail> {
    if s.is_null() {
        return Err(Fail::null(what));
    }
    // SAFETY: `s` is non-NULL and NUL-terminated (the caller's guarantee).
    let s = unsafe { CStr::from_ptr(s) };
    s.to_str()
        .map_err(|_| Fail::new(Status::InvalidUtf8, format!("{what} is not UTF-8")))
}

/// A pointer-and-length argument; NULL is allowed when `len` is 0.
///
/// # Safety
/// `p`, if not NULL, MUST point to `len` readable bytes valid for the call.
unsafe fn bytes<'a>(p: *const u8, len: usize, what: &str) -> Result<&'a [u8], Fail> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Fail::null(what));
    }
    if len > isize::MAX as usize {
        return Err(Fail::new(
            Status::InvalidArgument,
            format!("{what}: length too large"),
        ));
    }
    // SAFETY: `p` is non-NULL and points to `len <= isize::MAX` readable
    // bytes (the caller's guarantee).
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// An array of headers; NULL is allowed when `n` is 0.
///
/// # Safety
/// `h`, if not NULL, MUST point to `n` headers whose strings are valid for
/// the call.
unsafe fn headers<'a>(h: *const rfc6455_header, n: usize) -> Result<Vec<(&'a str, &'a str)>, Fail> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if h.is_null() {
        return Err(Fail::null("headers"));
    }
    if n > isize::MAX as usize / std::mem::size_of::<rfc6455_header>() {
        return Err(Fail::new(Status::InvalidArgument, "too many headers"));
    }
    // SAFETY: `h` is non-NULL and points to `n` headers (the caller's guarantee).
    let list = unsafe { std::slice::from_raw_parts(h, n) };
    list.iter()
        .map(|h| {
            // SAFETY: each header's strings are NUL-terminated and live for
            // the call.
            let name = unsafe { c_str(h.name, "header name") }?;
            // SAFETY: as above.
            let value = unsafe { c_str(h.value, "header value") }?;
            Ok((name, value))
        })
        .collect()
}

/// Writes `value` to an out-parameter.
///
/// # Safety
/// `out`, if not NULL, MUST be writable.
unsafe fn put<T>(out: *mut T, value: T, what: &str) -> Result<(), Fail> {
    if out.is_null() {
        return Err(Fail::null(what));
    }
    // SAFETY: `out` is non-NULL and writable (the caller's guarantee).
    unsafe { out.write(value) };
    Ok(())
}

/// Writes a pointer and a length (a non-NULL pointer for empty values).
///
/// # Safety
/// `ptr` and `len` MUST be writable if not NULL.
unsafe fn put_slice(ptr: *mut *const u8, len: *mut usize, value: &[u8]) -> Result<(), Fail> {
    static EMPTY: [u8; 1] = [0];
    let p = if value.is_empty() {
        EMPTY.as_ptr()
    } else {
        value.as_ptr()
    };
    if ptr.is_null() || len.is_null() {
        return Err(Fail::null(if ptr.is_null() {
            "out pointer"
        } else {
            "out length"
        }));
    }
    // SAFETY: both are non-NULL and writable (the caller's guarantee).
    unsafe {
        ptr.write(p);
        len.write(value.len());
    }
    Ok(())
}

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

// ---- constructors and free ----

/// Creates a client connection to `url` (`ws://host[:port]/path`; `wss://`
/// too, but the caller does the TLS). The opening handshake is queued for
/// `rfc6455_poll_transmit` at once. `protocols` lists `n_protocols`
/// subprotocols to offer (NULL if 0); `headers` lists `n_headers` extra
/// request headers (`Origin` among them sets the origin). `config` NULL
/// means the defaults. The masking keys come from the operating system's
/// generator. On success `*out` is the new handle.
///
/// # Safety
/// Strings MUST be NUL-terminated; arrays MUST hold their counts; `out`
/// MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_client_new(
    url: *const c_char,
    protocols: *const *const c_char,
    n_protocols: usize,
    headers_: *const rfc6455_header,
    n_headers: usize,
    config: *const rfc6455_config,
    out: *mut *mut rfc6455_conn,
) -> rfc6455_status {
    entry(
        "rfc6455_client_new",
        || {},
        || {
            if out.is_null() {
                return Err(Fail::null("out"));
            }
            // SAFETY: `url` is NUL-terminated (the caller's guarantee).
            let url = unsafe { c_str(url, "url") }?;
            // SAFETY: `config` points to a sized config or is NULL.
            let config = unsafe { read_config(config) }?;
            let mut request = ClientRequest::from_url(url)?;
            if n_protocols > 0 {
                if protocols.is_null() {
                    return Err(Fail::null("protocols"));
                }
                if n_protocols > isize::MAX as usize / std::mem::size_of::<*const c_char>() {
                    return Err(Fail::new(Status::InvalidArgument, "too many protocols"));
                }
                // SAFETY: `protocols` points to `n_protocols` pointers, and
                // their size fits in isize (checked above).
                let list = unsafe { std::slice::from_raw_parts(protocols, n_protocols) };
                for &p in list {
                    // SAFETY: each is a NUL-terminated string.
                    request = request.protocol(unsafe { c_str(p, "protocol") }?);
                }
            }
            // SAFETY: `headers_` points to `n_headers` headers.
            for (name, value) in unsafe { headers(headers_, n_headers) }? {
                request = if name.eq_ignore_ascii_case("origin") {
                    request.origin(value)
                } else {
                    request.header(name, value)
                };
            }
            let conn = Connection::client(request, config, ws::OsEntropy::default())?;
            // SAFETY: `out` is non-NULL and writable.
            unsafe { out.write(boxed(conn)) };
            Ok(Status::Ok)
        },
    )
}

/// Creates a server connection, waiting for a client's opening handshake.
/// `config` NULL means the defaults.
///
/// # Safety
/// `config` is NULL or a sized config; `out` MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_server_new(
    config: *const rfc6455_config,
    out: *mut *mut rfc6455_conn,
) -> rfc6455_status {
    entry(
        "rfc6455_server_new",
        || {},
        || {
            if out.is_null() {
                return Err(Fail::null("out"));
            }
            // SAFETY: `config` points to a sized config or is NULL.
            let config = unsafe { read_config(config) }?;
            let conn = Connection::try_server(config)?;
            // SAFETY: `out` is non-NULL and writable.
            unsafe { out.write(boxed(conn)) };
            Ok(Status::Ok)
        },
    )
}

/// Creates a connection that starts OPEN, for an upgrade done elsewhere
/// (an HTTP server's): framing only. `role` is a `rfc6455_conn_role`;
/// `protocol` (NULL for none) records the subprotocol agreed on there.
///
/// # Safety
/// `config` is NULL or a sized config; `protocol` NULL or NUL-terminated;
/// `out` MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_open_new(
    role: u32,
    protocol: *const c_char,
    config: *const rfc6455_config,
    out: *mut *mut rfc6455_conn,
) -> rfc6455_status {
    entry(
        "rfc6455_open_new",
        || {},
        || {
            if out.is_null() {
                return Err(Fail::null("out"));
            }
            let role = role_of(role)?;
            // SAFETY: `config` points to a sized config or is NULL.
            let config = unsafe { read_config(config) }?;
            let mut conn = match role {
                ws::Role::Client => Connection::open_client(config, ws::OsEntropy::default()),
                ws::Role::Server => Connection::open_server(config),
            };
            if !protocol.is_null() {
                // SAFETY: `protocol` is NUL-terminated.
                conn = conn.with_protocol(unsafe { c_str(protocol, "protocol") }?);
            }
            // SAFETY: `out` is non-NULL and writable.
            unsafe { out.write(boxed(conn)) };
            Ok(Status::Ok)
        },
    )
}

/// Frees a handle and everything it lent. NULL is allowed (and does
/// nothing). The handle MUST NOT be used afterwards.
///
/// # Safety
/// `conn` is NULL or a live handle, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_free(conn: *mut rfc6455_conn) -> rfc6455_status {
    entry(
        "rfc6455_free",
        || {},
        || {
            if !conn.is_null() {
                // SAFETY: `conn` came from `Box::into_raw` in a constructor
                // and is freed once (the caller's guarantee).
                drop(unsafe { Box::from_raw(conn) });
            }
            Ok(Status::Ok)
        },
    )
}

// ---- input ----

/// Hands in `len` bytes read from the transport (`data` may be NULL if
/// `len` is 0). Input after the connection closed is ignored.
///
/// # Safety
/// `conn` is a live handle; `data` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_handle_input(
    conn: *mut rfc6455_conn,
    data: *const u8,
    len: usize,
) -> rfc6455_status {
    with_conn("rfc6455_handle_input", conn, false, |h| {
        // SAFETY: `data` points to `len` readable bytes.
        let data = unsafe { bytes(data, len, "data") }?;
        h.conn.handle_input(data);
        Ok(Status::Ok)
    })
}

/// Lends the end of the connection's input buffer to read into directly:
/// at most `len` bytes (and at most 1 MiB), zeroed. Write the bytes read
/// there, then call `rfc6455_commit_input` with their number. Any other
/// call on the handle ends the lend (nothing is handed in, and the memory
/// may move).
///
/// # Safety
/// `conn` is a live handle; `buf` and `buf_len` MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_input_buffer(
    conn: *mut rfc6455_conn,
    len: usize,
    buf: *mut *mut u8,
    buf_len: *mut usize,
) -> rfc6455_status {
    with_conn("rfc6455_input_buffer", conn, false, |h| {
        if buf.is_null() || buf_len.is_null() {
            return Err(Fail::null(if buf.is_null() { "buf" } else { "buf_len" }));
        }
        let lent = h.conn.input_buffer(len);
        let (p, n) = (lent.as_mut_ptr(), lent.len());
        h.lent_input = Some(n);
        // SAFETY: both are non-NULL and writable (checked above).
        unsafe {
            buf.write(p);
            buf_len.write(n);
        }
        Ok(Status::Ok)
    })
}

/// Hands in the first `n` bytes of the buffer `rfc6455_input_buffer` lent,
/// as `rfc6455_handle_input` would. `RFC6455_STATUS_NOT_LENT` if nothing is
/// lent (already committed, or another call came between) or `n` is more
/// than was lent; nothing is handed in then.
///
/// # Safety
/// `conn` is a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_commit_input(conn: *mut rfc6455_conn, n: usize) -> rfc6455_status {
    with_conn("rfc6455_commit_input", conn, true, |h| {
        let Some(lent) = h.lent_input.take() else {
            return Err(Fail::new(Status::NotLent, "no buffer is lent"));
        };
        if n > lent {
            let _ = h.conn.input_buffer(0);
            return Err(Fail::new(
                Status::NotLent,
                format!("{n} bytes committed, {lent} lent"),
            ));
        }
        h.conn.commit_input(n);
        Ok(Status::Ok)
    })
}

/// Reports that the peer will send nothing more (the read returned 0).
///
/// # Safety
/// `conn` is a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_handle_eof(conn: *mut rfc6455_conn) -> rfc6455_status {
    with_conn("rfc6455_handle_eof", conn, false, |h| {
        h.conn.handle_eof();
        Ok(Status::Ok)
    })
}

/// Hands in the time, `now_ns` nanoseconds since an origin of the caller's
/// choosing (e.g. `CLOCK_MONOTONIC`), and runs the timers that are due.
/// Call it whenever the caller wakes up, before handing in input.
///
/// # Safety
/// `conn` is a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_handle_timeout(
    conn: *mut rfc6455_conn,
    now_ns: u64,
) -> rfc6455_status {
    with_conn("rfc6455_handle_timeout", conn, false, |h| {
        h.conn.handle_timeout(Instant::from_nanos(now_ns));
        Ok(Status::Ok)
    })
}

/// Writes the instant (ns, same origin as `rfc6455_handle_timeout`) at
/// which the connection wants `rfc6455_handle_timeout` called. Returns
/// `RFC6455_STATUS_EMPTY` and writes `RFC6455_NO_DEADLINE` if no timer
/// runs. 0 before the first `rfc6455_handle_timeout`: hand in the time.
///
/// # Safety
/// `conn` is a live handle; `deadline_ns` MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_poll_timeout(
    conn: *mut rfc6455_conn,
    deadline_ns: *mut u64,
) -> rfc6455_status {
    with_conn("rfc6455_poll_timeout", conn, false, |h| {
        let t = h.conn.poll_timeout();
        let v = t.map_or(RFC6455_NO_DEADLINE, Instant::as_nanos);
        // SAFETY: the caller guarantees `deadline_ns` is writable.
        unsafe { put(deadline_ns, v, "deadline_ns") }?;
        Ok(if t.is_some() {
            Status::Ok
        } else {
            Status::Empty
        })
    })
}

// ---- output ----

/// Takes the next event into `*event` (whose `size` the caller set).
/// Returns `RFC6455_STATUS_EMPTY` (and kind `NONE`) when there is none.
/// The pointers in it are valid until the next call on the handle.
///
/// # Safety
/// `conn` is a live handle; `event` points to `event->size` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_poll_event(
    conn: *mut rfc6455_conn,
    event: *mut rfc6455_event,
) -> rfc6455_status {
    with_conn("rfc6455_poll_event", conn, false, |h| {
        if event.is_null() {
            return Err(Fail::null("event"));
        }
        // SAFETY: `event` is non-NULL and starts with its readable `size`.
        let size = unsafe { std::ptr::addr_of!((*event).size).read_unaligned() };
        if size < EVENT_V1_SIZE {
            return Err(Fail::new(
                Status::InvalidArgument,
                format!(
                    "event->size is {size}, less than {EVENT_V1_SIZE}: set it to sizeof(rfc6455_event)"
                ),
            ));
        }
        h.event = h.conn.poll_event();
        h.event_message = h.event.as_ref().map(event_message).unwrap_or_default();
        let mut view = match &h.event {
            Some(e) => rfc6455_event::view(e, &h.event_message),
            None => rfc6455_event::none(),
        };
        match &h.event {
            Some(Event::Request(req)) => h.request = Some(req.clone()),
            Some(Event::Open(open)) => h.extensions.clone_from(&open.extensions),
            _ => {}
        }
        view.size = size;
        let n = size.min(std::mem::size_of::<rfc6455_event>());
        // SAFETY: `event` points to `size` writable bytes and `n <= size`;
        // `view` is a local of at least `n` bytes. Bytes, not a typed
        // write: the caller's struct may be shorter than ours.
        unsafe {
            std::ptr::copy_nonoverlapping(
                std::ptr::addr_of!(view).cast::<u8>(),
                event.cast::<u8>(),
                n,
            );
        }
        Ok(if h.event.is_some() {
            Status::Ok
        } else {
            Status::Empty
        })
    })
}

fn next_output(h: &mut rfc6455_conn) -> Option<Bytes> {
    if !h.output_rest.is_empty() {
        return Some(std::mem::take(&mut h.output_rest));
    }
    h.conn.poll_transmit()
}

/// Lends the next bytes to write to the transport: `*data` and `*len`, valid
/// until the next call on the handle. They count as taken: the caller MUST
/// write all of them, in order. Returns `RFC6455_STATUS_EMPTY` (length 0)
/// when nothing waits.
///
/// # Safety
/// `conn` is a live handle; `data` and `len` MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_poll_transmit(
    conn: *mut rfc6455_conn,
    data: *mut *const u8,
    len: *mut usize,
) -> rfc6455_status {
    with_conn("rfc6455_poll_transmit", conn, false, |h| {
        if data.is_null() || len.is_null() {
            return Err(Fail::null(if data.is_null() { "data" } else { "len" }));
        }
        h.lent_output = next_output(h).unwrap_or_default();
        // SAFETY: both are non-NULL and writable.
        unsafe { put_slice(data, len, &h.lent_output) }?;
        Ok(if h.lent_output.is_empty() {
            Status::Empty
        } else {
            Status::Ok
        })
    })
}

/// Copies as many bytes to write as fit into `buf` (`capacity` bytes) and
/// writes their number to `*written`; what does not fit stays for the next
/// call. Returns `RFC6455_STATUS_EMPTY` (0 written) when nothing waits,
/// `RFC6455_STATUS_BUFFER_TOO_SMALL` if `capacity` is 0 while output waits.
///
/// # Safety
/// `conn` is a live handle; `buf` points to `capacity` writable bytes;
/// `written` MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_transmit_copy(
    conn: *mut rfc6455_conn,
    buf: *mut u8,
    capacity: usize,
    written: *mut usize,
) -> rfc6455_status {
    with_conn("rfc6455_transmit_copy", conn, false, |h| {
        // SAFETY: the caller guarantees `written` is writable.
        unsafe { put(written, 0, "written") }?;
        if capacity > 0 && buf.is_null() {
            return Err(Fail::null("buf"));
        }
        let mut n = 0;
        while n < capacity {
            let Some(mut chunk) = next_output(h) else {
                break;
            };
            let take = chunk.len().min(capacity - n);
            // SAFETY: `buf` points to `capacity` writable bytes and
            // `n + take <= capacity`; `chunk` is the library's own memory.
            unsafe {
                std::ptr::copy_nonoverlapping(chunk.as_ptr(), buf.add(n), take);
            }
            n += take;
            h.output_rest = chunk.split_off(take);
        }
        // SAFETY: checked writable above.
        unsafe { written.write(n) };
        if n > 0 {
            Ok(Status::Ok)
        } else if h.output_rest.is_empty() && h.conn.buffered_amount() == 0 {
            Ok(Status::Empty)
        } else {
            Err(Fail::new(
                Status::BufferTooSmall,
                "capacity is 0 and output waits",
            ))
        }
    })
}

/// Writes whether the caller MUST now close the transport: the connection
/// is closed and all its output was taken.
///
/// # Safety
/// `conn` is a live handle; `out` MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_should_close_transport(
    conn: *mut rfc6455_conn,
    out: *mut bool,
) -> rfc6455_status {
    with_conn("rfc6455_should_close_transport", conn, false, |h| {
        let v = h.output_rest.is_empty() && h.conn.should_close_transport();
        // SAFETY: the caller guarantees `out` is writable.
        unsafe { put(out, v, "out") }?;
        Ok(Status::Ok)
    })
}

/// Writes how many bytes wait to be taken by `rfc6455_poll_transmit` or
/// `rfc6455_transmit_copy`, like the browser's `bufferedAmount`.
///
/// # Safety
/// `conn` is a live handle; `out` MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_buffered_amount(
    conn: *mut rfc6455_conn,
    out: *mut usize,
) -> rfc6455_status {
    with_conn("rfc6455_buffered_amount", conn, false, |h| {
        let v = h.output_rest.len() + h.conn.buffered_amount();
        // SAFETY: the caller guarantees `out` is writable.
        unsafe { put(out, v, "out") }?;
        Ok(Status::Ok)
    })
}

/// Frees the capacity of the connection's empty buffers; call it when the
/// connection goes idle.
///
/// # Safety
/// `conn` is a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_shrink_to_fit(conn: *mut rfc6455_conn) -> rfc6455_status {
    with_conn("rfc6455_shrink_to_fit", conn, false, |h| {
        h.conn.shrink_to_fit();
        h.lent_output = Bytes::new();
        Ok(Status::Ok)
    })
}

// ---- commands ----

/// Server: accepts the request from the `REQUEST` event, choosing
/// `protocol` (NULL for none; it MUST be one the client offered) and adding
/// `n_headers` headers to the 101 response.
///
/// # Safety
/// `conn` is a live handle; `protocol` NULL or NUL-terminated; `headers`
/// holds `n_headers` headers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_accept(
    conn: *mut rfc6455_conn,
    protocol: *const c_char,
    headers_: *const rfc6455_header,
    n_headers: usize,
) -> rfc6455_status {
    with_conn("rfc6455_accept", conn, false, |h| {
        let mut accept = Accept::new();
        if !protocol.is_null() {
            // SAFETY: `protocol` is NUL-terminated.
            accept = accept.protocol(unsafe { c_str(protocol, "protocol") }?);
        }
        // SAFETY: `headers_` holds `n_headers` headers.
        for (name, value) in unsafe { headers(headers_, n_headers) }? {
            accept = accept.header(name, value);
        }
        h.conn.accept(accept).map_err(|e| refused(h, e))?;
        h.request = None;
        Ok(Status::Ok)
    })
}

/// Server: answers the request from the `REQUEST` event with `status`
/// (100-599, not 101), `n_headers` headers and a body of `body_len` bytes
/// (`body` may be NULL if 0). The connection closes once it is sent.
///
/// # Safety
/// `conn` is a live handle; `headers` holds `n_headers` headers; `body`
/// points to `body_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_reject(
    conn: *mut rfc6455_conn,
    status: u16,
    headers_: *const rfc6455_header,
    n_headers: usize,
    body: *const u8,
    body_len: usize,
) -> rfc6455_status {
    with_conn("rfc6455_reject", conn, false, |h| {
        let mut reject = Reject::new(status);
        // SAFETY: `headers_` holds `n_headers` headers.
        for (name, value) in unsafe { headers(headers_, n_headers) }? {
            reject = reject.header(name, value);
        }
        // SAFETY: `body` points to `body_len` readable bytes.
        let body = unsafe { bytes(body, body_len, "body") }?;
        reject = reject.body(Bytes::copy_from_slice(body));
        h.conn.reject(reject).map_err(|e| refused(h, e))?;
        h.request = None;
        Ok(Status::Ok)
    })
}

/// Sends a text message of `len` bytes, which MUST be UTF-8
/// (`RFC6455_STATUS_INVALID_UTF8` otherwise; nothing is sent).
///
/// # Safety
/// `conn` is a live handle; `text` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_send_text(
    conn: *mut rfc6455_conn,
    text: *const c_char,
    len: usize,
) -> rfc6455_status {
    with_conn("rfc6455_send_text", conn, false, |h| {
        // SAFETY: `text` points to `len` readable bytes.
        let data = unsafe { bytes(text.cast(), len, "text") }?;
        let text = std::str::from_utf8(data)
            .map_err(|_| Fail::new(Status::InvalidUtf8, "text is not UTF-8"))?;
        h.conn.send_text(text).map_err(|e| refused(h, e))?;
        Ok(Status::Ok)
    })
}

/// Sends a binary message of `len` bytes.
///
/// # Safety
/// `conn` is a live handle; `data` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_send_binary(
    conn: *mut rfc6455_conn,
    data: *const u8,
    len: usize,
) -> rfc6455_status {
    with_conn("rfc6455_send_binary", conn, false, |h| {
        // SAFETY: `data` points to `len` readable bytes.
        let data = unsafe { bytes(data, len, "data") }?;
        h.conn.send_binary(data).map_err(|e| refused(h, e))?;
        Ok(Status::Ok)
    })
}

/// Sends one fragment of a message of `kind` (a `rfc6455_message_kind`);
/// `fin` marks the last. Text fragments may split a code point; the message
/// as a whole MUST be UTF-8.
///
/// # Safety
/// `conn` is a live handle; `data` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_send_fragment(
    conn: *mut rfc6455_conn,
    kind: u32,
    data: *const u8,
    len: usize,
    fin: bool,
) -> rfc6455_status {
    with_conn("rfc6455_send_fragment", conn, false, |h| {
        let kind = match kind {
            0 => MessageKind::Text,
            1 => MessageKind::Binary,
            k => {
                return Err(Fail::new(
                    Status::InvalidArgument,
                    format!("unknown kind {k}"),
                ));
            }
        };
        // SAFETY: `data` points to `len` readable bytes.
        let data = unsafe { bytes(data, len, "data") }?;
        h.conn
            .send_fragment(kind, data, fin)
            .map_err(|e| refused(h, e))?;
        Ok(Status::Ok)
    })
}

/// Sends a ping with up to 125 bytes of payload.
///
/// # Safety
/// `conn` is a live handle; `data` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_ping(
    conn: *mut rfc6455_conn,
    data: *const u8,
    len: usize,
) -> rfc6455_status {
    with_conn("rfc6455_ping", conn, false, |h| {
        // SAFETY: `data` points to `len` readable bytes.
        let data = unsafe { bytes(data, len, "data") }?;
        h.conn.ping(data).map_err(|e| refused(h, e))?;
        Ok(Status::Ok)
    })
}

/// Sends an unsolicited pong with up to 125 bytes of payload.
///
/// # Safety
/// `conn` is a live handle; `data` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_pong(
    conn: *mut rfc6455_conn,
    data: *const u8,
    len: usize,
) -> rfc6455_status {
    with_conn("rfc6455_pong", conn, false, |h| {
        // SAFETY: `data` points to `len` readable bytes.
        let data = unsafe { bytes(data, len, "data") }?;
        h.conn.pong(data).map_err(|e| refused(h, e))?;
        Ok(Status::Ok)
    })
}

/// Starts the closing handshake with `code` and a UTF-8 `reason` of at most
/// 123 bytes (`reason` may be NULL if `reason_len` is 0). Codes that may
/// not be sent (1004-1006, 1015, below 1000, 1016-2999, 5000 and up) are
/// refused with `RFC6455_STATUS_INVALID_CLOSE_CODE`.
///
/// # Safety
/// `conn` is a live handle; `reason` points to `reason_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_close(
    conn: *mut rfc6455_conn,
    code: u16,
    reason: *const c_char,
    reason_len: usize,
) -> rfc6455_status {
    with_conn("rfc6455_close", conn, false, |h| {
        // SAFETY: `reason` points to `reason_len` readable bytes.
        let data = unsafe { bytes(reason.cast(), reason_len, "reason") }?;
        let reason = std::str::from_utf8(data)
            .map_err(|_| Fail::new(Status::InvalidUtf8, "reason is not UTF-8"))?;
        h.conn
            .close(CloseCode(code), reason)
            .map_err(|e| refused(h, e))?;
        Ok(Status::Ok)
    })
}

/// Abandons the connection at once: output not yet taken is dropped, and
/// `rfc6455_should_close_transport` is true. A `CLOSE` event (1006) follows
/// unless one was queued already.
///
/// # Safety
/// `conn` is a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_abort(conn: *mut rfc6455_conn) -> rfc6455_status {
    with_conn("rfc6455_abort", conn, false, |h| {
        h.conn.abort();
        h.output_rest = Bytes::new();
        Ok(Status::Ok)
    })
}

// ---- getters ----

/// Writes the connection's state.
///
/// # Safety
/// `conn` is a live handle; `out` MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_state(
    conn: *mut rfc6455_conn,
    out: *mut rfc6455_conn_state,
) -> rfc6455_status {
    with_conn("rfc6455_state", conn, false, |h| {
        let s = match h.conn.state() {
            ws::State::Connecting => rfc6455_conn_state::Connecting,
            ws::State::Open => rfc6455_conn_state::Open,
            ws::State::Closing => rfc6455_conn_state::Closing,
            ws::State::Closed => rfc6455_conn_state::Closed,
        };
        // SAFETY: the caller guarantees `out` is writable.
        unsafe { put(out, s, "out") }?;
        Ok(Status::Ok)
    })
}

/// Writes the connection's role.
///
/// # Safety
/// `conn` is a live handle; `out` MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_role(
    conn: *mut rfc6455_conn,
    out: *mut rfc6455_conn_role,
) -> rfc6455_status {
    with_conn("rfc6455_role", conn, false, |h| {
        let r = match h.conn.role() {
            ws::Role::Client => rfc6455_conn_role::Client,
            ws::Role::Server => rfc6455_conn_role::Server,
        };
        // SAFETY: the caller guarantees `out` is writable.
        unsafe { put(out, r, "out") }?;
        Ok(Status::Ok)
    })
}

/// Lends the subprotocol agreed on (not NUL-terminated). Returns
/// `RFC6455_STATUS_EMPTY` (length 0) if there is none.
///
/// # Safety
/// `conn` is a live handle; `data` and `len` MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_protocol(
    conn: *mut rfc6455_conn,
    data: *mut *const c_char,
    len: *mut usize,
) -> rfc6455_status {
    with_conn("rfc6455_protocol", conn, false, |h| {
        let p = h.conn.protocol();
        // SAFETY: both are writable (checked by put_slice).
        unsafe { put_slice(data.cast(), len, p.unwrap_or("").as_bytes()) }?;
        Ok(if p.is_some() {
            Status::Ok
        } else {
            Status::Empty
        })
    })
}

/// Lends the extensions the server accepted, as the header's text (not
/// NUL-terminated). Returns `RFC6455_STATUS_EMPTY` (length 0) if none.
///
/// # Safety
/// `conn` is a live handle; `data` and `len` MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_extensions(
    conn: *mut rfc6455_conn,
    data: *mut *const c_char,
    len: *mut usize,
) -> rfc6455_status {
    with_conn("rfc6455_extensions", conn, false, |h| {
        let e = h.extensions.as_deref();
        // SAFETY: both are writable (checked by put_slice).
        unsafe { put_slice(data.cast(), len, e.unwrap_or("").as_bytes()) }?;
        Ok(if e.is_some() {
            Status::Ok
        } else {
            Status::Empty
        })
    })
}

fn request(h: &rfc6455_conn) -> Result<&ws::Request, Fail> {
    h.request.as_ref().ok_or_else(|| {
        Fail::new(
            Status::InvalidState,
            "no request: only a server between its REQUEST event and accept/reject has one",
        )
    })
}

/// Server, between the `REQUEST` event and `rfc6455_accept` /
/// `rfc6455_reject`: lends the request's method (e.g. `GET`), not
/// NUL-terminated. `RFC6455_STATUS_INVALID_STATE` at other times.
///
/// # Safety
/// `conn` is a live handle; `data` and `len` MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_request_method(
    conn: *mut rfc6455_conn,
    data: *mut *const c_char,
    len: *mut usize,
) -> rfc6455_status {
    with_conn("rfc6455_request_method", conn, false, |h| {
        let m = request(h)?.method();
        // SAFETY: both are writable (checked by put_slice).
        unsafe { put_slice(data.cast(), len, m.as_bytes()) }?;
        Ok(Status::Ok)
    })
}

/// As `rfc6455_request_method`, for the request target (path and query).
///
/// # Safety
/// `conn` is a live handle; `data` and `len` MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_request_path(
    conn: *mut rfc6455_conn,
    data: *mut *const c_char,
    len: *mut usize,
) -> rfc6455_status {
    with_conn("rfc6455_request_path", conn, false, |h| {
        let p = request(h)?.path();
        // SAFETY: both are writable (checked by put_slice).
        unsafe { put_slice(data.cast(), len, p.as_bytes()) }?;
        Ok(Status::Ok)
    })
}

/// Lends the value of the request's first header named `name`
/// (case-insensitive); `RFC6455_STATUS_EMPTY` (length 0) if absent.
///
/// # Safety
/// `conn` is a live handle; `name` NUL-terminated; `value` and `len` MUST
/// be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_request_header(
    conn: *mut rfc6455_conn,
    name: *const c_char,
    value: *mut *const u8,
    len: *mut usize,
) -> rfc6455_status {
    with_conn("rfc6455_request_header", conn, false, |h| {
        // SAFETY: `name` is NUL-terminated.
        let name = unsafe { c_str(name, "name") }?;
        let v = request(h)?.header(name);
        // SAFETY: both are writable (checked by put_slice).
        unsafe { put_slice(value, len, v.unwrap_or(b"")) }?;
        Ok(if v.is_some() {
            Status::Ok
        } else {
            Status::Empty
        })
    })
}

/// Lends the request's header number `index` (from 0, in order): its name
/// and value. `RFC6455_STATUS_EMPTY` past the last one.
///
/// # Safety
/// `conn` is a live handle; every out-parameter MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_request_header_at(
    conn: *mut rfc6455_conn,
    index: usize,
    name: *mut *const c_char,
    name_len: *mut usize,
    value: *mut *const u8,
    value_len: *mut usize,
) -> rfc6455_status {
    with_conn("rfc6455_request_header_at", conn, false, |h| {
        let found = request(h)?.headers().nth(index);
        let (n, v) = found.unwrap_or(("", b""));
        // SAFETY: all four are writable (checked by put_slice).
        unsafe {
            put_slice(name.cast(), name_len, n.as_bytes())?;
            put_slice(value, value_len, v)?;
        }
        Ok(if found.is_some() {
            Status::Ok
        } else {
            Status::Empty
        })
    })
}

/// Lends the subprotocol number `index` the client offered
/// (`Sec-WebSocket-Protocol`, in order); `RFC6455_STATUS_EMPTY` past the
/// last one.
///
/// # Safety
/// `conn` is a live handle; `data` and `len` MUST be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_request_protocol_at(
    conn: *mut rfc6455_conn,
    index: usize,
    data: *mut *const c_char,
    len: *mut usize,
) -> rfc6455_status {
    with_conn("rfc6455_request_protocol_at", conn, false, |h| {
        let p = request(h)?.protocols().nth(index);
        // SAFETY: both are writable (checked by put_slice).
        unsafe { put_slice(data.cast(), len, p.unwrap_or("").as_bytes()) }?;
        Ok(if p.is_some() {
            Status::Ok
        } else {
            Status::Empty
        })
    })
}
