//! Building a response to a request (RFC 3261 §8.2.6).

use bytestring::ByteString;

use crate::message::{Headers, Request, Response, Version};
use crate::name::HeaderName;

/// The standard reason phrase of a status code (RFC 3261 §21 and the extension RFCs).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        421 => "Extension Required",
        422 => "Session Interval Too Small",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => "Unknown",
    }
}

/// A response to `request` with the headers RFC 3261 §8.2.6.2 says to copy: every Via (in
/// order), From, To, Call-ID and CSeq, and a To tag added when the request had none (except on
/// 100 Trying). Headers the request lacks are left out (a 400 to a request with no Call-ID still
/// goes back). The body is empty with `Content-Length: 0`.
///
/// `status` must be 100..=699 and `reason` free of CR/LF; a bad one falls back to 500 with its
/// standard reason (our own bug must not stop the reply).
pub fn reply(request: &Request, status: u16, reason: &str, to_tag: Option<&str>) -> Response {
    let valid = (100..=699).contains(&status) && !reason.contains(['\r', '\n']);
    let (status, reason) = if valid { (status, reason) } else { (500, reason_phrase(500)) };
    let mut response = Response {
        version: Version::SIP_2_0,
        status,
        reason: ByteString::from(reason),
        headers: Headers::new(),
        body: bytes::Bytes::new(),
    };
    let copied = [HeaderName::Via, HeaderName::From, HeaderName::To, HeaderName::CallId, HeaderName::CSeq];
    for (name, value) in request.headers.iter().filter(|(name, _)| copied.contains(name)) {
        let _ = if *name == HeaderName::To && status != 100 {
            response.headers.push(name.clone(), with_to_tag(value, to_tag))
        } else {
            response.headers.push(name.clone(), value)
        };
    }
    let _ = response.headers.push(HeaderName::ContentLength, "0");
    response
}

/// Appends `;tag=` to a To value that has none.
fn with_to_tag<'a>(to: &'a str, tag: Option<&str>) -> std::borrow::Cow<'a, str> {
    let has_tag = crate::header::NameAddr::parse(to).map(|addr| addr.tag().is_some()).unwrap_or(true);
    match tag {
        Some(tag) if !has_tag => std::borrow::Cow::Owned(format!("{to};tag={tag}")),
        _ => std::borrow::Cow::Borrowed(to),
    }
}
