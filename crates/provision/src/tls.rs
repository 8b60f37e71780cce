//! The HTTPS server's TLS: rustls with the `ring` provider (as the phone), the server's
//! certificate, and optional client certificates checked against a CA. A client without a
//! certificate is let in (it may still use HTTP Basic); one whose certificate the CA did not
//! sign is refused in the handshake.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::mac::Mac;

/// A TLS set-up that cannot be used.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file that cannot be read or has no certificate or key.
    #[error("{}: {source}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: rustls_pki_types::pem::Error,
    },
    /// A CA certificate webpki refuses.
    #[error("{}: {source}", path.display())]
    Ca {
        /// The file.
        path: PathBuf,
        /// What rustls says.
        source: rustls::Error,
    },
    /// The client certificate verifier could not be built (an empty CA file).
    #[error("{}: {source}", path.display())]
    Verifier {
        /// The CA file.
        path: PathBuf,
        /// What rustls says.
        source: rustls::server::VerifierBuilderError,
    },
    /// rustls refused the certificate and key (a key that does not match, say).
    #[error("TLS certificate and key: {0}")]
    Config(#[source] rustls::Error),
}

/// The server configuration: `cert` (PEM chain), `key` (PEM), and when `client_ca` is given,
/// optional client certificates signed by it.
pub fn server_config(cert: &Path, key: &Path, client_ca: Option<&Path>) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    fn pem(path: &Path) -> impl Fn(rustls_pki_types::pem::Error) -> TlsError + '_ {
        move |source| TlsError::Pem { path: path.to_owned(), source }
    }
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(cert).map_err(pem(cert))?.collect::<Result<_, _>>().map_err(pem(cert))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(pem(key))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let mut roots = RootCertStore::empty();
            for ca in CertificateDer::pem_file_iter(path).map_err(pem(path))? {
                let ca = ca.map_err(pem(path))?;
                roots.add(ca).map_err(|source| TlsError::Ca { path: path.to_owned(), source })?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .map_err(|source| TlsError::Verifier { path: path.to_owned(), source })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(chain, key).map_err(TlsError::Config)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The MACs a (verified) client certificate names: its subject CNs and DNS SANs that read as
/// MAC addresses, in that order, without repeats.
pub fn certificate_macs(certificate: &CertificateDer<'_>) -> Vec<Mac> {
    let Ok((_, parsed)) = X509Certificate::from_der(certificate.as_ref()) else {
        return Vec::new();
    };
    let mut names: Vec<String> =
        parsed.subject().iter_common_name().filter_map(|cn| cn.as_str().ok().map(str::to_owned)).collect();
    if let Ok(Some(san)) = parsed.subject_alternative_name() {
        for name in &san.value.general_names {
            if let GeneralName::DNSName(dns) = name {
                names.push((*dns).to_owned());
            }
        }
    }
    let mut macs = Vec::new();
    for mac in names.iter().filter_map(|name| Mac::parse(name).ok()) {
        if !macs.contains(&mac) {
            macs.push(mac);
        }
    }
    macs
}
