//! The TLS client configuration: rustls with the `ring` provider, the system roots and an
//! optional extra CA file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio_rustls::TlsConnector;
use tracing::{debug, warn};

use super::TransportError;

/// Which certificate authorities TLS servers are checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// Trust the operating system's roots (rustls-native-certs). A machine with none (a bare
    /// container) is tolerated with a warning: only `ca_file` is trusted then.
    pub system_roots: bool,
    /// A PEM file of extra trusted CA certificates (the provider's private CA).
    pub ca_file: Option<PathBuf>,
}

impl Default for TlsSettings {
    /// The system roots, no extra CA.
    fn default() -> Self {
        TlsSettings { system_roots: true, ca_file: None }
    }
}

impl TlsSettings {
    /// The system roots plus the CAs of `path`.
    pub fn with_ca_file(path: impl Into<PathBuf>) -> Self {
        TlsSettings { system_roots: true, ca_file: Some(path.into()) }
    }
}

/// Builds the connector every TLS flow uses.
pub(super) fn connector(settings: &TlsSettings) -> Result<TlsConnector, TransportError> {
    let roots = root_store(settings)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TransportError::TlsConfig)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The certificate authorities of `settings`: the system's roots and those of the CA file (also
/// the provisioning client's).
pub fn root_store(settings: &TlsSettings) -> Result<RootCertStore, TransportError> {
    let mut roots = RootCertStore::empty();
    if settings.system_roots {
        let found = rustls_native_certs::load_native_certs();
        for error in &found.errors {
            warn!(%error, "could not load some system root certificates");
        }
        let (added, ignored) = roots.add_parsable_certificates(found.certs);
        debug!(added, ignored, "system root certificates loaded");
        if added == 0 {
            warn!("no system root certificates: TLS servers are checked against the configured CA only");
        }
    }
    if let Some(path) = &settings.ca_file {
        let added = add_ca_file(&mut roots, path)?;
        debug!(path = %path.display(), added, "CA file loaded");
    }
    Ok(roots)
}

/// Adds every certificate of a PEM file; returns how many.
fn add_ca_file(roots: &mut RootCertStore, path: &Path) -> Result<usize, TransportError> {
    let pem = std::fs::read(path).map_err(|source| TransportError::CaFileRead { path: path.to_owned(), source })?;
    let mut added = 0;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|source| TransportError::CaFilePem { path: path.to_owned(), source })?;
        roots.add(cert).map_err(|source| TransportError::CaCertificate { path: path.to_owned(), source })?;
        added += 1;
    }
    if added == 0 {
        return Err(TransportError::CaFileEmpty { path: path.to_owned() });
    }
    Ok(added)
}

/// The name a server's certificate is checked against, and sent as SNI: `server_name`, or the
/// IP address when there is none (no SNI is sent for an address; the certificate must then list
/// it as an IP SAN).
pub(super) fn server_name(addr: SocketAddr, name: Option<&str>) -> Result<ServerName<'static>, TransportError> {
    match name {
        Some(name) => ServerName::try_from(name.to_owned())
            .map_err(|source| TransportError::InvalidServerName { name: name.to_owned(), source }),
        None => Ok(ServerName::from(addr.ip())),
    }
}
