//! A TCP/TLS byte stream: the input is pushed into a `StreamFramer` in two or three reads, split
//! at positions derived from its first bytes, and every frame is drained after each read (until
//! `Ok(None)`, or an error, which closes the connection). Every framed message must round-trip.
//!
//! The checks live in `sip::oracle`, shared with the corpus test `crates/sip/tests/fuzz_corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sip::oracle::stream(data));
