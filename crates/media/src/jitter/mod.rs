//! The receive path of one call's audio: RTP packets in, the PCM the sound device plays out.
//!
//! [`JitterBuffer`] does four jobs, all sans-IO (every call takes `now`; nothing reads a clock,
//! nothing draws randomness):
//!
//! 1. **Packet buffer** ([`JitterBuffer::push`]). Sequence numbers are extended to 64 bits the
//!    way RFC 3550 Appendix A.1 extends them to 32 (reordering, wraparound at 65535); a jump of
//!    3000 or more ahead or 1000 or more back, or a new SSRC, is believed only once a second
//!    packet in sequence confirms it, and then starts a new stream. Timestamps are unwrapped and mapped onto one media timeline
//!    in output samples. A newest packet whose timestamp is more than 250 ms ahead of its arrival
//!    time, or more than `max_delay` + 100 ms behind it (a sender that jumped its timestamp),
//!    re-anchors the timeline, continuing from the previous packet by sequence number, so a jump
//!    causes neither a giant silence nor a giant buffer. Duplicates and packets whose turn has
//!    passed are dropped and counted. The buffer holds at most [`JitterConfig::max_packets`]
//!    packets and [`JitterConfig::max_bytes`] payload bytes, evicting the oldest (the next to
//!    play) when a flood exceeds either.
//! 2. **Adaptive delay**. RFC 3550 A.8 interarrival jitter is kept for reports. The playout
//!    target follows NetEQ's idea: each packet's *relative delay* (how much later it arrived than
//!    the fastest packet of the last two seconds) goes into a forgetting histogram; the target is
//!    its 97th percentile, or the highest of recurring delay peaks (two within 10 s), plus one
//!    device period and a 5 ms margin, clamped to `[min_delay, max_delay]`. It rises at once on
//!    recurring spikes, and comes down over tens of seconds as the histogram forgets.
//! 3. **Playout** ([`JitterBuffer::pull`]), in the PCM domain. A missing frame is concealed: by
//!    the codec for up to 60 ms when [`Decoder::conceal`] can, otherwise by our ITU-T G.711
//!    Appendix I style concealment (pitch repetition with overlap-add, attenuation from 10 ms,
//!    silence by 60 ms, overlap-add back into real audio). When the buffer runs dry, concealment
//!    *stretches* time instead of skipping it, so a packet held up by a delay spike still plays.
//!    The actual delay is steered toward the target by WSOLA-style accelerate and expand
//!    (removing or repeating one pitch period with a cross-fade, in periodic or quiet stretches
//!    unless the delay is far off) and, in silences (before the first packet, at a talkspurt
//!    after the sender's silence, after a long loss), by starting the next packet exactly at the
//!    target delay. The same steering absorbs clock drift between sender and sound device.
//! 4. **Statistics** ([`JitterBuffer::stats`]) for RTCP reception reports and the end-of-call
//!    quality line.
//!
//! # Decoders and payload types
//!
//! The buffer owns one [`Decoder`] per RTP payload type, registered with
//! [`JitterBuffer::set_decoder`] together with the payload format's RTP clock rate (RFC 3551
//! §4.5: 8000 for G.722 although it decodes to 16 kHz). Each packet is decoded by the decoder of
//! its own payload type, so the peer may switch payload types mid-call; a switch to a different
//! clock rate re-anchors the timeline. Every decoder must yield PCM at the buffer's output rate
//! ([`JitterConfig::sample_rate`]); resampling, if a call needs it, wraps the decoder.
//!
//! Push *every* RTP packet of the call's stream, including payload types without a decoder
//! (RFC 4733 events, RFC 3389 comfort noise): they are not played but keep the loss count right
//! and mark a pause in the audio, which fades to silence instead of being concealed as loss.
//!
//! # Example
//!
//! ```
//! use std::time::{Duration, Instant};
//!
//! use media::codec::{DecodeError, Decoder};
//! use media::jitter::{JitterBuffer, JitterConfig, RtpFrame};
//!
//! /// L16 big-endian PCM (RFC 3551 §4.5.11).
//! struct L16;
//! impl Decoder for L16 {
//!     fn sample_rate(&self) -> u32 {
//!         8000
//!     }
//!     fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), DecodeError> {
//!         out.extend(payload.chunks_exact(2).map(|b| i16::from_be_bytes([b[0], b[1]])));
//!         Ok(())
//!     }
//! }
//!
//! let mut jb = JitterBuffer::new(JitterConfig::new(8000)).unwrap();
//! jb.set_decoder(96, 8000, Box::new(L16)).unwrap();
//! let t0 = Instant::now();
//! let mut out = [0i16; 160];
//! for k in 0..10u16 {
//!     let now = t0 + Duration::from_millis(20 * u64::from(k));
//!     let payload = vec![0x10; 320];
//!     let timestamp = 160 * u32::from(k);
//!     jb.push(now, RtpFrame { seq: k, timestamp, ssrc: 1, marker: k == 0, payload_type: 96, payload });
//!     jb.pull(now, &mut out); // one 20 ms device period
//! }
//! assert_eq!(jb.stats().packets_received, 10);
//! ```

mod delay;
mod packets;
mod pitch;
mod playout;
mod plc;
mod stats;
mod stream;
mod tsm;

use std::fmt;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::codec::Decoder;
use delay::DelayEstimator;
use packets::{Packet, PacketBuffer};
use playout::{Ctx, Playout};
pub use stats::JitterStats;
use stream::{Located, StreamTracker, Verdict};

/// A newest packet whose timestamp is this far ahead of its arrival time (relative to the fastest
/// recent packet) re-anchors the timeline: no network makes a packet that much faster than the
/// fastest of the last two seconds, so the sender's timestamp jumped.
const JUMP_AHEAD: Duration = Duration::from_millis(250);
/// A newest packet whose timestamp is this much more than `max_delay` behind its arrival time
/// re-anchors the timeline: it could not play within the maximum delay anyway, and whether the
/// timestamp jumped back or the network delay stepped up for good, the packets after it are best
/// played from there on rather than discarded as late.
const JUMP_BEHIND_EXTRA: Duration = Duration::from_millis(100);
/// Delay assumed for the device period until the first [`JitterBuffer::pull`] tells it.
const DEFAULT_PERIOD: Duration = Duration::from_millis(20);

/// One received RTP packet, already parsed from the wire (RFC 3550 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpFrame {
    /// Sequence number, wrapping at 65535.
    pub seq: u16,
    /// Media timestamp in the payload format's RTP clock, wrapping at 2^32.
    pub timestamp: u32,
    /// Synchronization source of the stream.
    pub ssrc: u32,
    /// Marker bit: for audio, the first packet of a talkspurt (RFC 3551 §4.1).
    pub marker: bool,
    /// RTP payload type (7 bits; larger values are treated as having no decoder).
    pub payload_type: u8,
    /// The payload, without RTP header, CSRCs, extension or padding.
    pub payload: Vec<u8>,
}

/// How a [`JitterBuffer`] is sized. Start from [`JitterConfig::new`] and adjust fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JitterConfig {
    /// Rate of the PCM handed to the sound device, in Hz (8000..=192000); every decoder must
    /// decode to this rate.
    pub sample_rate: u32,
    /// Lowest playout delay the buffer aims for.
    pub min_delay: Duration,
    /// Highest playout delay the buffer aims for (at most 10 s); packets that would play later
    /// than this after a pause are discarded as late.
    pub max_delay: Duration,
    /// Most packets held at once (1..=1024).
    pub max_packets: usize,
    /// Most payload bytes held at once (at least 1).
    pub max_bytes: usize,
}

impl JitterConfig {
    /// A configuration for `sample_rate` Hz output with a 20–400 ms delay range and room for 512
    /// packets or 512 KiB of payload.
    pub fn new(sample_rate: u32) -> Self {
        Self {
            sample_rate,
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(400),
            max_packets: 512,
            max_bytes: 512 * 1024,
        }
    }
}

/// Why a [`JitterBuffer`] could not be built or configured: always a fault of our own caller.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum JitterError {
    /// The output sample rate is outside 8000..=192000 Hz.
    #[error("sample rate {rate} Hz is outside 8000..=192000")]
    UnsupportedSampleRate {
        /// The rate asked for, in Hz.
        rate: u32,
    },
    /// `min_delay` exceeds `max_delay`, or `max_delay` exceeds 10 s.
    #[error("delay range {min:?}..={max:?} is empty or longer than 10 s")]
    InvalidDelayRange {
        /// The configured minimum.
        min: Duration,
        /// The configured maximum.
        max: Duration,
    },
    /// The packet cap is outside 1..=1024 or the byte cap is zero.
    #[error("capacity of {packets} packets and {bytes} bytes is outside 1..=1024 packets or zero bytes")]
    InvalidCapacity {
        /// The configured packet cap.
        packets: usize,
        /// The configured byte cap.
        bytes: usize,
    },
    /// The payload type does not fit the 7-bit RTP field (RFC 3550 §5.1).
    #[error("payload type {payload_type} is not a 7-bit RTP payload type")]
    InvalidPayloadType {
        /// The payload type given.
        payload_type: u8,
    },
    /// The RTP clock rate is outside 1000..=192000 Hz.
    #[error("RTP clock rate {clock_rate} Hz is outside 1000..=192000")]
    InvalidClockRate {
        /// The clock rate given, in Hz.
        clock_rate: u32,
    },
    /// The decoder yields PCM at another rate than the buffer plays.
    #[error("decoder for payload type {payload_type} yields {decoder_rate} Hz but the buffer plays {output_rate} Hz")]
    SampleRateMismatch {
        /// The payload type the decoder was offered for.
        payload_type: u8,
        /// The decoder's [`Decoder::sample_rate`].
        decoder_rate: u32,
        /// The buffer's [`JitterConfig::sample_rate`].
        output_rate: u32,
    },
}

/// What [`JitterBuffer::push`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushOutcome {
    /// Buffered for playout (a flood past the caps may still evict it; see
    /// [`JitterStats::overflow_discarded`]).
    Buffered,
    /// Buffered as a pause marker: no decoder is registered for its payload type.
    NoDecoder,
    /// Dropped: a packet with this sequence number already arrived.
    Duplicate,
    /// Dropped: its turn to play has passed.
    Late,
    /// Held back: it would start a new stream (new SSRC, or a sequence jump per RFC 3550 A.1);
    /// the next packet in sequence from that stream confirms it and both are buffered.
    Held,
}

/// The decoder registered for one payload type.
struct Slot {
    decoder: Box<dyn Decoder + Send>,
    clock_rate: u32,
}

/// Decoders by payload type.
pub(crate) struct Decoders {
    slots: Vec<Option<Slot>>,
}

impl Decoders {
    fn new() -> Self {
        Self { slots: (0..128).map(|_| None).collect() }
    }

    /// The decoder for `payload_type`, if one is registered.
    pub(crate) fn get_mut(&mut self, payload_type: u8) -> Option<&mut (dyn Decoder + Send + 'static)> {
        self.slots.get_mut(usize::from(payload_type))?.as_mut().map(|slot| slot.decoder.as_mut())
    }

    fn clock_rate(&self, payload_type: u8) -> Option<u32> {
        self.slots.get(usize::from(payload_type))?.as_ref().map(|slot| slot.clock_rate)
    }
}

/// The buffer's sample clock: `now` as a count of output samples since the first call.
struct Clock {
    epoch: Option<Instant>,
    rate: u32,
}

impl Clock {
    fn samples(&mut self, now: Instant) -> i64 {
        let epoch = *self.epoch.get_or_insert(now);
        let nanos = now.saturating_duration_since(epoch).as_nanos();
        i64::try_from(nanos * u128::from(self.rate) / 1_000_000_000).unwrap_or(i64::MAX / 4)
    }
}

/// Converts a duration to output samples at `rate` Hz.
fn to_samples(duration: Duration, rate: u32) -> i64 {
    i64::try_from(duration.as_nanos() * u128::from(rate) / 1_000_000_000).unwrap_or(i64::MAX / 4)
}

/// The receive path of one call: RTP packets in, PCM for the sound device out. See the
/// [module documentation](self) for how it works.
pub struct JitterBuffer {
    rate: u32,
    min_delay: i64,
    max_delay: i64,
    clock: Clock,
    decoders: Decoders,
    tracker: StreamTracker,
    packets: PacketBuffer,
    delay: DelayEstimator,
    playout: Playout,
    stats: JitterStats,
    period: usize,
}

impl fmt::Debug for JitterBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JitterBuffer")
            .field("sample_rate", &self.rate)
            .field("buffered_packets", &self.packets.len())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl JitterBuffer {
    /// A buffer for one call, with no decoders registered yet.
    pub fn new(config: JitterConfig) -> Result<Self, JitterError> {
        let JitterConfig { sample_rate: rate, min_delay, max_delay, max_packets, max_bytes } = config;
        if !(8000..=192_000).contains(&rate) {
            return Err(JitterError::UnsupportedSampleRate { rate });
        }
        if min_delay > max_delay || max_delay > Duration::from_secs(10) {
            return Err(JitterError::InvalidDelayRange { min: min_delay, max: max_delay });
        }
        if !(1..=1024).contains(&max_packets) || max_bytes == 0 {
            return Err(JitterError::InvalidCapacity { packets: max_packets, bytes: max_bytes });
        }
        let (min_delay, max_delay) = (to_samples(min_delay, rate), to_samples(max_delay, rate));
        Ok(Self {
            rate,
            min_delay,
            max_delay,
            clock: Clock { epoch: None, rate },
            decoders: Decoders::new(),
            tracker: StreamTracker::new(rate),
            packets: PacketBuffer::new(max_packets, max_bytes),
            delay: DelayEstimator::new(rate, min_delay, max_delay),
            playout: Playout::new(rate),
            stats: JitterStats::default(),
            period: usize::try_from(to_samples(DEFAULT_PERIOD, rate)).unwrap_or(160),
        })
    }

    /// Registers `decoder` for RTP payload type `payload_type`, whose RTP clock runs at
    /// `clock_rate` Hz, replacing any decoder registered for it before.
    pub fn set_decoder(
        &mut self,
        payload_type: u8,
        clock_rate: u32,
        decoder: Box<dyn Decoder + Send>,
    ) -> Result<(), JitterError> {
        if payload_type > 127 {
            return Err(JitterError::InvalidPayloadType { payload_type });
        }
        if !(1000..=192_000).contains(&clock_rate) {
            return Err(JitterError::InvalidClockRate { clock_rate });
        }
        if decoder.sample_rate() != self.rate {
            let decoder_rate = decoder.sample_rate();
            return Err(JitterError::SampleRateMismatch { payload_type, decoder_rate, output_rate: self.rate });
        }
        self.decoders.slots[usize::from(payload_type)] = Some(Slot { decoder, clock_rate });
        Ok(())
    }

    /// Unregisters the decoder for `payload_type`; its packets become pause markers.
    pub fn remove_decoder(&mut self, payload_type: u8) {
        if let Some(slot) = self.decoders.slots.get_mut(usize::from(payload_type)) {
            *slot = None;
        }
    }

    /// Takes one packet that arrived at `now`. Never panics, whatever the peer sent.
    pub fn push(&mut self, now: Instant, frame: RtpFrame) -> PushOutcome {
        let t = self.clock.samples(now);
        self.stats.packets_received += 1;
        match self.tracker.classify(&frame, t) {
            Verdict::Start => {
                let clock_rate = self.clock_rate_for(frame.payload_type);
                let located = self.tracker.start(&frame, self.anchor(t), clock_rate);
                self.admit(t, frame, located)
            }
            Verdict::Restart(held) => {
                self.stats.resyncs += 1;
                let clock_rate = self.clock_rate_for(held.frame.payload_type);
                let located = self.tracker.start(&held.frame, self.anchor(held.t), clock_rate);
                self.admit(held.t, held.frame, located);
                match self.tracker.classify(&frame, t) {
                    Verdict::Fresh(located) => self.admit(t, frame, located),
                    other => self.reject(other),
                }
            }
            Verdict::Fresh(located) => self.admit(t, frame, located),
            other => self.reject(other),
        }
    }

    /// Fills `out` with the next `out.len()` samples for the device, at `now`; call it once per
    /// device period. The length may vary between calls; the last one is taken as the period.
    pub fn pull(&mut self, now: Instant, out: &mut [i16]) {
        let t = self.clock.samples(now);
        if !out.is_empty() {
            self.period = out.len();
        }
        let period = i64::try_from(self.period).unwrap_or(i64::MAX / 4);
        let target = self.delay.target(t, period);
        let mut ctx = Ctx {
            t,
            target,
            max_delay: self.max_delay.max(target),
            packets: &mut self.packets,
            decoders: &mut self.decoders,
            delay: &self.delay,
            stats: &mut self.stats,
        };
        self.playout.pull(&mut ctx, out);
    }

    /// Counters and delays so far, for RTCP and the end-of-call quality line.
    pub fn stats(&self) -> JitterStats {
        let mut stats = self.stats.clone();
        let counts = self.tracker.counts();
        stats.packets_expected = counts.expected;
        stats.packets_lost = counts.expected.saturating_sub(counts.unique);
        stats.extended_highest_seq = counts.extended_highest;
        stats.ssrc = counts.ssrc;
        let ms = |samples: i64| u32::try_from(samples.max(0) * 1000 / i64::from(self.rate)).unwrap_or(u32::MAX);
        let target = self.delay.last_target().unwrap_or(self.min_delay);
        stats.target_delay_ms = ms(target);
        stats.current_delay_ms = ms(self.playout.last_delay().unwrap_or(target));
        stats.max_delay_ms = ms(self.playout.max_delay());
        stats.concealed_ms = stats.concealed_samples * 1000 / u64::from(self.rate);
        let clock_rate = self.tracker.clock_rate().unwrap_or(self.rate);
        stats.interarrival_jitter = self.delay.jitter_ticks(clock_rate);
        stats
    }

    /// Packets buffered and not yet played.
    pub fn buffered_packets(&self) -> usize {
        self.packets.len()
    }

    /// Payload bytes buffered and not yet played.
    pub fn buffered_bytes(&self) -> usize {
        self.packets.bytes()
    }

    /// Decoded samples waiting to be pulled (usually less than a device period).
    pub fn pending_samples(&self) -> usize {
        self.playout.pending()
    }

    /// The delay the buffer currently aims for (RFC 3550-style relative delay percentile plus
    /// margins, see the module documentation).
    pub fn target_delay(&self) -> Duration {
        let target = self.delay.last_target().unwrap_or(self.min_delay);
        Duration::from_nanos(u64::try_from(target.max(0)).unwrap_or(0) * 1_000_000_000 / u64::from(self.rate))
    }

    /// The RTP clock rate of `payload_type`, or of the current stream when it has no decoder.
    fn clock_rate_for(&self, payload_type: u8) -> u32 {
        self.decoders.clock_rate(payload_type).or(self.tracker.clock_rate()).unwrap_or(self.rate)
    }

    /// The media position a packet arriving at `t` gets when it starts a timeline.
    fn anchor(&self, t: i64) -> i64 {
        t.saturating_sub(self.delay.reference().unwrap_or(0))
    }

    fn reject(&mut self, verdict: Verdict) -> PushOutcome {
        match verdict {
            Verdict::Duplicate => {
                self.stats.duplicates += 1;
                PushOutcome::Duplicate
            }
            Verdict::Held { replaced } => {
                self.stats.stray_discarded += u64::from(replaced);
                PushOutcome::Held
            }
            _ => {
                self.stats.late_discarded += 1;
                PushOutcome::Late
            }
        }
    }

    /// Buffers a packet the stream tracker accepted, unless its turn has passed.
    fn admit(&mut self, t: i64, frame: RtpFrame, mut located: Located) -> PushOutcome {
        let clock_rate = self.decoders.clock_rate(frame.payload_type);
        match clock_rate {
            Some(clock_rate) if located.newest => located = self.check_jump(t, &frame, located, clock_rate),
            _ => self.tracker.commit(&located, frame.timestamp),
        }
        if clock_rate.is_some() {
            self.delay.on_arrival(t, located.media);
        }
        if self.playout.is_late(located.gen, located.seq) {
            self.stats.late_discarded += 1;
            return PushOutcome::Late;
        }
        let audio = clock_rate.is_some();
        let payload = if audio { frame.payload } else { Vec::new() };
        let packet = Packet {
            gen: located.gen,
            seq: located.seq,
            media: located.media,
            payload_type: frame.payload_type,
            marker: frame.marker,
            audio,
            payload,
        };
        self.stats.overflow_discarded += self.packets.insert(packet) as u64;
        if audio {
            PushOutcome::Buffered
        } else {
            self.stats.no_decoder += 1;
            PushOutcome::NoDecoder
        }
    }

    /// Re-anchors the timeline when the newest packet's timestamp disagrees with its arrival
    /// time by more than the jump thresholds, or its clock rate differs from the stream's.
    fn check_jump(&mut self, t: i64, frame: &RtpFrame, mut located: Located, clock_rate: u32) -> Located {
        let Some(reference) = self.delay.reference() else {
            self.tracker.commit(&located, frame.timestamp);
            return located;
        };
        let ahead = to_samples(JUMP_AHEAD, self.rate);
        let behind = self.max_delay + to_samples(JUMP_BEHIND_EXTRA, self.rate);
        let relative = |media: i64| t.saturating_sub(media).saturating_sub(reference);
        let offset = relative(located.media);
        if (-ahead..=behind).contains(&offset) && located.clock_rate == clock_rate {
            self.tracker.commit(&located, frame.timestamp);
            return located;
        }
        let arrival_based = t.saturating_sub(reference);
        let media = match self.tracker.continuation(located.seq) {
            Some(media) if (-ahead / 2..=behind / 2).contains(&relative(media)) => media,
            _ => arrival_based,
        };
        self.tracker.rebase(&located, frame.timestamp, media, clock_rate);
        self.delay.reset_transit();
        self.stats.resyncs += 1;
        located.media = media;
        located
    }
}
