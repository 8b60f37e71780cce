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
    /// For an account no longer configured (`index` is then `RETIRED`): when to forget it,
    /// unregistered or not.
    pub retire_by: Option<Instant>,
}

/// Which configured server a [`Located`] route leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerRole {
    /// The account's `server`.
    Primary,
    /// The account's `backup_server`, used while the primary does not answer.
    Backup,
}

/// One place an account can register: a target the edge located (RFC 3263) and the local
/// address that reaches it (the Via sent-by and Contact address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The server address, port and transport.
    pub target: Target,
    /// Our address towards it.
    pub local: SocketAddr,
}

/// Where an account can register, in failover order (RFC 3263 §4.3): the primary server's
/// targets as RFC 2782 orders them, then the backup registrar's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes {
    /// The targets of the account's `server` (or of its outbound proxy).
    pub primary: Vec<Located>,
    /// The targets of the account's `backup_server`, if any.
    pub backup: Vec<Located>,
}

impl Routes {
    /// Routes with one primary target and no backup.
    pub fn single(target: Target, local: SocketAddr) -> Routes {
        Routes { primary: vec![Located { target, local }], backup: Vec::new() }
    }

    /// Every route with its role, primary first; at most [`MAX_ROUTES`].
    fn ordered(self) -> Vec<(ServerRole, Located)> {
        let primary = self.primary.into_iter().map(|l| (ServerRole::Primary, l));
        let backup = self.backup.into_iter().map(|l| (ServerRole::Backup, l));
        primary.chain(backup).take(MAX_ROUTES).collect()
    }
}

/// Most routes an account keeps (primary and backup targets together).
pub const MAX_ROUTES: usize = 32;

/// A started account: where it registers and how the binding stands.
#[derive(Debug)]
pub(super) struct Started {
    /// Every route, primary first (RFC 3263 §4.3 order); never empty.
    pub routes: Vec<(ServerRole, Located)>,
    /// The route in use.
    pub current: usize,
    /// Routes that failed since the last success, for the failover cycle: once every route
    /// failed, the next try waits for the registration's backoff.
    pub failed_in_cycle: usize,
    /// When to try the primary again while registered elsewhere (failback).
    pub failback_at: Option<Instant>,
    /// The registrar in use (`routes[current]`): REGISTERs and keep-alives go there.
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

/// Starts the registration and keep-alive of `account` on the first of `routes`.
pub(super) fn start(
    now: Instant,
    account: &Account,
    settings: &SipSettings,
    instance: &InstanceId,
    routes: Routes,
    rng: &mut impl RngCore,
) -> Result<Started, CoreError> {
    let routes = routes.ordered();
    let Some((role, first)) = routes.first().cloned() else { return Err(CoreError::NoRoute) };
    for (role, located) in &routes {
        registration_config(account, settings, instance, *role, located)?;
    }
    let config = registration_config(account, settings, instance, role, &first)?;
    let mut registration = Registration::new(config, rng).map_err(CoreError::Registration)?;
    registration.start(now, rng);
    let keepalive = KeepAlive::new(now, first.target.transport, keepalive_bound(settings), rng);
    Ok(Started {
        routes,
        current: 0,
        failed_in_cycle: 0,
        failback_at: None,
        target: first.target,
        registration,
        keepalive: Some(keepalive),
        flow: None,
    })
}

/// The registration settings of `account` on a `role` route (RFC 3261 §10.2, RFC 5626 §4.2.1):
/// the domain is the configured server's host (the backup server's on a backup route), the
/// registrar URI that server as configured, with `;transport=` for a stream transport
/// (RFC 3261 §19.1.1).
pub(super) fn registration_config(
    account: &Account,
    settings: &SipSettings,
    instance: &InstanceId,
    role: ServerRole,
    located: &Located,
) -> Result<RegistrationConfig, CoreError> {
    let server = match role {
        ServerRole::Backup => account.backup_server.as_deref().unwrap_or(&account.server),
        ServerRole::Primary => &account.server,
    };
    let (transport, local) = (located.target.transport, located.local);
    let (host, _port) = Host::parse_with_port(server).map_err(CoreError::BadServer)?;
    let mut registrar_uri = format!("sip:{server}");
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

/// The TLS server name of `target` (RFC 5922 §4), `None` for other transports.
pub(super) fn server_name(target: &Target) -> Option<String> {
    (target.transport == Transport::Tls).then(|| target.host.clone())
}

/// The Flow-Timer of a 2xx to REGISTER (RFC 5626 §4.4.1, §11.2): the registrar's longest wait
/// between keep-alives, in seconds. Keep-alives then go every 80–100% of it.
pub(super) fn flow_timer(response: &sip::Response) -> Option<u64> {
    if !(200..300).contains(&response.status) {
        return None;
    }
    let value = response.headers.get(&sip::HeaderName::from_bytes("Flow-Timer"))?.trim();
    value.parse::<u64>().ok().filter(|s| (1..=86_400).contains(s))
}
