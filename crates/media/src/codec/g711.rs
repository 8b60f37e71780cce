//! ITU-T G.711 (11/1988) pulse code modulation: µ-law (PCMU) and A-law (PCMA).
//!
//! G.711 defines its laws on sign-magnitude uniform codes: 14-bit for µ-law (§2, Table 2a) and
//! 13-bit for A-law (§2, Table 1a). Hardphone works in left-justified 16-bit PCM, so:
//!
//! * **Decoding** yields the mid-point of the code's quantisation interval (the "decoder
//!   output value" of Tables 1a/2a), shifted left by 2 (µ-law) or 3 (A-law).
//! * **Encoding** maps a 16-bit sample `x` to sign-magnitude with the ones'-complement rule of
//!   the ITU-T G.191 STL: `x >= 0` gives `(+, x >> k)` and `x < 0` gives `(-, !x >> k)`, with
//!   `k = 2` (µ-law) or `k = 3` (A-law), so `x` and `-x - 1` share a magnitude. µ-law
//!   magnitudes above 8158 are clipped (the last decision value of Table 2a).
//! * **Line format**: bit 7 is the polarity (1 = positive), bits 6..4 the segment and bits 3..0
//!   the step. A-law inverts the even bits (XOR `0x55`, Table 1a note); µ-law inverts bits 6..0
//!   (Table 2a note).
//!
//! Decoding is one look-up in a 256-entry table built at compile time; encoding finds the
//! segment with a leading-zero count, without data-dependent branches.
//!
//! RTP (RFC 3551 §4.5.14): PCMU is static payload type 0 and PCMA 8, both at 8000 Hz with one
//! octet per sample, so any frame length is valid.

use super::{DecodeError, Decoder, Encoder};

/// The sample rate and RTP clock rate of both G.711 laws (RFC 3551 §4.5.14), in Hz.
pub const G711_RATE: u32 = 8000;

/// Polarity bit of a G.711 code on the line: set for positive values (G.711 Tables 1a/2a).
const POSITIVE: u8 = 0x80;
/// Bits A-law inverts on the line: the even bits (G.711 Table 1a, note 2).
const ALAW_INVERT: u8 = 0x55;
/// Bits µ-law inverts on the line: all but the polarity bit (G.711 Table 2a, note 2).
const ULAW_INVERT: u8 = 0x7F;
/// The µ-law bias added to the 14-bit magnitude before the segment search (G.711 Table 2a:
/// segment end points 31, 95, 223, … are `(33 << s) - 33`).
const ULAW_BIAS: u32 = 33;
/// The largest 14-bit µ-law magnitude that is not clipped (G.711 Table 2a, last decision value).
const ULAW_CLIP: u32 = 8158;

/// µ-law decoder output for each of the 256 codes, as 16-bit PCM (G.711 Table 2a).
static ULAW_TO_LINEAR: [i16; 256] = build_ulaw_table();
/// A-law decoder output for each of the 256 codes, as 16-bit PCM (G.711 Table 1a).
static ALAW_TO_LINEAR: [i16; 256] = build_alaw_table();

/// Decodes one µ-law code, by table, to the mid-point of its quantisation interval as 16-bit
/// PCM (G.711 §2 and Table 2a; the 14-bit value shifted left by 2).
#[inline]
pub fn ulaw_decode(code: u8) -> i16 {
    ULAW_TO_LINEAR[usize::from(code)]
}

/// Decodes one A-law code, by table, to the mid-point of its quantisation interval as 16-bit
/// PCM (G.711 §2 and Table 1a; the 13-bit value shifted left by 3).
#[inline]
pub fn alaw_decode(code: u8) -> i16 {
    ALAW_TO_LINEAR[usize::from(code)]
}

/// Encodes one 16-bit sample to µ-law (G.711 §2 and Table 2a), with the ones'-complement
/// sign-magnitude mapping and the clip at magnitude 8158 described in the module docs.
#[inline]
pub fn ulaw_encode(sample: i16) -> u8 {
    let (polarity, magnitude) = sign_magnitude(sample, 2);
    // Biased magnitude is 33..=8191 (13 bits): its highest set bit is 5..=12, so the segment is
    // 0..=7.
    let biased = magnitude.min(ULAW_CLIP) + ULAW_BIAS;
    let segment = (31 - biased.leading_zeros()) - 5;
    let step = (biased >> (segment + 1)) & 0x0F;
    polarity | (((segment << 4) | step) as u8 ^ ULAW_INVERT)
}

/// Encodes one 16-bit sample to A-law (G.711 §2 and Table 1a), with the ones'-complement
/// sign-magnitude mapping described in the module docs.
#[inline]
pub fn alaw_encode(sample: i16) -> u8 {
    // Magnitude is 0..=4095 (12 bits). Segment 0 covers magnitudes 0..=31 (steps of 2), segment
    // s >= 1 covers 16 << s ..= (32 << s) - 1 (steps of 1 << s). OR-ing 16 makes both cases one
    // leading-zero count.
    let (polarity, magnitude) = sign_magnitude(sample, 3);
    let segment = (31 - (magnitude | 0x10).leading_zeros()) - 4;
    let shift = segment + u32::from(segment == 0);
    let step = (magnitude >> shift) & 0x0F;
    (polarity | ((segment << 4) | step) as u8) ^ ALAW_INVERT
}

/// Splits a 16-bit sample into its G.711 polarity bit and its magnitude shifted right by
/// `shift`, using the ones'-complement rule for negative samples (`!x`, i.e. `-x - 1`).
#[inline]
fn sign_magnitude(sample: i16, shift: u32) -> (u8, u32) {
    let negative_mask = sample >> 15; // 0 or -1
    let polarity = POSITIVE & !(negative_mask as u8);
    let magnitude = ((sample ^ negative_mask) as u16 as u32) >> shift;
    (polarity, magnitude)
}

/// Builds the µ-law decoding table: the interval mid-point of G.711 Table 2a is
/// `((2 * step + 33) << segment) - 33` in 14-bit units.
const fn build_ulaw_table() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0usize;
    while code < 256 {
        let bits = (code as u8) ^ ULAW_INVERT;
        let segment = (bits >> 4) & 0x07;
        let step = (bits & 0x0F) as i32;
        let magnitude = ((2 * step + 33) << segment) - 33;
        let value = magnitude << 2;
        table[code] = if bits & POSITIVE != 0 { value as i16 } else { -value as i16 };
        code += 1;
    }
    table
}

/// Builds the A-law decoding table: the interval mid-point of G.711 Table 1a is
/// `2 * step + 1` in segment 0 and `(2 * step + 33) << (segment - 1)` above, in 13-bit units.
const fn build_alaw_table() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0usize;
    while code < 256 {
        let bits = (code as u8) ^ ALAW_INVERT;
        let segment = (bits >> 4) & 0x07;
        let step = (bits & 0x0F) as i32;
        let magnitude = if segment == 0 { 2 * step + 1 } else { (2 * step + 33) << (segment - 1) };
        let value = magnitude << 3;
        table[code] = if bits & POSITIVE != 0 { value as i16 } else { -value as i16 };
        code += 1;
    }
    table
}

/// G.711 µ-law encoder for RTP payload type PCMU (RFC 3551 §4.5.14): one octet per sample,
/// any frame length. Stateless.
#[derive(Debug, Clone, Copy, Default)]
pub struct PcmuEncoder;

/// G.711 µ-law decoder for RTP payload type PCMU (RFC 3551 §4.5.14): one sample per octet,
/// any payload length (an empty payload decodes to nothing). Stateless; has no concealment.
#[derive(Debug, Clone, Copy, Default)]
pub struct PcmuDecoder;

/// G.711 A-law encoder for RTP payload type PCMA (RFC 3551 §4.5.14): one octet per sample,
/// any frame length. Stateless.
#[derive(Debug, Clone, Copy, Default)]
pub struct PcmaEncoder;

/// G.711 A-law decoder for RTP payload type PCMA (RFC 3551 §4.5.14): one sample per octet,
/// any payload length (an empty payload decodes to nothing). Stateless; has no concealment.
#[derive(Debug, Clone, Copy, Default)]
pub struct PcmaDecoder;

impl PcmuEncoder {
    /// Creates a PCMU encoder.
    pub fn new() -> Self {
        Self
    }
}

impl PcmuDecoder {
    /// Creates a PCMU decoder.
    pub fn new() -> Self {
        Self
    }
}

impl PcmaEncoder {
    /// Creates a PCMA encoder.
    pub fn new() -> Self {
        Self
    }
}

impl PcmaDecoder {
    /// Creates a PCMA decoder.
    pub fn new() -> Self {
        Self
    }
}

impl Encoder for PcmuEncoder {
    fn sample_rate(&self) -> u32 {
        G711_RATE
    }

    fn rtp_clock_rate(&self) -> u32 {
        G711_RATE
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        out.extend(pcm.iter().map(|&sample| ulaw_encode(sample)));
    }
}

impl Decoder for PcmuDecoder {
    fn sample_rate(&self) -> u32 {
        G711_RATE
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), DecodeError> {
        out.extend(payload.iter().map(|&code| ulaw_decode(code)));
        Ok(())
    }
}

impl Encoder for PcmaEncoder {
    fn sample_rate(&self) -> u32 {
        G711_RATE
    }

    fn rtp_clock_rate(&self) -> u32 {
        G711_RATE
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        out.extend(pcm.iter().map(|&sample| alaw_encode(sample)));
    }
}

impl Decoder for PcmaDecoder {
    fn sample_rate(&self) -> u32 {
        G711_RATE
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), DecodeError> {
        out.extend(payload.iter().map(|&code| alaw_decode(code)));
        Ok(())
    }
}
