//! A sequence of operations on a client–server pair: partial deliveries,
//! sends of every kind (including fragments that split code points),
//! pings, pongs, closes, EOFs and injected bytes. Invariants: each side
//! ends with exactly one Close event; nothing is sent after a side's close
//! frame (its output is decoded and checked frame by frame); the state only
//! moves forward; a refused command changes nothing; without injected
//! bytes, each side receives exactly what the other sent (a prefix of it
//! if a transport was cut short), and a completed closing handshake is
//! clean on both sides.
//!
//! Time passes too (issue 13): every timer is on, with deadlines of a few
//! milliseconds, and `Advance` hands a virtual clock to one side or both.
//! Invariants: no timer fires early (handing in an instant before
//! `poll_timeout` changes nothing); nothing fires after the `Close` event
//! (no event, no output); `poll_timeout` is never before the latest instant
//! handed in while the connection is open, and after `handle_timeout(now)`
//! it is past `now`. A timer that ends a connection only relaxes the checks
//! a cut transport relaxes, and its error must be a timeout.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::time::Duration;

use rfc6455::{
    CloseCode, Config, HandshakeError, Instant, MessageKind, PeerError, ProtocolError, State,
};
use rfc6455_fuzz::*;

#[derive(Arbitrary, Debug)]
enum Op {
    Deliver {
        to_server: bool,
        max: u16,
    },
    DeliverAll,
    Text {
        client: bool,
        len: u16,
        multibyte: bool,
    },
    Binary {
        client: bool,
        len: u16,
    },
    Big {
        client: bool,
    },
    Fragment {
        client: bool,
        text: bool,
        len: u8,
        fin: bool,
    },
    Ping {
        client: bool,
        len: u8,
    },
    Pong {
        client: bool,
        len: u8,
    },
    Close {
        client: bool,
        code: u16,
        reason_len: u8,
    },
    Eof {
        client: bool,
    },
    Inject {
        to_server: bool,
        bytes: Vec<u8>,
    },
    /// Lend an input buffer and never commit it (the next read replaces it).
    LendStray {
        client: bool,
        len: u8,
    },
    /// Time passes: `step` × 100 µs; handed to both sides (`who` 0), the
    /// client (1) or the server (2).
    Advance {
        who: u8,
        step: u8,
    },
    /// Time jumps to one side's next deadline, or to one nanosecond
    /// before it (unless the clock is already past that).
    AtDeadline {
        client: bool,
        early: bool,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    seed: u64,
    streaming_client: bool,
    streaming_server: bool,
    small_output: bool,
    lend: bool,
    echo_client: bool,
    echo_server: bool,
    /// Handshake, ping, pong, close and message timeouts, × 200 µs; 0 off.
    timeouts: [u8; 5],
    /// permessage-deflate on both sides or not (`deflate_knob`).
    deflate: u8,
    ops: Vec<Op>,
}

/// The epoch of the virtual clock, far from zero.
const T0: u64 = 1 << 40;

/// How many `Op::Big` messages (70 000 bytes) a run sends at most.
const BIGS: usize = 3;

/// Hands `now` to one side and checks the timer invariants. Returns
/// whether a timer ended the connection or its transport.
fn tick(side: &mut Side, now: Instant) -> bool {
    side.pump();
    let due = side.conn.poll_timeout();
    let state = side.conn.state();
    let buffered = side.conn.buffered_amount();
    let close_transport = side.conn.should_close_transport();
    let closed_before = side.rec.seen_close;
    side.conn.handle_timeout(now);
    if due.is_none_or(|d| now < d) {
        assert!(side.conn.poll_event().is_none(), "a timer fired early");
        assert_eq!(side.conn.buffered_amount(), buffered, "a timer sent early");
        assert_eq!(side.conn.state(), state, "a timer fired early");
        assert_eq!(side.conn.should_close_transport(), close_transport);
    }
    if closed_before {
        assert!(
            side.conn.poll_event().is_none(),
            "a timer fired after Close"
        );
        assert_eq!(side.conn.buffered_amount(), 0, "a timer sent after Close");
    }
    if let Some(d) = side.conn.poll_timeout() {
        assert!(
            d > now,
            "poll_timeout {d:?} not past the time handed in {now:?}"
        );
    }
    side.pump();
    side.conn.state() != state || side.conn.should_close_transport() != close_transport
}

/// What one side's application has under way (its whole messages are in
/// `Side::sends`).
#[derive(Default)]
struct Sent {
    building: Option<(MessageKind, Vec<u8>)>,
    /// The bytes that complete a code point the last text fragment split.
    tail: Vec<u8>,
    closed: bool,
}

fn config(streaming: bool, small_output: bool, timeouts: [u8; 5], deflate: u8) -> Config {
    let mut c = Config::default();
    c.deflate = deflate_knob(deflate);
    c.streaming = streaming;
    if small_output {
        c.max_pending_output = 4096;
    }
    let [handshake, ping, pong, close, message] =
        timeouts.map(|t| (t > 0).then(|| Duration::from_micros(u64::from(t) * 200)));
    c.handshake_timeout = handshake;
    c.ping_interval = ping;
    c.pong_timeout = pong;
    c.close_timeout = close;
    c.message_timeout = message;
    c
}

fuzz_target!(|input: Input| {
    let mut rng = Rng::new(input.seed);
    let mut pair = Pair::new(
        config(
            input.streaming_client,
            input.small_output,
            input.timeouts,
            input.deflate,
        ),
        config(
            input.streaming_server,
            input.small_output,
            input.timeouts,
            input.deflate,
        ),
        input.seed,
    );
    let mut clock = T0;
    let mut timer_ended = false;
    for client in [true, false] {
        timer_ended |= tick(pair.side(client), Instant::from_nanos(clock));
    }
    pair.lend = input.lend;
    // One side at most echoes (both would echo each other for ever).
    pair.client.echo = input.echo_client && !input.echo_server;
    pair.server.echo = input.echo_server;
    let mut sent = [Sent::default(), Sent::default()]; // [server, client]
    let mut injected = false;
    let mut eof_used = false;
    let mut bigs = 0;
    for op in input.ops.iter().take(96) {
        // Each command either succeeds or changes nothing.
        let mut command = |client: bool, f: &mut dyn FnMut(&mut rfc6455::Connection) -> bool| {
            let side = pair.side(client);
            let (state, buffered) = (side.conn.state(), side.conn.buffered_amount());
            let ok = f(&mut side.conn);
            if !ok {
                assert_eq!(
                    side.conn.state(),
                    state,
                    "a refused command changed the state"
                );
                assert_eq!(
                    side.conn.buffered_amount(),
                    buffered,
                    "a refused command queued bytes"
                );
            }
            side.pump();
            ok
        };
        match *op {
            Op::Deliver { to_server, max } => {
                pair.deliver(to_server, usize::from(max));
            }
            Op::DeliverAll => pair.settle(),
            Op::Text {
                client,
                len,
                multibyte,
            } => {
                let text = rng.text(usize::from(len) % 1500, multibyte);
                if command(client, &mut |c| c.send_text(&text).is_ok()) {
                    let m = (MessageKind::Text, text.into_bytes());
                    pair.side(client).sends.push(m);
                }
            }
            Op::Binary { client, len } => {
                let data = rng.bytes(usize::from(len) % 1500);
                if command(client, &mut |c| c.send_binary(&data).is_ok()) {
                    pair.side(client).sends.push((MessageKind::Binary, data));
                }
            }
            // At most BIGS a run: through permessage-deflate, in a build
            // that instruments the codec too, each costs tens of
            // milliseconds, and runs made of them slowed exploration
            // tenfold.
            Op::Big { client } if bigs < BIGS => {
                bigs += 1;
                let data = rng.bytes(70_000);
                if command(client, &mut |c| c.send_binary(&data).is_ok()) {
                    pair.side(client).sends.push((MessageKind::Binary, data));
                }
            }
            Op::Big { .. } => {}
            Op::Fragment {
                client,
                text,
                len,
                fin,
            } => {
                let s = &mut sent[usize::from(client)];
                let kind = if text {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                };
                let (data, tail) = if text {
                    let mut full = s.tail.clone();
                    full.extend_from_slice(rng.text(usize::from(len) + 4, true).as_bytes());
                    let cut = usize::from(len).min(full.len());
                    let mut end = cut;
                    while end < full.len() && full[end] & 0xC0 == 0x80 {
                        end += 1;
                    }
                    (full[..cut].to_vec(), full[cut..end].to_vec())
                } else {
                    (rng.bytes(usize::from(len)), Vec::new())
                };
                if command(client, &mut |c| c.send_fragment(kind, &data, fin).is_ok()) {
                    let s = &mut sent[usize::from(client)];
                    if text {
                        s.tail = tail;
                    }
                    let (_, buf) = s.building.get_or_insert((kind, Vec::new()));
                    buf.extend_from_slice(&data);
                    if fin {
                        let m = s.building.take().unwrap();
                        s.tail.clear();
                        pair.side(client).sends.push(m);
                    }
                }
            }
            Op::Ping { client, len } => {
                let p = rng.bytes(usize::from(len) % 130);
                command(client, &mut |c| c.ping(&p).is_ok());
            }
            Op::Pong { client, len } => {
                let p = rng.bytes(usize::from(len) % 130);
                command(client, &mut |c| c.pong(&p).is_ok());
            }
            Op::Close {
                client,
                code,
                reason_len,
            } => {
                let reason = rng.text(usize::from(reason_len) % 130, true);
                let code = if code % 4 == 0 {
                    code
                } else {
                    1000 + code % 20
                };
                if command(client, &mut |c| c.close(CloseCode(code), &reason).is_ok()) {
                    sent[usize::from(client)].closed = true;
                    assert!(pair.side(client).sent.closed, "close() sent no close frame");
                }
            }
            Op::Eof { client } => {
                eof_used = true;
                let side = pair.side(client);
                if !side.eof {
                    side.handle_eof();
                    assert_eq!(side.conn.state(), State::Closed, "EOF closes");
                }
            }
            Op::Advance { who, step } => {
                clock += u64::from(step) * 100_000;
                for client in [true, false] {
                    if who % 3 == 0 || (who % 3 == 1) == client {
                        timer_ended |= tick(pair.side(client), Instant::from_nanos(clock));
                    }
                }
            }
            Op::AtDeadline { client, early } => {
                if let Some(d) = pair.side(client).conn.poll_timeout() {
                    clock = clock.max(d.as_nanos() - u64::from(early));
                    timer_ended |= tick(pair.side(client), Instant::from_nanos(clock));
                }
            }
            Op::LendStray { client, len } => {
                let side = pair.side(client);
                side.conn.input_buffer(usize::from(len)).fill(0xEE);
                side.pump();
            }
            Op::Inject {
                to_server,
                ref bytes,
            } => {
                injected = true;
                let to = pair.side(to_server);
                if !to.eof {
                    to.conn.handle_input(bytes);
                }
                to.pump();
            }
        }
        pair.client.check_state();
        pair.server.check_state();
        for client in [true, false] {
            let conn = &pair.side(client).conn;
            if conn.state() != State::Closed {
                let (next, now) = (conn.poll_timeout(), conn.now());
                assert!(
                    next.is_none() || next >= now,
                    "poll_timeout {next:?} went back before {now:?}"
                );
            }
        }
    }
    pair.finish();
    // A timer may end a connection as a cut transport does.
    let eof_used = eof_used || timer_ended;

    if !injected {
        for (receiver, sender) in [(&pair.server, &pair.client), (&pair.client, &pair.server)] {
            let got = receiver.rec.messages();
            let sent = &sender.sends;
            assert!(got.len() <= sent.len(), "more messages received than sent");
            assert_eq!(got[..], sent[..got.len()], "received is not what was sent");
            if !eof_used {
                assert_eq!(got.len(), sent.len(), "messages lost");
            }
            // Only a cut transport may fail a connection without hostile input.
            let eof = Some(PeerError::Handshake(rfc6455::HandshakeError::Eof));
            let err = receiver.rec.error();
            let timeout = matches!(
                err,
                Some(
                    PeerError::Unresponsive
                        | PeerError::Handshake(HandshakeError::Timeout)
                        | PeerError::Protocol(ProtocolError::MessageTimeout)
                )
            );
            assert!(
                err.is_none() || (eof_used && err == eof) || (timer_ended && timeout),
                "an error without hostile input: {:?}",
                receiver.rec.recs
            );
        }
        if !eof_used && (sent[0].closed || sent[1].closed) {
            for side in [&pair.client, &pair.server] {
                let Some(Rec::Close { clean, .. }) = side.rec.close() else {
                    unreachable!()
                };
                assert!(clean, "a completed closing handshake is clean");
            }
        }
    }
    // What each side sent is what its application sent, whatever happened.
    for side in [&pair.server, &pair.client] {
        assert_eq!(
            side.sent.messages, side.sends,
            "the wire does not match the sends"
        );
    }
});
