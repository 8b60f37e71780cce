//! Stand-ins for the audio engine's API and the history store, until they land on main (the
//! audio engine: tones, ringer, audio paths, mute, volumes, local conference; the history kept
//! in the state directory). Each logs what it would do at `debug` level. Delete this file when
//! they land: the audio branch has these methods on `EdgeState::audio` (an `AudioEngine`) and
//! `crate::history_store::{load, save}` with these signatures; the only callers are in
//! `device_edge.rs` (`audio_output` and the `history_store` import).

use std::path::Path;

use media::tones::{Region, Ringtone, Tone};
use phone::core::CallId;
use phone::device::{AudioPath, VolumeOf};
use tracing::debug;

use crate::ctl::exec::EdgeState;

impl EdgeState {
    /// Plays `tone` of `region` on the audio path, replacing any tone.
    pub fn play_tone(&mut self, tone: Tone, region: Region) {
        debug!(?tone, ?region, "tone (no audio engine yet)");
    }

    /// Stops the tone.
    pub fn stop_tone(&mut self) {
        debug!("tone stopped (no audio engine yet)");
    }

    /// Rings with `ringtone` at ringer volume `volume` (`0..=10`).
    pub fn ring(&mut self, ringtone: Ringtone, volume: u8) {
        debug!(?ringtone, volume, "ring (no audio engine yet)");
    }

    /// Stops ringing.
    pub fn stop_ring(&mut self) {
        debug!("ring stopped (no audio engine yet)");
    }

    /// Moves the call audio and tones to `path`.
    pub fn set_audio_path(&mut self, path: AudioPath) {
        debug!(?path, "audio path (no audio engine yet)");
    }

    /// Mutes or unmutes the microphone.
    pub fn set_mute(&mut self, muted: bool) {
        debug!(muted, "mute (no audio engine yet)");
    }

    /// Sets a volume, `0..=10`.
    pub fn set_volume(&mut self, of: VolumeOf, level: u8) {
        debug!(?of, level, "volume (no audio engine yet)");
    }

    /// Mixes `calls` locally (three-way conference); empty: no mixing.
    pub fn set_conference(&mut self, calls: &[CallId]) {
        debug!(?calls, "conference (no audio engine yet)");
    }
}

/// The call history in the state directory (stand-in: nothing is kept).
pub mod history_store {
    use super::*;
    use phone::device::History;

    /// The history kept in `state_dir` (stand-in: always empty).
    pub fn load(state_dir: &Path) -> History {
        debug!(dir = %state_dir.display(), "history not loaded (no history store yet)");
        History::default()
    }

    /// Keeps `history` in `state_dir` (stand-in: not written).
    pub fn save(state_dir: &Path, history: &History) -> std::io::Result<()> {
        debug!(dir = %state_dir.display(), calls = history.len(), "history not saved (no history store yet)");
        Ok(())
    }
}
