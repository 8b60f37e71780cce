//! The provisioning logic behind the HTTP layer: rate limiting, authentication, which file a
//! phone gets, check-ins and the status. The HTTP layer (`http.rs`) only translates requests
//! into [`Request`]s and [`Reply`]s back.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::Notify;
use tracing::{error, info, warn};

use crate::account::{AccountError, Secret};
use crate::auth::{self, Decision, Identity, Presented, Resource};
use crate::checkin::{is_model_name, CheckIn, CheckIns};
use crate::config::{ServerConfig, SourceConfig};
use crate::error::ProvisionError;
use crate::hash::config_hash;
use crate::inventory::{Inventory, InventoryError, InventoryFormat};
use crate::mac::Mac;
use crate::macmap::{MacMap, MacMapError};
use crate::ratelimit::RateLimiter;
use crate::reload::{LoadError, Reloading};
use crate::status::{Status, StatusRow};
use crate::vicidial::{account_of_row, pick_row, DbError, MappingSettings, VicidialDb, VicidialPhone};

/// What a request asks for, as the router found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `common.toml`.
    Common,
    /// `model/<file>`: the file name as requested (`desk-2.toml`).
    Model(String),
    /// `<file>` at the top: a phone's `<mac>.toml` when it is one.
    PhoneFile(String),
    /// `status`: the HTML page.
    StatusPage,
    /// `status.json`.
    StatusJson,
    /// Anything else.
    Unknown,
    /// A method other than GET and HEAD.
    OtherMethod,
}

/// One request, as the HTTP layer saw it.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// What it asks for.
    pub target: Target,
    /// Where it comes from.
    pub client: SocketAddr,
    /// Its `Authorization` header.
    pub authorization: Option<&'a str>,
    /// MACs of its verified client certificate.
    pub certificate_macs: &'a [Mac],
    /// Its `User-Agent` header.
    pub user_agent: Option<&'a str>,
    /// Its `X-Hardphone-Config-Hash` header.
    pub config_hash: Option<&'a str>,
}

/// The answer, for the HTTP layer to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Further headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            headers: Vec::new(),
            body: format!("{body}\n").into(),
        }
    }

    fn toml(body: Vec<u8>) -> Reply {
        Reply { status: 200, content_type: "application/toml", headers: Vec::new(), body }
    }

    fn challenge(realm: &str) -> Reply {
        let mut reply = Reply::text(401, "authentication required");
        reply.headers.push(("www-authenticate", format!("Basic realm=\"{realm}\"")));
        reply
    }
}

/// The realm of the status pages' challenge.
const ADMIN_REALM: &str = "hardphone status";

/// Where the phones come from, with what is needed to re-read it.
enum Source {
    Inventory(Reloading<Inventory, InventoryError>),
    Vicidial { db: VicidialDb, map: Reloading<MacMap, MacMapError>, mapping: MappingSettings },
}

/// Why a phone's file could not be made.
#[derive(Debug, thiserror::Error)]
enum FileError {
    #[error("VICIdial database: {0}")]
    Database(#[from] DbError),
    #[error("extension {extension} is on several servers ({}): add server_ip to the MAC map", servers.join(", "))]
    Ambiguous { extension: String, servers: Vec<String> },
    #[error("extension {extension}: {source}")]
    Account { extension: String, source: AccountError },
}

/// The server's state: sources, limiter, check-ins.
pub struct Provisioner {
    source: Source,
    common_file: Option<PathBuf>,
    models_dir: Option<PathBuf>,
    open_common: bool,
    admin: Option<(String, Secret)>,
    limiter: Mutex<RateLimiter>,
    check_ins: Mutex<CheckIns>,
    state_file: Option<PathBuf>,
    check_ins_changed: Notify,
}

impl Provisioner {
    /// Loads the sources and the saved check-ins of a configuration.
    pub fn new(config: &ServerConfig, now: Instant) -> Result<Provisioner, ProvisionError> {
        let source = match &config.source {
            SourceConfig::Inventory { path } => Source::Inventory(load_inventory(path, now)?),
            SourceConfig::Vicidial(vicidial) => {
                let map = Reloading::load(&vicidial.mac_map, MacMap::parse, now).map_err(|error| match error {
                    LoadError::Read(source) => ProvisionError::Read { path: vicidial.mac_map.clone(), source },
                    LoadError::Parse(source) => ProvisionError::MacMap { path: vicidial.mac_map.clone(), source },
                })?;
                let db = VicidialDb::new(vicidial.url.expose(), vicidial.cache)?;
                Source::Vicidial { db, map, mapping: vicidial.mapping.clone() }
            }
        };
        let state_file = config.server.state_file.clone();
        let check_ins = match &state_file {
            Some(path) => {
                CheckIns::load(path).map_err(|source| ProvisionError::StateFile { path: path.clone(), source })?
            }
            None => CheckIns::default(),
        };
        let admin = match (&config.auth.admin_user, &config.auth.admin_password) {
            (Some(user), Some(password)) => Some((user.clone(), password.clone())),
            _ => None,
        };
        Ok(Provisioner {
            source,
            common_file: config.server.common_file.clone(),
            models_dir: config.server.models_dir.clone(),
            open_common: config.auth.open_common,
            admin,
            limiter: Mutex::new(RateLimiter::new(config.rate_limit)),
            check_ins: Mutex::new(check_ins),
            state_file,
            check_ins_changed: Notify::new(),
        })
    }

    /// Answers one request. `unix_now` stamps a check-in.
    pub async fn handle(&self, request: Request<'_>, now: Instant, unix_now: u64) -> Reply {
        let ip = request.client.ip();
        if let Err(wait) = lock(&self.limiter).allow(ip, now) {
            let mut reply = Reply::text(429, "too many requests");
            reply.headers.push(("retry-after", wait.as_secs_f64().ceil().max(1.0).to_string()));
            return reply;
        }
        let resource = match &request.target {
            Target::Common => Resource::Shared,
            Target::Model(file) => match file.strip_suffix(".toml").filter(|model| is_model_name(model)) {
                Some(_) => Resource::Shared,
                None => return Reply::text(404, "not found"),
            },
            Target::PhoneFile(file) => match file.strip_suffix(".toml").and_then(Mac::parse_canonical) {
                Some(mac) => Resource::PhoneFile(mac),
                None => return Reply::text(404, "not found"),
            },
            Target::StatusPage | Target::StatusJson => return self.status(&request, now).await,
            Target::Unknown => return Reply::text(404, "not found"),
            Target::OtherMethod => {
                let mut reply = Reply::text(405, "only GET and HEAD");
                reply.headers.push(("allow", "GET, HEAD".to_owned()));
                return reply;
            }
        };
        let identity = self.identify(&request, now);
        if identity == Identity::Failed {
            lock(&self.limiter).failed_auth(ip, now);
            warn!(client = %request.client, target = ?request.target, "authentication failed");
        }
        match auth::decide(resource, identity, self.open_common) {
            Decision::Unauthorized => return Reply::challenge(auth::REALM),
            Decision::Forbidden => {
                warn!(client = %request.client, ?identity, target = ?request.target, "a phone asked for another phone's file");
                return Reply::text(403, "forbidden");
            }
            Decision::Allow => {}
        }
        match resource {
            Resource::Shared => self.shared_file(&request.target).await,
            Resource::PhoneFile(mac) => {
                self.check_in(mac, &request, unix_now);
                self.phone_file_reply(mac, now).await
            }
        }
    }

    /// Who the request is.
    fn identify(&self, request: &Request<'_>, now: Instant) -> Identity {
        let presented = Presented { authorization: request.authorization, certificate_macs: request.certificate_macs };
        match &self.source {
            Source::Inventory(inventory) => {
                let inventory = inventory.current(now);
                auth::identify(presented, |mac| inventory.get(mac).map(|phone| phone.http_password.clone()))
            }
            Source::Vicidial { map, .. } => {
                let map = map.current(now);
                auth::identify(presented, |mac| map.get(mac).map(|entry| entry.http_password.clone()))
            }
        }
    }

    /// `common.toml` or a model's file.
    async fn shared_file(&self, target: &Target) -> Reply {
        let path = match target {
            Target::Common => self.common_file.clone(),
            Target::Model(file) => self.models_dir.as_ref().map(|dir| dir.join(file)),
            _ => None,
        };
        match path {
            Some(path) => match read_optional(&path).await {
                Some(bytes) => Reply::toml(bytes),
                None => Reply::text(404, "not found"),
            },
            None => Reply::text(404, "not found"),
        }
    }

    fn check_in(&self, mac: Mac, request: &Request<'_>, unix_now: u64) {
        let check_in = CheckIn::new(request.client.ip().to_string(), request.user_agent, request.config_hash, unix_now);
        info!(%mac, address = %check_in.address, hash = check_in.hash.as_deref().unwrap_or("-"), "check-in");
        lock(&self.check_ins).record(mac, check_in);
        self.check_ins_changed.notify_one();
    }

    async fn phone_file_reply(&self, mac: Mac, now: Instant) -> Reply {
        match self.phone_file(mac, now).await {
            Ok(Some(text)) => Reply::toml(text.into_bytes()),
            Ok(None) => Reply::text(404, "not found"),
            Err(FileError::Database(problem)) => {
                error!(%mac, %problem, "VICIdial database");
                let mut reply = Reply::text(503, "the phone database does not answer");
                reply.headers.push(("retry-after", "30".to_owned()));
                reply
            }
            Err(problem) => {
                error!(%mac, %problem, "cannot make the phone's file");
                Reply::text(500, "the phone's configuration is invalid; see the server's log")
            }
        }
    }

    /// The `<mac>.toml` the phone gets now; `None` when it gets a 404.
    async fn phone_file(&self, mac: Mac, now: Instant) -> Result<Option<String>, FileError> {
        match &self.source {
            Source::Inventory(inventory) => Ok(inventory.current(now).get(&mac).map(|phone| phone.file.clone())),
            Source::Vicidial { db, map, mapping } => {
                let Some(entry) = map.current(now).get(&mac).cloned() else {
                    return Ok(None);
                };
                let rows = db.phones_of(&entry.extension, now).await?;
                vicidial_file(&entry.extension, entry.server_ip.as_deref(), &rows, mapping)
            }
        }
    }

    /// `/status` and `/status.json`, for the administrator only.
    async fn status(&self, request: &Request<'_>, now: Instant) -> Reply {
        let Some((user, password)) = &self.admin else {
            return Reply::text(404, "not found");
        };
        if !auth::is_admin(request.authorization, user, password) {
            if request.authorization.is_some() {
                lock(&self.limiter).failed_auth(request.client.ip(), now);
                warn!(client = %request.client, "status: authentication failed");
            }
            return Reply::challenge(ADMIN_REALM);
        }
        let status = match self.status_rows(now).await {
            Ok(rows) => Status::new(rows),
            Err(problem) => {
                error!(%problem, "status");
                return Reply::text(503, "the phone database does not answer");
            }
        };
        if request.target == Target::StatusJson {
            Reply { status: 200, content_type: "application/json", headers: Vec::new(), body: status.to_json().into() }
        } else {
            Reply {
                status: 200,
                content_type: "text/html; charset=utf-8",
                headers: Vec::new(),
                body: status.to_html().into(),
            }
        }
    }

    /// Every known phone with the file it would get now (`None`: a 404 or a fault).
    async fn known_phones(&self, now: Instant) -> Result<Vec<(Mac, String, Option<String>)>, DbError> {
        match &self.source {
            Source::Inventory(inventory) => Ok(inventory
                .current(now)
                .phones()
                .map(|phone| (phone.mac, phone.account.user.clone(), Some(phone.file.clone())))
                .collect()),
            Source::Vicidial { db, map, mapping } => {
                let map = map.current(now);
                let extensions: Vec<&str> = map.entries().map(|entry| entry.extension.as_str()).collect();
                let rows = db.phones_of_all(&extensions).await?;
                let mut by_extension: HashMap<&str, Vec<VicidialPhone>> = HashMap::new();
                for row in &rows {
                    by_extension.entry(row.extension.as_str()).or_default().push(row.clone());
                }
                Ok(map
                    .entries()
                    .map(|entry| {
                        let rows = by_extension.get(entry.extension.as_str()).map_or(&[][..], Vec::as_slice);
                        let file = vicidial_file(&entry.extension, entry.server_ip.as_deref(), rows, mapping);
                        (entry.mac, entry.extension.clone(), file.ok().flatten())
                    })
                    .collect())
            }
        }
    }

    async fn status_rows(&self, now: Instant) -> Result<Vec<StatusRow>, DbError> {
        let phones = self.known_phones(now).await?;
        let common = match &self.common_file {
            Some(path) => read_optional(path).await.unwrap_or_default(),
            None => Vec::new(),
        };
        let check_ins = lock(&self.check_ins).clone();
        let mut models: HashMap<String, Vec<u8>> = HashMap::new();
        let mut rows = Vec::with_capacity(phones.len());
        for (mac, extension, file) in phones {
            let check_in = check_ins.get(&mac);
            let model = check_in.and_then(|check_in| check_in.model.clone());
            let model_bytes = match (&model, &self.models_dir) {
                (Some(model), Some(dir)) => {
                    if !models.contains_key(model) {
                        let bytes = read_optional(&dir.join(format!("{model}.toml"))).await.unwrap_or_default();
                        models.insert(model.clone(), bytes);
                    }
                    models[model].clone()
                }
                _ => Vec::new(),
            };
            let latest_hash = config_hash(&common, &model_bytes, file.as_deref().unwrap_or("").as_bytes());
            let hash = check_in.and_then(|check_in| check_in.hash.clone());
            rows.push(StatusRow {
                mac,
                extension,
                last_seen: check_in.map(|check_in| check_in.time),
                address: check_in.map(|check_in| check_in.address.clone()),
                user_agent: check_in.map(|check_in| check_in.user_agent.clone()),
                latest: hash.as_deref() == Some(latest_hash.as_str()),
                hash,
                latest_hash,
                checked_in: check_in.is_some(),
            });
        }
        Ok(rows)
    }

    /// Writes the check-ins to the state file whenever they change (coalescing bursts); runs
    /// until the task is dropped. Without a state file it returns at once.
    pub async fn persist_check_ins(self: Arc<Self>) {
        let Some(path) = self.state_file.clone() else {
            return;
        };
        loop {
            self.check_ins_changed.notified().await;
            let snapshot = lock(&self.check_ins).clone();
            let target = path.clone();
            let written = tokio::task::spawn_blocking(move || snapshot.save(&target)).await;
            match written {
                Ok(Ok(())) => {}
                Ok(Err(problem)) => error!(path = %path.display(), %problem, "cannot save the check-ins"),
                Err(problem) => error!(%problem, "saving the check-ins failed"),
            }
        }
    }
}

/// The file of a VICIdial extension among its rows; `None` when unknown, inactive or not SIP.
fn vicidial_file(
    extension: &str,
    server_ip: Option<&str>,
    rows: &[VicidialPhone],
    mapping: &MappingSettings,
) -> Result<Option<String>, FileError> {
    let row = pick_row(rows, server_ip)
        .map_err(|servers| FileError::Ambiguous { extension: extension.to_owned(), servers })?;
    let Some(account) = row.and_then(|row| account_of_row(row, mapping)) else {
        return Ok(None);
    };
    let text = account.render().map_err(|source| FileError::Account { extension: extension.to_owned(), source })?;
    Ok(Some(text))
}

fn load_inventory(path: &Path, now: Instant) -> Result<Reloading<Inventory, InventoryError>, ProvisionError> {
    let parse: fn(&str) -> Result<Inventory, InventoryError> = match InventoryFormat::of_path(path) {
        Some(InventoryFormat::Csv) => Inventory::parse_csv,
        Some(InventoryFormat::Toml) => Inventory::parse_toml,
        None => {
            let source = crate::config::ConfigFileError::Invalid {
                key: "inventory.path",
                problem: "the file name must end in .csv or .toml",
            };
            return Err(ProvisionError::Config { path: path.to_owned(), source });
        }
    };
    Reloading::load(path, parse, now).map_err(|error| match error {
        LoadError::Read(source) => ProvisionError::Read { path: path.to_owned(), source },
        LoadError::Parse(source) => ProvisionError::Inventory { path: path.to_owned(), source },
    })
}

/// A file's bytes; `None` when it is not there or cannot be read (logged).
async fn read_optional(path: &Path) -> Option<Vec<u8>> {
    match tokio::fs::read(path).await {
        Ok(bytes) => Some(bytes),
        Err(problem) if problem.kind() == std::io::ErrorKind::NotFound => None,
        Err(problem) => {
            error!(path = %path.display(), %problem, "cannot read");
            None
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests;
