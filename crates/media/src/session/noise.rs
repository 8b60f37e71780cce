//! Comfort noise (RFC 3389) and the session's small deterministic random number generator.

/// SplitMix64: a tiny, fast generator seeded once from the caller's `RngCore`, for RTCP interval
/// randomization (RFC 3550 §6.3.1), CNAMEs and comfort noise. Not for anything secret.
#[derive(Debug, Clone)]
pub(super) struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The comfort-noise state of the receive path (RFC 3389 §4): set by a CN packet, it fills the
/// silence the jitter buffer plays during the sender's pause with white noise at the signalled
/// level, until audio plays again.
#[derive(Debug, Clone)]
pub(super) struct ComfortNoise {
    /// The amplitude of uniform noise with the signalled RMS level, while a pause lasts.
    amplitude: Option<f64>,
    /// Audio arrived after the CN packet: stop at the first frame that is not silent.
    audio_arrived: bool,
    rng: SplitMix,
}

impl ComfortNoise {
    pub fn new(seed: u64) -> Self {
        Self { amplitude: None, audio_arrived: false, rng: SplitMix::new(seed) }
    }

    /// A CN payload arrived (RFC 3389 §3: its first octet is the level in −dBov, 0 to 127; the
    /// spectral coefficients that may follow are not used: the noise is white).
    pub fn on_cn(&mut self, payload: &[u8]) {
        let level = payload.first().map_or(127, |&b| b & 0x7F);
        // 0 dBov is the RMS of a full-scale square wave: 32767 (RFC 3389 §3).
        let rms = 32767.0 * 10f64.powf(-f64::from(level) / 20.0);
        // Uniform noise on [-a, a] has RMS a/√3.
        self.amplitude = Some(rms * 3f64.sqrt());
        self.audio_arrived = false;
    }

    /// An audio packet arrived.
    pub fn on_audio(&mut self) {
        if self.amplitude.is_some() {
            self.audio_arrived = true;
        }
    }

    /// The signalled level's RMS amplitude, while comfort noise is on.
    pub fn rms(&self) -> Option<f64> {
        self.amplitude.map(|a| a / 3f64.sqrt())
    }

    /// Fills a silent frame the jitter buffer played with noise; ends once audio plays again.
    pub fn fill(&mut self, out: &mut [i16]) {
        let Some(amplitude) = self.amplitude else {
            return;
        };
        if out.iter().any(|&s| s != 0) {
            if self.audio_arrived {
                self.amplitude = None;
            }
            return;
        }
        for sample in out.iter_mut() {
            let value = (self.rng.unit() * 2.0 - 1.0) * amplitude;
            *sample = value.round().clamp(-32768.0, 32767.0) as i16;
        }
    }
}
