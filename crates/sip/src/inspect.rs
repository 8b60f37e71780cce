//! What a phone does with one received datagram: process it, answer it with an error, or drop
//! it. The linter (`hardphone lint`) prints this; the torture tests assert it.

use bytes::Bytes;

use crate::error::Error;
use crate::header::numeric::CSeq;
use crate::message::Message;
use crate::parse::parse_datagram_with;
use crate::validate::{validate_request, validate_response, Rejection, UasPolicy};
use crate::Limits;

/// The outcome for one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Well formed and acceptable: processed normally.
    Ok,
    /// A request answered with an error status (see [`Inspection::status`]).
    Reject,
    /// Discarded without an answer: a malformed response, or bytes that are not a message.
    Drop,
}

impl Verdict {
    /// `ok`, `reject` or `drop`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Reject => "reject",
            Verdict::Drop => "drop",
        }
    }
}

/// Whether the datagram held a request or a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A request.
    Request,
    /// A response.
    Response,
}

/// The outcome for one datagram, with the parsed message when there was one.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// What the phone does.
    pub verdict: Verdict,
    /// The status a UAS answers with (for [`Verdict::Reject`]).
    pub status: Option<u16>,
    /// Why: the reason phrase of the answer, or what made the datagram unusable.
    pub reason: String,
    /// Request or response, when the start line said.
    pub kind: Option<Kind>,
    /// The request's method, or the CSeq method of a response.
    pub method: Option<String>,
    /// The rejection, with the headers its response carries.
    pub rejection: Option<Rejection>,
    /// The message, when it parsed.
    pub message: Option<Message>,
}

/// Inspects one datagram as the phone receiving it on UDP would.
pub fn inspect_datagram(data: impl Into<Bytes>, policy: &UasPolicy<'_>, limits: &Limits) -> Inspection {
    match parse_datagram_with(data.into(), limits) {
        Err(error) => dropped(error),
        Ok(Message::Request(request)) => {
            let method = Some(request.method.as_str().to_owned());
            let (verdict, status, reason, rejection) = match validate_request(&request, policy) {
                Ok(()) => (Verdict::Ok, None, "well-formed request".to_owned(), None),
                Err(r) => (Verdict::Reject, Some(r.status), r.reason.to_string(), Some(r)),
            };
            let message = Some(Message::Request(request));
            Inspection { verdict, status, reason, kind: Some(Kind::Request), method, rejection, message }
        }
        Ok(Message::Response(response)) => {
            let method = response.headers.typed::<CSeq>().ok().flatten().map(|c| c.method.to_owned());
            let (verdict, reason) = match validate_response(&response) {
                Ok(()) => (Verdict::Ok, "well-formed response".to_owned()),
                Err(fault) => (Verdict::Drop, fault.to_string()),
            };
            let message = Some(Message::Response(response));
            Inspection { verdict, status: None, reason, kind: Some(Kind::Response), method, rejection: None, message }
        }
    }
}

fn dropped(error: Error) -> Inspection {
    Inspection {
        verdict: Verdict::Drop,
        status: None,
        reason: error.to_string(),
        kind: None,
        method: None,
        rejection: None,
        message: None,
    }
}
