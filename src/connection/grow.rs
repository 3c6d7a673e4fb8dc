//! Growth of the connection's buffers (input, reassembly, output) within
//! a bound.
//!
//! `BytesMut::reserve` grows as a `Vec` does, to at least twice the old
//! capacity: a buffer that must hold at most `most` bytes can end up with
//! nearly `2 * most` of capacity (a message one byte over half the limit
//! doubles the reassembly buffer past the limit). Here the growth doubles
//! too, so that a buffer filled in small steps is reallocated a
//! logarithmic number of times, but never past `most`: once doubling
//! would pass half of `most`, the buffer goes to `most` at once (then it
//! holds more than a quarter of what it has room for). Only bytes that
//! must be held take it further.
//!
//! The growth goes through `Vec::reserve_exact`, that is one `realloc` of
//! the allocation the buffer already owns: no second buffer is allocated
//! next to the first and copied into. Whether a `realloc` extends in place
//! or moves is the allocator's business (large blocks are usually
//! remapped, not copied); one that moves holds the old and the new block
//! for a moment, and going to `most` from at most half of it keeps that
//! under `1.5 * most`, where a last small step from just under `most`
//! would make it `2 * most`.

use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};

/// Makes room in `buf` for `additional` more bytes. When it must allocate,
/// the allocation doubles, or goes to `most` once doubling would pass
/// half of it: its capacity is never more than `most` unless the bytes
/// themselves need more.
#[inline]
pub(super) fn reserve_within(buf: &mut BytesMut, additional: usize, most: usize) {
    if buf.capacity() - buf.len() < additional {
        grow(buf, additional, most);
    }
}

/// The capacity to grow an allocation of `cap` bytes to, for `needed`.
fn target(cap: usize, needed: usize, most: usize) -> usize {
    let doubled = cap.saturating_mul(2);
    let target = if doubled > most / 2 { most } else { doubled };
    needed.max(target)
}

#[inline(never)]
fn grow(buf: &mut BytesMut, additional: usize, most: usize) {
    // An allocation that no payload handed out still shares is reused as
    // it is, its front (split off and dropped) taken back: what
    // `BytesMut::reserve` would do, without its allocating fallback.
    if buf.try_reclaim(additional) {
        return;
    }
    // Without a copy when the allocation is not shared (the data moves to
    // its front); otherwise the data is copied out, as `reserve` would.
    let mut v = Vec::from(core::mem::take(buf));
    let needed = v
        .len()
        .checked_add(additional)
        .expect("buffer size overflows usize");
    // The whole allocation grows (not only the part of it `buf` saw), as
    // with `reserve`: the data would otherwise keep moving to the front of
    // an allocation that is just too small for it.
    let target = target(v.capacity(), needed, most);
    v.reserve_exact(target - v.len());
    // `Vec` -> `Bytes` -> `BytesMut` keeps the allocation: a unique
    // `Bytes` converts back without a copy (the `Bytes` allocates its
    // small shared header, and the conversion frees it).
    *buf = BytesMut::from(Bytes::from(v));
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn doubles_then_goes_to_the_bound_then_only_as_needed() {
        let mut b = BytesMut::new();
        let mut caps = Vec::new();
        for _ in 0..100 {
            reserve_within(&mut b, 1000, 40_000);
            b.extend_from_slice(&[7; 1000]);
            if caps.last() != Some(&b.capacity()) {
                caps.push(b.capacity());
            }
        }
        assert_eq!(b.len(), 100_000);
        assert!(b.iter().all(|&x| x == 7));
        // 1000, 2000, ... doubling while it stays within half the bound,
        // then the bound, then exactly as needed.
        assert_eq!(&caps[..6], &[1000, 2000, 4000, 8000, 16_000, 40_000]);
        assert!(caps[6..].windows(2).all(|w| w[1] == w[0] + 1000));
        assert_eq!(caps[6], 41_000);
    }

    #[test]
    fn exact_room_is_enough() {
        let mut b = BytesMut::with_capacity(64);
        b.extend_from_slice(&[1; 40]);
        let (cap, at) = (b.capacity(), b.as_ptr());
        reserve_within(&mut b, cap - 40, 1 << 20);
        assert_eq!(
            (b.capacity(), b.as_ptr()),
            (cap, at),
            "no growth for room that is there"
        );
        reserve_within(&mut b, cap - 39, 1 << 20);
        assert!(b.capacity() > cap);
    }

    #[test]
    fn the_growth_steps() {
        let most = 1 << 20;
        assert_eq!(target(0, 100, most), 100);
        assert_eq!(target(100, 101, most), 200);
        assert_eq!(target(256 << 10, (256 << 10) + 1, most), 512 << 10);
        assert_eq!(target((256 << 10) + 1, (256 << 10) + 2, most), most);
        assert_eq!(target(most, most + 1, most), most + 1);
        assert_eq!(target(usize::MAX / 2 + 1, 1, usize::MAX), usize::MAX);
    }

    #[test]
    fn never_past_the_bound_when_the_data_fits() {
        let mut b = BytesMut::new();
        let most = 64 << 10;
        let mut len = 0;
        for step in [3000, 17_000, 9000, 16_384, 16_384, 4000] {
            reserve_within(&mut b, step, most);
            b.extend_from_slice(&vec![1; step]);
            len += step;
            assert!(b.capacity() <= most.max(len), "{} {len}", b.capacity());
        }
    }

    #[test]
    fn reuses_a_reclaimed_allocation_and_keeps_the_data() {
        let mut b = BytesMut::new();
        reserve_within(&mut b, 4096, 4096);
        b.extend_from_slice(&[1; 4096]);
        let taken = b.split().freeze();
        let ptr = taken.as_ptr();
        drop(taken);
        // Not shared any more: the same allocation, no new one.
        reserve_within(&mut b, 4000, 4096);
        assert_eq!(b.as_ptr(), ptr);
        b.extend_from_slice(b"abc");
        // Shared with a payload still held: the data moves to a new one.
        let held = b.split_to(1).freeze();
        reserve_within(&mut b, 8000, 1 << 20);
        assert_eq!(&b[..], b"bc");
        assert_eq!(&held[..], b"a");
        assert!(b.capacity() >= 8002);
    }
}
