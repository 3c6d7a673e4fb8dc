//! The C ABI (`ffi/capi`, what librfc6455 exports), driven through its Rust
//! declarations with arbitrary call sequences on a client–server pair,
//! misuse included: NULL handles and pointers, text that is not UTF-8,
//! close codes that may not be sent, commands in every state and after the
//! close, commits without a lend, twice, larger than the lend, lends never
//! committed, event structs whose size is too small, output buffers of any
//! capacity (0 included), bytes injected from nowhere.
//!
//! Invariants: no call returns `RFC6455_STATUS_PANIC` (a panic is a bug,
//! caught or not); every status is a known one, and every failure leaves a
//! message; every event's pointers can be read for their lengths (the
//! address sanitizer checks), its kind is known, its text is UTF-8; each
//! side has at most one `CLOSE` event, and none after it; commands refused
//! for bad arguments (bad UTF-8, bad close codes, unknown kinds or roles)
//! are refused whatever the state; `buffered_amount` is 0 exactly when
//! neither output call has anything to give.
#![no_main]

use std::ffi::{CString, c_char};
use std::ptr::{null, null_mut};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rfc6455_capi::*;

#[derive(Arbitrary, Debug)]
enum Op {
    /// Moves up to `max` bytes of one side's output to the other.
    Deliver {
        to_server: bool,
        max: u16,
        lend: bool,
    },
    /// Bytes from nowhere.
    Inject {
        server: bool,
        bytes: Vec<u8>,
    },
    Lend {
        server: bool,
        len: u16,
        fill: u16,
    },
    Commit {
        server: bool,
        n: u16,
    },
    Eof {
        server: bool,
    },
    Advance {
        server: bool,
        ms: u16,
    },
    Events {
        server: bool,
        small_struct: bool,
    },
    Accept {
        protocol: Option<String>,
        header: Option<(String, String)>,
        /// 0, `RFC6455_ACCEPT_NO_COMPRESSION`, or an unknown flag.
        flags: u8,
    },
    Reject {
        status: u16,
        body: Vec<u8>,
    },
    Text {
        server: bool,
        bytes: Vec<u8>,
    },
    Binary {
        server: bool,
        len: u16,
    },
    Fragment {
        server: bool,
        kind: u32,
        bytes: Vec<u8>,
        fin: bool,
    },
    Ping {
        server: bool,
        len: u8,
    },
    Pong {
        server: bool,
        len: u8,
    },
    Close {
        server: bool,
        code: u16,
        reason: Vec<u8>,
    },
    Abort {
        server: bool,
    },
    Copy {
        server: bool,
        capacity: u8,
    },
    Getters {
        server: bool,
    },
    Shrink {
        server: bool,
    },
    Nulls {
        server: bool,
    },
    Uncompressed {
        server: bool,
        kind: u32,
        bytes: Vec<u8>,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// Both sides start OPEN (framing only) instead of handshaking.
    open: bool,
    streaming: bool,
    protocols: Vec<String>,
    ops: Vec<Op>,
}

struct Side {
    conn: *mut rfc6455_conn,
    closed: bool,
    now_ms: u64,
}

fn ok(s: rfc6455_status) -> rfc6455_status {
    assert_ne!(s, rfc6455_status::Panic, "a call panicked");
    if s as i32 > rfc6455_status::Empty as i32 {
        let mut len = 0;
        // SAFETY: a NULL buffer with capacity 0 only asks for the length.
        unsafe { rfc6455_last_error_message(null_mut(), 0, &mut len) };
        assert!(len > 0, "a failure without a message: {s:?}");
    }
    s
}

fn read(p: *const u8, len: usize) -> Vec<u8> {
    assert!(!p.is_null());
    // SAFETY: the ABI promises `len` readable bytes at a non-NULL pointer
    // until the next call on the handle; the address sanitizer checks it.
    unsafe { std::slice::from_raw_parts(p, len) }.to_vec()
}

fn take_events(side: &mut Side, small: bool) {
    let mut ev = rfc6455_event {
        size: std::mem::size_of::<rfc6455_event>(),
        kind: rfc6455_event_kind::None,
        flags: 0,
        close_code: 0,
        http_status: 0,
        initiator: rfc6455_initiator::None,
        error: rfc6455_peer_error::None,
        data: null(),
        len: 0,
        extra: null(),
        extra_len: 0,
    };
    if small {
        ev.size = 4;
        // SAFETY: `ev` is a whole event struct.
        let s = ok(unsafe { rfc6455_poll_event(side.conn, &mut ev) });
        assert_eq!(s, rfc6455_status::InvalidArgument);
        return;
    }
    loop {
        // SAFETY: `ev` is a whole event struct with its size set.
        let s = ok(unsafe { rfc6455_poll_event(side.conn, &mut ev) });
        if s == rfc6455_status::Empty {
            assert_eq!(ev.kind, rfc6455_event_kind::None);
            return;
        }
        assert_eq!(s, rfc6455_status::Ok);
        assert!(
            !side.closed,
            "an event after the CLOSE event: {:?}",
            ev.kind
        );
        assert_ne!(ev.kind, rfc6455_event_kind::Other);
        let data = read(ev.data, ev.len);
        let _ = read(ev.extra, ev.extra_len);
        match ev.kind {
            rfc6455_event_kind::Text | rfc6455_event_kind::Close | rfc6455_event_kind::Error => {
                assert!(std::str::from_utf8(&data).is_ok());
            }
            _ => {}
        }
        if ev.kind == rfc6455_event_kind::Close {
            side.closed = true;
        }
    }
}

fn deliver(from: &Side, to: &Side, max: usize, lend: bool) {
    let mut buf = vec![0u8; max];
    let mut n = 0;
    // SAFETY: `buf` holds `max` bytes.
    ok(unsafe { rfc6455_transmit_copy(from.conn, buf.as_mut_ptr(), max, &mut n) });
    assert!(n <= max);
    if lend {
        // The lent buffer may be shorter than asked (it ends where a large
        // frame does): read again for the rest.
        let mut at = 0;
        while at < n {
            let mut p = null_mut();
            let mut cap = 0;
            // SAFETY: out-parameters are locals.
            ok(unsafe { rfc6455_input_buffer(to.conn, n - at, &mut p, &mut cap) });
            assert!(cap > 0 && cap <= n - at);
            // SAFETY: the lent buffer holds `cap` bytes until the commit.
            unsafe { std::ptr::copy_nonoverlapping(buf[at..].as_ptr(), p, cap) };
            // SAFETY: a live handle.
            assert_eq!(
                ok(unsafe { rfc6455_commit_input(to.conn, cap) }),
                rfc6455_status::Ok
            );
            at += cap;
        }
    } else {
        // SAFETY: `buf` holds at least `n` bytes.
        ok(unsafe { rfc6455_handle_input(to.conn, buf.as_ptr(), n) });
    }
}

fn valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

fn run(input: Input) {
    let mut cfg = std::mem::MaybeUninit::<rfc6455_config>::uninit();
    // SAFETY: `cfg` has room for a whole config; init writes all of it.
    ok(unsafe { rfc6455_config_init(cfg.as_mut_ptr(), std::mem::size_of::<rfc6455_config>()) });
    // SAFETY: initialised just above.
    let mut cfg = unsafe { cfg.assume_init() };
    cfg.streaming = input.streaming.into();
    cfg.max_message_size = 1 << 20;
    cfg.max_frame_size = 1 << 20;
    cfg.close_timeout_ms = 50;
    cfg.ping_interval_ms = 100;
    cfg.pong_timeout_ms = 100;
    let mut client = null_mut();
    let mut server = null_mut();
    if input.open {
        // SAFETY: `cfg` is a sized config; out-parameters are locals.
        unsafe {
            ok(rfc6455_open_new(0, null(), &cfg, &mut client));
            ok(rfc6455_open_new(1, null(), &cfg, &mut server));
            assert_eq!(
                ok(rfc6455_open_new(2, null(), &cfg, &mut client)),
                rfc6455_status::InvalidArgument
            );
        }
    } else {
        let protos: Vec<CString> = input
            .protocols
            .iter()
            .filter_map(|p| CString::new(p.as_str()).ok())
            .take(4)
            .collect();
        let ptrs: Vec<*const c_char> = protos.iter().map(|p| p.as_ptr()).collect();
        let url = c"ws://example.com/chat";
        // SAFETY: the strings live until the call returns.
        let s = ok(unsafe {
            rfc6455_client_new(
                url.as_ptr(),
                ptrs.as_ptr(),
                ptrs.len(),
                null(),
                0,
                &cfg,
                &mut client,
            )
        });
        if s != rfc6455_status::Ok {
            // A protocol that is not a token: offer none.
            // SAFETY: as above.
            ok(unsafe {
                rfc6455_client_new(url.as_ptr(), null(), 0, null(), 0, &cfg, &mut client)
            });
        }
        // SAFETY: as above.
        ok(unsafe { rfc6455_server_new(&cfg, &mut server) });
    }
    assert!(!client.is_null() && !server.is_null());
    let mut sides = [
        Side {
            conn: client,
            closed: false,
            now_ms: 0,
        },
        Side {
            conn: server,
            closed: false,
            now_ms: 0,
        },
    ];

    for op in input.ops.into_iter().take(256) {
        match op {
            Op::Deliver {
                to_server,
                max,
                lend,
            } => {
                let (a, b) = sides.split_at_mut(1);
                let (from, to) = if to_server {
                    (&a[0], &b[0])
                } else {
                    (&b[0], &a[0])
                };
                deliver(from, to, max as usize % 4096 + 1, lend);
            }
            Op::Inject { server, bytes } => {
                let c = sides[server as usize].conn;
                // SAFETY: `bytes` holds its length.
                ok(unsafe { rfc6455_handle_input(c, bytes.as_ptr(), bytes.len()) });
            }
            Op::Lend { server, len, fill } => {
                let c = sides[server as usize].conn;
                let (mut p, mut cap) = (null_mut(), 0);
                // SAFETY: out-parameters are locals.
                ok(unsafe { rfc6455_input_buffer(c, len as usize, &mut p, &mut cap) });
                assert!(cap <= len as usize);
                // SAFETY: the lent buffer holds `cap` bytes.
                unsafe { std::ptr::write_bytes(p, 0x81, cap.min(fill as usize)) };
                // Not committed here: a later Commit, another call, or free ends it.
            }
            Op::Commit { server, n } => {
                // SAFETY: a live handle.
                ok(unsafe { rfc6455_commit_input(sides[server as usize].conn, n as usize) });
            }
            Op::Eof { server } => {
                // SAFETY: a live handle.
                ok(unsafe { rfc6455_handle_eof(sides[server as usize].conn) });
            }
            Op::Advance { server, ms } => {
                let side = &mut sides[server as usize];
                side.now_ms += ms as u64 % 500;
                // SAFETY: a live handle.
                ok(unsafe { rfc6455_handle_timeout(side.conn, side.now_ms * 1_000_000) });
            }
            Op::Events {
                server,
                small_struct,
            } => take_events(&mut sides[server as usize], small_struct),
            Op::Accept {
                protocol,
                header,
                flags,
            } => {
                let flags = u32::from(flags % 3);
                let c = sides[1].conn;
                let protocol = protocol.and_then(|p| CString::new(p).ok());
                let header =
                    header.and_then(|(n, v)| Some((CString::new(n).ok()?, CString::new(v).ok()?)));
                let h = header.as_ref().map(|(n, v)| rfc6455_header {
                    name: n.as_ptr(),
                    value: v.as_ptr(),
                });
                let (hp, hn) = h.as_ref().map_or((null(), 0), |h| (h as *const _, 1));
                // SAFETY: the strings and the header live until the call returns.
                let s = ok(unsafe {
                    rfc6455_accept(
                        c,
                        protocol.as_ref().map_or(null(), |p| p.as_ptr()),
                        hp,
                        hn,
                        flags,
                    )
                });
                if flags == 2 {
                    assert_eq!(s, rfc6455_status::InvalidArgument, "an unknown flag");
                }
            }
            Op::Reject { status, body } => {
                // SAFETY: `body` holds its length.
                let s = ok(unsafe {
                    rfc6455_reject(sides[1].conn, status, null(), 0, body.as_ptr(), body.len())
                });
                if !(100..=599).contains(&status) || status == 101 {
                    assert_ne!(s, rfc6455_status::Ok);
                }
            }
            Op::Text { server, bytes } => {
                // SAFETY: `bytes` holds its length.
                let s = ok(unsafe {
                    rfc6455_send_text(
                        sides[server as usize].conn,
                        bytes.as_ptr().cast(),
                        bytes.len(),
                    )
                });
                if std::str::from_utf8(&bytes).is_err() {
                    assert_eq!(s, rfc6455_status::InvalidUtf8);
                }
            }
            Op::Binary { server, len } => {
                let data = vec![0xA5; len as usize];
                // SAFETY: `data` holds its length.
                ok(unsafe {
                    rfc6455_send_binary(sides[server as usize].conn, data.as_ptr(), data.len())
                });
            }
            Op::Uncompressed {
                server,
                kind,
                bytes,
            } => {
                let kind = kind % 3; // 2 is not a kind
                // SAFETY: `bytes` holds its length.
                let s = ok(unsafe {
                    rfc6455_send_uncompressed(
                        sides[server as usize].conn,
                        kind,
                        bytes.as_ptr(),
                        bytes.len(),
                    )
                });
                if kind == 2 {
                    assert_eq!(s, rfc6455_status::InvalidArgument);
                } else if kind == 0 && std::str::from_utf8(&bytes).is_err() {
                    assert_ne!(s, rfc6455_status::Ok, "invalid UTF-8 sent as text");
                }
            }
            Op::Fragment {
                server,
                kind,
                bytes,
                fin,
            } => {
                let kind = kind % 3; // 2 is not a kind
                // SAFETY: `bytes` holds its length.
                let s = ok(unsafe {
                    rfc6455_send_fragment(
                        sides[server as usize].conn,
                        kind,
                        bytes.as_ptr(),
                        bytes.len(),
                        fin,
                    )
                });
                if kind == 2 {
                    assert_eq!(s, rfc6455_status::InvalidArgument);
                }
            }
            Op::Ping { server, len } | Op::Pong { server, len } if len > 125 => {
                let data = [0u8; 255];
                let c = sides[server as usize].conn;
                // SAFETY: `data` holds 255 >= len bytes.
                let s = ok(unsafe { rfc6455_ping(c, data.as_ptr(), len as usize) });
                assert_ne!(s, rfc6455_status::Ok);
                // SAFETY: as above.
                let s = ok(unsafe { rfc6455_pong(c, data.as_ptr(), len as usize) });
                assert_ne!(s, rfc6455_status::Ok);
            }
            Op::Ping { server, len } => {
                let data = [7u8; 125];
                // SAFETY: `data` holds 125 >= len bytes.
                ok(unsafe {
                    rfc6455_ping(sides[server as usize].conn, data.as_ptr(), len as usize)
                });
            }
            Op::Pong { server, len } => {
                let data = [9u8; 125];
                // SAFETY: `data` holds 125 >= len bytes.
                ok(unsafe {
                    rfc6455_pong(sides[server as usize].conn, data.as_ptr(), len as usize)
                });
            }
            Op::Close {
                server,
                code,
                reason,
            } => {
                // SAFETY: `reason` holds its length.
                let s = ok(unsafe {
                    rfc6455_close(
                        sides[server as usize].conn,
                        code,
                        reason.as_ptr().cast(),
                        reason.len(),
                    )
                });
                if !valid_close_code(code)
                    || std::str::from_utf8(&reason).is_err()
                    || reason.len() > 123
                {
                    assert_ne!(s, rfc6455_status::Ok);
                }
            }
            Op::Abort { server } => {
                // SAFETY: a live handle.
                ok(unsafe { rfc6455_abort(sides[server as usize].conn) });
            }
            Op::Copy { server, capacity } => {
                let c = sides[server as usize].conn;
                let mut buf = [0u8; 255];
                let (mut n, mut before) = (0, 0);
                // SAFETY: out-parameters are locals; `buf` holds 255 >= capacity bytes.
                unsafe {
                    ok(rfc6455_buffered_amount(c, &mut before));
                    let s = ok(rfc6455_transmit_copy(
                        c,
                        buf.as_mut_ptr(),
                        capacity as usize,
                        &mut n,
                    ));
                    assert!(n <= capacity as usize);
                    assert_eq!(
                        s == rfc6455_status::Empty,
                        before == 0,
                        "buffered {before}, status {s:?}"
                    );
                    if capacity == 0 && before > 0 {
                        assert_eq!(s, rfc6455_status::BufferTooSmall);
                    }
                }
            }
            Op::Getters { server } => {
                let c = sides[server as usize].conn;
                let (mut p, mut n, mut v, mut vn) = (null(), 0, null(), 0);
                let (mut t, mut b) = (0u64, false);
                let mut st = rfc6455_conn_state::Connecting;
                let mut role = rfc6455_conn_role::Client;
                // SAFETY: out-parameters are locals; each lent slice is read
                // before the next call.
                unsafe {
                    ok(rfc6455_state(c, &mut st));
                    ok(rfc6455_role(c, &mut role));
                    assert_eq!(role as u32, server as u32);
                    ok(rfc6455_should_close_transport(c, &mut b));
                    ok(rfc6455_poll_timeout(c, &mut t));
                    ok(rfc6455_protocol(c, &mut p, &mut n));
                    read(p.cast(), n);
                    ok(rfc6455_extensions(c, &mut p, &mut n));
                    read(p.cast(), n);
                    if ok(rfc6455_request_path(c, &mut p, &mut n)) == rfc6455_status::Ok {
                        read(p.cast(), n);
                        ok(rfc6455_request_method(c, &mut p, &mut n));
                        read(p.cast(), n);
                        ok(rfc6455_request_header(c, c"host".as_ptr(), &mut v, &mut vn));
                        read(v, vn);
                        ok(rfc6455_request_header_at(
                            c, 0, &mut p, &mut n, &mut v, &mut vn,
                        ));
                        read(p.cast(), n);
                        read(v, vn);
                        ok(rfc6455_request_protocol_at(c, 0, &mut p, &mut n));
                        read(p.cast(), n);
                    }
                }
            }
            Op::Shrink { server } => {
                // SAFETY: a live handle.
                ok(unsafe { rfc6455_shrink_to_fit(sides[server as usize].conn) });
            }
            Op::Nulls { server } => {
                let c = sides[server as usize].conn;
                let n = rfc6455_status::NullPointer;
                // SAFETY: every call is given a NULL where a pointer is
                // required; the library must refuse it, not read it.
                unsafe {
                    assert_eq!(ok(rfc6455_handle_input(c, null(), 5)), n);
                    assert_eq!(ok(rfc6455_send_text(c, null(), 1)), n);
                    assert_eq!(ok(rfc6455_poll_event(c, null_mut())), n);
                    assert_eq!(ok(rfc6455_poll_transmit(c, null_mut(), null_mut())), n);
                    assert_eq!(ok(rfc6455_buffered_amount(c, null_mut())), n);
                    assert_eq!(ok(rfc6455_send_binary(null_mut(), null(), 0)), n);
                    assert_eq!(ok(rfc6455_handle_eof(null_mut())), n);
                }
            }
        }
    }
    for side in &mut sides {
        take_events(side, false);
        // SAFETY: each handle is freed once, with whatever it still lends.
        ok(unsafe { rfc6455_free(side.conn) });
    }
}

fuzz_target!(|input: Input| run(input));
