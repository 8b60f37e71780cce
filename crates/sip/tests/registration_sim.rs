//! 24 simulated hours of one phone registration: `Registration` and a real `TransactionLayer` on
//! the phone, a real `TransactionLayer` and a fake registrar on the other side, a UDP link that
//! drops 10 % of the messages (seeded), and a registrar that restarts four times (forgets every
//! binding and nonce, answers 503 for 60 s). Virtual clock only, never a sleep.

/// Named so that `cargo test registration` selects these tests.
mod registration_sim {
    use std::collections::BTreeMap;
    use std::time::{Duration, Instant};

    use rand_chacha::rand_core::{RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use sip::digest;
    use sip::header::{Authorization, Contact, Expires};
    use sip::name::HeaderName;
    use sip::registration::{Failure, Output, Registration, RegistrationConfig, RegistrationState};
    use sip::transaction::{self, Event, Input, TimerConfig, TransactionKey, TransactionLayer, Transport};
    use sip::{reason_phrase, reply, Message, Request, Response};

    const PASSWORD: &str = "pw-4-sim";
    const INSTANCE: &str = "urn:uuid:11111111-2222-4333-8444-555555555555";
    /// How long the registrar answers 503 after a restart.
    const DOWN: Duration = Duration::from_secs(60);
    /// The Retry-After of those 503s.
    const RETRY_AFTER: u32 = 30;
    /// The edge's keep-alive period (RFC 5626 §4.4.1 suggests 95–120 s): a restart is seen at the
    /// next keep-alive at the latest.
    const KEEPALIVE: Duration = Duration::from_secs(120);
    /// How long a registrar keeps a nonce before asking again with `stale=true`.
    const NONCE_LIFE: Duration = Duration::from_secs(3600);

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// A binding: its instance-id and when it lapses.
    type Bindings = BTreeMap<String, (String, Instant)>;

    /// The fake registrar (RFC 3261 §10.3, digest per RFC 3261 §22.4), without I/O.
    struct Registrar {
        bindings: Bindings,
        nonce: String,
        previous: Option<String>,
        nonce_at: Instant,
        minted: u32,
        epoch: u32,
        down_until: Option<Instant>,
    }

    impl Registrar {
        fn new(now: Instant) -> Registrar {
            Registrar {
                bindings: Bindings::new(),
                nonce: "e0-n0".into(),
                previous: None,
                nonce_at: now,
                minted: 0,
                epoch: 0,
                down_until: None,
            }
        }

        fn restart(&mut self, now: Instant) {
            self.epoch += 1;
            self.bindings.clear();
            self.previous = None;
            self.mint(now);
            self.down_until = Some(now + DOWN);
        }

        fn mint(&mut self, now: Instant) {
            self.minted += 1;
            self.nonce = format!("e{}-n{}", self.epoch, self.minted);
            self.nonce_at = now;
        }

        fn has_binding(&self, now: Instant) -> bool {
            self.bindings.values().any(|(_, until)| *until > now)
        }

        /// When the bindings lapse (the latest), if any.
        fn lapses_at(&self) -> Option<Instant> {
            self.bindings.values().map(|(_, until)| *until).max()
        }

        fn challenge(&self, request: &Request, stale: bool) -> Response {
            let stale = if stale { ", stale=true" } else { "" };
            let value =
                format!("Digest realm=\"sim\", nonce=\"{}\", qop=\"auth\", algorithm=SHA-256{stale}", self.nonce);
            let mut response = reply(request, 401, reason_phrase(401), Some("r1"));
            response.headers.push(HeaderName::WwwAuthenticate, value).unwrap();
            response
        }

        fn answer(&mut self, now: Instant, request: &Request) -> Response {
            if self.down_until.is_some_and(|until| now < until) {
                let mut response = reply(request, 503, reason_phrase(503), Some("r1"));
                response.headers.push(HeaderName::RetryAfter, RETRY_AFTER.to_string()).unwrap();
                return response;
            }
            if now.duration_since(self.nonce_at) >= NONCE_LIFE {
                self.previous = Some(self.nonce.clone());
                self.mint(now);
            }
            let auth = request.headers.typed::<Authorization>().ok().flatten();
            let valid = auth.as_ref().is_some_and(|a| digest::verify(a, PASSWORD, "REGISTER", b""));
            match auth {
                Some(auth) if valid && *auth.nonce == *self.nonce => self.bind(now, request),
                Some(auth) if valid && self.previous.as_deref() == Some(&*auth.nonce) => self.challenge(request, true),
                _ => self.challenge(request, false),
            }
        }

        fn bind(&mut self, now: Instant, request: &Request) -> Response {
            let header = request.headers.typed::<Expires>().ok().flatten().map(|e| e.0);
            for contact in request.headers.typed_all::<Contact>().filter_map(Result::ok) {
                let Some(addr) = contact.addr() else { continue };
                let expires = contact.expires().or(header).unwrap_or(3600).min(600);
                if expires == 0 {
                    self.bindings.remove(addr.uri_text);
                } else {
                    let instance = contact.instance().unwrap_or_default().into_owned();
                    self.bindings.insert(addr.uri_text.to_owned(), (instance, now + secs(expires.into())));
                }
            }
            let mut response = reply(request, 200, "OK", Some("r1"));
            for (uri, (instance, until)) in &self.bindings {
                let left = until.saturating_duration_since(now).as_secs();
                let value = format!("<{uri}>;+sip.instance=\"<{instance}>\";reg-id=1;expires={left}");
                response.headers.push(HeaderName::Contact, value).unwrap();
            }
            response
        }
    }

    /// Messages in flight: arrival time and sequence number → (towards the registrar?, message).
    type Link = BTreeMap<(Instant, u64), (bool, Message)>;

    struct Sim {
        now: Instant,
        reg: Registration,
        phone: TransactionLayer,
        server: TransactionLayer,
        registrar: Registrar,
        link: Link,
        seq: u64,
        rng: ChaCha8Rng,
        net: ChaCha8Rng,
        keys: BTreeMap<TransactionKey, u32>,
        registers: usize,
        wire_registers: usize,
        retry_waits: Vec<(Instant, Duration)>,
        flow_epoch: u32,
        /// Restarts so far, and when the phone first sent a REGISTER after each.
        restarts_done: usize,
        detected: Vec<Instant>,
    }

    impl Sim {
        fn carry(&mut self, to_registrar: bool, message: Message) {
            self.seq += 1;
            if to_registrar {
                self.wire_registers += 1;
            }
            if self.net.next_u32() % 100 >= 10 {
                let delay = Duration::from_millis(10 + u64::from(self.net.next_u32() % 50));
                self.link.insert((self.now + delay, self.seq), (to_registrar, message));
            }
        }

        /// Drains every output of every party until all are quiet.
        fn pump(&mut self) {
            let now = self.now;
            loop {
                let mut busy = false;
                while let Some(output) = self.reg.poll_output() {
                    busy = true;
                    match output {
                        Output::Send(request) => {
                            self.registers += 1;
                            if self.detected.len() < self.restarts_done {
                                self.detected.push(now);
                            }
                            let cseq = self.reg.outstanding_cseq().unwrap();
                            let key = self.phone.send_request(now, request, Transport::Udp, &mut self.rng).unwrap();
                            self.keys.insert(key, cseq);
                        }
                        Output::State(state) => {
                            if let RegistrationState::Retrying { at, .. } | RegistrationState::Failed { at, .. } =
                                &state
                            {
                                self.retry_waits.push((now, *at - now));
                            }
                            if matches!(state, RegistrationState::Registered { .. }) {
                                self.flow_epoch = self.registrar.epoch;
                            }
                        }
                        other => panic!("unexpected {other:?}"),
                    }
                }
                while let Some(output) = self.phone.poll_output() {
                    busy = true;
                    match output {
                        transaction::Output::Transmit { message, .. } => self.carry(true, message),
                        transaction::Output::Event(event) => self.phone_event(event),
                    }
                }
                while let Some(output) = self.server.poll_output() {
                    busy = true;
                    match output {
                        transaction::Output::Transmit { message, .. } => self.carry(false, message),
                        transaction::Output::Event(Event::Request { key, request }) => {
                            let response = self.registrar.answer(now, &request);
                            self.server.respond(now, &key, response).unwrap();
                        }
                        transaction::Output::Event(_) => {}
                    }
                }
                if !busy {
                    return;
                }
            }
        }

        fn phone_event(&mut self, event: Event) {
            let now = self.now;
            let current = |keys: &BTreeMap<TransactionKey, u32>, key: &TransactionKey, reg: &Registration| {
                keys.get(key).copied() == reg.outstanding_cseq()
            };
            match event {
                Event::Response { response, .. } if response.status >= 200 => {
                    let _ = self.reg.handle_response(now, &response, &mut self.rng);
                }
                Event::Timeout { key } if current(&self.keys, &key, &self.reg) => {
                    self.reg.handle_failure(now, Failure::Timeout, &mut self.rng).unwrap();
                }
                Event::TransportError { key } if current(&self.keys, &key, &self.reg) => {
                    self.reg.handle_failure(now, Failure::TransportError, &mut self.rng).unwrap();
                }
                Event::Terminated { key } => {
                    self.keys.remove(&key);
                }
                _ => {}
            }
        }
    }

    /// What a simulated day recorded.
    struct Day {
        restarts: Vec<Instant>,
        /// Times the binding was missing after the first registration: (lost, back).
        absences: Vec<(Instant, Instant)>,
        registered_at_end: bool,
    }

    fn phone_config() -> RegistrationConfig {
        RegistrationConfig {
            user: "2001".into(),
            domain: "sim.example.com".into(),
            registrar_uri: "sip:sim.example.com".into(),
            auth_user: "2001".into(),
            password: PASSWORD.into(),
            display_name: None,
            expires: 600,
            instance: INSTANCE.into(),
            reg_id: 1,
            local: "192.0.2.10:5060".parse().unwrap(),
            transport: Transport::Udp,
            user_agent: None,
        }
    }

    impl Sim {
        fn new(t0: Instant) -> Sim {
            let mut rng = ChaCha8Rng::seed_from_u64(2024);
            let reg = Registration::new(phone_config(), &mut rng).unwrap();
            Sim {
                now: t0,
                reg,
                phone: TransactionLayer::new(TimerConfig::default()),
                server: TransactionLayer::new(TimerConfig::default()),
                registrar: Registrar::new(t0),
                link: Link::new(),
                seq: 0,
                rng,
                net: ChaCha8Rng::seed_from_u64(99),
                keys: BTreeMap::new(),
                registers: 0,
                wire_registers: 0,
                retry_waits: Vec::new(),
                flow_epoch: 0,
                restarts_done: 0,
                detected: Vec::new(),
            }
        }

        /// One step at `self.now`: restart, deliveries, timers, keep-alive.
        fn step(&mut self, restarts: &[Instant], next_keepalive: &mut Instant) {
            let now = self.now;
            if restarts.get(self.restarts_done).is_some_and(|at| *at <= now) {
                self.registrar.restart(now);
                self.restarts_done += 1;
            }
            while let Some(entry) = self.link.first_entry().filter(|e| e.key().0 <= now) {
                let (to_registrar, message) = entry.remove();
                let input = Input::Received { message, transport: Transport::Udp };
                let layer = if to_registrar { &mut self.server } else { &mut self.phone };
                let _ = layer.handle_input(now, input);
                self.pump();
            }
            self.phone.handle_timeout(now);
            self.server.handle_timeout(now);
            self.pump();
            self.reg.handle_timeout(now, &mut self.rng);
            self.pump();
            if *next_keepalive <= now {
                *next_keepalive += KEEPALIVE;
                // The keep-alive goes unanswered after a restart: the flow failed (RFC 5626 §4.4).
                if self.registrar.epoch != self.flow_epoch {
                    self.reg.flow_failed(now, &mut self.rng);
                    self.pump();
                }
            }
        }

        /// Runs until `end`, recording when the registrar lacks the binding.
        fn run(&mut self, end: Instant, restarts: Vec<Instant>) -> Day {
            let mut next_keepalive = self.now + KEEPALIVE;
            self.reg.start(self.now, &mut self.rng);
            self.pump();
            let (mut ever, mut absent_since, mut absences, mut last_lapse) = (false, None, Vec::new(), None);
            while self.now < end {
                let candidates = [
                    self.reg.poll_timeout(),
                    self.phone.poll_timeout(),
                    self.server.poll_timeout(),
                    self.link.keys().next().map(|(at, _)| *at),
                    restarts.get(self.restarts_done).copied(),
                    Some(next_keepalive),
                ];
                let Some(next) = candidates.into_iter().flatten().min() else { break };
                self.now = next.max(self.now);
                let now = self.now;
                self.step(&restarts, &mut next_keepalive);
                let present = self.registrar.has_binding(now);
                match (present, absent_since) {
                    (true, Some(since)) => {
                        absences.push((since, now));
                        absent_since = None;
                    }
                    // Lost by lapsing (at the last known expiry) or by a restart (now).
                    (false, None) if ever => absent_since = Some(last_lapse.unwrap_or(now).min(now)),
                    _ => {}
                }
                ever |= present;
                last_lapse = if present { self.registrar.lapses_at() } else { None };
            }
            Day { restarts, absences, registered_at_end: ever && absent_since.is_none() }
        }
    }

    #[test]
    fn a_day_with_loss_and_registrar_restarts_keeps_the_binding() {
        let t0 = Instant::now();
        let mut sim = Sim::new(t0);
        // Keep-alives tick every 120 s from t0; these restarts are seen 20, 70, 50 and 10 s later
        // (or at an earlier refresh): twice inside the 60 s outage (503s, retries), twice after it.
        let restarts: Vec<Instant> = [10_900, 30_650, 50_470, 72_110].iter().map(|s| t0 + secs(*s)).collect();
        let day = sim.run(t0 + secs(24 * 3600), restarts);
        assert!(day.registered_at_end);
        assert_eq!(day.absences.len(), day.restarts.len(), "only ever lost to a restart: {:?}", day.absences);
        // After a restart the phone learns of it at the next keep-alive (≤ 120 s) or refresh. The
        // registrar is back 60 s after the restart. From then, the REGISTER that succeeds is at
        // most one retry interval away: 503s are answered first with Retry-After 30 s (honoured),
        // then with max(30 s, RFC 5626 backoff for 2 failures ≤ 120 s); a third attempt always
        // falls after the 60 s outage. So one retry interval ≤ 120 s, plus one transaction over
        // the lossy link (≤ 32 s, Timer F) and one challenge round trip.
        const ONE_RETRY: Duration = Duration::from_secs(120);
        const TRANSACTION: Duration = Duration::from_secs(32);
        assert_eq!(sim.detected.len(), day.restarts.len());
        let mut worst = Duration::ZERO;
        for (((lost, back_at), restart), seen) in day.absences.iter().zip(&day.restarts).zip(&sim.detected) {
            assert!(lost.duration_since(*restart) < secs(1), "lost at the restart");
            assert!(*seen - *restart <= KEEPALIVE, "seen at the next keep-alive at the latest");
            let late = back_at.saturating_duration_since((*restart + DOWN).max(*seen));
            worst = worst.max(late);
            assert!(late <= ONE_RETRY + TRANSACTION, "binding back {late:?} after registrar and phone were ready");
        }
        let longest_wait = sim.retry_waits.iter().map(|(_, wait)| *wait).max().unwrap_or_default();
        assert!(longest_wait <= ONE_RETRY, "no retry longer than derived: {longest_wait:?}");
        // REGISTER count bound: refreshes every 480 s (expires 600: max(300, 480)) → ≤ 180 a day;
        // one stale-nonce resend per hour → ≤ 24; per restart ≤ 3 attempts in the outage + 1
        // challenge + 1 success + 1 refresh cut short → ≤ 6 × 4; the first registration 2: ≤ 230.
        let bound = 180 + 24 + 6 * day.restarts.len() + 2;
        assert!((180..=bound).contains(&sim.registers), "{} REGISTERs (bound {bound})", sim.registers);
        println!(
            "REGISTERs: {} (bound {bound}); on the wire with retransmissions: {}; worst recovery: {worst:?}; \
         retries (at s, wait s): {:?}; restart seen after (s): {:?}",
            sim.registers,
            sim.wire_registers,
            sim.retry_waits.iter().map(|(at, w)| (at.duration_since(t0).as_secs(), w.as_secs())).collect::<Vec<_>>(),
            sim.detected.iter().zip(&day.restarts).map(|(d, r)| (*d - *r).as_secs()).collect::<Vec<_>>()
        );
    }
}
