//! The server's own configuration file (`--config`), documented in docs/PROVISION-SERVER.md.
//! Relative paths in it are relative to the file's directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::account::Secret;
use crate::inventory::toml_error_line;
use crate::ratelimit::RateLimitSettings;
use crate::vicidial::{MappingSettings, MAX_CACHE};

/// The whole configuration file.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `[server]`.
    pub server: ServerSection,
    /// `[auth]`.
    pub auth: AuthSection,
    /// `[rate_limit]`.
    pub rate_limit: RateLimitSettings,
    /// Where the phones come from: `[inventory]` or `[vicidial]`.
    pub source: SourceConfig,
}

/// `[server]`: listeners, TLS, files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// HTTPS listeners (`"0.0.0.0:8443"`; port 0 picks a free port).
    #[serde(default)]
    pub https: Vec<SocketAddr>,
    /// Plain HTTP listeners; refused unless `allow_http`.
    #[serde(default)]
    pub http: Vec<SocketAddr>,
    /// Allow the `http` listeners: phones' passwords then cross the network in the clear.
    #[serde(default)]
    pub allow_http: bool,
    /// The server's certificate chain (PEM); needed for `https`.
    pub tls_cert: Option<PathBuf>,
    /// Its private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// CA certificates (PEM) phones' client certificates are checked against; none: no client
    /// certificates, HTTP Basic only.
    pub client_ca: Option<PathBuf>,
    /// The path the files are under (`/` or `/prov/`).
    #[serde(default = "root")]
    pub path_prefix: String,
    /// `common.toml`, served to every phone (none: 404, an empty layer).
    pub common_file: Option<PathBuf>,
    /// A directory of `<model>.toml` files (none: every model gets 404, an empty layer).
    pub models_dir: Option<PathBuf>,
    /// A JSON file keeping the check-ins across restarts (none: in memory only).
    pub state_file: Option<PathBuf>,
}

fn root() -> String {
    "/".to_owned()
}

/// `[auth]`: who may fetch what.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    /// Serve `common.toml` and model files without credentials.
    #[serde(default)]
    pub open_common: bool,
    /// The administrator's user for `/status` and `/status.json` (none: no status pages).
    pub admin_user: Option<String>,
    /// The administrator's password.
    #[serde(default)]
    pub admin_password: Option<Secret>,
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

/// Where phones and their accounts come from.
#[derive(Debug, Clone)]
pub enum SourceConfig {
    /// `[inventory] path = "phones.csv"` (or `.toml`).
    Inventory {
        /// The inventory file.
        path: PathBuf,
    },
    /// `[vicidial]`.
    Vicidial(VicidialConfig),
}

/// `[vicidial]`: VICIdial's database and the MAC map.
#[derive(Debug, Clone)]
pub struct VicidialConfig {
    /// `url`: `mysql://user:password@host[:port]/asterisk` (a read-only user).
    pub url: Secret,
    /// `mac_map`: the CSV mapping MACs to extensions.
    pub mac_map: PathBuf,
    /// How rows become accounts.
    pub mapping: MappingSettings,
    /// `cache_secs`: how long rows are reused (0 to 5).
    pub cache: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLayout {
    server: ServerSection,
    #[serde(default)]
    auth: AuthSection,
    #[serde(default)]
    rate_limit: RateLimitSettings,
    inventory: Option<InventorySection>,
    vicidial: Option<VicidialSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InventorySection {
    path: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VicidialSection {
    url: Secret,
    mac_map: PathBuf,
    #[serde(default = "udp")]
    transport: String,
    server_port: Option<u16>,
    #[serde(default = "yes")]
    agent_mode: bool,
    #[serde(default = "five")]
    cache_secs: f64,
}

fn udp() -> String {
    "udp".to_owned()
}

fn yes() -> bool {
    true
}

fn five() -> f64 {
    5.0
}

/// A configuration file that cannot be used.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// It cannot be read.
    #[error("cannot read: {0}")]
    Read(#[from] std::io::Error),
    /// Not TOML, a wrong type or an unknown key. Only the line and the message are shown,
    /// never the line's text (it may hold a password).
    #[error("line {line}: {}", .error.message())]
    Syntax {
        /// 1-based line number (0 when unknown).
        line: u64,
        /// The parser's error.
        error: Box<toml::de::Error>,
    },
    /// A key whose value cannot be used.
    #[error("{key}: {problem}")]
    Invalid {
        /// The key, as `server.https`.
        key: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
}

fn invalid(key: &'static str, problem: &'static str) -> ConfigFileError {
    ConfigFileError::Invalid { key, problem }
}

impl ServerConfig {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<ServerConfig, ConfigFileError> {
        let text = std::fs::read_to_string(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        ServerConfig::from_toml(&text, base)
    }

    /// Reads and checks a configuration's text; relative paths are taken from `base`.
    pub fn from_toml(text: &str, base: &Path) -> Result<ServerConfig, ConfigFileError> {
        let layout: FileLayout = toml::from_str(text)
            .map_err(|error| ConfigFileError::Syntax { line: toml_error_line(text, &error), error: Box::new(error) })?;
        let mut server = layout.server;
        check_server(&server)?;
        check_rate_limit(&layout.rate_limit)?;
        let auth = layout.auth;
        if auth.admin_user.is_some() != auth.admin_password.as_ref().is_some_and(|password| !password.is_empty()) {
            return Err(invalid("auth.admin_password", "admin_user and a non-empty admin_password go together"));
        }
        let source = match (layout.inventory, layout.vicidial) {
            (Some(inventory), None) => SourceConfig::Inventory { path: base.join(inventory.path) },
            (None, Some(vicidial)) => SourceConfig::Vicidial(vicidial_config(vicidial, base)?),
            _ => return Err(invalid("inventory", "exactly one of [inventory] and [vicidial] is needed")),
        };
        for path in [
            &mut server.tls_cert,
            &mut server.tls_key,
            &mut server.client_ca,
            &mut server.common_file,
            &mut server.models_dir,
            &mut server.state_file,
        ]
        .into_iter()
        .flatten()
        {
            *path = base.join(&*path);
        }
        Ok(ServerConfig { server, auth, rate_limit: layout.rate_limit, source })
    }
}

fn check_server(server: &ServerSection) -> Result<(), ConfigFileError> {
    if server.https.is_empty() && server.http.is_empty() {
        return Err(invalid("server.https", "no listener: give https (or http with allow_http)"));
    }
    if !server.http.is_empty() && !server.allow_http {
        return Err(invalid("server.http", "plain HTTP needs allow_http = true"));
    }
    if !server.https.is_empty() && (server.tls_cert.is_none() || server.tls_key.is_none()) {
        return Err(invalid("server.tls_cert", "https needs tls_cert and tls_key"));
    }
    let prefix = &server.path_prefix;
    if !prefix.starts_with('/') || !prefix.ends_with('/') || prefix.contains("//") {
        return Err(invalid("server.path_prefix", "must start and end with / (\"/\" or \"/prov/\")"));
    }
    Ok(())
}

fn check_rate_limit(settings: &RateLimitSettings) -> Result<(), ConfigFileError> {
    let positive = |value: f64| value.is_finite() && value > 0.0;
    if !positive(settings.per_second) {
        return Err(invalid("rate_limit.per_second", "must be more than 0"));
    }
    if !positive(settings.burst) || settings.burst < 1.0 {
        return Err(invalid("rate_limit.burst", "must be at least 1"));
    }
    if !settings.failed_auth_cost.is_finite() || settings.failed_auth_cost < 0.0 {
        return Err(invalid("rate_limit.failed_auth_cost", "must be 0 or more"));
    }
    Ok(())
}

fn vicidial_config(section: VicidialSection, base: &Path) -> Result<VicidialConfig, ConfigFileError> {
    let transport = section.transport.to_ascii_lowercase();
    if !["udp", "tcp", "tls"].contains(&transport.as_str()) {
        return Err(invalid("vicidial.transport", "must be udp, tcp or tls"));
    }
    if !(0.0..=MAX_CACHE.as_secs_f64()).contains(&section.cache_secs) {
        return Err(invalid("vicidial.cache_secs", "must be from 0 to 5"));
    }
    if mysql_async::Opts::from_url(section.url.expose()).is_err() {
        // The URL holds the password: the error must not repeat it.
        return Err(invalid("vicidial.url", "not mysql://user:password@host[:port]/database"));
    }
    Ok(VicidialConfig {
        url: section.url,
        mac_map: base.join(section.mac_map),
        mapping: MappingSettings { transport, server_port: section.server_port, agent_mode: section.agent_mode },
        cache: Duration::from_secs_f64(section.cache_secs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVENTORY: &str = r#"
[server]
https = ["127.0.0.1:8443"]
tls_cert = "cert.pem"
tls_key = "/etc/key.pem"
common_file = "common.toml"

[auth]
admin_user = "admin"
admin_password = "pw"

[inventory]
path = "phones.csv"
"#;

    #[test]
    fn an_inventory_server() {
        let config = ServerConfig::from_toml(INVENTORY, Path::new("/srv/prov")).unwrap();
        assert_eq!(config.server.tls_cert.as_deref(), Some(Path::new("/srv/prov/cert.pem")));
        assert_eq!(config.server.tls_key.as_deref(), Some(Path::new("/etc/key.pem")));
        assert_eq!(config.server.path_prefix, "/");
        assert_eq!(config.rate_limit, RateLimitSettings::default());
        assert!(
            matches!(&config.source, SourceConfig::Inventory { path } if path == Path::new("/srv/prov/phones.csv"))
        );
    }

    #[test]
    fn a_vicidial_server() {
        let text = r#"
[server]
http = ["127.0.0.1:8080"]
allow_http = true
[vicidial]
url = "mysql://provision:pw@127.0.0.1:3306/asterisk"
mac_map = "macs.csv"
agent_mode = false
cache_secs = 0
"#;
        let config = ServerConfig::from_toml(text, Path::new("/srv")).unwrap();
        let SourceConfig::Vicidial(vicidial) = &config.source else { panic!("not vicidial") };
        assert_eq!(vicidial.mac_map, Path::new("/srv/macs.csv"));
        assert_eq!(vicidial.mapping, MappingSettings { transport: "udp".into(), server_port: None, agent_mode: false });
        assert_eq!(vicidial.cache, Duration::ZERO);
        assert!(!format!("{config:?}").contains("provision:pw"), "the URL holds a password: not in Debug");
    }

    #[test]
    fn refusals() {
        let error = |text: &str| ServerConfig::from_toml(text, Path::new("/")).unwrap_err().to_string();
        let http = INVENTORY.replace("https = [\"127.0.0.1:8443\"]", "http = [\"127.0.0.1:80\"]");
        assert_eq!(error(&http), "server.http: plain HTTP needs allow_http = true");
        let no_key = INVENTORY.replace("tls_key = \"/etc/key.pem\"", "");
        assert_eq!(error(&no_key), "server.tls_cert: https needs tls_cert and tls_key");
        let no_admin_password = INVENTORY.replace("admin_password = \"pw\"", "");
        assert!(error(&no_admin_password).starts_with("auth.admin_password"));
        let both = format!("{INVENTORY}\n[vicidial]\nurl = \"mysql://a@b/c\"\nmac_map = \"m.csv\"\n");
        assert!(error(&both).starts_with("inventory: exactly one"));
        let typo = INVENTORY.replace("common_file", "comon_file");
        assert!(error(&typo).contains("unknown field `comon_file`"));
        let bad_rate = format!("{INVENTORY}\n[rate_limit]\nper_second = 0\n");
        assert_eq!(error(&bad_rate), "rate_limit.per_second: must be more than 0");
        let prefix = INVENTORY.replace("[auth]", "path_prefix = \"prov\"\n[auth]");
        assert!(error(&prefix).starts_with("server.path_prefix"));
        let bad_url = "[server]\nhttp=[\"127.0.0.1:1\"]\nallow_http=true\n[vicidial]\nurl=\"postgres://u:secretpw@h/d\"\nmac_map=\"m\"\n";
        let message = error(bad_url);
        assert!(message.starts_with("vicidial.url") && !message.contains("secretpw"), "{message}");
    }
}
