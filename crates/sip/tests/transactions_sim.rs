//! Transaction layer simulations: a seeded lossy link between a client and a server layer, and a
//! property test feeding arbitrary inputs. Virtual clock only, never a sleep.

mod tx_harness;

mod transaction_sim {
    use std::collections::{BTreeMap, BTreeSet};
    use std::time::{Duration, Instant};

    use rand_chacha::rand_core::RngCore;
    use sip::transaction::{Event, Output, TimerConfig, TransactionKey, TransactionLayer, Transport};
    use sip::{reply, Message, Response};

    use crate::tx_harness::*;

    /// A message in flight, by arrival time and sequence number.
    type InFlight = BTreeMap<(Instant, u64), (bool, Message)>;

    /// Moves what `layer` outputs onto the link (dropping 30%), and collects its events.
    fn pump(
        layer: &mut TransactionLayer,
        now: Instant,
        to_server: bool,
        link: &mut InFlight,
        rng: &mut impl RngCore,
        seq: &mut u64,
    ) -> Vec<Event> {
        let mut events = Vec::new();
        while let Some(output) = layer.poll_output() {
            match output {
                Output::Transmit { message, .. } => {
                    *seq += 1;
                    if rng.next_u32() % 100 >= 30 {
                        let delay = Duration::from_millis(10 + u64::from(rng.next_u32() % 50));
                        link.insert((now + delay, *seq), (to_server, message));
                    }
                }
                Output::Event(event) => events.push(event),
            }
        }
        events
    }

    #[derive(Default)]
    struct Outcome {
        finals: BTreeMap<TransactionKey, u32>,
        timeouts: BTreeSet<TransactionKey>,
        terminated: BTreeSet<TransactionKey>,
    }

    impl Outcome {
        /// Records the client TU's events: one final (200, never a made-up 408) or one timeout.
        fn record(&mut self, events: Vec<Event>) {
            for event in events {
                match event {
                    Event::Response { key, response } if response.status >= 200 => {
                        assert_eq!(response.status, 200, "never a 408 of our own making");
                        *self.finals.entry(key).or_default() += 1;
                    }
                    Event::Timeout { key } => assert!(self.timeouts.insert(key)),
                    Event::Terminated { key } => assert!(self.terminated.insert(key)),
                    Event::Response { .. } => {}
                    other => panic!("unexpected client event {other:?}"),
                }
            }
        }
    }

    #[test]
    fn thousand_non_invite_transactions_over_a_lossy_link_complete_or_time_out() {
        let start = Instant::now();
        let (mut client, mut server) =
            (TransactionLayer::new(TimerConfig::default()), TransactionLayer::new(TimerConfig::default()));
        let (mut net, mut branches) = (rng(42), rng(43));
        let (mut link, mut seq, mut now) = (InFlight::new(), 0u64, start);
        let mut answers: BTreeMap<(Instant, u64), (TransactionKey, Response)> = BTreeMap::new();
        let (mut started, mut keys, mut outcome) = (0u32, BTreeSet::new(), Outcome::default());
        loop {
            if started < 1000 && now >= start + ms(50) * started {
                let request = request_with("OPTIONS", None, &format!("sim{started}@example.com"), started + 1);
                keys.insert(client.send_request(now, request, Transport::Udp, &mut branches).unwrap());
                started += 1;
            }
            while let Some(((at, n), (to_server, message))) = link.first_key_value().map(|(k, v)| (*k, v.clone())) {
                if at > now {
                    break;
                }
                link.remove(&(at, n));
                let layer = if to_server { &mut server } else { &mut client };
                layer.handle_input(now, udp(Msg(message))).unwrap();
            }
            while let Some(((at, n), (key, response))) = answers.first_key_value().map(|(k, v)| (*k, v.clone())) {
                if at > now {
                    break;
                }
                answers.remove(&(at, n));
                server.respond(now, &key, response).unwrap();
            }
            client.handle_timeout(now);
            server.handle_timeout(now);
            for event in pump(&mut server, now, false, &mut link, &mut net, &mut seq) {
                if let Event::Request { key, request } = event {
                    // One request in five is answered late, after the server's own 100 (RFC 4320).
                    let delay = if net.next_u32() % 5 == 0 { ms(4000) } else { ms(5) };
                    seq += 1;
                    answers.insert((now + delay, seq), (key, reply(&request, 200, "OK", Some("s"))));
                }
            }
            outcome.record(pump(&mut client, now, true, &mut link, &mut net, &mut seq));
            let next_start = (started < 1000).then(|| start + ms(50) * started);
            let next = [
                client.poll_timeout(),
                server.poll_timeout(),
                link.keys().next().map(|k| k.0),
                answers.keys().next().map(|k| k.0),
                next_start,
            ]
            .into_iter()
            .flatten()
            .min();
            match next {
                Some(at) => now = at.max(now),
                None => break,
            }
        }
        assert_eq!(keys.len(), 1000);
        assert_eq!(outcome.terminated, keys, "every transaction terminated");
        for key in &keys {
            let finals = outcome.finals.get(key).copied().unwrap_or(0);
            let timed_out = outcome.timeouts.contains(key);
            assert!(finals == 1 && !timed_out || finals == 0 && timed_out, "{key:?}: {finals} finals, {timed_out}");
        }
        assert!(outcome.timeouts.len() < 20, "{} timeouts", outcome.timeouts.len());
        assert!(client.is_empty() && server.is_empty());
        assert!(now - start < Duration::from_secs(50 + 64), "all done within 64·T1 after the last start");
    }
}

mod transaction_proptest {
    use std::time::{Duration, Instant};

    use proptest::prelude::*;
    use sip::transaction::{Event, Input, Output, TimerConfig, TransactionKey, TransactionLayer, Transport};
    use sip::{parse_datagram, reply};

    use crate::tx_harness::*;

    #[derive(Debug, Clone)]
    enum Op {
        Advance(u64),
        Receive { response: bool, method: usize, status: u16, branch: usize, seq: u32, reliable: bool },
        Send { method: usize, branch: usize, reliable: bool },
        Respond { pick: usize, status: u16 },
        Cancel { pick: usize },
        TransportError { pick: usize },
        Garbage(Vec<u8>),
    }

    const METHODS: [&str; 5] = ["INVITE", "ACK", "CANCEL", "OPTIONS", "BYE"];
    const BRANCHES: [Option<&str>; 4] = [Some("z9hG4bKa"), Some("z9hG4bKb"), Some("old"), None];

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u64..40_000).prop_map(Op::Advance),
            (any::<bool>(), 0..5usize, 100u16..700, 0..4usize, 1u32..3, any::<bool>()).prop_map(
                |(response, method, status, branch, seq, reliable)| Op::Receive {
                    response,
                    method,
                    status,
                    branch,
                    seq,
                    reliable
                }
            ),
            (0..5usize, 0..4usize, any::<bool>()).prop_map(|(method, branch, reliable)| Op::Send {
                method,
                branch,
                reliable
            }),
            (0..8usize, 100u16..700).prop_map(|(pick, status)| Op::Respond { pick, status }),
            (0..8usize).prop_map(|pick| Op::Cancel { pick }),
            (0..8usize).prop_map(|pick| Op::TransportError { pick }),
            proptest::collection::vec(any::<u8>(), 0..200).prop_map(Op::Garbage),
        ]
    }

    fn transport(reliable: bool) -> Transport {
        if reliable {
            Transport::Tcp
        } else {
            Transport::Udp
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn arbitrary_inputs_never_panic_and_timers_stay_ahead(ops in proptest::collection::vec(op(), 1..60)) {
            let start = Instant::now();
            let mut now = start;
            let mut layer = TransactionLayer::new(TimerConfig::default());
            let mut keys: Vec<TransactionKey> = Vec::new();
            let mut requests = Vec::new();
            let mut seed = rng(9);
            for op in ops {
                match op {
                    Op::Advance(ms) => {
                        now += Duration::from_millis(ms);
                        layer.handle_timeout(now);
                    }
                    Op::Receive { response, method, status, branch, seq, reliable } => {
                        let request = request_with(METHODS[method], BRANCHES[branch], "p@example.com", seq);
                        let message = if response { Msg::from(reply(&request, status, "X", Some("t"))) } else { Msg::from(request) };
                        let bytes = message.0.to_bytes();
                        if let Ok(message) = parse_datagram(bytes) {
                            let _ = layer.handle_input(now, Input::Received { message, transport: transport(reliable) });
                        }
                    }
                    Op::Send { method, branch, reliable } => {
                        let request = request_with(METHODS[method], BRANCHES[branch], "p@example.com", 1);
                        if let Ok(key) = layer.send_request(now, request, transport(reliable), &mut seed) {
                            keys.push(key);
                        }
                    }
                    Op::Respond { pick, status } => {
                        if let Some((key, request)) = requests.get(pick % requests.len().max(1)).cloned() {
                            let _ = layer.respond(now, &key, reply(&request, status, "X", Some("t")));
                        }
                    }
                    Op::Cancel { pick } => {
                        if let Some(key) = keys.get(pick % keys.len().max(1)).cloned() {
                            if let Ok(key) = layer.cancel(now, &key) {
                                keys.push(key);
                            }
                        }
                    }
                    Op::TransportError { pick } => {
                        let all: Vec<TransactionKey> = keys.iter().cloned().chain(requests.iter().map(|(k, _)| k.clone())).collect();
                        if let Some(key) = all.get(pick % all.len().max(1)).cloned() {
                            let _ = layer.handle_input(now, Input::TransportError(key));
                        }
                    }
                    Op::Garbage(bytes) => {
                        if let Ok(message) = parse_datagram(bytes) {
                            let _ = layer.handle_input(now, Input::Received { message, transport: Transport::Udp });
                        }
                    }
                }
                while let Some(output) = layer.poll_output() {
                    if let Output::Event(Event::Request { key, request }) = output {
                        requests.push((key, request));
                    }
                }
                prop_assert!(layer.poll_timeout().is_none_or(|at| at > now), "a due timer was left unfired");
            }
            // Left alone long enough, every transaction ends (Accepted or Proceeding INVITEs wait
            // for the TU; everything else terminates by its own timers).
            now += Duration::from_secs(600);
            layer.handle_timeout(now);
            prop_assert!(layer.poll_timeout().is_none());
        }
    }
}
