//! The crate's one error type.

use std::path::PathBuf;

use crate::AudioFormat;

/// Everything that can go wrong opening or driving a sound device.
///
/// Device errors are values, never panics: the caller decides whether to retry, fall back to a
/// null device ([`crate::DeviceOpener`] does that) or give up.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// A device string from the configuration could not be understood.
    #[error("invalid sound device {spec:?}: {reason}")]
    InvalidSpec {
        /// The string as given.
        spec: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The requested format itself is impossible (zero rate, channels or period).
    #[error("invalid audio format ({format}): {reason}")]
    InvalidFormat {
        /// The format asked for.
        format: AudioFormat,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// No ALSA device of that name exists (no sound card, unknown PCM, unplugged headset).
    #[error("sound device {device:?} not found: {source}")]
    DeviceNotFound {
        /// The ALSA PCM name.
        device: String,
        /// What ALSA said.
        #[source]
        source: alsa::Error,
    },

    /// The ALSA device exists but another program holds it.
    #[error("sound device {device:?} is busy: {source}")]
    DeviceBusy {
        /// The ALSA PCM name.
        device: String,
        /// What ALSA said.
        #[source]
        source: alsa::Error,
    },

    /// The device cannot deliver the requested format. For a sample-rate mismatch
    /// `native_rate` names a rate the device can do, so the caller can retry with it and
    /// resample (resampling belongs to the media crate, not here).
    #[error("sound device {device:?} cannot do {requested}: {detail}")]
    FormatUnsupported {
        /// The device (ALSA PCM name or WAV path).
        device: String,
        /// The format asked for.
        requested: AudioFormat,
        /// What the device offers instead, in words.
        detail: String,
        /// A sample rate the device supports, when the rate was the problem.
        native_rate: Option<u32>,
    },

    /// A buffer passed to `read_period`/`write_period` is not exactly one period long.
    #[error("buffer holds {got} samples but one period is {expected} samples")]
    PeriodSize {
        /// Samples in one period (`period_frames * channels`).
        expected: usize,
        /// Samples in the buffer given.
        got: usize,
    },

    /// Reading or writing a file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A WAV file is malformed or in an encoding we cannot read.
    #[error("WAV file {path}: {source}")]
    Wav {
        /// The file.
        path: PathBuf,
        /// What the WAV decoder or encoder said.
        #[source]
        source: hound::Error,
    },

    /// A WAV file used as a microphone holds no samples, so there is nothing to loop.
    #[error("WAV file {path} holds no samples")]
    EmptyWav {
        /// The file.
        path: PathBuf,
    },

    /// An ALSA call failed on an open device and could not be recovered.
    #[error("ALSA {op} failed on {device:?}: {source}")]
    Alsa {
        /// The ALSA PCM name.
        device: String,
        /// The operation that failed.
        op: &'static str,
        /// What ALSA said.
        #[source]
        source: alsa::Error,
    },

    /// The device was closed; it takes no more audio.
    #[error("sound device {device:?} is closed")]
    Closed {
        /// The device (ALSA PCM name or WAV path).
        device: String,
    },
}

impl AudioError {
    /// Maps a `hound` error on `path`, keeping plain I/O failures as [`AudioError::Io`].
    pub(crate) fn from_hound(path: &std::path::Path, source: hound::Error) -> Self {
        match source {
            hound::Error::IoError(source) => AudioError::Io { path: path.to_owned(), source },
            source => AudioError::Wav { path: path.to_owned(), source },
        }
    }

    /// Checks that a caller's buffer is exactly one period of `format`.
    pub(crate) fn check_period(format: &AudioFormat, got: usize) -> Result<(), Self> {
        let expected = format.period_samples();
        if got == expected {
            Ok(())
        } else {
            Err(AudioError::PeriodSize { expected, got })
        }
    }
}
