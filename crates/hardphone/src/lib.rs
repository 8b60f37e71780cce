//! The Hardphone edge as a library: the parts of the binary that touch the network and the disk,
//! shared with the integration tests.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config_store;
pub mod ctl;
pub mod device_edge;
pub mod dns;
pub mod history_store;
pub mod input;
pub mod media;
pub mod provision;
pub mod run;
pub mod state;
pub mod transport;
pub mod tui;
