//! The call history: missed, received and dialed calls, newest kept, with wall-clock times.
//!
//! The device only keeps it in memory; the edge persists it: after
//! [`super::DeviceOutput::HistoryChanged`] it writes [`History::to_toml`] to a file, and at start
//! reads it back with [`History::from_toml`] and hands it to [`super::Device::new`].

use serde::{Deserialize, Serialize};

/// How many calls the history keeps by default.
pub const DEFAULT_HISTORY_SIZE: usize = 100;

/// What kind of call a [`HistoryEntry`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HistoryKind {
    /// An incoming call that was not answered here: it rang out, was cancelled, refused (the
    /// Reject key, do-not-disturb, busy) or forwarded.
    Missed,
    /// An incoming call answered here.
    Received,
    /// A call placed here.
    Dialed,
}

impl HistoryKind {
    /// The word the screen shows.
    pub fn label(self) -> &'static str {
        match self {
            HistoryKind::Missed => "Missed",
            HistoryKind::Received => "Received",
            HistoryKind::Dialed => "Dialed",
        }
    }
}

/// One call in the [`History`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Missed, received or dialed.
    pub kind: HistoryKind,
    /// The account (its index in `Config::accounts`), when the call had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<usize>,
    /// The far end's display name, or empty.
    #[serde(default)]
    pub name: String,
    /// The far end's number (or user name) as the screen shows it.
    pub number: String,
    /// What to dial to call back: the number as typed for a dialed call, the far end's URI
    /// for an incoming one.
    pub target: String,
    /// When the call started, in seconds since the Unix epoch; 0 when the clock was unknown.
    #[serde(default)]
    pub time: u64,
    /// How long the call was connected, in seconds (0 when it never was).
    #[serde(default)]
    pub duration_secs: u64,
}

impl HistoryEntry {
    /// `Name <number>`, or the number alone.
    pub fn display(&self) -> String {
        super::screen::party(&self.name, &self.number)
    }
}

/// Why a history text did not read back.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The text is not a history.
    #[error("history: {0}")]
    Read(#[from] toml::de::Error),
    /// The history could not be written (a value TOML cannot hold).
    #[error("history: {0}")]
    Write(#[from] toml::ser::Error),
}

/// The call history, oldest first, at most [`History::capacity`] calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    #[serde(default, rename = "call")]
    entries: Vec<HistoryEntry>,
    #[serde(skip, default = "default_capacity")]
    capacity: usize,
}

fn default_capacity() -> usize {
    DEFAULT_HISTORY_SIZE
}

impl Default for History {
    fn default() -> History {
        History::new(DEFAULT_HISTORY_SIZE)
    }
}

impl History {
    /// An empty history keeping at most `capacity` calls (at least one).
    pub fn new(capacity: usize) -> History {
        History { entries: Vec::new(), capacity: capacity.max(1) }
    }

    /// How many calls it keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Keeps at most `capacity` calls (at least one) from now on, forgetting the oldest.
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        self.trim();
    }

    /// Records a call, forgetting the oldest beyond the capacity.
    pub fn push(&mut self, entry: HistoryEntry) {
        self.entries.push(entry);
        self.trim();
    }

    /// Every call, oldest first.
    pub fn entries(&self) -> &[HistoryEntry] {
        &self.entries
    }

    /// Every call, newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &HistoryEntry> {
        self.entries.iter().rev()
    }

    /// The calls of one kind, newest first.
    pub fn of_kind(&self, kind: HistoryKind) -> impl Iterator<Item = &HistoryEntry> {
        self.newest_first().filter(move |e| e.kind == kind)
    }

    /// The target of the last call dialed on `account`.
    pub fn last_dialed(&self, account: usize) -> Option<&str> {
        self.of_kind(HistoryKind::Dialed).find(|e| e.account == Some(account)).map(|e| e.target.as_str())
    }

    /// How many calls it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets every call.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The history as TOML, one `[[call]]` table per call, oldest first.
    pub fn to_toml(&self) -> Result<String, HistoryError> {
        Ok(toml::to_string(self)?)
    }

    /// Reads a history written by [`History::to_toml`], keeping the newest
    /// [`DEFAULT_HISTORY_SIZE`] calls (the device applies its own size).
    pub fn from_toml(text: &str) -> Result<History, HistoryError> {
        let mut history: History = toml::from_str(text)?;
        history.trim();
        Ok(history)
    }

    fn trim(&mut self) {
        let excess = self.entries.len().saturating_sub(self.capacity);
        self.entries.drain(..excess);
    }
}
