//! The ordered list of servers to try, with failover (RFC 3263 §4.3) and failback.

use super::Transport;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How long the primary target stays out of use after it failed before
/// [`TargetList::should_fail_back`] says to try it again: 300 s.
pub const DEFAULT_FAILBACK_INTERVAL: Duration = Duration::from_secs(300);

/// One place to send a request to (RFC 3263 §4): address, port and transport.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// The IP address and port.
    pub addr: SocketAddr,
    /// The transport protocol (RFC 3263 §4.1).
    pub transport: Transport,
    /// The host name the address was found for, without a final `.`: the SRV target, or the
    /// configured host; the address itself for an IP literal. For TLS it is the name to send
    /// as SNI and to check the server certificate against (RFC 5922 §4).
    pub host: String,
}

/// The servers to try, in order (RFC 2782 "Usage rules", RFC 3263 §4.2), and which one is in
/// use.
///
/// The first target is the *primary*. When the one in use fails (a transaction timeout, a
/// transport error or a 503, RFC 3263 §4.3), [`TargetList::mark_failed`] moves to the next.
/// Once the primary has been out of use for the failback interval,
/// [`TargetList::should_fail_back`] says so, and [`TargetList::fail_back`] returns to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetList {
    targets: Vec<Target>,
    index: usize,
    primary_failed_at: Option<Instant>,
    failback_interval: Duration,
}

impl TargetList {
    /// A list of `targets` tried in the given order, with [`DEFAULT_FAILBACK_INTERVAL`].
    pub fn new(targets: Vec<Target>) -> TargetList {
        TargetList { targets, index: 0, primary_failed_at: None, failback_interval: DEFAULT_FAILBACK_INTERVAL }
    }

    /// The same list with another failback interval (see [`TargetList::should_fail_back`]).
    pub fn with_failback_interval(mut self, interval: Duration) -> TargetList {
        self.failback_interval = interval;
        self
    }

    /// The target to use now, or `None` once every target has failed (RFC 3263 §4.3: the
    /// request fails; locate again later).
    pub fn current(&self) -> Option<&Target> {
        self.targets.get(self.index)
    }

    /// The primary (first) target, the one RFC 2782 orders first.
    pub fn primary(&self) -> Option<&Target> {
        self.targets.first()
    }

    /// True while the primary is the target in use.
    pub fn on_primary(&self) -> bool {
        self.index == 0 && !self.targets.is_empty()
    }

    /// Records that the current target failed at `now` (timer B or F fired with no response, a
    /// transport error, or a 503: RFC 3263 §4.3) and moves to the next one, which is returned.
    /// The caller sends a new request, with a new Via branch, to it. `None` when the list is
    /// exhausted; calling again then changes nothing.
    pub fn mark_failed(&mut self, now: Instant) -> Option<&Target> {
        if self.index < self.targets.len() {
            if self.index == 0 {
                self.primary_failed_at = Some(now);
            }
            self.index += 1;
        }
        self.current()
    }

    /// True when the list has failed over away from the primary and the primary failed at
    /// least the failback interval before `now`: the caller should try the primary again
    /// (with [`TargetList::fail_back`]), e.g. at its next registration refresh.
    pub fn should_fail_back(&self, now: Instant) -> bool {
        match self.primary_failed_at {
            Some(failed_at) if self.index > 0 => {
                now.checked_duration_since(failed_at).is_some_and(|out| out >= self.failback_interval)
            }
            _ => false,
        }
    }

    /// Goes back to the primary target, forgetting the failures. Returns it.
    pub fn fail_back(&mut self) -> Option<&Target> {
        self.index = 0;
        self.primary_failed_at = None;
        self.current()
    }

    /// Every target, in the order they are tried.
    pub fn as_slice(&self) -> &[Target] {
        &self.targets
    }

    /// How many targets the list holds.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// True when the list holds no target.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }
}
