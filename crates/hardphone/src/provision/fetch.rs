//! Fetching the three provisioned layers: `common.toml` and `model/<model>.toml` (404 = an empty
//! layer) and `<mac>.toml` (404 = this phone is not in the inventory: an error), each with the
//! phone's User-Agent, the hash of the configuration it runs and, when configured, HTTP Basic
//! credentials and a client certificate. Redirects are not followed (reported as errors): the
//! credentials go to the configured server only.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use phone::config::ProvisioningSettings;
use phone::provisioning::{layer_files, BaseUrl, Scheme, CONFIG_HASH_HEADER};
use rustls::ClientConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::http::{basic_authorization, exchange, request as http_request, Response, REQUEST_TIMEOUT};
use crate::transport::{root_store, TlsSettings};

/// Why a fetch failed; the text is the middle of the one log line
/// (`provisioning failed: <url>: <this>; keeping ...`).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// A TLS setting that cannot be used (a CA file or client certificate that cannot be read).
    #[error("{0}")]
    TlsSetup(String),
    /// No TCP connection.
    #[error("cannot connect to {authority}: {source}")]
    Connect {
        /// `host:port`.
        authority: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The TLS handshake failed (an unknown CA, a name mismatch, a refused client certificate).
    #[error("TLS handshake with {authority} failed: {source}")]
    Handshake {
        /// `host:port`.
        authority: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing failed, or the response was not HTTP.
    #[error("{file}: {source}")]
    Exchange {
        /// The file asked for.
        file: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// No answer in time.
    #[error("{file}: no answer within {} s", REQUEST_TIMEOUT.as_secs())]
    Timeout {
        /// The file asked for.
        file: String,
    },
    /// A status other than 200 (and other than 404 for the model file).
    #[error("{status} {reason} for {file}")]
    Status {
        /// The status code.
        status: u16,
        /// The reason phrase.
        reason: String,
        /// The file asked for.
        file: String,
    },
    /// A redirect, not followed.
    #[error("{status} redirect to {location} for {file} (redirects are not followed: set provisioning.url to the final URL)")]
    Redirect {
        /// The status code.
        status: u16,
        /// Where to.
        location: String,
        /// The file asked for.
        file: String,
    },
    /// A body that is not UTF-8 text.
    #[error("{file} is not UTF-8 text")]
    NotText {
        /// The file.
        file: String,
    },
}

/// What one fetch needs to know, copied for the task (`Debug` hides the credentials).
#[derive(Clone)]
pub struct FetchRequest {
    /// Where the files are.
    pub base: BaseUrl,
    /// The phone's User-Agent.
    pub user_agent: String,
    /// The hash of the configuration the phone runs.
    pub config_hash: String,
    /// The model: the middle layer's name.
    pub model: String,
    /// The MAC address: the last layer's name.
    pub mac: String,
    /// The `Authorization` header field value, if any.
    pub authorization: Option<String>,
    /// A PEM file of extra trusted CAs.
    pub ca_file: Option<PathBuf>,
    /// The client certificate (PEM) and its key (PEM).
    pub client_identity: Option<(PathBuf, PathBuf)>,
}

impl std::fmt::Debug for FetchRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchRequest")
            .field("base", &self.base.to_string())
            .field("user_agent", &self.user_agent)
            .field("config_hash", &self.config_hash)
            .field("authorization", &self.authorization.as_ref().map(|_| "********"))
            .field("ca_file", &self.ca_file)
            .field("client_identity", &self.client_identity)
            .finish_non_exhaustive()
    }
}

impl FetchRequest {
    /// The request for `base` under `settings`, as the phone `mac` running `config_hash`.
    pub fn new(base: BaseUrl, settings: &ProvisioningSettings, mac: &str, config_hash: String) -> FetchRequest {
        let version = env!("CARGO_PKG_VERSION");
        let authorization = settings
            .password
            .as_ref()
            .map(|password| basic_authorization(settings.username.as_deref().unwrap_or(mac), password.expose()));
        FetchRequest {
            base,
            user_agent: phone::provisioning::user_agent(version, &settings.model, mac),
            config_hash,
            model: settings.model.clone(),
            mac: mac.to_owned(),
            authorization,
            ca_file: settings.ca_file.clone(),
            client_identity: settings.client_cert.clone().zip(settings.client_key.clone()),
        }
    }
}

/// The texts of the three layers (common, model, MAC); an absent model file is `""`.
pub async fn fetch_layers(request: &FetchRequest) -> Result<[String; 3], FetchError> {
    let tls = match request.base.scheme {
        Scheme::Https => Some(tls_connector(request)?),
        Scheme::Http => None,
    };
    let [common, model, mac] = layer_files(&request.model, &request.mac);
    let common = get(request, tls.as_ref(), &common, true).await?;
    let model = get(request, tls.as_ref(), &model, true).await?;
    let mac = get(request, tls.as_ref(), &mac, false).await?;
    Ok([common, model, mac])
}

/// One file's text; with `optional`, a 404 is an empty text.
async fn get(
    request: &FetchRequest,
    tls: Option<&TlsConnector>,
    file: &str,
    optional: bool,
) -> Result<String, FetchError> {
    let response = tokio::time::timeout(REQUEST_TIMEOUT, get_once(request, tls, file))
        .await
        .map_err(|_| FetchError::Timeout { file: file.to_owned() })??;
    match response.status {
        200 => String::from_utf8(response.body).map_err(|_| FetchError::NotText { file: file.to_owned() }),
        404 if optional => Ok(String::new()),
        status @ (301 | 302 | 303 | 307 | 308) => {
            Err(FetchError::Redirect { status, location: response.location.unwrap_or_default(), file: file.to_owned() })
        }
        status => Err(FetchError::Status { status, reason: response.reason, file: file.to_owned() }),
    }
}

async fn get_once(request: &FetchRequest, tls: Option<&TlsConnector>, file: &str) -> Result<Response, FetchError> {
    let base = &request.base;
    let authority = base.authority();
    let mut headers =
        vec![("User-Agent", request.user_agent.as_str()), (CONFIG_HASH_HEADER, request.config_hash.as_str())];
    if let Some(authorization) = &request.authorization {
        headers.push(("Authorization", authorization));
    }
    let bytes = http_request(&base.target(file), &authority, &headers);
    let tcp = TcpStream::connect((base.host.as_str(), base.port))
        .await
        .map_err(|source| FetchError::Connect { authority: format!("{}:{}", base.host, base.port), source })?;
    let exchange_error = |source| FetchError::Exchange { file: file.to_owned(), source };
    match tls {
        None => {
            let mut tcp = tcp;
            exchange(&mut tcp, &bytes).await.map_err(exchange_error)
        }
        Some(connector) => {
            let name = server_name(&base.host)?;
            let mut stream = connector
                .connect(name, tcp)
                .await
                .map_err(|source| FetchError::Handshake { authority: authority.clone(), source })?;
            exchange(&mut stream, &bytes).await.map_err(exchange_error)
        }
    }
}

/// The name the certificate is checked against: the host, or its address.
fn server_name(host: &str) -> Result<ServerName<'static>, FetchError> {
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => Ok(ServerName::from(ip)),
        Err(_) => ServerName::try_from(host.to_owned()).map_err(|e| FetchError::TlsSetup(format!("{host}: {e}"))),
    }
}

/// rustls (ring) trusting the system roots and `ca_file`, presenting the client certificate
/// when one is configured.
fn tls_connector(request: &FetchRequest) -> Result<TlsConnector, FetchError> {
    let settings = TlsSettings { system_roots: true, ca_file: request.ca_file.clone() };
    let roots = root_store(&settings).map_err(|e| FetchError::TlsSetup(super::error_chain(&e)))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| FetchError::TlsSetup(e.to_string()))?
        .with_root_certificates(roots);
    let config = match &request.client_identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let (chain, key) = client_identity(cert, key)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| FetchError::TlsSetup(format!("{}: {e}", cert.display())))?
        }
    };
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The certificate chain and private key of PEM files.
fn client_identity(
    cert: &Path,
    key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), FetchError> {
    let setup = |path: &Path, e: &dyn std::fmt::Display| FetchError::TlsSetup(format!("{}: {e}", path.display()));
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| setup(cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| setup(cert, &e))?;
    if chain.is_empty() {
        return Err(setup(cert, &"no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| setup(key, &e))?;
    Ok((chain, key))
}
