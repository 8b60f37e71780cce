//! The call history on disk: `<state_dir>/history.toml`, so that missed, received and dialed
//! calls survive a restart.
//!
//! [`load`] reads it at start (`phone::device::History::from_toml`); a file that does not read
//! back is renamed `history.toml.bad` (kept for a look, replaced by the next bad one), logged,
//! and the phone starts with an empty history. [`save`] writes it after each
//! `DeviceOutput::HistoryChanged`, atomically: the text goes to `history.toml.tmp`, is flushed
//! to the disk (fsync), and is renamed over `history.toml`, then the directory is synced, so a
//! power cut leaves the old history or the new one, never half of one.

use std::io::Write;
use std::path::{Path, PathBuf};

use phone::device::History;
use tracing::{info, warn};

/// The history file's name in the state directory.
pub const FILE_NAME: &str = "history.toml";

/// Where the history lives in `state_dir`.
pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(FILE_NAME)
}

/// The history kept in `state_dir`: empty when there is none yet, or when the file cannot be
/// read or does not parse (then it is renamed `history.toml.bad` and the reason logged).
pub fn load(state_dir: &Path) -> History {
    let file = path(state_dir);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return History::default(),
        Err(error) => {
            warn!(file = %file.display(), %error, "call history unreadable; starting with an empty one");
            set_aside(&file);
            return History::default();
        }
    };
    match History::from_toml(&text) {
        Ok(history) => {
            info!(file = %file.display(), calls = history.len(), "call history loaded");
            history
        }
        Err(error) => {
            warn!(file = %file.display(), %error, "call history corrupt; starting with an empty one");
            set_aside(&file);
            History::default()
        }
    }
}

/// Writes `history` to `state_dir` atomically (see the module docs), creating the directory
/// if needed.
pub fn save(state_dir: &Path, history: &History) -> std::io::Result<()> {
    let text = history.to_toml().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    std::fs::create_dir_all(state_dir)?;
    let file = path(state_dir);
    let temp = state_dir.join(format!("{FILE_NAME}.tmp"));
    {
        let mut out = std::fs::File::create(&temp)?;
        out.write_all(text.as_bytes())?;
        out.sync_all()?;
    }
    std::fs::rename(&temp, &file)?;
    // The rename itself is durable once the directory is synced.
    std::fs::File::open(state_dir)?.sync_all()
}

/// Renames a bad history file to `history.toml.bad`.
fn set_aside(file: &Path) {
    let bad = file.with_extension("toml.bad");
    if let Err(error) = std::fs::rename(file, &bad) {
        warn!(file = %file.display(), %error, "cannot set the bad call history aside");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phone::device::{HistoryEntry, HistoryKind};

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hardphone-history-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn entry(kind: HistoryKind, number: &str) -> HistoryEntry {
        HistoryEntry {
            kind,
            account: Some(0),
            name: "Ann".into(),
            number: number.into(),
            target: number.into(),
            time: 1_700_000_000,
            duration_secs: 42,
        }
    }

    #[test]
    fn a_saved_history_loads_back() {
        let dir = temp_dir("roundtrip");
        let mut history = History::default();
        history.push(entry(HistoryKind::Missed, "2001"));
        history.push(entry(HistoryKind::Dialed, "2002"));
        history.push(entry(HistoryKind::Received, "2003"));
        save(&dir, &history).expect("save");
        assert!(path(&dir).exists());
        assert!(!dir.join("history.toml.tmp").exists(), "the temporary file is renamed away");
        assert_eq!(load(&dir), history);
        history.push(entry(HistoryKind::Dialed, "2004"));
        save(&dir, &history).expect("save again");
        assert_eq!(load(&dir).len(), 4);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn no_file_is_an_empty_history() {
        let dir = temp_dir("none");
        assert!(load(&dir).is_empty());
    }

    #[test]
    fn a_corrupt_file_is_set_aside_and_the_history_starts_empty() {
        let dir = temp_dir("corrupt");
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(path(&dir), "[[call]]\nkind = \"exploded\"\n").expect("write");
        assert!(load(&dir).is_empty());
        assert!(!path(&dir).exists());
        let bad = std::fs::read_to_string(dir.join("history.toml.bad")).expect("the bad file is kept");
        assert!(bad.contains("exploded"));
        // The next save starts a good file again.
        let mut history = History::default();
        history.push(entry(HistoryKind::Missed, "2001"));
        save(&dir, &history).expect("save");
        assert_eq!(load(&dir), history);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
