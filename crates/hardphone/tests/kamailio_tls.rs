//! The phone binary against Kamailio over connection-oriented transports:
//!
//! * TLS interop: Kamailio's `tls` module listens on 127.0.0.1 with a certificate (for
//!   `localhost` and `127.0.0.1`) signed by a private CA made at test time with rcgen; the phone
//!   with `transport = "tls"` and `sip.tls_ca_file` registers with digest authentication, and the
//!   location table holds its binding over TLS with its instance id. Without the CA the phone
//!   refuses the certificate, logs it, and does not register.
//! * A killed connection: a TCP relay between the phone and Kamailio resets the phone's
//!   connection (RST both ways) while Kamailio keeps running; the phone must notice, connect
//!   again and register again within a few seconds, over TCP and over TLS (also when the
//!   connection dies with a REGISTER in flight: abandoned, re-sent on a new flow after 1–3 s).
//!
//! Kamailio and its `tls` module are Debian packages `kamailio` and `kamailio-tls-modules`;
//! `./scripts/test` installs them. Every process is stopped by PID (Drop guards), every wait is
//! bounded, everything listens on 127.0.0.1 only.

mod support;

use std::time::Duration;

use support::{
    bindings, field, location_table, start_kamailio, start_kamailio_tls, start_phone, stream_messages, wait_until,
    Kamailio, Phone, PhoneSetup, TcpRelay, TempDir, USER,
};

/// The longest wait for anything the phone should do "at once" or "within a few seconds".
const WAIT: Duration = Duration::from_secs(15);

/// Everything useful when a wait fails: the location table and both logs.
fn diagnostics(kamailio: &Kamailio, phone: &Phone) -> String {
    format!(
        "== location table\n{}\n== phone log\n{}\n== kamailio log\n{}",
        location_table(kamailio),
        phone.log(),
        kamailio.log()
    )
}

/// The bindings of [`USER`] in the location table.
fn user_bindings(kamailio: &Kamailio) -> Vec<Vec<(String, String)>> {
    bindings(&location_table(kamailio))
        .into_iter()
        .filter(|b| field(b, "Address").is_some_and(|a| a.starts_with(&format!("sip:{USER}@127.0.0.1"))))
        .collect()
}

/// The highest CSeq of [`USER`]'s bindings, once there is one.
fn highest_cseq(kamailio: &Kamailio) -> Option<u32> {
    user_bindings(kamailio).iter().filter_map(|b| field(b, "CSeq").and_then(|c| c.parse().ok())).max()
}

#[test]
fn the_phone_registers_over_tls_trusting_the_configured_private_ca() {
    let mut kamailio = start_kamailio_tls();
    kamailio.wait_ready();
    let tls_port = kamailio.tls_port.expect("TLS port");
    let dir = TempDir::new("tls-phone");
    let mut setup = PhoneSetup::new(format!("127.0.0.1:{tls_port}"), "tls");
    setup.tls_ca_file = Some(kamailio.ca_file());
    let mut phone = start_phone(&dir.path, "phone", &setup);

    let binding = wait_until(
        "registration over TLS",
        WAIT,
        || user_bindings(&kamailio).into_iter().next().filter(|_| phone.times_registered() > 0),
        || diagnostics(&kamailio, &phone),
    );
    let shown = format!("{binding:?}\n{}", diagnostics(&kamailio, &phone));
    let address = field(&binding, "Address").expect("Address");
    assert!(address.contains(";transport=tls"), "the Contact says TLS: {shown}");
    assert_eq!(field(&binding, "Socket"), Some(format!("tls:127.0.0.1:{tls_port}").as_str()), "{shown}");
    let instance = phone.instance_id();
    assert!(instance.starts_with("urn:uuid:"), "{instance}");
    assert!(field(&binding, "Instance").is_some_and(|i| i.contains(&instance)), "our +sip.instance: {shown}");
    let log = phone.log();
    assert!(log.contains("transport=TLS"), "{log}");
    assert!(!log.contains("send failed"), "no TLS failure: {log}");
    // Kamailio challenged and the phone answered over TLS: the binding is there only after
    // pv_www_authenticate accepted the credentials.

    let exit = phone.terminate();
    assert!(exit.success(), "clean exit: {exit}\n{}", phone.log());
    wait_until(
        "unregistration over TLS",
        WAIT,
        || user_bindings(&kamailio).is_empty().then_some(()),
        || diagnostics(&kamailio, &phone),
    );
}

/// Kamailio over TLS and the phone without `sip.tls_ca_file`, once the phone logged the failed
/// handshake and the failed attempt; returns them and the phone's "send failed" log line.
fn phone_without_the_ca() -> (Kamailio, TempDir, Phone, String) {
    let mut kamailio = start_kamailio_tls();
    kamailio.wait_ready();
    let tls_port = kamailio.tls_port.expect("TLS port");
    let dir = TempDir::new("tls-noca");
    let phone = start_phone(&dir.path, "phone", &PhoneSetup::new(format!("127.0.0.1:{tls_port}"), "tls"));
    let failure = wait_until(
        "the TLS failure in the phone's log",
        WAIT,
        || {
            let log = phone.log();
            let attempt_failed = log.lines().any(|l| l.contains("state=registration failed: transport error"));
            let line = log.lines().find(|l| l.contains("send failed") && l.contains("TLS handshake"))?;
            attempt_failed.then(|| line.to_owned())
        },
        || diagnostics(&kamailio, &phone),
    );
    assert!(failure.contains(&format!("127.0.0.1:{tls_port}")), "{failure}");
    (kamailio, dir, phone, failure)
}

#[test]
fn without_the_private_ca_the_phone_refuses_the_certificate_and_does_not_register() {
    let (kamailio, _dir, phone, _failure) = phone_without_the_ca();
    // The handshake failed because the phone rejected the certificate: rustls sent Kamailio an
    // "unknown CA" alert (not a connection refused, a reset or a protocol mismatch).
    wait_until(
        "Kamailio's report of the phone's unknown-CA alert",
        WAIT,
        || kamailio.log().to_lowercase().contains("alert unknown ca").then_some(()),
        || diagnostics(&kamailio, &phone),
    );
    assert!(user_bindings(&kamailio).is_empty(), "no binding: {}", diagnostics(&kamailio, &phone));
    assert_eq!(phone.times_registered(), 0, "{}", phone.log());
}

#[test]
fn without_the_private_ca_the_log_says_the_certificate_was_rejected() {
    let (_kamailio, _dir, _phone, failure) = phone_without_the_ca();
    assert!(failure.to_lowercase().contains("certificate"), "the log names the certificate fault: {failure}");
}

/// Registers through a relay over `transport` ("tcp" or "tls"), resets the connection, and checks
/// that the phone connects again and registers again while Kamailio keeps running.
fn killed_connection_is_reestablished(transport: &str) {
    let mut kamailio = if transport == "tls" { start_kamailio_tls() } else { start_kamailio() };
    kamailio.wait_ready();
    let pid = kamailio.child.id();
    let port = if transport == "tls" { kamailio.tls_port.expect("TLS port") } else { kamailio.port };
    let relay = TcpRelay::start(([127, 0, 0, 1], port).into());
    let dir = TempDir::new(&format!("kill-{transport}"));
    let mut setup = PhoneSetup::new(format!("127.0.0.1:{}", relay.port), transport);
    if transport == "tls" {
        setup.tls_ca_file = Some(kamailio.ca_file());
    }
    let phone = start_phone(&dir.path, "phone", &setup);
    let diagnose = || {
        let connections: Vec<_> = relay
            .connections()
            .iter()
            .map(|c| (c.client, c.upstream_local, c.open, stream_messages(&c.to_client)))
            .collect();
        format!("== relay connections\n{connections:#?}\n{}", diagnostics(&kamailio, &phone))
    };

    // Registered and settled: the phone's last REGISTER (its Contact updated to the address
    // Kamailio sees, RFC 3581 rport: the relay's side of the connection) was answered, so none is
    // in flight when the connection dies.
    let settled = |phone: &Phone| {
        let port = relay.connections().first()?.upstream_local?.port();
        let contact = format!("state=registered, contact <sip:{USER}@127.0.0.1:{port};transport={transport}>");
        phone.state_lines().iter().any(|l| l.contains(&contact)).then_some(())
    };
    wait_until("registration through the relay (settled)", WAIT, || settled(&phone), diagnose);
    let before = highest_cseq(&kamailio).expect("a binding");
    let first = relay.connections();
    assert_eq!(first.len(), 1, "one connection: {}", diagnose());
    if transport == "tcp" {
        assert!(
            stream_messages(&first[0].to_client).iter().any(|m| m.starts_with("SIP/2.0 200") && m.contains("REGISTER")),
            "Kamailio's 200 OK came through the relay: {}",
            diagnose()
        );
    }
    let registered_before = phone.times_registered();

    relay.kill_connections();

    // The phone notices the reset at once and, after its short flow-recovery wait (1-3 s),
    // connects again and registers again: a binding with a higher CSeq, over a second connection.
    let after = wait_until(
        "registration again on a new connection",
        WAIT,
        || {
            let connections = relay.connections();
            let reconnected = connections.len() >= 2 && connections[1..].iter().any(|c| c.open);
            highest_cseq(&kamailio).filter(|cseq| *cseq > before && reconnected && !connections[0].open)
        },
        diagnose,
    );
    assert!(after > before);
    wait_until(
        "the phone's log of the new registration",
        WAIT,
        || (phone.times_registered() > registered_before).then_some(()),
        diagnose,
    );
    let log = phone.log();
    assert!(log.contains("connection closed"), "the phone logged the lost connection: {log}");
    if transport == "tcp" {
        let connections = relay.connections();
        let new = connections.iter().skip(1).find(|c| c.open).expect("the new connection");
        let messages = stream_messages(&new.to_client);
        assert!(
            messages.iter().any(|m| m.starts_with("SIP/2.0 200") && m.contains("REGISTER")),
            "the new connection carried a REGISTER answered 200 OK: {}",
            diagnose()
        );
    }
    assert!(kamailio.child.try_wait().expect("wait").is_none(), "Kamailio kept running");
    assert_eq!(kamailio.child.id(), pid, "Kamailio was not restarted");
}

#[test]
fn a_killed_tcp_connection_is_noticed_and_registered_again() {
    killed_connection_is_reestablished("tcp");
}

#[test]
fn a_killed_tls_connection_is_noticed_and_registered_again() {
    killed_connection_is_reestablished("tls");
}

#[test]
fn a_connection_reset_with_a_register_in_flight_is_registered_again_within_seconds() {
    let mut kamailio = start_kamailio();
    kamailio.wait_ready();
    let relay = TcpRelay::start(([127, 0, 0, 1], kamailio.port).into());
    // REGISTER 1 is challenged, 2 answers the challenge and binds; 3, sent while registered (the
    // Contact update after RFC 3581 rport, as a refresh would be), dies with the connection.
    relay.reset_on_register(3);
    let dir = TempDir::new("kill-inflight");
    let phone = start_phone(&dir.path, "phone", &PhoneSetup::new(format!("127.0.0.1:{}", relay.port), "tcp"));
    let diagnose = || {
        let connections: Vec<_> = relay
            .connections()
            .iter()
            .map(|c| (c.client, c.upstream_local, c.open, stream_messages(&c.to_server), stream_messages(&c.to_client)))
            .collect();
        format!("== relay connections\n{connections:#?}\n{}", diagnostics(&kamailio, &phone))
    };
    wait_until(
        "the reset of the first connection with a REGISTER in flight",
        WAIT,
        || {
            let reset = relay.connections().first().is_some_and(|c| !c.open);
            (phone.times_registered() > 0 && reset).then_some(())
        },
        diagnose,
    );
    // Flow recovery (1-3 s), not the 30-60 s backoff: a new connection carries a REGISTER that
    // Kamailio answers 200 OK.
    wait_until(
        "registration again on a new connection",
        WAIT,
        || {
            let connections = relay.connections();
            let registered_again = connections.iter().skip(1).any(|c| {
                stream_messages(&c.to_client).iter().any(|m| m.starts_with("SIP/2.0 200") && m.contains("REGISTER"))
            });
            (registered_again && !user_bindings(&kamailio).is_empty()).then_some(())
        },
        diagnose,
    );
}
