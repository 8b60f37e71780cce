//! Properties: generated descriptions survive serialize → parse unchanged; no input panics the
//! parser; whatever parses can be written back and reads the same.

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use sdp::{
    Attribute, Bandwidth, Connection, Direction, ExtraLine, Fmtp, MediaDescription, MediaType, Origin, Rtcp, RtpMap,
    SessionDescription, Timing,
};

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9.+_~!-]{0,8}"
}

/// Free text as in `s=`/`i=`: any printable characters including spaces, some non-ASCII.
fn text() -> impl Strategy<Value = String> {
    "[ -~éü€]{0,20}"
}

/// A value the parser trims: no white space at the end.
fn trimmed() -> impl Strategy<Value = String> {
    "([!-~é]([ -~é]{0,15}[!-~é])?)?"
}

fn host_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,5}){0,2}"
}

fn connection() -> impl Strategy<Value = Connection> {
    let ip4 = (any::<[u8; 4]>().prop_map(|o| Ipv4Addr::from(o).to_string()).boxed(), option::of(any::<u8>()))
        .prop_flat_map(|(address, ttl)| {
            let count = if ttl.is_some() { option::of(1u32..8).boxed() } else { Just(None).boxed() };
            (Just(address), Just(ttl), count)
        })
        .prop_map(|(address, ttl, address_count)| Connection {
            net_type: "IN".into(),
            addr_type: "IP4".into(),
            address,
            ttl,
            address_count,
        });
    let ip6 =
        (prop_oneof![any::<[u8; 16]>().prop_map(|o| Ipv6Addr::from(o).to_string()), host_name()], option::of(1u32..8))
            .prop_map(|(address, address_count)| Connection {
                net_type: "IN".into(),
                addr_type: "IP6".into(),
                address,
                ttl: None,
                address_count,
            });
    let named = host_name().prop_map(|address| Connection {
        net_type: "IN".into(),
        addr_type: "IP4".into(),
        address,
        ttl: None,
        address_count: None,
    });
    let other = ("[!-~]{1,10}").prop_map(|address| Connection {
        net_type: "ATM".into(),
        addr_type: "NSAP".into(),
        address,
        ttl: None,
        address_count: None,
    });
    prop_oneof![ip4, ip6, named, other]
}

fn attribute() -> impl Strategy<Value = Attribute> {
    let rtpmap = (0u8..=127, "[A-Za-z][A-Za-z0-9-]{0,10}", 1u32..200_000, option::of(1u16..8)).prop_map(
        |(payload_type, encoding_name, clock_rate, channels)| {
            Attribute::RtpMap(RtpMap { payload_type, encoding_name, clock_rate, channels })
        },
    );
    let fmtp = (token(), trimmed()).prop_map(|(format, params)| Attribute::Fmtp(Fmtp { format, params }));
    let direction = prop_oneof![
        Just(Direction::SendRecv),
        Just(Direction::SendOnly),
        Just(Direction::RecvOnly),
        Just(Direction::Inactive)
    ]
    .prop_map(Attribute::Direction);
    let rtcp = (any::<u16>(), option::of(connection())).prop_map(|(port, connection)| {
        // RFC 3605 has no multicast suffixes on the rtcp address.
        let connection = connection.map(|c| Connection { ttl: None, address_count: None, ..c });
        Attribute::Rtcp(Rtcp { port, connection })
    });
    let other = ("x-[a-z0-9-]{1,10}", option::of(trimmed())).prop_map(|(name, value)| Attribute::Other { name, value });
    prop_oneof![
        rtpmap,
        fmtp,
        (1u32..1000).prop_map(Attribute::Ptime),
        (1u32..1000).prop_map(Attribute::MaxPtime),
        direction,
        rtcp,
        Just(Attribute::RtcpMux),
        other,
    ]
}

fn extra_line() -> impl Strategy<Value = ExtraLine> {
    (proptest::sample::select(vec!['d', 'f', 'g', 'h', 'j', 'l', 'n', 'q', 'w', 'x', 'y']), trimmed())
        .prop_map(|(kind, value)| ExtraLine { kind, value })
}

fn bandwidth() -> impl Strategy<Value = Bandwidth> {
    (token(), any::<u64>()).prop_map(|(bw_type, bandwidth)| Bandwidth { bw_type, bandwidth })
}

fn media() -> impl Strategy<Value = MediaDescription> {
    let kind = prop_oneof![
        Just(MediaType::Audio),
        Just(MediaType::Video),
        Just(MediaType::Application),
        Just(MediaType::Image),
        Just(MediaType::Text),
        Just(MediaType::Message),
        "x-[a-z]{1,6}".prop_map(MediaType::Other),
    ];
    let rtp = (proptest::sample::select(vec!["RTP/AVP", "RTP/SAVP", "UDP/TLS/RTP/SAVPF"]), vec(0u8..=127, 1..6))
        .prop_map(|(proto, pts)| (proto.to_owned(), pts.iter().map(u8::to_string).collect::<Vec<_>>()));
    let other = (proptest::sample::select(vec!["udp", "TCP/MSRP", "udptl"]), vec(token(), 1..4))
        .prop_map(|(proto, formats)| (proto.to_owned(), formats));
    let head = (kind, any::<u16>(), option::of(1u16..4), prop_oneof![rtp, other]);
    let body = (
        option::of(text()),
        vec(connection(), 0..3),
        vec(bandwidth(), 0..2),
        option::of(trimmed()),
        vec(attribute(), 0..8),
        vec(extra_line(), 0..2),
    );
    (head, body).prop_map(|((media_type, port, port_count, (proto, formats)), body)| {
        let (title, connections, bandwidths, key, attributes, extra_lines) = body;
        MediaDescription {
            media_type,
            port,
            port_count,
            proto,
            formats,
            title,
            connections,
            bandwidths,
            key,
            attributes,
            extra_lines,
        }
    })
}

fn timing() -> impl Strategy<Value = Timing> {
    (any::<u64>(), any::<u64>(), vec("[0-9][0-9dhms -]{0,12}[0-9dhms]", 0..3), option::of("[0-9][0-9 h-]{0,12}[0-9h]"))
        .prop_map(|(start, stop, repeats, zone)| Timing { start, stop, repeats, zone })
}

fn origin() -> impl Strategy<Value = Origin> {
    ("[!-~]{1,10}", any::<u64>(), any::<u64>(), connection()).prop_map(|(username, session_id, session_version, c)| {
        Origin {
            username,
            session_id,
            session_version,
            net_type: c.net_type,
            addr_type: c.addr_type,
            address: c.address,
        }
    })
}

fn session() -> impl Strategy<Value = SessionDescription> {
    let head =
        (origin(), text(), option::of(text()), option::of(trimmed()), vec(trimmed(), 0..2), vec(trimmed(), 0..2));
    let body = (
        option::of(connection()),
        vec(bandwidth(), 0..2),
        vec(timing(), 1..3),
        option::of(trimmed()),
        vec(attribute(), 0..6),
        vec(extra_line(), 0..2),
        vec(media(), 0..4),
    );
    (head, body).prop_map(|((origin, session_name, information, uri, emails, phones), body)| {
        let (connection, bandwidths, timings, key, attributes, extra_lines, mut media) = body;
        // RFC 8866 §5.7: an active stream needs a c=, its own or the session's.
        if connection.is_none() {
            for m in media.iter_mut().filter(|m| m.port != 0 && m.connections.is_empty()) {
                m.connections.push(Connection::from_ip("192.0.2.1".parse().expect("ip")));
            }
        }
        SessionDescription {
            origin,
            session_name,
            information,
            uri,
            emails,
            phones,
            connection,
            bandwidths,
            timings,
            key,
            attributes,
            extra_lines,
            media,
        }
    })
}

/// Lines that look like SDP, to reach deeper into the parser and the negotiation than random
/// bytes do: mostly well-formed lines with random values, some noise.
fn sdp_like() -> impl Strategy<Value = String> {
    let pt = || prop_oneof![15 => 0u8..20, 15 => 96u8..128, 1 => 128u8..=255].prop_map(|pt| pt.to_string());
    let name = proptest::sample::select(vec!["PCMU", "pcma", "G722", "opus", "telephone-event", "iLBC", "CN", "x"]);
    let rate = proptest::sample::select(vec![
        "8000", "16000", "48000", "8000", "90000", "8000", "8000", "48000", "8000", "16000", "8000", "0",
    ]);
    let direction = proptest::sample::select(vec!["sendrecv", "sendonly", "recvonly", "inactive"]);
    let address = proptest::sample::select(vec![
        "IN IP4 192.0.2.9",
        "IN IP4 0.0.0.0",
        "IN IP6 ::1",
        "IN IP4 h.example",
        "IN IP4 224.2.1.1/3",
    ]);
    let media = (proptest::sample::select(vec!["audio", "video", "text"]), 0u16..3, vec(pt(), 1..5))
        .prop_map(|(kind, port, pts)| format!("m={kind} {} RTP/AVP {}", port * 2000, pts.join(" ")));
    let rtpmap = (pt(), name, rate, option::of(prop_oneof![30 => 1u8..3, 1 => Just(0u8)])).prop_map(
        |(pt, name, rate, channels)| match channels {
            Some(c) => format!("a=rtpmap:{pt} {name}/{rate}/{c}"),
            None => format!("a=rtpmap:{pt} {name}/{rate}"),
        },
    );
    let fmtp = (pt(), "[a-z0-9=;, -]{0,12}").prop_map(|(pt, params)| format!("a=fmtp:{pt} {params}"));
    let numbered = (proptest::sample::select(vec!["a=ptime:", "a=maxptime:", "a=rtcp:"]), 0u32..70000)
        .prop_map(|(p, n)| format!("{p}{n}"));
    let noise = (
        proptest::sample::select(vec!["v=0", "o=- ", "s=", "t=", "r=", "b=", "k=", "i=", "x=", "", "V=", "a=rtcp-mux"]),
        "[0-9a-zA-Z /:.\\-=\t;*]{0,24}",
    )
        .prop_map(|(p, rest)| format!("{p}{rest}"));
    let line = prop_oneof![
        6 => media,
        8 => rtpmap,
        2 => fmtp,
        3 => numbered,
        4 => direction.prop_map(|d| format!("a={d}")),
        4 => address.prop_map(|a| format!("c={a}")),
        1 => noise,
    ];
    (vec(line, 0..20), proptest::sample::select(vec!["\r\n", "\n"])).prop_map(|(lines, end)| lines.join(end))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn generated_descriptions_round_trip(sd in session()) {
        let text = sd.encode().map_err(|e| TestCaseError::fail(format!("{e}\n{sd}")))?;
        prop_assert_eq!(SessionDescription::parse(text.as_bytes()), Ok(sd));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..2048)) {
        let _ = SessionDescription::parse(&bytes);
    }

    #[test]
    fn whatever_parses_is_written_back_unchanged(text in sdp_like()) {
        let header = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n";
        for input in [text.clone(), format!("{header}{text}")] {
            if let Ok(sd) = SessionDescription::parse(input.as_bytes()) {
                let written = sd.encode().map_err(|e| TestCaseError::fail(format!("{e}\n{input:?}")))?;
                prop_assert_eq!(SessionDescription::parse(written.as_bytes()), Ok(sd));
            }
        }
    }

    #[test]
    fn negotiation_never_panics_on_parsed_offers(text in sdp_like()) {
        let header = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n";
        if let Ok(offer) = SessionDescription::parse(format!("{header}{text}").as_bytes()) {
            let caps = sdp::Capabilities::default();
            let local = sdp::LocalMedia::new("198.51.100.5".parse().expect("ip"), 4000, 1, 1);
            if let Ok((answer, _)) = sdp::answer_offer(&offer, &caps, &local) {
                prop_assert!(answer.encode().is_ok());
                prop_assert!(sdp::accept_answer(&offer, &answer).is_ok());
            }
            let ours = sdp::make_offer(&caps, &local).expect("offer");
            let _ = sdp::accept_answer(&ours, &offer);
        }
    }
}
