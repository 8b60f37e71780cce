//! A new configuration applied to a running core (provisioning, the settings menu): only the
//! accounts that changed register again, on a virtual clock against fake registrars.

use phone::core::Reconfigured;
use phone::Config;
use sip::header::Authorization;
use sip::registration::RegistrationState;
use sip::{digest, Transport};

mod support;

use support::*;

const TWO: &str = r#"
[[accounts]]
label = "office"
server = "pbx.example.com"
user = "1001"
password = "pw-1"

[[accounts]]
label = "home"
server = "home.example.com"
user = "2001"
password = "pw-2"
"#;

fn two_registered() -> Harness {
    let mut h =
        Harness::new(TWO, vec![Registrar::new("192.0.2.1:5060", "pw-1"), Registrar::new("192.0.2.2:5060", "pw-2")]);
    h.start(0, 0, Transport::Udp);
    h.start(1, 1, Transport::Udp);
    assert!(h.registered(0) && h.registered(1), "{:?}", h.states);
    h
}

fn reconfigure(h: &mut Harness, toml: &str) -> Reconfigured {
    let config = Config::from_toml(toml).unwrap();
    let done = h.core.reconfigure(h.now, &config);
    h.drive();
    done
}

#[test]
fn the_same_configuration_changes_nothing() {
    let mut h = two_registered();
    let sent = h.sent.len();
    let done = reconfigure(&mut h, TWO);
    assert!(done.is_empty(), "{done:?}");
    assert_eq!(h.sent.len(), sent, "nothing sent");
    h.run_for(secs(60));
    assert!(h.registered(0) && h.registered(1));
}

#[test]
fn a_new_password_registers_that_account_again_and_only_it() {
    let mut h = two_registered();
    h.registrars[0].password = "pw-new".into();
    let done = reconfigure(&mut h, &TWO.replace("pw-1", "pw-new"));
    assert_eq!(done.start, [0]);
    assert!(done.retired.is_empty() && done.updated.is_empty(), "{done:?}");
    let (home_before, office_before) = (h.registrars[1].registers.len(), h.registrars[0].registers.len());
    // The edge locates and starts it again, as at boot.
    h.start(0, 0, Transport::Udp);
    assert!(h.registered(0), "{:?}", h.states.last());
    assert_eq!(h.registrars[1].registers.len(), home_before, "the unchanged account sent nothing");
    let last = &h.registrars[0].registers.last().unwrap().1;
    let auth = last.headers.typed::<Authorization>().unwrap().unwrap();
    assert!(digest::verify(&auth, "pw-new", "REGISTER", b""));
    // No un-REGISTER of the old binding: the new REGISTER refreshes the same one.
    let unregisters = h.registrars[0].registers[office_before..]
        .iter()
        .filter(|(_, r)| r.headers.get(&sip::name::HeaderName::Expires) == Some("0"))
        .count();
    assert_eq!(unregisters, 0);
    assert_eq!(h.registrars[0].bindings.len(), 1);
}

#[test]
fn a_removed_account_is_unregistered_and_reports_nothing_more() {
    let mut h = two_registered();
    let only_office = TWO.split("[[accounts]]\nlabel = \"home\"").next().unwrap().to_owned();
    let done = reconfigure(&mut h, &only_office);
    assert_eq!(done.retired, ["home"]);
    assert!(done.start.is_empty());
    assert!(h.registrars[1].bindings.is_empty(), "unregistered: {:?}", h.registrars[1].bindings);
    assert_eq!(h.core.accounts().len(), 1);
    let states_after = h.states.len();
    h.run_for(secs(3600));
    assert!(h.states[states_after..].iter().all(|(_, index, _)| *index == 0), "{:?}", &h.states[states_after..]);
    assert!(h.registered(0));
    assert!(h.core.routes(1).is_none());
}

#[test]
fn a_new_account_is_started_and_a_moved_one_leaves_its_old_registrar() {
    let mut h = two_registered();
    h.registrars.push(Registrar::new("192.0.2.3:5060", "pw-3"));
    // The fake registrar lists every binding it holds in each 200 (not only the AOR's), so the
    // third account gets a registrar of its own.
    h.registrars.push(Registrar::new("192.0.2.4:5060", "pw-1"));
    let moved = TWO.replace("home.example.com", "new.example.com").replace("pw-2", "pw-3")
        + "\n[[accounts]]\nlabel = \"third\"\nserver = \"pbx.example.com\"\nuser = \"1003\"\npassword = \"pw-1\"\n";
    let done = reconfigure(&mut h, &moved);
    assert_eq!(done.start, [1, 2]);
    assert_eq!(done.retired, ["home"]);
    assert!(h.registrars[1].bindings.is_empty(), "the old registrar's binding is removed");
    h.start(1, 2, Transport::Udp);
    h.start(2, 3, Transport::Udp);
    assert!(h.registered(0) && h.registered(1) && h.registered(2), "{:?}", h.states);
    assert_eq!(h.registrars[0].bindings.len(), 1, "1001 untouched: {:?}", h.registrars[0].bindings);
    assert_eq!(h.registrars[2].bindings.len(), 1);
    assert_eq!(h.registrars[3].bindings.len(), 1);
}

#[test]
fn call_handling_changes_apply_in_place() {
    let mut h = two_registered();
    let sent = h.sent.len();
    let done =
        reconfigure(&mut h, &TWO.replace("password = \"pw-2\"", "password = \"pw-2\"\nauto_answer = \"always\""));
    assert_eq!(done.updated, ["home"]);
    assert!(done.start.is_empty() && done.retired.is_empty());
    assert_eq!(h.sent.len(), sent);
}

#[test]
fn a_retired_account_whose_registrar_is_silent_is_forgotten_after_the_stop_timeout() {
    let mut h = two_registered();
    h.registrars[1].online = false;
    let only_office = TWO.split("[[accounts]]\nlabel = \"home\"").next().unwrap().to_owned();
    reconfigure(&mut h, &only_office);
    h.run_for(phone::core::STOP_TIMEOUT + secs(1));
    let to_home = h.registers_sent().iter().filter(|(at, to)| *to == h.registrars[1].addr && *at > h.now).count();
    assert_eq!(to_home, 0);
    h.run_for(secs(600));
    let last_to_home = h.registers_sent().iter().filter(|(_, to)| *to == h.registrars[1].addr).map(|(at, _)| *at).max();
    assert!(last_to_home.unwrap() <= h.t0 + phone::core::STOP_TIMEOUT + secs(1), "no REGISTER after it was forgotten");
    assert!(matches!(h.states.last(), Some((_, 0, RegistrationState::Registered { .. }))));
}
