//! Jitter buffer under arbitrary packet sequences (proptest): it never panics, memory stays
//! within the caps, and no packet is ever played twice.

mod jitter_sim;

use std::time::{Duration, Instant};

use jitter_sim::{buffer_with, decode_counts, drain_time, run, sine, Device, Loss, Network, Sender, PT};
use media::jitter::{JitterConfig, RtpFrame};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy)]
enum Seq {
    Step(i16),
    Any(u16),
}

#[derive(Debug, Clone, Copy)]
enum Ts {
    Step(i32),
    Any(u32),
}

#[derive(Debug, Clone)]
enum Op {
    Push { wait_ms: u16, seq: Seq, ts: Ts, ssrc: u32, marker: bool, payload_type: u8, samples: usize, odd: bool },
    Pull { wait_ms: u16, len: usize },
}

fn wait() -> impl Strategy<Value = u16> {
    prop_oneof![16 => 0u16..40, 2 => 0u16..10_000, 1 => Just(u16::MAX)]
}

fn op() -> impl Strategy<Value = Op> {
    let seq = prop_oneof![6 => (-8i16..10).prop_map(Seq::Step), 1 => any::<u16>().prop_map(Seq::Any)];
    let ts = prop_oneof![
        6 => (-4i32..10).prop_map(|k| Ts::Step(k * 160)),
        1 => any::<i32>().prop_map(Ts::Step),
        1 => any::<u32>().prop_map(Ts::Any),
    ];
    let payload_type = prop_oneof![8 => Just(PT), 1 => Just(0u8), 1 => Just(101u8), 1 => any::<u8>()];
    let push = (wait(), seq, ts, 0u32..3, any::<bool>(), payload_type, 0usize..400, any::<bool>()).prop_map(
        |(wait_ms, seq, ts, ssrc, marker, payload_type, samples, odd)| Op::Push {
            wait_ms,
            seq,
            ts,
            ssrc,
            marker,
            payload_type,
            samples,
            odd,
        },
    );
    let pull = (wait(), prop_oneof![4 => Just(160usize), 1 => 0usize..2000])
        .prop_map(|(wait_ms, len)| Op::Pull { wait_ms, len });
    prop_oneof![3 => push, 2 => pull]
}

fn config(small: bool, rate: u32) -> JitterConfig {
    let mut config = JitterConfig::new(rate);
    if small {
        (config.max_packets, config.max_bytes) = (16, 2048);
    }
    config
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_packet_sequences_never_panic_and_stay_bounded(
        ops in prop::collection::vec(op(), 1..250),
        small in any::<bool>(),
        wide in any::<bool>(),
    ) {
        let rate = if wide { 16_000 } else { 8000 };
        let config = config(small, rate);
        let (max_packets, max_bytes) = (config.max_packets, config.max_bytes);
        let (mut jb, log) = buffer_with(config);
        let t0 = Instant::now();
        let mut now = Duration::ZERO;
        let (mut seq, mut ts) = (0u16, 0u32);
        let mut out = Vec::new();
        for (id, op) in ops.iter().enumerate() {
            match *op {
                Op::Push { wait_ms, seq: s, ts: t, ssrc, marker, payload_type, samples, odd } => {
                    now += Duration::from_millis(u64::from(wait_ms));
                    seq = match s { Seq::Step(d) => seq.wrapping_add(d as u16), Seq::Any(v) => v };
                    ts = match t { Ts::Step(d) => ts.wrapping_add(d as u32), Ts::Any(v) => v };
                    let pcm: Vec<i16> = (0..samples).map(|n| ((n * 977) % 20_000) as i16 - 10_000).collect();
                    let mut payload = jitter_sim::encode(id as u32, &pcm);
                    if odd {
                        payload.push(0);
                    }
                    jb.push(t0 + now, RtpFrame { seq, timestamp: ts, ssrc, marker, payload_type, payload });
                }
                Op::Pull { wait_ms, len } => {
                    now += Duration::from_millis(u64::from(wait_ms));
                    out.resize(len, 0);
                    jb.pull(t0 + now, &mut out);
                }
            }
            prop_assert!(jb.buffered_packets() <= max_packets);
            prop_assert!(jb.buffered_bytes() <= max_bytes);
            // A pull leaves less than one decoded payload plus one pitch period over.
            prop_assert!(jb.pending_samples() <= 400 + 240);
            let stats = jb.stats();
            prop_assert!(stats.packets_decoded <= stats.packets_received);
            prop_assert!(stats.packets_lost <= stats.packets_expected);
        }
        prop_assert!(decode_counts(&log).values().all(|&n| n == 1), "a packet was played twice");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any mix of jitter, loss, duplication, drift and starting numbers: every packet that
    /// arrives is played at most once, and once drained each distinct packet that arrived was
    /// either played or counted as late.
    #[test]
    fn every_arrived_packet_is_played_once_or_counted_late(
        seed in any::<u64>(),
        jitter_ms in 0.0f64..300.0,
        loss in 0.0f64..0.3,
        duplicate in 0.0f64..0.2,
        drift in -0.01f64..0.01,
        seq0 in any::<u16>(),
        ts0 in any::<u32>(),
    ) {
        let (mut jb, log) = buffer_with(JitterConfig::new(8000));
        let mut sender = Sender::new(8000);
        (sender.seq0, sender.ts0, sender.drift) = (seq0, ts0, drift);
        let (sent, _) = sender.send(300, &sine(200.0, 8000.0, 8000), |_, _| {});
        let mut net = Network::new(seed);
        (net.jitter_ms, net.loss, net.duplicate) = (jitter_ms, Loss::Random(loss), duplicate);
        let (arrivals, report) = net.deliver(&sent);
        run(&mut jb, &sent, &arrivals, &Device::new(8000), drain_time(&sent), |_, jb, _| {
            assert!(jb.buffered_packets() <= 512);
        });
        let counts = decode_counts(&log);
        prop_assert!(counts.values().all(|&n| n == 1));
        let stats = jb.stats();
        let arrived = (sent.len() - report.dropped.len()) as u64;
        prop_assert_eq!(jb.buffered_packets(), 0);
        prop_assert_eq!(stats.packets_decoded + stats.late_discarded + stats.overflow_discarded, arrived);
        prop_assert_eq!(stats.duplicates, report.duplicated.len() as u64);
        prop_assert_eq!(stats.packets_lost, report.dropped.len() as u64);
    }
}
