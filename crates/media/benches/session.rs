//! Media session cost per 20 ms of audio: one frame sent by A (resample, encode, RTP), its packet
//! handled by B (parse, statistics, jitter buffer) and one device period pulled by B (decode,
//! resample, playout), for PCMU and G.722, with the device at the codec's rate and at 48 kHz.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use media::session::{AgreedCodec, CodecKind, MediaSession, SessionConfig};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

struct Pair {
    a: MediaSession,
    b: MediaSession,
    from_a: SocketAddr,
    now: Instant,
    frame: Vec<i16>,
    out: Vec<i16>,
}

impl Pair {
    fn new(kind: CodecKind, rate: u32) -> Self {
        let a_addr: SocketAddr = "192.0.2.1:4000".parse().unwrap();
        let b_addr: SocketAddr = "192.0.2.2:5000".parse().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let now = Instant::now();
        let config = |to| SessionConfig::new(vec![AgreedCodec::new(kind)], to, rate);
        let a = MediaSession::new(now, config(b_addr), &mut rng).unwrap();
        let b = MediaSession::new(now, config(a_addr), &mut rng).unwrap();
        let len = a.frame_len();
        let frame = (0..len)
            .map(|n| {
                let t = n as f64 / f64::from(rate);
                let tau = 2.0 * std::f64::consts::PI;
                (7000.0 * (tau * 450.0 * t).sin() + 3000.0 * (tau * 2950.0 * t).sin()) as i16
            })
            .collect();
        let mut pair = Self { a, b, from_a: a_addr, now, frame, out: vec![0; len] };
        // Warm up past the jitter buffer's start and the first RTCP report.
        for _ in 0..300 {
            pair.step();
        }
        let stats = pair.b.stats();
        assert!(stats.packets_received >= 299 && stats.packets_lost == 0, "{stats:?}");
        assert!(pair.out.iter().any(|&s| s.abs() > 1000), "B plays A's audio");
        pair
    }

    /// One 20 ms period: A sends, the network delivers at once, B plays.
    fn step(&mut self) {
        self.now += Duration::from_millis(20);
        let now = self.now;
        for session in [&mut self.a, &mut self.b] {
            if session.poll_timeout().is_some_and(|t| t <= now) {
                session.handle_timeout(now);
            }
        }
        self.a.send_audio(now, &self.frame).unwrap();
        while let Some(t) = self.a.poll_transmit() {
            self.b.handle_packet(now, self.from_a, &t.bytes);
        }
        self.b.pull_audio(now, &mut self.out);
        while self.b.poll_transmit().is_some() {}
        while self.b.poll_event().is_some() {}
        black_box(&self.out);
    }
}

fn bench_session(c: &mut Criterion) {
    let mut group = c.benchmark_group("session_20ms");
    group.throughput(Throughput::Elements(1));
    for (kind, rate) in
        [(CodecKind::Pcmu, 8000), (CodecKind::Pcmu, 48000), (CodecKind::G722, 16000), (CodecKind::G722, 48000)]
    {
        let mut pair = Pair::new(kind, rate);
        group.bench_function(BenchmarkId::new(kind.name(), rate), |b| b.iter(|| pair.step()));
    }
    group.finish();
}

criterion_group!(benches, bench_session);
criterion_main!(benches);
