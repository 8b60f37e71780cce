//! The keys and the hook switch: what each does in each state.

use std::time::Instant;

use media::tones::Ringtone;

use super::*;

impl Device {
    pub(super) fn advance(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    // ----- keys -----

    pub(super) fn key(&mut self, key: Key) {
        if self.view == View::Settings && self.settings_key(key) {
            return;
        }
        match key {
            Key::Digit('#') | Key::Pound => self.pound(),
            Key::Digit('*') | Key::Star => self.digit('*'),
            Key::Digit(c) if c.is_ascii_digit() => self.digit(c),
            Key::Digit(_) => {}
            Key::Line(n) => self.line_key(n),
            Key::Soft(n) => {
                if let Some(action) = self.soft_actions().get(n).copied().flatten() {
                    self.soft(action);
                }
            }
            Key::Up => self.nav(false),
            Key::Down => self.nav(true),
            Key::Ok => self.ok(),
            Key::Back => self.back(),
            Key::VolumeUp => self.change_volume(true),
            Key::VolumeDown => self.change_volume(false),
            Key::Mute => self.toggle_mute(),
            Key::Dnd => self.toggle_dnd(),
            Key::Redial => self.redial(),
            Key::Hold => self.hold_key(),
            Key::Transfer => self.transfer_key(),
            Key::Conference => self.conference_key(),
            Key::Messages => self.messages_key(),
            Key::History => self.history_key(),
            Key::Speaker => self.path_key(AudioPath::Speaker),
            Key::Headset => self.path_key(AudioPath::Headset),
            Key::SpeedDial(n) => {
                if let Some(speed) = self.config.speed_dial.get(n).cloned() {
                    let account = speed.account.unwrap_or_else(|| self.default_account());
                    self.start_call(account, &speed.target);
                }
            }
            Key::Menu => self.open_settings(),
            Key::Char(c) => match c {
                '0'..='9' => self.digit(c),
                // `.` is the dot of an IP address: `*` on a keypad.
                '*' | '.' => self.digit('*'),
                '#' => self.pound(),
                _ => {}
            },
        }
    }

    pub(super) fn soft(&mut self, action: view::Soft) {
        use view::Soft;
        match action {
            Soft::Redial => self.redial(),
            Soft::History => self.history_key(),
            Soft::Dnd => self.toggle_dnd(),
            Soft::Menu => self.view = View::Menu { cursor: 0 },
            Soft::Send => {
                if let Some(idx) = self.focus {
                    self.send_setup(idx);
                }
            }
            Soft::Delete => self.delete_digit(),
            Soft::Cancel => self.cancel_setup(),
            Soft::Consult | Soft::Blind => {
                if let Some(LineKind::Setup(setup)) = self.focus.and_then(|f| self.kind_mut(f)) {
                    if let Purpose::Transfer { attended, .. } = &mut setup.purpose {
                        *attended = !*attended;
                    }
                }
            }
            Soft::End => self.end_key(),
            Soft::Answer => {
                if let Some(idx) = self.ringing_line() {
                    self.answer(idx);
                }
            }
            Soft::Reject => {
                if let Some(idx) = self.ringing_line() {
                    self.reject(idx);
                }
            }
            Soft::Hold | Soft::Resume => self.hold_key(),
            Soft::Transfer => self.transfer_key(),
            Soft::Conference => self.conference_key(),
            Soft::Split => self.split(),
            Soft::NewCall => {
                self.open_setup(Purpose::Call, None, None);
            }
            Soft::Dial => self.dial_from_history(),
            Soft::Select => self.menu_select(),
            Soft::Back => self.view = View::Calls,
        }
    }

    pub(super) fn digit(&mut self, c: char) {
        self.view = View::Calls;
        if let Some(idx) = self.focus {
            match self.kind(idx) {
                Some(LineKind::Setup(_)) => return self.setup_digit(idx, c),
                Some(LineKind::Call(call)) if call.connected() => {
                    let call = call.id;
                    self.out.push_back(DeviceOutput::Dtmf { call, digits: c.to_string() });
                    return;
                }
                Some(LineKind::Call(call)) if !call.held() => return,
                Some(LineKind::Pending(_) | LineKind::Failed(_)) => return,
                _ => {}
            }
        }
        if let Some(idx) = self.open_setup(Purpose::Call, None, None) {
            self.setup_digit(idx, c);
        }
    }

    pub(super) fn pound(&mut self) {
        match self.focus.and_then(|f| self.kind(f)) {
            Some(LineKind::Setup(_)) => {
                if let Some(idx) = self.focus {
                    self.send_setup(idx);
                }
            }
            Some(LineKind::Call(call)) if call.connected() => {
                let call = call.id;
                self.out.push_back(DeviceOutput::Dtmf { call, digits: "#".to_owned() });
            }
            _ => {}
        }
    }

    pub(super) fn line_key(&mut self, n: usize) {
        let Some(slot) = self.lines.get(n) else { return };
        self.view = View::Calls;
        match slot.as_ref().map(|l| &l.kind) {
            None => {
                self.open_setup(Purpose::Call, Some(n), None);
            }
            Some(LineKind::Call(call)) if call.ringing_in() => self.answer(n),
            Some(LineKind::Call(call)) if call.held() => self.resume(n),
            _ => {}
        }
    }

    pub(super) fn nav(&mut self, down: bool) {
        let step = |cursor: usize, len: usize| match (len, down) {
            (0, _) => 0,
            (_, true) => (cursor + 1) % len,
            (_, false) => (cursor + len - 1) % len,
        };
        match self.view {
            View::History { cursor } => self.view = View::History { cursor: step(cursor, self.history.len()) },
            View::Menu { cursor } => self.view = View::Menu { cursor: step(cursor, view::MENU.len()) },
            View::Messages | View::Settings => {}
            View::Calls if self.focus.is_none() => {
                self.view = if down { View::History { cursor: 0 } } else { View::Menu { cursor: 0 } };
                if down {
                    self.missed_unseen = 0;
                }
            }
            View::Calls => {}
        }
    }

    pub(super) fn ok(&mut self) {
        if self.dismiss_text() {
            return;
        }
        match self.view {
            View::History { .. } => self.dial_from_history(),
            View::Menu { .. } => self.menu_select(),
            View::Messages | View::Settings => self.view = View::Calls,
            View::Calls => match self.focus.and_then(|f| self.kind(f)) {
                Some(LineKind::Setup(_)) => self.pound(),
                Some(LineKind::Call(call)) if call.ringing_in() => {
                    if let Some(idx) = self.focus {
                        self.answer(idx);
                    }
                }
                _ => {}
            },
        }
    }

    pub(super) fn back(&mut self) {
        if self.dismiss_text() {
            return;
        }
        if self.view != View::Calls {
            self.view = View::Calls;
        } else if matches!(self.focus.and_then(|f| self.kind(f)), Some(LineKind::Setup(_))) {
            self.delete_digit();
        }
    }

    pub(super) fn change_volume(&mut self, up: bool) {
        let of = match self.path {
            _ if self.shown_ring.is_some() || self.desired_ring().is_some() => VolumeOf::Ringer,
            AudioPath::Off => VolumeOf::Ringer,
            AudioPath::Handset => VolumeOf::Handset,
            AudioPath::Speaker => VolumeOf::Speaker,
            AudioPath::Headset => VolumeOf::Headset,
        };
        let level = &mut self.volumes[of as usize];
        let new = if up { (*level + 1).min(MAX_VOLUME) } else { level.saturating_sub(1) };
        if new != *level {
            *level = new;
            self.out.push_back(DeviceOutput::Volume { of, level: new });
        }
        self.notice(format!("{} volume {new}/{MAX_VOLUME}", of.label()));
    }

    pub(super) fn toggle_mute(&mut self) {
        if self.lines.iter().flatten().any(|l| l.call().is_some_and(Call::connected)) {
            self.muted = !self.muted;
        }
    }

    pub(super) fn toggle_dnd(&mut self) {
        self.dnd = !self.dnd;
        self.notice(format!("Do not disturb {}", if self.dnd { "on" } else { "off" }));
    }

    pub(super) fn redial(&mut self) {
        let account = match self.focus.and_then(|f| self.lines[f].as_ref()) {
            Some(line @ Line { kind: LineKind::Setup(_), .. }) => line.account,
            _ => self.default_account(),
        };
        let last = match self.last_dialed.get(&account) {
            Some(target) => Some((account, target.clone())),
            None => self
                .history
                .of_kind(HistoryKind::Dialed)
                .next()
                .map(|e| (e.account.unwrap_or(account), e.target.clone())),
        };
        match last {
            Some((account, target)) => self.start_call(account, &target),
            None => self.notice("No number to redial".to_owned()),
        }
    }

    pub(super) fn hold_key(&mut self) {
        let Some(idx) = self.focus else { return };
        if self.agent_hold_key(idx) {
            return;
        }
        let Some(call) = self.lines[idx].as_ref().and_then(Line::call) else { return };
        if self.conference.contains(&call.id) {
            self.park();
        } else if call.connected() {
            self.hold(idx);
        } else if call.held() {
            self.resume(idx);
        }
    }

    pub(super) fn transfer_key(&mut self) {
        let Some(idx) = self.focus else { return };
        let Some(line) = self.lines[idx].clone() else { return };
        match line.kind {
            LineKind::Setup(setup) => {
                if let (Purpose::Transfer { call, .. }, None) = (setup.purpose, setup.problem) {
                    if !setup.digits.is_empty() {
                        self.blind_transfer(idx, call, setup.digits);
                    }
                }
            }
            LineKind::Call(call) if call.transfer_note.is_some() || self.conference.contains(&call.id) => {}
            LineKind::Call(call) if call.engaged() => match self.held_partner(&call) {
                Some(held) if call.connected() => {
                    let note = format!("Transferring {} to {}", self.call_display(held), call.display());
                    for id in [held, call.id] {
                        if let Some(LineKind::Call(c)) = self.line_of(id).and_then(|i| self.kind_mut(i)) {
                            c.transfer_note = Some(note.clone());
                        }
                    }
                    self.out.push_back(DeviceOutput::AttendedTransfer { call: held, consult: call.id });
                }
                Some(held) => {
                    // Semi-attended: the target still rings; hand the held call over blind.
                    let target = call.target.clone().unwrap_or_else(|| call.uri.clone());
                    self.hangup(idx);
                    self.blind_transfer_call(held, target);
                }
                None if call.connected() => {
                    self.open_setup(Purpose::Transfer { call: call.id, attended: false }, None, Some(line.account));
                }
                None => {}
            },
            LineKind::Call(call) if call.held() => {
                self.open_setup(Purpose::Transfer { call: call.id, attended: false }, None, Some(line.account));
            }
            _ => {}
        }
    }

    pub(super) fn conference_key(&mut self) {
        let Some(idx) = self.focus else { return };
        let Some(line) = self.lines[idx].clone() else { return };
        match line.kind {
            LineKind::Setup(setup) if matches!(setup.purpose, Purpose::Conference { .. }) => self.send_setup(idx),
            LineKind::Call(call) if call.connected() && self.conference.is_empty() && call.transfer_note.is_none() => {
                match self.held_partner(&call) {
                    Some(held) => {
                        if let Some(h) = self.line_of(held) {
                            self.out.push_back(DeviceOutput::Resume(held));
                            if let Some(LineKind::Call(c)) = self.kind_mut(h) {
                                c.state = CallState::Active;
                            }
                        }
                        self.conference = vec![held, call.id];
                        self.conference_since = Some(self.now);
                        self.out.push_back(DeviceOutput::Conference { calls: self.conference.clone() });
                    }
                    None => {
                        self.open_setup(Purpose::Conference { call: call.id }, None, Some(line.account));
                    }
                }
            }
            _ => {}
        }
    }

    pub(super) fn split(&mut self) {
        let calls = std::mem::take(&mut self.conference);
        if calls.is_empty() {
            return;
        }
        self.out.push_back(DeviceOutput::Conference { calls: Vec::new() });
        let keep = self.focus.and_then(|f| self.line_call(f));
        for id in calls.into_iter().filter(|id| Some(*id) != keep) {
            if let Some(idx) = self.line_of(id) {
                self.hold(idx);
            }
        }
    }

    pub(super) fn messages_key(&mut self) {
        let voicemail = &self.config.voicemail;
        let with_new = self.messages.iter().find(|m| m.1 .0 > 0 && voicemail.contains_key(m.0)).map(|m| *m.0);
        let account = with_new.unwrap_or_else(|| self.default_account());
        match self.config.voicemail.get(&account).cloned() {
            Some(number) => self.start_call(account, &number),
            None => self.view = if self.view == View::Messages { View::Calls } else { View::Messages },
        }
    }

    pub(super) fn history_key(&mut self) {
        if matches!(self.view, View::History { .. }) {
            self.view = View::Calls;
        } else {
            self.view = View::History { cursor: 0 };
            self.missed_unseen = 0;
        }
    }

    pub(super) fn dial_from_history(&mut self) {
        let View::History { cursor } = self.view else { return };
        let Some(entry) = self.history.newest_first().nth(cursor).cloned() else { return };
        let account = entry.account.unwrap_or_else(|| self.default_account());
        self.start_call(account, &entry.target);
    }

    pub(super) fn menu_select(&mut self) {
        let View::Menu { cursor } = self.view else { return };
        match view::MENU.get(cursor) {
            Some(view::MenuItem::Dnd) => self.dnd = !self.dnd,
            Some(view::MenuItem::CallWaiting) => self.call_waiting = !self.call_waiting,
            Some(view::MenuItem::Ringtone) => {
                let account = self.default_account();
                let current = self.ringtone(account);
                let at = Ringtone::ALL.iter().position(|r| *r == current).unwrap_or(0);
                self.config.ringtones.insert(account, Ringtone::ALL[(at + 1) % Ringtone::ALL.len()]);
            }
            Some(view::MenuItem::ClearHistory) if !self.history.is_empty() => {
                self.history.clear();
                self.missed_unseen = 0;
                self.out.push_back(DeviceOutput::HistoryChanged);
            }
            Some(view::MenuItem::Settings) => self.open_settings(),
            Some(view::MenuItem::ClearHistory) | None => {}
        }
    }

    // ----- the hook switch and the audio path -----

    pub(super) fn off_hook(&mut self) {
        if self.hook == Hook::OffHook {
            return;
        }
        self.hook = Hook::OffHook;
        self.path = AudioPath::Handset;
        if self.engaged().is_some() {
            return;
        }
        match self.ringing_line() {
            Some(idx) => self.answer(idx),
            None => {
                self.open_setup(Purpose::Call, None, None);
            }
        }
    }

    pub(super) fn on_hook(&mut self) {
        if self.hook == Hook::OnHook {
            return;
        }
        self.hook = Hook::OnHook;
        if self.path == AudioPath::Handset {
            self.end_engaged();
            self.path = AudioPath::Off;
        }
    }

    pub(super) fn path_key(&mut self, path: AudioPath) {
        if self.path == path {
            if self.hook == Hook::OffHook {
                self.path = AudioPath::Handset;
            } else {
                self.end_engaged();
                self.path = AudioPath::Off;
            }
            return;
        }
        self.path = path;
        if self.engaged().is_some() {
            return;
        }
        match self.ringing_line() {
            Some(idx) => self.answer(idx),
            None => {
                self.open_setup(Purpose::Call, None, None);
            }
        }
    }

    /// Opens the audio for a line being engaged.
    pub(super) fn engage_path(&mut self) {
        if self.path == AudioPath::Off {
            self.path = if self.hook == Hook::OffHook { AudioPath::Handset } else { AudioPath::Speaker };
        }
    }

    // ----- set-ups -----
}
