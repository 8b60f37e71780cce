//! Sound devices for Hardphone, at the I/O edge.
//!
//! The phone's media engine is sans-IO; this crate is the thin edge that moves PCM between it
//! and a device, on a dedicated audio thread. Every device sits behind one of two traits,
//! [`Capture`] (microphone) and [`Playback`] (speaker, headset, ringer), which move exactly one
//! period of signed 16-bit interleaved PCM per call and block to keep real time.
//!
//! Devices are named by [`DeviceSpec`] strings from the configuration's `[audio]` table:
//!
//! * an ALSA PCM name (`default`, `hw:1,0`, `plughw:CARD=Headset`): [`AlsaCapture`],
//!   [`AlsaPlayback`];
//! * `file:PATH`: a WAV file as microphone, looped ([`FileCapture`]), or a WAV file the speaker
//!   writes ([`FileSpeaker`]);
//! * `null`: silence in, audio discarded ([`NullCapture`], [`NullPlayback`]).
//!
//! File and null devices keep real time exactly like a sound card, on an injected [`Clock`]:
//! the microphone delivers one period per period, the speaker file receives one period per
//! period whether or not audio was ready (an underrun is written as silence, never skipped), so
//! the jitter buffer behaves as on hardware and recordings line up with wall-clock time.
//!
//! [`DeviceOpener`] opens devices and, when one cannot be opened (no sound card), says so once
//! and hands out a null device instead: the phone never fails to start for lack of sound.
//!
//! ```
//! use std::sync::Arc;
//! use audio::{AudioFormat, Capture, DeviceOpener, DeviceSpec, ManualClock, Playback};
//!
//! // The phone uses `DeviceOpener::default()` (the system clock); a manual clock keeps this
//! // example instant.
//! let opener = DeviceOpener::new(Arc::new(ManualClock::new()));
//! let format = AudioFormat::mono_ms(16000, 20); // 320-frame periods
//! let input: DeviceSpec = "null".parse()?;
//! let output: DeviceSpec = "hw:CARD=NoSuchHeadset".parse()?;
//! let mut mic = opener.open_capture_or_null(&input, format);
//! let mut speaker = opener.open_playback_or_null(&output, format); // warns once, runs silent
//! let mut period = vec![0i16; format.period_samples()];
//! for _ in 0..50 {
//!     mic.read_period(&mut period)?;
//!     speaker.write_period(&period)?;
//! }
//! # Ok::<(), audio::AudioError>(())
//! ```
//!
//! Resampling is not done here: a device that cannot do the requested rate reports
//! [`AudioError::FormatUnsupported`] with a rate it can do, and the media crate converts.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod alsa_dev;
mod clock;
mod error;
mod file_capture;
mod file_speaker;
mod format;
mod null;
mod open;
mod pace;
mod spec;

pub use alsa_dev::{list_alsa_devices, AlsaCapture, AlsaDeviceInfo, AlsaPlayback};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::AudioError;
pub use file_capture::FileCapture;
pub use file_speaker::FileSpeaker;
pub use format::AudioFormat;
pub use null::{NullCapture, NullPlayback};
pub use open::{open_capture, open_playback, DeviceOpener};
pub use pace::{CAPTURE_BUFFER_PERIODS, PLAYBACK_BUFFER_PERIODS};
pub use spec::DeviceSpec;

/// How a period was captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureStatus {
    /// The period followed the previous one without a gap.
    Ok,
    /// The reader was too late and the device's buffer overflowed: audio before this period
    /// was lost. The device recovered by itself; this is never fatal.
    Overrun,
}

/// How a period was played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaybackStatus {
    /// The period was queued behind the previous one without a gap.
    Ok,
    /// The writer was too late and the device ran dry before this period: silence was played
    /// (and, for a file, written) in the gap. The device recovered by itself; never fatal.
    Underrun,
}

/// A microphone: delivers one period of PCM per period of real time.
///
/// Meant for a dedicated audio thread: [`Capture::read_period`] blocks until the next period
/// has been recorded.
pub trait Capture: Send {
    /// The format periods are delivered in.
    fn format(&self) -> AudioFormat;

    /// Blocks until the next period is available and copies it into `out`, which must hold
    /// exactly [`AudioFormat::period_samples`] samples. An overrun is recovered and reported in
    /// the status, never as an error.
    fn read_period(&mut self, out: &mut [i16]) -> Result<CaptureStatus, AudioError>;

    /// Overruns recovered since the device was opened.
    fn overrun_count(&self) -> u64;
}

/// A speaker, headset or ringer: consumes one period of PCM per period of real time.
///
/// Meant for a dedicated audio thread: [`Playback::write_period`] blocks while the device's
/// buffer is full, so a writer cannot run ahead of real time.
pub trait Playback: Send {
    /// The format periods are expected in.
    fn format(&self) -> AudioFormat;

    /// Queues one period, exactly [`AudioFormat::period_samples`] samples, blocking while the
    /// device's buffer is full. An underrun is recovered and reported in the status, never as
    /// an error.
    fn write_period(&mut self, pcm: &[i16]) -> Result<PlaybackStatus, AudioError>;

    /// Underruns recovered since the device was opened (one per gap, however long).
    fn underrun_count(&self) -> u64;

    /// Plays out what is queued and finishes the device (a speaker file gets the silence due
    /// up to now and its final header); later writes fail with [`AudioError::Closed`].
    /// Dropping a device without closing it releases it too: a speaker file is still finished,
    /// an ALSA device discards what is queued.
    fn close(&mut self) -> Result<(), AudioError>;
}
