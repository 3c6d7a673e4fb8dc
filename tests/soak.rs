//! Soak: 100 000 messages of random kinds and sizes (mostly small, some up
//! to ~100 KiB, some fragmented with pings between the fragments, text
//! with multi-byte UTF-8 split anywhere between fragments) both ways
//! through a client–server pair, over a network that takes the output in
//! random shares, delivers it in random pieces and holds some back until
//! later. A ledger of (sequence number, length, hash) per direction must
//! match at the end: nothing lost, duplicated, reordered or corrupted.
//!
//! Meant for release mode (`cargo test --release --test soak`, a few
//! seconds); a debug build runs a tenth of the messages.

mod common;

use common::*;
use rfc6455::{ClientRequest, CloseCode, Config, MessageKind, State};

const MESSAGES: usize = if cfg!(debug_assertions) {
    10_000
} else {
    100_000
};

const CHARS: [&str; 8] = ["a", "Z", " ", "é", "κ", "€", "語", "𝄞"];

/// A message: its sequence number first, then random content.
fn message(rng: &mut Rng, seq: usize, text: bool, len: usize) -> Vec<u8> {
    let mut data = format!("{seq:08}").into_bytes();
    if text {
        let mut s = String::from_utf8(data).unwrap();
        while s.len() < len {
            s.push_str(CHARS[rng.below(CHARS.len())]);
        }
        data = s.into_bytes();
    } else {
        while data.len() < len {
            data.extend_from_slice(&rng.next().to_le_bytes());
        }
        data.truncate(len.max(8));
    }
    data
}

fn size(rng: &mut Rng) -> usize {
    match rng.below(100) {
        0..=69 => 8 + rng.below(120),
        70..=94 => 128 + rng.below(4000),
        95..=98 => 4096 + rng.below(30_000),
        _ => 30_000 + rng.below(72_000),
    }
}

#[test]
fn hundred_thousand_messages_both_ways_arrive_exactly_once_in_order() {
    let started = std::time::Instant::now();
    let pair = Pair::new(ClientRequest::new("soak", "/"), Config::default());
    let mut net = Net::new(pair, 0x50A4, 4096);
    net.transcript = false;
    net.settle();
    assert_eq!(net.pair.client.state(), State::Open);
    assert_eq!(net.pair.server.state(), State::Open);

    let mut rng = Rng(0xC0FFEE);
    // What each side sent, by [client, server]: (length, hash), in order.
    let mut sent: [Vec<(usize, u64)>; 2] = Default::default();
    let mut pings = [0usize; 2];
    let mut fragmented = 0;
    let mut bytes = 0;
    for seq in 0..MESSAGES {
        let from_client = rng.below(2) == 0;
        let text = rng.below(2) == 0;
        let len = size(&mut rng);
        let data = message(&mut rng, seq, text, len);
        let kind = if text {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        let conn = if from_client {
            &mut net.pair.client
        } else {
            &mut net.pair.server
        };
        if rng.below(10) == 0 {
            // 2-6 fragments cut anywhere, even inside a character, with
            // pings between some of them.
            fragmented += 1;
            let mut cuts: Vec<usize> = (0..1 + rng.below(5))
                .map(|_| rng.below(data.len() + 1))
                .collect();
            cuts.sort_unstable();
            cuts.push(data.len());
            let mut start = 0;
            for (i, &c) in cuts.iter().enumerate() {
                let last = i + 1 == cuts.len();
                conn.send_fragment(kind, &data[start..c], last).unwrap();
                start = c;
                if !last && rng.below(3) == 0 {
                    conn.ping(&seq.to_le_bytes()).unwrap();
                    pings[usize::from(!from_client)] += 1;
                }
            }
        } else if text {
            conn.send_text(std::str::from_utf8(&data).unwrap()).unwrap();
        } else {
            conn.send_binary(&data).unwrap();
        }
        bytes += data.len();
        sent[usize::from(!from_client)].push((data.len(), hash(&data)));
        // Let messages pile up and travel together, or one by one, in
        // pieces of varying size.
        if rng.below(3) == 0 {
            net.max_chunk = [1, 7, 64, 1500, 16_384, 1 << 20][rng.below(6)];
            net.step();
        }
    }
    net.max_chunk = 1 << 16;
    net.settle();
    net.pair.client.close(CloseCode::NORMAL, "soaked").unwrap();
    net.settle();

    // The ledgers: entry i of each is message i of that direction.
    let directions = [("client to server", 0, 1), ("server to client", 1, 0)];
    for (name, from, to) in directions {
        let got = &net.ledger[to];
        let want = &sent[from];
        for (seq, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(g.0, w.0, "{name}: message {seq}: length");
            assert_eq!(g.1, w.1, "{name}: message {seq}: content");
        }
        assert_eq!(got.len(), want.len(), "{name}: messages lost or extra");
    }
    let count =
        |events: &[String], what: &str| events.iter().filter(|e| e.starts_with(what)).count();
    let (c, s) = (&net.pair.client_events, &net.pair.server_events);
    assert_eq!(count(s, "ping"), pings[0], "pings to the server");
    assert_eq!(count(c, "ping"), pings[1], "pings to the client");
    assert!(count(c, "pong") <= pings[0] && count(s, "pong") <= pings[1]);
    assert!(!c.iter().chain(s).any(|e| e.starts_with("error")));
    assert_eq!(s.last().unwrap(), "close 1000 \"soaked\" Remote clean=true");
    assert_eq!(c.last().unwrap(), "close 1000 \"soaked\" Local clean=true");
    println!(
        "{MESSAGES} messages ({} to the server, {} to the client; {fragmented} fragmented), \
         {} MiB, {} pings, in {:?}",
        sent[1].len(),
        sent[0].len(),
        bytes >> 20,
        pings[0] + pings[1],
        started.elapsed()
    );
}
