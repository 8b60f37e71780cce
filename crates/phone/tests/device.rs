//! The deskphone model on a virtual clock, with a stand-in core: dial tone and the digit map,
//! ringing and answering, call waiting, DND, redial, history, soft keys, audio paths, mute,
//! transfers, conference, forwarding, and determinism.

mod device_support;

use std::time::Duration;

use device_support::{actions, dials, labels, Rig};
use media::tones::{Region, Ringtone, Tone};
use phone::core::CallState;
use phone::device::{
    AudioPath, DeviceConfig, DeviceOutput, Forwarding, History, HistoryKind, Input, Key, LampKey, LampState, SpeedDial,
    VolumeOf,
};
use sip::session::EndReason;

const DIAL: DeviceOutput = DeviceOutput::PlayTone(Tone::Dial, Region::Us);

#[test]
fn starts_idle_with_screen_and_lamps() {
    let rig = Rig::new();
    assert!(matches!(rig.log.as_slice(), [DeviceOutput::Lamps(_), DeviceOutput::Screen(_)]), "{:?}", rig.log);
    assert_eq!(rig.soft_keys(), labels(["Redial", "History", "DND", "Menu"]));
    assert!(rig.device.screen().shows("Ready"));
    assert_eq!(rig.lamp(LampKey::Line(0)), LampState::Off);
    assert_eq!(rig.device.poll_timeout(), None);
}

#[test]
fn off_hook_gives_dial_tone() {
    let mut rig = Rig::new();
    let out = rig.off_hook();
    assert_eq!(actions(&out), [DeviceOutput::AudioPath(AudioPath::Handset), DIAL]);
    assert!(rig.device.screen().shows("Dial: "));
    assert_eq!(rig.soft_keys(), labels(["", "Delete", "", "Cancel"]));
    assert_eq!(rig.lamp(LampKey::Line(0)), LampState::On);
}

#[test]
fn extension_dials_after_its_fourth_digit_and_tone_stops_at_the_first() {
    let mut rig = Rig::new();
    rig.off_hook();
    let out = rig.keys("2");
    assert_eq!(actions(&out), [DeviceOutput::StopTone]);
    assert!(rig.device.screen().shows("Dial: 2"));
    let out = rig.keys("00");
    assert!(dials(&out).is_empty());
    assert_eq!(rig.soft_keys()[0], "Send");
    let out = rig.keys("2");
    assert_eq!(actions(&out)[0], DeviceOutput::Dial { account: 0, target: "2002".to_owned() });
    assert!(rig.device.screen().shows("Dialing 2002"), "{}", rig.screen_text());
    // Nothing else is dialed later.
    assert!(dials(&rig.advance(10_000)).is_empty());
}

#[test]
fn outside_number_waits_for_the_short_timeout() {
    let mut rig = Rig::new();
    rig.off_hook();
    let out = rig.keys("0123");
    assert!(dials(&out).is_empty());
    // 0[1-9]x. is complete at 0123 but could be longer: the short (2 s) timeout.
    assert_eq!(rig.device.poll_timeout(), Some(rig.now + Duration::from_secs(2)));
    assert!(dials(&rig.advance(1_999)).is_empty());
    assert_eq!(dials(&rig.advance(1)), ["0123"]);
}

#[test]
fn pound_sends_at_once() {
    let mut rig = Rig::new();
    rig.off_hook();
    rig.keys("0123");
    assert_eq!(dials(&rig.keys("#")), ["0123"]);
    // `#` sends an incomplete number too: the user's explicit send.
    let mut rig = Rig::new();
    rig.off_hook();
    assert_eq!(dials(&rig.keys("20#")), ["20"]);
}

#[test]
fn incomplete_number_times_out_with_congestion() {
    let mut rig = Rig::new();
    rig.off_hook();
    rig.keys("20");
    assert_eq!(rig.device.poll_timeout(), Some(rig.now + Duration::from_secs(4)));
    assert!(actions(&rig.advance(3_999)).is_empty());
    let out = rig.advance(1);
    assert!(dials(&out).is_empty());
    assert_eq!(actions(&out), [DeviceOutput::PlayTone(Tone::Congestion, Region::Us)]);
    assert!(rig.device.screen().shows("Incomplete number"));
}

#[test]
fn number_the_map_never_matches_is_refused_at_once() {
    let digit_map = phone::device::DigitMap::parse("[2-9]xxx|0[1-9]x.|911|*xx").unwrap();
    let mut rig = Rig::with(DeviceConfig { digit_map, ..device_support::config_with_account() }, History::default());
    rig.off_hook();
    let out = rig.keys("1");
    assert_eq!(actions(&out), [DeviceOutput::PlayTone(Tone::Congestion, Region::Us)], "replaces the dial tone");
    assert!(rig.device.screen().shows("Invalid number"));
    // Further digits are ignored; Back removes the bad digit and dial tone returns.
    assert!(actions(&rig.keys("99")).is_empty());
    assert_eq!(actions(&rig.key(Key::Back)), [DIAL]);
    // 911 could still become 9112 ([2-9]xxx): it goes after the short timeout.
    assert!(dials(&rig.keys("911")).is_empty());
    assert_eq!(dials(&rig.advance(2_000)), ["911"]);
}

#[test]
fn on_hook_while_collecting_dials_nothing() {
    let mut rig = Rig::new();
    rig.off_hook();
    rig.keys("20");
    let out = rig.on_hook();
    assert_eq!(actions(&out), [DeviceOutput::AudioPath(AudioPath::Off)]);
    assert!(dials(&rig.advance(30_000)).is_empty());
    assert!(dials(&rig.log).is_empty());
    assert_eq!(rig.soft_keys(), labels(["Redial", "History", "DND", "Menu"]));
}

#[test]
fn digits_on_an_idle_phone_dial_hands_free() {
    let mut rig = Rig::new();
    let out = rig.keys("2003");
    assert_eq!(
        actions(&out)[..2],
        [DeviceOutput::AudioPath(AudioPath::Speaker), DeviceOutput::Dial { account: 0, target: "2003".to_owned() }]
    );
    assert!(!out.contains(&DIAL), "no dial tone once a digit is typed");
}

#[test]
fn outgoing_call_ringback_then_connected() {
    let mut rig = Rig::new();
    rig.off_hook();
    rig.keys("2002");
    let call = rig.last_dialed();
    let out = rig.report(call, CallState::Ringing { early_media: false });
    assert_eq!(actions(&out), [DeviceOutput::PlayTone(Tone::Ringback, Region::Us)]);
    assert!(rig.device.screen().shows("Ringing 2002"));
    let out = rig.report(call, CallState::Active);
    assert_eq!(actions(&out), [DeviceOutput::StopTone]);
    assert!(rig.device.screen().shows("2002 — 00:00"), "{}", rig.screen_text());
    assert_eq!(rig.soft_keys(), labels(["Hold", "Transfer", "Conf", "End"]));
    rig.advance(61_000);
    assert!(rig.device.screen().shows("2002 — 01:01"));
    // Keys during the call are DTMF.
    assert_eq!(
        actions(&rig.keys("5#")),
        [DeviceOutput::Dtmf { call, digits: "5".to_owned() }, DeviceOutput::Dtmf { call, digits: "#".to_owned() }]
    );
}

#[test]
fn busy_far_end_plays_busy_until_hung_up() {
    let mut rig = Rig::new();
    rig.off_hook();
    rig.keys("2002");
    let call = rig.last_dialed();
    let busy = EndReason::Rejected { status: 486, reason: "Busy Here".to_owned() };
    let out = rig.report(call, CallState::Ended(busy));
    assert!(actions(&out).contains(&DeviceOutput::PlayTone(Tone::Busy, Region::Us)));
    assert!(rig.device.screen().shows("Busy: 2002"));
    assert_eq!(rig.soft_keys(), labels(["", "", "", "End"]));
    let out = rig.on_hook();
    assert_eq!(actions(&out), [DeviceOutput::AudioPath(AudioPath::Off), DeviceOutput::StopTone]);
    assert_eq!(rig.device.history().entries()[0].kind, HistoryKind::Dialed);
}

#[test]
fn incoming_call_rings_shows_caller_and_blinks() {
    let mut rig = Rig::new();
    let (_, out) = rig.incoming("Bob", "2002");
    assert_eq!(actions(&out), [DeviceOutput::Ring { account: 0, ringtone: Ringtone::Warble }]);
    assert!(rig.device.screen().shows("Incoming: Bob <2002>"), "{}", rig.screen_text());
    assert_eq!(rig.lamp(LampKey::Line(0)), LampState::FastBlink);
    assert_eq!(rig.soft_keys(), labels(["Answer", "Reject", "", ""]));
}

#[test]
fn rings_with_the_account_ringtone() {
    let mut config = DeviceConfig { lines: vec![0, 1], ..DeviceConfig::default() };
    config.ringtones.insert(1, Ringtone::Bell);
    let mut rig = Rig::with(config, History::default());
    let (_, out) = rig.incoming_on(1, "Carol", "3003");
    assert_eq!(actions(&out), [DeviceOutput::Ring { account: 1, ringtone: Ringtone::Bell }]);
    assert_eq!(rig.lamp(LampKey::Line(1)), LampState::FastBlink, "the account's own line");
}

#[test]
fn off_hook_answers_and_on_hook_hangs_up() {
    let mut rig = Rig::new();
    let (call, _) = rig.incoming("Bob", "2002");
    let out = rig.off_hook();
    assert_eq!(
        actions(&out),
        [DeviceOutput::Answer(call), DeviceOutput::AudioPath(AudioPath::Handset), DeviceOutput::StopRing]
    );
    assert!(rig.device.screen().shows("Bob <2002> — 00:00"));
    assert_eq!(rig.lamp(LampKey::Line(0)), LampState::On);
    rig.advance(42_000);
    assert!(rig.device.screen().shows("Bob <2002> — 00:42"));
    let out = rig.on_hook();
    assert_eq!(actions(&out), [DeviceOutput::Hangup(call), DeviceOutput::AudioPath(AudioPath::Off)]);
    let entry = &rig.device.history().entries()[0];
    assert_eq!((entry.kind, entry.duration_secs, entry.name.as_str()), (HistoryKind::Received, 42, "Bob"));
    assert_eq!(rig.lamp(LampKey::Line(0)), LampState::Off);
}

#[test]
fn line_key_and_soft_key_answer_on_the_speaker() {
    let mut rig = Rig::new();
    let (call, _) = rig.incoming("Bob", "2002");
    let out = rig.key(Key::Line(0));
    assert_eq!(actions(&out)[..2], [DeviceOutput::Answer(call), DeviceOutput::AudioPath(AudioPath::Speaker)]);
    let mut rig = Rig::new();
    let (call, _) = rig.incoming("Bob", "2002");
    assert_eq!(actions(&rig.key(Key::Soft(0)))[0], DeviceOutput::Answer(call));
}

#[test]
fn second_call_while_connected_gets_call_waiting_tone_and_answer_holds_the_first() {
    let mut rig = Rig::new();
    let first = rig.connected_call();
    let (second, out) = rig.incoming("Carol", "2003");
    assert_eq!(actions(&out), [DeviceOutput::PlayTone(Tone::CallWaiting, Region::Us)]);
    assert!(!out.iter().any(|o| matches!(o, DeviceOutput::Ring { .. })));
    assert_eq!(rig.lamp(LampKey::Line(1)), LampState::FastBlink);
    assert!(rig.device.screen().shows("L2 Incoming: Carol <2003>"), "{}", rig.screen_text());
    assert_eq!(rig.soft_keys(), labels(["Answer", "Reject", "Hold", "End"]));
    let out = rig.key(Key::Soft(0));
    assert_eq!(actions(&out), [DeviceOutput::Hold(first), DeviceOutput::Answer(second), DeviceOutput::StopTone]);
    assert_eq!(rig.lamp(LampKey::Line(0)), LampState::SlowBlink);
    assert_eq!(rig.lamp(LampKey::Line(1)), LampState::On);
    assert!(rig.device.screen().shows("Carol <2003> — 00:00"));
    assert!(rig.device.screen().shows("L1 Held: Bob <2002>"));
    // Swap with the line keys.
    assert_eq!(actions(&rig.key(Key::Line(0))), [DeviceOutput::Hold(second), DeviceOutput::Resume(first)]);
    assert_eq!(actions(&rig.key(Key::Line(1))), [DeviceOutput::Hold(first), DeviceOutput::Resume(second)]);
    // Hanging up the talking call leaves the other held; the handset stays with it.
    let out = rig.on_hook();
    assert_eq!(actions(&out), [DeviceOutput::Hangup(second), DeviceOutput::AudioPath(AudioPath::Off)]);
    assert_eq!(rig.lamp(LampKey::Line(0)), LampState::SlowBlink);
    assert_eq!(rig.soft_keys(), labels(["Resume", "New Call", "Transfer", "End"]));
}

#[test]
fn waiting_call_rings_once_the_current_call_ends() {
    let mut rig = Rig::new();
    let first = rig.connected_call();
    rig.incoming("Carol", "2003");
    let out = rig.report(first, CallState::Ended(EndReason::RemoteHangup));
    assert_eq!(actions(&out), [DeviceOutput::Ring { account: 0, ringtone: Ringtone::Warble }, DeviceOutput::StopTone]);
    assert!(rig.device.screen().shows("Incoming: Carol <2003>"));
}

#[test]
fn dnd_rejects_with_486() {
    let mut rig = Rig::new();
    rig.key(Key::Dnd);
    assert!(rig.device.screen().status.dnd);
    assert_eq!(rig.lamp(LampKey::Dnd), LampState::On);
    let (call, out) = rig.incoming("Bob", "2002");
    assert_eq!(actions(&out), [DeviceOutput::Reject { call, status: 486 }]);
    assert_eq!(rig.device.history().entries()[0].kind, HistoryKind::Missed);
    assert!(rig.device.screen().shows("1 missed call"));
    assert_eq!(rig.lamp(LampKey::Line(0)), LampState::Off);
}

#[test]
fn dnd_rejects_with_603_when_configured() {
    let config = DeviceConfig { reject_status: 603, dnd: true, ..DeviceConfig::default() };
    let mut rig = Rig::with(config, History::default());
    let (call, out) = rig.incoming("Bob", "2002");
    assert_eq!(actions(&out), [DeviceOutput::Reject { call, status: 603 }]);
}

#[test]
fn reject_soft_key_refuses_the_ringing_call() {
    let mut rig = Rig::new();
    let (call, _) = rig.incoming("Bob", "2002");
    let out = rig.key(Key::Soft(1));
    assert_eq!(actions(&out), [DeviceOutput::Reject { call, status: 486 }, DeviceOutput::StopRing]);
}

#[test]
fn redial_calls_the_last_number_again() {
    let mut rig = Rig::new();
    assert!(dials(&rig.key(Key::Redial)).is_empty());
    assert!(rig.device.screen().shows("No number to redial"));
    rig.off_hook();
    rig.keys("2002");
    rig.on_hook();
    let out = rig.key(Key::Redial);
    assert_eq!(
        actions(&out)[..2],
        [DeviceOutput::Dial { account: 0, target: "2002".to_owned() }, DeviceOutput::AudioPath(AudioPath::Speaker)]
    );
    // From the idle soft key too, and after a restart from the saved history.
    rig.key(Key::Speaker);
    let saved = History::from_toml(&rig.device.history().to_toml().unwrap()).unwrap();
    let mut rig = Rig::with(DeviceConfig::default(), saved);
    assert_eq!(dials(&rig.key(Key::Soft(0))), ["2002"]);
}

#[test]
fn history_records_missed_received_and_dialed() {
    let mut rig = Rig::new();
    rig.input(Input::Clock { unix_secs: 1_700_000_000, utc_offset_secs: 3600 });
    let (missed, _) = rig.incoming("Ann", "2001");
    rig.report(missed, CallState::Ended(EndReason::Cancelled));
    let received = rig.connected_call();
    rig.advance(5_000);
    rig.report(received, CallState::Ended(EndReason::RemoteHangup));
    rig.on_hook();
    rig.off_hook();
    rig.keys("2003");
    rig.report(rig.last_dialed(), CallState::Active);
    rig.advance(7_000);
    rig.on_hook();
    let entries = rig.device.history().entries();
    let kinds: Vec<HistoryKind> = entries.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [HistoryKind::Missed, HistoryKind::Received, HistoryKind::Dialed]);
    assert_eq!(entries[0].time, 1_700_000_000);
    assert_eq!((entries[0].number.as_str(), entries[0].target.as_str()), ("2001", "sip:2001@pbx"));
    assert_eq!((entries[1].duration_secs, entries[2].duration_secs), (5, 7));
    assert_eq!(entries[2].target, "2003");
    assert!(rig.log.contains(&DeviceOutput::HistoryChanged));
    // The history view, newest first; OK calls back.
    assert!(rig.device.screen().shows("1 missed call"));
    rig.key(Key::History);
    assert!(!rig.device.screen().shows("missed call"));
    assert!(rig.device.screen().shows("> Dialed 2003 23:13"), "{}", rig.screen_text());
    assert_eq!(rig.soft_keys(), labels(["Dial", "", "", "Back"]));
    rig.key(Key::Down);
    rig.key(Key::Down);
    assert!(rig.device.screen().shows("> Missed Ann <2001>"));
    assert_eq!(dials(&rig.key(Key::Ok)), ["sip:2001@pbx"]);
}

#[test]
fn history_is_bounded_and_round_trips_through_toml() {
    let config = DeviceConfig { history_size: 3, ..DeviceConfig::default() };
    let mut rig = Rig::with(config, History::default());
    for n in 0..5 {
        let (call, _) = rig.incoming("", &format!("200{n}"));
        rig.report(call, CallState::Ended(EndReason::Cancelled));
    }
    let history = rig.device.history();
    let numbers: Vec<&str> = history.entries().iter().map(|e| e.number.as_str()).collect();
    assert_eq!(numbers, ["2002", "2003", "2004"]);
    let text = history.to_toml().unwrap();
    assert!(text.contains("[[call]]") && text.contains("kind = \"missed\""), "{text}");
    let back = History::from_toml(&text).unwrap();
    assert_eq!(back.entries(), history.entries());
    assert!(History::from_toml("call = 3").is_err());
}

#[test]
fn soft_key_labels_follow_the_context() {
    let mut rig = Rig::new();
    assert_eq!(rig.soft_keys(), labels(["Redial", "History", "DND", "Menu"]));
    let (call, _) = rig.incoming("Bob", "2002");
    assert_eq!(rig.soft_keys(), labels(["Answer", "Reject", "", ""]));
    rig.key(Key::Soft(0));
    assert_eq!(rig.soft_keys(), labels(["Hold", "Transfer", "Conf", "End"]));
    rig.key(Key::Soft(0));
    assert_eq!(rig.soft_keys(), labels(["Resume", "New Call", "Transfer", "End"]));
    assert!(rig.device.screen().shows("Held: Bob <2002>"));
    rig.key(Key::Soft(0));
    assert_eq!(rig.soft_keys(), labels(["Hold", "Transfer", "Conf", "End"]));
    assert_eq!(actions(&rig.key(Key::Soft(3)))[0], DeviceOutput::Hangup(call));
    assert_eq!(rig.soft_keys(), labels(["Redial", "History", "DND", "Menu"]));
    rig.key(Key::Soft(3));
    assert_eq!(rig.soft_keys(), labels(["Select", "", "", "Back"]));
    assert!(rig.device.screen().shows("> Do not disturb: off"));
    rig.key(Key::Soft(0));
    assert!(rig.device.dnd());
    rig.key(Key::Soft(3));
    assert_eq!(rig.soft_keys(), labels(["Redial", "History", "DND", "Menu"]));
}

#[test]
fn speaker_and_headset_switch_mid_call() {
    let mut rig = Rig::new();
    let call = rig.connected_call();
    assert_eq!(rig.device.audio_path(), AudioPath::Handset);
    assert_eq!(actions(&rig.key(Key::Speaker)), [DeviceOutput::AudioPath(AudioPath::Speaker)]);
    assert_eq!(rig.lamp(LampKey::Speaker), LampState::On);
    // Putting the handset down now does not end the call.
    assert!(actions(&rig.on_hook()).is_empty());
    assert_eq!(actions(&rig.key(Key::Headset)), [DeviceOutput::AudioPath(AudioPath::Headset)]);
    assert_eq!((rig.lamp(LampKey::Speaker), rig.lamp(LampKey::Headset)), (LampState::Off, LampState::On));
    // Lifting the handset takes the call to it.
    assert_eq!(actions(&rig.off_hook()), [DeviceOutput::AudioPath(AudioPath::Handset)]);
    rig.key(Key::Headset);
    // The headset key again, handset in the cradle: the call ends.
    rig.on_hook();
    assert!(rig.log.iter().all(|o| *o != DeviceOutput::Hangup(call)));
    let out = rig.key(Key::Headset);
    assert_eq!(actions(&out), [DeviceOutput::Hangup(call), DeviceOutput::AudioPath(AudioPath::Off)]);
}

#[test]
fn speaker_key_gives_dial_tone_hands_free() {
    let mut rig = Rig::new();
    let out = rig.key(Key::Speaker);
    assert_eq!(actions(&out), [DeviceOutput::AudioPath(AudioPath::Speaker), DIAL]);
    let out = rig.key(Key::Speaker);
    assert_eq!(actions(&out), [DeviceOutput::AudioPath(AudioPath::Off), DeviceOutput::StopTone]);
}

#[test]
fn mute_toggles_during_a_call_only() {
    let mut rig = Rig::new();
    assert!(actions(&rig.key(Key::Mute)).is_empty());
    let call = rig.connected_call();
    assert_eq!(actions(&rig.key(Key::Mute)), [DeviceOutput::Mute(true)]);
    assert_eq!(rig.lamp(LampKey::Mute), LampState::On);
    assert!(rig.device.screen().shows("Muted"));
    assert_eq!(actions(&rig.key(Key::Mute)), [DeviceOutput::Mute(false)]);
    rig.key(Key::Mute);
    let out = rig.report(call, CallState::Ended(EndReason::RemoteHangup));
    assert!(actions(&out).contains(&DeviceOutput::Mute(false)), "a new call starts unmuted");
}

#[test]
fn volume_keys_set_the_volume_in_use() {
    let mut rig = Rig::new();
    assert_eq!(actions(&rig.key(Key::VolumeUp)), [DeviceOutput::Volume { of: VolumeOf::Ringer, level: 6 }]);
    rig.connected_call();
    assert_eq!(actions(&rig.key(Key::VolumeDown)), [DeviceOutput::Volume { of: VolumeOf::Handset, level: 4 }]);
    assert!(rig.device.screen().shows("Handset volume 4/10"));
    rig.advance(3_000);
    assert!(!rig.device.screen().shows("volume"), "the notice goes");
    for _ in 0..20 {
        rig.key(Key::VolumeUp);
    }
    assert_eq!(rig.device.volume(VolumeOf::Handset), 10);
}

#[test]
fn blind_transfer_collects_the_target_then_refers() {
    let mut rig = Rig::new();
    let call = rig.connected_call();
    let out = rig.key(Key::Transfer);
    assert_eq!(actions(&out), [DeviceOutput::Hold(call), DIAL]);
    assert!(rig.device.screen().shows("Transfer Bob <2002> to: "), "{}", rig.screen_text());
    assert_eq!(rig.soft_keys(), labels(["", "Delete", "Consult", "Cancel"]));
    let out = rig.keys("2003");
    assert!(actions(&out).contains(&DeviceOutput::Transfer { call, target: "2003".to_owned() }), "{out:?}");
    assert!(dials(&out).is_empty());
    assert!(rig.device.screen().shows("Transferring Bob <2002> to 2003"));
    // The core ends the call once the far end reports the new call up.
    rig.report(call, CallState::Ended(EndReason::LocalHangup));
    rig.on_hook();
    assert_eq!(rig.soft_keys(), labels(["Redial", "History", "DND", "Menu"]));
}

#[test]
fn cancelled_transfer_resumes_the_call() {
    let mut rig = Rig::new();
    let call = rig.connected_call();
    rig.key(Key::Transfer);
    rig.keys("20");
    let out = rig.key(Key::Soft(3));
    assert_eq!(actions(&out)[0], DeviceOutput::Resume(call));
    assert!(rig.device.screen().shows("Bob <2002> — "));
}

#[test]
fn attended_transfer_consults_then_refers_with_replaces() {
    let mut rig = Rig::new();
    let call = rig.connected_call();
    rig.key(Key::Transfer);
    rig.key(Key::Soft(2));
    assert_eq!(rig.soft_keys(), labels(["", "Delete", "Blind", "Cancel"]));
    assert_eq!(dials(&rig.keys("2003")), ["2003"]);
    let consult = rig.last_dialed();
    rig.report(consult, CallState::Ringing { early_media: false });
    assert_eq!(rig.soft_keys(), labels(["Transfer", "", "", "End"]));
    rig.report(consult, CallState::Active);
    assert!(rig.device.screen().shows("2003 — 00:00"));
    assert!(rig.device.screen().shows("L1 Held: Bob <2002>"));
    let out = rig.key(Key::Transfer);
    assert_eq!(actions(&out), [DeviceOutput::AttendedTransfer { call, consult }]);
    assert!(rig.device.screen().shows("Transferring Bob <2002> to 2003"));
}

#[test]
fn transfer_while_the_consulted_party_rings_goes_blind() {
    let mut rig = Rig::new();
    let call = rig.connected_call();
    rig.key(Key::Hold);
    rig.key(Key::Soft(1));
    rig.keys("2003");
    let consult = rig.last_dialed();
    rig.report(consult, CallState::Ringing { early_media: false });
    let out = rig.key(Key::Transfer);
    assert_eq!(
        actions(&out)[..2],
        [DeviceOutput::Hangup(consult), DeviceOutput::Transfer { call, target: "2003".to_owned() }]
    );
}

#[test]
fn three_way_conference() {
    let mut rig = Rig::new();
    let first = rig.connected_call();
    let out = rig.key(Key::Conference);
    assert_eq!(actions(&out), [DeviceOutput::Hold(first), DIAL]);
    assert!(rig.device.screen().shows("Add to call with Bob <2002>: "));
    rig.keys("2003");
    let second = rig.last_dialed();
    rig.report(second, CallState::Active);
    let out = rig.key(Key::Conference);
    assert_eq!(actions(&out), [DeviceOutput::Resume(first), DeviceOutput::Conference { calls: vec![first, second] }]);
    assert!(rig.device.screen().shows("Conference — 00:00"), "{}", rig.screen_text());
    assert_eq!(rig.soft_keys(), labels(["Hold", "Split", "", "End"]));
    assert_eq!((rig.lamp(LampKey::Line(0)), rig.lamp(LampKey::Line(1))), (LampState::On, LampState::On));
    // One party leaves: the other stays connected, unmixed.
    let out = rig.report(first, CallState::Ended(EndReason::RemoteHangup));
    assert!(actions(&out).contains(&DeviceOutput::Conference { calls: vec![] }));
    assert!(rig.device.screen().shows("2003 — "));
    assert_eq!(rig.soft_keys(), labels(["Hold", "Transfer", "Conf", "End"]));
}

#[test]
fn conference_ends_with_the_hook() {
    let mut rig = Rig::new();
    let first = rig.connected_call();
    rig.key(Key::Conference);
    rig.keys("2003");
    let second = rig.last_dialed();
    rig.report(second, CallState::Active);
    rig.key(Key::Conference);
    let out = rig.on_hook();
    assert_eq!(
        actions(&out)[..3],
        [DeviceOutput::Conference { calls: vec![] }, DeviceOutput::Hangup(first), DeviceOutput::Hangup(second)]
    );
}

#[test]
fn speed_dial_keys_call_their_target() {
    let speed = SpeedDial { label: "Reception".to_owned(), target: "2000".to_owned(), account: Some(1) };
    let config = DeviceConfig { speed_dial: vec![speed], lines: vec![0, 1], ..DeviceConfig::default() };
    let mut rig = Rig::with(config, History::default());
    assert!(actions(&rig.key(Key::SpeedDial(5))).is_empty());
    assert_eq!(actions(&rig.key(Key::SpeedDial(0)))[0], DeviceOutput::Dial { account: 1, target: "2000".to_owned() });
    assert_eq!(rig.lamp(LampKey::Line(1)), LampState::On, "on the account's line");
}

#[test]
fn forwarding_always_busy_and_on_no_answer() {
    let always = Forwarding { always: Some("3000".to_owned()), ..Forwarding::default() };
    let mut rig = Rig::with(DeviceConfig { forwarding: always, ..DeviceConfig::default() }, History::default());
    assert!(rig.device.screen().status.forward);
    let (call, out) = rig.incoming("Bob", "2002");
    assert_eq!(actions(&out), [DeviceOutput::Forward { call, target: "3000".to_owned() }]);

    let busy = Forwarding { busy: Some("3001".to_owned()), ..Forwarding::default() };
    let config = DeviceConfig { forwarding: busy, call_waiting: false, ..DeviceConfig::default() };
    let mut rig = Rig::with(config, History::default());
    rig.connected_call();
    let (call, out) = rig.incoming("Carol", "2003");
    assert_eq!(actions(&out), [DeviceOutput::Forward { call, target: "3001".to_owned() }]);

    let mut rig = Rig::new();
    let no_answer = Forwarding {
        no_answer: Some("3002".to_owned()),
        no_answer_after: Duration::from_secs(10),
        ..Forwarding::default()
    };
    rig.input(Input::SetForwarding(no_answer));
    let (call, _) = rig.incoming("Dan", "2004");
    assert!(actions(&rig.advance(9_999)).is_empty());
    let out = rig.advance(1);
    assert_eq!(actions(&out), [DeviceOutput::Forward { call, target: "3002".to_owned() }, DeviceOutput::StopRing]);
}

#[test]
fn a_call_with_no_free_line_is_busy() {
    let config = DeviceConfig { lines: vec![0], ..DeviceConfig::default() };
    let mut rig = Rig::with(config, History::default());
    rig.connected_call();
    let (call, out) = rig.incoming("Carol", "2003");
    assert_eq!(actions(&out), [DeviceOutput::Reject { call, status: 486 }]);
}

#[test]
fn status_bar_shows_account_clock_and_messages() {
    let mut rig = Rig::new();
    rig.input(Input::Account {
        index: 0,
        label: "alice".to_owned(),
        registered: false,
        state_text: "failed".to_owned(),
    });
    assert!(rig.device.screen().shows("Not registered: failed"));
    rig.input(Input::Account { index: 0, label: "alice".to_owned(), registered: true, state_text: "ok".to_owned() });
    // 10:42:30 local.
    rig.input(Input::Clock {
        unix_secs: 1_700_000_000 - 22 * 3600 - 13 * 60 - 20 + 10 * 3600 + 42 * 60 + 30,
        utc_offset_secs: 0,
    });
    rig.input(Input::MessageWaiting { account: 0, new: 2, old: 1 });
    let text = rig.screen_text();
    assert!(text.starts_with("alice (registered) | 10:42 | MSG 2\n"), "{text}");
    assert_eq!(rig.lamp(LampKey::Messages), LampState::On);
    rig.advance(29_000);
    assert_eq!(rig.device.screen().status.time, "10:42");
    rig.advance(1_000);
    assert_eq!(rig.device.screen().status.time, "10:43");
    // Messages waiting: stutter dial tone; the Messages key shows the counts.
    assert!(rig.off_hook().contains(&DeviceOutput::PlayTone(Tone::StutterDial, Region::Us)));
    rig.on_hook();
    rig.key(Key::Messages);
    assert!(rig.device.screen().shows("alice: 2 new, 1 old"));
}

#[test]
fn messages_key_calls_voicemail_when_configured() {
    let mut config = DeviceConfig::default();
    config.voicemail.insert(0, "*97".to_owned());
    let mut rig = Rig::with(config, History::default());
    assert_eq!(dials(&rig.key(Key::Messages)), ["*97"]);
}

#[test]
fn dial_refused_by_the_core_shows_failure() {
    let mut rig = Rig::new();
    rig.echo = false;
    rig.off_hook();
    rig.keys("2002");
    let out = rig.input(Input::DialFailed { account: 0, target: "2002".to_owned() });
    assert!(actions(&out).contains(&DeviceOutput::PlayTone(Tone::Congestion, Region::Us)));
    assert!(rig.device.screen().shows("Call failed: 2002"));
    // Without a report, the line gives up after DIAL_TIMEOUT.
    let mut rig = Rig::new();
    rig.echo = false;
    rig.off_hook();
    rig.keys("2002");
    rig.advance(5_000);
    assert!(rig.device.screen().shows("Call failed: 2002"));
}

#[test]
fn late_report_of_a_dropped_dial_is_hung_up() {
    let mut rig = Rig::new();
    rig.echo = false;
    rig.off_hook();
    rig.keys("2002");
    rig.on_hook();
    let info = phone::core::CallInfo {
        id: phone::core::CallId(77),
        account: 0,
        remote: "<sip:2002@pbx>".to_owned(),
        outgoing: true,
        state: CallState::Dialing,
        auto_answer: false,
        agent_session: false,
    };
    let out = rig.input(Input::Call(info));
    assert_eq!(actions(&out), [DeviceOutput::Hangup(phone::core::CallId(77))]);
    assert_eq!(rig.lamp(LampKey::Line(0)), LampState::Off);
}

#[test]
fn every_output_sequence_is_deterministic() {
    fn script() -> Vec<DeviceOutput> {
        let mut rig = Rig::new();
        rig.input(Input::Clock { unix_secs: 1_700_000_000, utc_offset_secs: 0 });
        let first = rig.connected_call();
        rig.advance(3_500);
        rig.incoming("Carol", "2003");
        rig.key(Key::Soft(0));
        rig.key(Key::Line(0));
        rig.key(Key::Conference);
        rig.key(Key::Transfer);
        rig.keys("0123");
        rig.advance(10_000);
        rig.report(first, CallState::Ended(EndReason::RemoteHangup));
        rig.key(Key::Speaker);
        rig.key(Key::Redial);
        rig.advance(1_000);
        rig.on_hook();
        rig.key(Key::History);
        rig.key(Key::Ok);
        rig.log
    }
    let first = script();
    assert!(first.len() > 30);
    assert_eq!(first, script());
}
