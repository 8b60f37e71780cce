//! sipp (the Debian package `sip-tester`) as a scripted peer of the phone: a UAS (registrar,
//! voicemail server) listening on a port, or a UAC (a PBX calling the phone) sending to it.
//! Each run plays one scenario of `tests/sipp/`, bounded by a global timeout, with its traces in
//! the test's directory; the process is killed by PID when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::free_port;

/// A running sipp, killed (by PID) when dropped if it has not exited.
pub struct Sipp {
    pub child: Child,
    pub dir: PathBuf,
    /// Its SIP port.
    pub port: u16,
    /// Its name: the prefix of its trace files.
    pub name: String,
}

impl Drop for Sipp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The scenario file `name` of `tests/sipp/`.
pub fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sipp").join(name)
}

/// What to run: the scenario, the address sipp binds, how many calls, `-key` values, and for a
/// UAC the phone's address.
pub struct SippRun<'a> {
    pub name: &'a str,
    pub scenario: &'a str,
    pub ip: &'a str,
    pub calls: u32,
    pub keys: Vec<(&'a str, String)>,
    /// The phone (`ip:port`): sipp is a UAC calling it. `None`: a UAS.
    pub remote: Option<String>,
    /// The user part of the Request-URI sipp calls (`-s`, its `[service]`).
    pub service: &'a str,
}

/// Starts sipp in `dir` (foreground process, `-nostdin`, one UDP socket, `-timeout 40s` counted
/// as a failure) and, for a UAS, waits (bounded) until it listens.
pub fn start_sipp(dir: &Path, run: &SippRun<'_>) -> Sipp {
    let port = free_port();
    let file = |suffix: &str| dir.join(format!("{}-{suffix}", run.name));
    let out = std::fs::File::create(file("out.log")).expect("sipp output file");
    let mut command = Command::new("sipp");
    if let Some(remote) = &run.remote {
        command.arg(remote);
    }
    command
        .arg("-sf")
        .arg(scenario(run.scenario))
        .args(["-i", run.ip, "-p", &port.to_string(), "-t", "u1", "-m", &run.calls.to_string(), "-nostdin"])
        .args(["-s", run.service])
        .args(["-timeout", "40s", "-timeout_error"])
        .args(["-trace_msg", "-message_file"])
        .arg(file("messages.log"))
        .args(["-trace_err", "-error_file"])
        .arg(file("errors.log"))
        .args(["-trace_logs", "-log_file"])
        .arg(file("actions.log"));
    for (key, value) in &run.keys {
        command.args(["-key", key, value]);
    }
    let spawned =
        command.current_dir(dir).stdin(Stdio::null()).stdout(out.try_clone().expect("sipp output")).stderr(out).spawn();
    let child = match spawned {
        Ok(child) => child,
        Err(error) => panic!("cannot start sipp ({error}): ./scripts/test installs it (apt-get install -y sip-tester)"),
    };
    let mut sipp = Sipp { child, dir: dir.to_owned(), port, name: run.name.to_owned() };
    if run.remote.is_some() {
        return sipp;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = sipp.child.try_wait().expect("wait") {
            panic!("sipp exited at once ({status})\n{}", sipp.diagnostics());
        }
        // Bound by sipp once our bind fails.
        if std::net::UdpSocket::bind((run.ip, port)).is_err() {
            return sipp;
        }
        assert!(Instant::now() < deadline, "sipp did not listen\n{}", sipp.diagnostics());
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Sipp {
    fn read(&self, suffix: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{}-{suffix}", self.name))).unwrap_or_default()
    }

    /// sipp's screen output, unexpected messages, scenario log lines and message trace.
    pub fn diagnostics(&self) -> String {
        ["out.log", "errors.log", "actions.log", "messages.log"]
            .iter()
            .map(|file| format!("== sipp {} {file}\n{}\n", self.name, self.read(file)))
            .collect()
    }

    /// The message trace so far.
    pub fn trace(&self) -> String {
        self.read("messages.log")
    }

    /// Waits (bounded by `limit`) for sipp to end its scenario and exit.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "sipp {} did not finish its scenario\n{}",
                self.name,
                self.diagnostics()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The messages of the trace: (seconds since the epoch, local time; sent by sipp; text).
    pub fn messages(&self) -> Vec<(f64, bool, String)> {
        parse_trace(&self.trace())
    }
}

/// Days from 1970-01-01 to the civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `2026-01-31 23:59:59.123456` as seconds.
pub fn timestamp(date: &str, time: &str) -> Option<f64> {
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':');
    let (hours, minutes): (i64, i64) = (t.next()?.parse().ok()?, t.next()?.parse().ok()?);
    let seconds: f64 = t.next()?.parse().ok()?;
    Some((days_from_civil(year, month, day) * 86_400 + hours * 3600 + minutes * 60) as f64 + seconds)
}

/// The messages of a `-trace_msg` file: each block starts with a line of dashes, the date and
/// the time, then "UDP message received [n] bytes :" or "UDP message sent (n bytes):", a blank
/// line and the message.
pub fn parse_trace(text: &str) -> Vec<(f64, bool, String)> {
    let mut messages = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("-----") else { continue };
        let mut words = rest.trim_start_matches('-').split_whitespace();
        let Some(at) = words.next().zip(words.next()).and_then(|(date, time)| timestamp(date, time)) else {
            continue;
        };
        let Some(kind) = lines.next() else { break };
        let sent = kind.contains("message sent");
        if !sent && !kind.contains("message received") {
            continue;
        }
        let mut body = String::new();
        while let Some(next) = lines.peek() {
            if next.starts_with("-----") {
                break;
            }
            body.push_str(lines.next().unwrap_or(""));
            body.push('\n');
        }
        messages.push((at, sent, body.trim_start_matches('\n').to_owned()));
    }
    messages
}
