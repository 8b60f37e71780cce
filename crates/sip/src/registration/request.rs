//! Building the REGISTER (RFC 3261 §10.2, RFC 5626 §4.2.1, RFC 3581 §3) and checking the
//! configuration it is built from.

use std::fmt::Write as _;
use std::net::SocketAddr;

use rand_core::RngCore;

use crate::digest::{ClientAuth, DigestRequest};
use crate::error::BuildError;
use crate::message::{Method, Request};
use crate::name::HeaderName;
use crate::transport::Transport;
use crate::uri::{SipUri, Uri};

use super::{Phase, Registration, RegistrationConfig, RegistrationError, ALLOW, MAX_EXPIRES, SUPPORTED};

/// Checks `config` and gives the AOR URI `sip:user@domain` (RFC 3261 §10.2 To).
pub(super) fn check_config(config: &RegistrationConfig) -> Result<String, RegistrationError> {
    let aor = format!("sip:{}@{}", config.user, config.domain);
    let parsed = SipUri::parse(&aor).map_err(|_| RegistrationError::InvalidAor)?;
    if parsed.user != Some(config.user.as_str()) || parsed.port.is_some() || !parsed.params.is_empty() {
        return Err(RegistrationError::InvalidAor);
    }
    let registrar_ok = matches!(Uri::parse(&config.registrar_uri), Ok(Uri::Sip(_)))
        && Request::new(Method::Register, config.registrar_uri.as_str()).is_ok()
        && !config.registrar_uri.contains('"');
    if !registrar_ok {
        return Err(RegistrationError::InvalidRegistrarUri);
    }
    let instance = config.instance.as_str();
    let urn = instance.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("urn:")) && instance.len() > 4;
    if !urn || instance.bytes().any(|b| b <= b' ' || matches!(b, b'"' | b'<' | b'>' | b'\\' | 0x7f)) {
        return Err(RegistrationError::InvalidInstance);
    }
    if config.display_name.as_deref().is_some_and(|d| d.chars().any(char::is_control)) {
        return Err(RegistrationError::InvalidDisplayName);
    }
    if config.user_agent.as_deref().is_some_and(|u| u.chars().any(char::is_control) || u.trim().is_empty()) {
        return Err(RegistrationError::InvalidUserAgent);
    }
    if config.auth_user.is_empty() || config.auth_user.chars().any(char::is_control) {
        return Err(RegistrationError::InvalidAuthUser);
    }
    if config.expires == 0 || config.expires > MAX_EXPIRES {
        return Err(RegistrationError::ExpiresOutOfRange(config.expires));
    }
    Ok(aor)
}

/// `count` random bytes from `rng` in lower-case hex.
pub(super) fn random_hex(rng: &mut (impl RngCore + ?Sized), count: usize) -> String {
    let mut out = String::with_capacity(count * 2);
    for _ in 0..count {
        let _ = write!(out, "{:02x}", rng.next_u32() as u8);
    }
    out
}

/// The Contact URI for `user` at `addr` over `transport`: `sip:user@host:port`, with
/// `;transport=tcp|tls` except for UDP (RFC 3261 §19.1.1; IPv6 in brackets, RFC 5118 §4.1).
pub(super) fn contact_uri(user: &str, addr: SocketAddr, transport: Transport) -> String {
    match transport {
        Transport::Udp => format!("sip:{user}@{addr}"),
        Transport::Tcp => format!("sip:{user}@{addr};transport=tcp"),
        Transport::Tls => format!("sip:{user}@{addr};transport=tls"),
    }
}

/// A display name as a quoted string (RFC 3261 §25.1 `quoted-string`), with a trailing space.
fn quoted_display(name: Option<&str>) -> String {
    match name {
        Some(name) if !name.is_empty() => {
            let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\" ")
        }
        _ => String::new(),
    }
}

impl Registration {
    /// Our Contact URI as it stands.
    pub(super) fn our_contact_uri(&self) -> String {
        contact_uri(&self.config.user, self.contact_addr, self.config.transport)
    }

    /// The next REGISTER: our Contact with `expires` (0 when stopping), the pending removals,
    /// and credentials for the challenges we hold (RFC 3261 §10.2, §22.2–§22.3).
    pub(super) fn build_register(&mut self, rng: &mut (impl RngCore + ?Sized)) -> Result<Request, BuildError> {
        let expires = if self.phase == Phase::Stopping { 0 } else { self.expires };
        let uri = self.config.registrar_uri.clone();
        let mut request = Request::new(Method::Register, uri.as_str())?;
        let display = quoted_display(self.config.display_name.as_deref());
        let h = &mut request.headers;
        h.push(HeaderName::Via, format!("SIP/2.0/{} {};rport", self.config.transport, self.local))?;
        h.push(HeaderName::MaxForwards, "70")?;
        h.push(HeaderName::From, format!("{display}<{}>;tag={}", self.aor, self.from_tag))?;
        h.push(HeaderName::To, format!("{display}<{}>", self.aor))?;
        h.push(HeaderName::CallId, self.call_id.as_str())?;
        h.push(HeaderName::CSeq, format!("{} REGISTER", self.cseq))?;
        h.push(
            HeaderName::Contact,
            format!(
                "<{}>;+sip.instance=\"<{}>\";reg-id={};expires={expires}",
                self.our_contact_uri(),
                self.config.instance,
                self.config.reg_id
            ),
        )?;
        for removed in &self.removals {
            h.push(HeaderName::Contact, format!("<{removed}>;expires=0"))?;
        }
        h.push(HeaderName::Expires, expires.to_string())?;
        h.push(HeaderName::Allow, ALLOW)?;
        h.push(HeaderName::Supported, SUPPORTED)?;
        if let Some(agent) = &self.config.user_agent {
            h.push(HeaderName::UserAgent, agent)?;
        }
        let digest = DigestRequest::new("REGISTER", &uri, b"");
        if let Some(auth) = self.www.as_mut() {
            h.push(HeaderName::Authorization, credentials(auth, &digest, rng))?;
        }
        if let Some(auth) = self.proxy.as_mut() {
            h.push(HeaderName::ProxyAuthorization, credentials(auth, &digest, rng))?;
        }
        h.push(HeaderName::ContentLength, "0")?;
        Ok(request)
    }
}

/// The credentials value for `request` (RFC 3261 §22.2, §22.3).
fn credentials(auth: &mut ClientAuth, request: &DigestRequest<'_>, rng: &mut (impl RngCore + ?Sized)) -> String {
    auth.authorize(request, rng).to_string()
}
