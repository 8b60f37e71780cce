//! Media types: Content-Type (RFC 3261 §20.15) and Accept (RFC 3261 §20.1).

use std::borrow::Cow;
use std::fmt;

use crate::error::HeaderFault;
use crate::grammar::Cursor;
use crate::header::numeric::{finish, valued_param};
use crate::header::{Params, TypedHeader};
use crate::name::HeaderName;

/// `m-type SLASH m-subtype *(SEMI m-parameter)` (RFC 3261 §25.1), such as
/// `application/sdp` or `multipart/mixed;boundary=unique-boundary-1`.
///
/// Type, subtype and parameter names compare case-insensitively (RFC 2045 §5.1). In an Accept
/// header the type and subtype may be `*` (a media range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaType<'a> {
    /// The top-level type, such as `application` (or `*`).
    pub kind: &'a str,
    /// The subtype, such as `sdp` (or `*`).
    pub subtype: &'a str,
    /// The parameters, as received.
    pub params: Params<'a>,
}

impl<'a> MediaType<'a> {
    /// Reads `token SLASH token *(SEMI generic-param)` at the cursor. A missing `/` or subtype is
    /// [`HeaderFault::BadMediaType`].
    fn read(cursor: &mut Cursor<'a>) -> Result<MediaType<'a>, HeaderFault> {
        if cursor.is_empty() {
            return Err(HeaderFault::Empty);
        }
        let kind = cursor.token().ok_or(HeaderFault::BadMediaType)?;
        if !cursor.eat_separator(b'/') {
            return Err(HeaderFault::BadMediaType);
        }
        let subtype = cursor.token().ok_or(HeaderFault::BadMediaType)?;
        let params = Params::read(cursor)?;
        Ok(MediaType { kind, subtype, params })
    }

    /// Parses a whole value as a media type.
    fn parse_whole(value: &'a str) -> Result<MediaType<'a>, HeaderFault> {
        let mut cursor = Cursor::new(value);
        let media = MediaType::read(&mut cursor)?;
        finish(&mut cursor)?;
        Ok(media)
    }

    /// True when this is `kind/subtype`, compared in any case (parameters are ignored).
    pub fn is(&self, kind: &str, subtype: &str) -> bool {
        self.kind.eq_ignore_ascii_case(kind) && self.subtype.eq_ignore_ascii_case(subtype)
    }

    /// True when this type falls in the media range `range`: `*/*` matches everything, `type/*`
    /// every subtype of `type`, anything else only itself (in any case). Parameters are ignored.
    pub fn matches_range(&self, range: &MediaType<'_>) -> bool {
        if range.kind == "*" {
            return range.subtype == "*";
        }
        range.kind.eq_ignore_ascii_case(self.kind)
            && (range.subtype == "*" || range.subtype.eq_ignore_ascii_case(self.subtype))
    }

    /// The value of parameter `name` (any case), without quotes and escapes, such as the
    /// `boundary` of a multipart body or a `charset`.
    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        self.params.get_unquoted(name)
    }
}

impl fmt::Display for MediaType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.kind, self.subtype, self.params.as_str())
    }
}

/// `Content-Type: media-type` (RFC 3261 §20.15), compact `c`.
///
/// Every parameter needs a value (`m-parameter = m-attribute EQUAL m-value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentType<'a>(pub MediaType<'a>);

impl<'a> TypedHeader<'a> for ContentType<'a> {
    const NAME: HeaderName = HeaderName::ContentType;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        let media = MediaType::parse_whole(value)?;
        if media.params.iter().any(|(_, value)| value.is_none()) {
            return Err(HeaderFault::BadParam);
        }
        Ok(ContentType(media))
    }
}

impl fmt::Display for ContentType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Parses `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` (RFC 3261 §25.1) in
/// thousandths.
fn parse_qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths =
        fraction.bytes().chain(std::iter::repeat(b'0')).take(3).fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// One `accept-range = media-range *(SEMI accept-param)` of an Accept header (RFC 3261 §20.1).
///
/// The range is `*/*`, `type/*` or `type/subtype`; `*/subtype` is
/// [`HeaderFault::BadMediaType`]. A `q` parameter must be a `qvalue` and appear once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accept<'a>(pub MediaType<'a>);

impl Accept<'_> {
    /// The `q` weight in thousandths, 0 to 1000; 1000 when absent.
    pub fn q(&self) -> u16 {
        self.0.params.get("q").flatten().and_then(parse_qvalue).unwrap_or(1000)
    }

    /// True when `media` falls in this range (see [`MediaType::matches_range`]).
    pub fn accepts(&self, media: &MediaType<'_>) -> bool {
        media.matches_range(&self.0)
    }
}

impl<'a> TypedHeader<'a> for Accept<'a> {
    const NAME: HeaderName = HeaderName::Accept;
    const LIST: bool = true;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        let media = MediaType::parse_whole(value)?;
        if media.kind == "*" && media.subtype != "*" {
            return Err(HeaderFault::BadMediaType);
        }
        if let Some(q) = valued_param(&media.params, "q")? {
            parse_qvalue(q).ok_or(HeaderFault::BadParam)?;
        }
        Ok(Accept(media))
    }
}

impl fmt::Display for Accept<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::header::round_trip;

    #[test]
    fn content_type_examples() {
        // RFC 3261 §20.15.
        let c = ContentType::parse("application/sdp").unwrap().0;
        assert!(c.is("APPLICATION", "SDP"));
        assert!(c.params.is_empty());
        let c = ContentType::parse("text/html; charset=ISO-8859-4").unwrap().0;
        assert_eq!((c.kind, c.subtype), ("text", "html"));
        assert_eq!(c.param("CHARSET").as_deref(), Some("ISO-8859-4"));
        assert_eq!(c.to_string(), "text/html; charset=ISO-8859-4");
        // RFC 4475 §3.1.1.11 mpart01 and LWS around the slash.
        let c = ContentType::parse("multipart/mixed;boundary=\"++\"").unwrap().0;
        assert_eq!(c.param("boundary").as_deref(), Some("++"));
        assert!(ContentType::parse("application \r\n / sdp").unwrap().0.is("application", "sdp"));
    }

    #[test]
    fn content_type_faults() {
        assert_eq!(ContentType::parse(""), Err(HeaderFault::Empty));
        assert_eq!(ContentType::parse("application"), Err(HeaderFault::BadMediaType));
        assert_eq!(ContentType::parse("application/"), Err(HeaderFault::BadMediaType));
        assert_eq!(ContentType::parse("/sdp"), Err(HeaderFault::BadMediaType));
        assert_eq!(ContentType::parse("application/sdp x"), Err(HeaderFault::TrailingText));
        assert_eq!(ContentType::parse("application/sdp;flag"), Err(HeaderFault::BadParam));
        assert_eq!(ContentType::parse("application/sdp;a=\"b"), Err(HeaderFault::UnterminatedQuote));
        // RFC 4475 §3.3.16 regbadct: a URI where a media type belongs.
        assert_eq!(ContentType::parse("application/sdp, <sip:x@example.com>"), Err(HeaderFault::TrailingText));
    }

    #[test]
    fn accept_examples_and_ranges() {
        // RFC 3261 §20.1: Accept: application/sdp;level=1, application/x-private, text/html
        let values = ["application/sdp;level=1", "application/x-private", "text/html"];
        let ranges: Vec<_> = values.iter().map(|v| Accept::parse(v).unwrap()).collect();
        assert_eq!(ranges[0].0.params.get("level"), Some(Some("1")));
        let sdp = ContentType::parse("application/sdp").unwrap().0;
        assert!(ranges[0].accepts(&sdp));
        assert!(!ranges[2].accepts(&sdp));
        let all = Accept::parse("*/*").unwrap();
        let apps = Accept::parse("Application/*;q=0.5").unwrap();
        assert!(all.accepts(&sdp) && apps.accepts(&sdp));
        assert!(!apps.accepts(&ContentType::parse("text/plain").unwrap().0));
        assert_eq!((all.q(), apps.q()), (1000, 500));
        assert_eq!(Accept::parse("text/*;q=1.000").unwrap().q(), 1000);
        assert_eq!(Accept::parse("text/*;q=0.001").unwrap().q(), 1);
        assert_eq!(Accept::parse("text/*;q=0").unwrap().q(), 0);
        assert_eq!(Accept::parse("*/html"), Err(HeaderFault::BadMediaType));
        for bad in ["1.5", "2", "0.1234", "1.001", "x", ".5", "0.", "\"1\""] {
            let value = format!("text/plain;q={bad}");
            let expected = if bad == "0." { Ok(0) } else { Err(HeaderFault::BadParam) };
            assert_eq!(Accept::parse(&value).map(|a| a.q()), expected, "{bad}");
        }
        assert_eq!(Accept::parse("text/plain;q=1;q=0"), Err(HeaderFault::DuplicateParam));
        assert!(Accept::parse("application/sdp;x").is_ok());
    }

    #[test]
    fn display_round_trips() {
        for v in ["application/sdp", "text/html ; charset = \"utf-8\"", "a/b;c=d;e=\"f;g\""] {
            let c = ContentType::parse(v).unwrap();
            assert_eq!(ContentType::parse(&c.to_string()), Ok(c));
        }
        for v in ["*/*", "application/*;q=0.5", "text/plain ;\r\n level=1;flag"] {
            let a = Accept::parse(v).unwrap();
            assert_eq!(Accept::parse(&a.to_string()), Ok(a));
        }
    }

    proptest! {
        #[test]
        fn arbitrary_values_never_panic(value in any::<String>(), ascii in "[a-z*/;=q0-9. \"\\\\\r\n]{0,40}") {
            for v in [value.as_str(), ascii.as_str()] {
                round_trip!(ContentType, v);
                round_trip!(Accept, v);
                if let Ok(range) = Accept::parse(v) {
                    prop_assert!(range.accepts(&range.0));
                }
            }
        }
    }
}
