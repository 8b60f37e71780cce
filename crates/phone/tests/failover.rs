//! Failover to the next target and to the backup registrar, and back (RFC 3263 §4.3,
//! RFC 5626 §4.5), through the core on a virtual clock: first scripted, then 24 simulated hours
//! with 10% loss, outages, restarts and 503s.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use phone::core::FAILBACK_INTERVAL;
use sip::header::CallId;
use sip::registration::{backoff_upper_bound, RegistrationState};
use sip::Request;
use support::*;

const WITH_BACKUP: &str = r#"
[[accounts]]
label = "agent"
server = "pbx-a.example.com"
backup_server = "pbx-b.example.com"
user = "1001"
password = "pw"
expires = 300
"#;

const A: usize = 0;
const A2: usize = 1;
const B: usize = 2;

fn three_registrars() -> Vec<Registrar> {
    vec![
        Registrar::new("192.0.2.1:5060", "pw"),
        Registrar::new("192.0.2.2:5060", "pw"),
        Registrar::new("198.51.100.1:5060", "pw"),
    ]
}

/// The REGISTERs a registrar received, parsed.
fn received(h: &Harness, registrar: usize) -> Vec<&Request> {
    h.registrars[registrar].registers.iter().map(|(_, r)| r).collect()
}

fn call_id(request: &Request) -> String {
    request.headers.typed::<CallId>().unwrap().unwrap().0.to_string()
}

/// True when some registrar that is up holds a live binding at `at`.
fn bound(h: &Harness, at: Instant) -> bool {
    h.registrars.iter().any(|r| r.online && r.unavailable.is_none() && r.bound_at(at))
}

/// When the account was last reported registered, if it is now.
fn registered_since(h: &Harness) -> Option<Instant> {
    match h.states.last() {
        Some((at, _, RegistrationState::Registered { .. })) => Some(*at),
        _ => None,
    }
}

#[test]
fn a_silent_registrar_fails_over_to_its_next_target_then_to_the_backup_and_back() {
    let mut h = Harness::new(WITH_BACKUP, three_registrars());
    h.start_routes(0, &[A, A2], &[B]);
    assert!(h.registered(0));
    let first_call_id = call_id(received(&h, A)[0]);
    // Both addresses of the primary go silent. The refresh times out on A (Timer F, 32 s), the
    // phone tries A2 at once, then the backup at once.
    h.registrars[A].online = false;
    h.registrars[A2].online = false;
    h.run_for(secs(300));
    assert!(h.registered(0), "registered at the backup: {:?}", h.states);
    let at_b = received(&h, B);
    assert!(!at_b.is_empty());
    assert_eq!(&*at_b[0].uri, "sip:pbx-b.example.com", "the backup's own Request-URI");
    assert!(at_b[0].headers.get(&sip::HeaderName::To).unwrap().contains("sip:1001@pbx-b.example.com"));
    assert_ne!(call_id(at_b[0]), first_call_id, "a new Call-ID for another registrar (RFC 3261 §10.2)");
    let a2 = received(&h, A2);
    assert!(!a2.is_empty(), "the primary's second target was tried");
    assert_eq!(call_id(a2[0]), first_call_id, "the same registrar's other address keeps the Call-ID");
    let first_a2 = h.registrars[A2].registers[0].0;
    let first_b = h.registrars[B].registers[0].0;
    assert!(first_b - first_a2 <= secs(33), "the backup is tried as soon as the last primary target fails");
    // The primary returns; the phone goes back to it FAILBACK_INTERVAL after settling on B.
    h.registrars[A].online = true;
    h.registrars[A2].online = true;
    let on_b = registered_since(&h).unwrap();
    let before = h.registrars[A].registers.len();
    h.run_for(FAILBACK_INTERVAL + secs(5));
    let back = &h.registrars[A].registers[before..];
    assert!(!back.is_empty(), "failback tried: {:?}", h.states);
    let failback = back[0].0 - on_b;
    assert!(failback >= FAILBACK_INTERVAL - secs(1) && failback <= FAILBACK_INTERVAL + secs(1), "{failback:?}");
    assert!(h.registered(0));
    assert!(h.registrars[A].bound_at(h.now));
    // Never unbound: the backup took over before A's binding lapsed, and B's binding still held
    // while the phone went back.
    let mut t = h.t0;
    while t < h.now {
        assert!(bound(&h, t) || h.registrars[A].bound_at(t), "unbound at {:?}", t - h.t0);
        t += secs(1);
    }
}

#[test]
fn a_503_with_retry_after_moves_to_the_backup_at_once() {
    let mut h = Harness::new(WITH_BACKUP, three_registrars());
    h.start_routes(0, &[A], &[B]);
    h.registrars[A].unavailable = Some(600);
    h.run_for(secs(300));
    assert!(h.registrars[B].bound_at(h.now), "{:?}", h.states);
    let refused = h.registrars[A].registers.iter().map(|(at, _)| *at).max().unwrap();
    let first_b = h.registrars[B].registers[0].0;
    assert!(first_b - refused < secs(1), "the 503 sends the phone to the backup at once (RFC 3263 §4.3)");
}

#[test]
fn with_every_route_failing_the_phone_backs_off_instead_of_storming() {
    let mut h = Harness::new(WITH_BACKUP, three_registrars());
    for r in &mut h.registrars {
        r.unavailable = Some(0);
    }
    h.start_routes(0, &[A], &[B]);
    h.run_for(secs(3600));
    let count = h.registers_sent().len();
    // Each round tries both routes once, then waits for the RFC 5626 §4.5 backoff (30 s
    // doubling up to 1800 s, jittered down to half): an hour holds about a dozen rounds.
    assert!((6..=40).contains(&count), "{count} REGISTERs in an hour");
}

/// A scheduled change to the registrars during the day.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// The registrar stops answering (crash, network partition) and comes back; its bindings
    /// are kept (stored in a database, like Kamailio db_mode or Asterisk's astdb).
    Outage { registrar: usize, from_h: f64, minutes: u64 },
    /// The registrar answers 503 with Retry-After for a while (overload).
    Overload { registrar: usize, from_h: f64, minutes: u64 },
    /// The registrar restarts and loses every binding (memory only), back at once.
    Restart { registrar: usize, at_h: f64 },
}

/// A change to one registrar: (when, registrar, online, overloaded with Retry-After, restart).
type Change = (Duration, usize, Option<bool>, Option<Option<u32>>, bool);

#[test]
fn twenty_four_hours_with_loss_outages_restarts_503s_and_failover_stay_registered() {
    let mut h = Harness::new(WITH_BACKUP, three_registrars());
    h.loss_percent = 10;
    h.start_routes(0, &[A], &[B]);
    let events = [
        Event::Outage { registrar: A, from_h: 1.0, minutes: 40 },
        Event::Overload { registrar: A, from_h: 4.0, minutes: 20 },
        Event::Restart { registrar: A, at_h: 7.0 },
        Event::Outage { registrar: B, from_h: 9.0, minutes: 30 },
        Event::Outage { registrar: A, from_h: 12.0, minutes: 25 },
        Event::Outage { registrar: B, from_h: 12.0, minutes: 25 },
        Event::Restart { registrar: B, at_h: 15.0 },
        Event::Outage { registrar: A, from_h: 18.0, minutes: 90 },
        Event::Overload { registrar: A, from_h: 21.0, minutes: 10 },
    ];
    let hour = |h_: f64| Duration::from_secs_f64(h_ * 3600.0);
    // Every registrar change, in time order: (at, registrar, online, unavailable, restart).
    let mut changes: Vec<Change> = Vec::new();
    for event in events {
        match event {
            Event::Outage { registrar, from_h, minutes } => {
                changes.push((hour(from_h), registrar, Some(false), None, false));
                changes.push((hour(from_h) + secs(minutes * 60), registrar, Some(true), None, false));
            }
            Event::Overload { registrar, from_h, minutes } => {
                changes.push((hour(from_h), registrar, None, Some(Some(120)), false));
                changes.push((hour(from_h) + secs(minutes * 60), registrar, None, Some(None), false));
            }
            Event::Restart { registrar, at_h } => changes.push((hour(at_h), registrar, None, None, true)),
        }
    }
    changes.sort_by_key(|c| c.0);
    let mut unbound: Vec<(Duration, Duration)> = Vec::new();
    let mut down_since: Option<Instant> = None;
    let mut change = 0;
    let step = secs(1);
    while h.now - h.t0 < hour(24.0) {
        while change < changes.len() && changes[change].0 <= h.now - h.t0 {
            let (_, r, online, unavailable, restart) = changes[change];
            if let Some(online) = online {
                h.registrars[r].online = online;
            }
            if let Some(unavailable) = unavailable {
                h.registrars[r].unavailable = unavailable;
            }
            if restart {
                h.registrars[r].restart();
            }
            change += 1;
        }
        h.run_for(step);
        match (bound(&h, h.now), down_since) {
            (false, None) => down_since = Some(h.now),
            (true, Some(since)) => {
                unbound.push((since - h.t0, h.now - since));
                down_since = None;
            }
            _ => {}
        }
    }
    assert!(down_since.is_none(), "registered at the end");
    let serving = |at: Duration| -> usize {
        // How many registrars could hold a binding at `at` (online, not overloaded).
        let mut state = [(true, false); 3];
        for (when, r, online, unavailable, _) in &changes {
            if *when <= at {
                if let Some(o) = online {
                    state[*r].0 = *o;
                }
                if let Some(u) = unavailable {
                    state[*r].1 = u.is_some();
                }
            }
        }
        state.iter().filter(|(online, overloaded)| *online && !overloaded).count() - 1
    };
    for (start, length) in &unbound {
        let end = *start + *length;
        if serving(*start) == 0 || serving(end - secs(1)) == 0 {
            // Both registrars down: the binding must come back within one retry interval of
            // their return (the backoff is capped at the failures so far).
            let back = changes.iter().filter(|c| c.0 <= end && c.2 == Some(true)).map(|c| c.0).max().unwrap();
            // The retry planned when they came back: the last failure state's `at` (never more
            // than the RFC 5626 §4.5 cap), plus a transaction's time under 10% loss.
            let planned = h
                .states
                .iter()
                .filter(|(at, ..)| *at - h.t0 <= back)
                .rev()
                .find_map(|(_, _, state)| match state {
                    RegistrationState::Retrying { at, .. } | RegistrationState::Failed { at, .. } => Some(*at - h.t0),
                    _ => None,
                })
                .unwrap();
            assert!(planned <= back + backoff_upper_bound(u32::MAX), "the backoff is capped");
            assert!(
                end <= planned.max(back) + secs(40),
                "unbound {start:?}+{length:?}, back {back:?}, retry {planned:?}"
            );
        } else {
            // A registrar restart that lost the binding: noticed at the next refresh over UDP
            // (at most one registration interval), or a failover: at most Timer F (32 s) plus
            // the attempts on the next route.
            assert!(*length <= secs(300), "unbound {start:?}+{length:?} while a registrar could serve");
        }
    }
    // Bounded REGISTERs: a refresh of a 300 s binding every ~150 s needs ~1,150 a day with
    // their digest round trips; loss, retransmissions and failovers add some, never a storm.
    let count = h.registers_sent().len();
    assert!(count < 4_000, "{count} REGISTERs in 24 h");
    // Both registrars were used, and the phone ended on the primary.
    let to: Vec<SocketAddr> = h.registers_sent().iter().map(|(_, to)| *to).collect();
    assert!(to.contains(&h.registrars[B].addr));
    let last = h.sent.iter().rev().find(|(.., bytes)| bytes.starts_with(b"REGISTER ")).unwrap();
    assert_eq!(last.1, h.registrars[A].addr, "failed back to the primary");
}

#[test]
fn a_new_local_address_re_registers_at_once_and_removes_the_old_contact() {
    let mut h = Harness::new(WITH_BACKUP, three_registrars());
    h.start_routes(0, &[A], &[B]);
    let (routes, current) = h.core.routes(0).unwrap();
    assert_eq!((routes.len(), current), (2, 0));
    let before = h.registrars[A].registers.len();
    h.run_for(secs(10));
    let moved: SocketAddr = "203.0.113.5:5060".parse().unwrap();
    h.core.handle_local_address(h.now, 0, 0, moved).unwrap();
    h.drive();
    let sent = &h.registrars[A].registers[before..];
    assert!(!sent.is_empty() && sent[0].0 == h.now, "re-registers at once (RFC 5626 §4.5)");
    assert!(h.registrars[A].bindings.contains_key("sip:1001@203.0.113.5:5060"), "{:?}", h.registrars[A].bindings);
    assert!(!h.registrars[A].bindings.contains_key("sip:1001@192.0.2.10:5060"), "old contact removed");
    assert!(h.registered(0));
    assert_eq!(h.core.routes(0).unwrap().0[0].local, moved);
    // The same address again changes nothing; an unknown route is an error.
    let count = h.registrars[A].registers.len();
    h.core.handle_local_address(h.now, 0, 0, moved).unwrap();
    h.drive();
    assert_eq!(h.registrars[A].registers.len(), count);
    assert!(h.core.handle_local_address(h.now, 0, 9, moved).is_err());
}
