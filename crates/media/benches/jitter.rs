//! Jitter buffer cost per 20 ms of audio: one packet pushed and one device period pulled, under
//! moderate jitter (30 ms base delay plus 0–40 ms, so packets reorder, and 1% loss), at 8 and
//! 48 kHz.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use media::codec::{DecodeError, Decoder};
use media::jitter::{JitterBuffer, JitterConfig, RtpFrame};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// L16 big-endian PCM (RFC 3551 §4.5.11), the cheapest possible decoder.
struct L16 {
    rate: u32,
}

impl Decoder for L16 {
    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), DecodeError> {
        out.extend(payload.chunks_exact(2).map(|b| i16::from_be_bytes([b[0], b[1]])));
        Ok(())
    }
}

/// Sender and network on a virtual clock.
struct Sim {
    rng: ChaCha8Rng,
    t0: Instant,
    frame: usize,
    payloads: Vec<Vec<u8>>,
    sent: u32,
    in_flight: Vec<(Duration, RtpFrame)>,
    out: Vec<i16>,
}

impl Sim {
    fn new(rate: u32) -> Self {
        let frame = rate as usize / 50;
        // A few frames of a two-tone signal, reused round-robin.
        let payloads = (0..8)
            .map(|k| {
                (0..frame)
                    .flat_map(|n| {
                        let t = (k * frame + n) as f64 / f64::from(rate);
                        let tau = 2.0 * std::f64::consts::PI;
                        let x = 6000.0 * (tau * 180.0 * t).sin() + 3000.0 * (tau * 540.0 * t).sin();
                        (x as i16).to_be_bytes()
                    })
                    .collect()
            })
            .collect();
        Self {
            rng: ChaCha8Rng::seed_from_u64(7),
            t0: Instant::now(),
            frame,
            payloads,
            sent: 0,
            in_flight: Vec::new(),
            out: vec![0; frame],
        }
    }

    /// Sends one packet, delivers what has arrived, pulls one 20 ms period.
    fn step(&mut self, jb: &mut JitterBuffer) {
        let send_at = Duration::from_millis(20 * u64::from(self.sent));
        if !self.rng.next_u32().is_multiple_of(100) {
            let jitter = Duration::from_micros(u64::from(self.rng.next_u32() % 40_000));
            let frame = RtpFrame {
                seq: self.sent as u16,
                timestamp: self.sent.wrapping_mul(self.frame as u32),
                ssrc: 1,
                marker: false,
                payload_type: 0,
                payload: self.payloads[self.sent as usize % self.payloads.len()].clone(),
            };
            self.in_flight.push((send_at + Duration::from_millis(30) + jitter, frame));
        }
        self.sent += 1;
        let now = send_at + Duration::from_millis(7);
        // In flight is kept sorted by arrival time (a handful of packets).
        self.in_flight.sort_by_key(|(at, _)| *at);
        let due = self.in_flight.partition_point(|(at, _)| *at <= now);
        for (at, frame) in self.in_flight.drain(..due) {
            jb.push(self.t0 + at, frame);
        }
        jb.pull(self.t0 + now, &mut self.out);
        black_box(&self.out);
    }
}

fn push_and_pull(c: &mut Criterion) {
    let mut group = c.benchmark_group("jitter/push+pull 20 ms");
    for rate in [8000u32, 48_000] {
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::from_parameter(rate), &rate, |b, &rate| {
            let mut jb = JitterBuffer::new(JitterConfig::new(rate)).unwrap();
            jb.set_decoder(0, rate, Box::new(L16 { rate })).unwrap();
            let mut sim = Sim::new(rate);
            // Warm up past the initial delay so the buffer is in steady state.
            for _ in 0..500 {
                sim.step(&mut jb);
            }
            assert!(jb.stats().packets_decoded > 450, "not playing: {:?}", jb.stats());
            b.iter(|| sim.step(&mut jb));
        });
    }
    group.finish();
}

criterion_group!(benches, push_and_pull);
criterion_main!(benches);
