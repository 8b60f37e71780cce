//! The `[device]` table: how the deskphone behaves — its line keys, digit map and timeouts,
//! ringtones, do-not-disturb, call waiting, forwarding, speed dials, history, volumes, direct IP
//! dialing and the admin PIN of its settings menu — and its conversion into the sans-IO
//! [`DeviceConfig`] of [`crate::device`].

use std::collections::BTreeMap;
use std::time::Duration;

use media::tones::{Region, Ringtone};
use serde::Deserialize;

use super::{Config, Problem, Secret, ToneRegion};
use crate::device::{AccountSummary, DeviceConfig, DigitMap, Forwarding, SpeedDial, DEFAULT_DIGIT_MAP, MAX_VOLUME};

/// The admin PIN a phone ships with: change it with `device.admin_pin` (docs/CONFIG.md).
pub const DEFAULT_ADMIN_PIN: &str = "0000";

/// The most line keys a phone has.
pub const MAX_LINES: usize = 8;

/// The accepted `device.history_size`.
pub const HISTORY_RANGE: std::ops::RangeInclusive<u32> = 1..=1000;

/// The accepted inter-digit timeouts, seconds.
pub const INTERDIGIT_RANGE: std::ops::RangeInclusive<u32> = 1..=30;

/// The accepted `device.forwarding.no_answer_secs`.
pub const NO_ANSWER_RANGE: std::ops::RangeInclusive<u32> = 5..=120;

/// A ringtone by name, as the config writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RingtoneName {
    /// An electronic double trill.
    #[default]
    Warble,
    /// A bell.
    Bell,
    /// A short rising melody.
    Melody,
}

impl RingtoneName {
    /// The synthesized ringtone.
    pub fn ringtone(self) -> Ringtone {
        match self {
            RingtoneName::Warble => Ringtone::Warble,
            RingtoneName::Bell => Ringtone::Bell,
            RingtoneName::Melody => Ringtone::Melody,
        }
    }

    /// The name of a ringtone as the config writes it (`warble`, `bell`, `melody`).
    pub fn name_of(ringtone: Ringtone) -> &'static str {
        match ringtone {
            Ringtone::Bell => "bell",
            Ringtone::Melody => "melody",
            _ => "warble",
        }
    }
}

/// The `[device.forwarding]` table: call forwarding at start. Targets are numbers or URIs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ForwardingSettings {
    /// Forward every call at once.
    pub always: Option<String>,
    /// Forward calls that find the phone busy.
    pub busy: Option<String>,
    /// Forward calls not answered within `no_answer_secs`.
    pub no_answer: Option<String>,
    /// How long a call rings before forward-on-no-answer, seconds.
    pub no_answer_secs: u32,
}

impl Default for ForwardingSettings {
    fn default() -> Self {
        ForwardingSettings { always: None, busy: None, no_answer: None, no_answer_secs: 20 }
    }
}

/// One `[[device.speed_dial]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeedDialSettings {
    /// The key's label.
    pub label: String,
    /// The number or URI it calls.
    pub target: String,
    /// The label of the account to call from; the first line key's when absent.
    #[serde(default)]
    pub account: Option<String>,
}

/// The `[device.volume]` table: levels 0–10 at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VolumeSettings {
    /// The ringer.
    pub ringer: u8,
    /// The handset earpiece.
    pub handset: u8,
    /// The loudspeaker.
    pub speaker: u8,
    /// The headset.
    pub headset: u8,
}

impl Default for VolumeSettings {
    fn default() -> Self {
        let level = crate::device::DEFAULT_VOLUME;
        VolumeSettings { ringer: level, handset: level, speaker: level, headset: level }
    }
}

/// The `[device]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceSettings {
    /// The line keys, each the label of the account it is an appearance of. Empty: two keys of
    /// the first account, then one per further account.
    pub lines: Vec<String>,
    /// What the dial pad can dial (docs/CONFIG.md, `phone::device::DigitMap`).
    pub digit_map: String,
    /// Seconds to wait for another digit while the number is incomplete.
    pub interdigit_secs: u32,
    /// Seconds to wait for another digit once the number is complete but could be longer.
    pub short_interdigit_secs: u32,
    /// The ringtone of accounts not in `ringtones`.
    pub ringtone: RingtoneName,
    /// Ringtones by account label.
    pub ringtones: BTreeMap<String, RingtoneName>,
    /// Do-not-disturb at start.
    pub dnd: bool,
    /// The status refusing a call under do-not-disturb or by the Reject key: 486 or 603.
    pub dnd_status: u16,
    /// A second call during a call waits (call-waiting tone) instead of being refused busy.
    pub call_waiting: bool,
    /// Call forwarding at start.
    pub forwarding: ForwardingSettings,
    /// The speed-dial keys.
    pub speed_dial: Vec<SpeedDialSettings>,
    /// How many calls the history keeps.
    pub history_size: u32,
    /// The PIN that opens the settings menu: 4 to 12 digits.
    pub admin_pin: Secret,
    /// Dial an IP address from the keypad (`192*168*1*10#`, `*` for each dot): a direct call
    /// without a registrar.
    pub direct_ip_dialing: bool,
    /// Volumes at start.
    pub volume: VolumeSettings,
}

impl Default for DeviceSettings {
    fn default() -> Self {
        DeviceSettings {
            lines: Vec::new(),
            digit_map: DEFAULT_DIGIT_MAP.to_owned(),
            interdigit_secs: 4,
            short_interdigit_secs: 2,
            ringtone: RingtoneName::Warble,
            ringtones: BTreeMap::new(),
            dnd: false,
            dnd_status: 486,
            call_waiting: true,
            forwarding: ForwardingSettings::default(),
            speed_dial: Vec::new(),
            history_size: 100,
            admin_pin: Secret::new(DEFAULT_ADMIN_PIN),
            direct_ip_dialing: true,
            volume: VolumeSettings::default(),
        }
    }
}

impl DeviceSettings {
    /// Checks what the types cannot; `Err` names the key below `device.`.
    pub fn check(&self, labels: &[&str]) -> Result<(), (String, Problem)> {
        let known = |label: &str| labels.contains(&label);
        let range = |value: u32, range: &std::ops::RangeInclusive<u32>| {
            if range.contains(&value) {
                Ok(())
            } else {
                Err(Problem::OutOfRange { min: *range.start(), max: *range.end() })
            }
        };
        if self.lines.len() > MAX_LINES {
            return Err(("lines".into(), Problem::OutOfRange { min: 0, max: MAX_LINES as u32 }));
        }
        if let Some(i) = self.lines.iter().position(|l| !known(l)) {
            return Err((format!("lines[{i}]"), Problem::UnknownLabel));
        }
        DigitMap::parse(&self.digit_map).map_err(|e| ("digit_map".to_owned(), Problem::BadDigitMap(e)))?;
        range(self.interdigit_secs, &INTERDIGIT_RANGE).map_err(|p| ("interdigit_secs".to_owned(), p))?;
        range(self.short_interdigit_secs, &INTERDIGIT_RANGE).map_err(|p| ("short_interdigit_secs".to_owned(), p))?;
        if let Some(label) = self.ringtones.keys().find(|l| !known(l)) {
            return Err((format!("ringtones.{label:?}"), Problem::UnknownLabel));
        }
        if ![486, 603].contains(&self.dnd_status) {
            return Err(("dnd_status".into(), Problem::NotOneOf("486, 603")));
        }
        range(self.forwarding.no_answer_secs, &NO_ANSWER_RANGE).map_err(|p| ("forwarding.no_answer_secs".into(), p))?;
        for (key, target) in [
            ("always", &self.forwarding.always),
            ("busy", &self.forwarding.busy),
            ("no_answer", &self.forwarding.no_answer),
        ] {
            if target.as_deref().is_some_and(|t| t.trim().is_empty()) {
                return Err((format!("forwarding.{key}"), Problem::Empty));
            }
        }
        for (i, speed) in self.speed_dial.iter().enumerate() {
            if speed.target.trim().is_empty() {
                return Err((format!("speed_dial[{i}].target"), Problem::Empty));
            }
            if speed.account.as_deref().is_some_and(|a| !known(a)) {
                return Err((format!("speed_dial[{i}].account"), Problem::UnknownLabel));
            }
        }
        range(self.history_size, &HISTORY_RANGE).map_err(|p| ("history_size".into(), p))?;
        let pin = self.admin_pin.expose();
        if !(4..=12).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(("admin_pin".into(), Problem::BadPin));
        }
        let v = &self.volume;
        for (key, level) in
            [("ringer", v.ringer), ("handset", v.handset), ("speaker", v.speaker), ("headset", v.headset)]
        {
            range(u32::from(level), &(0..=u32::from(MAX_VOLUME))).map_err(|p| (format!("volume.{key}"), p))?;
        }
        Ok(())
    }
}

impl ToneRegion {
    /// The tone plan of the `media` crate.
    pub fn region(self) -> Region {
        match self {
            ToneRegion::Us => Region::Us,
            ToneRegion::Uk => Region::Uk,
            ToneRegion::Eu => Region::Eu,
        }
    }
}

impl Config {
    /// The index in `accounts` of the account labelled `label`.
    fn account_index(&self, label: &str) -> Option<usize> {
        self.accounts.iter().position(|a| a.label == label)
    }

    /// The deskphone's configuration: `[device]` with account labels turned into indices, the
    /// tones of `[audio]`, each account's voicemail, and what the settings menu shows of the
    /// accounts. Call on a checked config (an unknown label is skipped).
    pub fn device_config(&self) -> DeviceConfig {
        let d = &self.device;
        let mut lines: Vec<usize> = d.lines.iter().filter_map(|l| self.account_index(l)).collect();
        if lines.is_empty() {
            lines = vec![0, 0];
            lines.extend((1..self.accounts.len()).take(MAX_LINES - 2));
        }
        let secs = |s: u32| Duration::from_secs(u64::from(s));
        let forwarding = Forwarding {
            always: d.forwarding.always.clone(),
            busy: d.forwarding.busy.clone(),
            no_answer: d.forwarding.no_answer.clone(),
            no_answer_after: secs(d.forwarding.no_answer_secs),
        };
        let speed_dial = d
            .speed_dial
            .iter()
            .map(|s| SpeedDial {
                label: s.label.clone(),
                target: s.target.clone(),
                account: s.account.as_deref().and_then(|a| self.account_index(a)),
            })
            .collect();
        let ringtones = d.ringtones.iter().filter_map(|(l, r)| Some((self.account_index(l)?, r.ringtone()))).collect();
        let voicemail = self.accounts.iter().enumerate().filter_map(|(i, a)| Some((i, a.voicemail.clone()?))).collect();
        let accounts = self
            .accounts
            .iter()
            .map(|a| AccountSummary {
                label: a.label.clone(),
                server: a.server.clone(),
                transport: a.transport,
                user: a.user.clone(),
                auth_user: a.auth_user.clone(),
                display_name: a.display_name.clone(),
                has_password: !a.password.expose().is_empty(),
                enabled: a.enabled,
            })
            .collect();
        DeviceConfig {
            lines,
            digit_map: DigitMap::parse(&d.digit_map).unwrap_or_default(),
            interdigit_timeout: secs(d.interdigit_secs),
            short_interdigit_timeout: secs(d.short_interdigit_secs),
            region: self.audio.tone_region.region(),
            ringtones,
            default_ringtone: d.ringtone.ringtone(),
            reject_status: d.dnd_status,
            dnd: d.dnd,
            call_waiting: d.call_waiting,
            forwarding,
            speed_dial,
            voicemail,
            history_size: d.history_size as usize,
            accounts,
            admin_pin: d.admin_pin.clone(),
            direct_ip_dialing: d.direct_ip_dialing,
            volumes: [d.volume.ringer, d.volume.handset, d.volume.speaker, d.volume.headset],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigError;

    const ACCOUNTS: &str = r#"
[[accounts]]
label = "Agent 1001"
server = "pbx"
user = "1001"
voicemail = "*97"
[[accounts]]
label = "Sales"
server = "pbx"
user = "2001"
"#;

    fn problem(device: &str) -> (String, Problem) {
        match Config::from_toml(&format!("{ACCOUNTS}[device]\n{device}")) {
            Err(ConfigError::Invalid { key, problem }) => (key, problem),
            other => panic!("expected a semantic error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_give_two_lines_of_the_first_account_and_one_per_other() {
        let config = Config::from_toml(ACCOUNTS).unwrap();
        let device = config.device_config();
        assert_eq!(device.lines, [0, 0, 1]);
        assert_eq!(device.digit_map.as_str(), DEFAULT_DIGIT_MAP);
        assert_eq!((device.interdigit_timeout, device.short_interdigit_timeout), (secs(4), secs(2)));
        assert_eq!((device.reject_status, device.call_waiting, device.dnd), (486, true, false));
        assert_eq!(device.admin_pin.expose(), DEFAULT_ADMIN_PIN);
        assert!(device.direct_ip_dialing);
        assert_eq!(device.voicemail.get(&0).map(String::as_str), Some("*97"));
        assert_eq!(device.accounts.len(), 2);
        assert_eq!(device.accounts[1].label, "Sales");
        assert!(!device.accounts[1].has_password);
        let empty = Config::from_toml("").unwrap().device_config();
        assert_eq!(empty.lines, [0, 0]);
        assert!(empty.accounts.is_empty());
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn every_key_reads_and_converts() {
        let text = format!(
            "{ACCOUNTS}[audio]\ntone_region = \"uk\"\n[device]\nlines = [\"Sales\", \"Agent 1001\"]\n\
             digit_map = \"xxx|9x.\"\ninterdigit_secs = 6\nshort_interdigit_secs = 1\nringtone = \"bell\"\n\
             ringtones = {{ \"Sales\" = \"melody\" }}\ndnd = true\ndnd_status = 603\ncall_waiting = false\n\
             history_size = 20\nadmin_pin = \"4321\"\ndirect_ip_dialing = false\n\
             [device.forwarding]\nbusy = \"2002\"\nno_answer = \"2003\"\nno_answer_secs = 15\n\
             [device.volume]\nringer = 8\nhandset = 3\n\
             [[device.speed_dial]]\nlabel = \"Reception\"\ntarget = \"2000\"\naccount = \"Sales\"\n"
        );
        let config = Config::from_toml(&text).unwrap();
        let device = config.device_config();
        assert_eq!(device.lines, [1, 0]);
        assert_eq!(device.region, Region::Uk);
        assert_eq!((device.default_ringtone, device.ringtones.get(&1)), (Ringtone::Bell, Some(&Ringtone::Melody)));
        assert_eq!((device.reject_status, device.dnd, device.call_waiting), (603, true, false));
        assert_eq!(device.forwarding.busy.as_deref(), Some("2002"));
        assert_eq!(device.forwarding.no_answer_after, secs(15));
        assert_eq!(device.speed_dial[0].account, Some(1));
        assert_eq!((device.history_size, device.admin_pin.expose()), (20, "4321"));
        assert_eq!(device.volumes, [8, 3, 5, 5]);
        assert!(!format!("{config:?}").contains("4321"), "the PIN never shows");
    }

    #[test]
    fn faults_name_their_key() {
        assert_eq!(problem("lines = [\"Nobody\"]"), ("device.lines[0]".into(), Problem::UnknownLabel));
        assert!(matches!(problem("digit_map = \"[2-\"").1, Problem::BadDigitMap(_)));
        assert_eq!(problem("dnd_status = 600"), ("device.dnd_status".into(), Problem::NotOneOf("486, 603")));
        assert_eq!(problem("admin_pin = \"12a4\""), ("device.admin_pin".into(), Problem::BadPin));
        assert_eq!(problem("admin_pin = \"123\""), ("device.admin_pin".into(), Problem::BadPin));
        assert_eq!(problem("history_size = 0").0, "device.history_size");
        assert_eq!(problem("interdigit_secs = 0").0, "device.interdigit_secs");
        assert_eq!(problem("ringtones = { \"Nobody\" = \"bell\" }").0, "device.ringtones.\"Nobody\"");
        assert_eq!(problem("volume = { ringer = 11 }").0, "device.volume.ringer");
        assert_eq!(problem("forwarding = { always = \"\" }").0, "device.forwarding.always");
        let speed = "[[device.speed_dial]]\nlabel = \"x\"\ntarget = \"1\"\naccount = \"Nobody\"";
        let error = Config::from_toml(&format!("{ACCOUNTS}{speed}")).unwrap_err().to_string();
        assert_eq!(error, "device.speed_dial[0].account: no account has this label");
        assert!(Config::from_toml("[device]\nlinez = []").is_err(), "unknown keys are errors");
    }
}
