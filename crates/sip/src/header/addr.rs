//! Headers whose value is an address: `( name-addr / addr-spec ) *( SEMI param )`
//! (RFC 3261 §20.10 Contact, §20.20 From, §20.39 To, §20.34 Route, §20.30 Record-Route;
//! RFC 3515 Refer-To; RFC 3892 Referred-By; RFC 3325 P-Asserted-Identity; RFC 3261 §20.9
//! Call-Info and §20.4 Alert-Info).

use std::borrow::Cow;
use std::fmt;

use crate::error::HeaderFault;
use crate::grammar::{is_token_byte, unquote, Cursor};
use crate::header::{Params, TypedHeader};
use crate::name::HeaderName;
use crate::uri::Uri;

/// `[ display-name ] LAQUOT addr-spec RAQUOT` or a bare `addr-spec`, with the header
/// parameters that follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// The display name as received: a quoted string with its quotes, or `*(token LWS)`.
    pub display_name: Option<&'a str>,
    /// The URI.
    pub uri: Uri<'a>,
    /// The URI's raw text.
    pub uri_text: &'a str,
    /// True when the URI was written in `< >`.
    pub angle: bool,
    /// The header parameters after the address (`tag`, `expires`, `q`, ...).
    pub params: Params<'a>,
}

impl<'a> NameAddr<'a> {
    /// Parses one address value.
    ///
    /// Strict where RFC 4475 asks for 400: an unterminated quote (§3.1.2.6), non-token
    /// characters in an unquoted display name (§3.1.2.15), a URI with `;` `?` or `,` outside
    /// `< >` (§3.1.2.13), spaces inside `< >` (§3.1.2.14). Tolerant where it asks to accept: no
    /// LWS between a display name and `<` (§3.1.1.6).
    pub fn parse(value: &'a str) -> Result<NameAddr<'a>, HeaderFault> {
        let mut cursor = Cursor::new(value);
        cursor.skip_lws();
        let display_name = read_display_name(&mut cursor)?;
        let (uri_text, angle) = if cursor.eat(b'<') {
            let text =
                cursor.take_while(|b| b != b'>').ok_or(HeaderFault::BadUri(crate::uri::UriError::MissingScheme))?;
            if !cursor.eat(b'>') {
                return Err(HeaderFault::UnclosedAngle);
            }
            (text, true)
        } else {
            let text =
                cursor.take_while(|b| !matches!(b, b';' | b' ' | b'\t' | b'\r' | b'\n')).ok_or(HeaderFault::Empty)?;
            if text.contains(['?', ',']) {
                return Err(HeaderFault::AddrSpecNeedsAngles);
            }
            (text, false)
        };
        let uri = Uri::parse(uri_text).map_err(HeaderFault::BadUri)?;
        let params = Params::read(&mut cursor)?;
        cursor.skip_lws();
        if !cursor.is_empty() {
            return Err(HeaderFault::TrailingText);
        }
        Ok(NameAddr { display_name, uri, uri_text, angle, params })
    }

    /// The display name with quotes and escapes removed.
    pub fn display(&self) -> Option<Cow<'a, str>> {
        self.display_name.map(unquote)
    }

    /// The `tag` parameter (RFC 3261 §19.3).
    pub fn tag(&self) -> Option<&'a str> {
        self.params.get("tag").flatten()
    }
}

/// Reads a display name if one is there. A display name is only present when a `<` follows.
fn read_display_name<'a>(cursor: &mut Cursor<'a>) -> Result<Option<&'a str>, HeaderFault> {
    if cursor.peek() == Some(b'"') {
        let quoted = cursor.quoted_string().ok_or(HeaderFault::UnterminatedQuote)?;
        cursor.skip_lws();
        if cursor.peek() != Some(b'<') {
            return Err(HeaderFault::UnclosedAngle);
        }
        return Ok(Some(quoted));
    }
    let rest = cursor.rest();
    let Some(angle) = rest.bytes().position(|b| b == b'<') else { return Ok(None) };
    let name = rest[..angle].trim_end_matches([' ', '\t', '\r', '\n']);
    if name.is_empty() {
        cursor.reset(cursor.pos() + angle);
        return Ok(None);
    }
    let tokens_only = name.bytes().all(|b| is_token_byte(b) || matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    if !tokens_only {
        return Err(HeaderFault::BadDisplayName);
    }
    cursor.reset(cursor.pos() + angle);
    Ok(Some(name))
}

impl fmt::Display for NameAddr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = self.display_name {
            write!(f, "{name} ")?;
        }
        if self.angle {
            write!(f, "<{}>", self.uri_text)?;
        } else {
            f.write_str(self.uri_text)?;
        }
        f.write_str(self.params.as_str())
    }
}

macro_rules! addr_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident, $list:expr, angle_required = $angle:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty<'a>(pub NameAddr<'a>);

        impl<'a> TypedHeader<'a> for $ty<'a> {
            const NAME: HeaderName = HeaderName::$name;
            const LIST: bool = $list;

            fn parse(value: &'a str) -> Result<Self, HeaderFault> {
                let addr = NameAddr::parse(value)?;
                if $angle && !addr.angle {
                    return Err(HeaderFault::AddrSpecNeedsAngles);
                }
                Ok($ty(addr))
            }
        }

        impl<'a> std::ops::Deref for $ty<'a> {
            type Target = NameAddr<'a>;
            fn deref(&self) -> &NameAddr<'a> {
                &self.0
            }
        }

        impl fmt::Display for $ty<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

addr_header!(
    /// From (RFC 3261 §20.20): the request's originator and its `tag`.
    From, From, false, angle_required = false
);
addr_header!(
    /// To (RFC 3261 §20.39): the request's target and, in a dialog, its `tag`.
    To, To, false, angle_required = false
);
addr_header!(
    /// Route (RFC 3261 §20.34): `name-addr` only.
    Route, Route, true, angle_required = true
);
addr_header!(
    /// Record-Route (RFC 3261 §20.30): `name-addr` only.
    RecordRoute, RecordRoute, true, angle_required = true
);
addr_header!(
    /// Refer-To (RFC 3515 §2.1); may carry an embedded Replaces in its URI headers (RFC 3891).
    ReferTo, ReferTo, false, angle_required = false
);
addr_header!(
    /// Referred-By (RFC 3892 §3).
    ReferredBy, ReferredBy, false, angle_required = false
);
addr_header!(
    /// P-Asserted-Identity (RFC 3325 §9.1): the network-asserted caller identity.
    PAssertedIdentity, PAssertedIdentity, true, angle_required = false
);
addr_header!(
    /// Call-Info (RFC 3261 §20.9): `<URI>;purpose=...` (e.g. an icon, or `answer-after` for
    /// auto-answer from some PBXs).
    CallInfo, CallInfo, true, angle_required = true
);
addr_header!(
    /// Alert-Info (RFC 3261 §20.4): `<URI>` of a ring tone, with parameters (`info=`).
    AlertInfo, AlertInfo, true, angle_required = true
);

/// One Contact value (RFC 3261 §20.10), or the `*` of a REGISTER that removes every binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact<'a> {
    /// `Contact: *` (RFC 3261 §10.2.2).
    Wildcard,
    /// An address.
    Addr(NameAddr<'a>),
}

impl<'a> Contact<'a> {
    /// The address, unless this is the wildcard.
    pub fn addr(&self) -> Option<&NameAddr<'a>> {
        match self {
            Contact::Wildcard => None,
            Contact::Addr(addr) => Some(addr),
        }
    }

    /// The `expires` parameter in seconds (RFC 3261 §20.10); values past `u32::MAX` saturate
    /// (RFC 3261 §25.1 `delta-seconds`).
    pub fn expires(&self) -> Option<u32> {
        let value = self.addr()?.params.get("expires").flatten()?;
        value
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| value.parse::<u64>().map_or(u32::MAX, |v| v.min(u32::MAX as u64) as u32))
    }

    /// The `q` parameter, 0.0..=1.0.
    pub fn q(&self) -> Option<f32> {
        let q: f32 = self.addr()?.params.get("q").flatten()?.parse().ok()?;
        (0.0..=1.0).contains(&q).then_some(q)
    }

    /// The `+sip.instance` parameter without its quotes and `< >` (RFC 5626 §4.1), e.g.
    /// `urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF`.
    pub fn instance(&self) -> Option<Cow<'a, str>> {
        let value = self.addr()?.params.get_unquoted("+sip.instance")?;
        Some(match value {
            Cow::Borrowed(s) => Cow::Borrowed(s.trim_start_matches('<').trim_end_matches('>')),
            Cow::Owned(s) => Cow::Owned(s.trim_start_matches('<').trim_end_matches('>').to_owned()),
        })
    }

    /// The `reg-id` parameter (RFC 5626 §4.2).
    pub fn reg_id(&self) -> Option<u32> {
        self.addr()?.params.get("reg-id").flatten()?.parse().ok()
    }
}

impl<'a> TypedHeader<'a> for Contact<'a> {
    const NAME: HeaderName = HeaderName::Contact;
    const LIST: bool = true;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        if value == "*" {
            return Ok(Contact::Wildcard);
        }
        NameAddr::parse(value).map(Contact::Addr)
    }
}

impl fmt::Display for Contact<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Contact::Wildcard => f.write_str("*"),
            Contact::Addr(addr) => addr.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_quoted_tokens_and_none() {
        let from =
            From::parse("\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8").unwrap();
        assert_eq!(from.display().as_deref(), Some("J Rosenberg \\\""));
        assert_eq!(from.tag(), Some("98asjd8"));
        let from =
            From::parse("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;tag=_token~1'+`*%!-.").unwrap();
        assert_eq!(from.display_name, Some("token1~` token2'+_ token3*%!.-"));
        let to = To::parse("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n").unwrap();
        assert_eq!((to.display_name, to.tag(), to.angle), (None, Some("1918181833n"), false));
        let no_space = To::parse("\"caller\"<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(no_space.display().as_deref(), Some("caller"));
    }

    #[test]
    fn rfc4475_bad_addresses_are_faults() {
        assert_eq!(From::parse("\"Mr J. User <sip:j.user@example.com>").unwrap_err(), HeaderFault::UnterminatedQuote);
        assert_eq!(
            From::parse("Bell, Alexander <sip:a.g.bell@example.com>;tag=43").unwrap_err(),
            HeaderFault::BadDisplayName
        );
        assert_eq!(
            Contact::parse("sip:user@example.com?Route=%3Csip:sip.example.com%3E").unwrap_err(),
            HeaderFault::AddrSpecNeedsAngles
        );
        assert!(matches!(To::parse("\"Watson, Thomas\" < sip:t.watson@example.org >"), Err(HeaderFault::BadUri(_))));
        assert_eq!(Contact::parse("\"Joe\" <sip:joe@example.org>;;;;").unwrap_err(), HeaderFault::BadParam);
        assert_eq!(Route::parse("sip:proxy.example.com;lr").unwrap_err(), HeaderFault::AddrSpecNeedsAngles);
    }

    #[test]
    fn contact_params_of_rfc5626() {
        let c = Contact::parse(
            "<sip:1001@192.0.2.4:5060;transport=udp>;expires=3600;q=0.7;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\";reg-id=1",
        )
        .unwrap();
        assert_eq!(c.expires(), Some(3600));
        assert_eq!(c.q(), Some(0.7));
        assert_eq!(c.instance().as_deref(), Some("urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF"));
        assert_eq!(c.reg_id(), Some(1));
        assert_eq!(Contact::parse("*").unwrap(), Contact::Wildcard);
        let huge = Contact::parse("<sip:a@b>;expires=280297596632815").unwrap();
        assert_eq!(huge.expires(), Some(u32::MAX));
    }

    #[test]
    fn contact_param_versus_uri_param_rfc4475_cparam() {
        let c = Contact::parse("<sip:+19725552222@gw1.example.net;unknownparam>").unwrap();
        assert!(c.addr().unwrap().params.is_empty());
        assert!(c.addr().unwrap().uri.as_sip().unwrap().params.contains("unknownparam"));
        let c = Contact::parse("sip:+19725552222@gw1.example.net;unknownparam").unwrap();
        assert!(c.addr().unwrap().params.contains("unknownparam"));
        assert!(c.addr().unwrap().uri.as_sip().unwrap().params.is_empty());
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "\"Bob\" <sip:bob@biloxi.example.com>;tag=a6c85cf",
            "<sip:alice@atlanta.example.com>",
            "sip:carol@chicago.example.com;tag=1",
        ] {
            let from = From::parse(text).unwrap();
            assert_eq!(From::parse(&from.to_string()).unwrap(), from);
            assert_eq!(from.to_string(), text);
        }
    }
}
