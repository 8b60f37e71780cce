//! Arbitrary input sequences never panic the device, the screen always renders, lamps and soft
//! keys keep their shape, no timer stays due, and the same sequence gives the same outputs.
//!
//! `proptest` is not a dev-dependency of this crate, so the sequences come from seeded ChaCha
//! streams instead: a failure names its seed and is replayed exactly.

mod device_support;

use device_support::Rig;
use phone::core::{CallId, CallInfo, CallState};
use phone::device::{DeviceConfig, DeviceOutput, Forwarding, History, Hook, Input, Key, SpeedDial};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sip::session::EndReason;

const SEEDS: u64 = 300;
const STEPS: usize = 400;

fn pick(rng: &mut ChaCha8Rng, n: u32) -> u32 {
    rng.next_u32() % n
}

fn key(rng: &mut ChaCha8Rng) -> Key {
    let n = pick(rng, 6) as usize;
    match pick(rng, 29) {
        0..=3 => Key::Digit(char::from(b"0123456789*#a"[pick(rng, 13) as usize])),
        4 => Key::Star,
        5 => Key::Pound,
        6 => Key::Line(n),
        7 | 8 => Key::Soft(n),
        9 => Key::Up,
        10 => Key::Down,
        11 => Key::Ok,
        12 => Key::Back,
        13 => Key::VolumeUp,
        14 => Key::VolumeDown,
        15 => Key::Mute,
        16 => Key::Dnd,
        17 => Key::Redial,
        18 => Key::Hold,
        19 => Key::Transfer,
        20 => Key::Conference,
        21 => Key::Messages,
        22 => Key::History,
        23 => Key::Speaker,
        24 => Key::Headset,
        25 => Key::SpeedDial(n),
        26 => Key::Menu,
        _ => Key::Char(char::from(b"0a.#*Z\n 9"[pick(rng, 9) as usize])),
    }
}

fn state(rng: &mut ChaCha8Rng) -> CallState {
    match pick(rng, 12) {
        0 => CallState::Dialing,
        1 => CallState::Ringing { early_media: pick(rng, 2) == 0 },
        2 => CallState::Incoming,
        3 | 4 => CallState::Active,
        5 => CallState::Held,
        6 => CallState::RemoteHold,
        7 => CallState::Ended(EndReason::RemoteHangup),
        8 => CallState::Ended(EndReason::Cancelled),
        9 => CallState::Ended(EndReason::Rejected { status: 486, reason: "Busy Here".to_owned() }),
        10 => CallState::Ended(EndReason::Rejected { status: 404, reason: String::new() }),
        _ => CallState::Ended(EndReason::NoResponse),
    }
}

fn input(rng: &mut ChaCha8Rng, rig: &Rig) -> Option<Input> {
    let account = [0, 0, 1, 2, usize::MAX][pick(rng, 5) as usize];
    Some(match pick(rng, 22) {
        0..=8 => Input::Key(key(rng)),
        9 | 10 => Input::Hook(if pick(rng, 2) == 0 { Hook::OnHook } else { Hook::OffHook }),
        11 | 12 => {
            // A change to a call the core knows, or a call out of nowhere.
            let known = (!rig.calls.is_empty() && pick(rng, 4) != 0)
                .then(|| rig.calls[pick(rng, rig.calls.len() as u32) as usize].clone());
            let mut info = known.unwrap_or(CallInfo {
                id: CallId(1000 + u64::from(pick(rng, 50))),
                account,
                remote: ["\"Bob\" <sip:2002@pbx>", "<sip:@>", "", "garbage <", "<tel:+1555>"][pick(rng, 5) as usize]
                    .to_owned(),
                outgoing: pick(rng, 2) == 0,
                state: CallState::Incoming,
                auto_answer: pick(rng, 4) == 0,
                agent_session: pick(rng, 6) == 0,
            });
            info.state = state(rng);
            Input::Call(info)
        }
        13 => {
            let names = ["Ann", "", "\"Quoted\""];
            let remote = format!("\"{}\" <sip:{}@pbx>", names[pick(rng, 3) as usize], 2000 + pick(rng, 10));
            Input::Call(CallInfo {
                id: CallId(2000 + u64::from(pick(rng, 1000))),
                account,
                remote,
                outgoing: false,
                state: CallState::Incoming,
                auto_answer: pick(rng, 5) == 0,
                agent_session: pick(rng, 6) == 0,
            })
        }
        14 => Input::DialFailed { account, target: ["2002", "0123", ""][pick(rng, 3) as usize].to_owned() },
        15 => Input::Account {
            index: account,
            label: "alice".to_owned(),
            registered: pick(rng, 2) == 0,
            state_text: "x".to_owned(),
        },
        16 => Input::Clock {
            unix_secs: [u64::from(rng.next_u32()), u64::MAX, 1 << 63][pick(rng, 3) as usize],
            utc_offset_secs: [pick(rng, 100_000) as i32 - 50_000, i32::MIN, i32::MAX][pick(rng, 3) as usize],
        },
        17 => Input::MessageWaiting { account, new: pick(rng, 3), old: pick(rng, 3) },
        18 => Input::SetForwarding(Forwarding {
            always: (pick(rng, 4) == 0).then(|| "3000".to_owned()),
            busy: (pick(rng, 2) == 0).then(|| "3001".to_owned()),
            no_answer: (pick(rng, 2) == 0).then(|| "3002".to_owned()),
            no_answer_after: std::time::Duration::from_millis(u64::from(pick(rng, 20_000))),
        }),
        19 => Input::SettingsResult(if pick(rng, 2) == 0 { Ok(()) } else { Err("accounts[0].server: x".to_owned()) }),
        20 => Input::Network {
            addresses: vec![std::net::IpAddr::from([10, 0, 0, 1])],
            mac: None,
            sip_port: pick(rng, 65_536) as u16,
        },
        21 if pick(rng, 2) == 0 => Input::TextMessage {
            from: ["\"Bob\" <sip:2002@pbx>", "", "garbage <"][pick(rng, 3) as usize].to_owned(),
            text: ["hello", "", "line\r\nbreak\u{7}"][pick(rng, 3) as usize].to_owned(),
        },
        _ => return None,
    })
}

fn config(seed: u64) -> DeviceConfig {
    let speed = SpeedDial { label: "x".to_owned(), target: "2000".to_owned(), account: None };
    let mut config = DeviceConfig {
        lines: [vec![0], vec![0, 0], vec![0, 1, 0], vec![]][seed as usize % 4].clone(),
        call_waiting: !seed.is_multiple_of(5),
        reject_status: [486, 603, 0][seed as usize % 3],
        speed_dial: vec![speed],
        history_size: 1 + seed as usize % 7,
        ..DeviceConfig::default()
    };
    if seed.is_multiple_of(2) {
        config.voicemail.insert(0, "*97".to_owned());
    }
    if seed.is_multiple_of(3) {
        // Random keys open the settings menu with a one-digit PIN.
        config.admin_pin = phone::config::Secret::new("0");
        config.direct_ip_dialing = true;
        config.accounts = device_support::config_with_account().accounts;
    }
    config
}

fn run(seed: u64) -> Vec<DeviceOutput> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rig = Rig::with(config(seed), History::default());
    rig.echo = !seed.is_multiple_of(3);
    let lines = rig.device.config().lines.len();
    for step in 0..STEPS {
        match input(&mut rng, &rig) {
            Some(input) => {
                rig.input(input);
            }
            None => {
                rig.advance(u64::from(pick(&mut rng, 8_000)));
            }
        }
        let screen = rig.device.screen().clone();
        let text = screen.render_text();
        assert!(text.lines().count() >= 4 && text.contains(" | "), "seed {seed} step {step}: {text}");
        assert_eq!(rig.device.lamps().len(), lines + 5, "seed {seed} step {step}");
        // Every soft key with a label does something, every blank one nothing: pressing a blank
        // key changes nothing.
        for n in 0..4 {
            if screen.soft_key(n).is_empty() {
                let before = rig.log.len();

                let screen_before = rig.device.screen().clone();
                rig.key(Key::Soft(n));
                assert_eq!(
                    rig.log.len(),
                    before,
                    "seed {seed} step {step}: blank soft key {n} acted: {:?}\n{}",
                    &rig.log[before..],
                    screen_before.render_text()
                );
                assert_eq!(*rig.device.screen(), screen_before);
            }
        }
    }
    rig.advance(120_000);
    let history = rig.device.history();
    assert!(history.len() <= history.capacity());
    let back = History::from_toml(&history.to_toml().unwrap()).unwrap();
    assert_eq!(back.entries(), history.entries(), "seed {seed}");
    rig.log
}

#[test]
fn arbitrary_inputs_never_panic_and_the_screen_always_renders() {
    for seed in 0..SEEDS {
        run(seed);
    }
}

#[test]
fn arbitrary_inputs_give_the_same_outputs_twice() {
    for seed in 0..20 {
        assert_eq!(run(seed), run(seed), "seed {seed}");
    }
}
