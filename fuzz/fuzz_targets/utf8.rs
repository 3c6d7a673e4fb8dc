//! `Utf8Validator` agrees with `core::str::from_utf8` for any chunking:
//! after each chunk it has failed exactly when the bytes so far can no
//! longer begin valid UTF-8, and at the end it is complete exactly when
//! they are valid UTF-8.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfc6455::Utf8Validator;

fn prefix_ok(b: &[u8]) -> bool {
    match core::str::from_utf8(b) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

fuzz_target!(|data: &[u8]| {
    // Cuts from the layout, plus a chunk size from byte 1 for many chunks.
    let (_, cuts, payload) = rfc6455_fuzz::split_input(data);
    let step = usize::from(data.get(1).copied().unwrap_or(0) % 9) + 1;
    for plan in 0..2 {
        let pieces: Vec<&[u8]> = if plan == 0 {
            rfc6455_fuzz::pieces(payload, &cuts)
        } else {
            payload.chunks(step).collect()
        };
        let mut v = Utf8Validator::new();
        let mut seen = 0;
        let mut failed = false;
        for p in pieces {
            seen += p.len();
            let ok = v.feed(p).is_ok();
            assert_eq!(ok, prefix_ok(&payload[..seen]), "after {seen} bytes");
            if !ok {
                failed = true;
                break;
            }
            assert_eq!(
                v.is_complete(),
                core::str::from_utf8(&payload[..seen]).is_ok()
            );
        }
        let valid = core::str::from_utf8(payload).is_ok();
        assert_eq!(!failed && v.is_complete(), valid);
        // reset starts a new stream.
        v.reset();
        assert!(v.is_complete());
        assert_eq!(v.feed(payload).is_ok(), prefix_ok(payload));
    }
});
