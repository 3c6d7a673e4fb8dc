//! The send path: messages and control frames into the output queue,
//! masked with fresh keys on a client (RFC 6455 §5.3, §6.1).

use super::grow::reserve_within;
use super::{Connection, DeferredClose, Phase, Role};
use crate::close::{CloseCode, MAX_REASON_LEN};
use crate::error::UsageError;
use crate::event::Utf8Bytes;
use crate::event::{Initiator, MessageKind};
#[cfg(feature = "deflate")]
use crate::frame::RSV1;
use crate::frame::{FrameHeader, MAX_HEADER_LEN, Opcode};
use crate::mask::apply_mask;
use crate::utf8::Utf8Validator;
use alloc::boxed::Box;
use bytes::Bytes;

/// The smallest payload a server queues as its own buffer rather than
/// copying it: below this, a copy is cheaper than a separate write.
const ZERO_COPY_MIN: usize = 4096;

/// The message being sent in fragments, if any.
#[derive(Default)]
pub(super) struct SendState {
    fragmenting: Option<MessageKind>,
    /// Whether the fragmented message under way is compressed.
    #[cfg(feature = "deflate")]
    compressed: bool,
    utf8: Utf8Validator,
}

impl SendState {
    /// Whether a fragmented message is under way.
    #[cfg(feature = "deflate")]
    pub(super) fn in_message(&self) -> bool {
        self.fragmenting.is_some()
    }
}

fn data_opcode(kind: MessageKind) -> Opcode {
    match kind {
        MessageKind::Text => Opcode::TEXT,
        MessageKind::Binary => Opcode::BINARY,
    }
}

impl DeferredClose {
    /// A close payload: the code, then the reason cut to fit (§5.5.1).
    fn new(events_before: usize, code: Option<CloseCode>, reason: &[u8]) -> Self {
        let mut payload = [0u8; 125];
        let len = match code {
            None => 0,
            Some(c) => {
                let reason = &reason[..reason.len().min(MAX_REASON_LEN)];
                payload[..2].copy_from_slice(&c.as_u16().to_be_bytes());
                payload[2..2 + reason.len()].copy_from_slice(reason);
                2 + reason.len()
            }
        };
        DeferredClose {
            events_before,
            payload,
            len,
        }
    }

    fn payload(&self) -> &[u8] {
        &self.payload[..self.len]
    }
}

impl Connection {
    fn check_open(&self) -> Result<(), UsageError> {
        // Nothing may follow our close frame: "The application MUST NOT send
        // any more data frames after sending a Close frame" (§5.5.1).
        // Replies to events that were queued before a close or a violation
        // are still sent, ahead of the held-back close frame.
        let answering = self.deferred_close.is_some();
        if !answering && (!matches!(self.phase, Phase::Open) || self.close_sent) {
            return Err(UsageError::InvalidState);
        }
        Ok(())
    }

    /// Pongs may follow our close frame: "The application MUST NOT send any
    /// more data frames after sending a Close frame" (§5.5.1), and a Ping
    /// "MUST" be answered "unless it already received a Close frame"
    /// (§5.5.2), so while CLOSING after our close, pongs still go. A ping
    /// does not: nothing is owed to the peer, and it could not be answered.
    fn check_pong_allowed(&self) -> Result<(), UsageError> {
        if self.deferred_close.is_some() || matches!(self.phase, Phase::Open) {
            return Ok(());
        }
        Err(UsageError::InvalidState)
    }

    fn check_room(&self, payload: usize) -> Result<(), UsageError> {
        let need = self
            .buffered_amount()
            .saturating_add(payload + MAX_HEADER_LEN);
        if need > self.config.max_pending_output {
            return Err(UsageError::OutputFull);
        }
        Ok(())
    }

    /// Appends one frame to the output queue, after any pongs still owed.
    pub(super) fn write_frame(&mut self, fin: bool, opcode: Opcode, payload: &[u8]) {
        self.flush_pongs();
        self.encode_frame(fin, opcode, payload);
    }

    fn encode_frame(&mut self, fin: bool, opcode: Opcode, payload: &[u8]) {
        self.encode_frame_rsv(fin, 0, opcode, payload);
    }

    fn encode_frame_rsv(&mut self, fin: bool, rsv: u8, opcode: Opcode, payload: &[u8]) {
        let mask = self.encode_header(fin, rsv, opcode, payload.len(), payload.len());
        let start = self.out.len();
        self.out.extend_from_slice(payload);
        if let Some(key) = mask {
            apply_mask(&mut self.out[start..], key, 0);
        }
    }

    /// Appends a frame header for `len` payload bytes, with room reserved
    /// for `reserve` of them, and returns the masking key, if any.
    fn encode_header(
        &mut self,
        fin: bool,
        rsv: u8,
        opcode: Opcode,
        len: usize,
        reserve: usize,
    ) -> Option<[u8; 4]> {
        // "A client MUST mask all frames that it sends to the server ... The
        // masking key MUST be derived from a strong source of entropy, ... a
        // fresh masking key for each frame" (§5.1, §5.3).
        let mask = (self.role == Role::Client).then(|| {
            let mut key = [0u8; 4];
            self.entropy.fill(&mut key);
            key
        });
        let header = FrameHeader {
            fin,
            rsv,
            opcode,
            mask,
            payload_len: len as u64,
        };
        let (bytes, n) = header.encode();
        // `check_room` refuses a message or control frame that would take
        // the output past `max_pending_output`, so the queue's own growth
        // stops there too, instead of doubling past it (`grow.rs`). Only
        // what `check_room` lets through unasked goes beyond: a close frame
        // and at most `MAX_PENDING_PONGS` pongs, a few KiB at most.
        let most = self.config.max_pending_output;
        reserve_within(&mut self.out, n + reserve, most);
        self.out.extend_from_slice(&bytes[..n]);
        mask
    }

    /// Appends one frame whose payload is already in a buffer of its own: a
    /// server queues that buffer itself, with no copy, once it is large
    /// enough for a separate write to pay; a client must mask, so it copies.
    fn write_frame_bytes(&mut self, fin: bool, opcode: Opcode, payload: Bytes) {
        if self.role == Role::Client || payload.len() < ZERO_COPY_MIN {
            return self.write_frame(fin, opcode, &payload);
        }
        self.flush_pongs();
        self.encode_header(fin, 0, opcode, payload.len(), 0);
        let ahead = self.out.split().freeze();
        self.queued.push_back(ahead);
        self.queued.push_back(payload);
    }

    pub(super) fn flush_pongs(&mut self) {
        while let Some(p) = self.pending_pongs.pop_front() {
            self.encode_frame(true, Opcode::PONG, &p);
        }
    }

    /// Decides on a close frame while reading input. It is written once the
    /// events queued so far have been taken (at once if there are none), so
    /// that the application's replies to them go out first.
    pub(super) fn defer_close(&mut self, code: Option<CloseCode>, reason: &[u8]) {
        let close = DeferredClose::new(self.pending_events(), code, reason);
        self.close_sent = true;
        if close.events_before == 0 {
            self.write_frame(true, Opcode::CLOSE, close.payload());
        } else {
            self.deferred_close = Some(Box::new(close));
        }
    }

    pub(super) fn release_close(&mut self) {
        if let Some(d) = self.deferred_close.take() {
            self.write_frame(true, Opcode::CLOSE, d.payload());
        }
    }

    /// Sends a text message in one frame.
    pub fn send_text(&mut self, text: &str) -> Result<(), UsageError> {
        self.send_message(Opcode::TEXT, text.as_bytes())
    }

    /// Sends a binary message in one frame.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), UsageError> {
        self.send_message(Opcode::BINARY, data)
    }

    /// Sends a text message in one frame, from a buffer that is known to be
    /// UTF-8, such as a received [`Event::Text`](crate::Event::Text): an echo
    /// costs no validation, and on a server no copy of a large payload.
    ///
    /// ```
    /// use rfc6455::{Config, Connection, Event};
    /// let mut conn = Connection::open_server(Config::default());
    /// conn.handle_input(&[0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2]); // masked "hi"
    /// if let Some(Event::Text(text)) = conn.poll_event() {
    ///     conn.send_text_bytes(text)?;
    /// }
    /// assert_eq!(&conn.poll_transmit().unwrap()[..], &[0x81, 2, b'h', b'i']);
    /// # Ok::<(), rfc6455::UsageError>(())
    /// ```
    pub fn send_text_bytes(&mut self, text: Utf8Bytes) -> Result<(), UsageError> {
        self.send_message_bytes(Opcode::TEXT, text.into_bytes())
    }

    /// Sends a binary message in one frame from a shared buffer: on a
    /// server, a large payload is queued as it is, with no copy, and comes
    /// out of `poll_transmit` as a buffer of its own.
    pub fn send_binary_bytes(&mut self, data: Bytes) -> Result<(), UsageError> {
        self.send_message_bytes(Opcode::BINARY, data)
    }

    /// Sends a whole message in one frame, never compressed, whatever
    /// was negotiated: what Node `ws` does with `{ compress: false }`
    /// (already-compressed data, or bytes that must not be compressed
    /// together with secrets in the same context). Without
    /// permessage-deflate it is `send_text` / `send_binary`.
    ///
    /// ```
    /// use rfc6455::{Config, Connection, DeflateParams, MessageKind};
    /// let mut conn = Connection::open_server(Config::default())
    ///     .with_deflate(DeflateParams::default());
    /// let data = vec![b'a'; 4096];
    /// conn.send_uncompressed(MessageKind::Binary, &data)?;
    /// let out = conn.poll_transmit().unwrap();
    /// assert_eq!(out[0], 0x82); // FIN, no RSV1, binary
    /// assert_eq!(out.len(), 4 + data.len());
    /// conn.send_binary(&data)?; // above the threshold: compressed
    /// let out = conn.poll_transmit().unwrap();
    /// assert_eq!(out[0], 0xC2); // FIN, RSV1, binary
    /// assert!(out.len() < 100);
    /// # Ok::<(), rfc6455::UsageError>(())
    /// ```
    pub fn send_uncompressed(&mut self, kind: MessageKind, data: &[u8]) -> Result<(), UsageError> {
        if kind == MessageKind::Text && core::str::from_utf8(data).is_err() {
            return Err(UsageError::InvalidUtf8);
        }
        self.check_message(data.len())?;
        self.write_frame(true, data_opcode(kind), data);
        Ok(())
    }

    fn send_message(&mut self, opcode: Opcode, data: &[u8]) -> Result<(), UsageError> {
        self.check_message(data.len())?;
        #[cfg(feature = "deflate")]
        if self.compresses(data.len()) {
            self.send_compressed(opcode, data, true, true);
            return Ok(());
        }
        self.write_frame(true, opcode, data);
        Ok(())
    }

    fn send_message_bytes(&mut self, opcode: Opcode, data: Bytes) -> Result<(), UsageError> {
        self.check_message(data.len())?;
        #[cfg(feature = "deflate")]
        if self.compresses(data.len()) {
            self.send_compressed(opcode, &data, true, true);
            return Ok(());
        }
        self.write_frame_bytes(true, opcode, data);
        Ok(())
    }

    /// Whether a whole message of `len` bytes goes out compressed: when
    /// permessage-deflate was negotiated and it is at least the threshold.
    #[cfg(feature = "deflate")]
    fn compresses(&self, len: usize) -> bool {
        self.pmd.as_ref().is_some_and(|p| len >= p.threshold)
    }

    /// Compresses one frame's worth of a message and queues the frame
    /// (RFC 7692 §7.2.1): RSV1 on the message's first frame only, "the
    /// "Per-Message Compressed" bit ... set on the first frame of the
    /// message" (§6); every call ends with a sync flush and the last strips
    /// the `00 00 ff ff` (`Compressor::compress`). With context takeover
    /// the peer's window follows ours, so everything the compressor
    /// outputs is sent.
    #[cfg(feature = "deflate")]
    fn send_compressed(&mut self, opcode: Opcode, data: &[u8], first: bool, fin: bool) {
        let Some(pmd) = self.pmd.as_deref_mut() else {
            return self.write_frame(fin, opcode, data);
        };
        let mut scratch = core::mem::take(&mut pmd.scratch);
        scratch.clear();
        pmd.compressor.compress(data, fin, &mut scratch);
        self.flush_pongs();
        let rsv = if first { RSV1 } else { 0 };
        self.encode_frame_rsv(fin, rsv, opcode, &scratch);
        if let Some(pmd) = self.pmd.as_deref_mut() {
            pmd.scratch = scratch;
        }
    }

    fn check_message(&self, len: usize) -> Result<(), UsageError> {
        self.check_open()?;
        if self.tx.fragmenting.is_some() {
            return Err(UsageError::MessageInProgress);
        }
        self.check_room(len)
    }

    /// Sends one fragment of a message; `fin` marks the last. The first
    /// fragment sets the message's kind; later ones MUST have the same kind.
    /// With permessage-deflate the message is compressed across its
    /// fragments (one context, a sync flush per fragment, RSV1 on the
    /// first), unless its first fragment is also its last and under the
    /// threshold.
    /// Text fragments may split a code point; the message as a whole MUST be
    /// UTF-8 and is checked as it goes. Control frames may be sent between
    /// fragments.
    ///
    /// ```
    /// use rfc6455::{Config, Connection, MessageKind, UsageError};
    /// let mut conn = Connection::open_server(Config::default());
    /// let euro = "€".as_bytes(); // three bytes, split across two fragments
    /// conn.send_fragment(MessageKind::Text, &euro[..1], false)?;
    /// conn.ping(b"between fragments")?;
    /// assert_eq!(conn.send_text("no"), Err(UsageError::MessageInProgress));
    /// conn.send_fragment(MessageKind::Text, &euro[1..], true)?;
    /// let out = conn.poll_transmit().unwrap();
    /// assert_eq!(&out[..3], &[0x01, 1, euro[0]]); // text, not final
    /// assert_eq!(&out[out.len() - 4..], &[0x80, 2, euro[1], euro[2]]); // continuation, final
    /// // A message that does not end as UTF-8 is refused.
    /// conn.send_fragment(MessageKind::Text, &euro[..2], false)?;
    /// assert_eq!(conn.send_fragment(MessageKind::Text, b"", true), Err(UsageError::InvalidUtf8));
    /// # Ok::<(), UsageError>(())
    /// ```
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        fin: bool,
    ) -> Result<(), UsageError> {
        self.check_open()?;
        let opcode = match self.tx.fragmenting {
            None => data_opcode(kind),
            Some(k) if k == kind => Opcode::CONTINUATION,
            Some(_) => return Err(UsageError::FragmentKind),
        };
        let mut utf8 = if self.tx.fragmenting.is_none() {
            Utf8Validator::new()
        } else {
            self.tx.utf8.clone()
        };
        if kind == MessageKind::Text {
            utf8.feed(data).map_err(|_| UsageError::InvalidUtf8)?;
            if fin && !utf8.is_complete() {
                return Err(UsageError::InvalidUtf8);
            }
        }
        self.check_room(data.len())?;
        #[cfg(feature = "deflate")]
        {
            let first = self.tx.fragmenting.is_none();
            if first {
                self.tx.compressed = self
                    .pmd
                    .as_ref()
                    .is_some_and(|p| !fin || data.len() >= p.threshold);
            }
            if self.tx.compressed {
                self.send_compressed(opcode, data, first, fin);
            } else {
                self.write_frame(fin, opcode, data);
            }
        }
        #[cfg(not(feature = "deflate"))]
        self.write_frame(fin, opcode, data);
        self.tx.utf8 = utf8;
        self.tx.fragmenting = if fin { None } else { Some(kind) };
        Ok(())
    }

    /// Sends a ping with up to 125 bytes of payload.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), UsageError> {
        self.send_control(Opcode::PING, payload)
    }

    /// Sends an unsolicited pong (a heartbeat that expects no answer, §5.5.3).
    /// Allowed while CLOSING after our close, as the pongs that answer pings
    /// are (§5.5.2).
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), UsageError> {
        self.send_control(Opcode::PONG, payload)
    }

    fn send_control(&mut self, opcode: Opcode, payload: &[u8]) -> Result<(), UsageError> {
        if opcode == Opcode::PONG {
            self.check_pong_allowed()?;
        } else {
            self.check_open()?;
        }
        if payload.len() > 125 {
            return Err(UsageError::ControlTooLong);
        }
        self.check_room(payload.len())?;
        self.write_frame(true, opcode, payload);
        Ok(())
    }

    /// Starts the closing handshake with `code` and a `reason` of at most 123
    /// bytes. Codes that may not be sent (1004–1006, 1015, outside
    /// 1000–4999, reserved ranges) are refused, never rewritten. After this,
    /// nothing else is sent; the `Close` event comes when the peer answers or
    /// the transport ends.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), UsageError> {
        if !matches!(self.phase, Phase::Open) || self.close_sent {
            return Err(UsageError::InvalidState);
        }
        if !code.is_valid_on_wire() {
            return Err(UsageError::InvalidCloseCode(code.as_u16()));
        }
        if reason.len() > MAX_REASON_LEN {
            return Err(UsageError::ReasonTooLong);
        }
        self.initiator = Some(Initiator::Local);
        let close = DeferredClose::new(0, Some(code), reason.as_bytes());
        self.close_sent = true;
        self.timers_on_close_sent();
        self.write_frame(true, Opcode::CLOSE, close.payload());
        Ok(())
    }
}
