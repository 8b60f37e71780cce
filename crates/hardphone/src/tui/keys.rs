//! The terminal deskphone's keyboard: which key of the computer is which key of the phone. The
//! same table is shown on the screen ([`HELP`]).

use phone::device::Key;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::device_edge::FrontInput;

/// The keyboard map as the screen shows it: keys, then what they do.
pub const HELP: &[(&str, &str)] = &[
    ("0-9 * #", "keypad (. is * in an IP address)"),
    ("F1-F4", "soft keys under the screen"),
    ("F5-F8, Alt-1..8", "line keys"),
    ("Up Down", "navigate"),
    ("Enter", "OK"),
    ("Esc Backspace", "back / delete"),
    ("h Space", "handset off hook / on hook"),
    ("s / e", "speaker / headset"),
    ("m", "mute"),
    ("d", "do not disturb"),
    ("o", "hold / resume"),
    ("t / c", "transfer / conference"),
    ("r", "redial"),
    ("v / l", "messages / call history"),
    ("+ -", "volume"),
    ("F9 Ctrl-S", "settings (admin PIN)"),
    ("q Ctrl-C", "quit (unregisters)"),
];

/// The keyboard while a text field is typed.
pub const TEXT_HELP: &[(&str, &str)] = &[
    ("any key", "types into the field"),
    ("Enter", "accept the field"),
    ("Backspace", "delete"),
    ("Esc", "cancel the field"),
    ("F1-F4", "soft keys"),
    ("Ctrl-C", "quit (unregisters)"),
];

/// What a key press means; `None` for keys that mean nothing. In `text_entry` (a settings
/// field) printable keys type characters.
pub fn map_key(event: KeyEvent, text_entry: bool) -> Option<FrontInput> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let control = event.modifiers.contains(KeyModifiers::CONTROL);
    let alt = event.modifiers.contains(KeyModifiers::ALT);
    let key = |key: Key| Some(FrontInput::Key(key));
    match event.code {
        KeyCode::Char('c') if control => Some(FrontInput::Quit),
        KeyCode::Char('s') if control => key(Key::Menu),
        KeyCode::F(9) => key(Key::Menu),
        KeyCode::F(n @ 1..=4) => key(Key::Soft(usize::from(n - 1))),
        KeyCode::F(n @ 5..=8) => key(Key::Line(usize::from(n - 5))),
        KeyCode::Up => key(Key::Up),
        KeyCode::Down => key(Key::Down),
        KeyCode::Enter => key(Key::Ok),
        KeyCode::Backspace => key(Key::Back),
        // Esc leaves a field without keeping it: the Cancel soft key.
        KeyCode::Esc if text_entry => key(Key::Soft(3)),
        KeyCode::Esc => key(Key::Back),
        KeyCode::Char(c @ '1'..='8') if alt => key(Key::Line(usize::from(c as u8 - b'1'))),
        KeyCode::Char(c) if text_entry && !control && !alt => key(Key::Char(c)),
        KeyCode::Char(_) if control || alt => None,
        KeyCode::Char(c) => phone_key(c),
        _ => None,
    }
}

/// A printable key outside text fields.
fn phone_key(c: char) -> Option<FrontInput> {
    let key = match c {
        '0'..='9' => Key::Digit(c),
        '*' => Key::Star,
        '#' => Key::Pound,
        '.' => Key::Char('.'),
        'h' | ' ' => return Some(FrontInput::HookToggle),
        's' => Key::Speaker,
        'e' => Key::Headset,
        'm' => Key::Mute,
        'd' => Key::Dnd,
        'o' => Key::Hold,
        't' => Key::Transfer,
        'c' => Key::Conference,
        'r' => Key::Redial,
        'v' => Key::Messages,
        'l' => Key::History,
        '+' | '=' => Key::VolumeUp,
        '-' => Key::VolumeDown,
        'q' => return Some(FrontInput::Quit),
        _ => return None,
    };
    Some(FrontInput::Key(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn keys_map_to_the_phone_and_type_in_fields() {
        let none = KeyModifiers::NONE;
        assert_eq!(map_key(press(KeyCode::Char('5'), none), false), Some(FrontInput::Key(Key::Digit('5'))));
        assert_eq!(map_key(press(KeyCode::Char('h'), none), false), Some(FrontInput::HookToggle));
        assert_eq!(map_key(press(KeyCode::Char('h'), none), true), Some(FrontInput::Key(Key::Char('h'))));
        assert_eq!(map_key(press(KeyCode::Char('5'), none), true), Some(FrontInput::Key(Key::Char('5'))));
        assert_eq!(map_key(press(KeyCode::F(2), none), false), Some(FrontInput::Key(Key::Soft(1))));
        assert_eq!(map_key(press(KeyCode::F(6), none), true), Some(FrontInput::Key(Key::Line(1))));
        assert_eq!(map_key(press(KeyCode::Char('3'), KeyModifiers::ALT), false), Some(FrontInput::Key(Key::Line(2))));
        assert_eq!(map_key(press(KeyCode::F(9), none), false), Some(FrontInput::Key(Key::Menu)));
        assert_eq!(map_key(press(KeyCode::Char('s'), KeyModifiers::CONTROL), true), Some(FrontInput::Key(Key::Menu)));
        assert_eq!(map_key(press(KeyCode::Char('c'), KeyModifiers::CONTROL), true), Some(FrontInput::Quit));
        assert_eq!(map_key(press(KeyCode::Char('q'), none), false), Some(FrontInput::Quit));
        assert_eq!(map_key(press(KeyCode::Esc, none), true), Some(FrontInput::Key(Key::Soft(3))));
        assert_eq!(map_key(press(KeyCode::Esc, none), false), Some(FrontInput::Key(Key::Back)));
        assert_eq!(map_key(press(KeyCode::Char('x'), KeyModifiers::CONTROL), false), None);
    }
}
