//! The sending side of RFC 4733 §2.5.1: key presses and dial strings in, event packets out.

use std::collections::VecDeque;

use super::{ts_at_or_after, ts_forward, DtmfError, Event, EventPayload};

/// How many events may wait in a [`DtmfSender`]'s queue.
pub const MAX_QUEUED_EVENTS: usize = 64;

/// How a [`DtmfSender`] paces and shapes its reports. All durations are in RTP timestamp units
/// of the `telephone-event` clock (RFC 4733 §2.4: 8000 Hz unless the SDP says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderConfig {
    /// The spacing of event reports: usually the audio packetization interval, e.g. 160 for
    /// 20 ms at 8000 Hz; RFC 4733 §2.5.1.2 recommends 50 ms when it differs.
    pub packet_interval: u32,
    /// The shortest event sent: a key released earlier is reported as lasting this long
    /// (RFC 4733 §3.1: Q.24 receivers need 40 ms, V.18 senders send at least 70 ms).
    pub min_duration: u32,
    /// The length of each key of a dial string given to [`DtmfSender::send_digits`].
    pub digit_duration: u32,
    /// The silence kept between the end of one event and the start of the next (RFC 4733 §3.1:
    /// Q.24 receivers need 40 ms, V.18 senders leave at least 50 ms).
    pub inter_event_gap: u32,
    /// The power level in -dBm0, 0 to 63 (RFC 4733 §2.3.4).
    pub volume: u8,
    /// How many times the final packet of each event and of each segment is sent
    /// (RFC 4733 §2.5.1.4: three).
    pub end_transmissions: u8,
    /// The longest segment: 0xFFFF (RFC 4733 §2.5.1.3), or less when events ride in RFC 2198
    /// redundancy (RFC 4733 §2.5.1.3.1: `0x3FFF - (R-1) * interval`).
    pub max_segment_duration: u16,
}

impl SenderConfig {
    /// The defaults for a `telephone-event` clock of `clock_rate` Hz and reports every
    /// `interval_ms` milliseconds: 100 ms minimum and dial-string tones, 50 ms gaps, volume 10
    /// (-10 dBm0), three final packets, 0xFFFF segments.
    pub fn new(clock_rate: u32, interval_ms: u32) -> Self {
        let units = |ms: u32| u32::try_from(u64::from(clock_rate) * u64::from(ms) / 1000).unwrap_or(u32::MAX);
        SenderConfig {
            packet_interval: units(interval_ms),
            min_duration: units(100),
            digit_duration: units(100),
            inter_event_gap: units(50),
            volume: 10,
            end_transmissions: 3,
            max_segment_duration: u16::MAX,
        }
    }
}

impl Default for SenderConfig {
    /// 8000 Hz with 20 ms reports: see [`SenderConfig::new`].
    fn default() -> Self {
        SenderConfig::new(8000, 20)
    }
}

/// One event packet to send: the media session adds the RTP header (payload type, its own
/// sequence number, SSRC) around [`DtmfPacket::payload`] (RFC 4733 §2.5.1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfPacket {
    /// The RTP marker bit: set on the first packet of an event only, not on the first packet of
    /// a later segment (RFC 4733 §2.2.2, §2.5.1.3).
    pub marker: bool,
    /// The RTP timestamp: the start of the event, or of the segment for long events
    /// (RFC 4733 §2.2.1, §2.5.1.3).
    pub timestamp: u32,
    /// The event report.
    pub payload: EventPayload,
    /// `true` for the repeats of a final packet (RFC 4733 §2.5.1.4), which a sender using
    /// RFC 2198 may move into the redundancy of its next packet.
    pub retransmission: bool,
}

impl DtmfPacket {
    /// The 4-byte RTP payload (RFC 4733 §2.3).
    pub fn payload_bytes(&self) -> [u8; 4] {
        self.payload.to_bytes()
    }
}

/// An event waiting for its turn.
#[derive(Debug, Clone, Copy)]
struct Pending {
    event: Event,
    /// When the key was pressed (RTP timestamp).
    start: u32,
    /// The event's length, or `None` while the key is held.
    length: Option<u32>,
}

/// What the event being sent does at its next due time.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Sends growing reports (RFC 4733 §2.5.1.2).
    Reporting,
    /// Repeats a final packet `left` more times, then ends the event or (`then_done == false`)
    /// goes on with the next segment (RFC 4733 §2.5.1.3, §2.5.1.4).
    Repeating { packet: DtmfPacket, left: u8, then_done: bool },
}

/// The event being sent.
#[derive(Debug, Clone, Copy)]
struct Active {
    event: Event,
    /// The event's start (RTP timestamp).
    start: u32,
    /// The current segment's start, relative to `start`.
    seg_offset: u32,
    /// The event's whole length once the key is released.
    length: Option<u32>,
    /// A packet of this event went out, so the marker is spent.
    marker_sent: bool,
    /// The duration of the last report of the current segment, 0 before the first.
    reported: u32,
    /// When the next packet is due (RTP timestamp).
    next_due: u32,
    phase: Phase,
}

/// What [`Active::step`] produced.
enum Step {
    /// Nothing to send now.
    Idle,
    /// Send this; the event goes on.
    Send(DtmfPacket),
    /// Send this; it was the event's last packet.
    Last(DtmfPacket),
}

/// A sans-IO RFC 4733 sender: say when keys go down and up, or queue a dial string, then call
/// [`DtmfSender::poll`] at every packetization tick with the RTP timestamp of that tick, until
/// it returns `None`.
///
/// Every packet of an event carries the event's start as its timestamp, the first one the
/// marker; each report's duration is the time from the start to the tick (RFC 4733 §2.5.1.2).
/// The first report goes out one interval after the start, as in RFC 4733 Table 5. The final
/// report carries the E bit and is sent three times (§2.5.1.4); when the key's release shows
/// that the last report already had the final duration, that report counts as the first of the
/// three, as Table 5 does. Events longer than 0xFFFF units are split into segments
/// (§2.5.1.3). Events pressed while others are still being sent wait their turn, separated by
/// [`SenderConfig::inter_event_gap`].
#[derive(Debug, Clone)]
pub struct DtmfSender {
    config: SenderConfig,
    queue: VecDeque<Pending>,
    active: Option<Active>,
    /// When the previous event ended (RTP timestamp), to keep the gap.
    last_end: Option<u32>,
}

impl DtmfSender {
    /// A sender with `config`, refused when it cannot follow RFC 4733: a zero packet interval,
    /// a volume over 63, no final packet, or segments shorter than one interval.
    pub fn new(config: SenderConfig) -> Result<Self, DtmfError> {
        if config.packet_interval == 0 {
            return Err(DtmfError::ZeroPacketInterval);
        }
        if config.volume > 63 {
            return Err(DtmfError::VolumeOutOfRange { volume: config.volume });
        }
        if config.end_transmissions == 0 {
            return Err(DtmfError::ZeroEndTransmissions);
        }
        if u32::from(config.max_segment_duration) < config.packet_interval {
            return Err(DtmfError::SegmentShorterThanInterval {
                max: config.max_segment_duration,
                interval: config.packet_interval,
            });
        }
        Ok(DtmfSender { config, queue: VecDeque::new(), active: None, last_end: None })
    }

    /// The configuration.
    pub fn config(&self) -> &SenderConfig {
        &self.config
    }

    /// Key `event` went down at RTP timestamp `at`. A key still held is released at `at`
    /// (a keypad has one key down at a time). The event is sent once those before it are done.
    pub fn start(&mut self, event: Event, at: u32) -> Result<(), DtmfError> {
        if self.queue.len() >= MAX_QUEUED_EVENTS {
            return Err(DtmfError::QueueFull { capacity: MAX_QUEUED_EVENTS });
        }
        self.stop(at);
        self.queue.push_back(Pending { event, start: at, length: None });
        Ok(())
    }

    /// The held key went up at RTP timestamp `at`; nothing happens when no key is held. The
    /// event lasts at least [`SenderConfig::min_duration`], and never less than already reported.
    pub fn stop(&mut self, at: u32) {
        let min = self.config.min_duration.max(1);
        if let Some(pending) = self.queue.back_mut() {
            if pending.length.is_none() {
                pending.length = Some(ts_forward(pending.start, at).max(min));
                return;
            }
        }
        if let Some(active) = self.active.as_mut() {
            if active.length.is_none() {
                // Never less than already reported, and at least one unit into the current
                // segment: a final report of zero duration is not allowed (RFC 4733 §2.3.5).
                let reported = active.seg_offset.saturating_add(active.reported.max(1));
                active.length = Some(ts_forward(active.start, at).max(min).max(reported));
            }
        }
    }

    /// Queues the keys of `digits` (`0`-`9`, `*`, `#`, `A`-`D`), each lasting
    /// [`SenderConfig::digit_duration`], typed at RTP timestamp `at`; returns how many. A key
    /// still held is released at `at`. Nothing changes when a character is not a key or the
    /// queue would overflow.
    pub fn send_digits(&mut self, digits: &str, at: u32) -> Result<usize, DtmfError> {
        let events = digits
            .chars()
            .map(|ch| Event::from_char(ch).ok_or(DtmfError::InvalidDigit { ch }))
            .collect::<Result<Vec<_>, _>>()?;
        if self.queue.len() + events.len() > MAX_QUEUED_EVENTS {
            return Err(DtmfError::QueueFull { capacity: MAX_QUEUED_EVENTS });
        }
        self.stop(at);
        let length = self.config.digit_duration.max(self.config.min_duration).max(1);
        self.queue.extend(events.iter().map(|&event| Pending { event, start: at, length: Some(length) }));
        Ok(events.len())
    }

    /// Drops the queued events that have not started; the one being sent goes on.
    pub fn clear_queue(&mut self) {
        self.queue.clear();
    }

    /// The event being sent, if any.
    pub fn current_event(&self) -> Option<Event> {
        self.active.map(|a| a.event)
    }

    /// `true` when nothing is being sent or waiting: the session may send audio again.
    pub fn is_idle(&self) -> bool {
        self.active.is_none() && self.queue.is_empty()
    }

    /// The RTP timestamp at which [`DtmfSender::poll`] next has something to send, if any.
    pub fn poll_at(&self) -> Option<u32> {
        if let Some(active) = &self.active {
            return Some(active.next_due);
        }
        self.queue.front().map(|p| self.effective_start(p.start).wrapping_add(self.config.packet_interval))
    }

    /// The next packet due at RTP timestamp `now`, if any. Call it again until it returns
    /// `None`: when ticks come late, a final packet and the next event's first may both be due.
    pub fn poll(&mut self, now: u32) -> Option<DtmfPacket> {
        if self.active.is_none() {
            self.activate_next(now);
        }
        let active = self.active.as_mut()?;
        if !ts_at_or_after(now, active.next_due) {
            return None;
        }
        match active.step(now, &self.config) {
            Step::Idle => None,
            Step::Send(packet) => Some(packet),
            Step::Last(packet) => {
                self.last_end = active.length.map(|len| active.start.wrapping_add(len));
                self.active = None;
                Some(packet)
            }
        }
    }

    /// When a queued event may start: when its key went down, but not before the gap after the
    /// previous event.
    fn effective_start(&self, requested: u32) -> u32 {
        match self.last_end {
            Some(end) => {
                let earliest = end.wrapping_add(self.config.inter_event_gap);
                if ts_at_or_after(requested, earliest) {
                    requested
                } else {
                    earliest
                }
            }
            None => requested,
        }
    }

    /// Moves the next queued event, if any, into sending.
    fn activate_next(&mut self, now: u32) {
        let Some(pending) = self.queue.front().copied() else {
            // Forget an old end once its gap has passed, so that timestamps far in the future
            // (after wrap-around) are never compared with it.
            if let Some(end) = self.last_end {
                if ts_at_or_after(now, end.wrapping_add(self.config.inter_event_gap)) {
                    self.last_end = None;
                }
            }
            return;
        };
        self.queue.pop_front();
        let start = self.effective_start(pending.start);
        self.active = Some(Active {
            event: pending.event,
            start,
            seg_offset: 0,
            length: pending.length,
            marker_sent: false,
            reported: 0,
            next_due: start.wrapping_add(self.config.packet_interval),
            phase: Phase::Reporting,
        });
    }
}

impl Active {
    /// The current segment's start (RTP timestamp).
    fn seg_start(&self) -> u32 {
        self.start.wrapping_add(self.seg_offset)
    }

    /// Produces the packet due at `now` and plans the next.
    fn step(&mut self, now: u32, config: &SenderConfig) -> Step {
        let step = match self.phase {
            Phase::Repeating { packet, left, then_done } => {
                let left = left.saturating_sub(1);
                if left > 0 {
                    self.phase = Phase::Repeating { packet, left, then_done };
                    Step::Send(packet)
                } else if then_done {
                    Step::Last(packet)
                } else {
                    self.phase = Phase::Reporting;
                    Step::Send(packet)
                }
            }
            Phase::Reporting => self.report(now, config),
        };
        if ts_at_or_after(now, self.next_due) {
            self.next_due = self.next_due.wrapping_add(config.packet_interval);
            if ts_at_or_after(now, self.next_due) {
                self.next_due = now.wrapping_add(config.packet_interval);
            }
        }
        step
    }

    /// A report at `now`: an update, a segment's end (RFC 4733 §2.5.1.3) or the event's end
    /// (RFC 4733 §2.5.1.4).
    fn report(&mut self, now: u32, config: &SenderConfig) -> Step {
        let elapsed = ts_forward(self.seg_start(), now);
        let max_seg = u32::from(config.max_segment_duration);
        let end_in_segment = self.length.map(|len| len.saturating_sub(self.seg_offset)).filter(|&end| end <= max_seg);
        if let Some(end) = end_in_segment {
            if elapsed >= end {
                return self.final_report(end, config);
            }
        }
        if elapsed >= max_seg {
            return self.segment_end(max_seg, config);
        }
        if elapsed == 0 {
            return Step::Idle;
        }
        let payload = EventPayload::from_parts(self.event, false, config.volume, elapsed as u16);
        self.reported = elapsed;
        Step::Send(self.fresh_packet(payload))
    }

    /// The event's final report with the E bit, and its repeats (RFC 4733 §2.5.1.4).
    fn final_report(&mut self, end: u32, config: &SenderConfig) -> Step {
        let payload = EventPayload::from_parts(self.event, true, config.volume, end as u16);
        // The previous report already said `end` without the E bit: it was the first of the
        // three, and the E bit is set from its first retransmission on (RFC 4733 §2.5.1.4).
        let already_sent = self.reported == end && self.reported > 0;
        let mut packet = self.fresh_packet(payload);
        packet.retransmission = already_sent;
        let spent = if already_sent { 2 } else { 1 };
        let left = config.end_transmissions.saturating_sub(spent);
        if left == 0 {
            return Step::Last(packet);
        }
        self.phase = Phase::Repeating { packet: repeat_of(packet), left, then_done: true };
        Step::Send(packet)
    }

    /// Reports a full segment without the E bit and starts the next one, whose packets carry no
    /// marker (RFC 4733 §2.5.1.3).
    fn segment_end(&mut self, max_seg: u32, config: &SenderConfig) -> Step {
        let payload = EventPayload::from_parts(self.event, false, config.volume, max_seg as u16);
        let packet = self.fresh_packet(payload);
        self.seg_offset = self.seg_offset.saturating_add(max_seg);
        self.reported = 0;
        let left = config.end_transmissions.saturating_sub(1);
        if left > 0 {
            self.phase = Phase::Repeating { packet: repeat_of(packet), left, then_done: false };
        }
        Step::Send(packet)
    }

    /// A first transmission of `payload` for the current segment; the first of the event has
    /// the marker (RFC 4733 §2.5.1.2).
    fn fresh_packet(&mut self, payload: EventPayload) -> DtmfPacket {
        let marker = !self.marker_sent;
        self.marker_sent = true;
        DtmfPacket { marker, timestamp: self.seg_start(), payload, retransmission: false }
    }
}

/// The repeat of a final packet: same timestamp and report, no marker (RFC 4733 §2.5.1.4).
fn repeat_of(packet: DtmfPacket) -> DtmfPacket {
    DtmfPacket { marker: false, retransmission: true, ..packet }
}
