//! Linux input devices (evdev) as deskphone keys, sans-IO: USB keypads, and the hook switch and
//! mute button of USB telephony handsets and headsets.
//!
//! The kernel turns a USB HID device's usages into input events (`linux/input-event-codes.h`):
//! a keypad's keys become `KEY_KP0`…, the HID Telephony page's keypad (usages 0xB0–0xBB)
//! becomes `KEY_NUMERIC_0`…`KEY_NUMERIC_POUND`, its Phone Mute (0x2F) becomes `KEY_MICMUTE`,
//! and handsets whose driver maps the Hook Switch (0x20) report `KEY_PICKUP_PHONE` /
//! `KEY_HANGUP_PHONE` or `KEY_PHONE`. The edge reads each device's 24-byte `input_event`
//! records and hands them to [`parse_event`] and [`KeyMap::map`]; what comes out is an
//! [`InputAction`] for the [`crate::device::Device`].
//!
//! Telephony headsets report mute and the hook switch as *switches* (on-off controls, HID
//! Usage Tables §14.1): the kernel reports the new state as a press (on) or a release (off).
//! The actions [`InputAction::Hook`] and [`InputAction::MuteSet`] carry that state, so the edge
//! presses a key only when the device's state differs; a plain keypad key acts on its press.

use std::collections::BTreeMap;

use crate::device::{Hook, Key};

/// The size of one `struct input_event` on 64-bit Linux: a `timeval` (16 bytes), then type
/// (u16), code (u16) and value (i32).
pub const EVENT_SIZE: usize = 24;

/// `EV_KEY`: a key or button changed state.
pub const EV_KEY: u16 = 0x01;

/// One input event as the kernel reports it (time left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputEvent {
    /// `EV_SYN`, `EV_KEY`, `EV_MSC`, ...
    pub kind: u16,
    /// The key code for `EV_KEY`.
    pub code: u16,
    /// For `EV_KEY`: 0 released, 1 pressed, 2 auto-repeat.
    pub value: i32,
}

/// Reads one `input_event` record (native byte order, as read from `/dev/input/eventN` on a
/// 64-bit machine); `None` when `bytes` is not [`EVENT_SIZE`] long.
pub fn parse_event(bytes: &[u8]) -> Option<InputEvent> {
    let bytes: &[u8; EVENT_SIZE] = bytes.try_into().ok()?;
    let kind = u16::from_ne_bytes([bytes[16], bytes[17]]);
    let code = u16::from_ne_bytes([bytes[18], bytes[19]]);
    let value = i32::from_ne_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    Some(InputEvent { kind, code, value })
}

/// The record [`parse_event`] reads (time zero): for tests and simulated devices.
pub fn encode_event(event: InputEvent) -> [u8; EVENT_SIZE] {
    let mut bytes = [0u8; EVENT_SIZE];
    bytes[16..18].copy_from_slice(&event.kind.to_ne_bytes());
    bytes[18..20].copy_from_slice(&event.code.to_ne_bytes());
    bytes[20..24].copy_from_slice(&event.value.to_ne_bytes());
    bytes
}

/// What a mapped key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAction {
    /// A deskphone key, on press.
    Key(Key),
    /// The hook switch as a switch: pressed = off hook, released = on hook.
    HookSwitch,
    /// Lift the handset (on press).
    OffHook,
    /// Hang up (on press).
    OnHook,
    /// Toggle the hook (on press): a button that answers or hangs up.
    HookToggle,
    /// A mute switch: pressed = muted, released = not (telephony headsets).
    MuteSwitch,
}

/// What the edge does with an input event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputAction {
    /// Press this key.
    Key(Key),
    /// Put the hook in this state (nothing when it already is).
    Hook(Hook),
    /// Toggle the hook.
    HookToggle,
    /// Mute or unmute (press the mute key only when the state differs).
    MuteSet(bool),
}

/// A key code and what it does: the defaults of [`KeyMap::default`], then the `[input.keys]`
/// of the configuration over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    actions: BTreeMap<u16, KeyAction>,
}

impl Default for KeyMap {
    /// Keypads (`KEY_0`…, `KEY_KP0`…, the telephony keypad's `KEY_NUMERIC_*`), Enter/Escape/
    /// Backspace/arrows for navigation, F1–F4 for the soft keys, the volume keys, `KEY_MICMUTE`
    /// as a mute switch and the phone keys as the hook.
    fn default() -> KeyMap {
        let mut actions = BTreeMap::new();
        for (digit, (top, keypad, numeric)) in DIGIT_CODES.iter().enumerate() {
            let key = Key::Digit(char::from(b'0' + digit as u8));
            for code in [*top, *keypad, *numeric] {
                actions.insert(code, KeyAction::Key(key));
            }
        }
        let keys = [
            ("KEY_KPASTERISK", Key::Star),
            ("KEY_NUMERIC_STAR", Key::Star),
            ("KEY_NUMERIC_POUND", Key::Pound),
            ("KEY_ENTER", Key::Ok),
            ("KEY_KPENTER", Key::Ok),
            ("KEY_ESC", Key::Back),
            ("KEY_BACKSPACE", Key::Back),
            ("KEY_UP", Key::Up),
            ("KEY_DOWN", Key::Down),
            ("KEY_F1", Key::Soft(0)),
            ("KEY_F2", Key::Soft(1)),
            ("KEY_F3", Key::Soft(2)),
            ("KEY_F4", Key::Soft(3)),
            ("KEY_VOLUMEUP", Key::VolumeUp),
            ("KEY_VOLUMEDOWN", Key::VolumeDown),
            ("KEY_MENU", Key::Menu),
        ];
        for (name, key) in keys {
            if let Some(code) = key_code(name) {
                actions.insert(code, KeyAction::Key(key));
            }
        }
        for (name, action) in [
            ("KEY_MICMUTE", KeyAction::MuteSwitch),
            ("KEY_PICKUP_PHONE", KeyAction::OffHook),
            ("KEY_HANGUP_PHONE", KeyAction::OnHook),
            ("KEY_PHONE", KeyAction::HookToggle),
        ] {
            if let Some(code) = key_code(name) {
                actions.insert(code, action);
            }
        }
        KeyMap { actions }
    }
}

/// A `[input.keys]` entry that cannot be used.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyMapError {
    /// Not a known `KEY_…` name nor a number.
    #[error("unknown key code {0:?} (a KEY_ name of linux/input-event-codes.h, or a number)")]
    UnknownCode(String),
    /// Not a deskphone key name.
    #[error("unknown phone key {0:?}")]
    UnknownKey(String),
}

impl KeyMap {
    /// The defaults with `overrides` (key code → phone key name, as in `[input.keys]`) over
    /// them; `"none"` removes a default.
    pub fn with_overrides<'a>(overrides: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<KeyMap, KeyMapError> {
        let mut map = KeyMap::default();
        for (code_name, key_name) in overrides {
            let code = parse_code(code_name).ok_or_else(|| KeyMapError::UnknownCode(code_name.to_owned()))?;
            if key_name == "none" {
                map.actions.remove(&code);
                continue;
            }
            let action = parse_action(key_name).ok_or_else(|| KeyMapError::UnknownKey(key_name.to_owned()))?;
            map.actions.insert(code, action);
        }
        Ok(map)
    }

    /// What `event` does: `None` for events that are not keys, unmapped keys, auto-repeats,
    /// and the releases of keys that act on their press.
    pub fn map(&self, event: InputEvent) -> Option<InputAction> {
        if event.kind != EV_KEY || !(0..=1).contains(&event.value) {
            return None;
        }
        let pressed = event.value == 1;
        match (self.actions.get(&event.code)?, pressed) {
            (KeyAction::HookSwitch, _) => Some(InputAction::Hook(if pressed { Hook::OffHook } else { Hook::OnHook })),
            (KeyAction::MuteSwitch, _) => Some(InputAction::MuteSet(pressed)),
            (_, false) => None,
            (KeyAction::Key(key), true) => Some(InputAction::Key(*key)),
            (KeyAction::OffHook, true) => Some(InputAction::Hook(Hook::OffHook)),
            (KeyAction::OnHook, true) => Some(InputAction::Hook(Hook::OnHook)),
            (KeyAction::HookToggle, true) => Some(InputAction::HookToggle),
        }
    }
}

/// `KEY_1`…, `KEY_KP1`…, `KEY_NUMERIC_1`… for each digit 0–9.
const DIGIT_CODES: [(u16, u16, u16); 10] = [
    (11, 82, 0x200),
    (2, 79, 0x201),
    (3, 80, 0x202),
    (4, 81, 0x203),
    (5, 75, 0x204),
    (6, 76, 0x205),
    (7, 77, 0x206),
    (8, 71, 0x207),
    (9, 72, 0x208),
    (10, 73, 0x209),
];

/// The key codes a deskphone configuration names (linux/input-event-codes.h).
const NAMED_CODES: &[(&str, u16)] = &[
    ("KEY_ESC", 1),
    ("KEY_MINUS", 12),
    ("KEY_EQUAL", 13),
    ("KEY_BACKSPACE", 14),
    ("KEY_TAB", 15),
    ("KEY_ENTER", 28),
    ("KEY_KPASTERISK", 55),
    ("KEY_SPACE", 57),
    ("KEY_F1", 59),
    ("KEY_F2", 60),
    ("KEY_F3", 61),
    ("KEY_F4", 62),
    ("KEY_F5", 63),
    ("KEY_F6", 64),
    ("KEY_F7", 65),
    ("KEY_F8", 66),
    ("KEY_F9", 67),
    ("KEY_F10", 68),
    ("KEY_KPMINUS", 74),
    ("KEY_KPPLUS", 78),
    ("KEY_KPDOT", 83),
    ("KEY_F11", 87),
    ("KEY_F12", 88),
    ("KEY_KPENTER", 96),
    ("KEY_KPSLASH", 98),
    ("KEY_HOME", 102),
    ("KEY_UP", 103),
    ("KEY_LEFT", 105),
    ("KEY_RIGHT", 106),
    ("KEY_END", 107),
    ("KEY_DOWN", 108),
    ("KEY_DELETE", 111),
    ("KEY_MUTE", 113),
    ("KEY_VOLUMEDOWN", 114),
    ("KEY_VOLUMEUP", 115),
    ("KEY_KPEQUAL", 117),
    ("KEY_MENU", 139),
    ("KEY_PHONE", 169),
    ("KEY_MICMUTE", 248),
    ("KEY_OK", 0x160),
    ("KEY_NUMERIC_STAR", 0x20a),
    ("KEY_NUMERIC_POUND", 0x20b),
    ("KEY_PICKUP_PHONE", 0x1bd),
    ("KEY_HANGUP_PHONE", 0x1be),
];

/// The code of a `KEY_…` name (digits `KEY_0`–`KEY_9`, `KEY_KP0`–`KEY_KP9`, `KEY_NUMERIC_0`–
/// `KEY_NUMERIC_9` and [`NAMED_CODES`]).
pub fn key_code(name: &str) -> Option<u16> {
    let digit = |rest: &str| rest.parse::<usize>().ok().filter(|d| *d <= 9 && rest.len() == 1);
    if let Some(d) = name.strip_prefix("KEY_NUMERIC_").and_then(digit) {
        return Some(DIGIT_CODES[d].2);
    }
    if let Some(d) = name.strip_prefix("KEY_KP").and_then(digit) {
        return Some(DIGIT_CODES[d].1);
    }
    if let Some(d) = name.strip_prefix("KEY_").and_then(digit) {
        return Some(DIGIT_CODES[d].0);
    }
    NAMED_CODES.iter().find(|(n, _)| *n == name).map(|(_, code)| *code)
}

/// A `KEY_…` name or a decimal or `0x` number.
fn parse_code(text: &str) -> Option<u16> {
    if let Some(hex) = text.strip_prefix("0x") {
        return u16::from_str_radix(hex, 16).ok();
    }
    text.parse().ok().or_else(|| key_code(text))
}

/// A phone key name of `[input.keys]`: `0`–`9`, `*`, `#`, `soft1`–`soft4`, `line1`–`line8`,
/// `speed1`–`speed16`, `up`, `down`, `ok`, `back`, `menu`, `volume_up`, `volume_down`, `mute`,
/// `mute_switch`, `dnd`, `redial`, `hold`, `transfer`, `conference`, `messages`, `history`,
/// `speaker`, `headset`, `hook_switch`, `off_hook`, `on_hook`, `hook`.
fn parse_action(name: &str) -> Option<KeyAction> {
    let numbered = |prefix: &str, max: usize| {
        name.strip_prefix(prefix).and_then(|n| n.parse::<usize>().ok()).filter(|n| (1..=max).contains(n))
    };
    let key = match name {
        "*" => Key::Star,
        "#" => Key::Pound,
        "up" => Key::Up,
        "down" => Key::Down,
        "ok" => Key::Ok,
        "back" => Key::Back,
        "volume_up" => Key::VolumeUp,
        "volume_down" => Key::VolumeDown,
        "mute" => Key::Mute,
        "dnd" => Key::Dnd,
        "redial" => Key::Redial,
        "hold" => Key::Hold,
        "transfer" => Key::Transfer,
        "conference" => Key::Conference,
        "messages" => Key::Messages,
        "history" => Key::History,
        "speaker" => Key::Speaker,
        "headset" => Key::Headset,
        "menu" => Key::Menu,
        "mute_switch" => return Some(KeyAction::MuteSwitch),
        "hook_switch" => return Some(KeyAction::HookSwitch),
        "off_hook" => return Some(KeyAction::OffHook),
        "on_hook" => return Some(KeyAction::OnHook),
        "hook" => return Some(KeyAction::HookToggle),
        _ if name.len() == 1 && name.as_bytes()[0].is_ascii_digit() => Key::Digit(char::from(name.as_bytes()[0])),
        _ => {
            if let Some(n) = numbered("soft", 4) {
                Key::Soft(n - 1)
            } else if let Some(n) = numbered("line", 8) {
                Key::Line(n - 1)
            } else if let Some(n) = numbered("speed", 16) {
                Key::SpeedDial(n - 1)
            } else {
                return None;
            }
        }
    };
    Some(KeyAction::Key(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: u16) -> InputEvent {
        InputEvent { kind: EV_KEY, code, value: 1 }
    }

    fn release(code: u16) -> InputEvent {
        InputEvent { kind: EV_KEY, code, value: 0 }
    }

    #[test]
    fn records_round_trip_and_a_short_record_is_refused() {
        let event = InputEvent { kind: EV_KEY, code: 0x1bd, value: 1 };
        assert_eq!(parse_event(&encode_event(event)), Some(event));
        assert_eq!(parse_event(&[0; 16]), None);
    }

    #[test]
    fn every_keypad_gives_digits_on_press_only() {
        let map = KeyMap::default();
        for name in ["KEY_7", "KEY_KP7", "KEY_NUMERIC_7"] {
            let code = key_code(name).unwrap();
            assert_eq!(map.map(press(code)), Some(InputAction::Key(Key::Digit('7'))), "{name}");
            assert_eq!(map.map(release(code)), None);
            assert_eq!(map.map(InputEvent { kind: EV_KEY, code, value: 2 }), None, "auto-repeat ignored");
        }
        assert_eq!(map.map(press(key_code("KEY_NUMERIC_POUND").unwrap())), Some(InputAction::Key(Key::Pound)));
        assert_eq!(map.map(press(key_code("KEY_KPASTERISK").unwrap())), Some(InputAction::Key(Key::Star)));
        assert_eq!(map.map(press(key_code("KEY_MENU").unwrap())), Some(InputAction::Key(Key::Menu)), "the settings");
        assert_eq!(map.map(InputEvent { kind: 0, code: 0, value: 0 }), None, "EV_SYN");
        assert_eq!(map.map(press(30)), None, "KEY_A is not mapped");
    }

    #[test]
    fn a_telephony_headset_mute_is_a_switch_and_the_phone_keys_are_the_hook() {
        let map = KeyMap::default();
        let mute = key_code("KEY_MICMUTE").unwrap();
        assert_eq!(map.map(press(mute)), Some(InputAction::MuteSet(true)));
        assert_eq!(map.map(release(mute)), Some(InputAction::MuteSet(false)));
        assert_eq!(map.map(press(0x1bd)), Some(InputAction::Hook(Hook::OffHook)));
        assert_eq!(map.map(press(0x1be)), Some(InputAction::Hook(Hook::OnHook)));
        assert_eq!(map.map(press(169)), Some(InputAction::HookToggle));
    }

    #[test]
    fn overrides_add_replace_and_remove_keys() {
        let map = KeyMap::with_overrides([
            ("KEY_F5", "line1"),
            ("KEY_F1", "hold"),
            ("KEY_ESC", "none"),
            ("0x100", "hook_switch"),
            ("KEY_F6", "speed3"),
        ])
        .unwrap();
        assert_eq!(map.map(press(63)), Some(InputAction::Key(Key::Line(0))));
        assert_eq!(map.map(press(59)), Some(InputAction::Key(Key::Hold)));
        assert_eq!(map.map(press(1)), None);
        assert_eq!(map.map(press(0x100)), Some(InputAction::Hook(Hook::OffHook)));
        assert_eq!(map.map(release(0x100)), Some(InputAction::Hook(Hook::OnHook)));
        assert_eq!(map.map(press(64)), Some(InputAction::Key(Key::SpeedDial(2))));
        assert_eq!(KeyMap::with_overrides([("KEY_NOPE", "1")]), Err(KeyMapError::UnknownCode("KEY_NOPE".into())));
        assert_eq!(KeyMap::with_overrides([("KEY_F1", "soft9")]), Err(KeyMapError::UnknownKey("soft9".into())));
    }
}
