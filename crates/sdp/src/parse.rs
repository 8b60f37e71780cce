//! Reading a session description (RFC 8866 §5, grammar §9), with hard limits against hostile
//! input.
//!
//! Lines end in CRLF or a bare LF (RFC 8866 §5 asks parsers to accept both); trailing spaces and
//! tabs are ignored except in the free-text `s=` and `i=` lines. `v=`, `o=` and `s=` must be the
//! first three lines in that order; the other lines of a section are accepted in any order (the
//! serializer restores the order of RFC 8866 §5), but a line that may appear once per section must
//! not repeat, `r=`/`z=` must follow a `t=`, and session-only lines must not appear in a media
//! section. Lines with a type letter RFC 8866 does not define are kept in [`ExtraLine`].

use std::str::FromStr;

use crate::attribute::Attribute;
use crate::error::{Error, Field, LimitError, ParseError, ParseFault};
use crate::grammar::{self, decimal, decimal_as, is_token};
use crate::model::{Bandwidth, ExtraLine, MediaDescription, MediaType, Origin, SessionDescription, Timing};

/// Hard limits on what a peer's session description may make us allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted description in octets (default 64 KiB).
    pub max_bytes: usize,
    /// Most lines (default 1024).
    pub max_lines: usize,
    /// Most `m=` sections (default 64).
    pub max_media: usize,
    /// Most formats on one `m=` line (default 128, the number of RTP payload types).
    pub max_formats: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: 64 * 1024, max_lines: 1024, max_media: 64, max_formats: 128 }
    }
}

impl Limits {
    /// No limits at all, for checking descriptions we built ourselves.
    pub fn unlimited() -> Self {
        Limits { max_bytes: usize::MAX, max_lines: usize::MAX, max_media: usize::MAX, max_formats: usize::MAX }
    }
}

impl SessionDescription {
    /// Reads a session description with the default [`Limits`].
    pub fn parse(input: &[u8]) -> Result<SessionDescription, Error> {
        SessionDescription::parse_with(input, &Limits::default())
    }

    /// Reads a session description with the given limits.
    pub fn parse_with(input: &[u8], limits: &Limits) -> Result<SessionDescription, Error> {
        if input.len() > limits.max_bytes {
            return Err(LimitError::TooLarge { limit: limits.max_bytes }.into());
        }
        let text = std::str::from_utf8(input).map_err(|e| {
            let valid = input.get(..e.valid_up_to()).unwrap_or_default();
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            ParseError::new(line, ParseFault::NotUtf8)
        })?;
        let lines = split_lines(text, limits)?;
        let mut lines = lines.into_iter();
        let mut session = read_header(&mut lines)?;
        let mut media_lines = Vec::new();
        let mut last_line = 3;
        for (n, kind, value) in lines {
            last_line = n;
            let at = |fault| ParseError::new(n, fault);
            if kind == 'm' {
                if session.media.len() >= limits.max_media {
                    return Err(LimitError::TooManyMedia { limit: limits.max_media }.into());
                }
                session.media.push(read_media_line(n, value, limits)?);
                media_lines.push(n);
                continue;
            }
            match session.media.last_mut() {
                None => session_line(&mut session, kind, value).map_err(at)?,
                Some(media) => media_line(media, kind, value).map_err(at)?,
            }
        }
        if session.timings.is_empty() {
            let line = media_lines.first().copied().unwrap_or(last_line + 1);
            return Err(ParseError::new(line, ParseFault::Missing('t')).into());
        }
        check_connections(&session, &media_lines)?;
        Ok(session)
    }
}

impl FromStr for SessionDescription {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SessionDescription::parse(s.as_bytes())
    }
}

/// Cuts the text into `(line number, type letter, value)`, checking each line's shape.
fn split_lines<'a>(text: &'a str, limits: &Limits) -> Result<Vec<(usize, char, &'a str)>, Error> {
    let body = text.trim_end_matches(['\r', '\n']);
    if body.is_empty() {
        return Err(ParseError::new(1, ParseFault::VersionNotFirst).into());
    }
    let mut lines = Vec::new();
    for (index, raw) in body.split('\n').enumerate() {
        let n = index + 1;
        if n > limits.max_lines {
            return Err(LimitError::TooManyLines { limit: limits.max_lines }.into());
        }
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let (kind, value) = split_line(line).map_err(|fault| ParseError::new(n, fault))?;
        lines.push((n, kind, value));
    }
    Ok(lines)
}

/// `<type>=<value>` (RFC 8866 §5); trailing white space is dropped except in `s=` and `i=`.
fn split_line(line: &str) -> Result<(char, &str), ParseFault> {
    if line.contains(['\0', '\r']) {
        return Err(ParseFault::ControlCharacter);
    }
    if line.is_empty() {
        return Err(ParseFault::EmptyLine);
    }
    let mut chars = line.chars();
    let kind = chars.next().filter(char::is_ascii_lowercase).ok_or(ParseFault::NotTypeValue)?;
    let value = chars.as_str().strip_prefix('=').ok_or(ParseFault::NotTypeValue)?;
    match kind {
        's' | 'i' => Ok((kind, value)),
        _ => Ok((kind, value.trim_end_matches([' ', '\t']))),
    }
}

/// The three lines every description starts with: `v=0`, `o=`, `s=` (RFC 8866 §5.1–5.3).
fn read_header<'a>(lines: &mut impl Iterator<Item = (usize, char, &'a str)>) -> Result<SessionDescription, Error> {
    match lines.next() {
        Some((_, 'v', "0")) => {}
        Some((n, 'v', _)) => return Err(ParseError::new(n, ParseFault::UnsupportedVersion).into()),
        _ => return Err(ParseError::new(1, ParseFault::VersionNotFirst).into()),
    }
    let origin = match lines.next() {
        Some((n, 'o', value)) => read_origin(value).map_err(|fault| ParseError::new(n, fault))?,
        _ => return Err(ParseError::new(2, ParseFault::Missing('o')).into()),
    };
    let session_name = match lines.next() {
        Some((_, 's', value)) => value.to_owned(),
        _ => return Err(ParseError::new(3, ParseFault::Missing('s')).into()),
    };
    let mut session = SessionDescription::new(origin);
    session.session_name = session_name;
    session.timings.clear();
    Ok(session)
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
/// (RFC 8866 §5.2).
fn read_origin(value: &str) -> Result<Origin, ParseFault> {
    let fields: Vec<&str> = value.split_ascii_whitespace().take(7).collect();
    let [username, id, version, net_type, addr_type, address] = fields.as_slice() else {
        return Err(ParseFault::FieldCount('o'));
    };
    if !grammar::is_non_ws(username) {
        return Err(ParseFault::Invalid(Field::Username));
    }
    let session_id = decimal(id).ok_or(ParseFault::Invalid(Field::SessionId))?;
    let session_version = decimal(version).ok_or(ParseFault::Invalid(Field::SessionVersion))?;
    if !is_token(net_type) {
        return Err(ParseFault::Invalid(Field::NetType));
    }
    if !is_token(addr_type) {
        return Err(ParseFault::Invalid(Field::AddrType));
    }
    if !grammar::valid_unicast(addr_type, address) {
        return Err(ParseFault::Invalid(Field::Address));
    }
    Ok(Origin {
        username: (*username).to_owned(),
        session_id,
        session_version,
        net_type: (*net_type).to_owned(),
        addr_type: (*addr_type).to_owned(),
        address: (*address).to_owned(),
    })
}

/// A session-level line other than `v=`, `o=`, `s=` and `m=`.
fn session_line(session: &mut SessionDescription, kind: char, value: &str) -> Result<(), ParseFault> {
    match kind {
        'v' | 'o' | 's' => return Err(ParseFault::Repeated(kind)),
        'i' => set_once(&mut session.information, kind, value)?,
        'u' => set_once(&mut session.uri, kind, value)?,
        'e' => session.emails.push(value.to_owned()),
        'p' => session.phones.push(value.to_owned()),
        'c' => {
            if session.connection.is_some() {
                return Err(ParseFault::Repeated('c'));
            }
            session.connection = Some(read_connection(value)?);
        }
        'b' => session.bandwidths.push(read_bandwidth(value)?),
        't' => session.timings.push(read_timing(value)?),
        'r' => session.timings.last_mut().ok_or(ParseFault::OutOfPlace('r'))?.repeats.push(value.to_owned()),
        'z' => {
            let timing = session.timings.last_mut().ok_or(ParseFault::OutOfPlace('z'))?;
            set_once(&mut timing.zone, kind, value)?;
        }
        'k' => set_once(&mut session.key, kind, value)?,
        'a' => session.attributes.push(Attribute::parse(value)?),
        _ => session.extra_lines.push(ExtraLine { kind, value: value.to_owned() }),
    }
    Ok(())
}

/// A line of a media section other than `m=` (RFC 8866 §5: `i=`, `c=`, `b=`, `k=`, `a=`).
fn media_line(media: &mut MediaDescription, kind: char, value: &str) -> Result<(), ParseFault> {
    match kind {
        'v' | 'o' | 's' | 'u' | 'e' | 'p' | 't' | 'r' | 'z' => return Err(ParseFault::OutOfPlace(kind)),
        'i' => set_once(&mut media.title, kind, value)?,
        'c' => media.connections.push(read_connection(value)?),
        'b' => media.bandwidths.push(read_bandwidth(value)?),
        'k' => set_once(&mut media.key, kind, value)?,
        'a' => media.attributes.push(Attribute::parse(value)?),
        _ => media.extra_lines.push(ExtraLine { kind, value: value.to_owned() }),
    }
    Ok(())
}

fn set_once(slot: &mut Option<String>, kind: char, value: &str) -> Result<(), ParseFault> {
    if slot.is_some() {
        return Err(ParseFault::Repeated(kind));
    }
    *slot = Some(value.to_owned());
    Ok(())
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7).
fn read_connection(value: &str) -> Result<crate::model::Connection, ParseFault> {
    let fields: Vec<&str> = value.split_ascii_whitespace().take(4).collect();
    let [net_type, addr_type, address] = fields.as_slice() else {
        return Err(ParseFault::FieldCount('c'));
    };
    grammar::connection(net_type, addr_type, address)
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8).
fn read_bandwidth(value: &str) -> Result<Bandwidth, ParseFault> {
    let invalid = ParseFault::Invalid(Field::Bandwidth);
    let (bw_type, bandwidth) = value.split_once(':').ok_or(invalid)?;
    if !is_token(bw_type) {
        return Err(invalid);
    }
    let bandwidth = decimal(bandwidth).ok_or(invalid)?;
    Ok(Bandwidth { bw_type: bw_type.to_owned(), bandwidth })
}

/// `t=<start-time> <stop-time>` (RFC 8866 §5.9).
fn read_timing(value: &str) -> Result<Timing, ParseFault> {
    let fields: Vec<&str> = value.split_ascii_whitespace().take(3).collect();
    let [start, stop] = fields.as_slice() else {
        return Err(ParseFault::FieldCount('t'));
    };
    let start = decimal(start).ok_or(ParseFault::Invalid(Field::Time))?;
    let stop = decimal(stop).ok_or(ParseFault::Invalid(Field::Time))?;
    Ok(Timing { start, stop, repeats: Vec::new(), zone: None })
}

/// `m=<media> <port>[/<number of ports>] <proto> <fmt> ...` (RFC 8866 §5.14). For an RTP proto
/// every format must be a payload type 0–127. A disabled stream (port 0) may list no format.
fn read_media_line(n: usize, value: &str, limits: &Limits) -> Result<MediaDescription, Error> {
    let at = |fault| ParseError::new(n, fault);
    let mut fields = value.split_ascii_whitespace();
    let (Some(media), Some(port), Some(proto)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(at(ParseFault::FieldCount('m')).into());
    };
    if !is_token(media) {
        return Err(at(ParseFault::Invalid(Field::MediaType)).into());
    }
    let (port, port_count) = match port.split_once('/') {
        Some((port, count)) => {
            let count = decimal_as::<u16>(count).filter(|&c| c > 0).ok_or(at(ParseFault::Invalid(Field::PortCount)))?;
            (port, Some(count))
        }
        None => (port, None),
    };
    let port = decimal_as::<u16>(port).ok_or(at(ParseFault::Invalid(Field::Port)))?;
    if !proto.split('/').all(is_token) {
        return Err(at(ParseFault::Invalid(Field::Proto)).into());
    }
    let mut description = MediaDescription::new(MediaType::from_token(media), port, proto, Vec::new());
    description.port_count = port_count;
    let rtp = description.is_rtp();
    for format in fields {
        if description.formats.len() >= limits.max_formats {
            return Err(LimitError::TooManyFormats { line: n, limit: limits.max_formats }.into());
        }
        let valid = is_token(format) && (!rtp || decimal_as::<u8>(format).is_some_and(|pt| pt <= 127));
        if !valid {
            return Err(at(ParseFault::Invalid(Field::Format)).into());
        }
        description.formats.push(format.to_owned());
    }
    if description.formats.is_empty() && port != 0 {
        return Err(at(ParseFault::FieldCount('m')).into());
    }
    Ok(description)
}

/// Every media section in use needs a connection address, its own or the session's
/// (RFC 8866 §5.7). Disabled streams (port 0) are let through: they carry no media.
fn check_connections(session: &SessionDescription, media_lines: &[usize]) -> Result<(), Error> {
    if session.connection.is_some() {
        return Ok(());
    }
    for (media, &n) in session.media.iter().zip(media_lines) {
        if media.port != 0 && media.connections.is_empty() {
            return Err(ParseError::new(n, ParseFault::NoConnection).into());
        }
    }
    Ok(())
}
