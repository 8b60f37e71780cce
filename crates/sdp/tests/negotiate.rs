//! Offer/answer (RFC 3264) for a deskphone's audio: codecs, payload types, directions, hold,
//! rejected streams, addresses, errors and re-offers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use sdp::{
    accept_answer, answer_offer, classify_remote_sdp, make_offer, make_reoffer, Capabilities, Codec, Direction, Error,
    Host, LocalMedia, NegotiationError, RemoteSdpChange, SessionDescription, TelephoneEventCap, UsageError,
};

const PEER: &str = "v=0\r\no=peer 10 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";

/// The peer's SDP: the standard session part, then `media` lines.
fn peer(media: &[&str]) -> SessionDescription {
    let text = format!("{PEER}{}\r\n", media.join("\r\n"));
    SessionDescription::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn us() -> LocalMedia {
    LocalMedia::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 5)), 4000, 77, 1)
}

fn answered(offer: &SessionDescription) -> (SessionDescription, sdp::NegotiatedAudio) {
    let (answer, audio) = answer_offer(offer, &Capabilities::default(), &us()).expect("answer");
    (answer, audio.expect("audio"))
}

#[test]
fn our_offer_lists_codecs_in_preference_order_with_rtpmaps() {
    let offer = make_offer(&Capabilities::default(), &us()).unwrap();
    let expected = "v=0\r\no=- 77 1 IN IP4 198.51.100.5\r\ns=-\r\nc=IN IP4 198.51.100.5\r\nt=0 0\r\n\
        m=audio 4000 RTP/AVP 111 9 0 8 101\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n\
        a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
        a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n";
    assert_eq!(offer.encode().unwrap(), expected);
}

#[test]
fn offer_payload_types_avoid_conflicts() {
    // opus asking for static 0 and PCMU asking for 8 (PCMA's): both are moved.
    let caps = Capabilities::with_codecs(vec![Codec::new("opus", 48000, 2, 0), Codec::new("PCMU", 8000, 1, 8)]);
    let offer = make_offer(&caps, &us()).unwrap();
    assert_eq!(offer.media[0].formats, ["96", "0", "101"]);
    let mut bad = Capabilities::default();
    bad.codecs.clear();
    assert_eq!(make_offer(&bad, &us()), Err(Error::Usage(UsageError::NoCodecs)));
    bad.codecs.push(Codec::new("bad name", 8000, 1, 96));
    assert_eq!(make_offer(&bad, &us()), Err(Error::Usage(UsageError::InvalidCodec { index: 0 })));
    let bad = Capabilities { ptime: 0, ..Capabilities::default() };
    assert_eq!(make_offer(&bad, &us()), Err(Error::Usage(UsageError::InvalidPtime)));
    let events = |cap| Capabilities { telephone_event: Some(cap), ..Capabilities::default() };
    let bad = events(TelephoneEventCap { clock_rate: 0, ..TelephoneEventCap::default() });
    assert_eq!(make_offer(&bad, &us()), Err(Error::Usage(UsageError::InvalidTelephoneEvent)));
    let bad = events(TelephoneEventCap { preferred_pt: 200, ..TelephoneEventCap::default() });
    assert_eq!(make_offer(&bad, &us()), Err(Error::Usage(UsageError::PayloadTypeOutOfRange { pt: 200 })));
    // 33 dynamic codecs cannot all get a payload type from 96-127.
    let many = (0..33).map(|i| Codec::new(format!("x{i}"), 8000, 1, 96)).collect();
    let caps = Capabilities { telephone_event: None, ..Capabilities::with_codecs(many) };
    assert_eq!(make_offer(&caps, &us()), Err(Error::Usage(UsageError::NoFreePayloadType)));
}

#[test]
fn answer_keeps_our_order_and_the_offerers_payload_types() {
    let offer = peer(&["m=audio 5000 RTP/AVP 0 8 9 96", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-15"]);
    let (answer, audio) = answered(&offer);
    assert_eq!(answer.media[0].formats, ["9", "0", "8", "96"]);
    assert_eq!(answer.media[0].rtpmap(96).unwrap().encoding_name, "telephone-event");
    assert_eq!(answer.media[0].fmtp(96).unwrap().params, "0-16");
    assert_eq!((audio.codec.name.as_str(), audio.codec.payload_type), ("G722", 9));
    let events = audio.telephone_event.unwrap();
    assert_eq!((events.payload_type, events.clock_rate, events.fmtp.as_deref()), (96, 8000, Some("0-15")));
    assert_eq!(audio.codecs.iter().map(|c| c.payload_type).collect::<Vec<_>>(), [9, 0, 8]);
}

#[test]
fn dynamic_telephone_event_payload_types_are_honoured() {
    for pt in [96u8, 100, 127] {
        let offer = peer(&[&format!("m=audio 5000 RTP/AVP 0 {pt}"), &format!("a=rtpmap:{pt} telephone-event/8000")]);
        let (answer, audio) = answered(&offer);
        assert_eq!(answer.media[0].formats, ["0".to_owned(), pt.to_string()]);
        assert_eq!(audio.telephone_event.map(|t| t.payload_type), Some(pt));
        accept_answer(&offer, &answer).unwrap();
    }
    // With opus, telephone-event at 48000 is preferred over 8000 (RFC 4733 §7.1.1).
    let offer = peer(&[
        "m=audio 5000 RTP/AVP 111 110 126",
        "a=rtpmap:111 opus/48000/2",
        "a=rtpmap:110 telephone-event/48000",
        "a=rtpmap:126 telephone-event/8000",
    ]);
    let (_, audio) = answered(&offer);
    assert_eq!(audio.telephone_event.map(|t| (t.payload_type, t.clock_rate)), Some((110, 48000)));
    // As offerer: the answer's telephone-event payload type is the one we send with.
    let ours = make_offer(&Capabilities::default(), &us()).unwrap();
    let reply = peer(&["m=audio 5000 RTP/AVP 0 100", "a=rtpmap:100 telephone-event/8000"]);
    let audio = accept_answer(&ours, &reply).unwrap().unwrap();
    let events = audio.telephone_event.unwrap();
    assert_eq!((events.payload_type, events.receive_payload_type), (100, 101));
}

#[test]
fn static_payload_types_resolve_without_rtpmap() {
    let offer = peer(&["m=audio 5000 RTP/AVP 18 3 8"]);
    let (answer, audio) = answered(&offer);
    assert_eq!(answer.media[0].formats, ["8"]);
    // RFC 3264 §6.1: the answer SHOULD carry rtpmaps for static payload types too.
    assert_eq!(answer.media[0].rtpmap(8).unwrap().encoding_name, "PCMA");
    assert_eq!(audio.codec.name, "PCMA");
    assert!(audio.telephone_event.is_none());
}

/// RFC 3264 §6.1: offer direction × our wish → answer direction.
#[test]
fn direction_table_of_rfc_3264_section_6_1() {
    use Direction::*;
    let table = [
        // offered, we want, we answer
        (SendRecv, SendRecv, SendRecv),
        (SendRecv, SendOnly, SendOnly),
        (SendRecv, RecvOnly, RecvOnly),
        (SendRecv, Inactive, Inactive),
        (SendOnly, SendRecv, RecvOnly),
        (SendOnly, SendOnly, Inactive),
        (SendOnly, RecvOnly, RecvOnly),
        (SendOnly, Inactive, Inactive),
        (RecvOnly, SendRecv, SendOnly),
        (RecvOnly, SendOnly, SendOnly),
        (RecvOnly, RecvOnly, Inactive),
        (RecvOnly, Inactive, Inactive),
        (Inactive, SendRecv, Inactive),
        (Inactive, SendOnly, Inactive),
        (Inactive, RecvOnly, Inactive),
        (Inactive, Inactive, Inactive),
    ];
    for (offered, wish, expected) in table {
        let offer = peer(&["m=audio 5000 RTP/AVP 0", &format!("a={}", offered.as_str())]);
        let (answer, audio) = answer_offer(&offer, &Capabilities::default(), &us().with_direction(wish)).unwrap();
        let audio = audio.unwrap();
        assert_eq!(answer.media[0].direction(), Some(expected), "{offered:?} × {wish:?}");
        assert_eq!(audio.direction, expected);
        assert_eq!((audio.can_send(), audio.can_receive()), (expected.sends(), expected.receives()));
        // The offerer's view of our answer is the mirror image.
        let theirs = accept_answer(&offer, &answer).unwrap().unwrap();
        assert_eq!(theirs.direction, offered.intersect(expected.reversed()));
    }
    // A session-level direction applies to media without one (RFC 8866 §6.7).
    let text = format!("{}a=sendonly\r\nm=audio 5000 RTP/AVP 0\r\n", PEER);
    let offer = SessionDescription::parse(text.as_bytes()).unwrap();
    assert_eq!(answered(&offer).0.media[0].direction(), Some(Direction::RecvOnly));
}

#[test]
fn hold_both_styles_is_recognized() {
    // RFC 3264 §8.4 hold: sendonly.
    let (_, audio) = answered(&peer(&["m=audio 5000 RTP/AVP 0", "a=sendonly"]));
    assert!(audio.held_by_peer && audio.is_hold() && !audio.can_send());
    // RFC 2543 hold: c=0.0.0.0, read as sendonly (RFC 3264 §8.4).
    let text = "v=0\r\no=peer 10 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";
    let offer = SessionDescription::parse(text.as_bytes()).unwrap();
    let (answer, audio) = answered(&offer);
    assert_eq!(answer.media[0].direction(), Some(Direction::RecvOnly));
    assert!(audio.held_by_peer && !audio.can_send() && audio.can_receive());
    assert_eq!(audio.remote_rtp.host, Host::Ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
    // Not a hold.
    let (_, audio) = answered(&peer(&["m=audio 5000 RTP/AVP 0"]));
    assert!(!audio.is_hold() && audio.can_send() && audio.can_receive());
}

#[test]
fn we_hold_and_resume_with_reoffers() {
    let caps = Capabilities::default();
    let first = make_offer(&caps, &us()).unwrap();
    // Hold: sendonly, version 2 (RFC 3264 §8.4).
    let held = make_reoffer(&first, &caps, &us().with_direction(Direction::SendOnly)).unwrap();
    assert_eq!(held.origin.session_version, 2);
    assert_eq!(held.media[0].direction(), Some(Direction::SendOnly));
    let reply = peer(&["m=audio 5000 RTP/AVP 0", "a=recvonly"]);
    let audio = accept_answer(&held, &reply).unwrap().unwrap();
    assert!(audio.held_locally && !audio.held_by_peer && audio.can_send() && !audio.can_receive());
    // The same SDP again keeps the version (RFC 3264 §8).
    let again = make_reoffer(&held, &caps, &us().with_direction(Direction::SendOnly)).unwrap();
    assert_eq!(again, held);
    // Resume: version 3.
    let resumed = make_reoffer(&held, &caps, &us()).unwrap();
    assert_eq!(resumed.origin.session_version, 3);
    assert_eq!(resumed.media[0].direction(), Some(Direction::SendRecv));
}

#[test]
fn reoffer_after_answering_keeps_slots_and_payload_types() {
    let offer = peer(&[
        "m=audio 5000 RTP/AVP 0 96",
        "a=rtpmap:96 telephone-event/8000",
        "m=video 5002 RTP/AVP 31",
        "m=audio 5004 RTP/AVP 8",
    ]);
    let (our_answer, _) = answered(&offer);
    let reoffer =
        make_reoffer(&our_answer, &Capabilities::default(), &us().with_direction(Direction::SendOnly)).unwrap();
    assert_eq!(reoffer.media.len(), 3, "RFC 3264 §8: m= lines are never removed");
    assert_eq!((reoffer.media[1].port, reoffer.media[2].port), (0, 0));
    // telephone-event keeps 96 (RFC 3264 §8.3.2); opus must not take 96 either.
    assert_eq!(reoffer.media[0].formats, ["111", "9", "0", "8", "96"]);
    assert_eq!(reoffer.origin.session_version, our_answer.origin.session_version + 1);
    // When our preferred opus number is already bound to something else, opus moves.
    let offer = peer(&["m=audio 5000 RTP/AVP 0 111", "a=rtpmap:111 telephone-event/8000"]);
    let (our_answer, _) = answered(&offer);
    let reoffer = make_reoffer(&our_answer, &Capabilities::default(), &us()).unwrap();
    assert_eq!(reoffer.media[0].formats, ["96", "9", "0", "8", "111"]);
    // After a media-less exchange (RFC 4317 §5.1), audio is appended (RFC 3264 §8.1).
    let (empty_answer, none) = answer_offer(&peer(&[]).clone(), &Capabilities::default(), &us()).unwrap();
    assert!(none.is_none() && empty_answer.media.is_empty());
    let reoffer = make_reoffer(&empty_answer, &Capabilities::default(), &us()).unwrap();
    assert_eq!(reoffer.media.len(), 1);
}

#[test]
fn video_is_rejected_with_port_zero() {
    let offer = peer(&["m=video 6000 RTP/AVP 31", "m=audio 5000 RTP/AVP 0", "m=application 7000 UDP/BFCP *"]);
    let (answer, audio) = answered(&offer);
    assert_eq!(answer.media.len(), 3);
    assert_eq!((answer.media[0].port, answer.media[0].formats.as_slice()), (0, ["31".to_owned()].as_slice()));
    assert_eq!(answer.media[2].port, 0);
    assert_eq!((audio.media_index, answer.media[1].port), (1, 4000));
    // A second audio stream is rejected too: one RTP stream per call.
    let (answer, _) =
        answer_offer(&peer(&["m=audio 5000 RTP/AVP 0", "m=audio 5002 RTP/AVP 0"]), &Capabilities::default(), &us())
            .unwrap();
    assert_eq!((answer.media[0].port, answer.media[1].port), (4000, 0));
}

#[test]
fn unusable_offers_are_a_precise_error() {
    let no_common = Err(Error::Negotiation(NegotiationError::NoCommonCodec));
    let caps = Capabilities::default();
    assert_eq!(answer_offer(&peer(&["m=audio 5000 RTP/AVP 18 4"]), &caps, &us()), no_common);
    assert_eq!(answer_offer(&peer(&["m=video 5000 RTP/AVP 31"]), &caps, &us()), no_common);
    // Only telephone-event or comfort noise in common is no voice.
    assert_eq!(
        answer_offer(&peer(&["m=audio 5000 RTP/AVP 13 101", "a=rtpmap:101 telephone-event/8000"]), &caps, &us()),
        no_common
    );
    // SRTP is not a transport we speak.
    assert_eq!(answer_offer(&peer(&["m=audio 5000 RTP/SAVP 0"]), &caps, &us()), no_common);
    // A dynamic payload type without rtpmap cannot be identified.
    assert_eq!(answer_offer(&peer(&["m=audio 5000 RTP/AVP 96"]), &caps, &us()), no_common);
    // Streams offered with port 0 only: nothing to accept, nothing to refuse.
    let (answer, audio) = answer_offer(&peer(&["m=audio 0 RTP/AVP 0"]), &caps, &us()).unwrap();
    assert!(audio.is_none() && answer.media[0].port == 0);
}

#[test]
fn media_level_connection_and_rtcp_override_the_defaults() {
    let offer = peer(&["m=audio 5000 RTP/AVP 0", "c=IN IP4 203.0.113.9", "a=rtcp:5009 IN IP4 203.0.113.10"]);
    let (_, audio) = answered(&offer);
    assert_eq!(audio.remote_rtp.host, Host::Ip(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9))));
    assert_eq!(audio.remote_rtp.port, 5000);
    assert_eq!(audio.remote_rtcp.host, Host::Ip(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10))));
    assert_eq!(audio.remote_rtcp.port, 5009);
    let (_, audio) = answered(&peer(&["m=audio 5000 RTP/AVP 0", "a=rtcp:6001"]));
    assert_eq!((audio.remote_rtcp.host.to_string().as_str(), audio.remote_rtcp.port), ("192.0.2.1", 6001));
    let (_, audio) = answered(&peer(&["m=audio 5000 RTP/AVP 0"]));
    assert_eq!(audio.remote_rtcp.port, 5001);
}

#[test]
fn rtcp_mux_is_used_only_when_both_want_it() {
    let offer = peer(&["m=audio 5000 RTP/AVP 0", "a=rtcp-mux"]);
    let (answer, audio) = answered(&offer);
    assert!(!audio.rtcp_mux && !answer.media[0].rtcp_mux());
    let caps = Capabilities { rtcp_mux: true, ..Capabilities::default() };
    let (answer, audio) = answer_offer(&offer, &caps, &us()).unwrap();
    let audio = audio.unwrap();
    assert!(audio.rtcp_mux && answer.media[0].rtcp_mux());
    assert_eq!(audio.remote_rtcp, audio.remote_rtp);
}

#[test]
fn ipv6_offers_and_answers() {
    let text =
        "v=0\r\no=peer 1 1 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";
    let offer = SessionDescription::parse(text.as_bytes()).unwrap();
    let local = LocalMedia::new(IpAddr::V6("2001:db8::5".parse::<Ipv6Addr>().unwrap()), 4000, 1, 1);
    let (answer, audio) = answer_offer(&offer, &Capabilities::default(), &local).unwrap();
    let audio = audio.unwrap();
    assert_eq!(audio.remote_rtp.host, Host::Ip("2001:db8::1".parse().unwrap()));
    let written = answer.encode().unwrap();
    assert!(written.contains("o=- 1 1 IN IP6 2001:db8::5\r\n") && written.contains("c=IN IP6 2001:db8::5\r\n"));
    let ours = make_offer(&Capabilities::default(), &local).unwrap();
    assert_eq!(ours.connection.as_ref().unwrap().addr_type, "IP6");
}

#[test]
fn ptime_is_echoed_within_our_maxptime() {
    let offer = peer(&["m=audio 5000 RTP/AVP 0", "a=ptime:30", "a=maxptime:40"]);
    let (answer, audio) = answered(&offer);
    assert_eq!(answer.media[0].ptime(), Some(30));
    assert_eq!((audio.ptime, audio.remote_maxptime), (30, Some(40)));
    let caps = Capabilities { maxptime: Some(20), ..Capabilities::default() };
    let (answer, _) = answer_offer(&offer, &caps, &us()).unwrap();
    assert_eq!((answer.media[0].ptime(), answer.media[0].maxptime()), (Some(20), Some(20)));
    let (answer, audio) = answered(&peer(&["m=audio 5000 RTP/AVP 0"]));
    assert_eq!((answer.media[0].ptime(), audio.ptime), (Some(20), 20));
}

#[test]
fn bad_answers_are_precise_errors() {
    let ours = make_offer(&Capabilities::default(), &us()).unwrap();
    let err = |e| Err(Error::Negotiation(e));
    let two = peer(&["m=audio 5000 RTP/AVP 0", "m=audio 5002 RTP/AVP 0"]);
    assert_eq!(accept_answer(&ours, &two), err(NegotiationError::MediaCountMismatch { offered: 1, answered: 2 }));
    assert_eq!(
        accept_answer(&ours, &peer(&["m=video 5000 RTP/AVP 31"])),
        err(NegotiationError::MediaTypeMismatch { index: 0 })
    );
    assert_eq!(
        accept_answer(&ours, &peer(&["m=audio 5000 RTP/AVP 18"])),
        err(NegotiationError::CodecNotOffered { index: 0 })
    );
    assert_eq!(accept_answer(&ours, &peer(&["m=audio 0 RTP/AVP 0"])), err(NegotiationError::AudioRejected));
    let mut disabled = ours.clone();
    disabled.media[0].port = 0;
    assert_eq!(
        accept_answer(&disabled, &peer(&["m=audio 5000 RTP/AVP 0"])),
        err(NegotiationError::DisabledStreamAccepted { index: 0 })
    );
    // Extra formats we did not offer are allowed and ignored (RFC 3264 §6.1).
    let audio = accept_answer(&ours, &peer(&["m=audio 5000 RTP/AVP 18 8"])).unwrap().unwrap();
    assert_eq!(audio.codec.name, "PCMA");
}

#[test]
fn peer_reoffer_changes_are_detected() {
    let first = peer(&["m=audio 5000 RTP/AVP 0 8"]);
    let (_, before) = answered(&first);
    let text = "v=0\r\no=peer 10 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.99\r\nt=0 0\r\n\
        m=audio 5010 RTP/AVP 8\r\na=sendonly\r\n";
    let second = SessionDescription::parse(text.as_bytes()).unwrap();
    assert_eq!(classify_remote_sdp(&first, &second), RemoteSdpChange::Modified);
    let (_, after) = answered(&second);
    let changes = after.changes_since(&before);
    assert!(changes.remote_address && changes.remote_port && changes.codec && changes.direction && changes.hold);
    assert!(!changes.telephone_event && !changes.ptime && !changes.media_index);
    assert!(!before.changes_since(&before).any());
    assert_eq!(classify_remote_sdp(&first, &first.clone()), RemoteSdpChange::Unchanged);
    let mut sneaky = first.clone();
    sneaky.media[0].port = 6000;
    assert_eq!(classify_remote_sdp(&first, &sneaky), RemoteSdpChange::ChangedWithoutNewVersion);
    let mut other = first.clone();
    other.origin.session_id = 11;
    assert_eq!(classify_remote_sdp(&first, &other), RemoteSdpChange::NewOrigin);
}
