//! Limits, timeouts and options, and the source of randomness.

use core::time::Duration;

#[cfg(feature = "deflate")]
use crate::deflate::DeflateConfig;
use crate::error::UsageError;
use crate::handshake::HEADER_TABLE;

/// Limits and options for a [`crate::Connection`]. The defaults are safe for
/// a server facing the open internet.
///
/// The struct is `#[non_exhaustive]` so that fields can be added; build it
/// from [`Config::default`] or a preset ([`Config::low_memory`]) and its
/// chainable setters, one per field, named like the field:
///
/// ```
/// use rfc6455::Config;
/// let config = Config::default()
///     .max_message_size(1 << 20)
///     .max_frame_size(64 << 10)
///     .streaming(true);
/// assert_eq!(config.max_message_size, 1 << 20);
/// assert!(config.streaming);
/// ```
///
/// # Values that make no sense
///
/// [`Config::validate`] names the rules the limits must keep:
///
/// - no limit is 0 (`max_message_size`, `max_frame_size`, `max_fragments`,
///   `max_handshake_bytes`, `max_headers`, `max_header_line`,
///   `max_pending_output`): nothing could ever pass it;
/// - `max_frame_size <= max_message_size`: a frame is part of a message;
/// - `max_headers <= 128`: the parser's header table has 128 entries;
/// - `max_header_line <= max_handshake_bytes`: a line is part of the head.
///
/// [`Connection::client`](crate::Connection::client) and
/// [`Connection::try_server`](crate::Connection::try_server) refuse a
/// configuration that breaks them with [`UsageError::InvalidConfig`];
/// the infallible constructors ([`Connection::server`](crate::Connection::server),
/// `open_server`, `open_client`) use [`Config::clamped`] instead, and
/// [`Connection::config`](crate::Connection::config) shows the result.
///
/// ```
/// use rfc6455::{ClientRequest, Config, Connection, UsageError};
/// let bad = Config::default().max_frame_size(32 << 20); // above the 16 MiB message limit
/// assert_eq!(bad.validate(), Err(UsageError::InvalidConfig("max_frame_size > max_message_size")));
/// assert!(Connection::try_server(bad.clone()).is_err());
/// assert_eq!(Connection::server(bad).config().max_frame_size, 16 << 20);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The largest message accepted, in bytes, across all its fragments.
    /// Larger messages fail the connection with 1009. Default 16 MiB.
    pub max_message_size: usize,
    /// The largest single frame accepted. Default 16 MiB.
    pub max_frame_size: usize,
    /// The most frames one message may have. More fail with 1008. Default 4096.
    pub max_fragments: usize,
    /// The longest opening handshake head (request or response, without a
    /// rejection's body). Longer heads get 431. Default 16 KiB.
    pub max_handshake_bytes: usize,
    /// The most header lines in a head. More get 431. Default 64 (at most 128).
    pub max_headers: usize,
    /// The longest single line of a head. A longer request line gets 414
    /// (RFC 9112 §3; it recommends accepting request lines of at least 8000
    /// bytes), a longer header line 431. Default 8 KiB.
    pub max_header_line: usize,
    /// The most bytes the output queue may hold: a send that would go past
    /// it is refused with `UsageError::OutputFull`. Default 64 MiB.
    pub max_pending_output: usize,
    /// Answer pings with pongs automatically. Default true.
    pub auto_pong: bool,
    /// Deliver data messages as `Event::Fragment` chunks as their bytes
    /// arrive instead of reassembling them. Default false. Streaming still
    /// enforces `max_frame_size`, `max_message_size` and `max_fragments`:
    /// raise them for messages larger than 16 MiB.
    pub streaming: bool,
    /// On a server, hand requests that are not WebSocket upgrades to the
    /// application as `Event::Request` (see `Request::is_websocket`) so it
    /// can answer them with `reject`, e.g. to serve a page. Default false:
    /// they get 400 / 426.
    pub allow_plain_http: bool,

    // ---- timers: they run only while the caller hands in time with
    // `Connection::handle_timeout`; `None` switches one off ----
    /// How long the opening handshake may take, from the connection's
    /// creation. A server whose request head is still incomplete then
    /// answers 408 and closes the transport; a client whose response has
    /// not arrived fails with 1006. Both report
    /// `HandshakeError::Timeout`. Default 10 s: a slow-loris request may
    /// hold a connection no longer.
    pub handshake_timeout: Option<Duration>,
    /// Keepalive: after this long with nothing received, send a ping.
    /// Default 30 s, which keeps NAT mappings alive and, with
    /// `pong_timeout`, finds a vanished peer within a minute.
    pub ping_interval: Option<Duration>,
    /// Dead-peer detection: if nothing at all (a pong or any other bytes)
    /// arrives this long after a keepalive ping, the connection fails with
    /// 1006 and `PeerError::Unresponsive`, and the transport is to be
    /// closed at once (output still queued is dropped). Default 30 s.
    pub pong_timeout: Option<Duration>,
    /// How long to wait for the peer's close frame after ours, and (a
    /// client, after the closing handshake) for the server to close TCP
    /// (§7.1.1). Then the transport is to be closed; if the peer's close
    /// frame never came, the `Close` event is 1006, not clean. Default 10 s.
    pub close_timeout: Option<Duration>,
    /// How long one data message may take to arrive, from its first frame
    /// header to the end of its last frame; longer fails with 1008 (the
    /// slow-loris defence for frames). Default `None`: a long message on
    /// a slow link is legitimate, and only the application knows how long
    /// is too long.
    pub message_timeout: Option<Duration>,

    /// permessage-deflate (RFC 7692): whether a client offers it and a
    /// server accepts it, with which parameters, and which messages are
    /// compressed. Default [`DeflateConfig::default`]: on, as browsers and
    /// Node's `ws` (a client offers, a server accepts the first offer it
    /// can honour; messages of 1 KiB or more are compressed).
    /// [`DeflateConfig::disabled`] turns it off.
    #[cfg(feature = "deflate")]
    pub deflate: DeflateConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_message_size: 16 << 20,
            max_frame_size: 16 << 20,
            max_fragments: 4096,
            max_handshake_bytes: 16 << 10,
            max_headers: 64,
            max_header_line: 8 << 10,
            max_pending_output: 64 << 20,
            auto_pong: true,
            streaming: false,
            allow_plain_http: false,
            handshake_timeout: Some(Duration::from_secs(10)),
            ping_interval: Some(Duration::from_secs(30)),
            pong_timeout: Some(Duration::from_secs(30)),
            close_timeout: Some(Duration::from_secs(10)),
            message_timeout: None,
            #[cfg(feature = "deflate")]
            deflate: DeflateConfig::default(),
        }
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $field:ident: $ty:ty;)*) => {
        impl Config {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $field(mut self, value: $ty) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}

setters! {
    /// Sets [`Config::max_frame_size`](#structfield.max_frame_size).
    max_frame_size: usize;
    /// Sets [`Config::max_fragments`](#structfield.max_fragments).
    max_fragments: usize;
    /// Sets [`Config::max_handshake_bytes`](#structfield.max_handshake_bytes).
    max_handshake_bytes: usize;
    /// Sets [`Config::max_headers`](#structfield.max_headers).
    max_headers: usize;
    /// Sets [`Config::max_header_line`](#structfield.max_header_line).
    max_header_line: usize;
    /// Sets [`Config::max_pending_output`](#structfield.max_pending_output).
    max_pending_output: usize;
    /// Sets [`Config::auto_pong`](#structfield.auto_pong).
    auto_pong: bool;
    /// Sets [`Config::streaming`](#structfield.streaming).
    streaming: bool;
    /// Sets [`Config::allow_plain_http`](#structfield.allow_plain_http).
    allow_plain_http: bool;
    /// Sets [`Config::handshake_timeout`](#structfield.handshake_timeout).
    handshake_timeout: Option<Duration>;
    /// Sets [`Config::ping_interval`](#structfield.ping_interval).
    ping_interval: Option<Duration>;
    /// Sets [`Config::pong_timeout`](#structfield.pong_timeout).
    pong_timeout: Option<Duration>;
    /// Sets [`Config::close_timeout`](#structfield.close_timeout).
    close_timeout: Option<Duration>;
    /// Sets [`Config::message_timeout`](#structfield.message_timeout).
    message_timeout: Option<Duration>;
}

#[cfg(feature = "deflate")]
setters! {
    /// Sets [`Config::deflate`](#structfield.deflate).
    deflate: DeflateConfig;
}

impl Config {
    /// The defaults: 16 MiB messages and frames, 16 KiB handshake heads,
    /// 64 MiB of pending output.
    pub fn new() -> Self {
        Config::default()
    }

    /// Sets [`Config::max_message_size`](#structfield.max_message_size), and
    /// lowers `max_frame_size` to it if it was above: a frame is part of a
    /// message, so `Config::default().max_message_size(1 << 20)` is valid.
    #[must_use]
    pub fn max_message_size(mut self, value: usize) -> Self {
        self.max_message_size = value;
        self.max_frame_size = self.max_frame_size.min(value);
        self
    }

    /// Checks that the limits make sense together (see the rules in the
    /// [type's documentation](Config#values-that-make-no-sense)), naming
    /// the first rule broken.
    pub fn validate(&self) -> Result<(), UsageError> {
        let zero = [
            (self.max_message_size, "max_message_size is 0"),
            (self.max_frame_size, "max_frame_size is 0"),
            (self.max_fragments, "max_fragments is 0"),
            (self.max_handshake_bytes, "max_handshake_bytes is 0"),
            (self.max_headers, "max_headers is 0"),
            (self.max_header_line, "max_header_line is 0"),
            (self.max_pending_output, "max_pending_output is 0"),
        ];
        if let Some((_, rule)) = zero.iter().find(|(v, _)| *v == 0) {
            return Err(UsageError::InvalidConfig(rule));
        }
        if self.max_frame_size > self.max_message_size {
            return Err(UsageError::InvalidConfig(
                "max_frame_size > max_message_size",
            ));
        }
        if self.max_headers > HEADER_TABLE {
            return Err(UsageError::InvalidConfig("max_headers > 128"));
        }
        if self.max_header_line > self.max_handshake_bytes {
            return Err(UsageError::InvalidConfig(
                "max_header_line > max_handshake_bytes",
            ));
        }
        // A timer of zero would fire as soon as it starts: `None` is off.
        if self.timeouts().contains(&Some(Duration::ZERO)) {
            return Err(UsageError::InvalidConfig(
                "a timeout is zero (None switches it off)",
            ));
        }
        #[cfg(feature = "deflate")]
        self.deflate.validate()?;
        Ok(())
    }

    fn timeouts(&self) -> [Option<Duration>; 5] {
        [
            self.handshake_timeout,
            self.ping_interval,
            self.pong_timeout,
            self.close_timeout,
            self.message_timeout,
        ]
    }

    /// The nearest configuration that [`validate`](Self::validate) accepts:
    /// a limit of 0 becomes 1, `max_frame_size` is lowered to
    /// `max_message_size`, `max_headers` to 128 and `max_header_line` to
    /// `max_handshake_bytes`; a timeout of zero becomes 1 ms. Limits are
    /// only ever lowered, except from 0.
    #[must_use]
    pub fn clamped(mut self) -> Self {
        for v in [
            &mut self.max_message_size,
            &mut self.max_frame_size,
            &mut self.max_fragments,
            &mut self.max_handshake_bytes,
            &mut self.max_headers,
            &mut self.max_header_line,
            &mut self.max_pending_output,
        ] {
            *v = (*v).max(1);
        }
        self.max_frame_size = self.max_frame_size.min(self.max_message_size);
        self.max_headers = self.max_headers.min(HEADER_TABLE);
        self.max_header_line = self.max_header_line.min(self.max_handshake_bytes);
        for t in [
            &mut self.handshake_timeout,
            &mut self.ping_interval,
            &mut self.pong_timeout,
            &mut self.close_timeout,
            &mut self.message_timeout,
        ] {
            if *t == Some(Duration::ZERO) {
                *t = Some(Duration::from_millis(1));
            }
        }
        #[cfg(feature = "deflate")]
        {
            self.deflate = self.deflate.clamped();
        }
        self
    }

    /// A preset for small targets (microcontrollers, many idle connections
    /// on a small host): 64 KiB messages and frames, 64 fragments, 4 KiB
    /// handshake heads with at most 32 headers of 2 KiB, 256 KiB of pending
    /// output; with the `deflate` feature, `DeflateConfig::low_memory()`
    /// (9-bit windows, no context takeover: the codec state is freed by
    /// `Connection::shrink_to_fit` between messages).
    ///
    /// ```
    /// let config = rfc6455::Config::low_memory().max_fragments(16);
    /// assert_eq!((config.max_message_size, config.max_frame_size), (64 << 10, 64 << 10));
    /// assert_eq!(config.validate(), Ok(()));
    /// ```
    pub fn low_memory() -> Self {
        Config {
            max_message_size: 64 << 10,
            max_frame_size: 64 << 10,
            max_fragments: 64,
            max_handshake_bytes: 4 << 10,
            max_headers: 32,
            max_header_line: 2 << 10,
            max_pending_output: 256 << 10,
            #[cfg(feature = "deflate")]
            deflate: DeflateConfig::low_memory(),
            ..Config::default()
        }
    }
}

/// A source of unpredictable bytes, for masking keys and `Sec-WebSocket-Key`.
///
/// "The masking key MUST be derived from a strong source of entropy" (RFC 6455
/// §10.3). The crate never picks one itself: clients pass theirs in. With the
/// `std` feature, `OsEntropy` reads the operating system's generator.
pub trait Entropy {
    /// Fills `buf` with unpredictable bytes.
    fn fill(&mut self, buf: &mut [u8]);
}

impl<F: FnMut(&mut [u8])> Entropy for F {
    fn fill(&mut self, buf: &mut [u8]) {
        self(buf)
    }
}

/// Entropy for a server, which never masks: fills with zeros.
pub(crate) struct NoEntropy;

impl Entropy for NoEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        buf.fill(0);
    }
}

/// The operating system's random number generator (via `getrandom`), read
/// 256 bytes at a time.
#[cfg(feature = "std")]
#[derive(Clone)]
pub struct OsEntropy {
    pool: [u8; 256],
    used: usize,
}

#[cfg(feature = "std")]
impl Default for OsEntropy {
    fn default() -> Self {
        OsEntropy {
            pool: [0; 256],
            used: 256,
        }
    }
}

#[cfg(feature = "std")]
impl core::fmt::Debug for OsEntropy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("OsEntropy")
    }
}

#[cfg(feature = "std")]
impl Entropy for OsEntropy {
    fn fill(&mut self, mut buf: &mut [u8]) {
        while !buf.is_empty() {
            if self.used == self.pool.len() {
                if getrandom::fill(&mut self.pool).is_err() {
                    // The OS generator failed (practically never). Fall back
                    // to std's randomly seeded SipHash keys rather than panic.
                    fallback_fill(&mut self.pool);
                }
                self.used = 0;
            }
            let n = buf.len().min(self.pool.len() - self.used);
            buf[..n].copy_from_slice(&self.pool[self.used..self.used + n]);
            self.used += n;
            buf = &mut buf[n..];
        }
    }
}

#[cfg(feature = "std")]
fn fallback_fill(buf: &mut [u8]) {
    use core::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    for (i, chunk) in buf.chunks_mut(8).enumerate() {
        let mut h = state.build_hasher();
        h.write_usize(i);
        let bytes = h.finish().to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_memory_sets_every_limit_it_documents() {
        let c = Config::low_memory();
        assert_eq!(c.max_message_size, 64 << 10);
        assert_eq!(c.max_frame_size, 64 << 10);
        assert_eq!(c.max_fragments, 64);
        assert_eq!(c.max_handshake_bytes, 4 << 10);
        assert_eq!(c.max_headers, 32);
        assert_eq!(c.max_header_line, 2 << 10);
        assert_eq!(c.max_pending_output, 256 << 10);
        #[cfg(feature = "deflate")]
        {
            assert_eq!(c.deflate, DeflateConfig::low_memory());
            // The preset's own fields: level 1, 9-bit windows, no takeover.
            let d = &c.deflate;
            assert_eq!(
                (d.level, d.server_max_window_bits, d.client_max_window_bits),
                (1, 9, 9)
            );
            assert!(d.server_no_context_takeover && d.client_no_context_takeover && d.enabled);
        }
        // Everything else is the default.
        let d = Config::default();
        assert_eq!((c.auto_pong, c.streaming), (d.auto_pong, d.streaming));
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn a_server_never_masks_so_its_entropy_is_zeros() {
        let mut buf = [0xa5u8; 16];
        NoEntropy.fill(&mut buf);
        assert_eq!(buf, [0; 16]);
    }

    #[cfg(feature = "std")]
    #[test]
    fn os_entropy_varies_across_its_pool_refills() {
        let mut e = OsEntropy::default();
        // 600 bytes: three refills of the 256-byte pool, across a boundary.
        let mut a = [0u8; 600];
        e.fill(&mut a[..1]);
        e.fill(&mut a[1..]);
        let mut b = [0u8; 600];
        e.fill(&mut b);
        assert_ne!(a, b);
        // No 16-byte run is all zeros (what an unfilled pool would give).
        for buf in [&a, &b] {
            assert!(buf.chunks(16).all(|c| c.iter().any(|&x| x != 0)));
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn the_fallback_fills_with_unpredictable_bytes() {
        let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
        fallback_fill(&mut a);
        fallback_fill(&mut b);
        assert_ne!(a, [0; 64]);
        assert_ne!(a, b, "each call is seeded anew");
        // The 8-byte words differ from each other too.
        assert!(a.chunks(8).zip(a.chunks(8).skip(1)).all(|(x, y)| x != y));
    }
}
