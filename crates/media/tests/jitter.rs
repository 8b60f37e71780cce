//! Jitter buffer: packet handling, bit-exactness and statistics, on a virtual clock with seeded
//! network models (see `jitter_sim`).

mod jitter_sim;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use jitter_sim::{buffer, decode_counts, drain_time, find, run, sine, Device, Loss, Network, Sender, PT};
use media::jitter::{JitterBuffer, JitterConfig, JitterError, PushOutcome, RtpFrame};

/// The output holds `input` exactly (after the initial delay), all but its last `tail` samples.
fn assert_bit_exact(output: &[i16], input: &[i16], tail: usize) -> usize {
    let offset = find(output, &input[..64]).expect("start of the input in the output");
    let played = input.len() - tail;
    let mismatch = output[offset..].iter().zip(&input[..played]).position(|(a, b)| a != b);
    assert_eq!(mismatch, None, "output differs from input (offset {offset})");
    assert!(output.len() >= offset + played, "output too short");
    offset
}

#[test]
fn clean_network_plays_bit_exact_across_sequence_and_timestamp_wrap() {
    let (mut jb, log) = buffer(8000);
    let mut sender = Sender::new(8000);
    sender.seq0 = 65_000;
    sender.ts0 = u32::MAX - 40_000;
    let (sent, input) = sender.send(3000, &sine(440.0, 12_000.0, 8000), |_, _| {});
    let (arrivals, _) = Network::new(1).deliver(&sent);
    let device = Device::new(8000);
    let mut stats = None;
    let run = run(&mut jb, &sent, &arrivals, &device, drain_time(&sent), |_, jb, _| {
        // Once the last packet played; afterwards the stream's end is concealed.
        if stats.is_none() && jb.stats().packets_decoded == 3000 {
            stats = Some(jb.stats());
        }
    });
    let offset = assert_bit_exact(&run.output, &input, 0);
    // 30 ms network + the target (20 ms device period + 5 ms margin), within a device period.
    assert!(offset <= 8 * 80, "initial delay {offset} samples");
    let stats = stats.unwrap();
    assert_eq!(stats.packets_received, 3000);
    assert_eq!(stats.packets_decoded, 3000);
    assert_eq!(stats.packets_lost, 0);
    assert_eq!(stats.concealed_samples, 0);
    assert_eq!(stats.accelerate_events + stats.expand_events, 0);
    assert_eq!(stats.late_discarded + stats.duplicates, 0);
    assert_eq!(stats.extended_highest_seq, (65_000 + 2999) as u32);
    assert_eq!(log.lock().unwrap().len(), 3000);
}

#[test]
fn clean_network_is_bit_exact_at_16k_with_a_10_ms_device_period() {
    let (mut jb, _) = buffer(16_000);
    let (sent, input) = Sender::new(16_000).send(500, &sine(300.0, 9000.0, 16_000), |_, _| {});
    let (arrivals, _) = Network::new(2).deliver(&sent);
    let mut device = Device::new(16_000);
    device.period = 160;
    let mut concealed_before_the_end = None;
    let run = run(&mut jb, &sent, &arrivals, &device, drain_time(&sent), |_, jb, _| {
        if concealed_before_the_end.is_none() && jb.stats().packets_decoded == 500 {
            concealed_before_the_end = Some(jb.stats().concealed_samples);
        }
    });
    assert_bit_exact(&run.output, &input, 0);
    assert_eq!(concealed_before_the_end, Some(0));
}

#[test]
fn every_packet_in_time_plays_exactly_once_and_late_ones_are_counted() {
    for seed in 0..4 {
        let (mut jb, log) = buffer(8000);
        let (sent, _) = Sender::new(8000).send(1500, &sine(300.0, 8000.0, 8000), |_, _| {});
        let mut net = Network::new(10 + seed);
        net.jitter_ms = 80.0;
        net.duplicate = 0.03;
        net.loss = Loss::Random(0.03);
        let (arrivals, _) = net.deliver(&sent);
        let run = run(&mut jb, &sent, &arrivals, &Device::new(8000), drain_time(&sent), |_, _, _| {});
        let counts = decode_counts(&log);
        assert!(counts.values().all(|&n| n == 1), "a packet played twice");
        let buffered: BTreeSet<u32> =
            run.outcomes.iter().filter(|(_, o)| *o == PushOutcome::Buffered).map(|(id, _)| *id).collect();
        let late: BTreeSet<u32> =
            run.outcomes.iter().filter(|(_, o)| *o == PushOutcome::Late).map(|(id, _)| *id).collect();
        let played: BTreeSet<u32> = counts.keys().copied().collect();
        assert!(played.is_subset(&buffered));
        assert!(played.is_disjoint(&late));
        let stats = jb.stats();
        assert_eq!(stats.overflow_discarded, 0);
        assert_eq!(jb.buffered_packets(), 0, "drained");
        // Buffered but never played means discarded as late at playout: counted too.
        let unplayed = buffered.len() - played.len();
        assert_eq!(stats.late_discarded as usize, late.len() + unplayed, "seed {seed}");
        assert_eq!(stats.packets_decoded as usize, played.len());
    }
}

#[test]
fn statistics_match_what_the_network_did() {
    let (mut jb, _) = buffer(8000);
    let (sent, _) = Sender::new(8000).send(2000, &sine(500.0, 8000.0, 8000), |_, _| {});
    let mut net = Network::new(77);
    net.jitter_ms = 60.0;
    net.duplicate = 0.02;
    net.loss = Loss::Gilbert { p: 0.02, r: 0.3 };
    let (arrivals, report) = net.deliver(&sent);
    let run = run(&mut jb, &sent, &arrivals, &Device::new(8000), drain_time(&sent), |_, _, _| {});
    let stats = jb.stats();
    let count = |wanted: PushOutcome| run.outcomes.iter().filter(|(_, o)| *o == wanted).count() as u64;
    assert_eq!(stats.packets_received, arrivals.len() as u64);
    assert_eq!(stats.packets_expected, 2000);
    assert_eq!(stats.packets_lost, report.dropped.len() as u64);
    assert_eq!(stats.duplicates, report.duplicated.len() as u64);
    assert_eq!(stats.duplicates, count(PushOutcome::Duplicate));
    assert_eq!(stats.packets_decoded + stats.late_discarded, 2000 - report.dropped.len() as u64);
    assert!(stats.concealment_events > 0 && stats.concealed_samples > 0);
    assert_eq!(stats.concealed_ms, stats.concealed_samples / 8);
    assert!(stats.interarrival_jitter > 0);
    assert_eq!(stats.ssrc, Some(0x1234_5678));
    assert!(stats.max_delay_ms >= stats.target_delay_ms.min(stats.current_delay_ms));
}

#[test]
fn rfc3550_jitter_estimate_matches_the_network() {
    // Uniform jitter over [0, J] gives E|D| = J/3 for the difference of two arrivals.
    let (mut jb, _) = buffer(8000);
    let (sent, _) = Sender::new(8000).send(3000, &sine(500.0, 8000.0, 8000), |_, _| {});
    let mut net = Network::new(5);
    net.jitter_ms = 30.0;
    let (arrivals, _) = net.deliver(&sent);
    run(&mut jb, &sent, &arrivals, &Device::new(8000), drain_time(&sent), |_, _, _| {});
    let jitter_ms = f64::from(jb.stats().interarrival_jitter) / 8.0;
    assert!((6.0..14.0).contains(&jitter_ms), "{jitter_ms} ms");
}

#[test]
fn configuration_and_registration_errors() {
    let mut config = JitterConfig::new(7000);
    assert!(matches!(JitterBuffer::new(config.clone()), Err(JitterError::UnsupportedSampleRate { rate: 7000 })));
    config.sample_rate = 8000;
    config.min_delay = Duration::from_millis(500);
    assert!(matches!(JitterBuffer::new(config.clone()), Err(JitterError::InvalidDelayRange { .. })));
    config.min_delay = Duration::from_millis(20);
    config.max_packets = 0;
    assert!(matches!(JitterBuffer::new(config.clone()), Err(JitterError::InvalidCapacity { .. })));
    config.max_packets = 64;
    let mut jb = JitterBuffer::new(config).unwrap();
    let decoder = |rate| {
        Box::new(jitter_sim::TestDecoder { rate, log: Default::default() }) as Box<dyn media::codec::Decoder + Send>
    };
    assert!(matches!(jb.set_decoder(128, 8000, decoder(8000)), Err(JitterError::InvalidPayloadType { .. })));
    assert!(matches!(jb.set_decoder(PT, 0, decoder(8000)), Err(JitterError::InvalidClockRate { .. })));
    assert!(matches!(jb.set_decoder(PT, 8000, decoder(16_000)), Err(JitterError::SampleRateMismatch { .. })));
    assert!(jb.set_decoder(PT, 8000, decoder(8000)).is_ok());
}

fn frame(seq: u16, timestamp: u32, payload: Vec<u8>) -> RtpFrame {
    RtpFrame { seq, timestamp, ssrc: 7, marker: false, payload_type: PT, payload }
}

#[test]
fn push_outcomes_for_duplicates_late_packets_and_unknown_payload_types() {
    let (mut jb, _) = buffer(8000);
    let t0 = Instant::now();
    let pcm = vec![100i16; 160];
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    assert_eq!(jb.push(at(0), frame(10, 0, jitter_sim::encode(0, &pcm))), PushOutcome::Buffered);
    assert_eq!(jb.push(at(1), frame(10, 0, jitter_sim::encode(0, &pcm))), PushOutcome::Duplicate);
    let mut out = vec![0i16; 160];
    for k in 0..10 {
        jb.pull(at(20 * k), &mut out);
    }
    // Packet 11 never came; 12 arrives long after its turn.
    assert_eq!(jb.push(at(200), frame(12, 320, jitter_sim::encode(2, &pcm))), PushOutcome::Buffered);
    for k in 10..20 {
        jb.pull(at(20 * k), &mut out);
    }
    assert_eq!(jb.push(at(400), frame(11, 160, jitter_sim::encode(1, &pcm))), PushOutcome::Late);
    let mut event = frame(13, 480, vec![1, 2, 3, 4]);
    event.payload_type = 101;
    assert_eq!(jb.push(at(401), event), PushOutcome::NoDecoder);
    let stats = jb.stats();
    assert_eq!((stats.duplicates, stats.late_discarded, stats.no_decoder), (1, 1, 1));
    assert_eq!(stats.packets_lost, 0);
}

#[test]
fn zero_length_and_malformed_payloads_are_concealed_not_fatal() {
    let (mut jb, _) = buffer(8000);
    let t0 = Instant::now();
    let mut out = vec![0i16; 160];
    let signal = sine(200.0, 8000.0, 8000);
    for k in 0..200u16 {
        let pcm: Vec<i16> = (0..160).map(|n| signal(usize::from(k) * 160 + n)).collect();
        let payload = match k % 7 {
            3 => Vec::new(),
            5 => vec![1, 2, 3],
            _ => jitter_sim::encode(u32::from(k), &pcm),
        };
        jb.push(t0 + Duration::from_millis(20 * u64::from(k)), frame(k, u32::from(k) * 160, payload));
        jb.pull(t0 + Duration::from_millis(20 * u64::from(k) + 5), &mut out);
    }
    let stats = jb.stats();
    assert!(stats.decode_errors >= 50, "{stats:?}");
    assert!(stats.concealed_samples > 0);
}

#[test]
fn a_flood_is_capped_and_counted() {
    let mut config = JitterConfig::new(8000);
    config.max_packets = 64;
    config.max_bytes = 8 * 1024;
    let (mut jb, _) = jitter_sim::buffer_with(config);
    let t0 = Instant::now();
    let pcm = vec![5i16; 160];
    for k in 0..3000u32 {
        jb.push(t0, frame(k as u16, k * 160, jitter_sim::encode(k, &pcm)));
        assert!(jb.buffered_packets() <= 64 && jb.buffered_bytes() <= 8 * 1024);
    }
    let stats = jb.stats();
    assert!(stats.overflow_discarded >= 3000 - 64);
    let mut out = vec![0i16; 160];
    for k in 0..100 {
        jb.pull(t0 + Duration::from_millis(20 * k), &mut out);
    }
}

#[test]
fn a_timestamp_jump_causes_no_long_silence_and_no_giant_buffer() {
    for jump in [1_000_000u32, 3_000_000_000, 40_000, 4000, 5600u32.wrapping_neg()] {
        let (mut jb, _) = buffer(8000);
        let signal = sine(300.0, 8000.0, 8000);
        let (sent, _) = Sender::new(8000)
            .send(1000, &signal, |i, f| f.timestamp = f.timestamp.wrapping_add(if i >= 500 { jump } else { 0 }));
        let mut net = Network::new(3);
        net.jitter_ms = 20.0;
        let (arrivals, _) = net.deliver(&sent);
        let mut worst_delay = 0;
        let run = run(&mut jb, &sent, &arrivals, &Device::new(8000), drain_time(&sent), |_, jb, _| {
            worst_delay = worst_delay.max(jb.stats().current_delay_ms);
            assert!(jb.buffered_packets() < 20);
        });
        let stats = jb.stats();
        assert!(stats.resyncs >= 1, "jump {jump} not detected");
        assert!(stats.late_discarded <= 2, "{stats:?}");
        assert!(worst_delay < 200, "delay {worst_delay} ms after a jump of {jump}");
        let speech = &run.output[8000..(sent.len() - 20) * 160];
        assert!(longest_silence(speech) < 8 * 60, "jump {jump}: silence of {} samples", longest_silence(speech));
    }
}

fn longest_silence(x: &[i16]) -> usize {
    x.split(|&s| s.abs() > 200).map(<[i16]>::len).max().unwrap_or(0)
}

#[test]
fn an_ssrc_change_resynchronises_quickly() {
    let (mut jb, _) = buffer(8000);
    let signal = sine(300.0, 8000.0, 8000);
    let (sent, _) = Sender::new(8000).send(1000, &signal, |i, f| {
        if i >= 400 {
            f.ssrc = 0xdead_beef;
            f.seq = f.seq.wrapping_add(30_000);
            f.timestamp = f.timestamp.wrapping_add(0x7000_0000);
        }
    });
    let mut net = Network::new(4);
    net.jitter_ms = 30.0;
    let (arrivals, _) = net.deliver(&sent);
    let run = run(&mut jb, &sent, &arrivals, &Device::new(8000), drain_time(&sent), |_, jb, _| {
        assert!(jb.buffered_packets() < 20);
    });
    let stats = jb.stats();
    assert_eq!(stats.ssrc, Some(0xdead_beef));
    assert!(stats.resyncs >= 1);
    assert!(stats.packets_decoded >= 995, "{stats:?}");
    let speech = &run.output[8000..(sent.len() - 20) * 160];
    assert!(longest_silence(speech) < 8 * 120, "silence of {} samples", longest_silence(speech));
}

#[test]
fn a_two_second_outage_fades_to_silence_and_recovers_at_the_target_delay() {
    let (mut jb, _) = buffer(8000);
    let (sent, _) = Sender::new(8000).send(500, &sine(300.0, 8000.0, 8000), |_, _| {});
    let mut net = Network::new(6);
    net.outage = Some((Duration::from_secs(4), Duration::from_secs(6)));
    let (arrivals, report) = net.deliver(&sent);
    assert_eq!(report.dropped.len(), 100);
    let run = run(&mut jb, &sent, &arrivals, &Device::new(8000), drain_time(&sent), |_, _, _| {});
    let stats = jb.stats();
    assert_eq!(stats.packets_lost, 100);
    // Concealment fades to silence within 60 ms; the rest of the outage is silence. (The end of
    // the stream is a second concealment.)
    assert_eq!(stats.concealment_events, 2);
    assert!(stats.concealed_ms <= 2 * 80, "{stats:?}");
    let outage = &run.output[8 * 4150..8 * 5900];
    let loud: Vec<usize> = outage.iter().enumerate().filter(|(_, s)| **s != 0).map(|(i, _)| i).collect();
    assert!(loud.is_empty(), "{} non-zero, first {:?} last {:?}", loud.len(), loud.first(), loud.last());
    // Audio is back within the network delay plus the target delay plus a period.
    let back = run.output[8 * 5900..].iter().position(|&s| s != 0).unwrap();
    assert!(back < 8 * (100 + 30 + 25 + 20), "back after {} ms", back / 8);
    assert_eq!(stats.current_delay_ms, stats.target_delay_ms);
}

/// One network model for the memory test: loss, jitter, duplicates, drift, stream changes.
fn model(index: usize, net: &mut Network, sender: &mut Sender) -> fn(usize, &mut RtpFrame) {
    match index {
        0 => net.loss = Loss::Random(0.1),
        1 => net.loss = Loss::Gilbert { p: 0.05, r: 0.25 },
        2 => (net.jitter_ms, net.duplicate) = (80.0, 0.05),
        3 => sender.drift = 0.005,
        4 => sender.drift = -0.005,
        5 => return |i, f| f.timestamp = f.timestamp.wrapping_add(if i >= 400 { 1_000_000 } else { 0 }),
        6 => return |i, f| f.ssrc ^= if i >= 400 { 0xffff } else { 0 },
        7 => sender.seq0 = 65_400,
        8 => net.outage = Some((Duration::from_secs(10), Duration::from_secs(12))),
        _ => {
            (net.jitter_ms, net.duplicate, net.loss) = (80.0, 0.05, Loss::Gilbert { p: 0.03, r: 0.3 });
            net.outage = Some((Duration::from_secs(20), Duration::from_secs(22)));
            (sender.drift, sender.seq0) = (0.005, 65_400);
            return |i, f| {
                f.timestamp = f.timestamp.wrapping_add(if i >= 300 { 3_000_000_000 } else { 0 });
                f.ssrc ^= if i >= 700 { 0xffff } else { 0 };
            };
        }
    }
    |_, _| {}
}

#[test]
fn memory_stays_bounded_under_every_network_model() {
    for index in 0..10 {
        let (mut jb, _) = buffer(8000);
        let mut net = Network::new(100 + index as u64);
        let mut sender = Sender::new(8000);
        let mutate = model(index, &mut net, &mut sender);
        let (sent, _) = sender.send(1500, &sine(250.0, 8000.0, 8000), mutate);
        let (arrivals, _) = net.deliver(&sent);
        run(&mut jb, &sent, &arrivals, &Device::new(8000), drain_time(&sent), |_, jb, _| {
            assert!(jb.buffered_packets() <= 30, "model {index}: {} packets", jb.buffered_packets());
            assert!(jb.buffered_bytes() <= 30 * 324);
            assert!(jb.pending_samples() <= 3 * 160, "model {index}: {} samples", jb.pending_samples());
            assert!(jb.stats().current_delay_ms <= 520, "model {index}: {:?}", jb.stats());
        });
        let stats = jb.stats();
        assert!(stats.packets_decoded >= 1000, "model {index}: {stats:?}");
    }
}

/// A codec with its own concealment: conceals with a constant, so its output is recognisable.
struct Concealing;

impl media::codec::Decoder for Concealing {
    fn sample_rate(&self) -> u32 {
        8000
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), media::codec::DecodeError> {
        out.extend(payload.chunks_exact(2).map(|b| i16::from_be_bytes([b[0], b[1]])));
        Ok(())
    }

    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) -> bool {
        out.resize(out.len() + samples, 1234);
        true
    }
}

#[test]
fn a_codec_with_its_own_concealment_conceals_a_loss() {
    let mut jb = JitterBuffer::new(JitterConfig::new(8000)).unwrap();
    jb.set_decoder(0, 8000, Box::new(Concealing)).unwrap();
    let t0 = Instant::now();
    let mut output = Vec::new();
    let mut out = vec![0i16; 160];
    for k in 0..100u16 {
        let at = t0 + Duration::from_millis(20 * u64::from(k));
        if k != 50 {
            let (payload, timestamp) = ([0, 100].repeat(160), u32::from(k) * 160);
            jb.push(at, RtpFrame { seq: k, timestamp, ssrc: 1, marker: false, payload_type: 0, payload });
        }
        jb.pull(at + Duration::from_millis(3), &mut out);
        output.extend_from_slice(&out);
    }
    let run = output.iter().filter(|&&s| s == 1234).count();
    assert!((150..=170).contains(&run), "{run} samples from the codec's concealment");
    assert_eq!(jb.stats().concealed_samples as usize, run);
}

#[test]
fn switching_payload_type_and_rtp_clock_rate_mid_call_plays_bit_exact() {
    // At 16 kHz: PT 96 with a 16 kHz RTP clock and PT 9 with an 8 kHz clock (as G.722 has).
    let (mut jb, log) = buffer(16_000);
    jb.set_decoder(9, 8000, Box::new(jitter_sim::TestDecoder { rate: 16_000, log: log.clone() })).unwrap();
    let signal = sine(350.0, 9000.0, 16_000);
    let input: Vec<i16> = (0..600 * 320).map(&signal).collect();
    let t0 = Instant::now();
    let (mut output, mut out, mut timestamp) = (Vec::new(), vec![0i16; 320], 5000u32);
    for k in 0..600usize {
        let payload_type = if (k / 100).is_multiple_of(2) { PT } else { 9 };
        let payload = jitter_sim::encode(k as u32, &input[k * 320..(k + 1) * 320]);
        let frame = RtpFrame { seq: k as u16, timestamp, ssrc: 9, marker: false, payload_type, payload };
        timestamp = timestamp.wrapping_add(if payload_type == PT { 320 } else { 160 });
        jb.push(t0 + Duration::from_millis(20 * k as u64 + 30), frame);
        jb.pull(t0 + Duration::from_millis(20 * k as u64 + 37), &mut out);
        output.extend_from_slice(&out);
    }
    assert_bit_exact(&output, &input, 320 * 3);
    let stats = jb.stats();
    assert_eq!(stats.resyncs, 5, "one re-anchoring per clock-rate change");
    assert_eq!(stats.concealed_samples, 0);
}

#[test]
fn the_buffer_can_move_to_the_media_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<JitterBuffer>();
}

#[test]
fn talkspurts_after_sender_silence_start_at_the_target_bit_exact() {
    // 1 s talkspurts with 0.5 s of silence suppression between them: no packets, the timestamp
    // runs on, the sequence number does not, the marker flags each talkspurt's first packet.
    let (mut jb, _) = buffer(8000);
    let signal = jitter_sim::voiced;
    let t0 = Instant::now();
    let (mut output, mut out) = (Vec::new(), vec![0i16; 160]);
    let mut seq = 0u16;
    let mut talkspurts = Vec::new();
    for k in 0..600usize {
        let in_talkspurt = k % 75 < 50;
        if in_talkspurt {
            let pcm: Vec<i16> = (k * 160..(k + 1) * 160).map(&signal).collect();
            if k.is_multiple_of(75) {
                talkspurts.push(pcm[..64].to_vec());
            }
            let frame = RtpFrame {
                seq,
                timestamp: (k * 160) as u32,
                ssrc: 3,
                marker: k.is_multiple_of(75),
                payload_type: PT,
                payload: jitter_sim::encode(k as u32, &pcm),
            };
            seq = seq.wrapping_add(1);
            jb.push(t0 + Duration::from_millis(20 * k as u64 + 30), frame);
        }
        jb.pull(t0 + Duration::from_millis(20 * k as u64 + 37), &mut out);
        output.extend_from_slice(&out);
    }
    let mut starts: Vec<usize> = Vec::new();
    for start in &talkspurts {
        let from = starts.last().map_or(0, |&s| s + 1);
        starts.push(from + find(&output[from..], start).expect("talkspurt start"));
    }
    // Each talkspurt plays bit-exact.
    for (k, &start) in starts.iter().enumerate() {
        let first = k * 75 * 160;
        let expected: Vec<i16> = (first..first + 50 * 160).map(signal).collect();
        let mismatch = output[start..start + 50 * 160].iter().zip(&expected).position(|(a, b)| a != b);
        assert_eq!(mismatch, None, "talkspurt {k} starting at {start}, output {}", output.len());
    }
    // Every talkspurt starts exactly 1.5 s after the previous: at the same delay.
    assert!(starts.windows(2).all(|w| w[1] - w[0] == 75 * 160), "{starts:?}");
    let stats = jb.stats();
    assert_eq!(stats.packets_lost, 0);
    assert_eq!(stats.accelerate_events + stats.expand_events, 0);
}
