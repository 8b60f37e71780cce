//! Zero-touch provisioning end to end on loopback (docs/PROVISIONING.md): a phone that knows
//! only where its provisioning server is fetches its account from a file server run by the test
//! and registers to a Kamailio started by the test; a new password in the inventory (and at
//! Kamailio) makes it register again with the new one at its next check; broken files leave it
//! registered on the last good configuration and reporting why; unchanged files change nothing;
//! a server down at boot leaves it working on its cached configuration. HTTPS with a private CA,
//! a client certificate and HTTP Basic; the command line over the configuration; the DHCP hint.

mod provisioning_server;
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use phone::provisioning::config_hash;
use provisioning_server::FileServer;
use serde_json::Value;
use support::{free_port, start_kamailio, start_phone_toml, wait_until, Kamailio, Phone, TempDir, PASSWORD, USER};

/// The MAC address the phones are told to be, and its file.
const MAC: &str = "02:00:5E:10:00:01";
const MAC_FILE: &str = "02005e100001.toml";

/// The common layer served: a keep-alive setting for the floor.
const COMMON: &str = "[sip]\nkeepalive_secs = 20\n";

/// The hash of three empty layers: what a phone that never fetched anything reports.
const EMPTY_HASH: &str = "9d908ecfb6b256def8b49a7c504e6c889c4b0e41fe6ce3e01863dd7b61a20aa0";

fn mac_layer(kamailio: &Kamailio, password: &str) -> String {
    format!(
        "[[accounts]]\nlabel = \"desk\"\nserver = \"127.0.0.1:{}\"\nuser = \"{USER}\"\npassword = \"{password}\"\n",
        kamailio.port
    )
}

fn provisioning(phone: &Phone) -> Value {
    phone.ctl("status")["provisioning"].clone()
}

fn is_registered(phone: &Phone) -> bool {
    let status = phone.ctl("status");
    status["accounts"][0]["state"].as_str().is_some_and(|state| state.starts_with("registered"))
}

/// Waits until `ctl status` reports a provisioning error containing `expected`.
fn wait_for_error(phone: &Phone, expected: &str) -> String {
    wait_until(
        &format!("provisioning error `{expected}`"),
        Duration::from_secs(15),
        || provisioning(phone)["last_error"].as_str().filter(|e| e.contains(expected)).map(str::to_owned),
        || format!("{}\n{}", provisioning(phone), phone.log()),
    )
}

/// The rig of the Kamailio test: a registrar, a file server, a phone and its configuration.
struct Rig {
    dir: TempDir,
    kamailio: Kamailio,
    server: Option<FileServer>,
    phone: Phone,
    toml: String,
}

impl Rig {
    fn server(&self) -> &FileServer {
        self.server.as_ref().expect("the file server runs")
    }

    fn diagnostics(&self) -> String {
        format!("{}\n{}", self.phone.log(), self.kamailio.log())
    }

    /// Waits (15 s at most) until `check` holds.
    fn wait(&self, what: &str, check: impl Fn(&Rig) -> bool) {
        wait_until(what, Duration::from_secs(15), || check(self).then_some(()), || self.diagnostics());
    }

    /// Registration state lines in the phone's log: each REGISTER cycle adds some.
    fn registration_lines(&self) -> usize {
        self.phone.state_lines().len()
    }
}

#[test]
fn a_phone_provisions_itself_registers_follows_changes_and_survives_bad_files() {
    let dir = TempDir::new("provisioning");
    let mut kamailio = start_kamailio();
    kamailio.wait_ready();
    let server = FileServer::start(None);
    server.put("common.toml", COMMON);
    server.put(MAC_FILE, &mac_layer(&kamailio, PASSWORD));
    let toml = format!(
        "[sip]\nlisten = \"127.0.0.1:{}\"\n\n[provisioning]\nurl = \"{}\"\ninterval_secs = 5\nmac = \"{MAC}\"\n",
        free_port(),
        server.url()
    );
    let phone = start_phone_toml(&dir.path, "prov", &toml);
    let mut rig = Rig { dir, kamailio, server: Some(server), phone, toml };
    let hash = first_fetch_registers(&rig);
    unchanged_files_change_nothing(&rig, &hash);
    let (second, hash) = a_new_password_registers_again(&rig);
    broken_files_keep_the_last_good_configuration(&rig, &second, &hash);
    boot_with_the_server_down(&mut rig, &hash);
}

/// It fetches common, model (404: an empty layer) and its own file, and registers; the hash
/// of what it now runs is in `ctl status`.
fn first_fetch_registers(rig: &Rig) -> String {
    let (server, phone) = (rig.server(), &rig.phone);
    rig.wait("registered", |rig| rig.phone.times_registered() >= 1);
    let paths: Vec<String> = server.requests().iter().take(3).map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/prov/common.toml", "/prov/model/hardphone.toml", format!("/prov/{MAC_FILE}").as_str()]);
    let user_agent = format!("Hardphone/{} (hardphone; 02005e100001)", env!("CARGO_PKG_VERSION"));
    for request in server.requests().iter().take(3) {
        assert_eq!(request.header("user-agent"), Some(user_agent.as_str()), "{request:?}");
        assert_eq!(request.header("x-hardphone-config-hash"), Some(EMPTY_HASH), "nothing provisioned yet");
    }
    let first = mac_layer(&rig.kamailio, PASSWORD);
    let hash = config_hash([COMMON, "", &first]);
    let status = provisioning(phone);
    assert_eq!(status["config_hash"], hash.as_str(), "{status}");
    assert_eq!(status["url"], format!("{}/", server.url()).as_str());
    assert_eq!(status["source"], "config");
    assert!(status["last_error"].is_null() && status["last_success_unix"].is_u64(), "{status}");
    let cached = std::fs::read_to_string(phone.state_dir.join("provisioned/mac.toml")).expect("cached layer");
    assert_eq!(cached, first);
    hash
}

/// Unchanged files change nothing (no REGISTER, nothing applied); later requests carry the
/// hash of what the phone runs.
fn unchanged_files_change_nothing(rig: &Rig, hash: &str) {
    let (server, phone) = (rig.server(), &rig.phone);
    let registrations = rig.registration_lines();
    let fetched = server.requests_for(MAC_FILE).len();
    rig.wait("two more checks", |rig| rig.server().requests_for(MAC_FILE).len() >= fetched + 2);
    assert_eq!(rig.registration_lines(), registrations, "no REGISTER for unchanged files:\n{}", phone.log());
    assert_eq!(phone.log().matches("configuration applied").count(), 1, "{}", phone.log());
    let last = server.requests_for(MAC_FILE).pop().unwrap();
    assert_eq!(last.header("x-hardphone-config-hash"), Some(hash));
}

/// A new password in the inventory and at the registrar: the phone registers again with it at
/// its next check (Kamailio refuses the old one now). Returns the new MAC layer and hash.
fn a_new_password_registers_again(rig: &Rig) -> (String, String) {
    let registered = rig.phone.times_registered();
    support::set_user_password(&rig.kamailio, USER, "n3w-secret");
    let second = mac_layer(&rig.kamailio, "n3w-secret");
    rig.server().put(MAC_FILE, &second);
    rig.wait("registered again", |rig| rig.phone.times_registered() > registered);
    assert!(is_registered(&rig.phone), "{}", rig.phone.log());
    let hash = config_hash([COMMON, "", &second]);
    assert_eq!(provisioning(&rig.phone)["config_hash"], hash.as_str());
    (second, hash)
}

/// Broken files (not TOML, an invalid configuration, 404, 500): each is reported in one log
/// line and in `ctl status`; the phone stays registered on the last good configuration; fixed
/// files bring it back without registering again.
fn broken_files_keep_the_last_good_configuration(rig: &Rig, second: &str, hash: &str) {
    let (server, phone) = (rig.server(), &rig.phone);
    let registrations = rig.registration_lines();
    let broken: [(&dyn Fn(), &str); 4] = [
        (
            &|| server.put(MAC_FILE, "[[accounts]\nlabel = "),
            "invalid 02005e100001.toml: line 1, column 11: invalid table header; expected",
        ),
        (
            &|| server.put(MAC_FILE, &format!("{second}expires = 5\n")),
            "the provisioned configuration is invalid: accounts[0].expires: must be from 60 to 86400",
        ),
        (&|| server.remove(MAC_FILE), "404 Not Found for 02005e100001.toml"),
        (&|| server.set("common.toml", 500, "oops"), "500 Internal Server Error for common.toml"),
    ];
    for (break_it, expected) in broken {
        break_it();
        let error = wait_for_error(phone, expected);
        let line = format!(
            "provisioning failed: {}/: {error}; keeping the last good configuration; next try in",
            server.url()
        );
        assert!(phone.log().contains(&line), "one clear line `{line}`:\n{}", phone.log());
        assert!(is_registered(phone), "{}", phone.log());
        assert_eq!(provisioning(phone)["config_hash"], hash, "the last good configuration");
        assert_eq!(std::fs::read_to_string(phone.state_dir.join("provisioned/mac.toml")).unwrap(), second);
    }
    server.put("common.toml", COMMON);
    server.put(MAC_FILE, second);
    rig.wait("recovered", |rig| provisioning(&rig.phone)["last_error"].is_null());
    assert_eq!(rig.registration_lines(), registrations, "no REGISTER for broken files:\n{}", phone.log());
}

/// The server is down at boot: the phone starts and registers on its cached configuration and
/// reports why it could not fetch.
fn boot_with_the_server_down(rig: &mut Rig, hash: &str) {
    rig.phone.terminate();
    rig.server = None;
    rig.phone = start_phone_toml(&rig.dir.path, "prov", &rig.toml);
    rig.wait("registered from the cache", |rig| rig.phone.times_registered() >= 1);
    wait_for_error(&rig.phone, "cannot connect to 127.0.0.1:");
    assert_eq!(provisioning(&rig.phone)["config_hash"], hash);
}

/// A CA and a certificate it signed for a TLS client (the phone), PEM.
fn client_pki() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "Hardphone test device CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["phone-02005e100001".to_owned()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, "02005e100001");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

/// An HTTPS server configuration with the certificate of `pki`, requiring a client certificate
/// signed by `client_ca_pem`.
fn tls_server(pki: &support::Pki, client_ca_pem: &str) -> Arc<rustls::ServerConfig> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(client_ca_pem.as_bytes()).unwrap()).unwrap();
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().unwrap();
    let chain = vec![CertificateDer::from_pem_slice(pki.cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(pki.key_pem.as_bytes()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .unwrap();
    Arc::new(config)
}

/// The phone binary with `--provisioning-url`, its log in `dir/<name>.log`.
fn start_phone_with_url(dir: &Path, name: &str, toml: &str, url: &str) -> Phone {
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, toml).unwrap();
    let log_file = dir.join(format!("{name}.log"));
    let log = std::fs::File::create(&log_file).unwrap();
    let state_dir = dir.join(format!("{name}-state"));
    let child = Command::new(env!("CARGO_BIN_EXE_hardphone"))
        .arg("--config")
        .arg(&file)
        .args(["--headless", "--provisioning-url", url, "--state-dir"])
        .arg(&state_dir)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start the phone");
    Phone { child, log_file, state_dir }
}

#[test]
fn https_with_a_private_ca_a_client_certificate_and_basic_auth_from_the_command_line() {
    let dir = TempDir::new("provisioning-tls");
    let pki = support::Pki::new(&["127.0.0.1"]);
    let (client_ca, client_cert, client_key) = client_pki();
    for (name, text) in [("ca.pem", &pki.ca_pem), ("phone.pem", &client_cert), ("phone.key", &client_key)] {
        std::fs::write(dir.path.join(name), text).unwrap();
    }
    let server = FileServer::start(Some(tls_server(&pki, &client_ca)));
    server.require_authorization("Basic MDIwMDVlMTAwMDAxOnByb3YtcHc="); // 02005e100001:prov-pw
    server.put("common.toml", "[sip]\nfailback_secs = 60\n");
    server.put("model/desk-2.toml", "[sip]\nfailback_secs = 90\n");
    let mac = "[provisioning]\ninterval_secs = 30\n";
    server.put(MAC_FILE, mac);
    let toml = format!(
        "[sip]\nlisten = \"127.0.0.1:{}\"\n\n[provisioning]\nurl = \"http://127.0.0.1:9/not-this-one\"\n\
         interval_secs = 5\nmac = \"{MAC}\"\nmodel = \"desk-2\"\npassword = \"prov-pw\"\nca_file = \"{d}/ca.pem\"\n\
         client_cert = \"{d}/phone.pem\"\nclient_key = \"{d}/phone.key\"\n",
        free_port(),
        d = dir.path.display()
    );
    let phone = start_phone_with_url(&dir.path, "tls", &toml, &server.url());
    let hash = config_hash(["[sip]\nfailback_secs = 60\n", "[sip]\nfailback_secs = 90\n", mac]);
    wait_until(
        "provisioned over HTTPS",
        Duration::from_secs(15),
        || (provisioning(&phone)["config_hash"] == hash.as_str()).then_some(()),
        || format!("{}\n{}", provisioning(&phone), phone.log()),
    );
    let status = provisioning(&phone);
    assert_eq!(status["source"], "command-line", "the command line over the configuration");
    assert_eq!(status["url"], format!("{}/", server.url()).as_str());
    assert_eq!(status["mac"], "02005e100001");
    assert!(status["last_error"].is_null(), "{status}");
    let paths: Vec<String> = server.requests().iter().take(3).map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/prov/common.toml", "/prov/model/desk-2.toml", format!("/prov/{MAC_FILE}").as_str()]);
    // The provisioned interval (30 s) replaces the file's 5 s.
    let next = status["next_try_in_secs"].as_u64().unwrap();
    assert!((20..=33).contains(&next), "{status}");
}

#[test]
fn the_dhcp_hint_is_read_when_nothing_else_names_a_server() {
    let dir = TempDir::new("provisioning-dhcp");
    let server = FileServer::start(None);
    server.put("common.toml", "");
    server.put(MAC_FILE, "[sip]\nfailback_secs = 120\n");
    let hint = dir.path.join("provisioning-url");
    let toml = format!(
        "[sip]\nlisten = \"127.0.0.1:{}\"\n\n[provisioning]\ninterval_secs = 5\nmac = \"{MAC}\"\ndhcp_url_file = \"{}\"\n",
        free_port(),
        hint.display()
    );
    let phone = start_phone_toml(&dir.path, "dhcp", &toml);
    wait_until(
        "the control socket",
        Duration::from_secs(10),
        || phone.ctl("status")["ok"].as_bool().filter(|ok| *ok),
        || phone.log(),
    );
    let status = provisioning(&phone);
    assert!(status["url"].is_null() && status["last_error"].is_null(), "no URL is not an error: {status}");
    // The DHCP hook writes a bare host and path (option 66): http:// is understood.
    std::fs::write(&hint, format!("{}\n", server.url().trim_start_matches("http://"))).unwrap();
    wait_until(
        "provisioned from the DHCP hint",
        Duration::from_secs(15),
        || provisioning(&phone)["last_success_unix"].as_u64(),
        || format!("{}\n{}", provisioning(&phone), phone.log()),
    );
    assert_eq!(provisioning(&phone)["source"], "dhcp");
    // An unknown phone (no MAC file): a clear error.
    server.remove(MAC_FILE);
    server.put("common.toml", "[sip]\nfailback_secs = 100\n");
    wait_for_error(&phone, "404 Not Found for 02005e100001.toml");
    // Credentials the server refuses: its status is the error.
    server.put(MAC_FILE, "");
    server.require_authorization("Basic bm9ib2R5Om5vbmU=");
    wait_for_error(&phone, "401 Unauthorized for common.toml");
}
