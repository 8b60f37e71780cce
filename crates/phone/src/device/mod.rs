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

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use media::tones::{Region, Ringtone, Tone};
use sip::session::EndReason;

use crate::core::{CallId, CallInfo, CallState};

mod digitmap;
mod history;
mod screen;
mod view;

pub use digitmap::{DigitMap, DigitMapError, MapMatch, DEFAULT_DIGIT_MAP};
pub use history::{History, HistoryEntry, HistoryError, HistoryKind, DEFAULT_HISTORY_SIZE};
pub use screen::{Screen, StatusBar};

use screen::parse_remote;
use view::View;

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

/// The hook switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hook {
    /// The handset is in its cradle.
    OnHook,
    /// The handset is lifted.
    OffHook,
}

/// A key of the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// A dial-pad key, `0`–`9` (`*` and `#` are taken as [`Key::Star`] and [`Key::Pound`]).
    Digit(char),
    /// `*`.
    Star,
    /// `#`: send the number now (during a call: the DTMF key).
    Pound,
    /// Line key `n` (0-based): take the call on it, or start a call on it when idle.
    Line(usize),
    /// Soft key `n` (0–3) under the screen; what it does is its label.
    Soft(usize),
    /// Navigation up: in a list, the previous item; on the idle screen, the menu.
    Up,
    /// Navigation down: in a list, the next item; on the idle screen, the history.
    Down,
    /// Navigation OK: dial the history entry, select the menu item, send the number, answer.
    Ok,
    /// Navigation back (in a set-up: delete the last digit).
    Back,
    /// Volume up (ringer, or the audio path in use).
    VolumeUp,
    /// Volume down.
    VolumeDown,
    /// Mute the microphone (during a call).
    Mute,
    /// Do not disturb, on/off.
    Dnd,
    /// Call the last number dialed again.
    Redial,
    /// Hold, or resume the focused held call (in a conference: hold both, ending the mix).
    Hold,
    /// Transfer: blind (collect a target), or complete an attended transfer.
    Transfer,
    /// Local three-way conference.
    Conference,
    /// Voicemail: call it, or show the message counts.
    Messages,
    /// The call history.
    History,
    /// Hands-free: on/off.
    Speaker,
    /// Headset: on/off.
    Headset,
    /// Speed-dial key `n` (0-based, [`DeviceConfig::speed_dial`]).
    SpeedDial(usize),
}

/// What the edge hands to [`Device::handle_input`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A key was pressed.
    Key(Key),
    /// The hook switch moved.
    Hook(Hook),
    /// A call changed: each [`crate::Output::Call`] of the core.
    Call(CallInfo),
    /// [`crate::Core::dial`] refused a [`DeviceOutput::Dial`].
    DialFailed {
        /// The account of the dial.
        account: usize,
        /// Its target.
        target: String,
    },
    /// An account's registration changed (from [`crate::Output::AccountState`]).
    Account {
        /// The account's index in `Config::accounts`.
        index: usize,
        /// Its label.
        label: String,
        /// It is registered.
        registered: bool,
        /// Its state in words, for the screen when not registered.
        state_text: String,
    },
    /// The wall clock: now is `unix_secs` seconds since the epoch, and local time is
    /// `utc_offset_secs` ahead of UTC. Given at start and whenever it may have moved (the device
    /// counts on from it with the instants it is given).
    Clock {
        /// Seconds since 1970-01-01 UTC.
        unix_secs: u64,
        /// The local time zone's offset from UTC, in seconds.
        utc_offset_secs: i32,
    },
    /// Voice messages waiting on an account (RFC 3842).
    MessageWaiting {
        /// The account.
        account: usize,
        /// New messages.
        new: u32,
        /// Old (heard) messages.
        old: u32,
    },
    /// The call-forward settings changed.
    SetForwarding(Forwarding),
}

/// Where the call audio goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioPath {
    /// Nowhere: no call audio and no tone (the ringer is separate).
    Off,
    /// The handset.
    Handset,
    /// The loudspeaker and the hands-free microphone.
    Speaker,
    /// The headset.
    Headset,
}

/// Which volume [`DeviceOutput::Volume`] sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VolumeOf {
    /// The ringer.
    Ringer,
    /// The handset earpiece.
    Handset,
    /// The loudspeaker.
    Speaker,
    /// The headset.
    Headset,
}

impl VolumeOf {
    fn label(self) -> &'static str {
        match self {
            VolumeOf::Ringer => "Ringer",
            VolumeOf::Handset => "Handset",
            VolumeOf::Speaker => "Speaker",
            VolumeOf::Headset => "Headset",
        }
    }
}

/// A lamp (LED) of the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LampKey {
    /// Line key `n`'s lamp.
    Line(usize),
    /// The message-waiting lamp.
    Messages,
    /// The do-not-disturb key's lamp.
    Dnd,
    /// The mute key's lamp.
    Mute,
    /// The speaker key's lamp.
    Speaker,
    /// The headset key's lamp.
    Headset,
}

/// What a lamp does. Line lamps: idle off, ringing fast blink, engaged or connected on, held
/// slow blink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LampState {
    /// Dark.
    Off,
    /// Lit.
    On,
    /// Blinking fast (a call rings on the line).
    FastBlink,
    /// Blinking slowly (the call on the line is held).
    SlowBlink,
}

/// One lamp and its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lamp {
    /// Which lamp.
    pub key: LampKey,
    /// Its state.
    pub state: LampState,
}

/// What the device asks of the core, the audio and the front end, from [`Device::poll_output`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceOutput {
    /// Place a call: the edge binds an RTP port and calls [`crate::Core::dial`] (and hands in
    /// [`Input::DialFailed`] if it refuses). The core's report of the call binds it to the line.
    Dial {
        /// The account to call from.
        account: usize,
        /// The number or URI.
        target: String,
    },
    /// Answer the incoming call ([`crate::Core::answer`]).
    Answer(CallId),
    /// Refuse the incoming call with `status` ([`crate::Core::reject`]): 486 Busy Here, or 603
    /// Decline by [`DeviceConfig::reject_status`].
    Reject {
        /// The call.
        call: CallId,
        /// The final status.
        status: u16,
    },
    /// Redirect the incoming call to `target`: 302 Moved Temporarily with `Contact: target`
    /// (the core must add this).
    Forward {
        /// The call.
        call: CallId,
        /// Where to.
        target: String,
    },
    /// End the call ([`crate::Core::hangup`]).
    Hangup(CallId),
    /// Put the call on hold ([`crate::Core::set_hold`] `true`).
    Hold(CallId),
    /// Take the call off hold ([`crate::Core::set_hold`] `false`).
    Resume(CallId),
    /// Blind transfer: REFER `call` to `target` ([`crate::Core::transfer`]).
    Transfer {
        /// The call to transfer.
        call: CallId,
        /// The number or URI.
        target: String,
    },
    /// Attended transfer: REFER `call` to the far end of `consult` with Replaces naming the
    /// `consult` dialog (RFC 3891; the core must add this), then both calls end.
    AttendedTransfer {
        /// The call to transfer (held).
        call: CallId,
        /// The consultation call, whose far end takes it over.
        consult: CallId,
    },
    /// Mix these calls' audio locally (three-way conference); empty: stop mixing.
    Conference {
        /// The calls to mix.
        calls: Vec<CallId>,
    },
    /// Send DTMF on the call (RFC 4733 events, or [`crate::Core::send_dtmf_info`]).
    Dtmf {
        /// The call.
        call: CallId,
        /// The keys.
        digits: String,
    },
    /// Play a call-progress tone on the audio path, replacing any tone playing.
    PlayTone(Tone, Region),
    /// Stop the tone.
    StopTone,
    /// Ring with the account's ringtone, replacing any ring.
    Ring {
        /// The account the call came to.
        account: usize,
        /// Its ringtone.
        ringtone: Ringtone,
    },
    /// Stop ringing.
    StopRing,
    /// Route the call audio (and tones) here.
    AudioPath(AudioPath),
    /// Mute (`true`) or unmute the microphone.
    Mute(bool),
    /// Set a volume, `0..=MAX_VOLUME`.
    Volume {
        /// Which one.
        of: VolumeOf,
        /// The level.
        level: u8,
    },
    /// The screen changed: draw this.
    Screen(Screen),
    /// A lamp changed: every lamp's state.
    Lamps(Vec<Lamp>),
    /// The history changed: persist [`Device::history`] if wanted.
    HistoryChanged,
}

/// A speed-dial key's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeedDial {
    /// The key's label.
    pub label: String,
    /// The number or URI to call.
    pub target: String,
    /// The account to call from; the first line key's when `None`.
    pub account: Option<usize>,
}

/// Call forwarding. Targets are numbers or URIs; `None` is off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarding {
    /// Forward every call at once.
    pub always: Option<String>,
    /// Forward calls that find the phone busy (no free line, or a call up and call waiting off).
    pub busy: Option<String>,
    /// Forward calls not answered within [`Forwarding::no_answer_after`].
    pub no_answer: Option<String>,
    /// How long a call rings before forward-on-no-answer.
    pub no_answer_after: Duration,
}

impl Default for Forwarding {
    fn default() -> Forwarding {
        Forwarding { always: None, busy: None, no_answer: None, no_answer_after: Duration::from_secs(20) }
    }
}

/// How the device behaves.
#[derive(Debug, Clone)]
pub struct DeviceConfig {
    /// The line keys: the account (index in `Config::accounts`) each one is an appearance of.
    /// At least one line (an empty list means one line of account 0).
    pub lines: Vec<usize>,
    /// What the dial pad can dial.
    pub digit_map: DigitMap,
    /// How long to wait for another digit while the number is incomplete (default 4 s).
    pub interdigit_timeout: Duration,
    /// How long to wait for another digit once the number is complete but could be longer
    /// (default 2 s).
    pub short_interdigit_timeout: Duration,
    /// The tone plan.
    pub region: Region,
    /// Each account's ringtone; [`DeviceConfig::default_ringtone`] for the others.
    pub ringtones: BTreeMap<usize, Ringtone>,
    /// The ringtone of accounts without one.
    pub default_ringtone: Ringtone,
    /// The status refusing a call with do-not-disturb or the Reject key: 486 Busy Here
    /// (default) or 603 Decline (another 4xx–6xx works; anything else means 486).
    pub reject_status: u16,
    /// Do-not-disturb at start.
    pub dnd: bool,
    /// A call coming during another one waits (call-waiting tone) rather than being refused
    /// busy.
    pub call_waiting: bool,
    /// Call forwarding at start.
    pub forwarding: Forwarding,
    /// The speed-dial keys.
    pub speed_dial: Vec<SpeedDial>,
    /// Each account's voicemail number, called by the Messages key.
    pub voicemail: BTreeMap<usize, String>,
    /// How many calls the history keeps.
    pub history_size: usize,
}

impl Default for DeviceConfig {
    fn default() -> DeviceConfig {
        DeviceConfig {
            lines: vec![0, 0],
            digit_map: DigitMap::default(),
            interdigit_timeout: Duration::from_secs(4),
            short_interdigit_timeout: Duration::from_secs(2),
            region: Region::Us,
            ringtones: BTreeMap::new(),
            default_ringtone: Ringtone::Warble,
            reject_status: 486,
            dnd: false,
            call_waiting: true,
            forwarding: Forwarding::default(),
            speed_dial: Vec::new(),
            voicemail: BTreeMap::new(),
            history_size: DEFAULT_HISTORY_SIZE,
        }
    }
}

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
    out: VecDeque<DeviceOutput>,
    shown_path: AudioPath,
    shown_mute: bool,
    shown_ring: Option<(usize, Ringtone)>,
    shown_tone: Option<Tone>,
    lamps: Vec<Lamp>,
    screen: Screen,
    shown_once: bool,
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
            volumes: [DEFAULT_VOLUME; 4],
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
            out: VecDeque::new(),
            shown_path: AudioPath::Off,
            shown_mute: false,
            shown_ring: None,
            shown_tone: None,
            lamps: Vec::new(),
            screen: Screen::default(),
            shown_once: false,
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

    fn advance(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    // ----- keys -----

    fn key(&mut self, key: Key) {
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
        }
    }

    fn soft(&mut self, action: view::Soft) {
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

    fn digit(&mut self, c: char) {
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

    fn pound(&mut self) {
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

    fn line_key(&mut self, n: usize) {
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

    fn nav(&mut self, down: bool) {
        let step = |cursor: usize, len: usize| match (len, down) {
            (0, _) => 0,
            (_, true) => (cursor + 1) % len,
            (_, false) => (cursor + len - 1) % len,
        };
        match self.view {
            View::History { cursor } => self.view = View::History { cursor: step(cursor, self.history.len()) },
            View::Menu { cursor } => self.view = View::Menu { cursor: step(cursor, view::MENU.len()) },
            View::Messages => {}
            View::Calls if self.focus.is_none() => {
                self.view = if down { View::History { cursor: 0 } } else { View::Menu { cursor: 0 } };
                if down {
                    self.missed_unseen = 0;
                }
            }
            View::Calls => {}
        }
    }

    fn ok(&mut self) {
        match self.view {
            View::History { .. } => self.dial_from_history(),
            View::Menu { .. } => self.menu_select(),
            View::Messages => self.view = View::Calls,
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

    fn back(&mut self) {
        if self.view != View::Calls {
            self.view = View::Calls;
        } else if matches!(self.focus.and_then(|f| self.kind(f)), Some(LineKind::Setup(_))) {
            self.delete_digit();
        }
    }

    fn change_volume(&mut self, up: bool) {
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

    fn toggle_mute(&mut self) {
        if self.lines.iter().flatten().any(|l| l.call().is_some_and(Call::connected)) {
            self.muted = !self.muted;
        }
    }

    fn toggle_dnd(&mut self) {
        self.dnd = !self.dnd;
        self.notice(format!("Do not disturb {}", if self.dnd { "on" } else { "off" }));
    }

    fn redial(&mut self) {
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

    fn hold_key(&mut self) {
        let Some(idx) = self.focus else { return };
        let Some(call) = self.lines[idx].as_ref().and_then(Line::call) else { return };
        if self.conference.contains(&call.id) {
            self.park();
        } else if call.connected() {
            self.hold(idx);
        } else if call.held() {
            self.resume(idx);
        }
    }

    fn transfer_key(&mut self) {
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

    fn conference_key(&mut self) {
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

    fn split(&mut self) {
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

    fn messages_key(&mut self) {
        let voicemail = &self.config.voicemail;
        let with_new = self.messages.iter().find(|m| m.1 .0 > 0 && voicemail.contains_key(m.0)).map(|m| *m.0);
        let account = with_new.unwrap_or_else(|| self.default_account());
        match self.config.voicemail.get(&account).cloned() {
            Some(number) => self.start_call(account, &number),
            None => self.view = if self.view == View::Messages { View::Calls } else { View::Messages },
        }
    }

    fn history_key(&mut self) {
        if matches!(self.view, View::History { .. }) {
            self.view = View::Calls;
        } else {
            self.view = View::History { cursor: 0 };
            self.missed_unseen = 0;
        }
    }

    fn dial_from_history(&mut self) {
        let View::History { cursor } = self.view else { return };
        let Some(entry) = self.history.newest_first().nth(cursor).cloned() else { return };
        let account = entry.account.unwrap_or_else(|| self.default_account());
        self.start_call(account, &entry.target);
    }

    fn menu_select(&mut self) {
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
            Some(view::MenuItem::ClearHistory) | None => {}
        }
    }

    // ----- the hook switch and the audio path -----

    fn off_hook(&mut self) {
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

    fn on_hook(&mut self) {
        if self.hook == Hook::OnHook {
            return;
        }
        self.hook = Hook::OnHook;
        if self.path == AudioPath::Handset {
            self.end_engaged();
            self.path = AudioPath::Off;
        }
    }

    fn path_key(&mut self, path: AudioPath) {
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
    fn engage_path(&mut self) {
        if self.path == AudioPath::Off {
            self.path = if self.hook == Hook::OffHook { AudioPath::Handset } else { AudioPath::Speaker };
        }
    }

    // ----- set-ups -----

    /// Parks the engaged line and opens a set-up on line `line` (if free) or a free line:
    /// dial tone.
    fn open_setup(&mut self, purpose: Purpose, line: Option<usize>, account: Option<usize>) -> Option<usize> {
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

    fn setup_digit(&mut self, idx: usize, c: char) {
        let Some(LineKind::Setup(setup)) = self.kind_mut(idx) else { return };
        if setup.problem.is_some() || setup.digits.len() >= MAX_DIGITS {
            return;
        }
        setup.digits.push(c);
        self.classify_setup(idx, true);
    }

    /// Matches the set-up's digits against the map: dial, wait, or refuse.
    fn classify_setup(&mut self, idx: usize, may_send: bool) {
        let now = self.now;
        let (long, short) = (self.config.interdigit_timeout, self.config.short_interdigit_timeout);
        let map = &self.config.digit_map;
        let Some(LineKind::Setup(setup)) = self.lines[idx].as_mut().map(|l| &mut l.kind) else { return };
        setup.problem = None;
        setup.deadline = None;
        if setup.digits.is_empty() {
            return;
        }
        match map.classify(&setup.digits) {
            MapMatch::NoMatch => setup.problem = Some(INVALID),
            MapMatch::Complete if may_send => self.send_setup(idx),
            MapMatch::Complete | MapMatch::CompleteOrLonger => setup.deadline = Some(now + short),
            MapMatch::Partial => setup.deadline = Some(now + long),
        }
    }

    fn digit_timeout(&mut self, idx: usize) {
        let Some(LineKind::Setup(setup)) = self.kind_mut(idx) else { return };
        if setup.digits.is_empty() || setup.problem.is_some() {
            return;
        }
        let digits = setup.digits.clone();
        match self.config.digit_map.classify(&digits) {
            MapMatch::Complete | MapMatch::CompleteOrLonger => self.send_setup(idx),
            found => {
                if let Some(LineKind::Setup(setup)) = self.kind_mut(idx) {
                    setup.problem = Some(if found == MapMatch::Partial { INCOMPLETE } else { INVALID });
                }
            }
        }
    }

    fn delete_digit(&mut self) {
        let Some(idx) = self.focus else { return };
        let Some(LineKind::Setup(setup)) = self.kind_mut(idx) else { return };
        if setup.digits.pop().is_some() {
            self.classify_setup(idx, false);
        } else {
            self.cancel_setup();
        }
    }

    /// Drops the focused set-up; a call it was for (transfer, conference) is resumed.
    fn cancel_setup(&mut self) {
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
    fn send_setup(&mut self, idx: usize) {
        let Some(Line { account, kind: LineKind::Setup(setup) }) = self.lines[idx].clone() else { return };
        if setup.digits.is_empty() || setup.problem.is_some() {
            return;
        }
        match setup.purpose {
            Purpose::Transfer { call, attended: false } => self.blind_transfer(idx, call, setup.digits),
            purpose => self.dial(idx, account, setup.digits, purpose),
        }
    }

    fn dial(&mut self, idx: usize, account: usize, target: String, purpose: Purpose) {
        self.out.push_back(DeviceOutput::Dial { account, target: target.clone() });
        self.last_dialed.insert(account, target.clone());
        let pending = Pending { target, purpose, since: self.now, started: self.unix_now() };
        self.lines[idx] = Some(Line { account, kind: LineKind::Pending(pending) });
        self.focus = Some(idx);
        self.view = View::Calls;
    }

    /// Calls `target` from `account` (redial, speed dial, history, voicemail): into the focused
    /// set-up if there is one (a transfer set-up transfers to it), else on a new line.
    fn start_call(&mut self, account: usize, target: &str) {
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

    fn blind_transfer(&mut self, setup_line: usize, call: CallId, target: String) {
        self.lines[setup_line] = None;
        if self.focus == Some(setup_line) {
            self.focus = None;
        }
        self.blind_transfer_call(call, target);
    }

    fn blind_transfer_call(&mut self, call: CallId, target: String) {
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

    fn answer(&mut self, idx: usize) {
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

    fn reject(&mut self, idx: usize) {
        let Some(call) = self.call_at(idx).filter(|c| c.ringing_in()) else { return };
        let call = call.id;
        self.out.push_back(DeviceOutput::Reject { call, status: self.config.reject_status });
        self.finish_call(idx);
    }

    fn hold(&mut self, idx: usize) {
        let Some(LineKind::Call(call)) = self.kind_mut(idx) else { return };
        if call.connected() {
            call.state = CallState::Held;
            let id = call.id;
            self.out.push_back(DeviceOutput::Hold(id));
        }
    }

    fn resume(&mut self, idx: usize) {
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

    fn hangup(&mut self, idx: usize) {
        let Some(call) = self.call_at(idx) else { return };
        let id = call.id;
        self.out.push_back(DeviceOutput::Hangup(id));
        self.finish_call(idx);
    }

    /// Frees the engaged line (or conference) so another can be taken: a connected call is
    /// held, a call going out hung up, a set-up dropped.
    fn park(&mut self) {
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
    fn end_engaged(&mut self) {
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
    fn end_key(&mut self) {
        match self.focus.and_then(|f| self.call_at(f).map(|c| (f, c.held()))) {
            Some((idx, true)) => self.hangup(idx),
            _ => self.end_engaged(),
        }
    }

    /// Drops a set-up, pending dial or failed call from its line.
    fn drop_line(&mut self, idx: usize) {
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
    fn finish_call(&mut self, idx: usize) -> Option<Call> {
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

    fn forget(&mut self, id: CallId) {
        self.gone.push_back(id);
        if self.gone.len() > GONE_MEMORY {
            self.gone.pop_front();
        }
    }

    fn call_report(&mut self, info: CallInfo) {
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
    fn adopt(&mut self, info: CallInfo) {
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

    fn incoming(&mut self, info: CallInfo) {
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

    fn update_call(&mut self, idx: usize, info: CallInfo) {
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

    fn call_ended(&mut self, idx: usize, reason: &EndReason) {
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

    fn dial_failed(&mut self, account: usize, target: &str) {
        if let Some(at) = self.orphans.iter().position(|a| *a == account) {
            self.orphans.remove(at);
            return;
        }
        if let Some(idx) = self.pending_line(account, Some(target)) {
            self.pending_failed(idx, target);
        }
    }

    /// A dial whose call never came: recorded, and shown failed if focused.
    fn pending_failed(&mut self, idx: usize, target: &str) {
        let Some(Line { account, kind: LineKind::Pending(pending) }) = self.lines[idx].take() else { return };
        self.record_dial(account, &pending.target, pending.started);
        if self.focus == Some(idx) {
            let text = format!("Call failed: {target}");
            self.lines[idx] = Some(Line { account, kind: LineKind::Failed(Failed { text, tone: Tone::Congestion }) });
        }
    }

    // ----- history -----

    fn record_call(&mut self, call: &Call, account: usize) {
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

    fn record_dial(&mut self, account: usize, target: &str, started: u64) {
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

    fn record(&mut self, entry: HistoryEntry) {
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
