//! librfc6455: the C ABI of the rfc6455 WebSocket state machine, as a shared
//! and a static library. Every exported function is defined in the
//! `rfc6455-capi` crate (`ffi/capi/`), whose `#[unsafe(no_mangle)]` functions
//! this library exports; the header is `include/rfc6455.h`.

#![forbid(unsafe_code)]

pub use rfc6455_capi::*;
