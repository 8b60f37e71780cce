//! Headers made of tokens, words and short structured text: Call-ID, the option-tag and method
//! lists (RFC 3261 §20), Event and Subscription-State (RFC 6665 §8.2), Replaces (RFC 3891 §6.1),
//! Answer-Mode and Priv-Answer-Mode (RFC 5373 §7), Reason (RFC 3326 §2), Warning, User-Agent
//! and Server (RFC 3261 §20).

use std::borrow::Cow;
use std::fmt;

use crate::error::HeaderFault;
use crate::grammar::{is_token, is_word_byte, unquote, Cursor};
use crate::header::numeric::{delta_param, finish, parse_u32, read_u32, unique_param, valued_param};
use crate::header::{Params, TypedHeader};
use crate::name::HeaderName;

/// Reads `callid = word [ "@" word ]` (RFC 3261 §25.1) at the cursor.
fn read_callid<'a>(cursor: &mut Cursor<'a>) -> Result<&'a str, HeaderFault> {
    let start = cursor.pos();
    if cursor.is_empty() {
        return Err(HeaderFault::Empty);
    }
    cursor.take_while(is_word_byte).ok_or(HeaderFault::BadToken)?;
    if cursor.eat(b'@') {
        cursor.take_while(is_word_byte).ok_or(HeaderFault::BadToken)?;
    }
    cursor.text().get(start..cursor.pos()).ok_or(HeaderFault::BadToken)
}

/// Parses a whole value that is one `token`.
fn single_token(value: &str) -> Result<&str, HeaderFault> {
    if value.is_empty() {
        return Err(HeaderFault::Empty);
    }
    let mut cursor = Cursor::new(value);
    let token = cursor.token().ok_or(HeaderFault::BadToken)?;
    finish(&mut cursor)?;
    Ok(token)
}

/// Reads `token *(SEMI generic-param)` as a whole value.
fn token_with_params(value: &str) -> Result<(&str, Params<'_>), HeaderFault> {
    if value.is_empty() {
        return Err(HeaderFault::Empty);
    }
    let mut cursor = Cursor::new(value);
    let token = cursor.token().ok_or(HeaderFault::BadToken)?;
    let params = Params::read(&mut cursor)?;
    finish(&mut cursor)?;
    Ok((token, params))
}

/// A parameter whose value, when present, must be a `token` (not quoted, not a host).
fn token_param<'a>(params: &Params<'a>, name: &str) -> Result<Option<&'a str>, HeaderFault> {
    match valued_param(params, name)? {
        Some(value) if !is_token(value) => Err(HeaderFault::BadParam),
        other => Ok(other),
    }
}

/// `Call-ID: callid` with `callid = word [ "@" word ]` (RFC 3261 §20.8, §25.1), compact `i`.
///
/// Call-IDs compare case-sensitively. `word` allows most separators, so
/// `intmeth.word%ZK-!.*_+'@word`~)(><:\/"][?}{` is legal (RFC 4475 §3.1.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CallId<'a>(pub &'a str);

impl<'a> TypedHeader<'a> for CallId<'a> {
    const NAME: HeaderName = HeaderName::CallId;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        let mut cursor = Cursor::new(value);
        let id = read_callid(&mut cursor)?;
        finish(&mut cursor)?;
        Ok(CallId(id))
    }
}

impl fmt::Display for CallId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Defines a list header whose elements are single tokens.
macro_rules! token_list_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $ty<'a>(pub &'a str);

        impl<'a> TypedHeader<'a> for $ty<'a> {
            const NAME: HeaderName = HeaderName::$name;
            const LIST: bool = true;

            fn parse(value: &'a str) -> Result<Self, HeaderFault> {
                single_token(value).map($ty)
            }
        }

        impl fmt::Display for $ty<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }
    };
}

token_list_header!(
    /// One method of `Allow: [Method *(COMMA Method)]` (RFC 3261 §20.5). Methods are
    /// case-sensitive.
    Allow,
    Allow
);

token_list_header!(
    /// One option-tag of `Supported: [option-tag *(COMMA option-tag)]` (RFC 3261 §20.37),
    /// compact `k`. An empty Supported line means "none".
    Supported,
    Supported
);

token_list_header!(
    /// One option-tag of `Require: option-tag *(COMMA option-tag)` (RFC 3261 §20.32).
    Require,
    Require
);

token_list_header!(
    /// One option-tag of `Proxy-Require: option-tag *(COMMA option-tag)` (RFC 3261 §20.29).
    ProxyRequire,
    ProxyRequire
);

token_list_header!(
    /// One option-tag of `Unsupported: option-tag *(COMMA option-tag)` (RFC 3261 §20.40).
    Unsupported,
    Unsupported
);

/// `Event: event-type *( SEMI event-param )` with
/// `event-type = event-package *( "." event-template )` (RFC 6665 §8.4, §7.2), compact `o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The event package, such as `presence` or `dialog`.
    pub package: &'a str,
    /// Everything after the first `.` of the event type (`winfo` in `presence.winfo`; several
    /// templates stay joined by `.`), if any.
    pub template: Option<&'a str>,
    /// The parameters, as received.
    pub params: Params<'a>,
}

impl<'a> Event<'a> {
    /// The `id` parameter, which tells apart subscriptions in one dialog (RFC 6665 §8.2.1).
    pub fn id(&self) -> Option<&'a str> {
        self.params.get("id").flatten()
    }

    /// The event templates in order (`winfo` for `presence.winfo`).
    pub fn templates(&self) -> impl Iterator<Item = &'a str> {
        self.template.into_iter().flat_map(|t| t.split('.'))
    }
}

impl<'a> TypedHeader<'a> for Event<'a> {
    const NAME: HeaderName = HeaderName::Event;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        let (event_type, params) = token_with_params(value)?;
        // token-nodot parts separated by single dots.
        if event_type.split('.').any(str::is_empty) {
            return Err(HeaderFault::BadToken);
        }
        let (package, template) = match event_type.split_once('.') {
            Some((package, template)) => (package, Some(template)),
            None => (event_type, None),
        };
        token_param(&params, "id")?;
        Ok(Event { package, template, params })
    }
}

impl fmt::Display for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.package)?;
        if let Some(template) = self.template {
            write!(f, ".{template}")?;
        }
        f.write_str(self.params.as_str())
    }
}

/// The `substate-value` of Subscription-State (RFC 6665 §8.4), matched in any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubState<'a> {
    /// `active`: the subscription is accepted.
    Active,
    /// `pending`: received, not yet authorized.
    Pending,
    /// `terminated`: over; see the `reason` parameter.
    Terminated,
    /// An `extension-substate` token, as received.
    Other(&'a str),
}

impl<'a> SubState<'a> {
    /// The value as written on the wire.
    pub fn as_str(&self) -> &'a str {
        match self {
            SubState::Active => "active",
            SubState::Pending => "pending",
            SubState::Terminated => "terminated",
            SubState::Other(token) => token,
        }
    }
}

/// `Subscription-State: substate-value *( SEMI subexp-params )` (RFC 6665 §8.2.3, §8.4).
///
/// `expires` and `retry-after` must be `delta-seconds`, `reason` a token; each at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionState<'a> {
    /// The state of the subscription.
    pub state: SubState<'a>,
    /// The parameters, as received.
    pub params: Params<'a>,
}

impl<'a> SubscriptionState<'a> {
    /// The `expires` parameter: seconds the subscription still lasts.
    pub fn expires(&self) -> Option<u32> {
        self.params.get("expires").flatten().and_then(|v| parse_u32(v).ok())
    }

    /// The `reason` parameter of a terminated subscription (RFC 6665 §4.1.3), such as
    /// `deactivated`, `timeout`, `rejected` or `noresource`.
    pub fn reason(&self) -> Option<&'a str> {
        self.params.get("reason").flatten()
    }

    /// The `retry-after` parameter: seconds before a new subscription may be tried
    /// (RFC 6665 §4.1.3).
    pub fn retry_after(&self) -> Option<u32> {
        self.params.get("retry-after").flatten().and_then(|v| parse_u32(v).ok())
    }
}

impl<'a> TypedHeader<'a> for SubscriptionState<'a> {
    const NAME: HeaderName = HeaderName::SubscriptionState;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        let (token, params) = token_with_params(value)?;
        let state = if token.eq_ignore_ascii_case("active") {
            SubState::Active
        } else if token.eq_ignore_ascii_case("pending") {
            SubState::Pending
        } else if token.eq_ignore_ascii_case("terminated") {
            SubState::Terminated
        } else {
            SubState::Other(token)
        };
        delta_param(&params, "expires")?;
        delta_param(&params, "retry-after")?;
        token_param(&params, "reason")?;
        Ok(SubscriptionState { state, params })
    }
}

impl fmt::Display for SubscriptionState<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.state.as_str(), self.params.as_str())
    }
}

/// `Replaces: callid *(SEMI replaces-param)` (RFC 3891 §6.1).
///
/// `to-tag` and `from-tag` are tokens and may appear once each. RFC 3891 §6.1 requires both; the
/// grammar does not, so their absence is left to the caller (a UAS answers 400 or 481).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replaces<'a> {
    /// The Call-ID of the dialog to replace.
    pub call_id: &'a str,
    /// The `to-tag` parameter.
    pub to_tag: Option<&'a str>,
    /// The `from-tag` parameter.
    pub from_tag: Option<&'a str>,
    /// True when the `early-only` flag is present.
    pub early_only: bool,
    /// All parameters, as received.
    pub params: Params<'a>,
}

impl<'a> TypedHeader<'a> for Replaces<'a> {
    const NAME: HeaderName = HeaderName::Replaces;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        let mut cursor = Cursor::new(value);
        let call_id = read_callid(&mut cursor)?;
        let params = Params::read(&mut cursor)?;
        finish(&mut cursor)?;
        let to_tag = token_param(&params, "to-tag")?;
        let from_tag = token_param(&params, "from-tag")?;
        let early_only = unique_param(&params, "early-only")?.is_some();
        Ok(Replaces { call_id, to_tag, from_tag, early_only, params })
    }
}

impl fmt::Display for Replaces<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.call_id, self.params.as_str())
    }
}

/// `answer-mode-value = "Manual" / "Auto" / token` (RFC 5373 §7), matched in any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerModeValue<'a> {
    /// `Auto`: answer without asking the user.
    Auto,
    /// `Manual`: ask the user.
    Manual,
    /// Any other token, which RFC 5373 §7 says to ignore.
    Other(&'a str),
}

impl<'a> AnswerModeValue<'a> {
    /// The value as written on the wire.
    pub fn as_str(&self) -> &'a str {
        match self {
            AnswerModeValue::Auto => "Auto",
            AnswerModeValue::Manual => "Manual",
            AnswerModeValue::Other(token) => token,
        }
    }
}

/// `Answer-Mode: answer-mode-value *(SEMI answer-mode-param)` (RFC 5373 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerMode<'a> {
    /// The requested answer mode.
    pub mode: AnswerModeValue<'a>,
    /// True when the `require` flag is present: reject rather than answer another way.
    pub require: bool,
    /// All parameters, as received.
    pub params: Params<'a>,
}

impl<'a> TypedHeader<'a> for AnswerMode<'a> {
    const NAME: HeaderName = HeaderName::AnswerMode;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        let (token, params) = token_with_params(value)?;
        let mode = if token.eq_ignore_ascii_case("auto") {
            AnswerModeValue::Auto
        } else if token.eq_ignore_ascii_case("manual") {
            AnswerModeValue::Manual
        } else {
            AnswerModeValue::Other(token)
        };
        let require = unique_param(&params, "require")?.is_some();
        Ok(AnswerMode { mode, require, params })
    }
}

impl fmt::Display for AnswerMode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.mode.as_str(), self.params.as_str())
    }
}

/// `Priv-Answer-Mode`, with the syntax of [`AnswerMode`] (RFC 5373 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivAnswerMode<'a>(pub AnswerMode<'a>);

impl<'a> TypedHeader<'a> for PrivAnswerMode<'a> {
    const NAME: HeaderName = HeaderName::PrivAnswerMode;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        AnswerMode::parse(value).map(PrivAnswerMode)
    }
}

impl fmt::Display for PrivAnswerMode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One `reason-value = protocol *(SEMI reason-params)` of a Reason header (RFC 3326 §2).
///
/// `cause` must be `1*DIGIT` (up to 65535) and `text` a quoted string; each at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason<'a> {
    /// `SIP`, `Q.850` or another token.
    pub protocol: &'a str,
    /// The `cause` parameter: a SIP status code or a Q.850 cause value.
    pub cause: Option<u16>,
    /// The `text` parameter with its quotes, as received; see [`Reason::text_unquoted`].
    pub text: Option<&'a str>,
    /// All parameters, as received.
    pub params: Params<'a>,
}

impl<'a> Reason<'a> {
    /// The `text` parameter without its quotes and escapes.
    pub fn text_unquoted(&self) -> Option<Cow<'a, str>> {
        self.text.map(unquote)
    }
}

impl<'a> TypedHeader<'a> for Reason<'a> {
    const NAME: HeaderName = HeaderName::Reason;
    const LIST: bool = true;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        let (protocol, params) = token_with_params(value)?;
        let cause = match valued_param(&params, "cause")? {
            Some(digits) => Some(u16::try_from(parse_u32(digits)?).map_err(|_| HeaderFault::OutOfRange)?),
            None => None,
        };
        let text = valued_param(&params, "text")?;
        if text.is_some_and(|t| !t.starts_with('"')) {
            return Err(HeaderFault::BadParam);
        }
        Ok(Reason { protocol, cause, text, params })
    }
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.protocol, self.params.as_str())
    }
}

/// Reads `warn-agent = hostport / pseudonym` (RFC 3261 §20.43): a token (host name, IPv4 address
/// or pseudonym) or an IPv6 reference, with an optional port.
fn read_warn_agent<'a>(cursor: &mut Cursor<'a>) -> Result<&'a str, HeaderFault> {
    let start = cursor.pos();
    if cursor.eat(b'[') {
        cursor.take_while(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.').ok_or(HeaderFault::BadHostPort)?;
        if !cursor.eat(b']') {
            return Err(HeaderFault::BadHostPort);
        }
    } else {
        cursor.token().ok_or(HeaderFault::BadHostPort)?;
    }
    if cursor.eat(b':') {
        let port = read_u32(cursor).map_err(|_| HeaderFault::BadHostPort)?;
        if port > u32::from(u16::MAX) {
            return Err(HeaderFault::BadHostPort);
        }
    }
    cursor.text().get(start..cursor.pos()).ok_or(HeaderFault::BadHostPort)
}

/// One `warning-value = warn-code SP warn-agent SP warn-text` of a Warning header
/// (RFC 3261 §20.43). The separators may be any LWS.
///
/// A code that is not three digits is [`HeaderFault::OutOfRange`] (RFC 4475 §3.1.2.5
/// `scalarlg`); a missing or unclosed `warn-text` is [`HeaderFault::UnterminatedQuote`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Warning<'a> {
    /// The three-digit warning code (RFC 3261 §20.43 lists the 3xx codes).
    pub code: u16,
    /// The host (with optional port) or pseudonym of the element adding the warning.
    pub agent: &'a str,
    /// The warning text with its quotes, as received.
    pub text: &'a str,
}

impl<'a> Warning<'a> {
    /// The warning text without its quotes and escapes.
    pub fn text_unquoted(&self) -> Cow<'a, str> {
        unquote(self.text)
    }
}

impl<'a> TypedHeader<'a> for Warning<'a> {
    const NAME: HeaderName = HeaderName::Warning;
    const LIST: bool = true;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        if value.is_empty() {
            return Err(HeaderFault::Empty);
        }
        let mut cursor = Cursor::new(value);
        let digits = cursor.take_while(|b| b.is_ascii_digit()).ok_or(HeaderFault::BadNumber)?;
        let spaced = cursor.skip_lws();
        if !spaced && !cursor.is_empty() {
            return Err(HeaderFault::BadNumber);
        }
        if digits.len() != 3 {
            return Err(HeaderFault::OutOfRange);
        }
        let code = u16::try_from(parse_u32(digits)?).map_err(|_| HeaderFault::OutOfRange)?;
        if !spaced {
            return Err(HeaderFault::BadHostPort);
        }
        let agent = read_warn_agent(&mut cursor)?;
        if !cursor.skip_lws() && !cursor.is_empty() {
            return Err(HeaderFault::BadHostPort);
        }
        let text = cursor.quoted_string().ok_or(HeaderFault::UnterminatedQuote)?;
        finish(&mut cursor)?;
        Ok(Warning { code, agent, text })
    }
}

impl fmt::Display for Warning<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03} {} {}", self.code, self.agent, self.text)
    }
}

/// Checks a `server-val *(LWS server-val)` value leniently: non-empty, no control characters
/// other than LWS. Real products often put characters outside `token` in their names.
fn product_list(value: &str) -> Result<&str, HeaderFault> {
    if value.is_empty() {
        return Err(HeaderFault::Empty);
    }
    if value.bytes().any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')) || b == 0x7f) {
        return Err(HeaderFault::BadToken);
    }
    Ok(value)
}

/// `User-Agent: server-val *(LWS server-val)` (RFC 3261 §20.41), kept raw; checked leniently
/// (non-empty, no control characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserAgent<'a>(pub &'a str);

impl<'a> TypedHeader<'a> for UserAgent<'a> {
    const NAME: HeaderName = HeaderName::UserAgent;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        product_list(value).map(UserAgent)
    }
}

impl fmt::Display for UserAgent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// `Server: server-val *(LWS server-val)` (RFC 3261 §20.35), kept raw; checked leniently
/// (non-empty, no control characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Server<'a>(pub &'a str);

impl<'a> TypedHeader<'a> for Server<'a> {
    const NAME: HeaderName = HeaderName::Server;
    const LIST: bool = false;

    fn parse(value: &'a str) -> Result<Self, HeaderFault> {
        product_list(value).map(Server)
    }
}

impl fmt::Display for Server<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::header::round_trip;

    #[test]
    fn call_id() {
        // RFC 3261 §20.8.
        assert_eq!(
            CallId::parse("f81d4fae-7dec-11d0-a765-00a0c91e6bf6@biloxi.com"),
            Ok(CallId("f81d4fae-7dec-11d0-a765-00a0c91e6bf6@biloxi.com"))
        );
        assert_eq!(
            CallId::parse("f81d4fae-7dec-11d0-a765-00a0c91e6bf6@192.0.2.4").unwrap().to_string(),
            "f81d4fae-7dec-11d0-a765-00a0c91e6bf6@192.0.2.4"
        );
        // RFC 4475 §3.1.1.3 intmeth.
        let odd = r#"intmeth.word%ZK-!.*_+'@word`~)(><:\/"][?}{"#;
        assert_eq!(CallId::parse(odd), Ok(CallId(odd)));
        assert_eq!(CallId::parse(""), Err(HeaderFault::Empty));
        assert_eq!(CallId::parse("a b"), Err(HeaderFault::TrailingText));
        assert_eq!(CallId::parse("a@"), Err(HeaderFault::BadToken));
        assert_eq!(CallId::parse("@b"), Err(HeaderFault::BadToken));
        assert_eq!(CallId::parse("a@b@c"), Err(HeaderFault::TrailingText));
        assert_eq!(CallId::parse("a;b"), Err(HeaderFault::TrailingText));
        assert_eq!(CallId::parse("caf\u{e9}"), Err(HeaderFault::TrailingText));
    }

    #[test]
    fn token_lists() {
        // RFC 3261 §20.5, §20.37, §20.32, §20.29, §20.40 examples, one element at a time.
        assert_eq!(Allow::parse("INVITE"), Ok(Allow("INVITE")));
        assert_eq!(Supported::parse("100rel"), Ok(Supported("100rel")));
        assert_eq!(Require::parse("100rel"), Ok(Require("100rel")));
        assert_eq!(ProxyRequire::parse("foo"), Ok(ProxyRequire("foo")));
        assert_eq!(Unsupported::parse("foo"), Ok(Unsupported("foo")));
        assert_eq!(Supported::parse(""), Err(HeaderFault::Empty));
        assert_eq!(Supported::parse("timer 100rel"), Err(HeaderFault::TrailingText));
        assert_eq!(Require::parse("\"x\""), Err(HeaderFault::BadToken));
        assert_eq!(Allow::parse("INVITE,ACK"), Err(HeaderFault::TrailingText));
    }

    #[test]
    fn event() {
        // RFC 6665 §8.2.1 / RFC 3856 / RFC 3857.
        let e = Event::parse("presence").unwrap();
        assert_eq!((e.package, e.template, e.id()), ("presence", None, None));
        let e = Event::parse("presence.winfo ; id=1234").unwrap();
        assert_eq!((e.package, e.template, e.id()), ("presence", Some("winfo"), Some("1234")));
        assert_eq!(e.to_string(), "presence.winfo; id=1234");
        let e = Event::parse("a.b.c").unwrap();
        assert_eq!(e.templates().collect::<Vec<_>>(), ["b", "c"]);
        for bad in ["presence.", ".winfo", "a..b"] {
            assert_eq!(Event::parse(bad), Err(HeaderFault::BadToken), "{bad}");
        }
        assert_eq!(Event::parse("dialog;id=\"x\""), Err(HeaderFault::BadParam));
        assert_eq!(Event::parse("dialog;id=1;id=2"), Err(HeaderFault::DuplicateParam));
        assert_eq!(Event::parse("dialog x"), Err(HeaderFault::TrailingText));
    }

    #[test]
    fn subscription_state() {
        // RFC 6665 §8.2.3 and §4.1.3.
        let s = SubscriptionState::parse("active;expires=60").unwrap();
        assert_eq!((s.state, s.expires(), s.reason()), (SubState::Active, Some(60), None));
        let s = SubscriptionState::parse("Terminated;reason=rejected;retry-after=3600").unwrap();
        assert_eq!(s.state, SubState::Terminated);
        assert_eq!((s.reason(), s.retry_after()), (Some("rejected"), Some(3600)));
        assert_eq!(s.to_string(), "terminated;reason=rejected;retry-after=3600");
        assert_eq!(SubscriptionState::parse("pending").unwrap().state, SubState::Pending);
        assert_eq!(SubscriptionState::parse("waiting").unwrap().state, SubState::Other("waiting"));
        assert_eq!(SubscriptionState::parse("active;expires=x"), Err(HeaderFault::BadNumber));
        assert_eq!(SubscriptionState::parse("active;expires=99999999999"), Err(HeaderFault::OutOfRange));
        assert_eq!(SubscriptionState::parse("terminated;reason"), Err(HeaderFault::BadParam));
        assert_eq!(SubscriptionState::parse(""), Err(HeaderFault::Empty));
    }

    #[test]
    fn replaces() {
        // RFC 3891 §6.1 examples.
        let r = Replaces::parse("98732@sip.example.com\r\n          ;from-tag=r33th4x0r\r\n          ;to-tag=ff87ff")
            .unwrap();
        assert_eq!(
            (r.call_id, r.to_tag, r.from_tag, r.early_only),
            ("98732@sip.example.com", Some("ff87ff"), Some("r33th4x0r"), false)
        );
        let r = Replaces::parse("12adf2f34456gs5;to-tag=12345;from-tag=54321;early-only").unwrap();
        assert_eq!((r.to_tag, r.from_tag, r.early_only), (Some("12345"), Some("54321"), true));
        assert_eq!(r.to_string(), "12adf2f34456gs5;to-tag=12345;from-tag=54321;early-only");
        let r = Replaces::parse("87134@171.161.34.23;to-tag=24796;from-tag=0").unwrap();
        assert_eq!(r.from_tag, Some("0"));
        assert_eq!(Replaces::parse("a;to-tag=1;to-tag=2"), Err(HeaderFault::DuplicateParam));
        assert_eq!(Replaces::parse("a;to-tag"), Err(HeaderFault::BadParam));
        assert_eq!(Replaces::parse("a b;to-tag=1"), Err(HeaderFault::TrailingText));
        assert_eq!(Replaces::parse(";to-tag=1"), Err(HeaderFault::BadToken));
    }

    #[test]
    fn answer_mode() {
        // RFC 5373 §7 and §4.3.3 examples.
        let a = AnswerMode::parse("Manual").unwrap();
        assert_eq!((a.mode, a.require), (AnswerModeValue::Manual, false));
        let a = AnswerMode::parse("Auto;require").unwrap();
        assert_eq!((a.mode, a.require), (AnswerModeValue::Auto, true));
        assert_eq!(AnswerMode::parse("auto").unwrap().mode, AnswerModeValue::Auto);
        assert_eq!(AnswerMode::parse("Later").unwrap().mode, AnswerModeValue::Other("Later"));
        let p = PrivAnswerMode::parse("Manual;require").unwrap();
        assert!(p.0.require);
        assert_eq!(p.to_string(), "Manual;require");
        assert_eq!(AnswerMode::parse("Auto Manual"), Err(HeaderFault::TrailingText));
    }

    #[test]
    fn reason() {
        // RFC 3326 §2 examples.
        let r = Reason::parse("SIP ;cause=200 ;text=\"Call completed elsewhere\"").unwrap();
        assert_eq!((r.protocol, r.cause), ("SIP", Some(200)));
        assert_eq!(r.text, Some("\"Call completed elsewhere\""));
        assert_eq!(r.text_unquoted().as_deref(), Some("Call completed elsewhere"));
        let r = Reason::parse("Q.850 ;cause=16 ;text=\"Terminated\"").unwrap();
        assert_eq!((r.protocol, r.cause), ("Q.850", Some(16)));
        assert_eq!(Reason::parse("SIP").unwrap().cause, None);
        assert_eq!(Reason::parse("SIP;cause=abc"), Err(HeaderFault::BadNumber));
        assert_eq!(Reason::parse("SIP;cause=65536"), Err(HeaderFault::OutOfRange));
        assert_eq!(Reason::parse("SIP;text=bare"), Err(HeaderFault::BadParam));
        assert_eq!(Reason::parse("SIP;cause=1;cause=2"), Err(HeaderFault::DuplicateParam));
    }

    #[test]
    fn warning() {
        // RFC 3261 §20.43 examples.
        let w = Warning::parse("307 isi.edu \"Session parameter 'foo' not understood\"").unwrap();
        assert_eq!((w.code, w.agent), (307, "isi.edu"));
        assert_eq!(w.text_unquoted(), "Session parameter 'foo' not understood");
        let w = Warning::parse("301 isi.edu \"Incompatible network address type 'E.164'\"").unwrap();
        assert_eq!(w.code, 301);
        let w = Warning::parse("399 [2001:db8::1]:5060 \"x\"").unwrap();
        assert_eq!(w.agent, "[2001:db8::1]:5060");
        assert_eq!(Warning::parse("399 host:5060 \"\"").unwrap().agent, "host:5060");
        // RFC 4475 §3.1.2.5 scalarlg.
        assert_eq!(Warning::parse("1812 overture \"In Progress\""), Err(HeaderFault::OutOfRange));
        assert_eq!(Warning::parse("39 a \"b\""), Err(HeaderFault::OutOfRange));
        assert_eq!(Warning::parse("39x a \"b\""), Err(HeaderFault::BadNumber));
        assert_eq!(Warning::parse("abc a \"b\""), Err(HeaderFault::BadNumber));
        assert_eq!(Warning::parse("399 a"), Err(HeaderFault::UnterminatedQuote));
        assert_eq!(Warning::parse("399 a \"b"), Err(HeaderFault::UnterminatedQuote));
        assert_eq!(Warning::parse("399 a b"), Err(HeaderFault::UnterminatedQuote));
        assert_eq!(Warning::parse("399 a:99999 \"b\""), Err(HeaderFault::BadHostPort));
        assert_eq!(Warning::parse("399 [zz] \"b\""), Err(HeaderFault::BadHostPort));
        assert_eq!(Warning::parse("399 \"b\""), Err(HeaderFault::BadHostPort));
        assert_eq!(Warning::parse("399 a \"b\" c"), Err(HeaderFault::TrailingText));
        assert_eq!(Warning::parse("007 a \"b\"").unwrap().to_string(), "007 a \"b\"");
    }

    #[test]
    fn products() {
        // RFC 3261 §20.41 and §20.35.
        assert_eq!(UserAgent::parse("Softphone Beta1.5"), Ok(UserAgent("Softphone Beta1.5")));
        assert_eq!(Server::parse("HomeServer v2"), Ok(Server("HomeServer v2")));
        assert!(UserAgent::parse("Linphone/3.6.1 (belle-sip/1.2.4)").is_ok());
        assert_eq!(UserAgent::parse(""), Err(HeaderFault::Empty));
        assert_eq!(Server::parse("a\u{0}b"), Err(HeaderFault::BadToken));
    }

    #[test]
    fn display_round_trips() {
        let call_id = CallId::parse("a@b").unwrap();
        assert_eq!(CallId::parse(&call_id.to_string()), Ok(call_id));
        let event = Event::parse("presence.winfo;id=1").unwrap();
        assert_eq!(Event::parse(&event.to_string()), Ok(event));
        let state = SubscriptionState::parse("ACTIVE ; expires = 10").unwrap();
        assert_eq!(SubscriptionState::parse(&state.to_string()), Ok(state));
        let replaces = Replaces::parse("x@y ;to-tag=1;from-tag=2").unwrap();
        assert_eq!(Replaces::parse(&replaces.to_string()), Ok(replaces));
        let mode = AnswerMode::parse("auto ;require").unwrap();
        assert_eq!(AnswerMode::parse(&mode.to_string()), Ok(mode));
        let reason = Reason::parse("SIP;cause=0200").unwrap();
        assert_eq!(Reason::parse(&reason.to_string()), Ok(reason));
        let warning = Warning::parse("399\r\n  a  \"b\"").unwrap();
        assert_eq!(Warning::parse(&warning.to_string()), Ok(warning));
        let allow = Allow::parse("INVITE").unwrap();
        assert_eq!(Allow::parse(&allow.to_string()), Ok(allow));
        let ua = UserAgent::parse("x (y)").unwrap();
        assert_eq!(UserAgent::parse(&ua.to_string()), Ok(ua));
    }

    proptest! {
        #[test]
        fn arbitrary_values_never_panic(
            value in any::<String>(),
            ascii in "[a-zA-Z0-9 ;=@.:,\"\\[\\]\\\\\r\n-]{0,40}",
        ) {
            for v in [value.as_str(), ascii.as_str()] {
                round_trip!(CallId, v);
                round_trip!(Allow, v);
                round_trip!(Supported, v);
                round_trip!(Require, v);
                round_trip!(ProxyRequire, v);
                round_trip!(Unsupported, v);
                round_trip!(Event, v);
                round_trip!(SubscriptionState, v);
                round_trip!(Replaces, v);
                round_trip!(AnswerMode, v);
                round_trip!(PrivAnswerMode, v);
                round_trip!(Reason, v);
                round_trip!(Warning, v);
                round_trip!(UserAgent, v);
                round_trip!(Server, v);
            }
        }
    }
}
