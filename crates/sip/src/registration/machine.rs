//! The registration state machine: inputs, timers and outputs (RFC 3261 §10.2, RFC 5626 §4.2,
//! §4.4, §4.5).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_core::RngCore;

use crate::message::Response;

use super::backoff::{backoff_delay, long_delay, refresh_delay, retry_after_delay, MAX_EXPIRES, MAX_TIME};
use super::request::{check_config, random_hex};
use super::response::{classify, min_expires, MAX_REMOVALS};
use super::{
    Failure, Output, Phase, Registration, RegistrationConfig, RegistrationError, RegistrationState, RegistrationTimer,
    RetryReason, Round, Sent, Timers, RESPONSE_WATCHDOG,
};

/// The largest CSeq number (RFC 3261 §8.1.1.5: below 2^31).
const MAX_CSEQ: u32 = (1 << 31) - 1;

/// `now + wait`, or the latest time we can name when that overflows.
fn later(now: Instant, wait: Duration) -> Instant {
    now.checked_add(wait).or_else(|| now.checked_add(MAX_TIME)).unwrap_or(now)
}

impl Registration {
    /// A registration for `config`, not started (RFC 3261 §10.2). The Call-ID (128 random bits)
    /// and From tag (64 random bits) come from `rng` and stay the same for its whole life.
    pub fn new(config: RegistrationConfig, rng: &mut impl RngCore) -> Result<Registration, RegistrationError> {
        let aor = check_config(&config)?;
        let call_id = random_hex(rng, 16);
        let from_tag = random_hex(rng, 8);
        Ok(Registration {
            aor,
            call_id,
            from_tag,
            cseq: 0,
            expires: config.expires,
            local: config.local,
            contact_addr: config.local,
            removals: Vec::new(),
            phase: Phase::Idle,
            outstanding: None,
            sent_any: false,
            round: Round::default(),
            failures: 0,
            www: None,
            proxy: None,
            timers: Timers::default(),
            state: None,
            outbox: VecDeque::new(),
            config,
        })
    }

    /// The configuration (its `Debug` redacts the password).
    pub fn config(&self) -> &RegistrationConfig {
        &self.config
    }

    /// The Call-ID of every REGISTER of this registration (RFC 3261 §10.2).
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Our Contact URI as it stands (after any RFC 3581 rewrite).
    pub fn contact_uri(&self) -> String {
        self.our_contact_uri()
    }

    /// The expiry we ask for, in seconds (raised by a 423, RFC 3261 §10.2.8).
    pub fn requested_expires(&self) -> u32 {
        self.expires
    }

    /// The CSeq number of the REGISTER whose answer we wait for, if any. The edge reports
    /// [`Registration::handle_failure`] only for the transaction of that request.
    pub fn outstanding_cseq(&self) -> Option<u32> {
        self.outstanding.as_ref().map(|s| s.cseq)
    }

    /// Consecutive failed attempts (RFC 5626 §4.5), reset by a 2xx.
    pub fn consecutive_failures(&self) -> u32 {
        self.failures
    }

    /// The last state reported, `None` before [`Registration::start`].
    pub fn state(&self) -> Option<&RegistrationState> {
        self.state.as_ref()
    }

    /// The next REGISTER to send or state change to report.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outbox.pop_front()
    }

    /// When [`Registration::handle_timeout`] is next due: the earliest armed timer.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// Starts registering at once (RFC 3261 §10.2; RFC 5626 §4.5: "when the UA boots, it
    /// immediately tries to register"). Does nothing when already started.
    pub fn start(&mut self, now: Instant, rng: &mut impl RngCore) {
        match self.phase {
            Phase::Active => {}
            Phase::Idle | Phase::Stopped | Phase::Stopping => {
                self.phase = Phase::Active;
                self.failures = 0;
                self.timers.clear_all();
                self.new_attempt(now, rng);
            }
        }
    }

    /// A final response of one of our REGISTER client transactions (RFC 3261 §10.2.4–§10.2.8).
    /// Responses that do not answer the outstanding REGISTER (Call-ID, CSeq) are refused with
    /// [`RegistrationError::UnmatchedResponse`] and change nothing; provisional ones are
    /// accepted and ignored.
    pub fn handle_response(
        &mut self,
        now: Instant,
        response: &Response,
        rng: &mut impl RngCore,
    ) -> Result<(), RegistrationError> {
        if !self.answers_outstanding(response) {
            return Err(RegistrationError::UnmatchedResponse);
        }
        if response.status < 200 {
            return Ok(());
        }
        let Some(sent) = self.outstanding.take() else { return Err(RegistrationError::UnmatchedResponse) };
        self.timers.clear(RegistrationTimer::Response);
        if self.phase == Phase::Stopping {
            let challenged = matches!(response.status, 401 | 407);
            if challenged && self.take_challenge(response, &sent).is_ok() {
                self.send(now, rng);
            } else {
                self.finish_stop();
            }
            return Ok(());
        }
        match response.status {
            200..=299 => self.on_success(now, response, &sent, rng),
            401 | 407 => match self.take_challenge(response, &sent) {
                Ok(()) => self.send(now, rng),
                Err(reason) => self.fail(now, reason, rng),
            },
            423 => self.on_interval_too_brief(now, response, rng),
            _ => self.fail(now, classify(response), rng),
        }
        Ok(())
    }

    /// The outstanding REGISTER ended without a final response (RFC 3261 §17.1.2.2 Timer F,
    /// §17.1.4): back off as RFC 5626 §4.5 says, or finish unregistering. Report only the
    /// failure of the transaction whose CSeq is [`Registration::outstanding_cseq`].
    pub fn handle_failure(
        &mut self,
        now: Instant,
        failure: Failure,
        rng: &mut impl RngCore,
    ) -> Result<(), RegistrationError> {
        if self.outstanding.is_none() {
            return Err(RegistrationError::NoRequestOutstanding);
        }
        self.outstanding = None;
        if self.phase == Phase::Stopping {
            self.finish_stop();
            return Ok(());
        }
        let reason = match failure {
            Failure::Timeout => RetryReason::Timeout,
            Failure::TransportError => RetryReason::TransportError,
        };
        self.fail(now, reason, rng);
        Ok(())
    }

    /// Fires the timers due by `now`: refresh (RFC 3261 §10.2.4), retry (RFC 5626 §4.5) and the
    /// response watchdog ([`RegistrationTimer::Response`]).
    pub fn handle_timeout(&mut self, now: Instant, rng: &mut impl RngCore) {
        for _ in 0..RegistrationTimer::COUNT {
            let Some(timer) = self.timers.take_due(now) else { return };
            match (timer, self.phase) {
                (RegistrationTimer::Response, Phase::Stopping) if self.outstanding.is_some() => self.finish_stop(),
                (RegistrationTimer::Response, Phase::Active) if self.outstanding.is_some() => {
                    self.outstanding = None;
                    self.fail(now, RetryReason::Timeout, rng);
                }
                (RegistrationTimer::Retry, Phase::Active) => self.new_attempt(now, rng),
                (RegistrationTimer::Refresh, Phase::Active) => {
                    self.round = Round::default();
                    self.send(now, rng);
                }
                _ => {}
            }
        }
    }

    /// The local address changed (new DHCP lease, interface switch): re-register at once from
    /// `new_local`, removing the old Contact in the same REGISTER so that a registrar allowing
    /// one contact (Asterisk `max_contacts=1`) takes the new one (RFC 5626 §4.5 flow recovery,
    /// RFC 3261 §10.2.2).
    pub fn network_changed(&mut self, now: Instant, new_local: SocketAddr, rng: &mut impl RngCore) {
        if new_local != self.local || new_local != self.contact_addr {
            let old = self.our_contact_uri();
            self.local = new_local;
            self.contact_addr = new_local;
            if self.sent_any {
                self.push_removal(old);
            }
        }
        match self.phase {
            Phase::Active => {
                self.timers.clear_all();
                self.new_attempt(now, rng);
            }
            Phase::Stopping => {
                self.round = Round::default();
                self.send(now, rng);
            }
            Phase::Idle | Phase::Stopped => {}
        }
    }

    /// The edge saw the registration flow fail (keep-alive unanswered, connection closed;
    /// RFC 5626 §4.4): re-register on a new flow after a short random wait (RFC 5626 §4.5), see
    /// [`super::FLOW_RECOVERY_DELAY`]. A REGISTER outstanding on the dead flow is abandoned (its
    /// transaction's later failure is then ignored). Ignored when a retry is already scheduled,
    /// so that repeated reports cause no storm and a Retry-After is kept.
    pub fn flow_failed(&mut self, now: Instant, rng: &mut impl RngCore) {
        let retry_scheduled = self.outstanding.is_none() && self.timers.get(RegistrationTimer::Retry).is_some();
        if self.phase == Phase::Active && !retry_scheduled {
            self.outstanding = None;
            let (low, high) = super::FLOW_RECOVERY_DELAY;
            let span = (high - low).as_millis() as u64 + 1;
            let at = later(now, low + Duration::from_millis(rng.next_u64() % span));
            self.timers.clear_all();
            self.timers.set(RegistrationTimer::Retry, at);
            self.round = Round::default();
            self.set_state(RegistrationState::Retrying { reason: RetryReason::TransportError, at, failover: false });
        }
    }

    /// Aims the registration at another registrar or server address (RFC 3263 §4.3 failover to
    /// the next target, a backup registrar, failback to the primary): `config` replaces the
    /// current one and the next REGISTER goes at `at` (`now` to try at once). The backoff count
    /// is kept, so that cycling through servers that all fail never becomes a storm
    /// (RFC 5626 §4.5). A different registrar (Request-URI or domain) gets a new Call-ID, From
    /// tag and CSeq and no stale credentials (RFC 3261 §10.2: the same Call-ID is for one
    /// registrar); the binding at the old one is left to expire. Ignored unless active.
    pub fn retarget(
        &mut self,
        now: Instant,
        config: RegistrationConfig,
        at: Instant,
        rng: &mut impl RngCore,
    ) -> Result<(), RegistrationError> {
        let aor = check_config(&config)?;
        if self.phase != Phase::Active {
            return Ok(());
        }
        let old_contact = self.our_contact_uri();
        let same_registrar = config.registrar_uri == self.config.registrar_uri && config.domain == self.config.domain;
        if !same_registrar {
            self.call_id = random_hex(rng, 16);
            self.from_tag = random_hex(rng, 8);
            self.cseq = 0;
            self.www = None;
            self.proxy = None;
            self.sent_any = false;
            self.removals.clear();
        }
        self.aor = aor;
        self.expires = config.expires;
        self.local = config.local;
        self.contact_addr = config.local;
        self.config = config;
        if same_registrar && self.sent_any {
            self.push_removal(old_contact);
        }
        self.outstanding = None;
        self.round = Round::default();
        self.timers.clear_all();
        if at <= now {
            self.new_attempt(now, rng);
        } else {
            self.timers.set(RegistrationTimer::Retry, at);
        }
        Ok(())
    }

    /// Removes our binding: a REGISTER with our Contact and `expires=0` (RFC 3261 §10.2.2,
    /// RFC 5626 §4.2.2: same instance-id and reg-id), then [`RegistrationState::Unregistered`]
    /// on its final response or failure. At once when nothing was ever sent.
    pub fn stop(&mut self, now: Instant, rng: &mut impl RngCore) {
        match self.phase {
            Phase::Stopping | Phase::Stopped => {}
            Phase::Active if self.sent_any => {
                self.phase = Phase::Stopping;
                self.timers.clear_all();
                self.round = Round::default();
                self.send(now, rng);
            }
            Phase::Idle | Phase::Active => self.finish_stop(),
        }
    }

    /// Begins an attempt: reports Registering and sends a REGISTER.
    fn new_attempt(&mut self, now: Instant, rng: &mut impl RngCore) {
        self.round = Round::default();
        self.set_state(RegistrationState::Registering);
        self.send(now, rng);
    }

    /// Builds and queues the next REGISTER with a new CSeq (RFC 3261 §10.2 CSeq).
    fn send(&mut self, now: Instant, rng: &mut impl RngCore) {
        self.cseq = self.cseq.saturating_add(1).min(MAX_CSEQ);
        match self.build_register(rng) {
            Ok(request) => {
                let credentials = [self.www.is_some(), self.proxy.is_some()];
                self.outstanding = Some(Sent { cseq: self.cseq, removals: self.removals.len(), credentials });
                self.sent_any = true;
                self.timers.set(RegistrationTimer::Response, later(now, RESPONSE_WATCHDOG));
                self.outbox.push_back(Output::Send(request));
            }
            Err(_) if self.phase == Phase::Stopping => self.finish_stop(),
            Err(error) => self.fail(now, RetryReason::RequestNotBuilt(error), rng),
        }
    }

    /// A 2xx: the binding holds (RFC 3261 §10.2.4). Schedules the refresh, resets the backoff,
    /// and once per attempt re-registers to follow the RFC 3581 public address or to remove
    /// stale bindings of our instance (RFC 5626 §4.2.1).
    fn on_success(&mut self, now: Instant, response: &Response, sent: &Sent, rng: &mut impl RngCore) {
        let removed = sent.removals.min(self.removals.len());
        self.removals.drain(..removed);
        let granted = self.granted(response);
        if granted.expires == 0 {
            self.fail(now, RetryReason::NotGranted, rng);
            return;
        }
        self.failures = 0;
        self.timers.clear_all();
        self.timers.set(RegistrationTimer::Refresh, later(now, refresh_delay(granted.expires)));
        let expires_at = later(now, Duration::from_secs(u64::from(granted.expires)));
        self.set_state(RegistrationState::Registered { expires_at, contact: self.our_contact_uri() });
        if self.round.cleanup {
            self.round = Round::default();
            return;
        }
        let mut resend = false;
        if let Some(public) = granted.public.filter(|p| *p != self.contact_addr) {
            let old = self.our_contact_uri();
            self.contact_addr = public;
            self.push_removal(old);
            resend = true;
        }
        for stale in granted.stale {
            resend |= self.push_removal(stale);
        }
        if resend {
            self.round.cleanup = true;
            self.send(now, rng);
        } else {
            self.round = Round::default();
        }
    }

    /// 423 Interval Too Brief: ask again at once for the registrar's Min-Expires, when it is
    /// above what we asked and at most a day (RFC 3261 §10.2.8); twice per attempt at most.
    fn on_interval_too_brief(&mut self, now: Instant, response: &Response, rng: &mut impl RngCore) {
        let min = min_expires(response);
        match min {
            Some(m) if m > self.expires && m <= MAX_EXPIRES && self.round.interval < 2 => {
                self.round.interval += 1;
                self.expires = m;
                self.send(now, rng);
            }
            _ => self.fail(now, RetryReason::BadMinExpires { min_expires: min }, rng),
        }
    }

    /// A failed attempt: schedules the retry (RFC 5626 §4.5 backoff, Retry-After, or the long
    /// backoff for failures a person must fix) and reports it.
    fn fail(&mut self, now: Instant, reason: RetryReason, rng: &mut impl RngCore) {
        self.outstanding = None;
        self.failures = self.failures.saturating_add(1);
        let wait = if reason.needs_attention() {
            long_delay(rng)
        } else {
            match reason {
                RetryReason::TemporarilyUnavailable { retry_after, .. }
                | RetryReason::ServerFailure { retry_after, .. }
                | RetryReason::GlobalFailure { retry_after, .. } => retry_after_delay(retry_after, self.failures, rng),
                _ => backoff_delay(self.failures, rng),
            }
        };
        let at = later(now, wait);
        self.timers.clear_all();
        self.timers.set(RegistrationTimer::Retry, at);
        self.round = Round::default();
        let state = if reason.needs_attention() {
            RegistrationState::Failed { reason, at }
        } else {
            RegistrationState::Retrying { reason, at, failover: reason.suggests_failover() }
        };
        self.set_state(state);
    }

    /// Unregistering ended.
    fn finish_stop(&mut self) {
        self.phase = Phase::Stopped;
        self.outstanding = None;
        self.timers.clear_all();
        self.round = Round::default();
        self.set_state(RegistrationState::Unregistered);
    }

    /// Adds a Contact URI to remove with the next REGISTER; false when it is ours or already
    /// there. The list is bounded by [`MAX_REMOVALS`] (the oldest go first).
    fn push_removal(&mut self, uri: String) -> bool {
        if uri == self.our_contact_uri() || self.removals.contains(&uri) {
            return false;
        }
        if self.removals.len() >= MAX_REMOVALS {
            self.removals.remove(0);
        }
        self.removals.push(uri);
        true
    }

    /// Reports `state` when it differs from the last one.
    fn set_state(&mut self, state: RegistrationState) {
        if self.state.as_ref() != Some(&state) {
            self.state = Some(state.clone());
            self.outbox.push_back(Output::State(state));
        }
    }
}
