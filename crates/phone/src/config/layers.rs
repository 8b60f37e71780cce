//! The configuration as layers: each a TOML table, merged in order, lowest first. The running
//! phone's layers are: built-in defaults → the `--config` file → provisioned common → provisioned
//! model → provisioned `<mac>.toml` → changes made on the device (docs/PROVISIONING.md).
//!
//! A layer is checked for TOML syntax only; the merged result is checked as a whole
//! ([`Config::from_layers`]), so a layer may hold part of an account (a new password) that only
//! makes sense on top of the layers below it.

use std::io::Write as _;
use std::path::Path;

use super::{Config, ConfigError};

/// One layer: a TOML table.
pub type Layer = toml::Table;

/// Parses one layer's text (TOML syntax only; the merged result is checked).
pub fn parse_layer(text: &str) -> Result<Layer, ConfigError> {
    Ok(text.parse::<Layer>()?)
}

/// Merges `over` into `base`: tables merge key by key, recursively; the `accounts` array merges
/// by `label` (an entry whose label matches an account of `base` merges into it, the others are
/// appended in order); any other value, arrays included, replaces the one below.
pub fn merge(base: &mut Layer, over: &Layer) {
    for (key, value) in over {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(below)), toml::Value::Table(above)) => merge(below, above),
            (Some(toml::Value::Array(below)), toml::Value::Array(above)) if key == "accounts" => {
                merge_accounts(below, above)
            }
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The `accounts` rule of [`merge`].
fn merge_accounts(below: &mut Vec<toml::Value>, above: &[toml::Value]) {
    for account in above {
        let label = account.get("label").and_then(toml::Value::as_str);
        let same = below.iter_mut().find(|b| label.is_some() && b.get("label").and_then(toml::Value::as_str) == label);
        match (same, account) {
            (Some(toml::Value::Table(b)), toml::Value::Table(a)) => merge(b, a),
            _ => below.push(account.clone()),
        }
    }
}

impl Config {
    /// Merges `layers` in order (lowest first) and reads and checks the result like
    /// [`Config::from_toml`].
    pub fn from_layers(layers: &[Layer]) -> Result<Config, ConfigError> {
        let mut merged = Layer::new();
        for layer in layers {
            merge(&mut merged, layer);
        }
        let config: Config = merged.try_into()?;
        config.check()?;
        Ok(config)
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed to
/// disk, renamed over `path`, then the directory flushed, so that a power cut leaves either
/// the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        // The rename itself is durable once the directory is (POSIX).
        std::fs::File::open(dir).and_then(|d| d.sync_all())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(text: &str) -> Layer {
        parse_layer(text).unwrap()
    }

    #[test]
    fn tables_merge_key_by_key_and_values_replace() {
        let mut base = layer("[sip]\nkeepalive_secs = 25\nuser_agent = \"a\"\n[audio]\nregion = \"us\"\n");
        merge(&mut base, &layer("[sip]\nkeepalive_secs = 40\n"));
        assert_eq!(base["sip"]["keepalive_secs"].as_integer(), Some(40));
        assert_eq!(base["sip"]["user_agent"].as_str(), Some("a"));
        assert_eq!(base["audio"]["region"].as_str(), Some("us"));
    }

    #[test]
    fn accounts_merge_by_label_and_new_labels_are_appended() {
        let mut base = layer(
            "[[accounts]]\nlabel = \"a\"\nserver = \"s\"\nuser = \"1\"\npassword = \"old\"\n\
             [[accounts]]\nlabel = \"b\"\nserver = \"s\"\nuser = \"2\"\n",
        );
        merge(&mut base, &layer("[[accounts]]\nlabel = \"b\"\npassword = \"new\"\n[[accounts]]\nlabel = \"c\"\n"));
        let accounts = base["accounts"].as_array().unwrap();
        assert_eq!(accounts.len(), 3);
        assert_eq!(accounts[0]["password"].as_str(), Some("old"));
        assert_eq!(accounts[1]["password"].as_str(), Some("new"));
        assert_eq!(accounts[1]["user"].as_str(), Some("2"));
        assert_eq!(accounts[2]["label"].as_str(), Some("c"));
    }

    #[test]
    fn other_arrays_replace() {
        let mut base = layer("[sip]\ntrusted = [\"10.0.0.1\", \"10.0.0.2\"]\n");
        merge(&mut base, &layer("[sip]\ntrusted = [\"10.0.0.3\"]\n"));
        assert_eq!(base["sip"]["trusted"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn the_merged_result_is_checked_as_a_whole() {
        let common = layer("[sip]\nkeepalive_secs = 30\n");
        let mac =
            layer("[[accounts]]\nlabel = \"desk\"\nserver = \"pbx.example\"\nuser = \"1001\"\npassword = \"p\"\n");
        let device = layer("[[accounts]]\nlabel = \"desk\"\npassword = \"changed\"\n");
        let config = Config::from_layers(&[common.clone(), mac.clone(), device]).unwrap();
        assert_eq!(config.sip.keepalive_secs, 30);
        assert_eq!(config.accounts[0].password.expose(), "changed");
        // A device layer alone is not a whole account: the error names the missing key.
        let alone = Config::from_layers(&[layer("[[accounts]]\nlabel = \"desk\"\n")]).unwrap_err();
        assert!(alone.to_string().contains("server"), "{alone}");
        let bad = Config::from_layers(&[mac, layer("[sip]\nkeepalive_secs = 1\n")]).unwrap_err();
        assert!(bad.to_string().contains("sip.keepalive_secs"), "{bad}");
    }

    #[test]
    fn write_atomically_replaces_the_file_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("hardphone-atomic-{}", std::process::id()));
        let path = dir.join("device.toml");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
