//! Audio codecs behind two small traits, so the jitter buffer and the media session never care
//! which codec a call negotiated.
//!
//! Samples are signed 16-bit linear PCM, mono, at the codec's [`Decoder::sample_rate`].

use thiserror::Error;

pub mod g711;
pub mod g722;
pub mod opus;

/// Encodes one frame of linear PCM into an RTP payload.
pub trait Encoder {
    /// The sample rate of the PCM this encoder takes, in Hz.
    fn sample_rate(&self) -> u32;
    /// The RTP clock rate of the payload (RFC 3551 §4.5.2: 8000 for G.722 although it samples at
    /// 16000).
    fn rtp_clock_rate(&self) -> u32;
    /// Appends the payload for `pcm` (a whole frame) to `out`.
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>);
}

/// Decodes RTP payloads into linear PCM and, when the codec can, conceals lost frames.
pub trait Decoder {
    /// The sample rate of the PCM this decoder yields, in Hz.
    fn sample_rate(&self) -> u32;
    /// Appends the PCM decoded from `payload` to `out`.
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), DecodeError>;
    /// Appends about `samples` samples concealing a lost frame and returns `true`, if this codec
    /// has its own concealment (Opus); returns `false` without writing when it has none, and
    /// the caller conceals. A codec may round `samples` to its own granularity (Opus: 2.5 ms);
    /// the caller takes as many as were appended.
    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) -> bool {
        let _ = (samples, out);
        false
    }

    /// Appends about `samples` samples recovering the audio lost just before `next_payload`, the
    /// payload that follows the gap, from the forward error correction data it carries (Opus
    /// in-band FEC, RFC 6716 §2.1.7), and returns `true`; call it instead of
    /// [`Decoder::conceal`] for the whole gap, then [`Decoder::decode`] `next_payload` as
    /// usual. Where the FEC does not reach back over the whole gap, its start is concealed.
    /// Returns `false` without writing when the codec or this payload has no such data.
    fn decode_fec(&mut self, next_payload: &[u8], samples: usize, out: &mut Vec<i16>) -> bool {
        let _ = (next_payload, samples, out);
        false
    }
}

/// Why a payload could not be decoded: always a fault of the peer's packet.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The payload is shorter or longer than the codec allows.
    #[error("payload of {len} bytes is not a valid frame for this codec")]
    BadLength {
        /// The payload's length in bytes.
        len: usize,
    },
    /// The codec library rejected the payload as corrupt.
    #[error("corrupt payload")]
    Corrupt,
}
