//! Getters: state, role, negotiated values, the request being decided on.

use super::*;

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
