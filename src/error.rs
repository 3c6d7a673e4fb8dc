//! Errors, sorted by who caused them.
//!
//! - [`ProtocolError`]: the peer broke RFC 6455 after the handshake. It knows
//!   the close code the connection was failed with.
//! - [`HandshakeError`]: the peer sent a bad opening handshake. On the server
//!   it knows the HTTP status that was answered.
//! - [`UsageError`]: the application asked for something it may not; the
//!   command is refused at once and nothing changes.

use core::fmt;

use crate::close::{CloseCode, ClosePayloadError};
#[cfg(feature = "deflate")]
use crate::deflate::ExtensionError;

/// The peer violated the framing or message rules; the connection was
/// failed with [`ProtocolError::close_code`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A client frame was not masked (§5.1).
    UnmaskedFrame,
    /// A server frame was masked (§5.1).
    MaskedFrame,
    /// An RSV bit was set that no negotiated extension owns (§5.2): RSV2
    /// or RSV3, RSV1 without permessage-deflate, or RSV1 on a control or
    /// continuation frame (RFC 7692 §6).
    ReservedBits,
    /// A reserved opcode was used (§5.2).
    ReservedOpcode,
    /// A length was not minimally encoded (§5.2).
    NonMinimalLength,
    /// A 64-bit length had its most significant bit set (§5.2).
    LengthTopBit,
    /// A control frame had a payload over 125 bytes (§5.5).
    ControlFrameTooLong,
    /// A control frame was fragmented (§5.5).
    FragmentedControlFrame,
    /// A continuation frame arrived with no message to continue (§5.4).
    UnexpectedContinuation,
    /// A new data frame arrived while a fragmented message was unfinished (§5.4).
    ExpectedContinuation,
    /// A text message or close reason was not valid UTF-8 (§8.1).
    InvalidUtf8,
    /// A close frame payload was one byte long (§5.5.1).
    InvalidCloseLength,
    /// A close frame carried a code that may not appear on the wire (§7.4).
    InvalidCloseCode(u16),
    /// A frame was longer than `Config::max_frame_size`.
    FrameTooBig,
    /// A message was longer than `Config::max_message_size`.
    MessageTooBig,
    /// A message had more fragments than `Config::max_fragments`.
    TooManyFragments,
    /// A data message took longer than `Config::message_timeout` to
    /// arrive (failed with 1008).
    MessageTimeout,
    /// A compressed message (permessage-deflate) was not valid DEFLATE
    /// data (RFC 7692 §7.2.2): failed with 1007.
    InvalidCompressedData,
}

impl ProtocolError {
    /// The close code the connection is failed with.
    pub fn close_code(&self) -> CloseCode {
        match self {
            ProtocolError::InvalidUtf8 | ProtocolError::InvalidCompressedData => {
                CloseCode::INVALID_PAYLOAD
            }
            ProtocolError::FrameTooBig | ProtocolError::MessageTooBig => CloseCode::MESSAGE_TOO_BIG,
            ProtocolError::TooManyFragments | ProtocolError::MessageTimeout => {
                CloseCode::POLICY_VIOLATION
            }
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }

    pub(crate) fn description(&self) -> &'static str {
        match self {
            ProtocolError::UnmaskedFrame => "unmasked client frame",
            ProtocolError::MaskedFrame => "masked server frame",
            ProtocolError::ReservedBits => "reserved bits set",
            ProtocolError::ReservedOpcode => "reserved opcode",
            ProtocolError::NonMinimalLength => "non-minimal length",
            ProtocolError::LengthTopBit => "64-bit length with top bit set",
            ProtocolError::ControlFrameTooLong => "control frame over 125 bytes",
            ProtocolError::FragmentedControlFrame => "fragmented control frame",
            ProtocolError::UnexpectedContinuation => "continuation with nothing to continue",
            ProtocolError::ExpectedContinuation => "new message inside a fragmented one",
            ProtocolError::InvalidUtf8 => "invalid UTF-8",
            ProtocolError::InvalidCloseLength => "one-byte close payload",
            ProtocolError::InvalidCloseCode(_) => "invalid close code",
            ProtocolError::FrameTooBig => "frame too big",
            ProtocolError::MessageTooBig => "message too big",
            ProtocolError::TooManyFragments => "too many fragments",
            ProtocolError::MessageTimeout => "message took too long to arrive",
            ProtocolError::InvalidCompressedData => "invalid compressed data",
        }
    }
}

impl From<ClosePayloadError> for ProtocolError {
    fn from(e: ClosePayloadError) -> Self {
        match e {
            ClosePayloadError::OneByte => ProtocolError::InvalidCloseLength,
            ClosePayloadError::Code(c) => ProtocolError::InvalidCloseCode(c),
            ClosePayloadError::Reason => ProtocolError::InvalidUtf8,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::InvalidCloseCode(c) => write!(f, "invalid close code {c}"),
            e => f.write_str(e.description()),
        }
    }
}

impl core::error::Error for ProtocolError {}

/// The peer's opening handshake was invalid.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The head is not valid HTTP/1.1.
    Malformed,
    /// The head is longer than `Config::max_handshake_bytes`.
    HeadTooLarge,
    /// The head has more headers than `Config::max_headers`.
    TooManyHeaders,
    /// A header line, or a response's status line, is longer than
    /// `Config::max_header_line` (a server answers 431).
    LineTooLong,
    /// A request line is longer than `Config::max_header_line`: its target
    /// is longer than the server will parse (a server answers 414, RFC 9112
    /// §3).
    RequestLineTooLong,
    /// The request method is not GET (§4.2.1).
    Method,
    /// The request is not HTTP/1.1 or higher (§4.2.1), or a 101 response
    /// is not HTTP/1.1: HTTP/1.0 has no protocol upgrade.
    HttpVersion,
    /// A header the handshake needs is missing; the name says which.
    MissingHeader(&'static str),
    /// A header that may appear only once appeared more than once.
    DuplicateHeader(&'static str),
    /// `Upgrade` does not name `websocket`, or `Connection` lacks `upgrade`.
    NotUpgrade,
    /// `Sec-WebSocket-Key` is not base64 of 16 bytes (§4.2.1).
    BadKey,
    /// `Sec-WebSocket-Version` is not 13 (§4.2.2: answered with 426).
    UnsupportedVersion,
    /// The server's `Sec-WebSocket-Accept` does not match our key (§4.1).
    BadAccept,
    /// The server chose a subprotocol we did not offer (§4.1).
    UnofferedProtocol,
    /// The server accepted an extension we did not offer (§4.1).
    UnofferedExtension,
    /// The server answered 101 with something other than a WebSocket upgrade.
    UnexpectedResponse,
    /// The transport closed before the handshake finished.
    Eof,
    /// The handshake did not finish within `Config::handshake_timeout`
    /// (a server answers 408).
    Timeout,
    /// Server: the client sent more behind its request head, before the
    /// application answered it, than one frame of `Config::max_frame_size`
    /// (with its 14-byte header) or `Config::max_handshake_bytes`, whichever
    /// is larger. "Once the client's opening handshake has been sent, the
    /// client MUST wait for a response from the server before sending any
    /// further data" (§4.1); what clients that send early need is kept, not
    /// more. Answered with 400.
    EarlyData,
    /// Client: the server's permessage-deflate answer breaks RFC 7692
    /// §7.1 or does not fit our offer; the error says which rule.
    #[cfg(feature = "deflate")]
    Extension(ExtensionError),
}

impl HandshakeError {
    /// The HTTP status a server answers this error with.
    pub fn http_status(&self) -> u16 {
        match self {
            HandshakeError::HeadTooLarge
            | HandshakeError::TooManyHeaders
            | HandshakeError::LineTooLong => 431,
            HandshakeError::RequestLineTooLong => 414,
            HandshakeError::Method => 405,
            HandshakeError::HttpVersion => 505,
            HandshakeError::UnsupportedVersion => 426,
            HandshakeError::Timeout => 408,
            _ => 400,
        }
    }
}

impl HandshakeError {
    /// The body of the automatic error response.
    pub(crate) fn body_text(self) -> &'static str {
        match self.http_status() {
            405 => "method must be GET",
            408 => "request not received in time",
            414 => "request target too long",
            426 => "Sec-WebSocket-Version must be 13",
            431 => "request head too large",
            505 => "HTTP/1.1 required",
            _ => "bad WebSocket upgrade request",
        }
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::Malformed => f.write_str("malformed HTTP head"),
            HandshakeError::HeadTooLarge => f.write_str("HTTP head too large"),
            HandshakeError::TooManyHeaders => f.write_str("too many headers"),
            HandshakeError::LineTooLong => f.write_str("header line too long"),
            HandshakeError::RequestLineTooLong => f.write_str("request line too long"),
            HandshakeError::Method => f.write_str("method is not GET"),
            HandshakeError::HttpVersion => f.write_str("HTTP version is not 1.1"),
            HandshakeError::MissingHeader(h) => write!(f, "missing or invalid {h} header"),
            HandshakeError::DuplicateHeader(h) => write!(f, "duplicate {h} header"),
            HandshakeError::NotUpgrade => f.write_str("not a WebSocket upgrade"),
            HandshakeError::BadKey => f.write_str("invalid Sec-WebSocket-Key"),
            HandshakeError::UnsupportedVersion => f.write_str("unsupported Sec-WebSocket-Version"),
            HandshakeError::BadAccept => f.write_str("Sec-WebSocket-Accept does not match"),
            HandshakeError::UnofferedProtocol => {
                f.write_str("server chose an unoffered subprotocol")
            }
            HandshakeError::UnofferedExtension => {
                f.write_str("server chose an unoffered extension")
            }
            HandshakeError::UnexpectedResponse => {
                f.write_str("101 response is not a WebSocket upgrade")
            }
            HandshakeError::Eof => f.write_str("transport closed during the handshake"),
            HandshakeError::Timeout => f.write_str("opening handshake timed out"),
            HandshakeError::EarlyData => {
                f.write_str("too much data sent before the handshake was answered")
            }
            #[cfg(feature = "deflate")]
            HandshakeError::Extension(e) => {
                write!(f, "permessage-deflate negotiation failed: {e}")
            }
        }
    }
}

impl core::error::Error for HandshakeError {}

/// What the peer did wrong: carried by [`crate::Event::Error`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PeerError {
    /// A violation after the handshake.
    Protocol(ProtocolError),
    /// A bad opening handshake.
    Handshake(HandshakeError),
    /// Dead-peer detection: nothing arrived within `Config::pong_timeout`
    /// of a keepalive ping. The connection failed with 1006, unclean.
    Unresponsive,
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerError::Protocol(e) => fmt::Display::fmt(e, f),
            PeerError::Handshake(e) => fmt::Display::fmt(e, f),
            PeerError::Unresponsive => f.write_str("peer did not answer a keepalive ping"),
        }
    }
}

impl core::error::Error for PeerError {}

/// The application asked for something it may not. Nothing was changed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UsageError {
    /// The command does not fit the connection's state (e.g. sending before
    /// the handshake or after our close frame).
    InvalidState,
    /// A data message was sent while a fragmented one is unfinished.
    MessageInProgress,
    /// A fragment continued a message of the other kind, or none was started.
    FragmentKind,
    /// A control payload was over 125 bytes (§5.5).
    ControlTooLong,
    /// The close code may not be sent (§7.4.1).
    InvalidCloseCode(u16),
    /// The close reason is over 123 bytes.
    ReasonTooLong,
    /// Text was not valid UTF-8.
    InvalidUtf8,
    /// Sending would take the output queue over `Config::max_pending_output`.
    OutputFull,
    /// A header name is not an HTTP token, or a value holds CR, LF or NUL.
    InvalidHeader,
    /// The header is set by the handshake itself and may not be added.
    ReservedHeader,
    /// A subprotocol is not an HTTP token, or was not offered by the client.
    InvalidProtocol,
    /// The URL or request target is not a valid `ws://` / `wss://` target.
    InvalidUrl,
    /// The HTTP status is out of range or 101.
    InvalidStatus,
    /// The configuration breaks the rule named (see [`crate::Config::validate`]).
    InvalidConfig(&'static str),
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::InvalidState => f.write_str("not allowed in the connection's state"),
            UsageError::MessageInProgress => f.write_str("a fragmented message is unfinished"),
            UsageError::FragmentKind => f.write_str("fragment does not continue the message"),
            UsageError::ControlTooLong => f.write_str("control payload over 125 bytes"),
            UsageError::InvalidCloseCode(c) => write!(f, "close code {c} may not be sent"),
            UsageError::ReasonTooLong => f.write_str("close reason over 123 bytes"),
            UsageError::InvalidUtf8 => f.write_str("text is not valid UTF-8"),
            UsageError::OutputFull => f.write_str("output queue is full"),
            UsageError::InvalidHeader => f.write_str("invalid header name or value"),
            UsageError::ReservedHeader => f.write_str("header is set by the handshake"),
            UsageError::InvalidProtocol => f.write_str("invalid or unoffered subprotocol"),
            UsageError::InvalidUrl => f.write_str("invalid WebSocket URL"),
            UsageError::InvalidStatus => f.write_str("invalid HTTP status"),
            UsageError::InvalidConfig(rule) => write!(f, "invalid configuration: {rule}"),
        }
    }
}

impl core::error::Error for UsageError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_status_has_its_own_body() {
        for (e, status, body) in [
            (HandshakeError::Method, 405, "method must be GET"),
            (HandshakeError::Timeout, 408, "request not received in time"),
            (
                HandshakeError::RequestLineTooLong,
                414,
                "request target too long",
            ),
            (
                HandshakeError::UnsupportedVersion,
                426,
                "Sec-WebSocket-Version must be 13",
            ),
            (HandshakeError::HeadTooLarge, 431, "request head too large"),
            (
                HandshakeError::TooManyHeaders,
                431,
                "request head too large",
            ),
            (HandshakeError::LineTooLong, 431, "request head too large"),
            (HandshakeError::HttpVersion, 505, "HTTP/1.1 required"),
            (HandshakeError::BadKey, 400, "bad WebSocket upgrade request"),
            (
                HandshakeError::EarlyData,
                400,
                "bad WebSocket upgrade request",
            ),
        ] {
            assert_eq!((e.http_status(), e.body_text()), (status, body), "{e:?}");
        }
    }
}
