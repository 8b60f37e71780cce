//! Zero-touch provisioning at the edge (docs/PROVISIONING.md): the loop asks
//! [`Provisioning::poll_timeout`], calls [`Provisioning::handle_timeout`] (which starts a fetch
//! task when one is due), selects on [`Provisioning::next_fetched`] and hands what came to
//! [`Provisioning::handle_fetched`], which validates it through the configuration store and
//! gives back the new configuration to apply, if any. Every failure keeps the last good
//! configuration, logs one line and shows in `ctl status`.

pub mod fetch;
pub mod host;
pub mod http;

use std::time::{Duration, Instant, SystemTime};

use phone::config::layers::parse_layer;
use phone::config::ProvisioningSettings;
use phone::provisioning::{
    check_provisioned_layer, choose_url, config_hash, layer_files, BaseUrl, ProvisioningSchedule, UrlSource,
};
use phone::{Config, ConfigError};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::config_store::{ConfigStore, ProvisionedPart, StoreError};
use fetch::{fetch_layers, FetchError, FetchRequest};

/// What a fetch task sends back to the loop.
#[derive(Debug)]
pub struct Fetched {
    url: BaseUrl,
    result: Result<[String; 3], FetchError>,
}

/// What `ctl status` shows of the provisioning.
#[derive(Debug, Clone, Default)]
pub struct ProvisioningStatus {
    /// The base URL in use (none: provisioning is off).
    pub url: Option<String>,
    /// Where it came from: `command-line`, `config` or `dhcp`.
    pub source: Option<&'static str>,
    /// The MAC address naming this phone's file.
    pub mac: Option<String>,
    /// When the last fetch worked, in seconds since 1970.
    pub last_success_unix: Option<u64>,
    /// Why the last fetch failed, until one works.
    pub last_error: Option<String>,
    /// When the next fetch starts (none while one runs).
    pub next_try: Option<Instant>,
    /// The hash of the provisioned layers in force (`X-Hardphone-Config-Hash`).
    pub config_hash: String,
}

impl ProvisioningStatus {
    /// The `provisioning` object of `ctl status`.
    pub fn to_json(&self, now: Instant) -> Value {
        json!({
            "url": self.url,
            "source": self.source,
            "mac": self.mac,
            "last_success_unix": self.last_success_unix,
            "last_error": self.last_error,
            "next_try_in_secs": self.next_try.map(|at| at.saturating_duration_since(now).as_secs()),
            "config_hash": self.config_hash,
        })
    }
}

/// Why a fetched set of layers was not applied.
#[derive(Debug, thiserror::Error)]
enum Rejected {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("invalid {file}: {problem}")]
    Layer { file: String, problem: String },
    #[error("the provisioned configuration is invalid: {0}")]
    Merged(String),
}

/// The provisioning of one running phone.
#[derive(Debug)]
pub struct Provisioning {
    command_line: Option<BaseUrl>,
    settings: ProvisioningSettings,
    mac: Option<String>,
    schedule: ProvisioningSchedule,
    sender: mpsc::UnboundedSender<Fetched>,
    receiver: mpsc::UnboundedReceiver<Fetched>,
    status: ProvisioningStatus,
}

impl Provisioning {
    /// Provisioning for `config`, the URL of the command line if any, the phone's layers (for
    /// the hash of the provisioned ones) and a seed for the jitter; the first fetch is due at
    /// `now`.
    pub fn new(
        now: Instant,
        config: &Config,
        command_line: Option<BaseUrl>,
        store: &ConfigStore,
        seed: u64,
    ) -> Provisioning {
        let settings = config.provisioning.clone();
        let schedule = ProvisioningSchedule::new(now, settings.interval(), settings.jitter_percent, seed);
        let (sender, receiver) = mpsc::unbounded_channel();
        let [common, model, mac] = ProvisionedPart::ALL.map(|part| store.provisioned_text(part));
        let status = ProvisioningStatus {
            config_hash: config_hash([common, model, mac]),
            next_try: schedule.poll_timeout(),
            ..ProvisioningStatus::default()
        };
        let mac = settings.mac().or_else(host::discover_mac);
        Provisioning { command_line, settings, mac, schedule, sender, receiver, status }
    }

    /// When [`Self::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.schedule.poll_timeout()
    }

    /// What `ctl status` shows.
    pub fn status(&self) -> &ProvisioningStatus {
        &self.status
    }

    /// Starts a fetch task when one is due (called on every turn of the loop: cheap when none
    /// is). `check_sync`: the account whose registrar sent a NOTIFY `Event: check-sync`, if
    /// one did since the last call ([`Self::check_sync`]). Without a URL (none configured, no
    /// DHCP hint yet) nothing is fetched and the hint file is read again later.
    pub fn handle_timeout(&mut self, now: Instant, check_sync: Option<usize>) {
        if let Some(account) = check_sync {
            self.check_sync(now, account);
        }
        if self.schedule.handle_timeout(now).is_none() {
            return;
        }
        let Some((url, source)) = self.url() else {
            let wait = self.schedule.fetch_failed(now);
            debug!("no provisioning URL; looking again in {} s", wait.as_secs());
            self.status = ProvisioningStatus { config_hash: self.status.config_hash.clone(), ..Default::default() };
            return;
        };
        self.status.url = Some(url.to_string());
        self.status.source = Some(source.name());
        self.status.next_try = None;
        if self.mac.is_none() {
            self.mac = host::discover_mac();
        }
        self.status.mac = self.mac.clone();
        let Some(mac) = self.mac.clone() else {
            self.fail(now, &url, "no MAC address found: set provisioning.mac");
            return;
        };
        let request = FetchRequest::new(url.clone(), &self.settings, &mac, self.status.config_hash.clone());
        debug!(%url, source = source.name(), %mac, "provisioning: fetching");
        let sender = self.sender.clone();
        tokio::spawn(async move {
            let result = fetch_layers(&request).await;
            let _ = sender.send(Fetched { url: request.base, result });
        });
    }

    /// The next fetch result (for the loop's `select!`; pending while none runs).
    pub async fn next_fetched(&mut self) -> Option<Fetched> {
        self.receiver.recv().await
    }

    /// Takes a fetch result: unchanged content changes nothing; new content is checked as a
    /// whole and cached in `store`, and the new configuration is returned for the loop to apply
    /// (`run::apply_config`); any failure keeps the last good configuration (one log line,
    /// `ctl status`).
    pub fn handle_fetched(&mut self, now: Instant, fetched: Fetched, store: &mut ConfigStore) -> Option<Config> {
        let Fetched { url, result } = fetched;
        match self.accept(result, store) {
            Ok(None) => {
                let wait = self.succeeded(now);
                debug!(%url, "provisioning: configuration unchanged; next check in {} s", wait.as_secs());
                None
            }
            Ok(Some((config, hash))) => {
                self.status.config_hash = hash;
                self.config_changed(now, &config);
                let wait = self.succeeded(now);
                info!(%url, hash = %self.status.config_hash, "provisioning: new configuration; next check in {} s", wait.as_secs());
                Some(config)
            }
            Err(rejected) => {
                self.fail(now, &url, &rejected.to_string());
                None
            }
        }
    }

    /// The registrar of `account` says the configuration changed (NOTIFY `Event: check-sync`,
    /// `Output::CheckSync`): fetch now, or 10 s after the last fetch started.
    pub fn check_sync(&mut self, now: Instant, account: usize) {
        info!(account, "provisioning: check-sync from the registrar");
        self.schedule.check_sync(now);
        self.status.next_try = self.schedule.poll_timeout();
    }

    /// A new configuration is in force (from a fetch, or from the settings menu through
    /// `run::apply_config`): its `[provisioning]` table (URL, interval, credentials) is used from
    /// the next fetch on; a shorter interval brings the next fetch forward.
    pub fn config_changed(&mut self, now: Instant, config: &Config) {
        self.settings = config.provisioning.clone();
        if let Some(mac) = self.settings.mac() {
            self.mac = Some(mac);
        }
        self.schedule.set_timing(now, self.settings.interval(), self.settings.jitter_percent);
        self.status.next_try = self.schedule.poll_timeout();
    }

    /// `Ok(None)` for unchanged content; the checked configuration and its hash for new content.
    fn accept(
        &self,
        result: Result<[String; 3], FetchError>,
        store: &mut ConfigStore,
    ) -> Result<Option<(Config, String)>, Rejected> {
        let texts = result?;
        let hash = config_hash([&texts[0], &texts[1], &texts[2]]);
        if hash == self.status.config_hash {
            return Ok(None);
        }
        let files = layer_files(&self.settings.model, self.status.mac.as_deref().unwrap_or_default());
        for (text, file) in texts.iter().zip(files) {
            let layer =
                parse_layer(text).map_err(|e| Rejected::Layer { file: file.clone(), problem: one_line(&e, text) })?;
            check_provisioned_layer(&layer).map_err(|e| Rejected::Layer { file, problem: one_line(&e, text) })?;
        }
        let config = store.set_provisioned(texts).map_err(|error| {
            Rejected::Merged(match &error {
                StoreError::Config(error) => one_line(error, ""),
                other => other.to_string(),
            })
        })?;
        Ok(Some((config, hash)))
    }

    fn succeeded(&mut self, now: Instant) -> Duration {
        let wait = self.schedule.fetch_succeeded(now);
        self.status.last_success_unix =
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).ok().map(|since| since.as_secs());
        self.status.last_error = None;
        self.status.next_try = self.schedule.poll_timeout();
        wait
    }

    fn fail(&mut self, now: Instant, url: &BaseUrl, error: &str) {
        let wait = self.schedule.fetch_failed(now);
        warn!(
            "provisioning failed: {url}: {error}; keeping the last good configuration; next try in {} s",
            wait.as_secs()
        );
        self.status.last_error = Some(error.to_owned());
        self.status.next_try = self.schedule.poll_timeout();
    }

    /// The URL to fetch from now: the command line's, the configuration's, or the DHCP hint's
    /// (read each time: a new lease may bring a new one).
    fn url(&self) -> Option<(BaseUrl, UrlSource)> {
        let config = self.settings.base_url();
        let dhcp = if self.command_line.is_none() && config.is_none() {
            host::read_dhcp_hint(&self.settings.dhcp_url_file).unwrap_or_else(|error| {
                warn!("provisioning: ignoring the DHCP hint: {error}");
                None
            })
        } else {
            None
        };
        choose_url(self.command_line.as_ref(), config.as_ref(), dhcp.as_ref())
            .map(|(url, source)| (url.clone(), source))
    }
}

/// `Output::CheckSync { account }` of the core (a NOTIFY `Event: check-sync` from the
/// account's trusted registrar): `run::drain` calls this, and the loop hands it to
/// [`Provisioning::handle_timeout`] at its next turn, which fetches at once (or 10 s after the
/// last fetch started).
pub fn provisioning_check_sync(edge: &mut crate::ctl::exec::EdgeState, account: usize) {
    edge.check_sync = Some(account);
}

/// A configuration error as one line: a TOML syntax error as `line L, column C: what` (the
/// position in `text`), the rest as they are.
fn one_line(error: &ConfigError, text: &str) -> String {
    let ConfigError::Syntax(syntax) = error else { return error.to_string() };
    let lines = syntax.message().lines().map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "));
    let message = lines.filter(|line| !line.is_empty()).collect::<Vec<_>>().join("; ");
    match syntax.span().filter(|span| span.start <= text.len() && text.is_char_boundary(span.start)) {
        Some(span) => {
            let before = &text[..span.start];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |at| at + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// An error with every cause after it, for one log line that says why.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
