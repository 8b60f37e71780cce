//! Small pieces of the RFC 8866 §9 grammar shared by the parser and the attribute readers.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{Field, ParseFault};
use crate::model::Connection;

/// RFC 8866 §9 `token-char`.
pub(crate) fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`{|}~".contains(c)
}

/// RFC 8866 §9 `token`: one or more token characters.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// RFC 8866 §9 `non-ws-string`: visible characters (and non-ASCII), at least one.
pub(crate) fn is_non_ws(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| !c.is_ascii() || c.is_ascii_graphic())
}

/// A decimal number of ASCII digits only (no sign, no spaces) that fits `u64`.
pub(crate) fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.bytes().try_fold(0u64, |acc, b| acc.checked_mul(10)?.checked_add(u64::from(b - b'0')))
}

/// A decimal number that fits the target integer type.
pub(crate) fn decimal_as<T: TryFrom<u64>>(s: &str) -> Option<T> {
    decimal(s).and_then(|v| T::try_from(v).ok())
}

/// A positive number of milliseconds written as RFC 8866 §9 `non-zero-int-or-real`; a fraction is
/// dropped (`20.5` reads as 20), so values below 1 ms are refused.
pub(crate) fn millis(s: &str) -> Option<u32> {
    let (whole, fraction) = match s.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (s, None),
    };
    if let Some(fraction) = fraction {
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    decimal_as::<u32>(whole).filter(|&ms| ms > 0)
}

/// RFC 8866 §9 `FQDN` characters (letters, digits, `-`, `.`), but not an all-numeric dotted
/// string, which must be a valid IPv4 address instead.
fn is_host_name(s: &str) -> bool {
    let all_numeric = s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    !s.is_empty() && !all_numeric && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Whether `address` is acceptable as a unicast address of `addr_type` (RFC 8866 §9
/// `unicast-address`): an IP literal of the right family or a host name for `IP4`/`IP6`, any
/// non-whitespace string for other address types.
pub(crate) fn valid_unicast(addr_type: &str, address: &str) -> bool {
    match addr_type {
        "IP4" => address.parse::<Ipv4Addr>().is_ok() || is_host_name(address),
        "IP6" => address.parse::<Ipv6Addr>().is_ok() || is_host_name(address),
        _ => is_non_ws(address),
    }
}

/// Reads `<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7), splitting the multicast
/// TTL (`IP4` only) and number of addresses off the address.
pub(crate) fn connection(net_type: &str, addr_type: &str, field: &str) -> Result<Connection, ParseFault> {
    if !is_token(net_type) {
        return Err(ParseFault::Invalid(Field::NetType));
    }
    if !is_token(addr_type) {
        return Err(ParseFault::Invalid(Field::AddrType));
    }
    let mut connection = Connection {
        net_type: net_type.to_owned(),
        addr_type: addr_type.to_owned(),
        address: field.to_owned(),
        ttl: None,
        address_count: None,
    };
    let mut parts = field.split('/');
    let address = parts.next().unwrap_or_default();
    match addr_type {
        "IP4" => {
            connection.ttl =
                parts.next().map(|t| decimal_as::<u8>(t).ok_or(ParseFault::Invalid(Field::Ttl))).transpose()?;
            connection.address_count = parts.next().map(address_count).transpose()?;
        }
        "IP6" => connection.address_count = parts.next().map(address_count).transpose()?,
        _ => return Ok(connection),
    }
    if parts.next().is_some() {
        return Err(ParseFault::Invalid(Field::AddressCount));
    }
    if !valid_unicast(addr_type, address) {
        return Err(ParseFault::Invalid(Field::Address));
    }
    connection.address = address.to_owned();
    Ok(connection)
}

fn address_count(s: &str) -> Result<u32, ParseFault> {
    decimal_as::<u32>(s).filter(|&n| n > 0).ok_or(ParseFault::Invalid(Field::AddressCount))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_rejects_signs_and_overflow() {
        assert_eq!(decimal("0"), Some(0));
        assert_eq!(decimal("18446744073709551615"), Some(u64::MAX));
        assert_eq!(decimal("18446744073709551616"), None);
        assert_eq!(decimal("+1"), None);
        assert_eq!(decimal(""), None);
        assert_eq!(decimal_as::<u8>("256"), None);
    }

    #[test]
    fn millis_accepts_reals_and_refuses_zero() {
        assert_eq!(millis("20"), Some(20));
        assert_eq!(millis("20.5"), Some(20));
        assert_eq!(millis("0"), None);
        assert_eq!(millis("0.5"), None);
        assert_eq!(millis("2x"), None);
    }

    #[test]
    fn connection_splits_multicast_suffixes() {
        let c = connection("IN", "IP4", "233.252.0.1/127/3").unwrap();
        assert_eq!((c.address.as_str(), c.ttl, c.address_count), ("233.252.0.1", Some(127), Some(3)));
        let c = connection("IN", "IP6", "ff00::db8:0:101/3").unwrap();
        assert_eq!((c.address.as_str(), c.ttl, c.address_count), ("ff00::db8:0:101", None, Some(3)));
        assert!(connection("IN", "IP4", "999.1.1.1").is_err());
        assert!(connection("IN", "IP4", "2001:db8::1").is_err());
        assert!(connection("IN", "IP4", "1.2.3.4/300").is_err());
        assert!(connection("IN", "IP6", "::1/1/1").is_err());
        assert!(connection("IN", "IP4", "host.example.com").is_ok());
    }
}
