//! Interop with a real baresip 1.0.0 (Debian package `baresip-core`, installed by
//! scripts/install-deps): calls both ways, direct and through Kamailio, audio proven to arrive
//! by finding each side's tone in what the other side recorded (Goertzel), for PCMU, PCMA,
//! G.722 and Opus; RFC 4733 DTMF each way; hold and resume from either side; BYE from either
//! side; CANCEL before answer from either side.
//!
//! Hardphone's microphone is a WAV file with a 1000 Hz tone, its speaker a WAV file; baresip's
//! source is a WAV file with a 600 Hz tone and what it decodes is written by its `sndfile`
//! module (see tests/support/baresip.rs). "Direct" calls: Hardphone sends every request to its
//! account's server, so the account's server is baresip itself (baresip answers its REGISTERs
//! with 501, which does not keep the phone from calling); baresip calls the phone at its
//! listening address.
//!
//! Every process is stopped by PID when its guard drops; everything listens on 127.0.0.1.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use support::baresip::{start_baresip, Baresip, BaresipSetup, BoundedKamailio, Registrar};
use support::{
    location_table, read_wav, start_kamailio, start_phone, tone_share, wait_until, write_tone_wav, Phone, PhoneSetup,
    TempDir, PASSWORD2, USER, USER2,
};

/// Hardphone's tone.
const PHONE_HZ: f64 = 1000.0;
/// baresip's tone.
const BARESIP_HZ: f64 = 600.0;
/// The phone's device rate.
const RATE: u32 = 16000;

/// Hardphone with the tone microphone and a WAV speaker, its account at `server` (UDP).
struct Hardphone {
    phone: Phone,
    ear: PathBuf,
}

fn start_hardphone(dir: &Path, server: String, auto_answer: Option<&'static str>) -> Hardphone {
    let (mic, ear) = (dir.join("phone-mic.wav"), dir.join("phone-ear.wav"));
    write_tone_wav(&mic, PHONE_HZ, RATE, 2.0);
    let mut setup = PhoneSetup::new(server, "udp");
    setup.audio =
        Some(format!("input = \"file:{}\"\noutput = \"file:{}\"\nsample_rate = {RATE}", mic.display(), ear.display()));
    setup.auto_answer = auto_answer;
    let phone = start_phone(dir, "phone", &setup);
    // Bounded wait for the control socket: the phone is up.
    wait_until(
        "the phone's control socket",
        Duration::from_secs(10),
        || phone.ctl("status")["ok"].as_bool().filter(|ok| *ok),
        || phone.log(),
    );
    Hardphone { phone, ear }
}

/// A direct setup: baresip (auto-answer, `codecs` if given) and Hardphone whose server is it.
fn direct(dir: &TempDir, codecs: Option<&'static str>, auto_answer: bool) -> (Baresip, Hardphone) {
    let setup = BaresipSetup { codecs, auto_answer, ..BaresipSetup::direct() };
    let baresip = start_baresip(&dir.path, "baresip", &setup);
    let phone = start_hardphone(&dir.path, format!("127.0.0.1:{}", baresip.sip_port), None);
    (baresip, phone)
}

/// The URI that reaches the direct baresip.
fn baresip_uri(baresip: &Baresip) -> String {
    format!("sip:{}@127.0.0.1:{}", baresip.user, baresip.sip_port)
}

/// The newest call of the phone once `want` holds (bounded; at once when the call ended
/// otherwise).
fn wait_call(phone: &Phone, baresip: &Baresip, what: &str, want: impl Fn(&Value) -> bool) -> Value {
    let diagnostics =
        || format!("{}\n== baresip events\n{:?}\n== baresip log\n{}", phone.log(), baresip.events(), baresip.log());
    let check = || {
        let status = phone.ctl("status");
        let call = status["calls"].as_array().and_then(|calls| calls.last().cloned())?;
        if want(&call) {
            return Some(call);
        }
        let ended = call["state"].as_str().is_some_and(|s| s.starts_with("ended"));
        assert!(!ended, "{what}: the call ended instead: {call}\n{}", diagnostics());
        None
    };
    wait_until(what, Duration::from_secs(15), check, diagnostics)
}

fn state_is(state: &'static str) -> impl Fn(&Value) -> bool {
    move |call| call["state"].as_str().is_some_and(|s| s.starts_with(state))
}

/// The share of `freq` over the last second of `samples` (all of them when shorter).
fn tail_share(samples: &[i16], rate: u32, freq: f64) -> f64 {
    let tail = &samples[samples.len().saturating_sub(rate as usize)..];
    tone_share(tail, rate, freq)
}

/// Hardphone's recording holds baresip's tone over its last second, not its own.
fn assert_phone_heard_baresip(phone: &Hardphone, baresip: &Baresip) {
    let (samples, rate) = read_wav(&phone.ear);
    assert_eq!(rate, RATE);
    assert!(samples.len() > rate as usize * 3 / 2, "the phone recorded {} samples", samples.len());
    let share = tail_share(&samples, rate, BARESIP_HZ);
    let own = tail_share(&samples, rate, PHONE_HZ);
    assert!(
        share > 0.5 && own < 0.1,
        "the phone hears baresip's {BARESIP_HZ} Hz tone: share {share:.3} (own tone {own:.3})\n{}\n== baresip\n{}",
        phone.phone.log(),
        baresip.log()
    );
}

/// baresip's recording (closed: its call has ended) holds the phone's tone, not its own.
fn assert_baresip_heard_phone(baresip: &Baresip, phone: &Hardphone, expected_rate: Option<u32>) {
    let (samples, rate) = baresip.recording();
    if let Some(expected) = expected_rate {
        assert_eq!(rate, expected, "baresip decodes at the codec's rate");
    }
    assert!(rate > 0 && samples.len() > rate as usize, "baresip recorded {} samples at {rate} Hz", samples.len());
    let share = tail_share(&samples, rate, PHONE_HZ);
    let own = tail_share(&samples, rate, BARESIP_HZ);
    assert!(
        share > 0.5 && own < 0.1,
        "baresip hears the phone's {PHONE_HZ} Hz tone: share {share:.3} (own tone {own:.3})\n{}\n== baresip\n{}",
        baresip.log(),
        phone.phone.log()
    );
}

/// Hardphone calls baresip directly; baresip (forced to `codec`) answers by itself; tones both
/// ways for ~2.5 s; Hardphone hangs up (BYE).
fn hardphone_calls_baresip_with(codec: &'static str, status_codec: &str, baresip_rate: u32) {
    let dir = TempDir::new(&format!("baresip-{}", codec.split('/').next().unwrap_or(codec).to_ascii_lowercase()));
    let (baresip, phone) = direct(&dir, Some(codec), true);
    let dialed = phone.phone.ctl(&format!("dial {}", baresip_uri(&baresip)));
    assert_eq!(dialed["ok"], true, "{dialed}");
    let call = wait_call(&phone.phone, &baresip, "the call is up", state_is("active"));
    assert_eq!(call["codec"], status_codec, "{call}");
    baresip.wait_event("CALL_ESTABLISHED");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(phone.phone.ctl("hangup")["ok"], true);
    wait_call(&phone.phone, &baresip, "the call ended", state_is("ended: LocalHangup"));
    let closed = baresip.wait_event("CALL_CLOSED");
    assert_eq!(closed["direction"], "incoming", "{closed}");
    std::thread::sleep(Duration::from_millis(300)); // the phone's speaker file is closed
    assert_phone_heard_baresip(&phone, &baresip);
    assert_baresip_heard_phone(&baresip, &phone, Some(baresip_rate));
}

#[test]
fn hardphone_calls_baresip_pcmu_and_each_hears_the_other() {
    hardphone_calls_baresip_with("PCMU", "PCMU", 8000);
}

#[test]
fn hardphone_calls_baresip_pcma_and_each_hears_the_other() {
    hardphone_calls_baresip_with("PCMA", "PCMA", 8000);
}

#[test]
fn hardphone_calls_baresip_g722_and_each_hears_the_other() {
    hardphone_calls_baresip_with("G722", "G722", 16000);
}

#[test]
fn hardphone_calls_baresip_opus_and_each_hears_the_other() {
    // baresip loads its `opus` module for this codec; it decodes at 48 kHz, two channels (the
    // first is analysed).
    hardphone_calls_baresip_with("opus/48000/2", "opus", 48000);
}

/// baresip calls Hardphone directly (forced to `codec`); the phone answers by itself
/// (`auto_answer = "always"`); tones both ways for ~2.5 s; baresip hangs up (BYE).
fn baresip_calls_hardphone_with(codec: &'static str, status_codec: &str, baresip_rate: u32) {
    let dir = TempDir::new(&format!("baresip-in-{}", codec.split('/').next().unwrap_or(codec).to_ascii_lowercase()));
    let setup = BaresipSetup { codecs: Some(codec), ..BaresipSetup::direct() };
    let baresip = start_baresip(&dir.path, "baresip", &setup);
    let phone = start_hardphone(&dir.path, format!("127.0.0.1:{}", baresip.sip_port), Some("always"));
    baresip.dial(&format!("sip:{USER}@{}", phone_listen(&phone)));
    let call = wait_call(&phone.phone, &baresip, "the phone answered", state_is("active"));
    assert_eq!(call["direction"], "incoming", "{call}");
    assert_eq!(call["codec"], status_codec, "{call}");
    assert!(phone.phone.log().contains("auto-answered"), "{}", phone.phone.log());
    let established = baresip.wait_event("CALL_ESTABLISHED");
    assert_eq!(established["direction"], "outgoing", "{established}");
    std::thread::sleep(Duration::from_millis(2500));
    baresip.hangup();
    wait_call(&phone.phone, &baresip, "the phone sees the BYE", state_is("ended: RemoteHangup"));
    baresip.wait_event("CALL_CLOSED");
    std::thread::sleep(Duration::from_millis(300));
    assert_phone_heard_baresip(&phone, &baresip);
    assert_baresip_heard_phone(&baresip, &phone, Some(baresip_rate));
}

#[test]
fn baresip_calls_hardphone_g722_which_auto_answers_and_baresip_hangs_up() {
    baresip_calls_hardphone_with("G722", "G722", 16000);
}

#[test]
fn baresip_calls_hardphone_opus_which_auto_answers_and_baresip_hangs_up() {
    baresip_calls_hardphone_with("opus/48000/2", "opus", 48000);
}

/// The phone's SIP listening address, `127.0.0.1:PORT`, from its configuration file.
fn phone_listen(phone: &Hardphone) -> String {
    let config = phone.phone.state_dir.with_file_name("phone.toml");
    let text = std::fs::read_to_string(&config).expect("the phone's configuration");
    let line = text.lines().find(|l| l.starts_with("listen = ")).expect("listen line");
    line.trim_start_matches("listen = ").trim_matches('"').to_owned()
}

/// Kamailio with the phone registered as 1001 and baresip as 1002 (auto-answer when
/// `auto_answer`).
fn through_kamailio(dir: &TempDir, auto_answer: bool) -> (BoundedKamailio, Baresip, Hardphone) {
    let mut kamailio = start_kamailio();
    kamailio.wait_ready();
    let kamailio = BoundedKamailio(kamailio);
    let registrar = Registrar { port: kamailio.port, user: USER2, password: PASSWORD2 };
    let setup = BaresipSetup { registrar: Some(registrar), auto_answer, ..BaresipSetup::direct() };
    let baresip = start_baresip(&dir.path, "baresip", &setup);
    let phone = start_hardphone(&dir.path, format!("127.0.0.1:{}", kamailio.port), None);
    let both = || {
        let table = location_table(&kamailio);
        // baresip's contact is `sip:1002-0x<ua>@...`: look at the AoRs.
        (table.contains(&format!("AoR: {USER}\n")) && table.contains(&format!("AoR: {USER2}\n"))).then_some(())
    };
    wait_until("both registered", Duration::from_secs(15), both, || {
        format!(
            "{}\n== baresip\n{}\n== location table\n{}",
            phone.phone.log(),
            baresip.log(),
            location_table(&kamailio)
        )
    });
    (kamailio, baresip, phone)
}

/// Through Kamailio (407 digest on the INVITE, record-route): Hardphone (1001) dials 1002,
/// baresip answers by itself; tones both ways; baresip hangs up, its BYE routed back through
/// Kamailio.
#[test]
fn through_kamailio_hardphone_calls_baresip_and_baresip_hangs_up() {
    let dir = TempDir::new("baresip-kam-out");
    let (_kamailio, baresip, phone) = through_kamailio(&dir, true);
    assert_eq!(phone.phone.ctl(&format!("dial {USER2}"))["ok"], true);
    let call = wait_call(&phone.phone, &baresip, "the call is up", state_is("active"));
    assert_eq!(call["codec"], "G722", "our first codec, accepted by baresip: {call}");
    let established = baresip.wait_event("CALL_ESTABLISHED");
    assert!(established["peeruri"].as_str().is_some_and(|p| p.contains(&format!("sip:{USER}@"))), "{established}");
    std::thread::sleep(Duration::from_millis(2500));
    baresip.hangup();
    wait_call(&phone.phone, &baresip, "the phone sees the BYE", state_is("ended: RemoteHangup"));
    baresip.wait_event("CALL_CLOSED");
    std::thread::sleep(Duration::from_millis(300));
    assert_phone_heard_baresip(&phone, &baresip);
    assert_baresip_heard_phone(&baresip, &phone, Some(16000));
}

/// Through Kamailio the other way: baresip (1002) dials 1001 (answering the proxy's 407),
/// the phone rings and is answered by `ctl answer`; tones both ways; the phone hangs up.
#[test]
fn through_kamailio_baresip_calls_hardphone_answered_by_ctl() {
    let dir = TempDir::new("baresip-kam-in");
    let (kamailio, baresip, phone) = through_kamailio(&dir, true);
    baresip.dial(&format!("sip:{USER}@127.0.0.1:{}", kamailio.port));
    let ringing = wait_call(&phone.phone, &baresip, "the phone rings", state_is("incoming"));
    assert!(ringing["remote"].as_str().is_some_and(|r| r.contains(&format!("sip:{USER2}@"))), "{ringing}");
    baresip.wait_event("CALL_RINGING");
    let answered = phone.phone.ctl("answer");
    assert_eq!(answered["ok"], true, "{answered}");
    let call = wait_call(&phone.phone, &baresip, "the call is up", state_is("active"));
    baresip.wait_event("CALL_ESTABLISHED");
    let codec = call["codec"].as_str().unwrap_or_default().to_owned();
    assert!(["G722", "PCMU", "PCMA"].contains(&codec.as_str()), "{call}");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(phone.phone.ctl("hangup")["ok"], true);
    wait_call(&phone.phone, &baresip, "the call ended", state_is("ended: LocalHangup"));
    baresip.wait_event("CALL_CLOSED");
    std::thread::sleep(Duration::from_millis(300));
    assert_phone_heard_baresip(&phone, &baresip);
    assert_baresip_heard_phone(&baresip, &phone, Some(if codec == "G722" { 16000 } else { 8000 }));
}

/// RFC 4733 both ways on one direct call: `ctl dtmf 123#` reaches baresip as
/// `CALL_DTMF_START` events 1, 2, 3, #; baresip's `sndcode 45*#` reaches the phone as `Dtmf`
/// begin events for 4, 5, *, # (its log).
#[test]
fn dtmf_each_way() {
    let dir = TempDir::new("baresip-dtmf");
    let (baresip, phone) = direct(&dir, None, true);
    assert_eq!(phone.phone.ctl(&format!("dial {}", baresip_uri(&baresip)))["ok"], true);
    wait_call(&phone.phone, &baresip, "the call is up", state_is("active"));
    baresip.wait_event("CALL_ESTABLISHED");
    std::thread::sleep(Duration::from_millis(300));
    let sent = phone.phone.ctl("dtmf 123#");
    assert_eq!(sent["ok"], true, "{sent}");
    let starts = baresip.wait_events("CALL_DTMF_START", 4, Duration::from_secs(10));
    let digits: Vec<&str> = starts.iter().filter_map(|e| e["param"].as_str()).collect();
    assert_eq!(digits, ["1", "2", "3", "#"], "baresip's DTMF events: {starts:?}");
    baresip.send_dtmf("45*#");
    let expected = ["Digit4", "Digit5", "Star", "Pound"];
    let begins = || {
        let log = phone.phone.log();
        let seen: Vec<String> = log
            .lines()
            .filter_map(|l| l.split("Dtmf(Begin { event: ").nth(1))
            .filter_map(|rest| rest.split(',').next())
            .map(str::to_owned)
            .collect();
        (seen.len() >= expected.len()).then_some(seen)
    };
    let seen = wait_until("the phone logs 4 DTMF begin events", Duration::from_secs(10), begins, || {
        format!("{}\n== baresip\n{}", phone.phone.log(), baresip.log())
    });
    assert_eq!(seen, expected, "{}", phone.phone.log());
    assert_eq!(phone.phone.ctl("hangup")["ok"], true);
    baresip.wait_event("CALL_CLOSED");
}

/// Hold and resume from the phone: baresip gets two re-INVITEs (`CALL_REMOTE_SDP` offers),
/// answers recvonly then sendrecv (its `audio_debug`), keeps the call; while held the phone
/// hears nothing (baresip stops sending), after the resume baresip's tone is back.
#[test]
fn hold_and_resume_from_hardphone() {
    let dir = TempDir::new("baresip-hold");
    let (baresip, phone) = direct(&dir, Some("PCMU"), true);
    assert_eq!(phone.phone.ctl(&format!("dial {}", baresip_uri(&baresip)))["ok"], true);
    wait_call(&phone.phone, &baresip, "the call is up", state_is("active"));
    baresip.wait_event("CALL_ESTABLISHED");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(baresip.audio_debug().contains("dir=sendrecv"));
    assert_eq!(phone.phone.ctl("hold")["ok"], true);
    wait_call(&phone.phone, &baresip, "the phone holds", state_is("held"));
    baresip.wait_events("CALL_REMOTE_SDP", 2, Duration::from_secs(10));
    let held = baresip.audio_debug();
    assert!(held.contains("audio dir=recvonly"), "baresip answers the hold recvonly:\n{held}");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(phone.phone.ctl("resume")["ok"], true);
    wait_call(&phone.phone, &baresip, "the phone resumes", state_is("active"));
    baresip.wait_events("CALL_REMOTE_SDP", 3, Duration::from_secs(10));
    let resumed = baresip.audio_debug();
    assert!(resumed.contains("audio dir=sendrecv"), "baresip answers the resume sendrecv:\n{resumed}");
    std::thread::sleep(Duration::from_millis(2000));
    assert!(baresip.events_of("CALL_CLOSED").is_empty(), "baresip kept the call: {:?}", baresip.events());
    assert_eq!(phone.phone.ctl("hangup")["ok"], true);
    wait_call(&phone.phone, &baresip, "the call ended", state_is("ended: LocalHangup"));
    baresip.wait_event("CALL_CLOSED");
    std::thread::sleep(Duration::from_millis(300));
    // After the resume: baresip's tone again.
    assert_phone_heard_baresip(&phone, &baresip);
    // While held: the deskphone turns its audio off (nothing of the far end is played; a
    // held call is not mixed), and back on at the resume.
    let log = phone.phone.log();
    let held_at = log.find("state=held").expect("held in the log");
    let after_hold = &log[held_at..];
    let off = after_hold.find("audio path open input=null output=null");
    let resumed = after_hold.find("state=active");
    assert!(off.is_some() && off < resumed, "the audio is off while held\n{log}");
    // Before the hold (baresip's recording stops at the first re-INVITE): the phone's tone.
    assert_baresip_heard_phone(&baresip, &phone, Some(8000));
}

fn rms(samples: &[i16]) -> f64 {
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / samples.len().max(1) as f64).sqrt()
}

/// CANCEL before answer: baresip rings (manual answer); the phone hangs up while it rings
/// out; baresip's call closes without being established; the phone's call ends LocalHangup.
#[test]
fn cancel_before_answer() {
    let dir = TempDir::new("baresip-cancel");
    let (baresip, phone) = direct(&dir, None, false);
    assert_eq!(phone.phone.ctl(&format!("dial {}", baresip_uri(&baresip)))["ok"], true);
    baresip.wait_event("CALL_INCOMING");
    wait_call(&phone.phone, &baresip, "the phone hears ringing", state_is("ringing"));
    assert_eq!(phone.phone.ctl("hangup")["ok"], true);
    let closed = baresip.wait_event("CALL_CLOSED");
    assert!(baresip.events_of("CALL_ESTABLISHED").is_empty(), "{:?}", baresip.events());
    wait_call(&phone.phone, &baresip, "the call ended", state_is("ended: LocalHangup"));
    assert_eq!(closed["direction"], "incoming", "{closed}");
}

/// CANCEL before answer the other way: baresip calls the phone (no auto-answer), the phone
/// rings, baresip hangs up while it rings out; the phone's call ends `Cancelled`.
#[test]
fn baresip_cancels_before_the_phone_answers() {
    let dir = TempDir::new("baresip-cancel-in");
    let baresip = start_baresip(&dir.path, "baresip", &BaresipSetup::direct());
    let phone = start_hardphone(&dir.path, format!("127.0.0.1:{}", baresip.sip_port), None);
    baresip.dial(&format!("sip:{USER}@{}", phone_listen(&phone)));
    wait_call(&phone.phone, &baresip, "the phone rings", state_is("incoming"));
    baresip.wait_event("CALL_RINGING");
    baresip.hangup();
    wait_call(&phone.phone, &baresip, "the ringing stops", state_is("ended: Cancelled"));
    baresip.wait_event("CALL_CLOSED");
    assert!(baresip.events_of("CALL_ESTABLISHED").is_empty(), "{:?}", baresip.events());
    let refused = phone.phone.ctl("answer");
    assert_eq!(refused["ok"], false, "nothing left to answer: {refused}");
}

/// Hold and resume from baresip (`hold`, `resume`: re-INVITEs sendonly, then sendrecv): the
/// phone shows `remote-hold`, then `active`; while held it hears nothing, after the resume
/// baresip's tone again.
#[test]
fn hold_and_resume_from_baresip() {
    let dir = TempDir::new("baresip-remote-hold");
    let (baresip, phone) = direct(&dir, Some("G722"), true);
    assert_eq!(phone.phone.ctl(&format!("dial {}", baresip_uri(&baresip)))["ok"], true);
    wait_call(&phone.phone, &baresip, "the call is up", state_is("active"));
    baresip.wait_event("CALL_ESTABLISHED");
    std::thread::sleep(Duration::from_millis(1000));
    baresip.hold();
    wait_call(&phone.phone, &baresip, "the phone sees the hold", state_is("remote-hold"));
    std::thread::sleep(Duration::from_millis(1500));
    baresip.resume();
    wait_call(&phone.phone, &baresip, "the phone sees the resume", state_is("active"));
    std::thread::sleep(Duration::from_millis(2000));
    assert!(baresip.events_of("CALL_CLOSED").is_empty(), "baresip kept the call: {:?}", baresip.events());
    assert_eq!(phone.phone.ctl("hangup")["ok"], true);
    wait_call(&phone.phone, &baresip, "the call ended", state_is("ended: LocalHangup"));
    baresip.wait_event("CALL_CLOSED");
    std::thread::sleep(Duration::from_millis(300));
    assert_phone_heard_baresip(&phone, &baresip);
    let (samples, rate) = read_wav(&phone.ear);
    let quiet: Vec<bool> = samples.chunks(rate as usize / 10).map(|w| rms(w) < 100.0).collect();
    let longest = quiet.split(|q| !q).map(<[bool]>::len).max().unwrap_or(0);
    assert!(longest >= 5, "a silent stretch while held: {longest} x 100 ms\n{}", phone.phone.log());
}
