//! The provisioning logic without HTTP: requests in, replies out, the clock passed in.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use base64::Engine;

use super::*;

const A: &str = "001122334455";
const B: &str = "001122334456";

struct Rig {
    dir: PathBuf,
    provisioner: Provisioner,
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rig(name: &str, extra_config: &str) -> Rig {
    let dir = std::env::temp_dir().join(format!("hardphone-provision-service-{name}-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("models")).unwrap();
    std::fs::write(
        dir.join("phones.csv"),
        format!("mac,extension,password,server,http_password\n{A},1001,sip-a,pbx,http-a\n{B},1002,sip-b,pbx,http-b\n"),
    )
    .unwrap();
    std::fs::write(dir.join("common.toml"), "[sip]\nkeepalive_secs = 30\n").unwrap();
    std::fs::write(dir.join("models/desk.toml"), "[audio]\ntone_region = \"eu\"\n").unwrap();
    let text = format!(
        "[server]\nhttp = [\"127.0.0.1:0\"]\nallow_http = true\ncommon_file = \"common.toml\"\nmodels_dir = \"models\"\n\
         {extra_config}\n[inventory]\npath = \"phones.csv\"\n"
    );
    let config = ServerConfig::from_toml(&text, &dir).unwrap();
    let provisioner = Provisioner::new(&config, Instant::now()).unwrap();
    Rig { dir, provisioner }
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

fn request(target: Target, authorization: Option<&str>) -> Request<'_> {
    Request {
        target,
        client: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)), 40000),
        authorization,
        certificate_macs: &[],
        user_agent: Some("Hardphone/0.1.0 (desk; 001122334455)"),
        config_hash: None,
    }
}

fn get(rig: &Rig, target: Target, authorization: Option<&str>, now: Instant) -> Reply {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(rig.provisioner.handle(request(target, authorization), now, 1_700_000_000))
}

#[test]
fn shared_files_and_model_names() {
    let rig = rig("shared", "");
    let now = Instant::now();
    let auth = basic(A, "http-a");
    let common = get(&rig, Target::Common, Some(&auth), now);
    assert_eq!((common.status, common.body.as_slice()), (200, &b"[sip]\nkeepalive_secs = 30\n"[..]));
    assert_eq!(common.content_type, "application/toml");
    assert_eq!(get(&rig, Target::Common, None, now).status, 401, "common is not open by default");
    assert_eq!(get(&rig, Target::Model("desk.toml".into()), Some(&auth), now).status, 200);
    assert_eq!(get(&rig, Target::Model("other.toml".into()), Some(&auth), now).status, 404, "an empty layer");
    for hostile in ["..%2Fphones.csv", "../phones.csv", ".hidden.toml", "desk", "a/b.toml"] {
        assert_eq!(get(&rig, Target::Model(hostile.into()), Some(&auth), now).status, 404, "{hostile}");
    }
    for not_a_mac in ["001122334455", "00:11:22:33:44:55.toml", "001122334455.TOML", "phones.csv"] {
        assert_eq!(get(&rig, Target::PhoneFile(not_a_mac.into()), Some(&auth), now).status, 404, "{not_a_mac}");
    }
}

#[test]
fn open_common() {
    let rig = rig("open", "[auth]\nopen_common = true\n");
    let now = Instant::now();
    assert_eq!(get(&rig, Target::Common, None, now).status, 200);
    assert_eq!(get(&rig, Target::Model("desk.toml".into()), None, now).status, 200);
    assert_eq!(get(&rig, Target::PhoneFile(format!("{A}.toml")), None, now).status, 401, "secrets stay closed");
}

#[test]
fn phone_files_go_to_their_phone_only() {
    let rig = rig("phone", "");
    let now = Instant::now();
    let reply = get(&rig, Target::PhoneFile(format!("{A}.toml")), Some(&basic(A, "http-a")), now);
    assert_eq!(reply.status, 200);
    let config = phone::Config::from_toml(std::str::from_utf8(&reply.body).unwrap()).unwrap();
    assert_eq!(config.accounts[0].password.expose(), "sip-a");
    let other = get(&rig, Target::PhoneFile(format!("{B}.toml")), Some(&basic(A, "http-a")), now);
    assert_eq!(other.status, 403);
    let unauthenticated = get(&rig, Target::PhoneFile(format!("{A}.toml")), None, now);
    assert_eq!(unauthenticated.status, 401);
    assert!(unauthenticated.headers.contains(&("www-authenticate", "Basic realm=\"hardphone\"".to_owned())));
    assert_eq!(get(&rig, Target::PhoneFile(format!("{A}.toml")), Some(&basic(A, "http-b")), now).status, 401);
}

#[test]
fn unknown_phones_with_a_certificate_get_404() {
    let rig = rig("cert", "");
    let unknown = Mac::parse("0011223344ff").unwrap();
    let mut request = request(Target::PhoneFile(format!("{unknown}.toml")), None);
    request.certificate_macs = std::slice::from_ref(&unknown);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let reply = runtime.block_on(rig.provisioner.handle(request, Instant::now(), 0));
    assert_eq!(reply.status, 404);
}

#[test]
fn rate_limited_and_failed_logins_cost_more() {
    let rig = rig("rate", "[rate_limit]\nper_second = 1\nburst = 10\nfailed_auth_cost = 4\n");
    let now = Instant::now();
    let wrong = basic(A, "nope");
    assert_eq!(get(&rig, Target::PhoneFile(format!("{A}.toml")), Some(&wrong), now).status, 401);
    assert_eq!(get(&rig, Target::PhoneFile(format!("{A}.toml")), Some(&wrong), now).status, 401);
    // 10 - 2 requests - 2 × 4 = 0 left.
    let limited = get(&rig, Target::Common, Some(&basic(A, "http-a")), now);
    assert_eq!(limited.status, 429);
    assert!(limited.headers.contains(&("retry-after", "1".to_owned())));
    let later = now + Duration::from_secs(1);
    assert_eq!(get(&rig, Target::Common, Some(&basic(A, "http-a")), later).status, 200);
}

#[test]
fn status_needs_the_administrator_and_computes_latest() {
    let rig = rig("status", "[auth]\nadmin_user = \"admin\"\nadmin_password = \"adm\"\n");
    let now = Instant::now();
    assert_eq!(get(&rig, Target::StatusJson, None, now).status, 401);
    assert_eq!(get(&rig, Target::StatusJson, Some(&basic(A, "http-a")), now).status, 401, "a phone is no admin");

    // Phone A runs exactly what it would be served: common, the desk model, its file.
    let file = get(&rig, Target::PhoneFile(format!("{A}.toml")), Some(&basic(A, "http-a")), now).body;
    let hash = config_hash(b"[sip]\nkeepalive_secs = 30\n", b"[audio]\ntone_region = \"eu\"\n", &file);
    let auth = basic(A, "http-a");
    let mut checking_in = request(Target::PhoneFile(format!("{A}.toml")), Some(&auth));
    checking_in.config_hash = Some(&hash);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(runtime.block_on(rig.provisioner.handle(checking_in, now, 1_700_000_100)).status, 200);

    let reply = get(&rig, Target::StatusJson, Some(&basic("admin", "adm")), now);
    assert_eq!((reply.status, reply.content_type), (200, "application/json"));
    let json: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(json["phones"][0]["mac"], A);
    assert_eq!(json["phones"][0]["latest"], true, "{json}");
    assert_eq!(json["phones"][0]["last_seen"], 1_700_000_100);
    assert_eq!(json["phones"][0]["address"], "192.0.2.7");
    assert_eq!(json["phones"][1]["checked_in"], false);
    let text = String::from_utf8(reply.body).unwrap();
    assert!(!text.contains("sip-a") && !text.contains("http-a"), "no secrets in the status");

    let page = get(&rig, Target::StatusPage, Some(&basic("admin", "adm")), now);
    assert_eq!(page.content_type, "text/html; charset=utf-8");
    assert!(String::from_utf8(page.body).unwrap().contains("1 checked in, 1 on the latest configuration"));
}

#[test]
fn no_status_without_an_administrator() {
    let rig = rig("noadmin", "");
    assert_eq!(get(&rig, Target::StatusJson, Some(&basic("admin", "adm")), Instant::now()).status, 404);
}

#[test]
fn other_methods_are_refused_and_counted() {
    let rig = rig("method", "[rate_limit]\nper_second = 1\nburst = 2\n");
    let now = Instant::now();
    let reply = get(&rig, Target::OtherMethod, None, now);
    assert_eq!(reply.status, 405);
    assert!(reply.headers.contains(&("allow", "GET, HEAD".to_owned())));
    assert_eq!(get(&rig, Target::OtherMethod, None, now).status, 405);
    assert_eq!(get(&rig, Target::OtherMethod, None, now).status, 429);
}
