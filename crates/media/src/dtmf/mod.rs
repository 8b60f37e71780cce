//! RFC 4733 DTMF over RTP: the `telephone-event` payload, a sans-IO sender and a sans-IO
//! receiver.
//!
//! * [`Event`]: the sixteen DTMF events of RFC 4733 §3.2 (Table 3), codes 0 to 15.
//! * [`EventPayload`]: the 4-byte named-event payload of RFC 4733 §2.3 (Figure 1), and
//!   [`EventPayload::parse_packed`] for payloads packing several events (RFC 4733 §2.5.1.5).
//! * [`TonePayload`]: the `audio/tone` payload of RFC 4733 §4.3.3 (Figure 2).
//! * [`red`]: RFC 2198 redundancy blocks, which RFC 4733 §2.5.1.4 allows for retransmitting final
//!   event reports and which its Figure 5 uses.
//! * [`DtmfSender`]: turns key presses and dial strings into the event packets to send at each
//!   packetization tick (RFC 4733 §2.5.1).
//! * [`DtmfReceiver`]: turns received event packets back into one begin and one end per key
//!   (RFC 4733 §2.5.2).
//!
//! Nothing here does I/O or reads a clock: the sender works in RTP timestamp units given by the
//! caller, the receiver takes `now` as an argument. The media session wraps the sender's packets
//! in RTP headers with its own sequence numbers and SSRC (RFC 4733 §2.5.1.2 and §2.5.1.6: the
//! events share the audio stream's timestamp base and sequence numbers).

use thiserror::Error;

mod payload;
mod receiver;
pub mod red;
mod sender;

pub use payload::{EventBlocks, EventPayload, TonePayload};
pub use receiver::{DtmfEvent, DtmfReceiver, EndReason, ReceiverConfig};
pub use sender::{DtmfPacket, DtmfSender, SenderConfig, MAX_QUEUED_EVENTS};

/// A DTMF key: the named events 0 to 15 of RFC 4733 §3.2 (Table 3).
///
/// Each event is a tone pair of ITU-T Q.23: one low-group ("row") and one high-group ("column")
/// frequency, given by [`Event::frequencies`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Event {
    /// Digit "0", event code 0.
    Digit0,
    /// Digit "1", event code 1.
    Digit1,
    /// Digit "2", event code 2.
    Digit2,
    /// Digit "3", event code 3.
    Digit3,
    /// Digit "4", event code 4.
    Digit4,
    /// Digit "5", event code 5.
    Digit5,
    /// Digit "6", event code 6.
    Digit6,
    /// Digit "7", event code 7.
    Digit7,
    /// Digit "8", event code 8.
    Digit8,
    /// Digit "9", event code 9.
    Digit9,
    /// "*", event code 10.
    Star,
    /// "#", event code 11.
    Pound,
    /// "A", event code 12.
    A,
    /// "B", event code 13.
    B,
    /// "C", event code 14.
    C,
    /// "D", event code 15.
    D,
}

/// The characters of events 0 to 15, indexed by event code (RFC 4733 §3.2, Table 3).
const EVENT_CHARS: [char; 16] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

/// ITU-T Q.23 low-group (row) frequencies in Hz.
const LOW_GROUP_HZ: [u16; 4] = [697, 770, 852, 941];

/// ITU-T Q.23 high-group (column) frequencies in Hz.
const HIGH_GROUP_HZ: [u16; 4] = [1209, 1336, 1477, 1633];

/// The keypad position (row, column) of each event code, in the Q.23 layout
/// `1 2 3 A / 4 5 6 B / 7 8 9 C / * 0 # D`.
const KEYPAD_POSITION: [(u8, u8); 16] = [
    (3, 1), // 0
    (0, 0), // 1
    (0, 1), // 2
    (0, 2), // 3
    (1, 0), // 4
    (1, 1), // 5
    (1, 2), // 6
    (2, 0), // 7
    (2, 1), // 8
    (2, 2), // 9
    (3, 0), // *
    (3, 2), // #
    (0, 3), // A
    (1, 3), // B
    (2, 3), // C
    (3, 3), // D
];

impl Event {
    /// All sixteen DTMF events in event-code order (RFC 4733 §3.2, Table 3).
    pub const ALL: [Event; 16] = [
        Event::Digit0,
        Event::Digit1,
        Event::Digit2,
        Event::Digit3,
        Event::Digit4,
        Event::Digit5,
        Event::Digit6,
        Event::Digit7,
        Event::Digit8,
        Event::Digit9,
        Event::Star,
        Event::Pound,
        Event::A,
        Event::B,
        Event::C,
        Event::D,
    ];

    /// The event for a `telephone-event` code, if it is a DTMF code 0 to 15 (RFC 4733 §3.2).
    pub fn from_code(code: u8) -> Option<Event> {
        Event::ALL.get(usize::from(code)).copied()
    }

    /// The event's `telephone-event` code, 0 to 15 (RFC 4733 §3.2, Table 3).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The event for a keypad character: `0`-`9`, `*`, `#`, `A`-`D` (lower case accepted).
    pub fn from_char(c: char) -> Option<Event> {
        let upper = c.to_ascii_uppercase();
        EVENT_CHARS.iter().position(|&e| e == upper).and_then(|i| Event::ALL.get(i).copied())
    }

    /// The event's keypad character: `0`-`9`, `*`, `#`, `A`-`D`.
    pub fn to_char(self) -> char {
        EVENT_CHARS[usize::from(self.code())]
    }

    /// The (low-group, high-group) tone pair of the key in Hz, per ITU-T Q.23.
    pub fn frequencies(self) -> (u16, u16) {
        let (row, col) = KEYPAD_POSITION[usize::from(self.code())];
        (LOW_GROUP_HZ[usize::from(row)], HIGH_GROUP_HZ[usize::from(col)])
    }

    /// The event whose Q.23 tone pair is exactly `a` and `b` Hz, in either order; used to read the
    /// frequencies of an RFC 4733 §4.3.3 tone payload (as in Table 6) back as a key.
    pub fn from_frequencies(a: u16, b: u16) -> Option<Event> {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        Event::ALL.iter().copied().find(|e| e.frequencies() == (low, high))
    }
}

impl TryFrom<u8> for Event {
    type Error = DtmfError;

    /// Converts a `telephone-event` code, failing with [`DtmfError::UnsupportedEvent`] for codes
    /// above 15 (RFC 4733 §3.2).
    fn try_from(code: u8) -> Result<Self, Self::Error> {
        Event::from_code(code).ok_or(DtmfError::UnsupportedEvent { code })
    }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_char())
    }
}

/// Why a DTMF payload, dial string or configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DtmfError {
    /// The `telephone-event` payload is empty (RFC 4733 §2.3 needs at least one 4-byte block).
    #[error("empty telephone-event payload")]
    EmptyPayload,
    /// The `telephone-event` payload's length is not a multiple of 4 (RFC 4733 §2.3, §2.5.1.5).
    #[error("telephone-event payload of {len} bytes is not a whole number of 4-byte blocks")]
    BadPayloadLength {
        /// The payload's length in bytes.
        len: usize,
    },
    /// [`EventPayload::parse`] was given a payload packing several events (RFC 4733 §2.5.1.5);
    /// use [`EventPayload::parse_packed`].
    #[error("telephone-event payload packs {blocks} events, expected one")]
    PackedPayload {
        /// The number of 4-byte blocks.
        blocks: usize,
    },
    /// The event code is not a DTMF event 0 to 15 (RFC 4733 §3.2).
    #[error("event code {code} is not a DTMF event")]
    UnsupportedEvent {
        /// The event code.
        code: u8,
    },
    /// A volume above 63 (-63 dBm0) does not fit the 6-bit field (RFC 4733 §2.3.4, §4.3.3).
    #[error("volume {volume} exceeds 63")]
    VolumeOutOfRange {
        /// The refused volume.
        volume: u8,
    },
    /// A character of a dial string is not a DTMF key.
    #[error("{ch:?} is not a DTMF key")]
    InvalidDigit {
        /// The refused character.
        ch: char,
    },
    /// An `audio/tone` payload shorter than its 4-byte header (RFC 4733 §4.3.3).
    #[error("tone payload of {len} bytes is shorter than its 4-byte header")]
    ToneTruncated {
        /// The payload's length in bytes.
        len: usize,
    },
    /// An `audio/tone` payload whose frequency list is not made of whole 16-bit fields
    /// (RFC 4733 §4.3.3).
    #[error("tone payload of {len} bytes ends inside a frequency field")]
    ToneBadLength {
        /// The payload's length in bytes.
        len: usize,
    },
    /// A tone frequency above 4095 Hz does not fit the 12-bit field (RFC 4733 §4.3.3).
    #[error("tone frequency {hz} Hz exceeds 4095 Hz")]
    FrequencyOutOfRange {
        /// The refused frequency in Hz.
        hz: u16,
    },
    /// A modulation frequency above 511 Hz does not fit the 9-bit field (RFC 4733 §4.3.3).
    #[error("modulation frequency {hz} Hz exceeds 511 Hz")]
    ModulationOutOfRange {
        /// The refused modulation frequency in Hz.
        hz: u16,
    },
    /// An RFC 2198 payload ends inside its block headers.
    #[error("redundant (RFC 2198) payload ends inside its block headers")]
    RedTruncated,
    /// An RFC 2198 block's length points past the end of the payload.
    #[error("redundant (RFC 2198) block of {len} bytes overruns the payload")]
    RedBlockOverrun {
        /// The block length from the header.
        len: usize,
    },
    /// An RFC 2198 payload type above 127 does not fit the 7-bit field.
    #[error("payload type {pt} exceeds 127")]
    RedPayloadType {
        /// The refused payload type.
        pt: u8,
    },
    /// An RFC 2198 timestamp offset above 0x3FFF does not fit the 14-bit field (RFC 4733
    /// §2.5.1.3.1).
    #[error("timestamp offset {offset} exceeds 0x3FFF")]
    RedOffsetOutOfRange {
        /// The refused offset.
        offset: u32,
    },
    /// An RFC 2198 redundant block longer than 1023 bytes does not fit the 10-bit field.
    #[error("redundant block of {len} bytes exceeds 1023 bytes")]
    RedBlockTooLong {
        /// The refused length.
        len: usize,
    },
    /// An RFC 2198 payload needs at least the primary block.
    #[error("redundant (RFC 2198) payload without blocks")]
    RedNoBlocks,
    /// The sender's packet interval is zero.
    #[error("packet interval must be at least one timestamp unit")]
    ZeroPacketInterval,
    /// The sender's maximum segment duration is shorter than its packet interval, so segments
    /// could not be reported (RFC 4733 §2.5.1.3).
    #[error("maximum segment duration {max} is shorter than the packet interval {interval}")]
    SegmentShorterThanInterval {
        /// The configured maximum segment duration.
        max: u16,
        /// The configured packet interval.
        interval: u32,
    },
    /// The sender must send each final packet at least once (RFC 4733 §2.5.1.4).
    #[error("final packets must be sent at least once")]
    ZeroEndTransmissions,
    /// The sender's queue of pending events is full.
    #[error("DTMF queue is full ({capacity} events)")]
    QueueFull {
        /// The queue capacity.
        capacity: usize,
    },
}

/// `true` when RTP timestamp `a` is at or after `b`, in the modular order of RFC 3550 §5.1
/// (timestamps wrap around; differences under 2^31 are taken as forward).
pub(crate) fn ts_at_or_after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

/// The forward distance from timestamp `from` to `to`, or 0 when `to` is before `from`.
pub(crate) fn ts_forward(from: u32, to: u32) -> u32 {
    if ts_at_or_after(to, from) {
        to.wrapping_sub(from)
    } else {
        0
    }
}
