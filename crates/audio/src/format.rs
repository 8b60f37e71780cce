//! The PCM format the phone asks a device for, and the period arithmetic of real time.

use std::fmt;
use std::time::Duration;

use crate::AudioError;

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// Signed 16-bit interleaved PCM at a fixed rate, moved one period at a time.
///
/// The phone asks for e.g. 16000 Hz mono with 20 ms periods (`period_frames` 320). A device
/// that cannot do the rate natively reports [`AudioError::FormatUnsupported`] with the rate it
/// can do; the ALSA `default` and `plughw:` devices convert in alsa-lib, so they rarely refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AudioFormat {
    /// Frames per second.
    pub sample_rate: u32,
    /// Samples per frame (1 for the phone: mono).
    pub channels: u16,
    /// Frames in one period: the unit of every read and write.
    pub period_frames: usize,
}

impl AudioFormat {
    /// A mono format with `period_frames` frames per period.
    pub const fn mono(sample_rate: u32, period_frames: usize) -> Self {
        AudioFormat { sample_rate, channels: 1, period_frames }
    }

    /// A mono format whose period lasts `period_ms` milliseconds (16000 Hz, 20 ms → 320 frames).
    pub const fn mono_ms(sample_rate: u32, period_ms: u32) -> Self {
        Self::mono(sample_rate, (sample_rate as u64 * period_ms as u64 / 1000) as usize)
    }

    /// Samples in one period: `period_frames * channels`, the length of every buffer passed to
    /// `read_period` and `write_period`.
    pub const fn period_samples(&self) -> usize {
        self.period_frames * self.channels as usize
    }

    /// How long one period lasts (rounded up to the nanosecond).
    pub fn period_duration(&self) -> Duration {
        self.periods_duration(1)
    }

    /// Checks that rate, channels and period are all non-zero.
    pub fn validate(&self) -> Result<(), AudioError> {
        let reason = if self.sample_rate == 0 {
            "sample rate is zero"
        } else if self.channels == 0 {
            "no channels"
        } else if self.period_frames == 0 {
            "period is empty"
        } else {
            return Ok(());
        };
        Err(AudioError::InvalidFormat { format: *self, reason })
    }

    /// The instant `n` periods after the start: `n * period_frames / sample_rate` seconds,
    /// rounded up to the nanosecond and computed without accumulating rounding errors.
    pub(crate) fn periods_duration(&self, n: u64) -> Duration {
        let num = (n as u128).saturating_mul(self.period_frames as u128).saturating_mul(NANOS_PER_SEC);
        let den = self.sample_rate.max(1) as u128;
        let nanos = num.div_ceil(den);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// How many whole periods fit in `elapsed`; the inverse of [`Self::periods_duration`], so
    /// `periods_in(periods_duration(n)) == n`.
    pub(crate) fn periods_in(&self, elapsed: Duration) -> u64 {
        let num = elapsed.as_nanos().saturating_mul(self.sample_rate as u128);
        let den = (self.period_frames.max(1) as u128).saturating_mul(NANOS_PER_SEC);
        u64::try_from(num / den).unwrap_or(u64::MAX)
    }
}

impl fmt::Display for AudioFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} Hz, {} ch, {}-frame periods", self.sample_rate, self.channels, self.period_frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_arithmetic_round_trips() {
        for format in [AudioFormat::mono_ms(16000, 20), AudioFormat::mono(44100, 441), AudioFormat::mono(44100, 160)] {
            for n in [0u64, 1, 2, 3, 49, 50, 1000, 123_457] {
                let d = format.periods_duration(n);
                assert_eq!(format.periods_in(d), n, "{format} n={n}");
                if n > 0 {
                    assert_eq!(format.periods_in(d - Duration::from_nanos(1)), n - 1, "{format} n={n}");
                }
            }
        }
        assert_eq!(AudioFormat::mono_ms(16000, 20).period_frames, 320);
        assert_eq!(AudioFormat::mono_ms(16000, 20).period_duration(), Duration::from_millis(20));
    }

    #[test]
    fn validate_names_the_problem() {
        assert!(AudioFormat::mono(16000, 320).validate().is_ok());
        let err = AudioFormat::mono(0, 320).validate().unwrap_err();
        assert!(matches!(err, AudioError::InvalidFormat { reason: "sample rate is zero", .. }));
        let err = AudioFormat { sample_rate: 8000, channels: 0, period_frames: 160 }.validate().unwrap_err();
        assert!(matches!(err, AudioError::InvalidFormat { reason: "no channels", .. }));
        let err = AudioFormat::mono(8000, 0).validate().unwrap_err();
        assert!(matches!(err, AudioError::InvalidFormat { reason: "period is empty", .. }));
    }
}
