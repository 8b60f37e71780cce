//! The provisioning server over HTTP and HTTPS on 127.0.0.1, serving from an inventory:
//!
//! * the right phone gets its file, which the phone's parser reads;
//! * a phone asking for another MAC's file with its own credentials gets 403, no credentials
//!   401 with a Basic challenge, unknown paths 404;
//! * the inventory edited on disk is served at the next request, without a restart;
//! * `/status.json` shows check-ins, latest true and false, and a phone that never checked in;
//! * HTTPS with a certificate made at test time, and client-certificate authentication
//!   (another phone's file 403, an unknown MAC 404, a certificate of another CA refused).

mod support;

use std::time::Duration;

use provision::ServerConfig;
use support::{basic, phone_headers, Client, Pki, Scratch};

const A: &str = "001122334455";
const B: &str = "001122334456";
const C: &str = "001122334457";

const COMMON: &str = "[sip]\nkeepalive_secs = 30\n";

fn inventory(password_a: &str) -> String {
    format!(
        "mac,extension,password,display_name,server,http_password\n\
         {A},1001,{password_a},\"Front \"\"Desk\"\"\",pbx.example.com,http-a\n\
         {B},1002,sip-b,,pbx.example.com,http-b\n\
         {C},1003,sip-c,,pbx.example.com,http-c\n"
    )
}

fn auth(mac: &str, password: &str) -> Vec<(String, String)> {
    let mut headers = phone_headers(mac, None);
    headers.push(("Authorization".to_owned(), basic(mac, password)));
    headers
}

async fn start(dir: &Scratch, server_section: &str) -> provision::Running {
    dir.write("phones.csv", &inventory("sip-a"));
    dir.write("common.toml", COMMON);
    let text = format!(
        "[server]\n{server_section}\ncommon_file = \"common.toml\"\nmodels_dir = \"models\"\n\
         state_file = \"state/checkins.json\"\n\
         [auth]\nadmin_user = \"admin\"\nadmin_password = \"admin-pw\"\n[inventory]\npath = \"phones.csv\"\n"
    );
    std::fs::create_dir_all(dir.path().join("state")).unwrap();
    let config = ServerConfig::from_toml(&text, dir.path()).expect("server configuration");
    provision::start(&config).await.expect("server starts")
}

#[tokio::test]
async fn inventory_over_http() {
    let dir = Scratch::new("http");
    let running = start(&dir, "http = [\"127.0.0.1:0\"]\nallow_http = true").await;
    let server = running.http_addrs()[0];
    let client = Client::default();

    let own = client.get(server, &format!("/{A}.toml"), &auth(A, "http-a")).await;
    assert_eq!(own.status, 200, "{own:?}");
    assert_eq!(own.header("content-type"), Some("application/toml"));
    let config = phone::Config::from_toml(&own.body).expect("the phone reads its file");
    assert_eq!(config.accounts[0].user, "1001");
    assert_eq!(config.accounts[0].password.expose(), "sip-a");
    assert_eq!(config.accounts[0].display_name.as_deref(), Some("Front \"Desk\""));

    let others = client.get(server, &format!("/{B}.toml"), &auth(A, "http-a")).await;
    assert_eq!(others.status, 403, "another MAC's file with the phone's own credentials");
    assert!(!others.body.contains("sip-b"));

    let anonymous = client.get(server, &format!("/{A}.toml"), &phone_headers(A, None)).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.header("www-authenticate"), Some("Basic realm=\"hardphone\""));
    let wrong = client.get(server, &format!("/{A}.toml"), &auth(A, "http-b")).await;
    assert_eq!(wrong.status, 401);

    let common = client.get(server, "/common.toml", &auth(B, "http-b")).await;
    assert_eq!((common.status, common.body.as_str()), (200, COMMON));
    assert_eq!(client.get(server, "/model/desk.toml", &auth(B, "http-b")).await.status, 404, "no model file");
    assert_eq!(client.get(server, "/nothing/here", &auth(B, "http-b")).await.status, 404);
    assert_eq!(client.get(server, "/phones.csv", &auth(B, "http-b")).await.status, 404);

    // Edited on disk: served at the next request once the one-second look has come round.
    dir.write("phones.csv", &inventory("new-sip-a"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let edited = client.get(server, &format!("/{A}.toml"), &auth(A, "http-a")).await;
    let config = phone::Config::from_toml(&edited.body).expect("edited file");
    assert_eq!(config.accounts[0].password.expose(), "new-sip-a");
}

#[tokio::test]
async fn status_shows_check_ins() {
    let dir = Scratch::new("status");
    let running = start(&dir, "http = [\"127.0.0.1:0\"]\nallow_http = true").await;
    let server = running.http_addrs()[0];
    let client = Client::default();

    // A fetches its file, then checks in again with the hash of what it runs now.
    let file_a = client.get(server, &format!("/{A}.toml"), &auth(A, "http-a")).await.body;
    let hash_a = provision::config_hash(COMMON.as_bytes(), b"", file_a.as_bytes());
    let mut headers = phone_headers(A, Some(&hash_a));
    headers.push(("Authorization".to_owned(), basic(A, "http-a")));
    assert_eq!(client.get(server, &format!("/{A}.toml"), &headers).await.status, 200);
    // B reports the hash of an older configuration.
    let stale = provision::config_hash(b"", b"", b"[[accounts]]\n");
    let mut headers = phone_headers(B, Some(&stale));
    headers.push(("Authorization".to_owned(), basic(B, "http-b")));
    assert_eq!(client.get(server, &format!("/{B}.toml"), &headers).await.status, 200);

    assert_eq!(client.get(server, "/status.json", &[]).await.status, 401);
    let admin = vec![("Authorization".to_owned(), basic("admin", "admin-pw"))];
    let status = client.get(server, "/status.json", &admin).await;
    assert_eq!(status.status, 200);
    let json: serde_json::Value = serde_json::from_str(&status.body).unwrap();
    let phones = json["phones"].as_array().unwrap();
    let row = |mac: &str| phones.iter().find(|row| row["mac"] == mac).unwrap().clone();
    assert_eq!((row(A)["checked_in"].clone(), row(A)["latest"].clone()), (true.into(), true.into()), "{json}");
    assert_eq!(row(A)["hash"], hash_a.as_str());
    assert_eq!(row(A)["address"], "127.0.0.1");
    assert_eq!(row(A)["extension"], "1001");
    assert_eq!(row(A)["user_agent"], format!("Hardphone/0.1.0 (desk; {A})").as_str());
    assert_eq!((row(B)["checked_in"].clone(), row(B)["latest"].clone()), (true.into(), false.into()));
    assert_eq!((row(C)["checked_in"].clone(), row(C)["last_seen"].clone()), (false.into(), serde_json::Value::Null));
    assert_eq!(
        (json["known"].clone(), json["checked_in"].clone(), json["latest"].clone()),
        (3.into(), 2.into(), 1.into())
    );
    for secret in ["sip-a", "http-a", "sip-b", "http-b", "admin-pw"] {
        assert!(!status.body.contains(secret), "{secret} in the status");
    }

    let page = client.get(server, "/status", &admin).await;
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(page.body.contains("3 phones known, 2 checked in, 1 on the latest configuration"), "{}", page.body);

    // The check-ins are kept in the state file, and read back by a new server.
    let state = dir.path().join("state/checkins.json");
    let mut saved = String::new();
    for _ in 0..50 {
        saved = std::fs::read_to_string(&state).unwrap_or_default();
        if saved.contains(&hash_a) && saved.contains(B) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saved.contains(&hash_a) && saved.contains(B), "state file: {saved}");
    drop(running);
    let restarted = start(&dir, "http = [\"127.0.0.1:0\"]\nallow_http = true").await;
    let status = client.get(restarted.http_addrs()[0], "/status.json", &admin).await;
    let json: serde_json::Value = serde_json::from_str(&status.body).unwrap();
    assert_eq!(json["checked_in"], 2, "{json}");
}

#[tokio::test]
async fn https_with_basic_and_client_certificates() {
    let dir = Scratch::new("https");
    let pki = Pki::new("Hardphone test provisioning CA");
    let server_cert = pki.server();
    dir.write("cert.pem", &server_cert.cert_pem);
    dir.write("key.pem", &server_cert.key_pem);
    dir.write("phones-ca.pem", &pki.ca_pem);
    let section =
        "https = [\"127.0.0.1:0\"]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\nclient_ca = \"phones-ca.pem\"";
    let running = start(&dir, section).await;
    assert!(running.http_addrs().is_empty(), "no plain HTTP unless allowed");
    let server = running.https_addrs()[0];

    let basic_client = Client { ca_pem: Some(pki.ca_pem.clone()), identity: None };
    let own = basic_client.get(server, &format!("/{A}.toml"), &auth(A, "http-a")).await;
    assert_eq!(own.status, 200);
    phone::Config::from_toml(&own.body).expect("the phone reads its file");
    assert_eq!(basic_client.get(server, &format!("/{B}.toml"), &auth(A, "http-a")).await.status, 403);
    assert_eq!(basic_client.get(server, &format!("/{A}.toml"), &[]).await.status, 401);

    // A certificate naming B's MAC in its CN, another naming A's in a DNS SAN (colon form).
    let phone_b = Client { ca_pem: Some(pki.ca_pem.clone()), identity: Some(pki.phone(B, &[])) };
    let by_cn = phone_b.get(server, &format!("/{B}.toml"), &phone_headers(B, None)).await;
    assert_eq!(by_cn.status, 200, "{by_cn:?}");
    assert_eq!(phone::Config::from_toml(&by_cn.body).unwrap().accounts[0].user, "1002");
    assert_eq!(
        phone_b.get(server, &format!("/{A}.toml"), &auth(A, "http-a")).await.status,
        403,
        "the certificate decides"
    );
    assert_eq!(phone_b.get(server, "/common.toml", &[]).await.status, 200);

    let phone_a =
        Client { ca_pem: Some(pki.ca_pem.clone()), identity: Some(pki.phone("desk phone", &["00:11:22:33:44:55"])) };
    assert_eq!(phone_a.get(server, &format!("/{A}.toml"), &[]).await.status, 200, "MAC in a DNS SAN");

    let unknown = Client { ca_pem: Some(pki.ca_pem.clone()), identity: Some(pki.phone("0011223344ff", &[])) };
    assert_eq!(unknown.get(server, "/0011223344ff.toml", &[]).await.status, 404, "an unknown MAC");

    let stranger_pki = Pki::new("Someone else's CA");
    let stranger = Client { ca_pem: Some(pki.ca_pem.clone()), identity: Some(stranger_pki.phone(A, &[])) };
    assert!(
        stranger.try_get(server, &format!("/{A}.toml"), &[]).await.is_err(),
        "a certificate of another CA is refused"
    );

    let untrusting = Client { ca_pem: Some(stranger_pki.ca_pem.clone()), identity: None };
    assert!(untrusting.try_get(server, "/common.toml", &[]).await.is_err(), "the client checks the server");
}

#[tokio::test]
async fn path_prefix_and_rate_limit() {
    let dir = Scratch::new("prefix");
    dir.write("phones.csv", &inventory("sip-a"));
    let text = "[server]\nhttp = [\"127.0.0.1:0\"]\nallow_http = true\npath_prefix = \"/prov/\"\n\
                [rate_limit]\nper_second = 0.5\nburst = 4\nfailed_auth_cost = 2\n[inventory]\npath = \"phones.csv\"\n";
    let config = ServerConfig::from_toml(text, dir.path()).unwrap();
    let running = provision::start(&config).await.unwrap();
    let server = running.http_addrs()[0];
    let client = Client::default();
    assert_eq!(client.get(server, &format!("/prov/{A}.toml"), &auth(A, "http-a")).await.status, 200);
    assert_eq!(client.get(server, &format!("/{A}.toml"), &auth(A, "http-a")).await.status, 404);
    assert_eq!(client.get(server, &format!("/prov/{A}.toml"), &auth(A, "guess")).await.status, 401);
    // 4 - 3 requests - 2 for the failure = -1: two tokens short, at 0.5 a second.
    let limited = client.get(server, &format!("/prov/{A}.toml"), &auth(A, "http-a")).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("4"));
}
