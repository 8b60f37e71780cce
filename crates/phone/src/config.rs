//! The phone's configuration: TOML, documented key by key in `docs/CONFIG.md`.
//!
//! [`Config::from_toml`] reads and checks the whole file: an unknown key (a typo) is an error,
//! not silently ignored, and every semantic fault names its key (`accounts[1].expires`) and what
//! is wrong. The caller (the binary) adds the file name.

use std::fmt;
use std::net::SocketAddr;

use serde::Deserialize;
use sip::uri::{Host, UriError};
pub use sip::Transport;

mod audio;
mod device;
mod input;
pub mod layers;
mod trust;
pub use audio::{AudioSettings, DeviceName, ModeDevices, ToneRegion, SAMPLE_RATES};
pub use device::{
    DeviceSettings, ForwardingSettings, RingtoneName, SpeedDialSettings, VolumeSettings, DEFAULT_ADMIN_PIN, MAX_LINES,
};
pub use input::InputSettings;
pub use layers::{write_atomically, Layer};
mod provisioning;
pub use provisioning::ProvisioningSettings;
pub use trust::{agent_pattern_matches, Cidr, CidrError, Untrusted, DEFAULT_AGENT_PATTERN, MAX_AGENT_PATTERN};

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The `[sip]` table.
    #[serde(default)]
    pub sip: SipSettings,
    /// The `[[accounts]]` tables, in order; the first is the default line.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// The `[audio]` table.
    #[serde(default)]
    pub audio: AudioSettings,
    /// The `[provisioning]` table (docs/PROVISIONING.md).
    #[serde(default)]
    pub provisioning: ProvisioningSettings,
    /// The `[device]` table: the deskphone's keys, tones, features and admin PIN.
    #[serde(default)]
    pub device: DeviceSettings,
    /// The `[input]` table.
    #[serde(default)]
    pub input: InputSettings,
}

/// The `[sip]` table: the phone's own SIP endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SipSettings {
    /// Where to listen for SIP over UDP and TCP; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Seconds between keep-alives on a UDP flow (RFC 5626 §4.4.2 CRLF; default 25, so that a
    /// NAT binding of 30 s never lapses).
    pub keepalive_secs: u32,
    /// Seconds an account registered at a backup route waits before trying its primary server
    /// again (failback; default 300).
    pub failback_secs: u32,
    /// The User-Agent header; empty for none.
    pub user_agent: String,
    /// A PEM file of CA certificates trusted for TLS servers, besides the system's roots (a PBX
    /// with a private CA).
    pub tls_ca_file: Option<std::path::PathBuf>,
    /// The trusted-server guard (default on): INVITE, MESSAGE, NOTIFY and REFER outside a
    /// dialog are taken only from the addresses of the accounts' registrars and proxies and
    /// from [`SipSettings::trusted`]; others get [`SipSettings::untrusted`].
    pub trusted_only: bool,
    /// What an untrusted request gets: nothing (`"drop"`, the default) or `"403"`.
    pub untrusted: Untrusted,
    /// Calls (INVITE) and text messages (MESSAGE) from any address are taken, for direct calls
    /// between phones (`sip:user@IP`). Unset: on when no account is enabled (a phone fresh out
    /// of the box), off otherwise.
    pub direct_calls: Option<bool>,
    /// More trusted addresses or networks, `["10.0.0.5", "10.1.0.0/16"]`.
    pub trusted: Vec<Cidr>,
}

impl Default for SipSettings {
    fn default() -> Self {
        SipSettings {
            listen: SocketAddr::from(([0, 0, 0, 0], 5060)),
            keepalive_secs: 25,
            failback_secs: 300,
            user_agent: format!("Hardphone/{}", env!("CARGO_PKG_VERSION")),
            tls_ca_file: None,
            trusted_only: true,
            untrusted: Untrusted::Drop,
            direct_calls: None,
            trusted: Vec::new(),
        }
    }
}

/// When an account answers incoming calls by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoAnswer {
    /// Never: the phone rings.
    #[default]
    Off,
    /// When the INVITE asks for it (intercom, paging, a dialer).
    Header,
    /// Every call.
    Always,
    /// VICIdial agent mode: the agent's session call from the registrar (its caller ID name
    /// `S` + timestamp + session number) or a call asking for it by header.
    Vicidial,
}

/// Reads `transport = "udp" | "tcp" | "tls"` (any case) into the one transport type of `sip`.
fn transport<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Transport, D::Error> {
    let text = String::deserialize(deserializer)?;
    Transport::from_param(&text).ok_or_else(|| serde::de::Error::unknown_variant(&text, &["udp", "tcp", "tls"]))
}

fn udp() -> Transport {
    Transport::Udp
}

/// A password, never shown by `Debug` or logs.
#[derive(Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// A secret holding `text`.
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The password itself, for computing digest responses only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"********\"" })
    }
}

/// One `[[accounts]]` table: a line registered to a server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The name shown on the screen and in logs.
    pub label: String,
    /// The registrar: `host[:port]`; without a port, DNS SRV finds it (RFC 3263).
    pub server: String,
    /// How to reach it.
    #[serde(default = "udp", deserialize_with = "transport")]
    pub transport: Transport,
    /// The SIP user (the extension): the user part of our address of record.
    pub user: String,
    /// The digest user name, when it differs from `user`.
    #[serde(default)]
    pub auth_user: Option<String>,
    /// The digest password.
    #[serde(default)]
    pub password: Secret,
    /// Registration lifetime asked for, in seconds (RFC 3261 §10.2.1.1).
    #[serde(default = "default_expires")]
    pub expires: u32,
    /// A second registrar, used while the first does not answer.
    #[serde(default)]
    pub backup_server: Option<String>,
    /// Send every request through this proxy (`host[:port]`), whatever the server.
    #[serde(default)]
    pub outbound_proxy: Option<String>,
    /// The display name in From.
    #[serde(default)]
    pub display_name: Option<String>,
    /// False keeps the account in the file without registering it.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// When incoming calls are answered without a key press: `off` (default), `header` (the
    /// INVITE asks for it: Call-Info `answer-after`, Alert-Info `info=alert-autoanswer`,
    /// `Ring Answer`/`Auto Answer`, or Answer-Mode: Auto, RFC 5373), or `always`.
    #[serde(default)]
    pub auto_answer: AutoAnswer,
    /// The voicemail number: what the messages key dials, and the mailbox whose message
    /// waiting indication (RFC 3842) the phone subscribes to; none for no voicemail.
    #[serde(default)]
    pub voicemail: Option<String>,
    /// With `auto_answer = "vicidial"`: the caller-ID name of the agent's session call, in the
    /// pattern syntax of [`agent_pattern_matches`] (`#` a digit, `*` any digits, the rest
    /// literal); [`DEFAULT_AGENT_PATTERN`] when unset.
    #[serde(default)]
    pub agent_pattern: Option<String>,
    /// Subscribe to message waiting (RFC 3842) at the registrar; unset: when `voicemail` is set.
    #[serde(default)]
    pub mwi_subscribe: Option<bool>,
}

fn default_expires() -> u32 {
    300
}

fn yes() -> bool {
    true
}

impl Account {
    /// The digest user name: `auth_user`, or `user`.
    pub fn auth_user(&self) -> &str {
        self.auth_user.as_deref().unwrap_or(&self.user)
    }

    /// The agent-session caller-ID pattern: `agent_pattern`, or [`DEFAULT_AGENT_PATTERN`].
    pub fn agent_pattern(&self) -> &str {
        self.agent_pattern.as_deref().unwrap_or(DEFAULT_AGENT_PATTERN)
    }

    /// True when the account subscribes to message waiting: `mwi_subscribe`, else whether a
    /// voicemail number is set.
    pub fn subscribes_mwi(&self) -> bool {
        self.mwi_subscribe.unwrap_or(self.voicemail.is_some())
    }
}

impl SipSettings {
    /// True when INVITE and MESSAGE are taken from any address: `direct_calls`, else whether
    /// no account is enabled (`enabled_accounts`).
    pub fn direct_calls_on(&self, enabled_accounts: usize) -> bool {
        self.direct_calls.unwrap_or(enabled_accounts == 0)
    }
}

/// Shortest and longest registration lifetimes accepted: below a minute a phone floods its
/// registrar; above a day a dead binding lingers.
pub const EXPIRES_RANGE: std::ops::RangeInclusive<u32> = 60..=86_400;

/// Keep-alive intervals accepted, in seconds.
pub const KEEPALIVE_RANGE: std::ops::RangeInclusive<u32> = 5..=3_600;

/// The allowed `sip.failback_secs`.
pub const FAILBACK_RANGE: std::ops::RangeInclusive<u32> = 10..=86_400;

/// A configuration that cannot be used.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML, or a value of the wrong type, or an unknown key (a misspelt one, say).
    #[error("{0}")]
    Syntax(#[from] toml::de::Error),
    /// A key whose value is well formed but unusable.
    #[error("{key}: {problem}")]
    Invalid {
        /// Where, as `accounts[1].expires`.
        key: String,
        /// What is wrong.
        problem: Problem,
    },
}

/// What is wrong with a value.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A server address that is not `host[:port]`.
    #[error("not host[:port]: {0}")]
    BadServer(UriError),
    /// A SIP user with characters a SIP URI user part cannot carry unescaped (RFC 3261 §25.1).
    #[error("a SIP user is letters, digits and -_.!~*'()&=+$,;?/ only")]
    BadUser,
    /// An empty value where one is needed.
    #[error("must not be empty")]
    Empty,
    /// A number outside its range.
    #[error("must be from {min} to {max}")]
    OutOfRange {
        /// Smallest accepted.
        min: u32,
        /// Largest accepted.
        max: u32,
    },
    /// Two accounts with the same label.
    #[error("the label is used by another account")]
    DuplicateLabel,
    /// A provisioning URL that cannot be used.
    #[error("not a provisioning URL: {0}")]
    BadUrl(crate::provisioning::UrlError),
    /// A MAC address that is not 12 hexadecimal digits (`:` or `-` between pairs allowed).
    #[error("not a MAC address (12 hexadecimal digits, pairs optionally separated by : or -)")]
    BadMac,
    /// A model name that cannot name a file.
    #[error("a model is letters, digits and -_. only, not starting with .")]
    BadModel,
    /// An HTTP user name that is empty or holds a colon (RFC 7617 §2).
    #[error("an HTTP user name is not empty and has no colon")]
    BadUserName,
    /// A key that needs another one.
    #[error("needed with {by}")]
    Required {
        /// The key that needs this one.
        by: &'static str,
    },
    /// A key a provisioning server may not set (docs/PROVISIONING.md).
    #[error("cannot be set by a provisioning server")]
    NotProvisionable,
    /// A label that names no account.
    #[error("no account has this label")]
    UnknownLabel,
    /// A digit map that does not parse.
    #[error("not a digit map: {0}")]
    BadDigitMap(crate::device::DigitMapError),
    /// A value that is not one of those allowed.
    #[error("must be one of {0}")]
    NotOneOf(&'static str),
    /// An admin PIN that is not 4 to 12 digits.
    #[error("must be 4 to 12 digits")]
    BadPin,
    /// An agent-session pattern that is empty, too long or has control characters.
    #[error("a pattern is 1 to 64 printable characters: # a digit, * any digits, the rest literal")]
    BadPattern,
    /// An `[input.keys]` entry naming an unknown key.
    #[error("{0}")]
    BadKey(crate::keymap::KeyMapError),
}

impl Config {
    /// Reads and checks a configuration file's text.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text)?;
        config.check()?;
        Ok(config)
    }

    /// Checks what the types cannot: addresses, users, ranges, unique labels.
    pub fn check(&self) -> Result<(), ConfigError> {
        let invalid = |key: String, problem| Err(ConfigError::Invalid { key, problem });
        if !KEEPALIVE_RANGE.contains(&self.sip.keepalive_secs) {
            let (min, max) = (*KEEPALIVE_RANGE.start(), *KEEPALIVE_RANGE.end());
            return invalid("sip.keepalive_secs".into(), Problem::OutOfRange { min, max });
        }
        if !FAILBACK_RANGE.contains(&self.sip.failback_secs) {
            let (min, max) = (*FAILBACK_RANGE.start(), *FAILBACK_RANGE.end());
            return invalid("sip.failback_secs".into(), Problem::OutOfRange { min, max });
        }
        if let Err(error) = self.input.key_map() {
            return invalid("input.keys".into(), Problem::BadKey(error));
        }
        if let Err((field, problem)) = self.audio.check() {
            return invalid(format!("audio.{field}"), problem);
        }
        if let Err((field, problem)) = self.provisioning.check() {
            return invalid(format!("provisioning.{field}"), problem);
        }
        for (i, account) in self.accounts.iter().enumerate() {
            if let Err((field, problem)) = account.check() {
                return invalid(format!("accounts[{i}].{field}"), problem);
            }
            if self.accounts[..i].iter().any(|other| other.label == account.label) {
                return invalid(format!("accounts[{i}].label"), Problem::DuplicateLabel);
            }
        }
        let labels: Vec<&str> = self.accounts.iter().map(|a| a.label.as_str()).collect();
        if let Err((field, problem)) = self.device.check(&labels) {
            return invalid(format!("device.{field}"), problem);
        }
        Ok(())
    }
}

impl Account {
    fn check(&self) -> Result<(), (&'static str, Problem)> {
        if self.label.trim().is_empty() {
            return Err(("label", Problem::Empty));
        }
        check_server(&self.server).map_err(|p| ("server", p))?;
        for (field, value) in [("backup_server", &self.backup_server), ("outbound_proxy", &self.outbound_proxy)] {
            if let Some(value) = value {
                check_server(value).map_err(|p| (field, p))?;
            }
        }
        check_user(&self.user).map_err(|p| ("user", p))?;
        if let Some(auth_user) = &self.auth_user {
            if auth_user.is_empty() {
                return Err(("auth_user", Problem::Empty));
            }
        }
        if !EXPIRES_RANGE.contains(&self.expires) {
            let (min, max) = (*EXPIRES_RANGE.start(), *EXPIRES_RANGE.end());
            return Err(("expires", Problem::OutOfRange { min, max }));
        }
        if let Some(pattern) = &self.agent_pattern {
            if pattern.is_empty() || pattern.len() > MAX_AGENT_PATTERN || pattern.chars().any(char::is_control) {
                return Err(("agent_pattern", Problem::BadPattern));
            }
        }
        Ok(())
    }
}

/// `host[:port]`, with an IPv6 address in `[ ]` (RFC 3261 §25.1 `hostport`).
fn check_server(text: &str) -> Result<(), Problem> {
    if text.is_empty() {
        return Err(Problem::Empty);
    }
    Host::parse_with_port(text).map(drop).map_err(Problem::BadServer)
}

/// Characters a SIP URI user part carries unescaped (RFC 3261 §25.1 `user`).
fn check_user(user: &str) -> Result<(), Problem> {
    if user.is_empty() {
        return Err(Problem::Empty);
    }
    let ok = user.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Problem::BadUser)
    }
}

#[cfg(test)]
mod tests;
