//! Arbitrary bytes into an OPEN client connection (see
//! `rfc6455_fuzz::decode_target` for the invariants and the input layout).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rfc6455_fuzz::decode_target(data, rfc6455::Role::Client));
