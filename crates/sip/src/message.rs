//! The SIP message model (RFC 3261 §7): requests, responses, header fields and body.
//!
//! A parsed message keeps its header values as slices of the received buffer (no copy); a built
//! message owns its strings. Both serialize the same way, and `parse(serialize(m)) == m`.

use bytes::Bytes;
use bytestring::ByteString;

use crate::error::BuildError;
use crate::grammar::is_token;
pub use crate::headers::Headers;
use crate::name::HeaderName;

/// A request method (RFC 3261 §7.1). Methods are case-sensitive.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    /// RFC 3261.
    Invite,
    /// RFC 3261.
    Ack,
    /// RFC 3261.
    Bye,
    /// RFC 3261.
    Cancel,
    /// RFC 3261.
    Options,
    /// RFC 3261.
    Register,
    /// RFC 3262.
    Prack,
    /// RFC 6665.
    Subscribe,
    /// RFC 6665.
    Notify,
    /// RFC 3903.
    Publish,
    /// RFC 6086.
    Info,
    /// RFC 3515.
    Refer,
    /// RFC 3428.
    Message,
    /// RFC 3311.
    Update,
    /// Any other `token`, kept as received.
    Other(ByteString),
}

impl Method {
    const KNOWN: [(Method, &'static str); 14] = [
        (Method::Invite, "INVITE"),
        (Method::Ack, "ACK"),
        (Method::Bye, "BYE"),
        (Method::Cancel, "CANCEL"),
        (Method::Options, "OPTIONS"),
        (Method::Register, "REGISTER"),
        (Method::Prack, "PRACK"),
        (Method::Subscribe, "SUBSCRIBE"),
        (Method::Notify, "NOTIFY"),
        (Method::Publish, "PUBLISH"),
        (Method::Info, "INFO"),
        (Method::Refer, "REFER"),
        (Method::Message, "MESSAGE"),
        (Method::Update, "UPDATE"),
    ];

    /// The method named `name` (case-sensitive); `None` when it is not a `token`.
    pub fn from_token(name: &str) -> Option<Method> {
        Self::known(name).or_else(|| is_token(name).then(|| Method::Other(ByteString::from(name))))
    }

    /// Like [`Method::from_token`], but an extension method shares `source`'s buffer.
    pub(crate) fn from_slice(source: &ByteString, name: &str) -> Option<Method> {
        Self::known(name).or_else(|| is_token(name).then(|| Method::Other(source.slice_ref(name))))
    }

    fn known(name: &str) -> Option<Method> {
        Self::KNOWN.iter().find(|(_, text)| *text == name).map(|(method, _)| method.clone())
    }

    /// The method as written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Other(name) => name,
            known => Self::KNOWN.iter().find(|(m, _)| m == known).map_or("", |(_, text)| text),
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `SIP/major.minor` (RFC 3261 §7.1). Received case-insensitively; always sent upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
}

impl Version {
    /// `SIP/2.0`, the only version this stack speaks.
    pub const SIP_2_0: Version = Version { major: 2, minor: 0 };

    /// Parses `SIP/digits.digits` (at most 9 digits each).
    pub fn parse(text: &str) -> Option<Version> {
        if text == "SIP/2.0" {
            return Some(Version::SIP_2_0);
        }
        let rest = text.get(..4).filter(|p| p.eq_ignore_ascii_case("SIP/")).and(text.get(4..))?;
        let (major, minor) = crate::grammar::split_at_byte(rest, b'.')?;
        let number = |s: &str| {
            (!s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
        };
        Some(Version { major: number(major)?, minor: number(minor)? })
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SIP/{}.{}", self.major, self.minor)
    }
}

/// A SIP request (RFC 3261 §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The Request-URI as received; [`Request::uri`] gives the typed view.
    pub uri: ByteString,
    /// The protocol version.
    pub version: Version,
    /// The header fields.
    pub headers: Headers,
    /// The body (empty when there is none).
    pub body: Bytes,
}

/// A SIP response (RFC 3261 §7.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The protocol version.
    pub version: Version,
    /// The status code, 100..=699.
    pub status: u16,
    /// The reason phrase (may be empty, may be any UTF-8).
    pub reason: ByteString,
    /// The header fields.
    pub headers: Headers,
    /// The body (empty when there is none).
    pub body: Bytes,
}

/// A request or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl Request {
    /// A `SIP/2.0` request with no headers and no body.
    pub fn new(method: Method, uri: impl Into<ByteString>) -> Result<Request, BuildError> {
        let uri: ByteString = uri.into();
        if uri.is_empty() || uri.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(BuildError::BadRequestUri);
        }
        if let Method::Other(name) = &method {
            if !is_token(name) {
                return Err(BuildError::BadMethod);
            }
        }
        Ok(Request { method, uri, version: Version::SIP_2_0, headers: Headers::new(), body: Bytes::new() })
    }
}

impl Request {
    /// The Request-URI, parsed (RFC 3261 §19.1).
    pub fn uri(&self) -> Result<crate::uri::Uri<'_>, crate::uri::UriError> {
        crate::uri::Uri::parse(&self.uri)
    }
}

impl Response {
    /// A `SIP/2.0` response with no headers and no body.
    pub fn new(status: u16, reason: impl Into<ByteString>) -> Result<Response, BuildError> {
        let reason: ByteString = reason.into();
        if !(100..=699).contains(&status) {
            return Err(BuildError::BadStatusCode);
        }
        if reason.bytes().any(|b| matches!(b, b'\r' | b'\n')) {
            return Err(BuildError::BadReason);
        }
        Ok(Response { version: Version::SIP_2_0, status, reason, headers: Headers::new(), body: Bytes::new() })
    }
}

/// Sets the body and a matching Content-Length (and Content-Type when given).
pub(crate) fn set_body(
    headers: &mut Headers,
    body_slot: &mut Bytes,
    content_type: Option<&str>,
    body: Bytes,
) -> Result<(), BuildError> {
    if let Some(content_type) = content_type {
        headers.set(HeaderName::ContentType, content_type)?;
    }
    headers.set(HeaderName::ContentLength, body.len().to_string())?;
    *body_slot = body;
    Ok(())
}

macro_rules! common_accessors {
    ($ty:ty) => {
        impl $ty {
            /// Sets the body with a matching Content-Length, and Content-Type when given.
            pub fn set_body(&mut self, content_type: Option<&str>, body: impl Into<Bytes>) -> Result<(), BuildError> {
                set_body(&mut self.headers, &mut self.body, content_type, body.into())
            }

            /// The wire form of this message.
            pub fn to_bytes(&self) -> Vec<u8> {
                let mut out = Vec::with_capacity(self.serialized_len());
                self.write_to(&mut out);
                out
            }
        }
    };
}
common_accessors!(Request);
common_accessors!(Response);

impl Request {
    /// Writes the wire form to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.uri.as_bytes());
        out.push(b' ');
        write_version(self.version, out);
        out.extend_from_slice(b"\r\n");
        write_headers_and_body(&self.headers, &self.body, out);
    }

    fn serialized_len(&self) -> usize {
        self.method.as_str().len() + self.uri.len() + 12 + headers_len(&self.headers) + self.body.len()
    }
}

impl Response {
    /// Writes the wire form to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        write_version(self.version, out);
        out.push(b' ');
        out.extend_from_slice(self.status.to_string().as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.reason.as_bytes());
        out.extend_from_slice(b"\r\n");
        write_headers_and_body(&self.headers, &self.body, out);
    }

    fn serialized_len(&self) -> usize {
        self.reason.len() + 16 + headers_len(&self.headers) + self.body.len()
    }
}

impl Message {
    /// The wire form of this message.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }
}

fn write_version(version: Version, out: &mut Vec<u8>) {
    if version == Version::SIP_2_0 {
        out.extend_from_slice(b"SIP/2.0");
    } else {
        out.extend_from_slice(version.to_string().as_bytes());
    }
}

fn headers_len(headers: &Headers) -> usize {
    headers.iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum::<usize>() + 2
}

fn write_headers_and_body(headers: &Headers, body: &Bytes, out: &mut Vec<u8>) {
    for (name, value) in headers.iter() {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}
