//! The server's side of the opening handshake (RFC 6455 §4.2).

use alloc::string::String;
use alloc::vec::Vec;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{Bytes, BytesMut};
use core::mem::MaybeUninit;

use super::{
    Extension, HEADER_TABLE, Headers, accept_key, check_header, first, is_token, list_values,
    map_httparse, parse_extensions, trim, write_headers,
};
use crate::config::Config;
use crate::error::{HandshakeError, UsageError};

/// A client's opening handshake, validated, as the server application sees
/// it in [`crate::Event::Request`]. It owns the raw head; every accessor
/// reads from it, so handing it out costs no allocation.
#[derive(Clone, Debug)]
pub struct Request {
    head: Bytes,
    websocket: bool,
    key: [u8; 24],
}

impl Request {
    /// The request method (always `GET` for a WebSocket upgrade).
    pub fn method(&self) -> &str {
        self.request_line().0
    }

    /// The request target: "/chat", "/feed?x=1".
    pub fn path(&self) -> &str {
        self.request_line().1
    }

    fn request_line(&self) -> (&str, &str) {
        // httparse accepted "METHOD SP target SP version CRLF": split at SP.
        let mut words = self
            .head
            .split(|&b| b == b' ')
            .map(|w| core::str::from_utf8(w).unwrap_or(""));
        (words.next().unwrap_or(""), words.next().unwrap_or(""))
    }

    /// The `Host` header.
    pub fn host(&self) -> Option<&str> {
        self.header_str("host")
    }

    /// The `Origin` header, which browsers always send (§4.2.1, item 8;
    /// §10.2: the server may use it to refuse cross-origin pages).
    pub fn origin(&self) -> Option<&str> {
        self.header_str("origin")
    }

    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        first(&self.head, name)
    }

    fn header_str(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// Every header line, in order.
    pub fn headers(&self) -> Headers<'_> {
        Headers::new(&self.head)
    }

    /// The subprotocols the client offered, in its order of preference.
    pub fn protocols(&self) -> impl Iterator<Item = &str> {
        list_values(&self.head, "sec-websocket-protocol")
            .filter_map(|v| core::str::from_utf8(v).ok())
    }

    /// The extensions the client offered. Malformed offers give an empty list.
    pub fn extensions(&self) -> Vec<Extension> {
        parse_extensions(&self.head).unwrap_or_default()
    }

    /// The permessage-deflate offers, in the client's order, each read
    /// with the rules of RFC 7692 §7.1 (a malformed one as its error). A
    /// `Sec-WebSocket-Extensions` header that breaks the grammar gives one
    /// `Err(ExtensionError::Malformed)`. [`Connection::accept`] accepts the
    /// first `Ok` one that [`Config::deflate`] allows, unless the
    /// [`Accept`] says [`no_compression`](Accept::no_compression).
    ///
    /// [`Connection::accept`]: crate::Connection::accept
    /// [`Config::deflate`]: crate::Config#structfield.deflate
    #[cfg(feature = "deflate")]
    pub fn deflate_offers(&self) -> Vec<Result<crate::DeflateOffer, crate::ExtensionError>> {
        match self.parsed_extensions() {
            Ok(exts) => crate::deflate::deflate_offers(&exts),
            Err(e) => alloc::vec![Err(e)],
        }
    }

    /// Every `Sec-WebSocket-Extensions` value, through the strict parser of
    /// the deflate module.
    #[cfg(feature = "deflate")]
    pub(crate) fn parsed_extensions(&self) -> Result<Vec<Extension>, crate::ExtensionError> {
        crate::deflate::parse_extension_header(super::values(
            &self.head,
            "sec-websocket-extensions",
        ))
    }

    /// Whether this is a WebSocket upgrade. Only false for plain HTTP
    /// requests, which reach the application when
    /// [`Config::allow_plain_http`] is set; such requests may only be
    /// answered with `reject`.
    pub fn is_websocket(&self) -> bool {
        self.websocket
    }

    /// The raw head, request line through the empty line.
    pub fn as_bytes(&self) -> &[u8] {
        &self.head
    }

    pub(crate) fn key(&self) -> &[u8; 24] {
        &self.key
    }
}

/// Parses and checks a complete request head (`head` ends with its empty
/// line).
pub(crate) fn parse_request(head: Bytes, config: &Config) -> Result<Request, HandshakeError> {
    // Uninitialized (safely: httparse writes before it reads): filling a
    // table of 128 headers cost more than parsing a browser's request.
    let mut table = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; HEADER_TABLE];
    let n = config.max_headers.min(HEADER_TABLE);
    let mut req = httparse::Request::new(&mut []);
    match req.parse_with_uninit_headers(&head, &mut table[..n]) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(HandshakeError::Malformed),
        Err(e) => return Err(map_httparse(e)),
    }
    // "The method of the request MUST be GET, and the HTTP version MUST be
    // at least 1.1" (§4.1, checked by the server in §4.2.1).
    if req.version != Some(1) {
        return Err(HandshakeError::HttpVersion);
    }
    let is_get = req.method == Some("GET");
    let headers = req.headers.iter().map(|h| (h.name, h.value));
    match check_headers(is_get, headers, config.allow_plain_http)? {
        Some(key) => Ok(Request {
            head,
            websocket: true,
            key,
        }),
        None => Ok(Request {
            head,
            websocket: false,
            key: [0; 24],
        }),
    }
}

/// The server's checks of an opening handshake (RFC 6455 §4.2.1), for a
/// request that an HTTP server parsed (hyper, axum, ...), with the method
/// and the headers it parsed, in order. The HTTP version is the caller's
/// to check: "at least 1.1". Returns the value of the
/// `Sec-WebSocket-Accept` header for the 101 response.
///
/// The same rules as a [`crate::Connection::server`] applies, with the
/// same errors; [`HandshakeError::http_status`] tells what to answer.
///
/// ```
/// let headers: [(&str, &[u8]); 5] = [
///     ("Host", b"example.com"),
///     ("Upgrade", b"websocket"),
///     ("Connection", b"keep-alive, Upgrade"),
///     ("Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ=="),
///     ("Sec-WebSocket-Version", b"13"),
/// ];
/// let accept = rfc6455::check_request("GET", headers).unwrap();
/// assert_eq!(&accept, b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
///
/// let refused = rfc6455::check_request("GET", [("Host", &b"example.com"[..])]);
/// assert_eq!(refused.unwrap_err().http_status(), 400);
/// ```
pub fn check_request<'a>(
    method: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<[u8; 28], HandshakeError> {
    match check_headers(method == "GET", headers, false)? {
        Some(key) => Ok(accept_key(&key)),
        None => Err(HandshakeError::NotUpgrade),
    }
}

/// The §4.2.1 rules over a request's headers: the client's key, or `None`
/// for a plain HTTP request when those are allowed.
fn check_headers<'a>(
    is_get: bool,
    headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    allow_plain_http: bool,
) -> Result<Option<[u8; 24]>, HandshakeError> {
    // One pass over the parsed headers gathers what the rules below need.
    let (mut hosts, mut keys, mut versions) = (0, 0, 0);
    let (mut upgrade, mut connection, mut version_ok, mut key_ok) = (false, false, false, false);
    let mut k = [0u8; 24];
    for (name, value) in headers {
        let name = name.as_bytes();
        let value = trim(value);
        let has = |token: &[u8]| {
            value
                .split(|&b| b == b',')
                .any(|t| trim(t).eq_ignore_ascii_case(token))
        };
        match name.len() {
            4 if name.eq_ignore_ascii_case(b"host") => hosts += 1,
            7 if name.eq_ignore_ascii_case(b"upgrade") => upgrade |= has(b"websocket"),
            10 if name.eq_ignore_ascii_case(b"connection") => connection |= has(b"upgrade"),
            17 if name.eq_ignore_ascii_case(b"sec-websocket-key") => {
                keys += 1;
                let mut decoded = [0u8; 18];
                key_ok =
                    value.len() == 24 && matches!(BASE64.decode_slice(value, &mut decoded), Ok(16));
                if key_ok {
                    k.copy_from_slice(value);
                }
            }
            21 if name.eq_ignore_ascii_case(b"sec-websocket-version") => {
                versions += 1;
                version_ok = value == b"13";
            }
            _ => {}
        }
    }
    // "A |Host| header field containing the server's authority" (§4.2.1).
    match hosts {
        0 => return Err(HandshakeError::MissingHeader("Host")),
        1 => {}
        _ => return Err(HandshakeError::DuplicateHeader("Host")),
    }
    // "An |Upgrade| header field containing the value "websocket", treated
    // as an ASCII case-insensitive value" (§4.2.1, item 3).
    if !upgrade && allow_plain_http {
        return Ok(None);
    }
    if !is_get {
        return Err(HandshakeError::Method);
    }
    if !upgrade {
        return Err(HandshakeError::NotUpgrade);
    }
    // "A |Connection| header field that includes the token "Upgrade",
    // treated as an ASCII case-insensitive value" (§4.2.1, item 4).
    if !connection {
        return Err(HandshakeError::NotUpgrade);
    }
    // "If this version does not match a version understood by the server,
    // the server MUST abort the WebSocket handshake ... and instead send an
    // appropriate HTTP error code (such as 426 Upgrade Required) and a
    // |Sec-WebSocket-Version| header field indicating the version(s) the
    // server is capable of understanding" (§4.2.2).
    if versions != 1 || !version_ok {
        return Err(HandshakeError::UnsupportedVersion);
    }
    // "A |Sec-WebSocket-Key| header field with a base64-encoded value that,
    // when decoded, is 16 bytes in length" (§4.2.1, item 5); "MUST NOT
    // appear more than once in an HTTP request" (§11.3.1).
    match keys {
        0 => Err(HandshakeError::MissingHeader("Sec-WebSocket-Key")),
        1 if key_ok => Ok(Some(k)),
        1 => Err(HandshakeError::BadKey),
        _ => Err(HandshakeError::DuplicateHeader("Sec-WebSocket-Key")),
    }
}

/// The server application's acceptance of a [`Request`]: the subprotocol it
/// chose, if any, and headers to add to the 101 response. What Node `ws`
/// does with `verifyClient` and `handleProtocols`, without callbacks:
///
/// ```
/// use rfc6455::{Accept, Config, Connection, Event, Reject};
/// let mut conn = Connection::server(Config::default());
/// conn.handle_input(b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\
///     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///     Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v2.chat, chat\r\n\r\n");
/// let Some(Event::Request(req)) = conn.poll_event() else { panic!() };
/// if req.path() != "/chat" {
///     conn.reject(Reject::new(404))?;
/// } else {
///     // The first protocol we speak, in the client's order of preference.
///     let chosen = req.protocols().find(|p| *p == "chat").map(String::from);
///     let mut accept = Accept::new().header("X-Server", "demo");
///     if let Some(p) = chosen {
///         accept = accept.protocol(p);
///     }
///     conn.accept(accept)?;
/// }
/// let response = conn.poll_transmit().unwrap();
/// assert!(response.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
/// assert_eq!(conn.protocol(), Some("chat"));
/// # Ok::<(), rfc6455::UsageError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Accept {
    pub(crate) protocol: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) no_compression: bool,
}

impl Accept {
    /// Accepts with no subprotocol and no extra headers.
    pub fn new() -> Self {
        Accept::default()
    }

    /// Chooses a subprotocol. It MUST be one the client offered; `accept`
    /// refuses it otherwise.
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocol = Some(protocol.into());
        self
    }

    /// Adds a header to the 101 response. Names must be tokens, values free
    /// of CR, LF and NUL; headers the handshake writes are refused.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Declines compression for this connection, whatever the client
    /// offered and `Config::deflate` allows: the 101 names no extension.
    pub fn no_compression(mut self) -> Self {
        self.no_compression = true;
        self
    }

    /// Checks the acceptance against the request (see [`check`](Self::check))
    /// and writes the 101 response, naming `extensions` (the agreed
    /// `Sec-WebSocket-Extensions` value), if any.
    pub(crate) fn write(
        &self,
        req: &Request,
        extensions: Option<&str>,
        out: &mut BytesMut,
    ) -> Result<(), UsageError> {
        self.check(req)?;
        // One allocation for the whole response.
        let extra: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.len() + v.len() + 4)
            .sum();
        let protocol = self.protocol.as_ref().map_or(0, |p| p.len() + 26);
        let ext = extensions.map_or(0, |e| e.len() + 28);
        out.reserve(129 + protocol + ext + extra);
        out.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ");
        out.extend_from_slice(&accept_key(req.key()));
        out.extend_from_slice(b"\r\n");
        if let Some(p) = &self.protocol {
            out.extend_from_slice(b"Sec-WebSocket-Protocol: ");
            out.extend_from_slice(p.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if let Some(e) = extensions {
            out.extend_from_slice(b"Sec-WebSocket-Extensions: ");
            out.extend_from_slice(e.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        write_headers(out, &self.headers);
        out.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// Checks the acceptance against the request.
    pub(crate) fn check(&self, req: &Request) -> Result<(), UsageError> {
        if !req.is_websocket() {
            return Err(UsageError::InvalidState);
        }
        for (n, v) in &self.headers {
            check_header(n, v)?;
        }
        if let Some(p) = &self.protocol {
            // "the server ... selects one of the acceptable protocols" from
            // those the client listed (§4.2.2, /subprotocol/).
            if !is_token(p) || !req.protocols().any(|o| o == p) {
                return Err(UsageError::InvalidProtocol);
            }
        }
        Ok(())
    }
}

/// A non-101 answer to a request: a refusal (403, 404, ...) or, for a plain
/// HTTP request, any page. The connection closes after it is sent.
///
/// ```
/// use rfc6455::{Config, Connection, Event, Reject};
/// // Refuse pages from other sites (cross-site WebSocket hijacking, CWE-1385).
/// let mut conn = Connection::server(Config::default());
/// conn.handle_input(b"GET /chat HTTP/1.1\r\nHost: h\r\nOrigin: https://evil.example\r\n\
///     Upgrade: websocket\r\nConnection: Upgrade\r\n\
///     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
/// let Some(Event::Request(req)) = conn.poll_event() else { panic!() };
/// assert_ne!(req.origin(), Some("http://h"));
/// conn.reject(Reject::new(403).body("cross-origin requests are refused\n"))?;
/// let response = conn.poll_transmit().unwrap();
/// assert!(response.starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
/// assert!(conn.should_close_transport());
/// # Ok::<(), rfc6455::UsageError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Reject {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Bytes,
}

impl Reject {
    /// An answer with `status` (100–599, not 101) and an empty body.
    pub fn new(status: u16) -> Self {
        Reject {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// Adds a header (validated as for [`Accept::header`]).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body; `Content-Length` is written for it.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    pub(crate) fn check(&self) -> Result<(), UsageError> {
        if !(100..=599).contains(&self.status) || self.status == 101 {
            return Err(UsageError::InvalidStatus);
        }
        for (n, v) in &self.headers {
            check_header(n, v)?;
        }
        Ok(())
    }
}

/// Writes a complete non-101 response. The caller has checked it.
pub(crate) fn write_reject(r: &Reject, out: &mut BytesMut) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(itoa3(r.status).as_slice());
    out.extend_from_slice(b" ");
    out.extend_from_slice(reason_phrase(r.status).as_bytes());
    out.extend_from_slice(b"\r\n");
    if r.status == 426 {
        out.extend_from_slice(b"Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n");
    }
    out.extend_from_slice(b"Connection: close\r\nContent-Length: ");
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = r.body.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
    out.extend_from_slice(b"\r\n");
    write_headers(out, &r.headers);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&r.body);
}

fn itoa3(n: u16) -> [u8; 3] {
    [
        b'0' + (n / 100 % 10) as u8,
        b'0' + (n / 10 % 10) as u8,
        b'0' + (n % 10) as u8,
    ]
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        414 => "URI Too Long",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &[u8] = b"GET /chat?x=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";

    fn parse(head: &[u8]) -> Result<Request, HandshakeError> {
        parse_request(Bytes::copy_from_slice(head), &Config::default())
    }

    fn with(head: &[u8], from: &str, to: &str) -> Vec<u8> {
        let s = core::str::from_utf8(head).unwrap();
        assert!(s.contains(from));
        s.replacen(from, to, 1).into_bytes()
    }

    #[test]
    fn rfc_example_request() {
        let r = parse(GOOD).unwrap();
        assert_eq!(r.method(), "GET");
        assert_eq!(r.path(), "/chat?x=1");
        assert_eq!(r.host(), Some("server.example.com"));
        assert_eq!(r.origin(), Some("http://example.com"));
        assert_eq!(r.protocols().collect::<Vec<_>>(), ["chat", "superchat"]);
        assert_eq!(r.headers().count(), 7);
        let mut out = BytesMut::new();
        Accept::new()
            .protocol("chat")
            .write(&r, None, &mut out)
            .unwrap();
        let s = core::str::from_utf8(&out).unwrap();
        assert!(s.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
        assert!(s.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        assert!(s.contains("Sec-WebSocket-Protocol: chat\r\n"));
        assert!(s.ends_with("\r\n\r\n"));
        assert_eq!(
            Accept::new().protocol("other").write(&r, None, &mut out),
            Err(UsageError::InvalidProtocol)
        );
        assert_eq!(
            Accept::new()
                .header("X-A", "b\r\nX-Evil: 1")
                .write(&r, None, &mut out),
            Err(UsageError::InvalidHeader)
        );
    }

    #[test]
    fn rule_violations_and_statuses() {
        let cases: &[(&str, &str, HandshakeError)] = &[
            ("GET ", "POST ", HandshakeError::Method),
            ("HTTP/1.1", "HTTP/1.0", HandshakeError::HttpVersion),
            (
                "Host: server.example.com\r\n",
                "",
                HandshakeError::MissingHeader("Host"),
            ),
            (
                "Host: server.example.com\r\n",
                "Host: a\r\nHost: b\r\n",
                HandshakeError::DuplicateHeader("Host"),
            ),
            (
                "Upgrade: websocket",
                "Upgrade: h2c",
                HandshakeError::NotUpgrade,
            ),
            (
                "keep-alive, Upgrade",
                "keep-alive",
                HandshakeError::NotUpgrade,
            ),
            (
                "Version: 13",
                "Version: 8",
                HandshakeError::UnsupportedVersion,
            ),
            (
                "Sec-WebSocket-Version: 13\r\n",
                "",
                HandshakeError::UnsupportedVersion,
            ),
            (
                "dGhlIHNhbXBsZSBub25jZQ==",
                "dGhlIHNhbXBsZSBub25jZQ",
                HandshakeError::BadKey,
            ),
            (
                "dGhlIHNhbXBsZSBub25jZQ==",
                "dGhlIHNhbXBsZSBub25jZXg=",
                HandshakeError::BadKey,
            ),
            (
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
                "",
                HandshakeError::MissingHeader("Sec-WebSocket-Key"),
            ),
            (
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
                HandshakeError::DuplicateHeader("Sec-WebSocket-Key"),
            ),
            ("Host: server", "Ho st: server", HandshakeError::Malformed),
        ];
        for (from, to, err) in cases {
            assert_eq!(
                parse(&with(GOOD, from, to)).map(|_| ()),
                Err(*err),
                "{from} -> {to}"
            );
        }
        assert_eq!(HandshakeError::Method.http_status(), 405);
        assert_eq!(HandshakeError::UnsupportedVersion.http_status(), 426);
        assert_eq!(HandshakeError::TooManyHeaders.http_status(), 431);
    }

    #[test]
    fn too_many_headers() {
        let cfg = Config {
            max_headers: 3,
            ..Config::default()
        };
        let r = parse_request(Bytes::from_static(GOOD), &cfg);
        assert_eq!(r.map(|_| ()), Err(HandshakeError::TooManyHeaders));
    }

    #[test]
    fn reject_response() {
        let mut out = BytesMut::new();
        write_reject(&Reject::new(426), &mut out);
        assert_eq!(
            &out[..],
            b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nUpgrade: websocket\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        );
        assert_eq!(Reject::new(101).check(), Err(UsageError::InvalidStatus));
        assert_eq!(Reject::new(700).check(), Err(UsageError::InvalidStatus));
    }

    /// A refusal's whole head, for a status without a body: the status
    /// line (its reason phrases are checked through the public API in
    /// `tests/adversarial.rs`, `refusals_carry_their_status_and_reason_phrase`),
    /// then only `Connection: close` and the length. Only 426 names the
    /// version and the protocol to upgrade to (RFC 6455 §4.2.2; RFC 9110
    /// §15.5.22: "The server MUST send an Upgrade header field in a 426
    /// response").
    #[test]
    fn a_bare_refusal_is_its_status_line_connection_close_and_length() {
        let mut out = BytesMut::new();
        write_reject(&Reject::new(400), &mut out);
        assert_eq!(
            &out[..],
            b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        );
    }

    /// "Content-Length = 1*DIGIT" (RFC 9110 §8.6), the body's length in
    /// decimal, whatever its number of digits.
    #[test]
    fn reject_content_length_is_the_body_length_in_decimal() {
        for len in [0, 1, 9, 10, 99, 100, 1234, 70_000] {
            let body = alloc::vec![b'x'; len];
            let mut out = BytesMut::new();
            write_reject(&Reject::new(403).header("X-A", "b").body(body), &mut out);
            let want = alloc::format!(
                "HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: {len}\r\nX-A: b\r\n\r\n"
            );
            assert!(out.starts_with(want.as_bytes()), "{len}: {out:?}");
            assert_eq!(out.len(), want.len() + len, "{len}");
        }
    }

    /// The 101 response is written in the one allocation `write` reserves
    /// for it, to the byte: nothing grows it afterwards, and nothing is
    /// reserved that it does not use.
    #[test]
    fn accept_response_fills_exactly_what_it_reserves() {
        let r = parse(GOOD).unwrap();
        let cases = [
            (Accept::new(), None),
            (Accept::new().protocol("chat"), None),
            (Accept::new(), Some("permessage-deflate")),
            (Accept::new().header("X", ""), None),
            (
                Accept::new()
                    .protocol("superchat")
                    .header("X-Server", "demo")
                    .header("Set-Cookie", "a=b; Path=/; HttpOnly; SameSite=Strict"),
                Some("permessage-deflate; server_no_context_takeover"),
            ),
        ];
        for (accept, ext) in cases {
            let mut out = BytesMut::new();
            accept.write(&r, ext, &mut out).unwrap();
            assert!(out.ends_with(b"\r\n\r\n"));
            assert_eq!(out.capacity(), out.len(), "{accept:?} {ext:?}");
        }
    }
}
