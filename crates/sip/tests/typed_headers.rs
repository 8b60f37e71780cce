//! Every header a phone uses has a typed view: one message carrying all of them, each read.

use sip::header::media::{Accept, ContentType};
use sip::header::numeric::{
    CSeq, ContentLength, Date, Expires, MaxForwards, MinExpires, MinSe, RAck, RSeq, Refresher, RetryAfter,
    SessionExpires,
};
use sip::header::tokens::{
    Allow, AnswerMode, AnswerModeValue, CallId, Event, PrivAnswerMode, ProxyRequire, Reason, Replaces, Require, Server,
    SubState, SubscriptionState, Supported, Unsupported, UserAgent, Warning,
};
use sip::header::{
    AlertInfo, Authorization, CallInfo, Contact, From, PAssertedIdentity, ProxyAuthenticate, ProxyAuthorization,
    RecordRoute, ReferTo, ReferredBy, Route, To, Via, WwwAuthenticate,
};
use sip::Message;

const ALL: &str = "NOTIFY sip:1001@192.0.2.50:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.10:5060;rport=5060;received=192.0.2.10;branch=z9hG4bK776asdhds;maddr=192.0.2.1\r\n\
From: \"Reception\" <sip:2000@pbx.example.com>;tag=1928301774\r\n\
To: <sip:1001@pbx.example.com>;tag=a6c85cf\r\n\
Call-ID: a84b4c76e66710@pc33.example.com\r\n\
CSeq: 314159 NOTIFY\r\n\
Max-Forwards: 70\r\n\
Contact: <sip:2000@192.0.2.10>;expires=300;q=0.5;+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\";reg-id=1, *\r\n\
Route: <sip:proxy.example.com;lr>\r\n\
Record-Route: <sip:rr.example.com;lr>\r\n\
Expires: 3600\r\n\
Min-Expires: 60\r\n\
Allow: INVITE, ACK, BYE\r\n\
Supported: replaces, timer\r\n\
Require: 100rel\r\n\
Proxy-Require: foo\r\n\
Unsupported: bar\r\n\
WWW-Authenticate: Digest realm=\"pbx\", nonce=\"abc\", algorithm=SHA-256, qop=\"auth\"\r\n\
Proxy-Authenticate: Digest realm=\"proxy\", nonce=\"def\"\r\n\
Authorization: Digest username=\"1001\", realm=\"pbx\", nonce=\"abc\", uri=\"sip:pbx.example.com\", response=\"0123456789abcdef0123456789abcdef\"\r\n\
Proxy-Authorization: Digest username=\"1001\", realm=\"proxy\", nonce=\"def\", uri=\"sip:pbx.example.com\", response=\"0123456789abcdef0123456789abcdef\"\r\n\
Call-Info: <http://www.example.com/alice/photo.jpg>;purpose=icon\r\n\
Alert-Info: <http://www.example.com/sounds/moo.wav>;info=alert-autoanswer\r\n\
Answer-Mode: Auto;require\r\n\
Priv-Answer-Mode: Manual\r\n\
Event: dialog;id=453\r\n\
Subscription-State: active;expires=60\r\n\
Refer-To: <sip:carol@example.com?Replaces=12345%40192.0.2.1%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>\r\n\
Referred-By: <sip:2000@pbx.example.com>\r\n\
Replaces: 98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff\r\n\
RSeq: 988789\r\n\
RAck: 776656 1 INVITE\r\n\
Session-Expires: 1800;refresher=uac\r\n\
Min-SE: 90\r\n\
P-Asserted-Identity: \"Cullen Jennings\" <sip:fluffy@cisco.example.com>, <tel:+14085264000>\r\n\
Reason: SIP;cause=200;text=\"Call completed elsewhere\"\r\n\
Retry-After: 18000;duration=3600\r\n\
User-Agent: Hardphone/0.1\r\n\
Server: Asterisk PBX 20.5.0\r\n\
Warning: 307 isi.example.com \"Session parameter 'foo' not understood\"\r\n\
Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n\
Accept: application/sdp, text/plain;q=0.5\r\n\
Content-Type: application/simple-message-summary\r\n\
Content-Length: 21\r\n\
\r\n\
Messages-Waiting: yes";

#[test]
fn every_header_of_the_issue_reads_typed() {
    let message = Message::parse(ALL.as_bytes().to_vec()).unwrap();
    let h = message.headers();
    let via = h.typed_first::<Via>().unwrap().unwrap();
    assert_eq!(
        (via.branch(), via.rport(), via.maddr()),
        (Some("z9hG4bK776asdhds"), Some(Some(5060)), Some("192.0.2.1"))
    );
    assert_eq!(via.received(), Some("192.0.2.10".parse().unwrap()));
    let from = h.typed::<From>().unwrap().unwrap();
    assert_eq!((from.display().as_deref(), from.tag()), (Some("Reception"), Some("1928301774")));
    assert_eq!(h.typed::<To>().unwrap().unwrap().tag(), Some("a6c85cf"));
    assert_eq!(h.typed::<CallId>().unwrap().unwrap().0, "a84b4c76e66710@pc33.example.com");
    assert_eq!(h.typed::<CSeq>().unwrap().unwrap(), CSeq { seq: 314159, method: "NOTIFY" });
    assert_eq!(h.typed::<MaxForwards>().unwrap(), Some(MaxForwards(70)));
    let contacts = h.typed_vec::<Contact>().unwrap();
    assert_eq!((contacts[0].expires(), contacts[0].q(), contacts[0].reg_id()), (Some(300), Some(0.5), Some(1)));
    assert_eq!(contacts[0].instance().as_deref(), Some("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"));
    assert_eq!(contacts[1], Contact::Wildcard);
    assert!(h.typed_first::<Route>().unwrap().unwrap().uri.as_sip().unwrap().lr());
    assert!(h.typed_first::<RecordRoute>().unwrap().unwrap().uri.as_sip().unwrap().lr());
    assert_eq!(h.typed::<Expires>().unwrap(), Some(Expires(3600)));
    assert_eq!(h.typed::<MinExpires>().unwrap(), Some(MinExpires(60)));
    assert_eq!(h.typed_vec::<Allow>().unwrap().iter().map(|a| a.0).collect::<Vec<_>>(), ["INVITE", "ACK", "BYE"]);
    assert_eq!(h.typed_vec::<Supported>().unwrap().len(), 2);
    assert_eq!(h.typed_first::<Require>().unwrap().unwrap().0, "100rel");
    assert_eq!(h.typed_first::<ProxyRequire>().unwrap().unwrap().0, "foo");
    assert_eq!(h.typed_first::<Unsupported>().unwrap().unwrap().0, "bar");
    assert_eq!(h.typed::<WwwAuthenticate>().unwrap().unwrap().nonce, "abc");
    assert_eq!(h.typed::<ProxyAuthenticate>().unwrap().unwrap().realm, "proxy");
    assert_eq!(h.typed::<Authorization>().unwrap().unwrap().username, "1001");
    assert_eq!(h.typed::<ProxyAuthorization>().unwrap().unwrap().realm, "proxy");
    assert_eq!(h.typed_first::<CallInfo>().unwrap().unwrap().params.get("purpose"), Some(Some("icon")));
    assert_eq!(h.typed_first::<AlertInfo>().unwrap().unwrap().params.get("info"), Some(Some("alert-autoanswer")));
    let answer = h.typed::<AnswerMode>().unwrap().unwrap();
    assert_eq!((answer.mode, answer.require), (AnswerModeValue::Auto, true));
    assert_eq!(h.typed::<PrivAnswerMode>().unwrap().unwrap().0.mode, AnswerModeValue::Manual);
    let event = h.typed::<Event>().unwrap().unwrap();
    assert_eq!((event.package, event.id()), ("dialog", Some("453")));
    let state = h.typed::<SubscriptionState>().unwrap().unwrap();
    assert_eq!((state.state, state.expires()), (SubState::Active, Some(60)));
    let refer_to = h.typed::<ReferTo>().unwrap().unwrap();
    assert!(refer_to.uri.as_sip().unwrap().headers.get("Replaces").is_some());
    assert!(h.typed::<ReferredBy>().unwrap().is_some());
    let replaces = h.typed::<Replaces>().unwrap().unwrap();
    assert_eq!(
        (replaces.call_id, replaces.to_tag, replaces.from_tag),
        ("98732@sip.example.com", Some("ff87ff"), Some("r33th4x0r"))
    );
    assert_eq!(h.typed::<RSeq>().unwrap(), Some(RSeq(988789)));
    assert_eq!(h.typed::<RAck>().unwrap().unwrap(), RAck { rseq: 776656, cseq: 1, method: "INVITE" });
    let se = h.typed::<SessionExpires>().unwrap().unwrap();
    assert_eq!((se.delta, se.refresher), (1800, Some(Refresher::Uac)));
    assert_eq!(h.typed::<MinSe>().unwrap().unwrap().delta, 90);
    assert_eq!(h.typed_vec::<PAssertedIdentity>().unwrap().len(), 2);
    let reason = h.typed_first::<Reason>().unwrap().unwrap();
    assert_eq!((reason.protocol, reason.cause), ("SIP", Some(200)));
    let retry = h.typed::<RetryAfter>().unwrap().unwrap();
    assert_eq!((retry.delta, retry.duration()), (18000, Some(3600)));
    assert_eq!(h.typed::<UserAgent>().unwrap().unwrap().0, "Hardphone/0.1");
    assert_eq!(h.typed::<Server>().unwrap().unwrap().0, "Asterisk PBX 20.5.0");
    assert_eq!(h.typed_first::<Warning>().unwrap().unwrap().code, 307);
    let date = h.typed::<Date>().unwrap().unwrap();
    assert_eq!((date.year, date.month, date.day, date.hour), (2010, 11, 13, 23));
    assert_eq!(h.typed_vec::<Accept>().unwrap().len(), 2);
    assert!(h.typed::<ContentType>().unwrap().unwrap().0.is("application", "simple-message-summary"));
    assert_eq!(h.typed::<ContentLength>().unwrap(), Some(ContentLength(21)));
    assert_eq!(&message.body()[..], b"Messages-Waiting: yes");
}
