//! The settings menu and the first-boot state of the deskphone model, on a virtual clock: keys
//! and network events in, device outputs and screens out. The admin PIN and its lockout, the
//! pages, text entry by multi-tap and by keyboard, saving (the configuration layer the device
//! emits, the edge's answer), cancelling, the first-boot screen and direct IP dialing. Screens
//! are compared with insta snapshots (`tests/snapshots/`).

mod device_support;

use std::net::IpAddr;
use std::time::Duration;

use device_support::{actions, config_with_account, dials, Rig};
use phone::config::Transport;
use phone::device::{
    AccountSummary, DeviceConfig, DeviceOutput, History, Input, Key, VolumeOf, DIRECT, LOCKOUT, MULTITAP_TIMEOUT,
};

/// A phone fresh out of the box: no account, direct IP dialing on, its address known.
fn first_boot() -> Rig {
    let mut rig = Rig::with(DeviceConfig { direct_ip_dialing: true, ..DeviceConfig::default() }, History::default());
    rig.input(network());
    rig
}

fn network() -> Input {
    let addresses: Vec<IpAddr> = vec!["192.168.1.5".parse().unwrap(), "fd00::5".parse().unwrap()];
    Input::Network { addresses, mac: Some("52:54:00:12:34:56".to_owned()), sip_port: 5060 }
}

/// Types `text` on a full keyboard.
fn type_text(rig: &mut Rig, text: &str) -> Vec<DeviceOutput> {
    let mut out = Vec::new();
    for c in text.chars() {
        out.extend(rig.key(Key::Char(c)));
    }
    out
}

/// Opens the settings with the right PIN.
fn open_settings(rig: &mut Rig) {
    rig.key(Key::Menu);
    rig.keys("0000");
    rig.key(Key::Ok);
    assert!(rig.device.screen().shows("> Account"), "{}", rig.screen_text());
}

fn saved_layers(outputs: &[DeviceOutput]) -> Vec<toml::Table> {
    outputs
        .iter()
        .filter_map(|o| match o {
            DeviceOutput::SaveSettings(layer) => Some(layer.clone()),
            _ => None,
        })
        .collect()
}

fn layer(text: &str) -> toml::Table {
    text.parse().expect("a TOML table")
}

#[test]
fn first_boot_screen_says_how_to_add_an_account_and_where_to_call() {
    let rig = first_boot();
    insta::assert_snapshot!("first_boot", rig.screen_text());
    assert_eq!(rig.device.screen().soft_keys[3], "Menu");
}

#[test]
fn an_ip_address_typed_with_stars_is_called_directly() {
    let mut rig = first_boot();
    rig.keys("192*168*1*10");
    assert!(rig.device.screen().shows("Dial: 192.168.1.10"), "{}", rig.screen_text());
    // Never sent by the short timeout: 10 could become 100.
    assert!(dials(&rig.advance(2_500)).is_empty());
    let out = rig.keys("#");
    assert!(out.contains(&DeviceOutput::Dial { account: DIRECT, target: "sip:192.168.1.10".to_owned() }), "{out:?}");
    assert!(rig.device.screen().shows("Dialing sip:192.168.1.10"), "{}", rig.screen_text());
    // A keyboard types the dots; a fifth group is the port.
    let mut rig = first_boot();
    type_text(&mut rig, "127.0.0.1.5062");
    assert!(rig.device.screen().shows("Dial: 127.0.0.1:5062"), "{}", rig.screen_text());
    assert_eq!(dials(&rig.key(Key::Ok)), ["sip:127.0.0.1:5062"]);
    // A whole address is dialed by the long inter-digit timeout too.
    let mut rig = first_boot();
    rig.keys("10*0*0*7");
    assert_eq!(dials(&rig.advance(4_000)), ["sip:10.0.0.7"]);
}

#[test]
fn the_pin_is_asked_masked_and_three_wrong_ones_lock_the_menu() {
    let mut rig = Rig::new();
    rig.key(Key::Menu);
    assert!(rig.device.screen().text_entry);
    rig.keys("12");
    insta::assert_snapshot!("pin_entry", rig.screen_text());
    rig.key(Key::Ok);
    assert!(rig.device.screen().shows("Wrong PIN (1 of 3)"), "{}", rig.screen_text());
    for _ in 0..2 {
        rig.keys("9999");
        rig.key(Key::Pound);
    }
    insta::assert_snapshot!("locked", rig.screen_text());
    // Closed and opened again: still locked, the right PIN is not even asked.
    rig.key(Key::Back);
    rig.key(Key::Menu);
    rig.keys("0000");
    assert!(rig.device.screen().shows("Settings locked"), "{}", rig.screen_text());
    rig.advance(30_000);
    assert!(rig.device.screen().shows("try again in 30 s"), "{}", rig.screen_text());
    rig.advance(LOCKOUT.as_millis() as u64 - 30_000);
    assert!(rig.device.screen().shows("PIN: _"), "{}", rig.screen_text());
    rig.keys("0000");
    rig.key(Key::Ok);
    assert!(rig.device.screen().shows("> Account"), "{}", rig.screen_text());
}

#[test]
fn the_pages_are_lists_moved_through_with_up_down_ok_and_back() {
    let mut rig = Rig::new();
    rig.input(network());
    rig.input(Input::Account { index: 0, label: "alice".into(), registered: true, state_text: "registered".into() });
    open_settings(&mut rig);
    insta::assert_snapshot!("main", rig.screen_text());
    rig.key(Key::Down);
    rig.key(Key::Ok);
    insta::assert_snapshot!("network", rig.screen_text());
    rig.key(Key::Back);
    assert!(rig.device.screen().shows("> Network"));
    rig.key(Key::Up);
    rig.key(Key::Up);
    rig.key(Key::Ok);
    assert!(rig.device.screen().shows("Settings > Status"), "{}", rig.screen_text());
    assert!(rig.device.screen().shows("alice: registered"));
    assert!(rig.device.screen().shows(&format!("Version {}", env!("CARGO_PKG_VERSION"))));
    rig.key(Key::Back);
    rig.key(Key::Back);
    assert!(rig.device.screen().shows("Ready"), "Back from the main page is the idle screen");
    // The PIN is asked again.
    rig.key(Key::Menu);
    assert!(rig.device.screen().shows("PIN: _"));
}

#[test]
fn a_first_account_is_typed_by_multitap_and_saved_as_a_layer() {
    let mut rig = first_boot();
    open_settings(&mut rig);
    rig.key(Key::Ok);
    assert!(rig.device.screen().shows("> Add account"), "{}", rig.screen_text());
    rig.key(Key::Ok);
    insta::assert_snapshot!("new_account", rig.screen_text());
    // Label "Desk" by multi-tap: 3 (d), 33 (e), 7777 (s), 55 (k); * for upper case first.
    rig.key(Key::Ok);
    rig.key(Key::Star);
    rig.keys("3");
    rig.key(Key::Star);
    rig.key(Key::Star);
    rig.keys("33");
    rig.advance(MULTITAP_TIMEOUT.as_millis() as u64);
    rig.keys("7777");
    rig.keys("55");
    insta::assert_snapshot!("label_editor", rig.screen_text());
    rig.key(Key::Ok);
    assert!(rig.device.screen().shows("> Label: Desk"), "{}", rig.screen_text());
    // Server by keyboard.
    rig.key(Key::Down);
    rig.key(Key::Ok);
    type_text(&mut rig, "pbx.example.com");
    rig.key(Key::Ok);
    // Port: digits only.
    rig.key(Key::Down);
    rig.key(Key::Ok);
    type_text(&mut rig, "50x60");
    rig.key(Key::Pound);
    // Transport: a choice.
    rig.key(Key::Down);
    rig.key(Key::Ok);
    rig.key(Key::Down);
    rig.key(Key::Ok);
    // Extension: digits first.
    rig.key(Key::Down);
    rig.key(Key::Ok);
    rig.keys("1001");
    rig.key(Key::Ok);
    // Password: masked, its last character shows briefly.
    rig.key(Key::Down);
    rig.key(Key::Down);
    rig.key(Key::Ok);
    type_text(&mut rig, "s3cret");
    assert!(rig.device.screen().shows("*****t_"), "{}", rig.screen_text());
    rig.advance(MULTITAP_TIMEOUT.as_millis() as u64);
    assert!(rig.device.screen().shows("******_"), "{}", rig.screen_text());
    rig.key(Key::Ok);
    insta::assert_snapshot!("new_account_filled", rig.screen_text());
    let out = rig.key(Key::Soft(1));
    let expected = layer(
        r#"[[accounts]]
label = "Desk"
server = "pbx.example.com:5060"
transport = "tcp"
user = "1001"
password = "s3cret"
"#,
    );
    assert_eq!(saved_layers(&out), [expected]);
    assert!(rig.device.screen().shows("Saving..."));
    rig.input(Input::SettingsResult(Ok(())));
    assert!(rig.device.screen().shows("Saved"), "{}", rig.screen_text());
    assert!(rig.device.screen().shows("No account set up"), "back to the idle screen: {}", rig.screen_text());
}

#[test]
fn a_refused_save_shows_the_error_and_keeps_the_edits() {
    let mut rig = Rig::new();
    open_settings(&mut rig);
    rig.key(Key::Ok);
    rig.key(Key::Ok); // alice
    rig.key(Key::Ok); // server
    for _ in 0.."pbx.example.com".len() {
        rig.key(Key::Back);
    }
    type_text(&mut rig, "bad host");
    rig.key(Key::Ok);
    let out = rig.key(Key::Soft(1));
    assert_eq!(saved_layers(&out), [layer("[[accounts]]\nlabel = \"alice\"\nserver = \"bad host\"\n")]);
    rig.input(Input::SettingsResult(Err("accounts[0].server: not host[:port]: bad character".to_owned())));
    insta::assert_snapshot!("save_refused", rig.screen_text());
    // Fixed and saved again.
    rig.key(Key::Ok);
    for _ in 0.."bad host".len() {
        rig.key(Key::Back);
    }
    type_text(&mut rig, "10.0.0.1");
    rig.key(Key::Ok);
    let out = rig.key(Key::Soft(1));
    assert_eq!(saved_layers(&out), [layer("[[accounts]]\nlabel = \"alice\"\nserver = \"10.0.0.1\"\n")]);
    rig.input(Input::SettingsResult(Ok(())));
    assert!(rig.device.screen().shows("Saved"));
}

#[test]
fn checks_before_saving_name_the_field() {
    let mut rig = first_boot();
    open_settings(&mut rig);
    rig.key(Key::Ok);
    rig.key(Key::Ok);
    let out = rig.key(Key::Soft(1));
    assert!(saved_layers(&out).is_empty());
    assert!(rig.device.screen().shows("Error: Server: must not be empty"), "{}", rig.screen_text());
}

#[test]
fn cancel_leaves_everything_as_it_was() {
    let mut rig = Rig::new();
    let from = rig.log.len();
    open_settings(&mut rig);
    rig.key(Key::Ok);
    rig.key(Key::Ok);
    rig.key(Key::Down);
    rig.key(Key::Ok); // the port
    rig.keys("5062");
    rig.key(Key::Soft(3)); // cancel the field
    assert!(rig.device.screen().shows("> Port: (DNS SRV)"), "{}", rig.screen_text());
    rig.key(Key::Ok);
    rig.keys("5062");
    rig.key(Key::Ok);
    assert!(rig.device.screen().shows("> Port: 5062"));
    rig.key(Key::Back); // leave the form: dropped
    rig.key(Key::Ok);
    assert!(rig.device.screen().shows("Port: (DNS SRV)"), "{}", rig.screen_text());
    rig.key(Key::Menu); // the settings key closes the menu
    assert!(rig.device.screen().shows("Ready"));
    assert!(saved_layers(&rig.log[from..]).is_empty());
    // An incoming call takes the screen and the menu is closed.
    open_settings(&mut rig);
    rig.incoming("Bob", "2002");
    assert!(rig.device.screen().shows("Incoming: Bob <2002>"), "{}", rig.screen_text());
}

#[test]
fn an_existing_account_saves_only_what_changed() {
    let mut config = config_with_account();
    config.accounts.push(AccountSummary {
        label: "Sales".into(),
        server: "[2001:db8::1]:5070".into(),
        transport: Transport::Tls,
        user: "2001".into(),
        auth_user: Some("sales-auth".into()),
        display_name: Some("Sales desk".into()),
        has_password: true,
        enabled: true,
    });
    let mut rig = Rig::with(config, History::default());
    open_settings(&mut rig);
    rig.key(Key::Ok);
    rig.key(Key::Down);
    rig.key(Key::Ok);
    insta::assert_snapshot!("existing_account", rig.screen_text());
    // Nothing changed: nothing saved.
    assert!(saved_layers(&rig.key(Key::Soft(1))).is_empty());
    assert!(rig.device.screen().shows("No changes"));
    open_settings(&mut rig);
    rig.key(Key::Ok);
    rig.key(Key::Down);
    rig.key(Key::Ok);
    for _ in 0..5 {
        rig.key(Key::Down);
    }
    rig.key(Key::Ok); // the password
    type_text(&mut rig, "n3w");
    rig.key(Key::Ok);
    let out = rig.key(Key::Soft(1));
    assert_eq!(saved_layers(&out), [layer("[[accounts]]\nlabel = \"Sales\"\npassword = \"n3w\"\n")]);
}

#[test]
fn audio_settings_save_ringtone_and_volumes_under_device() {
    let mut rig = Rig::new();
    open_settings(&mut rig);
    rig.key(Key::Down);
    rig.key(Key::Down);
    rig.key(Key::Ok);
    insta::assert_snapshot!("audio", rig.screen_text());
    rig.key(Key::Ok);
    rig.key(Key::Down);
    rig.key(Key::Ok); // Bell
    rig.key(Key::Down);
    rig.key(Key::Ok);
    rig.key(Key::Up);
    rig.key(Key::Up);
    rig.key(Key::Ok); // ringer 7
    let out = rig.key(Key::Soft(1));
    assert_eq!(saved_layers(&out), [layer("[device]\nringtone = \"bell\"\n[device.volume]\nringer = 7\n")]);
    // The edge applies the new configuration, then answers.
    let mut config = config_with_account();
    config.volumes[VolumeOf::Ringer as usize] = 7;
    let now = rig.now;
    rig.device.reconfigure(now, config);
    rig.drain();
    assert!(rig.log.contains(&DeviceOutput::Volume { of: VolumeOf::Ringer, level: 7 }));
    assert_eq!(rig.device.volume(VolumeOf::Ringer), 7);
    rig.input(Input::SettingsResult(Ok(())));
    assert!(rig.device.screen().shows("Saved"));
}

#[test]
fn a_new_account_appears_after_reconfiguration_and_calls_stay_up() {
    let mut rig = first_boot();
    rig.keys("127*0*0*1#");
    let call = rig.last_dialed();
    rig.report(call, phone::core::CallState::Active);
    let now = rig.now;
    rig.device.reconfigure(now, config_with_account());
    rig.drain();
    assert!(rig.device.line_call(0).is_some(), "the call stays on its line");
    assert!(actions(&rig.advance(1_000)).is_empty());
    rig.input(Input::Account { index: 0, label: "alice".into(), registered: true, state_text: "registered".into() });
    assert!(rig.device.screen().status.registered);
    rig.key(Key::Soft(3)); // End
    assert!(rig.device.screen().shows("Ready"), "{}", rig.screen_text());
}

#[test]
fn multitap_letters_commit_after_a_second() {
    let mut rig = first_boot();
    open_settings(&mut rig);
    rig.key(Key::Ok);
    rig.key(Key::Ok);
    rig.key(Key::Down);
    rig.key(Key::Ok); // server, letters
    rig.keys("222");
    assert!(rig.device.screen().shows("c_"), "{}", rig.screen_text());
    let due = rig.device.poll_timeout().expect("the letter commits");
    assert_eq!(due, rig.now + Duration::from_secs(1));
    rig.advance(1_000);
    rig.keys("2");
    assert!(rig.device.screen().shows("ca_"), "{}", rig.screen_text());
    rig.key(Key::Soft(2)); // the mode key: ABC
    assert_eq!(rig.device.screen().soft_keys[2], "ABC");
    rig.keys("2");
    assert!(rig.device.screen().shows("caA_"), "{}", rig.screen_text());
    rig.key(Key::Back);
    assert!(rig.device.screen().shows("ca_"), "Back deletes: {}", rig.screen_text());
}
