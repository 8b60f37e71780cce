//! Session timers (RFC 4028) and reliable provisional responses (RFC 3262) between two user
//! agents of the session harness, on a virtual clock.

mod session_harness;

use std::time::Duration;

use session_harness::*;
use sip::session::{EndReason, SessionState};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn the_callee_sets_a_session_timer_the_caller_refreshes_every_half_interval() {
    let mut sim = Sim::new(21);
    sim.call();
    sim.run(ms(2000));
    let invite = &sim.sent(ALICE, "INVITE ")[0].1;
    assert!(invite.contains("Session-Expires: 1800") && invite.contains("Min-SE: 90"), "{invite}");
    assert!(invite.contains("Supported: 100rel, replaces, timer"), "{invite}");
    let ok = &sim.sent(BOB, "SIP/2.0 200")[0].1;
    assert!(ok.contains("Session-Expires: 1800;refresher=uac") && ok.contains("Require: timer"), "{ok}");
    assert_eq!(sim.agents[ALICE].sessions[0].session_timer(), Some((1800, true)));
    assert_eq!(sim.agents[BOB].sessions[0].session_timer(), Some((1800, false)));
    // An hour: refreshes at ~900 s intervals, the call stays up, no media change is reported.
    sim.run(secs(3600));
    let refreshes: Vec<Duration> = sim.sent(ALICE, "INVITE ").iter().skip(1).map(|(at, _)| *at - sim.t0).collect();
    assert_eq!(refreshes.len(), 4, "{refreshes:?}");
    for pair in refreshes.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= secs(899) && gap <= secs(901), "{gap:?}");
    }
    assert!(sim.sent(ALICE, "INVITE ")[1].1.contains("s=offer"), "the refresh repeats our description");
    assert_eq!(sim.agents[BOB].sessions[0].state(), SessionState::Confirmed);
    let reoffers =
        sim.events(ALICE).iter().filter(|e| matches!(e, sip::session::SessionEvent::ReofferAnswered { .. })).count();
    assert_eq!(reoffers, 0, "a refresh is no news to the phone");
}

#[test]
fn without_refreshes_the_callee_ends_the_call_before_the_interval_runs_out() {
    let mut sim = Sim::new(22);
    sim.call();
    sim.run(ms(2000));
    // Alice's phone goes silent (a crash, a cable pulled): nothing of hers arrives any more.
    sim.drop_requests_from = Some((ALICE, ""));
    sim.run(secs(1800));
    assert_eq!(sim.ended(BOB, 0), Some(EndReason::SessionExpired));
    let bye = sim.sent(BOB, "BYE ")[0].0 - sim.t0;
    // Session-Expires − min(32, 1800/3) after the 200 at ~1 s (RFC 4028 §10).
    assert!(bye >= secs(1768) && bye <= secs(1770), "{bye:?}");
}

#[test]
fn a_422_is_answered_with_the_peers_min_se() {
    let mut sim = Sim::new(23);
    sim.agents[BOB].min_se = Some(3600);
    sim.call();
    sim.run(ms(3000));
    let invites = sim.sent(ALICE, "INVITE ");
    assert_eq!(invites.len(), 2);
    assert!(
        invites[1].1.contains("Session-Expires: 3600") && invites[1].1.contains("Min-SE: 3600"),
        "{}",
        invites[1].1
    );
    assert_eq!(sim.agents[ALICE].sessions[0].state(), SessionState::Confirmed);
}

#[test]
fn a_required_100rel_gets_a_reliable_180_which_the_caller_pracks() {
    let mut sim = Sim::new(24);
    sim.require_100rel = true;
    sim.agents[BOB].on_invite = vec![Answer::RingThenAccept(3000)];
    sim.drop_requests_from = Some((ALICE, "PRACK "));
    sim.call();
    sim.run(ms(1600));
    // Without its PRACK the 180 is sent again: T1, then 2·T1 (RFC 3262 §3).
    let ringing = sim.sent(BOB, "SIP/2.0 180");
    assert!(ringing.len() >= 3, "{}", ringing.len());
    assert!(ringing[0].1.contains("Require: 100rel") && ringing[0].1.contains("RSeq: 1"), "{}", ringing[0].1);
    sim.drop_requests_from = None;
    sim.run(ms(3000));
    let prack = sim.sent(ALICE, "PRACK ").last().unwrap().1.clone();
    assert!(prack.contains("RAck: 1 1 INVITE"), "{prack}");
    assert_eq!(sim.sent(BOB, "SIP/2.0 200").iter().filter(|(_, t)| t.contains("PRACK")).count(), 1);
    let retransmitted = sim.sent(BOB, "SIP/2.0 180").len();
    sim.run(ms(2000));
    assert_eq!(sim.sent(BOB, "SIP/2.0 180").len(), retransmitted, "the PRACK stopped the retransmissions");
    assert_eq!(sim.agents[ALICE].sessions[0].state(), SessionState::Confirmed);
}

#[test]
fn early_media_comes_with_183_and_its_answer_then_the_call_is_answered() {
    let mut sim = Sim::new(25);
    sim.agents[BOB].on_invite = vec![Answer::EarlyMediaThenAccept(1000)];
    sim.call();
    sim.run(ms(500));
    let progress = sim.events(ALICE);
    assert!(
        matches!(&progress[0], sip::session::SessionEvent::Progress { status: 183, body: Some(b) } if String::from_utf8_lossy(b).contains("s=early")),
        "{progress:?}"
    );
    assert_eq!(sim.agents[ALICE].sessions[0].state(), SessionState::Early);
    sim.run(ms(1500));
    assert_eq!(sim.agents[ALICE].sessions[0].state(), SessionState::Confirmed);
}

#[test]
fn a_challenged_bye_is_sent_again_with_credentials() {
    let mut sim = Sim::new(26);
    sim.agents[BOB].challenge_bye = true;
    sim.call();
    sim.run(ms(2000));
    sim.at(ms(0), ALICE, Action::Hangup(0));
    sim.run(ms(2000));
    let byes = sim.sent(ALICE, "BYE ");
    assert_eq!(byes.len(), 2, "BYE, then BYE with credentials");
    assert!(byes[1].1.contains("Authorization: Digest") && byes[1].1.contains("CSeq: 3 BYE"), "{}", byes[1].1);
    assert_eq!(sim.ended(BOB, 0), Some(EndReason::RemoteHangup));
}
