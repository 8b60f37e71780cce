//! Text entry on a phone's keypad: letters by multi-tap, as on a deskphone's settings screens.
//!
//! In letter mode each key cycles through its letters and then its digit (`2` → a b c 2, `7` →
//! p q r s 7, `1` → `. - _ @ : 1`, `0` → space 0); another key, or [`MULTITAP_TIMEOUT`] without a
//! key, commits the letter. `*` cycles the modes `123` → `abc` → `ABC`. A full keyboard types
//! characters directly ([`TextEntry::type_char`]). A masked entry (a password) shows `*` for each
//! character but the last one typed, which shows for [`MULTITAP_TIMEOUT`].

use std::time::{Duration, Instant};

/// How long a multi-tap letter waits for the next tap before it is committed, and how long the
/// last character of a masked entry shows.
pub const MULTITAP_TIMEOUT: Duration = Duration::from_secs(1);

/// What the digit keys type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryMode {
    /// Digits.
    Digits,
    /// Lower-case letters by multi-tap.
    Lower,
    /// Upper-case letters by multi-tap.
    Upper,
}

impl EntryMode {
    /// The mode's label on the screen: `123`, `abc`, `ABC`.
    pub fn label(self) -> &'static str {
        match self {
            EntryMode::Digits => "123",
            EntryMode::Lower => "abc",
            EntryMode::Upper => "ABC",
        }
    }

    fn next(self) -> EntryMode {
        match self {
            EntryMode::Digits => EntryMode::Lower,
            EntryMode::Lower => EntryMode::Upper,
            EntryMode::Upper => EntryMode::Digits,
        }
    }
}

/// The characters key `key` cycles through in letter mode, its digit last.
pub fn letters(key: char) -> &'static str {
    match key {
        '1' => ".-_@:1",
        '2' => "abc2",
        '3' => "def3",
        '4' => "ghi4",
        '5' => "jkl5",
        '6' => "mno6",
        '7' => "pqrs7",
        '8' => "tuv8",
        '9' => "wxyz9",
        '0' => " 0",
        _ => "",
    }
}

/// A letter being tapped: its key, how many taps, and when it commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tap {
    key: char,
    count: usize,
    until: Instant,
}

/// One text field being typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEntry {
    text: String,
    mode: EntryMode,
    digits_only: bool,
    masked: bool,
    /// A masked field shows its last character briefly.
    reveal: bool,
    max_len: usize,
    tap: Option<Tap>,
    reveal_until: Option<Instant>,
}

impl TextEntry {
    /// A field holding `initial`, typing letters (lower case) first.
    pub fn text(initial: &str, max_len: usize) -> TextEntry {
        TextEntry {
            text: initial.chars().take(max_len).collect(),
            mode: EntryMode::Lower,
            digits_only: false,
            masked: false,
            reveal: false,
            max_len,
            tap: None,
            reveal_until: None,
        }
    }

    /// A field of digits only (a port, a PIN).
    pub fn digits(initial: &str, max_len: usize) -> TextEntry {
        TextEntry { mode: EntryMode::Digits, digits_only: true, ..TextEntry::text(initial, max_len) }
    }

    /// Starts in `mode` (ignored by a digits-only field).
    pub fn with_mode(mut self, mode: EntryMode) -> TextEntry {
        if !self.digits_only {
            self.mode = mode;
        }
        self
    }

    /// Shows `*` for each character but the last one typed, which shows for
    /// [`MULTITAP_TIMEOUT`] (a password).
    pub fn masked(mut self) -> TextEntry {
        self.masked = true;
        self.reveal = true;
        self
    }

    /// Shows `*` for every character (a PIN).
    pub fn hidden(mut self) -> TextEntry {
        self.masked = true;
        self.reveal = false;
        self
    }

    /// The text typed, a letter being tapped included.
    pub fn value(&self) -> &str {
        &self.text
    }

    /// The mode.
    pub fn mode(&self) -> EntryMode {
        self.mode
    }

    /// Only digits can be typed.
    pub fn is_digits_only(&self) -> bool {
        self.digits_only
    }

    /// A dial-pad key `0`–`9` at `now`: a digit, or a multi-tap letter.
    pub fn key(&mut self, now: Instant, key: char) {
        if !key.is_ascii_digit() {
            return;
        }
        if self.mode == EntryMode::Digits {
            self.commit();
            self.push(now, key);
            return;
        }
        let cycle: Vec<char> = letters(key).chars().collect();
        match self.tap {
            Some(tap) if tap.key == key && now < tap.until => {
                let count = (tap.count + 1) % cycle.len();
                self.text.pop();
                self.text.push(self.cased(cycle[count]));
                self.tap = Some(Tap { key, count, until: now + MULTITAP_TIMEOUT });
                self.reveal_until = (self.masked && self.reveal).then_some(now + MULTITAP_TIMEOUT);
            }
            _ => {
                self.commit();
                if self.push(now, self.cased(cycle[0])) {
                    self.tap = Some(Tap { key, count: 0, until: now + MULTITAP_TIMEOUT });
                }
            }
        }
    }

    /// `*`: the next mode (`123` → `abc` → `ABC`); nothing in a digits-only field.
    pub fn next_mode(&mut self) {
        if !self.digits_only {
            self.commit();
            self.mode = self.mode.next();
        }
    }

    /// A character from a full keyboard, entered as it is (a digits-only field takes digits
    /// only; control characters are never taken).
    pub fn type_char(&mut self, now: Instant, c: char) {
        if c.is_control() || (self.digits_only && !c.is_ascii_digit()) {
            return;
        }
        self.commit();
        self.push(now, c);
    }

    /// Deletes the last character (a letter being tapped first); false when there was none.
    pub fn backspace(&mut self) -> bool {
        self.tap = None;
        self.reveal_until = None;
        self.text.pop().is_some()
    }

    /// Commits the letter being tapped.
    pub fn commit(&mut self) {
        self.tap = None;
    }

    /// When [`TextEntry::handle_timeout`] is due: a letter to commit, a character to hide.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.tap.map(|t| t.until), self.reveal_until].into_iter().flatten().min()
    }

    /// Commits a letter and hides a character whose time is over.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.tap.is_some_and(|t| t.until <= now) {
            self.tap = None;
        }
        if self.reveal_until.is_some_and(|t| t <= now) {
            self.reveal_until = None;
        }
    }

    /// The field as the screen shows it: the text, or for a masked field `*` for each character
    /// but the last one while it shows.
    pub fn shown(&self) -> String {
        if !self.masked {
            return self.text.clone();
        }
        let count = self.text.chars().count();
        let reveal = self.reveal && (self.reveal_until.is_some() || self.tap.is_some());
        let mut shown = "*".repeat(count.saturating_sub(usize::from(reveal)));
        if reveal {
            shown.extend(self.text.chars().last());
        }
        shown
    }

    fn cased(&self, c: char) -> char {
        if self.mode == EntryMode::Upper {
            c.to_ascii_uppercase()
        } else {
            c
        }
    }

    fn push(&mut self, now: Instant, c: char) -> bool {
        if self.text.chars().count() >= self.max_len {
            return false;
        }
        self.text.push(c);
        self.reveal_until = (self.masked && self.reveal).then_some(now + MULTITAP_TIMEOUT);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taps_cycle_letters_then_commit_on_timeout_or_another_key() {
        let t0 = Instant::now();
        let mut entry = TextEntry::text("", 32);
        entry.key(t0, '2');
        entry.key(t0 + Duration::from_millis(300), '2');
        assert_eq!(entry.value(), "b");
        // Another key commits the b at once.
        entry.key(t0 + Duration::from_millis(400), '3');
        assert_eq!(entry.value(), "bd");
        // The same key after the timeout starts a new letter.
        entry.key(t0 + Duration::from_millis(1500), '3');
        assert_eq!(entry.value(), "bdd");
        // Past the digit the cycle starts again.
        let t1 = t0 + Duration::from_secs(5);
        for i in 0..5 {
            entry.key(t1 + Duration::from_millis(100 * i), '2');
        }
        assert_eq!(entry.value(), "bdda");
    }

    #[test]
    fn star_cycles_modes_and_digits_only_fields_ignore_letters() {
        let t0 = Instant::now();
        let mut entry = TextEntry::text("", 32).with_mode(EntryMode::Digits);
        entry.key(t0, '1');
        entry.next_mode();
        entry.key(t0, '4');
        entry.next_mode();
        entry.key(t0, '4');
        entry.next_mode();
        entry.key(t0, '0');
        assert_eq!(entry.value(), "1gG0");
        let mut pin = TextEntry::digits("", 4);
        pin.next_mode();
        pin.type_char(t0, 'x');
        for c in "12345".chars() {
            pin.key(t0, c);
        }
        assert_eq!(pin.value(), "1234", "digits only, at most four");
    }

    #[test]
    fn masked_entry_shows_the_last_character_briefly() {
        let t0 = Instant::now();
        let mut entry = TextEntry::text("", 32).masked();
        entry.type_char(t0, 's');
        entry.type_char(t0, '3');
        assert_eq!(entry.shown(), "*3");
        assert_eq!(entry.poll_timeout(), Some(t0 + MULTITAP_TIMEOUT));
        entry.handle_timeout(t0 + MULTITAP_TIMEOUT);
        assert_eq!(entry.shown(), "**");
        assert_eq!(entry.value(), "s3");
        assert!(entry.backspace());
        assert!(entry.backspace());
        assert!(!entry.backspace());
    }
}
