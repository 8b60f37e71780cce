//! `uri-parameters` and `headers` of SIP URIs (RFC 3261 §19.1.1, §25.1), `tel` URI parameters
//! (RFC 3966 §3), and the escape-aware comparison rules of RFC 3261 §19.1.4.
//!
//! Both views keep the text raw, exactly as received; names and values are only decoded for
//! comparison, one `%HH` escape at a time, without allocating.

use super::UriError;
use crate::grammar::escapes_are_valid;
use std::fmt;

/// `unreserved` of RFC 3261 §25.1: alphanumerics and `mark` (`-_.!~*'()`).
pub(crate) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')')
}

/// `paramchar` of RFC 3261 §25.1 (and RFC 3966 §3): `param-unreserved / unreserved / escaped`.
pub(crate) fn is_paramchar(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$' | b'%')
}

/// `hname` / `hvalue` characters of RFC 3261 §25.1: `hnv-unreserved / unreserved / escaped`.
fn is_hnvchar(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'[' | b']' | b'/' | b'?' | b':' | b'+' | b'$' | b'%')
}

/// Checks that `text` is non-empty, made only of bytes accepted by `allowed`, and that every `%`
/// starts a valid escape. A bad character gives `bad`; a bad escape gives [`UriError::BadEscape`].
pub(crate) fn check_chars(text: &str, allowed: impl Fn(u8) -> bool, bad: UriError) -> Result<(), UriError> {
    if text.is_empty() || !text.bytes().all(allowed) {
        return Err(bad);
    }
    if !escapes_are_valid(text) {
        return Err(UriError::BadEscape);
    }
    Ok(())
}

/// Splits `name[=value]` at its first `=`.
fn split_pair(segment: &str) -> (&str, Option<&str>) {
    match segment.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (segment, None),
    }
}

/// The `uri-parameters` of a SIP URI (RFC 3261 §19.1.1) or the parameters of a `tel` URI
/// (RFC 3966 §3): the raw text after the first `;`, up to `?` or the end, without that `;`.
///
/// Empty when the URI has no `;`. Equality is raw text equality; use
/// [`SipUri::equivalent`](super::SipUri::equivalent) for the RFC 3261 §19.1.4 rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct UriParams<'a>(&'a str);

impl<'a> UriParams<'a> {
    /// Validates `raw` (the text after the first `;`, e.g. `transport=tcp;lr`) as SIP
    /// `uri-parameters` (RFC 3261 §25.1). An empty `raw` gives empty parameters.
    pub fn new(raw: &'a str) -> Result<Self, UriError> {
        if !raw.is_empty() {
            validate(raw, is_paramchar)?;
        }
        Ok(UriParams(raw))
    }

    /// Validates `raw` as `tel` URI parameters (RFC 3966 §3: `pname` is alphanumerics and `-`).
    pub(crate) fn new_tel(raw: &'a str) -> Result<Self, UriError> {
        if !raw.is_empty() {
            validate(raw, |b| b.is_ascii_alphanumeric() || b == b'-')?;
        }
        Ok(UriParams(raw))
    }

    /// The raw text, without the leading `;`.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// True when the URI carries no parameter.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The parameters in order as `(name, value)`, both raw (escapes kept). The value is `None`
    /// for a flag parameter such as `lr`.
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter { inner: (!self.0.is_empty()).then(|| self.0.split(';')) }
    }

    /// The value of the first parameter called `name`. Names compare case-insensitively and
    /// with escapes decoded (`%6C%72` is `lr`, RFC 3261 §19.1.4). `Some(None)` is a flag
    /// parameter; `None` means the parameter is absent.
    pub fn get(&self, name: &str) -> Option<Option<&'a str>> {
        self.iter().find(|(n, _)| same(n, name, true)).map(|(_, v)| v)
    }

    /// True when a parameter called `name` is present (see [`UriParams::get`]).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// Checks `;`-separated `name[=value]` segments: names from `name_char`, values `paramchar`.
fn validate(raw: &str, name_char: impl Fn(u8) -> bool + Copy) -> Result<(), UriError> {
    for segment in raw.split(';') {
        if segment.is_empty() {
            return Err(UriError::EmptyParam);
        }
        let (name, value) = split_pair(segment);
        check_chars(name, name_char, UriError::BadParam)?;
        if let Some(value) = value {
            check_chars(value, is_paramchar, UriError::BadParam)?;
        }
    }
    Ok(())
}

impl fmt::Display for UriParams<'_> {
    /// Writes the raw text (without the leading `;`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl<'a> IntoIterator for &UriParams<'a> {
    type Item = (&'a str, Option<&'a str>);
    type IntoIter = ParamIter<'a>;

    fn into_iter(self) -> ParamIter<'a> {
        self.iter()
    }
}

/// Iterator over `(name, value)` pairs of [`UriParams`].
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    inner: Option<std::str::Split<'a, char>>,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = (&'a str, Option<&'a str>);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.as_mut()?.next().map(split_pair)
    }
}

/// The `headers` of a SIP URI (RFC 3261 §19.1.1): the raw text after `?`, such as
/// `subject=project%20x&priority=urgent`. Empty when the URI has no `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct UriHeaders<'a>(&'a str);

impl<'a> UriHeaders<'a> {
    /// Validates `raw` (the text after `?`) as `header *( "&" header )` with
    /// `header = hname "=" hvalue` (RFC 3261 §25.1). An empty `raw` gives empty headers.
    pub fn new(raw: &'a str) -> Result<Self, UriError> {
        for segment in raw.split('&').filter(|_| !raw.is_empty()) {
            let (name, value) = segment.split_once('=').ok_or(UriError::BadHeaders)?;
            check_chars(name, is_hnvchar, UriError::BadHeaders)?;
            if !value.is_empty() {
                check_chars(value, is_hnvchar, UriError::BadHeaders)?;
            }
        }
        Ok(UriHeaders(raw))
    }

    /// The raw text, without the leading `?`.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// True when the URI carries no header.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The headers in order as `(name, value)`, both raw (escapes kept). `hvalue` may be empty.
    pub fn iter(&self) -> HeaderIter<'a> {
        HeaderIter { inner: (!self.0.is_empty()).then(|| self.0.split('&')) }
    }

    /// The raw value of the first header called `name` (case-insensitive, escapes decoded).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.iter().find(|(n, _)| same(n, name, true)).map(|(_, v)| v)
    }
}

impl fmt::Display for UriHeaders<'_> {
    /// Writes the raw text (without the leading `?`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl<'a> IntoIterator for &UriHeaders<'a> {
    type Item = (&'a str, &'a str);
    type IntoIter = HeaderIter<'a>;

    fn into_iter(self) -> HeaderIter<'a> {
        self.iter()
    }
}

/// Iterator over `(name, value)` pairs of [`UriHeaders`].
#[derive(Debug, Clone)]
pub struct HeaderIter<'a> {
    inner: Option<std::str::Split<'a, char>>,
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let segment = self.inner.as_mut()?.next()?;
        Some(segment.split_once('=').unwrap_or((segment, "")))
    }
}

/// One compared unit of a URI component (RFC 3261 §19.1.4): a character other than a
/// `reserved` one is the same whether escaped or not; an escaped `reserved` character is not the
/// same as the bare one (`a%3Bb` differs from `a;b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Plain(u8),
    EscapedReserved(u8),
}

/// `reserved` of RFC 2396 §2.2, as cited by RFC 3261 §19.1.4.
fn is_reserved(b: u8) -> bool {
    matches!(b, b';' | b'/' | b'?' | b':' | b'@' | b'&' | b'=' | b'+' | b'$' | b',')
}

fn hex(b: Option<&u8>) -> Option<u8> {
    (*b? as char).to_digit(16).map(|d| d as u8)
}

/// Iterator over the [`Unit`]s of a component, decoding each escape once.
struct Units<'s> {
    bytes: &'s [u8],
    pos: usize,
    fold_case: bool,
}

impl<'s> Units<'s> {
    fn new(text: &'s str, fold_case: bool) -> Self {
        Units { bytes: text.as_bytes(), pos: 0, fold_case }
    }
}

impl Iterator for Units<'_> {
    type Item = Unit;

    fn next(&mut self) -> Option<Unit> {
        let b = *self.bytes.get(self.pos)?;
        let fold = |c: u8| {
            if self.fold_case {
                c.to_ascii_lowercase()
            } else {
                c
            }
        };
        if b == b'%' {
            if let (Some(h), Some(l)) = (hex(self.bytes.get(self.pos + 1)), hex(self.bytes.get(self.pos + 2))) {
                self.pos += 3;
                let decoded = h << 4 | l;
                return Some(if is_reserved(decoded) {
                    Unit::EscapedReserved(decoded)
                } else {
                    Unit::Plain(fold(decoded))
                });
            }
        }
        self.pos += 1;
        Some(Unit::Plain(fold(b)))
    }
}

/// True when `a` and `b` are the same component under RFC 3261 §19.1.4: escapes of
/// non-reserved characters decoded, and ASCII case ignored when `fold_case`.
pub(crate) fn same(a: &str, b: &str, fold_case: bool) -> bool {
    // Lossless shortcut: identical text is always the same component.
    a == b || Units::new(a, fold_case).eq(Units::new(b, fold_case))
}

/// [`same`] for optional components: both absent, or both present and the same.
pub(crate) fn same_opt(a: Option<&str>, b: Option<&str>, fold_case: bool) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => same(a, b, fold_case),
        _ => false,
    }
}

/// Parameters that never match when present in only one URI (RFC 3261 §19.1.4).
const STICKY_PARAMS: [&str; 5] = ["user", "ttl", "method", "maddr", "transport"];

/// `uri-parameter` comparison of RFC 3261 §19.1.4: a parameter in both URIs must match
/// (case-insensitively); `user`, `ttl`, `method`, `maddr` and `transport` in only one URI never
/// match; other parameters in only one URI are ignored.
pub(crate) fn params_equivalent(a: &UriParams<'_>, b: &UriParams<'_>) -> bool {
    // A parameter's value is its first occurrence (as `get` reads it): a name repeated in one URI
    // is compared once, so that every URI is equivalent to itself.
    let one_way = |x: &UriParams<'_>, y: &UriParams<'_>| {
        x.iter().all(|(name, _)| match (x.get(name), y.get(name)) {
            (Some(value), Some(other)) => same_opt(value, other, true),
            _ => !STICKY_PARAMS.iter().any(|s| same(name, s, true)),
        })
    };
    one_way(a, b) && one_way(b, a)
}

/// Header comparison of RFC 3261 §19.1.4: every header must be present in both URIs, in any
/// order, with the same value. Names compare case-insensitively; values compare with escapes
/// decoded but case-sensitively (the per-header rules of §20 are not applied).
pub(crate) fn headers_equivalent(a: &UriHeaders<'_>, b: &UriHeaders<'_>) -> bool {
    let eq = |x: (&str, &str), y: (&str, &str)| same(x.0, y.0, true) && same(x.1, y.1, false);
    let count = |h: (&str, &str), of: &UriHeaders<'_>| of.iter().filter(|&o| eq(h, o)).count();
    a.iter().chain(b.iter()).all(|h| count(h, a) == count(h, b))
}
