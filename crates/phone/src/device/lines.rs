//! Lines and calls: setting up, dialing, answering, holding, ending, and the call history.

use media::tones::Tone;
use sip::session::EndReason;

use super::*;

impl Device {
    /// Parks the engaged line and opens a set-up on line `line` (if free) or a free line:
    /// dial tone.
    pub(super) fn open_setup(
        &mut self,
        purpose: Purpose,
        line: Option<usize>,
        account: Option<usize>,
    ) -> Option<usize> {
        self.park();
        let account = account.or(line.and_then(|n| self.config.lines.get(n).copied()));
        let account = account.unwrap_or_else(|| self.default_account());
        let idx = match line {
            Some(n) => self.lines.get(n).and_then(|l| l.is_none().then_some(n)),
            None => self.free_line(account),
        };
        let Some(idx) = idx else {
            self.notice("No free line".to_owned());
            return None;
        };
        let setup = Setup { digits: String::new(), purpose, problem: None, deadline: None };
        self.lines[idx] = Some(Line { account, kind: LineKind::Setup(setup) });
        self.focus = Some(idx);
        self.view = View::Calls;
        self.engage_path();
        Some(idx)
    }

    pub(super) fn setup_digit(&mut self, idx: usize, c: char) {
        let Some(LineKind::Setup(setup)) = self.kind_mut(idx) else { return };
        if setup.problem.is_some() || setup.digits.len() >= MAX_DIGITS {
            return;
        }
        setup.digits.push(c);
        self.classify_setup(idx, true);
    }

    /// Matches the set-up's digits against the map: dial, wait, or refuse.
    pub(super) fn classify_setup(&mut self, idx: usize, may_send: bool) {
        let now = self.now;
        let (long, short) = (self.config.interdigit_timeout, self.config.short_interdigit_timeout);
        let (map, direct_ip) = (&self.config.digit_map, self.config.direct_ip_dialing);
        let Some(LineKind::Setup(setup)) = self.lines[idx].as_mut().map(|l| &mut l.kind) else { return };
        setup.problem = None;
        setup.deadline = None;
        if setup.digits.is_empty() {
            return;
        }
        match super::ipdial::classify(map, direct_ip, &setup.digits) {
            MapMatch::NoMatch => setup.problem = Some(INVALID),
            MapMatch::Complete if may_send => self.send_setup(idx),
            MapMatch::Complete | MapMatch::CompleteOrLonger => setup.deadline = Some(now + short),
            MapMatch::Partial => setup.deadline = Some(now + long),
        }
    }

    pub(super) fn digit_timeout(&mut self, idx: usize) {
        let Some(LineKind::Setup(setup)) = self.kind_mut(idx) else { return };
        if setup.digits.is_empty() || setup.problem.is_some() {
            return;
        }
        let digits = setup.digits.clone();
        let direct_ip = self.config.direct_ip_dialing;
        match super::ipdial::classify(&self.config.digit_map, direct_ip, &digits) {
            MapMatch::Complete | MapMatch::CompleteOrLonger => self.send_setup(idx),
            MapMatch::Partial if direct_ip && super::ipdial::target(&digits).is_some() => self.send_setup(idx),
            found => {
                if let Some(LineKind::Setup(setup)) = self.kind_mut(idx) {
                    setup.problem = Some(if found == MapMatch::Partial { INCOMPLETE } else { INVALID });
                }
            }
        }
    }

    pub(super) fn delete_digit(&mut self) {
        let Some(idx) = self.focus else { return };
        let Some(LineKind::Setup(setup)) = self.kind_mut(idx) else { return };
        if setup.digits.pop().is_some() {
            self.classify_setup(idx, false);
        } else {
            self.cancel_setup();
        }
    }

    /// Drops the focused set-up; a call it was for (transfer, conference) is resumed.
    pub(super) fn cancel_setup(&mut self) {
        let Some(idx) = self.focus else { return };
        let Some(LineKind::Setup(setup)) = self.kind(idx) else { return };
        let purpose = setup.purpose;
        self.lines[idx] = None;
        self.focus = None;
        if let Purpose::Transfer { call, .. } | Purpose::Conference { call } = purpose {
            if let Some(line) = self.line_of(call).filter(|&l| self.call_at(l).is_some_and(Call::held)) {
                self.resume(line);
            }
        }
    }

    /// Acts on the set-up's digits now: dial, or transfer blind.
    pub(super) fn send_setup(&mut self, idx: usize) {
        let Some(Line { account, kind: LineKind::Setup(setup) }) = self.lines[idx].clone() else { return };
        if setup.digits.is_empty() || setup.problem.is_some() {
            return;
        }
        let ip = self.config.direct_ip_dialing.then(|| super::ipdial::target(&setup.digits)).flatten();
        let target = ip.unwrap_or(setup.digits);
        match setup.purpose {
            Purpose::Transfer { call, attended: false } => self.blind_transfer(idx, call, target),
            purpose => self.dial(idx, account, target, purpose),
        }
    }

    pub(super) fn dial(&mut self, idx: usize, account: usize, target: String, purpose: Purpose) {
        // A call to an IP address goes without an account: the core reports it so.
        let account = if crate::core::direct_target(&target).is_some() { DIRECT } else { account };
        self.out.push_back(DeviceOutput::Dial { account, target: target.clone() });
        self.last_dialed.insert(account, target.clone());
        let pending = Pending { target, purpose, since: self.now, started: self.unix_now() };
        self.lines[idx] = Some(Line { account, kind: LineKind::Pending(pending) });
        self.focus = Some(idx);
        self.view = View::Calls;
    }

    /// Calls `target` from `account` (redial, speed dial, history, voicemail): into the focused
    /// set-up if there is one (a transfer set-up transfers to it), else on a new line.
    pub(super) fn start_call(&mut self, account: usize, target: &str) {
        self.view = View::Calls;
        let idx = match self.focus.filter(|&f| matches!(self.kind(f), Some(LineKind::Setup(_)))) {
            Some(idx) => idx,
            None => match self.open_setup(Purpose::Call, None, Some(account)) {
                Some(idx) => idx,
                None => return,
            },
        };
        if let Some(Line { account: line_account, kind: LineKind::Setup(setup) }) = self.lines[idx].as_mut() {
            if setup.purpose == Purpose::Call {
                *line_account = account;
            }
            setup.digits = target.to_owned();
            setup.problem = None;
            setup.deadline = None;
        }
        self.send_setup(idx);
    }

    pub(super) fn blind_transfer(&mut self, setup_line: usize, call: CallId, target: String) {
        self.lines[setup_line] = None;
        if self.focus == Some(setup_line) {
            self.focus = None;
        }
        self.blind_transfer_call(call, target);
    }

    pub(super) fn blind_transfer_call(&mut self, call: CallId, target: String) {
        let Some(idx) = self.line_of(call) else {
            self.notice("The call has ended".to_owned());
            return;
        };
        let note = format!("Transferring {} to {target}", self.call_display(call));
        if let Some(LineKind::Call(c)) = self.kind_mut(idx) {
            c.transfer_note = Some(note);
        }
        self.out.push_back(DeviceOutput::Transfer { call, target });
        self.focus = Some(idx);
    }

    // ----- calls -----

    pub(super) fn answer(&mut self, idx: usize) {
        if !self.call_at(idx).is_some_and(Call::ringing_in) {
            return;
        }
        self.park();
        let now = self.now;
        let Some(LineKind::Call(call)) = self.kind_mut(idx) else { return };
        call.state = CallState::Active;
        call.answered_at = Some(now);
        call.forward_at = None;
        let id = call.id;
        self.out.push_back(DeviceOutput::Answer(id));
        self.focus = Some(idx);
        self.view = View::Calls;
        self.engage_path();
    }

    pub(super) fn reject(&mut self, idx: usize) {
        let Some(call) = self.call_at(idx).filter(|c| c.ringing_in()) else { return };
        let call = call.id;
        self.out.push_back(DeviceOutput::Reject { call, status: self.config.reject_status });
        self.finish_call(idx);
    }

    pub(super) fn hold(&mut self, idx: usize) {
        if self.agent_park(idx) {
            return;
        }
        let Some(LineKind::Call(call)) = self.kind_mut(idx) else { return };
        if call.connected() {
            call.state = CallState::Held;
            let id = call.id;
            self.out.push_back(DeviceOutput::Hold(id));
        }
    }

    pub(super) fn resume(&mut self, idx: usize) {
        if !self.call_at(idx).is_some_and(Call::held) {
            return;
        }
        self.park();
        let Some(LineKind::Call(call)) = self.kind_mut(idx) else { return };
        call.state = CallState::Active;
        call.transfer_note = None;
        let id = call.id;
        self.out.push_back(DeviceOutput::Resume(id));
        self.focus = Some(idx);
        self.view = View::Calls;
        self.engage_path();
    }

    pub(super) fn hangup(&mut self, idx: usize) {
        let Some(call) = self.call_at(idx) else { return };
        let id = call.id;
        self.out.push_back(DeviceOutput::Hangup(id));
        self.finish_call(idx);
    }

    /// Frees the engaged line (or conference) so another can be taken: a connected call is
    /// held, a call going out hung up, a set-up dropped.
    pub(super) fn park(&mut self) {
        if !self.conference.is_empty() {
            let calls = std::mem::take(&mut self.conference);
            self.out.push_back(DeviceOutput::Conference { calls: Vec::new() });
            for id in calls {
                if let Some(idx) = self.line_of(id) {
                    self.hold(idx);
                }
            }
        }
        for idx in 0..self.lines.len() {
            match self.kind(idx) {
                Some(LineKind::Call(call)) if call.connected() => self.hold(idx),
                Some(LineKind::Call(call)) if call.progressing() => self.hangup(idx),
                Some(LineKind::Call(_)) | None => {}
                Some(_) => self.drop_line(idx),
            }
        }
    }

    /// Ends what is engaged: the conference, the call, the set-up (hook down, End).
    pub(super) fn end_engaged(&mut self) {
        if !self.conference.is_empty() {
            self.conference.clear();
            self.out.push_back(DeviceOutput::Conference { calls: Vec::new() });
        }
        for idx in 0..self.lines.len() {
            match self.kind(idx) {
                Some(LineKind::Call(call)) if call.engaged() => self.hangup(idx),
                Some(LineKind::Call(_)) | None => {}
                Some(_) => self.drop_line(idx),
            }
        }
    }

    /// The End soft key: ends what is engaged, or the focused held call.
    pub(super) fn end_key(&mut self) {
        match self.focus.and_then(|f| self.call_at(f).map(|c| (f, c.held()))) {
            Some((idx, true)) => self.hangup(idx),
            _ => self.end_engaged(),
        }
    }

    /// Drops a set-up, pending dial or failed call from its line.
    pub(super) fn drop_line(&mut self, idx: usize) {
        let Some(line) = self.lines[idx].take() else { return };
        if let LineKind::Pending(pending) = &line.kind {
            self.orphans.push_back(line.account);
            self.record_dial(line.account, &pending.target, pending.started);
        }
        if self.focus == Some(idx) {
            self.focus = None;
        }
    }

    /// Removes the call on line `idx`, recording it in the history.
    pub(super) fn finish_call(&mut self, idx: usize) -> Option<Call> {
        let line = self.lines[idx].take()?;
        let LineKind::Call(call) = line.kind else {
            self.lines[idx] = Some(line);
            return None;
        };
        self.record_call(&call, line.account);
        self.forget(call.id);
        if let Some(at) = self.conference.iter().position(|c| *c == call.id) {
            self.conference.remove(at);
            if self.conference.len() < 2 {
                self.conference.clear();
                self.out.push_back(DeviceOutput::Conference { calls: Vec::new() });
            }
        }
        for line in self.lines.iter_mut().flatten() {
            if let LineKind::Call(other) = &mut line.kind {
                if other.consult_for == Some(call.id) {
                    other.consult_for = None;
                }
            }
        }
        if self.focus == Some(idx) {
            self.focus = None;
        }
        Some(call)
    }

    pub(super) fn forget(&mut self, id: CallId) {
        self.gone.push_back(id);
        if self.gone.len() > GONE_MEMORY {
            self.gone.pop_front();
        }
    }

    pub(super) fn call_report(&mut self, info: CallInfo) {
        if self.gone.contains(&info.id) {
            return;
        }
        if let Some(idx) = self.line_of(info.id) {
            return self.update_call(idx, info);
        }
        if matches!(info.state, CallState::Ended(_)) {
            return;
        }
        if info.outgoing {
            if let Some(at) = self.orphans.iter().position(|a| *a == info.account) {
                self.orphans.remove(at);
                self.out.push_back(DeviceOutput::Hangup(info.id));
                self.forget(info.id);
                return;
            }
            if let Some(idx) = self.pending_line(info.account, None) {
                let Some(Line { kind: LineKind::Pending(pending), .. }) = self.lines[idx].clone() else { return };
                let mut call = Call::new(&info, pending.since, pending.started);
                call.target = Some(pending.target);
                call.consult_for = pending.purpose.consult_for();
                if let Some(line) = self.lines[idx].as_mut() {
                    line.kind = LineKind::Call(call);
                }
                return self.update_call(idx, info);
            }
        } else if info.state == CallState::Incoming {
            return self.incoming(info);
        }
        self.adopt(info);
    }

    /// A call the device did not start or see ring (placed by the core for a REFER it
    /// obeyed, or answered by the edge): it takes a free line.
    pub(super) fn adopt(&mut self, info: CallInfo) {
        let Some(idx) = self.free_line(info.account) else {
            self.out.push_back(DeviceOutput::Hangup(info.id));
            self.forget(info.id);
            return;
        };
        let mut call = Call::new(&info, self.now, self.unix_now());
        if call.connected() {
            call.answered_at = Some(self.now);
        }
        let engaged = call.engaged();
        self.lines[idx] = Some(Line { account: info.account, kind: LineKind::Call(call) });
        if engaged && self.focus.is_none_or(|f| !self.lines[f].as_ref().is_some_and(Line::engaged)) {
            self.focus = Some(idx);
        }
    }

    pub(super) fn incoming(&mut self, info: CallInfo) {
        let call = Call::new(&info, self.now, self.unix_now());
        let refuse = |device: &mut Device, output: DeviceOutput| {
            device.out.push_back(output);
            device.record_call(&call, info.account);
            device.forget(call.id);
        };
        if let Some(target) = self.forwarding.always.clone() {
            return refuse(self, DeviceOutput::Forward { call: info.id, target });
        }
        if self.dnd {
            return refuse(self, DeviceOutput::Reject { call: info.id, status: self.config.reject_status });
        }
        let in_use = self.lines.iter().any(Option::is_some);
        let idx = self.free_line(info.account).filter(|_| self.call_waiting || !in_use);
        let Some(idx) = idx else {
            let output = match self.forwarding.busy.clone() {
                Some(target) => DeviceOutput::Forward { call: info.id, target },
                None => DeviceOutput::Reject { call: info.id, status: 486 },
            };
            return refuse(self, output);
        };
        let mut call = call;
        if self.forwarding.no_answer.is_some() {
            call.forward_at = Some(self.now + self.forwarding.no_answer_after);
        }
        self.lines[idx] = Some(Line { account: info.account, kind: LineKind::Call(call) });
        if self.engaged().is_none() {
            self.focus = Some(idx);
            self.view = View::Calls;
            if info.auto_answer {
                self.answer(idx);
            }
        }
    }

    pub(super) fn update_call(&mut self, idx: usize, info: CallInfo) {
        if self.agent_session_report(idx, &info) {
            return;
        }
        if let CallState::Ended(reason) = &info.state {
            return self.call_ended(idx, reason);
        }
        let now = self.now;
        let Some(LineKind::Call(call)) = self.kind_mut(idx) else { return };
        if matches!(info.state, CallState::Active | CallState::RemoteHold | CallState::Held) {
            call.forward_at = None;
            if call.answered_at.is_none() {
                call.answered_at = Some(now);
            }
        }
        if !info.remote.is_empty() {
            let (name, number, uri) = parse_remote(&info.remote);
            (call.name, call.number, call.uri) = (name, number, uri);
        }
        call.state = info.state;
    }

    pub(super) fn call_ended(&mut self, idx: usize, reason: &EndReason) {
        let focused = self.focus == Some(idx);
        let account = self.lines[idx].as_ref().map_or(0, |l| l.account);
        let Some(call) = self.finish_call(idx) else { return };
        if !(call.outgoing && call.answered_at.is_none() && focused) {
            return;
        }
        let who = call.display();
        let failed = match reason {
            EndReason::Rejected { status: 486 | 600 | 603, .. } => Some((Tone::Busy, format!("Busy: {who}"))),
            EndReason::Rejected { status, reason } => {
                Some((Tone::Congestion, format!("Call failed: {who} ({status} {reason})").replace(" )", ")")))
            }
            EndReason::NoResponse => Some((Tone::Congestion, format!("Call failed: {who} (no response)"))),
            EndReason::Failed => Some((Tone::Congestion, format!("Call failed: {who}"))),
            _ => None,
        };
        if let Some((tone, text)) = failed {
            self.lines[idx] = Some(Line { account, kind: LineKind::Failed(Failed { text, tone }) });
            self.focus = Some(idx);
        }
    }

    pub(super) fn dial_failed(&mut self, account: usize, target: &str) {
        if let Some(at) = self.orphans.iter().position(|a| *a == account) {
            self.orphans.remove(at);
            return;
        }
        if let Some(idx) = self.pending_line(account, Some(target)) {
            self.pending_failed(idx, target);
        }
    }

    /// A dial whose call never came: recorded, and shown failed if focused.
    pub(super) fn pending_failed(&mut self, idx: usize, target: &str) {
        let Some(Line { account, kind: LineKind::Pending(pending) }) = self.lines[idx].take() else { return };
        self.record_dial(account, &pending.target, pending.started);
        if self.focus == Some(idx) {
            let text = format!("Call failed: {target}");
            self.lines[idx] = Some(Line { account, kind: LineKind::Failed(Failed { text, tone: Tone::Congestion }) });
        }
    }

    // ----- history -----

    pub(super) fn record_call(&mut self, call: &Call, account: usize) {
        let kind = match (call.outgoing, call.answered_at.is_some()) {
            (true, _) => HistoryKind::Dialed,
            (false, true) => HistoryKind::Received,
            (false, false) => HistoryKind::Missed,
        };
        let target = match (&call.target, call.outgoing) {
            (Some(target), true) => target.clone(),
            _ => call.uri.clone(),
        };
        let number = if call.number.is_empty() { target.clone() } else { call.number.clone() };
        let duration = call.answered_at.map(|t| self.now.saturating_duration_since(t)).unwrap_or_default();
        self.record(HistoryEntry {
            kind,
            account: (account != usize::MAX).then_some(account),
            name: call.name.clone(),
            number,
            target,
            time: call.started,
            duration_secs: duration.as_secs(),
        });
    }

    pub(super) fn record_dial(&mut self, account: usize, target: &str, started: u64) {
        self.record(HistoryEntry {
            kind: HistoryKind::Dialed,
            account: (account != usize::MAX).then_some(account),
            name: String::new(),
            number: target.to_owned(),
            target: target.to_owned(),
            time: started,
            duration_secs: 0,
        });
    }

    pub(super) fn record(&mut self, entry: HistoryEntry) {
        if entry.kind == HistoryKind::Missed {
            self.missed_unseen = self.missed_unseen.saturating_add(1);
        }
        if let (HistoryKind::Dialed, Some(account)) = (entry.kind, entry.account) {
            self.last_dialed.insert(account, entry.target.clone());
        }
        self.history.push(entry);
        self.out.push_back(DeviceOutput::HistoryChanged);
    }

    // ----- lookups -----
}
