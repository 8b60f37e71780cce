//! When the phone fetches its configuration: at start, then every interval (± jitter, so that
//! a floor of phones started together does not fetch together), after a failure with a backoff
//! (30 s doubling up to the interval), and soon after a `check-sync` NOTIFY (not more often than
//! every [`CHECK_SYNC_SPACING`]). Sans-IO: the edge asks [`ProvisioningSchedule::poll_timeout`],
//! sleeps, calls [`ProvisioningSchedule::handle_timeout`] and runs the fetch it is given.

use std::time::{Duration, Instant};

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The first wait after a failure; each further failure doubles it, up to the interval.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(30);

/// The least time between the starts of two fetches caused by `check-sync`.
pub const CHECK_SYNC_SPACING: Duration = Duration::from_secs(10);

/// The shortest interval accepted.
pub const MIN_INTERVAL: Duration = Duration::from_secs(5);

/// What the edge must do now: fetch the configuration, then report with
/// [`ProvisioningSchedule::fetch_succeeded`] or [`ProvisioningSchedule::fetch_failed`].
#[must_use = "the edge must run the fetch and report its result"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetch;

/// The fetch timetable of one phone.
#[derive(Debug)]
pub struct ProvisioningSchedule {
    interval: Duration,
    jitter_percent: u32,
    /// The next fetch, when none is running.
    next: Option<Instant>,
    /// A fetch is running (no timeout until it is reported).
    running: bool,
    /// When the last fetch started.
    last_start: Option<Instant>,
    /// The wait after the last failure, while failing.
    backoff: Option<Duration>,
    /// A `check-sync` came while a fetch ran: fetch again after it.
    check_sync_pending: bool,
    rng: ChaCha8Rng,
}

impl ProvisioningSchedule {
    /// A schedule whose first fetch is due at `now`; `interval` (at least [`MIN_INTERVAL`]) and
    /// `jitter_percent` (0–50) as in `[provisioning]`; `seed` for the jitter (the edge's RNG).
    pub fn new(now: Instant, interval: Duration, jitter_percent: u32, seed: u64) -> ProvisioningSchedule {
        ProvisioningSchedule {
            interval: interval.max(MIN_INTERVAL),
            jitter_percent: jitter_percent.min(50),
            next: Some(now),
            running: false,
            last_start: None,
            backoff: None,
            check_sync_pending: false,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// When [`Self::handle_timeout`] should be called next; `None` while a fetch runs.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.running {
            None
        } else {
            self.next
        }
    }

    /// Time has come: `Some(Fetch)` when a fetch is due (the schedule then waits for its report).
    pub fn handle_timeout(&mut self, now: Instant) -> Option<Fetch> {
        match self.next {
            Some(next) if !self.running && next <= now => {
                self.running = true;
                self.next = None;
                self.last_start = Some(now);
                Some(Fetch)
            }
            _ => None,
        }
    }

    /// True while a fetch runs.
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// The fetch worked (changed or not): the next one is an interval (± jitter) away. Returns
    /// that wait.
    pub fn fetch_succeeded(&mut self, now: Instant) -> Duration {
        self.running = false;
        self.backoff = None;
        let wait = self.jittered(self.interval);
        self.schedule_after(now, wait)
    }

    /// The fetch failed: the next try is after the backoff (30 s, doubling on each failure, at
    /// most the interval; ± jitter). Returns that wait, for the log line.
    pub fn fetch_failed(&mut self, now: Instant) -> Duration {
        self.running = false;
        let backoff = match self.backoff {
            None => FIRST_BACKOFF,
            Some(previous) => previous.saturating_mul(2),
        }
        .min(self.interval);
        self.backoff = Some(backoff);
        let wait = self.jittered(backoff);
        self.schedule_after(now, wait)
    }

    /// The registrar said the configuration changed (NOTIFY `Event: check-sync`): fetch now, or
    /// [`CHECK_SYNC_SPACING`] after the last fetch started if that is later; while a fetch runs,
    /// once more after it.
    pub fn check_sync(&mut self, now: Instant) {
        if self.running {
            self.check_sync_pending = true;
            return;
        }
        let soonest = self.soonest_check_sync(now);
        self.next = Some(self.next.map_or(soonest, |next| next.min(soonest)));
    }

    /// A new interval or jitter (a new configuration): a next fetch further away than the new
    /// interval is brought forward to it.
    pub fn set_timing(&mut self, now: Instant, interval: Duration, jitter_percent: u32) {
        self.interval = interval.max(MIN_INTERVAL);
        self.jitter_percent = jitter_percent.min(50);
        if let Some(next) = self.next {
            self.next = Some(next.min(now + self.interval));
        }
    }

    /// The interval in force.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Sets the next fetch `wait` after `now`, or sooner for a pending `check-sync`; returns the
    /// wait actually set.
    fn schedule_after(&mut self, now: Instant, wait: Duration) -> Duration {
        let mut next = now + wait;
        if std::mem::take(&mut self.check_sync_pending) {
            next = next.min(self.soonest_check_sync(now));
        }
        self.next = Some(next);
        next - now
    }

    fn soonest_check_sync(&self, now: Instant) -> Instant {
        self.last_start.map_or(now, |start| now.max(start + CHECK_SYNC_SPACING))
    }

    /// `base` ± `jitter_percent`, uniformly, in milliseconds.
    fn jittered(&mut self, base: Duration) -> Duration {
        let base_ms = base.as_millis().min(u128::from(u64::MAX)) as u64;
        let spread = base_ms * u64::from(self.jitter_percent) / 100;
        if spread == 0 {
            return base;
        }
        let offset = self.rng.next_u64() % (2 * spread + 1);
        Duration::from_millis(base_ms - spread + offset)
    }
}
