//! The phone binary against sipp as the registrar: scenarios (in `tests/sipp/`) that a real PBX
//! plays only on a bad day.
//!
//! * `interval_too_brief.xml`: 423 with Min-Expires; the next REGISTER asks for at least that.
//! * `stale_nonce.xml`: a challenge answered, then a new one with `stale=true`; answered at once
//!   with the new nonce, not treated as wrong credentials.
//! * `retry_after.xml`: 503 with Retry-After: 3; the next REGISTER comes 3 s later, not sooner
//!   and not much later.
//!
//! Each test starts sipp (foreground, `-m 1`, global timeout, traces in a temporary directory) on
//! 127.0.0.1 and the phone with its server there over UDP, waits until the phone logs that it is
//! registered, stops the phone with SIGTERM (it unregisters: the last REGISTER of every scenario)
//! and requires sipp's exit code 0: every message of the scenario came as expected and every
//! regular-expression check in it held. Then it reads sipp's message trace for what a scenario
//! cannot check well (timing, values). sipp is the Debian package `sip-tester`; `./scripts/test`
//! installs it. Processes are stopped by PID (Drop guards); every wait is bounded.
//!
//! sipp also opens its UDP control socket (`-cp`, on every interface: sipp has no option to bind
//! it elsewhere) and RTP echo sockets (from port 6000 on, 127.0.0.1); the scenarios use neither.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use support::{free_port, start_phone, wait_until, Phone, PhoneSetup, TempDir};

/// The longest wait for anything the phone should do within a few seconds.
const WAIT: Duration = Duration::from_secs(15);

/// sipp, killed (by PID) when dropped if it has not exited.
struct Sipp {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Drop for Sipp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The scenario file `name` of `tests/sipp/`.
fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sipp").join(name)
}

/// Starts sipp as a UAS playing `scenario` once (`-m 1`) on 127.0.0.1 over one UDP socket, with
/// its traces in `dir`, and waits (bounded) until it listens.
fn start_sipp(dir: &Path, name: &str) -> Sipp {
    let port = free_port();
    let out = std::fs::File::create(dir.join("sipp.out")).expect("sipp output file");
    let spawned = Command::new("sipp")
        .arg("-sf")
        .arg(scenario(name))
        .args(["-i", "127.0.0.1", "-p", &port.to_string(), "-t", "u1", "-m", "1", "-nostdin"])
        // The whole run is bounded, and reaching that bound is a failure.
        .args(["-timeout", "25s", "-timeout_error"])
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
        Err(error) => panic!("cannot start sipp ({error}): ./scripts/test installs it (apt-get install -y sip-tester)"),
    };
    let mut sipp = Sipp { child, dir: dir.to_owned(), port };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = sipp.child.try_wait().expect("wait") {
            panic!("sipp exited at once ({status})\n{}", sipp.diagnostics());
        }
        // Bound by sipp once our bind fails.
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_err() {
            return sipp;
        }
        assert!(Instant::now() < deadline, "sipp did not listen\n{}", sipp.diagnostics());
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Sipp {
    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.join(file)).unwrap_or_default()
    }

    /// sipp's screen output, unexpected messages, scenario log lines and message trace.
    fn diagnostics(&self) -> String {
        ["sipp.out", "errors.log", "actions.log", "messages.log"]
            .iter()
            .map(|file| format!("== sipp {file}\n{}\n", self.read(file)))
            .collect()
    }

    /// Waits (bounded) for sipp to end the scenario and exit.
    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "sipp did not finish the scenario\n{}", self.diagnostics());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The messages of the trace, in order.
    fn messages(&self) -> Vec<Traced> {
        parse_trace(&self.read("messages.log"))
    }
}

/// One message of sipp's `-trace_msg` file.
#[derive(Debug, Clone)]
struct Traced {
    /// When sipp handled it: seconds (local time, from the trace's date and time).
    at: f64,
    /// Sent by sipp (a response) rather than received (a request of the phone).
    sent: bool,
    /// The message.
    text: String,
}

impl Traced {
    fn start_line(&self) -> &str {
        self.text.lines().next().unwrap_or("")
    }

    fn is_register(&self) -> bool {
        !self.sent && self.start_line().starts_with("REGISTER ")
    }

    fn status(&self) -> Option<u16> {
        self.start_line().strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()
    }

    /// The value of the first header `name` (case-insensitive), trimmed.
    fn header(&self, name: &str) -> Option<&str> {
        self.text.lines().skip(1).take_while(|l| !l.trim().is_empty()).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    /// The number in the first header `name`.
    fn number(&self, name: &str) -> Option<u64> {
        self.header(name)?.split_whitespace().next()?.parse().ok()
    }

    /// The `expires` parameter of the first Contact.
    fn contact_expires(&self) -> Option<u64> {
        let contact = self.header("Contact")?;
        let (_, rest) = contact.split_once(";expires=")?;
        rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    }
}

/// The messages of sipp's `-trace_msg` file (`support::sipp::parse_trace`).
fn parse_trace(text: &str) -> Vec<Traced> {
    support::sipp::parse_trace(text).into_iter().map(|(at, sent, text)| Traced { at, sent, text }).collect()
}

/// A finished run: the messages sipp traced and the phone's registration state log lines.
struct Run {
    _dir: TempDir,
    messages: Vec<Traced>,
    states: Vec<String>,
    /// Everything useful when an assertion fails.
    diagnostics: String,
}

impl Run {
    /// The REGISTERs of the phone, in order.
    fn registers(&self) -> Vec<&Traced> {
        self.messages.iter().filter(|m| m.is_register()).collect()
    }

    /// The response sipp sent right after the `n`th REGISTER (0-based).
    fn response_to(&self, n: usize) -> &Traced {
        let mut seen = 0;
        let mut iter = self.messages.iter();
        for message in iter.by_ref() {
            if message.is_register() {
                if seen == n {
                    break;
                }
                seen += 1;
            }
        }
        iter.find(|m| m.sent).unwrap_or_else(|| panic!("no response to REGISTER #{n}\n{}", self.diagnostics))
    }
}

/// Plays `scenario` against the phone: sipp up, the phone registering until it logs "registered",
/// SIGTERM (the phone unregisters and exits 0), sipp exiting 0.
fn run(scenario: &str, tag: &str) -> Run {
    let dir = TempDir::new(&format!("sipp-{tag}"));
    let mut sipp = start_sipp(&dir.path, scenario);
    let mut setup = PhoneSetup::new(format!("127.0.0.1:{}", sipp.port), "udp");
    // No CRLF keep-alive datagrams to sipp during the test: they are no SIP messages.
    setup.keepalive_secs = Some(3600);
    let mut phone = start_phone(&dir.path, "phone", &setup);
    let diagnose = |phone: &Phone, sipp: &Sipp| format!("== phone log\n{}\n{}", phone.log(), sipp.diagnostics());

    wait_until(
        "the phone's registration",
        WAIT,
        || (phone.times_registered() > 0).then_some(()),
        || diagnose(&phone, &sipp),
    );
    let exit = phone.terminate();
    assert!(exit.success(), "the phone exits cleanly: {exit}\n{}", diagnose(&phone, &sipp));
    let status = sipp.wait_exit();
    assert_eq!(status.code(), Some(0), "sipp's scenario {scenario} passed\n{}", diagnose(&phone, &sipp));

    let states = phone.state_lines();
    let diagnostics = diagnose(&phone, &sipp);
    // The phone logged its registration states: registering, registered, and unregistered on
    // SIGTERM.
    for state in ["state=registering", "state=registered, contact <sip:1001@127.0.0.1:", "state=unregistered"] {
        assert!(states.iter().any(|l| l.contains(state)), "the phone logged {state:?}\n{diagnostics}");
    }
    let messages = sipp.messages();
    let run = Run { _dir: dir, messages, states, diagnostics };
    // One registration: every REGISTER in one Call-ID with growing CSeq numbers, the last one
    // removing the binding.
    let registers = run.registers();
    assert!(registers.len() >= 3, "{}", run.diagnostics);
    let call_id = registers[0].header("Call-ID");
    assert!(registers.iter().all(|r| r.header("Call-ID") == call_id), "one Call-ID\n{}", run.diagnostics);
    let cseqs: Vec<u64> = registers.iter().map(|r| r.number("CSeq").expect("CSeq")).collect();
    assert!(cseqs.windows(2).all(|w| w[0] < w[1]), "growing CSeq {cseqs:?}\n{}", run.diagnostics);
    let last = registers.last().expect("a REGISTER");
    assert_eq!(last.number("Expires"), Some(0), "the last REGISTER unregisters\n{}", run.diagnostics);
    run
}

#[test]
fn after_423_the_phone_asks_for_at_least_min_expires_and_registers() {
    let run = run("interval_too_brief.xml", "423");
    let registers = run.registers();
    let d = &run.diagnostics;
    assert_eq!(registers[0].number("Expires"), Some(300), "first as configured\n{d}");
    let interval_too_brief = run.response_to(0);
    assert_eq!(interval_too_brief.status(), Some(423), "{d}");
    let min_expires = interval_too_brief.number("Min-Expires").expect("Min-Expires");
    let next = registers[1];
    assert!(next.number("Expires").is_some_and(|e| e >= min_expires), "Expires >= {min_expires}\n{d}");
    assert!(next.contact_expires().is_some_and(|e| e >= min_expires), "Contact expires >= {min_expires}\n{d}");
    assert_eq!(run.response_to(1).status(), Some(200), "{d}");
    // The 423 was handled within the attempt: no failure was reported.
    assert!(!run.states.iter().any(|l| l.contains("registration failed")), "{d}");
}

#[test]
fn a_stale_nonce_is_answered_at_once_with_the_new_nonce() {
    let run = run("stale_nonce.xml", "stale");
    let registers = run.registers();
    let d = &run.diagnostics;
    assert!(registers[0].header("Authorization").is_none(), "{d}");
    assert!(registers[1].header("Authorization").is_some_and(|a| a.contains("nonce=\"sipp-nonce-one\"")), "{d}");
    let stale = run.response_to(1);
    assert_eq!(stale.status(), Some(401), "{d}");
    assert!(stale.header("WWW-Authenticate").is_some_and(|c| c.contains("stale=true")), "{d}");
    let answer = registers[2];
    assert!(answer.header("Authorization").is_some_and(|a| a.contains("nonce=\"sipp-nonce-two\"")), "{d}");
    // At once: no backoff (which would be 30 s or more).
    let waited = answer.at - stale.at;
    assert!((0.0..5.0).contains(&waited), "answered the stale challenge after {waited:.3} s\n{d}");
    assert_eq!(run.response_to(2).status(), Some(200), "{d}");
    // Not taken for wrong credentials: no failure, one attempt.
    assert!(!run.states.iter().any(|l| l.contains("registration failed")), "{d}");
    assert_eq!(run.states.iter().filter(|l| l.contains("state=registering")).count(), 1, "{d}");
}

#[test]
fn after_503_with_retry_after_the_phone_waits_that_long_then_registers() {
    let run = run("retry_after.xml", "503");
    let registers = run.registers();
    let d = &run.diagnostics;
    let unavailable = run.response_to(0);
    assert_eq!(unavailable.status(), Some(503), "{d}");
    let retry_after = unavailable.number("Retry-After").expect("Retry-After") as f64;
    // sipp stamps a message it sends before sending it and one it receives after receiving it,
    // so the gap measured is never shorter than the phone's wait; 10 ms allow for the wall
    // clock being slewed meanwhile.
    let waited = registers[1].at - unavailable.at;
    assert!(waited >= retry_after - 0.010, "waited {waited:.3} s, Retry-After {retry_after} s\n{d}");
    assert!(waited <= retry_after + 5.0, "waited {waited:.3} s, far beyond Retry-After {retry_after} s\n{d}");
    assert_eq!(run.response_to(1).status(), Some(200), "{d}");
    assert!(
        run.states.iter().any(|l| l.contains("registration failed: server failure (503, Retry-After 3 s)")),
        "the phone logged the 503\n{d}"
    );
}

#[test]
fn the_trace_parser_reads_sipp_message_blocks() {
    let trace = "----------------------------------------------- 2026-11-26 11:58:27.912545\n\
                 UDP message received [555] bytes :\n\nREGISTER sip:127.0.0.1:5060 SIP/2.0\nCSeq: 1 REGISTER\n\
                 Contact: <sip:1001@127.0.0.1:5062>;+sip.instance=\"<urn:uuid:x>\";expires=300\nExpires: 300\n\n\n\
                 ----------------------------------------------- 2026-11-26 11:58:31.012545\n\
                 UDP message sent (303 bytes):\n\nSIP/2.0 503 Service Unavailable\nRetry-After: 3\n\n";
    let messages = parse_trace(trace);
    assert_eq!(messages.len(), 2);
    assert!(messages[0].is_register());
    assert_eq!(messages[0].number("CSeq"), Some(1));
    assert_eq!(messages[0].contact_expires(), Some(300));
    assert_eq!(messages[1].status(), Some(503));
    assert_eq!(messages[1].number("Retry-After"), Some(3));
    assert!((messages[1].at - messages[0].at - 3.1).abs() < 1e-6);
    // Across midnight and a month's end.
    let gap = support::sipp::timestamp("2026-03-01", "00:00:01.5").unwrap()
        - support::sipp::timestamp("2026-02-28", "23:59:59.0").unwrap();
    assert!((gap - 2.5).abs() < 1e-6);
}
