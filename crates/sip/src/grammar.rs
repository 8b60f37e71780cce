//! The basic rules of RFC 3261 §25.1 as small, allocation-free scanners over `&str`.
//!
//! Header values keep their line folding (`CRLF` followed by SP or HTAB) as received; every
//! scanner here treats a fold as linear white space (LWS), as RFC 3261 §7.3.1 says it is.

/// Builds a 256-entry membership table: `ALNUM` plus the bytes of `extra`.
pub(crate) const fn byte_table(extra: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
}

pub(crate) const TOKEN: [bool; 256] = byte_table(b"-.!%*_+`'~");
const WORD: [bool; 256] = byte_table(b"-.!%*_+`'~()<>:\\\"/[]?{}");

/// `token` characters (RFC 3261 §25.1): alphanumerics and `-.!%*_+`'~`.
#[inline(always)]
pub fn is_token_byte(b: u8) -> bool {
    TOKEN[b as usize]
}

/// `word` characters (RFC 3261 §25.1): token characters plus `()<>:\"/[]?{}`, used by Call-ID.
#[inline(always)]
pub fn is_word_byte(b: u8) -> bool {
    WORD[b as usize]
}

/// True when the whole string is a non-empty `token`.
pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_byte)
}

/// True for the bytes of LWS: SP, HTAB, CR, LF.
#[inline(always)]
pub fn is_lws_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Trims LWS (SP, HTAB and folds) from both ends of `s`.
#[inline]
pub fn trim_lws(s: &str) -> &str {
    let bytes = s.as_bytes();
    let start = bytes.iter().position(|&b| !is_lws_byte(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|&b| !is_lws_byte(b)).map_or(start, |i| i + 1);
    // Both ends sit next to ASCII bytes, so they are char boundaries.
    s.get(start..end).unwrap_or("")
}

/// Splits `s` at the first `byte` (which must be ASCII): the parts before and after it. A byte
/// loop: faster than a `char` pattern on the short strings of SIP.
#[inline]
pub fn split_at_byte(s: &str, byte: u8) -> Option<(&str, &str)> {
    let at = s.bytes().position(|b| b == byte)?;
    Some((s.get(..at)?, s.get(at + 1..)?))
}

/// A forward-only cursor over a header value or URI.
///
/// The cursor never panics: every method checks bounds and returns `None` or `false` when the
/// input does not match.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Cursor { text, pos: 0 }
    }

    /// The whole text the cursor runs over.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The byte offset of the cursor.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Everything not consumed yet.
    pub fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    /// True when all input is consumed.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.text.len()
    }

    /// The next byte, not consumed.
    pub fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Consumes `b` if it is next.
    pub fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skips LWS: SP, HTAB and line folds. Returns true when anything was skipped.
    pub fn skip_lws(&mut self) -> bool {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.pos != start
    }

    /// Skips LWS, then consumes `b` and the LWS after it (the `SWS x SWS` separators of
    /// RFC 3261 §25.1 such as `EQUAL`, `SEMI`, `COMMA`, `SLASH`, `COLON`).
    pub fn eat_separator(&mut self, b: u8) -> bool {
        let save = self.pos;
        self.skip_lws();
        if self.eat(b) {
            self.skip_lws();
            true
        } else {
            self.pos = save;
            false
        }
    }

    /// Consumes a run of bytes for which `pred` holds; `None` when the run is empty.
    pub fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> Option<&'a str> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            if pred(b) {
                self.pos += 1;
            } else {
                break;
            }
        }
        // Every predicate used accepts only ASCII or stops at ASCII, so `pos` is a char boundary;
        // `get` keeps that a checked fact rather than an assumption.
        if self.pos == start {
            None
        } else {
            self.text.get(start..self.pos)
        }
    }

    /// Consumes a `token`.
    pub fn token(&mut self) -> Option<&'a str> {
        self.take_while(is_token_byte)
    }

    /// Consumes a `quoted-string` (RFC 3261 §25.1) and returns it *with* its quotes, exactly as
    /// received. `None` (and nothing consumed) when the quote is not closed.
    pub fn quoted_string(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        if bytes.get(self.pos) != Some(&b'"') {
            return None;
        }
        let mut i = self.pos + 1;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\\' => i += 2,
                b'"' => {
                    let quoted = self.text.get(self.pos..=i)?;
                    self.pos = i + 1;
                    return Some(quoted);
                }
                _ => i += 1,
            }
        }
        None
    }

    /// Moves the cursor to `pos` (a value previously read from [`Cursor::pos`]).
    pub fn reset(&mut self, pos: usize) {
        self.pos = pos.min(self.text.len());
    }
}

/// Removes the quotes and `quoted-pair` escapes of a quoted string as returned by
/// [`Cursor::quoted_string`]. A string without quotes is returned as is.
pub fn unquote(quoted: &str) -> std::borrow::Cow<'_, str> {
    let inner = quoted.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(quoted);
    if !inner.contains('\\') {
        return std::borrow::Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Writes `text` as a `quoted-string`, escaping `"` and `\`.
pub fn quote(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// Splits a header value at top-level commas: commas inside quoted strings and `<...>` do not
/// split. Each part is trimmed of LWS. Empty parts are yielded too (the caller decides whether an
/// empty element is an error, as in RFC 4475 §3.1.2.1).
pub fn split_commas(value: &str) -> CommaSplit<'_> {
    CommaSplit { rest: Some(value), split: true }
}

/// The whole value as the only element, trimmed: the same iterator type as [`split_commas`]
/// for headers whose commas do not separate values.
pub fn single_value(value: &str) -> CommaSplit<'_> {
    CommaSplit { rest: Some(value), split: false }
}

/// Iterator returned by [`split_commas`].
#[derive(Debug, Clone)]
pub struct CommaSplit<'a> {
    rest: Option<&'a str>,
    split: bool,
}

impl<'a> Iterator for CommaSplit<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let text = self.rest?;
        let bytes = text.as_bytes();
        if !self.split || !bytes.contains(&b',') {
            self.rest = None;
            return Some(trim_lws(text));
        }
        let (mut in_quotes, mut in_angle, mut i) = (false, false, 0);
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if in_quotes => i += 1,
                b'"' => in_quotes = !in_quotes,
                b'<' if !in_quotes => in_angle = true,
                b'>' if !in_quotes => in_angle = false,
                b',' if !in_quotes && !in_angle => {
                    self.rest = text.get(i + 1..);
                    return Some(trim_lws(&text[..i]));
                }
                _ => {}
            }
            i += 1;
        }
        self.rest = None;
        Some(trim_lws(text))
    }
}

/// Decodes `%HH` escapes once (RFC 3261 §19.1.2, RFC 3986 §2.1). The result is never decoded
/// again: `%2541` becomes `%41`, not `A`. A `%` not followed by two hex digits is kept as is.
pub fn percent_decode(text: &str) -> std::borrow::Cow<'_, [u8]> {
    if !text.contains('%') {
        return std::borrow::Cow::Borrowed(text.as_bytes());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let (Some(h), Some(l)) = (hex_value(bytes.get(i + 1)), hex_value(bytes.get(i + 2))) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

fn hex_value(b: Option<&u8>) -> Option<u8> {
    let b = *b?;
    (b as char).to_digit(16).map(|d| d as u8)
}

/// True when every `%` in `text` starts a valid `%HH` escape.
pub fn escapes_are_valid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .all(|(i, &b)| b != b'%' || (hex_value(bytes.get(i + 1)).is_some() && hex_value(bytes.get(i + 2)).is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_reads_separators_with_folds() {
        let mut c = Cursor::new("tag \r\n  =  abc");
        assert_eq!(c.token(), Some("tag"));
        assert!(c.eat_separator(b'='));
        assert_eq!(c.token(), Some("abc"));
        assert!(c.is_empty());
    }

    #[test]
    fn quoted_string_keeps_escapes_and_rejects_unterminated() {
        let mut c = Cursor::new(r#""J Rosenberg \\\"" <sip:x>"#);
        assert_eq!(c.quoted_string(), Some(r#""J Rosenberg \\\"""#));
        assert_eq!(unquote(r#""J Rosenberg \\\"""#), r#"J Rosenberg \""#);
        let mut open = Cursor::new(r#""no end <sip:x>"#);
        assert_eq!(open.quoted_string(), None);
        assert_eq!(open.pos(), 0);
    }

    #[test]
    fn commas_split_only_at_top_level() {
        let parts: Vec<_> = split_commas(r#""a, b" <sip:x;p=1,2>, <sip:y> , ,"#).collect();
        assert_eq!(parts, vec![r#""a, b" <sip:x;p=1,2>"#, "<sip:y>", "", ""]);
    }

    #[test]
    fn tables_match_the_rfc_sets() {
        let token: Vec<u8> = (0..=255u8).filter(|&b| is_token_byte(b)).collect();
        let mut expected: Vec<u8> = (b'0'..=b'9').chain(b'A'..=b'Z').chain(b'a'..=b'z').collect();
        expected.extend_from_slice(b"-.!%*_+`'~");
        expected.sort();
        assert_eq!(token, expected);
        for b in *b"()<>:\\\"/[]?{}" {
            assert!(is_word_byte(b) && !is_token_byte(b), "{}", b as char);
        }
        assert_eq!(trim_lws(" \r\n\t x y \r\n "), "x y");
        assert_eq!(trim_lws(" \t "), "");
    }

    #[test]
    fn percent_decoding_is_done_once() {
        assert_eq!(&*percent_decode("v%61lue%25%34%31"), b"value%41");
        assert_eq!(&*percent_decode("100%"), b"100%");
        assert!(!escapes_are_valid("word%ZK"));
        assert!(escapes_are_valid("a%20b"));
    }
}
