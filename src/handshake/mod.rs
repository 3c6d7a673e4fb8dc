//! The opening handshake (RFC 6455 §4): the accept key, HTTP head scanning
//! and the header rules both sides share.

mod body;
mod client;
mod extensions;
mod server;

pub(crate) use body::BodyReader;
pub(crate) use client::{ClientHandshake, ResponseCheck};
pub use client::{ClientRequest, Response};
pub use server::{Accept, Reject, Request, check_request};

pub(crate) use extensions::{Malformed, parse_values as parse_extension_values};
pub(crate) use server::{parse_request, write_reject};

use alloc::string::String;
use alloc::vec::Vec;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::BytesMut;

use crate::config::Config;
use crate::error::{HandshakeError, UsageError};

/// The GUID the server appends to the key: "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" (§1.3).
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: "the base64-encoded
/// SHA-1 of the concatenation of the |Sec-WebSocket-Key| (as a string, not
/// base64-decoded) with the string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11""
/// (§4.2.2). The result is 28 ASCII bytes.
pub fn accept_key(key: &[u8]) -> [u8; 28] {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(key);
    sha.update(GUID);
    let digest = sha.digest().bytes();
    let mut out = [0u8; 28];
    // 20 bytes always encode to exactly 28 base64 characters.
    let _ = BASE64.encode_slice(digest, &mut out);
    out
}

/// Finds the end of an HTTP head in a buffer that grows, looking at each
/// byte once (so a head trickled a byte at a time costs linear work, not
/// quadratic), and enforces the size limits while it looks.
#[derive(Clone, Debug, Default)]
pub(crate) struct HeadScanner {
    pos: usize,
    line_start: usize,
    /// Whether the head is a request (read by a server), whose first line
    /// is the request line: a request line over the limit gets 414.
    request: bool,
    /// Whether the start line (request or status line) is complete.
    start_line_done: bool,
}

/// The index of the first LF in `buf`: eight bytes at a time (a head is a
/// few hundred bytes of short lines, and a byte loop was the largest cost
/// of a handshake after SHA-1).
#[inline]
fn find_lf(buf: &[u8]) -> Option<usize> {
    const LF: u64 = u64::from_ne_bytes([b'\n'; 8]);
    const LOW: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut chunks = buf.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let x = u64::from_ne_bytes(bytes) ^ LF;
        // A byte of `x` is zero exactly where the chunk has an LF.
        if x.wrapping_sub(LOW) & !x & HIGH != 0 {
            return chunk.iter().position(|&b| b == b'\n').map(|i| base + i);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| base + i)
}

impl HeadScanner {
    /// A scanner for a request head, read by a server.
    pub(crate) fn for_request() -> Self {
        HeadScanner {
            request: true,
            ..HeadScanner::default()
        }
    }

    /// The error for a line over `max_header_line`.
    fn line_too_long(&self) -> HandshakeError {
        // "A server that receives a request-target longer than any URI it
        // wishes to parse MUST respond with a 414 (URI Too Long) status
        // code" (RFC 9112 §3). A request line is the method, the target and
        // the version, so one over the limit is a target over it. Header
        // field lines keep 431 (RFC 6585 §5).
        if self.request && !self.start_line_done {
            HandshakeError::RequestLineTooLong
        } else {
            HandshakeError::LineTooLong
        }
    }

    /// Returns the length of the head (through its empty line) once it is
    /// complete.
    pub(crate) fn scan(
        &mut self,
        buf: &[u8],
        config: &Config,
    ) -> Result<Option<usize>, HandshakeError> {
        let limit = buf.len().min(config.max_handshake_bytes);
        while self.pos < limit {
            let Some(i) = find_lf(&buf[self.pos..limit]) else {
                self.pos = limit;
                break;
            };
            let nl = self.pos + i;
            let line = &buf[self.line_start..nl];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.len() > config.max_header_line {
                return Err(self.line_too_long());
            }
            self.pos = nl + 1;
            if line.is_empty() && self.line_start > 0 {
                return Ok(Some(self.pos));
            }
            self.start_line_done |= !line.is_empty();
            self.line_start = self.pos;
        }
        // The unfinished line, not counting a CR whose LF has not arrived yet.
        let partial = &buf[self.line_start..self.pos];
        let partial_len = partial.len() - usize::from(partial.last() == Some(&b'\r'));
        if partial_len > config.max_header_line {
            return Err(self.line_too_long());
        }
        if buf.len() >= config.max_handshake_bytes {
            return Err(HandshakeError::HeadTooLarge);
        }
        Ok(None)
    }
}

/// The most headers a head may have whatever the configuration says: the
/// parser's header table lives on the stack.
pub(crate) const HEADER_TABLE: usize = 128;

pub(crate) fn map_httparse(e: httparse::Error) -> HandshakeError {
    match e {
        httparse::Error::TooManyHeaders => HandshakeError::TooManyHeaders,
        _ => HandshakeError::Malformed,
    }
}

/// The header lines of a validated head, as `(name, value)` with the
/// value's surrounding white space removed.
#[derive(Clone, Debug)]
pub struct Headers<'a> {
    /// The lines not yet read (the request or status line skipped).
    rest: &'a [u8],
}

impl<'a> Headers<'a> {
    pub(crate) fn new(head: &'a [u8]) -> Self {
        let rest = match find_lf(head) {
            Some(i) => &head[i + 1..],
            None => &[],
        };
        Headers { rest }
    }
}

impl<'a> Iterator for Headers<'a> {
    type Item = (&'a str, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        // Lines are found a word at a time (`find_lf`): the checks of a
        // handshake walk its head several times.
        let (line, rest) = match find_lf(self.rest) {
            Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
            None => (self.rest, &[][..]),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // The empty line ends the head; nothing after it is a header.
        self.rest = if line.is_empty() { &[] } else { rest };
        if line.is_empty() {
            return None;
        }
        let colon = line.iter().position(|&b| b == b':')?;
        // httparse has checked that names are tokens, so ASCII.
        let name = core::str::from_utf8(&line[..colon]).ok()?;
        Some((name, trim(&line[colon + 1..])))
    }
}

pub(crate) fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// The values of every header called `name` (ASCII, case-insensitive), in
/// order. A validated head has no white space between a field name and its
/// colon (httparse refuses it, as RFC 9112 §5.1 requires), so a line is
/// such a header exactly when it starts with the name and a colon: the
/// other lines are passed over without looking for their colon.
pub(crate) fn values<'a>(head: &'a [u8], name: &str) -> impl Iterator<Item = &'a [u8]> {
    let name = name.as_bytes();
    let mut rest = Headers::new(head).rest;
    core::iter::from_fn(move || {
        loop {
            let (line, next) = match find_lf(rest) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &[][..]),
            };
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                rest = &[];
                return None;
            }
            rest = next;
            if let Some((head, value)) = line.split_at_checked(name.len())
                && head.eq_ignore_ascii_case(name)
                && let [b':', value @ ..] = value
            {
                return Some(trim(value));
            }
        }
    })
}

/// The comma-separated elements of every header called `name`.
pub(crate) fn list_values<'a>(head: &'a [u8], name: &'a str) -> impl Iterator<Item = &'a [u8]> {
    values(head, name)
        .flat_map(|v| v.split(|&b| b == b','))
        .map(trim)
        .filter(|v| !v.is_empty())
}

pub(crate) fn has_token(head: &[u8], name: &str, token: &str) -> bool {
    list_values(head, name).any(|v| v.eq_ignore_ascii_case(token.as_bytes()))
}

pub(crate) fn count(head: &[u8], name: &str) -> usize {
    values(head, name).count()
}

pub(crate) fn first<'a>(head: &'a [u8], name: &str) -> Option<&'a [u8]> {
    values(head, name).next()
}

/// `tchar` from RFC 9110 §5.6.2.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// A header value we write: no CR, LF, NUL or other control bytes but tab,
/// so it cannot end the line or the head early (no header injection).
pub(crate) fn is_safe_value(s: &str) -> bool {
    s.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7F))
}

/// Headers the handshake writes itself; the application may not add them.
const RESERVED: &[&str] = &[
    "host",
    "upgrade",
    "connection",
    "content-length",
    "transfer-encoding",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-accept",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
];

pub(crate) fn check_header(name: &str, value: &str) -> Result<(), UsageError> {
    if !is_token(name) || !is_safe_value(value) {
        return Err(UsageError::InvalidHeader);
    }
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(UsageError::ReservedHeader);
    }
    Ok(())
}

pub(crate) fn write_headers(out: &mut BytesMut, headers: &[(String, String)]) {
    for (n, v) in headers {
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// One element of a `Sec-WebSocket-Extensions` list (§9.1): a name and its
/// parameters, with quoted-string values unquoted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    /// The extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// `(name, value)` pairs; the value is `None` for a bare parameter.
    pub params: Vec<(String, Option<String>)>,
}

/// Parses every `Sec-WebSocket-Extensions` header of a head, with the one
/// parser of both roles (`extensions.rs`). Commas inside quoted strings do
/// not split elements. A malformed header is an error.
pub(crate) fn parse_extensions(head: &[u8]) -> Result<Vec<Extension>, Malformed> {
    parse_extension_values(values(head, "sec-websocket-extensions"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_lf_agrees_with_a_byte_search() {
        let mut buf = alloc::vec![b'a'; 40];
        assert_eq!(find_lf(&buf), None);
        for at in 0..40 {
            for other in [0u8, 0x0b, 0x8a, 0x09, 0xff] {
                let mut b = buf.clone();
                b[at] = b'\n';
                if at + 1 < 40 {
                    b[at + 1] = other;
                }
                for start in 0..at.min(9) {
                    let want = b[start..].iter().position(|&x| x == b'\n');
                    assert_eq!(find_lf(&b[start..]), want, "at {at} start {start}");
                }
            }
        }
        buf[39] = b'\n';
        assert_eq!(find_lf(&buf), Some(39));
    }

    #[test]
    fn rfc_1_3_accept_key() {
        assert_eq!(
            &accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn seeds_accept_key() {
        assert_eq!(
            &accept_key(b"w4v7O6xFTi36lq3RNcgctw=="),
            b"Oy4NRAQ13jhfONC7bP8dTKb4PTU="
        );
    }

    #[test]
    fn extensions_with_quoted_commas() {
        let head = b"GET / HTTP/1.1\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, foo; bar=\"ab\"\r\nSec-WebSocket-Extensions: x-webkit\r\n\r\n";
        let exts = parse_extensions(head).unwrap();
        assert_eq!(exts.len(), 3);
        assert_eq!(exts[0].name, "permessage-deflate");
        assert_eq!(exts[0].params, [("client_max_window_bits".into(), None)]);
        assert_eq!(exts[1].params, [("bar".into(), Some("ab".into()))]);
        assert_eq!(exts[2].name, "x-webkit");
        let bad = b"GET / HTTP/1.1\r\nSec-WebSocket-Extensions: a; b=\"open\r\n\r\n";
        assert!(parse_extensions(bad).is_err());
        // A comma inside quotes splits nothing, but "the value after
        // quoted-string unescaping MUST conform to the 'token' ABNF"
        // (RFC 6455 §9.1): "a,b" is no token.
        let comma = b"GET / HTTP/1.1\r\nSec-WebSocket-Extensions: foo; bar=\"a,b\"\r\n\r\n";
        assert_eq!(parse_extensions(comma), Err(Malformed));
    }

    #[test]
    fn values_are_found_by_whole_name_in_the_head_only() {
        let head = b"GET /host: no HTTP/1.1\r\nHostile: a\r\nHOST:  b \t\r\nX: y\r\n\
            host:c\nhos: d\r\n\r\nHost: body\r\n";
        // Not the request line, not a longer or shorter name, not past the
        // empty line; values trimmed; bare LF ends a line too.
        assert_eq!(values(head, "host").collect::<Vec<_>>(), [&b"b"[..], b"c"]);
        assert_eq!(count(head, "Host"), 2);
        assert_eq!(first(head, "x"), Some(&b"y"[..]));
        assert_eq!(first(head, "missing"), None);
        // Headers agrees, line by line.
        let all: Vec<_> = Headers::new(head).map(|(n, _)| n).collect();
        assert_eq!(all, ["Hostile", "HOST", "X", "host", "hos"]);
        // Without the empty line, the head ends where the bytes do.
        assert_eq!(values(b"GET / HTTP/1.1\r\nA: 1\r\nA: 2", "a").count(), 2);
        assert_eq!(values(b"no line feed", "no line feed").count(), 0);
    }

    #[test]
    fn scanner_is_incremental_and_bounded() {
        let cfg = Config::default();
        let head = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nrest";
        let mut s = HeadScanner::default();
        for n in 0..head.len() {
            let r = s.scan(&head[..n], &cfg).unwrap();
            if n < 27 {
                assert_eq!(r, None, "{n}");
            } else {
                assert_eq!(r, Some(27));
                break;
            }
        }
        let mut small = Config {
            max_header_line: 10,
            ..Config::default()
        };
        assert_eq!(
            HeadScanner::default().scan(b"GET / HTTP/1.1\r\n", &small),
            Err(HandshakeError::LineTooLong)
        );
        // A server's scanner tells the request line (414) from header
        // lines (431), complete or not, behind a leading empty line or not.
        assert_eq!(
            HeadScanner::for_request().scan(b"GET / HTTP/1.1\r\n", &small),
            Err(HandshakeError::RequestLineTooLong)
        );
        assert_eq!(
            HeadScanner::for_request().scan(b"\r\nGET /aaaaaaaaa", &small),
            Err(HandshakeError::RequestLineTooLong)
        );
        assert_eq!(
            HeadScanner::for_request().scan(b"GET / H\r\nHost: abcdefgh", &small),
            Err(HandshakeError::LineTooLong)
        );
        assert_eq!(
            HeadScanner::for_request().scan(b"GET / H\r\nHost: abcdefgh\r\n", &small),
            Err(HandshakeError::LineTooLong)
        );
        small.max_header_line = 100;
        small.max_handshake_bytes = 20;
        assert_eq!(
            HeadScanner::default().scan(b"GET / HTTP/1.1\r\nA: b\r\nC: d\r\n", &small),
            Err(HandshakeError::HeadTooLarge)
        );
    }

    #[test]
    fn injection_checks() {
        assert_eq!(check_header("X-Ok", "fine value"), Ok(()));
        assert_eq!(
            check_header("X-Bad", "a\r\nInjected: 1"),
            Err(UsageError::InvalidHeader)
        );
        assert_eq!(
            check_header("X-Bad", "nul\0"),
            Err(UsageError::InvalidHeader)
        );
        assert_eq!(
            check_header("Bad Name", "v"),
            Err(UsageError::InvalidHeader)
        );
        assert_eq!(
            check_header("Bad:Name", "v"),
            Err(UsageError::InvalidHeader)
        );
        assert_eq!(
            check_header("sec-websocket-key", "v"),
            Err(UsageError::ReservedHeader)
        );
    }
}
