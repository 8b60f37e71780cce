//! The session's RTCP (RFC 3550 §6): when to report, what to report, and what the peer's reports
//! tell us.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::config::{SessionConfig, SessionError};
use super::noise::SplitMix;
use super::{MediaSession, SessionEvent, Transmit};
use crate::rtcp::interval::{self, IntervalInputs};
use crate::rtcp::{self, CompoundPacket, ReportBlock, RtcpPacket, SenderInfo};

/// SSRCs whose BYE is remembered, so that repeated BYEs are reported once.
const MAX_BYES: usize = 16;
/// IPv4 and UDP header octets counted in the average RTCP size (RFC 3550 §6.2).
const UDP_IP_OVERHEAD: usize = 28;
/// The RTCP share of the session bandwidth (RFC 3550 §6.2).
const RTCP_SHARE: f64 = 0.05;
/// IPv4, UDP and RTP header octets per packet.
const RTP_OVERHEAD: f64 = 40.0;

/// The RTCP bookkeeping of a session.
#[derive(Debug, Clone)]
pub(super) struct RtcpState {
    /// When the next report is due.
    pub next: Instant,
    /// No report sent yet: the first interval is halved (RFC 3550 §6.2).
    initial: bool,
    /// The average compound size in octets, headers included (RFC 3550 §6.3.3).
    avg_size: f64,
    /// The RTCP bandwidth in octets per second.
    bandwidth: f64,
    min_interval: Duration,
    /// We sent RTP in the interval before the last report (RFC 3550 §6.4: SR if we sent in
    /// either of the last two intervals).
    sent_previous: bool,
    /// The peer sent RTP since our last report.
    pub remote_sent: bool,
    /// The last SR from the peer: its SSRC, compact NTP time and when it arrived.
    last_sr: Option<(u32, u32, Instant)>,
    pub rtt: Option<Duration>,
    pub remote_report: Option<ReportBlock>,
    pub remote_cname: Option<String>,
    /// SSRCs whose BYE was reported.
    byes: Vec<u32>,
    pub sent: u64,
}

impl RtcpState {
    pub fn new(now: Instant, config: &SessionConfig, rng: &mut SplitMix) -> Self {
        let packets_per_second = 1.0 / config.ptime.as_secs_f64().max(0.001);
        // The session bandwidth (RFC 3550 §6.2): the payload bit rate of the codec we send
        // first (64 kbit/s for G.711 and G.722, Opus's average bit rate) plus headers.
        let codec_bits = config.codecs.first().map_or(64_000, |c| c.kind.bit_rate(&config.opus));
        let session_bits = f64::from(codec_bits) + RTP_OVERHEAD * 8.0 * packets_per_second;
        let mut state = Self {
            next: now,
            initial: true,
            // A typical compound of ours: RR with one block, SDES with a 16-byte CNAME.
            avg_size: (8 + 24 + 28 + UDP_IP_OVERHEAD) as f64,
            bandwidth: session_bits * RTCP_SHARE / 8.0,
            min_interval: config.rtcp_min_interval,
            sent_previous: false,
            remote_sent: false,
            last_sr: None,
            rtt: None,
            remote_report: None,
            remote_cname: None,
            byes: Vec::new(),
            sent: 0,
        };
        state.next = now + state.interval(1, 0, false, rng);
        state
    }

    /// A randomized interval (RFC 3550 §6.3.1, A.7).
    fn interval(&self, members: u32, senders: u32, we_sent: bool, rng: &mut SplitMix) -> Duration {
        let inputs = IntervalInputs {
            members,
            senders,
            rtcp_bandwidth: self.bandwidth,
            we_sent,
            avg_rtcp_size: self.avg_size,
            initial: self.initial,
            min_interval: self.min_interval,
        };
        interval::randomized(interval::deterministic(&inputs), rng.unit())
    }
}

impl MediaSession {
    /// Builds and queues our compound report (RFC 3550 §6.1, §6.4), ending with a BYE when `bye`
    /// is given.
    pub(super) fn send_report(&mut self, now: Instant, bye: Option<Option<&str>>) -> Result<(), SessionError> {
        let we_sent = self.send.sent_since_report || self.rtcp.sent_previous;
        let sender = we_sent.then(|| SenderInfo {
            ntp: self.ntp(now),
            rtp_timestamp: self.send.rtp_timestamp_at(now),
            packet_count: self.send.packets as u32,
            octet_count: self.send.octets as u32,
        });
        let (lsr, dlsr) = match (self.rtcp.last_sr, self.remote_ssrc()) {
            (Some((ssrc, lsr, at)), Some(remote)) if ssrc == remote => {
                (lsr, rtcp::duration_to_compact(now.saturating_duration_since(at)))
            }
            _ => (0, 0),
        };
        let blocks: Vec<ReportBlock> =
            self.source.as_mut().filter(|s| s.is_valid()).map(|s| s.report_block(lsr, dlsr)).into_iter().collect();
        let compound = CompoundPacket { ssrc: self.send.ssrc, sender, blocks: &blocks, cname: &self.cname, bye };
        let mut bytes = Vec::with_capacity(128);
        compound.write(&mut bytes)?;
        self.rtcp.avg_size = interval::update_avg_size(self.rtcp.avg_size, bytes.len() + UDP_IP_OVERHEAD);
        self.rtcp.sent_previous = self.send.sent_since_report;
        self.send.sent_since_report = false;
        self.rtcp.sent += 1;
        let to = self.remote_rtcp;
        self.push_transmit(Transmit { to, bytes, rtcp: true });
        Ok(())
    }

    /// Plans the next report after one was sent at `now` (RFC 3550 §6.3.6).
    pub(super) fn schedule_report(&mut self, now: Instant) {
        self.rtcp.initial = false;
        let members = if self.source.is_some() { 2 } else { 1 };
        let we_sent = self.rtcp.sent_previous;
        let senders = u32::from(we_sent) + u32::from(self.rtcp.remote_sent);
        self.rtcp.remote_sent = false;
        let interval = self.rtcp.interval(members, senders, we_sent, &mut self.rng);
        self.rtcp.next = now + interval;
    }

    /// Takes a compound RTCP packet (RFC 3550 §6.4 to §6.6, A.2).
    pub(super) fn handle_rtcp(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        let Ok(packets) = rtcp::parse_compound(bytes) else {
            self.counters.rtcp_malformed += 1;
            return;
        };
        let sender = match packets.first() {
            Some(RtcpPacket::SenderReport { ssrc, .. } | RtcpPacket::ReceiverReport { ssrc, .. }) => *ssrc,
            _ => return,
        };
        if sender == self.send.ssrc {
            self.counters.looped += 1;
            return;
        }
        self.counters.rtcp_received += 1;
        self.rtcp.avg_size = interval::update_avg_size(self.rtcp.avg_size, bytes.len() + UDP_IP_OVERHEAD);
        for packet in &packets {
            match packet {
                RtcpPacket::SenderReport { ssrc, info, blocks } => {
                    self.rtcp.last_sr = Some((*ssrc, info.ntp.compact(), now));
                    self.take_blocks(now, blocks);
                }
                RtcpPacket::ReceiverReport { blocks, .. } => self.take_blocks(now, blocks),
                RtcpPacket::SourceDescription { chunks } => {
                    if let Some(cname) = chunks.iter().find(|c| c.ssrc == sender).and_then(|c| c.cname.clone()) {
                        self.rtcp.remote_cname = Some(cname);
                    }
                }
                RtcpPacket::Goodbye { sources, reason } => self.take_bye(sources, reason.as_deref()),
                _ => {}
            }
        }
        self.latch_rtcp(from, sender);
    }

    /// Reads the report blocks about our stream: the peer's loss and jitter, and the round-trip
    /// time `A - LSR - DLSR` (RFC 3550 §6.4.1).
    fn take_blocks(&mut self, now: Instant, blocks: &[ReportBlock]) {
        let Some(block) = blocks.iter().find(|b| b.ssrc == self.send.ssrc) else {
            return;
        };
        self.rtcp.remote_report = Some(*block);
        if block.last_sr == 0 {
            return;
        }
        let arrival = self.ntp(now).compact();
        let rtt = arrival.wrapping_sub(block.last_sr).wrapping_sub(block.delay_since_last_sr);
        // A negative value means a clock mix-up or a forged block; keep the previous estimate.
        if (rtt as i32) >= 0 {
            self.rtcp.rtt = Some(rtcp::compact_to_duration(rtt));
        }
    }

    /// Reports a BYE for the peer's current stream once (RFC 3550 §6.6). A BYE naming any other
    /// SSRC is ignored, so a stranger who does not know the stream's SSRC cannot end the call.
    fn take_bye(&mut self, sources: &[u32], reason: Option<&str>) {
        let current = self.remote_ssrc();
        for &ssrc in sources {
            if Some(ssrc) == current && !self.rtcp.byes.contains(&ssrc) {
                if self.rtcp.byes.len() == MAX_BYES {
                    self.rtcp.byes.remove(0);
                }
                self.rtcp.byes.push(ssrc);
                self.push_event(SessionEvent::RemoteBye { ssrc, reason: reason.map(str::to_owned) });
            }
        }
    }

    /// Latches non-multiplexed RTCP to the source of the peer's RTCP, once it is known to come
    /// from the latched stream's SSRC (RFC 4961).
    fn latch_rtcp(&mut self, from: SocketAddr, sender: u32) {
        if self.config.rtcp_mux || from == self.remote_rtcp {
            return;
        }
        if self.latch.latched().is_some_and(|(_, ssrc)| ssrc == sender) {
            let previous = self.remote_rtcp;
            self.remote_rtcp = from;
            self.push_event(SessionEvent::Latched { from, previous, rtcp: true });
        }
    }
}
