//! The `auth-scheme LWS auth-param *(COMMA auth-param)` frame shared by challenges and
//! credentials (RFC 3261 §25.1, RFC 7235 §2.1).

use std::borrow::Cow;

use super::{DigestError, Expected, Param};
use crate::grammar::{unquote, Cursor};

/// Checks the scheme is `Digest` (case-insensitive, RFC 7235 §2.1) and returns an iterator over
/// the parameters that follow it.
pub(super) fn digest_params(value: &str) -> Result<ParamIter<'_>, DigestError> {
    let mut cursor = Cursor::new(value);
    cursor.skip_lws();
    let scheme = cursor.token().ok_or(DigestError::Malformed { at: cursor.pos(), expected: Expected::Scheme })?;
    if !scheme.eq_ignore_ascii_case("Digest") {
        return Err(DigestError::UnsupportedScheme);
    }
    if !cursor.skip_lws() && !cursor.is_empty() {
        return Err(DigestError::Malformed { at: cursor.pos(), expected: Expected::SpaceAfterScheme });
    }
    Ok(ParamIter { cursor, done: false })
}

/// Iterator over `(name, unquoted value)` pairs. Empty list elements (`, ,`) are skipped as
/// RFC 7230 §7 asks of recipients. After the first error it yields nothing more.
pub(super) struct ParamIter<'a> {
    cursor: Cursor<'a>,
    done: bool,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = Result<(&'a str, Cow<'a, str>), DigestError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_param();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

impl<'a> ParamIter<'a> {
    fn malformed(&self, expected: Expected) -> DigestError {
        DigestError::Malformed { at: self.cursor.pos(), expected }
    }

    fn next_param(&mut self) -> Option<Result<(&'a str, Cow<'a, str>), DigestError>> {
        let c = &mut self.cursor;
        c.skip_lws();
        while c.eat_separator(b',') {}
        if c.is_empty() {
            return None;
        }
        let Some(name) = c.token() else {
            return Some(Err(self.malformed(Expected::ParamName)));
        };
        if !c.eat_separator(b'=') {
            return Some(Err(self.malformed(Expected::Equals)));
        }
        let start = c.pos();
        let raw = match c.quoted_string() {
            Some(quoted) if is_valid_quoted(quoted) => quoted,
            Some(_) => {
                c.reset(start);
                return Some(Err(self.malformed(Expected::ParamValue)));
            }
            None => match c.token() {
                Some(token) => token,
                None => return Some(Err(self.malformed(Expected::ParamValue))),
            },
        };
        c.skip_lws();
        if !c.is_empty() && !c.eat(b',') {
            return Some(Err(self.malformed(Expected::Comma)));
        }
        Some(Ok((name, unquote(raw))))
    }
}

/// True when a quoted string (with its quotes) holds only `qdtext` and `quoted-pair`
/// (RFC 3261 §25.1): no control characters except HTAB and line folds (CRLF followed by SP or
/// HTAB), and no escaped CR or LF.
fn is_valid_quoted(quoted: &str) -> bool {
    let bytes = quoted.as_bytes();
    let mut i = 1;
    while i + 1 < bytes.len() {
        match bytes[i] {
            b'\\' => {
                if matches!(bytes.get(i + 1), Some(b'\r' | b'\n')) {
                    return false;
                }
                i += 2;
                continue;
            }
            b'\r' => {
                let fold = bytes.get(i + 1) == Some(&b'\n') && matches!(bytes.get(i + 2), Some(b' ' | b'\t'));
                if !fold {
                    return false;
                }
                i += 2;
                continue;
            }
            b'\t' => {}
            b if b < 0x20 || b == 0x7f => return false,
            _ => {}
        }
        i += 1;
    }
    true
}

/// Stores `value` into `slot`, refusing a second occurrence of the same parameter.
pub(super) fn set_once<'a>(
    slot: &mut Option<Cow<'a, str>>,
    param: Param,
    value: Cow<'a, str>,
) -> Result<(), DigestError> {
    if slot.is_some() {
        return Err(DigestError::DuplicateParam(param));
    }
    *slot = Some(value);
    Ok(())
}

/// Case-insensitive `true` (RFC 7616 §3.3: `stale` and `userhash` are case-insensitive flags;
/// anything other than `true` means false).
pub(super) fn is_true(value: &str) -> bool {
    value.eq_ignore_ascii_case("true")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(value: &str) -> Result<Vec<(String, String)>, DigestError> {
        digest_params(value)?.map(|r| r.map(|(n, v)| (n.to_owned(), v.into_owned()))).collect()
    }

    #[test]
    fn reads_tokens_quoted_strings_folds_and_empty_elements() {
        let got = collect("digest  a=b ,\r\n c = \"x, \\\"y\\\"\" ,, d=\"\"").unwrap();
        let want = [("a", "b"), ("c", "x, \"y\""), ("d", "")];
        let want: Vec<_> = want.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        assert_eq!(got, want);
        assert_eq!(collect("Digest").unwrap(), vec![]);
    }

    #[test]
    fn reports_where_the_syntax_breaks() {
        let err = |v: &str| collect(v).unwrap_err();
        assert_eq!(err(""), DigestError::Malformed { at: 0, expected: Expected::Scheme });
        assert_eq!(err("Basic abc"), DigestError::UnsupportedScheme);
        assert_eq!(err("Digest,a=b"), DigestError::Malformed { at: 6, expected: Expected::SpaceAfterScheme });
        assert_eq!(err("Digest a"), DigestError::Malformed { at: 8, expected: Expected::Equals });
        assert_eq!(err("Digest a=\"open"), DigestError::Malformed { at: 9, expected: Expected::ParamValue });
        assert_eq!(err("Digest a=b c=d"), DigestError::Malformed { at: 11, expected: Expected::Comma });
        assert_eq!(err("Digest a=\"x\ny\""), DigestError::Malformed { at: 9, expected: Expected::ParamValue });
        assert_eq!(err("Digest =b"), DigestError::Malformed { at: 7, expected: Expected::ParamName });
    }

    #[test]
    fn quoted_text_rules() {
        assert!(is_valid_quoted("\"a\r\n b\""));
        assert!(is_valid_quoted("\"tab\there \\\" ok\""));
        assert!(!is_valid_quoted("\"a\r\nb\""));
        assert!(!is_valid_quoted("\"a\\\rb\""));
        assert!(!is_valid_quoted("\"nul\0\""));
    }
}
