//! Packet loss concealment in the PCM domain for codecs without their own, after ITU-T G.711
//! Appendix I (written afresh, not ported):
//!
//! - the pitch period is found by normalized cross-correlation of the last two periods of the
//!   played signal (2.5–15 ms);
//! - the last period is repeated; its end is cross-faded with the quarter period before it so
//!   the repetition wraps smoothly, and the first quarter period is offset so the synthetic
//!   signal starts where the real one left off (Appendix I gets the same continuity by delaying
//!   output 3.75 ms and overlap-adding; we may not touch samples already played, so we correct
//!   the synthetic side instead and add no delay);
//! - after 10 ms two periods are repeated, after 20 ms three, switching with a quarter-period
//!   cross-fade, so long losses do not buzz;
//! - the gain falls linearly by 20 % per 10 ms from 10 ms on, reaching silence at 60 ms;
//! - when real audio returns it is overlap-added with the continuation of the synthetic signal
//!   over a quarter period plus 4 ms per 10 ms of loss beyond the first, at most 10 ms (the
//!   playout does that with [`Concealer::merge_len`]).
//!
//! A concealment can instead be told to fade out within 10 ms ([`Concealer::begin_fade`]), for
//! pauses the sender signalled and for switching to another stream.

use super::pitch;
use super::tsm::{mix, ramp};

/// Length of a fade-out asked for with [`Concealer::begin_fade`], in ms.
const FADE_MS: usize = 10;
/// Periods repeated at most.
const MAX_PERIODS: usize = 3;

/// Switching from one repeated cycle to a longer one.
#[derive(Debug)]
struct Transition {
    old: Vec<i16>,
    pos: usize,
    done: usize,
}

/// One concealment, from the first synthetic sample until real audio returns.
#[derive(Debug)]
struct Episode {
    tail: Vec<i16>,
    /// Pitch period in samples; 0 when the history is too short or silent to repeat.
    period: usize,
    periods: usize,
    quarter: usize,
    cycle: Vec<i16>,
    pos: usize,
    correction: f64,
    transition: Option<Transition>,
    elapsed: usize,
    media: i64,
    fade: Option<(usize, f64)>,
}

impl Episode {
    fn gain(&self, ten_ms: usize, fade_len: usize) -> f64 {
        let scheduled = if self.elapsed < ten_ms {
            1.0
        } else {
            (1.0 - (self.elapsed - ten_ms) as f64 / (5 * ten_ms) as f64).max(0.0)
        };
        match self.fade {
            Some((from, gain)) => gain * (1.0 - (self.elapsed - from) as f64 / fade_len as f64).max(0.0),
            None => scheduled,
        }
    }

    fn next(&mut self, ten_ms: usize, fade_len: usize) -> i16 {
        let gain = self.gain(ten_ms, fade_len);
        let k = self.elapsed;
        self.elapsed += 1;
        self.media = self.media.saturating_add(1);
        if self.period == 0 || gain <= 0.0 {
            return 0;
        }
        let mut value = f64::from(self.cycle[self.pos]);
        if let Some(transition) = &mut self.transition {
            let w = ramp(transition.done, self.quarter);
            value = (1.0 - w) * f64::from(transition.old[transition.pos]) + w * value;
            transition.pos = (transition.pos + 1) % transition.old.len();
            transition.done += 1;
            if transition.done >= self.quarter {
                self.transition = None;
            }
        }
        if k < self.quarter {
            value += self.correction * (1.0 - k as f64 / self.quarter as f64);
        }
        self.pos = (self.pos + 1) % self.cycle.len();
        if self.elapsed == ten_ms * self.periods {
            self.grow();
        }
        (value * gain).round().clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
    }

    /// Repeats one more period, if the history holds it, cross-fading from the current cycle.
    fn grow(&mut self) {
        let periods = self.periods + 1;
        if periods > MAX_PERIODS || self.tail.len() < periods * self.period + self.quarter {
            return;
        }
        let cycle = build_cycle(&self.tail, self.period, periods, self.quarter);
        let old = std::mem::replace(&mut self.cycle, cycle);
        // Index i of the new cycle is one period before index i of the old: the same phase.
        self.transition = Some(Transition { old, pos: self.pos, done: 0 });
        self.periods = periods;
    }
}

/// The last `periods` pitch periods of `tail`, their end cross-faded into the `quarter` samples
/// that precede them so that playing the cycle in a loop has no seam.
fn build_cycle(tail: &[i16], period: usize, periods: usize, quarter: usize) -> Vec<i16> {
    let len = period * periods;
    let start = tail.len() - len;
    let mut cycle = tail[start..].to_vec();
    let q = quarter.min(start).min(len);
    for i in 0..q {
        let c = len - q + i;
        cycle[c] = mix(cycle[c], tail[start - q + i], ramp(i, q));
    }
    cycle
}

/// Synthesizes audio for frames that did not arrive.
#[derive(Debug)]
pub(crate) struct Concealer {
    rate: u32,
    ten_ms: usize,
    fade_len: usize,
    min_lag: usize,
    max_lag: usize,
    episode: Option<Episode>,
}

impl Concealer {
    /// A concealer for `rate` Hz audio, searching pitch periods of `min_lag..=max_lag` samples.
    pub(crate) fn new(rate: u32, min_lag: usize, max_lag: usize) -> Self {
        let ten_ms = (rate / 100) as usize;
        Self { rate, ten_ms, fade_len: ten_ms * FADE_MS / 10, min_lag, max_lag, episode: None }
    }

    /// Samples of history [`Self::start`] looks at.
    pub(crate) fn history(&self) -> usize {
        MAX_PERIODS * self.max_lag + self.max_lag / 4 + 2
    }

    pub(crate) fn is_active(&self) -> bool {
        self.episode.is_some()
    }

    /// Whether the concealment has faded to silence.
    pub(crate) fn is_silent(&self) -> bool {
        self.episode.as_ref().is_some_and(|e| e.period == 0 || e.gain(self.ten_ms, self.fade_len) <= 0.0)
    }

    /// Whether the concealment was told to fade out (rather than running its course).
    pub(crate) fn is_fading(&self) -> bool {
        self.episode.as_ref().is_some_and(|e| e.fade.is_some())
    }

    /// Media position the next synthetic sample stands for.
    pub(crate) fn media(&self) -> Option<i64> {
        self.episode.as_ref().map(|e| e.media)
    }

    /// The pitch period in use (at least 1).
    pub(crate) fn period(&self) -> usize {
        self.episode.as_ref().map_or(1, |e| e.period.max(1))
    }

    /// Starts concealing after `signal` (everything played or about to be), the first synthetic
    /// sample standing for media position `media`.
    pub(crate) fn start(&mut self, signal: &[i16], media: i64) {
        let keep = signal.len().min(self.history());
        let tail = signal[signal.len() - keep..].to_vec();
        let n = tail.len();
        let search = pitch::Search { min: self.min_lag, max: self.max_lag, window: self.max_lag, rate: self.rate };
        // The last `span` samples against those one lag earlier.
        let found = pitch::best_lag(&tail, &search, |lag, span| n.checked_sub(span + lag));
        let period = found.map_or(0, |(lag, _)| lag);
        let quarter = (period / 4).max(1);
        let (cycle, correction) = if period == 0 {
            (Vec::new(), 0.0)
        } else {
            let cycle = build_cycle(&tail, period, 1, quarter);
            (cycle, f64::from(tail[n - 1]) - f64::from(tail[n - period - 1]))
        };
        self.episode = Some(Episode {
            tail,
            period,
            periods: 1,
            quarter,
            cycle,
            pos: 0,
            correction,
            transition: None,
            elapsed: 0,
            media,
            fade: None,
        });
    }

    /// Fades the concealment out within 10 ms from here.
    pub(crate) fn begin_fade(&mut self) {
        let (ten_ms, fade_len) = (self.ten_ms, self.fade_len);
        if let Some(episode) = self.episode.as_mut().filter(|e| e.fade.is_none()) {
            episode.fade = Some((episode.elapsed, episode.gain(ten_ms, fade_len)));
        }
    }

    /// Appends `n` synthetic samples to `out` (silence when not started).
    pub(crate) fn generate(&mut self, n: usize, out: &mut Vec<i16>) {
        match self.episode.as_mut() {
            Some(episode) => out.extend((0..n).map(|_| episode.next(self.ten_ms, self.fade_len))),
            None => out.resize(out.len() + n, 0),
        }
    }

    /// Length of the overlap-add back into real audio (G.711 Appendix I): a quarter period plus
    /// 4 ms per 10 ms of concealment beyond the first, at most 10 ms.
    pub(crate) fn merge_len(&self) -> usize {
        let Some(episode) = &self.episode else {
            return self.ten_ms / 4;
        };
        let blocks = episode.elapsed.saturating_sub(self.ten_ms).div_ceil(self.ten_ms);
        (episode.quarter + blocks * self.ten_ms * 4 / 10).clamp(1, self.ten_ms)
    }

    /// Ends the concealment.
    pub(crate) fn stop(&mut self) {
        self.episode = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_a_periodic_signal_in_phase_and_fades_by_60_ms() {
        let period = 64.0;
        let wave = |n: usize| {
            let phase = 2.0 * std::f64::consts::PI * n as f64 / period;
            (5000.0 * phase.sin() + 2000.0 * (3.0 * phase).cos()) as i16
        };
        let history: Vec<i16> = (0..600).map(wave).collect();
        let mut plc = Concealer::new(8000, 20, 120);
        plc.start(&history, 0);
        let mut out = Vec::new();
        plc.generate(80, &mut out);
        let expected: Vec<i16> = (600..680).map(wave).collect();
        assert!(pitch::correlation(&out, &expected) > 0.99);
        plc.generate(420, &mut out);
        assert!(plc.is_silent());
        assert!(out[480..].iter().all(|&s| s == 0));
        assert!(out[400..480].iter().any(|&s| s != 0));
    }

    #[test]
    fn no_history_means_silence() {
        let mut plc = Concealer::new(8000, 20, 120);
        plc.start(&[3, 4], 0);
        let mut out = Vec::new();
        plc.generate(10, &mut out);
        assert_eq!(out, vec![0; 10]);
        assert!(plc.is_silent());
    }
}
