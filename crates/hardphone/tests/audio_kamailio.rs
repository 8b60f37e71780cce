//! Audio end to end between two phone binaries through Kamailio: each phone's microphone is a
//! WAV file with its own tone and its speaker a WAV file; after the call the test finds the
//! other phone's tone in each recording (Goertzel); DTMF sent in the stream (RFC 4733) is
//! reported by the far phone once per key.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{
    location_table, read_wav, start_kamailio, start_phone, tone_share, wait_until, write_tone_wav, Phone, PhoneSetup,
    TempDir, PASSWORD2, USER, USER2,
};

fn wait_state(phone: &Phone, state: &str) -> Value {
    let check = || {
        let status = phone.ctl("status");
        status["calls"].as_array().and_then(|c| c.last().cloned()).filter(|c| c["state"].as_str() == Some(state))
    };
    wait_until(state, Duration::from_secs(15), check, || phone.log())
}

#[test]
fn each_phone_hears_the_others_tone() {
    let dir = TempDir::new("audio");
    let mut kamailio = start_kamailio();
    kamailio.wait_ready();
    let server = format!("127.0.0.1:{}", kamailio.port);
    let (alice_mic, bob_mic) = (dir.path.join("alice-mic.wav"), dir.path.join("bob-mic.wav"));
    let (alice_ear, bob_ear) = (dir.path.join("alice-ear.wav"), dir.path.join("bob-ear.wav"));
    write_tone_wav(&alice_mic, 1000.0, 16000, 2.0);
    write_tone_wav(&bob_mic, 600.0, 16000, 2.0);
    let audio = |mic: &std::path::Path, ear: &std::path::Path| {
        format!("input = \"file:{}\"\noutput = \"file:{}\"\nsample_rate = 16000", mic.display(), ear.display())
    };
    let mut alice_setup = PhoneSetup::new(server.clone(), "udp");
    alice_setup.audio = Some(audio(&alice_mic, &alice_ear));
    let mut bob_setup = PhoneSetup::new(server, "udp");
    (bob_setup.user, bob_setup.password) = (USER2, PASSWORD2);
    bob_setup.audio = Some(audio(&bob_mic, &bob_ear));
    bob_setup.auto_answer = Some("always");
    let alice = start_phone(&dir.path, "alice", &alice_setup);
    let bob = start_phone(&dir.path, "bob", &bob_setup);
    let both = || {
        let table = location_table(&kamailio);
        (table.contains(&format!("sip:{USER}@")) && table.contains(&format!("sip:{USER2}@"))).then_some(())
    };
    wait_until("both registered", Duration::from_secs(15), both, || alice.log());
    assert_eq!(alice.ctl(&format!("dial {USER2}"))["ok"], true);
    let call = wait_state(&alice, "active");
    assert_eq!(call["codec"], "G722");
    // `status` carries the call's quality figures once media has run a moment.
    let figures = wait_until(
        "quality figures",
        Duration::from_secs(10),
        || {
            let call = alice.ctl("status")["calls"][0].clone();
            call["quality"]["packets_received"].as_u64().filter(|n| *n > 10).map(|_| call["quality"].clone())
        },
        || alice.log(),
    );
    assert!(figures["mos"].as_f64().is_some_and(|m| m > 3.5), "{figures}");
    std::thread::sleep(Duration::from_secs(2));
    // RFC 4733 DTMF in the RTP stream: Bob's phone reports each key once.
    assert_eq!(alice.ctl("dtmf 12#")["ok"], true);
    let keys = || {
        let log = bob.log();
        let begins: Vec<&str> = log.lines().filter(|l| l.contains("Dtmf(Begin")).collect();
        (begins.len() == 3).then(|| begins.iter().map(|l| l.to_owned().to_owned()).collect::<Vec<String>>())
    };
    let begins = wait_until("Bob hears three DTMF keys", Duration::from_secs(10), keys, || bob.log());
    for (line, key) in begins.iter().zip(["Digit1", "Digit2", "Pound"]) {
        assert!(line.contains(key), "{line}");
    }
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(alice.ctl("hangup")["ok"], true);
    wait_state(&bob, "ended: RemoteHangup");
    std::thread::sleep(Duration::from_millis(500));
    for (ear, freq, other, name) in [(&bob_ear, 1000.0, 600.0, "Bob"), (&alice_ear, 600.0, 1000.0, "Alice")] {
        let (samples, rate) = read_wav(ear);
        assert_eq!(rate, 16000);
        assert!(samples.len() > 16000 * 2, "{name} recorded {} samples", samples.len());
        // The last second of the call: the far tone dominates, the own tone is absent.
        let tail = &samples[samples.len() - 16000..];
        let share = tone_share(tail, rate, freq);
        assert!(share > 0.8, "{name} hears the far tone: share {share:.3}\n{}\n{}", alice.log(), bob.log());
        assert!(tone_share(tail, rate, other) < 0.05, "{name} does not hear their own tone");
    }
    let quality = alice.log();
    assert!(quality.contains("quality: sent"), "the end-of-call quality line is logged: {quality}");
}
