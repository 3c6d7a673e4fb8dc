//! `FrameHeader::parse` never panics; whatever it accepts re-encodes to
//! exactly the bytes it consumed (only canonical headers are accepted);
//! every shorter prefix of an accepted header is `Partial`; errors do not
//! depend on what follows the header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfc6455::{FrameHeader, HeaderError, MAX_HEADER_LEN, Status};

fuzz_target!(|data: &[u8]| {
    match FrameHeader::parse(data) {
        Ok(Status::Complete(h, n)) => {
            assert!(n <= data.len() && n <= MAX_HEADER_LEN, "consumed {n}");
            assert_eq!(n, h.encoded_len());
            let (bytes, m) = h.encode();
            assert_eq!(&bytes[..m], &data[..n], "encode(parse(x)) != x for {h:?}");
            assert_eq!(h.rsv, (data[0] >> 4) & 7);
            assert_eq!(h.fin, data[0] & 0x80 != 0);
            assert_eq!(h.opcode.as_u8(), data[0] & 0x0F);
            assert_eq!(h.mask.is_some(), data[1] & 0x80 != 0);
            assert!(h.payload_len >> 63 == 0);
            for k in 0..n {
                assert_eq!(
                    FrameHeader::parse(&data[..k]),
                    Ok(Status::Partial),
                    "prefix {k}"
                );
            }
            // Parsing is a pure function of the header's own bytes.
            assert_eq!(FrameHeader::parse(&data[..n]), Ok(Status::Complete(h, n)));
        }
        Ok(Status::Partial) => {
            assert!(
                data.len() < MAX_HEADER_LEN,
                "Partial with {} bytes",
                data.len()
            );
        }
        Err(e) => {
            // The error is decided by the length field, which the first 10
            // bytes hold; trailing bytes do not change it.
            let decided = data.len().min(10);
            assert_eq!(FrameHeader::parse(&data[..decided]), Err(e));
            let len7 = data[1] & 0x7F;
            match e {
                HeaderError::NonMinimalLength => assert!(len7 >= 126),
                HeaderError::LengthTopBit => assert!(len7 == 127 && data[2] & 0x80 != 0),
            }
        }
    }
    // Any header encodes to something that parses back to itself (with the
    // length clamped to what the wire can carry).
    if data.len() >= 12 {
        let h = FrameHeader {
            fin: data[0] & 1 != 0,
            rsv: data[0] >> 5,
            opcode: rfc6455::Opcode::from_u8(data[1]),
            mask: (data[0] & 2 != 0).then(|| [data[2], data[3], data[4], data[5]]),
            payload_len: u64::from_le_bytes(data[4..12].try_into().unwrap()) >> (data[0] & 0x3F),
        };
        let (bytes, m) = h.encode();
        assert_eq!(m, h.encoded_len());
        let mut expect = h;
        expect.rsv &= 7;
        expect.payload_len = h.payload_len.min(i64::MAX as u64);
        assert_eq!(
            FrameHeader::parse(&bytes[..m]),
            Ok(Status::Complete(expect, m))
        );
    }
});
