//! Parsing and serializing (RFC 8866): accessors, tolerance, precise errors, hostile input, and
//! the RFC 3551 static payload table.

mod support;

use sdp::payload::{static_payload, STATIC_PAYLOADS};
use sdp::{
    Attribute, Direction, Error, ExtraLine, Field, LimitError, MediaType, ParseError, ParseFault, SessionDescription,
    UsageError,
};
use support::read_tsv;

const FULL: &str = "v=0\r\n\
o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\n\
s=Call to John Smith\r\n\
i=SDP Offer #1\r\n\
u=http://www.jdoe.example.com/home.html\r\n\
e=Jane Doe <jane@jdoe.example.com>\r\n\
p=+1 617 555-6011\r\n\
c=IN IP4 198.51.100.1\r\n\
b=AS:128\r\n\
t=3724394400 3724398000\r\n\
r=604800 3600 0 90000\r\n\
z=2882844526 -1h 2898848070 0\r\n\
t=0 0\r\n\
k=prompt\r\n\
a=recvonly\r\n\
a=tool:hardphone\r\n\
x=an unknown line type\r\n\
m=audio 49170 RTP/AVP 0 111 101\r\n\
i=voice\r\n\
c=IN IP4 233.252.0.1/127/3\r\n\
b=TIAS:64000\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=fmtp:111 minptime=10; useinbandfec=1\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=maxptime:60\r\n\
a=sendrecv\r\n\
a=rtcp:53020 IN IP4 126.16.64.4\r\n\
a=rtcp-mux\r\n\
a=ssrc:1 cname:x\r\n\
y=another\r\n\
m=video 0 UDP/TLS/RTP/SAVPF 96\r\n\
c=IN IP6 ff00::db8:0:101/3\r\n\
m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n\
m=image 0 udptl t38\r\n\
m=x-custom 5000/2 TCP/MSRP *\r\n";

fn parse(text: &str) -> Result<SessionDescription, Error> {
    SessionDescription::parse(text.as_bytes())
}

fn fault(text: &str) -> (usize, ParseFault) {
    match parse(text) {
        Err(Error::Parse(ParseError { line, fault })) => (line, fault),
        other => panic!("expected a parse error for {text:?}, got {other:?}"),
    }
}

#[test]
fn every_line_type_is_read_and_written_back_identically() {
    let sd = parse(FULL).unwrap();
    assert_eq!(sd.encode().unwrap(), FULL);
    assert_eq!(sd.origin.session_id, 3724394400);
    assert_eq!(sd.timings.len(), 2);
    assert_eq!(sd.timings[0].repeats, ["604800 3600 0 90000"]);
    assert_eq!(sd.timings[0].zone.as_deref(), Some("2882844526 -1h 2898848070 0"));
    assert_eq!(sd.extra_lines, [ExtraLine { kind: 'x', value: "an unknown line type".into() }]);
    assert_eq!(sd.attribute("tool"), Some(&Attribute::Other { name: "tool".into(), value: Some("hardphone".into()) }));
    let kinds: Vec<&MediaType> = sd.media.iter().map(|m| &m.media_type).collect();
    assert_eq!(
        kinds,
        [
            &MediaType::Audio,
            &MediaType::Video,
            &MediaType::Application,
            &MediaType::Image,
            &MediaType::Other("x-custom".into())
        ]
    );
    let custom = &sd.media[4];
    assert_eq!((custom.port, custom.port_count, custom.proto.as_str()), (5000, Some(2), "TCP/MSRP"));
}

#[test]
fn typed_accessors() {
    let sd = parse(FULL).unwrap();
    let audio = &sd.media[0];
    assert_eq!(audio.payload_types().collect::<Vec<_>>(), [0, 111, 101]);
    let opus = audio.rtp_format(111).unwrap();
    assert_eq!((opus.encoding_name.as_str(), opus.clock_rate, opus.channels), ("opus", 48000, Some(2)));
    assert_eq!(audio.fmtp(111).unwrap().param("useinbandfec"), Some("1"));
    assert_eq!(audio.fmtp(111).unwrap().param("minptime"), Some("10"));
    // PT 0 has no rtpmap: RFC 3551's static table answers.
    let pcmu = audio.rtp_format(0).unwrap();
    assert_eq!((pcmu.encoding_name.as_str(), pcmu.clock_rate, pcmu.channel_count()), ("PCMU", 8000, 1));
    assert_eq!((audio.ptime(), audio.maxptime()), (Some(20), Some(60)));
    assert_eq!(audio.direction(), Some(Direction::SendRecv));
    assert_eq!(audio.rtcp().map(|r| r.port), Some(53020));
    assert!(audio.rtcp_mux());
    let multicast = audio.connection().unwrap();
    assert_eq!((multicast.ttl, multicast.address_count), (Some(127), Some(3)));
    assert!(multicast.is_multicast());
    // Session-level direction applies where the media section has none (RFC 8866 §6.7).
    assert_eq!(sd.effective_direction(&sd.media[0]), Direction::SendRecv);
    assert_eq!(sd.effective_direction(&sd.media[1]), Direction::RecvOnly);
    // Media-level c= overrides the session-level one (RFC 8866 §5.7).
    assert_eq!(sd.effective_connection(&sd.media[1]).unwrap().address, "ff00::db8:0:101");
    assert_eq!(sd.effective_connection(&sd.media[3]).unwrap().address, "198.51.100.1");
    assert!(sd.media[1].is_rtp() && !sd.media[2].is_rtp());
}

#[test]
fn bare_lf_and_trailing_white_space_are_tolerated() {
    let crlf = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns= \r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=sendonly\r\n";
    let lf = crlf.replace("\r\n", "\n");
    let spaced = crlf.replace("\r\n", " \t\r\n").replace("s=  \t", "s= ");
    let reference = parse(crlf).unwrap();
    assert_eq!(parse(&lf).unwrap(), reference);
    assert_eq!(parse(&spaced).unwrap(), reference);
    // No final line end, and extra empty lines at the end.
    assert_eq!(parse(crlf.trim_end()).unwrap(), reference);
    assert_eq!(parse(&format!("{crlf}\r\n\r\n")).unwrap(), reference);
    // The s= text keeps its spaces (RFC 4317 writes "s= ").
    assert_eq!(reference.session_name, " ");
    // Out-of-order lines are accepted and written back in RFC order.
    let shuffled = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns= \r\nt=0 0\r\nc=IN IP4 192.0.2.1\r\nm=audio 5000 RTP/AVP 0\r\na=sendonly\r\n";
    assert_eq!(parse(shuffled).unwrap(), reference);
}

#[test]
fn garbage_gives_the_line_and_the_fault() {
    const HEAD: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n";
    let cases: &[(&str, usize, ParseFault)] = &[
        ("", 1, ParseFault::VersionNotFirst),
        ("hello world", 1, ParseFault::NotTypeValue),
        ("v=1\r\n", 1, ParseFault::UnsupportedVersion),
        ("v=0\r\ns=-\r\n", 2, ParseFault::Missing('o')),
        ("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nt=0 0\r\n", 3, ParseFault::Missing('s')),
        ("v=0\r\no=- 1 IN IP4 192.0.2.1\r\n", 2, ParseFault::FieldCount('o')),
        ("v=0\r\no=- x 1 IN IP4 192.0.2.1\r\n", 2, ParseFault::Invalid(Field::SessionId)),
        ("v=0\r\no=- 1 99999999999999999999 IN IP4 h\r\n", 2, ParseFault::Invalid(Field::SessionVersion)),
        ("v=0\r\no=- 1 1 IN IP4 300.1.1.1\r\n", 2, ParseFault::Invalid(Field::Address)),
        ("v=0\r\no=- 1 1 IN IP6 not_an_address\r\n", 2, ParseFault::Invalid(Field::Address)),
        ("c=IN IP4 192.0.2.1\r\n", 5, ParseFault::Missing('t')),
        ("t=0 0\r\nm=audio 5000 RTP/AVP 0\r\n", 5, ParseFault::NoConnection),
        ("t=0 0\r\nc=IN IP4\r\n", 5, ParseFault::FieldCount('c')),
        ("t=0 0\r\nc=IN IP4 1.2.3.4/256\r\n", 5, ParseFault::Invalid(Field::Ttl)),
        ("t=0 0\r\nc=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.5\r\n", 6, ParseFault::Repeated('c')),
        ("t=0 0\r\nb=AS128\r\n", 5, ParseFault::Invalid(Field::Bandwidth)),
        ("t=now 0\r\n", 4, ParseFault::Invalid(Field::Time)),
        ("r=1 2 3\r\nt=0 0\r\n", 4, ParseFault::OutOfPlace('r')),
        ("t=0 0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP 0\r\nu=http://x\r\n", 7, ParseFault::OutOfPlace('u')),
        ("t=0 0\r\nc=IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n", 6, ParseFault::Invalid(Field::Port)),
        ("t=0 0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP 128\r\n", 6, ParseFault::Invalid(Field::Format)),
        ("t=0 0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP PCMU\r\n", 6, ParseFault::Invalid(Field::Format)),
        ("t=0 0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP\r\n", 6, ParseFault::FieldCount('m')),
        ("t=0 0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000/0 RTP/AVP 0\r\n", 6, ParseFault::Invalid(Field::PortCount)),
        ("t=0 0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP//AVP 0\r\n", 6, ParseFault::Invalid(Field::Proto)),
        ("t=0 0\r\na=rtpmap:0 PCMU\r\n", 5, ParseFault::Invalid(Field::RtpMap)),
        ("t=0 0\r\na=ptime:abc\r\n", 5, ParseFault::Invalid(Field::Ptime)),
        ("t=0 0\r\na=maxptime:0\r\n", 5, ParseFault::Invalid(Field::MaxPtime)),
        ("t=0 0\r\na=rtcp:port\r\n", 5, ParseFault::Invalid(Field::Rtcp)),
        ("t=0 0\r\na=fmtp:\r\n", 5, ParseFault::Invalid(Field::Fmtp)),
        ("t=0 0\r\na=bad name:x\r\n", 5, ParseFault::Invalid(Field::AttributeName)),
        ("t=0 0\r\n\r\na=x\r\n", 5, ParseFault::EmptyLine),
        ("t=0 0\r\nA=x\r\n", 5, ParseFault::NotTypeValue),
        ("t=0 0\r\na x\r\n", 5, ParseFault::NotTypeValue),
        ("t=0 0\r\na=x\0y\r\n", 5, ParseFault::ControlCharacter),
        ("t=0 0\r\na=x\ry\r\n", 5, ParseFault::ControlCharacter),
        ("t=0 0\r\nv=0\r\n", 5, ParseFault::Repeated('v')),
    ];
    for &(tail, line, expected) in cases {
        let text = if tail.starts_with("v=") || tail.is_empty() || tail.starts_with("hello") {
            tail.to_owned()
        } else {
            format!("{HEAD}{tail}")
        };
        assert_eq!(fault(&text), (line, expected), "{text:?}");
    }
    let err = parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio x RTP/AVP 0\r\n").unwrap_err();
    assert_eq!(err.to_string(), "SDP line 5: invalid port");
}

#[test]
fn invalid_utf8_is_reported_on_its_line() {
    let mut bytes = b"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    let err = SessionDescription::parse(&bytes).unwrap_err();
    assert_eq!(err, Error::Parse(ParseError { line: 3, fault: ParseFault::NotUtf8 }));
}

#[test]
fn hostile_inputs_hit_limits_not_panics() {
    let head = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";
    let huge = format!("{head}a={}\r\n", "x".repeat(70_000));
    assert_eq!(parse(&huge), Err(Error::Limit(LimitError::TooLarge { limit: 65536 })));
    let many_lines = format!("{head}{}", "a=x\r\n".repeat(2000));
    assert_eq!(parse(&many_lines), Err(Error::Limit(LimitError::TooManyLines { limit: 1024 })));
    let many_media = format!("{head}{}", "m=audio 0 RTP/AVP 0\r\n".repeat(65));
    assert_eq!(parse(&many_media), Err(Error::Limit(LimitError::TooManyMedia { limit: 64 })));
    let formats: Vec<String> = (0..200).map(|i| (i % 128).to_string()).collect();
    let many_formats = format!("{head}m=audio 5000 RTP/AVP {}\r\n", formats.join(" "));
    assert_eq!(parse(&many_formats), Err(Error::Limit(LimitError::TooManyFormats { line: 6, limit: 128 })));
    // Within the limits, long and odd but valid input is fine.
    let long_ok = format!("{head}a=x:{}\r\n", "y".repeat(60_000));
    assert!(parse(&long_ok).is_ok());
    let nested = format!("{head}{}", "a=fmtp:0 ;;;;====;;;\r\n".repeat(500));
    assert!(parse(&nested).is_ok());
    for junk in ["=", "v", "v=", "v=0", "v=0\n\n\n", "\r\n\r\n", "v=0\ro=", "\u{feff}v=0"] {
        assert!(parse(junk).is_err(), "{junk:?}");
    }
}

#[test]
fn encode_refuses_models_that_would_not_read_back() {
    let mut sd = parse("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n").unwrap();
    sd.session_name = "x\r\na=injected".into();
    assert_eq!(sd.encode(), Err(Error::Usage(UsageError::Unrepresentable { line: 4 })));
    sd.session_name = "-".into();
    sd.origin.username = "two words".into();
    assert_eq!(sd.encode(), Err(Error::Usage(UsageError::Unrepresentable { line: 2 })));
    sd.origin.username = "-".into();
    sd.attributes.push(Attribute::Other { name: "sendonly".into(), value: None });
    assert!(sd.encode().is_err(), "an Other that reads back as a typed attribute");
}

#[test]
fn static_payload_table_matches_rfc_3551() {
    let rows = read_tsv("rfc3551/payload-types.tsv");
    let mut checked = 0;
    for row in &rows {
        let (Ok(pt), Ok(clock_rate)) = (row["pt"].parse::<u8>(), row["clock_rate_hz"].parse::<u32>()) else {
            continue;
        };
        let entry = static_payload(pt).unwrap_or_else(|| panic!("PT {pt} missing"));
        assert_eq!(entry.encoding_name, row["encoding_name"], "PT {pt}");
        assert_eq!(entry.clock_rate, clock_rate, "PT {pt}");
        assert_eq!(entry.channels, row["channels"].parse::<u16>().ok(), "PT {pt}");
        checked += 1;
    }
    assert_eq!(checked, STATIC_PAYLOADS.len(), "every table entry is in the TSV");
    assert_eq!(static_payload(9).map(|p| (p.encoding_name, p.clock_rate)), Some(("G722", 8000)));
}
