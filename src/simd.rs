//! Unmasking with the widest vector registers the CPU has, chosen at run
//! time (feature `simd`).
//!
//! This is the one module of the crate that may use `unsafe`, and only to
//! call a function compiled for CPU features that the running CPU was
//! checked to have. The kernels themselves are safe code: the same
//! word-at-a-time XOR loop as [`crate::mask`], compiled twice more with
//! AVX2 and with AVX-512 enabled, so that the compiler vectorizes it over
//! 32- and 64-byte registers. A build for the baseline x86-64 CPU gets only
//! 16-byte SSE2 registers from the portable code, and on a 64 KiB payload
//! the wider ones halve the time of the unmasking pass.
//!
//! Every kernel is tested against the byte-at-a-time reference for every
//! length up to 256 and every offset and alignment, and runs under Miri in
//! `.ci/run` (with the features enabled, so that the dispatch takes them).

#![allow(unsafe_code)]

/// The kernels work on whole blocks of this many bytes.
pub(crate) const BLOCK: usize = 64;

/// Below this many bytes the portable loop is as fast: the dispatch is not
/// worth it.
pub(crate) const MIN_LEN: usize = 2 * BLOCK;

/// XORs `buf` with `word` (the mask key repeated twice, at phase 0),
/// whole blocks only, with the best kernel the CPU runs. Returns how many
/// bytes it did: a multiple of [`BLOCK`], 0 if no kernel beats the portable
/// loop on this CPU.
#[inline]
pub(crate) fn xor(buf: &mut [u8], word: u64) -> usize {
    match level() {
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => {
            // SAFETY: `level()` returned `Avx512` only because
            // `is_x86_feature_detected!("avx512f")` said this CPU has the
            // AVX-512 Foundation instructions, the only ones the kernel is
            // compiled to use beyond the baseline.
            unsafe { x86::xor_avx512(buf, word) }
        }
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => {
            // SAFETY: `level()` returned `Avx2` only because
            // `is_x86_feature_detected!("avx2")` said this CPU has AVX2.
            unsafe { x86::xor_avx2(buf, word) }
        }
        Level::Portable => 0,
    }
}

/// Writes `src` XOR `word` into `dst` (both of the same length), whole
/// blocks only, as [`xor`] does in place. Returns how many bytes it did.
#[inline]
pub(crate) fn copy_xor(dst: &mut [u8], src: &[u8], word: u64) -> usize {
    match level() {
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => {
            // SAFETY: as in `xor`: the CPU was checked to have AVX-512F.
            unsafe { x86::copy_xor_avx512(dst, src, word) }
        }
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => {
            // SAFETY: as in `xor`: the CPU was checked to have AVX2.
            unsafe { x86::copy_xor_avx2(dst, src, word) }
        }
        Level::Portable => 0,
    }
}

/// Which kernel this CPU gets.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    /// No kernel: the portable loop of [`crate::mask`] does the work.
    Portable,
    /// 32-byte registers.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// 64-byte registers.
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

/// The best level this CPU supports, detected once and cached.
#[inline]
pub(crate) fn level() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        x86::level()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Level::Portable
    }
}

/// The loop every kernel compiles: one whole block at a time, XORed with
/// the key pattern as one array, which the compiler turns into one
/// register-wide load, XOR and store per block (`inline(always)`, so that
/// each kernel gets its own copy, vectorized for its features).
#[inline(always)]
fn xor_blocks(buf: &mut [u8], word: u64) -> usize {
    let pattern = pattern(word);
    let mut blocks = buf.chunks_exact_mut(BLOCK);
    let done = blocks.len() * BLOCK;
    for block in &mut blocks {
        let block: &mut [u8; BLOCK] = block.try_into().expect("a whole block");
        for (b, p) in block.iter_mut().zip(pattern.iter()) {
            *b ^= p;
        }
    }
    done
}

/// The copying form of [`xor_blocks`].
#[inline(always)]
fn copy_xor_blocks(dst: &mut [u8], src: &[u8], word: u64) -> usize {
    let pattern = pattern(word);
    let n = dst.len().min(src.len());
    let mut d = dst[..n].chunks_exact_mut(BLOCK);
    let mut s = src[..n].chunks_exact(BLOCK);
    let done = d.len() * BLOCK;
    for (db, sb) in (&mut d).zip(&mut s) {
        let db: &mut [u8; BLOCK] = db.try_into().expect("a whole block");
        let sb: &[u8; BLOCK] = sb.try_into().expect("a whole block");
        for ((d, s), p) in db.iter_mut().zip(sb.iter()).zip(pattern.iter()) {
            *d = s ^ p;
        }
    }
    done
}

/// The key word repeated over a block.
#[inline(always)]
fn pattern(word: u64) -> [u8; BLOCK] {
    let mut p = [0u8; BLOCK];
    for w in p.chunks_exact_mut(8) {
        w.copy_from_slice(&word.to_ne_bytes());
    }
    p
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Level;
    use core::sync::atomic::{AtomicU8, Ordering};

    /// 0: not detected yet; otherwise 1 + the level's index.
    static LEVEL: AtomicU8 = AtomicU8::new(0);

    #[inline]
    pub(super) fn level() -> Level {
        match LEVEL.load(Ordering::Relaxed) {
            1 => Level::Portable,
            2 => Level::Avx2,
            3 => Level::Avx512,
            _ => detect(),
        }
    }

    #[cold]
    fn detect() -> Level {
        let level = if std::is_x86_feature_detected!("avx512f") {
            Level::Avx512
        } else if std::is_x86_feature_detected!("avx2") {
            Level::Avx2
        } else {
            Level::Portable
        };
        let code = match level {
            Level::Portable => 1,
            Level::Avx2 => 2,
            Level::Avx512 => 3,
        };
        LEVEL.store(code, Ordering::Relaxed);
        level
    }

    /// [`super::xor_blocks`] over 32-byte registers.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn xor_avx2(buf: &mut [u8], word: u64) -> usize {
        super::xor_blocks(buf, word)
    }

    /// [`super::xor_blocks`] over 64-byte registers.
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn xor_avx512(buf: &mut [u8], word: u64) -> usize {
        super::xor_blocks(buf, word)
    }

    /// [`super::copy_xor_blocks`] over 32-byte registers.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn copy_xor_avx2(dst: &mut [u8], src: &[u8], word: u64) -> usize {
        super::copy_xor_blocks(dst, src, word)
    }

    /// [`super::copy_xor_blocks`] over 64-byte registers.
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn copy_xor_avx512(dst: &mut [u8], src: &[u8], word: u64) -> usize {
        super::copy_xor_blocks(dst, src, word)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::mask::apply_mask_naive;
        use alloc::vec::Vec;

        type Kernel = unsafe fn(&mut [u8], u64) -> usize;

        /// Held by the tests that read the cached level, while one of them
        /// stores other levels in it.
        static CACHE: std::sync::Mutex<()> = std::sync::Mutex::new(());
        type CopyKernel = unsafe fn(&mut [u8], &[u8], u64) -> usize;

        /// The kernels this CPU (or Miri, with the features enabled on its
        /// command line) can run. A test that finds none fails: a kernel
        /// that is never run is never tested.
        fn kernels() -> Vec<(&'static str, Kernel, CopyKernel)> {
            let mut k: Vec<(&'static str, Kernel, CopyKernel)> = Vec::new();
            if std::is_x86_feature_detected!("avx2") {
                k.push(("avx2", xor_avx2, copy_xor_avx2));
            }
            if std::is_x86_feature_detected!("avx512f") {
                k.push(("avx512", xor_avx512, copy_xor_avx512));
            }
            assert!(
                !k.is_empty() || std::env::var_os("RFC6455_NO_SIMD_CPU").is_some(),
                "no SIMD kernel runs here; set RFC6455_NO_SIMD_CPU=1 on a CPU without AVX2"
            );
            k
        }

        fn word(key: [u8; 4]) -> u64 {
            u64::from_ne_bytes([
                key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
            ])
        }

        /// Lengths 0..=256 at every alignment 0..64 (in Miri, which is slow,
        /// alignments 0..4 and one key), against the reference. The key
        /// phase is the caller's (`mask.rs` rotates the key); here the key
        /// itself is varied instead.
        #[test]
        fn kernels_match_reference_for_every_length_and_alignment() {
            let aligns = if cfg!(miri) { 0..4 } else { 0..64 };
            let keys: &[[u8; 4]] = if cfg!(miri) {
                &[[0x12, 0x34, 0x56, 0x78]]
            } else {
                &[[0x12, 0x34, 0x56, 0x78], [0xff, 0x00, 0xa5, 0x5a]]
            };
            for (name, xor, copy_xor) in kernels() {
                for &key in keys {
                    for align in aligns.clone() {
                        for len in 0..=256usize {
                            let orig: Vec<u8> =
                                (0..align + len + 1).map(|i| (i * 31 + 7) as u8).collect();
                            let mut want = orig.clone();
                            let blocks = len / super::super::BLOCK * super::super::BLOCK;
                            apply_mask_naive(&mut want[align..align + blocks], key, 0);

                            let mut got = orig.clone();
                            // SAFETY: `kernels()` lists only kernels whose
                            // features this CPU was detected to have.
                            let done = unsafe { xor(&mut got[align..align + len], word(key)) };
                            assert_eq!(done, blocks, "{name} len {len} align {align}");
                            assert_eq!(got, want, "{name} in place, len {len} align {align}");

                            let mut dst = alloc::vec![0xEEu8; align + len + 1];
                            let mut want_dst = dst.clone();
                            want_dst[align..align + blocks]
                                .copy_from_slice(&want[align..align + blocks]);
                            // SAFETY: as above.
                            let done = unsafe {
                                copy_xor(
                                    &mut dst[align..align + len],
                                    &orig[align..align + len],
                                    word(key),
                                )
                            };
                            assert_eq!(done, blocks, "{name} copy len {len} align {align}");
                            assert_eq!(dst, want_dst, "{name} copy, len {len} align {align}");
                        }
                    }
                }
            }
        }

        #[test]
        fn dispatch_matches_detection() {
            let _one = CACHE.lock().unwrap_or_else(|e| e.into_inner());
            let want = detect();
            // Detection prefers the widest registers.
            if std::is_x86_feature_detected!("avx512f") {
                assert_eq!(want, Level::Avx512);
            }
            assert_eq!(level(), want);
            // Cached: the second call answers the same.
            assert_eq!(level(), want);
        }

        /// The cached level reads back as the level stored. Only levels this
        /// CPU runs are stored (other tests may dispatch meanwhile), and the
        /// detected one is put back.
        #[test]
        fn the_cache_answers_without_detecting_again() {
            let _one = CACHE.lock().unwrap_or_else(|e| e.into_inner());
            let detected = detect();
            for (code, want) in [(1, Level::Portable), (2, Level::Avx2), (3, Level::Avx512)] {
                let runs = match want {
                    Level::Portable => true,
                    Level::Avx2 => std::is_x86_feature_detected!("avx2"),
                    Level::Avx512 => std::is_x86_feature_detected!("avx512f"),
                };
                if runs {
                    LEVEL.store(code, Ordering::Relaxed);
                    assert_eq!(level(), want);
                }
            }
            LEVEL.store(0, Ordering::Relaxed);
            assert_eq!(level(), detected);
        }

        /// The dispatch runs the detected kernel: whole blocks, XORed, and
        /// says so (the portable loop in `mask.rs` does the rest).
        #[test]
        fn dispatch_does_whole_blocks_with_the_detected_kernel() {
            let _one = CACHE.lock().unwrap_or_else(|e| e.into_inner());
            let key = [0x0f, 0xf0, 0x3c, 0xc3];
            let orig: Vec<u8> = (0..200u32).map(|i| (i * 13) as u8).collect();
            let blocks = if level() == Level::Portable { 0 } else { 192 };
            let mut want = orig.clone();
            apply_mask_naive(&mut want[..blocks], key, 0);
            let mut got = orig.clone();
            assert_eq!(super::super::xor(&mut got, word(key)), blocks);
            assert_eq!(got, want);
            let mut dst = alloc::vec![0u8; 200];
            assert_eq!(super::super::copy_xor(&mut dst, &orig, word(key)), blocks);
            assert_eq!(dst[..blocks], want[..blocks]);
        }
    }
}
