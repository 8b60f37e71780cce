//! `validate_request` paths the torture vectors do not reach.

use sip::{validate_request, HeaderName, Message, Request, UasPolicy};

fn request(method: &str, extra: &str, body: &str) -> Request {
    let text = format!(
        "{method} sip:1001@192.0.2.50 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n\
         From: <sip:2000@pbx>;tag=1\r\nTo: <sip:1001@pbx>\r\nCall-ID: c1\r\nCSeq: 1 {method}\r\n\
         {extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    match Message::parse(text.into_bytes()).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    }
}

fn status(r: &Request) -> Option<u16> {
    validate_request(r, &UasPolicy::phone()).err().map(|e| e.status)
}

const SDP: &str =
    "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

#[test]
fn plain_invite_with_sdp_is_accepted() {
    assert_eq!(status(&request("INVITE", "Content-Type: application/sdp\r\n", SDP)), None);
}

#[test]
fn compressed_body_gets_415_with_accept_encoding() {
    let r = request("INVITE", "Content-Type: application/sdp\r\nContent-Encoding: gzip\r\n", SDP);
    let rejection = validate_request(&r, &UasPolicy::phone()).unwrap_err();
    assert_eq!(rejection.status, 415);
    assert!(rejection.extra.iter().any(|(n, v)| *n == HeaderName::AcceptEncoding && v == "identity"));
}

#[test]
fn body_without_content_type_gets_415() {
    assert_eq!(status(&request("INVITE", "", SDP)), Some(415));
}

#[test]
fn multipart_is_read_only_when_a_part_is() {
    let readable = "--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--b--\r\n";
    let unreadable = "--b\r\nContent-Type: image/png\r\n\r\nPNG\r\n--b--\r\n";
    let ct = "Content-Type: multipart/mixed;boundary=b\r\n";
    assert_eq!(status(&request("INVITE", ct, readable)), None);
    assert_eq!(status(&request("INVITE", ct, unreadable)), Some(415));
    assert_eq!(status(&request("INVITE", "Content-Type: multipart/mixed\r\n", readable)), Some(415), "no boundary");
}

#[test]
fn require_is_not_enforced_on_ack_and_cancel() {
    assert_eq!(status(&request("ACK", "Require: nosuchthing\r\n", "")), None);
    assert_eq!(status(&request("CANCEL", "Require: nosuchthing\r\n", "")), None);
    assert_eq!(status(&request("BYE", "Require: nosuchthing\r\n", "")), Some(420));
    assert_eq!(status(&request("INVITE", "Require: 100rel, timer\r\n", "")), None, "supported tags pass");
}

#[test]
fn accept_ranges_and_empty_accept() {
    let invite = |accept: &str| request("INVITE", &format!("{accept}Content-Type: application/sdp\r\n"), SDP);
    assert_eq!(status(&invite("Accept: */*\r\n")), None);
    assert_eq!(status(&invite("Accept: application/*\r\n")), None);
    assert_eq!(status(&invite("Accept: text/html, application/sdp;q=0.5\r\n")), None);
    assert_eq!(status(&invite("Accept: \r\n")), Some(406), "an empty Accept accepts nothing (RFC 3261 §20.1)");
    assert_eq!(status(&request("OPTIONS", "Accept: text/html\r\n", "")), None, "only INVITE answers carry SDP");
}

#[test]
fn registrar_methods_are_405_with_allow_for_a_phone() {
    let r = request("REGISTER", "", "");
    let rejection = validate_request(&r, &UasPolicy::phone()).unwrap_err();
    assert_eq!(rejection.status, 405);
    let allow = &rejection.extra.iter().find(|(n, _)| *n == HeaderName::Allow).unwrap().1;
    assert!(allow.contains("INVITE") && !allow.contains("REGISTER"));
    let response = rejection.response_to(&r, Some("x1"));
    assert_eq!(response.headers.get(&HeaderName::Allow), Some(allow.as_str()));
}

#[test]
fn sips_request_uri_is_served_and_tel_is_not() {
    let mut r = request("OPTIONS", "", "");
    r.uri = "sips:1001@192.0.2.50".into();
    assert_eq!(status(&r), None);
    r.uri = "tel:+15551234".into();
    assert_eq!(status(&r), Some(416));
}

#[test]
fn options_is_answered_with_what_the_phone_takes() {
    use sip::header::media::Accept;
    use sip::header::tokens::{Allow, Supported};
    let r = request("OPTIONS", "", "");
    let policy = UasPolicy::phone();
    assert_eq!(validate_request(&r, &policy), Ok(()));
    let response = policy.options_response(&r, Some("q1"));
    let Message::Response(back) = Message::parse(response.to_bytes()).unwrap() else { panic!() };
    assert_eq!(back.status, 200);
    let allow: Vec<String> = back.headers.typed_vec::<Allow>().unwrap().iter().map(|a| a.0.to_owned()).collect();
    assert!(allow.iter().any(|m| m == "INVITE") && allow.iter().any(|m| m == "OPTIONS"));
    assert!(!allow.iter().any(|m| m == "REGISTER"), "a phone is not a registrar");
    assert!(back.headers.typed_vec::<Accept>().unwrap().iter().any(|a| a.0.is("application", "sdp")));
    assert!(back.headers.typed_vec::<Supported>().unwrap().iter().any(|s| s.0 == "replaces"));
    assert_eq!(back.headers.typed::<sip::header::To>().unwrap().unwrap().tag(), Some("q1"));
}
