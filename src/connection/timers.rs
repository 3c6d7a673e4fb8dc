//! Time as an input: `handle_timeout`, `poll_timeout`, and what each timer
//! does when it fires. The deadlines themselves live in [`Timers`]; the
//! hooks that start and stop them sit where the state changes (opening,
//! input, message start and end, our close frame, `finish`).
//!
//! Every input and command is taken to happen at the latest instant handed
//! to `handle_timeout`, so events and output depend only on the inputs and
//! the instants, never on when the caller asks.

use alloc::string::String;

use super::{Connection, Phase, Role};
use crate::close::CloseCode;
use crate::error::{HandshakeError, PeerError, ProtocolError};
use crate::event::{Event, Initiator};
use crate::frame::Opcode;
use crate::handshake::Response;
use crate::time::{Instant, Timer};

impl Connection {
    /// Hands in the current time and runs every timer that is due: each
    /// once, however long ago its deadline passed. Timers started by input
    /// and commands run from the latest instant handed in here, so call it
    /// whenever the caller wakes up (the read returned, or the instant from
    /// [`poll_timeout`](Self::poll_timeout) came), before handing in the
    /// input. An instant earlier than one handed in before counts as that
    /// one: the connection's time never goes back.
    ///
    /// Afterwards, drain `poll_event` and `poll_transmit` and check
    /// `should_close_transport`, as after input. No timer ever fires
    /// unless this is called.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.timers.advance(now);
        while let Some(timer) = self.timers.take_due() {
            self.fire(timer);
        }
    }

    /// The instant at which the connection wants
    /// [`handle_timeout`](Self::handle_timeout) called, if any timer is
    /// running. It changes when the state changes (opened, closing,
    /// closed), when bytes arrive (keepalive), when a data message starts
    /// or ends (`message_timeout`), and when a timer fires. It is never
    /// earlier than the latest instant handed in; before the first one it
    /// is [`Instant::ZERO`] if a timer is running: hand in the time now.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::Handshake => self.handshake_timed_out(),
            Timer::Ping => {
                if self.is_open() {
                    // A keepalive: "A Ping frame MAY be sent after the
                    // connection is established and before the connection
                    // is closed" (§5.5.2); "a Ping frame may serve either
                    // as a keepalive or as a means to verify that the
                    // remote endpoint is still responsive".
                    self.write_frame(true, Opcode::PING, &[]);
                    self.timers.start(Timer::Pong, self.config.pong_timeout);
                }
            }
            Timer::Pong => {
                if self.is_open() {
                    // No close frame: the peer is presumed gone, and a
                    // blocking writer would wait on its full window. The
                    // transport is closed at once.
                    self.events.push_back(Event::Error(PeerError::Unresponsive));
                    self.initiator = Some(Initiator::Library);
                    self.give_up_transport();
                    self.finish(CloseCode::ABNORMAL, String::new(), false);
                }
            }
            Timer::Close => match self.phase {
                // Our close frame was not answered: "_The WebSocket
                // Connection is Closed_ and no Close control frame was
                // received by the endpoint" means 1006 (§7.1.5).
                Phase::Open if self.close_sent && !self.close_received => {
                    self.initiator.get_or_insert(Initiator::Local);
                    self.give_up_transport();
                    self.finish(CloseCode::ABNORMAL, String::new(), false);
                }
                // A client after a clean close waited for the server to
                // close TCP (§7.1.1) long enough.
                Phase::Closed => self.give_up_transport(),
                _ => {}
            },
            Timer::Message => {
                if self.is_open() && self.rx.in_message() {
                    self.fail(ProtocolError::MessageTimeout);
                }
            }
        }
    }

    /// `Config::handshake_timeout` has passed while connecting.
    fn handshake_timed_out(&mut self) {
        match self.phase {
            // A slow (or slow-loris) client: 408 tells it why (RFC 9110
            // §15.5.9: "the server did not receive a complete request
            // message within the time that it was prepared to wait").
            Phase::ServerHandshake(_) => self.refuse_request(HandshakeError::Timeout),
            Phase::ClientHandshake(..) => self.fail_handshake(HandshakeError::Timeout),
            // The rejection's body is still arriving: report what came.
            Phase::ClientRejectBody(_) => {
                let Phase::ClientRejectBody(r) = core::mem::replace(&mut self.phase, Phase::Closed)
                else {
                    return;
                };
                let (head, status) = (r.head, r.status);
                let body = self.inbuf.split_to(usize::MAX).freeze();
                self.events
                    .push_back(Event::Rejected(Response { head, status, body }));
                self.initiator = Some(Initiator::Remote);
                self.close_transport = true;
                self.finish(CloseCode::ABNORMAL, String::new(), false);
            }
            _ => {}
        }
    }

    /// The transport is to be closed now: what is still queued for it is
    /// dropped, so `should_close_transport` says so at once.
    pub(super) fn give_up_transport(&mut self) {
        self.close_transport = true;
        self.out.clear();
        self.queued.clear();
        self.pending_pongs.clear();
        self.deferred_close = None;
    }

    /// OPEN: the handshake is done and no close frame has passed.
    fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open) && !self.close_sent && !self.close_received
    }

    // ---- hooks, called where the state changes ----

    /// The connection was created in `phase`.
    pub(super) fn timers_on_create(&mut self) {
        match self.phase {
            Phase::Open => self.timers_on_open(),
            _ => self
                .timers
                .start(Timer::Handshake, self.config.handshake_timeout),
        }
    }

    /// Server: the request head is complete; the application decides.
    pub(super) fn timers_on_request(&mut self) {
        self.timers.stop(Timer::Handshake);
    }

    /// The connection is OPEN: keepalive starts.
    pub(super) fn timers_on_open(&mut self) {
        self.timers.stop(Timer::Handshake);
        self.timers.start(Timer::Ping, self.config.ping_interval);
    }

    /// Bytes arrived while OPEN: the peer is alive. Any bytes count, not
    /// only a pong: a pong may be queued behind a long message that is
    /// still arriving.
    pub(super) fn timers_on_bytes(&mut self) {
        if self.is_open()
            && (self.timers.is_running(Timer::Ping) || self.timers.is_running(Timer::Pong))
        {
            self.timers.stop(Timer::Pong);
            self.timers.start(Timer::Ping, self.config.ping_interval);
        }
    }

    /// A data message's first frame header was read.
    pub(super) fn timers_on_message_start(&mut self) {
        self.timers
            .start(Timer::Message, self.config.message_timeout);
    }

    /// A data message's last frame ended.
    pub(super) fn timers_on_message_end(&mut self) {
        self.timers.stop(Timer::Message);
    }

    /// We sent our close frame first: wait for the peer's.
    pub(super) fn timers_on_close_sent(&mut self) {
        self.timers.stop_all();
        self.timers.start(Timer::Close, self.config.close_timeout);
    }

    /// The connection is CLOSED: every timer stops, except that a client
    /// after a clean close waits for the server to close TCP (§7.1.1).
    pub(super) fn timers_on_finish(&mut self, clean: bool) {
        self.timers.stop_all();
        if clean && self.role == Role::Client && !self.eof && !self.close_transport {
            self.timers.start(Timer::Close, self.config.close_timeout);
        }
    }

    /// The peer closed the transport: nothing is left to wait for.
    pub(super) fn timers_on_eof(&mut self) {
        self.timers.stop_all();
    }

    /// The connection's time: the latest instant handed in, if any.
    pub fn now(&self) -> Option<Instant> {
        self.timers.now()
    }
}
