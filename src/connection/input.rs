//! The input buffer: bytes read from the transport and not yet consumed,
//! and the initialized space behind them that is lent for the next read.
//!
//! A read should land where its bytes will stay: payloads are split off the
//! front of this buffer as `Bytes` without a copy. This crate has no
//! `unsafe`, so space lent for a read must be initialized; it is zeroed
//! once, when the buffer grows, and stays initialized across reads (a plain
//! `BytesMut` forgets that on every truncate, and zeroing 64 KiB before
//! every read costs as much as the read).

use bytes::BytesMut;

use super::grow::reserve_within;
use crate::mask::{apply_mask, copy_masked};

/// `buf[start..filled]` holds the bytes handed in and not yet consumed;
/// `buf[filled..]` is initialized space for the next reads; `buf[..start]`
/// was consumed in place (lent payloads, headers) and is reused by moving
/// the data to the front, which keeps it initialized. Payloads moved out
/// as `Bytes` leave with the front of `buf` instead.
#[derive(Default)]
pub(super) struct InputBuffer {
    buf: BytesMut,
    start: usize,
    filled: usize,
    /// How many bytes after `filled` are lent by [`InputBuffer::lend`].
    lent: Option<usize>,
    /// Bytes moved to the front by [`InputBuffer::compact`] (for tests of
    /// the placement policy).
    #[cfg(test)]
    compacted: usize,
}

/// When the spare space runs out, the buffer grows to hold at least this
/// much, so that small reads do not each cost a reallocation.
const MIN_GROWTH: usize = 4 * 1024;

/// Data under way at least this long is not moved to make room for a
/// whole read when a shorter read would complete its frame
/// ([`InputBuffer::lend`]).
const MOVE_FROM: usize = 4 * 1024;

/// How many reads of the size asked for the buffer makes room for when it
/// grows.
const ROOM_READS: usize = 3;

/// Payload bytes of a copy that are unmasked as they are copied
/// ([`InputBuffer::extend_masked`]): `len` bytes from offset `at` of the
/// data, payload octets from number `phase` on, masked with `key`.
#[derive(Copy, Clone, Debug, Default)]
pub(super) struct Masked {
    pub(super) at: usize,
    pub(super) len: usize,
    pub(super) key: [u8; 4],
    pub(super) phase: usize,
}

impl Masked {
    /// The range of a copy of `n` bytes that this covers, starting no
    /// earlier than `pos` (ranges are in order and disjoint).
    fn span(&self, n: usize, pos: usize) -> (usize, usize) {
        let at = self.at.clamp(pos, n);
        (at, at.saturating_add(self.len).min(n))
    }
}

impl InputBuffer {
    /// The bytes handed in and not yet consumed.
    #[inline]
    pub(super) fn data(&self) -> &[u8] {
        &self.buf[self.start..self.filled]
    }

    /// The same bytes, to unmask in place.
    #[inline]
    pub(super) fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.start..self.filled]
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        self.filled - self.start
    }

    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The capacity held, data and spare (for memory accounting).
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// How much of the allocation is initialized, data and spare.
    #[cfg(test)]
    fn initialized(&self) -> usize {
        self.buf.len()
    }

    /// Lets go of the consumed front, so that `buf` starts with the data.
    #[inline]
    fn drop_front(&mut self) {
        bytes::Buf::advance(&mut self.buf, self.start);
        self.filled -= self.start;
        self.start = 0;
    }

    /// Takes the first `n` bytes (at most `len()`) off the front, without a
    /// copy.
    #[inline]
    pub(super) fn split_to(&mut self, n: usize) -> BytesMut {
        self.drop_front();
        let n = n.min(self.filled);
        self.filled -= n;
        self.buf.split_to(n)
    }

    /// Consumes the first `n` bytes (at most `len()`) in place.
    #[inline]
    pub(super) fn advance(&mut self, n: usize) {
        self.start += n.min(self.len());
        if self.start == self.filled && self.lent.is_none() {
            // Nothing left: the next bytes go to the front, for free.
            self.start = 0;
            self.filled = 0;
        }
    }

    /// Every byte held, as a `BytesMut` of its own, for code that consumes a
    /// `BytesMut` (the body of a refused handshake); the spare is dropped.
    pub(super) fn with_bytes_mut<R>(&mut self, f: impl FnOnce(&mut BytesMut) -> R) -> R {
        self.drop_front();
        self.buf.truncate(self.filled);
        let r = f(&mut self.buf);
        self.filled = self.buf.len();
        r
    }

    /// Appends a copy of `data`; `most` bounds the buffer's growth (a read
    /// and a whole frame), unless the bytes held need more.
    pub(super) fn extend(&mut self, data: &[u8], most: usize) {
        self.extend_masked(data, &[], most);
    }

    /// Appends a copy of `data` in which the payload ranges `masked` (in
    /// order, disjoint) are unmasked as they are copied, in the same pass.
    /// `most` bounds the buffer's growth, as in [`extend`](Self::extend).
    pub(super) fn extend_masked(&mut self, data: &[u8], masked: &[Masked], most: usize) {
        self.drop_lent();
        if self.filled + data.len() > self.buf.capacity() {
            // No room behind the data. Short data moves to the front. Long
            // data (a large frame under way, straddled by every read of a
            // stream of them) would move on every read that way: it moves
            // instead to a buffer with room for a few reads behind it, and
            // then once every few reads.
            // (Within `most`, which the room for one read may exceed.)
            let room = if self.len() < MOVE_FROM {
                data.len()
            } else {
                let few = data.len().saturating_mul(ROOM_READS);
                few.min(most.saturating_sub(self.len())).max(data.len())
            };
            self.compact(room);
            self.grow_to_fit(data.len(), room, most);
        }
        let start = self.filled;
        let end = start + data.len();
        if end <= self.buf.len() {
            let dst = &mut self.buf[start..end];
            let mut pos = 0;
            for m in masked {
                let (at, to) = m.span(data.len(), pos);
                dst[pos..at].copy_from_slice(&data[pos..at]);
                copy_masked(&mut dst[at..to], &data[at..to], m.key, m.phase);
                pos = to;
            }
            dst[pos..].copy_from_slice(&data[pos..]);
        } else {
            // Copying into capacity needs no zeroing (and this crate has no
            // `unsafe` to write into it otherwise): copy, then unmask.
            self.buf.truncate(start);
            self.buf.extend_from_slice(data);
            let mut pos = 0;
            for m in masked {
                let (at, to) = m.span(data.len(), pos);
                apply_mask(&mut self.buf[start + at..start + to], m.key, m.phase);
                pos = to;
            }
        }
        self.filled = end;
    }

    /// Moves the data to the front of the initialized space if that makes
    /// room for `room` more bytes: the space stays initialized, and nothing
    /// is reallocated. (Callers ask only when `room` does not fit behind
    /// the data, so data already at the front never qualifies.)
    fn compact(&mut self, room: usize) {
        let len = self.len();
        if self.buf.len() - len >= room {
            self.buf.copy_within(self.start..self.filled, 0);
            #[cfg(test)]
            {
                self.compacted += len;
            }
            self.start = 0;
            self.filled = len;
        }
    }

    /// After [`compact`](Self::compact): if `n` bytes still do not fit
    /// behind the data, it moves to the front of an allocation grown to
    /// `room` behind it (the consumed front is let go), which grows by
    /// doubling but not past `most` (`grow.rs`).
    fn grow_to_fit(&mut self, n: usize, room: usize, most: usize) {
        if self.filled + n > self.buf.capacity() {
            self.drop_front();
            self.buf.truncate(self.filled);
            reserve_within(&mut self.buf, room, most);
        }
    }

    /// Lends `len` initialized bytes after the data for the caller to read
    /// into; [`commit`](Self::commit) hands in what was read. `want` is how
    /// much room the buffer should make in one piece beyond the data (at
    /// least `len`): the rest of a frame under way, so that its later reads
    /// land behind it without moving it again. `most` bounds the capacity
    /// when it grows (a read and a whole frame), unless the data held and
    /// `len` need more. `missing` is how many bytes the frame under way
    /// still needs (0: none, or its bytes do not stay).
    ///
    /// When no whole read would fit behind this one, the data under way
    /// would have to move (or the buffer grow) by the next read. If the
    /// data is a large frame under way that needs fewer than `len` bytes,
    /// and they fit, only those are lent instead: the frame completes
    /// where it lies, and once it is taken the next read lands at the front
    /// of the empty buffer. A short read costs less than moving kilobytes,
    /// and keeps reads landing on the same (cached) memory.
    pub(super) fn lend(
        &mut self,
        len: usize,
        want: usize,
        missing: usize,
        most: usize,
    ) -> &mut [u8] {
        self.drop_lent();
        let mut len = len;
        let mut end = self.filled + len;
        if end.saturating_add(len) > self.buf.capacity()
            && missing > 0
            && missing < len
            && self.len() >= MOVE_FROM
            && self.filled + missing <= self.buf.capacity()
        {
            len = missing;
            end = self.filled + len;
        }
        if end > self.buf.capacity() {
            // No room behind the data. Moving it to the front of the
            // initialized space keeps that space; otherwise the buffer grows
            // (or moves the data to a new allocation) with room for a few
            // reads, so that the data under way (the start of a frame)
            // moves once per few reads, not per read.
            self.compact(len);
            end = self.filled + len;
            if end > self.buf.capacity() {
                // With nothing under way (a streamed piece, or every message
                // taken), one read's room is enough: nothing will move.
                let reads = if self.is_empty() { 1 } else { ROOM_READS };
                // `most` bounds the whole buffer, the data under way (the
                // start of a frame) included, not only the room behind it.
                let room = want
                    .max(len.saturating_mul(reads))
                    .min(most.saturating_sub(self.len()));
                self.make_room(room.max(len), most);
                end = self.filled + len;
            }
        }
        // Zero what is lent beyond the initialized space, once: it stays
        // initialized for the reads after this one.
        self.buf.resize(end.max(self.buf.len()), 0);
        self.lent = Some(len);
        &mut self.buf[self.filled..end]
    }

    /// Makes capacity for at least `room` bytes behind the data. Reusing the
    /// allocation (when no payload split off it is still held) moves the
    /// data to the front; otherwise the data moves to a new allocation.
    /// Either way the space behind the data must be zeroed again when lent.
    /// The capacity doubles, as `BytesMut::reserve` would, but not past
    /// `most` unless the data and `room` need more (`grow.rs`).
    fn make_room(&mut self, room: usize, most: usize) {
        let room = room.max(MIN_GROWTH);
        self.drop_front();
        self.buf.truncate(self.filled);
        reserve_within(&mut self.buf, room, most);
    }

    /// Hands in the first `n` bytes of the lent region; the rest stays
    /// spare. Returns whether a region was lent.
    pub(super) fn commit(&mut self, n: usize) -> bool {
        let Some(len) = self.lent.take() else {
            return false;
        };
        self.filled += n.min(len);
        true
    }

    /// Forgets a lent region that was never committed.
    pub(super) fn drop_lent(&mut self) {
        self.lent = None;
    }

    /// Frees everything, data included.
    pub(super) fn free(&mut self) {
        *self = InputBuffer::default();
    }

    /// Frees the buffer if it holds no data and nothing is lent.
    pub(super) fn shrink_to_fit(&mut self) {
        if self.is_empty() && self.lent.is_none() {
            self.free();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(at: usize, len: usize, key: [u8; 4], phase: usize) -> Masked {
        Masked {
            at,
            len,
            key,
            phase,
        }
    }

    #[test]
    fn lent_space_is_reused_without_growing() {
        let mut b = InputBuffer::default();
        b.lend(1000, 1000, 0, usize::MAX)[..3].copy_from_slice(b"abc");
        assert!(b.commit(3));
        assert_eq!(b.data(), b"abc");
        let cap = b.capacity();
        let _ = b.split_to(3);
        for _ in 0..100 {
            b.lend(100, 100, 0, usize::MAX)[..2].copy_from_slice(b"xy");
            b.commit(2);
            assert_eq!(b.split_to(2).as_ref(), b"xy");
        }
        // The split-off payloads were dropped: the allocation was reclaimed,
        // not replaced by ever larger ones.
        assert!(b.capacity() <= cap.max(2 * MIN_GROWTH));
    }

    #[test]
    fn a_large_frame_completes_where_it_lies_when_a_read_would_not_fit() {
        let mut b = InputBuffer::default();
        // 40 KiB of a frame under way, in a buffer with room for less than
        // two more 32 KiB reads behind it.
        b.lend(64 << 10, 64 << 10, 0, usize::MAX);
        b.commit(40 << 10);
        b.advance(14); // its header
        let room = b.capacity() - (40 << 10);
        assert!((100..64 << 10).contains(&room), "room {room}");
        let data_at = b.data().as_ptr();
        // The frame misses 100 bytes: only they are lent, behind the data.
        let lent = b.lend(32 << 10, 32 << 10, 100, usize::MAX);
        assert_eq!(lent.len(), 100);
        b.commit(100);
        assert_eq!(b.data().as_ptr(), data_at, "the frame did not move");
        // Taken whole: the next read lands at the front, at full size.
        b.advance(b.len());
        assert_eq!(b.lend(32 << 10, 32 << 10, 0, usize::MAX).len(), 32 << 10);
    }

    #[test]
    fn short_lends_only_for_large_data_and_when_a_read_would_not_fit() {
        // Room for two more reads: a whole read, although the frame needs
        // fewer bytes.
        let mut b = InputBuffer::default();
        b.lend(64 << 10, 64 << 10, 0, usize::MAX);
        b.commit(8 << 10);
        assert_eq!(b.lend(4 << 10, 4 << 10, 100, usize::MAX).len(), 4 << 10);
        // Little data under way (below MOVE_FROM): moving it is cheaper
        // than a short read, so a whole read is lent.
        let mut b = InputBuffer::default();
        b.lend(MIN_GROWTH, MIN_GROWTH, 0, usize::MAX);
        b.commit(MIN_GROWTH - 10);
        b.advance(MIN_GROWTH - 110);
        assert_eq!(b.len(), 100);
        assert_eq!(
            b.lend(MIN_GROWTH, MIN_GROWTH, 50, usize::MAX).len(),
            MIN_GROWTH
        );
        // Missing nothing, or as much as a read: a whole read.
        let mut b = InputBuffer::default();
        b.lend(16 << 10, 16 << 10, 0, usize::MAX);
        b.commit(16 << 10);
        assert_eq!(b.lend(16 << 10, 16 << 10, 0, usize::MAX).len(), 16 << 10);
        b.commit(0);
        assert_eq!(b.lend(1000, 1000, 1000, usize::MAX).len(), 1000);
    }

    #[test]
    fn commit_without_lend_and_over_lend_are_harmless() {
        let mut b = InputBuffer::default();
        assert!(!b.commit(5));
        assert!(b.is_empty());
        b.lend(4, 4, 0, usize::MAX);
        assert!(b.commit(99));
        assert_eq!(b.len(), 4);
        b.extend(b"zz", usize::MAX);
        assert_eq!(&b.data()[4..], b"zz");
    }

    #[test]
    fn extend_masked_unmasks_only_its_prefix() {
        use crate::mask::apply_mask_naive;
        let key = [1, 2, 3, 4];
        let plain = *b"payload bytes, then the next frame";
        let mut wire = plain;
        apply_mask_naive(&mut wire[..13], key, 2);
        let mut b = InputBuffer::default();
        // Into new capacity (copy, then unmask)...
        b.extend_masked(&wire[..20], &[masked(0, 13, key, 2)], usize::MAX);
        assert_eq!(b.data(), &plain[..20]);
        let _ = b.split_to(20);
        // ...and into initialized space (one pass).
        b.lend(64, 64, 0, usize::MAX);
        b.commit(0);
        let mut wire = plain;
        apply_mask_naive(&mut wire[20..25], key, 7);
        b.extend_masked(&wire[20..], &[masked(0, 5, key, 7)], usize::MAX);
        assert_eq!(b.data(), &plain[20..]);
    }

    #[test]
    fn extend_masked_unmasks_each_range_and_nothing_else() {
        use crate::mask::apply_mask_naive;
        let plain: alloc::vec::Vec<u8> = (0..600u32).map(|i| (i * 7 + 3) as u8).collect();
        let (k1, k2) = ([9, 8, 7, 6], [0x10, 0x20, 0x30, 0x40]);
        // Two payload ranges (phases 5 and 0) among plain bytes, the second
        // running past the end of the copy.
        let mut wire = plain.clone();
        apply_mask_naive(&mut wire[3..203], k1, 5);
        apply_mask_naive(&mut wire[210..], k2, 0);
        let ranges = [masked(3, 200, k1, 5), masked(210, 1000, k2, 0)];
        for initialized in [false, true] {
            let mut b = InputBuffer::default();
            if initialized {
                // Space lent before is initialized: the one-pass copy.
                b.lend(4096, 4096, 0, usize::MAX);
                b.commit(0);
            }
            b.extend_masked(&wire, &ranges, usize::MAX);
            assert_eq!(b.data(), &plain[..], "initialized space: {initialized}");
        }
    }

    #[test]
    fn a_stream_of_large_frames_moves_once_every_few_copies() {
        // Copies of R bytes from a stream of frames of R + 14 bytes: each
        // holds the end of one frame and most of the next, which stays
        // behind when the first is taken.
        const R: usize = 64 * 1024;
        const FRAME: usize = R + 14;
        let mut b = InputBuffer::default();
        let read = alloc::vec![7u8; R];
        let (mut moves, copies) = (0, 48);
        for _ in 0..copies {
            let (held, at) = (b.len(), b.data().as_ptr());
            b.extend(&read, 16 << 20);
            if held > 0 && b.data().as_ptr() != at {
                moves += 1;
            }
            while b.len() >= FRAME {
                b.advance(FRAME);
            }
        }
        // Moved on every copy, the frame under way would cost a second copy.
        assert!(moves <= copies / ROOM_READS + 1, "{moves} moves");
        assert!(b.capacity() <= (ROOM_READS + 2) * R, "{}", b.capacity());
    }

    /// `n` bytes held at the end of an initialized allocation of about
    /// 8 KiB, behind a consumed front: returns the capacity.
    fn held_at_the_end(b: &mut InputBuffer, n: usize) -> usize {
        b.lend(8192, 8192, 0, usize::MAX);
        let cap = b.capacity();
        assert!(b.commit(cap));
        b.advance(cap - n);
        assert_eq!((b.len(), b.initialized()), (n, cap));
        cap
    }

    fn bytes(n: usize) -> alloc::vec::Vec<u8> {
        (0..n).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn growth_makes_room_for_more_than_a_small_read_and_stays_within_most() {
        let most = 10_000;
        let mut b = InputBuffer::default();
        // A small read: room for at least 4 KiB at once.
        b.lend(10, 10, 0, most);
        assert!(b.capacity() >= 4096, "{}", b.capacity());
        b.commit(0);
        // Reads held: the buffer grows with room for a few more, up to
        // `most` and not past it...
        for _ in 0..3 {
            assert_eq!(b.lend(3000, 3000, 0, most).len(), 3000);
            b.commit(3000);
            assert!(b.capacity() <= most, "{}", b.capacity());
        }
        assert_eq!(b.capacity(), most);
        // ...unless the data held and the read need more: then that.
        b.lend(3000, 3000, 0, most);
        b.commit(3000);
        assert!(b.capacity() <= 9000 + MIN_GROWTH, "{}", b.capacity());
        // The same for copies.
        let mut c = InputBuffer::default();
        for _ in 0..3 {
            c.extend(&bytes(3000), most);
            assert!(c.capacity() <= most, "{}", c.capacity());
        }
        c.extend(&bytes(1000), most);
        assert_eq!(c.capacity(), most, "exactly full");
        c.extend(&bytes(500), most);
        assert!(c.capacity() <= most + 500, "{}", c.capacity());
        assert_eq!(c.len(), 10_500);
        // Data at the front is never moved to the front.
        assert_eq!((b.compacted, c.compacted), (0, 0));
    }

    #[test]
    fn what_fits_exactly_behind_the_data_stays_in_place() {
        // A read...
        let mut b = InputBuffer::default();
        let cap = held_at_the_end(&mut b, 5000);
        b.filled -= 1000;
        let at = b.data().as_ptr();
        assert_eq!(b.lend(1000, 1000, 0, usize::MAX).len(), 1000);
        assert_eq!((b.data().as_ptr(), b.capacity(), b.compacted), (at, cap, 0));
        // ...and a copy (of data short enough to be moved).
        let mut b = InputBuffer::default();
        let cap = held_at_the_end(&mut b, 3192);
        b.filled -= 192;
        let at = b.data().as_ptr();
        b.extend(&bytes(192), usize::MAX);
        assert_eq!((b.data().as_ptr(), b.capacity(), b.compacted), (at, cap, 0));
    }

    #[test]
    fn data_moves_to_the_front_when_that_makes_room_and_only_then() {
        // A read that fits exactly once the data moves: it moves, in the
        // same initialized allocation.
        let mut b = InputBuffer::default();
        let cap = held_at_the_end(&mut b, 4000);
        let held = b.data().to_vec();
        assert_eq!(
            b.lend(cap - 4000, cap - 4000, 0, usize::MAX).len(),
            cap - 4000
        );
        assert_eq!(
            (b.capacity(), b.initialized(), b.compacted),
            (cap, cap, 4000)
        );
        assert_eq!(b.data(), &held[..]);
        // Not enough room even at the front: no move, the buffer grows.
        let mut b = InputBuffer::default();
        let cap = held_at_the_end(&mut b, 5000);
        b.lend(cap - 4999, cap - 4999, 0, usize::MAX);
        assert_eq!(b.compacted, 0);
        assert!(b.capacity() >= 5000 + cap - 4999);
        // The same for a copy that fits exactly at the front.
        let mut b = InputBuffer::default();
        let cap = held_at_the_end(&mut b, 2192);
        let mut all = b.data().to_vec();
        let more = bytes(cap - 2192);
        b.extend(&more, usize::MAX);
        all.extend_from_slice(&more);
        assert_eq!(
            (b.capacity(), b.initialized(), b.compacted),
            (cap, cap, 2192)
        );
        assert_eq!(b.data(), &all[..]);
    }

    #[test]
    fn long_data_gets_room_for_a_few_copies_short_data_moves() {
        // Data under way from 4 KiB on grows the buffer with room for three
        // copies behind it rather than move for each...
        let mut b = InputBuffer::default();
        held_at_the_end(&mut b, 4096);
        b.extend(&bytes(2000), usize::MAX);
        assert_eq!(b.compacted, 0);
        assert!(b.capacity() >= 4096 + 3 * 2000, "{}", b.capacity());
        // ...below 4 KiB, it moves to the front, which makes room.
        let mut b = InputBuffer::default();
        let cap = held_at_the_end(&mut b, 4095);
        b.extend(&bytes(2000), usize::MAX);
        assert_eq!(
            (b.compacted, b.capacity(), b.initialized()),
            (4095, cap, cap)
        );
    }

    #[test]
    fn a_short_read_only_when_two_reads_do_not_fit_and_the_rest_does() {
        // Room for exactly two reads behind 8 KiB under way: a whole read.
        let mut b = InputBuffer::default();
        b.lend(16384, 16384, 0, usize::MAX);
        let cap = b.capacity();
        b.commit(cap - 8192);
        assert_eq!(b.lend(4096, 4096, 100, usize::MAX).len(), 4096);
        // The 100 bytes missing do not fit either: a whole read.
        let mut b = InputBuffer::default();
        b.lend(16384, 16384, 0, usize::MAX);
        let cap = b.capacity();
        b.commit(cap - 50);
        assert_eq!(b.lend(4096, 4096, 100, usize::MAX).len(), 4096);
    }

    #[test]
    fn a_copy_forgets_what_was_lent() {
        let mut b = InputBuffer::default();
        b.lend(64, 64, 0, usize::MAX).fill(b'x');
        b.extend(b"ab", usize::MAX);
        assert!(!b.commit(5), "nothing lent any more");
        assert_eq!(b.data(), b"ab");
    }

    #[test]
    fn data_survives_growth_while_a_payload_is_held() {
        let mut b = InputBuffer::default();
        b.extend(b"hello world", usize::MAX);
        let held = b.split_to(5);
        b.lend(1 << 16, 1 << 16, 0, usize::MAX)[..3].copy_from_slice(b"!!!");
        b.commit(3);
        assert_eq!(&held[..], b"hello");
        assert_eq!(b.data(), b" world!!!");
        b.with_bytes_mut(|m| assert_eq!(&m[..], b" world!!!"));
        assert_eq!(b.len(), 9);
    }
}
