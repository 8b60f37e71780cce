//! One UDP datagram, as the phone receives it: `inspect_datagram` (parse + validate), then the
//! round-trip oracle `parse(serialize(m)) == m`, every typed accessor a phone reads, and the
//! error response the phone would send back (which must itself round-trip).
//!
//! The checks live in `sip::oracle`, shared with the corpus test `crates/sip/tests/fuzz_corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sip::oracle::datagram(data));
