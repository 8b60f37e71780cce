//! A streaming polyphase resampler for the small rational ratios between telephony and device
//! rates (8, 16, 24, 32 and 48 kHz).
//!
//! The rate changes by L/M (the ratio reduced by its gcd). Conceptually the input is upsampled by
//! L (zeros inserted), low-pass filtered at the lower of the two Nyquist frequencies, and
//! decimated by M; the polyphase form computes only the outputs kept, each as one dot product of
//! `taps` input samples with one of the L phases of the filter.
//!
//! The filter is a Kaiser-windowed sinc (β = 7, about 70 dB stopband) of 64 taps per phase at
//! the lower rate's side: the pass band reaches about 86% of the lower Nyquist frequency (3.45 kHz
//! for 8 kHz, 6.9 kHz for 16 kHz) and the stop band starts at the Nyquist frequency, so nothing
//! above it aliases back. Each phase is normalised to unity gain at DC. The group delay is
//! [`Resampler::delay`].

use thiserror::Error;

/// Largest L or M accepted: 48 kHz to 8 kHz is 1/6, 32 kHz to 48 kHz is 3/2.
const MAX_FACTOR: u32 = 12;
/// Filter taps per phase, measured at the lower rate.
const TAPS_AT_LOW_RATE: usize = 64;
/// Kaiser window β.
const KAISER_BETA: f64 = 7.0;
/// Cut-off (−6 dB) as a fraction of the lower Nyquist frequency.
const CUTOFF: f64 = 0.93;

/// Why a [`Resampler`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ResampleError {
    /// A rate is zero or above 384 kHz.
    #[error("sample rate {rate} Hz is outside 1..=384000")]
    InvalidRate {
        /// The refused rate.
        rate: u32,
    },
    /// The reduced ratio L/M has a term above 12 (44.1 kHz to 48 kHz is 147/160).
    #[error("ratio {from} Hz to {to} Hz reduces to {up}/{down}, beyond 12")]
    UnsupportedRatio {
        /// The input rate.
        from: u32,
        /// The output rate.
        to: u32,
        /// L.
        up: u32,
        /// M.
        down: u32,
    },
}

/// A streaming rational-ratio resampler for 16-bit mono PCM; see the module documentation.
#[derive(Debug, Clone)]
pub struct Resampler {
    from: u32,
    to: u32,
    up: usize,
    down: usize,
    taps: usize,
    /// Phase `p`'s coefficients, reversed, at `p * taps`.
    coefs: Vec<f32>,
    /// The last `taps - 1` input samples, then the block being processed.
    buf: Vec<f32>,
    /// Position of the next output in upsampled units, relative to the block's first sample.
    t: usize,
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The zeroth-order modified Bessel function of the first kind, by its power series.
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x / 2.0;
    for k in 1..50 {
        term *= (half / f64::from(k)) * (half / f64::from(k));
        sum += term;
        if term < sum * 1e-12 {
            break;
        }
    }
    sum
}

impl Resampler {
    /// A resampler from `from` Hz to `to` Hz (the identity when they are equal).
    pub fn new(from: u32, to: u32) -> Result<Self, ResampleError> {
        for rate in [from, to] {
            if rate == 0 || rate > 384_000 {
                return Err(ResampleError::InvalidRate { rate });
            }
        }
        let g = gcd(from, to);
        let (up, down) = (to / g, from / g);
        if up > MAX_FACTOR || down > MAX_FACTOR {
            return Err(ResampleError::UnsupportedRatio { from, to, up, down });
        }
        let (up, down) = (up as usize, down as usize);
        let taps = if up == down { 1 } else { TAPS_AT_LOW_RATE * up.max(down) / up };
        let coefs = if up == down { vec![1.0] } else { design(up, down, taps) };
        Ok(Self { from, to, up, down, taps, coefs, buf: vec![0.0; taps - 1], t: 0 })
    }

    /// The input rate in Hz.
    pub fn input_rate(&self) -> u32 {
        self.from
    }

    /// The output rate in Hz.
    pub fn output_rate(&self) -> u32 {
        self.to
    }

    /// `true` when input and output rates are equal and samples pass unchanged.
    pub fn is_identity(&self) -> bool {
        self.up == self.down
    }

    /// The group delay, in output samples.
    pub fn delay(&self) -> f64 {
        if self.is_identity() {
            0.0
        } else {
            (self.taps * self.up - 1) as f64 / 2.0 / self.down as f64
        }
    }

    /// The number of output samples the next call with `input_len` samples yields.
    pub fn output_len(&self, input_len: usize) -> usize {
        let end = input_len * self.up;
        if end <= self.t {
            0
        } else {
            (end - self.t).div_ceil(self.down)
        }
    }

    /// Forgets the past input, as if silence had preceded.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.buf.resize(self.taps - 1, 0.0);
        self.t = 0;
    }

    /// Appends the resampled `input` to `out`. Whole 20 ms frames at 8, 16, 24, 32 or 48 kHz give
    /// exactly the frame's duration at the output rate.
    pub fn process(&mut self, input: &[i16], out: &mut Vec<i16>) {
        if self.is_identity() {
            out.extend_from_slice(input);
            return;
        }
        let history = self.taps - 1;
        self.buf.extend(input.iter().map(|&s| f32::from(s)));
        out.reserve(self.output_len(input.len()));
        let limit = input.len() * self.up;
        while self.t < limit {
            let i = self.t / self.up;
            let phase = self.t % self.up;
            let window = &self.buf[i..i + self.taps];
            let coefs = &self.coefs[phase * self.taps..(phase + 1) * self.taps];
            let acc = dot(window, coefs);
            out.push(acc.round().clamp(-32768.0, 32767.0) as i16);
            self.t += self.down;
        }
        self.t -= limit;
        self.buf.drain(..self.buf.len() - history);
    }
}

/// The dot product of two equally long slices, in eight independent lanes so that it vectorizes.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (chunks_a, chunks_b) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = chunks_a.remainder().iter().zip(chunks_b.remainder()).map(|(x, y)| x * y).sum();
    let mut lanes = [0f32; 8];
    for (x, y) in chunks_a.zip(chunks_b) {
        for ((lane, x), y) in lanes.iter_mut().zip(x).zip(y) {
            *lane += x * y;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// The polyphase filter: `up` phases of `taps` reversed coefficients each, each summing to 1.
fn design(up: usize, down: usize, taps: usize) -> Vec<f32> {
    let n = taps * up;
    let center = (n - 1) as f64 / 2.0;
    // Cut-off in cycles per upsampled sample: the lower Nyquist is 0.5 / max(L, M).
    let fc = CUTOFF * 0.5 / up.max(down) as f64;
    let i0_beta = bessel_i0(KAISER_BETA);
    let h: Vec<f64> = (0..n)
        .map(|k| {
            let x = k as f64 - center;
            let sinc = if x == 0.0 {
                2.0 * fc
            } else {
                (2.0 * std::f64::consts::PI * fc * x).sin() / (std::f64::consts::PI * x)
            };
            let r = x / (center + 0.5);
            let window = bessel_i0(KAISER_BETA * (1.0 - r * r).max(0.0).sqrt()) / i0_beta;
            sinc * window
        })
        .collect();
    let mut coefs = Vec::with_capacity(n);
    for phase in 0..up {
        // Output uses x[i - k] * h[phase + k * up]; stored reversed to pair with buf[i..i+taps].
        let mut taps_of_phase: Vec<f64> = (0..taps).map(|k| h[phase + k * up]).collect();
        let sum: f64 = taps_of_phase.iter().sum();
        taps_of_phase.reverse();
        coefs.extend(taps_of_phase.iter().map(|&c| (c / sum) as f32));
    }
    coefs
}
