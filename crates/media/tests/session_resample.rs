//! The session's polyphase resampler: exact frame lengths, fidelity of a round trip, and no
//! aliasing or imaging.

use media::session::{ResampleError, Resampler};

const RATES: [u32; 5] = [8000, 16000, 24000, 32000, 48000];

fn tone(freq: f64, amp: f64, rate: u32, len: usize) -> Vec<i16> {
    (0..len)
        .map(|n| (amp * (2.0 * std::f64::consts::PI * freq * n as f64 / f64::from(rate)).sin()).round() as i16)
        .collect()
}

/// Runs `input` through `r` in 20 ms frames.
fn run(r: &mut Resampler, input: &[i16]) -> Vec<i16> {
    let frame = r.input_rate() as usize / 50;
    let mut out = Vec::new();
    for chunk in input.chunks(frame) {
        r.process(chunk, &mut out);
    }
    out
}

/// The amplitude of the `freq` Hz component of `x` (a single-bin DFT).
fn amplitude(x: &[i16], freq: f64, rate: u32) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / f64::from(rate);
    let (mut re, mut im) = (0.0, 0.0);
    for (n, &s) in x.iter().enumerate() {
        re += f64::from(s) * (w * n as f64).cos();
        im -= f64::from(s) * (w * n as f64).sin();
    }
    2.0 * (re * re + im * im).sqrt() / x.len() as f64
}

fn rms(x: &[i16]) -> f64 {
    (x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

#[test]
fn every_20ms_frame_gives_exactly_20ms() {
    for from in RATES {
        for to in RATES {
            let mut r = Resampler::new(from, to).unwrap();
            let frame = vec![1000i16; from as usize / 50];
            for _ in 0..5 {
                let mut out = Vec::new();
                assert_eq!(r.output_len(frame.len()), to as usize / 50);
                r.process(&frame, &mut out);
                assert_eq!(out.len(), to as usize / 50, "{from} -> {to}");
            }
        }
    }
}

#[test]
fn identity_passes_samples_unchanged() {
    let mut r = Resampler::new(16000, 16000).unwrap();
    assert!(r.is_identity());
    assert_eq!(r.delay(), 0.0);
    let x = tone(1234.0, 9000.0, 16000, 320);
    assert_eq!(run(&mut r, &x), x);
}

#[test]
fn unsupported_ratios_are_refused() {
    assert_eq!(
        Resampler::new(44100, 48000).unwrap_err(),
        ResampleError::UnsupportedRatio { from: 44100, to: 48000, up: 160, down: 147 }
    );
    assert_eq!(Resampler::new(0, 8000).unwrap_err(), ResampleError::InvalidRate { rate: 0 });
}

/// SNR of a round trip `rate` → `via` → `rate` for a `freq` tone, against the tone delayed by
/// the filters' (possibly fractional) group delay.
fn round_trip_snr(rate: u32, via: u32, freq: f64) -> f64 {
    let mut up = Resampler::new(rate, via).unwrap();
    let mut down = Resampler::new(via, rate).unwrap();
    let x = tone(freq, 10_000.0, rate, rate as usize);
    let y = run(&mut down, &run(&mut up, &x));
    let delay = up.delay() * f64::from(rate) / f64::from(via) + down.delay();
    let w = 2.0 * std::f64::consts::PI * freq / f64::from(rate);
    let (mut signal, mut noise) = (0.0, 0.0);
    for (n, &out) in y.iter().enumerate().skip(rate as usize / 10) {
        let ideal = 10_000.0 * (w * (n as f64 - delay)).sin();
        signal += ideal * ideal;
        noise += (ideal - f64::from(out)).powi(2);
    }
    10.0 * (signal / noise).log10()
}

#[test]
fn round_trips_keep_the_signal() {
    for (rate, via, freq) in
        [(16000, 48000, 1000.0), (16000, 48000, 5000.0), (8000, 16000, 3000.0), (8000, 48000, 440.0)]
    {
        let snr = round_trip_snr(rate, via, freq);
        assert!(snr > 60.0, "{rate} -> {via} -> {rate} at {freq} Hz: SNR {snr:.1} dB");
    }
}

#[test]
fn pass_band_gain_is_flat() {
    for (from, to, freq) in [(16000, 8000, 3300.0), (48000, 16000, 6800.0), (8000, 48000, 3300.0)] {
        let mut r = Resampler::new(from, to).unwrap();
        let y = run(&mut r, &tone(freq, 10_000.0, from, from as usize));
        let gain = amplitude(&y[to as usize / 10..], freq, to) / 10_000.0;
        let db = 20.0 * gain.log10();
        assert!(db.abs() < 0.5, "{from} -> {to} at {freq} Hz: {db:.2} dB");
    }
}

#[test]
fn tones_above_the_target_nyquist_do_not_alias() {
    for (from, to, freq) in
        [(48000, 16000, 12_000.0), (48000, 8000, 6000.0), (16000, 8000, 5000.0), (48000, 16000, 8600.0)]
    {
        let mut r = Resampler::new(from, to).unwrap();
        let y = run(&mut r, &tone(freq, 10_000.0, from, from as usize));
        let level = rms(&y[to as usize / 10..]);
        let attenuation = 20.0 * (10_000.0 / 2f64.sqrt() / level.max(1e-3)).log10();
        assert!(attenuation > 60.0, "{from} -> {to}, {freq} Hz: only {attenuation:.1} dB down");
    }
}

#[test]
fn upsampling_leaves_no_images() {
    // A 1 kHz tone at 8 kHz upsampled to 48 kHz: images at 7, 9, 15 and 17 kHz must be gone.
    let mut r = Resampler::new(8000, 48000).unwrap();
    let y = run(&mut r, &tone(1000.0, 10_000.0, 8000, 8000));
    let y = &y[4800..];
    let wanted = amplitude(y, 1000.0, 48000);
    assert!((wanted / 10_000.0 - 1.0).abs() < 0.01);
    for image in [7000.0, 9000.0, 15_000.0, 17_000.0] {
        let ratio = 20.0 * (wanted / amplitude(y, image, 48000).max(1e-6)).log10();
        assert!(ratio > 60.0, "image at {image} Hz only {ratio:.1} dB down");
    }
}

#[test]
fn reset_forgets_the_past() {
    let mut r = Resampler::new(16000, 48000).unwrap();
    run(&mut r, &tone(1000.0, 10_000.0, 16000, 320));
    r.reset();
    let mut out = Vec::new();
    r.process(&[0; 320], &mut out);
    assert!(out.iter().all(|&s| s == 0));
}
