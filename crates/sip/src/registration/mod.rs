//! One account's registration binding, sans-IO (RFC 3261 §10.2, RFC 5626 §4, RFC 3581).
//!
//! A [`Registration`] keeps one Contact of this phone bound to an address-of-record at a
//! registrar: it builds the REGISTER requests (RFC 3261 §10.2), answers digest challenges
//! (RFC 3261 §22.2–§22.3, §8.1.3.5), refreshes before the granted expiry (RFC 3261 §10.2.4),
//! backs off after failures as RFC 5626 §4.5 says, follows the address the registrar saw
//! (RFC 3581 `received`/`rport`) and removes stale bindings of this instance left from before a
//! reboot (RFC 5626 §4.1, §4.2).
//!
//! Like the rest of the crate it does no I/O, reads no clock and draws no global randomness:
//!
//! * inputs are [`Registration::start`], [`Registration::handle_response`],
//!   [`Registration::handle_failure`], [`Registration::handle_timeout`],
//!   [`Registration::network_changed`], [`Registration::flow_failed`] and
//!   [`Registration::stop`], each with `now` and the caller's seeded RNG;
//! * after each input the caller drains [`Registration::poll_output`]: [`Output::Send`] is a
//!   REGISTER for `TransactionLayer::send_request` (which adds the Via branch) and
//!   [`Output::State`] a state change to show and log;
//! * [`Registration::poll_timeout`] says when to call [`Registration::handle_timeout`].
//!
//! The REGISTER's Contact carries no `ob` URI parameter: RFC 5626 §4.3 defines `ob` in a
//! Contact for dialog-forming requests sent *before* registering; a registering UA asks for
//! outbound behaviour with `+sip.instance` and `reg-id` (RFC 5626 §4.2.1) and `Supported:
//! outbound`.

use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::digest::ClientAuth;
use crate::error::BuildError;
use crate::message::Request;
use crate::transport::Transport;

mod backoff;
mod machine;
mod request;
mod response;

pub use backoff::{
    backoff_delay, backoff_upper_bound, long_delay, refresh_delay, retry_after_delay, BASE_TIME, MAX_EXPIRES,
    MAX_RETRY_AFTER, MAX_TIME,
};

/// The wait before re-registering on a new flow after the old one failed: a random time in this
/// range. Long enough for a restarting PBX to be listening again and to spread a floor of phones
/// over a few seconds; short enough that the phone rings again at once. RFC 5626 §4.5's 30–60 s
/// backoff applies if that attempt fails too.
pub const FLOW_RECOVERY_DELAY: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(3));

/// How long a REGISTER may stay without a final response or a failure report before it is
/// treated as timed out: twice Timer F with the default T1 (RFC 3261 §17.1.2.2).
pub const RESPONSE_WATCHDOG: std::time::Duration = std::time::Duration::from_secs(64);

/// The methods this phone accepts, sent in the REGISTER's Allow header (RFC 3261 §20.5).
pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, REFER, UPDATE";

/// The option tags sent in the REGISTER's Supported header: `outbound` (RFC 5626 §4.2.1, MUST)
/// and `path` (RFC 5626 §4.2.1, RFC 3327).
pub const SUPPORTED: &str = "outbound, path";

/// What one account needs to register (RFC 3261 §10.2, RFC 5626 §4.1–§4.2).
///
/// `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistrationConfig {
    /// The user part of the address-of-record (`1001` of `sip:1001@pbx.example.com`); also the
    /// user part of the Contact URI.
    pub user: String,
    /// The domain of the address-of-record: the registrar's domain (RFC 3261 §10.2 To).
    pub domain: String,
    /// The Request-URI of the REGISTER, e.g. `sip:pbx.example.com` (RFC 3261 §10.2).
    pub registrar_uri: String,
    /// The digest user name (RFC 3261 §22.4), often the same as `user`.
    pub auth_user: String,
    /// The digest password. Never logged, never in `Debug`.
    pub password: String,
    /// The display name for From and To, if any.
    pub display_name: Option<String>,
    /// The registration interval asked for, in seconds (RFC 3261 §10.2.1.1): 1..=86400.
    pub expires: u32,
    /// This phone's instance-id, a URN such as `urn:uuid:...`, the same across reboots
    /// (RFC 5626 §4.1). The edge keeps it on disk.
    pub instance: String,
    /// The `reg-id` of this registration flow (RFC 5626 §4.2.1): the same value after every
    /// reboot, so that the registrar replaces the old binding.
    pub reg_id: u32,
    /// The local address requests are sent from: the Via sent-by and, until the registrar
    /// reports another one (RFC 3581), the Contact address.
    pub local: SocketAddr,
    /// The transport to the registrar (RFC 3261 §18).
    pub transport: Transport,
    /// The User-Agent header value (RFC 3261 §20.41), if any.
    pub user_agent: Option<String>,
}

impl fmt::Debug for RegistrationConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationConfig")
            .field("user", &self.user)
            .field("domain", &self.domain)
            .field("registrar_uri", &self.registrar_uri)
            .field("auth_user", &self.auth_user)
            .field("password", &"<redacted>")
            .field("display_name", &self.display_name)
            .field("expires", &self.expires)
            .field("instance", &self.instance)
            .field("reg_id", &self.reg_id)
            .field("local", &self.local)
            .field("transport", &self.transport)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// Why a [`Registration`] refused a configuration or an input (our caller's fault or a
/// message that is not ours; never a panic).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    /// `user@domain` is not a valid SIP URI (RFC 3261 §19.1.1).
    #[error("the address-of-record is not a valid SIP URI")]
    InvalidAor,
    /// The registrar URI is not a valid `sip:`/`sips:` Request-URI (RFC 3261 §10.2).
    #[error("the registrar URI is not a valid SIP URI")]
    InvalidRegistrarUri,
    /// The instance-id is not a URN that fits in a quoted `+sip.instance` (RFC 5626 §4.1).
    #[error("the instance-id is not a URN")]
    InvalidInstance,
    /// The display name holds control characters.
    #[error("the display name contains control characters")]
    InvalidDisplayName,
    /// The User-Agent value holds control characters.
    #[error("the User-Agent value contains control characters")]
    InvalidUserAgent,
    /// The digest user name is empty or holds control characters (RFC 7616 §3.4).
    #[error("the authentication user is empty or contains control characters")]
    InvalidAuthUser,
    /// The asked expiry is 0 (use [`Registration::stop`]) or above [`MAX_EXPIRES`].
    #[error("expires {0} is outside 1..=86400")]
    ExpiresOutOfRange(u32),
    /// A response that does not answer our outstanding REGISTER (another Call-ID, CSeq or
    /// method, or a superseded request): ignored (RFC 3261 §8.1.3.3).
    #[error("the response does not answer the outstanding REGISTER")]
    UnmatchedResponse,
    /// [`Registration::handle_failure`] with no REGISTER outstanding: ignored.
    #[error("no REGISTER is outstanding")]
    NoRequestOutstanding,
}

/// Why the binding is not in place, in [`RegistrationState::Retrying`] and
/// [`RegistrationState::Failed`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryReason {
    /// No final response before the client transaction timed out (RFC 3261 §17.1.2.2 Timer F).
    Timeout,
    /// The transport could not send the REGISTER (RFC 3261 §17.1.4).
    TransportError,
    /// 408 or 480: the path or registrar is briefly unable to serve us (RFC 3261 §21.4.9,
    /// §21.4.18).
    TemporarilyUnavailable {
        /// The status code.
        status: u16,
        /// The Retry-After delta in seconds, when sent.
        retry_after: Option<u32>,
    },
    /// A 5xx from the registrar or a proxy (RFC 3261 §21.5; RFC 5626 §4.2.1 note on 503).
    ServerFailure {
        /// The status code.
        status: u16,
        /// The Retry-After delta in seconds, when sent (RFC 3261 §20.33).
        retry_after: Option<u32>,
    },
    /// A 6xx (RFC 3261 §21.6).
    GlobalFailure {
        /// The status code.
        status: u16,
        /// The Retry-After delta in seconds, when sent.
        retry_after: Option<u32>,
    },
    /// 403 Forbidden (RFC 3261 §21.4.4): the registrar refuses this account or contact (for
    /// example Asterisk's `max_contacts` reached).
    Forbidden,
    /// 404 Not Found (RFC 3261 §21.4.5): no such user at this registrar.
    NotFound,
    /// Another 3xx or 4xx final response.
    Rejected {
        /// The status code.
        status: u16,
    },
    /// A 401/407 again after we answered the challenge, without `stale=true`: the credentials
    /// are wrong (RFC 3261 §22.2, RFC 7616 §3.3).
    CredentialsRejected {
        /// 401 or 407.
        status: u16,
    },
    /// A 401/407 with no digest challenge we can answer (RFC 3261 §22.4).
    UnusableChallenge {
        /// 401 or 407.
        status: u16,
    },
    /// 423 without a usable Min-Expires: absent, not above what we asked, above
    /// [`MAX_EXPIRES`], or asked again in the same attempt (RFC 3261 §10.2.8).
    BadMinExpires {
        /// The Min-Expires value, when readable.
        min_expires: Option<u32>,
    },
    /// A 2xx that does not keep our binding (our Contact listed with `expires=0`).
    NotGranted,
    /// The REGISTER could not be built (our own bug; reported, never a panic).
    RequestNotBuilt(BuildError),
}

impl RetryReason {
    /// True when the caller should try the next RFC 3263 target or a backup registrar for the
    /// next attempt: timeouts, transport errors, 5xx and 6xx (RFC 3263 §4.3; RFC 5626 §4.2.1).
    pub fn suggests_failover(self) -> bool {
        matches!(
            self,
            RetryReason::Timeout
                | RetryReason::TransportError
                | RetryReason::ServerFailure { .. }
                | RetryReason::GlobalFailure { .. }
        )
    }

    /// True when a person must act (credentials, account, registrar policy): the state is
    /// [`RegistrationState::Failed`] and the retry uses the long backoff ([`long_delay`]).
    pub fn needs_attention(self) -> bool {
        matches!(
            self,
            RetryReason::Forbidden
                | RetryReason::NotFound
                | RetryReason::Rejected { .. }
                | RetryReason::CredentialsRejected { .. }
                | RetryReason::UnusableChallenge { .. }
                | RetryReason::BadMinExpires { .. }
                | RetryReason::RequestNotBuilt(_)
        )
    }
}

impl fmt::Display for RetryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let after = |f: &mut fmt::Formatter<'_>, retry_after: &Option<u32>| match retry_after {
            Some(seconds) => write!(f, ", Retry-After {seconds} s"),
            None => Ok(()),
        };
        match self {
            RetryReason::Timeout => f.write_str("no response (transaction timeout)"),
            RetryReason::TransportError => f.write_str("transport error"),
            RetryReason::TemporarilyUnavailable { status, retry_after } => {
                write!(f, "temporarily unavailable ({status}")?;
                after(f, retry_after)?;
                f.write_str(")")
            }
            RetryReason::ServerFailure { status, retry_after } => {
                write!(f, "server failure ({status}")?;
                after(f, retry_after)?;
                f.write_str(")")
            }
            RetryReason::GlobalFailure { status, retry_after } => {
                write!(f, "global failure ({status}")?;
                after(f, retry_after)?;
                f.write_str(")")
            }
            RetryReason::Forbidden => f.write_str("forbidden (403)"),
            RetryReason::NotFound => f.write_str("user not found (404)"),
            RetryReason::Rejected { status } => write!(f, "rejected ({status})"),
            RetryReason::CredentialsRejected { status } => write!(f, "credentials rejected ({status})"),
            RetryReason::UnusableChallenge { status } => write!(f, "no usable digest challenge ({status})"),
            RetryReason::BadMinExpires { min_expires: Some(m) } => write!(f, "unusable Min-Expires {m} (423)"),
            RetryReason::BadMinExpires { min_expires: None } => f.write_str("423 without Min-Expires"),
            RetryReason::NotGranted => f.write_str("registrar did not keep our binding"),
            RetryReason::RequestNotBuilt(error) => write!(f, "REGISTER not built: {error}"),
        }
    }
}

/// The state of the binding, reported by [`Output::State`] once per change.
///
/// `Display` gives one log line, without credentials.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationState {
    /// A REGISTER is on its way and no binding is confirmed (RFC 3261 §10.2).
    Registering,
    /// The registrar confirmed our binding (RFC 3261 §10.2.4); it lapses at `expires_at`
    /// unless refreshed, which this type does on its own.
    Registered {
        /// When the granted binding expires.
        expires_at: Instant,
        /// Our Contact URI as registered.
        contact: String,
    },
    /// A transient failure; the next REGISTER goes at `at` (RFC 5626 §4.5).
    Retrying {
        /// What went wrong.
        reason: RetryReason,
        /// When the next REGISTER is sent.
        at: Instant,
        /// The caller should use the next RFC 3263 target or backup registrar for it
        /// ([`RetryReason::suggests_failover`]).
        failover: bool,
    },
    /// A failure a person must fix (credentials, account, policy); a REGISTER is still retried
    /// at `at` with the long backoff, so that the phone recovers once fixed.
    Failed {
        /// What went wrong.
        reason: RetryReason,
        /// When the next REGISTER is sent.
        at: Instant,
    },
    /// [`Registration::stop`] finished: the binding was removed, or the attempt to remove it
    /// ended (RFC 3261 §10.2.2).
    Unregistered,
}

impl fmt::Display for RegistrationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistrationState::Registering => f.write_str("registering"),
            RegistrationState::Registered { contact, .. } => write!(f, "registered, contact <{contact}>"),
            RegistrationState::Retrying { reason, failover, .. } => {
                write!(f, "registration failed: {reason}; retrying")?;
                if *failover {
                    f.write_str(" (next target)")?;
                }
                Ok(())
            }
            RegistrationState::Failed { reason, .. } => write!(f, "registration failed: {reason}; needs attention"),
            RegistrationState::Unregistered => f.write_str("unregistered"),
        }
    }
}

/// What [`Registration::poll_output`] yields.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A REGISTER to send with `TransactionLayer::send_request` over the configured transport.
    /// Its top Via has `rport` and no branch (RFC 3581 §3, RFC 3261 §8.1.1.7).
    Send(Request),
    /// The binding's state changed.
    State(RegistrationState),
}

/// What ended our outstanding REGISTER without a final response (RFC 3261 §17.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// The client transaction timed out (Timer F, RFC 3261 §17.1.2.2).
    Timeout,
    /// The transport reported an error (RFC 3261 §17.1.4).
    TransportError,
}

/// The timers of a registration, indexing its timer table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegistrationTimer {
    /// The outstanding REGISTER got neither a final response nor a failure report within
    /// [`RESPONSE_WATCHDOG`] (RFC 3261 §17.1.2.2 Timer F is 64·T1 = 32 s): it is treated as a
    /// timeout, so a lost event never leaves the binding to lapse silently.
    Response,
    /// Refresh the binding before it lapses (RFC 3261 §10.2.4).
    Refresh,
    /// Retry after a failure (RFC 5626 §4.5, RFC 3261 §20.33 Retry-After).
    Retry,
}

impl RegistrationTimer {
    /// How many timers there are: the size of the table.
    pub const COUNT: usize = 3;
    /// Every timer, in firing priority order.
    pub const ALL: [RegistrationTimer; RegistrationTimer::COUNT] =
        [RegistrationTimer::Response, RegistrationTimer::Retry, RegistrationTimer::Refresh];
}

/// The registration's timers: when each fires, if armed.
#[derive(Debug, Clone, Default)]
struct Timers([Option<Instant>; RegistrationTimer::COUNT]);

impl Timers {
    fn set(&mut self, timer: RegistrationTimer, at: Instant) {
        self.0[timer as usize] = Some(at);
    }

    fn clear(&mut self, timer: RegistrationTimer) {
        self.0[timer as usize] = None;
    }

    fn clear_all(&mut self) {
        self.0 = [None; RegistrationTimer::COUNT];
    }

    fn get(&self, timer: RegistrationTimer) -> Option<Instant> {
        self.0[timer as usize]
    }

    fn next(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }

    /// Disarms and returns a timer due at `now` (ties: first in [`RegistrationTimer::ALL`]).
    fn take_due(&mut self, now: Instant) -> Option<RegistrationTimer> {
        let timer = RegistrationTimer::ALL.into_iter().find(|t| self.get(*t).is_some_and(|at| at <= now))?;
        self.0[timer as usize] = None;
        Some(timer)
    }
}

/// Where the registration is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Created, not started.
    Idle,
    /// Keeping the binding.
    Active,
    /// Removing the binding after [`Registration::stop`].
    Stopping,
    /// Stopped.
    Stopped,
}

/// The REGISTER we wait for.
#[derive(Debug, Clone)]
struct Sent {
    cseq: u32,
    /// The Contact URIs removed (`expires=0`) in it besides ours.
    removals: usize,
    /// Whether it carried `[Authorization, Proxy-Authorization]`.
    credentials: [bool; 2],
}

/// Immediate resends allowed within one attempt, so that no response can cause a storm.
#[derive(Debug, Clone, Copy, Default)]
struct Round {
    /// Non-stale challenges answered: `[401, 407]` (RFC 7616 §3.3).
    challenges: [u8; 2],
    /// `stale=true` challenges answered.
    stale: u8,
    /// 423 answers (RFC 3261 §10.2.8).
    interval: u8,
    /// Contact rewritten after RFC 3581 `received`/`rport`, or stale bindings removed.
    cleanup: bool,
}

/// One account's registration binding (RFC 3261 §10.2; RFC 5626 §4.2, §4.5): see the module
/// documentation for the interface.
///
/// The Call-ID and From tag are drawn once at creation and kept for its whole life
/// (RFC 3261 §10.2: "SHOULD use the same Call-ID for all registrations" to a registrar); the
/// CSeq grows by one per REGISTER (RFC 3261 §10.2 CSeq). `Debug` never shows the password.
#[derive(Debug, Clone)]
pub struct Registration {
    config: RegistrationConfig,
    aor: String,
    call_id: String,
    from_tag: String,
    cseq: u32,
    /// The expiry we ask for, raised by a 423 (RFC 3261 §10.2.8).
    expires: u32,
    /// The Via sent-by address.
    local: SocketAddr,
    /// The Contact address: `local`, or the public address of RFC 3581.
    contact_addr: SocketAddr,
    /// Contact URIs to remove (`expires=0`) with the next REGISTER.
    removals: Vec<String>,
    phase: Phase,
    outstanding: Option<Sent>,
    /// True once a REGISTER was sent: the registrar may hold a binding.
    sent_any: bool,
    round: Round,
    /// Consecutive failed attempts (RFC 5626 §4.5), reset by a 2xx.
    failures: u32,
    www: Option<ClientAuth>,
    proxy: Option<ClientAuth>,
    timers: Timers,
    state: Option<RegistrationState>,
    outbox: VecDeque<Output>,
}
