//! ALSA sound cards: blocking, interleaved signed 16-bit PCM with xrun recovery.

use alsa::device_name::HintIter;
use alsa::pcm::{Access, Format, Frames, HwParams, PCM};
use alsa::{Direction, ValueOr};

use crate::{AudioError, AudioFormat, Capture, CaptureStatus, Playback, PlaybackStatus};

/// Periods in the ALSA ring buffer we ask for (the device may round it).
const BUFFER_PERIODS: usize = 4;
/// Periods queued before playback starts: one period of cushion against a late writer.
const START_PERIODS: usize = 2;
/// How long to wait for a device that moved no frames before trying again.
const WAIT_MS: u32 = 100;

// Linux errno values ALSA reports (positive, as `alsa::Error::errno` gives them).
const ENOENT: i32 = 2;
const EINTR: i32 = 4;
const ENXIO: i32 = 6;
const EBUSY: i32 = 16;
const ENODEV: i32 = 19;

/// An ALSA capture device (microphone), opened blocking.
///
/// Overruns (the reader was late and the ring buffer overflowed) are recovered with
/// `snd_pcm_recover` (which re-prepares the stream), counted and reported as
/// [`CaptureStatus::Overrun`]; they are never fatal.
#[derive(Debug)]
pub struct AlsaCapture {
    device: AlsaPcm,
    overruns: u64,
}

/// An ALSA playback device (speaker, headset, ringer), opened blocking.
///
/// Playback starts once two periods are queued. Underruns are recovered with
/// `snd_pcm_recover`, counted and reported as [`PlaybackStatus::Underrun`]; they are never
/// fatal.
#[derive(Debug)]
pub struct AlsaPlayback {
    device: AlsaPcm,
    underruns: u64,
    closed: bool,
}

/// A configured PCM and what the hardware granted.
#[derive(Debug)]
struct AlsaPcm {
    name: String,
    format: AudioFormat,
    pcm: PCM,
    hw_period: usize,
    hw_buffer: usize,
}

/// A PCM device ALSA knows about, for a settings menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlsaDeviceInfo {
    /// The PCM name to put in the configuration (`default`, `plughw:CARD=Headset,DEV=0`, …).
    pub name: String,
    /// ALSA's human description; may span several lines.
    pub description: Option<String>,
    /// Whether the device records.
    pub capture: bool,
    /// Whether the device plays.
    pub playback: bool,
}

/// The PCM devices ALSA's configuration and sound cards offer (the `aplay -L` list). With no
/// sound card this still lists the plugins ALSA always has, such as `null` and `default`.
pub fn list_alsa_devices() -> Result<Vec<AlsaDeviceInfo>, AudioError> {
    let hints = HintIter::new_str(None, "pcm").map_err(|source| AudioError::Alsa {
        device: "pcm".to_owned(),
        op: "snd_device_name_hint",
        source,
    })?;
    Ok(hints
        .filter_map(|hint| {
            let name = hint.name?;
            let (capture, playback) = match hint.direction {
                Some(Direction::Capture) => (true, false),
                Some(Direction::Playback) => (false, true),
                None => (true, true),
            };
            Some(AlsaDeviceInfo { name, description: hint.desc, capture, playback })
        })
        .collect())
}

impl AlsaCapture {
    /// Opens ALSA PCM `name` (`default`, `hw:1,0`, `plughw:CARD=Headset`) for capture in
    /// `format`. `hw:` devices take only formats the card does natively; `plughw:` and
    /// `default` convert.
    pub fn open(name: &str, format: AudioFormat) -> Result<Self, AudioError> {
        Ok(AlsaCapture { device: AlsaPcm::open(name, Direction::Capture, format)?, overruns: 0 })
    }

    /// The PCM name.
    pub fn name(&self) -> &str {
        &self.device.name
    }

    /// The hardware period and ring buffer sizes granted, in frames.
    pub fn hw_sizes(&self) -> (usize, usize) {
        (self.device.hw_period, self.device.hw_buffer)
    }
}

impl Capture for AlsaCapture {
    fn format(&self) -> AudioFormat {
        self.device.format
    }

    fn read_period(&mut self, out: &mut [i16]) -> Result<CaptureStatus, AudioError> {
        AudioError::check_period(&self.device.format, out.len())?;
        let recovered = self.device.transfer(out.len(), |io, from| io.readi(&mut out[from..]))?;
        self.overruns += recovered;
        Ok(if recovered > 0 { CaptureStatus::Overrun } else { CaptureStatus::Ok })
    }

    fn overrun_count(&self) -> u64 {
        self.overruns
    }
}

impl AlsaPlayback {
    /// Opens ALSA PCM `name` (`default`, `hw:1,0`, `plughw:CARD=Headset`) for playback in
    /// `format`. `hw:` devices take only formats the card does natively; `plughw:` and
    /// `default` convert.
    pub fn open(name: &str, format: AudioFormat) -> Result<Self, AudioError> {
        Ok(AlsaPlayback { device: AlsaPcm::open(name, Direction::Playback, format)?, underruns: 0, closed: false })
    }

    /// The PCM name.
    pub fn name(&self) -> &str {
        &self.device.name
    }

    /// The hardware period and ring buffer sizes granted, in frames.
    pub fn hw_sizes(&self) -> (usize, usize) {
        (self.device.hw_period, self.device.hw_buffer)
    }
}

impl Playback for AlsaPlayback {
    fn format(&self) -> AudioFormat {
        self.device.format
    }

    fn write_period(&mut self, pcm: &[i16]) -> Result<PlaybackStatus, AudioError> {
        if self.closed {
            return Err(AudioError::Closed { device: self.device.name.clone() });
        }
        AudioError::check_period(&self.device.format, pcm.len())?;
        let recovered = self.device.transfer(pcm.len(), |io, from| io.writei(&pcm[from..]))?;
        self.underruns += recovered;
        Ok(if recovered > 0 { PlaybackStatus::Underrun } else { PlaybackStatus::Ok })
    }

    fn underrun_count(&self) -> u64 {
        self.underruns
    }

    fn close(&mut self) -> Result<(), AudioError> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        self.device.pcm.drain().map_err(|source| self.device.error("snd_pcm_drain", source))
    }
}

impl AlsaPcm {
    /// Opens and configures `name`. alsa-lib's own diagnostics (it prints several lines to
    /// stderr when there is no sound card) go to this crate's debug log instead, so that a
    /// missing device is reported once, by the caller.
    fn open(name: &str, direction: Direction, format: AudioFormat) -> Result<Self, AudioError> {
        format.validate()?;
        if name.contains('\0') {
            return Err(AudioError::InvalidSpec { spec: name.to_owned(), reason: "contains a NUL byte" });
        }
        let diagnostics = alsa::Output::local_error_handler().ok();
        let opened = Self::open_configured(name, direction, format);
        if let Some(text) = diagnostics.map(|output| output.borrow().to_string()) {
            if !text.trim().is_empty() {
                tracing::debug!(device = name, "alsa-lib: {}", text.trim_end());
            }
        }
        opened
    }

    fn open_configured(name: &str, direction: Direction, format: AudioFormat) -> Result<Self, AudioError> {
        let pcm = PCM::new(name, direction, false).map_err(|source| open_error(name, source))?;
        let mut device = AlsaPcm { name: name.to_owned(), format, pcm, hw_period: 0, hw_buffer: 0 };
        device.configure_hw()?;
        device.configure_sw(direction)?;
        device.pcm.prepare().map_err(|source| device.error("snd_pcm_prepare", source))?;
        tracing::debug!(
            device = name,
            format = %format,
            hw_period = device.hw_period,
            hw_buffer = device.hw_buffer,
            "opened ALSA {direction:?} device"
        );
        Ok(device)
    }

    fn error(&self, op: &'static str, source: alsa::Error) -> AudioError {
        AudioError::Alsa { device: self.name.clone(), op, source }
    }

    fn unsupported(&self, detail: String, native_rate: Option<u32>) -> AudioError {
        AudioError::FormatUnsupported { device: self.name.clone(), requested: self.format, detail, native_rate }
    }

    /// Interleaved native-endian 16-bit samples at the requested rate and channels; period and
    /// buffer as near the request as the device allows.
    fn configure_hw(&mut self) -> Result<(), AudioError> {
        let format = self.format;
        let hw = HwParams::any(&self.pcm).map_err(|source| self.error("snd_pcm_hw_params_any", source))?;
        hw.set_access(Access::RWInterleaved)
            .map_err(|_| self.unsupported("no interleaved read/write access".to_owned(), None))?;
        hw.set_format(Format::s16()).map_err(|_| self.unsupported("no signed 16-bit samples".to_owned(), None))?;
        if hw.set_channels(u32::from(format.channels)).is_err() {
            let (min, max) = (hw.get_channels_min().unwrap_or(0), hw.get_channels_max().unwrap_or(0));
            return Err(self.unsupported(format!("the device has {min} to {max} channels"), None));
        }
        if hw.set_rate(format.sample_rate, ValueOr::Nearest).is_err() {
            let native = hw.set_rate_near(format.sample_rate, ValueOr::Nearest).ok();
            let detail = match native {
                Some(rate) => format!("{} Hz is not supported; the nearest rate is {rate} Hz", format.sample_rate),
                None => format!("{} Hz is not supported", format.sample_rate),
            };
            return Err(self.unsupported(detail, native));
        }
        let period = Frames::try_from(format.period_frames).unwrap_or(Frames::MAX);
        hw.set_period_size_near(period, ValueOr::Nearest)
            .map_err(|source| self.error("snd_pcm_hw_params_set_period_size_near", source))?;
        hw.set_buffer_size_near(period.saturating_mul(BUFFER_PERIODS as Frames))
            .map_err(|source| self.error("snd_pcm_hw_params_set_buffer_size_near", source))?;
        self.pcm.hw_params(&hw).map_err(|source| self.error("snd_pcm_hw_params", source))?;
        let granted = |v: alsa::Result<Frames>| v.ok().and_then(|f| usize::try_from(f).ok()).unwrap_or(0);
        self.hw_period = granted(hw.get_period_size());
        self.hw_buffer = granted(hw.get_buffer_size());
        Ok(())
    }

    /// Wake the reader or writer once a period can move; start playback with two periods
    /// queued (capture starts on the first read).
    fn configure_sw(&mut self, direction: Direction) -> Result<(), AudioError> {
        let sw = self.pcm.sw_params_current().map_err(|source| self.error("snd_pcm_sw_params_current", source))?;
        let period = Frames::try_from(self.format.period_frames).unwrap_or(Frames::MAX);
        sw.set_avail_min(period).map_err(|source| self.error("snd_pcm_sw_params_set_avail_min", source))?;
        if direction == Direction::Playback {
            let buffer = Frames::try_from(self.hw_buffer).unwrap_or(Frames::MAX).max(1);
            let start = period.saturating_mul(START_PERIODS as Frames).min(buffer);
            sw.set_start_threshold(start)
                .map_err(|source| self.error("snd_pcm_sw_params_set_start_threshold", source))?;
        }
        self.pcm.sw_params(&sw).map_err(|source| self.error("snd_pcm_sw_params", source))
    }

    /// Moves `samples` interleaved samples with `step(io, offset)`, which transfers from sample
    /// `offset` on and returns the frames moved; blocks until all are moved. Returns how many
    /// xruns were recovered on the way.
    fn transfer(
        &self,
        samples: usize,
        mut step: impl FnMut(&alsa::pcm::IO<'_, i16>, usize) -> alsa::Result<usize>,
    ) -> Result<u64, AudioError> {
        let channels = usize::from(self.format.channels);
        let io = self.pcm.io_i16().map_err(|source| self.error("snd_pcm_hw_params_current", source))?;
        let (mut done, mut recovered) = (0, 0);
        while done < samples {
            match step(&io, done) {
                // A blocking transfer moves at least one frame; should a device say otherwise,
                // wait for it rather than spin.
                Ok(0) => {
                    let _ = self.pcm.wait(Some(WAIT_MS));
                }
                Ok(frames) => done += frames * channels,
                Err(e) if e.errno() == EINTR => {}
                Err(e) => {
                    self.pcm.try_recover(e, true).map_err(|_| self.error("snd_pcm_recover", e))?;
                    tracing::debug!(device = %self.name, error = %e, "ALSA xrun recovered");
                    recovered += 1;
                }
            }
        }
        Ok(recovered)
    }
}

/// Classifies a failure of `snd_pcm_open`.
fn open_error(name: &str, source: alsa::Error) -> AudioError {
    let device = name.to_owned();
    match source.errno() {
        ENOENT | ENODEV | ENXIO => AudioError::DeviceNotFound { device, source },
        EBUSY => AudioError::DeviceBusy { device, source },
        _ => AudioError::Alsa { device, op: "snd_pcm_open", source },
    }
}
