//! Time as an input (issue 13), on a virtual clock: every timer fires at
//! its deadline and not one nanosecond before, traffic resets it where it
//! should, closing cancels it, and the transcript is the same however
//! often (or late) time is handed in.

mod common;

use std::time::Duration;

use common::*;
use rfc6455::{
    ClientRequest, CloseCode, Config, Connection, Event, HandshakeError, Instant, PeerError,
    ProtocolError, Role, State,
};

/// An arbitrary epoch offset: the caller's clock is far from zero.
const T0: u64 = 7_000_000_000_000;

fn at(ns: u64) -> Instant {
    Instant::from_nanos(T0 + ns)
}

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000 * MS;

/// Short timers for scripted sessions.
fn quick() -> Config {
    let mut c = Config::default();
    c.handshake_timeout = Some(Duration::from_millis(6));
    c.ping_interval = Some(Duration::from_millis(3));
    c.pong_timeout = Some(Duration::from_millis(2));
    c.close_timeout = Some(Duration::from_millis(4));
    c.message_timeout = Some(Duration::from_millis(5));
    c
}

/// Hands in `now`, then takes the events and output.
fn tick(c: &mut Connection, now: Instant) -> (Vec<String>, Vec<u8>) {
    c.handle_timeout(now);
    (drain(c), take_output(c))
}

fn nothing() -> (Vec<String>, Vec<u8>) {
    (Vec::new(), Vec::new())
}

fn client(config: Config) -> Connection {
    Connection::client(ClientRequest::new("h", "/"), config, Rng::entropy(5)).unwrap()
}

/// The 101 answer to `client`'s request.
fn response_for(request: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(request.to_vec()).unwrap();
    let key = text
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap();
    let accept = String::from_utf8(rfc6455::accept_key(key.as_bytes()).to_vec()).unwrap();
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .into_bytes()
}

// ---- the defaults and the clock ----

#[test]
fn defaults() {
    let c = Config::default();
    assert_eq!(c.handshake_timeout, Some(Duration::from_secs(10)));
    assert_eq!(c.ping_interval, Some(Duration::from_secs(30)));
    assert_eq!(c.pong_timeout, Some(Duration::from_secs(30)));
    assert_eq!(c.close_timeout, Some(Duration::from_secs(10)));
    assert_eq!(c.message_timeout, None);
}

#[test]
fn no_timer_fires_without_time() {
    let mut s = server();
    assert_eq!(s.now(), None);
    assert_eq!(
        s.poll_timeout(),
        Some(Instant::ZERO),
        "a timer runs: hand in the time"
    );
    s.handle_input(&REQUEST.as_bytes()[..20]);
    assert!(drain(&mut s).is_empty());
    // The first instant starts the clock: the handshake timer runs from it,
    // however far the caller's epoch is.
    s.handle_timeout(at(0));
    assert_eq!(s.now(), Some(at(0)));
    assert_eq!(s.poll_timeout(), Some(at(10 * SEC)));
    assert!(drain(&mut s).is_empty());
}

#[test]
fn time_never_goes_back() {
    let mut s = open_server(quick());
    s.handle_timeout(at(0));
    s.handle_timeout(at(2 * MS));
    s.handle_timeout(at(MS));
    assert_eq!(s.now(), Some(at(2 * MS)));
    s.handle_input(&cframe(true, 1, b"x"));
    assert_eq!(s.poll_timeout(), Some(at(5 * MS)), "input is stamped 2 ms");
}

#[test]
fn clock_converts_std_instants() {
    let epoch = std::time::Instant::now();
    let clock = rfc6455::Clock::with_epoch(epoch);
    let later = epoch + Duration::from_millis(1500);
    assert_eq!(clock.instant(later), Instant::from_millis(1500));
    assert_eq!(clock.instant(epoch), Instant::ZERO);
    assert_eq!(clock.to_std(Instant::from_millis(1500)), Some(later));
    assert!(clock.now() >= Instant::ZERO);
    assert_eq!(Instant::from(Duration::from_secs(3)), Instant::from_secs(3));
}

// ---- opening handshake ----

#[test]
fn server_handshake_timeout_answers_408_exactly_at_the_deadline() {
    let mut s = Connection::server(quick());
    s.handle_timeout(at(0));
    s.handle_input(&REQUEST.as_bytes()[..40]);
    // Bytes of an incomplete request do not extend it.
    s.handle_timeout(at(5 * MS));
    s.handle_input(&REQUEST.as_bytes()[40..80]);
    assert_eq!(s.poll_timeout(), Some(at(6 * MS)));
    assert_eq!(tick(&mut s, at(6 * MS - 1)), nothing());
    assert_eq!(s.state(), State::Connecting);
    let (events, out) = tick(&mut s, at(6 * MS));
    assert_eq!(
        events,
        [
            "error Handshake(Timeout)",
            "close 1006 \"\" Library clean=false"
        ]
    );
    let out = String::from_utf8(out).unwrap();
    assert!(out.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{out}");
    assert!(out.contains("Connection: close\r\n"));
    assert!(s.should_close_transport());
    assert_eq!(s.poll_timeout(), None, "cancelled once closed");
    assert_eq!(tick(&mut s, at(SEC)), nothing());
    assert_eq!(
        HandshakeError::Timeout.http_status(),
        408,
        "the status is the error's"
    );
}

#[test]
fn server_handshake_timer_stops_with_a_complete_request() {
    let mut s = Connection::server(quick());
    s.handle_timeout(at(0));
    s.handle_input(REQUEST.as_bytes());
    let Some(Event::Request(_)) = s.poll_event() else {
        panic!()
    };
    assert_eq!(
        s.poll_timeout(),
        None,
        "the application decides in its time"
    );
    assert_eq!(tick(&mut s, at(SEC)), nothing());
    s.accept(rfc6455::Accept::new()).unwrap();
    assert_eq!(drain(&mut s), ["open None"]);
    assert_eq!(
        s.poll_timeout(),
        Some(at(SEC + 3 * MS)),
        "keepalive from the accept"
    );
}

#[test]
fn client_handshake_timeout_fails_with_1006() {
    let mut c = client(quick());
    c.handle_timeout(at(0));
    let _ = take_output(&mut c);
    c.handle_input(b"HTTP/1.1 101 Switching");
    assert_eq!(c.poll_timeout(), Some(at(6 * MS)));
    assert_eq!(tick(&mut c, at(6 * MS - 1)), nothing());
    let (events, out) = tick(&mut c, at(6 * MS));
    assert_eq!(
        events,
        [
            "error Handshake(Timeout)",
            "close 1006 \"\" Library clean=false"
        ]
    );
    assert!(out.is_empty());
    assert!(c.should_close_transport());
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn client_handshake_timer_stops_when_open() {
    let mut c = client(quick());
    c.handle_timeout(at(0));
    let request = take_output(&mut c);
    c.handle_timeout(at(5 * MS));
    c.handle_input(&response_for(&request));
    assert_eq!(drain(&mut c), ["open None"]);
    assert_eq!(
        c.poll_timeout(),
        Some(at(8 * MS)),
        "keepalive, not handshake"
    );
}

#[test]
fn client_rejection_body_is_cut_at_the_handshake_timeout() {
    let mut c = client(quick());
    c.handle_timeout(at(0));
    c.handle_input(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\n\r\npart");
    assert!(drain(&mut c).is_empty());
    let (events, _) = tick(&mut c, at(6 * MS));
    assert_eq!(
        events,
        [
            "rejected 403 \"part\"",
            "close 1006 \"\" Remote clean=false"
        ]
    );
    assert!(c.should_close_transport());
}

// ---- keepalive ----

#[test]
fn keepalive_pings_after_the_idle_interval_and_fails_a_dead_peer() {
    let mut s = open_server(quick());
    s.handle_timeout(at(0));
    assert_eq!(s.poll_timeout(), Some(at(3 * MS)));
    assert_eq!(tick(&mut s, at(3 * MS - 1)), nothing());
    let (events, out) = tick(&mut s, at(3 * MS));
    assert!(events.is_empty(), "a keepalive ping is no event");
    assert_eq!(out, sframe(true, 9, b""));
    assert_eq!(s.poll_timeout(), Some(at(5 * MS)));
    assert_eq!(tick(&mut s, at(5 * MS - 1)), nothing());
    let (events, out) = tick(&mut s, at(5 * MS));
    assert_eq!(
        events,
        ["error Unresponsive", "close 1006 \"\" Library clean=false"]
    );
    assert!(out.is_empty(), "no close frame to a dead peer");
    assert!(s.should_close_transport());
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(
        tick(&mut s, at(SEC)),
        nothing(),
        "nothing fires after Close"
    );
}

#[test]
fn dead_peer_failure_drops_output_a_dead_peer_will_never_read() {
    let mut s = open_server(quick());
    s.handle_timeout(at(0));
    s.handle_timeout(at(3 * MS));
    s.send_binary(&[1; 1000]).unwrap();
    s.handle_timeout(at(5 * MS));
    assert_eq!(s.buffered_amount(), 0);
    assert!(s.should_close_transport());
    let events = drain(&mut s);
    assert!(matches!(
        events.first().map(String::as_str),
        Some("error Unresponsive")
    ));
}

#[test]
fn any_bytes_reset_keepalive() {
    let mut s = open_server(quick());
    s.handle_timeout(at(0));
    // Data resets the idle interval...
    s.handle_timeout(at(2 * MS));
    s.handle_input(&cframe(true, 1, b"hi"));
    assert_eq!(s.poll_timeout(), Some(at(5 * MS)));
    // ...and so does a piece of a frame header.
    s.handle_timeout(at(4 * MS));
    s.handle_input(&cframe(true, 2, b"abc")[..1]);
    assert_eq!(s.poll_timeout(), Some(at(7 * MS)));
    s.handle_input(&cframe(true, 2, b"abc")[1..]);
    let _ = drain(&mut s);
    // After the ping, a pong answers it...
    let (_, out) = tick(&mut s, at(7 * MS));
    assert_eq!(out, sframe(true, 9, b""));
    s.handle_timeout(at(8 * MS));
    s.handle_input(&cframe(true, 10, b""));
    assert_eq!(drain(&mut s), ["pong \"\""]);
    assert_eq!(
        s.poll_timeout(),
        Some(at(11 * MS)),
        "idle again, from the pong"
    );
    // ...and so does any other frame (it may have been queued before it).
    let (_, out) = tick(&mut s, at(11 * MS));
    assert_eq!(out, sframe(true, 9, b""));
    s.handle_timeout(at(13 * MS - 1));
    s.handle_input(&cframe(true, 1, b"busy"));
    assert_eq!(s.poll_timeout(), Some(at(16 * MS - 1)));
    assert_eq!(
        tick(&mut s, at(13 * MS)),
        (vec!["text \"busy\"".into()], vec![])
    );
    // Empty reads are no traffic, handed in or committed.
    s.handle_input(&[]);
    assert_eq!(s.poll_timeout(), Some(at(16 * MS - 1)));
    s.handle_timeout(at(13 * MS + 1));
    let _ = s.input_buffer(8);
    s.commit_input(0);
    assert_eq!(s.poll_timeout(), Some(at(16 * MS - 1)), "a read of 0 bytes");
    // A lent buffer counts when committed.
    s.handle_timeout(at(14 * MS));
    s.input_buffer(8)[..2].copy_from_slice(&cframe(true, 9, b"")[..2]);
    assert_eq!(s.poll_timeout(), Some(at(16 * MS - 1)), "not yet committed");
    s.commit_input(2);
    assert_eq!(s.poll_timeout(), Some(at(17 * MS)));
}

#[test]
fn what_we_send_does_not_reset_keepalive() {
    let mut s = open_server(quick());
    s.handle_timeout(at(0));
    s.handle_timeout(at(2 * MS));
    s.send_text("out").unwrap();
    s.ping(b"mine").unwrap();
    assert_eq!(s.poll_timeout(), Some(at(3 * MS)));
}

#[test]
fn keepalive_can_be_off_or_ping_only() {
    let mut cfg = quick();
    cfg.ping_interval = None;
    let mut s = open_server(cfg);
    s.handle_timeout(at(0));
    assert_eq!(s.poll_timeout(), None);
    let mut cfg = quick();
    cfg.pong_timeout = None;
    let mut s = open_server(cfg);
    s.handle_timeout(at(0));
    assert_eq!(tick(&mut s, at(3 * MS)).1, sframe(true, 9, b""));
    assert_eq!(
        s.poll_timeout(),
        None,
        "pings only on traffic: no dead-peer check"
    );
    assert_eq!(tick(&mut s, at(SEC)), nothing());
    assert_eq!(s.state(), State::Open);
}

#[test]
fn client_keepalive_pings_are_masked() {
    let mut c = open_client(quick());
    c.handle_timeout(at(0));
    let (_, out) = tick(&mut c, at(3 * MS));
    assert_eq!(out.len(), 6);
    assert_eq!(out[..2], [0x89, 0x80]);
    let mut s = open_server(Config::default());
    s.handle_input(&out);
    assert_eq!(drain(&mut s), ["ping \"\""]);
}

#[test]
fn keepalive_stops_while_closing() {
    let mut s = open_server(quick());
    s.handle_timeout(at(0));
    s.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(s.poll_timeout(), Some(at(4 * MS)), "the close timer only");
    // The peer's close arriving first: the server closes at once, no timer.
    let mut s = open_server(quick());
    s.handle_timeout(at(0));
    s.handle_input(&cframe(true, 8, &close_payload(1000, "")));
    assert_eq!(drain(&mut s), ["close 1000 \"\" Remote clean=true"]);
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(tick(&mut s, at(SEC)).0, Vec::<String>::new());
}

// ---- closing handshake ----

#[test]
fn unanswered_close_times_out_unclean() {
    let mut s = open_server(quick());
    s.handle_timeout(at(MS));
    s.close(CloseCode::GOING_AWAY, "bye").unwrap();
    // The peer keeps sending data: it does not extend the close timer.
    s.handle_timeout(at(4 * MS));
    s.handle_input(&cframe(true, 1, b"still talking"));
    assert_eq!(drain(&mut s), ["text \"still talking\""]);
    assert_eq!(s.poll_timeout(), Some(at(5 * MS)));
    assert_eq!(tick(&mut s, at(5 * MS - 1)).0, Vec::<String>::new());
    assert_eq!(s.state(), State::Closing);
    assert!(!s.should_close_transport());
    let (events, _) = tick(&mut s, at(5 * MS));
    assert_eq!(events, ["close 1006 \"\" Local clean=false"]);
    assert!(s.should_close_transport(), "even with output never taken");
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn client_waits_for_the_servers_tcp_close_only_the_close_timeout() {
    let mut c = open_client(quick());
    c.handle_timeout(at(0));
    c.close(CloseCode::NORMAL, "").unwrap();
    let _ = take_output(&mut c);
    c.handle_timeout(at(MS));
    c.handle_input(&sframe(true, 8, &close_payload(1000, "")));
    assert_eq!(drain(&mut c), ["close 1000 \"\" Local clean=true"]);
    assert!(!c.should_close_transport(), "the server closes TCP first");
    assert_eq!(
        c.poll_timeout(),
        Some(at(5 * MS)),
        "from the close handshake"
    );
    assert_eq!(tick(&mut c, at(5 * MS - 1)), nothing());
    assert!(!c.should_close_transport());
    assert_eq!(tick(&mut c, at(5 * MS)), nothing(), "no second Close event");
    assert!(c.should_close_transport());
    assert_eq!(c.poll_timeout(), None);
    // The server's TCP close in time cancels it.
    let mut c = open_client(quick());
    c.handle_timeout(at(0));
    c.handle_input(&sframe(true, 8, &close_payload(1001, "")));
    let _ = (drain(&mut c), take_output(&mut c));
    assert_eq!(c.poll_timeout(), Some(at(4 * MS)));
    c.handle_eof();
    assert!(c.should_close_transport());
    assert_eq!(c.poll_timeout(), None);
}

/// A server's close frame read after the server already closed TCP (its
/// frames were still buffered behind an event): the close is clean, and
/// there is no TCP close left to wait for, so no timer runs.
#[test]
fn client_reading_a_close_after_eof_waits_for_nothing() {
    let mut c = open_client(quick());
    c.handle_timeout(at(0));
    let mut input = sframe(true, 1, b"last words");
    input.extend(sframe(true, 8, &close_payload(1000, "")));
    c.handle_input(&input);
    c.handle_eof();
    assert_eq!(
        drain(&mut c),
        ["text \"last words\"", "close 1000 \"\" Remote clean=true"]
    );
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn answered_close_cancels_the_timer() {
    let mut s = open_server(quick());
    s.handle_timeout(at(0));
    s.close(CloseCode::NORMAL, "").unwrap();
    let _ = take_output(&mut s);
    s.handle_timeout(at(4 * MS - 1));
    s.handle_input(&cframe(true, 8, &close_payload(1000, "")));
    assert_eq!(drain(&mut s), ["close 1000 \"\" Local clean=true"]);
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(tick(&mut s, at(SEC)), nothing());
}

// ---- message assembly ----

#[test]
fn a_message_trickling_in_fails_with_1008_at_the_deadline() {
    let mut s = open_server(quick());
    s.handle_timeout(at(0));
    s.handle_timeout(at(MS));
    s.handle_input(&cframe(false, 1, b"a"));
    assert_eq!(s.poll_timeout(), Some(at(4 * MS)), "keepalive first");
    // Each fragment resets keepalive but not the message's deadline.
    for t in 2..=5 {
        s.handle_timeout(at(t * MS));
        s.handle_input(&cframe(false, 0, b"b"));
    }
    assert_eq!(s.poll_timeout(), Some(at(6 * MS)));
    assert_eq!(tick(&mut s, at(6 * MS - 1)), nothing());
    let (events, out) = tick(&mut s, at(6 * MS));
    assert_eq!(
        events,
        [
            "error Protocol(MessageTimeout)",
            "close 1008 \"\" Library clean=false"
        ]
    );
    assert_eq!(
        out,
        sframe(
            true,
            8,
            &close_payload(1008, "message took too long to arrive")
        )
    );
    assert_eq!(ProtocolError::MessageTimeout.close_code(), CloseCode(1008));
    assert_eq!(s.poll_timeout(), None);
}

/// A timer that fails the connection while events wait holds its close
/// frame back until they are taken (it goes when the next one is), so that
/// replies to them go first.
#[test]
fn a_message_timeout_behind_a_ping_closes_after_its_reply() {
    let mut cfg = quick();
    cfg.auto_pong = false;
    cfg.ping_interval = None;
    let mut s = open_server(cfg);
    s.handle_timeout(at(0));
    // A fragment starts the message's timer; the ping's event then waits.
    let mut input = cframe(false, 1, b"a");
    input.extend(cframe(true, 9, b"p"));
    s.handle_input(&input);
    s.handle_timeout(at(5 * MS));
    assert_eq!(s.state(), State::Closing);
    let early = take_output(&mut s);
    assert!(
        early.is_empty(),
        "the close waits behind the ping: {early:?}"
    );
    assert!(matches!(s.poll_event(), Some(Event::Ping(p)) if &p[..] == b"p"));
    s.pong(b"p").unwrap();
    // The reply goes out; the close waits until the next event is taken,
    // since replies to the ping may come until then.
    assert_eq!(take_output(&mut s), sframe(true, 10, b"p"));
    message_timeout_closes_now(&mut s);
}

/// Once the events before it are taken: the timeout's error, the close
/// event, and the 1008 close frame, nothing after it.
fn message_timeout_closes_now(s: &mut Connection) {
    assert_eq!(
        drain(s),
        [
            "error Protocol(MessageTimeout)",
            "close 1008 \"\" Library clean=false"
        ]
    );
    assert_eq!(
        take_output(s),
        sframe(
            true,
            8,
            &close_payload(1008, "message took too long to arrive")
        )
    );
    assert!(take_output(s).is_empty());
}

/// The same behind a streamed piece that is ready and not yet taken: the
/// close waits until the piece is taken.
#[test]
fn a_message_timeout_behind_a_ready_piece_closes_after_it() {
    let mut cfg = quick();
    cfg.ping_interval = None;
    cfg.streaming = true;
    let mut s = open_server(cfg);
    s.handle_timeout(at(0));
    s.handle_input(&cframe(false, 1, b"a"));
    s.handle_timeout(at(5 * MS));
    assert_eq!(s.state(), State::Closing);
    assert!(
        take_output(&mut s).is_empty(),
        "the close waits behind the piece"
    );
    assert!(matches!(s.poll_event(), Some(Event::Fragment(f)) if &f.data[..] == b"a"));
    message_timeout_closes_now(&mut s);
}

#[test]
fn a_slow_single_frame_counts_too_and_a_finished_message_stops_the_timer() {
    let mut s = open_server(quick());
    s.handle_timeout(at(0));
    let frame = cframe(true, 2, &[7; 100]);
    s.handle_input(&frame[..50]);
    s.handle_timeout(at(4 * MS));
    s.handle_input(&frame[50..]);
    assert_eq!(drain(&mut s).len(), 1);
    assert_eq!(s.poll_timeout(), Some(at(7 * MS)), "only keepalive left");
    // The next message gets its own deadline.
    s.handle_timeout(at(6 * MS));
    s.handle_input(&cframe(false, 2, b"x"));
    s.handle_input(&cframe(true, 10, b""));
    assert_eq!(s.poll_timeout(), Some(at(9 * MS)));
    let mut cfg = quick();
    cfg.ping_interval = None;
    let mut s = open_server(cfg);
    s.handle_timeout(at(0));
    s.handle_input(&cframe(false, 2, b"x"));
    assert_eq!(s.poll_timeout(), Some(at(5 * MS)));
    s.handle_input(&cframe(true, 0, b"y"));
    assert_eq!(s.poll_timeout(), None);
    // Control frames alone start nothing.
    s.handle_input(&cframe(true, 9, b""));
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn message_timeout_is_off_by_default() {
    let mut s = open_server(Config::default());
    s.handle_timeout(at(0));
    s.handle_input(&cframe(false, 1, b"a"));
    assert_eq!(s.poll_timeout(), Some(at(30 * SEC)), "keepalive only");
}

// ---- every timer is cancelled when the connection closes ----

#[test]
fn every_timer_stops_at_eof() {
    for role in [Role::Server, Role::Client] {
        let mut c = match role {
            Role::Server => Connection::open_server(quick()),
            Role::Client => Connection::open_client(quick(), Rng::entropy(3)),
        };
        c.handle_timeout(at(0));
        c.handle_input(&frame_with(
            false,
            0,
            1,
            b"a",
            (role == Role::Server).then_some([1, 2, 3, 4]),
        ));
        assert!(c.poll_timeout().is_some());
        c.handle_eof();
        assert_eq!(drain(&mut c), ["close 1006 \"\" Remote clean=false"]);
        assert_eq!(c.poll_timeout(), None, "{role:?}");
        assert_eq!(tick(&mut c, at(SEC)), nothing());
    }
    let mut s = Connection::server(quick());
    s.handle_timeout(at(0));
    s.handle_eof();
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn protocol_errors_and_rejections_stop_every_timer() {
    let mut s = open_server(quick());
    s.handle_timeout(at(0));
    s.handle_input(&sframe(true, 1, b"unmasked"));
    let _ = drain(&mut s);
    assert_eq!(s.poll_timeout(), None);
    let mut s = Connection::server(quick());
    s.handle_timeout(at(0));
    s.handle_input(REQUEST.as_bytes());
    let _ = s.poll_event();
    s.reject(rfc6455::Reject::new(403)).unwrap();
    assert_eq!(s.poll_timeout(), None);
}

// ---- the transcript does not depend on how time is handed in ----

/// What happens at an instant of a scripted session.
#[derive(Clone)]
enum Act {
    Input(Vec<u8>),
    Eof,
    Close,
}

/// How the caller hands in time between the script's steps.
#[derive(Copy, Clone, Debug)]
enum Clocking {
    /// Every microsecond.
    EveryMicro,
    /// Exactly at each deadline `poll_timeout` names.
    AtDeadlines,
    /// Only when there is input, then once at the end, an hour late.
    Late,
}

/// Runs a script; returns the transcript, all output, and the instant at
/// which each event came (for the deadline strategies).
fn run(
    make: &dyn Fn() -> Connection,
    script: &[(u64, Act)],
    clocking: Clocking,
) -> (Vec<String>, Vec<u8>) {
    let mut c = make();
    let mut events = Vec::new();
    let mut out = Vec::new();
    let mut record = |c: &mut Connection| {
        events.extend(drain(c));
        out.extend(take_output(c));
    };
    let mut now = 0u64;
    c.handle_timeout(at(0));
    record(&mut c);
    let end = script.last().map_or(0, |s| s.0) + 3_600 * SEC;
    for (t, act) in script.iter().chain(std::iter::once(&(end, Act::Eof))) {
        let last = *t == end;
        match clocking {
            Clocking::EveryMicro if !last => {
                while now + 1000 <= *t {
                    now += 1000;
                    c.handle_timeout(at(now));
                    record(&mut c);
                }
            }
            Clocking::AtDeadlines | Clocking::EveryMicro => {
                while let Some(d) = c.poll_timeout() {
                    if d > at(*t) {
                        break;
                    }
                    assert!(d >= at(now), "poll_timeout went back in time");
                    now = d.as_nanos() - T0;
                    c.handle_timeout(d);
                    record(&mut c);
                }
            }
            Clocking::Late => {}
        }
        if last {
            // Whatever is still due runs once, then its followers.
            c.handle_timeout(at(*t));
            record(&mut c);
            while let Some(d) = c.poll_timeout() {
                c.handle_timeout(d);
                record(&mut c);
            }
            break;
        }
        now = *t;
        c.handle_timeout(at(*t));
        match act {
            Act::Input(b) => c.handle_input(b),
            Act::Eof => c.handle_eof(),
            Act::Close => c.close(CloseCode::NORMAL, "").unwrap(),
        }
        record(&mut c);
    }
    assert_eq!(c.poll_timeout(), None, "nothing runs after the end");
    (events, out)
}

fn same_however_clocked(
    make: &dyn Fn() -> Connection,
    script: &[(u64, Act)],
) -> (Vec<String>, Vec<u8>) {
    let every = run(make, script, Clocking::EveryMicro);
    for clocking in [Clocking::AtDeadlines, Clocking::Late] {
        assert_eq!(run(make, script, clocking), every, "{clocking:?}");
    }
    every
}

#[test]
fn server_session_same_however_clocked() {
    let req = REQUEST.as_bytes();
    let script = vec![
        (MS, Act::Input(req[..30].to_vec())),
        (2 * MS, Act::Input(req[30..].to_vec())),
        (3 * MS, Act::Input(cframe(true, 1, b"one"))),
        // Silence: a keepalive ping at 6 ms, answered at 7 ms.
        (7 * MS, Act::Input(cframe(true, 10, b""))),
        (8 * MS, Act::Input(cframe(false, 1, b"frag"))),
        (9 * MS, Act::Input(cframe(true, 0, b"ment"))),
        // Ping at 12 ms, then nobody answers: failed at 14 ms.
    ];
    let (events, out) = same_however_clocked(&|| Connection::server(quick()), &script);
    assert_eq!(
        events,
        [
            "request /chat",
            "open Some(\"chat\")",
            "text \"one\"",
            "pong \"\"",
            "text \"fragment\"",
            "error Unresponsive",
            "close 1006 \"\" Library clean=false"
        ]
    );
    let head_end = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(
        out[head_end..],
        [sframe(true, 9, b""), sframe(true, 9, b"")].concat(),
        "one ping per idle interval, none for missed ones"
    );
}

#[test]
fn close_and_message_timeouts_same_however_clocked() {
    // Our close is not answered.
    let script = vec![
        (MS, Act::Input(cframe(true, 1, b"a"))),
        (2 * MS, Act::Close),
        (3 * MS, Act::Input(cframe(true, 1, b"b"))),
    ];
    let (events, out) = same_however_clocked(&|| open_server(quick()), &script);
    assert_eq!(
        events,
        [
            "text \"a\"",
            "text \"b\"",
            "close 1006 \"\" Local clean=false"
        ]
    );
    assert_eq!(out, sframe(true, 8, &close_payload(1000, "")));
    // A message trickles in past its deadline.
    let script = vec![
        (MS, Act::Input(cframe(false, 1, b"a"))),
        (3 * MS, Act::Input(cframe(false, 0, b"b"))),
        (5 * MS, Act::Input(cframe(false, 0, b"c"))),
    ];
    let (events, _) = same_however_clocked(&|| open_server(quick()), &script);
    assert_eq!(
        events,
        [
            "error Protocol(MessageTimeout)",
            "close 1008 \"\" Library clean=false"
        ]
    );
    // A half-sent request.
    let script = vec![(MS, Act::Input(REQUEST.as_bytes()[..50].to_vec()))];
    let (events, out) = same_however_clocked(&|| Connection::server(quick()), &script);
    assert_eq!(
        events,
        [
            "error Handshake(Timeout)",
            "close 1006 \"\" Library clean=false"
        ]
    );
    assert!(out.starts_with(b"HTTP/1.1 408 "));
}

#[test]
fn client_session_same_however_clocked() {
    let request = take_output(&mut client(quick()));
    let script = vec![
        (MS, Act::Input(response_for(&request))),
        (2 * MS, Act::Input(sframe(true, 1, b"hello"))),
        (3 * MS, Act::Close),
        (
            4 * MS,
            Act::Input(sframe(true, 8, &close_payload(1000, ""))),
        ),
        // The server never closes TCP: the client gives up at 8 ms.
    ];
    let make = || client(quick());
    let (events, out) = same_however_clocked(&make, &script);
    assert_eq!(
        events,
        [
            "open None",
            "text \"hello\"",
            "close 1000 \"\" Local clean=true"
        ]
    );
    assert!(out.starts_with(b"GET / HTTP/1.1\r\n"));
    // The request, then our close frame only: no keepalive was due.
    let frames = &out[request.len()..];
    assert_eq!(frames.len(), 2 + 4 + 2);
    assert_eq!(frames[0], 0x88);
}

#[test]
fn late_time_fires_each_timer_once() {
    let mut s = open_server(quick());
    s.handle_timeout(at(0));
    let (events, out) = tick(&mut s, at(3_600 * SEC));
    assert!(events.is_empty());
    assert_eq!(out, sframe(true, 9, b""), "one ping, not one per interval");
    assert_eq!(s.poll_timeout(), Some(at(3_600 * SEC + 2 * MS)));
    let mut c = Connection::server(quick());
    c.handle_timeout(at(0));
    let (events, _) = tick(&mut c, at(3_600 * SEC));
    assert_eq!(events.len(), 2, "{events:?}");
}

#[test]
fn pair_with_keepalive_stays_open_while_both_answer() {
    let mut p = Pair::new(ClientRequest::new("h", "/"), quick());
    p.client.handle_timeout(at(0));
    p.server.handle_timeout(at(0));
    p.drive();
    // Both sides idle: pings cross and are answered, for a long while.
    for t in 1..=1000u64 {
        p.client.handle_timeout(at(t * 100_000));
        p.server.handle_timeout(at(t * 100_000));
        p.drive();
    }
    assert_eq!(
        (p.client.state(), p.server.state()),
        (State::Open, State::Open)
    );
    let pings = p
        .client_events
        .iter()
        .filter(|e| e.starts_with("ping"))
        .count();
    assert!(pings >= 10, "{pings} pings");
    assert!(!p.server_events.iter().any(|e| e.starts_with("error")));
    assert!(matches!(
        PeerError::Unresponsive.to_string().as_str(),
        "peer did not answer a keepalive ping"
    ));
}
