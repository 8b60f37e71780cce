//! Linux input devices: the edge's reader turns `input_event` records into phone actions. A
//! FIFO stands in for `/dev/input/eventN` (the same 24-byte records; no uinput needed), and is
//! also what a device that is unplugged and plugged back looks like: its reader ends and opens
//! it again.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hardphone::input::spawn;
use phone::device::{Hook, Key};
use phone::keymap::{encode_event, key_code, InputAction, InputEvent, KeyMap, EV_KEY};

fn key(name: &str, value: i32) -> [u8; 24] {
    encode_event(InputEvent { kind: EV_KEY, code: key_code(name).unwrap(), value })
}

fn syn() -> [u8; 24] {
    encode_event(InputEvent { kind: 0, code: 0, value: 0 })
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

/// Writes `records` to the FIFO at `path` (opening blocks until the reader has it open).
fn write_records(path: &Path, records: &[[u8; 24]]) {
    let mut fifo = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    for record in records {
        fifo.write_all(record).unwrap();
    }
}

fn receive(
    receiver: &mut tokio::sync::mpsc::UnboundedReceiver<(std::path::PathBuf, InputAction)>,
    count: usize,
) -> Vec<InputAction> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    runtime.block_on(async {
        let mut actions = Vec::new();
        while actions.len() < count {
            match tokio::time::timeout(Duration::from_secs(10), receiver.recv()).await {
                Ok(Some((_, action))) => actions.push(action),
                _ => break,
            }
        }
        actions
    })
}

#[test]
fn a_usb_handset_s_keypad_hook_and_mute_become_phone_actions_and_it_can_be_replugged() {
    let dir = tempfile_dir();
    let fifo = dir.join("event-handset");
    mkfifo(&fifo);
    let map = KeyMap::with_overrides([("KEY_F5", "line1")]).unwrap();
    let mut receiver = spawn(std::slice::from_ref(&fifo), map);
    write_records(
        &fifo,
        &[
            key("KEY_PICKUP_PHONE", 1),
            syn(),
            key("KEY_PICKUP_PHONE", 0),
            key("KEY_NUMERIC_1", 1),
            key("KEY_NUMERIC_1", 0),
            key("KEY_KP2", 1),
            key("KEY_KP2", 2),
            key("KEY_KP2", 0),
            key("KEY_NUMERIC_POUND", 1),
            key("KEY_MICMUTE", 1),
            key("KEY_MICMUTE", 0),
            key("KEY_F5", 1),
        ],
    );
    let actions = receive(&mut receiver, 7);
    assert_eq!(
        actions,
        [
            InputAction::Hook(Hook::OffHook),
            InputAction::Key(Key::Digit('1')),
            InputAction::Key(Key::Digit('2')),
            InputAction::Key(Key::Pound),
            InputAction::MuteSet(true),
            InputAction::MuteSet(false),
            InputAction::Key(Key::Line(0)),
        ]
    );
    // Unplugged (the writer closed) and plugged back: the reader opens it again.
    write_records(&fifo, &[key("KEY_HANGUP_PHONE", 1)]);
    assert_eq!(receive(&mut receiver, 1), [InputAction::Hook(Hook::OnHook)]);
    drop(receiver);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_device_plugged_in_after_start_is_read_when_it_appears() {
    let dir = tempfile_dir();
    let fifo = dir.join("event-late");
    let mut receiver = spawn(std::slice::from_ref(&fifo), KeyMap::default());
    std::thread::sleep(Duration::from_millis(300));
    mkfifo(&fifo);
    write_records(&fifo, &[key("KEY_5", 1)]);
    assert_eq!(receive(&mut receiver, 1), [InputAction::Key(Key::Digit('5'))]);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tempfile_dir() -> std::path::PathBuf {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let dir = std::env::temp_dir().join(format!("hardphone-input-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The phone with a USB handset (a FIFO standing in for its evdev device): lifting it and
/// dialing `127*0*0*1*<port>#` on its telephony keypad calls a second phone directly; once that
/// one answers, hanging the handset up ends the call. Two headless phones with no account
/// (direct calls on), null audio.
#[test]
fn a_usb_handset_lifts_dials_and_hangs_up_a_call() {
    use support::{free_port, start_phone_toml, wait_until};
    let dir = tempfile_dir();
    let fifo = dir.join("event-handset");
    mkfifo(&fifo);
    let (port_a, port_b) = (free_port(), free_port());
    let audio = "[audio]\ninput = \"null\"\noutput = \"null\"\n";
    let a_toml =
        format!("[sip]\nlisten = \"127.0.0.1:{port_a}\"\n{audio}[input]\ndevices = [\"{}\"]\n", fifo.display());
    let a = start_phone_toml(&dir, "a", &a_toml);
    let b = start_phone_toml(&dir, "b", &format!("[sip]\nlisten = \"127.0.0.1:{port_b}\"\n{audio}"));
    let calls = |phone: &support::Phone| phone.ctl("status")["calls"].as_array().cloned().unwrap_or_default();
    let mut records = vec![key("KEY_PICKUP_PHONE", 1), key("KEY_PICKUP_PHONE", 0)];
    let digits = format!("127*0*0*1*{port_b}#");
    for c in digits.chars() {
        let name = match c {
            '*' => "KEY_NUMERIC_STAR".to_owned(),
            '#' => "KEY_NUMERIC_POUND".to_owned(),
            d => format!("KEY_NUMERIC_{d}"),
        };
        records.push(key(&name, 1));
        records.push(key(&name, 0));
        records.push(syn());
    }
    write_records(&fifo, &records);
    let ringing = wait_until(
        "the second phone rings",
        Duration::from_secs(10),
        || calls(&b).into_iter().find(|c| c["state"] == "incoming").and_then(|c| c["id"].as_u64()),
        || format!("{}\n{}", a.log(), b.log()),
    );
    assert_eq!(b.ctl(&format!("answer {ringing}"))["ok"], true);
    wait_until(
        "the call is up on the handset's phone",
        Duration::from_secs(10),
        || calls(&a).iter().any(|c| c["state"] == "active").then_some(()),
        || a.log(),
    );
    write_records(&fifo, &[key("KEY_HANGUP_PHONE", 1), key("KEY_HANGUP_PHONE", 0)]);
    wait_until(
        "the call ended by the hook",
        Duration::from_secs(10),
        || calls(&a).iter().all(|c| c["state"].as_str().is_some_and(|s| s.starts_with("ended"))).then_some(()),
        || a.log(),
    );
    drop((a, b));
    let _ = std::fs::remove_dir_all(&dir);
}
