//! Zero-touch provisioning, sans-IO (docs/PROVISIONING.md): where the phone fetches its
//! configuration ([`BaseUrl`], [`choose_url`], [`parse_dhcp_hint`]), who it says it is
//! ([`user_agent`], [`config_hash`], [`normalize_mac`]), when it fetches
//! ([`ProvisioningSchedule`]) and what a provisioned layer may set ([`check_provisioned_layer`]).
//! The edge does the HTTP requests, reads the files and applies the result.

mod identity;
mod schedule;
mod url;

pub use identity::{
    choose_url, config_hash, default_route_interface, layer_files, normalize_mac, parse_dhcp_hint, user_agent,
    UrlSource, CONFIG_HASH_HEADER,
};
pub use schedule::{Fetch, ProvisioningSchedule, CHECK_SYNC_SPACING, FIRST_BACKOFF, MIN_INTERVAL};
pub use url::{BaseUrl, Scheme, UrlError};

use crate::config::{ConfigError, Problem};

/// The keys of `[provisioning]` a provisioned layer may set. The others (credentials,
/// certificates, MAC, model, the DHCP file) stay the device's own: a server cannot lock a phone
/// out of provisioning by changing them, and a provisioned `url` must still be a valid URL (a
/// layer cannot remove a key, only replace it).
pub const PROVISIONABLE_KEYS: [&str; 4] = ["url", "interval_minutes", "interval_secs", "jitter_percent"];

/// Checks what a provisioned layer may not do (the merged result is checked by
/// `Config::check`): set a `[provisioning]` key other than [`PROVISIONABLE_KEYS`].
pub fn check_provisioned_layer(layer: &toml::Table) -> Result<(), ConfigError> {
    let Some(value) = layer.get("provisioning") else { return Ok(()) };
    let Some(table) = value.as_table() else {
        return Err(ConfigError::Invalid { key: "provisioning".into(), problem: Problem::NotProvisionable });
    };
    match table.keys().find(|key| !PROVISIONABLE_KEYS.contains(&key.as_str())) {
        Some(key) => {
            Err(ConfigError::Invalid { key: format!("provisioning.{key}"), problem: Problem::NotProvisionable })
        }
        None => Ok(()),
    }
}
