//! Pitch-period search by normalized cross-correlation, shared by loss concealment and
//! time-scale modification. Above 8 kHz the search runs on a decimated copy first and is then
//! refined at the full rate, so its cost hardly grows with the sample rate.

/// Correlation at or above which a stretch counts as periodic (voiced).
pub(crate) const VOICED: f64 = 0.8;
/// Among near-best lags the shortest local maximum within this much of the best wins, so a
/// multiple of the true period is not chosen for a hair's better score.
const NEAR_BEST: f64 = 0.05;

/// Normalized cross-correlation of two equally long stretches, in [-1, 1]; two silent stretches
/// correlate perfectly and a silent one with a sounding one not at all.
pub(crate) fn correlation(a: &[i16], b: &[i16]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0i64, 0i64, 0i64);
    for (&p, &q) in a.iter().zip(b) {
        let (p, q) = (i64::from(p), i64::from(q));
        ab += p * q;
        aa += p * p;
        bb += q * q;
    }
    match (aa, bb) {
        (0, 0) => 1.0,
        (0, _) | (_, 0) => 0.0,
        _ => ab as f64 / ((aa as f64) * (bb as f64)).sqrt(),
    }
}

/// Where to look for a pitch period.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Search {
    /// Shortest lag tried, in samples.
    pub min: usize,
    /// Longest lag tried, in samples.
    pub max: usize,
    /// Shortest stretch compared: at least the longest plausible period, so that a short lag on
    /// a low-pitched signal is not taken for a match merely because two neighbouring stretches
    /// both rise.
    pub window: usize,
    /// Sample rate, in Hz.
    pub rate: u32,
}

/// The lag in `search.min..=search.max` for which the stretch of `span = max(lag, window)`
/// samples starting at `anchor(lag, span)` best matches the stretch one lag later, with that
/// correlation. Lags whose stretches do not fit in `x` are skipped; `None` when none fits.
pub(crate) fn best_lag(
    x: &[i16],
    search: &Search,
    anchor: impl Fn(usize, usize) -> Option<usize>,
) -> Option<(usize, f64)> {
    let min = search.min.max(1);
    if min > search.max {
        return None;
    }
    let factor = ((search.rate / 8000).max(1) as usize).min(min);
    if factor == 1 {
        return scan(x, min, search.max, search.window, &anchor);
    }
    let decimated: Vec<i16> = x
        .chunks(factor)
        .map(|chunk| (chunk.iter().map(|&s| i32::from(s)).sum::<i32>() / chunk.len() as i32) as i16)
        .collect();
    let coarse_anchor = |lag: usize, span: usize| anchor(lag * factor, span * factor).map(|at| at / factor);
    let coarse_window = search.window / factor;
    let (coarse, _) = scan(&decimated, min.div_ceil(factor), search.max / factor, coarse_window, &coarse_anchor)?;
    let lo = (coarse * factor).saturating_sub(factor - 1).max(min);
    let hi = (coarse * factor + factor - 1).min(search.max);
    scan(x, lo, hi, search.window, &anchor)
}

fn scan(
    x: &[i16],
    min: usize,
    max: usize,
    window: usize,
    anchor: &dyn Fn(usize, usize) -> Option<usize>,
) -> Option<(usize, f64)> {
    let score = |lag: usize| -> Option<f64> {
        let span = lag.max(window);
        let at = anchor(lag, span)?;
        let end = at.checked_add(lag + span)?;
        (end <= x.len()).then(|| correlation(&x[at..at + span], &x[at + lag..end]))
    };
    let scores: Vec<(usize, f64)> = (min..=max).filter_map(|lag| Some((lag, score(lag)?))).collect();
    let best = scores.iter().map(|&(_, c)| c).fold(f64::NEG_INFINITY, f64::max);
    if !best.is_finite() {
        return None;
    }
    let local_max = |i: usize| {
        let c = scores[i].1;
        (i == 0 || scores[i - 1].1 <= c) && scores.get(i + 1).is_none_or(|next| next.1 <= c)
    };
    (0..scores.len()).find(|&i| scores[i].1 >= best - NEAR_BEST && local_max(i)).map(|i| scores[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn harmonic(period: f64, len: usize) -> Vec<i16> {
        (0..len)
            .map(|n| {
                let phase = 2.0 * std::f64::consts::PI * n as f64 / period;
                (6000.0 * phase.sin() + 3000.0 * (2.0 * phase).sin() + 1500.0 * (3.0 * phase + 1.0).sin()) as i16
            })
            .collect()
    }

    #[test]
    fn finds_the_period_not_a_multiple() {
        let x = harmonic(57.0, 400);
        let search = Search { min: 20, max: 120, window: 120, rate: 8000 };
        let (lag, corr) = best_lag(&x, &search, |_, _| Some(0)).unwrap();
        assert_eq!(lag, 57);
        assert!(corr > 0.99);
    }

    #[test]
    fn decimated_search_finds_the_period_at_48k() {
        let x = harmonic(343.0, 2000);
        let search = Search { min: 120, max: 720, window: 720, rate: 48_000 };
        let (lag, corr) = best_lag(&x, &search, |_, _| Some(0)).unwrap();
        assert!((342..=344).contains(&lag), "{lag}");
        assert!(corr > 0.99);
    }

    #[test]
    fn silence_and_short_input() {
        assert_eq!(correlation(&[0; 8], &[0; 8]), 1.0);
        assert_eq!(correlation(&[0; 8], &[5; 8]), 0.0);
        let search = Search { min: 20, max: 120, window: 120, rate: 8000 };
        assert!(best_lag(&[1, 2, 3], &search, |_, _| Some(0)).is_none());
    }

    #[test]
    fn a_short_lag_does_not_match_a_low_pitch() {
        // 75 Hz at 8 kHz: a period of 106.7 samples; lags up to 90 only.
        let x = harmonic(106.7, 400);
        let search = Search { min: 20, max: 90, window: 120, rate: 8000 };
        let (_, corr) = best_lag(&x, &search, |_, _| Some(0)).unwrap();
        assert!(corr < VOICED, "{corr}");
    }
}
