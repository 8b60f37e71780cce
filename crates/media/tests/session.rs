//! The media session end to end: two sessions on a virtual clock through a simulated network.
//! Audio fidelity, RTP header rules, DTMF, codec switches, SSRC changes, timeouts and BYE.

mod session_sim;

use std::time::Duration;

use media::dtmf::DtmfEvent;
use media::session::{AgreedCodec, CodecKind, Direction, MediaSession, SessionError, SessionEvent};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use session_sim::*;

/// A 1 kHz sine at −10 dBFS on A's microphone.
fn talk(sim: &mut Sim) -> impl Fn(usize) -> i16 {
    let rate = sim.a.rate;
    sim.a.mic = Box::new(sine(1000.0, 10_000.0, rate));
    sine(1000.0, 10_000.0, rate)
}

/// SNR of what B played against what A said, over one second starting `from_s` seconds in.
fn snr(sim: &Sim, tone: &impl Fn(usize) -> i16, from_s: f64) -> f64 {
    let rate = sim.b.rate as usize;
    assert_eq!(sim.a.rate, sim.b.rate, "the comparison assumes one rate");
    let reference: Vec<i16> = (0..sim.a.mic_pos).map(tone).collect();
    let start = (from_s * rate as f64) as usize;
    let (_, snr) = best_snr(&reference, &sim.b.speaker, start, rate, rate * 3 / 10);
    snr
}

#[test]
fn pcmu_sine_end_to_end_at_16k() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 16000));
    let tone = talk(&mut sim);
    sim.run_for(Duration::from_secs(3));
    let snr = snr(&sim, &tone, 1.0);
    // G.711 µ-law gives about 38 dB on a −10 dBFS sine; 16k→8k→16k resampling costs nothing
    // audible at 1 kHz.
    assert!(snr > 30.0, "SNR {snr:.1} dB");
    let stats = sim.b.session.stats();
    assert_eq!(stats.packets_lost, 0);
    assert_eq!(stats.concealed_ms, 0);
}

#[test]
fn audio_plays_after_network_and_jitter_delay() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 16000));
    let tone = sine(1000.0, 10_000.0, 16000);
    // Silence for half a second, then the tone: its onset shows the mouth-to-ear delay.
    sim.a.mic = Box::new(move |n| if n < 8000 { 0 } else { tone(n) });
    sim.run_for(Duration::from_secs(1));
    let onset = sim.b.speaker.iter().position(|s| s.abs() > 2000).unwrap();
    // B's device period starts 7 ms after A's.
    let played_at = Duration::from_millis(7) + Duration::from_secs_f64(onset as f64 / 16000.0);
    let delay = played_at - Duration::from_millis(500);
    // 30 ms of network, at least the 20 ms minimum playout delay, under 150 ms in all.
    assert!(delay >= Duration::from_millis(50) && delay <= Duration::from_millis(150), "delay {delay:?}");
}

#[test]
fn g722_sine_end_to_end_at_48k() {
    let mut sim = Sim::new(&Setup::new(CodecKind::G722, 48000));
    let tone = talk(&mut sim);
    sim.run_for(Duration::from_secs(3));
    let snr = snr(&sim, &tone, 1.0);
    assert!(snr > 20.0, "SNR {snr:.1} dB");
}

#[test]
fn g722_sine_end_to_end_at_16k_with_jitter() {
    let mut sim = Sim::new(&Setup::new(CodecKind::G722, 16000));
    sim.ab.jitter = Duration::from_millis(15);
    let tone = talk(&mut sim);
    sim.run_for(Duration::from_secs(4));
    // Jitter may make the buffer stretch time once or twice; measure after it settled.
    let snr = snr(&sim, &tone, 2.5);
    assert!(snr > 20.0, "SNR {snr:.1} dB");
}

/// Checks RFC 3550 §5.1 and RFC 3551 §4.1 on A's audio packets: version 2, one SSRC, sequence
/// numbers +1, timestamps + 160 per 20 ms, marker on the first packet only.
fn check_headers(kind: CodecKind, rate: u32, payload_len: usize) {
    let mut sim = Sim::new(&Setup::new(kind, rate));
    let _ = talk(&mut sim);
    sim.run_for(Duration::from_millis(990));
    let sent = rtp_sent(&sim.ab);
    assert_eq!(sent.len(), 50);
    let first = header(&sent[0].transmit.bytes);
    for (i, s) in sent.iter().enumerate() {
        let h = header(&s.transmit.bytes);
        assert_eq!(h.version, 2);
        assert_eq!(h.ssrc, sim.a.session.local_ssrc());
        assert_eq!(h.pt, kind.static_payload_type());
        assert_eq!(h.seq, first.seq.wrapping_add(i as u16), "packet {i}");
        assert_eq!(h.ts, first.ts.wrapping_add(160 * i as u32), "packet {i}");
        assert_eq!(h.marker, i == 0, "packet {i}");
        assert_eq!(s.transmit.bytes.len(), 12 + payload_len);
        assert_eq!(s.transmit.to, addr(B_RTP));
    }
}

#[test]
fn rtp_header_rules_pcmu() {
    check_headers(CodecKind::Pcmu, 8000, 160);
}

#[test]
fn rtp_header_rules_g722_clock_is_8000() {
    // RFC 3551 §4.5.2: 320 samples at 16 kHz, 160 octets, timestamp + 160.
    check_headers(CodecKind::G722, 16000, 160);
}

#[test]
fn initial_values_come_from_the_rng() {
    let sessions: Vec<MediaSession> = (0..2)
        .map(|seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let config = config(&Setup::new(CodecKind::Pcmu, 8000), B_RTP, B_RTCP, 8000);
            MediaSession::new(std::time::Instant::now(), config, &mut rng).unwrap()
        })
        .collect();
    assert_ne!(sessions[0].local_ssrc(), sessions[1].local_ssrc());
    assert_ne!(sessions[0].cname(), sessions[1].cname());
    assert_eq!(sessions[0].cname().len(), 16);
}

#[test]
fn dtmf_123_pound_sent_and_received_once_each() {
    let mut setup = Setup::new(CodecKind::Pcmu, 8000);
    setup.telephone_event = true;
    let mut sim = Sim::new(&setup);
    sim.ab.loss = 0.03;
    sim.ab.duplicate = 0.03;
    sim.ab.jitter = Duration::from_millis(30);
    let _ = talk(&mut sim);
    sim.run_for(Duration::from_millis(500));
    assert_eq!(sim.a.session.send_dtmf(sim.now, "123#").unwrap(), 4);
    sim.run_for(Duration::from_secs(2));

    let dtmf: Vec<DtmfEvent> = sim
        .b
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            SessionEvent::Dtmf(d) => Some(*d),
            _ => None,
        })
        .collect();
    let begins: String = dtmf
        .iter()
        .filter_map(|d| match d {
            DtmfEvent::Begin { event, .. } => Some(event.to_char()),
            _ => None,
        })
        .collect();
    let ends: String = dtmf
        .iter()
        .filter_map(|d| match d {
            DtmfEvent::End { event, .. } => Some(event.to_char()),
            _ => None,
        })
        .collect();
    assert_eq!(begins, "123#");
    assert_eq!(ends, "123#");

    // What A sent: one SSRC and one sequence space; events replace audio; the events keep their
    // start as timestamp; audio timestamps keep running; the first audio after carries the
    // marker (RFC 4733 §2.5.1.2, RFC 3551 §4.1).
    let sent: Vec<Header> = rtp_sent(&sim.ab).iter().map(|s| header(&s.transmit.bytes)).collect();
    for (i, pair) in sent.windows(2).enumerate() {
        assert_eq!(pair[1].seq, pair[0].seq.wrapping_add(1), "packet {i}");
        assert_eq!(pair[1].ssrc, pair[0].ssrc);
    }
    let audio: Vec<&Header> = sent.iter().filter(|h| h.pt == 0).collect();
    let events: Vec<&Header> = sent.iter().filter(|h| h.pt == TE_PT).collect();
    assert!(events.len() >= 4 * 5, "{} event packets", events.len());
    let starts: Vec<u32> = events.iter().filter(|h| h.marker).map(|h| h.ts).collect();
    assert_eq!(starts.len(), 4, "one marker per event");
    assert!(events.iter().all(|h| starts.contains(&h.ts)), "every event packet carries its event's start");
    let resumed = audio.iter().position(|h| h.ts > starts[3]).unwrap();
    assert!(audio[resumed].marker, "audio after DTMF starts a talkspurt");
    assert_eq!((audio[resumed].ts - audio[0].ts) % 160, 0, "audio timestamps keep their grid");
    assert_eq!(audio.iter().filter(|h| h.marker).count(), 2);
}

#[test]
fn dtmf_needs_telephone_event_and_a_sending_direction() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    assert_eq!(sim.a.session.send_dtmf(sim.now, "1"), Err(SessionError::NoTelephoneEvent));
    let mut setup = Setup::new(CodecKind::Pcmu, 8000);
    setup.telephone_event = true;
    let mut sim = Sim::new(&setup);
    sim.a.session.set_direction(sim.now, Direction::RecvOnly);
    assert_eq!(sim.a.session.send_dtmf(sim.now, "1"), Err(SessionError::NotSending));
    sim.a.session.set_direction(sim.now, Direction::SendRecv);
    assert!(matches!(sim.a.session.send_dtmf(sim.now, "1x"), Err(SessionError::Dtmf(_))));
}

#[test]
fn held_key_is_one_long_event() {
    let mut setup = Setup::new(CodecKind::Pcmu, 8000);
    setup.telephone_event = true;
    let mut sim = Sim::new(&setup);
    sim.run_for(Duration::from_millis(300));
    sim.a.session.dtmf_key(sim.now, Some(media::dtmf::Event::Digit5)).unwrap();
    sim.run_for(Duration::from_millis(600));
    sim.a.session.dtmf_key(sim.now, None).unwrap();
    sim.run_for(Duration::from_millis(500));
    let ends: Vec<u32> = sim
        .b
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            SessionEvent::Dtmf(DtmfEvent::End { duration, .. }) => Some(*duration),
            _ => None,
        })
        .collect();
    assert_eq!(ends, vec![600 * 8]);
}

#[test]
fn codec_switch_mid_call() {
    let mut setup = Setup::new(CodecKind::Pcmu, 16000);
    setup.codecs = vec![AgreedCodec::new(CodecKind::Pcmu), AgreedCodec::new(CodecKind::G722)];
    let mut sim = Sim::new(&setup);
    let tone = talk(&mut sim);
    sim.run_for(Duration::from_millis(1500));
    assert_eq!(sim.a.session.set_send_codec(100), Err(SessionError::NotNegotiated { payload_type: 100 }));
    sim.a.session.set_send_codec(9).unwrap();
    sim.run_for(Duration::from_millis(2500));

    let changes: Vec<&SessionEvent> =
        sim.b.events.iter().map(|(_, e)| e).filter(|e| matches!(e, SessionEvent::CodecChanged { .. })).collect();
    assert_eq!(changes, vec![&SessionEvent::CodecChanged { payload_type: 9, codec: CodecKind::G722 }]);
    let sent: Vec<Header> = rtp_sent(&sim.ab).iter().map(|s| header(&s.transmit.bytes)).collect();
    let switch = sent.iter().position(|h| h.pt == 9).unwrap();
    assert!(sent[switch].marker);
    assert_eq!(sent[switch].ts, sent[switch - 1].ts.wrapping_add(160));
    assert!(sent[switch..].iter().all(|h| h.pt == 9));
    let snr = snr(&sim, &tone, 2.8);
    assert!(snr > 20.0, "SNR after the switch {snr:.1} dB");
}

#[test]
fn ssrc_change_mid_call() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    let tone = talk(&mut sim);
    sim.run_for(Duration::from_millis(1500));
    let old = sim.a.session.local_ssrc();
    // A restarts its stream (a new session: new SSRC, sequence numbers and timestamps).
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let config = config(&Setup::new(CodecKind::Pcmu, 8000), B_RTP, B_RTCP, 8000);
    sim.a.session = MediaSession::new(sim.now, config, &mut rng).unwrap();
    let new = sim.a.session.local_ssrc();
    sim.run_for(Duration::from_millis(2500));
    let changes: Vec<&SessionEvent> =
        sim.b.events.iter().map(|(_, e)| e).filter(|e| matches!(e, SessionEvent::SsrcChanged { .. })).collect();
    assert_eq!(changes, vec![&SessionEvent::SsrcChanged { old, new }]);
    assert_eq!(sim.b.session.remote_ssrc(), Some(new));
    assert_eq!(sim.b.session.stats().foreign_source, 0);
    let snr = snr(&sim, &tone, 2.8);
    assert!(snr > 30.0, "SNR after the change {snr:.1} dB");
}

#[test]
fn rtp_timeout_then_resume() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    sim.run_for(Duration::from_secs(1));
    sim.a.sending = false;
    sim.run_for(Duration::from_secs(31));
    let timeouts: Vec<Duration> = sim
        .b
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            SessionEvent::Timeout { silence } => Some(*silence),
            _ => None,
        })
        .collect();
    assert_eq!(timeouts.len(), 1);
    assert!(timeouts[0] >= Duration::from_secs(30) && timeouts[0] < Duration::from_millis(30_100));
    sim.a.sending = true;
    sim.run_for(Duration::from_secs(1));
    assert!(sim.b.events.iter().any(|(_, e)| *e == SessionEvent::RtpResumed));
}

#[test]
fn stop_sends_bye_and_ends_the_session() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    sim.run_for(Duration::from_secs(1));
    sim.a.sending = false;
    sim.a.session.stop(sim.now, Some("hangup")).unwrap();
    sim.flush();
    sim.run_for(Duration::from_millis(100));
    let ssrc = sim.a.session.local_ssrc();
    let byes: Vec<&SessionEvent> =
        sim.b.events.iter().map(|(_, e)| e).filter(|e| matches!(e, SessionEvent::RemoteBye { .. })).collect();
    assert_eq!(byes, vec![&SessionEvent::RemoteBye { ssrc, reason: Some("hangup".into()) }]);
    assert_eq!(sim.a.session.send_audio(sim.now, &[0; 160]), Err(SessionError::Stopped));
    assert!(sim.a.session.is_stopped());
    assert_eq!(sim.a.session.poll_transmit(), None);
}

#[test]
fn comfort_noise_fills_the_pause_at_the_signalled_level() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    sim.a.sending = false;
    let from = addr(A_RTP);
    let ssrc = 0x1234_5678;
    let speech: Vec<u8> = (0..160).map(|n| media::codec::g711::ulaw_encode(sine(440.0, 8000.0, 8000)(n))).collect();
    for i in 0..50u16 {
        sim.run_for(Duration::from_millis(20));
        sim.inject_to_b(from, &rtp_packet(i == 0, 0, i, u32::from(i) * 160, ssrc, &speech));
    }
    // RFC 3389: one CN packet at −40 dBov, then the sender pauses for a second.
    sim.run_for(Duration::from_millis(20));
    sim.inject_to_b(from, &rtp_packet(false, 13, 50, 50 * 160, ssrc, &[40]));
    let pause_start = sim.b.speaker.len();
    sim.run_for(Duration::from_secs(1));
    let expected = 32767.0 * 10f64.powf(-40.0 / 20.0);
    assert!((sim.b.session.comfort_noise_rms().unwrap() - expected).abs() < 0.01);
    let pause = &sim.b.speaker[pause_start + 800..];
    let level = rms(pause);
    assert!((level / expected - 1.0).abs() < 0.15, "noise RMS {level:.1}, expected {expected:.1}");
    // Speech resumes: the noise stops once audio plays.
    for i in 51..100u16 {
        sim.run_for(Duration::from_millis(20));
        sim.inject_to_b(from, &rtp_packet(i == 51, 0, i, 60 * 160 + u32::from(i) * 160, ssrc, &speech));
    }
    sim.run_for(Duration::from_millis(300));
    assert_eq!(sim.b.session.comfort_noise_rms(), None);
}

#[test]
fn directions_gate_sending_and_playing() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    let _ = talk(&mut sim);
    sim.a.session.set_direction(sim.now, Direction::RecvOnly);
    sim.b.session.set_direction(sim.now, Direction::SendOnly);
    sim.run_for(Duration::from_millis(990));
    assert_eq!(rtp_sent(&sim.ab).len(), 0);
    assert_eq!(rtp_sent(&sim.ba).len(), 50);
    assert!(sim.b.speaker.iter().all(|&s| s == 0));
    sim.a.session.set_direction(sim.now, Direction::SendRecv);
    sim.b.session.set_direction(sim.now, Direction::SendRecv);
    sim.run_for(Duration::from_secs(1));
    assert!(rms(&sim.b.speaker[sim.b.speaker.len() - 4000..]) > 5000.0);
}

#[test]
fn frame_size_is_checked() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 16000));
    assert_eq!(sim.a.session.frame_len(), 320);
    assert_eq!(sim.a.session.send_audio(sim.now, &[0; 160]), Err(SessionError::FrameSize { expected: 320, got: 160 }));
}
