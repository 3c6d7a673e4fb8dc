//! What the caller must do next: events and bytes to write.

use super::*;

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
        h.event = None;
        h.lent_payload = 0..0;
        // Payloads are lent where they lie (`poll_event_ref`): no copy, no
        // reference count, and the input buffer is reused. The view points
        // into the connection's buffers, which stay as they are until the
        // next call on the handle settles the lend; that is the contract
        // the header gives for every event pointer.
        let (mut view, some) = match h.conn.poll_event_ref() {
            None => (rfc6455_event::none(), false),
            Some(EventRef::Other(e)) => {
                h.event_message = event_message(&e);
                match &e {
                    Event::Request(req) => h.request = Some(req.clone()),
                    Event::Open(open) => h.extensions.clone_from(&open.extensions),
                    _ => {}
                }
                let e = h.event.insert(e);
                (rfc6455_event::view(e, &h.event_message), true)
            }
            Some(lent) => {
                let view = rfc6455_event::lent(&lent);
                h.lent_payload = view.data as usize..view.data as usize + view.len;
                (view, true)
            }
        };
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
        Ok(if some { Status::Ok } else { Status::Empty })
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
