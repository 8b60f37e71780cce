//! What the device shows: the screen's views and soft keys, and the lamps.

use std::time::Duration;

use crate::core::CallState;

use super::screen::{self, Screen, StatusBar};
use super::{AudioPath, Call, Device, Lamp, LampKey, LampState, Line, LineKind, Purpose};

/// What the main area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum View {
    /// The lines and calls (the idle screen when none).
    Calls,
    /// The call history, `cursor` on the `cursor`-th newest call.
    History { cursor: usize },
    /// The settings menu.
    Menu { cursor: usize },
    /// The voice-message counts.
    Messages,
    /// The settings menu behind the admin PIN (its state is the device's `settings`).
    Settings,
}

/// What a soft key does; its label is what the screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Soft {
    Redial,
    History,
    Dnd,
    Menu,
    Send,
    Delete,
    Cancel,
    Consult,
    Blind,
    End,
    Answer,
    Reject,
    Hold,
    Resume,
    Transfer,
    Conference,
    Split,
    NewCall,
    Dial,
    Select,
    Back,
}

impl Soft {
    pub(super) fn label(self) -> &'static str {
        match self {
            Soft::Redial => "Redial",
            Soft::History => "History",
            Soft::Dnd => "DND",
            Soft::Menu => "Menu",
            Soft::Send => "Send",
            Soft::Delete => "Delete",
            Soft::Cancel => "Cancel",
            Soft::Consult => "Consult",
            Soft::Blind => "Blind",
            Soft::End => "End",
            Soft::Answer => "Answer",
            Soft::Reject => "Reject",
            Soft::Hold => "Hold",
            Soft::Resume => "Resume",
            Soft::Transfer => "Transfer",
            Soft::Conference => "Conf",
            Soft::Split => "Split",
            Soft::NewCall => "New Call",
            Soft::Dial => "Dial",
            Soft::Select => "Select",
            Soft::Back => "Back",
        }
    }
}

/// The settings menu's items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MenuItem {
    Dnd,
    CallWaiting,
    Ringtone,
    ClearHistory,
    Settings,
}

pub(super) const MENU: [MenuItem; 5] =
    [MenuItem::Dnd, MenuItem::CallWaiting, MenuItem::Ringtone, MenuItem::ClearHistory, MenuItem::Settings];

/// How many history rows fit the main area.
const HISTORY_ROWS: usize = 4;

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

impl Device {
    /// The four soft keys in the current context.
    pub(super) fn soft_actions(&self) -> [Option<Soft>; 4] {
        use Soft::*;
        match self.view {
            View::History { .. } => [(!self.history.is_empty()).then_some(Dial), None, None, Some(Back)],
            View::Menu { .. } => [Some(Select), None, None, Some(Back)],
            View::Messages => [None, None, None, Some(Back)],
            View::Settings => [None, None, None, None],
            View::Calls => {
                let Some(line) = self.focus.and_then(|f| self.lines[f].as_ref()) else {
                    return [Some(Redial), Some(History), Some(Dnd), Some(Menu)];
                };
                match &line.kind {
                    LineKind::Setup(setup) => {
                        let send = (setup.problem.is_none() && !setup.digits.is_empty()).then_some(Send);
                        let third = match setup.purpose {
                            Purpose::Transfer { attended: false, .. } => Some(Consult),
                            Purpose::Transfer { attended: true, .. } => Some(Blind),
                            _ => None,
                        };
                        [send, Some(Delete), third, Some(Cancel)]
                    }
                    LineKind::Pending(_) | LineKind::Failed(_) => [None, None, None, Some(End)],
                    LineKind::Call(call) if call.transfer_note.is_some() => [None, None, None, Some(End)],
                    LineKind::Call(call) if call.ringing_in() => [Some(Answer), Some(Reject), None, None],
                    LineKind::Call(call) if call.progressing() => {
                        let transfer = self.held_partner(call).filter(|_| call.consult_for.is_some());
                        [transfer.map(|_| Transfer), None, None, Some(End)]
                    }
                    LineKind::Call(call) if call.connected() && self.conference.contains(&call.id) => {
                        [Some(Hold), Some(Split), None, Some(End)]
                    }
                    LineKind::Call(call) if call.connected() && self.ringing_line().is_some() => {
                        [Some(Answer), Some(Reject), Some(Hold), Some(End)]
                    }
                    LineKind::Call(call) if call.connected() => {
                        [Some(Hold), Some(Transfer), Some(Conference), Some(End)]
                    }
                    LineKind::Call(call) if call.held() => [Some(Resume), Some(NewCall), Some(Transfer), Some(End)],
                    LineKind::Call(_) => [None, None, None, None],
                }
            }
        }
    }

    pub(super) fn build_screen(&self) -> Screen {
        let focused = self.focus.and_then(|f| self.lines[f].as_ref()).map(|l| l.account);
        let account = focused.filter(|a| *a != super::DIRECT).unwrap_or(self.default_account());
        let status = self.accounts.get(&account);
        let time = match self.clock {
            Some((_, offset, _)) => screen::clock(self.unix_now() as i64 + i64::from(offset)),
            None => "--:--".to_owned(),
        };
        let status = StatusBar {
            account: status
                .map(|s| s.label.clone())
                .or_else(|| self.config.accounts.get(account).map(|a| a.label.clone()))
                .unwrap_or_default(),
            registered: status.is_some_and(|s| s.registered),
            time,
            dnd: self.dnd,
            forward: self.forwarding.always.is_some(),
            messages: self.messages.values().fold(0u32, |sum, (new, _)| sum.saturating_add(*new)),
        };
        let mut main = match self.view {
            View::Calls => self.call_lines(),
            View::History { cursor } => self.history_lines(cursor),
            View::Menu { cursor } => self.menu_lines(cursor),
            View::Messages => self.message_lines(),
            View::Settings => self.settings_lines(),
        };
        if let Some((notice, _)) = &self.notice {
            main.push(notice.clone());
        }
        if self.view != View::Settings {
            main.extend(self.text.clone());
        }
        let soft_keys = if self.view == View::Settings {
            self.settings_soft_labels().map(str::to_owned)
        } else {
            self.soft_actions().map(|a| a.map(|soft| self.soft_label(soft)).unwrap_or("").to_owned())
        };
        let text_entry = self.view == View::Settings && self.settings.text_entry();
        Screen { status, main, soft_keys, text_entry }
    }

    pub(super) fn build_lamps(&self) -> Vec<Lamp> {
        let mut lamps: Vec<Lamp> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let state = match line.as_ref().map(|l| &l.kind) {
                    None => LampState::Off,
                    Some(LineKind::Call(call)) if call.ringing_in() => LampState::FastBlink,
                    Some(LineKind::Call(call)) if call.held() => LampState::SlowBlink,
                    Some(_) => LampState::On,
                };
                Lamp { key: LampKey::Line(i), state }
            })
            .collect();
        let lit = |on: bool| if on { LampState::On } else { LampState::Off };
        let messages = self.messages.values().any(|(new, _)| *new > 0);
        lamps.extend([
            Lamp { key: LampKey::Messages, state: lit(messages) },
            Lamp { key: LampKey::Dnd, state: lit(self.dnd) },
            Lamp { key: LampKey::Mute, state: lit(self.muted) },
            Lamp { key: LampKey::Speaker, state: lit(self.path == AudioPath::Speaker) },
            Lamp { key: LampKey::Headset, state: lit(self.path == AudioPath::Headset) },
        ]);
        lamps
    }

    fn call_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let focused = self.focus.and_then(|f| self.lines[f].as_ref().map(|l| (f, l)));
        match focused {
            None => out.extend(self.idle_lines()),
            Some((_, line)) => out.extend(self.focused_lines(line)),
        }
        for (i, line) in self.lines.iter().enumerate() {
            let Some(line) = line else { continue };
            let in_conference = line.call().is_some_and(|c| self.conference.contains(&c.id));
            let focus_in_conference =
                focused.and_then(|(_, l)| l.call()).is_some_and(|c| self.conference.contains(&c.id));
            if Some(i) == self.focus || (in_conference && focus_in_conference) {
                continue;
            }
            out.push(format!("L{} {}", i + 1, self.short_line(line)));
        }
        if self.muted {
            out.push("Muted".to_owned());
        }
        out
    }

    fn idle_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self.accounts.get(&self.default_account()) {
            None if !self.config.accounts.iter().any(|a| a.enabled) => out.extend(self.first_boot_lines()),
            Some(status) if !status.registered => out.push(format!("Not registered: {}", status.state)),
            _ => out.push("Ready".to_owned()),
        }
        if self.dnd {
            out.push("Do not disturb".to_owned());
        }
        if let Some(target) = &self.forwarding.always {
            out.push(format!("Forwarding to {target}"));
        }
        match self.missed_unseen {
            0 => {}
            1 => out.push("1 missed call".to_owned()),
            n => out.push(format!("{n} missed calls")),
        }
        out
    }

    /// The idle screen of a phone without an account: how to add one, and how to call it.
    fn first_boot_lines(&self) -> Vec<String> {
        let mut out = vec![
            "No account set up".to_owned(),
            "Add one: Settings key > Account".to_owned(),
            "or provision: --provisioning-url URL".to_owned(),
        ];
        let address = self.network.as_ref().and_then(|n| Some((*n.addresses.first()?, n.sip_port)));
        if let Some((ip, port)) = address {
            out.push(format!("Direct calls: sip:{}", std::net::SocketAddr::new(ip, port)));
        }
        if self.config.direct_ip_dialing {
            out.push("Dial an IP: 192*168*1*10 then #".to_owned());
        }
        out
    }

    /// Digits as the screen shows them: an IP address being typed with its dots.
    fn shown_digits(&self, digits: &str) -> String {
        if self.config.direct_ip_dialing {
            super::ipdial::shown(digits)
        } else {
            digits.to_owned()
        }
    }

    fn focused_lines(&self, line: &Line) -> Vec<String> {
        match &line.kind {
            LineKind::Setup(setup) => {
                let who = |call| self.call_display(call);
                let digits = self.shown_digits(&setup.digits);
                let first = match setup.purpose {
                    Purpose::Call => format!("Dial: {digits}"),
                    Purpose::Transfer { call, attended: false } => {
                        format!("Transfer {} to: {digits}", who(call))
                    }
                    Purpose::Transfer { call, attended: true } => {
                        format!("Consult, then transfer {}: {digits}", who(call))
                    }
                    Purpose::Conference { call } => format!("Add to call with {}: {digits}", who(call)),
                };
                let mut out = vec![first];
                out.extend(setup.problem.map(str::to_owned));
                out
            }
            LineKind::Pending(pending) => vec![format!("Dialing {}", pending.target)],
            LineKind::Failed(failed) => vec![failed.text.clone()],
            LineKind::Call(call) => self.focused_call(line, call),
        }
    }

    fn focused_call(&self, line: &Line, call: &Call) -> Vec<String> {
        if let Some(note) = &call.transfer_note {
            return vec![note.clone()];
        }
        if self.conference.contains(&call.id) {
            let since = self.conference_since.unwrap_or(self.now);
            let mut out = vec![format!("Conference — {}", self.elapsed(since))];
            for id in &self.conference {
                out.push(format!("  {}", self.call_display(*id)));
            }
            return out;
        }
        if call.agent_session && call.connected() {
            return self.agent_session_lines(call);
        }
        let who = call.display();
        let timer = || call.answered_at.map(|t| self.elapsed(t)).unwrap_or_else(|| "00:00".to_owned());
        match &call.state {
            CallState::Incoming => {
                let mut out = vec![format!("Incoming: {who}")];
                if let Some(status) = self.accounts.get(&line.account) {
                    out.push(format!("to {}", status.label));
                }
                out
            }
            CallState::Dialing => vec![format!("Dialing {who}")],
            CallState::Ringing { .. } => vec![format!("Ringing {who}")],
            CallState::Active => vec![format!("{who} — {}", timer())],
            CallState::RemoteHold => vec![format!("{who} — {} (held by far end)", timer())],
            CallState::Held => vec![format!("Held: {who} — {}", timer())],
            CallState::Ended(_) => vec![format!("Ended: {who}")],
        }
    }

    fn short_line(&self, line: &Line) -> String {
        match &line.kind {
            LineKind::Setup(setup) => format!("Dial: {}", self.shown_digits(&setup.digits)),
            LineKind::Pending(pending) => format!("Dialing {}", pending.target),
            LineKind::Failed(failed) => failed.text.clone(),
            LineKind::Call(call) if call.agent_session && call.connected() => "Agent session".to_owned(),
            LineKind::Call(call) => {
                let who = call.display();
                match &call.state {
                    CallState::Incoming => format!("Incoming: {who}"),
                    CallState::Dialing | CallState::Ringing { .. } => format!("Dialing {who}"),
                    CallState::Held => format!("Held: {who}"),
                    CallState::RemoteHold => format!("{who} (held by far end)"),
                    CallState::Active => who,
                    CallState::Ended(_) => format!("Ended: {who}"),
                }
            }
        }
    }

    fn history_lines(&self, cursor: usize) -> Vec<String> {
        let len = self.history.len();
        if len == 0 {
            return vec!["History: no calls".to_owned()];
        }
        let mut out = vec![format!("History {}/{len}", cursor + 1)];
        let start = cursor - cursor % HISTORY_ROWS;
        let today = self.local_day();
        for (i, entry) in self.history.newest_first().enumerate().skip(start).take(HISTORY_ROWS) {
            let marker = if i == cursor { ">" } else { " " };
            let mut row = format!("{marker} {} {}", entry.kind.label(), entry.display());
            if entry.time > 0 {
                let offset = i64::from(self.clock.map_or(0, |(_, offset, _)| offset));
                let local = entry.time.min(super::MAX_UNIX) as i64 + offset;
                let when =
                    if Some(local.div_euclid(86_400)) == today { screen::clock(local) } else { screen::date(local) };
                row.push(' ');
                row.push_str(&when);
            }
            out.push(row);
        }
        out
    }

    fn menu_lines(&self, cursor: usize) -> Vec<String> {
        let mut out = vec!["Menu".to_owned()];
        for (i, item) in MENU.iter().enumerate() {
            let marker = if i == cursor { ">" } else { " " };
            let text = match item {
                MenuItem::Dnd => format!("Do not disturb: {}", on_off(self.dnd)),
                MenuItem::CallWaiting => format!("Call waiting: {}", on_off(self.call_waiting)),
                MenuItem::Ringtone => format!("Ringtone: {:?}", self.ringtone(self.default_account())),
                MenuItem::ClearHistory => "Clear history".to_owned(),
                MenuItem::Settings => "Settings (admin PIN)".to_owned(),
            };
            out.push(format!("{marker} {text}"));
        }
        out
    }

    fn message_lines(&self) -> Vec<String> {
        let mut out = vec!["Messages".to_owned()];
        if self.messages.is_empty() {
            out.push("No messages".to_owned());
        }
        for (account, (new, old)) in &self.messages {
            let label = self.accounts.get(account).map_or_else(|| format!("Account {account}"), |s| s.label.clone());
            out.push(format!("{label}: {new} new, {old} old"));
        }
        out
    }

    pub(super) fn elapsed(&self, since: std::time::Instant) -> String {
        screen::duration(self.now.saturating_duration_since(since).max(Duration::ZERO))
    }

    /// Today's local day number, if the clock is known.
    fn local_day(&self) -> Option<i64> {
        let (_, offset, _) = self.clock?;
        Some((self.unix_now() as i64 + i64::from(offset)).div_euclid(86_400))
    }
}
