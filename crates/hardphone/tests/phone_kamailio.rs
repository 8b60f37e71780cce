//! The phone itself against a real registrar: `hardphone --config FILE --headless` registers to
//! Kamailio on 127.0.0.1 (over UDP and over TCP), keeps its binding, and unregisters cleanly on
//! SIGTERM. Every process the test starts is stopped by PID.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{free_port, location_table, start_kamailio, Kamailio, PASSWORD, USER};

/// The phone, killed by PID if the test ends before it exits.
struct Phone {
    child: Child,
}

impl Drop for Phone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_phone(kamailio: &Kamailio, transport: &str) -> Phone {
    let config = format!(
        "[sip]\nlisten = \"127.0.0.1:{}\"\n[[accounts]]\nlabel = \"Agent {USER}\"\nserver = \"127.0.0.1:{}\"\n\
         transport = \"{transport}\"\nuser = \"{USER}\"\npassword = \"{PASSWORD}\"\nexpires = 300\n",
        free_port(),
        kamailio.port
    );
    let file = kamailio.dir.join(format!("phone-{transport}.toml"));
    std::fs::write(&file, config).expect("write phone config");
    let log = std::fs::File::create(kamailio.dir.join(format!("phone-{transport}.log"))).expect("log");
    let child = Command::new(env!("CARGO_BIN_EXE_hardphone"))
        .arg("--config")
        .arg(&file)
        .arg("--headless")
        .arg("--state-dir")
        .arg(kamailio.dir.join(format!("state-{transport}")))
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start the phone");
    Phone { child }
}

/// Waits (bounded) until `check` holds for the location table.
fn wait_for(kamailio: &Kamailio, what: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let table = location_table(kamailio);
        if check(&table) {
            return table;
        }
        if Instant::now() > deadline {
            let logs: String = std::fs::read_dir(&kamailio.dir)
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "log"))
                .map(|e| {
                    format!("== {}\n{}", e.path().display(), std::fs::read_to_string(e.path()).unwrap_or_default())
                })
                .collect();
            panic!("{what} did not happen; location table:\n{table}\n{logs}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn registers_and_unregisters_on_sigterm(transport: &str) {
    let kamailio = start_kamailio();
    let mut phone = start_phone(&kamailio, transport);
    let table = wait_for(&kamailio, "registration", |t| t.contains(&format!("sip:{USER}@127.0.0.1")));
    assert!(table.contains("urn:uuid:"), "the binding carries our +sip.instance: {table}");
    let status = Command::new("kill").arg("-TERM").arg(phone.child.id().to_string()).status().expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = phone.child.try_wait().expect("wait") {
            break exit;
        }
        assert!(Instant::now() < deadline, "the phone did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "clean exit: {exit}");
    wait_for(&kamailio, "unregistration", |t| !t.contains(&format!("sip:{USER}@127.0.0.1")));
}

#[test]
fn the_phone_registers_over_udp_and_unregisters_on_sigterm() {
    registers_and_unregisters_on_sigterm("udp");
}

#[test]
fn the_phone_registers_over_tcp_and_unregisters_on_sigterm() {
    registers_and_unregisters_on_sigterm("tcp");
}

#[test]
fn after_a_registrar_restart_the_phone_registers_again_over_tcp() {
    let mut kamailio = start_kamailio();
    let _phone = start_phone(&kamailio, "tcp");
    let bound = |t: &str| t.contains(&format!("sip:{USER}@127.0.0.1"));
    wait_for(&kamailio, "registration", bound);
    // The restart loses every binding and closes the phone's TCP connection. The phone must
    // notice the closed flow and register again at once: its next refresh is minutes away, so
    // meeting wait_for's 15 s bound shows it did not wait for that.
    kamailio.restart();
    wait_for(&kamailio, "registration after the registrar restarted", bound);
}

#[test]
fn a_bad_config_names_the_file_and_key_and_exits_non_zero() {
    let dir = std::env::temp_dir().join(format!("hardphone-badcfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("phone.toml");
    std::fs::write(&file, "[[accounts]]\nlabel = \"a\"\nserver = \"pbx\"\nuser = \"1001\"\nexpires = 1\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_hardphone")).arg("--config").arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("phone.toml: accounts[0].expires"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unreadable_tls_ca_file_stops_the_phone_naming_it() {
    let dir = std::env::temp_dir().join(format!("hardphone-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("phone.toml");
    std::fs::write(
        &file,
        format!("[sip]\nlisten = \"127.0.0.1:{}\"\ntls_ca_file = \"/nonexistent/pbx-ca.pem\"\n", free_port()),
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_hardphone"))
        .arg("--config")
        .arg(&file)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("/nonexistent/pbx-ca.pem"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
