//! Opus in the media session (RFC 7587): two sessions on the simulated network, RTP header
//! rules on the 48000 Hz clock, the `a=fmtp` parameters, DTMF on the Opus clock, a switch
//! between Opus and G.711, and the codec's description.
//!
//! Opus is not waveform-exact, so what B plays is judged by the share of its power in A's tone
//! (single-bin DFT) and its level, over a whole number of the tone's periods.

mod session_sim;

use std::f64::consts::PI;
use std::time::{Duration, Instant};

use media::codec::opus::{OpusParams, OPUS_PAYLOAD_TYPE};
use media::dtmf::DtmfEvent;
use media::quality::CodecImpairment;
use media::session::{AgreedCodec, CodecKind, MediaSession, SessionConfig, SessionEvent};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use session_sim::*;

const TONE: f64 = 1000.0;
const AMPLITUDE: f64 = 10_000.0;

/// A 1 kHz sine at −10 dBFS on A's microphone.
fn talk(sim: &mut Sim) {
    sim.a.mic = Box::new(sine(TONE, AMPLITUDE, sim.a.rate));
}

/// The amplitude of the `freq` Hz component of `x` (a single-bin DFT).
fn amplitude(x: &[i16], freq: f64, rate: u32) -> f64 {
    let w = 2.0 * PI * freq / f64::from(rate);
    let (mut re, mut im) = (0.0, 0.0);
    for (n, &s) in x.iter().enumerate() {
        re += f64::from(s) * (w * n as f64).cos();
        im -= f64::from(s) * (w * n as f64).sin();
    }
    2.0 * (re * re + im * im).sqrt() / x.len() as f64
}

/// Share of the power of B's speaker in the tone, and the tone's amplitude relative to A's,
/// over `secs` seconds from `from_s` seconds in: the mean over 50 ms blocks (50 periods), so
/// that the phase steps of time-scaling and concealment do not cancel the tone across blocks.
fn tone_at_b(sim: &Sim, from_s: f64, secs: f64) -> (f64, f64) {
    let rate = sim.b.rate;
    let start = (from_s * f64::from(rate)) as usize;
    let x = &sim.b.speaker[start..start + (secs * f64::from(rate)) as usize];
    let blocks: Vec<(f64, f64)> = x
        .chunks_exact(rate as usize / 20)
        .map(|block| {
            let a = amplitude(block, TONE, rate);
            let power = block.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / block.len() as f64;
            (a * a / 2.0 / power.max(1e-9), a / AMPLITUDE)
        })
        .collect();
    let n = blocks.len() as f64;
    (blocks.iter().map(|b| b.0).sum::<f64>() / n, blocks.iter().map(|b| b.1).sum::<f64>() / n)
}

fn opus_sim(rate: u32, seed: u64) -> Sim {
    let mut setup = Setup::new(CodecKind::Opus, rate);
    setup.seed = seed;
    Sim::new(&setup)
}

/// A's tone at B, through a clean link and through one losing 5% of the packets at random
/// with 10 ms of jitter, with 16 and 48 kHz devices.
///
/// Clean, libopus gives a tone share of 1.000 and the level within 1%. With loss, each lost
/// packet is concealed by libopus's PLC (the jitter buffer does not decode FEC yet), and SILK
/// takes 100–200 ms to recover a steady tone after it (the first frame after a loss plays at
/// about a quarter of the level, its long-term predictor restarting from concealed history):
/// measured shares 0.90–0.91 and levels 0.93 here, against 0.999 for G.711 with our own
/// concealment, so the thresholds are 0.75 and 0.75–1.1.
#[test]
fn opus_tone_through_a_lossy_network() {
    for rate in [16000, 48000] {
        let mut clean = opus_sim(rate, 5);
        talk(&mut clean);
        clean.run_for(Duration::from_secs(3));
        let (share, gain) = tone_at_b(&clean, 1.0, 1.5);
        assert!(share > 0.99 && (0.95..1.05).contains(&gain), "{rate} Hz clean: share {share:.4} gain {gain:.3}");

        let mut sim = opus_sim(rate, 5);
        sim.ab.loss = 0.05;
        sim.ab.jitter = Duration::from_millis(10);
        talk(&mut sim);
        sim.run_for(Duration::from_secs(5));
        let (share, gain) = tone_at_b(&sim, 1.5, 3.0);
        let stats = sim.b.session.stats();
        eprintln!(
            "{rate} Hz: share {share:.4} gain {gain:.3}, lost {} of {}, concealed {} ms",
            stats.packets_lost, stats.packets_expected, stats.concealed_ms
        );
        assert!(stats.packets_lost >= 5, "{rate} Hz: the link lost only {} packets", stats.packets_lost);
        assert!(stats.concealed_ms >= 60, "{rate} Hz: concealed {} ms", stats.concealed_ms);
        assert!(share > 0.75, "{rate} Hz: tone share {share:.3}");
        assert!((0.75..1.1).contains(&gain), "{rate} Hz: tone level {gain:.3}");
        assert_eq!(stats.unknown_payload_type, 0);
        assert_eq!(sim.b.session.jitter_stats().decode_errors, 0);
    }
}

/// A 32 kHz device is no Opus rate: B decodes at 48 kHz and resamples, concealment included;
/// A resamples 32 to 16 kHz for its encoder.
#[test]
fn opus_at_a_32k_device_resamples_both_ways() {
    let mut sim = opus_sim(32000, 9);
    sim.ab.loss = 0.05;
    talk(&mut sim);
    sim.run_for(Duration::from_secs(5));
    let (share, gain) = tone_at_b(&sim, 1.5, 3.0);
    let stats = sim.b.session.stats();
    eprintln!(
        "32000 Hz: share {share:.4} gain {gain:.3}, lost {}, concealed {} ms",
        stats.packets_lost, stats.concealed_ms
    );
    // Measured: share 0.86, level 0.91 (see `opus_tone_through_a_lossy_network`).
    assert!(stats.concealed_ms >= 60, "concealed {} ms", stats.concealed_ms);
    assert!(share > 0.75, "tone share {share:.3}");
    assert!((0.75..1.1).contains(&gain), "tone level {gain:.3}");
    assert_eq!(sim.b.session.frame_len(), 640, "20 ms at 32 kHz");
}

/// RFC 7587 §4.1: the timestamp advances at 48000 Hz whatever the codec's rate, so 960 per
/// 20 ms; the payload type is the dynamic 111; RFC 3550 §5.1 and RFC 3551 §4.1 as for the others.
#[test]
fn opus_rtp_headers_advance_960_per_20_ms_on_pt_111() {
    for rate in [8000, 16000, 48000] {
        let mut sim = opus_sim(rate, 1);
        talk(&mut sim);
        sim.run_for(Duration::from_millis(990));
        let sent = rtp_sent(&sim.ab);
        assert_eq!(sent.len(), 50, "{rate} Hz");
        let first = header(&sent[0].transmit.bytes);
        let mut bytes = 0;
        for (i, s) in sent.iter().enumerate() {
            let h = header(&s.transmit.bytes);
            assert_eq!((h.version, h.pt, h.ssrc), (2, OPUS_PAYLOAD_TYPE, sim.a.session.local_ssrc()));
            assert_eq!(h.seq, first.seq.wrapping_add(i as u16), "packet {i}");
            assert_eq!(h.ts, first.ts.wrapping_add(960 * i as u32), "packet {i}");
            assert_eq!(h.marker, i == 0, "packet {i}");
            let payload = &s.transmit.bytes[12..];
            assert!(!payload.is_empty());
            // One 20 ms frame (RFC 6716 §3.1: TOC configuration's frame size, code 0).
            assert_eq!(opus::packet::get_nb_samples(payload, 48000).unwrap(), 960, "packet {i}");
            bytes += payload.len();
        }
        // 24 kbit/s is 60 bytes per 20 ms on average (VBR).
        let mean = bytes as f64 / sent.len() as f64;
        assert!((30.0..90.0).contains(&mean), "{rate} Hz: {mean:.1} bytes per packet");
    }
}

#[test]
fn opus_is_described_by_rfc_7587() {
    let kind = CodecKind::Opus;
    assert_eq!(CodecKind::from_rtpmap("opus", 48000), Some(kind));
    assert_eq!(CodecKind::from_rtpmap("OPUS", 48000), Some(kind));
    assert_eq!(CodecKind::from_rtpmap("opus", 16000), None);
    assert_eq!(CodecKind::from_rtpmap("PCMU", 8000), Some(CodecKind::Pcmu));
    assert_eq!(kind.name(), "opus");
    assert_eq!((kind.rtp_clock_rate(), kind.sample_rate(), kind.static_payload_type()), (48000, 48000, 111));
    assert!(kind.has_dynamic_payload_type() && !CodecKind::G722.has_dynamic_payload_type());
    assert!(kind.is_wideband());
    assert_eq!(AgreedCodec::new(kind), AgreedCodec { kind, send_pt: 111, recv_pt: 111 });
    let params = OpusParams::default();
    assert_eq!([8000, 16000, 32000, 48000].map(|r| kind.encode_rate(r, &params)), [8000, 16000, 16000, 16000]);
    assert_eq!([8000, 16000, 32000, 48000].map(|r| kind.decode_rate(r)), [8000, 16000, 48000, 48000]);
    assert_eq!(CodecKind::G722.encode_rate(48000, &params), 16000);
    assert_eq!(CodecKind::Pcmu.decode_rate(48000), 8000);
    assert_eq!(kind.bit_rate(&params), 24000);
    assert_eq!(kind.impairment(), CodecImpairment::OPUS_PLC);
    assert!(kind.impairment().wideband);
    for (k, rate) in [(CodecKind::Pcmu, 8000), (CodecKind::G722, 16000), (CodecKind::Opus, 48000)] {
        assert_eq!((k.encoder().sample_rate(), k.decoder().sample_rate()), (rate, rate));
    }
    assert_eq!(kind.session_encoder(48000, &params).sample_rate(), 16000);
    assert_eq!(kind.session_encoder(48000, &params).rtp_clock_rate(), 48000);
    assert_eq!(kind.session_decoder(24000).sample_rate(), 24000);
}

/// Sends one second of the tone from a session with `opus` and returns its payloads.
fn payloads_with(opus: OpusParams, device_rate: u32) -> Vec<Vec<u8>> {
    let mut config = SessionConfig::new(vec![AgreedCodec::new(CodecKind::Opus)], addr(B_RTP), device_rate);
    config.opus = opus;
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let t0 = Instant::now();
    let mut session = MediaSession::new(t0, config, &mut rng).unwrap();
    let tone = sine(TONE, AMPLITUDE, device_rate);
    let len = session.frame_len();
    let mut payloads = Vec::new();
    for k in 0..50 {
        let frame: Vec<i16> = (k * len..(k + 1) * len).map(&tone).collect();
        session.send_audio(t0 + Duration::from_millis(20 * k as u64), &frame).unwrap();
        while let Some(t) = session.poll_transmit() {
            if !t.rtcp {
                payloads.push(t.bytes[12..].to_vec());
            }
        }
    }
    payloads
}

/// The peer's `maxaveragebitrate`, `maxplaybackrate` and `cbr` (RFC 7587 §6.1) shape what we
/// send.
#[test]
fn fmtp_parameters_shape_the_stream() {
    let mean = |p: &[Vec<u8>]| p[10..].iter().map(Vec::len).sum::<usize>() as f64 / (p.len() - 10) as f64;
    // TOC configurations (RFC 6716 §3.1): 0–3 SILK narrowband, 8–11 SILK wideband.
    let config = |p: &[u8]| p[0] >> 3;
    let default = payloads_with(OpusParams::default(), 48000);
    assert!(default[10..].iter().all(|p| (8..=11).contains(&config(p))), "default is SILK wideband");
    let slow = payloads_with(OpusParams::from_fmtp("maxaveragebitrate=12000; useinbandfec=1"), 48000);
    assert!(mean(&slow) < 0.7 * mean(&default), "12 kbit/s: {:.1} against {:.1} bytes", mean(&slow), mean(&default));
    let narrow = payloads_with(OpusParams::from_fmtp("maxplaybackrate=8000"), 48000);
    assert!(narrow.iter().all(|p| config(p) <= 3), "maxplaybackrate=8000 gives narrowband");
    let cbr = payloads_with(OpusParams::from_fmtp("cbr=1"), 16000);
    assert!(cbr[1..].iter().all(|p| p.len() == cbr[1].len()), "cbr=1 gives constant sizes");
    // 40 kbit/s codes from 48 kHz: hybrid or CELT fullband configurations, 12 and up.
    let fast = payloads_with(OpusParams::from_fmtp("maxaveragebitrate=40000"), 48000);
    assert!(fast[10..].iter().all(|p| config(p) >= 12), "40 kbit/s at 48 kHz codes fullband");
}

/// RFC 4733 §2.5.1.2 puts events in the audio's timestamp space: with Opus, 48000 Hz, so a
/// 100 ms digit lasts 4800 timestamp units.
#[test]
fn dtmf_runs_on_the_opus_clock() {
    let mut setup = Setup::new(CodecKind::Opus, 16000);
    setup.telephone_event = true;
    let mut sim = Sim::new(&setup);
    talk(&mut sim);
    sim.run_for(Duration::from_millis(500));
    assert_eq!(sim.a.session.send_dtmf(sim.now, "5").unwrap(), 1);
    sim.run_for(Duration::from_secs(1));
    let ends: Vec<(char, u32)> = sim
        .b
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            SessionEvent::Dtmf(DtmfEvent::End { event, duration, .. }) => Some((event.to_char(), *duration)),
            _ => None,
        })
        .collect();
    assert_eq!(ends, vec![('5', 4800)]);
    let sent: Vec<Header> = rtp_sent(&sim.ab).iter().map(|s| header(&s.transmit.bytes)).collect();
    let audio: Vec<&Header> = sent.iter().filter(|h| h.pt == OPUS_PAYLOAD_TYPE).collect();
    assert!(audio.iter().all(|h| h.ts.wrapping_sub(audio[0].ts).is_multiple_of(960)), "audio keeps its 960 grid");
}

/// A switch between PCMU and Opus moves the events to the new audio clock: a 100 ms digit
/// lasts 800 units at 8000 Hz, 4800 at 48000 Hz.
#[test]
fn dtmf_follows_a_switch_of_clock_rate() {
    let mut setup = Setup::new(CodecKind::Pcmu, 16000);
    setup.codecs = vec![AgreedCodec::new(CodecKind::Pcmu), AgreedCodec::new(CodecKind::Opus)];
    setup.telephone_event = true;
    let mut sim = Sim::new(&setup);
    talk(&mut sim);
    sim.run_for(Duration::from_millis(500));
    sim.a.session.send_dtmf(sim.now, "3").unwrap();
    sim.run_for(Duration::from_millis(500));
    sim.a.session.set_send_codec(OPUS_PAYLOAD_TYPE).unwrap();
    sim.run_for(Duration::from_millis(500));
    sim.a.session.send_dtmf(sim.now, "7").unwrap();
    sim.run_for(Duration::from_millis(1000));
    let ends: Vec<(char, u32)> = sim
        .b
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            SessionEvent::Dtmf(DtmfEvent::End { event, duration, .. }) => Some((event.to_char(), *duration)),
            _ => None,
        })
        .collect();
    assert_eq!(ends, vec![('3', 800), ('7', 4800)]);
}

/// A mid-call switch from Opus (48000 Hz clock) to PCMU (8000 Hz) and back: the jitter buffer
/// re-anchors on the clock change and the tone goes on.
#[test]
fn switch_between_opus_and_pcmu_mid_call() {
    let mut setup = Setup::new(CodecKind::Opus, 16000);
    setup.codecs = vec![AgreedCodec::new(CodecKind::Opus), AgreedCodec::new(CodecKind::Pcmu)];
    let mut sim = Sim::new(&setup);
    talk(&mut sim);
    sim.run_for(Duration::from_millis(1500));
    sim.a.session.set_send_codec(0).unwrap();
    sim.run_for(Duration::from_millis(1500));
    sim.a.session.set_send_codec(OPUS_PAYLOAD_TYPE).unwrap();
    sim.run_for(Duration::from_millis(2000));
    let changes: Vec<&SessionEvent> =
        sim.b.events.iter().map(|(_, e)| e).filter(|e| matches!(e, SessionEvent::CodecChanged { .. })).collect();
    assert_eq!(
        changes,
        vec![
            &SessionEvent::CodecChanged { payload_type: 0, codec: CodecKind::Pcmu },
            &SessionEvent::CodecChanged { payload_type: OPUS_PAYLOAD_TYPE, codec: CodecKind::Opus },
        ]
    );
    let sent: Vec<Header> = rtp_sent(&sim.ab).iter().map(|s| header(&s.transmit.bytes)).collect();
    for pair in sent.windows(2).filter(|p| p[0].pt == p[1].pt) {
        let step = if pair[0].pt == 0 { 160 } else { 960 };
        assert_eq!(pair[1].ts.wrapping_sub(pair[0].ts), step);
    }
    for (from, label) in [(2.2, "PCMU"), (3.7, "Opus again")] {
        let (share, gain) = tone_at_b(&sim, from, 0.7);
        assert!(share > 0.9 && (0.7..1.2).contains(&gain), "{label}: share {share:.3} gain {gain:.3}");
    }
}

/// The quality line rates Opus on the wideband scale with its planning values.
#[test]
fn quality_of_an_opus_call() {
    let mut sim = opus_sim(16000, 2);
    talk(&mut sim);
    sim.run_for(Duration::from_secs(8));
    let q = sim.b.session.quality();
    eprintln!("{q}");
    assert!(q.wideband);
    assert!(q.to_string().ends_with("(wideband)"));
    // Ie,wb 10 and about 100 ms of delay: R = (129 − 1.29·Id − 10) / 1.29, MOS about 4.3.
    assert!((4.0..4.5).contains(&q.mos), "MOS {:.2}", q.mos);
    let stats = sim.b.session.stats();
    assert!(stats.jitter_ms < 1.0, "jitter {} ms on a jitter-free link", stats.jitter_ms);
}
