//! Tone generation: frequencies (Goertzel), cadences to the sample, levels, click-free edges and
//! chunking independence, at 8, 16 and 48 kHz.

use std::f64::consts::PI;

use media::dtmf::Event;
use media::tones::{
    dbm0_to_peak, Ending, Region, Ringtone, Tone, ToneError, ToneGenerator, ToneSpec, DEFAULT_LEVEL_DBM0,
    FULL_SCALE_SINE_DBM0, RAMP_MS,
};
use proptest::prelude::*;

const RATES: [u32; 3] = [8000, 16000, 48000];

/// What follows a cadence.
#[derive(Debug, Clone, Copy)]
enum Tail {
    Repeat,
    SteadyAfter(usize),
    SilentAfter(usize),
}

/// The expected tone plans (ITU-T E.180 Suppl. 2; ANSI T1.401; BT SIN 350; ETSI TR 101 041),
/// written out independently of the crate's tables.
fn expected(tone: Tone, region: Region) -> (&'static [f64], &'static [u32], Tail) {
    use Tail::*;
    match (region, tone) {
        (Region::Us, Tone::Dial) => (&[350.0, 440.0], &[], Repeat),
        (Region::Us, Tone::Ringback) => (&[440.0, 480.0], &[2000, 4000], Repeat),
        (Region::Us, Tone::Busy) => (&[480.0, 620.0], &[500, 500], Repeat),
        (Region::Us, Tone::Congestion) => (&[480.0, 620.0], &[250, 250], Repeat),
        (Region::Us, Tone::CallWaiting) => (&[440.0], &[300, 9700], Repeat),
        (Region::Us, Tone::Confirmation) => (&[350.0, 440.0], &[100, 100, 100, 100, 100], SilentAfter(1)),
        (Region::Us, Tone::StutterDial) => (&[350.0, 440.0], &[100, 100], SteadyAfter(10)),
        (Region::Uk, Tone::Dial) => (&[350.0, 450.0], &[], Repeat),
        (Region::Uk, Tone::Ringback) => (&[400.0, 450.0], &[400, 200, 400, 2000], Repeat),
        (Region::Uk, Tone::Busy) => (&[400.0], &[375, 375], Repeat),
        (Region::Uk, Tone::Congestion) => (&[400.0], &[400, 350, 225, 525], Repeat),
        (Region::Uk, Tone::CallWaiting) => (&[400.0], &[100, 2000], Repeat),
        (Region::Uk, Tone::Confirmation) => (&[350.0, 450.0], &[100, 100, 100, 100, 100], SilentAfter(1)),
        (Region::Uk, Tone::StutterDial) => (&[350.0, 450.0], &[750, 750], Repeat),
        (Region::Eu, Tone::Dial) => (&[425.0], &[], Repeat),
        (Region::Eu, Tone::Ringback) => (&[425.0], &[1000, 4000], Repeat),
        (Region::Eu, Tone::Busy) => (&[425.0], &[500, 500], Repeat),
        (Region::Eu, Tone::Congestion) => (&[425.0], &[250, 250], Repeat),
        (Region::Eu, Tone::CallWaiting) => (&[425.0], &[200, 200, 200, 4400], Repeat),
        (Region::Eu, Tone::Confirmation) => (&[425.0], &[100, 100, 100, 100, 100], SilentAfter(1)),
        (Region::Eu, Tone::StutterDial) => (&[425.0], &[400, 40], Repeat),
        (region, tone) => panic!("no expectation for {tone:?} in {region:?}"),
    }
}

/// The expected runs of sound (`true`) and digital silence, in samples, with enough of the
/// tail to see it.
fn expected_runs(cadence: &[u32], after: Tail, rate: u32) -> Vec<(bool, usize)> {
    let samples = |ms: u32| (u64::from(ms) * u64::from(rate) / 1000) as usize;
    let one_cycle = cadence.iter().enumerate().map(|(i, &ms)| (i % 2 == 0, samples(ms)));
    match after {
        _ if cadence.is_empty() => vec![(true, samples(1000))],
        Tail::Repeat => one_cycle.clone().chain(one_cycle).collect(),
        Tail::SteadyAfter(n) => {
            let mut runs: Vec<_> = (0..n).flat_map(|_| one_cycle.clone()).collect();
            runs.push((true, samples(1000)));
            runs
        }
        Tail::SilentAfter(n) => {
            let mut runs: Vec<_> = (0..n).flat_map(|_| one_cycle.clone()).collect();
            runs.push((false, samples(1000)));
            runs
        }
    }
}

/// Runs of non-zero and zero samples.
fn runs(samples: &[i16]) -> Vec<(bool, usize)> {
    let mut out: Vec<(bool, usize)> = Vec::new();
    for &s in samples {
        let sounding = s != 0;
        match out.last_mut() {
            Some((kind, len)) if *kind == sounding => *len += 1,
            _ => out.push((sounding, 1)),
        }
    }
    out
}

fn generate(generator: &mut ToneGenerator, len: usize) -> Vec<i16> {
    let mut out = vec![0; len];
    generator.fill(&mut out);
    out
}

/// The amplitude of the `hz` component of `samples` at `rate` Hz: a Goertzel filter at exactly
/// `hz` over the Hann-windowed samples.
fn goertzel_amplitude(samples: &[i16], hz: f64, rate: u32) -> f64 {
    let n = samples.len();
    let omega = 2.0 * PI * hz / f64::from(rate);
    let coeff = 2.0 * omega.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut window_sum = 0.0;
    for (i, &x) in samples.iter().enumerate() {
        let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / n as f64).cos();
        window_sum += w;
        let s0 = w * f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    2.0 * power.max(0.0).sqrt() / window_sum
}

/// The level in dBm0 of a sine of peak `amplitude` (full-scale sine = +3.14 dBm0).
fn dbm0(amplitude: f64) -> f64 {
    20.0 * (amplitude / 32767.0).log10() + FULL_SCALE_SINE_DBM0
}

/// Frequencies a wrong tone could have.
const CANDIDATES: [f64; 21] = [
    350.0, 400.0, 425.0, 440.0, 450.0, 480.0, 620.0, 697.0, 770.0, 852.0, 941.0, 1000.0, 1209.0, 1250.0, 1336.0,
    1477.0, 1633.0, 900.0, 1800.0, 2100.0, 300.0,
];

/// Checks that the sound in `window` has each of `freqs` at `level` ± 0.5 dB and none of the
/// candidates further than 4 Hann bins from them above `level` − 30 dB.
fn check_spectrum(window: &[i16], freqs: &[f64], rate: u32, level: f64, what: &str) {
    for &hz in freqs {
        let measured = dbm0(goertzel_amplitude(window, hz, rate));
        assert!((measured - level).abs() <= 0.5, "{what}: {hz} Hz at {measured:.2} dBm0, want {level}");
    }
    let bin = f64::from(rate) / window.len() as f64;
    for hz in CANDIDATES.iter().copied().filter(|c| freqs.iter().all(|f| (f - c).abs() > 4.0 * bin)) {
        let measured = dbm0(goertzel_amplitude(window, hz, rate));
        assert!(measured < level - 30.0, "{what}: unexpected {hz} Hz at {measured:.2} dBm0");
    }
}

/// The samples of the first sound run, without its ramps, at most one second.
fn first_burst(samples: &[i16], rate: u32) -> &[i16] {
    let start = samples.iter().position(|&s| s != 0).expect("sound");
    let len = samples[start..].iter().position(|&s| s == 0).unwrap_or(samples.len() - start);
    let trim = (RAMP_MS + 1) as usize * rate as usize / 1000;
    let window = &samples[start + trim..start + len - trim];
    &window[..window.len().min(rate as usize)]
}

#[test]
fn cadences_are_exact_to_the_sample() {
    for region in Region::ALL {
        for tone in Tone::ALL {
            let (_, cadence, after) = expected(tone, region);
            for rate in RATES {
                let want = expected_runs(cadence, after, rate);
                let total = want.iter().map(|r| r.1).sum();
                let mut generator = ToneGenerator::new(tone, region, rate).expect("generator");
                let samples = generate(&mut generator, total);
                assert_eq!(runs(&samples), want, "{tone:?} in {region:?} at {rate} Hz");
                assert_eq!(generator.is_finished(), matches!(after, Tail::SilentAfter(_)), "{tone:?} {region:?}");
            }
        }
    }
}

#[test]
fn every_tone_has_its_frequencies_and_no_others_at_the_default_level() {
    for region in Region::ALL {
        for tone in Tone::ALL {
            let (freqs, _, _) = expected(tone, region);
            for rate in RATES {
                let mut generator = ToneGenerator::new(tone, region, rate).expect("generator");
                let samples = generate(&mut generator, rate as usize * 2);
                let what = format!("{tone:?} in {region:?} at {rate} Hz");
                check_spectrum(first_burst(&samples, rate), freqs, rate, DEFAULT_LEVEL_DBM0, &what);
            }
        }
    }
}

#[test]
fn level_is_configurable_and_accurate() {
    for rate in RATES {
        for level in [-30.0, -20.0, -13.0, -6.0, 0.0] {
            let mut generator =
                ToneGenerator::new(Tone::Dial, Region::Eu, rate).and_then(|g| g.with_level(level)).expect("generator");
            assert_eq!(generator.level_dbm0(), level);
            let samples = generate(&mut generator, rate as usize);
            let steady = &samples[rate as usize / 10..];
            // A single sine: RMS = peak / sqrt(2).
            let rms = (steady.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / steady.len() as f64).sqrt();
            let measured = dbm0(rms * 2f64.sqrt());
            assert!((measured - level).abs() <= 0.5, "{level} dBm0 at {rate} Hz measured {measured:.2}");
            check_spectrum(steady, &[425.0], rate, level, "EU dial");
        }
    }
    assert!((dbm0(dbm0_to_peak(-13.0)) + 13.0).abs() < 1e-9);
    let mut generator = ToneGenerator::new(Tone::Dial, Region::Us, 8000).expect("generator");
    assert_eq!(generator.set_level(1.0), Err(ToneError::LevelOutOfRange { dbm0: 1.0 }));
    assert!(generator.set_level(f64::NAN).is_err());
    assert_eq!(generator.level_dbm0(), DEFAULT_LEVEL_DBM0);
}

/// The shortest edge ramp counted as click-free, in milliseconds (the generator uses
/// [`RAMP_MS`]).
const CLICK_FREE_RAMP_MS: u32 = 2;

/// The largest sample-to-sample step a click-free rendering of sines of `freqs` (relative gains)
/// at peak `amplitude` can take: the sines' own slope, the steepest ramp's slope and decay, and
/// rounding.
fn step_bound(partials: &[(f64, f64)], amplitude: f64, rate: u32, decay_ms: Option<f64>) -> f64 {
    let ramp = f64::from(CLICK_FREE_RAMP_MS * rate / 1000);
    let envelope_slope = PI / (2.0 * (ramp + 1.0)) + decay_ms.map_or(0.0, |ms| 1000.0 / (ms * f64::from(rate)));
    partials
        .iter()
        .map(|&(hz, gain)| gain * amplitude * (2.0 * PI * hz / f64::from(rate) + envelope_slope))
        .sum::<f64>()
        + 2.0
}

fn max_step(samples: &[i16]) -> f64 {
    // From silence before the first sample.
    std::iter::once(0)
        .chain(samples.iter().copied())
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| f64::from(w[1] - w[0]).abs())
        .fold(0.0, f64::max)
}

#[test]
fn cadence_edges_are_click_free() {
    for region in Region::ALL {
        for tone in Tone::ALL {
            let (freqs, _, _) = expected(tone, region);
            let partials: Vec<_> = freqs.iter().map(|&f| (f, 1.0)).collect();
            for rate in RATES {
                let mut generator = ToneGenerator::new(tone, region, rate).expect("generator");
                let mut samples = generate(&mut generator, rate as usize * 7);
                generator.stop();
                samples.extend(generate(&mut generator, rate as usize / 10));
                let bound = step_bound(&partials, dbm0_to_peak(DEFAULT_LEVEL_DBM0), rate, None);
                let step = max_step(&samples);
                assert!(step <= bound, "{tone:?} in {region:?} at {rate} Hz: step {step} > {bound:.1}");
                // A hard edge would jump by about the full peak.
                assert!(bound < dbm0_to_peak(DEFAULT_LEVEL_DBM0) * freqs.len() as f64 * 0.9);
            }
        }
    }
}

#[test]
fn chunk_sizes_do_not_change_the_output() {
    type Maker = Box<dyn Fn(u32) -> ToneGenerator>;
    let makers: Vec<(&str, Maker)> = vec![
        ("US ringback", Box::new(|r| ToneGenerator::new(Tone::Ringback, Region::Us, r).expect("gen"))),
        ("UK congestion", Box::new(|r| ToneGenerator::new(Tone::Congestion, Region::Uk, r).expect("gen"))),
        ("EU call waiting", Box::new(|r| ToneGenerator::new(Tone::CallWaiting, Region::Eu, r).expect("gen"))),
        ("US stutter", Box::new(|r| ToneGenerator::new(Tone::StutterDial, Region::Us, r).expect("gen"))),
        ("DTMF 5", Box::new(|r| ToneGenerator::dtmf(Event::Digit5, r).expect("gen"))),
        ("warble", Box::new(|r| ToneGenerator::ringtone(Ringtone::Warble, r).expect("gen"))),
        ("bell", Box::new(|r| ToneGenerator::ringtone(Ringtone::Bell, r).expect("gen"))),
        ("melody", Box::new(|r| ToneGenerator::ringtone(Ringtone::Melody, r).expect("gen"))),
    ];
    for (name, make) in &makers {
        for rate in RATES {
            let total = rate as usize * 3;
            let whole = generate(&mut make(rate), total);
            let mut chunked_gen = make(rate);
            let mut chunked = Vec::with_capacity(total);
            for size in [1usize, 7, 160, 441].iter().cycle() {
                if chunked.len() >= total {
                    break;
                }
                let n = (*size).min(total - chunked.len());
                chunked.extend(generate(&mut chunked_gen, n));
            }
            assert!(whole == chunked, "{name} at {rate} Hz differs when generated in chunks");
        }
    }
}

#[test]
fn dtmf_feedback_plays_the_q23_pair_and_fades_out_on_stop() {
    let rows = [697.0, 770.0, 852.0, 941.0];
    let cols = [1209.0, 1336.0, 1477.0, 1633.0];
    for rate in RATES {
        for event in Event::ALL {
            let mut generator = ToneGenerator::dtmf(event, rate).expect("generator");
            let samples = generate(&mut generator, rate as usize / 4);
            let steady = &samples[rate as usize / 20..];
            let (low, high) = event.frequencies();
            let (low, high) = (f64::from(low), f64::from(high));
            for hz in rows.iter().chain(cols.iter()) {
                let measured = dbm0(goertzel_amplitude(steady, *hz, rate));
                if *hz == low || *hz == high {
                    assert!((measured - DEFAULT_LEVEL_DBM0).abs() <= 0.5, "{event} {hz} Hz at {measured:.2}");
                } else {
                    assert!(measured < DEFAULT_LEVEL_DBM0 - 30.0, "{event}: stray {hz} Hz at {measured:.2}");
                }
            }
            generator.stop();
            let tail = generate(&mut generator, rate as usize / 50);
            let ramp = (RAMP_MS * rate / 1000) as usize;
            assert!(tail[..ramp].iter().all(|&s| s != 0), "fade-out sounds");
            assert!(tail[ramp..].iter().all(|&s| s == 0), "then silence");
            assert!(generator.is_finished());
            let bound = step_bound(&[(low, 1.0), (high, 1.0)], dbm0_to_peak(DEFAULT_LEVEL_DBM0), rate, None);
            let mut all = samples.clone();
            all.extend(tail);
            assert!(max_step(&all) <= bound, "{event} at {rate} Hz clicks");
        }
    }
}

#[test]
fn ringtones_sound_right_and_click_free() {
    let a = dbm0_to_peak(DEFAULT_LEVEL_DBM0);
    for rate in RATES {
        let ms = |ms: usize| ms * rate as usize / 1000;

        let mut warble = ToneGenerator::ringtone(Ringtone::Warble, rate).expect("warble");
        let samples = generate(&mut warble, ms(6000));
        assert_eq!(&runs(&samples)[..4], &[(true, ms(400)), (false, ms(200)), (true, ms(400)), (false, ms(2000))]);
        // Each 25 ms step is one of the two frequencies.
        for (step, hz, other) in [(0, 1000.0, 1250.0), (1, 1250.0, 1000.0), (2, 1000.0, 1250.0)] {
            let window = &samples[ms(25 * step + 5)..ms(25 * step + 25)];
            let level = dbm0(goertzel_amplitude(window, hz, rate));
            assert!((level - DEFAULT_LEVEL_DBM0).abs() <= 0.5, "warble step {step}: {hz} Hz at {level:.2}");
            assert!(dbm0(goertzel_amplitude(window, other, rate)) < DEFAULT_LEVEL_DBM0 - 20.0, "warble step {step}");
        }
        assert!(dbm0(goertzel_amplitude(&samples[..ms(400)], 425.0, rate)) < DEFAULT_LEVEL_DBM0 - 30.0);
        assert!(max_step(&samples) <= step_bound(&[(1250.0, 1.0)], a, rate, None), "warble clicks at {rate}");

        let mut bell = ToneGenerator::ringtone(Ringtone::Bell, rate).expect("bell");
        let samples = generate(&mut bell, ms(12_000));
        assert_eq!(&runs(&samples)[..4], &[(true, ms(2000)), (false, ms(4000)), (true, ms(2000)), (false, ms(4000))]);
        let strike = &samples[..ms(2000)];
        assert!(dbm0(goertzel_amplitude(strike, 900.0, rate)) > DEFAULT_LEVEL_DBM0 - 15.0, "bell fundamental");
        let partials = [(900.0, 1.0), (1800.0, 0.5), (2484.0, 0.3)];
        assert!(max_step(&samples) <= step_bound(&partials, a, rate, Some(40.0)), "bell clicks at {rate}");

        let mut melody = ToneGenerator::ringtone(Ringtone::Melody, rate).expect("melody");
        let samples = generate(&mut melody, ms(3600));
        let want: Vec<_> = (0..8).flat_map(|_| [(true, ms(150)), (false, ms(50))]).collect();
        let got = runs(&samples);
        assert_eq!(&got[..15], &want[..15]);
        assert_eq!(got[15], (false, ms(2050)));
        let first_note = &samples[ms(10)..ms(140)];
        assert!(dbm0(goertzel_amplitude(first_note, 523.25, rate)) > DEFAULT_LEVEL_DBM0 - 6.0, "C5");
        assert!(max_step(&samples) <= step_bound(&[(1046.5, 1.0)], a, rate, Some(250.0)), "melody clicks at {rate}");
    }
}

#[test]
fn confirmation_ends_and_reset_restarts() {
    let mut generator = ToneGenerator::new(Tone::Confirmation, Region::Us, 8000).expect("generator");
    let first = generate(&mut generator, 8000);
    assert!(generator.is_finished());
    assert!(generate(&mut generator, 100).iter().all(|&s| s == 0));
    generator.reset();
    assert!(!generator.is_finished());
    assert_eq!(generate(&mut generator, 8000), first);
}

#[test]
fn bad_inputs_are_refused() {
    for rate in [0, 4000, 7999, 192_001] {
        assert_eq!(
            ToneGenerator::new(Tone::Dial, Region::Us, rate).err(),
            Some(ToneError::UnsupportedSampleRate { rate })
        );
    }
    assert_eq!(ToneGenerator::ringtone(Ringtone::Bell, 44_100).map(|g| g.sample_rate()), Ok(44_100));
    let spec = |frequencies: &'static [u16], cadence_ms: &'static [u32], ending| ToneSpec {
        frequencies,
        cadence_ms,
        ending,
        source: "test",
    };
    let refused = |s: ToneSpec| ToneGenerator::from_spec(&s, 8000).err();
    assert_eq!(
        refused(spec(&[5000], &[], Ending::Repeat)),
        Some(ToneError::UnplayableFrequency { hz: 5000.0, rate: 8000 })
    );
    assert_eq!(refused(spec(&[1, 2, 3, 4], &[], Ending::Repeat)), Some(ToneError::TooManyFrequencies { count: 4 }));
    assert_eq!(refused(spec(&[425], &[0, 0], Ending::Repeat)), Some(ToneError::EmptyCycle));
    assert_eq!(
        refused(spec(&[425], &[100, 100], Ending::SilentAfter(u16::MAX))),
        Some(ToneError::CadenceTooLong { steps: 2 * 65_535 })
    );
    // A custom plan: 1400 Hz, 3 x (50 on, 50 off), then steady.
    let mut custom = ToneGenerator::from_spec(&spec(&[1400], &[50, 50], Ending::SteadyAfter(3)), 8000).expect("custom");
    let samples = generate(&mut custom, 3200);
    let want: Vec<_> = (0..3).flat_map(|_| [(true, 400), (false, 400)]).chain([(true, 800)]).collect();
    assert_eq!(runs(&samples), want);
}

proptest! {
    #[test]
    fn arbitrary_specs_never_panic(
        frequencies in proptest::collection::vec(any::<u16>(), 0..5),
        cadence_ms in proptest::collection::vec(0u32..3000, 0..8),
        ending in (0u8..3, any::<u16>()),
        rate in prop_oneof![Just(8000u32), Just(16_000), Just(48_000), any::<u32>()],
        level in -80.0f64..10.0,
    ) {
        let ending = match ending.0 {
            0 => Ending::Repeat,
            1 => Ending::SteadyAfter(ending.1 % 600),
            _ => Ending::SilentAfter(ending.1 % 600),
        };
        let spec = ToneSpec {
            frequencies: Box::leak(frequencies.into_boxed_slice()),
            cadence_ms: Box::leak(cadence_ms.into_boxed_slice()),
            ending,
            source: "proptest",
        };
        if let Ok(mut generator) = ToneGenerator::from_spec(&spec, rate) {
            let _ = generator.set_level(level);
            let mut out = [0i16; 97];
            for _ in 0..20 {
                generator.fill(&mut out);
            }
            generator.stop();
            for _ in 0..10 {
                generator.fill(&mut out);
            }
            prop_assert!(generator.is_finished(), "stop() fades out within 4 ms");
            prop_assert!(out.iter().all(|&s| s == 0));
        }
    }
}

#[test]
fn specs_name_their_sources() {
    for region in Region::ALL {
        for tone in Tone::ALL {
            let spec = tone.spec(region);
            assert!(!spec.source.is_empty());
            let (freqs, cadence, _) = expected(tone, region);
            assert_eq!(spec.frequencies.iter().map(|&f| f64::from(f)).collect::<Vec<_>>(), freqs);
            assert_eq!(spec.cadence_ms, cadence);
        }
    }
}
