//! Writing a session description: CRLF line ends and the line order of RFC 8866 §5.

use std::fmt::{self, Display, Formatter, Write};

use crate::attribute::{Attribute, Direction, Fmtp, Rtcp, RtpMap};
use crate::error::{Error, UsageError};
use crate::model::{Bandwidth, Connection, ExtraLine, MediaDescription, MediaType, Origin, SessionDescription};
use crate::parse::Limits;

impl SessionDescription {
    /// Writes the description as SDP text and checks that it reads back as this very model, so
    /// that a field holding a line break, or a space where a token belongs, is caught here rather
    /// than by the peer. `Display` writes the same text without the check.
    pub fn encode(&self) -> Result<String, Error> {
        let text = self.to_string();
        let problem_line = match SessionDescription::parse_with(text.as_bytes(), &Limits::unlimited()) {
            Ok(read) if read == *self => return Ok(text),
            Ok(read) => first_differing_line(&text, &read.to_string()),
            Err(Error::Parse(e)) => e.line,
            Err(_) => 1,
        };
        Err(UsageError::Unrepresentable { line: problem_line }.into())
    }
}

fn first_differing_line(a: &str, b: &str) -> usize {
    a.split("\r\n").zip(b.split("\r\n")).take_while(|(x, y)| x == y).count() + 1
}

/// RFC 8866 §5: `v o s i u e* p* c b* (t r* z)+ k a*`, then each media section.
impl Display for SessionDescription {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "v=0\r\no={}\r\ns={}\r\n", self.origin, self.session_name)?;
        if let Some(information) = &self.information {
            write!(f, "i={information}\r\n")?;
        }
        if let Some(uri) = &self.uri {
            write!(f, "u={uri}\r\n")?;
        }
        for email in &self.emails {
            write!(f, "e={email}\r\n")?;
        }
        for phone in &self.phones {
            write!(f, "p={phone}\r\n")?;
        }
        if let Some(connection) = &self.connection {
            write!(f, "c={connection}\r\n")?;
        }
        for bandwidth in &self.bandwidths {
            write!(f, "b={bandwidth}\r\n")?;
        }
        for timing in &self.timings {
            write!(f, "t={} {}\r\n", timing.start, timing.stop)?;
            for repeat in &timing.repeats {
                write!(f, "r={repeat}\r\n")?;
            }
            if let Some(zone) = &timing.zone {
                write!(f, "z={zone}\r\n")?;
            }
        }
        if let Some(key) = &self.key {
            write!(f, "k={key}\r\n")?;
        }
        write_attributes(f, &self.attributes, &self.extra_lines)?;
        self.media.iter().try_for_each(|media| media.fmt(f))
    }
}

/// RFC 8866 §5: `m i c* b* k a*`.
impl Display for MediaDescription {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.media_type, self.port)?;
        if let Some(count) = self.port_count {
            write!(f, "/{count}")?;
        }
        write!(f, " {}", self.proto)?;
        for format in &self.formats {
            write!(f, " {format}")?;
        }
        f.write_str("\r\n")?;
        if let Some(title) = &self.title {
            write!(f, "i={title}\r\n")?;
        }
        for connection in &self.connections {
            write!(f, "c={connection}\r\n")?;
        }
        for bandwidth in &self.bandwidths {
            write!(f, "b={bandwidth}\r\n")?;
        }
        if let Some(key) = &self.key {
            write!(f, "k={key}\r\n")?;
        }
        write_attributes(f, &self.attributes, &self.extra_lines)
    }
}

fn write_attributes(f: &mut Formatter<'_>, attributes: &[Attribute], extra: &[ExtraLine]) -> fmt::Result {
    for attribute in attributes {
        write!(f, "a={attribute}\r\n")?;
    }
    for line in extra {
        write!(f, "{}={}\r\n", line.kind, line.value)?;
    }
    Ok(())
}

impl Display for Origin {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {}",
            self.username, self.session_id, self.session_version, self.net_type, self.addr_type, self.address
        )
    }
}

impl Display for Connection {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.net_type, self.addr_type, self.address)?;
        if let Some(ttl) = self.ttl {
            write!(f, "/{ttl}")?;
        }
        if let Some(count) = self.address_count {
            write!(f, "/{count}")?;
        }
        Ok(())
    }
}

impl Display for Bandwidth {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.bw_type, self.bandwidth)
    }
}

impl Display for MediaType {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for Direction {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text after `a=`.
impl Display for Attribute {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Attribute::RtpMap(map) => write!(f, "rtpmap:{map}"),
            Attribute::Fmtp(fmtp) => write!(f, "fmtp:{fmtp}"),
            Attribute::Ptime(ms) => write!(f, "ptime:{ms}"),
            Attribute::MaxPtime(ms) => write!(f, "maxptime:{ms}"),
            Attribute::Direction(direction) => f.write_str(direction.as_str()),
            Attribute::Rtcp(rtcp) => write!(f, "rtcp:{rtcp}"),
            Attribute::RtcpMux => f.write_str("rtcp-mux"),
            Attribute::Other { name, value: None } => f.write_str(name),
            Attribute::Other { name, value: Some(value) } => write!(f, "{name}:{value}"),
        }
    }
}

/// `<pt> <encoding>/<clock rate>[/<channels>]`.
impl Display for RtpMap {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.payload_type, self.encoding_name, self.clock_rate)?;
        if let Some(channels) = self.channels {
            write!(f, "/{channels}")?;
        }
        Ok(())
    }
}

/// `<format> <parameters>` (just `<format>` when there are none).
impl Display for Fmtp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format)?;
        if !self.params.is_empty() {
            f.write_char(' ')?;
            f.write_str(&self.params)?;
        }
        Ok(())
    }
}

/// `<port> [<nettype> <addrtype> <address>]`.
impl Display for Rtcp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.port)?;
        if let Some(connection) = &self.connection {
            write!(f, " {connection}")?;
        }
        Ok(())
    }
}
