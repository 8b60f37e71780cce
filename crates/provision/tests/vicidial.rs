//! The VICIdial source against a real MariaDB server, started by this test as its own process
//! (Debian package `mariadb-server`; `scripts/install-deps` installs it):
//!
//! * a fresh data directory, `asterisk` database, a `phones` table in VICIdial's column layout
//!   with active and inactive, SIP, PJSIP and IAX2 rows, an extension on two servers, and a
//!   read-only user (SELECT only) the provisioning server connects as;
//! * what is served: the mapping of each column, 404 for inactive, IAX2 and missing rows, 403
//!   for another phone's file;
//! * an UPDATE of `conf_secret` (and of `active`) is served at the next request, no restart;
//! * the status page reads the rows too; the database gone gives 503.
//!
//! The server listens on 127.0.0.1 only, every wait is bounded, and mariadbd is killed by PID
//! when the test ends (a Drop guard).

mod support;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use provision::ServerConfig;
use support::{basic, phone_headers, Client, Scratch};

/// A table in VICIdial's `phones` layout (VICIdial's `MySQL_AST_CREATE_tables.sql`): its
/// leading columns in order with VICIdial's types, then those around `conf_secret`, and the
/// unique key on (extension, server_ip). The columns this server does not read are there so
/// that it is shown to pick its columns by name from a table shaped like the real one.
const PHONES_TABLE: &str = "
CREATE TABLE phones (
  extension VARCHAR(100),
  dialplan_number VARCHAR(20),
  voicemail_id VARCHAR(10),
  phone_ip VARCHAR(15),
  computer_ip VARCHAR(15),
  server_ip VARCHAR(15),
  login VARCHAR(15),
  pass VARCHAR(100),
  status VARCHAR(10),
  active ENUM('Y','N'),
  phone_type VARCHAR(50),
  fullname VARCHAR(50),
  company VARCHAR(10),
  picture VARCHAR(19),
  messages INT(4),
  old_messages INT(4),
  protocol ENUM('SIP','PJSIP','Zap','IAX2','EXTERNAL') DEFAULT 'SIP',
  local_gmt VARCHAR(6) DEFAULT '-5.00',
  ASTmgrUSERNAME VARCHAR(20) DEFAULT 'cron',
  ASTmgrSECRET VARCHAR(20) DEFAULT '1234',
  login_user VARCHAR(20),
  login_pass VARCHAR(100),
  login_campaign VARCHAR(10),
  park_on_extension VARCHAR(10) DEFAULT '8301',
  conf_on_extension VARCHAR(10) DEFAULT '8302',
  voicemail_exten VARCHAR(10) DEFAULT '8501',
  ext_context VARCHAR(20) DEFAULT 'default',
  outbound_cid VARCHAR(20),
  email VARCHAR(100),
  template_id VARCHAR(15) NOT NULL,
  conf_override TEXT,
  phone_context VARCHAR(20) DEFAULT 'default',
  phone_ring_timeout SMALLINT(3) DEFAULT '60',
  conf_secret VARCHAR(100) DEFAULT 'test',
  delete_vm_after_email ENUM('N','Y') DEFAULT 'N',
  is_webphone ENUM('Y','N','Y_API_LAUNCH') DEFAULT 'N',
  use_external_server_ip ENUM('Y','N') DEFAULT 'N',
  codecs_list VARCHAR(100) DEFAULT '',
  codecs_with_template ENUM('0','1') DEFAULT '0',
  webphone_auto_answer ENUM('Y','N') DEFAULT 'Y',
  voicemail_timezone VARCHAR(30) DEFAULT 'eastern',
  user_group VARCHAR(20) DEFAULT '---ALL---',
  INDEX (server_ip),
  INDEX (voicemail_id),
  INDEX (dialplan_number),
  UNIQUE INDEX extenserver (extension, server_ip)
) ENGINE=MyISAM;
";

/// The rows: `pass` differs from `conf_secret` everywhere, to show which one is served.
const ROWS: &str = "
INSERT INTO phones (extension, dialplan_number, voicemail_id, server_ip, login, pass, status, active,
                    phone_type, fullname, protocol, outbound_cid, template_id, conf_secret, codecs_list) VALUES
  ('cc100', '8100', '8100', '10.0.0.5', 'cc100', 'agentpw0', 'ACTIVE', 'Y', 'Hardphone',
   'Ann \"Agent\" O''Neil', 'SIP', '3125550100', '', 'conf-100', 'ulaw,alaw'),
  ('cc101', '8101', '8101', '10.0.0.5', 'cc101', 'agentpw1', 'ACTIVE', 'N', '', 'Inactive One', 'SIP', '', '', 'conf-101', ''),
  ('cc102', '8102', '8102', '10.0.0.5', 'cc102', 'agentpw2', 'ACTIVE', 'Y', '', 'Iax Two', 'IAX2', '', '', 'conf-102', ''),
  ('cc103', '8103', '', '10.0.0.5', 'cc103', 'agentpw3', 'ACTIVE', 'Y', '', '', 'PJSIP', '', '', 'conf-103', ''),
  ('cc104', '8104', '', '10.0.0.5', 'cc104', 'agentpw4', 'ACTIVE', 'Y', '', 'Four', 'SIP', '', '', 'conf-104-a', ''),
  ('cc104', '8104', '', '10.0.0.6', 'cc104', 'agentpw4', 'ACTIVE', 'Y', '', 'Four', 'SIP', '', '', 'conf-104-b', '');
";

const MAC_MAP: &str = "mac,extension,http_password,server_ip
0011223344a0,cc100,h0,
0011223344a1,cc101,h1,
0011223344a2,cc102,h2,
0011223344a3,cc103,h3,
0011223344a4,cc104,h4,10.0.0.6
0011223344a5,cc199,h5,
0011223344a6,cc104,h6,
";

/// A MariaDB server of our own; killed by PID when dropped.
struct MariaDb {
    child: Child,
    port: u16,
    socket: PathBuf,
    _dir: Scratch,
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_program(names: &[&str]) -> PathBuf {
    for name in names {
        for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
            let path = Path::new(dir).join(name);
            if path.exists() {
                return path;
            }
        }
    }
    panic!("{} not found: install mariadb-server (run scripts/install-deps)", names.join(" / "));
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|meta| meta.uid() == 0).unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl MariaDb {
    fn start() -> MariaDb {
        let mariadbd = find_program(&["mariadbd", "mysqld"]);
        let install_db = find_program(&["mariadb-install-db", "mysql_install_db"]);
        let dir = Scratch::new("mariadb");
        let data = dir.path().join("data");
        let user = if is_root() { vec!["--user=root".to_owned()] } else { Vec::new() };
        let installed = Command::new(install_db)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg("--auth-root-authentication-method=normal")
            .arg("--skip-test-db")
            .args(&user)
            .stdin(Stdio::null())
            .output()
            .expect("mariadb-install-db runs");
        assert!(installed.status.success(), "mariadb-install-db: {}", String::from_utf8_lossy(&installed.stderr));
        let socket = dir.path().join("mysqld.sock");
        let port = free_port();
        let child = Command::new(mariadbd)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--pid-file={}", dir.path().join("mysqld.pid").display()))
            .arg(format!("--log-error={}", dir.path().join("error.log").display()))
            .arg("--skip-name-resolve")
            .arg("--innodb-buffer-pool-size=16M")
            .args(&user)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mariadbd starts");
        let mut db = MariaDb { child, port, socket, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !(db.socket.exists() && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()) {
            if let Ok(Some(status)) = db.child.try_wait() {
                let log = std::fs::read_to_string(db._dir.path().join("error.log")).unwrap_or_default();
                panic!("mariadbd exited ({status}): {log}");
            }
            assert!(Instant::now() < deadline, "mariadbd did not come up within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        db.sql(
            "CREATE DATABASE asterisk; CREATE USER 'provision'@'127.0.0.1' IDENTIFIED BY 'ro-pw';\
                GRANT SELECT ON asterisk.* TO 'provision'@'127.0.0.1';",
        );
        db.sql(&format!("USE asterisk; {PHONES_TABLE} {ROWS}"));
        db
    }

    /// Runs SQL as root over the socket with the `mariadb` client.
    fn sql(&mut self, sql: &str) {
        use std::io::Write;
        let client = find_program(&["mariadb", "mysql"]);
        let mut child = Command::new(client)
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket.display()))
            .args(["-u", "root", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mariadb client");
        child.stdin.take().unwrap().write_all(sql.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "SQL failed: {}", String::from_utf8_lossy(&output.stderr));
    }
}

fn auth(mac: &str, password: &str) -> Vec<(String, String)> {
    let mut headers = phone_headers(mac, None);
    headers.push(("Authorization".to_owned(), basic(mac, password)));
    headers
}

async fn fetch(server: SocketAddr, mac: &str, password: &str) -> (u16, Option<phone::Config>) {
    let answer = Client::default().get(server, &format!("/{mac}.toml"), &auth(mac, password)).await;
    let config =
        (answer.status == 200).then(|| phone::Config::from_toml(&answer.body).expect("a file the phone reads"));
    (answer.status, config)
}

#[tokio::test]
async fn vicidial_phones_from_mariadb() {
    let mut db = MariaDb::start();
    let dir = Scratch::new("vicidial");
    dir.write("macs.csv", MAC_MAP);
    let text = format!(
        "[server]\nhttp = [\"127.0.0.1:0\"]\nallow_http = true\n\
         [auth]\nadmin_user = \"admin\"\nadmin_password = \"admin-pw\"\n\
         [vicidial]\nurl = \"mysql://provision:ro-pw@127.0.0.1:{}/asterisk?prefer_socket=false\"\n\
         mac_map = \"macs.csv\"\ncache_secs = 0\n",
        db.port
    );
    let config = ServerConfig::from_toml(&text, dir.path()).unwrap();
    let running = provision::start(&config).await.expect("server starts");
    let server = running.http_addrs()[0];

    let (status, config) = fetch(server, "0011223344a0", "h0").await;
    assert_eq!(status, 200);
    let account = &config.unwrap().accounts[0];
    assert_eq!((account.label.as_str(), account.user.as_str()), ("cc100", "cc100"));
    assert_eq!(account.password.expose(), "conf-100", "conf_secret, not pass");
    assert_eq!(account.server, "10.0.0.5");
    assert_eq!(account.transport, phone::Transport::Udp);
    assert_eq!(account.display_name.as_deref(), Some("Ann \"Agent\" O'Neil"));
    assert_eq!(account.voicemail.as_deref(), Some("8100"));
    assert_eq!(account.auto_answer, phone::AutoAnswer::Vicidial);

    assert_eq!(fetch(server, "0011223344a1", "h1").await.0, 404, "inactive");
    assert_eq!(fetch(server, "0011223344a2", "h2").await.0, 404, "IAX2");
    let (status, config) = fetch(server, "0011223344a3", "h3").await;
    assert_eq!(status, 200, "PJSIP");
    let account = &config.unwrap().accounts[0];
    assert_eq!((account.voicemail.clone(), account.display_name.clone()), (None, None), "empty columns");
    let (status, config) = fetch(server, "0011223344a4", "h4").await;
    assert_eq!(status, 200);
    assert_eq!(config.unwrap().accounts[0].password.expose(), "conf-104-b", "the row of the named server");
    assert_eq!(fetch(server, "0011223344a5", "h5").await.0, 404, "no row");
    assert_eq!(fetch(server, "0011223344a6", "h6").await.0, 500, "on two servers and none named");

    let others = Client::default().get(server, "/0011223344a3.toml", &auth("0011223344a0", "h0")).await;
    assert_eq!(others.status, 403);

    // Edits in VICIdial reach the phone at its next fetch.
    db.sql(
        "UPDATE asterisk.phones SET conf_secret = 'rotated' WHERE extension = 'cc100';\
            UPDATE asterisk.phones SET active = 'Y' WHERE extension = 'cc101';",
    );
    let (_, config) = fetch(server, "0011223344a0", "h0").await;
    assert_eq!(config.unwrap().accounts[0].password.expose(), "rotated");
    assert_eq!(fetch(server, "0011223344a1", "h1").await.0, 200, "activated");

    let admin = vec![("Authorization".to_owned(), basic("admin", "admin-pw"))];
    let status = Client::default().get(server, "/status.json", &admin).await;
    assert_eq!(status.status, 200, "{status:?}");
    let json: serde_json::Value = serde_json::from_str(&status.body).unwrap();
    assert_eq!(json["known"], 7);
    let row = json["phones"].as_array().unwrap().iter().find(|row| row["mac"] == "0011223344a0").unwrap().clone();
    assert_eq!((row["extension"].clone(), row["checked_in"].clone()), ("cc100".into(), true.into()));
    for secret in ["rotated", "conf-10", "ro-pw", "h0"] {
        assert!(!status.body.contains(&format!("\"{secret}")), "{secret} in the status");
    }

    let vicidial = match &config_of(&text, dir.path()).source {
        provision::config::SourceConfig::Vicidial(vicidial) => vicidial.clone(),
        _ => unreachable!(),
    };
    let reader = provision::vicidial::VicidialDb::new(vicidial.url.expose(), Duration::ZERO).unwrap();
    assert!(reader.session_read_only().await.unwrap(), "every session is read-only");

    // The database gone: the phone is told to come back later, and keeps what it has.
    drop(db);
    assert_eq!(fetch(server, "0011223344a0", "h0").await.0, 503);
}

fn config_of(text: &str, dir: &Path) -> ServerConfig {
    ServerConfig::from_toml(text, dir).unwrap()
}
