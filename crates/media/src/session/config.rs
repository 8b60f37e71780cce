//! What a [`super::MediaSession`] is told about its call: the agreed codecs and payload types,
//! packetization, direction, the peer's addresses, and the knobs of latching, timeouts and RTCP.

use std::net::SocketAddr;
use std::time::Duration;

use thiserror::Error;

use super::resample::ResampleError;
use crate::codec::g711::{PcmaDecoder, PcmaEncoder, PcmuDecoder, PcmuEncoder};
use crate::codec::g722::{G722Decoder, G722Encoder};
use crate::codec::opus::{self, OpusDecoder, OpusEncoder, OpusParams, OPUS_PAYLOAD_TYPE, OPUS_RTP_CLOCK_RATE};
use crate::codec::{Decoder, Encoder};
use crate::dtmf::DtmfError;
use crate::jitter::JitterError;
use crate::quality::CodecImpairment;
use crate::rtcp::RtcpError;

/// The RTP payload type RFC 3551 §6 assigns to comfort noise (RFC 3389).
pub const CN_PAYLOAD_TYPE: u8 = 13;

/// An audio codec the session can encode and decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodecKind {
    /// G.711 µ-law (RFC 3551 §4.5.14), static payload type 0.
    Pcmu,
    /// G.711 A-law (RFC 3551 §4.5.14), static payload type 8.
    Pcma,
    /// G.722 (RFC 3551 §4.5.2), static payload type 9: 16 kHz audio on an 8000 Hz RTP clock.
    G722,
    /// Opus (RFC 7587), `opus/48000/2` on a dynamic payload type (111 by default): coded at 8
    /// to 48 kHz, always on a 48000 Hz RTP clock. See [`crate::codec::opus`].
    Opus,
}

/// Every codec, for [`CodecKind::from_rtpmap`].
const ALL: [CodecKind; 4] = [CodecKind::Pcmu, CodecKind::Pcma, CodecKind::G722, CodecKind::Opus];

impl CodecKind {
    /// The encoding name of the SDP `rtpmap` (RFC 3551 §6, Table 4).
    pub fn name(self) -> &'static str {
        match self {
            CodecKind::Pcmu => "PCMU",
            CodecKind::Pcma => "PCMA",
            CodecKind::G722 => "G722",
            CodecKind::Opus => "opus",
        }
    }

    /// The codec for an `rtpmap` encoding name (case-insensitive) and clock rate, if supported.
    /// Opus is `opus/48000` (its channel count, always 2 in SDP, RFC 7587 §7, is not looked at).
    pub fn from_rtpmap(name: &str, clock_rate: u32) -> Option<Self> {
        let kind = ALL.into_iter().find(|k| k.name().eq_ignore_ascii_case(name))?;
        (kind.rtp_clock_rate() == clock_rate).then_some(kind)
    }

    /// The static payload type of RFC 3551 §6 (Table 4). Opus has none (RFC 7587 §7): this is
    /// then the dynamic payload type we choose by default, [`OPUS_PAYLOAD_TYPE`] (111).
    pub fn static_payload_type(self) -> u8 {
        match self {
            CodecKind::Pcmu => 0,
            CodecKind::Pcma => 8,
            CodecKind::G722 => 9,
            CodecKind::Opus => OPUS_PAYLOAD_TYPE,
        }
    }

    /// Whether the payload type is dynamic, agreed in the SDP (Opus), rather than static.
    pub fn has_dynamic_payload_type(self) -> bool {
        self == CodecKind::Opus
    }

    /// The RTP clock rate: 8000 Hz for G.711 and for G.722 too (RFC 3551 §4.5.2), 48000 Hz for
    /// Opus whatever rate it codes at (RFC 7587 §4.1).
    pub fn rtp_clock_rate(self) -> u32 {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma | CodecKind::G722 => 8000,
            CodecKind::Opus => OPUS_RTP_CLOCK_RATE,
        }
    }

    /// The rate of the PCM the codec codes: for Opus its full rate, 48 kHz, although the
    /// session runs libopus at [`CodecKind::encode_rate`] and [`CodecKind::decode_rate`].
    pub fn sample_rate(self) -> u32 {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma => 8000,
            CodecKind::G722 => 16000,
            CodecKind::Opus => 48000,
        }
    }

    /// The rate the session's encoder takes PCM at, with the sound device at `device_rate` Hz
    /// (the device's PCM is resampled to it): [`CodecKind::sample_rate`], except for Opus
    /// ([`OpusParams::encode_rate`]: 16 kHz wideband at our default bit rate).
    pub fn encode_rate(self, device_rate: u32, opus: &OpusParams) -> u32 {
        match self {
            CodecKind::Opus => opus.encode_rate(device_rate),
            _ => self.sample_rate(),
        }
    }

    /// The rate the session's decoder yields PCM at, with the sound device at `device_rate` Hz
    /// (it is resampled to the device's): [`CodecKind::sample_rate`], except for Opus, which
    /// decodes straight to the device's rate when libopus can ([`opus::decode_rate`]).
    pub fn decode_rate(self, device_rate: u32) -> u32 {
        match self {
            CodecKind::Opus => opus::decode_rate(device_rate),
            _ => self.sample_rate(),
        }
    }

    /// The payload bit rate we send at: 64 kbit/s for G.711 and G.722, the average bit rate
    /// of `opus` for Opus.
    pub fn bit_rate(self, opus: &OpusParams) -> u32 {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma | CodecKind::G722 => 64_000,
            CodecKind::Opus => opus.max_average_bitrate,
        }
    }

    /// The codec's delay beyond the frame (its look-ahead), in ms: none counted for G.711 and
    /// G.722, 6.5 ms for Opus (libopus's 2.5 ms look-ahead plus 4 ms delay compensation in
    /// the VOIP application, RFC 6716 §2).
    pub fn lookahead_ms(self) -> f64 {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma | CodecKind::G722 => 0.0,
            CodecKind::Opus => 6.5,
        }
    }

    /// Whether the codec carries wideband (50–7000 Hz) audio or more.
    pub fn is_wideband(self) -> bool {
        matches!(self, CodecKind::G722 | CodecKind::Opus)
    }

    /// The E-model planning values of the codec with our loss concealment (ITU-T G.113; for
    /// Opus a documented approximation, [`CodecImpairment::OPUS_PLC`]).
    pub fn impairment(self) -> CodecImpairment {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma => CodecImpairment::G711_PLC,
            CodecKind::G722 => CodecImpairment::G722_PLC,
            CodecKind::Opus => CodecImpairment::OPUS_PLC,
        }
    }

    /// A fresh encoder taking PCM at [`CodecKind::sample_rate`] (Opus: 48 kHz with
    /// [`OpusParams::default`]).
    pub fn encoder(self) -> Box<dyn Encoder + Send> {
        self.encoder_at(self.sample_rate(), &OpusParams::default())
    }

    /// A fresh decoder yielding PCM at [`CodecKind::sample_rate`].
    pub fn decoder(self) -> Box<dyn Decoder + Send> {
        self.decoder_at(self.sample_rate())
    }

    /// The session's encoder for a device at `device_rate` Hz: at
    /// [`CodecKind::encode_rate`], coding Opus with `opus`.
    pub fn session_encoder(self, device_rate: u32, opus: &OpusParams) -> Box<dyn Encoder + Send> {
        self.encoder_at(self.encode_rate(device_rate, opus), opus)
    }

    /// The session's decoder for a device at `device_rate` Hz: at [`CodecKind::decode_rate`].
    pub fn session_decoder(self, device_rate: u32) -> Box<dyn Decoder + Send> {
        self.decoder_at(self.decode_rate(device_rate))
    }

    /// An encoder at `rate`, which is the codec's own for all but Opus and one of
    /// [`opus::OPUS_RATES`] for Opus.
    fn encoder_at(self, rate: u32, opus: &OpusParams) -> Box<dyn Encoder + Send> {
        match self {
            CodecKind::Pcmu => Box::new(PcmuEncoder::new()),
            CodecKind::Pcma => Box::new(PcmaEncoder::new()),
            CodecKind::G722 => Box::new(G722Encoder::new()),
            // libopus fails only for a rate outside OPUS_RATES, which encode_rate never gives,
            // or when it cannot allocate its state, where Rust itself would abort.
            CodecKind::Opus => Box::new(OpusEncoder::new(rate, opus).expect("libopus encoder")),
        }
    }

    /// A decoder at `rate`; see [`CodecKind::encoder_at`].
    fn decoder_at(self, rate: u32) -> Box<dyn Decoder + Send> {
        match self {
            CodecKind::Pcmu => Box::new(PcmuDecoder::new()),
            CodecKind::Pcma => Box::new(PcmaDecoder::new()),
            CodecKind::G722 => Box::new(G722Decoder::new()),
            CodecKind::Opus => Box::new(OpusDecoder::new(rate).expect("libopus decoder")),
        }
    }
}

/// One codec both sides agreed on in offer/answer (RFC 3264 §5.1: each side names the payload
/// type it wants to receive a format with, so the two may differ for dynamic types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgreedCodec {
    /// The codec.
    pub kind: CodecKind,
    /// The payload type the peer's SDP gave it: we send with it.
    pub send_pt: u8,
    /// The payload type our SDP gave it: we receive with it.
    pub recv_pt: u8,
}

impl AgreedCodec {
    /// The codec on its static payload type in both directions (RFC 3551 §6).
    pub fn new(kind: CodecKind) -> Self {
        let pt = kind.static_payload_type();
        Self { kind, send_pt: pt, recv_pt: pt }
    }
}

/// The agreed `telephone-event` payload types (RFC 4733 §7.1.1); its clock is the audio's, as
/// RFC 4733 §2.5.1.2 wants events in the audio's timestamp space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// The payload type we send events with (the peer's SDP).
    pub send_pt: u8,
    /// The payload type we receive events with (our SDP).
    pub recv_pt: u8,
}

/// The media direction of the call from our side (RFC 3264 §5.1, §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// We send and receive.
    #[default]
    SendRecv,
    /// We send only (we hold the peer on music, or it holds us).
    SendOnly,
    /// We receive only.
    RecvOnly,
    /// Neither; RTCP still flows (RFC 3264 §5.1).
    Inactive,
}

impl Direction {
    /// Whether we send RTP.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether we play received RTP.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }
}

/// Everything a [`super::MediaSession`] needs to know; [`SessionConfig::new`] fills in the
/// defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// The agreed audio codecs; the first is the one we send until
    /// [`super::MediaSession::set_send_codec`] switches. We decode every one of them.
    pub codecs: Vec<AgreedCodec>,
    /// The agreed `telephone-event` payload types, if events were negotiated (RFC 4733).
    pub telephone_event: Option<TelephoneEvent>,
    /// The payload type we accept comfort noise on (RFC 3389; [`CN_PAYLOAD_TYPE`] by default).
    pub comfort_noise_pt: Option<u8>,
    /// The packetization time: 10 to 120 ms in whole 10 ms steps (RFC 3551 §4.5; default 20).
    pub ptime: Duration,
    /// Our media direction.
    pub direction: Direction,
    /// Where the peer's SDP says to send RTP.
    pub remote_rtp: SocketAddr,
    /// Where to send RTCP: the peer's `a=rtcp` (RFC 3605) or RTP port + 1 (RFC 3550 §11).
    pub remote_rtcp: SocketAddr,
    /// RTP and RTCP share one port (RFC 5761): RTCP goes to the RTP address.
    pub rtcp_mux: bool,
    /// The sound device's sample rate: 8000, 16000, 24000, 32000 or 48000 Hz.
    pub device_rate: u32,
    /// How we code Opus: the peer's `a=fmtp` for its Opus payload type, read by
    /// [`OpusParams::from_fmtp`] (RFC 7587 §6.1); [`OpusParams::default`] (24 kbit/s wideband,
    /// in-band FEC) when it is not known. Unused without Opus.
    pub opus: OpusParams,
    /// Symmetric RTP latching (RFC 4961 §3, "comedia"): after this many valid packets in a row
    /// from one source address with one SSRC, we send our RTP there. `None` turns it off.
    pub latch_after: Option<u32>,
    /// Report [`super::SessionEvent::Timeout`] after this long without valid RTP while we
    /// receive. `None` turns it off.
    pub rtp_timeout: Option<Duration>,
    /// Our RTCP CNAME (RFC 3550 §6.5.1); `None` draws a random one (RFC 7022 §4.1).
    pub cname: Option<String>,
    /// The jitter buffer's lowest playout delay.
    pub min_delay: Duration,
    /// The jitter buffer's highest playout delay.
    pub max_delay: Duration,
    /// The RTCP minimum interval (RFC 3550 §6.2 Tmin, 5 s).
    pub rtcp_min_interval: Duration,
    /// The NTP time of the `now` given to [`super::MediaSession::new`], if the edge knows the
    /// wallclock; otherwise SR timestamps count from an arbitrary epoch (RFC 3550 §6.4.1 allows
    /// elapsed time), which is all round-trip times need.
    pub ntp_epoch: Option<u64>,
}

impl SessionConfig {
    /// A send-receive configuration for `codecs`, sending RTP to `remote_rtp` and RTCP to the
    /// next port, playing at `device_rate` Hz, with 20 ms packets, comfort noise on payload type
    /// 13, latching after 5 packets, a 30 s RTP timeout and a 20–400 ms jitter buffer.
    pub fn new(codecs: Vec<AgreedCodec>, remote_rtp: SocketAddr, device_rate: u32) -> Self {
        let mut remote_rtcp = remote_rtp;
        remote_rtcp.set_port(remote_rtp.port().wrapping_add(1));
        Self {
            codecs,
            telephone_event: None,
            comfort_noise_pt: Some(CN_PAYLOAD_TYPE),
            ptime: Duration::from_millis(20),
            direction: Direction::SendRecv,
            remote_rtp,
            remote_rtcp,
            rtcp_mux: false,
            device_rate,
            opus: OpusParams::default(),
            latch_after: Some(5),
            rtp_timeout: Some(Duration::from_secs(30)),
            cname: None,
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(400),
            rtcp_min_interval: crate::rtcp::interval::MIN_INTERVAL,
            ntp_epoch: None,
        }
    }
}

/// Why a session could not be built or refused a call: always our caller's fault, never the
/// peer's (peer packets are dropped and counted, see [`super::SessionStats`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The configuration lists no codec.
    #[error("no agreed codec")]
    NoCodecs,
    /// A payload type does not fit the 7-bit field, or is one RFC 5761 §4 keeps for RTCP
    /// demultiplexing (64 to 95).
    #[error("payload type {payload_type} is not usable for RTP")]
    InvalidPayloadType {
        /// The refused payload type.
        payload_type: u8,
    },
    /// Two formats receive on the same payload type.
    #[error("payload type {payload_type} is agreed for two formats")]
    DuplicatePayloadType {
        /// The payload type.
        payload_type: u8,
    },
    /// The packetization time is not 10 to 120 ms in whole 10 ms steps.
    #[error("ptime {ptime:?} is not 10 to 120 ms in 10 ms steps")]
    UnsupportedPtime {
        /// The refused ptime.
        ptime: Duration,
    },
    /// The device rate cannot be resampled from and to the codecs' rates.
    #[error("device rate {rate} Hz is not supported")]
    UnsupportedDeviceRate {
        /// The refused rate.
        rate: u32,
        /// Why the resampler refused it.
        #[source]
        source: ResampleError,
    },
    /// The CNAME does not fit an SDES item (RFC 3550 §6.5).
    #[error("CNAME of {len} bytes exceeds 255")]
    CnameTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The jitter buffer refused its configuration (delay range).
    #[error("jitter buffer: {0}")]
    Jitter(#[from] JitterError),
    /// The DTMF sender refused a digit or its queue is full.
    #[error("DTMF: {0}")]
    Dtmf(#[from] DtmfError),
    /// Our RTCP packet could not be written.
    #[error("RTCP: {0}")]
    Rtcp(#[from] RtcpError),
    /// `send_audio` got a frame of another length than one ptime at the device rate.
    #[error("audio frame of {got} samples, expected {expected}")]
    FrameSize {
        /// Samples in one ptime at the device rate.
        expected: usize,
        /// Samples given.
        got: usize,
    },
    /// The payload type is not one of the agreed codecs' send payload types.
    #[error("payload type {payload_type} is not an agreed codec")]
    NotNegotiated {
        /// The payload type asked for.
        payload_type: u8,
    },
    /// DTMF was asked for but `telephone-event` was not negotiated.
    #[error("telephone-event was not negotiated")]
    NoTelephoneEvent,
    /// DTMF was asked for while the direction does not send.
    #[error("media direction does not send")]
    NotSending,
    /// The session was stopped.
    #[error("session stopped")]
    Stopped,
}

/// Whether `pt` may carry RTP: 7 bits, outside the 64–95 that RFC 5761 §4 keeps for RTCP.
fn usable(pt: u8) -> bool {
    pt <= 127 && !(64..=95).contains(&pt)
}

/// Marks `pt` as taken in `taken`, refusing unusable or already-taken payload types.
fn claim(taken: &mut [bool; 128], pt: u8) -> Result<(), SessionError> {
    if !usable(pt) {
        return Err(SessionError::InvalidPayloadType { payload_type: pt });
    }
    let slot = &mut taken[usize::from(pt)];
    if *slot {
        return Err(SessionError::DuplicatePayloadType { payload_type: pt });
    }
    *slot = true;
    Ok(())
}

/// Checks a configuration before a session is built.
pub(super) fn validate(config: &SessionConfig) -> Result<(), SessionError> {
    if config.codecs.is_empty() {
        return Err(SessionError::NoCodecs);
    }
    let (mut recv, mut send) = ([false; 128], [false; 128]);
    for codec in &config.codecs {
        claim(&mut recv, codec.recv_pt)?;
        claim(&mut send, codec.send_pt)?;
    }
    if let Some(te) = config.telephone_event {
        claim(&mut recv, te.recv_pt)?;
        claim(&mut send, te.send_pt)?;
    }
    if let Some(cn) = config.comfort_noise_pt {
        claim(&mut recv, cn)?;
    }
    let ptime = config.ptime;
    let tens = ptime.as_nanos() / 10_000_000;
    if !ptime.as_nanos().is_multiple_of(10_000_000) || !(1..=12).contains(&tens) {
        return Err(SessionError::UnsupportedPtime { ptime });
    }
    let rate = config.device_rate;
    for codec in &config.codecs {
        super::Resampler::new(rate, codec.kind.encode_rate(rate, &config.opus))
            .and_then(|_| super::Resampler::new(codec.kind.decode_rate(rate), rate))
            .map_err(|source| SessionError::UnsupportedDeviceRate { rate, source })?;
    }
    if let Some(cname) = &config.cname {
        if cname.len() > crate::rtcp::MAX_TEXT_LEN {
            return Err(SessionError::CnameTooLong { len: cname.len() });
        }
    }
    Ok(())
}
