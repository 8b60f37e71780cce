//! The phone's instance identifier (RFC 5626 §4.1): a `urn:uuid:` URN, made once from random
//! bits and kept for the life of the device, so that a registrar recognises a binding of ours
//! from before a reboot as ours (and can replace it instead of refusing a second contact).

use std::fmt;

use rand_core::RngCore;

/// A UUID URN (`urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6`, RFC 4122 §3), lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstanceId(String);

/// Why a stored instance identifier was refused.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InstanceIdError {
    /// Not `urn:uuid:` followed by 8-4-4-4-12 hexadecimal digits.
    #[error("not a urn:uuid: URN with 8-4-4-4-12 hex digits")]
    Malformed,
}

impl InstanceId {
    /// A new random (version 4) UUID URN from the caller's RNG (RFC 4122 §4.4). The edge seeds
    /// that RNG from the operating system, so two phones never share an identifier.
    pub fn generate(rng: &mut impl RngCore) -> InstanceId {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
        bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        InstanceId(format!("urn:uuid:{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]))
    }

    /// Reads a stored identifier (surrounding white space ignored; hex digits in any case, kept
    /// lower case).
    pub fn parse(text: &str) -> Result<InstanceId, InstanceIdError> {
        let text = text.trim();
        let uuid = text
            .get(..9)
            .filter(|prefix| prefix.eq_ignore_ascii_case("urn:uuid:"))
            .and_then(|_| text.get(9..))
            .ok_or(InstanceIdError::Malformed)?;
        let groups: Vec<&str> = uuid.split('-').collect();
        let lengths_ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12]);
        if !lengths_ok || !groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err(InstanceIdError::Malformed);
        }
        Ok(InstanceId(format!("urn:uuid:{}", uuid.to_ascii_lowercase())))
    }

    /// The URN, as it goes into `+sip.instance="<...>"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn generated_ids_are_version_4_and_parse_back() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let id = InstanceId::generate(&mut rng);
        let text = id.as_str();
        assert_eq!(text.len(), 45);
        assert_eq!(&text[23..24], "4", "version nibble: {text}");
        assert!(matches!(&text[28..29], "8" | "9" | "a" | "b"), "variant: {text}");
        assert_eq!(InstanceId::parse(text), Ok(id.clone()));
        assert_ne!(InstanceId::generate(&mut rng), id);
    }

    #[test]
    fn stored_ids_are_checked() {
        let ok = InstanceId::parse("  URN:UUID:F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6\n").unwrap();
        assert_eq!(ok.as_str(), "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
        for bad in [
            "",
            "urn:uuid:",
            "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
            "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf",
            "urn:uuid:g81d4fae-7dec-11d0-a765-00a0c91e6bf6",
            "urn:uuid:f81d4fae7dec-11d0-a765-00a0c91e6bf6",
        ] {
            assert_eq!(InstanceId::parse(bad), Err(InstanceIdError::Malformed), "{bad:?}");
        }
    }
}
