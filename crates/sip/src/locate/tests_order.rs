//! RFC 2782 ordering, failover and failback (RFC 3263 §4.3), and a never-panics proptest.

use super::tests::run;
use super::*;
use proptest::prelude::*;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn records(spec: &[(u16, u16)]) -> Vec<SrvRecord> {
    spec.iter()
        .enumerate()
        .map(|(i, &(priority, weight))| SrvRecord::new(priority, weight, 5060, &format!("h{i}")))
        .collect()
}

/// How often each record comes first over `rounds` orderings.
fn first_counts(records: &[SrvRecord], rounds: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut counts = vec![0; records.len()];
    for _ in 0..rounds {
        counts[srv_order(records, &mut rng)[0]] += 1;
    }
    counts
}

#[test]
fn priority_comes_strictly_first() {
    let records = records(&[(20, 65535), (10, 0), (0, 1), (10, 500), (20, 0), (0, 0)]);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for _ in 0..1000 {
        let order = srv_order(&records, &mut rng);
        let priorities: Vec<u16> = order.iter().map(|&i| records[i].priority).collect();
        assert_eq!(priorities, [0, 0, 10, 10, 20, 20]);
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, [0, 1, 2, 3, 4, 5], "a permutation");
    }
}

#[test]
fn weights_60_20_20_come_first_in_proportion() {
    let records = records(&[(0, 20), (0, 60), (0, 20)]);
    let counts = first_counts(&records, 10_000, 2782);
    // Expected 2000/6000/2000 with a standard deviation near 40-50: ±400 is generous.
    assert!((5600..=6400).contains(&counts[1]), "{counts:?}");
    assert!((1600..=2400).contains(&counts[0]), "{counts:?}");
    assert!((1600..=2400).contains(&counts[2]), "{counts:?}");
}

#[test]
fn weight_zero_records_are_still_reachable_but_rare() {
    let records = records(&[(0, 100), (0, 0)]);
    let counts = first_counts(&records, 10_000, 7);
    // Picked first only when the draw is 0: 1 in 101.
    assert!((30..=250).contains(&counts[1]), "{counts:?}");
}

#[test]
fn all_zero_weights_spread_the_load() {
    let records = records(&[(0, 0), (0, 0), (0, 0)]);
    let counts = first_counts(&records, 3000, 11);
    assert!(counts.iter().all(|&n| (800..=1200).contains(&n)), "{counts:?}");
}

#[test]
fn ordering_is_deterministic_for_a_seed() {
    let records = records(&[(0, 10), (0, 20), (1, 5), (1, 5), (0, 0)]);
    let first = srv_order(&records, &mut ChaCha8Rng::seed_from_u64(42));
    assert_eq!(first, srv_order(&records, &mut ChaCha8Rng::seed_from_u64(42)));
    assert!(srv_order(&[], &mut ChaCha8Rng::seed_from_u64(42)).is_empty());
}

#[test]
fn locator_targets_follow_srv_weights() {
    let mut locator =
        Locator::new("example.com", LocatePrefs { transport: Some(Transport::Udp), ..Default::default() }).unwrap();
    run(&mut locator, |query| match (query.kind, query.name.as_str()) {
        (RecordKind::Srv, _) => Answer::Srv(vec![
            SrvRecord::new(0, 60, 5060, "a.example.com"),
            SrvRecord::new(0, 20, 5060, "b.example.com"),
            SrvRecord::new(0, 20, 5060, "c.example.com"),
            SrvRecord::new(1, 1000, 5060, "backup.example.com"),
        ]),
        (RecordKind::A, "a.example.com") => Answer::A(vec!["192.0.2.1".parse().unwrap()]),
        (RecordKind::A, "b.example.com") => Answer::A(vec!["192.0.2.2".parse().unwrap()]),
        (RecordKind::A, "c.example.com") => Answer::A(vec!["192.0.2.3".parse().unwrap()]),
        (RecordKind::A, _) => Answer::A(vec!["192.0.2.4".parse().unwrap()]),
        _ => Answer::NoRecords,
    });
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let mut a_first = 0;
    for _ in 0..2000 {
        let list = locator.targets(&mut rng).unwrap();
        assert_eq!(list.len(), 4);
        assert_eq!(list.as_slice()[3].host, "backup.example.com");
        a_first += usize::from(list.primary().unwrap().host == "a.example.com");
    }
    assert!((1000..=1400).contains(&a_first), "{a_first}");
}

fn list(n: u8) -> TargetList {
    TargetList::new(
        (1..=n)
            .map(|i| Target {
                addr: SocketAddr::from(([192, 0, 2, i], 5060)),
                transport: Transport::Udp,
                host: format!("s{i}.example.com"),
            })
            .collect(),
    )
}

#[test]
fn mark_failed_walks_the_list_then_stops() {
    let t0 = Instant::now();
    let mut targets = list(3);
    assert!(targets.on_primary());
    assert_eq!(targets.current().unwrap().host, "s1.example.com");
    assert_eq!(targets.mark_failed(t0).unwrap().host, "s2.example.com");
    assert!(!targets.on_primary());
    assert_eq!(targets.mark_failed(t0 + Duration::from_secs(32)).unwrap().host, "s3.example.com");
    assert_eq!(targets.mark_failed(t0 + Duration::from_secs(64)), None);
    assert_eq!(targets.mark_failed(t0 + Duration::from_secs(65)), None);
    assert_eq!(targets.current(), None);
    assert_eq!(targets.primary().unwrap().host, "s1.example.com");
    let mut empty = TargetList::new(Vec::new());
    assert!(empty.is_empty() && !empty.on_primary());
    assert_eq!(empty.mark_failed(t0), None);
    assert!(!empty.should_fail_back(t0 + Duration::from_secs(1000)));
}

#[test]
fn fail_back_to_the_primary_after_the_interval() {
    let t0 = Instant::now();
    let mut targets = list(3);
    assert!(!targets.should_fail_back(t0 + Duration::from_secs(3600)), "never failed");
    targets.mark_failed(t0 + Duration::from_secs(10));
    targets.mark_failed(t0 + Duration::from_secs(50));
    assert!(!targets.should_fail_back(t0), "a now before the failure is no panic and no failback");
    assert!(!targets.should_fail_back(t0 + Duration::from_secs(309)));
    assert!(targets.should_fail_back(t0 + Duration::from_secs(310)), "counted from the primary's failure");
    assert_eq!(targets.fail_back().unwrap().host, "s1.example.com");
    assert!(targets.on_primary());
    assert!(!targets.should_fail_back(t0 + Duration::from_secs(10_000)));

    let mut short = list(2).with_failback_interval(Duration::from_secs(30));
    short.mark_failed(t0);
    short.mark_failed(t0 + Duration::from_secs(1));
    assert_eq!(short.current(), None);
    assert!(short.should_fail_back(t0 + Duration::from_secs(30)), "also once exhausted");
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("example.com".to_owned()),
        Just("_sip._udp.example.com".to_owned()),
        Just("_sips._tcp.example.com".to_owned()),
        Just(".".to_owned()),
        "[a-z_.]{0,12}",
        ".{0,8}",
    ]
}

fn answer() -> impl Strategy<Value = Answer> {
    let naptr = (any::<u16>(), any::<u16>(), "[sSuA]?", "(SIPS?\\+D2[UTS])|.{0,6}", "|!x!", name()).prop_map(
        |(order, preference, flags, service, regexp, replacement)| NaptrRecord {
            order,
            preference,
            flags,
            service,
            regexp,
            replacement,
        },
    );
    let srv = (any::<u16>(), any::<u16>(), any::<u16>(), name())
        .prop_map(|(priority, weight, port, target)| SrvRecord { priority, weight, port, target });
    prop_oneof![
        prop::collection::vec(naptr, 0..8).prop_map(Answer::Naptr),
        prop::collection::vec(srv, 0..40).prop_map(Answer::Srv),
        prop::collection::vec(any::<u32>().prop_map(Into::into), 0..40).prop_map(Answer::A),
        prop::collection::vec(any::<u128>().prop_map(Into::into), 0..40).prop_map(Answer::Aaaa),
        Just(Answer::NoRecords),
        Just(Answer::Failed),
    ]
}

fn prefs() -> impl Strategy<Value = LocatePrefs> {
    let transport =
        prop_oneof![Just(None), Just(Some(Transport::Udp)), Just(Some(Transport::Tcp)), Just(Some(Transport::Tls))];
    let family =
        prop_oneof![Just(IpFamily::PreferV6), Just(IpFamily::PreferV4), Just(IpFamily::V4Only), Just(IpFamily::V6Only)];
    (transport, any::<bool>(), any::<bool>(), family).prop_map(|(transport, sips, tls_supported, family)| LocatePrefs {
        transport,
        sips,
        tls_supported,
        family,
    })
}

proptest! {
    /// Any target, preferences and sequence of answers (to real, stale or made-up queries)
    /// never panics, and the result stays bounded.
    #[test]
    fn arbitrary_answer_sequences_never_panic(
        target in prop_oneof![Just("example.com".to_owned()), Just("[2001:db8::1]".to_owned()), ".{0,20}"],
        prefs in prefs(),
        steps in prop::collection::vec((any::<prop::sample::Index>(), any::<bool>(), name(), answer()), 0..30),
        seed in any::<u64>(),
    ) {
        let Ok(mut locator) = Locator::new(&target, prefs) else { return Ok(()) };
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut asked: Vec<Query> = Vec::new();
        for (index, made_up, name, answer) in steps {
            asked.extend(std::iter::from_fn(|| locator.poll_query()));
            let query = if made_up || asked.is_empty() {
                Query { name, kind: RecordKind::Srv }
            } else {
                asked[index.index(asked.len())].clone()
            };
            locator.handle_answer(&query, answer);
            let _ = locator.targets(&mut rng);
        }
        prop_assert!(asked.len() <= 4 + 2 * MAX_SRV_RECORDS);
        if let Ok(mut list) = locator.targets(&mut rng) {
            prop_assert!(locator.is_finished());
            prop_assert!(!list.is_empty() && list.len() <= MAX_ADDRESSES);
            let t0 = Instant::now();
            while list.mark_failed(t0).is_some() {}
            let _ = list.should_fail_back(t0 + DEFAULT_FAILBACK_INTERVAL);
        }
    }
}
