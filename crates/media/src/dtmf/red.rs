//! RFC 2198 redundant audio data, as RFC 4733 uses it to carry retransmitted final event
//! reports (RFC 4733 §2.5.1.4) and to combine tone and event payloads (RFC 4733 §5, Figure 5).
//!
//! A redundant payload starts with one 4-byte header per redundant block (F=1, block payload
//! type, 14-bit timestamp offset, 10-bit block length), then a 1-byte header for the primary
//! block (F=0, payload type), then the block data in header order (RFC 2198 §3).

use super::DtmfError;

/// The F bit: another header follows (RFC 2198 §3).
const FOLLOW_BIT: u8 = 0x80;
/// The largest 14-bit timestamp offset (RFC 2198 §3, RFC 4733 §2.5.1.3.1).
pub const MAX_TIMESTAMP_OFFSET: u16 = 0x3FFF;
/// The largest 10-bit block length (RFC 2198 §3).
pub const MAX_BLOCK_LEN: usize = 0x03FF;

/// One block of a redundant payload (RFC 2198 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RedBlock<'a> {
    /// The block's RTP payload type, 0 to 127.
    pub payload_type: u8,
    /// How far the block's timestamp lies before the packet's RTP timestamp; 0 for the primary
    /// block, which is the last.
    pub timestamp_offset: u16,
    /// The block's payload.
    pub data: &'a [u8],
}

impl RedBlock<'_> {
    /// The block's own RTP timestamp, given the packet's (RFC 2198 §3).
    pub fn timestamp(&self, packet_timestamp: u32) -> u32 {
        packet_timestamp.wrapping_sub(u32::from(self.timestamp_offset))
    }
}

/// Splits a redundant payload into its blocks, redundant blocks first and the primary last
/// (RFC 2198 §3).
pub fn parse(payload: &[u8]) -> Result<Vec<RedBlock<'_>>, DtmfError> {
    let mut headers = Vec::new();
    let mut pos = 0;
    let primary_type = loop {
        let Some(&first) = payload.get(pos) else {
            return Err(DtmfError::RedTruncated);
        };
        if first & FOLLOW_BIT == 0 {
            pos += 1;
            break first;
        }
        let Some(h) = payload.get(pos..pos + 4) else {
            return Err(DtmfError::RedTruncated);
        };
        let offset = u16::from_be_bytes([h[1], h[2]]) >> 2;
        let len = (usize::from(h[2] & 0x03) << 8) | usize::from(h[3]);
        headers.push((first & !FOLLOW_BIT, offset, len));
        pos += 4;
    };
    let mut blocks = Vec::with_capacity(headers.len() + 1);
    for (payload_type, timestamp_offset, len) in headers {
        let Some(data) = payload.get(pos..pos + len) else {
            return Err(DtmfError::RedBlockOverrun { len });
        };
        blocks.push(RedBlock { payload_type, timestamp_offset, data });
        pos += len;
    }
    blocks.push(RedBlock { payload_type: primary_type, timestamp_offset: 0, data: &payload[pos..] });
    Ok(blocks)
}

/// Appends the redundant payload made of `blocks` to `out`: all blocks but the last are
/// redundant, the last is the primary and its timestamp offset is not sent (RFC 2198 §3).
pub fn write(blocks: &[RedBlock<'_>], out: &mut Vec<u8>) -> Result<(), DtmfError> {
    let Some((primary, redundant)) = blocks.split_last() else {
        return Err(DtmfError::RedNoBlocks);
    };
    for block in blocks {
        if block.payload_type > 0x7F {
            return Err(DtmfError::RedPayloadType { pt: block.payload_type });
        }
    }
    for block in redundant {
        if block.timestamp_offset > MAX_TIMESTAMP_OFFSET {
            return Err(DtmfError::RedOffsetOutOfRange { offset: u32::from(block.timestamp_offset) });
        }
        if block.data.len() > MAX_BLOCK_LEN {
            return Err(DtmfError::RedBlockTooLong { len: block.data.len() });
        }
    }
    for block in redundant {
        let len = block.data.len() as u16;
        let offset_and_len_high = (block.timestamp_offset << 2) | (len >> 8);
        out.push(FOLLOW_BIT | block.payload_type);
        out.extend_from_slice(&offset_and_len_high.to_be_bytes());
        out.push(len as u8);
    }
    out.push(primary.payload_type);
    for block in blocks {
        out.extend_from_slice(block.data);
    }
    Ok(())
}
