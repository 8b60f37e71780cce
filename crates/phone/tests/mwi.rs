//! Message waiting (RFC 3842, RFC 6665) on a virtual clock: an account with a voicemail
//! subscribes to its own message summary once registered, answers digest challenges, reads the
//! NOTIFYs of its subscription, refreshes it before it lapses, tries again after failures
//! (much later for a server without MWI), follows a terminated subscription, takes unsolicited
//! NOTIFYs from its server only, and unsubscribes when the phone stops.

use std::time::{Duration, Instant};

use phone::core::{parse_message_summary, MessageSummary, Output, MWI_UNSUPPORTED_RETRY};
use sip::header::{Authorization, CSeq, CallId, From, To};
use sip::name::HeaderName;
use sip::{digest, reason_phrase, reply, Message, Method, Request, Transport};

mod support;

use support::*;

const PBX: &str = "192.0.2.1:5060";
const VM_TAG: &str = "vm1";

fn harness(account: &str) -> Harness {
    let toml = format!(
        "[[accounts]]\nlabel = \"office\"\nserver = \"pbx.example.com\"\nuser = \"1001\"\npassword = \"pw\"\n{account}"
    );
    let mut h = Harness::new(&toml, vec![Registrar::new(PBX, "pw")]);
    h.start(0, 0, Transport::Udp);
    assert!(h.registered(0), "states: {:?}", h.states);
    h
}

/// The SUBSCRIBEs sent, one per transaction (retransmissions left out).
fn subscribes(h: &Harness) -> Vec<(Instant, Request)> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for (at, request) in h.requests_sent(Method::Subscribe) {
        let key = (call_id(&request), cseq(&request));
        if !seen.contains(&key) {
            seen.push(key);
            out.push((at, request));
        }
    }
    out
}

fn call_id(request: &Request) -> String {
    request.headers.typed::<CallId>().unwrap().unwrap().0.to_owned()
}

fn cseq(request: &Request) -> u32 {
    request.headers.typed::<CSeq>().unwrap().unwrap().seq
}

fn from_tag(request: &Request) -> String {
    request.headers.typed::<From>().unwrap().unwrap().tag().unwrap().to_owned()
}

/// The PBX answers `request` with `status` (its tag [`VM_TAG`], a Contact, `extra` headers).
fn respond(h: &mut Harness, request: &Request, status: u16, extra: &[(HeaderName, &str)]) {
    let mut response = reply(request, status, reason_phrase(status), Some(VM_TAG));
    response.headers.push(HeaderName::Contact, "<sip:vm@192.0.2.1:5060>").unwrap();
    for (name, value) in extra {
        response.headers.push(name.clone(), *value).unwrap();
    }
    h.core.handle_message(h.now, Transport::Udp, addr(PBX), None, Message::Response(response));
    h.drive();
}

/// Subscribed: the first SUBSCRIBE answered 200 with `Expires: expires`.
fn subscribed(expires: u32) -> (Harness, Request) {
    let mut h = harness("voicemail = \"*97\"\n");
    let (_, first) = subscribes(&h).pop().expect("a SUBSCRIBE");
    respond(&mut h, &first, 200, &[(HeaderName::Expires, &expires.to_string())]);
    (h, first)
}

/// A NOTIFY of the subscription `subscribe` made, with `state` and `body`.
fn notify(subscribe: &Request, cseq: u32, state: &str, body: &str) -> String {
    let to = format!("<sip:1001@pbx.example.com>;tag={}", from_tag(subscribe));
    let call_id = call_id(subscribe);
    let extra = format!("Event: message-summary\r\nSubscription-State: {state}\r\n");
    let mut notify = Incoming::new("NOTIFY", &call_id);
    let from = format!("<sip:1001@pbx.example.com>;tag={VM_TAG}");
    (notify.from, notify.to, notify.cseq, notify.extra) = (&from, &to, cseq, &extra);
    (notify.content_type, notify.body) = (Some("application/simple-message-summary"), body);
    notify.text()
}

fn waiting(h: &Harness) -> Vec<Output> {
    h.events.iter().map(|(_, o)| o.clone()).filter(|o| matches!(o, Output::MessageWaiting { .. })).collect()
}

#[test]
fn message_summary_bodies_are_read() {
    let body =
        "Messages-Waiting: yes\r\nMessage-Account: sip:*97@pbx\r\nVoice-Message: 2/8 (0/2)\r\nFax-Message: 1/0\r\n";
    let summary = parse_message_summary(body).unwrap();
    assert_eq!(summary, MessageSummary { waiting: true, new: 2, old: 8, urgent_new: 0, urgent_old: 2 });
    assert_eq!(parse_message_summary("Messages-Waiting: no\r\n").unwrap(), MessageSummary::default());
    assert!(parse_message_summary("Voice-Message: 1/0\r\n").unwrap().waiting);
    assert_eq!(parse_message_summary("hello"), None);
}

#[test]
fn an_account_with_voicemail_subscribes_once_registered() {
    let h = harness("voicemail = \"*97\"\n");
    let sent = subscribes(&h);
    assert_eq!(sent.len(), 1);
    let (_, subscribe) = &sent[0];
    assert_eq!(&*subscribe.uri, "sip:1001@pbx.example.com", "to its own AOR");
    let h2 = &subscribe.headers;
    assert_eq!(h2.get(&HeaderName::Event), Some("message-summary"));
    assert_eq!(h2.get(&HeaderName::Accept), Some("application/simple-message-summary"));
    assert_eq!(h2.get(&HeaderName::Expires), Some("3600"));
    assert!(h2.get(&HeaderName::From).unwrap().starts_with("<sip:1001@pbx.example.com>;tag="));
    assert!(h2.typed::<To>().unwrap().unwrap().tag().is_none());
    assert!(h2.get(&HeaderName::Contact).unwrap().contains("sip:1001@192.0.2.10:5060"));
    let to = h.sent.iter().find(|(.., bytes)| bytes.starts_with(b"SUBSCRIBE ")).unwrap().1;
    assert_eq!(to, addr(PBX), "to the registrar route");
}

#[test]
fn without_voicemail_or_when_switched_off_there_is_no_subscription() {
    assert!(subscribes(&harness("")).is_empty());
    assert!(subscribes(&harness("voicemail = \"*97\"\nmwi_subscribe = false\n")).is_empty());
    assert_eq!(subscribes(&harness("mwi_subscribe = true\n")).len(), 1);
}

#[test]
fn a_challenge_is_answered_with_digest_credentials() {
    let mut h = harness("voicemail = \"*97\"\n");
    let (_, first) = subscribes(&h).pop().unwrap();
    let challenge = "Digest realm=\"test\", nonce=\"n-9\", qop=\"auth\", algorithm=MD5";
    respond(&mut h, &first, 401, &[(HeaderName::WwwAuthenticate, challenge)]);
    let sent = subscribes(&h);
    assert_eq!(sent.len(), 2);
    let second = &sent[1].1;
    assert_eq!((call_id(second), cseq(second)), (call_id(&first), cseq(&first) + 1));
    let auth = second.headers.typed::<Authorization>().unwrap().expect("credentials");
    assert!(digest::verify(&auth, "pw", "SUBSCRIBE", b""));
    // A second refusal of the same credentials is not answered in a loop.
    respond(&mut h, second, 401, &[(HeaderName::WwwAuthenticate, challenge)]);
    let third = subscribes(&h).pop().unwrap().1;
    respond(&mut h, &third, 401, &[(HeaderName::WwwAuthenticate, challenge)]);
    assert_eq!(subscribes(&h).len(), 3);
}

#[test]
fn notifies_of_the_subscription_light_and_clear_the_lamp() {
    let (mut h, subscribe) = subscribed(3600);
    let body = "Messages-Waiting: yes\r\nVoice-Message: 2/1 (0/0)\r\n";
    let responses = h.deliver_from(PBX, &notify(&subscribe, 1, "active;expires=3600", body));
    assert_eq!(responses.iter().map(|r| r.status).collect::<Vec<_>>(), [200]);
    assert_eq!(waiting(&h), [Output::MessageWaiting { account: 0, waiting: true, new: 2, old: 1 }]);
    assert_eq!(h.core.message_waiting(0).map(|m| (m.waiting, m.new, m.old)), Some((true, 2, 1)));
    h.deliver_from(
        PBX,
        &notify(&subscribe, 2, "active;expires=3000", "Messages-Waiting: no\r\nVoice-Message: 0/3\r\n"),
    );
    assert_eq!(waiting(&h).last(), Some(&Output::MessageWaiting { account: 0, waiting: false, new: 0, old: 3 }));
}

#[test]
fn a_notify_before_the_2xx_is_taken_too() {
    let mut h = harness("voicemail = \"*97\"\n");
    let (_, subscribe) = subscribes(&h).pop().unwrap();
    let responses = h.deliver_from(PBX, &notify(&subscribe, 1, "active", "Messages-Waiting: yes\r\n"));
    assert_eq!(responses.iter().map(|r| r.status).collect::<Vec<_>>(), [200]);
    assert_eq!(waiting(&h).len(), 1);
}

#[test]
fn the_subscription_is_refreshed_a_minute_before_it_lapses() {
    let (mut h, first) = subscribed(600);
    let accepted_at = h.now;
    h.run_for(secs(545));
    let sent = subscribes(&h);
    assert_eq!(sent.len(), 2, "one refresh");
    let (at, refresh) = &sent[1];
    assert_eq!(*at - accepted_at, secs(540));
    assert_eq!(call_id(refresh), call_id(&first), "in the dialog");
    assert_eq!(refresh.headers.typed::<To>().unwrap().unwrap().tag(), Some(VM_TAG));
    assert_eq!(&*refresh.uri, "sip:vm@192.0.2.1:5060", "to the notifier's Contact");
    assert_eq!(cseq(refresh), cseq(&first) + 1);
    let refresh = refresh.clone();
    respond(&mut h, &refresh, 200, &[(HeaderName::Expires, "600")]);
    h.run_for(secs(600));
    assert_eq!(subscribes(&h).len(), 3, "and again");
}

#[test]
fn a_server_without_mwi_is_asked_again_an_hour_later() {
    let mut h = harness("voicemail = \"*97\"\n");
    let (_, first) = subscribes(&h).pop().unwrap();
    let refused_at = h.now;
    respond(&mut h, &first, 489, &[]);
    h.run_for(MWI_UNSUPPORTED_RETRY - secs(1));
    assert_eq!(subscribes(&h).len(), 1, "nothing for an hour");
    h.run_for(secs(2));
    let sent = subscribes(&h);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].0 - refused_at, MWI_UNSUPPORTED_RETRY);
    assert_ne!(call_id(&sent[1].1), call_id(&first), "a new subscription");
}

#[test]
fn without_an_answer_it_tries_again_with_a_growing_wait() {
    let mut h = harness("voicemail = \"*97\"\n");
    let start = h.now;
    h.run_for(secs(300));
    let times: Vec<Duration> = subscribes(&h).iter().map(|(at, _)| *at - start).collect();
    // Timer F (32 s) ends each try; then 30 s, 60 s, 120 s of backoff.
    assert_eq!(
        times,
        [secs(0), secs(62), secs(154), secs(306)].into_iter().filter(|t| *t <= secs(300)).collect::<Vec<_>>()
    );
}

#[test]
fn a_terminated_subscription_starts_again() {
    let (mut h, subscribe) = subscribed(3600);
    let responses = h.deliver_from(PBX, &notify(&subscribe, 1, "terminated;reason=deactivated", ""));
    assert_eq!(responses.iter().map(|r| r.status).collect::<Vec<_>>(), [200]);
    h.run_for(secs(1));
    let sent = subscribes(&h);
    assert_eq!(sent.len(), 2);
    assert_ne!(call_id(&sent[1].1), call_id(&subscribe));
    assert!(sent[1].1.headers.typed::<To>().unwrap().unwrap().tag().is_none(), "outside any dialog");
}

#[test]
fn a_refresh_refused_with_481_subscribes_anew() {
    let (mut h, first) = subscribed(600);
    h.run_for(secs(541));
    let refresh = subscribes(&h).pop().unwrap().1;
    respond(&mut h, &refresh, 481, &[]);
    let sent = subscribes(&h);
    assert_eq!(sent.len(), 3);
    assert_ne!(call_id(&sent[2].1), call_id(&first));
}

#[test]
fn unsolicited_notifies_count_from_the_server_only() {
    let mut h = harness("");
    let mut unsolicited = Incoming::new("NOTIFY", "mwi-u1");
    unsolicited.extra = "Event: message-summary\r\n";
    (unsolicited.content_type, unsolicited.body) =
        (Some("application/simple-message-summary"), "Messages-Waiting: yes\r\nVoice-Message: 1/0\r\n");
    let responses = h.deliver_from(PBX, &unsolicited.text());
    assert_eq!(responses.iter().map(|r| r.status).collect::<Vec<_>>(), [200]);
    assert_eq!(waiting(&h), [Output::MessageWaiting { account: 0, waiting: true, new: 1, old: 0 }]);
    let responses = h.deliver_from("203.0.113.9:5060", &unsolicited.text().replace("mwi-u1", "mwi-u2"));
    assert!(responses.is_empty(), "dropped by the guard");
    assert_eq!(waiting(&h).len(), 1);
}

#[test]
fn stopping_the_phone_unsubscribes() {
    let (mut h, first) = subscribed(3600);
    h.core.stop(h.now);
    h.drive();
    let last = subscribes(&h).pop().unwrap().1;
    assert_eq!(call_id(&last), call_id(&first));
    assert_eq!(last.headers.get(&HeaderName::Expires), Some("0"));
    h.run_for(secs(3600 * 2));
    assert_eq!(subscribes(&h).len(), 2, "nothing after stopping");
}

#[test]
fn a_new_configuration_starts_and_ends_subscriptions_without_registering_again() {
    let base = "[[accounts]]\nlabel = \"office\"\nserver = \"pbx.example.com\"\nuser = \"1001\"\npassword = \"pw\"\n";
    let mut h = harness("");
    assert!(subscribes(&h).is_empty());
    let registers = h.registers_sent().len();
    let with_voicemail = format!("{base}voicemail = \"*97\"\n");
    let done = h.core.reconfigure(h.now, &phone::Config::from_toml(&with_voicemail).unwrap());
    h.drive();
    assert!(done.start.is_empty(), "{done:?}");
    assert_eq!(h.registers_sent().len(), registers, "no new REGISTER");
    let (_, first) = subscribes(&h).pop().expect("a SUBSCRIBE once voicemail is set");
    respond(&mut h, &first, 200, &[(HeaderName::Expires, "3600")]);
    h.deliver_from(PBX, &notify(&first, 1, "active", "Messages-Waiting: yes\r\nVoice-Message: 1/0\r\n"));
    assert!(h.core.message_waiting(0).is_some());
    // Switched off: unsubscribed, and nothing more.
    let off = format!("{with_voicemail}mwi_subscribe = false\n");
    h.core.reconfigure(h.now, &phone::Config::from_toml(&off).unwrap());
    h.drive();
    let last = subscribes(&h).pop().unwrap().1;
    assert_eq!((call_id(&last), last.headers.get(&HeaderName::Expires)), (call_id(&first), Some("0")));
    h.run_for(secs(7200));
    assert_eq!(subscribes(&h).len(), 2);
    // The account removed: its counts are forgotten.
    h.core.reconfigure(h.now, &phone::Config::from_toml("").unwrap());
    h.drive();
    assert_eq!(h.core.message_waiting(0), None);
}
