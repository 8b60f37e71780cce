//! INVITE sessions end to end: two user agents, each a `TransactionLayer` and its `Session`s,
//! exchanging serialized messages over a simulated link (seeded loss and delay) on a virtual
//! clock. Every message crosses as bytes and is parsed again.

mod session_harness;

use std::time::{Duration, Instant};

use session_harness::*;
use sip::session::{EndReason, SessionEvent, SessionState};

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
    let next = sim.agents[BOB].sessions[0].poll_timeout();
    assert!(
        next.is_none_or(|at| at > sim.now + Duration::from_secs(600)),
        "retransmission stopped (only the session timer is left)"
    );
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
