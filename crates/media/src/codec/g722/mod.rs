//! ITU-T G.722 (11/1988, with the later editions' corrections): 7 kHz audio in 64 kbit/s by
//! sub-band ADPCM.
//!
//! The encoder (§3) splits 16 kHz linear PCM with the 24-tap transmit QMF into two 8 kHz
//! sub-bands, codes the lower one with 6-bit ADPCM and the higher one with 2-bit ADPCM, and
//! multiplexes them into one octet `IH << 6 | IL` per pair of input samples. The decoder (§4)
//! reverses this, with the lower sub-band in mode 1, 2 or 3 (64, 56 or 48 kbit/s of audio, §1).
//!
//! RTP (RFC 3551 §4.5.2): payload type 9, sampled at 16 kHz but with an RTP clock of 8000 Hz
//! (an erratum kept for compatibility); one octet per two samples, so 20 ms is 320 samples
//! and 160 octets.
//!
//! [`SubBandEncoder`] and [`SubBandDecoder`] expose the ADPCM coders with the QMF bypassed,
//! the configuration of the G.722 Appendix II digital test sequences.

mod adpcm;
mod qmf;

pub use adpcm::{G722Mode, SubBandDecoder, SubBandEncoder};

use super::{DecodeError, Decoder, Encoder};
use qmf::{QmfAnalysis, QmfSynthesis};

/// The sample rate of G.722's linear PCM, in Hz (G.722 §1).
pub const G722_SAMPLE_RATE: u32 = 16000;
/// The RTP clock rate of G.722 payloads, in Hz (RFC 3551 §4.5.2).
pub const G722_RTP_CLOCK_RATE: u32 = 8000;

/// The complete G.722 encoder (G.722 §3): transmit QMF plus sub-band ADPCM, 16 kHz 16-bit PCM
/// in, one octet per two samples out.
///
/// A frame of odd length leaves its last sample pending: it is coded together with the first
/// sample of the next frame, so a stream split into odd frames codes exactly as if it came in
/// one piece. [`G722Encoder::reset`] drops a pending sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct G722Encoder {
    qmf: QmfAnalysis,
    adpcm: SubBandEncoder,
    pending: Option<i16>,
}

impl Default for G722Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Encoder {
    /// Creates an encoder in the reset state, with a silent QMF history.
    pub fn new() -> Self {
        Self { qmf: QmfAnalysis::new(), adpcm: SubBandEncoder::new(), pending: None }
    }

    /// Returns to the state of [`G722Encoder::new`], dropping any pending sample.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Whether an odd sample from the last frame waits for its partner.
    pub fn has_pending_sample(&self) -> bool {
        self.pending.is_some()
    }

    /// Codes two consecutive 16 kHz samples (earlier first) into one octet (G.722 §3).
    pub fn encode_pair(&mut self, earlier: i16, later: i16) -> u8 {
        let (lower, higher) = self.qmf.analyse(earlier, later);
        self.adpcm.encode(lower, higher)
    }
}

impl Encoder for G722Encoder {
    fn sample_rate(&self) -> u32 {
        G722_SAMPLE_RATE
    }

    fn rtp_clock_rate(&self) -> u32 {
        G722_RTP_CLOCK_RATE
    }

    /// Appends one octet per two samples; see the type's docs for frames of odd length.
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        let mut rest = pcm;
        if let Some(earlier) = self.pending.take() {
            let Some((&later, tail)) = rest.split_first() else {
                self.pending = Some(earlier);
                return;
            };
            out.push(self.encode_pair(earlier, later));
            rest = tail;
        }
        let pairs = rest.chunks_exact(2);
        self.pending = pairs.remainder().first().copied();
        out.reserve(pairs.len());
        for pair in pairs {
            out.push(self.encode_pair(pair[0], pair[1]));
        }
    }
}

/// The complete G.722 decoder (G.722 §4): sub-band ADPCM plus receive QMF, one octet in, two
/// 16 kHz 16-bit samples out. Every octet is a valid code word, so any payload length decodes
/// (an empty payload to nothing). It has no loss concealment of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct G722Decoder {
    adpcm: SubBandDecoder,
    qmf: QmfSynthesis,
}

impl Default for G722Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Decoder {
    /// Creates a mode 1 (64 kbit/s) decoder in the reset state.
    pub fn new() -> Self {
        Self::with_mode(G722Mode::Kbit64)
    }

    /// Creates a decoder in the reset state for lower sub-band mode `mode` (G.722 §1).
    pub fn with_mode(mode: G722Mode) -> Self {
        Self { adpcm: SubBandDecoder::new(mode), qmf: QmfSynthesis::new() }
    }

    /// Returns to the reset state, keeping the mode.
    pub fn reset(&mut self) {
        *self = Self::with_mode(self.adpcm.mode());
    }

    /// The lower sub-band mode.
    pub fn mode(&self) -> G722Mode {
        self.adpcm.mode()
    }

    /// Changes the lower sub-band mode from the next octet on (G.722 §4).
    pub fn set_mode(&mut self, mode: G722Mode) {
        self.adpcm.set_mode(mode);
    }

    /// Decodes one octet into two consecutive 16 kHz samples, earlier first (G.722 §4).
    pub fn decode_octet(&mut self, code: u8) -> (i16, i16) {
        let (lower, higher) = self.adpcm.decode(code);
        self.qmf.synthesise(lower, higher)
    }
}

impl Decoder for G722Decoder {
    fn sample_rate(&self) -> u32 {
        G722_SAMPLE_RATE
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), DecodeError> {
        out.reserve(payload.len() * 2);
        for &code in payload {
            let (earlier, later) = self.decode_octet(code);
            out.push(earlier);
            out.push(later);
        }
        Ok(())
    }
}
