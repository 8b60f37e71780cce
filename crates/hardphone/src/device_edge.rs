//! The deskphone at the edge: the glue between the sans-IO [`Device`] model, the core, the
//! audio and a front end (the terminal deskphone, or none when headless).
//!
//! * Every call and registration change of the core goes to the device as an [`Input`]; so do
//!   the front end's keys and hook, the input devices' keys (USB keypads and handsets), the
//!   wall clock (every second) and the phone's network (at start and when it changes).
//! * Every [`DeviceOutput`] is carried out: calls on the core (a dial binds its RTP socket
//!   first, as `hardphone ctl dial` does), tones, ringer, audio path, mute, volumes and local
//!   conference on the audio engine, the history kept in the state directory, the settings
//!   menu's changes validated, kept (`ConfigStore::set_device`) and applied without a restart
//!   (`Phone::apply`: the core, the device and provisioning), and the screen and lamps sent to the front end.
//!
//! The control socket keeps driving the core directly (`ctl dial`, `answer`, ...): the device
//! follows the core's reports of those calls as it follows calls it placed itself (a call it
//! did not place takes a free line), so keys and `ctl` act on the same calls.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use phone::config::layers::merge;
use phone::config::Layer;
use phone::core::Output;
use phone::device::{AudioPath, Device, DeviceOutput, Hook, Input, Key, Lamp, Screen, VolumeOf, DIRECT};
use phone::keymap::InputAction;
use phone::Config;
use sip::registration::RegistrationState;
use tracing::{info, warn};

use crate::ctl::exec::{execute, EdgeState};
use crate::ctl::Request;
use crate::history_store;
use crate::run::{local_address_to, Phone};

/// How often the wall clock is handed to the device.
const CLOCK_TICK: Duration = Duration::from_secs(1);
/// How often the local time zone's offset is read again (daylight saving time).
const OFFSET_CHECK: Duration = Duration::from_secs(600);

/// What a front end sends the phone loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontInput {
    /// A key of the phone.
    Key(Key),
    /// The handset lifted if it was down, put down if it was up.
    HookToggle,
    /// Leave: unregister, then exit.
    Quit,
}

/// What the phone loop sends a front end to draw, each time it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontView {
    /// The screen.
    pub screen: Screen,
    /// Every lamp.
    pub lamps: Vec<Lamp>,
    /// Each line key's label: its account's label.
    pub line_labels: Vec<String>,
    /// The hook switch.
    pub hook: Hook,
    /// Where the call audio goes.
    pub path: AudioPath,
    /// A word from the phone itself (`Unregistering...`), if any.
    pub note: Option<String>,
}

/// The loop's ends of a front end's channels.
#[derive(Debug)]
pub struct FrontLink {
    /// What the front end sends.
    pub inputs: tokio::sync::mpsc::UnboundedReceiver<FrontInput>,
    /// Where the views go.
    pub views: std::sync::mpsc::Sender<FrontView>,
}

/// The device and what the edge keeps for it.
#[derive(Debug)]
pub struct DeviceEdge {
    /// The deskphone model.
    pub device: Device,
    state_dir: PathBuf,
    views: Option<std::sync::mpsc::Sender<FrontView>>,
    shown: Option<FrontView>,
    note: Option<String>,
    /// When the clock was last handed to the device, and when the next minute starts.
    last_clock: Instant,
    next_minute: Instant,
    utc_offset: (i32, Instant),
    network: Option<Input>,
}

impl DeviceEdge {
    /// The device of `config`, with the history kept in `state_dir`; its views go to `views`.
    pub fn new(config: &Config, state_dir: &Path, views: Option<std::sync::mpsc::Sender<FrontView>>) -> DeviceEdge {
        let now = Instant::now();
        let device = Device::new(now, config.device_config(), history_store::load(state_dir));
        DeviceEdge {
            device,
            state_dir: state_dir.to_owned(),
            views,
            shown: None,
            note: None,
            last_clock: now,
            next_minute: now,
            utc_offset: (local_utc_offset(), now),
            network: None,
        }
    }

    /// Hands `input` to the device now.
    pub fn input(&mut self, input: Input) {
        self.device.handle_input(Instant::now(), input);
    }

    /// When the device or its clock wants to be woken.
    pub fn poll_timeout(&self) -> Instant {
        let clock = self.clock_due();
        self.device.poll_timeout().map_or(clock, |at| at.min(clock))
    }

    /// Runs what is due: the device's timers, the clock.
    pub fn handle_timeout(&mut self) {
        let now = Instant::now();
        self.device.handle_timeout(now);
        if now >= self.clock_due() {
            if now.duration_since(self.utc_offset.1) >= OFFSET_CHECK {
                self.utc_offset = (local_utc_offset(), now);
            }
            let unix_secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            self.input(Input::Clock { unix_secs, utc_offset_secs: self.utc_offset.0 });
            self.last_clock = now;
            self.next_minute = now + Duration::from_secs(60 - unix_secs % 60);
        }
    }

    /// When the clock is next handed to the device: every second while a line is in use (call
    /// durations count seconds), else at the next minute (the status bar shows hours and
    /// minutes), so an idle phone wakes once a minute for its clock.
    fn clock_due(&self) -> Instant {
        let lines = self.device.config().lines.len();
        if (0..lines).any(|n| self.device.line_call(n).is_some()) {
            return self.next_minute.min(self.last_clock + CLOCK_TICK);
        }
        self.next_minute
    }

    /// Tells the device the phone's network when it changed: the address a direct call
    /// reaches (`listening`'s, or the default route's), the interface's MAC, the SIP port.
    pub fn update_network(&mut self, listening: SocketAddr) {
        let input = network_input(listening);
        if self.network.as_ref() != Some(&input) {
            self.network = Some(input.clone());
            self.input(input);
        }
    }

    /// Shows `note` on the front end (`None` clears it).
    pub fn set_note(&mut self, note: Option<&str>) {
        self.note = note.map(str::to_owned);
    }

    /// Sends the front end the device's state if it changed since last sent.
    pub fn show(&mut self) {
        let Some(views) = &self.views else { return };
        let config = self.device.config();
        let line_labels = config
            .lines
            .iter()
            .enumerate()
            .map(|(i, a)| config.accounts.get(*a).map_or_else(|| format!("Line {}", i + 1), |a| a.label.clone()))
            .collect();
        let view = FrontView {
            screen: self.device.screen().clone(),
            lamps: self.device.lamps().to_vec(),
            line_labels,
            hook: self.device.hook(),
            path: self.device.audio_path(),
            note: self.note.clone(),
        };
        if self.shown.as_ref() != Some(&view) {
            if views.send(view.clone()).is_err() {
                self.views = None;
            }
            self.shown = Some(view);
        }
    }

    /// What the core reported, for the device: calls and registrations.
    pub fn core_output(&mut self, output: &Output) {
        match output {
            Output::Call(info) => self.input(Input::Call(info.clone())),
            Output::AccountState { index, label, state } => {
                let (registered, state_text) = match state {
                    RegistrationState::Registered { .. } => (true, "registered".to_owned()),
                    RegistrationState::Registering => (false, "registering".to_owned()),
                    RegistrationState::Retrying { reason, .. } | RegistrationState::Failed { reason, .. } => {
                        (false, reason.to_string())
                    }
                    other => (false, other.to_string()),
                };
                self.input(Input::Account { index: *index, label: label.clone(), registered, state_text });
            }
            // A server saying "yes" without counts still lights the lamp (RFC 3842 §5.2).
            Output::MessageWaiting { account, waiting, new, old } => {
                let new = if *waiting { (*new).max(1) } else { 0 };
                self.input(Input::MessageWaiting { account: *account, new, old: *old });
            }
            Output::TextMessage { from, text, .. } => {
                self.input(Input::TextMessage { from: from.clone(), text: text.clone() })
            }
            _ => {}
        }
    }

    /// A key or switch of an input device (USB keypad, handset, headset).
    pub fn input_action(&mut self, action: InputAction) {
        match action {
            InputAction::Key(key) => self.input(Input::Key(key)),
            InputAction::Hook(hook) if hook != self.device.hook() => self.input(Input::Hook(hook)),
            InputAction::Hook(_) => {}
            InputAction::HookToggle => self.toggle_hook(),
            InputAction::MuteSet(muted) if muted != self.device.muted() => self.input(Input::Key(Key::Mute)),
            InputAction::MuteSet(_) => {}
        }
    }

    /// A control request the device must know of: `ctl mute` / `unmute` press the device's
    /// Mute key when its state differs, so its lamp and screen agree with the audio engine.
    pub fn ctl_request(&mut self, request: &crate::ctl::Request) {
        let wanted = match request {
            crate::ctl::Request::Mute => true,
            crate::ctl::Request::Unmute => false,
            _ => return,
        };
        if self.device.muted() != wanted {
            self.input(Input::Key(Key::Mute));
        }
    }

    /// Lifts the handset, or puts it down.
    pub fn toggle_hook(&mut self) {
        let hook = match self.device.hook() {
            Hook::OnHook => Hook::OffHook,
            Hook::OffHook => Hook::OnHook,
        };
        self.input(Input::Hook(hook));
    }
}

impl Phone {
    /// Carries out one output of the device.
    pub(crate) fn device_output(&mut self, output: DeviceOutput) {
        let now = Instant::now();
        let result = match output {
            DeviceOutput::Dial { account, target } => return self.dial(account, &target),
            DeviceOutput::Answer(call) => {
                let auto = self.core.calls().iter().any(|c| c.id == call && c.auto_answer);
                let answer = crate::ctl::exec::answer(&mut self.core, &mut self.edge, call);
                match (answer["ok"] == true, auto) {
                    (true, true) => info!(%call, "auto-answered"),
                    (true, false) => info!(%call, "answered"),
                    (false, _) => warn!(%call, %answer, "cannot answer"),
                }
                return;
            }
            DeviceOutput::Reject { call, status } => self.core.reject(now, call, status),
            DeviceOutput::Forward { call, target } => self.core.forward(now, call, &target),
            DeviceOutput::Hangup(call) => self.core.hangup(now, call),
            DeviceOutput::Hold(call) => self.core.set_hold(now, call, true),
            DeviceOutput::Resume(call) => self.core.set_hold(now, call, false),
            DeviceOutput::Transfer { call, target } => self.core.transfer(now, call, &target),
            DeviceOutput::AttendedTransfer { call, consult } => self.core.attended_transfer(now, call, consult),
            DeviceOutput::Dtmf { call, digits } => {
                let answer = execute(&mut self.core, &mut self.edge, Request::Dtmf { digits, call: Some(call.0) });
                if answer["ok"] != true {
                    warn!(%call, %answer, "DTMF not sent");
                }
                return;
            }
            DeviceOutput::HistoryChanged => {
                if let Err(error) = history_store::save(&self.device.state_dir, self.device.device.history()) {
                    warn!(%error, "cannot keep the call history");
                }
                return;
            }
            DeviceOutput::SaveSettings(changes) => return self.save_settings(&changes),
            DeviceOutput::Screen(_) | DeviceOutput::Lamps(_) => return,
            audio => return self.audio_output(audio),
        };
        if let Err(error) = result {
            warn!(%error, "the core refused a key's action");
        }
    }

    /// A call the device placed: from a new RTP socket, through the account, or directly to an
    /// IP address; a refusal goes back to the device.
    fn dial(&mut self, account: usize, target: &str) {
        let account_index = (account != DIRECT).then_some(account);
        let direct = phone::core::direct_target(target).is_some();
        let answer = if account_index.is_none() && !direct {
            crate::ctl::error("no account to dial from (dial an IP address for a direct call)")
        } else {
            let request = Request::Dial { uri: target.to_owned(), account: account_index.filter(|_| !direct) };
            execute(&mut self.core, &mut self.edge, request)
        };
        if answer["ok"] == true {
            info!(%target, call = %answer["call"], "dialed from the keypad");
        } else {
            warn!(%target, %answer, "cannot dial");
            self.device.input(Input::DialFailed { account, target: target.to_owned() });
        }
    }

    /// Tones, ringer, audio path, mute, volume and conference: the audio engine's business.
    fn audio_output(&mut self, output: DeviceOutput) {
        let edge: &mut EdgeState = &mut self.edge;
        match output {
            DeviceOutput::PlayTone(tone, region) => edge.audio.play_tone(tone, region),
            DeviceOutput::StopTone => edge.audio.stop_tone(),
            DeviceOutput::Ring { ringtone, .. } => {
                edge.audio.ring(ringtone, self.device.device.volume(VolumeOf::Ringer))
            }
            DeviceOutput::StopRing => edge.audio.stop_ring(),
            DeviceOutput::AudioPath(path) => edge.audio.set_audio_path(path),
            DeviceOutput::Mute(muted) => edge.audio.set_mute(muted),
            DeviceOutput::Volume { of, level } => edge.audio.set_volume(of, level),
            DeviceOutput::Conference { calls } => edge.audio.set_conference(&calls),
            other => warn!(?other, "unexpected device output"),
        }
    }

    /// The settings menu saved `changes`: over the device layer, checked with every other
    /// layer, kept, and applied; the device hears how it went.
    fn save_settings(&mut self, changes: &Layer) {
        let mut layer = self.store.device_layer().clone();
        merge(&mut layer, changes);
        let result = match self.store.set_device(layer) {
            Ok(config) => {
                info!(accounts = config.accounts.len(), "settings saved on the device");
                self.apply(&config);
                Ok(())
            }
            Err(error) => {
                warn!(%error, "settings refused");
                Err(error.to_string())
            }
        };
        self.device.input(Input::SettingsResult(result));
    }

    /// The volumes the device starts with, to the audio engine.
    pub(crate) fn initial_volumes(&mut self) {
        for of in [VolumeOf::Ringer, VolumeOf::Handset, VolumeOf::Speaker, VolumeOf::Headset] {
            let level = self.device.device.volume(of);
            self.edge.audio.set_volume(of, level);
        }
    }
}

/// The phone's network as the device shows it: the address a direct call reaches first, the
/// MAC of the interface of the default route, the SIP port.
fn network_input(listening: SocketAddr) -> Input {
    let mut addresses: Vec<IpAddr> = Vec::new();
    for probe in [SocketAddr::from(([198, 51, 100, 1], 5060)), "[2001:db8::1]:5060".parse().expect("an address")] {
        let local = local_address_to(probe, listening).ip();
        if !local.is_unspecified() && !addresses.contains(&local) {
            addresses.push(local);
        }
    }
    Input::Network { addresses, mac: default_route_mac(), sip_port: listening.port() }
}

/// The MAC address of the interface of the IPv4 default route (`/proc/net/route`, then
/// `/sys/class/net/<interface>/address`).
fn default_route_mac() -> Option<String> {
    let routes = std::fs::read_to_string("/proc/net/route").ok()?;
    let interface = routes.lines().skip(1).find_map(|line| {
        let mut fields = line.split_whitespace();
        let (name, destination) = (fields.next()?, fields.next()?);
        (destination == "00000000").then(|| name.to_owned())
    })?;
    let mac = std::fs::read_to_string(Path::new("/sys/class/net").join(interface).join("address")).ok()?;
    let mac = mac.trim();
    (!mac.is_empty() && mac != "00:00:00:00:00:00").then(|| mac.to_owned())
}

/// The local time zone's offset from UTC in seconds (`date +%z`; 0 when it cannot be read).
fn local_utc_offset() -> i32 {
    let output = std::process::Command::new("date").arg("+%z").output();
    let text = output.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default();
    parse_utc_offset(&text).unwrap_or(0)
}

/// `+0130` → 5400.
fn parse_utc_offset(text: &str) -> Option<i32> {
    let (sign, digits) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    Some(sign * (hours * 3600 + minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_offsets_parse() {
        assert_eq!(parse_utc_offset("+0000"), Some(0));
        assert_eq!(parse_utc_offset("+0130"), Some(5400));
        assert_eq!(parse_utc_offset("-0500"), Some(-18_000));
        assert_eq!(parse_utc_offset("0500"), None);
        assert_eq!(parse_utc_offset(""), None);
    }

    #[test]
    fn the_network_names_the_sip_port() {
        let Input::Network { sip_port, .. } = network_input(SocketAddr::from(([127, 0, 0, 1], 5062))) else {
            panic!("a network input");
        };
        assert_eq!(sip_port, 5062);
    }
}
