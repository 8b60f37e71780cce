//! `NOTIFY` with `Event: check-sync` end to end (issue 6): a provisioned phone registered to a
//! Kamailio on 127.0.0.1 fetches its configuration at once when the NOTIFY comes from its
//! registrar's address (sipp on 127.0.0.1), and not at all when the same NOTIFY comes from
//! another address (sipp on 127.0.0.2): that one is not even answered (the trusted-server
//! guard). The check interval is an hour, so any fetch after the first is the NOTIFY's doing.

mod provisioning_server;
mod support;

use std::time::Duration;

use provisioning_server::FileServer;
use support::sipp::{start_sipp, SippRun};
use support::{free_port, start_kamailio, start_phone_toml, wait_until, TempDir, PASSWORD, USER};

const MAC: &str = "02005e100009";
const MAC_FILE: &str = "02005e100009.toml";

#[test]
fn check_sync_from_the_registrar_fetches_now_and_from_a_stranger_does_nothing() {
    let dir = TempDir::new("check-sync-notify");
    let mut kamailio = start_kamailio();
    kamailio.wait_ready();
    let server = FileServer::start(None);
    server.put("common.toml", "");
    let account = format!(
        "[[accounts]]\nlabel = \"desk\"\nserver = \"127.0.0.1:{}\"\nuser = \"{USER}\"\npassword = \"{PASSWORD}\"\n",
        kamailio.port
    );
    server.put(MAC_FILE, &account);
    let port = free_port();
    let toml = format!(
        "[sip]\nlisten = \"127.0.0.1:{port}\"\n\n[provisioning]\nurl = \"{}\"\ninterval_minutes = 60\nmac = \"{MAC}\"\n",
        server.url()
    );
    let phone = start_phone_toml(&dir.path, "phone", &toml);
    let diagnostics = || format!("{}\n{}", phone.log(), kamailio.log());
    wait_until("registered", Duration::from_secs(15), || (phone.times_registered() >= 1).then_some(()), diagnostics);
    let fetches = server.requests_for(MAC_FILE).len();
    assert_eq!(fetches, 1, "one fetch at start");

    let notify = |name: &str, scenario: &str, ip: &str| {
        let run = SippRun {
            name,
            scenario,
            ip,
            calls: 1,
            keys: vec![("event", "check-sync".to_owned()), ("voice", "0/0".to_owned())],
            remote: Some(format!("127.0.0.1:{port}")),
            service: USER,
        };
        let mut sipp = start_sipp(&dir.path, &run);
        let status = sipp.wait_exit(Duration::from_secs(15));
        (status, sipp.trace())
    };

    // From a stranger: no answer, no fetch (waiting past the 10 s spacing of check-syncs).
    let (status, trace) = notify("stranger", "notify_untrusted.xml", "127.0.0.2");
    assert_eq!(status.code(), Some(0), "no answer to the stranger\n{trace}");
    std::thread::sleep(Duration::from_secs(11));
    assert_eq!(server.requests_for(MAC_FILE).len(), fetches, "no fetch for a stranger's NOTIFY\n{}", phone.log());

    // From the registrar's address: 200, and a fetch now.
    let (status, trace) = notify("registrar", "notify_out_of_dialog.xml", "127.0.0.1");
    assert_eq!(status.code(), Some(0), "{trace}");
    assert!(trace.contains("SIP/2.0 200"), "{trace}");
    wait_until(
        "a fetch after the check-sync",
        Duration::from_secs(5),
        || (server.requests_for(MAC_FILE).len() > fetches).then_some(()),
        || phone.log(),
    );
}
