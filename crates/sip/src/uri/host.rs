//! `host` and `hostport` (RFC 3261 §25.1) with the IPv6 rules of RFC 5118.

use super::UriError;
use crate::grammar::split_at_byte;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The host of a SIP URI or Via `sent-by` (RFC 3261 §25.1 `host`).
///
/// Equality is structural: two `Domain`s are equal only when their raw text is; use
/// [`Host::equivalent`] for the case-insensitive comparison of RFC 3261 §19.1.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host<'a> {
    /// A `hostname`, raw as received (case kept). Labels are alphanumerics, `-` and (tolerated
    /// as in real-world DNS) `_`; an optional trailing `.` is kept.
    Domain(&'a str),
    /// An `IPv4address`.
    V4(Ipv4Addr),
    /// An `IPv6reference` (written `[...]` on the wire, RFC 5118 §4.1).
    V6(Ipv6Addr),
}

impl<'a> Host<'a> {
    /// Parses a `host`: a hostname, a dotted IPv4 address, or an IPv6 address in `[` `]`.
    ///
    /// An IPv6 address without brackets is [`UriError::Ipv6NotBracketed`] (RFC 5118 §4.2). The
    /// `:::` of the RFC 3261 ABNF bug is read as `::` (RFC 5118 §4.10).
    pub fn parse(text: &'a str) -> Result<Host<'a>, UriError> {
        if text.is_empty() {
            return Err(UriError::EmptyHost);
        }
        if let Some(inner) = text.strip_prefix('[') {
            let inner = inner.strip_suffix(']').ok_or(UriError::BadIpv6)?;
            return parse_ipv6(inner).map(Host::V6).ok_or(UriError::BadIpv6);
        }
        if text.bytes().any(|b| b == b':') {
            return Err(match parse_ipv6(text) {
                Some(_) => UriError::Ipv6NotBracketed,
                None => UriError::BadHost,
            });
        }
        if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return parse_ipv4(text).map(Host::V4).ok_or(UriError::BadHost);
        }
        if is_hostname(text) {
            Ok(Host::Domain(text))
        } else {
            Err(UriError::BadHost)
        }
    }

    /// Parses `hostport` = `host [ ":" port ]` (RFC 3261 §25.1), with no whitespace.
    ///
    /// `[2001:db8::10]:5070` has port 5070, `[2001:db8::10:5070]` has none (RFC 5118 §4.3,
    /// §4.4); `2001:db8::10` is [`UriError::Ipv6NotBracketed`], never host `2001` port `db8`.
    pub fn parse_with_port(text: &'a str) -> Result<(Host<'a>, Option<u16>), UriError> {
        let (host, port) = if text.starts_with('[') {
            let close = text.bytes().position(|b| b == b']').ok_or(UriError::BadIpv6)?;
            let (host, after) = text.split_at(close + 1);
            match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if after.is_empty() => (host, None),
                None => return Err(UriError::BadHost),
            }
        } else {
            match split_at_byte(text, b':') {
                Some((_, port)) if port.bytes().any(|b| b == b':') => {
                    return Err(match parse_ipv6(text) {
                        Some(_) => UriError::Ipv6NotBracketed,
                        None => UriError::BadPort,
                    })
                }
                Some((host, port)) => (host, Some(port)),
                None => (text, None),
            }
        };
        let host = Host::parse(host)?;
        Ok((host, port.map(parse_port).transpose()?))
    }

    /// Host comparison of RFC 3261 §19.1.4: hostnames case-insensitively, addresses by value.
    /// A hostname never matches an address, even one it resolves to.
    pub fn equivalent(&self, other: &Host<'_>) -> bool {
        match (self, other) {
            (Host::Domain(a), Host::Domain(b)) => a.eq_ignore_ascii_case(b),
            (Host::V4(a), Host::V4(b)) => a == b,
            (Host::V6(a), Host::V6(b)) => a == b,
            _ => false,
        }
    }

    /// True for an IPv4 or IPv6 address, false for a hostname.
    pub fn is_ip(&self) -> bool {
        !matches!(self, Host::Domain(_))
    }
}

impl fmt::Display for Host<'_> {
    /// Writes the wire form: the raw hostname, dotted IPv4, or `[IPv6]` (RFC 5118).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(name) => f.write_str(name),
            Host::V4(addr) => write!(f, "{addr}"),
            Host::V6(addr) => write!(f, "[{addr}]"),
        }
    }
}

/// `port` = `1*DIGIT` (RFC 3261 §25.1), at most 65535. Leading zeros are accepted.
pub(crate) fn parse_port(text: &str) -> Result<u16, UriError> {
    if text.is_empty() {
        return Err(UriError::BadPort);
    }
    text.bytes().try_fold(0u16, |acc, b| {
        let digit = (b as char).to_digit(10).ok_or(UriError::BadPort)?;
        acc.checked_mul(10).and_then(|v| v.checked_add(digit as u16)).ok_or(UriError::BadPort)
    })
}

/// `IPv4address` = four groups of 1 to 3 digits, each at most 255 (RFC 3261 §25.1).
fn parse_ipv4(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let (mut index, mut value, mut digits) = (0usize, 0u16, 0u8);
    for b in text.bytes() {
        match b {
            b'0'..=b'9' if digits < 3 => {
                value = value * 10 + u16::from(b - b'0');
                digits += 1;
            }
            b'.' if digits > 0 && index < 3 => {
                octets[index] = u8::try_from(value).ok()?;
                (index, value, digits) = (index + 1, 0, 0);
            }
            _ => return None,
        }
    }
    (index == 3 && digits > 0).then_some(())?;
    octets[3] = u8::try_from(value).ok()?;
    Some(Ipv4Addr::from(octets))
}

/// Longest IPv6 text we try to repair without allocating (the longest valid form is 45 bytes).
const MAX_IPV6_TEXT: usize = 64;

/// Parses the text inside `[` `]`, tolerating one `:::` as `::` (RFC 5118 §4.10). Never allocates.
pub(crate) fn parse_ipv6(text: &str) -> Option<Ipv6Addr> {
    if let Ok(addr) = text.parse() {
        return Some(addr);
    }
    let at = text.find(":::")?;
    if text.len() > MAX_IPV6_TEXT {
        return None;
    }
    let mut buf = [0u8; MAX_IPV6_TEXT];
    let (head, tail) = (&text.as_bytes()[..at], &text.as_bytes()[at + 1..]);
    buf[..head.len()].copy_from_slice(head);
    buf[head.len()..head.len() + tail.len()].copy_from_slice(tail);
    std::str::from_utf8(&buf[..head.len() + tail.len()]).ok()?.parse().ok()
}

/// Bytes of a hostname label: alphanumerics, `-`, and (tolerated) `_`.
const HOSTNAME: [bool; 256] = crate::grammar::byte_table(b"-_");

/// `hostname` (RFC 3261 §25.1), tolerating `_`: non-empty labels of alphanumerics, `-` and
/// `_`, not starting or ending with `-`, an optional final `.`, and a last label that is not
/// all digits (so that a malformed IPv4 address is not taken for a name).
fn is_hostname(text: &str) -> bool {
    let name = text.as_bytes();
    let name = name.strip_suffix(b".").unwrap_or(name);
    let (mut label_start, mut last_all_digits) = (0usize, true);
    for (i, &b) in name.iter().enumerate().chain(std::iter::once((name.len(), &b'.'))) {
        if b == b'.' {
            let label = &name[label_start..i];
            if label.is_empty() || label[0] == b'-' || label[label.len() - 1] == b'-' {
                return false;
            }
            last_all_digits = label.iter().all(u8::is_ascii_digit);
            label_start = i + 1;
        } else if !HOSTNAME[b as usize] {
            return false;
        }
    }
    !last_all_digits
}
