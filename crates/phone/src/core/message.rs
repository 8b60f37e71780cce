//! Requests outside calls that the core takes itself: the NOTIFYs of message waiting
//! (RFC 3842, in our subscription or unsolicited), `check-sync` (a provisioning server asking
//! for a configuration fetch now), and text messages (RFC 3428 MESSAGE). By the time they get
//! here, the trusted-server guard has let them through (`guard.rs`).

use std::net::SocketAddr;
use std::time::Instant;

use sip::header::{ContentType, Event, SubState, SubscriptionState};
use sip::transaction::TransactionKey;
use sip::{reason_phrase, reply, validate_request, HeaderName, Method, Request, UasPolicy};

use super::guard::in_dialog;
use super::mwi::{parse_message_summary, MWI_EVENT};
use super::{uas, Core, Output};

/// The largest text message taken, in bytes (RFC 3428 §7: a MESSAGE must fit a UDP datagram
/// under the path MTU; 1,300 bytes leaves room for the headers).
pub const MAX_TEXT_BYTES: usize = 1300;

/// The event packages asking a phone to fetch its configuration now: `check-sync` (Polycom,
/// Yealink, Snom, Asterisk's `pjsip send notify`) and `resync` (Cisco/Linksys style).
pub const CHECK_SYNC_EVENTS: [&str; 2] = ["check-sync", "resync"];

/// The text of a text message, or the status refusing it: 415 for a body that is not
/// `text/plain` (RFC 3428 §7), 413 when longer than [`MAX_TEXT_BYTES`], 400 when not UTF-8.
pub fn text_of(request: &Request) -> Result<String, u16> {
    let plain = match request.headers.typed::<ContentType>() {
        Ok(Some(ContentType(media))) => {
            media.kind.eq_ignore_ascii_case("text")
                && media.subtype.eq_ignore_ascii_case("plain")
                && media.params.get("charset").flatten().is_none_or(|c| {
                    let c = c.trim_matches('"');
                    c.eq_ignore_ascii_case("utf-8") || c.eq_ignore_ascii_case("us-ascii")
                })
        }
        _ => false,
    };
    if !plain {
        return Err(415);
    }
    if request.body.len() > MAX_TEXT_BYTES {
        return Err(413);
    }
    String::from_utf8(request.body.to_vec()).map_err(|_| 400)
}

/// The event package of a request's Event header, lower case.
fn event_package(request: &Request) -> Option<String> {
    let event = request.headers.typed::<Event>().ok().flatten()?;
    Some(event.package.to_ascii_lowercase())
}

impl Core {
    /// Answers a request that is neither a call nor in a call's dialog when it is one of ours
    /// (NOTIFY of message waiting or check-sync, MESSAGE outside a dialog); false otherwise
    /// (also for a request [`validate_request`] refuses: [`uas::answer`] gives the rejection).
    pub(super) fn other_request(
        &mut self,
        now: Instant,
        key: &TransactionKey,
        request: &Request,
        from: SocketAddr,
    ) -> bool {
        if validate_request(request, &UasPolicy::phone()).is_err() {
            return false;
        }
        match request.method {
            Method::Notify => match self.mwi_of_notify(request) {
                Some(label) => self.subscription_notify(now, key, request, &label),
                None if !in_dialog(request) => self.unsolicited_notify(now, key, request, from),
                None => return false,
            },
            Method::Message if !in_dialog(request) => {
                let account = self.account_for(request).map(|slot| self.slots[slot].index);
                let status = self.text_received(account, request);
                self.respond_status(now, key, request, status);
            }
            _ => return false,
        }
        true
    }

    /// A text message for `account` (or no account): reported when it is usable; the status
    /// to answer with (RFC 3428 §7: 200, or why not).
    pub(super) fn text_received(&mut self, account: Option<usize>, request: &Request) -> u16 {
        match text_of(request) {
            Ok(text) => {
                let from = request.headers.get(&HeaderName::From).map(super::calls::strip_tag).unwrap_or_default();
                self.outbox.push_back(Output::TextMessage { account, from, text });
                200
            }
            Err(status) => status,
        }
    }

    /// A NOTIFY in account `label`'s subscription dialog (RFC 6665 §4.1.3): 200, the summary
    /// reported; a terminated subscription starts again.
    fn subscription_notify(&mut self, now: Instant, key: &TransactionKey, request: &Request, label: &str) {
        if event_package(request).as_deref() != Some(MWI_EVENT) {
            return self.respond_status(now, key, request, 489);
        }
        self.respond_status(now, key, request, 200);
        if let Some(summary) = parse_message_summary(&String::from_utf8_lossy(&request.body)) {
            self.report_message_summary(label, summary);
        }
        if let Ok(Some(state)) = request.headers.typed::<SubscriptionState>() {
            if state.state == SubState::Terminated {
                self.mwi_terminated_by_server(now, label, state.reason(), state.retry_after());
            }
        }
    }

    /// A NOTIFY outside any dialog: `message-summary` (unsolicited MWI, Asterisk's
    /// `unsolicited_mwi`) and `check-sync` are taken; check-sync only from a trusted server
    /// (else 403). Other events have no subscription: 481 (RFC 6665 §4.1.3).
    fn unsolicited_notify(&mut self, now: Instant, key: &TransactionKey, request: &Request, from: SocketAddr) {
        let slot = self.account_for(request);
        let account = slot.map(|slot| self.slots[slot].index);
        match event_package(request).as_deref() {
            Some(MWI_EVENT) => {
                self.respond_status(now, key, request, 200);
                let summary = parse_message_summary(&String::from_utf8_lossy(&request.body));
                if let (Some(slot), Some(summary)) = (slot, summary) {
                    let label = self.slots[slot].account.label.clone();
                    self.report_message_summary(&label, summary);
                }
            }
            Some(event) if CHECK_SYNC_EVENTS.contains(&event) => {
                if !self.is_trusted(from.ip()) {
                    return self.respond_status(now, key, request, 403);
                }
                self.respond_status(now, key, request, 200);
                if let Some(account) = account {
                    self.outbox.push_back(Output::CheckSync { account });
                }
            }
            _ => self.respond_status(now, key, request, 481),
        }
    }

    /// Answers server transaction `key` with `status` (a To tag of ours when the request has
    /// none, RFC 3261 §8.2.6.2; `Accept: text/plain` with a 415, RFC 3261 §21.4.13).
    fn respond_status(&mut self, now: Instant, key: &TransactionKey, request: &Request, status: u16) {
        let tag = uas::new_tag(&mut self.rng);
        let reason = match status {
            413 => "Request Entity Too Large",
            400 => "Body Is Not UTF-8",
            _ => reason_phrase(status),
        };
        let mut response = reply(request, status, reason, Some(&tag));
        if status == 415 {
            let _ = response.headers.push(HeaderName::Accept, "text/plain");
        }
        let _ = self.layer.respond(now, key, response);
    }
}
