//! The callee's side and every request in the dialog: answering an INVITE (RFC 3261 §13.3),
//! the 2xx retransmission until the ACK (§13.3.1.4), CANCEL (§9.2), BYE (§15.1.2), the peer's
//! re-INVITE with glare (§14.2) and other requests (§12.2.2).

use std::time::{Duration, Instant};

use bytes::Bytes;
use rand_core::RngCore;

use super::build::Body;
use super::client::sdp_body;
use super::{
    random_hex, EndReason, Output, Role, Session, SessionConfig, SessionError, SessionEvent, SessionState,
    SessionTimer, Unacked,
};
use crate::dialog::{Dialog, DialogReject};
use crate::header::CSeq;
use crate::message::{Method, Request};
use crate::name::HeaderName;
use crate::reply::{reason_phrase, reply};
use crate::transaction::TransactionKey;

impl Session {
    /// A new incoming call: `request` is an INVITE without To tag that made server transaction
    /// `key`. The session takes a To tag from `rng` and makes the early dialog (RFC 3261
    /// §12.1.1); nothing is sent until [`Session::ring`], [`Session::accept`] or
    /// [`Session::reject`] (the transaction layer sends 100 Trying by itself). A request that
    /// cannot make a dialog (no Contact, no From tag) is an error: answer it 400.
    pub fn incoming(
        config: SessionConfig,
        key: TransactionKey,
        request: &Request,
        rng: &mut impl RngCore,
    ) -> Result<Session, SessionError> {
        let call_id = request.headers.get(&HeaderName::CallId).unwrap_or_default().to_owned();
        let mut session = Session::blank(Role::Callee, config, call_id, random_hex(rng, 8));
        let c = &session.config;
        let dialog = Dialog::uas(request, &session.local_tag, &c.contact, c.local, c.transport)?;
        session.offerless = sdp_body(&request.headers, &request.body).is_none();
        session.dialog = Some(dialog);
        session.invite_key = Some(key);
        session.incoming = Some(request.clone());
        if super::session_expires(&request.headers).is_some_and(|(seconds, _)| seconds < super::MIN_SE) {
            // RFC 4028 §8.1: too short an interval is refused with 422 and our Min-SE.
            session.reject_422();
        }
        Ok(session)
    }

    /// The peer's offer in the INVITE, if it had one.
    pub fn remote_offer(&self) -> Option<Bytes> {
        let request = self.incoming.as_ref()?;
        sdp_body(&request.headers, &request.body)
    }

    /// Rings: 180 Ringing, or 183 Session Progress with `early_media` SDP (RFC 3960); reliable
    /// (RFC 3262) when the INVITE requires it.
    pub fn ring(&mut self, now: Instant, early_media: Option<Bytes>) -> Result<(), SessionError> {
        let status = if early_media.is_some() { 183 } else { 180 };
        self.provisional_response(now, status, early_media.map(|b| (super::SDP.to_owned(), b)))
    }

    fn provisional_response(&mut self, now: Instant, status: u16, body: Body) -> Result<(), SessionError> {
        let (Some(key), Some(request)) = (self.invite_key.clone(), self.incoming.clone()) else {
            return Err(SessionError::InvalidState(self.state));
        };
        if self.unacked_1xx.is_some() {
            // RFC 3262 §3: no second reliable provisional response before the first is PRACKed.
            return Ok(());
        }
        let mut response = self.build_response(&request, status, &body)?;
        if self.peer_requires_100rel() {
            self.make_reliable(now, &mut response);
        }
        self.state = SessionState::Early;
        self.outbox.push_back(Output::Respond { key, response });
        Ok(())
    }

    /// Answers the call with 200 and our SDP `body` (the answer, or our offer when the INVITE
    /// had none). The 2xx is sent again (T1 doubling to T2 over UDP) until the ACK comes; none
    /// within 64·T1 ends the call with BYE (RFC 3261 §13.3.1.4).
    pub fn accept(&mut self, now: Instant, body: Option<Bytes>) -> Result<(), SessionError> {
        let (Some(key), Some(request)) = (self.invite_key.take(), self.incoming.clone()) else {
            return Err(SessionError::InvalidState(self.state));
        };
        self.remember_body(&body);
        let mut response = self.build_response(&request, 200, &body.map(|b| (super::SDP.to_owned(), b)))?;
        self.session_timer_in_2xx(now, &request, &mut response);
        self.unacked_1xx = None;
        self.timers.clear(SessionTimer::Retransmit1xx);
        self.timers.clear(SessionTimer::PrackTimeout);
        if let Some(dialog) = self.dialog.as_mut() {
            dialog.confirm();
        }
        self.state = SessionState::Confirmed;
        let offer_in_2xx = self.offerless;
        self.send_2xx(now, key, response, false, offer_in_2xx);
        Ok(())
    }

    /// Refuses the incoming call with `status` (486 busy, 603 decline, 480 ...); ends it.
    pub fn reject(&mut self, _now: Instant, status: u16) -> Result<(), SessionError> {
        let (Some(key), Some(request)) = (self.invite_key.take(), self.incoming.clone()) else {
            return Err(SessionError::InvalidState(self.state));
        };
        let status = if (300..700).contains(&status) { status } else { 603 };
        let response = self.build_response(&request, status, &None)?;
        self.unacked_1xx = None;
        self.outbox.push_back(Output::Respond { key, response });
        self.end(EndReason::Declined { status });
        Ok(())
    }

    /// Forwards the incoming call: 302 Moved Temporarily with `Contact: <target>` (RFC 3261
    /// §21.3.3), so that the caller (or its proxy) calls `target` instead; ends the session.
    pub fn redirect(&mut self, target: &str) -> Result<(), SessionError> {
        let (Some(key), Some(request)) = (self.invite_key.take(), self.incoming.clone()) else {
            return Err(SessionError::InvalidState(self.state));
        };
        let mut response = reply(&request, 302, reason_phrase(302), Some(&self.local_tag));
        response.headers.push(HeaderName::Contact, format!("<{target}>"))?;
        self.unacked_1xx = None;
        self.outbox.push_back(Output::Respond { key, response });
        self.end(EndReason::Declined { status: 302 });
        Ok(())
    }

    /// The peer cancelled its INVITE (the caller answered the CANCEL 200 itself, RFC 3261
    /// §9.2): 487 to the INVITE and the call ends. Too late once we answered.
    pub fn handle_cancel(&mut self) {
        let (Some(key), Some(request)) = (self.invite_key.take(), self.incoming.clone()) else { return };
        if let Ok(response) = self.build_response(&request, 487, &None) {
            self.outbox.push_back(Output::Respond { key, response });
        }
        self.end(EndReason::Cancelled);
    }

    /// A request in our dialog: `key` is its server transaction (`None` for the ACK of a 2xx,
    /// which has none). BYE, ACK and re-INVITE are handled here; others are reported as
    /// [`SessionEvent::Request`] for the phone to answer with [`Session::respond`].
    pub fn handle_request(
        &mut self,
        now: Instant,
        key: Option<TransactionKey>,
        request: &Request,
        rng: &mut impl RngCore,
    ) {
        if request.method == Method::Ack {
            self.ack_received(request, rng);
            return;
        }
        let Some(key) = key else { return };
        if self.state == SessionState::Terminated {
            self.respond_status(key, request, 481);
            return;
        }
        let checked = self.dialog.as_mut().map(|dialog| dialog.receive_request(request));
        match checked {
            Some(Ok(())) => {}
            Some(Err(DialogReject::OutOfOrder { .. })) => return self.respond_status(key, request, 500),
            Some(Err(_)) => return self.respond_status(key, request, 400),
            None => return self.respond_status(key, request, 481),
        }
        match request.method {
            Method::Bye => {
                self.respond_status(key, request, 200);
                if let (Some(invite_key), Some(invite)) = (self.invite_key.take(), self.incoming.clone()) {
                    // RFC 3261 §15.1.2: a BYE for an unanswered INVITE gets it a 487.
                    if let Ok(response) = self.build_response(&invite, 487, &None) {
                        self.outbox.push_back(Output::Respond { key: invite_key, response });
                    }
                }
                self.end(EndReason::RemoteHangup);
            }
            Method::Invite => self.peer_reinvite(now, key, request),
            Method::Prack => self.prack_received(key, request),
            Method::Update if sdp_body(&request.headers, &request.body).is_none() => {
                // RFC 3311 without an offer, e.g. a session refresh (RFC 4028 §9).
                let mut response = reply(request, 200, reason_phrase(200), Some(&self.local_tag));
                self.session_timer_in_2xx(now, request, &mut response);
                self.outbox.push_back(Output::Respond { key, response });
            }
            Method::Update => self.peer_reinvite(now, key, request),
            _ => self.event(SessionEvent::Request { key, request: Box::new(request.clone()) }),
        }
    }

    /// 422 Session Interval Too Small with our Min-SE (RFC 4028 §8.1), ending the session.
    fn reject_422(&mut self) {
        let (Some(key), Some(request)) = (self.invite_key.take(), self.incoming.clone()) else { return };
        let mut response = reply(&request, 422, reason_phrase(422), Some(&self.local_tag));
        let _ = response.headers.push(HeaderName::MinSe, super::MIN_SE.to_string());
        self.outbox.push_back(Output::Respond { key, response });
        self.end(EndReason::Declined { status: 422 });
    }

    /// Answers a request the phone was given by [`SessionEvent::Request`].
    pub fn respond(&mut self, key: TransactionKey, request: &Request, status: u16) {
        self.respond_status(key, request, status);
    }

    fn respond_status(&mut self, key: TransactionKey, request: &Request, status: u16) {
        let mut response = reply(request, status, reason_phrase(status), Some(&self.local_tag));
        if status == 500 {
            let _ = response.headers.push(HeaderName::RetryAfter, "1");
        }
        self.outbox.push_back(Output::Respond { key, response });
    }

    /// A re-INVITE from the peer (RFC 3261 §14.2): refused with 491 while our own is out, and
    /// with 500 and Retry-After while its previous one is unanswered; else reported.
    fn peer_reinvite(&mut self, _now: Instant, key: TransactionKey, request: &Request) {
        if self.reinvite.is_some() {
            return self.respond_status(key, request, 491);
        }
        if self.peer_reinvite.is_some() || self.unacked.is_some() {
            return self.respond_status(key, request, 500);
        }
        self.peer_reinvite = Some((key, request.clone()));
        self.event(SessionEvent::Reoffer { body: sdp_body(&request.headers, &request.body) });
    }

    /// Answers the peer's re-INVITE with 200 and our SDP `body`, retransmitted until its ACK.
    pub fn answer_reoffer(&mut self, now: Instant, body: Bytes) -> Result<(), SessionError> {
        let Some((key, request)) = self.peer_reinvite.take() else {
            return Err(SessionError::InvalidState(self.state));
        };
        let offer_in_2xx = sdp_body(&request.headers, &request.body).is_none();
        self.remember_body(&Some(body.clone()));
        let mut response = self.build_response(&request, 200, &Some((super::SDP.to_owned(), body)))?;
        self.session_timer_in_2xx(now, &request, &mut response);
        if request.method == Method::Update {
            // RFC 3311 §5.2: an UPDATE's answer is its 200; no ACK, no retransmission.
            self.outbox.push_back(Output::Respond { key, response });
        } else {
            self.send_2xx(now, key, response, true, offer_in_2xx);
        }
        Ok(())
    }

    /// Refuses the peer's re-INVITE (488 Not Acceptable Here for an unusable offer); the call
    /// goes on as before (RFC 3261 §14.2).
    pub fn reject_reoffer(&mut self, status: u16) -> Result<(), SessionError> {
        let Some((key, request)) = self.peer_reinvite.take() else {
            return Err(SessionError::InvalidState(self.state));
        };
        self.respond_status(key, &request, if (300..700).contains(&status) { status } else { 488 });
        Ok(())
    }

    fn send_2xx(&mut self, now: Instant, key: TransactionKey, response: crate::Response, reinvite: bool, offer: bool) {
        let interval = self.config.timers.t1;
        self.outbox.push_back(Output::Respond { key: key.clone(), response: response.clone() });
        if !self.config.transport.is_reliable() {
            self.timers.set(SessionTimer::Retransmit2xx, now.checked_add(interval).unwrap_or(now));
        }
        let give_up = self.config.timers.sixty_four_t1();
        self.timers.set(SessionTimer::AckTimeout, now.checked_add(give_up).unwrap_or(now));
        self.unacked = Some(Unacked { key, response, interval, reinvite, offer_in_2xx: offer });
    }

    /// Sends our unacknowledged 2xx again, the interval doubling up to T2.
    pub(super) fn retransmit_2xx(&mut self, now: Instant) {
        let t2 = self.config.timers.t2;
        let Some(unacked) = self.unacked.as_mut() else { return };
        unacked.interval = (unacked.interval * 2).min(t2);
        let interval: Duration = unacked.interval;
        let (key, response) = (unacked.key.clone(), unacked.response.clone());
        self.outbox.push_back(Output::Respond { key, response });
        self.timers.set(SessionTimer::Retransmit2xx, now.checked_add(interval).unwrap_or(now));
    }

    /// No ACK for our 2xx within 64·T1: BYE and end (RFC 3261 §13.3.1.4).
    pub(super) fn ack_timeout(&mut self, rng: &mut impl RngCore) {
        if self.unacked.take().is_none() {
            return;
        }
        self.timers.clear(SessionTimer::Retransmit2xx);
        let _ = self.send_in_dialog(Method::Bye, &None, rng);
        self.end(if self.bye_after_ack { EndReason::LocalHangup } else { EndReason::NoAck });
    }

    /// The ACK of our 2xx: stop retransmitting. For an offerless INVITE it carries the
    /// peer's answer, reported as [`SessionEvent::Answered`]; after our hangup, BYE now.
    fn ack_received(&mut self, request: &Request, rng: &mut impl RngCore) {
        let Some(unacked) = &self.unacked else { return };
        let seq = request.headers.typed::<CSeq>().ok().flatten().map(|c| c.seq);
        let acked_seq = unacked.response.headers.typed::<CSeq>().ok().flatten().map(|c| c.seq);
        if seq.is_none() || seq != acked_seq {
            return;
        }
        let (reinvite, offer_in_2xx) = (unacked.reinvite, unacked.offer_in_2xx);
        self.unacked = None;
        self.timers.clear(SessionTimer::Retransmit2xx);
        self.timers.clear(SessionTimer::AckTimeout);
        let body = sdp_body(&request.headers, &request.body);
        if offer_in_2xx && body.is_some() {
            let event = if reinvite { SessionEvent::ReofferAnswered { body } } else { SessionEvent::Answered { body } };
            self.event(event);
        }
        if self.bye_after_ack {
            self.bye_seq = self.send_in_dialog(Method::Bye, &None, rng).ok();
            self.end(EndReason::LocalHangup);
        }
    }
}
