//! The phone loop: the edge around `phone::Core`. It owns the sockets, the DNS resolver, the clock
//! and the signals; the core decides everything else. One task, one thread (tokio current_thread).

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use phone::core::{AccountInfo, Core, Located, Output, Routes};
use phone::provisioning::BaseUrl;
use phone::Config;
use rand_core::{OsRng, RngCore};
use sip::locate::{LocatePrefs, Locator, Target};
use tokio::signal::unix::{signal, SignalKind};
use tracing::{error, info, warn};

use crate::config_store::ConfigStore;
use crate::ctl::exec::{execute, EdgeState};
use crate::device_edge::{DeviceEdge, FrontInput, FrontLink, FrontView};
use crate::dns::Dns;
use crate::provision::Provisioning;
use crate::state::load_or_create_instance;
use crate::transport::{Destination, FlowId, TlsSettings, TransportEvent, Transports};

/// How long a failed DNS lookup of an account's server waits before the next try.
const DNS_RETRY: Duration = Duration::from_secs(30);

/// How often the local address towards each registrar is checked (a new DHCP lease, a switch
/// from one interface to another): a change re-registers at once (RFC 5626 §4.5).
const NETWORK_CHECK: Duration = Duration::from_secs(5);

/// Where the phone keeps its state when not told: `$HARDPHONE_STATE_DIR`, else
/// `$HOME/.local/state/hardphone`, else `./hardphone-state`.
pub fn default_state_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HARDPHONE_STATE_DIR") {
        return PathBuf::from(dir);
    }
    match std::env::var_os("HOME") {
        Some(home) => Path::new(&home).join(".local/state/hardphone"),
        None => PathBuf::from("hardphone-state"),
    }
}

/// The configuration the layers of `store` give; when the kept layers no longer fit the
/// `--config` file (edited since they were kept), the file alone, with one error line.
pub fn effective_config(store: &ConfigStore) -> Config {
    store.effective().unwrap_or_else(|error| {
        error!(%error, "the provisioned or device settings do not fit the configuration file; using the file alone");
        store.file_only().unwrap_or_default()
    })
}

/// Applies a new configuration without a restart (provisioning, the settings menu): only the
/// accounts that changed register again ([`Core::reconfigure`]); their servers are located
/// anew through `pending`. Calls stay up.
pub fn apply_config(core: &mut Core, edge: &mut EdgeState, pending: &mut Vec<(Instant, usize)>, config: &Config) {
    let now = Instant::now();
    let done = core.reconfigure(now, config);
    if done.is_empty() {
        tracing::debug!("configuration applied: nothing changed");
        return;
    }
    let accounts = core.accounts();
    edge.accounts.retain(|index, (label, _)| accounts.iter().any(|a| a.index == *index && a.label == *label));
    pending.retain(|(_, index)| accounts.iter().any(|a| a.index == *index));
    for index in &done.start {
        pending.retain(|(_, i)| i != index);
        pending.push((now, *index));
    }
    let started: Vec<&str> =
        accounts.iter().filter(|a| done.start.contains(&a.index)).map(|a| a.label.as_str()).collect();
    info!(registering = ?started, unregistering = ?done.retired, updated = ?done.updated, "configuration applied");
    if done.needs_restart {
        warn!(listen = %config.sip.listen, "sip.listen changed: the phone listens there after a restart");
    }
}

/// The running phone: the core and its sockets, what the edge keeps around them, the layers of
/// its configuration and the deskphone model with its front end.
pub(crate) struct Phone {
    pub(crate) core: Core,
    pub(crate) transports: Transports,
    dns: Dns,
    pub(crate) edge: EdgeState,
    pub(crate) store: ConfigStore,
    /// Accounts whose server is to be located (again), and when.
    pub(crate) pending: Vec<(Instant, usize)>,
    pub(crate) device: DeviceEdge,
    /// Zero-touch provisioning (docs/PROVISIONING.md).
    pub(crate) provisioning: Provisioning,
    stopping: bool,
    network_check: Instant,
}

/// Runs the phone until SIGINT or SIGTERM (or the front end's quit), then unregisters and
/// returns. `front` is the terminal deskphone's link, `None` when headless;
/// `provisioning_url` is `--provisioning-url` (docs/PROVISIONING.md). `Err` for what stops the
/// phone from starting at all (the message names what failed).
pub async fn run(
    store: ConfigStore,
    state_dir: &Path,
    socket: Option<PathBuf>,
    front: Option<FrontLink>,
    provisioning_url: Option<BaseUrl>,
) -> Result<(), String> {
    let (mut front_inputs, views) = match front {
        Some(FrontLink { inputs, views }) => (Some(inputs), Some(views)),
        None => (None, None),
    };
    let mut phone = Phone::start(store, state_dir, views, provisioning_url).await?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let socket = socket.unwrap_or_else(|| crate::ctl::default_socket(state_dir));
    let mut ctl =
        crate::ctl::serve(&socket).map_err(|e| format!("cannot open the control socket {}: {e}", socket.display()))?;
    let config = effective_config(&phone.store);
    let mut inputs = match config.input.key_map() {
        Ok(map) => Some(crate::input::spawn(&config.input.devices, map)),
        Err(error) => {
            error!(%error, "input devices not read");
            None
        }
    };
    loop {
        phone.start_due_accounts().await;
        phone.check_network();
        if phone.settle().await {
            let _ = std::fs::remove_file(&socket);
            return Ok(());
        }
        phone.provisioning_timeout();
        let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(phone.next_wake()));
        tokio::select! {
            event = phone.transports.next_event() => handle_event(&mut phone.core, event),
            _ = sleep => phone.handle_timeout(),
            Some(call) = ctl.recv() => {
                phone.device.ctl_request(&call.request);
                let answer = execute(&mut phone.core, &mut phone.edge, call.request);
                let _ = call.reply.send(answer);
            }
            Some(fetched) = phone.provisioning.next_fetched(), if !phone.stopping => phone.provisioned(fetched),
            Some((_, action)) = next(&mut inputs) => phone.device.input_action(action),
            Some(input) = next(&mut front_inputs) => phone.front_input(input)?,
            _ = interrupt.recv() => phone.stop()?,
            _ = terminate.recv() => phone.stop()?,
        }
    }
}

/// The next message of an optional channel; never, without one (or once it has closed).
async fn next<T>(receiver: &mut Option<tokio::sync::mpsc::UnboundedReceiver<T>>) -> Option<T> {
    match receiver {
        Some(channel) => match channel.recv().await {
            Some(message) => Some(message),
            None => {
                *receiver = None;
                std::future::pending().await
            }
        },
        None => std::future::pending().await,
    }
}

impl Phone {
    /// Reads the instance id, binds the transports, makes the core and the device.
    async fn start(
        store: ConfigStore,
        state_dir: &Path,
        views: Option<std::sync::mpsc::Sender<FrontView>>,
        provisioning_url: Option<BaseUrl>,
    ) -> Result<Phone, String> {
        let config = effective_config(&store);
        let instance =
            load_or_create_instance(&state_dir.join("instance-id"), &mut OsRng).map_err(|e| e.to_string())?;
        let tls = match &config.sip.tls_ca_file {
            Some(file) => TlsSettings::with_ca_file(file),
            None => TlsSettings::default(),
        };
        let transports = Transports::bind(config.sip.listen, tls)
            .await
            .map_err(|e| format!("cannot start the SIP transports on {}: {e}", config.sip.listen))?;
        info!(listen = %transports.local_addr(), %instance, "phone started");
        let mut core = Core::new(&config, instance, OsRng.next_u64());
        let dns = Dns::from_system().map_err(|e| e.to_string())?;
        let pending: Vec<(Instant, usize)> = core.accounts().iter().map(|a| (Instant::now(), a.index)).collect();
        let mut edge = EdgeState::new(&config.audio).map_err(|e| format!("cannot start the audio engine: {e}"))?;
        let listen_ip = transports.local_addr().ip();
        edge.bind_ip = (!listen_ip.is_unspecified()).then_some(listen_ip);
        edge.listen = transports.local_addr();
        // Direct calls (no account route): our address is the listening one, or the source
        // address of the default route (towards a documentation address, RFC 5737; nothing is
        // sent).
        core.set_fallback_local(local_address_to(SocketAddr::from(([198, 51, 100, 1], 5060)), edge.listen));
        let mut device = DeviceEdge::new(&config, state_dir, views);
        device.update_network(edge.listen);
        let provisioning = Provisioning::new(Instant::now(), &config, provisioning_url, &store, OsRng.next_u64());
        match (&provisioning.status().url, pending.is_empty()) {
            (Some(url), true) => info!(%url, "no accounts yet: waiting for the provisioning server"),
            (None, true) => warn!("no accounts configured: the phone listens but registers nowhere (docs/CONFIG.md)"),
            _ => {}
        }
        let mut phone = Phone {
            core,
            transports,
            dns,
            edge,
            store,
            pending,
            device,
            provisioning,
            stopping: false,
            network_check: Instant::now() + NETWORK_CHECK,
        };
        phone.initial_volumes();
        Ok(phone)
    }

    /// Moves everything the core and the device have to say until both are quiet, then shows
    /// the front end the result; true once the core has stopped.
    async fn settle(&mut self) -> bool {
        loop {
            let mut busy = false;
            while let Some(output) = self.core.poll_output() {
                busy = true;
                self.device.core_output(&output);
                if self.core_output(output).await {
                    return true;
                }
            }
            while let Some(output) = self.device.device.poll_output() {
                busy = true;
                self.device_output(output);
            }
            if !busy {
                break;
            }
        }
        self.device.show();
        false
    }

    /// When the loop must wake at the latest: the core's, the DNS retries', the network
    /// check's and the device's timers.
    fn next_wake(&self) -> Instant {
        let timers = [self.core.poll_timeout(), self.pending.iter().map(|(at, _)| *at).min()];
        let next = timers.into_iter().flatten().fold(self.network_check, Instant::min);
        let next = self.provisioning.poll_timeout().map_or(next, |at| next.min(at));
        next.min(self.device.poll_timeout())
    }

    /// Starts a provisioning fetch when one is due (or a check-sync asked for it) and keeps
    /// its status for `ctl status`.
    fn provisioning_timeout(&mut self) {
        self.provisioning.handle_timeout(Instant::now(), self.edge.check_sync.take());
        self.edge.provisioning = Some(self.provisioning.status().clone());
    }

    /// A provisioning fetch ended: a new good configuration is kept and applied.
    fn provisioned(&mut self, fetched: crate::provision::Fetched) {
        if let Some(config) = self.provisioning.handle_fetched(Instant::now(), fetched, &mut self.store) {
            self.apply(&config);
        }
    }

    /// Applies a new configuration to the core, the device and provisioning, without a restart.
    pub(crate) fn apply(&mut self, config: &Config) {
        apply_config(&mut self.core, &mut self.edge, &mut self.pending, config);
        self.device.device.reconfigure(Instant::now(), config.device_config());
        self.provisioning.config_changed(Instant::now(), config);
    }

    fn handle_timeout(&mut self) {
        self.core.handle_timeout(Instant::now());
        self.device.handle_timeout();
    }

    /// Every [`NETWORK_CHECK`]: our address towards each registrar, and the device's network.
    fn check_network(&mut self) {
        if Instant::now() >= self.network_check {
            check_local_addresses(&mut self.core, self.transports.local_addr());
            self.device.update_network(self.transports.local_addr());
            self.network_check = Instant::now() + NETWORK_CHECK;
        }
    }

    /// A key, the hook or quit from the front end.
    fn front_input(&mut self, input: FrontInput) -> Result<(), String> {
        match input {
            FrontInput::Key(key) => self.device.input(phone::device::Input::Key(key)),
            FrontInput::HookToggle => self.device.toggle_hook(),
            FrontInput::Quit => self.stop()?,
        }
        Ok(())
    }

    /// The first stop unregisters; a second one while unregistering exits at once.
    fn stop(&mut self) -> Result<(), String> {
        if self.stopping {
            return Err("stopped again while unregistering: exiting without waiting".into());
        }
        info!("stopping: unregistering every account");
        self.device.set_note(Some("Unregistering..."));
        self.core.stop(Instant::now());
        self.stopping = true;
        Ok(())
    }

    async fn start_due_accounts(&mut self) {
        start_due_accounts(&mut self.core, &self.dns, &self.transports, &mut self.pending).await;
    }

    /// Sends what the core wants sent and logs its news; true once the core has stopped.
    async fn core_output(&mut self, output: Output) -> bool {
        let (core, edge) = (&mut self.core, &mut self.edge);
        match output {
            Output::Transmit { to, transport, server_name, flow, bytes } => {
                send(core, &mut self.transports, to, transport, server_name, flow, bytes).await;
            }
            Output::AccountState { index, label, state } => {
                info!(account = %label, state = %state, "registration");
                edge.accounts.insert(index, (label, state.to_string()));
            }
            Output::Call(call) => {
                let state = crate::ctl::exec::state_name(&call.state);
                info!(call = %call.id, remote = %call.remote, %state, "call");
                if matches!(call.state, phone::core::CallState::Ended(_)) {
                    edge.media.remove(&call.id);
                }
                // An auto-answer call is answered by the device (DeviceOutput::Answer), but a
                // call replacing one of ours (an attended transfer completing, RFC 3891 §3) is
                // taken at once, even while that call is up.
                let replacing = call.state == phone::core::CallState::Incoming && core.replaces(call.id).is_some();
                if replacing {
                    let answer = crate::ctl::exec::answer(core, edge, call.id);
                    info!(call = %call.id, %answer, "answered: it replaces a call (transfer)");
                }
            }
            Output::Media { call, media } => {
                match &media {
                    Some(m) => {
                        info!(%call, codec = %m.codec.name, remote = ?m.remote_rtp, direction = ?m.direction, "media")
                    }
                    None => info!(%call, "media stopped"),
                }
                edge.media_changed(call, media);
            }
            Output::Dtmf { call, digit } => info!(%call, %digit, "DTMF (SIP INFO)"),
            Output::MessageWaiting { account, waiting, new, old } => {
                info!(account, waiting, new, old, "message waiting")
            }
            Output::TextMessage { account, from, text } => info!(?account, %from, %text, "text message"),
            Output::CheckSync { account } => {
                info!(account, "check-sync: configuration fetch requested");
                crate::provision::provisioning_check_sync(&mut self.edge, account);
            }
            Output::TransferRequest { call, target } => {
                let answer = crate::ctl::exec::dial_for_transfer(core, edge, call, &target);
                info!(%call, %target, %answer, "transfer requested (REFER)");
            }
            Output::Stopped => {
                info!("stopped");
                return true;
            }
        }
        false
    }
}

/// Locates the servers of the accounts whose time has come and starts them; a failed lookup is
/// tried again after [`DNS_RETRY`].
async fn start_due_accounts(core: &mut Core, dns: &Dns, transports: &Transports, pending: &mut Vec<(Instant, usize)>) {
    let now = Instant::now();
    let due: Vec<usize> = pending.iter().filter(|(at, _)| *at <= now).map(|(_, i)| *i).collect();
    pending.retain(|(at, _)| *at > now);
    for index in due {
        let Some(account) = core.accounts().into_iter().find(|a| a.index == index) else { continue };
        let routes = locate_routes(&account, dns, transports.local_addr()).await;
        match routes.primary.first().or(routes.backup.first()) {
            Some(first) => {
                let (server, transport, local) = (first.target.addr, first.target.transport, first.local);
                let (targets, backups) = (routes.primary.len(), routes.backup.len());
                info!(account = %account.label, %server, %transport, %local, targets, backups, "server located");
                if let Err(error) = core.try_start_account_on(Instant::now(), index, routes) {
                    error!(account = %account.label, %error, "cannot start the account");
                }
            }
            None => {
                error!(account = %account.label, server = %account.server, "cannot locate the server; trying again in 30 s");
                pending.push((Instant::now() + DNS_RETRY, index));
            }
        }
    }
}

/// Every place `account` can register (RFC 3263): the targets of its server, or of its
/// outbound proxy when it has one (RFC 3261 §8.1.2), then those of its backup registrar.
async fn locate_routes(account: &AccountInfo, dns: &Dns, listening: SocketAddr) -> Routes {
    let primary_host = account.outbound_proxy.as_deref().unwrap_or(&account.server);
    let backup_host = account.backup_server.as_ref().map(|backup| account.outbound_proxy.as_ref().unwrap_or(backup));
    let primary = locate_one(primary_host, account, dns, listening).await;
    let backup = match backup_host {
        Some(host) => locate_one(host, account, dns, listening).await,
        None => Vec::new(),
    };
    Routes { primary, backup }
}

/// The targets of one `host[:port]`, each with our local address towards it; none when the
/// lookup fails (logged).
async fn locate_one(host: &str, account: &AccountInfo, dns: &Dns, listening: SocketAddr) -> Vec<Located> {
    let prefs = LocatePrefs { transport: Some(account.transport), ..LocatePrefs::default() };
    let located = match Locator::new(host, prefs) {
        Ok(locator) => dns.locate(locator, &mut OsRng).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match located {
        Ok(targets) => targets
            .as_slice()
            .iter()
            .map(|target| Located { target: target.clone(), local: local_address(target, listening) })
            .collect(),
        Err(error) => {
            warn!(account = %account.label, %host, %error, "lookup failed");
            Vec::new()
        }
    }
}

/// Re-checks our local address towards every route of every started account and tells the
/// core about each change.
fn check_local_addresses(core: &mut Core, listening: SocketAddr) {
    for account in core.accounts() {
        let Some((routes, _)) = core.routes(account.index) else { continue };
        for (route, located) in routes.iter().enumerate() {
            // No route at all (cable out) is not a new address: wait for one.
            let Some(local) = routed_local(&located.target, listening) else { continue };
            if local != located.local {
                info!(account = %account.label, old = %located.local, new = %local, "local address changed");
                let _ = core.handle_local_address(Instant::now(), account.index, route, local);
            }
        }
    }
}

/// The address the server sees us at: the listening address, or, when listening on every
/// interface, the local address the system routes to `target` from, with the listening port.
fn local_address(target: &Target, listening: SocketAddr) -> SocketAddr {
    routed_local(target, listening).unwrap_or(listening)
}

/// Our address towards `to` (a direct call's peer), with the SIP listening port.
pub fn local_address_to(to: SocketAddr, listening: SocketAddr) -> SocketAddr {
    let target = Target { addr: to, transport: sip::Transport::Udp, host: to.ip().to_string() };
    local_address(&target, listening)
}

/// [`local_address`], `None` when listening on every interface and no route leads to `target`.
fn routed_local(target: &Target, listening: SocketAddr) -> Option<SocketAddr> {
    if !listening.ip().is_unspecified() {
        return Some(listening);
    }
    let any: IpAddr = if target.addr.is_ipv4() { [0, 0, 0, 0].into() } else { [0u16; 8].into() };
    let routed = UdpSocket::bind((any, 0)).and_then(|s| s.connect(target.addr).and_then(|_| s.local_addr()));
    routed.ok().map(|addr| SocketAddr::new(addr.ip(), listening.port()))
}

async fn send(
    core: &mut Core,
    transports: &mut Transports,
    to: SocketAddr,
    transport: sip::Transport,
    server_name: Option<String>,
    flow: Option<u64>,
    bytes: Bytes,
) {
    let result = match flow {
        Some(number) => transports.send_on(FlowId::from_number(number), bytes).await,
        None => transports.send(Destination { addr: to, transport, server_name }, bytes).await.map(drop),
    };
    if let Err(error) = result {
        let error = error_chain(&error);
        warn!(%to, %transport, %error, "send failed");
        core.handle_send_failure(Instant::now(), to, transport);
    }
}

/// Hands one transport event to the core.
fn handle_event(core: &mut Core, event: TransportEvent) {
    let now = Instant::now();
    match event {
        TransportEvent::Datagram { from, bytes, .. } => match sip::Message::parse(bytes) {
            Ok(message) => core.handle_message(now, sip::Transport::Udp, from, None, message),
            Err(error) => tracing::debug!(%from, %error, "datagram dropped"),
        },
        TransportEvent::Frame { flow, transport, from, frame } => match frame {
            sip::Frame::Message(message) => core.handle_message(now, transport, from, Some(flow.number()), message),
            sip::Frame::Ping => core.handle_ping(now, flow.number()),
            sip::Frame::Pong => core.handle_pong(now, flow.number()),
            sip::Frame::Invalid(error) => tracing::debug!(%from, %error, "invalid frame dropped"),
        },
        TransportEvent::FlowClosed { flow, remote, reason, .. } => {
            info!(%remote, %reason, "connection closed");
            core.handle_flow_closed(now, flow.number());
        }
        _ => {}
    }
}

/// An error with every cause after it (`TLS handshake ... failed: invalid peer certificate:
/// UnknownIssuer`), for one log line that says why.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
