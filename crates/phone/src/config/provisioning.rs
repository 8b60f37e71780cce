//! The `[provisioning]` table: where the phone fetches its configuration, how often, and how it
//! proves who it is (docs/PROVISIONING.md).

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{Problem, Secret};
use crate::provisioning::{normalize_mac, BaseUrl, MIN_INTERVAL};

/// The allowed `provisioning.interval_minutes` (a minute to a week).
pub const INTERVAL_MINUTES_RANGE: std::ops::RangeInclusive<u32> = 1..=10_080;

/// The allowed `provisioning.interval_secs` (for tests and labs; 5 s to a week).
pub const INTERVAL_SECS_RANGE: std::ops::RangeInclusive<u32> = 5..=604_800;

/// The allowed `provisioning.jitter_percent`.
pub const JITTER_RANGE: std::ops::RangeInclusive<u32> = 0..=50;

/// Where a DHCP hook leaves the provisioning URL when not told otherwise.
pub const DEFAULT_DHCP_URL_FILE: &str = "/run/hardphone/provisioning-url";

/// The `[provisioning]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProvisioningSettings {
    /// The base URL of the provisioning server (`http://` or `https://`); none for the
    /// command line's or the DHCP hint's.
    pub url: Option<String>,
    /// Minutes between fetches (default 60).
    pub interval_minutes: u32,
    /// Seconds between fetches, overriding `interval_minutes` (tests, labs).
    pub interval_secs: Option<u32>,
    /// Each wait is the interval ± this many percent, at random (default 10).
    pub jitter_percent: u32,
    /// The HTTP Basic user name (default: the MAC address), sent only with a password.
    pub username: Option<String>,
    /// The HTTP Basic password; none for no authentication.
    pub password: Option<Secret>,
    /// A PEM file of CA certificates trusted for the server besides the system's roots.
    pub ca_file: Option<PathBuf>,
    /// A PEM client certificate (chain) presented to the server; needs `client_key`.
    pub client_cert: Option<PathBuf>,
    /// The PEM private key of `client_cert`.
    pub client_key: Option<PathBuf>,
    /// The model name: the middle layer is `model/<model>.toml` (default `hardphone`).
    pub model: String,
    /// The MAC address naming this phone's file, overriding the one of the interface of the
    /// default route.
    pub mac: Option<String>,
    /// The file a DHCP hook writes the URL of option 66 or 160 into.
    pub dhcp_url_file: PathBuf,
}

impl Default for ProvisioningSettings {
    fn default() -> Self {
        ProvisioningSettings {
            url: None,
            interval_minutes: 60,
            interval_secs: None,
            jitter_percent: 10,
            username: None,
            password: None,
            ca_file: None,
            client_cert: None,
            client_key: None,
            model: "hardphone".to_owned(),
            mac: None,
            dhcp_url_file: PathBuf::from(DEFAULT_DHCP_URL_FILE),
        }
    }
}

impl ProvisioningSettings {
    /// The time between fetches: `interval_secs` when set, else `interval_minutes`.
    pub fn interval(&self) -> Duration {
        match self.interval_secs {
            Some(secs) => Duration::from_secs(u64::from(secs)),
            None => Duration::from_secs(u64::from(self.interval_minutes) * 60),
        }
        .max(MIN_INTERVAL)
    }

    /// The configured URL, parsed (`None` when there is none or it is unusable: `check` tells).
    pub fn base_url(&self) -> Option<BaseUrl> {
        self.url.as_deref().and_then(|url| BaseUrl::parse(url).ok())
    }

    /// The configured MAC override as 12 lower-case hex digits.
    pub fn mac(&self) -> Option<String> {
        self.mac.as_deref().and_then(normalize_mac)
    }

    /// Checks what the types cannot; the error names the key within the table.
    pub(super) fn check(&self) -> Result<(), (&'static str, Problem)> {
        if let Some(url) = &self.url {
            BaseUrl::parse(url).map_err(|e| ("url", Problem::BadUrl(e)))?;
        }
        let ranges = [
            ("interval_minutes", Some(self.interval_minutes), INTERVAL_MINUTES_RANGE),
            ("interval_secs", self.interval_secs, INTERVAL_SECS_RANGE),
            ("jitter_percent", Some(self.jitter_percent), JITTER_RANGE),
        ];
        for (key, value, range) in ranges {
            if value.is_some_and(|v| !range.contains(&v)) {
                return Err((key, Problem::OutOfRange { min: *range.start(), max: *range.end() }));
            }
        }
        if self.username.as_deref().is_some_and(|u| u.is_empty() || u.contains(':')) {
            return Err(("username", Problem::BadUserName));
        }
        let model_ok = self.model.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if self.model.is_empty() || !model_ok || self.model.starts_with('.') {
            return Err(("model", Problem::BadModel));
        }
        if self.mac.as_deref().is_some_and(|m| normalize_mac(m).is_none()) {
            return Err(("mac", Problem::BadMac));
        }
        match (&self.client_cert, &self.client_key) {
            (Some(_), None) => Err(("client_key", Problem::Required { by: "client_cert" })),
            (None, Some(_)) => Err(("client_cert", Problem::Required { by: "client_key" })),
            _ => Ok(()),
        }
    }
}
