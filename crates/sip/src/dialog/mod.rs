//! Dialogs (RFC 3261 §12): the peer-to-peer state an INVITE (or a SUBSCRIBE, REFER) creates, and
//! the requests sent inside it.
//!
//! A [`Dialog`] is made from the request and response that establish it: by the caller from
//! its INVITE and a 1xx/2xx with a To tag ([`Dialog::uac`], RFC 3261 §12.1.2), by the callee
//! from the INVITE it answers ([`Dialog::uas`], §12.1.1). It then builds every request inside
//! the dialog ([`Dialog::request`], §12.2.1.1), the ACK of a 2xx ([`Dialog::ack`], §13.2.2.4),
//! and checks the requests it receives ([`Dialog::receive_request`], §12.2.2). No I/O, no clock;
//! the randomness of an ACK's branch comes from the caller's RNG.

use std::net::SocketAddr;

use rand_core::RngCore;

use crate::error::{BuildError, HeaderError};
use crate::header::{CSeq, CallId, Contact, From, RecordRoute, To};
use crate::message::{Method, Request, Response};
use crate::name::HeaderName;
use crate::transport::Transport;
use crate::uri::Uri;

#[cfg(test)]
mod tests;

/// What identifies a dialog at one end (RFC 3261 §12): Call-ID, our tag and the peer's.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DialogId {
    /// The Call-ID.
    pub call_id: String,
    /// Our tag: From tag of the requests we send.
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

impl DialogId {
    /// The dialog a received request belongs to, from our side: To tag is ours, From tag the
    /// peer's (RFC 3261 §12.2.2). `None` without a To tag (not in a dialog) or a Call-ID.
    pub fn of_request(request: &Request) -> Option<DialogId> {
        let h = &request.headers;
        let call_id = h.typed::<CallId>().ok()??.0.to_owned();
        let local_tag = h.typed::<To>().ok()??.tag()?.to_owned();
        let remote_tag = h.typed::<From>().ok()??.tag()?.to_owned();
        Some(DialogId { call_id, local_tag, remote_tag })
    }

    /// The dialog a received response belongs to, from our side (we sent the request): From
    /// tag is ours, To tag the peer's (RFC 3261 §12.1.2). `None` without a To tag.
    pub fn of_response(response: &Response) -> Option<DialogId> {
        let h = &response.headers;
        let call_id = h.typed::<CallId>().ok()??.0.to_owned();
        let local_tag = h.typed::<From>().ok()??.tag()?.to_owned();
        let remote_tag = h.typed::<To>().ok()??.tag()?.to_owned();
        Some(DialogId { call_id, local_tag, remote_tag })
    }
}

/// Whether the dialog is early (made by a 1xx) or confirmed (by a 2xx) (RFC 3261 §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DialogState {
    /// Made by a provisional response with a To tag.
    Early,
    /// Made or confirmed by a 2xx.
    Confirmed,
}

/// Why a dialog could not be made from a message: the peer's fault.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    /// A header the dialog needs is malformed.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// A header the dialog needs is missing: Call-ID, From or To with its tag, CSeq, or the
    /// Contact of a dialog-creating message (RFC 3261 §12.1.1, §12.1.2).
    #[error("missing {0}")]
    Missing(&'static str),
    /// The Contact of a dialog-creating message is `*` or not a SIP URI.
    #[error("the Contact is not a usable SIP URI")]
    BadContact,
}

/// Why a request received in a dialog is refused (RFC 3261 §12.2.2).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DialogReject {
    /// Its CSeq is lower than the last one received: answer 500 (RFC 3261 §12.2.2).
    #[error("CSeq {got} is not above {last}")]
    OutOfOrder {
        /// The CSeq received.
        got: u32,
        /// The highest CSeq received before.
        last: u32,
    },
    /// It has no valid CSeq: answer 400.
    #[error("no valid CSeq")]
    NoCSeq,
}

/// The state of one dialog (RFC 3261 §12.1): its id, sequence numbers, the peer's target and
/// the route set, and how we send requests in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    id: DialogId,
    state: DialogState,
    /// Our URI as a header value without the tag (`"Name" <sip:1001@pbx>`).
    local_uri: String,
    /// The peer's URI as a header value without the tag.
    remote_uri: String,
    /// The last CSeq we sent; the next request uses one more.
    local_seq: u32,
    /// The highest CSeq received, once a request came.
    remote_seq: Option<u32>,
    /// Where requests go: the peer's Contact URI (updated by target refreshes).
    remote_target: String,
    /// The Route values for our requests, in order (`<sip:proxy;lr>`).
    route_set: Vec<String>,
    /// Our Contact value (`<sip:1001@192.0.2.10:5060>`).
    local_contact: String,
    /// Our Via sent-by and transport.
    local: SocketAddr,
    transport: Transport,
}

/// A header value without its `;tag=` parameter (the rest is kept as written).
fn without_tag(value: &str) -> String {
    let Some(at) = find_param(value, "tag") else { return value.trim().to_owned() };
    let end = value[at + 1..].find(';').map(|i| at + 1 + i).unwrap_or(value.len());
    format!("{}{}", &value[..at], &value[end..]).trim().to_owned()
}

/// Byte offset of the `;name=` parameter of an address header value, after the address.
fn find_param(value: &str, name: &str) -> Option<usize> {
    let after_addr = value.rfind('>').map(|i| i + 1).unwrap_or(0);
    let tail = &value[after_addr..];
    let mut search = 0;
    while let Some(i) = tail[search..].find(';') {
        let start = search + i;
        let rest = tail[start + 1..].trim_start();
        let matches = rest.len() >= name.len()
            && rest[..name.len()].eq_ignore_ascii_case(name)
            && rest[name.len()..].trim_start().starts_with('=');
        if matches {
            return Some(after_addr + start);
        }
        search = start + 1;
    }
    None
}

/// The URI of the first Contact of `headers`, which must be a SIP URI.
fn contact_target(headers: &crate::Headers) -> Result<String, DialogError> {
    let contact = headers.typed_all::<Contact>().next().ok_or(DialogError::Missing("Contact"))??;
    let addr = contact.addr().ok_or(DialogError::BadContact)?;
    match addr.uri {
        Uri::Sip(_) => Ok(addr.uri_text.to_owned()),
        _ => Err(DialogError::BadContact),
    }
}

/// Every Record-Route value of `headers`, in order (RFC 3261 §12.1.1).
fn record_route(headers: &crate::Headers) -> Result<Vec<String>, DialogError> {
    headers.typed_all::<RecordRoute>().map(|r| r.map(|r| r.to_string()).map_err(DialogError::from)).collect()
}

fn required<T>(value: Option<T>, what: &'static str) -> Result<T, DialogError> {
    value.ok_or(DialogError::Missing(what))
}

impl Dialog {
    /// The caller's dialog from its `request` (INVITE) and a 1xx or 2xx `response` with a To tag
    /// (RFC 3261 §12.1.2): the route set is the response's Record-Route reversed, the remote
    /// target its Contact; early for a 1xx, confirmed for a 2xx. `local` and `transport` are
    /// what our Via says.
    pub fn uac(
        request: &Request,
        response: &Response,
        local: SocketAddr,
        transport: Transport,
    ) -> Result<Dialog, DialogError> {
        let id = required(DialogId::of_response(response), "Call-ID, From tag or To tag")?;
        let rh = &request.headers;
        let local_uri = without_tag(required(rh.get(&HeaderName::From), "From")?);
        let remote_uri = without_tag(required(response.headers.get(&HeaderName::To), "To")?);
        let local_seq = required(rh.typed::<CSeq>()?, "CSeq")?.seq;
        let local_contact = required(rh.get(&HeaderName::Contact), "Contact")?.to_owned();
        let mut route_set = record_route(&response.headers)?;
        route_set.reverse();
        let state = if (200..300).contains(&response.status) { DialogState::Confirmed } else { DialogState::Early };
        // A 1xx without Contact still makes an early dialog; requests then go to the
        // Request-URI (RFC 3261 §12.1.2 says the Contact MUST be there; be lenient).
        let remote_target =
            contact_target(&response.headers).or_else(|_| Ok::<_, DialogError>(request.uri.to_string()))?;
        Ok(Dialog {
            id,
            state,
            local_uri,
            remote_uri,
            local_seq,
            remote_seq: None,
            remote_target,
            route_set,
            local_contact,
            local,
            transport,
        })
    }

    /// The callee's dialog from the `request` it answers with a To tag `local_tag` and our
    /// `local_contact` (RFC 3261 §12.1.1): the route set is the request's Record-Route in order,
    /// the remote target its Contact. Early until [`Dialog::confirm`].
    pub fn uas(
        request: &Request,
        local_tag: &str,
        local_contact: &str,
        local: SocketAddr,
        transport: Transport,
    ) -> Result<Dialog, DialogError> {
        let h = &request.headers;
        let call_id = required(h.typed::<CallId>()?, "Call-ID")?.0.to_owned();
        let from = required(h.typed::<From>()?, "From")?;
        let remote_tag = required(from.tag(), "From tag")?.to_owned();
        let remote_uri = without_tag(required(h.get(&HeaderName::From), "From")?);
        let local_uri = without_tag(required(h.get(&HeaderName::To), "To")?);
        let remote_seq = required(h.typed::<CSeq>()?, "CSeq")?.seq;
        Ok(Dialog {
            id: DialogId { call_id, local_tag: local_tag.to_owned(), remote_tag },
            state: DialogState::Early,
            local_uri,
            remote_uri,
            local_seq: 0,
            remote_seq: Some(remote_seq),
            remote_target: contact_target(h)?,
            route_set: record_route(h)?,
            local_contact: local_contact.to_owned(),
            local,
            transport,
        })
    }

    /// The dialog's id.
    pub fn id(&self) -> &DialogId {
        &self.id
    }

    /// Early or confirmed.
    pub fn state(&self) -> DialogState {
        self.state
    }

    /// The dialog is confirmed: a 2xx was sent or received (RFC 3261 §12.1).
    pub fn confirm(&mut self) {
        self.state = DialogState::Confirmed;
    }

    /// Where requests go: the peer's Contact URI.
    pub fn remote_target(&self) -> &str {
        &self.remote_target
    }

    /// The peer's URI as a header value (its display name included), without the tag.
    pub fn remote_uri(&self) -> &str {
        &self.remote_uri
    }

    /// The route set, in the order our requests carry it.
    pub fn route_set(&self) -> &[String] {
        &self.route_set
    }

    /// The CSeq of the last request we sent.
    pub fn local_seq(&self) -> u32 {
        self.local_seq
    }

    /// Updates our Via/Contact address (a new local address mid-call).
    pub fn set_local(&mut self, local: SocketAddr, local_contact: &str) {
        self.local = local;
        self.local_contact = local_contact.to_owned();
    }

    /// A new request of `method` inside the dialog (RFC 3261 §12.2.1.1), with the next CSeq
    /// (an ACK or CANCEL is not built here). Loose routing puts the remote target in the
    /// Request-URI and the route set in Route; a strict first route (no `lr`) takes the
    /// Request-URI and the remote target goes last in Route (RFC 3261 §12.2.1.1). Our Contact
    /// is added to target-refresh requests (INVITE, UPDATE, SUBSCRIBE, NOTIFY, REFER). The top
    /// Via has `rport` and no branch: the transaction layer adds it.
    pub fn request(&mut self, method: Method) -> Result<Request, BuildError> {
        self.local_seq = self.local_seq.saturating_add(1).min((1 << 31) - 1);
        self.build(method, self.local_seq, None)
    }

    /// The ACK of a 2xx to our INVITE with CSeq `invite_seq` (RFC 3261 §13.2.2.4): built like a
    /// request of the dialog, with the INVITE's CSeq number and a new branch, since it is sent
    /// outside any transaction. Credentials of the INVITE are not repeated.
    pub fn ack(&self, invite_seq: u32, rng: &mut impl RngCore) -> Result<Request, BuildError> {
        let branch = format!("z9hG4bK{:016x}{:08x}", rng.next_u64(), rng.next_u32());
        self.build(Method::Ack, invite_seq, Some(&branch))
    }

    fn build(&self, method: Method, seq: u32, branch: Option<&str>) -> Result<Request, BuildError> {
        let strict = self.route_set.first().is_some_and(|first| !route_is_loose(first));
        let (uri, routes): (String, Vec<String>) = if strict {
            let first = route_uri(&self.route_set[0]);
            let mut routes: Vec<String> = self.route_set[1..].to_vec();
            routes.push(format!("<{}>", self.remote_target));
            (first, routes)
        } else {
            (self.remote_target.clone(), self.route_set.clone())
        };
        let mut request = Request::new(method.clone(), uri.as_str())?;
        let h = &mut request.headers;
        let via = match branch {
            Some(branch) => format!("SIP/2.0/{} {};rport;branch={branch}", self.transport, self.local),
            None => format!("SIP/2.0/{} {};rport", self.transport, self.local),
        };
        h.push(HeaderName::Via, via)?;
        h.push(HeaderName::MaxForwards, "70")?;
        for route in &routes {
            h.push(HeaderName::Route, route)?;
        }
        h.push(HeaderName::From, format!("{};tag={}", self.local_uri, self.id.local_tag))?;
        h.push(HeaderName::To, format!("{};tag={}", self.remote_uri, self.id.remote_tag))?;
        h.push(HeaderName::CallId, self.id.call_id.as_str())?;
        h.push(HeaderName::CSeq, format!("{seq} {}", method.as_str()))?;
        let refresh =
            matches!(method, Method::Invite | Method::Update | Method::Subscribe | Method::Notify | Method::Refer);
        if refresh {
            h.push(HeaderName::Contact, self.local_contact.as_str())?;
        }
        h.push(HeaderName::ContentLength, "0")?;
        Ok(request)
    }

    /// Checks a request received in this dialog (RFC 3261 §12.2.2): a CSeq lower than the last
    /// is refused (answer 500); otherwise it becomes the last. ACK and CANCEL carry the CSeq of
    /// what they acknowledge or cancel and are not checked. A target refresh request (INVITE,
    /// UPDATE) with a Contact moves the remote target.
    pub fn receive_request(&mut self, request: &Request) -> Result<(), DialogReject> {
        let seq = match request.headers.typed::<CSeq>() {
            Ok(Some(cseq)) => cseq.seq,
            _ => return Err(DialogReject::NoCSeq),
        };
        if matches!(request.method, Method::Ack | Method::Cancel) {
            return Ok(());
        }
        if let Some(last) = self.remote_seq {
            if seq <= last {
                return Err(DialogReject::OutOfOrder { got: seq, last });
            }
        }
        self.remote_seq = Some(seq);
        if matches!(request.method, Method::Invite | Method::Update) {
            if let Ok(target) = contact_target(&request.headers) {
                self.remote_target = target;
            }
        }
        Ok(())
    }

    /// A 2xx to our target refresh request (re-INVITE, UPDATE) moves the remote target to its
    /// Contact (RFC 3261 §12.2.1.2); also a 1xx/2xx to the INVITE that made the dialog, as it
    /// is confirmed. Other responses change nothing.
    pub fn receive_response(&mut self, response: &Response) {
        let cseq_method = response.headers.typed::<CSeq>().ok().flatten().map(|c| c.method.to_owned());
        let refresh = matches!(cseq_method.as_deref(), Some("INVITE" | "UPDATE"));
        if refresh && (101..300).contains(&response.status) {
            if let Ok(target) = contact_target(&response.headers) {
                self.remote_target = target;
            }
        }
        if refresh && (200..300).contains(&response.status) && cseq_method.as_deref() == Some("INVITE") {
            self.state = DialogState::Confirmed;
        }
    }
}

/// True when a Route value's URI has `lr` (RFC 3261 §16.12.1.1 loose routing).
fn route_is_loose(route: &str) -> bool {
    let uri = route_uri(route);
    match Uri::parse(&uri) {
        Ok(Uri::Sip(sip)) => sip.lr(),
        _ => true,
    }
}

/// The URI inside a Route value's `< >`.
fn route_uri(route: &str) -> String {
    match (route.find('<'), route.rfind('>')) {
        (Some(open), Some(close)) if open < close => route[open + 1..close].to_owned(),
        _ => route.trim().to_owned(),
    }
}
