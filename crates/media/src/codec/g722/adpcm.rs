//! The two sub-band ADPCM coders of ITU-T G.722 (11/1988: encoder §3, decoder §4, and the
//! computational block descriptions), in the Recommendation's integer arithmetic, with the QMF
//! bypassed. Bit-exact against the G.722 Appendix II digital test sequences.
//!
//! Block names in comments (SUBTRA, QUANTL, INVQAL, LOGSCL, SCALEL, RECONS, PARREC, UPPOL1,
//! UPPOL2, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC, LIMIT, …) are those of the G.722 block
//! descriptions. Signals are 16-bit two's complement registers; sums the Recommendation limits
//! are saturated to 16 bits, multiplications are truncated with an arithmetic right shift.

/// The decoder's lower sub-band mode (G.722 §1, the three basic modes): how many bits of the
/// 6-bit lower sub-band code word carry audio. The other bits may carry auxiliary data and are
/// ignored. The encoder always produces 6-bit words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum G722Mode {
    /// Mode 1: 64 kbit/s of audio, 6-bit lower sub-band inverse quantizer (block INVQBL).
    #[default]
    Kbit64,
    /// Mode 2: 56 kbit/s of audio, 5-bit lower sub-band inverse quantizer; bit 0 of the code
    /// word is auxiliary data.
    Kbit56,
    /// Mode 3: 48 kbit/s of audio, 4-bit lower sub-band inverse quantizer; bits 1..0 of the
    /// code word are auxiliary data.
    Kbit48,
}

/// Quantizer decision levels of the 6-bit lower sub-band quantizer, in units of 2^-12 of the
/// scale factor (block QUANTL, decision levels Q6). Index `mil - 1`..`mil` bounds interval `mil`.
const QUANTL_LEVELS: [i32; 30] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219, 1339,
    1458, 1612, 1765, 1980, 2195, 2557, 2919,
];

/// 6-bit code for a negative difference in interval `mil` (block QUANTL, ILN).
const QUANTL_NEGATIVE: [u8; 31] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
];

/// 6-bit code for a non-negative difference in interval `mil` (block QUANTL, ILP).
const QUANTL_POSITIVE: [u8; 31] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34,
    33, 32,
];

/// 6-bit inverse quantizer output levels, indexed by the 6-bit code (block INVQBL in
/// mode 1, levels QQ6 in units of 2^-15 of the scale factor).
const INVQ6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360, -8576,
    -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688, -1360, -1040,
    -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
    4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];

/// 5-bit inverse quantizer output levels, indexed by the code's 5 high bits (block INVQBL
/// in mode 2, levels QQ5).
const INVQ5: [i32; 32] = [
    -280, -280, -23352, -17560, -14120, -11664, -9752, -8184, -6864, -5712, -4696, -3784, -2960, -2208, -1520, -880,
    23352, 17560, 14120, 11664, 9752, 8184, 6864, 5712, 4696, 3784, 2960, 2208, 1520, 880, 280, -280,
];

/// 4-bit inverse quantizer output levels, indexed by the code's 4 high bits (block INVQAL,
/// and block INVQBL in mode 3; levels QQ4).
const INVQ4: [i32; 16] =
    [0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0];

/// Log-scale factor multiplier per 4-bit code (block LOGSCL: the multipliers WL indexed
/// through RIL = RL42(IL >> 2)).
const LOGSCL_WEIGHT: [i32; 16] = [-60, 3042, 1198, 538, 334, 172, 58, -30, 3042, 1198, 538, 334, 172, 58, -30, -60];

/// Decision level of the 2-bit higher sub-band quantizer, in units of 2^-12 of the scale
/// factor (block QUANTH, Q2).
const QUANTH_LEVEL: i32 = 564;

/// 2-bit inverse quantizer output levels, indexed by the higher sub-band code (block INVQAH,
/// levels QQ2).
const INVQ2: [i32; 4] = [-7408, -1616, 7408, 1616];

/// Log-scale factor multiplier per higher sub-band code (block LOGSCH: the multipliers WH
/// indexed through RIH = RH2(IH)).
const LOGSCH_WEIGHT: [i32; 4] = [798, -214, 798, -214];

/// Antilogarithm table of blocks SCALEL/SCALEH: about `2048 * 2^(i/32)`, as tabulated in
/// the Recommendation (ILB).
const SCALE_ANTILOG: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960, 3025,
    3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];

/// The constants that differ between the two sub-bands' scale factor adaptation.
#[derive(Debug, Clone, Copy)]
struct ScaleLimits {
    /// Upper limit of the log-scale factor NBL / NBH (blocks LOGSCL / LOGSCH).
    max_log_scale: i32,
    /// The shift offset of SCALEL / SCALEH (8 and 10), which sets the minimum scale factor.
    shift_base: i32,
}

/// Lower sub-band: NBL in 0..=18432, DETL = ILB >> (8 - NBL/2^11), minimum 32.
const LOWER: ScaleLimits = ScaleLimits { max_log_scale: 18432, shift_base: 8 };
/// Higher sub-band: NBH in 0..=22528, DETH = ILB >> (10 - NBH/2^11), minimum 8.
const HIGHER: ScaleLimits = ScaleLimits { max_log_scale: 22528, shift_base: 10 };

/// Saturates to a 16-bit two's complement register.
#[inline]
fn sat16(value: i32) -> i32 {
    value.clamp(-32768, 32767)
}

/// Clamps to the 15-bit range of the sub-band signals (G.722 blocks LIMIT).
#[inline]
fn limit15(value: i32) -> i32 {
    value.clamp(-16384, 16383)
}

/// `WD = |E|` in the ones'-complement form of blocks QUANTL / QUANTH: `-E - 1` for negative E.
#[inline]
fn quantizer_magnitude(difference: i32) -> i32 {
    if difference < 0 {
        -difference - 1
    } else {
        difference
    }
}

/// Adaptive scale factor and pole-zero predictor of one sub-band (G.722 blocks 3 and 4).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Band {
    /// Log-scale factor NBL / NBH.
    log_scale: i32,
    /// Scale factor DETL / DETH.
    scale: i32,
    /// Signal estimate SL / SH for the current sample (block PREDIC).
    estimate: i32,
    /// Zero-section estimate SZL / SZH for the current sample (block FILTEZ).
    zero_estimate: i32,
    /// Pole coefficients AL1, AL2 / AH1, AH2.
    poles: [i32; 2],
    /// Zero coefficients BL1..BL6 / BH1..BH6.
    zeros: [i32; 6],
    /// Past quantized differences DLT1..DLT6 / DH1..DH6, most recent first.
    past_differences: [i32; 6],
    /// Past reconstructed signals RLT1, RLT2 / RH1, RH2.
    past_reconstructed: [i32; 2],
    /// Past partially reconstructed signals PLT1, PLT2 / PH1, PH2.
    past_partial: [i32; 2],
}

impl Band {
    /// The reset state of the block descriptions: all variables zero except the scale factor at
    /// its minimum.
    fn new(limits: ScaleLimits) -> Self {
        Self {
            log_scale: 0,
            scale: SCALE_ANTILOG[0] >> limits.shift_base << 2,
            estimate: 0,
            zero_estimate: 0,
            poles: [0; 2],
            zeros: [0; 6],
            past_differences: [0; 6],
            past_reconstructed: [0; 2],
            past_partial: [0; 2],
        }
    }

    /// Inverse quantizer: `(level * DET) >> 15` (blocks INVQAL, INVQBL, INVQAH).
    #[inline]
    fn dequantize(&self, level: i32) -> i32 {
        (level * self.scale) >> 15
    }

    /// Blocks LOGSCL / LOGSCH then SCALEL / SCALEH: leaks the log-scale factor, adds the code's
    /// multiplier, limits it, and converts it to the linear scale factor.
    fn adapt_scale(&mut self, weight: i32, limits: ScaleLimits) {
        let leaked = (self.log_scale * 32512) >> 15;
        self.log_scale = (leaked + weight).clamp(0, limits.max_log_scale);
        let fraction = SCALE_ANTILOG[((self.log_scale >> 6) & 31) as usize];
        let shift = limits.shift_base - (self.log_scale >> 11);
        let scale = if shift >= 0 { fraction >> shift } else { fraction << -shift };
        self.scale = scale << 2;
    }

    /// Block 4 with the quantized difference `difference` (DLT / DH): RECONS, PARREC, the
    /// coefficient updates UPPOL2, UPPOL1 and UPZERO, DELAYA, then FILTEP, FILTEZ and PREDIC
    /// for the next sample's estimate.
    fn adapt_predictor(&mut self, difference: i32) {
        let reconstructed = sat16(self.estimate + difference); // RECONS
        let partial = sat16(self.zero_estimate + difference); // PARREC
        let pole2 = self.next_pole2(partial);
        let pole1 = self.next_pole1(partial, pole2);
        let zeros = self.next_zeros(difference);

        // DELAYA
        self.poles = [pole1, pole2];
        self.zeros = zeros;
        self.past_differences.rotate_right(1);
        self.past_differences[0] = difference;
        self.past_reconstructed = [reconstructed, self.past_reconstructed[0]];
        self.past_partial = [partial, self.past_partial[0]];

        // FILTEP
        let pole_estimate = self
            .poles
            .iter()
            .zip(self.past_reconstructed)
            .map(|(&coefficient, past)| (coefficient * sat16(past + past)) >> 15)
            .sum::<i32>();
        // FILTEZ
        let zero_estimate = self
            .zeros
            .iter()
            .zip(self.past_differences)
            .map(|(&coefficient, past)| (coefficient * sat16(past + past)) >> 15)
            .sum::<i32>();
        self.zero_estimate = sat16(zero_estimate);
        // PREDIC
        self.estimate = sat16(sat16(pole_estimate) + self.zero_estimate);
    }

    /// Block UPPOL2: the second pole coefficient APL2, limited to ±12288.
    fn next_pole2(&self, partial: i32) -> i32 {
        let negative = partial < 0;
        let pole1_times_4 = sat16(self.poles[0] * 4);
        let gradient1 =
            if negative == (self.past_partial[0] < 0) { (-pole1_times_4).min(32767) } else { pole1_times_4 };
        let gradient2 = if negative == (self.past_partial[1] < 0) { 128 } else { -128 };
        let leaked = (self.poles[1] * 32512) >> 15;
        ((gradient1 >> 7) + gradient2 + leaked).clamp(-12288, 12288)
    }

    /// Block UPPOL1: the first pole coefficient APL1, limited to ±(15360 - APL2).
    fn next_pole1(&self, partial: i32, pole2: i32) -> i32 {
        let gradient = if (partial < 0) == (self.past_partial[0] < 0) { 192 } else { -192 };
        let leaked = (self.poles[0] * 32640) >> 15;
        let bound = sat16(15360 - pole2);
        sat16(gradient + leaked).clamp(-bound, bound)
    }

    /// Block UPZERO: the six zero coefficients BPL1..BPL6, by sign-sign gradient with leakage.
    fn next_zeros(&self, difference: i32) -> [i32; 6] {
        let step = if difference == 0 { 0 } else { 128 };
        let negative = difference < 0;
        let mut next = [0; 6];
        for ((next, &coefficient), &past) in next.iter_mut().zip(&self.zeros).zip(&self.past_differences) {
            let gradient = if (past < 0) == negative { step } else { -step };
            *next = sat16(gradient + ((coefficient * 32640) >> 15));
        }
        next
    }
}

/// Block QUANTL: the 6-bit lower sub-band code for difference `difference` (EL) at scale
/// factor `scale` (DETL), by comparing |EL| with the decision levels Q6.
fn quantize_lower(difference: i32, scale: i32) -> u8 {
    let magnitude = quantizer_magnitude(difference);
    let interval = QUANTL_LEVELS[1..]
        .iter()
        .position(|&level| magnitude < (level * scale) >> 12)
        .map_or(QUANTL_LEVELS.len(), |index| index + 1);
    if difference < 0 {
        QUANTL_NEGATIVE[interval]
    } else {
        QUANTL_POSITIVE[interval]
    }
}

/// Block QUANTH: the 2-bit higher sub-band code for difference `difference` (EH) at scale
/// factor `scale` (DETH).
fn quantize_higher(difference: i32, scale: i32) -> u8 {
    let outer = quantizer_magnitude(difference) >= (QUANTH_LEVEL * scale) >> 12;
    match (difference < 0, outer) {
        (true, true) => 0,
        (true, false) => 1,
        (false, true) => 2,
        (false, false) => 3,
    }
}

/// The G.722 sub-band ADPCM encoder with the QMF bypassed (G.722 §3): one 15-bit lower
/// and one 15-bit higher sub-band sample in, one 8-bit code word out. This is the entry point
/// of the G.722 Appendix II encoder test sequences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubBandEncoder {
    lower: Band,
    higher: Band,
}

impl Default for SubBandEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SubBandEncoder {
    /// Creates an encoder in the reset state of the G.722 block descriptions.
    pub fn new() -> Self {
        Self { lower: Band::new(LOWER), higher: Band::new(HIGHER) }
    }

    /// Resets both sub-band coders to their initial state, as the reset flag of the
    /// Appendix II test sequences does.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Encodes one pair of sub-band samples (XL, XH) into the code word `IH << 6 | IL`
    /// (G.722 §3). The samples are 15-bit (−16384..=16383, as the QMF
    /// produces them); values outside that range are clamped to it first.
    pub fn encode(&mut self, lower: i16, higher: i16) -> u8 {
        let lower_code = self.encode_lower(limit15(i32::from(lower)));
        let higher_code = self.encode_higher(limit15(i32::from(higher)));
        (higher_code << 6) | lower_code
    }

    /// Lower sub-band: SUBTRA, QUANTL, INVQAL, LOGSCL, SCALEL and block 4L.
    fn encode_lower(&mut self, sample: i32) -> u8 {
        let band = &mut self.lower;
        let difference = sat16(sample - band.estimate);
        let code = quantize_lower(difference, band.scale);
        let code4 = usize::from(code >> 2);
        let quantized = band.dequantize(INVQ4[code4]);
        band.adapt_scale(LOGSCL_WEIGHT[code4], LOWER);
        band.adapt_predictor(quantized);
        code
    }

    /// Higher sub-band: SUBTRA, QUANTH, INVQAH, LOGSCH, SCALEH and block 4H.
    fn encode_higher(&mut self, sample: i32) -> u8 {
        let band = &mut self.higher;
        let difference = sat16(sample - band.estimate);
        let code = quantize_higher(difference, band.scale);
        let quantized = band.dequantize(INVQ2[usize::from(code)]);
        band.adapt_scale(LOGSCH_WEIGHT[usize::from(code)], HIGHER);
        band.adapt_predictor(quantized);
        code
    }
}

/// The G.722 sub-band ADPCM decoder with the QMF bypassed (G.722 §4): one 8-bit code
/// word in, one 15-bit lower and one 15-bit higher sub-band sample out. This is the entry point
/// of the G.722 Appendix II decoder test sequences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubBandDecoder {
    lower: Band,
    higher: Band,
    mode: G722Mode,
}

impl Default for SubBandDecoder {
    fn default() -> Self {
        Self::new(G722Mode::default())
    }
}

impl SubBandDecoder {
    /// Creates a decoder in the reset state for lower sub-band mode `mode`.
    pub fn new(mode: G722Mode) -> Self {
        Self { lower: Band::new(LOWER), higher: Band::new(HIGHER), mode }
    }

    /// Resets both sub-band decoders to their initial state; the mode is kept.
    pub fn reset(&mut self) {
        *self = Self::new(self.mode);
    }

    /// The lower sub-band mode.
    pub fn mode(&self) -> G722Mode {
        self.mode
    }

    /// Changes the lower sub-band mode from the next code word on; the mode only selects the
    /// output inverse quantizer, so the adaptation state carries over (G.722 §4).
    pub fn set_mode(&mut self, mode: G722Mode) {
        self.mode = mode;
    }

    /// Decodes one code word `IH << 6 | IL` into the reconstructed sub-band samples (RL, RH),
    /// each 15-bit (G.722 §4).
    pub fn decode(&mut self, code: u8) -> (i16, i16) {
        let lower = self.decode_lower(code & 0x3F);
        let higher = self.decode_higher(code >> 6);
        (lower as i16, higher as i16)
    }

    /// Lower sub-band: INVQBL (per mode), RECONS, LIMIT, then INVQAL, LOGSCL, SCALEL and
    /// block 4L exactly as in the encoder.
    fn decode_lower(&mut self, code: u8) -> i32 {
        let band = &mut self.lower;
        let level = match self.mode {
            G722Mode::Kbit64 => INVQ6[usize::from(code)],
            G722Mode::Kbit56 => INVQ5[usize::from(code >> 1)],
            G722Mode::Kbit48 => INVQ4[usize::from(code >> 2)],
        };
        let output = limit15(band.estimate + band.dequantize(level));
        let code4 = usize::from(code >> 2);
        let quantized = band.dequantize(INVQ4[code4]);
        band.adapt_scale(LOGSCL_WEIGHT[code4], LOWER);
        band.adapt_predictor(quantized);
        output
    }

    /// Higher sub-band: INVQAH, RECONS, LIMIT, LOGSCH, SCALEH and block 4H.
    fn decode_higher(&mut self, code: u8) -> i32 {
        let band = &mut self.higher;
        let quantized = band.dequantize(INVQ2[usize::from(code)]);
        let output = limit15(band.estimate + quantized);
        band.adapt_scale(LOGSCH_WEIGHT[usize::from(code)], HIGHER);
        band.adapt_predictor(quantized);
        output
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_scale_factors_are_the_minimums() {
        assert_eq!(Band::new(LOWER).scale, 32);
        assert_eq!(Band::new(HIGHER).scale, 8);
    }

    #[test]
    fn code_tables_are_consistent() {
        // Every interval's code dequantizes (4-bit) to the right sign, and the 6-bit levels of
        // neighbouring intervals sit between the decision levels (8 * Q6 in 2^-15 units).
        for interval in 1..=30 {
            let negative = INVQ6[usize::from(QUANTL_NEGATIVE[interval])];
            let positive = INVQ6[usize::from(QUANTL_POSITIVE[interval])];
            assert_eq!(negative, -positive, "interval {interval}");
            assert!(positive >= 8 * QUANTL_LEVELS[interval - 1]);
            if interval < 30 {
                assert!(positive < 8 * QUANTL_LEVELS[interval]);
            }
        }
    }

    #[test]
    fn full_scale_inputs_hit_the_outermost_intervals() {
        let mut encoder = SubBandEncoder::new();
        assert_eq!(encoder.encode(-16384, -16384), 0x04);
        assert_eq!(encoder.encode(16383, 16383), 0xA0);
    }
}
