//! Time-scale modification in the WSOLA manner: accelerate removes one pitch period, expand
//! repeats one, each by cross-fading two stretches one period apart so the waveform never jumps;
//! plus the cross-fades concealment uses to enter and leave synthetic audio.

use super::pitch;

/// `(1 - w)·a + w·b`, rounded; a convex mix of two samples always fits a sample.
pub(crate) fn mix(a: i16, b: i16, w: f64) -> i16 {
    ((1.0 - w) * f64::from(a) + w * f64::from(b)).round() as i16
}

/// Weight of the `k`-th of `len` cross-fade samples, rising from just above 0 to just below 1.
pub(crate) fn ramp(k: usize, len: usize) -> f64 {
    (k + 1) as f64 / (len + 1) as f64
}

/// Removes `lag` samples at `at`: the stretch `[at, at+lag)` fades into the stretch one period
/// later, which then continues. Does nothing unless `2·lag` samples follow `at`.
pub(crate) fn accelerate(signal: &mut Vec<i16>, at: usize, lag: usize) -> bool {
    if lag == 0 || at.saturating_add(2 * lag) > signal.len() {
        return false;
    }
    for k in 0..lag {
        signal[at + k] = mix(signal[at + k], signal[at + lag + k], ramp(k, lag));
    }
    signal.drain(at + lag..at + 2 * lag);
    true
}

/// Inserts `lag` samples at `at`: a stretch that starts as the continuation `[at, at+lag)` and
/// fades into a repeat of the period before `at`, after which the continuation plays again.
/// Does nothing unless `lag` samples precede and follow `at`.
pub(crate) fn expand(signal: &mut Vec<i16>, at: usize, lag: usize) -> bool {
    if lag == 0 || at < lag || at.saturating_add(lag) > signal.len() {
        return false;
    }
    let inserted: Vec<i16> = (0..lag).map(|k| mix(signal[at + k], signal[at - lag + k], ramp(k, lag))).collect();
    signal.splice(at..at, inserted);
    true
}

/// Cross-fades from `from` into `into`: the result starts as `from` and ends as `into`.
pub(crate) fn crossfade(into: &mut [i16], from: &[i16]) {
    let len = into.len().min(from.len());
    for (k, (sample, &old)) in into.iter_mut().zip(from).enumerate() {
        *sample = mix(old, *sample, ramp(k, len));
    }
}

/// Fades `samples` in from silence.
pub(crate) fn fade_in(samples: &mut [i16]) {
    crossfade(samples, &vec![0; samples.len()]);
}

/// Mean of the squared samples (0 for none).
pub(crate) fn mean_square(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / samples.len() as f64
}

/// How many samples to skip at the start of `real` so that it best continues `lead`, looking at
/// offsets up to `max_offset`; 0 when nothing fits better.
pub(crate) fn best_offset(lead: &[i16], real: &[i16], max_offset: usize) -> usize {
    let len = lead.len();
    let mut best = (0, f64::NEG_INFINITY);
    for offset in 0..=max_offset {
        let Some(window) = real.get(offset..offset + len) else {
            break;
        };
        let score = pitch::correlation(lead, window);
        if score > best.1 + 1e-9 {
            best = (offset, score);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(period: f64, len: usize) -> Vec<i16> {
        (0..len).map(|n| (8000.0 * (2.0 * std::f64::consts::PI * n as f64 / period).sin()) as i16).collect()
    }

    fn max_step(x: &[i16]) -> i32 {
        x.windows(2).map(|w| (i32::from(w[1]) - i32::from(w[0])).abs()).max().unwrap_or(0)
    }

    #[test]
    fn accelerate_and_expand_change_length_by_one_period_smoothly() {
        let original = sine(40.0, 400);
        let bound = max_step(&original) + 2;
        let mut shorter = original.clone();
        assert!(accelerate(&mut shorter, 100, 40));
        assert_eq!(shorter.len(), 360);
        assert!(max_step(&shorter) <= bound);
        let mut longer = original.clone();
        assert!(expand(&mut longer, 100, 40));
        assert_eq!(longer.len(), 440);
        assert!(max_step(&longer) <= bound);
        assert!(!expand(&mut longer, 10, 40));
        assert!(!accelerate(&mut longer, 400, 40));
    }

    #[test]
    fn crossfade_runs_from_old_to_new() {
        let mut new = vec![1000; 9];
        crossfade(&mut new, &[0; 9]);
        assert_eq!(new[0], 100);
        assert_eq!(new[8], 900);
        assert_eq!(best_offset(&[1, 5, 1], &[0, 0, 1, 5, 1, 0], 4), 2);
    }
}
