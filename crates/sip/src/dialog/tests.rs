use rand_core::SeedableRng;

use super::*;
use crate::header::{Route, Via};
use crate::{parse_datagram, Message};

fn request(text: &str) -> Request {
    match parse_datagram(text.replace('\n', "\r\n").into_bytes()) {
        Ok(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

fn response(text: &str) -> Response {
    match parse_datagram(text.replace('\n', "\r\n").into_bytes()) {
        Ok(Message::Response(r)) => r,
        other => panic!("{other:?}"),
    }
}

const INVITE: &str = "INVITE sip:2002@pbx.example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bK-1
Max-Forwards: 70
From: \"Desk 1\" <sip:1001@pbx.example.com>;tag=ours
To: <sip:2002@pbx.example.com>
Call-ID: call-1
CSeq: 5 INVITE
Contact: <sip:1001@192.0.2.10:5060>
Content-Length: 0

";

const OK: &str = "SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bK-1
Record-Route: <sip:p2.example.com;lr>
Record-Route: <sip:p1.example.com;lr>
From: \"Desk 1\" <sip:1001@pbx.example.com>;tag=ours
To: <sip:2002@pbx.example.com>;tag=theirs
Call-ID: call-1
CSeq: 5 INVITE
Contact: <sip:2002@198.51.100.7:5062;transport=udp>
Content-Length: 0

";

fn local() -> SocketAddr {
    "192.0.2.10:5060".parse().unwrap()
}

#[test]
fn the_callers_dialog_reverses_record_route_and_targets_the_contact() {
    let invite = request(INVITE);
    let mut dialog = Dialog::uac(&invite, &response(OK), local(), Transport::Udp).unwrap();
    assert_eq!(
        dialog.id(),
        &DialogId { call_id: "call-1".into(), local_tag: "ours".into(), remote_tag: "theirs".into() }
    );
    assert_eq!(dialog.state(), DialogState::Confirmed);
    assert_eq!(dialog.route_set(), ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]);
    let bye = dialog.request(Method::Bye).unwrap();
    assert_eq!(&*bye.uri, "sip:2002@198.51.100.7:5062;transport=udp", "loose routing: the remote target");
    let routes: Vec<String> = bye.headers.typed_all::<Route>().map(|r| r.unwrap().to_string()).collect();
    assert_eq!(routes, ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]);
    assert_eq!(bye.headers.get(&HeaderName::From), Some("\"Desk 1\" <sip:1001@pbx.example.com>;tag=ours"));
    assert_eq!(bye.headers.get(&HeaderName::To), Some("<sip:2002@pbx.example.com>;tag=theirs"));
    assert_eq!(bye.headers.get(&HeaderName::CSeq), Some("6 BYE"), "one above the INVITE (RFC 3261 §12.2.1.1)");
    assert_eq!(bye.headers.get(&HeaderName::Contact), None, "BYE is no target refresh");
    let via = bye.headers.typed_first::<Via>().unwrap().unwrap();
    assert_eq!(via.branch(), None, "the transaction layer adds the branch");
    let reinvite = dialog.request(Method::Invite).unwrap();
    assert_eq!(reinvite.headers.get(&HeaderName::CSeq), Some("7 INVITE"));
    assert_eq!(reinvite.headers.get(&HeaderName::Contact), Some("<sip:1001@192.0.2.10:5060>"));
}

#[test]
fn the_ack_of_a_2xx_has_the_invites_cseq_and_its_own_branch() {
    let dialog = Dialog::uac(&request(INVITE), &response(OK), local(), Transport::Udp).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let ack = dialog.ack(5, &mut rng).unwrap();
    let again = dialog.ack(5, &mut rng).unwrap();
    assert_eq!(ack.method, Method::Ack);
    assert_eq!(ack.headers.get(&HeaderName::CSeq), Some("5 ACK"));
    let branch = |r: &Request| r.headers.typed_first::<Via>().unwrap().unwrap().branch().unwrap().to_owned();
    assert!(branch(&ack).starts_with("z9hG4bK"));
    assert_ne!(branch(&ack), branch(&again));
    assert_eq!(&*ack.uri, "sip:2002@198.51.100.7:5062;transport=udp");
}

#[test]
fn a_strict_first_route_takes_the_request_uri() {
    let ok = OK.replace("<sip:p1.example.com;lr>", "<sip:strict.example.com>");
    let mut dialog = Dialog::uac(&request(INVITE), &response(&ok), local(), Transport::Udp).unwrap();
    let bye = dialog.request(Method::Bye).unwrap();
    assert_eq!(&*bye.uri, "sip:strict.example.com");
    let routes: Vec<String> = bye.headers.typed_all::<Route>().map(|r| r.unwrap().to_string()).collect();
    assert_eq!(routes, ["<sip:p2.example.com;lr>", "<sip:2002@198.51.100.7:5062;transport=udp>"]);
}

#[test]
fn the_callees_dialog_keeps_record_route_order_and_checks_cseq() {
    let invite = INVITE.replace("Max-Forwards: 70\n", "Max-Forwards: 70\nRecord-Route: <sip:p1.example.com;lr>\n");
    let invite = request(&invite);
    let mut dialog = Dialog::uas(&invite, "callee", "<sip:2002@192.0.2.20>", local(), Transport::Udp).unwrap();
    assert_eq!(dialog.id().local_tag, "callee");
    assert_eq!(dialog.id().remote_tag, "ours");
    assert_eq!(dialog.state(), DialogState::Early);
    assert_eq!(dialog.route_set(), ["<sip:p1.example.com;lr>"]);
    assert_eq!(dialog.remote_target(), "sip:1001@192.0.2.10:5060");
    let bye = dialog.request(Method::Bye).unwrap();
    assert_eq!(bye.headers.get(&HeaderName::From), Some("<sip:2002@pbx.example.com>;tag=callee"));
    assert_eq!(bye.headers.get(&HeaderName::To), Some("\"Desk 1\" <sip:1001@pbx.example.com>;tag=ours"));
    // RFC 3261 §12.2.2: a lower CSeq gets 500; a higher one moves on; ACK is not checked.
    let with_cseq = |cseq: &str, method: &str| {
        request(&INVITE.replace("CSeq: 5 INVITE", &format!("CSeq: {cseq} {method}")).replacen(
            "INVITE sip",
            &format!("{method} sip"),
            1,
        ))
    };
    assert_eq!(dialog.receive_request(&with_cseq("4", "BYE")), Err(DialogReject::OutOfOrder { got: 4, last: 5 }));
    assert_eq!(dialog.receive_request(&with_cseq("5", "ACK")), Ok(()));
    assert_eq!(dialog.receive_request(&with_cseq("6", "BYE")), Ok(()));
    assert!(dialog.receive_request(&with_cseq("6", "INFO")).is_err(), "a repeat is out of order too");
}

#[test]
fn a_target_refresh_moves_the_remote_target() {
    let invite = request(INVITE);
    let mut dialog = Dialog::uas(&invite, "callee", "<sip:2002@192.0.2.20>", local(), Transport::Udp).unwrap();
    let reinvite = INVITE.replace("CSeq: 5", "CSeq: 6").replace("192.0.2.10:5060>", "203.0.113.9:5070>");
    dialog.receive_request(&request(&reinvite)).unwrap();
    assert_eq!(dialog.remote_target(), "sip:1001@203.0.113.9:5070");
    let mut uac = Dialog::uac(&invite, &response(OK), local(), Transport::Udp).unwrap();
    uac.receive_response(&response(&OK.replace("198.51.100.7:5062", "203.0.113.1:5060")));
    assert_eq!(uac.remote_target(), "sip:2002@203.0.113.1:5060;transport=udp");
}

#[test]
fn an_early_dialog_comes_from_a_1xx_and_is_confirmed_by_the_2xx() {
    let ringing = OK.replace("200 OK", "180 Ringing");
    let mut dialog = Dialog::uac(&request(INVITE), &response(&ringing), local(), Transport::Udp).unwrap();
    assert_eq!(dialog.state(), DialogState::Early);
    dialog.receive_response(&response(OK));
    assert_eq!(dialog.state(), DialogState::Confirmed);
}

#[test]
fn broken_dialog_creating_messages_are_errors() {
    let invite = request(INVITE);
    let no_tag = OK.replace(";tag=theirs", "");
    assert!(Dialog::uac(&invite, &response(&no_tag), local(), Transport::Udp).is_err());
    let no_contact = INVITE.replace("Contact: <sip:1001@192.0.2.10:5060>\n", "");
    assert_eq!(
        Dialog::uas(&request(&no_contact), "t", "<sip:x@y>", local(), Transport::Udp).unwrap_err(),
        DialogError::Missing("Contact")
    );
    let tel_contact = INVITE.replace("<sip:1001@192.0.2.10:5060>", "<tel:+15551234>");
    assert_eq!(
        Dialog::uas(&request(&tel_contact), "t", "<sip:x@y>", local(), Transport::Udp).unwrap_err(),
        DialogError::BadContact
    );
}

#[test]
fn tags_are_removed_wherever_they_sit() {
    assert_eq!(without_tag("<sip:a@b>;tag=1"), "<sip:a@b>");
    assert_eq!(without_tag("\"A;tag=x\" <sip:a@b;tag=u>;x=1;TAG=2;y=3"), "\"A;tag=x\" <sip:a@b;tag=u>;x=1;y=3");
    assert_eq!(without_tag("sip:a@b"), "sip:a@b");
}
