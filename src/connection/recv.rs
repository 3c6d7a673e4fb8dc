//! The receive path: frames out of the input buffer, unmasked in place,
//! checked, and assembled into messages (RFC 6455 §5, §6.2).

use alloc::string::String;
use bytes::BytesMut;

use super::grow::reserve_within;
use super::input::Masked;
use super::{Connection, Phase, Role};
use crate::close::{CloseCode, parse_close_payload};
use crate::config::Config;
use crate::error::{PeerError, ProtocolError};
use crate::event::{Event, Fragment, Initiator, MessageKind, Utf8Bytes};
use crate::frame::{FrameHeader, HeaderError, Opcode, RSV1, Status};
use crate::mask::apply_mask;
use crate::utf8::Utf8Validator;

/// Unmasking and UTF-8 validation run together over blocks of this size,
/// so that each block is validated while it is still in the L1 cache.
const FUSE_BLOCK: usize = 16 * 1024;

/// Frames at least this long are unmasked as they are copied in even when
/// their header arrives in the same copy ([`Connection::unmask_on_copy`]);
/// shorter ones are unmasked in place, in cache, when they are read.
const AHEAD_FROM: u64 = 1024;

/// Where the receive path is within the current frame and message.
#[derive(Default)]
pub(super) struct RecvState {
    /// The header of the frame being read.
    frame: Option<FrameHeader>,
    /// Payload bytes of the frame not yet taken out of the input buffer.
    remaining: u64,
    /// Payload bytes of the frame already taken out (for the mask phase).
    taken: u64,
    /// Bytes at the front of the input buffer already unmasked and checked.
    done: usize,
    /// Payload bytes of the next frame unmasked as they were copied in,
    /// before its header was read ([`Connection::unmask_on_copy`]); a u32
    /// (the look-ahead stops there), which keeps the struct the same size.
    ahead: u32,
    /// The type of the data message under way, if any.
    message: Option<MessageKind>,
    message_len: u64,
    /// Whether the message under way is compressed (RSV1 on its first
    /// frame, permessage-deflate).
    compressed: bool,
    /// The message's inflated size so far (streaming mode).
    #[cfg(feature = "deflate")]
    inflated: usize,
    fragments: usize,
    /// Streaming mode: whether the message's first piece is still to come.
    first_piece: bool,
    /// Streaming text: the first bytes of a code point that the last frame
    /// left unfinished, carried to the next piece.
    held_bytes: [u8; 3],
    held: usize,
    /// Fragments of the message so far (not in streaming mode); in
    /// streaming mode, a piece that starts with carried bytes.
    assembled: BytesMut,
    /// A message or piece read and not yet taken.
    ready: Option<Ready>,
    /// A message or piece lent by `poll_event_ref`, to be dropped from the
    /// buffers before anything else is read.
    lent: Option<Ready>,
    utf8: Utf8Validator,
}

/// What a ready payload is.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Delivery {
    /// A whole message.
    Message(MessageKind),
    /// A streaming piece.
    Piece {
        kind: MessageKind,
        first: bool,
        last: bool,
    },
}

/// A payload that has been read, unmasked and checked, and waits where it
/// lies for the application to take it: at the front of the input buffer,
/// or in the reassembly buffer.
#[derive(Copy, Clone, Debug)]
pub(super) struct Ready {
    pub(super) what: Delivery,
    /// Whether it is the whole reassembly buffer; otherwise the first `len`
    /// bytes of the input buffer.
    assembled: bool,
    /// Bytes behind the payload in the input buffer that leave with it (a
    /// code point carried to the next piece: at most three).
    drop_after: u8,
    len: usize,
}

impl Ready {
    fn input(what: Delivery, len: usize, drop_after: usize) -> Self {
        debug_assert!(drop_after <= 3);
        Ready {
            what,
            assembled: false,
            drop_after: drop_after as u8,
            len,
        }
    }

    fn assembled(what: Delivery) -> Self {
        Ready {
            what,
            assembled: true,
            drop_after: 0,
            len: 0,
        }
    }
}

impl From<HeaderError> for ProtocolError {
    fn from(e: HeaderError) -> Self {
        match e {
            HeaderError::NonMinimalLength => ProtocolError::NonMinimalLength,
            HeaderError::LengthTopBit => ProtocolError::LengthTopBit,
        }
    }
}

impl RecvState {
    /// Frees the reassembly buffer's capacity when nothing is in it (a
    /// message taken out of it leaves its spare capacity behind, sharing
    /// the allocation). A message under way, ready or lent in it holds its
    /// bytes there, so the buffer is not empty then, unless the message is
    /// (and an empty one needs no capacity).
    pub(super) fn shrink(&mut self) {
        if self.assembled.is_empty() {
            self.assembled = BytesMut::new();
        }
    }

    /// Whether a data message is under way.
    pub(super) fn in_message(&self) -> bool {
        self.message.is_some()
    }

    /// Checks a new frame's header against the rules and the limits, before
    /// any of its payload is read: nothing is reserved for a declared length.
    fn begin(
        &mut self,
        h: FrameHeader,
        role: Role,
        config: &Config,
        deflate: bool,
    ) -> Result<(), ProtocolError> {
        // "MUST be 0 unless an extension is negotiated that defines meanings
        // for non-zero values. If a nonzero value is received and none of the
        // negotiated extensions defines the meaning of such a nonzero value,
        // the receiving endpoint MUST _Fail the WebSocket Connection_" (§5.2).
        // permessage-deflate owns RSV1, and only RSV1 (RFC 7692 §6).
        let rsv1 = h.rsv & RSV1 != 0;
        if h.rsv & !RSV1 != 0 || (rsv1 && !deflate) {
            return Err(ProtocolError::ReservedBits);
        }
        // "An endpoint MUST NOT set the "Per-Message Compressed" bit of
        // control frames and non-first fragments of a data message. An
        // endpoint receiving such a frame MUST _Fail the WebSocket
        // Connection_" (RFC 7692 §6.1).
        if rsv1 && (h.opcode.is_control() || h.opcode == Opcode::CONTINUATION) {
            return Err(ProtocolError::ReservedBits);
        }
        // "If an unknown opcode is received, the receiving endpoint MUST _Fail
        // the WebSocket Connection_" (§5.2).
        if h.opcode.is_reserved() {
            return Err(ProtocolError::ReservedOpcode);
        }
        // "The server MUST close the connection upon receiving a frame that
        // is not masked ... A client MUST close a connection if it detects a
        // masked frame" (§5.1).
        match (role, h.mask) {
            (Role::Server, None) => return Err(ProtocolError::UnmaskedFrame),
            (Role::Client, Some(_)) => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }
        if h.opcode.is_control() {
            // "All control frames MUST have a payload length of 125 bytes or
            // less and MUST NOT be fragmented" (§5.5).
            if !h.fin {
                return Err(ProtocolError::FragmentedControlFrame);
            }
            if h.payload_len > 125 {
                return Err(ProtocolError::ControlFrameTooLong);
            }
        } else {
            if h.payload_len > config.max_frame_size as u64 {
                return Err(ProtocolError::FrameTooBig);
            }
            match (self.message, h.opcode) {
                // "A fragmented message consists of a single frame with the FIN
                // bit clear and an opcode other than 0, followed by zero or
                // more frames with the FIN bit clear and the opcode set to 0,
                // and terminated by a single frame with the FIN bit set and an
                // opcode of 0" (§5.4).
                (None, Opcode::CONTINUATION) => return Err(ProtocolError::UnexpectedContinuation),
                (Some(_), Opcode::CONTINUATION) => {}
                (Some(_), _) => return Err(ProtocolError::ExpectedContinuation),
                (None, op) => {
                    let kind = if op == Opcode::TEXT {
                        MessageKind::Text
                    } else {
                        MessageKind::Binary
                    };
                    self.message = Some(kind);
                    self.message_len = 0;
                    self.compressed = rsv1;
                    #[cfg(feature = "deflate")]
                    {
                        self.inflated = 0;
                    }
                    self.fragments = 0;
                    self.first_piece = true;
                    self.held = 0;
                    self.utf8.reset();
                }
            }
            self.fragments += 1;
            if self.fragments > config.max_fragments {
                return Err(ProtocolError::TooManyFragments);
            }
            self.message_len += h.payload_len;
            if self.message_len > config.max_message_size as u64 {
                return Err(ProtocolError::MessageTooBig);
            }
        }
        self.frame = Some(h);
        self.remaining = h.payload_len;
        self.taken = 0;
        self.done = 0;
        Ok(())
    }
}

impl Connection {
    /// Drops from the buffers the payload that `poll_event_ref` lent.
    pub(super) fn settle_lent(&mut self) {
        if let Some(r) = self.rx.lent.take() {
            if r.assembled {
                self.rx.assembled.clear();
            } else {
                self.inbuf.advance(r.len + usize::from(r.drop_after));
            }
        }
    }

    /// Whether a payload is ready to be taken (it comes before queued events).
    pub(super) fn rx_has_payload(&self) -> bool {
        self.rx.ready.is_some()
    }

    /// Whether an event or a payload is ready to be taken.
    pub(super) fn has_ready(&self) -> bool {
        self.rx.ready.is_some() || !self.events.is_empty()
    }

    /// How many events are ready to be taken.
    pub(super) fn pending_events(&self) -> usize {
        self.events.len() + usize::from(self.rx.ready.is_some())
    }

    /// The next ready payload, if any, lent where it lies until the next
    /// call; `settle_lent` drops it then.
    pub(super) fn lend_ready(&mut self) -> Option<(Delivery, &[u8])> {
        let r = self.rx.ready.take()?;
        self.rx.lent = Some(r);
        let data = if r.assembled {
            &self.rx.assembled[..]
        } else {
            &self.inbuf.data()[..r.len]
        };
        Some((r.what, data))
    }

    /// The next ready payload, if any, as an owned event: it leaves the
    /// buffer it lies in without a copy.
    pub(super) fn take_ready(&mut self) -> Option<Event> {
        let r = self.rx.ready.take()?;
        let data = if r.assembled {
            self.rx.assembled.split().freeze()
        } else {
            let data = self.inbuf.split_to(r.len).freeze();
            self.inbuf.advance(usize::from(r.drop_after));
            data
        };
        Some(match r.what {
            Delivery::Message(MessageKind::Text) => Event::Text(Utf8Bytes::from_validated(data)),
            Delivery::Message(MessageKind::Binary) => Event::Binary(data),
            Delivery::Piece { kind, first, last } => Event::Fragment(Fragment {
                kind,
                data,
                first,
                last,
            }),
        })
    }

    /// Reads frames from the input buffer until one event is ready, or
    /// until the buffered bytes run out. Frames are read as events are
    /// taken, one event ahead: a read holding thousands of small frames
    /// never becomes thousands of queued events, and each message is
    /// handled while its bytes are in cache.
    pub(super) fn read_frames(&mut self) {
        self.settle_lent();
        while matches!(self.phase, Phase::Open) && !self.has_ready() {
            let step = match self.rx.frame {
                None => self.read_header(),
                Some(h) if h.opcode.is_control() => self.read_control(h),
                Some(h) => self.read_data(h),
            };
            match step {
                Ok(true) => {}
                Ok(false) => {
                    if self.eof && matches!(self.phase, Phase::Open) && !self.has_ready() {
                        // Every whole frame before the end of the stream has
                        // been read: "If _The WebSocket Connection is Closed_
                        // and no Close control frame was received by the
                        // endpoint ... _The WebSocket Connection Close Code_ is
                        // considered to be 1006" (§7.1.5).
                        self.initiator.get_or_insert(Initiator::Remote);
                        self.finish(CloseCode::ABNORMAL, String::new(), false);
                    }
                    return;
                }
                Err(e) => return self.fail(e),
            }
        }
    }

    /// What of input handed in by copy is unmasked as it is copied, in one
    /// pass over the bytes: the rest of the data frame under way, if every
    /// byte of it buffered so far is unmasked; and, if `data` holds the
    /// whole header of the frame after it, as much of that frame's payload
    /// as `data` holds. Each only for a masked binary frame that is not
    /// compressed (text is validated block by block as it is unmasked, in
    /// `read_data`), and only when nothing is ready or lent. A stream of
    /// large frames read in pieces that straddle them is then unmasked
    /// entirely on copy, never in a second pass.
    pub(super) fn unmask_on_copy(&self, data: &[u8]) -> [Option<Masked>; 2] {
        if !matches!(self.phase, Phase::Open)
            || self.rx.compressed
            || self.rx.ready.is_some()
            || self.rx.lent.is_some()
        {
            return [None, None];
        }
        let (current, at, message) = match self.rx.frame {
            // Between frames with nothing buffered: `data` starts with a header.
            None if self.inbuf.is_empty() => (None, 0, self.rx.message),
            None => return [None, None],
            Some(h) => {
                let Some(key) = h.mask else {
                    return [None, None];
                };
                let buffered = self.inbuf.len();
                if h.opcode.is_control()
                    || self.rx.message != Some(MessageKind::Binary)
                    || self.rx.done != buffered
                {
                    return [None, None];
                }
                let Some(missing) = self.rx.remaining.checked_sub(buffered as u64) else {
                    return [None, None];
                };
                let n = usize::try_from(missing)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                let current = Masked {
                    at: 0,
                    len: n,
                    key,
                    phase: (self.rx.taken as usize).wrapping_add(buffered),
                };
                if n == 0 {
                    return [None, None];
                }
                // When `data` ends inside this frame (n < missing), nothing
                // of it is left for the look-ahead, which finds no header.
                let after = if h.fin {
                    None
                } else {
                    Some(MessageKind::Binary)
                };
                (Some(current), n, after)
            }
        };
        [current, self.masked_ahead(&data[at..], at, message)]
    }

    /// The payload that `data` holds of the frame whose header starts it,
    /// when the frame is large, masked, binary (a new message, or the next
    /// fragment of the binary `message` under way) and not compressed.
    fn masked_ahead(&self, data: &[u8], at: usize, message: Option<MessageKind>) -> Option<Masked> {
        let Ok(Status::Complete(h, header)) = FrameHeader::parse(data) else {
            return None;
        };
        let key = h.mask?;
        let binary = matches!(
            (message, h.opcode),
            (None, Opcode::BINARY) | (Some(MessageKind::Binary), Opcode::CONTINUATION)
        );
        if !binary
            || h.rsv != 0
            || h.payload_len < AHEAD_FROM
            || h.payload_len > self.config.max_frame_size as u64
        {
            return None;
        }
        let len = usize::try_from(h.payload_len.min(u64::from(u32::MAX)))
            .unwrap_or(usize::MAX)
            .min(data.len() - header);
        Some(Masked {
            at: at + header,
            len,
            key,
            phase: 0,
        })
    }

    /// After a copy planned by [`Self::unmask_on_copy`]: its bytes of the
    /// frame under way are unmasked, and so are the first bytes of the next
    /// frame's payload, which its header will find.
    pub(super) fn unmasked_on_copy(&mut self, plan: &[Option<Masked>; 2]) {
        if let Some(current) = plan[0] {
            self.rx.done += current.len;
        }
        if let Some(next) = plan[1] {
            // At most u32::MAX (`masked_ahead`).
            self.rx.ahead = u32::try_from(next.len).unwrap_or(u32::MAX);
        }
    }

    /// How much room a read should find behind the buffered bytes: the rest
    /// of a data frame under way, so that it lands where it will stay, but
    /// never more than the frame has already delivered (or `len`), so that
    /// memory follows what arrived, not what the peer claims.
    pub(super) fn frame_room(&self, len: usize) -> usize {
        match self.frame_missing() {
            Some(missing) => {
                let buffered = self.inbuf.len() as u64;
                let arrived = self.rx.taken + buffered.min(self.rx.remaining);
                let room = missing.min(arrived.max(len as u64));
                usize::try_from(room).unwrap_or(len).max(len)
            }
            None => len,
        }
    }

    /// How many bytes the data frame under way still misses, if its bytes
    /// stay in the input buffer until it is complete. A compressed frame is
    /// inflated as it arrives, and a streamed one is handed out: their
    /// bytes do not stay.
    pub(super) fn frame_missing(&self) -> Option<u64> {
        match self.rx.frame {
            Some(h) if !h.opcode.is_control() && !self.config.streaming && !self.rx.compressed => {
                Some(self.rx.remaining.saturating_sub(self.inbuf.len() as u64))
            }
            _ => None,
        }
    }

    fn read_header(&mut self) -> Result<bool, ProtocolError> {
        match FrameHeader::parse(self.inbuf.data())? {
            Status::Partial => Ok(false),
            Status::Complete(h, n) => {
                self.inbuf.advance(n);
                #[cfg(feature = "deflate")]
                let deflate = self.pmd.is_some();
                #[cfg(not(feature = "deflate"))]
                let deflate = false;
                self.rx.begin(h, self.role, &self.config, deflate)?;
                // The header planned for by `unmask_on_copy`, if any.
                let ahead = core::mem::take(&mut self.rx.ahead);
                if !h.opcode.is_control() {
                    self.rx.done = ahead as usize;
                }
                if !h.opcode.is_control() && h.opcode != Opcode::CONTINUATION {
                    self.timers_on_message_start();
                }
                Ok(true)
            }
        }
    }

    fn read_control(&mut self, h: FrameHeader) -> Result<bool, ProtocolError> {
        let len = h.payload_len as usize; // at most 125
        if self.inbuf.len() < len {
            return Ok(false);
        }
        let mut payload = self.inbuf.split_to(len);
        if let Some(key) = h.mask {
            apply_mask(&mut payload, key, 0);
        }
        self.rx.frame = None;
        let payload = payload.freeze();
        match h.opcode {
            Opcode::PING => {
                // "Upon receipt of a Ping frame, an endpoint MUST send a Pong
                // frame in response, unless it already received a Close
                // frame" (§5.5.2); "an endpoint MAY elect to send a Pong frame
                // for only the most recently processed Ping frame" (§5.5.3).
                // Having sent a Close frame is no exception: only data frames
                // may not follow it (§5.5.1), and the peer's Close has not
                // arrived, or this frame would not be read.
                if self.config.auto_pong {
                    if self.pending_pongs.len() == super::MAX_PENDING_PONGS {
                        self.pending_pongs.pop_front();
                    }
                    // A copy, so an owed pong never pins the whole input buffer.
                    self.pending_pongs
                        .push_back(bytes::Bytes::copy_from_slice(&payload));
                }
                self.events.push_back(Event::Ping(payload));
            }
            Opcode::PONG => self.events.push_back(Event::Pong(payload)),
            _ => {
                let (code, reason) = parse_close_payload(&payload)?;
                self.close_received = true;
                if !self.close_sent {
                    // "If an endpoint receives a Close frame and did not
                    // previously send a Close frame, the endpoint MUST send a
                    // Close frame in response. (When sending a Close frame in
                    // response, the endpoint typically echos the status code
                    // it received.)" (§5.5.1)
                    self.initiator = Some(Initiator::Remote);
                    self.defer_close(code, reason.as_bytes());
                }
                let code = code.unwrap_or(CloseCode::NO_STATUS_RCVD);
                self.finish(code, String::from(reason), true);
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn read_data(&mut self, h: FrameHeader) -> Result<bool, ProtocolError> {
        #[cfg(feature = "deflate")]
        if self.rx.compressed {
            return self.read_compressed(h);
        }
        let kind = self.rx.message.unwrap_or(MessageKind::Binary);
        let avail = self.rx.remaining.min(self.inbuf.len() as u64) as usize;
        // Unmask and validate each piece as soon as it arrives, block by
        // block while it is in cache, so that invalid text fails before the
        // frame is complete. (`done <= avail`: what is done was buffered,
        // and is of this frame.)
        let fresh = &mut self.inbuf.data_mut()[self.rx.done..avail];
        let mut phase = (self.rx.taken as usize).wrapping_add(self.rx.done);
        for block in fresh.chunks_mut(FUSE_BLOCK) {
            if let Some(key) = h.mask {
                apply_mask(block, key, phase);
                phase = phase.wrapping_add(block.len());
            }
            if kind == MessageKind::Text {
                self.rx
                    .utf8
                    .feed(block)
                    .map_err(|_| ProtocolError::InvalidUtf8)?;
            }
        }
        self.rx.done = avail;
        let frame_done = avail as u64 == self.rx.remaining;
        let last = frame_done && h.fin;
        if last && !self.rx.utf8.is_complete() {
            return Err(ProtocolError::InvalidUtf8);
        }
        // In streaming mode every text piece is valid UTF-8 on its own: a
        // code point that the buffered bytes leave unfinished is held back,
        // in the buffer until the frame ends, then carried to the next
        // frame's piece (at most three bytes).
        let mut keep = 0;
        if self.config.streaming {
            let held = self.rx.held;
            let pending = self.rx.utf8.pending().len();
            // Whether the carried code point is still unfinished: then every
            // byte that arrived since belongs to it.
            let still_held = held != 0 && pending == held + avail;
            let tail = if still_held { avail } else { pending };
            let deliver = avail - tail;
            // Bytes of this frame that leave the buffer behind the piece: a
            // code point the frame ends inside, carried to the next piece.
            let carried = if frame_done { tail } else { 0 };
            // (A carried code point that is now complete was completed by
            // bytes that arrived: then `deliver > 0`.)
            if deliver > 0 || last {
                let first = core::mem::replace(&mut self.rx.first_piece, false);
                let what = Delivery::Piece { kind, first, last };
                if held > 0 && !still_held {
                    // The carried bytes go in front: the piece is put
                    // together in the reassembly buffer (its capacity is
                    // reused: no allocation).
                    let assembled = &mut self.rx.assembled;
                    assembled.clear();
                    assembled.extend_from_slice(&self.rx.held_bytes[..held]);
                    assembled.extend_from_slice(&self.inbuf.data()[..deliver]);
                    self.inbuf.advance(deliver + carried);
                    self.rx.held = 0;
                    self.rx.ready = Some(Ready::assembled(what));
                } else {
                    self.rx.ready = Some(Ready::input(what, deliver, carried));
                }
            } else {
                self.inbuf.advance(carried);
            }
            if carried > 0 {
                // The frame ends inside a code point: carry its bytes (the
                // validator holds exactly them) to the next frame's piece.
                self.rx.held_bytes[..pending].copy_from_slice(self.rx.utf8.pending());
                self.rx.held = pending;
            }
            if !frame_done {
                keep = tail;
            }
        } else if frame_done {
            if !last {
                self.assemble(avail);
            } else if self.rx.assembled.is_empty() {
                // A single frame: delivered from where it lies, no copy.
                self.rx.ready = Some(Ready::input(Delivery::Message(kind), avail, 0));
            } else {
                self.assemble(avail);
                self.rx.ready = Some(Ready::assembled(Delivery::Message(kind)));
            }
        } else {
            return Ok(false);
        }
        let taken = (avail - keep) as u64;
        self.rx.remaining -= taken;
        self.rx.taken += taken;
        self.rx.done = keep;
        if !frame_done {
            return Ok(false);
        }
        self.rx.frame = None;
        if h.fin {
            self.rx.message = None;
            self.timers_on_message_end();
        }
        Ok(true)
    }

    /// Moves the first `n` buffered bytes, a whole frame's payload, to the
    /// end of the message under way in the reassembly buffer.
    fn assemble(&mut self, n: usize) {
        // "Such an implementation SHOULD impose a limit on frame sizes and
        // the total message size after reassembly from multiple frames"
        // (§10.4): `begin` refuses, before any of its payload is read, a
        // frame that would take the message past `max_message_size`, so
        // the message never needs more, and the buffer's growth stops
        // there instead of doubling past it (`grow.rs`).
        let most = self.config.max_message_size;
        reserve_within(&mut self.rx.assembled, n, most);
        self.rx.assembled.extend_from_slice(&self.inbuf.data()[..n]);
        self.inbuf.advance(n);
    }

    /// The inflate stage (RFC 7692 §7.2.2), for a frame of a compressed
    /// message: its bytes are unmasked as they arrive, then inflated in
    /// steps of at most `INFLATE_STEP` into the reassembly buffer, and the
    /// UTF-8 check runs over what comes out. Whole messages: the output
    /// grows until the message ends, and fails with 1009 as soon as it
    /// passes `max_message_size` (so at most the limit plus one byte is
    /// ever held). Streaming: each step's output is a piece, delivered
    /// before the next step runs, so memory is the step whatever the
    /// message's size; a text piece never ends inside a code point.
    #[cfg(feature = "deflate")]
    fn read_compressed(&mut self, h: FrameHeader) -> Result<bool, ProtocolError> {
        use super::compress::INFLATE_STEP;
        use crate::deflate::InflateStatus;

        let kind = self.rx.message.unwrap_or(MessageKind::Binary);
        let avail = self.rx.remaining.min(self.inbuf.len() as u64) as usize;
        if let Some(key) = h.mask {
            let phase = (self.rx.taken as usize).wrapping_add(self.rx.done);
            apply_mask(&mut self.inbuf.data_mut()[self.rx.done..avail], key, phase);
        }
        self.rx.done = avail;
        let frame_done = avail as u64 == self.rx.remaining;
        let last = frame_done && h.fin;
        let streaming = self.config.streaming;
        let max = self.config.max_message_size;
        let Some(pmd) = self.pmd.as_deref_mut() else {
            // `begin` lets RSV1 through only with the extension.
            return Err(ProtocolError::ReservedBits);
        };
        let rx = &mut self.rx;
        loop {
            let input = &self.inbuf.data()[..rx.done];
            if input.is_empty() && !last {
                // Everything that arrived is inflated; wait for more, or for
                // the next frame.
                if !frame_done {
                    return Ok(false);
                }
                rx.frame = None;
                return Ok(true);
            }
            if streaming {
                // The piece before was taken (the loop in `read_frames` stops
                // at a ready one); a code point it left unfinished starts
                // this one.
                rx.assembled.clear();
                rx.assembled.extend_from_slice(&rx.held_bytes[..rx.held]);
                rx.held = 0;
            }
            let base = rx.assembled.len();
            let room = if streaming {
                INFLATE_STEP
            } else {
                (max + 1 - base).min(INFLATE_STEP)
            };
            if !streaming {
                // Grow the output by doubling, as a `Vec` does, but never
                // past the limit plus one byte (`room` stops there): a bomb
                // leaves no more capacity behind than the largest message
                // allowed, and one byte more to see that it is too big.
                reserve_within(&mut rx.assembled, room, max.saturating_add(1));
            }
            let dec = &mut pmd.decompressor;
            let r = if input.is_empty() {
                // "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of
                // the payload of the message. Decompress the resulting data
                // using DEFLATE" (RFC 7692 §7.2.2).
                dec.finish_message(&mut rx.assembled, room)
            } else {
                dec.inflate(input, &mut rx.assembled, room)
            }
            // "data within a message that was not consistent with the type
            // of the message" (RFC 6455 §7.4.1): 1007.
            .map_err(|_| ProtocolError::InvalidCompressedData)?;
            self.inbuf.advance(r.consumed);
            rx.done -= r.consumed;
            rx.remaining -= r.consumed as u64;
            rx.taken += r.consumed as u64;
            let produced = &rx.assembled[base..];
            rx.inflated = rx.inflated.saturating_add(produced.len());
            // The decompressed size counts against the limit: "the
            // endpoint MUST _Fail the WebSocket Connection_" with 1009 for
            // a message "too big for it to process" (RFC 6455 §7.4.1).
            if rx.inflated > max {
                return Err(ProtocolError::MessageTooBig);
            }
            if kind == MessageKind::Text {
                rx.utf8
                    .feed(produced)
                    .map_err(|_| ProtocolError::InvalidUtf8)?;
            }
            let end = r.status == InflateStatus::MessageEnd;
            if end && !rx.utf8.is_complete() {
                return Err(ProtocolError::InvalidUtf8);
            }
            if streaming {
                if kind == MessageKind::Text {
                    // Hold back a code point the output leaves unfinished
                    // (none at the message's end: it is complete).
                    let pending = rx.utf8.pending();
                    let cut = rx.assembled.len() - pending.len();
                    rx.held_bytes[..pending.len()].copy_from_slice(pending);
                    rx.held = pending.len();
                    rx.assembled.truncate(cut);
                }
                if !rx.assembled.is_empty() || end {
                    let first = core::mem::replace(&mut rx.first_piece, false);
                    let what = Delivery::Piece {
                        kind,
                        first,
                        last: end,
                    };
                    rx.ready = Some(Ready::assembled(what));
                }
            } else if end {
                rx.ready = Some(Ready::assembled(Delivery::Message(kind)));
            }
            if end {
                rx.frame = None;
                rx.message = None;
                rx.compressed = false;
                self.timers_on_message_end();
                return Ok(true);
            }
            if rx.ready.is_some() {
                return Ok(true);
            }
        }
    }

    /// "_Fail the WebSocket Connection_": send a close frame with the
    /// error's code if none was sent, and close (§7.1.7).
    pub(super) fn fail(&mut self, e: ProtocolError) {
        if !self.close_sent {
            self.defer_close(Some(e.close_code()), e.description().as_bytes());
        }
        self.events.push_back(Event::Error(PeerError::Protocol(e)));
        self.initiator = Some(Initiator::Library);
        self.close_transport = true;
        self.finish(e.close_code(), String::new(), false);
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    /// A masked frame: FIN, RSV bits, opcode, key and the payload as sent.
    fn frame(fin: bool, rsv: u8, opcode: u8, key: [u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut v = alloc::vec![u8::from(fin) << 7 | rsv << 4 | opcode];
        let n = payload.len();
        if n < 126 {
            v.push(0x80 | n as u8);
        } else if n <= 0xFFFF {
            v.push(0x80 | 126);
            v.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            v.push(0x80 | 127);
            v.extend_from_slice(&(n as u64).to_be_bytes());
        }
        v.extend_from_slice(&key);
        v.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        v
    }

    fn payload(n: usize, seed: u8) -> Vec<u8> {
        (0..n).map(|i| (i as u8).wrapping_mul(seed)).collect()
    }

    type Plan = [Option<(usize, usize, [u8; 4], usize)>; 2];

    /// What a copy of `data` would unmask as it is copied.
    fn plan(c: &Connection, data: &[u8]) -> Plan {
        c.unmask_on_copy(data)
            .map(|m| m.map(|m| (m.at, m.len, m.key, m.phase)))
    }

    fn server() -> Connection {
        Connection::open_server(Config::default())
    }

    fn binary(c: &mut Connection) -> Vec<u8> {
        match c.poll_event() {
            Some(Event::Binary(b)) => b.to_vec(),
            e => panic!("{e:?}"),
        }
    }

    const K1: [u8; 4] = [1, 2, 3, 4];
    const K2: [u8; 4] = [5, 6, 7, 8];

    #[test]
    fn a_copy_unmasks_the_rest_of_a_binary_frame_and_a_large_next_one() {
        let mut c = server();
        let (p1, p2) = (payload(4000, 1), payload(2000, 3));
        let (f1, f2) = (frame(true, 0, 2, K1, &p1), frame(true, 0, 2, K2, &p2));
        // 8-byte headers. A frame under way, 1 000 of its bytes buffered.
        c.handle_input(&f1[..1008]);
        let mut data = f1[1008..].to_vec();
        data.extend_from_slice(&f2[..508]);
        assert_eq!(
            plan(&c, &data),
            [Some((0, 3000, K1, 1000)), Some((3008, 500, K2, 0))]
        );
        // A copy that ends inside the frame: only its bytes.
        assert_eq!(plan(&c, &data[..100]), [Some((0, 100, K1, 1000)), None]);
        // The next header not whole: only the frame under way.
        assert_eq!(plan(&c, &data[..3005]), [Some((0, 3000, K1, 1000)), None]);
        c.handle_input(&data);
        assert_eq!(binary(&mut c), p1);
        // The poll that finds no event reads the next header: its first
        // 500 bytes were unmasked in the copy.
        assert!(c.poll_event().is_none());
        assert_eq!((c.rx.done, c.inbuf.len()), (500, 500));
        assert_eq!(plan(&c, &f2[508..]), [Some((0, 1500, K2, 500)), None]);
        c.handle_input(&f2[508..]);
        assert_eq!(binary(&mut c), p2);
        // Between frames, nothing buffered: the copy starts with a header.
        assert!(c.inbuf.is_empty());
        assert_eq!(plan(&c, &f2), [None, Some((8, 2000, K2, 0))]);
        c.handle_input(&f2);
        assert_eq!(binary(&mut c), p2);
    }

    #[test]
    fn the_next_frame_is_unmasked_ahead_only_when_large_binary_and_plain() {
        let mut c = Connection::open_server(Config {
            max_frame_size: 3000,
            ..Config::default()
        });
        let ahead = |c: &Connection, f: &[u8]| plan(c, f)[1].map(|m| m.1);
        let big = payload(2000, 5);
        // From 1 KiB to the frame limit.
        assert_eq!(ahead(&c, &frame(true, 0, 2, K1, &big[..1024])), Some(1024));
        assert_eq!(ahead(&c, &frame(true, 0, 2, K1, &big[..1023])), None);
        assert_eq!(
            ahead(&c, &frame(true, 0, 2, K1, &payload(3000, 1))),
            Some(3000)
        );
        assert_eq!(ahead(&c, &frame(true, 0, 2, K1, &payload(3001, 1))), None);
        // Not text, not a continuation without a binary message, no RSV
        // bits, masked.
        assert_eq!(ahead(&c, &frame(true, 0, 1, K1, &big)), None);
        assert_eq!(ahead(&c, &frame(true, 0, 0, K1, &big)), None);
        assert_eq!(ahead(&c, &frame(true, 4, 2, K1, &big)), None);
        let mut plain = frame(true, 0, 2, K1, &big);
        plain[1] &= 0x7F;
        plain.drain(4..8);
        assert_eq!(ahead(&c, &plain), None);
        // The next fragment of a binary message: yes, and its bytes come
        // out right.
        let first = frame(false, 0, 2, K1, &big);
        let next = frame(true, 0, 0, K2, &big);
        c.handle_input(&first[..100]);
        let mut data = first[100..].to_vec();
        data.extend_from_slice(&next);
        assert_eq!(
            plan(&c, &data),
            [Some((0, 1908, K1, 92)), Some((1908 + 8, 2000, K2, 0))]
        );
        c.handle_input(&data);
        assert_eq!(binary(&mut c), [&big[..], &big[..]].concat());
    }

    #[test]
    fn nothing_is_unmasked_on_copy_but_a_binary_frames_payload() {
        let big = payload(2000, 7);
        let f = frame(true, 0, 2, K2, &big);
        // Before the handshake.
        let c = Connection::server(Config::default());
        assert_eq!(plan(&c, &f), [None, None]);
        // A text message under way (it is validated as it is unmasked).
        let mut c = server();
        let text = frame(true, 0, 1, K1, &[b'a'; 2000]);
        c.handle_input(&text[..500]);
        assert_eq!(plan(&c, &text[500..]), [None, None]);
        // A control frame under way.
        let mut c = server();
        let ping = frame(true, 0, 9, K1, &[b'p'; 100]);
        c.handle_input(&ping[..50]);
        let mut data = ping[50..].to_vec();
        data.extend_from_slice(&f);
        assert_eq!(plan(&c, &data), [None, None]);
        // A message ready and not taken, in the reassembly buffer (the
        // input buffer is empty).
        let mut c = server();
        let mut two = frame(false, 0, 2, K1, b"ab");
        two.extend(frame(true, 0, 0, K1, b"cd"));
        c.handle_input(&two);
        assert!(c.inbuf.is_empty() && c.rx.ready.is_some());
        assert_eq!(plan(&c, &f), [None, None]);
        // ... and lent by `poll_event_ref`.
        assert!(c.poll_event_ref().is_some());
        assert_eq!(plan(&c, &f), [None, None]);
        // Bytes of a frame buffered: no header at the front of the copy.
        let mut c = server();
        c.handle_input(&f[..1]);
        assert_eq!(plan(&c, &f[1..]), [None, None]);
    }

    #[cfg(feature = "deflate")]
    #[test]
    fn nothing_is_unmasked_on_copy_in_a_compressed_message() {
        let mut c = server();
        c.set_deflate(Some(crate::DeflateParams::default()));
        // A compressed binary frame's header (RSV1), its payload to come.
        let f = frame(true, 4, 2, K1, &payload(2000, 9));
        c.handle_input(&f[..8]);
        assert!(c.rx.compressed);
        assert_eq!(plan(&c, &f[8..]), [None, None]);
        assert_eq!(c.frame_missing(), None, "inflated as it arrives");
    }

    #[test]
    fn a_read_finds_room_for_what_arrived_of_a_frame_and_the_rest_of_it() {
        const LEN: usize = 256 << 10;
        let mut c = server();
        assert_eq!((c.frame_missing(), c.frame_room(4096)), (None, 4096));
        let p = payload(LEN, 11);
        let f = frame(true, 0, 2, K1, &p);
        c.handle_input(&f[..14 + 8192]);
        assert_eq!(c.frame_missing(), Some(LEN as u64 - 8192));
        // Room for as much as arrived, or the read if that is more...
        assert_eq!(c.frame_room(4096), 8192);
        assert_eq!(c.frame_room(16384), 16384);
        // ...and no more than the frame misses, but at least the read.
        c.handle_input(&f[14 + 8192..f.len() - 100]);
        assert_eq!(c.frame_missing(), Some(100));
        assert_eq!(c.frame_room(50), 100);
        assert_eq!(c.frame_room(4096), 4096);
        c.handle_input(&f[f.len() - 100..]);
        assert_eq!(binary(&mut c), p);
        // A control frame under way, or a streamed one: its bytes do not
        // stay, nothing is missing.
        let ping = frame(true, 0, 9, K1, b"ping");
        c.handle_input(&ping[..7]);
        assert_eq!((c.frame_missing(), c.frame_room(10)), (None, 10));
        let mut s = Connection::open_server(Config::default().streaming(true));
        s.handle_input(&f[..14 + 8192]);
        assert_eq!(s.frame_missing(), None);
    }
}
