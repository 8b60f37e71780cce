//! The audio engine end to end (one thread, one set of devices, every call mixed): mute keeps
//! RTP flowing with silence; a local three-way conference where each far end hears us and the
//! other far end; tones and the ringer on their devices at their volumes; the call-waiting tone
//! heard over a call; the audio path switched mid-call.
//!
//! The phone has no account and calls baresip directly (`dial sip:bob@127.0.0.1:PORT`); its
//! microphone is a WAV file with a 400 Hz tone (or null), its speaker WAV files; each baresip
//! sends its own tone and records what it decodes (tests/support/baresip.rs). Tones are found
//! by their share of a window's power (Goertzel). Every process is stopped by PID when its
//! guard drops; everything listens on 127.0.0.1.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use support::baresip::{start_baresip, Baresip, BaresipSetup};
use support::{free_port, read_wav, start_phone_toml, tone_share, wait_until, write_tone_wav, Phone, TempDir};

/// Our microphone's tone.
const MIC_HZ: f64 = 400.0;
/// The phone's device rate.
const RATE: u32 = 16000;

/// A phone with no account, `audio` as its `[audio]` table.
fn start_phone(dir: &Path, audio: &str) -> Phone {
    let toml = format!("[sip]\nlisten = \"127.0.0.1:{}\"\n[audio]\nsample_rate = {RATE}\n{audio}\n", free_port());
    let phone = start_phone_toml(dir, "phone", &toml);
    wait_until(
        "the phone's control socket",
        Duration::from_secs(10),
        || phone.ctl("status")["ok"].as_bool().filter(|ok| *ok),
        || phone.log(),
    );
    phone
}

/// `[audio]` lines with the 400 Hz microphone and the speaker file `ear`.
fn mic_and_ear(dir: &Path, ear: &Path) -> String {
    let mic = dir.join("mic.wav");
    write_tone_wav(&mic, MIC_HZ, RATE, 3.0);
    format!("input = \"file:{}\"\noutput = \"file:{}\"", mic.display(), ear.display())
}

fn ctl_ok(phone: &Phone, words: &str) -> Value {
    let answer = phone.ctl(words);
    assert_eq!(answer["ok"], true, "{words}: {answer}\n{}", phone.log());
    answer
}

/// Dials `baresip` and waits until the call is active; its call number.
fn call_baresip(phone: &Phone, baresip: &Baresip) -> u64 {
    let dialed = ctl_ok(phone, &format!("dial sip:{}@127.0.0.1:{}", baresip.user, baresip.sip_port));
    let id = dialed["call"].as_u64().expect("call number");
    let active = || {
        let status = phone.ctl("status");
        let call = status["calls"].as_array()?.iter().find(|c| c["id"] == id)?.clone();
        (call["state"] == "active").then_some(())
    };
    wait_until(&format!("call {id} is up"), Duration::from_secs(15), active, || {
        format!("{}\n== baresip\n{}", phone.log(), baresip.log())
    });
    baresip.wait_event("CALL_ESTABLISHED");
    id
}

/// Hangs up call `id` and waits for baresip to close it (its recording is complete then).
fn hang_up(phone: &Phone, id: u64, baresip: &Baresip) {
    ctl_ok(phone, &format!("hangup {id}"));
    baresip.wait_event("CALL_CLOSED");
}

/// `call`'s packets sent so far, by `ctl status` (updated every second).
fn packets_sent(phone: &Phone, id: u64) -> Option<u64> {
    let status = phone.ctl("status");
    status["calls"].as_array()?.iter().find(|c| c["id"] == id)?["quality"]["packets_sent"].as_u64()
}

/// The samples from `from` to `to` seconds before the end.
fn before_end(samples: &[i16], rate: u32, from: f64, to: f64) -> &[i16] {
    let at = |s: f64| samples.len().saturating_sub((s * f64::from(rate)) as usize);
    &samples[at(from)..at(to)]
}

fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / samples.len() as f64).sqrt()
}

/// Waits until the WAV file at `path` holds at least `seconds` of audio and stops growing (its
/// device was closed and the header finished).
fn finished_wav(path: &Path, seconds: f64, diagnostics: impl Fn() -> String) -> (Vec<i16>, u32) {
    let mut last = 0;
    wait_until(
        &format!("{} is complete", path.display()),
        Duration::from_secs(10),
        || {
            let (samples, rate) = read_wav(path);
            let done = rate > 0 && samples.len() as f64 >= seconds * f64::from(rate) && samples.len() == last;
            last = samples.len();
            if done {
                Some((samples, rate))
            } else {
                std::thread::sleep(Duration::from_millis(250));
                None
            }
        },
        diagnostics,
    )
}

/// Muted, the far end keeps receiving RTP at the normal rate, but silence; unmuted, our
/// microphone again.
#[test]
fn muted_calls_keep_sending_silence() {
    let dir = TempDir::new("engine-mute");
    let baresip = start_baresip(&dir.path, "baresip", &BaresipSetup { tone_hz: 600.0, ..BaresipSetup::direct() });
    let ear = dir.path.join("ear.wav");
    let phone = start_phone(&dir.path, &mic_and_ear(&dir.path, &ear));
    let id = call_baresip(&phone, &baresip);
    std::thread::sleep(Duration::from_secs(2));
    let muted = ctl_ok(&phone, "mute");
    assert_eq!(muted["muted"], true);
    assert_eq!(phone.ctl("status")["muted"], true);
    let before = packets_sent(&phone, id).expect("quality figures");
    std::thread::sleep(Duration::from_millis(2500));
    let during = packets_sent(&phone, id).expect("quality figures");
    // 50 packets a second; the figures lag by up to a second.
    assert!(during >= before + 60, "RTP keeps flowing while muted: {before} then {during}");
    assert_eq!(ctl_ok(&phone, "unmute")["muted"], false);
    std::thread::sleep(Duration::from_secs(2));
    hang_up(&phone, id, &baresip);
    let (heard, rate) = baresip.recording();
    let seconds = heard.len() as f64 / f64::from(rate.max(1));
    assert!(seconds > 5.5, "baresip decoded {seconds:.2} s of a 6.5 s call\n{}", baresip.log());
    // 100 ms windows: the muted stretch is one run of near silence, our tone before and after.
    let windows: Vec<&[i16]> = heard.chunks(rate as usize / 10).collect();
    let quiet: Vec<bool> = windows.iter().map(|w| rms(w) < 100.0).collect();
    let (mut best, mut run, mut end) = (0, 0, 0);
    for (i, q) in quiet.iter().enumerate() {
        run = if *q { run + 1 } else { 0 };
        if run > best {
            (best, end) = (run, i + 1);
        }
    }
    assert!((18..=32).contains(&best), "a muted stretch of ~2.5 s, found {best} quiet windows: {quiet:?}");
    let start = end - best;
    assert!(start >= 10, "our tone before the mute: {quiet:?}");
    let after = windows[end + 2..end + 12].concat();
    let before = windows[start - 10..start - 2].concat();
    for (what, part) in [("before", before), ("after", after)] {
        let share = tone_share(&part, rate, MIC_HZ);
        assert!(share > 0.8, "baresip hears our tone {what} the mute: {share:.3}");
    }
}

/// A local three-way conference: two baresips each send their tone, our microphone a third;
/// each baresip hears us and the other, not itself; our speaker plays both.
#[test]
fn a_local_conference_mixes_three_parties() {
    let dir = TempDir::new("engine-conference");
    let (a_hz, b_hz) = (600.0, 1000.0);
    let a = start_baresip(&dir.path, "a", &BaresipSetup { tone_hz: a_hz, ..BaresipSetup::direct() });
    let b = start_baresip(&dir.path, "b", &BaresipSetup { tone_hz: b_hz, ..BaresipSetup::direct() });
    let ear = dir.path.join("ear.wav");
    let phone = start_phone(&dir.path, &mic_and_ear(&dir.path, &ear));
    // No hold in between: baresip 1.0.0 stops recording at a re-INVITE (support/baresip.rs).
    let call_a = call_baresip(&phone, &a);
    let call_b = call_baresip(&phone, &b);
    let joined = ctl_ok(&phone, &format!("conference call-{call_a} call-{call_b}"));
    assert_eq!(joined["audio"]["conference"], serde_json::json!([call_a, call_b]), "{joined}");
    std::thread::sleep(Duration::from_secs(3));
    let (ours, rate) = read_wav(&ear);
    let mix = before_end(&ours, rate, 1.5, 0.25);
    hang_up(&phone, call_b, &b);
    hang_up(&phone, call_a, &a);
    let report = |who: &str, samples: &[i16], rate: u32| {
        let share = |hz| tone_share(samples, rate, hz);
        format!("{who} hears 400 Hz {:.3}, 600 Hz {:.3}, 1000 Hz {:.3}", share(MIC_HZ), share(a_hz), share(b_hz))
    };
    let hears = |samples: &[i16], rate: u32, who: &str, present: [f64; 2], absent: f64| {
        let text = report(who, samples, rate);
        for hz in present {
            assert!(tone_share(samples, rate, hz) > 0.15, "{text}: {hz} Hz missing\n{}", phone.log());
        }
        assert!(tone_share(samples, rate, absent) < 0.05, "{text}: {absent} Hz should not be heard");
    };
    hears(mix, rate, "the phone", [a_hz, b_hz], MIC_HZ);
    let (heard_a, rate_a) = a.recording();
    hears(before_end(&heard_a, rate_a, 1.2, 0.2), rate_a, "baresip A", [MIC_HZ, b_hz], a_hz);
    let (heard_b, rate_b) = b.recording();
    hears(before_end(&heard_b, rate_b, 1.5, 0.5), rate_b, "baresip B", [MIC_HZ, a_hz], b_hz);
}

/// `conference` takes a held call off hold (a re-INVITE) and mixes it: the other far end
/// hears it and us, we hear both. (The resumed baresip's own recording stops at the re-INVITE,
/// see support/baresip.rs, so its side is what the test above checks.)
#[test]
fn a_conference_takes_a_held_call_off_hold() {
    let dir = TempDir::new("engine-conference-held");
    let (a_hz, b_hz) = (600.0, 1000.0);
    let a = start_baresip(&dir.path, "a", &BaresipSetup { tone_hz: a_hz, ..BaresipSetup::direct() });
    let b = start_baresip(&dir.path, "b", &BaresipSetup { tone_hz: b_hz, ..BaresipSetup::direct() });
    let ear = dir.path.join("ear.wav");
    let phone = start_phone(&dir.path, &mic_and_ear(&dir.path, &ear));
    let call_a = call_baresip(&phone, &a);
    ctl_ok(&phone, &format!("hold {call_a}"));
    let call_b = call_baresip(&phone, &b);
    ctl_ok(&phone, &format!("conference {call_a} {call_b}"));
    let resumed = || {
        let calls = phone.ctl("status")["calls"].clone();
        calls.as_array()?.iter().all(|c| c["state"] == "active").then_some(())
    };
    wait_until("the held call resumed", Duration::from_secs(10), resumed, || phone.log());
    std::thread::sleep(Duration::from_secs(3));
    let (ours, rate) = read_wav(&ear);
    let mix = before_end(&ours, rate, 1.5, 0.25).to_vec();
    hang_up(&phone, call_b, &b);
    hang_up(&phone, call_a, &a);
    let ended = || (phone.ctl("status")["audio"]["conference"] == serde_json::json!([])).then_some(());
    wait_until("the conference ends with its calls", Duration::from_secs(5), ended, || phone.log());
    for (hz, what) in [(a_hz, "the resumed call"), (b_hz, "the other call")] {
        assert!(tone_share(&mix, rate, hz) > 0.15, "we hear {what} ({hz} Hz)\n{}", phone.log());
    }
    let (heard_b, rate_b) = b.recording();
    let tail = before_end(&heard_b, rate_b, 1.5, 0.5);
    for (hz, what) in [(MIC_HZ, "us"), (a_hz, "the resumed call")] {
        assert!(tone_share(tail, rate_b, hz) > 0.15, "baresip B hears {what} ({hz} Hz)");
    }
    assert!(tone_share(tail, rate_b, b_hz) < 0.05, "baresip B does not hear itself");
}

/// Without a call: the dial tone plays on the path's speaker at the path's volume, the ringer
/// on its own device at the ringer's.
#[test]
fn tones_and_the_ringer_play_on_their_devices() {
    let dir = TempDir::new("engine-tones");
    let (ear, ringer) = (dir.path.join("ear.wav"), dir.path.join("ringer.wav"));
    let audio =
        format!("input = \"null\"\noutput = \"file:{}\"\nringer = \"file:{}\"", ear.display(), ringer.display());
    let phone = start_phone(&dir.path, &audio);
    let play = |start: &str, stop: &str, file: &Path| {
        ctl_ok(&phone, start);
        std::thread::sleep(Duration::from_millis(1200));
        ctl_ok(&phone, stop);
        finished_wav(file, 1.0, || phone.log())
    };
    let (dial, rate) = play("tone dial", "tone stop", &ear);
    let steady = &dial[rate as usize / 10..rate as usize];
    let (low, high) = (tone_share(steady, rate, 350.0), tone_share(steady, rate, 440.0));
    assert!(low > 0.35 && high > 0.35, "US dial tone is 350 + 440 Hz: {low:.3} {high:.3}");
    assert!(!ringer.exists(), "the ringer device stays closed without a ring");
    // Handset volume 1 is 8 dB below the default 5.
    ctl_ok(&phone, "volume handset 1");
    let (quiet, _) = play("tone dial", "tone stop", &ear);
    let ratio = rms(&quiet[rate as usize / 10..rate as usize]) / rms(steady);
    assert!((ratio - 10f64.powf(-0.4)).abs() < 0.05, "volume 1 / volume 5 = {ratio:.3}");
    // The warble: 1000 and 1250 Hz alternating for 0.4 s, on the ringer device alone.
    let ear_len = read_wav(&ear).0.len();
    let (ring, rate) = play("ring warble", "ring stop", &ringer);
    // 10 ms windows of the first 0.4 s: each 25 ms note fills some alone.
    let windows: Vec<&[i16]> = ring[..rate as usize * 2 / 5].chunks(rate as usize / 100).collect();
    let count = |hz| windows.iter().filter(|w| tone_share(w, rate, hz) > 0.7).count();
    let (low, high) = (count(1000.0), count(1250.0));
    assert!(low >= 4 && high >= 4, "the warble alternates 1000 and 1250 Hz: {low} and {high} windows of 40");
    assert_eq!(read_wav(&ear).0.len(), ear_len, "the speaker is not opened for the ringer");
}

/// During a call: the call-waiting tone is heard over the far end; switching the path to the
/// speaker moves the call to the speaker's devices without a break in the call.
#[test]
fn call_waiting_tone_over_a_call_and_a_path_switch() {
    let dir = TempDir::new("engine-path");
    let baresip = start_baresip(&dir.path, "baresip", &BaresipSetup { tone_hz: 600.0, ..BaresipSetup::direct() });
    let (handset, speaker): (PathBuf, PathBuf) = (dir.path.join("handset.wav"), dir.path.join("speaker.wav"));
    let audio = format!("{}\nspeaker.output = \"file:{}\"", mic_and_ear(&dir.path, &handset), speaker.display());
    let phone = start_phone(&dir.path, &audio);
    let id = call_baresip(&phone, &baresip);
    // Dialed with the handset on hook, the device chose the speaker: take the handset.
    assert_eq!(ctl_ok(&phone, "path handset")["audio"]["path"], "handset");
    std::thread::sleep(Duration::from_millis(1500));
    ctl_ok(&phone, "tone call-waiting");
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(ctl_ok(&phone, "path speaker")["audio"]["path"], "speaker");
    std::thread::sleep(Duration::from_millis(2000));
    hang_up(&phone, id, &baresip);
    let (in_handset, rate) = finished_wav(&handset, 2.0, || phone.log());
    // Some 200 ms window holds the 300 ms burst of 440 Hz over baresip's 600 Hz.
    let over = in_handset.windows(rate as usize / 5).step_by(rate as usize / 20).any(|w| {
        let (tone, far) = (tone_share(w, rate, 440.0), tone_share(w, rate, 600.0));
        tone > 0.15 && far > 0.3
    });
    assert!(over, "the call-waiting tone over the call in the handset\n{}", phone.log());
    let tail = before_end(&in_handset, rate, 0.5, 0.0);
    assert!(tone_share(tail, rate, 600.0) > 0.8, "the handset plays the call until the switch");
    let (in_speaker, rate) = finished_wav(&speaker, 1.5, || phone.log());
    let tail = before_end(&in_speaker, rate, 1.2, 0.2);
    assert!(tone_share(tail, rate, 600.0) > 0.8, "the speaker plays the call after the switch");
    let (heard, rate) = baresip.recording();
    let tail = before_end(&heard, rate, 1.5, 0.2);
    assert!(tone_share(tail, rate, MIC_HZ) > 0.8, "the speaker's microphone is heard after the switch");
}
