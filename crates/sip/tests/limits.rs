//! Hard limits: each gives its own precise error, on datagrams and on streams, and a message
//! just inside every limit still parses.

use sip::{parse_datagram_with, Error, Frame, LimitError, Limits, StreamFramer};

fn message(headers: &str, uri: &str) -> Vec<u8> {
    format!("OPTIONS {uri} SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n{headers}Content-Length: 0\r\n\r\n")
        .into_bytes()
}

fn parse(bytes: Vec<u8>, limits: &Limits) -> Result<sip::Message, Error> {
    parse_datagram_with(bytes.into(), limits)
}

#[test]
fn message_size() {
    let limits = Limits { max_message_size: 512, ..Limits::default() };
    let big = message(&format!("Subject: {}\r\n", "x".repeat(600)), "sip:a@b");
    assert_eq!(parse(big.clone(), &limits), Err(LimitError::MessageTooLarge { limit: 512 }.into()));
    let mut framer = StreamFramer::new(limits);
    framer.push(&big);
    assert_eq!(framer.next_frame(), Err(LimitError::MessageTooLarge { limit: 512 }.into()));
    assert!(parse(message("", "sip:a@b"), &limits).is_ok());
}

#[test]
fn default_message_size_is_64_kib() {
    assert_eq!(Limits::default().max_message_size, 64 * 1024);
    let huge = message(&format!("Subject: {}\r\n", "x".repeat(64 * 1024)), "sip:a@b");
    assert_eq!(sip::parse_datagram(huge), Err(LimitError::MessageTooLarge { limit: 65536 }.into()));
}

#[test]
fn header_count() {
    let limits = Limits { max_headers: 20, ..Limits::default() };
    let many = "X-A: 1\r\n".repeat(30);
    assert_eq!(parse(message(&many, "sip:a@b"), &limits), Err(LimitError::TooManyHeaders { limit: 20 }.into()));
    let some = "X-A: 1\r\n".repeat(17); // + Via + Content-Length = 19
    assert!(parse(message(&some, "sip:a@b"), &limits).is_ok());
}

#[test]
fn header_length_counts_folds() {
    let limits = Limits { max_header_len: 100, ..Limits::default() };
    let folded = format!("Subject: {}\r\n {}\r\n", "a".repeat(60), "b".repeat(60));
    assert_eq!(parse(message(&folded, "sip:a@b"), &limits), Err(LimitError::HeaderTooLong { limit: 100 }.into()));
    let short = format!("Subject: {}\r\n", "a".repeat(80));
    assert!(parse(message(&short, "sip:a@b"), &limits).is_ok());
}

#[test]
fn via_count_across_lines_and_commas() {
    let limits = Limits { max_vias: 4, ..Limits::default() };
    let vias = "Via: SIP/2.0/UDP a, SIP/2.0/UDP b\r\nv: SIP/2.0/UDP c, SIP/2.0/UDP d\r\n";
    assert_eq!(parse(message(vias, "sip:a@b"), &limits), Err(LimitError::TooManyVias { limit: 4 }.into()));
    let three = "Via: SIP/2.0/UDP a, SIP/2.0/UDP b\r\n";
    assert!(parse(message(three, "sip:a@b"), &limits).is_ok());
}

#[test]
fn request_uri_length() {
    let limits = Limits { max_uri_len: 64, ..Limits::default() };
    let long = format!("sip:{}@example.com", "u".repeat(80));
    assert_eq!(parse(message("", &long), &limits), Err(LimitError::UriTooLong { limit: 64 }.into()));
    assert!(parse(message("", "sip:user@example.com"), &limits).is_ok());
}

#[test]
fn limits_hold_inside_a_stream_frame_too() {
    let limits = Limits { max_headers: 5, ..Limits::default() };
    let mut framer = StreamFramer::new(limits);
    framer.push(&message(&"X-A: 1\r\n".repeat(10), "sip:a@b"));
    // The frame's length is known, so the stream survives; the message is refused precisely.
    assert_eq!(framer.next_frame(), Ok(Some(Frame::Invalid(LimitError::TooManyHeaders { limit: 5 }.into()))));
    framer.push(&message("", "sip:a@b"));
    assert!(matches!(framer.next_frame(), Ok(Some(Frame::Message(_)))));
}
