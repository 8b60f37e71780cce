//! `a=` lines (RFC 8866 §5.13): the attributes an audio call reads are typed, every other
//! attribute is kept as written, in order.

use crate::error::{Field, ParseFault};
use crate::grammar::{self, decimal_as, is_token};
use crate::model::Connection;

/// One `a=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    /// `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]` (RFC 8866 §6.6).
    RtpMap(RtpMap),
    /// `a=fmtp:<format> <parameters>` (RFC 8866 §6.15).
    Fmtp(Fmtp),
    /// `a=ptime:<ms>`: the packet time the sender of the SDP wants to receive (RFC 8866 §6.4,
    /// RFC 3264 §5.1).
    Ptime(u32),
    /// `a=maxptime:<ms>` (RFC 8866 §6.5).
    MaxPtime(u32),
    /// `a=sendrecv`, `a=sendonly`, `a=recvonly` or `a=inactive` (RFC 8866 §6.7).
    Direction(Direction),
    /// `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605 §2.1).
    Rtcp(Rtcp),
    /// `a=rtcp-mux`: RTP and RTCP share one port (RFC 5761 §5.1.1).
    RtcpMux,
    /// Any other attribute, kept as written (RFC 8866 §5.13: an attribute that is not understood
    /// is ignored). `value` is `None` for a property attribute (`a=name`).
    Other {
        /// The attribute name (a token).
        name: String,
        /// The text after the first `:`, if any.
        value: Option<String>,
    },
}

impl Attribute {
    /// The attribute name as written on the wire (`rtpmap`, `sendonly`, ...).
    pub fn name(&self) -> &str {
        match self {
            Attribute::RtpMap(_) => "rtpmap",
            Attribute::Fmtp(_) => "fmtp",
            Attribute::Ptime(_) => "ptime",
            Attribute::MaxPtime(_) => "maxptime",
            Attribute::Direction(direction) => direction.as_str(),
            Attribute::Rtcp(_) => "rtcp",
            Attribute::RtcpMux => "rtcp-mux",
            Attribute::Other { name, .. } => name,
        }
    }

    /// Reads the text after `a=`. The attributes of an audio call are typed; a malformed value of
    /// one of them is an error rather than silently ignored. Any other attribute is kept as
    /// written (RFC 8866 §5.13).
    pub(crate) fn parse(text: &str) -> Result<Attribute, ParseFault> {
        let (name, value) = match text.split_once(':') {
            Some((name, value)) => (name, Some(value)),
            None => (text, None),
        };
        if !is_token(name) {
            return Err(ParseFault::Invalid(Field::AttributeName));
        }
        if let (None, Some(direction)) = (value, Direction::from_name(name)) {
            return Ok(Attribute::Direction(direction));
        }
        let attribute = match (name, value) {
            ("rtpmap", value) => Attribute::RtpMap(RtpMap::parse(value.unwrap_or_default())?),
            ("fmtp", value) => Attribute::Fmtp(Fmtp::parse(value.unwrap_or_default())?),
            ("ptime", value) => {
                Attribute::Ptime(value.and_then(grammar::millis).ok_or(ParseFault::Invalid(Field::Ptime))?)
            }
            ("maxptime", value) => {
                Attribute::MaxPtime(value.and_then(grammar::millis).ok_or(ParseFault::Invalid(Field::MaxPtime))?)
            }
            ("rtcp", value) => Attribute::Rtcp(Rtcp::parse(value.unwrap_or_default())?),
            ("rtcp-mux", None) => Attribute::RtcpMux,
            (name, value) => Attribute::Other { name: name.to_owned(), value: value.map(str::to_owned) },
        };
        Ok(attribute)
    }
}

/// The direction of a media stream (RFC 8866 §6.7, RFC 3264 §5.1): whether the author of the SDP
/// sends and/or receives on it. With no attribute at media or session level it is `SendRecv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// Send and receive (the default, RFC 8866 §6.7.2).
    #[default]
    SendRecv,
    /// Send only (RFC 8866 §6.7.3).
    SendOnly,
    /// Receive only (RFC 8866 §6.7.1).
    RecvOnly,
    /// Neither (RFC 8866 §6.7.4).
    Inactive,
}

impl Direction {
    /// The direction that sends iff `send` and receives iff `receive`.
    pub fn from_flags(send: bool, receive: bool) -> Direction {
        match (send, receive) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    /// Reads an attribute name (`sendrecv`, `sendonly`, `recvonly`, `inactive`).
    pub fn from_name(name: &str) -> Option<Direction> {
        match name {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// Whether the author of the SDP sends media.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether the author of the SDP receives media.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The same stream seen from the other end: sendonly ↔ recvonly (RFC 3264 §6.1).
    pub fn reversed(self) -> Direction {
        Direction::from_flags(self.receives(), self.sends())
    }

    /// What both `self` and `other` allow: sends iff both send, receives iff both receive.
    pub fn intersect(self, other: Direction) -> Direction {
        Direction::from_flags(self.sends() && other.sends(), self.receives() && other.receives())
    }

    /// This direction with receiving removed (RFC 3264 §8.4: a `c=` of 0.0.0.0 means nothing is
    /// to be sent to the author).
    pub fn without_receive(self) -> Direction {
        Direction::from_flags(self.sends(), false)
    }
}

/// `a=rtpmap` (RFC 8866 §6.6): what an RTP payload type number stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtpMap {
    /// The payload type, 0–127.
    pub payload_type: u8,
    /// The encoding name, e.g. `PCMU`, `opus`, `telephone-event` (compared case-insensitively,
    /// RFC 8866 §5.14).
    pub encoding_name: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// The encoding parameters: the channel count for audio, `None` when not written (one
    /// channel).
    pub channels: Option<u16>,
}

impl RtpMap {
    fn parse(value: &str) -> Result<RtpMap, ParseFault> {
        let invalid = ParseFault::Invalid(Field::RtpMap);
        let (pt, encoding) = value.split_once(' ').ok_or(invalid)?;
        let payload_type = decimal_as::<u8>(pt).filter(|&pt| pt <= 127).ok_or(invalid)?;
        let mut parts = encoding.trim_start().split('/');
        let encoding_name = parts.next().filter(|n| is_token(n)).ok_or(invalid)?;
        let clock_rate = parts.next().and_then(decimal_as::<u32>).filter(|&r| r > 0).ok_or(invalid)?;
        let channels = parts.next().map(|c| decimal_as::<u16>(c).filter(|&c| c > 0).ok_or(invalid)).transpose()?;
        if parts.next().is_some() {
            return Err(invalid);
        }
        Ok(RtpMap { payload_type, encoding_name: encoding_name.to_owned(), clock_rate, channels })
    }
}

/// `a=fmtp` (RFC 8866 §6.15): format-specific parameters, kept as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fmtp {
    /// The media format the parameters are for (for RTP, a payload type number).
    pub format: String,
    /// The parameters as written, e.g. `useinbandfec=1; stereo=1` or `0-16`.
    pub params: String,
}

impl Fmtp {
    fn parse(value: &str) -> Result<Fmtp, ParseFault> {
        let (format, params) = value.split_once(' ').unwrap_or((value, ""));
        if !is_token(format) {
            return Err(ParseFault::Invalid(Field::Fmtp));
        }
        Ok(Fmtp { format: format.to_owned(), params: params.trim_start().to_owned() })
    }

    /// The payload type, if the format is an RTP payload type number.
    pub fn payload_type(&self) -> Option<u8> {
        decimal_as::<u8>(&self.format).filter(|&pt| pt <= 127)
    }

    /// The `;`-separated parameters as `(name, value)`; `value` is `None` for a parameter with
    /// no `=` (e.g. the event list `0-16` of RFC 4733 §2.4.1).
    pub fn params(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.params.split(';').map(str::trim).filter(|p| !p.is_empty()).map(|p| match p.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim())),
            None => (p, None),
        })
    }

    /// The value of parameter `name`, compared case-insensitively (RFC 8866 §5.14: parameter
    /// names are case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params().find(|(n, _)| n.eq_ignore_ascii_case(name)).and_then(|(_, value)| value)
    }
}

/// `a=rtcp` (RFC 3605 §2.1): where RTCP is to be sent, when not to the RTP port plus one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rtcp {
    /// The RTCP port.
    pub port: u16,
    /// The RTCP address, when not the stream's connection address.
    pub connection: Option<Connection>,
}

impl Rtcp {
    fn parse(value: &str) -> Result<Rtcp, ParseFault> {
        let invalid = ParseFault::Invalid(Field::Rtcp);
        let fields: Vec<&str> = value.split_ascii_whitespace().take(5).collect();
        let port = fields.first().and_then(|p| decimal_as::<u16>(p)).ok_or(invalid)?;
        let connection = match fields.as_slice() {
            [_] => None,
            [_, net_type, addr_type, address] => {
                Some(grammar::connection(net_type, addr_type, address).map_err(|_| invalid)?)
            }
            _ => return Err(invalid),
        };
        Ok(Rtcp { port, connection })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_attributes_read() {
        let rtpmap = RtpMap { payload_type: 111, encoding_name: "opus".into(), clock_rate: 48000, channels: Some(2) };
        assert_eq!(Attribute::parse("rtpmap:111 opus/48000/2"), Ok(Attribute::RtpMap(rtpmap)));
        assert_eq!(Attribute::parse("ptime:20"), Ok(Attribute::Ptime(20)));
        assert_eq!(Attribute::parse("sendonly"), Ok(Attribute::Direction(Direction::SendOnly)));
        assert_eq!(Attribute::parse("rtcp-mux"), Ok(Attribute::RtcpMux));
        let rtcp = Attribute::parse("rtcp:53020 IN IP4 126.16.64.4").unwrap();
        let Attribute::Rtcp(rtcp) = rtcp else { panic!("not rtcp") };
        assert_eq!(rtcp.port, 53020);
        assert_eq!(rtcp.connection.unwrap().address, "126.16.64.4");
    }

    #[test]
    fn unknown_and_odd_forms_are_kept() {
        let other = Attribute::parse("sendonly:x").unwrap();
        assert_eq!(other, Attribute::Other { name: "sendonly".into(), value: Some("x".into()) });
        let other = Attribute::parse("ice-ufrag:a:b").unwrap();
        assert_eq!(other, Attribute::Other { name: "ice-ufrag".into(), value: Some("a:b".into()) });
    }

    #[test]
    fn malformed_typed_attributes_are_errors() {
        for bad in ["rtpmap:128 X/8000", "rtpmap:0 PCMU", "rtpmap:0 PCMU/0", "rtpmap:0 PCMU/8000/1/2", "ptime:0"] {
            assert!(Attribute::parse(bad).is_err(), "{bad}");
        }
        assert!(Attribute::parse("rtcp:70000").is_err());
        assert!(Attribute::parse("rtcp:5000 IN IP4").is_err());
        assert!(Attribute::parse("bad name").is_err());
        assert!(Attribute::parse("").is_err());
    }

    #[test]
    fn fmtp_params_are_looked_up_case_insensitively() {
        let Ok(Attribute::Fmtp(fmtp)) = Attribute::parse("fmtp:111 minptime=10; UseInbandFEC=1") else {
            panic!("not fmtp")
        };
        assert_eq!(fmtp.payload_type(), Some(111));
        assert_eq!(fmtp.param("useinbandfec"), Some("1"));
        assert_eq!(fmtp.param("stereo"), None);
        let Ok(Attribute::Fmtp(events)) = Attribute::parse("fmtp:101 0-16") else { panic!("not fmtp") };
        assert_eq!(events.params().collect::<Vec<_>>(), vec![("0-16", None)]);
    }

    #[test]
    fn direction_algebra() {
        assert_eq!(Direction::SendOnly.reversed(), Direction::RecvOnly);
        assert_eq!(Direction::Inactive.reversed(), Direction::Inactive);
        assert_eq!(Direction::SendRecv.intersect(Direction::SendOnly), Direction::SendOnly);
        assert_eq!(Direction::RecvOnly.without_receive(), Direction::Inactive);
    }
}
