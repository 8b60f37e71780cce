use super::*;

/// The example of issue 3 / docs/CONFIG.md.
const EXAMPLE: &str = r#"
[sip]
listen = "0.0.0.0:5060"          # udp+tcp; "127.0.0.1:0" picks a free port
[[accounts]]
label = "Agent 1001"
server = "pbx.example.com"       # host[:port]; no port = look up SRV
transport = "udp"                # udp | tcp | tls
user = "1001"
auth_user = "1001"               # optional, defaults to user
password = "secret"
expires = 300
"#;

fn problem(text: &str) -> (String, Problem) {
    match Config::from_toml(text) {
        Err(ConfigError::Invalid { key, problem }) => (key, problem),
        other => panic!("expected a semantic error, got {other:?}"),
    }
}

fn account(extra: &str) -> String {
    format!("[[accounts]]\nlabel = \"a\"\nserver = \"pbx\"\nuser = \"1001\"\n{extra}")
}

#[test]
fn the_documented_example_reads() {
    let config = Config::from_toml(EXAMPLE).unwrap();
    assert_eq!(config.sip.listen, "0.0.0.0:5060".parse().unwrap());
    let a = &config.accounts[0];
    assert_eq!((a.label.as_str(), a.server.as_str(), a.transport), ("Agent 1001", "pbx.example.com", Transport::Udp));
    assert_eq!((a.user.as_str(), a.auth_user(), a.password.expose(), a.expires), ("1001", "1001", "secret", 300));
    assert!(a.enabled);
}

#[test]
fn defaults_need_no_file() {
    let config = Config::from_toml("").unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.sip.keepalive_secs, 25);
    assert!(config.accounts.is_empty());
    let config = Config::from_toml(&account("")).unwrap();
    let a = &config.accounts[0];
    assert_eq!((a.transport, a.expires, a.auth_user()), (Transport::Udp, 300, "1001"));
}

#[test]
fn the_password_never_shows_in_debug() {
    let config = Config::from_toml(EXAMPLE).unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains("secret"), "{shown}");
    assert!(shown.contains("********"));
}

#[test]
fn a_misspelt_key_is_named_with_its_line() {
    let error = Config::from_toml(&account("pasword = \"x\"\n")).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("pasword") && text.contains("line 5"), "{text}");
    let error = Config::from_toml("[sip]\nlisten = \"nowhere\"\n").unwrap_err();
    assert!(error.to_string().contains("line 2"), "{error}");
}

#[test]
fn a_bad_transport_lists_the_choices() {
    let text = Config::from_toml(&account("transport = \"sctp\"\n")).unwrap_err().to_string();
    assert!(text.contains("udp") && text.contains("tls"), "{text}");
}

#[test]
fn semantic_faults_name_the_key() {
    assert_eq!(
        problem(&account("expires = 10\n")),
        ("accounts[0].expires".into(), Problem::OutOfRange { min: 60, max: 86_400 })
    );
    assert_eq!(problem("[[accounts]]\nlabel = \"a\"\nserver = \"pbx:99999\"\nuser = \"1\"\n").0, "accounts[0].server");
    assert_eq!(
        problem("[[accounts]]\nlabel = \"a\"\nserver = \"2001:db8::1\"\nuser = \"1\"\n").1,
        Problem::BadServer(UriError::Ipv6NotBracketed)
    );
    assert_eq!(
        problem("[[accounts]]\nlabel = \"a\"\nserver = \"pbx\"\nuser = \"10 01\"\n"),
        ("accounts[0].user".into(), Problem::BadUser)
    );
    assert_eq!(problem(&account("outbound_proxy = \"\"\n")), ("accounts[0].outbound_proxy".into(), Problem::Empty));
    assert_eq!(
        problem(&format!("{}{}", account(""), account(""))),
        ("accounts[1].label".into(), Problem::DuplicateLabel)
    );
    assert_eq!(
        problem("[sip]\nkeepalive_secs = 0\n"),
        ("sip.keepalive_secs".into(), Problem::OutOfRange { min: 5, max: 3600 })
    );
}

#[test]
fn servers_with_ports_and_ipv6_are_accepted() {
    for server in ["pbx.example.com:5080", "192.0.2.10", "[2001:db8::1]:5061", "pbx"] {
        let text = format!(
            "[[accounts]]\nlabel = \"a\"\nserver = \"{server}\"\nuser = \"1001\"\nbackup_server = \"{server}\"\n"
        );
        assert!(Config::from_toml(&text).is_ok(), "{server}");
    }
}

#[test]
fn a_tls_ca_file_is_read() {
    let config = Config::from_toml("[sip]\ntls_ca_file = \"/etc/hardphone/pbx-ca.pem\"\n").unwrap();
    assert_eq!(config.sip.tls_ca_file.as_deref(), Some(std::path::Path::new("/etc/hardphone/pbx-ca.pem")));
    assert_eq!(Config::default().sip.tls_ca_file, None);
}

#[test]
fn the_audio_table_names_devices_by_mode_and_is_checked() {
    let config = Config::from_toml(
        "[audio]\ninput = \"plughw:CARD=Headset\"\noutput = \"file:/tmp/speaker.wav\"\nsample_rate = 48000\n\
         tone_region = \"uk\"\n[audio.handset]\ninput = \"null\"\n",
    )
    .unwrap();
    assert_eq!(config.audio.input, "plughw:CARD=Headset");
    assert_eq!(config.audio.ringer(), "file:/tmp/speaker.wav", "the ringer defaults to the output");
    assert_eq!(config.audio.handset.input.as_deref(), Some("null"));
    assert_eq!(config.audio.tone_region, ToneRegion::Uk);
    assert_eq!(Config::default().audio.sample_rate, 16_000);
    assert_eq!(
        problem("[audio]\nsample_rate = 44100\n"),
        ("audio.sample_rate".into(), Problem::OutOfRange { min: 8_000, max: 48_000 })
    );
    assert_eq!(problem("[audio.speaker]\noutput = \"file:\"\n"), ("audio.speaker.output".into(), Problem::Empty));
    assert!(Config::from_toml("[audio]\nvolume = 3\n").is_err(), "unknown keys are errors");
}

#[test]
fn the_input_table_names_devices_and_its_key_overrides_are_checked() {
    let config =
        Config::from_toml("[input]\ndevices = [\"/dev/input/event3\"]\n[input.keys]\nKEY_F5 = \"line1\"\n").unwrap();
    assert_eq!(config.input.devices, [std::path::PathBuf::from("/dev/input/event3")]);
    assert!(config.input.key_map().is_ok());
    let (key, fault) = problem("[input.keys]\nKEY_F5 = \"line99\"\n");
    assert_eq!(key, "input.keys");
    assert!(fault.to_string().contains("line99"), "{fault}");
    assert_eq!(problem("[input.keys]\nKEY_WHAT = \"1\"\n").0, "input.keys");
}
