//! Close codes and close frame payloads (RFC 6455 §5.5.1, §7.4).

use core::fmt;

/// A close status code (RFC 6455 §7.4). An open newtype: any `u16` is
/// representable, the named constants are those the RFC and the IANA
/// registry define.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose for which the connection was established has been fulfilled.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: an endpoint is "going away", such as a server going down.
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: the endpoint is terminating the connection due to a protocol error.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: the endpoint received a type of data it cannot accept.
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1005: reserved; reports that no status code was present. Never sent.
    pub const NO_STATUS_RCVD: CloseCode = CloseCode(1005);
    /// 1006: reserved; reports that the connection closed abnormally. Never sent.
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: data within a message was not consistent with its type (e.g. non-UTF-8 text).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: a message violates the endpoint's policy.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: a message is too big to process.
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the client expected the server to negotiate an extension.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: the server encountered an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);
    /// 1012: the service is restarting (IANA registry).
    pub const SERVICE_RESTART: CloseCode = CloseCode(1012);
    /// 1013: try again later (IANA registry).
    pub const TRY_AGAIN_LATER: CloseCode = CloseCode(1013);
    /// 1014: the gateway or proxy received an invalid response (IANA registry).
    pub const BAD_GATEWAY: CloseCode = CloseCode(1014);
    /// 1015: reserved; reports a TLS handshake failure. Never sent.
    pub const TLS_HANDSHAKE: CloseCode = CloseCode(1015);

    /// The numeric value.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// Whether the code may appear in a close frame, sent or received.
    ///
    /// 1000–1003 and 1007–1014 are defined for use on the wire; 1004 is
    /// reserved, and 1005, 1006 and 1015 "MUST NOT be set as a status code in
    /// a Close control frame by an endpoint" (§7.4.1). 0–999 are "not used",
    /// 1016–2999 are reserved for future revisions of the protocol, 3000–3999
    /// are registered with IANA and 4000–4999 are for private use (§7.4.2).
    pub const fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }

    fn name(self) -> Option<&'static str> {
        Some(match self {
            CloseCode::NORMAL => "NORMAL",
            CloseCode::GOING_AWAY => "GOING_AWAY",
            CloseCode::PROTOCOL_ERROR => "PROTOCOL_ERROR",
            CloseCode::UNSUPPORTED_DATA => "UNSUPPORTED_DATA",
            CloseCode::NO_STATUS_RCVD => "NO_STATUS_RCVD",
            CloseCode::ABNORMAL => "ABNORMAL",
            CloseCode::INVALID_PAYLOAD => "INVALID_PAYLOAD",
            CloseCode::POLICY_VIOLATION => "POLICY_VIOLATION",
            CloseCode::MESSAGE_TOO_BIG => "MESSAGE_TOO_BIG",
            CloseCode::MANDATORY_EXTENSION => "MANDATORY_EXTENSION",
            CloseCode::INTERNAL_ERROR => "INTERNAL_ERROR",
            CloseCode::SERVICE_RESTART => "SERVICE_RESTART",
            CloseCode::TRY_AGAIN_LATER => "TRY_AGAIN_LATER",
            CloseCode::BAD_GATEWAY => "BAD_GATEWAY",
            CloseCode::TLS_HANDSHAKE => "TLS_HANDSHAKE",
            _ => return None,
        })
    }
}

impl fmt::Debug for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}({})", self.0),
            None => write!(f, "CloseCode({})", self.0),
        }
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<u16> for CloseCode {
    fn from(v: u16) -> Self {
        CloseCode(v)
    }
}

impl From<CloseCode> for u16 {
    fn from(c: CloseCode) -> Self {
        c.0
    }
}

/// The longest reason that fits a control frame: 125 bytes less the code.
pub const MAX_REASON_LEN: usize = 123;

/// What is wrong with a received close payload.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum ClosePayloadError {
    /// A one-byte payload cannot hold a status code.
    OneByte,
    /// The code may not appear on the wire.
    Code(u16),
    /// The reason is not UTF-8.
    Reason,
}

/// Parses a received close payload into its code (absent if the body is
/// empty) and reason.
///
/// "If there is a body, the first two bytes of the body MUST be a 2-byte
/// unsigned integer (in network byte order) representing a status code ...
/// Following the 2-byte integer, the body MAY contain UTF-8-encoded data"
/// (§5.5.1).
pub(crate) fn parse_close_payload(
    payload: &[u8],
) -> Result<(Option<CloseCode>, &str), ClosePayloadError> {
    match payload {
        [] => Ok((None, "")),
        [_] => Err(ClosePayloadError::OneByte),
        [a, b, reason @ ..] => {
            let code = CloseCode(u16::from_be_bytes([*a, *b]));
            if !code.is_valid_on_wire() {
                return Err(ClosePayloadError::Code(code.0));
            }
            let reason = core::str::from_utf8(reason).map_err(|_| ClosePayloadError::Reason)?;
            Ok((Some(code), reason))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_validity_table() {
        let valid = |c: u16| CloseCode(c).is_valid_on_wire();
        for c in 0..=999 {
            assert!(!valid(c));
        }
        for c in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
        ] {
            assert!(valid(c), "{c}");
        }
        for c in [1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
            assert!(!valid(c), "{c}");
        }
        assert!(valid(3000) && valid(3999) && valid(4000) && valid(4999));
    }

    #[test]
    fn payloads() {
        assert_eq!(parse_close_payload(&[]), Ok((None, "")));
        assert_eq!(parse_close_payload(&[3]), Err(ClosePayloadError::OneByte));
        assert_eq!(
            parse_close_payload(&[0x03, 0xE8, b'o', b'k']),
            Ok((Some(CloseCode::NORMAL), "ok"))
        );
        assert_eq!(
            parse_close_payload(&[0x03, 0xED]),
            Err(ClosePayloadError::Code(1005))
        );
        assert_eq!(
            parse_close_payload(&[0x03, 0xE8, 0xFF]),
            Err(ClosePayloadError::Reason)
        );
    }

    #[test]
    fn debug_names() {
        assert_eq!(
            alloc::format!("{:?}", CloseCode::MESSAGE_TOO_BIG),
            "MESSAGE_TOO_BIG(1009)"
        );
        assert_eq!(alloc::format!("{:?}", CloseCode(4000)), "CloseCode(4000)");
    }
}
