//! Transaction keys and matching (RFC 3261 §17.1.3, §17.2.3, §9.2).

use crate::error::{HeaderError, HeaderFault};
use crate::header::{CSeq, From as FromHeader, To, Via};
use crate::message::{Headers, Method, Request, Response};
use crate::name::HeaderName;

use super::TransactionError;

/// Which side of a transaction (RFC 3261 §17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A client transaction: we sent the request.
    Client,
    /// A server transaction: we received the request.
    Server,
}

/// Identifies one transaction in a [`super::TransactionLayer`].
///
/// A client key is the branch of the top Via plus the method (RFC 3261 §17.1.3). A server key is
/// the branch, the sent-by of the top Via and the method, an ACK counting as INVITE
/// (RFC 3261 §17.2.3). A server transaction created by an RFC 2543 request (a branch without the
/// magic cookie) gets a key with a sequence number instead, and is matched on the request's fields.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransactionKey {
    role: Role,
    branch: String,
    sent_by: String,
    method: String,
    legacy: u64,
}

impl TransactionKey {
    /// Whether this is a client or a server transaction.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The branch of the top Via, empty for an RFC 2543 server transaction.
    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// The method of the request that created the transaction.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// True for an INVITE transaction (RFC 3261 §17: the INVITE state machines).
    pub fn is_invite(&self) -> bool {
        self.method == Method::Invite.as_str()
    }

    /// True for a server transaction matched by the RFC 2543 rules (RFC 3261 §17.2.3).
    pub fn is_rfc2543(&self) -> bool {
        self.legacy != 0
    }

    /// The key of client transaction `branch`/`method`.
    pub(crate) fn client(branch: &str, method: &str) -> Self {
        TransactionKey {
            role: Role::Client,
            branch: branch.into(),
            sent_by: String::new(),
            method: method.into(),
            legacy: 0,
        }
    }

    /// The key of an RFC 2543 server transaction, numbered `legacy` (non-zero).
    pub(crate) fn legacy(method: &Method, legacy: u64) -> Self {
        let method = server_method(method).into();
        TransactionKey { role: Role::Server, branch: String::new(), sent_by: String::new(), method, legacy }
    }

    /// The same transaction's key for another method (a CANCEL's INVITE, RFC 3261 §9.2).
    pub(crate) fn with_method(&self, method: &Method) -> Self {
        TransactionKey { method: server_method(method).into(), ..self.clone() }
    }
}

/// ACK matches the INVITE transaction it acknowledges (RFC 3261 §17.2.3).
fn server_method(method: &Method) -> &str {
    if *method == Method::Ack {
        Method::Invite.as_str()
    } else {
        method.as_str()
    }
}

/// A missing header as a precise error.
pub(crate) fn missing(header: &'static str) -> TransactionError {
    TransactionError::Header(HeaderError::new(header, HeaderFault::Missing))
}

/// The top Via, parsed.
pub(crate) fn top_via(headers: &Headers) -> Result<Via<'_>, TransactionError> {
    headers.typed_first::<Via>()?.ok_or_else(|| missing("Via"))
}

/// The CSeq, parsed.
pub(crate) fn cseq(headers: &Headers) -> Result<CSeq<'_>, TransactionError> {
    headers.typed::<CSeq>()?.ok_or_else(|| missing("CSeq"))
}

/// The client key a response matches (RFC 3261 §17.1.3): top Via branch and CSeq method.
pub(crate) fn client_key_of_response(response: &Response) -> Result<TransactionKey, TransactionError> {
    let via = top_via(&response.headers)?;
    let branch = via.branch().ok_or_else(|| missing("Via branch"))?;
    Ok(TransactionKey::client(branch, cseq(&response.headers)?.method))
}

/// How a received request is matched to a server transaction (RFC 3261 §17.2.3).
pub(crate) enum ServerMatch {
    /// By key: the top Via has an RFC 3261 branch.
    Key(TransactionKey),
    /// By the RFC 2543 rules.
    Legacy(Legacy),
}

/// How `request` is matched to a server transaction.
pub(crate) fn server_match(request: &Request) -> Result<ServerMatch, TransactionError> {
    let via = top_via(&request.headers)?;
    if !via.has_rfc3261_branch() {
        return Legacy::of(request).map(ServerMatch::Legacy);
    }
    let sent_by = match via.port {
        Some(port) => format!("{}:{port}", via.host).to_ascii_lowercase(),
        None => via.host.to_string().to_ascii_lowercase(),
    };
    let method = server_method(&request.method).into();
    let branch = via.branch().unwrap_or_default().into();
    Ok(ServerMatch::Key(TransactionKey { role: Role::Server, branch, sent_by, method, legacy: 0 }))
}

/// The fields RFC 3261 §17.2.3 matches an RFC 2543 request on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Legacy {
    method: Method,
    uri: String,
    to_tag: Option<String>,
    from_tag: Option<String>,
    call_id: String,
    cseq: u32,
    cseq_method: String,
    top_via: String,
}

impl Legacy {
    /// The matching fields of `request`.
    pub(crate) fn of(request: &Request) -> Result<Legacy, TransactionError> {
        let headers = &request.headers;
        let cseq = cseq(headers)?;
        let from_tag = headers.typed::<FromHeader>()?.ok_or_else(|| missing("From"))?.tag().map(str::to_owned);
        let to_tag = headers.typed::<To>()?.ok_or_else(|| missing("To"))?.tag().map(str::to_owned);
        Ok(Legacy {
            method: request.method.clone(),
            uri: request.uri.to_string(),
            to_tag,
            from_tag,
            call_id: headers.get(&HeaderName::CallId).ok_or_else(|| missing("Call-ID"))?.to_owned(),
            cseq: cseq.seq,
            cseq_method: cseq.method.to_owned(),
            top_via: top_via(headers)?.to_string(),
        })
    }

    /// True when `self` (a received request) is a retransmission of `original` (RFC 3261
    /// §17.2.3: Request-URI, To tag, From tag, Call-ID, CSeq and top Via all match). An ACK
    /// matches the INVITE when its To tag is that of the response sent (`response_to_tag`).
    /// A CANCEL matches only when `cancel_target` asks for the request it cancels (RFC 3261 §9.2).
    pub(crate) fn matches(&self, original: &Legacy, response_to_tag: Option<&str>, cancel_target: bool) -> bool {
        let common = self.uri == original.uri
            && self.from_tag == original.from_tag
            && self.call_id == original.call_id
            && self.cseq == original.cseq
            && self.top_via == original.top_via;
        let specific = match (&self.method, &original.method) {
            (Method::Ack, Method::Invite) => self.to_tag.as_deref() == response_to_tag.or(original.to_tag.as_deref()),
            (Method::Cancel, original_method) if cancel_target => *original_method != Method::Cancel,
            (method, original_method) => {
                method == original_method && self.to_tag == original.to_tag && self.cseq_method == original.cseq_method
            }
        };
        common && specific
    }
}
