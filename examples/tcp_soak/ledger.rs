//! The ledger: what one connection sent, and what came back.

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hasher};

use bytes::Bytes;
use rfc6455::MessageKind;

/// Received messages remembered for telling a duplicate from corruption.
const RECENT: usize = 256;

fn hash(data: &[u8]) -> u64 {
    // std's SipHash with its fixed keys: the same value for the same bytes
    // in every run. With the length and kind beside it, a corrupted echo
    // passes for the original with a chance of about 2^-64.
    let mut h = DefaultHasher::new();
    h.write(data);
    h.finish()
}

/// What a message is: its kind, length and hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sig {
    kind: MessageKind,
    len: usize,
    hash: u64,
}

impl Sig {
    fn of(kind: MessageKind, data: &[u8]) -> Sig {
        Sig {
            kind,
            len: data.len(),
            hash: hash(data),
        }
    }
}

/// A message sent and not yet echoed.
#[derive(Clone, Copy, Debug)]
struct Entry {
    sig: Sig,
    /// Its first 16 bytes, if it has that many: they name the connection
    /// and the message's number, so a corrupted echo can still be told
    /// apart from its neighbours.
    head: Option<[u8; 16]>,
}

/// One connection's account of what it sent and what came back.
///
/// Each echo is compared with the oldest message not yet echoed. One that
/// matches a later message instead passes over the ones before it: they
/// wait aside, counted as reordered if they come after all and as lost if
/// they never do. An echo that matches no message in flight is duplicated
/// if it matches one of the last `RECENT` echoes, corrupted if not; a
/// corrupted echo whose first 16 bytes name a message in flight stands for
/// it (that message is not counted as lost as well).
#[derive(Default)]
pub struct Ledger {
    /// Messages sent, oldest first, not yet echoed.
    expected: VecDeque<Entry>,
    expected_bytes: usize,
    /// Messages passed over by a later one's echo.
    skipped: Vec<Entry>,
    /// The last `RECENT` echoes (for telling duplicates).
    recent: VecDeque<Sig>,
    /// Ping payloads sent, oldest first, not yet answered.
    pings: VecDeque<Bytes>,
    pub lost: u64,
    pub duplicated: u64,
    pub reordered: u64,
    pub corrupted: u64,
    pub pings_unanswered: u64,
    /// Pongs that answer no ping we sent, or answer one out of turn.
    pub pongs_unexpected: u64,
}

impl Ledger {
    /// Messages and bytes sent and not yet echoed.
    pub fn in_flight(&self) -> (usize, usize) {
        (self.expected.len(), self.expected_bytes)
    }

    /// Pings sent and not yet answered.
    pub fn pings_in_flight(&self) -> usize {
        self.pings.len()
    }

    /// Records a ping sent.
    pub fn ping(&mut self, payload: Bytes) {
        self.pings.push_back(payload);
    }

    /// Records a message sent.
    pub fn sent(&mut self, kind: MessageKind, data: &[u8]) {
        self.expected_bytes += data.len();
        self.expected.push_back(Entry {
            sig: Sig::of(kind, data),
            head: data.first_chunk().copied(),
        });
    }

    /// Takes an echoed message; false if it was not the one expected next.
    pub fn received(&mut self, kind: MessageKind, data: &[u8]) -> bool {
        let got = Sig::of(kind, data);
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(got);
        if let Some(i) = self.expected.iter().position(|e| e.sig == got) {
            self.take(i);
            return i == 0;
        }
        if let Some(i) = self.skipped.iter().position(|e| e.sig == got) {
            self.skipped.swap_remove(i);
            self.reordered += 1;
        } else if self.recent.iter().rev().skip(1).any(|s| *s == got) {
            self.duplicated += 1;
        } else {
            self.corrupted += 1;
            let head: Option<[u8; 16]> = data.first_chunk().copied();
            let named = |e: &Entry| head.is_some() && e.head == head;
            if let Some(i) = self.expected.iter().position(named) {
                self.take(i);
            } else if let Some(i) = self.skipped.iter().position(named) {
                self.skipped.swap_remove(i);
            }
        }
        false
    }

    /// Takes message `i` in flight; those before it are passed over.
    fn take(&mut self, i: usize) {
        for e in self.expected.drain(..=i) {
            self.expected_bytes -= e.sig.len;
            self.skipped.push(e);
        }
        self.skipped.pop();
    }

    /// Takes a pong; true if it answers the oldest unanswered ping.
    pub fn pong(&mut self, payload: &[u8]) -> bool {
        if self.pings.front().is_some_and(|p| p == payload) {
            self.pings.pop_front();
            true
        } else {
            self.pongs_unexpected += 1;
            false
        }
    }

    /// The connection is over: what is still expected never came.
    pub fn finish(&mut self) {
        self.lost += (self.expected.len() + self.skipped.len()) as u64;
        self.expected.clear();
        self.skipped.clear();
        self.expected_bytes = 0;
        self.pings_unanswered += self.pings.len() as u64;
        self.pings.clear();
    }
}

/// The ledger must be able to fail: each kind of trouble, made on purpose,
/// is counted as what it is. (`cargo test --example tcp_soak`; the example
/// has `test = true`, so `cargo test --all-targets` runs these too.)
#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(sent: &[&[u8]]) -> Ledger {
        let mut l = Ledger::default();
        for m in sent {
            l.sent(MessageKind::Binary, m);
        }
        l
    }

    fn counts(l: &Ledger) -> [u64; 4] {
        [l.lost, l.duplicated, l.reordered, l.corrupted]
    }

    #[test]
    fn in_order_balances() {
        let mut l = ledger(&[b"a", b"", b"a", b"bc"]);
        for m in [&b"a"[..], b"", b"a", b"bc"] {
            assert!(l.received(MessageKind::Binary, m));
        }
        l.finish();
        assert_eq!(counts(&l), [0; 4]);
        assert_eq!(l.expected_bytes, 0);
    }

    #[test]
    fn a_message_that_never_comes_is_lost() {
        let mut l = ledger(&[b"a", b"b", b"c", b"d"]);
        assert!(l.received(MessageKind::Binary, b"a"));
        assert!(!l.received(MessageKind::Binary, b"c"));
        assert!(l.received(MessageKind::Binary, b"d"));
        l.finish();
        assert_eq!(counts(&l), [1, 0, 0, 0]);
    }

    #[test]
    fn out_of_turn_is_reordered() {
        let mut l = ledger(&[b"a", b"b", b"c"]);
        assert!(!l.received(MessageKind::Binary, b"b"));
        assert!(!l.received(MessageKind::Binary, b"a"));
        assert!(l.received(MessageKind::Binary, b"c"));
        l.finish();
        assert_eq!(counts(&l), [0, 0, 1, 0]);
    }

    #[test]
    fn a_second_copy_is_duplicated() {
        let mut l = ledger(&[b"a", b"b"]);
        assert!(l.received(MessageKind::Binary, b"a"));
        assert!(!l.received(MessageKind::Binary, b"a"));
        assert!(l.received(MessageKind::Binary, b"b"));
        assert!(!l.received(MessageKind::Binary, b"b"));
        l.finish();
        assert_eq!(counts(&l), [0, 2, 0, 0]);
    }

    #[test]
    fn other_bytes_length_or_kind_are_corrupted() {
        // Short messages: nothing names them, so the originals are lost too.
        let mut l = ledger(&[b"abc", b"abc", b"abc"]);
        assert!(!l.received(MessageKind::Binary, b"abd"));
        assert!(!l.received(MessageKind::Binary, b"abcd"));
        assert!(!l.received(MessageKind::Text, b"abc"));
        l.finish();
        assert_eq!(counts(&l), [3, 0, 0, 3]);
    }

    #[test]
    fn a_corrupted_echo_stands_for_the_message_its_head_names() {
        let m: Vec<Vec<u8>> = (0..3)
            .map(|i| format!("{i:016}, payload").into_bytes())
            .collect();
        let mut l = ledger(&[&m[0], &m[1], &m[2]]);
        let mut bad = m[1].clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(l.received(MessageKind::Binary, &m[0]));
        assert!(!l.received(MessageKind::Binary, &bad));
        assert!(l.received(MessageKind::Binary, &m[2]));
        l.finish();
        assert_eq!(counts(&l), [0, 0, 0, 1]);
    }

    #[test]
    fn pongs_answer_pings_in_order() {
        let mut l = Ledger::default();
        l.pings
            .extend([Bytes::from_static(b"1"), Bytes::from_static(b"2")]);
        assert!(!l.pong(b"2"));
        assert!(l.pong(b"1"));
        assert!(!l.pong(b"x"));
        l.finish();
        assert_eq!((l.pongs_unexpected, l.pings_unanswered), (2, 1));
    }
}
