//! The rigs of the interop tests: Kamailio (configuration with users, optionally a TLS listener
//! with a certificate made at test time, start, stop by PID), the phone binary (started with a
//! configuration, killed by PID), a TCP relay whose connections a test can kill, and temporary
//! directories. Every process and thread a rig starts is stopped when it is dropped, even when a
//! test fails.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The account Kamailio knows.
pub const USER: &str = "1001";
/// Its password.
pub const PASSWORD: &str = "s3cret-1001";
/// A second account Kamailio knows, for calls between two phones.
pub const USER2: &str = "1002";
/// Its password.
pub const PASSWORD2: &str = "s3cret-1002";
/// A third account Kamailio knows, for transfers between three parties.
pub const USER3: &str = "1003";
/// Its password.
pub const PASSWORD3: &str = "s3cret-1003";

/// Where the Debian package puts Kamailio's modules.
const MODULES: &str = "/usr/lib/x86_64-linux-gnu/kamailio/modules/";

/// A running Kamailio, stopped (by PID) and cleaned up when dropped, even when a test fails.
pub struct Kamailio {
    pub child: Child,
    pub dir: PathBuf,
    /// The UDP and TCP port.
    pub port: u16,
    /// The TLS port, when started with [`start_kamailio_tls`].
    pub tls_port: Option<u16>,
}

impl Kamailio {
    /// Stops Kamailio (by PID) and starts it again on the same port with the same
    /// configuration: every binding and every connection is lost, as in a PBX restart.
    pub fn restart(&mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
        self.child = spawn(&self.dir);
    }

    /// Stops Kamailio (by PID) and waits for it: the server is gone until [`Kamailio::start`].
    pub fn stop(&mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }

    /// Starts Kamailio again after [`Kamailio::stop`], same port and configuration.
    pub fn start(&mut self) {
        self.child = spawn(&self.dir);
    }

    /// Waits (bounded) until Kamailio answers on its control socket: its listeners are bound
    /// then. Panics with its log when it does not come up or has exited.
    pub fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("kamailio exited ({status}):\n{}", self.log());
            }
            let answered = kamcmd(self, &["core.version"]).is_some_and(|out| out.contains("kamailio"));
            if answered {
                return;
            }
            assert!(Instant::now() < deadline, "kamailio did not come up:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kamailio's log (stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("kamailio.log")).unwrap_or_default()
    }

    /// The PEM file of the CA that signed Kamailio's TLS certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn config(dir: &Path, port: u16, tls_port: Option<u16>) -> String {
    let ctl = dir.join("ctl.sock");
    let (tls_globals, tls_modules) = match tls_port {
        Some(tls_port) => (
            format!("enable_tls=yes\nlisten=tls:127.0.0.1:{tls_port}\n"),
            format!("loadmodule \"tls.so\"\nmodparam(\"tls\", \"config\", \"{}\")\n", dir.join("tls.cfg").display()),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        r#"#!KAMAILIO
debug=2
log_stderror=yes
children=2
ser_kill_timeout=2
tcp_children=2
auto_aliases=no
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
{tls_globals}mpath="{MODULES}"
{tls_modules}loadmodule "ctl.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "htable.so"
loadmodule "rr.so"
modparam("ctl", "binrpc", "unix:{ctl}")
modparam("usrloc", "db_mode", 0)
modparam("htable", "htable", "users=>size=4;")

event_route[htable:mod-init] {{
    $sht(users=>{USER}) = "{PASSWORD}";
    $sht(users=>{USER2}) = "{PASSWORD2}";
    $sht(users=>{USER3}) = "{PASSWORD3}";
}}

request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (is_method("OPTIONS")) {{ sl_send_reply("200", "OK"); exit; }}
    if (is_method("REGISTER")) {{
        if (!pv_www_authenticate("$td", "$sht(users=>$au)", "0")) {{
            www_challenge("$td", "1");
            exit;
        }}
        if ($au != $tU) {{ sl_send_reply("403", "Forbidden"); exit; }}
        if (!save("location")) {{ sl_reply_error(); }}
        exit;
    }}
    # Calls between the users: in-dialog requests follow the route set; new INVITEs are
    # authenticated (407), record-routed and sent to the callee's binding.
    if (has_totag()) {{
        if (loose_route() || is_method("ACK|BYE|INFO|NOTIFY|REFER|UPDATE|INVITE")) {{ t_relay(); }}
        else {{ sl_send_reply("404", "Not Here"); }}
        exit;
    }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    if (is_method("INVITE")) {{
        if (!pv_proxy_authenticate("$fd", "$sht(users=>$au)", "0")) {{
            proxy_challenge("$fd", "1");
            exit;
        }}
        consume_credentials();
        record_route();
        if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
        t_relay();
        exit;
    }}
    sl_send_reply("404", "Not Here");
}}
"#,
        ctl = ctl.display()
    )
}

/// The tls module's configuration: Kamailio's certificate and key; no client certificates.
fn tls_config(dir: &Path) -> String {
    format!(
        "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n\
         private_key = {}\ncertificate = {}\n\n\
         [client:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n",
        dir.join("server-key.pem").display(),
        dir.join("server-cert.pem").display()
    )
}

/// A free port for both UDP and TCP on 127.0.0.1.
pub fn free_port() -> u16 {
    for _ in 0..20 {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let port = udp.local_addr().expect("addr").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port");
}

fn kamailio_dir() -> PathBuf {
    let binary = Path::new("/usr/sbin/kamailio");
    assert!(binary.exists(), "kamailio is not installed: ./scripts/test installs it (apt-get install -y kamailio)");
    let dir = std::env::temp_dir().join(format!("hardphone-kamailio-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Kamailio on 127.0.0.1 over UDP and TCP (one port), with digest authentication of [`USER`].
pub fn start_kamailio() -> Kamailio {
    let dir = kamailio_dir();
    let port = free_port();
    std::fs::write(dir.join("kamailio.cfg"), config(&dir, port, None)).expect("write config");
    let child = spawn(&dir);
    Kamailio { child, dir, port, tls_port: None }
}

/// Kamailio on the IPv6 loopback `[::1]` over UDP and TCP (one port).
pub fn start_kamailio_ipv6() -> Kamailio {
    let dir = kamailio_dir();
    let port = free_port();
    std::fs::write(dir.join("kamailio.cfg"), config(&dir, port, None).replace("127.0.0.1", "[::1]"))
        .expect("write config");
    let child = spawn(&dir);
    Kamailio { child, dir, port, tls_port: None }
}

/// Kamailio inside network namespace `netns`, listening on `addr:port` over UDP and TCP (for
/// tests that change the phone's address: the namespaces are the test's own).
pub fn start_kamailio_in_netns(netns: &str, addr: &str, port: u16) -> Kamailio {
    let dir = kamailio_dir();
    let text = config(&dir, port, None).replace("127.0.0.1", addr);
    std::fs::write(dir.join("kamailio.cfg"), text).expect("write config");
    let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("kamailio.log")).expect("log file");
    let child = Command::new("ip")
        .args(["netns", "exec", netns, "/usr/sbin/kamailio", "-DD", "-E", "-f"])
        .arg(dir.join("kamailio.cfg"))
        .arg("-w")
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start kamailio in its namespace");
    Kamailio { child, dir, port, tls_port: None }
}

/// [`start_kamailio`] plus a TLS listener on 127.0.0.1 (the `tls` module, Debian package
/// `kamailio-tls-modules`). Its certificate, for `localhost` and `127.0.0.1`, is signed by a
/// private CA made now, whose certificate is in [`Kamailio::ca_file`].
pub fn start_kamailio_tls() -> Kamailio {
    let module = Path::new(MODULES).join("tls.so");
    assert!(
        module.exists(),
        "Kamailio's tls module is not installed: ./scripts/test installs it (apt-get install -y kamailio-tls-modules)"
    );
    let dir = kamailio_dir();
    let pki = Pki::new(&["localhost", "127.0.0.1"]);
    std::fs::write(dir.join("ca.pem"), &pki.ca_pem).expect("write CA");
    std::fs::write(dir.join("server-cert.pem"), &pki.cert_pem).expect("write certificate");
    std::fs::write(dir.join("server-key.pem"), &pki.key_pem).expect("write key");
    std::fs::write(dir.join("tls.cfg"), tls_config(&dir)).expect("write tls.cfg");
    let port = free_port();
    let tls_port = loop {
        let candidate = free_port();
        if candidate != port {
            break candidate;
        }
    };
    std::fs::write(dir.join("kamailio.cfg"), config(&dir, port, Some(tls_port))).expect("write config");
    let child = spawn(&dir);
    Kamailio { child, dir, port, tls_port: Some(tls_port) }
}

/// A private CA and a server certificate it signed, as PEM, made with rcgen.
pub struct Pki {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl Pki {
    /// A new CA and a certificate for `names` (DNS names or IP addresses).
    pub fn new(names: &[&str]) -> Pki {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "Hardphone test PBX CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
        let key = KeyPair::generate().expect("server key");
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("server params");
        params.distinguished_name.push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &ca, &ca_key).expect("server certificate");
        Pki { ca_pem: ca.pem(), cert_pem: cert.pem(), key_pem: key.serialize_pem() }
    }
}

/// Runs `kamcmd` with `args` on Kamailio's control socket; `None` when it fails.
fn kamcmd(kamailio: &Kamailio, args: &[&str]) -> Option<String> {
    let output = Command::new("/usr/sbin/kamcmd")
        .arg("-s")
        .arg(format!("unix:{}", kamailio.dir.join("ctl.sock").display()))
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Sets the password of `user` at Kamailio (its `users` hash table) while it runs.
pub fn set_user_password(kamailio: &Kamailio, user: &str, password: &str) {
    let (user, password) = (format!("s:{user}"), format!("s:{password}"));
    let done = kamcmd(kamailio, &["htable.sets", "users", &user, &password]);
    assert!(done.is_some(), "kamcmd htable.sets");
}

/// `kamcmd ul.dump`: the location table.
pub fn location_table(kamailio: &Kamailio) -> String {
    let output = Command::new("/usr/sbin/kamcmd")
        .arg("-s")
        .arg(format!("unix:{}", kamailio.dir.join("ctl.sock").display()))
        .arg("ul.dump")
        .output()
        .expect("kamcmd");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The bindings of the location table: one per `Contact:` block, with the fields Kamailio
/// lists for it (`Address`, `Expires`, `CSeq`, `Socket`, `Instance`, ...), trimmed.
pub fn bindings(table: &str) -> Vec<Vec<(String, String)>> {
    let mut bindings: Vec<Vec<(String, String)>> = Vec::new();
    let mut current: Option<Vec<(String, String)>> = None;
    for line in table.lines() {
        let line = line.trim();
        if line.starts_with("Contact:") {
            bindings.extend(current.take());
            current = Some(Vec::new());
            continue;
        }
        if let (Some(fields), Some((key, value))) = (current.as_mut(), line.split_once(':')) {
            fields.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
    bindings.extend(current);
    bindings
}

/// The value of `key` in one binding of [`bindings`].
pub fn field<'a>(binding: &'a [(String, String)], key: &str) -> Option<&'a str> {
    binding.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Starts Kamailio with the configuration in `dir`, appending to its log there.
fn spawn(dir: &Path) -> Child {
    let binary = Path::new("/usr/sbin/kamailio");
    let cfg = dir.join("kamailio.cfg");
    let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("kamailio.log")).expect("log file");
    Command::new(binary)
        .args(["-DD", "-E", "-f"])
        .arg(&cfg)
        .arg("-w")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start kamailio")
}

/// A temporary directory of one test, removed when dropped.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    /// A new empty directory named after `tag`, this process and a free port (unique while the
    /// tests of this process run).
    pub fn new(tag: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("hardphone-{tag}-{}-{}", std::process::id(), free_port()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// How the phone's one account is set up by [`start_phone`].
pub struct PhoneSetup<'a> {
    /// The account's `server`, `host:port`.
    pub server: String,
    /// `udp`, `tcp` or `tls`.
    pub transport: &'a str,
    /// `sip.tls_ca_file`, if any.
    pub tls_ca_file: Option<PathBuf>,
    /// `sip.keepalive_secs`, if not the default.
    pub keepalive_secs: Option<u32>,
    /// The account's `expires`.
    pub expires: u32,
    /// The account's `backup_server`, if any.
    pub backup_server: Option<String>,
    /// `sip.failback_secs`, if not the default.
    pub failback_secs: Option<u32>,
    /// The account's `outbound_proxy`, if any.
    pub outbound_proxy: Option<String>,
    /// The account's user and password ([`USER`], [`PASSWORD`] unless changed).
    pub user: &'static str,
    /// The password.
    pub password: &'static str,
    /// The account's `auto_answer`, if set.
    pub auto_answer: Option<&'static str>,
    /// The address the phone listens on (`127.0.0.1` unless changed; `[::1]` for IPv6).
    pub listen_ip: &'static str,
    /// The `[audio]` table's lines, if any (e.g. `input = "file:/tmp/tone.wav"`).
    pub audio: Option<String>,
}

impl PhoneSetup<'_> {
    /// Account [`USER`] with [`PASSWORD`] at `server` over `transport`, `expires = 300`.
    pub fn new(server: impl Into<String>, transport: &str) -> PhoneSetup<'_> {
        PhoneSetup {
            server: server.into(),
            transport,
            tls_ca_file: None,
            keepalive_secs: None,
            expires: 300,
            backup_server: None,
            failback_secs: None,
            outbound_proxy: None,
            user: USER,
            password: PASSWORD,
            auto_answer: None,
            listen_ip: "127.0.0.1",
            audio: None,
        }
    }

    /// The configuration file's text.
    pub fn toml(&self, listen_port: u16) -> String {
        let mut sip = format!("[sip]\nlisten = \"{}:{listen_port}\"\n", self.listen_ip);
        if let Some(file) = &self.tls_ca_file {
            sip.push_str(&format!("tls_ca_file = \"{}\"\n", file.display()));
        }
        if let Some(seconds) = self.keepalive_secs {
            sip.push_str(&format!("keepalive_secs = {seconds}\n"));
        }
        if let Some(seconds) = self.failback_secs {
            sip.push_str(&format!("failback_secs = {seconds}\n"));
        }
        let mut backup = self.backup_server.as_ref().map(|b| format!("backup_server = \"{b}\"\n")).unwrap_or_default();
        if let Some(proxy) = &self.outbound_proxy {
            backup.push_str(&format!("outbound_proxy = \"{proxy}\"\n"));
        }
        if let Some(policy) = self.auto_answer {
            backup.push_str(&format!("auto_answer = \"{policy}\"\n"));
        }
        let audio = self.audio.as_ref().map(|lines| format!("[audio]\n{lines}\n")).unwrap_or_default();
        format!(
            "{audio}{sip}[[accounts]]\nlabel = \"Agent {user}\"\nserver = \"{}\"\ntransport = \"{}\"\nuser = \"{user}\"\n\
             password = \"{password}\"\nexpires = {}\n{backup}",
            self.server,
            self.transport,
            self.expires,
            user = self.user,
            password = self.password
        )
    }
}

/// The phone binary, killed (by PID) when dropped if it has not exited.
pub struct Phone {
    pub child: Child,
    /// Its stderr (the log).
    pub log_file: PathBuf,
    /// Its `--state-dir`.
    pub state_dir: PathBuf,
}

/// Starts `hardphone --config FILE --headless --state-dir DIR` in `dir` with `RUST_LOG=info`,
/// its log in `dir/<name>.log`.
pub fn start_phone(dir: &Path, name: &str, setup: &PhoneSetup<'_>) -> Phone {
    start_phone_toml(dir, name, &setup.toml(free_port()))
}

/// [`start_phone`] with the configuration file's whole text.
pub fn start_phone_toml(dir: &Path, name: &str, toml: &str) -> Phone {
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, toml).expect("write phone config");
    let log_file = dir.join(format!("{name}.log"));
    let log = std::fs::File::create(&log_file).expect("phone log");
    let state_dir = dir.join(format!("{name}-state"));
    let child = Command::new(env!("CARGO_BIN_EXE_hardphone"))
        .arg("--config")
        .arg(&file)
        .arg("--headless")
        .arg("--state-dir")
        .arg(&state_dir)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start the phone");
    Phone { child, log_file, state_dir }
}

impl Phone {
    /// `hardphone ctl --socket <this phone's socket> WORDS`: its JSON answer.
    pub fn ctl(&self, words: &str) -> serde_json::Value {
        let output = Command::new(env!("CARGO_BIN_EXE_hardphone"))
            .arg("ctl")
            .arg("--socket")
            .arg(self.state_dir.join("ctl.sock"))
            .args(words.split_whitespace())
            .output()
            .expect("run hardphone ctl");
        let text = String::from_utf8_lossy(&output.stdout);
        serde_json::from_str(text.trim()).unwrap_or_else(|_| {
            serde_json::json!({ "ok": false, "error": format!("{text}{}", String::from_utf8_lossy(&output.stderr)) })
        })
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_file).unwrap_or_default()
    }

    /// The log lines reporting a registration state (`registration account=... state=...`).
    pub fn state_lines(&self) -> Vec<String> {
        self.log().lines().filter(|l| l.contains("registration account=")).map(str::to_owned).collect()
    }

    /// How many times the log says the account is registered.
    pub fn times_registered(&self) -> usize {
        self.state_lines().iter().filter(|l| l.contains("state=registered")).count()
    }

    /// The instance id the phone keeps in its state directory (`urn:uuid:...`).
    pub fn instance_id(&self) -> String {
        let text = std::fs::read_to_string(self.state_dir.join("instance-id")).expect("instance-id file");
        text.trim().to_owned()
    }

    /// SIGTERM (the phone unregisters), then waits (bounded) for it to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().expect("kill");
        assert!(status.success(), "kill -TERM");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(exit) = self.child.try_wait().expect("wait") {
                return exit;
            }
            assert!(Instant::now() < deadline, "the phone did not exit after SIGTERM:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Phone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` every 50 ms until it gives `Some`, for at most `limit`; then panics with
/// `what` and the `diagnostics`.
pub fn wait_until<T>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> Option<T>,
    diagnostics: impl Fn() -> String,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        if Instant::now() > deadline {
            panic!("{what} did not happen within {limit:?}\n{}", diagnostics());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What a [`TcpRelay`] saw of one connection.
#[derive(Debug, Clone, Default)]
pub struct RelayedConnection {
    /// The client's address (the phone's end).
    pub client: Option<SocketAddr>,
    /// The local address of the relay's connection to the upstream server: where the server
    /// sees this connection come from.
    pub upstream_local: Option<SocketAddr>,
    /// Bytes from the client to the server.
    pub to_server: Vec<u8>,
    /// Bytes from the server to the client.
    pub to_client: Vec<u8>,
    /// Whether the connection is still open.
    pub open: bool,
}

#[derive(Debug, Default)]
struct RelayState {
    connections: Vec<RelayedConnection>,
    /// REGISTER request lines seen from clients, over all connections.
    registers: usize,
    /// Reset the connection that carries the REGISTER with this number (1-based) instead of
    /// forwarding it.
    reset_on_register: Option<usize>,
}

/// A TCP relay on 127.0.0.1 in front of `upstream`: every connection to it is forwarded, byte
/// for byte, to a new connection to `upstream`. [`TcpRelay::kill_connections`] resets every
/// open connection (RST both ways, as a NAT box or firewall that drops its state), without
/// touching the server behind. Runs on its own thread, stopped when dropped.
pub struct TcpRelay {
    pub port: u16,
    state: Arc<Mutex<RelayState>>,
    kill: tokio::sync::watch::Sender<u64>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TcpRelay {
    /// Starts the relay in front of `upstream`.
    pub fn start(upstream: SocketAddr) -> TcpRelay {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("relay bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("relay addr").port();
        let state = Arc::new(Mutex::new(RelayState::default()));
        let (kill, kill_rx) = tokio::sync::watch::channel(0u64);
        let (stop, stop_rx) = tokio::sync::oneshot::channel();
        let shared = state.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("relay runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("relay listener");
                tokio::select! {
                    _ = relay_accept_loop(listener, upstream, shared, kill_rx) => {}
                    _ = stop_rx => {}
                }
            });
        });
        TcpRelay { port, state, kill, stop: Some(stop), thread: Some(thread) }
    }

    /// The relay's address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Resets the connection that carries the `n`th REGISTER (1-based, counted over all
    /// connections) instead of forwarding it: the connection dies with that REGISTER in flight.
    /// Plaintext (TCP) only: TLS records cannot be read.
    pub fn reset_on_register(&self, n: usize) {
        self.state.lock().expect("relay state").reset_on_register = Some(n);
    }

    /// Resets every open connection (both sides get an RST).
    pub fn kill_connections(&self) {
        self.kill.send_modify(|generation| *generation += 1);
    }

    /// What the relay saw, one entry per accepted connection, in order.
    pub fn connections(&self) -> Vec<RelayedConnection> {
        self.state.lock().expect("relay state").connections.clone()
    }
}

impl Drop for TcpRelay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn relay_accept_loop(
    listener: tokio::net::TcpListener,
    upstream: SocketAddr,
    state: Arc<Mutex<RelayState>>,
    kill: tokio::sync::watch::Receiver<u64>,
) {
    // A bounded number of connections: a phone reconnecting in a loop cannot exhaust anything.
    for _ in 0..64 {
        let Ok((client, from)) = listener.accept().await else { continue };
        let index = {
            let mut state = state.lock().expect("relay state");
            state.connections.push(RelayedConnection { client: Some(from), open: true, ..Default::default() });
            state.connections.len() - 1
        };
        tokio::spawn(relay_connection(client, upstream, index, state.clone(), kill.clone()));
    }
    // Enough: accept no more, but keep relaying the open connections until dropped.
    drop(listener);
    std::future::pending::<()>().await;
}

async fn relay_connection(
    client: tokio::net::TcpStream,
    upstream: SocketAddr,
    index: usize,
    state: Arc<Mutex<RelayState>>,
    mut kill: tokio::sync::watch::Receiver<u64>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let generation = *kill.borrow_and_update();
    let connected = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(upstream)).await;
    let Ok(Ok(mut server)) = connected else {
        state.lock().expect("relay state").connections[index].open = false;
        return;
    };
    state.lock().expect("relay state").connections[index].upstream_local = server.local_addr().ok();
    let mut client = client;
    let (mut from_client, mut from_server) = (vec![0u8; 16384], vec![0u8; 16384]);
    let reset = loop {
        tokio::select! {
            read = client.read(&mut from_client) => {
                let n = match read { Ok(0) | Err(_) => break false, Ok(n) => n };
                if take_client_bytes(&state, index, &from_client[..n]) { break true; }
                if server.write_all(&from_client[..n]).await.is_err() { break false; }
            }
            read = server.read(&mut from_server) => {
                let n = match read { Ok(0) | Err(_) => break false, Ok(n) => n };
                state.lock().expect("relay state").connections[index].to_client.extend_from_slice(&from_server[..n]);
                if client.write_all(&from_server[..n]).await.is_err() { break false; }
            }
            changed = kill.changed() => {
                if changed.is_err() || *kill.borrow_and_update() > generation { break true; }
            }
        }
    };
    if reset {
        // SO_LINGER 0: closing sends an RST instead of a FIN.
        let _ = client.set_zero_linger();
        let _ = server.set_zero_linger();
    }
    drop(client);
    drop(server);
    state.lock().expect("relay state").connections[index].open = false;
}

/// Records bytes from a client; true when they carry the REGISTER to reset the connection on
/// (they are then neither recorded nor forwarded).
fn take_client_bytes(state: &Mutex<RelayState>, index: usize, bytes: &[u8]) -> bool {
    let mut state = state.lock().expect("relay state");
    let registers = bytes.windows(13).filter(|w| w == b"REGISTER sip:").count();
    let seen = state.registers + registers;
    if state.reset_on_register.is_some_and(|n| state.registers < n && n <= seen) {
        state.reset_on_register = None;
        state.registers = seen;
        return true;
    }
    state.registers = seen;
    state.connections[index].to_server.extend_from_slice(bytes);
    false
}

/// The SIP messages in `bytes` (a stream), split at each start line; keep-alive CRLFs dropped.
pub fn stream_messages(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut messages: Vec<String> = Vec::new();
    for line in text.split("\r\n") {
        let start = line.starts_with("SIP/2.0 ") || line.ends_with(" SIP/2.0");
        if start {
            messages.push(String::new());
        }
        if let Some(message) = messages.last_mut() {
            message.push_str(line);
            message.push_str("\r\n");
        }
    }
    messages
}

/// Writes a 16-bit mono WAV file of `seconds` of a `freq` Hz sine at `rate` Hz, amplitude 8000.
pub fn write_tone_wav(path: &Path, freq: f64, rate: u32, seconds: f64) {
    let samples: Vec<i16> = (0..(f64::from(rate) * seconds) as usize)
        .map(|n| (8000.0 * (2.0 * std::f64::consts::PI * freq * n as f64 / f64::from(rate)).sin()) as i16)
        .collect();
    let data_len = (samples.len() * 2) as u32;
    let mut bytes = Vec::with_capacity(44 + samples.len() * 2);
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&rate.to_le_bytes());
    bytes.extend_from_slice(&(rate * 2).to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        bytes.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, bytes).expect("write WAV");
}

/// The samples of a 16-bit mono WAV file (its `data` chunk), and its rate.
pub fn read_wav(path: &Path) -> (Vec<i16>, u32) {
    let bytes = std::fs::read(path).unwrap_or_default();
    if bytes.len() < 44 {
        return (Vec::new(), 0);
    }
    let rate = u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]);
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let len = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as usize;
        if &bytes[at..at + 4] == b"data" {
            let end = (at + 8 + len).min(bytes.len());
            let samples = bytes[at + 8..end].chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
            return (samples, rate);
        }
        at += 8 + len;
    }
    (Vec::new(), rate)
}

/// The power of `freq` in `samples` (Goertzel), relative to the signal's total power: 1.0 for a
/// pure tone at `freq`, near 0 for silence or other frequencies.
pub fn tone_share(samples: &[i16], rate: u32, freq: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI * freq / f64::from(rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut energy = 0.0;
    for &x in samples {
        let x = f64::from(x);
        let s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
        energy += x * x;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    if energy == 0.0 {
        0.0
    } else {
        2.0 * power / (samples.len() as f64 * energy)
    }
}

pub mod baresip;
pub mod sipp;
