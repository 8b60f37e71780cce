//! The baresip rig of the interop tests: a real baresip 1.0.0 (Debian package `baresip-core`)
//! started headless with a configuration directory written here, driven over its `ctrl_tcp`
//! module (netstring-framed JSON commands and events on a TCP port of 127.0.0.1), and killed
//! by PID when dropped, even when a test fails.
//!
//! What baresip 1.0.0 offers a test, as found by running it:
//! - audio in: `audio_source aufile,<wav>` reads a WAV file (16-bit; `ausrc_srate` and
//!   `ausrc_channels` must match the file, baresip resamples to the codec). The file is not
//!   looped: at its end the source reports an error and baresip ends the call, so the tone file
//!   is made longer than any call.
//! - audio out: 1.0.0's `aufile` has no player. The `sndfile` module (an audio filter) writes
//!   what baresip encodes and decodes to `snd_path/dump-<time>-enc.wav` and `...-dec.wav`, at
//!   the codec's rate; the `-dec` file is what baresip heard. Limitation of 1.0.0: a re-INVITE
//!   resets the receive filter chain without rebuilding it (`audio rx pipeline: (play) <---
//!   PCMU` after it, see [`Baresip::audio_debug`]), so the `-dec` file ends at the first
//!   re-INVITE. No player module is loaded (none is needed to decode).
//! - control: `ctrl_tcp` runs the long commands of the `menu` module (`dial`, `accept`,
//!   `hangup`, `hold`, `resume`, `sndcode` (DTMF, during a call), `audio_debug`, `transfer`
//!   (blind, REFER), ...) and sends every UA event (`CALL_INCOMING`, `CALL_ESTABLISHED`,
//!   `CALL_CLOSED`, `CALL_DTMF_START`, `CALL_REMOTE_SDP`, `REGISTER_OK`, `TRANSFER` (a REFER
//!   received, its Refer-To as `param`), ...) to every connection.
//! - transfer: on a REFER baresip calls the Refer-To URI as it is (no Replaces header: 1.0.0
//!   has no RFC 3891) and ends the referring call on a NOTIFY with a 2xx sipfrag.
//! - SIP: `sip_listen 127.0.0.1:P` binds UDP and TCP on P and TLS on P+1; `net_interface
//!   127.0.0.1` makes the SDP name 127.0.0.1 (otherwise the host's first interface).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{free_port, Kamailio};

/// The binary (package `baresip-core`).
pub const BARESIP: &str = "/usr/bin/baresip";
/// Where the package puts the modules.
const MODULES: &str = "/usr/lib/baresip/modules";
/// The user part of baresip's account when it is not registered (reached directly).
pub const DIRECT_USER: &str = "bob";
/// The rate of the tone file baresip sends (`ausrc_srate`).
const SOURCE_RATE: u32 = 16000;
/// The tone file's length: longer than any call (baresip ends the call at its end).
const SOURCE_SECONDS: f64 = 40.0;

/// A registrar baresip registers with.
pub struct Registrar {
    /// Its UDP port on 127.0.0.1.
    pub port: u16,
    pub user: &'static str,
    pub password: &'static str,
}

/// How [`start_baresip`] sets baresip up.
pub struct BaresipSetup {
    /// `None`: one account `sip:bob@127.0.0.1` that does not register, called directly at
    /// `sip:bob@127.0.0.1:<sip_port>`.
    pub registrar: Option<Registrar>,
    /// The account's `audio_codecs` (e.g. `PCMU`, `G722`, `opus/48000/2`): only these are
    /// offered and accepted. All loaded codecs when `None`.
    pub codecs: Option<&'static str>,
    /// `answermode=auto` (answers every call at once); `manual` rings until `accept`.
    pub auto_answer: bool,
    /// The frequency of the tone baresip sends (its "microphone").
    pub tone_hz: f64,
    /// With a registrar: every request goes through it (`outbound=` in the account), as a
    /// desk phone behind a PBX, so a call to `sip:user@127.0.0.1` (no port) reaches the
    /// registrar's users. Needed where baresip calls a URI it was given (a transfer target).
    pub outbound_proxy: bool,
}

impl BaresipSetup {
    /// Direct (no registrar), all codecs, auto-answer, a 600 Hz tone.
    pub fn direct() -> BaresipSetup {
        BaresipSetup { registrar: None, codecs: None, auto_answer: true, tone_hz: 600.0, outbound_proxy: false }
    }
}

/// A running baresip with a control connection, stopped by PID when dropped.
pub struct Baresip {
    child: Child,
    /// Its configuration directory (`baresip -f DIR`), with its log and recordings.
    pub dir: PathBuf,
    /// Its SIP port (UDP and TCP) on 127.0.0.1.
    pub sip_port: u16,
    /// The user part of its account.
    pub user: String,
    control: TcpStream,
    /// Everything baresip sent on the control connection (responses and events), in order.
    messages: Arc<Mutex<Vec<Value>>>,
    stop: Arc<AtomicBool>,
    reader: Option<std::thread::JoinHandle<()>>,
    token: AtomicU64,
}

/// A port P such that P (UDP and TCP) and P+1 (TCP: baresip's TLS listener) are free.
fn free_port_pair() -> u16 {
    for _ in 0..50 {
        let port = free_port();
        if port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no free pair of ports");
}

/// baresip's `config` file.
fn config(dir: &Path, sip_port: u16, control_port: u16, source: &Path, opus: bool) -> String {
    let mut modules = vec!["g711.so", "g722.so"];
    if opus {
        modules.push("opus.so");
    }
    modules.extend(["aufile.so", "sndfile.so"]);
    let mut lines = vec![
        "# written by crates/hardphone/tests/support/baresip.rs".to_owned(),
        "poll_method\t\tepoll".to_owned(),
        format!("sip_listen\t\t127.0.0.1:{sip_port}"),
        "net_interface\t\t127.0.0.1".to_owned(),
        "call_local_timeout\t120".to_owned(),
        "call_max_calls\t\t4".to_owned(),
        format!("audio_source\t\taufile,{}", source.display()),
        format!("ausrc_srate\t\t{SOURCE_RATE}"),
        "ausrc_channels\t\t1".to_owned(),
        "rtcp_mux\t\tno".to_owned(),
        "jitter_buffer_delay\t5-10".to_owned(),
        "rtp_stats\t\tno".to_owned(),
        format!("module_path\t\t{MODULES}"),
    ];
    lines.extend(modules.iter().map(|m| format!("module\t\t\t{m}")));
    lines.extend(
        ["module_tmp\t\tuuid.so", "module_tmp\t\taccount.so", "module_app\t\tmenu.so", "module_app\t\tctrl_tcp.so"]
            .map(String::from),
    );
    lines.push(format!("ctrl_tcp_listen\t\t127.0.0.1:{control_port}"));
    lines.push(format!("snd_path\t\t{}", dir.join("rec").display()));
    lines.push("statmode_default\toff".to_owned());
    lines.push("opus_bitrate\t\t64000".to_owned());
    lines.join("\n") + "\n"
}

/// baresip's `accounts` file: one account.
fn accounts(setup: &BaresipSetup) -> String {
    let mut line = match &setup.registrar {
        Some(r) => format!("<sip:{}@127.0.0.1:{};transport=udp>;auth_pass={};regint=300", r.user, r.port, r.password),
        None => format!("<sip:{DIRECT_USER}@127.0.0.1>;regint=0"),
    };
    if let Some(r) = setup.registrar.as_ref().filter(|_| setup.outbound_proxy) {
        line.push_str(&format!(";outbound=\"sip:127.0.0.1:{};transport=udp\"", r.port));
    }
    line.push_str(if setup.auto_answer { ";answermode=auto" } else { ";answermode=manual" });
    if let Some(codecs) = setup.codecs {
        line.push_str(&format!(";audio_codecs={codecs}"));
    }
    line + "\n"
}

/// Starts `baresip -4 -f DIR` with DIR = `parent/name`, its log in `DIR/baresip.log`, and
/// connects to its control port (bounded wait).
pub fn start_baresip(parent: &Path, name: &str, setup: &BaresipSetup) -> Baresip {
    assert!(
        Path::new(BARESIP).exists() && Path::new(MODULES).join("g722.so").exists(),
        "baresip is not installed: ./scripts/install-deps installs it (apt-get install -y baresip-core)"
    );
    let dir = parent.join(name);
    std::fs::create_dir_all(dir.join("rec")).expect("baresip dir");
    let source = dir.join("source.wav");
    super::write_tone_wav(&source, setup.tone_hz, SOURCE_RATE, SOURCE_SECONDS);
    let sip_port = free_port_pair();
    let control_port = loop {
        let port = free_port();
        if port != sip_port && port != sip_port + 1 {
            break port;
        }
    };
    let opus = setup.codecs.is_some_and(|c| c.to_ascii_lowercase().contains("opus"));
    std::fs::write(dir.join("config"), config(&dir, sip_port, control_port, &source, opus)).expect("write config");
    std::fs::write(dir.join("accounts"), accounts(setup)).expect("write accounts");
    std::fs::write(dir.join("contacts"), "").expect("write contacts"); // else baresip writes a template
    let log = std::fs::File::create(dir.join("baresip.log")).expect("baresip log");
    let mut child = Command::new(BARESIP)
        .arg("-4")
        .arg("-f")
        .arg(&dir)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start baresip");
    let deadline = Instant::now() + Duration::from_secs(10);
    let control = loop {
        if let Ok(stream) = TcpStream::connect(("127.0.0.1", control_port)) {
            break stream;
        }
        let exited = child.try_wait().ok().flatten();
        if exited.is_some() || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let text = std::fs::read_to_string(dir.join("baresip.log")).unwrap_or_default();
            panic!("baresip did not come up ({exited:?}):\n{text}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let messages = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let mut stream = control.try_clone().expect("clone control connection");
        stream.set_read_timeout(Some(Duration::from_millis(100))).expect("read timeout");
        let (messages, stop) = (messages.clone(), stop.clone());
        std::thread::spawn(move || read_messages(&mut stream, &messages, &stop))
    };
    let user = setup.registrar.as_ref().map_or(DIRECT_USER.to_owned(), |r| r.user.to_owned());
    Baresip { child, dir, sip_port, user, control, messages, stop, reader: Some(reader), token: AtomicU64::new(1) }
}

/// Reads netstrings (`<len>:<json>,`) from the control connection until `stop` or EOF.
fn read_messages(stream: &mut TcpStream, messages: &Mutex<Vec<Value>>, stop: &AtomicBool) {
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 8192];
    while !stop.load(Ordering::Relaxed) {
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => continue,
            Err(_) => return,
        }
        while let Some((value, used)) = netstring(&buffer) {
            buffer.drain(..used);
            if let Some(value) = value {
                messages.lock().expect("messages").push(value);
            }
        }
    }
}

/// One netstring at the start of `bytes`: its JSON (if it parses) and its length in bytes.
fn netstring(bytes: &[u8]) -> Option<(Option<Value>, usize)> {
    let colon = bytes.iter().position(|&b| b == b':')?;
    let len: usize = std::str::from_utf8(&bytes[..colon]).ok()?.trim().parse().ok()?;
    let end = colon + 1 + len;
    if bytes.len() <= end {
        return None;
    }
    Some((serde_json::from_slice(&bytes[colon + 1..end]).ok(), end + 1))
}

impl Baresip {
    /// Sends a `ctrl_tcp` command (`{"command":..,"params":..,"token":..}`) and waits (bounded)
    /// for its response: `{"response":true,"ok":..,"data":..}`.
    pub fn command(&self, command: &str, params: Option<&str>) -> Value {
        let token = self.token.fetch_add(1, Ordering::Relaxed).to_string();
        let mut request = serde_json::json!({ "command": command, "token": token });
        if let Some(params) = params {
            request["params"] = Value::from(params);
        }
        let body = request.to_string();
        let framed = format!("{}:{body},", body.len());
        (&self.control).write_all(framed.as_bytes()).expect("send a ctrl_tcp command");
        let check = || {
            let messages = self.messages.lock().expect("messages");
            messages.iter().find(|m| m["response"] == true && m["token"] == token.as_str()).cloned()
        };
        super::wait_until(&format!("baresip's response to {command}"), Duration::from_secs(5), check, || self.log())
    }

    /// `command`, asserting that baresip accepted it.
    fn command_ok(&self, command: &str, params: Option<&str>) -> Value {
        let response = self.command(command, params);
        assert_eq!(response["ok"], true, "baresip refused {command} {params:?}: {response}\n{}", self.log());
        response
    }

    /// Places a call to `uri`.
    pub fn dial(&self, uri: &str) {
        self.command_ok("dial", Some(uri));
    }

    /// Answers the ringing call.
    pub fn accept(&self) {
        self.command_ok("accept", None);
    }

    /// Hangs up the current call (BYE, or CANCEL while it rings out).
    pub fn hangup(&self) {
        self.command_ok("hangup", None);
    }

    /// Puts the current call on hold (re-INVITE, sendonly).
    pub fn hold(&self) {
        self.command_ok("hold", None);
    }

    /// Takes the current call off hold (re-INVITE, sendrecv).
    pub fn resume(&self) {
        self.command_ok("resume", None);
    }

    /// Transfers the current call to `uri` (blind: a REFER to the far end, RFC 3515); baresip
    /// ends its call when the far end's NOTIFY reports the new call answered.
    pub fn transfer(&self, uri: &str) {
        self.command_ok("transfer", Some(uri));
    }

    /// Sends `digits` as RFC 4733 events on the current call (`sndcode`).
    pub fn send_dtmf(&self, digits: &str) {
        self.command_ok("sndcode", Some(digits));
    }

    /// The current call's audio stream as baresip describes it (`audio_debug`): direction
    /// (`audio dir=sendrecv`), pipelines, RTP counters.
    pub fn audio_debug(&self) -> String {
        self.command_ok("audio_debug", None)["data"].as_str().unwrap_or_default().to_owned()
    }

    /// The events so far (`{"event":true,"type":..,"param":..,...}`), in order.
    pub fn events(&self) -> Vec<Value> {
        self.messages.lock().expect("messages").iter().filter(|m| m["event"] == true).cloned().collect()
    }

    /// The events of `kind` so far (`CALL_ESTABLISHED`, ...).
    pub fn events_of(&self, kind: &str) -> Vec<Value> {
        self.events().into_iter().filter(|e| e["type"] == kind).collect()
    }

    /// Waits (bounded, `limit`) until there are `count` events of `kind`; returns them.
    pub fn wait_events(&self, kind: &str, count: usize, limit: Duration) -> Vec<Value> {
        let check = || {
            let events = self.events_of(kind);
            (events.len() >= count).then_some(events)
        };
        super::wait_until(&format!("{count} {kind} event(s) from baresip"), limit, check, || {
            format!("events: {:?}\n{}", self.events(), self.log())
        })
    }

    /// Waits (bounded) for the first event of `kind`.
    pub fn wait_event(&self, kind: &str) -> Value {
        self.wait_events(kind, 1, Duration::from_secs(15)).remove(0)
    }

    /// baresip's log (stdout and stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("baresip.log")).unwrap_or_default()
    }

    /// What baresip heard on its newest call (the `sndfile` filter's `-dec` file): the first
    /// channel's samples and the rate. Complete once the call is closed (the file is closed
    /// then); only up to the first re-INVITE (see the module's notes).
    pub fn recording(&self) -> (Vec<i16>, u32) {
        let newest = std::fs::read_dir(self.dir.join("rec"))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.to_string_lossy().ends_with("-dec.wav"))
                    .max()
            })
            .ok()
            .flatten();
        newest.map(|path| read_wav_first_channel(&path)).unwrap_or_default()
    }

    /// SIGKILL (by PID), then waits for it. Not SIGTERM: baresip would unregister, and
    /// Kamailio, stopped right after, sometimes deadlocks in its shutdown when a request is in
    /// progress (children stuck on a lock; the main process waits 60 s before killing them).
    /// Every file a test reads (recordings) is closed when baresip reports the call closed.
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.control.shutdown(Shutdown::Both);
        self.stop();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// The first channel of a 16-bit PCM WAV file and its rate (libsndfile's files; any channel
/// count). Empty when the file is missing or not one.
pub fn read_wav_first_channel(path: &Path) -> (Vec<i16>, u32) {
    let bytes = std::fs::read(path).unwrap_or_default();
    if bytes.len() < 44 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return (Vec::new(), 0);
    }
    let (mut rate, mut channels) = (0u32, 1usize);
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as usize;
        let body = &bytes[at + 8..(at + 8 + len).min(bytes.len())];
        if id == b"fmt " && body.len() >= 16 {
            channels = usize::from(u16::from_le_bytes([body[2], body[3]])).max(1);
            rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
        }
        if id == b"data" {
            let samples =
                body.chunks_exact(2 * channels).map(|frame| i16::from_le_bytes([frame[0], frame[1]])).collect();
            return (samples, rate);
        }
        at += 8 + len + (len & 1);
    }
    (Vec::new(), rate)
}

/// A [`Kamailio`] whose stop is bounded. Kamailio 5.6 sometimes deadlocks in its shutdown: after
/// SIGTERM a few children (timer, TCP) log `signal 15 received` and then sleep forever on a
/// futex, and the main process waits `ser_kill_timeout` (60 s) before killing them; seen about
/// once in 80 starts here. Dropping this sends SIGTERM to the main process (by PID), waits up to
/// 3 s, then SIGKILLs the children still attached to it (by PID, from /proc) and the main
/// process; the inner [`Kamailio`]'s own drop then reaps it and removes its directory.
pub struct BoundedKamailio(pub Kamailio);

impl std::ops::Deref for BoundedKamailio {
    type Target = Kamailio;
    fn deref(&self) -> &Kamailio {
        &self.0
    }
}

impl Drop for BoundedKamailio {
    fn drop(&mut self) {
        let pid = self.0.child.id();
        // Gone or a zombie: exited (the zombie is reaped by the inner drop).
        let exited = || matches!(proc_state(pid), None | Some(('Z', _)));
        let wait_exit = |limit: Duration| {
            let deadline = Instant::now() + limit;
            while !exited() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        };
        let _ = Command::new("kill").arg(pid.to_string()).status();
        wait_exit(Duration::from_secs(3));
        if !exited() {
            for child in children_of(pid) {
                let _ = Command::new("kill").arg("-KILL").arg(child.to_string()).status();
            }
            let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
            wait_exit(Duration::from_secs(3));
        }
    }
}

/// The state letter and the parent of process `pid` (`/proc/<pid>/stat`).
fn proc_state(pid: u32) -> Option<(char, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = text.get(text.rfind(')')? + 1..)?.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    Some((state, parent))
}

/// The processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&p| proc_state(p).is_some_and(|(_, parent)| parent == pid))
        .collect()
}
