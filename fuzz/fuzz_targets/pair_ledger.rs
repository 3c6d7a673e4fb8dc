//! A client and a server over a lossless network that splits and joins the
//! bytes as the fuzz input says. Every message sent (any kind, size and
//! fragmentation, with pings between fragments) is received exactly once,
//! in order, byte for byte; every ping arrives; the close is clean.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rfc6455::{CloseCode, Config, MessageKind, State};
use rfc6455_fuzz::*;

#[derive(Arbitrary, Debug)]
struct Msg {
    from_client: bool,
    text: bool,
    len: u16,
    big: bool,
    frags: u8,
    ping: bool,
    seed: u16,
}

#[derive(Arbitrary, Debug)]
struct Input {
    streaming_client: bool,
    streaming_server: bool,
    close_by_client: bool,
    /// permessage-deflate on both sides or not (`deflate_knob`).
    deflate: u8,
    msgs: Vec<Msg>,
    net: Vec<u16>,
}

struct Net {
    sizes: Vec<u16>,
    at: usize,
}

impl Net {
    /// The next chunk size: from the input while it lasts, then everything.
    fn next(&mut self) -> usize {
        let n = self
            .sizes
            .get(self.at)
            .map_or(usize::MAX, |&s| usize::from(s));
        self.at += 1;
        n
    }
}

fuzz_target!(|input: Input| {
    let cfg = |streaming: bool| {
        let mut c = Config::default();
        c.streaming = streaming;
        c.deflate = deflate_knob(input.deflate);
        c
    };
    let mut pair = Pair::new(cfg(input.streaming_client), cfg(input.streaming_server), 3);
    let mut net = Net {
        sizes: input.net,
        at: 0,
    };
    // The handshake, through the same network.
    for _ in 0..10_000 {
        if pair.client.conn.state() == State::Open && pair.server.conn.state() == State::Open {
            break;
        }
        let (a, b) = (net.next().max(1), net.next().max(1));
        pair.deliver(true, a);
        pair.deliver(false, b);
    }
    assert_eq!(pair.client.conn.state(), State::Open);
    assert_eq!(pair.server.conn.state(), State::Open);

    let mut sent: [Vec<(MessageKind, Vec<u8>)>; 2] = Default::default(); // [server, client]
    let mut pings: [Vec<Vec<u8>>; 2] = Default::default();
    // Bytes of payload a run sends: fewer through permessage-deflate, in a
    // build that instruments the codec too (each compressed byte costs
    // about as much there as a hundred plain ones).
    let mut budget = if deflate_knob(input.deflate).enabled {
        64_000usize
    } else {
        250_000
    };
    for m in input.msgs.iter().take(200) {
        let mut rng = Rng::new(u64::from(m.seed));
        let len = if m.big {
            usize::from(m.len) * 3 % 200_000
        } else {
            usize::from(m.len) % 2048
        };
        if len > budget {
            break;
        }
        budget -= len;
        let (kind, data) = if m.text {
            (
                MessageKind::Text,
                rng.text(len, m.seed % 2 == 0).into_bytes(),
            )
        } else {
            (MessageKind::Binary, rng.bytes(len))
        };
        let side = pair.side(m.from_client);
        let frags = usize::from(m.frags % 8);
        if frags <= 1 {
            match kind {
                MessageKind::Text => side.conn.send_text(std::str::from_utf8(&data).unwrap()),
                MessageKind::Binary => side.conn.send_binary(&data),
            }
            .unwrap();
        } else {
            let mut cuts: Vec<usize> = (1..frags).map(|_| rng.below(data.len() + 1)).collect();
            cuts.sort_unstable();
            let parts = pieces(&data, &cuts);
            let last = parts.len() - 1;
            for (i, p) in parts.into_iter().enumerate() {
                side.conn.send_fragment(kind, p, i == last).unwrap();
                if m.ping && i < last {
                    let payload = rng.bytes(i % 20);
                    side.conn.ping(&payload).unwrap();
                    pings[usize::from(m.from_client)].push(payload);
                }
            }
        }
        side.pump();
        sent[usize::from(m.from_client)].push((kind, data));
        let (a, b) = (net.next(), net.next());
        pair.deliver(true, a);
        pair.deliver(false, b);
    }
    // Whatever is still in flight, in the input's chunk sizes, then all.
    for _ in 0..64 {
        let (a, b) = (net.next(), net.next());
        pair.deliver(true, a);
        pair.deliver(false, b);
    }
    pair.settle();
    pair.side(input.close_by_client)
        .conn
        .close(CloseCode::NORMAL, "done")
        .unwrap();
    pair.side(input.close_by_client).pump();
    pair.finish();

    for (receiver, from) in [(&pair.server, 1), (&pair.client, 0)] {
        let got = receiver.rec.messages();
        assert_eq!(got.len(), sent[from].len(), "messages lost or duplicated");
        for (i, (g, s)) in got.iter().zip(&sent[from]).enumerate() {
            assert_eq!(g.0, s.0, "message {i}: kind");
            assert_eq!(g.1.len(), s.1.len(), "message {i}: length");
            assert!(g.1 == s.1, "message {i}: bytes differ");
        }
        let got_pings: Vec<&Vec<u8>> = receiver
            .rec
            .recs
            .iter()
            .filter_map(|r| match r {
                Rec::Ping(p) => Some(p),
                _ => None,
            })
            .collect();
        assert_eq!(got_pings, pings[from].iter().collect::<Vec<_>>(), "pings");
        let Some(Rec::Close {
            code: 1000,
            clean: true,
            ..
        }) = receiver.rec.close()
        else {
            panic!("not a clean close: {:?}", receiver.rec.close())
        };
    }
});
