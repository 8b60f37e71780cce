//! The deskphone, sans-IO: hook switch, keys, lamps and screen on top of the calls of
//! [`crate::core::Core`].
//!
//! A [`Device`] is driven like the core: the edge hands in what happens with
//! [`Device::handle_input`] (a key, the hook switch, each [`crate::Output::Call`] of the core, the
//! registration state, the clock, message waiting), calls [`Device::handle_timeout`] at
//! [`Device::poll_timeout`], and after any call drains [`Device::poll_output`]: what the core
//! must do ([`DeviceOutput::Dial`], [`DeviceOutput::Answer`], [`DeviceOutput::Hold`], ...), what
//! the audio must do (tones, ringer, audio path, mute, volume) and what the front end shows
//! ([`DeviceOutput::Screen`], [`DeviceOutput::Lamps`], each only when it changed). The device
//! reads no clock and does no I/O; the same inputs at the same instants give the same outputs.
//!
//! # Lines
//!
//! Each line key ([`DeviceConfig::lines`]) is one call appearance of an account: at most one
//! call or call set-up per line. At most one line is *engaged* at a time (the user talks or
//! dials on it: a set-up, a call going out, a connected call; a local conference engages its
//! two calls); the others ring, are held, or are idle. Taking another line (answering, resuming,
//! a new call) first *parks* the engaged one: a connected call is put on hold, a call still
//! going out is hung up (an unanswered call cannot be held), a set-up is dropped. The focused
//! line is the engaged one, else a ringing or held line the screen and soft keys are about.
//!
//! A line goes: idle → set-up (dial tone; the tone stops at the first digit) → dialing (after
//! [`DeviceOutput::Dial`], until the core reports the call) → ringing out (ringback tone, unless
//! early media plays) → connected → held ↔ connected → idle. An outgoing call refused by the far
//! end stays on its line as *failed* with busy (486, 600, 603) or congestion tone until the user
//! hangs up. Incoming: ringing (ringtone of its account, or the call-waiting tone when the user
//! is in a call; the lamp blinks fast) → connected by the hook switch, its line key, the Answer
//! soft key or OK.
//!
//! # Digit map
//!
//! Digits are matched against [`DeviceConfig::digit_map`] as they come ([`DigitMap`]): a
//! complete number that cannot grow is dialed at once; a complete number that could grow is
//! dialed after [`DeviceConfig::short_interdigit_timeout`]; an incomplete one waits
//! [`DeviceConfig::interdigit_timeout`] and is then refused. `#` (or OK, or the Send soft key)
//! dials what was typed at once, complete or not: the user's explicit send overrides the map's
//! length. A number the map can never match is refused at once: congestion tone and "Invalid
//! number" on screen, nothing dialed; Back removes the last digit.
//!
//! # What the core and the edge must provide
//!
//! * [`DeviceOutput::AttendedTransfer`]: REFER on `call` whose Refer-To is the far end of
//!   `consult` with `?Replaces=` that dialog's Call-ID, to-tag and from-tag (RFC 3891,
//!   RFC 5589 §7); the core has only blind REFER ([`crate::Core::transfer`]) today.
//! * [`DeviceOutput::Forward`]: a 302 response with `Contact: <target>` (RFC 3261 §21.3.3);
//!   the core's `reject` takes no Contact today.
//! * [`DeviceOutput::Conference`]: the edge mixes the listed calls' audio locally (each hears
//!   the other and us); an empty list ends the mixing.
//! * [`Input::DialFailed`]: when [`crate::Core::dial`] refuses, so the line does not wait
//!   [`DIAL_TIMEOUT`] for a call that never comes.
//! * Persistence of the [`History`] after [`DeviceOutput::HistoryChanged`].
//! * [`DeviceOutput::SaveSettings`]: the settings menu's changes, as a configuration layer to
//!   merge over the device layer, validate, write and apply; then [`Device::reconfigure`] and
//!   [`Input::SettingsResult`].
//! * [`Input::Network`]: the phone's addresses for the settings menu and the first-boot screen.
//!
//! # Settings and first boot
//!
//! [`Key::Menu`] opens the settings menu behind the admin PIN (`settings` module: accounts,
//! network, audio, status; text typed by multi-tap, [`TextEntry`]). With no account configured
//! the idle screen says how to add one and shows the phone's direct-call address; with
//! [`DeviceConfig::direct_ip_dialing`] an IP address typed with `*` for its dots
//! (`192*168*1*10#`) is called directly (`ipdial` module).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use media::tones::{Ringtone, Tone};

use crate::core::{CallId, CallInfo, CallState};

mod agent;
mod digitmap;
mod history;
mod ipdial;
mod keys;
mod lines;
mod multitap;
mod reconfigure;
mod screen;
mod settings;
mod types;
mod view;

pub use agent::{AGENT_SESSION_ENDED, MAX_TEXT_SHOWN};
pub use digitmap::{DigitMap, DigitMapError, MapMatch, DEFAULT_DIGIT_MAP};
pub use history::{History, HistoryEntry, HistoryError, HistoryKind, DEFAULT_HISTORY_SIZE};
pub use multitap::{letters, EntryMode, TextEntry, MULTITAP_TIMEOUT};
pub use screen::{Screen, StatusBar};
pub use settings::{LOCKOUT, PIN_TRIES};
pub use types::*;

use screen::parse_remote;
use view::View;

/// The account of a direct call to an IP address (no account), as the core reports it.
pub const DIRECT: usize = usize::MAX;
/// The highest volume level; levels go from 0 to this.
pub const MAX_VOLUME: u8 = 10;
/// Every volume's level at start.
pub const DEFAULT_VOLUME: u8 = 5;
/// The most digits a set-up collects; more are ignored.
pub const MAX_DIGITS: usize = 32;
/// How long a line waits, after [`DeviceOutput::Dial`], for the core to report the call.
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a notice ("Volume 6/10", "Do not disturb on") stays on screen.
pub const NOTICE_TIME: Duration = Duration::from_secs(3);
/// How many ended or refused calls are remembered, to ignore the core's late reports of them.
const GONE_MEMORY: usize = 64;
/// Wall-clock times are taken up to here (the year 36812): the arithmetic never overflows.
const MAX_UNIX: u64 = 1 << 40;

const INVALID: &str = "Invalid number";
const INCOMPLETE: &str = "Incomplete number";

/// What a set-up collects digits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// A new call.
    Call,
    /// The target to transfer `call` to: REFER at once (blind), or call it first (attended).
    Transfer { call: CallId, attended: bool },
    /// A third party to join `call` in a conference.
    Conference { call: CallId },
}

impl Purpose {
    /// The call a call placed for this purpose consults for.
    fn consult_for(self) -> Option<CallId> {
        match self {
            Purpose::Transfer { call, attended: true } | Purpose::Conference { call } => Some(call),
            _ => None,
        }
    }
}

/// Dial tone and digits.
#[derive(Debug, Clone)]
struct Setup {
    digits: String,
    purpose: Purpose,
    /// Why the digits cannot be dialed ([`INVALID`], [`INCOMPLETE`]): congestion tone.
    problem: Option<&'static str>,
    /// When to act on the digits typed (inter-digit timeout).
    deadline: Option<Instant>,
}

/// A dial sent; the core's call not reported yet.
#[derive(Debug, Clone)]
struct Pending {
    target: String,
    purpose: Purpose,
    since: Instant,
    started: u64,
}

/// An outgoing call the far end or the network refused.
#[derive(Debug, Clone)]
struct Failed {
    text: String,
    tone: Tone,
}

/// A call on a line.
#[derive(Debug, Clone)]
struct Call {
    id: CallId,
    name: String,
    number: String,
    uri: String,
    /// What we dialed, for an outgoing call.
    target: Option<String>,
    outgoing: bool,
    state: CallState,
    /// When it was reported (ringing order) or dialed.
    since: Instant,
    /// When it started, seconds since the epoch (0: unknown).
    started: u64,
    answered_at: Option<Instant>,
    /// The call this one was placed to consult about (attended transfer, conference).
    consult_for: Option<CallId>,
    /// Shown instead of the call while a transfer of it is under way.
    transfer_note: Option<String>,
    /// When to forward it unanswered.
    forward_at: Option<Instant>,
    /// A VICIdial agent session (held by muting).
    agent_session: bool,
}

impl Call {
    fn new(info: &CallInfo, since: Instant, started: u64) -> Call {
        let (name, number, uri) = parse_remote(&info.remote);
        Call {
            id: info.id,
            name,
            number,
            uri,
            target: None,
            outgoing: info.outgoing,
            state: info.state.clone(),
            since,
            started,
            answered_at: None,
            consult_for: None,
            transfer_note: None,
            forward_at: None,
            agent_session: info.agent_session,
        }
    }

    /// Talking (or held by the far end).
    fn connected(&self) -> bool {
        matches!(self.state, CallState::Active | CallState::RemoteHold)
    }

    /// An outgoing call not answered yet.
    fn progressing(&self) -> bool {
        self.outgoing && matches!(self.state, CallState::Dialing | CallState::Ringing { .. })
    }

    /// An incoming call ringing here.
    fn ringing_in(&self) -> bool {
        !self.outgoing && self.state == CallState::Incoming
    }

    fn held(&self) -> bool {
        self.state == CallState::Held
    }

    fn engaged(&self) -> bool {
        self.connected() || self.progressing()
    }

    /// The far end as the screen shows it.
    fn display(&self) -> String {
        let number = match (&self.target, self.number.is_empty()) {
            (Some(target), true) => target.as_str(),
            _ => self.number.as_str(),
        };
        screen::party(&self.name, number)
    }
}

/// What is on a line.
#[derive(Debug, Clone)]
enum LineKind {
    Setup(Setup),
    Pending(Pending),
    Call(Call),
    Failed(Failed),
}

/// A line in use.
#[derive(Debug, Clone)]
struct Line {
    /// The account it is used for.
    account: usize,
    kind: LineKind,
}

impl Line {
    fn engaged(&self) -> bool {
        match &self.kind {
            LineKind::Call(call) => call.engaged(),
            _ => true,
        }
    }

    fn call(&self) -> Option<&Call> {
        match &self.kind {
            LineKind::Call(call) => Some(call),
            _ => None,
        }
    }
}

/// The phone's network, from [`Input::Network`].
#[derive(Debug, Clone)]
struct NetworkInfo {
    addresses: Vec<std::net::IpAddr>,
    mac: Option<String>,
    sip_port: u16,
}

/// An account as the status bar shows it.
#[derive(Debug, Clone, Default)]
struct AccountStatus {
    label: String,
    registered: bool,
    state: String,
}

/// The deskphone: see the module documentation.
#[derive(Debug)]
pub struct Device {
    config: DeviceConfig,
    now: Instant,
    lines: Vec<Option<Line>>,
    focus: Option<usize>,
    view: View,
    hook: Hook,
    path: AudioPath,
    muted: bool,
    dnd: bool,
    call_waiting: bool,
    forwarding: Forwarding,
    volumes: [u8; 4],
    accounts: BTreeMap<usize, AccountStatus>,
    messages: BTreeMap<usize, (u32, u32)>,
    /// The wall clock: seconds since the epoch and UTC offset at an instant.
    clock: Option<(u64, i32, Instant)>,
    history: History,
    last_dialed: BTreeMap<usize, String>,
    missed_unseen: u32,
    /// The calls mixed locally, and since when.
    conference: Vec<CallId>,
    conference_since: Option<Instant>,
    /// Calls ended or refused here: the core's later reports of them are ignored.
    gone: VecDeque<CallId>,
    /// Accounts of dials dropped before their call was reported: that call is hung up.
    orphans: VecDeque<usize>,
    notice: Option<(String, Instant)>,
    /// A text message on screen until OK or Back.
    text: Option<String>,
    out: VecDeque<DeviceOutput>,
    shown_path: AudioPath,
    shown_mute: bool,
    shown_ring: Option<(usize, Ringtone)>,
    shown_tone: Option<Tone>,
    lamps: Vec<Lamp>,
    screen: Screen,
    shown_once: bool,
    settings: settings::Settings,
    network: Option<NetworkInfo>,
}

impl Device {
    /// A device idle on hook, with `history` (from [`History::from_toml`], or empty). Its first
    /// outputs are the lamps and the screen.
    pub fn new(now: Instant, mut config: DeviceConfig, mut history: History) -> Device {
        if config.lines.is_empty() {
            config.lines.push(0);
        }
        if !(400..=699).contains(&config.reject_status) {
            config.reject_status = 486;
        }
        history.set_capacity(config.history_size);
        let mut last_dialed = BTreeMap::new();
        for entry in history.entries().iter().filter(|e| e.kind == HistoryKind::Dialed) {
            if let Some(account) = entry.account {
                last_dialed.insert(account, entry.target.clone());
            }
        }
        let volumes = config.volumes.map(|v| v.min(MAX_VOLUME));
        let mut device = Device {
            lines: vec![None; config.lines.len()],
            dnd: config.dnd,
            call_waiting: config.call_waiting,
            forwarding: config.forwarding.clone(),
            config,
            now,
            focus: None,
            view: View::Calls,
            hook: Hook::OnHook,
            path: AudioPath::Off,
            muted: false,
            volumes,
            accounts: BTreeMap::new(),
            messages: BTreeMap::new(),
            clock: None,
            history,
            last_dialed,
            missed_unseen: 0,
            conference: Vec::new(),
            conference_since: None,
            gone: VecDeque::new(),
            orphans: VecDeque::new(),
            notice: None,
            text: None,
            out: VecDeque::new(),
            shown_path: AudioPath::Off,
            shown_mute: false,
            shown_ring: None,
            shown_tone: None,
            lamps: Vec::new(),
            screen: Screen::default(),
            shown_once: false,
            settings: settings::Settings::default(),
            network: None,
        };
        device.sync();
        device
    }

    /// Handles one input at `now` (instants must not go back; an earlier one counts as the
    /// latest seen).
    pub fn handle_input(&mut self, now: Instant, input: Input) {
        self.advance(now);
        match input {
            Input::Key(key) => self.key(key),
            Input::Hook(Hook::OffHook) => self.off_hook(),
            Input::Hook(Hook::OnHook) => self.on_hook(),
            Input::Call(info) => self.call_report(info),
            Input::DialFailed { account, target } => self.dial_failed(account, &target),
            Input::Account { index, label, registered, state_text } => {
                self.accounts.insert(index, AccountStatus { label, registered, state: state_text });
            }
            Input::Clock { unix_secs, utc_offset_secs } => {
                self.clock = Some((unix_secs.min(MAX_UNIX), utc_offset_secs.clamp(-86_400, 86_400), self.now));
            }
            Input::MessageWaiting { account, new, old } => {
                self.messages.insert(account, (new, old));
            }
            Input::SetForwarding(forwarding) => self.forwarding = forwarding,
            Input::Network { addresses, mac, sip_port } => {
                self.network = Some(NetworkInfo { addresses, mac, sip_port });
            }
            Input::SettingsResult(result) => self.settings_result(result),
            Input::TextMessage { from, text } => self.text_message(&from, &text),
        }
        self.sync();
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<DeviceOutput> {
        self.out.pop_front()
    }

    /// When [`Device::handle_timeout`] is due: an inter-digit timeout, a dial waiting for its
    /// call, forward-on-no-answer, the call timer or clock on screen, a notice to clear.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        for line in self.lines.iter().flatten() {
            match &line.kind {
                LineKind::Setup(setup) => consider(setup.deadline),
                LineKind::Pending(pending) => consider(Some(pending.since + DIAL_TIMEOUT)),
                LineKind::Call(call) => consider(call.forward_at),
                LineKind::Failed(_) => {}
            }
        }
        consider(self.notice.as_ref().map(|(_, until)| *until));
        consider(self.settings.poll_timeout(self.now));
        consider(self.timer_tick());
        consider(self.clock_tick());
        next
    }

    /// Acts on what is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
        let now = self.now;
        for idx in 0..self.lines.len() {
            let Some(line) = &mut self.lines[idx] else { continue };
            let account = line.account;
            match &mut line.kind {
                LineKind::Setup(setup) if setup.deadline.is_some_and(|d| d <= now) => {
                    setup.deadline = None;
                    self.digit_timeout(idx);
                }
                LineKind::Pending(pending) if pending.since + DIAL_TIMEOUT <= now => {
                    let target = pending.target.clone();
                    self.orphans.push_back(account);
                    self.pending_failed(idx, &target);
                }
                LineKind::Call(call) if call.forward_at.is_some_and(|t| t <= now) => {
                    call.forward_at = None;
                    if let (true, Some(target)) = (call.ringing_in(), self.forwarding.no_answer.clone()) {
                        let id = call.id;
                        self.out.push_back(DeviceOutput::Forward { call: id, target });
                        self.finish_call(idx);
                    }
                }
                _ => {}
            }
        }
        if self.notice.as_ref().is_some_and(|(_, until)| *until <= now) {
            self.notice = None;
        }
        self.settings.handle_timeout(now);
        self.sync();
    }

    /// The screen as last output.
    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// The lamps as last output.
    pub fn lamps(&self) -> &[Lamp] {
        &self.lamps
    }

    /// The call history.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Do-not-disturb is on.
    pub fn dnd(&self) -> bool {
        self.dnd
    }

    /// The audio path in use.
    pub fn audio_path(&self) -> AudioPath {
        self.path
    }

    /// The microphone is muted.
    pub fn muted(&self) -> bool {
        self.muted
    }

    /// The hook switch.
    pub fn hook(&self) -> Hook {
        self.hook
    }

    /// A volume's level.
    pub fn volume(&self, of: VolumeOf) -> u8 {
        self.volumes[of as usize]
    }

    /// The call on line key `n`, if any.
    pub fn line_call(&self, n: usize) -> Option<CallId> {
        self.lines.get(n)?.as_ref()?.call().map(|c| c.id)
    }

    /// The configuration.
    pub fn config(&self) -> &DeviceConfig {
        &self.config
    }

    fn kind(&self, idx: usize) -> Option<&LineKind> {
        self.lines.get(idx)?.as_ref().map(|l| &l.kind)
    }

    fn kind_mut(&mut self, idx: usize) -> Option<&mut LineKind> {
        self.lines.get_mut(idx)?.as_mut().map(|l| &mut l.kind)
    }

    fn call_at(&self, idx: usize) -> Option<&Call> {
        self.lines.get(idx)?.as_ref()?.call()
    }

    fn line_of(&self, id: CallId) -> Option<usize> {
        self.lines.iter().position(|l| l.as_ref().and_then(Line::call).is_some_and(|c| c.id == id))
    }

    fn call_display(&self, id: CallId) -> String {
        self.line_of(id).and_then(|i| self.call_at(i)).map(Call::display).unwrap_or_default()
    }

    /// The first engaged line.
    fn engaged(&self) -> Option<usize> {
        self.lines.iter().position(|l| l.as_ref().is_some_and(Line::engaged))
    }

    /// The ringing line to answer: the focused one, else the one ringing longest.
    fn ringing_line(&self) -> Option<usize> {
        if let Some(f) = self.focus.filter(|&f| self.call_at(f).is_some_and(Call::ringing_in)) {
            return Some(f);
        }
        (0..self.lines.len())
            .filter_map(|i| self.call_at(i).filter(|c| c.ringing_in()).map(|c| (c.since, i)))
            .min()
            .map(|(_, i)| i)
    }

    /// The held call `call` would be transferred or conferenced with: the one it consults for,
    /// else the first held call.
    fn held_partner(&self, call: &Call) -> Option<CallId> {
        let held = |id: CallId| self.line_of(id).and_then(|i| self.call_at(i)).is_some_and(Call::held);
        call.consult_for.filter(|id| held(*id)).or_else(|| {
            self.lines.iter().flatten().filter_map(Line::call).find(|c| c.id != call.id && c.held()).map(|c| c.id)
        })
    }

    fn pending_line(&self, account: usize, target: Option<&str>) -> Option<usize> {
        let pending = |i: usize, exact: bool| match self.lines[i].as_ref() {
            Some(Line { account: a, kind: LineKind::Pending(p) }) => {
                *a == account && (!exact || Some(p.target.as_str()) == target)
            }
            _ => false,
        };
        let exact = (0..self.lines.len()).find(|&i| pending(i, true));
        exact.or_else(|| (0..self.lines.len()).find(|&i| pending(i, false)))
    }

    /// A free line, one of `account`'s first.
    fn free_line(&self, account: usize) -> Option<usize> {
        let free = |i: &usize| self.lines[*i].is_none();
        let own = (0..self.lines.len()).filter(free).find(|&i| self.config.lines.get(i) == Some(&account));
        own.or_else(|| (0..self.lines.len()).find(free))
    }

    fn default_account(&self) -> usize {
        self.config.lines.first().copied().unwrap_or(0)
    }

    fn ringtone(&self, account: usize) -> Ringtone {
        self.config.ringtones.get(&account).copied().unwrap_or(self.config.default_ringtone)
    }

    fn new_messages(&self, account: usize) -> u32 {
        self.messages.get(&account).map_or(0, |(new, _)| *new)
    }

    fn unix_now(&self) -> u64 {
        self.clock.map_or(0, |(unix, _, at)| unix.saturating_add(self.now.saturating_duration_since(at).as_secs()))
    }

    fn notice(&mut self, text: String) {
        self.notice = Some((text, self.now + NOTICE_TIME));
    }

    // ----- what follows from the state: audio, ringer, tones, lamps, screen -----

    fn refocus(&mut self) {
        if self.focus.is_some_and(|f| self.lines[f].is_none()) {
            self.focus = None;
        }
        if let Some(engaged) = self.engaged() {
            if !self.focus.is_some_and(|f| self.lines[f].as_ref().is_some_and(Line::engaged)) {
                self.focus = Some(engaged);
            }
            return;
        }
        if self.focus.is_none() {
            let held = (0..self.lines.len()).find(|&i| self.call_at(i).is_some_and(Call::held));
            self.focus = self.ringing_line().or(held);
        }
    }

    /// The user is in a call (one going out or connected): a new call waits rather than rings.
    fn in_call(&self) -> bool {
        self.lines.iter().flatten().any(|l| match &l.kind {
            LineKind::Call(call) => call.engaged(),
            LineKind::Pending(_) => true,
            _ => false,
        })
    }

    fn desired_ring(&self) -> Option<(usize, Ringtone)> {
        if self.in_call() {
            return None;
        }
        let account = self.lines[self.ringing_line()?].as_ref()?.account;
        Some((account, self.ringtone(account)))
    }

    fn desired_tone(&self) -> Option<Tone> {
        if self.path == AudioPath::Off {
            return None;
        }
        let line = self.lines[self.focus?].as_ref()?;
        let waiting = self.ringing_line().is_some();
        match &line.kind {
            LineKind::Setup(setup) if setup.problem.is_some() => Some(Tone::Congestion),
            LineKind::Setup(setup) if setup.digits.is_empty() => {
                Some(if self.new_messages(line.account) > 0 { Tone::StutterDial } else { Tone::Dial })
            }
            LineKind::Setup(_) => None,
            LineKind::Pending(_) => waiting.then_some(Tone::CallWaiting),
            LineKind::Failed(failed) => Some(failed.tone),
            LineKind::Call(call) if waiting && call.engaged() => Some(Tone::CallWaiting),
            LineKind::Call(call) if call.outgoing && call.state == CallState::Ringing { early_media: false } => {
                Some(Tone::Ringback)
            }
            LineKind::Call(_) => None,
        }
    }

    /// Derives audio path, mute, ringer, tone, lamps and screen from the state, and outputs
    /// what changed.
    fn sync(&mut self) {
        if self.view != View::Settings {
            self.settings.close();
        }
        self.refocus();
        let engaged = self.engaged().is_some();
        let off_hook = self.hook == Hook::OffHook;
        self.path = match self.path {
            AudioPath::Handset if !off_hook => {
                if engaged {
                    AudioPath::Speaker
                } else {
                    AudioPath::Off
                }
            }
            AudioPath::Off if engaged => {
                if off_hook {
                    AudioPath::Handset
                } else {
                    AudioPath::Speaker
                }
            }
            AudioPath::Speaker | AudioPath::Headset if !engaged => {
                if off_hook {
                    AudioPath::Handset
                } else {
                    AudioPath::Off
                }
            }
            path => path,
        };
        if !self.lines.iter().flatten().any(|l| l.call().is_some_and(Call::connected)) {
            self.muted = false;
        }
        if self.path != self.shown_path {
            self.shown_path = self.path;
            self.out.push_back(DeviceOutput::AudioPath(self.path));
        }
        if self.muted != self.shown_mute {
            self.shown_mute = self.muted;
            self.out.push_back(DeviceOutput::Mute(self.muted));
        }
        let ring = self.desired_ring();
        if ring != self.shown_ring {
            self.out.push_back(match ring {
                Some((account, ringtone)) => DeviceOutput::Ring { account, ringtone },
                None => DeviceOutput::StopRing,
            });
            self.shown_ring = ring;
        }
        let tone = self.desired_tone();
        if tone != self.shown_tone {
            self.out.push_back(match tone {
                Some(tone) => DeviceOutput::PlayTone(tone, self.config.region),
                None => DeviceOutput::StopTone,
            });
            self.shown_tone = tone;
        }
        let lamps = self.build_lamps();
        if lamps != self.lamps || !self.shown_once {
            self.lamps = lamps.clone();
            self.out.push_back(DeviceOutput::Lamps(lamps));
        }
        let screen = self.build_screen();
        if screen != self.screen || !self.shown_once {
            self.screen = screen.clone();
            self.out.push_back(DeviceOutput::Screen(screen));
        }
        self.shown_once = true;
    }

    /// When the call timer on screen next changes.
    fn timer_tick(&self) -> Option<Instant> {
        if self.view != View::Calls {
            return None;
        }
        let call = self.call_at(self.focus?)?;
        let since = match self.conference_since {
            Some(since) if self.conference.contains(&call.id) => since,
            _ => call.answered_at.filter(|_| call.connected() || call.held())?,
        };
        let elapsed = self.now.saturating_duration_since(since).as_secs();
        Some(since + Duration::from_secs(elapsed + 1))
    }

    /// When the clock on screen next changes (the next minute).
    fn clock_tick(&self) -> Option<Instant> {
        let (unix, offset, at) = self.clock?;
        let local = self.unix_now() as i64 + i64::from(offset);
        let next_minute = (local.div_euclid(60) + 1) * 60 - i64::from(offset);
        Some(at + Duration::from_secs(u64::try_from(next_minute - unix as i64).unwrap_or(0)))
    }
}
