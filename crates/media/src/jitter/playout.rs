//! Playout: turns buffered packets into exactly the samples the device asks for.
//!
//! The signal is one buffer: samples already played (kept as history for concealment and
//! time-scaling) followed by samples decoded but not yet played. Two modes:
//!
//! - **Silent** (before the first packet, after a pause or a long loss): silence is emitted until
//!   the next packet is due at the target delay, then it starts at that exact sample, so a
//!   talkspurt always begins at the target and a clean network plays bit-exact.
//! - **Playing**: packets are decoded in sequence order. A missing packet is concealed for as
//!   long as the gap in media time when a later packet is already here (loss), or with time
//!   stretched (the media timeline not advancing) when nothing is here (so a delay spike costs
//!   no audio); the stretch is credited against the gap once a later packet shows which one is
//!   missing. After each decoded packet the delay is compared with the target and one pitch
//!   period is removed or repeated when it strays beyond the hysteresis (10 ms or a quarter of
//!   the target above, 5 ms below): only where the audio is periodic or quiet, unless the delay
//!   is more than 30 ms beyond.
//!
//! The playout delay is measured against the delay estimator's reference: media position `m` is
//! "due" at `m + reference`, the time the fastest recent packets would bring it, and the delay is
//! how long after that it plays.

use super::delay::DelayEstimator;
use super::packets::{Key, PacketBuffer};
use super::plc::Concealer;
use super::{pitch, tsm, Decoders, JitterStats};

/// A packet that follows the last one in sequence may start this late in media time and still
/// be played straight on; more is a pause in the sender's audio.
const TOLERANCE_MS: i64 = 1;
/// Accelerate when the delay exceeds the target by this much, or by a quarter of the target.
const UPPER_MS: i64 = 10;
/// Expand when the delay falls this much below the target.
const LOWER_MS: i64 = 5;
/// Beyond the hysteresis by this much, time-scale even where it may be heard.
const URGENT_MS: i64 = 30;
/// Above the maximum delay by this much while playing, fade out and restart at the target.
const OVERSHOOT_MS: i64 = 100;
/// Mean square below which audio is quiet enough to time-scale anywhere (about -40 dBFS).
const QUIET: f64 = 330.0 * 330.0;
/// The codec's own concealment is used for at most this long, then ours fades out.
const CODEC_CONCEAL_MS: i64 = 60;
/// Fade-in when audio restarts after a pause or stream change.
const RESTART_FADE_MS: i64 = 2;
/// Shortest pitch period searched, in tenths of a ms (2.5 ms: 400 Hz).
const MIN_LAG_TENTHS: u32 = 25;
/// Longest pitch period searched, in tenths of a ms (15 ms: 67 Hz).
const MAX_LAG_TENTHS: u32 = 150;

/// What one pull sees of the rest of the buffer.
pub(crate) struct Ctx<'a> {
    /// Now, in output samples.
    pub t: i64,
    /// Target delay in samples.
    pub target: i64,
    /// Maximum delay in samples (at least the target).
    pub max_delay: i64,
    pub packets: &'a mut PacketBuffer,
    pub decoders: &'a mut Decoders,
    pub delay: &'a DelayEstimator,
    pub stats: &'a mut JitterStats,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Audio was lost or is late: conceal it, and count it.
    Loss,
    /// The sender paused or the stream changed: fade out.
    Fade,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Advance {
    /// The synthetic samples stand for media that will never play (a known gap).
    Media,
    /// The synthetic samples add delay (nothing to play yet).
    Delay,
}

enum Next {
    Decode,
    Skip,
    Conceal { max: i64, advance: Advance, kind: Kind },
}

/// The playout state of one call.
#[derive(Debug)]
pub(crate) struct Playout {
    rate: u32,
    min_lag: usize,
    max_lag: usize,
    history: usize,
    signal: Vec<i16>,
    play_idx: usize,
    playing: bool,
    next_media: i64,
    last: Option<Key>,
    last_payload_type: u8,
    plc: Concealer,
    concealing: bool,
    codec_concealed: i64,
    uncredited: i64,
    fade_in: usize,
    pause: bool,
    last_delay: Option<i64>,
    max_delay: i64,
}

impl Playout {
    pub(crate) fn new(rate: u32) -> Self {
        let min_lag = (rate * MIN_LAG_TENTHS / 10_000) as usize;
        let max_lag = (rate * MAX_LAG_TENTHS / 10_000) as usize;
        let plc = Concealer::new(rate, min_lag, max_lag);
        Self {
            rate,
            min_lag,
            max_lag,
            history: plc.history().max(2 * max_lag),
            signal: Vec::new(),
            play_idx: 0,
            playing: false,
            next_media: 0,
            last: None,
            last_payload_type: 0,
            plc,
            concealing: false,
            codec_concealed: 0,
            uncredited: 0,
            fade_in: 0,
            pause: false,
            last_delay: None,
            max_delay: 0,
        }
    }

    fn ms(&self, ms: i64) -> i64 {
        ms * i64::from(self.rate) / 1000
    }

    /// Samples decoded and not yet played.
    pub(crate) fn pending(&self) -> usize {
        self.signal.len() - self.play_idx
    }

    /// Whether packet `seq` of generation `gen` comes at or before the last one played.
    pub(crate) fn is_late(&self, gen: u32, seq: u64) -> bool {
        self.last.is_some_and(|last| (gen, seq) <= last)
    }

    /// Playout delay at the start of the last pull, while playing.
    pub(crate) fn last_delay(&self) -> Option<i64> {
        self.last_delay
    }

    /// Highest playout delay seen.
    pub(crate) fn max_delay(&self) -> i64 {
        self.max_delay
    }

    /// Fills `out` with the next samples to play.
    pub(crate) fn pull(&mut self, ctx: &mut Ctx<'_>, out: &mut [i16]) {
        let need = out.len();
        self.last_delay = self.current_delay(ctx);
        if let Some(delay) = self.last_delay {
            self.max_delay = self.max_delay.max(delay);
        }
        // Every step plays a packet, emits samples or switches mode; the budget only guards
        // against a bug turning into a hang.
        let mut budget = 3 * (need + ctx.packets.len()) + 16;
        while self.pending() < need && budget > 0 {
            budget -= 1;
            if self.playing {
                self.step_playing(ctx, need);
            } else {
                self.step_silent(ctx, need);
            }
        }
        if self.pending() < need {
            self.signal.resize(self.play_idx + need, 0);
        }
        out.copy_from_slice(&self.signal[self.play_idx..self.play_idx + need]);
        self.play_idx += need;
        if self.play_idx > 2 * self.history {
            let played = self.play_idx - self.history;
            self.signal.drain(..played);
            self.play_idx -= played;
        }
    }

    /// How long after its due time the next sample plays, while playing.
    fn current_delay(&self, ctx: &Ctx<'_>) -> Option<i64> {
        if !self.playing {
            return None;
        }
        let reference = ctx.delay.reference()?;
        let play_point = self.next_media.saturating_sub(self.pending() as i64);
        Some(ctx.t.saturating_sub(reference).saturating_sub(play_point))
    }

    fn silence(&mut self, n: usize) {
        self.signal.resize(self.signal.len() + n, 0);
    }

    fn step_silent(&mut self, ctx: &mut Ctx<'_>, need: usize) {
        let want = need - self.pending();
        let Some(head) = ctx.packets.first() else {
            return self.silence(want);
        };
        if !head.audio {
            return self.skip_head(ctx);
        }
        let reference = ctx.delay.reference().unwrap_or(0);
        let due = head.media.saturating_add(reference).saturating_add(ctx.target);
        let at = ctx.t.saturating_add(self.pending() as i64);
        if due > at {
            return self.silence(want.min(usize::try_from(due - at).unwrap_or(usize::MAX)));
        }
        if at.saturating_sub(due) > ctx.max_delay - ctx.target {
            let key = head.key();
            ctx.packets.pop_first();
            self.last = Some(key);
            ctx.stats.late_discarded += 1;
            return;
        }
        // The next packet in sequence after a gap in media time starts a talkspurt: the sender
        // paused, so its audio starts from its own silence and needs no fade-in.
        let talkspurt = self.last.is_some_and(|(gen, seq)| head.key() == (gen, seq + 1))
            && (head.marker || head.media > self.next_media.saturating_add(self.ms(TOLERANCE_MS)));
        if talkspurt {
            self.fade_in = 0;
        }
        self.playing = true;
        self.next_media = head.media;
        self.decode_head(ctx);
    }

    fn step_playing(&mut self, ctx: &mut Ctx<'_>, need: usize) {
        if self.plc.is_active() && self.plc.is_silent() {
            return self.go_silent();
        }
        let want = (need - self.pending()) as i64;
        let overshot = self.current_delay(ctx).is_some_and(|d| d > ctx.max_delay + self.ms(OVERSHOOT_MS));
        let next = if overshot {
            Next::Conceal { max: i64::MAX, advance: Advance::Delay, kind: Kind::Fade }
        } else {
            self.decide(ctx)
        };
        match next {
            Next::Decode => self.decode_head(ctx),
            Next::Skip => self.skip_head(ctx),
            Next::Conceal { max, advance: Advance::Media, kind: Kind::Loss } if self.fec(ctx, max) => {}
            Next::Conceal { max, advance, kind } => self.conceal(ctx, want.min(max) as usize, advance, kind),
        }
    }

    /// What to do next while playing, looking at the next packet in sequence order.
    fn decide(&mut self, ctx: &Ctx<'_>) -> Next {
        let (Some(last), Some(head)) = (self.last, ctx.packets.first()) else {
            let kind = if self.pause { Kind::Fade } else { Kind::Loss };
            return Next::Conceal { max: i64::MAX, advance: Advance::Delay, kind };
        };
        if head.gen != last.0 {
            return Next::Conceal { max: i64::MAX, advance: Advance::Delay, kind: Kind::Fade };
        }
        if !head.audio {
            return Next::Skip;
        }
        let successor = head.seq == last.1 + 1;
        let gap = head.media.saturating_sub(self.next_media);
        // Stretching done while nothing was here stands for (part of) the gap now known.
        let credit = self.uncredited.min(gap.max(0));
        self.next_media = self.next_media.saturating_add(credit);
        self.uncredited = 0;
        let gap = gap - credit;
        let tolerance = if successor { self.ms(TOLERANCE_MS) } else { 0 };
        if gap <= tolerance {
            return Next::Decode;
        }
        // A gap after the packet in sequence is the sender's pause; a marker says the missing
        // packets ended a talkspurt: fade either out rather than conceal it as speech.
        let kind = if successor || head.marker { Kind::Fade } else { Kind::Loss };
        Next::Conceal { max: gap, advance: Advance::Media, kind }
    }

    fn skip_head(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(packet) = ctx.packets.pop_first() {
            self.last = Some(packet.key());
            self.pause = true;
        }
    }

    fn go_silent(&mut self) {
        self.playing = false;
        self.fade_in = if self.plc.is_fading() { self.ms(RESTART_FADE_MS) as usize } else { self.plc.merge_len() };
        self.plc.stop();
        self.uncredited = 0;
        self.concealing = false;
    }

    fn conceal(&mut self, ctx: &mut Ctx<'_>, n: usize, advance: Advance, kind: Kind) {
        let start = self.signal.len();
        if kind == Kind::Fade || !self.codec_conceal(ctx, n) {
            if !self.plc.is_active() {
                self.plc.start(&self.signal, self.next_media);
                if self.codec_concealed > 0 {
                    // Taking over from the codec's concealment: only fade it out.
                    self.plc.begin_fade();
                }
            }
            if kind == Kind::Fade {
                self.plc.begin_fade();
            }
            self.plc.generate(n, &mut self.signal);
        }
        let produced = (self.signal.len() - start) as i64;
        if kind == Kind::Loss {
            if !self.concealing {
                ctx.stats.concealment_events += 1;
                self.concealing = true;
            }
            ctx.stats.concealed_samples += produced as u64;
        }
        match advance {
            Advance::Media => self.next_media = self.next_media.saturating_add(produced),
            Advance::Delay => self.uncredited = self.uncredited.saturating_add(produced),
        }
    }

    /// Rebuilds a known gap of `gap` samples before the next packet from that packet's
    /// forward error correction (Opus in-band FEC, RFC 7587 §3.3), when the codec carries it and
    /// the gap is short; the next packet is then decoded as usual.
    fn fec(&mut self, ctx: &mut Ctx<'_>, gap: i64) -> bool {
        if self.plc.is_active() || self.codec_concealed > 0 || gap <= 0 || gap > self.ms(CODEC_CONCEAL_MS) {
            return false;
        }
        let Some(head) = ctx.packets.first() else { return false };
        if !head.audio || head.payload_type != self.last_payload_type {
            return false;
        }
        let payload = head.payload.clone();
        let Some(decoder) = ctx.decoders.get_mut(self.last_payload_type) else { return false };
        let start = self.signal.len();
        if !decoder.decode_fec(&payload, gap as usize, &mut self.signal) || self.signal.len() == start {
            self.signal.truncate(start);
            return false;
        }
        let produced = (self.signal.len() - start) as i64;
        ctx.stats.fec_recovered_samples += produced as u64;
        self.next_media = self.next_media.saturating_add(produced);
        self.codec_concealed += produced;
        true
    }

    /// Lets the codec conceal, if it can and has not done so for too long already.
    fn codec_conceal(&mut self, ctx: &mut Ctx<'_>, n: usize) -> bool {
        if self.plc.is_active() || self.codec_concealed >= self.ms(CODEC_CONCEAL_MS) {
            return false;
        }
        let Some(decoder) = ctx.decoders.get_mut(self.last_payload_type) else {
            return false;
        };
        let start = self.signal.len();
        if decoder.conceal(n, &mut self.signal) && self.signal.len() > start {
            self.codec_concealed += (self.signal.len() - start) as i64;
            true
        } else {
            self.signal.truncate(start);
            false
        }
    }

    /// Decodes the next packet, then steers the delay if it strayed.
    fn decode_head(&mut self, ctx: &mut Ctx<'_>) {
        if self.decode_packet(ctx) {
            self.time_scale(ctx);
        }
    }

    /// Decodes the next packet into the signal; returns whether it went straight on from the
    /// audio before (no overlap-add out of concealment, no fade-in), so it may be time-scaled.
    fn decode_packet(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let Some(packet) = ctx.packets.pop_first() else {
            return false;
        };
        let start = self.signal.len();
        let decoded = match ctx.decoders.get_mut(packet.payload_type) {
            Some(decoder) => decoder.decode(&packet.payload, &mut self.signal).is_ok(),
            None => false,
        };
        if !decoded {
            self.signal.truncate(start);
            ctx.stats.decode_errors += 1;
            return false;
        }
        ctx.stats.packets_decoded += 1;
        self.last_payload_type = packet.payload_type;
        let len = (self.signal.len() - start) as i64;
        if len == 0 {
            return false;
        }
        // Only a packet that yielded audio moves `last`: one that did not is a gap, concealed
        // as loss when the next packet comes.
        self.last = Some(packet.key());
        self.pause = false;
        let blended = self.enter_real_audio(start, packet.media);
        self.next_media = packet.media.saturating_add(len);
        self.uncredited = 0;
        self.concealing = false;
        self.codec_concealed = 0;
        !blended
    }

    /// Whether the next packet continues the audio just decoded, with no gap.
    fn next_is_contiguous(&self, ctx: &Ctx<'_>) -> bool {
        let (Some((gen, seq)), Some(head)) = (self.last, ctx.packets.first()) else {
            return false;
        };
        let gap = head.media.saturating_sub(self.next_media);
        head.audio && head.key() == (gen, seq + 1) && gap.abs() <= self.ms(TOLERANCE_MS) && !self.plc.is_active()
    }

    /// Overlap-adds the freshly decoded samples from `start` with the continuation of the
    /// concealment, or fades them in after silence; returns whether it did either.
    fn enter_real_audio(&mut self, start: usize, media: i64) -> bool {
        let decoded = self.signal.len() - start;
        if self.plc.is_active() {
            let len = self.plc.merge_len().min(decoded);
            // After stretching, the synthetic phase need not match the packet's start: skip up
            // to one period of the packet to line them up.
            let misaligned = self.plc.media() != Some(media);
            let max_skip = if misaligned { self.plc.period().min(decoded - len) } else { 0 };
            let mut lead = Vec::with_capacity(len);
            self.plc.generate(len, &mut lead);
            let skip = tsm::best_offset(&lead, &self.signal[start..], max_skip);
            self.signal.drain(start..start + skip);
            tsm::crossfade(&mut self.signal[start..start + len], &lead);
            self.plc.stop();
            return true;
        }
        if self.fade_in > 0 {
            let len = self.fade_in.min(decoded);
            tsm::fade_in(&mut self.signal[start..start + len]);
            self.fade_in = 0;
            return true;
        }
        false
    }

    /// Steers the delay toward the target by one pitch period, if it strayed.
    fn time_scale(&mut self, ctx: &mut Ctx<'_>) {
        let Some(delay) = self.current_delay(ctx) else {
            return;
        };
        let upper = self.ms(UPPER_MS).max(ctx.target / 4);
        let urgent = self.ms(URGENT_MS);
        let excess = delay.saturating_sub(ctx.target);
        if excess > upper {
            self.accelerate(ctx, excess, excess > upper + urgent);
        } else if excess < -self.ms(LOWER_MS) {
            self.expand(ctx, upper.saturating_sub(excess), excess < -urgent);
        }
    }

    /// A pitch search over lags up to `max`, comparing stretches of at least `window` samples
    /// (a whole longest period where the signal at hand allows).
    fn search(&self, max: usize, window: usize) -> pitch::Search {
        let window = window.min(self.max_lag);
        pitch::Search { min: self.min_lag, max: self.max_lag.min(max), window, rate: self.rate }
    }

    fn accelerate(&mut self, ctx: &mut Ctx<'_>, excess: i64, urgent: bool) {
        // Two of the longest pitch periods must fit; look one packet ahead if they do not.
        if self.pending() < 2 * self.max_lag && self.next_is_contiguous(ctx) {
            self.decode_packet(ctx);
        }
        let at = self.play_idx;
        let region = &self.signal[at..];
        // Removing a period may overshoot the target by up to the lower hysteresis.
        let allowed = usize::try_from(excess + self.ms(LOWER_MS) - 1).unwrap_or(0).min(region.len() / 2);
        let search = self.search(allowed, region.len() / 2);
        let Some((lag, corr)) = pitch::best_lag(region, &search, |_, _| Some(0)) else {
            return;
        };
        let quiet = tsm::mean_square(&region[..2 * lag]) < QUIET;
        if (corr >= pitch::VOICED || quiet || urgent) && tsm::accelerate(&mut self.signal, at, lag) {
            ctx.stats.accelerate_events += 1;
            ctx.stats.accelerated_samples += lag as u64;
        }
    }

    fn expand(&mut self, ctx: &mut Ctx<'_>, room: i64, urgent: bool) {
        let at = self.play_idx;
        let max = self.max_lag.min(usize::try_from(room).unwrap_or(0)).min(at);
        let end = self.signal.len().min(at + max.max(self.max_lag));
        // The period before `at` against the one from `at` on.
        let window = &self.signal[at - max..end];
        let search = self.search(max, end - at);
        let Some((lag, corr)) = pitch::best_lag(window, &search, |lag, _| max.checked_sub(lag)) else {
            return;
        };
        let quiet = tsm::mean_square(&window[max - lag..(max + lag).min(window.len())]) < QUIET;
        if (corr >= pitch::VOICED || quiet || urgent) && tsm::expand(&mut self.signal, at, lag) {
            ctx.stats.expand_events += 1;
            ctx.stats.expanded_samples += lag as u64;
        }
    }
}
