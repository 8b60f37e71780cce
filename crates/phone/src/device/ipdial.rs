//! Dialing an IP address from the keypad, as deskphones do: `*` stands for each dot and a fifth
//! group is the port (`192*168*1*10#`, `192*168*1*10*5062#`). The number is sent by `#` (or
//! OK, or Send), or by the inter-digit timeout once it is a whole address: it is never sent by
//! the digit map's short timeout, since `1` could still become `10` or `100`.

use std::net::Ipv4Addr;

use super::{DigitMap, MapMatch};

/// Where `digits` stand: the digit map's verdict, except that digits the map refuses but that
/// could become an IP address wait for more (with `direct_ip` on).
pub(super) fn classify(map: &DigitMap, direct_ip: bool, digits: &str) -> MapMatch {
    match map.classify(digits) {
        MapMatch::NoMatch if direct_ip && possible(digits) => MapMatch::Partial,
        found => found,
    }
}

/// True when `digits` (keys `0-9` and `*`) could still become an IP address to dial.
pub fn possible(digits: &str) -> bool {
    let groups: Vec<&str> = digits.split('*').collect();
    if groups.len() > 5 || groups[0].is_empty() {
        return false;
    }
    groups.iter().enumerate().all(|(i, group)| {
        let last = i + 1 == groups.len();
        (last || !group.is_empty()) && group_fits(i, group)
    })
}

/// The SIP URI `digits` dial when they are a whole address (`sip:192.168.1.10`,
/// `sip:192.168.1.10:5062`).
pub fn target(digits: &str) -> Option<String> {
    let groups: Vec<&str> = digits.split('*').collect();
    if !(4..=5).contains(&groups.len()) || groups.iter().any(|g| g.is_empty()) || !possible(digits) {
        return None;
    }
    let ip: Ipv4Addr = groups[..4].join(".").parse().ok()?;
    Some(match groups.get(4) {
        Some(port) => format!("sip:{ip}:{}", port.parse::<u16>().ok().filter(|p| *p > 0)?),
        None => format!("sip:{ip}"),
    })
}

/// `digits` as the screen shows them: dots for the stars of an address being typed.
pub fn shown(digits: &str) -> String {
    if digits.contains('*') && possible(digits) {
        let groups: Vec<&str> = digits.split('*').collect();
        match groups.split_at(groups.len().min(4)) {
            (ip, []) => ip.join("."),
            (ip, port) => format!("{}:{}", ip.join("."), port.join("")),
        }
    } else {
        digits.to_owned()
    }
}

/// Group `i` (0–3 an octet, 4 the port) can hold `group` or grow into a value it can hold.
fn group_fits(i: usize, group: &str) -> bool {
    if !group.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    match i {
        0..=3 => group.len() <= 3 && group.parse::<u32>().map_or(group.is_empty(), |v| v <= 255),
        _ => group.len() <= 5 && group.parse::<u32>().map_or(group.is_empty(), |v| v <= 65_535),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_recognised_as_they_are_typed() {
        for prefix in ["1", "19", "192", "192*", "192*168*1*1", "192*168*1*10*", "10*0*0*1*5062"] {
            assert!(possible(prefix), "{prefix}");
        }
        for never in ["", "2002", "256", "1**2", "*12", "1*2*3*4*5*6", "1*2*3*4*70000"] {
            assert!(!possible(never), "{never}");
        }
        assert_eq!(target("192*168*1*10").as_deref(), Some("sip:192.168.1.10"));
        assert_eq!(target("127*0*0*1*5062").as_deref(), Some("sip:127.0.0.1:5062"));
        assert_eq!(target("192*168*1"), None);
        assert_eq!(target("192*168*1*"), None);
        assert_eq!(shown("192*168*1*10*50"), "192.168.1.10:50");
        assert_eq!(shown("*12"), "*12");
    }
}
