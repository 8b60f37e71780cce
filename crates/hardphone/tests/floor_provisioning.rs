//! A floor provisioned end to end with the real pieces: the provisioning server
//! (`hardphone-provision`, run in this process) serves phones from an inventory CSV, a phone
//! that knows only the server's URL and its own HTTP password fetches its account and registers
//! to a Kamailio started by the test; the inventory's SIP password changes and the phone
//! registers again with the new one at its next check; a broken inventory leaves it registered
//! on its last good configuration; the server's status shows the phone on the latest config,
//! and a second phone of the inventory that never checked in. A phone asking for another MAC's
//! file with its own credentials is refused (`crates/provision/tests/http.rs` checks the 403 at
//! the HTTP level; here the phone itself is refused and keeps running).

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use support::{free_port, start_kamailio, start_phone_toml, wait_until, Kamailio, Phone, TempDir, PASSWORD, USER};

const MAC: &str = "02005e100002";
const OTHER_MAC: &str = "02005e100003";
const HTTP_PASSWORD: &str = "prov-pw-1";

/// The provisioning server, on its own thread and runtime; stopped when dropped.
struct Server {
    http: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let toml = format!(
            "[server]\nhttp = [\"127.0.0.1:0\"]\nallow_http = true\ncommon_file = \"common.toml\"\n\
             [auth]\nadmin_user = \"admin\"\nadmin_password = \"admin-pw\"\n\
             [rate_limit]\nper_second = 100\nburst = 100\n[inventory]\npath = \"{}\"\n",
            dir.join("phones.csv").display()
        );
        let config = provision::config::ServerConfig::from_toml(&toml, dir).expect("server config");
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let running = provision::http::start(&config).await.expect("server starts");
                address_tx.send(running.http_addrs()[0]).unwrap();
                let _ = stopped.await;
                drop(running);
            });
        });
        let http = address_rx.recv_timeout(Duration::from_secs(10)).expect("the server's address");
        Server { http, stop: Some(stop), thread: Some(thread) }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.http)
    }

    /// `GET /status.json` as the administrator.
    fn status(&self) -> Value {
        let output = std::process::Command::new("python3")
            .arg("-c")
            .arg(
                "import sys,urllib.request,base64\n\
                 r=urllib.request.Request(sys.argv[1]);r.add_header('Authorization','Basic '+base64.b64encode(b'admin:admin-pw').decode())\n\
                 print(urllib.request.urlopen(r,timeout=5).read().decode())",
            )
            .arg(format!("{}status.json", self.url()))
            .output()
            .expect("python3");
        serde_json::from_slice(&output.stdout).unwrap_or(Value::Null)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn inventory(dir: &Path, kamailio: &Kamailio, password: &str) {
    let server = format!("127.0.0.1:{}", kamailio.port);
    let csv = format!(
        "mac,extension,password,display_name,server,http_password,options\n\
         {MAC},{USER},{password},\"Desk, Front\",{server},{HTTP_PASSWORD},\"expires = 600\"\n\
         {OTHER_MAC},1002,other-pw,,{server},prov-pw-2,\n"
    );
    std::fs::write(dir.join("phones.csv"), csv).unwrap();
}

/// A phone that is `mac` and authenticates as the first phone of the inventory.
fn phone_toml(server: &Server, mac: &str) -> String {
    format!(
        "[sip]\nlisten = \"127.0.0.1:{}\"\n\n[provisioning]\nurl = \"{}\"\ninterval_secs = 5\nmac = \"{mac}\"\n\
         username = \"{MAC}\"\npassword = \"{HTTP_PASSWORD}\"\n",
        free_port(),
        server.url()
    )
}

fn provisioning(phone: &Phone) -> Value {
    phone.ctl("status")["provisioning"].clone()
}

fn wait(what: &str, phone: &Phone, kamailio: &Kamailio, check: impl Fn() -> bool) {
    wait_until(
        what,
        Duration::from_secs(20),
        || check().then_some(()),
        || format!("{}\n{}", phone.log(), kamailio.log()),
    );
}

#[test]
fn a_floor_is_provisioned_from_an_inventory_by_the_provisioning_server() {
    let dir = TempDir::new("floor");
    let mut kamailio = start_kamailio();
    kamailio.wait_ready();
    std::fs::write(dir.path.join("common.toml"), "[sip]\nkeepalive_secs = 20\n").unwrap();
    inventory(&dir.path, &kamailio, PASSWORD);
    let server = Server::start(&dir.path);
    let phone = start_phone_toml(&dir.path, "desk", &phone_toml(&server, MAC));

    // Only the URL: the phone fetches its account and registers.
    wait("registered", &phone, &kamailio, || phone.times_registered() >= 1);
    let status = server.status();
    let phones = status["phones"].as_array().cloned().unwrap_or_default();
    let ours = phones.iter().find(|p| p["mac"] == MAC).unwrap_or_else(|| panic!("{status}"));
    let other = phones.iter().find(|p| p["mac"] == OTHER_MAC).unwrap_or_else(|| panic!("{status}"));
    assert_eq!(ours["checked_in"], true, "{status}");
    assert_eq!(ours["user_agent"].as_str().map(|ua| ua.contains(MAC)), Some(true), "{status}");
    assert_eq!(other["checked_in"], false, "the second phone never came: {status}");
    assert!(!status.to_string().contains(PASSWORD), "no secret on the status page");
    wait("the phone shows as on the latest config", &phone, &kamailio, || {
        server.status()["phones"].as_array().is_some_and(|p| p.iter().any(|p| p["mac"] == MAC && p["latest"] == true))
    });

    // The inventory's password changes (and Kamailio's): registered again with the new one.
    let registered = phone.times_registered();
    support::set_user_password(&kamailio, USER, "floor-new-pw");
    inventory(&dir.path, &kamailio, "floor-new-pw");
    wait("registered with the new password", &phone, &kamailio, || phone.times_registered() > registered);

    // A broken inventory: the server keeps its last good version.
    std::fs::write(dir.path.join("phones.csv"), "mac,extension\n\"unterminated\n").unwrap();
    std::thread::sleep(Duration::from_secs(7));
    assert!(provisioning(&phone)["last_error"].is_null(), "{}", provisioning(&phone));
    // A broken common file (served as it is): the phone reports it and keeps its configuration.
    let registered = phone.times_registered();
    std::fs::write(dir.path.join("common.toml"), "[sip\nkeepalive_secs = 20\n").unwrap();
    wait("the broken file reported", &phone, &kamailio, || {
        provisioning(&phone)["last_error"].as_str().is_some_and(|e| e.contains("common.toml"))
    });
    assert!(phone.ctl("status")["accounts"][0]["state"].as_str().is_some_and(|s| s.starts_with("registered")));
    assert_eq!(phone.times_registered(), registered, "nothing applied from a broken file");
    drop(server);
    drop(phone);
}

#[test]
fn a_phone_asking_for_another_mac_s_file_is_refused_and_keeps_working() {
    let dir = TempDir::new("floor-refused");
    let mut kamailio = start_kamailio();
    kamailio.wait_ready();
    inventory(&dir.path, &kamailio, PASSWORD);
    let server = Server::start(&dir.path);
    // The phone is the first phone (its credentials) but asks for the second phone's file.
    let phone = start_phone_toml(&dir.path, "thief", &phone_toml(&server, OTHER_MAC));
    wait_until(
        "the refusal reported",
        Duration::from_secs(20),
        || provisioning(&phone)["last_error"].as_str().filter(|e| e.contains("403 Forbidden")).map(drop),
        || format!("{}\n{}", provisioning(&phone), phone.log()),
    );
    assert!(phone.ctl("status")["accounts"].as_array().is_none_or(|a| a.is_empty()), "no account was served");
    assert!(!phone.log().contains("other-pw"));
}
