//! Requests the transaction layer builds: the ACK for a non-2xx (RFC 3261 §17.1.1.3) and CANCEL
//! (RFC 3261 §9.1).

use crate::message::{Headers, Method, Request, Response};
use crate::name::HeaderName;

use super::key::{cseq, missing, top_via};
use super::TransactionError;

/// The ACK an INVITE client transaction sends for a 300–699 `response` to `invite`
/// (RFC 3261 §17.1.1.3): the same Request-URI, Call-ID and From; the To of the response (with
/// its tag); the CSeq number with method ACK; only the top Via of the request; the request's
/// Route headers; `Max-Forwards: 70` and an empty body.
pub fn build_ack(invite: &Request, response: &Response) -> Result<Request, TransactionError> {
    let to = response.headers.get(&HeaderName::To).or_else(|| invite.headers.get(&HeaderName::To));
    build_sibling(invite, Method::Ack, to.ok_or_else(|| missing("To"))?)
}

/// The CANCEL of `request` (RFC 3261 §9.1): the same Request-URI, Call-ID, To, From and CSeq
/// number with method CANCEL, only the top Via (same branch, so that it matches the cancelled
/// request's server transaction hop by hop), the request's Route headers, `Max-Forwards: 70` and
/// an empty body.
pub fn build_cancel(request: &Request) -> Result<Request, TransactionError> {
    let to = request.headers.get(&HeaderName::To).ok_or_else(|| missing("To"))?;
    build_sibling(request, Method::Cancel, to)
}

/// A request of `method` sharing `original`'s transaction identity, with To value `to`.
fn build_sibling(original: &Request, method: Method, to: &str) -> Result<Request, TransactionError> {
    let headers = &original.headers;
    let via = top_via(headers)?.to_string();
    let seq = cseq(headers)?.seq;
    let mut out = Headers::new();
    out.push(HeaderName::Via, via)?;
    for route in headers.get_all(&HeaderName::Route) {
        out.push(HeaderName::Route, route)?;
    }
    out.push(HeaderName::MaxForwards, "70")?;
    out.push(HeaderName::From, headers.get(&HeaderName::From).ok_or_else(|| missing("From"))?)?;
    out.push(HeaderName::To, to)?;
    out.push(HeaderName::CallId, headers.get(&HeaderName::CallId).ok_or_else(|| missing("Call-ID"))?)?;
    out.push(HeaderName::CSeq, format!("{seq} {method}"))?;
    out.push(HeaderName::ContentLength, "0")?;
    Ok(Request {
        method,
        uri: original.uri.clone(),
        version: original.version,
        headers: out,
        body: bytes::Bytes::new(),
    })
}
