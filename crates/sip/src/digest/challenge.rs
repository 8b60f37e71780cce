//! `WWW-Authenticate` / `Proxy-Authenticate` values (RFC 7616 §3.3, RFC 3261 §22.1, §25.1).

use std::borrow::Cow;
use std::fmt;

use super::params::{digest_params, is_true, set_once};
use super::{Algorithm, DigestError, Param, Qop};
use crate::grammar::{is_token, quote, split_commas};

/// The `qop` options a challenge offers (RFC 7616 §3.3: a quoted list of tokens; unrecognised
/// options are ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QopOptions {
    auth: bool,
    auth_int: bool,
}

impl QopOptions {
    /// Parses the unquoted `qop-options` list, e.g. `auth, auth-int` (RFC 7616 §3.3).
    pub fn parse(list: &str) -> QopOptions {
        split_commas(list).filter_map(Qop::parse).fold(QopOptions::default(), |set, q| set.with(q))
    }

    /// This set plus `qop`.
    pub fn with(mut self, qop: Qop) -> QopOptions {
        match qop {
            Qop::Auth => self.auth = true,
            Qop::AuthInt => self.auth_int = true,
        }
        self
    }

    /// True when `qop` is offered.
    pub fn contains(self, qop: Qop) -> bool {
        match qop {
            Qop::Auth => self.auth,
            Qop::AuthInt => self.auth_int,
        }
    }

    /// True when no recognised option is offered.
    pub fn is_empty(self) -> bool {
        !self.auth && !self.auth_int
    }

    /// The offered options, `auth` first.
    pub fn iter(self) -> impl Iterator<Item = Qop> {
        [Qop::Auth, Qop::AuthInt].into_iter().filter(move |q| self.contains(*q))
    }
}

/// A parsed Digest challenge: the value of one `WWW-Authenticate` or `Proxy-Authenticate`
/// header field (RFC 7616 §3.3; RFC 3261 §25.1 `challenge`; RFC 8760 §2.7).
///
/// Values borrow from the header when they need no unescaping.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge<'a> {
    /// `realm`, the protection space shown to the user (RFC 7616 §3.3). Required.
    pub realm: Cow<'a, str>,
    /// `nonce`, opaque to the client (RFC 7616 §3.3). Required.
    pub nonce: Cow<'a, str>,
    /// `opaque`, returned unchanged (RFC 7616 §3.3).
    pub opaque: Option<Cow<'a, str>>,
    /// `stale=true` (case-insensitive): the nonce expired, the credentials were fine
    /// (RFC 7616 §3.3).
    pub stale: bool,
    /// `algorithm`; MD5 when absent (RFC 7616 §3.3).
    pub algorithm: Algorithm,
    /// `qop` options; `None` when the challenge has no `qop` (an RFC 2069 server, RFC 2617
    /// §3.2.1, RFC 3261 §22.4 item 8).
    pub qop: Option<QopOptions>,
    /// `domain`, a space-separated URI list (RFC 7616 §3.3); see [`Challenge::domain_uris`].
    pub domain: Option<Cow<'a, str>>,
    /// `userhash=true`: the server wants the username hashed (RFC 7616 §3.3, §3.4.4).
    pub userhash: bool,
    /// `charset`, only `UTF-8` is defined (RFC 7616 §3.3, §4).
    pub charset: Option<Cow<'a, str>>,
}

/// Parameters collected before the required ones are checked.
#[derive(Default)]
struct Collected<'a> {
    realm: Option<Cow<'a, str>>,
    nonce: Option<Cow<'a, str>>,
    opaque: Option<Cow<'a, str>>,
    stale: Option<Cow<'a, str>>,
    algorithm: Option<Cow<'a, str>>,
    qop: Option<Cow<'a, str>>,
    domain: Option<Cow<'a, str>>,
    userhash: Option<Cow<'a, str>>,
    charset: Option<Cow<'a, str>>,
}

impl<'a> Challenge<'a> {
    /// A challenge for `realm` with `nonce`, MD5, no qop; set the other fields as needed
    /// (servers should offer `qop`, RFC 8760 §2.6 item 8).
    pub fn new(realm: impl Into<Cow<'a, str>>, nonce: impl Into<Cow<'a, str>>) -> Self {
        Challenge {
            realm: realm.into(),
            nonce: nonce.into(),
            opaque: None,
            stale: false,
            algorithm: Algorithm::Md5,
            qop: None,
            domain: None,
            userhash: false,
            charset: None,
        }
    }

    /// Parses the value of a `WWW-Authenticate` or `Proxy-Authenticate` header field holding
    /// one Digest challenge (RFC 7616 §3.3, RFC 3261 §25.1).
    ///
    /// The scheme is matched case-insensitively; another scheme gives
    /// [`DigestError::UnsupportedScheme`]. Unknown parameters are ignored, a repeated known one
    /// is [`DigestError::DuplicateParam`], an unknown `algorithm` is
    /// [`DigestError::UnsupportedAlgorithm`] (RFC 7616 §3.3: such a challenge is ignored).
    pub fn parse(value: &'a str) -> Result<Challenge<'a>, DigestError> {
        let mut got = Collected::default();
        for param in digest_params(value)? {
            let (name, value) = param?;
            let (slot, which) = match name.to_ascii_lowercase().as_str() {
                "realm" => (&mut got.realm, Param::Realm),
                "nonce" => (&mut got.nonce, Param::Nonce),
                "opaque" => (&mut got.opaque, Param::Opaque),
                "stale" => (&mut got.stale, Param::Stale),
                "algorithm" => (&mut got.algorithm, Param::Algorithm),
                "qop" => (&mut got.qop, Param::Qop),
                "domain" => (&mut got.domain, Param::Domain),
                "userhash" => (&mut got.userhash, Param::Userhash),
                "charset" => (&mut got.charset, Param::Charset),
                _ => continue,
            };
            set_once(slot, which, value)?;
        }
        Ok(Challenge {
            realm: got.realm.ok_or(DigestError::MissingRealm)?,
            nonce: got.nonce.ok_or(DigestError::MissingNonce)?,
            opaque: got.opaque,
            stale: got.stale.as_deref().is_some_and(is_true),
            algorithm: got.algorithm.as_deref().map_or(Ok(Algorithm::Md5), Algorithm::parse)?,
            qop: got.qop.as_deref().map(QopOptions::parse),
            domain: got.domain,
            userhash: got.userhash.as_deref().is_some_and(is_true),
            charset: got.charset,
        })
    }

    /// The URIs of the `domain` list (RFC 7616 §3.3: space-separated).
    pub fn domain_uris(&self) -> impl Iterator<Item = &str> {
        self.domain.as_deref().unwrap_or("").split_ascii_whitespace()
    }

    /// A copy that owns its strings.
    pub fn into_owned(self) -> Challenge<'static> {
        let own = |c: Cow<'a, str>| Cow::Owned(c.into_owned());
        Challenge {
            realm: own(self.realm),
            nonce: own(self.nonce),
            opaque: self.opaque.map(own),
            stale: self.stale,
            algorithm: self.algorithm,
            qop: self.qop,
            domain: self.domain.map(own),
            userhash: self.userhash,
            charset: self.charset.map(own),
        }
    }
}

/// Writes the header field value, quoting `realm`, `domain`, `nonce`, `opaque` and `qop` and
/// leaving `stale` and `algorithm` unquoted (RFC 7616 §3.3).
impl fmt::Display for Challenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::from("Digest realm=");
        quote(&self.realm, &mut out);
        if let Some(domain) = &self.domain {
            out.push_str(", domain=");
            quote(domain, &mut out);
        }
        out.push_str(", nonce=");
        quote(&self.nonce, &mut out);
        if let Some(opaque) = &self.opaque {
            out.push_str(", opaque=");
            quote(opaque, &mut out);
        }
        if self.stale {
            out.push_str(", stale=true");
        }
        out.push_str(", algorithm=");
        out.push_str(self.algorithm.as_str());
        if let Some(qop) = self.qop {
            let list: Vec<&str> = qop.iter().map(Qop::as_str).collect();
            out.push_str(", qop=");
            quote(&list.join(","), &mut out);
        }
        if let Some(charset) = &self.charset {
            out.push_str(", charset=");
            if is_token(charset) {
                out.push_str(charset);
            } else {
                quote(charset, &mut out);
            }
        }
        if self.userhash {
            out.push_str(", userhash=true");
        }
        f.write_str(&out)
    }
}
