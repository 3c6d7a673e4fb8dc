//! Incremental UTF-8 validation.
//!
//! "When an endpoint is to interpret a byte stream as UTF-8 but finds that
//! the byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST
//! _Fail the WebSocket Connection_" (RFC 6455 §8.1). Text messages arrive in
//! pieces; [`Utf8Validator`] checks each piece as it arrives, so a message
//! fails at the first invalid byte rather than when it is complete.

/// Validates UTF-8 that arrives in chunks, carrying at most three bytes of an
/// unfinished code point from one chunk to the next.
#[derive(Clone, Debug, Default)]
pub struct Utf8Validator {
    partial: [u8; 4],
    partial_len: u8,
}

/// The input can never become valid UTF-8, whatever follows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Utf8Error;

impl Utf8Validator {
    /// A validator at the start of a stream.
    pub const fn new() -> Self {
        Utf8Validator {
            partial: [0; 4],
            partial_len: 0,
        }
    }

    /// Checks the next chunk. Fails as soon as the bytes seen so far cannot
    /// be a prefix of valid UTF-8.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), Utf8Error> {
        if self.partial_len > 0 {
            // Complete the code point carried over from the last chunk.
            let have = usize::from(self.partial_len);
            let need = utf8_len(self.partial[0]).saturating_sub(have);
            let take = need.min(data.len());
            self.partial[have..have + take].copy_from_slice(&data[..take]);
            let filled = have + take;
            match core::str::from_utf8(&self.partial[..filled]) {
                Ok(_) => self.partial_len = 0,
                Err(e) if e.error_len().is_none() => {
                    // Still a valid prefix, and `data` is used up.
                    self.partial_len = filled as u8;
                    return Ok(());
                }
                Err(_) => return Err(Utf8Error),
            }
            data = &data[take..];
        }
        match validate(data) {
            Ok(()) => Ok(()),
            Err(Some(valid_up_to)) => {
                let tail = &data[valid_up_to..];
                self.partial[..tail.len()].copy_from_slice(tail);
                self.partial_len = tail.len() as u8;
                Ok(())
            }
            Err(None) => Err(Utf8Error),
        }
    }

    /// The bytes of an unfinished code point carried from the last chunk
    /// (at most three), which the last chunk ended with.
    pub fn pending(&self) -> &[u8] {
        &self.partial[..usize::from(self.partial_len)]
    }

    /// Whether the bytes so far end on a code point boundary.
    pub fn is_complete(&self) -> bool {
        self.partial_len == 0
    }

    /// Forgets any carried bytes, for the start of a new message.
    pub fn reset(&mut self) {
        self.partial_len = 0;
    }
}

/// `Ok` if valid; `Err(Some(n))` if valid up to `n` and the rest is an
/// unfinished (but so far valid) code point; `Err(None)` if invalid.
#[inline]
fn validate(data: &[u8]) -> Result<(), Option<usize>> {
    if data.len() < 64 {
        // ASCII fast path for short payloads.
        if data.is_ascii() {
            return Ok(());
        }
        return match core::str::from_utf8(data) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => Err(Some(e.valid_up_to())),
            Err(_) => Err(None),
        };
    }
    // Longer input: everything up to a code point that may be unfinished at
    // the end, then the few bytes of that code point.
    let cut = unfinished_tail(data);
    if as_str(&data[..cut]).is_none() {
        return Err(None);
    }
    if cut == data.len() {
        return Ok(());
    }
    match core::str::from_utf8(&data[cut..]) {
        Err(e) if e.error_len().is_none() => Err(Some(cut)),
        _ => Err(None), // complete or invalid: either way not an unfinished prefix
    }
}

/// Above this many bytes, a SIMD validator beats the standard library's:
/// below it, `simdutf8`'s set-up (a dispatch, and a padded copy of the last
/// block) costs more than the validation itself.
const SIMD_FROM: usize = 512;

/// `data` as a `str`, if it is UTF-8: `simdutf8` (which picks AVX2 or
/// SSE4.2 at run time with `std`) for long inputs, the standard library's
/// validator for short ones.
#[inline]
pub(crate) fn as_str(data: &[u8]) -> Option<&str> {
    if data.len() >= SIMD_FROM {
        simdutf8::basic::from_utf8(data).ok()
    } else {
        core::str::from_utf8(data).ok()
    }
}

/// Where a code point that the data's last (at most three) bytes leave
/// unfinished starts; `data.len()` if none does.
#[inline]
fn unfinished_tail(data: &[u8]) -> usize {
    let len = data.len();
    for back in 1..=3.min(len) {
        let b = data[len - back];
        if b & 0xC0 != 0x80 {
            // A lead byte (or ASCII): unfinished if it needs more bytes
            // than follow it.
            return if utf8_len(b) > back { len - back } else { len };
        }
    }
    len
}

/// The length of the sequence a lead byte starts (1 for invalid leads, which
/// the validation then rejects).
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_forgets_a_carried_partial_code_point() {
        let mut v = Utf8Validator::new();
        v.feed(b"ok \xe2\x82").unwrap();
        assert!(!v.is_complete());
        v.reset();
        assert!(v.is_complete());
        // The two carried bytes are gone: a lone continuation byte is now
        // invalid instead of completing "€".
        assert_eq!(v.feed(b"\xac"), Err(Utf8Error));
        let mut kept = Utf8Validator::new();
        kept.feed(b"\xe2\x82").unwrap();
        assert_eq!(kept.feed(b"\xac"), Ok(()));
    }

    fn chunked(data: &[u8], cuts: &[usize]) -> Result<bool, Utf8Error> {
        let mut v = Utf8Validator::new();
        let mut start = 0;
        for &c in cuts {
            v.feed(&data[start..c])?;
            start = c;
        }
        v.feed(&data[start..])?;
        Ok(v.is_complete())
    }

    #[test]
    fn agrees_with_core_for_every_two_way_split() {
        let samples: &[&[u8]] = &[
            "κόσμε".as_bytes(),
            "𝄞😀 ascii ü".as_bytes(),
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
            b"\xf4\x90\x80\x80",
            b"\xc0\xaf",
            b"\xe0\x80\xaf",
            b"\xf0\x9f\x98",
            b"\xed\x9f\xbf",
            b"\xef\xbf\xbf",
            b"\x80",
            b"ab\xff",
        ];
        for s in samples {
            let expect = core::str::from_utf8(s).is_ok();
            for cut in 0..=s.len() {
                for cut2 in cut..=s.len() {
                    let got = matches!(chunked(s, &[cut, cut2]), Ok(true));
                    assert_eq!(got, expect, "{s:?} cut at {cut},{cut2}");
                }
            }
        }
    }

    /// Chunks of 64 bytes and more take the long path (the body up to a
    /// code point the chunk may end inside, then that code point): every
    /// ending, valid, unfinished or invalid, agrees with `core`, and an
    /// unfinished one is carried (the chunk is accepted, incomplete).
    #[test]
    fn long_chunks_agree_with_core_at_every_ending() {
        let endings: &[&[u8]] = &[
            b"",
            b"z",
            "\u{e9}".as_bytes(),
            "\u{20ac}".as_bytes(),
            "\u{1f600}".as_bytes(),
            b"\xc3",
            b"\xe2\x82",
            b"\xe2",
            b"\xf0\x9f\x98",
            b"\xf0\x9f",
            b"\xff",
            b"\xe2\x28",
            b"\xc0\x80",
            b"\xed\xa0",
            b"\xf4\x90",
        ];
        for body in [
            "a".repeat(100),
            "\u{3ba}\u{3cc}\u{3c3}\u{3bc}\u{3b5} ".repeat(8),
        ] {
            for len in [61, 62, 63, 64, 65, 66, 80, 100] {
                for end in endings {
                    let mut data = body.as_bytes()[..len.min(body.len())].to_vec();
                    // Whole code points of the body only.
                    while core::str::from_utf8(&data).is_err() {
                        data.pop();
                    }
                    data.extend_from_slice(end);
                    let expect = match core::str::from_utf8(&data) {
                        Ok(_) => Ok(true),
                        Err(e) if e.error_len().is_none() => Ok(false),
                        Err(_) => Err(Utf8Error),
                    };
                    let mut v = Utf8Validator::new();
                    let got = v.feed(&data).map(|()| v.is_complete());
                    assert_eq!(got, expect, "{data:?}");
                }
            }
        }
    }

    #[test]
    fn fails_at_first_invalid_byte() {
        // Autobahn 6.4.1: the invalid sequence fails before the rest arrives.
        let mut v = Utf8Validator::new();
        v.feed("κόσμε".as_bytes()).unwrap();
        assert_eq!(v.feed(b"\xf4\x90"), Err(Utf8Error));
        // An invalid second byte after a carried lead byte also fails at once.
        let mut v = Utf8Validator::new();
        v.feed(b"\xe0").unwrap();
        assert_eq!(v.feed(b"\x80"), Err(Utf8Error));
    }

    #[test]
    fn incomplete_at_end() {
        assert_eq!(chunked(b"\xf0\x9f\x98", &[]), Ok(false));
        assert_eq!(chunked(b"\xf0\x9f\x98\x80", &[1, 2, 3]), Ok(true));
    }
}
