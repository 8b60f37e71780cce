//! Interop with a real registrar: Kamailio on 127.0.0.1 with digest authentication. The test
//! writes Kamailio's configuration and users, starts it, and stops it by PID; `./scripts/test`
//! installs it. A REGISTER built by `sip`, sent by `hardphone::transport`, answers Kamailio's
//! challenge with `sip::digest` and must end with a binding in Kamailio's location table.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use hardphone::transport::{Destination, TlsSettings, TransportEvent, Transports};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sip::digest::{Challenge, ClientAuth, DigestRequest};
use sip::header::{Contact, WwwAuthenticate};
use sip::{Frame, HeaderName, Message, Method, Request, Response, Transport};

const USER: &str = "1001";
const PASSWORD: &str = "s3cret-1001";

/// A running Kamailio, stopped (by PID) and cleaned up when dropped, even when a test fails.
struct Kamailio {
    child: Child,
    dir: PathBuf,
    port: u16,
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
fn free_port() -> u16 {
    for _ in 0..20 {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let port = udp.local_addr().expect("addr").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port");
}

fn start_kamailio() -> Kamailio {
    let binary = Path::new("/usr/sbin/kamailio");
    assert!(binary.exists(), "kamailio is not installed: ./scripts/test installs it (apt-get install -y kamailio)");
    let dir = std::env::temp_dir().join(format!("hardphone-kamailio-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let port = free_port();
    let cfg = dir.join("kamailio.cfg");
    std::fs::write(&cfg, config(&dir, port)).expect("write config");
    let log = std::fs::File::create(dir.join("kamailio.log")).expect("log file");
    let child = Command::new(binary)
        .args(["-DD", "-E", "-f"])
        .arg(&cfg)
        .arg("-w")
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start kamailio");
    Kamailio { child, dir, port }
}

fn request(
    method: Method,
    kamailio: u16,
    local: SocketAddr,
    transport: Transport,
    cseq: u32,
    extra: &[(HeaderName, String)],
) -> Request {
    let mut r = Request::new(method.clone(), format!("sip:127.0.0.1:{kamailio}")).unwrap();
    let h = &mut r.headers;
    h.push(
        HeaderName::Via,
        format!("SIP/2.0/{transport} {local};rport;branch=z9hG4bK-interop-{cseq}-{}", transport.as_str()),
    )
    .unwrap();
    h.push(HeaderName::MaxForwards, "70").unwrap();
    h.push(HeaderName::From, format!("<sip:{USER}@127.0.0.1>;tag=hp{cseq}")).unwrap();
    h.push(HeaderName::To, format!("<sip:{USER}@127.0.0.1>")).unwrap();
    h.push(HeaderName::CallId, format!("interop-{}@127.0.0.1", transport.as_str())).unwrap();
    h.push(HeaderName::CSeq, format!("{cseq} {method}")).unwrap();
    let param = if transport == Transport::Udp {
        String::new()
    } else {
        format!(";transport={}", transport.as_str().to_lowercase())
    };
    h.push(HeaderName::Contact, format!("<sip:{USER}@{local}{param}>;expires=300")).unwrap();
    for (name, value) in extra {
        h.push(name.clone(), value).unwrap();
    }
    h.push(HeaderName::ContentLength, "0").unwrap();
    r
}

/// The next response on `transports`, within a bounded wait.
async fn response(transports: &mut Transports) -> Response {
    for _ in 0..20 {
        let event =
            tokio::time::timeout(Duration::from_secs(5), transports.next_event()).await.expect("kamailio answers");
        let message = match event {
            TransportEvent::Datagram { bytes, .. } => Message::parse(bytes).ok(),
            TransportEvent::Frame { frame: Frame::Message(m), .. } => Some(m),
            _ => None,
        };
        if let Some(Message::Response(r)) = message {
            if r.status >= 200 {
                return r;
            }
        }
    }
    panic!("no final response");
}

async fn wait_until_up(transports: &mut Transports, kamailio: &Kamailio) {
    let local = transports.local_addr();
    let dest = Destination {
        addr: SocketAddr::from(([127, 0, 0, 1], kamailio.port)),
        transport: Transport::Udp,
        server_name: None,
    };
    for attempt in 0..50u32 {
        let options = request(Method::Options, kamailio.port, local, Transport::Udp, 100 + attempt, &[]);
        let _ = transports.send(dest.clone(), Bytes::from(options.to_bytes())).await;
        if let Ok(event) = tokio::time::timeout(Duration::from_millis(200), transports.next_event()).await {
            if matches!(event, TransportEvent::Datagram { .. }) {
                return;
            }
        }
    }
    let log = std::fs::read_to_string(kamailio.dir.join("kamailio.log")).unwrap_or_default();
    panic!("kamailio did not start:\n{log}");
}

/// Registers over `transport` and returns the 200 OK.
async fn register(transports: &mut Transports, kamailio: &Kamailio, transport: Transport, password: &str) -> Response {
    let local = transports.local_addr();
    let dest = Destination { addr: SocketAddr::from(([127, 0, 0, 1], kamailio.port)), transport, server_name: None };
    let first = request(Method::Register, kamailio.port, local, transport, 1, &[]);
    transports.send(dest.clone(), Bytes::from(first.to_bytes())).await.expect("send");
    let challenge_response = response(transports).await;
    assert_eq!(challenge_response.status, 401, "Kamailio challenges first");
    let WwwAuthenticate(challenge): WwwAuthenticate = challenge_response.headers.typed().unwrap().unwrap();
    let challenge: Challenge<'static> = challenge.into_owned();
    let mut auth = ClientAuth::new(USER, password, &challenge).expect("usable challenge");
    let uri = format!("sip:127.0.0.1:{}", kamailio.port);
    let credentials = auth.authorize(&DigestRequest::new("REGISTER", &uri, b""), &mut ChaCha8Rng::seed_from_u64(9));
    let second = request(
        Method::Register,
        kamailio.port,
        local,
        transport,
        2,
        &[(HeaderName::Authorization, credentials.to_string())],
    );
    transports.send(dest, Bytes::from(second.to_bytes())).await.expect("send");
    response(transports).await
}

fn location_table(kamailio: &Kamailio) -> String {
    let output = Command::new("/usr/sbin/kamcmd")
        .arg("-s")
        .arg(format!("unix:{}", kamailio.dir.join("ctl.sock").display()))
        .arg("ul.dump")
        .output()
        .expect("kamcmd");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn registers_with_digest_over_udp_and_tcp() {
    let kamailio = start_kamailio();
    let mut transports = Transports::bind("127.0.0.1:0".parse().unwrap(), TlsSettings::default()).await.unwrap();
    wait_until_up(&mut transports, &kamailio).await;
    for transport in [Transport::Udp, Transport::Tcp] {
        let ok = register(&mut transports, &kamailio, transport, PASSWORD).await;
        assert_eq!(ok.status, 200, "{transport}: {}", ok.reason);
        let contacts: Vec<Contact> = ok.headers.typed_vec().unwrap();
        let local = transports.local_addr().to_string();
        assert!(
            contacts.iter().any(|c| c.addr().is_some_and(|a| a.uri_text.contains(&local)) && c.expires().is_some()),
            "{transport}: our binding is listed with its expiry: {contacts:?}"
        );
    }
    let table = location_table(&kamailio);
    assert!(table.contains(&format!("sip:{USER}@")), "location table: {table}");
}

#[tokio::test]
async fn a_wrong_password_is_challenged_again() {
    let kamailio = start_kamailio();
    let mut transports = Transports::bind("127.0.0.1:0".parse().unwrap(), TlsSettings::default()).await.unwrap();
    wait_until_up(&mut transports, &kamailio).await;
    let refused = register(&mut transports, &kamailio, Transport::Udp, "wrong").await;
    assert_eq!(refused.status, 401);
    assert!(!location_table(&kamailio).contains(&format!("sip:{USER}@")));
}
