//! Opening devices by [`DeviceSpec`], and falling back to silence when there is no sound card.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::{
    AlsaCapture, AlsaPlayback, AudioError, AudioFormat, Capture, Clock, DeviceSpec, FileCapture, FileSpeaker,
    NullCapture, NullPlayback, Playback, SystemClock,
};

/// Opens the microphone `spec` names, in `format`. File and null devices keep time on `clock`
/// (ALSA devices keep the sound card's).
pub fn open_capture(
    spec: &DeviceSpec,
    format: AudioFormat,
    clock: Arc<dyn Clock>,
) -> Result<Box<dyn Capture>, AudioError> {
    format.validate()?;
    Ok(match spec {
        DeviceSpec::Null => Box::new(NullCapture::new(format, clock)),
        DeviceSpec::File(path) => Box::new(FileCapture::open(path, format, clock)?),
        DeviceSpec::Alsa(name) => Box::new(AlsaCapture::open(name, format)?),
    })
}

/// Opens the speaker (or headset, or ringer) `spec` names, in `format`. A `file:` spec creates
/// or truncates the WAV file. File and null devices keep time on `clock` (ALSA devices keep the
/// sound card's).
pub fn open_playback(
    spec: &DeviceSpec,
    format: AudioFormat,
    clock: Arc<dyn Clock>,
) -> Result<Box<dyn Playback>, AudioError> {
    format.validate()?;
    Ok(match spec {
        DeviceSpec::Null => Box::new(NullPlayback::new(format, clock)),
        DeviceSpec::File(path) => Box::new(FileSpeaker::create(path, format, clock)?),
        DeviceSpec::Alsa(name) => Box::new(AlsaPlayback::open(name, format)?),
    })
}

/// Opens devices for the phone, which must start and run even with no sound card.
///
/// The `*_or_null` methods never fail: a device that cannot be opened is replaced by a null
/// device (silence at real time) after one warning, `no sound device NAME: ERROR; running
/// silent`. The warning is given once per device per opener, however often the phone reopens
/// it (at every call, on every mode change); later failures are logged at debug level.
///
/// To retry a [`AudioError::FormatUnsupported`] device at its native rate instead of going
/// silent, use [`DeviceOpener::open_capture`]/[`DeviceOpener::open_playback`] first.
#[derive(Debug)]
pub struct DeviceOpener {
    clock: Arc<dyn Clock>,
    warned: Mutex<HashSet<DeviceSpec>>,
}

impl DeviceOpener {
    /// An opener whose file and null devices keep time on `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        DeviceOpener { clock, warned: Mutex::new(HashSet::new()) }
    }

    /// The clock file and null devices keep time on.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// [`open_capture`] on this opener's clock.
    pub fn open_capture(&self, spec: &DeviceSpec, format: AudioFormat) -> Result<Box<dyn Capture>, AudioError> {
        open_capture(spec, format, self.clock.clone())
    }

    /// [`open_playback`] on this opener's clock.
    pub fn open_playback(&self, spec: &DeviceSpec, format: AudioFormat) -> Result<Box<dyn Playback>, AudioError> {
        open_playback(spec, format, self.clock.clone())
    }

    /// Opens the microphone `spec` names or, failing that, warns once and returns a
    /// [`NullCapture`].
    pub fn open_capture_or_null(&self, spec: &DeviceSpec, format: AudioFormat) -> Box<dyn Capture> {
        match self.open_capture(spec, format) {
            Ok(device) => device,
            Err(error) => {
                self.report(spec, &error);
                Box::new(NullCapture::new(format, self.clock.clone()))
            }
        }
    }

    /// Opens the speaker `spec` names or, failing that, warns once and returns a
    /// [`NullPlayback`].
    pub fn open_playback_or_null(&self, spec: &DeviceSpec, format: AudioFormat) -> Box<dyn Playback> {
        match self.open_playback(spec, format) {
            Ok(device) => device,
            Err(error) => {
                self.report(spec, &error);
                Box::new(NullPlayback::new(format, self.clock.clone()))
            }
        }
    }

    /// The devices that could not be opened and were replaced by null devices, in no
    /// particular order (for a status screen).
    pub fn silent_devices(&self) -> Vec<DeviceSpec> {
        self.lock().iter().cloned().collect()
    }

    fn report(&self, spec: &DeviceSpec, error: &AudioError) {
        if self.lock().insert(spec.clone()) {
            tracing::warn!("no sound device {spec}: {error}; running silent");
        } else {
            tracing::debug!("no sound device {spec}: {error}; still running silent");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<DeviceSpec>> {
        // The set stays consistent even if a holder panicked.
        self.warned.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for DeviceOpener {
    /// An opener on the [`SystemClock`].
    fn default() -> Self {
        Self::new(Arc::new(SystemClock))
    }
}
