//! Call transfer against real peers, every call through a Kamailio started by the test
//! (users 1001, 1002 and 1003 with digest; INVITEs routed to registered contacts,
//! record-routed):
//!
//! 1. Blind transfer by Hardphone (RFC 3515): Hardphone A (1001) calls baresip B (1002), then
//!    `ctl transfer 1003`; B calls C (a second Hardphone, 1003, auto-answer), A hangs up when
//!    B's NOTIFY says `SIP/2.0 200`, and B and C hear each other's tones.
//! 2. Attended transfer by Hardphone (RFC 5589 §7, RFC 3891): A calls B, holds, calls C, and
//!    `ctl transfer call-N` (N: the consultation call) sends B a REFER whose Refer-To carries
//!    `?Replaces=`; B's INVITE with Replaces takes C's call with A over, C hangs up A, A hangs
//!    up B on the NOTIFY 200. The transferee B is sipp here, not baresip: baresip 1.0.0 puts a
//!    Refer-To URI into its new INVITE as it is, with no Replaces header (neither baresip nor
//!    its libre 1.1.0 implement RFC 3891: the word does not occur in either binary), and it
//!    does not honour a received Replaces either, so swapping roles (baresip as C) would not
//!    replace anything. sipp plays what a transferee does (`tests/sipp/attended_transferee.xml`):
//!    answers, accepts the REFER, decodes the Replaces from the Refer-To URI and INVITEs C with
//!    it through Kamailio (answering its 407), and reports by NOTIFY. sipp is made 1002 by a
//!    binding added over Kamailio's RPC (`ul.add`), its requests all go to Kamailio (`-rsa`).
//! 3. A received REFER obeyed: baresip B, in a call with A, runs `transfer sip:1003@127.0.0.1`;
//!    A calls C, is connected, reports by NOTIFY, and B ends its call with A.
//!
//! Every check polls `ctl status` (bounded); every process is stopped by PID when its guard
//! drops (Kamailio last); everything listens on 127.0.0.1 on free ports, so the tests run in
//! parallel.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::baresip::{start_baresip, Baresip, BaresipSetup, BoundedKamailio, Registrar};
use support::{
    free_port, location_table, read_wav, start_kamailio, start_phone, tone_share, wait_until, write_tone_wav, Phone,
    PhoneSetup, TempDir, PASSWORD, PASSWORD2, PASSWORD3, USER, USER2, USER3,
};

/// A's tone.
const A_HZ: f64 = 1000.0;
/// C's tone.
const C_HZ: f64 = 1400.0;
/// baresip's tone.
const BARESIP_HZ: f64 = 600.0;
/// The phones' device rate.
const RATE: u32 = 16000;
/// The longest wait for anything that should happen within a few seconds.
const WAIT: Duration = Duration::from_secs(15);

/// A Hardphone with a tone microphone and a WAV speaker.
struct Hardphone {
    phone: Phone,
    ear: PathBuf,
}

/// Starts Hardphone `name` as `user` at Kamailio (UDP), its microphone a `tone_hz` tone.
fn start_hardphone(
    dir: &Path,
    name: &str,
    (user, password): (&'static str, &'static str),
    kamailio: &BoundedKamailio,
    auto_answer: Option<&'static str>,
    tone_hz: f64,
) -> Hardphone {
    let (mic, ear) = (dir.join(format!("{name}-mic.wav")), dir.join(format!("{name}-ear.wav")));
    write_tone_wav(&mic, tone_hz, RATE, 2.0);
    let mut setup = PhoneSetup::new(format!("127.0.0.1:{}", kamailio.port), "udp");
    setup.user = user;
    setup.password = password;
    setup.auto_answer = auto_answer;
    setup.audio =
        Some(format!("input = \"file:{}\"\noutput = \"file:{}\"\nsample_rate = {RATE}", mic.display(), ear.display()));
    let phone = start_phone(dir, name, &setup);
    wait_until(
        &format!("{name}'s control socket"),
        Duration::from_secs(10),
        || phone.ctl("status")["ok"].as_bool().filter(|ok| *ok),
        || phone.log(),
    );
    Hardphone { phone, ear }
}

/// Kamailio, up, stopped in bounded time when dropped.
fn kamailio() -> BoundedKamailio {
    let mut kamailio = start_kamailio();
    kamailio.wait_ready();
    BoundedKamailio(kamailio)
}

/// Waits (bounded) until Kamailio has a binding for each of `users`.
fn wait_registered(kamailio: &BoundedKamailio, users: &[&str], diagnostics: &dyn Fn() -> String) {
    let all = || {
        let table = location_table(kamailio);
        users.iter().all(|user| table.contains(&format!("AoR: {user}\n"))).then_some(())
    };
    wait_until(&format!("{users:?} registered"), WAIT, all, || {
        format!("{}\n== location table\n{}", diagnostics(), location_table(kamailio))
    });
}

/// The calls a phone's `ctl status` lists.
fn calls(phone: &Phone) -> Vec<Value> {
    phone.ctl("status")["calls"].as_array().cloned().unwrap_or_default()
}

/// Waits (bounded) until the phone's calls satisfy `want`; returns them.
fn wait_calls(
    phone: &Phone,
    what: &str,
    want: impl Fn(&[Value]) -> bool,
    diagnostics: &dyn Fn() -> String,
) -> Vec<Value> {
    let check = || {
        let calls = calls(phone);
        want(&calls).then_some(calls)
    };
    wait_until(what, WAIT, check, || format!("calls: {:?}\n{}", calls(phone), diagnostics()))
}

fn state(call: &Value) -> &str {
    call["state"].as_str().unwrap_or_default()
}

fn is_active(call: &Value) -> bool {
    state(call) == "active"
}

fn is_ended(call: &Value) -> bool {
    state(call).starts_with("ended")
}

/// Whether the call's far end is `user` (its `remote` names `sip:user@`).
fn with(call: &Value, user: &str) -> bool {
    call["remote"].as_str().is_some_and(|r| r.contains(&format!("sip:{user}@")))
}

/// Every call ended, and there was at least one.
fn none_left(calls: &[Value]) -> bool {
    !calls.is_empty() && calls.iter().all(is_ended)
}

/// The share of `freq` over the last second of `samples`.
fn tail_share(samples: &[i16], rate: u32, freq: f64) -> f64 {
    tone_share(&samples[samples.len().saturating_sub(rate as usize)..], rate, freq)
}

/// The logs of every party, for failure messages.
fn logs(phones: &[(&str, &Hardphone)], baresip: Option<&Baresip>, kamailio: &BoundedKamailio) -> String {
    let mut text: String = phones.iter().map(|(name, p)| format!("== {name}\n{}\n", p.phone.log())).collect();
    if let Some(baresip) = baresip {
        text.push_str(&format!("== baresip events\n{:?}\n== baresip\n{}\n", baresip.events(), baresip.log()));
    }
    text + &format!("== kamailio\n{}", kamailio.log())
}

/// baresip as 1002 at Kamailio, auto-answer, every request through Kamailio.
fn start_baresip_1002(dir: &TempDir, kamailio: &BoundedKamailio) -> Baresip {
    let registrar = Registrar { port: kamailio.port, user: USER2, password: PASSWORD2 };
    let setup = BaresipSetup { registrar: Some(registrar), outbound_proxy: true, ..BaresipSetup::direct() };
    start_baresip(&dir.path, "baresip", &setup)
}

/// Blind transfer by Hardphone: A calls baresip B; `ctl transfer 1003`; B calls C; A's call
/// ends when B's NOTIFY reports 200 (A hung up: `LocalHangup`); B and C hear each other.
#[test]
fn blind_transfer_by_hardphone_baresip_calls_the_target() {
    let dir = TempDir::new("xfer-blind");
    let kamailio = kamailio();
    let baresip = start_baresip_1002(&dir, &kamailio);
    let a = start_hardphone(&dir.path, "a", (USER, PASSWORD), &kamailio, None, A_HZ);
    let c = start_hardphone(&dir.path, "c", (USER3, PASSWORD3), &kamailio, Some("always"), C_HZ);
    let diagnostics = || logs(&[("A", &a), ("C", &c)], Some(&baresip), &kamailio);
    wait_registered(&kamailio, &[USER, USER2, USER3], &diagnostics);

    assert_eq!(a.phone.ctl(&format!("dial {USER2}"))["ok"], true);
    wait_calls(&a.phone, "A's call with B is up", |calls| calls.iter().any(is_active), &diagnostics);
    baresip.wait_event("CALL_ESTABLISHED");
    // baresip names its recordings by the second: the new call's must be a later one.
    std::thread::sleep(Duration::from_millis(1200));

    let transferred = a.phone.ctl(&format!("transfer {USER3}"));
    assert_eq!(transferred["ok"], true, "{transferred}");
    let transfer = baresip.wait_event("TRANSFER");
    assert!(transfer["param"].as_str().is_some_and(|p| p.contains(&format!("sip:{USER3}@"))), "{transfer}");
    let c_calls = wait_calls(
        &c.phone,
        "C is connected with B",
        |calls| calls.iter().any(|call| is_active(call) && with(call, USER2)),
        &diagnostics,
    );
    assert_eq!(c_calls.len(), 1, "{c_calls:?}");
    let a_calls = wait_calls(&a.phone, "A's call with B ends", none_left, &diagnostics);
    assert_eq!(a_calls.len(), 1, "{a_calls:?}");
    assert_eq!(state(&a_calls[0]), "ended: LocalHangup", "A hangs up on the NOTIFY 200: {a_calls:?}");
    baresip.wait_events("CALL_ESTABLISHED", 2, WAIT);
    baresip.wait_event("CALL_CLOSED");

    // B and C talk; C hangs up; each heard the other.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(c.phone.ctl("hangup")["ok"], true);
    wait_calls(&c.phone, "C's call ended", none_left, &diagnostics);
    baresip.wait_events("CALL_CLOSED", 2, WAIT);
    std::thread::sleep(Duration::from_millis(300));
    let (heard, rate) = read_wav(&c.ear);
    let (b_share, own) = (tail_share(&heard, rate, BARESIP_HZ), tail_share(&heard, rate, C_HZ));
    assert!(b_share > 0.5 && own < 0.1, "C hears B: {b_share:.3} (own {own:.3})\n{}", diagnostics());
    let (heard, rate) = baresip.recording();
    let (c_share, a_share) = (tail_share(&heard, rate, C_HZ), tail_share(&heard, rate, A_HZ));
    assert!(c_share > 0.5 && a_share < 0.1, "B hears C: {c_share:.3} (A {a_share:.3})\n{}", diagnostics());
}

/// sipp, killed (by PID) when dropped if it has not exited.
struct Sipp {
    child: Child,
    dir: PathBuf,
}

impl Drop for Sipp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sipp {
    /// Starts sipp as a UAS playing `tests/sipp/<scenario>` once on 127.0.0.1 (UDP), sending
    /// everything to `kamailio`, traces in `dir`; waits (bounded) until it listens.
    fn start(dir: &Path, scenario: &str, kamailio: &BoundedKamailio) -> (Sipp, u16) {
        let port = free_port();
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sipp").join(scenario);
        let out = std::fs::File::create(dir.join("sipp.out")).expect("sipp output file");
        let spawned = Command::new("sipp")
            .arg("-sf")
            .arg(&file)
            .args(["-i", "127.0.0.1", "-p", &port.to_string(), "-t", "u1", "-m", "1", "-nostdin"])
            .args(["-rsa", &format!("127.0.0.1:{}", kamailio.port)])
            // No `-mp`: sipp then looks for free RTP ports itself (from 6000 on).
            .args(["-timeout", "40s", "-timeout_error"])
            .args(["-trace_msg", "-message_file"])
            .arg(dir.join("messages.log"))
            .args(["-trace_err", "-error_file"])
            .arg(dir.join("errors.log"))
            .args(["-trace_logs", "-log_file"])
            .arg(dir.join("actions.log"))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("sipp output"))
            .stderr(out)
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) => {
                panic!("cannot start sipp ({e}): ./scripts/install-deps installs it (apt-get install -y sip-tester)")
            }
        };
        let mut sipp = Sipp { child, dir: dir.to_owned() };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = sipp.child.try_wait().expect("wait") {
                panic!("sipp exited at once ({status})\n{}", sipp.diagnostics());
            }
            if std::net::UdpSocket::bind(("127.0.0.1", port)).is_err() {
                return (sipp, port);
            }
            assert!(Instant::now() < deadline, "sipp did not listen\n{}", sipp.diagnostics());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// sipp's screen output, unexpected messages, scenario log lines and message trace.
    fn diagnostics(&self) -> String {
        ["sipp.out", "errors.log", "actions.log", "messages.log"]
            .iter()
            .map(|f| format!("== sipp {f}\n{}\n", std::fs::read_to_string(self.dir.join(f)).unwrap_or_default()))
            .collect()
    }

    /// Waits (bounded) for sipp to end the scenario and exit.
    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "sipp did not finish the scenario\n{}", self.diagnostics());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Adds a binding of `user` at `contact` to Kamailio's location table (RPC `ul.add`, as a
/// REGISTER would).
fn add_binding(kamailio: &BoundedKamailio, user: &str, contact: &str) {
    let socket = format!("unix:{}", kamailio.dir.join("ctl.sock").display());
    let output = Command::new("/usr/sbin/kamcmd")
        .args(["-s", &socket, "ul.add", "location", &format!("s:{user}"), contact, "3600", "1.0", "s:0", "0", "0", "0"])
        .output()
        .expect("kamcmd");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && !text.contains("error"), "ul.add: {text}");
}

/// Attended transfer by Hardphone: A calls B (sipp, the transferee), holds it, calls C
/// (Hardphone, auto-answer), and transfers B to C (`ctl transfer call-N`). B's INVITE with
/// Replaces takes over C's call with A: C hangs that one up, keeps the one with B; A, told by
/// the NOTIFY 200, hangs up B: A has no call left. sipp's exit status 0 says every message of
/// the transferee's side came as the scenario expects.
#[test]
fn attended_transfer_by_hardphone_target_call_replaced() {
    let dir = TempDir::new("xfer-attended");
    let kamailio = kamailio();
    let (mut sipp, sipp_port) = Sipp::start(&dir.path, "attended_transferee.xml", &kamailio);
    add_binding(&kamailio, USER2, &format!("sip:{USER2}@127.0.0.1:{sipp_port}"));
    let a = start_hardphone(&dir.path, "a", (USER, PASSWORD), &kamailio, None, A_HZ);
    let c = start_hardphone(&dir.path, "c", (USER3, PASSWORD3), &kamailio, Some("always"), C_HZ);
    let diagnostics = || logs(&[("A", &a), ("C", &c)], None, &kamailio) + &sipp.diagnostics();
    wait_registered(&kamailio, &[USER, USER2, USER3], &diagnostics);

    let dialed = a.phone.ctl(&format!("dial {USER2}"));
    assert_eq!(dialed["ok"], true, "{dialed}");
    let to_b = dialed["call"].as_u64().expect("call id");
    wait_calls(&a.phone, "A's call with B is up", |calls| calls.iter().any(is_active), &diagnostics);
    assert_eq!(a.phone.ctl("hold")["ok"], true);
    wait_calls(&a.phone, "A holds B", |calls| calls.iter().any(|call| state(call) == "held"), &diagnostics);
    // The hold is answered (A's stream turns send-only) before anything else: sipp expects its
    // ACK before the REFER.
    let hold_answered = || a.phone.log().contains("direction=SendOnly").then_some(());
    wait_until("B answers the hold", WAIT, hold_answered, diagnostics);
    let dialed = a.phone.ctl(&format!("dial {USER3}"));
    assert_eq!(dialed["ok"], true, "{dialed}");
    let to_c = dialed["call"].as_u64().expect("call id");
    let consult = |calls: &[Value]| calls.iter().any(|call| is_active(call) && call["id"] == to_c);
    wait_calls(&a.phone, "A's consultation call with C is up", consult, &diagnostics);
    wait_calls(
        &c.phone,
        "C is in a call with A",
        |calls| calls.iter().any(|call| is_active(call) && with(call, USER)),
        &diagnostics,
    );

    let transferred = a.phone.ctl(&format!("transfer call-{to_c}"));
    assert_eq!(transferred, serde_json::json!({ "ok": true, "call": to_b }), "{}", diagnostics());
    let c_calls = wait_calls(
        &c.phone,
        "B's call replaces A's at C",
        |calls| {
            calls.iter().any(|call| is_active(call) && with(call, USER2))
                && calls.iter().filter(|call| with(call, USER)).all(is_ended)
        },
        &diagnostics,
    );
    assert_eq!(c_calls.len(), 2, "{c_calls:?}");
    let a_calls = wait_calls(&a.phone, "A has no call left", none_left, &diagnostics);
    let state_of = |id: u64| a_calls.iter().find(|call| call["id"] == id).map(state).unwrap_or_default().to_owned();
    assert_eq!(state_of(to_b), "ended: LocalHangup", "A hung up B on the NOTIFY 200: {a_calls:?}");
    assert_eq!(state_of(to_c), "ended: RemoteHangup", "C ended the replaced call: {a_calls:?}");

    assert_eq!(c.phone.ctl("hangup")["ok"], true);
    let status = sipp.wait_exit();
    let logs = logs(&[("A", &a), ("C", &c)], None, &kamailio);
    assert!(status.success(), "sipp: {status}\n{logs}{}", sipp.diagnostics());
}

/// A received REFER obeyed: baresip B, in a call with A, transfers A to C
/// (`transfer sip:1003@127.0.0.1`); A calls C (through Kamailio, its own server) and is
/// connected; B ends its call with A once A's NOTIFY reports 200.
#[test]
fn baresip_transfers_hardphone_which_calls_the_target() {
    let dir = TempDir::new("xfer-obey");
    let kamailio = kamailio();
    let baresip = start_baresip_1002(&dir, &kamailio);
    let a = start_hardphone(&dir.path, "a", (USER, PASSWORD), &kamailio, None, A_HZ);
    let c = start_hardphone(&dir.path, "c", (USER3, PASSWORD3), &kamailio, Some("always"), C_HZ);
    let diagnostics = || logs(&[("A", &a), ("C", &c)], Some(&baresip), &kamailio);
    wait_registered(&kamailio, &[USER, USER2, USER3], &diagnostics);

    let dialed = a.phone.ctl(&format!("dial {USER2}"));
    assert_eq!(dialed["ok"], true, "{dialed}");
    let to_b = dialed["call"].as_u64().expect("call id");
    wait_calls(&a.phone, "A's call with B is up", |calls| calls.iter().any(is_active), &diagnostics);
    baresip.wait_event("CALL_ESTABLISHED");

    baresip.transfer(&format!("sip:{USER3}@127.0.0.1"));
    let a_calls = wait_calls(
        &a.phone,
        "A is connected with C and B's call ended",
        |calls| {
            let to_c = calls.iter().any(|call| call["id"] != to_b && is_active(call) && with(call, USER3));
            let b_ended = calls.iter().any(|call| call["id"] == to_b && is_ended(call));
            to_c && b_ended
        },
        &diagnostics,
    );
    assert_eq!(a_calls.len(), 2, "{a_calls:?}");
    let b_call = a_calls.iter().find(|call| call["id"] == to_b).expect("the call with B");
    assert_eq!(state(b_call), "ended: RemoteHangup", "B hung up: {a_calls:?}");
    let closed = baresip.wait_event("CALL_CLOSED");
    assert_eq!(closed["direction"], "incoming", "{closed}");
    wait_calls(
        &c.phone,
        "C is connected with A",
        |calls| calls.iter().any(|call| is_active(call) && with(call, USER)),
        &diagnostics,
    );

    assert_eq!(a.phone.ctl("hangup")["ok"], true);
    wait_calls(&c.phone, "C's call ended", none_left, &diagnostics);
}
