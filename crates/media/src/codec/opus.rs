//! Opus (RFC 6716) through libopus, carried as RFC 7587 describes.
//!
//! **RTP (RFC 7587).** The RTP clock is always 48000 Hz whatever rate libopus codes at
//! (§4.1), so 20 ms advance the timestamp by 960. The payload type is dynamic; 111 is the usual
//! choice ([`OPUS_PAYLOAD_TYPE`]). The SDP names it `opus/48000/2` although the stream may be
//! mono (§7): we send mono, and [`OpusDecoder`] decodes whatever comes, downmixing stereo
//! packets (a mono libopus decoder does that itself). One RTP payload is one Opus packet
//! (§4.2), of one or more frames of 2.5 to 60 ms, at most 120 ms in all.
//!
//! **Rates.** libopus takes and yields PCM at 8, 12, 16, 24 or 48 kHz ([`OPUS_RATES`]) and
//! resamples internally, so a decoder runs at the sound device's own rate when it is one of them
//! and no resampler is needed ([`decode_rate`]). The encoder runs at the lowest rate that holds
//! the audio bandwidth worth sending ([`OpusParams::encode_rate`]): 16 kHz, SILK-only wideband,
//! below 32 kbit/s (libopus would choose a hybrid super-wideband or fullband mode from 48 kHz
//! input at 24 kbit/s, which costs about twice the CPU), up to 48 kHz above; never above the
//! peer's `maxplaybackrate` or the device's rate.
//!
//! **Encoder settings.** Application VOIP with the voice signal hint, variable bit rate at
//! [`OpusParams::max_average_bitrate`] (constant with `cbr=1`), in-band FEC when
//! [`OpusParams::inband_fec`] with the packet loss it plans for, DTX off: a desk phone sends
//! every 20 ms, and comfort noise is the receiver's business.
//!
//! **Loss.** [`OpusDecoder`] conceals with libopus's own PLC ([`Decoder::conceal`]), and
//! recovers a lost packet from the in-band FEC (LBRR) data of the packet after it
//! ([`Decoder::decode_fec`]).

use opus::{Application, Bandwidth, Bitrate, Channels, Repacketizer, Signal};
use thiserror::Error;

use super::{DecodeError, Decoder, Encoder};

/// The RTP clock rate of Opus payloads, whatever rate the codec runs at (RFC 7587 §4.1).
pub const OPUS_RTP_CLOCK_RATE: u32 = 48000;
/// The dynamic payload type commonly given to Opus (RFC 7587 §7 leaves it to the SDP).
pub const OPUS_PAYLOAD_TYPE: u8 = 111;
/// The PCM rates libopus codes at (RFC 6716 §2).
pub const OPUS_RATES: [u32; 5] = [8000, 12000, 16000, 24000, 48000];
/// Our average bit rate when the peer states no `maxaveragebitrate`: wideband voice.
pub const OPUS_DEFAULT_BITRATE: u32 = 24000;
/// At and above this bit rate the encoder codes fullband (hybrid) audio; below, wideband.
pub const OPUS_FULLBAND_BITRATE: u32 = 32000;
/// The packet loss in percent our encoder plans its FEC for unless told otherwise.
pub const OPUS_DEFAULT_LOSS_PERCENT: u8 = 10;
/// The bit rates RFC 7587 §6.1 allows for `maxaveragebitrate`.
const BITRATE_RANGE: std::ops::RangeInclusive<u32> = 6000..=510_000;
/// The largest Opus frame, in bytes (RFC 6716 §3.4 R2).
const MAX_FRAME_BYTES: usize = 1275;
/// libopus's recommended output buffer for one `opus_encode` call.
const MAX_PACKET_BYTES: usize = 4000;
/// The longest packet, in units of 2.5 ms (120 ms, RFC 6716 §3.2.5).
const MAX_UNITS: usize = 48;
/// The packet durations one `opus_encode` call codes, in units of 2.5 ms: one frame of 2.5 to
/// 60 ms, or (libopus 1.2 and later) 80, 100 or 120 ms as 20 ms frames of one mode.
const SINGLE_CALL_UNITS: [usize; 9] = [1, 2, 4, 8, 16, 24, 32, 40, 48];

/// Why an Opus encoder or decoder could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OpusError {
    /// libopus codes PCM at 8, 12, 16, 24 or 48 kHz only.
    #[error("libopus does not code PCM at {rate} Hz")]
    UnsupportedRate {
        /// The refused rate.
        rate: u32,
    },
    /// libopus refused (in practice: could not allocate its state).
    #[error("libopus: {0}")]
    Library(String),
}

impl From<opus::Error> for OpusError {
    fn from(error: opus::Error) -> Self {
        OpusError::Library(error.to_string())
    }
}

/// How our Opus encoder codes: mostly the peer's `a=fmtp` parameters for the payload type
/// (RFC 7587 §6.1), which state what its decoder prefers to receive.
///
/// [`OpusParams::default`] is what we send when nothing is known about the peer: 24 kbit/s
/// wideband voice, in-band FEC for 10% loss. [`OpusParams::from_fmtp`] follows the peer's
/// parameters, with RFC 7587's meaning for the ones it leaves out (no FEC without
/// `useinbandfec=1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpusParams {
    /// The average bit rate we code at, in bit/s: the peer's `maxaveragebitrate` (6000 to
    /// 510000), else [`OPUS_DEFAULT_BITRATE`].
    pub max_average_bitrate: u32,
    /// Send in-band FEC: the peer's `useinbandfec=1` (its decoder uses it).
    pub inband_fec: bool,
    /// The packet loss, in percent (0 to 100), the encoder plans its FEC and robustness for.
    pub expected_loss_percent: u8,
    /// Constant bit rate: the peer's `cbr=1`.
    pub cbr: bool,
    /// The highest rate the peer's decoder plays, in Hz: its `maxplaybackrate`, else 48000. We
    /// do not code audio bandwidth beyond it.
    pub max_playback_rate: u32,
}

impl Default for OpusParams {
    fn default() -> Self {
        Self {
            max_average_bitrate: OPUS_DEFAULT_BITRATE,
            inband_fec: true,
            expected_loss_percent: OPUS_DEFAULT_LOSS_PERCENT,
            cbr: false,
            max_playback_rate: 48000,
        }
    }
}

impl OpusParams {
    /// The parameters for the peer's `a=fmtp` parameter string (e.g.
    /// `minptime=10;useinbandfec=1`; pass `""` when it sent none): `maxaveragebitrate`,
    /// `useinbandfec`, `cbr` and `maxplaybackrate` are followed; absent or invalid ones take
    /// RFC 7587 §6.1's defaults (FEC and CBR off, 48 kHz playback) or ours (the bit rate).
    /// `stereo` and `sprop-stereo` do not matter (we send mono, decode both), nor does
    /// `usedtx` (only a preference; we never use DTX), `ptime` and `minptime` (the session's
    /// packetization) or `sprop-maxcapturerate` (the decoder plays what comes).
    pub fn from_fmtp(fmtp: &str) -> Self {
        let mut params = Self { inband_fec: false, ..Self::default() };
        for (key, value) in fmtp.split(';').filter_map(|p| p.split_once('=')) {
            let (key, value) = (key.trim(), value.trim());
            let flag = match value {
                "0" => Some(false),
                "1" => Some(true),
                _ => None,
            };
            let number = value.parse::<u32>().ok();
            if key.eq_ignore_ascii_case("maxaveragebitrate") {
                if let Some(rate) = number.filter(|r| BITRATE_RANGE.contains(r)) {
                    params.max_average_bitrate = rate;
                }
            } else if key.eq_ignore_ascii_case("useinbandfec") {
                params.inband_fec = flag.unwrap_or(params.inband_fec);
            } else if key.eq_ignore_ascii_case("cbr") {
                params.cbr = flag.unwrap_or(params.cbr);
            } else if key.eq_ignore_ascii_case("maxplaybackrate") {
                if let Some(rate) = number.filter(|&r| r >= 8000) {
                    params.max_playback_rate = rate;
                }
            }
        }
        params
    }

    /// The PCM rate our encoder runs at when the sound device runs at `device_rate` Hz: 16 kHz
    /// (wideband) below [`OPUS_FULLBAND_BITRATE`], 48 kHz from it, lowered to the highest of
    /// [`OPUS_RATES`] within the device's rate and the peer's `maxplaybackrate`.
    pub fn encode_rate(&self, device_rate: u32) -> u32 {
        let cap = if self.max_average_bitrate >= OPUS_FULLBAND_BITRATE { 48000 } else { 16000 };
        rate_at_most(cap.min(device_rate).min(self.max_playback_rate))
    }

    /// The audio bandwidth libopus may code at most, from `maxplaybackrate` (RFC 7587 §6.1).
    fn max_bandwidth(&self) -> Bandwidth {
        match self.max_playback_rate {
            ..=8999 => Bandwidth::Narrowband,
            9000..=12999 => Bandwidth::Mediumband,
            13000..=16999 => Bandwidth::Wideband,
            17000..=24999 => Bandwidth::Superwideband,
            _ => Bandwidth::Fullband,
        }
    }
}

/// The highest of [`OPUS_RATES`] not above `rate` (8000 for anything lower).
fn rate_at_most(rate: u32) -> u32 {
    OPUS_RATES.into_iter().rev().find(|&r| r <= rate).unwrap_or(OPUS_RATES[0])
}

/// The PCM rate a decoder for a device at `device_rate` Hz runs at: the device's own when
/// libopus can yield it ([`OPUS_RATES`]), else 48 kHz (to be resampled).
pub fn decode_rate(device_rate: u32) -> u32 {
    if OPUS_RATES.contains(&device_rate) {
        device_rate
    } else {
        48000
    }
}

fn check_rate(rate: u32) -> Result<(), OpusError> {
    if OPUS_RATES.contains(&rate) {
        Ok(())
    } else {
        Err(OpusError::UnsupportedRate { rate })
    }
}

/// A mono Opus encoder; see the [module documentation](self) for its settings.
///
/// [`Encoder::encode`] takes one packet's PCM: 2.5 to 120 ms at [`Encoder::sample_rate`].
/// Durations libopus codes in one call (2.5, 5, 10, 20, 40, 60, 80, 100, 120 ms) are; the
/// others (30, 50, 70, 90, 110 ms among the session's packetizations) are coded as 10 ms frames
/// (or 5 or 2.5 ms) joined into one packet by libopus's repacketizer (RFC 6716 §3.2.5, code 3),
/// which needs every frame in the same mode and bandwidth: the first frame's bandwidth is held
/// for the others. That settles it at 16 kHz and below, where libopus codes SILK only; above,
/// should it still switch modes within the packet, the packet ends with the frames before the
/// switch. Lengths that are not whole 2.5 ms are padded with silence, and PCM beyond 120 ms is
/// dropped. Should libopus fail (it does not for valid input), the payload is left empty.
pub struct OpusEncoder {
    inner: opus::Encoder,
    rate: u32,
    params: OpusParams,
    repacketizer: Option<Repacketizer>,
    pcm: Vec<i16>,
    frames: Vec<u8>,
    ends: Vec<usize>,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder").field("rate", &self.rate).field("params", &self.params).finish_non_exhaustive()
    }
}

impl OpusEncoder {
    /// An encoder for mono PCM at `sample_rate` Hz (one of [`OPUS_RATES`]) following `params`.
    pub fn new(sample_rate: u32, params: &OpusParams) -> Result<Self, OpusError> {
        check_rate(sample_rate)?;
        let mut inner = opus::Encoder::new(sample_rate, Channels::Mono, Application::Voip)?;
        inner.set_signal(Signal::Voice)?;
        inner.set_bitrate(Bitrate::Bits(params.max_average_bitrate.clamp(6000, 510_000) as i32))?;
        inner.set_vbr(!params.cbr)?;
        inner.set_inband_fec(params.inband_fec)?;
        inner.set_packet_loss_perc(i32::from(params.expected_loss_percent.min(100)))?;
        inner.set_dtx(false)?;
        inner.set_max_bandwidth(params.max_bandwidth())?;
        Ok(Self {
            inner,
            rate: sample_rate,
            params: *params,
            repacketizer: None,
            pcm: Vec::new(),
            frames: Vec::new(),
            ends: Vec::new(),
        })
    }

    /// The parameters it codes with.
    pub fn params(&self) -> OpusParams {
        self.params
    }

    /// The encoder's look-ahead: the delay it adds beyond the frame, in samples at its rate.
    pub fn lookahead(&mut self) -> usize {
        self.inner.get_lookahead().ok().and_then(|n| usize::try_from(n).ok()).unwrap_or(0)
    }

    /// Codes `count` frames of `frame` samples from `self.pcm` and joins them into one packet.
    fn encode_joined(&mut self, frame: usize, count: usize, out: &mut Vec<u8>) {
        self.frames.clear();
        self.frames.resize(count * MAX_FRAME_BYTES, 0);
        self.ends.clear();
        let mut end = 0;
        for pcm in self.pcm.chunks_exact(frame).take(count) {
            let len = match self.inner.encode(pcm, &mut self.frames[end..end + MAX_FRAME_BYTES]) {
                Ok(len) if len > 0 => len,
                _ => break,
            };
            if end == 0 {
                // Hold the first frame's bandwidth, so that the frames share one TOC.
                if let Ok(bandwidth) = opus::packet::get_bandwidth(&self.frames[..len]) {
                    let _ = self.inner.set_bandwidth(bandwidth);
                }
            }
            end += len;
            self.ends.push(end);
        }
        let _ = self.inner.set_bandwidth(Bandwidth::Auto);
        if self.ends.is_empty() {
            return;
        }
        if self.repacketizer.is_none() {
            self.repacketizer = Repacketizer::new().ok();
        }
        let Some(repacketizer) = self.repacketizer.as_mut() else {
            return;
        };
        let mut state = repacketizer.begin();
        let mut start = 0;
        for &frame_end in &self.ends {
            // Frames of another mode or bandwidth than the first cannot share its packet.
            if state.cat(&self.frames[start..frame_end]).is_err() {
                break;
            }
            start = frame_end;
        }
        // The frames, the TOC, the frame count and up to two length bytes per frame.
        let at = out.len();
        out.resize(at + end + 2 * count + 2, 0);
        match state.out(&mut out[at..]) {
            Ok(len) => out.truncate(at + len),
            Err(_) => out.truncate(at),
        }
    }
}

impl Encoder for OpusEncoder {
    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn rtp_clock_rate(&self) -> u32 {
        OPUS_RTP_CLOCK_RATE
    }

    /// Appends one Opus packet; see the type's documentation for the lengths it takes.
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        let unit = (self.rate / 400) as usize;
        let pcm = &pcm[..pcm.len().min(MAX_UNITS * unit)];
        if pcm.is_empty() {
            return;
        }
        let units = pcm.len().div_ceil(unit);
        self.pcm.clear();
        self.pcm.extend_from_slice(pcm);
        self.pcm.resize(units * unit, 0);
        if SINGLE_CALL_UNITS.contains(&units) {
            let at = out.len();
            out.resize(at + MAX_PACKET_BYTES, 0);
            match self.inner.encode(&self.pcm, &mut out[at..]) {
                Ok(len) => out.truncate(at + len),
                Err(_) => out.truncate(at),
            }
            return;
        }
        let frame_units = [4, 2, 1].into_iter().find(|&f| units.is_multiple_of(f)).unwrap_or(1);
        self.encode_joined(frame_units * unit, units / frame_units, out);
    }
}

/// A mono Opus decoder: any Opus packet in (mono or stereo, any mode and bandwidth), PCM at its
/// rate out, with libopus's concealment and FEC recovery.
pub struct OpusDecoder {
    inner: opus::Decoder,
    rate: u32,
}

impl std::fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusDecoder").field("rate", &self.rate).finish_non_exhaustive()
    }
}

impl OpusDecoder {
    /// A decoder yielding mono PCM at `sample_rate` Hz (one of [`OPUS_RATES`]).
    pub fn new(sample_rate: u32) -> Result<Self, OpusError> {
        check_rate(sample_rate)?;
        Ok(Self { inner: opus::Decoder::new(sample_rate, Channels::Mono)?, rate: sample_rate })
    }

    /// Samples in 2.5 ms, the granularity of libopus's concealment.
    fn unit(&self) -> usize {
        (self.rate / 400) as usize
    }

    /// Samples in 120 ms, the longest packet.
    fn max_samples(&self) -> usize {
        MAX_UNITS * self.unit()
    }

    /// Runs libopus on `payload` (empty: concealment) for exactly `n` samples, appended to
    /// `out`; returns how many it wrote.
    fn run(&mut self, payload: &[u8], n: usize, fec: bool, out: &mut Vec<i16>) -> usize {
        let start = out.len();
        out.resize(start + n, 0);
        match self.inner.decode(payload, &mut out[start..], fec) {
            Ok(len) if len <= n => {
                out.truncate(start + len);
                len
            }
            _ => {
                out.truncate(start);
                0
            }
        }
    }
}

impl Decoder for OpusDecoder {
    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), DecodeError> {
        if payload.is_empty() {
            // An empty payload would ask libopus to conceal: not a packet (RFC 6716 §3.4 R1).
            return Err(DecodeError::BadLength { len: 0 });
        }
        // Rejects what RFC 6716 §3.4 calls malformed: bad frame counts, sizes, over 120 ms.
        let n = opus::packet::get_nb_samples(payload, self.rate).map_err(|_| DecodeError::Corrupt)?;
        if n == 0 || n > self.max_samples() {
            return Err(DecodeError::Corrupt);
        }
        if self.run(payload, n, false, out) == 0 {
            return Err(DecodeError::Corrupt);
        }
        Ok(())
    }

    /// libopus's concealment, extrapolating the last decoded audio: `samples` rounded up to a
    /// whole 2.5 ms, at most 120 ms per call.
    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) -> bool {
        let unit = self.unit();
        let n = samples.div_ceil(unit).min(MAX_UNITS) * unit;
        n > 0 && self.run(&[], n, false, out) > 0
    }

    /// Decodes the LBRR (in-band FEC) copy of the lost audio that `next_payload` carries at its
    /// start, preceded by concealment when `samples` exceed one frame of it; `samples` rounded
    /// up to a whole 2.5 ms. `false`, writing nothing, when `next_payload` is not a valid
    /// packet, is CELT-only (no FEC in that mode), has frames longer than the gap, or the gap
    /// exceeds 120 ms. A SILK or hybrid packet sent without FEC yields concealment.
    fn decode_fec(&mut self, next_payload: &[u8], samples: usize, out: &mut Vec<i16>) -> bool {
        let unit = self.unit();
        let n = samples.div_ceil(unit) * unit;
        let Some(&toc) = next_payload.first() else {
            return false;
        };
        // TOC configurations 16 to 31 are CELT-only (RFC 6716 §3.1), which has no LBRR.
        let celt_only = toc >> 3 >= 16;
        let valid = opus::packet::get_nb_samples(next_payload, self.rate).is_ok();
        let frame = opus::packet::get_samples_per_frame(next_payload, self.rate).unwrap_or(usize::MAX);
        if !valid || celt_only || n < frame || n > self.max_samples() {
            return false;
        }
        self.run(next_payload, n, true, out) > 0
    }
}
