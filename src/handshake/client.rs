//! The client's side of the opening handshake (RFC 6455 §4.1).

use alloc::string::String;
use alloc::vec::Vec;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{Bytes, BytesMut};

use super::{
    BodyReader, Extension, HEADER_TABLE, Headers, Malformed, accept_key, check_header, count,
    first, has_token, is_safe_value, is_token, list_values, map_httparse, parse_extension_values,
    parse_extensions, values, write_headers,
};
use crate::config::{Config, Entropy};
#[cfg(feature = "deflate")]
use crate::deflate::{DeflateOffer, DeflateParams, ExtensionError, PERMESSAGE_DEFLATE};
use crate::error::{HandshakeError, UsageError};

/// What a client asks for: where to connect, and what to offer. Build it,
/// then hand it to [`crate::Connection::client`], which checks every part
/// and refuses anything that could inject into the request.
///
/// ```
/// use rfc6455::{ClientRequest, Config, Connection, UsageError};
/// let request = ClientRequest::from_url("ws://example.com:9001/chat?room=1")?
///     .origin("http://example.com")
///     .protocols(["chat.v2", "chat"])
///     .header("Authorization", "Bearer abc");
/// let mut conn = Connection::client(request, Config::default(), |b: &mut [u8]| b.fill(1))?;
/// let head = conn.poll_transmit().unwrap();
/// assert!(head.starts_with(b"GET /chat?room=1 HTTP/1.1\r\nHost: example.com:9001\r\n"));
///
/// // A value that would inject a header is refused, not sent.
/// let evil = ClientRequest::new("example.com", "/").header("X", "a\r\nEvil: 1");
/// let refused = Connection::client(evil, Config::default(), |b: &mut [u8]| b.fill(1));
/// assert!(refused.is_err());
/// # Ok::<(), UsageError>(())
/// ```
#[derive(Clone, Debug)]
pub struct ClientRequest {
    host: String,
    port: Option<u16>,
    secure: bool,
    path: String,
    origin: Option<String>,
    protocols: Vec<String>,
    extensions: Vec<String>,
    headers: Vec<(String, String)>,
}

impl ClientRequest {
    /// A request for `path` (e.g. "/chat") on `host` (the `Host` header,
    /// with a port if it is not the default).
    pub fn new(host: impl Into<String>, path: impl Into<String>) -> Self {
        ClientRequest {
            host: host.into(),
            port: None,
            secure: false,
            path: path.into(),
            origin: None,
            protocols: Vec::new(),
            extensions: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// A request from a `ws://` or `wss://` URL (§3). Fragments and user
    /// information are refused: "Fragment identifiers are meaningless in
    /// the context of WebSocket URIs and MUST NOT be used on these URIs".
    pub fn from_url(url: &str) -> Result<Self, UsageError> {
        let (secure, rest) = if let Some(r) = strip_prefix_ci(url, "ws://") {
            (false, r)
        } else if let Some(r) = strip_prefix_ci(url, "wss://") {
            (true, r)
        } else {
            return Err(UsageError::InvalidUrl);
        };
        if rest.contains('#') {
            return Err(UsageError::InvalidUrl);
        }
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(split);
        if authority.is_empty() || authority.contains('@') {
            return Err(UsageError::InvalidUrl);
        }
        let port = match authority.rfind(':') {
            Some(i) if !authority[i..].contains(']') => Some(
                authority[i + 1..]
                    .parse::<u16>()
                    .map_err(|_| UsageError::InvalidUrl)?,
            ),
            _ => None,
        };
        let path = match target {
            "" => String::from("/"),
            t if t.starts_with('?') => alloc::format!("/{t}"),
            t => String::from(t),
        };
        let mut req = ClientRequest::new(authority, path);
        req.port = port;
        req.secure = secure;
        req.check()?;
        Ok(req)
    }

    /// The host name to connect to, without port or IPv6 brackets.
    pub fn host_name(&self) -> &str {
        let h = match self.port {
            Some(_) => self.host.rsplit_once(':').map_or(&*self.host, |(h, _)| h),
            None => &self.host,
        };
        h.trim_start_matches('[').trim_end_matches(']')
    }

    /// The port to connect to: the URL's, or 80 / 443.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(if self.secure { 443 } else { 80 })
    }

    /// Whether the URL was `wss://` (TLS is the caller's to provide).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The request target.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Sets the `Origin` header.
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Offers a subprotocol (`Sec-WebSocket-Protocol`), in order of preference.
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocols.push(protocol.into());
        self
    }

    /// Offers several subprotocols.
    pub fn protocols<I: IntoIterator<Item = S>, S: Into<String>>(mut self, protocols: I) -> Self {
        self.protocols.extend(protocols.into_iter().map(Into::into));
        self
    }

    /// Offers an extension: one `Sec-WebSocket-Extensions` element, such as
    /// `"x-custom; level=2"`. permessage-deflate is offered through
    /// `Config::deflate` (with the `deflate` feature), which also checks
    /// the answer and runs the codec;
    /// an offer of it here is refused by `Connection::client`.
    pub fn extension(mut self, offer: impl Into<String>) -> Self {
        self.extensions.push(offer.into());
        self
    }

    /// Adds a header (e.g. `Authorization`, `Cookie`).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    fn check(&self) -> Result<(), UsageError> {
        let bad = |s: &str| s.is_empty() || s.bytes().any(|b| b <= b' ' || b == 0x7F || b == b'#');
        if bad(&self.host) || self.host.contains(['/', '?', '@']) {
            return Err(UsageError::InvalidUrl);
        }
        if bad(&self.path) || !self.path.starts_with('/') {
            return Err(UsageError::InvalidUrl);
        }
        if self.origin.as_deref().is_some_and(|o| !is_safe_value(o)) {
            return Err(UsageError::InvalidHeader);
        }
        if self.protocols.iter().any(|p| !is_token(p)) {
            return Err(UsageError::InvalidProtocol);
        }
        for e in &self.extensions {
            let Ok(parsed) = parse_extensions_value(e) else {
                return Err(UsageError::InvalidHeader);
            };
            if !is_safe_value(e) {
                return Err(UsageError::InvalidHeader);
            }
            // The codec is ours to run: an offer made behind its back could
            // be accepted and then RSV1 frames arrive that nothing inflates.
            #[cfg(feature = "deflate")]
            if parsed
                .iter()
                .any(|x| x.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE))
            {
                return Err(UsageError::InvalidHeader);
            }
            let _ = parsed;
        }
        for (n, v) in &self.headers {
            if n.eq_ignore_ascii_case("origin") {
                return Err(UsageError::ReservedHeader);
            }
            check_header(n, v)?;
        }
        Ok(())
    }

    /// Checks the request, draws the key and writes the request head.
    pub(crate) fn start(
        #[cfg_attr(not(feature = "deflate"), allow(unused_mut))] mut self,
        entropy: &mut dyn Entropy,
        out: &mut BytesMut,
        config: &Config,
    ) -> Result<ClientHandshake, UsageError> {
        self.check()?;
        let _ = config;
        // The permessage-deflate offer of the configuration goes last: any
        // other extension the application offers comes first, as it asked.
        #[cfg(feature = "deflate")]
        let deflate_offer = config.deflate.offer();
        #[cfg(feature = "deflate")]
        if let Some(offer) = &deflate_offer {
            self.extensions.push(offer.header_value());
        }
        let mut nonce = [0u8; 16];
        // "a nonce consisting of a randomly selected 16-byte value that has
        // been base64-encoded" (§4.1, item 7).
        entropy.fill(&mut nonce);
        let mut key = [0u8; 24];
        let _ = BASE64.encode_slice(nonce, &mut key);
        out.extend_from_slice(b"GET ");
        out.extend_from_slice(self.path.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        out.extend_from_slice(self.host.as_bytes());
        out.extend_from_slice(
            b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ",
        );
        out.extend_from_slice(&key);
        out.extend_from_slice(b"\r\nSec-WebSocket-Version: 13\r\n");
        if let Some(o) = &self.origin {
            out.extend_from_slice(b"Origin: ");
            out.extend_from_slice(o.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if !self.protocols.is_empty() {
            out.extend_from_slice(b"Sec-WebSocket-Protocol: ");
            out.extend_from_slice(self.protocols.join(", ").as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if !self.extensions.is_empty() {
            out.extend_from_slice(b"Sec-WebSocket-Extensions: ");
            out.extend_from_slice(self.extensions.join(", ").as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        write_headers(out, &self.headers);
        out.extend_from_slice(b"\r\n");
        let extension_names = self
            .extensions
            .iter()
            .flat_map(|e| parse_extensions_value(e).unwrap_or_default())
            .map(|e| e.name)
            .collect();
        Ok(ClientHandshake {
            accept: accept_key(&key),
            protocols: self.protocols,
            extension_names,
            interim: 0,
            #[cfg(feature = "deflate")]
            deflate_offer,
        })
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn parse_extensions_value(v: &str) -> Result<Vec<Extension>, Malformed> {
    parse_extension_values([v])
}

/// What the client remembers between its request and the response.
#[derive(Clone, Debug)]
pub(crate) struct ClientHandshake {
    accept: [u8; 28],
    protocols: Vec<String>,
    extension_names: Vec<String>,
    /// Interim (1xx) responses skipped so far.
    interim: u8,
    /// The permessage-deflate offer sent, if any.
    #[cfg(feature = "deflate")]
    deflate_offer: Option<DeflateOffer>,
}

/// The most interim (1xx) responses a client skips before the final one.
const MAX_INTERIM: u8 = 8;

/// The verdict on a complete response head.
pub(crate) enum ResponseCheck {
    /// A valid 101: the chosen subprotocol and extensions header, if any.
    Open {
        protocol: Option<String>,
        extensions: Option<String>,
        #[cfg(feature = "deflate")]
        deflate: Option<DeflateParams>,
    },
    /// An interim (1xx) response other than 101: skipped, the final
    /// response follows.
    Interim,
    /// Another status; the body follows, framed as the reader says.
    Rejected { status: u16, body: BodyReader },
}

impl ClientHandshake {
    /// Checks a complete response head (`head` ends with its empty line).
    pub(crate) fn check(
        &mut self,
        head: &[u8],
        config: &Config,
    ) -> Result<ResponseCheck, HandshakeError> {
        let mut table = [httparse::EMPTY_HEADER; HEADER_TABLE];
        let n = config.max_headers.min(HEADER_TABLE);
        let mut resp = httparse::Response::new(&mut table[..n]);
        match resp.parse(head) {
            Ok(httparse::Status::Complete(_)) => {}
            Ok(httparse::Status::Partial) => return Err(HandshakeError::Malformed),
            Err(e) => return Err(map_httparse(e)),
        }
        let status = resp.code.unwrap_or(0);
        // "A client MUST be able to parse one or more 1xx responses received
        // prior to a final response, even if the client does not expect one.
        // A user agent MAY ignore unexpected 1xx responses" (RFC 9110 §15.2).
        // A 1xx response has no content. 101 is the final answer here.
        if (100..200).contains(&status) && status != 101 {
            self.interim += 1;
            if self.interim > MAX_INTERIM {
                return Err(HandshakeError::UnexpectedResponse);
            }
            return Ok(ResponseCheck::Interim);
        }
        if status != 101 {
            let body = BodyReader::new(status, head)?;
            return Ok(ResponseCheck::Rejected { status, body });
        }
        // A 101 in HTTP/1.0 is no upgrade: HTTP/1.0 defines neither 1xx
        // status codes ("Since HTTP/1.0 did not define any 1xx status codes,
        // a server MUST NOT send a 1xx response to an HTTP/1.0 client", RFC
        // 9110 §15.2) nor Upgrade ("A server that receives an Upgrade header
        // field in an HTTP/1.0 request MUST ignore that Upgrade field", RFC
        // 9110 §7.8). A server that answers in HTTP/1.0 did not switch
        // protocols, whatever its status line says; RFC 6455 §4.2.2 has the
        // server send "HTTP/1.1 101 Switching Protocols".
        if resp.version != Some(1) {
            return Err(HandshakeError::HttpVersion);
        }
        // "If the response lacks an |Upgrade| header field or the |Upgrade|
        // header field contains a value that is not an ASCII case-insensitive
        // match for the value "websocket", the client MUST _Fail the
        // WebSocket Connection_" (§4.1, item 2); likewise `Connection` (item 3).
        if !has_token(head, "upgrade", "websocket") || !has_token(head, "connection", "upgrade") {
            return Err(HandshakeError::NotUpgrade);
        }
        // "If the |Sec-WebSocket-Accept| contains a value other than the
        // base64-encoded SHA-1 of the concatenation of the |Sec-WebSocket-Key|
        // (as a string, not base64-decoded) with the string "258EAFA5-E914-
        // 47DA-95CA-C5AB0DC85B11" ... the client MUST _Fail the WebSocket
        // Connection_" (§4.1, item 4).
        if count(head, "sec-websocket-accept") != 1
            || first(head, "sec-websocket-accept") != Some(&self.accept[..])
        {
            return Err(HandshakeError::BadAccept);
        }
        // "If the response includes a |Sec-WebSocket-Protocol| header field
        // and this header field indicates the use of a subprotocol that was
        // not present in the client's handshake ... the client MUST _Fail
        // the WebSocket Connection_" (§4.1, item 6).
        let protocol = match count(head, "sec-websocket-protocol") {
            0 => None,
            1 => {
                let mut values = list_values(head, "sec-websocket-protocol");
                let chosen = values.next().and_then(|v| core::str::from_utf8(v).ok());
                match chosen {
                    Some(p) if values.next().is_none() && self.protocols.iter().any(|o| o == p) => {
                        Some(String::from(p))
                    }
                    _ => return Err(HandshakeError::UnofferedProtocol),
                }
            }
            _ => return Err(HandshakeError::UnofferedProtocol),
        };
        // "If the response includes a |Sec-WebSocket-Extensions| header field
        // and this header field indicates the use of an extension that was not
        // present in the client's handshake ... the client MUST _Fail the
        // WebSocket Connection_" (§4.1, item 5).
        let exts = parse_extensions(head).map_err(|_| HandshakeError::UnofferedExtension)?;
        let any_extension = !exts.is_empty();
        #[cfg(feature = "deflate")]
        let (deflate, exts) = self.check_deflate(exts)?;
        if exts.iter().any(|e| {
            !self
                .extension_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&e.name))
        }) {
            return Err(HandshakeError::UnofferedExtension);
        }
        // An extension accepted twice: the second use was not offered (a
        // client may offer one extension several times, with alternative
        // parameters, and the server picks one of them, §9.1).
        if exts.iter().enumerate().any(|(i, e)| {
            exts[..i]
                .iter()
                .any(|p| p.name.eq_ignore_ascii_case(&e.name))
        }) {
            return Err(HandshakeError::UnofferedExtension);
        }
        let extensions = any_extension.then(|| {
            values(head, "sec-websocket-extensions")
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        });
        Ok(ResponseCheck::Open {
            protocol,
            extensions,
            #[cfg(feature = "deflate")]
            deflate,
        })
    }

    /// The permessage-deflate elements of the answer, checked against our
    /// offer (RFC 7692 §7.1); the other extensions are returned for the
    /// generic checks.
    #[cfg(feature = "deflate")]
    fn check_deflate(
        &self,
        exts: Vec<Extension>,
    ) -> Result<(Option<DeflateParams>, Vec<Extension>), HandshakeError> {
        let (ours, others): (Vec<_>, Vec<_>) = exts
            .into_iter()
            .partition(|e| e.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE));
        let mut agreed = None;
        for ext in &ours {
            let Some(offer) = &self.deflate_offer else {
                // "If the response includes a |Sec-WebSocket-Extensions|
                // header field and this header field indicates the use of an
                // extension that was not present in the client's handshake
                // ... the client MUST _Fail the WebSocket Connection_"
                // (RFC 6455 §4.1, item 5).
                return Err(HandshakeError::UnofferedExtension);
            };
            if agreed.is_some() {
                // Both would own RSV1 (RFC 7692 §5).
                return Err(HandshakeError::Extension(
                    ExtensionError::DuplicateExtension,
                ));
            }
            agreed = Some(
                offer
                    .check_response(ext)
                    .map_err(HandshakeError::Extension)?,
            );
        }
        Ok((agreed, others))
    }
}

/// A server's answer other than 101, reported in [`crate::Event::Rejected`]:
/// status, headers and body. Following a redirect is the caller's decision.
#[derive(Clone, Debug)]
pub struct Response {
    pub(crate) head: Bytes,
    pub(crate) status: u16,
    pub(crate) body: Bytes,
}

impl Response {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The first header called `name` (case-insensitive), e.g. `Location`.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        first(&self.head, name)
    }

    /// Every header line, in order.
    pub fn headers(&self) -> Headers<'_> {
        Headers::new(&self.head)
    }

    /// The body, framed as RFC 9112 §6.3 says: none for 204 and 304, the
    /// decoded chunks of a chunked body (up to the last chunk, or up to a
    /// malformed one), `Content-Length` bytes, or else what arrived before
    /// the transport closed. At most `Config::max_handshake_bytes` bytes of
    /// input are read for it; a body cut short by the limit or by the
    /// transport's end is reported as far as it arrived. A response with an
    /// invalid `Content-Length` is not reported: it fails the handshake
    /// with [`HandshakeError::Malformed`](crate::HandshakeError::Malformed).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The raw head, status line through the empty line.
    pub fn as_bytes(&self) -> &[u8] {
        &self.head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default configuration without compression: no offer is added.
    fn plain() -> Config {
        let c = Config::default();
        #[cfg(feature = "deflate")]
        let c = c.deflate(crate::DeflateConfig::disabled());
        c
    }

    fn start(req: ClientRequest) -> (ClientHandshake, String) {
        let mut out = BytesMut::new();
        let mut zero = |b: &mut [u8]| b.fill(0);
        let hs = req.start(&mut zero, &mut out, &plain()).unwrap();
        (hs, String::from_utf8(out.to_vec()).unwrap())
    }

    #[test]
    fn request_head() {
        let req = ClientRequest::from_url("ws://example.com:9001/chat?room=1")
            .unwrap()
            .origin("http://example.com")
            .protocols(["chat", "superchat"])
            .header("Authorization", "Bearer x");
        assert_eq!(req.host_name(), "example.com");
        assert_eq!(req.port(), 9001);
        let (_, head) = start(req);
        assert_eq!(
            head,
            "GET /chat?room=1 HTTP/1.1\r\nHost: example.com:9001\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 13\r\nOrigin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\nAuthorization: Bearer x\r\n\r\n"
        );
    }

    #[test]
    fn urls() {
        assert_eq!(ClientRequest::from_url("ws://h").unwrap().path(), "/");
        assert_eq!(ClientRequest::from_url("WSS://h?q").unwrap().path(), "/?q");
        assert_eq!(ClientRequest::from_url("wss://h/").unwrap().port(), 443);
        assert_eq!(
            ClientRequest::from_url("ws://[::1]:80/")
                .unwrap()
                .host_name(),
            "::1"
        );
        for bad in [
            "http://h/",
            "ws://",
            "ws://h/#frag",
            "ws://u@h/",
            "ws://h:99999/",
            "ws://h/a b",
        ] {
            assert!(ClientRequest::from_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn injection_refused() {
        let mut out = BytesMut::new();
        let mut zero = |b: &mut [u8]| b.fill(0);
        let cases = [
            ClientRequest::new("h", "/").header("X", "a\r\nB: c"),
            ClientRequest::new("h", "/").header("X\n", "a"),
            ClientRequest::new("h", "/").origin("o\r\n"),
            ClientRequest::new("h\r\nX: y", "/"),
            ClientRequest::new("h", "/\r\n"),
            ClientRequest::new("h", "/").protocol("a b"),
            ClientRequest::new("h", "/").extension("x\0"),
            ClientRequest::new("h", "/").header("Sec-WebSocket-Key", "x"),
        ];
        for c in cases {
            assert!(
                c.clone().start(&mut zero, &mut out, &plain()).is_err(),
                "{c:?}"
            );
        }
        assert!(out.is_empty());
    }

    #[test]
    fn response_checks() {
        let (hs, _) = start(
            ClientRequest::new("h", "/")
                .protocol("chat")
                .extension("foo"),
        );
        let accept = String::from(core::str::from_utf8(&hs.accept).unwrap());
        let accept = accept.as_str();
        let ok = alloc::format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"
        );
        let cfg = Config::default();
        let mut hs = hs;
        let mut check = |extra: &str| hs.check(alloc::format!("{ok}{extra}\r\n").as_bytes(), &cfg);
        assert!(matches!(
            check(""),
            Ok(ResponseCheck::Open { protocol: None, .. })
        ));
        assert!(matches!(
            check("Sec-WebSocket-Protocol: chat\r\n"),
            Ok(ResponseCheck::Open {
                protocol: Some(_),
                ..
            })
        ));
        assert!(matches!(
            check("Sec-WebSocket-Protocol: other\r\n"),
            Err(HandshakeError::UnofferedProtocol)
        ));
        assert!(matches!(
            check("Sec-WebSocket-Extensions: foo\r\n"),
            Ok(ResponseCheck::Open {
                extensions: Some(_),
                ..
            })
        ));
        assert!(matches!(
            check("Sec-WebSocket-Extensions: bar\r\n"),
            Err(HandshakeError::UnofferedExtension)
        ));
        let bad_accept = ok.replace(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert!(matches!(
            hs.check(alloc::format!("{bad_accept}\r\n").as_bytes(), &cfg),
            Err(HandshakeError::BadAccept)
        ));
        let no_upgrade = ok.replace("Upgrade: WebSocket\r\n", "");
        assert!(matches!(
            hs.check(alloc::format!("{no_upgrade}\r\n").as_bytes(), &cfg),
            Err(HandshakeError::NotUpgrade)
        ));
        let http10 = ok.replace("HTTP/1.1 101", "HTTP/1.0 101");
        assert!(matches!(
            hs.check(alloc::format!("{http10}\r\n").as_bytes(), &cfg),
            Err(HandshakeError::HttpVersion)
        ));
        let r = hs.check(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\n", &cfg);
        let Ok(ResponseCheck::Rejected {
            status: 403,
            mut body,
        }) = r
        else {
            panic!("not a rejection")
        };
        let mut input = BytesMut::from(&b"nope!more"[..]);
        assert_eq!(body.read(&mut input, 100).as_deref(), Some(&b"nope!"[..]));
    }
}
