//! RFC 3263 §4.1/§4.2 cases for the locator, with a scripted DNS.

use super::*;
use crate::uri::Uri;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::net::SocketAddr;

/// Drives `locator` to the end against `zone`, returning every query in the order asked.
pub(super) fn run(locator: &mut Locator, zone: impl Fn(&Query) -> Answer) -> Vec<Query> {
    let mut asked = Vec::new();
    while let Some(query) = locator.poll_query() {
        assert!(locator.handle_answer(&query, zone(&query)));
        asked.push(query);
    }
    asked
}

fn q(name: &str, kind: RecordKind) -> Query {
    Query { name: name.to_owned(), kind }
}

fn rng() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(3263)
}

fn addrs(list: &TargetList) -> Vec<(SocketAddr, Transport, &str)> {
    list.as_slice().iter().map(|t| (t.addr, t.transport, t.host.as_str())).collect()
}

fn sa(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

fn a(text: &str) -> Answer {
    Answer::A(vec![text.parse().unwrap()])
}

fn prefs_transport(transport: Transport) -> LocatePrefs {
    LocatePrefs { transport: Some(transport), ..LocatePrefs::default() }
}

/// The NAPTR records of the RFC 3263 §4.1 example.
fn rfc_naptr() -> Answer {
    Answer::Naptr(vec![
        NaptrRecord::sip(90, 50, "SIP+D2T", "_sip._tcp.example.com"),
        NaptrRecord::sip(100, 50, "SIP+D2U", "_sip._udp.example.com."),
        NaptrRecord::sip(50, 50, "SIPS+D2T", "_sips._tcp.example.com."),
    ])
}

#[test]
fn ipv4_literal_without_port_is_done_at_once_on_5060_udp() {
    let mut locator = Locator::new("192.0.2.1", LocatePrefs::default()).unwrap();
    assert!(locator.is_finished());
    assert_eq!(locator.poll_query(), None);
    let list = locator.targets(&mut rng()).unwrap();
    assert_eq!(addrs(&list), [(sa("192.0.2.1:5060"), Transport::Udp, "192.0.2.1")]);
}

#[test]
fn ipv6_literal_with_port_keeps_the_port() {
    let mut locator = Locator::new("[2001:db8::1]:5070", LocatePrefs::default()).unwrap();
    assert_eq!(locator.poll_query(), None);
    let list = locator.targets(&mut rng()).unwrap();
    assert_eq!(addrs(&list), [(sa("[2001:db8::1]:5070"), Transport::Udp, "2001:db8::1")]);
}

#[test]
fn ip_literal_over_tls_or_sips_defaults_to_5061() {
    for prefs in [prefs_transport(Transport::Tls), LocatePrefs { sips: true, ..LocatePrefs::default() }] {
        let locator = Locator::new("192.0.2.1", prefs).unwrap();
        let list = locator.targets(&mut rng()).unwrap();
        assert_eq!(addrs(&list), [(sa("192.0.2.1:5061"), Transport::Tls, "192.0.2.1")]);
    }
    let locator = Locator::new("192.0.2.1", prefs_transport(Transport::Tcp)).unwrap();
    assert_eq!(locator.targets(&mut rng()).unwrap().as_slice()[0].addr, sa("192.0.2.1:5060"));
}

#[test]
fn host_with_port_looks_up_only_addresses_ipv6_first() {
    let mut locator = Locator::new("example.com:5070", LocatePrefs::default()).unwrap();
    let asked = run(&mut locator, |query| match query.kind {
        RecordKind::A => Answer::A(vec!["192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap()]),
        RecordKind::Aaaa => Answer::Aaaa(vec!["2001:db8::1".parse().unwrap()]),
        _ => panic!("unexpected {query:?}"),
    });
    assert_eq!(asked, [q("example.com", RecordKind::Aaaa), q("example.com", RecordKind::A)]);
    let list = locator.targets(&mut rng()).unwrap();
    assert_eq!(
        addrs(&list),
        [
            (sa("[2001:db8::1]:5070"), Transport::Udp, "example.com"),
            (sa("192.0.2.1:5070"), Transport::Udp, "example.com"),
            (sa("192.0.2.2:5070"), Transport::Udp, "example.com"),
        ]
    );
}

#[test]
fn address_family_preferences() {
    let zone = |query: &Query| match query.kind {
        RecordKind::A => a("192.0.2.1"),
        _ => Answer::Aaaa(vec!["2001:db8::1".parse().unwrap()]),
    };
    let cases = [
        (
            IpFamily::PreferV4,
            vec![RecordKind::A, RecordKind::Aaaa],
            vec![sa("192.0.2.1:5060"), sa("[2001:db8::1]:5060")],
        ),
        (IpFamily::V4Only, vec![RecordKind::A], vec![sa("192.0.2.1:5060")]),
        (IpFamily::V6Only, vec![RecordKind::Aaaa], vec![sa("[2001:db8::1]:5060")]),
    ];
    for (family, kinds, expected) in cases {
        let mut locator = Locator::new("example.com:5060", LocatePrefs { family, ..LocatePrefs::default() }).unwrap();
        let asked: Vec<RecordKind> = run(&mut locator, zone).into_iter().map(|query| query.kind).collect();
        assert_eq!(asked, kinds);
        let list = locator.targets(&mut rng()).unwrap();
        assert_eq!(list.as_slice().iter().map(|t| t.addr).collect::<Vec<_>>(), expected);
    }
}

#[test]
fn host_with_port_over_sips_uses_tls_on_that_port() {
    let mut locator = Locator::new("example.com:5070", LocatePrefs { sips: true, ..LocatePrefs::default() }).unwrap();
    run(&mut locator, |query| if query.kind == RecordKind::A { a("192.0.2.1") } else { Answer::NoRecords });
    let list = locator.targets(&mut rng()).unwrap();
    assert_eq!(addrs(&list), [(sa("192.0.2.1:5070"), Transport::Tls, "example.com")]);
}

/// The example of RFC 3263 §4.1, for a client that supports TCP and UDP only: TCP is chosen.
#[test]
fn naptr_then_srv_then_addresses_rfc3263_example() {
    let prefs = LocatePrefs { tls_supported: false, ..LocatePrefs::default() };
    let mut locator = Locator::new("example.com", prefs).unwrap();
    let asked = run(&mut locator, |query| match (query.kind, query.name.as_str()) {
        (RecordKind::Naptr, "example.com") => rfc_naptr(),
        (RecordKind::Srv, "_sip._tcp.example.com") => Answer::Srv(vec![
            SrvRecord::new(0, 1, 5060, "server1.example.com"),
            SrvRecord::new(0, 2, 5060, "server2.example.com"),
        ]),
        (RecordKind::A, "server1.example.com") => a("192.0.2.1"),
        (RecordKind::A, "server2.example.com") => a("192.0.2.2"),
        (RecordKind::Srv, _) => Answer::Srv(vec![SrvRecord::new(0, 0, 5060, "wrong.example.com")]),
        _ => Answer::NoRecords,
    });
    // Answered one at a time, the TCP answer decides: the UDP SRV query is never issued.
    assert_eq!(asked[0], q("example.com", RecordKind::Naptr));
    assert_eq!(asked[1], q("_sip._tcp.example.com", RecordKind::Srv));
    assert!(asked[2..].iter().all(|query| matches!(query.kind, RecordKind::A | RecordKind::Aaaa)));
    let list = locator.targets(&mut rng()).unwrap();
    let mut got = addrs(&list);
    got.sort();
    assert_eq!(
        got,
        [
            (sa("192.0.2.1:5060"), Transport::Tcp, "server1.example.com"),
            (sa("192.0.2.2:5060"), Transport::Tcp, "server2.example.com"),
        ]
    );
}

/// The same records for a client with TLS: `SIPS+D2T` has the lowest order and wins.
#[test]
fn naptr_prefers_sips_when_tls_is_supported() {
    let mut locator = Locator::new("example.com", LocatePrefs::default()).unwrap();
    let asked = run(&mut locator, |query| match (query.kind, query.name.as_str()) {
        (RecordKind::Naptr, _) => rfc_naptr(),
        (RecordKind::Srv, "_sips._tcp.example.com") => {
            Answer::Srv(vec![SrvRecord::new(0, 1, 5061, "tls.example.com.")])
        }
        (RecordKind::Srv, _) => Answer::Srv(vec![SrvRecord::new(0, 1, 5060, "plain.example.com")]),
        (RecordKind::A, _) => a("192.0.2.9"),
        _ => Answer::NoRecords,
    });
    let srv: Vec<&str> = asked.iter().filter(|q| q.kind == RecordKind::Srv).map(|q| q.name.as_str()).collect();
    assert_eq!(srv, ["_sips._tcp.example.com"]);
    let list = locator.targets(&mut rng()).unwrap();
    assert_eq!(addrs(&list), [(sa("192.0.2.9:5061"), Transport::Tls, "tls.example.com")]);
}

#[test]
fn naptr_filters_services_flags_and_regexp_and_sorts_by_order_then_preference() {
    let mut odd_flags = NaptrRecord::sip(1, 1, "SIP+D2U", "_sip._udp.flags.example.com");
    odd_flags.flags = "u".to_owned();
    let mut regexp = NaptrRecord::sip(1, 1, "SIP+D2U", "_sip._udp.regexp.example.com");
    regexp.regexp = "!^.*$!sip:x@example.com!".to_owned();
    let naptr = Answer::Naptr(vec![
        odd_flags,
        regexp,
        NaptrRecord::sip(1, 1, "SIP+D2S", "_sip._sctp.example.com"),
        NaptrRecord::sip(1, 1, "SIPS+D2U", "_sips._udp.example.com"),
        NaptrRecord::sip(1, 1, "E2U+sip", "_sip._udp.enum.example.com"),
        NaptrRecord::sip(1, 1, "SIP+D2T", "."),
        NaptrRecord::sip(10, 20, "sip+d2u", "_sip._udp.second.example.com"),
        NaptrRecord::sip(10, 10, "SIP+D2T", "_sip._tcp.first.example.com"),
        NaptrRecord::sip(10, 30, "SIP+D2T", "_sip._tcp.duplicate.example.com"),
    ]);
    let prefs = LocatePrefs { tls_supported: false, ..LocatePrefs::default() };
    let mut locator = Locator::new("example.com", prefs).unwrap();
    let asked =
        run(&mut locator, |query| if query.kind == RecordKind::Naptr { naptr.clone() } else { Answer::NoRecords });
    let srv: Vec<&str> = asked.iter().filter(|q| q.kind == RecordKind::Srv).map(|q| q.name.as_str()).collect();
    assert_eq!(srv, ["_sip._tcp.first.example.com", "_sip._udp.second.example.com"]);
}

#[test]
fn naptr_whose_srv_is_empty_falls_to_the_next_service() {
    let mut locator = Locator::new("example.com", LocatePrefs::default()).unwrap();
    run(&mut locator, |query| match (query.kind, query.name.as_str()) {
        (RecordKind::Naptr, _) => rfc_naptr(),
        (RecordKind::Srv, "_sip._udp.example.com") => Answer::Srv(vec![SrvRecord::new(0, 1, 5080, "udp.example.com")]),
        (RecordKind::A, "udp.example.com") => a("192.0.2.3"),
        _ => Answer::NoRecords,
    });
    let list = locator.targets(&mut rng()).unwrap();
    assert_eq!(addrs(&list), [(sa("192.0.2.3:5080"), Transport::Udp, "udp.example.com")]);
}

#[test]
fn no_naptr_queries_srv_in_preference_order_and_takes_the_first_found() {
    let mut locator = Locator::new("example.com", LocatePrefs::default()).unwrap();
    let asked = run(&mut locator, |query| match (query.kind, query.name.as_str()) {
        (RecordKind::Srv, "_sip._tcp.example.com") => Answer::Srv(vec![SrvRecord::new(0, 1, 5060, "tcp.example.com")]),
        (RecordKind::Srv, "_sip._udp.example.com") => Answer::Srv(vec![SrvRecord::new(0, 1, 5060, "udp.example.com")]),
        (RecordKind::A, _) => a("192.0.2.4"),
        _ => Answer::NoRecords,
    });
    let names: Vec<&str> = asked.iter().map(|q| q.name.as_str()).collect();
    // Answered one at a time, `_sip._tcp` decides before `_sip._udp` is ever issued.
    assert_eq!(
        names,
        ["example.com", "_sips._tcp.example.com", "_sip._tcp.example.com", "tcp.example.com", "tcp.example.com"]
    );
    let list = locator.targets(&mut rng()).unwrap();
    assert_eq!(addrs(&list), [(sa("192.0.2.4:5060"), Transport::Tcp, "tcp.example.com")]);
}

#[test]
fn a_less_preferred_srv_answer_waits_for_the_preferred_ones() {
    let mut locator = Locator::new("example.com", LocatePrefs::default()).unwrap();
    let naptr = locator.poll_query().unwrap();
    locator.handle_answer(&naptr, Answer::NoRecords);
    let srv: Vec<Query> = std::iter::from_fn(|| locator.poll_query()).collect();
    assert_eq!(srv.len(), 3);
    assert!(locator.handle_answer(&srv[2], Answer::Srv(vec![SrvRecord::new(0, 1, 5060, "udp.example.com")])));
    assert_eq!(locator.poll_query(), None, "UDP must wait for TLS and TCP");
    assert_eq!(locator.targets(&mut rng()), Err(LocateError::InProgress));
    assert!(locator.handle_answer(&srv[0], Answer::Failed));
    assert_eq!(locator.poll_query(), None);
    assert!(locator.handle_answer(&srv[1], Answer::NoRecords));
    assert_eq!(locator.poll_query(), Some(q("udp.example.com", RecordKind::Aaaa)));
}

#[test]
fn nothing_in_dns_but_addresses_uses_the_default_port_and_udp() {
    let mut locator = Locator::new("example.com", LocatePrefs::default()).unwrap();
    let asked = run(&mut locator, |query| if query.kind == RecordKind::A { a("192.0.2.5") } else { Answer::NoRecords });
    assert_eq!(asked.len(), 6);
    let list = locator.targets(&mut rng()).unwrap();
    assert_eq!(addrs(&list), [(sa("192.0.2.5:5060"), Transport::Udp, "example.com")]);
}

#[test]
fn srv_target_dot_means_not_available_there() {
    let mut locator = Locator::new("example.com", prefs_transport(Transport::Udp)).unwrap();
    run(&mut locator, |query| match query.kind {
        RecordKind::Srv => Answer::Srv(vec![SrvRecord::new(0, 0, 5060, "."), SrvRecord::new(0, 0, 0, "x.example.com")]),
        RecordKind::A if query.name == "example.com" => a("192.0.2.6"),
        _ => Answer::NoRecords,
    });
    assert_eq!(locator.targets(&mut rng()).unwrap().as_slice()[0].addr, sa("192.0.2.6:5060"));
}

#[test]
fn tls_asked_for_uses_sips_srv_then_5061() {
    let mut locator = Locator::new("example.com", prefs_transport(Transport::Tls)).unwrap();
    let asked = run(&mut locator, |query| if query.kind == RecordKind::A { a("192.0.2.7") } else { Answer::NoRecords });
    assert_eq!(asked[0], q("_sips._tcp.example.com", RecordKind::Srv));
    let list = locator.targets(&mut rng()).unwrap();
    assert_eq!(addrs(&list), [(sa("192.0.2.7:5061"), Transport::Tls, "example.com")]);
}

#[test]
fn transport_preference_skips_naptr_and_queries_that_srv() {
    let mut locator = Locator::new("example.com", prefs_transport(Transport::Tcp)).unwrap();
    let asked = run(&mut locator, |query| match query.kind {
        RecordKind::Srv => Answer::Srv(vec![SrvRecord::new(0, 1, 5090, "tcp.example.com")]),
        RecordKind::A => a("192.0.2.8"),
        _ => Answer::NoRecords,
    });
    assert_eq!(asked[0], q("_sip._tcp.example.com", RecordKind::Srv));
    assert!(asked.iter().all(|query| query.kind != RecordKind::Naptr));
    let list = locator.targets(&mut rng()).unwrap();
    assert_eq!(addrs(&list), [(sa("192.0.2.8:5090"), Transport::Tcp, "tcp.example.com")]);
}

#[test]
fn sips_forces_tls_everywhere() {
    let sips = LocatePrefs { sips: true, ..LocatePrefs::default() };
    let mut locator = Locator::new("example.com", sips).unwrap();
    let asked = run(&mut locator, |query| match query.kind {
        RecordKind::Naptr => Answer::Naptr(vec![NaptrRecord::sip(1, 1, "SIP+D2U", "_sip._udp.example.com")]),
        RecordKind::A => a("192.0.2.9"),
        _ => Answer::NoRecords,
    });
    let srv: Vec<&str> = asked.iter().filter(|q| q.kind == RecordKind::Srv).map(|q| q.name.as_str()).collect();
    assert_eq!(srv, ["_sips._tcp.example.com"], "the SIP+D2U record is discarded, only _sips is queried");
    let list = locator.targets(&mut rng()).unwrap();
    assert_eq!(addrs(&list), [(sa("192.0.2.9:5061"), Transport::Tls, "example.com")]);

    let tcp = LocatePrefs { transport: Some(Transport::Tcp), ..sips };
    let mut locator = Locator::new("example.com", tcp).unwrap();
    assert_eq!(locator.poll_query(), Some(q("_sips._tcp.example.com", RecordKind::Srv)));
    let udp = LocatePrefs { transport: Some(Transport::Udp), ..sips };
    assert_eq!(Locator::new("example.com", udp).unwrap_err(), LocateError::SipsOverUdp);
    let no_tls = LocatePrefs { tls_supported: false, ..sips };
    assert_eq!(Locator::new("example.com", no_tls).unwrap_err(), LocateError::TlsNotSupported);
}

#[test]
fn without_tls_support_sips_srv_is_not_queried() {
    let prefs = LocatePrefs { tls_supported: false, ..LocatePrefs::default() };
    let mut locator = Locator::new("example.com", prefs).unwrap();
    let asked = run(&mut locator, |_| Answer::NoRecords);
    assert!(asked.iter().all(|query| !query.name.starts_with("_sips")));
    assert_eq!(locator.targets(&mut rng()), Err(LocateError::NotFound));
}

#[test]
fn from_sip_uri_reads_scheme_transport_port_and_maddr() {
    let uri = Uri::parse("sips:alice@example.com;transport=tcp").unwrap();
    let mut locator = Locator::from_sip_uri(uri.as_sip().unwrap(), LocatePrefs::default()).unwrap();
    assert_eq!(locator.poll_query(), Some(q("_sips._tcp.example.com", RecordKind::Srv)));

    let uri = Uri::parse("sip:bob@example.com:5070;maddr=192.0.2.50").unwrap();
    let locator = Locator::from_sip_uri(uri.as_sip().unwrap(), LocatePrefs::default()).unwrap();
    assert_eq!(locator.targets(&mut rng()).unwrap().as_slice()[0].addr, sa("192.0.2.50:5070"));

    let uri = Uri::parse("sip:bob@example.com;transport=sctp").unwrap();
    let err = Locator::from_sip_uri(uri.as_sip().unwrap(), LocatePrefs::default()).unwrap_err();
    assert_eq!(err, LocateError::UnsupportedTransport);
}

#[test]
fn bad_targets_are_precise_errors() {
    use crate::uri::UriError;
    let prefs = LocatePrefs::default();
    assert_eq!(Locator::new("", prefs).unwrap_err(), LocateError::BadTarget(UriError::EmptyHost));
    assert_eq!(Locator::new("exa mple.com", prefs).unwrap_err(), LocateError::BadTarget(UriError::BadHost));
    assert_eq!(Locator::new("example.com:0", prefs).unwrap_err(), LocateError::BadTarget(UriError::BadPort));
    assert_eq!(Locator::new("example.com:70000", prefs).unwrap_err(), LocateError::BadTarget(UriError::BadPort));
    let long = format!("{}com", "a.".repeat(130));
    assert_eq!(Locator::new(&long, prefs).unwrap_err(), LocateError::NameTooLong);
}

#[test]
fn unsolicited_and_duplicate_answers_are_ignored() {
    let mut locator = Locator::new("example.com:5060", LocatePrefs::default()).unwrap();
    let stranger = q("evil.example.com", RecordKind::A);
    assert!(!locator.handle_answer(&stranger, a("203.0.113.66")));
    let not_yet_polled = q("example.com", RecordKind::A);
    assert!(!locator.handle_answer(&not_yet_polled, a("203.0.113.66")));
    let aaaa = locator.poll_query().unwrap();
    let a_query = locator.poll_query().unwrap();
    assert!(locator.handle_answer(&a_query, a("192.0.2.10")));
    assert!(!locator.handle_answer(&a_query, a("203.0.113.66")), "duplicate");
    assert!(!locator.is_finished());
    assert!(locator.handle_answer(&aaaa, Answer::NoRecords));
    assert!(!locator.handle_answer(&aaaa, Answer::Aaaa(vec!["2001:db8::66".parse().unwrap()])));
    let list = locator.targets(&mut rng()).unwrap();
    assert_eq!(addrs(&list), [(sa("192.0.2.10:5060"), Transport::Udp, "example.com")]);
}

#[test]
fn stale_srv_answers_after_the_decision_are_ignored() {
    let mut locator = Locator::new("example.com", LocatePrefs::default()).unwrap();
    let naptr = locator.poll_query().unwrap();
    locator.handle_answer(&naptr, Answer::NoRecords);
    let srv: Vec<Query> = std::iter::from_fn(|| locator.poll_query()).collect();
    assert!(locator.handle_answer(&srv[0], Answer::Srv(vec![SrvRecord::new(0, 1, 5061, "tls.example.com")])));
    assert!(!locator.handle_answer(&srv[1], Answer::Srv(vec![SrvRecord::new(0, 1, 5060, "tcp.example.com")])));
    assert!(!locator.handle_answer(&naptr, Answer::NoRecords));
    assert_eq!(locator.poll_query(), Some(q("tls.example.com", RecordKind::Aaaa)));
}

#[test]
fn wrong_record_type_counts_as_a_failed_lookup() {
    let mut locator = Locator::new("example.com:5060", LocatePrefs::default()).unwrap();
    run(&mut locator, |query| match query.kind {
        RecordKind::Aaaa => a("192.0.2.11"),
        _ => Answer::Aaaa(vec!["2001:db8::11".parse().unwrap()]),
    });
    assert_eq!(locator.targets(&mut rng()), Err(LocateError::DnsFailed));
}

#[test]
fn empty_results_tell_not_found_from_dns_failure() {
    let mut locator = Locator::new("example.com", LocatePrefs::default()).unwrap();
    run(&mut locator, |_| Answer::NoRecords);
    assert_eq!(locator.targets(&mut rng()), Err(LocateError::NotFound));
    let mut locator = Locator::new("example.com", LocatePrefs::default()).unwrap();
    run(&mut locator, |query| if query.kind == RecordKind::Srv { Answer::Failed } else { Answer::NoRecords });
    assert_eq!(locator.targets(&mut rng()), Err(LocateError::DnsFailed));
}

#[test]
fn unusable_addresses_are_dropped() {
    let mut locator = Locator::new("example.com:5060", LocatePrefs::default()).unwrap();
    run(&mut locator, |query| match query.kind {
        RecordKind::A => Answer::A(
            ["0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.12", "192.0.2.12"]
                .iter()
                .map(|ip| ip.parse().unwrap())
                .collect(),
        ),
        _ => Answer::Aaaa(vec!["::".parse().unwrap(), "ff02::1".parse().unwrap()]),
    });
    let list = locator.targets(&mut rng()).unwrap();
    assert_eq!(addrs(&list), [(sa("192.0.2.12:5060"), Transport::Udp, "example.com")]);
}

#[test]
fn hostile_answers_are_bounded() {
    let mut locator = Locator::new("example.com", prefs_transport(Transport::Udp)).unwrap();
    let srv: Vec<SrvRecord> =
        (0..1000u16).map(|i| SrvRecord::new(1000 - i, i, 5060, &format!("h{i}.example.com"))).collect();
    let many_v4: Vec<std::net::Ipv4Addr> = (0..1000u32).map(|i| (0x0a00_0000 + i).into()).collect();
    let many_v6: Vec<std::net::Ipv6Addr> = (0..1000u128).map(|i| ((0x2001_0db8 << 96) | i).into()).collect();
    let asked = run(&mut locator, |query| match query.kind {
        RecordKind::Srv => Answer::Srv(srv.clone()),
        RecordKind::A => Answer::A(many_v4.clone()),
        RecordKind::Aaaa => Answer::Aaaa(many_v6.clone()),
        RecordKind::Naptr => Answer::NoRecords,
    });
    assert_eq!(asked.len(), 1 + 2 * MAX_SRV_RECORDS);
    let kept: Vec<&str> = asked[1..].iter().map(|q| q.name.as_str()).collect();
    assert!(kept.contains(&"h999.example.com"), "the lowest priorities are kept: {kept:?}");
    let list = locator.targets(&mut rng()).unwrap();
    assert_eq!(list.len(), MAX_ADDRESSES);
    assert!(list.as_slice().iter().all(|t| t.host == "h999.example.com"));
}

#[test]
fn targets_before_the_end_is_in_progress() {
    let mut locator = Locator::new("example.com", LocatePrefs::default()).unwrap();
    assert_eq!(locator.targets(&mut rng()), Err(LocateError::InProgress));
    let _ = locator.poll_query();
    assert_eq!(locator.targets(&mut rng()), Err(LocateError::InProgress));
}
