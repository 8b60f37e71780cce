//! What the phone keeps on disk between boots: today its instance identifier (RFC 5626 §4.1).

use std::io::Write;
use std::path::Path;

use phone::InstanceId;
use rand_core::RngCore;
use tracing::warn;

/// Why the phone's state could not be read or written.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The state file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The state file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The phone's instance identifier from `path`, or a new one written there (atomically: a
/// temporary file renamed over it, so a power cut leaves the old file or the new one, never half
/// of one). A file that is not an identifier is replaced, with a warning: the phone must keep
/// registering, and its old bindings expire on their own.
pub fn load_or_create_instance(path: &Path, rng: &mut impl RngCore) -> Result<InstanceId, StateError> {
    match std::fs::read_to_string(path) {
        Ok(text) => match InstanceId::parse(&text) {
            Ok(id) => return Ok(id),
            Err(error) => warn!(path = %path.display(), %error, "instance id file unusable, making a new one"),
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(StateError::Read { path: path.to_owned(), source }),
    }
    let id = InstanceId::generate(rng);
    write_atomically(path, format!("{id}\n").as_bytes())
        .map_err(|source| StateError::Write { path: path.to_owned(), source })?;
    Ok(id)
}

/// Writes `bytes` to `path` through a temporary file in the same directory, synced, then renamed.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}
