//! Sans-IO mixing of 16-bit PCM for a phone with one set of sound devices and several calls:
//! sums with saturation, volume as a gain, and the mix-minus of a local conference.
//!
//! Sums are taken in 32 bits on a [`MixBus`] and saturated to 16 bits only on the way out, so
//! adding and then removing a source (the mix-minus: each conference party gets the sum of
//! everyone but itself, [`MixBus::write_without`]) is exact, and two loud sources clip once at
//! the end rather than wrapping around. Nothing here allocates after [`MixBus::new`]: a media
//! thread mixes every period with the buffers it made at start.
//!
//! Volumes are levels `0..=`[`MAX_VOLUME_LEVEL`] as a deskphone's volume keys step them:
//! level [`UNITY_VOLUME_LEVEL`] plays at unity gain, each step up or down is
//! [`VOLUME_STEP_DB`] dB, level 0 is silence ([`Gain::from_volume`]).

/// The highest volume level.
pub const MAX_VOLUME_LEVEL: u8 = 10;
/// The level that plays at unity gain (the deskphone's default volume).
pub const UNITY_VOLUME_LEVEL: u8 = 5;
/// The gain of one volume step, in dB: level 1 is −8 dB, level 10 is +10 dB.
pub const VOLUME_STEP_DB: f64 = 2.0;

/// Fraction bits of a [`Gain`]: 4096 is unity.
const GAIN_SHIFT: u32 = 12;
/// Unity in [`Gain`] units.
const GAIN_ONE: i32 = 1 << GAIN_SHIFT;
/// The highest gain accepted, +24 dB: keeps every product of a sample and a gain in `i32`.
const MAX_GAIN: i32 = 16 * GAIN_ONE;

/// A linear gain in fixed point (Q12), applied by an integer multiply per sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Gain(i32);

impl Gain {
    /// Unity: the samples as they are.
    pub const UNITY: Gain = Gain(GAIN_ONE);
    /// Silence.
    pub const SILENT: Gain = Gain(0);

    /// The gain of `db` decibels (clamped to silence below −96 dB and to +24 dB above).
    pub fn from_db(db: f64) -> Gain {
        if db.is_nan() || db < -96.0 {
            return Gain::SILENT;
        }
        let linear = 10f64.powf(db.min(24.0) / 20.0);
        Gain(((linear * f64::from(GAIN_ONE)).round() as i32).clamp(0, MAX_GAIN))
    }

    /// The gain of volume `level` (above [`MAX_VOLUME_LEVEL`] counts as the maximum): 0 is
    /// silence, [`UNITY_VOLUME_LEVEL`] is unity, each step [`VOLUME_STEP_DB`] dB.
    pub fn from_volume(level: u8) -> Gain {
        match level.min(MAX_VOLUME_LEVEL) {
            0 => Gain::SILENT,
            level => Gain::from_db((f64::from(level) - f64::from(UNITY_VOLUME_LEVEL)) * VOLUME_STEP_DB),
        }
    }

    /// Whether this gain leaves samples as they are.
    pub fn is_unity(self) -> bool {
        self == Gain::UNITY
    }

    /// The gain as a linear factor.
    pub fn linear(self) -> f64 {
        f64::from(self.0) / f64::from(GAIN_ONE)
    }

    /// `sample` times the gain, rounded, not yet saturated.
    pub fn apply(self, sample: i16) -> i32 {
        (i32::from(sample) * self.0 + (GAIN_ONE >> 1)) >> GAIN_SHIFT
    }

    /// Scales `pcm` in place, saturating.
    pub fn apply_in_place(self, pcm: &mut [i16]) {
        if self.is_unity() {
            return;
        }
        for sample in pcm {
            *sample = saturate(self.apply(*sample));
        }
    }
}

/// `value` clamped to the 16-bit range.
pub fn saturate(value: i32) -> i16 {
    value.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

/// One period of mixed audio as 32-bit sums; see the [module documentation](self).
///
/// Every method taking PCM uses the first `min(len, pcm.len())` samples: a shorter source adds
/// nothing to the rest, a shorter output receives the start of the mix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MixBus {
    acc: Vec<i32>,
}

impl MixBus {
    /// A silent bus of `len` samples.
    pub fn new(len: usize) -> MixBus {
        MixBus { acc: vec![0; len] }
    }

    /// Its length in samples.
    pub fn len(&self) -> usize {
        self.acc.len()
    }

    /// Whether it holds no sample at all.
    pub fn is_empty(&self) -> bool {
        self.acc.is_empty()
    }

    /// Back to silence.
    pub fn clear(&mut self) {
        self.acc.fill(0);
    }

    /// Adds `pcm`.
    pub fn add(&mut self, pcm: &[i16]) {
        for (sum, &sample) in self.acc.iter_mut().zip(pcm) {
            *sum += i32::from(sample);
        }
    }

    /// Adds `pcm` scaled by `gain`.
    pub fn add_scaled(&mut self, pcm: &[i16], gain: Gain) {
        if gain.is_unity() {
            return self.add(pcm);
        }
        if gain == Gain::SILENT {
            return;
        }
        for (sum, &sample) in self.acc.iter_mut().zip(pcm) {
            *sum += gain.apply(sample);
        }
    }

    /// Writes the mix to `out`, saturated.
    pub fn write(&self, out: &mut [i16]) {
        for (sample, &sum) in out.iter_mut().zip(&self.acc) {
            *sample = saturate(sum);
        }
    }

    /// Writes the mix without `own` to `out`, saturated: what a conference party whose input
    /// `own` was added to the bus hears (everyone but itself).
    pub fn write_without(&self, own: &[i16], out: &mut [i16]) {
        for ((sample, &sum), &own) in out.iter_mut().zip(&self.acc).zip(own) {
            *sample = saturate(sum - i32::from(own));
        }
    }
}

/// The mix-minus of a conference of `inputs.len()` parties: `outputs[k]` gets the sum of every
/// input but `inputs[k]`, saturated. `bus` is the scratch sum (its length bounds the samples
/// mixed). Extra outputs, beyond the inputs, are left as they are.
pub fn mix_minus<I: AsRef<[i16]>, O: AsMut<[i16]>>(bus: &mut MixBus, inputs: &[I], outputs: &mut [O]) {
    bus.clear();
    for input in inputs {
        bus.add(input.as_ref());
    }
    for (input, output) in inputs.iter().zip(outputs.iter_mut()) {
        bus.write_without(input.as_ref(), output.as_mut());
    }
}

/// A call as [`CallMix`] sees it: what it sent us this period, where what it hears goes, and
/// whether it takes part in the mix.
pub trait MixedCall {
    /// Whether the call is mixed: it hears us (and, in a conference, the others) and is heard.
    /// A call that is not (held, or left out of a conference) hears silence and is not heard.
    fn mixed(&self) -> bool;
    /// This period of the far end's audio.
    fn heard(&self) -> &[i16];
    /// [`MixedCall::heard`], and where this period of what the far end hears goes.
    fn buffers(&mut self) -> (&[i16], &mut [i16]);
}

/// One period of a phone's audio routing: the microphone and every call in, every call and the
/// speaker out.
///
/// * Each mixed call hears the microphone (silence when muted); in a conference also every
///   other mixed call (the mix-minus: never itself). A call not mixed hears silence.
/// * The speaker plays every mixed call at the path's gain (not the microphone: no sidetone),
///   plus whatever [`CallMix::add_to_speaker`] adds (a tone, a ringtone), saturated once.
#[derive(Debug, Clone)]
pub struct CallMix {
    talk: MixBus,
    listen: MixBus,
}

impl CallMix {
    /// A mix of `period` samples per period.
    pub fn new(period: usize) -> CallMix {
        CallMix { talk: MixBus::new(period), listen: MixBus::new(period) }
    }

    /// Routes one period: fills what each call hears ([`MixedCall::buffers`]) and starts the speaker's mix
    /// with the mixed calls at `speaker_gain`. `mic` is `None` when muted.
    pub fn route<C: MixedCall>(&mut self, mic: Option<&[i16]>, conference: bool, calls: &mut [C], speaker_gain: Gain) {
        self.talk.clear();
        if let Some(mic) = mic {
            self.talk.add(mic);
        }
        if conference {
            for call in calls.iter().filter(|c| c.mixed()) {
                self.talk.add(call.heard());
            }
        }
        self.listen.clear();
        for call in calls.iter_mut() {
            let mixed = call.mixed();
            let (heard, said) = call.buffers();
            match (mixed, conference) {
                (false, _) => said.fill(0),
                (true, false) => self.talk.write(said),
                (true, true) => self.talk.write_without(heard, said),
            }
            if mixed {
                self.listen.add_scaled(heard, speaker_gain);
            }
        }
    }

    /// Adds `pcm` at `gain` to what the speaker plays (after [`CallMix::route`]).
    pub fn add_to_speaker(&mut self, pcm: &[i16], gain: Gain) {
        self.listen.add_scaled(pcm, gain);
    }

    /// Writes what the speaker plays, saturated.
    pub fn write_speaker(&self, out: &mut [i16]) {
        self.listen.write(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_saturate_instead_of_wrapping() {
        let mut bus = MixBus::new(4);
        bus.add(&[30000, -30000, 100, 0]);
        bus.add(&[10000, -10000, -300, 0]);
        let mut out = [0i16; 4];
        bus.write(&mut out);
        assert_eq!(out, [i16::MAX, i16::MIN, -200, 0]);
    }

    #[test]
    fn removing_a_source_after_saturation_is_exact() {
        let mut bus = MixBus::new(1);
        bus.add(&[30000]);
        bus.add(&[30000]);
        let mut out = [0i16; 1];
        bus.write(&mut out);
        assert_eq!(out, [i16::MAX]);
        bus.write_without(&[30000], &mut out);
        assert_eq!(out, [30000]);
    }

    #[test]
    fn shorter_buffers_mix_their_length() {
        let mut bus = MixBus::new(3);
        bus.add(&[1]);
        let mut out = [9i16; 2];
        bus.write(&mut out);
        assert_eq!(out, [1, 0]);
    }

    #[test]
    fn volume_levels_step_two_decibels_around_unity() {
        assert_eq!(Gain::from_volume(UNITY_VOLUME_LEVEL), Gain::UNITY);
        assert_eq!(Gain::from_volume(0), Gain::SILENT);
        assert_eq!(Gain::from_volume(200), Gain::from_volume(MAX_VOLUME_LEVEL));
        let ratio = Gain::from_volume(7).linear() / Gain::from_volume(6).linear();
        assert!((20.0 * ratio.log10() - VOLUME_STEP_DB).abs() < 0.01, "{ratio}");
        assert!((Gain::from_volume(MAX_VOLUME_LEVEL).linear() - 10f64.powf(0.5)).abs() < 0.001);
        assert!((Gain::from_volume(1).linear() - 10f64.powf(-0.4)).abs() < 0.001);
        for level in 1..MAX_VOLUME_LEVEL {
            assert!(Gain::from_volume(level + 1).linear() > Gain::from_volume(level).linear());
        }
    }

    #[test]
    fn gains_scale_round_and_saturate() {
        let half = Gain::from_db(-6.0206);
        assert_eq!(half.apply(1000), 500);
        assert_eq!(half.apply(-1000), -500);
        let mut pcm = [20000i16, -20000, 3];
        Gain::from_db(6.0206).apply_in_place(&mut pcm);
        assert_eq!(pcm, [i16::MAX, i16::MIN, 6]);
        assert_eq!(Gain::from_db(f64::NAN), Gain::SILENT);
        assert_eq!(Gain::from_db(-120.0), Gain::SILENT);
        assert!((Gain::from_db(100.0).linear() - 10f64.powf(1.2)).abs() < 0.001);
        let mut bus = MixBus::new(2);
        bus.add_scaled(&[1000, 1000], half);
        bus.add_scaled(&[1000, 1000], Gain::SILENT);
        bus.add_scaled(&[10, 20], Gain::UNITY);
        let mut out = [0i16; 2];
        bus.write(&mut out);
        assert_eq!(out, [510, 520]);
    }

    #[test]
    fn each_conference_party_hears_everyone_but_itself() {
        for parties in 2..=5usize {
            let inputs: Vec<Vec<i16>> =
                (0..parties).map(|p| (0..8).map(|i| (100 * (p as i16 + 1)) + i as i16).collect()).collect();
            let mut outputs = vec![vec![0i16; 8]; parties];
            let mut bus = MixBus::new(8);
            mix_minus(&mut bus, &inputs, &mut outputs);
            for (k, output) in outputs.iter().enumerate() {
                for i in 0..8 {
                    let expected: i32 =
                        inputs.iter().enumerate().filter(|(j, _)| *j != k).map(|(_, x)| i32::from(x[i])).sum();
                    assert_eq!(i32::from(output[i]), expected, "party {k} of {parties}, sample {i}");
                }
            }
        }
    }

    #[test]
    fn a_tone_over_a_call_is_the_sum_of_both() {
        let call: Vec<i16> = (0..160).map(|i| ((i as f64 * 0.3).sin() * 8000.0) as i16).collect();
        let tone: Vec<i16> = (0..160).map(|i| ((i as f64 * 0.7).sin() * 4000.0) as i16).collect();
        let mut bus = MixBus::new(160);
        bus.add(&call);
        bus.add(&tone);
        let mut out = vec![0i16; 160];
        bus.write(&mut out);
        for i in 0..160 {
            assert_eq!(out[i], call[i] + tone[i]);
        }
    }

    /// A call for [`CallMix`]: a constant level from the far end.
    struct TestCall {
        mixed: bool,
        heard: Vec<i16>,
        said: Vec<i16>,
    }

    impl TestCall {
        fn new(level: i16, mixed: bool) -> TestCall {
            TestCall { mixed, heard: vec![level; 4], said: vec![-1; 4] }
        }
    }

    impl MixedCall for TestCall {
        fn mixed(&self) -> bool {
            self.mixed
        }
        fn heard(&self) -> &[i16] {
            &self.heard
        }
        fn buffers(&mut self) -> (&[i16], &mut [i16]) {
            (&self.heard, &mut self.said)
        }
    }

    fn speaker(mix: &CallMix) -> i16 {
        let mut out = [0i16; 4];
        mix.write_speaker(&mut out);
        assert!(out.iter().all(|s| *s == out[0]));
        out[0]
    }

    #[test]
    fn calls_hear_the_microphone_and_the_speaker_plays_the_calls() {
        let mut mix = CallMix::new(4);
        let mut calls = [TestCall::new(100, true), TestCall::new(20, true)];
        mix.route(Some(&[7; 4]), false, &mut calls, Gain::UNITY);
        assert_eq!(calls[0].said, [7; 4]);
        assert_eq!(calls[1].said, [7; 4], "without a conference the calls do not hear each other");
        assert_eq!(speaker(&mix), 120);
    }

    #[test]
    fn held_calls_hear_silence_and_are_not_heard() {
        let mut mix = CallMix::new(4);
        let mut calls = [TestCall::new(100, true), TestCall::new(20, false)];
        mix.route(Some(&[7; 4]), true, &mut calls, Gain::UNITY);
        assert_eq!(calls[0].said, [7; 4], "the held call is not in the mix");
        assert_eq!(calls[1].said, [0; 4]);
        assert_eq!(speaker(&mix), 100);
    }

    #[test]
    fn a_conference_mixes_everyone_but_each_call_itself() {
        let mut mix = CallMix::new(4);
        let mut calls = [TestCall::new(100, true), TestCall::new(20, true), TestCall::new(3, true)];
        mix.route(Some(&[7; 4]), true, &mut calls, Gain::UNITY);
        assert_eq!(calls[0].said, [7 + 20 + 3; 4]);
        assert_eq!(calls[1].said, [7 + 100 + 3; 4]);
        assert_eq!(calls[2].said, [7 + 100 + 20; 4]);
        assert_eq!(speaker(&mix), 123, "we hear every call, not ourselves");
    }

    #[test]
    fn muted_calls_get_silence_but_a_conference_still_hears_the_others() {
        let mut mix = CallMix::new(4);
        let mut calls = [TestCall::new(100, true)];
        mix.route(None, false, &mut calls, Gain::UNITY);
        assert_eq!(calls[0].said, [0; 4], "muted: silence, still one frame per period");
        let mut calls = [TestCall::new(100, true), TestCall::new(20, true)];
        mix.route(None, true, &mut calls, Gain::UNITY);
        assert_eq!(calls[0].said, [20; 4]);
        assert_eq!(calls[1].said, [100; 4]);
    }

    #[test]
    fn the_speaker_plays_calls_at_its_volume_with_a_tone_over_them() {
        let mut mix = CallMix::new(4);
        let mut calls = [TestCall::new(1000, true)];
        let gain = Gain::from_db(-6.0206);
        mix.route(Some(&[7; 4]), false, &mut calls, gain);
        mix.add_to_speaker(&[300; 4], gain);
        assert_eq!(speaker(&mix), 500 + 150);
        mix.add_to_speaker(&[i16::MAX; 4], Gain::UNITY);
        assert_eq!(speaker(&mix), i16::MAX, "saturated once, at the end");
        assert_eq!(calls[0].said, [7; 4], "the speaker's volume is not what the far end hears");
    }
}
