//! The caller's side and every response to our requests: INVITE (RFC 3261 §13.2), CANCEL
//! (§9.1), BYE (§15.1), re-INVITE with glare (§14.1), digest challenges (§22.2).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand_core::RngCore;

use super::build::Body;
use super::{
    random_hex, EndReason, Output, Role, Session, SessionConfig, SessionError, SessionEvent, SessionState,
    SessionTimer, Timers,
};
use crate::dialog::{Dialog, DialogId};
use crate::digest::{Challenge, ClientAuth};
use crate::header::CSeq;
use crate::message::{Method, Response};
use crate::name::HeaderName;

/// Most challenges answered for one request: a refused password is no loop.
const MAX_CHALLENGES: u8 = 2;

/// The SDP body of a message, if it has one (RFC 3261 §13.2.1: offers and answers are
/// `application/sdp`).
pub(super) fn sdp_body(headers: &crate::Headers, body: &Bytes) -> Option<Bytes> {
    let content_type = headers.get(&HeaderName::ContentType).unwrap_or("application/sdp");
    let is_sdp = content_type.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case(super::SDP));
    (is_sdp && !body.is_empty()).then(|| body.clone())
}

impl Session {
    /// Calls `target` (the Request-URI, e.g. `sip:2002@pbx.example.com`) with `to` as the To
    /// value and `offer` as our SDP offer: the INVITE is queued at once (RFC 3261 §13.2.1). The
    /// Call-ID (128 bits) and From tag (64 bits) come from `rng`.
    pub fn invite(
        config: SessionConfig,
        target: &str,
        to: &str,
        offer: Option<Bytes>,
        rng: &mut impl RngCore,
    ) -> Result<Session, SessionError> {
        Session::invite_with(config, target, to, offer, Vec::new(), rng)
    }

    /// [`Session::invite`] with `extra` header fields in the INVITE (and its challenged
    /// resends), e.g. the `Replaces` of an attended transfer (RFC 3891).
    pub fn invite_with(
        config: SessionConfig,
        target: &str,
        to: &str,
        offer: Option<Bytes>,
        extra: Vec<(HeaderName, String)>,
        rng: &mut impl RngCore,
    ) -> Result<Session, SessionError> {
        let mut session = Session::blank(Role::Caller, config, random_hex(rng, 16), random_hex(rng, 8));
        session.invite_headers = extra;
        session.remember_body(&offer);
        session.offer = offer.map(|body| (super::SDP.to_owned(), body));
        let request = session.build_invite(target, to, 1, rng)?;
        session.invite = Some(request.clone());
        session.outbox.push_back(Output::Request(request));
        Ok(session)
    }

    pub(super) fn blank(role: Role, config: SessionConfig, call_id: String, local_tag: String) -> Session {
        Session {
            role,
            state: SessionState::Calling,
            config,
            call_id,
            local_tag,
            dialog: None,
            invite: None,
            offer: None,
            cancel_pending: false,
            cancelled: false,
            invite_final: false,
            bye_after_ack: false,
            invite_key: None,
            incoming: None,
            offerless: false,
            unacked: None,
            reinvite: None,
            glare: None,
            peer_reinvite: None,
            bye_seq: None,
            refer: None,
            session_interval: None,
            refreshing: false,
            last_local_body: None,
            rseq: 0,
            unacked_1xx: None,
            last_rseq: None,
            retried_422: false,
            min_se: super::MIN_SE,
            invite_headers: Vec::new(),
            www: None,
            proxy: None,
            challenges: 0,
            timers: Timers::default(),
            outbox: VecDeque::new(),
        }
    }

    /// Ends the call from our side: CANCEL while it rings (sent once a provisional response
    /// came, RFC 3261 §9.1), BYE once it is up (§15.1), or for an incoming call not yet
    /// answered a 603 Decline. Does nothing once ended.
    pub fn hangup(&mut self, now: Instant, rng: &mut impl RngCore) -> Result<(), SessionError> {
        match (self.role, self.state) {
            (_, SessionState::Terminated) => Ok(()),
            (Role::Caller, SessionState::Calling) => {
                self.cancel_pending = true;
                Ok(())
            }
            (Role::Caller, SessionState::Early) => {
                self.cancelled = true;
                self.outbox.push_back(Output::CancelInvite);
                Ok(())
            }
            (Role::Callee, SessionState::Calling | SessionState::Early) if self.invite_key.is_some() => {
                self.reject(now, 603)
            }
            (Role::Callee, SessionState::Confirmed) if self.unacked.as_ref().is_some_and(|u| !u.reinvite) => {
                // RFC 3261 §15: no BYE before the ACK of our 2xx (or its timeout).
                self.bye_after_ack = true;
                Ok(())
            }
            _ => {
                self.bye_seq = Some(self.send_in_dialog(Method::Bye, &None, rng)?);
                self.end(EndReason::LocalHangup);
                Ok(())
            }
        }
    }

    /// Sends a new offer in a re-INVITE (hold, resume, a new address; RFC 3261 §14.1,
    /// RFC 3264 §8). One at a time.
    pub fn reinvite(&mut self, body: Bytes, rng: &mut impl RngCore) -> Result<(), SessionError> {
        if self.state != SessionState::Confirmed || self.unacked.is_some() || self.peer_reinvite.is_some() {
            return Err(SessionError::InvalidState(self.state));
        }
        if self.reinvite.is_some() || self.glare.is_some() {
            return Err(SessionError::ReinvitePending);
        }
        self.remember_body(&Some(body.clone()));
        let body: Body = Some((super::SDP.to_owned(), body));
        self.challenges = 0;
        let extra = self.session_expires_header();
        let seq = self.send_in_dialog_with(Method::Invite, &extra, &body, rng)?;
        self.reinvite = Some((seq, body));
        Ok(())
    }

    /// Asks the peer to call `target` (blind transfer, RFC 3515 §2.4.1): a REFER with Refer-To
    /// and Referred-By. Its answer comes as [`SessionEvent::TransferAnswered`], its progress as
    /// NOTIFY requests with `message/sipfrag` bodies (RFC 3515 §2.4.5).
    pub fn refer(&mut self, target: &str, rng: &mut impl RngCore) -> Result<(), SessionError> {
        if self.state != SessionState::Confirmed {
            return Err(SessionError::InvalidState(self.state));
        }
        self.challenges = 0;
        let seq = self.send_refer(target, rng)?;
        self.refer = Some((seq, target.to_owned()));
        Ok(())
    }

    fn send_refer(&mut self, target: &str, rng: &mut impl RngCore) -> Result<u32, SessionError> {
        let referred_by = self.config.from.clone();
        let extra = [(HeaderName::ReferTo, format!("<{target}>")), (HeaderName::ReferredBy, referred_by)];
        self.send_in_dialog_with(Method::Refer, &extra, &None, rng)
    }

    /// A response to one of our requests (the transaction layer matched it; 2xx
    /// retransmissions and other forks' 2xx included, RFC 6026 §7.2).
    pub fn handle_response(&mut self, now: Instant, response: &Response, rng: &mut impl RngCore) {
        let Ok(Some(cseq)) = response.headers.typed::<CSeq>() else { return };
        let (seq, method) = (cseq.seq, cseq.method.to_owned());
        match method.as_str() {
            "INVITE" if self.reinvite.as_ref().is_some_and(|(s, _)| *s == seq) => {
                self.reinvite_response(now, seq, response, rng)
            }
            "INVITE" if self.role == Role::Caller => self.invite_response(now, response, seq, rng),
            "INVITE" if (200..300).contains(&response.status) => self.ack_again(seq, response, rng),
            "REFER" if self.refer.as_ref().is_some_and(|(s, _)| *s == seq) => self.refer_response(response, rng),
            "BYE"
                if matches!(response.status, 401 | 407)
                    && self.bye_seq == Some(seq)
                    && self.take_challenge(response) =>
            {
                self.bye_seq = self.send_in_dialog(Method::Bye, &None, rng).ok();
            }
            _ => {}
        }
    }

    /// Sends an INFO (RFC 6086) in the dialog with `body` of `content_type`, e.g. a DTMF key as
    /// `application/dtmf-relay` where RFC 4733 events were not negotiated.
    pub fn send_info(&mut self, content_type: &str, body: Bytes, rng: &mut impl RngCore) -> Result<(), SessionError> {
        if self.state != SessionState::Confirmed {
            return Err(SessionError::InvalidState(self.state));
        }
        self.send_in_dialog(Method::Info, &Some((content_type.to_owned(), body)), rng)?;
        Ok(())
    }

    /// Reports the progress of a REFER the peer sent us (RFC 3515 §2.4.4): a NOTIFY with
    /// `Event: refer` and a `message/sipfrag` body holding the status line of our call to the
    /// target (`SIP/2.0 100 Trying`, `SIP/2.0 200 OK`); `done` ends the implicit subscription.
    pub fn notify_refer(&mut self, status: u16, done: bool, rng: &mut impl RngCore) -> Result<(), SessionError> {
        let state = if done { "terminated;reason=noresource".to_owned() } else { "active;expires=60".to_owned() };
        let extra = [(HeaderName::Event, "refer".to_owned()), (HeaderName::SubscriptionState, state)];
        let frag = format!("SIP/2.0 {status} {}\r\n", crate::reason_phrase(status));
        let body = Some(("message/sipfrag;version=2.0".to_owned(), Bytes::from(frag)));
        self.send_in_dialog_with(Method::Notify, &extra, &body, rng)?;
        Ok(())
    }

    /// The answer to our REFER: a challenge is answered once more; else reported.
    fn refer_response(&mut self, response: &Response, rng: &mut impl RngCore) {
        let status = response.status;
        if status < 200 {
            return;
        }
        if matches!(status, 401 | 407) && self.take_challenge(response) {
            if let Some((_, target)) = self.refer.take() {
                if let Ok(seq) = self.send_refer(&target, rng) {
                    self.refer = Some((seq, target));
                }
            }
            return;
        }
        self.refer = None;
        self.event(SessionEvent::TransferAnswered { status });
    }

    /// A request of ours got no final response (timeout or transport error): an INVITE ends
    /// the call (RFC 3261 §13.2.2.1 via Timer B); a re-INVITE ends it with BYE (RFC 5057).
    pub fn handle_failure(&mut self, method: &Method, seq: u32, rng: &mut impl RngCore) {
        if *method != Method::Invite {
            return;
        }
        if self.reinvite.as_ref().is_some_and(|(s, _)| *s == seq) {
            self.reinvite = None;
            let _ = self.send_in_dialog(Method::Bye, &None, rng);
            self.end(EndReason::NoResponse);
        } else if self.role == Role::Caller && self.state != SessionState::Confirmed {
            let reason =
                if self.cancel_pending || self.cancelled { EndReason::LocalHangup } else { EndReason::NoResponse };
            self.end(reason);
        }
    }

    /// A response to our first INVITE (RFC 3261 §13.2.2).
    fn invite_response(&mut self, now: Instant, response: &Response, seq: u32, rng: &mut impl RngCore) {
        let status = response.status;
        self.invite_final |= status >= 200;
        match status {
            100 => {}
            101..=199 => self.provisional(response, rng),
            200..=299 => self.invite_accepted(now, response, seq, rng),
            401 | 407 if self.state != SessionState::Terminated && !self.cancelled && self.take_challenge(response) => {
                self.resend_invite(seq, rng)
            }
            422 if !self.retried_422 && self.state != SessionState::Terminated && !self.cancelled => {
                // RFC 4028 §7.3: ask again with the peer's Min-SE.
                self.retried_422 = true;
                let min_se =
                    response.headers.get(&HeaderName::MinSe).and_then(|v| v.split(';').next()?.trim().parse().ok());
                self.min_se = min_se.unwrap_or(super::MIN_SE).max(super::MIN_SE);
                self.resend_invite(seq, rng)
            }
            _ if self.state == SessionState::Terminated => {}
            _ if self.cancelled || self.cancel_pending => self.end(EndReason::LocalHangup),
            _ => {
                let reason = response.reason.to_string();
                self.end(EndReason::Rejected { status, reason })
            }
        }
    }

    /// A 1xx: an early dialog when it has a To tag; early media when it has SDP (RFC 3960).
    fn provisional(&mut self, response: &Response, _rng: &mut impl RngCore) {
        if self.state == SessionState::Terminated {
            if !self.cancelled {
                self.cancelled = true;
                self.outbox.push_back(Output::CancelInvite);
            }
            return;
        }
        if let (Some(invite), None) = (&self.invite, &self.dialog) {
            if DialogId::of_response(response).is_some() {
                self.dialog = Dialog::uac(invite, response, self.config.local, self.config.transport).ok();
            }
        }
        if self.dialog.is_some() || self.state == SessionState::Calling {
            self.state = SessionState::Early;
        }
        self.prack(response, _rng);
        let body = sdp_body(&response.headers, &response.body);
        self.event(SessionEvent::Progress { status: response.status, body });
        if self.cancel_pending {
            self.cancel_pending = false;
            self.cancelled = true;
            self.outbox.push_back(Output::CancelInvite);
        }
    }

    /// A 2xx to our first INVITE: ACK it; the first one confirms the call, a retransmission
    /// is ACKed again, another fork's is ACKed and ended with BYE (RFC 3261 §13.2.2.4); after
    /// our CANCEL lost the race, ACK and BYE (§9.1).
    fn invite_accepted(&mut self, now: Instant, response: &Response, seq: u32, rng: &mut impl RngCore) {
        let Some(invite) = self.invite.clone() else { return };
        let id = DialogId::of_response(response);
        let ours = self.dialog.as_ref().map(|d| d.id().clone());
        let confirmed = self.state == SessionState::Confirmed || self.state == SessionState::Terminated;
        if confirmed && ours.is_some() && id != ours {
            self.ack_and_bye_fork(&invite, response, seq, rng);
            return;
        }
        if confirmed {
            self.ack_again(seq, response, rng);
            return;
        }
        let same = ours.is_some() && id == ours;
        let dialog = if same { self.dialog.take() } else { None };
        let dialog = match dialog {
            Some(mut dialog) => {
                dialog.receive_response(response);
                Some(dialog)
            }
            None => Dialog::uac(&invite, response, self.config.local, self.config.transport).ok(),
        };
        let Some(mut dialog) = dialog else {
            self.end(EndReason::Failed);
            return;
        };
        dialog.confirm();
        if let Ok(ack) = dialog.ack(seq, rng) {
            self.outbox.push_back(Output::Ack(ack));
        }
        self.dialog = Some(dialog);
        self.state = SessionState::Confirmed;
        self.session_timer_from_2xx(now, response);
        if self.cancelled || self.cancel_pending {
            self.bye_seq = self.send_in_dialog(Method::Bye, &None, rng).ok();
            self.end(EndReason::LocalHangup);
        } else {
            self.event(SessionEvent::Answered { body: sdp_body(&response.headers, &response.body) });
        }
    }

    /// ACKs a retransmitted 2xx again (RFC 3261 §13.2.2.4, RFC 6026 §7.2).
    fn ack_again(&mut self, seq: u32, response: &Response, rng: &mut impl RngCore) {
        let ours = self.dialog.as_ref().map(|d| d.id().clone());
        if ours.is_none() || DialogId::of_response(response) != ours {
            return;
        }
        if let Some(Ok(ack)) = self.dialog.as_ref().map(|d| d.ack(seq, rng)) {
            self.outbox.push_back(Output::Ack(ack));
        }
    }

    /// A 2xx from a second fork after we settled on one: ACK it and end it with BYE.
    fn ack_and_bye_fork(
        &mut self,
        invite: &crate::message::Request,
        response: &Response,
        seq: u32,
        rng: &mut impl RngCore,
    ) {
        let Ok(mut fork) = Dialog::uac(invite, response, self.config.local, self.config.transport) else { return };
        if let Ok(ack) = fork.ack(seq, rng) {
            self.outbox.push_back(Output::Ack(ack));
        }
        if let Ok(bye) = fork.request(Method::Bye) {
            self.outbox.push_back(Output::Request(bye));
        }
    }

    /// Sends our INVITE again with credentials and the next CSeq (RFC 3261 §22.2).
    fn resend_invite(&mut self, seq: u32, rng: &mut impl RngCore) {
        let Some(invite) = &self.invite else { return };
        let target = invite.uri.to_string();
        let to = invite.headers.get(&HeaderName::To).unwrap_or_default().to_owned();
        match self.build_invite(&target, &to, seq.saturating_add(1), rng) {
            Ok(request) => {
                self.invite = Some(request.clone());
                self.outbox.push_back(Output::Request(request));
            }
            Err(_) => self.end(EndReason::Failed),
        }
    }

    /// Takes a 401/407 challenge; false when it cannot be answered or we answered too often.
    pub(super) fn take_challenge(&mut self, response: &Response) -> bool {
        let Some((user, password)) = self.config.credentials.clone() else { return false };
        if self.challenges >= MAX_CHALLENGES {
            return false;
        }
        let proxy = response.status == 407;
        let name = if proxy { HeaderName::ProxyAuthenticate } else { HeaderName::WwwAuthenticate };
        let challenge = response.headers.get_all(&name).take(16).find_map(|value| Challenge::parse(value).ok());
        let Some(challenge) = challenge else { return false };
        let slot = if proxy { &mut self.proxy } else { &mut self.www };
        let updated = match slot.as_mut() {
            Some(auth) if auth.realm() == challenge.realm => auth.update(&challenge).is_ok(),
            _ => match ClientAuth::new(user, password, &challenge) {
                Ok(auth) => {
                    *slot = Some(auth);
                    true
                }
                Err(_) => false,
            },
        };
        self.challenges += u8::from(updated);
        updated
    }

    /// A response to our re-INVITE (RFC 3261 §14.1).
    fn reinvite_response(&mut self, now: Instant, seq: u32, response: &Response, rng: &mut impl RngCore) {
        let status = response.status;
        match status {
            100..=199 => {}
            200..=299 => {
                if let Some(dialog) = self.dialog.as_mut() {
                    dialog.receive_response(response);
                }
                self.ack_again(seq, response, rng);
                self.reinvite = None;
                self.session_timer_from_2xx(now, response);
                if std::mem::take(&mut self.refreshing) {
                    return;
                }
                self.event(SessionEvent::ReofferAnswered { body: sdp_body(&response.headers, &response.body) });
            }
            401 | 407 if self.take_challenge(response) => {
                let body = self.reinvite.take().and_then(|(_, body)| body);
                if let Ok(seq) = self.send_in_dialog(Method::Invite, &body, rng) {
                    self.reinvite = Some((seq, body));
                }
            }
            491 => {
                // RFC 3261 §14.1: the owner of the Call-ID waits 2.1–4 s, the other 0–2 s.
                let (low, span) = if self.role == Role::Caller { (2100, 1900) } else { (0, 2000) };
                let wait = Duration::from_millis(low + rng.next_u64() % (span + 1));
                self.glare = self.reinvite.take().map(|(_, body)| body);
                self.timers.set(SessionTimer::GlareRetry, now.checked_add(wait).unwrap_or(now));
            }
            408 | 481 => {
                // RFC 5057 §5.1: the dialog is gone.
                self.reinvite = None;
                self.end(EndReason::Failed);
            }
            _ => {
                self.reinvite = None;
                self.event(SessionEvent::ReofferRejected { status });
            }
        }
    }

    /// The glare back-off ran out: send our re-INVITE again (RFC 3261 §14.1).
    pub(super) fn glare_retry(&mut self, rng: &mut impl RngCore) {
        if self.state != SessionState::Confirmed {
            return;
        }
        let Some(body) = self.glare.take() else { return };
        self.challenges = 0;
        let extra = self.session_expires_header();
        if let Ok(seq) = self.send_in_dialog_with(Method::Invite, &extra, &body, rng) {
            self.reinvite = Some((seq, body));
        }
    }
}
