//! The packets waiting to be played, in playout order, under a packet and a byte cap.

use std::collections::BTreeMap;

/// A packet's place in playout order: stream generation, then extended sequence number.
pub(crate) type Key = (u32, u64);

/// One buffered packet.
#[derive(Debug)]
pub(crate) struct Packet {
    /// Stream generation: bumped on every SSRC change or sequence restart.
    pub gen: u32,
    /// Extended sequence number (RFC 3550 A.1).
    pub seq: u64,
    /// Position of its first sample on the media timeline, in output samples.
    pub media: i64,
    /// RTP payload type.
    pub payload_type: u8,
    /// RTP marker bit: the first packet of a talkspurt.
    pub marker: bool,
    /// Whether a decoder was registered for its payload type when it arrived; packets without one
    /// are kept, empty, only to mark a pause in the audio.
    pub audio: bool,
    /// The encoded payload (empty when `audio` is false).
    pub payload: Vec<u8>,
}

impl Packet {
    /// Its place in playout order.
    pub(crate) fn key(&self) -> Key {
        (self.gen, self.seq)
    }
}

/// Packets ordered for playout, bounded in count and payload bytes.
#[derive(Debug)]
pub(crate) struct PacketBuffer {
    packets: BTreeMap<Key, Packet>,
    bytes: usize,
    max_packets: usize,
    max_bytes: usize,
}

impl PacketBuffer {
    pub(crate) fn new(max_packets: usize, max_bytes: usize) -> Self {
        Self { packets: BTreeMap::new(), bytes: 0, max_packets, max_bytes }
    }

    /// Buffers `packet` (replacing one with the same key) and returns how many packets were
    /// evicted, oldest first, to stay within the caps.
    pub(crate) fn insert(&mut self, packet: Packet) -> usize {
        self.bytes += packet.payload.len();
        if let Some(old) = self.packets.insert(packet.key(), packet) {
            self.bytes -= old.payload.len();
        }
        let mut evicted = 0;
        while self.packets.len() > self.max_packets || self.bytes > self.max_bytes {
            if self.pop_first().is_none() {
                break;
            }
            evicted += 1;
        }
        evicted
    }

    /// The next packet to play.
    pub(crate) fn first(&self) -> Option<&Packet> {
        self.packets.values().next()
    }

    /// Removes and returns the next packet to play.
    pub(crate) fn pop_first(&mut self) -> Option<Packet> {
        let (_, packet) = self.packets.pop_first()?;
        self.bytes -= packet.payload.len();
        Some(packet)
    }

    pub(crate) fn len(&self) -> usize {
        self.packets.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}
