//! A file the server re-reads when it changes (the inventory, the MAC map), without a restart.
//!
//! Asked for its value, it looks at the file at most once per [`RELOAD_CHECK`]: when the bytes
//! differ from those last read it parses them; a file that no longer parses (an edit in
//! progress, a typo) is logged once and the last good version stays in use.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tracing::{error, info};

/// How often at most the file is looked at.
pub const RELOAD_CHECK: Duration = Duration::from_secs(1);

/// Why a file could not be loaded at start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError<E> {
    /// It cannot be read.
    #[error("cannot read: {0}")]
    Read(#[source] std::io::Error),
    /// It does not parse.
    #[error("{0}")]
    Parse(E),
}

/// A parsed file, re-read when it changes.
pub struct Reloading<T, E> {
    path: PathBuf,
    parse: fn(&str) -> Result<T, E>,
    state: Mutex<State<T>>,
}

struct State<T> {
    checked_at: Instant,
    /// SHA-256 of the bytes last read (good or bad), so that a bad version is logged once.
    digest: [u8; 32],
    value: Arc<T>,
}

impl<T, E: Display> Reloading<T, E> {
    /// Reads and parses the file now; errors stop the server from starting.
    pub fn load(path: &Path, parse: fn(&str) -> Result<T, E>, now: Instant) -> Result<Self, LoadError<E>> {
        let bytes = std::fs::read(path).map_err(LoadError::Read)?;
        let value = parse(&String::from_utf8_lossy(&bytes)).map_err(LoadError::Parse)?;
        let state = State { checked_at: now, digest: Sha256::digest(&bytes).into(), value: Arc::new(value) };
        Ok(Reloading { path: path.to_owned(), parse, state: Mutex::new(state) })
    }

    /// The current version, after looking at the file if the last look is [`RELOAD_CHECK`] old.
    pub fn current(&self, now: Instant) -> Arc<T> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if now.saturating_duration_since(state.checked_at) >= RELOAD_CHECK {
            state.checked_at = now;
            self.reread(&mut state);
        }
        Arc::clone(&state.value)
    }

    fn reread(&self, state: &mut State<T>) {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(problem) => {
                let digest: [u8; 32] = Sha256::digest(problem.to_string()).into();
                if digest != state.digest {
                    error!(path = %self.path.display(), %problem, "cannot read; keeping the last version");
                    state.digest = digest;
                }
                return;
            }
        };
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        if digest == state.digest {
            return;
        }
        state.digest = digest;
        match (self.parse)(&String::from_utf8_lossy(&bytes)) {
            Ok(value) => {
                info!(path = %self.path.display(), "changed: reloaded");
                state.value = Arc::new(value);
            }
            Err(problem) => {
                error!(path = %self.path.display(), %problem, "changed but invalid; keeping the last version")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_number(text: &str) -> Result<u32, std::num::ParseIntError> {
        text.trim().parse()
    }

    #[test]
    fn rereads_changes_at_most_once_a_second_and_keeps_the_last_good_version() {
        let dir = std::env::temp_dir().join(format!("hardphone-provision-reload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("number");
        std::fs::write(&path, "1").unwrap();
        let start = Instant::now();
        let file = Reloading::load(&path, parse_number, start).unwrap();
        std::fs::write(&path, "2").unwrap();
        assert_eq!(*file.current(start + Duration::from_millis(500)), 1, "not looked at yet");
        assert_eq!(*file.current(start + Duration::from_secs(1)), 2);
        std::fs::write(&path, "two").unwrap();
        assert_eq!(*file.current(start + Duration::from_secs(2)), 2, "a bad version is not taken");
        std::fs::write(&path, "3").unwrap();
        assert_eq!(*file.current(start + Duration::from_secs(3)), 3);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(*file.current(start + Duration::from_secs(4)), 3, "a vanished file keeps the last version");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(Reloading::load(&path, parse_number, start), Err(LoadError::Read(_))));
    }
}
