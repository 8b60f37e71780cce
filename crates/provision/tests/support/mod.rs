//! Helpers of the provisioning server's tests: a scratch directory, a private PKI made with
//! rcgen, and a minimal HTTP/1.1 client (plain or TLS, optionally with a client certificate)
//! that shows exactly what the server sent.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// A directory removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let path = std::env::temp_dir().join(format!("hardphone-provision-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("scratch directory");
        Scratch(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("directory");
        }
        std::fs::write(&path, text).expect("write");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A certificate and its key, as PEM.
#[derive(Clone)]
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
}

/// A private CA that signs a server certificate and phones' client certificates.
pub struct Pki {
    pub ca_pem: String,
    ca: rcgen::Certificate,
    ca_key: rcgen::KeyPair,
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
        let ca_key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = params.self_signed(&ca_key).expect("CA certificate");
        Pki { ca_pem: ca.pem(), ca, ca_key }
    }

    /// A server certificate for 127.0.0.1 and localhost.
    pub fn server(&self) -> Issued {
        self.issue("localhost", &["127.0.0.1", "localhost"], rcgen::ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A phone's client certificate: CN = `common_name`, DNS SANs = `dns_names`.
    pub fn phone(&self, common_name: &str, dns_names: &[&str]) -> Issued {
        self.issue(common_name, dns_names, rcgen::ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn issue(&self, common_name: &str, names: &[&str], usage: rcgen::ExtendedKeyUsagePurpose) -> Issued {
        use rcgen::{CertificateParams, DnType, KeyPair};
        let key = KeyPair::generate().expect("key");
        let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("params");
        params.distinguished_name.push(DnType::CommonName, common_name);
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &self.ca, &self.ca_key).expect("certificate");
        Issued { cert_pem: cert.pem(), key_pem: key.serialize_pem() }
    }
}

/// How the client connects.
#[derive(Clone, Default)]
pub struct Client {
    /// Trust this CA (PEM) and speak TLS; none: plain HTTP.
    pub ca_pem: Option<String>,
    /// Present this client certificate.
    pub identity: Option<Issued>,
}

/// What the server answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }
}

pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// The headers a phone sends: its User-Agent and, when given, its configuration hash.
pub fn phone_headers(mac: &str, hash: Option<&str>) -> Vec<(String, String)> {
    let mut headers = vec![("User-Agent".to_owned(), format!("Hardphone/0.1.0 (desk; {mac})"))];
    if let Some(hash) = hash {
        headers.push(("X-Hardphone-Config-Hash".to_owned(), hash.to_owned()));
    }
    headers
}

impl Client {
    /// `GET path` with `headers`; panics on transport errors (use [`Client::try_get`] to see them).
    pub async fn get(&self, server: SocketAddr, path: &str, headers: &[(String, String)]) -> Answer {
        self.try_get(server, path, headers).await.unwrap_or_else(|error| panic!("GET {path}: {error}"))
    }

    /// `GET path`, bounded to 10 s.
    pub async fn try_get(
        &self,
        server: SocketAddr,
        path: &str,
        headers: &[(String, String)],
    ) -> std::io::Result<Answer> {
        let exchange = async {
            let tcp = TcpStream::connect(server).await?;
            match &self.ca_pem {
                None => exchange(tcp, server, path, headers).await,
                Some(ca_pem) => {
                    let connector = tokio_rustls::TlsConnector::from(self.tls_config(ca_pem));
                    let name = ServerName::IpAddress(server.ip().into());
                    let tls = connector.connect(name, tcp).await?;
                    exchange(tls, server, path, headers).await
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), exchange).await.map_err(std::io::Error::other)?
    }

    fn tls_config(&self, ca_pem: &str) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(cert.expect("CA PEM")).expect("CA");
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots);
        let config = match &self.identity {
            None => builder.with_no_client_auth(),
            Some(identity) => {
                let chain = vec![CertificateDer::from_pem_slice(identity.cert_pem.as_bytes()).expect("cert")];
                let key = PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes()).expect("key");
                builder.with_client_auth_cert(chain, key).expect("client certificate")
            }
        };
        Arc::new(config)
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    server: SocketAddr,
    path: &str,
    headers: &[(String, String)],
) -> std::io::Result<Answer> {
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    // A TLS peer may close without close_notify; what arrived is what counts.
    if let Err(error) = stream.read_to_end(&mut raw).await {
        if raw.is_empty() {
            return Err(error);
        }
    }
    parse_answer(&raw)
}

fn parse_answer(raw: &[u8]) -> std::io::Result<Answer> {
    let text = String::from_utf8_lossy(raw);
    let bad = || std::io::Error::other(format!("not an HTTP answer: {text:?}"));
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(bad)?;
    let mut lines = head.split("\r\n");
    let status =
        lines.next().and_then(|line| line.split(' ').nth(1)).and_then(|code| code.parse().ok()).ok_or_else(bad)?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    Ok(Answer { status, headers, body: body.to_owned() })
}
