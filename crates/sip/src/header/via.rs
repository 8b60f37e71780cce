//! The Via header (RFC 3261 §20.42, §18.2.1; RFC 3581 rport; RFC 5118 §4.5).

use std::fmt;
use std::net::IpAddr;

use crate::error::HeaderFault;
use crate::grammar::{is_token_byte, Cursor};
use crate::header::params::SeenNames;
use crate::header::{Params, TypedHeader};
use crate::name::HeaderName;
use crate::uri::Host;

/// The magic cookie that starts every RFC 3261 branch (RFC 3261 §8.1.1.7).
pub const BRANCH_MAGIC_COOKIE: &str = "z9hG4bK";

/// One Via value: `sent-protocol LWS sent-by *( SEMI via-params )`.
///
/// LWS is allowed around the slashes of the sent-protocol and around the colon of the sent-by
/// (RFC 3261 §25.1 `SLASH`, `COLON`), as RFC 4475 §3.1.1.1 exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// `protocol-name`, normally `SIP`.
    pub protocol: &'a str,
    /// `protocol-version`, normally `2.0`.
    pub version: &'a str,
    /// `transport`: `UDP`, `TCP`, `TLS`, `SCTP`, `WS`, `WSS`, or any token (RFC 4475
    /// §3.1.1.10: an unknown transport is still a valid Via).
    pub transport: &'a str,
    /// The host of `sent-by`.
    pub host: Host<'a>,
    /// The port of `sent-by`, when written.
    pub port: Option<u16>,
    /// The `via-params`.
    pub params: Params<'a>,
}

impl<'a> Via<'a> {
    /// The `branch` parameter (RFC 3261 §20.42).
    pub fn branch(&self) -> Option<&'a str> {
        self.params.get("branch").flatten()
    }

    /// True when the branch starts with the magic cookie and has something after it, so that
    /// transactions may be matched by branch (RFC 3261 §17.2.3). RFC 4475 §3.2.1: a branch of
    /// the bare cookie is not an RFC 3261 branch.
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| b.len() > BRANCH_MAGIC_COOKIE.len() && b.starts_with(BRANCH_MAGIC_COOKIE))
    }

    /// The `received` parameter as an address (RFC 3261 §18.2.1). IPv6 is accepted with or
    /// without `[ ]` (RFC 5118 §4.5).
    pub fn received(&self) -> Option<IpAddr> {
        parse_received(self.params.get("received").flatten()?)
    }

    /// The `rport` parameter (RFC 3581 §4): `Some(None)` when present without a value (as a
    /// client sends it), `Some(Some(port))` when filled in by the server.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params.get("rport").map(|v| v.and_then(|p| p.parse().ok()))
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&'a str> {
        self.params.get("maddr").flatten()
    }

    /// The `ttl` parameter (0..=255).
    pub fn ttl(&self) -> Option<u8> {
        self.params.get("ttl").flatten().and_then(|t| t.parse().ok())
    }
}

/// Checks one via-param as RFC 3261 §25.1 says: `ttl` is 0..=255, `received` an address,
/// `rport` empty or a port, `branch` and `maddr` have values.
fn check_param(name: &str, value: Option<&str>) -> Result<(), HeaderFault> {
    let is = |known: &str| name.eq_ignore_ascii_case(known);
    let ok = if is("branch") || is("maddr") {
        value.is_some()
    } else if is("received") {
        value.is_some_and(|r| parse_received(r).is_some())
    } else if is("rport") {
        value.is_none_or(|p| p.parse::<u16>().is_ok())
    } else if is("ttl") {
        value.is_some_and(|t| t.len() <= 3 && t.parse::<u8>().is_ok())
    } else {
        true
    };
    if ok {
        Ok(())
    } else {
        Err(HeaderFault::BadParam)
    }
}

/// A `received` value: IPv4, or IPv6 with or without `[ ]` (RFC 5118 §4.5).
fn parse_received(raw: &str) -> Option<IpAddr> {
    let bare = raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(raw);
    bare.parse().ok()
}

impl<'a> TypedHeader<'a> for Via<'a> {
    const NAME: HeaderName = HeaderName::Via;
    const LIST: bool = true;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        let mut cursor = Cursor::new(value);
        cursor.skip_lws();
        let protocol = cursor.token().ok_or(HeaderFault::BadProtocol)?;
        let version = cursor.eat_separator(b'/').then(|| cursor.token()).flatten().ok_or(HeaderFault::BadProtocol)?;
        let transport = cursor.eat_separator(b'/').then(|| cursor.token()).flatten().ok_or(HeaderFault::BadProtocol)?;
        if !cursor.skip_lws() {
            return Err(HeaderFault::BadProtocol);
        }
        let (host, port) = read_sent_by(&mut cursor)?;
        let mut seen = SeenNames::default();
        let params = Params::read_checked(&mut cursor, |name, value| {
            check_param(name, value)?;
            seen.insert(name)
        })?;
        seen.finish()?;
        cursor.skip_lws();
        if !cursor.is_empty() {
            return Err(HeaderFault::TrailingText);
        }
        Ok(Via { protocol, version, transport, host, port, params })
    }
}

/// `sent-by = host [ COLON port ]`.
fn read_sent_by<'a>(cursor: &mut Cursor<'a>) -> Result<(Host<'a>, Option<u16>), HeaderFault> {
    let start = cursor.pos();
    if cursor.peek() == Some(b'[') {
        cursor.take_while(|b| b != b']' && b != b';' && !b.is_ascii_whitespace());
        if !cursor.eat(b']') {
            return Err(HeaderFault::BadHostPort);
        }
    } else {
        cursor.take_while(|b| is_token_byte(b) && b != b'%').ok_or(HeaderFault::BadHostPort)?;
    }
    let host_text = cursor.text().get(start..cursor.pos()).ok_or(HeaderFault::BadHostPort)?;
    let host = Host::parse(host_text).map_err(|_| HeaderFault::BadHostPort)?;
    let port = if cursor.eat_separator(b':') {
        let digits = cursor.take_while(|b| b.is_ascii_digit()).ok_or(HeaderFault::BadHostPort)?;
        Some(digits.parse().map_err(|_| HeaderFault::BadHostPort)?)
    } else {
        None
    };
    Ok((host, port))
}

impl fmt::Display for Via<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{} {}", self.protocol, self.version, self.transport, self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        f.write_str(self.params.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    #[test]
    fn folded_and_spaced_via_from_rfc4475_wsinv() {
        let via = Via::parse("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw").unwrap();
        assert_eq!((via.protocol, via.version, via.transport), ("SIP", "2.0", "UDP"));
        assert_eq!(via.host.to_string(), "192.0.2.2");
        assert_eq!(via.branch(), Some("390skdjuw"));
        assert!(!via.has_rfc3261_branch());
        let via = Via::parse("SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8").unwrap();
        assert_eq!(via.branch(), Some("z9hG4bK9ikj8"));
        assert!(via.has_rfc3261_branch());
    }

    #[test]
    fn rport_received_and_ipv6_forms() {
        let via = Via::parse("SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111").unwrap();
        assert_eq!(via.host, Host::V6("2001:db8::9:1".parse::<Ipv6Addr>().unwrap()));
        assert_eq!(via.received(), Some("2001:db8::9:255".parse().unwrap()));
        let via = Via::parse("SIP/2.0/UDP [2001:db8::9:1]:5070;received=2001:db8::9:255;rport").unwrap();
        assert_eq!(via.port, Some(5070));
        assert_eq!(via.received(), Some("2001:db8::9:255".parse().unwrap()));
        assert_eq!(via.rport(), Some(None));
        let via = Via::parse("SIP/2.0/UDP 10.0.0.1 : 5060 ;rport=61000;received=192.0.2.9").unwrap();
        assert_eq!((via.port, via.rport()), (Some(5060), Some(Some(61000))));
    }

    #[test]
    fn malformed_vias_are_precise_faults() {
        assert_eq!(Via::parse("SIP/2.0/UDP 192.0.2.15;;"), Err(HeaderFault::BadParam));
        assert_eq!(Via::parse("SIP/2.0 192.0.2.15"), Err(HeaderFault::BadProtocol));
        assert_eq!(Via::parse("SIP/2.0/UDP"), Err(HeaderFault::BadProtocol));
        assert_eq!(Via::parse("SIP/2.0/UDP h;branch=a;branch=b"), Err(HeaderFault::DuplicateParam));
        assert_eq!(Via::parse("SIP/2.0/UDP h;ttl=300"), Err(HeaderFault::BadParam));
        assert_eq!(Via::parse("SIP/2.0/UDP h:99999"), Err(HeaderFault::BadHostPort));
        assert_eq!(Via::parse("SIP/2.0/UDP h x"), Err(HeaderFault::TrailingText));
    }

    #[test]
    fn many_params_still_checked_for_repeats_and_values() {
        let many: String = (0..20).map(|i| format!(";p{i}=1")).collect();
        assert!(Via::parse(&format!("SIP/2.0/UDP h{many}")).is_ok());
        assert_eq!(Via::parse(&format!("SIP/2.0/UDP h{many};P3=2")), Err(HeaderFault::DuplicateParam));
        assert_eq!(Via::parse(&format!("SIP/2.0/UDP h{many};p19=2")), Err(HeaderFault::DuplicateParam));
        assert_eq!(Via::parse(&format!("SIP/2.0/UDP h{many};ttl=300")), Err(HeaderFault::BadParam));
    }

    #[test]
    fn thousands_of_params_are_checked_without_quadratic_work() {
        // A hostile 16 KiB Via: every name distinct parses; a repeat far apart is found.
        let many: String = (0..4000).map(|i| format!(";p{i}")).collect();
        assert!(Via::parse(&format!("SIP/2.0/UDP h{many}")).is_ok());
        assert_eq!(Via::parse(&format!("SIP/2.0/UDP h{many};P3999")), Err(HeaderFault::DuplicateParam));
        assert_eq!(Via::parse(&format!("SIP/2.0/UDP h;p2000{many}")), Err(HeaderFault::DuplicateParam));
    }

    #[test]
    fn display_round_trips() {
        for text in ["SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bK1;rport", "SIP/2.0/TLS [2001:db8::1];received=192.0.2.1"]
        {
            let via = Via::parse(text).unwrap();
            assert_eq!(via.to_string(), text);
            assert_eq!(Via::parse(&via.to_string()).unwrap(), via);
        }
    }
}
