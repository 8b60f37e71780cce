//! Transaction layer tests (RFC 3261 §17, RFC 6026, RFC 4320) on a virtual clock: every timer
//! against its RFC value, retransmission absorption, ACK generation, matching.

mod tx_harness;

mod transaction_timers {
    use std::time::{Duration, Instant};

    use sip::transaction::{Event, Output, State, TimerConfig, TransactionError, TransactionLayer, Transport};

    use crate::tx_harness::*;

    /// Sends a request of `method` over `transport` at `start`; the initial send must be out.
    fn client(method: &str, transport: Transport, config: TimerConfig) -> (TransactionLayer, Instant) {
        let start = Instant::now();
        let mut layer = TransactionLayer::new(config);
        layer.send_request(start, request(method, "z9hG4bKclient1"), transport, &mut rng(1)).unwrap();
        assert_eq!(transmitted(&drain(&mut layer)).len(), 1);
        (layer, start)
    }

    fn is_timeout(e: &Event) -> bool {
        matches!(e, Event::Timeout { .. })
    }

    fn is_terminated(e: &Event) -> bool {
        matches!(e, Event::Terminated { .. })
    }

    #[test]
    fn timer_e_doubles_to_t2_and_timer_f_times_out_at_64_t1() {
        let (mut layer, start) = client("OPTIONS", Transport::Udp, TimerConfig::default());
        let log = run_until(&mut layer, start, ms(40_000));
        let expected: Vec<u64> = vec![500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500];
        assert_eq!(transmit_times(&log), expected);
        assert_eq!(event_time(&log, is_timeout), Some(32_000));
        assert_eq!(event_time(&log, is_terminated), Some(32_000));
        // RFC 4320 §4.2: a timeout is reported as such, never as a 408 from the peer.
        assert!(!log.iter().any(|l| matches!(&l.output, Output::Event(Event::Response { .. }))));
        assert!(layer.is_empty());
    }

    #[test]
    fn timer_e_runs_at_t2_in_proceeding() {
        let (mut layer, start) = client("OPTIONS", Transport::Udp, TimerConfig::default());
        let sent = request("OPTIONS", "z9hG4bKclient1");
        layer.handle_input(start + ms(100), udp(response(&sent, 100))).unwrap();
        assert!(matches!(events(&drain(&mut layer))[..], [Event::Response { .. }]));
        let log = run_until(&mut layer, start, ms(20_000));
        assert_eq!(transmit_times(&log), vec![500, 4500, 8500, 12_500, 16_500]);
    }

    #[test]
    fn timer_schedule_follows_configured_t1_and_t2() {
        let config = TimerConfig { t1: ms(100), t2: ms(1000), t4: ms(2000) };
        let (mut layer, start) = client("OPTIONS", Transport::Udp, config);
        let log = run_until(&mut layer, start, ms(10_000));
        assert_eq!(transmit_times(&log), vec![100, 300, 700, 1500, 2500, 3500, 4500, 5500]);
        assert_eq!(event_time(&log, is_timeout), Some(6400));
        let (mut layer, start) = client("INVITE", Transport::Udp, config);
        let log = run_until(&mut layer, start, ms(10_000));
        assert_eq!(transmit_times(&log), vec![100, 300, 700, 1500, 3100, 6300]);
        assert_eq!(event_time(&log, is_timeout), Some(6400));
    }

    #[test]
    fn timer_a_doubles_without_cap_and_timer_b_times_out() {
        let (mut layer, start) = client("INVITE", Transport::Udp, TimerConfig::default());
        let log = run_until(&mut layer, start, ms(40_000));
        assert_eq!(transmit_times(&log), vec![500, 1500, 3500, 7500, 15_500, 31_500]);
        assert_eq!(event_time(&log, is_timeout), Some(32_000));
        assert!(layer.is_empty());
    }

    #[test]
    fn reliable_transport_does_not_retransmit_but_still_times_out() {
        for method in ["INVITE", "OPTIONS"] {
            let (mut layer, start) = client(method, Transport::Tcp, TimerConfig::default());
            let log = run_until(&mut layer, start, ms(40_000));
            assert!(transmit_times(&log).is_empty(), "{method}");
            assert_eq!(event_time(&log, is_timeout), Some(32_000), "{method}");
        }
    }

    #[test]
    fn timer_d_is_32_s_on_udp_and_zero_on_tcp() {
        for (transport, end) in [(Transport::Udp, 32_000), (Transport::Tcp, 0)] {
            let (mut layer, start) = client("INVITE", transport, TimerConfig::default());
            let sent = request("INVITE", "z9hG4bKclient1");
            layer.handle_input(start, udp(response(&sent, 486))).unwrap();
            let out = drain(&mut layer);
            assert_eq!(transmitted(&out).len(), 1, "the ACK");
            if end == 0 {
                assert!(events(&out).iter().any(is_terminated));
                continue;
            }
            let log = run_until(&mut layer, start, ms(40_000));
            assert_eq!(event_time(&log, is_terminated), Some(end));
        }
    }

    #[test]
    fn timer_k_is_t4_on_udp_and_zero_on_tcp() {
        for (transport, end) in [(Transport::Udp, 5100), (Transport::Tcp, 100)] {
            let (mut layer, start) = client("OPTIONS", transport, TimerConfig::default());
            let sent = request("OPTIONS", "z9hG4bKclient1");
            layer.handle_input(start + ms(100), udp(response(&sent, 200))).unwrap();
            let mut log: Vec<Logged> = drain(&mut layer).into_iter().map(|output| Logged { at: 100, output }).collect();
            log.extend(run_until(&mut layer, start, ms(40_000)));
            assert_eq!(event_time(&log, is_terminated), Some(end));
        }
    }

    #[test]
    fn timer_m_ends_the_accepted_invite_client_at_64_t1() {
        let (mut layer, start) = client("INVITE", Transport::Udp, TimerConfig::default());
        let sent = request("INVITE", "z9hG4bKclient1");
        layer.handle_input(start, udp(response(&sent, 200))).unwrap();
        drain(&mut layer);
        let log = run_until(&mut layer, start, ms(40_000));
        assert!(transmit_times(&log).is_empty(), "no ACK for a 2xx, no retransmission");
        assert_eq!(event_time(&log, is_terminated), Some(32_000));
    }

    /// A server layer that received `method` over `transport` at `start`.
    fn server(method: &str, transport: Transport) -> (TransactionLayer, Instant, sip::transaction::TransactionKey) {
        let start = Instant::now();
        let mut layer = TransactionLayer::new(TimerConfig::default());
        let input = if transport.is_reliable() {
            tcp(request(method, "z9hG4bKserver1"))
        } else {
            udp(request(method, "z9hG4bKserver1"))
        };
        layer.handle_input(start, input).unwrap();
        let key = new_request_key(&drain(&mut layer));
        (layer, start, key)
    }

    #[test]
    fn timer_g_doubles_to_t2_and_timer_h_reports_the_missing_ack() {
        let (mut layer, start, key) = server("INVITE", Transport::Udp);
        layer.respond(start + ms(100), &key, response(&request("INVITE", "z9hG4bKserver1"), 486)).unwrap();
        assert_eq!(transmitted(&drain(&mut layer)).len(), 1);
        let log = run_until(&mut layer, start, ms(40_000));
        let expected: Vec<u64> = [600, 1600, 3600, 7600, 11_600, 15_600, 19_600, 23_600, 27_600, 31_600].to_vec();
        assert_eq!(transmit_times(&log), expected);
        assert_eq!(event_time(&log, is_timeout), Some(32_100));
        assert_eq!(event_time(&log, is_terminated), Some(32_100));
    }

    #[test]
    fn timer_i_is_t4_after_the_ack_on_udp_and_zero_on_tcp() {
        for (transport, end) in [(Transport::Udp, 6000), (Transport::Tcp, 1000)] {
            let (mut layer, start, key) = server("INVITE", transport);
            let invite = request("INVITE", "z9hG4bKserver1");
            layer.respond(start, &key, response(&invite, 486)).unwrap();
            drain(&mut layer);
            let before_ack = run_until(&mut layer, start, ms(999));
            let expected: &[u64] = if transport.is_reliable() { &[] } else { &[500] };
            assert_eq!(transmit_times(&before_ack), expected, "Timer G on UDP only");
            let ack = sip::transaction::build_ack(&invite, &response(&invite, 486)).unwrap();
            layer.handle_input(start + ms(1000), udp(ack)).unwrap();
            let mut log: Vec<Logged> =
                drain(&mut layer).into_iter().map(|output| Logged { at: 1000, output }).collect();
            if end > 1000 {
                assert_eq!(layer.state(&key), Some(State::Confirmed));
            }
            log.extend(run_until(&mut layer, start, ms(40_000)));
            assert!(transmit_times(&log).is_empty(), "no retransmission after the ACK");
            assert_eq!(event_time(&log, is_terminated), Some(end));
        }
    }

    #[test]
    fn timer_j_is_64_t1_on_udp_and_zero_on_tcp() {
        for (transport, end) in [(Transport::Udp, 32_000), (Transport::Tcp, 0)] {
            let (mut layer, start, key) = server("OPTIONS", transport);
            layer.respond(start, &key, response(&request("OPTIONS", "z9hG4bKserver1"), 200)).unwrap();
            let mut log: Vec<Logged> = drain(&mut layer).into_iter().map(|output| Logged { at: 0, output }).collect();
            log.extend(run_until(&mut layer, start, ms(40_000)));
            assert_eq!(event_time(&log, is_terminated), Some(end));
        }
    }

    #[test]
    fn timer_l_ends_the_accepted_invite_server_at_64_t1() {
        let (mut layer, start, key) = server("INVITE", Transport::Udp);
        layer.respond(start, &key, response(&request("INVITE", "z9hG4bKserver1"), 200)).unwrap();
        drain(&mut layer);
        assert_eq!(layer.state(&key), Some(State::Accepted));
        let log = run_until(&mut layer, start, ms(40_000));
        assert!(transmit_times(&log).is_empty(), "the TU retransmits 2xx, not the transaction");
        assert_eq!(event_time(&log, is_terminated), Some(32_000));
    }

    #[test]
    fn invite_server_sends_100_trying_at_200_ms_unless_the_tu_was_faster() {
        let (mut layer, start, _) = server("INVITE", Transport::Udp);
        let log = run_until(&mut layer, start, ms(1000));
        assert_eq!(transmit_times(&log), vec![200]);
        let Output::Transmit { message: sip::Message::Response(trying), .. } = &log[0].output else { panic!() };
        assert_eq!(trying.status, 100);

        let (mut layer, start, key) = server("INVITE", Transport::Udp);
        layer.respond(start + ms(150), &key, response(&request("INVITE", "z9hG4bKserver1"), 180)).unwrap();
        assert_eq!(transmitted(&drain(&mut layer)).len(), 1);
        assert!(transmit_times(&run_until(&mut layer, start, ms(1000))).is_empty());
    }

    #[test]
    fn non_invite_server_sends_100_only_once_timer_e_reaches_t2() {
        let (mut layer, start, key) = server("OPTIONS", Transport::Udp);
        let options = request("OPTIONS", "z9hG4bKserver1");
        // RFC 4320 §4.1: no early 100 over UDP, no other provisional, never 408.
        assert_eq!(layer.respond(start + ms(100), &key, response(&options, 100)), Err(TransactionError::EarlyTrying));
        assert_eq!(
            layer.respond(start + ms(100), &key, response(&options, 180)),
            Err(TransactionError::ProvisionalNot100)
        );
        assert_eq!(layer.respond(start + ms(100), &key, response(&options, 408)), Err(TransactionError::Status408));
        let log = run_until(&mut layer, start, ms(5000));
        assert_eq!(transmit_times(&log), vec![3500]);
        assert_eq!(layer.state(&key), Some(State::Proceeding));
        layer.respond(start + ms(5000), &key, response(&options, 200)).unwrap();
        assert_eq!(transmitted(&drain(&mut layer)).len(), 1);
        // Over TCP a 100 may go at any time (RFC 4320 §4.1).
        let (mut layer, start, key) = server("OPTIONS", Transport::Tcp);
        layer.respond(start + ms(10), &key, response(&options, 100)).unwrap();
        assert_eq!(layer.state(&key), Some(State::Proceeding));
        assert_eq!(layer.poll_timeout(), None, "the layer no longer needs to send its own 100");
    }

    #[test]
    fn layer_timeout_is_the_minimum_over_transactions() {
        let start = Instant::now();
        let mut layer = TransactionLayer::new(TimerConfig::default());
        assert_eq!(layer.poll_timeout(), None);
        layer.send_request(start, request("OPTIONS", "z9hG4bKa"), Transport::Tcp, &mut rng(1)).unwrap();
        assert_eq!(layer.poll_timeout(), Some(start + ms(32_000)));
        layer.send_request(start + ms(100), request("INVITE", "z9hG4bKb"), Transport::Udp, &mut rng(1)).unwrap();
        assert_eq!(layer.poll_timeout(), Some(start + ms(600)));
        layer.handle_input(start + ms(150), udp(request("INVITE", "z9hG4bKc"))).unwrap();
        assert_eq!(layer.poll_timeout(), Some(start + ms(350)));
        assert_eq!(layer.len(), 3);
        let _ = Duration::ZERO;
    }
}

mod transaction_matching {
    use std::time::Instant;

    use sip::error::{HeaderError, HeaderFault};
    use sip::header::{CSeq, To, Via};
    use sip::name::HeaderName;
    use sip::transaction::{
        build_cancel, Event, Input, Role, State, TimerConfig, TransactionError, TransactionLayer, Transport,
    };
    use sip::{Message, Method};

    use crate::tx_harness::*;

    fn layer() -> (TransactionLayer, Instant) {
        (TransactionLayer::new(TimerConfig::default()), Instant::now())
    }

    #[test]
    fn client_builds_the_ack_for_a_486_and_resends_it_on_retransmissions() {
        let (mut layer, now) = layer();
        let invite = request("INVITE", "z9hG4bKinv");
        let key = layer.send_request(now, invite.clone(), Transport::Udp, &mut rng(1)).unwrap();
        drain(&mut layer);
        let busy = response(&invite, 486);
        layer.handle_input(now + ms(50), udp(busy.clone())).unwrap();
        let out = drain(&mut layer);
        let [Message::Request(ack)] = &transmitted(&out)[..] else { panic!("one ACK: {out:?}") };
        assert!(matches!(&events(&out)[..], [Event::Response { response, .. }] if response.status == 486));
        assert_eq!(ack.method, Method::Ack);
        assert_eq!(ack.uri, invite.uri);
        assert_eq!(ack.headers.typed::<To>().unwrap().unwrap().tag(), Some("b1"));
        let cseq = ack.headers.typed::<CSeq>().unwrap().unwrap();
        assert_eq!((cseq.seq, cseq.method), (1, "ACK"));
        assert_eq!(ack.headers.count(&HeaderName::Via), 1);
        assert_eq!(ack.headers.typed_first::<Via>().unwrap().unwrap().branch(), Some("z9hG4bKinv"));
        assert_eq!(ack.headers.get(&HeaderName::Route), Some("<sip:proxy.example.com;lr>"));
        assert_eq!(ack.headers.get(&HeaderName::CallId), invite.headers.get(&HeaderName::CallId));
        assert_eq!(ack.headers.get(&HeaderName::From), invite.headers.get(&HeaderName::From));
        assert_eq!(layer.state(&key), Some(State::Completed));
        // The retransmitted 486 is absorbed: the same ACK again, nothing for the TU.
        layer.handle_input(now + ms(600), udp(busy)).unwrap();
        let out = drain(&mut layer);
        assert_eq!(transmitted(&out), vec![Message::Request(ack.clone())]);
        assert!(events(&out).is_empty());
    }

    #[test]
    fn client_passes_2xx_retransmissions_to_the_tu_in_accepted() {
        let (mut layer, now) = layer();
        let invite = request("INVITE", "z9hG4bKinv");
        let key = layer.send_request(now, invite.clone(), Transport::Udp, &mut rng(1)).unwrap();
        drain(&mut layer);
        for at in [10, 500, 1500] {
            layer.handle_input(now + ms(at), udp(response(&invite, 200))).unwrap();
            let out = drain(&mut layer);
            assert!(transmitted(&out).is_empty(), "no ACK for 2xx from the transaction");
            assert!(matches!(&events(&out)[..], [Event::Response { response, .. }] if response.status == 200));
            assert_eq!(layer.state(&key), Some(State::Accepted));
        }
        // A late 486 in Accepted is dropped (RFC 6026 §7.2).
        layer.handle_input(now + ms(1600), udp(response(&invite, 486))).unwrap();
        assert!(drain(&mut layer).is_empty());
    }

    #[test]
    fn client_absorbs_retransmitted_final_responses_of_non_invite() {
        let (mut layer, now) = layer();
        let options = request("OPTIONS", "z9hG4bKopt");
        layer.send_request(now, options.clone(), Transport::Udp, &mut rng(1)).unwrap();
        drain(&mut layer);
        layer.handle_input(now + ms(10), udp(response(&options, 200))).unwrap();
        assert_eq!(events(&drain(&mut layer)).len(), 1);
        layer.handle_input(now + ms(20), udp(response(&options, 200))).unwrap();
        assert!(drain(&mut layer).is_empty());
    }

    #[test]
    fn server_absorbs_request_retransmissions_by_resending_the_last_response() {
        let (mut layer, now) = layer();
        let options = request("OPTIONS", "z9hG4bKopt");
        layer.handle_input(now, udp(options.clone())).unwrap();
        let key = new_request_key(&drain(&mut layer));
        assert_eq!(key.role(), Role::Server);
        layer.handle_input(now + ms(500), udp(options.clone())).unwrap();
        assert!(drain(&mut layer).is_empty(), "Trying: nothing to resend, nothing for the TU");
        let ok = response(&options, 200);
        layer.respond(now + ms(600), &key, ok.clone()).unwrap();
        assert_eq!(transmitted(&drain(&mut layer)), vec![Message::Response(ok.clone())]);
        layer.handle_input(now + ms(1500), udp(options)).unwrap();
        assert_eq!(transmitted(&drain(&mut layer)), vec![Message::Response(ok.clone())]);
        assert_eq!(layer.respond(now + ms(1600), &key, ok), Err(TransactionError::InvalidState));
    }

    #[test]
    fn invite_server_resends_the_last_provisional_and_absorbs_in_accepted() {
        let (mut layer, now) = layer();
        let invite = request("INVITE", "z9hG4bKinv");
        layer.handle_input(now, udp(invite.clone())).unwrap();
        let key = new_request_key(&drain(&mut layer));
        let ringing = response(&invite, 180);
        layer.respond(now + ms(50), &key, ringing.clone()).unwrap();
        drain(&mut layer);
        layer.handle_input(now + ms(500), udp(invite.clone())).unwrap();
        assert_eq!(transmitted(&drain(&mut layer)), vec![Message::Response(ringing)]);
        let ok = response(&invite, 200);
        layer.respond(now + ms(600), &key, ok.clone()).unwrap();
        drain(&mut layer);
        layer.handle_input(now + ms(1500), udp(invite.clone())).unwrap();
        assert!(drain(&mut layer).is_empty(), "RFC 6026 §7.1: absorbed, no 2xx resent by the transaction");
        layer.respond(now + ms(1600), &key, ok.clone()).unwrap();
        assert_eq!(transmitted(&drain(&mut layer)), vec![Message::Response(ok)]);
        assert_eq!(layer.respond(now + ms(1700), &key, response(&invite, 486)), Err(TransactionError::InvalidState));
        // The ACK for the 2xx has its own branch: no transaction, straight to the TU.
        layer.handle_input(now + ms(1800), udp(request("ACK", "z9hG4bKack2xx"))).unwrap();
        assert!(matches!(&events(&drain(&mut layer))[..], [Event::Ack2xx(_)]));
    }

    #[test]
    fn cancel_goes_in_its_own_transaction_both_ways() {
        let (mut client, now) = layer();
        let invite = request("INVITE", "z9hG4bKinv");
        let key = client.send_request(now, invite.clone(), Transport::Udp, &mut rng(1)).unwrap();
        assert_eq!(client.cancel(now, &key), Err(TransactionError::CancelBeforeProvisional));
        client.handle_input(now + ms(100), udp(response(&invite, 180))).unwrap();
        drain(&mut client);
        let cancel_key = client.cancel(now + ms(200), &key).unwrap();
        assert_ne!(cancel_key, key);
        let [Message::Request(cancel)] = &transmitted(&drain(&mut client))[..] else { panic!() };
        assert_eq!(cancel, &build_cancel(&invite).unwrap());
        client.handle_input(now + ms(300), udp(response(cancel, 200))).unwrap();
        let events = events(&drain(&mut client));
        assert!(matches!(&events[..], [Event::Response { key: k, .. }] if *k == cancel_key), "{events:?}");
        assert_eq!(client.state(&key), Some(State::Proceeding));

        let (mut server, now) = layer();
        server.handle_input(now, udp(invite.clone())).unwrap();
        let invite_key = new_request_key(&drain(&mut server));
        server.handle_input(now + ms(10), udp(cancel.clone())).unwrap();
        let cancel_key = new_request_key(&drain(&mut server));
        assert_ne!(cancel_key, invite_key);
        assert_eq!(cancel_key.method(), "CANCEL");
        assert_eq!(server.cancel_target(cancel), Some(invite_key));
    }

    #[test]
    fn rfc2543_requests_without_a_branch_are_matched_on_their_fields() {
        let (mut layer, now) = layer();
        let invite = request_with("INVITE", None, "inv2543.1717@example.com", 56);
        layer.handle_input(now, udp(invite.clone())).unwrap();
        let key = new_request_key(&drain(&mut layer));
        assert!(key.is_rfc2543());
        layer.handle_input(now + ms(100), udp(invite.clone())).unwrap();
        assert!(events(&drain(&mut layer)).is_empty(), "retransmission absorbed");
        layer.respond(now + ms(150), &key, response(&invite, 486)).unwrap();
        drain(&mut layer);
        let ack = sip::transaction::build_ack(&invite, &response(&invite, 486)).unwrap();
        layer.handle_input(now + ms(200), udp(ack)).unwrap();
        assert!(drain(&mut layer).is_empty());
        assert_eq!(layer.state(&key), Some(State::Confirmed));
        let other = request_with("INVITE", None, "inv2543.1717@example.com", 57);
        layer.handle_input(now + ms(300), udp(other)).unwrap();
        assert_ne!(new_request_key(&drain(&mut layer)), key);
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/rfc4475/inv2543.dat");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let Ok(Message::Request(torture)) = sip::parse_datagram(bytes) else { panic!("inv2543.dat parses") };
        layer.handle_input(now + ms(400), udp(torture.clone())).unwrap();
        let key = new_request_key(&drain(&mut layer));
        assert!(key.is_rfc2543());
        layer.handle_input(now + ms(450), udp(torture)).unwrap();
        assert!(events(&drain(&mut layer)).is_empty(), "its retransmission is absorbed");
    }

    #[test]
    fn transport_errors_and_stray_responses_are_reported() {
        let (mut layer, now) = layer();
        let options = request("OPTIONS", "z9hG4bKopt");
        let key = layer.send_request(now, options.clone(), Transport::Tcp, &mut rng(1)).unwrap();
        drain(&mut layer);
        layer.handle_input(now, Input::TransportError(key.clone())).unwrap();
        let events = events(&drain(&mut layer));
        assert_eq!(events, vec![Event::TransportError { key: key.clone() }, Event::Terminated { key: key.clone() }]);
        assert_eq!(layer.handle_input(now, Input::TransportError(key)), Err(TransactionError::NoSuchTransaction));
        let stray = response(&options, 200);
        layer.handle_input(now, udp(stray.clone())).unwrap();
        assert_eq!(crate::tx_harness::events(&drain(&mut layer)), vec![Event::StrayResponse(stray)]);
    }

    #[test]
    fn send_request_checks_its_input_and_makes_branches() {
        let (mut layer, now) = layer();
        let mut no_via = request("OPTIONS", "z9hG4bKx");
        no_via.headers.remove(&HeaderName::Via);
        let missing_via = TransactionError::Header(HeaderError::new("Via", HeaderFault::Missing));
        assert_eq!(layer.send_request(now, no_via, Transport::Udp, &mut rng(1)), Err(missing_via));
        let ack = request("ACK", "z9hG4bKack");
        assert_eq!(
            layer.send_request(now, ack, Transport::Udp, &mut rng(1)),
            Err(TransactionError::AckIsNotATransaction)
        );
        let key = layer.send_request(now, request_with("OPTIONS", None, "c", 1), Transport::Udp, &mut rng(7));
        let key = key.unwrap();
        assert!(key.branch().starts_with("z9hG4bK") && key.branch().len() == 7 + 24);
        let [Message::Request(sent)] = &transmitted(&drain(&mut layer))[..] else { panic!() };
        assert_eq!(sent.headers.typed_first::<Via>().unwrap().unwrap().branch(), Some(key.branch()));
        let again = layer.send_request(now, request("OPTIONS", key.branch()), Transport::Udp, &mut rng(7));
        assert_eq!(again, Err(TransactionError::DuplicateTransaction));
    }
}
