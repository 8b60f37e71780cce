//! A rig for the device tests: a [`Device`] on a virtual clock, with a stand-in core that
//! answers its outputs the way `phone::Core` reports calls (dial → Dialing, answer → Active,
//! hold → Held, hang-up → Ended), so each step returns everything the device output.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use phone::config::Transport;
use phone::core::{CallId, CallInfo, CallState};
use phone::device::{
    AccountSummary, Device, DeviceConfig, DeviceOutput, History, Hook, Input, Key, Lamp, LampKey, LampState,
};
use sip::session::EndReason;

pub struct Rig {
    pub start: Instant,
    pub now: Instant,
    pub device: Device,
    /// Every output so far.
    pub log: Vec<DeviceOutput>,
    /// The stand-in core's calls.
    pub calls: Vec<CallInfo>,
    next_call: u64,
    /// Whether the stand-in core answers the device's requests.
    pub echo: bool,
}

impl Rig {
    /// A phone with one account (the first-boot screen is for phones without one).
    pub fn new() -> Rig {
        Rig::with(config_with_account(), History::default())
    }

    pub fn with(config: DeviceConfig, history: History) -> Rig {
        let start = Instant::now();
        let mut rig = Rig {
            start,
            now: start,
            device: Device::new(start, config, history),
            log: Vec::new(),
            calls: Vec::new(),
            next_call: 1,
            echo: true,
        };
        rig.drain();
        rig
    }

    /// Hands `input` in; returns what came out, the stand-in core's reactions included.
    pub fn input(&mut self, input: Input) -> Vec<DeviceOutput> {
        let from = self.log.len();
        self.device.handle_input(self.now, input);
        self.drain();
        self.log[from..].to_vec()
    }

    pub fn key(&mut self, key: Key) -> Vec<DeviceOutput> {
        self.input(Input::Key(key))
    }

    pub fn keys(&mut self, digits: &str) -> Vec<DeviceOutput> {
        let mut out = Vec::new();
        for c in digits.chars() {
            out.extend(self.key(match c {
                '*' => Key::Star,
                '#' => Key::Pound,
                c => Key::Digit(c),
            }));
        }
        out
    }

    pub fn off_hook(&mut self) -> Vec<DeviceOutput> {
        self.input(Input::Hook(Hook::OffHook))
    }

    pub fn on_hook(&mut self) -> Vec<DeviceOutput> {
        self.input(Input::Hook(Hook::OnHook))
    }

    /// Lets `ms` pass, running every timeout due on the way. Each timeout handled must move
    /// the next one later (no timer stays due).
    pub fn advance(&mut self, ms: u64) -> Vec<DeviceOutput> {
        let from = self.log.len();
        let until = self.now + Duration::from_millis(ms);
        while let Some(at) = self.device.poll_timeout().filter(|at| *at <= until) {
            self.now = self.now.max(at);
            self.device.handle_timeout(self.now);
            self.drain();
            let next = self.device.poll_timeout();
            assert!(next.is_none_or(|next| next > self.now), "a timer stays due at {:?}", self.now - self.start);
        }
        self.now = until;
        self.log[from..].to_vec()
    }

    /// A call comes in from `"name" <sip:number@pbx>` on `account`.
    pub fn incoming_on(&mut self, account: usize, name: &str, number: &str) -> (CallId, Vec<DeviceOutput>) {
        let id = self.new_id();
        let remote =
            if name.is_empty() { format!("<sip:{number}@pbx>") } else { format!("\"{name}\" <sip:{number}@pbx>") };
        let info = CallInfo {
            id,
            account,
            remote,
            outgoing: false,
            state: CallState::Incoming,
            auto_answer: false,
            agent_session: false,
        };
        self.calls.push(info.clone());
        (id, self.input(Input::Call(info)))
    }

    pub fn incoming(&mut self, name: &str, number: &str) -> (CallId, Vec<DeviceOutput>) {
        self.incoming_on(0, name, number)
    }

    /// The core reports `call` in `state`.
    pub fn report(&mut self, call: CallId, state: CallState) -> Vec<DeviceOutput> {
        let Some(info) = self.calls.iter_mut().find(|c| c.id == call) else { return Vec::new() };
        info.state = state;
        let info = info.clone();
        self.input(Input::Call(info))
    }

    /// The last call the device dialed.
    pub fn last_dialed(&self) -> CallId {
        self.calls.iter().rev().find(|c| c.outgoing).map(|c| c.id).expect("a call was dialed")
    }

    /// Answers an incoming call from Bob by lifting the handset: returns its id.
    pub fn connected_call(&mut self) -> CallId {
        let (call, _) = self.incoming("Bob", "2002");
        self.off_hook();
        call
    }

    pub fn screen_text(&self) -> String {
        self.device.screen().render_text()
    }

    pub fn soft_keys(&self) -> [String; 4] {
        self.device.screen().soft_keys.clone()
    }

    pub fn lamp(&self, key: LampKey) -> LampState {
        lamp(self.device.lamps(), key)
    }

    fn new_id(&mut self) -> CallId {
        let id = CallId(self.next_call);
        self.next_call += 1;
        id
    }

    /// Drains the device; the stand-in core reacts to each output, its reports handed back in.
    pub fn drain(&mut self) {
        let mut reports = Vec::new();
        while let Some(output) = self.device.poll_output() {
            if self.echo {
                reports.extend(self.core_reaction(&output));
            }
            self.log.push(output);
        }
        for info in reports {
            self.device.handle_input(self.now, Input::Call(info));
            self.drain();
        }
    }

    fn core_reaction(&mut self, output: &DeviceOutput) -> Option<CallInfo> {
        let set = |calls: &mut Vec<CallInfo>, call: CallId, state: CallState| {
            let info = calls.iter_mut().find(|c| c.id == call)?;
            if matches!(info.state, CallState::Ended(_)) {
                return None;
            }
            info.state = state;
            Some(info.clone())
        };
        match output {
            DeviceOutput::Dial { account, target } => {
                let id = self.new_id();
                let info = CallInfo {
                    id,
                    account: *account,
                    remote: format!("<sip:{target}@pbx>"),
                    outgoing: true,
                    state: CallState::Dialing,
                    auto_answer: false,
                    agent_session: false,
                };
                self.calls.push(info.clone());
                Some(info)
            }
            DeviceOutput::Answer(call) | DeviceOutput::Resume(call) => set(&mut self.calls, *call, CallState::Active),
            DeviceOutput::Hold(call) => set(&mut self.calls, *call, CallState::Held),
            DeviceOutput::Hangup(call) => set(&mut self.calls, *call, CallState::Ended(EndReason::LocalHangup)),
            DeviceOutput::Reject { call, status } => {
                set(&mut self.calls, *call, CallState::Ended(EndReason::Declined { status: *status }))
            }
            DeviceOutput::Forward { call, .. } => {
                set(&mut self.calls, *call, CallState::Ended(EndReason::Declined { status: 302 }))
            }
            _ => None,
        }
    }
}

/// The default configuration with account 0, `alice` at `pbx.example.com`.
pub fn config_with_account() -> DeviceConfig {
    let alice = AccountSummary {
        label: "alice".to_owned(),
        server: "pbx.example.com".to_owned(),
        transport: Transport::Udp,
        user: "1001".to_owned(),
        auth_user: None,
        display_name: None,
        has_password: true,
        enabled: true,
    };
    DeviceConfig { accounts: vec![alice], ..DeviceConfig::default() }
}

pub fn lamp(lamps: &[Lamp], key: LampKey) -> LampState {
    lamps.iter().find(|l| l.key == key).map(|l| l.state).expect("no such lamp")
}

/// The outputs that are neither the screen nor the lamps nor history notes.
pub fn actions(outputs: &[DeviceOutput]) -> Vec<DeviceOutput> {
    outputs
        .iter()
        .filter(|o| !matches!(o, DeviceOutput::Screen(_) | DeviceOutput::Lamps(_) | DeviceOutput::HistoryChanged))
        .cloned()
        .collect()
}

pub fn dials(outputs: &[DeviceOutput]) -> Vec<String> {
    outputs
        .iter()
        .filter_map(|o| match o {
            DeviceOutput::Dial { target, .. } => Some(target.clone()),
            _ => None,
        })
        .collect()
}

pub fn labels(keys: [&str; 4]) -> [String; 4] {
    keys.map(str::to_owned)
}
