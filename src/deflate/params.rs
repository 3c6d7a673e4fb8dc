//! Parameters and negotiation (RFC 7692 §5, §7.1): the configuration, a
//! client's offer, what both sides agreed, and the rules that check a
//! server's answer (client) or pick an offer (server).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::header::parse_extension_header;
use crate::connection::Role;
use crate::error::UsageError;
use crate::handshake::Extension;

/// The extension's name in `Sec-WebSocket-Extensions` (RFC 7692 §7).
pub const PERMESSAGE_DEFLATE: &str = "permessage-deflate";

const MIN_WINDOW_BITS: u8 = 8;
const MAX_WINDOW_BITS: u8 = 15;

/// How permessage-deflate is offered, accepted and used.
///
/// The same value serves both roles. Fields named `server_*` govern what
/// the server compresses, `client_*` what the client compresses:
///
/// - a **client** offers them: it asks the server for `server_*` and
///   promises `client_*` (and then holds the server's answer to the
///   request);
/// - a **server** applies `server_*` to itself whatever the client offers,
///   and asks the client for `client_*` where the client's offer lets it
///   (a client that did not offer `client_max_window_bits` cannot be asked
///   for a smaller window, RFC 7692 §7.1.2.2; its offer is accepted
///   anyway: the decompressor handles any window).
///
/// The defaults are those of browsers and Node's `ws`: context takeover in
/// both directions, 15-bit (32 KiB) windows, level 6, and messages under
/// 1 KiB sent uncompressed. Build it from [`DeflateConfig::default`] or
/// [`DeflateConfig::low_memory`] and the setters:
///
/// ```
/// use rfc6455::DeflateConfig;
/// let config = DeflateConfig::default().level(1).server_no_context_takeover(true);
/// assert_eq!(config.validate(), Ok(()));
/// assert_eq!(config.offer_header(),
///     "permessage-deflate; client_max_window_bits; server_no_context_takeover");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// Offer (client) or accept (server) the extension at all. Default true.
    pub enabled: bool,
    /// The compression level, 0 (stored blocks only) to 9 (smallest
    /// output, slowest). Default 6.
    pub level: u8,
    /// The server resets its compression context after every message
    /// (RFC 7692 §7.1.1.1). Default false.
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after every message
    /// (RFC 7692 §7.1.1.2). Default false.
    pub client_no_context_takeover: bool,
    /// The largest LZ77 window the server compresses with, as a power of
    /// two: 8 to 15 (RFC 7692 §7.1.2.1). Default 15 (32 KiB). 8 is
    /// honoured by compressing with zlib's 9-bit window, whose longest
    /// match distance is 250 bytes (see [`crate::Compressor::new`]).
    pub server_max_window_bits: u8,
    /// The largest LZ77 window the client compresses with, 8 to 15
    /// (RFC 7692 §7.1.2.2). Default 15.
    pub client_max_window_bits: u8,
    /// Messages shorter than this many bytes are sent uncompressed (the
    /// extension lets every message choose). Default 1024, as Node's `ws`.
    pub threshold: usize,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig {
            enabled: true,
            level: 6,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
            threshold: 1024,
        }
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $field:ident: $ty:ty;)*) => {
        impl DeflateConfig {
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
    /// Sets [`DeflateConfig::enabled`](#structfield.enabled).
    enabled: bool;
    /// Sets [`DeflateConfig::level`](#structfield.level).
    level: u8;
    /// Sets [`DeflateConfig::server_no_context_takeover`](#structfield.server_no_context_takeover).
    server_no_context_takeover: bool;
    /// Sets [`DeflateConfig::client_no_context_takeover`](#structfield.client_no_context_takeover).
    client_no_context_takeover: bool;
    /// Sets [`DeflateConfig::server_max_window_bits`](#structfield.server_max_window_bits).
    server_max_window_bits: u8;
    /// Sets [`DeflateConfig::client_max_window_bits`](#structfield.client_max_window_bits).
    client_max_window_bits: u8;
    /// Sets [`DeflateConfig::threshold`](#structfield.threshold).
    threshold: usize;
}

impl DeflateConfig {
    /// The defaults (see the type's documentation).
    pub fn new() -> Self {
        DeflateConfig::default()
    }

    /// Compression off: a client offers nothing, a server declines every
    /// offer.
    pub fn disabled() -> Self {
        DeflateConfig::default().enabled(false)
    }

    /// A preset for small targets: 9-bit (512-byte) windows and no context
    /// takeover in both directions, level 1. Without context takeover the
    /// state of either direction is needed only while a message is being
    /// compressed or decompressed, so a connection may drop it in between.
    ///
    /// ```
    /// let config = rfc6455::DeflateConfig::low_memory();
    /// assert_eq!(config.offer_header(), "permessage-deflate; client_max_window_bits=9; \
    ///     server_max_window_bits=9; server_no_context_takeover; client_no_context_takeover");
    /// ```
    pub fn low_memory() -> Self {
        DeflateConfig {
            level: 1,
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: 9,
            client_max_window_bits: 9,
            ..DeflateConfig::default()
        }
    }

    /// Checks the values, naming the first rule broken: window bits are 8
    /// to 15 (RFC 7692 §7.1.2), the level 0 to 9.
    pub fn validate(&self) -> Result<(), UsageError> {
        if !(MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(&self.server_max_window_bits) {
            return Err(UsageError::InvalidConfig(
                "server_max_window_bits is not 8 to 15",
            ));
        }
        if !(MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(&self.client_max_window_bits) {
            return Err(UsageError::InvalidConfig(
                "client_max_window_bits is not 8 to 15",
            ));
        }
        if self.level > 9 {
            return Err(UsageError::InvalidConfig("level is over 9"));
        }
        Ok(())
    }

    /// The nearest configuration that [`validate`](Self::validate)
    /// accepts: window bits and level clamped into range. Negotiation uses
    /// it, so an invalid configuration never reaches the wire.
    #[must_use]
    pub fn clamped(mut self) -> Self {
        self.server_max_window_bits = clamp_bits(self.server_max_window_bits);
        self.client_max_window_bits = clamp_bits(self.client_max_window_bits);
        self.level = self.level.min(9);
        self
    }

    // ---- client ----

    /// The offer a client sends for this configuration. It always offers
    /// `client_max_window_bits` (with our window when under 15): that tells
    /// the server we can compress with a smaller window if asked. `None`
    /// when disabled.
    pub fn offer(&self) -> Option<DeflateOffer> {
        if !self.enabled {
            return None;
        }
        let c = self.clone().clamped();
        Some(DeflateOffer {
            server_no_context_takeover: c.server_no_context_takeover,
            client_no_context_takeover: c.client_no_context_takeover,
            server_max_window_bits: (c.server_max_window_bits < MAX_WINDOW_BITS)
                .then_some(c.server_max_window_bits),
            client_max_window_bits: Some(c.client_max_window_bits),
        })
    }

    /// The `Sec-WebSocket-Extensions` value a client sends: [`offer`] as
    /// text, or an empty string when disabled (send no header then).
    ///
    /// [`offer`]: Self::offer
    pub fn offer_header(&self) -> String {
        self.offer().map(|o| o.header_value()).unwrap_or_default()
    }

    /// Client: checks the server's `Sec-WebSocket-Extensions` values (every
    /// header line, in order) against [`offer`](Self::offer) (see
    /// [`DeflateOffer::accept_response`]). `Ok(None)`: the server declined
    /// compression.
    pub fn accept_response<I, V>(&self, values: I) -> Result<Option<DeflateParams>, ExtensionError>
    where
        I: IntoIterator<Item = V>,
        V: AsRef<[u8]>,
    {
        match self.offer() {
            Some(offer) => offer.accept_response(values),
            None => {
                // "If a server responds with an extension that was not
                // requested by the client, the client MUST _Fail the
                // WebSocket Connection_" (RFC 6455 §9.1).
                if parse_extension_header(values)?.is_empty() {
                    Ok(None)
                } else {
                    Err(ExtensionError::UnofferedExtension)
                }
            }
        }
    }

    // ---- server ----

    /// Server: reads every offer of the client's `Sec-WebSocket-Extensions`
    /// values (every header line, in order) and accepts the first
    /// permessage-deflate offer that is well formed, returning what was
    /// agreed and the value to answer with. `None`: no compression (the
    /// configuration is disabled, the header is malformed, or no offer is
    /// acceptable). Other extensions are left alone.
    ///
    /// "A server MUST decline an extension negotiation offer for this
    /// extension if any of the following conditions are met: The
    /// negotiation offer contains an extension parameter not defined for
    /// use in an offer. The negotiation offer contains an extension
    /// parameter with an invalid value. The negotiation offer contains
    /// multiple extension parameters with the same name. The server
    /// doesn't support the offered configuration." (RFC 7692 §7.1). The
    /// last never applies: every window from 8 to 15 and either takeover
    /// rule can be honoured.
    pub fn select<I, V>(&self, values: I) -> Option<(DeflateParams, String)>
    where
        I: IntoIterator<Item = V>,
        V: AsRef<[u8]>,
    {
        let exts = parse_extension_header(values).ok()?;
        self.select_from(&exts)
    }

    /// [`select`](Self::select) over extensions already parsed (e.g.
    /// `Request::extensions`).
    pub fn select_from(&self, offers: &[Extension]) -> Option<(DeflateParams, String)> {
        offers
            .iter()
            .filter(|e| e.name == PERMESSAGE_DEFLATE)
            .find_map(|e| self.accept_offer(&DeflateOffer::from_extension(e).ok()?))
    }

    /// Server: what this configuration agrees to for one offer, and the
    /// answer. `None` when disabled.
    pub fn accept_offer(&self, offer: &DeflateOffer) -> Option<(DeflateParams, String)> {
        if !self.enabled {
            return None;
        }
        let c = self.clone().clamped();
        // server_no_context_takeover: "A server accepts an extension
        // negotiation offer that includes the "server_no_context_takeover"
        // extension parameter by including the "server_no_context_takeover"
        // extension parameter in the corresponding extension negotiation
        // response"; the server may also include it unasked (§7.1.1.1).
        let server_no_context_takeover =
            offer.server_no_context_takeover || c.server_no_context_takeover;
        // client_no_context_takeover in an offer is a hint; the server
        // "MAY include" it in any response (§7.1.1.2). Only our answer binds
        // the client, so only it lets our decompressor reset.
        let client_no_context_takeover = c.client_no_context_takeover;
        // server_max_window_bits: answer "the same or smaller value as the
        // offer" (§7.1.2.1); the server may name it unasked.
        let server_max_window_bits = match offer.server_max_window_bits {
            Some(asked) => asked.min(c.server_max_window_bits),
            None => c.server_max_window_bits,
        };
        // client_max_window_bits: "If a received extension negotiation
        // offer doesn't have the "client_max_window_bits" extension
        // parameter, the corresponding extension negotiation response to
        // the offer MUST NOT include the "client_max_window_bits"
        // extension parameter" (§7.1.2.2); an offered value is the most
        // the client will use, and an answer must not exceed it.
        let (client_max_window_bits, answer_client_window) = match offer.client_max_window_bits {
            Some(offered) => {
                let w = offered.min(c.client_max_window_bits);
                (w, w < MAX_WINDOW_BITS)
            }
            None => (MAX_WINDOW_BITS, false),
        };
        let params = DeflateParams {
            server_no_context_takeover,
            client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        };
        let mut answer = String::from(PERMESSAGE_DEFLATE);
        if server_no_context_takeover {
            answer.push_str("; server_no_context_takeover");
        }
        if client_no_context_takeover {
            answer.push_str("; client_no_context_takeover");
        }
        if offer.server_max_window_bits.is_some() || server_max_window_bits < MAX_WINDOW_BITS {
            answer.push_str(&format!(
                "; server_max_window_bits={server_max_window_bits}"
            ));
        }
        if answer_client_window {
            answer.push_str(&format!(
                "; client_max_window_bits={client_max_window_bits}"
            ));
        }
        Some((params, answer))
    }
}

fn clamp_bits(b: u8) -> u8 {
    b.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS)
}

/// One permessage-deflate offer: what a client sends, or what a server
/// read (RFC 7692 §7.1).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct DeflateOffer {
    /// The client asks the server to reset its context per message.
    pub server_no_context_takeover: bool,
    /// The client says it will reset its own context per message (a hint:
    /// only the server's answer binds it).
    pub client_no_context_takeover: bool,
    /// The largest window the client asks the server to use, 8 to 15.
    pub server_max_window_bits: Option<u8>,
    /// `Some` when the client offered `client_max_window_bits`: it can be
    /// asked for a smaller window. The value is the most it will use: 15
    /// stands for the parameter without a value, which means the same.
    pub client_max_window_bits: Option<u8>,
}

impl DeflateOffer {
    /// Reads the parameters of a `permessage-deflate` element, with the
    /// rules a server declines an offer by (RFC 7692 §7.1): only the four
    /// parameters defined for an offer, none twice, valid values. The
    /// extension's name is not checked.
    pub fn from_extension(ext: &Extension) -> Result<DeflateOffer, ExtensionError> {
        let mut offer = DeflateOffer::default();
        let mut seen = Seen::default();
        for (name, value) in &ext.params {
            let value = value.as_deref();
            match name.as_str() {
                "server_no_context_takeover" => {
                    seen.once(0)?;
                    flag(value)?;
                    offer.server_no_context_takeover = true;
                }
                "client_no_context_takeover" => {
                    seen.once(1)?;
                    flag(value)?;
                    offer.client_no_context_takeover = true;
                }
                "server_max_window_bits" => {
                    seen.once(2)?;
                    // "This parameter has a decimal integer value without
                    // leading zeroes between 8 to 15, inclusive" (§7.1.2.1).
                    offer.server_max_window_bits = Some(window_bits(value)?);
                }
                "client_max_window_bits" => {
                    seen.once(3)?;
                    // "This parameter has no value or a decimal integer
                    // value without leading zeroes between 8 to 15
                    // inclusive" (§7.1.2.2).
                    offer.client_max_window_bits = Some(match value {
                        None => MAX_WINDOW_BITS,
                        v => window_bits(v)?,
                    });
                }
                _ => return Err(ExtensionError::UnknownParameter),
            }
        }
        Ok(offer)
    }

    /// The offer as one `Sec-WebSocket-Extensions` element.
    pub fn header_value(&self) -> String {
        let mut s = String::from(PERMESSAGE_DEFLATE);
        match self.client_max_window_bits {
            Some(MAX_WINDOW_BITS) => s.push_str("; client_max_window_bits"),
            Some(w) => s.push_str(&format!("; client_max_window_bits={w}")),
            None => {}
        }
        if let Some(w) = self.server_max_window_bits {
            s.push_str(&format!("; server_max_window_bits={w}"));
        }
        if self.server_no_context_takeover {
            s.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            s.push_str("; client_no_context_takeover");
        }
        s
    }

    /// Client: checks the server's `Sec-WebSocket-Extensions` values (every
    /// header line, in order) against this offer. `Ok(None)`: no extension
    /// accepted, so no compression. An error fails the handshake.
    ///
    /// "A client MUST _Fail the WebSocket Connection_ if the peer server
    /// accepted an extension negotiation offer for this extension with an
    /// extension negotiation response meeting any of the following
    /// conditions: The negotiation response contains an extension
    /// parameter not defined for use in a response. The negotiation
    /// response contains an extension parameter with an invalid value. The
    /// negotiation response contains multiple extension parameters with
    /// the same name. The client does not support the configuration that
    /// the response represents." (RFC 7692 §7.1)
    pub fn accept_response<I, V>(&self, values: I) -> Result<Option<DeflateParams>, ExtensionError>
    where
        I: IntoIterator<Item = V>,
        V: AsRef<[u8]>,
    {
        let exts = parse_extension_header(values)?;
        let mut agreed = None;
        for ext in &exts {
            if ext.name != PERMESSAGE_DEFLATE {
                // We offered nothing else (RFC 6455 §9.1).
                return Err(ExtensionError::UnofferedExtension);
            }
            if agreed.is_some() {
                // Both would own RSV1: "A client that received a response
                // accepting a PMCE extension negotiation offer together
                // with such an extension MUST _Fail the WebSocket
                // Connection_" (RFC 7692 §5).
                return Err(ExtensionError::DuplicateExtension);
            }
            agreed = Some(self.check_response(ext)?);
        }
        Ok(agreed)
    }

    pub(crate) fn check_response(&self, ext: &Extension) -> Result<DeflateParams, ExtensionError> {
        let mut seen = Seen::default();
        let mut server_nct = false;
        let mut client_nct = false;
        let mut server_bits = None;
        let mut client_bits = None;
        for (name, value) in &ext.params {
            let value = value.as_deref();
            match name.as_str() {
                "server_no_context_takeover" => {
                    seen.once(0)?;
                    flag(value)?;
                    server_nct = true;
                }
                "client_no_context_takeover" => {
                    seen.once(1)?;
                    flag(value)?;
                    client_nct = true;
                }
                "server_max_window_bits" => {
                    seen.once(2)?;
                    server_bits = Some(window_bits(value)?);
                }
                "client_max_window_bits" => {
                    seen.once(3)?;
                    // In a response it "has a decimal integer value"
                    // (§7.1.2.2): a bare parameter is invalid here.
                    client_bits = Some(window_bits(value)?);
                }
                _ => return Err(ExtensionError::UnknownParameter),
            }
        }
        // "A server accepts an extension negotiation offer that includes
        // the "server_no_context_takeover" extension parameter by including
        // the "server_no_context_takeover" extension parameter in the
        // corresponding extension negotiation response" (§7.1.1.1).
        if self.server_no_context_takeover && !server_nct {
            return Err(ExtensionError::MissingServerNoContextTakeover);
        }
        // "A server accepts an extension negotiation offer with this
        // parameter by including the "server_max_window_bits" extension
        // parameter in the extension negotiation response to send back to
        // the client with the same or smaller value as the offer"
        // (§7.1.2.1). Unasked, any valid value is fine.
        let server_max_window_bits = match (self.server_max_window_bits, server_bits) {
            (Some(_), None) => return Err(ExtensionError::MissingServerMaxWindowBits),
            (Some(asked), Some(got)) if got > asked => {
                return Err(ExtensionError::ServerWindowTooLarge);
            }
            (_, got) => got.unwrap_or(MAX_WINDOW_BITS),
        };
        // "If a received extension negotiation offer doesn't have the
        // "client_max_window_bits" extension parameter, the corresponding
        // extension negotiation response to the offer MUST NOT include the
        // "client_max_window_bits" extension parameter" (§7.1.2.2); an
        // answer above the value we offered is a configuration we do not
        // support.
        let client_max_window_bits = match (self.client_max_window_bits, client_bits) {
            (None, Some(_)) => return Err(ExtensionError::UnofferedClientWindow),
            (Some(offered), Some(got)) if got > offered => {
                return Err(ExtensionError::ClientWindowTooLarge);
            }
            (offered, got) => got.or(offered).unwrap_or(MAX_WINDOW_BITS),
        };
        Ok(DeflateParams {
            server_no_context_takeover: server_nct,
            // We keep our own promise even when the server did not ask.
            client_no_context_takeover: client_nct || self.client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        })
    }
}

/// Which of the four parameters have been seen (a bit each).
#[derive(Default)]
struct Seen(u8);

impl Seen {
    fn once(&mut self, bit: u8) -> Result<(), ExtensionError> {
        if self.0 & (1 << bit) != 0 {
            return Err(ExtensionError::DuplicateParameter);
        }
        self.0 |= 1 << bit;
        Ok(())
    }
}

/// The no-context-takeover parameters "have no value" (§7.1.1).
fn flag(value: Option<&str>) -> Result<(), ExtensionError> {
    match value {
        None => Ok(()),
        Some(_) => Err(ExtensionError::InvalidValue),
    }
}

/// "a decimal integer value without leading zeroes between 8 to 15,
/// inclusive" (§7.1.2).
fn window_bits(value: Option<&str>) -> Result<u8, ExtensionError> {
    let v = value.ok_or(ExtensionError::InvalidValue)?;
    match v {
        "8" => Ok(8),
        "9" => Ok(9),
        "10" => Ok(10),
        "11" => Ok(11),
        "12" => Ok(12),
        "13" => Ok(13),
        "14" => Ok(14),
        "15" => Ok(15),
        _ => Err(ExtensionError::InvalidValue),
    }
}

/// What both sides agreed: for each direction, the largest window and
/// whether the context is reset after every message. A client gets it
/// from [`DeflateConfig::accept_response`], a server from
/// [`DeflateConfig::select`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server resets its compressor (and the client its decompressor)
    /// after every message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor (and the server its decompressor)
    /// after every message.
    pub client_no_context_takeover: bool,
    /// The largest window the server compresses with, 8 to 15.
    pub server_max_window_bits: u8,
    /// The largest window the client compresses with, 8 to 15.
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    /// What a bare `permessage-deflate` agrees: 15-bit windows, context
    /// takeover both ways.
    fn default() -> Self {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
        }
    }
}

/// One direction of a [`DeflateParams`], seen from one endpoint.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct DeflateDirection {
    /// The window, 8 to 15.
    pub window_bits: u8,
    /// Reset the context after every message.
    pub no_context_takeover: bool,
}

impl DeflateParams {
    /// What our compressor uses, for the endpoint in `role`.
    pub fn compressor(&self, role: Role) -> DeflateDirection {
        match role {
            Role::Server => self.server_direction(),
            Role::Client => self.client_direction(),
        }
    }

    /// What our decompressor uses (the peer's compressor), for the endpoint
    /// in `role`.
    pub fn decompressor(&self, role: Role) -> DeflateDirection {
        match role {
            Role::Server => self.client_direction(),
            Role::Client => self.server_direction(),
        }
    }

    fn server_direction(&self) -> DeflateDirection {
        DeflateDirection {
            window_bits: self.server_max_window_bits,
            no_context_takeover: self.server_no_context_takeover,
        }
    }

    fn client_direction(&self) -> DeflateDirection {
        DeflateDirection {
            window_bits: self.client_max_window_bits,
            no_context_takeover: self.client_no_context_takeover,
        }
    }
}

/// A permessage-deflate negotiation failed: the header was malformed, or
/// (client) the server's answer breaks RFC 7692 §7.1 or the offer. A
/// client fails the handshake with it; a server declines the offer
/// instead (no compression).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtensionError {
    /// `Sec-WebSocket-Extensions` does not follow the grammar of RFC 6455
    /// §9.1 (a quoted value must also be a token once unquoted).
    Malformed,
    /// The server accepted an extension we did not offer (RFC 6455 §9.1).
    UnofferedExtension,
    /// The server accepted permessage-deflate twice: both would own RSV1
    /// (RFC 7692 §5).
    DuplicateExtension,
    /// A parameter not defined for permessage-deflate (RFC 7692 §7.1).
    UnknownParameter,
    /// A parameter appeared more than once (RFC 7692 §7.1).
    DuplicateParameter,
    /// A parameter's value is invalid: window bits not 8 to 15 in decimal
    /// without leading zeros, a value on a no-context-takeover parameter,
    /// or a missing value (RFC 7692 §7.1).
    InvalidValue,
    /// The server answered `client_max_window_bits`, which we did not
    /// offer (RFC 7692 §7.1.2.2).
    UnofferedClientWindow,
    /// The server's `client_max_window_bits` is above the value we offered
    /// (RFC 7692 §7.1.2.2).
    ClientWindowTooLarge,
    /// The server's `server_max_window_bits` is above the value we asked
    /// for (RFC 7692 §7.1.2.1).
    ServerWindowTooLarge,
    /// We asked for `server_max_window_bits` and the answer lacks it: the
    /// server did not accept our offer as made (RFC 7692 §7.1.2.1).
    MissingServerMaxWindowBits,
    /// We asked for `server_no_context_takeover` and the answer lacks it
    /// (RFC 7692 §7.1.1.1).
    MissingServerNoContextTakeover,
}

impl ExtensionError {
    pub(crate) fn description(&self) -> &'static str {
        match self {
            ExtensionError::Malformed => "malformed extension list",
            ExtensionError::UnofferedExtension => "server accepted an unoffered extension",
            ExtensionError::DuplicateExtension => "server accepted permessage-deflate twice",
            ExtensionError::UnknownParameter => "unknown permessage-deflate parameter",
            ExtensionError::DuplicateParameter => "duplicate permessage-deflate parameter",
            ExtensionError::InvalidValue => "invalid permessage-deflate parameter value",
            ExtensionError::UnofferedClientWindow => {
                "server answered client_max_window_bits, which was not offered"
            }
            ExtensionError::ClientWindowTooLarge => {
                "server's client_max_window_bits is above the offered value"
            }
            ExtensionError::ServerWindowTooLarge => {
                "server's server_max_window_bits is above the requested value"
            }
            ExtensionError::MissingServerMaxWindowBits => {
                "server did not answer the requested server_max_window_bits"
            }
            ExtensionError::MissingServerNoContextTakeover => {
                "server did not answer the requested server_no_context_takeover"
            }
        }
    }
}

impl fmt::Display for ExtensionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

impl core::error::Error for ExtensionError {}

/// The offers in `exts` that name permessage-deflate, each read with
/// [`DeflateOffer::from_extension`]: what the client offered, in order,
/// including the malformed ones (as their error).
pub fn deflate_offers(exts: &[Extension]) -> Vec<Result<DeflateOffer, ExtensionError>> {
    exts.iter()
        .filter(|e| e.name == PERMESSAGE_DEFLATE)
        .map(DeflateOffer::from_extension)
        .collect()
}
