//! The INVITE and non-INVITE client transactions (RFC 3261 §17.1, RFC 6026 §7.2,
//! RFC 4320 §4.2).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::message::{Message, Method, Request, Response};

use super::build::build_ack;
use super::timer::{Timer, Timers};
use super::{after, Event, Output, State, TimerConfig, TransactionKey, Transport};

/// One client transaction.
#[derive(Debug, Clone)]
pub(crate) struct ClientTransaction {
    key: TransactionKey,
    state: State,
    request: Request,
    /// The ACK sent for a non-2xx final response, resent on its retransmissions.
    ack: Option<Request>,
    transport: Transport,
    config: TimerConfig,
    timers: Timers,
    /// The current interval of Timer A or E.
    interval: Duration,
}

impl ClientTransaction {
    /// Sends `request` and arms Timers A and B (INVITE, RFC 3261 §17.1.1.2) or E and F
    /// (non-INVITE, RFC 3261 §17.1.2.2); A and E only on an unreliable transport.
    pub(crate) fn start(
        now: Instant,
        key: TransactionKey,
        request: Request,
        transport: Transport,
        config: TimerConfig,
        out: &mut VecDeque<Output>,
    ) -> Self {
        let invite = request.method == Method::Invite;
        let mut this = ClientTransaction {
            key,
            state: if invite { State::Calling } else { State::Trying },
            request,
            ack: None,
            transport,
            config,
            timers: Timers::default(),
            interval: config.t1(),
        };
        this.transmit_request(out);
        let (retransmit, timeout) = if invite { (Timer::A, Timer::B) } else { (Timer::E, Timer::F) };
        if !transport.is_reliable() {
            this.timers.set(retransmit, after(now, this.interval));
        }
        this.timers.set(timeout, after(now, config.sixty_four_t1()));
        this
    }

    /// The current state.
    pub(crate) fn state(&self) -> State {
        self.state
    }

    /// The request this transaction sends.
    pub(crate) fn request(&self) -> &Request {
        &self.request
    }

    /// The transport the request goes over.
    pub(crate) fn transport(&self) -> Transport {
        self.transport
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

    fn transmit_request(&self, out: &mut VecDeque<Output>) {
        out.push_back(Output::Transmit { key: self.key.clone(), message: Message::Request(self.request.clone()) });
    }

    fn deliver(&self, response: Response, out: &mut VecDeque<Output>) {
        out.push_back(Output::Event(Event::Response { key: self.key.clone(), response }));
    }

    fn terminate(&mut self) {
        self.state = State::Terminated;
        self.timers.clear_all();
    }

    /// A response matched this transaction (RFC 3261 §17.1.1.2, §17.1.2.2, RFC 6026 §7.2).
    pub(crate) fn on_response(&mut self, now: Instant, response: Response, out: &mut VecDeque<Output>) {
        if self.invite() {
            self.on_invite_response(now, response, out);
        } else {
            self.on_non_invite_response(now, response, out);
        }
    }

    fn on_invite_response(&mut self, now: Instant, response: Response, out: &mut VecDeque<Output>) {
        let status = response.status;
        match self.state {
            State::Calling | State::Proceeding if status < 200 => {
                self.state = State::Proceeding;
                self.timers.clear(Timer::A);
                self.timers.clear(Timer::B);
                self.deliver(response, out);
            }
            State::Calling | State::Proceeding if status < 300 => {
                self.state = State::Accepted;
                self.timers.clear_all();
                self.timers.set(Timer::M, after(now, self.config.sixty_four_t1()));
                self.deliver(response, out);
            }
            State::Calling | State::Proceeding => {
                self.state = State::Completed;
                self.timers.clear_all();
                self.timers.set(Timer::D, after(now, self.config.timer_d(self.transport)));
                self.ack = build_ack(&self.request, &response).ok();
                self.transmit_ack(out);
                self.deliver(response, out);
            }
            State::Accepted if (200..300).contains(&status) => self.deliver(response, out),
            State::Completed if status >= 300 => self.transmit_ack(out),
            _ => {}
        }
    }

    fn transmit_ack(&self, out: &mut VecDeque<Output>) {
        if let Some(ack) = &self.ack {
            out.push_back(Output::Transmit { key: self.key.clone(), message: Message::Request(ack.clone()) });
        }
    }

    fn on_non_invite_response(&mut self, now: Instant, response: Response, out: &mut VecDeque<Output>) {
        match self.state {
            State::Trying | State::Proceeding if response.status < 200 => {
                self.state = State::Proceeding;
                self.deliver(response, out);
            }
            State::Trying | State::Proceeding => {
                self.state = State::Completed;
                self.timers.clear_all();
                self.timers.set(Timer::K, after(now, self.config.timer_i_k(self.transport)));
                self.deliver(response, out);
            }
            _ => {}
        }
    }

    /// `timer` fired (RFC 3261 §17.1.1.2, §17.1.2.2, RFC 6026 §7.2).
    pub(crate) fn on_timer(&mut self, now: Instant, timer: Timer, out: &mut VecDeque<Output>) {
        match (timer, self.state) {
            (Timer::A, State::Calling) => {
                self.transmit_request(out);
                self.interval = self.interval.saturating_mul(2);
                self.timers.set(Timer::A, after(now, self.interval));
            }
            (Timer::E, State::Trying | State::Proceeding) => {
                self.transmit_request(out);
                self.interval = if self.state == State::Proceeding {
                    self.config.t2()
                } else {
                    self.interval.saturating_mul(2).min(self.config.t2())
                };
                self.timers.set(Timer::E, after(now, self.interval));
            }
            (Timer::B, State::Calling) | (Timer::F, State::Trying | State::Proceeding) => {
                out.push_back(Output::Event(Event::Timeout { key: self.key.clone() }));
                self.terminate();
            }
            (Timer::D, State::Completed) | (Timer::K, State::Completed) | (Timer::M, State::Accepted) => {
                self.terminate()
            }
            _ => {}
        }
    }

    /// The transport failed to send (RFC 3261 §17.1.4): inform the TU and terminate.
    pub(crate) fn on_transport_error(&mut self, out: &mut VecDeque<Output>) {
        out.push_back(Output::Event(Event::TransportError { key: self.key.clone() }));
        self.terminate();
    }
}
