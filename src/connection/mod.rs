//! The connection state machine.

#[cfg(feature = "deflate")]
mod compress;
mod grow;
mod input;
mod recv;
mod send;
mod timers;

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use bytes::{Bytes, BytesMut};

use crate::close::CloseCode;
use crate::config::{Config, Entropy, NoEntropy};
use crate::error::{HandshakeError, PeerError, UsageError};
use crate::event::{Close, Event, EventRef, Initiator, Open};
use crate::handshake::{
    Accept, BodyReader, ClientHandshake, ClientRequest, HeadScanner, Reject, Request, Response,
    ResponseCheck, parse_request, write_reject,
};
use crate::time::Timers;
#[cfg(feature = "deflate")]
use compress::PerMessageDeflate;
use input::InputBuffer;
pub(crate) use recv::Delivery;
use recv::RecvState;
use send::SendState;

/// Which end of the connection this is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends the opening handshake and masks its frames.
    Client,
    /// Answers the opening handshake; its frames are not masked.
    Server,
}

/// The connection's state, as in the browser's `readyState` and RFC 6455's
/// prose. Frames are read as events are taken, one event ahead, so the
/// state follows the events taken: a close frame behind a message changes
/// it once the message's event has been taken.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// The opening handshake is under way.
    Connecting,
    /// "_The WebSocket Connection is Established_" (§4.1): messages flow.
    Open,
    /// A close frame was sent or received, not both yet. See
    /// [`Connection::initiator`] for which side started.
    Closing,
    /// The connection is over: the closing handshake completed, the
    /// connection was failed, the handshake was refused, or the transport
    /// ended. The `Close` event has been queued.
    Closed,
}

/// The most pongs kept waiting for `poll_transmit`; older ones are dropped
/// once more pings arrive: "an endpoint MAY elect to send a Pong frame for
/// only the most recently processed Ping frame" (§5.5.3). Keeping a few
/// answers back-to-back pings one for one, as peers expect.
pub(crate) const MAX_PENDING_PONGS: usize = 16;

/// The most bytes [`Connection::input_buffer`] lends at once (1 MiB).
pub const MAX_LEND: usize = 1 << 20;

/// See `Connection::deferred_close`.
struct DeferredClose {
    /// Events still to be taken before the close frame may be written.
    events_before: usize,
    payload: [u8; 125],
    len: usize,
}

enum Phase {
    /// Server: reading the request head.
    ServerHandshake(HeadScanner),
    /// Server: the request was handed to the application.
    ServerDecision(Box<Request>),
    /// Client: reading the response head.
    ClientHandshake(Box<ClientHandshake>, HeadScanner),
    /// Client: reading the body of a non-101 response.
    ClientRejectBody(Box<RejectBody>),
    /// Frames flow (OPEN, or CLOSING once a close frame has passed).
    Open,
    Closed,
}

/// Client: a refused handshake's head, while its body is read.
struct RejectBody {
    head: Bytes,
    status: u16,
    body: BodyReader,
}

/// A WebSocket connection, client or server, as a state machine over bytes.
///
/// It owns no socket, clock or random number generator. Its methods come in
/// four groups:
///
/// - getters: [`state`](Self::state), [`role`](Self::role),
///   [`buffered_amount`](Self::buffered_amount),
///   [`should_close_transport`](Self::should_close_transport), ...
/// - input from the transport: [`handle_input`](Self::handle_input) with the
///   bytes read, [`handle_eof`](Self::handle_eof) when the peer stops sending;
///   and from the clock: [`handle_timeout`](Self::handle_timeout);
/// - commands from the application: [`accept`](Self::accept),
///   [`reject`](Self::reject), [`send_text`](Self::send_text),
///   [`send_binary`](Self::send_binary), [`send_fragment`](Self::send_fragment),
///   [`ping`](Self::ping), [`pong`](Self::pong), [`close`](Self::close);
/// - what the caller must do next: [`poll_event`](Self::poll_event),
///   [`poll_transmit`](Self::poll_transmit), and when to wake it:
///   [`poll_timeout`](Self::poll_timeout).
///
/// After handing in input or issuing commands, the caller MUST drain
/// `poll_event` until it returns `None`, then write every buffer
/// `poll_transmit` returns, in order, then close the transport if
/// `should_close_transport` says so, then wait for input no later than
/// `poll_timeout`. Events and output never depend on how the input was
/// split into calls, nor on when the caller asks: only on the input and
/// the instants handed to `handle_timeout`.
///
/// Frames are read as events are taken, one event ahead: a read of many
/// small frames never becomes a queue of many events (memory stays bounded
/// by the input), and a frame's replies (a pong, the close frame that
/// answers the peer's) are queued when its turn comes, after the replies to
/// the messages before it.
///
/// The order matters: replies to events (an echo, and the close frame
/// that answers the peer's, which waits behind the events queued before
/// it so that replies to them go first) reach the output queue while
/// events are taken. A loop that writes output before taking events, and
/// then blocks on a read, leaves them unsent while the peer waits.
///
/// ```
/// use rfc6455::{Config, Connection, Event};
/// let mut conn = Connection::open_server(Config::default());
/// // A masked text frame "hi", then a masked close frame (1000).
/// conn.handle_input(&[0x81, 0x82, 0, 0, 0, 0, b'h', b'i', 0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8]);
/// while let Some(event) = conn.poll_event() {
///     if let Event::Text(text) = event {
///         conn.send_text(text.as_str()).unwrap(); // the echo goes before our close frame
///     }
/// }
/// let out = conn.poll_transmit().unwrap();
/// assert_eq!(&out[..], &[0x81, 2, b'h', b'i', 0x88, 2, 0x03, 0xE8]);
/// assert!(conn.should_close_transport());
/// ```
pub struct Connection {
    role: Role,
    config: Config,
    entropy: Box<dyn Entropy + Send>,
    phase: Phase,
    inbuf: InputBuffer,
    /// Whole buffers queued for the transport ahead of `out`: payloads sent
    /// without a copy (`send_binary_bytes`, `send_text_bytes`) and the
    /// bytes that preceded them.
    queued: VecDeque<Bytes>,
    out: BytesMut,
    events: VecDeque<Event>,
    rx: RecvState,
    tx: SendState,
    /// Payloads of pings not yet answered, oldest first, at most
    /// `MAX_PENDING_PONGS`: beyond that they coalesce (§5.5.3).
    pending_pongs: VecDeque<Bytes>,
    /// A close frame decided while reading input but held back until the
    /// events queued before it have been taken, so that replies to them
    /// reach the wire first.
    deferred_close: Option<Box<DeferredClose>>,
    close_sent: bool,
    close_received: bool,
    initiator: Option<Initiator>,
    protocol: Option<String>,
    /// The `Sec-WebSocket-Extensions` value agreed on, if any.
    extensions: Option<String>,
    /// permessage-deflate, when negotiated: the parameters and both codecs
    /// (their zlib state allocated on first use).
    #[cfg(feature = "deflate")]
    pmd: Option<Box<PerMessageDeflate>>,
    eof: bool,
    close_transport: bool,
    /// Every deadline, and the latest instant handed in (`timers.rs`).
    timers: Timers,
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state())
            .field("buffered_amount", &self.buffered_amount())
            .finish_non_exhaustive()
    }
}

impl Connection {
    fn new(role: Role, config: Config, entropy: Box<dyn Entropy + Send>, phase: Phase) -> Self {
        Connection {
            role,
            // A no-op for a valid configuration (`Config::validate`).
            config: config.clamped(),
            entropy,
            phase,
            inbuf: InputBuffer::default(),
            queued: VecDeque::new(),
            out: BytesMut::new(),
            events: VecDeque::new(),
            rx: RecvState::default(),
            tx: SendState::default(),
            pending_pongs: VecDeque::new(),
            deferred_close: None,
            close_sent: false,
            close_received: false,
            initiator: None,
            protocol: None,
            extensions: None,
            #[cfg(feature = "deflate")]
            pmd: None,
            eof: false,
            close_transport: false,
            timers: Timers::default(),
        }
    }

    /// A server connection, waiting for the client's opening handshake.
    /// Limits that make no sense are clamped to the nearest valid values
    /// ([`Config::clamped`]); [`try_server`](Self::try_server) refuses them.
    pub fn server(config: Config) -> Self {
        let phase = Phase::ServerHandshake(HeadScanner::for_request());
        let mut conn = Connection::new(Role::Server, config, Box::new(NoEntropy), phase);
        conn.timers_on_create();
        conn
    }

    /// A server connection, as [`server`](Self::server), refusing a
    /// configuration that [`Config::validate`] refuses.
    pub fn try_server(config: Config) -> Result<Self, UsageError> {
        config.validate()?;
        Ok(Connection::server(config))
    }

    /// A client connection. The opening handshake is queued for
    /// `poll_transmit` at once. `entropy` supplies the key and the masks.
    /// A configuration that [`Config::validate`] refuses is refused.
    pub fn client(
        request: ClientRequest,
        config: Config,
        entropy: impl Entropy + Send + 'static,
    ) -> Result<Self, UsageError> {
        config.validate()?;
        let mut conn = Connection::new(Role::Client, config, Box::new(entropy), Phase::Closed);
        let hs = request.start(&mut *conn.entropy, &mut conn.out, &conn.config)?;
        conn.phase = Phase::ClientHandshake(Box::new(hs), HeadScanner::default());
        conn.timers_on_create();
        Ok(conn)
    }

    /// A server connection that starts OPEN (its configuration clamped as
    /// in [`server`](Self::server)), for servers that did the
    /// upgrade elsewhere (an HTTP server's upgrade, checked with
    /// [`check_request`](crate::check_request), or RFC 8441 extended
    /// CONNECT). A server never masks, so it needs no entropy. Record a
    /// subprotocol agreed on there with [`with_protocol`](Self::with_protocol).
    pub fn open_server(config: Config) -> Self {
        let mut conn = Connection::new(Role::Server, config, Box::new(NoEntropy), Phase::Open);
        conn.timers_on_create();
        conn
    }

    /// A client connection that starts OPEN (its configuration clamped as
    /// in [`server`](Self::server)), for clients that did the upgrade
    /// elsewhere. `entropy` supplies the masks.
    pub fn open_client(config: Config, entropy: impl Entropy + Send + 'static) -> Self {
        let mut conn = Connection::new(Role::Client, config, Box::new(entropy), Phase::Open);
        conn.timers_on_create();
        conn
    }

    /// Records the subprotocol agreed on during an upgrade done elsewhere,
    /// for [`protocol`](Self::protocol).
    ///
    /// ```
    /// use rfc6455::{Config, Connection, State};
    /// let conn = Connection::open_server(Config::default()).with_protocol("chat");
    /// assert_eq!((conn.state(), conn.protocol()), (State::Open, Some("chat")));
    /// ```
    pub fn with_protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocol = Some(protocol.into());
        self
    }

    /// Records permessage-deflate parameters agreed on during an upgrade
    /// done elsewhere (e.g. with [`DeflateConfig::select`] over the
    /// request's `Sec-WebSocket-Extensions`, whose answer went into the
    /// 101), so that this connection compresses and inflates with them.
    /// The level and threshold come from the connection's `Config::deflate`.
    ///
    /// ```
    /// use rfc6455::{Config, Connection, DeflateConfig};
    /// let config = Config::default();
    /// let (params, answer) = config.deflate
    ///     .select(["permessage-deflate; client_max_window_bits"]).unwrap();
    /// assert_eq!(answer, "permessage-deflate");
    /// let conn = Connection::open_server(config).with_deflate(params);
    /// assert_eq!(conn.deflate(), Some(params));
    /// ```
    ///
    /// [`DeflateConfig::select`]: crate::DeflateConfig::select
    #[cfg(feature = "deflate")]
    pub fn with_deflate(mut self, params: crate::DeflateParams) -> Self {
        self.set_deflate(Some(params));
        self
    }

    #[cfg(feature = "deflate")]
    fn set_deflate(&mut self, params: Option<crate::DeflateParams>) {
        self.pmd =
            params.map(|p| Box::new(PerMessageDeflate::new(p, self.role, &self.config.deflate)));
    }

    // ---- getters ----

    /// The connection's state.
    pub fn state(&self) -> State {
        match self.phase {
            Phase::ServerHandshake(_)
            | Phase::ServerDecision(_)
            | Phase::ClientHandshake(..)
            | Phase::ClientRejectBody(_) => State::Connecting,
            Phase::Open if self.close_sent || self.close_received => State::Closing,
            Phase::Open => State::Open,
            // The closing handshake is over once our close frame is queued
            // too: until then, replies to the events before it may be sent.
            Phase::Closed if self.deferred_close.is_some() => State::Closing,
            Phase::Closed => State::Closed,
        }
    }

    /// Whether this is a client or a server.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Who started the closing, once somebody has.
    pub fn initiator(&self) -> Option<Initiator> {
        self.initiator
    }

    /// Whether the state is [`State::Closed`].
    pub fn is_closed(&self) -> bool {
        self.state() == State::Closed
    }

    /// Whether input is over: the `Close` event has been queued (the state
    /// may still be CLOSING while our held-back close frame waits).
    fn input_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// The subprotocol agreed on in the handshake.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The `Sec-WebSocket-Extensions` value the handshake agreed on, if
    /// any (as in [`Open::extensions`]).
    pub fn extensions(&self) -> Option<&str> {
        self.extensions.as_deref()
    }

    /// The permessage-deflate parameters in use, if compression was
    /// negotiated (as in `Open::deflate`).
    #[cfg(feature = "deflate")]
    pub fn deflate(&self) -> Option<crate::DeflateParams> {
        self.pmd.as_ref().map(|p| p.params)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// How many bytes are queued for `poll_transmit`, like the browser's
    /// `bufferedAmount`.
    pub fn buffered_amount(&self) -> usize {
        self.queued.iter().map(Bytes::len).sum::<usize>()
            + self.out.len()
            + self
                .pending_pongs
                .iter()
                .map(|p| p.len() + 6)
                .sum::<usize>()
    }

    /// Whether the caller MUST now close the transport: the connection is
    /// closed and all output has been taken. A server closes the TCP
    /// connection first after a clean close (§7.1.1: "the server MUST close
    /// the underlying TCP connection immediately"); a client waits for the
    /// server to close it (reported by `handle_eof`), for at most
    /// `Config::close_timeout` once time is handed in, or until
    /// [`abort`](Self::abort), which makes this true at once. A timer that
    /// gives up on the peer (dead peer, unanswered close) drops queued
    /// output, so this is true at once then too.
    ///
    /// Closing TCP without losing the last frames: write everything
    /// `poll_transmit` returned, then shut down the write half
    /// (`TcpStream::shutdown(Shutdown::Write)`, `shutdown(fd, SHUT_WR)`), then
    /// read and discard until the peer's EOF or a short timeout, then close.
    /// A plain `close()` with unread input in the kernel's buffer makes the
    /// kernel send a RST, which may destroy the close frame the peer has not
    /// yet read (RFC 7230 §6.6 describes the same hazard for HTTP).
    pub fn should_close_transport(&self) -> bool {
        (self.close_transport || self.eof)
            && self.input_closed()
            && self.out.is_empty()
            && self.queued.is_empty()
            && self.pending_pongs.is_empty()
            && self.deferred_close.is_none()
    }

    // ---- input ----

    /// Hands in bytes read from the transport. Events and output are queued.
    /// Input after the connection is closed is ignored.
    pub fn handle_input(&mut self, data: &[u8]) {
        if self.input_closed() {
            return;
        }
        if !data.is_empty() {
            self.timers_on_bytes();
        }
        let most = self.input_bound(data.len());
        let plan = self.unmask_on_copy(data);
        match plan {
            [None, None] => self.inbuf.extend(data, most),
            [Some(a), Some(b)] => self.inbuf.extend_masked(data, &[a, b], most),
            [Some(a), None] | [None, Some(a)] => self.inbuf.extend_masked(data, &[a], most),
        }
        self.unmasked_on_copy(&plan);
        self.process();
    }

    /// Lends the end of the input buffer for the caller to read into
    /// directly, so large frames are never copied between buffers: read at
    /// most `len` bytes into the returned slice, then call
    /// [`commit_input`](Self::commit_input) with the number read. The slice
    /// is zeroed (this crate has no `unsafe` to lend uninitialised memory).
    ///
    /// The slice is at most `len` bytes long, and never longer than
    /// [`MAX_LEND`] (1 MiB): a larger read gains nothing, and a huge `len`
    /// must not exhaust memory or overflow. It is shorter when a large
    /// frame under way needs fewer bytes than `len` and a whole read would
    /// not fit behind it: the slice then ends where the frame does, so that
    /// the frame completes where it lies instead of being moved to make
    /// room (read again for what follows it). After the connection is closed,
    /// what is committed is ignored, as in `handle_input`.
    ///
    /// ```
    /// use rfc6455::{Config, Connection, Event};
    /// let mut conn = Connection::server(Config::default());
    /// let request = b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\
    ///     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    ///     Sec-WebSocket-Version: 13\r\n\r\n";
    /// // A socket read would fill the lent slice; here a copy stands in for it.
    /// let buf = conn.input_buffer(16 * 1024);
    /// buf[..request.len()].copy_from_slice(request);
    /// conn.commit_input(request.len());
    /// assert!(matches!(conn.poll_event(), Some(Event::Request(_))));
    /// assert_eq!(conn.input_buffer(usize::MAX).len(), rfc6455::MAX_LEND);
    /// ```
    pub fn input_buffer(&mut self, len: usize) -> &mut [u8] {
        let len = len.min(MAX_LEND);
        let want = self.frame_room(len);
        let most = self.input_bound(len);
        let missing = self
            .frame_missing()
            .map_or(0, |m| usize::try_from(m).unwrap_or(len));
        self.inbuf.lend(len, want, missing, most)
    }

    /// The bound on the input buffer's growth for a read of `len` bytes.
    /// The buffer never needs more than the read and a whole frame (its
    /// header and a payload of at most `max_frame_size`, which `begin`
    /// checks before any of it is read) ahead of it, when events are taken
    /// as they come: the bytes of a frame stay until it is complete, and
    /// the frames before it have been read. So it stays within the limits
    /// and a read, rather than doubling past them; bytes left unread for
    /// longer are still held, whatever this bound.
    fn input_bound(&self, len: usize) -> usize {
        self.config
            .max_frame_size
            .saturating_add(crate::frame::MAX_HEADER_LEN)
            .saturating_add(len)
    }

    /// Frees what the connection's empty buffers hold on to: the input
    /// buffer's capacity (as large as the largest read lent into it), the
    /// output buffer's, and the queues'. Call it when the connection goes
    /// idle (a read would block), so that a server with many idle
    /// connections does not keep a read-sized buffer for each. Buffers that
    /// hold data are left as they are. A slice lent by
    /// [`input_buffer`](Self::input_buffer) and not committed is forgotten,
    /// as the read that would block leaves it: commit what was read first.
    pub fn shrink_to_fit(&mut self) {
        self.inbuf.drop_lent();
        self.inbuf.shrink_to_fit();
        if self.out.is_empty() {
            self.out = BytesMut::new();
        }
        if self.events.is_empty() {
            self.events = VecDeque::new();
        }
        if self.queued.is_empty() {
            self.queued = VecDeque::new();
        }
        if self.pending_pongs.is_empty() {
            self.pending_pongs = VecDeque::new();
        }
        self.rx.shrink();
        #[cfg(feature = "deflate")]
        if let Some(pmd) = &mut self.pmd {
            pmd.shrink(self.rx.in_message(), self.tx.in_message());
        }
    }

    /// Hands in the first `n` bytes of the slice from
    /// [`input_buffer`](Self::input_buffer), exactly as `handle_input` would.
    pub fn commit_input(&mut self, n: usize) {
        if self.input_closed() {
            // Input after the connection is closed is ignored, as in `handle_input`.
            self.inbuf.drop_lent();
            return;
        }
        if !self.inbuf.commit(n) {
            return;
        }
        if n > 0 {
            self.timers_on_bytes();
        }
        self.process();
    }

    /// Forgets a buffer lent by `input_buffer` and never committed: it hands
    /// nothing in.
    fn drop_lent(&mut self) {
        self.inbuf.drop_lent();
    }

    /// Reports that the peer will send nothing more (the read returned 0).
    pub fn handle_eof(&mut self) {
        self.drop_lent();
        self.eof = true;
        self.timers_on_eof();
        match core::mem::replace(&mut self.phase, Phase::Open) {
            Phase::Closed => self.phase = Phase::Closed,
            Phase::ClientRejectBody(r) => {
                let RejectBody { head, status, body } = *r;
                let body = self.inbuf.with_bytes_mut(|b| body.at_eof(b));
                self.events
                    .push_back(Event::Rejected(Response { head, status, body }));
                self.initiator = Some(Initiator::Remote);
                self.finish(CloseCode::ABNORMAL, String::new(), false);
            }
            Phase::ClientHandshake(..) => {
                self.events
                    .push_back(Event::Error(PeerError::Handshake(HandshakeError::Eof)));
                self.initiator = Some(Initiator::Remote);
                self.finish(CloseCode::ABNORMAL, String::new(), false);
            }
            Phase::Open => {
                // The frames already buffered are still read, as their
                // events are taken; the connection closes (1006) after them.
                self.read_frames();
            }
            Phase::ServerHandshake(_) | Phase::ServerDecision(_) => {
                // "If _The WebSocket Connection is Closed_ and no Close control
                // frame was received by the endpoint ... _The WebSocket
                // Connection Close Code_ is considered to be 1006" (§7.1.5).
                self.initiator.get_or_insert(Initiator::Remote);
                self.finish(CloseCode::ABNORMAL, String::new(), false);
            }
        }
    }

    fn process(&mut self) {
        loop {
            match &mut self.phase {
                Phase::ServerHandshake(scanner) => {
                    match scanner.scan(self.inbuf.data(), &self.config) {
                        Ok(None) => return,
                        Ok(Some(n)) => {
                            let head = skip_empty_lines(self.inbuf.split_to(n).freeze());
                            match parse_request(head, &self.config) {
                                Ok(req) => {
                                    self.timers_on_request();
                                    self.events.push_back(Event::Request(req.clone()));
                                    self.phase = Phase::ServerDecision(Box::new(req));
                                }
                                Err(e) => return self.refuse_request(e),
                            }
                        }
                        Err(e) => return self.refuse_request(e),
                    }
                }
                Phase::ClientHandshake(hs, scanner) => {
                    let n = match scanner.scan(self.inbuf.data(), &self.config) {
                        Ok(None) => return,
                        Ok(Some(n)) => n,
                        Err(e) => return self.fail_handshake(e),
                    };
                    let head = skip_empty_lines(self.inbuf.split_to(n).freeze());
                    match hs.check(&head, &self.config) {
                        Ok(ResponseCheck::Interim) => *scanner = HeadScanner::default(),
                        Ok(ResponseCheck::Open {
                            protocol,
                            extensions,
                            #[cfg(feature = "deflate")]
                            deflate,
                        }) => {
                            self.protocol.clone_from(&protocol);
                            self.extensions.clone_from(&extensions);
                            #[cfg(feature = "deflate")]
                            self.set_deflate(deflate);
                            self.events.push_back(Event::Open(Open {
                                protocol,
                                extensions,
                                #[cfg(feature = "deflate")]
                                deflate,
                            }));
                            self.phase = Phase::Open;
                            self.timers_on_open();
                        }
                        Ok(ResponseCheck::Rejected { status, body }) => {
                            self.phase = Phase::ClientRejectBody(Box::new(RejectBody {
                                head,
                                status,
                                body,
                            }));
                        }
                        Err(e) => return self.fail_handshake(e),
                    }
                }
                Phase::ClientRejectBody(r) => {
                    let RejectBody { head, status, body } = &mut **r;
                    let max = self.config.max_handshake_bytes;
                    let Some(body) = self.inbuf.with_bytes_mut(|b| body.read(b, max)) else {
                        return;
                    };
                    let response = Response {
                        head: head.clone(),
                        status: *status,
                        body,
                    };
                    self.events.push_back(Event::Rejected(response));
                    self.initiator = Some(Initiator::Remote);
                    self.close_transport = true;
                    return self.finish(CloseCode::ABNORMAL, String::new(), false);
                }
                Phase::Open => return self.read_frames(),
                Phase::ServerDecision(_) => {
                    // Bytes behind the request head wait for the
                    // application's answer. "the client MUST wait for a
                    // response from the server before sending any further
                    // data" (§4.1), yet some clients send frames early:
                    // as much is kept as one frame of the largest size
                    // (or one head, if larger), so waiting never holds
                    // more than reading after `accept` would. More fails
                    // the handshake (400) instead of growing the buffer.
                    if self.inbuf.len() > early_data_limit(&self.config) {
                        self.refuse_request(HandshakeError::EarlyData);
                    }
                    return;
                }
                Phase::Closed => return,
            }
        }
    }

    /// Server: answers a bad request with its HTTP status and closes.
    fn refuse_request(&mut self, e: HandshakeError) {
        let mut body = String::from(e.body_text());
        body.push('\n');
        write_reject(&Reject::new(e.http_status()).body(body), &mut self.out);
        self.fail_handshake(e);
    }

    fn fail_handshake(&mut self, e: HandshakeError) {
        self.events.push_back(Event::Error(PeerError::Handshake(e)));
        self.initiator = Some(Initiator::Library);
        self.close_transport = true;
        self.finish(CloseCode::ABNORMAL, String::new(), false);
    }

    /// Enters CLOSED and queues the one `Close` event.
    fn finish(&mut self, code: CloseCode, reason: String, clean: bool) {
        self.phase = Phase::Closed;
        // A payload read and not yet taken is older than every queued event.
        self.settle_lent();
        if let Some(e) = self.take_ready() {
            self.events.push_front(e);
        }
        self.inbuf.free();
        self.rx = RecvState::default();
        if self.role == Role::Server || !clean {
            self.close_transport = true;
        }
        self.timers_on_finish(clean);
        let initiator = self.initiator.unwrap_or(Initiator::Remote);
        self.events.push_back(Event::Close(Close {
            code,
            reason,
            initiator,
            clean,
        }));
    }

    // ---- handshake commands ----

    /// Server: accepts the request from [`Event::Request`]. The 101 response
    /// is queued, an `Open` event follows, and frames that arrived behind the
    /// request are read.
    pub fn accept(&mut self, accept: Accept) -> Result<(), UsageError> {
        let Phase::ServerDecision(_) = &self.phase else {
            return Err(UsageError::InvalidState);
        };
        // A buffer still lent by `input_buffer` holds no input yet.
        self.drop_lent();
        let Phase::ServerDecision(req) = &self.phase else {
            return Err(UsageError::InvalidState);
        };
        // "A server MUST decline an extension negotiation offer for this
        // extension if any of the following conditions are met: ..."
        // (RFC 7692 §7.1): the first offer that is well formed is accepted
        // (`DeflateConfig::select_from`), unless the application declined
        // compression for this connection.
        #[cfg(feature = "deflate")]
        let (deflate, extensions) = if accept.no_compression || !req.is_websocket() {
            (None, None)
        } else {
            match req
                .parsed_extensions()
                .ok()
                .and_then(|exts| self.config.deflate.select_from(&exts))
            {
                Some((params, answer)) => (Some(params), Some(answer)),
                None => (None, None),
            }
        };
        #[cfg(not(feature = "deflate"))]
        let extensions: Option<String> = None;
        accept.write(req, extensions.as_deref(), &mut self.out)?;
        self.protocol.clone_from(&accept.protocol);
        self.extensions.clone_from(&extensions);
        #[cfg(feature = "deflate")]
        self.set_deflate(deflate);
        self.events.push_back(Event::Open(Open {
            protocol: accept.protocol,
            extensions,
            #[cfg(feature = "deflate")]
            deflate,
        }));
        self.phase = Phase::Open;
        self.timers_on_open();
        self.process();
        Ok(())
    }

    /// Server: answers the request from [`Event::Request`] with a non-101
    /// response (a refusal, or a page for a plain HTTP request). The
    /// connection closes once it is sent.
    pub fn reject(&mut self, reject: Reject) -> Result<(), UsageError> {
        if !matches!(self.phase, Phase::ServerDecision(_)) {
            return Err(UsageError::InvalidState);
        }
        reject.check()?;
        write_reject(&reject, &mut self.out);
        self.initiator = Some(Initiator::Local);
        self.close_transport = true;
        self.finish(CloseCode::ABNORMAL, String::new(), false);
        Ok(())
    }

    /// Abandons the connection at once, in any state: a client or server
    /// still CONNECTING (where [`close`](Self::close) is refused), an OPEN
    /// connection whose peer stopped answering, or a client that no longer
    /// waits for the server's TCP close. Output not yet taken is dropped,
    /// nothing more is sent, and [`should_close_transport`](Self::should_close_transport)
    /// is true at once. Unless the `Close` event was already queued, it
    /// follows: code 1006, not clean, initiated locally (or by whoever
    /// started the closing handshake). "_Fail the WebSocket Connection_ ...
    /// the client SHOULD ... close the WebSocket Connection" without a close
    /// frame is allowed when "the underlying network connection ... is no
    /// longer available" or not worth keeping (§7.1.7).
    ///
    /// ```
    /// use rfc6455::{ClientRequest, Config, Connection, Event, Initiator, State};
    /// let request = ClientRequest::from_url("ws://example.com/chat")?;
    /// let mut conn = Connection::client(request, Config::default(), |b: &mut [u8]| b.fill(7))?;
    /// conn.abort(); // the server never answered
    /// assert_eq!(conn.state(), State::Closed);
    /// assert!(conn.should_close_transport() && conn.poll_transmit().is_none());
    /// let Some(Event::Close(close)) = conn.poll_event() else { panic!() };
    /// assert_eq!((close.code.as_u16(), close.initiator, close.clean), (1006, Initiator::Local, false));
    /// # Ok::<(), rfc6455::UsageError>(())
    /// ```
    pub fn abort(&mut self) {
        self.drop_lent();
        self.give_up_transport();
        if !self.input_closed() {
            self.initiator.get_or_insert(Initiator::Local);
            self.finish(CloseCode::ABNORMAL, String::new(), false);
        }
        self.timers.stop_all();
    }

    // ---- output ----

    /// The next event, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.read_frames();
        let event = match self.take_ready() {
            Some(e) => e,
            None => self.events.pop_front()?,
        };
        self.event_taken();
        Some(event)
    }

    /// The next event, with a message's payload lent from the connection's
    /// buffers instead of moved out of them: the cheapest way to receive,
    /// with no reference counting and, for messages that arrived in pieces,
    /// a reassembly buffer that is reused. The payload is valid until the
    /// next call on the connection, which drops it; the rest is what
    /// [`poll_event`](Self::poll_event) returns, as [`EventRef::Other`].
    /// Both read the same way; only where the payload goes differs.
    ///
    /// ```
    /// use rfc6455::{Config, Connection, EventRef};
    /// let mut conn = Connection::open_server(Config::default());
    /// conn.handle_input(&[0x81, 0x82, 0, 0, 0, 0, b'h', b'i', 0x82, 0x81, 0, 0, 0, 0, 7]);
    /// let mut got = Vec::new();
    /// while let Some(event) = conn.poll_event_ref() {
    ///     match event {
    ///         EventRef::Text(text) => got.push(text.as_bytes().to_vec()),
    ///         EventRef::Binary(data) => got.push(data.to_vec()),
    ///         other => panic!("{other:?}"),
    ///     }
    /// }
    /// assert_eq!(got, [b"hi".to_vec(), vec![7]]);
    /// ```
    #[must_use]
    pub fn poll_event_ref(&mut self) -> Option<EventRef<'_>> {
        self.read_frames();
        if self.rx_has_payload() {
            self.event_taken();
            let (what, data) = self.lend_ready()?;
            return Some(EventRef::from_payload(what, data));
        }
        let event = self.events.pop_front()?;
        self.event_taken();
        Some(EventRef::Other(event))
    }

    /// An event was taken: a close frame held back behind the events before
    /// it goes out once they are all taken.
    fn event_taken(&mut self) {
        if let Some(d) = &mut self.deferred_close {
            match d.events_before.checked_sub(1) {
                Some(n) => d.events_before = n,
                None => self.release_close(),
            }
        }
    }

    /// The next bytes to write to the transport, if any: everything queued,
    /// in one buffer, except that a payload sent without a copy comes as a
    /// buffer of its own. The caller MUST write them in order, and call
    /// again until it returns `None`.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.flush_pongs();
        if let Some(b) = self.queued.pop_front() {
            return Some(b);
        }
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.split().freeze())
        }
    }
}

/// The most bytes a server keeps behind a request head while the
/// application decides on it: `max(max_handshake_bytes, max_frame_size +
/// MAX_HEADER_LEN)`.
fn early_data_limit(config: &Config) -> usize {
    let frame = config
        .max_frame_size
        .saturating_add(crate::frame::MAX_HEADER_LEN);
    config.max_handshake_bytes.max(frame)
}

/// Drops empty lines before a head's first line: "a server that is expecting
/// to receive and parse a request-line SHOULD ignore at least one empty line
/// (CRLF) received prior to the request-line" (RFC 9112 §2.2). httparse skips
/// them too, so the head's accessors must start where it did. Only whole
/// empty lines go (CRLF, or a bare LF): a lone CR is no line end, and is
/// left for httparse to refuse (found by fuzzing: `\n\rHTTP/1.1 101 ...`
/// opened a client).
fn skip_empty_lines(mut head: Bytes) -> Bytes {
    loop {
        let n = match &head[..] {
            [b'\r', b'\n', ..] => 2,
            [b'\n', ..] => 1,
            _ => return head,
        };
        bytes::Buf::advance(&mut head, n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large frame read in small lent reads: the input buffer doubles
    /// with what arrived (not with what the header claims) up to the bound,
    /// a read and a whole frame: a logarithmic number of growths, not one a
    /// read.
    #[test]
    fn a_large_frame_read_in_small_reads_grows_the_buffer_by_doubling() {
        const LEN: usize = 256 << 10;
        let mut conn = Connection::open_server(Config::default());
        // Binary, masked with a zero key (the payload is as sent).
        let mut wire = alloc::vec![0x82, 0xFF];
        wire.extend_from_slice(&(LEN as u64).to_be_bytes());
        wire.extend_from_slice(&[0; 4]);
        wire.extend((0..LEN).map(|i| i as u8));
        let (mut growths, mut cap, mut got) = (0, 0, None);
        for read in wire.chunks(4096) {
            conn.input_buffer(read.len()).copy_from_slice(read);
            conn.commit_input(read.len());
            if conn.inbuf.capacity() != cap {
                cap = conn.inbuf.capacity();
                growths += 1;
            }
            while let Some(e) = conn.poll_event() {
                got = Some(e);
            }
        }
        let Some(Event::Binary(data)) = got else {
            panic!("{got:?}")
        };
        assert!(data.iter().enumerate().all(|(i, &b)| b == i as u8));
        // 4 KiB to 512 KiB.
        assert!(growths <= 8, "{growths} growths");
        assert!(cap <= 2 * LEN + 4096, "{cap}");
    }
}
