//! Applying the client-to-server mask (RFC 6455 §5.3).
//!
//! "Octet i of the transformed data ("transformed-octet-i") is the XOR of
//! octet i of the original data ("original-octet-i") with octet at index
//! i modulo 4 of the masking key ("masking-key-octet-j")" (§5.3).

/// XORs `buf` with `key`, where `buf[0]` is payload octet number `offset`.
///
/// Masking and unmasking are the same operation. Works a machine word at a
/// time; [`apply_mask_naive`] is the reference it is tested against.
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate(key, offset);
    if buf.len() < 32 {
        return apply_mask_words(buf, key);
    }
    #[cfg(feature = "simd")]
    let buf = if buf.len() >= crate::simd::MIN_LEN {
        // Whole 64-byte blocks keep the key phase.
        let done = crate::simd::xor(buf, key_word(key));
        &mut buf[done..]
    } else {
        buf
    };
    // 32 bytes at a time as four machine words: the fixed-size inner loop
    // compiles to whole-register XORs (SSE2 on x86-64 by default, wider
    // with `target-cpu`), with no `unsafe` and no alignment games, and
    // needs no key pattern built first (which cost more than a short
    // payload's XORs).
    let word = key_word(key);
    let mut chunks = buf.chunks_exact_mut(32);
    for chunk in &mut chunks {
        for w in chunk.chunks_exact_mut(8) {
            xor_word(w, word);
        }
    }
    // Whole 32-byte blocks keep the key phase, so the tail starts at phase 0.
    apply_mask_words(chunks.into_remainder(), key);
}

/// Writes `src` XOR `key` into `dst` (the first `min` of their lengths),
/// where `src[0]` is payload octet number `offset`: a copy and an unmask in
/// one pass over the bytes, for input handed in by copy (the second pass
/// over a large payload cost as much as the copy).
#[inline]
pub(crate) fn copy_masked(dst: &mut [u8], src: &[u8], key: [u8; 4], offset: usize) {
    let n = dst.len().min(src.len());
    let (dst, src) = (&mut dst[..n], &src[..n]);
    let key = rotate(key, offset);
    let word = key_word(key);
    #[cfg(feature = "simd")]
    let (dst, src) = if n >= crate::simd::MIN_LEN {
        // Whole 64-byte blocks keep the key phase.
        let done = crate::simd::copy_xor(dst, src, word);
        (&mut dst[done..], &src[done..])
    } else {
        (dst, src)
    };
    let mut d = dst.chunks_exact_mut(32);
    let mut s = src.chunks_exact(32);
    for (dc, sc) in (&mut d).zip(&mut s) {
        for (dw, sw) in dc.chunks_exact_mut(8).zip(sc.chunks_exact(8)) {
            copy_word(dw, sw, word);
        }
    }
    // Whole 32-byte blocks keep the key phase, so the tail starts at phase 0.
    let (dst, src) = (d.into_remainder(), s.remainder());
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (dw, sw) in (&mut d).zip(&mut s) {
        copy_word(dw, sw, word);
    }
    for (i, (db, sb)) in d.into_remainder().iter_mut().zip(s.remainder()).enumerate() {
        *db = sb ^ key[i & 3];
    }
}

/// Eight bytes of `src` XOR a word, into `dst`.
#[inline(always)]
fn copy_word(dst: &mut [u8], src: &[u8], word: u64) {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(src);
    dst.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ word).to_ne_bytes());
}

/// The key repeated over a machine word.
#[inline]
fn key_word(key: [u8; 4]) -> u64 {
    u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ])
}

/// XORs eight bytes with a word.
#[inline(always)]
fn xor_word(w: &mut [u8], word: u64) {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(w);
    w.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ word).to_ne_bytes());
}

/// Eight bytes at a time, for short payloads and tails.
#[inline]
fn apply_mask_words(buf: &mut [u8], key: [u8; 4]) {
    let word = key_word(key);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        xor_word(chunk, word);
    }
    apply_mask_naive(chunks.into_remainder(), key, 0);
}

/// The byte-at-a-time reference implementation of [`apply_mask`].
pub fn apply_mask_naive(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[(i + offset) & 3];
    }
}

/// The key as seen from payload octet `offset`: rotated left by
/// `offset % 4` bytes (a shift of the little-endian word).
#[inline]
fn rotate(key: [u8; 4], offset: usize) -> [u8; 4] {
    let bits = 8 * (offset as u32 & 3);
    u32::from_le_bytes(key).rotate_right(bits).to_le_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_5_7_masked_hello() {
        let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&payload, b"Hello");
    }

    #[test]
    fn fast_matches_naive_for_every_length_and_offset() {
        let key = [0x12, 0x34, 0x56, 0x78];
        for len in (0..=300).chain([1000, 4096 + 13]) {
            for start in 0..8 {
                for offset in 0..4 {
                    let orig: alloc::vec::Vec<u8> =
                        (0..len + start).map(|i| (i * 31 + 7) as u8).collect();
                    let mut fast = orig.clone();
                    let mut slow = orig.clone();
                    apply_mask(&mut fast[start..], key, offset);
                    apply_mask_naive(&mut slow[start..], key, offset);
                    assert_eq!(fast, slow, "len {len} start {start} offset {offset}");
                }
            }
        }
    }

    #[test]
    fn copy_masked_matches_naive_for_every_length_and_offset() {
        let key = [0x9a, 0x0b, 0xc4, 0x71];
        for len in (0..=300).chain([1000, 4096 + 13]) {
            for start in 0..8 {
                for offset in 0..4 {
                    let src: alloc::vec::Vec<u8> =
                        (0..len + start).map(|i| (i * 17 + 3) as u8).collect();
                    let mut want = src.clone();
                    apply_mask_naive(&mut want[start..], key, offset);
                    // The destination at another alignment, with a guard
                    // byte after it that must stay as it is.
                    let mut dst = alloc::vec![0xEEu8; len + 3 + 1];
                    copy_masked(&mut dst[3..3 + len], &src[start..], key, offset);
                    assert_eq!(
                        dst[3..3 + len],
                        want[start..],
                        "len {len} start {start} offset {offset}"
                    );
                    assert_eq!(dst[3 + len], 0xEE);
                }
            }
        }
    }

    #[test]
    fn split_masking_equals_whole() {
        let key = [9, 8, 7, 6];
        let orig: alloc::vec::Vec<u8> = (0..100u8).collect();
        let mut whole = orig.clone();
        apply_mask(&mut whole, key, 0);
        for cut in 0..orig.len() {
            let mut parts = orig.clone();
            let (a, b) = parts.split_at_mut(cut);
            apply_mask(a, key, 0);
            apply_mask(b, key, cut);
            assert_eq!(parts, whole);
        }
    }
}
