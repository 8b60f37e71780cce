//! The screen as a model: a status bar, a main area of text lines and four soft-key labels.
//! A front end (LCD, terminal, web page) draws it as it likes; [`Screen::render_text`] is the
//! plain-text rendering the tests and the terminal UI use.

use std::fmt::Write as _;
use std::time::Duration;

/// What the screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Screen {
    /// The top line.
    pub status: StatusBar,
    /// The main area, one string per line, most important first.
    pub main: Vec<String>,
    /// The labels of the four soft keys under the screen, left to right; empty when a key does
    /// nothing.
    pub soft_keys: [String; 4],
    /// A text field is being typed (settings menu): a front end with a full keyboard sends
    /// every printable character as [`super::Key::Char`] rather than as a function key.
    pub text_entry: bool,
}

/// The status bar: account and its registration, time and icons.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusBar {
    /// The label of the account shown (the focused line's, else the first line key's).
    pub account: String,
    /// The account is registered.
    pub registered: bool,
    /// The wall-clock time, `HH:MM`, or `--:--` before the edge gave the clock.
    pub time: String,
    /// The do-not-disturb icon.
    pub dnd: bool,
    /// The call-forward icon (forward always is set).
    pub forward: bool,
    /// The message icon's count: new voice messages, all accounts together (0: no icon).
    pub messages: u32,
}

impl Screen {
    /// The screen as text: the status bar, a rule, the main area, a rule and the soft keys.
    ///
    /// ```text
    /// alice (registered) | 10:42 | DND | MSG 2
    /// ----------------------------------------
    /// Bob <2002> — 00:42
    /// ----------------------------------------
    /// [Hold] [Transfer] [Conf] [End]
    /// ```
    pub fn render_text(&self) -> String {
        let mut text = String::new();
        let s = &self.status;
        let account = if s.account.is_empty() { "no account" } else { &s.account };
        let state = if s.registered { "registered" } else { "not registered" };
        let _ = write!(text, "{account} ({state}) | {}", s.time);
        if s.dnd {
            text.push_str(" | DND");
        }
        if s.forward {
            text.push_str(" | FWD");
        }
        if s.messages > 0 {
            let _ = write!(text, " | MSG {}", s.messages);
        }
        text.push('\n');
        text.push_str(RULE);
        for line in &self.main {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(RULE);
        let keys: Vec<String> = self.soft_keys.iter().map(|k| format!("[{k}]")).collect();
        text.push_str(&keys.join(" "));
        text.push('\n');
        text
    }

    /// The label of soft key `n` (0–3), `""` when it does nothing.
    pub fn soft_key(&self, n: usize) -> &str {
        self.soft_keys.get(n).map(String::as_str).unwrap_or("")
    }

    /// True when some line of the main area contains `text`.
    pub fn shows(&self, text: &str) -> bool {
        self.main.iter().any(|line| line.contains(text))
    }
}

const RULE: &str = "----------------------------------------\n";

/// A party as the screen shows it: `Name <number>`, or the number alone, or `Unknown`.
pub(crate) fn party(name: &str, number: &str) -> String {
    match (name.is_empty() || name == number, number.is_empty()) {
        (true, true) => "Unknown".to_owned(),
        (true, false) => number.to_owned(),
        (false, true) => name.to_owned(),
        (false, false) => format!("{name} <{number}>"),
    }
}

/// The display name, number (user part) and URI of a `"Name" <sip:number@host>` string.
pub(crate) fn parse_remote(remote: &str) -> (String, String, String) {
    let remote = remote.trim();
    let (name, uri) = match (remote.find('<'), remote.rfind('>')) {
        (Some(open), Some(close)) if close > open => (remote[..open].trim(), &remote[open + 1..close]),
        _ => ("", remote.split(';').next().unwrap_or("")),
    };
    let name = name.trim_matches('"').trim().to_owned();
    let uri = uri.trim().to_owned();
    let rest = ["sips:", "sip:", "tel:"].iter().find_map(|s| uri.strip_prefix(s)).unwrap_or(&uri);
    let rest = rest.split(';').next().unwrap_or("");
    let number = match rest.split_once('@') {
        Some((user, _)) if !user.is_empty() => user,
        Some((_, host)) => host,
        None => rest,
    };
    (name, number.split('?').next().unwrap_or("").to_owned(), uri)
}

/// `mm:ss`, or `h:mm:ss` from an hour on.
pub(crate) fn duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// `HH:MM` of local time `local` (seconds since the epoch, shifted to the time zone).
pub(crate) fn clock(local: i64) -> String {
    let secs = local.rem_euclid(86_400);
    format!("{:02}:{:02}", secs / 3600, secs / 60 % 60)
}

/// `MM-DD` of local time `local` (proleptic Gregorian calendar).
pub(crate) fn date(local: i64) -> String {
    let (_, month, day) = civil_from_days(local.div_euclid(86_400));
    format!("{month:02}-{day:02}")
}

/// The calendar date of day `z` since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_parse() {
        let (n, num, uri) = parse_remote("\"Bob\" <sip:2002@pbx.example>");
        assert_eq!((n.as_str(), num.as_str(), uri.as_str()), ("Bob", "2002", "sip:2002@pbx.example"));
        let (n, num, _) = parse_remote("<sip:2002@pbx;transport=tcp>");
        assert_eq!((n.as_str(), num.as_str()), ("", "2002"));
        let (_, num, _) = parse_remote("sip:pbx.example");
        assert_eq!(num, "pbx.example");
        let (_, num, _) = parse_remote("");
        assert_eq!(party("", &num), "Unknown");
    }

    #[test]
    fn times_format() {
        assert_eq!(duration(Duration::from_secs(42)), "00:42");
        assert_eq!(duration(Duration::from_secs(3723)), "1:02:03");
        assert_eq!(clock(1_700_000_000), "22:13");
        assert_eq!(date(1_700_000_000), "11-14");
        assert_eq!(date(0), "01-01");
    }
}
