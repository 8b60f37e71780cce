//! The phone's SIP core against a fake registrar, on a virtual clock (`t0 + Duration`, never a
//! sleep) with a seeded RNG: registration with digest, answers to OPTIONS, INVITE and malformed
//! requests, keep-alives, stopping, several accounts, TCP flows.

use std::time::{Duration, Instant};

use phone::core::{Core, Output, STOP_TIMEOUT};
use phone::{Config, InstanceId};
use sip::digest;
use sip::header::Authorization;
use sip::locate::Target;
use sip::name::HeaderName;
use sip::registration::{RegistrationState, RetryReason};
use sip::Transport;

mod support;

use support::*;

const ONE_ACCOUNT: &str = r#"
[sip]
keepalive_secs = 25
user_agent = "Hardphone/test"

[[accounts]]
label = "office"
server = "pbx.example.com"
user = "1001"
password = "s3cret-pw"
"#;

fn registered_harness() -> Harness {
    let mut h = Harness::new(ONE_ACCOUNT, vec![Registrar::new("192.0.2.1:5060", "s3cret-pw")]);
    h.start(0, 0, Transport::Udp);
    assert!(h.registered(0), "states: {:?}", h.states);
    h
}

fn request(method: &str, extra: &str) -> String {
    format!(
        "{method} sip:1001@192.0.2.10:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-{method}-1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:pbx@pbx.example.com>;tag=pbx1\r\n\
         To: <sip:1001@pbx.example.com>\r\n\
         {extra}\
         CSeq: 1 {method}\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

#[test]
fn an_account_registers_with_digest() {
    let h = registered_harness();
    let states: Vec<String> = h.states.iter().map(|(_, _, s)| s.to_string()).collect();
    assert_eq!(states[0], "registering");
    assert!(states.last().unwrap().starts_with("registered, contact <sip:1001@192.0.2.10:5060>"), "{states:?}");
    let registers = &h.registrars[0].registers;
    assert_eq!(registers.len(), 2, "REGISTER, then REGISTER with credentials");
    let first = &registers[0].1;
    assert_eq!(&*first.uri, "sip:pbx.example.com");
    assert_eq!(first.headers.get(&HeaderName::UserAgent), Some("Hardphone/test"));
    assert!(first.headers.get(&HeaderName::To).unwrap().contains("sip:1001@pbx.example.com"));
    let auth = registers[1].1.headers.typed::<Authorization>().unwrap().unwrap();
    assert!(digest::verify(&auth, "s3cret-pw", "REGISTER", b""));
    assert_eq!(h.core.accounts()[0].label, "office");
}

#[test]
fn options_from_the_registrar_gets_200_with_allow() {
    let mut h = registered_harness();
    let responses = h.deliver(&request("OPTIONS", "Call-ID: opt-1@pbx\r\n"));
    assert_eq!(responses.len(), 1);
    let response = &responses[0];
    assert_eq!(response.status, 200);
    assert!(response.headers.get(&HeaderName::Allow).unwrap().contains("INVITE"));
    assert!(response.headers.get(&HeaderName::To).unwrap().contains(";tag="));
    assert_eq!(response.headers.get(&HeaderName::CallId), Some("opt-1@pbx"));
    // A retransmission is absorbed by the server transaction: the same response again.
    let again = h.deliver(&request("OPTIONS", "Call-ID: opt-1@pbx\r\n"));
    assert_eq!(again, responses);
}

#[test]
fn an_invite_rings_and_a_stray_bye_gets_481() {
    let mut h = registered_harness();
    let responses = h.deliver(&request("INVITE", "Call-ID: inv-1@pbx\r\nContact: <sip:pbx@192.0.2.1>\r\n"));
    assert_eq!(responses.iter().map(|r| r.status).collect::<Vec<_>>(), [180]);
    assert!(responses[0].headers.get(&HeaderName::Contact).is_some(), "a dialog-creating 180 has our Contact");
    let responses = h.deliver(&request("BYE", "Call-ID: bye-1@pbx\r\n"));
    assert_eq!(responses.iter().map(|r| r.status).collect::<Vec<_>>(), [481]);
    let responses = h.deliver(&request("CANCEL", "Call-ID: can-1@pbx\r\n"));
    assert_eq!(responses.iter().map(|r| r.status).collect::<Vec<_>>(), [481]);
}

#[test]
fn malformed_requests_get_400() {
    let mut h = registered_harness();
    // No Call-ID: the transaction layer takes it, validation refuses it.
    let responses = h.deliver(&request("OPTIONS", ""));
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].status, 400);
    assert!(responses[0].reason.to_ascii_lowercase().contains("call-id"), "{}", responses[0].reason);
    // A malformed CSeq: the transaction layer cannot take it, the 400 goes statelessly.
    let text = request("OPTIONS", "Call-ID: bad-cseq@pbx\r\n").replace("CSeq: 1 OPTIONS", "CSeq: one OPTIONS");
    let responses = h.deliver(&text);
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].status, 400);
}

#[test]
fn udp_keepalives_go_every_20_to_25_seconds() {
    let mut h = registered_harness();
    let start = h.now;
    h.run_for(secs(600));
    let pings: Vec<Instant> = h.pings().into_iter().filter(|at| *at >= start).collect();
    assert!(pings.len() >= 24, "{} pings in 10 min", pings.len());
    let mut previous = h.t0;
    for at in pings {
        let gap = at - previous;
        assert!(gap >= secs(20) && gap <= secs(25), "gap {gap:?}");
        previous = at;
    }
    let ping = h.sent.iter().find(|(.., bytes)| bytes.as_slice() == b"\r\n\r\n").unwrap();
    assert_eq!((ping.1, ping.2, ping.3), (addr("192.0.2.1:5060"), Transport::Udp, None));
    assert!(h.registered(0), "refreshed across 10 minutes");
}

#[test]
fn stop_unregisters_and_ends_in_stopped() {
    let mut h = registered_harness();
    h.run_for(secs(30));
    h.core.stop(h.now);
    h.drive();
    let last = &h.registrars[0].registers.last().unwrap().1;
    assert_eq!(last.headers.get(&HeaderName::Expires), Some("0"));
    assert!(h.registrars[0].bindings.is_empty(), "the binding is removed");
    assert_eq!(h.states.last().unwrap().2, RegistrationState::Unregistered);
    assert_eq!(h.stopped_at, Some(h.now));
    // No more pings after stopping.
    let pings_before = h.pings().len();
    h.run_for(secs(120));
    assert_eq!(h.pings().len(), pings_before);
}

#[test]
fn stop_with_a_silent_registrar_still_ends_within_10_seconds() {
    let mut h = registered_harness();
    h.registrars[0].online = false;
    let stop_at = h.now;
    h.core.stop(stop_at);
    h.drive();
    assert_eq!(h.stopped_at, None);
    h.run_for(secs(60));
    let stopped = h.stopped_at.expect("Stopped comes");
    assert!(stopped - stop_at <= STOP_TIMEOUT, "{:?}", stopped - stop_at);
    assert!(h.registrars[0].registers.len() > 3, "the unregister was sent and retransmitted");
}

#[test]
fn stop_before_any_account_started_is_immediate() {
    let mut h = Harness::new(ONE_ACCOUNT, vec![]);
    h.core.stop(h.now);
    h.drive();
    assert_eq!(h.stopped_at, Some(h.t0));
}

const THREE_ACCOUNTS: &str = r#"
[[accounts]]
label = "office"
server = "pbx.example.com"
user = "1001"
password = "office-pw"

[[accounts]]
label = "old"
server = "old.example.com"
user = "9"
enabled = false

[[accounts]]
label = "home"
server = "sip.example.net:5070"
user = "2002"
auth_user = "home-2002"
password = "home-pw"
display_name = "Home Line"
"#;

#[test]
fn two_accounts_register_independently() {
    let registrars =
        vec![Registrar::new("192.0.2.1:5060", "office-pw"), Registrar::new("198.51.100.7:5070", "home-pw")];
    let mut h = Harness::new(THREE_ACCOUNTS, registrars);
    let infos = h.core.accounts();
    assert_eq!(infos.iter().map(|a| (a.index, a.label.as_str())).collect::<Vec<_>>(), [(0, "office"), (2, "home")]);
    assert!(h.core.try_start_account(h.now, 1, target("192.0.2.9:5060"), addr(LOCAL)).is_err(), "disabled");
    h.registrars[1].online = false;
    h.start(0, 0, Transport::Udp);
    h.start(2, 1, Transport::Udp);
    assert!(h.registered(0));
    assert!(!h.registered(2));
    h.registrars[1].online = true;
    h.run_for(secs(400));
    assert!(h.registered(0) && h.registered(2), "{:?}", h.states);
    let home = &h.registrars[1].registers.last().unwrap().1;
    assert_eq!(&*home.uri, "sip:sip.example.net:5070");
    assert!(home.headers.get(&HeaderName::To).unwrap().contains("sip:2002@sip.example.net>"));
    assert!(home.headers.get(&HeaderName::From).unwrap().starts_with("\"Home Line\""));
    assert!(home.headers.get(&HeaderName::Authorization).unwrap().contains("username=\"home-2002\""));
    h.core.stop(h.now);
    h.drive();
    assert!(h.stopped_at.is_some());
    let unregistered: Vec<usize> =
        h.states.iter().filter(|(_, _, s)| *s == RegistrationState::Unregistered).map(|(_, i, _)| *i).collect();
    assert_eq!(unregistered, [0, 2]);
}

fn target(address: &str) -> Target {
    Target { addr: addr(address), transport: Transport::Udp, host: "pbx.example.com".into() }
}

#[test]
fn debug_never_shows_the_password() {
    let h = registered_harness();
    let text = format!("{:?}", h.core);
    assert!(!text.contains("s3cret-pw"), "{text}");
    assert!(text.contains("office"));
}

#[test]
fn tcp_flows_carry_pongs_and_a_closed_flow_re_registers() {
    let mut h = Harness::new(ONE_ACCOUNT, vec![Registrar::new("192.0.2.1:5060", "s3cret-pw")]);
    h.flow = Some(7);
    h.start(0, 0, Transport::Tcp);
    assert!(h.registered(0));
    let first = &h.registrars[0].registers[0].1;
    assert_eq!(&*first.uri, "sip:pbx.example.com;transport=tcp");
    // The registrar pings us: a CRLF pong on the same flow.
    h.core.handle_ping(h.now, 7);
    h.drive();
    let pong = h.sent.last().unwrap();
    assert_eq!(
        (pong.1, pong.2, pong.3, pong.4.as_slice()),
        (addr("192.0.2.1:5060"), Transport::Tcp, Some(7), &b"\r\n"[..])
    );
    // Our pings go on flow 7; pongs keep it alive.
    for _ in 0..5 {
        let pings = h.pings().len();
        while h.pings().len() == pings {
            h.run_for(secs(1));
        }
        assert_eq!(h.sent.last().unwrap().3, Some(7));
        h.core.handle_pong(h.now, 7);
    }
    assert!(h.registered(0));
    // The flow closes: a new REGISTER goes out 1-3 s later (FLOW_RECOVERY_DELAY), not before.
    let registers = h.registrars[0].registers.len();
    h.flow = Some(8);
    h.core.handle_flow_closed(h.now, 7);
    h.drive();
    assert_eq!(h.registrars[0].registers.len(), registers, "not at once");
    h.run_for(secs(3));
    assert!(h.registrars[0].registers.len() > registers);
    assert!(h.registered(0));
    // Without pongs the flow is declared failed 10 s after a ping, and the phone re-registers.
    let registers = h.registrars[0].registers.len();
    h.run_for(secs(40));
    assert!(h.registrars[0].registers.len() > registers, "no pong: register again");
}

#[test]
fn a_failed_send_fails_the_register_at_once() {
    let config = Config::from_toml(ONE_ACCOUNT).unwrap();
    let mut core = Core::new(&config, InstanceId::parse(INSTANCE).unwrap(), 7);
    let t0 = Instant::now();
    let pbx = addr("192.0.2.1:5060");
    let target = Target { addr: pbx, transport: Transport::Tcp, host: "pbx.example.com".into() };
    core.try_start_account(t0, 0, target, addr(LOCAL)).unwrap();
    let sent: Vec<Output> = std::iter::from_fn(|| core.poll_output()).collect();
    assert!(sent.iter().any(|o| matches!(o, Output::Transmit { to, .. } if *to == pbx)), "{sent:?}");
    // A failure towards another place, or over another transport, is not this account's.
    core.handle_send_failure(t0, addr("192.0.2.99:5060"), Transport::Tcp);
    core.handle_send_failure(t0, pbx, Transport::Udp);
    assert!(std::iter::from_fn(|| core.poll_output()).next().is_none());
    // The refused connect fails the REGISTER now, not after Timer F (32 s).
    core.handle_send_failure(t0 + Duration::from_millis(5), pbx, Transport::Tcp);
    let news: Vec<Output> = std::iter::from_fn(|| core.poll_output()).collect();
    let retrying = news.iter().any(|o| {
        matches!(
            o,
            Output::AccountState { state: RegistrationState::Retrying { reason: RetryReason::TransportError, .. }, .. }
        )
    });
    assert!(retrying, "{news:?}");
}

#[test]
fn the_registrars_flow_timer_sets_the_keepalive_interval() {
    let mut registrar = Registrar::new("192.0.2.1:5060", "s3cret-pw");
    registrar.flow_timer = Some(10);
    let mut h = Harness::new(ONE_ACCOUNT, vec![registrar]);
    h.start(0, 0, Transport::Udp);
    assert!(h.registered(0));
    let start = h.now;
    h.run_for(secs(120));
    let pings: Vec<Instant> = h.pings().into_iter().filter(|t| *t > start).collect();
    let gaps: Vec<Duration> = pings.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(!gaps.is_empty() && gaps.iter().all(|g| *g >= secs(8) && *g <= secs(10)), "{gaps:?}");
}

#[test]
fn a_long_flow_timer_never_stretches_keepalives_past_the_configured_interval() {
    let mut registrar = Registrar::new("192.0.2.1:5060", "s3cret-pw");
    registrar.flow_timer = Some(120);
    let mut h = Harness::new(ONE_ACCOUNT, vec![registrar]);
    h.start(0, 0, Transport::Udp);
    let start = h.now;
    h.run_for(secs(300));
    let pings: Vec<Instant> = h.pings().into_iter().filter(|t| *t > start).collect();
    let gaps: Vec<Duration> = pings.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().all(|g| *g <= secs(25)), "the configured 25 s still bounds: {gaps:?}");
}
