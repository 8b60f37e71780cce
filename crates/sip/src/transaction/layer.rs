//! The transaction layer: every transaction of a user agent, matching and timers
//! (RFC 3261 §17.1.3, §17.2.3).

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use rand_core::RngCore;

use crate::grammar::split_commas;
use crate::header::BRANCH_MAGIC_COOKIE;
use crate::message::{Headers, Message, Method, Request, Response};
use crate::name::HeaderName;

use super::build::build_cancel;
use super::client::ClientTransaction;
use super::key::{client_key_of_response, cseq, server_match, top_via, Legacy, ServerMatch};
use super::server::ServerTransaction;
use super::timer::Timers;
use super::{Event, Input, Output, State, TimerConfig, TransactionError, TransactionKey, Transport};

/// How many timers one transaction may fire for one call: a bound against a caller far late.
const MAX_FIRES_PER_CALL: usize = 64;

/// One transaction of either side.
#[derive(Debug, Clone)]
enum Transaction {
    Client(ClientTransaction),
    Server(ServerTransaction),
}

impl Transaction {
    fn state(&self) -> State {
        match self {
            Transaction::Client(t) => t.state(),
            Transaction::Server(t) => t.state(),
        }
    }

    fn next_timeout(&self) -> Option<Instant> {
        match self {
            Transaction::Client(t) => t.next_timeout(),
            Transaction::Server(t) => t.next_timeout(),
        }
    }

    fn timers_mut(&mut self) -> &mut Timers {
        match self {
            Transaction::Client(t) => t.timers_mut(),
            Transaction::Server(t) => t.timers_mut(),
        }
    }

    fn on_transport_error(&mut self, out: &mut VecDeque<Output>) {
        match self {
            Transaction::Client(t) => t.on_transport_error(out),
            Transaction::Server(t) => t.on_transport_error(out),
        }
    }
}

/// Every client and server transaction of a user agent (RFC 3261 §17), sans-IO.
///
/// Feed it with [`TransactionLayer::handle_input`], [`TransactionLayer::send_request`] and
/// [`TransactionLayer::respond`]; after each call drain [`TransactionLayer::poll_output`] and wake
/// it again at [`TransactionLayer::poll_timeout`] with [`Input::Timeout`].
#[derive(Debug, Clone, Default)]
pub struct TransactionLayer {
    config: TimerConfig,
    transactions: BTreeMap<TransactionKey, Transaction>,
    outbox: VecDeque<Output>,
    next_legacy: u64,
}

impl TransactionLayer {
    /// An empty layer with timer values `config` (RFC 3261 §17.1.1.1).
    pub fn new(config: TimerConfig) -> Self {
        TransactionLayer { config, transactions: BTreeMap::new(), outbox: VecDeque::new(), next_legacy: 0 }
    }

    /// The timer values in force.
    pub fn config(&self) -> TimerConfig {
        self.config
    }

    /// How many transactions are live.
    pub fn len(&self) -> usize {
        self.transactions.len()
    }

    /// True when no transaction is live.
    pub fn is_empty(&self) -> bool {
        self.transactions.is_empty()
    }

    /// The state of transaction `key`, `None` once it is terminated and removed.
    pub fn state(&self, key: &TransactionKey) -> Option<State> {
        self.transactions.get(key).map(Transaction::state)
    }

    /// Starts a client transaction for `request` over `transport` and sends it
    /// (RFC 3261 §17.1.1.2, §17.1.2.2). A top Via without a branch gets `z9hG4bK` and 96 random
    /// bits from `rng` (RFC 3261 §8.1.1.7). The request needs a Via and a CSeq naming its method;
    /// an ACK is refused (RFC 3261 §17.1.1.3, §13.2.2.4: never a client transaction).
    pub fn send_request(
        &mut self,
        now: Instant,
        mut request: Request,
        transport: Transport,
        rng: &mut impl RngCore,
    ) -> Result<TransactionKey, TransactionError> {
        if request.method == Method::Ack {
            return Err(TransactionError::AckIsNotATransaction);
        }
        if cseq(&request.headers)?.method != request.method.as_str() {
            return Err(TransactionError::CSeqMethodMismatch);
        }
        if top_via(&request.headers)?.branch().is_none() {
            request.headers = with_branch(&request.headers, &new_branch(rng))?;
        }
        let branch = top_via(&request.headers)?.branch().unwrap_or_default().to_owned();
        let key = TransactionKey::client(&branch, request.method.as_str());
        if self.transactions.contains_key(&key) {
            return Err(TransactionError::DuplicateTransaction);
        }
        let client = ClientTransaction::start(now, key.clone(), request, transport, self.config, &mut self.outbox);
        self.transactions.insert(key.clone(), Transaction::Client(client));
        self.settle(now);
        Ok(key)
    }

    /// Cancels the INVITE of client transaction `key` (RFC 3261 §9.1): builds its CANCEL and
    /// sends it in a new client transaction over the same transport, whose key is returned.
    /// Only allowed once a provisional response has arrived and before a final one.
    pub fn cancel(&mut self, now: Instant, key: &TransactionKey) -> Result<TransactionKey, TransactionError> {
        let Some(Transaction::Client(invite)) = self.transactions.get(key) else {
            return Err(TransactionError::NoSuchTransaction);
        };
        if invite.request().method != Method::Invite {
            return Err(TransactionError::InvalidState);
        }
        match invite.state() {
            State::Proceeding => {}
            State::Calling => return Err(TransactionError::CancelBeforeProvisional),
            _ => return Err(TransactionError::InvalidState),
        }
        let (cancel, transport) = (build_cancel(invite.request())?, invite.transport());
        let cancel_key = TransactionKey::client(key.branch(), Method::Cancel.as_str());
        if self.transactions.contains_key(&cancel_key) {
            return Err(TransactionError::DuplicateTransaction);
        }
        let client =
            ClientTransaction::start(now, cancel_key.clone(), cancel, transport, self.config, &mut self.outbox);
        self.transactions.insert(cancel_key.clone(), Transaction::Client(client));
        self.settle(now);
        Ok(cancel_key)
    }

    /// The TU's response for server transaction `key` (RFC 3261 §17.2.1, §17.2.2, RFC 6026 §7.1,
    /// RFC 4320 §4.1–4.2).
    pub fn respond(&mut self, now: Instant, key: &TransactionKey, response: Response) -> Result<(), TransactionError> {
        self.fire_timers(now);
        let Some(Transaction::Server(server)) = self.transactions.get_mut(key) else {
            return Err(TransactionError::NoSuchTransaction);
        };
        let result = server.respond(now, response, &mut self.outbox);
        self.settle(now);
        result
    }

    /// The server transaction of the request a received CANCEL cancels (RFC 3261 §9.2): the
    /// same matching as for the CANCEL's own transaction, with the method of the cancelled
    /// request. `None` when there is none (answer the CANCEL with 481).
    pub fn cancel_target(&self, cancel: &Request) -> Option<TransactionKey> {
        match server_match(cancel).ok()? {
            ServerMatch::Key(key) => {
                self.transactions.keys().find(|k| **k != key && k.with_method(&Method::Cancel) == key).cloned()
            }
            ServerMatch::Legacy(fields) => self.find_legacy(&fields, true),
        }
    }

    /// Handles one input at `now` (RFC 3261 §17.1.3, §17.2.3): timers due by `now` fire first.
    /// A received message that cannot be matched (no Via, a malformed CSeq) is dropped with an
    /// error; a response matching no transaction is reported as [`Event::StrayResponse`].
    pub fn handle_input(&mut self, now: Instant, input: Input) -> Result<(), TransactionError> {
        self.fire_timers(now);
        let result = match input {
            Input::Received { message: Message::Response(response), .. } => self.on_response(now, response),
            Input::Received { message: Message::Request(request), transport } => {
                self.on_request(now, request, transport)
            }
            Input::TransportError(key) => match self.transactions.get_mut(&key) {
                Some(transaction) => {
                    transaction.on_transport_error(&mut self.outbox);
                    Ok(())
                }
                None => Err(TransactionError::NoSuchTransaction),
            },
            Input::Timeout => Ok(()),
        };
        self.settle(now);
        result
    }

    /// Fires the timers due by `now`; the same as `handle_input(now, Input::Timeout)`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let _ = self.handle_input(now, Input::Timeout);
    }

    /// The next message to send or event for the TU.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outbox.pop_front()
    }

    /// When the layer next needs [`Input::Timeout`]: the earliest timer of any transaction.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.transactions.values().filter_map(Transaction::next_timeout).min()
    }

    fn on_response(&mut self, now: Instant, response: Response) -> Result<(), TransactionError> {
        let key = match client_key_of_response(&response) {
            Ok(key) => key,
            Err(error) => {
                self.outbox.push_back(Output::Event(Event::StrayResponse(response)));
                return Err(error);
            }
        };
        match self.transactions.get_mut(&key) {
            Some(Transaction::Client(client)) => client.on_response(now, response, &mut self.outbox),
            _ => self.outbox.push_back(Output::Event(Event::StrayResponse(response))),
        }
        Ok(())
    }

    fn on_request(&mut self, now: Instant, request: Request, transport: Transport) -> Result<(), TransactionError> {
        let (key, legacy) = match server_match(&request)? {
            ServerMatch::Key(key) => (Some(key), None),
            ServerMatch::Legacy(fields) => (self.find_legacy(&fields, false), Some(fields)),
        };
        if let Some(Transaction::Server(server)) = key.as_ref().and_then(|k| self.transactions.get_mut(k)) {
            server.on_request(now, request, &mut self.outbox);
            return Ok(());
        }
        if request.method == Method::Ack {
            self.outbox.push_back(Output::Event(Event::Ack2xx(request)));
            return Ok(());
        }
        let key = match (key, legacy.is_some()) {
            (Some(key), false) => key,
            _ => {
                self.next_legacy += 1;
                TransactionKey::legacy(&request.method, self.next_legacy)
            }
        };
        let server =
            ServerTransaction::start(now, key.clone(), request, legacy, transport, self.config, &mut self.outbox);
        self.transactions.insert(key, Transaction::Server(server));
        Ok(())
    }

    /// The RFC 2543 server transaction that `fields` match (RFC 3261 §17.2.3); with
    /// `cancel_target`, the request a CANCEL cancels (RFC 3261 §9.2).
    fn find_legacy(&self, fields: &Legacy, cancel_target: bool) -> Option<TransactionKey> {
        self.transactions.iter().find_map(|(key, transaction)| match transaction {
            Transaction::Server(server) => {
                let original = server.legacy()?;
                fields.matches(original, server.final_to_tag(), cancel_target).then(|| key.clone())
            }
            Transaction::Client(_) => None,
        })
    }

    /// Fires every timer due by `now`, earliest first within each transaction.
    fn fire_timers(&mut self, now: Instant) {
        for transaction in self.transactions.values_mut() {
            for _ in 0..MAX_FIRES_PER_CALL {
                if transaction.next_timeout().is_none_or(|at| at > now) {
                    break;
                }
                let Some(timer) = transaction.timers_mut().take_due(now) else { break };
                match transaction {
                    Transaction::Client(t) => t.on_timer(now, timer, &mut self.outbox),
                    Transaction::Server(t) => t.on_timer(now, timer, &mut self.outbox),
                }
            }
        }
    }

    /// Fires timers that came due (zero-length ones included) and removes terminated
    /// transactions, telling the TU.
    fn settle(&mut self, now: Instant) {
        self.fire_timers(now);
        let outbox = &mut self.outbox;
        self.transactions.retain(|key, transaction| {
            let live = transaction.state() != State::Terminated;
            if !live {
                outbox.push_back(Output::Event(Event::Terminated { key: key.clone() }));
            }
            live
        });
    }
}

/// `z9hG4bK` and 96 random bits in hex (RFC 3261 §8.1.1.7).
fn new_branch(rng: &mut impl RngCore) -> String {
    let mut bytes = [0u8; 12];
    rng.fill_bytes(&mut bytes);
    let mut branch = String::from(BRANCH_MAGIC_COOKIE);
    for byte in bytes {
        branch.push_str(&format!("{byte:02x}"));
    }
    branch
}

/// `headers` with `;branch=<branch>` added to the top Via value.
fn with_branch(headers: &Headers, branch: &str) -> Result<Headers, TransactionError> {
    let mut out = Headers::new();
    let mut done = false;
    for (name, value) in headers.iter() {
        if *name == HeaderName::Via && !done {
            done = true;
            let mut values = split_commas(value);
            let top = values.next().unwrap_or_default();
            let rest: Vec<&str> = values.collect();
            let mut line = format!("{top};branch={branch}");
            for other in rest {
                line.push_str(", ");
                line.push_str(other);
            }
            out.push(name.clone(), line)?;
        } else {
            out.push(name.clone(), value)?;
        }
    }
    Ok(out)
}
