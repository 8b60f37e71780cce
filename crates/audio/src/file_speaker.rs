//! `file:PATH` as a speaker: a WAV file that receives one period per period of real time.

use std::fmt;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hound::{SampleFormat, WavSpec, WavWriter};

use crate::pace::PlaybackPacer;
use crate::{AudioError, AudioFormat, Clock, Playback, PlaybackStatus};

/// How often the WAV header is rewritten, in seconds of audio.
const HEADER_UPDATE_SECS: u64 = 1;

/// A speaker that records everything it plays into a 16-bit WAV file at the format's rate and
/// channel count, keeping real time like a sound card.
///
/// The first [`Playback::write_period`] starts the clock. From then on the file receives one
/// period per period whether or not the caller is ready: periods the caller did not write in
/// time are written as silence (an underrun, counted), never skipped, so the file's timeline
/// equals wall-clock time exactly and a recording can be scored against what was sent. A
/// writer running ahead blocks once [`crate::PLAYBACK_BUFFER_PERIODS`] periods are unplayed.
///
/// The WAV header is rewritten every second of audio, so a phone that is killed leaves a
/// readable file holding everything up to the last update; [`Playback::close`] (or dropping
/// the speaker) writes the silence due up to now and finalizes the header. A WAV file cannot
/// exceed 4 GiB (37 hours at 16 kHz mono); writes beyond that fail.
pub struct FileSpeaker {
    path: PathBuf,
    format: AudioFormat,
    writer: Option<WavWriter<BufWriter<File>>>,
    pacer: PlaybackPacer,
    underruns: u64,
    silent_periods: u64,
    header_every: u64,
}

impl FileSpeaker {
    /// Creates (or truncates) the WAV file at `path` for playback in `format`, paced by `clock`.
    pub fn create(path: impl AsRef<Path>, format: AudioFormat, clock: Arc<dyn Clock>) -> Result<Self, AudioError> {
        let path = path.as_ref();
        format.validate()?;
        let spec = WavSpec {
            channels: format.channels,
            sample_rate: format.sample_rate,
            bits_per_sample: 16,
            sample_format: SampleFormat::Int,
        };
        let writer = WavWriter::create(path, spec).map_err(|e| AudioError::from_hound(path, e))?;
        let per_second = u64::from(format.sample_rate) / format.period_frames as u64;
        Ok(FileSpeaker {
            path: path.to_owned(),
            format,
            writer: Some(writer),
            pacer: PlaybackPacer::new(clock, format),
            underruns: 0,
            silent_periods: 0,
            header_every: (per_second * HEADER_UPDATE_SECS).max(1),
        })
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Periods in the file so far, the caller's and silent ones.
    pub fn periods_written(&self) -> u64 {
        self.pacer.emitted()
    }

    /// Periods of silence written for a caller that was late.
    pub fn silent_periods(&self) -> u64 {
        self.silent_periods
    }

    /// Every how many periods the WAV header is rewritten (one second of audio, at least 1).
    /// After a crash the file holds a multiple of this many periods.
    pub fn header_interval_periods(&self) -> u64 {
        self.header_every
    }

    /// Writes `missed` periods of silence, the last `missed` of the pacer's emitted periods.
    fn write_silence(&mut self, missed: u64) -> Result<(), AudioError> {
        let first = self.pacer.emitted() - missed;
        let silence = vec![0i16; self.format.period_samples()];
        for index in first..self.pacer.emitted() {
            self.write_samples(&silence, index)?;
        }
        self.silent_periods += missed;
        Ok(())
    }

    /// Writes period number `index` (counting from 0) and rewrites the header after each full
    /// header interval.
    fn write_samples(&mut self, pcm: &[i16], index: u64) -> Result<(), AudioError> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(AudioError::Closed { device: self.device_name() });
        };
        let result = pcm.iter().try_for_each(|&s| writer.write_sample(s));
        let result =
            result.and_then(|()| if (index + 1).is_multiple_of(self.header_every) { writer.flush() } else { Ok(()) });
        result.map_err(|e| AudioError::from_hound(&self.path, e))
    }

    fn device_name(&self) -> String {
        format!("file:{}", self.path.display())
    }
}

impl fmt::Debug for FileSpeaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSpeaker")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("open", &self.writer.is_some())
            .field("pacer", &self.pacer)
            .field("underruns", &self.underruns)
            .field("silent_periods", &self.silent_periods)
            .field("header_every", &self.header_every)
            .finish()
    }
}

impl Playback for FileSpeaker {
    fn format(&self) -> AudioFormat {
        self.format
    }

    fn write_period(&mut self, pcm: &[i16]) -> Result<PlaybackStatus, AudioError> {
        if self.writer.is_none() {
            return Err(AudioError::Closed { device: self.device_name() });
        }
        AudioError::check_period(&self.format, pcm.len())?;
        let missed = self.pacer.missed_periods(true);
        let status = if missed > 0 {
            self.underruns += 1;
            self.write_silence(missed)?;
            PlaybackStatus::Underrun
        } else {
            PlaybackStatus::Ok
        };
        self.write_samples(pcm, self.pacer.emitted())?;
        self.pacer.wrote_period();
        Ok(status)
    }

    fn underrun_count(&self) -> u64 {
        self.underruns
    }

    fn close(&mut self) -> Result<(), AudioError> {
        if self.writer.is_none() {
            return Ok(());
        }
        let missed = self.pacer.missed_periods(false);
        let silence = if missed > 0 { self.write_silence(missed) } else { Ok(()) };
        let finalized = match self.writer.take() {
            Some(writer) => writer.finalize().map_err(|e| AudioError::from_hound(&self.path, e)),
            None => Ok(()),
        };
        silence.and(finalized)
    }
}

impl Drop for FileSpeaker {
    fn drop(&mut self) {
        if let Err(error) = self.close() {
            tracing::warn!(path = %self.path.display(), %error, "closing the speaker file failed");
        }
    }
}
