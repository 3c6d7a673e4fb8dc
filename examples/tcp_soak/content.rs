//! What is sent: message contents and lengths, read sizes, and the
//! generator they come from.

use rfc6455::MessageKind;

/// The largest message sent: 256 KiB.
pub const MAX_MESSAGE: usize = 256 << 10;
/// Lengths where the frame header's length encoding changes (7-bit,
/// 16-bit, 64-bit), and the extremes: a twentieth of the messages.
pub const EDGE_LENGTHS: [usize; 10] = [
    0, 1, 125, 126, 127, 65_535, 65_536, 65_537, 262_143, 262_144,
];

/// Random content that messages are cut from, so that making a 256 KiB
/// message costs a copy, not 256 Ki calls to the generator.
pub struct Pools {
    binary: Vec<u8>,
    /// UTF-8 of 1- to 4-byte characters.
    text: String,
}

impl Pools {
    pub fn new(seed: u64) -> Pools {
        const CHARS: [&str; 10] = ["a", "Z", " ", "0", "é", "ß", "κ", "€", "語", "𝄞"];
        let mut rng = Rng::new(seed, u64::MAX);
        let mut binary = Vec::with_capacity(2 * MAX_MESSAGE + 8);
        while binary.len() < 2 * MAX_MESSAGE {
            binary.extend_from_slice(&rng.next().to_le_bytes());
        }
        let mut text = String::with_capacity(2 * MAX_MESSAGE + 4);
        while text.len() < 2 * MAX_MESSAGE {
            text.push_str(CHARS[rng.below(CHARS.len())]);
        }
        Pools { binary, text }
    }

    /// A message of exactly `len` bytes: `id` and `seq` in 16 ASCII
    /// characters first if it has room, then content from a random place.
    pub fn message(
        &self,
        rng: &mut Rng,
        kind: MessageKind,
        len: usize,
        id: usize,
        seq: u64,
    ) -> Vec<u8> {
        let mut data = Vec::with_capacity(len);
        if len >= 16 {
            data.extend_from_slice(format!("{id:04x}{seq:012x}").as_bytes());
        }
        let need = len - data.len();
        match kind {
            MessageKind::Binary => {
                let start = rng.below(self.binary.len() - need + 1);
                data.extend_from_slice(&self.binary[start..start + need]);
            }
            MessageKind::Text => {
                let mut start = rng.below(self.text.len() - need + 1);
                while !self.text.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = start + need;
                while !self.text.is_char_boundary(end) {
                    end -= 1;
                }
                data.extend_from_slice(&self.text.as_bytes()[start..end]);
                data.resize(len, b'.'); // up to 3 bytes of ASCII make up the length
            }
        }
        data
    }
}

/// A small deterministic generator (xorshift64*), seeded through
/// splitmix64 so that nearby seeds give unrelated streams.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut z = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// From `lo` to `hi`, both included.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// A message's length: every size class from empty to 256 KiB is common
/// enough to be exercised every second, and the mean (about 37 KiB) keeps
/// 200 connections busy without the run being only a bandwidth test.
pub fn message_len(rng: &mut Rng) -> usize {
    match rng.below(20) {
        0 => EDGE_LENGTHS[rng.below(EDGE_LENGTHS.len())],
        1..=11 => rng.range(0, 1024),
        12..=16 => rng.range(1025, 64 << 10),
        _ => rng.range((64 << 10) + 1, MAX_MESSAGE),
    }
}

/// A read's size: a quarter each of tiny (a frame header or a mask cut
/// apart), packet-sized, up to 64 KiB, and up to 256 KiB.
pub fn read_len(rng: &mut Rng) -> usize {
    match rng.below(4) {
        0 => rng.range(1, 16),
        1 => rng.range(17, 1500),
        2 => rng.range(1501, 64 << 10),
        _ => rng.range((64 << 10) + 1, 256 << 10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_their_length_and_text_is_utf8() {
        let pools = Pools::new(1);
        let mut rng = Rng::new(1, 2);
        let mut lens = EDGE_LENGTHS.to_vec();
        lens.extend((0..200).map(|_| message_len(&mut rng)));
        for len in lens {
            for kind in [MessageKind::Text, MessageKind::Binary] {
                let m = pools.message(&mut rng, kind, len, 7, 42);
                assert_eq!(m.len(), len);
                if kind == MessageKind::Text {
                    assert!(std::str::from_utf8(&m).is_ok(), "{len}");
                }
                if len >= 16 {
                    assert_eq!(&m[..16], b"000700000000002a");
                }
            }
        }
    }

    #[test]
    fn sizes_stay_in_bounds() {
        let mut rng = Rng::new(5, 0);
        for _ in 0..10_000 {
            assert!(message_len(&mut rng) <= MAX_MESSAGE);
            assert!((1..=256 << 10).contains(&read_len(&mut rng)));
        }
    }
}
