//! The phone's SIP core, sans-IO: every account's registration (RFC 3261 §10.2, RFC 5626),
//! keep-alives (RFC 5626 §4.4), the transaction layer (RFC 3261 §17) and the answers to requests
//! the phone receives (RFC 3261 §8.2).
//!
//! The edge (sockets, DNS, the clock) drives a [`Core`]:
//!
//! * it lists the accounts ([`Core::accounts`]), locates each server (RFC 3263) and calls
//!   [`Core::start_account`] with the target and the local address used to reach it;
//! * it hands in what arrives: [`Core::handle_message`], [`Core::handle_pong`],
//!   [`Core::handle_ping`], [`Core::handle_flow_closed`];
//! * it calls [`Core::handle_timeout`] at [`Core::poll_timeout`] and, after any call, drains
//!   [`Core::poll_output`] until it returns `None`;
//! * on shutdown it calls [`Core::stop`] and exits at [`Output::Stopped`], which comes at most
//!   [`STOP_TIMEOUT`] later.
//!
//! The core reads no clock, does no I/O and draws its randomness (Call-IDs, tags, branches,
//! cnonces, keep-alive jitter) from one `ChaCha8Rng` seeded by the caller: the same inputs give
//! the same outputs. Its `Debug` never shows a password.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sip::header::CSeq;
use sip::keepalive::{Action, KeepAlive, PING};
use sip::locate::Target;
use sip::registration::{self, Failure, RegistrationError, RegistrationState};
use sip::transaction::{self, Event, Input, TimerConfig, TransactionKey, TransactionLayer};
use sip::uri::UriError;
use sip::{HeaderName, Message, Method, Request, Transport};

use crate::config::{Config, SipSettings};
use crate::instance::InstanceId;

mod account;
mod agent;
mod calls;
mod failover;
mod guard;
mod message;
mod mwi;
mod reconfigure;
mod transfer;
mod uas;

use account::{flow_timer, server_name, AccountSlot};
pub use account::{Located, Routes, ServerRole, MAX_ROUTES};
pub use calls::{asks_for_auto_answer, capabilities, dial_uri, direct_target, CallId, CallInfo, CallState};
pub use failover::FAILBACK_INTERVAL;
pub use guard::GUARDED_METHODS;
pub use message::{text_of, CHECK_SYNC_EVENTS, MAX_TEXT_BYTES};
pub use mwi::{
    parse_message_summary, MessageSummary, MWI_CONTENT_TYPE, MWI_EVENT, MWI_EXPIRES, MWI_RETRY_FIRST, MWI_RETRY_MAX,
    MWI_UNSUPPORTED_RETRY,
};
pub use reconfigure::Reconfigured;
use reconfigure::RETIRED;

/// How long [`Core::stop`] waits for the registrars before giving up: the phone's exit never
/// hangs on a silent server.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The pong of RFC 5626 §4.4.1: one CRLF, answering a CRLF CRLF ping.
pub const PONG: &[u8] = b"\r\n";

/// At most this many stream flows are remembered (their peer address, for pongs); a flow is
/// forgotten when the edge reports it closed.
pub const MAX_FLOWS: usize = 1024;

/// One account, as [`Core::accounts`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// The account's position in `Config::accounts` (disabled accounts are not listed, so
    /// indices may skip); the `index` of [`Core::start_account`] and [`Output::AccountState`].
    pub index: usize,
    /// The configured label, for logs and the screen.
    pub label: String,
    /// The registrar as configured, `host[:port]`, to locate (RFC 3263).
    pub server: String,
    /// The configured transport.
    pub transport: Transport,
    /// The backup registrar as configured, `host[:port]`, if any.
    pub backup_server: Option<String>,
    /// The outbound proxy as configured, `host[:port]`, if any: the edge locates it instead of
    /// the servers, and every request goes there (RFC 3261 §8.1.2).
    pub outbound_proxy: Option<String>,
}

/// What the core asks the edge to do, from [`Core::poll_output`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Bytes to send. For a response to a request that came on a flow, `flow` is that flow
    /// (RFC 3261 §18.2.2), and so for a keep-alive on a stream flow whose id is known; else
    /// the edge connects or reuses a connection by (`transport`, `to`).
    Transmit {
        /// The destination.
        to: SocketAddr,
        /// The transport to send over.
        transport: Transport,
        /// For TLS towards a registrar: the name to send as SNI and to check the server's
        /// certificate against (RFC 5922 §4).
        server_name: Option<String>,
        /// The edge's connection id to send on, when it must be that one.
        flow: Option<u64>,
        /// The message, ping or pong.
        bytes: Bytes,
    },
    /// One account's registration changed state: the edge logs one line
    /// `account=<label> state=<state>` (the state's `Display` holds no credentials).
    AccountState {
        /// The account's position in `Config::accounts`.
        index: usize,
        /// The account's label.
        label: String,
        /// The new state.
        state: RegistrationState,
    },
    /// A call changed state (one per change; the UI shows it).
    Call(CallInfo),
    /// What a call's media should do now: send to and receive from the negotiated address with
    /// the negotiated codec, or stop (`None`: ended, or no usable media).
    Media {
        /// The call.
        call: CallId,
        /// The negotiated audio.
        media: Option<sdp::NegotiatedAudio>,
    },
    /// A DTMF key came by SIP INFO on `call` (RFC 6086; keys in RTP come from the media).
    Dtmf {
        /// The call.
        call: CallId,
        /// The key: `0-9 * # A-D`.
        digit: char,
    },
    /// The far end of `call` asked us (REFER, RFC 3515) to call `target`: the edge binds an RTP
    /// socket and calls [`Core::dial_for_transfer`].
    TransferRequest {
        /// The call the REFER came in.
        call: CallId,
        /// The Refer-To URI.
        target: String,
    },
    /// Voice messages wait, or no longer wait, on an account (RFC 3842): from a NOTIFY of its
    /// `message-summary` subscription or an unsolicited one from a trusted server. The message
    /// lamp follows `waiting`.
    MessageWaiting {
        /// The account's position in `Config::accounts`.
        account: usize,
        /// `Messages-Waiting: yes`.
        waiting: bool,
        /// New voice messages.
        new: u32,
        /// Old voice messages.
        old: u32,
    },
    /// A text message (RFC 3428 MESSAGE, `text/plain`) arrived, answered 200.
    TextMessage {
        /// The account it came to (the Request-URI's user), `None` when no account took it.
        account: Option<usize>,
        /// The sender: its display name and URI, `"Bob" <sip:2002@pbx>`.
        from: String,
        /// The text (UTF-8, at most [`MAX_TEXT_BYTES`]).
        text: String,
    },
    /// A trusted server asked the phone to fetch its configuration now (NOTIFY with
    /// `Event: check-sync` or `resync`, answered 200).
    CheckSync {
        /// The account it came to.
        account: usize,
    },
    /// After [`Core::stop`]: every account is unregistered, or [`STOP_TIMEOUT`] passed; the
    /// edge may exit. Comes once.
    Stopped,
}

/// Why the core refused a call (the caller's mistake or a configuration it cannot use).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// No enabled account has this index in `Config::accounts`.
    #[error("no enabled account has index {0}")]
    UnknownAccount(usize),
    /// The account was started before.
    #[error("account {0} is already started")]
    AlreadyStarted(usize),
    /// [`Core::stop`] was called: nothing starts any more.
    #[error("the core is stopping")]
    Stopping,
    /// The account's server is not `host[:port]`.
    #[error("the server is not host[:port]: {0}")]
    BadServer(UriError),
    /// The account has not started (its server is not located yet).
    #[error("account {0} has not started")]
    NotStarted(usize),
    /// The number or URI to dial is not usable.
    #[error("cannot dial that target")]
    BadTarget,
    /// No such call.
    #[error("no call {0}")]
    UnknownCall(CallId),
    /// The call's state does not allow this (answer an outgoing call, hold a ringing one).
    #[error("{0} cannot do that now")]
    CallState(CallId),
    /// [`Core::try_start_account_on`] was given no route at all.
    #[error("no route to register on")]
    NoRoute,
    /// The registration refused the account's settings (a display name or User-Agent with
    /// control characters, an expiry out of range, ...).
    #[error("the account cannot register: {0}")]
    Registration(RegistrationError),
    /// A VICIdial agent session is never held (a re-INVITE would disturb the agent's
    /// conference): the edge mutes the microphone instead and RTP keeps flowing.
    #[error("{0} is an agent session: mute it instead of holding it")]
    AgentSession(CallId),
}

/// Where a message came from: where a response to it goes (RFC 3261 §18.2.2, RFC 3581 §4: the
/// packet's source address and port, over the same transport and flow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Route {
    to: SocketAddr,
    transport: Transport,
    flow: Option<u64>,
}

/// Where the core is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Life {
    /// Registering and answering.
    Running,
    /// [`Core::stop`] was called; [`Output::Stopped`] comes by `deadline` at the latest.
    Stopping { deadline: Instant },
    /// [`Output::Stopped`] was reported.
    Stopped,
}

/// The phone's SIP core: see the module documentation.
pub struct Core {
    settings: SipSettings,
    instance: InstanceId,
    slots: Vec<AccountSlot>,
    layer: TransactionLayer,
    rng: ChaCha8Rng,
    /// Our client transactions (REGISTERs): the account slot and the request's CSeq number.
    clients: BTreeMap<TransactionKey, (usize, u32)>,
    /// Our server transactions: where their responses go.
    servers: BTreeMap<TransactionKey, Route>,
    /// The calls.
    calls: BTreeMap<CallId, calls::CallSlot>,
    /// The client transactions of calls: their call, method and CSeq.
    call_clients: BTreeMap<TransactionKey, (CallId, sip::Method, u32)>,
    /// The last call number given.
    next_call: u64,
    /// Calls placed for a received REFER: the call → the call that asked for it.
    transfers: BTreeMap<CallId, CallId>,
    /// Our address when no account route leads to a peer ([`Core::set_fallback_local`]).
    fallback_local: Option<SocketAddr>,
    /// Stream flows seen, with their peer.
    flows: BTreeMap<u64, Route>,
    /// The message being handled by [`Core::handle_message`], while its events are processed.
    arrival: Option<Route>,
    /// Message-waiting subscriptions and summaries.
    mwi: mwi::Mwi,
    life: Life,
    outbox: VecDeque<Output>,
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("instance", &self.instance)
            .field("accounts", &self.slots)
            .field("transactions", &self.layer.len())
            .field("flows", &self.flows.len())
            .field("life", &self.life)
            .finish_non_exhaustive()
    }
}

impl Core {
    /// A core for every enabled account of `config` (none started yet), with the phone's
    /// `instance` id (RFC 5626 §4.1) and its RNG seeded from `seed`.
    pub fn new(config: &Config, instance: InstanceId, seed: u64) -> Core {
        let slots = config
            .accounts
            .iter()
            .enumerate()
            .filter(|(_, account)| account.enabled)
            .map(|(index, account)| AccountSlot { index, account: account.clone(), started: None, retire_by: None })
            .collect();
        Core {
            settings: config.sip.clone(),
            instance,
            slots,
            layer: TransactionLayer::new(TimerConfig::default()),
            rng: ChaCha8Rng::seed_from_u64(seed),
            clients: BTreeMap::new(),
            servers: BTreeMap::new(),
            calls: BTreeMap::new(),
            call_clients: BTreeMap::new(),
            next_call: 0,
            transfers: BTreeMap::new(),
            fallback_local: None,
            flows: BTreeMap::new(),
            arrival: None,
            mwi: mwi::Mwi::default(),
            life: Life::Running,
            outbox: VecDeque::new(),
        }
    }

    /// The enabled accounts, in configuration order.
    pub fn accounts(&self) -> Vec<AccountInfo> {
        self.slots
            .iter()
            .filter(|slot| slot.index != RETIRED)
            .map(|slot| AccountInfo {
                index: slot.index,
                label: slot.account.label.clone(),
                server: slot.account.server.clone(),
                transport: slot.account.transport,
                backup_server: slot.account.backup_server.clone(),
                outbound_proxy: slot.account.outbound_proxy.clone(),
            })
            .collect()
    }

    /// The edge located account `index`'s server (RFC 3263) at `target` and reaches it from
    /// `local`: the account starts registering there and keeps the flow alive. A call the core
    /// cannot honour is ignored; [`Core::try_start_account`] says why.
    pub fn start_account(&mut self, now: Instant, index: usize, target: Target, local: SocketAddr) {
        let _ = self.try_start_account(now, index, target, local);
    }

    /// [`Core::start_account`], saying why an account did not start: an unknown or already
    /// started account, a stopping core, or settings the registration refuses.
    pub fn try_start_account(
        &mut self,
        now: Instant,
        index: usize,
        target: Target,
        local: SocketAddr,
    ) -> Result<(), CoreError> {
        self.try_start_account_on(now, index, Routes::single(target, local))
    }

    /// Starts account `index` on the first of `routes`, the primary server's targets then the
    /// backup registrar's (RFC 3263 §4.3). When a route fails (timeout, transport error, 5xx,
    /// 6xx) the account moves to the next one at once; once every route failed it waits for
    /// the registration's backoff (RFC 5626 §4.5) before starting over. Registered away from
    /// the first route, it tries the first again after [`FAILBACK_INTERVAL`].
    pub fn try_start_account_on(&mut self, now: Instant, index: usize, routes: Routes) -> Result<(), CoreError> {
        if self.life != Life::Running {
            return Err(CoreError::Stopping);
        }
        let slot = self.slots.iter().position(|slot| slot.index == index).ok_or(CoreError::UnknownAccount(index))?;
        if self.slots[slot].started.is_some() {
            return Err(CoreError::AlreadyStarted(index));
        }
        let account = &self.slots[slot].account;
        let started = account::start(now, account, &self.settings, &self.instance, routes, &mut self.rng)?;
        self.slots[slot].started = Some(started);
        self.pump(now);
        Ok(())
    }

    /// A message arrived from `from` over `transport`; `flow` is the edge's connection id for
    /// TCP/TLS (`None` for UDP). Responses go to the registrations, requests are answered.
    pub fn handle_message(
        &mut self,
        now: Instant,
        transport: Transport,
        from: SocketAddr,
        flow: Option<u64>,
        message: Message,
    ) {
        let route = Route { to: from, transport, flow };
        if self.guard_refuses(route, &message) {
            return;
        }
        if let Some(flow) = flow {
            if self.flows.len() < MAX_FLOWS || self.flows.contains_key(&flow) {
                self.flows.insert(flow, route);
            }
        }
        let request = match &message {
            Message::Request(request) => Some(request.clone()),
            Message::Response(_) => None,
        };
        self.arrival = Some(route);
        if self.layer.handle_input(now, Input::Received { message, transport }).is_err() {
            if let Some(response) = request.and_then(|request| uas::stateless_rejection(&request, &mut self.rng)) {
                self.transmit_to(route, None, Bytes::from(response.to_bytes()));
            }
        }
        self.pump(now);
        self.arrival = None;
    }

    /// A CRLF pong arrived on stream flow `flow` (RFC 5626 §4.4.1): the flow is alive.
    pub fn handle_pong(&mut self, now: Instant, flow: u64) {
        for started in self.slots.iter_mut().filter_map(|slot| slot.started.as_mut()) {
            if started.flow == Some(flow) {
                if let Some(keepalive) = started.keepalive.as_mut() {
                    keepalive.handle_pong();
                }
            }
        }
        self.pump(now);
    }

    /// A CRLF CRLF ping arrived on stream flow `flow` (RFC 5626 §3.5.1): answered with a CRLF
    /// pong on that flow. A flow on which nothing arrived before has no known peer, and its
    /// ping is not answered.
    pub fn handle_ping(&mut self, now: Instant, flow: u64) {
        if let Some(route) = self.flows.get(&flow).copied() {
            self.transmit_to(route, None, Bytes::from_static(PONG));
        }
        self.pump(now);
    }

    /// Stream flow `flow` closed: the REGISTER outstanding on it fails with a transport error
    /// (RFC 3261 §17.1.4) and the registrations that used it register again on a new flow
    /// (RFC 5626 §4.5).
    pub fn handle_flow_closed(&mut self, now: Instant, flow: u64) {
        self.flows.remove(&flow);
        for slot in 0..self.slots.len() {
            let Some(started) = self.slots[slot].started.as_mut() else { continue };
            if started.flow != Some(flow) {
                continue;
            }
            started.flow = None;
            // Flow recovery first (RFC 5626 §4.5: a short wait, no backoff); the REGISTER that
            // was on the flow is abandoned, so its transaction's failure below changes nothing.
            self.flow_failed(now, slot);
            let keys: Vec<TransactionKey> = self
                .clients
                .iter()
                .filter(|(key, (owner, _))| *owner == slot && self.layer.state(key).is_some())
                .map(|(key, _)| key.clone())
                .collect();
            for key in keys {
                let _ = self.layer.handle_input(now, Input::TransportError(key));
            }
            self.pump(now);
        }
        self.pump(now);
    }

    /// The edge could not send to `to` over `transport` (a refused or timed-out connect, a
    /// failed write): the live REGISTER transactions of the accounts sending there fail with a
    /// transport error now (RFC 3261 §17.1.4), instead of waiting for Timer F.
    pub fn handle_send_failure(&mut self, now: Instant, to: SocketAddr, transport: Transport) {
        let slots: Vec<usize> = (0..self.slots.len())
            .filter(|&i| {
                self.slots[i].started.as_ref().is_some_and(|s| s.target.addr == to && s.target.transport == transport)
            })
            .collect();
        let keys: Vec<TransactionKey> = self
            .clients
            .iter()
            .filter(|(key, (owner, _))| slots.contains(owner) && self.layer.state(key).is_some())
            .map(|(key, _)| key.clone())
            .collect();
        for key in keys {
            let _ = self.layer.handle_input(now, Input::TransportError(key));
        }
        self.pump(now);
    }

    /// Fires every timer due by `now`: transactions, registrations, keep-alives, and the
    /// [`STOP_TIMEOUT`].
    pub fn handle_timeout(&mut self, now: Instant) {
        self.layer.handle_timeout(now);
        for slot in 0..self.slots.len() {
            let Some(started) = self.slots[slot].started.as_mut() else { continue };
            started.registration.handle_timeout(now, &mut self.rng);
            self.keepalive_timeout(now, slot);
            self.failback_timeout(now, slot);
        }
        self.calls_handle_timeout(now);
        self.mwi_handle_timeout(now);
        self.drop_retired(now);
        self.pump(now);
        if let Life::Stopping { deadline } = self.life {
            if now >= deadline {
                self.finish_stop();
            }
        }
    }

    /// Unregisters every started account (RFC 3261 §10.2.2) and stops the keep-alives;
    /// [`Output::Stopped`] follows once all are unregistered, or after [`STOP_TIMEOUT`].
    pub fn stop(&mut self, now: Instant) {
        if self.life != Life::Running {
            return;
        }
        self.life = Life::Stopping { deadline: now.checked_add(STOP_TIMEOUT).unwrap_or(now) };
        for call in self.calls.values_mut() {
            let _ = call.session.hangup(now, &mut self.rng);
        }
        self.mwi_stop(now);
        for started in self.slots.iter_mut().filter_map(|slot| slot.started.as_mut()) {
            started.keepalive = None;
            started.registration.stop(now, &mut self.rng);
        }
        self.pump(now);
    }

    /// The next thing for the edge to do, `None` when there is nothing more for now.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outbox.pop_front()
    }

    /// When [`Core::handle_timeout`] is next due: the earliest timer of every part.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let deadline = match self.life {
            Life::Stopping { deadline } => Some(deadline),
            Life::Running | Life::Stopped => None,
        };
        let parts = self.slots.iter().filter_map(|slot| slot.started.as_ref()).flat_map(|started| {
            [
                started.registration.poll_timeout(),
                started.keepalive.as_ref().and_then(KeepAlive::poll_timeout),
                started.failback_at,
            ]
        });
        let retired = self.retire_timeout();
        let parts = parts.chain([self.layer.poll_timeout(), deadline, self.calls_timeout(), retired]);
        parts.chain([self.mwi_timeout()]).flatten().min()
    }

    /// Runs account `slot`'s keep-alive actions due by `now` (RFC 5626 §4.4).
    fn keepalive_timeout(&mut self, now: Instant, slot: usize) {
        for _ in 0..2 {
            let Some(started) = self.slots[slot].started.as_mut() else { return };
            let Some(keepalive) = started.keepalive.as_mut() else { return };
            match keepalive.handle_timeout(now, &mut self.rng) {
                Some(Action::SendPing) => {
                    let target = &started.target;
                    let flow = if target.transport.is_reliable() { started.flow } else { None };
                    let route = Route { to: target.addr, transport: target.transport, flow };
                    let server_name = server_name(target);
                    self.transmit_to(route, server_name, Bytes::from_static(PING));
                }
                Some(Action::FlowFailed) => {
                    started.flow = None;
                    self.flow_failed(now, slot);
                }
                None => return,
            }
        }
    }

    /// Account `slot`'s flow failed: register again at once (RFC 5626 §4.5), with a fresh
    /// keep-alive for the new flow.
    fn flow_failed(&mut self, now: Instant, slot: usize) {
        let bound = account::keepalive_bound(&self.settings);
        let Some(started) = self.slots[slot].started.as_mut() else { return };
        started.registration.flow_failed(now, &mut self.rng);
        if started.keepalive.is_some() {
            started.keepalive = Some(KeepAlive::new(now, started.target.transport, bound, &mut self.rng));
        }
    }

    /// Drains the registrations and the transaction layer into each other and into the outbox
    /// until all are quiet; then reports [`Output::Stopped`] when stopping is done.
    fn pump(&mut self, now: Instant) {
        loop {
            let mut busy = false;
            for slot in 0..self.slots.len() {
                while let Some(output) =
                    self.slots[slot].started.as_mut().and_then(|started| started.registration.poll_output())
                {
                    busy = true;
                    self.on_registration_output(now, slot, output);
                }
            }
            busy |= self.pump_calls(now);
            while let Some(output) = self.layer.poll_output() {
                busy = true;
                match output {
                    transaction::Output::Transmit { key, message } => self.on_transmit(&key, message),
                    transaction::Output::Event(event) => self.on_event(now, event),
                }
            }
            if !busy {
                break;
            }
        }
        self.drop_retired(now);
        if matches!(self.life, Life::Stopping { .. }) && self.slots.iter().all(AccountSlot::is_unregistered) {
            self.finish_stop();
        }
    }

    /// A REGISTER to send or a state to report, from account `slot`'s registration.
    fn on_registration_output(&mut self, now: Instant, slot: usize, output: registration::Output) {
        let Some(started) = self.slots[slot].started.as_mut() else { return };
        match output {
            registration::Output::Send(request) => {
                let cseq = request.headers.typed::<CSeq>().ok().flatten().map(|cseq| cseq.seq);
                match self.layer.send_request(now, request, started.target.transport, &mut self.rng) {
                    Ok(key) => {
                        if let Some(cseq) = cseq {
                            self.clients.insert(key, (slot, cseq));
                        }
                    }
                    Err(_) => {
                        let _ = started.registration.handle_failure(now, Failure::TransportError, &mut self.rng);
                    }
                }
            }
            registration::Output::State(_) if self.slots[slot].index == RETIRED => {}
            registration::Output::State(state) => {
                let (index, label) = (self.slots[slot].index, self.slots[slot].account.label.clone());
                self.outbox.push_back(Output::AccountState { index, label, state: state.clone() });
                self.route_state_changed(now, slot, &state);
                if matches!(state, RegistrationState::Registered { .. }) {
                    self.mwi_registered(now, slot);
                }
            }
            _ => {}
        }
    }

    /// The transaction layer sends `message` for transaction `key`: a REGISTER (or its
    /// retransmission) to the account's registrar, a response to where its request came from.
    fn on_transmit(&mut self, key: &TransactionKey, message: Message) {
        let bytes = Bytes::from(message.to_bytes());
        if let Some(route) = self.servers.get(key).copied() {
            self.transmit_to(route, None, bytes);
        } else if let Some(peer) =
            self.call_clients.get(key).and_then(|(call, ..)| self.calls.get(call)).map(|c| c.peer)
        {
            self.transmit_to(peer, None, bytes);
        } else if let Some((route, server_name)) = self.mwi_route(key) {
            self.transmit_to(route, server_name, bytes);
        } else if let Some((slot, _)) = self.clients.get(key) {
            let Some(started) = self.slots[*slot].started.as_ref() else { return };
            let target = &started.target;
            let route = Route { to: target.addr, transport: target.transport, flow: None };
            let server_name = server_name(target);
            self.transmit_to(route, server_name, bytes);
        }
    }

    /// An event of the transaction layer for us, its transaction user.
    fn on_event(&mut self, now: Instant, event: Event) {
        match event {
            Event::Request { key, request } => {
                let Some(route) = self.arrival else { return };
                self.servers.insert(key.clone(), route);
                self.on_request(now, key, request, route);
            }
            Event::Ack2xx(request) => {
                if let Some(call) = self.call_of_request(&request) {
                    if let Some(slot) = self.calls.get_mut(&call) {
                        slot.session.handle_request(now, None, &request, &mut self.rng);
                    }
                }
            }
            Event::Response { key, response } if self.call_clients.contains_key(&key) => {
                let Some(&(call, ..)) = self.call_clients.get(&key) else { return };
                if let Some(slot) = self.calls.get_mut(&call) {
                    slot.session.handle_response(now, &response, &mut self.rng);
                }
            }
            Event::StrayResponse(response) => {
                let call_id = response.headers.get(&HeaderName::CallId).unwrap_or_default().to_owned();
                if let Some(slot) = self.call_of_call_id(&call_id).and_then(|call| self.calls.get_mut(&call)) {
                    slot.session.handle_response(now, &response, &mut self.rng);
                }
            }
            Event::Response { key, response } if self.is_mwi_client(&key) => self.mwi_response(now, &key, &response),
            Event::Timeout { key } | Event::TransportError { key } if self.is_mwi_client(&key) => {
                self.mwi_failure(now, &key);
            }
            Event::Timeout { key } | Event::TransportError { key } if self.call_clients.contains_key(&key) => {
                let Some((call, method, seq)) = self.call_clients.get(&key).cloned() else { return };
                if let Some(slot) = self.calls.get_mut(&call) {
                    slot.session.handle_failure(&method, seq, &mut self.rng);
                }
            }
            Event::Response { key, response } if response.status >= 200 => {
                let Some(&(slot, _)) = self.clients.get(&key) else { return };
                if let Some(flow) = self.arrival.and_then(|route| route.flow) {
                    self.learn_flow(now, slot, flow);
                }
                let Some(started) = self.slots[slot].started.as_mut() else { return };
                let _ = started.registration.handle_response(now, &response, &mut self.rng);
                if let (Some(seconds), Some(keepalive)) = (flow_timer(&response), started.keepalive.as_mut()) {
                    // At least as often as the registrar asks, and never less often than
                    // configured (a NAT binding must not lapse).
                    let seconds = seconds.min(u64::from(self.settings.keepalive_secs));
                    keepalive.set_upper_bound(now, Duration::from_secs(seconds), &mut self.rng);
                }
            }
            Event::Timeout { key } => self.on_failure(now, &key, Failure::Timeout),
            Event::TransportError { key } => self.on_failure(now, &key, Failure::TransportError),
            Event::Terminated { key } => {
                self.clients.remove(&key);
                self.servers.remove(&key);
                self.call_clients.remove(&key);
                self.mwi_terminated(&key);
            }
            _ => {}
        }
    }

    /// A new server transaction's request: calls and their dialogs, else the stateless
    /// answers of [`uas::answer`].
    fn on_request(&mut self, now: Instant, key: TransactionKey, request: Request, route: Route) {
        if request.method == Method::Cancel {
            let target = self.layer.cancel_target(&request).and_then(|invite| self.call_of_invite(&invite));
            let response = uas::answer(&request, &self.layer, &mut self.rng);
            let _ = self.layer.respond(now, &key, response);
            if let Some(slot) = target.and_then(|call| self.calls.get_mut(&call)) {
                slot.session.handle_cancel();
            }
            return;
        }
        if let Some(call) = self.call_of_request(&request) {
            if let Some(slot) = self.calls.get_mut(&call) {
                slot.session.handle_request(now, Some(key), &request, &mut self.rng);
            }
            return;
        }
        if self.other_request(now, &key, &request, route.to) {
            return;
        }
        let new_call = request.method == Method::Invite
            && sip::dialog::DialogId::of_request(&request).is_none()
            && self.life == Life::Running
            && sip::validate_request(&request, &sip::UasPolicy::phone()).is_ok();
        if new_call {
            self.incoming_call(now, key, &request, route);
            return;
        }
        let response = uas::answer(&request, &self.layer, &mut self.rng);
        let _ = self.layer.respond(now, &key, response);
    }

    /// A client transaction ended without a final response: the registration hears of it only
    /// when it is the REGISTER it waits for (see `Registration::handle_failure`).
    fn on_failure(&mut self, now: Instant, key: &TransactionKey, failure: Failure) {
        let Some(&(slot, cseq)) = self.clients.get(key) else { return };
        let Some(started) = self.slots[slot].started.as_mut() else { return };
        if started.registration.outstanding_cseq() == Some(cseq) {
            let _ = started.registration.handle_failure(now, failure, &mut self.rng);
        }
    }

    /// Account `slot`'s registrar answered on stream flow `flow`: that is its registration flow
    /// now; a new flow gets a fresh keep-alive (RFC 5626 §4.4).
    fn learn_flow(&mut self, now: Instant, slot: usize, flow: u64) {
        let bound = account::keepalive_bound(&self.settings);
        let Some(started) = self.slots[slot].started.as_mut() else { return };
        if started.flow != Some(flow) {
            started.flow = Some(flow);
            if started.keepalive.is_some() {
                started.keepalive = Some(KeepAlive::new(now, started.target.transport, bound, &mut self.rng));
            }
        }
    }

    /// Queues `bytes` for `route`.
    fn transmit_to(&mut self, route: Route, server_name: Option<String>, bytes: Bytes) {
        let Route { to, transport, flow } = route;
        self.outbox.push_back(Output::Transmit { to, transport, server_name, flow, bytes });
    }

    /// Reports [`Output::Stopped`], once.
    fn finish_stop(&mut self) {
        if matches!(self.life, Life::Stopping { .. }) {
            self.life = Life::Stopped;
            self.outbox.push_back(Output::Stopped);
        }
    }
}
