//! The device's side of VICIdial agent mode and of text messages.
//!
//! An agent session ([`CallInfo::agent_session`]) is shown as "Agent session" with its
//! duration; the Hold key (and parking it to take another line) mutes the microphone instead of
//! holding it, so that RTP keeps flowing (Asterisk hangs up a session whose RTP stops). When the
//! session ends without the agent hanging up ([`CallInfo::agent_session_lost`]), its line shows
//! "Agent session ended" with congestion tone until the agent hangs up.
//!
//! A text message ([`Input::TextMessage`]) stays on screen until OK or Back.

use media::tones::Tone;

use super::*;

/// What the screen says when an agent session ended unexpectedly.
pub const AGENT_SESSION_ENDED: &str = "Agent session ended";

impl Device {
    /// The Hold key on agent session `idx`: mute on or off instead (true when it was one).
    pub(super) fn agent_hold_key(&mut self, idx: usize) -> bool {
        if !self.call_at(idx).is_some_and(|c| c.agent_session) {
            return false;
        }
        self.muted = !self.muted;
        true
    }

    /// Parking agent session `idx` (another line taken): muted, not held (true when it was one).
    pub(super) fn agent_park(&mut self, idx: usize) -> bool {
        if !self.call_at(idx).is_some_and(|c| c.agent_session) {
            return false;
        }
        self.muted = true;
        true
    }

    /// The core reports call `info` on line `idx`: an agent session lost is taken off the line
    /// (and recorded) and the line shows the alarm with congestion tone (true when so).
    pub(super) fn agent_session_report(&mut self, idx: usize, info: &CallInfo) -> bool {
        if !info.agent_session_lost() {
            return false;
        }
        let account = self.lines[idx].as_ref().map_or(info.account, |l| l.account);
        if self.finish_call(idx).is_none() {
            return false;
        }
        let failed = Failed { text: AGENT_SESSION_ENDED.to_owned(), tone: Tone::Congestion };
        self.lines[idx] = Some(Line { account, kind: LineKind::Failed(failed) });
        self.focus = Some(idx);
        self.view = View::Calls;
        true
    }

    /// The focused agent session as the screen shows it.
    pub(super) fn agent_session_lines(&self, call: &Call) -> Vec<String> {
        let timer = call.answered_at.map(|t| self.elapsed(t)).unwrap_or_else(|| "00:00".to_owned());
        vec![format!("Agent session — {timer}")]
    }

    /// A text message arrived: shown until OK or Back.
    pub(super) fn text_message(&mut self, from: &str, text: &str) {
        let (name, number, _) = parse_remote(from);
        let sender = screen::party(&name, &number);
        let text: String = text.chars().filter(|c| !c.is_control() || *c == ' ').take(MAX_TEXT_SHOWN).collect();
        self.text = Some(format!("Message from {sender}: {text}"));
    }

    /// OK or Back dismisses a text message on screen (true when one was).
    pub(super) fn dismiss_text(&mut self) -> bool {
        self.text.take().is_some()
    }
}

/// The most characters of a text message the screen shows.
pub const MAX_TEXT_SHOWN: usize = 160;

impl Device {
    /// A soft key's label; on an agent session the hold key mutes, and says so.
    pub(super) fn soft_label(&self, soft: super::view::Soft) -> &'static str {
        let agent = self.focus.and_then(|idx| self.call_at(idx)).is_some_and(|call| call.agent_session);
        match soft {
            super::view::Soft::Hold if agent && self.muted => "Unmute",
            super::view::Soft::Hold if agent => "Mute",
            other => other.label(),
        }
    }
}
