//! SIP transactions (RFC 3261 §17, updated by RFC 6026 and RFC 4320), sans-IO.
//!
//! A [`TransactionLayer`] owns every client and server transaction of a user agent. The edge feeds
//! it received messages and transport errors with the current time
//! ([`TransactionLayer::handle_input`]), the TU sends requests ([`TransactionLayer::send_request`])
//! and responses ([`TransactionLayer::respond`]), and after any of these the edge drains
//! [`TransactionLayer::poll_output`] (messages to transmit, events for the TU) and sleeps until
//! [`TransactionLayer::poll_timeout`]. Nothing here reads a clock, touches a socket or draws global
//! randomness: branches come from the caller's seeded RNG.
//!
//! Each transaction keeps its timers in one table indexed by [`Timer`]; the layer's timeout is the
//! earliest timer of any transaction. Terminated transactions are removed at once and reported
//! with [`Event::Terminated`].

pub use crate::transport::Transport;
use std::time::{Duration, Instant};

use crate::error::{BuildError, HeaderError};
use crate::message::{Message, Request, Response};

mod build;
mod client;
mod key;
mod layer;
mod server;
mod timer;

pub use build::{build_ack, build_cancel};
pub use key::{Role, TransactionKey};
pub use layer::TransactionLayer;
pub use timer::Timer;

/// The timer base values of RFC 3261 §17.1.1.1 and Table 4 (§A).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// T1, the round-trip time estimate (RFC 3261 §17.1.1.1): 500 ms by default.
    pub t1: Duration,
    /// T2, the longest retransmission interval of non-INVITE requests and INVITE responses
    /// (RFC 3261 §17.1.2.2): 4 s by default.
    pub t2: Duration,
    /// T4, how long a message may stay in the network (RFC 3261 §17.1.2.2): 5 s by default.
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig { t1: Duration::from_millis(500), t2: Duration::from_secs(4), t4: Duration::from_secs(5) }
    }
}

impl TimerConfig {
    /// Timer D on an unreliable transport: "at least 32 seconds" (RFC 3261 §17.1.1.2, Table 4).
    pub const TIMER_D_UNRELIABLE: Duration = Duration::from_secs(32);
    /// How long an INVITE server transaction waits for a provisional response from the TU before
    /// sending 100 Trying itself (RFC 3261 §17.2.1: 200 ms).
    pub const INVITE_TRYING_DELAY: Duration = Duration::from_millis(200);

    /// T1, at least 1 ms so that doubling timers always advance.
    pub(crate) fn t1(&self) -> Duration {
        self.t1.max(Duration::from_millis(1))
    }

    /// T2, at least T1.
    pub(crate) fn t2(&self) -> Duration {
        self.t2.max(self.t1())
    }

    /// 64·T1: Timers B, F, H, J (unreliable), L and M (RFC 3261 Table 4, RFC 6026 §7.1, §7.2).
    pub fn sixty_four_t1(&self) -> Duration {
        self.t1().saturating_mul(64)
    }

    /// Timer D: 32 s on unreliable transports, 0 on reliable ones (RFC 3261 §17.1.1.2).
    pub fn timer_d(&self, transport: Transport) -> Duration {
        unreliable_or_zero(transport, Self::TIMER_D_UNRELIABLE)
    }

    /// Timers I and K: T4 on unreliable transports, 0 on reliable ones (RFC 3261 §17.2.1,
    /// §17.1.2.2).
    pub fn timer_i_k(&self, transport: Transport) -> Duration {
        unreliable_or_zero(transport, self.t4)
    }

    /// Timer J: 64·T1 on unreliable transports, 0 on reliable ones (RFC 3261 §17.2.2).
    pub fn timer_j(&self, transport: Transport) -> Duration {
        unreliable_or_zero(transport, self.sixty_four_t1())
    }

    /// How long it takes a client's Timer E to be reset to T2 (T1 + 2·T1 + 4·T1 = 3.5 s by
    /// default): a non-INVITE server sends 100 Trying no sooner on an unreliable transport, and
    /// must send it then if it has not otherwise responded (RFC 4320 §4.1).
    pub fn non_invite_trying_delay(&self) -> Duration {
        let (t1, t2) = (self.t1(), self.t2());
        let (mut elapsed, mut interval) = (Duration::ZERO, t1);
        for _ in 0..64 {
            elapsed = elapsed.saturating_add(interval);
            interval = interval.saturating_mul(2).min(t2);
            if interval >= t2 {
                break;
            }
        }
        elapsed
    }
}

/// Timer values that are zero on a reliable transport (RFC 3261 §17.1.1.2: D, I, J, K).
fn unreliable_or_zero(transport: Transport, value: Duration) -> Duration {
    if transport.is_reliable() {
        Duration::ZERO
    } else {
        value
    }
}

/// The state of a transaction (RFC 3261 Figures 5–8, RFC 6026 Figures 3 and 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// INVITE client, request sent, nothing heard (RFC 3261 §17.1.1.2).
    Calling,
    /// Non-INVITE client or server before any response (RFC 3261 §17.1.2.2, §17.2.2).
    Trying,
    /// A provisional response was received or sent (RFC 3261 §17.1.1.2, §17.2.1).
    Proceeding,
    /// A final response was received, or a final non-2xx sent (RFC 3261 §17.1.1.2, §17.2.1).
    Completed,
    /// INVITE server: the ACK for a non-2xx final response arrived (RFC 3261 §17.2.1).
    Confirmed,
    /// INVITE client or server after a 2xx (RFC 6026 §7.1, §7.2).
    Accepted,
    /// Done; the layer removes the transaction.
    Terminated,
}

/// What the edge hands to [`TransactionLayer::handle_input`].
#[derive(Debug, Clone)]
pub enum Input {
    /// A parsed message received over `transport` (RFC 3261 §18.1.2, §18.2.1).
    Received {
        /// The message.
        message: Message,
        /// The transport it came over; a new server transaction uses it for its timers.
        transport: Transport,
    },
    /// Sending a message of transaction `key` failed (RFC 3261 §17.1.4, §17.2.4).
    TransportError(TransactionKey),
    /// Nothing new: only fire the timers that are due.
    Timeout,
}

/// What [`TransactionLayer::poll_output`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send `message` for transaction `key`. The edge picks the destination: the resolved target
    /// for a client transaction, the response address of RFC 3261 §18.2.2 for a server one.
    Transmit {
        /// The transaction.
        key: TransactionKey,
        /// The request, retransmission, ACK or response to send.
        message: Message,
    },
    /// Something for the transaction user.
    Event(Event),
}

/// What the transaction layer tells the transaction user (RFC 3261 §17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A new request created server transaction `key` (RFC 3261 §17.2); answer it with
    /// [`TransactionLayer::respond`]. A CANCEL comes this way too, in its own transaction
    /// (RFC 3261 §9.2; see [`TransactionLayer::cancel_target`]).
    Request {
        /// The new server transaction.
        key: TransactionKey,
        /// The request.
        request: Request,
    },
    /// A response for client transaction `key`: a provisional or the final response, or in the
    /// Accepted state a retransmitted or forked 2xx (RFC 3261 §17.1.1.2, RFC 6026 §7.2).
    Response {
        /// The client transaction.
        key: TransactionKey,
        /// The response.
        response: Response,
    },
    /// An ACK that belongs to no INVITE server transaction in Completed or Confirmed state: the
    /// ACK for a 2xx, which the dialog layer handles (RFC 3261 §17.2.3, RFC 6026 §7.1).
    Ack2xx(Request),
    /// A response that matches no client transaction (RFC 3261 §18.1.2), such as a 2xx
    /// retransmission after Timer M: the UA core may still want it for its dialogs.
    StrayResponse(Response),
    /// A timer ran out: B or F for a client transaction (no final response; RFC 4320 §4.2: no
    /// 408 is made up) or H for an INVITE server transaction (the ACK never came,
    /// RFC 3261 §17.2.1).
    Timeout {
        /// The transaction.
        key: TransactionKey,
    },
    /// The transport could not send a message of transaction `key` (RFC 3261 §17.1.4, §17.2.4).
    TransportError {
        /// The transaction.
        key: TransactionKey,
    },
    /// Transaction `key` reached the Terminated state and was removed.
    Terminated {
        /// The transaction.
        key: TransactionKey,
    },
}

/// Transaction-layer faults: API misuse by the TU, or a message the layer cannot match.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    /// A header the transaction layer needs (Via, CSeq) is missing or malformed
    /// (RFC 3261 §8.1.1, §17.1.3, §17.2.3).
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// Building a header value failed.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The CSeq method differs from the request method (RFC 3261 §8.1.1.5).
    #[error("CSeq method differs from the request method")]
    CSeqMethodMismatch,
    /// An ACK is not sent through a client transaction: the ACK for a non-2xx is built by the
    /// INVITE client transaction and the ACK for a 2xx by the dialog (RFC 3261 §17.1.1.3,
    /// §13.2.2.4).
    #[error("ACK is not sent in a client transaction")]
    AckIsNotATransaction,
    /// A transaction with the same key exists: the branch was reused (RFC 3261 §8.1.1.7).
    #[error("a transaction with this branch and method exists")]
    DuplicateTransaction,
    /// No live transaction of the right kind has this key.
    #[error("no such transaction")]
    NoSuchTransaction,
    /// The transaction's state does not allow this: a second final response, a non-2xx after a
    /// 2xx (RFC 6026 §7.1), or a CANCEL after a final response (RFC 3261 §9.1).
    #[error("not allowed in the transaction's current state")]
    InvalidState,
    /// A CANCEL before any provisional response arrived (RFC 3261 §9.1): wait for one.
    #[error("CANCEL must wait for a provisional response")]
    CancelBeforeProvisional,
    /// A response whose CSeq method is not the transaction's (RFC 3261 §8.2.6.2).
    #[error("response CSeq method differs from the transaction's")]
    ResponseMethodMismatch,
    /// A provisional response other than 100 to a non-INVITE request (RFC 4320 §4.1).
    #[error("a non-INVITE request may only get 100 as provisional response")]
    ProvisionalNot100,
    /// A 100 to a non-INVITE request over an unreliable transport before the client's Timer E
    /// reaches T2 (RFC 4320 §4.1); the layer sends it itself when that time comes.
    #[error("100 Trying to a non-INVITE request sent too early over an unreliable transport")]
    EarlyTrying,
    /// A 408 to a non-INVITE request (RFC 4320 §4.2).
    #[error("408 must not be sent to a non-INVITE request")]
    Status408,
}

/// `now + duration`, or `None` (never) when that is past what `Instant` can hold.
pub(crate) fn after(now: Instant, duration: Duration) -> Option<Instant> {
    now.checked_add(duration)
}
