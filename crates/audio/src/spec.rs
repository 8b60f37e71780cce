//! Device strings from the `[audio]` configuration table.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::AudioError;

/// Which sound device to open, as written in the configuration.
///
/// | string                 | device                                                          |
/// |------------------------|-----------------------------------------------------------------|
/// | `null`                 | [`DeviceSpec::Null`]: silence in, audio discarded, real time    |
/// | `file:PATH`            | [`DeviceSpec::File`]: WAV microphone (looped) or WAV speaker    |
/// | `alsa:NAME`            | [`DeviceSpec::Alsa`] named `NAME`, even `null` or `file:…`      |
/// | anything else          | [`DeviceSpec::Alsa`]: `default`, `hw:1,0`, `plughw:CARD=Headset`|
///
/// Parsing is plain [`FromStr`] (no serde), so the configuration holds strings and parses them
/// when it opens devices. [`fmt::Display`] writes the string back so that it parses to the same
/// spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeviceSpec {
    /// No device: capture gives silence, playback discards, both at real time.
    Null,
    /// A WAV file: read and looped as a microphone, or written by a speaker.
    File(PathBuf),
    /// An ALSA PCM name.
    Alsa(String),
}

impl DeviceSpec {
    /// The system's default ALSA device.
    pub fn default_alsa() -> Self {
        DeviceSpec::Alsa("default".to_owned())
    }
}

impl Default for DeviceSpec {
    /// `default`, the system's default ALSA device.
    fn default() -> Self {
        Self::default_alsa()
    }
}

impl FromStr for DeviceSpec {
    type Err = AudioError;

    fn from_str(s: &str) -> Result<Self, AudioError> {
        let invalid = |reason| Err(AudioError::InvalidSpec { spec: s.to_owned(), reason });
        if s.contains('\0') {
            return invalid("contains a NUL byte");
        }
        if s == "null" {
            return Ok(DeviceSpec::Null);
        }
        if let Some(path) = s.strip_prefix("file:") {
            if path.is_empty() {
                return invalid("`file:` needs a path, e.g. file:/tmp/mic.wav");
            }
            return Ok(DeviceSpec::File(PathBuf::from(path)));
        }
        let name = s.strip_prefix("alsa:").unwrap_or(s);
        if name.trim().is_empty() {
            return invalid("empty device name (use `null` for no device, `default` for the default ALSA device)");
        }
        if name.trim() != name {
            return invalid("leading or trailing whitespace in the device name");
        }
        Ok(DeviceSpec::Alsa(name.to_owned()))
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSpec::Null => f.write_str("null"),
            DeviceSpec::File(path) => write!(f, "file:{}", path.display()),
            DeviceSpec::Alsa(name) if name == "null" || name.starts_with("file:") || name.starts_with("alsa:") => {
                write!(f, "alsa:{name}")
            }
            DeviceSpec::Alsa(name) => f.write_str(name),
        }
    }
}
