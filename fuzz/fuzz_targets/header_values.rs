//! One header field value (the input, as UTF-8, lossily): every typed header parser in
//! `sip::header`, on the whole value and on each comma-separated element of list headers, with
//! their accessors and `Display`; the URI parsers (a parsed URI must print back to text that
//! parses to the same URI); and the digest `Challenge` / `Authorization` parsers, answering a
//! parsed challenge with `ClientAuth` and verifying a parsed `Authorization`.
//!
//! The checks live in `sip::oracle`, shared with the corpus test `crates/sip/tests/fuzz_corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sip::oracle::header_values(data));
