//! The Kamailio rig of the interop tests: configuration with users, start, stop by PID.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The account Kamailio knows.
pub const USER: &str = "1001";
/// Its password.
pub const PASSWORD: &str = "s3cret-1001";

/// A running Kamailio, stopped (by PID) and cleaned up when dropped, even when a test fails.
pub struct Kamailio {
    pub child: Child,
    pub dir: PathBuf,
    pub port: u16,
}

impl Kamailio {
    /// Stops Kamailio (by PID) and starts it again on the same port with the same
    /// configuration: every binding and every connection is lost, as in a PBX restart.
    pub fn restart(&mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
        self.child = spawn(&self.dir);
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn config(dir: &Path, port: u16) -> String {
    let ctl = dir.join("ctl.sock");
    format!(
        r#"#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "ctl.so"
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
modparam("ctl", "binrpc", "unix:{ctl}")
modparam("usrloc", "db_mode", 0)
modparam("htable", "htable", "users=>size=4;")

event_route[htable:mod-init] {{
    $sht(users=>{USER}) = "{PASSWORD}";
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
    sl_send_reply("404", "Not Here");
}}
"#,
        ctl = ctl.display()
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

pub fn start_kamailio() -> Kamailio {
    let binary = Path::new("/usr/sbin/kamailio");
    assert!(binary.exists(), "kamailio is not installed: ./scripts/test installs it (apt-get install -y kamailio)");
    let dir = std::env::temp_dir().join(format!("hardphone-kamailio-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let port = free_port();
    let cfg = dir.join("kamailio.cfg");
    std::fs::write(&cfg, config(&dir, port)).expect("write config");
    let child = spawn(&dir);
    Kamailio { child, dir, port }
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
