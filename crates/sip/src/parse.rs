//! Reading a message from a UDP datagram (RFC 3261 §7, §18.3).
//!
//! Parsing only frames the message: start line, header lines (folds kept), body. It is lenient
//! where RFC 3261 lets a receiver be (leading CRLFs, extra SP between request-line elements, a
//! datagram whose header section ends without an empty line) and leaves semantic checks to
//! [`crate::validate`], so that a request with a bad header still gets a precise 400.

use bytes::Bytes;
use bytestring::ByteString;

use crate::error::{Error, LimitError, ParseError};
use crate::grammar::{is_lws_byte, is_token_byte, split_at_byte, split_commas, trim_lws};
use crate::headers::{Field, Span};
use crate::limits::Limits;
use crate::message::{Headers, Message, Method, Request, Response, Version};
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
/// lenient peer), searching from `from`: one pass over the line ends.
pub(crate) fn find_header_end(data: &[u8], from: usize) -> Option<Split> {
    let hay = data.get(from..)?;
    for lf in memchr::memchr_iter(b'\n', hay) {
        match (hay.get(lf + 1), hay.get(lf + 2)) {
            (Some(b'\n'), _) => return Some(Split { header_end: from + lf + 1, body_start: from + lf + 2 }),
            (Some(b'\r'), Some(b'\n')) => return Some(Split { header_end: from + lf + 1, body_start: from + lf + 3 }),
            _ => {}
        }
    }
    None
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
    let found = scan(&data[start..], limits)?;
    let section = data.slice(start..start + found.header_end);
    let body_start = start + found.body_start;
    let (text, scan) = match ByteString::try_from(section.clone()) {
        Ok(text) => (text, found),
        Err(_) => {
            // A Latin-1 display name from an old PBX must not stop the phone ringing: read the
            // section lossily (its structure is ASCII either way) and scan that text again.
            let text = ByteString::from(String::from_utf8_lossy(&section).into_owned());
            let rescan = scan(text.as_bytes(), limits)?;
            (text, rescan)
        }
    };
    let start_line = text.get(..scan.start_line_end).unwrap_or("");
    let headers = Headers::from_received(text.clone(), resolve_names(&text, scan.fields, scan.unknown_names));
    let available = data.len() - body_start;
    let body_len = match scan.content_length {
        Ok(Some(n)) if n <= available => n,
        _ => available,
    };
    let body = data.slice(body_start..body_start + body_len);
    build_message(&text, start_line, headers, body, limits)
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
    parse_length_bytes(trim_lws(value).as_bytes())
}

/// [`parse_length`] on trimmed bytes: at most 10 digits.
fn parse_length_bytes(value: &[u8]) -> Result<usize, ParseError> {
    if value.is_empty() || value.len() > 10 {
        return Err(ParseError::BadContentLength);
    }
    value
        .iter()
        .try_fold(0usize, |n, &b| match b {
            // Checked: ten digits overflow a 32-bit usize (small ARM boards).
            b'0'..=b'9' => n.checked_mul(10).and_then(|n| n.checked_add(usize::from(b - b'0'))),
            _ => None,
        })
        .ok_or(ParseError::BadContentLength)
}

/// Folds one more Content-Length value into what was found so far (see [`content_length`]).
fn merge_length(found: Result<Option<usize>, ParseError>, value: &[u8]) -> Result<Option<usize>, ParseError> {
    let n = parse_length_bytes(value)?;
    match found? {
        Some(previous) if previous != n => Err(ParseError::ConflictingContentLength),
        _ => Ok(Some(n)),
    }
}

/// What one pass over the header section found. Offsets are relative to the start line.
struct Scan {
    /// End of the start line, its line break excluded.
    start_line_end: usize,
    /// The fields; unknown names are placeholders until [`resolve_names`].
    fields: Vec<Field>,
    /// `(field index, name start, name end)` of the fields with unknown names.
    unknown_names: Vec<(usize, usize, usize)>,
    /// End of the header section (the last header line's break included).
    header_end: usize,
    /// Start of the body.
    body_start: usize,
    /// The Content-Length, as [`content_length`] would read it from the fields.
    content_length: Result<Option<usize>, ParseError>,
}

/// A header field whose folds may still be coming.
struct Pending {
    name_start: usize,
    name_end: usize,
    value_start: usize,
    value_end: usize,
}

/// One pass over the lines of a message: the start line, the header fields (folds joined), and
/// the empty line that ends the section. A datagram whose section ends without the empty line
/// (RFC 4475 §3.1.2.15, RFC 5118 §4.10) ends at the end of the input.
fn scan(bytes: &[u8], limits: &Limits) -> Result<Scan, Error> {
    let (start_line_end, mut pos) = line_at(bytes, 0);
    let mut out = Scan {
        start_line_end,
        fields: Vec::with_capacity(16),
        unknown_names: Vec::new(),
        header_end: bytes.len(),
        body_start: bytes.len(),
        content_length: Ok(None),
    };
    let mut pending: Option<Pending> = None;
    let mut vias = 0usize;
    let mut line_no = 1;
    while pos < bytes.len() {
        let (line_end, next) = line_at(bytes, pos);
        line_no += 1;
        if line_end == pos {
            out.header_end = pos;
            out.body_start = next;
            break;
        }
        if matches!(bytes[pos], b' ' | b'\t') {
            pending.as_mut().ok_or(ParseError::FoldWithoutHeader)?.value_end = line_end;
        } else {
            if let Some(done) = pending.take() {
                flush(bytes, done, &mut out, &mut vias, limits)?;
            }
            let (name_len, colon) =
                scan_name(&bytes[pos..line_end]).ok_or(ParseError::BadHeaderLine { line: line_no })?;
            pending = Some(Pending {
                name_start: pos,
                name_end: pos + name_len,
                value_start: pos + colon + 1,
                value_end: line_end,
            });
        }
        pos = next;
    }
    if let Some(done) = pending {
        flush(bytes, done, &mut out, &mut vias, limits)?;
    }
    Ok(out)
}

/// The line starting at `pos`: where it ends (before CR LF or a bare LF) and where the next one
/// starts.
#[inline]
fn line_at(bytes: &[u8], pos: usize) -> (usize, usize) {
    match find_byte(bytes, pos, b'\n') {
        Some(lf) if lf > pos && bytes[lf - 1] == b'\r' => (lf - 1, lf + 1),
        Some(lf) => (lf, lf + 1),
        None => (bytes.len(), bytes.len()),
    }
}

/// The first `needle` at or after `from`, eight bytes at a time (header lines are short, so this
/// beats a SIMD search's setup).
#[inline]
pub(crate) fn find_byte(bytes: &[u8], from: usize, needle: u8) -> Option<usize> {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let pattern = LOW * needle as u64;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])) ^ pattern;
        let found = word.wrapping_sub(LOW) & !word & HIGH;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    bytes.get(i..)?.iter().position(|&b| b == needle).map(|p| i + p)
}

/// Reads `token *WSP ":"` at the start of a header line in one pass: the name's length and the
/// colon's offset, or `None` when the line is not `name: value`.
#[inline]
fn scan_name(line: &[u8]) -> Option<(usize, usize)> {
    let name_len = line.iter().position(|&b| !is_token_byte(b))?;
    let colon = name_len + line[name_len..].iter().position(|&b| b != b' ' && b != b'\t')?;
    (name_len > 0 && line[colon] == b':').then_some((name_len, colon))
}

/// Ends a field: checks the limits, trims the value, counts Via values.
fn flush(bytes: &[u8], field: Pending, out: &mut Scan, vias: &mut usize, limits: &Limits) -> Result<(), LimitError> {
    if field.value_end - field.name_start > limits.max_header_len {
        return Err(LimitError::HeaderTooLong { limit: limits.max_header_len });
    }
    if out.fields.len() >= limits.max_headers {
        return Err(LimitError::TooManyHeaders { limit: limits.max_headers });
    }
    let mut start = field.value_start;
    let mut end = field.value_end;
    while start < end && is_lws_byte(bytes[start]) {
        start += 1;
    }
    while end > start && is_lws_byte(bytes[end - 1]) {
        end -= 1;
    }
    let name = match HeaderName::known_bytes(&bytes[field.name_start..field.name_end]) {
        Some(name) => name,
        None => {
            out.unknown_names.push((out.fields.len(), field.name_start, field.name_end));
            HeaderName::Other(ByteString::new())
        }
    };
    if name == HeaderName::ContentLength {
        out.content_length = merge_length(out.content_length, &bytes[start..end]);
    } else if name == HeaderName::Via {
        let value = &bytes[start..end];
        *vias += match find_byte(value, 0, b',') {
            None => 1,
            Some(_) => std::str::from_utf8(value).map_or(1, |v| split_commas(v).count()),
        };
        if *vias > limits.max_vias {
            return Err(LimitError::TooManyVias { limit: limits.max_vias });
        }
    }
    let span = |n: usize| u32::try_from(n).map_err(|_| LimitError::MessageTooLarge { limit: limits.max_message_size });
    out.fields.push(Field { name, value: Span { start: span(start)?, end: span(end)?, built: false } });
    Ok(())
}

/// Gives the unknown header names their text, sharing the section's buffer.
fn resolve_names(text: &ByteString, mut fields: Vec<Field>, unknown: Vec<(usize, usize, usize)>) -> Vec<Field> {
    for (index, start, end) in unknown {
        if let (Some(field), Some(name)) = (fields.get_mut(index), text.get(start..end)) {
            field.name = HeaderName::Other(text.slice_ref(name));
        }
    }
    fields
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
    let (version, rest) = split_at_byte(line, b' ').ok_or(ParseError::BadStatusLine)?;
    let version = Version::parse(version).ok_or(ParseError::BadVersion)?;
    let (code, reason) = split_at_byte(rest, b' ').unwrap_or((rest, ""));
    let status = match code.as_bytes() {
        &[a @ b'1'..=b'6', b @ b'0'..=b'9', c @ b'0'..=b'9'] => {
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
        }
        _ => return Err(ParseError::BadStatusCode.into()),
    };
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
