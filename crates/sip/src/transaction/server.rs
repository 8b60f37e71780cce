//! The INVITE and non-INVITE server transactions (RFC 3261 §17.2, RFC 6026 §7.1,
//! RFC 4320 §4.1–4.2).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::header::To;
use crate::message::{Message, Method, Request, Response};
use crate::reply::reply;

use super::key::{cseq, Legacy};
use super::timer::{Timer, Timers};
use super::{after, Event, Output, State, TimerConfig, TransactionError, TransactionKey, Transport};

/// One server transaction.
#[derive(Debug, Clone)]
pub(crate) struct ServerTransaction {
    key: TransactionKey,
    state: State,
    request: Request,
    /// The last response sent, resent on request retransmissions (and by Timer G).
    last: Option<Response>,
    /// The To tag of the final response, for matching an RFC 2543 ACK (RFC 3261 §17.2.3).
    final_to_tag: Option<String>,
    /// The matching fields of an RFC 2543 request.
    legacy: Option<Legacy>,
    transport: Transport,
    config: TimerConfig,
    timers: Timers,
    /// The current interval of Timer G.
    interval: Duration,
}

impl ServerTransaction {
    /// Creates the transaction for a new `request`, tells the TU, and arms the 100 Trying timer:
    /// 200 ms for INVITE (RFC 3261 §17.2.1), the time a client's Timer E takes to reach T2 for
    /// non-INVITE (RFC 4320 §4.1).
    pub(crate) fn start(
        now: Instant,
        key: TransactionKey,
        request: Request,
        legacy: Option<Legacy>,
        transport: Transport,
        config: TimerConfig,
        out: &mut VecDeque<Output>,
    ) -> Self {
        let invite = request.method == Method::Invite;
        let mut this = ServerTransaction {
            key,
            state: if invite { State::Proceeding } else { State::Trying },
            request,
            last: None,
            final_to_tag: None,
            legacy,
            transport,
            config,
            timers: Timers::default(),
            interval: config.t1(),
        };
        let delay = if invite { TimerConfig::INVITE_TRYING_DELAY } else { config.non_invite_trying_delay() };
        this.timers.set(Timer::Trying100, after(now, delay));
        out.push_back(Output::Event(Event::Request { key: this.key.clone(), request: this.request.clone() }));
        this
    }

    /// The current state.
    pub(crate) fn state(&self) -> State {
        self.state
    }

    /// The RFC 2543 matching fields, when the request had no RFC 3261 branch.
    pub(crate) fn legacy(&self) -> Option<&Legacy> {
        self.legacy.as_ref()
    }

    /// The To tag of the final response sent, if any.
    pub(crate) fn final_to_tag(&self) -> Option<&str> {
        self.final_to_tag.as_deref()
    }

    /// The timer table.
    pub(crate) fn timers_mut(&mut self) -> &mut Timers {
        &mut self.timers
    }

    /// The earliest armed timer.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    fn invite(&self) -> bool {
        self.request.method == Method::Invite
    }

    fn transmit_last(&self, out: &mut VecDeque<Output>) {
        if let Some(response) = &self.last {
            out.push_back(Output::Transmit { key: self.key.clone(), message: Message::Response(response.clone()) });
        }
    }

    fn send(&mut self, response: Response, out: &mut VecDeque<Output>) {
        self.last = Some(response);
        self.transmit_last(out);
    }

    fn terminate(&mut self) {
        self.state = State::Terminated;
        self.timers.clear_all();
    }

    /// A request matched this transaction: a retransmission, or the ACK of the INVITE
    /// (RFC 3261 §17.2.1, §17.2.2, RFC 6026 §7.1).
    pub(crate) fn on_request(&mut self, now: Instant, request: Request, out: &mut VecDeque<Output>) {
        if request.method == Method::Ack {
            match self.state {
                State::Completed => {
                    self.state = State::Confirmed;
                    self.timers.clear(Timer::G);
                    self.timers.clear(Timer::H);
                    self.timers.set(Timer::I, after(now, self.config.timer_i_k(self.transport)));
                }
                State::Accepted => out.push_back(Output::Event(Event::Ack2xx(request))),
                _ => {}
            }
            return;
        }
        match self.state {
            State::Proceeding | State::Completed => self.transmit_last(out),
            _ => {}
        }
    }

    /// The TU responds (RFC 3261 §17.2.1, §17.2.2, RFC 6026 §7.1, RFC 4320 §4.1–4.2).
    pub(crate) fn respond(
        &mut self,
        now: Instant,
        response: Response,
        out: &mut VecDeque<Output>,
    ) -> Result<(), TransactionError> {
        if let Ok(cseq) = cseq(&response.headers) {
            if cseq.method != self.request.method.as_str() {
                return Err(TransactionError::ResponseMethodMismatch);
            }
        }
        if self.invite() {
            self.respond_invite(now, response, out)
        } else {
            self.respond_non_invite(now, response, out)
        }
    }

    fn respond_invite(
        &mut self,
        now: Instant,
        response: Response,
        out: &mut VecDeque<Output>,
    ) -> Result<(), TransactionError> {
        let status = response.status;
        match self.state {
            State::Proceeding if status < 200 => {}
            State::Proceeding if status < 300 => {
                self.state = State::Accepted;
                self.timers.clear_all();
                self.timers.set(Timer::L, after(now, self.config.sixty_four_t1()));
            }
            State::Proceeding => {
                self.state = State::Completed;
                self.timers.clear_all();
                if !self.transport.is_reliable() {
                    self.timers.set(Timer::G, after(now, self.interval));
                }
                self.timers.set(Timer::H, after(now, self.config.sixty_four_t1()));
                self.final_to_tag = to_tag(&response);
            }
            State::Accepted if (200..300).contains(&status) => {}
            _ => return Err(TransactionError::InvalidState),
        }
        self.timers.clear(Timer::Trying100);
        self.send(response, out);
        Ok(())
    }

    fn respond_non_invite(
        &mut self,
        now: Instant,
        response: Response,
        out: &mut VecDeque<Output>,
    ) -> Result<(), TransactionError> {
        if !matches!(self.state, State::Trying | State::Proceeding) {
            return Err(TransactionError::InvalidState);
        }
        match response.status {
            100 => {
                let early = self.timers.get(Timer::Trying100).is_some_and(|at| now < at);
                if early && !self.transport.is_reliable() {
                    return Err(TransactionError::EarlyTrying);
                }
                self.state = State::Proceeding;
            }
            101..=199 => return Err(TransactionError::ProvisionalNot100),
            408 => return Err(TransactionError::Status408),
            _ => {
                self.state = State::Completed;
                self.timers.clear_all();
                self.timers.set(Timer::J, after(now, self.config.timer_j(self.transport)));
            }
        }
        self.timers.clear(Timer::Trying100);
        self.send(response, out);
        Ok(())
    }

    /// `timer` fired (RFC 3261 §17.2.1, §17.2.2, RFC 6026 §7.1, RFC 4320 §4.1).
    pub(crate) fn on_timer(&mut self, now: Instant, timer: Timer, out: &mut VecDeque<Output>) {
        match (timer, self.state) {
            (Timer::Trying100, State::Proceeding | State::Trying) if self.last.is_none() => {
                self.state = State::Proceeding;
                self.send(reply(&self.request, 100, "Trying", None), out);
            }
            (Timer::G, State::Completed) => {
                self.transmit_last(out);
                self.interval = self.interval.saturating_mul(2).min(self.config.t2());
                self.timers.set(Timer::G, after(now, self.interval));
            }
            (Timer::H, State::Completed) => {
                out.push_back(Output::Event(Event::Timeout { key: self.key.clone() }));
                self.terminate();
            }
            (Timer::I, State::Confirmed) | (Timer::J, State::Completed) | (Timer::L, State::Accepted) => {
                self.terminate()
            }
            _ => {}
        }
    }

    /// The transport failed to send a response (RFC 3261 §17.2.4): inform the TU. A non-INVITE
    /// transaction terminates; an INVITE one keeps its state so that retransmissions of the
    /// INVITE are still absorbed until its timers end it (RFC 6026 §7.1).
    pub(crate) fn on_transport_error(&mut self, out: &mut VecDeque<Output>) {
        out.push_back(Output::Event(Event::TransportError { key: self.key.clone() }));
        if !self.invite() {
            self.terminate();
        }
    }
}

/// The To tag of `response`.
fn to_tag(response: &Response) -> Option<String> {
    response.headers.typed::<To>().ok().flatten().and_then(|to| to.tag().map(str::to_owned))
}
