//! The compressor and the bounded decompressor (RFC 7692 §7.2), over
//! zlib-rs's safe streaming API.
//!
//! Both keep their zlib state on the heap, created on first use;
//! [`Compressor::release`] and [`Decompressor::release`] free it between
//! messages (with no context takeover nothing is lost by that).

use alloc::vec::Vec;
use core::fmt;

use bytes::BytesMut;
use zlib_rs::{Deflate, DeflateFlush, Inflate, InflateFlush};

use super::params::DeflateParams;
use crate::close::CloseCode;
use crate::connection::Role;

/// The tail a sync flush ends with: an empty stored block's LEN and NLEN.
/// The sender removes it from every message and the receiver puts it back
/// (RFC 7692 §7.2.1, §7.2.2).
pub const DEFLATE_TRAILER: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// A growable byte buffer the codec appends to: `Vec<u8>` or
/// [`BytesMut`]. Sealed.
pub trait DeflateBuf: sealed::Buf {}

impl DeflateBuf for Vec<u8> {}
impl DeflateBuf for BytesMut {}

mod sealed {
    use super::{BytesMut, Vec};

    pub trait Buf {
        fn len(&self) -> usize;
        /// Appends `n` zeros and returns them to be written over.
        fn grow(&mut self, n: usize) -> &mut [u8];
        fn truncate(&mut self, len: usize);
        fn push(&mut self, b: u8);
        /// The last `n` bytes (`n <= len`).
        fn tail(&self, n: usize) -> &[u8];
    }

    impl Buf for Vec<u8> {
        fn len(&self) -> usize {
            Vec::len(self)
        }
        fn grow(&mut self, n: usize) -> &mut [u8] {
            let start = self.len();
            self.resize(start + n, 0);
            &mut self[start..]
        }
        fn truncate(&mut self, len: usize) {
            Vec::truncate(self, len)
        }
        fn push(&mut self, b: u8) {
            Vec::push(self, b)
        }
        fn tail(&self, n: usize) -> &[u8] {
            &self[self.len() - n..]
        }
    }

    impl Buf for BytesMut {
        fn len(&self) -> usize {
            BytesMut::len(self)
        }
        fn grow(&mut self, n: usize) -> &mut [u8] {
            let start = self.len();
            self.resize(start + n, 0);
            &mut self[start..]
        }
        fn truncate(&mut self, len: usize) {
            BytesMut::truncate(self, len)
        }
        fn push(&mut self, b: u8) {
            self.extend_from_slice(&[b])
        }
        fn tail(&self, n: usize) -> &[u8] {
            &self[self.len() - n..]
        }
    }
}

/// The most output space asked of the buffer at once: the zero-filling of
/// fresh space stays proportional to the output, not to the caller's limit.
const GROW_MAX: usize = 64 << 10;

/// zlib cannot make a raw DEFLATE stream with an 8-bit window; its 9-bit
/// window never reaches back more than 2^9 - 262 = 250 bytes (the window
/// less `MIN_LOOKAHEAD`), which an 8-bit (256-byte) decoder accepts.
fn zlib_window(bits: u8) -> u8 {
    bits.clamp(9, 15)
}

/// Compresses messages for permessage-deflate (RFC 7692 §7.2.1).
///
/// Each message is one call of [`compress`](Self::compress) with
/// `fin = true`, or several (one per fragment sent), the last with
/// `fin = true`. The output of each call is that frame's payload; the
/// first frame of the message carries RSV1.
pub struct Compressor {
    inner: Option<Deflate>,
    window_bits: u8,
    level: u8,
    reset_per_message: bool,
}

impl fmt::Debug for Compressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compressor")
            .field("window_bits", &self.window_bits)
            .field("level", &self.level)
            .field("reset_per_message", &self.reset_per_message)
            .field("allocated", &self.inner.is_some())
            .finish()
    }
}

impl Compressor {
    /// A compressor whose LZ77 window is at most `2^window_bits` bytes
    /// (8 to 15; other values are clamped), at `level` 0 to 9 (clamped).
    /// It keeps its context from message to message until
    /// [`reset`](Self::reset). Nothing is allocated until the first call.
    ///
    /// 8 is honoured with zlib's 9-bit window, which never refers more
    /// than 250 bytes back. The zlib memory level follows the window (8
    /// for 15 bits, down to 2 for 9), so small windows also mean small
    /// buffers.
    pub fn new(window_bits: u8, level: u8) -> Self {
        Compressor {
            inner: None,
            window_bits: window_bits.clamp(8, 15),
            level: level.min(9),
            reset_per_message: false,
        }
    }

    /// The compressor for our side of an agreement: its window, and a
    /// reset after every message when our side agreed to no context
    /// takeover.
    pub fn for_params(params: &DeflateParams, role: Role, level: u8) -> Self {
        let dir = params.compressor(role);
        Compressor {
            reset_per_message: dir.no_context_takeover,
            ..Compressor::new(dir.window_bits, level)
        }
    }

    /// The window bits agreed (8 to 15).
    pub fn window_bits(&self) -> u8 {
        self.window_bits
    }

    /// Whether the context is reset after every message.
    pub fn is_reset_per_message(&self) -> bool {
        self.reset_per_message
    }

    /// Whether the zlib state is allocated.
    pub fn is_allocated(&self) -> bool {
        self.inner.is_some()
    }

    fn state(&mut self) -> &mut Deflate {
        let (window_bits, level) = (self.window_bits, self.level);
        self.inner.get_or_insert_with(|| {
            let window = zlib_window(window_bits);
            Deflate::new_with_config(zlib_rs::DeflateConfig {
                level: i32::from(level),
                // Negative: a raw DEFLATE stream, no zlib header.
                window_bits: -i32::from(window),
                mem_level: i32::from(window - 7).min(8),
                ..zlib_rs::DeflateConfig::default()
            })
        })
    }

    /// Compresses the next part of a message and appends the result to
    /// `out`. `fin` marks the message's last part.
    ///
    /// Every call ends with a sync flush, so the peer can inflate
    /// everything sent so far; the message's last call removes the flush's
    /// `00 00 ff ff` tail: "Remove 4 octets (that are 0x00 0x00 0xff 0xff)
    /// from the tail end" (§7.2.1). The tails of earlier parts stay: they
    /// are empty stored blocks in the middle of the message's data, which
    /// the RFC allows ("the payload of the message is the concatenation"
    /// of the frames' payloads, §6.1), and they are what lets a streaming
    /// receiver deliver each fragment as it comes. A last part with nothing
    /// new to flush is the single octet `00` (an empty stored block's
    /// header, completed by the receiver's `00 00 ff ff`).
    pub fn compress<B: DeflateBuf>(&mut self, mut input: &[u8], fin: bool, out: &mut B) {
        let start = out.len();
        let deflate = self.state();
        loop {
            let room = (input.len() + input.len() / 8 + 64).clamp(256, GROW_MAX);
            let base = out.len();
            let space = out.grow(room);
            let (in0, out0) = (deflate.total_in(), deflate.total_out());
            let r = deflate.compress(input, space, DeflateFlush::SyncFlush);
            let consumed = (deflate.total_in() - in0) as usize;
            let produced = (deflate.total_out() - out0) as usize;
            out.truncate(base + produced);
            input = &input[consumed..];
            // zlib-rs fails only for a broken stream state (null buffers,
            // a finished stream), which this type never makes.
            debug_assert!(r.is_ok(), "{r:?}");
            // "If deflate returns with avail_out == 0, this function must be
            // called again with the same value of the flush parameter and
            // more output space" (zlib.h): space left means the flush is
            // complete.
            if r.is_err() || (input.is_empty() && produced < room) {
                break;
            }
        }
        if fin {
            let len = out.len();
            if len == start {
                // Nothing new since the last flush: zlib writes nothing for
                // a repeated sync flush.
                out.push(0x00);
            } else if len >= start + 4 && out.tail(4) == DEFLATE_TRAILER {
                out.truncate(len - DEFLATE_TRAILER.len());
            } else {
                // A completed sync flush always ends with the trailer.
                debug_assert!(false, "sync flush without its trailer");
            }
            if self.reset_per_message {
                self.reset();
            }
        }
    }

    /// Compresses a whole message into a new `Vec`.
    pub fn compress_message(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.compress(input, true, &mut out);
        out
    }

    /// Forgets the context (no context takeover) and keeps the memory for
    /// the next message. Call it only between messages.
    pub fn reset(&mut self) {
        if let Some(d) = &mut self.inner {
            d.reset();
        }
    }

    /// Forgets the context and frees the zlib state; the next message
    /// allocates it again. Call it only between messages.
    pub fn release(&mut self) {
        self.inner = None;
    }
}

/// What one call of the decompressor did.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Inflated {
    /// Input bytes taken. The rest must be passed again.
    pub consumed: usize,
    /// Bytes written to the output.
    pub produced: usize,
    /// What to do next.
    pub status: InflateStatus,
}

/// Why a decompressor call returned.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum InflateStatus {
    /// All the input was taken and all the output it makes was written:
    /// pass the next input (or, at the message's end, call
    /// `finish_message`).
    NeedInput,
    /// The output limit was reached. Call again (with the input not yet
    /// consumed, or `finish_message` again) once the output is taken care
    /// of: more may be pending.
    OutputFull,
    /// `finish_message` only: the message is complete.
    MessageEnd,
}

/// The compressed data of a message is invalid: the connection fails with
/// 1007 ([`InflateError::close_code`]). After an error the decompressor
/// refuses every call.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InflateError {
    /// Not a valid DEFLATE stream (RFC 1951): a bad block type, code,
    /// length or distance, or a distance beyond the data seen (before the
    /// window, before the stream's first byte, or, with no context
    /// takeover, into an earlier message).
    Corrupt,
}

impl InflateError {
    /// The close code: 1007, "data within a message that was not
    /// consistent with the type of the message" (RFC 6455 §7.4.1).
    pub fn close_code(&self) -> CloseCode {
        CloseCode::INVALID_PAYLOAD
    }

    pub(crate) fn description(&self) -> &'static str {
        match self {
            InflateError::Corrupt => "invalid compressed data",
        }
    }
}

impl fmt::Display for InflateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

impl core::error::Error for InflateError {}

/// Decompresses messages for permessage-deflate in bounded steps
/// (RFC 7692 §7.2.2).
///
/// Per message: [`inflate`](Self::inflate) (or
/// [`inflate_into`](Self::inflate_into)) for each piece of compressed
/// payload, as it arrives, then [`finish_message`](Self::finish_message)
/// until it returns [`InflateStatus::MessageEnd`]. No call writes more
/// than the space it is given, so the caller decides how much output may
/// exist at once:
///
/// - whole messages under a size limit: give each call
///   `min(step, limit + 1 - produced_so_far)`; once the message has
///   produced more than `limit` bytes it is too big (1009), and at most
///   `limit + 1` bytes were ever written;
/// - streaming: give each call a step-sized buffer and deliver what it
///   produced before the next call; memory is the step, whatever the
///   message's size.
///
/// The input a call did not consume must be passed again.
pub struct Decompressor {
    inner: Option<Inflate>,
    window_bits: u8,
    reset_per_message: bool,
    /// Bytes of [`DEFLATE_TRAILER`] consumed by `finish_message`.
    trailer_fed: usize,
    /// A final block ended the stream and no byte of the next one has
    /// been read.
    stream_ended: bool,
    failed: Option<InflateError>,
}

impl fmt::Debug for Decompressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decompressor")
            .field("window_bits", &self.window_bits)
            .field("reset_per_message", &self.reset_per_message)
            .field("allocated", &self.inner.is_some())
            .field("failed", &self.failed)
            .finish()
    }
}

impl Decompressor {
    /// A decompressor for a peer whose window is at most `2^window_bits`
    /// bytes (8 to 15; other values are clamped). It keeps the context
    /// from message to message until [`reset`](Self::reset). Nothing is
    /// allocated until the first call.
    pub fn new(window_bits: u8) -> Self {
        Decompressor {
            inner: None,
            window_bits: window_bits.clamp(8, 15),
            reset_per_message: false,
            trailer_fed: 0,
            stream_ended: false,
            failed: None,
        }
    }

    /// The decompressor for our side of an agreement: the peer's window,
    /// and a reset after every message when the peer agreed to no context
    /// takeover.
    pub fn for_params(params: &DeflateParams, role: Role) -> Self {
        let dir = params.decompressor(role);
        Decompressor {
            reset_per_message: dir.no_context_takeover,
            ..Decompressor::new(dir.window_bits)
        }
    }

    /// The window bits agreed (8 to 15).
    pub fn window_bits(&self) -> u8 {
        self.window_bits
    }

    /// Whether the context is reset after every message.
    pub fn is_reset_per_message(&self) -> bool {
        self.reset_per_message
    }

    /// Whether the zlib state is allocated.
    pub fn is_allocated(&self) -> bool {
        self.inner.is_some()
    }

    /// Inflates the next piece of a message's compressed payload, appending
    /// at most `max_out` bytes to `out` (none on error). `out` grows by at most 64 KiB at a
    /// time beyond what was produced (its capacity grows as a `Vec`'s does;
    /// reserve it for a tighter bound).
    pub fn inflate<B: DeflateBuf>(
        &mut self,
        input: &[u8],
        out: &mut B,
        max_out: usize,
    ) -> Result<Inflated, InflateError> {
        grow_loop(input, out, max_out, |input, space| {
            self.inflate_into(input, space)
        })
    }

    /// [`inflate`](Self::inflate) into a slice: writes at most `out.len()`
    /// bytes. `out` must not be empty.
    pub fn inflate_into(&mut self, input: &[u8], out: &mut [u8]) -> Result<Inflated, InflateError> {
        let (consumed, produced) = self.run(input, out)?;
        let status = if produced == out.len() {
            InflateStatus::OutputFull
        } else {
            InflateStatus::NeedInput
        };
        Ok(Inflated {
            consumed,
            produced,
            status,
        })
    }

    /// Ends the message: inflates the `00 00 ff ff` the sender removed
    /// ("Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the
    /// payload of the message. Decompress the resulting data using
    /// DEFLATE", §7.2.2), appending at most `max_out` bytes. Call it again
    /// while it returns [`InflateStatus::OutputFull`]; at
    /// [`InflateStatus::MessageEnd`] the decompressor is ready for the next
    /// message (reset first if it resets per message).
    pub fn finish_message<B: DeflateBuf>(
        &mut self,
        out: &mut B,
        max_out: usize,
    ) -> Result<Inflated, InflateError> {
        grow_loop(&[], out, max_out, |_, space| {
            self.finish_message_into(space)
        })
    }

    /// [`finish_message`](Self::finish_message) into a slice: writes at
    /// most `out.len()` bytes. `out` must not be empty.
    pub fn finish_message_into(&mut self, out: &mut [u8]) -> Result<Inflated, InflateError> {
        if self.stream_ended && self.trailer_fed == 0 {
            // The message's data ended with a final block, without the
            // `00` that §7.2.3.4 says "is necessary to allow the payload to
            // be decompressed in the same manner" (empty messages from
            // some zlib bindings look like this: `03 00`). Nothing is
            // missing and nothing is ambiguous, so the tail is not fed: it
            // would begin a stored block the next message cannot finish.
            if self.failed.is_none() {
                self.end_message();
                return Ok(Inflated {
                    consumed: 0,
                    produced: 0,
                    status: InflateStatus::MessageEnd,
                });
            }
        }
        let (consumed, produced) = self.run(&DEFLATE_TRAILER[self.trailer_fed..], out)?;
        self.trailer_fed += consumed;
        // Taken is not yet decoded: zlib reads input ahead into its bit
        // buffer, so output may still be pending behind a full `out` even
        // when the whole trailer is taken. Only a call that stops with room
        // left, all input taken, has written everything.
        if self.trailer_fed < DEFLATE_TRAILER.len() || produced == out.len() {
            return Ok(Inflated {
                consumed: 0,
                produced,
                status: InflateStatus::OutputFull,
            });
        }
        self.end_message();
        Ok(Inflated {
            consumed: 0,
            produced,
            status: InflateStatus::MessageEnd,
        })
    }

    fn end_message(&mut self) {
        if self.reset_per_message {
            self.reset();
        }
        self.trailer_fed = 0;
    }

    /// Forgets the context (no context takeover) and keeps the memory.
    /// Call it between messages; mid-message it abandons the message. An
    /// error stays: a failed decompressor refuses every call.
    ///
    /// zlib-rs's reset widens the window it accepts to 15 bits; the
    /// memory does not change (it always holds a 32 KiB window).
    pub fn reset(&mut self) {
        if let Some(i) = &mut self.inner {
            i.reset(false);
        }
        self.trailer_fed = 0;
        self.stream_ended = false;
    }

    /// Forgets the context and frees the zlib state; the next message
    /// allocates it again. Call it only between messages.
    pub fn release(&mut self) {
        self.inner = None;
        self.trailer_fed = 0;
        self.stream_ended = false;
    }

    fn fail(&mut self, e: InflateError) -> Result<(usize, usize), InflateError> {
        self.failed = Some(e);
        self.inner = None;
        Err(e)
    }

    /// Inflates `input` into `out` until one is used up.
    fn run(&mut self, input: &[u8], out: &mut [u8]) -> Result<(usize, usize), InflateError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let window_bits = self.window_bits;
        let mut consumed = 0;
        let mut produced = 0;
        loop {
            let inflate = self
                .inner
                .get_or_insert_with(|| Inflate::new(false, window_bits));
            let (in0, out0) = (inflate.total_in(), inflate.total_out());
            let r = inflate.decompress(
                &input[consumed..],
                &mut out[produced..],
                InflateFlush::SyncFlush,
            );
            let ci = (inflate.total_in() - in0) as usize;
            let co = (inflate.total_out() - out0) as usize;
            consumed += ci;
            produced += co;
            if ci > 0 {
                self.stream_ended = false;
            }
            match r {
                Err(_) => return self.fail(InflateError::Corrupt),
                Ok(zlib_rs::Status::StreamEnd) => {
                    // A block with BFINAL set ended the DEFLATE stream (its
                    // output is all written). "An endpoint MAY use both
                    // DEFLATE blocks with the "BFINAL" bit set to 0 and
                    // DEFLATE blocks with the "BFINAL" bit set to 1. When
                    // any DEFLATE block with the "BFINAL" bit set to 1
                    // doesn't end at a byte boundary, an endpoint MUST add
                    // minimal padding bits of 0 to make it end at a byte
                    // boundary. The next DEFLATE block follows the padded
                    // data if any." (§7.2.1) So the next byte starts a new
                    // stream, in this message or the next, e.g. the `00`
                    // of §7.2.3.4 that the receiver's `00 00 ff ff`
                    // completes. A sender that ended its stream cannot
                    // refer to what came before it, so the new stream
                    // starts with an empty window (a reference back fails
                    // as Corrupt). A reset is cheap (no allocation, no
                    // clearing), so many final blocks cost little.
                    inflate.reset(false);
                    self.stream_ended = true;
                    continue;
                }
                Ok(_) => {}
            }
            if consumed == input.len() || produced == out.len() {
                return Ok((consumed, produced));
            }
            if ci == 0 && co == 0 {
                // Input and room left, yet no progress: zlib never does
                // this for a valid stream.
                return self.fail(InflateError::Corrupt);
            }
        }
    }
}

/// Drives a slice-level call over a growable buffer: grows `out` a piece at
/// a time (at most `max_out` in all), and stops at the first status that
/// is not "the piece is full".
fn grow_loop<B: DeflateBuf>(
    mut input: &[u8],
    out: &mut B,
    max_out: usize,
    mut call: impl FnMut(&[u8], &mut [u8]) -> Result<Inflated, InflateError>,
) -> Result<Inflated, InflateError> {
    let mut total = Inflated {
        consumed: 0,
        produced: 0,
        status: InflateStatus::OutputFull,
    };
    let start = out.len();
    while total.produced < max_out {
        let room = (max_out - total.produced).min((input.len() * 4).clamp(1024, GROW_MAX));
        let base = out.len();
        let r = call(input, out.grow(room));
        let Ok(r) = r else {
            // The message is failed: none of this call's output stays.
            out.truncate(start);
            return r;
        };
        out.truncate(base + r.produced);
        total.consumed += r.consumed;
        total.produced += r.produced;
        input = &input[r.consumed..];
        total.status = r.status;
        if r.status != InflateStatus::OutputFull {
            break;
        }
    }
    Ok(total)
}
