//! Deskphone digit maps: which numbers the dial pad can send, matched as the digits arrive.
//!
//! The syntax is the usual deskphone/MGCP one (RFC 3435 §2.1.5, without the timer letters):
//!
//! * alternatives separated by `|`, optionally wrapped in one pair of parentheses;
//! * `0`–`9` and `*`: that key;
//! * `x`: any digit `0`–`9`;
//! * `[...]`: one key of a set, with ranges: `[2-9]`, `[135]`, `[1-35-7*]`;
//! * `.` after an element: that element zero or more times (`0x.` is `0` then any number of
//!   digits).
//!
//! `#` is not part of the alphabet: on the device it is always "send now". Whitespace is
//! ignored. [`DigitMap::classify`] tells whether digits typed so far are a complete number,
//! could become one, or never can.

use std::fmt;
use std::str::FromStr;

/// The map the device uses when none is configured: four-digit extensions 1xxx–9xxx, `0` then a
/// number of any length (the outside line), 911, and `*` feature codes of two digits.
pub const DEFAULT_DIGIT_MAP: &str = "[1-9]xxx|0[1-9]x.|911|*xx";

/// The bit of `*` in an element's set (bits 0–9 are the digits).
const STAR: u16 = 1 << 10;
/// Every digit `0`–`9`.
const ANY_DIGIT: u16 = 0x3ff;

/// One position of a pattern: the keys it accepts, and whether it repeats (`.`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Element {
    keys: u16,
    repeat: bool,
}

/// A parsed digit map: see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitMap {
    source: String,
    patterns: Vec<Vec<Element>>,
}

/// How the digits typed so far stand against a [`DigitMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapMatch {
    /// No pattern can match, whatever follows.
    NoMatch,
    /// A prefix of some pattern: more digits are needed.
    Partial,
    /// A complete number, and no pattern accepts a longer one: dial at once.
    Complete,
    /// A complete number, but a longer one is possible too: dial after the short timeout.
    CompleteOrLonger,
}

/// Why a digit map did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigitMapError {
    /// The map, or one of its alternatives, is empty.
    #[error("empty digit map pattern")]
    Empty,
    /// A character that is not part of the syntax, at this character position.
    #[error("unexpected {found:?} at position {at}")]
    Unexpected {
        /// The character's position (in characters, whitespace removed).
        at: usize,
        /// The character.
        found: char,
    },
    /// A `[` without its `]`, or a set without keys.
    #[error("bad key set at position {0}")]
    BadSet(usize),
}

impl DigitMap {
    /// Parses `text` (see the module documentation).
    pub fn parse(text: &str) -> Result<DigitMap, DigitMapError> {
        let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
        let body = match (chars.first(), chars.last()) {
            (Some('('), Some(')')) if chars.len() >= 2 => &chars[1..chars.len() - 1],
            _ => &chars[..],
        };
        let offset = usize::from(body.len() != chars.len());
        let mut patterns = Vec::new();
        let mut start = 0;
        for (i, c) in body.iter().enumerate().chain(std::iter::once((body.len(), &'|'))) {
            if *c == '|' {
                patterns.push(parse_pattern(&body[start..i], start + offset)?);
                start = i + 1;
            }
        }
        Ok(DigitMap { source: chars.iter().collect(), patterns })
    }

    /// Where `digits` (keys `0-9` and `*`; anything else never matches) stand against the map.
    /// No digits at all are [`MapMatch::Partial`].
    pub fn classify(&self, digits: &str) -> MapMatch {
        let Some(keys) = digits.chars().map(key_bit).collect::<Option<Vec<u16>>>() else {
            return MapMatch::NoMatch;
        };
        let (mut any, mut complete, mut longer) = (false, false, false);
        for pattern in &self.patterns {
            let len = pattern.len();
            let mut states = vec![false; len + 1];
            states[0] = true;
            closure(pattern, &mut states);
            for key in &keys {
                let mut next = vec![false; len + 1];
                for i in (0..len).filter(|&i| states[i] && pattern[i].keys & key != 0) {
                    next[if pattern[i].repeat { i } else { i + 1 }] = true;
                }
                closure(pattern, &mut next);
                states = next;
            }
            if states.iter().any(|s| *s) {
                any = true;
                complete |= states[len];
                longer |= states[..len].iter().any(|s| *s);
            }
        }
        match (any, complete, longer) {
            (false, _, _) => MapMatch::NoMatch,
            (true, true, true) => MapMatch::CompleteOrLonger,
            (true, true, false) => MapMatch::Complete,
            (true, false, _) => MapMatch::Partial,
        }
    }

    /// The map as written (whitespace removed).
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl Default for DigitMap {
    fn default() -> DigitMap {
        DigitMap::parse(DEFAULT_DIGIT_MAP).unwrap_or(DigitMap { source: String::new(), patterns: Vec::new() })
    }
}

impl FromStr for DigitMap {
    type Err = DigitMapError;

    fn from_str(text: &str) -> Result<DigitMap, DigitMapError> {
        DigitMap::parse(text)
    }
}

impl fmt::Display for DigitMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// A repeating element may be skipped: every state before one also stands after it.
fn closure(pattern: &[Element], states: &mut [bool]) {
    for i in 0..pattern.len() {
        if states[i] && pattern[i].repeat {
            states[i + 1] = true;
        }
    }
}

/// The set bit of key `c`, if it is one of the map's keys.
fn key_bit(c: char) -> Option<u16> {
    match c {
        '0'..='9' => Some(1 << (c as u32 - '0' as u32)),
        '*' => Some(STAR),
        _ => None,
    }
}

fn parse_pattern(chars: &[char], offset: usize) -> Result<Vec<Element>, DigitMapError> {
    if chars.is_empty() {
        return Err(DigitMapError::Empty);
    }
    let mut elements: Vec<Element> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let at = offset + i;
        let c = chars[i];
        let keys = match c {
            'x' | 'X' => ANY_DIGIT,
            '.' => match elements.last_mut() {
                Some(last) if !last.repeat => {
                    last.repeat = true;
                    i += 1;
                    continue;
                }
                _ => return Err(DigitMapError::Unexpected { at, found: c }),
            },
            '[' => {
                let end = chars[i..].iter().position(|c| *c == ']').ok_or(DigitMapError::BadSet(at))? + i;
                let keys = parse_set(&chars[i + 1..end]).ok_or(DigitMapError::BadSet(at))?;
                i = end;
                keys
            }
            _ => key_bit(c).ok_or(DigitMapError::Unexpected { at, found: c })?,
        };
        elements.push(Element { keys, repeat: false });
        i += 1;
    }
    Ok(elements)
}

/// The keys of a set's inside (`2-9`, `135`, `1-35-7*`); `None` when empty or malformed.
fn parse_set(chars: &[char]) -> Option<u16> {
    let mut keys = 0u16;
    let mut i = 0;
    while i < chars.len() {
        let first = key_bit(chars[i])?;
        if chars.get(i + 1) == Some(&'-') {
            let (low, high) = (chars[i], *chars.get(i + 2)?);
            if !low.is_ascii_digit() || !high.is_ascii_digit() || high < low {
                return None;
            }
            for d in low..=high {
                keys |= key_bit(d)?;
            }
            i += 3;
        } else {
            keys |= first;
            i += 1;
        }
    }
    (keys != 0).then_some(keys)
}
