//! Header field names: the ones a phone knows, with their compact forms (RFC 3261 §7.3.3 and the
//! RFCs that define each header), and every other name kept as it came.
// The table of known names lives in this file alone: add a variant, its two match arms and the test list.

use bytestring::ByteString;

/// A header field name. Known names compare case-insensitively and match their compact form
/// (RFC 3261 §7.3.1, §7.3.3); any other name is kept as received in [`HeaderName::Other`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

    /// Like [`HeaderName::from_bytes`] but an unknown name shares `source`'s buffer.
    pub fn from_slice(source: &ByteString, name: &str) -> HeaderName {
        Self::known(name).unwrap_or_else(|| HeaderName::Other(source.slice_ref(name)))
    }

    /// The known header named `name` (any case, long or compact form), if any.
    pub fn known(name: &str) -> Option<HeaderName> {
        let bytes = name.as_bytes();
        let mut lower = [0u8; 24];
        let lower = lower.get_mut(..bytes.len())?;
        for (l, b) in lower.iter_mut().zip(bytes) {
            *l = b.to_ascii_lowercase();
        }
        Some(match &*lower {
            b"accept" => HeaderName::Accept,
            b"accept-contact" | b"a" => HeaderName::AcceptContact,
            b"accept-encoding" => HeaderName::AcceptEncoding,
            b"accept-language" => HeaderName::AcceptLanguage,
            b"alert-info" => HeaderName::AlertInfo,
            b"allow" => HeaderName::Allow,
            b"allow-events" | b"u" => HeaderName::AllowEvents,
            b"answer-mode" => HeaderName::AnswerMode,
            b"authentication-info" => HeaderName::AuthenticationInfo,
            b"authorization" => HeaderName::Authorization,
            b"call-id" | b"i" => HeaderName::CallId,
            b"call-info" => HeaderName::CallInfo,
            b"contact" | b"m" => HeaderName::Contact,
            b"content-disposition" => HeaderName::ContentDisposition,
            b"content-encoding" | b"e" => HeaderName::ContentEncoding,
            b"content-language" => HeaderName::ContentLanguage,
            b"content-length" | b"l" => HeaderName::ContentLength,
            b"content-type" | b"c" => HeaderName::ContentType,
            b"cseq" => HeaderName::CSeq,
            b"date" => HeaderName::Date,
            b"error-info" => HeaderName::ErrorInfo,
            b"event" | b"o" => HeaderName::Event,
            b"expires" => HeaderName::Expires,
            b"from" | b"f" => HeaderName::From,
            b"identity" | b"y" => HeaderName::Identity,
            b"in-reply-to" => HeaderName::InReplyTo,
            b"max-forwards" => HeaderName::MaxForwards,
            b"mime-version" => HeaderName::MimeVersion,
            b"min-expires" => HeaderName::MinExpires,
            b"min-se" => HeaderName::MinSe,
            b"organization" => HeaderName::Organization,
            b"p-asserted-identity" => HeaderName::PAssertedIdentity,
            b"p-preferred-identity" => HeaderName::PPreferredIdentity,
            b"path" => HeaderName::Path,
            b"priority" => HeaderName::Priority,
            b"priv-answer-mode" => HeaderName::PrivAnswerMode,
            b"privacy" => HeaderName::Privacy,
            b"proxy-authenticate" => HeaderName::ProxyAuthenticate,
            b"proxy-authorization" => HeaderName::ProxyAuthorization,
            b"proxy-require" => HeaderName::ProxyRequire,
            b"rack" => HeaderName::RAck,
            b"reason" => HeaderName::Reason,
            b"record-route" => HeaderName::RecordRoute,
            b"refer-to" | b"r" => HeaderName::ReferTo,
            b"referred-by" | b"b" => HeaderName::ReferredBy,
            b"reject-contact" | b"j" => HeaderName::RejectContact,
            b"replaces" => HeaderName::Replaces,
            b"reply-to" => HeaderName::ReplyTo,
            b"request-disposition" | b"d" => HeaderName::RequestDisposition,
            b"require" => HeaderName::Require,
            b"retry-after" => HeaderName::RetryAfter,
            b"route" => HeaderName::Route,
            b"rseq" => HeaderName::RSeq,
            b"server" => HeaderName::Server,
            b"service-route" => HeaderName::ServiceRoute,
            b"session-expires" | b"x" => HeaderName::SessionExpires,
            b"subject" | b"s" => HeaderName::Subject,
            b"subscription-state" => HeaderName::SubscriptionState,
            b"supported" | b"k" => HeaderName::Supported,
            b"timestamp" => HeaderName::Timestamp,
            b"to" | b"t" => HeaderName::To,
            b"unsupported" => HeaderName::Unsupported,
            b"user-agent" => HeaderName::UserAgent,
            b"via" | b"v" => HeaderName::Via,
            b"warning" => HeaderName::Warning,
            b"www-authenticate" => HeaderName::WwwAuthenticate,
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
    fn every_canonical_name_round_trips() {
        let all = [
            HeaderName::Accept, HeaderName::AcceptContact, HeaderName::AcceptEncoding, HeaderName::AcceptLanguage, HeaderName::AlertInfo, HeaderName::Allow, HeaderName::AllowEvents, HeaderName::AnswerMode, HeaderName::AuthenticationInfo, HeaderName::Authorization, HeaderName::CallId, HeaderName::CallInfo, HeaderName::Contact, HeaderName::ContentDisposition, HeaderName::ContentEncoding, HeaderName::ContentLanguage, HeaderName::ContentLength, HeaderName::ContentType, HeaderName::CSeq, HeaderName::Date, HeaderName::ErrorInfo, HeaderName::Event, HeaderName::Expires, HeaderName::From, HeaderName::Identity, HeaderName::InReplyTo, HeaderName::MaxForwards, HeaderName::MimeVersion, HeaderName::MinExpires, HeaderName::MinSe, HeaderName::Organization, HeaderName::PAssertedIdentity, HeaderName::PPreferredIdentity, HeaderName::Path, HeaderName::Priority, HeaderName::PrivAnswerMode, HeaderName::Privacy, HeaderName::ProxyAuthenticate, HeaderName::ProxyAuthorization, HeaderName::ProxyRequire, HeaderName::RAck, HeaderName::Reason, HeaderName::RecordRoute, HeaderName::ReferTo, HeaderName::ReferredBy, HeaderName::RejectContact, HeaderName::Replaces, HeaderName::ReplyTo, HeaderName::RequestDisposition, HeaderName::Require, HeaderName::RetryAfter, HeaderName::Route, HeaderName::RSeq, HeaderName::Server, HeaderName::ServiceRoute, HeaderName::SessionExpires, HeaderName::Subject, HeaderName::SubscriptionState, HeaderName::Supported, HeaderName::Timestamp, HeaderName::To, HeaderName::Unsupported, HeaderName::UserAgent, HeaderName::Via, HeaderName::Warning, HeaderName::WwwAuthenticate,
        ];
        for name in all {
            assert_eq!(HeaderName::from_bytes(name.as_str()), name);
            assert_eq!(HeaderName::from_bytes(&name.as_str().to_ascii_uppercase()), name);
        }
    }
}
