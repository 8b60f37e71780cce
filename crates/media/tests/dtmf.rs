//! RFC 4733 DTMF: payloads, the sender and the receiver, against the RFC's Table 5 and Figures 3
//! to 5 (shared test data) and under loss, duplication and reordering.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use media::dtmf::red::{self, RedBlock};
use media::dtmf::{
    DtmfError, DtmfEvent, DtmfPacket, DtmfReceiver, DtmfSender, EndReason, Event, EventPayload, ReceiverConfig,
    SenderConfig, TonePayload,
};
use proptest::prelude::*;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

const SSRC: u32 = 0x0052_34a8;

fn testdata() -> PathBuf {
    std::env::var("HARDPHONE_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata")))
        .join("rfc4733")
}

/// The rows of a shared TSV file, header dropped.
fn tsv(name: &str) -> Vec<Vec<String>> {
    let path = testdata().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().skip(1).filter(|l| !l.is_empty()).map(|l| l.split('\t').map(str::to_owned).collect()).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

/// The hex of one figure of `figures3-5-packets.tsv`.
fn figure_hex(figure: &str) -> Vec<u8> {
    let row = tsv("figures3-5-packets.tsv").into_iter().find(|r| r[0] == figure).expect("figure row");
    unhex(&row[4])
}

/// An RTP header: V=2, no padding, extension or CSRC (RFC 3550 §5.1).
fn rtp_header(marker: bool, pt: u8, seq: u16, ts: u32) -> Vec<u8> {
    let mut h = vec![0x80, (u8::from(marker) << 7) | pt];
    h.extend_from_slice(&seq.to_be_bytes());
    h.extend_from_slice(&ts.to_be_bytes());
    h.extend_from_slice(&SSRC.to_be_bytes());
    h
}

/// A packet the sender produced, with the tick it was sent at and the sequence number the media
/// session gave it.
#[derive(Debug, Clone, Copy)]
struct Sent {
    at: u32,
    seq: u16,
    packet: DtmfPacket,
}

/// Drives `sender` from `from` to `to` every `step` units, calling `before(t, sender)` before the
/// polls of each tick and `after(t, sender)` after them.
fn drive(
    sender: &mut DtmfSender,
    ticks: impl Iterator<Item = u32>,
    mut before: impl FnMut(u32, &mut DtmfSender),
    mut after: impl FnMut(u32, &mut DtmfSender),
) -> Vec<Sent> {
    let mut out = Vec::new();
    for t in ticks {
        before(t, sender);
        while let Some(packet) = sender.poll(t) {
            out.push(Sent { at: t, seq: out.len() as u16 + 1, packet });
        }
        after(t, sender);
    }
    out
}

/// RFC 4733 §5: "911", events at 0, 880 ms and 1400 ms lasting 200, 250 and 220 ms, reports every
/// 50 ms, volume 20 as in Figure 3. Key releases are seen at the ticks of Table 5.
fn table5_packets() -> Vec<Sent> {
    let config = SenderConfig { packet_interval: 400, volume: 20, ..SenderConfig::new(8000, 50) };
    let mut sender = DtmfSender::new(config).expect("config");
    let one = Event::Digit1;
    drive(
        &mut sender,
        (0..=16_000).step_by(40),
        |t, s| match t {
            0 => s.start(Event::Digit9, 0).expect("start"),
            7040 => s.start(one, 7040).expect("start"),
            11_200 => s.start(one, 11_200).expect("start"),
            12_960 => s.stop(12_960),
            _ => {}
        },
        |t, s| {
            // The gateway of Table 5 learns that "9" and the first "1" ended only after sending
            // the report that already had their final duration.
            if t == 1600 || t == 9040 {
                s.stop(t);
            }
        },
    )
}

#[test]
fn event_codes_match_rfc4733_table3() {
    let rows = tsv("dtmf-events.tsv");
    assert_eq!(rows.len(), 16);
    for row in rows {
        let code: u8 = row[0].parse().expect("code");
        let digit = row[1].chars().next().expect("digit");
        let event = Event::from_code(code).expect("DTMF code");
        assert_eq!(event.to_char(), digit);
        assert_eq!(Event::from_char(digit), Some(event));
        assert_eq!(event.code(), code);
        assert_eq!(Event::try_from(code), Ok(event));
    }
    assert_eq!(Event::try_from(16), Err(DtmfError::UnsupportedEvent { code: 16 }));
    assert_eq!(Event::from_char('a'), Some(Event::A));
    assert_eq!(Event::from_char('x'), None);
}

#[test]
fn event_frequencies_are_q23_pairs() {
    // RFC 4733 Table 6: "9" is 852 + 1477 Hz, "1" is 697 + 1209 Hz.
    assert_eq!(Event::Digit9.frequencies(), (852, 1477));
    assert_eq!(Event::Digit1.frequencies(), (697, 1209));
    assert_eq!(Event::Digit0.frequencies(), (941, 1336));
    assert_eq!(Event::D.frequencies(), (941, 1633));
    for event in Event::ALL {
        let (low, high) = event.frequencies();
        assert_eq!(Event::from_frequencies(high, low), Some(event));
    }
    assert_eq!(Event::from_frequencies(697, 697), None);
}

#[test]
fn sender_reproduces_table5() {
    let sent = table5_packets();
    let seqs: Vec<u16> = sent.iter().map(|s| s.seq).collect();
    assert_eq!(seqs, (1..=20).collect::<Vec<_>>(), "Table 5 has 20 packets");
    let mut rows_checked = 0;
    for row in tsv("table5-event-reporting.tsv") {
        if row.len() < 8 || row[2].is_empty() || row[2] == "..." {
            continue;
        }
        let seq: u16 = row[4].parse().expect("seq");
        let s = sent.iter().find(|s| s.seq == seq).expect("packet for row");
        let time_ms: u32 = row[0].parse().expect("time");
        assert_eq!(s.at, time_ms * 8, "time of seq {seq}");
        assert_eq!(s.packet.marker, row[2] == "1", "M of seq {seq}");
        assert_eq!(s.packet.timestamp.to_string(), row[3], "timestamp of seq {seq}");
        assert_eq!(s.packet.payload.event_code().to_string(), row[5], "event of seq {seq}");
        assert_eq!(s.packet.payload.duration().to_string(), row[6], "duration of seq {seq}");
        assert_eq!(s.packet.payload.end(), row[7] == "1", "E of seq {seq}");
        rows_checked += 1;
    }
    assert_eq!(rows_checked, 14);
    // The rows Table 5 elides: packets 6-8 and 11-13 grow by 400 from the same timestamp.
    let elided: Vec<(u16, u32, u16)> = sent
        .iter()
        .map(|s| (s.seq, s.packet.timestamp, s.packet.payload.duration()))
        .filter(|r| matches!(r.0, 8..=10 | 15..=17))
        .collect();
    assert_eq!(
        elided,
        vec![
            (8, 7040, 800),
            (9, 7040, 1200),
            (10, 7040, 1600),
            (15, 11_200, 800),
            (16, 11_200, 1200),
            (17, 11_200, 1600)
        ]
    );
    assert!(sent
        .iter()
        .filter(|s| matches!(s.seq, 8..=10 | 15..=17))
        .all(|s| !s.packet.marker && !s.packet.payload.end()));
}

#[test]
fn sender_reproduces_figure3_bytes() {
    let sent = table5_packets();
    let packet14 = sent.iter().find(|s| s.seq == 18).expect("seq 18").packet;
    assert!(!packet14.retransmission);
    let mut bytes = rtp_header(packet14.marker, 100, 18, packet14.timestamp);
    bytes.extend_from_slice(&packet14.payload_bytes());
    assert_eq!(bytes, figure_hex("figure3"));
}

#[test]
fn tone_payload_reproduces_figure4_bytes() {
    let tone = TonePayload::new(&[697, 1209], 20, 160).expect("tone");
    let mut bytes = rtp_header(false, 101, 14, 12_800);
    tone.write_to(&mut bytes);
    let expected = figure_hex("figure4");
    assert_eq!(bytes, expected);
    let parsed = TonePayload::parse(&expected[12..]).expect("parse");
    assert_eq!(parsed, tone);
    assert_eq!((parsed.volume(), parsed.duration(), parsed.modulation()), (20, 160, 0));
    assert_eq!(parsed.dtmf_event(), Some(Event::Digit1));
}

#[test]
fn red_packet_reproduces_figure5_and_receiver_understands_it() {
    let sent = table5_packets();
    let event_bytes = sent.iter().find(|s| s.seq == 18).expect("seq 18").packet.payload_bytes();
    let tone = TonePayload::new(&[697, 1209], 20, 160).expect("tone").to_bytes();
    let mut bytes = rtp_header(false, 102, 18, 12_800);
    let blocks = [
        RedBlock { payload_type: 100, timestamp_offset: 1600, data: &event_bytes },
        RedBlock { payload_type: 101, timestamp_offset: 0, data: &tone },
    ];
    red::write(&blocks, &mut bytes).expect("red");
    let expected = figure_hex("figure5");
    assert_eq!(bytes, expected);

    let parsed = red::parse(&expected[12..]).expect("parse red");
    assert_eq!(parsed.len(), 2);
    assert_eq!((parsed[0].payload_type, parsed[0].timestamp(12_800)), (100, 11_200));
    assert_eq!(parsed[1].payload_type, 101);
    assert_eq!(TonePayload::parse(parsed[1].data).expect("tone").dtmf_event(), Some(Event::Digit1));
    let mut receiver = DtmfReceiver::default();
    let now = Instant::now();
    receiver.handle_packet(now, parsed[0].timestamp(12_800), false, 18, parsed[0].data).expect("event block");
    let events: Vec<_> = std::iter::from_fn(|| receiver.poll_event()).collect();
    assert_eq!(
        events,
        vec![
            DtmfEvent::Begin { event: Event::Digit1, timestamp: 11_200, volume: 20, marker_seen: false },
            DtmfEvent::End { event: Event::Digit1, timestamp: 11_200, duration: 1760, reason: EndReason::EndBit },
        ]
    );
}

/// Feeds `packets` (arrival order) to a receiver, handling timeouts between arrivals and after
/// the last; each arrives at `t0 + at/8 ms` plus its `delay_ms`.
fn receive(receiver: &mut DtmfReceiver, t0: Instant, packets: &[(Sent, u64)]) -> Vec<DtmfEvent> {
    let mut events = Vec::new();
    for (s, delay_ms) in packets {
        let now = t0 + Duration::from_millis(u64::from(s.at) / 8 + delay_ms);
        while let Some(deadline) = receiver.poll_timeout().filter(|&d| d <= now) {
            receiver.handle_timeout(deadline);
        }
        let p = s.packet;
        receiver.handle_packet(now, p.timestamp, p.marker, s.seq, &p.payload_bytes()).expect("valid payload");
        events.extend(std::iter::from_fn(|| receiver.poll_event()));
    }
    if let Some(deadline) = receiver.poll_timeout() {
        receiver.handle_timeout(deadline);
    }
    events.extend(std::iter::from_fn(|| receiver.poll_event()));
    events
}

fn in_order(sent: &[Sent]) -> Vec<(Sent, u64)> {
    sent.iter().map(|&s| (s, 0)).collect()
}

#[test]
fn receiver_reports_table5_once_per_key() {
    let events = receive(&mut DtmfReceiver::default(), Instant::now(), &in_order(&table5_packets()));
    let ends: Vec<_> = events
        .iter()
        .filter_map(|e| match *e {
            DtmfEvent::End { event, timestamp, duration, reason } => {
                Some((event.to_char(), timestamp, duration, reason))
            }
            DtmfEvent::Begin { .. } => None,
        })
        .collect();
    assert_eq!(events.len(), 6);
    assert_eq!(
        ends,
        vec![
            ('9', 0, 1600, EndReason::EndBit),
            ('1', 7040, 2000, EndReason::EndBit),
            ('1', 11_200, 1760, EndReason::EndBit)
        ]
    );
}

/// One key pressed at `start` and released `length` later (seen at the next 20 ms tick).
fn one_key(event: Event, start: u32, length: u32) -> Vec<Sent> {
    let mut sender = DtmfSender::new(SenderConfig::default()).expect("config");
    let ticks = (0..length / 160 + 30).map(move |i| start.wrapping_add(i * 160));
    let mut released = false;
    drive(
        &mut sender,
        ticks,
        |t, s| {
            let elapsed = t.wrapping_sub(start);
            if elapsed == 0 {
                s.start(event, start).expect("start");
            }
            if elapsed >= length && !released {
                s.stop(start.wrapping_add(length));
                released = true;
            }
        },
        |_, _| {},
    )
}

#[test]
fn final_packet_is_sent_three_times() {
    let sent = one_key(Event::Digit5, 1000, 1200);
    let (updates, finals): (Vec<&Sent>, Vec<&Sent>) = sent.iter().partition(|s| !s.packet.payload.end());
    let durations: Vec<u16> = updates.iter().map(|s| s.packet.payload.duration()).collect();
    assert_eq!(durations, vec![160, 320, 480, 640, 800, 960, 1120]);
    assert_eq!(sent.iter().filter(|s| s.packet.marker).count(), 1);
    assert!(sent[0].packet.marker);
    assert_eq!(finals.len(), 3);
    assert!(finals.iter().all(|s| s.packet.payload_bytes() == finals[0].packet.payload_bytes()));
    assert!(finals.iter().all(|s| s.packet.timestamp == 1000 && s.packet.payload.duration() == 1200));
    let flags: Vec<bool> = finals.iter().map(|s| s.packet.retransmission).collect();
    assert_eq!(flags, vec![false, true, true]);
    let times: Vec<u32> = finals.iter().map(|s| s.at).collect();
    assert_eq!(times, vec![2280, 2440, 2600]);
    assert_eq!(sent.last().map(|s| s.seq), Some(finals[2].seq), "nothing after the third final packet");
}

#[test]
fn short_press_lasts_the_minimum_duration() {
    let sent = one_key(Event::Pound, 0, 160);
    let last = sent.last().expect("packets").packet;
    assert!(last.payload.end());
    assert_eq!(last.payload.duration(), 800, "100 ms minimum");
    assert_eq!(sent.iter().filter(|s| s.packet.payload.end()).count(), 3);
}

#[test]
fn long_event_is_split_into_segments_across_timestamp_wrap() {
    let start = u32::MAX - 5000;
    let length = 140_000;
    let sent = one_key(Event::Digit0, start, length);
    let seg = |k: u32| start.wrapping_add(k * 0xFFFF);
    assert!(sent.iter().all(|s| [seg(0), seg(1), seg(2)].contains(&s.packet.timestamp)));
    for k in 0..2 {
        let full: Vec<_> =
            sent.iter().filter(|s| s.packet.timestamp == seg(k) && s.packet.payload.duration() == 0xFFFF).collect();
        assert_eq!(full.len(), 3, "segment {k} end sent three times");
        assert!(full.iter().all(|s| !s.packet.payload.end()));
        assert_eq!(full.iter().map(|s| s.packet.retransmission).collect::<Vec<_>>(), vec![false, true, true]);
    }
    assert_eq!(sent.iter().filter(|s| s.packet.marker).count(), 1, "no marker on later segments");
    let finals: Vec<_> = sent.iter().filter(|s| s.packet.payload.end()).collect();
    assert_eq!(finals.len(), 3);
    assert!(finals
        .iter()
        .all(|s| s.packet.timestamp == seg(2) && u32::from(s.packet.payload.duration()) == length - 2 * 0xFFFF));

    // Joined by the receiver, with or without the segment-end packets.
    for drop_segment_ends in [false, true] {
        let packets: Vec<_> = in_order(&sent)
            .into_iter()
            .filter(|(s, _)| !(drop_segment_ends && s.packet.payload.duration() == 0xFFFF))
            .collect();
        let events = receive(&mut DtmfReceiver::default(), Instant::now(), &packets);
        assert_eq!(
            events,
            vec![
                DtmfEvent::Begin { event: Event::Digit0, timestamp: start, volume: 10, marker_seen: true },
                DtmfEvent::End { event: Event::Digit0, timestamp: start, duration: length, reason: EndReason::EndBit },
            ]
        );
    }
}

#[test]
fn release_at_a_segment_boundary_never_reports_zero_duration() {
    // Reports every 0x3FFF / 3 units so that a tick falls exactly on the segment boundary.
    let config = SenderConfig { packet_interval: 0x1555, max_segment_duration: 0x3FFF, ..SenderConfig::default() };
    let mut sender = DtmfSender::new(config).expect("config");
    let sent = drive(
        &mut sender,
        (0..20u32).map(|i| i * 0x1555),
        |t, s| {
            if t == 0 {
                s.start(Event::C, 0).expect("start");
            }
        },
        |t, s| {
            if t == 0x3FFF {
                s.stop(t);
            }
        },
    );
    assert!(sent.iter().all(|s| s.packet.payload.duration() > 0));
    let finals: Vec<_> = sent.iter().filter(|s| s.packet.payload.end()).collect();
    assert_eq!(finals.len(), 3);
    assert!(finals.iter().all(|s| s.packet.timestamp == 0x3FFF && s.packet.payload.duration() == 1));
    // Reports come every 682 ms here, so the receiver waits longer than by default.
    let mut receiver = DtmfReceiver::new(ReceiverConfig { end_timeout: Duration::from_secs(1) });
    let events = receive(&mut receiver, Instant::now(), &in_order(&sent));
    assert_eq!(events.len(), 2);
    assert!(matches!(events[1], DtmfEvent::End { duration: 0x4000, reason: EndReason::EndBit, .. }));
}

/// The packets of `digits` dialled at 0, default configuration.
fn dial(digits: &str) -> Vec<Sent> {
    let mut sender = DtmfSender::new(SenderConfig::default()).expect("config");
    assert_eq!(sender.send_digits(digits, 0), Ok(digits.len()));
    let sent = drive(&mut sender, (0..2000u32).map(|i| i * 160), |_, _| {}, |_, _| {});
    assert!(sender.is_idle());
    sent
}

#[test]
fn dialled_digits_are_queued_with_gaps() {
    let sent = dial("123");
    let starts: Vec<u32> = sent.iter().filter(|s| s.packet.marker).map(|s| s.packet.timestamp).collect();
    // 100 ms tones (800) and 50 ms gaps (400).
    assert_eq!(starts, vec![0, 1200, 2400]);
    for (i, &ts) in starts.iter().enumerate() {
        let packets: Vec<_> = sent.iter().filter(|s| s.packet.timestamp == ts).collect();
        assert_eq!(packets[0].packet.payload.event(), Event::from_char(b"123"[i] as char));
        let finals: Vec<_> = packets.iter().filter(|s| s.packet.payload.end()).collect();
        assert_eq!(finals.len(), 3);
        assert!(finals.iter().all(|s| s.packet.payload.duration() == 800));
    }
    // No packet of a digit after the next digit's first.
    let order: Vec<u32> = sent.iter().map(|s| s.packet.timestamp).collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn key_pressed_while_another_is_held_ends_it() {
    let mut sender = DtmfSender::new(SenderConfig::default()).expect("config");
    let sent = drive(
        &mut sender,
        (0..100u32).map(|i| i * 160),
        |t, s| match t {
            0 => s.start(Event::Digit1, 0).expect("start"),
            320 => s.start(Event::Digit2, 320).expect("start"),
            1600 => s.stop(1600),
            _ => {}
        },
        |_, _| {},
    );
    let starts: Vec<u32> = sent.iter().filter(|s| s.packet.marker).map(|s| s.packet.timestamp).collect();
    assert_eq!(starts, vec![0, 1200], "first key lasts its 800 minimum, then the 400 gap");
    let ends: Vec<u16> = sent.iter().filter(|s| s.packet.payload.end()).map(|s| s.packet.payload.duration()).collect();
    assert_eq!(ends, vec![800, 800, 800, 800, 800, 800], "second key held 1600-320 = 1280, minimum 800 from 1200");
}

#[test]
fn bad_dial_strings_and_configs_are_refused() {
    let mut sender = DtmfSender::new(SenderConfig::default()).expect("config");
    assert_eq!(sender.send_digits("12x3", 0), Err(DtmfError::InvalidDigit { ch: 'x' }));
    assert!(sender.is_idle());
    let too_many = "1".repeat(65);
    assert_eq!(sender.send_digits(&too_many, 0), Err(DtmfError::QueueFull { capacity: 64 }));
    let base = SenderConfig::default();
    let refuse = |config: SenderConfig| DtmfSender::new(config).err();
    assert_eq!(refuse(SenderConfig { packet_interval: 0, ..base }), Some(DtmfError::ZeroPacketInterval));
    assert_eq!(refuse(SenderConfig { volume: 64, ..base }), Some(DtmfError::VolumeOutOfRange { volume: 64 }));
    assert_eq!(refuse(SenderConfig { end_transmissions: 0, ..base }), Some(DtmfError::ZeroEndTransmissions));
    assert_eq!(
        refuse(SenderConfig { max_segment_duration: 100, ..base }),
        Some(DtmfError::SegmentShorterThanInterval { max: 100, interval: 160 })
    );
}

#[test]
fn payloads_parse_with_precise_errors() {
    assert_eq!(EventPayload::parse(&[]), Err(DtmfError::EmptyPayload));
    assert_eq!(EventPayload::parse(&[1, 2, 3, 4, 5]).err(), Some(DtmfError::BadPayloadLength { len: 5 }));
    assert_eq!(EventPayload::parse(&[0; 8]).err(), Some(DtmfError::PackedPayload { blocks: 2 }));
    let packed: Vec<_> = EventPayload::parse_packed(&[1, 0x0A, 0, 160, 2, 0x8A, 1, 64]).expect("packed").collect();
    assert_eq!(packed.len(), 2);
    assert_eq!((packed[1].event(), packed[1].end(), packed[1].duration()), (Some(Event::Digit2), true, 320));
    let p = EventPayload::new(11, true, 63, 0xFFFF).expect("payload");
    assert_eq!(p.to_bytes(), [11, 0xBF, 0xFF, 0xFF]);
    assert_eq!(EventPayload::parse(&p.to_bytes()), Ok(p));
    let r = EventPayload::parse(&[3, 0x40 | 7, 0, 1]).expect("R bit");
    assert!(r.reserved() && !r.end() && r.volume() == 7);
    assert_eq!(EventPayload::new(1, false, 64, 1), Err(DtmfError::VolumeOutOfRange { volume: 64 }));

    assert_eq!(TonePayload::parse(&[0; 3]), Err(DtmfError::ToneTruncated { len: 3 }));
    assert_eq!(TonePayload::parse(&[0; 5]), Err(DtmfError::ToneBadLength { len: 5 }));
    assert_eq!(TonePayload::new(&[4096], 0, 1), Err(DtmfError::FrequencyOutOfRange { hz: 4096 }));
    let modulated = TonePayload::new(&[425], 10, 80).and_then(|t| t.with_modulation(50, true)).expect("tone");
    assert_eq!(TonePayload::parse(&modulated.to_bytes()), Ok(modulated));
    assert_eq!(
        TonePayload::new(&[], 0, 1).and_then(|t| t.with_modulation(512, false)),
        Err(DtmfError::ModulationOutOfRange { hz: 512 })
    );

    assert_eq!(red::parse(&[]), Err(DtmfError::RedTruncated));
    assert_eq!(red::parse(&[0x80 | 100, 0, 0]), Err(DtmfError::RedTruncated));
    assert_eq!(red::parse(&[0x80 | 100, 0, 0, 4, 101, 1]), Err(DtmfError::RedBlockOverrun { len: 4 }));
    let one = red::parse(&[101, 9, 9]).expect("primary only");
    assert_eq!(one, vec![RedBlock { payload_type: 101, timestamp_offset: 0, data: &[9, 9] }]);
    let mut out = Vec::new();
    assert_eq!(red::write(&[], &mut out), Err(DtmfError::RedNoBlocks));
    let big = RedBlock { payload_type: 100, timestamp_offset: 0x4000, data: &[] };
    assert_eq!(red::write(&[big, big], &mut out), Err(DtmfError::RedOffsetOutOfRange { offset: 0x4000 }));
}

#[test]
fn receiver_infers_a_lost_first_packet() {
    let sent = one_key(Event::Digit7, 480, 960);
    let events = receive(&mut DtmfReceiver::default(), Instant::now(), &in_order(&sent[1..]));
    assert_eq!(
        events,
        vec![
            DtmfEvent::Begin { event: Event::Digit7, timestamp: 480, volume: 10, marker_seen: false },
            DtmfEvent::End { event: Event::Digit7, timestamp: 480, duration: 960, reason: EndReason::EndBit },
        ]
    );
}

#[test]
fn receiver_times_out_when_every_end_packet_is_lost() {
    let sent = one_key(Event::Star, 0, 960);
    let updates: Vec<_> = sent.iter().filter(|s| !s.packet.payload.end()).collect();
    let mut receiver = DtmfReceiver::new(ReceiverConfig { end_timeout: Duration::from_millis(200) });
    let t0 = Instant::now();
    let mut last_arrival = t0;
    for s in &updates {
        last_arrival = t0 + Duration::from_millis(u64::from(s.at) / 8);
        let p = s.packet;
        receiver.handle_packet(last_arrival, p.timestamp, p.marker, s.seq, &p.payload_bytes()).expect("valid");
    }
    assert!(matches!(receiver.poll_event(), Some(DtmfEvent::Begin { event: Event::Star, .. })));
    assert_eq!(receiver.poll_event(), None);
    let deadline = receiver.poll_timeout().expect("active key");
    assert_eq!(deadline, last_arrival + Duration::from_millis(200));
    receiver.handle_timeout(deadline - Duration::from_millis(1));
    assert_eq!(receiver.poll_event(), None);
    receiver.handle_timeout(deadline);
    assert_eq!(
        receiver.poll_event(),
        Some(DtmfEvent::End { event: Event::Star, timestamp: 0, duration: 800, reason: EndReason::TimedOut })
    );
    assert_eq!(receiver.poll_timeout(), None);
    // A late end packet is not a new key.
    let late = sent.last().expect("packets");
    let p = late.packet;
    receiver.handle_packet(deadline, p.timestamp, p.marker, late.seq, &p.payload_bytes()).expect("valid");
    assert_eq!(receiver.poll_event(), None);
}

#[test]
fn receiver_ends_a_key_when_the_next_arrives_first() {
    let sent = dial("12");
    let packets: Vec<_> = in_order(&sent)
        .into_iter()
        .filter(|(s, _)| !(s.packet.payload.end() && s.packet.payload.event() == Some(Event::Digit1)))
        .collect();
    let events = receive(&mut DtmfReceiver::default(), Instant::now(), &packets);
    assert_eq!(
        events,
        vec![
            DtmfEvent::Begin { event: Event::Digit1, timestamp: 0, volume: 10, marker_seen: true },
            DtmfEvent::End { event: Event::Digit1, timestamp: 0, duration: 640, reason: EndReason::Superseded },
            DtmfEvent::Begin { event: Event::Digit2, timestamp: 1200, volume: 10, marker_seen: true },
            DtmfEvent::End { event: Event::Digit2, timestamp: 1200, duration: 800, reason: EndReason::EndBit },
        ]
    );
}

#[test]
fn receiver_reports_every_key_once_despite_loss_duplication_and_reordering() {
    const KEYS: &str = "0123456789*#ABCD";
    let sent = dial(KEYS);
    for seed in 0..40u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut chance = |percent: u32| rng.next_u32() % 100 < percent;
        let mut channel: Vec<(Sent, u64)> = Vec::new();
        for &s in &sent {
            if chance(15) {
                continue;
            }
            let copies = if chance(10) { 2 } else { 1 };
            for _ in 0..copies {
                channel.push((s, 0));
            }
        }
        // Up to 30 ms of jitter reorders neighbouring 20 ms packets.
        for entry in &mut channel {
            entry.1 = u64::from(rng.next_u32() % 31);
        }
        channel.sort_by_key(|(s, delay)| u64::from(s.at) / 8 + delay);
        let events = receive(&mut DtmfReceiver::default(), Instant::now(), &channel);
        let begins: String = events
            .iter()
            .filter_map(|e| match e {
                DtmfEvent::Begin { event, .. } => Some(event.to_char()),
                DtmfEvent::End { .. } => None,
            })
            .collect();
        assert_eq!(begins, KEYS, "seed {seed}");
        for pair in events.chunks(2) {
            match pair {
                [DtmfEvent::Begin { event: a, timestamp: ta, .. }, DtmfEvent::End { event: b, timestamp: tb, duration, .. }] =>
                {
                    assert_eq!((a, ta), (b, tb), "seed {seed}");
                    assert!((160..=800).contains(duration), "seed {seed}: duration {duration}");
                }
                other => panic!("seed {seed}: unpaired {other:?}"),
            }
        }
    }
}

#[test]
fn receiver_drops_duplicated_sequence_numbers_and_ignores_other_events() {
    let mut receiver = DtmfReceiver::default();
    let now = Instant::now();
    let flash = EventPayload::new(16, false, 0, 160).expect("flash").to_bytes();
    receiver.handle_packet(now, 0, true, 1, &flash).expect("valid");
    let zero = EventPayload::new(1, false, 10, 0).expect("zero").to_bytes();
    receiver.handle_packet(now, 0, true, 2, &zero).expect("valid");
    assert_eq!(receiver.poll_event(), None, "non-DTMF and zero-duration reports are ignored");
    assert_eq!(receiver.handle_packet(now, 0, true, 3, &[1, 2, 3]), Err(DtmfError::BadPayloadLength { len: 3 }));
    let key = EventPayload::new(4, false, 10, 160).expect("key").to_bytes();
    receiver.handle_packet(now, 160, true, 4, &key).expect("valid");
    assert!(matches!(receiver.poll_event(), Some(DtmfEvent::Begin { event: Event::Digit4, .. })));
    assert_eq!(receiver.active(), Some(Event::Digit4));
    let end = EventPayload::new(4, true, 10, 320).expect("end").to_bytes();
    // Same sequence number as the update: a duplicate, dropped.
    receiver.handle_packet(now, 160, false, 4, &end).expect("valid");
    assert_eq!(receiver.poll_event(), None);
    receiver.handle_packet(now, 160, false, 5, &end).expect("valid");
    assert!(matches!(receiver.poll_event(), Some(DtmfEvent::End { duration: 320, reason: EndReason::EndBit, .. })));
}

proptest! {
    #[test]
    fn arbitrary_payloads_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = EventPayload::parse(&bytes);
        if let Ok(blocks) = EventPayload::parse_packed(&bytes) {
            prop_assert_eq!(blocks.len(), bytes.len() / 4);
        }
        let _ = TonePayload::parse(&bytes);
        if let Ok(blocks) = red::parse(&bytes) {
            let total: usize = blocks.iter().map(|b| b.data.len()).sum();
            prop_assert!(total <= bytes.len());
        }
    }

    #[test]
    fn event_payload_round_trips(code: u8, end: bool, volume in 0u8..64, duration: u16) {
        let p = EventPayload::new(code, end, volume, duration).expect("in range");
        prop_assert_eq!(EventPayload::parse(&p.to_bytes()), Ok(p));
    }

    #[test]
    fn receiver_survives_arbitrary_packets(
        packets in proptest::collection::vec(
            (any::<u32>(), any::<bool>(), any::<u16>(), proptest::collection::vec(any::<u8>(), 0..16), 0u64..500),
            0..40,
        )
    ) {
        let mut receiver = DtmfReceiver::default();
        let mut now = Instant::now();
        let mut open = false;
        for (ts, marker, seq, payload, advance_ms) in packets {
            now += Duration::from_millis(advance_ms);
            receiver.handle_timeout(now);
            let _ = receiver.handle_packet(now, ts, marker, seq, &payload);
            while let Some(event) = receiver.poll_event() {
                // Begins and ends alternate.
                match event {
                    DtmfEvent::Begin { .. } => { prop_assert!(!open); open = true; }
                    DtmfEvent::End { .. } => { prop_assert!(open); open = false; }
                }
            }
        }
    }

    #[test]
    fn sender_survives_arbitrary_use(
        actions in proptest::collection::vec((0u8..4, 0u32..2000, any::<u8>()), 0..60)
    ) {
        let mut sender = DtmfSender::new(SenderConfig::default()).expect("config");
        let mut now = u32::MAX - 20_000;
        let mut markers = 0usize;
        let mut events = 0usize;
        for (kind, advance, arg) in actions {
            now = now.wrapping_add(advance);
            match kind {
                0 => events += usize::from(sender.start(Event::ALL[usize::from(arg % 16)], now).is_ok()),
                1 => sender.stop(now),
                2 => { events += sender.send_digits(&"0123456789".repeat(usize::from(arg % 3)), now).unwrap_or(0); }
                _ => {}
            }
            while let Some(p) = sender.poll(now) {
                markers += usize::from(p.marker);
                prop_assert!(p.payload.duration() > 0);
            }
        }
        sender.stop(now);
        for _ in 0..20_000 {
            now = now.wrapping_add(160);
            while let Some(p) = sender.poll(now) {
                markers += usize::from(p.marker);
            }
            if sender.is_idle() { break; }
        }
        prop_assert!(sender.is_idle());
        prop_assert_eq!(markers, events, "one marker per event");
    }
}
