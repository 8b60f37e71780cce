//! `*( SEMI generic-param )` of header values (RFC 3261 §25.1), as a validated zero-copy view.

use crate::error::HeaderFault;
use crate::grammar::{byte_table, is_lws_byte, unquote, Cursor, TOKEN};

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
const VALUE: [bool; 256] = byte_table(b"-.!%*_+`'~:[]");

/// The end of the run of `table` bytes starting at `i`.
#[inline]
fn run(bytes: &[u8], i: usize, table: &[bool; 256]) -> usize {
    let rest = bytes.get(i..).unwrap_or_default();
    i + rest.iter().position(|&b| !table[b as usize]).unwrap_or(rest.len())
}

/// Skips LWS (SP, HTAB, folds) from `i`.
#[inline]
fn skip_lws(bytes: &[u8], i: usize) -> usize {
    let rest = bytes.get(i..).unwrap_or_default();
    i + rest.iter().position(|&b| !is_lws_byte(b)).unwrap_or(rest.len())
}

/// The end of the quoted string starting at `i` (just past its closing quote).
fn quoted_end(bytes: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// A parameter found at some offset: name, raw value (`None` for a flag), and where it ends.
type Found<'a> = (&'a str, Option<&'a str>, usize);

/// One `SEMI generic-param` at `pos`: its name, raw value and end. `Ok(None)` when no `;`
/// follows (after LWS). The common case, no white space, touches each byte once.
#[inline]
fn param_at(text: &str, pos: usize) -> Result<Option<Found<'_>>, HeaderFault> {
    let bytes = text.as_bytes();
    let semi = skip_lws(bytes, pos);
    if bytes.get(semi) != Some(&b';') {
        return Ok(None);
    }
    let name_start = skip_lws(bytes, semi + 1);
    let name_end = run(bytes, name_start, &TOKEN);
    let name = text.get(name_start..name_end).filter(|n| !n.is_empty()).ok_or(HeaderFault::BadParam)?;
    let equals = skip_lws(bytes, name_end);
    if bytes.get(equals) != Some(&b'=') {
        return Ok(Some((name, None, name_end)));
    }
    let value_start = skip_lws(bytes, equals + 1);
    let value_end = if bytes.get(value_start) == Some(&b'"') {
        quoted_end(bytes, value_start).ok_or(HeaderFault::UnterminatedQuote)?
    } else {
        run(bytes, value_start, &VALUE)
    };
    let value = text.get(value_start..value_end).filter(|v| !v.is_empty()).ok_or(HeaderFault::BadParam)?;
    Ok(Some((name, Some(value), value_end)))
}

impl<'a> Params<'a> {
    /// Reads `*( SEMI generic-param )` at the cursor. Stops (successfully) at the first thing that
    /// is not a `;`, leaving the cursor there. An empty parameter (`;;`) or a malformed one is an
    /// error.
    pub fn read(cursor: &mut Cursor<'a>) -> Result<Params<'a>, HeaderFault> {
        Params::read_checked(cursor, |_, _| Ok(()))
    }

    /// [`Params::read`], calling `check` on each parameter (name, raw value) as it is read, so
    /// that a header can validate its own parameters in the same pass.
    pub fn read_checked(
        cursor: &mut Cursor<'a>,
        mut check: impl FnMut(&'a str, Option<&'a str>) -> Result<(), HeaderFault>,
    ) -> Result<Params<'a>, HeaderFault> {
        let text = cursor.text();
        let start = skip_lws(text.as_bytes(), cursor.pos());
        let mut end = cursor.pos();
        while let Some((name, value, next)) = param_at(text, end)? {
            check(name, value)?;
            end = next;
        }
        if end == cursor.pos() {
            return Ok(Params::default());
        }
        cursor.reset(end);
        let raw = text.get(start..end).ok_or(HeaderFault::BadParam)?;
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
        ParamIter { raw: self.raw, pos: 0 }
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
        let mut seen = SeenNames::default();
        self.iter().try_for_each(|(name, _)| seen.insert(name))?;
        seen.finish()
    }
}

/// The parameter names met so far in one pass, to find a repeat (any case). The first sixteen are
/// kept inline and every name is compared with them at once; names past sixteen are kept aside
/// and checked by sorting in [`SeenNames::finish`], so a hostile header with thousands of
/// parameters costs O(n log n), not O(n²).
#[derive(Default)]
pub(crate) struct SeenNames<'a> {
    inline: [&'a str; 16],
    count: usize,
    overflow: Vec<&'a str>,
}

impl<'a> SeenNames<'a> {
    /// Records the next name; `Err(DuplicateParam)` when one of the first sixteen had it.
    pub(crate) fn insert(&mut self, name: &'a str) -> Result<(), HeaderFault> {
        let inline = self.count.min(self.inline.len());
        if self.inline[..inline].iter().any(|s| s.eq_ignore_ascii_case(name)) {
            return Err(HeaderFault::DuplicateParam);
        }
        match self.inline.get_mut(self.count) {
            Some(slot) => *slot = name,
            None => self.overflow.push(name),
        }
        self.count += 1;
        Ok(())
    }

    /// `Err(DuplicateParam)` when two names past the first sixteen are the same.
    pub(crate) fn finish(mut self) -> Result<(), HeaderFault> {
        fn lower(name: &str) -> impl Iterator<Item = u8> + '_ {
            name.bytes().map(|b| b.to_ascii_lowercase())
        }
        self.overflow.sort_unstable_by(|a, b| lower(a).cmp(lower(b)));
        if self.overflow.windows(2).any(|pair| pair[0].eq_ignore_ascii_case(pair[1])) {
            Err(HeaderFault::DuplicateParam)
        } else {
            Ok(())
        }
    }
}

/// Iterator over [`Params`].
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    raw: &'a str,
    pos: usize,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = (&'a str, Option<&'a str>);

    fn next(&mut self) -> Option<Self::Item> {
        // The text was validated by `Params::read`, so no step fails.
        let (name, value, end) = param_at(self.raw, self.pos).ok().flatten()?;
        self.pos = end;
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
