//! The terminal deskphone end to end, as a person uses it: the phone binary runs in a tmux
//! pseudo-terminal with no configuration at all, keys are typed into it (`tmux send-keys`) and
//! its screen is read back (`tmux capture-pane`). From the first-boot screen, through the
//! settings menu (admin PIN, a new account typed in: server, port, extension, password), to
//! the account registered at a Kamailio started here, a call to a baresip (registered as 1002,
//! answering by itself) dialed on the keypad, and the hang-up.
//!
//! Every step waits by bounded polling of the screen, and a failure shows the screen. The tmux
//! server (its own socket), the phone, baresip and Kamailio are stopped by PID when the test
//! ends, even when it fails.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::baresip::{start_baresip, BaresipSetup, BoundedKamailio, Registrar};
use support::{free_port, location_table, start_kamailio, wait_until, TempDir, PASSWORD, PASSWORD2, USER, USER2};

const TMUX: &str = "/usr/bin/tmux";
/// How often and how many times the screen is read before a step fails.
const POLL: Duration = Duration::from_millis(200);
const TRIES: usize = 50;

/// A tmux server of this test (its own socket) running the phone in session `phone`; killed
/// with the phone when dropped.
struct Tmux {
    socket: String,
    phone_pid: Option<u32>,
    log: std::path::PathBuf,
}

impl Tmux {
    /// Starts `command` in a detached 120×40 session.
    fn start(command: &str, log: &Path) -> Tmux {
        assert!(Path::new(TMUX).exists(), "tmux is not installed: ./scripts/install-deps installs it");
        let socket = format!("hardphone-test-{}-{}", std::process::id(), free_port());
        let mut tmux = Tmux { socket, phone_pid: None, log: log.to_owned() };
        tmux.run(&["new-session", "-d", "-s", "phone", "-x", "120", "-y", "40", command]);
        let pid = tmux.output(&["list-panes", "-t", "phone", "-F", "#{pane_pid}"]);
        tmux.phone_pid = pid.trim().parse().ok();
        tmux
    }

    fn run(&self, args: &[&str]) {
        let status = Command::new(TMUX)
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .expect("run tmux");
        assert!(status.success(), "tmux {args:?} failed\n{}", self.log());
    }

    fn output(&self, args: &[&str]) -> String {
        let output = Command::new(TMUX).arg("-L").arg(&self.socket).args(args).output().expect("run tmux");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Presses keys by tmux name (`F9`, `Enter`, `Down`, or text typed as keys).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "phone"];
        args.extend_from_slice(keys);
        self.run(&args);
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Types `text` literally (no key names).
    fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "phone", "-l", text]);
        std::thread::sleep(Duration::from_millis(150));
    }

    /// The screen now.
    fn screen(&self) -> String {
        self.output(&["capture-pane", "-p", "-t", "phone"])
    }

    /// Waits until the screen shows every one of `texts`; panics with the screen and the log.
    fn wait_for(&self, step: &str, texts: &[&str]) -> String {
        let mut screen = String::new();
        for _ in 0..TRIES {
            screen = self.screen();
            if texts.iter().all(|t| screen.contains(t)) {
                return screen;
            }
            std::thread::sleep(POLL);
        }
        panic!("{step}: the screen never showed {texts:?}:\n{screen}\n== phone log\n{}", self.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether the phone's process is gone.
    fn phone_exited(&self) -> bool {
        self.phone_pid.is_none_or(|pid| !Path::new(&format!("/proc/{pid}")).exists())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new(TMUX).arg("-L").arg(&self.socket).arg("kill-server").stderr(Stdio::null()).status();
        if let Some(pid) = self.phone_pid {
            let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).stderr(Stdio::null()).status();
        }
    }
}

/// The phone listens on 5060 when it has no configuration: nothing else may hold it.
fn assert_sip_port_free() {
    let udp = std::net::UdpSocket::bind("0.0.0.0:5060");
    let tcp = std::net::TcpListener::bind("0.0.0.0:5060");
    assert!(udp.is_ok() && tcp.is_ok(), "port 5060 is in use: a phone without configuration listens there");
}

/// Types a new account into the settings menu, from the idle screen to the filled-in form:
/// server 127.0.0.1, `port`, extension [`USER`], password [`PASSWORD`] (masked as it is typed).
fn enter_account(tmux: &Tmux, port: u16) {
    // The settings, behind the admin PIN.
    tmux.keys(&["F9"]);
    tmux.wait_for("settings key", &["Settings: admin PIN"]);
    tmux.keys(&["0", "0", "0", "0", "Enter"]);
    tmux.wait_for("PIN accepted", &["> Account", "Network", "Audio", "Status"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("account list", &["> Add account"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("new account form", &["New account", "> Label:"]);
    // Server.
    tmux.keys(&["Down", "Enter"]);
    tmux.wait_for("server field", &["Server (abc):"]);
    tmux.type_text("127.0.0.1");
    tmux.keys(&["Enter"]);
    tmux.wait_for("server typed", &["> Server: 127.0.0.1"]);
    // Port.
    tmux.keys(&["Down", "Enter"]);
    tmux.type_text(&port.to_string());
    tmux.keys(&["Enter"]);
    tmux.wait_for("port typed", &[&format!("> Port: {}", port)]);
    // Extension (transport stays UDP).
    tmux.keys(&["Down", "Down", "Enter"]);
    tmux.type_text(USER);
    tmux.keys(&["Enter"]);
    tmux.wait_for("extension typed", &[&format!("> Extension: {USER}")]);
    // Password: masked as it is typed.
    tmux.keys(&["Down", "Down", "Enter"]);
    tmux.wait_for("password field", &["Password"]);
    tmux.type_text(PASSWORD);
    let screen = tmux.screen();
    assert!(!screen.contains(PASSWORD), "the password shows masked:\n{screen}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("password typed", &[&format!("> Password: {}", "*".repeat(PASSWORD.len()))]);
}

#[test]
fn a_fresh_phone_gets_an_account_from_its_settings_menu_registers_and_calls() {
    assert_sip_port_free();
    let dir = TempDir::new("tmux");
    let mut kamailio = start_kamailio();
    kamailio.wait_ready();
    let kamailio = BoundedKamailio(kamailio);
    let registrar = Registrar { port: kamailio.port, user: USER2, password: PASSWORD2 };
    let setup = BaresipSetup { registrar: Some(registrar), auto_answer: true, ..BaresipSetup::direct() };
    let baresip = start_baresip(&dir.path, "baresip", &setup);
    let registered = || location_table(&kamailio).contains(&format!("AoR: {USER2}\n")).then_some(());
    wait_until("baresip registered", Duration::from_secs(15), registered, || baresip.log());

    let state = dir.path.join("state");
    let command = format!(
        "exec env RUST_LOG=info '{}' --state-dir '{}' --socket '{}'",
        env!("CARGO_BIN_EXE_hardphone"),
        state.display(),
        state.join("ctl.sock").display()
    );
    let tmux = Tmux::start(&command, &state.join("hardphone.log"));

    // First boot: no account, how to add one, and where the phone can be called.
    tmux.wait_for("first boot", &["No account set up", "Settings key", "--provisioning-url", "Direct calls: sip:"]);
    assert!(!state.join("device.toml").exists());

    enter_account(&tmux, kamailio.port);

    // Save (F2): kept, applied at once, registered.
    tmux.keys(&["F2"]);
    tmux.wait_for("saved", &["Saved"]);
    let kept = std::fs::read_to_string(state.join("device.toml")).expect("the device layer is kept");
    assert!(kept.contains(&format!("server = \"127.0.0.1:{}\"", kamailio.port)), "{kept}");
    tmux.wait_for("registered", &[&format!("{USER} (registered)"), "Ready"]);

    // Dial 1002 on the keypad; baresip answers by itself.
    tmux.keys(&["1", "0", "0", "2", "#"]);
    tmux.wait_for("call connected", &["1002 — 00:", "[Hold]", "[End]"]);
    baresip.wait_event("CALL_ESTABLISHED");

    // Hang up with the End soft key.
    tmux.keys(&["F4"]);
    tmux.wait_for("hung up", &["Ready"]);
    baresip.wait_event("CALL_CLOSED");

    // Quit: the phone unregisters and exits, and its pane with it.
    tmux.keys(&["q"]);
    for _ in 0..TRIES {
        if tmux.phone_exited() {
            break;
        }
        std::thread::sleep(POLL);
    }
    assert!(tmux.phone_exited(), "the phone did not exit after q:\n{}", tmux.log());
    assert!(tmux.log().contains("state=unregistered"), "it unregistered first:\n{}", tmux.log());
}
