//! Two phone binaries call each other through Kamailio on 127.0.0.1, driven by
//! `hardphone ctl`: digest on the INVITE (407), record-routing, ringing, answer with SDP
//! offer/answer, hold and resume by re-INVITE, hang-up from the callee, and CANCEL before
//! answer. Every process is stopped by PID.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{
    location_table, start_kamailio, start_phone, wait_until, Kamailio, Phone, PhoneSetup, TempDir, PASSWORD2, USER,
    USER2,
};

/// Kamailio with both phones registered.
fn two_phones(dir: &TempDir) -> (Kamailio, Phone, Phone) {
    two_phones_with(dir, None)
}

/// [`two_phones`], the callee's account answering by `auto_answer`.
fn two_phones_with(dir: &TempDir, auto_answer: Option<&'static str>) -> (Kamailio, Phone, Phone) {
    let mut kamailio = start_kamailio();
    kamailio.wait_ready();
    let server = format!("127.0.0.1:{}", kamailio.port);
    let alice = start_phone(&dir.path, "alice", &PhoneSetup::new(server.clone(), "udp"));
    let mut bob_setup = PhoneSetup::new(server, "udp");
    bob_setup.user = USER2;
    bob_setup.password = PASSWORD2;
    bob_setup.auto_answer = auto_answer;
    let bob = start_phone(&dir.path, "bob", &bob_setup);
    let both = || {
        let table = location_table(&kamailio);
        (table.contains(&format!("sip:{USER}@")) && table.contains(&format!("sip:{USER2}@"))).then_some(())
    };
    wait_until("both registered", Duration::from_secs(15), both, || format!("{}\n{}", alice.log(), bob.log()));
    (kamailio, alice, bob)
}

/// The state of the newest call in a phone's status, once it satisfies `want`.
fn wait_call(phone: &Phone, other: &Phone, what: &str, want: impl Fn(&Value) -> bool) -> Value {
    let check = || {
        let status = phone.ctl("status");
        status["calls"].as_array().and_then(|calls| calls.last().cloned()).filter(|call| want(call))
    };
    wait_until(what, Duration::from_secs(15), check, || format!("{}\n== other\n{}", phone.log(), other.log()))
}

fn state_is(state: &'static str) -> impl Fn(&Value) -> bool {
    move |call| call["state"].as_str().is_some_and(|s| s.starts_with(state))
}

#[test]
fn a_call_through_kamailio_is_answered_held_resumed_and_hung_up() {
    let dir = TempDir::new("calls");
    let (_kamailio, alice, bob) = two_phones(&dir);
    let dialed = alice.ctl(&format!("dial {USER2}"));
    assert_eq!(dialed["ok"], true, "{dialed}");
    let ringing = wait_call(&bob, &alice, "the callee rings", state_is("incoming"));
    assert!(ringing["remote"].as_str().unwrap().contains(&format!("sip:{USER}@")), "{ringing}");
    wait_call(&alice, &bob, "the caller hears ringing", state_is("ringing"));
    let answered = bob.ctl("answer");
    assert_eq!(answered["ok"], true, "{answered}");
    let call = wait_call(&alice, &bob, "the call is up", state_is("active"));
    assert_eq!(call["codec"], "G722", "{call}");
    wait_call(&bob, &alice, "the callee is up", |c| state_is("active")(c) && c["codec"] == "G722");
    assert_eq!(alice.ctl("hold")["ok"], true);
    wait_call(&bob, &alice, "the callee sees the hold", state_is("remote-hold"));
    wait_call(&alice, &bob, "the caller holds", state_is("held"));
    assert_eq!(alice.ctl("resume")["ok"], true);
    wait_call(&bob, &alice, "the callee sees the resume", state_is("active"));
    assert_eq!(bob.ctl("hangup")["ok"], true);
    wait_call(&alice, &bob, "the caller sees the hang-up", state_is("ended: RemoteHangup"));
    wait_call(&bob, &alice, "the callee ended", state_is("ended: LocalHangup"));
}

#[test]
fn a_call_cancelled_before_answer_stops_ringing() {
    let dir = TempDir::new("cancel");
    let (_kamailio, alice, bob) = two_phones(&dir);
    assert_eq!(alice.ctl(&format!("dial {USER2}"))["ok"], true);
    wait_call(&bob, &alice, "the callee rings", state_is("incoming"));
    assert_eq!(alice.ctl("hangup")["ok"], true);
    wait_call(&bob, &alice, "ringing stops", state_is("ended: Cancelled"));
    wait_call(&alice, &bob, "the caller ended", state_is("ended: LocalHangup"));
    let refused = bob.ctl("answer");
    assert_eq!(refused["ok"], false, "nothing left to answer: {refused}");
}

#[test]
fn an_auto_answer_account_takes_the_call_without_a_key_press() {
    let dir = TempDir::new("autoanswer");
    let (_kamailio, alice, bob) = two_phones_with(&dir, Some("always"));
    assert_eq!(alice.ctl(&format!("dial {USER2}"))["ok"], true);
    wait_call(&alice, &bob, "the call is up", state_is("active"));
    wait_call(&bob, &alice, "the callee answered by itself", state_is("active"));
    assert!(bob.log().contains("auto-answered"), "{}", bob.log());
}
