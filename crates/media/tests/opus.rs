//! Opus through libopus (RFC 6716, RFC 7587): round trips of tones, concealment, FEC recovery,
//! stereo packets, malformed payloads, packetizations and the `a=fmtp` parameters.
//!
//! Opus is not waveform-exact, so fidelity is measured spectrally and by correlation:
//!
//! * the *tone share*: the power at the input's tone frequencies (single-bin DFTs, Goertzel
//!   style, over a whole number of periods) as a fraction of the output's total power, and
//!   each tone's amplitude against the input's;
//! * the *correlation*: normalized cross-correlation of output and input after aligning them
//!   by the lag (the codec's look-ahead) that maximizes it.
//!
//! The thresholds sit well below what libopus 1.3 gives here (measured values in comments) and
//! well above what a broken codec path gives (noise, silence or a misaligned stream: shares
//! below 0.3, correlations near 0).

use std::f64::consts::PI;

use media::codec::opus::{
    decode_rate, OpusDecoder, OpusEncoder, OpusError, OpusParams, OPUS_DEFAULT_BITRATE, OPUS_RTP_CLOCK_RATE,
};
use media::codec::{DecodeError, Decoder, Encoder};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A sum of sines `(frequency, amplitude)` at `rate` Hz, `len` samples.
fn tones(parts: &[(f64, f64)], rate: u32, len: usize) -> Vec<i16> {
    (0..len)
        .map(|n| {
            let t = n as f64 / f64::from(rate);
            parts.iter().map(|&(f, a)| a * (2.0 * PI * f * t).sin()).sum::<f64>().round() as i16
        })
        .collect()
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

fn power(x: &[i16]) -> f64 {
    x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len().max(1) as f64
}

fn rms(x: &[i16]) -> f64 {
    power(x).sqrt()
}

/// The share of `x`'s power in the tones at `freqs` (each tone of amplitude A has power A²/2).
fn tone_share(x: &[i16], freqs: &[f64], rate: u32) -> f64 {
    let tonal: f64 = freqs.iter().map(|&f| amplitude(x, f, rate).powi(2) / 2.0).sum();
    tonal / power(x).max(1e-9)
}

/// Normalized cross-correlation of `a` and `b`.
fn correlation(a: &[i16], b: &[i16]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    ab / (aa * bb).sqrt().max(1e-9)
}

/// The lag in `0..max_lag` by which `output` best trails `reference` over `len` samples from
/// `start`, and the correlation there.
fn align(reference: &[i16], output: &[i16], start: usize, len: usize, max_lag: usize) -> (usize, f64) {
    (0..max_lag)
        .filter(|lag| start + lag + len <= output.len())
        .map(|lag| (lag, correlation(&reference[start..start + len], &output[start + lag..start + lag + len])))
        .fold((0, f64::NEG_INFINITY), |best, c| if c.1 > best.1 { c } else { best })
}

/// Encodes `pcm` in frames of `frame` samples: one payload per frame.
fn encode_all(encoder: &mut OpusEncoder, pcm: &[i16], frame: usize) -> Vec<Vec<u8>> {
    pcm.chunks_exact(frame)
        .map(|chunk| {
            let mut payload = Vec::new();
            encoder.encode(chunk, &mut payload);
            payload
        })
        .collect()
}

/// Decodes every payload in turn.
fn decode_all(decoder: &mut OpusDecoder, payloads: &[Vec<u8>]) -> Vec<i16> {
    let mut out = Vec::new();
    for payload in payloads {
        decoder.decode(payload, &mut out).unwrap();
    }
    out
}

/// Codes `input` at `rate` with `params` in 20 ms frames and decodes it at `rate`.
fn round_trip(input: &[i16], rate: u32, params: &OpusParams) -> Vec<i16> {
    let mut encoder = OpusEncoder::new(rate, params).unwrap();
    let mut decoder = OpusDecoder::new(rate).unwrap();
    decode_all(&mut decoder, &encode_all(&mut encoder, input, rate as usize / 50))
}

/// The look-ahead of libopus is 6.5 ms; lags up to 10 ms are searched.
fn max_lag(rate: u32) -> usize {
    rate as usize / 100
}

#[test]
fn sine_round_trips_at_16k_and_48k() {
    for rate in [16000, 48000] {
        let input = tones(&[(1000.0, 10_000.0)], rate, rate as usize * 2);
        let output = round_trip(&input, rate, &OpusParams::default());
        assert_eq!(output.len(), input.len());
        // Skip the first half second: the encoder settles on its mode and bit allocation.
        let (start, len) = (rate as usize / 2, rate as usize);
        let (lag, corr) = align(&input, &output, start, len, max_lag(rate));
        let share = tone_share(&output[start..start + len], &[1000.0], rate);
        let gain = amplitude(&output[start..start + len], 1000.0, rate) / 10_000.0;
        eprintln!("{rate} Hz sine: lag {lag} corr {corr:.4} share {share:.4} gain {gain:.3}");
        assert!(corr > 0.95, "{rate} Hz: correlation {corr:.3}");
        assert!(share > 0.95, "{rate} Hz: tone share {share:.3}");
        assert!((0.8..1.2).contains(&gain), "{rate} Hz: tone gain {gain:.3}");
    }
}

/// Four steady tones up to 5.1 kHz: hard for a speech codec at a voice bit rate, which spends
/// its bits on a speech-like spectral envelope (libopus 1.3 at 24 kbit/s: correlation 0.86 and
/// tone share 0.79 at 16 kHz, 0.77 and 0.64 in hybrid mode at 48 kHz; the quietest, highest tone
/// comes out at 0.6–0.7 of its level). At 64 kbit/s it is near transparent (0.96–0.97, 0.998).
#[test]
fn multi_tone_round_trips_at_16k_and_48k() {
    let parts = [(300.0, 5000.0), (1100.0, 4000.0), (2700.0, 3000.0), (5100.0, 2000.0)];
    let freqs: Vec<f64> = parts.iter().map(|p| p.0).collect();
    for (rate, bits, min_corr, min_share, gains) in [
        (16000, 24_000, 0.75, 0.6, 0.5..1.3),
        (48000, 24_000, 0.65, 0.5, 0.5..1.3),
        (16000, 64_000, 0.9, 0.95, 0.85..1.15),
        (48000, 64_000, 0.9, 0.95, 0.8..1.15),
    ] {
        let input = tones(&parts, rate, rate as usize * 2);
        let output = round_trip(&input, rate, &OpusParams { max_average_bitrate: bits, ..OpusParams::default() });
        let (start, len) = (rate as usize / 2, rate as usize);
        let (lag, corr) = align(&input, &output, start, len, max_lag(rate));
        let share = tone_share(&output[start..start + len], &freqs, rate);
        eprintln!("{rate} Hz multi-tone at {bits} bit/s: lag {lag} corr {corr:.4} share {share:.4}");
        for &(f, a) in &parts {
            let gain = amplitude(&output[start..start + len], f, rate) / a;
            assert!(gains.contains(&gain), "{rate} Hz, {bits} bit/s: {f} Hz tone gain {gain:.3}");
        }
        assert!(corr > min_corr, "{rate} Hz, {bits} bit/s: correlation {corr:.3}");
        assert!(share > min_share, "{rate} Hz, {bits} bit/s: tone share {share:.3}");
    }
}

#[test]
fn decoder_yields_its_own_rate_whatever_the_encoder_ran_at() {
    // A wideband stream played at 48 kHz and a fullband one at 16 kHz: libopus resamples.
    for (enc_rate, dec_rate) in [(16000, 48000), (48000, 16000), (16000, 8000)] {
        let input = tones(&[(700.0, 8000.0)], enc_rate, enc_rate as usize);
        let mut encoder = OpusEncoder::new(enc_rate, &OpusParams::default()).unwrap();
        let mut decoder = OpusDecoder::new(dec_rate).unwrap();
        let output = decode_all(&mut decoder, &encode_all(&mut encoder, &input, enc_rate as usize / 50));
        assert_eq!(output.len(), dec_rate as usize, "{enc_rate} -> {dec_rate}");
        let tail = &output[dec_rate as usize / 2..];
        let share = tone_share(tail, &[700.0], dec_rate);
        eprintln!("{enc_rate} -> {dec_rate}: share {share:.4}");
        assert!(share > 0.9, "{enc_rate} -> {dec_rate}: tone share {share:.3}");
    }
}

#[test]
fn rates_and_clock() {
    let encoder = OpusEncoder::new(16000, &OpusParams::default()).unwrap();
    assert_eq!((encoder.sample_rate(), encoder.rtp_clock_rate()), (16000, 48000));
    assert_eq!(OPUS_RTP_CLOCK_RATE, 48000);
    assert_eq!(OpusDecoder::new(24000).unwrap().sample_rate(), 24000);
    assert_eq!(
        OpusEncoder::new(44100, &OpusParams::default()).unwrap_err(),
        OpusError::UnsupportedRate { rate: 44100 }
    );
    assert_eq!(OpusDecoder::new(32000).unwrap_err(), OpusError::UnsupportedRate { rate: 32000 });
    // Decoders run at the device's rate when libopus can, else at 48 kHz.
    assert_eq!([8000, 16000, 24000, 32000, 48000].map(decode_rate), [8000, 16000, 24000, 48000, 48000]);
    // Encoders: wideband at our default bit rate, capped by the device and the peer's playback.
    let default = OpusParams::default();
    assert_eq!([8000, 16000, 24000, 32000, 48000].map(|r| default.encode_rate(r)), [8000, 16000, 16000, 16000, 16000]);
    let fast = OpusParams { max_average_bitrate: 64_000, ..default };
    assert_eq!([8000, 16000, 24000, 32000, 48000].map(|r| fast.encode_rate(r)), [8000, 16000, 24000, 24000, 48000]);
    let narrow = OpusParams { max_playback_rate: 8000, ..fast };
    assert_eq!(narrow.encode_rate(48000), 8000);
}

#[test]
fn fmtp_parameters() {
    let p = OpusParams::from_fmtp("minptime=10; useinbandfec=1; maxaveragebitrate=32000; maxplaybackrate=16000;cbr=1");
    assert_eq!(p.max_average_bitrate, 32000);
    assert!(p.inband_fec && p.cbr);
    assert_eq!(p.max_playback_rate, 16000);
    assert_eq!(p.encode_rate(48000), 16000);
    // Absent parameters take RFC 7587 §6.1's defaults: no FEC, VBR, 48 kHz playback.
    let none = OpusParams::from_fmtp("");
    assert_eq!(none, OpusParams { inband_fec: false, ..OpusParams::default() });
    assert_eq!(none.max_average_bitrate, OPUS_DEFAULT_BITRATE);
    // Case-insensitive names; out-of-range or malformed values are ignored.
    let odd = OpusParams::from_fmtp("UseInbandFEC=1;maxaveragebitrate=5;maxplaybackrate=x;cbr=2;stereo=1;junk");
    assert!(odd.inband_fec && !odd.cbr);
    assert_eq!((odd.max_average_bitrate, odd.max_playback_rate), (OPUS_DEFAULT_BITRATE, 48000));
    assert_eq!(OpusParams::from_fmtp("maxaveragebitrate=600000").max_average_bitrate, OPUS_DEFAULT_BITRATE);
    // Our own defaults, without a peer's word: FEC on.
    assert!(OpusParams::default().inband_fec);
}

#[test]
fn bit_rate_follows_the_parameters() {
    let rate = 16000;
    let input = tones(&[(300.0, 5000.0), (1100.0, 4000.0), (2700.0, 3000.0)], rate, rate as usize * 2);
    let mean_bytes = |params: &OpusParams| {
        let mut encoder = OpusEncoder::new(rate, params).unwrap();
        let payloads = encode_all(&mut encoder, &input, rate as usize / 50);
        let sizes: Vec<usize> = payloads[25..].iter().map(Vec::len).collect();
        (sizes.iter().sum::<usize>() as f64 / sizes.len() as f64, sizes)
    };
    // 24 kbit/s is 60 bytes per 20 ms.
    let (default, _) = mean_bytes(&OpusParams::default());
    let (low, _) = mean_bytes(&OpusParams { max_average_bitrate: 12_000, ..OpusParams::default() });
    let (_, cbr) = mean_bytes(&OpusParams { cbr: true, ..OpusParams::default() });
    eprintln!("bytes per 20 ms: default {default:.1}, 12 kbit/s {low:.1}, cbr {:?}", &cbr[..5]);
    assert!((40.0..=80.0).contains(&default), "default: {default:.1} bytes per packet");
    assert!(low < default * 0.7, "12 kbit/s: {low:.1} bytes per packet against {default:.1}");
    assert!(cbr.iter().all(|&len| len == cbr[0]), "CBR sizes vary: {cbr:?}");
}

#[test]
fn packetizations_from_10_to_120_ms() {
    let rate = 16000;
    for ms in (10..=120).step_by(10) {
        let frame = rate as usize * ms / 1000;
        let input = tones(&[(500.0, 8000.0)], rate, frame * (1000 / ms + 2));
        let mut encoder = OpusEncoder::new(rate, &OpusParams::default()).unwrap();
        let mut decoder = OpusDecoder::new(rate).unwrap();
        let payloads = encode_all(&mut encoder, &input, frame);
        for payload in &payloads {
            assert!(!payload.is_empty(), "{ms} ms: empty payload");
            assert_eq!(opus::packet::get_nb_samples(payload, 48000).unwrap(), 48 * ms, "{ms} ms");
        }
        let output = decode_all(&mut decoder, &payloads);
        assert_eq!(output.len(), input.len(), "{ms} ms");
        let tail = &output[rate as usize / 2..];
        assert!(tone_share(tail, &[500.0], rate) > 0.9, "{ms} ms: tone lost");
    }
    // Odd lengths are padded to whole 2.5 ms; more than 120 ms is cut.
    let mut encoder = OpusEncoder::new(rate, &OpusParams::default()).unwrap();
    let mut payload = Vec::new();
    encoder.encode(&[100; 300], &mut payload);
    assert_eq!(opus::packet::get_nb_samples(&payload, rate).unwrap(), 320);
    payload.clear();
    encoder.encode(&[100; 2500], &mut payload);
    assert_eq!(opus::packet::get_nb_samples(&payload, rate).unwrap(), 1920);
    payload.clear();
    encoder.encode(&[], &mut payload);
    assert!(payload.is_empty());
}

/// A "speech-like" signal that PLC cannot predict: every 20 ms a new pitch and formant-ish
/// tone pair, faded in and out.
fn hopping(rate: u32, frames: usize) -> Vec<i16> {
    let frame = rate as usize / 50;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut out = Vec::with_capacity(frame * frames);
    let mut phase = [0.0f64; 2];
    for _ in 0..frames {
        let f0 = 150.0 + (rng.next_u32() % 250) as f64;
        let f1 = 600.0 + (rng.next_u32() % 2400) as f64;
        for n in 0..frame {
            phase[0] += 2.0 * PI * f0 / f64::from(rate);
            phase[1] += 2.0 * PI * f1 / f64::from(rate);
            let env = (PI * (n as f64 + 0.5) / frame as f64).sin().sqrt();
            out.push((env * (6000.0 * phase[0].sin() + 3000.0 * phase[1].sin())).round() as i16);
        }
    }
    out
}

#[test]
fn concealment_continues_the_audio() {
    let rate = 16000;
    let frame = rate as usize / 50;
    let input = tones(&[(440.0, 10_000.0)], rate, rate as usize);
    let mut encoder = OpusEncoder::new(rate, &OpusParams::default()).unwrap();
    let payloads = encode_all(&mut encoder, &input, frame);
    let mut decoder = OpusDecoder::new(rate).unwrap();
    let mut clean = OpusDecoder::new(rate).unwrap();
    let reference = decode_all(&mut clean, &payloads);
    let lost = 30;
    let mut out = Vec::new();
    for (k, payload) in payloads.iter().enumerate() {
        if k == lost {
            let before = out.len();
            assert!(decoder.conceal(frame, &mut out));
            assert_eq!(out.len() - before, frame);
        } else {
            decoder.decode(payload, &mut out).unwrap();
        }
    }
    let concealed = &out[lost * frame..(lost + 1) * frame];
    let level = rms(concealed) / rms(&reference[lost * frame..(lost + 1) * frame]);
    let share = tone_share(concealed, &[440.0], rate);
    eprintln!("PLC of a sine: level {level:.3}, share {share:.3}");
    assert!(level > 0.3, "concealment is near silence: {level:.3} of the signal");
    assert!(share > 0.5, "concealment does not continue the tone: share {share:.3}");
    // Concealment rounds up to whole 2.5 ms (40 samples at 16 kHz).
    let before = out.len();
    assert!(decoder.conceal(50, &mut out));
    assert_eq!(out.len() - before, 80);
}

#[test]
fn fec_recovers_a_lost_frame_better_than_concealment() {
    let rate = 16000;
    let frame = rate as usize / 50;
    let input = hopping(rate, 100);
    let params = OpusParams { expected_loss_percent: 20, ..OpusParams::default() };
    let mut encoder = OpusEncoder::new(rate, &params).unwrap();
    let payloads = encode_all(&mut encoder, &input, frame);
    let mut clean = OpusDecoder::new(rate).unwrap();
    let reference = decode_all(&mut clean, &payloads);
    let (mut plc_sum, mut fec_sum, mut trials) = (0.0, 0.0, 0);
    for lost in (20..90).step_by(7) {
        let run = |use_fec: bool| {
            let mut decoder = OpusDecoder::new(rate).unwrap();
            let mut out = Vec::new();
            for (k, payload) in payloads.iter().enumerate() {
                if k == lost {
                    let ok = if use_fec {
                        decoder.decode_fec(&payloads[k + 1], frame, &mut out)
                    } else {
                        decoder.conceal(frame, &mut out)
                    };
                    assert!(ok);
                } else {
                    decoder.decode(payload, &mut out).unwrap();
                }
            }
            out
        };
        let span = lost * frame..(lost + 1) * frame;
        // Against the clean decode: both have the same codec delay.
        let plc = correlation(&reference[span.clone()], &run(false)[span.clone()]);
        let fec = correlation(&reference[span.clone()], &run(true)[span]);
        eprintln!("lost {lost}: PLC {plc:.3} FEC {fec:.3}");
        plc_sum += plc;
        fec_sum += fec;
        trials += 1;
    }
    let (plc, fec) = (plc_sum / trials as f64, fec_sum / trials as f64);
    eprintln!("mean correlation: PLC {plc:.3} FEC {fec:.3}");
    assert!(fec > 0.7, "FEC correlation {fec:.3}");
    assert!(fec > plc + 0.2, "FEC {fec:.3} is not better than PLC {plc:.3}");
}

#[test]
fn fec_needs_a_usable_next_packet() {
    let rate = 16000;
    let frame = rate as usize / 50;
    let mut decoder = OpusDecoder::new(rate).unwrap();
    let mut encoder = OpusEncoder::new(rate, &OpusParams::default()).unwrap();
    let payloads = encode_all(&mut encoder, &tones(&[(440.0, 8000.0)], rate, frame * 10), frame);
    let mut out = Vec::new();
    decoder.decode(&payloads[0], &mut out).unwrap();
    let len = out.len();
    // Nothing to read, a malformed packet, a gap shorter than the packet's frame.
    assert!(!decoder.decode_fec(&[], frame, &mut out));
    assert!(!decoder.decode_fec(&[0x03, 0x00], frame, &mut out));
    assert!(!decoder.decode_fec(&payloads[2], frame / 2, &mut out));
    // CELT-only packets (TOC configurations 16–31) carry no FEC.
    let mut celt =
        OpusEncoder::new(48000, &OpusParams { max_average_bitrate: 128_000, ..OpusParams::default() }).unwrap();
    let music = tones(&[(3000.0, 8000.0), (9000.0, 4000.0), (15000.0, 3000.0)], 48000, 960 * 20);
    let celt_payloads: Vec<Vec<u8>> = encode_all(&mut celt, &music, 960);
    let celt_only = celt_payloads.iter().find(|p| p[0] >> 3 >= 16);
    if let Some(packet) = celt_only {
        assert!(!decoder.decode_fec(packet, frame, &mut out));
    }
    assert_eq!(out.len(), len, "a refused FEC wrote samples");
    // A gap longer than the FEC: concealment first, then the FEC frame.
    assert!(decoder.decode_fec(&payloads[3], 3 * frame, &mut out));
    assert_eq!(out.len(), len + 3 * frame);
}

#[test]
fn stereo_packets_decode_to_mono() {
    let rate = 48000;
    let frame = 960;
    let left = tones(&[(500.0, 8000.0)], rate, rate as usize);
    let right = tones(&[(1500.0, 8000.0)], rate, rate as usize);
    let interleaved: Vec<i16> = left.iter().zip(&right).flat_map(|(&l, &r)| [l, r]).collect();
    let mut encoder = opus::Encoder::new(rate, opus::Channels::Stereo, opus::Application::Voip).unwrap();
    encoder.set_bitrate(opus::Bitrate::Bits(64_000)).unwrap();
    let payloads: Vec<Vec<u8>> =
        interleaved.chunks_exact(2 * frame).map(|chunk| encoder.encode_vec(chunk, 4000).unwrap()).collect();
    assert_eq!(opus::packet::get_nb_channels(&payloads[10]).unwrap(), opus::Channels::Stereo);
    for dec_rate in [48000, 16000] {
        let mut decoder = OpusDecoder::new(dec_rate).unwrap();
        let output = decode_all(&mut decoder, &payloads);
        assert_eq!(output.len(), dec_rate as usize, "one mono sample per stereo pair");
        let tail = &output[dec_rate as usize / 2..];
        // The downmix is (L + R) / 2: each tone at half its amplitude.
        let (a500, a1500) = (amplitude(tail, 500.0, dec_rate), amplitude(tail, 1500.0, dec_rate));
        let share = tone_share(tail, &[500.0, 1500.0], dec_rate);
        eprintln!("stereo at {dec_rate}: 500 Hz {a500:.0}, 1500 Hz {a1500:.0}, share {share:.3}");
        assert!(share > 0.8, "{dec_rate}: tone share {share:.3}");
        for a in [a500, a1500] {
            assert!((2800.0..5600.0).contains(&a), "{dec_rate}: tone amplitude {a:.0}, expected about 4000");
        }
    }
}

#[test]
fn malformed_payloads_are_decode_errors() {
    let mut decoder = OpusDecoder::new(16000).unwrap();
    let mut out = Vec::new();
    assert_eq!(decoder.decode(&[], &mut out), Err(DecodeError::BadLength { len: 0 }));
    for bad in [
        &[0x01, 0x00][..],       // code 1: two equal frames in an odd number of bytes
        &[0x03][..],             // code 3 without its frame count byte
        &[0x03, 0x00][..],       // code 3 with zero frames
        &[0x03, 0x31][..],       // 49 frames of 10 ms: beyond 120 ms
        &[0x02, 0xFF, 0x00][..], // code 2 whose first frame is longer than the packet
        &[0x03, 0x41, 0xFF][..], // padding longer than the packet
        &[0x0B, 0x00, 0x00][..], // code 3 with zero frames, another configuration
    ] {
        assert_eq!(decoder.decode(bad, &mut out), Err(DecodeError::Corrupt), "{bad:02x?}");
    }
    assert!(out.is_empty(), "a refused payload wrote samples");
    // Arbitrary bytes never panic, and never yield more than 120 ms.
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (mut ok, mut err) = (0, 0);
    for _ in 0..20_000 {
        let len = 1 + (rng.next_u32() % 200) as usize;
        let mut payload = vec![0u8; len];
        rng.fill_bytes(&mut payload);
        let mut out = Vec::new();
        match decoder.decode(&payload, &mut out) {
            Ok(()) => {
                assert!(!out.is_empty() && out.len() <= 1920, "{} samples", out.len());
                ok += 1;
            }
            Err(_) => {
                assert!(out.is_empty());
                err += 1;
            }
        }
        let _ = decoder.decode_fec(&payload, 320, &mut out);
    }
    eprintln!("random payloads: {ok} decoded, {err} refused");
    assert!(err > 0 && ok > 0);
    // The decoder still works afterwards.
    let mut encoder = OpusEncoder::new(16000, &OpusParams::default()).unwrap();
    let mut payload = Vec::new();
    encoder.encode(&[0; 320], &mut payload);
    let mut out = Vec::new();
    decoder.decode(&payload, &mut out).unwrap();
    assert_eq!(out.len(), 320);
}
