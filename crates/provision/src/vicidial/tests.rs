use super::*;

fn row(extension: &str, protocol: &str, active: &str) -> VicidialPhone {
    VicidialPhone {
        extension: extension.into(),
        conf_secret: Some("conf-pw".into()),
        server_ip: Some("10.0.0.5".into()),
        protocol: Some(protocol.into()),
        fullname: Some("Agent \"Smith\"".into()),
        voicemail_id: Some("cc100".into()),
        active: Some(active.into()),
    }
}

#[test]
fn an_active_sip_phone_becomes_an_account() {
    let account = account_of_row(&row("cc100", "SIP", "Y"), &MappingSettings::default()).unwrap();
    let text = account.render().unwrap();
    let config = phone::Config::from_toml(&text).unwrap();
    let parsed = &config.accounts[0];
    assert_eq!((parsed.label.as_str(), parsed.user.as_str()), ("cc100", "cc100"));
    assert_eq!(parsed.password.expose(), "conf-pw");
    assert_eq!(parsed.server, "10.0.0.5");
    assert_eq!(parsed.transport, phone::Transport::Udp);
    assert_eq!(parsed.display_name.as_deref(), Some("Agent \"Smith\""));
    assert_eq!(parsed.voicemail.as_deref(), Some("cc100"));
    assert_eq!(parsed.auto_answer, phone::AutoAnswer::Vicidial);
}

#[test]
fn settings_change_the_mapping() {
    let settings = MappingSettings { transport: "TCP".into(), server_port: Some(5080), agent_mode: false };
    let mut pjsip = row("cc101", "PJSIP", "Y");
    pjsip.voicemail_id = Some(String::new());
    pjsip.fullname = None;
    let account = account_of_row(&pjsip, &settings).unwrap();
    let config = phone::Config::from_toml(&account.render().unwrap()).unwrap();
    let parsed = &config.accounts[0];
    assert_eq!(parsed.server, "10.0.0.5:5080");
    assert_eq!(parsed.transport, phone::Transport::Tcp);
    assert_eq!(parsed.voicemail, None);
    assert_eq!(parsed.display_name, None);
    assert_eq!(parsed.auto_answer, phone::AutoAnswer::Off);

    let mut v6 = row("cc102", "SIP", "Y");
    v6.server_ip = Some("2001:db8::5".into());
    assert_eq!(account_of_row(&v6, &settings).unwrap().server, "[2001:db8::5]:5080");
}

#[test]
fn inactive_and_non_sip_phones_are_not_served() {
    let settings = MappingSettings::default();
    assert!(account_of_row(&row("cc100", "SIP", "N"), &settings).is_none());
    assert!(account_of_row(&row("cc100", "IAX2", "Y"), &settings).is_none());
    assert!(account_of_row(&row("cc100", "Zap", "Y"), &settings).is_none());
    assert!(account_of_row(&row("cc100", "EXTERNAL", "Y"), &settings).is_none());
    let mut null = row("cc100", "SIP", "Y");
    null.active = None;
    assert!(account_of_row(&null, &settings).is_none());
    assert!(account_of_row(&row("cc100", "pjsip", "y"), &settings).is_some());
}

#[test]
fn a_row_that_would_make_a_bad_file_is_refused_by_render() {
    let mut bad = row("cc 100", "SIP", "Y");
    bad.server_ip = Some(String::new());
    assert!(account_of_row(&bad, &MappingSettings::default()).unwrap().render().is_err());
}

#[test]
fn picking_a_row_among_servers() {
    let mut other_server = row("cc100", "SIP", "Y");
    other_server.server_ip = Some("10.0.0.6".into());
    let inactive = row("cc100", "SIP", "N");
    let rows = vec![inactive.clone(), other_server.clone()];
    assert_eq!(pick_row(&rows, None), Ok(Some(&other_server)), "the one served row");
    assert_eq!(pick_row(&rows, Some("10.0.0.5")), Ok(Some(&inactive)), "the named server, served or not");
    assert_eq!(pick_row(&rows, Some("10.0.0.7")), Ok(None));
    let both = vec![row("cc100", "SIP", "Y"), other_server];
    assert_eq!(pick_row(&both, None), Err(vec!["10.0.0.5".to_owned(), "10.0.0.6".to_owned()]));
    assert_eq!(pick_row(&[], None), Ok(None));
}
