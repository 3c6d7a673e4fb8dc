//! permessage-deflate (RFC 7692): negotiation, the compressor and the
//! bounded decompressor. Behind the `deflate` feature; `no_std` + `alloc`.
//!
//! - `header`: the `Sec-WebSocket-Extensions` grammar (RFC 6455 §9.1), bytes
//!   to [`Extension`](crate::Extension)s, never panicking.
//! - `params`: [`DeflateConfig`], a client's [`DeflateOffer`] and the
//!   checks on the server's answer, a server's choice among offers, and the
//!   [`DeflateParams`] both sides then use (RFC 7692 §5, §7.1).
//! - `codec`: [`Compressor`] and [`Decompressor`] (RFC 7692 §7.2): sync
//!   flush with the `00 00 ff ff` tail removed, and inflation in steps no
//!   larger than the caller allows.
//!
//! # The backend: zlib-rs
//!
//! The codec runs on [zlib-rs] (the Trifecta Tech Foundation's Rust port
//! of zlib-ng), through its safe `Deflate` / `Inflate` API, with
//! `default-features = false` and its `rust-allocator` feature: `no_std`,
//! the global allocator, and no `unsafe` in this crate (zlib-rs has
//! `unsafe` inside, as every fast DEFLATE does). It builds for
//! `thumbv7m-none-eabi`.
//!
//! It was chosen over `miniz_oxide` (safe Rust throughout) because
//! permessage-deflate needs a compressor that keeps within a window
//! smaller than 32 KiB, and only zlib-rs has one:
//!
//! - a client may offer `server_max_window_bits=N`, and a server may answer
//!   `client_max_window_bits=N`, for any N from 8 to 15 (§7.1.2). Autobahn's
//!   cases 13.3, 13.5 and 13.7 (in the suite's current version; older
//!   versions used 8) ask for 9 in both roles, and its zlib-based peer
//!   inflates with a 9-bit window, so a longer distance fails the case.
//! - `miniz_oxide` 0.9.1's compressor always searches its whole 32 KiB
//!   dictionary. `CompressorOxide::with_params` takes window bits, but
//!   only lowers the level with them (to level 1 for 12 to 14, RLE below
//!   12, as its comment says); checked by inflating its output with a
//!   strict 2^N-byte decoder: for N = 9 to 14 and levels 1, 6 and 9, with
//!   data repeating at a period between 2^N and 2^15, every stream had
//!   distances beyond 2^N ("invalid distance too far back"). It could only
//!   honour small windows by declining them, and then 13.3.x and 13.5.x
//!   (36 cases in each role) end UNIMPLEMENTED (13.7.x would fall back to
//!   its second offer).
//! - zlib-rs caps distances at the window less 262 bytes (zlib's
//!   `MAX_DIST`), checked the same way for windows 9 to 15 and levels 0 to
//!   9. Like zlib, it refuses a raw 8-bit window (`Deflate::new` would
//!   panic, so the codec never asks for one); an agreed 8 is honoured with
//!   the 9-bit window, whose longest distance is 250 bytes: checked with
//!   an 8-bit decoder at levels 1 to 9 and memory levels 1 and 8. So every
//!   value of either parameter is accepted as offered, and the server
//!   declines only malformed offers: every Autobahn 12.x and 13.x case can
//!   pass in both roles.
//!
//! Memory (zlib-rs's layout): a compressor holds about
//! `4 × 2^bits + 128 KiB + 7 × 2^(mem_level + 6)` plus its state (the
//! hash table is always 64 Ki entries); a decompressor always holds a
//! 32 KiB window plus about 7 KiB of tables, whatever the agreed window.
//! `tests/deflate_memory.rs` measures both. With no context takeover, `release`
//! frees either between messages.
//!
//! Blocks with BFINAL set: "An endpoint MAY use both DEFLATE blocks with
//! the "BFINAL" bit set to 0 and DEFLATE blocks with the "BFINAL" bit set
//! to 1 ... The next DEFLATE block follows the padded data if any"
//! (§7.2.1). So a final block ends a DEFLATE stream, not a message: what
//! follows, in the message or the next one, is decoded as a new stream,
//! with an empty window (its sender ended the old one and cannot refer to
//! it; a reference back fails as corrupt). A message that ends right after
//! a final block, without the `00` of §7.2.3.4, is taken as complete.
//!
//! What zlib-rs cannot tell through its safe API: whether a message's data
//! (with the tail put back) ends on a block boundary. A peer that sends a
//! message cut inside a block is not detected at that message's end; what
//! follows is decoded as the rest of that block (bounded like any other
//! output, and most likely corrupt).
//!
//! [zlib-rs]: https://github.com/trifectatechfoundation/zlib-rs

mod codec;
mod header;
mod params;

pub use codec::{
    Compressor, DEFLATE_TRAILER, Decompressor, DeflateBuf, InflateError, InflateStatus, Inflated,
};
pub use header::parse_extension_header;
pub use params::{
    DeflateConfig, DeflateDirection, DeflateOffer, DeflateParams, ExtensionError,
    PERMESSAGE_DEFLATE, deflate_offers,
};
