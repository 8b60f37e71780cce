//! `Registration::retarget`: failover to another server address or a backup registrar, and
//! failback (RFC 3263 §4.3, RFC 5626 §4.5). Virtual clock, seeded RNG.

use std::time::{Duration, Instant};

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sip::header::{CSeq, CallId, Contact};
use sip::registration::{Failure, Output, Registration, RegistrationConfig, RegistrationState};
use sip::{reply, Request, Transport};

fn config(registrar: &str, local: &str) -> RegistrationConfig {
    RegistrationConfig {
        user: "1001".into(),
        domain: registrar.into(),
        registrar_uri: format!("sip:{registrar}"),
        auth_user: "1001".into(),
        password: "pw".into(),
        display_name: None,
        expires: 600,
        instance: "urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF".into(),
        reg_id: 1,
        local: local.parse().unwrap(),
        transport: Transport::Udp,
        user_agent: None,
    }
}

fn drain(reg: &mut Registration) -> (Vec<Request>, Vec<RegistrationState>) {
    let (mut sent, mut states) = (Vec::new(), Vec::new());
    while let Some(output) = reg.poll_output() {
        match output {
            Output::Send(request) => sent.push(request),
            Output::State(state) => states.push(state),
            other => panic!("unexpected {other:?}"),
        }
    }
    (sent, states)
}

fn call_id(request: &Request) -> String {
    request.headers.typed::<CallId>().unwrap().unwrap().0.to_string()
}

fn cseq(request: &Request) -> u32 {
    request.headers.typed::<CSeq>().unwrap().unwrap().seq
}

/// A registration that failed twice with timeouts (so its backoff count is 2).
fn twice_failed(t0: Instant, rng: &mut ChaCha8Rng) -> Registration {
    let mut reg = Registration::new(config("pbx-a.example.com", "192.0.2.10:5060"), rng).unwrap();
    reg.start(t0, rng);
    drain(&mut reg);
    reg.handle_failure(t0, Failure::Timeout, rng).unwrap();
    let at = reg.poll_timeout().unwrap();
    reg.handle_timeout(at, rng);
    drain(&mut reg);
    reg.handle_failure(at, Failure::Timeout, rng).unwrap();
    drain(&mut reg);
    assert_eq!(reg.consecutive_failures(), 2);
    reg
}

#[test]
fn a_backup_registrar_gets_a_new_call_id_and_the_backoff_count_is_kept() {
    let t0 = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut reg = twice_failed(t0, &mut rng);
    let old_call_id = reg.call_id().to_owned();
    reg.retarget(t0, config("pbx-b.example.com", "192.0.2.10:5060"), t0, &mut rng).unwrap();
    let (sent, states) = drain(&mut reg);
    let [register] = sent.as_slice() else { panic!("one REGISTER at once: {sent:?}") };
    assert_eq!(&*register.uri, "sip:pbx-b.example.com");
    assert_ne!(call_id(register), old_call_id, "RFC 3261 §10.2: a Call-ID is for one registrar");
    assert_eq!(cseq(register), 1);
    assert_eq!(states, [RegistrationState::Registering]);
    assert_eq!(reg.consecutive_failures(), 2, "cycling through failing servers keeps backing off");
    let response = reply(register, 200, "OK", Some("b"));
    reg.handle_response(t0, &response, &mut rng).unwrap();
    assert_eq!(reg.consecutive_failures(), 0);
}

#[test]
fn another_address_of_the_same_registrar_keeps_the_call_id_and_waits_until_at() {
    let t0 = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut reg = twice_failed(t0, &mut rng);
    let old_call_id = reg.call_id().to_owned();
    let at = t0 + Duration::from_secs(7);
    reg.retarget(t0, config("pbx-a.example.com", "192.0.2.10:5060"), at, &mut rng).unwrap();
    assert!(drain(&mut reg).0.is_empty(), "nothing before `at`");
    assert_eq!(reg.poll_timeout(), Some(at));
    reg.handle_timeout(at, &mut rng);
    let (sent, _) = drain(&mut reg);
    let [register] = sent.as_slice() else { panic!("one REGISTER at `at`: {sent:?}") };
    assert_eq!(call_id(register), old_call_id);
    assert!(cseq(register) > 2, "CSeq keeps growing for one registrar");
}

#[test]
fn a_new_local_address_at_the_same_registrar_removes_the_old_contact() {
    let t0 = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut reg = twice_failed(t0, &mut rng);
    reg.retarget(t0, config("pbx-a.example.com", "198.51.100.7:5060"), t0, &mut rng).unwrap();
    let (sent, _) = drain(&mut reg);
    let contacts: Vec<String> =
        sent[0].headers.typed_all::<Contact>().map(|c| c.unwrap().addr().unwrap().uri_text.to_owned()).collect();
    assert!(contacts.contains(&"sip:1001@198.51.100.7:5060".to_owned()), "{contacts:?}");
    assert!(contacts.contains(&"sip:1001@192.0.2.10:5060".to_owned()), "old contact removed: {contacts:?}");
}

#[test]
fn retarget_is_ignored_before_start_and_refuses_a_bad_config() {
    let t0 = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let mut reg = Registration::new(config("pbx-a.example.com", "192.0.2.10:5060"), &mut rng).unwrap();
    reg.retarget(t0, config("pbx-b.example.com", "192.0.2.10:5060"), t0, &mut rng).unwrap();
    assert!(drain(&mut reg).0.is_empty());
    let bad = RegistrationConfig { registrar_uri: "http://x".into(), ..config("pbx-b.example.com", "192.0.2.10:5060") };
    assert!(reg.retarget(t0, bad, t0, &mut rng).is_err());
}
