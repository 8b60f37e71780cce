//! The `[audio]` table: which sound devices the phone uses for what, the sample rate they run
//! at, and the country whose call-progress tones it plays.

use serde::Deserialize;

use super::Problem;

/// A sound device as the config names it: an ALSA PCM name (`default`, `plughw:CARD=Headset`),
/// `file:PATH` (a WAV file: the microphone loops it, the speaker writes it) or `null`.
pub type DeviceName = String;

/// The input and output of one audio mode (handset, headset or speaker).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ModeDevices {
    /// The microphone; the `[audio]` input when absent.
    pub input: Option<DeviceName>,
    /// The earpiece or loudspeaker; the `[audio]` output when absent.
    pub output: Option<DeviceName>,
}

/// Whose call-progress tones (dial, ringback, busy, congestion, call waiting) to play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ToneRegion {
    /// North America (ANSI T1.401 precise tones).
    #[default]
    Us,
    /// The United Kingdom.
    Uk,
    /// Continental Europe (CEPT/ETSI 425 Hz).
    Eu,
}

/// The `[audio]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioSettings {
    /// The microphone when no mode names one.
    pub input: DeviceName,
    /// The earpiece/speaker when no mode names one.
    pub output: DeviceName,
    /// Where the ringtone plays; the output when absent.
    pub ringer: Option<DeviceName>,
    /// The handset's devices (a USB handset).
    pub handset: ModeDevices,
    /// The headset's devices.
    pub headset: ModeDevices,
    /// The hands-free speaker's devices.
    pub speaker: ModeDevices,
    /// The rate the devices run at, Hz: 8000, 16000 (default; wideband) or 48000.
    pub sample_rate: u32,
    /// Whose call-progress tones to play.
    pub tone_region: ToneRegion,
}

impl Default for AudioSettings {
    fn default() -> Self {
        AudioSettings {
            input: "default".into(),
            output: "default".into(),
            ringer: None,
            handset: ModeDevices::default(),
            headset: ModeDevices::default(),
            speaker: ModeDevices::default(),
            sample_rate: 16_000,
            tone_region: ToneRegion::Us,
        }
    }
}

/// The sample rates the media engine converts between.
pub const SAMPLE_RATES: [u32; 3] = [8_000, 16_000, 48_000];

impl AudioSettings {
    /// The ringer device: `ringer`, else the output.
    pub fn ringer(&self) -> &str {
        self.ringer.as_deref().unwrap_or(&self.output)
    }

    /// Checks every device name and the rate; `Err` names the key below `audio.`.
    pub fn check(&self) -> Result<(), (String, Problem)> {
        if !SAMPLE_RATES.contains(&self.sample_rate) {
            return Err(("sample_rate".into(), Problem::OutOfRange { min: 8_000, max: 48_000 }));
        }
        let mut names: Vec<(String, &str)> = vec![("input".into(), &self.input), ("output".into(), &self.output)];
        if let Some(ringer) = &self.ringer {
            names.push(("ringer".into(), ringer));
        }
        for (mode, devices) in [("handset", &self.handset), ("headset", &self.headset), ("speaker", &self.speaker)] {
            for (which, name) in [("input", &devices.input), ("output", &devices.output)] {
                if let Some(name) = name {
                    names.push((format!("{mode}.{which}"), name));
                }
            }
        }
        for (key, name) in names {
            let name = name.trim();
            if name.is_empty() || name == "file:" {
                return Err((key, Problem::Empty));
            }
        }
        Ok(())
    }
}
