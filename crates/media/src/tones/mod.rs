//! Sans-IO tone generation for what a deskphone plays locally: the call-progress tones of
//! ITU-T E.180 per [`Region`] ([`Tone`]), DTMF key feedback (the ITU-T Q.23 pairs of the
//! RFC 4733 §3.2 events, [`ToneGenerator::dtmf`]) and ringtones ([`Ringtone`]).
//!
//! Sources of the tone plans (each [`ToneSpec::source`] names the one used):
//! * [`Region::Us`]: the North American precise tone plan of ANSI T1.401 and Telcordia GR-506, as
//!   listed for the USA in ITU-T E.180 Supplement 2; RFC 4733 Table 4 repeats dial, ringing,
//!   busy and congestion.
//! * [`Region::Uk`]: BT SIN 350, as listed for the United Kingdom in ITU-T E.180 Supplement 2.
//! * [`Region::Eu`]: the CEPT/ETSI harmonised tones (CEPT T/CS 20-15, ETSI TR 101 041-1,
//!   ETSI ES 201 970) on the 425 Hz that ITU-T E.180 §2 recommends; RFC 4733 Table 4 repeats
//!   dial, ringing, busy and congestion.
//!
//! [`ToneGenerator`] writes 16-bit linear PCM into buffers of any size; the output does not depend
//! on how the samples are split into [`ToneGenerator::fill`] calls (oscillator phases and
//! cadence position carry over). Cadences are exact to the sample: durations are converted
//! with the boundaries of each cycle rounded from milliseconds, not accumulated per step.
//! Edges between sound and silence get raised-cosine ramps of [`RAMP_MS`] inside the sounding
//! part, so there are no clicks. Silent parts are exactly zero and sounding parts never are
//! (a one-LSB floor), so digital silence marks the cadence exactly.
//!
//! Levels are in dBm0 per frequency. After ITU-T G.711 (and the G.100.1 convention), a full-scale
//! sine (peak 32767) is +3.14 dBm0, so a sine at `L` dBm0 has the peak
//! `32767 · 10^((L − 3.14) / 20)`: [`dbm0_to_peak`]. The default, −13 dBm0 per frequency, is the
//! North American dial-tone level.

use std::f64::consts::PI;

use thiserror::Error;

use crate::dtmf::Event;

mod plan;

pub use plan::{Ending, Ringtone, Tone, ToneSpec};
use plan::{Score, ScoreEnd};

/// A regional tone plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Region {
    /// North America: ANSI T1.401 / Telcordia precise tone plan.
    Us,
    /// United Kingdom: BT SIN 350.
    Uk,
    /// Europe: CEPT/ETSI harmonised 425 Hz tones.
    Eu,
}

impl Region {
    /// Every region.
    pub const ALL: [Region; 3] = [Region::Us, Region::Uk, Region::Eu];
}

/// The default level of each frequency, in dBm0.
pub const DEFAULT_LEVEL_DBM0: f64 = -13.0;
/// The level of a full-scale sine (peak 32767), in dBm0 (ITU-T G.711, A-law: +3.14 dBm0).
#[allow(clippy::approx_constant)] // 3.14 dB is G.711's overload level, not pi.
pub const FULL_SCALE_SINE_DBM0: f64 = 3.14;
/// The lowest level accepted, in dBm0.
pub const MIN_LEVEL_DBM0: f64 = -60.0;
/// The highest level accepted per frequency, in dBm0.
pub const MAX_LEVEL_DBM0: f64 = 0.0;
/// The length of the ramps at the edges between sound and silence, in milliseconds.
pub const RAMP_MS: u32 = 4;
/// The most on/off steps a [`ToneSpec`]'s cadence may have, all its cycles counted.
pub const MAX_CADENCE_STEPS: usize = 4096;
/// The lowest sample rate accepted, in Hz.
pub const MIN_SAMPLE_RATE: u32 = 8000;
/// The highest sample rate accepted, in Hz.
pub const MAX_SAMPLE_RATE: u32 = 192_000;

/// The most frequencies sounding at once.
const MAX_VOICES: usize = 3;
/// The length of a segment that never ends.
const ENDLESS: u64 = u64::MAX;
/// One oscillator cycle in phase-accumulator units.
const PHASE_CYCLE: f64 = 4_294_967_296.0;

/// The peak amplitude, in 16-bit sample units, of a sine at `dbm0` dBm0 (see the module docs).
pub fn dbm0_to_peak(dbm0: f64) -> f64 {
    32767.0 * 10f64.powf((dbm0 - FULL_SCALE_SINE_DBM0) / 20.0)
}

/// Why a tone generator could not be made or set.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
#[non_exhaustive]
pub enum ToneError {
    /// The sample rate is outside [`MIN_SAMPLE_RATE`]..=[`MAX_SAMPLE_RATE`].
    #[error("sample rate {rate} Hz is outside 8000..=192000 Hz")]
    UnsupportedSampleRate {
        /// The refused rate in Hz.
        rate: u32,
    },
    /// The level is outside [`MIN_LEVEL_DBM0`]..=[`MAX_LEVEL_DBM0`], or not a number.
    #[error("level {dbm0} dBm0 is outside -60..=0 dBm0")]
    LevelOutOfRange {
        /// The refused level.
        dbm0: f64,
    },
    /// A frequency cannot be played at the sample rate: at or above half of it, or negative.
    #[error("{hz} Hz cannot be played at {rate} Hz sampling")]
    UnplayableFrequency {
        /// The refused frequency in Hz.
        hz: f64,
        /// The sample rate in Hz.
        rate: u32,
    },
    /// More frequencies at once than the generator mixes (3).
    #[error("{count} frequencies at once, at most 3")]
    TooManyFrequencies {
        /// The number asked for.
        count: usize,
    },
    /// A repeating cadence whose cycle lasts no sample.
    #[error("repeating cadence lasts no sample")]
    EmptyCycle,
    /// A cadence of more on/off steps, all cycles counted, than [`MAX_CADENCE_STEPS`].
    #[error("cadence of {steps} steps exceeds {MAX_CADENCE_STEPS}")]
    CadenceTooLong {
        /// The number of steps asked for.
        steps: usize,
    },
}

/// A stretch of the score at the sample rate.
#[derive(Debug, Clone)]
struct Segment {
    /// Samples, or [`ENDLESS`].
    len: u64,
    /// Sounding frequencies; 0 for silence.
    voices: usize,
    /// Phase increment per sample of each voice.
    incs: [u32; MAX_VOICES],
    /// Gain of each voice relative to the level.
    gains: [f64; MAX_VOICES],
    /// Decay time constant in samples.
    decay: Option<f64>,
    /// Fade in at the start (after silence or a different sound).
    ramp_in: bool,
    /// Fade out at the end (before silence or a different sound).
    ramp_out: bool,
}

/// A sans-IO generator of tones, DTMF key feedback and ringtones: see the module docs.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    segments: Vec<Segment>,
    end: ScoreEnd,
    sample_rate: u32,
    /// Ramp length in samples.
    ramp: u64,
    level_dbm0: f64,
    /// Peak per voice at gain 1.
    amplitude: f64,
    /// Current segment and the position in it.
    index: usize,
    pos: u64,
    /// Samples produced since the start, saturating.
    elapsed: u64,
    phases: [u32; MAX_VOICES],
    /// Samples left in the fade-out after [`ToneGenerator::stop`].
    fade: Option<u64>,
    finished: bool,
}

impl ToneGenerator {
    /// The call-progress `tone` of `region` at `sample_rate` Hz, at [`DEFAULT_LEVEL_DBM0`].
    pub fn new(tone: Tone, region: Region, sample_rate: u32) -> Result<Self, ToneError> {
        Self::from_spec(tone.spec(region), sample_rate)
    }

    /// A tone described by `spec` (for plans other than the built-in ones).
    pub fn from_spec(spec: &ToneSpec, sample_rate: u32) -> Result<Self, ToneError> {
        let steps = spec.cadence_ms.len().saturating_mul(usize::from(spec.ending.cycles()));
        if steps > MAX_CADENCE_STEPS {
            return Err(ToneError::CadenceTooLong { steps });
        }
        Self::from_score(plan::tone_score(spec), sample_rate)
    }

    /// The ITU-T Q.23 pair of DTMF key `event`, continuous until [`ToneGenerator::stop`]: local
    /// feedback of a key press (RFC 4733 §3.2).
    pub fn dtmf(event: Event, sample_rate: u32) -> Result<Self, ToneError> {
        Self::from_score(plan::dtmf_score(event), sample_rate)
    }

    /// The ringtone `ringtone`, repeating, at `sample_rate` Hz.
    pub fn ringtone(ringtone: Ringtone, sample_rate: u32) -> Result<Self, ToneError> {
        Self::from_score(plan::ringtone_score(ringtone), sample_rate)
    }

    /// The same generator at `dbm0` dBm0 per frequency.
    pub fn with_level(mut self, dbm0: f64) -> Result<Self, ToneError> {
        self.set_level(dbm0)?;
        Ok(self)
    }

    /// Sets the level per frequency to `dbm0` dBm0, from the next sample on.
    pub fn set_level(&mut self, dbm0: f64) -> Result<(), ToneError> {
        if !(MIN_LEVEL_DBM0..=MAX_LEVEL_DBM0).contains(&dbm0) {
            return Err(ToneError::LevelOutOfRange { dbm0 });
        }
        self.level_dbm0 = dbm0;
        self.amplitude = dbm0_to_peak(dbm0);
        Ok(())
    }

    /// The level per frequency in dBm0.
    pub fn level_dbm0(&self) -> f64 {
        self.level_dbm0
    }

    /// The sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// `true` once the tone is over: after a non-repeating cadence, or after the fade-out that
    /// [`ToneGenerator::stop`] starts. Further samples are silence.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Fades the tone out over [`RAMP_MS`] from the next sample, then ends it.
    pub fn stop(&mut self) {
        if !self.finished && self.fade.is_none() {
            self.fade = Some(self.ramp);
            if self.ramp == 0 {
                self.finished = true;
            }
        }
    }

    /// Starts the tone again from its beginning.
    pub fn reset(&mut self) {
        self.index = 0;
        self.pos = 0;
        self.elapsed = 0;
        self.phases = [0; MAX_VOICES];
        self.fade = None;
        self.finished = false;
        self.skip_ended_segments();
    }

    /// Writes the next `out.len()` samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        for sample in out {
            *sample = self.next_sample();
        }
    }

    fn from_score(score: Score, sample_rate: u32) -> Result<Self, ToneError> {
        if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&sample_rate) {
            return Err(ToneError::UnsupportedSampleRate { rate: sample_rate });
        }
        let segments = compile(&score, sample_rate)?;
        let mut generator = ToneGenerator {
            segments,
            end: score.end,
            sample_rate,
            ramp: u64::from(sample_rate) * u64::from(RAMP_MS) / 1000,
            level_dbm0: DEFAULT_LEVEL_DBM0,
            amplitude: dbm0_to_peak(DEFAULT_LEVEL_DBM0),
            index: 0,
            pos: 0,
            elapsed: 0,
            phases: [0; MAX_VOICES],
            fade: None,
            finished: false,
        };
        generator.skip_ended_segments();
        Ok(generator)
    }

    /// The next sample, advancing oscillators and cadence.
    fn next_sample(&mut self) -> i16 {
        let Some(seg) = self.segments.get(self.index).filter(|_| !self.finished) else {
            return 0;
        };
        let sounding = seg.voices > 0;
        let mut value = 0.0;
        if sounding {
            let gain = self.envelope(seg);
            for voice in 0..seg.voices {
                let phase = f64::from(self.phases[voice]) / PHASE_CYCLE;
                value += seg.gains[voice] * (2.0 * PI * phase).sin();
                self.phases[voice] = self.phases[voice].wrapping_add(seg.incs[voice]);
            }
            value *= gain * self.amplitude;
        }
        if let Some(left) = self.fade {
            value *= raised_cosine(left.saturating_sub(1), self.ramp);
            self.fade = Some(left.saturating_sub(1));
            if left <= 1 {
                self.finished = true;
            }
        }
        self.elapsed = self.elapsed.saturating_add(1);
        self.pos += 1;
        self.skip_ended_segments();
        quantize(value, sounding)
    }

    /// The gain of the current sample of `seg`: start-up and edge ramps, and decay.
    fn envelope(&self, seg: &Segment) -> f64 {
        let ramp = if seg.len == ENDLESS { self.ramp } else { self.ramp.min(seg.len / 2) };
        let mut fade_in = raised_cosine(self.elapsed, self.ramp);
        if seg.ramp_in {
            fade_in = fade_in.min(raised_cosine(self.pos, ramp));
        }
        let mut gain = fade_in;
        if seg.ramp_out && seg.len != ENDLESS {
            gain *= raised_cosine(seg.len - 1 - self.pos, ramp);
        }
        if let Some(tau) = seg.decay {
            gain *= (-(self.pos as f64) / tau).exp();
        }
        gain
    }

    /// Moves past segments that are over, looping or finishing at the end of the score.
    fn skip_ended_segments(&mut self) {
        loop {
            let Some(seg) = self.segments.get(self.index) else {
                self.finished = true;
                return;
            };
            if self.pos < seg.len {
                return;
            }
            self.pos = 0;
            self.index += 1;
            if self.index == self.segments.len() {
                if self.end != ScoreEnd::Loop {
                    self.finished = true;
                    return;
                }
                self.index = 0;
            }
        }
    }
}

/// The rising half of a raised cosine over `ramp` samples at step `i` (0-based): strictly
/// between 0 and 1 inside the ramp, 1 after it.
fn raised_cosine(i: u64, ramp: u64) -> f64 {
    if i >= ramp {
        return 1.0;
    }
    0.5 * (1.0 - (PI * (i + 1) as f64 / (ramp + 1) as f64).cos())
}

/// Rounds to 16 bits; a sounding sample is never exactly zero.
fn quantize(value: f64, sounding: bool) -> i16 {
    let rounded = value.round().clamp(-32767.0, 32767.0) as i16;
    match (sounding, rounded) {
        (true, 0) if value < 0.0 => -1,
        (true, 0) => 1,
        _ => rounded,
    }
}

/// Converts a score to segments at `rate` Hz, checking its frequencies.
fn compile(score: &Score, rate: u32) -> Result<Vec<Segment>, ToneError> {
    let mut segments = Vec::with_capacity(score.notes.len());
    let mut cum_ms = 0u64;
    let mut boundary = 0u64;
    let last = score.notes.len().saturating_sub(1);
    for (i, note) in score.notes.iter().enumerate() {
        if note.partials.len() > MAX_VOICES {
            return Err(ToneError::TooManyFrequencies { count: note.partials.len() });
        }
        let mut incs = [0; MAX_VOICES];
        let mut gains = [0.0; MAX_VOICES];
        for (v, partial) in note.partials.iter().enumerate() {
            if !(partial.hz >= 0.0 && partial.hz < f64::from(rate) / 2.0) {
                return Err(ToneError::UnplayableFrequency { hz: partial.hz, rate });
            }
            incs[v] = (partial.hz / f64::from(rate) * PHASE_CYCLE).round() as u32;
            gains[v] = partial.gain;
        }
        cum_ms = cum_ms.saturating_add(u64::from(note.ms));
        let next_boundary = u64::try_from((u128::from(cum_ms) * u128::from(rate) + 500) / 1000).unwrap_or(ENDLESS);
        let len = if score.end == ScoreEnd::Hold && i == last { ENDLESS } else { next_boundary - boundary };
        boundary = next_boundary;
        let decay = note.decay_ms.map(|ms| ms * f64::from(rate) / 1000.0);
        segments.push(Segment { len, voices: note.partials.len(), incs, gains, decay, ramp_in: true, ramp_out: true });
    }
    if score.end == ScoreEnd::Loop && boundary == 0 {
        return Err(ToneError::EmptyCycle);
    }
    set_ramps(&mut segments, score.end == ScoreEnd::Loop);
    Ok(segments)
}

/// Decides which edges get ramps: all but those between two flat sounds of as many voices,
/// whose oscillators carry on without a break.
fn set_ramps(segments: &mut [Segment], looping: bool) {
    let joins =
        |a: &Segment, b: &Segment| a.voices > 0 && a.voices == b.voices && a.decay.is_none() && b.decay.is_none();
    let n = segments.len();
    for i in 0..n {
        let prev = if i > 0 {
            Some(i - 1)
        } else if looping {
            n.checked_sub(1)
        } else {
            None
        };
        let next = if i + 1 < n {
            Some(i + 1)
        } else if looping {
            Some(0)
        } else {
            None
        };
        let ramp_in = !prev.is_some_and(|p| joins(&segments[p], &segments[i]));
        let ramp_out = !next.is_some_and(|q| joins(&segments[i], &segments[q]));
        segments[i].ramp_in = ramp_in;
        segments[i].ramp_out = ramp_out;
    }
}
