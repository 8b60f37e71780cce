//! The checks the fuzz targets run (`fuzz/fuzz_targets/*.rs`) and the corpus test replays on
//! stable Rust (`tests/fuzz_corpus.rs`), kept in one place so that both always check the same.
//! Each function panics when an invariant breaks; on any other input it returns quietly.
//!
//! Compiled only with the `oracle` feature: it is test code, not part of the phone.

mod message;
mod values;

pub use message::{datagram, stream};
pub use values::header_values;
