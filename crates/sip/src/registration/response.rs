//! Reading the registrar's final responses: which REGISTER they answer (RFC 3261 §8.1.3.3),
//! the granted expiry and stale bindings of a 2xx (RFC 3261 §10.2.4, RFC 5626 §4.2), the
//! address the registrar saw (RFC 3581 §4), digest challenges (RFC 3261 §22.2–§22.3,
//! RFC 8760 §2.4), Retry-After (RFC 3261 §20.33) and Min-Expires (RFC 3261 §10.2.8).

use std::net::SocketAddr;

use crate::digest::{Algorithm, Challenge, ClientAuth};
use crate::header::{CSeq, CallId, Contact, Expires, RetryAfter, Via};
use crate::message::Response;
use crate::name::HeaderName;
use crate::uri::SipUri;

use super::{Registration, RetryReason, Sent};

/// At most this many stale bindings are removed at once: a hostile 2xx listing thousands of
/// Contacts with our instance-id must not make us send a huge REGISTER.
pub(super) const MAX_REMOVALS: usize = 8;

/// What a 2xx says about our binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Granted {
    /// The granted expiry in seconds; 0 when the registrar did not keep our binding.
    pub expires: u32,
    /// Other bindings carrying our `+sip.instance` (and our `reg-id`, or none): left from
    /// before a reboot or a network change (RFC 5626 §4.1, §4.2.1).
    pub stale: Vec<String>,
    /// The address the registrar saw us at, from the top Via's `received`/`rport`
    /// (RFC 3581 §4), when it reported one.
    pub public: Option<SocketAddr>,
}

/// The rank of a digest algorithm: lower is preferred (SHA-512/256, SHA-256, then MD5, then
/// the `-sess` variants; RFC 8760 §2.4: use the strongest challenge understood).
fn rank(algorithm: Algorithm) -> usize {
    Algorithm::ALL.iter().position(|a| *a == algorithm).unwrap_or(usize::MAX)
}

/// The status class of a final non-2xx response other than 401, 407 and 423.
pub(super) fn classify(response: &Response) -> RetryReason {
    let retry_after = response.headers.typed::<RetryAfter>().ok().flatten().map(|r| r.delta);
    let status = response.status;
    match status {
        403 => RetryReason::Forbidden,
        404 => RetryReason::NotFound,
        408 | 480 => RetryReason::TemporarilyUnavailable { status, retry_after },
        500..=599 => RetryReason::ServerFailure { status, retry_after },
        600..=699 => RetryReason::GlobalFailure { status, retry_after },
        _ => RetryReason::Rejected { status },
    }
}

/// The Min-Expires of a 423 (RFC 3261 §10.2.8, §20.23).
pub(super) fn min_expires(response: &Response) -> Option<u32> {
    response.headers.typed::<crate::header::MinExpires>().ok().flatten().map(|m| m.0)
}

impl Registration {
    /// True when `response` answers our outstanding REGISTER: our Call-ID, its CSeq number and
    /// method REGISTER (RFC 3261 §8.1.3.3, §10.2).
    pub(super) fn answers_outstanding(&self, response: &Response) -> bool {
        let Some(sent) = &self.outstanding else { return false };
        let call_id_ok = matches!(response.headers.typed::<CallId>(), Ok(Some(id)) if id.0 == self.call_id);
        let cseq_ok =
            matches!(response.headers.typed::<CSeq>(), Ok(Some(c)) if c.seq == sent.cseq && c.method == "REGISTER");
        call_id_ok && cseq_ok
    }

    /// What a 2xx grants: our Contact's `expires` (matched by URI, else by `+sip.instance`),
    /// else the Expires header, else what we asked; never more than we asked
    /// (RFC 3261 §10.2.4, §10.3 item 7).
    pub(super) fn granted(&self, response: &Response) -> Granted {
        let ours_text = self.our_contact_uri();
        let ours = SipUri::parse(&ours_text).ok();
        let contacts: Vec<Contact<'_>> =
            response.headers.typed_all::<Contact<'_>>().filter_map(Result::ok).take(256).collect();
        let is_ours = |c: &Contact<'_>| {
            let uri = c.addr().and_then(|a| a.uri.as_sip());
            matches!((uri, &ours), (Some(uri), Some(ours)) if uri.equivalent(ours))
        };
        let instance = self.config.instance.as_str();
        let reg_id = self.config.reg_id;
        let mine = |c: &Contact<'_>| {
            c.instance().is_some_and(|i| i.eq_ignore_ascii_case(instance)) && c.reg_id().is_none_or(|r| r == reg_id)
        };
        let by_uri = contacts.iter().find(|c| is_ours(c));
        let ours_contact = by_uri.or_else(|| contacts.iter().find(|c| mine(c)));
        let header = response.headers.typed::<Expires>().ok().flatten().map(|e| e.0);
        let expires = ours_contact.and_then(Contact::expires).or(header).unwrap_or(self.expires).min(self.expires);
        let stale = if by_uri.is_some() {
            contacts
                .iter()
                .filter(|c| mine(c) && !is_ours(c) && c.expires() != Some(0))
                .filter_map(|c| c.addr().map(|a| a.uri_text.to_owned()))
                .take(MAX_REMOVALS)
                .collect()
        } else {
            Vec::new()
        };
        Granted { expires, stale, public: self.public_address(response) }
    }

    /// The address the registrar saw: the top Via's `received` and `rport`, each defaulting to
    /// what we sent (RFC 3581 §4, RFC 3261 §18.2.1). `None` when it reported neither.
    fn public_address(&self, response: &Response) -> Option<SocketAddr> {
        let via = response.headers.typed_first::<Via<'_>>().ok().flatten()?;
        let received = via.received();
        let rport = via.rport().flatten().filter(|p| *p != 0);
        if received.is_none() && rport.is_none() {
            return None;
        }
        Some(SocketAddr::new(received.unwrap_or(self.local.ip()), rport.unwrap_or(self.local.port())))
    }

    /// Takes the best challenge of a 401/407 into the matching credentials (RFC 3261 §22.2,
    /// §22.3; preferring SHA-256 over MD5, RFC 8760 §2.4). `Ok` when the REGISTER should be
    /// sent again at once; otherwise why not:
    ///
    /// * `stale=true`: the nonce expired, the credentials were fine — resend (RFC 7616 §3.3),
    ///   at most twice per attempt;
    /// * a challenge for the same nonce our request just answered, without `stale=true`, or a
    ///   second non-stale challenge in one attempt: the credentials are wrong.
    pub(super) fn take_challenge(&mut self, response: &Response, sent: &Sent) -> Result<(), RetryReason> {
        let status = response.status;
        let proxy = status == 407;
        let name = if proxy { HeaderName::ProxyAuthenticate } else { HeaderName::WwwAuthenticate };
        let mut challenges: Vec<Challenge<'_>> =
            response.headers.get_all(&name).take(16).filter_map(|v| Challenge::parse(v).ok()).collect();
        challenges.sort_by_key(|c| rank(c.algorithm));
        let index = usize::from(proxy);
        let current = if proxy { self.proxy.as_ref() } else { self.www.as_ref() };
        for challenge in &challenges {
            let answered = match current {
                Some(auth) if auth.realm() == challenge.realm => {
                    let mut auth = auth.clone();
                    auth.update(challenge).map(|()| auth)
                }
                _ => ClientAuth::new(self.config.auth_user.as_str(), self.config.password.as_str(), challenge),
            };
            let Ok(auth) = answered else { continue };
            let same_nonce = sent.credentials[index] && current.is_some_and(|c| c.nonce() == challenge.nonce);
            let allowed =
                if challenge.stale { self.round.stale < 2 } else { !same_nonce && self.round.challenges[index] == 0 };
            if !allowed {
                return Err(RetryReason::CredentialsRejected { status });
            }
            if challenge.stale {
                self.round.stale += 1;
            } else {
                self.round.challenges[index] += 1;
            }
            *(if proxy { &mut self.proxy } else { &mut self.www }) = Some(auth);
            return Ok(());
        }
        Err(RetryReason::UnusableChallenge { status })
    }
}
