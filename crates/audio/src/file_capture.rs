//! `file:PATH` as a microphone: a WAV file played into the phone, looped, at real time.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hound::{SampleFormat, WavReader};

use crate::pace::CapturePacer;
use crate::{AudioError, AudioFormat, Capture, CaptureStatus, Clock};

/// A microphone that "records" a WAV file, looping at its end, one period per period of the
/// clock.
///
/// Reads 8/16/24/32-bit integer or 32-bit float WAV files with any number of channels; they
/// are mixed down to mono and converted to 16 bits (and the mono signal is copied to every
/// channel of the requested format). The file's sample rate must equal the requested one: no
/// resampling here (see [`AudioError::FormatUnsupported`]). The whole file is read into memory
/// when opened, so it should be a prompt or test signal, not an hour of audio.
///
/// Timing is a sound card's: the first [`Capture::read_period`] starts the clock; the n-th
/// period (counting from 1) is returned no earlier than `start + n·period`. A late reader gets
/// the periods already due at once; one more than [`crate::CAPTURE_BUFFER_PERIODS`] behind
/// loses the oldest (an overrun), and the file position moves on with time as a real
/// microphone's world would.
#[derive(Debug)]
pub struct FileCapture {
    path: PathBuf,
    format: AudioFormat,
    /// One loop of the file, mono.
    samples: Vec<i16>,
    /// Next frame of `samples` to deliver.
    position: usize,
    pacer: CapturePacer,
    overruns: u64,
}

impl FileCapture {
    /// Opens the WAV file at `path` as a microphone in `format`, paced by `clock`.
    pub fn open(path: impl AsRef<Path>, format: AudioFormat, clock: Arc<dyn Clock>) -> Result<Self, AudioError> {
        let path = path.as_ref();
        format.validate()?;
        let samples = load_mono(path, &format)?;
        if samples.is_empty() {
            return Err(AudioError::EmptyWav { path: path.to_owned() });
        }
        Ok(FileCapture {
            path: path.to_owned(),
            format,
            samples,
            position: 0,
            pacer: CapturePacer::new(clock, format),
            overruns: 0,
        })
    }

    /// The file being played.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Frames in one loop of the file.
    pub fn loop_frames(&self) -> usize {
        self.samples.len()
    }

    fn skip_frames(&mut self, frames: u64) {
        let len = self.samples.len() as u64;
        self.position = ((self.position as u64 + frames % len) % len) as usize;
    }
}

impl Capture for FileCapture {
    fn format(&self) -> AudioFormat {
        self.format
    }

    fn read_period(&mut self, out: &mut [i16]) -> Result<CaptureStatus, AudioError> {
        AudioError::check_period(&self.format, out.len())?;
        let lost = self.pacer.next_period();
        let status = if lost > 0 {
            self.overruns += 1;
            self.skip_frames(lost.saturating_mul(self.format.period_frames as u64));
            CaptureStatus::Overrun
        } else {
            CaptureStatus::Ok
        };
        let channels = usize::from(self.format.channels);
        for frame in out.chunks_exact_mut(channels) {
            frame.fill(self.samples[self.position]);
            self.position += 1;
            if self.position == self.samples.len() {
                self.position = 0;
            }
        }
        Ok(status)
    }

    fn overrun_count(&self) -> u64 {
        self.overruns
    }
}

/// Reads the whole file as mono 16-bit samples, checking its rate against `format`.
fn load_mono(path: &Path, format: &AudioFormat) -> Result<Vec<i16>, AudioError> {
    let hound_err = |e| AudioError::from_hound(path, e);
    let reader = WavReader::open(path).map_err(hound_err)?;
    let spec = reader.spec();
    if spec.sample_rate != format.sample_rate {
        return Err(AudioError::FormatUnsupported {
            device: format!("file:{}", path.display()),
            requested: *format,
            detail: format!(
                "the WAV file is {} Hz but {} Hz was requested (resample the file, or open it at {} Hz and resample in the media engine)",
                spec.sample_rate, format.sample_rate, spec.sample_rate
            ),
            native_rate: Some(spec.sample_rate),
        });
    }
    let interleaved: Vec<i16> = match spec.sample_format {
        SampleFormat::Float => {
            reader.into_samples::<f32>().map(|s| s.map(float_to_i16)).collect::<Result<_, _>>().map_err(hound_err)?
        }
        SampleFormat::Int => {
            let bits = spec.bits_per_sample;
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| int_to_i16(v, bits)))
                .collect::<Result<_, _>>()
                .map_err(hound_err)?
        }
    };
    let channels = usize::from(spec.channels.max(1));
    if channels == 1 {
        return Ok(interleaved);
    }
    Ok(interleaved
        .chunks_exact(channels)
        .map(|frame| {
            let sum: i32 = frame.iter().map(|&s| i32::from(s)).sum();
            (sum / channels as i32) as i16
        })
        .collect())
}

/// An integer sample of `bits` bits, scaled to 16 bits.
fn int_to_i16(value: i32, bits: u16) -> i16 {
    let shifted = if bits >= 16 { value >> (bits - 16).min(31) } else { value << (16 - bits) };
    shifted.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

/// A float sample in [-1, 1], scaled to 16 bits (clipping outside that range).
fn float_to_i16(value: f32) -> i16 {
    if value.is_nan() {
        return 0;
    }
    (value.clamp(-1.0, 1.0) * 32767.0).round() as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_widths_scale_to_16_bits() {
        assert_eq!(int_to_i16(-128, 8), i16::MIN);
        assert_eq!(int_to_i16(127, 8), 127 << 8);
        assert_eq!(int_to_i16(1234, 16), 1234);
        assert_eq!(int_to_i16(0x7f_ffff, 24), i16::MAX);
        assert_eq!(int_to_i16(-0x80_0000, 24), i16::MIN);
        assert_eq!(int_to_i16(i32::MAX, 32), i16::MAX);
        assert_eq!(int_to_i16(i32::MIN, 32), i16::MIN);
    }

    #[test]
    fn floats_scale_and_clip() {
        assert_eq!(float_to_i16(1.0), 32767);
        assert_eq!(float_to_i16(-1.0), -32767);
        assert_eq!(float_to_i16(2.5), 32767);
        assert_eq!(float_to_i16(0.5), 16384);
        assert_eq!(float_to_i16(f32::NAN), 0);
    }
}
