//! Network delay estimation: RFC 3550 A.8 interarrival jitter for reports, and for the playout
//! target a NetEQ-style estimate of the relative delay (how much later than the fastest recent
//! packet each packet arrives), kept in a forgetting histogram, plus a peak detector.

use std::collections::VecDeque;

/// The fastest-packet reference is the minimum over this many buckets...
const BUCKETS: usize = 20;
/// ...of this many milliseconds each (two seconds in all, as NetEQ).
const BUCKET_MS: i64 = 100;
/// The target covers this fraction of relative delays.
const QUANTILE: f64 = 0.97;
/// Per-packet forgetting factor of the histogram (a time constant of ~1400 packets, ~28 s of
/// 20 ms packets); before that many packets it is a plain average.
const FORGET: f64 = 0.9993;
/// A relative delay this far above the percentile is a peak.
const PEAK_THRESHOLD_MS: i64 = 20;
/// Peaks count while younger than this; two of them hold the target at the highest.
const PEAK_WINDOW_MS: i64 = 10_000;
/// Peaks remembered.
const PEAK_HISTORY: usize = 8;
/// Safety margin added to the target.
const MARGIN_MS: i64 = 5;
/// Histogram bins are one millisecond wide, up to this many.
const MAX_BINS: i64 = 2001;

/// Minimum of the transit delay over the last two seconds of arrivals, in 100 ms buckets.
#[derive(Debug)]
struct MinWindow {
    bucket_len: i64,
    slots: [Option<(i64, i64)>; BUCKETS],
}

impl MinWindow {
    fn insert(&mut self, t: i64, transit: i64) {
        let slot = t.div_euclid(self.bucket_len);
        match &mut self.slots[slot.rem_euclid(BUCKETS as i64) as usize] {
            Some((at, min)) if *at == slot => *min = (*min).min(transit),
            entry => *entry = Some((slot, transit)),
        }
    }

    fn min(&self, t: i64) -> Option<i64> {
        let slot = t.div_euclid(self.bucket_len);
        let live = |at: i64| at <= slot && slot - at < BUCKETS as i64;
        self.slots.iter().flatten().filter(|(at, _)| live(*at)).map(|(_, min)| *min).min()
    }
}

/// Estimates network delay variation from arrival times against media positions.
#[derive(Debug)]
pub(crate) struct DelayEstimator {
    rate: i64,
    min_delay: i64,
    max_delay: i64,
    window: MinWindow,
    reference: Option<i64>,
    histogram: Vec<f64>,
    arrivals: u64,
    quantile_ms: i64,
    peaks: VecDeque<(i64, i64)>,
    transit: Option<i64>,
    jitter: f64,
    last_target: Option<i64>,
}

impl DelayEstimator {
    /// An estimator for output rate `rate` Hz, clamping targets to `[min_delay, max_delay]`
    /// samples.
    pub(crate) fn new(rate: u32, min_delay: i64, max_delay: i64) -> Self {
        let rate = i64::from(rate);
        let bins = (max_delay * 1000 / rate + 1).clamp(1, MAX_BINS) as usize;
        Self {
            rate,
            min_delay,
            max_delay,
            window: MinWindow { bucket_len: (rate * BUCKET_MS / 1000).max(1), slots: [None; BUCKETS] },
            reference: None,
            histogram: vec![0.0; bins],
            arrivals: 0,
            quantile_ms: 0,
            peaks: VecDeque::with_capacity(PEAK_HISTORY),
            transit: None,
            jitter: 0.0,
            last_target: None,
        }
    }

    /// Records a packet of audio placed at `media` that arrived at `t` (both in samples).
    pub(crate) fn on_arrival(&mut self, t: i64, media: i64) {
        let transit = t.saturating_sub(media);
        if let Some(previous) = self.transit {
            // RFC 3550 A.8: J += (|D| - J) / 16, here in output samples.
            let d = transit.saturating_sub(previous).unsigned_abs() as f64;
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.transit = Some(transit);
        self.window.insert(t, transit);
        let fastest = self.window.min(t).unwrap_or(transit).min(transit);
        self.reference = Some(fastest);
        let relative_ms = transit.saturating_sub(fastest).max(0).saturating_mul(1000) / self.rate;
        self.record(t, relative_ms);
    }

    fn record(&mut self, t: i64, relative_ms: i64) {
        let relative_ms = relative_ms.min(MAX_BINS);
        if relative_ms > self.quantile_ms + PEAK_THRESHOLD_MS {
            if self.peaks.len() == PEAK_HISTORY {
                self.peaks.pop_front();
            }
            self.peaks.push_back((t, relative_ms));
        }
        let forget = FORGET.min(self.arrivals as f64 / (self.arrivals as f64 + 1.0));
        self.arrivals = self.arrivals.saturating_add(1);
        for bin in &mut self.histogram {
            *bin *= forget;
        }
        let last = self.histogram.len() - 1;
        self.histogram[(relative_ms.max(0) as usize).min(last)] += 1.0 - forget;
        let total: f64 = self.histogram.iter().sum();
        let mut below = 0.0;
        for (ms, weight) in self.histogram.iter().enumerate() {
            below += weight;
            if below >= QUANTILE * total {
                self.quantile_ms = ms as i64 + 1;
                break;
            }
        }
    }

    /// The transit delay (arrival minus media position) of the fastest recent packet: media
    /// position `m` is "due" at `m + reference`.
    pub(crate) fn reference(&self) -> Option<i64> {
        self.reference
    }

    /// Forgets the last transit time, after the timeline was re-anchored.
    pub(crate) fn reset_transit(&mut self) {
        self.transit = None;
    }

    /// The highest relative delay among recurring peaks (two or more in the window), in ms.
    fn peak_ms(&self, t: i64) -> i64 {
        let window = PEAK_WINDOW_MS * self.rate / 1000;
        let live = self.peaks.iter().filter(|(at, _)| t.saturating_sub(*at) <= window);
        let (count, highest) = live.fold((0, 0), |(count, highest), (_, ms)| (count + 1, highest.max(*ms)));
        if count >= 2 {
            highest
        } else {
            0
        }
    }

    /// The playout delay to aim for at `t` with a device period of `period` samples: the relative
    /// delay percentile (or recurring peak), plus one period, plus a margin, clamped.
    pub(crate) fn target(&mut self, t: i64, period: i64) -> i64 {
        let spread_ms = self.quantile_ms.max(self.peak_ms(t));
        let target = (spread_ms + MARGIN_MS) * self.rate / 1000 + period;
        let target = target.clamp(self.min_delay, self.max_delay);
        self.last_target = Some(target);
        target
    }

    /// The target last returned by [`Self::target`].
    pub(crate) fn last_target(&self) -> Option<i64> {
        self.last_target
    }

    /// RFC 3550 A.8 interarrival jitter in RTP timestamp units of `clock_rate`.
    pub(crate) fn jitter_ticks(&self, clock_rate: u32) -> u32 {
        (self.jitter * f64::from(clock_rate) / self.rate as f64).round().clamp(0.0, f64::from(u32::MAX)) as u32
    }
}
