//! The receive path: datagrams in, events and device PCM out.

use std::net::SocketAddr;
use std::time::Instant;

use super::config::{CodecKind, SessionConfig, SessionError};
use super::latch::Verdict;
use super::resample::Resampler;
use super::send::units;
use super::{MediaSession, SessionEvent};
use crate::codec::{DecodeError, Decoder};
use crate::jitter::{JitterBuffer, JitterConfig, RtpFrame};
use crate::rtcp::reception::{SeqOutcome, SourceStats};
use crate::rtp::RtpView;

/// A decoder whose PCM is resampled to the device rate, as the jitter buffer wants it.
struct ResampledDecoder {
    inner: Box<dyn Decoder + Send>,
    resampler: Resampler,
    scratch: Vec<i16>,
}

impl Decoder for ResampledDecoder {
    fn sample_rate(&self) -> u32 {
        self.resampler.output_rate()
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), DecodeError> {
        if self.resampler.is_identity() {
            return self.inner.decode(payload, out);
        }
        self.scratch.clear();
        self.inner.decode(payload, &mut self.scratch)?;
        self.resampler.process(&self.scratch, out);
        Ok(())
    }

    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) -> bool {
        if self.resampler.is_identity() {
            return self.inner.conceal(samples, out);
        }
        self.scratch.clear();
        let wanted = self.inner_samples(samples);
        if !self.inner.conceal(wanted, &mut self.scratch) {
            return false;
        }
        self.resampler.process(&self.scratch, out);
        true
    }

    fn decode_fec(&mut self, next_payload: &[u8], samples: usize, out: &mut Vec<i16>) -> bool {
        if self.resampler.is_identity() {
            return self.inner.decode_fec(next_payload, samples, out);
        }
        self.scratch.clear();
        let wanted = self.inner_samples(samples);
        if !self.inner.decode_fec(next_payload, wanted, &mut self.scratch) {
            return false;
        }
        self.resampler.process(&self.scratch, out);
        true
    }
}

impl ResampledDecoder {
    /// The samples at the codec's rate that make `samples` at the device's, rounded up.
    fn inner_samples(&self, samples: usize) -> usize {
        let (from, to) = (u64::from(self.resampler.input_rate()), u64::from(self.resampler.output_rate()));
        usize::try_from((samples as u64).saturating_mul(from).div_ceil(to)).unwrap_or(usize::MAX)
    }
}

/// The jitter buffer at the device rate, with a resampling decoder for every agreed codec,
/// registered with the codec's RTP clock rate (8000 Hz, or 48000 Hz for Opus).
pub(super) fn build_jitter_buffer(config: &SessionConfig) -> Result<JitterBuffer, SessionError> {
    let mut jitter_config = JitterConfig::new(config.device_rate);
    jitter_config.min_delay = config.min_delay;
    jitter_config.max_delay = config.max_delay;
    let mut jitter = JitterBuffer::new(jitter_config)?;
    for codec in &config.codecs {
        let kind = codec.kind;
        let resampler = Resampler::new(kind.decode_rate(config.device_rate), config.device_rate)
            .map_err(|source| SessionError::UnsupportedDeviceRate { rate: config.device_rate, source })?;
        let inner = kind.session_decoder(config.device_rate);
        let decoder = ResampledDecoder { inner, resampler, scratch: Vec::new() };
        jitter.set_decoder(codec.recv_pt, kind.rtp_clock_rate(), Box::new(decoder))?;
    }
    Ok(jitter)
}

/// What an agreed payload type carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Audio(CodecKind),
    Event,
    ComfortNoise,
}

impl MediaSession {
    /// Takes one datagram that arrived at `now` from `from`: RTP or RTCP, told apart per RFC 5761
    /// §4. Whatever the bytes, this never panics: malformed packets are dropped and counted in
    /// [`super::SessionStats`].
    pub fn handle_packet(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        if self.stopped {
            return;
        }
        if crate::rtcp::is_rtcp(bytes) {
            self.handle_rtcp(now, from, bytes);
        } else {
            self.handle_rtp(now, from, bytes);
        }
    }

    /// Fills `out` with the next device period of received audio at `now` (decoded, concealed
    /// and resampled by the jitter buffer; comfort noise during the peer's pauses). Silence while
    /// the direction does not receive or after [`MediaSession::stop`].
    pub fn pull_audio(&mut self, now: Instant, out: &mut [i16]) {
        if self.stopped || !self.direction.receives() {
            out.fill(0);
            return;
        }
        self.jitter.pull(now, out);
        self.noise.fill(out);
    }

    fn kind_of(&self, pt: u8) -> Option<Kind> {
        if let Some(codec) = self.config.codecs.iter().find(|c| c.recv_pt == pt) {
            return Some(Kind::Audio(codec.kind));
        }
        if self.config.telephone_event.is_some_and(|te| te.recv_pt == pt) {
            return Some(Kind::Event);
        }
        (self.config.comfort_noise_pt == Some(pt)).then_some(Kind::ComfortNoise)
    }

    fn handle_rtp(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        let Ok(packet) = RtpView::parse(bytes) else {
            self.counters.rtp_malformed += 1;
            return;
        };
        let pt = packet.payload_type();
        let Some(kind) = self.kind_of(pt) else {
            self.counters.unknown_payload_type += 1;
            return;
        };
        let (ssrc, seq, ts) = (packet.ssrc(), packet.sequence_number(), packet.timestamp());
        if ssrc == self.send.ssrc {
            self.counters.looped += 1;
            return;
        }
        match self.latch.on_packet(from, ssrc, seq) {
            Verdict::Drop => {
                self.counters.foreign_source += 1;
                return;
            }
            Verdict::Latch(addr) => self.latch_rtp(addr),
            Verdict::Accept => {}
        }
        self.counters.rtp_received += 1;
        self.rtcp.remote_sent = true;
        self.last_rtp = now;
        if std::mem::take(&mut self.timed_out) {
            self.push_event(SessionEvent::RtpResumed);
        }
        // Event timestamps mark an event's start, not its sending time: no jitter sample
        // (RFC 4733 §2.5.1.2). Comfort noise shares the stream's timestamps and so the clock of
        // the audio it pauses: 8000 Hz with G.711 and G.722 (RFC 3389 §4), 48000 Hz with Opus.
        let clock = match kind {
            Kind::Audio(codec) => Some(codec.rtp_clock_rate()),
            Kind::ComfortNoise => Some(self.receive_codec().rtp_clock_rate()),
            Kind::Event => None,
        };
        self.track(now, ssrc, seq, ts, clock);
        if !self.direction.receives() {
            return;
        }
        let marker = packet.marker();
        match kind {
            Kind::Event => {
                if self.dtmf_rx.handle_packet(now, ts, marker, seq, packet.payload()).is_err() {
                    self.counters.dtmf_malformed += 1;
                }
                self.drain_dtmf();
            }
            Kind::ComfortNoise => self.noise.on_cn(packet.payload()),
            Kind::Audio(codec) => {
                self.noise.on_audio();
                if self.last_audio_pt.is_some_and(|last| last != pt) {
                    self.push_event(SessionEvent::CodecChanged { payload_type: pt, codec });
                }
                self.last_audio_pt = Some(pt);
            }
        }
        let payload = packet.payload().to_vec();
        let frame = RtpFrame { seq, timestamp: ts, ssrc, marker, payload_type: pt, payload };
        self.jitter.push(now, frame);
    }

    /// Sends our RTP (and multiplexed RTCP) to `addr` from now on (RFC 4961).
    fn latch_rtp(&mut self, addr: std::net::SocketAddr) {
        let previous = self.remote_rtp;
        self.remote_rtp = addr;
        if self.config.rtcp_mux {
            self.remote_rtcp = addr;
        }
        self.push_event(SessionEvent::Latched { from: addr, previous, rtcp: false });
    }

    /// Counts a packet for its source (RFC 3550 A.1, A.3, A.8); a second source that passes
    /// probation replaces the first (RFC 3550 §8.2: the peer changed SSRC).
    fn track(&mut self, now: Instant, ssrc: u32, seq: u16, ts: u32, clock: Option<u32>) {
        let outcome = match self.source.as_mut() {
            Some(source) if source.ssrc() == ssrc => source.update_seq(seq),
            _ => {
                let mut candidate = match self.candidate.take() {
                    Some(c) if c.ssrc() == ssrc => c,
                    _ => SourceStats::new(ssrc, seq),
                };
                let outcome = candidate.update_seq(seq);
                if outcome == SeqOutcome::Validated {
                    if let Some(old) = self.source.replace(candidate) {
                        self.retire(&old);
                        self.push_event(SessionEvent::SsrcChanged { old: old.ssrc(), new: ssrc });
                    }
                } else {
                    self.candidate = Some(candidate);
                }
                outcome
            }
        };
        let counted = matches!(outcome, SeqOutcome::Validated | SeqOutcome::Accepted | SeqOutcome::Restarted);
        let Some(clock) = clock.filter(|_| counted) else {
            return;
        };
        let arrival = units(now.saturating_duration_since(self.epoch), clock) as u32;
        if let Some(source) = self.source.as_mut().filter(|s| s.ssrc() == ssrc) {
            source.update_jitter(arrival, ts);
        }
    }

    fn retire(&mut self, old: &SourceStats) {
        self.retired.expected += old.total_expected();
        self.retired.received += old.total_received();
        let t = old.loss_transitions();
        self.retired.transitions.rr += t.rr;
        self.retired.transitions.rl += t.rl;
        self.retired.transitions.lr += t.lr;
        self.retired.transitions.ll += t.ll;
    }
}
