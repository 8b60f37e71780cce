//! Which sound devices each audio path uses, and the devices the engine has open.

use std::sync::Arc;

use audio::{AudioFormat, Capture, DeviceOpener, DeviceSpec, Playback};
use phone::config::AudioSettings;
use phone::device::AudioPath;
use tracing::{debug, info};

/// The microphone and the earpiece (or loudspeaker) of one audio path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PathDevices {
    /// The microphone.
    pub input: DeviceSpec,
    /// The earpiece, loudspeaker or headphones.
    pub output: DeviceSpec,
}

impl PathDevices {
    /// Null in, null out: [`AudioPath::Off`], which keeps the engine's clock (and so the RTP of
    /// the calls) running with no sound device.
    pub fn null() -> PathDevices {
        PathDevices { input: DeviceSpec::Null, output: DeviceSpec::Null }
    }
}

/// [`PathDevices::null`] for borrowing.
static NULL_PATH: PathDevices = PathDevices { input: DeviceSpec::Null, output: DeviceSpec::Null };

/// The devices of the `[audio]` table, by use (docs/CONFIG.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioDevices {
    /// The handset: `audio.handset.*`, else `audio.input`/`audio.output`.
    pub handset: PathDevices,
    /// The hands-free speaker: `audio.speaker.*`, else `audio.input`/`audio.output`.
    pub speaker: PathDevices,
    /// The headset: `audio.headset.*`, else `audio.input`/`audio.output`.
    pub headset: PathDevices,
    /// Where the ringtone plays: `audio.ringer`, else the speaker's output (a deskphone rings on
    /// its loudspeaker), which is `audio.output` unless `audio.speaker.output` is set.
    pub ringer: DeviceSpec,
    /// The rate every device runs at, Hz.
    pub sample_rate: u32,
}

impl AudioDevices {
    /// The devices `audio` names; a name that does not parse is `null` (the configuration
    /// check refuses empty names before this).
    pub fn from_settings(audio: &AudioSettings) -> AudioDevices {
        let spec = |name: &str| name.parse::<DeviceSpec>().unwrap_or(DeviceSpec::Null);
        let mode = |devices: &phone::config::ModeDevices| PathDevices {
            input: spec(devices.input.as_deref().unwrap_or(&audio.input)),
            output: spec(devices.output.as_deref().unwrap_or(&audio.output)),
        };
        let speaker = mode(&audio.speaker);
        let ringer = match &audio.ringer {
            Some(name) => spec(name),
            None => speaker.output.clone(),
        };
        AudioDevices {
            handset: mode(&audio.handset),
            speaker,
            headset: mode(&audio.headset),
            ringer,
            sample_rate: audio.sample_rate,
        }
    }

    /// The devices of `path` ([`PathDevices::null`] for [`AudioPath::Off`]).
    pub fn of(&self, path: AudioPath) -> &PathDevices {
        match path {
            AudioPath::Off => &NULL_PATH,
            AudioPath::Handset => &self.handset,
            AudioPath::Speaker => &self.speaker,
            AudioPath::Headset => &self.headset,
        }
    }
}

/// The path's devices while the engine runs.
pub(super) struct OpenPath {
    pub specs: PathDevices,
    pub capture: Box<dyn Capture>,
    pub playback: Box<dyn Playback>,
}

/// The ringer, opened on its own when it is not the path's output.
pub(super) struct OpenRinger {
    pub spec: DeviceSpec,
    pub playback: Box<dyn Playback>,
}

/// What the engine has open, and opens and closes as it needs.
pub(super) struct Devices {
    pub opener: Arc<DeviceOpener>,
    pub format: AudioFormat,
    pub path: Option<OpenPath>,
    pub ringer: Option<OpenRinger>,
}

impl Devices {
    /// Brings the open devices to `path` (the path's devices, or none) and `ringer` (a separate
    /// ringer, or none): what differs is closed first, then what is missing is opened, so a
    /// device moving from the ringer to the path (or back) is never open twice. Nothing is
    /// allocated when nothing changes (this runs every period).
    pub fn ensure(&mut self, path: Option<&PathDevices>, ringer: Option<&DeviceSpec>) {
        if self.path.as_ref().map(|p| &p.specs) != path {
            if let Some(mut open) = self.path.take() {
                let _ = open.playback.close();
                debug!(input = %open.specs.input, output = %open.specs.output, "audio path closed");
            }
        }
        if self.ringer.as_ref().map(|r| &r.spec) != ringer {
            if let Some(mut open) = self.ringer.take() {
                let _ = open.playback.close();
                debug!(device = %open.spec, "ringer closed");
            }
        }
        if let (None, Some(specs)) = (&self.path, path) {
            let capture = self.opener.open_capture_or_null(&specs.input, self.format);
            let playback = self.opener.open_playback_or_null(&specs.output, self.format);
            info!(input = %specs.input, output = %specs.output, "audio path open");
            self.path = Some(OpenPath { specs: specs.clone(), capture, playback });
        }
        if let (None, Some(spec)) = (&self.ringer, ringer) {
            let playback = self.opener.open_playback_or_null(spec, self.format);
            info!(device = %spec, "ringer open");
            self.ringer = Some(OpenRinger { spec: spec.clone(), playback });
        }
    }

    /// Closes everything.
    pub fn close_all(&mut self) {
        self.ensure(None, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> AudioSettings {
        phone::Config::from_toml(text).expect("config").audio
    }

    #[test]
    fn each_path_falls_back_to_the_plain_input_and_output() {
        let devices = AudioDevices::from_settings(&settings(
            "[audio]\ninput = \"null\"\noutput = \"file:/tmp/out.wav\"\nheadset.output = \"hw:2\"\n",
        ));
        assert_eq!(
            devices.handset,
            PathDevices { input: DeviceSpec::Null, output: "file:/tmp/out.wav".parse().unwrap() }
        );
        assert_eq!(devices.headset.output, DeviceSpec::Alsa("hw:2".into()));
        assert_eq!(devices.headset.input, DeviceSpec::Null);
        assert_eq!(devices.of(AudioPath::Off), &PathDevices::null());
        assert_eq!(devices.ringer, devices.speaker.output);
    }

    #[test]
    fn the_ringer_is_its_own_device_else_the_speakers_output() {
        let own = AudioDevices::from_settings(&settings("[audio]\nringer = \"hw:3\"\n"));
        assert_eq!(own.ringer, DeviceSpec::Alsa("hw:3".into()));
        let speaker = AudioDevices::from_settings(&settings("[audio]\nspeaker.output = \"hw:1\"\n"));
        assert_eq!(speaker.ringer, DeviceSpec::Alsa("hw:1".into()));
        assert_eq!(speaker.handset.output, DeviceSpec::Alsa("default".into()));
    }
}
