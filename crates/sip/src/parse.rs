//! Reading a message from a UDP datagram (RFC 3261 §7, §18.3).
//!
//! Parsing only frames the message: start line, header lines (folds kept), body. It is lenient
//! where RFC 3261 lets a receiver be (leading CRLFs, extra SP between request-line elements, a
//! datagram whose header section ends without an empty line) and leaves semantic checks to
//! [`crate::validate`], so that a request with a bad header still gets a precise 400.

use bytes::Bytes;
use bytestring::ByteString;

use crate::error::{Error, LimitError, ParseError};
use crate::grammar::{is_token, split_commas, trim_lws};
use crate::limits::Limits;
use crate::message::{Header, Headers, Message, Method, Request, Response, Version};
use crate::name::HeaderName;

/// Where the header section ends and the body starts, in a buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Split {
    /// End of the last header line, its line break included.
    pub header_end: usize,
    /// First octet of the body.
    pub body_start: usize,
}

/// Finds the empty line that ends the header section (`CRLF CRLF`, or a bare `LF LF` from a
/// lenient peer), searching from `from`.
pub(crate) fn find_header_end(data: &[u8], from: usize) -> Option<Split> {
    let hay = data.get(from..)?;
    let crlf = memchr::memmem::find(hay, b"\r\n\r\n");
    let limit = crlf.map_or(hay.len(), |p| p + 2);
    let lf = memchr::memmem::find(&hay[..limit], b"\n\n");
    match (crlf, lf) {
        (_, Some(p)) => Some(Split { header_end: from + p + 1, body_start: from + p + 2 }),
        (Some(p), None) => Some(Split { header_end: from + p + 2, body_start: from + p + 4 }),
        (None, None) => None,
    }
}

/// Number of CR and LF octets before the start line (RFC 3261 §7.5: ignored).
pub(crate) fn leading_crlf(data: &[u8]) -> usize {
    data.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count()
}

/// Parses one message from a datagram with the default [`Limits`].
pub fn parse_datagram(data: impl Into<Bytes>) -> Result<Message, Error> {
    parse_datagram_with(data.into(), &Limits::default())
}

/// Parses one message from a datagram.
///
/// Octets after the body that Content-Length announces are discarded (RFC 3261 §18.3). With no
/// Content-Length the body runs to the end of the datagram. A Content-Length that is malformed or
/// larger than the datagram does not fail the parse: [`crate::validate`] answers it with 400.
pub fn parse_datagram_with(data: Bytes, limits: &Limits) -> Result<Message, Error> {
    if data.len() > limits.max_message_size {
        return Err(LimitError::MessageTooLarge { limit: limits.max_message_size }.into());
    }
    let start = leading_crlf(&data);
    if start == data.len() {
        return Err(ParseError::Empty.into());
    }
    let split = find_header_end(&data, start)
        .unwrap_or(Split { header_end: data.len(), body_start: data.len() });
    let section = header_text(data.slice(start..split.header_end));
    let (start_line, headers) = parse_header_section(&section, limits)?;
    let available = data.len() - split.body_start;
    let body_len = match content_length(&headers) {
        Ok(Some(n)) if n <= available => n,
        _ => available,
    };
    let body = data.slice(split.body_start..split.body_start + body_len);
    build_message(&section, start_line, headers, body, limits)
}

/// The header section as text: zero-copy when it is UTF-8, else a lossy copy (a Latin-1 display
/// name from an old PBX must not stop the phone ringing; the structure is ASCII either way).
pub(crate) fn header_text(bytes: Bytes) -> ByteString {
    ByteString::try_from(bytes.clone())
        .unwrap_or_else(|_| ByteString::from(String::from_utf8_lossy(&bytes).into_owned()))
}

/// The first Content-Length of `headers`, checked: `Err` when any is malformed or they disagree.
pub(crate) fn content_length(headers: &Headers) -> Result<Option<usize>, ParseError> {
    let mut found = None;
    for value in headers.get_all(&HeaderName::ContentLength) {
        let n = parse_length(value)?;
        if found.is_some_and(|f| f != n) {
            return Err(ParseError::ConflictingContentLength);
        }
        found = Some(n);
    }
    Ok(found)
}

/// A Content-Length value: 1*DIGIT, bounded well below `usize::MAX`.
pub(crate) fn parse_length(value: &str) -> Result<usize, ParseError> {
    let value = trim_lws(value);
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::BadContentLength);
    }
    value.parse().map_err(|_| ParseError::BadContentLength)
}

/// Splits the header section into the start line and the header fields.
fn parse_header_section<'s>(section: &'s ByteString, limits: &Limits) -> Result<(&'s str, Headers), Error> {
    let mut lines = Lines { text: section, pos: 0 };
    let (start_line, _) = lines.next().ok_or(ParseError::Empty)?;
    let mut headers = Headers::with_capacity(16);
    let mut pending: Option<Pending> = None;
    let mut vias = 0usize;
    for (line_no, (line, line_start)) in (2..).zip(lines.by_ref()) {
        if line.starts_with([' ', '\t']) {
            let open = pending.as_mut().ok_or(ParseError::FoldWithoutHeader)?;
            open.value_end = line_start + line.len();
            continue;
        }
        if let Some(done) = pending.take() {
            flush(section, done, &mut headers, &mut vias, limits)?;
        }
        let colon = line.find(':').ok_or(ParseError::BadHeaderLine { line: line_no })?;
        let name = line[..colon].trim_end_matches([' ', '\t']);
        if !is_token(name) {
            return Err(ParseError::BadHeaderLine { line: line_no }.into());
        }
        pending = Some(Pending {
            name_start: line_start,
            name_end: line_start + name.len(),
            value_start: line_start + colon + 1,
            value_end: line_start + line.len(),
        });
    }
    if let Some(done) = pending {
        flush(section, done, &mut headers, &mut vias, limits)?;
    }
    Ok((start_line, headers))
}

/// A header field whose folds may still be coming.
struct Pending {
    name_start: usize,
    name_end: usize,
    value_start: usize,
    value_end: usize,
}

fn flush(section: &ByteString, field: Pending, headers: &mut Headers, vias: &mut usize, limits: &Limits) -> Result<(), Error> {
    if field.value_end - field.name_start > limits.max_header_len {
        return Err(LimitError::HeaderTooLong { limit: limits.max_header_len }.into());
    }
    if headers.len() >= limits.max_headers {
        return Err(LimitError::TooManyHeaders { limit: limits.max_headers }.into());
    }
    let name = HeaderName::from_slice(section, &section[field.name_start..field.name_end]);
    let value = section.slice_ref(trim_lws(&section[field.value_start..field.value_end]));
    if name == HeaderName::Via {
        *vias += split_commas(&value).count();
        if *vias > limits.max_vias {
            return Err(LimitError::TooManyVias { limit: limits.max_vias }.into());
        }
    }
    headers.push_parsed(Header { name, value });
    Ok(())
}

/// Lines of a header section, split at LF with a trailing CR removed, with their offsets.
struct Lines<'s> {
    text: &'s str,
    pos: usize,
}

impl<'s> Iterator for Lines<'s> {
    type Item = (&'s str, usize);

    fn next(&mut self) -> Option<(&'s str, usize)> {
        let rest = self.text.get(self.pos..).filter(|r| !r.is_empty())?;
        let start = self.pos;
        let (line, advance) = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        self.pos += advance;
        Some((line.strip_suffix('\r').unwrap_or(line), start))
    }
}

fn build_message(
    section: &ByteString,
    start_line: &str,
    headers: Headers,
    body: Bytes,
    limits: &Limits,
) -> Result<Message, Error> {
    if start_line.as_bytes().get(..4).is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/")) {
        return parse_status_line(section, start_line)
            .map(|(version, status, reason)| Message::Response(Response { version, status, reason, headers, body }));
    }
    let (method, uri, version) = parse_request_line(section, start_line)?;
    if uri.len() > limits.max_uri_len {
        return Err(LimitError::UriTooLong { limit: limits.max_uri_len }.into());
    }
    Ok(Message::Request(Request { method, uri, version, headers, body }))
}

/// `Method SP Request-URI SP SIP-Version` (RFC 3261 §7.1): the method is the first word, the
/// version the last, the Request-URI everything between. Runs of SP and trailing SP are tolerated
/// (RFC 4475 §3.1.2.9, §3.1.2.10: the elements are unambiguous). A Request-URI with SP inside
/// (§3.1.2.8) is kept as received, so that [`crate::validate`] can answer it with 400 instead of
/// the request being dropped.
fn parse_request_line(section: &ByteString, line: &str) -> Result<(Method, ByteString, Version), Error> {
    let line = line.trim_matches(' ');
    let (Some((method, rest)), Some((_, version))) = (line.split_once(' '), line.rsplit_once(' ')) else {
        return Err(ParseError::BadRequestLine.into());
    };
    let uri = rest.get(..rest.len().saturating_sub(version.len() + 1)).map(|u| u.trim_matches(' ')).unwrap_or("");
    if uri.is_empty() {
        return Err(ParseError::BadRequestLine.into());
    }
    let method = Method::from_slice(section, method).ok_or(ParseError::BadMethod)?;
    let version = Version::parse(version).ok_or(ParseError::BadVersion)?;
    Ok((method, section.slice_ref(uri), version))
}

/// `SIP-Version SP Status-Code SP Reason-Phrase` (RFC 3261 §7.2). The reason may be empty, and
/// the SP before an empty reason may be missing.
fn parse_status_line(section: &ByteString, line: &str) -> Result<(Version, u16, ByteString), Error> {
    let (version, rest) = line.split_once(' ').ok_or(ParseError::BadStatusLine)?;
    let version = Version::parse(version).ok_or(ParseError::BadVersion)?;
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::BadStatusCode.into());
    }
    let status: u16 = code.parse().map_err(|_| ParseError::BadStatusCode)?;
    if !(100..=699).contains(&status) {
        return Err(ParseError::BadStatusCode.into());
    }
    Ok((version, status, section.slice_ref(reason)))
}

impl Message {
    /// Parses one message from a datagram; see [`parse_datagram`].
    pub fn parse(data: impl Into<Bytes>) -> Result<Message, Error> {
        parse_datagram(data)
    }
}
