//! INVITE sessions end to end: two user agents, each a `TransactionLayer` and its `Session`s,
//! exchanging serialized messages over a simulated link (seeded loss and delay) on a virtual
//! clock. Every message crosses as bytes and is parsed again.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sip::dialog::DialogId;
use sip::header::CSeq;
use sip::name::HeaderName;
use sip::session::{EndReason, Output, Session, SessionConfig, SessionEvent, SessionState};
use sip::transaction::{self, Event, Input, TimerConfig, TransactionKey, TransactionLayer};
use sip::{digest, parse_datagram, reason_phrase, reply, Method, Request, Transport};

const ALICE: usize = 0;
const BOB: usize = 1;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn addr(i: usize) -> SocketAddr {
    format!("192.0.2.{}:5060", i + 1).parse().unwrap()
}

fn config(i: usize) -> SessionConfig {
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
struct Agent {
    layer: TransactionLayer,
    sessions: Vec<Session>,
    /// Client transactions: key → (session, method, CSeq).
    clients: BTreeMap<TransactionKey, (usize, Method, u32)>,
    /// The INVITE client transaction of each session (for CANCEL).
    invites: BTreeMap<usize, TransactionKey>,
    events: Vec<(Instant, usize, SessionEvent)>,
    /// Challenge INVITEs without credentials with 407 (a proxy in front of the callee).
    challenge: bool,
    /// What the callee does with a new call.
    on_invite: Vec<Answer>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Answer {
    /// 180, then 200 after the delay.
    RingThenAccept(u64),
    /// 180 only.
    Ring,
    /// Reject with this status.
    Reject(u16),
}

/// The two agents, the link and the clock.
struct Sim {
    now: Instant,
    t0: Instant,
    agents: [Agent; 2],
    rng: ChaCha8Rng,
    /// In flight: (arrival, to agent, bytes).
    wire: Vec<(Instant, usize, Vec<u8>)>,
    loss_percent: u32,
    /// Drop the next N ACKs (to exercise 2xx retransmission).
    drop_acks: u32,
    /// Scheduled actions: (at, agent, action).
    actions: VecDeque<(Instant, usize, Action)>,
    sent_bytes: Vec<(Instant, usize, String)>,
}

#[derive(Clone, Debug)]
enum Action {
    Accept(usize),
    Hangup(usize),
    Reinvite(usize, &'static str),
}

fn agent() -> Agent {
    Agent {
        layer: TransactionLayer::new(TimerConfig::default()),
        sessions: Vec::new(),
        clients: BTreeMap::new(),
        invites: BTreeMap::new(),
        events: Vec::new(),
        challenge: false,
        on_invite: vec![Answer::RingThenAccept(1000)],
    }
}

impl Sim {
    fn new(seed: u64) -> Sim {
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
        }
    }

    /// Alice calls Bob.
    fn call(&mut self) -> usize {
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

    fn transmit(&mut self, from: usize, bytes: Vec<u8>) {
        let to = 1 - from;
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
    fn pump(&mut self, a: usize) {
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

    fn session_output(&mut self, a: usize, s: usize, output: Output) {
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

    fn session_of_request(&self, a: usize, request: &Request) -> Option<usize> {
        let id = DialogId::of_request(request)?;
        self.agents[a].sessions.iter().position(|s| s.dialog_id() == Some(&id))
    }

    fn layer_event(&mut self, a: usize, event: Event) {
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

    fn new_call(&mut self, a: usize, key: TransactionKey, request: Request) {
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
        let mut session = Session::incoming(config(a), key, &request, &mut self.rng).unwrap();
        let s = self.agents[a].sessions.len();
        let plan = self.agents[a].on_invite.get(s).copied().unwrap_or(Answer::RingThenAccept(1000));
        match plan {
            Answer::RingThenAccept(after) => {
                session.ring(None).unwrap();
                self.actions.push_back((now + ms(after), a, Action::Accept(s)));
            }
            Answer::Ring => session.ring(None).unwrap(),
            Answer::Reject(status) => session.reject(now, status).unwrap(),
        }
        self.agents[a].sessions.push(session);
    }

    fn act(&mut self, a: usize, action: Action) {
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
    fn at(&mut self, after: Duration, a: usize, action: Action) {
        self.actions.push_back((self.now + after, a, action));
    }

    /// Runs the world until `span` has passed.
    fn run(&mut self, span: Duration) {
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

    fn step(&mut self) {
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

    fn events(&self, a: usize) -> Vec<SessionEvent> {
        self.agents[a].events.iter().map(|(_, _, e)| e.clone()).collect()
    }

    fn ended(&self, a: usize, s: usize) -> Option<EndReason> {
        self.agents[a].events.iter().find_map(|(_, i, e)| match e {
            SessionEvent::Ended(reason) if *i == s => Some(reason.clone()),
            _ => None,
        })
    }

    /// Messages sent by `from` whose first line starts with `start`.
    fn sent(&self, from: usize, start: &str) -> Vec<(Instant, String)> {
        self.sent_bytes
            .iter()
            .filter(|(_, f, text)| *f == from && text.starts_with(start))
            .map(|(at, _, t)| (*at, t.clone()))
            .collect()
    }
}

fn sdp(tag: &str) -> Bytes {
    Bytes::from(format!("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns={tag}\r\nt=0 0\r\n"))
}

fn has_body(event: &SessionEvent, tag: &str) -> bool {
    let body = match event {
        SessionEvent::Answered { body } | SessionEvent::ReofferAnswered { body } | SessionEvent::Reoffer { body } => {
            body
        }
        _ => return false,
    };
    body.as_ref().is_some_and(|b| String::from_utf8_lossy(b).contains(&format!("s={tag}")))
}

#[test]
fn a_call_is_answered_and_hung_up_by_the_caller() {
    let mut sim = Sim::new(1);
    let call = sim.call();
    sim.run(ms(2000));
    assert_eq!(sim.agents[ALICE].sessions[call].state(), SessionState::Confirmed);
    assert_eq!(sim.agents[BOB].sessions[0].state(), SessionState::Confirmed);
    let alice = sim.events(ALICE);
    assert!(matches!(alice[0], SessionEvent::Progress { status: 180, body: None }), "{alice:?}");
    assert!(has_body(&alice[1], "answer"), "{alice:?}");
    assert_eq!(sim.agents[BOB].sessions[0].remote_offer().unwrap(), sdp("offer"));
    assert_eq!(sim.sent(ALICE, "ACK ").len(), 1);
    assert_eq!(sim.sent(BOB, "SIP/2.0 200").len(), 1, "acknowledged at once: no retransmission");
    sim.at(ms(0), ALICE, Action::Hangup(call));
    sim.run(ms(1000));
    assert_eq!(sim.ended(ALICE, 0), Some(EndReason::LocalHangup));
    assert_eq!(sim.ended(BOB, 0), Some(EndReason::RemoteHangup));
    let bye = &sim.sent(ALICE, "BYE ")[0].1;
    assert!(bye.starts_with("BYE sip:bob@192.0.2.2:5060 SIP/2.0"), "to the callee's Contact: {bye}");
    assert!(bye.contains("CSeq: 2 BYE"), "{bye}");
}

#[test]
fn the_callee_hangs_up() {
    let mut sim = Sim::new(2);
    sim.call();
    sim.run(ms(2000));
    sim.at(ms(0), BOB, Action::Hangup(0));
    sim.run(ms(1000));
    assert_eq!(sim.ended(ALICE, 0), Some(EndReason::RemoteHangup));
    assert_eq!(sim.ended(BOB, 0), Some(EndReason::LocalHangup));
    let bye = &sim.sent(BOB, "BYE ")[0].1;
    assert!(bye.contains("CSeq: 1 BYE"), "the callee's own CSeq space: {bye}");
}

#[test]
fn a_ringing_call_is_cancelled() {
    let mut sim = Sim::new(3);
    sim.agents[BOB].on_invite = vec![Answer::Ring];
    sim.call();
    sim.run(ms(500));
    sim.at(ms(0), ALICE, Action::Hangup(0));
    sim.run(ms(2000));
    assert_eq!(sim.ended(BOB, 0), Some(EndReason::Cancelled));
    assert_eq!(sim.ended(ALICE, 0), Some(EndReason::LocalHangup));
    assert_eq!(sim.sent(BOB, "SIP/2.0 487").len(), 1);
    assert_eq!(sim.sent(ALICE, "CANCEL ").len(), 1);
}

#[test]
fn hanging_up_before_any_provisional_response_cancels_once_one_comes() {
    let mut sim = Sim::new(4);
    sim.agents[BOB].on_invite = vec![Answer::Ring];
    sim.call();
    sim.at(ms(1), ALICE, Action::Hangup(0));
    sim.run(ms(3000));
    assert_eq!(sim.sent(ALICE, "CANCEL ").len(), 1, "RFC 3261 §9.1: CANCEL waits for a 1xx");
    let cancel_at = sim.sent(ALICE, "CANCEL ")[0].0;
    let ringing_at = sim.sent(BOB, "SIP/2.0 180")[0].0;
    assert!(cancel_at > ringing_at);
    assert_eq!(sim.ended(ALICE, 0), Some(EndReason::LocalHangup));
    assert_eq!(sim.ended(BOB, 0), Some(EndReason::Cancelled));
}

#[test]
fn when_cancel_and_200_cross_the_caller_acks_and_sends_bye() {
    let mut sim = Sim::new(5);
    sim.agents[BOB].on_invite = vec![Answer::RingThenAccept(500)];
    sim.call();
    // Bob's 200 leaves at ~t+0.5 s plus the INVITE's flight; Alice's CANCEL leaves at the
    // same moment: they cross on the wire.
    let invite_arrival = sim.sent(ALICE, "INVITE ")[0].0;
    sim.run(ms(200));
    let _ = invite_arrival;
    sim.run(ms(330));
    let accept_at = sim.sent(BOB, "SIP/2.0 200");
    if accept_at.is_empty() {
        sim.run(ms(1));
    }
    sim.at(ms(0), ALICE, Action::Hangup(0));
    sim.run(ms(3000));
    assert!(!sim.sent(BOB, "SIP/2.0 200").is_empty());
    assert_eq!(sim.sent(ALICE, "ACK ").len(), 1);
    assert_eq!(sim.sent(ALICE, "BYE ").len(), 1, "the 200 won the race: ACK, then BYE");
    assert_eq!(sim.ended(ALICE, 0), Some(EndReason::LocalHangup));
    assert_eq!(sim.ended(BOB, 0), Some(EndReason::RemoteHangup));
}

#[test]
fn a_lost_ack_makes_the_callee_retransmit_its_200_and_the_caller_acks_again() {
    let mut sim = Sim::new(6);
    sim.drop_acks = 2;
    sim.call();
    sim.run(ms(6000));
    let oks: Vec<Instant> = sim.sent(BOB, "SIP/2.0 200").iter().map(|(at, _)| *at).collect();
    assert_eq!(oks.len(), 3, "first 200, then T1 and 2·T1 later");
    assert_eq!(oks[1] - oks[0], ms(500));
    assert_eq!(oks[2] - oks[1], ms(1000));
    assert_eq!(sim.sent(ALICE, "ACK ").len(), 3, "every 2xx is ACKed (RFC 3261 §13.2.2.4)");
    assert_eq!(sim.agents[BOB].sessions[0].state(), SessionState::Confirmed);
    assert_eq!(sim.ended(BOB, 0), None);
    assert!(sim.agents[BOB].sessions[0].poll_timeout().is_none(), "retransmission stopped");
}

#[test]
fn without_any_ack_the_callee_gives_up_after_64_t1_with_bye() {
    let mut sim = Sim::new(7);
    sim.drop_acks = 1000;
    sim.call();
    sim.run(ms(40_000));
    let oks = sim.sent(BOB, "SIP/2.0 200");
    let gaps: Vec<Duration> = oks.windows(2).map(|w| w[1].0 - w[0].0).collect();
    assert_eq!(&gaps[..4], [ms(500), ms(1000), ms(2000), ms(4000)], "T1 doubling");
    assert!(gaps[4..].iter().all(|g| *g == ms(4000)), "capped at T2: {gaps:?}");
    assert_eq!(sim.ended(BOB, 0), Some(EndReason::NoAck));
    let bye_at = sim.sent(BOB, "BYE ")[0].0;
    assert_eq!(bye_at - oks[0].0, ms(32_000), "64·T1 (RFC 3261 §13.3.1.4)");
    assert_eq!(sim.ended(ALICE, 0), Some(EndReason::RemoteHangup));
}

#[test]
fn a_busy_callee_ends_the_call_with_its_status() {
    let mut sim = Sim::new(8);
    sim.agents[BOB].on_invite = vec![Answer::Reject(486)];
    sim.call();
    sim.run(ms(2000));
    assert_eq!(sim.ended(ALICE, 0), Some(EndReason::Rejected { status: 486, reason: "Busy Here".into() }));
    assert_eq!(sim.ended(BOB, 0), Some(EndReason::Declined { status: 486 }));
}

#[test]
fn a_challenged_invite_is_sent_again_with_credentials() {
    let mut sim = Sim::new(9);
    sim.agents[BOB].challenge = true;
    sim.call();
    sim.run(ms(3000));
    let invites = sim.sent(ALICE, "INVITE ");
    assert_eq!(invites.len(), 2);
    assert!(invites[1].1.contains("CSeq: 2 INVITE") && invites[1].1.contains("Proxy-Authorization: Digest"));
    assert!(invites[1].1.contains("s=offer"), "the offer is sent again");
    assert_eq!(sim.agents[ALICE].sessions[0].state(), SessionState::Confirmed);
}

#[test]
fn hold_by_re_invite_is_answered() {
    let mut sim = Sim::new(10);
    sim.call();
    sim.run(ms(2000));
    sim.at(ms(0), ALICE, Action::Reinvite(0, "hold"));
    sim.run(ms(2000));
    assert!(sim.events(BOB).iter().any(|e| has_body(e, "hold")), "{:?}", sim.events(BOB));
    assert!(sim.events(ALICE).iter().any(|e| has_body(e, "reanswer")), "{:?}", sim.events(ALICE));
    let reinvite = &sim.sent(ALICE, "INVITE ")[1].1;
    assert!(reinvite.contains("CSeq: 2 INVITE") && reinvite.contains(";tag="), "{reinvite}");
    assert_eq!(sim.sent(ALICE, "ACK ").len(), 2);
}

#[test]
fn re_invite_glare_gets_491_and_both_retry_apart() {
    let mut sim = Sim::new(11);
    sim.call();
    sim.run(ms(2000));
    sim.at(ms(0), ALICE, Action::Reinvite(0, "a-hold"));
    sim.at(ms(0), BOB, Action::Reinvite(0, "b-hold"));
    sim.run(ms(10_000));
    assert_eq!(sim.sent(ALICE, "SIP/2.0 491").len() + sim.sent(BOB, "SIP/2.0 491").len(), 2);
    assert!(sim.events(BOB).iter().any(|e| has_body(e, "a-hold")));
    assert!(sim.events(ALICE).iter().any(|e| has_body(e, "b-hold")));
    let alice_retry = sim.sent(ALICE, "INVITE ")[2].0 - sim.t0;
    let bob_retry = sim.sent(BOB, "INVITE ")[1].0 - sim.t0;
    // Alice owns the Call-ID: 2.1–4 s; Bob 0–2 s (RFC 3261 §14.1), after the 491s at ~2.05 s.
    assert!(bob_retry < alice_retry, "{bob_retry:?} {alice_retry:?}");
    assert!(alice_retry >= ms(2000 + 2100) && alice_retry <= ms(2100 + 4000));
}

#[test]
fn a_bye_with_a_stale_cseq_gets_500() {
    let mut sim = Sim::new(12);
    sim.call();
    sim.run(ms(2000));
    let invite = sim.sent(ALICE, "INVITE ")[0].1.clone();
    let ok = sim.sent(BOB, "SIP/2.0 200")[0].1.clone();
    let to = ok.lines().find(|l| l.starts_with("To:")).unwrap().to_owned();
    let bye = invite
        .replacen("INVITE sip:bob@example.com", "BYE sip:bob@192.0.2.2:5060", 1)
        .replace("CSeq: 1 INVITE", "CSeq: 1 BYE");
    let bye = bye
        .lines()
        .map(|l| if l.starts_with("To:") { to.clone() } else { l.to_owned() })
        .collect::<Vec<_>>()
        .join("\r\n");
    let bye = bye.replace("branch=", "branch=z9hG4bK-stale");
    sim.wire.push((sim.now, BOB, bye.into_bytes()));
    sim.run(ms(100));
    let refused = sim.sent(BOB, "SIP/2.0 500");
    assert_eq!(refused.len(), 1, "RFC 3261 §12.2.2");
    assert!(refused[0].1.contains("CSeq: 1 BYE"));
    assert_eq!(sim.agents[BOB].sessions[0].state(), SessionState::Confirmed);
}

#[test]
fn a_thousand_calls_over_a_lossy_link_always_end_cleanly() {
    for seed in 0..1000u64 {
        let mut sim = Sim::new(100 + seed);
        sim.loss_percent = 20;
        sim.call();
        let hang_at = ms(500 + (seed * 37) % 3000);
        let who = if seed % 2 == 0 { ALICE } else { BOB };
        sim.at(hang_at, who, Action::Hangup(0));
        sim.run(ms(120_000));
        let alice = sim.agents[ALICE].sessions[0].state();
        assert_eq!(alice, SessionState::Terminated, "seed {seed}: {:?}", sim.events(ALICE));
        if let Some(bob) = sim.agents[BOB].sessions.first() {
            assert_eq!(bob.state(), SessionState::Terminated, "seed {seed}: {:?}", sim.events(BOB));
        }
        for a in [ALICE, BOB] {
            assert!(sim.agents[a].layer.is_empty(), "seed {seed}: every transaction ended ({a})");
        }
    }
}
