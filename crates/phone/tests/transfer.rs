//! Blind transfer (RFC 3515) and call waiting between three phone cores behind a stand-in PBX on a virtual clock:
//! every core registers to the PBX address; the PBX answers REGISTERs and relays everything
//! else by Call-ID between the two phones of each call (a new INVITE goes to the phone named
//! by its Request-URI user).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use phone::core::{CallId, CallInfo, CallState, Core, Output, Routes};
use phone::{Config, InstanceId};
use sip::locate::Target;
use sip::session::EndReason;
use sip::{reply, HeaderName, Message, Method, Transport};

const USERS: [&str; 3] = ["alice", "bob", "carol"];
const ALICE: usize = 0;
const BOB: usize = 1;
const CAROL: usize = 2;

fn pbx() -> SocketAddr {
    "192.0.2.100:5060".parse().unwrap()
}

fn addr(i: usize) -> SocketAddr {
    format!("192.0.2.{}:5060", i + 1).parse().unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

struct Pbx {
    now: Instant,
    cores: Vec<Core>,
    /// Call-ID → the two phones of that call.
    calls: BTreeMap<String, (usize, usize)>,
    wire: Vec<(Instant, usize, Vec<u8>)>,
    infos: Vec<Vec<CallInfo>>,
    /// Transfer requests seen: (phone, call, target).
    transfers: Vec<(usize, CallId, String)>,
}

impl Pbx {
    fn new() -> Pbx {
        let now = Instant::now();
        let mut cores = Vec::new();
        for (i, user) in USERS.iter().enumerate() {
            let toml = format!(
                "[[accounts]]\nlabel = \"{user}\"\nserver = \"pbx.example.com\"\nuser = \"{user}\"\npassword = \"pw\"\n"
            );
            let instance = InstanceId::parse(&format!("urn:uuid:00000000-0000-4000-8000-00000000000{i}")).unwrap();
            let mut core = Core::new(&Config::from_toml(&toml).unwrap(), instance, i as u64 + 1);
            let target = Target { addr: pbx(), transport: Transport::Udp, host: "pbx.example.com".into() };
            core.try_start_account_on(now, 0, Routes::single(target, addr(i))).unwrap();
            cores.push(core);
        }
        let mut p = Pbx {
            now,
            cores,
            calls: BTreeMap::new(),
            wire: Vec::new(),
            infos: vec![Vec::new(); 3],
            transfers: Vec::new(),
        };
        p.drain();
        p
    }

    fn drain(&mut self) {
        for i in 0..self.cores.len() {
            while let Some(output) = self.cores[i].poll_output() {
                match output {
                    Output::Transmit { bytes, .. } => self.relay(i, bytes.to_vec()),
                    Output::Call(info) => {
                        // As the edge does: a call the core marks for auto-answer is answered.
                        if info.auto_answer {
                            self.cores[i].answer(self.now, info.id, 43_000).unwrap();
                        }
                        self.infos[i].push(info);
                    }
                    Output::TransferRequest { call, target } => self.transfers.push((i, call, target)),
                    _ => {}
                }
            }
        }
    }

    /// The PBX: answers REGISTER; relays the rest between the phones of each Call-ID.
    fn relay(&mut self, from: usize, bytes: Vec<u8>) {
        let Ok(message) = Message::parse(bytes.clone()) else { return };
        let call_id = message.headers().get(&HeaderName::CallId).unwrap_or_default().to_owned();
        if let Message::Request(request) = &message {
            if request.method == Method::Register {
                let ok = reply(request, 200, "OK", Some("pbx"));
                self.wire.push((self.now + ms(10), from, ok.to_bytes()));
                return;
            }
            if request.method == Method::Invite && !self.calls.contains_key(&call_id) {
                let user = request.uri().ok().and_then(|u| u.as_sip().and_then(|s| s.user.map(str::to_owned)));
                let to = USERS.iter().position(|u| Some(u.to_string()) == user).expect("a known user");
                self.calls.insert(call_id.clone(), (from, to));
            }
        }
        let Some(&(a, b)) = self.calls.get(&call_id) else { return };
        let to = if from == a { b } else { a };
        self.wire.push((self.now + ms(10), to, bytes));
    }

    fn run(&mut self, span: Duration) {
        self.drain();
        let end = self.now + span;
        loop {
            let next = self.wire.iter().map(|w| w.0).chain(self.cores.iter().filter_map(Core::poll_timeout)).min();
            let Some(at) = next.filter(|at| *at <= end) else { break };
            self.now = self.now.max(at);
            while let Some(i) = self.wire.iter().position(|w| w.0 <= self.now) {
                let (_, to, bytes) = self.wire.remove(i);
                if let Ok(message) = Message::parse(bytes) {
                    self.cores[to].handle_message(self.now, Transport::Udp, pbx(), None, message);
                }
                self.drain();
            }
            for core in &mut self.cores {
                core.handle_timeout(self.now);
            }
            self.drain();
        }
        self.now = end;
    }

    /// Alice calls Bob and Bob answers: (Alice's call, Bob's call), both up.
    fn alice_calls_bob(&mut self) -> (CallId, CallId) {
        let alice = self.cores[ALICE].dial(self.now, 0, "bob", 40000).unwrap();
        self.run(ms(100));
        let bob = self.newest_incoming(BOB);
        self.cores[BOB].answer(self.now, bob, 41000).unwrap();
        self.run(ms(200));
        (alice, bob)
    }

    fn last(&self, phone: usize, call: CallId) -> CallState {
        self.infos[phone].iter().rev().find(|c| c.id == call).map(|c| c.state.clone()).unwrap()
    }

    fn newest_incoming(&self, phone: usize) -> CallId {
        self.infos[phone].iter().rev().find(|c| c.state == CallState::Incoming).unwrap().id
    }
}

#[test]
fn a_blind_transfer_connects_the_callee_to_the_target_and_drops_the_transferor() {
    let mut p = Pbx::new();
    let (alice_call, bob_call) = p.alice_calls_bob();
    assert_eq!(p.last(ALICE, alice_call), CallState::Active);
    // Alice transfers Bob to Carol.
    p.cores[ALICE].transfer(p.now, alice_call, "carol").unwrap();
    p.run(ms(200));
    let (phone, call, target) = p.transfers.last().cloned().expect("Bob is asked to call Carol");
    assert_eq!((phone, call), (BOB, bob_call));
    assert!(target.starts_with("sip:carol@pbx.example.com"), "{target}");
    let bob_to_carol = p.cores[BOB].dial_for_transfer(p.now, bob_call, &target, 41002).unwrap();
    p.run(ms(200));
    let carol_call = p.newest_incoming(CAROL);
    assert!(p.infos[CAROL].last().unwrap().remote.contains("sip:bob@"));
    p.cores[CAROL].answer(p.now, carol_call, 42000).unwrap();
    p.run(ms(500));
    // Bob and Carol talk; Alice's call ended once Bob's NOTIFY said 200.
    assert_eq!(p.last(BOB, bob_to_carol), CallState::Active);
    assert_eq!(p.last(CAROL, carol_call), CallState::Active);
    assert_eq!(p.last(ALICE, alice_call), CallState::Ended(EndReason::LocalHangup));
    assert_eq!(p.last(BOB, bob_call), CallState::Ended(EndReason::RemoteHangup));
}

#[test]
fn a_refused_transfer_keeps_the_call() {
    let mut p = Pbx::new();
    let (alice_call, bob_call) = p.alice_calls_bob();
    p.cores[ALICE].transfer(p.now, alice_call, "carol").unwrap();
    p.run(ms(200));
    let (_, _, target) = p.transfers.last().cloned().unwrap();
    p.cores[BOB].dial_for_transfer(p.now, bob_call, &target, 41002).unwrap();
    p.run(ms(200));
    let carol_call = p.newest_incoming(CAROL);
    p.cores[CAROL].reject(p.now, carol_call, 486).unwrap();
    p.run(ms(500));
    assert_eq!(p.last(ALICE, alice_call), CallState::Active, "Carol was busy: Alice keeps Bob");
    assert_eq!(p.last(BOB, bob_call), CallState::Active);
}

#[test]
fn a_second_call_rings_while_busy_and_is_taken_with_the_first_on_hold() {
    let mut p = Pbx::new();
    let (alice_call, bob_first) = p.alice_calls_bob();
    // Carol calls Bob while he talks to Alice: call waiting, his phone rings for the second.
    let carol_call = p.cores[CAROL].dial(p.now, 0, "bob", 42000).unwrap();
    p.run(ms(200));
    let bob_second = p.newest_incoming(BOB);
    assert_ne!(bob_second, bob_first);
    assert_eq!(p.last(BOB, bob_first), CallState::Active);
    assert_eq!(p.last(CAROL, carol_call), CallState::Ringing { early_media: false });
    // Bob holds Alice and takes Carol; then hangs up on Carol and resumes Alice.
    p.cores[BOB].set_hold(p.now, bob_first, true).unwrap();
    p.cores[BOB].answer(p.now, bob_second, 41002).unwrap();
    p.run(ms(300));
    assert_eq!(p.last(ALICE, alice_call), CallState::RemoteHold);
    assert_eq!(p.last(CAROL, carol_call), CallState::Active);
    p.cores[BOB].hangup(p.now, bob_second).unwrap();
    p.cores[BOB].set_hold(p.now, bob_first, false).unwrap();
    p.run(ms(300));
    assert_eq!(p.last(CAROL, carol_call), CallState::Ended(EndReason::RemoteHangup));
    assert_eq!(p.last(ALICE, alice_call), CallState::Active);
    assert_eq!(p.last(BOB, bob_first), CallState::Active);
}

#[test]
fn an_attended_transfer_replaces_the_consultation_call() {
    let mut p = Pbx::new();
    // Alice talks to Bob, puts him on hold and consults Carol.
    let (alice_bob, bob_call) = p.alice_calls_bob();
    p.cores[ALICE].set_hold(p.now, alice_bob, true).unwrap();
    let alice_carol = p.cores[ALICE].dial(p.now, 0, "carol", 40002).unwrap();
    p.run(ms(200));
    let carol_first = p.newest_incoming(CAROL);
    p.cores[CAROL].answer(p.now, carol_first, 42000).unwrap();
    p.run(ms(200));
    assert_eq!(p.last(ALICE, alice_carol), CallState::Active);
    // Transfer: Bob is asked to call Carol replacing Alice's consultation dialog.
    p.cores[ALICE].attended_transfer(p.now, alice_bob, alice_carol).unwrap();
    p.run(ms(200));
    let (phone, call, target) = p.transfers.last().cloned().expect("Bob is asked to call Carol");
    assert_eq!((phone, call), (BOB, bob_call));
    assert!(target.starts_with("sip:carol@") && target.contains("?Replaces="), "{target}");
    let bob_carol = p.cores[BOB].dial_for_transfer(p.now, bob_call, &target, 41002).unwrap();
    p.run(ms(500));
    // Carol's phone took Bob's call at once in place of Alice's; Alice is out of both calls.
    assert_eq!(p.last(BOB, bob_carol), CallState::Active);
    let carol_second = p.infos[CAROL].iter().rev().find(|c| c.id != carol_first).unwrap();
    assert!(carol_second.remote.contains("sip:bob@"), "{carol_second:?}");
    assert_eq!(p.last(CAROL, carol_second.id), CallState::Active);
    assert_eq!(p.last(CAROL, carol_first), CallState::Ended(EndReason::LocalHangup));
    assert_eq!(p.last(ALICE, alice_carol), CallState::Ended(EndReason::RemoteHangup));
    assert_eq!(p.last(ALICE, alice_bob), CallState::Ended(EndReason::LocalHangup));
}

#[test]
fn an_invite_replacing_no_dialog_of_ours_gets_481() {
    let mut p = Pbx::new();
    let bogus = "sip:carol@pbx.example.com?Replaces=nope%40x%3Bto-tag%3Da%3Bfrom-tag%3Db";
    let call = p.cores[BOB].dial(p.now, 0, bogus, 41000).unwrap();
    p.run(ms(300));
    assert_eq!(
        p.last(BOB, call),
        CallState::Ended(EndReason::Rejected { status: 481, reason: "Call/Transaction Does Not Exist".into() })
    );
}
