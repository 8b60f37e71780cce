//! VICIdial agent mode (issue 5, point 5) on a virtual clock: the agent's session call from the
//! registrar (caller-ID name `S` + timestamp + session number, no auto-answer header) is
//! answered at once; a call asking by header too; other names ring; the same INVITE from an
//! untrusted address is not answered. The session is never held (no re-INVITE); its end by the
//! far end or a session timer is flagged as lost, ours is not. OPTIONS is answered meanwhile.

use phone::core::{CallId, CallInfo, CallState, Output};
use phone::CoreError;
use sip::name::HeaderName;
use sip::session::EndReason;
use sip::{Method, Transport};

mod support;

use support::*;

const PBX: &str = "192.0.2.1:5060";
const AGENT: &str = "\"S2611260815228600051\" <sip:0000000000@192.0.2.1>;tag=vd1";

const SDP: &str = "v=0\r\no=asterisk 1 1 IN IP4 192.0.2.1\r\ns=Asterisk\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
                   m=audio 10000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
                   a=fmtp:101 0-16\r\na=sendrecv\r\n";

fn harness(sip: &str, account: &str) -> Harness {
    let toml = format!(
        "[sip]\n{sip}\n[[accounts]]\nlabel = \"agent\"\nserver = \"pbx.example.com\"\nuser = \"1001\"\n\
         password = \"pw\"\nauto_answer = \"vicidial\"\n{account}"
    );
    let mut h = Harness::new(&toml, vec![Registrar::new(PBX, "pw")]);
    h.start(0, 0, Transport::Udp);
    assert!(h.registered(0), "states: {:?}", h.states);
    h
}

fn login_invite(call_id: &str, from: &str, extra: &str) -> String {
    let mut invite = Incoming::new("INVITE", call_id);
    (invite.from, invite.extra) = (from, extra);
    (invite.content_type, invite.body) = (Some("application/sdp"), SDP);
    invite.text()
}

/// The calls the core reported, in order.
fn calls(h: &Harness) -> Vec<CallInfo> {
    h.events
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Call(info) => Some(info.clone()),
            _ => None,
        })
        .collect()
}

/// The login call arrives from the PBX and is answered as the edge would (at once, since the
/// core marks it); the PBX acknowledges the 200.
fn session_up(h: &mut Harness) -> CallId {
    session_up_with(h, "")
}

/// [`session_up`] with `extra` header lines in the INVITE.
fn session_up_with(h: &mut Harness, extra: &str) -> CallId {
    let responses = h.deliver_from(PBX, &login_invite("login-1", AGENT, extra));
    assert_eq!(responses.iter().map(|r| r.status).collect::<Vec<_>>(), [180]);
    let incoming = calls(h).pop().unwrap();
    assert!(incoming.auto_answer && incoming.agent_session, "{incoming:?}");
    let before = h.sent.len();
    h.core.answer(h.now, incoming.id, 40_000).unwrap();
    h.drive();
    let ok = h.sent[before..]
        .iter()
        .find_map(|(.., bytes)| match sip::Message::parse(bytes.clone()) {
            Ok(sip::Message::Response(r)) if r.status == 200 => Some(r),
            _ => None,
        })
        .expect("200 to the INVITE");
    let to = ok.headers.get(&HeaderName::To).unwrap().to_owned();
    let mut ack = Incoming::new("ACK", "login-1");
    (ack.from, ack.to) = (AGENT, &to);
    h.deliver_from(PBX, &ack.text());
    assert_eq!(h.core.calls()[0].state, CallState::Active);
    incoming.id
}

/// A request of the PBX inside the session's dialog, with an SDP body when `sdp` is given.
fn in_dialog(h: &Harness, method: &str, cseq: u32, sdp: Option<&str>) -> String {
    let ok = h
        .sent
        .iter()
        .find_map(|(.., bytes)| match sip::Message::parse(bytes.clone()) {
            Ok(sip::Message::Response(r)) if r.status == 200 => Some(r),
            _ => None,
        })
        .unwrap();
    let to = ok.headers.get(&HeaderName::To).unwrap().to_owned();
    let mut request = Incoming::new(method, "login-1");
    (request.from, request.to, request.cseq) = (AGENT, &to, cseq);
    if let Some(sdp) = sdp {
        (request.content_type, request.body) = (Some("application/sdp"), sdp);
    }
    request.text()
}

#[test]
fn the_agent_login_call_from_the_registrar_is_answered_at_once() {
    let mut h = harness("", "");
    let id = session_up(&mut h);
    assert_eq!(h.core.calls()[0].id, id);
    assert!(h.events.iter().any(|(_, o)| matches!(o, Output::Media { call, media: Some(_) } if *call == id)));
}

#[test]
fn a_call_asking_for_auto_answer_by_header_is_taken_too() {
    let mut h = harness("", "");
    let from = "\"Supervisor\" <sip:3000@192.0.2.1>;tag=h1";
    h.deliver_from(PBX, &login_invite("hdr-1", from, "Call-Info: <sip:192.0.2.1>;answer-after=0\r\n"));
    let call = calls(&h).pop().unwrap();
    assert!(call.auto_answer && call.agent_session, "{call:?}");
}

#[test]
fn other_names_ring_as_usual() {
    let mut h = harness("", "");
    for (n, name) in ["Bob", "S26112608152", "X2611260815228600051"].iter().enumerate() {
        let from = format!("\"{name}\" <sip:2002@192.0.2.1>;tag=o{n}");
        let call_id = format!("other-{n}");
        h.deliver_from(PBX, &login_invite(&call_id, &from, ""));
        let call = calls(&h).pop().unwrap();
        assert!(!call.auto_answer && !call.agent_session, "{name}: {call:?}");
        assert_eq!(call.state, CallState::Incoming);
    }
}

#[test]
fn the_pattern_can_be_configured() {
    let mut h = harness("", "agent_pattern = \"AGENT-####*\"\n");
    h.deliver_from(PBX, &login_invite("pat-1", "\"AGENT-0042\" <sip:1@192.0.2.1>;tag=p1", ""));
    assert!(calls(&h).pop().unwrap().agent_session);
    h.deliver_from(PBX, &login_invite("pat-2", AGENT, ""));
    assert!(!calls(&h).pop().unwrap().agent_session, "the default pattern no longer applies");
}

#[test]
fn the_same_invite_from_an_untrusted_address_is_not_answered() {
    // Dropped by the guard: nothing at all.
    let mut h = harness("", "");
    assert!(h.deliver_from("203.0.113.9:5060", &login_invite("evil-1", AGENT, "")).is_empty());
    assert!(h.core.calls().is_empty());
    // Let through as a direct call, it rings like any call: no auto-answer from a stranger.
    let mut h = harness("direct_calls = true", "");
    let header = "Call-Info: <sip:x>;answer-after=0\r\n";
    h.deliver_from("203.0.113.9:5060", &login_invite("evil-2", AGENT, header));
    let call = calls(&h).pop().unwrap();
    assert!(!call.auto_answer && !call.agent_session, "{call:?}");
}

#[test]
fn holding_an_agent_session_sends_no_reinvite() {
    let mut h = harness("", "");
    let id = session_up(&mut h);
    let invites = h.requests_sent(Method::Invite).len();
    assert_eq!(h.core.set_hold(h.now, id, true), Err(CoreError::AgentSession(id)));
    h.drive();
    h.run_for(secs(2));
    assert_eq!(h.requests_sent(Method::Invite).len(), invites, "no re-INVITE");
    assert_eq!(h.core.calls()[0].state, CallState::Active, "RTP keeps flowing: the edge mutes");
}

#[test]
fn options_during_the_session_get_200() {
    let mut h = harness("", "");
    session_up(&mut h);
    for n in 0..3 {
        let call_id = format!("qualify-{n}");
        let responses = h.deliver_from(PBX, &Incoming::new("OPTIONS", &call_id).text());
        assert_eq!(responses.iter().map(|r| r.status).collect::<Vec<_>>(), [200], "Asterisk's qualify");
        h.run_for(secs(15));
    }
    assert_eq!(h.core.calls()[0].state, CallState::Active);
}

#[test]
fn a_bye_from_the_server_is_an_unexpected_end() {
    let mut h = harness("", "");
    let id = session_up(&mut h);
    let bye = in_dialog(&h, "BYE", 2, None);
    let responses = h.deliver_from(PBX, &bye);
    assert_eq!(responses.iter().map(|r| r.status).collect::<Vec<_>>(), [200]);
    let ended = calls(&h).pop().unwrap();
    assert_eq!((ended.id, &ended.state), (id, &CallState::Ended(EndReason::RemoteHangup)));
    assert!(ended.agent_session_lost());
}

#[test]
fn a_session_timer_running_out_is_an_unexpected_end() {
    let mut h = harness("", "");
    let extra = "Supported: timer\r\nSession-Expires: 90;refresher=uac\r\n";
    session_up_with(&mut h, extra);
    // The PBX never refreshes the session: it expires (RFC 4028 §10) and the phone sends BYE.
    h.run_for(secs(120));
    let ended = calls(&h).pop().unwrap();
    assert_eq!(ended.state, CallState::Ended(EndReason::SessionExpired), "{ended:?}");
    assert!(ended.agent_session_lost(), "{ended:?}");
}

#[test]
fn our_own_hangup_is_no_alarm() {
    let mut h = harness("", "");
    let id = session_up(&mut h);
    h.core.hangup(h.now, id).unwrap();
    h.drive();
    let ended = calls(&h).pop().unwrap();
    assert_eq!(ended.state, CallState::Ended(EndReason::LocalHangup));
    assert!(!ended.agent_session_lost());
}

#[test]
fn a_session_refresh_reinvite_is_answered_and_the_call_stays_up() {
    let mut h = harness("", "");
    let id = session_up(&mut h);
    let body = SDP.replace("o=asterisk 1 1", "o=asterisk 1 2");
    let text = in_dialog(&h, "INVITE", 2, Some(&body));
    let responses = h.deliver_from(PBX, &text);
    assert_eq!(responses.iter().map(|r| r.status).collect::<Vec<_>>(), [200]);
    let call = calls(&h).pop().unwrap();
    assert_eq!((call.id, call.state), (id, CallState::Active));
}
