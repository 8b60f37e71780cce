//! The Hardphone provisioning server: serves each phone its configuration over HTTPS.
//!
//! A phone fetches `common.toml`, `model/<model>.toml` and `<mac>.toml` (docs/PROVISION-SERVER.md).
//! The per-phone file is generated from an inventory file (CSV or TOML) or from VICIdial's
//! `phones` table, in the phone's own configuration format (docs/CONFIG.md), and is only ever
//! served to that very phone (HTTP Basic with its MAC and password, or a client certificate
//! naming its MAC). Every check-in is recorded; `/status` and `/status.json` show which phones
//! run the latest configuration.
//!
//! The logic is I/O-free where it can be: parsing ([`inventory`], [`macmap`], [`config`]),
//! mapping ([`vicidial::account_of_row`]), rendering ([`account`]), decisions ([`auth`]), rate
//! limiting ([`ratelimit`], clock passed in), status ([`status`]). [`service::Provisioner`]
//! ties them together; [`http`] is the thin edge (axum on hyper, tokio-rustls).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod account;
pub mod auth;
pub mod checkin;
pub mod config;
mod error;
pub mod hash;
pub mod http;
pub mod inventory;
pub mod mac;
pub mod macmap;
pub mod ratelimit;
pub mod reload;
pub mod service;
pub mod status;
pub mod tls;
pub mod vicidial;

pub use account::{PhoneAccount, Secret};
pub use config::ServerConfig;
pub use error::ProvisionError;
pub use hash::config_hash;
pub use http::{start, Running};
pub use mac::Mac;
