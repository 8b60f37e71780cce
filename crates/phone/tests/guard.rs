//! The trusted-server guard (issue 5, point 6) on a virtual clock: INVITE, MESSAGE, NOTIFY and
//! REFER outside a dialog from an address that is not a registrar or proxy of the phone are
//! dropped without a word (or refused 403 when configured); trusted ones, in-dialog requests and
//! direct calls (when on) pass. Also the text messages (RFC 3428) and check-sync NOTIFYs the
//! guard lets through.

use phone::core::{Output, MAX_TEXT_BYTES};
use phone::Config;
use sip::name::HeaderName;
use sip::{Message, Transport};

mod support;

use support::*;

/// A scanner on the Internet.
const SCANNER: &str = "203.0.113.9:5060";

fn harness(sip: &str) -> Harness {
    let toml = format!(
        "[sip]\n{sip}\n[[accounts]]\nlabel = \"office\"\nserver = \"pbx.example.com\"\nuser = \"1001\"\n\
         password = \"pw\"\n"
    );
    let mut h = Harness::new(&toml, vec![Registrar::new("192.0.2.1:5060", "pw")]);
    h.start(0, 0, Transport::Udp);
    assert!(h.registered(0), "states: {:?}", h.states);
    h.events.clear();
    h
}

fn invite(call_id: &str) -> String {
    Incoming::new("INVITE", call_id).text()
}

fn statuses(responses: &[sip::Response]) -> Vec<u16> {
    responses.iter().map(|r| r.status).collect()
}

/// Hands `text` to the core from `from` and returns everything the core output at once.
fn outputs_of(h: &mut Harness, from: &str, text: &str) -> Vec<Output> {
    let message = Message::parse(text.as_bytes().to_vec()).unwrap();
    h.core.handle_message(h.now, Transport::Udp, addr(from), None, message);
    std::iter::from_fn(|| h.core.poll_output()).collect()
}

fn transactions(h: &Harness) -> String {
    let debug = format!("{:?}", h.core);
    debug.split("transactions: ").nth(1).and_then(|rest| rest.split(',').next()).unwrap().to_owned()
}

#[test]
fn an_invite_from_an_untrusted_address_gets_nothing_at_all() {
    let mut h = harness("");
    let before = transactions(&h);
    assert!(outputs_of(&mut h, SCANNER, &invite("scan-1")).is_empty(), "no response, no call, nothing");
    assert_eq!(transactions(&h), before, "no transaction is kept");
    // Not even a 100 Trying later.
    let sent = h.sent.len();
    h.run_for(secs(5));
    assert!(h.sent[sent..].iter().all(|(_, to, ..)| *to != addr(SCANNER)), "nothing to the scanner");
    assert!(h.core.calls().is_empty());
    // Retransmissions too.
    assert!(outputs_of(&mut h, SCANNER, &invite("scan-1")).is_empty());
}

#[test]
fn message_notify_and_refer_from_an_untrusted_address_are_dropped() {
    let mut h = harness("");
    for method in ["MESSAGE", "NOTIFY", "REFER"] {
        let mut request = Incoming::new(method, "scan-2");
        request.extra = "Event: check-sync\r\nRefer-To: <sip:9999@203.0.113.9>\r\n";
        if method == "MESSAGE" {
            (request.content_type, request.body) = (Some("text/plain"), "hi");
        }
        assert!(outputs_of(&mut h, SCANNER, &request.text()).is_empty(), "{method} dropped");
    }
}

#[test]
fn in_403_mode_an_untrusted_request_is_refused_statelessly() {
    let mut h = harness("untrusted = \"403\"");
    let before = transactions(&h);
    let responses = h.deliver_from(SCANNER, &invite("scan-3"));
    assert_eq!(statuses(&responses), [403]);
    assert!(responses[0].headers.get(&HeaderName::To).unwrap().contains(";tag="));
    assert_eq!(transactions(&h), before, "no transaction kept");
    assert_eq!(statuses(&h.deliver_from(SCANNER, &invite("scan-3"))), [403], "each retransmission again");
    assert!(h.core.calls().is_empty());
}

#[test]
fn the_registrar_is_trusted_on_any_port_and_so_are_configured_networks() {
    let mut h = harness("trusted = [\"198.51.100.0/24\", \"2001:db8::5\"]");
    assert!(h.core.is_trusted("192.0.2.1".parse().unwrap()));
    assert!(h.core.is_trusted("::ffff:192.0.2.1".parse().unwrap()), "IPv4-mapped");
    assert!(h.core.is_trusted("2001:db8::5".parse().unwrap()));
    assert!(!h.core.is_trusted("192.0.2.2".parse().unwrap()));
    assert_eq!(statuses(&h.deliver_from("192.0.2.1:5080", &invite("pbx-1"))), [180], "another port of the PBX");
    assert_eq!(statuses(&h.deliver_from("198.51.100.7:5060", &invite("net-1"))), [180]);
    assert_eq!(h.core.calls().len(), 2);
}

#[test]
fn every_route_of_an_account_is_trusted_backup_included() {
    let toml = "[[accounts]]\nlabel = \"office\"\nserver = \"pbx.example.com\"\nuser = \"1001\"\npassword = \"pw\"\n\
                backup_server = \"backup.example.com\"\n";
    let mut h =
        Harness::new(toml, vec![Registrar::new("192.0.2.1:5060", "pw"), Registrar::new("192.0.2.2:5060", "pw")]);
    h.start_routes(0, &[0], &[1]);
    assert!(h.core.is_trusted("192.0.2.1".parse().unwrap()) && h.core.is_trusted("192.0.2.2".parse().unwrap()));
    assert_eq!(statuses(&h.deliver_from("192.0.2.2:5060", &invite("backup-1"))), [180]);
}

#[test]
fn direct_calls_are_on_by_default_only_without_accounts() {
    let empty = phone::Core::new(&Config::from_toml("").unwrap(), phone::InstanceId::parse(INSTANCE).unwrap(), 1);
    assert!(empty.direct_calls(), "a phone fresh out of the box takes direct calls");
    let disabled = "[[accounts]]\nlabel = \"x\"\nserver = \"pbx\"\nuser = \"1\"\nenabled = false\n";
    let core = phone::Core::new(&Config::from_toml(disabled).unwrap(), phone::InstanceId::parse(INSTANCE).unwrap(), 1);
    assert!(core.direct_calls(), "no enabled account");
    let h = harness("");
    assert!(!h.core.direct_calls());
    let h = harness("direct_calls = true");
    assert!(h.core.direct_calls());
}

#[test]
fn without_accounts_a_direct_call_rings_but_a_notify_is_dropped() {
    let mut h = Harness::new("[sip]\n", vec![Registrar::new("192.0.2.1:5060", "pw")]);
    assert_eq!(statuses(&h.deliver_from(SCANNER, &invite("direct-1"))), [180]);
    let mut notify = Incoming::new("NOTIFY", "direct-2");
    notify.extra = "Event: check-sync\r\n";
    assert!(outputs_of(&mut h, SCANNER, &notify.text()).is_empty());
}

#[test]
fn with_direct_calls_on_invite_and_message_pass_but_notify_and_refer_do_not() {
    let mut h = harness("direct_calls = true");
    assert_eq!(statuses(&h.deliver_from(SCANNER, &invite("direct-3"))), [180]);
    let mut message = Incoming::new("MESSAGE", "direct-4");
    (message.content_type, message.body) = (Some("text/plain"), "lunch?");
    assert_eq!(statuses(&h.deliver_from(SCANNER, &message.text())), [200]);
    for method in ["NOTIFY", "REFER"] {
        let mut request = Incoming::new(method, "direct-5");
        request.extra = "Event: message-summary\r\nRefer-To: <sip:9@203.0.113.9>\r\n";
        assert!(outputs_of(&mut h, SCANNER, &request.text()).is_empty(), "{method}");
    }
}

#[test]
fn with_the_guard_off_anyone_may_call() {
    let mut h = harness("trusted_only = false");
    assert_eq!(statuses(&h.deliver_from(SCANNER, &invite("open-1"))), [180]);
}

#[test]
fn requests_inside_a_dialog_are_not_guarded() {
    let mut h = harness("");
    let mut bye = Incoming::new("BYE", "dialog-1");
    bye.to = "<sip:1001@pbx.example.com>;tag=ours";
    assert_eq!(statuses(&h.deliver_from(SCANNER, &bye.text())), [481], "answered, not dropped");
    let mut reinvite = Incoming::new("INVITE", "dialog-2");
    reinvite.to = "<sip:1001@pbx.example.com>;tag=ours";
    assert_eq!(statuses(&h.deliver_from(SCANNER, &reinvite.text())), [481]);
    // OPTIONS is not guarded either (Asterisk's qualify, a monitoring probe).
    assert_eq!(statuses(&h.deliver_from(SCANNER, &Incoming::new("OPTIONS", "opt-1").text())), [200]);
}

#[test]
fn a_text_message_from_the_server_is_shown() {
    let mut h = harness("");
    let mut message = Incoming::new("MESSAGE", "msg-1");
    message.from = "\"Front desk\" <sip:2000@pbx.example.com>;tag=m1";
    (message.content_type, message.body) = (Some("text/plain;charset=UTF-8"), "Café at 3 — ok?");
    assert_eq!(statuses(&h.deliver_from("192.0.2.1:5060", &message.text())), [200]);
    let texts: Vec<&Output> =
        h.events.iter().map(|(_, o)| o).filter(|o| matches!(o, Output::TextMessage { .. })).collect();
    assert_eq!(
        texts,
        [&Output::TextMessage {
            account: Some(0),
            from: "\"Front desk\" <sip:2000@pbx.example.com>".to_owned(),
            text: "Café at 3 — ok?".to_owned()
        }]
    );
}

#[test]
fn text_messages_that_are_not_plain_text_or_too_long_are_refused() {
    let mut h = harness("");
    let mut html = Incoming::new("MESSAGE", "msg-2");
    (html.content_type, html.body) = (Some("text/html"), "<b>hi</b>");
    let responses = h.deliver_from("192.0.2.1:5060", &html.text());
    assert_eq!(statuses(&responses), [415]);
    assert!(responses[0].headers.get(&HeaderName::Accept).is_some_and(|a| a.contains("text/plain")));
    let long = "x".repeat(MAX_TEXT_BYTES + 1);
    let mut big = Incoming::new("MESSAGE", "msg-3");
    (big.content_type, big.body) = (Some("text/plain"), &long);
    assert_eq!(statuses(&h.deliver_from("192.0.2.1:5060", &big.text())), [413]);
    let exact = "y".repeat(MAX_TEXT_BYTES);
    let mut fits = Incoming::new("MESSAGE", "msg-4");
    (fits.content_type, fits.body) = (Some("text/plain"), &exact);
    assert_eq!(statuses(&h.deliver_from("192.0.2.1:5060", &fits.text())), [200]);
    assert_eq!(h.events.iter().filter(|(_, o)| matches!(o, Output::TextMessage { .. })).count(), 1);
}

#[test]
fn check_sync_from_the_registrar_asks_for_a_fetch() {
    let mut h = harness("");
    for (n, event) in ["check-sync;reboot=false", "resync"].iter().enumerate() {
        let call_id = format!("sync-{n}");
        let mut notify = Incoming::new("NOTIFY", &call_id);
        let extra = format!("Event: {event}\r\nSubscription-State: terminated\r\n");
        notify.extra = &extra;
        assert_eq!(statuses(&h.deliver_from("192.0.2.1:5060", &notify.text())), [200], "{event}");
    }
    let syncs = h.events.iter().filter(|(_, o)| *o == Output::CheckSync { account: 0 }).count();
    assert_eq!(syncs, 2);
    // An event the phone has no subscription for: 481 (RFC 6665 §4.1.3).
    let mut other = Incoming::new("NOTIFY", "sync-3");
    other.extra = "Event: dialog\r\n";
    assert_eq!(statuses(&h.deliver_from("192.0.2.1:5060", &other.text())), [481]);
}

#[test]
fn check_sync_from_elsewhere_never_triggers_a_fetch() {
    let mut notify = Incoming::new("NOTIFY", "sync-4");
    notify.extra = "Event: check-sync\r\n";
    let mut h = harness("");
    assert!(outputs_of(&mut h, SCANNER, &notify.text()).is_empty(), "dropped by the guard");
    // With the guard off the NOTIFY reaches the core, which still refuses it.
    let mut h = harness("trusted_only = false");
    assert_eq!(statuses(&h.deliver_from(SCANNER, &notify.text())), [403]);
    assert!(!h.events.iter().any(|(_, o)| matches!(o, Output::CheckSync { .. })));
}
