//! RTCP (RFC 3550 §6): compound packets, the receiver statistics in report blocks checked
//! against what the simulated network did, round-trip times, the reporting interval and BYE.

mod session_sim;

use std::time::{Duration, Instant};

use media::rtcp::interval::{self, IntervalInputs};
use media::rtcp::reception::{LossTransitions, SeqOutcome, SourceStats};
use media::rtcp::{
    is_rtcp, parse_compound, CompoundPacket, NtpTime, ReportBlock, RtcpError, RtcpPacket, SdesChunk, SenderInfo,
};
use media::session::CodecKind;
use session_sim::*;

fn block(ssrc: u32, cumulative_lost: i32) -> ReportBlock {
    ReportBlock {
        ssrc,
        fraction_lost: 12,
        cumulative_lost,
        extended_highest_seq: 0x0001_0005,
        jitter: 77,
        last_sr: 0x1234_5678,
        delay_since_last_sr: 0x0002_8000,
    }
}

fn written(packet: &CompoundPacket<'_>) -> Vec<u8> {
    let mut bytes = Vec::new();
    packet.write(&mut bytes).unwrap();
    bytes
}

#[test]
fn sender_report_sdes_and_bye_round_trip() {
    let info = SenderInfo { ntp: NtpTime(0xDEAD_BEEF_0123_4567), rtp_timestamp: 99, packet_count: 3, octet_count: 480 };
    let blocks = [block(7, -5)];
    let bytes = written(&CompoundPacket {
        ssrc: 42,
        sender: Some(info),
        blocks: &blocks,
        cname: "phone@example",
        bye: Some(Some("hangup")),
    });
    assert!(is_rtcp(&bytes));
    let packets = parse_compound(&bytes).unwrap();
    assert_eq!(
        packets,
        vec![
            RtcpPacket::SenderReport { ssrc: 42, info, blocks: blocks.to_vec() },
            RtcpPacket::SourceDescription { chunks: vec![SdesChunk { ssrc: 42, cname: Some("phone@example".into()) }] },
            RtcpPacket::Goodbye { sources: vec![42], reason: Some("hangup".into()) },
        ]
    );
}

#[test]
fn receiver_report_round_trip_and_cumulative_loss_clamps_to_24_bits() {
    let blocks = [block(7, 0x7FFF_FFFF), block(8, -0x7FFF_FFFF)];
    let bytes = written(&CompoundPacket { ssrc: 1, sender: None, blocks: &blocks, cname: "c", bye: None });
    let packets = parse_compound(&bytes).unwrap();
    let RtcpPacket::ReceiverReport { ssrc: 1, blocks: parsed } = &packets[0] else { panic!("{packets:?}") };
    assert_eq!(parsed[0].cumulative_lost, 0x7F_FFFF);
    assert_eq!(parsed[1].cumulative_lost, -0x80_0000);
    assert_eq!(parsed[0].jitter, 77);
}

#[test]
fn write_refuses_what_does_not_fit() {
    let long = "x".repeat(256);
    let mut out = Vec::new();
    let packet = CompoundPacket { ssrc: 1, sender: None, blocks: &[], cname: &long, bye: None };
    assert_eq!(packet.write(&mut out), Err(RtcpError::TextTooLong { len: 256 }));
    let blocks = vec![block(1, 0); 32];
    let packet = CompoundPacket { ssrc: 1, sender: None, blocks: &blocks, cname: "c", bye: None };
    assert_eq!(packet.write(&mut out), Err(RtcpError::TooManyReportBlocks { count: 32 }));
}

#[test]
fn invalid_compounds_are_refused_precisely() {
    let rr = written(&CompoundPacket { ssrc: 1, sender: None, blocks: &[], cname: "c", bye: None });
    let rr_len = 8;
    // SDES first (RFC 3550 A.2: the first packet must be SR or RR).
    assert_eq!(parse_compound(&rr[rr_len..]), Err(RtcpError::FirstNotReport { packet_type: 202 }));
    let mut bad = rr.clone();
    bad[rr_len] = 0x40 | (bad[rr_len] & 0x3F);
    assert_eq!(parse_compound(&bad), Err(RtcpError::BadVersion { version: 1, offset: rr_len }));
    let mut bad = rr.clone();
    bad[3] = 200;
    assert_eq!(parse_compound(&bad), Err(RtcpError::LengthOverflow { declared: 804, available: rr.len(), offset: 0 }));
    let mut bad = rr.clone();
    bad[0] |= 0x20;
    assert_eq!(parse_compound(&bad), Err(RtcpError::PaddingNotLast { offset: 0 }));
    let mut bad = rr[..rr_len].to_vec();
    bad[0] |= 0x20;
    bad[rr_len - 1] = 0;
    assert_eq!(parse_compound(&bad), Err(RtcpError::BadPadding { padding: 0, len: 8 }));
    let mut bad = rr.clone();
    bad.extend_from_slice(&[0x80, 201]);
    assert_eq!(parse_compound(&bad), Err(RtcpError::Truncated { offset: rr.len() }));
    assert_eq!(parse_compound(&[]), Err(RtcpError::Truncated { offset: 0 }));
}

#[test]
fn rtcp_is_told_from_rtp_by_rfc_5761() {
    assert!(!is_rtcp(&rtp_packet(false, 0, 1, 2, 3, &[])));
    assert!(!is_rtcp(&rtp_packet(true, 96, 1, 2, 3, &[])));
    assert!(is_rtcp(&[0x80, 200, 0, 6]));
    assert!(is_rtcp(&[0x81, 223]));
    assert!(!is_rtcp(&[0x40, 200]));
    assert!(!is_rtcp(&[0x80]));
}

/// The A→B audio packets delivered by `t`: (index in A's send order, arrival, timestamp).
fn delivered_by(sim: &Sim, t: Instant) -> Vec<(usize, Instant, u32)> {
    let mut out: Vec<(usize, Instant, u32)> = rtp_sent(&sim.ab)
        .iter()
        .enumerate()
        .flat_map(|(k, s)| s.arrivals.iter().map(move |&at| (k, at, header(&s.transmit.bytes).ts)))
        .filter(|&(_, at, _)| at <= t)
        .collect();
    out.sort_by_key(|&(k, at, _)| (at, k));
    out
}

/// RFC 3550 A.8 over the arrivals, written out independently; the first packet is the
/// source's probation packet, which has no jitter sample.
fn oracle_jitter(sim: &Sim, arrivals: &[(usize, Instant, u32)]) -> u32 {
    let mut jitter = 0.0f64;
    let mut last: Option<i64> = None;
    for &(_, at, ts) in arrivals.iter().skip(1) {
        let units = ((at - sim.t0).as_nanos() * 8000 / 1_000_000_000) as u32;
        let transit = i64::from(units.wrapping_sub(ts) as i32);
        if let Some(prev) = last {
            jitter += ((transit - prev).abs() as f64 - jitter) / 16.0;
        }
        last = Some(transit);
    }
    jitter as u32
}

#[test]
fn reception_reports_match_what_the_network_did() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    sim.b.sending = false;
    sim.ab.loss = 0.05;
    sim.ab.jitter = Duration::from_millis(30);
    sim.ab.base = Duration::from_millis(40);
    sim.ab.calm = 10;
    sim.run_for(Duration::from_secs(30));
    let first_seq = header(&rtp_sent(&sim.ab)[0].transmit.bytes).seq;
    let a_ssrc = sim.a.session.local_ssrc();
    let reports: Vec<(Instant, ReportBlock)> = sim
        .ba
        .log
        .iter()
        .filter(|s| s.transmit.rtcp)
        .map(|s| match &parse_compound(&s.transmit.bytes).unwrap()[0] {
            RtcpPacket::ReceiverReport { blocks, .. } => (s.at, blocks[0]),
            other => panic!("B sends no RTP, so it sends RRs: {other:?}"),
        })
        .collect();
    assert!(reports.len() >= 5, "{} reports", reports.len());
    let (mut prior_expected, mut prior_received) = (0i64, 0i64);
    let mut losses = 0;
    for (at, block) in &reports {
        let arrivals = delivered_by(&sim, *at);
        let highest = arrivals.iter().map(|&(k, _, _)| k).max().unwrap() as i64;
        let expected = highest + 1;
        let received = arrivals.len() as i64;
        assert_eq!(block.ssrc, a_ssrc);
        assert_eq!(block.extended_highest_seq, u32::from(first_seq) + highest as u32);
        assert_eq!(i64::from(block.cumulative_lost), expected - received);
        let (e, r) = (expected - prior_expected, received - prior_received);
        let fraction = if e == 0 || e <= r { 0 } else { ((e - r) << 8) / e };
        assert_eq!(i64::from(block.fraction_lost), fraction);
        (prior_expected, prior_received) = (expected, received);
        losses += expected - received;
        let oracle = oracle_jitter(&sim, &arrivals);
        assert!(block.jitter.abs_diff(oracle) <= 1, "jitter {} vs RFC 3550 A.8 {oracle}", block.jitter);
    }
    assert!(losses > 0);
    // Uniform 0–30 ms delays: E|D| = 10 ms = 80 units at 8 kHz; the 1/16 filter wanders around it.
    let jitter = reports.last().unwrap().1.jitter;
    assert!((50..=115).contains(&jitter), "jitter {jitter}");
    let stats = sim.b.session.stats();
    assert!((stats.jitter_ms - f64::from(jitter) / 8.0).abs() < 3.0);
}

fn rtt_of(ab_ms: u64, ba_ms: u64) -> (Duration, Duration) {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    sim.ab.base = Duration::from_millis(ab_ms);
    sim.ba.base = Duration::from_millis(ba_ms);
    sim.run_for(Duration::from_secs(15));
    (sim.a.session.stats().rtt.unwrap(), sim.b.session.stats().rtt.unwrap())
}

#[test]
fn round_trip_time_from_lsr_and_dlsr() {
    for (ab, ba) in [(40, 40), (30, 70), (5, 150)] {
        let expected = Duration::from_millis(ab + ba);
        for rtt in <[Duration; 2]>::from(rtt_of(ab, ba)) {
            let error = rtt.abs_diff(expected);
            assert!(error < Duration::from_micros(100), "rtt {rtt:?}, expected {expected:?}");
        }
    }
}

#[test]
fn sender_reports_count_what_was_sent() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    sim.run_for(Duration::from_secs(12));
    let sent = rtp_sent(&sim.ab);
    let ts0 = header(&sent[0].transmit.bytes).ts;
    let mut srs = 0;
    for report in sim.ab.log.iter().filter(|s| s.transmit.rtcp) {
        let packets = parse_compound(&report.transmit.bytes).unwrap();
        let RtcpPacket::SenderReport { ssrc, info, .. } = &packets[0] else { panic!("A sends RTP: SR expected") };
        assert_eq!(*ssrc, sim.a.session.local_ssrc());
        let before = sent.iter().filter(|s| s.at <= report.at).count() as u32;
        assert_eq!(info.packet_count, before);
        assert_eq!(info.octet_count, before * 160);
        // The RTP timestamp of the SR's instant, on the audio clock.
        let elapsed = (report.at - sim.t0).as_secs_f64();
        let expected = ts0.wrapping_add((elapsed * 8000.0) as u32);
        assert!(info.rtp_timestamp.wrapping_sub(expected) as i32 >= -1);
        assert!(info.rtp_timestamp.wrapping_sub(expected) as i32 <= 1);
        let cname = packets.iter().find_map(|p| match p {
            RtcpPacket::SourceDescription { chunks } => chunks[0].cname.clone(),
            _ => None,
        });
        assert_eq!(cname.as_deref(), Some(sim.a.session.cname()));
        srs += 1;
    }
    assert!(srs >= 2);
    assert_eq!(sim.b.session.remote_cname(), Some(sim.a.session.cname()));
}

#[test]
fn reports_follow_the_randomized_interval() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    sim.a.sending = false;
    sim.b.sending = false;
    sim.run_for(Duration::from_secs(120));
    let times: Vec<f64> =
        sim.ab.log.iter().filter(|s| s.transmit.rtcp).map(|s| (s.at - sim.t0).as_secs_f64()).collect();
    // RFC 3550 §6.2, §6.3.1: first report after Tmin/2 = 2.5 s, later ones after Tmin = 5 s,
    // each times a uniform factor in [0.5, 1.5) divided by e − 3/2.
    let c = std::f64::consts::E - 1.5;
    assert!(times[0] >= 2.5 * 0.5 / c && times[0] <= 2.5 * 1.5 / c, "first at {}", times[0]);
    let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().all(|&g| (5.0 * 0.5 / c - 1e-6..=5.0 * 1.5 / c + 1e-6).contains(&g)), "{gaps:?}");
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    assert!((mean - 5.0 / c).abs() < 0.8, "mean interval {mean}");
    assert!(gaps.windows(2).any(|w| (w[0] - w[1]).abs() > 0.1), "intervals are randomized");
}

#[test]
fn interval_arithmetic_follows_rfc_3550_a7() {
    let inputs = IntervalInputs {
        members: 2,
        senders: 2,
        rtcp_bandwidth: 500.0,
        we_sent: true,
        avg_rtcp_size: 100.0,
        initial: true,
        min_interval: interval::MIN_INTERVAL,
    };
    assert_eq!(interval::deterministic(&inputs), Duration::from_millis(2500));
    let slow = IntervalInputs { rtcp_bandwidth: 10.0, initial: false, ..inputs };
    assert_eq!(interval::deterministic(&slow), Duration::from_secs(20));
    // One sender among eight members: the senders' quarter of the bandwidth for us.
    let crowd = IntervalInputs { members: 8, senders: 1, rtcp_bandwidth: 10.0, initial: false, ..inputs };
    assert_eq!(interval::deterministic(&crowd), Duration::from_secs(40));
    let td = Duration::from_secs(5);
    let c = std::f64::consts::E - 1.5;
    assert!((interval::randomized(td, 0.0).as_secs_f64() - 2.5 / c).abs() < 1e-9);
    assert!((interval::randomized(td, 0.999_999).as_secs_f64() - 7.5 / c).abs() < 1e-4);
}

#[test]
fn source_statistics_follow_rfc_3550_a1_and_a3() {
    // Probation: the first packet is not counted until the second confirms the source.
    let mut s = SourceStats::new(9, 65534);
    assert_eq!(s.update_seq(65534), SeqOutcome::Probation);
    assert_eq!(s.update_seq(65535), SeqOutcome::Validated);
    assert_eq!((s.expected(), s.received()), (2, 2));
    // Wrap-around: the cycle count goes to the high bits.
    assert_eq!(s.update_seq(0), SeqOutcome::Accepted);
    assert_eq!(s.extended_highest_seq(), 0x0001_0000);
    // Two lost, one duplicate, one reordered.
    for seq in [3, 3, 5, 4] {
        assert_eq!(s.update_seq(seq), SeqOutcome::Accepted);
    }
    assert_eq!(s.expected(), 8);
    assert_eq!(s.received(), 7);
    let block = s.report_block(0, 0);
    assert_eq!(block.cumulative_lost, 1);
    assert_eq!(block.fraction_lost, 32);
    // A big jump is believed only when the next packet follows it (RFC 3550 A.1).
    assert_eq!(s.update_seq(30_000), SeqOutcome::Bad);
    assert_eq!(s.update_seq(30_001), SeqOutcome::Restarted);
    assert_eq!(s.expected(), 1);
    assert_eq!(s.total_expected(), 9);
    // Duplicates make the interval's loss negative: fraction 0, cumulative negative.
    for _ in 0..3 {
        s.update_seq(30_001);
    }
    let block = s.report_block(0, 0);
    assert_eq!(block.cumulative_lost, -3);
    assert_eq!(block.fraction_lost, 0);
}

#[test]
fn burst_ratio_tells_bursty_from_random_loss() {
    let pattern = |lost: &dyn Fn(u16) -> bool| {
        let mut s = SourceStats::new(1, 0);
        for seq in (0..2000u16).filter(|&q| q < 2 || !lost(q)) {
            s.update_seq(seq);
        }
        s.loss_transitions()
    };
    let none = pattern(&|_| false);
    assert_eq!(none.burst_ratio(), 1.0);
    assert_eq!(none.rr, 1999);
    // Every 20th lost: isolated losses, BurstR = 1 / (1/19 + 1) ≈ 0.95.
    let random = pattern(&|q| q % 20 == 10);
    assert!((random.burst_ratio() - 0.95).abs() < 0.01, "{}", random.burst_ratio());
    // Five in a row out of every 100: the same 5% loss in bursts, BurstR = 1/(1/95 + 1/5) ≈ 4.75.
    let bursty = pattern(&|q| q % 100 >= 95);
    assert!((bursty.burst_ratio() - 4.75).abs() < 0.1, "{}", bursty.burst_ratio());
    assert_eq!(LossTransitions::default().burst_ratio(), 1.0);
}
