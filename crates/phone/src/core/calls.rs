//! Calls in the core: INVITE sessions (RFC 3261 §13–15, `sip::session`) with SDP offer/answer
//! (RFC 3264, the `sdp` crate), placed with [`Core::dial`], taken with [`Core::answer`], put on
//! hold (RFC 3264 §8.4) and ended. The edge owns the RTP sockets: it gives the port it bound
//! and gets [`Output::Media`] for what to send where.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sdp::{accept_answer, answer_offer, make_offer, make_reoffer, Capabilities, Codec, Direction, LocalMedia};
use sdp::{NegotiatedAudio, SessionDescription};
use sip::dialog::DialogId;
use sip::header::CSeq;
use sip::session::{self, EndReason, Session, SessionConfig, SessionEvent, SessionState};
use sip::transaction::{TimerConfig, TransactionKey};
use sip::{HeaderName, Method, Request, Transport};

use super::transfer::split_uri_headers;
use super::{Core, CoreError, Output, Route};
use crate::config::AutoAnswer;

/// A call's number in this core, for the edge and the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallId(pub u64);

impl std::fmt::Display for CallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "call-{}", self.0)
    }
}

/// Where a call stands, as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallState {
    /// Our INVITE is on its way.
    Dialing,
    /// The far end rings (180), or plays early media (183 with SDP).
    Ringing {
        /// Early media is playing (RFC 3960).
        early_media: bool,
    },
    /// A call comes in and rings here.
    Incoming,
    /// Talking.
    Active,
    /// We put the call on hold (RFC 3264 §8.4).
    Held,
    /// The far end put us on hold.
    RemoteHold,
    /// Ended.
    Ended(EndReason),
}

/// One call as [`Core::calls`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallInfo {
    /// The call.
    pub id: CallId,
    /// The account it belongs to (its index in `Config::accounts`).
    pub account: usize,
    /// The far end: its display name and URI, `"Bob" <sip:2002@pbx>`.
    pub remote: String,
    /// True when we placed it.
    pub outgoing: bool,
    /// Where it stands.
    pub state: CallState,
    /// An incoming call the account's `auto_answer` says to answer at once (the edge answers
    /// it with [`Core::answer`]).
    pub auto_answer: bool,
    /// A VICIdial agent session (`auto_answer = "vicidial"`): the agent's session call from a
    /// trusted server whose caller-ID name matches the account's `agent_pattern`, or asking for
    /// auto-answer by header. It is answered at once, never held ([`CoreError::AgentSession`]:
    /// the edge mutes instead, so RTP keeps flowing), and its end without our hangup is an
    /// alarm ([`CallInfo::agent_session_lost`]).
    pub agent_session: bool,
}

impl CallInfo {
    /// True when this is an agent session that ended without our hangup: BYE from the far end,
    /// an expired session timer, no response or no ACK, a failure. The phone alerts the agent.
    pub fn agent_session_lost(&self) -> bool {
        let lost = |reason: &EndReason| {
            matches!(
                reason,
                EndReason::RemoteHangup
                    | EndReason::SessionExpired
                    | EndReason::NoResponse
                    | EndReason::NoAck
                    | EndReason::Failed
            )
        };
        self.agent_session && matches!(&self.state, CallState::Ended(reason) if lost(reason))
    }
}

/// How long an ended call is kept, for its last transactions (a challenged BYE).
const ENDED_LINGER: Duration = Duration::from_secs(32);

/// One call.
#[derive(Debug)]
pub(super) struct CallSlot {
    pub account: usize,
    pub session: Session,
    /// Where its requests and ACKs go: the registrar route it was placed on, or where its
    /// INVITE came from.
    pub peer: Route,
    pub remote: String,
    pub outgoing: bool,
    pub state: CallState,
    pub auto_answer: bool,
    pub agent_session: bool,
    /// Our SDP parameters: address, the edge's RTP port, o= id and version.
    pub local: Option<LocalMedia>,
    /// Our last session description sent (offer or answer).
    pub our_sdp: Option<SessionDescription>,
    /// The last negotiated audio.
    pub media: Option<NegotiatedAudio>,
    /// The INVITE client transaction (to CANCEL) or server transaction (to match a CANCEL).
    pub invite_key: Option<TransactionKey>,
    /// The call this one replaces (an INVITE with Replaces, RFC 3891): hung up once this one
    /// is answered.
    pub replaces: Option<CallId>,
    pub ended_at: Option<Instant>,
}

/// Where a direct call to `uri` goes: `sip:user@IP[:port]` (port 5060 when absent) dials that
/// address without any registrar (RFC 3261 §8.1.2 leaves the choice to the UA); `None` for a
/// URI whose host is a name.
pub fn direct_target(uri: &str) -> Option<SocketAddr> {
    let parsed = sip::uri::SipUri::parse(uri.trim()).ok()?;
    let ip: std::net::IpAddr = match parsed.host {
        sip::uri::Host::V4(ip) => ip.into(),
        sip::uri::Host::V6(ip) => ip.into(),
        _ => return None,
    };
    Some(SocketAddr::new(ip, parsed.port.unwrap_or(5060)))
}

impl CallSlot {
    /// The call as the edge and the UI see it; `auto_answer` only while it still rings.
    fn info(&self, id: CallId) -> CallInfo {
        CallInfo {
            id,
            account: self.account,
            remote: self.remote.clone(),
            outgoing: self.outgoing,
            state: self.state.clone(),
            auto_answer: self.auto_answer && self.state == CallState::Incoming,
            agent_session: self.agent_session,
        }
    }
}

/// Our codecs, most preferred first: G.722 wideband, G.711, then Opus (RFC 7587, with in-band
/// FEC) for peers that offer nothing else; and RFC 4733 events on the 8000 Hz clock.
pub fn capabilities() -> Capabilities {
    Capabilities::with_codecs(vec![Codec::g722(), Codec::pcmu(), Codec::pcma(), Codec::opus()])
}

/// The Request-URI for dialing `target` on an account whose domain is `domain`: a SIP or tel
/// URI as given; a number or user name at the account's domain.
pub fn dial_uri(target: &str, domain: &str) -> String {
    let target = target.trim();
    if target.starts_with("sip:") || target.starts_with("sips:") || target.starts_with("tel:") {
        target.to_owned()
    } else if target.contains('@') {
        format!("sip:{target}")
    } else {
        format!("sip:{target}@{domain}")
    }
}

impl Core {
    /// Calls `target` (a number, `user@host` or a SIP URI) from account `index`; our RTP
    /// comes from `media_port` (bound by the edge). The INVITE goes to the account's registrar
    /// route (RFC 3261 §8.1.2) with our SDP offer.
    pub fn dial(&mut self, now: Instant, index: usize, target: &str, media_port: u16) -> Result<CallId, CoreError> {
        let slot = self.slots.iter().position(|s| s.index == index).ok_or(CoreError::UnknownAccount(index))?;
        let started = self.slots[slot].started.as_ref().ok_or(CoreError::NotStarted(index))?;
        let account = &self.slots[slot].account;
        let (host, _) = sip::uri::Host::parse_with_port(&account.server).map_err(CoreError::BadServer)?;
        let uri = dial_uri(target, &host.to_string());
        let local_addr = started.routes[started.current].1.local;
        let peer = Route { to: started.target.addr, transport: started.target.transport, flow: started.flow };
        let contact = format!("<{}>", started.registration.contact_uri());
        let config = self.session_config(slot, local_addr, started.target.transport, contact);
        self.place_call(now, index, config, &uri, peer, local_addr, media_port)
    }

    /// Calls a SIP URI whose host is an IP address directly, without an account (a phone with
    /// no configuration yet, or two phones on one LAN): the INVITE goes to that address over
    /// UDP (the URI's port, else 5060), sent from `local`.
    pub fn dial_direct(
        &mut self,
        now: Instant,
        uri: &str,
        local: SocketAddr,
        media_port: u16,
    ) -> Result<CallId, CoreError> {
        let to = direct_target(uri).ok_or(CoreError::BadTarget)?;
        let peer = Route { to, transport: Transport::Udp, flow: None };
        let contact = format!("<sip:hardphone@{local}>");
        let config = self.anonymous_config(local, Transport::Udp, contact);
        self.place_call(now, usize::MAX, config, uri, peer, local, media_port)
    }

    /// Sends the INVITE of a new outgoing call with our SDP offer and reports it.
    #[allow(clippy::too_many_arguments)]
    fn place_call(
        &mut self,
        now: Instant,
        account: usize,
        config: SessionConfig,
        uri: &str,
        peer: Route,
        local_addr: SocketAddr,
        media_port: u16,
    ) -> Result<CallId, CoreError> {
        let local = LocalMedia::new(local_addr.ip(), media_port, self.rng_u64() >> 1, 1);
        let offer = make_offer(&capabilities(), &local).map_err(|_| CoreError::BadTarget)?;
        let body = Bytes::from(offer.to_string());
        // A URI with `?Replaces=...` (from an attended transfer's Refer-To, RFC 3891 §4) puts
        // that header in the INVITE; the Request-URI is the URI without it (RFC 3261 §19.1.5).
        let (uri, extra) = split_uri_headers(uri);
        let to = format!("<{uri}>");
        let session = Session::invite_with(config, &uri, &to, Some(body), extra, &mut self.rng)
            .map_err(|_| CoreError::BadTarget)?;
        let id = self.new_call_id();
        let call = CallSlot {
            account,
            session,
            peer,
            remote: to,
            outgoing: true,
            state: CallState::Dialing,
            auto_answer: false,
            agent_session: false,
            local: Some(local),
            our_sdp: Some(offer),
            media: None,
            invite_key: None,
            replaces: None,
            ended_at: None,
        };
        self.calls.insert(id, call);
        self.report_call(id);
        self.pump(now);
        Ok(id)
    }

    /// Answers incoming call `call`, our RTP on `media_port`.
    pub fn answer(&mut self, now: Instant, call: CallId, media_port: u16) -> Result<(), CoreError> {
        let slot = self.calls.get(&call).ok_or(CoreError::UnknownCall(call))?;
        if slot.state != CallState::Incoming {
            return Err(CoreError::CallState(call));
        }
        let local_ip = self.local_for(slot.peer.to).ip();
        let slot = self.calls.get_mut(&call).ok_or(CoreError::UnknownCall(call))?;
        let local = LocalMedia::new(local_ip, media_port, rand_like(call.0), 1);
        let result = match slot.session.remote_offer() {
            Some(offer) => SessionDescription::parse(&offer)
                .ok()
                .and_then(|offer| answer_offer(&offer, &capabilities(), &local).ok()),
            None => make_offer(&capabilities(), &local).ok().map(|offer| (offer, None)),
        };
        let Some((sdp, media)) = result else {
            let _ = slot.session.reject(now, 488);
            self.pump(now);
            return Ok(());
        };
        let body = Bytes::from(sdp.to_string());
        slot.local = Some(local);
        slot.our_sdp = Some(sdp);
        slot.session.accept(now, Some(body)).map_err(|_| CoreError::CallState(call))?;
        self.set_media(call, media);
        self.set_state(now, call, CallState::Active);
        self.pump(now);
        Ok(())
    }

    /// Refuses an incoming call with `status` (486 Busy Here, 603 Decline), or hangs up any
    /// call (CANCEL or BYE).
    pub fn reject(&mut self, now: Instant, call: CallId, status: u16) -> Result<(), CoreError> {
        let slot = self.calls.get_mut(&call).ok_or(CoreError::UnknownCall(call))?;
        slot.session.reject(now, status).map_err(|_| CoreError::CallState(call))?;
        self.pump(now);
        Ok(())
    }

    /// Ends call `call`: CANCEL while it rings out, 603 while it rings here, BYE once up.
    pub fn hangup(&mut self, now: Instant, call: CallId) -> Result<(), CoreError> {
        let slot = self.calls.get_mut(&call).ok_or(CoreError::UnknownCall(call))?;
        slot.session.hangup(now, &mut self.rng).map_err(|_| CoreError::CallState(call))?;
        self.pump(now);
        Ok(())
    }

    /// Puts call `call` on hold (`hold`) or takes it off (RFC 3264 §8.4: a re-INVITE offering
    /// sendonly, then sendrecv). An agent session is never held: [`CoreError::AgentSession`].
    pub fn set_hold(&mut self, now: Instant, call: CallId, hold: bool) -> Result<(), CoreError> {
        let slot = self.calls.get_mut(&call).ok_or(CoreError::UnknownCall(call))?;
        if slot.agent_session {
            return Err(CoreError::AgentSession(call));
        }
        let (Some(local), Some(previous)) = (slot.local.as_mut(), slot.our_sdp.as_ref()) else {
            return Err(CoreError::CallState(call));
        };
        local.direction = if hold { Direction::SendOnly } else { Direction::SendRecv };
        local.session_version += 1;
        let offer = make_reoffer(previous, &capabilities(), local).map_err(|_| CoreError::CallState(call))?;
        let body = Bytes::from(offer.to_string());
        slot.session.reinvite(body, &mut self.rng).map_err(|_| CoreError::CallState(call))?;
        slot.our_sdp = Some(offer);
        slot.state = if hold { CallState::Held } else { CallState::Active };
        self.report_call(call);
        self.pump(now);
        Ok(())
    }

    /// Sends DTMF `digits` on call `call` by SIP INFO (`application/dtmf-relay`, RFC 6086), the
    /// fallback when the stream has no RFC 4733 events; the edge sends them in RTP otherwise.
    pub fn send_dtmf_info(&mut self, now: Instant, call: CallId, digits: &str) -> Result<(), CoreError> {
        let slot = self.calls.get_mut(&call).ok_or(CoreError::UnknownCall(call))?;
        for digit in digits.chars().filter(|c| c.is_ascii_digit() || "*#ABCDabcd".contains(*c)) {
            let body = Bytes::from(format!("Signal={}\r\nDuration=160\r\n", digit.to_ascii_uppercase()));
            slot.session
                .send_info("application/dtmf-relay", body, &mut self.rng)
                .map_err(|_| CoreError::CallState(call))?;
        }
        self.pump(now);
        Ok(())
    }

    /// Our address for calls no account route leads to (direct calls to and from a phone with
    /// no account): the edge's listening address, or its default route's source address.
    pub fn set_fallback_local(&mut self, local: SocketAddr) {
        self.fallback_local = Some(local);
    }

    /// Every call, ended ones included until they are forgotten.
    pub fn calls(&self) -> Vec<CallInfo> {
        self.calls.iter().map(|(id, call)| call.info(*id)).collect()
    }

    /// The call `call` replaces (it came with a Replaces header naming that dialog, RFC 3891
    /// §3): the edge answers it at once, whatever else is going on, as the transfer completes.
    pub fn replaces(&self, call: CallId) -> Option<CallId> {
        self.calls.get(&call).and_then(|slot| slot.replaces)
    }

    /// A new INVITE outside any dialog: a call comes in on the account it names (the
    /// Request-URI's user), rings (180), and is reported [`CallState::Incoming`].
    pub(super) fn incoming_call(&mut self, now: Instant, key: TransactionKey, request: &Request, route: Route) {
        let account = self.account_for(request);
        let (slot, contact) = match account.and_then(|slot| self.slots[slot].started.as_ref().map(|s| (slot, s))) {
            Some((slot, started)) => (Some(slot), format!("<{}>", started.registration.contact_uri())),
            None => (None, format!("<sip:{}>", self.local_for(route.to))),
        };
        let local = self.local_for(route.to);
        let config = match slot {
            Some(slot) => self.session_config(slot, local, route.transport, contact),
            None => self.anonymous_config(local, route.transport, contact),
        };
        let session = match Session::incoming(config, key.clone(), request, &mut self.rng) {
            Ok(session) => session,
            Err(_) => {
                let response = sip::reply(request, 400, "Bad Request", Some("x"));
                let _ = self.layer.respond(now, &key, response);
                return;
            }
        };
        let remote = request.headers.get(&HeaderName::From).map(strip_tag).unwrap_or_default();
        let agent_session = slot.is_some_and(|slot| self.is_agent_session(slot, request, route));
        let id = self.new_call_id();
        let mut call = CallSlot {
            account: slot.map(|s| self.slots[s].index).unwrap_or(usize::MAX),
            session,
            peer: route,
            remote,
            outgoing: false,
            state: CallState::Incoming,
            auto_answer: slot.is_some_and(|slot| match self.slots[slot].account.auto_answer {
                AutoAnswer::Off => false,
                AutoAnswer::Header => asks_for_auto_answer(request),
                AutoAnswer::Vicidial => agent_session,
                AutoAnswer::Always => true,
            }),
            agent_session,
            local: None,
            our_sdp: None,
            media: None,
            invite_key: Some(key),
            replaces: None,
            ended_at: None,
        };
        if request.headers.get(&HeaderName::Replaces).is_some() {
            // RFC 3891 §3: an INVITE replacing one of our dialogs takes its place at once; one
            // naming no dialog of ours is refused with 481.
            match self.replaced_call(request) {
                Some(old) => {
                    call.replaces = Some(old);
                    call.auto_answer = true;
                }
                None => {
                    let _ = call.session.reject(now, 481);
                    self.calls.insert(id, call);
                    return;
                }
            }
        }
        let _ = call.session.ring(now, None);
        self.calls.insert(id, call);
        self.report_call(id);
    }

    /// The call a request in a dialog belongs to.
    pub(super) fn call_of_request(&self, request: &Request) -> Option<CallId> {
        let id = DialogId::of_request(request)?;
        self.calls.iter().find(|(_, c)| c.session.dialog_id() == Some(&id)).map(|(id, _)| *id)
    }

    /// The call whose INVITE server transaction is `key` (for a CANCEL).
    pub(super) fn call_of_invite(&self, key: &TransactionKey) -> Option<CallId> {
        self.calls.iter().find(|(_, c)| c.invite_key.as_ref() == Some(key)).map(|(id, _)| *id)
    }

    /// The call with this Call-ID (for a 2xx retransmission that outlived its transaction).
    pub(super) fn call_of_call_id(&self, call_id: &str) -> Option<CallId> {
        self.calls.iter().find(|(_, c)| c.session.call_id() == call_id).map(|(id, _)| *id)
    }

    /// Drains call sessions into the transaction layer and the outbox; true when anything moved.
    pub(super) fn pump_calls(&mut self, now: Instant) -> bool {
        let mut busy = false;
        let ids: Vec<CallId> = self.calls.keys().copied().collect();
        for id in ids {
            while let Some(output) = self.calls.get_mut(&id).and_then(|c| c.session.poll_output()) {
                busy = true;
                self.on_session_output(now, id, output);
            }
        }
        busy
    }

    fn on_session_output(&mut self, now: Instant, id: CallId, output: session::Output) {
        let Some(call) = self.calls.get(&id) else { return };
        let peer = call.peer;
        match output {
            session::Output::Request(request) => {
                let (method, seq) = (request.method.clone(), cseq(&request));
                match self.layer.send_request(now, request, peer.transport, &mut self.rng) {
                    Ok(key) => {
                        if method == Method::Invite {
                            // Our first INVITE (or its challenged resend) is the one a CANCEL cancels.
                            let initial = |c: &&mut CallSlot| {
                                c.outgoing && matches!(c.session.state(), SessionState::Calling | SessionState::Early)
                            };
                            if let Some(call) = self.calls.get_mut(&id).filter(initial) {
                                call.invite_key = Some(key.clone());
                            }
                        }
                        self.call_clients.insert(key, (id, method, seq));
                    }
                    Err(_) => {
                        if let Some(call) = self.calls.get_mut(&id) {
                            call.session.handle_failure(&method, seq, &mut self.rng);
                        }
                    }
                }
            }
            session::Output::Respond { key, response } => {
                let _ = self.layer.respond(now, &key, response);
            }
            session::Output::Ack(ack) => self.transmit_to(peer, None, Bytes::from(ack.to_bytes())),
            session::Output::CancelInvite => {
                let key = self.calls.get(&id).and_then(|c| c.invite_key.clone());
                if let Some(Ok(cancel)) = key.map(|key| self.layer.cancel(now, &key)) {
                    self.call_clients.insert(cancel, (id, Method::Cancel, 0));
                }
            }
            session::Output::Event(event) => self.on_session_event(now, id, event),
            _ => {}
        }
    }

    fn on_session_event(&mut self, now: Instant, id: CallId, event: SessionEvent) {
        match event {
            SessionEvent::Progress { body, .. } => {
                let media = body.and_then(|body| self.take_answer(id, &body));
                let early_media = media.is_some();
                if early_media {
                    self.set_media(id, media);
                }
                self.set_state(now, id, CallState::Ringing { early_media });
            }
            SessionEvent::Answered { body } => {
                if let Some(body) = body {
                    let media = self.take_answer(id, &body);
                    self.set_media(id, media);
                }
                self.set_state(now, id, CallState::Active);
            }
            SessionEvent::Reoffer { body } => self.answer_reoffer(now, id, body),
            SessionEvent::ReofferAnswered { body: Some(body) } => {
                let media = self.take_answer(id, &body);
                self.set_media(id, media);
            }
            SessionEvent::Request { key, request } => self.in_dialog_request(now, id, key, &request),
            SessionEvent::Ended(reason) => {
                if let Some(call) = self.calls.get_mut(&id) {
                    call.ended_at = Some(now);
                }
                self.set_media(id, None);
                self.set_state(now, id, CallState::Ended(reason));
            }
            _ => {}
        }
    }

    /// The peer's answer `body` to our last offer: the negotiated audio, or `None` when
    /// unusable (the call goes on without media rather than being torn down).
    fn take_answer(&mut self, id: CallId, body: &Bytes) -> Option<NegotiatedAudio> {
        let call = self.calls.get(&id)?;
        let answer = SessionDescription::parse(body).ok()?;
        accept_answer(call.our_sdp.as_ref()?, &answer).ok().flatten()
    }

    /// The peer re-offers (hold, resume, a new address): answer from the same port, or 488.
    fn answer_reoffer(&mut self, now: Instant, id: CallId, body: Option<Bytes>) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        let Some(local) = call.local.as_mut() else {
            let _ = call.session.reject_reoffer(488);
            return;
        };
        local.session_version += 1;
        local.direction = if call.state == CallState::Held { Direction::SendOnly } else { Direction::SendRecv };
        let negotiated = match body.and_then(|b| SessionDescription::parse(&b).ok()) {
            Some(offer) => answer_offer(&offer, &capabilities(), local).ok(),
            None => make_offer(&capabilities(), local).ok().map(|o| (o, None)),
        };
        let Some((sdp, media)) = negotiated else {
            let _ = call.session.reject_reoffer(488);
            return;
        };
        let body = Bytes::from(sdp.to_string());
        call.our_sdp = Some(sdp);
        let _ = call.session.answer_reoffer(now, body);
        let remote_hold = media.as_ref().is_some_and(|m| m.held_by_peer);
        let state = match (&call.state, remote_hold) {
            (CallState::Held, _) => CallState::Held,
            (_, true) => CallState::RemoteHold,
            (_, false) => CallState::Active,
        };
        self.set_media(id, media);
        self.set_state(now, id, state);
    }

    fn set_media(&mut self, id: CallId, media: Option<NegotiatedAudio>) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        if call.media == media {
            return;
        }
        call.media = media.clone();
        self.outbox.push_back(Output::Media { call: id, media });
    }

    fn set_state(&mut self, now: Instant, id: CallId, state: CallState) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        if call.state != state {
            call.state = state.clone();
            let replaced = if state == CallState::Active { call.replaces.take() } else { None };
            self.report_call(id);
            self.transfer_progress(id, &state);
            if let Some(old) = replaced.and_then(|old| self.calls.get_mut(&old)) {
                let _ = old.session.hangup(now, &mut self.rng);
            }
        }
    }

    fn report_call(&mut self, id: CallId) {
        let Some(call) = self.calls.get(&id) else { return };
        let info = call.info(id);
        self.outbox.push_back(Output::Call(info));
    }

    /// Forgets calls ended more than [`ENDED_LINGER`] ago.
    pub(super) fn forget_ended_calls(&mut self, now: Instant) {
        let forget: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| c.ended_at.is_some_and(|at| now.saturating_duration_since(at) >= ENDED_LINGER))
            .map(|(id, _)| *id)
            .collect();
        for id in forget {
            self.calls.remove(&id);
            self.call_clients.retain(|_, (call, ..)| *call != id);
        }
    }

    /// The earliest timer of the calls (their sessions, and forgetting ended ones).
    pub(super) fn calls_timeout(&self) -> Option<Instant> {
        let sessions = self.calls.values().filter_map(|c| c.session.poll_timeout());
        let linger = self.calls.values().filter_map(|c| c.ended_at.and_then(|at| at.checked_add(ENDED_LINGER)));
        sessions.chain(linger).min()
    }

    /// Fires the calls' timers.
    pub(super) fn calls_handle_timeout(&mut self, now: Instant) {
        for call in self.calls.values_mut() {
            call.session.handle_timeout(now, &mut self.rng);
        }
        self.forget_ended_calls(now);
    }

    fn new_call_id(&mut self) -> CallId {
        self.next_call += 1;
        CallId(self.next_call)
    }

    fn rng_u64(&mut self) -> u64 {
        rand_core::RngCore::next_u64(&mut self.rng)
    }

    fn session_config(&self, slot: usize, local: SocketAddr, transport: Transport, contact: String) -> SessionConfig {
        let account = &self.slots[slot].account;
        let host = sip::uri::Host::parse_with_port(&account.server).map(|(h, _)| h.to_string()).unwrap_or_default();
        let display =
            account.display_name.as_deref().map(|d| format!("\"{}\" ", d.replace('"', ""))).unwrap_or_default();
        SessionConfig {
            local,
            transport,
            contact,
            from: format!("{display}<sip:{}@{host}>", account.user),
            credentials: Some((account.auth_user().to_owned(), account.password.expose().to_owned())),
            user_agent: Some(self.settings.user_agent.clone()).filter(|a| !a.is_empty()),
            timers: TimerConfig::default(),
        }
    }

    fn anonymous_config(&self, local: SocketAddr, transport: Transport, contact: String) -> SessionConfig {
        SessionConfig {
            local,
            transport,
            contact,
            from: format!("<sip:hardphone@{}>", local.ip()),
            credentials: None,
            user_agent: Some(self.settings.user_agent.clone()).filter(|a| !a.is_empty()),
            timers: TimerConfig::default(),
        }
    }

    /// The started account slot an incoming request is for: the one whose user is the
    /// Request-URI's (or To's) user, else the first started one.
    pub(super) fn account_for(&self, request: &Request) -> Option<usize> {
        let user = request.uri().ok().and_then(|uri| uri.as_sip().and_then(|s| s.user.map(str::to_owned)));
        let started = |i: &usize| self.slots[*i].started.is_some() && self.slots[*i].index != super::RETIRED;
        let by_user =
            (0..self.slots.len()).filter(started).find(|i| Some(&self.slots[*i].account.user) == user.as_ref());
        by_user.or_else(|| (0..self.slots.len()).find(started))
    }

    /// Our address towards `peer`: the local address of an account route to it, else of the
    /// first route of any account, else unspecified.
    fn local_for(&self, peer: SocketAddr) -> SocketAddr {
        let routes = self.slots.iter().filter_map(|s| s.started.as_ref()).flat_map(|s| s.routes.iter());
        let mut first = None;
        for (_, located) in routes {
            if located.target.addr.ip() == peer.ip() {
                return located.local;
            }
            first = first.or(Some(located.local));
        }
        first.or(self.fallback_local).unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }
}

/// True when an INVITE asks to be answered without ringing: Call-Info with `answer-after`
/// (Polycom/Yealink intercom), Alert-Info `info=alert-autoanswer`, `Ring Answer` or
/// `Auto Answer`, or `Answer-Mode: Auto` (RFC 5373 §4).
pub fn asks_for_auto_answer(request: &Request) -> bool {
    let h = &request.headers;
    let has = |name: &str, needle: &str| {
        h.get_all(&HeaderName::from_bytes(name)).any(|v| v.to_ascii_lowercase().contains(needle))
    };
    has("Call-Info", "answer-after")
        || has("Alert-Info", "alert-autoanswer")
        || has("Alert-Info", "ring answer")
        || has("Alert-Info", "auto answer")
        || h.get_all(&HeaderName::from_bytes("Answer-Mode")).any(|v| v.trim().to_ascii_lowercase().starts_with("auto"))
}

/// A header value without its tag parameter.
pub(super) fn strip_tag(value: &str) -> String {
    match sip::header::NameAddr::parse(value) {
        Ok(addr) => match addr.display_name {
            Some(name) => format!("{name} <{}>", addr.uri_text),
            None => format!("<{}>", addr.uri_text),
        },
        Err(_) => value.to_owned(),
    }
}

fn cseq(request: &Request) -> u32 {
    request.headers.typed::<CSeq>().ok().flatten().map(|c| c.seq).unwrap_or(0)
}

/// An SDP session id derived from the call number (unique per call in this core).
fn rand_like(n: u64) -> u64 {
    n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 1
}
