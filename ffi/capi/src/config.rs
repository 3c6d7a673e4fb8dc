//! `rfc6455_config`: the limits, options and timers, as a sized C struct.

use std::time::Duration;

use crate::{Fail, Status, entry, rfc6455_status};

/// Limits, options and timers for a connection: the Rust `Config`'s fields.
///
/// Fill it with `rfc6455_config_default(&cfg)` (a macro over
/// `rfc6455_config_init(&cfg, sizeof cfg)`), then change fields. Booleans
/// are bytes: 0 is false, anything else true. Timeouts are milliseconds,
/// 0 switches the timer off.
///
/// The struct may grow: new fields are appended at the end, and `size`
/// tells the library how many bytes of it the caller knows. A caller
/// compiled against an older header gets the defaults for the newer fields.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct rfc6455_config {
    /// `sizeof(rfc6455_config)` as the caller was compiled; set by
    /// `rfc6455_config_init`.
    pub size: usize,
    /// The largest message accepted, across its fragments (default 16 MiB).
    pub max_message_size: usize,
    /// The largest single frame accepted (default 16 MiB).
    pub max_frame_size: usize,
    /// The most frames one message may have (default 4096).
    pub max_fragments: usize,
    /// The longest opening handshake head (default 16 KiB).
    pub max_handshake_bytes: usize,
    /// The most header lines in a head (default 64, at most 128).
    pub max_headers: usize,
    /// The longest single line of a head (default 8 KiB).
    pub max_header_line: usize,
    /// The most bytes the output queue may hold (default 64 MiB).
    pub max_pending_output: usize,
    /// Answer pings automatically (default 1).
    pub auto_pong: u8,
    /// Deliver data messages as `RFC6455_EVENT_FRAGMENT` pieces as they
    /// arrive (default 0).
    pub streaming: u8,
    /// Server: hand non-WebSocket requests to the application (default 0).
    pub allow_plain_http: u8,
    /// The opening handshake's deadline, in ms from creation (default 10000).
    pub handshake_timeout_ms: u64,
    /// Keepalive ping after this long without input, in ms (default 30000).
    pub ping_interval_ms: u64,
    /// Fail the connection if nothing arrives this long after a keepalive
    /// ping, in ms (default 30000).
    pub pong_timeout_ms: u64,
    /// How long to wait for the peer's close frame (and a client for the
    /// TCP close), in ms (default 10000).
    pub close_timeout_ms: u64,
    /// How long one data message may take to arrive, in ms (default 0: off).
    pub message_timeout_ms: u64,
    // ---- compression (permessage-deflate, RFC 7692): appended after the
    // first version of the struct; a caller whose `size` ends before
    // `deflate` gets compression off. ----
    /// Offer (client) or accept (server) permessage-deflate (default 1).
    pub deflate: u8,
    /// The compression level, 0 (stored blocks) to 9 (default 6).
    pub deflate_level: u8,
    /// The server resets its compression context after every message
    /// (RFC 7692 §7.1.1.1; default 0).
    pub deflate_server_no_context_takeover: u8,
    /// The client resets its compression context after every message
    /// (RFC 7692 §7.1.1.2; default 0).
    pub deflate_client_no_context_takeover: u8,
    /// The largest window the server compresses with, 8 to 15 (default 15).
    pub deflate_server_max_window_bits: u8,
    /// The largest window the client compresses with, 8 to 15 (default 15).
    pub deflate_client_max_window_bits: u8,
    /// Messages shorter than this many bytes go out uncompressed (default
    /// 1024).
    pub deflate_threshold: usize,
}

/// The size of the first version of the struct (up to
/// `message_timeout_ms`): the smallest `size` accepted.
const CONFIG_V1_SIZE: usize = std::mem::offset_of!(rfc6455_config, deflate);

/// The size up to the end of the compression fields: a `size` below it
/// comes from a header without them, and gets compression off.
const CONFIG_V2_SIZE: usize =
    std::mem::offset_of!(rfc6455_config, deflate_threshold) + std::mem::size_of::<usize>();

fn ms(d: Option<Duration>) -> u64 {
    d.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn duration(ms: u64) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms))
}

impl rfc6455_config {
    /// The library's defaults.
    pub(crate) fn defaults() -> rfc6455_config {
        let c = ws::Config::default();
        rfc6455_config {
            size: std::mem::size_of::<rfc6455_config>(),
            max_message_size: c.max_message_size,
            max_frame_size: c.max_frame_size,
            max_fragments: c.max_fragments,
            max_handshake_bytes: c.max_handshake_bytes,
            max_headers: c.max_headers,
            max_header_line: c.max_header_line,
            max_pending_output: c.max_pending_output,
            auto_pong: c.auto_pong.into(),
            streaming: c.streaming.into(),
            allow_plain_http: c.allow_plain_http.into(),
            handshake_timeout_ms: ms(c.handshake_timeout),
            ping_interval_ms: ms(c.ping_interval),
            pong_timeout_ms: ms(c.pong_timeout),
            close_timeout_ms: ms(c.close_timeout),
            message_timeout_ms: ms(c.message_timeout),
            deflate: c.deflate.enabled.into(),
            deflate_level: c.deflate.level,
            deflate_server_no_context_takeover: c.deflate.server_no_context_takeover.into(),
            deflate_client_no_context_takeover: c.deflate.client_no_context_takeover.into(),
            deflate_server_max_window_bits: c.deflate.server_max_window_bits,
            deflate_client_max_window_bits: c.deflate.client_max_window_bits,
            deflate_threshold: c.deflate.threshold,
        }
    }

    fn to_core(self) -> ws::Config {
        let mut c = ws::Config::default();
        c.max_message_size = self.max_message_size;
        c.max_frame_size = self.max_frame_size;
        c.max_fragments = self.max_fragments;
        c.max_handshake_bytes = self.max_handshake_bytes;
        c.max_headers = self.max_headers;
        c.max_header_line = self.max_header_line;
        c.max_pending_output = self.max_pending_output;
        c.auto_pong = self.auto_pong != 0;
        c.streaming = self.streaming != 0;
        c.allow_plain_http = self.allow_plain_http != 0;
        c.handshake_timeout = duration(self.handshake_timeout_ms);
        c.ping_interval = duration(self.ping_interval_ms);
        c.pong_timeout = duration(self.pong_timeout_ms);
        c.close_timeout = duration(self.close_timeout_ms);
        c.message_timeout = duration(self.message_timeout_ms);
        c.deflate = ws::DeflateConfig::default()
            .enabled(self.deflate != 0)
            .level(self.deflate_level)
            .server_no_context_takeover(self.deflate_server_no_context_takeover != 0)
            .client_no_context_takeover(self.deflate_client_no_context_takeover != 0)
            .server_max_window_bits(self.deflate_server_max_window_bits)
            .client_max_window_bits(self.deflate_client_max_window_bits)
            .threshold(self.deflate_threshold);
        c
    }
}

/// Reads a caller's config (NULL: the defaults) and checks it as the Rust
/// `Config::validate` does.
///
/// # Safety
/// `config`, if not NULL, MUST point to at least `config->size` readable
/// bytes.
pub(crate) unsafe fn read_config(config: *const rfc6455_config) -> Result<ws::Config, Fail> {
    let mut c = rfc6455_config::defaults();
    if !config.is_null() {
        // SAFETY: `config` is non-NULL and points to a struct that starts
        // with its `size` (a `size_t`), which is readable.
        let size = unsafe { std::ptr::addr_of!((*config).size).read_unaligned() };
        if size < CONFIG_V1_SIZE {
            return Err(Fail::new(
                Status::InvalidArgument,
                format!(
                    "config->size is {size}, less than {CONFIG_V1_SIZE}: set it with rfc6455_config_default"
                ),
            ));
        }
        // Every field is an integer, so any bytes make a valid value. Bytes
        // past what this library knows are fields of a newer header.
        let n = size.min(std::mem::size_of::<rfc6455_config>());
        // SAFETY: the caller guarantees `size` readable bytes at `config`,
        // and `n <= size`; `c` is a local of at least `n` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(
                config.cast::<u8>(),
                std::ptr::addr_of_mut!(c).cast::<u8>(),
                n,
            );
        }
        if size < CONFIG_V2_SIZE {
            c.deflate = 0;
        }
    }
    let core = c.to_core();
    core.validate()?;
    Ok(core)
}

/// Fills `*config` with the library's defaults and sets `config->size` to
/// `size`, which MUST be `sizeof(rfc6455_config)` as the caller was
/// compiled: use the `rfc6455_config_default(&cfg)` macro. Only `size`
/// bytes are written.
///
/// # Safety
/// `config` MUST point to `size` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rfc6455_config_init(
    config: *mut rfc6455_config,
    size: usize,
) -> rfc6455_status {
    entry(
        "rfc6455_config_init",
        || {},
        || {
            if config.is_null() {
                return Err(Fail::null("config"));
            }
            if size < CONFIG_V1_SIZE {
                return Err(Fail::new(
                    Status::InvalidArgument,
                    format!("size {size} is less than {CONFIG_V1_SIZE}"),
                ));
            }
            let mut defaults = rfc6455_config::defaults();
            defaults.size = size;
            let n = size.min(std::mem::size_of::<rfc6455_config>());
            // SAFETY: `config` points to `size` writable bytes and `n <=
            // size`; `defaults` is a local of at least `n` bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    std::ptr::addr_of!(defaults).cast::<u8>(),
                    config.cast::<u8>(),
                    n,
                );
            }
            Ok(Status::Ok)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_to_the_core_defaults() {
        let core = rfc6455_config::defaults().to_core();
        let d = ws::Config::default();
        assert_eq!(core.max_message_size, d.max_message_size);
        assert_eq!(core.ping_interval, d.ping_interval);
        assert_eq!(core.message_timeout, None);
        assert!(core.auto_pong && !core.streaming);
    }

    #[test]
    fn compression_defaults_to_the_core_and_a_v1_size_turns_it_off() {
        let core = rfc6455_config::defaults().to_core();
        assert_eq!(core.deflate, ws::Config::default().deflate);
        let mut c = rfc6455_config::defaults();
        c.size = CONFIG_V1_SIZE;
        // SAFETY: `c` is a whole config, larger than `size`.
        let r = unsafe { read_config(&c) }.map_err(|f| f.status);
        assert!(!r.expect("a v1 size is accepted").deflate.enabled);
        c.size = std::mem::size_of::<rfc6455_config>();
        c.deflate_client_max_window_bits = 9;
        // SAFETY: as above.
        let r = unsafe { read_config(&c) }.map_err(|f| f.status);
        let d = r.expect("a whole config is accepted").deflate;
        assert!(d.enabled && d.client_max_window_bits == 9);
        c.deflate_server_max_window_bits = 16;
        // SAFETY: as above.
        let r = unsafe { read_config(&c) }.map_err(|f| f.status);
        assert_eq!(r.err(), Some(Status::InvalidConfig));
    }

    #[test]
    fn a_short_size_is_refused() {
        let mut c = rfc6455_config::defaults();
        c.size = 8;
        // SAFETY: `c` is a whole config.
        let r = unsafe { read_config(&c) };
        assert_eq!(r.err().map(|f| f.status), Some(Status::InvalidArgument));
    }
}
