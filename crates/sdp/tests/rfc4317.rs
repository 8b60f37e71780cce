//! Every RFC 4317 example (shared/testdata/rfc4317): parsing, serializing, the MANIFEST, and both
//! sides of every offer/answer exchange.

mod support;

use std::net::{IpAddr, Ipv4Addr};

use sdp::{
    accept_answer, answer_offer, next_version, Capabilities, Codec, Direction, LocalMedia, MediaType,
    SessionDescription, TelephoneEventCap,
};
use support::{read_tsv, testdata_dir};

fn load(stem: &str) -> SessionDescription {
    let path = testdata_dir().join("rfc4317").join(format!("{stem}.sdp"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    SessionDescription::parse(&bytes).unwrap_or_else(|e| panic!("{stem}: {e}"))
}

/// The MANIFEST `media` column of a description: `audio:49170/0+8+97, video:51372/31+32`.
fn media_column(sd: &SessionDescription) -> String {
    if sd.media.is_empty() {
        return "none".to_owned();
    }
    let streams: Vec<String> =
        sd.media.iter().map(|m| format!("{}:{}/{}", m.media_type, m.port, m.formats.join("+"))).collect();
    streams.join(", ")
}

#[test]
fn every_file_parses_and_round_trips_byte_for_byte() {
    let manifest = read_tsv("rfc4317/MANIFEST.tsv");
    let mut files: Vec<String> = std::fs::read_dir(testdata_dir().join("rfc4317"))
        .expect("rfc4317 directory")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sdp"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 54, "RFC 4317 has 54 session descriptions");
    let listed: Vec<&str> = manifest.iter().map(|row| row["file"].as_str()).collect();
    for file in &files {
        assert!(listed.contains(&file.as_str()), "{file} is not in MANIFEST.tsv");
        let bytes = std::fs::read(testdata_dir().join("rfc4317").join(file)).expect("read");
        let sd = SessionDescription::parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        let written = sd.encode().unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(SessionDescription::parse(written.as_bytes()).as_ref(), Ok(&sd), "{file}: model changed");
        // The files are in RFC order with CRLF, so the serializer reproduces them exactly.
        assert_eq!(written.as_bytes(), bytes.as_slice(), "{file}: bytes changed");
    }
}

#[test]
fn manifest_columns_match_what_the_parser_reads() {
    for row in read_tsv("rfc4317/MANIFEST.tsv") {
        let file = &row["file"];
        let sd = load(file.trim_end_matches(".sdp"));
        assert_eq!(media_column(&sd), row["media"], "{file}: media");
        assert_eq!(sd.origin.username, row["sender"], "{file}: sender");
        assert_eq!(sd.origin.session_version.to_string(), row["o_version"], "{file}: o= version");
        let features = &row["file_features"];
        assert_eq!(features.contains("port-0"), sd.media.iter().any(|m| m.port == 0), "{file}: port 0");
        assert_eq!(
            features.contains("media-level c="),
            sd.media.iter().any(|m| m.connection().is_some()),
            "{file}: media-level c="
        );
        let black_hole = sd.connection.as_ref().is_some_and(|c| c.is_unspecified());
        assert_eq!(features.contains("c=0.0.0.0"), black_hole, "{file}: c=0.0.0.0");
        let events = sd.media.iter().any(|m| m.rtp_formats().iter().any(|f| f.is_telephone_event()));
        assert_eq!(features.contains("telephone-event"), events, "{file}: telephone-event");
        for direction in ["sendonly", "recvonly", "inactive"] {
            let present = sd.media.iter().any(|m| m.direction().is_some_and(|d| d.as_str() == direction));
            assert_eq!(features.contains(&format!("a={direction}")), present, "{file}: a={direction}");
        }
    }
}

/// One offer/answer exchange of RFC 4317 and what our phone answers to its offer.
struct Exchange {
    offer: &'static str,
    answer: &'static str,
    /// Our answer per `m=` line: `Some(payload types)` accepted, `None` rejected with port 0.
    ours: &'static [Option<&'static [u8]>],
}

const fn x(offer: &'static str, answer: &'static str, ours: &'static [Option<&'static [u8]>]) -> Exchange {
    Exchange { offer, answer, ours }
}

// Where our answer differs from the example's, it is one of these, each correct for a deskphone:
// - VIDEO: the example accepts video; the phone is audio-only and rejects it with port 0
//   (RFC 3264 §6: a stream MAY be rejected for any reason).
// - SECOND AUDIO: the example accepts a second audio stream carrying only telephone-event
//   (2.4, 3.2, 4.1); the phone runs one RTP stream per call and rejects further audio streams.
// - 2.3: the example renumbers iLBC from 97 to 99; we keep the offerer's 97 as RFC 3264 §6.1
//   says the answerer SHOULD.
const EXCHANGES: &[Exchange] = &[
    x("2.1-offer", "2.1-answer", &[Some(&[0]), None]),    // VIDEO
    x("2.2-offer", "2.2-answer", &[Some(&[0, 8]), None]), // identical structure
    x("2.2-second-offer", "2.2-second-answer", &[Some(&[0]), None]),
    x("2.3-offer", "2.3-answer", &[Some(&[97]), None]), // 2.3, VIDEO
    x("2.4-offer", "2.4-answer", &[Some(&[97]), None]), // SECOND AUDIO
    x("2.5-offer", "2.5-answer", &[Some(&[97]), None]), // VIDEO
    x("2.5-second-offer", "2.5-second-answer", &[Some(&[97]), None]), // VIDEO
    x("2.6-offer", "2.6-answer", &[None, Some(&[97, 101])]),
    x("2.7-offer", "2.7-answer", &[Some(&[99]), None]), // VIDEO
    x("2.7-second-offer", "2.7-second-answer", &[Some(&[99]), None]), // VIDEO
    x("2.8-offer", "2.8-answer", &[Some(&[0]), None]),  // VIDEO
    x("3.1-offer", "3.1-answer", &[Some(&[97])]),
    x("3.1-second-offer", "3.1-second-answer", &[Some(&[97])]),
    x("3.2-offer", "3.2-answer", &[Some(&[97]), None]), // SECOND AUDIO
    x("3.2-second-offer", "3.2-second-answer", &[Some(&[97]), None]), // SECOND AUDIO
    x("4.1-offer", "4.1-answer", &[Some(&[97])]),
    x("4.1-second-offer", "4.1-second-answer", &[Some(&[97]), None]), // SECOND AUDIO
    x("4.2-offer", "4.2-answer", &[Some(&[0])]),
    x("4.2-second-offer", "4.2-second-answer", &[Some(&[0]), None]), // VIDEO
    x("4.3-offer", "4.3-answer", &[Some(&[97]), None]),              // VIDEO
    x("4.3-second-offer", "4.3-second-answer", &[Some(&[97]), None]),
    x("5.1-offer", "5.1-answer", &[]),
    x("5.1-second-offer", "5.1-second-answer", &[Some(&[97])]),
    x("5.2-offer", "5.2-answer", &[Some(&[97])]),
    x("5.2-second-offer", "5.2-second-answer", &[Some(&[97])]),
    x("5.3-offer", "5.3-answer", &[Some(&[97])]),
    x("5.3-second-offer", "5.3-second-answer", &[Some(&[97])]),
];

#[test]
fn the_exchanges_cover_every_offer_and_answer_file() {
    let manifest = read_tsv("rfc4317/MANIFEST.tsv");
    let mut stems: Vec<&str> = EXCHANGES.iter().flat_map(|e| [e.offer, e.answer]).collect();
    stems.sort_unstable();
    let mut files: Vec<String> = manifest.iter().map(|row| row["file"].trim_end_matches(".sdp").to_owned()).collect();
    files.sort();
    assert_eq!(stems, files);
}

#[test]
fn accept_answer_accepts_every_example_answer() {
    for exchange in EXCHANGES {
        let (offer, answer) = (load(exchange.offer), load(exchange.answer));
        let audio = accept_answer(&offer, &answer).unwrap_or_else(|e| panic!("{}: {e}", exchange.answer));
        let Some(audio) = audio else {
            assert!(offer.media.is_empty(), "{}: only the media-less offer has no audio", exchange.offer);
            continue;
        };
        let answered = &answer.media[audio.media_index];
        // We send with the answer's first voice codec that we offered, with the answer's payload
        // type (RFC 3264 §7). (3.2's second answer lists PCMU first, which was not offered.)
        let offered = offer.media[audio.media_index].rtp_formats();
        let first = answered
            .rtp_formats()
            .into_iter()
            .filter(|f| offered.iter().any(|o| o.same_codec(&f.encoding_name, f.clock_rate, f.channel_count())))
            .find(|f| !f.is_telephone_event())
            .expect("voice codec");
        assert_eq!(audio.codec.payload_type, first.payload_type, "{}", exchange.answer);
        assert!(audio.codec.name.eq_ignore_ascii_case(&first.encoding_name), "{}", exchange.answer);
        assert_eq!(audio.remote_rtp.port, answered.port, "{}", exchange.answer);
        assert_eq!(audio.remote_rtcp.port, answered.port + 1, "{}: RTCP on port + 1", exchange.answer);
    }
}

#[test]
fn accept_answer_details() {
    // 2.3: the answer renumbers iLBC 97 → 99: we send 99 (RFC 3264 §5.1) and receive 97 (§6.1).
    let audio = accept_answer(&load("2.3-offer"), &load("2.3-answer")).unwrap().unwrap();
    assert_eq!((audio.codec.payload_type, audio.codec.receive_payload_type), (99, 97));
    // 2.6: the first stream is declined, the second carries iLBC and telephone-event 101.
    let audio = accept_answer(&load("2.6-offer"), &load("2.6-answer")).unwrap().unwrap();
    assert_eq!(audio.media_index, 1);
    assert_eq!(audio.telephone_event.as_ref().map(|t| (t.payload_type, t.clock_rate)), Some((101, 8000)));
    // 3.1: Bob answers sendonly: Alice is on hold and only receives.
    let audio = accept_answer(&load("3.1-offer"), &load("3.1-answer")).unwrap().unwrap();
    assert_eq!(audio.direction, Direction::RecvOnly);
    assert!(audio.held_by_peer && !audio.held_locally);
    // 3.2 second exchange: Bob holds the voice stream with sendonly. Alice's answer omits the
    // a=recvonly that RFC 3264 §6.1 requires (it reads as sendrecv) and adds PCMU, which was not
    // offered (allowed by §6.1). We are not stricter than needed: Bob still only sends.
    let audio = accept_answer(&load("3.2-second-offer"), &load("3.2-second-answer")).unwrap().unwrap();
    assert_eq!(audio.direction, Direction::SendOnly);
    assert_eq!(audio.codecs.iter().map(|c| c.payload_type).collect::<Vec<_>>(), vec![97]);
    assert!(audio.held_locally);
    // 5.3: Bob answers with c=0.0.0.0: Alice must not send (RFC 3264 §8.4).
    let audio = accept_answer(&load("5.3-offer"), &load("5.3-answer")).unwrap().unwrap();
    assert_eq!(audio.direction, Direction::RecvOnly);
    assert!(audio.held_by_peer);
    // 2.8: the answer's media-level c= is on the video stream; audio uses the session c=.
    let audio = accept_answer(&load("2.8-offer"), &load("2.8-answer")).unwrap().unwrap();
    assert_eq!(audio.remote_rtp.host.to_string(), "host.biloxi.example.com");
}

/// Capabilities shaped like the example answerer's: the voice codecs of the first audio stream
/// it accepts, in its order and with its payload types, and telephone-event if that stream has it.
fn answerer_caps(answer: &SessionDescription) -> Capabilities {
    let stream = answer.media.iter().find(|m| m.media_type == MediaType::Audio && m.port != 0);
    let Some(stream) = stream else { return Capabilities::with_codecs(vec![Codec::pcmu()]) };
    let formats = stream.rtp_formats();
    let codecs = formats
        .iter()
        .filter(|f| !f.is_telephone_event())
        .map(|f| Codec::new(f.encoding_name.clone(), f.clock_rate, f.channel_count(), f.payload_type))
        .collect();
    let mut caps = Capabilities::with_codecs(codecs);
    caps.telephone_event = formats.iter().find(|f| f.is_telephone_event()).map(|f| TelephoneEventCap {
        clock_rate: f.clock_rate,
        preferred_pt: f.payload_type,
        fmtp: None,
    });
    caps
}

/// Our side as the example answerer: its audio port and the direction it answered with.
fn answerer_local(answer: &SessionDescription) -> LocalMedia {
    let stream = answer.media.iter().find(|m| m.media_type == MediaType::Audio && m.port != 0);
    let port = stream.map_or(49170, |m| m.port);
    let direction = stream.map_or(Direction::SendRecv, |m| answer.effective_direction(m));
    LocalMedia::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 20)), port, 2808844564, 2808844564).with_direction(direction)
}

#[test]
fn answer_offer_matches_the_example_answer_structure() {
    for exchange in EXCHANGES {
        let (offer, example) = (load(exchange.offer), load(exchange.answer));
        let caps = answerer_caps(&example);
        let (ours, audio) = answer_offer(&offer, &caps, &answerer_local(&example))
            .unwrap_or_else(|e| panic!("{}: {e}", exchange.offer));
        let name = exchange.offer;
        assert_eq!(ours.media.len(), example.media.len(), "{name}: m= count");
        assert_eq!(ours.media.len(), exchange.ours.len(), "{name}: table");
        assert_eq!(ours.timings, offer.timings, "{name}: t= echoed (RFC 3264 §6)");
        for (index, ((mine, theirs), expected)) in ours.media.iter().zip(&example.media).zip(exchange.ours).enumerate()
        {
            assert_eq!(mine.media_type, theirs.media_type, "{name} m={index}: media type");
            if theirs.port == 0 {
                assert_eq!(mine.port, 0, "{name} m={index}: the example declines, so do we");
            }
            match expected {
                None => assert_eq!(mine.port, 0, "{name} m={index}: rejected"),
                Some(pts) => {
                    assert_ne!(mine.port, 0, "{name} m={index}: accepted");
                    assert_eq!(mine.payload_types().collect::<Vec<_>>(), pts.to_vec(), "{name} m={index}");
                    assert_eq!(codec_names(mine, None), codec_names(theirs, Some(&offer.media[index])), "{name}");
                }
            }
        }
        assert_eq!(audio.is_some(), !offer.media.is_empty(), "{name}: negotiated audio");
        // Closing the loop: the offerer accepts our answer.
        accept_answer(&offer, &ours).unwrap_or_else(|e| panic!("{name}: our answer refused: {e}"));
        assert_eq!(SessionDescription::parse(ours.encode().unwrap().as_bytes()).unwrap(), ours);
    }
}

/// The codec names of a stream (upper case), only those also in `offered` when given.
fn codec_names(media: &sdp::MediaDescription, offered: Option<&sdp::MediaDescription>) -> Vec<String> {
    let offered = offered.map(|m| m.rtp_formats());
    media
        .rtp_formats()
        .into_iter()
        .filter(|f| {
            offered
                .as_ref()
                .is_none_or(|o| o.iter().any(|g| g.same_codec(&f.encoding_name, f.clock_rate, f.channel_count())))
        })
        .map(|f| f.encoding_name.to_ascii_uppercase())
        .collect()
}

#[test]
fn answer_directions_follow_rfc_3264() {
    // 3.1: Bob wants to hold (sendonly) and answers sendonly.
    let (ours, audio) =
        answer_offer(&load("3.1-offer"), &answerer_caps(&load("3.1-answer")), &answerer_local(&load("3.1-answer")))
            .unwrap();
    assert_eq!(ours.media[0].direction(), Some(Direction::SendOnly));
    assert!(audio.unwrap().held_locally);
    // 2.4: the offered sendonly telephone-event stream would be answered recvonly, but it is our
    // second audio stream and is rejected; the voice stream is sendrecv.
    let (ours, _) =
        answer_offer(&load("2.4-offer"), &answerer_caps(&load("2.4-answer")), &answerer_local(&load("2.4-answer")))
            .unwrap();
    assert_eq!(ours.media[0].direction(), Some(Direction::SendRecv));
    // 3.2 second offer: voice stream sendonly → our answer recvonly (§6.1). The example answer has
    // no direction attribute there, which reads as sendrecv and breaks §6.1.
    let example = load("3.2-second-answer");
    let (ours, audio) =
        answer_offer(&load("3.2-second-offer"), &answerer_caps(&example), &answerer_local(&example)).unwrap();
    assert_eq!(ours.media[0].direction(), Some(Direction::RecvOnly));
    assert!(audio.unwrap().held_by_peer);
    // 5.2: the offer's c=0.0.0.0 is read as sendonly (RFC 3264 §8.4), so we answer recvonly where
    // the example (a 3pcc flow, not a hold) leaves the direction out.
    let example = load("5.2-answer");
    let (ours, audio) = answer_offer(&load("5.2-offer"), &answerer_caps(&example), &answerer_local(&example)).unwrap();
    assert_eq!(ours.media[0].direction(), Some(Direction::RecvOnly));
    let audio = audio.unwrap();
    assert!(audio.held_by_peer && !audio.can_send() && audio.can_receive());
}

/// RFC 3264 §8: each party's `o=` version goes up by one when its SDP changes, and stays when it
/// sends the same SDP again (2.5, 5.2, 5.3).
#[test]
fn next_version_reproduces_the_examples_o_lines() {
    let sections = ["2.2", "2.5", "2.7", "3.1", "3.2", "4.1", "4.2", "4.3", "5.1", "5.2", "5.3"];
    for section in sections {
        let first = [load(&format!("{section}-offer")), load(&format!("{section}-answer"))];
        let second = [load(&format!("{section}-second-offer")), load(&format!("{section}-second-answer"))];
        for next in &second {
            let previous = first.iter().find(|sd| sd.origin.username == next.origin.username).expect("same party");
            let mut candidate = next.clone();
            candidate.origin.session_version = 0;
            let versioned = next_version(previous, candidate);
            if section == "3.2" && next.origin.username == "alice" {
                // Alice's second answer is byte-for-byte her first offer but the RFC still bumps
                // the version. §8 only requires a bump when the SDP changes, so we keep it.
                assert_eq!(versioned.origin.session_version, previous.origin.session_version);
                continue;
            }
            assert_eq!(versioned.origin, next.origin, "{section} {}", next.origin.username);
        }
    }
}
