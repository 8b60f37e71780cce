//! `*( SEMI generic-param )` of header values (RFC 3261 §25.1), as a validated zero-copy view.

use crate::error::HeaderFault;
use crate::grammar::{is_token_byte, unquote, Cursor};

/// The `;name=value` parameters that follow a header value, checked once and read on demand.
///
/// LWS around `;` and `=` and inside folds is allowed (RFC 3261 §25.1 `SEMI`, `EQUAL`); a value
/// is a token, a host (IPv6 references included, also with the `[ ]` that RFC 5118 §4.5 asks
/// receivers to tolerate in `received`), or a quoted string. Names are compared
/// case-insensitively; values are returned as received (quoted strings with their quotes, see
/// [`Params::get_unquoted`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<'a> {
    /// The raw text, starting at the first `;` (or empty).
    raw: &'a str,
}

/// Characters of an unquoted parameter value: `token` and `host` characters.
fn is_value_byte(b: u8) -> bool {
    is_token_byte(b) || matches!(b, b':' | b'[' | b']')
}

impl<'a> Params<'a> {
    /// Reads `*( SEMI generic-param )` at the cursor. Stops (successfully) at the first thing that
    /// is not a `;`, leaving the cursor there. An empty parameter (`;;`) or a malformed one is an
    /// error.
    pub fn read(cursor: &mut Cursor<'a>) -> Result<Params<'a>, HeaderFault> {
        let mut probe = cursor.clone();
        probe.skip_lws();
        let start = probe.pos();
        let mut end = cursor.pos();
        while probe.eat_separator(b';') {
            probe.token().ok_or(HeaderFault::BadParam)?;
            if probe.eat_separator(b'=') {
                read_value(&mut probe)?;
            }
            end = probe.pos();
        }
        if end == cursor.pos() {
            return Ok(Params::default());
        }
        cursor.reset(end);
        let raw = cursor.text().get(start..end).ok_or(HeaderFault::BadParam)?;
        Ok(Params { raw })
    }

    /// Parses a whole string (such as `;a=1;b`) as parameters; anything left over is an error.
    pub fn parse(text: &'a str) -> Result<Params<'a>, HeaderFault> {
        let mut cursor = Cursor::new(text);
        let params = Params::read(&mut cursor)?;
        cursor.skip_lws();
        if cursor.is_empty() {
            Ok(params)
        } else {
            Err(HeaderFault::TrailingText)
        }
    }

    /// The raw text, from the first `;`.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// True when there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The parameters in order: name and raw value (`None` for a flag such as `;lr`).
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter { cursor: Cursor::new(self.raw) }
    }

    /// The raw value of the first parameter called `name` (any case): `Some(None)` for a flag.
    pub fn get(&self, name: &str) -> Option<Option<&'a str>> {
        self.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// The value of `name` with quotes and escapes removed.
    pub fn get_unquoted(&self, name: &str) -> Option<std::borrow::Cow<'a, str>> {
        self.get(name).flatten().map(unquote)
    }

    /// True when a parameter called `name` is present, with or without a value.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// `Err(DuplicateParam)` when any name appears twice (any case).
    pub fn check_unique(&self) -> Result<(), HeaderFault> {
        for (i, (name, _)) in self.iter().enumerate() {
            if self.iter().skip(i + 1).any(|(other, _)| other.eq_ignore_ascii_case(name)) {
                return Err(HeaderFault::DuplicateParam);
            }
        }
        Ok(())
    }
}

fn read_value<'a>(cursor: &mut Cursor<'a>) -> Result<&'a str, HeaderFault> {
    if cursor.peek() == Some(b'"') {
        return cursor.quoted_string().ok_or(HeaderFault::UnterminatedQuote);
    }
    cursor.take_while(is_value_byte).ok_or(HeaderFault::BadParam)
}

/// Iterator over [`Params`].
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    cursor: Cursor<'a>,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = (&'a str, Option<&'a str>);

    fn next(&mut self) -> Option<Self::Item> {
        // The text was validated by `Params::read`, so every step below succeeds.
        if !self.cursor.eat_separator(b';') {
            return None;
        }
        let name = self.cursor.token()?;
        let value = if self.cursor.eat_separator(b'=') { read_value(&mut self.cursor).ok() } else { None };
        Some((name, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_params_with_lws_folds_and_quotes() {
        let text = " ;   tag    = 1918181833n ;\r\n  flag; q = 0.33;x=\"a;b\" , next";
        let mut cursor = Cursor::new(text);
        let params = Params::read(&mut cursor).unwrap();
        assert_eq!(params.get("TAG"), Some(Some("1918181833n")));
        assert_eq!(params.get("flag"), Some(None));
        assert_eq!(params.get("q"), Some(Some("0.33")));
        assert_eq!(params.get_unquoted("x").as_deref(), Some("a;b"));
        assert_eq!(params.iter().count(), 4);
        assert_eq!(cursor.rest(), " , next");
    }

    #[test]
    fn empty_and_broken_params_are_faults() {
        assert_eq!(Params::parse(";;"), Err(HeaderFault::BadParam));
        assert_eq!(Params::parse(";a="), Err(HeaderFault::BadParam));
        assert_eq!(Params::parse(";a=\"open"), Err(HeaderFault::UnterminatedQuote));
        assert_eq!(Params::parse(";a;A").unwrap().check_unique(), Err(HeaderFault::DuplicateParam));
    }

    #[test]
    fn ipv6_values_with_and_without_brackets() {
        let p = Params::parse(";received=[2001:db8::9:255];branch=z9hG4bK1").unwrap();
        assert_eq!(p.get("received"), Some(Some("[2001:db8::9:255]")));
        let p = Params::parse(";received=2001:db8::9:255").unwrap();
        assert_eq!(p.get("received"), Some(Some("2001:db8::9:255")));
    }
}
