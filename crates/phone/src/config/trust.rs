//! The trusted-server guard's settings: address ranges (`[sip] trusted`), what an untrusted
//! request gets (`[sip] untrusted`), and the caller-ID pattern of a VICIdial agent session
//! (`accounts[].agent_pattern`).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::Deserialize;

/// An address range as `[sip] trusted` lists it: one address (`10.0.0.5`, `2001:db8::1`) or a
/// network in CIDR notation (`10.1.0.0/16`, `2001:db8::/32`; RFC 4632 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// A `[sip] trusted` entry that is not an address or `address/prefix`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an IP address or address/prefix: {0:?}")]
pub struct CidrError(String);

impl Cidr {
    /// The range holding only `ip`.
    pub fn host(ip: IpAddr) -> Cidr {
        let ip = ip.to_canonical();
        Cidr { network: ip, prefix: if ip.is_ipv4() { 32 } else { 128 } }
    }

    /// True when `ip` is in the range (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net).into(), 32, self.prefix) == masked(u32::from(ip).into(), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(net.into(), 128, self.prefix) == masked(ip.into(), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// The top `prefix` bits of a `width`-bit address.
fn masked(address: u128, width: u32, prefix: u8) -> u128 {
    let prefix = u32::from(prefix).min(width);
    if prefix == 0 {
        return 0;
    }
    let keep = u128::MAX << (128 - prefix);
    (address << (128 - width)) & keep
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Cidr, CidrError> {
        let bad = || CidrError(text.to_owned());
        let trimmed = text.trim();
        let (address, prefix) = match trimmed.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (trimmed, None),
        };
        let address = address.trim_start_matches('[').trim_end_matches(']');
        let ip: IpAddr = address.parse().map_err(|_| bad())?;
        let ip = ip.to_canonical();
        let width: u8 = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse::<u8>().map_err(|_| bad())?,
            Some(_) => return Err(bad()),
            None => width,
        };
        if prefix > width {
            return Err(bad());
        }
        Ok(Cidr { network: ip, prefix })
    }
}

impl TryFrom<String> for Cidr {
    type Error = CidrError;

    fn try_from(text: String) -> Result<Cidr, CidrError> {
        text.parse()
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// What a request outside a dialog from an untrusted address gets (`[sip] untrusted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Untrusted {
    /// Nothing at all, not even 100 Trying: a scanner learns nothing (the default).
    #[default]
    #[serde(rename = "drop")]
    Drop,
    /// 403 Forbidden, sent statelessly (no transaction is kept).
    #[serde(rename = "403")]
    Forbidden,
}

/// The agent-session pattern when an account sets none: `S`, then at least 12 digits
/// (VICIdial's `S` + timestamp + session number, e.g. `S2611260815228600051`).
pub const DEFAULT_AGENT_PATTERN: &str = "S############*";

/// Longest `agent_pattern` accepted.
pub const MAX_AGENT_PATTERN: usize = 64;

/// Matches a caller-ID display name against an agent-session pattern: the whole name must
/// match; `#` is one ASCII digit, `*` any number (zero or more) of ASCII digits, every other
/// character itself (case-sensitive). A name with surrounding `"` is compared without them.
pub fn agent_pattern_matches(pattern: &str, name: &str) -> bool {
    let name = name.trim();
    let name = name.strip_prefix('"').and_then(|n| n.strip_suffix('"')).unwrap_or(name);
    if name.len() > 4 * MAX_AGENT_PATTERN {
        return false;
    }
    matches_from(pattern.as_bytes(), name.as_bytes())
}

/// Whole-string match by dynamic programming (no backtracking: O(pattern × name)).
fn matches_from(pattern: &[u8], name: &[u8]) -> bool {
    // `row[j]`: the pattern so far matches the first `j` bytes of `name`.
    let mut row = vec![false; name.len() + 1];
    row[0] = true;
    for &p in pattern {
        let mut next = vec![false; name.len() + 1];
        for j in 0..=name.len() {
            next[j] = match p {
                b'*' => row[j] || (j > 0 && next[j - 1] && name[j - 1].is_ascii_digit()),
                b'#' => j > 0 && row[j - 1] && name[j - 1].is_ascii_digit(),
                c => j > 0 && row[j - 1] && name[j - 1] == c,
            };
        }
        row = next;
    }
    row[name.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_ranges_hold_their_addresses() {
        let net: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.0.9".parse().unwrap()), "IPv4-mapped");
        let one: Cidr = "192.0.2.7".parse().unwrap();
        assert!(one.contains("192.0.2.7".parse().unwrap()) && !one.contains("192.0.2.8".parse().unwrap()));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8:1::5".parse().unwrap()) && !v6.contains("2001:db9::1".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.1".parse().unwrap()) && !all.contains("::1".parse().unwrap()));
        for bad in ["", "10.0.0.0/33", "10.0.0.0/", "pbx.example.com", "10.0.0.0/8/8", "::/129", "1.2.3.4/-1"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad:?}");
        }
        assert_eq!("10.1.0.0/16".parse::<Cidr>().unwrap().to_string(), "10.1.0.0/16");
    }

    #[test]
    fn the_default_agent_pattern_is_s_and_twelve_digits_or_more() {
        let p = DEFAULT_AGENT_PATTERN;
        assert!(agent_pattern_matches(p, "S2611260815228600051"));
        assert!(agent_pattern_matches(p, "\"S2611260815228600051\""));
        assert!(agent_pattern_matches(p, "S261126081522"));
        assert!(!agent_pattern_matches(p, "S26112608152"), "11 digits");
        assert!(!agent_pattern_matches(p, "s2611260815228600051"), "case-sensitive");
        assert!(!agent_pattern_matches(p, "S2611260815228600051x"));
        assert!(!agent_pattern_matches(p, "Bob"));
        assert!(agent_pattern_matches("AG-##*", "AG-42") && !agent_pattern_matches("AG-##*", "AG-4"));
    }

    #[test]
    fn the_guard_keys_are_read_and_checked() {
        use crate::config::{Config, ConfigError, Problem};
        let config = Config::from_toml(
            "[sip]\ntrusted_only = false\nuntrusted = \"403\"\ndirect_calls = true\n\
             trusted = [\"10.0.0.5\", \"10.1.0.0/16\"]\n",
        )
        .unwrap();
        assert!(!config.sip.trusted_only && config.sip.direct_calls == Some(true));
        assert_eq!(config.sip.untrusted, Untrusted::Forbidden);
        assert_eq!(config.sip.trusted.len(), 2);
        let defaults = Config::from_toml("").unwrap().sip;
        assert!(defaults.trusted_only && defaults.untrusted == Untrusted::Drop && defaults.direct_calls.is_none());
        assert!(defaults.direct_calls_on(0) && !defaults.direct_calls_on(1));
        let bad = Config::from_toml("[sip]\ntrusted = [\"10.0.0.0/40\"]\n").unwrap_err().to_string();
        assert!(bad.contains("10.0.0.0/40"), "{bad}");
        assert!(Config::from_toml("[sip]\nuntrusted = \"404\"\n").is_err());
        let account = "[[accounts]]\nlabel = \"a\"\nserver = \"pbx\"\nuser = \"1\"\n";
        let pattern = Config::from_toml(&format!("{account}agent_pattern = \"\"\n")).unwrap_err();
        assert!(
            matches!(pattern, ConfigError::Invalid { ref key, problem: Problem::BadPattern } if key == "accounts[0].agent_pattern")
        );
        let config = Config::from_toml(&format!("{account}voicemail = \"*97\"\n")).unwrap();
        assert!(config.accounts[0].subscribes_mwi());
        assert_eq!(config.accounts[0].agent_pattern(), DEFAULT_AGENT_PATTERN);
        let config = Config::from_toml(&format!("{account}voicemail = \"*97\"\nmwi_subscribe = false\n")).unwrap();
        assert!(!config.accounts[0].subscribes_mwi());
    }
}
