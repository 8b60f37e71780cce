//! The `telephone-event` payload (RFC 4733 §2.3, Figure 1) and the `audio/tone` payload
//! (RFC 4733 §4.3.3, Figure 2).

use super::{DtmfError, Event};

/// Bytes in one named-event block (RFC 4733 §2.3, Figure 1).
const BLOCK_LEN: usize = 4;
/// The E ("end") bit in the second byte (RFC 4733 §2.3.2).
const END_BIT: u8 = 0x80;
/// The R (reserved) bit in the second byte (RFC 4733 §2.3.3).
const RESERVED_BIT: u8 = 0x40;
/// The 6-bit volume field (RFC 4733 §2.3.4, §4.3.3).
const VOLUME_MASK: u8 = 0x3F;
/// The largest volume, -63 dBm0 (RFC 4733 §2.3.4).
const MAX_VOLUME: u8 = 63;
/// The largest 12-bit tone frequency (RFC 4733 §4.3.3).
const MAX_FREQUENCY: u16 = 0x0FFF;
/// The largest 9-bit modulation frequency (RFC 4733 §4.3.3).
const MAX_MODULATION: u16 = 0x01FF;

/// One named-event report: the 4-byte block of RFC 4733 §2.3 (Figure 1).
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// |     event     |E|R| volume    |          duration             |
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventPayload {
    event: u8,
    end: bool,
    reserved: bool,
    volume: u8,
    duration: u16,
}

impl EventPayload {
    /// A report of event code `event` (RFC 4733 §2.3.1), with the E bit `end` (§2.3.2), the
    /// volume in -dBm0 (§2.3.4, 0 to 63) and the duration in timestamp units (§2.3.5). The R bit
    /// is zero, as senders MUST set it (§2.3.3).
    pub fn new(event: u8, end: bool, volume: u8, duration: u16) -> Result<Self, DtmfError> {
        if volume > MAX_VOLUME {
            return Err(DtmfError::VolumeOutOfRange { volume });
        }
        Ok(EventPayload { event, end, reserved: false, volume, duration })
    }

    /// A report built from fields already known to be in range: `volume` is masked to 6 bits.
    pub(super) fn from_parts(event: Event, end: bool, volume: u8, duration: u16) -> Self {
        EventPayload { event: event.code(), end, reserved: false, volume: volume & VOLUME_MASK, duration }
    }

    /// Parses a payload carrying exactly one event report (RFC 4733 §2.3).
    pub fn parse(bytes: &[u8]) -> Result<Self, DtmfError> {
        let mut blocks = Self::parse_packed(bytes)?;
        if blocks.len() != 1 {
            return Err(DtmfError::PackedPayload { blocks: blocks.len() });
        }
        blocks.next().ok_or(DtmfError::EmptyPayload)
    }

    /// Parses a payload of one or more 4-byte event reports, as packed by RFC 4733 §2.5.1.5:
    /// lengths that are not a positive multiple of 4 are refused.
    pub fn parse_packed(bytes: &[u8]) -> Result<EventBlocks<'_>, DtmfError> {
        if bytes.is_empty() {
            return Err(DtmfError::EmptyPayload);
        }
        if !bytes.len().is_multiple_of(BLOCK_LEN) {
            return Err(DtmfError::BadPayloadLength { len: bytes.len() });
        }
        Ok(EventBlocks { chunks: bytes.chunks_exact(BLOCK_LEN) })
    }

    /// Decodes one 4-byte block (RFC 4733 §2.3, Figure 1).
    fn from_block(b: [u8; BLOCK_LEN]) -> Self {
        EventPayload {
            event: b[0],
            end: b[1] & END_BIT != 0,
            reserved: b[1] & RESERVED_BIT != 0,
            volume: b[1] & VOLUME_MASK,
            duration: u16::from_be_bytes([b[2], b[3]]),
        }
    }

    /// The payload's wire form (RFC 4733 §2.3, Figure 1).
    pub fn to_bytes(&self) -> [u8; 4] {
        let mut flags = self.volume & VOLUME_MASK;
        if self.end {
            flags |= END_BIT;
        }
        if self.reserved {
            flags |= RESERVED_BIT;
        }
        let [d0, d1] = self.duration.to_be_bytes();
        [self.event, flags, d0, d1]
    }

    /// The event code, 0 to 255 (RFC 4733 §2.3.1).
    pub fn event_code(&self) -> u8 {
        self.event
    }

    /// The DTMF event, if the code is one (RFC 4733 §3.2).
    pub fn event(&self) -> Option<Event> {
        Event::from_code(self.event)
    }

    /// The E bit: this report carries the end of the event (RFC 4733 §2.3.2).
    pub fn end(&self) -> bool {
        self.end
    }

    /// The R bit as received; receivers MUST ignore it (RFC 4733 §2.3.3).
    pub fn reserved(&self) -> bool {
        self.reserved
    }

    /// The power level in dBm0 with the sign dropped, 0 to 63 (RFC 4733 §2.3.4).
    pub fn volume(&self) -> u8 {
        self.volume
    }

    /// The duration of the event or segment so far, in timestamp units (RFC 4733 §2.3.5).
    pub fn duration(&self) -> u16 {
        self.duration
    }

    /// The same report with the E bit set (RFC 4733 §2.5.1.4: once set for a packet, it stays
    /// set on its retransmissions).
    pub fn with_end(mut self, end: bool) -> Self {
        self.end = end;
        self
    }
}

/// The event reports of one payload, in order (RFC 4733 §2.5.1.5), from
/// [`EventPayload::parse_packed`].
#[derive(Debug, Clone)]
pub struct EventBlocks<'a> {
    chunks: std::slice::ChunksExact<'a, u8>,
}

impl Iterator for EventBlocks<'_> {
    type Item = EventPayload;

    fn next(&mut self) -> Option<EventPayload> {
        let chunk = self.chunks.next()?;
        let block: [u8; BLOCK_LEN] = chunk.try_into().ok()?;
        Some(EventPayload::from_block(block))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

impl ExactSizeIterator for EventBlocks<'_> {}

/// A tone report: the `audio/tone` payload of RFC 4733 §4.3.3 (Figure 2).
///
/// ```text
/// |    modulation   |T|  volume   |          duration             |
/// |R R R R|       frequency       |R R R R|       frequency       |
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TonePayload {
    modulation: u16,
    divide_by_three: bool,
    volume: u8,
    duration: u16,
    frequencies: Vec<u16>,
}

impl TonePayload {
    /// A tone of `frequencies` Hz (each at most 4095; none reports silence), lasting `duration`
    /// timestamp units, at `volume` -dBm0 (0 to 63), unmodulated (RFC 4733 §4.3.3).
    pub fn new(frequencies: &[u16], volume: u8, duration: u16) -> Result<Self, DtmfError> {
        if volume > MAX_VOLUME {
            return Err(DtmfError::VolumeOutOfRange { volume });
        }
        if let Some(&hz) = frequencies.iter().find(|&&hz| hz > MAX_FREQUENCY) {
            return Err(DtmfError::FrequencyOutOfRange { hz });
        }
        Ok(TonePayload { modulation: 0, divide_by_three: false, volume, duration, frequencies: frequencies.to_vec() })
    }

    /// The same tone modulated at `hz` Hz (at most 511), divided by three when `divide_by_three`
    /// (the T bit) (RFC 4733 §4.3.3).
    pub fn with_modulation(mut self, hz: u16, divide_by_three: bool) -> Result<Self, DtmfError> {
        if hz > MAX_MODULATION {
            return Err(DtmfError::ModulationOutOfRange { hz });
        }
        self.modulation = hz;
        self.divide_by_three = divide_by_three;
        Ok(self)
    }

    /// Parses a tone payload (RFC 4733 §4.3.3): a 4-byte header then whole 16-bit frequency
    /// fields, whose reserved top 4 bits are ignored.
    pub fn parse(bytes: &[u8]) -> Result<Self, DtmfError> {
        let Some((header, rest)) = bytes.split_first_chunk::<4>() else {
            return Err(DtmfError::ToneTruncated { len: bytes.len() });
        };
        if !rest.len().is_multiple_of(2) {
            return Err(DtmfError::ToneBadLength { len: bytes.len() });
        }
        let first = u16::from_be_bytes([header[0], header[1]]);
        let frequencies =
            rest.chunks_exact(2).map(|f| u16::from_be_bytes([f[0], f[1]]) & MAX_FREQUENCY).collect::<Vec<_>>();
        Ok(TonePayload {
            modulation: first >> 7,
            divide_by_three: first & 0x40 != 0,
            volume: header[1] & VOLUME_MASK,
            duration: u16::from_be_bytes([header[2], header[3]]),
            frequencies,
        })
    }

    /// Appends the payload's wire form (RFC 4733 §4.3.3, Figure 2) to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let mut first = (self.modulation & MAX_MODULATION) << 7 | u16::from(self.volume & VOLUME_MASK);
        if self.divide_by_three {
            first |= 0x40;
        }
        out.extend_from_slice(&first.to_be_bytes());
        out.extend_from_slice(&self.duration.to_be_bytes());
        for &hz in &self.frequencies {
            out.extend_from_slice(&(hz & MAX_FREQUENCY).to_be_bytes());
        }
    }

    /// The payload's wire form (RFC 4733 §4.3.3, Figure 2).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 2 * self.frequencies.len());
        self.write_to(&mut out);
        out
    }

    /// The modulation frequency field in Hz, 0 when unmodulated (RFC 4733 §4.3.3).
    pub fn modulation(&self) -> u16 {
        self.modulation
    }

    /// The T bit: the modulation frequency is to be divided by three (RFC 4733 §4.3.3).
    pub fn divide_by_three(&self) -> bool {
        self.divide_by_three
    }

    /// The power level in dBm0 with the sign dropped (RFC 4733 §4.3.3).
    pub fn volume(&self) -> u8 {
        self.volume
    }

    /// The tone's duration in timestamp units (RFC 4733 §4.3.3).
    pub fn duration(&self) -> u16 {
        self.duration
    }

    /// The frequencies added together, in Hz; 0 means silence (RFC 4733 §4.3.3).
    pub fn frequencies(&self) -> &[u16] {
        &self.frequencies
    }

    /// The DTMF key this tone is, when it is exactly one Q.23 pair (as in RFC 4733 Table 6).
    pub fn dtmf_event(&self) -> Option<Event> {
        match self.frequencies.as_slice() {
            [a, b] => Event::from_frequencies(*a, *b),
            _ => None,
        }
    }
}
