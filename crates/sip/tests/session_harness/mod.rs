//! The two-agent harness of the INVITE session tests: each agent a `TransactionLayer` and its
//! `Session`s, exchanging serialized messages over a simulated link on a virtual clock.
#![allow(dead_code)]

use bytes::Bytes;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sip::dialog::DialogId;
use sip::header::CSeq;
use sip::name::HeaderName;
use sip::session::{EndReason, Output, Session, SessionConfig, SessionEvent};
use sip::transaction::{self, Event, Input, TimerConfig, TransactionKey, TransactionLayer};
use sip::{digest, parse_datagram, reason_phrase, reply, Method, Request, Transport};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub const ALICE: usize = 0;
pub const BOB: usize = 1;

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn addr(i: usize) -> SocketAddr {
    format!("192.0.2.{}:5060", i + 1).parse().unwrap()
}

pub fn config(i: usize) -> SessionConfig {
    let user = if i == ALICE { "alice" } else { "bob" };
    SessionConfig {
        local: addr(i),
        transport: Transport::Udp,
        contact: format!("<sip:{user}@{}>", addr(i)),
        from: format!("<sip:{user}@example.com>"),
        credentials: Some((user.into(), format!("{user}-pw"))),
        user_agent: Some("Hardphone/test".into()),
        timers: TimerConfig::default(),
    }
}

/// One user agent: its transaction layer, sessions, and what they reported.
pub struct Agent {
    pub layer: TransactionLayer,
    pub sessions: Vec<Session>,
    /// Client transactions: key → (session, method, CSeq).
    pub clients: BTreeMap<TransactionKey, (usize, Method, u32)>,
    /// The INVITE client transaction of each session (for CANCEL).
    pub invites: BTreeMap<usize, TransactionKey>,
    pub events: Vec<(Instant, usize, SessionEvent)>,
    /// Challenge INVITEs without credentials with 407 (a proxy in front of the callee).
    pub challenge: bool,
    /// What the callee does with a new call.
    pub on_invite: Vec<Answer>,
    /// Refuse new INVITEs asking a shorter Session-Expires with 422 and this Min-SE.
    pub min_se: Option<u32>,
    /// Challenge BYEs without credentials with 401.
    pub challenge_bye: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Answer {
    /// 180, then 200 after the delay.
    RingThenAccept(u64),
    /// 180 only.
    Ring,
    /// Reject with this status.
    Reject(u16),
    /// 183 with an SDP answer (early media, RFC 3960), then 200 after the delay.
    EarlyMediaThenAccept(u64),
}

/// The two agents, the link and the clock.
pub struct Sim {
    pub now: Instant,
    pub t0: Instant,
    pub agents: [Agent; 2],
    pub rng: ChaCha8Rng,
    /// In flight: (arrival, to agent, bytes).
    pub wire: Vec<(Instant, usize, Vec<u8>)>,
    pub loss_percent: u32,
    /// Drop the next N ACKs (to exercise 2xx retransmission).
    pub drop_acks: u32,
    /// Scheduled actions: (at, agent, action).
    pub actions: VecDeque<(Instant, usize, Action)>,
    pub sent_bytes: Vec<(Instant, usize, String)>,
    /// Drop every message from this agent that starts with this text.
    pub drop_requests_from: Option<(usize, &'static str)>,
    /// Add `Require: 100rel` to the caller's INVITEs on the way.
    pub require_100rel: bool,
}

#[derive(Clone, Debug)]
pub enum Action {
    Accept(usize),
    Hangup(usize),
    Reinvite(usize, &'static str),
}

pub fn agent() -> Agent {
    Agent {
        layer: TransactionLayer::new(TimerConfig::default()),
        sessions: Vec::new(),
        clients: BTreeMap::new(),
        invites: BTreeMap::new(),
        events: Vec::new(),
        challenge: false,
        min_se: None,
        challenge_bye: false,
        on_invite: vec![Answer::RingThenAccept(1000)],
    }
}

impl Sim {
    pub fn new(seed: u64) -> Sim {
        let t0 = Instant::now();
        Sim {
            now: t0,
            t0,
            agents: [agent(), agent()],
            rng: ChaCha8Rng::seed_from_u64(seed),
            wire: Vec::new(),
            loss_percent: 0,
            drop_acks: 0,
            actions: VecDeque::new(),
            sent_bytes: Vec::new(),
            drop_requests_from: None,
            require_100rel: false,
        }
    }

    /// Alice calls Bob.
    pub fn call(&mut self) -> usize {
        let session = Session::invite(
            config(ALICE),
            "sip:bob@example.com",
            "<sip:bob@example.com>",
            Some(sdp("offer")),
            &mut self.rng,
        )
        .unwrap();
        self.agents[ALICE].sessions.push(session);
        let index = self.agents[ALICE].sessions.len() - 1;
        self.pump(ALICE);
        index
    }

    pub fn transmit(&mut self, from: usize, mut bytes: Vec<u8>) {
        let to = 1 - from;
        if self.require_100rel && from == ALICE && bytes.starts_with(b"INVITE ") {
            let text = String::from_utf8_lossy(&bytes).replacen("\r\nCall-ID:", "\r\nRequire: 100rel\r\nCall-ID:", 1);
            bytes = text.into_bytes();
        }
        if let Some((agent, start)) = self.drop_requests_from {
            if agent == from && bytes.starts_with(start.as_bytes()) {
                self.sent_bytes.push((self.now, from, String::from_utf8_lossy(&bytes).into_owned()));
                return;
            }
        }
        self.sent_bytes.push((self.now, from, String::from_utf8_lossy(&bytes).into_owned()));
        if bytes.starts_with(b"ACK ") && self.drop_acks > 0 {
            self.drop_acks -= 1;
            return;
        }
        if self.loss_percent > 0 && self.rng.next_u32() % 100 < self.loss_percent {
            return;
        }
        let delay = ms(10 + self.rng.next_u64() % 40);
        self.wire.push((self.now + delay, to, bytes));
    }

    /// Moves every output of agent `a` (sessions and layer) until quiet.
    pub fn pump(&mut self, a: usize) {
        loop {
            let mut busy = false;
            for s in 0..self.agents[a].sessions.len() {
                while let Some(output) = self.agents[a].sessions[s].poll_output() {
                    busy = true;
                    self.session_output(a, s, output);
                }
            }
            while let Some(output) = self.agents[a].layer.poll_output() {
                busy = true;
                match output {
                    transaction::Output::Transmit { message, .. } => self.transmit(a, message.to_bytes()),
                    transaction::Output::Event(event) => self.layer_event(a, event),
                }
            }
            if !busy {
                return;
            }
        }
    }

    pub fn session_output(&mut self, a: usize, s: usize, output: Output) {
        let now = self.now;
        match output {
            Output::Request(request) => {
                let cseq = request.headers.typed::<CSeq>().unwrap().unwrap().seq;
                let method = request.method.clone();
                let key = self.agents[a].layer.send_request(now, request, Transport::Udp, &mut self.rng).unwrap();
                if method == Method::Invite {
                    self.agents[a].invites.insert(s, key.clone());
                }
                self.agents[a].clients.insert(key, (s, method, cseq));
            }
            Output::Respond { key, response } => {
                let _ = self.agents[a].layer.respond(now, &key, response);
            }
            Output::Ack(ack) => self.transmit(a, ack.to_bytes()),
            Output::CancelInvite => {
                let key = self.agents[a].invites[&s].clone();
                let cancel = self.agents[a].layer.cancel(now, &key).unwrap();
                self.agents[a].clients.insert(cancel, (s, Method::Cancel, 0));
            }
            Output::Event(event) => {
                if let SessionEvent::Reoffer { .. } = &event {
                    self.agents[a].sessions[s].answer_reoffer(now, sdp("reanswer")).unwrap();
                }
                self.agents[a].events.push((now, s, event));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    pub fn session_of_request(&self, a: usize, request: &Request) -> Option<usize> {
        let id = DialogId::of_request(request)?;
        self.agents[a].sessions.iter().position(|s| s.dialog_id() == Some(&id))
    }

    pub fn layer_event(&mut self, a: usize, event: Event) {
        let now = self.now;
        match event {
            Event::Request { key, request } if request.method == Method::Cancel => {
                let target = self.agents[a].layer.cancel_target(&request);
                let status = if target.is_some() { 200 } else { 481 };
                let _ = self.agents[a].layer.respond(now, &key, reply(&request, status, reason_phrase(status), None));
                if let Some(target) = target {
                    let call_id = request.headers.get(&HeaderName::CallId).unwrap().to_owned();
                    if let Some(s) = self.agents[a].sessions.iter().position(|s| s.call_id() == call_id) {
                        let _ = target;
                        self.agents[a].sessions[s].handle_cancel();
                    }
                }
            }
            Event::Request { key, request } => {
                let authorized = request.headers.get(&HeaderName::Authorization).is_some();
                if self.agents[a].challenge_bye && request.method == Method::Bye && !authorized {
                    // A PBX that challenges BYE (RFC 3261 §22.1: any request may be).
                    let mut response = reply(&request, 401, reason_phrase(401), None);
                    let challenge = "Digest realm=\"example.com\", nonce=\"b1\", qop=\"auth\", algorithm=MD5";
                    response.headers.push(HeaderName::WwwAuthenticate, challenge).unwrap();
                    let _ = self.agents[a].layer.respond(now, &key, response);
                    return;
                }
                if let Some(s) = self.session_of_request(a, &request) {
                    self.agents[a].sessions[s].handle_request(now, Some(key), &request, &mut self.rng);
                } else if request.method == Method::Invite && DialogId::of_request(&request).is_none() {
                    self.new_call(a, key, request);
                } else {
                    let _ = self.agents[a].layer.respond(now, &key, reply(&request, 481, reason_phrase(481), None));
                }
            }
            Event::Ack2xx(request) => {
                if let Some(s) = self.session_of_request(a, &request) {
                    self.agents[a].sessions[s].handle_request(now, None, &request, &mut self.rng);
                }
            }
            Event::Response { key, response } => {
                if let Some((s, ..)) = self.agents[a].clients.get(&key).cloned() {
                    self.agents[a].sessions[s].handle_response(now, &response, &mut self.rng);
                }
            }
            Event::StrayResponse(response) => {
                let call_id = response.headers.get(&HeaderName::CallId).unwrap_or_default().to_owned();
                if let Some(s) = self.agents[a].sessions.iter().position(|s| s.call_id() == call_id) {
                    self.agents[a].sessions[s].handle_response(now, &response, &mut self.rng);
                }
            }
            Event::Timeout { key } | Event::TransportError { key } => {
                if let Some((s, method, seq)) = self.agents[a].clients.get(&key).cloned() {
                    self.agents[a].sessions[s].handle_failure(&method, seq, &mut self.rng);
                }
            }
            Event::Terminated { key } => {
                self.agents[a].clients.remove(&key);
            }
        }
    }

    pub fn new_call(&mut self, a: usize, key: TransactionKey, request: Request) {
        let now = self.now;
        if self.agents[a].challenge {
            let authorized = request
                .headers
                .typed::<sip::header::ProxyAuthorization>()
                .ok()
                .flatten()
                .is_some_and(|auth| digest::verify(&auth, "alice-pw", "INVITE", &request.body));
            if !authorized {
                let mut response = reply(&request, 407, reason_phrase(407), Some("proxy"));
                let challenge = "Digest realm=\"example.com\", nonce=\"n1\", qop=\"auth\", algorithm=MD5";
                response.headers.push(HeaderName::ProxyAuthenticate, challenge).unwrap();
                let _ = self.agents[a].layer.respond(now, &key, response);
                return;
            }
        }
        if let Some(min_se) = self.agents[a].min_se {
            let asked = sip::session::session_expires(&request.headers).map(|(s, _)| s).unwrap_or(0);
            if asked < min_se {
                let mut response = reply(&request, 422, reason_phrase(422), Some("t422"));
                response.headers.push(HeaderName::MinSe, min_se.to_string()).unwrap();
                let _ = self.agents[a].layer.respond(now, &key, response);
                return;
            }
        }
        let mut session = Session::incoming(config(a), key, &request, &mut self.rng).unwrap();
        let s = self.agents[a].sessions.len();
        let plan = self.agents[a].on_invite.get(s).copied().unwrap_or(Answer::RingThenAccept(1000));
        match plan {
            Answer::RingThenAccept(after) => {
                session.ring(now, None).unwrap();
                self.actions.push_back((now + ms(after), a, Action::Accept(s)));
            }
            Answer::Ring => session.ring(now, None).unwrap(),
            Answer::EarlyMediaThenAccept(after) => {
                session.ring(now, Some(sdp("early"))).unwrap();
                self.actions.push_back((now + ms(after), a, Action::Accept(s)));
            }
            Answer::Reject(status) => session.reject(now, status).unwrap(),
        }
        self.agents[a].sessions.push(session);
    }

    pub fn act(&mut self, a: usize, action: Action) {
        let now = self.now;
        match action {
            Action::Accept(s) => {
                let _ = self.agents[a].sessions[s].accept(now, Some(sdp("answer")));
            }
            Action::Hangup(s) => {
                // The INVITE may not have arrived yet (loss): then there is nothing to hang up.
                if let Some(session) = self.agents[a].sessions.get_mut(s) {
                    session.hangup(now, &mut self.rng).unwrap();
                } else {
                    self.actions.push_back((now + ms(200), a, Action::Hangup(s)));
                }
            }
            Action::Reinvite(s, body) => self.agents[a].sessions[s].reinvite(sdp(body), &mut self.rng).unwrap(),
        }
        self.pump(a);
    }

    /// Schedules `action` by agent `a` at `after` from now.
    pub fn at(&mut self, after: Duration, a: usize, action: Action) {
        self.actions.push_back((self.now + after, a, action));
    }

    /// Runs the world until `span` has passed.
    pub fn run(&mut self, span: Duration) {
        let end = self.now + span;
        loop {
            let mut next = self.wire.iter().map(|w| w.0).min();
            next = [next, self.actions.iter().map(|a| a.0).min()].into_iter().flatten().min();
            for agent in &self.agents {
                let timers = agent.sessions.iter().filter_map(Session::poll_timeout).chain(agent.layer.poll_timeout());
                next = next.into_iter().chain(timers).min();
            }
            let Some(at) = next.filter(|at| *at <= end) else { break };
            self.now = self.now.max(at);
            self.step();
        }
        self.now = end;
    }

    pub fn step(&mut self) {
        let now = self.now;
        if let Some(i) = self.actions.iter().position(|(at, ..)| *at <= now) {
            let (_, a, action) = self.actions.remove(i).unwrap();
            self.act(a, action);
        }
        while let Some(i) = self.wire.iter().position(|(at, ..)| *at <= now) {
            let (_, to, bytes) = self.wire.remove(i);
            let Ok(message) = parse_datagram(bytes) else { continue };
            let _ = self.agents[to].layer.handle_input(now, Input::Received { message, transport: Transport::Udp });
            self.pump(to);
        }
        for a in [ALICE, BOB] {
            self.agents[a].layer.handle_timeout(now);
            for s in 0..self.agents[a].sessions.len() {
                self.agents[a].sessions[s].handle_timeout(now, &mut self.rng);
            }
            self.pump(a);
        }
    }

    pub fn events(&self, a: usize) -> Vec<SessionEvent> {
        self.agents[a].events.iter().map(|(_, _, e)| e.clone()).collect()
    }

    pub fn ended(&self, a: usize, s: usize) -> Option<EndReason> {
        self.agents[a].events.iter().find_map(|(_, i, e)| match e {
            SessionEvent::Ended(reason) if *i == s => Some(reason.clone()),
            _ => None,
        })
    }

    /// Messages sent by `from` whose first line starts with `start`.
    pub fn sent(&self, from: usize, start: &str) -> Vec<(Instant, String)> {
        self.sent_bytes
            .iter()
            .filter(|(_, f, text)| *f == from && text.starts_with(start))
            .map(|(at, _, t)| (*at, t.clone()))
            .collect()
    }
}

pub fn sdp(tag: &str) -> Bytes {
    Bytes::from(format!("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns={tag}\r\nt=0 0\r\n"))
}

pub fn has_body(event: &SessionEvent, tag: &str) -> bool {
    let body = match event {
        SessionEvent::Answered { body } | SessionEvent::ReofferAnswered { body } | SessionEvent::Reoffer { body } => {
            body
        }
        _ => return false,
    };
    body.as_ref().is_some_and(|b| String::from_utf8_lossy(b).contains(&format!("s={tag}")))
}
