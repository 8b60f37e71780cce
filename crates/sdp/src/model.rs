//! The session description model (RFC 8866 §5): every line of a description has a place here, so
//! that serializing and parsing again gives an equal model.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::attribute::{Attribute, Direction, Fmtp, Rtcp, RtpMap};
use crate::grammar::decimal_as;
use crate::payload;

/// A whole session description (RFC 8866 §5). The protocol version is always 0 (`v=0`, §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=` (RFC 8866 §5.2).
    pub origin: Origin,
    /// `s=` text, as written (RFC 8866 §5.3; `" "` or `"-"` when the session has no name).
    pub session_name: String,
    /// `i=` text (RFC 8866 §5.4).
    pub information: Option<String>,
    /// `u=` (RFC 8866 §5.5).
    pub uri: Option<String>,
    /// `e=` lines (RFC 8866 §5.6).
    pub emails: Vec<String>,
    /// `p=` lines (RFC 8866 §5.6).
    pub phones: Vec<String>,
    /// Session-level `c=`, the default for every media section (RFC 8866 §5.7).
    pub connection: Option<Connection>,
    /// Session-level `b=` lines (RFC 8866 §5.8).
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` lines with their `r=`/`z=` lines; at least one (RFC 8866 §5.9).
    pub timings: Vec<Timing>,
    /// `k=` (obsolete, kept as written; RFC 8866 §5.12).
    pub key: Option<String>,
    /// Session-level `a=` lines, in order (RFC 8866 §5.13).
    pub attributes: Vec<Attribute>,
    /// Session-level lines of a type letter RFC 8866 does not define, kept in order and written
    /// after the attributes (RFC 8866 §5 lets a parser ignore them).
    pub extra_lines: Vec<ExtraLine>,
    /// The `m=` sections, in order (RFC 8866 §5.14).
    pub media: Vec<MediaDescription>,
}

impl SessionDescription {
    /// A minimal description: the given origin, `s=-`, `t=0 0`, nothing else.
    pub fn new(origin: Origin) -> SessionDescription {
        SessionDescription {
            origin,
            session_name: "-".to_owned(),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            timings: vec![Timing::permanent()],
            key: None,
            attributes: Vec::new(),
            extra_lines: Vec::new(),
            media: Vec::new(),
        }
    }

    /// The session-level direction attribute, if any (RFC 8866 §6.7).
    pub fn direction(&self) -> Option<Direction> {
        direction_of(&self.attributes)
    }

    /// The direction that applies to `media`: its own attribute, else the session-level one,
    /// else `sendrecv` (RFC 8866 §6.7, RFC 3264 §5.1).
    pub fn effective_direction(&self, media: &MediaDescription) -> Direction {
        media.direction().or_else(|| self.direction()).unwrap_or_default()
    }

    /// The connection that applies to `media`: its first own `c=`, else the session-level one
    /// (RFC 8866 §5.7).
    pub fn effective_connection<'a>(&'a self, media: &'a MediaDescription) -> Option<&'a Connection> {
        media.connection().or(self.connection.as_ref())
    }

    /// The first session-level attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name() == name)
    }
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
/// (RFC 8866 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The user's login, or `-` (RFC 8866 §5.2).
    pub username: String,
    /// The session id.
    pub session_id: u64,
    /// The session version; it increases by one with each modification (RFC 3264 §8).
    pub session_version: u64,
    /// Network type, normally `IN`.
    pub net_type: String,
    /// Address type, normally `IP4` or `IP6`.
    pub addr_type: String,
    /// The originating host: an IP literal or a host name.
    pub address: String,
}

impl Origin {
    /// An origin for `address` (`IN IP4` or `IN IP6` after its family).
    pub fn new(username: impl Into<String>, session_id: u64, session_version: u64, address: IpAddr) -> Origin {
        Origin {
            username: username.into(),
            session_id,
            session_version,
            net_type: "IN".to_owned(),
            addr_type: addr_type_of(address).to_owned(),
            address: address.to_string(),
        }
    }

    /// Whether `other` is the same origin apart from the version (RFC 3264 §8).
    pub fn same_session(&self, other: &Origin) -> bool {
        self.username == other.username
            && self.session_id == other.session_id
            && self.net_type == other.net_type
            && self.addr_type == other.addr_type
            && self.address == other.address
    }
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7). For `IP4`/`IP6` the
/// multicast TTL and number of addresses are split off the address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Connection {
    /// Network type, normally `IN`.
    pub net_type: String,
    /// Address type, normally `IP4` or `IP6`.
    pub addr_type: String,
    /// The address: an IP literal or a host name, without `/ttl` or `/count`.
    pub address: String,
    /// The multicast TTL (`IP4` only).
    pub ttl: Option<u8>,
    /// The number of multicast addresses, when written.
    pub address_count: Option<u32>,
}

impl Connection {
    /// A unicast `c=IN IP4 …` or `c=IN IP6 …` for `address`.
    pub fn from_ip(address: IpAddr) -> Connection {
        Connection {
            net_type: "IN".to_owned(),
            addr_type: addr_type_of(address).to_owned(),
            address: address.to_string(),
            ttl: None,
            address_count: None,
        }
    }

    /// The address as an IP address, when it is an IP literal of the stated family.
    pub fn ip(&self) -> Option<IpAddr> {
        match self.addr_type.as_str() {
            "IP4" => self.address.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
            "IP6" => self.address.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
            _ => None,
        }
    }

    /// Whether this is the unspecified address (`0.0.0.0`, or `::`), the old way to hold a
    /// call: nothing is to be sent to it (RFC 3264 §8.4).
    pub fn is_unspecified(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }

    /// Whether this is a multicast address (RFC 8866 §5.7).
    pub fn is_multicast(&self) -> bool {
        self.ttl.is_some() || self.ip().is_some_and(|ip| ip.is_multicast())
    }
}

/// `IP4` or `IP6` after the family of `address`.
pub(crate) fn addr_type_of(address: IpAddr) -> &'static str {
    match address {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    }
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bandwidth {
    /// The modifier, e.g. `AS`, `CT`, `TIAS`.
    pub bw_type: String,
    /// The value (kilobits per second for `AS`/`CT`).
    pub bandwidth: u64,
}

/// A time description: `t=` with its `r=` and `z=` lines kept as written (RFC 8866 §5.9–5.11).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timing {
    /// Start time, NTP seconds (0: permanent).
    pub start: u64,
    /// Stop time, NTP seconds (0: unbounded).
    pub stop: u64,
    /// `r=` values as written.
    pub repeats: Vec<String>,
    /// The `z=` value as written.
    pub zone: Option<String>,
}

impl Timing {
    /// `t=0 0`, the timing of every SIP call (RFC 3264 §5).
    pub fn permanent() -> Timing {
        Timing { start: 0, stop: 0, repeats: Vec::new(), zone: None }
    }
}

/// A line whose type letter RFC 8866 does not define, kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtraLine {
    /// The type letter (a lower-case ASCII letter).
    pub kind: char,
    /// The text after `=`.
    pub value: String,
}

/// The `<media>` of an `m=` line (RFC 8866 §5.14).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// `audio`
    Audio,
    /// `video`
    Video,
    /// `text`
    Text,
    /// `application`
    Application,
    /// `message`
    Message,
    /// `image` (RFC 6466)
    Image,
    /// Any other token, kept as written.
    Other(String),
}

impl MediaType {
    /// Reads a media token (case-sensitive, RFC 8866 §5).
    pub fn from_token(token: &str) -> MediaType {
        match token {
            "audio" => MediaType::Audio,
            "video" => MediaType::Video,
            "text" => MediaType::Text,
            "application" => MediaType::Application,
            "message" => MediaType::Message,
            "image" => MediaType::Image,
            other => MediaType::Other(other.to_owned()),
        }
    }

    /// The token as written.
    pub fn as_str(&self) -> &str {
        match self {
            MediaType::Audio => "audio",
            MediaType::Video => "video",
            MediaType::Text => "text",
            MediaType::Application => "application",
            MediaType::Message => "message",
            MediaType::Image => "image",
            MediaType::Other(other) => other,
        }
    }
}

/// One media section: the `m=` line and the lines up to the next `m=` (RFC 8866 §5.14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// The media type.
    pub media_type: MediaType,
    /// The transport port; 0 means the stream is disabled or rejected (RFC 3264 §5.1, §6).
    pub port: u16,
    /// The number of ports (`<port>/<number of ports>`), when written.
    pub port_count: Option<u16>,
    /// The transport protocol as written, e.g. `RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`.
    pub proto: String,
    /// The media formats in order of preference (for RTP, payload type numbers).
    pub formats: Vec<String>,
    /// Media-level `i=` (RFC 8866 §5.4).
    pub title: Option<String>,
    /// Media-level `c=` lines, overriding the session-level one (RFC 8866 §5.7).
    pub connections: Vec<Connection>,
    /// Media-level `b=` lines (RFC 8866 §5.8).
    pub bandwidths: Vec<Bandwidth>,
    /// Media-level `k=` (obsolete, kept as written; RFC 8866 §5.12).
    pub key: Option<String>,
    /// Media-level `a=` lines, in order (RFC 8866 §5.13).
    pub attributes: Vec<Attribute>,
    /// Lines of an undefined type letter, kept in order and written after the attributes.
    pub extra_lines: Vec<ExtraLine>,
}

impl MediaDescription {
    /// A media section with no `c=`, `b=` or attributes.
    pub fn new(media_type: MediaType, port: u16, proto: impl Into<String>, formats: Vec<String>) -> Self {
        MediaDescription {
            media_type,
            port,
            port_count: None,
            proto: proto.into(),
            formats,
            title: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
            extra_lines: Vec::new(),
        }
    }

    /// Whether the proto is RTP-based (`RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, ...), so the
    /// formats are payload type numbers (RFC 8866 §5.14).
    pub fn is_rtp(&self) -> bool {
        self.proto.split('/').any(|part| part.eq_ignore_ascii_case("RTP"))
    }

    /// The formats that are payload type numbers, in order.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| decimal_as::<u8>(f)).filter(|&pt| pt <= 127)
    }

    /// The first media-level `c=`.
    pub fn connection(&self) -> Option<&Connection> {
        self.connections.first()
    }

    /// The first attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name() == name)
    }

    /// The media-level direction attribute, if any (RFC 8866 §6.7).
    pub fn direction(&self) -> Option<Direction> {
        direction_of(&self.attributes)
    }

    /// Every `a=rtpmap`, in order (RFC 8866 §6.6).
    pub fn rtpmaps(&self) -> impl Iterator<Item = &RtpMap> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::RtpMap(map) => Some(map),
            _ => None,
        })
    }

    /// The `a=rtpmap` of payload type `pt` (RFC 8866 §6.6: at most one per format; the first
    /// one counts).
    pub fn rtpmap(&self, pt: u8) -> Option<&RtpMap> {
        self.rtpmaps().find(|map| map.payload_type == pt)
    }

    /// Every `a=fmtp`, in order (RFC 8866 §6.15).
    pub fn fmtps(&self) -> impl Iterator<Item = &Fmtp> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Fmtp(fmtp) => Some(fmtp),
            _ => None,
        })
    }

    /// The `a=fmtp` of payload type `pt` (RFC 8866 §6.15).
    pub fn fmtp(&self, pt: u8) -> Option<&Fmtp> {
        self.fmtps().find(|fmtp| fmtp.payload_type() == Some(pt))
    }

    /// `a=ptime` in milliseconds (RFC 8866 §6.4).
    pub fn ptime(&self) -> Option<u32> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Ptime(ms) => Some(*ms),
            _ => None,
        })
    }

    /// `a=maxptime` in milliseconds (RFC 8866 §6.5).
    pub fn maxptime(&self) -> Option<u32> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::MaxPtime(ms) => Some(*ms),
            _ => None,
        })
    }

    /// `a=rtcp` (RFC 3605 §2.1).
    pub fn rtcp(&self) -> Option<&Rtcp> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Rtcp(rtcp) => Some(rtcp),
            _ => None,
        })
    }

    /// Whether `a=rtcp-mux` is present (RFC 5761 §5.1.1).
    pub fn rtcp_mux(&self) -> bool {
        self.attributes.contains(&Attribute::RtcpMux)
    }

    /// What payload type `pt` stands for: its `a=rtpmap`, else the static assignment of
    /// RFC 3551 §6 when there is no rtpmap (RFC 3264 §5.1), with its `a=fmtp` parameters.
    /// `None` for a dynamic payload type without rtpmap.
    pub fn rtp_format(&self, pt: u8) -> Option<RtpFormat> {
        let (encoding_name, clock_rate, channels) = match self.rtpmap(pt) {
            Some(map) => (map.encoding_name.clone(), map.clock_rate, map.channels),
            None => {
                let known = payload::static_payload(pt)?;
                (known.encoding_name.to_owned(), known.clock_rate, known.channels)
            }
        };
        let fmtp = self.fmtp(pt).map(|f| f.params.clone());
        Some(RtpFormat { payload_type: pt, encoding_name, clock_rate, channels, fmtp })
    }

    /// [`MediaDescription::rtp_format`] of every payload type of the `m=` line, in order,
    /// skipping dynamic payload types that have no rtpmap.
    pub fn rtp_formats(&self) -> Vec<RtpFormat> {
        self.payload_types().filter_map(|pt| self.rtp_format(pt)).collect()
    }
}

fn direction_of(attributes: &[Attribute]) -> Option<Direction> {
    attributes.iter().find_map(|a| match a {
        Attribute::Direction(direction) => Some(*direction),
        _ => None,
    })
}

/// An RTP payload format resolved from `a=rtpmap`/`a=fmtp` or the RFC 3551 static table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtpFormat {
    /// The payload type.
    pub payload_type: u8,
    /// The encoding name as written (compare case-insensitively).
    pub encoding_name: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// The channel count, when given (`None`: one channel for audio, RFC 8866 §6.6).
    pub channels: Option<u16>,
    /// The `a=fmtp` parameters, if any.
    pub fmtp: Option<String>,
}

impl RtpFormat {
    /// The channel count, one when not given (RFC 8866 §6.6).
    pub fn channel_count(&self) -> u16 {
        self.channels.unwrap_or(1)
    }

    /// Whether this is the same codec: encoding name (case-insensitive, RFC 8866 §5.14), clock
    /// rate and channel count.
    pub fn same_codec(&self, name: &str, clock_rate: u32, channels: u16) -> bool {
        self.encoding_name.eq_ignore_ascii_case(name)
            && self.clock_rate == clock_rate
            && self.channel_count() == channels
    }

    /// Whether this is RFC 4733 `telephone-event`.
    pub fn is_telephone_event(&self) -> bool {
        self.encoding_name.eq_ignore_ascii_case("telephone-event")
    }
}
