//! The clock that file and null devices keep real time with.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A monotonic clock that can be waited on.
///
/// File and null devices use it to behave like a sound card: capture delivers one period per
/// period of this clock, playback consumes one. [`SystemClock`] is the real one; tests inject a
/// [`ManualClock`] and stay deterministic.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
    /// Returns once [`Clock::now`] is at or after `deadline` (at once if it already is).
    fn sleep_until(&self, deadline: Instant);
}

/// The real monotonic clock: [`Instant::now`] and [`std::thread::sleep`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep_until(&self, deadline: Instant) {
        loop {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            std::thread::sleep(deadline - now);
        }
    }
}

/// A virtual clock for tests: time moves only when told to.
///
/// [`Clock::sleep_until`] does not block: it moves the clock forward to the deadline (never
/// back), as if the caller had slept exactly that long. [`ManualClock::advance`] simulates a
/// caller that is busy (late) for a while. Every sleep is recorded, so a test can check that a
/// device waited exactly until a period was due.
#[derive(Debug)]
pub struct ManualClock {
    state: Mutex<ManualState>,
}

#[derive(Debug)]
struct ManualState {
    now: Instant,
    sleeps: Vec<Instant>,
}

impl ManualClock {
    /// A clock standing at the current real instant (any fixed origin would do).
    pub fn new() -> Self {
        Self::starting_at(Instant::now())
    }

    /// A clock standing at `now`.
    pub fn starting_at(now: Instant) -> Self {
        ManualClock { state: Mutex::new(ManualState { now, sleeps: Vec::new() }) }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut state = self.lock();
        state.now += by;
    }

    /// The deadlines of all [`Clock::sleep_until`] calls that had to wait (deadline after
    /// `now`), oldest first, and forgets them.
    pub fn take_sleeps(&self) -> Vec<Instant> {
        std::mem::take(&mut self.lock().sleeps)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ManualState> {
        // A panic while holding this lock cannot leave the state inconsistent.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.lock().now
    }

    fn sleep_until(&self, deadline: Instant) {
        let mut state = self.lock();
        if deadline > state.now {
            state.now = deadline;
            state.sleeps.push(deadline);
        }
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }

    fn sleep_until(&self, deadline: Instant) {
        (**self).sleep_until(deadline)
    }
}
