//! Commands from the application.

use super::*;

/// `rfc6455_accept` flag: open without compression, whatever the client
/// offered and the config allows (this connection only).
pub const RFC6455_ACCEPT_NO_COMPRESSION: u32 = 1;

/// Server: accepts the request from the `REQUEST` event, choosing
/// `protocol` (NULL for none; it MUST be one the client offered) and adding
/// `n_headers` headers to the 101 response. `flags`: 0, or
/// `RFC6455_ACCEPT_NO_COMPRESSION`.
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
    flags: u32,
) -> rfc6455_status {
    with_conn("rfc6455_accept", conn, false, |h| {
        if flags & !RFC6455_ACCEPT_NO_COMPRESSION != 0 {
            return Err(Fail::new(
                Status::InvalidArgument,
                format!("unknown accept flags {flags:#x}"),
            ));
        }
        let mut accept = Accept::new();
        if flags & RFC6455_ACCEPT_NO_COMPRESSION != 0 {
            accept = accept.no_compression();
        }
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

/// Sends a whole message of `kind` (a `rfc6455_message_kind`) in one
/// frame, never compressed, whatever was negotiated (Node `ws`'s
/// `compress: false`: data that is already compressed, or that must not
/// share a compression context with secrets). Without permessage-deflate it
/// is `rfc6455_send_text` / `rfc6455_send_binary`.
///
/// # Safety
/// `conn` is a live handle; `data` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_send_uncompressed(
    conn: *mut rfc6455_conn,
    kind: u32,
    data: *const u8,
    len: usize,
) -> rfc6455_status {
    with_conn("rfc6455_send_uncompressed", conn, false, |h| {
        let kind = message_kind(kind)?;
        // SAFETY: `data` points to `len` readable bytes.
        let data = unsafe { bytes(data, len, "data") }?;
        h.conn
            .send_uncompressed(kind, data)
            .map_err(|e| refused(h, e))?;
        Ok(Status::Ok)
    })
}

fn message_kind(kind: u32) -> Result<MessageKind, Fail> {
    match kind {
        0 => Ok(MessageKind::Text),
        1 => Ok(MessageKind::Binary),
        k => Err(Fail::new(
            Status::InvalidArgument,
            format!("unknown kind {k}"),
        )),
    }
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
        let kind = message_kind(kind)?;
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
        let data = h.unalias(data);
        let reason = std::str::from_utf8(&data)
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
