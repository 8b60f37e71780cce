//! RTP packets (RFC 3550 §5): a validated zero-copy view of a received packet and the writer of
//! the packets we send.
//!
//! [`RtpView::parse`] applies the header checks of RFC 3550 Appendix A.1 that do not need
//! per-source state (version, the CSRC list, the header extension and the padding count must fit
//! the packet) with one precise [`RtpError`] per fault, then exposes the fields through
//! [`rtp_types::RtpPacket`], which borrows the bytes. A packet that passes can never make an
//! accessor panic, whatever the peer sent.
//!
//! [`RtpHeader::write`] writes the fixed 12-byte header of RFC 3550 §5.1 (no CSRCs, no
//! extension, no padding: a phone is a single source) followed by the payload.

use thiserror::Error;

/// The RTP version this crate speaks (RFC 3550 §5.1).
pub const RTP_VERSION: u8 = 2;
/// Length of the fixed RTP header (RFC 3550 §5.1).
pub const HEADER_LEN: usize = 12;

/// Why a received datagram is not a well-formed RTP packet (RFC 3550 §5.1, §5.3.1, A.1). Always
/// the peer's fault: the packet is dropped and counted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RtpError {
    /// Shorter than the 12-byte fixed header (RFC 3550 §5.1).
    #[error("RTP packet of {len} bytes is shorter than the 12-byte header")]
    Truncated {
        /// The datagram's length.
        len: usize,
    },
    /// The version field is not 2 (RFC 3550 §5.1).
    #[error("RTP version {version} is not 2")]
    BadVersion {
        /// The version field.
        version: u8,
    },
    /// The CSRC count says the list runs past the end of the packet (RFC 3550 §5.1 "CC").
    #[error("{count} CSRCs need {needed} bytes but the packet has {len}")]
    CsrcOverflow {
        /// The CSRC count field.
        count: u8,
        /// Bytes the header and CSRC list need.
        needed: usize,
        /// The datagram's length.
        len: usize,
    },
    /// The X bit is set but the packet ends inside the 4-byte extension header (RFC 3550 §5.3.1).
    #[error("header extension starts at {offset} but the packet has {len} bytes")]
    ExtensionTruncated {
        /// Where the extension header starts.
        offset: usize,
        /// The datagram's length.
        len: usize,
    },
    /// The extension's length field runs past the end of the packet (RFC 3550 §5.3.1).
    #[error("header extension of {declared} bytes overruns the {available} bytes left")]
    ExtensionOverflow {
        /// Bytes of extension data the length field declares.
        declared: usize,
        /// Bytes left after the extension header.
        available: usize,
    },
    /// The P bit is set but the padding count is zero or larger than what follows the header
    /// (RFC 3550 §5.1 "P", A.1).
    #[error("padding count {padding} is zero or exceeds the {available} bytes after the header")]
    BadPadding {
        /// The padding count (the packet's last octet).
        padding: u8,
        /// Bytes after the header, CSRC list and extension.
        available: usize,
    },
}

/// A received RTP packet that passed [`RtpView::parse`]: the fields of RFC 3550 §5.1, read from
/// the borrowed bytes.
#[derive(Debug)]
pub struct RtpView<'a> {
    bytes: &'a [u8],
    packet: rtp_types::RtpPacket<'a>,
}

impl<'a> RtpView<'a> {
    /// Validates `bytes` as an RTP packet (RFC 3550 §5.1, §5.3.1, A.1) without copying it.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, RtpError> {
        let len = bytes.len();
        let (first, payload_start) = match bytes {
            [first, ..] if len >= HEADER_LEN => (*first, HEADER_LEN),
            _ => return Err(RtpError::Truncated { len }),
        };
        let version = first >> 6;
        if version != RTP_VERSION {
            return Err(RtpError::BadVersion { version });
        }
        let count = first & 0x0F;
        let csrc_end = payload_start + 4 * usize::from(count);
        if csrc_end > len {
            return Err(RtpError::CsrcOverflow { count, needed: csrc_end, len });
        }
        let mut header_end = csrc_end;
        if first & 0x10 != 0 {
            let Some(words) = bytes.get(csrc_end + 2..csrc_end + 4) else {
                return Err(RtpError::ExtensionTruncated { offset: csrc_end, len });
            };
            let declared = 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
            let available = len - (csrc_end + 4);
            if declared > available {
                return Err(RtpError::ExtensionOverflow { declared, available });
            }
            header_end = csrc_end + 4 + declared;
        }
        if first & 0x20 != 0 {
            let padding = bytes[len - 1];
            let available = len - header_end;
            if padding == 0 || usize::from(padding) > available {
                return Err(RtpError::BadPadding { padding, available });
            }
        }
        // Every length rtp-types checks was checked above, more precisely.
        let packet = rtp_types::RtpPacket::parse(bytes).map_err(|_| RtpError::Truncated { len })?;
        Ok(Self { bytes, packet })
    }

    /// The marker bit (RFC 3550 §5.1 "M"; for audio, the first packet of a talkspurt, RFC 3551
    /// §4.1).
    pub fn marker(&self) -> bool {
        self.packet.marker_bit()
    }

    /// The payload type, 0 to 127 (RFC 3550 §5.1 "PT").
    pub fn payload_type(&self) -> u8 {
        self.packet.payload_type()
    }

    /// The sequence number (RFC 3550 §5.1).
    pub fn sequence_number(&self) -> u16 {
        self.packet.sequence_number()
    }

    /// The timestamp (RFC 3550 §5.1).
    pub fn timestamp(&self) -> u32 {
        self.packet.timestamp()
    }

    /// The synchronization source (RFC 3550 §5.1 "SSRC").
    pub fn ssrc(&self) -> u32 {
        self.packet.ssrc()
    }

    /// The contributing sources (RFC 3550 §5.1 "CSRC list").
    pub fn csrcs(&self) -> impl Iterator<Item = u32> + '_ {
        self.packet.csrc()
    }

    /// The header extension's profile-defined identifier and data (RFC 3550 §5.3.1), if any.
    pub fn extension(&self) -> Option<(u16, &[u8])> {
        self.packet.extension()
    }

    /// The padding count, if the P bit is set (RFC 3550 §5.1).
    pub fn padding(&self) -> Option<u8> {
        self.packet.padding()
    }

    /// The payload, without header, CSRCs, extension or padding.
    pub fn payload(&self) -> &'a [u8] {
        let start = self.packet.payload_offset();
        let end = self.bytes.len().saturating_sub(usize::from(self.packet.padding().unwrap_or(0)));
        self.bytes.get(start..end).unwrap_or(&[])
    }

    /// The whole packet as received.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

/// The header of an RTP packet we send (RFC 3550 §5.1): version 2, no padding, no extension, no
/// CSRCs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// The marker bit (RFC 3551 §4.1: first packet of a talkspurt; RFC 4733 §2.5.1.1: first
    /// packet of an event).
    pub marker: bool,
    /// The payload type, 0 to 127; higher bits are masked off.
    pub payload_type: u8,
    /// The sequence number.
    pub sequence_number: u16,
    /// The timestamp.
    pub timestamp: u32,
    /// Our synchronization source.
    pub ssrc: u32,
}

impl RtpHeader {
    /// Appends the 12-byte header and then `payload` to `out` (RFC 3550 §5.1).
    pub fn write(&self, payload: &[u8], out: &mut Vec<u8>) {
        out.reserve(HEADER_LEN + payload.len());
        out.push(RTP_VERSION << 6);
        out.push((u8::from(self.marker) << 7) | (self.payload_type & 0x7F));
        out.extend_from_slice(&self.sequence_number.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(payload);
    }
}
