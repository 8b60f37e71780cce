//! Message waiting indication (RFC 3842) over SIP events (RFC 6665): once an account with a
//! voicemail registers, it subscribes to `message-summary` at its own address of record (the
//! Asterisk and Kamailio convention), answers the NOTIFYs of that subscription, refreshes it
//! before it expires and starts it again after failures, with a backoff; a server without MWI
//! (404, 405, 489, 501) is asked again an hour later. The NOTIFYs themselves, and the
//! unsolicited ones some servers send without any subscription, are read in `message.rs`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_core::RngCore;
use sip::dialog::Dialog;
use sip::digest::{Algorithm, Challenge, ClientAuth, DigestRequest};
use sip::error::BuildError;
use sip::header::{CSeq, CallId, Expires, MinExpires, RetryAfter};
use sip::transaction::TransactionKey;
use sip::{HeaderName, Method, Request, Response};

use super::{Core, Life, Route, RETIRED};
use crate::config::Account;

/// The event package (RFC 3842 §3.1).
pub const MWI_EVENT: &str = "message-summary";
/// Its body type (RFC 3842 §3.2).
pub const MWI_CONTENT_TYPE: &str = "application/simple-message-summary";
/// The subscription lifetime asked for, in seconds (RFC 3842 §3.6 suggests an hour).
pub const MWI_EXPIRES: u32 = 3600;
/// The first wait after a failed subscription; it doubles with each failure up to
/// [`MWI_RETRY_MAX`] (RFC 6665 §4.1.2.4 leaves the policy to us).
pub const MWI_RETRY_FIRST: Duration = Duration::from_secs(30);
/// The longest wait between tries after failures.
pub const MWI_RETRY_MAX: Duration = Duration::from_secs(1800);
/// The wait after a server said it has no message waiting service (404, 405, 489, 501).
pub const MWI_UNSUPPORTED_RETRY: Duration = Duration::from_secs(3600);

/// What a `message-summary` body says (RFC 3842 §5.2): whether messages wait, and the voice
/// messages' counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageSummary {
    /// `Messages-Waiting: yes`.
    pub waiting: bool,
    /// New voice messages.
    pub new: u32,
    /// Old (heard) voice messages.
    pub old: u32,
    /// New urgent voice messages.
    pub urgent_new: u32,
    /// Old urgent voice messages.
    pub urgent_old: u32,
}

/// Reads an `application/simple-message-summary` body (RFC 3842 §5.2): `Messages-Waiting:
/// yes|no` and `Voice-Message: new/old (urgent_new/urgent_old)`; other lines (other message
/// classes, `Message-Account`, message headers) are skipped. `None` when it has neither line.
pub fn parse_message_summary(body: &str) -> Option<MessageSummary> {
    let mut summary = MessageSummary::default();
    let (mut waiting, mut voice) = (None, false);
    for line in body.lines() {
        let Some((name, value)) = line.split_once(':') else { continue };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("Messages-Waiting") {
            waiting = Some(value.eq_ignore_ascii_case("yes"));
        } else if name.eq_ignore_ascii_case("Voice-Message") {
            let (counts, urgent) = match value.split_once('(') {
                Some((counts, urgent)) => (counts, Some(urgent.trim_end_matches(')'))),
                None => (value, None),
            };
            let Some((new, old)) = counts_of(counts) else { continue };
            (summary.new, summary.old) = (new, old);
            if let Some((new, old)) = urgent.and_then(counts_of) {
                (summary.urgent_new, summary.urgent_old) = (new, old);
            }
            voice = true;
        }
    }
    summary.waiting = waiting.unwrap_or(summary.new > 0);
    (waiting.is_some() || voice).then_some(summary)
}

/// `new/old` as two numbers.
fn counts_of(text: &str) -> Option<(u32, u32)> {
    let (new, old) = text.trim().split_once('/')?;
    Some((new.trim().parse().ok()?, old.trim().parse().ok()?))
}

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// A SUBSCRIBE is out.
    Sending,
    /// Accepted; refreshed at `refresh_at`.
    Active { refresh_at: Instant },
    /// Failed or terminated; a new subscription starts at `at`.
    Waiting { at: Instant },
    /// Given up, or unsubscribed on stop.
    Ended,
}

/// One account's subscription to its own message summary. `Debug` shows no password (the
/// digest state hides it; the password itself is read from the account when signing).
#[derive(Debug)]
pub(super) struct Subscription {
    /// Where the SUBSCRIBEs go: the account's registrar route when it started.
    pub route: Route,
    server_name: Option<String>,
    local: SocketAddr,
    call_id: String,
    from_tag: String,
    cseq: u32,
    expires: u32,
    dialog: Option<Dialog>,
    /// The last SUBSCRIBE sent (the dialog is made from it and the 2xx).
    sent: Option<Request>,
    www: Option<ClientAuth>,
    proxy: Option<ClientAuth>,
    challenges: u8,
    failures: u32,
    phase: Phase,
}

/// The core's subscriptions, their client transactions and the last summary of each account,
/// all by account label (stable when a new configuration renumbers the accounts).
#[derive(Debug, Default)]
pub(super) struct Mwi {
    subs: BTreeMap<String, Subscription>,
    /// SUBSCRIBE client transactions → account label.
    clients: BTreeMap<TransactionKey, String>,
    /// The last summary of each account (from its subscription or an unsolicited NOTIFY).
    summaries: BTreeMap<String, MessageSummary>,
    /// A server without MWI was logged (once per account).
    unsupported_logged: BTreeMap<String, bool>,
}

/// 64 random bits as hex.
fn random_hex(rng: &mut impl RngCore) -> String {
    format!("{:016x}", rng.next_u64())
}

/// When to refresh a subscription granted for `seconds`: a minute before it lapses, or at half
/// its life when that is shorter (RFC 6665 §4.1.2.2 leaves the margin to us).
fn refresh_delay(seconds: u32) -> Duration {
    Duration::from_secs(u64::from((seconds / 2).max(seconds.saturating_sub(60)).max(1)))
}

impl Subscription {
    fn new(route: Route, server_name: Option<String>, local: SocketAddr, rng: &mut impl RngCore) -> Subscription {
        Subscription {
            route,
            server_name,
            local,
            call_id: format!("mwi-{}", random_hex(rng)),
            from_tag: random_hex(rng),
            cseq: 0,
            expires: MWI_EXPIRES,
            dialog: None,
            sent: None,
            www: None,
            proxy: None,
            challenges: 0,
            failures: 0,
            phase: Phase::Sending,
        }
    }

    /// The next SUBSCRIBE (RFC 6665 §4.1.2): in the dialog once there is one (a refresh),
    /// else to the AOR of `account` with our Call-ID and tag; `expires` 0 unsubscribes.
    fn build(
        &mut self,
        account: &Account,
        contact: &str,
        user_agent: &str,
        expires: u32,
        rng: &mut impl RngCore,
    ) -> Result<Request, BuildError> {
        let mut request = match self.dialog.as_mut() {
            Some(dialog) => {
                let request = dialog.request(Method::Subscribe)?;
                self.cseq = dialog.local_seq();
                request
            }
            None => {
                self.cseq += 1;
                self.initial(account, contact)?
            }
        };
        let h = &mut request.headers;
        h.push(HeaderName::Event, MWI_EVENT)?;
        h.push(HeaderName::Accept, MWI_CONTENT_TYPE)?;
        h.push(HeaderName::Expires, expires.to_string())?;
        if !user_agent.is_empty() {
            h.push(HeaderName::UserAgent, user_agent)?;
        }
        let (uri, method) = (request.uri.to_string(), "SUBSCRIBE");
        let digest = DigestRequest::new(method, &uri, b"");
        if let Some(auth) = self.www.as_mut() {
            request.headers.push(HeaderName::Authorization, auth.authorize(&digest, rng).to_string())?;
        }
        if let Some(auth) = self.proxy.as_mut() {
            request.headers.push(HeaderName::ProxyAuthorization, auth.authorize(&digest, rng).to_string())?;
        }
        self.sent = Some(request.clone());
        Ok(request)
    }

    /// A SUBSCRIBE outside a dialog, to the account's own address of record.
    fn initial(&self, account: &Account, contact: &str) -> Result<Request, BuildError> {
        let host = sip::uri::Host::parse_with_port(&account.server).map(|(h, _)| h.to_string()).unwrap_or_default();
        let aor = format!("sip:{}@{host}", account.user);
        let mut request = Request::new(Method::Subscribe, aor.as_str())?;
        let h = &mut request.headers;
        h.push(HeaderName::Via, format!("SIP/2.0/{} {};rport", self.route.transport, self.local))?;
        h.push(HeaderName::MaxForwards, "70")?;
        h.push(HeaderName::From, format!("<{aor}>;tag={}", self.from_tag))?;
        h.push(HeaderName::To, format!("<{aor}>"))?;
        h.push(HeaderName::CallId, self.call_id.as_str())?;
        h.push(HeaderName::CSeq, format!("{} SUBSCRIBE", self.cseq))?;
        h.push(HeaderName::Contact, contact)?;
        h.push(HeaderName::ContentLength, "0")?;
        Ok(request)
    }

    /// True when `response` answers our last SUBSCRIBE (Call-ID and CSeq).
    fn answers(&self, response: &Response) -> bool {
        let call_id = response.headers.typed::<CallId>().ok().flatten().map(|c| c.0 == self.call_id);
        let cseq = response.headers.typed::<CSeq>().ok().flatten().map(|c| c.seq == self.cseq);
        call_id == Some(true) && cseq == Some(true)
    }

    /// A 2xx: the subscription holds for the granted time (RFC 6665 §4.1.2.1: the 2xx's
    /// Expires, never more than asked) and is refreshed before it lapses.
    fn accepted(&mut self, now: Instant, response: &Response) {
        let granted = response.headers.typed::<Expires>().ok().flatten().map_or(self.expires, |e| e.0);
        let granted = granted.min(self.expires);
        match self.dialog.as_mut() {
            Some(dialog) => dialog.receive_response(response),
            None => {
                self.dialog = self
                    .sent
                    .as_ref()
                    .and_then(|sent| Dialog::uac(sent, response, self.local, self.route.transport).ok())
            }
        }
        self.failures = 0;
        self.challenges = 0;
        self.phase = if granted == 0 {
            Phase::Waiting { at: now + MWI_RETRY_FIRST }
        } else {
            Phase::Active { refresh_at: now + refresh_delay(granted) }
        };
    }

    /// Takes the strongest usable challenge of a 401/407 (RFC 3261 §22.2–§22.3, RFC 8760
    /// §2.4); false when it cannot be answered or was answered twice already (wrong password).
    fn take_challenge(&mut self, response: &Response, account: &Account) -> bool {
        if self.challenges >= 2 {
            return false;
        }
        let proxy = response.status == 407;
        let name = if proxy { HeaderName::ProxyAuthenticate } else { HeaderName::WwwAuthenticate };
        let mut challenges: Vec<Challenge<'_>> =
            response.headers.get_all(&name).take(16).filter_map(|v| Challenge::parse(v).ok()).collect();
        let rank = |a: Algorithm| Algorithm::ALL.iter().position(|x| *x == a).unwrap_or(usize::MAX);
        challenges.sort_by_key(|c| rank(c.algorithm));
        let password = account.password.expose();
        let Some(auth) = challenges.iter().find_map(|c| ClientAuth::new(account.auth_user(), password, c).ok()) else {
            return false;
        };
        self.challenges += 1;
        *(if proxy { &mut self.proxy } else { &mut self.www }) = Some(auth);
        true
    }

    /// A failure: the next try after the backoff, or `retry_after` seconds when given.
    fn failed(&mut self, now: Instant, retry_after: Option<u32>) {
        let backoff = MWI_RETRY_FIRST.saturating_mul(1 << self.failures.min(8)).min(MWI_RETRY_MAX);
        let wait = retry_after.map_or(backoff, |s| Duration::from_secs(u64::from(s.min(86_400))));
        self.failures = self.failures.saturating_add(1);
        self.phase = Phase::Waiting { at: now + wait };
    }

    /// Starts over with a new Call-ID and tag (the old dialog is gone: 481, or terminated).
    fn restart(&mut self, rng: &mut impl RngCore) {
        self.call_id = format!("mwi-{}", random_hex(rng));
        self.from_tag = random_hex(rng);
        self.cseq = 0;
        self.expires = MWI_EXPIRES;
        self.dialog = None;
        self.sent = None;
        self.challenges = 0;
    }

    fn due(&self) -> Option<Instant> {
        match self.phase {
            Phase::Active { refresh_at } => Some(refresh_at),
            Phase::Waiting { at } => Some(at),
            Phase::Sending | Phase::Ended => None,
        }
    }
}

impl Core {
    /// Account `slot` registered: it subscribes to its message summary when it should and has
    /// no subscription on this registrar route yet.
    pub(super) fn mwi_registered(&mut self, now: Instant, slot: usize) {
        let label = self.slots[slot].account.label.clone();
        let Some(started) = self.slots[slot].started.as_ref() else { return };
        let subscribes = self.slots[slot].account.subscribes_mwi() && self.slots[slot].index != RETIRED;
        if !subscribes || self.life != Life::Running {
            return;
        }
        let to = started.target.addr;
        if self.mwi.subs.get(&label).is_some_and(|sub| sub.route.to == to && sub.phase != Phase::Ended) {
            return;
        }
        let transport = started.target.transport;
        let flow = if transport.is_reliable() { started.flow } else { None };
        let route = Route { to, transport, flow };
        let local = started.routes[started.current].1.local;
        let server_name = super::account::server_name(&started.target);
        let sub = Subscription::new(route, server_name, local, &mut self.rng);
        self.mwi.subs.insert(label.clone(), sub);
        self.mwi_send(now, &label, MWI_EXPIRES);
    }

    /// The slot of the account labelled `label`: the configured one, else a retired one.
    fn slot_of_label(&self, label: &str) -> Option<usize> {
        let of =
            |active: bool| self.slots.iter().position(|s| s.account.label == label && (s.index != RETIRED) == active);
        of(true).or_else(|| of(false))
    }

    /// Sends account `label`'s next SUBSCRIBE with `expires`.
    fn mwi_send(&mut self, now: Instant, label: &str, expires: u32) {
        let Some(slot) = self.slot_of_label(label) else { return };
        let Some(started) = self.slots[slot].started.as_ref() else { return };
        let contact = format!("<{}>", started.registration.contact_uri());
        let account = &self.slots[slot].account;
        let Some(sub) = self.mwi.subs.get_mut(label) else { return };
        let Ok(request) = sub.build(account, &contact, &self.settings.user_agent, expires, &mut self.rng) else {
            sub.phase = Phase::Ended;
            return;
        };
        sub.phase = if expires == 0 { Phase::Ended } else { Phase::Sending };
        let transport = sub.route.transport;
        match self.layer.send_request(now, request, transport, &mut self.rng) {
            Ok(key) => {
                self.mwi.clients.insert(key, label.to_owned());
            }
            Err(_) => {
                if let Some(sub) = self.mwi.subs.get_mut(label).filter(|s| s.phase == Phase::Sending) {
                    sub.failed(now, None);
                }
            }
        }
    }

    /// True when transaction `key` is one of our SUBSCRIBEs.
    pub(super) fn is_mwi_client(&self, key: &TransactionKey) -> bool {
        self.mwi.clients.contains_key(key)
    }

    /// Where a SUBSCRIBE of transaction `key` goes, with its TLS server name.
    pub(super) fn mwi_route(&self, key: &TransactionKey) -> Option<(Route, Option<String>)> {
        let sub = self.mwi.clients.get(key).and_then(|label| self.mwi.subs.get(label))?;
        Some((sub.route, sub.server_name.clone()))
    }

    /// A final response to a SUBSCRIBE of ours.
    pub(super) fn mwi_response(&mut self, now: Instant, key: &TransactionKey, response: &Response) {
        if response.status < 200 {
            return;
        }
        let Some(label) = self.mwi.clients.get(key).cloned() else { return };
        let Some(slot) = self.slot_of_label(&label) else { return };
        let account = &self.slots[slot].account;
        let Some(sub) = self.mwi.subs.get_mut(&label) else { return };
        if !sub.answers(response) || sub.phase != Phase::Sending {
            return;
        }
        let retry_after = response.headers.typed::<RetryAfter>().ok().flatten().map(|r| r.delta);
        match response.status {
            200..=299 => sub.accepted(now, response),
            401 | 407 if sub.take_challenge(response, account) => {
                let expires = sub.expires;
                self.mwi_send(now, &label, expires);
            }
            423 => {
                let min = response.headers.typed::<MinExpires>().ok().flatten().map(|m| m.0);
                match min.filter(|m| *m > sub.expires && *m <= 86_400) {
                    Some(min) => {
                        sub.expires = min;
                        self.mwi_send(now, &label, min);
                    }
                    None => sub.failed(now, retry_after),
                }
            }
            404 | 405 | 489 | 501 => {
                let status = response.status;
                sub.phase = Phase::Waiting { at: now + MWI_UNSUPPORTED_RETRY };
                if !self.mwi.unsupported_logged.insert(label.clone(), true).unwrap_or(false) {
                    tracing::info!(account = %label, status, "the server offers no message waiting indication; asking again hourly");
                }
            }
            481 if sub.dialog.is_some() => {
                // The server forgot the subscription: a new one at once (RFC 6665 §4.1.2.2).
                sub.restart(&mut self.rng);
                self.mwi_send(now, &label, MWI_EXPIRES);
            }
            _ => sub.failed(now, retry_after),
        }
    }

    /// A SUBSCRIBE of ours got no final response (timeout, transport error).
    pub(super) fn mwi_failure(&mut self, now: Instant, key: &TransactionKey) {
        let Some(label) = self.mwi.clients.get(key) else { return };
        if let Some(sub) = self.mwi.subs.get_mut(label).filter(|s| s.phase == Phase::Sending) {
            sub.failed(now, None);
        }
    }

    /// Transaction `key` ended.
    pub(super) fn mwi_terminated(&mut self, key: &TransactionKey) {
        self.mwi.clients.remove(key);
    }

    /// When a subscription is next due for a refresh or a new try.
    pub(super) fn mwi_timeout(&self) -> Option<Instant> {
        self.mwi.subs.values().filter_map(Subscription::due).min()
    }

    /// Refreshes or starts again the subscriptions due by `now`.
    pub(super) fn mwi_handle_timeout(&mut self, now: Instant) {
        if self.life != Life::Running {
            return;
        }
        let due: Vec<(String, bool)> = self
            .mwi
            .subs
            .iter()
            .filter(|(_, sub)| sub.due().is_some_and(|at| at <= now))
            .map(|(label, sub)| (label.clone(), matches!(sub.phase, Phase::Waiting { .. })))
            .collect();
        for (label, fresh) in due {
            if let Some(sub) = self.mwi.subs.get_mut(&label) {
                if fresh {
                    sub.restart(&mut self.rng);
                }
                let expires = sub.expires;
                self.mwi_send(now, &label, expires);
            }
        }
    }

    /// The phone stops: every active subscription is ended (SUBSCRIBE with Expires: 0,
    /// RFC 6665 §4.1.2.3); nobody waits for the answers.
    pub(super) fn mwi_stop(&mut self, now: Instant) {
        let labels: Vec<String> = self.mwi.subs.keys().cloned().collect();
        for label in labels {
            self.mwi_end(now, &label);
        }
    }

    /// Ends account `label`'s subscription: SUBSCRIBE with Expires: 0 when it is active
    /// (RFC 6665 §4.1.2.3), nobody waiting for the answer; nothing more is sent for it.
    fn mwi_end(&mut self, now: Instant, label: &str) {
        let Some(sub) = self.mwi.subs.get_mut(label) else { return };
        if matches!(sub.phase, Phase::Active { .. }) && sub.dialog.is_some() {
            self.mwi_send(now, label, 0);
        }
        if let Some(sub) = self.mwi.subs.get_mut(label) {
            sub.phase = Phase::Ended;
        }
    }

    /// A new configuration was applied: subscriptions of accounts gone or no longer
    /// subscribing end (and their summaries are forgotten); registered accounts that now
    /// subscribe start.
    pub(super) fn mwi_reconfigured(&mut self, now: Instant) {
        let configured = |core: &Core, label: &str, subscribing: bool| {
            let fits = |s: &&super::account::AccountSlot| !subscribing || s.account.subscribes_mwi();
            core.slots.iter().filter(|s| s.index != RETIRED && s.account.label == label).any(|s| fits(&s))
        };
        let unwanted: Vec<String> =
            self.mwi.subs.keys().filter(|label| !configured(self, label, true)).cloned().collect();
        for label in unwanted {
            self.mwi_end(now, &label);
        }
        let gone: Vec<String> =
            self.mwi.summaries.keys().filter(|label| !configured(self, label, false)).cloned().collect();
        for label in gone {
            self.mwi.summaries.remove(&label);
        }
        for slot in 0..self.slots.len() {
            let registered = self.slots[slot].started.as_ref().is_some_and(|s| {
                matches!(s.registration.state(), Some(sip::registration::RegistrationState::Registered { .. }))
            });
            if registered {
                self.mwi_registered(now, slot);
            }
        }
    }

    /// The account (label) whose subscription dialog a NOTIFY is in: our Call-ID, our tag as
    /// its To tag (RFC 6665 §4.1.2.4: it may come before the 2xx to our SUBSCRIBE).
    pub(super) fn mwi_of_notify(&self, request: &Request) -> Option<String> {
        let call_id = request.headers.typed::<CallId>().ok().flatten()?.0;
        let to = request.headers.typed::<sip::header::To>().ok().flatten()?;
        let tag = to.tag()?;
        self.mwi.subs.iter().find(|(_, s)| s.call_id == call_id && s.from_tag == tag).map(|(label, _)| label.clone())
    }

    /// A NOTIFY of account `label`'s subscription said `Subscription-State: terminated`
    /// (RFC 6665 §4.1.3): subscribe again at once after `deactivated` or `timeout`, after
    /// `retry-after` when given, an hour later after `rejected`, `noresource` or `invariant`.
    pub(super) fn mwi_terminated_by_server(
        &mut self,
        now: Instant,
        label: &str,
        reason: Option<&str>,
        retry: Option<u32>,
    ) {
        let Some(sub) = self.mwi.subs.get_mut(label).filter(|s| s.phase != Phase::Ended) else { return };
        let wait = match (reason.map(str::to_ascii_lowercase).as_deref(), retry) {
            (_, Some(seconds)) => Duration::from_secs(u64::from(seconds.min(86_400))),
            (Some("rejected" | "noresource" | "invariant"), None) => MWI_UNSUPPORTED_RETRY,
            (Some("deactivated" | "timeout"), None) => Duration::ZERO,
            _ => MWI_RETRY_FIRST,
        };
        sub.dialog = None;
        sub.phase = Phase::Waiting { at: now + wait };
    }

    /// Account `label`'s message summary changed: remembered and reported (when the account
    /// is still configured).
    pub(super) fn report_message_summary(&mut self, label: &str, summary: MessageSummary) {
        let Some(index) = self.slots.iter().find(|s| s.index != RETIRED && s.account.label == label).map(|s| s.index)
        else {
            return;
        };
        self.mwi.summaries.insert(label.to_owned(), summary);
        let MessageSummary { waiting, new, old, .. } = summary;
        self.outbox.push_back(super::Output::MessageWaiting { account: index, waiting, new, old });
    }

    /// The last message summary of account `index` (from its subscription or an unsolicited
    /// NOTIFY), if any came.
    pub fn message_waiting(&self, index: usize) -> Option<MessageSummary> {
        let slot = self.slots.iter().find(|s| s.index == index && index != RETIRED)?;
        self.mwi.summaries.get(&slot.account.label).copied()
    }
}
