//! Calls between two phone cores on a virtual clock: each core's bytes are parsed and handed to
//! the other, REGISTERs are answered by a stand-in registrar. Dial, ring, answer with SDP
//! offer/answer, hold and resume, cancel, hang up from either side, stop with a call up.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use phone::core::{CallId, CallInfo, CallState, Core, Output, Routes};
use phone::{Config, InstanceId};
use sdp::{Direction, NegotiatedAudio};
use sip::locate::Target;
use sip::session::EndReason;
use sip::{reply, Message, Method, Transport};

const ALICE: usize = 0;
const BOB: usize = 1;

fn addr(i: usize) -> SocketAddr {
    format!("192.0.2.{}:5060", i + 1).parse().unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn config(user: &str, server: SocketAddr, auto_answer: &str) -> Config {
    Config::from_toml(&format!(
        "[[accounts]]\nlabel = \"{user}\"\nserver = \"{server}\"\nuser = \"{user}\"\npassword = \"pw\"\n\
         auto_answer = \"{auto_answer}\"\n"
    ))
    .unwrap()
}

struct Phones {
    now: Instant,
    cores: [Core; 2],
    /// In flight: (arrival, to, from, bytes).
    wire: Vec<(Instant, usize, SocketAddr, Vec<u8>)>,
    calls: [Vec<CallInfo>; 2],
    media: [Vec<(CallId, Option<NegotiatedAudio>)>; 2],
    sent: Vec<(usize, String)>,
    digits: [Vec<char>; 2],
}

impl Phones {
    fn new() -> Phones {
        Phones::with_bob_answering("off")
    }

    fn with_bob_answering(auto_answer: &str) -> Phones {
        let now = Instant::now();
        let instance = |n: u8| InstanceId::parse(&format!("urn:uuid:00000000-0000-4000-8000-00000000000{n}")).unwrap();
        let mut cores = [
            Core::new(&config("alice", addr(BOB), "off"), instance(1), 1),
            Core::new(&config("bob", addr(ALICE), auto_answer), instance(2), 2),
        ];
        for (i, core) in cores.iter_mut().enumerate() {
            let target = Target { addr: addr(1 - i), transport: Transport::Udp, host: addr(1 - i).ip().to_string() };
            core.try_start_account_on(now, 0, Routes::single(target, addr(i))).unwrap();
        }
        let mut phones = Phones {
            now,
            cores,
            wire: Vec::new(),
            calls: [Vec::new(), Vec::new()],
            media: [Vec::new(), Vec::new()],
            sent: Vec::new(),
            digits: [Vec::new(), Vec::new()],
        };
        phones.drain();
        phones
    }

    fn drain(&mut self) {
        for i in [ALICE, BOB] {
            while let Some(output) = self.cores[i].poll_output() {
                match output {
                    Output::Transmit { bytes, .. } => self.carry(i, bytes.to_vec()),
                    Output::Call(info) => self.calls[i].push(info),
                    Output::Media { call, media } => self.media[i].push((call, media)),
                    Output::Dtmf { digit, .. } => self.digits[i].push(digit),
                    _ => {}
                }
            }
        }
    }

    /// A message from phone `from`: REGISTERs are answered by the stand-in registrar, the rest
    /// goes to the other phone 20 ms later.
    fn carry(&mut self, from: usize, bytes: Vec<u8>) {
        self.sent.push((from, String::from_utf8_lossy(&bytes).into_owned()));
        if let Ok(Message::Request(request)) = Message::parse(bytes.clone()) {
            if request.method == Method::Register {
                let mut ok = reply(&request, 200, "OK", Some("reg"));
                let contact = request.headers.get(&sip::HeaderName::Contact).unwrap().to_owned();
                ok.headers.push(sip::HeaderName::Contact, contact).unwrap();
                self.wire.push((self.now + ms(20), from, addr(1 - from), ok.to_bytes()));
                return;
            }
        }
        self.wire.push((self.now + ms(20), 1 - from, addr(from), bytes));
    }

    fn run(&mut self, span: Duration) {
        self.drain();
        let end = self.now + span;
        loop {
            let next = self.wire.iter().map(|w| w.0).chain(self.cores.iter().filter_map(Core::poll_timeout)).min();
            let Some(at) = next.filter(|at| *at <= end) else { break };
            self.now = self.now.max(at);
            while let Some(i) = self.wire.iter().position(|w| w.0 <= self.now) {
                let (_, to, from, bytes) = self.wire.remove(i);
                if let Ok(message) = Message::parse(bytes) {
                    self.cores[to].handle_message(self.now, Transport::Udp, from, None, message);
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

    fn state(&self, phone: usize) -> Option<CallState> {
        self.calls[phone].last().map(|c| c.state.clone())
    }

    fn last_media(&self, phone: usize) -> Option<NegotiatedAudio> {
        self.media[phone].last().and_then(|(_, m)| m.clone())
    }

    /// Alice dials Bob, Bob answers: the call is up.
    fn up() -> (Phones, CallId, CallId) {
        let mut p = Phones::new();
        p.run(ms(100));
        let alice = p.cores[ALICE].dial(p.now, 0, "bob", 40000).unwrap();
        p.run(ms(100));
        let bob = p.calls[BOB].last().expect("Bob's phone rings").id;
        p.cores[BOB].answer(p.now, bob, 50000).unwrap();
        p.drain();
        p.run(ms(200));
        (p, alice, bob)
    }
}

#[test]
fn a_call_is_placed_rung_answered_and_hung_up() {
    let (mut p, alice, bob) = Phones::up();
    let states: Vec<CallState> = p.calls[ALICE].iter().map(|c| c.state.clone()).collect();
    assert_eq!(states, [CallState::Dialing, CallState::Ringing { early_media: false }, CallState::Active]);
    let incoming = &p.calls[BOB][0];
    assert_eq!(incoming.state, CallState::Incoming);
    assert!(incoming.remote.contains("sip:alice@"), "{incoming:?}");
    let invite = &p.sent.iter().find(|(from, text)| *from == ALICE && text.starts_with("INVITE ")).unwrap().1;
    assert!(invite.starts_with(&format!("INVITE sip:bob@{} SIP/2.0", addr(BOB).ip())), "{invite}");
    assert!(
        invite.contains("m=audio 40000 RTP/AVP 9 0 8 111 101"),
        "our offer: G.722, PCMU, PCMA, Opus, events: {invite}"
    );
    assert!(invite.contains("a=rtpmap:111 opus/48000/2") && invite.contains("a=fmtp:111 useinbandfec=1"), "{invite}");
    // Both sides agree: G.722, each sending to the other's port.
    let a = p.last_media(ALICE).expect("Alice's media");
    let b = p.last_media(BOB).expect("Bob's media");
    assert_eq!((a.codec.name.as_str(), a.remote_rtp.port), ("G722", 50000));
    assert_eq!((b.codec.name.as_str(), b.remote_rtp.port), ("G722", 40000));
    assert_eq!(a.telephone_event.as_ref().map(|t| t.payload_type), Some(101));
    assert_eq!((a.direction, b.direction), (Direction::SendRecv, Direction::SendRecv));
    p.cores[ALICE].hangup(p.now, alice).unwrap();
    p.drain();
    p.run(ms(200));
    assert_eq!(p.state(ALICE), Some(CallState::Ended(EndReason::LocalHangup)));
    assert_eq!(p.state(BOB), Some(CallState::Ended(EndReason::RemoteHangup)));
    assert_eq!(p.media[ALICE].last().unwrap(), &(alice, None), "media stops");
    assert_eq!(p.media[BOB].last().unwrap(), &(bob, None));
    // Ended calls are forgotten once their last transactions are over.
    p.run(Duration::from_secs(40));
    assert!(p.cores[ALICE].calls().is_empty() && p.cores[BOB].calls().is_empty());
}

#[test]
fn hold_and_resume_change_both_directions() {
    let (mut p, alice, _) = Phones::up();
    p.cores[ALICE].set_hold(p.now, alice, true).unwrap();
    p.drain();
    p.run(ms(300));
    assert_eq!(p.state(ALICE), Some(CallState::Held));
    assert_eq!(p.state(BOB), Some(CallState::RemoteHold));
    assert_eq!(p.last_media(ALICE).unwrap().direction, Direction::SendOnly, "RFC 3264 §8.4");
    assert_eq!(p.last_media(BOB).unwrap().direction, Direction::RecvOnly);
    p.cores[ALICE].set_hold(p.now, alice, false).unwrap();
    p.drain();
    p.run(ms(300));
    assert_eq!(p.state(ALICE), Some(CallState::Active));
    assert_eq!(p.state(BOB), Some(CallState::Active));
    assert_eq!(p.last_media(BOB).unwrap().direction, Direction::SendRecv);
    let reinvites = p.sent.iter().filter(|(from, t)| *from == ALICE && t.starts_with("INVITE ")).count();
    assert_eq!(reinvites, 3);
}

#[test]
fn the_callee_hangs_up() {
    let (mut p, _, bob) = Phones::up();
    p.cores[BOB].hangup(p.now, bob).unwrap();
    p.drain();
    p.run(ms(200));
    assert_eq!(p.state(ALICE), Some(CallState::Ended(EndReason::RemoteHangup)));
    assert_eq!(p.state(BOB), Some(CallState::Ended(EndReason::LocalHangup)));
}

#[test]
fn a_ringing_call_is_cancelled_and_a_busy_one_rejected() {
    let mut p = Phones::new();
    let alice = p.cores[ALICE].dial(p.now, 0, "bob", 40000).unwrap();
    p.run(ms(200));
    p.cores[ALICE].hangup(p.now, alice).unwrap();
    p.drain();
    p.run(ms(500));
    assert_eq!(p.state(BOB), Some(CallState::Ended(EndReason::Cancelled)));
    assert_eq!(p.state(ALICE), Some(CallState::Ended(EndReason::LocalHangup)));
    let second = p.cores[ALICE].dial(p.now, 0, "bob", 40002).unwrap();
    p.run(ms(200));
    let incoming = p.calls[BOB].last().unwrap().id;
    p.cores[BOB].reject(p.now, incoming, 486).unwrap();
    p.run(ms(200));
    let ended = p.calls[ALICE].iter().rev().find(|c| c.id == second).unwrap();
    assert_eq!(ended.state, CallState::Ended(EndReason::Rejected { status: 486, reason: "Busy Here".into() }));
}

#[test]
fn stopping_the_phone_hangs_up_its_calls() {
    let (mut p, _, _) = Phones::up();
    p.cores[ALICE].stop(p.now);
    p.drain();
    p.run(ms(300));
    assert_eq!(p.state(BOB), Some(CallState::Ended(EndReason::RemoteHangup)));
}

#[test]
fn errors_name_the_problem() {
    let (mut p, alice, _) = Phones::up();
    assert!(p.cores[ALICE].answer(p.now, alice, 1).is_err(), "an outgoing call cannot be answered");
    assert!(p.cores[ALICE].hangup(p.now, CallId(99)).is_err());
    assert!(p.cores[ALICE].dial(p.now, 7, "x", 1).is_err(), "no account 7");
}

#[test]
fn auto_answer_marks_incoming_calls_by_the_accounts_policy() {
    for (policy, expected) in [("off", false), ("header", false), ("always", true)] {
        let mut p = Phones::with_bob_answering(policy);
        p.cores[ALICE].dial(p.now, 0, "bob", 40000).unwrap();
        p.run(ms(100));
        let incoming = p.calls[BOB].last().unwrap();
        assert_eq!((incoming.state.clone(), incoming.auto_answer), (CallState::Incoming, expected), "{policy}");
    }
}

#[test]
fn an_invite_asks_for_auto_answer_in_the_ways_pbxs_do() {
    let invite = |extra: &str| {
        let text = format!(
            "INVITE sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n\
             To: <sip:bob@b>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        match Message::parse(text.into_bytes()).unwrap() {
            Message::Request(r) => r,
            _ => unreachable!(),
        }
    };
    use phone::core::asks_for_auto_answer as asks;
    assert!(asks(&invite("Call-Info: <sip:pbx>;answer-after=0\r\n")));
    assert!(asks(&invite("Alert-Info: <http://x>;info=alert-autoanswer\r\n")));
    assert!(asks(&invite("Alert-Info: Ring Answer\r\n")));
    assert!(asks(&invite("Answer-Mode: Auto\r\n")));
    assert!(!asks(&invite("Answer-Mode: Manual\r\n")));
    assert!(!asks(&invite("Alert-Info: <http://x/ring.wav>\r\n")));
}

#[test]
fn dtmf_by_sip_info_reaches_the_far_phone() {
    let (mut p, alice, _) = Phones::up();
    p.cores[ALICE].send_dtmf_info(p.now, alice, "12#").unwrap();
    p.run(ms(300));
    assert_eq!(p.digits[BOB], ['1', '2', '#']);
    let info = &p.sent.iter().find(|(from, t)| *from == ALICE && t.starts_with("INFO ")).unwrap().1;
    assert!(info.contains("Content-Type: application/dtmf-relay") && info.contains("Signal=1"), "{info}");
}

#[test]
fn a_peer_offering_only_opus_gets_opus_and_dtmf_falls_back_to_info() {
    let offer = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n\
                 m=audio 30000 RTP/AVP 96 101\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n\
                 a=rtpmap:101 telephone-event/8000\r\n";
    let offer = sdp::SessionDescription::parse(offer.as_bytes()).unwrap();
    let local = sdp::LocalMedia::new("192.0.2.2".parse().unwrap(), 50000, 1, 1);
    let (_, negotiated) = sdp::answer_offer(&offer, &phone::core::capabilities(), &local).unwrap();
    let negotiated = negotiated.unwrap();
    assert_eq!((negotiated.codec.name.as_str(), negotiated.codec.payload_type), ("opus", 96), "the offerer's PT");
    let config = phone::media::session_config(&negotiated, 16000).unwrap();
    assert!(config.opus.inband_fec, "useinbandfec=1 from the fmtp");
    assert!(!phone::media::dtmf_in_rtp(&negotiated), "events on 8000 Hz do not ride a 48 kHz stream");
    assert!(config.telephone_event.is_none());
}

#[test]
fn a_forwarded_call_gets_302_with_the_target_as_contact() {
    let mut p = Phones::new();
    let alice = p.cores[ALICE].dial(p.now, 0, "bob", 40000).unwrap();
    p.run(ms(100));
    let incoming = p.calls[BOB].last().unwrap().id;
    p.cores[BOB].forward(p.now, incoming, "2099").unwrap();
    p.run(ms(200));
    let redirect = &p.sent.iter().find(|(from, t)| *from == BOB && t.starts_with("SIP/2.0 302")).unwrap().1;
    assert!(redirect.contains(&format!("Contact: <sip:2099@{}>", addr(ALICE).ip())), "{redirect}");
    let ended = p.calls[ALICE].iter().rev().find(|c| c.id == alice).unwrap();
    assert!(matches!(&ended.state, CallState::Ended(EndReason::Rejected { status: 302, .. })), "{ended:?}");
}
