//! The device's public types: inputs, keys, outputs, lamps and configuration.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use media::tones::{Region, Ringtone, Tone};

use super::{DigitMap, Screen, DEFAULT_HISTORY_SIZE, DEFAULT_VOLUME};
use crate::config::{Secret, Transport, DEFAULT_ADMIN_PIN};
use crate::core::{CallId, CallInfo};

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
    /// The settings (menu) key: opens the admin settings, behind the admin PIN.
    Menu,
    /// A character typed on a full keyboard: in a text field it is entered as it is (no
    /// multi-tap); elsewhere `0`–`9`, `*` and `#` are the dial-pad keys and `.` is `*` (the dot
    /// of an IP address).
    Char(char),
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
    /// The phone's network: its addresses, its MAC address and the port its SIP listens on
    /// (for the settings menu's network page and the direct-dial address on the idle screen).
    Network {
        /// The phone's IP addresses, the one a direct call reaches first.
        addresses: Vec<IpAddr>,
        /// The MAC address of its interface, `aa:bb:cc:dd:ee:ff`, if known.
        mac: Option<String>,
        /// The SIP port.
        sip_port: u16,
    },
    /// The answer to [`DeviceOutput::SaveSettings`]: saved and applied, or why not (the
    /// validation error, shown on the screen).
    SettingsResult(Result<(), String>),
    /// A text message arrived (from [`crate::Output::TextMessage`]): shown until OK or Back.
    TextMessage {
        /// The sender, `"Bob" <sip:2002@pbx>`.
        from: String,
        /// The text.
        text: String,
    },
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
    pub(super) fn label(self) -> &'static str {
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
#[derive(Debug, Clone, PartialEq)]
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
    /// The settings menu saved: these changes, as a configuration layer (TOML tables: an
    /// `[[accounts]]` entry with its `label`, `[device]` keys), go over the phone's current
    /// device layer; the edge validates the result, writes it, applies it and answers with
    /// [`Input::SettingsResult`].
    SaveSettings(toml::Table),
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
    /// The accounts, in `Config::accounts` order, as the settings menu shows them (empty: the
    /// first-boot screen).
    pub accounts: Vec<AccountSummary>,
    /// The PIN that opens the settings menu.
    pub admin_pin: Secret,
    /// An IP address typed on the keypad (`192*168*1*10`, then `#`) is called directly.
    pub direct_ip_dialing: bool,
    /// The volumes at start, by [`VolumeOf`] (ringer, handset, speaker, headset).
    pub volumes: [u8; 4],
}

/// An account as the settings menu shows and edits it (its password is never given: only
/// whether it has one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    /// The label (its key in the configuration layers).
    pub label: String,
    /// The registrar, `host[:port]`.
    pub server: String,
    /// The transport.
    pub transport: Transport,
    /// The SIP user (extension).
    pub user: String,
    /// The digest user name, when it differs from `user`.
    pub auth_user: Option<String>,
    /// The display name.
    pub display_name: Option<String>,
    /// A password is set.
    pub has_password: bool,
    /// It registers.
    pub enabled: bool,
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
            accounts: Vec::new(),
            admin_pin: Secret::new(DEFAULT_ADMIN_PIN),
            direct_ip_dialing: false,
            volumes: [DEFAULT_VOLUME; 4],
        }
    }
}
