//! Which stream a packet belongs to and where it sits: sequence numbers extended as in RFC 3550
//! Appendix A.1, timestamps unwrapped and mapped onto the buffer's media timeline (output
//! samples), duplicate detection, and the counts RTCP reception reports need (RFC 3550 A.3).

use super::RtpFrame;

/// A forward sequence step at least this large is a jump, not loss (RFC 3550 A.1 `MAX_DROPOUT`).
const MAX_DROPOUT: u16 = 3000;
/// How far behind the highest sequence number a packet may be and still count as reordered.
/// RFC 3550 A.1 uses 100; we allow more because a late packet is counted, not believed a restart.
const MAX_MISORDER: u16 = 1000;
/// Sequence numbers remembered for duplicate detection, below the highest.
const SEEN_WINDOW: u64 = 1024;
/// Offset of the first extended sequence number, so reordering before it never underflows.
const EXT_BASE: u64 = 1 << 32;
/// A timestamp jump is bridged by sequence number across at most this many packets.
const MAX_CONTINUATION_STEPS: u64 = 50;
/// Media positions are clamped to ±2^60 samples so sums of a few never overflow.
const MEDIA_LIMIT: i128 = 1 << 60;

/// Which timestamp mapping a packet was placed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Current,
    Previous,
}

/// Where an accepted packet sits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Located {
    /// Stream generation.
    pub gen: u32,
    /// Extended sequence number.
    pub seq: u64,
    /// Position of its first sample on the media timeline.
    pub media: i64,
    /// Whether it carries the highest sequence number seen so far in its stream.
    pub newest: bool,
    /// RTP clock rate of the timestamp mapping it was placed with.
    pub clock_rate: u32,
    which: Which,
    ext_ts: i64,
}

/// A packet held until the next one confirms the stream it starts.
#[derive(Debug)]
pub(crate) struct HeldPacket {
    pub frame: RtpFrame,
    /// Its arrival time in output samples.
    pub t: i64,
}

/// What [`StreamTracker::classify`] makes of a packet.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// The very first packet: call [`StreamTracker::start`].
    Start,
    /// A confirmed new stream: start it with the held packet, then classify again.
    Restart(HeldPacket),
    /// Accepted into the current stream.
    Fresh(Located),
    /// Its sequence number already arrived.
    Duplicate,
    /// Too old to place: far behind the current stream, or from a stream already left.
    TooOld,
    /// Held as a possible new stream; `replaced` tells whether an earlier candidate was dropped.
    Held { replaced: bool },
}

/// One timestamp mapping: timestamps unwrapped relative to the packet that started it.
#[derive(Debug, Clone)]
struct Epoch {
    first_seq: u64,
    ref_seq: u64,
    ref_ts: u32,
    ref_ext: i64,
    media_base: i64,
    clock_rate: u32,
    ts_per_seq: Option<i64>,
}

impl Epoch {
    fn new(seq: u64, ts: u32, media: i64, clock_rate: u32) -> Self {
        Self { first_seq: seq, ref_seq: seq, ref_ts: ts, ref_ext: 0, media_base: media, clock_rate, ts_per_seq: None }
    }

    /// `ts` unwrapped against the newest packet placed so far.
    fn extend(&self, ts: u32) -> i64 {
        self.ref_ext.saturating_add(i64::from(ts.wrapping_sub(self.ref_ts) as i32))
    }

    fn media(&self, ext_ts: i64, rate: u32) -> i64 {
        let scaled = i128::from(ext_ts) * i128::from(rate) / i128::from(self.clock_rate.max(1));
        let media = i128::from(self.media_base) + scaled;
        media.clamp(-MEDIA_LIMIT, MEDIA_LIMIT) as i64
    }

    fn commit(&mut self, seq: u64, ts: u32, ext_ts: i64) {
        if seq <= self.ref_seq {
            return;
        }
        let step = ext_ts.saturating_sub(self.ref_ext);
        if seq == self.ref_seq + 1 && step > 0 && step <= i64::from(self.clock_rate) {
            self.ts_per_seq = Some(step);
        }
        (self.ref_seq, self.ref_ts, self.ref_ext) = (seq, ts, ext_ts);
    }
}

/// The state of one stream (one SSRC and sequence run).
#[derive(Debug)]
struct Stream {
    ssrc: u32,
    gen: u32,
    max_seq: u64,
    min_seq: u64,
    unique: u64,
    seen: [u64; (SEEN_WINDOW / 64) as usize],
    epoch: Epoch,
    prev: Option<Epoch>,
}

impl Stream {
    /// Extends `seq` against the highest sequence number (RFC 3550 A.1), or `None` for a jump.
    fn extend(&self, seq: u16) -> Option<u64> {
        let delta = seq.wrapping_sub(self.max_seq as u16);
        if delta < MAX_DROPOUT {
            Some(self.max_seq + u64::from(delta))
        } else if delta > u16::MAX - MAX_MISORDER {
            self.max_seq.checked_sub(65536 - u64::from(delta))
        } else {
            None
        }
    }

    fn bit(seq: u64) -> (usize, u64) {
        let index = (seq % SEEN_WINDOW) as usize;
        (index / 64, 1 << (index % 64))
    }

    fn is_seen(&self, seq: u64) -> bool {
        if seq > self.max_seq {
            return false;
        }
        let (word, mask) = Self::bit(seq);
        self.seen[word] & mask != 0
    }

    fn mark_seen(&mut self, seq: u64) {
        if seq > self.max_seq {
            if seq - self.max_seq >= SEEN_WINDOW {
                self.seen = [0; (SEEN_WINDOW / 64) as usize];
            } else {
                for cleared in self.max_seq + 1..seq {
                    let (word, mask) = Self::bit(cleared);
                    self.seen[word] &= !mask;
                }
            }
            self.max_seq = seq;
        }
        let (word, mask) = Self::bit(seq);
        self.seen[word] |= mask;
    }

    /// Places a packet whose sequence number extended to `seq`.
    fn locate(&mut self, seq: u64, ts: u32, rate: u32) -> Verdict {
        if seq + SEEN_WINDOW <= self.max_seq {
            return Verdict::TooOld;
        }
        if self.is_seen(seq) {
            return Verdict::Duplicate;
        }
        let newest = seq > self.max_seq;
        self.mark_seen(seq);
        self.unique += 1;
        self.min_seq = self.min_seq.min(seq);
        let (which, epoch) = match &self.prev {
            Some(prev) if seq < self.epoch.first_seq => (Which::Previous, prev),
            _ => (Which::Current, &self.epoch),
        };
        let ext_ts = epoch.extend(ts);
        let media = epoch.media(ext_ts, rate);
        let clock_rate = epoch.clock_rate;
        Verdict::Fresh(Located { gen: self.gen, seq, media, newest, clock_rate, which, ext_ts })
    }
}

/// Loss and sequence counts for RTCP reception reports (RFC 3550 A.3).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    /// Packets expected from the sequence number ranges seen, summed over streams.
    pub expected: u64,
    /// Distinct packets received, summed over streams.
    pub unique: u64,
    /// The current stream's highest sequence number with its wrap count in the high 16 bits.
    pub extended_highest: u32,
    /// The current stream's SSRC.
    pub ssrc: Option<u32>,
}

/// Tracks the call's current stream and candidates for the next one.
#[derive(Debug)]
pub(crate) struct StreamTracker {
    rate: u32,
    stream: Option<Stream>,
    probation: Option<HeldPacket>,
    retired: Option<(u32, u16)>,
    next_gen: u32,
    finished_expected: u64,
    finished_unique: u64,
}

impl StreamTracker {
    pub(crate) fn new(rate: u32) -> Self {
        Self {
            rate,
            stream: None,
            probation: None,
            retired: None,
            next_gen: 0,
            finished_expected: 0,
            finished_unique: 0,
        }
    }

    /// Decides what `frame`, arriving at `t`, is. Packets of the current stream are placed;
    /// anything else is held as a possible new stream until a second packet in sequence from the
    /// same SSRC confirms it (RFC 3550 A.1 probation); a packet of the current stream in between
    /// cancels the candidate, so two interleaved sources never flap.
    pub(crate) fn classify(&mut self, frame: &RtpFrame, t: i64) -> Verdict {
        let Some(stream) = self.stream.as_mut() else {
            return Verdict::Start;
        };
        let seq = if frame.ssrc == stream.ssrc { stream.extend(frame.seq) } else { None };
        let Some(seq) = seq else {
            return self.stranger(frame, t);
        };
        self.probation = None;
        stream.locate(seq, frame.timestamp, self.rate)
    }

    fn stranger(&mut self, frame: &RtpFrame, t: i64) -> Verdict {
        if let Some((ssrc, max_seq)) = self.retired {
            if frame.ssrc == ssrc && max_seq.wrapping_sub(frame.seq) < MAX_MISORDER {
                return Verdict::TooOld;
            }
        }
        let confirms = self
            .probation
            .as_ref()
            .is_some_and(|held| held.frame.ssrc == frame.ssrc && frame.seq == held.frame.seq.wrapping_add(1));
        if confirms {
            if let Some(held) = self.probation.take() {
                return Verdict::Restart(held);
            }
        }
        let replaced = self.probation.replace(HeldPacket { frame: frame.clone(), t }).is_some();
        Verdict::Held { replaced }
    }

    /// Starts a new stream (generation) with `frame`, whose first sample goes to `media`.
    pub(crate) fn start(&mut self, frame: &RtpFrame, media: i64, clock_rate: u32) -> Located {
        if let Some(old) = self.stream.take() {
            self.finished_expected += old.max_seq - old.min_seq + 1;
            self.finished_unique += old.unique;
            self.retired = Some((old.ssrc, old.max_seq as u16));
        }
        self.probation = None;
        let gen = self.next_gen;
        self.next_gen = self.next_gen.saturating_add(1);
        let seq = EXT_BASE + u64::from(frame.seq);
        let epoch = Epoch::new(seq, frame.timestamp, media, clock_rate);
        let mut stream = Stream {
            ssrc: frame.ssrc,
            gen,
            max_seq: seq,
            min_seq: seq,
            unique: 1,
            seen: [0; (SEEN_WINDOW / 64) as usize],
            epoch,
            prev: None,
        };
        stream.mark_seen(seq);
        self.stream = Some(stream);
        Located { gen, seq, media, newest: true, clock_rate, which: Which::Current, ext_ts: 0 }
    }

    /// Records `located` (with RTP timestamp `ts`) as placed by the mapping it was placed with.
    pub(crate) fn commit(&mut self, located: &Located, ts: u32) {
        let Some(stream) = self.stream.as_mut().filter(|stream| stream.gen == located.gen) else {
            return;
        };
        let epoch = match (&mut stream.prev, located.which) {
            (Some(prev), Which::Previous) => prev,
            _ => &mut stream.epoch,
        };
        epoch.commit(located.seq, ts, located.ext_ts);
    }

    /// Starts a new timestamp mapping at `located`, whose first sample goes to `media`; packets
    /// from before it keep the old mapping.
    pub(crate) fn rebase(&mut self, located: &Located, ts: u32, media: i64, clock_rate: u32) {
        let Some(stream) = self.stream.as_mut().filter(|stream| stream.gen == located.gen) else {
            return;
        };
        let mut epoch = Epoch::new(located.seq, ts, media, clock_rate);
        if stream.epoch.clock_rate == clock_rate {
            epoch.ts_per_seq = stream.epoch.ts_per_seq;
        }
        stream.prev = Some(std::mem::replace(&mut stream.epoch, epoch));
    }

    /// Where packet `seq` would start if it continued the newest packet of the current mapping
    /// with the usual timestamp step per packet; `None` when that step is unknown or the gap is
    /// too long to trust.
    pub(crate) fn continuation(&self, seq: u64) -> Option<i64> {
        let epoch = &self.stream.as_ref()?.epoch;
        let steps = seq.checked_sub(epoch.ref_seq).filter(|steps| (1..=MAX_CONTINUATION_STEPS).contains(steps))?;
        let ticks = epoch.ts_per_seq?.checked_mul(i64::try_from(steps).ok()?)?;
        Some(epoch.media(epoch.ref_ext.saturating_add(ticks), self.rate))
    }

    /// The RTP clock rate of the current mapping.
    pub(crate) fn clock_rate(&self) -> Option<u32> {
        self.stream.as_ref().map(|stream| stream.epoch.clock_rate)
    }

    pub(crate) fn counts(&self) -> Counts {
        let mut counts = Counts { expected: self.finished_expected, unique: self.finished_unique, ..Counts::default() };
        if let Some(stream) = &self.stream {
            counts.expected += stream.max_seq - stream.min_seq + 1;
            counts.unique += stream.unique;
            counts.extended_highest = (stream.max_seq - EXT_BASE) as u32;
            counts.ssrc = Some(stream.ssrc);
        }
        counts
    }
}
