//! Message waiting (RFC 3842) and check-sync against sipp playing the PBX.
//!
//! * `voicemail_server.xml`: sipp is both registrar and voicemail server on 127.0.0.1. The phone
//!   (an account with `voicemail = "*97"`) registers, then subscribes to `message-summary` with
//!   the right Event and Accept (sipp checks them); sipp accepts and sends a NOTIFY with
//!   `Messages-Waiting: yes` and `Voice-Message: 2/1`, which the phone answers 200 and shows in
//!   `hardphone ctl status`. On SIGTERM the phone unsubscribes (Expires: 0) and unregisters.
//! * `notify_out_of_dialog.xml`: an unsolicited message-summary NOTIFY (Asterisk's
//!   `unsolicited_mwi`) from 127.0.0.1 gets 200 and updates the counts; a `check-sync` NOTIFY
//!   gets 200 and is logged as a configuration fetch request.
//! * `notify_untrusted.xml`: the same NOTIFYs from 127.0.0.2 get no answer and change nothing.

mod support;

use std::time::Duration;

use support::sipp::{start_sipp, Sipp, SippRun};
use support::{free_port, start_phone_toml, wait_until, Phone, PhoneSetup, TempDir, USER};

const WAIT: Duration = Duration::from_secs(15);

/// The phone with an account at `server`, `voicemail = "*97"`, no keep-alives; and its port.
fn mwi_phone(dir: &TempDir, server: u16) -> (Phone, u16) {
    let mut setup = PhoneSetup::new(format!("127.0.0.1:{server}"), "udp");
    setup.keepalive_secs = Some(3600);
    let port = free_port();
    let toml = format!("{}voicemail = \"*97\"\n", setup.toml(port));
    (start_phone_toml(&dir.path, "phone", &toml), port)
}

/// The account's `message_waiting` in `ctl status`.
fn message_waiting(phone: &Phone) -> serde_json::Value {
    phone.ctl("status")["accounts"][0]["message_waiting"].clone()
}

/// Plays a NOTIFY scenario from `ip` to the phone at `port` with Event `event` and `voice`
/// counts; returns sipp once it exited.
fn notify(dir: &TempDir, name: &str, scenario: &str, ip: &str, port: u16, event: &str, voice: &str) -> Sipp {
    let mut sipp = start_sipp(
        &dir.path,
        &SippRun {
            name,
            scenario,
            ip,
            calls: 1,
            keys: vec![("event", event.to_owned()), ("voice", voice.to_owned())],
            remote: Some(format!("127.0.0.1:{port}")),
            service: USER,
        },
    );
    sipp.wait_exit(WAIT);
    sipp
}

#[test]
fn the_phone_subscribes_to_its_mailbox_and_shows_the_counts() {
    let dir = TempDir::new("sipp-mwi");
    let mut server = start_sipp(
        &dir.path,
        &SippRun {
            name: "pbx",
            scenario: "voicemail_server.xml",
            ip: "127.0.0.1",
            calls: 2,
            keys: Vec::new(),
            remote: None,
            service: USER,
        },
    );
    let (mut phone, _) = mwi_phone(&dir, server.port);
    let diagnostics = |phone: &Phone, sipp: &Sipp| format!("== phone\n{}\n{}", phone.log(), sipp.diagnostics());
    let counts = wait_until(
        "the NOTIFY's counts in ctl status",
        WAIT,
        || Some(message_waiting(&phone)).filter(|m| !m.is_null()),
        || diagnostics(&phone, &server),
    );
    assert_eq!(counts, serde_json::json!({ "waiting": true, "new": 2, "old": 1 }));
    assert!(phone.log().contains("message waiting account=0 waiting=true new=2 old=1"), "{}", phone.log());
    let exit = phone.terminate();
    assert!(exit.success(), "{exit}\n{}", diagnostics(&phone, &server));
    let status = server.wait_exit(WAIT);
    assert_eq!(status.code(), Some(0), "sipp's voicemail scenario passed\n{}", diagnostics(&phone, &server));
    let trace = server.trace();
    let subscribe = trace.split("-----").find(|m| m.contains("SUBSCRIBE sip:")).expect("a SUBSCRIBE");
    assert!(subscribe.contains(&format!("SUBSCRIBE sip:{USER}@127.0.0.1 SIP/2.0")), "to the AOR\n{subscribe}");
    assert!(subscribe.contains("Expires: 3600"), "{subscribe}");
    let notify_ok = trace.split("-----").filter(|m| m.contains("CSeq: 1 NOTIFY")).any(|m| m.contains("SIP/2.0 200"));
    assert!(notify_ok, "the NOTIFY got 200\n{trace}");
}

#[test]
fn unsolicited_notifies_and_check_sync_from_the_registrar_only() {
    let dir = TempDir::new("sipp-unsolicited");
    let mut registrar = start_sipp(
        &dir.path,
        &SippRun {
            name: "registrar",
            scenario: "registrar.xml",
            ip: "127.0.0.1",
            calls: 1,
            keys: Vec::new(),
            remote: None,
            service: USER,
        },
    );
    // No voicemail number: no subscription, only what the server sends by itself.
    let mut setup = PhoneSetup::new(format!("127.0.0.1:{}", registrar.port), "udp");
    setup.keepalive_secs = Some(3600);
    let port = free_port();
    let mut phone = start_phone_toml(&dir.path, "phone", &setup.toml(port));
    wait_until(
        "the phone's registration",
        WAIT,
        || (phone.times_registered() > 0).then_some(()),
        || format!("{}\n{}", phone.log(), registrar.diagnostics()),
    );

    let mwi = notify(&dir, "unsolicited", "notify_out_of_dialog.xml", "127.0.0.1", port, "message-summary", "5/0");
    let d = |sipp: &Sipp| format!("== phone\n{}\n{}", phone.log(), sipp.diagnostics());
    assert!(mwi.trace().contains("SIP/2.0 200"), "{}", d(&mwi));
    let counts = wait_until(
        "the unsolicited counts",
        WAIT,
        || Some(message_waiting(&phone)).filter(|m| !m.is_null()),
        || d(&mwi),
    );
    assert_eq!(counts, serde_json::json!({ "waiting": true, "new": 5, "old": 0 }));

    let sync = notify(&dir, "check-sync", "notify_out_of_dialog.xml", "127.0.0.1", port, "check-sync", "0/0");
    assert!(sync.trace().contains("SIP/2.0 200"), "{}", d(&sync));
    wait_until("the check-sync log line", WAIT, || phone.log().contains("check-sync").then_some(()), || d(&sync));

    // From a stranger: silence, and nothing changes.
    for (name, event) in [("stranger-mwi", "message-summary"), ("stranger-sync", "check-sync")] {
        let mut stranger = start_sipp(
            &dir.path,
            &SippRun {
                name,
                scenario: "notify_untrusted.xml",
                ip: "127.0.0.2",
                calls: 1,
                keys: vec![("event", event.to_owned())],
                remote: Some(format!("127.0.0.1:{port}")),
                service: USER,
            },
        );
        let status = stranger.wait_exit(WAIT);
        assert_eq!(status.code(), Some(0), "no answer to {event}\n{}", d(&stranger));
        assert!(!stranger.trace().contains("SIP/2.0 "), "{}", d(&stranger));
    }
    assert_eq!(message_waiting(&phone), serde_json::json!({ "waiting": true, "new": 5, "old": 0 }));
    assert_eq!(phone.log().matches("check-sync: configuration fetch requested").count(), 1, "{}", phone.log());

    let exit = phone.terminate();
    assert!(exit.success(), "{exit}\n{}", phone.log());
    assert_eq!(registrar.wait_exit(WAIT).code(), Some(0), "{}", registrar.diagnostics());
}
