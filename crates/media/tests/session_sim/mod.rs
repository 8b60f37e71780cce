//! Shared simulation for the media session tests: two [`MediaSession`]s on one virtual clock,
//! talking through seeded one-way links (loss, delay, jitter, duplicates, reordering), with an
//! optional NAT in front of B.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use media::session::{AgreedCodec, CodecKind, MediaSession, SessionConfig, SessionEvent, TelephoneEvent, Transmit};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A's RTP address (RTCP is the next port).
pub const A_RTP: &str = "192.0.2.10:4000";
pub const A_RTCP: &str = "192.0.2.10:4001";
/// B's own addresses, which its SDP advertises.
pub const B_RTP: &str = "10.0.0.2:5000";
pub const B_RTCP: &str = "10.0.0.2:5001";
/// B's addresses as seen from outside its NAT.
pub const B_NAT_RTP: &str = "203.0.113.5:61000";
pub const B_NAT_RTCP: &str = "203.0.113.5:61001";
/// The telephone-event payload type both sides use.
pub const TE_PT: u8 = 101;

/// What happened to one datagram on a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Delivered, at these times (two for a duplicate).
    Delivered,
    /// Lost by the link's random loss or its filter.
    Lost,
    /// Sent to an address that does not reach the peer (e.g. a private address behind NAT).
    Unroutable,
}

/// One datagram a link carried.
#[derive(Debug, Clone)]
pub struct Sent {
    pub at: Instant,
    pub transmit: Transmit,
    pub fate: Fate,
    pub arrivals: Vec<Instant>,
}

/// Decides which datagrams a link drops.
pub type Filter = Box<dyn FnMut(&Transmit) -> bool>;

/// A one-way link: seeded random loss, a base delay plus uniform jitter (which reorders packets
/// when it exceeds their spacing), duplicates, and a filter for deterministic drops.
pub struct Link {
    rng: ChaCha8Rng,
    pub loss: f64,
    pub base: Duration,
    pub jitter: Duration,
    pub duplicate: f64,
    /// The first this many datagrams see neither loss, jitter nor duplication.
    pub calm: usize,
    /// Loss applies to RTCP too when set; otherwise RTCP is never lost.
    pub lose_rtcp: bool,
    /// Drops the datagrams for which it returns `true`.
    pub filter: Option<Filter>,
    pub log: Vec<Sent>,
}

impl Link {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            loss: 0.0,
            base: Duration::from_millis(30),
            jitter: Duration::ZERO,
            duplicate: 0.0,
            calm: 0,
            lose_rtcp: false,
            filter: None,
            log: Vec::new(),
        }
    }

    fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn delay(&mut self) -> Duration {
        self.base + self.jitter.mul_f64(self.uniform())
    }

    /// Carries `transmit` sent at `now`; returns its arrival times.
    fn carry(&mut self, now: Instant, transmit: Transmit, routable: bool) -> Vec<Instant> {
        let calm = self.log.len() < self.calm;
        let filtered = self.filter.as_mut().is_some_and(|f| f(&transmit));
        let random_loss = self.uniform() < self.loss && (self.lose_rtcp || !transmit.rtcp) && !calm;
        let fate = if !routable {
            Fate::Unroutable
        } else if filtered || random_loss {
            Fate::Lost
        } else {
            Fate::Delivered
        };
        let mut arrivals = Vec::new();
        if fate == Fate::Delivered {
            let delay = if calm { self.base } else { self.delay() };
            arrivals.push(now + delay);
            if !calm && self.uniform() < self.duplicate {
                arrivals.push(now + self.delay());
            }
        }
        self.log.push(Sent { at: now, transmit, fate, arrivals: arrivals.clone() });
        arrivals
    }
}

/// One phone: its session, the addresses that reach it, the addresses its packets come from,
/// its microphone signal and what its speaker played.
pub struct Peer {
    pub session: MediaSession,
    pub reach: Vec<SocketAddr>,
    pub rtp_from: SocketAddr,
    pub rtcp_from: SocketAddr,
    pub rate: u32,
    /// The microphone: sample `n` at the device rate.
    pub mic: Box<dyn FnMut(usize) -> i16>,
    pub mic_pos: usize,
    pub speaker: Vec<i16>,
    pub events: Vec<(Instant, SessionEvent)>,
    pub sending: bool,
    pub next_tick: Instant,
}

impl Peer {
    fn tick(&mut self, now: Instant) {
        let len = self.session.frame_len();
        if self.sending {
            let frame: Vec<i16> = (self.mic_pos..self.mic_pos + len).map(|n| (self.mic)(n)).collect();
            self.session.send_audio(now, &frame).unwrap();
        }
        self.mic_pos += len;
        let mut out = vec![0i16; len];
        self.session.pull_audio(now, &mut out);
        self.speaker.extend_from_slice(&out);
    }
}

struct InFlight {
    at: Instant,
    order: u64,
    to_b: bool,
    from: SocketAddr,
    bytes: Vec<u8>,
}

/// Two peers on one virtual clock.
pub struct Sim {
    pub t0: Instant,
    pub now: Instant,
    pub a: Peer,
    pub b: Peer,
    pub ab: Link,
    pub ba: Link,
    in_flight: Vec<InFlight>,
    order: u64,
}

/// How to build a [`Sim`].
pub struct Setup {
    pub codecs: Vec<AgreedCodec>,
    pub rate_a: u32,
    pub rate_b: u32,
    pub telephone_event: bool,
    pub nat_b: bool,
    pub rtcp_mux: bool,
    pub seed: u64,
}

impl Setup {
    pub fn new(kind: CodecKind, rate: u32) -> Self {
        Self {
            codecs: vec![AgreedCodec::new(kind)],
            rate_a: rate,
            rate_b: rate,
            telephone_event: false,
            nat_b: false,
            rtcp_mux: false,
            seed: 1,
        }
    }
}

/// A configuration sending to `rtp`/`rtcp` at `rate` Hz.
pub fn config(setup: &Setup, rtp: &str, rtcp: &str, rate: u32) -> SessionConfig {
    let mut config = SessionConfig::new(setup.codecs.clone(), addr(rtp), rate);
    config.remote_rtcp = if setup.rtcp_mux { addr(rtp) } else { addr(rtcp) };
    config.rtcp_mux = setup.rtcp_mux;
    if setup.telephone_event {
        config.telephone_event = Some(TelephoneEvent { send_pt: TE_PT, recv_pt: TE_PT });
    }
    config
}

pub fn silence() -> Box<dyn FnMut(usize) -> i16> {
    Box::new(|_| 0)
}

/// A sine of `freq` Hz and amplitude `amp` at `rate` Hz.
pub fn sine(freq: f64, amp: f64, rate: u32) -> impl Fn(usize) -> i16 {
    move |n| (amp * (2.0 * std::f64::consts::PI * freq * n as f64 / f64::from(rate)).sin()).round() as i16
}

impl Sim {
    pub fn new(setup: &Setup) -> Self {
        let t0 = Instant::now();
        let mut rng = ChaCha8Rng::seed_from_u64(setup.seed);
        let mut config_a = config(setup, B_RTP, B_RTCP, setup.rate_a);
        let config_b = config(setup, A_RTP, A_RTCP, setup.rate_b);
        if setup.rtcp_mux {
            config_a.remote_rtcp = addr(B_RTP);
        }
        let a = MediaSession::new(t0, config_a, &mut rng).unwrap();
        let b = MediaSession::new(t0, config_b, &mut rng).unwrap();
        let (b_rtp, b_rtcp) = if setup.nat_b { (B_NAT_RTP, B_NAT_RTCP) } else { (B_RTP, B_RTCP) };
        let a_rtcp = if setup.rtcp_mux { A_RTP } else { A_RTCP };
        let b_rtcp = if setup.rtcp_mux { b_rtp } else { b_rtcp };
        let peer = |session, reach: Vec<SocketAddr>, rtp_from, rtcp_from, rate, offset| Peer {
            session,
            reach,
            rtp_from,
            rtcp_from,
            rate,
            mic: silence(),
            mic_pos: 0,
            speaker: Vec::new(),
            events: Vec::new(),
            sending: true,
            next_tick: t0 + offset,
        };
        let a = peer(a, vec![addr(A_RTP), addr(a_rtcp)], addr(A_RTP), addr(a_rtcp), setup.rate_a, Duration::ZERO);
        let b_reach = vec![addr(b_rtp), addr(b_rtcp)];
        let b = peer(b, b_reach, addr(b_rtp), addr(b_rtcp), setup.rate_b, Duration::from_millis(7));
        Self {
            t0,
            now: t0,
            a,
            b,
            ab: Link::new(setup.seed ^ 0xA5A5),
            ba: Link::new(setup.seed ^ 0x5A5A),
            in_flight: Vec::new(),
            order: 0,
        }
    }

    /// Runs the virtual clock for `duration`.
    pub fn run_for(&mut self, duration: Duration) {
        let until = self.now + duration;
        self.run_until(until);
    }

    /// Runs the virtual clock until `until`, handling every tick, delivery and timeout in order.
    pub fn run_until(&mut self, until: Instant) {
        loop {
            let next = self.next_instant();
            if next > until {
                break;
            }
            self.now = next;
            self.step();
        }
        self.now = until;
    }

    fn next_instant(&self) -> Instant {
        let deliveries = self.in_flight.iter().map(|f| f.at).min();
        let timeouts = [self.a.session.poll_timeout(), self.b.session.poll_timeout()];
        let ticks = [Some(self.a.next_tick), Some(self.b.next_tick)];
        let next = ticks.into_iter().chain(timeouts).chain([deliveries]).flatten().min().unwrap();
        next.max(self.now)
    }

    fn step(&mut self) {
        let now = self.now;
        self.in_flight.sort_by_key(|f| (f.at, f.order));
        while self.in_flight.first().is_some_and(|f| f.at <= now) {
            let f = self.in_flight.remove(0);
            let peer = if f.to_b { &mut self.b } else { &mut self.a };
            peer.session.handle_packet(now, f.from, &f.bytes);
        }
        for peer in [&mut self.a, &mut self.b] {
            if peer.session.poll_timeout().is_some_and(|t| t <= now) {
                peer.session.handle_timeout(now);
            }
            if peer.next_tick <= now {
                peer.tick(now);
                peer.next_tick += Duration::from_millis(20);
            }
        }
        self.flush();
    }

    /// Moves every queued transmit onto the links and every event into the peers' logs.
    pub fn flush(&mut self) {
        let now = self.now;
        for to_b in [true, false] {
            let (from_peer, to_peer, link) =
                if to_b { (&mut self.a, &self.b, &mut self.ab) } else { (&mut self.b, &self.a, &mut self.ba) };
            while let Some(event) = from_peer.session.poll_event() {
                from_peer.events.push((now, event));
            }
            while let Some(transmit) = from_peer.session.poll_transmit() {
                let from = if transmit.rtcp { from_peer.rtcp_from } else { from_peer.rtp_from };
                let routable = to_peer.reach.contains(&transmit.to);
                let bytes = transmit.bytes.clone();
                for at in link.carry(now, transmit, routable) {
                    self.order += 1;
                    self.in_flight.push(InFlight { at, order: self.order, to_b, from, bytes: bytes.clone() });
                }
            }
        }
    }

    /// Injects a datagram to B from `from`, arriving now.
    pub fn inject_to_b(&mut self, from: SocketAddr, bytes: &[u8]) {
        self.b.session.handle_packet(self.now, from, bytes);
        self.flush();
    }
}

/// An RTP packet's header fields, read by hand so the tests do not trust the code under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: u8,
    pub marker: bool,
    pub pt: u8,
    pub seq: u16,
    pub ts: u32,
    pub ssrc: u32,
}

pub fn header(bytes: &[u8]) -> Header {
    Header {
        version: bytes[0] >> 6,
        marker: bytes[1] & 0x80 != 0,
        pt: bytes[1] & 0x7F,
        seq: u16::from_be_bytes([bytes[2], bytes[3]]),
        ts: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        ssrc: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
    }
}

/// The RTP (not RTCP) datagrams a link carried.
pub fn rtp_sent(link: &Link) -> Vec<&Sent> {
    link.log.iter().filter(|s| !s.transmit.rtcp).collect()
}

/// Builds an RTP packet.
pub fn rtp_packet(marker: bool, pt: u8, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, (u8::from(marker) << 7) | pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// The signal-to-noise ratio in dB of `output` against `reference` delayed by the lag in
/// `0..max_lag` that fits best, over `len` samples from `start` of the reference; returns
/// (lag, SNR). The lag is found on a short stretch first, then the SNR measured over `len`.
pub fn best_snr(reference: &[i16], output: &[i16], start: usize, len: usize, max_lag: usize) -> (usize, f64) {
    let fits = |lag: usize| start + lag + len <= output.len() && start + len <= reference.len();
    let snr_at = |lag: usize, len: usize| {
        let (mut signal, mut noise) = (0.0, 0.0);
        for i in 0..len {
            let r = f64::from(reference[start + i]);
            let o = f64::from(output[start + lag + i]);
            signal += r * r;
            noise += (o - r) * (o - r);
        }
        10.0 * (signal / noise.max(1e-9)).log10()
    };
    let probe = len.min(480);
    let mut best = (0, f64::NEG_INFINITY);
    for lag in (0..max_lag).filter(|&lag| fits(lag)) {
        let snr = snr_at(lag, probe);
        if snr > best.1 {
            best = (lag, snr);
        }
    }
    if best.1 == f64::NEG_INFINITY {
        return best;
    }
    (best.0, snr_at(best.0, len))
}

/// RMS of a stretch.
pub fn rms(x: &[i16]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / x.len() as f64).sqrt()
}
