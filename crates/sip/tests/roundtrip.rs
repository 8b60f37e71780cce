//! `parse(serialize(m)) == m`: for generated messages (proptest) and for every torture vector.

mod common;

use proptest::prelude::*;
use sip::{Frame, HeaderName, Limits, Message, Method, Request, Response, StreamFramer};

const KNOWN: &[&str] = &[
    "Via",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Contact",
    "Max-Forwards",
    "Route",
    "Record-Route",
    "Expires",
    "Content-Type",
    "Allow",
    "Supported",
    "Require",
    "User-Agent",
    "Subject",
    "Event",
    "v",
    "f",
    "t",
    "i",
    "m",
    "k",
];

fn header_name() -> impl Strategy<Value = HeaderName> {
    prop_oneof![
        proptest::sample::select(KNOWN).prop_map(HeaderName::from_bytes),
        "[A-Za-z][A-Za-z0-9!%*_+`'~.-]{0,20}".prop_map(|n| HeaderName::from_bytes(&n)),
    ]
    // Content-Length is what set_body writes; a random one would make the stream unframeable.
    .prop_filter("not Content-Length", |n| *n != HeaderName::ContentLength)
}

/// Header values: printable ASCII and some UTF-8, never CR, LF or NUL (a builder refuses those).
fn header_value() -> impl Strategy<Value = String> {
    "[ -~\u{a0}-\u{17f}\u{400}-\u{44f}\t]{0,60}"
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        proptest::sample::select(vec![
            Method::Invite,
            Method::Ack,
            Method::Bye,
            Method::Register,
            Method::Options,
            Method::Refer
        ]),
        "[A-Za-z0-9!%*_+`'~.-]{1,16}".prop_map(|m| Method::from_token(&m).unwrap()),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![Just(Vec::new()), proptest::collection::vec(any::<u8>(), 0..300)]
}

prop_compose! {
    fn request()(method in method(), uri in "sips?:[a-z0-9.%;=@-]{1,40}", headers in proptest::collection::vec((header_name(), header_value()), 0..20), body in body()) -> Message {
        let mut r = Request::new(method, uri).unwrap();
        for (name, value) in headers {
            r.headers.push(name, value).unwrap();
        }
        if !body.is_empty() {
            r.set_body(Some("application/octet-stream"), body).unwrap();
        }
        Message::Request(r)
    }
}

prop_compose! {
    fn response()(status in 100u16..=699, reason in "[ -~\u{400}-\u{44f}]{0,30}", headers in proptest::collection::vec((header_name(), header_value()), 0..20), body in body()) -> Message {
        let mut r = Response::new(status, reason).unwrap();
        for (name, value) in headers {
            r.headers.push(name, value).unwrap();
        }
        if !body.is_empty() {
            r.set_body(None, body).unwrap();
        }
        Message::Response(r)
    }
}

proptest! {
    // 512 cases by default; PROPTEST_CASES raises it for a longer hunt.
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512), ..ProptestConfig::default() })]

    #[test]
    fn generated_messages_round_trip(message in prop_oneof![request(), response()]) {
        let bytes = message.to_bytes();
        let back = Message::parse(bytes.clone()).unwrap();
        prop_assert_eq!(&back, &message);
        // The same bytes framed out of a stream, split anywhere, give the same message.
        let mut framer = StreamFramer::new(Limits::default());
        let (a, b) = bytes.split_at(bytes.len() / 3);
        framer.push(a);
        let first = framer.next_frame().unwrap();
        framer.push(b);
        let frame = match first { Some(frame) => frame, None => framer.next_frame().unwrap().unwrap() };
        prop_assert_eq!(frame, Frame::Message(message));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = sip::inspect_datagram(bytes.clone(), &sip::UasPolicy::phone(), &Limits::default());
        let mut framer = StreamFramer::new(Limits::default());
        framer.push(&bytes);
        while let Ok(Some(_)) = framer.next_frame() {}
    }
}

#[test]
fn every_torture_vector_round_trips() {
    for dir in ["rfc4475", "rfc5118"] {
        for file in common::manifest_files(dir) {
            let Ok(message) = Message::parse(common::load(dir, &file)) else { continue };
            let back = Message::parse(message.to_bytes()).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(back, message, "{file}");
        }
    }
}
