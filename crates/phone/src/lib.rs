//! The Hardphone device, sans-IO: the configuration model today; accounts, calls, the
//! keys/hook/display state machine next. Nothing here does I/O: the binary reads files and
//! sockets and hands this crate text and events.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod core;
pub mod device;
pub mod instance;
pub mod keymap;
pub mod media;

pub use crate::core::{AccountInfo, Core, CoreError, Output};
pub use config::{Account, AutoAnswer, Config, ConfigError, Problem, SipSettings, Transport};
pub use instance::{InstanceId, InstanceIdError};
