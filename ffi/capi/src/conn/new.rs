//! Constructors and `rfc6455_free`.

use super::*;

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
