//! `sip::registration` against a scripted fake registrar: every REGISTER is serialized and parsed
//! back as the registrar would receive it, every answer likewise. Virtual clock, seeded RNG.

/// Named so that `cargo test registration` selects these tests.
mod registration {
    use std::net::SocketAddr;
    use std::time::{Duration, Instant};

    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use sip::digest::{self, Algorithm};
    use sip::header::{Authorization, CSeq, CallId, Contact, Expires, From, To, Via};
    use sip::name::HeaderName;
    use sip::registration::{
        backoff_delay, backoff_upper_bound, refresh_delay, Failure, Output, Registration, RegistrationConfig,
        RegistrationError, RegistrationState, RetryReason, RESPONSE_WATCHDOG,
    };
    use sip::transaction::{TimerConfig, TransactionLayer};
    use sip::{parse_datagram, reason_phrase, reply, Message, Request, Response, Transport};

    const PASSWORD: &str = "s3cret-Pa55";
    const INSTANCE: &str = "urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF";

    fn config(transport: Transport) -> RegistrationConfig {
        RegistrationConfig {
            user: "1001".into(),
            domain: "pbx.example.com".into(),
            registrar_uri: "sip:pbx.example.com".into(),
            auth_user: "1001".into(),
            password: PASSWORD.into(),
            display_name: Some("Desk \"1\"".into()),
            expires: 600,
            instance: INSTANCE.into(),
            reg_id: 1,
            local: "192.168.1.20:5060".parse().unwrap(),
            transport,
            user_agent: Some("Hardphone/0.1".into()),
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// The phone side: a registration, its RNG, and what it said.
    struct Phone {
        reg: Registration,
        rng: ChaCha8Rng,
    }

    impl Phone {
        fn new(config: RegistrationConfig) -> Phone {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            let reg = Registration::new(config, &mut rng).expect("valid config");
            Phone { reg, rng }
        }

        fn started(t0: Instant) -> (Phone, Vec<Request>, Vec<RegistrationState>) {
            let mut phone = Phone::new(config(Transport::Udp));
            phone.reg.start(t0, &mut phone.rng);
            let (sent, states) = phone.drain();
            (phone, sent, states)
        }

        /// Every output so far: requests as the registrar receives them, and states.
        fn drain(&mut self) -> (Vec<Request>, Vec<RegistrationState>) {
            let (mut sent, mut states) = (Vec::new(), Vec::new());
            while let Some(output) = self.reg.poll_output() {
                match output {
                    Output::Send(request) => sent.push(reparse_request(&request)),
                    Output::State(state) => states.push(state),
                    other => panic!("unexpected output {other:?}"),
                }
            }
            (sent, states)
        }

        fn answer(&mut self, now: Instant, response: Response) -> (Vec<Request>, Vec<RegistrationState>) {
            self.reg.handle_response(now, &response, &mut self.rng).expect("answers the outstanding REGISTER");
            self.drain()
        }

        /// Fires the timers due by `now`.
        fn wake(&mut self, now: Instant) -> (Vec<Request>, Vec<RegistrationState>) {
            self.reg.handle_timeout(now, &mut self.rng);
            self.drain()
        }
    }

    fn reparse_request(request: &Request) -> Request {
        match parse_datagram(request.to_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("REGISTER does not parse: {other:?}\n{}", String::from_utf8_lossy(&request.to_bytes())),
        }
    }

    fn reparse(response: Response) -> Response {
        match parse_datagram(response.to_bytes()) {
            Ok(Message::Response(r)) => r,
            other => panic!("response does not parse: {other:?}"),
        }
    }

    /// A response to `request` with `extra` headers, as received.
    fn answer(request: &Request, status: u16, extra: &[(HeaderName, String)]) -> Response {
        let mut response = reply(request, status, reason_phrase(status), Some("reg1"));
        for (name, value) in extra {
            response.headers.push(name.clone(), value).unwrap();
        }
        reparse(response)
    }

    /// The request's Contact values (all of them).
    fn contacts(request: &Request) -> Vec<String> {
        request.headers.typed_all::<Contact>().map(|c| c.unwrap().to_string()).collect()
    }

    /// A 200 listing the request's contacts that have a non-zero expiry, granted `granted`.
    fn ok_echo(request: &Request, granted: u32, more: &[String]) -> Response {
        let mut extra: Vec<(HeaderName, String)> = Vec::new();
        for contact in request.headers.typed_all::<Contact>().map(Result::unwrap) {
            if contact.expires() != Some(0) {
                let addr = contact.addr().unwrap();
                let value = format!("<{}>;+sip.instance=\"<{INSTANCE}>\";reg-id=1;expires={granted}", addr.uri_text);
                extra.push((HeaderName::Contact, value));
            }
        }
        extra.extend(more.iter().map(|c| (HeaderName::Contact, c.clone())));
        answer(request, 200, &extra)
    }

    /// The scripted registrar's digest side.
    struct Digest {
        nonce: String,
    }

    impl Digest {
        fn challenge(&self, request: &Request, stale: bool) -> Response {
            let stale = if stale { ", stale=true" } else { "" };
            let md5 = format!("Digest realm=\"pbx\", nonce=\"{}\", qop=\"auth\", algorithm=MD5{stale}", self.nonce);
            let sha = format!("Digest realm=\"pbx\", nonce=\"{}\", qop=\"auth\", algorithm=SHA-256{stale}", self.nonce);
            answer(request, 401, &[(HeaderName::WwwAuthenticate, md5), (HeaderName::WwwAuthenticate, sha)])
        }

        /// True when `request` carries valid credentials for our current nonce.
        fn verify(&self, request: &Request) -> bool {
            let Ok(Some(auth)) = request.headers.typed::<Authorization>() else { return false };
            *auth.nonce == *self.nonce
                && auth.uri == "sip:pbx.example.com"
                && digest::verify(&auth, PASSWORD, "REGISTER", b"")
        }
    }

    fn cseq(request: &Request) -> u32 {
        request.headers.typed::<CSeq>().unwrap().unwrap().seq
    }

    fn last_state(states: &[RegistrationState]) -> RegistrationState {
        states.last().cloned().expect("a state change")
    }

    /// `(reason, at)` of a Retrying or Failed state.
    fn retry_of(state: &RegistrationState) -> (RetryReason, Instant, bool) {
        match state {
            RegistrationState::Retrying { reason, at, failover } => (*reason, *at, *failover),
            RegistrationState::Failed { reason, at } => (*reason, *at, false),
            other => panic!("not a failure state: {other:?}"),
        }
    }

    #[test]
    fn first_register_has_the_rfc3261_and_rfc5626_fields() {
        let t0 = Instant::now();
        let (phone, sent, states) = Phone::started(t0);
        assert_eq!(states, [RegistrationState::Registering]);
        let [register] = sent.as_slice() else { panic!("one REGISTER, got {sent:?}") };
        assert_eq!(register.method, sip::Method::Register);
        assert_eq!(&*register.uri, "sip:pbx.example.com");
        let h = &register.headers;
        let via = h.typed_first::<Via>().unwrap().unwrap();
        assert_eq!((via.transport, via.host.to_string(), via.port), ("UDP", "192.168.1.20".into(), Some(5060)));
        assert_eq!((via.rport(), via.branch()), (Some(None), None), "rport, no branch (the layer adds it)");
        assert_eq!(h.get(&HeaderName::MaxForwards), Some("70"));
        let from = h.typed::<From>().unwrap().unwrap();
        let to = h.typed::<To>().unwrap().unwrap();
        assert_eq!((from.uri_text, to.uri_text), ("sip:1001@pbx.example.com", "sip:1001@pbx.example.com"));
        assert_eq!(from.display().as_deref(), Some("Desk \"1\""));
        assert!(from.tag().is_some_and(|t| t.len() == 16) && to.tag().is_none());
        assert_eq!(h.typed::<CallId>().unwrap().unwrap().0, phone.reg.call_id());
        assert_eq!(h.get(&HeaderName::CSeq), Some("1 REGISTER"));
        let contact = h.typed::<Contact>().unwrap().unwrap();
        assert_eq!(contact.addr().unwrap().uri_text, "sip:1001@192.168.1.20:5060", "no transport param for UDP, no ob");
        assert_eq!(
            (contact.instance().as_deref(), contact.reg_id(), contact.expires()),
            (Some(INSTANCE), Some(1), Some(600))
        );
        assert_eq!(h.typed::<Expires>().unwrap(), Some(Expires(600)));
        assert_eq!(h.get(&HeaderName::Supported), Some("outbound, path"));
        assert!(h.get(&HeaderName::Allow).is_some_and(|a| a.contains("INVITE") && a.contains("BYE")));
        assert_eq!(h.get(&HeaderName::UserAgent), Some("Hardphone/0.1"));
        assert!(h.get(&HeaderName::Authorization).is_none());
        // The transaction layer takes it as is and adds the branch.
        let mut layer = TransactionLayer::new(TimerConfig::default());
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        layer.send_request(t0, register.clone(), Transport::Udp, &mut rng).expect("a valid client request");

        let mut tcp =
            Phone::new(RegistrationConfig { local: "[2001:db8::20]:40123".parse().unwrap(), ..config(Transport::Tcp) });
        tcp.reg.start(t0, &mut tcp.rng);
        let (sent, _) = tcp.drain();
        assert!(sent[0].headers.get(&HeaderName::Via).unwrap().starts_with("SIP/2.0/TCP [2001:db8::20]:40123;rport"));
        assert!(contacts(&sent[0])[0].starts_with("<sip:1001@[2001:db8::20]:40123;transport=tcp>"));
    }

    #[test]
    fn challenge_then_200_prefers_sha256_and_keeps_call_id_and_tag() {
        let t0 = Instant::now();
        let (mut phone, sent, _) = Phone::started(t0);
        let registrar = Digest { nonce: "n-1".into() };
        let (again, states) = phone.answer(t0 + secs(1), registrar.challenge(&sent[0], false));
        assert!(states.is_empty(), "a challenge is no state change");
        let [second] = again.as_slice() else { panic!("one resend at once") };
        assert_eq!(cseq(second), 2);
        let auth = second.headers.typed::<Authorization>().unwrap().unwrap();
        assert_eq!(auth.algorithm, Some(Algorithm::Sha256), "SHA-256 preferred over MD5");
        assert!(registrar.verify(second), "digest verifies");
        for name in [HeaderName::CallId, HeaderName::From] {
            assert_eq!(second.headers.get(&name), sent[0].headers.get(&name), "{name:?} constant");
        }
        let (none, states) = phone.answer(t0 + secs(1), ok_echo(second, 600, &[]));
        assert!(none.is_empty());
        let RegistrationState::Registered { expires_at, contact } = last_state(&states) else { panic!("{states:?}") };
        assert_eq!((expires_at, contact.as_str()), (t0 + secs(601), "sip:1001@192.168.1.20:5060"));
        // The refresh carries credentials for the same nonce (nc=2) and a new CSeq.
        assert_eq!(phone.reg.poll_timeout(), Some(t0 + secs(1) + refresh_delay(600)));
        let (refresh, states) = phone.wake(t0 + secs(481));
        assert!(states.is_empty(), "a refresh is no state change");
        assert_eq!(cseq(&refresh[0]), 3);
        assert!(registrar.verify(&refresh[0]));
        assert_eq!(refresh[0].headers.typed::<Authorization>().unwrap().unwrap().nc, Some(2));
    }

    #[test]
    fn wrong_password_is_a_failure_with_long_backoff_and_no_storm() {
        let t0 = Instant::now();
        let (mut phone, sent, _) = Phone::started(t0);
        let registrar = Digest { nonce: "n-1".into() };
        let (again, _) = phone.answer(t0, registrar.challenge(&sent[0], false));
        // The same nonce challenged again, not stale: the credentials were refused.
        let (none, states) = phone.answer(t0, registrar.challenge(&again[0], false));
        assert!(none.is_empty());
        let (reason, at, _) = retry_of(&last_state(&states));
        assert_eq!(reason, RetryReason::CredentialsRejected { status: 401 });
        assert!(matches!(last_state(&states), RegistrationState::Failed { .. }));
        assert!(at >= t0 + secs(900) && at <= t0 + secs(1800), "long backoff, got {:?}", at - t0);

        // Asterisk-style: a fresh nonce on every 401. Over an hour, at most 2 REGISTERs per attempt
        // and one attempt per 15 minutes.
        let (mut phone, mut pending, _) = Phone::started(t0);
        let (mut count, mut nonce, mut now) = (1, 0, t0);
        while now < t0 + secs(3600) {
            while let Some(request) = pending.pop() {
                nonce += 1;
                let (more, _) = phone.answer(now, Digest { nonce: format!("n-{nonce}") }.challenge(&request, false));
                count += more.len();
                pending.extend(more);
            }
            let Some(at) = phone.reg.poll_timeout() else { break };
            now = at;
            let (more, _) = phone.wake(now);
            count += more.len();
            pending.extend(more);
        }
        assert!(count <= 2 * 5, "{count} REGISTERs in an hour with a wrong password");
    }

    #[test]
    fn stale_nonce_is_answered_at_once() {
        let t0 = Instant::now();
        let (mut phone, sent, _) = Phone::started(t0);
        let (again, _) = phone.answer(t0, Digest { nonce: "n-1".into() }.challenge(&sent[0], false));
        let fresh = Digest { nonce: "n-2".into() };
        let (third, states) = phone.answer(t0, fresh.challenge(&again[0], true));
        assert!(states.is_empty());
        assert!(fresh.verify(&third[0]), "answered with the new nonce");
        let (_, states) = phone.answer(t0, ok_echo(&third[0], 600, &[]));
        assert!(matches!(last_state(&states), RegistrationState::Registered { .. }));
    }

    #[test]
    fn interval_too_brief_takes_min_expires_within_a_day() {
        let t0 = Instant::now();
        let (mut phone, sent, _) = Phone::started(t0);
        let (again, _) = phone.answer(t0, answer(&sent[0], 423, &[(HeaderName::MinExpires, "1800".into())]));
        assert_eq!(cseq(&again[0]), 2);
        assert_eq!(again[0].headers.typed::<Expires>().unwrap(), Some(Expires(1800)));
        assert_eq!(again[0].headers.typed::<Contact>().unwrap().unwrap().expires(), Some(1800));
        let (_, states) = phone.answer(t0, ok_echo(&again[0], 1800, &[]));
        assert!(matches!(last_state(&states), RegistrationState::Registered { .. }));
        assert_eq!(phone.reg.requested_expires(), 1800, "kept for refreshes");

        let (mut phone, sent, _) = Phone::started(t0);
        let (none, states) = phone.answer(t0, answer(&sent[0], 423, &[(HeaderName::MinExpires, "864000".into())]));
        assert!(none.is_empty());
        assert_eq!(retry_of(&last_state(&states)).0, RetryReason::BadMinExpires { min_expires: Some(864_000) });
    }

    #[test]
    fn forbidden_not_found_and_other_4xx_fail_with_long_backoff() {
        let t0 = Instant::now();
        for (status, reason) in [
            (403, RetryReason::Forbidden),
            (404, RetryReason::NotFound),
            (488, RetryReason::Rejected { status: 488 }),
            (302, RetryReason::Rejected { status: 302 }),
        ] {
            let (mut phone, sent, _) = Phone::started(t0);
            let (none, states) = phone.answer(t0, answer(&sent[0], status, &[]));
            assert!(none.is_empty());
            let state = last_state(&states);
            assert!(matches!(state, RegistrationState::Failed { .. }), "{status}: {state:?}");
            let (got, at, _) = retry_of(&state);
            assert_eq!(got, reason);
            assert!(at >= t0 + secs(900) && at <= t0 + secs(1800));
            assert_eq!(phone.reg.poll_timeout(), Some(at));
            let (retry, states) = phone.wake(at);
            assert_eq!((retry.len(), states), (1, vec![RegistrationState::Registering]), "still retries");
        }
    }

    #[test]
    fn server_failures_honour_retry_after_capped_and_suggest_failover() {
        let t0 = Instant::now();
        let (mut phone, sent, _) = Phone::started(t0);
        let (_, states) = phone.answer(t0, answer(&sent[0], 503, &[(HeaderName::RetryAfter, "120".into())]));
        let (reason, at, failover) = retry_of(&last_state(&states));
        assert_eq!(reason, RetryReason::ServerFailure { status: 503, retry_after: Some(120) });
        assert_eq!((at, failover), (t0 + secs(120), true));
        // A second 503 in a row saying "retry at once" cannot shorten the RFC 5626 backoff.
        let (retry, _) = phone.wake(at);
        let (_, states) = phone.answer(at, answer(&retry[0], 503, &[(HeaderName::RetryAfter, "0".into())]));
        let (_, next, _) = retry_of(&last_state(&states));
        assert!(next - at >= secs(60) && next - at <= secs(120), "{:?}", next - at);

        let (mut phone, sent, _) = Phone::started(t0);
        let (_, states) = phone.answer(t0, answer(&sent[0], 500, &[(HeaderName::RetryAfter, "999999".into())]));
        assert_eq!(retry_of(&last_state(&states)).1, t0 + secs(3600), "Retry-After capped at one hour");

        let (mut phone, sent, _) = Phone::started(t0);
        let (_, states) = phone.answer(t0, answer(&sent[0], 603, &[]));
        let (reason, at, failover) = retry_of(&last_state(&states));
        assert_eq!(reason, RetryReason::GlobalFailure { status: 603, retry_after: None });
        assert!(failover && at >= t0 + secs(30) && at <= t0 + secs(60), "backoff without Retry-After");
    }

    #[test]
    fn backoff_formula_bounds_and_jitter() {
        assert_eq!(backoff_upper_bound(0), secs(30));
        assert_eq!(backoff_upper_bound(1), secs(60));
        assert_eq!(backoff_upper_bound(3), secs(240), "RFC 5626 §4.5 example");
        assert_eq!(backoff_upper_bound(6), secs(1800));
        assert_eq!(backoff_upper_bound(u32::MAX), secs(1800));
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for failures in 1..12 {
            let bound = backoff_upper_bound(failures);
            let draws: Vec<Duration> = (0..2000).map(|_| backoff_delay(failures, &mut rng)).collect();
            let (min, max) = (*draws.iter().min().unwrap(), *draws.iter().max().unwrap());
            assert!(min >= bound / 2 && max <= bound, "within [W/2, W]");
            assert!(min < bound.mul_f64(0.52) && max > bound.mul_f64(0.98), "jitter spans the range");
        }
    }

    #[test]
    fn timeouts_back_off_per_rfc5626_and_an_hour_of_failures_is_no_storm() {
        let t0 = Instant::now();
        let (mut phone, mut sent, _) = Phone::started(t0);
        let (mut now, mut count, mut failures) = (t0, 1, 0u32);
        while now < t0 + secs(3600) {
            assert_eq!(sent.len(), 1);
            now += secs(32); // Timer F
            phone.reg.handle_failure(now, Failure::Timeout, &mut phone.rng).unwrap();
            failures += 1;
            let (_, states) = phone.drain();
            let (reason, at, failover) = retry_of(&last_state(&states));
            assert_eq!((reason, failover), (RetryReason::Timeout, true));
            let bound = backoff_upper_bound(failures);
            assert!(at - now >= bound / 2 && at - now <= bound, "failure {failures}: {:?}", at - now);
            now = at;
            (sent, _) = phone.wake(now);
            if now < t0 + secs(3600) {
                count += sent.len();
            }
        }
        // Sent at 0, then after 32 s of Timer F and waits of at least 30, 60, 120, 240, 480, 900,
        // 900 s: the 8th REGISTER at ≥ 2954 s, the 9th at ≥ 3886 s. At most 8 per hour.
        assert!((5..=8).contains(&count), "{count} REGISTERs in an hour of timeouts");
        // Success resets the backoff.
        let (_, states) = phone.answer(now, ok_echo(&sent[0], 600, &[]));
        assert!(matches!(last_state(&states), RegistrationState::Registered { .. }));
        assert_eq!(phone.reg.consecutive_failures(), 0);
    }

    #[test]
    fn refresh_schedule() {
        assert_eq!(refresh_delay(3600), secs(3480));
        assert_eq!(refresh_delay(600), secs(480));
        assert_eq!(refresh_delay(240), secs(120));
        assert_eq!(refresh_delay(60), secs(30));
        assert_eq!(refresh_delay(10), secs(5));
        assert_eq!(refresh_delay(8), secs(3), "never later than granted - 5 s");
        assert_eq!(refresh_delay(4), secs(1), "at least 1 s");
        assert_eq!(refresh_delay(0), secs(1));
        let t0 = Instant::now();
        // Our Contact's expires wins over the Expires header; others' contacts are not ours.
        let (mut phone, sent, _) = Phone::started(t0);
        let other = "<sip:1002@192.168.1.30:5060>;expires=3600".to_string();
        let mut response = ok_echo(&sent[0], 300, &[other]);
        response.headers.push(HeaderName::Expires, "3600").unwrap();
        let (_, states) = phone.answer(t0, reparse(response));
        let RegistrationState::Registered { expires_at, .. } = last_state(&states) else { panic!() };
        assert_eq!(expires_at, t0 + secs(300));
        assert_eq!(phone.reg.poll_timeout(), Some(t0 + secs(180)));
        // No Contact: the Expires header; neither: what we asked; never more than asked.
        for (extra, granted) in [(vec![(HeaderName::Expires, "120".to_string())], 120), (vec![], 600)] {
            let (mut phone, sent, _) = Phone::started(t0);
            let (_, states) = phone.answer(t0, answer(&sent[0], 200, &extra));
            let RegistrationState::Registered { expires_at, .. } = last_state(&states) else { panic!() };
            assert_eq!(expires_at, t0 + secs(granted));
        }
        let (mut phone, sent, _) = Phone::started(t0);
        let (_, states) = phone.answer(t0, ok_echo(&sent[0], 999_999, &[]));
        assert!(
            matches!(last_state(&states), RegistrationState::Registered { expires_at, .. } if expires_at == t0 + secs(600))
        );
        // Our binding listed with expires=0: not granted.
        let (mut phone, sent, _) = Phone::started(t0);
        let (_, states) = phone.answer(t0, ok_echo(&sent[0], 0, &[]));
        assert_eq!(retry_of(&last_state(&states)).0, RetryReason::NotGranted);
    }

    #[test]
    fn nat_public_address_is_registered_once() {
        let t0 = Instant::now();
        let (mut phone, sent, _) = Phone::started(t0);
        let mut response = reply(&sent[0], 200, "OK", Some("reg1"));
        let via = sent[0].headers.get(&HeaderName::Via).unwrap().replace(";rport", ";received=203.0.113.7;rport=40000");
        response.headers.set(HeaderName::Via, via.clone()).unwrap();
        response.headers.push(HeaderName::Contact, format!("{};expires=600", contacts(&sent[0])[0])).unwrap();
        let (again, states) = phone.answer(t0, reparse(response));
        assert!(matches!(last_state(&states), RegistrationState::Registered { .. }));
        let [update] = again.as_slice() else { panic!("one re-REGISTER") };
        let values = contacts(update);
        assert!(values[0].starts_with("<sip:1001@203.0.113.7:40000>;+sip.instance="), "{values:?}");
        assert_eq!(values[1], "<sip:1001@192.168.1.20:5060>;expires=0", "old private contact removed");
        assert_eq!(update.headers.get(&HeaderName::Via).unwrap(), "SIP/2.0/UDP 192.168.1.20:5060;rport");
        let mut response = reply(update, 200, "OK", Some("reg1"));
        response.headers.set(HeaderName::Via, via).unwrap();
        response.headers.push(HeaderName::Contact, format!("{};expires=600", values[0])).unwrap();
        let (none, states) = phone.answer(t0, reparse(response));
        assert!(none.is_empty(), "same public address: nothing more");
        let RegistrationState::Registered { contact, .. } = last_state(&states) else { panic!() };
        assert_eq!(contact, "sip:1001@203.0.113.7:40000");
    }

    #[test]
    fn stale_binding_of_our_instance_is_removed_once() {
        let t0 = Instant::now();
        let (mut phone, sent, _) = Phone::started(t0);
        let stale = format!("<sip:1001@10.0.0.99:5060>;+sip.instance=\"<{INSTANCE}>\";reg-id=1;expires=3000");
        let other_device = "<sip:1001@192.168.1.77:5062>;+sip.instance=\"<urn:uuid:other>\";expires=3000".to_string();
        let (again, _) = phone.answer(t0, ok_echo(&sent[0], 600, &[stale.clone(), other_device.clone()]));
        let [cleanup] = again.as_slice() else { panic!("one cleanup REGISTER") };
        let values = contacts(cleanup);
        assert_eq!(values.len(), 2);
        assert!(
            values[0].starts_with("<sip:1001@192.168.1.20:5060>") && values[0].ends_with("expires=600"),
            "ours kept"
        );
        assert_eq!(values[1], "<sip:1001@10.0.0.99:5060>;expires=0");
        // A registrar that does not remove it: no loop within the attempt.
        let (none, states) = phone.answer(t0 + secs(1), ok_echo(cleanup, 600, &[stale]));
        assert!(none.is_empty());
        assert!(matches!(last_state(&states), RegistrationState::Registered { .. }));
        assert_eq!(phone.reg.poll_timeout(), Some(t0 + secs(1) + refresh_delay(600)));
    }

    #[test]
    fn stop_unregisters_and_reports_unregistered() {
        let t0 = Instant::now();
        let (mut phone, sent, _) = Phone::started(t0);
        phone.answer(t0, ok_echo(&sent[0], 600, &[]));
        phone.reg.stop(t0 + secs(10), &mut phone.rng);
        let (sent, states) = phone.drain();
        assert!(states.is_empty());
        let contact = sent[0].headers.typed::<Contact>().unwrap().unwrap();
        assert_eq!(
            (contact.expires(), contact.instance().as_deref(), contact.reg_id()),
            (Some(0), Some(INSTANCE), Some(1))
        );
        assert_eq!(sent[0].headers.typed::<Expires>().unwrap(), Some(Expires(0)));
        // The registrar challenges the unregister; it is answered, then the 200 ends it.
        let registrar = Digest { nonce: "n-9".into() };
        let (again, _) = phone.answer(t0 + secs(10), registrar.challenge(&sent[0], false));
        assert!(registrar.verify(&again[0]));
        let (none, states) = phone.answer(t0 + secs(10), answer(&again[0], 200, &[]));
        assert!(none.is_empty());
        assert_eq!(states, [RegistrationState::Unregistered]);
        assert_eq!(phone.reg.poll_timeout(), None, "no timers after stop");

        // A failure ends it too; stop before start sends nothing.
        let (mut phone, _, _) = Phone::started(t0);
        phone.reg.stop(t0, &mut phone.rng);
        phone.drain();
        phone.reg.handle_failure(t0 + secs(32), Failure::TransportError, &mut phone.rng).unwrap();
        assert_eq!(phone.drain().1, [RegistrationState::Unregistered]);
        let mut idle = Phone::new(config(Transport::Udp));
        idle.reg.stop(t0, &mut idle.rng);
        assert_eq!(idle.drain(), (vec![], vec![RegistrationState::Unregistered]));
    }

    #[test]
    fn network_change_reregisters_at_once_and_flow_failure_after_a_short_wait() {
        let t0 = Instant::now();
        let (mut phone, sent, _) = Phone::started(t0);
        phone.answer(t0, ok_echo(&sent[0], 600, &[]));
        let new_local: SocketAddr = "10.1.2.3:5060".parse().unwrap();
        phone.reg.network_changed(t0 + secs(50), new_local, &mut phone.rng);
        let (sent, states) = phone.drain();
        assert_eq!(states, [RegistrationState::Registering]);
        let values = contacts(&sent[0]);
        assert!(values[0].starts_with("<sip:1001@10.1.2.3:5060>"));
        assert_eq!(values[1], "<sip:1001@192.168.1.20:5060>;expires=0", "the unreachable old binding goes");
        assert!(sent[0].headers.get(&HeaderName::Via).unwrap().contains("10.1.2.3:5060"));
        let (_, states) = phone.answer(t0 + secs(50), ok_echo(&sent[0], 600, &[]));
        assert!(matches!(last_state(&states), RegistrationState::Registered { .. }));

        // A dead flow: re-register after 1-3 s (FLOW_RECOVERY_DELAY), not at once, so that a
        // restarting PBX is listening again and a floor of phones does not arrive in step.
        phone.reg.flow_failed(t0 + secs(100), &mut phone.rng);
        let (sent, states) = phone.drain();
        assert!(sent.is_empty());
        let (reason, at, failover) = retry_of(&last_state(&states));
        assert_eq!((reason, failover), (RetryReason::TransportError, false));
        assert!(at >= t0 + secs(101) && at <= t0 + secs(103), "{:?}", at - t0);
        // Repeated reports while waiting change nothing.
        phone.reg.flow_failed(t0 + secs(100), &mut phone.rng);
        assert_eq!(phone.drain(), (vec![], vec![]));
        let (sent, states) = phone.wake(at);
        assert_eq!((sent.len(), states), (1, vec![RegistrationState::Registering]));
        assert_eq!(contacts(&sent[0]).len(), 1, "removal already done");
        // The flow dies again with that REGISTER in flight: it is abandoned for a new flow after
        // the same short wait (no backoff), and its transaction's failure is then no news.
        phone.reg.flow_failed(t0 + secs(104), &mut phone.rng);
        let (sent, states) = phone.drain();
        assert!(sent.is_empty());
        let (reason, at, _) = retry_of(&last_state(&states));
        assert_eq!(reason, RetryReason::TransportError);
        assert!(at >= t0 + secs(105) && at <= t0 + secs(107), "{:?}", at - t0);
        assert_eq!(
            phone.reg.handle_failure(t0 + secs(104), Failure::TransportError, &mut phone.rng),
            Err(RegistrationError::NoRequestOutstanding)
        );
        // While backing off, flow failures send nothing more.
        phone.drain();
        for s in 105..107 {
            phone.reg.flow_failed(t0 + secs(s), &mut phone.rng);
        }
        assert!(phone.drain().0.is_empty(), "no storm from repeated flow failures");
    }

    #[test]
    fn lost_failure_report_is_caught_by_the_watchdog() {
        let t0 = Instant::now();
        let (mut phone, _, _) = Phone::started(t0);
        assert_eq!(phone.reg.poll_timeout(), Some(t0 + RESPONSE_WATCHDOG));
        let (_, states) = phone.wake(t0 + RESPONSE_WATCHDOG);
        assert_eq!(retry_of(&last_state(&states)).0, RetryReason::Timeout);
    }

    #[test]
    fn unmatched_and_provisional_responses_change_nothing() {
        let t0 = Instant::now();
        let (mut phone, sent, _) = Phone::started(t0);
        let mut wrong_cseq = reply(&sent[0], 200, "OK", None);
        wrong_cseq.headers.set(HeaderName::CSeq, "7 REGISTER").unwrap();
        let mut wrong_call = reply(&sent[0], 200, "OK", None);
        wrong_call.headers.set(HeaderName::CallId, "other@x").unwrap();
        let mut no_cseq = reply(&sent[0], 200, "OK", None);
        no_cseq.headers.remove(&HeaderName::CSeq);
        for response in [wrong_cseq, wrong_call, no_cseq] {
            let got = phone.reg.handle_response(t0, &reparse(response), &mut phone.rng);
            assert_eq!(got, Err(RegistrationError::UnmatchedResponse));
        }
        phone.reg.handle_response(t0, &answer(&sent[0], 100, &[]), &mut phone.rng).unwrap();
        assert_eq!(phone.drain(), (vec![], vec![]));
        let (_, states) = phone.answer(t0, ok_echo(&sent[0], 600, &[]));
        assert!(matches!(last_state(&states), RegistrationState::Registered { .. }));
        assert_eq!(
            phone.reg.handle_failure(t0, Failure::Timeout, &mut phone.rng),
            Err(RegistrationError::NoRequestOutstanding)
        );
    }

    #[test]
    fn hostile_responses_never_panic() {
        let t0 = Instant::now();
        let junk = [
            (HeaderName::Contact, "<sip:1001@192.168.1.20:5060>;expires=99999999999999999999".to_string()),
            (HeaderName::Contact, "*".into()),
            (HeaderName::Contact, "garbage <<<".into()),
            (HeaderName::Expires, "-1".into()),
            (HeaderName::MinExpires, "x".into()),
            (HeaderName::RetryAfter, "99999999999".into()),
            (HeaderName::WwwAuthenticate, "Basic realm=x".into()),
            (HeaderName::WwwAuthenticate, "Digest nonce=\"n\"".into()),
            (HeaderName::ProxyAuthenticate, "Digest realm=\"p\", nonce=\"n\", qop=\"unknown\"".into()),
        ];
        for status in [200, 202, 401, 407, 423, 500, 503, 603, 699, 301, 400] {
            for count in 0..=junk.len() {
                let (mut phone, sent, _) = Phone::started(t0);
                let _ = phone.reg.handle_response(t0, &answer(&sent[0], status, &junk[..count]), &mut phone.rng);
                phone.drain();
                assert!(phone.reg.poll_timeout().is_some(), "{status} with {count} junk headers leaves a timer");
            }
        }
    }

    #[test]
    fn debug_never_shows_the_password() {
        let t0 = Instant::now();
        let (mut phone, sent, _) = Phone::started(t0);
        phone.answer(t0, Digest { nonce: "n-1".into() }.challenge(&sent[0], false));
        let text = format!("{:?} {:?}", phone.reg, phone.reg.config());
        assert!(!text.contains(PASSWORD) && text.contains("<redacted>"), "{text}");
        for state in [RegistrationState::Registering, RegistrationState::Unregistered] {
            assert!(!state.to_string().contains(PASSWORD));
        }
    }

    #[test]
    fn invalid_configurations_are_precise_errors() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let cases = [
            (RegistrationConfig { user: "a b".into(), ..config(Transport::Udp) }, RegistrationError::InvalidAor),
            (RegistrationConfig { domain: "".into(), ..config(Transport::Udp) }, RegistrationError::InvalidAor),
            (
                RegistrationConfig { registrar_uri: "http://x".into(), ..config(Transport::Udp) },
                RegistrationError::InvalidRegistrarUri,
            ),
            (
                RegistrationConfig { instance: "uuid-1".into(), ..config(Transport::Udp) },
                RegistrationError::InvalidInstance,
            ),
            (
                RegistrationConfig { instance: "urn:uuid:\"x".into(), ..config(Transport::Udp) },
                RegistrationError::InvalidInstance,
            ),
            (
                RegistrationConfig { display_name: Some("a\r\nb".into()), ..config(Transport::Udp) },
                RegistrationError::InvalidDisplayName,
            ),
            (
                RegistrationConfig { user_agent: Some("x\n".into()), ..config(Transport::Udp) },
                RegistrationError::InvalidUserAgent,
            ),
            (RegistrationConfig { auth_user: "".into(), ..config(Transport::Udp) }, RegistrationError::InvalidAuthUser),
            (RegistrationConfig { expires: 0, ..config(Transport::Udp) }, RegistrationError::ExpiresOutOfRange(0)),
            (
                RegistrationConfig { expires: 86_401, ..config(Transport::Udp) },
                RegistrationError::ExpiresOutOfRange(86_401),
            ),
        ];
        for (config, error) in cases {
            assert_eq!(Registration::new(config, &mut rng).unwrap_err(), error);
        }
    }
}
