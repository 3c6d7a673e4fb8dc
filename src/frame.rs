//! The wire layer: opcodes and frame headers, parsed and encoded (RFC 6455 §5.2).
//!
//! Panic contract: nothing in this module panics, whatever the input. Parsing
//! returns [`Status::Partial`] when more bytes are needed, an error when the
//! bytes can never form a valid header, and [`Status::Complete`] otherwise.

use core::fmt;

/// A frame opcode (RFC 6455 §5.2). An open newtype: unknown values stay
/// representable, and [`Opcode::is_reserved`] tells them apart.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct Opcode(u8);

impl Opcode {
    /// `%x0` denotes a continuation frame.
    pub const CONTINUATION: Opcode = Opcode(0x0);
    /// `%x1` denotes a text frame.
    pub const TEXT: Opcode = Opcode(0x1);
    /// `%x2` denotes a binary frame.
    pub const BINARY: Opcode = Opcode(0x2);
    /// `%x8` denotes a connection close.
    pub const CLOSE: Opcode = Opcode(0x8);
    /// `%x9` denotes a ping.
    pub const PING: Opcode = Opcode(0x9);
    /// `%xA` denotes a pong.
    pub const PONG: Opcode = Opcode(0xA);

    /// The opcode carried in the low four bits of `value`.
    pub const fn from_u8(value: u8) -> Opcode {
        Opcode(value & 0x0F)
    }

    /// The opcode's four-bit value.
    pub const fn as_u8(self) -> u8 {
        self.0
    }

    /// Control frames are identified by opcodes where the most significant
    /// bit of the opcode is 1 (§5.5).
    pub const fn is_control(self) -> bool {
        self.0 & 0x08 != 0
    }

    /// `%x3-7` and `%xB-F` are reserved for further frames (§5.2).
    pub const fn is_reserved(self) -> bool {
        matches!(self.0, 0x3..=0x7 | 0xB..=0xF)
    }
}

impl fmt::Debug for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            Opcode::CONTINUATION => "CONTINUATION",
            Opcode::TEXT => "TEXT",
            Opcode::BINARY => "BINARY",
            Opcode::CLOSE => "CLOSE",
            Opcode::PING => "PING",
            Opcode::PONG => "PONG",
            Opcode(n) => return write!(f, "Opcode({n:#x})"),
        };
        f.write_str(name)
    }
}

/// The RSV1 bit, owned by permessage-deflate when negotiated (RFC 7692 §6).
pub const RSV1: u8 = 0b100;
/// The RSV2 bit.
pub const RSV2: u8 = 0b010;
/// The RSV3 bit.
pub const RSV3: u8 = 0b001;

/// The longest possible frame header: 2 + 8 (length) + 4 (mask) bytes.
pub const MAX_HEADER_LEN: usize = 14;

/// A parsed frame header. Carries no payload.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// Indicates that this is the final fragment in a message.
    pub fin: bool,
    /// The three reserved bits, RSV1 as `0b100` down to RSV3 as `0b001`.
    pub rsv: u8,
    /// The frame's opcode.
    pub opcode: Opcode,
    /// The masking key, present if and only if the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// The length of the payload in bytes.
    pub payload_len: u64,
}

/// The outcome of a parse that may need more bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Status<T> {
    /// A complete value and the number of bytes it used.
    Complete(T, usize),
    /// More bytes are needed; nothing was consumed.
    Partial,
}

/// Why bytes can never form a valid frame header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// A length was not encoded in the minimal number of bytes (§5.2).
    NonMinimalLength,
    /// The most significant bit of a 64-bit length was set (§5.2).
    LengthTopBit,
}

impl FrameHeader {
    /// Parses a header from the front of `buf`.
    pub fn parse(buf: &[u8]) -> Result<Status<FrameHeader>, HeaderError> {
        let [b0, b1, rest @ ..] = buf else {
            return Ok(Status::Partial);
        };
        let masked = b1 & 0x80 != 0;
        let (payload_len, len_bytes) = match b1 & 0x7F {
            126 => {
                let Some(&[a, b]) = rest.first_chunk::<2>() else {
                    return Ok(Status::Partial);
                };
                let n = u16::from_be_bytes([a, b]);
                // "the minimal number of bytes MUST be used to encode the length" (§5.2)
                if n < 126 {
                    return Err(HeaderError::NonMinimalLength);
                }
                (u64::from(n), 2)
            }
            127 => {
                let Some(bytes) = rest.first_chunk::<8>() else {
                    return Ok(Status::Partial);
                };
                let n = u64::from_be_bytes(*bytes);
                // "the most significant bit MUST be 0" (§5.2)
                if n >> 63 != 0 {
                    return Err(HeaderError::LengthTopBit);
                }
                if n <= u64::from(u16::MAX) {
                    return Err(HeaderError::NonMinimalLength);
                }
                (n, 8)
            }
            n => (u64::from(n), 0),
        };
        let rest = &rest[len_bytes..];
        let mask = if masked {
            let Some(key) = rest.first_chunk::<4>() else {
                return Ok(Status::Partial);
            };
            Some(*key)
        } else {
            None
        };
        let header = FrameHeader {
            fin: b0 & 0x80 != 0,
            rsv: (b0 >> 4) & 0x07,
            opcode: Opcode::from_u8(*b0),
            mask,
            payload_len,
        };
        Ok(Status::Complete(
            header,
            2 + len_bytes + if masked { 4 } else { 0 },
        ))
    }

    /// The number of bytes [`FrameHeader::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let len = match self.payload_len {
            0..=125 => 0,
            126..=0xFFFF => 2,
            _ => 8,
        };
        2 + len + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Encodes the header with the minimal length encoding, returning the
    /// buffer and how many of its bytes are used. A `payload_len` with the
    /// top bit set is clamped to `i64::MAX`, the largest length the wire
    /// can carry.
    pub fn encode(&self) -> ([u8; MAX_HEADER_LEN], usize) {
        let mut out = [0u8; MAX_HEADER_LEN];
        out[0] = (u8::from(self.fin) << 7) | ((self.rsv & 0x07) << 4) | self.opcode.as_u8();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let mut n = 2;
        match self.payload_len {
            len @ 0..=125 => out[1] = mask_bit | len as u8,
            len @ 126..=0xFFFF => {
                out[1] = mask_bit | 126;
                out[2..4].copy_from_slice(&(len as u16).to_be_bytes());
                n = 4;
            }
            len => {
                out[1] = mask_bit | 127;
                out[2..10].copy_from_slice(&len.min(i64::MAX as u64).to_be_bytes());
                n = 10;
            }
        }
        if let Some(key) = self.mask {
            out[n..n + 4].copy_from_slice(&key);
            n += 4;
        }
        (out, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> FrameHeader {
        match FrameHeader::parse(bytes) {
            Ok(Status::Complete(h, n)) => {
                assert_eq!(n, h.encoded_len());
                let (enc, len) = h.encode();
                assert_eq!(&enc[..len], &bytes[..n], "re-encoding is canonical");
                h
            }
            other => panic!("expected a header, got {other:?}"),
        }
    }

    #[test]
    fn rfc_5_7_single_frame_unmasked() {
        // 0x81 0x05 0x48 0x65 0x6c 0x6c 0x6f (contains "Hello")
        let h = parse(&[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        assert!(h.fin);
        assert_eq!(h.opcode, Opcode::TEXT);
        assert_eq!(h.payload_len, 5);
        assert_eq!(h.mask, None);
    }

    #[test]
    fn rfc_5_7_single_frame_masked() {
        let h = parse(&[
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ]);
        assert_eq!(h.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
        assert_eq!(h.payload_len, 5);
    }

    #[test]
    fn rfc_5_7_fragmented() {
        let a = parse(&[0x01, 0x03, 0x48, 0x65, 0x6c]);
        assert!(!a.fin);
        assert_eq!(a.opcode, Opcode::TEXT);
        let b = parse(&[0x80, 0x02, 0x6c, 0x6f]);
        assert!(b.fin);
        assert_eq!(b.opcode, Opcode::CONTINUATION);
    }

    #[test]
    fn rfc_5_7_ping() {
        let h = parse(&[0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        assert_eq!(h.opcode, Opcode::PING);
        let h = parse(&[
            0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ]);
        assert_eq!(h.opcode, Opcode::PONG);
    }

    #[test]
    fn rfc_5_7_256_bytes_and_64k() {
        // 0x82 0x7E 0x0100 [256 bytes of binary data]
        let h = parse(&[0x82, 0x7E, 0x01, 0x00]);
        assert_eq!(h.payload_len, 256);
        // 0x82 0x7F 0x0000000000010000 [65536 bytes of binary data]
        let h = parse(&[0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!(h.payload_len, 65536);
    }

    #[test]
    fn partial_at_every_length() {
        let full = [0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4];
        for n in 0..full.len() {
            assert_eq!(
                FrameHeader::parse(&full[..n]),
                Ok(Status::Partial),
                "prefix {n}"
            );
        }
        assert!(matches!(
            FrameHeader::parse(&full),
            Ok(Status::Complete(_, 14))
        ));
    }

    #[test]
    fn rejects_non_minimal_and_top_bit() {
        assert_eq!(
            FrameHeader::parse(&[0x82, 0x7E, 0x00, 0x7D]),
            Err(HeaderError::NonMinimalLength)
        );
        assert_eq!(
            FrameHeader::parse(&[0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]),
            Err(HeaderError::NonMinimalLength)
        );
        assert_eq!(
            FrameHeader::parse(&[0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            Err(HeaderError::LengthTopBit)
        );
    }

    #[test]
    fn opcode_classes() {
        for v in 0..16u8 {
            let op = Opcode::from_u8(v);
            assert_eq!(op.is_control(), v >= 8);
            assert_eq!(op.is_reserved(), !matches!(v, 0 | 1 | 2 | 8 | 9 | 10));
        }
        assert_eq!(alloc::format!("{:?}", Opcode::from_u8(3)), "Opcode(0x3)");
        assert_eq!(alloc::format!("{:?}", Opcode::PING), "PING");
    }
}
