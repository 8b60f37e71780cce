//! The per-transaction timer table (RFC 3261 §17, Table 4 of §A; RFC 6026 Timers L and M).

use std::time::Instant;

/// Every timer a transaction may run, indexing one table per transaction.
///
/// When several are due at the same instant the one listed first fires first, so a transaction
/// ends (B, F, H) rather than retransmit once more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// INVITE client transaction timeout, 64·T1 (RFC 3261 §17.1.1.2).
    B,
    /// Wait time for response retransmissions after a non-2xx, 32 s on UDP (RFC 3261 §17.1.1.2).
    D,
    /// Non-INVITE client transaction timeout, 64·T1 (RFC 3261 §17.1.2.2).
    F,
    /// Wait time for the ACK of a non-2xx, 64·T1 (RFC 3261 §17.2.1).
    H,
    /// Wait time for ACK retransmissions, T4 on UDP (RFC 3261 §17.2.1).
    I,
    /// Wait time for non-INVITE request retransmissions, 64·T1 on UDP (RFC 3261 §17.2.2).
    J,
    /// Wait time for non-INVITE response retransmissions, T4 on UDP (RFC 3261 §17.1.2.2).
    K,
    /// INVITE server wait in Accepted for INVITE retransmissions, 64·T1 (RFC 6026 §7.1).
    L,
    /// INVITE client wait in Accepted for 2xx retransmissions, 64·T1 (RFC 6026 §7.2).
    M,
    /// INVITE request retransmission, T1 doubling, UDP only (RFC 3261 §17.1.1.2).
    A,
    /// Non-INVITE request retransmission, T1 doubling up to T2, UDP only (RFC 3261 §17.1.2.2).
    E,
    /// INVITE final response retransmission, T1 doubling up to T2, UDP only (RFC 3261 §17.2.1).
    G,
    /// When the server sends 100 Trying itself: 200 ms for INVITE (RFC 3261 §17.2.1), the time
    /// the client's Timer E takes to reach T2 for non-INVITE (RFC 4320 §4.1).
    Trying100,
}

impl Timer {
    /// How many timers there are: the size of a transaction's timer table.
    pub const COUNT: usize = 13;
    /// Every timer, in firing priority order.
    pub const ALL: [Timer; Timer::COUNT] = [
        Timer::B,
        Timer::D,
        Timer::F,
        Timer::H,
        Timer::I,
        Timer::J,
        Timer::K,
        Timer::L,
        Timer::M,
        Timer::A,
        Timer::E,
        Timer::G,
        Timer::Trying100,
    ];
}

/// One transaction's timers: when each fires, if armed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timers([Option<Instant>; Timer::COUNT]);

impl Timers {
    /// Arms `timer` for `at` (`None` disarms it).
    pub(crate) fn set(&mut self, timer: Timer, at: Option<Instant>) {
        self.0[timer as usize] = at;
    }

    /// Disarms `timer`.
    pub(crate) fn clear(&mut self, timer: Timer) {
        self.0[timer as usize] = None;
    }

    /// Disarms every timer.
    pub(crate) fn clear_all(&mut self) {
        self.0 = [None; Timer::COUNT];
    }

    /// When `timer` fires, if armed.
    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.0[timer as usize]
    }

    /// The earliest armed timer.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }

    /// Disarms and returns the earliest timer due at `now` (ties: first in [`Timer::ALL`]).
    pub(crate) fn take_due(&mut self, now: Instant) -> Option<Timer> {
        let timer = Timer::ALL
            .into_iter()
            .filter_map(|t| self.get(t).filter(|at| *at <= now).map(|at| (at, t)))
            .min()
            .map(|(_, t)| t)?;
        self.clear(timer);
        Some(timer)
    }
}
