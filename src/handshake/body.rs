//! The body of a server's non-101 answer, framed as RFC 9112 §6.3 says,
//! so that a refusal is reported as soon as its body is complete, even
//! when the server keeps the connection open.

use bytes::{Buf, Bytes, BytesMut};

use super::{count, list_values, trim, values};
use crate::error::HandshakeError;

/// Reads the body of a non-101 response. Whatever the framing, at most
/// `max` bytes of input (`Config::max_handshake_bytes`) are read for it.
#[derive(Clone, Debug)]
pub(crate) struct BodyReader {
    framing: Framing,
}

#[derive(Clone, Debug)]
enum Framing {
    /// `Content-Length` bytes, or none.
    Length(usize),
    /// The chunked transfer coding, decoded as it arrives.
    Chunked(Chunked),
    /// Everything until the server closes the connection.
    UntilClose,
}

impl BodyReader {
    /// How the body of the response with `status` and `head` ends.
    pub(crate) fn new(status: u16, head: &[u8]) -> Result<Self, HandshakeError> {
        // "Any response ... with a 1xx (Informational), 204 (No Content),
        // or 304 (Not Modified) status code is always terminated by the
        // first empty line after the header fields, regardless of the
        // header fields present in the message, and thus cannot contain a
        // message body" (RFC 9112 §6.3, item 1). 1xx never get here.
        let framing = if status == 204 || status == 304 {
            Framing::Length(0)
        } else if count(head, "transfer-encoding") > 0 {
            // "If a Transfer-Encoding header field is present and the
            // chunked transfer coding ... is the final encoding, the message
            // body length is determined by reading and decoding the chunked
            // data until the transfer coding indicates the data is
            // complete" (item 4), and it "overrides the Content-Length"
            // (item 3). "If a Transfer-Encoding header field is present in
            // a response and the chunked transfer coding is not the final
            // encoding, the message body length is determined by reading
            // the connection until it is closed by the server" (item 4).
            let last = list_values(head, "transfer-encoding").last();
            if last.is_some_and(|c| c.eq_ignore_ascii_case(b"chunked")) {
                Framing::Chunked(Chunked::default())
            } else {
                Framing::UntilClose
            }
        } else {
            match content_length(head)? {
                Some(n) => Framing::Length(n),
                // "Otherwise, this is a response message without a declared
                // message body length, so the message body length is
                // determined by the number of octets received prior to the
                // server closing the connection" (item 8).
                None => Framing::UntilClose,
            }
        };
        Ok(BodyReader { framing })
    }

    /// Takes what `input` holds of the body; returns the body once it is
    /// complete, or once `max` bytes of input were read for it.
    pub(crate) fn read(&mut self, input: &mut BytesMut, max: usize) -> Option<Bytes> {
        match &mut self.framing {
            Framing::Length(n) => {
                let want = (*n).min(max);
                (input.len() >= want).then(|| input.split_to(want).freeze())
            }
            Framing::UntilClose => (input.len() >= max).then(|| input.split_to(max).freeze()),
            Framing::Chunked(c) => {
                let budget = max.saturating_sub(c.raw).min(input.len());
                let used = c.decode(&input[..budget]);
                input.advance(used);
                c.raw += used;
                (c.state == ChunkState::Done || c.raw >= max).then(|| c.body.split().freeze())
            }
        }
    }

    /// The body as far as it arrived, when the server closed the connection.
    pub(crate) fn at_eof(self, input: &mut BytesMut) -> Bytes {
        match self.framing {
            Framing::Length(_) | Framing::UntilClose => input.split().freeze(),
            Framing::Chunked(mut c) => c.body.split().freeze(),
        }
    }
}

/// The `Content-Length` of a head, if it has one. "If a message is
/// received without Transfer-Encoding and with an invalid Content-Length
/// header field, then the message framing is invalid and the recipient
/// MUST treat it as an unrecoverable error ... If it is a response message
/// received by a user agent, the user agent MUST close the connection to
/// the server and discard the received response" (RFC 9112 §6.3, item 5).
/// `Content-Length = 1*DIGIT` (RFC 9110 §8.6); a list of one value repeated
/// is that value, as that section allows.
fn content_length(head: &[u8]) -> Result<Option<usize>, HandshakeError> {
    let mut length = None;
    let lengths = values(head, "content-length")
        .flat_map(|v| v.split(|&b| b == b','))
        .map(trim);
    for v in lengths {
        if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
            return Err(HandshakeError::Malformed);
        }
        // Saturates: a length past memory is cut to the limit anyway.
        let n = v.iter().fold(0usize, |n, &d| {
            n.saturating_mul(10).saturating_add(usize::from(d - b'0'))
        });
        if length.is_some_and(|l| l != n) {
            return Err(HandshakeError::Malformed);
        }
        length = Some(n);
    }
    Ok(length)
}

/// A decoder for the chunked transfer coding (RFC 9112 §7.1):
///
/// ```text
/// chunked-body = *chunk last-chunk trailer-section CRLF
/// chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
/// last-chunk   = 1*("0") [ chunk-ext ] CRLF
/// ```
///
/// Extensions and trailer fields are skipped. A malformed chunk ends the
/// body where it is: the status and the body so far are still reported.
#[derive(Clone, Debug, Default)]
struct Chunked {
    state: ChunkState,
    body: BytesMut,
    /// Bytes of input read so far.
    raw: usize,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum ChunkState {
    /// Reading a chunk size: hex digits so far, their value, and whether
    /// the rest of the line (an extension, or the CR) is being skipped.
    Size {
        digits: usize,
        size: usize,
        skip: bool,
    },
    /// Reading chunk data: bytes left.
    Data(usize),
    /// Reading the CRLF after chunk data.
    DataEnd,
    /// Reading the trailer section: bytes of the current line so far.
    Trailer(usize),
    /// The body is complete (or malformed, and ends here).
    Done,
}

impl Default for ChunkState {
    fn default() -> Self {
        ChunkState::Size {
            digits: 0,
            size: 0,
            skip: false,
        }
    }
}

impl Chunked {
    /// Decodes from `input`; returns the number of bytes read.
    fn decode(&mut self, input: &[u8]) -> usize {
        let mut i = 0;
        while i < input.len() {
            match &mut self.state {
                ChunkState::Done => break,
                ChunkState::Data(left) => {
                    let n = (*left).min(input.len() - i);
                    self.body.extend_from_slice(&input[i..i + n]);
                    *left -= n;
                    if *left == 0 {
                        self.state = ChunkState::DataEnd;
                    }
                    i += n;
                }
                _ => {
                    self.state = self.state.after(input[i]);
                    i += 1;
                }
            }
        }
        i
    }
}

impl ChunkState {
    /// The state after one byte outside chunk data. CR is optional before
    /// LF, as for the head's lines.
    fn after(self, b: u8) -> ChunkState {
        match self {
            ChunkState::Size { digits, size, skip } => match b {
                b'\n' if digits == 0 => ChunkState::Done,
                b'\n' if size == 0 => ChunkState::Trailer(0),
                b'\n' => ChunkState::Data(size),
                _ if skip => self,
                b';' | b' ' | b'\t' | b'\r' if digits > 0 => ChunkState::Size {
                    digits,
                    size,
                    skip: true,
                },
                _ => match (b as char).to_digit(16) {
                    Some(d) => match size.checked_mul(16).and_then(|s| s.checked_add(d as usize)) {
                        Some(size) => ChunkState::Size {
                            digits: digits + 1,
                            size,
                            skip: false,
                        },
                        None => ChunkState::Done,
                    },
                    None => ChunkState::Done,
                },
            },
            ChunkState::DataEnd => match b {
                b'\r' => ChunkState::DataEnd,
                b'\n' => ChunkState::default(),
                _ => ChunkState::Done,
            },
            ChunkState::Trailer(line) => match b {
                b'\n' if line == 0 => ChunkState::Done,
                b'\n' => ChunkState::Trailer(0),
                b'\r' => ChunkState::Trailer(line),
                _ => ChunkState::Trailer(line + 1),
            },
            ChunkState::Data(_) | ChunkState::Done => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(head: &str, input: &[u8], max: usize) -> Option<Bytes> {
        let mut r = BodyReader::new(200, head.as_bytes()).unwrap();
        r.read(&mut BytesMut::from(input), max)
    }

    const CHUNKED: &str = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

    #[test]
    fn chunked_bodies_decode_and_end_at_the_last_chunk() {
        let wire = b"5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nTrailer: x\r\n\r\nnext";
        assert_eq!(
            body(CHUNKED, wire, 1000).as_deref(),
            Some(&b"hello, world!!!"[..])
        );
        // A byte at a time, the same body, and not before the end.
        let mut r = BodyReader::new(200, CHUNKED.as_bytes()).unwrap();
        let mut input = BytesMut::new();
        let end = wire.len() - 4;
        for (i, &b) in wire[..end].iter().enumerate() {
            input.extend_from_slice(&[b]);
            let got = r.read(&mut input, 1000);
            assert_eq!(got.is_some(), i == end - 1, "byte {i}");
            if let Some(got) = got {
                assert_eq!(&got[..], b"hello, world!!!");
            }
        }
        // Bare LF line ends, upper-case hex.
        assert_eq!(
            body(CHUNKED, b"1F\n0123456789012345678901234567890\n0\n\n", 1000).map(|b| b.len()),
            Some(31)
        );
    }

    #[test]
    fn malformed_chunks_end_the_body_where_they_are() {
        for wire in [
            &b"zz\r\n"[..],
            b"\r\nhello",
            b"3\r\nabcX",
            b"ffffffffffffffffffffff\r\n",
        ] {
            assert!(body(CHUNKED, wire, 1000).is_some(), "{wire:?}");
        }
        assert_eq!(
            body(CHUNKED, b"3\r\nabcX", 1000).as_deref(),
            Some(&b"abc"[..])
        );
    }

    /// `read` takes the body and nothing behind it: what follows the last
    /// chunk (or a malformed byte, where the body ends) or the
    /// `Content-Length` bytes is not part of this message (RFC 9112 §6.3).
    #[test]
    fn bytes_behind_the_body_stay_in_the_input() {
        for (head, wire, want) in [
            (CHUNKED, &b"2\r\nab\r\n0\r\n\r\nnext"[..], &b"ab"[..]),
            (CHUNKED, b"zznext", b""),
            (
                "HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\n",
                b"abnext",
                b"ab",
            ),
        ] {
            let mut r = BodyReader::new(403, head.as_bytes()).unwrap();
            let mut input = BytesMut::from(wire);
            assert_eq!(r.read(&mut input, 1000).as_deref(), Some(want));
            let rest: &[u8] = if wire.starts_with(b"zz") {
                b"znext"
            } else {
                b"next"
            };
            assert_eq!(&input[..], rest, "{wire:?}");
        }
    }

    /// "chunk-size = 1*HEXDIG" (RFC 9112 §7.1): a size line without a
    /// digit, or one that starts with white space, a `;` or a CR, is
    /// malformed, and the body ends there at once, without waiting for the
    /// rest of the line.
    #[test]
    fn a_size_line_without_a_leading_digit_ends_the_body_at_once() {
        for wire in [&b"\nhello"[..], b" 5", b";ext=1", b"\t5", b"\r"] {
            assert_eq!(
                body(CHUNKED, wire, 1000).as_deref(),
                Some(&b""[..]),
                "{wire:?}"
            );
        }
        // After a digit, the same bytes start an extension (or end the line).
        assert_eq!(body(CHUNKED, b"5 ;ext\r\nhel", 1000), None);
        assert_eq!(
            body(CHUNKED, b"5 ;ext\r\nhello\r\n0\r\n\r\n", 1000).as_deref(),
            Some(&b"hello"[..])
        );
    }

    #[test]
    fn chunked_bodies_stop_at_the_limit() {
        let mut wire = b"10000\r\n".to_vec();
        wire.extend_from_slice(&[b'x'; 100]);
        assert_eq!(body(CHUNKED, &wire, 50).map(|b| b.len()), Some(43));
        assert_eq!(body(CHUNKED, &wire, 200), None);
    }

    #[test]
    fn framing_follows_rfc_9112_section_6_3() {
        let cl = "HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\n";
        assert_eq!(body(cl, b"abcdef", 100).as_deref(), Some(&b"abc"[..]));
        assert_eq!(body(cl, b"ab", 100), None);
        assert_eq!(body(cl, b"ab", 2).as_deref(), Some(&b"ab"[..]));
        // Transfer-Encoding overrides Content-Length.
        let both =
            "HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(
            body(both, b"1\r\nz\r\n0\r\n\r\n", 100).as_deref(),
            Some(&b"z"[..])
        );
        // Another final coding: until the server closes.
        let gzip = "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked, gzip\r\n\r\n";
        assert_eq!(body(gzip, b"0\r\n\r\n", 100), None);
        let mut r = BodyReader::new(204, cl.as_bytes()).unwrap();
        assert_eq!(
            r.read(&mut BytesMut::from(&b"abc"[..]), 100).as_deref(),
            Some(&b""[..])
        );
        for bad in ["+3", "-1", "3, 4", "", "0x3", "3 4"] {
            let head = alloc::format!("HTTP/1.1 403 Forbidden\r\nContent-Length: {bad}\r\n\r\n");
            assert_eq!(
                BodyReader::new(403, head.as_bytes()).map(|_| ()),
                Err(HandshakeError::Malformed),
                "{bad}"
            );
        }
        let same = "HTTP/1.1 403 Forbidden\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\n";
        assert_eq!(body(same, b"abc", 100).as_deref(), Some(&b"ab"[..]));
        let huge = "HTTP/1.1 403 Forbidden\r\nContent-Length: 99999999999999999999999\r\n\r\n";
        assert_eq!(body(huge, b"abc", 3).as_deref(), Some(&b"abc"[..]));
    }
}
