//! Header field names: the ones a phone knows, with their compact forms (RFC 3261 §7.3.3 and the
//! RFCs that define each header), and every other name kept as it came.
// The known names live in this file alone: a new one needs its variant, its arm(s) in
// `known_bytes` (long and compact form), its arm in `canonical`, and an entry in the test list.

use bytestring::ByteString;

/// A header field name. Known names compare case-insensitively and match their compact form
/// (RFC 3261 §7.3.1, §7.3.3); any other name is kept as received in [`HeaderName::Other`].
#[non_exhaustive]
#[derive(Debug, Clone)]
pub enum HeaderName {
    /// `Accept`
    Accept,
    /// `Accept-Contact` (compact `a`)
    AcceptContact,
    /// `Accept-Encoding`
    AcceptEncoding,
    /// `Accept-Language`
    AcceptLanguage,
    /// `Alert-Info`
    AlertInfo,
    /// `Allow`
    Allow,
    /// `Allow-Events` (compact `u`)
    AllowEvents,
    /// `Answer-Mode`
    AnswerMode,
    /// `Authentication-Info`
    AuthenticationInfo,
    /// `Authorization`
    Authorization,
    /// `Call-ID` (compact `i`)
    CallId,
    /// `Call-Info`
    CallInfo,
    /// `Contact` (compact `m`)
    Contact,
    /// `Content-Disposition`
    ContentDisposition,
    /// `Content-Encoding` (compact `e`)
    ContentEncoding,
    /// `Content-Language`
    ContentLanguage,
    /// `Content-Length` (compact `l`)
    ContentLength,
    /// `Content-Type` (compact `c`)
    ContentType,
    /// `CSeq`
    CSeq,
    /// `Date`
    Date,
    /// `Error-Info`
    ErrorInfo,
    /// `Event` (compact `o`)
    Event,
    /// `Expires`
    Expires,
    /// `From` (compact `f`)
    From,
    /// `Identity` (compact `y`)
    Identity,
    /// `In-Reply-To`
    InReplyTo,
    /// `Max-Forwards`
    MaxForwards,
    /// `MIME-Version`
    MimeVersion,
    /// `Min-Expires`
    MinExpires,
    /// `Min-SE`
    MinSe,
    /// `Organization`
    Organization,
    /// `P-Asserted-Identity`
    PAssertedIdentity,
    /// `P-Preferred-Identity`
    PPreferredIdentity,
    /// `Path`
    Path,
    /// `Priority`
    Priority,
    /// `Priv-Answer-Mode`
    PrivAnswerMode,
    /// `Privacy`
    Privacy,
    /// `Proxy-Authenticate`
    ProxyAuthenticate,
    /// `Proxy-Authorization`
    ProxyAuthorization,
    /// `Proxy-Require`
    ProxyRequire,
    /// `RAck`
    RAck,
    /// `Reason`
    Reason,
    /// `Record-Route`
    RecordRoute,
    /// `Refer-To` (compact `r`)
    ReferTo,
    /// `Referred-By` (compact `b`)
    ReferredBy,
    /// `Reject-Contact` (compact `j`)
    RejectContact,
    /// `Replaces`
    Replaces,
    /// `Reply-To`
    ReplyTo,
    /// `Request-Disposition` (compact `d`)
    RequestDisposition,
    /// `Require`
    Require,
    /// `Retry-After`
    RetryAfter,
    /// `Route`
    Route,
    /// `RSeq`
    RSeq,
    /// `Server`
    Server,
    /// `Service-Route`
    ServiceRoute,
    /// `Session-Expires` (compact `x`)
    SessionExpires,
    /// `Subject` (compact `s`)
    Subject,
    /// `Subscription-State`
    SubscriptionState,
    /// `Supported` (compact `k`)
    Supported,
    /// `Timestamp`
    Timestamp,
    /// `To` (compact `t`)
    To,
    /// `Unsupported`
    Unsupported,
    /// `User-Agent`
    UserAgent,
    /// `Via` (compact `v`)
    Via,
    /// `Warning`
    Warning,
    /// `WWW-Authenticate`
    WwwAuthenticate,
    /// Any other header, with its name exactly as received or given.
    Other(ByteString),
}

impl HeaderName {
    /// Looks `name` up case-insensitively among the known names and compact forms.
    pub fn from_bytes(name: &str) -> HeaderName {
        Self::known(name).unwrap_or_else(|| HeaderName::Other(ByteString::from(name)))
    }

    /// The known header named `name` (any case, long or compact form), if any.
    pub fn known(name: &str) -> Option<HeaderName> {
        Self::known_bytes(name.as_bytes())
    }

    /// [`HeaderName::known`] on bytes. Dispatches on length and first letter, then compares
    /// once: this runs for every header of every message.
    pub fn known_bytes(name: &[u8]) -> Option<HeaderName> {
        let first = name.first()?.to_ascii_lowercase();
        if name.len() == 1 {
            return Self::compact(first);
        }
        let is = |lower: &[u8]| name.iter().zip(lower).all(|(a, b)| a.to_ascii_lowercase() == *b);
        Some(match (name.len(), first) {
            (2, b't') if is(b"to") => HeaderName::To,
            (3, b'v') if is(b"via") => HeaderName::Via,
            (4, b'c') if is(b"cseq") => HeaderName::CSeq,
            (4, b'd') if is(b"date") => HeaderName::Date,
            (4, b'f') if is(b"from") => HeaderName::From,
            (4, b'p') if is(b"path") => HeaderName::Path,
            (4, b'r') if is(b"rack") => HeaderName::RAck,
            (4, b'r') if is(b"rseq") => HeaderName::RSeq,
            (5, b'a') if is(b"allow") => HeaderName::Allow,
            (5, b'e') if is(b"event") => HeaderName::Event,
            (5, b'r') if is(b"route") => HeaderName::Route,
            (6, b'a') if is(b"accept") => HeaderName::Accept,
            (6, b'm') if is(b"min-se") => HeaderName::MinSe,
            (6, b'r') if is(b"reason") => HeaderName::Reason,
            (6, b's') if is(b"server") => HeaderName::Server,
            (7, b'c') if is(b"call-id") => HeaderName::CallId,
            (7, b'c') if is(b"contact") => HeaderName::Contact,
            (7, b'e') if is(b"expires") => HeaderName::Expires,
            (7, b'p') if is(b"privacy") => HeaderName::Privacy,
            (7, b'r') if is(b"require") => HeaderName::Require,
            (7, b's') if is(b"subject") => HeaderName::Subject,
            (7, b'w') if is(b"warning") => HeaderName::Warning,
            (8, b'i') if is(b"identity") => HeaderName::Identity,
            (8, b'p') if is(b"priority") => HeaderName::Priority,
            (8, b'r') if is(b"refer-to") => HeaderName::ReferTo,
            (8, b'r') if is(b"replaces") => HeaderName::Replaces,
            (8, b'r') if is(b"reply-to") => HeaderName::ReplyTo,
            (9, b'c') if is(b"call-info") => HeaderName::CallInfo,
            (9, b's') if is(b"supported") => HeaderName::Supported,
            (9, b't') if is(b"timestamp") => HeaderName::Timestamp,
            (10, b'a') if is(b"alert-info") => HeaderName::AlertInfo,
            (10, b'e') if is(b"error-info") => HeaderName::ErrorInfo,
            (10, b'u') if is(b"user-agent") => HeaderName::UserAgent,
            (11, b'a') if is(b"answer-mode") => HeaderName::AnswerMode,
            (11, b'i') if is(b"in-reply-to") => HeaderName::InReplyTo,
            (11, b'm') if is(b"min-expires") => HeaderName::MinExpires,
            (11, b'r') if is(b"referred-by") => HeaderName::ReferredBy,
            (11, b'r') if is(b"retry-after") => HeaderName::RetryAfter,
            (11, b'u') if is(b"unsupported") => HeaderName::Unsupported,
            (12, b'a') if is(b"allow-events") => HeaderName::AllowEvents,
            (12, b'c') if is(b"content-type") => HeaderName::ContentType,
            (12, b'm') if is(b"max-forwards") => HeaderName::MaxForwards,
            (12, b'm') if is(b"mime-version") => HeaderName::MimeVersion,
            (12, b'o') if is(b"organization") => HeaderName::Organization,
            (12, b'r') if is(b"record-route") => HeaderName::RecordRoute,
            (13, b'a') if is(b"authorization") => HeaderName::Authorization,
            (13, b'p') if is(b"proxy-require") => HeaderName::ProxyRequire,
            (13, b's') if is(b"service-route") => HeaderName::ServiceRoute,
            (14, b'a') if is(b"accept-contact") => HeaderName::AcceptContact,
            (14, b'c') if is(b"content-length") => HeaderName::ContentLength,
            (14, b'r') if is(b"reject-contact") => HeaderName::RejectContact,
            (15, b'a') if is(b"accept-encoding") => HeaderName::AcceptEncoding,
            (15, b'a') if is(b"accept-language") => HeaderName::AcceptLanguage,
            (15, b's') if is(b"session-expires") => HeaderName::SessionExpires,
            (16, b'c') if is(b"content-encoding") => HeaderName::ContentEncoding,
            (16, b'c') if is(b"content-language") => HeaderName::ContentLanguage,
            (16, b'p') if is(b"priv-answer-mode") => HeaderName::PrivAnswerMode,
            (16, b'w') if is(b"www-authenticate") => HeaderName::WwwAuthenticate,
            (18, b'p') if is(b"proxy-authenticate") => HeaderName::ProxyAuthenticate,
            (18, b's') if is(b"subscription-state") => HeaderName::SubscriptionState,
            (19, b'a') if is(b"authentication-info") => HeaderName::AuthenticationInfo,
            (19, b'c') if is(b"content-disposition") => HeaderName::ContentDisposition,
            (19, b'p') if is(b"p-asserted-identity") => HeaderName::PAssertedIdentity,
            (19, b'p') if is(b"proxy-authorization") => HeaderName::ProxyAuthorization,
            (19, b'r') if is(b"request-disposition") => HeaderName::RequestDisposition,
            (20, b'p') if is(b"p-preferred-identity") => HeaderName::PPreferredIdentity,
            _ => return None,
        })
    }

    /// The header whose compact form (RFC 3261 §7.3.3 and the RFCs defining each) is `letter`
    /// (lower case).
    fn compact(letter: u8) -> Option<HeaderName> {
        Some(match letter {
            b'a' => HeaderName::AcceptContact,
            b'b' => HeaderName::ReferredBy,
            b'c' => HeaderName::ContentType,
            b'd' => HeaderName::RequestDisposition,
            b'e' => HeaderName::ContentEncoding,
            b'f' => HeaderName::From,
            b'i' => HeaderName::CallId,
            b'j' => HeaderName::RejectContact,
            b'k' => HeaderName::Supported,
            b'l' => HeaderName::ContentLength,
            b'm' => HeaderName::Contact,
            b'o' => HeaderName::Event,
            b'r' => HeaderName::ReferTo,
            b's' => HeaderName::Subject,
            b't' => HeaderName::To,
            b'u' => HeaderName::AllowEvents,
            b'v' => HeaderName::Via,
            b'x' => HeaderName::SessionExpires,
            b'y' => HeaderName::Identity,
            _ => return None,
        })
    }

    /// The canonical long name of a known header as a literal; `"extension"` for others.
    pub fn canonical(&self) -> &'static str {
        match self {
            HeaderName::Accept => "Accept",
            HeaderName::AcceptContact => "Accept-Contact",
            HeaderName::AcceptEncoding => "Accept-Encoding",
            HeaderName::AcceptLanguage => "Accept-Language",
            HeaderName::AlertInfo => "Alert-Info",
            HeaderName::Allow => "Allow",
            HeaderName::AllowEvents => "Allow-Events",
            HeaderName::AnswerMode => "Answer-Mode",
            HeaderName::AuthenticationInfo => "Authentication-Info",
            HeaderName::Authorization => "Authorization",
            HeaderName::CallId => "Call-ID",
            HeaderName::CallInfo => "Call-Info",
            HeaderName::Contact => "Contact",
            HeaderName::ContentDisposition => "Content-Disposition",
            HeaderName::ContentEncoding => "Content-Encoding",
            HeaderName::ContentLanguage => "Content-Language",
            HeaderName::ContentLength => "Content-Length",
            HeaderName::ContentType => "Content-Type",
            HeaderName::CSeq => "CSeq",
            HeaderName::Date => "Date",
            HeaderName::ErrorInfo => "Error-Info",
            HeaderName::Event => "Event",
            HeaderName::Expires => "Expires",
            HeaderName::From => "From",
            HeaderName::Identity => "Identity",
            HeaderName::InReplyTo => "In-Reply-To",
            HeaderName::MaxForwards => "Max-Forwards",
            HeaderName::MimeVersion => "MIME-Version",
            HeaderName::MinExpires => "Min-Expires",
            HeaderName::MinSe => "Min-SE",
            HeaderName::Organization => "Organization",
            HeaderName::PAssertedIdentity => "P-Asserted-Identity",
            HeaderName::PPreferredIdentity => "P-Preferred-Identity",
            HeaderName::Path => "Path",
            HeaderName::Priority => "Priority",
            HeaderName::PrivAnswerMode => "Priv-Answer-Mode",
            HeaderName::Privacy => "Privacy",
            HeaderName::ProxyAuthenticate => "Proxy-Authenticate",
            HeaderName::ProxyAuthorization => "Proxy-Authorization",
            HeaderName::ProxyRequire => "Proxy-Require",
            HeaderName::RAck => "RAck",
            HeaderName::Reason => "Reason",
            HeaderName::RecordRoute => "Record-Route",
            HeaderName::ReferTo => "Refer-To",
            HeaderName::ReferredBy => "Referred-By",
            HeaderName::RejectContact => "Reject-Contact",
            HeaderName::Replaces => "Replaces",
            HeaderName::ReplyTo => "Reply-To",
            HeaderName::RequestDisposition => "Request-Disposition",
            HeaderName::Require => "Require",
            HeaderName::RetryAfter => "Retry-After",
            HeaderName::Route => "Route",
            HeaderName::RSeq => "RSeq",
            HeaderName::Server => "Server",
            HeaderName::ServiceRoute => "Service-Route",
            HeaderName::SessionExpires => "Session-Expires",
            HeaderName::Subject => "Subject",
            HeaderName::SubscriptionState => "Subscription-State",
            HeaderName::Supported => "Supported",
            HeaderName::Timestamp => "Timestamp",
            HeaderName::To => "To",
            HeaderName::Unsupported => "Unsupported",
            HeaderName::UserAgent => "User-Agent",
            HeaderName::Via => "Via",
            HeaderName::Warning => "Warning",
            HeaderName::WwwAuthenticate => "WWW-Authenticate",
            HeaderName::Other(_) => "extension",
        }
    }

    /// The name as written on the wire: the canonical long form of a known header, or the name as
    /// received.
    pub fn as_str(&self) -> &str {
        match self {
            HeaderName::Other(name) => name,
            known => known.canonical(),
        }
    }
}

impl std::fmt::Display for HeaderName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for HeaderName {
    /// Header names are case-insensitive (RFC 3261 §7.3.5): unknown names compare in any case.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (HeaderName::Other(a), HeaderName::Other(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

impl Eq for HeaderName {}

impl std::hash::Hash for HeaderName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        if let HeaderName::Other(name) = self {
            for b in name.bytes() {
                state.write_u8(b.to_ascii_lowercase());
            }
        }
    }
}

impl PartialEq<str> for HeaderName {
    /// Case-insensitive, and compact forms match their long form.
    fn eq(&self, other: &str) -> bool {
        match (self, HeaderName::known(other)) {
            (HeaderName::Other(mine), None) => mine.eq_ignore_ascii_case(other),
            (known, Some(theirs)) => *known == theirs,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_case_insensitive_forms_match() {
        assert_eq!(HeaderName::from_bytes("v"), HeaderName::Via);
        assert_eq!(HeaderName::from_bytes("MaX-fOrWaRdS"), HeaderName::MaxForwards);
        assert_eq!(HeaderName::from_bytes("i"), HeaderName::CallId);
        assert_eq!(HeaderName::from_bytes("WWW-authenticate").as_str(), "WWW-Authenticate");
        assert!(HeaderName::Contact == *"m");
        let odd = HeaderName::from_bytes("NewFangledHeader");
        assert_eq!(odd.as_str(), "NewFangledHeader");
        assert!(odd == *"newfangledheader");
    }

    #[test]
    fn every_compact_form_in_either_case() {
        use HeaderName::*;
        let table = [
            ("a", AcceptContact),
            ("b", ReferredBy),
            ("c", ContentType),
            ("d", RequestDisposition),
            ("e", ContentEncoding),
            ("f", From),
            ("i", CallId),
            ("j", RejectContact),
            ("k", Supported),
            ("l", ContentLength),
            ("m", Contact),
            ("o", Event),
            ("r", ReferTo),
            ("s", Subject),
            ("t", To),
            ("u", AllowEvents),
            ("v", Via),
            ("x", SessionExpires),
            ("y", Identity),
        ];
        for (letter, name) in table {
            assert_eq!(HeaderName::from_bytes(letter), name);
            assert_eq!(HeaderName::from_bytes(&letter.to_ascii_uppercase()), name);
        }
        for letter in ["g", "h", "n", "p", "q", "w", "z"] {
            assert!(matches!(HeaderName::from_bytes(letter), HeaderName::Other(_)), "{letter}");
        }
    }

    #[test]
    fn every_canonical_name_round_trips() {
        let all = [
            HeaderName::Accept,
            HeaderName::AcceptContact,
            HeaderName::AcceptEncoding,
            HeaderName::AcceptLanguage,
            HeaderName::AlertInfo,
            HeaderName::Allow,
            HeaderName::AllowEvents,
            HeaderName::AnswerMode,
            HeaderName::AuthenticationInfo,
            HeaderName::Authorization,
            HeaderName::CallId,
            HeaderName::CallInfo,
            HeaderName::Contact,
            HeaderName::ContentDisposition,
            HeaderName::ContentEncoding,
            HeaderName::ContentLanguage,
            HeaderName::ContentLength,
            HeaderName::ContentType,
            HeaderName::CSeq,
            HeaderName::Date,
            HeaderName::ErrorInfo,
            HeaderName::Event,
            HeaderName::Expires,
            HeaderName::From,
            HeaderName::Identity,
            HeaderName::InReplyTo,
            HeaderName::MaxForwards,
            HeaderName::MimeVersion,
            HeaderName::MinExpires,
            HeaderName::MinSe,
            HeaderName::Organization,
            HeaderName::PAssertedIdentity,
            HeaderName::PPreferredIdentity,
            HeaderName::Path,
            HeaderName::Priority,
            HeaderName::PrivAnswerMode,
            HeaderName::Privacy,
            HeaderName::ProxyAuthenticate,
            HeaderName::ProxyAuthorization,
            HeaderName::ProxyRequire,
            HeaderName::RAck,
            HeaderName::Reason,
            HeaderName::RecordRoute,
            HeaderName::ReferTo,
            HeaderName::ReferredBy,
            HeaderName::RejectContact,
            HeaderName::Replaces,
            HeaderName::ReplyTo,
            HeaderName::RequestDisposition,
            HeaderName::Require,
            HeaderName::RetryAfter,
            HeaderName::Route,
            HeaderName::RSeq,
            HeaderName::Server,
            HeaderName::ServiceRoute,
            HeaderName::SessionExpires,
            HeaderName::Subject,
            HeaderName::SubscriptionState,
            HeaderName::Supported,
            HeaderName::Timestamp,
            HeaderName::To,
            HeaderName::Unsupported,
            HeaderName::UserAgent,
            HeaderName::Via,
            HeaderName::Warning,
            HeaderName::WwwAuthenticate,
        ];
        for name in all {
            assert_eq!(HeaderName::from_bytes(name.as_str()), name);
            assert_eq!(HeaderName::from_bytes(&name.as_str().to_ascii_uppercase()), name);
        }
    }
}
