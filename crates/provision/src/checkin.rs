//! Check-ins: each phone's last fetch of its own file (address, User-Agent, the hash of the
//! configuration it runs, time), kept in memory and optionally in a JSON state file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::hash::is_config_hash;
use crate::mac::Mac;

/// Longest User-Agent kept (longer ones are cut).
const MAX_USER_AGENT: usize = 256;

/// One phone's last check-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIn {
    /// The client address it came from.
    pub address: String,
    /// Its User-Agent (cut at 256 characters).
    pub user_agent: String,
    /// The model named in the User-Agent, when it is a usable model name.
    pub model: Option<String>,
    /// The `X-Hardphone-Config-Hash` it sent, when well formed.
    pub hash: Option<String>,
    /// When, in seconds since the Unix epoch.
    pub time: u64,
}

impl CheckIn {
    /// A check-in from the request's parts; malformed headers leave their field empty.
    pub fn new(address: String, user_agent: Option<&str>, hash: Option<&str>, time: u64) -> CheckIn {
        let user_agent: String = user_agent.unwrap_or("").chars().take(MAX_USER_AGENT).collect();
        let model = model_of_user_agent(&user_agent);
        let hash = hash.map(str::trim).filter(|hash| is_config_hash(hash)).map(str::to_owned);
        CheckIn { address, user_agent, model, hash, time }
    }
}

/// The model of a `Hardphone/<version> (<model>; <mac>)` User-Agent, when it is a usable model
/// name (see [`is_model_name`]).
pub fn model_of_user_agent(user_agent: &str) -> Option<String> {
    let rest = user_agent.strip_prefix("Hardphone/")?;
    let inside = rest.split_once('(')?.1.split_once(')')?.0;
    let model = inside.split(';').next()?.trim();
    is_model_name(model).then(|| model.to_owned())
}

/// Whether a model name may name a file: 1 to 64 of letters, digits, `.`, `_`, `-`, not
/// starting with a dot (no `..`, no hidden files, no path separators).
pub fn is_model_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// Every phone's last check-in, by MAC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIns {
    phones: BTreeMap<Mac, CheckIn>,
}

/// A state file that cannot be used.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not the JSON this server writes.
    #[error("not a check-in state file: {0}")]
    Json(#[from] serde_json::Error),
}

impl CheckIns {
    /// Records a check-in, replacing the phone's previous one.
    pub fn record(&mut self, mac: Mac, check_in: CheckIn) {
        self.phones.insert(mac, check_in);
    }

    /// A phone's last check-in.
    pub fn get(&self, mac: &Mac) -> Option<&CheckIn> {
        self.phones.get(mac)
    }

    /// Reads the state file; a missing file is no check-ins yet.
    pub fn load(path: &Path) -> Result<CheckIns, StateFileError> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes)?),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(CheckIns::default()),
            Err(error) => Err(error.into()),
        }
    }

    /// Writes the state file atomically.
    pub fn save(&self, path: &Path) -> Result<(), StateFileError> {
        let bytes = serde_json::to_vec_pretty(self)?;
        write_atomically(path, &bytes)?;
        Ok(())
    }
}

pub use phone::config::write_atomically;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_model() {
        let model = |ua: &str| model_of_user_agent(ua);
        assert_eq!(model("Hardphone/0.1.0 (desk-2; 001122334455)").as_deref(), Some("desk-2"));
        assert_eq!(model("Hardphone/0.1.0 (HP.200_b)").as_deref(), Some("HP.200_b"));
        assert_eq!(model("Hardphone/0.1.0 (../../etc; 001122334455)"), None);
        assert_eq!(model("Hardphone/0.1.0 (a/b; 001122334455)"), None);
        assert_eq!(model("Hardphone/0.1.0"), None);
        assert_eq!(model("curl/8.0 (desk; x)"), None);
    }

    #[test]
    fn malformed_headers_leave_fields_empty() {
        let hash = "ab".repeat(32);
        let check_in = CheckIn::new("192.0.2.1".into(), Some("Hardphone/1 (m; x)"), Some(&hash), 5);
        assert_eq!((check_in.model.as_deref(), check_in.hash.as_deref()), (Some("m"), Some(hash.as_str())));
        let check_in = CheckIn::new("192.0.2.1".into(), Some(&"x".repeat(1000)), Some("ABCD"), 5);
        assert_eq!(check_in.user_agent.len(), 256);
        assert_eq!(check_in.hash, None);
    }

    #[test]
    fn state_file_round_trip() {
        let dir = std::env::temp_dir().join(format!("hardphone-provision-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("checkins.json");
        assert_eq!(CheckIns::load(&path).unwrap(), CheckIns::default(), "no file yet");
        let mut check_ins = CheckIns::default();
        let mac = Mac::parse("001122334455").unwrap();
        check_ins.record(mac, CheckIn::new("192.0.2.1".into(), Some("Hardphone/1 (m; x)"), None, 7));
        check_ins.save(&path).unwrap();
        assert_eq!(CheckIns::load(&path).unwrap(), check_ins);
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(CheckIns::load(&path), Err(StateFileError::Json(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
