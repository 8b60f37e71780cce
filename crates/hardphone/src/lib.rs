//! The Hardphone edge as a library: the parts of the binary that touch the network, shared with
//! the integration tests.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod transport;
