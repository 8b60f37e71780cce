//! Framing messages out of a byte stream (TCP, TLS) by Content-Length (RFC 3261 §18.3), with the
//! CRLF keep-alives of RFC 5626 §4.4.1 between messages.

use bytes::{Buf, BytesMut};

use crate::error::{Error, LimitError, ParseError};
use crate::limits::Limits;
use crate::message::Message;
use crate::parse::{find_header_end, parse_datagram_with, parse_length};

/// What the stream delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A complete message.
    Message(Message),
    /// A complete frame (its length was known) whose content is not a message; the stream stays
    /// usable. A UAS answers a request-shaped one with 400 if it can.
    Invalid(Error),
    /// `CRLF CRLF`: a keep-alive ping (RFC 5626 §4.4.1); the receiver answers with a pong.
    Ping,
    /// A lone `CRLF`: a keep-alive pong. A `CRLF` at the end of the buffered bytes is taken as a
    /// pong too, since a phone (the client of a flow) is who pings; a ping split across two reads
    /// shows as two pongs, which is harmless: both say the flow is alive.
    Pong,
}

/// Accumulates stream bytes and yields [`Frame`]s.
///
/// Errors from [`StreamFramer::next_frame`] are fatal to the connection (RFC 3261 §18.3: a
/// stream whose framing is lost must be closed); the framer must not be used after one.
#[derive(Debug)]
pub struct StreamFramer {
    buffer: BytesMut,
    limits: Limits,
}

impl StreamFramer {
    /// A framer that enforces `limits`.
    pub fn new(limits: Limits) -> Self {
        StreamFramer { buffer: BytesMut::with_capacity(4096), limits }
    }

    /// Appends bytes read from the stream. Drain [`StreamFramer::next_frame`] after every push:
    /// then the buffer never holds more than one read beyond `Limits::max_message_size`, since a
    /// frame that grows past the limit is refused and complete frames leave the buffer.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Octets held but not framed yet.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// The next complete frame; `Ok(None)` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, Error> {
        if let Some(keepalive) = self.keepalive() {
            return Ok(keepalive);
        }
        let Some(split) = find_header_end(&self.buffer, 0) else {
            return self.need_more();
        };
        let length = declared_length(&self.buffer[..split.header_end])?;
        let total = split.body_start.checked_add(length).ok_or(ParseError::BadContentLength)?;
        if total > self.limits.max_message_size {
            return Err(LimitError::MessageTooLarge { limit: self.limits.max_message_size }.into());
        }
        if self.buffer.len() < total {
            return Ok(None);
        }
        let frame = self.buffer.split_to(total).freeze();
        Ok(Some(match parse_datagram_with(frame, &self.limits) {
            Ok(message) => Frame::Message(message),
            Err(error) => Frame::Invalid(error),
        }))
    }

    /// `Some(Some(frame))` for a keep-alive, `Some(None)` when the CRLFs so far may still become a
    /// ping, `None` when a message starts here.
    fn keepalive(&mut self) -> Option<Option<Frame>> {
        let b = &self.buffer;
        if !b.starts_with(b"\r\n") {
            return None;
        }
        if b.starts_with(b"\r\n\r\n") {
            self.buffer.advance(4);
            return Some(Some(Frame::Ping));
        }
        if b.len() == 3 && b[2] == b'\r' {
            return Some(None);
        }
        self.buffer.advance(2);
        Some(Some(Frame::Pong))
    }

    fn need_more(&self) -> Result<Option<Frame>, Error> {
        if self.buffer.len() > self.limits.max_message_size {
            return Err(LimitError::MessageTooLarge { limit: self.limits.max_message_size }.into());
        }
        Ok(None)
    }
}

/// The body length a stream frame declares: its Content-Length (all values equal), or 0 when it
/// has none (RFC 3261 §20.14 makes it mandatory on streams; 0 is the only safe reading).
fn declared_length(header_section: &[u8]) -> Result<usize, Error> {
    let mut found: Option<usize> = None;
    for line in header_section.split(|&b| b == b'\n').skip(1) {
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let name = line[..colon].trim_ascii_end();
        if !(name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l")) {
            continue;
        }
        let value = std::str::from_utf8(&line[colon + 1..]).map_err(|_| ParseError::BadContentLength)?;
        let n = parse_length(value)?;
        if found.is_some_and(|f| f != n) {
            return Err(ParseError::ConflictingContentLength.into());
        }
        found = Some(n);
    }
    Ok(found.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: 5\r\n\r\nhello";

    fn framer() -> StreamFramer {
        StreamFramer::new(Limits::default())
    }

    #[test]
    fn frames_messages_split_across_reads_and_keepalives_between() {
        let mut f = framer();
        let mut stream = b"\r\n\r\n".to_vec();
        stream.extend_from_slice(OPTIONS);
        stream.extend_from_slice(b"\r\n");
        stream.extend_from_slice(OPTIONS);
        let mut frames = Vec::new();
        for chunk in stream.chunks(7) {
            f.push(chunk);
            while let Some(frame) = f.next_frame().unwrap() {
                frames.push(frame);
            }
        }
        assert_eq!(frames.len(), 4, "{frames:?}");
        assert_eq!(frames[0], Frame::Ping);
        assert!(matches!(&frames[1], Frame::Message(Message::Request(r)) if &r.body[..] == b"hello"));
        assert_eq!(frames[2], Frame::Pong);
        assert!(matches!(&frames[3], Frame::Message(_)));
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn waits_for_a_body_longer_than_what_arrived() {
        let mut f = framer();
        f.push(&OPTIONS[..OPTIONS.len() - 2]);
        assert_eq!(f.next_frame().unwrap(), None);
        f.push(&OPTIONS[OPTIONS.len() - 2..]);
        assert!(matches!(f.next_frame().unwrap(), Some(Frame::Message(_))));
    }

    #[test]
    fn negative_or_conflicting_content_length_is_fatal() {
        let mut f = framer();
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -999\r\n\r\n");
        assert_eq!(f.next_frame(), Err(ParseError::BadContentLength.into()));
        let mut f = framer();
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 13\r\nl: 5\r\n\r\n");
        assert_eq!(f.next_frame(), Err(ParseError::ConflictingContentLength.into()));
    }

    #[test]
    fn endless_header_section_is_cut_at_the_size_limit() {
        let limits = Limits { max_message_size: 1024, ..Limits::default() };
        let mut f = StreamFramer::new(limits);
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\n");
        for _ in 0..100 {
            f.push(b"X-Junk: aaaaaaaaaaaaaaaa\r\n");
        }
        assert_eq!(f.next_frame(), Err(LimitError::MessageTooLarge { limit: 1024 }.into()));
    }

    #[test]
    fn huge_declared_body_is_refused_before_buffering_it() {
        let mut f = framer();
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\nl: 9999999\r\n\r\n");
        assert!(matches!(f.next_frame(), Err(Error::Limit(LimitError::MessageTooLarge { .. }))));
    }
}
