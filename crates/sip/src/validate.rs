//! What a user agent checks before anything else (RFC 3261 §8.2 for requests, §8.1.3.3 and
//! §18.3 for responses), and how it answers a request that fails.
//!
//! The order follows RFC 3261 §8.2: version (505), well-formedness of what the UAS needs
//! (400), method (501, then 405), Request-URI scheme (416), Require (420), content (415) and
//! what the sender accepts back (406).

use std::borrow::Cow;

use crate::error::{HeaderError, HeaderFault, ParseError};
use crate::header::media::{Accept, ContentType, MediaType};
use crate::header::numeric::{CSeq, MaxForwards};
use crate::header::tokens::{CallId, Require};
use crate::header::{Contact, From as FromHeader, To, TypedHeader, Via, BRANCH_MAGIC_COOKIE};
use crate::message::{Headers, Method, Request, Response, Version};
use crate::multipart;
use crate::name::HeaderName;
use crate::parse::content_length;
use crate::reply::{reason_phrase, reply};
use crate::uri::Uri;

/// What a UAS takes: the methods it implements, the extensions it supports, the body types it
/// reads.
#[derive(Debug, Clone, Copy)]
pub struct UasPolicy<'p> {
    /// Methods answered other than with 405 (sent in `Allow`).
    pub allow: &'p [Method],
    /// Option tags understood in `Require` (sent in `Supported`).
    pub supported: &'p [&'p str],
    /// Body media types read, as `(type, subtype)` (sent in `Accept`).
    pub accept: &'p [(&'p str, &'p str)],
    /// Request-URI schemes served (lower case).
    pub schemes: &'p [&'p str],
}

/// The methods a Hardphone answers.
pub const PHONE_METHODS: &[Method] = &[
    Method::Invite,
    Method::Ack,
    Method::Bye,
    Method::Cancel,
    Method::Options,
    Method::Prack,
    Method::Update,
    Method::Info,
    Method::Refer,
    Method::Notify,
    Method::Message,
];

impl UasPolicy<'static> {
    /// The policy of a Hardphone: a user agent, not a registrar or proxy.
    pub const fn phone() -> Self {
        UasPolicy {
            allow: PHONE_METHODS,
            supported: &["100rel", "replaces", "timer", "norefersub", "outbound", "path", "gruu"],
            accept: &[
                ("application", "sdp"),
                ("text", "plain"),
                ("message", "sipfrag"),
                ("application", "simple-message-summary"),
                ("application", "dtmf-relay"),
                ("application", "dtmf"),
            ],
            schemes: &["sip", "sips"],
        }
    }
}

/// Why a request is refused, and with what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The status code.
    pub status: u16,
    /// The reason phrase; for 400 it names the fault.
    pub reason: Cow<'static, str>,
    /// Extra headers the response must carry (Allow, Unsupported, Accept, ...).
    pub extra: Vec<(HeaderName, String)>,
}

impl Rejection {
    fn new(status: u16) -> Self {
        Rejection { status, reason: Cow::Borrowed(reason_phrase(status)), extra: Vec::new() }
    }

    fn bad(reason: impl Into<Cow<'static, str>>) -> Self {
        Rejection { status: 400, reason: reason.into(), extra: Vec::new() }
    }

    fn with(mut self, name: HeaderName, value: String) -> Self {
        self.extra.push((name, value));
        self
    }

    /// The response to send (RFC 3261 §8.2.6), with `to_tag` added to a To that has none.
    pub fn response_to(&self, request: &Request, to_tag: Option<&str>) -> Response {
        let mut response = reply(request, self.status, &self.reason, to_tag);
        for (name, value) in &self.extra {
            let _ = response.headers.push(name.clone(), value.as_str());
        }
        response
    }
}

impl From<HeaderError> for Rejection {
    fn from(error: HeaderError) -> Self {
        Rejection::bad(capitalize(error.to_string()))
    }
}

fn capitalize(mut text: String) -> String {
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    text
}

/// Checks a received request as a UAS must before processing it. `Ok(())` means process it.
pub fn validate_request(request: &Request, policy: &UasPolicy<'_>) -> Result<(), Rejection> {
    if request.version != Version::SIP_2_0 {
        return Err(Rejection::new(505));
    }
    let uri = check_request_uri(request)?;
    check_well_formed(request)?;
    if let Method::Other(_) = request.method {
        return Err(Rejection::new(501).with(HeaderName::Allow, allow_list(policy)));
    }
    check_cseq_method(request)?;
    if !policy.allow.contains(&request.method) {
        return Err(Rejection::new(405).with(HeaderName::Allow, allow_list(policy)));
    }
    if !policy.schemes.iter().any(|s| uri.scheme().eq_ignore_ascii_case(s)) {
        return Err(Rejection::new(416));
    }
    check_require(request, policy)?;
    check_content(request, policy)?;
    check_accept(request)
}

/// Parses the Request-URI: 400 when malformed, or when it carries `?headers`, which RFC 3261
/// §19.1.1 (table 1) forbids in a Request-URI (RFC 4475 §3.1.2.11: we choose to refuse rather
/// than ignore them, since obeying an injected Route would be worse).
fn check_request_uri(request: &Request) -> Result<Uri<'_>, Rejection> {
    let uri = Uri::parse(&request.uri).map_err(|e| Rejection::bad(format!("Bad Request-URI: {e}")))?;
    if uri.as_sip().is_some_and(|sip| !sip.headers.is_empty()) {
        return Err(Rejection::bad("Request-URI must not carry headers"));
    }
    Ok(uri)
}

/// Every header the UAS relies on is present once and well formed (RFC 3261 §8.1.1).
fn check_well_formed(request: &Request) -> Result<(), Rejection> {
    let headers = &request.headers;
    for name in [HeaderName::Via, HeaderName::From, HeaderName::To, HeaderName::CallId, HeaderName::CSeq] {
        if headers.get(&name).is_none() {
            return Err(Rejection::bad(format!("Missing {} header", name.canonical())));
        }
    }
    let mut vias = headers.typed_all::<Via>();
    let top = vias.next().transpose()?;
    vias.try_for_each(|via| via.map(drop))?;
    if top.and_then(|v| v.branch()) == Some(BRANCH_MAGIC_COOKIE) {
        // RFC 4475 §3.2.1: either answer 400 or fall back to RFC 2543 matching; a branch of just
        // the cookie claims RFC 3261 and breaks it, so we refuse it.
        return Err(Rejection::bad("Via branch is only the magic cookie"));
    }
    headers.typed::<FromHeader>()?;
    headers.typed::<To>()?;
    headers.typed::<CallId>()?;
    headers.typed::<CSeq>()?;
    headers.typed::<MaxForwards>()?;
    headers.typed_all::<Contact>().try_for_each(|c| c.map(drop))?;
    headers.typed_all::<Require>().try_for_each(|r| r.map(drop))?;
    headers.typed::<ContentType>()?;
    headers.typed_all::<Accept>().try_for_each(|a| a.map(drop))?;
    check_content_length(headers, request.body.len())
}

/// Content-Length: well formed, consistent, and not larger than the datagram (RFC 3261 §18.3).
fn check_content_length(headers: &Headers, body_len: usize) -> Result<(), Rejection> {
    match content_length(headers) {
        Ok(Some(n)) if n > body_len => Err(Rejection::bad("Content-Length larger than the body")),
        Ok(_) => Ok(()),
        Err(ParseError::ConflictingContentLength) => Err(Rejection::bad("Conflicting Content-Length values")),
        Err(_) => Err(Rejection::bad("Malformed Content-Length")),
    }
}

/// The CSeq method must be the request's (RFC 3261 §8.1.1.5; RFC 4475 §3.1.2.17).
fn check_cseq_method(request: &Request) -> Result<(), Rejection> {
    match request.headers.typed::<CSeq>() {
        Ok(Some(cseq)) if cseq.method == request.method.as_str() => Ok(()),
        _ => Err(Rejection::bad("CSeq method does not match the request method")),
    }
}

/// 420 listing every Require tag we do not support (RFC 3261 §8.2.2.3). ACK and CANCEL are
/// never refused for it.
fn check_require(request: &Request, policy: &UasPolicy<'_>) -> Result<(), Rejection> {
    if matches!(request.method, Method::Ack | Method::Cancel) {
        return Ok(());
    }
    let unsupported: Vec<&str> = request
        .headers
        .typed_all::<Require>()
        .filter_map(Result::ok)
        .map(|r| r.0)
        .filter(|tag| !policy.supported.iter().any(|s| s.eq_ignore_ascii_case(tag)))
        .collect();
    if unsupported.is_empty() {
        return Ok(());
    }
    let supported = policy.supported.join(", ");
    Err(Rejection::new(420)
        .with(HeaderName::Unsupported, unsupported.join(", "))
        .with(HeaderName::Supported, supported))
}

/// 415 for a body we cannot read, with Accept (or Accept-Encoding) saying what we can
/// (RFC 3261 §8.2.3). A multipart body is read when one of its parts is (RFC 5621 §9).
fn check_content(request: &Request, policy: &UasPolicy<'_>) -> Result<(), Rejection> {
    if request.body.is_empty() {
        return Ok(());
    }
    let accept = || Rejection::new(415).with(HeaderName::Accept, accept_list(policy));
    if let Some(encoding) = request.headers.get(&HeaderName::ContentEncoding) {
        if !encoding.trim().eq_ignore_ascii_case("identity") {
            return Err(Rejection::new(415).with(HeaderName::AcceptEncoding, "identity".to_owned()));
        }
    }
    let content_type = match request.headers.typed::<ContentType>() {
        Ok(Some(ContentType(media))) => media,
        // RFC 3261 §7.4.1: a body is described by Content-Type; one without it is unreadable.
        _ => return Err(accept()),
    };
    if readable(&content_type, &request.body, policy) {
        Ok(())
    } else {
        Err(accept())
    }
}

fn readable(media: &MediaType<'_>, body: &[u8], policy: &UasPolicy<'_>) -> bool {
    if media.kind.eq_ignore_ascii_case("multipart") {
        let Some(boundary) = media.params.get_unquoted("boundary") else { return false };
        return multipart::part_types(body, &boundary).any(|part| {
            ContentType::parse(part).is_ok_and(|ContentType(part)| policy.accept.iter().any(|(k, s)| part.is(k, s)))
        });
    }
    policy.accept.iter().any(|(kind, subtype)| media.is(kind, subtype))
}

/// 406 when the request's Accept leaves out the SDP our answer to an INVITE would carry
/// (RFC 3261 §8.2.3; RFC 4475 §3.3.15). An empty Accept accepts nothing (RFC 3261 §20.1).
fn check_accept(request: &Request) -> Result<(), Rejection> {
    if request.method != Method::Invite || request.headers.get(&HeaderName::Accept).is_none() {
        return Ok(());
    }
    let covers_sdp = |range: &MediaType<'_>| {
        (range.kind == "*" || range.kind.eq_ignore_ascii_case("application"))
            && (range.subtype == "*" || range.subtype.eq_ignore_ascii_case("sdp"))
    };
    let ok = request.headers.typed_all::<Accept>().filter_map(Result::ok).any(|range| covers_sdp(&range.0));
    if ok {
        Ok(())
    } else {
        Err(Rejection::new(406).with(HeaderName::Accept, "application/sdp".to_owned()))
    }
}

impl UasPolicy<'_> {
    /// The 200 OK to an OPTIONS request outside a dialog (RFC 3261 §11.2): it carries what this
    /// UA takes, in Allow, Accept and Supported, as a PBX's "qualify" probe expects. The caller
    /// has run [`validate_request`] first.
    pub fn options_response(&self, request: &Request, to_tag: Option<&str>) -> Response {
        let mut response = reply(request, 200, reason_phrase(200), to_tag);
        let _ = response.headers.push(HeaderName::Allow, allow_list(self));
        let _ = response.headers.push(HeaderName::Accept, accept_list(self));
        let _ = response.headers.push(HeaderName::Supported, self.supported.join(", "));
        response
    }
}

fn allow_list(policy: &UasPolicy<'_>) -> String {
    policy.allow.iter().map(Method::as_str).collect::<Vec<_>>().join(", ")
}

fn accept_list(policy: &UasPolicy<'_>) -> String {
    policy.accept.iter().map(|(k, s)| format!("{k}/{s}")).collect::<Vec<_>>().join(", ")
}

/// Why a received response is discarded (RFC 3261 §8.1.3.3, §18.3): responses are never
/// answered, so a malformed one is dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseFault {
    /// Not `SIP/2.0`.
    #[error("unsupported SIP version")]
    Version,
    /// More than one Via: it was not meant for us (RFC 3261 §8.1.3.3).
    #[error("more than one Via value")]
    ExtraVia,
    /// A header the UAC needs is missing or malformed.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// Content-Length malformed or larger than the datagram (RFC 3261 §18.3).
    #[error("bad Content-Length")]
    ContentLength,
}

/// Checks a received response as a UAC must before handing it to a transaction.
pub fn validate_response(response: &Response) -> Result<(), ResponseFault> {
    if response.version != Version::SIP_2_0 {
        return Err(ResponseFault::Version);
    }
    let headers = &response.headers;
    let vias = headers.typed_vec::<Via>()?;
    if vias.len() != 1 {
        return Err(if vias.is_empty() {
            HeaderError::new("Via", HeaderFault::Missing).into()
        } else {
            ResponseFault::ExtraVia
        });
    }
    let missing = |name: &'static str| HeaderError::new(name, HeaderFault::Missing);
    headers.typed::<FromHeader>()?.ok_or(missing("From"))?;
    headers.typed::<To>()?.ok_or(missing("To"))?;
    headers.typed::<CallId>()?.ok_or(missing("Call-ID"))?;
    headers.typed::<CSeq>()?.ok_or(missing("CSeq"))?;
    match content_length(headers) {
        Ok(Some(n)) if n > response.body.len() => Err(ResponseFault::ContentLength),
        Ok(_) => Ok(()),
        Err(_) => Err(ResponseFault::ContentLength),
    }
}
