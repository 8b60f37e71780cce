//! A phone's MAC address, the key of everything the server serves.

use std::fmt;
use std::str::FromStr;

/// A MAC address, kept as the 12 lower-case hex digits the protocol uses (`001122aabbcc`): the
/// name of the phone's file (`001122aabbcc.toml`) and its HTTP Basic user name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mac([u8; 6]);

/// Text that is not a MAC address.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MacError {
    /// Not 12 hex digits (with or without `:`/`-` between the bytes).
    #[error("not a MAC address (12 hex digits, optionally separated by : or -): {0:?}")]
    Malformed(String),
}

impl Mac {
    /// The six bytes.
    pub fn octets(&self) -> [u8; 6] {
        self.0
    }

    /// Reads a MAC written as `001122aabbcc`, `00:11:22:AA:BB:CC` or `00-11-22-aa-bb-cc` (any
    /// case): the forms inventories and certificates use. Surrounding blanks are ignored.
    pub fn parse(text: &str) -> Result<Mac, MacError> {
        let malformed = || MacError::Malformed(text.chars().take(64).collect());
        let trimmed = text.trim();
        let digits: Vec<u8> = match trimmed.len() {
            12 => trimmed.bytes().collect(),
            17 => {
                let separator = trimmed.as_bytes()[2];
                if separator != b':' && separator != b'-' {
                    return Err(malformed());
                }
                let mut digits = Vec::with_capacity(12);
                for (i, byte) in trimmed.bytes().enumerate() {
                    if i % 3 == 2 {
                        if byte != separator {
                            return Err(malformed());
                        }
                    } else {
                        digits.push(byte);
                    }
                }
                digits
            }
            _ => return Err(malformed()),
        };
        let mut octets = [0u8; 6];
        for (octet, pair) in octets.iter_mut().zip(digits.chunks(2)) {
            let high = hex_value(pair[0]).ok_or_else(malformed)?;
            let low = hex_value(pair[1]).ok_or_else(malformed)?;
            *octet = high << 4 | low;
        }
        Ok(Mac(octets))
    }

    /// Reads exactly the protocol's form, 12 lower-case hex digits, as in a request path or a
    /// Basic user name (where `00:11:…` or capitals would be a second name for one phone).
    pub fn parse_canonical(text: &str) -> Option<Mac> {
        let canonical = text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if canonical {
            Mac::parse(text).ok()
        } else {
            None
        }
    }
}

fn hex_value(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|value| value as u8)
}

impl fmt::Display for Mac {
    /// The 12 lower-case hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for octet in self.0 {
            write!(f, "{octet:02x}")?;
        }
        Ok(())
    }
}

impl FromStr for Mac {
    type Err = MacError;
    fn from_str(text: &str) -> Result<Mac, MacError> {
        Mac::parse(text)
    }
}

impl serde::Serialize for Mac {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Mac {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Mac, D::Error> {
        let text = String::deserialize(deserializer)?;
        Mac::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_one_address() {
        let expected = Mac([0x00, 0x11, 0x22, 0xaa, 0xbb, 0xcc]);
        for text in ["001122aabbcc", "001122AABBCC", "00:11:22:aa:bb:cc", "00-11-22-AA-BB-CC", " 001122aabbcc "] {
            assert_eq!(Mac::parse(text), Ok(expected), "{text}");
        }
        assert_eq!(expected.to_string(), "001122aabbcc");
    }

    #[test]
    fn malformed_addresses() {
        for text in ["", "001122aabbc", "001122aabbccd", "00:11:22:aa:bb-cc", "00.11.22.aa.bb.cc", "00112g aabbcc"] {
            assert!(Mac::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn canonical_form_only_in_paths() {
        assert!(Mac::parse_canonical("001122aabbcc").is_some());
        assert!(Mac::parse_canonical("001122AABBCC").is_none());
        assert!(Mac::parse_canonical("00:11:22:aa:bb:cc").is_none());
        assert!(Mac::parse_canonical("../etc/passw").is_none());
    }
}
