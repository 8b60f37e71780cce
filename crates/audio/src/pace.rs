//! Real-time pacing of the virtual (file and null) devices: a virtual sound card's timeline.
//!
//! Both timelines start at the first read or write, as an ALSA stream starts on its first
//! transfer. Period `n` (counting from 0) occupies `[start + n·P, start + (n+1)·P)` where `P`
//! is the period, computed from frame counts so that rounding never accumulates.

use std::sync::Arc;
use std::time::Instant;

use crate::{AudioFormat, Clock};

/// Periods a virtual microphone holds for a late reader. A reader that falls further behind
/// loses the oldest periods, an overrun, as with a sound card whose buffer is full.
pub const CAPTURE_BUFFER_PERIODS: u64 = 4;

/// Periods a virtual speaker holds: the one playing and one queued. A write that would queue
/// more blocks until a period has played, so the writer can run at most one period ahead.
pub const PLAYBACK_BUFFER_PERIODS: u64 = 2;

/// The timeline of a virtual microphone.
#[derive(Debug)]
pub(crate) struct CapturePacer {
    clock: Arc<dyn Clock>,
    format: AudioFormat,
    start: Option<Instant>,
    delivered: u64,
}

impl CapturePacer {
    pub(crate) fn new(clock: Arc<dyn Clock>, format: AudioFormat) -> Self {
        CapturePacer { clock, format, start: None, delivered: 0 }
    }

    /// Waits until the next period has been "recorded": the n-th period (counting from 1) is
    /// returned no earlier than `start + n·P`, `start` being the first call. A caller that is
    /// late gets the periods already recorded at once; if more than
    /// [`CAPTURE_BUFFER_PERIODS`] are waiting, the oldest are dropped. Returns how many
    /// periods were dropped (0 normally).
    pub(crate) fn next_period(&mut self) -> u64 {
        let now = self.clock.now();
        let start = *self.start.get_or_insert(now);
        let recorded = self.format.periods_in(now.saturating_duration_since(start));
        let waiting = recorded.saturating_sub(self.delivered);
        let lost = waiting.saturating_sub(CAPTURE_BUFFER_PERIODS);
        self.delivered += lost + 1;
        let due = at(start, &self.format, self.delivered);
        if due > now {
            self.clock.sleep_until(due);
        }
        lost
    }
}

/// The timeline of a virtual speaker.
#[derive(Debug)]
pub(crate) struct PlaybackPacer {
    clock: Arc<dyn Clock>,
    format: AudioFormat,
    start: Option<Instant>,
    /// Periods placed on the timeline so far, the caller's and silent ones.
    emitted: u64,
}

impl PlaybackPacer {
    pub(crate) fn new(clock: Arc<dyn Clock>, format: AudioFormat) -> Self {
        PlaybackPacer { clock, format, start: None, emitted: 0 }
    }

    /// Periods that have begun playing with nothing written for them: the caller must emit that
    /// many periods of silence (an underrun) before its own. They are counted as emitted.
    /// Starts the timeline if `start` is set and it has not started yet.
    pub(crate) fn missed_periods(&mut self, start: bool) -> u64 {
        let now = self.clock.now();
        let Some(begin) = self.start.or(start.then_some(now)) else {
            return 0;
        };
        self.start = Some(begin);
        // The period playing now may still be written: it is written "just in time".
        let playing = self.format.periods_in(now.saturating_duration_since(begin));
        let missed = playing.saturating_sub(self.emitted);
        self.emitted += missed;
        missed
    }

    /// Records one period written by the caller and blocks while the virtual device holds
    /// more than [`PLAYBACK_BUFFER_PERIODS`] periods that have not finished playing.
    pub(crate) fn wrote_period(&mut self) {
        self.emitted += 1;
        let Some(start) = self.start else {
            return;
        };
        // Holding `emitted - playing` periods; room once playing >= emitted - (BUFFER - 1).
        let Some(room_at) = self.emitted.checked_sub(PLAYBACK_BUFFER_PERIODS - 1) else {
            return;
        };
        let due = at(start, &self.format, room_at);
        if due > self.clock.now() {
            self.clock.sleep_until(due);
        }
    }

    /// Periods placed on the timeline so far.
    pub(crate) fn emitted(&self) -> u64 {
        self.emitted
    }
}

/// The instant `n` periods after `start`. Only an absurd format (a period of centuries) can
/// overflow `Instant`; then there is nothing sensible to wait for and the device does not pace.
fn at(start: Instant, format: &AudioFormat, n: u64) -> Instant {
    start.checked_add(format.periods_duration(n)).unwrap_or(start)
}
