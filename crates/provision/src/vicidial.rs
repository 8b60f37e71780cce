//! The VICIdial source: phones from the `phones` table of VICIdial's MySQL/MariaDB database,
//! read-only, re-read per request (with a short cache) so that an edit in VICIdial's admin
//! pages reaches the phone at its next fetch.
//!
//! The mapping of a row to an account is a pure function ([`account_of_row`]); the database
//! access ([`VicidialDb`]) is `mysql_async`, every connection made read-only with
//! `SET SESSION TRANSACTION READ ONLY` (besides the read-only grant the operator should give).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use serde::Deserialize;

use crate::account::{PhoneAccount, Secret};

/// One row of VICIdial's `phones` table: the columns this server reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VicidialPhone {
    /// `extension`: the SIP user.
    pub extension: String,
    /// `conf_secret`: the SIP password (`pass` is only the agent screen's phone login).
    pub conf_secret: Option<String>,
    /// `server_ip`: the Asterisk server the phone registers to.
    pub server_ip: Option<String>,
    /// `protocol`: `SIP`, `PJSIP`, `IAX2`, `Zap`, `EXTERNAL`.
    pub protocol: Option<String>,
    /// `fullname`: the phone's user.
    pub fullname: Option<String>,
    /// `voicemail_id`: the voicemail box.
    pub voicemail_id: Option<String>,
    /// `active`: `Y` or `N`.
    pub active: Option<String>,
}

/// The columns read, in the order of [`VicidialPhone`]'s fields.
const COLUMNS: &str = "extension, conf_secret, server_ip, protocol, fullname, voicemail_id, active";

/// How VICIdial rows become accounts (part of `[vicidial]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingSettings {
    /// `transport` of every account (`udp`, `tcp`, `tls`).
    #[serde(default = "udp")]
    pub transport: String,
    /// A port added to `server_ip` (none: the phone's default, 5060 for an address).
    #[serde(default)]
    pub server_port: Option<u16>,
    /// The floor is a VICIdial agent floor: accounts get `auto_answer = "vicidial"`.
    #[serde(default = "yes")]
    pub agent_mode: bool,
}

fn udp() -> String {
    "udp".to_owned()
}

fn yes() -> bool {
    true
}

impl Default for MappingSettings {
    fn default() -> Self {
        MappingSettings { transport: udp(), server_port: None, agent_mode: true }
    }
}

/// Whether a row is served: active and SIP or PJSIP.
pub fn is_served(row: &VicidialPhone) -> bool {
    let active = row.active.as_deref().is_some_and(|active| active.eq_ignore_ascii_case("Y"));
    let sip = row.protocol.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("SIP") || p.eq_ignore_ascii_case("PJSIP"));
    active && sip
}

/// The account of a row, or `None` when the row is not served (inactive, or IAX2, Zap,
/// EXTERNAL). `outbound_cid` and `codecs_list` are not mapped.
pub fn account_of_row(row: &VicidialPhone, settings: &MappingSettings) -> Option<PhoneAccount> {
    if !is_served(row) {
        return None;
    }
    let non_empty = |value: &Option<String>| value.clone().filter(|value| !value.trim().is_empty());
    let server_ip = row.server_ip.clone().unwrap_or_default();
    let server = match settings.server_port {
        Some(port) if server_ip.contains(':') && !server_ip.starts_with('[') => format!("[{server_ip}]:{port}"),
        Some(port) => format!("{server_ip}:{port}"),
        None => server_ip,
    };
    Some(PhoneAccount {
        label: row.extension.clone(),
        server,
        transport: Some(settings.transport.to_ascii_lowercase()),
        user: row.extension.clone(),
        auth_user: None,
        password: Secret::new(row.conf_secret.clone().unwrap_or_default()),
        display_name: non_empty(&row.fullname),
        voicemail: non_empty(&row.voicemail_id),
        auto_answer: settings.agent_mode.then(|| "vicidial".to_owned()),
        options: toml::Table::new(),
    })
}

/// Picks the row of a MAC map entry among an extension's rows: the one on `server_ip` when
/// given, else the only served one (else the only one). `Err` lists the servers when several
/// served rows fit.
pub fn pick_row<'a>(
    rows: &'a [VicidialPhone],
    server_ip: Option<&str>,
) -> Result<Option<&'a VicidialPhone>, Vec<String>> {
    let fitting: Vec<&VicidialPhone> = match server_ip {
        Some(ip) => rows.iter().filter(|row| row.server_ip.as_deref() == Some(ip)).collect(),
        None => rows.iter().collect(),
    };
    if fitting.len() <= 1 {
        return Ok(fitting.first().copied());
    }
    let served: Vec<&VicidialPhone> = fitting.iter().copied().filter(|row| is_served(row)).collect();
    match served.as_slice() {
        [] => Ok(fitting.first().copied()),
        [one] => Ok(Some(one)),
        many => Err(many.iter().map(|row| row.server_ip.clone().unwrap_or_default()).collect()),
    }
}

/// The database could not answer.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL is not `mysql://user:password@host[:port]/database`.
    #[error("database URL: {0}")]
    Url(#[from] mysql_async::UrlError),
    /// Connecting or querying failed.
    #[error("{0}")]
    Query(#[from] mysql_async::Error),
    /// No answer in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// How long a query may take before the phone gets a 503.
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest a cached row is used.
pub const MAX_CACHE: Duration = Duration::from_secs(5);

type CacheKey = String;

/// VICIdial's database, read-only, with a short per-extension cache.
pub struct VicidialDb {
    pool: mysql_async::Pool,
    cache_for: Duration,
    cache: Mutex<HashMap<CacheKey, (Instant, Vec<VicidialPhone>)>>,
}

impl VicidialDb {
    /// A pool for the database at `url` (connections are made when first needed). Rows are
    /// cached for `cache_for`, at most [`MAX_CACHE`].
    pub fn new(url: &str, cache_for: Duration) -> Result<VicidialDb, DbError> {
        let opts = mysql_async::Opts::from_url(url)?;
        let constraints = mysql_async::PoolConstraints::new(0, 4).unwrap_or_default();
        let opts = mysql_async::OptsBuilder::from_opts(opts)
            .setup(vec!["SET SESSION TRANSACTION READ ONLY"])
            .pool_opts(mysql_async::PoolOpts::default().with_constraints(constraints));
        let pool = mysql_async::Pool::new(opts);
        Ok(VicidialDb { pool, cache_for: cache_for.min(MAX_CACHE), cache: Mutex::new(HashMap::new()) })
    }

    /// The rows of one extension (one per Asterisk server it is on).
    pub async fn phones_of(&self, extension: &str, now: Instant) -> Result<Vec<VicidialPhone>, DbError> {
        if let Some(rows) = self.cached(extension, now) {
            return Ok(rows);
        }
        let query = format!("SELECT {COLUMNS} FROM phones WHERE extension = ?");
        let rows = self.query(&query, vec![extension.into()]).await?;
        let mut cache = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.retain(|_, (at, _)| now.saturating_duration_since(*at) < self.cache_for);
        cache.insert(extension.to_owned(), (now, rows.clone()));
        Ok(rows)
    }

    /// The rows of several extensions at once (the status page).
    pub async fn phones_of_all(&self, extensions: &[&str]) -> Result<Vec<VicidialPhone>, DbError> {
        if extensions.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; extensions.len()].join(",");
        let query = format!("SELECT {COLUMNS} FROM phones WHERE extension IN ({marks})");
        self.query(&query, extensions.iter().map(|&extension| extension.into()).collect()).await
    }

    /// Whether this server's sessions are read-only (`SET SESSION TRANSACTION READ ONLY` took):
    /// asks `@@session.transaction_read_only` (MySQL 8, MariaDB 11.1) or `@@session.tx_read_only`.
    pub async fn session_read_only(&self) -> Result<bool, DbError> {
        let run = async {
            let mut conn = self.pool.get_conn().await?;
            let value: Option<i64> = match conn.query_first("SELECT @@session.transaction_read_only").await {
                Ok(value) => value,
                Err(mysql_async::Error::Server(_)) => conn.query_first("SELECT @@session.tx_read_only").await?,
                Err(other) => return Err(other),
            };
            Ok(value == Some(1))
        };
        tokio::time::timeout(QUERY_TIMEOUT, run)
            .await
            .map_err(|_| DbError::Timeout(QUERY_TIMEOUT))?
            .map_err(DbError::from)
    }

    fn cached(&self, extension: &str, now: Instant) -> Option<Vec<VicidialPhone>> {
        let cache = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (at, rows) = cache.get(extension)?;
        (now.saturating_duration_since(*at) < self.cache_for).then(|| rows.clone())
    }

    async fn query(&self, query: &str, params: Vec<mysql_async::Value>) -> Result<Vec<VicidialPhone>, DbError> {
        let run = async {
            let mut conn = self.pool.get_conn().await?;
            type Row = (
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
            );
            let rows: Vec<Row> = conn.exec(query, params).await?;
            Ok::<_, mysql_async::Error>(rows)
        };
        let rows = tokio::time::timeout(QUERY_TIMEOUT, run).await.map_err(|_| DbError::Timeout(QUERY_TIMEOUT))??;
        let phones = rows
            .into_iter()
            .map(|(extension, conf_secret, server_ip, protocol, fullname, voicemail_id, active)| VicidialPhone {
                extension: extension.unwrap_or_default(),
                conf_secret,
                server_ip,
                protocol,
                fullname,
                voicemail_id,
                active,
            })
            .collect();
        Ok(phones)
    }
}

#[cfg(test)]
mod tests;
