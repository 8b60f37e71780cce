//! Headers whose value is mainly numbers: CSeq, Max-Forwards, Expires, Min-Expires,
//! Content-Length (RFC 3261 §20), RSeq and RAck (RFC 3262 §7), Session-Expires and Min-SE
//! (RFC 4028 §4, §5), Retry-After (RFC 3261 §20.33) and Date (RFC 3261 §20.17).
//!
//! Also the small scanners the other typed headers of this crate share: decimal numbers,
//! `comment`s and parameters that must appear at most once.

use std::fmt;

use crate::error::HeaderFault;
use crate::grammar::Cursor;
use crate::header::{Params, TypedHeader};
use crate::name::HeaderName;

/// Parses `1*DIGIT` as a `u32`: leading zeros are allowed (`0009` is 9). Non-digits (or none)
/// are [`HeaderFault::BadNumber`]; a value above `u32::MAX` is [`HeaderFault::OutOfRange`].
pub(crate) fn parse_u32(text: &str) -> Result<u32, HeaderFault> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HeaderFault::BadNumber);
    }
    text.bytes()
        .try_fold(0u32, |acc, b| acc.checked_mul(10)?.checked_add(u32::from(b - b'0')))
        .ok_or(HeaderFault::OutOfRange)
}

/// Reads `1*DIGIT` at the cursor as a `u32` (see [`parse_u32`]).
pub(crate) fn read_u32(cursor: &mut Cursor<'_>) -> Result<u32, HeaderFault> {
    let digits = cursor.take_while(|b| b.is_ascii_digit()).ok_or(HeaderFault::BadNumber)?;
    parse_u32(digits)
}

/// Reads `1*DIGIT` at the cursor that may only be followed by LWS, the end or one of `next`:
/// `12a` is [`HeaderFault::BadNumber`], not a number followed by text.
fn read_delta(cursor: &mut Cursor<'_>, next: &[u8]) -> Result<u32, HeaderFault> {
    let number = read_u32(cursor)?;
    match cursor.peek() {
        None | Some(b' ' | b'\t' | b'\r' | b'\n') => Ok(number),
        Some(b) if next.contains(&b) => Ok(number),
        Some(_) => Err(HeaderFault::BadNumber),
    }
}

/// Succeeds when only LWS is left at the cursor; otherwise [`HeaderFault::TrailingText`].
pub(crate) fn finish(cursor: &mut Cursor<'_>) -> Result<(), HeaderFault> {
    cursor.skip_lws();
    if cursor.is_empty() {
        Ok(())
    } else {
        Err(HeaderFault::TrailingText)
    }
}

/// A whole value that is `1*DIGIT`. Digits followed by non-digits (`12a`, `-999`) are
/// [`HeaderFault::BadNumber`]; digits, LWS and more text are [`HeaderFault::TrailingText`].
fn whole_number(value: &str) -> Result<u32, HeaderFault> {
    if value.is_empty() {
        return Err(HeaderFault::Empty);
    }
    let mut cursor = Cursor::new(value);
    let number = read_delta(&mut cursor, b"")?;
    finish(&mut cursor).map(|()| number)
}

/// The value of parameter `name` (any case): `None` when absent, `Some(None)` for a flag.
/// [`HeaderFault::DuplicateParam`] when it appears more than once.
pub(crate) fn unique_param<'a>(params: &Params<'a>, name: &str) -> Result<Option<Option<&'a str>>, HeaderFault> {
    let mut found = None;
    for (n, value) in params.iter() {
        if n.eq_ignore_ascii_case(name) {
            if found.is_some() {
                return Err(HeaderFault::DuplicateParam);
            }
            found = Some(value);
        }
    }
    Ok(found)
}

/// Like [`unique_param`], but a parameter present without a value is [`HeaderFault::BadParam`].
pub(crate) fn valued_param<'a>(params: &Params<'a>, name: &str) -> Result<Option<&'a str>, HeaderFault> {
    match unique_param(params, name)? {
        None => Ok(None),
        Some(None) => Err(HeaderFault::BadParam),
        Some(Some(value)) => Ok(Some(value)),
    }
}

/// A parameter whose value must be `delta-seconds` (RFC 3261 §25.1), at most once.
pub(crate) fn delta_param(params: &Params<'_>, name: &str) -> Result<Option<u32>, HeaderFault> {
    valued_param(params, name)?.map(parse_u32).transpose()
}

/// Reads a `comment` (RFC 3261 §25.1) at the cursor, which must be at `(`: nested comments and
/// `quoted-pair`s are allowed, control characters other than LWS are not. Returns it with its
/// parentheses. An unclosed comment is [`HeaderFault::UnterminatedQuote`]; a control character
/// or a bad `quoted-pair` is [`HeaderFault::BadToken`]. Never recurses.
pub(crate) fn read_comment<'a>(cursor: &mut Cursor<'a>) -> Result<&'a str, HeaderFault> {
    let text = cursor.text();
    let bytes = text.as_bytes();
    let start = cursor.pos();
    if bytes.get(start) != Some(&b'(') {
        return Err(HeaderFault::BadToken);
    }
    let mut depth = 0usize;
    let mut i = start;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let comment = text.get(start..=i).ok_or(HeaderFault::BadToken)?;
                    cursor.reset(i + 1);
                    return Ok(comment);
                }
            }
            b'\\' => {
                // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
                match bytes.get(i + 1) {
                    Some(&next) if next.is_ascii() && next != b'\r' && next != b'\n' => i += 1,
                    Some(_) => return Err(HeaderFault::BadToken),
                    None => return Err(HeaderFault::UnterminatedQuote),
                }
            }
            b'\t' | b'\r' | b'\n' => {}
            b if b < 0x20 || b == 0x7f => return Err(HeaderFault::BadToken),
            _ => {}
        }
        i += 1;
    }
    Err(HeaderFault::UnterminatedQuote)
}

/// Reads `1*DIGIT LWS Method` (CSeq, and the tail of RAck).
fn read_number_and_method<'a>(cursor: &mut Cursor<'a>) -> Result<(u32, &'a str), HeaderFault> {
    let number = read_u32(cursor)?;
    if !cursor.skip_lws() {
        return Err(if cursor.is_empty() { HeaderFault::BadToken } else { HeaderFault::BadNumber });
    }
    let method = cursor.token().ok_or(HeaderFault::BadToken)?;
    Ok((number, method))
}

/// `CSeq: 1*DIGIT LWS Method` (RFC 3261 §20.16, §25.1).
///
/// The sequence number must be below 2^31 (RFC 3261 §8.1.1.5); leading zeros are allowed. The
/// LWS may be a line fold (RFC 4475 §3.1.1.2 `wsinv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    /// The sequence number.
    pub seq: u32,
    /// The method, case-sensitive, as received.
    pub method: &'a str,
}

impl<'a> TypedHeader<'a> for CSeq<'a> {
    const NAME: HeaderName = HeaderName::CSeq;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        if value.is_empty() {
            return Err(HeaderFault::Empty);
        }
        let mut cursor = Cursor::new(value);
        let (seq, method) = read_number_and_method(&mut cursor)?;
        if seq >= 1 << 31 {
            return Err(HeaderFault::OutOfRange);
        }
        finish(&mut cursor)?;
        Ok(CSeq { seq, method })
    }
}

impl fmt::Display for CSeq<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// `Max-Forwards: 1*DIGIT`, an integer from 0 to 255 (RFC 3261 §20.22).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxForwards(pub u8);

impl<'a> TypedHeader<'a> for MaxForwards {
    const NAME: HeaderName = HeaderName::MaxForwards;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        let hops = whole_number(value)?;
        u8::try_from(hops).map(MaxForwards).map_err(|_| HeaderFault::OutOfRange)
    }
}

impl fmt::Display for MaxForwards {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Defines a header whose whole value is one `u32` number.
macro_rules! number_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty(pub u32);

        impl<'a> TypedHeader<'a> for $ty {
            const NAME: HeaderName = HeaderName::$name;
            const LIST: bool = false;

            fn parse(value: &'a str) -> Result<Self, HeaderFault> {
                whole_number(value).map($ty)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

number_header!(
    /// `Expires: delta-seconds` (RFC 3261 §20.19): 0 to 2^32-1 seconds; a larger value is
    /// [`HeaderFault::OutOfRange`] (RFC 4475 §3.1.2.4 `scalar02`).
    Expires,
    Expires
);

number_header!(
    /// `Min-Expires: delta-seconds` (RFC 3261 §20.23).
    MinExpires,
    MinExpires
);

number_header!(
    /// `Content-Length: 1*DIGIT` (RFC 3261 §20.14), in octets.
    ContentLength,
    ContentLength
);

/// `RSeq: response-num` (RFC 3262 §7.1): a number from 1 to 2^32-1.
///
/// The first RSeq of a transaction is at most 2^31-1 (RFC 3262 §3), but later ones grow by one
/// each, so any non-zero `u32` is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RSeq(pub u32);

impl<'a> TypedHeader<'a> for RSeq {
    const NAME: HeaderName = HeaderName::RSeq;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        match whole_number(value)? {
            0 => Err(HeaderFault::OutOfRange),
            n => Ok(RSeq(n)),
        }
    }
}

impl fmt::Display for RSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `RAck: response-num LWS CSeq-num LWS Method` (RFC 3262 §7.2, §10).
///
/// `rseq` must be non-zero (RFC 3262 §7.1) and `cseq` below 2^31 (RFC 3261 §8.1.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RAck<'a> {
    /// The RSeq of the provisional response being acknowledged.
    pub rseq: u32,
    /// The CSeq number of that response.
    pub cseq: u32,
    /// The CSeq method of that response (case-sensitive).
    pub method: &'a str,
}

impl<'a> TypedHeader<'a> for RAck<'a> {
    const NAME: HeaderName = HeaderName::RAck;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        if value.is_empty() {
            return Err(HeaderFault::Empty);
        }
        let mut cursor = Cursor::new(value);
        let rseq = read_u32(&mut cursor)?;
        if !cursor.skip_lws() {
            return Err(HeaderFault::BadNumber);
        }
        let (cseq, method) = read_number_and_method(&mut cursor)?;
        if rseq == 0 || cseq >= 1 << 31 {
            return Err(HeaderFault::OutOfRange);
        }
        finish(&mut cursor)?;
        Ok(RAck { rseq, cseq, method })
    }
}

impl fmt::Display for RAck<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.rseq, self.cseq, self.method)
    }
}

/// Reads `delta-seconds *(SEMI generic-param)` as a whole value.
fn delta_with_params(value: &str) -> Result<(u32, Params<'_>), HeaderFault> {
    if value.is_empty() {
        return Err(HeaderFault::Empty);
    }
    let mut cursor = Cursor::new(value);
    let delta = read_delta(&mut cursor, b";")?;
    let params = Params::read(&mut cursor)?;
    finish(&mut cursor)?;
    Ok((delta, params))
}

/// Who refreshes the session: the `refresher` parameter of Session-Expires (RFC 4028 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refresher {
    /// `refresher=uac`: the UAC (the caller of the refresh) refreshes.
    Uac,
    /// `refresher=uas`: the UAS refreshes.
    Uas,
}

impl Refresher {
    /// The parameter value, `uac` or `uas`.
    pub fn as_str(self) -> &'static str {
        match self {
            Refresher::Uac => "uac",
            Refresher::Uas => "uas",
        }
    }
}

impl fmt::Display for Refresher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `Session-Expires: delta-seconds *(SEMI se-params)` (RFC 4028 §4), compact form `x`.
///
/// `refresher` is `uac` or `uas` in any case; any other value, a `refresher` without a value or
/// a repeated `refresher` is a fault. `params` holds every parameter, `refresher` included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionExpires<'a> {
    /// The session interval in seconds.
    pub delta: u32,
    /// The `refresher` parameter, if present.
    pub refresher: Option<Refresher>,
    /// All parameters, as received.
    pub params: Params<'a>,
}

impl<'a> TypedHeader<'a> for SessionExpires<'a> {
    const NAME: HeaderName = HeaderName::SessionExpires;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        let (delta, params) = delta_with_params(value)?;
        let refresher = match valued_param(&params, "refresher")? {
            None => None,
            Some(v) if v.eq_ignore_ascii_case("uac") => Some(Refresher::Uac),
            Some(v) if v.eq_ignore_ascii_case("uas") => Some(Refresher::Uas),
            Some(_) => return Err(HeaderFault::BadParam),
        };
        Ok(SessionExpires { delta, refresher, params })
    }
}

impl fmt::Display for SessionExpires<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.delta, self.params.as_str())
    }
}

/// `Min-SE: delta-seconds *(SEMI generic-param)` (RFC 4028 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinSe<'a> {
    /// The minimum session interval in seconds.
    pub delta: u32,
    /// The parameters, as received.
    pub params: Params<'a>,
}

impl<'a> TypedHeader<'a> for MinSe<'a> {
    const NAME: HeaderName = HeaderName::MinSe;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        let (delta, params) = delta_with_params(value)?;
        Ok(MinSe { delta, params })
    }
}

impl fmt::Display for MinSe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.delta, self.params.as_str())
    }
}

/// `Retry-After: delta-seconds [ comment ] *( SEMI retry-param )` (RFC 3261 §20.33, §25.1).
///
/// The `duration` parameter, when present, must be `delta-seconds` and appear once. A value above
/// 2^32-1 is [`HeaderFault::OutOfRange`] (RFC 4475 §3.1.2.5 `scalarlg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter<'a> {
    /// Seconds after which to retry.
    pub delta: u32,
    /// The comment with its parentheses, as received (`(I'm in a meeting)`).
    pub comment: Option<&'a str>,
    /// The parameters, as received.
    pub params: Params<'a>,
}

impl RetryAfter<'_> {
    /// The `duration` parameter: how long the callee will be reachable, in seconds.
    pub fn duration(&self) -> Option<u32> {
        self.params.get("duration").flatten().and_then(|v| parse_u32(v).ok())
    }
}

impl<'a> TypedHeader<'a> for RetryAfter<'a> {
    const NAME: HeaderName = HeaderName::RetryAfter;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        if value.is_empty() {
            return Err(HeaderFault::Empty);
        }
        let mut cursor = Cursor::new(value);
        let delta = read_delta(&mut cursor, b";(")?;
        let after_number = cursor.pos();
        cursor.skip_lws();
        let comment = if cursor.peek() == Some(b'(') {
            Some(read_comment(&mut cursor)?)
        } else {
            cursor.reset(after_number);
            None
        };
        let params = Params::read(&mut cursor)?;
        finish(&mut cursor)?;
        delta_param(&params, "duration")?;
        Ok(RetryAfter { delta, comment, params })
    }
}

impl fmt::Display for RetryAfter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.delta)?;
        if let Some(comment) = self.comment {
            write!(f, " {comment}")?;
        }
        f.write_str(self.params.as_str())
    }
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Position (from 1) of `name` in `names`, compared in any case.
fn lookup(names: &[&str], name: Option<&str>) -> Option<u8> {
    let name = name?;
    let index = names.iter().position(|n| n.eq_ignore_ascii_case(name))?;
    u8::try_from(index + 1).ok()
}

/// The ASCII digits at `range` of `value` as a number.
fn fixed_digits(value: &str, range: std::ops::Range<usize>) -> Option<u16> {
    let digits = value.get(range)?;
    let number = parse_u32(digits).ok()?;
    u16::try_from(number).ok()
}

fn is_leap(year: u16) -> bool {
    matches!((year % 4, year % 100, year % 400), (_, _, 0) | (0, 1.., _))
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `Date: rfc1123-date` = `wkday "," SP date1 SP time SP "GMT"` (RFC 3261 §20.17, §25.1), such
/// as `Sat, 13 Nov 2010 23:29:00 GMT`.
///
/// Exactly that layout; names match in any case (ABNF strings are case-insensitive); only `GMT`
/// is allowed (RFC 4475 §3.1.2.10 `baddate`). The day must exist in its month; the weekday is
/// not checked against the date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date<'a> {
    /// The value as received.
    pub raw: &'a str,
    /// The day of the week, 1 (Monday) to 7 (Sunday), as ISO 8601 counts.
    pub weekday: u8,
    /// Day of the month, 1 to 31.
    pub day: u8,
    /// Month, 1 (January) to 12.
    pub month: u8,
    /// Year, four digits.
    pub year: u16,
    /// Hour, 0 to 23.
    pub hour: u8,
    /// Minute, 0 to 59.
    pub minute: u8,
    /// Second, 0 to 60 (a leap second).
    pub second: u8,
}

impl Date<'_> {
    /// Seconds since 1970-01-01T00:00:00Z (negative before), ignoring leap seconds.
    pub fn unix_seconds(&self) -> i64 {
        // Days from civil, H. Hinnant's algorithm, on a year that starts in March.
        let (month, day) = (i64::from(self.month), i64::from(self.day));
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        let days = era * 146_097 + day_of_era - 719_468;
        days * 86_400 + i64::from(self.hour) * 3_600 + i64::from(self.minute) * 60 + i64::from(self.second)
    }
}

impl<'a> TypedHeader<'a> for Date<'a> {
    const NAME: HeaderName = HeaderName::Date;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        let bad = HeaderFault::BadDate;
        let bytes = value.as_bytes();
        if value.is_empty() {
            return Err(HeaderFault::Empty);
        }
        // "Sat, 13 Nov 2010 23:29:00 GMT"
        let layout_ok = bytes.len() == 29
            && [(3, b','), (4, b' '), (7, b' '), (11, b' '), (16, b' '), (19, b':'), (22, b':'), (25, b' ')]
                .iter()
                .all(|&(i, c)| bytes.get(i) == Some(&c));
        if !layout_ok || !value.get(26..29).is_some_and(|z| z.eq_ignore_ascii_case("GMT")) {
            return Err(bad);
        }
        let weekday = lookup(&WEEKDAYS, value.get(0..3)).ok_or(bad)?;
        let month = lookup(&MONTHS, value.get(8..11)).ok_or(bad)?;
        let year = fixed_digits(value, 12..16).ok_or(bad)?;
        let small = |range| fixed_digits(value, range).and_then(|n| u8::try_from(n).ok());
        let (day, hour) = (small(5..7).ok_or(bad)?, small(17..19).ok_or(bad)?);
        let (minute, second) = (small(20..22).ok_or(bad)?, small(23..25).ok_or(bad)?);
        if day == 0 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60 {
            return Err(bad);
        }
        Ok(Date { raw: value, weekday, day, month, year, hour, minute, second })
    }
}

impl fmt::Display for Date<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::header::round_trip;

    #[test]
    fn cseq_examples_and_torture_values() {
        assert_eq!(CSeq::parse("4711 INVITE"), Ok(CSeq { seq: 4711, method: "INVITE" }));
        // RFC 4475 §3.1.1.2 wsinv: leading zeros and a folded LWS.
        let folded = CSeq::parse("0009\r\n  INVITE").unwrap();
        assert_eq!(folded, CSeq { seq: 9, method: "INVITE" });
        assert_eq!(folded.to_string(), "9 INVITE");
        // RFC 4475 §3.1.1.3 intmeth: an extension method is any token.
        let odd = "!interesting-Method0123456789_*+`.%indeed'~";
        assert_eq!(CSeq::parse(&format!("139122385 {odd}")).unwrap().method, odd);
        // RFC 4475 §3.1.2.4 scalar02 and §3.1.2.5 scalarlg.
        assert_eq!(CSeq::parse("36893488147419103232 REGISTER"), Err(HeaderFault::OutOfRange));
        assert_eq!(CSeq::parse("9292394834772304023312 OPTIONS"), Err(HeaderFault::OutOfRange));
        // RFC 3261 §8.1.1.5: below 2^31.
        assert_eq!(CSeq::parse("2147483647 BYE").unwrap().seq, 2_147_483_647);
        assert_eq!(CSeq::parse("2147483648 BYE"), Err(HeaderFault::OutOfRange));
        assert_eq!(CSeq::parse(""), Err(HeaderFault::Empty));
        assert_eq!(CSeq::parse("INVITE"), Err(HeaderFault::BadNumber));
        assert_eq!(CSeq::parse("1INVITE"), Err(HeaderFault::BadNumber));
        assert_eq!(CSeq::parse("1"), Err(HeaderFault::BadToken));
        assert_eq!(CSeq::parse("1 INV@ITE"), Err(HeaderFault::TrailingText));
        assert_eq!(CSeq::parse("1 INVITE x"), Err(HeaderFault::TrailingText));
        assert_eq!(CSeq::parse("-1 INVITE"), Err(HeaderFault::BadNumber));
    }

    #[test]
    fn max_forwards_range() {
        assert_eq!(MaxForwards::parse("70"), Ok(MaxForwards(70)));
        assert_eq!(MaxForwards::parse("0068"), Ok(MaxForwards(68))); // wsinv
        assert_eq!(MaxForwards::parse("0"), Ok(MaxForwards(0))); // zeromf
        assert_eq!(MaxForwards::parse("255"), Ok(MaxForwards(255))); // intmeth
        assert_eq!(MaxForwards::parse("256"), Err(HeaderFault::OutOfRange));
        assert_eq!(MaxForwards::parse("300"), Err(HeaderFault::OutOfRange)); // scalar02
        assert_eq!(MaxForwards::parse("99999999999"), Err(HeaderFault::OutOfRange));
        assert_eq!(MaxForwards::parse("7O"), Err(HeaderFault::BadNumber));
        assert_eq!(MaxForwards::parse("70 70"), Err(HeaderFault::TrailingText));
        assert_eq!(MaxForwards::parse(""), Err(HeaderFault::Empty));
    }

    #[test]
    fn delta_seconds_headers() {
        assert_eq!(Expires::parse("5"), Ok(Expires(5))); // RFC 3261 §20.19
        assert_eq!(Expires::parse("4294967295"), Ok(Expires(u32::MAX)));
        assert_eq!(Expires::parse("4294967296"), Err(HeaderFault::OutOfRange));
        let scalar02 = format!("1{}", "0".repeat(104));
        assert_eq!(Expires::parse(&scalar02), Err(HeaderFault::OutOfRange));
        assert_eq!(Expires::parse("Thu, 01 Dec 1994 16:00:00 GMT"), Err(HeaderFault::BadNumber));
        assert_eq!(MinExpires::parse("60"), Ok(MinExpires(60))); // RFC 3261 §20.23
        assert_eq!(ContentLength::parse("349"), Ok(ContentLength(349))); // RFC 3261 §20.14
        assert_eq!(ContentLength::parse("-999"), Err(HeaderFault::BadNumber)); // RFC 4475 ncl
        assert_eq!(ContentLength::parse("0 "), Ok(ContentLength(0)));
    }

    #[test]
    fn rseq_and_rack() {
        assert_eq!(RSeq::parse("988789"), Ok(RSeq(988789))); // RFC 3262 §7.1
        assert_eq!(RSeq::parse("0"), Err(HeaderFault::OutOfRange));
        assert_eq!(RSeq::parse("4294967295"), Ok(RSeq(u32::MAX)));
        assert_eq!(RSeq::parse("4294967296"), Err(HeaderFault::OutOfRange));
        let rack = RAck::parse("776656 1 INVITE").unwrap(); // RFC 3262 §7.2
        assert_eq!(rack, RAck { rseq: 776656, cseq: 1, method: "INVITE" });
        assert_eq!(rack.to_string(), "776656 1 INVITE");
        assert_eq!(RAck::parse("776656\r\n 1\t INVITE"), Ok(rack));
        assert_eq!(RAck::parse("0 1 INVITE"), Err(HeaderFault::OutOfRange));
        assert_eq!(RAck::parse("1 2147483648 INVITE"), Err(HeaderFault::OutOfRange));
        assert_eq!(RAck::parse("1 INVITE"), Err(HeaderFault::BadNumber));
        assert_eq!(RAck::parse("1 1"), Err(HeaderFault::BadToken));
        assert_eq!(RAck::parse("1 1 INVITE 1"), Err(HeaderFault::TrailingText));
    }

    #[test]
    fn session_timers() {
        // RFC 4028 §4 and §10 examples.
        let se = SessionExpires::parse("4000;refresher=uac").unwrap();
        assert_eq!((se.delta, se.refresher), (4000, Some(Refresher::Uac)));
        assert_eq!(se.to_string(), "4000;refresher=uac");
        let se = SessionExpires::parse("1800 ; Refresher = UAS ; x").unwrap();
        assert_eq!(se.refresher, Some(Refresher::Uas));
        assert!(se.params.contains("x"));
        assert_eq!(SessionExpires::parse("1800").unwrap().refresher, None);
        assert_eq!(SessionExpires::parse("1800;refresher=me"), Err(HeaderFault::BadParam));
        assert_eq!(SessionExpires::parse("1800;refresher"), Err(HeaderFault::BadParam));
        assert_eq!(SessionExpires::parse("1800;refresher=uac;refresher=uas"), Err(HeaderFault::DuplicateParam));
        assert_eq!(SessionExpires::parse("18x"), Err(HeaderFault::BadNumber));
        assert_eq!(SessionExpires::parse("1800 x"), Err(HeaderFault::TrailingText));
        let min = MinSe::parse("3600").unwrap(); // RFC 4028 §10
        assert_eq!((min.delta, min.params.is_empty()), (3600, true));
        assert_eq!(MinSe::parse("90;x=1").unwrap().to_string(), "90;x=1");
    }

    #[test]
    fn retry_after() {
        // RFC 3261 §20.33 examples.
        let r = RetryAfter::parse("18000;duration=3600").unwrap();
        assert_eq!((r.delta, r.comment, r.duration()), (18000, None, Some(3600)));
        let r = RetryAfter::parse("120 (I'm in a meeting)").unwrap();
        assert_eq!((r.delta, r.comment), (120, Some("(I'm in a meeting)")));
        assert_eq!(r.to_string(), "120 (I'm in a meeting)");
        let r = RetryAfter::parse(r"5(a (nested \) one) here) ;duration=1;x").unwrap();
        assert_eq!(r.comment, Some(r"(a (nested \) one) here)"));
        assert_eq!(r.duration(), Some(1));
        assert_eq!(RetryAfter::parse("949302838503028349304023988"), Err(HeaderFault::OutOfRange)); // scalarlg
        assert_eq!(RetryAfter::parse("5 (open"), Err(HeaderFault::UnterminatedQuote));
        assert_eq!(RetryAfter::parse("5 (a\u{1}b)"), Err(HeaderFault::BadToken));
        assert_eq!(RetryAfter::parse("5;duration=x"), Err(HeaderFault::BadNumber));
        assert_eq!(RetryAfter::parse("5;duration"), Err(HeaderFault::BadParam));
        assert_eq!(RetryAfter::parse("5x"), Err(HeaderFault::BadNumber));
        assert_eq!(RetryAfter::parse("5 x"), Err(HeaderFault::TrailingText));
        assert_eq!(RetryAfter::parse("5 (a) (b)"), Err(HeaderFault::TrailingText));
    }

    #[test]
    fn date() {
        // RFC 3261 §20.17.
        let d = Date::parse("Sat, 13 Nov 2010 23:29:00 GMT").unwrap();
        assert_eq!((d.weekday, d.day, d.month, d.year), (6, 13, 11, 2010));
        assert_eq!((d.hour, d.minute, d.second), (23, 29, 0));
        assert_eq!(d.unix_seconds(), 1_289_690_940);
        assert_eq!(d.to_string(), "Sat, 13 Nov 2010 23:29:00 GMT");
        let epoch = Date::parse("Thu, 01 Jan 1970 00:00:00 GMT").unwrap();
        assert_eq!(epoch.unix_seconds(), 0);
        assert_eq!(Date::parse("Tue, 29 Feb 2000 12:00:00 GMT").unwrap().unix_seconds(), 951_825_600);
        assert_eq!(Date::parse("Sat, 01 Jan 0000 00:00:00 GMT").unwrap().unix_seconds(), -62_167_219_200);
        assert_eq!(Date::parse("sat, 13 nov 2010 23:29:00 gmt").unwrap().month, 11);
        // RFC 4475 §3.1.2.10 baddate.
        assert_eq!(Date::parse("Fri, 01 Jan 2010 16:00:00 EST"), Err(HeaderFault::BadDate));
        for bad in [
            "Sat, 13 Nov 2010 23:29:00",
            "Sat,13 Nov 2010 23:29:00 GMT",
            "Sat, 13 Nov 2010  23:29:00 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Xyz, 13 Nov 2010 23:29:00 GMT",
            "Sat, 13 Noo 2010 23:29:00 GMT",
            "Sat, 31 Nov 2010 23:29:00 GMT",
            "Sat, 29 Feb 1900 23:29:00 GMT",
            "Sat, 00 Nov 2010 23:29:00 GMT",
            "Sat, 13 Nov 2010 24:00:00 GMT",
            "Sat, 13 Nov 2010 23:60:00 GMT",
            "Sat, 13 Nov 2010 23:29:61 GMT",
            "Sat, +3 Nov 2010 23:29:00 GMT",
            "Sat, 13 Nov 2010 23:29:00 GM\u{e9}",
        ] {
            assert_eq!(Date::parse(bad), Err(HeaderFault::BadDate), "{bad}");
        }
        assert_eq!(Date::parse(""), Err(HeaderFault::Empty));
    }

    #[test]
    fn display_round_trips() {
        for v in ["0009\r\n INVITE", "1 ACK"] {
            let a = CSeq::parse(v).unwrap();
            assert_eq!(CSeq::parse(&a.to_string()), Ok(a));
        }
        for v in ["0", "4294967295"] {
            let a = Expires::parse(v).unwrap();
            assert_eq!(Expires::parse(&a.to_string()), Ok(a));
            let a = MinExpires::parse(v).unwrap();
            assert_eq!(MinExpires::parse(&a.to_string()), Ok(a));
            let a = ContentLength::parse(v).unwrap();
            assert_eq!(ContentLength::parse(&a.to_string()), Ok(a));
        }
        let a = MaxForwards::parse("0068").unwrap();
        assert_eq!(MaxForwards::parse(&a.to_string()), Ok(a));
        let a = RSeq::parse("07").unwrap();
        assert_eq!(RSeq::parse(&a.to_string()), Ok(a));
        let a = RAck::parse("776656  1 INVITE").unwrap();
        assert_eq!(RAck::parse(&a.to_string()), Ok(a));
        let a = SessionExpires::parse("4000 ;\r\n refresher=uas").unwrap();
        assert_eq!(SessionExpires::parse(&a.to_string()), Ok(a));
        let a = MinSe::parse("90 ; a = \"b;c\"").unwrap();
        assert_eq!(MinSe::parse(&a.to_string()), Ok(a));
        let a = RetryAfter::parse("5(x);duration=7").unwrap();
        assert_eq!(RetryAfter::parse(&a.to_string()), Ok(a));
    }

    proptest! {
        #[test]
        fn arbitrary_values_never_panic(
            value in any::<String>(),
            ascii in "[0-9a-zA-Z ;=(),\"\\\\\r\n\t.:-]{0,40}",
            date in "[A-Za-z]{3}, [0-9]{2} [A-Za-z]{3} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} (GMT|gmt|EST)",
        ) {
            for v in [value.as_str(), ascii.as_str(), date.as_str()] {
                round_trip!(CSeq, v);
                round_trip!(MaxForwards, v);
                round_trip!(Expires, v);
                round_trip!(MinExpires, v);
                round_trip!(ContentLength, v);
                round_trip!(RSeq, v);
                round_trip!(RAck, v);
                round_trip!(SessionExpires, v);
                round_trip!(MinSe, v);
                round_trip!(RetryAfter, v);
                round_trip!(Date, v);
                if let Ok(d) = Date::parse(v) {
                    let _ = d.unix_seconds();
                }
            }
        }
    }
}
