//! The 24-tap quadrature mirror filters of ITU-T G.722: transmit (§3) and receive (§4).
//!
//! The Recommendation defines the filters by their equations and the coefficients h0..h23
//! (scaled by 2^13); the QMF is outside the Appendix II test sequences, so its
//! word lengths are this implementation's: 16-bit linear PCM on the outside, 15-bit sub-band
//! signals on the inside (the ADPCM coders' input and output range).

/// QMF coefficients h0..h23, scaled by 2^13, as tabulated in G.722. The filter is symmetric
/// (h(i) = h(23 - i)) and its coefficients sum to 2^13.
const COEFFICIENTS: [i32; 24] = [
    3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876, 3876, 951, -805, -210, 362, 32, -156, 12, 53, -11, -11,
    3,
];

/// Number of 8 kHz sub-band samples the receive QMF keeps per branch.
const TAPS_PER_BRANCH: usize = COEFFICIENTS.len() / 2;

/// Transmit QMF (G.722 §3): splits 16 kHz 16-bit PCM into 8 kHz lower and higher sub-band
/// signals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QmfAnalysis {
    /// Input history, most recent first: `history[k]` is x_in(j - k).
    history: [i32; COEFFICIENTS.len()],
}

impl QmfAnalysis {
    /// A filter with an all-zero history.
    pub(crate) fn new() -> Self {
        Self { history: [0; COEFFICIENTS.len()] }
    }

    /// Takes the next two input samples (earlier first) and returns the sub-band samples
    /// (xL, xH), 15-bit. With xA = Σ h(2i)·x_in(j−2i) and xB = Σ h(2i+1)·x_in(j−2i−1),
    /// xL = xA + xB and xH = xA − xB; the 2^-14 scaling (2^-13 for the coefficients, 2^-1 from
    /// 16-bit to 15-bit) truncates, and the result is clamped to 15 bits.
    pub(crate) fn analyse(&mut self, earlier: i16, later: i16) -> (i16, i16) {
        self.history.copy_within(..COEFFICIENTS.len() - 2, 2);
        self.history[1] = i32::from(earlier);
        self.history[0] = i32::from(later);
        let mut even = 0; // xA
        let mut odd = 0; // xB
        for (coefficients, samples) in COEFFICIENTS.chunks_exact(2).zip(self.history.chunks_exact(2)) {
            even += coefficients[0] * samples[0];
            odd += coefficients[1] * samples[1];
        }
        let lower = ((even + odd) >> 14).clamp(-16384, 16383);
        let higher = ((even - odd) >> 14).clamp(-16384, 16383);
        (lower as i16, higher as i16)
    }
}

/// Receive QMF (G.722 §4): interpolates the 8 kHz reconstructed sub-band signals back into
/// 16 kHz 16-bit PCM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QmfSynthesis {
    /// xd(i) = rL(j − i) − rH(j − i), most recent first.
    differences: [i32; TAPS_PER_BRANCH],
    /// xs(i) = rL(j − i) + rH(j − i), most recent first.
    sums: [i32; TAPS_PER_BRANCH],
}

impl QmfSynthesis {
    /// A filter with an all-zero history.
    pub(crate) fn new() -> Self {
        Self { differences: [0; TAPS_PER_BRANCH], sums: [0; TAPS_PER_BRANCH] }
    }

    /// Takes the next reconstructed sub-band samples (rL, rH) and returns two output samples,
    /// earlier first: xout(j) = 2·Σ h(2i)·xd(i) and xout(j+1) = 2·Σ h(2i+1)·xs(i). The scaling
    /// (2^-13 for the coefficients, 2 from the equations, 2 from 15-bit to 16-bit) is a
    /// truncating shift by 11, and the results saturate to 16 bits.
    pub(crate) fn synthesise(&mut self, lower: i16, higher: i16) -> (i16, i16) {
        let (lower, higher) = (i32::from(lower), i32::from(higher));
        self.differences.copy_within(..TAPS_PER_BRANCH - 1, 1);
        self.sums.copy_within(..TAPS_PER_BRANCH - 1, 1);
        self.differences[0] = lower - higher;
        self.sums[0] = lower + higher;
        let mut earlier = 0;
        let mut later = 0;
        for ((coefficients, &difference), &sum) in COEFFICIENTS.chunks_exact(2).zip(&self.differences).zip(&self.sums) {
            earlier += coefficients[0] * difference;
            later += coefficients[1] * sum;
        }
        let to_pcm = |value: i32| (value >> 11).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
        (to_pcm(earlier), to_pcm(later))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficients_are_symmetric_with_unit_dc_gain() {
        for i in 0..COEFFICIENTS.len() {
            assert_eq!(COEFFICIENTS[i], COEFFICIENTS[COEFFICIENTS.len() - 1 - i]);
        }
        assert_eq!(COEFFICIENTS.iter().sum::<i32>(), 1 << 13);
    }

    #[test]
    fn dc_passes_through_the_lower_band_at_half_scale() {
        let mut analysis = QmfAnalysis::new();
        let mut last = (0, 0);
        for _ in 0..20 {
            last = analysis.analyse(1000, 1000);
        }
        assert_eq!(last.0, 500);
        assert!(last.1.abs() <= 1, "higher band of DC: {}", last.1);
    }

    #[test]
    fn extremes_saturate_instead_of_overflowing() {
        let mut analysis = QmfAnalysis::new();
        let mut synthesis = QmfSynthesis::new();
        for i in 0..64 {
            let x = if (i / 3) % 2 == 0 { i16::MIN } else { i16::MAX };
            let (low, high) = analysis.analyse(x, !x);
            assert!((-16384..=16383).contains(&low) && (-16384..=16383).contains(&high));
            synthesis.synthesise(i16::MAX, i16::MIN);
            synthesis.synthesise(i16::MIN, i16::MIN);
        }
    }
}
