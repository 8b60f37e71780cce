//! One call's audio stream, sans-IO: [`MediaSession`] turns device PCM into RTP, received RTP
//! into device PCM, and keeps the RTCP conversation (RFC 3550) going.
//!
//! The edge's media thread drives it; nothing here touches a socket, reads a clock or draws
//! global randomness:
//!
//! * every `ptime`, [`MediaSession::send_audio`] with one frame of microphone PCM, and once per
//!   device period [`MediaSession::pull_audio`] for the speaker;
//! * every received datagram, RTP or RTCP, to [`MediaSession::handle_packet`];
//! * [`MediaSession::poll_transmit`] until `None` after each call, sending each [`Transmit`];
//! * [`MediaSession::handle_timeout`] once [`MediaSession::poll_timeout`] has passed (RTCP
//!   reports, DTMF end timeouts, the dead-peer timeout);
//! * [`MediaSession::poll_event`] for DTMF, latching, SSRC and codec changes, BYE and timeouts.
//!
//! # Design
//!
//! **Send path.** The device frame is resampled to the codec's rate ([`Resampler`]; for Opus the
//! rate libopus codes at, [`CodecKind::encode_rate`]) and encoded; the packet gets the next
//! sequence number, the frame's timestamp (advancing by one ptime at the codec's RTP clock:
//! 8000 Hz even for G.722 per RFC 3551 §4.5.2, 48000 Hz for Opus per RFC 7587 §4.1, so 960 per
//! 20 ms) and the marker on the first packet of a talkspurt: the first packet, the first after
//! DTMF and the first after a codec switch (RFC 3551 §4.1). While DTMF is being sent, its
//! `telephone-event` packets replace the audio with the same SSRC and sequence space (RFC 4733
//! §2.5.1.2). Muting is the phone's business: it sends silence.
//!
//! **Receive path.** Datagrams are told apart by RFC 5761 §4 (second octet 192–223 is RTCP),
//! multiplexed or not: the configuration refuses RTP payload types 64–95, so the rule is safe on
//! an RTP-only port too and the edge can hand datagrams from both sockets to one entry point.
//! RTP is validated ([`crate::rtp::RtpView`]), filtered by payload type and source
//! ([`latch`](self#latching)), counted per RFC 3550 A.1/A.3/A.8, and dispatched: events to the
//! [`DtmfReceiver`], comfort noise to the noise generator, and every packet of the stream to the
//! [`JitterBuffer`] (events and CN as pause markers). The jitter buffer runs at the device rate;
//! each agreed codec's decoder is wrapped in a resampler to that rate (an identity for Opus,
//! which libopus decodes straight to the device's rate when it is 8, 12, 16, 24 or 48 kHz), and
//! registered with its own RTP clock rate, so a mid-call codec switch is just a packet of
//! another payload type. The wrapper passes the codec's own concealment (Opus PLC) and FEC
//! recovery through, resampled.
//!
//! # Latching
//!
//! See the `latch` module: after [`SessionConfig::latch_after`] valid packets in a row from one
//! address with one SSRC, our RTP (and RTCP, when multiplexed) goes to that address (RFC 4961).
//! Non-multiplexed RTCP latches to the source of the first RTCP packet whose sender is the
//! latched stream's SSRC.

mod config;
mod latch;
mod noise;
mod recv;
mod report;
mod resample;
mod send;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_core::RngCore;

pub use config::{AgreedCodec, CodecKind, Direction, SessionConfig, SessionError, TelephoneEvent, CN_PAYLOAD_TYPE};
pub use resample::{ResampleError, Resampler};

use crate::dtmf::{DtmfEvent, DtmfReceiver, Event};
use crate::jitter::{JitterBuffer, JitterStats};
use crate::quality::{CallMeasurements, QualityReport};
use crate::rtcp::reception::{LossTransitions, SourceStats};
use crate::rtcp::{NtpTime, ReportBlock};
use latch::Latch;
use noise::{ComfortNoise, SplitMix};
use report::RtcpState;
use send::SendPath;

/// Most events or transmits kept for the caller; older ones are dropped beyond.
const MAX_QUEUED: usize = 1024;
/// The NTP time of the session's start when the edge gives none: one second past the epoch, so
/// no compact NTP time we send is 0 (which means "no SR" in a report block, RFC 3550 §6.4.1).
const DEFAULT_NTP_EPOCH: u64 = 1 << 32;

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub to: SocketAddr,
    /// The datagram.
    pub bytes: Vec<u8>,
    /// `true` for RTCP (sent from the RTCP socket unless multiplexed, RFC 5761).
    pub rtcp: bool,
}

/// Something the phone may want to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// A DTMF key went down or up at the peer (RFC 4733 §2.5.2).
    Dtmf(DtmfEvent),
    /// Our RTP (`rtcp == false`) or RTCP now goes to `from`, where the peer's packets come from
    /// (RFC 4961); it went to `previous`.
    Latched {
        /// The peer's actual source address.
        from: SocketAddr,
        /// Where we sent before.
        previous: SocketAddr,
        /// Whether this latched RTCP rather than RTP.
        rtcp: bool,
    },
    /// The peer's stream changed SSRC (RFC 3550 §8: a restart, or another device taking over).
    SsrcChanged {
        /// The previous SSRC.
        old: u32,
        /// The new SSRC.
        new: u32,
    },
    /// The peer switched to another agreed codec.
    CodecChanged {
        /// The payload type now received.
        payload_type: u8,
        /// Its codec.
        codec: CodecKind,
    },
    /// The peer sent an RTCP BYE (RFC 3550 §6.6).
    RemoteBye {
        /// The SSRC leaving.
        ssrc: u32,
        /// The reason, if given.
        reason: Option<String>,
    },
    /// No valid RTP arrived for [`SessionConfig::rtp_timeout`] while receiving: the peer may be
    /// dead. Reported once until RTP resumes.
    Timeout {
        /// How long since the last valid RTP packet (or the start).
        silence: Duration,
    },
    /// RTP arrived again after a [`SessionEvent::Timeout`].
    RtpResumed,
}

/// Counters of the session, for the phone's diagnostics and the quality line.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct SessionStats {
    /// RTP packets sent, events included.
    pub packets_sent: u64,
    /// RTP payload octets sent (RFC 3550 §6.4.1 sender's octet count).
    pub octets_sent: u64,
    /// `telephone-event` packets sent.
    pub dtmf_packets_sent: u64,
    /// Compound RTCP packets sent.
    pub rtcp_sent: u64,
    /// Valid RTP packets accepted from the peer, duplicates included.
    pub packets_received: u64,
    /// RTP packets the peer's sequence numbers say it sent (RFC 3550 A.3, all its SSRCs).
    pub packets_expected: u64,
    /// Expected packets that never arrived (RFC 3550 A.3, never negative here).
    pub packets_lost: u64,
    /// Packets that arrived after their turn to play.
    pub packets_late: u64,
    /// Packets that arrived twice.
    pub packets_duplicate: u64,
    /// Datagrams that were not valid RTP (RFC 3550 A.1).
    pub rtp_malformed: u64,
    /// Datagrams that were not valid compound RTCP (RFC 3550 A.2).
    pub rtcp_malformed: u64,
    /// Valid compound RTCP packets received.
    pub rtcp_received: u64,
    /// RTP packets of a payload type that was not agreed.
    pub unknown_payload_type: u64,
    /// RTP packets dropped because another address than the latched one sent them with another
    /// SSRC.
    pub foreign_source: u64,
    /// Packets carrying our own SSRC (a loop, or a collision, RFC 3550 §8.2).
    pub looped: u64,
    /// `telephone-event` payloads the DTMF receiver refused.
    pub dtmf_malformed: u64,
    /// Interarrival jitter of the peer's stream in ms (RFC 3550 A.8).
    pub jitter_ms: f64,
    /// Round-trip time from the peer's reports (RFC 3550 §6.4.1).
    pub rtt: Option<Duration>,
    /// Audio concealed for loss, in ms.
    pub concealed_ms: u64,
    /// The jitter buffer's current playout delay in ms.
    pub playout_delay_ms: u32,
    /// G.107 burst ratio of the peer's loss pattern.
    pub burst_ratio: f64,
    /// The peer's latest report block about our stream.
    pub remote_report: Option<ReportBlock>,
}

/// Totals of sources the session no longer tracks (after SSRC changes).
#[derive(Debug, Clone, Copy, Default)]
struct Retired {
    expected: u64,
    received: u64,
    transitions: LossTransitions,
}

/// Counters of dropped and refused input.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    rtp_received: u64,
    rtp_malformed: u64,
    rtcp_malformed: u64,
    rtcp_received: u64,
    unknown_payload_type: u64,
    foreign_source: u64,
    looped: u64,
    dtmf_malformed: u64,
}

/// One call's audio stream; see the [module documentation](self).
pub struct MediaSession {
    config: SessionConfig,
    epoch: Instant,
    ntp_epoch: NtpTime,
    rng: SplitMix,
    cname: String,
    send: SendPath,
    jitter: JitterBuffer,
    dtmf_rx: DtmfReceiver,
    noise: ComfortNoise,
    latch: Latch,
    remote_rtp: SocketAddr,
    remote_rtcp: SocketAddr,
    direction: Direction,
    source: Option<SourceStats>,
    candidate: Option<SourceStats>,
    retired: Retired,
    last_audio_pt: Option<u8>,
    last_rtp: Instant,
    timed_out: bool,
    rtcp: RtcpState,
    stopped: bool,
    counters: Counters,
    transmits: VecDeque<Transmit>,
    events: VecDeque<SessionEvent>,
}

impl std::fmt::Debug for MediaSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaSession")
            .field("ssrc", &self.send.ssrc)
            .field("remote_rtp", &self.remote_rtp)
            .field("remote_rtcp", &self.remote_rtcp)
            .field("direction", &self.direction)
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

impl MediaSession {
    /// A session starting at `now`, with our SSRC, first sequence number and first timestamp
    /// drawn from `rng` (RFC 3550 §5.1, §8.1), as is the seed of its RTCP interval randomization
    /// and, when the configuration has none, its CNAME.
    pub fn new<R: RngCore + ?Sized>(now: Instant, config: SessionConfig, rng: &mut R) -> Result<Self, SessionError> {
        config::validate(&config)?;
        let ssrc = rng.next_u32();
        let seq = (rng.next_u32() >> 16) as u16;
        let ts = rng.next_u32();
        let mut prng = SplitMix::new(rng.next_u64());
        let send = SendPath::new(ssrc, seq, ts, &config)?;
        let jitter = recv::build_jitter_buffer(&config)?;
        let cname = config.cname.clone().unwrap_or_else(|| random_cname(&mut prng));
        let noise = ComfortNoise::new(prng.next_u64());
        let rtcp = RtcpState::new(now, &config, &mut prng);
        Ok(Self {
            epoch: now,
            ntp_epoch: NtpTime(config.ntp_epoch.unwrap_or(DEFAULT_NTP_EPOCH)),
            rng: prng,
            cname,
            send,
            jitter,
            dtmf_rx: DtmfReceiver::default(),
            noise,
            latch: Latch::new(config.latch_after),
            remote_rtp: config.remote_rtp,
            remote_rtcp: if config.rtcp_mux { config.remote_rtp } else { config.remote_rtcp },
            direction: config.direction,
            source: None,
            candidate: None,
            retired: Retired::default(),
            last_audio_pt: None,
            last_rtp: now,
            timed_out: false,
            rtcp,
            stopped: false,
            counters: Counters::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            config,
        })
    }

    /// Sends one ptime of device-rate PCM captured up to `now` (exactly
    /// [`MediaSession::frame_len`] samples). Nothing is sent while the direction does not send.
    pub fn send_audio(&mut self, now: Instant, pcm: &[i16]) -> Result<(), SessionError> {
        if self.stopped {
            return Err(SessionError::Stopped);
        }
        if !self.direction.sends() {
            return if pcm.len() == self.send.frame_len() {
                Ok(())
            } else {
                Err(SessionError::FrameSize { expected: self.send.frame_len(), got: pcm.len() })
            };
        }
        let mut out = Vec::new();
        self.send.send_frame(now, pcm, &mut out)?;
        for packet in out {
            let to = self.remote_rtp;
            self.push_transmit(Transmit { to, bytes: packet.bytes, rtcp: false });
        }
        Ok(())
    }

    /// Queues the keys of `digits` (`0`-`9`, `*`, `#`, `A`-`D`) as RFC 4733 events, each 100 ms
    /// with 50 ms gaps, starting with the next frame; returns how many were queued.
    pub fn send_dtmf(&mut self, now: Instant, digits: &str) -> Result<usize, SessionError> {
        let _ = now;
        self.check_dtmf()?;
        self.send.queue_digits(digits)
    }

    /// A key goes down (`Some`) or up (`None`) at the next frame: an event lasting as long as
    /// the key is held (RFC 4733 §2.5.1.2).
    pub fn dtmf_key(&mut self, now: Instant, event: Option<Event>) -> Result<(), SessionError> {
        let _ = now;
        self.check_dtmf()?;
        self.send.key(event)
    }

    fn check_dtmf(&self) -> Result<(), SessionError> {
        if self.stopped {
            Err(SessionError::Stopped)
        } else if !self.direction.sends() {
            Err(SessionError::NotSending)
        } else {
            Ok(())
        }
    }

    /// Sends with the agreed codec whose send payload type is `payload_type` from the next frame.
    pub fn set_send_codec(&mut self, payload_type: u8) -> Result<(), SessionError> {
        let codec = self
            .config
            .codecs
            .iter()
            .find(|c| c.send_pt == payload_type)
            .copied()
            .ok_or(SessionError::NotNegotiated { payload_type })?;
        self.send.set_codec(codec)
    }

    /// The codec we send.
    pub fn send_codec(&self) -> AgreedCodec {
        self.send.codec()
    }

    /// Changes the media direction at `now` (a re-INVITE putting the call on hold or back).
    pub fn set_direction(&mut self, now: Instant, direction: Direction) {
        if direction.receives() && !self.direction.receives() {
            self.last_rtp = now;
            self.timed_out = false;
        }
        self.direction = direction;
    }

    /// The media direction.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The peer's SDP changed its addresses (a re-INVITE): send there and latch anew.
    pub fn set_remote(&mut self, rtp: SocketAddr, rtcp: SocketAddr) {
        self.remote_rtp = rtp;
        self.remote_rtcp = if self.config.rtcp_mux { rtp } else { rtcp };
        self.latch.reset();
    }

    /// Where our RTP goes (the SDP address, or the latched one).
    pub fn remote_rtp(&self) -> SocketAddr {
        self.remote_rtp
    }

    /// Where our RTCP goes.
    pub fn remote_rtcp(&self) -> SocketAddr {
        self.remote_rtcp
    }

    /// Samples in one ptime at the device rate: the length [`MediaSession::send_audio`] takes.
    pub fn frame_len(&self) -> usize {
        self.send.frame_len()
    }

    /// Our SSRC.
    pub fn local_ssrc(&self) -> u32 {
        self.send.ssrc
    }

    /// The peer's current SSRC, once its stream is validated (RFC 3550 A.1).
    pub fn remote_ssrc(&self) -> Option<u32> {
        self.source.as_ref().map(SourceStats::ssrc)
    }

    /// Our CNAME (RFC 3550 §6.5.1).
    pub fn cname(&self) -> &str {
        &self.cname
    }

    /// The peer's CNAME, once an SDES carried it.
    pub fn remote_cname(&self) -> Option<&str> {
        self.rtcp.remote_cname.as_deref()
    }

    /// The RMS amplitude of the comfort noise being played, while the peer's RFC 3389 CN
    /// packets say it paused.
    pub fn comfort_noise_rms(&self) -> Option<f64> {
        self.noise.rms()
    }

    /// Whether [`MediaSession::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The next datagram to send, oldest first.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// When [`MediaSession::handle_timeout`] next has work: the next RTCP report, a DTMF end
    /// timeout, or the RTP timeout.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let rtcp = (!self.stopped).then_some(self.rtcp.next);
        [rtcp, self.dtmf_rx.poll_timeout(), self.rtp_deadline()].into_iter().flatten().min()
    }

    /// Does what is due at `now`: RTCP reports (RFC 3550 §6.3.6), DTMF end timeouts (RFC 4733
    /// §2.5.2.2) and the RTP timeout.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.dtmf_rx.handle_timeout(now);
        self.drain_dtmf();
        if let Some(deadline) = self.rtp_deadline() {
            if now >= deadline {
                self.timed_out = true;
                let silence = now.saturating_duration_since(self.last_rtp);
                self.push_event(SessionEvent::Timeout { silence });
            }
        }
        if !self.stopped && now >= self.rtcp.next {
            // Our own packet cannot fail to build: the CNAME was checked at construction.
            let _ = self.send_report(now, None);
            self.schedule_report(now);
        }
    }

    /// Ends the session at `now`: a last report with a BYE (RFC 3550 §6.6; with fewer than 50
    /// members it goes at once, §6.3.7) and nothing more afterwards.
    pub fn stop(&mut self, now: Instant, reason: Option<&str>) -> Result<(), SessionError> {
        if self.stopped {
            return Ok(());
        }
        self.send_report(now, Some(reason))?;
        self.stopped = true;
        Ok(())
    }

    /// The session's counters.
    pub fn stats(&self) -> SessionStats {
        let jitter = self.jitter.stats();
        let (expected, received, transitions) = self.reception_totals();
        let clock = f64::from(self.receive_codec().rtp_clock_rate());
        SessionStats {
            packets_sent: self.send.packets,
            octets_sent: self.send.octets,
            dtmf_packets_sent: self.send.dtmf_packets,
            rtcp_sent: self.rtcp.sent,
            packets_received: self.counters.rtp_received,
            packets_expected: expected,
            packets_lost: expected.saturating_sub(received),
            packets_late: jitter.late_discarded,
            packets_duplicate: jitter.duplicates,
            rtp_malformed: self.counters.rtp_malformed,
            rtcp_malformed: self.counters.rtcp_malformed,
            rtcp_received: self.counters.rtcp_received,
            unknown_payload_type: self.counters.unknown_payload_type,
            foreign_source: self.counters.foreign_source,
            looped: self.counters.looped,
            dtmf_malformed: self.counters.dtmf_malformed,
            jitter_ms: self.source.as_ref().map_or(0.0, |s| f64::from(s.jitter()) * 1000.0 / clock),
            rtt: self.rtcp.rtt,
            concealed_ms: jitter.concealed_ms,
            playout_delay_ms: jitter.current_delay_ms,
            burst_ratio: transitions.burst_ratio(),
            remote_report: self.rtcp.remote_report,
        }
    }

    /// The jitter buffer's own statistics.
    pub fn jitter_stats(&self) -> JitterStats {
        self.jitter.stats()
    }

    /// The quality line for the call so far, with an E-model MOS for the codec received (or
    /// sent, before any audio arrived).
    pub fn quality(&self) -> QualityReport {
        let stats = self.stats();
        let kind = self.receive_codec();
        let ptime_ms = self.config.ptime.as_secs_f64() * 1000.0;
        let measured = CallMeasurements {
            packets_sent: stats.packets_sent,
            packets_received: stats.packets_received,
            packets_expected: stats.packets_expected,
            packets_lost: stats.packets_lost,
            packets_late: stats.packets_late,
            packets_duplicate: stats.packets_duplicate,
            jitter_ms: stats.jitter_ms,
            rtt_ms: stats.rtt.map(|d| d.as_secs_f64() * 1000.0),
            concealed_ms: stats.concealed_ms,
            local_delay_ms: f64::from(stats.playout_delay_ms) + ptime_ms + 2.0 * self.send.delay_ms(),
            burst_ratio: stats.burst_ratio,
        };
        QualityReport::assess(measured, kind.impairment())
    }

    /// The codec of the audio received last, or the one we send before any arrived.
    fn receive_codec(&self) -> CodecKind {
        self.last_audio_pt
            .and_then(|pt| self.config.codecs.iter().find(|c| c.recv_pt == pt))
            .map_or(self.send.codec().kind, |c| c.kind)
    }

    /// Totals over every source the peer used: expected, received, loss transitions.
    fn reception_totals(&self) -> (u64, u64, LossTransitions) {
        let mut t = self.retired;
        if let Some(source) = &self.source {
            t.expected += source.total_expected();
            t.received += source.total_received();
            let s = source.loss_transitions();
            t.transitions.rr += s.rr;
            t.transitions.rl += s.rl;
            t.transitions.lr += s.lr;
            t.transitions.ll += s.ll;
        }
        (t.expected, t.received, t.transitions)
    }

    fn rtp_deadline(&self) -> Option<Instant> {
        if self.stopped || self.timed_out || !self.direction.receives() {
            return None;
        }
        self.config.rtp_timeout.and_then(|timeout| self.last_rtp.checked_add(timeout))
    }

    /// Our NTP time at `now` (RFC 3550 §4).
    fn ntp(&self, now: Instant) -> NtpTime {
        self.ntp_epoch + now.saturating_duration_since(self.epoch)
    }

    fn push_transmit(&mut self, transmit: Transmit) {
        if self.transmits.len() == MAX_QUEUED {
            self.transmits.pop_front();
        }
        self.transmits.push_back(transmit);
    }

    fn push_event(&mut self, event: SessionEvent) {
        if self.events.len() == MAX_QUEUED {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    fn drain_dtmf(&mut self) {
        while let Some(event) = self.dtmf_rx.poll_event() {
            self.push_event(SessionEvent::Dtmf(event));
        }
    }
}

/// A random CNAME: 16 characters of base64 over 96 random bits (RFC 7022 §4.1).
fn random_cname(rng: &mut SplitMix) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bits = (u128::from(rng.next_u64()) << 32) | u128::from(rng.next_u64() >> 32);
    (0..16).map(|i| char::from(ALPHABET[((bits >> (6 * i)) & 63) as usize])).collect()
}
