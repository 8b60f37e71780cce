//! What the jitter buffer saw and did, for RTCP reception reports (RFC 3550 §6.4.1) and the
//! end-of-call quality line.

/// A snapshot of the receive path's counters and delays, from [`super::JitterBuffer::stats`].
///
/// Counters cover the whole call, across SSRC changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct JitterStats {
    /// Every packet pushed, duplicates and late ones included (RFC 3550 A.3 "received").
    pub packets_received: u64,
    /// Packets the sequence numbers seen say were sent (RFC 3550 A.3 "expected").
    pub packets_expected: u64,
    /// Packets that never arrived: expected minus distinct packets received, never negative.
    /// A late packet arrived, so it is counted in [`Self::late_discarded`], not here.
    pub packets_lost: u64,
    /// Highest sequence number of the current stream, with the wrap count in the high 16 bits
    /// (RFC 3550 §6.4.1 "extended highest sequence number received").
    pub extended_highest_seq: u32,
    /// Packets dropped because one with the same sequence number had arrived.
    pub duplicates: u64,
    /// Packets dropped because their turn to play had passed (on arrival, or when they would
    /// have played later than the maximum delay).
    pub late_discarded: u64,
    /// Packets evicted to stay within the packet or byte cap.
    pub overflow_discarded: u64,
    /// Candidates for a new stream that no second packet confirmed.
    pub stray_discarded: u64,
    /// Packets of payload types without a decoder (kept only as pause markers).
    pub no_decoder: u64,
    /// Payloads the decoder rejected (concealed as lost).
    pub decode_errors: u64,
    /// Packets decoded and played.
    pub packets_decoded: u64,
    /// Times the timeline was re-anchored: timestamp jumps, clock-rate changes, new streams.
    pub resyncs: u64,
    /// Samples synthesized for audio that was lost or late (by the codec or by us).
    pub concealed_samples: u64,
    /// [`Self::concealed_samples`] in milliseconds.
    pub concealed_ms: u64,
    /// Samples of lost packets rebuilt from the forward error correction carried by the next
    /// packet (Opus in-band FEC, RFC 7587 §3.3) instead of being concealed.
    pub fec_recovered_samples: u64,
    /// Separate stretches of concealment.
    pub concealment_events: u64,
    /// Times a pitch period was removed to shorten the delay.
    pub accelerate_events: u64,
    /// Samples removed by accelerating.
    pub accelerated_samples: u64,
    /// Times a pitch period was repeated to lengthen the delay (not counting concealment).
    pub expand_events: u64,
    /// Samples added by expanding.
    pub expanded_samples: u64,
    /// Playout delay now: how long after the fastest recent packets' arrival their audio plays,
    /// in ms (the target while nothing plays).
    pub current_delay_ms: u32,
    /// Playout delay aimed for, in ms.
    pub target_delay_ms: u32,
    /// Highest playout delay seen so far, in ms.
    pub max_delay_ms: u32,
    /// RFC 3550 A.8 interarrival jitter, in RTP timestamp units of the current stream.
    pub interarrival_jitter: u32,
    /// SSRC of the current stream.
    pub ssrc: Option<u32>,
}
