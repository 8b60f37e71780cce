//! Per-source reception state (RFC 3550 A.1, A.3, A.8): sequence-number validation, the loss
//! counts and the interarrival jitter a report block carries, plus the loss pattern (Gilbert
//! model transitions) the E-model's burst ratio needs (ITU-T G.107 §3.4).

use super::ReportBlock;

/// A jump of at most this many sequence numbers is taken as loss (RFC 3550 A.1 MAX_DROPOUT).
pub const MAX_DROPOUT: u16 = 3000;
/// A packet at most this far behind the highest is reordered, not a restart (RFC 3550 A.1).
pub const MAX_MISORDER: u16 = 100;
/// Packets in sequence needed before a source is believed (RFC 3550 A.1 MIN_SEQUENTIAL).
pub const MIN_SEQUENTIAL: u8 = 2;

const SEQ_MOD: u32 = 1 << 16;
/// Sequence numbers the loss-pattern window remembers.
const WINDOW: u32 = 128;

/// What [`SourceStats::update_seq`] made of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeqOutcome {
    /// The source is still on probation (RFC 3550 A.1); the packet is not counted yet.
    Probation,
    /// The packet that ended probation: the source is now valid and its probation packets are
    /// counted.
    Validated,
    /// Counted: in sequence, after a gap, reordered or duplicated.
    Accepted,
    /// A second packet confirmed a large jump: the sequence state restarted at it (RFC 3550 A.1).
    Restarted,
    /// A large jump not (yet) confirmed: not counted.
    Bad,
}

/// Counts of consecutive-packet transitions, received (r) or lost (l), for the 2-state Markov
/// (Gilbert) loss model of ITU-T G.107 §3.4.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LossTransitions {
    /// Received followed by received.
    pub rr: u64,
    /// Received followed by lost.
    pub rl: u64,
    /// Lost followed by received.
    pub lr: u64,
    /// Lost followed by lost.
    pub ll: u64,
}

impl LossTransitions {
    /// G.107 BurstR = 1 / (p + q), with p = P(lost | received) and q = P(received | lost); 1
    /// when no loss was seen (random loss gives about 1, bursty loss more).
    pub fn burst_ratio(&self) -> f64 {
        let from_received = self.rr + self.rl;
        let from_lost = self.lr + self.ll;
        if self.rl == 0 || from_received == 0 || from_lost == 0 {
            return 1.0;
        }
        let p = self.rl as f64 / from_received as f64;
        let q = self.lr as f64 / from_lost as f64;
        if p + q <= 0.0 {
            1.0
        } else {
            1.0 / (p + q)
        }
    }

    fn record(&mut self, previous: Option<bool>, received: bool) {
        match (previous, received) {
            (Some(true), true) => self.rr += 1,
            (Some(true), false) => self.rl += 1,
            (Some(false), true) => self.lr += 1,
            (Some(false), false) => self.ll += 1,
            (None, _) => {}
        }
    }
}

/// The packets of the most recent sequence numbers, kept until reordering can no longer change
/// them, then folded into [`LossTransitions`].
#[derive(Debug, Clone, Default)]
struct LossPattern {
    /// Bit `i`: extended sequence number `highest - i` arrived.
    window: u128,
    /// Valid bits in `window` (sequence numbers at or after the base).
    known: u32,
    highest: i64,
    previous: Option<bool>,
    transitions: LossTransitions,
}

impl LossPattern {
    fn start(&mut self, first: i64, highest: i64) {
        let span = u32::try_from(highest - first + 1).unwrap_or(1).clamp(1, WINDOW);
        *self = Self { window: (1u128 << span) - 1, known: span, highest, ..Self::default() };
    }

    fn resolve(&mut self, received: bool) {
        self.transitions.record(self.previous, received);
        self.previous = Some(received);
    }

    fn arrived(&mut self, ext: i64) {
        if ext > self.highest {
            let shift = ext - self.highest;
            let leaving = u32::try_from(shift).unwrap_or(u32::MAX).min(WINDOW);
            // Oldest first: bits known-1 down to WINDOW-leaving.
            let known = self.known;
            for i in (WINDOW - leaving..WINDOW).rev().filter(|&i| i < known) {
                self.resolve(self.window >> i & 1 == 1);
            }
            if shift > i64::from(WINDOW) {
                // Sequence numbers that skipped the window entirely were all lost.
                let skipped = u64::try_from(shift - i64::from(WINDOW)).unwrap_or(0);
                if skipped > 0 {
                    self.resolve(false);
                    self.transitions.ll += skipped - 1;
                }
                self.window = 0;
            } else {
                self.window = self.window.checked_shl(leaving).unwrap_or(0);
            }
            self.window |= 1;
            self.known = self.known.saturating_add(leaving).min(WINDOW);
            self.highest = ext;
        } else if let Ok(back) = u32::try_from(self.highest - ext) {
            if back < self.known {
                self.window |= 1u128 << back;
            }
        }
    }

    /// The transitions so far, with the window's pending bits resolved as they stand.
    fn snapshot(&self) -> LossTransitions {
        let mut copy = self.clone();
        for i in (0..self.known).rev() {
            copy.resolve(self.window >> i & 1 == 1);
        }
        copy.transitions
    }
}

/// What RFC 3550 A.1 keeps for one source, plus the A.3 report history and A.8 jitter.
#[derive(Debug, Clone)]
pub struct SourceStats {
    ssrc: u32,
    max_seq: u16,
    cycles: u32,
    base_seq: i64,
    bad_seq: u32,
    probation: u8,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    transit: Option<i32>,
    /// Jitter times 16, as A.8 keeps it.
    jitter_q4: u32,
    loss: LossPattern,
    /// Expected and received counts from before a restart, for call totals.
    carried_expected: u64,
    carried_received: u64,
}

impl SourceStats {
    /// A new source whose first packet has sequence number `seq`; on probation until
    /// [`MIN_SEQUENTIAL`] packets arrive in sequence (RFC 3550 A.1).
    pub fn new(ssrc: u32, seq: u16) -> Self {
        Self {
            ssrc,
            max_seq: seq.wrapping_sub(1),
            cycles: 0,
            base_seq: i64::from(seq),
            bad_seq: SEQ_MOD + 1,
            probation: MIN_SEQUENTIAL,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter_q4: 0,
            loss: LossPattern::default(),
            carried_expected: 0,
            carried_received: 0,
        }
    }

    /// The source's SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// `true` once the source left probation.
    pub fn is_valid(&self) -> bool {
        self.probation == 0
    }

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = i64::from(seq);
        self.max_seq = seq;
        self.bad_seq = SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.expected_prior = 0;
        self.received_prior = 0;
        self.loss.start(i64::from(seq), i64::from(seq));
    }

    fn extended(&self) -> i64 {
        i64::from(self.cycles) + i64::from(self.max_seq)
    }

    /// Takes a packet's sequence number (RFC 3550 A.1 `update_seq`). Unlike A.1, the packets of
    /// the probation are counted once it ends, so a clean stream reports every packet received.
    pub fn update_seq(&mut self, seq: u16) -> SeqOutcome {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    let first = seq.wrapping_sub(u16::from(MIN_SEQUENTIAL - 1));
                    self.init_seq(first);
                    self.max_seq = seq;
                    if seq < first {
                        self.cycles = SEQ_MOD;
                    }
                    self.received = u64::from(MIN_SEQUENTIAL);
                    self.loss.start(self.base_seq, self.extended());
                    return SeqOutcome::Validated;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return SeqOutcome::Probation;
        }
        let mut outcome = SeqOutcome::Accepted;
        if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(SEQ_MOD);
            }
            self.max_seq = seq;
        } else if u32::from(udelta) <= SEQ_MOD - u32::from(MAX_MISORDER) {
            if u32::from(seq) == self.bad_seq {
                // Two packets in sequence after a jump: the sender restarted (RFC 3550 A.1).
                self.carried_expected += self.expected();
                self.carried_received += self.received;
                self.init_seq(seq);
                outcome = SeqOutcome::Restarted;
            } else {
                self.bad_seq = (u32::from(seq) + 1) & (SEQ_MOD - 1);
                return SeqOutcome::Bad;
            }
        }
        self.received += 1;
        let ext = self.extended_of(seq);
        self.loss.arrived(ext);
        outcome
    }

    /// The extended sequence number of a counted packet `seq` near the highest.
    fn extended_of(&self, seq: u16) -> i64 {
        let back = i64::from(self.max_seq.wrapping_sub(seq));
        if back < i64::from(SEQ_MOD) / 2 {
            self.extended() - back
        } else {
            self.extended() + (i64::from(SEQ_MOD) - back)
        }
    }

    /// Takes a packet's RTP timestamp and its arrival time in the same units (RFC 3550 A.8).
    pub fn update_jitter(&mut self, arrival: u32, timestamp: u32) {
        let transit = arrival.wrapping_sub(timestamp) as i32;
        if let Some(previous) = self.transit {
            let d = u64::from(transit.wrapping_sub(previous).unsigned_abs());
            // J += (|D| - J) / 16, in the fixed point of A.8 (wider, so wild timestamps saturate).
            let j = u64::from(self.jitter_q4);
            self.jitter_q4 = u32::try_from(j + d - ((j + 8) >> 4)).unwrap_or(u32::MAX);
        }
        self.transit = Some(transit);
    }

    /// Forgets the previous transit time, e.g. when the clock rate changed with the codec.
    pub fn reset_transit(&mut self) {
        self.transit = None;
    }

    /// Interarrival jitter in RTP timestamp units (RFC 3550 A.8).
    pub fn jitter(&self) -> u32 {
        self.jitter_q4 >> 4
    }

    /// Highest sequence number received, with the cycle count in the high bits (RFC 3550
    /// §6.4.1).
    pub fn extended_highest_seq(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// Packets expected since the (re)start: extended highest minus base plus one (RFC 3550
    /// A.3).
    pub fn expected(&self) -> u64 {
        if self.probation > 0 {
            return 0;
        }
        u64::try_from(self.extended() - self.base_seq + 1).unwrap_or(0)
    }

    /// Packets counted since the (re)start, duplicates included (RFC 3550 A.3).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Expected minus received since the (re)start; negative with duplicates (RFC 3550 A.3).
    pub fn lost(&self) -> i64 {
        i64::try_from(self.expected()).unwrap_or(i64::MAX) - i64::try_from(self.received).unwrap_or(i64::MAX)
    }

    /// Expected packets over the source's whole life, restarts included.
    pub fn total_expected(&self) -> u64 {
        self.carried_expected + self.expected()
    }

    /// Received packets over the source's whole life, restarts included.
    pub fn total_received(&self) -> u64 {
        self.carried_received + self.received
    }

    /// The loss transitions so far (ITU-T G.107 §3.4).
    pub fn loss_transitions(&self) -> LossTransitions {
        self.loss.snapshot()
    }

    /// The report block for this source (RFC 3550 §6.4.1, A.3), with the LSR and DLSR the caller
    /// tracks; starts a new reporting interval.
    pub fn report_block(&mut self, last_sr: u32, delay_since_last_sr: u32) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected.saturating_sub(self.expected_prior);
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = expected_interval.saturating_sub(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval == 0 {
            0
        } else {
            u8::try_from((lost_interval << 8) / expected_interval).unwrap_or(u8::MAX)
        };
        ReportBlock {
            ssrc: self.ssrc,
            fraction_lost,
            cumulative_lost: i32::try_from(self.lost().clamp(-0x80_0000, 0x7F_FFFF)).unwrap_or(0),
            extended_highest_seq: self.extended_highest_seq(),
            jitter: self.jitter(),
            last_sr,
            delay_since_last_sr,
        }
    }
}
