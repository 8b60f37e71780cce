//! `Authorization` / `Proxy-Authorization` values with Digest credentials (RFC 7616 §3.4,
//! RFC 3261 §22.2, §22.3, §25.1).

use std::borrow::Cow;
use std::fmt;

use super::params::{digest_params, is_true, set_once};
use super::{Algorithm, DigestError, Param, Qop};
use crate::grammar::{escapes_are_valid, percent_decode, quote};

/// Digest credentials: the value of one `Authorization` or `Proxy-Authorization` header field
/// (RFC 7616 §3.4; RFC 3261 §25.1 `credentials`).
///
/// `Display` writes the header value with `username`, `realm`, `nonce`, `uri`, `response`,
/// `cnonce` and `opaque` quoted and `algorithm`, `qop` and `nc` unquoted (RFC 7616 §3.4;
/// RFC 3261 §22.4 item 2 for the quoted `uri`).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    /// `username`, or the decoded `username*` (RFC 7616 §3.4); the hash of the name when
    /// [`Authorization::userhash`] is set (RFC 7616 §3.4.4).
    pub username: Cow<'a, str>,
    /// `realm` (RFC 7616 §3.4).
    pub realm: Cow<'a, str>,
    /// `nonce`, as received in the challenge (RFC 7616 §3.4). May be empty before any challenge
    /// (RFC 8760 §2.7).
    pub nonce: Cow<'a, str>,
    /// `uri`, the Request-URI (RFC 3261 §22.4 item 3, RFC 8760 §2.6 item 3).
    pub uri: Cow<'a, str>,
    /// `response`, lower-case hex (RFC 7616 §3.4.1; RFC 8760 §2.7 allows it empty).
    pub response: Cow<'a, str>,
    /// `algorithm`; `None` when absent, which means MD5 (RFC 7616 §3.3).
    pub algorithm: Option<Algorithm>,
    /// `cnonce` (RFC 7616 §3.4); present whenever `qop` is.
    pub cnonce: Option<Cow<'a, str>>,
    /// `opaque`, copied from the challenge (RFC 7616 §3.4).
    pub opaque: Option<Cow<'a, str>>,
    /// `qop`, a single value (RFC 7616 §3.4); `None` is the RFC 2069 form.
    pub qop: Option<Qop>,
    /// `nc`, the nonce count (RFC 7616 §3.4, `8LHEX`); present whenever `qop` is.
    pub nc: Option<u32>,
    /// `userhash=true`: `username` is `H(user ":" realm)` (RFC 7616 §3.4, §3.4.4).
    pub userhash: bool,
}

/// Parameters collected before the required ones are checked.
#[derive(Default)]
struct Collected<'a> {
    username: Option<Cow<'a, str>>,
    username_star: Option<Cow<'a, str>>,
    realm: Option<Cow<'a, str>>,
    nonce: Option<Cow<'a, str>>,
    uri: Option<Cow<'a, str>>,
    response: Option<Cow<'a, str>>,
    algorithm: Option<Cow<'a, str>>,
    cnonce: Option<Cow<'a, str>>,
    opaque: Option<Cow<'a, str>>,
    qop: Option<Cow<'a, str>>,
    nc: Option<Cow<'a, str>>,
    userhash: Option<Cow<'a, str>>,
}

impl<'a> Collected<'a> {
    fn from_value(value: &'a str) -> Result<Self, DigestError> {
        let mut got = Collected::default();
        for param in digest_params(value)? {
            let (name, value) = param?;
            let (slot, which) = match name.to_ascii_lowercase().as_str() {
                "username" => (&mut got.username, Param::Username),
                "username*" => (&mut got.username_star, Param::UsernameStar),
                "realm" => (&mut got.realm, Param::Realm),
                "nonce" => (&mut got.nonce, Param::Nonce),
                "uri" => (&mut got.uri, Param::Uri),
                "response" => (&mut got.response, Param::Response),
                "algorithm" => (&mut got.algorithm, Param::Algorithm),
                "cnonce" => (&mut got.cnonce, Param::Cnonce),
                "opaque" => (&mut got.opaque, Param::Opaque),
                "qop" => (&mut got.qop, Param::Qop),
                "nc" => (&mut got.nc, Param::Nc),
                "userhash" => (&mut got.userhash, Param::Userhash),
                _ => continue,
            };
            set_once(slot, which, value)?;
        }
        Ok(got)
    }
}

impl<'a> Authorization<'a> {
    /// Parses the value of an `Authorization` or `Proxy-Authorization` header field
    /// (RFC 7616 §3.4, RFC 3261 §25.1 `credentials`).
    ///
    /// Another scheme (RFC 3261 `other-response`, e.g. `NoOneKnowsThisScheme opaque-data=here`
    /// of RFC 4475 §3.1.2.1) gives [`DigestError::UnsupportedScheme`]. `username`, `realm`,
    /// `nonce`, `uri` and `response` are required; `cnonce` and `nc` are required with `qop`
    /// (RFC 2617 §3.2.2). Unknown parameters are ignored.
    pub fn parse(value: &'a str) -> Result<Authorization<'a>, DigestError> {
        let got = Collected::from_value(value)?;
        let username = match (got.username, got.username_star) {
            (Some(_), Some(_)) => return Err(DigestError::BothUsernameForms),
            (Some(name), None) => name,
            (None, Some(ext)) => Cow::Owned(decode_ext_value(&ext)?),
            (None, None) => return Err(DigestError::MissingUsername),
        };
        let qop = match got.qop.as_deref() {
            Some(q) => Some(Qop::parse(q).ok_or(DigestError::UnsupportedQop)?),
            None => None,
        };
        let nc = match got.nc.as_deref() {
            Some(n) => Some(parse_nc(n)?),
            None => None,
        };
        if qop.is_some() && got.cnonce.is_none() {
            return Err(DigestError::MissingCnonce);
        }
        if qop.is_some() && nc.is_none() {
            return Err(DigestError::MissingNonceCount);
        }
        Ok(Authorization {
            username,
            realm: got.realm.ok_or(DigestError::MissingRealm)?,
            nonce: got.nonce.ok_or(DigestError::MissingNonce)?,
            uri: got.uri.ok_or(DigestError::MissingUri)?,
            response: got.response.ok_or(DigestError::MissingResponse)?,
            algorithm: got.algorithm.as_deref().map(Algorithm::parse).transpose()?,
            cnonce: got.cnonce,
            opaque: got.opaque,
            qop,
            nc,
            userhash: got.userhash.as_deref().is_some_and(is_true),
        })
    }

    /// A copy that owns its strings.
    pub fn into_owned(self) -> Authorization<'static> {
        let own = |c: Cow<'a, str>| Cow::Owned(c.into_owned());
        Authorization {
            username: own(self.username),
            realm: own(self.realm),
            nonce: own(self.nonce),
            uri: own(self.uri),
            response: own(self.response),
            algorithm: self.algorithm,
            cnonce: self.cnonce.map(own),
            opaque: self.opaque.map(own),
            qop: self.qop,
            nc: self.nc,
            userhash: self.userhash,
        }
    }
}

/// `nc-value = 8LHEX` (RFC 3261 §25.1, RFC 7616 §3.4). Upper-case digits are accepted too.
fn parse_nc(text: &str) -> Result<u32, DigestError> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DigestError::InvalidValue(Param::Nc));
    }
    u32::from_str_radix(text, 16).map_err(|_| DigestError::InvalidValue(Param::Nc))
}

/// Decodes a `username*` ext-value `charset "'" [language] "'" value-chars` (RFC 5987 §3.2.1,
/// referenced by RFC 7616 §3.4). Charsets UTF-8 and ISO-8859-1 are understood.
fn decode_ext_value(ext: &str) -> Result<String, DigestError> {
    let invalid = DigestError::InvalidValue(Param::UsernameStar);
    let mut parts = ext.splitn(3, '\'');
    let (Some(charset), Some(_language), Some(encoded)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid);
    };
    if !escapes_are_valid(encoded) {
        return Err(invalid);
    }
    let bytes = percent_decode(encoded);
    if charset.eq_ignore_ascii_case("UTF-8") {
        String::from_utf8(bytes.into_owned()).map_err(|_| invalid)
    } else if charset.eq_ignore_ascii_case("ISO-8859-1") {
        Ok(bytes.iter().map(|&b| char::from(b)).collect())
    } else {
        Err(invalid)
    }
}

impl fmt::Display for Authorization<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::from("Digest ");
        let quoted = [
            ("username", &self.username),
            ("realm", &self.realm),
            ("nonce", &self.nonce),
            ("uri", &self.uri),
            ("response", &self.response),
        ];
        for (n, (name, value)) in quoted.into_iter().enumerate() {
            if n > 0 {
                out.push_str(", ");
            }
            out.push_str(name);
            out.push('=');
            quote(value, &mut out);
        }
        if let Some(algorithm) = self.algorithm {
            out.push_str(", algorithm=");
            out.push_str(algorithm.as_str());
        }
        for (name, value) in [("cnonce", &self.cnonce), ("opaque", &self.opaque)] {
            if let Some(value) = value {
                out.push_str(", ");
                out.push_str(name);
                out.push('=');
                quote(value, &mut out);
            }
        }
        if let Some(qop) = self.qop {
            out.push_str(", qop=");
            out.push_str(qop.as_str());
        }
        if let Some(nc) = self.nc {
            out.push_str(&format!(", nc={nc:08x}"));
        }
        if self.userhash {
            out.push_str(", userhash=true");
        }
        f.write_str(&out)
    }
}
