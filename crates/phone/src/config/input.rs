//! The `[input]` table: Linux input devices (USB keypads, telephony handsets and headsets) read
//! as deskphone keys ([`crate::keymap`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::keymap::{KeyMap, KeyMapError};

/// The `[input]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct InputSettings {
    /// The evdev devices to read (`/dev/input/by-id/usb-…-event-kbd` names stay the same across
    /// reboots and ports). A device that is absent or unplugged is opened again when it returns.
    pub devices: Vec<PathBuf>,
    /// Key code (`KEY_F5`, or a number) → phone key (`line1`, `hold`, `hook_switch`, `none`…),
    /// over the default map (docs/CONFIG.md).
    pub keys: BTreeMap<String, String>,
}

impl InputSettings {
    /// The key map: the defaults with `keys` over them.
    pub fn key_map(&self) -> Result<KeyMap, KeyMapError> {
        KeyMap::with_overrides(self.keys.iter().map(|(code, key)| (code.as_str(), key.as_str())))
    }
}
