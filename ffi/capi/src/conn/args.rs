//! Reading the caller's arguments: strings, byte ranges, headers, out-parameters.

use super::*;

/// A NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `s`, if not NULL, MUST be a NUL-terminated string valid for the call.
pub(super) unsafe fn c_str<'a>(s: *const c_char, what: &str) -> Result<&'a str, Fail> {
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
pub(super) unsafe fn bytes<'a>(p: *const u8, len: usize, what: &str) -> Result<&'a [u8], Fail> {
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
pub(super) unsafe fn headers<'a>(
    h: *const rfc6455_header,
    n: usize,
) -> Result<Vec<(&'a str, &'a str)>, Fail> {
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
pub(super) unsafe fn put<T>(out: *mut T, value: T, what: &str) -> Result<(), Fail> {
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
pub(super) unsafe fn put_slice(
    ptr: *mut *const u8,
    len: *mut usize,
    value: &[u8],
) -> Result<(), Fail> {
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
