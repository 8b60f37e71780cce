//! The phone binary against two Kamailio registrars on 127.0.0.1: failover to the backup
//! registrar when the primary dies and failback once it is back (RFC 3263 §4.3), and a phone
//! killed without unregistering that comes back on another port (its stale binding goes, so a
//! PBX allowing one contact per extension accepts it). Every process is stopped by PID.

mod support;

use std::time::Duration;

use support::{
    bindings, field, location_table, start_kamailio, start_phone, wait_until, Kamailio, PhoneSetup, TempDir, USER,
};

fn bound(kamailio: &Kamailio) -> bool {
    location_table(kamailio).contains(&format!("sip:{USER}@127.0.0.1"))
}

#[test]
fn the_phone_fails_over_to_the_backup_registrar_and_back() {
    let mut primary = start_kamailio();
    let backup = start_kamailio();
    primary.wait_ready();
    let dir = TempDir::new("failover");
    let mut setup = PhoneSetup::new(format!("127.0.0.1:{}", primary.port), "tcp");
    setup.backup_server = Some(format!("127.0.0.1:{}", backup.port));
    setup.failback_secs = Some(10);
    let phone = start_phone(&dir.path, "phone", &setup);
    let log = || phone.log();
    wait_until("registration at the primary", Duration::from_secs(15), || bound(&primary).then_some(()), log);
    assert!(!bound(&backup), "nothing at the backup while the primary serves");
    // The primary dies: its connection closes, the phone's reconnect is refused, and it
    // registers at the backup at once (no 32 s timeout, no backoff).
    primary.stop();
    wait_until("registration at the backup", Duration::from_secs(15), || bound(&backup).then_some(()), log);
    // The primary returns; after failback_secs the phone registers there again.
    primary.start();
    primary.wait_ready();
    wait_until("failback to the primary", Duration::from_secs(30), || bound(&primary).then_some(()), log);
    let lines = phone.state_lines();
    assert!(lines.iter().any(|l| l.contains("(next target)")), "{lines:#?}");
}

#[test]
fn a_phone_killed_without_unregistering_replaces_its_stale_binding_when_it_returns() {
    let mut kamailio = start_kamailio();
    kamailio.wait_ready();
    let dir = TempDir::new("stale");
    let setup = PhoneSetup::new(format!("127.0.0.1:{}", kamailio.port), "udp");
    let mut first = start_phone(&dir.path, "phone", &setup);
    wait_until("first registration", Duration::from_secs(15), || bound(&kamailio).then_some(()), || first.log());
    let old_contact = field(&bindings(&location_table(&kamailio))[0], "Address").expect("Address").to_owned();
    // A power cut: no un-REGISTER. The same phone (same state directory, so the same
    // +sip.instance) comes back listening on another port.
    first.child.kill().expect("kill -9");
    let _ = first.child.wait();
    let second = start_phone(&dir.path, "phone", &setup);
    let only_new = || {
        let table = location_table(&kamailio);
        let all = bindings(&table);
        let contacts: Vec<&str> = all.iter().filter_map(|b| field(b, "Address")).collect();
        (contacts.len() == 1 && contacts[0] != old_contact).then_some(())
    };
    wait_until("one binding, the new one", Duration::from_secs(15), only_new, || {
        format!("{}\n{}", location_table(&kamailio), second.log())
    });
}

#[test]
fn with_an_outbound_proxy_requests_go_there_whatever_the_server_name() {
    let mut kamailio = start_kamailio();
    kamailio.wait_ready();
    let dir = TempDir::new("proxy");
    // The server name is never looked up: every request goes to the outbound proxy, and the
    // REGISTER still names the server (RFC 3261 §8.1.2, §10.2).
    let mut setup = PhoneSetup::new("pbx.invalid", "udp");
    setup.outbound_proxy = Some(format!("127.0.0.1:{}", kamailio.port));
    let phone = start_phone(&dir.path, "phone", &setup);
    wait_until(
        "registration through the proxy",
        Duration::from_secs(15),
        || bound(&kamailio).then_some(()),
        || phone.log(),
    );
    // `pbx.invalid` cannot resolve (RFC 6761): the binding proves the REGISTER went to the proxy.
    assert!(!phone.log().contains("cannot locate"), "{}", phone.log());
}

#[test]
fn the_phone_registers_over_ipv6_by_udp_and_tcp() {
    let mut kamailio = support::start_kamailio_ipv6();
    kamailio.wait_ready();
    let dir = TempDir::new("ipv6");
    for transport in ["udp", "tcp"] {
        let mut setup = PhoneSetup::new(format!("[::1]:{}", kamailio.port), transport);
        setup.listen_ip = "[::1]";
        let mut phone = start_phone(&dir.path, transport, &setup);
        let contact = format!("sip:{USER}@[::1]:");
        let bound_v6 = || location_table(&kamailio).contains(&contact).then_some(());
        wait_until("registration over IPv6", Duration::from_secs(15), bound_v6, || phone.log());
        assert!(phone.terminate().success());
        let gone = || (!location_table(&kamailio).contains(&contact)).then_some(());
        wait_until("unregistration over IPv6", Duration::from_secs(15), gone, || phone.log());
    }
}
