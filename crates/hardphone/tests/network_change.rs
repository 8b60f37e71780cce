//! A new local address re-registers the phone at once (RFC 5626 §4.5): the phone and Kamailio
//! run in two network namespaces made by the test, joined by a veth pair; the test moves the
//! phone's side from 10.77.0.2 to 10.77.0.3, as a new DHCP lease would. The phone listens on
//! every interface and notices within its 5 s check; the binding moves to the new address and
//! the old one is removed. Needs root (network namespaces); skipped with a message otherwise.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{
    bindings, field, free_port, location_table, start_kamailio_in_netns, wait_until, TempDir, PASSWORD, USER,
};

/// Runs `ip ARGS`; true on success.
fn ip(args: &[&str]) -> bool {
    Command::new("ip").args(args).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// The two namespaces, deleted (with their veth pair) when dropped.
struct Namespaces {
    pbx: String,
    phone: String,
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        ip(&["netns", "del", &self.pbx]);
        ip(&["netns", "del", &self.phone]);
    }
}

/// The PBX namespace with 10.77.0.1 and the phone's with 10.77.0.2, or `None` when this
/// machine does not allow network namespaces.
fn namespaces() -> Option<Namespaces> {
    let id = std::process::id();
    let ns = Namespaces { pbx: format!("hp-pbx-{id}"), phone: format!("hp-phone-{id}") };
    let (pbx, phone) = (ns.pbx.as_str(), ns.phone.as_str());
    let veth = format!("hpv{}", id % 100_000);
    let peer = format!("hpp{}", id % 100_000);
    let steps: [&[&str]; 9] = [
        &["netns", "add", pbx],
        &["netns", "add", phone],
        &["link", "add", &veth, "netns", pbx, "type", "veth", "peer", "name", &peer, "netns", phone],
        &["-n", pbx, "addr", "add", "10.77.0.1/24", "dev", &veth],
        &["-n", phone, "addr", "add", "10.77.0.2/24", "dev", &peer],
        &["-n", pbx, "link", "set", &veth, "up"],
        &["-n", phone, "link", "set", &peer, "up"],
        &["-n", pbx, "link", "set", "lo", "up"],
        &["-n", phone, "link", "set", "lo", "up"],
    ];
    for step in steps {
        if !ip(step) {
            eprintln!("skipped: cannot set up network namespaces here (ip {})", step.join(" "));
            return None;
        }
    }
    Some(ns)
}

/// The phone in its namespace, killed by PID when dropped.
struct Phone {
    child: Child,
    log: std::path::PathBuf,
}

impl Drop for Phone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_new_local_address_moves_the_binding_at_once() {
    let Some(ns) = namespaces() else { return };
    let port = free_port();
    let mut kamailio = start_kamailio_in_netns(&ns.pbx, "10.77.0.1", port);
    kamailio.wait_ready();
    let dir = TempDir::new("netchange");
    let config = dir.path.join("phone.toml");
    std::fs::write(
        &config,
        format!(
            "[sip]\nlisten = \"0.0.0.0:{}\"\n[[accounts]]\nlabel = \"a\"\nserver = \"10.77.0.1:{port}\"\nuser = \"{USER}\"\n\
             password = \"{PASSWORD}\"\nexpires = 300\n",
            free_port()
        ),
    )
    .unwrap();
    let log = dir.path.join("phone.log");
    let child = Command::new("ip")
        .args(["netns", "exec", &ns.phone, env!("CARGO_BIN_EXE_hardphone"), "--headless", "--config"])
        .arg(&config)
        .arg("--state-dir")
        .arg(dir.path.join("state"))
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start the phone in its namespace");
    let phone = Phone { child, log };
    let addresses = || -> Vec<String> {
        bindings(&location_table(&kamailio)).iter().filter_map(|b| field(b, "Address").map(str::to_owned)).collect()
    };
    let diagnostics = || format!("{:?}\n{}", addresses(), std::fs::read_to_string(&phone.log).unwrap_or_default());
    let at = |ip: &'static str| move |a: &String| a.contains(&format!("@{ip}:"));
    wait_until(
        "registration from 10.77.0.2",
        Duration::from_secs(15),
        || addresses().iter().any(at("10.77.0.2")).then_some(()),
        diagnostics,
    );
    let peer = format!("hpp{}", std::process::id() % 100_000);
    // The old lease goes, the new one comes (deleting a primary address after adding a second
    // would take both away).
    assert!(ip(&["-n", &ns.phone, "addr", "del", "10.77.0.2/24", "dev", &peer]));
    assert!(ip(&["-n", &ns.phone, "addr", "add", "10.77.0.3/24", "dev", &peer]));
    let moved = || {
        let list = addresses();
        (list.iter().any(at("10.77.0.3")) && !list.iter().any(at("10.77.0.2"))).then_some(())
    };
    wait_until("the binding moved to 10.77.0.3, the old one removed", Duration::from_secs(15), moved, diagnostics);
    let text = std::fs::read_to_string(&phone.log).unwrap_or_default();
    assert!(text.contains("local address changed"), "{text}");
}
