//! Whatever the peer sends, the session never panics: malformed RTP and RTCP are refused with a
//! precise error, dropped and counted (RFC 3550 A.1, A.2).

mod session_sim;

use std::time::Duration;

use media::rtcp::parse_compound;
use media::rtp::{RtpError, RtpView};
use media::session::{CodecKind, SessionStats};
use proptest::prelude::*;
use session_sim::*;

fn valid() -> Vec<u8> {
    rtp_packet(true, 0, 7, 1600, 0xABCD, &[0xFF; 160])
}

#[test]
fn valid_packet_parses_with_csrcs_extension_and_padding() {
    // V=2 P=1 X=1 CC=2, PT 0.
    let mut p = vec![0xB2, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
    p.extend_from_slice(&[0, 0, 0, 0xA, 0, 0, 0, 0xB]); // CSRCs
    p.extend_from_slice(&[0xBE, 0xDE, 0, 1, 1, 2, 3, 4]); // one-word extension
    p.extend_from_slice(&[9, 9, 9]); // payload
    p.extend_from_slice(&[0, 0, 3]); // three bytes of padding
    let view = RtpView::parse(&p).unwrap();
    assert_eq!(view.csrcs().collect::<Vec<_>>(), vec![0xA, 0xB]);
    assert_eq!(view.extension(), Some((0xBEDE, &[1u8, 2, 3, 4][..])));
    assert_eq!(view.padding(), Some(3));
    assert_eq!(view.payload(), &[9, 9, 9]);
    assert_eq!((view.sequence_number(), view.timestamp(), view.ssrc()), (1, 2, 3));
}

#[test]
fn each_fault_has_its_error() {
    assert_eq!(RtpView::parse(&valid()[..11]).unwrap_err(), RtpError::Truncated { len: 11 });
    let mut p = valid();
    p[0] = 0x40;
    assert_eq!(RtpView::parse(&p).unwrap_err(), RtpError::BadVersion { version: 1 });
    let mut p = valid()[..20].to_vec();
    p[0] = 0x8F; // 15 CSRCs need 72 bytes
    assert_eq!(RtpView::parse(&p).unwrap_err(), RtpError::CsrcOverflow { count: 15, needed: 72, len: 20 });
    let mut p = valid()[..14].to_vec();
    p[0] = 0x90;
    assert_eq!(RtpView::parse(&p).unwrap_err(), RtpError::ExtensionTruncated { offset: 12, len: 14 });
    let mut p = valid();
    p[0] = 0x90;
    p[14] = 0xFF; // 0xFFxx words of extension
    let err = RtpView::parse(&p).unwrap_err();
    assert!(matches!(err, RtpError::ExtensionOverflow { declared, available: 156 } if declared > 156), "{err:?}");
    let mut p = valid();
    p[0] = 0xA0;
    *p.last_mut().unwrap() = 0;
    assert_eq!(RtpView::parse(&p).unwrap_err(), RtpError::BadPadding { padding: 0, available: 160 });
    let mut p = rtp_packet(false, 0, 1, 1, 1, &[1, 2, 3]);
    p[0] = 0xA0;
    *p.last_mut().unwrap() = 4; // padding reaching into the header
    assert_eq!(RtpView::parse(&p).unwrap_err(), RtpError::BadPadding { padding: 4, available: 3 });
}

/// A session B (latched to A) and the counters after feeding it `packets` from A's address.
fn feed(packets: &[Vec<u8>]) -> (Sim, SessionStats) {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    sim.run_for(Duration::from_millis(500));
    for p in packets {
        sim.inject_to_b(addr(A_RTP), p);
    }
    sim.run_for(Duration::from_millis(200));
    let stats = sim.b.session.stats();
    (sim, stats)
}

#[test]
fn malformed_rtp_is_dropped_and_counted() {
    let mut wrong_version = valid();
    wrong_version[0] = 0x00;
    let mut csrc_overflow = valid()[..16].to_vec();
    csrc_overflow[0] = 0x8F;
    let mut huge_extension = valid();
    huge_extension[0] = 0x90;
    huge_extension[14] = 0xFF;
    huge_extension[15] = 0xFF;
    let mut bad_padding = valid();
    bad_padding[0] = 0xA0;
    *bad_padding.last_mut().unwrap() = 200;
    let packets = vec![valid()[..5].to_vec(), wrong_version, csrc_overflow, huge_extension, bad_padding, vec![]];
    let (sim, stats) = feed(&packets);
    assert_eq!(stats.rtp_malformed, 6);
    let delivered = rtp_sent(&sim.ab).iter().filter(|s| s.arrivals.iter().any(|&at| at <= sim.now)).count();
    assert_eq!(stats.packets_received, delivered as u64);
    assert_eq!(stats.packets_lost, 0);
    assert!(sim.b.events.iter().all(|(_, e)| !matches!(e, media::session::SessionEvent::SsrcChanged { .. })));
}

#[test]
fn unknown_payload_types_and_own_ssrc_are_counted() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    sim.run_for(Duration::from_millis(500));
    let own = sim.b.session.local_ssrc();
    sim.inject_to_b(addr(A_RTP), &rtp_packet(false, 18, 1, 1, 0x55, &[0; 20]));
    sim.inject_to_b(addr(A_RTP), &rtp_packet(false, 0, 1, 1, own, &[0; 160]));
    let stats = sim.b.session.stats();
    assert_eq!(stats.unknown_payload_type, 1);
    assert_eq!(stats.looped, 1);
}

#[test]
fn malformed_rtcp_is_dropped_and_counted() {
    let packets = vec![
        vec![0x80, 201, 0, 1],                   // RR whose length says 8 bytes, 4 given
        vec![0x80, 202, 0, 0],                   // SDES first
        vec![0x80, 201, 0, 1, 0, 0, 0, 1, 0x40], // a second packet cut inside its header
        vec![0xA0, 201, 0, 1, 0, 0, 0, 0],       // padding count 0
        vec![0x81, 200, 0, 1, 0, 0, 0, 1],       // SR claiming a block it does not have
        vec![0x80, 203, 0xFF, 0xFF],             // BYE of 256 KiB
    ];
    let (_, stats) = feed(&packets);
    assert_eq!(stats.rtcp_malformed, 6);
}

#[test]
fn telephone_event_garbage_is_counted() {
    let mut setup = Setup::new(CodecKind::Pcmu, 8000);
    setup.telephone_event = true;
    let mut sim = Sim::new(&setup);
    sim.run_for(Duration::from_millis(500));
    sim.inject_to_b(addr(A_RTP), &rtp_packet(true, TE_PT, 9, 9, 0x77, &[1, 2, 3]));
    assert_eq!(sim.b.session.stats().dtmf_malformed, 1);
}

#[test]
fn a_bye_for_another_ssrc_is_ignored() {
    let (mut sim, _) = feed(&[]);
    let mut bye = Vec::new();
    let packet = media::rtcp::CompoundPacket { ssrc: 0x0BAD, sender: None, blocks: &[], cname: "x", bye: Some(None) };
    packet.write(&mut bye).unwrap();
    sim.inject_to_b(addr("198.51.100.66:7777"), &bye);
    assert!(sim.b.events.iter().all(|(_, e)| !matches!(e, media::session::SessionEvent::RemoteBye { .. })));
    assert_eq!(sim.b.session.stats().rtcp_received, 1);
}

#[test]
fn wild_timestamps_saturate_the_jitter_estimate() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    sim.a.sending = false;
    for i in 0..300u16 {
        let ts = if i % 2 == 0 { 0 } else { 0x8000_0000 };
        sim.inject_to_b(addr(A_RTP), &rtp_packet(false, 0, i, ts, 0x51, &[0xFF; 160]));
        sim.run_for(Duration::from_millis(20));
    }
    let stats = sim.b.session.stats();
    assert_eq!(stats.packets_received, 300);
    assert!(stats.jitter_ms.is_finite() && stats.jitter_ms > 1000.0);
}

/// One session that takes every generated datagram; it must never panic.
fn fuzz_session() -> Sim {
    let mut setup = Setup::new(CodecKind::Pcmu, 16000);
    setup.codecs.push(media::session::AgreedCodec::new(CodecKind::G722));
    setup.telephone_event = true;
    Sim::new(&setup)
}

/// A datagram that starts like RTP or RTCP, so the fuzzing gets past the first checks.
fn datagram() -> impl Strategy<Value = Vec<u8>> {
    let header = prop_oneof![
        Just(vec![]),
        (0u8..=255, 0u8..=255).prop_map(|(flags, pt)| vec![0x80 | (flags & 0x3F), pt]),
        (0u8..=255, prop_oneof![Just(0u8), Just(9), Just(13), Just(101), Just(200), Just(201), Just(202), Just(203)])
            .prop_map(|(flags, pt)| vec![0x80 | (flags & 0x3F), pt]),
    ];
    (header, proptest::collection::vec(any::<u8>(), 0..300)).prop_map(|(mut h, tail)| {
        h.extend(tail);
        h
    })
}

/// One RTCP packet whose length field matches its body, so the parsers of each type see it.
fn rtcp_packet() -> impl Strategy<Value = Vec<u8>> {
    let pt = prop_oneof![200u8..=206, any::<u8>()];
    (any::<u8>(), pt, 0usize..24).prop_flat_map(|(flags, pt, words)| {
        proptest::collection::vec(any::<u8>(), 4 * words).prop_map(move |body| {
            let mut p = vec![0x80 | (flags & 0x3F), pt, 0, words as u8];
            p.extend(body);
            p
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_rtcp_after_a_valid_report_never_panics(packets in proptest::collection::vec(rtcp_packet(), 0..4)) {
        let mut bytes = vec![0x80, 201, 0, 1, 0, 0, 0, 1];
        for p in &packets {
            bytes.extend_from_slice(p);
        }
        let _ = parse_compound(&bytes);
        let mut sim = fuzz_session();
        sim.b.session.handle_packet(sim.now, addr(A_RTCP), &bytes);
        let stats = sim.b.session.stats();
        prop_assert_eq!(stats.rtcp_malformed + stats.rtcp_received, 1);
    }

    #[test]
    fn arbitrary_datagrams_never_panic(datagrams in proptest::collection::vec(datagram(), 1..40)) {
        let mut sim = fuzz_session();
        let mut out = vec![0i16; 320];
        for (i, d) in datagrams.iter().enumerate() {
            sim.b.session.handle_packet(sim.now, addr(A_RTP), d);
            if i % 4 == 0 {
                sim.now += Duration::from_millis(20);
                sim.b.session.pull_audio(sim.now, &mut out);
                sim.b.session.handle_timeout(sim.now);
            }
            let _ = RtpView::parse(d);
            let _ = parse_compound(d);
        }
        while sim.b.session.poll_event().is_some() {}
        let stats = sim.b.session.stats();
        let _ = sim.b.session.quality().to_string();
        prop_assert!(stats.packets_received <= datagrams.len() as u64);
    }

    #[test]
    fn corrupted_valid_packets_never_panic(flips in proptest::collection::vec((0usize..172, any::<u8>()), 1..8), cut in 0usize..173) {
        let mut sim = fuzz_session();
        let mut p = valid();
        for (at, x) in flips {
            p[at] ^= x;
        }
        p.truncate(cut);
        sim.b.session.handle_packet(sim.now, addr(A_RTP), &p);
        let mut out = vec![0i16; 320];
        sim.now += Duration::from_millis(20);
        sim.b.session.pull_audio(sim.now, &mut out);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn hostile_streams_never_panic(
        packets in proptest::collection::vec(
            (any::<i16>(), any::<u32>(), 0u32..3, prop_oneof![Just(0u8), Just(9), Just(13), Just(101)], 0usize..400, any::<bool>()),
            1..120,
        )
    ) {
        let mut sim = fuzz_session();
        let mut seq = 0u16;
        let mut out = vec![0i16; 320];
        for (step, ts, ssrc, pt, len, marker) in packets {
            seq = seq.wrapping_add(if step % 4 == 0 { step as u16 } else { 1 });
            let payload: Vec<u8> = (0..len).map(|n| (n as u8).wrapping_mul(37)).collect();
            sim.b.session.handle_packet(sim.now, addr(A_RTP), &rtp_packet(marker, pt, seq, ts, ssrc, &payload));
            sim.now += Duration::from_millis(u64::from(ts % 41));
            sim.b.session.pull_audio(sim.now, &mut out);
            if sim.b.session.poll_timeout().is_some_and(|t| t <= sim.now) {
                sim.b.session.handle_timeout(sim.now);
            }
        }
        let _ = sim.b.session.quality().to_string();
        while sim.b.session.poll_transmit().is_some() {}
    }
}
