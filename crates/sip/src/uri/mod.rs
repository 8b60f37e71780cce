//! Zero-copy, borrowed views of URIs: `sip`/`sips` (RFC 3261 §19.1, §25.1, with the IPv6 rules
//! of RFC 5118), `tel` (RFC 3966) and any other `absoluteURI` (RFC 3261 §25.1, RFC 3986 §3.1).
//!
//! Parsing never allocates and never panics; it borrows every component from the input, raw, as
//! received (escapes kept). Decoding happens only in accessors such as
//! [`SipUri::user_decoded`], and only once (`%25%34%31` decodes to `%41`, RFC 3261 §19.1.2).
//! A URI never contains whitespace: `sip:user@example.com; lr` is rejected (RFC 4475 §3.1.2.8).
//!
//! ```
//! use sip::uri::{Host, Uri};
//! let uri = Uri::parse("sips:alice@[2001:db8::10]:5061;transport=tcp").unwrap();
//! let sip = uri.as_sip().unwrap();
//! assert!(sip.secure);
//! assert_eq!(sip.host, Host::V6("2001:db8::10".parse().unwrap()));
//! assert_eq!((sip.port, sip.transport()), (Some(5061), Some("tcp")));
//! assert_eq!(uri.to_string(), "sips:alice@[2001:db8::10]:5061;transport=tcp");
//! ```

mod host;
mod params;
#[cfg(test)]
mod tests;

pub use host::Host;
pub use params::{HeaderIter, ParamIter, UriHeaders, UriParams};

use crate::grammar::{percent_decode, split_at_byte};
use params::{check_chars, is_unreserved};
use std::borrow::Cow;
use std::fmt;

/// Longest URI accepted, in bytes. Anything longer is [`UriError::TooLong`].
pub const MAX_URI_LEN: usize = 2048;

/// Why a URI was rejected. Each variant names the faulty component.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum UriError {
    /// The URI is longer than [`MAX_URI_LEN`].
    #[error("URI longer than {MAX_URI_LEN} bytes")]
    TooLong,
    /// The URI contains SP, HTAB, CR or LF.
    #[error("whitespace inside URI")]
    Whitespace,
    /// No `scheme:` prefix.
    #[error("URI has no scheme")]
    MissingScheme,
    /// The scheme is not `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` (RFC 3986 §3.1).
    #[error("invalid URI scheme")]
    BadScheme,
    /// A SIP URI was required but the scheme is not `sip` or `sips`.
    #[error("URI scheme is not sip or sips")]
    NotSipScheme,
    /// `sip:@host` or `sip::pw@host`: the user part before `@` is empty.
    #[error("empty user part before '@'")]
    EmptyUser,
    /// A character not allowed in `user` or `password` (RFC 3261 §25.1).
    #[error("invalid character in URI user or password")]
    BadUserinfo,
    /// A `%` not followed by two hex digits.
    #[error("'%' not followed by two hex digits")]
    BadEscape,
    /// No host.
    #[error("empty URI host")]
    EmptyHost,
    /// The host is neither a valid hostname nor an IPv4 address.
    #[error("invalid URI host")]
    BadHost,
    /// An IPv6 address without the `[` `]` of an `IPv6reference` (RFC 5118 §4.2).
    #[error("IPv6 address not enclosed in '[' ']'")]
    Ipv6NotBracketed,
    /// The text in `[` `]` is not an IPv6 address, or the `]` is missing.
    #[error("invalid IPv6 reference")]
    BadIpv6,
    /// The port is empty, not all digits, or above 65535.
    #[error("invalid port")]
    BadPort,
    /// An empty URI parameter (`;;`, or a `;` at the end).
    #[error("empty URI parameter")]
    EmptyParam,
    /// A URI parameter with an empty name or value or a character outside `paramchar`.
    #[error("invalid URI parameter")]
    BadParam,
    /// The `?headers` part is not `hname "=" hvalue *( "&" hname "=" hvalue )`.
    #[error("invalid URI headers")]
    BadHeaders,
    /// The number of a `tel` URI is not a valid global or local number (RFC 3966 §3).
    #[error("invalid telephone number in tel URI")]
    BadTelNumber,
    /// A local `tel` number without the `phone-context` parameter (RFC 3966 §5.1.5).
    #[error("local tel number without phone-context")]
    MissingPhoneContext,
    /// Nothing after `scheme:`.
    #[error("empty URI after scheme")]
    EmptyOpaque,
    /// A character (SP, CTL, `<`, `>`, `"`, non-ASCII) never allowed in a URI.
    #[error("invalid character in URI")]
    BadChar,
}

/// Any URI found where SIP expects one (`Request-URI`, `addr-spec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Uri<'a> {
    /// A `sip:` or `sips:` URI (RFC 3261 §19.1).
    Sip(SipUri<'a>),
    /// A `tel:` URI (RFC 3966).
    Tel(TelUri<'a>),
    /// Any other scheme, kept opaque (RFC 3261 §25.1 `absoluteURI`).
    Absolute(AbsoluteUri<'a>),
}

impl<'a> Uri<'a> {
    /// Parses a URI. The scheme is case-insensitive; `sip`/`sips` and `tel` are checked in
    /// full, any other scheme only for its syntax and forbidden characters.
    pub fn parse(text: &'a str) -> Result<Uri<'a>, UriError> {
        let (scheme, rest) = split_scheme(text)?;
        if let Some(secure) = sip_scheme(scheme) {
            SipUri::parse_after_scheme(secure, rest).map(Uri::Sip)
        } else if scheme.eq_ignore_ascii_case("tel") {
            TelUri::parse_number(rest).map(Uri::Tel)
        } else {
            AbsoluteUri::parse_rest(scheme, rest).map(Uri::Absolute)
        }
    }

    /// The scheme: `"sip"`, `"sips"` or `"tel"` in lower case, otherwise as received.
    pub fn scheme(&self) -> &'a str {
        match self {
            Uri::Sip(sip) if sip.secure => "sips",
            Uri::Sip(_) => "sip",
            Uri::Tel(_) => "tel",
            Uri::Absolute(abs) => abs.scheme,
        }
    }

    /// The SIP or SIPS URI, if this is one.
    pub fn as_sip(&self) -> Option<&SipUri<'a>> {
        match self {
            Uri::Sip(sip) => Some(sip),
            _ => None,
        }
    }

    /// The `tel` URI, if this is one.
    pub fn as_tel(&self) -> Option<&TelUri<'a>> {
        match self {
            Uri::Tel(tel) => Some(tel),
            _ => None,
        }
    }
}

impl fmt::Display for Uri<'_> {
    /// Writes the wire form; see the `Display` of each variant.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uri::Sip(uri) => uri.fmt(f),
            Uri::Tel(uri) => uri.fmt(f),
            Uri::Absolute(uri) => uri.fmt(f),
        }
    }
}

/// Checks the length and whitespace, then splits `scheme ":" rest` (RFC 3986 §3.1).
fn split_scheme(text: &str) -> Result<(&str, &str), UriError> {
    if text.len() > MAX_URI_LEN {
        return Err(UriError::TooLong);
    }
    if text.bytes().any(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
        return Err(UriError::Whitespace);
    }
    let (scheme, rest) = split_at_byte(text, b':').ok_or(UriError::MissingScheme)?;
    let mut bytes = scheme.bytes();
    match bytes.next() {
        None => Err(UriError::MissingScheme),
        Some(first) if first.is_ascii_alphabetic() => {
            if bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) {
                Ok((scheme, rest))
            } else {
                Err(UriError::BadScheme)
            }
        }
        Some(_) => Err(UriError::BadScheme),
    }
}

/// `Some(secure)` for the `sip` and `sips` schemes (any case).
fn sip_scheme(scheme: &str) -> Option<bool> {
    if scheme.eq_ignore_ascii_case("sip") {
        Some(false)
    } else if scheme.eq_ignore_ascii_case("sips") {
        Some(true)
    } else {
        None
    }
}

/// A `sip:` or `sips:` URI (RFC 3261 §19.1.1), every component borrowed raw from the input.
///
/// Derived equality compares the raw components; use [`SipUri::equivalent`] for RFC 3261
/// §19.1.4 URI comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SipUri<'a> {
    /// True for `sips:` (RFC 3261 §19.1.2).
    pub secure: bool,
    /// The `user` part, raw (escapes kept), e.g. `user;par=u%40example.net`.
    pub user: Option<&'a str>,
    /// The `password` after `user:`, raw. `Some("")` for `sip:user:@host`.
    pub password: Option<&'a str>,
    /// The host.
    pub host: Host<'a>,
    /// The port, when written.
    pub port: Option<u16>,
    /// The `uri-parameters`.
    pub params: UriParams<'a>,
    /// The `headers` after `?`.
    pub headers: UriHeaders<'a>,
}

/// `user` characters of RFC 3261 §25.1 (`unreserved / escaped / user-unreserved`), plus `#`
/// of a `telephone-subscriber` user part (RFC 3261 §19.1.1, RFC 2806).
fn is_user_byte(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'%' | b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/' | b'#')
}

/// `password` characters of RFC 3261 §25.1.
fn is_password_byte(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'%' | b'&' | b'=' | b'+' | b'$' | b',')
}

impl<'a> SipUri<'a> {
    /// Parses a `sip:` or `sips:` URI (scheme in any case). Another valid scheme gives
    /// [`UriError::NotSipScheme`].
    pub fn parse(text: &'a str) -> Result<Self, UriError> {
        let (scheme, rest) = split_scheme(text)?;
        let secure = sip_scheme(scheme).ok_or(UriError::NotSipScheme)?;
        Self::parse_after_scheme(secure, rest)
    }

    /// Parses what follows `sip:`: `[ userinfo "@" ] hostport uri-parameters [ headers ]`.
    ///
    /// No unescaped `@` may appear after the userinfo (not in host, parameters or headers), and
    /// none inside it, so the first `@` ends the userinfo even though the user part may itself
    /// contain `;` and `?` (RFC 4475 §3.1.1.2, §3.1.1.9).
    fn parse_after_scheme(secure: bool, rest: &'a str) -> Result<Self, UriError> {
        let (user, password, hostpart) = match split_at_byte(rest, b'@') {
            Some((userinfo, hostpart)) => {
                let (user, password) = split_userinfo(userinfo)?;
                (Some(user), password, hostpart)
            }
            None => (None, None, rest),
        };
        let end = hostpart.bytes().position(|b| b == b';' || b == b'?').unwrap_or(hostpart.len());
        let (hostport, tail) = hostpart.split_at(end);
        let (host, port) = Host::parse_with_port(hostport)?;
        let (params, headers) = match split_at_byte(tail, b'?') {
            Some((params, headers)) => (params, Some(headers)),
            None => (tail, None),
        };
        let params = match params.strip_prefix(';') {
            Some("") => return Err(UriError::EmptyParam),
            Some(raw) => UriParams::new(raw)?,
            None => UriParams::default(),
        };
        let headers = match headers {
            Some("") => return Err(UriError::BadHeaders),
            Some(raw) => UriHeaders::new(raw)?,
            None => UriHeaders::default(),
        };
        Ok(SipUri { secure, user, password, host, port, params, headers })
    }

    /// The user part with escapes decoded once (`sips%3Auser%40example.com` gives
    /// `sips:user@example.com`, RFC 4475 §3.1.1.3). Bytes, as `%00` or non-UTF-8 may appear.
    pub fn user_decoded(&self) -> Option<Cow<'a, [u8]>> {
        self.user.map(percent_decode)
    }

    /// The password with escapes decoded once.
    pub fn password_decoded(&self) -> Option<Cow<'a, [u8]>> {
        self.password.map(percent_decode)
    }

    /// The raw value of the first parameter called `name` (case-insensitive, escapes decoded in
    /// names). `Some(None)` is a flag parameter such as `lr`; `None` means absent.
    pub fn param(&self, name: &str) -> Option<Option<&'a str>> {
        self.params.get(name)
    }

    /// The `transport` parameter, raw (RFC 3261 §19.1.1); compare case-insensitively.
    pub fn transport(&self) -> Option<&'a str> {
        self.param("transport").flatten()
    }

    /// True when the `lr` parameter is present (loose routing, RFC 3261 §19.1.1).
    pub fn lr(&self) -> bool {
        self.params.contains("lr")
    }

    /// The `maddr` parameter, raw (RFC 3261 §19.1.1).
    pub fn maddr(&self) -> Option<&'a str> {
        self.param("maddr").flatten()
    }

    /// The `user` parameter (`phone`, `ip`, ...), raw (RFC 3261 §19.1.1).
    pub fn user_param(&self) -> Option<&'a str> {
        self.param("user").flatten()
    }

    /// The `method` parameter, raw (RFC 3261 §19.1.1).
    pub fn method_param(&self) -> Option<&'a str> {
        self.param("method").flatten()
    }

    /// URI comparison of RFC 3261 §19.1.4: SIP never equals SIPS; user and password compare
    /// case-sensitively, everything else case-insensitively; escapes of characters outside the
    /// RFC 2396 `reserved` set equal the characters; user, password, host and port must all
    /// match (an absent port never equals 5060); parameters follow §19.1.4 (`user`, `ttl`,
    /// `method`, `maddr`, `transport` must match when in either URI, others only when in
    /// both); headers must all be present in both and match, in any order. Header values
    /// compare case-sensitively: the per-header rules of §20 are not applied.
    pub fn equivalent(&self, other: &SipUri<'_>) -> bool {
        self.secure == other.secure
            && params::same_opt(self.user, other.user, false)
            && params::same_opt(self.password, other.password, false)
            && self.host.equivalent(&other.host)
            && self.port == other.port
            && params::params_equivalent(&self.params, &other.params)
            && params::headers_equivalent(&self.headers, &other.headers)
    }
}

/// Splits and checks `user [ ":" password ]`.
fn split_userinfo(userinfo: &str) -> Result<(&str, Option<&str>), UriError> {
    let (user, password) = match split_at_byte(userinfo, b':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    };
    if user.is_empty() {
        return Err(UriError::EmptyUser);
    }
    check_chars(user, is_user_byte, UriError::BadUserinfo)?;
    if let Some(password) = password.filter(|p| !p.is_empty()) {
        check_chars(password, is_password_byte, UriError::BadUserinfo)?;
    }
    Ok((user, password))
}

impl fmt::Display for SipUri<'_> {
    /// Writes the wire form with every component raw as stored; the scheme in lower case.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(user) = self.user {
            f.write_str(user)?;
            if let Some(password) = self.password {
                write!(f, ":{password}")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        if !self.params.is_empty() {
            write!(f, ";{}", self.params)?;
        }
        if !self.headers.is_empty() {
            write!(f, "?{}", self.headers)?;
        }
        Ok(())
    }
}

/// A `tel:` URI (RFC 3966 §3): a global number (`+` then digits with visual separators
/// `-.()`) or a local number (hex digits, `*`, `#`, separators) that then needs a
/// `phone-context` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TelUri<'a> {
    /// The number, raw, e.g. `+1-201-555-0123` or `7042`.
    pub number: &'a str,
    /// The parameters after the number (`ext`, `isub`, `phone-context`, others), raw.
    pub params: UriParams<'a>,
}

/// RFC 3966 `visual-separator`.
fn is_visual_separator(b: u8) -> bool {
    matches!(b, b'-' | b'.' | b'(' | b')')
}

impl<'a> TelUri<'a> {
    /// Parses a `tel:` URI (scheme in any case). Another valid scheme gives
    /// [`UriError::BadScheme`].
    pub fn parse(text: &'a str) -> Result<Self, UriError> {
        match split_scheme(text)? {
            (scheme, rest) if scheme.eq_ignore_ascii_case("tel") => Self::parse_number(rest),
            _ => Err(UriError::BadScheme),
        }
    }

    /// Parses `telephone-subscriber` (RFC 3966 §3).
    fn parse_number(rest: &'a str) -> Result<Self, UriError> {
        let (number, params) = match rest.split_once(';') {
            Some((_, "")) => return Err(UriError::EmptyParam),
            Some((number, params)) => (number, UriParams::new_tel(params)?),
            None => (rest, UriParams::default()),
        };
        let uri = TelUri { number, params };
        if let Some(digits) = number.strip_prefix('+') {
            let ok = digits.bytes().all(|b| b.is_ascii_digit() || is_visual_separator(b));
            if !ok || !digits.bytes().any(|b| b.is_ascii_digit()) {
                return Err(UriError::BadTelNumber);
            }
        } else {
            let is_digit = |b: u8| b.is_ascii_hexdigit() || b == b'*' || b == b'#';
            if !number.bytes().all(|b| is_digit(b) || is_visual_separator(b)) || !number.bytes().any(is_digit) {
                return Err(UriError::BadTelNumber);
            }
            if uri.phone_context().is_none() {
                return Err(UriError::MissingPhoneContext);
            }
        }
        Ok(uri)
    }

    /// True for a global number (starting with `+`, RFC 3966 §5.1.4).
    pub fn is_global(&self) -> bool {
        self.number.starts_with('+')
    }

    /// The `phone-context` parameter, raw (RFC 3966 §5.1.5).
    pub fn phone_context(&self) -> Option<&'a str> {
        self.params.get("phone-context").flatten()
    }
}

impl fmt::Display for TelUri<'_> {
    /// Writes `tel:` and the raw number and parameters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tel:{}", self.number)?;
        if !self.params.is_empty() {
            write!(f, ";{}", self.params)?;
        }
        Ok(())
    }
}

/// A URI of any other scheme (RFC 3261 §25.1 `absoluteURI`), e.g. `http://www.example.com` or
/// `soap.beep://192.0.2.103:3002` (RFC 4475 §3.3.3, §3.3.4). Only the scheme syntax and the
/// absence of forbidden characters are checked; the rest stays opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AbsoluteUri<'a> {
    /// The scheme as received (compare case-insensitively).
    pub scheme: &'a str,
    /// Everything after `scheme:`: non-empty, printable ASCII without SP, `<`, `>` or `"`.
    pub rest: &'a str,
}

impl<'a> AbsoluteUri<'a> {
    /// Checks the part after `scheme:`.
    fn parse_rest(scheme: &'a str, rest: &'a str) -> Result<Self, UriError> {
        if rest.is_empty() {
            return Err(UriError::EmptyOpaque);
        }
        if !rest.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"')) {
            return Err(UriError::BadChar);
        }
        Ok(AbsoluteUri { scheme, rest })
    }
}

impl fmt::Display for AbsoluteUri<'_> {
    /// Writes `scheme:rest` as received.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.scheme, self.rest)
    }
}
