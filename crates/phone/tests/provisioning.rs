//! Provisioning, sans-IO: the fetch schedule on a virtual clock, the configuration hash vector,
//! the URL and where it comes from, the DHCP hint file, MAC discovery, the `[provisioning]`
//! table and what a provisioned layer may set.

use std::time::{Duration, Instant};

use phone::config::ProvisioningSettings;
use phone::provisioning::{
    check_provisioned_layer, choose_url, config_hash, default_route_interface, layer_files, normalize_mac,
    parse_dhcp_hint, user_agent, BaseUrl, ProvisioningSchedule, Scheme, UrlError, UrlSource, CHECK_SYNC_SPACING,
    FIRST_BACKOFF,
};
use phone::{Config, ConfigError, Problem};

const HOUR: Duration = Duration::from_secs(3600);

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Runs the due fetch at `now`; panics when none is due.
fn start(schedule: &mut ProvisioningSchedule, now: Instant) {
    assert_eq!(schedule.poll_timeout().map(|at| at <= now), Some(true), "a fetch is due");
    assert!(schedule.handle_timeout(now).is_some());
    assert_eq!(schedule.poll_timeout(), None, "no timeout while the fetch runs");
}

#[test]
fn the_first_fetch_is_at_start() {
    let t0 = Instant::now();
    let mut schedule = ProvisioningSchedule::new(t0, HOUR, 10, 1);
    assert_eq!(schedule.poll_timeout(), Some(t0));
    assert!(schedule.handle_timeout(t0).is_some());
    assert!(schedule.is_running());
    assert!(schedule.handle_timeout(t0 + HOUR * 2).is_none(), "one fetch at a time");
}

#[test]
fn each_interval_is_within_the_jitter() {
    let t0 = Instant::now();
    let (mut shortest, mut longest) = (Duration::MAX, Duration::ZERO);
    for seed in 0..200 {
        let mut schedule = ProvisioningSchedule::new(t0, HOUR, 10, seed);
        let mut now = t0;
        for _ in 0..5 {
            start(&mut schedule, now);
            let wait = schedule.fetch_succeeded(now);
            assert_eq!(schedule.poll_timeout(), Some(now + wait));
            assert!(wait >= secs(3240) && wait <= secs(3960), "60 min ± 10 %: {wait:?}");
            shortest = shortest.min(wait);
            longest = longest.max(wait);
            assert!(schedule.handle_timeout(now + wait - Duration::from_millis(1)).is_none(), "not early");
            now += wait;
        }
    }
    // The waits spread over the band: phones started together drift apart.
    assert!(shortest < secs(3300) && longest > secs(3900), "{shortest:?} .. {longest:?}");
}

#[test]
fn no_jitter_gives_the_interval_exactly() {
    let t0 = Instant::now();
    let mut schedule = ProvisioningSchedule::new(t0, secs(5), 0, 7);
    start(&mut schedule, t0);
    assert_eq!(schedule.fetch_succeeded(t0), secs(5));
}

#[test]
fn failures_back_off_from_30_s_doubling_up_to_the_interval() {
    let t0 = Instant::now();
    let mut schedule = ProvisioningSchedule::new(t0, secs(600), 0, 3);
    let mut now = t0;
    let mut waits = Vec::new();
    for _ in 0..7 {
        start(&mut schedule, now);
        let wait = schedule.fetch_failed(now);
        waits.push(wait.as_secs());
        now += wait;
    }
    assert_eq!(FIRST_BACKOFF, secs(30));
    assert_eq!(waits, [30, 60, 120, 240, 480, 600, 600]);
    // A success ends the backoff: the next failure starts again at 30 s.
    start(&mut schedule, now);
    now += schedule.fetch_succeeded(now);
    start(&mut schedule, now);
    assert_eq!(schedule.fetch_failed(now), secs(30));
}

#[test]
fn backoff_is_jittered_too() {
    let t0 = Instant::now();
    for seed in 0..50 {
        let mut schedule = ProvisioningSchedule::new(t0, HOUR, 20, seed);
        start(&mut schedule, t0);
        let wait = schedule.fetch_failed(t0);
        assert!(wait >= secs(24) && wait <= secs(36), "{wait:?}");
    }
}

#[test]
fn check_sync_fetches_now_but_not_more_often_than_every_10_s() {
    let t0 = Instant::now();
    let mut schedule = ProvisioningSchedule::new(t0, HOUR, 10, 5);
    start(&mut schedule, t0);
    let done = t0 + secs(1);
    schedule.fetch_succeeded(done);
    // A NOTIFY 3 s after the last fetch started: the next fetch is 10 s after that start.
    schedule.check_sync(t0 + secs(3));
    assert_eq!(schedule.poll_timeout(), Some(t0 + CHECK_SYNC_SPACING));
    assert!(schedule.handle_timeout(t0 + secs(9)).is_none());
    start(&mut schedule, t0 + secs(10));
    schedule.fetch_succeeded(t0 + secs(11));
    // A NOTIFY long after: at once.
    let later = t0 + secs(100);
    schedule.check_sync(later);
    assert_eq!(schedule.poll_timeout(), Some(later));
    // A flood of NOTIFYs starts one fetch per 10 s at most.
    let mut starts = 0;
    let mut now = later;
    while now < later + secs(60) {
        schedule.check_sync(now);
        if schedule.handle_timeout(now).is_some() {
            starts += 1;
            schedule.fetch_succeeded(now);
        }
        now += Duration::from_millis(500);
    }
    assert_eq!(starts, 6, "60 s of NOTIFYs every 0.5 s");
}

#[test]
fn check_sync_during_a_fetch_fetches_again_after_it() {
    let t0 = Instant::now();
    let mut schedule = ProvisioningSchedule::new(t0, HOUR, 10, 9);
    start(&mut schedule, t0);
    schedule.check_sync(t0 + secs(2));
    assert_eq!(schedule.poll_timeout(), None, "still running");
    schedule.fetch_succeeded(t0 + secs(4));
    assert_eq!(schedule.poll_timeout(), Some(t0 + CHECK_SYNC_SPACING), "not the hour");
    // The same after a failure: the NOTIFY wins over the backoff.
    start(&mut schedule, t0 + secs(10));
    schedule.check_sync(t0 + secs(11));
    schedule.fetch_failed(t0 + secs(12));
    assert_eq!(schedule.poll_timeout(), Some(t0 + secs(20)));
}

#[test]
fn a_shorter_interval_brings_the_next_fetch_forward() {
    let t0 = Instant::now();
    let mut schedule = ProvisioningSchedule::new(t0, HOUR, 0, 2);
    start(&mut schedule, t0);
    schedule.fetch_succeeded(t0);
    schedule.set_timing(t0 + secs(1), secs(30), 0);
    assert_eq!(schedule.poll_timeout(), Some(t0 + secs(31)));
    assert_eq!(schedule.interval(), secs(30));
    schedule.set_timing(t0 + secs(2), secs(1), 0);
    assert_eq!(schedule.interval(), secs(5), "at least 5 s");
}

/// The vector of docs/PROVISIONING.md.
#[test]
fn config_hash_vector() {
    assert_eq!(config_hash(["", "", ""]), "9d908ecfb6b256def8b49a7c504e6c889c4b0e41fe6ce3e01863dd7b61a20aa0");
    let common = "[sip]\nkeepalive_secs = 30\n";
    let mac = "[[accounts]]\nlabel = \"a\"\n";
    assert_eq!(config_hash([common, "", mac]), "98744dfc6c633a0b75af4b076c0e10ef7deca1529659082990d04446b8bbfe85");
    // The vector of docs/PROVISION-SERVER.md: the server computes the same.
    let mac = "[[accounts]]\nlabel = \"1001\"\nserver = \"pbx.example.com\"\nuser = \"1001\"\npassword = \"secret\"\n";
    assert_eq!(config_hash([common, "", mac]), "d0f94e27d8c769e4f1ed67b34eb6811b38b73d3093fa327ae43cffedb1a5961d");
    // The lengths keep the layers apart: the same text in another layer is another hash.
    assert_ne!(config_hash(["a", "", ""]), config_hash(["", "a", ""]));
}

#[test]
fn identification() {
    assert_eq!(user_agent("0.1.0", "hardphone", "0a1b2c3d4e5f"), "Hardphone/0.1.0 (hardphone; 0a1b2c3d4e5f)");
    assert_eq!(layer_files("t54w", "0a1b2c3d4e5f"), ["common.toml", "model/t54w.toml", "0a1b2c3d4e5f.toml"]);
}

#[test]
fn base_urls() {
    let url = BaseUrl::parse("https://prov.example.com/phones").unwrap();
    assert_eq!(
        (url.scheme, url.host.as_str(), url.port, url.path.as_str()),
        (Scheme::Https, "prov.example.com", 443, "/phones/")
    );
    assert_eq!(url.to_string(), "https://prov.example.com/phones/");
    assert_eq!(url.join("common.toml"), "https://prov.example.com/phones/common.toml");
    assert_eq!(url.target("common.toml"), "/phones/common.toml");
    let url = BaseUrl::parse(" HTTP://127.0.0.1:8080 ").unwrap();
    assert_eq!(
        (url.scheme, url.port, url.path.as_str(), url.authority()),
        (Scheme::Http, 8080, "/", "127.0.0.1:8080".into())
    );
    let url = BaseUrl::parse("http://[::1]:81/p/").unwrap();
    assert_eq!(
        (url.host.as_str(), url.authority(), url.to_string()),
        ("::1", "[::1]:81".into(), "http://[::1]:81/p/".into())
    );
    assert_eq!(BaseUrl::parse("https://h:443/").unwrap().authority(), "h");
    let bad = [
        ("tftp://10.0.0.1/", UrlError::Scheme),
        ("prov.example.com", UrlError::Scheme),
        ("http:///x", UrlError::NoHost),
        ("http://a b/", UrlError::BadHost),
        ("http://h:0/", UrlError::BadPort),
        ("http://h:99999/", UrlError::BadPort),
        ("http://h:+80/", UrlError::BadPort),
        ("http://u:p@h/", UrlError::Credentials),
        ("http://h/?mac=1", UrlError::QueryOrFragment),
        ("http://h/a b/", UrlError::BadPath),
        ("http://[zz]/", UrlError::BadHost),
    ];
    for (text, error) in bad {
        assert_eq!(BaseUrl::parse(text), Err(error), "{text}");
    }
}

#[test]
fn the_command_line_beats_the_config_which_beats_dhcp() {
    let [cli, config, dhcp] = ["http://cli/", "http://config/", "http://dhcp/"].map(|u| BaseUrl::parse(u).unwrap());
    let chosen = |c: Option<&BaseUrl>, f: Option<&BaseUrl>, d: Option<&BaseUrl>| {
        choose_url(c, f, d).map(|(url, source)| (url.host.clone(), source))
    };
    assert_eq!(chosen(Some(&cli), Some(&config), Some(&dhcp)), Some(("cli".into(), UrlSource::CommandLine)));
    assert_eq!(chosen(None, Some(&config), Some(&dhcp)), Some(("config".into(), UrlSource::Config)));
    assert_eq!(chosen(None, None, Some(&dhcp)), Some(("dhcp".into(), UrlSource::Dhcp)));
    assert_eq!(chosen(None, None, None), None);
    assert_eq!(UrlSource::CommandLine.name(), "command-line");
}

#[test]
fn dhcp_hint_files() {
    let url = |text: &str| parse_dhcp_hint(text).map(|u| u.map(|u| u.to_string()));
    assert_eq!(url("https://prov.example.com/phones/\n"), Ok(Some("https://prov.example.com/phones/".into())));
    assert_eq!(url("10.0.0.5"), Ok(Some("http://10.0.0.5/".into())), "option 66: a bare host");
    assert_eq!(url("  prov.example.com:8080 \n"), Ok(Some("http://prov.example.com:8080/".into())));
    assert_eq!(url("\"http://prov/x\"\n"), Ok(Some("http://prov/x/".into())), "quoted by dhclient");
    assert_eq!(url(""), Ok(None));
    assert_eq!(url(" \n\t\n"), Ok(None));
    assert_eq!(url("tftp://10.0.0.5/"), Err(UrlError::Scheme));
    assert_eq!(url("not a host"), Err(UrlError::BadHost));
}

#[test]
fn mac_addresses() {
    assert_eq!(normalize_mac("0A:1b:2C:3d:4E:5f\n").as_deref(), Some("0a1b2c3d4e5f"));
    assert_eq!(normalize_mac("0a-1b-2c-3d-4e-5f").as_deref(), Some("0a1b2c3d4e5f"));
    assert_eq!(normalize_mac("0A1B2C3D4E5F").as_deref(), Some("0a1b2c3d4e5f"));
    for bad in ["00:00:00:00:00:00", "0a:1b:2c:3d:4e", "0a:1b:2c:3d:4e:5g", "0a:1b-2c:3d:4e:5f", "0a1b2c3d4e5f0", ""] {
        assert_eq!(normalize_mac(bad), None, "{bad}");
    }
}

#[test]
fn the_default_route_interface_from_proc_net_route() {
    let table = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                 wlan0\t00000000\t0102A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n\
                 eth0\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n\
                 eth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n\
                 tun0\t00000000\t00000000\t0000\t0\t0\t1\t00000000\t0\t0\t0\n";
    assert_eq!(default_route_interface(table), Some("eth0"), "lowest metric among routes that are up");
    let no_default = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n\
                      eth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\n";
    assert_eq!(default_route_interface(no_default), None);
    assert_eq!(default_route_interface(""), None);
    assert_eq!(default_route_interface("Iface\nbroken line\n"), None);
}

fn problem(text: &str) -> (String, Problem) {
    match Config::from_toml(text) {
        Err(ConfigError::Invalid { key, problem }) => (key, problem),
        other => panic!("expected a semantic error for {text}, got {other:?}"),
    }
}

#[test]
fn the_provisioning_table() {
    let config = Config::from_toml("").unwrap();
    assert_eq!(config.provisioning, ProvisioningSettings::default());
    assert_eq!(config.provisioning.interval(), HOUR);
    assert_eq!(config.provisioning.dhcp_url_file.to_str(), Some("/run/hardphone/provisioning-url"));
    assert_eq!(config.provisioning.model, "hardphone");
    let text = r#"
        [provisioning]
        url = "https://prov.example.com/phones"
        interval_minutes = 15
        interval_secs = 5
        jitter_percent = 0
        username = "floor3"
        password = "pw"
        ca_file = "/etc/hardphone/ca.pem"
        client_cert = "/etc/hardphone/phone.pem"
        client_key = "/etc/hardphone/phone.key"
        model = "pi-desk"
        mac = "0A:1B:2C:3D:4E:5F"
        dhcp_url_file = "/run/x"
    "#;
    let p = Config::from_toml(text).unwrap().provisioning;
    assert_eq!(p.interval(), secs(5), "interval_secs overrides");
    assert_eq!(p.base_url().unwrap().to_string(), "https://prov.example.com/phones/");
    assert_eq!(p.mac().as_deref(), Some("0a1b2c3d4e5f"));
    assert_eq!(format!("{:?}", p.password), "Some(\"********\")", "never shown");
    let bad = [
        ("url = \"ftp://x/\"", "provisioning.url", Problem::BadUrl(UrlError::Scheme)),
        ("interval_minutes = 0", "provisioning.interval_minutes", Problem::OutOfRange { min: 1, max: 10_080 }),
        ("interval_secs = 4", "provisioning.interval_secs", Problem::OutOfRange { min: 5, max: 604_800 }),
        ("jitter_percent = 51", "provisioning.jitter_percent", Problem::OutOfRange { min: 0, max: 50 }),
        ("username = \"a:b\"", "provisioning.username", Problem::BadUserName),
        ("model = \"../x\"", "provisioning.model", Problem::BadModel),
        ("mac = \"zz\"", "provisioning.mac", Problem::BadMac),
        ("client_cert = \"/c\"", "provisioning.client_key", Problem::Required { by: "client_cert" }),
        ("client_key = \"/k\"", "provisioning.client_cert", Problem::Required { by: "client_key" }),
    ];
    for (line, key, expected) in bad {
        assert_eq!(problem(&format!("[provisioning]\n{line}\n")), (key.to_owned(), expected), "{line}");
    }
    assert!(Config::from_toml("[provisioning]\nurl_typo = 1\n").is_err(), "unknown keys are errors");
}

#[test]
fn a_provisioned_layer_may_set_only_url_and_timing_of_provisioning() {
    let layer = |text: &str| -> toml::Table { text.parse().unwrap() };
    let allowed =
        "[provisioning]\nurl = \"https://new/\"\ninterval_minutes = 5\ninterval_secs = 60\njitter_percent = 5\n";
    assert!(check_provisioned_layer(&layer(allowed)).is_ok());
    assert!(check_provisioned_layer(&layer("[sip]\nkeepalive_secs = 30\n")).is_ok());
    for key in ["username = \"x\"", "password = \"x\"", "ca_file = \"/x\"", "mac = \"0a1b2c3d4e5f\"", "model = \"m\""] {
        match check_provisioned_layer(&layer(&format!("[provisioning]\n{key}\n"))) {
            Err(ConfigError::Invalid { key: name, problem: Problem::NotProvisionable }) => {
                assert!(key.starts_with(name.trim_start_matches("provisioning.")), "{name}")
            }
            other => panic!("{key}: {other:?}"),
        }
    }
    assert!(check_provisioned_layer(&layer("provisioning = 3\n")).is_err());
}
