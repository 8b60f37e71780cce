//! The receiving side of RFC 4733 §2.5.2: event packets in, one begin and one end per key out.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{ts_at_or_after, DtmfError, Event, EventPayload};

/// How many ended events are remembered, so that their late packets are recognised.
const FINISHED_MEMORY: usize = 16;
/// How many reports may wait for [`DtmfReceiver::poll_event`]; older ones are dropped beyond.
const MAX_PENDING_REPORTS: usize = 1024;
/// The standard segment length of long events (RFC 4733 §2.5.1.3, §2.5.2.3).
const FULL_SEGMENT: u32 = 0xFFFF;

/// How a [`DtmfReceiver`] ends events whose final packets were all lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverConfig {
    /// An event with no packet for this long is over (RFC 4733 §2.5.2.2, "a given time period
    /// elapses"). The default, 300 ms, is three packet intervals at 100 ms, the longest interval
    /// RFC 4733 §3.3 deems harmless for DTMF.
    pub end_timeout: Duration,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        ReceiverConfig { end_timeout: Duration::from_millis(300) }
    }
}

/// What ended a received event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// A report with the E bit arrived (RFC 4733 §2.3.2).
    EndBit,
    /// A later event arrived first: its end reports were lost or are late (RFC 4733 §2.5.2.2).
    Superseded,
    /// No report arrived for [`ReceiverConfig::end_timeout`] (RFC 4733 §2.5.2.2).
    TimedOut,
}

/// A key reported by a [`DtmfReceiver`]: each received event gives one `Begin`, then one `End`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtmfEvent {
    /// A key went down.
    Begin {
        /// The key.
        event: Event,
        /// The event's start: the RTP timestamp of its packets (RFC 4733 §2.2.1).
        timestamp: u32,
        /// The power level in -dBm0 of the first report seen (RFC 4733 §2.3.4).
        volume: u8,
        /// `false` when the first packet (with the marker) was lost and the start was inferred
        /// from a later one (RFC 4733 §2.5.2.2).
        marker_seen: bool,
    },
    /// The key went up.
    End {
        /// The key.
        event: Event,
        /// The event's start, as in its `Begin`.
        timestamp: u32,
        /// The event's whole length in timestamp units: the last report's duration plus the
        /// segments before it (RFC 4733 §2.5.2.3).
        duration: u32,
        /// What ended it.
        reason: EndReason,
    },
}

/// The event being received.
#[derive(Debug, Clone, Copy)]
struct Current {
    event: Event,
    /// The event's start (RTP timestamp of its first segment).
    start: u32,
    /// The current segment's timestamp (RFC 4733 §2.5.1.3).
    seg_ts: u32,
    /// The summed length of the earlier segments.
    prior: u32,
    /// The longest duration reported for the current segment.
    seg_duration: u16,
    /// When its last report arrived.
    last_arrival: Instant,
}

/// Recognises RTP sequence numbers seen recently, to drop duplicated packets.
#[derive(Debug, Clone, Copy, Default)]
struct SeqWindow {
    highest: Option<u16>,
    /// Bit `i` is set when `highest - i` was seen.
    seen: u64,
}

impl SeqWindow {
    /// Records `seq`; `true` when it was already seen.
    fn is_duplicate(&mut self, seq: u16) -> bool {
        let Some(highest) = self.highest else {
            self.highest = Some(seq);
            self.seen = 1;
            return false;
        };
        let ahead = seq.wrapping_sub(highest) as i16;
        if ahead > 0 {
            let shift = u32::from(ahead.unsigned_abs());
            self.seen = self.seen.checked_shl(shift).unwrap_or(0) | 1;
            self.highest = Some(seq);
            return false;
        }
        let behind = u32::from(ahead.unsigned_abs());
        if behind >= u64::BITS {
            return false;
        }
        let bit = 1u64 << behind;
        let duplicate = self.seen & bit != 0;
        self.seen |= bit;
        duplicate
    }
}

/// A sans-IO RFC 4733 receiver for DTMF events.
///
/// Give it every `telephone-event` packet with [`DtmfReceiver::handle_packet`], take the key
/// reports from [`DtmfReceiver::poll_event`], and call [`DtmfReceiver::handle_timeout`] when
/// [`DtmfReceiver::poll_timeout`] passes. It reports each key once however its packets arrive:
/// the final report's repeats and duplicated or late packets are dropped; a key whose first
/// packet was lost begins at the timestamp of a later one; a key whose end reports were lost
/// ends when the next key arrives or after [`ReceiverConfig::end_timeout`]; the segments of a
/// long key are joined (RFC 4733 §2.5.2).
#[derive(Debug, Clone)]
pub struct DtmfReceiver {
    config: ReceiverConfig,
    current: Option<Current>,
    /// (event code, segment timestamp) of recently ended events.
    finished: VecDeque<(u8, u32)>,
    /// The newest segment timestamp accepted: older reports are stale.
    newest_ts: Option<u32>,
    reports: VecDeque<DtmfEvent>,
    sequences: SeqWindow,
}

impl DtmfReceiver {
    /// A receiver with `config`.
    pub fn new(config: ReceiverConfig) -> Self {
        DtmfReceiver {
            config,
            current: None,
            finished: VecDeque::with_capacity(FINISHED_MEMORY),
            newest_ts: None,
            reports: VecDeque::new(),
            sequences: SeqWindow::default(),
        }
    }

    /// Takes a received `telephone-event` packet: its RTP timestamp, marker bit, sequence number
    /// and payload, arrived at `now`. A payload may pack several events (RFC 4733 §2.5.2.4).
    /// Malformed payloads are refused without changing anything; reports of events other than
    /// DTMF, and zero durations (RFC 4733 §2.3.5), are ignored.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        timestamp: u32,
        marker: bool,
        sequence: u16,
        payload: &[u8],
    ) -> Result<(), DtmfError> {
        let blocks = EventPayload::parse_packed(payload)?;
        if self.sequences.is_duplicate(sequence) {
            return Ok(());
        }
        let mut block_ts = timestamp;
        for block in blocks {
            self.handle_report(now, block_ts, marker, block);
            // A packed event starts where the one before it ends (RFC 4733 §2.5.2.4).
            block_ts = block_ts.wrapping_add(u32::from(block.duration()));
        }
        Ok(())
    }

    /// The next key report, oldest first.
    pub fn poll_event(&mut self) -> Option<DtmfEvent> {
        self.reports.pop_front()
    }

    /// When the event being received times out, if one is (never, when the timeout is too long
    /// for an `Instant`).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.current.and_then(|c| c.last_arrival.checked_add(self.config.end_timeout))
    }

    /// Ends the event being received if its timeout has passed at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|deadline| now >= deadline) {
            self.finish(EndReason::TimedOut, None);
        }
    }

    /// The key being received, if any.
    pub fn active(&self) -> Option<Event> {
        self.current.map(|c| c.event)
    }

    /// One event report at segment timestamp `ts`.
    fn handle_report(&mut self, now: Instant, ts: u32, marker: bool, report: EventPayload) {
        if report.duration() == 0 {
            return;
        }
        let Some(event) = report.event() else {
            return;
        };
        if let Some(cur) = self.current.as_mut() {
            if cur.event == event && cur.seg_ts == ts {
                cur.seg_duration = cur.seg_duration.max(report.duration());
                cur.last_arrival = now;
                if report.end() {
                    self.finish(EndReason::EndBit, Some(report.duration()));
                }
                return;
            }
        }
        if self.finished.contains(&(event.code(), ts)) {
            return;
        }
        if self.newest_ts.is_some_and(|newest| !ts_at_or_after(ts, newest)) {
            return;
        }
        self.newest_ts = Some(ts);
        if !self.continue_segment(now, ts, marker, event, report.duration()) {
            self.begin(now, ts, marker, event, report);
        }
        if report.end() {
            self.finish(EndReason::EndBit, Some(report.duration()));
        }
    }

    /// Joins a report of a new segment to the event being received, when it is one: same event,
    /// no marker, starting where the current segment ended (RFC 4733 §2.5.2.3, §2.5.2.3.1).
    fn continue_segment(&mut self, now: Instant, ts: u32, marker: bool, event: Event, duration: u16) -> bool {
        let Some(cur) = self.current.as_mut() else {
            return false;
        };
        let gap = ts.wrapping_sub(cur.seg_ts);
        if marker || cur.event != event || (gap != u32::from(cur.seg_duration) && gap != FULL_SEGMENT) {
            return false;
        }
        cur.prior = cur.prior.saturating_add(gap);
        cur.seg_ts = ts;
        cur.seg_duration = duration;
        cur.last_arrival = now;
        true
    }

    /// Starts a new event, ending the one it supersedes (RFC 4733 §2.5.2.2).
    fn begin(&mut self, now: Instant, ts: u32, marker: bool, event: Event, report: EventPayload) {
        if self.current.is_some() {
            self.finish(EndReason::Superseded, None);
        }
        self.push(DtmfEvent::Begin { event, timestamp: ts, volume: report.volume(), marker_seen: marker });
        self.current = Some(Current {
            event,
            start: ts,
            seg_ts: ts,
            prior: 0,
            seg_duration: report.duration(),
            last_arrival: now,
        });
    }

    /// Ends the event being received; `final_duration` is the E-bit report's, else the longest
    /// seen.
    fn finish(&mut self, reason: EndReason, final_duration: Option<u16>) {
        let Some(cur) = self.current.take() else {
            return;
        };
        let last = final_duration.unwrap_or(cur.seg_duration);
        let duration = cur.prior.saturating_add(u32::from(last));
        self.push(DtmfEvent::End { event: cur.event, timestamp: cur.start, duration, reason });
        if self.finished.len() == FINISHED_MEMORY {
            self.finished.pop_front();
        }
        self.finished.push_back((cur.event.code(), cur.seg_ts));
    }

    fn push(&mut self, report: DtmfEvent) {
        if self.reports.len() == MAX_PENDING_REPORTS {
            self.reports.pop_front();
        }
        self.reports.push_back(report);
    }
}

impl Default for DtmfReceiver {
    fn default() -> Self {
        DtmfReceiver::new(ReceiverConfig::default())
    }
}
