//! RTCP (RFC 3550 §6): the compound packets a two-party audio session exchanges, the receiver
//! statistics behind their report blocks, and the transmission interval.
//!
//! * [`parse_compound`] validates a received compound packet the way RFC 3550 Appendix A.2 does
//!   (version 2 in every packet, an SR or RR first, padding only in the last packet, lengths that
//!   add up to the datagram) and reads the SR, RR, SDES and BYE packets through the zero-copy
//!   views of [`rtcp_types`] into small owned values ([`RtcpPacket`]). A malformed compound is
//!   refused with a precise [`RtcpError`] and never panics.
//! * [`CompoundPacket::write`] builds ours: SR or RR, SDES CNAME, and BYE at the end of a call
//!   (RFC 3550 §6.1: every compound packet starts with a report and carries the CNAME).
//! * [`reception`] keeps the per-source state of RFC 3550 A.1 (sequence validation), A.3 (loss)
//!   and A.8 (interarrival jitter) that a report block is made of.
//! * [`interval`] computes the reporting interval of RFC 3550 §6.2 and A.7.
//! * [`is_rtcp`] tells RTCP from RTP on a multiplexed port (RFC 5761 §4).

pub mod interval;
pub mod reception;

use std::time::Duration;

use rtcp_types::{RtcpPacketParser, RtcpPacketWriterExt};
use thiserror::Error;

/// Packet type of a sender report (RFC 3550 §6.4.1).
pub const PT_SR: u8 = 200;
/// Packet type of a receiver report (RFC 3550 §6.4.2).
pub const PT_RR: u8 = 201;
/// Packet type of a source description (RFC 3550 §6.5).
pub const PT_SDES: u8 = 202;
/// Packet type of a goodbye (RFC 3550 §6.6).
pub const PT_BYE: u8 = 203;
/// Packet type of an application-defined packet (RFC 3550 §6.7).
pub const PT_APP: u8 = 204;
/// The most report blocks one SR or RR holds (RFC 3550 §6.4.1: the 5-bit RC field).
pub const MAX_REPORT_BLOCKS: usize = 31;
/// The longest SDES item or BYE reason, in bytes (RFC 3550 §6.5, §6.6: an 8-bit length).
pub const MAX_TEXT_LEN: usize = 255;

/// Why a received compound RTCP packet was refused (RFC 3550 A.2), or ours could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RtcpError {
    /// The datagram, or the rest of it at `offset`, is shorter than a 4-byte RTCP header.
    #[error("RTCP packet at offset {offset} is shorter than its 4-byte header")]
    Truncated {
        /// Where the truncated packet starts.
        offset: usize,
    },
    /// A packet's version is not 2 (RFC 3550 §6.4.1, A.2).
    #[error("RTCP packet at offset {offset} has version {version}")]
    BadVersion {
        /// The version field.
        version: u8,
        /// Where the packet starts.
        offset: usize,
    },
    /// A packet's length field runs past the end of the datagram (RFC 3550 A.2).
    #[error("RTCP packet at offset {offset} declares {declared} bytes but {available} remain")]
    LengthOverflow {
        /// Bytes the length field declares, header included.
        declared: usize,
        /// Bytes left in the datagram.
        available: usize,
        /// Where the packet starts.
        offset: usize,
    },
    /// A packet other than the last has its padding bit set (RFC 3550 §6.4.1, A.2).
    #[error("RTCP packet at offset {offset} is padded but not last")]
    PaddingNotLast {
        /// Where the packet starts.
        offset: usize,
    },
    /// The last packet's padding count is zero or larger than the packet (RFC 3550 §6.4.1).
    #[error("RTCP padding count {padding} is invalid for a packet of {len} bytes")]
    BadPadding {
        /// The padding count.
        padding: u8,
        /// The padded packet's length.
        len: usize,
    },
    /// The compound packet does not start with an SR or RR (RFC 3550 §6.1, A.2).
    #[error("compound RTCP packet starts with packet type {packet_type}, not SR or RR")]
    FirstNotReport {
        /// The first packet's type.
        packet_type: u8,
    },
    /// An SR, RR, SDES or BYE whose body does not match its header (RFC 3550 §6.4 to §6.6).
    #[error("malformed RTCP packet of type {packet_type} at offset {offset}")]
    Malformed {
        /// The packet type.
        packet_type: u8,
        /// Where the packet starts.
        offset: usize,
    },
    /// Our CNAME or BYE reason is longer than an 8-bit length allows (RFC 3550 §6.5, §6.6).
    #[error("RTCP text of {len} bytes exceeds 255")]
    TextTooLong {
        /// The text's length in bytes.
        len: usize,
    },
    /// More report blocks than the 5-bit count allows (RFC 3550 §6.4.1).
    #[error("{count} report blocks exceed 31")]
    TooManyReportBlocks {
        /// The number of blocks.
        count: usize,
    },
    /// rtcp-types refused to write the packet.
    #[error("RTCP packet could not be written: {message}")]
    Encode {
        /// rtcp-types' description.
        message: String,
    },
}

/// A 64-bit NTP timestamp: seconds since 1900 in the high 32 bits, the fraction in the low 32
/// (RFC 3550 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NtpTime(pub u64);

impl NtpTime {
    /// The middle 32 bits: the "compact" 16.16 form used by LSR and round-trip times (RFC 3550
    /// §4, §6.4.1).
    pub fn compact(self) -> u32 {
        (self.0 >> 16) as u32
    }
}

impl std::ops::Add<Duration> for NtpTime {
    type Output = NtpTime;

    /// This time plus `elapsed`, wrapping like NTP does (RFC 5905 §6: eras wrap every 2^32 s).
    fn add(self, elapsed: Duration) -> NtpTime {
        let fraction = (u64::from(elapsed.subsec_nanos()) << 32) / 1_000_000_000;
        NtpTime(self.0.wrapping_add(elapsed.as_secs().wrapping_shl(32)).wrapping_add(fraction))
    }
}

/// Converts a compact 16.16 NTP duration (RFC 3550 §6.4.1 DLSR, round-trip times) to a
/// [`Duration`].
pub fn compact_to_duration(compact: u32) -> Duration {
    Duration::from_nanos(u64::from(compact) * 1_000_000_000 / 65_536)
}

/// Converts a [`Duration`] to compact 16.16 NTP units (RFC 3550 §6.4.1 DLSR), saturating.
pub fn duration_to_compact(duration: Duration) -> u32 {
    u32::try_from(duration.as_nanos() * 65_536 / 1_000_000_000).unwrap_or(u32::MAX)
}

/// The sender information of an SR (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderInfo {
    /// The wallclock time when the report was sent.
    pub ntp: NtpTime,
    /// The same instant in the RTP timestamp units of the sender's stream.
    pub rtp_timestamp: u32,
    /// RTP data packets sent since the sender started (wrapping).
    pub packet_count: u32,
    /// RTP payload octets sent since the sender started (wrapping).
    pub octet_count: u32,
}

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock {
    /// The source the block is about.
    pub ssrc: u32,
    /// Packets lost since the previous report, as a fraction of 256.
    pub fraction_lost: u8,
    /// Packets lost since reception began: a signed 24-bit value (duplicates can make it
    /// negative).
    pub cumulative_lost: i32,
    /// Highest sequence number received, with the wrap count in the high 16 bits.
    pub extended_highest_seq: u32,
    /// Interarrival jitter in RTP timestamp units (RFC 3550 §6.4.1, A.8).
    pub jitter: u32,
    /// The compact NTP time of the last SR received from the source, 0 if none.
    pub last_sr: u32,
    /// The delay since that SR, in 1/65536 s, 0 if none.
    pub delay_since_last_sr: u32,
}

/// One SDES chunk, reduced to what a phone uses: the CNAME (RFC 3550 §6.5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesChunk {
    /// The source described.
    pub ssrc: u32,
    /// Its canonical name, if the chunk has one in UTF-8.
    pub cname: Option<String>,
}

/// One packet of a received compound RTCP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpPacket {
    /// A sender report (RFC 3550 §6.4.1).
    SenderReport {
        /// The sender.
        ssrc: u32,
        /// Its sender information.
        info: SenderInfo,
        /// Its reception reports.
        blocks: Vec<ReportBlock>,
    },
    /// A receiver report (RFC 3550 §6.4.2).
    ReceiverReport {
        /// The reporter.
        ssrc: u32,
        /// Its reception reports.
        blocks: Vec<ReportBlock>,
    },
    /// A source description (RFC 3550 §6.5).
    SourceDescription {
        /// The chunks, one per source.
        chunks: Vec<SdesChunk>,
    },
    /// A goodbye (RFC 3550 §6.6).
    Goodbye {
        /// The sources leaving.
        sources: Vec<u32>,
        /// The reason, if given in UTF-8.
        reason: Option<String>,
    },
    /// APP, feedback, XR or an unknown type: understood as well-formed and otherwise ignored.
    Other {
        /// The packet type.
        packet_type: u8,
    },
}

/// `true` when `bytes` look like RTCP rather than RTP on a multiplexed port: version 2 and a
/// second octet in 192..=223, i.e. an RTP marker plus payload type 64 to 95, which RFC 5761 §4
/// keeps free for this.
pub fn is_rtcp(bytes: &[u8]) -> bool {
    matches!(bytes, [first, second, ..] if first >> 6 == 2 && (192..=223).contains(second))
}

/// Validates a compound RTCP packet (RFC 3550 §6.1, A.2) and reads its packets.
pub fn parse_compound(bytes: &[u8]) -> Result<Vec<RtcpPacket>, RtcpError> {
    let mut packets = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        let [first, packet_type, len_hi, len_lo, ..] = *rest else {
            return Err(RtcpError::Truncated { offset });
        };
        let version = first >> 6;
        if version != 2 {
            return Err(RtcpError::BadVersion { version, offset });
        }
        if offset == 0 && packet_type != PT_SR && packet_type != PT_RR {
            return Err(RtcpError::FirstNotReport { packet_type });
        }
        let declared = 4 * (usize::from(u16::from_be_bytes([len_hi, len_lo])) + 1);
        if declared > rest.len() {
            return Err(RtcpError::LengthOverflow { declared, available: rest.len(), offset });
        }
        let packet = &rest[..declared];
        if first & 0x20 != 0 {
            if declared != rest.len() {
                return Err(RtcpError::PaddingNotLast { offset });
            }
            let padding = packet[declared - 1];
            if padding == 0 || usize::from(padding) > declared - 4 {
                return Err(RtcpError::BadPadding { padding, len: declared });
            }
        }
        packets.push(read_packet(packet, offset)?);
        offset += declared;
    }
    if packets.is_empty() {
        return Err(RtcpError::Truncated { offset: 0 });
    }
    Ok(packets)
}

/// Reads one packet whose header [`parse_compound`] has checked.
fn read_packet(packet: &[u8], offset: usize) -> Result<RtcpPacket, RtcpError> {
    let packet_type = packet[1];
    let malformed = |_| RtcpError::Malformed { packet_type, offset };
    let parsed = match packet_type {
        PT_SR => {
            let sr = rtcp_types::SenderReport::parse(packet).map_err(malformed)?;
            RtcpPacket::SenderReport {
                ssrc: sr.ssrc(),
                info: SenderInfo {
                    ntp: NtpTime(sr.ntp_timestamp()),
                    rtp_timestamp: sr.rtp_timestamp(),
                    packet_count: sr.packet_count(),
                    octet_count: sr.octet_count(),
                },
                blocks: sr.report_blocks().map(|b| block_from(&b)).collect(),
            }
        }
        PT_RR => {
            let rr = rtcp_types::ReceiverReport::parse(packet).map_err(malformed)?;
            RtcpPacket::ReceiverReport { ssrc: rr.ssrc(), blocks: rr.report_blocks().map(|b| block_from(&b)).collect() }
        }
        PT_SDES => {
            let sdes = rtcp_types::Sdes::parse(packet).map_err(malformed)?;
            let chunks = sdes
                .chunks()
                .map(|chunk| SdesChunk {
                    ssrc: chunk.ssrc(),
                    cname: chunk
                        .items()
                        .find(|item| item.type_() == rtcp_types::SdesItem::CNAME)
                        .and_then(|item| String::from_utf8(item.value().to_vec()).ok()),
                })
                .collect();
            RtcpPacket::SourceDescription { chunks }
        }
        PT_BYE => {
            let bye = rtcp_types::Bye::parse(packet).map_err(malformed)?;
            let reason = bye.reason().and_then(|r| String::from_utf8(r.to_vec()).ok());
            RtcpPacket::Goodbye { sources: bye.ssrcs().collect(), reason }
        }
        _ => RtcpPacket::Other { packet_type },
    };
    Ok(parsed)
}

fn block_from(block: &rtcp_types::ReportBlock<'_>) -> ReportBlock {
    // Sign-extend the 24-bit cumulative loss (RFC 3550 §6.4.1).
    let raw = block.cumulative_lost();
    let cumulative_lost = ((raw << 8) as i32) >> 8;
    ReportBlock {
        ssrc: block.ssrc(),
        fraction_lost: block.fraction_lost(),
        cumulative_lost,
        extended_highest_seq: block.extended_sequence_number(),
        jitter: block.interarrival_jitter(),
        last_sr: block.last_sender_report_timestamp(),
        delay_since_last_sr: block.delay_since_last_sender_report_timestamp(),
    }
}

/// The compound packet we send (RFC 3550 §6.1): an SR when `sender` is given, else an RR; then
/// an SDES with our CNAME; then, at the end of the call, a BYE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompoundPacket<'a> {
    /// Our SSRC.
    pub ssrc: u32,
    /// Our sender information, when we sent RTP since the last report (RFC 3550 §6.4).
    pub sender: Option<SenderInfo>,
    /// Reception report blocks, at most 31.
    pub blocks: &'a [ReportBlock],
    /// Our CNAME (RFC 3550 §6.5.1), at most 255 bytes.
    pub cname: &'a str,
    /// `Some` to end with a BYE (RFC 3550 §6.6), with an optional reason of at most 255 bytes.
    pub bye: Option<Option<&'a str>>,
}

impl CompoundPacket<'_> {
    /// Appends the compound packet to `out`.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), RtcpError> {
        if self.blocks.len() > MAX_REPORT_BLOCKS {
            return Err(RtcpError::TooManyReportBlocks { count: self.blocks.len() });
        }
        let long = [Some(self.cname), self.bye.flatten()].into_iter().flatten().find(|t| t.len() > MAX_TEXT_LEN);
        if let Some(text) = long {
            return Err(RtcpError::TextTooLong { len: text.len() });
        }
        let mut compound = rtcp_types::Compound::builder();
        compound = match self.sender {
            Some(info) => {
                let mut sr = rtcp_types::SenderReport::builder(self.ssrc)
                    .ntp_timestamp(info.ntp.0)
                    .rtp_timestamp(info.rtp_timestamp)
                    .packet_count(info.packet_count)
                    .octet_count(info.octet_count);
                for block in self.blocks {
                    sr = sr.add_report_block(block_builder(block));
                }
                compound.add_packet(sr)
            }
            None => {
                let mut rr = rtcp_types::ReceiverReport::builder(self.ssrc);
                for block in self.blocks {
                    rr = rr.add_report_block(block_builder(block));
                }
                compound.add_packet(rr)
            }
        };
        let item = rtcp_types::SdesItem::builder(rtcp_types::SdesItem::CNAME, self.cname);
        let chunk = rtcp_types::SdesChunk::builder(self.ssrc).add_item(item);
        compound = compound.add_packet(rtcp_types::Sdes::builder().add_chunk(chunk));
        if let Some(reason) = self.bye {
            let mut bye = rtcp_types::Bye::builder().add_source(self.ssrc);
            if let Some(reason) = reason {
                bye = bye.reason(reason);
            }
            compound = compound.add_packet(bye);
        }
        let encode = |e: rtcp_types::RtcpWriteError| RtcpError::Encode { message: e.to_string() };
        let size = rtcp_types::RtcpPacketWriter::calculate_size(&compound).map_err(encode)?;
        let start = out.len();
        out.resize(start + size, 0);
        let written = compound.write_into(&mut out[start..]).map_err(encode)?;
        out.truncate(start + written);
        Ok(())
    }
}

fn block_builder(block: &ReportBlock) -> rtcp_types::ReportBlockBuilder {
    // Clamp to the signed 24-bit range, then keep the two's-complement low 24 bits.
    let lost = block.cumulative_lost.clamp(-0x80_0000, 0x7F_FFFF) as u32 & 0xFF_FFFF;
    rtcp_types::ReportBlock::builder(block.ssrc)
        .fraction_lost(block.fraction_lost)
        .cumulative_lost(lost)
        .extended_sequence_number(block.extended_highest_seq)
        .interarrival_jitter(block.jitter)
        .last_sender_report_timestamp(block.last_sr)
        .delay_since_last_sender_report_timestamp(block.delay_since_last_sr)
}
