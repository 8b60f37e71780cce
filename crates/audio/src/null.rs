//! The `null` devices: a silent microphone and a speaker that discards, both at real time.

use std::sync::Arc;

use crate::pace::{CapturePacer, PlaybackPacer};
use crate::{AudioError, AudioFormat, Capture, CaptureStatus, Clock, Playback, PlaybackStatus};

/// A microphone that records silence at real time: one period per period of the clock, exactly
/// like [`crate::FileCapture`] but without a file.
#[derive(Debug)]
pub struct NullCapture {
    format: AudioFormat,
    pacer: CapturePacer,
    overruns: u64,
}

impl NullCapture {
    /// A silent microphone in `format`, paced by `clock`.
    pub fn new(format: AudioFormat, clock: Arc<dyn Clock>) -> Self {
        NullCapture { format, pacer: CapturePacer::new(clock, format), overruns: 0 }
    }
}

impl Capture for NullCapture {
    fn format(&self) -> AudioFormat {
        self.format
    }

    fn read_period(&mut self, out: &mut [i16]) -> Result<CaptureStatus, AudioError> {
        AudioError::check_period(&self.format, out.len())?;
        let lost = self.pacer.next_period();
        out.fill(0);
        if lost > 0 {
            self.overruns += 1;
            return Ok(CaptureStatus::Overrun);
        }
        Ok(CaptureStatus::Ok)
    }

    fn overrun_count(&self) -> u64 {
        self.overruns
    }
}

/// A speaker that discards audio at real time: [`Playback::write_period`] blocks like a sound
/// card's and late writes count as underruns, exactly like [`crate::FileSpeaker`] but without
/// a file.
#[derive(Debug)]
pub struct NullPlayback {
    format: AudioFormat,
    pacer: PlaybackPacer,
    underruns: u64,
    closed: bool,
}

impl NullPlayback {
    /// A discarding speaker in `format`, paced by `clock`.
    pub fn new(format: AudioFormat, clock: Arc<dyn Clock>) -> Self {
        NullPlayback { format, pacer: PlaybackPacer::new(clock, format), underruns: 0, closed: false }
    }

    /// Periods that have passed through the device so far, written and silent (a caller that
    /// was late) alike.
    pub fn periods_played(&self) -> u64 {
        self.pacer.emitted()
    }
}

impl Playback for NullPlayback {
    fn format(&self) -> AudioFormat {
        self.format
    }

    fn write_period(&mut self, pcm: &[i16]) -> Result<PlaybackStatus, AudioError> {
        if self.closed {
            return Err(AudioError::Closed { device: "null".to_owned() });
        }
        AudioError::check_period(&self.format, pcm.len())?;
        let missed = self.pacer.missed_periods(true);
        self.pacer.wrote_period();
        if missed > 0 {
            self.underruns += 1;
            return Ok(PlaybackStatus::Underrun);
        }
        Ok(PlaybackStatus::Ok)
    }

    fn underrun_count(&self) -> u64 {
        self.underruns
    }

    fn close(&mut self) -> Result<(), AudioError> {
        if !self.closed {
            self.pacer.missed_periods(false);
            self.closed = true;
        }
        Ok(())
    }
}
