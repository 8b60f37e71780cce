//! Two phones with no account at all call each other directly on 127.0.0.1 (`dial
//! sip:user@IP:port`), as two phones fresh out of the box on one LAN would; each hears the
//! other's tone.

mod support;

use std::time::Duration;

use support::{free_port, read_wav, start_phone_toml, tone_share, wait_until, write_tone_wav, Phone, TempDir};

fn state_of(phone: &Phone) -> Option<String> {
    phone.ctl("status")["calls"].as_array()?.last()?["state"].as_str().map(str::to_owned)
}

#[test]
fn phones_without_accounts_call_each_other_by_address() {
    let dir = TempDir::new("direct");
    let (a_port, b_port) = (free_port(), free_port());
    let config = |port: u16, mic: &std::path::Path, ear: &std::path::Path| {
        format!(
            "[sip]\nlisten = \"127.0.0.1:{port}\"\n[audio]\ninput = \"file:{}\"\noutput = \"file:{}\"\n",
            mic.display(),
            ear.display()
        )
    };
    let (a_mic, a_ear, b_mic, b_ear) = (
        dir.path.join("a-mic.wav"),
        dir.path.join("a-ear.wav"),
        dir.path.join("b-mic.wav"),
        dir.path.join("b-ear.wav"),
    );
    write_tone_wav(&a_mic, 1000.0, 16000, 1.0);
    write_tone_wav(&b_mic, 600.0, 16000, 1.0);
    let a = start_phone_toml(&dir.path, "a", &config(a_port, &a_mic, &a_ear));
    let b = start_phone_toml(&dir.path, "b", &config(b_port, &b_mic, &b_ear));
    let ready = |p: &Phone| p.ctl("status")["ok"].as_bool().filter(|ok| *ok).map(|_| ());
    wait_until("both phones answer ctl", Duration::from_secs(10), || ready(&a).and(ready(&b)), || a.log());
    let dialed = a.ctl(&format!("dial sip:anyone@127.0.0.1:{b_port}"));
    assert_eq!(dialed["ok"], true, "{dialed}");
    wait_until(
        "b rings",
        Duration::from_secs(10),
        || (state_of(&b).as_deref() == Some("incoming")).then_some(()),
        || b.log(),
    );
    assert_eq!(b.ctl("answer")["ok"], true);
    wait_until(
        "a is up",
        Duration::from_secs(10),
        || (state_of(&a).as_deref() == Some("active")).then_some(()),
        || a.log(),
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(b.ctl("hangup")["ok"], true);
    let ended = || state_of(&a).filter(|s| s.starts_with("ended")).map(|_| ());
    wait_until("a ended", Duration::from_secs(10), ended, || a.log());
    std::thread::sleep(Duration::from_millis(300));
    let (heard_by_b, rate) = read_wav(&b_ear);
    let tail = &heard_by_b[heard_by_b.len().saturating_sub(rate as usize)..];
    assert!(tone_share(tail, rate, 1000.0) > 0.8, "b hears a\n{}\n== a\n{}", b.log(), a.log());
    let (heard_by_a, rate) = read_wav(&a_ear);
    let tail = &heard_by_a[heard_by_a.len().saturating_sub(rate as usize)..];
    assert!(tone_share(tail, rate, 600.0) > 0.8, "a hears b\n{}", a.log());
}

/// The call history survives a restart: a missed call is written to `history.toml` in the
/// state directory; after the phone restarts, a second missed call is added to it (a phone that
/// had not read the file back would write the second call alone).
#[test]
fn the_call_history_survives_a_restart() {
    let dir = TempDir::new("history");
    let (a_port, b_port) = (free_port(), free_port());
    let config =
        |port: u16| format!("[sip]\nlisten = \"127.0.0.1:{port}\"\n[audio]\ninput = \"null\"\noutput = \"null\"\n");
    let mut a = start_phone_toml(&dir.path, "a", &config(a_port));
    let b = start_phone_toml(&dir.path, "b", &config(b_port));
    let history = dir.path.join("a-state").join("history.toml");
    let entries = || std::fs::read_to_string(&history).map(|t| t.matches("[[call]]").count()).unwrap_or(0);
    let ready = |p: &Phone| p.ctl("status")["ok"].as_bool().filter(|ok| *ok).map(|_| ());
    let missed_call = |a: &Phone| {
        wait_until("both phones answer ctl", Duration::from_secs(10), || ready(a).and(ready(&b)), || a.log());
        let dialed = b.ctl(&format!("dial sip:desk@127.0.0.1:{a_port}"));
        assert_eq!(dialed["ok"], true, "{dialed}");
        wait_until(
            "a rings",
            Duration::from_secs(10),
            || (state_of(a).as_deref() == Some("incoming")).then_some(()),
            || a.log(),
        );
        assert_eq!(b.ctl("hangup")["ok"], true);
        wait_until(
            "the missed call ends",
            Duration::from_secs(10),
            || state_of(a).filter(|s| s.starts_with("ended")).map(drop),
            || a.log(),
        );
    };
    missed_call(&a);
    wait_until("the missed call is kept", Duration::from_secs(5), || (entries() == 1).then_some(()), || a.log());
    assert!(
        std::fs::read_to_string(&history).unwrap().contains("missed"),
        "{}",
        std::fs::read_to_string(&history).unwrap()
    );
    assert!(a.terminate().success());
    let a = start_phone_toml(&dir.path, "a", &config(a_port));
    missed_call(&a);
    wait_until("both missed calls are kept", Duration::from_secs(5), || (entries() == 2).then_some(()), || a.log());
}
