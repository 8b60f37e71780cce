//! The deskphone in VICIdial agent mode and with messages: an agent session is answered at once
//! and shown as "Agent session" with its duration; the Hold key mutes it instead of holding it;
//! its unexpected end sounds congestion tone and says so until the agent hangs up. A text
//! message stays on screen until OK or Back. Message waiting lights the lamp, and the Messages
//! key calls the voicemail of the account with new messages.

use media::tones::{Region, Tone};
use phone::core::{CallId, CallInfo, CallState};
use phone::device::{DeviceConfig, DeviceOutput, History, Input, Key, LampKey, LampState, AGENT_SESSION_ENDED};
use sip::session::EndReason;

mod device_support;

use device_support::*;

/// The agent's session call arrives and is answered by the device at once.
fn agent_session(rig: &mut Rig) -> CallId {
    let id = CallId(500);
    let info = CallInfo {
        id,
        account: 0,
        remote: "\"S2611260815228600051\" <sip:0000000000@pbx>".to_owned(),
        outgoing: false,
        state: CallState::Incoming,
        auto_answer: true,
        agent_session: true,
    };
    rig.calls.push(info.clone());
    let out = rig.input(Input::Call(info));
    assert!(actions(&out).contains(&DeviceOutput::Answer(id)), "{out:?}");
    id
}

#[test]
fn the_agent_session_is_answered_and_shown_with_its_duration() {
    let mut rig = Rig::new();
    agent_session(&mut rig);
    assert!(rig.device.screen().shows("Agent session — 00:00"), "{}", rig.screen_text());
    rig.advance(65_000);
    assert!(rig.device.screen().shows("Agent session — 01:05"), "{}", rig.screen_text());
    assert_eq!(rig.lamp(LampKey::Line(0)), LampState::On);
}

#[test]
fn the_hold_key_mutes_an_agent_session_instead_of_holding_it() {
    let mut rig = Rig::new();
    agent_session(&mut rig);
    let out = actions(&rig.key(Key::Hold));
    assert_eq!(out, [DeviceOutput::Mute(true)], "no Hold, so no re-INVITE");
    assert_eq!(rig.lamp(LampKey::Mute), LampState::On);
    assert!(rig.device.screen().shows("Muted"));
    assert!(rig.device.screen().shows("Agent session"));
    assert_eq!(actions(&rig.key(Key::Hold)), [DeviceOutput::Mute(false)]);
    // The hold soft key does the same, and is labelled for what it does.
    assert!(!rig.soft_keys().iter().any(|k| k == "Hold"), "{:?}", rig.soft_keys());
    let mute = rig.soft_keys().iter().position(|k| k == "Mute").expect("a Mute soft key");
    assert_eq!(actions(&rig.key(Key::Soft(mute))), [DeviceOutput::Mute(true)]);
    assert_eq!(rig.soft_keys()[mute], "Unmute");
}

#[test]
fn taking_another_call_mutes_the_agent_session_rather_than_holding_it() {
    let mut rig = Rig::new();
    let session = agent_session(&mut rig);
    let (other, _) = rig.incoming("Bob", "2002");
    let hold = rig.soft_keys().iter().position(|k| k == "Answer").expect("Answer");
    let out = actions(&rig.key(Key::Soft(hold)));
    assert!(out.contains(&DeviceOutput::Answer(other)), "{out:?}");
    assert!(!out.contains(&DeviceOutput::Hold(session)), "{out:?}");
    assert!(out.contains(&DeviceOutput::Mute(true)), "{out:?}");
}

#[test]
fn a_lost_agent_session_sounds_an_alarm_until_the_agent_hangs_up() {
    let mut rig = Rig::new();
    let id = agent_session(&mut rig);
    let out = rig.report(id, CallState::Ended(EndReason::RemoteHangup));
    assert!(actions(&out).contains(&DeviceOutput::PlayTone(Tone::Congestion, Region::Us)), "{out:?}");
    assert!(rig.device.screen().shows(AGENT_SESSION_ENDED), "{}", rig.screen_text());
    // It stays until the agent acts.
    rig.advance(30_000);
    assert!(rig.device.screen().shows(AGENT_SESSION_ENDED));
    let end = rig.soft_keys().iter().position(|k| k == "End").expect("End");
    let out = rig.key(Key::Soft(end));
    assert!(actions(&out).contains(&DeviceOutput::StopTone), "{out:?}");
    assert!(!rig.device.screen().shows(AGENT_SESSION_ENDED));
}

#[test]
fn an_agent_session_the_agent_ends_raises_no_alarm() {
    let mut rig = Rig::new();
    agent_session(&mut rig);
    let end = rig.soft_keys().iter().position(|k| k == "End").expect("End");
    let out = rig.key(Key::Soft(end));
    assert!(!actions(&out).iter().any(|o| matches!(o, DeviceOutput::PlayTone(..))), "{out:?}");
    assert!(!rig.device.screen().shows(AGENT_SESSION_ENDED));
}

#[test]
fn a_text_message_stays_on_screen_until_ok_or_back() {
    let mut rig = Rig::new();
    let from = "\"Front desk\" <sip:2000@pbx>".to_owned();
    rig.input(Input::TextMessage { from: from.clone(), text: "Lunch at\r\n noon".to_owned() });
    assert!(rig.device.screen().shows("Message from Front desk"), "{}", rig.screen_text());
    assert!(rig.device.screen().shows("Lunch at noon"), "{}", rig.screen_text());
    rig.advance(60_000);
    assert!(rig.device.screen().shows("Lunch at noon"), "no timeout");
    rig.key(Key::Ok);
    assert!(!rig.device.screen().shows("Lunch at noon"));
    rig.input(Input::TextMessage { from, text: "again".to_owned() });
    rig.key(Key::Back);
    assert!(!rig.device.screen().shows("again"));
}

#[test]
fn message_waiting_lights_the_lamp_and_the_key_calls_that_accounts_voicemail() {
    let mut config = DeviceConfig { lines: vec![0, 1], ..DeviceConfig::default() };
    config.voicemail.insert(0, "*97".to_owned());
    config.voicemail.insert(1, "8500".to_owned());
    let mut rig = Rig::with(config, History::default());
    assert_eq!(rig.lamp(LampKey::Messages), LampState::Off);
    rig.input(Input::MessageWaiting { account: 1, new: 3, old: 0 });
    assert_eq!(rig.lamp(LampKey::Messages), LampState::On);
    let out = rig.key(Key::Messages);
    assert!(out.contains(&DeviceOutput::Dial { account: 1, target: "8500".to_owned() }), "{out:?}");
    rig.key(Key::Soft(3));
    rig.input(Input::MessageWaiting { account: 1, new: 0, old: 3 });
    assert_eq!(rig.lamp(LampKey::Messages), LampState::Off);
}
