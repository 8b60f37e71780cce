//! INVITE sessions (RFC 3261 §13–§15): one call's signalling, sans-IO, from either side.
//!
//! A [`Session`] is made by [`Session::invite`] (we call) or [`Session::incoming`] (we are
//! called). It sits above the transaction layer: it yields requests to send in new client
//! transactions ([`Output::Request`]), responses for server transactions ([`Output::Respond`]),
//! ACKs of 2xx responses, sent outside any transaction ([`Output::Ack`], RFC 3261 §13.2.2.4),
//! and what happened ([`Output::Event`]). The caller (the phone's core) hands it the responses
//! and requests of its dialog and calls [`Session::handle_timeout`] at
//! [`Session::poll_timeout`].
//!
//! Bodies (SDP) are opaque here: the session carries offers and answers (RFC 3264) and reports
//! them; the phone negotiates them. Covered: 1xx/early dialogs, 2xx retransmission until the
//! ACK and the ACK of every 2xx retransmission (RFC 6026), CANCEL (also before the first 1xx,
//! and the CANCEL/200 race: ACK then BYE), BYE from either side, re-INVITE both ways with 491
//! glare back-off (RFC 3261 §14.1), digest challenges on INVITE and BYE, 2xx from a second fork
//! (ACK and BYE it), and offerless INVITE (offer in the 2xx, answer in the ACK).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand_core::RngCore;

use crate::dialog::{Dialog, DialogId};
use crate::digest::ClientAuth;
use crate::message::{Request, Response};
use crate::transaction::{TimerConfig, TransactionKey};
use crate::transport::Transport;

mod build;
mod client;
mod extensions;
mod server;

pub use extensions::{has_option_tag, session_expires, Refresher, MIN_SE, SESSION_EXPIRES};
#[cfg(test)]
mod tests;

/// The SDP content type (RFC 4566 §8.1).
pub const SDP: &str = "application/sdp";

/// What a session needs to know about us.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Our Via sent-by address.
    pub local: SocketAddr,
    /// The transport requests go over.
    pub transport: Transport,
    /// Our Contact value, `<sip:1001@192.0.2.10:5060>`.
    pub contact: String,
    /// Our address-of-record as a From value without tag, `"Desk" <sip:1001@pbx.example.com>`.
    pub from: String,
    /// The digest user name and password for challenges to our requests (RFC 3261 §22.2).
    pub credentials: Option<(String, String)>,
    /// The User-Agent value, if any.
    pub user_agent: Option<String>,
    /// Transaction timers, for the 2xx retransmission of RFC 3261 §13.3.1.4.
    pub timers: TimerConfig,
}

impl std::fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionConfig")
            .field("local", &self.local)
            .field("transport", &self.transport)
            .field("contact", &self.contact)
            .field("from", &self.from)
            .field("credentials", &self.credentials.as_ref().map(|(user, _)| (user, "<redacted>")))
            .finish_non_exhaustive()
    }
}

/// Where a session stands (RFC 3261 §13, §15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// Our INVITE is on its way; no provisional response with a tag yet (caller), or the
    /// INVITE arrived and is not answered yet (callee).
    Calling,
    /// An early dialog: a 1xx with a To tag was received or sent.
    Early,
    /// The 2xx was sent or received: the call is up.
    Confirmed,
    /// Ended: see [`EndReason`].
    Terminated,
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EndReason {
    /// We hung up (BYE sent) or cancelled our INVITE.
    LocalHangup,
    /// The peer sent BYE.
    RemoteHangup,
    /// The peer cancelled its INVITE before we answered (RFC 3261 §9.2).
    Cancelled,
    /// The call was refused with this final status (486 busy, 603 decline, 404 ...).
    Rejected {
        /// The status.
        status: u16,
        /// The reason phrase.
        reason: String,
    },
    /// We refused the incoming call with this status.
    Declined {
        /// The status we sent.
        status: u16,
    },
    /// No final response came (Timer B), or the transport failed.
    NoResponse,
    /// Our 2xx was never acknowledged (RFC 3261 §13.3.1.4): BYE sent.
    NoAck,
    /// The peer answered with a body we could not use, or an error made us end the call.
    Failed,
    /// The peer stopped refreshing the session (RFC 4028 §10): BYE sent.
    SessionExpired,
}

/// What a session reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// A provisional response (180 ringing, 183 progress), with its body when it carries an
    /// SDP answer (early media, RFC 3960).
    Progress {
        /// The status, 101..=199.
        status: u16,
        /// The SDP, if any.
        body: Option<Bytes>,
    },
    /// The call is answered (caller: 2xx received; callee: our 2xx was acknowledged). `body`
    /// is the peer's SDP from the 2xx (caller) or the ACK (callee of an offerless INVITE).
    Answered {
        /// The peer's SDP, if that message had one.
        body: Option<Bytes>,
    },
    /// The peer sent a new offer in a re-INVITE (hold, resume, address change): answer it
    /// with [`Session::answer_reoffer`] or refuse with [`Session::reject_reoffer`].
    Reoffer {
        /// The peer's SDP; `None` for an offerless re-INVITE (we must offer in the 2xx).
        body: Option<Bytes>,
    },
    /// The answer to our re-INVITE arrived (2xx); the new session description holds.
    ReofferAnswered {
        /// The peer's SDP answer.
        body: Option<Bytes>,
    },
    /// Our re-INVITE was refused (not 491, which is retried): the previous description holds.
    ReofferRejected {
        /// The status.
        status: u16,
    },
    /// A request inside the dialog the session does not handle itself (INFO, MESSAGE, REFER,
    /// NOTIFY, UPDATE): the phone answers it with [`Session::respond`].
    Request {
        /// The server transaction.
        key: TransactionKey,
        /// The request.
        request: Box<Request>,
    },
    /// Our REFER (blind transfer, RFC 3515) was accepted (2xx) or refused (`status` ≥ 300);
    /// its progress then comes in NOTIFYs (reported as [`SessionEvent::Request`]).
    TransferAnswered {
        /// The REFER's final status.
        status: u16,
    },
    /// The session ended.
    Ended(EndReason),
}

/// What [`Session::poll_output`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// Send this request in a new client transaction to the session's peer.
    Request(Request),
    /// Send this response in server transaction `key` (again, for a 2xx retransmission).
    Respond {
        /// The server transaction.
        key: TransactionKey,
        /// The response.
        response: Response,
    },
    /// Send this ACK to the session's peer outside any transaction (RFC 3261 §13.2.2.4).
    Ack(Request),
    /// Cancel the INVITE client transaction of this session (RFC 3261 §9.1).
    CancelInvite,
    /// Something happened.
    Event(SessionEvent),
}

/// Calls on a session that its state does not allow: our caller's mistake.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// Not allowed in the current state (answer a call twice, re-INVITE before the call is up,
    /// ...).
    #[error("not allowed in state {0:?}")]
    InvalidState(SessionState),
    /// A re-INVITE of ours is still outstanding (RFC 3261 §14.1: one at a time).
    #[error("a re-INVITE is outstanding")]
    ReinvitePending,
    /// A request or response could not be built from the given values.
    #[error("message not built: {0}")]
    Build(#[from] crate::error::BuildError),
    /// The incoming request cannot start a session (no Call-ID, From tag, Contact ...).
    #[error("cannot start a session: {0}")]
    Dialog(#[from] crate::dialog::DialogError),
}

/// The session's timers (one table, RFC 3261 §13.3.1.4 and §14.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SessionTimer {
    /// Retransmit our 2xx to an INVITE (T1 doubling to T2) until the ACK comes.
    Retransmit2xx,
    /// Give up waiting for the ACK of our 2xx (64·T1): BYE and end.
    AckTimeout,
    /// Send our re-INVITE again after a 491 (RFC 3261 §14.1).
    GlareRetry,
    /// Refresh the session (RFC 4028 §7.4), when we are the refresher.
    SessionRefresh,
    /// The peer's refresh is overdue (RFC 4028 §10): BYE.
    SessionExpiry,
    /// Send our reliable provisional response again (RFC 3262 §3).
    Retransmit1xx,
    /// No PRACK came (RFC 3262 §3): reject the INVITE.
    PrackTimeout,
}

impl SessionTimer {
    /// How many timers there are.
    pub const COUNT: usize = 7;
    /// All timers, in firing priority order.
    pub const ALL: [SessionTimer; SessionTimer::COUNT] = [
        SessionTimer::AckTimeout,
        SessionTimer::PrackTimeout,
        SessionTimer::Retransmit2xx,
        SessionTimer::Retransmit1xx,
        SessionTimer::GlareRetry,
        SessionTimer::SessionExpiry,
        SessionTimer::SessionRefresh,
    ];
}

#[derive(Debug, Clone, Default)]
struct Timers([Option<Instant>; SessionTimer::COUNT]);

impl Timers {
    fn set(&mut self, timer: SessionTimer, at: Instant) {
        self.0[timer as usize] = Some(at);
    }
    fn clear(&mut self, timer: SessionTimer) {
        self.0[timer as usize] = None;
    }
    fn next(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }
    fn take_due(&mut self, now: Instant) -> Option<SessionTimer> {
        let timer = SessionTimer::ALL.into_iter().find(|t| self.0[*t as usize].is_some_and(|at| at <= now))?;
        self.0[timer as usize] = None;
        Some(timer)
    }
}

/// Which side of the call we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// We sent the INVITE.
    Caller,
    /// We received it.
    Callee,
}

/// A 2xx of ours waiting for its ACK (RFC 3261 §13.3.1.4).
#[derive(Debug, Clone)]
struct Unacked {
    key: TransactionKey,
    response: Response,
    interval: Duration,
    /// True for the 2xx of a re-INVITE.
    reinvite: bool,
    /// True when our 2xx carried the offer (offerless INVITE): the ACK brings the answer.
    offer_in_2xx: bool,
}

/// One INVITE session: see the module documentation.
#[derive(Debug)]
pub struct Session {
    role: Role,
    state: SessionState,
    config: SessionConfig,
    call_id: String,
    local_tag: String,
    /// Our dialog, once a 1xx/2xx with a tag came (caller) or from the INVITE (callee).
    dialog: Option<Dialog>,
    /// Caller: our INVITE as last sent (for CANCEL, challenges, the dialog).
    invite: Option<Request>,
    /// Caller: the body of our offer, for a challenged resend.
    offer: Option<(String, Bytes)>,
    /// Caller: hang up once the first provisional response arrives (CANCEL must wait).
    cancel_pending: bool,
    /// Caller: CANCEL sent; a 2xx that still comes gets ACK then BYE.
    cancelled: bool,
    /// Caller: a final response to our INVITE arrived.
    invite_final: bool,
    /// Callee: we hung up while our 2xx waits for its ACK; BYE once it comes (RFC 3261 §15).
    bye_after_ack: bool,
    /// Callee: the INVITE's server transaction, until its final response.
    invite_key: Option<TransactionKey>,
    /// Callee: the INVITE request (for responses).
    incoming: Option<Request>,
    /// Callee: true when the INVITE had no offer.
    offerless: bool,
    unacked: Option<Unacked>,
    /// Our re-INVITE awaiting its final response: its CSeq and body.
    reinvite: Option<(u32, Option<(String, Bytes)>)>,
    /// Our re-INVITE refused with 491, to send again when [`SessionTimer::GlareRetry`] fires.
    glare: Option<Option<(String, Bytes)>>,
    /// The peer's re-INVITE we must answer: its server transaction and request.
    peer_reinvite: Option<(TransactionKey, Request)>,
    /// The CSeq of our outstanding BYE, if any.
    bye_seq: Option<u32>,
    /// Our outstanding REFER: its CSeq and Refer-To target (resent on a challenge).
    refer: Option<(u32, String)>,
    /// The session timer in force: interval in seconds, and whether we refresh (RFC 4028).
    session_interval: Option<(u32, bool)>,
    /// Our outstanding re-INVITE is a session refresh (its answer is no news).
    refreshing: bool,
    /// The session description we sent last (offer or answer), for refreshes.
    last_local_body: Option<Bytes>,
    /// Our last RSeq (RFC 3262 §3), and our reliable provisional response awaiting its PRACK
    /// with the current retransmission interval.
    rseq: u32,
    unacked_1xx: Option<(crate::message::Response, Duration)>,
    /// The highest RSeq we PRACKed (RFC 3262 §4).
    last_rseq: Option<u32>,
    /// A 422 was answered once with a larger Session-Expires (RFC 4028 §7.3).
    retried_422: bool,
    /// The smallest session interval we offer (raised by a 422's Min-SE).
    min_se: u32,
    /// Extra header fields of our INVITE (Replaces).
    invite_headers: Vec<(crate::name::HeaderName, String)>,
    www: Option<ClientAuth>,
    proxy: Option<ClientAuth>,
    /// Challenges answered for the current request, so a refused password is no loop.
    challenges: u8,
    timers: Timers,
    outbox: VecDeque<Output>,
}

impl Session {
    /// Which side we are.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Where the session stands.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// The Call-ID.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Our tag (From tag as caller, To tag as callee).
    pub fn local_tag(&self) -> &str {
        &self.local_tag
    }

    /// The dialog, once there is one.
    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }

    /// The session timer in force (RFC 4028): the interval in seconds and whether we refresh.
    pub fn session_timer(&self) -> Option<(u32, bool)> {
        self.session_interval
    }

    /// The dialog id, once there is one.
    pub fn dialog_id(&self) -> Option<&DialogId> {
        self.dialog.as_ref().map(Dialog::id)
    }

    /// The next thing to send or report.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outbox.pop_front()
    }

    /// When [`Session::handle_timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// Fires the timers due by `now`.
    pub fn handle_timeout(&mut self, now: Instant, rng: &mut impl RngCore) {
        for _ in 0..SessionTimer::COUNT {
            let Some(timer) = self.timers.take_due(now) else { return };
            match timer {
                SessionTimer::Retransmit2xx => self.retransmit_2xx(now),
                SessionTimer::AckTimeout => self.ack_timeout(rng),
                SessionTimer::GlareRetry => self.glare_retry(rng),
                SessionTimer::SessionRefresh => self.refresh_session(rng),
                SessionTimer::SessionExpiry => self.session_expired(rng),
                SessionTimer::Retransmit1xx => self.retransmit_1xx(now),
                SessionTimer::PrackTimeout => self.prack_timeout(now),
            }
        }
    }

    fn event(&mut self, event: SessionEvent) {
        self.outbox.push_back(Output::Event(event));
    }

    fn end(&mut self, reason: EndReason) {
        if self.role == Role::Caller && self.state == SessionState::Early && !self.invite_final && !self.cancelled {
            // Ended before our INVITE got a final response (a BYE in the early dialog): CANCEL
            // it, so that its transaction ends too.
            self.cancelled = true;
            self.outbox.push_back(Output::CancelInvite);
        }
        if self.state != SessionState::Terminated {
            self.state = SessionState::Terminated;
            self.timers = Timers::default();
            self.event(SessionEvent::Ended(reason));
        }
    }
}

/// `count` random bytes as lower-case hex.
fn random_hex(rng: &mut impl RngCore, count: usize) -> String {
    (0..count).map(|_| format!("{:02x}", rng.next_u32() as u8)).collect()
}
