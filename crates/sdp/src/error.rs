//! The crate's one error type, built from domain sub-enums.
//!
//! Peer faults — what a peer's session description contains or does: [`ParseError`],
//! [`LimitError`], [`NegotiationError`] — are kept apart from API misuse by our own code
//! ([`UsageError`]).

/// Every error this crate returns.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The bytes are not a valid session description (peer fault, RFC 8866 §5 and §9).
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The session description exceeds a configured limit (peer fault); see [`crate::Limits`].
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// An offer or answer breaks, or cannot be satisfied under, RFC 3264 (peer fault).
    #[error(transparent)]
    Negotiation(#[from] NegotiationError),
    /// Our own code asked for something invalid (API misuse).
    #[error(transparent)]
    Usage(#[from] UsageError),
}

/// A syntax fault: the 1-based SDP line where it was found, and what is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("SDP line {line}: {fault}")]
pub struct ParseError {
    /// 1-based line number (for a missing line: the line where it was expected).
    pub line: usize,
    /// What is wrong.
    pub fault: ParseFault,
}

impl ParseError {
    /// A `fault` found on `line`.
    pub fn new(line: usize, fault: ParseFault) -> Self {
        ParseError { line, fault }
    }
}

/// What is wrong with an SDP line (RFC 8866 §5 and the grammar of §9).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseFault {
    /// The input is not UTF-8 (this crate reads SDP text as UTF-8, RFC 8866 §5).
    #[error("not valid UTF-8")]
    NotUtf8,
    /// A NUL, or a carriage return that does not end the line (RFC 8866 §9 `byte-string`).
    #[error("NUL or stray carriage return inside the line")]
    ControlCharacter,
    /// An empty line before the end of the description.
    #[error("empty line")]
    EmptyLine,
    /// The line is not `<type>=<value>` with a lower-case letter as type (RFC 8866 §5).
    #[error("not of the form <letter>=<value>")]
    NotTypeValue,
    /// The description does not start with `v=` (RFC 8866 §5.1).
    #[error("the first line must be v=")]
    VersionNotFirst,
    /// `v=` is not `0` (RFC 8866 §5.1).
    #[error("unsupported protocol version (only v=0 is defined)")]
    UnsupportedVersion,
    /// A mandatory line is absent (`o=`, `s=`, `t=`; RFC 8866 §5).
    #[error("mandatory {0}= line is missing")]
    Missing(char),
    /// A line that may appear once in its section appears again (RFC 8866 §5).
    #[error("{0}= line appears more than once in its section")]
    Repeated(char),
    /// A line in a section or position where it is not allowed, e.g. `u=` in a media section or
    /// `r=` before any `t=` (RFC 8866 §5).
    #[error("{0}= line is not allowed here")]
    OutOfPlace(char),
    /// A line has too few or too many space-separated fields.
    #[error("{0}= line has the wrong number of fields")]
    FieldCount(char),
    /// A field does not follow its grammar.
    #[error("invalid {0}")]
    Invalid(Field),
    /// A media section with a non-zero port has no `c=` and there is no session-level `c=`
    /// (RFC 8866 §5.7).
    #[error("media section without a connection address (no c= here or at session level)")]
    NoConnection,
}

/// Which field of a line is invalid (for [`ParseFault::Invalid`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Field {
    /// `o=` username (RFC 8866 §5.2).
    #[error("o= username")]
    Username,
    /// `o=` sess-id: a decimal number that fits 64 bits (RFC 8866 §5.2).
    #[error("o= sess-id (decimal, 64-bit)")]
    SessionId,
    /// `o=` sess-version: a decimal number that fits 64 bits (RFC 8866 §5.2).
    #[error("o= sess-version (decimal, 64-bit)")]
    SessionVersion,
    /// A nettype token (RFC 8866 §5.7).
    #[error("network type")]
    NetType,
    /// An addrtype token (RFC 8866 §5.7).
    #[error("address type")]
    AddrType,
    /// A unicast or connection address that does not match its address type (RFC 8866 §5.7).
    #[error("address")]
    Address,
    /// The TTL of an IPv4 multicast address, 0–255 (RFC 8866 §5.7).
    #[error("multicast TTL")]
    Ttl,
    /// The number of multicast addresses (RFC 8866 §5.7).
    #[error("number of addresses")]
    AddressCount,
    /// `b=` is not `<bwtype>:<bandwidth>` (RFC 8866 §5.8).
    #[error("bandwidth")]
    Bandwidth,
    /// A `t=` start or stop time (RFC 8866 §5.9).
    #[error("time")]
    Time,
    /// The `m=` media type token (RFC 8866 §5.14).
    #[error("media type")]
    MediaType,
    /// The `m=` port, 0–65535 (RFC 8866 §5.14).
    #[error("port")]
    Port,
    /// The `m=` number of ports (RFC 8866 §5.14).
    #[error("number of ports")]
    PortCount,
    /// The `m=` transport protocol (RFC 8866 §5.14).
    #[error("transport protocol")]
    Proto,
    /// A media format; for RTP a payload type 0–127 (RFC 8866 §5.14 and §6.6).
    #[error("media format / payload type")]
    Format,
    /// An attribute name is not a token (RFC 8866 §5.13).
    #[error("attribute name")]
    AttributeName,
    /// `a=rtpmap` is not `<pt> <encoding>/<clock rate>[/<channels>]` (RFC 8866 §6.6).
    #[error("a=rtpmap value")]
    RtpMap,
    /// `a=fmtp` is not `<format> <parameters>` (RFC 8866 §6.15).
    #[error("a=fmtp value")]
    Fmtp,
    /// `a=ptime` is not a positive number of milliseconds (RFC 8866 §6.4).
    #[error("a=ptime value")]
    Ptime,
    /// `a=maxptime` is not a positive number of milliseconds (RFC 8866 §6.5).
    #[error("a=maxptime value")]
    MaxPtime,
    /// `a=rtcp` is not `<port> [<nettype> <addrtype> <address>]` (RFC 3605 §2.1).
    #[error("a=rtcp value")]
    Rtcp,
}

/// A configured hard limit was exceeded (peer fault); see [`crate::Limits`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// The description is larger than `Limits::max_bytes`.
    #[error("session description larger than {limit} octets")]
    TooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// More lines than `Limits::max_lines`.
    #[error("session description has more than {limit} lines")]
    TooManyLines {
        /// The limit in force.
        limit: usize,
    },
    /// More `m=` sections than `Limits::max_media`.
    #[error("more than {limit} media sections")]
    TooManyMedia {
        /// The limit in force.
        limit: usize,
    },
    /// An `m=` line lists more formats than `Limits::max_formats`.
    #[error("SDP line {line}: more than {limit} media formats")]
    TooManyFormats {
        /// 1-based line number of the `m=` line.
        line: usize,
        /// The limit in force.
        limit: usize,
    },
}

/// An offer or answer that breaks RFC 3264, or that we cannot accept (peer fault).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    /// No offered audio stream has a usable codec (and transport) in common with ours; the
    /// whole offer is rejected (RFC 3264 §6.1), which SIP answers with 488.
    #[error("no offered audio stream has a codec in common with ours")]
    NoCommonCodec,
    /// The answer's `m=` line count differs from the offer's (RFC 3264 §6).
    #[error("answer has {answered} m= lines but the offer has {offered}")]
    MediaCountMismatch {
        /// `m=` lines in our offer.
        offered: usize,
        /// `m=` lines in the answer.
        answered: usize,
    },
    /// The answer's stream `index` has another media type than the offer's (RFC 3264 §6.1).
    #[error("answer stream {index} has a different media type from the offer")]
    MediaTypeMismatch {
        /// 0-based `m=` index.
        index: usize,
    },
    /// The answer accepts stream `index` that the offer disabled with port 0 (RFC 3264 §8.2).
    #[error("answer accepts stream {index} that the offer disabled with port 0")]
    DisabledStreamAccepted {
        /// 0-based `m=` index.
        index: usize,
    },
    /// The answer accepts audio stream `index` with no codec from our offer (RFC 3264 §6.1).
    #[error("answer stream {index} lists no codec that was offered")]
    CodecNotOffered {
        /// 0-based `m=` index.
        index: usize,
    },
    /// Every audio stream of our offer was rejected with port 0 (RFC 3264 §6).
    #[error("the answer rejects every offered audio stream")]
    AudioRejected,
    /// An accepted stream has no connection address (RFC 8866 §5.7).
    #[error("stream {index} has no connection address")]
    NoConnection {
        /// 0-based `m=` index.
        index: usize,
    },
}

/// Our own code asked for something invalid (API misuse).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    /// The capabilities list no codec.
    #[error("capabilities list no codec")]
    NoCodecs,
    /// A payload type above 127 (RTP payload types are 7 bits, RFC 8866 §6.6).
    #[error("payload type {pt} is above 127")]
    PayloadTypeOutOfRange {
        /// The payload type given.
        pt: u8,
    },
    /// More codecs than free dynamic payload types 96–127 (RFC 3551 §3).
    #[error("no free dynamic payload type left")]
    NoFreePayloadType,
    /// A codec with an encoding name that is not a token, or a zero clock rate or channel count
    /// (RFC 8866 §6.6).
    #[error("codec {index} has an invalid name, clock rate, channel count or fmtp")]
    InvalidCodec {
        /// 0-based index in [`crate::Capabilities::codecs`].
        index: usize,
    },
    /// The telephone-event capability has a zero clock rate or an fmtp with a line break
    /// (RFC 4733 §7.1.1).
    #[error("the telephone-event capability has an invalid clock rate or fmtp")]
    InvalidTelephoneEvent,
    /// A zero packet time, or a ptime above maxptime (RFC 3264 §5.1).
    #[error("ptime must be positive and not above maxptime")]
    InvalidPtime,
    /// No transport protocol is configured (e.g. `RTP/AVP`).
    #[error("capabilities list no transport protocol")]
    NoTransport,
    /// The model cannot be written as SDP that reads back the same (a field holds a line break,
    /// a space where a token is expected, or an out-of-range value); `line` is the first line of
    /// the written text that differs or fails.
    #[error("the session description cannot be written as SDP (problem near line {line})")]
    Unrepresentable {
        /// 1-based line of the written text.
        line: usize,
    },
}
