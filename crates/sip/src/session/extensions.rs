//! Session timers (RFC 4028) and reliable provisional responses (RFC 3262) for INVITE
//! sessions: what goes in the headers, and the timers they arm.

use std::time::{Duration, Instant};

use bytes::Bytes;
use rand_core::RngCore;

use super::{EndReason, Output, Role, Session, SessionState, SessionTimer};
use crate::header::CSeq;
use crate::message::{Method, Request, Response};
use crate::name::HeaderName;

/// The session interval we ask for in our INVITE (RFC 4028 §7.1 recommends 1800 s).
pub const SESSION_EXPIRES: u32 = 1800;
/// The smallest session interval we accept (RFC 4028 §4: Min-SE defaults to 90 s).
pub const MIN_SE: u32 = 90;

/// Which side refreshes (RFC 4028 §4, the `refresher` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refresher {
    /// The side that sent the request.
    Uac,
    /// The side that answered it.
    Uas,
}

/// A Session-Expires value: the interval in seconds and the refresher, if named.
pub fn session_expires(headers: &crate::Headers) -> Option<(u32, Option<Refresher>)> {
    let value = headers.get(&HeaderName::SessionExpires)?;
    let mut parts = value.split(';');
    let seconds = parts.next()?.trim().parse::<u32>().ok()?;
    let refresher = parts.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("refresher") {
            return None;
        }
        match value.trim().to_ascii_lowercase().as_str() {
            "uac" => Some(Refresher::Uac),
            "uas" => Some(Refresher::Uas),
            _ => None,
        }
    });
    Some((seconds, refresher))
}

/// True when a header listing option tags (Supported, Require) names `tag`.
pub fn has_option_tag(headers: &crate::Headers, name: &HeaderName, tag: &str) -> bool {
    headers.get_all(name).flat_map(|v| v.split(',')).any(|t| t.trim().eq_ignore_ascii_case(tag))
}

/// The session timer our 2xx to `request` sets (RFC 4028 §9): the request's interval and
/// refresher, the refresher being the UAC when it supports timers and named none, else us.
/// `None` when the request asks for no session timer.
pub(super) fn answer_session_timer(request: &Request) -> Option<(u32, Refresher)> {
    let (seconds, refresher) = session_expires(&request.headers)?;
    let uac_supports = has_option_tag(&request.headers, &HeaderName::Supported, "timer");
    let refresher = refresher.unwrap_or(if uac_supports { Refresher::Uac } else { Refresher::Uas });
    Some((seconds.max(MIN_SE), refresher))
}

impl Session {
    /// Arms the session timer after a 2xx (sent or received) set `seconds` with us refreshing
    /// or not (RFC 4028 §10): we refresh at half the interval; else we end the call when no
    /// refresh came by `interval − min(32, interval/3)`.
    pub(super) fn arm_session_timer(&mut self, now: Instant, seconds: u32, we_refresh: bool) {
        self.timers.clear(SessionTimer::SessionRefresh);
        self.timers.clear(SessionTimer::SessionExpiry);
        self.session_interval = Some((seconds, we_refresh));
        let interval = Duration::from_secs(u64::from(seconds));
        if we_refresh {
            self.timers.set(SessionTimer::SessionRefresh, now.checked_add(interval / 2).unwrap_or(now));
        } else {
            let margin = Duration::from_secs(u64::from((seconds / 3).min(32)));
            self.timers.set(SessionTimer::SessionExpiry, now.checked_add(interval - margin).unwrap_or(now));
        }
    }

    /// The session timer a 2xx to one of our INVITEs (or UPDATE) sets: its Session-Expires,
    /// `refresher=uac` meaning us (RFC 4028 §7.2); none without the header.
    pub(super) fn session_timer_from_2xx(&mut self, now: Instant, response: &Response) {
        match session_expires(&response.headers) {
            Some((seconds, refresher)) => {
                let we_refresh = refresher != Some(Refresher::Uas);
                self.arm_session_timer(now, seconds.max(MIN_SE), we_refresh);
            }
            None => {
                self.session_interval = None;
                self.timers.clear(SessionTimer::SessionRefresh);
                self.timers.clear(SessionTimer::SessionExpiry);
            }
        }
    }

    /// Our refresh is due (RFC 4028 §7.4): a re-INVITE with the session description we sent
    /// last, unchanged; the peer's 2xx arms the timer again.
    pub(super) fn refresh_session(&mut self, rng: &mut impl RngCore) {
        if self.state != SessionState::Confirmed || self.reinvite.is_some() || self.glare.is_some() {
            return;
        }
        let Some(body) = self.last_local_body.clone() else { return };
        self.refreshing = true;
        if self.reinvite(body, rng).is_err() {
            self.refreshing = false;
        }
    }

    /// The peer did not refresh in time (RFC 4028 §10): BYE and end.
    pub(super) fn session_expired(&mut self, rng: &mut impl RngCore) {
        if self.state == SessionState::Confirmed {
            let _ = self.send_in_dialog(Method::Bye, &None, rng);
            self.end(EndReason::SessionExpired);
        }
    }

    /// Adds `Session-Expires` and `Require: timer` to our 2xx when the request asked for a
    /// session timer, and arms it (RFC 4028 §9).
    pub(super) fn session_timer_in_2xx(&mut self, now: Instant, request: &Request, response: &mut Response) {
        let Some((seconds, refresher)) = answer_session_timer(request) else { return };
        let name = if refresher == Refresher::Uac { "uac" } else { "uas" };
        let _ = response.headers.push(HeaderName::SessionExpires, format!("{seconds};refresher={name}"));
        if has_option_tag(&request.headers, &HeaderName::Supported, "timer") {
            let _ = response.headers.push(HeaderName::Require, "timer");
        }
        self.arm_session_timer(now, seconds, refresher == Refresher::Uas);
    }

    /// Whether the peer's INVITE requires reliable provisional responses (RFC 3262 §3).
    pub(super) fn peer_requires_100rel(&self) -> bool {
        self.incoming.as_ref().is_some_and(|r| has_option_tag(&r.headers, &HeaderName::Require, "100rel"))
    }

    /// Makes a provisional response reliable (RFC 3262 §3): Require: 100rel and the next RSeq;
    /// it is sent again (T1 doubling) until its PRACK comes.
    pub(super) fn make_reliable(&mut self, now: Instant, response: &mut Response) {
        self.rseq = self.rseq.wrapping_add(1).max(1);
        let _ = response.headers.push(HeaderName::Require, "100rel");
        let _ = response.headers.push(HeaderName::RSeq, self.rseq.to_string());
        self.unacked_1xx = Some((response.clone(), self.config.timers.t1));
        self.timers.set(SessionTimer::Retransmit1xx, now.checked_add(self.config.timers.t1).unwrap_or(now));
        self.timers.set(SessionTimer::PrackTimeout, now.checked_add(self.config.timers.sixty_four_t1()).unwrap_or(now));
    }

    /// Sends our reliable provisional response again (RFC 3262 §3).
    pub(super) fn retransmit_1xx(&mut self, now: Instant) {
        let (Some(key), Some((response, interval))) = (self.invite_key.clone(), self.unacked_1xx.as_mut()) else {
            return;
        };
        *interval = (*interval * 2).min(self.config.timers.t2);
        let next = now.checked_add(*interval).unwrap_or(now);
        let response = response.clone();
        self.outbox.push_back(Output::Respond { key, response });
        self.timers.set(SessionTimer::Retransmit1xx, next);
    }

    /// No PRACK for our reliable provisional response within 64·T1: the INVITE is rejected
    /// with 504 (RFC 3262 §3: "SHOULD reject the original request with a 5xx").
    pub(super) fn prack_timeout(&mut self, now: Instant) {
        if self.unacked_1xx.take().is_some() && self.invite_key.is_some() {
            let _ = self.reject(now, 504);
        }
    }

    /// A PRACK (RFC 3262 §4): 200 when its RAck names our reliable provisional response (the
    /// retransmissions stop), else 481.
    pub(super) fn prack_received(&mut self, key: crate::transaction::TransactionKey, request: &Request) {
        let rack = request.headers.get(&HeaderName::RAck).unwrap_or_default().split_whitespace().next();
        let matches = rack.and_then(|r| r.parse::<u32>().ok()) == Some(self.rseq) && self.rseq != 0;
        if matches {
            self.unacked_1xx = None;
            self.timers.clear(SessionTimer::Retransmit1xx);
            self.timers.clear(SessionTimer::PrackTimeout);
        }
        self.respond(key, request, if matches { 200 } else { 481 });
    }

    /// A reliable provisional response to our INVITE (RFC 3262 §4): PRACK it once per RSeq.
    pub(super) fn prack(&mut self, response: &Response, rng: &mut impl RngCore) {
        if !has_option_tag(&response.headers, &HeaderName::Require, "100rel") || self.role != Role::Caller {
            return;
        }
        let rseq = response.headers.get(&HeaderName::RSeq).and_then(|v| v.trim().parse::<u32>().ok());
        let cseq = response.headers.typed::<CSeq>().ok().flatten().map(|c| c.seq);
        let (Some(rseq), Some(cseq)) = (rseq, cseq) else { return };
        if self.last_rseq.is_some_and(|last| rseq <= last) {
            return;
        }
        self.last_rseq = Some(rseq);
        let rack = [(HeaderName::RAck, format!("{rseq} {cseq} INVITE"))];
        let _ = self.send_in_dialog_with(Method::Prack, &rack, &None, rng);
    }

    /// Remembers the session description we sent, for session refreshes.
    pub(super) fn remember_body(&mut self, body: &Option<Bytes>) {
        if let Some(body) = body {
            self.last_local_body = Some(body.clone());
        }
    }
}
