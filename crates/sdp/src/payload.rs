//! The static RTP payload types of the RTP/AVP profile (RFC 3551 §6, Tables 4 and 5), used when
//! an `m=` line lists a payload type with no `a=rtpmap` (RFC 3264 §5.1).

/// The kind of media a static payload type carries (RFC 3551 Tables 4 and 5, column "A/V").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadMedia {
    /// Audio (`A`).
    Audio,
    /// Video (`V`).
    Video,
    /// Audio and video (`AV`, MP2T).
    AudioVideo,
}

/// One row of RFC 3551 Table 4 or 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StaticPayload {
    /// The payload type.
    pub payload_type: u8,
    /// The encoding name.
    pub encoding_name: &'static str,
    /// Audio, video or both.
    pub media: PayloadMedia,
    /// The RTP clock rate in Hz (G722 is 8000 although it samples at 16000, RFC 3551 §4.5.2).
    pub clock_rate: u32,
    /// The channel count (`None` for video, and for MPA, which Table 4 leaves to the text).
    pub channels: Option<u16>,
}

const fn audio(payload_type: u8, encoding_name: &'static str, clock_rate: u32, channels: u16) -> StaticPayload {
    StaticPayload { payload_type, encoding_name, media: PayloadMedia::Audio, clock_rate, channels: Some(channels) }
}

const fn video(payload_type: u8, encoding_name: &'static str, media: PayloadMedia) -> StaticPayload {
    StaticPayload { payload_type, encoding_name, media, clock_rate: 90000, channels: None }
}

/// Every static assignment of RFC 3551 Tables 4 and 5 (reserved and unassigned rows left out).
pub const STATIC_PAYLOADS: &[StaticPayload] = &[
    audio(0, "PCMU", 8000, 1),
    audio(3, "GSM", 8000, 1),
    audio(4, "G723", 8000, 1),
    audio(5, "DVI4", 8000, 1),
    audio(6, "DVI4", 16000, 1),
    audio(7, "LPC", 8000, 1),
    audio(8, "PCMA", 8000, 1),
    audio(9, "G722", 8000, 1),
    audio(10, "L16", 44100, 2),
    audio(11, "L16", 44100, 1),
    audio(12, "QCELP", 8000, 1),
    audio(13, "CN", 8000, 1),
    StaticPayload {
        payload_type: 14,
        encoding_name: "MPA",
        media: PayloadMedia::Audio,
        clock_rate: 90000,
        channels: None,
    },
    audio(15, "G728", 8000, 1),
    audio(16, "DVI4", 11025, 1),
    audio(17, "DVI4", 22050, 1),
    audio(18, "G729", 8000, 1),
    video(25, "CelB", PayloadMedia::Video),
    video(26, "JPEG", PayloadMedia::Video),
    video(28, "nv", PayloadMedia::Video),
    video(31, "H261", PayloadMedia::Video),
    video(32, "MPV", PayloadMedia::Video),
    video(33, "MP2T", PayloadMedia::AudioVideo),
    video(34, "H263", PayloadMedia::Video),
];

/// The static assignment of payload type `pt`, if RFC 3551 makes one.
pub fn static_payload(pt: u8) -> Option<&'static StaticPayload> {
    STATIC_PAYLOADS.iter().find(|p| p.payload_type == pt)
}

/// The static payload type of a codec (name compared case-insensitively), if it has one.
pub fn static_payload_type(encoding_name: &str, clock_rate: u32, channels: u16) -> Option<u8> {
    STATIC_PAYLOADS
        .iter()
        .find(|p| {
            p.encoding_name.eq_ignore_ascii_case(encoding_name)
                && p.clock_rate == clock_rate
                && p.channels.unwrap_or(1) == channels
        })
        .map(|p| p.payload_type)
}

/// The first dynamic payload type (RFC 3551 §3: 96–127 are dynamic).
pub const DYNAMIC_MIN: u8 = 96;
/// The last payload type.
pub const PAYLOAD_TYPE_MAX: u8 = 127;
