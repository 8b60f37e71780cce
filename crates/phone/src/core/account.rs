//! One configured account inside the [`super::Core`]: its settings, and once started, its
//! registration (RFC 3261 §10.2, RFC 5626 §4.2), keep-alive (RFC 5626 §4.4) and the flow it
//! registered over.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_core::RngCore;
use sip::keepalive::KeepAlive;
use sip::locate::Target;
use sip::registration::{Registration, RegistrationConfig};
use sip::uri::Host;
use sip::Transport;

use super::CoreError;
use crate::config::{Account, SipSettings};
use crate::instance::InstanceId;

/// One enabled account of the configuration. `Debug` never shows the password (the
/// configuration's `Secret` and the registration's configuration both redact it).
#[derive(Debug)]
pub(super) struct AccountSlot {
    /// The account's position in `Config::accounts`.
    pub index: usize,
    /// The account as configured.
    pub account: Account,
    /// Set by `Core::start_account`.
    pub started: Option<Started>,
}

/// A started account: where it registers and how the binding stands.
#[derive(Debug)]
pub(super) struct Started {
    /// The registrar chosen by the edge (RFC 3263): REGISTERs and keep-alives go there.
    pub target: Target,
    /// The binding.
    pub registration: Registration,
    /// Keep-alives on the registration flow; `None` once the account is being stopped.
    pub keepalive: Option<KeepAlive>,
    /// The stream flow (edge connection id) the registrar's responses arrive on, once seen.
    pub flow: Option<u64>,
}

impl AccountSlot {
    /// True when the account needs nothing more before the phone may exit: never started, or
    /// its registration reports `Unregistered`.
    pub fn is_unregistered(&self) -> bool {
        self.started.as_ref().is_none_or(|started| {
            matches!(started.registration.state(), Some(sip::registration::RegistrationState::Unregistered))
        })
    }
}

/// The account's keep-alive interval upper bound (`sip.keepalive_secs`, RFC 5626 §4.4).
pub(super) fn keepalive_bound(settings: &SipSettings) -> Duration {
    Duration::from_secs(settings.keepalive_secs.into())
}

/// Starts the registration and keep-alive of `account` towards `target`, sent from `local`.
pub(super) fn start(
    now: Instant,
    account: &Account,
    settings: &SipSettings,
    instance: &InstanceId,
    target: Target,
    local: SocketAddr,
    rng: &mut impl RngCore,
) -> Result<Started, CoreError> {
    let config = registration_config(account, settings, instance, target.transport, local)?;
    let mut registration = Registration::new(config, rng).map_err(CoreError::Registration)?;
    registration.start(now, rng);
    let keepalive = KeepAlive::new(now, target.transport, keepalive_bound(settings), rng);
    Ok(Started { target, registration, keepalive: Some(keepalive), flow: None })
}

/// The registration settings of `account` (RFC 3261 §10.2, RFC 5626 §4.2.1): the domain is the
/// configured server's host, the registrar URI the server as configured, with `;transport=` for
/// a stream transport (RFC 3261 §19.1.1).
pub(super) fn registration_config(
    account: &Account,
    settings: &SipSettings,
    instance: &InstanceId,
    transport: Transport,
    local: SocketAddr,
) -> Result<RegistrationConfig, CoreError> {
    let (host, _port) = Host::parse_with_port(&account.server).map_err(CoreError::BadServer)?;
    let mut registrar_uri = format!("sip:{}", account.server);
    if transport != Transport::Udp {
        registrar_uri.push_str(";transport=");
        registrar_uri.push_str(&transport.as_str().to_ascii_lowercase());
    }
    let user_agent = Some(settings.user_agent.clone()).filter(|agent| !agent.is_empty());
    Ok(RegistrationConfig {
        user: account.user.clone(),
        domain: host.to_string(),
        registrar_uri,
        auth_user: account.auth_user().to_owned(),
        password: account.password.expose().to_owned(),
        display_name: account.display_name.clone(),
        expires: account.expires,
        instance: instance.as_str().to_owned(),
        reg_id: 1,
        local,
        transport,
        user_agent,
    })
}
