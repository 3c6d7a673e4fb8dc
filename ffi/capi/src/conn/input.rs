//! Input from the transport and the clock, and the deadline.

use super::*;

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
        let data = h.unalias(data);
        h.conn.handle_input(&data);
        Ok(Status::Ok)
    })
}

/// Lends the end of the connection's input buffer to read into directly:
/// at most `len` bytes (and at most 1 MiB), zeroed; fewer when a large
/// frame under way needs fewer and a whole read would not fit behind it
/// (the lend then ends where the frame does, so that it is not moved).
/// Write the bytes read there, then call `rfc6455_commit_input` with
/// their number. Any other
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
