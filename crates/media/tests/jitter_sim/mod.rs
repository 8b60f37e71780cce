//! Shared simulation for the jitter buffer tests: a test codec, signals, a seeded network model
//! and a driver that runs sender, network and sound device on one virtual clock.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use media::codec::{DecodeError, Decoder};
use media::jitter::{JitterBuffer, JitterConfig, PushOutcome, RtpFrame};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Payload type the test codec is registered for.
pub const PT: u8 = 96;

/// A trivial codec: a 4-byte big-endian packet id (logged on decode), then L16 big-endian PCM.
pub struct TestDecoder {
    pub rate: u32,
    pub log: Arc<Mutex<Vec<u32>>>,
}

impl Decoder for TestDecoder {
    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), DecodeError> {
        if payload.len() < 4 || !payload.len().is_multiple_of(2) {
            return Err(DecodeError::BadLength { len: payload.len() });
        }
        let id = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]);
        self.log.lock().unwrap().push(id);
        out.extend(payload[4..].chunks_exact(2).map(|b| i16::from_be_bytes([b[0], b[1]])));
        Ok(())
    }
}

/// Encodes one test-codec payload.
pub fn encode(id: u32, pcm: &[i16]) -> Vec<u8> {
    let mut payload = id.to_be_bytes().to_vec();
    for s in pcm {
        payload.extend_from_slice(&s.to_be_bytes());
    }
    payload
}

/// A buffer at `rate` Hz with the test codec on [`PT`] (RTP clock = `rate`), and its decode log.
pub fn buffer(rate: u32) -> (JitterBuffer, Arc<Mutex<Vec<u32>>>) {
    buffer_with(JitterConfig::new(rate))
}

pub fn buffer_with(config: JitterConfig) -> (JitterBuffer, Arc<Mutex<Vec<u32>>>) {
    let rate = config.sample_rate;
    let mut jb = JitterBuffer::new(config).unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    jb.set_decoder(PT, rate, Box::new(TestDecoder { rate, log: log.clone() })).unwrap();
    (jb, log)
}

/// A sine of `freq` Hz and amplitude `amp` at `rate` Hz.
pub fn sine(freq: f64, amp: f64, rate: u32) -> impl Fn(usize) -> i16 {
    move |n| (amp * (2.0 * std::f64::consts::PI * freq * n as f64 / f64::from(rate)).sin()).round() as i16
}

/// A voiced-speech-like signal: five harmonics of a 100–140 Hz pitch with slow vibrato and a
/// syllable-rate amplitude envelope, at 8 kHz.
pub fn voiced(n: usize) -> i16 {
    let t = n as f64 / 8000.0;
    let tau = 2.0 * std::f64::consts::PI;
    // Pitch 120 + 20·sin(2π·0.7·t) Hz; the phase is its integral.
    let phase = tau * (120.0 * t + 20.0 / (tau * 0.7) * (1.0 - (tau * 0.7 * t).cos()));
    let envelope = 0.6 + 0.4 * (tau * 3.0 * t).sin();
    let harmonics = [1.0, 0.6, 0.4, 0.25, 0.15];
    let value: f64 = harmonics.iter().enumerate().map(|(k, a)| a * ((k + 1) as f64 * phase + k as f64).sin()).sum();
    (5000.0 * envelope * value).round() as i16
}

/// One packet as sent.
#[derive(Debug, Clone)]
pub struct Sent {
    pub id: u32,
    pub frame: RtpFrame,
    /// Send time on the virtual clock.
    pub at: Duration,
    /// Index of its first sample in the input signal.
    pub first_sample: usize,
}

/// How the sender behaves.
pub struct Sender {
    pub rate: u32,
    pub frame: usize,
    pub seq0: u16,
    pub ts0: u32,
    pub ssrc: u32,
    /// The sender's clock runs this much fast (0.005 = +0.5%): packets go out more often.
    pub drift: f64,
}

impl Sender {
    pub fn new(rate: u32) -> Self {
        Self { rate, frame: rate as usize / 50, seq0: 1000, ts0: 123_456, ssrc: 0x1234_5678, drift: 0.0 }
    }

    /// `count` packets of `signal`, each passed through `mutate` (packet index, frame).
    pub fn send(
        &self,
        count: usize,
        signal: &dyn Fn(usize) -> i16,
        mut mutate: impl FnMut(usize, &mut RtpFrame),
    ) -> (Vec<Sent>, Vec<i16>) {
        let input: Vec<i16> = (0..count * self.frame).map(signal).collect();
        let frame_time = Duration::from_secs_f64(self.frame as f64 / f64::from(self.rate) / (1.0 + self.drift));
        let sent = (0..count)
            .map(|i| {
                let pcm = &input[i * self.frame..(i + 1) * self.frame];
                let mut frame = RtpFrame {
                    seq: self.seq0.wrapping_add(i as u16),
                    timestamp: self.ts0.wrapping_add((i * self.frame) as u32),
                    ssrc: self.ssrc,
                    marker: i == 0,
                    payload_type: PT,
                    payload: encode(i as u32, pcm),
                };
                mutate(i, &mut frame);
                Sent { id: i as u32, frame, at: frame_time * i as u32, first_sample: i * self.frame }
            })
            .collect();
        (sent, input)
    }
}

/// Packet loss patterns.
#[derive(Debug, Clone, Copy)]
pub enum Loss {
    None,
    /// Each packet lost independently with this probability.
    Random(f64),
    /// Gilbert model: good→bad with `p`, bad→good with `r`, loss only in the bad state.
    Gilbert {
        p: f64,
        r: f64,
    },
}

/// A seeded network: loss, a constant base delay plus uniform jitter, duplicates, an outage.
pub struct Network {
    pub rng: ChaCha8Rng,
    pub loss: Loss,
    pub base: Duration,
    pub jitter_ms: f64,
    pub duplicate: f64,
    /// Packets sent in this window are all lost.
    pub outage: Option<(Duration, Duration)>,
    /// Packets with index in this range see the jitter; the others only the base delay.
    pub jitter_span: Option<(usize, usize)>,
    /// Never lose the first and the last packet (so loss counts are exact).
    pub keep_ends: bool,
    bad: bool,
}

/// What the network did.
#[derive(Debug, Default, Clone)]
pub struct NetReport {
    pub dropped: Vec<u32>,
    pub duplicated: Vec<u32>,
}

/// One packet arriving.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub at: Duration,
    pub index: usize,
}

impl Network {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            loss: Loss::None,
            base: Duration::from_millis(30),
            jitter_ms: 0.0,
            duplicate: 0.0,
            outage: None,
            jitter_span: None,
            keep_ends: true,
            bad: false,
        }
    }

    pub fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn lost(&mut self, sent: &Sent, index: usize, count: usize) -> bool {
        if self.keep_ends && (index == 0 || index + 1 == count) {
            return false;
        }
        if self.outage.is_some_and(|(from, to)| sent.at >= from && sent.at < to) {
            return true;
        }
        match self.loss {
            Loss::None => false,
            Loss::Random(p) => self.uniform() < p,
            Loss::Gilbert { p, r } => {
                let u = self.uniform();
                self.bad = if self.bad { u >= r } else { u < p };
                self.bad
            }
        }
    }

    fn delay(&mut self, index: usize) -> Duration {
        let jittery = self.jitter_span.is_none_or(|(from, to)| (from..to).contains(&index));
        let jitter = if jittery { self.uniform() * self.jitter_ms } else { 0.0 };
        self.base + Duration::from_secs_f64(jitter / 1000.0)
    }

    /// Arrivals of `sent`, sorted by time (ties keep send order).
    pub fn deliver(&mut self, sent: &[Sent]) -> (Vec<Arrival>, NetReport) {
        let mut report = NetReport::default();
        let mut arrivals = Vec::new();
        for (index, packet) in sent.iter().enumerate() {
            if self.lost(packet, index, sent.len()) {
                report.dropped.push(packet.id);
                continue;
            }
            arrivals.push(Arrival { at: packet.at + self.delay(index), index });
            if self.uniform() < self.duplicate {
                report.duplicated.push(packet.id);
                arrivals.push(Arrival { at: packet.at + self.delay(index), index });
            }
        }
        arrivals.sort_by_key(|a| a.at);
        (arrivals, report)
    }
}

/// The sound device: pulls `period` samples every `period` of its own clock, which runs
/// `drift` fast, starting at `offset`.
pub struct Device {
    pub period: usize,
    pub rate: u32,
    pub drift: f64,
    pub offset: Duration,
}

impl Device {
    pub fn new(rate: u32) -> Self {
        Self { period: rate as usize / 50, rate, drift: 0.0, offset: Duration::from_millis(7) }
    }

    fn time_of(&self, k: usize) -> Duration {
        let seconds = (k * self.period) as f64 / f64::from(self.rate) / (1.0 + self.drift);
        self.offset + Duration::from_secs_f64(seconds)
    }
}

/// What a run produced.
pub struct Run {
    pub output: Vec<i16>,
    /// Push outcome per arrival, by packet id.
    pub outcomes: Vec<(u32, PushOutcome)>,
}

/// Runs the buffer over `arrivals` of `sent`, pulling until `until`; `observe` sees the buffer
/// after each pull with the pull's time and its output.
pub fn run(
    jb: &mut JitterBuffer,
    sent: &[Sent],
    arrivals: &[Arrival],
    device: &Device,
    until: Duration,
    mut observe: impl FnMut(Duration, &JitterBuffer, &[i16]),
) -> Run {
    let t0 = Instant::now();
    let mut output = Vec::new();
    let mut outcomes = Vec::new();
    let mut next_arrival = 0;
    let mut frame = vec![0i16; device.period];
    for k in 0.. {
        let pull_at = device.time_of(k);
        if pull_at > until {
            break;
        }
        while next_arrival < arrivals.len() && arrivals[next_arrival].at <= pull_at {
            let arrival = &arrivals[next_arrival];
            let packet = &sent[arrival.index];
            outcomes.push((packet.id, jb.push(t0 + arrival.at, packet.frame.clone())));
            next_arrival += 1;
        }
        jb.pull(t0 + pull_at, &mut frame);
        output.extend_from_slice(&frame);
        observe(pull_at, jb, &frame);
    }
    Run { output, outcomes }
}

/// The end of sending plus enough time to drain the buffer.
pub fn drain_time(sent: &[Sent]) -> Duration {
    sent.last().map_or(Duration::ZERO, |s| s.at) + Duration::from_secs(2)
}

/// Offset at which `needle` occurs exactly in `haystack`.
pub fn find(haystack: &[i16], needle: &[i16]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Largest absolute sample-to-sample step.
pub fn max_step(x: &[i16]) -> i32 {
    x.windows(2).map(|w| (i32::from(w[1]) - i32::from(w[0])).abs()).max().unwrap_or(0)
}

/// Counts of each id among decoded packets.
pub fn decode_counts(log: &Arc<Mutex<Vec<u32>>>) -> BTreeMap<u32, usize> {
    let mut counts = BTreeMap::new();
    for id in log.lock().unwrap().iter() {
        *counts.entry(*id).or_insert(0) += 1;
    }
    counts
}

/// Normalized cross-correlation of two equally long stretches.
pub fn correlation(a: &[i16], b: &[i16]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        return 0.0;
    }
    ab / (aa * bb).sqrt()
}
