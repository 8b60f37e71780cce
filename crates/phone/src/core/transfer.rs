//! Blind transfer (RFC 3515): we ask the far end to call someone else with REFER and hang up
//! once its NOTIFY says that call is answered; and we obey a REFER we receive, calling the
//! target and reporting progress in NOTIFYs (RFC 3515 §2.4.4–§2.4.5).

use std::time::Instant;

use sip::header::ReferTo;
use sip::session::EndReason;
use sip::transaction::TransactionKey;
use sip::{HeaderName, Method, Request};

use super::calls::{dial_uri, CallId, CallState};
use super::{Core, CoreError, Output};

impl Core {
    /// Transfers call `call` to `target` (a number, `user@host` or a URI): REFER; the call is
    /// hung up when the far end reports the new call answered.
    pub fn transfer(&mut self, now: Instant, call: CallId, target: &str) -> Result<(), CoreError> {
        let domain = self.call_domain(call);
        let slot = self.calls.get_mut(&call).ok_or(CoreError::UnknownCall(call))?;
        let uri = dial_uri(target, &domain);
        slot.session.refer(&uri, &mut self.rng).map_err(|_| CoreError::CallState(call))?;
        self.pump(now);
        Ok(())
    }

    /// Places the call a received REFER asked for (after [`Output::TransferRequest`]), our RTP
    /// on `media_port`; its progress is reported to the referrer on call `referred_by`.
    pub fn dial_for_transfer(
        &mut self,
        now: Instant,
        referred_by: CallId,
        target: &str,
        media_port: u16,
    ) -> Result<CallId, CoreError> {
        let account = self.calls.get(&referred_by).ok_or(CoreError::UnknownCall(referred_by))?.account;
        let call = self.dial(now, account, target, media_port)?;
        self.transfers.insert(call, referred_by);
        Ok(call)
    }

    /// Forwards ringing call `call` to `target` (a number, `user@host` or a URI): 302 with the
    /// target as Contact (call forward always, busy or no answer).
    pub fn forward(&mut self, now: Instant, call: CallId, target: &str) -> Result<(), CoreError> {
        let domain = self.call_domain(call);
        let slot = self.calls.get_mut(&call).ok_or(CoreError::UnknownCall(call))?;
        slot.session.redirect(&dial_uri(target, &domain)).map_err(|_| CoreError::CallState(call))?;
        self.pump(now);
        Ok(())
    }

    /// The domain of call `call`'s account, for dialing a bare number.
    fn call_domain(&self, call: CallId) -> String {
        let account = self.calls.get(&call).map(|c| c.account);
        let slot = self.slots.iter().find(|s| s.index != super::RETIRED && Some(s.index) == account);
        slot.and_then(|s| sip::uri::Host::parse_with_port(&s.account.server).ok())
            .map(|(h, _)| h.to_string())
            .unwrap_or_default()
    }

    /// A request in call `id`'s dialog the session left to us: REFER is obeyed, NOTIFY of a
    /// transfer we asked for followed, INFO accepted, MESSAGE shown (RFC 3428); others get 501.
    pub(super) fn in_dialog_request(&mut self, now: Instant, id: CallId, key: TransactionKey, request: &Request) {
        let status = match request.method {
            Method::Refer => return self.refer_received(id, key, request),
            Method::Notify => {
                self.notify_received(now, id, request);
                200
            }
            Method::Info => {
                for digit in dtmf_info_digits(request) {
                    self.outbox.push_back(Output::Dtmf { call: id, digit });
                }
                200
            }
            Method::Message => {
                let account = self.calls.get(&id).map(|c| c.account).filter(|a| *a != usize::MAX);
                self.text_received(account, request)
            }
            _ => 501,
        };
        if let Some(call) = self.calls.get_mut(&id) {
            call.session.respond(key, request, status);
        }
    }

    /// A REFER (RFC 3515 §2.4.2): 202, a first NOTIFY (100 Trying), and the edge is asked to
    /// place the call. A REFER without a usable Refer-To gets 400.
    fn refer_received(&mut self, id: CallId, key: TransactionKey, request: &Request) {
        let target = request.headers.typed::<ReferTo>().ok().flatten().map(|r| r.uri_text.to_owned());
        let Some(call) = self.calls.get_mut(&id) else { return };
        let Some(target) = target.filter(|t| t.starts_with("sip:") || t.starts_with("sips:") || t.starts_with("tel:"))
        else {
            call.session.respond(key, request, 400);
            return;
        };
        // A `?Replaces=...` (attended transfer, RFC 3891 §4) stays on the target: the INVITE
        // placed for it carries the Replaces header.
        call.session.respond(key, request, 202);
        let _ = call.session.notify_refer(100, false, &mut self.rng);
        self.outbox.push_back(Output::TransferRequest { call: id, target });
    }

    /// A NOTIFY about our REFER (RFC 3515 §2.4.5): a 2xx in its sipfrag means the far end's new
    /// call is up, so ours ends.
    fn notify_received(&mut self, now: Instant, id: CallId, request: &Request) {
        let is_refer = request.headers.get(&HeaderName::Event).is_some_and(|e| e.trim().starts_with("refer"));
        let frag = String::from_utf8_lossy(&request.body);
        let status =
            frag.lines().next().and_then(|line| line.split_whitespace().nth(1)).and_then(|s| s.parse::<u16>().ok());
        if is_refer && status.is_some_and(|s| (200..300).contains(&s)) {
            if let Some(call) = self.calls.get_mut(&id) {
                let _ = call.session.hangup(now, &mut self.rng);
            }
        }
    }

    /// A call placed for a REFER changed state: tell the referrer (RFC 3515 §2.4.4).
    pub(super) fn transfer_progress(&mut self, id: CallId, state: &CallState) {
        let Some(&referrer) = self.transfers.get(&id) else { return };
        let (status, done) = match state {
            CallState::Ringing { .. } => (180, false),
            CallState::Active => (200, true),
            CallState::Ended(EndReason::Rejected { status, .. }) => (*status, true),
            CallState::Ended(_) => (487, true),
            _ => return,
        };
        if done {
            self.transfers.remove(&id);
        }
        if let Some(call) = self.calls.get_mut(&referrer) {
            let _ = call.session.notify_refer(status, done, &mut self.rng);
        }
    }
}

/// The DTMF keys of a SIP INFO (`application/dtmf-relay`: `Signal=5`; `application/dtmf`: `5`),
/// the fallback where RFC 4733 events were not negotiated.
pub fn dtmf_info_digits(request: &Request) -> Vec<char> {
    let content_type = request.headers.get(&HeaderName::ContentType).unwrap_or_default().to_ascii_lowercase();
    let body = String::from_utf8_lossy(&request.body);
    let key = |c: char| c.is_ascii_digit() || matches!(c.to_ascii_uppercase(), '*' | '#' | 'A' | 'B' | 'C' | 'D');
    if content_type.starts_with("application/dtmf-relay") {
        body.lines()
            .filter_map(|line| line.split_once('='))
            .filter(|(name, _)| name.trim().eq_ignore_ascii_case("signal"))
            .filter_map(|(_, value)| value.trim().chars().next())
            .filter(|c| key(*c))
            .map(|c| c.to_ascii_uppercase())
            .collect()
    } else if content_type.starts_with("application/dtmf") {
        body.trim().chars().next().filter(|c| key(*c)).map(|c| c.to_ascii_uppercase()).into_iter().collect()
    } else {
        Vec::new()
    }
}

/// Splits `uri?Name=value&...` into the URI and its header fields, `%HH`-decoded; only the
/// headers a phone puts in an INVITE it is asked to send are kept (Replaces, RFC 3891 §4).
pub(super) fn split_uri_headers(uri: &str) -> (String, Vec<(HeaderName, String)>) {
    let Some((base, query)) = uri.split_once('?') else { return (uri.to_owned(), Vec::new()) };
    let headers = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| name.eq_ignore_ascii_case("replaces"))
        .map(|(_, value)| (HeaderName::Replaces, percent_decode(value)))
        .collect();
    (base.to_owned(), headers)
}

/// `%HH` decoded (RFC 3986 §2.1); malformed escapes are kept as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b, ..) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` with every byte outside RFC 3986 `unreserved` `%HH`-encoded, for a header value
/// carried in a URI (RFC 3261 §19.1.1 `hvalue`).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Core {
    /// Attended transfer (RFC 5589 §7): asks the far end of `call` to call the far end of
    /// `consult`, replacing our consultation dialog (REFER with `Refer-To: <target?Replaces=...>`,
    /// RFC 3891 §4); `call` ends when its NOTIFY says the new call is up, and the target ends
    /// `consult` when it accepts the replacement.
    pub fn attended_transfer(&mut self, now: Instant, call: CallId, consult: CallId) -> Result<(), CoreError> {
        let slot = self.calls.get(&consult).ok_or(CoreError::UnknownCall(consult))?;
        let dialog = slot.session.dialog().ok_or(CoreError::CallState(consult))?;
        let id = dialog.id();
        let remote = dialog.remote_uri();
        let target = match (remote.find('<'), remote.rfind('>')) {
            (Some(open), Some(close)) if open < close => &remote[open + 1..close],
            _ => remote,
        };
        let replaces = format!("{};to-tag={};from-tag={}", id.call_id, id.remote_tag, id.local_tag);
        let refer_to = format!("{target}?Replaces={}", percent_encode(&replaces));
        let slot = self.calls.get_mut(&call).ok_or(CoreError::UnknownCall(call))?;
        slot.session.refer(&refer_to, &mut self.rng).map_err(|_| CoreError::CallState(call))?;
        self.pump(now);
        Ok(())
    }

    /// The call an INVITE's Replaces header names (RFC 3891 §3): our dialog with that Call-ID,
    /// our tag as its to-tag and the peer's as its from-tag.
    pub(super) fn replaced_call(&self, request: &Request) -> Option<CallId> {
        let value = request.headers.get(&HeaderName::Replaces)?;
        let mut parts = value.split(';').map(str::trim);
        let call_id = parts.next()?;
        let (mut to_tag, mut from_tag) = (None, None);
        for part in parts {
            match part.split_once('=') {
                Some((name, tag)) if name.trim().eq_ignore_ascii_case("to-tag") => to_tag = Some(tag.trim()),
                Some((name, tag)) if name.trim().eq_ignore_ascii_case("from-tag") => from_tag = Some(tag.trim()),
                _ => {}
            }
        }
        let (to_tag, from_tag) = (to_tag?, from_tag?);
        self.calls
            .iter()
            .filter(|(_, c)| !matches!(c.state, CallState::Ended(_)))
            .find(|(_, c)| {
                c.session
                    .dialog_id()
                    .is_some_and(|d| d.call_id == call_id && d.local_tag == to_tag && d.remote_tag == from_tag)
            })
            .map(|(id, _)| *id)
    }
}
