//! The configuration hash phone and server both compute, to tell whether a phone runs the
//! configuration the server would serve it now.

/// The SHA-256, as 64 lower-case hex digits, over the three provisioned layers in order
/// (common, model, the phone's own file): for each, its length in bytes as 8 bytes big-endian,
/// then its bytes. A layer that is not there (a 404) counts as empty: length 0, no bytes.
///
/// The phone sends it as `X-Hardphone-Config-Hash` over the layers it runs; a check-in is
/// "on the latest config" when it equals this over what the server would serve that phone now.
/// The vectors are in docs/PROVISION-SERVER.md.
pub fn config_hash(common: &[u8], model: &[u8], mac: &[u8]) -> String {
    phone::provisioning::config_hash([common, model, mac])
}

/// Whether `text` has the form of a hash: 64 lower-case hex digits.
pub fn is_config_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectors of docs/PROVISION-SERVER.md (computed independently with Python's hashlib).
    #[test]
    fn documented_vectors() {
        assert_eq!(config_hash(b"", b"", b""), "9d908ecfb6b256def8b49a7c504e6c889c4b0e41fe6ce3e01863dd7b61a20aa0");
        let common = b"[sip]\nkeepalive_secs = 30\n";
        let mac =
            b"[[accounts]]\nlabel = \"1001\"\nserver = \"pbx.example.com\"\nuser = \"1001\"\npassword = \"secret\"\n";
        assert_eq!(config_hash(common, b"", mac), "d0f94e27d8c769e4f1ed67b34eb6811b38b73d3093fa327ae43cffedb1a5961d");
    }

    #[test]
    fn layer_boundaries_matter() {
        assert_ne!(config_hash(b"ab", b"", b""), config_hash(b"a", b"b", b""));
        assert_ne!(config_hash(b"", b"x", b""), config_hash(b"", b"", b"x"));
        assert!(is_config_hash(&config_hash(b"a", b"b", b"c")));
        assert!(!is_config_hash("ABC"));
    }
}
