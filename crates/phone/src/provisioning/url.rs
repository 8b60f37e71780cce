//! The provisioning base URL: `http://` or `https://`, a host, an optional port and a path that
//! ends with `/` (one is added). No user information (credentials go in `[provisioning]
//! username`/`password`), no query, no fragment: the files are named by appending to the path.

use std::fmt;

/// How the files are fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP (port 80 by default).
    Http,
    /// HTTP over TLS (port 443 by default).
    Https,
}

impl Scheme {
    /// The port used when the URL names none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// Why a text is not a usable provisioning URL.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not `http://` or `https://` (a `tftp://` of DHCP option 66, say).
    #[error("not an http:// or https:// URL")]
    Scheme,
    /// Nothing between `//` and the path.
    #[error("no host")]
    NoHost,
    /// A host with characters no host name or address has.
    #[error("not a host name or address")]
    BadHost,
    /// A port that is not 1–65535.
    #[error("not a port from 1 to 65535")]
    BadPort,
    /// `user:password@` in the URL.
    #[error("credentials belong in provisioning.username and provisioning.password, not in the URL")]
    Credentials,
    /// `?` or `#`: the base URL must be a plain path.
    #[error("a query or fragment cannot be part of the base URL")]
    QueryOrFragment,
    /// A space, a control character or a non-ASCII character in the path.
    #[error("the path has a character that must be percent-encoded")]
    BadPath,
}

/// A parsed provisioning base URL; [`fmt::Display`] gives it back in normal form
/// (`https://prov.example.com:8443/phones/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// HTTP or HTTPS.
    pub scheme: Scheme,
    /// The host as written: a name, an IPv4 address, or an IPv6 address without its `[ ]`.
    pub host: String,
    /// The port (the scheme's default when not written).
    pub port: u16,
    /// The path, starting and ending with `/`.
    pub path: String,
}

impl BaseUrl {
    /// Parses `text` (surrounding white space ignored); a missing final `/` is added.
    pub fn parse(text: &str) -> Result<BaseUrl, UrlError> {
        let text = text.trim();
        let (scheme, rest) = split_scheme(text).ok_or(UrlError::Scheme)?;
        if rest.contains(['?', '#']) {
            return Err(UrlError::QueryOrFragment);
        }
        let (authority, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, "/"),
        };
        if authority.contains('@') {
            return Err(UrlError::Credentials);
        }
        let (host, port) = split_port(authority)?;
        check_host(host)?;
        if !path.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(UrlError::BadPath);
        }
        let mut path = path.to_owned();
        if !path.ends_with('/') {
            path.push('/');
        }
        Ok(BaseUrl { scheme, host: host.to_owned(), port: port.unwrap_or(scheme.default_port()), path })
    }

    /// The value of the Host header: the host, with the port when it is not the default
    /// (RFC 9110 §7.2).
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        if self.port == self.scheme.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The request target of a file under this base: the path with `file` appended.
    pub fn target(&self, file: &str) -> String {
        format!("{}{file}", self.path)
    }

    /// The whole URL of a file under this base.
    pub fn join(&self, file: &str) -> String {
        format!("{self}{file}")
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme.name(), self.authority(), self.path)
    }
}

/// `http://` or `https://`, any case.
fn split_scheme(text: &str) -> Option<(Scheme, &str)> {
    let (scheme, rest) = text.split_once("://")?;
    if scheme.eq_ignore_ascii_case("http") {
        Some((Scheme::Http, rest))
    } else if scheme.eq_ignore_ascii_case("https") {
        Some((Scheme::Https, rest))
    } else {
        None
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`; the host without brackets.
fn split_port(authority: &str) -> Result<(&str, Option<u16>), UrlError> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or(UrlError::BadHost)?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(UrlError::BadHost);
        }
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or(UrlError::BadHost)?)),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(text) => match text.parse::<u16>() {
            Ok(port) if port > 0 && text.bytes().all(|b| b.is_ascii_digit()) => Some(port),
            _ => return Err(UrlError::BadPort),
        },
    };
    Ok((host, port))
}

/// A name (letters, digits, `-`, `.`, `_`) or an address.
fn check_host(host: &str) -> Result<(), UrlError> {
    if host.is_empty() {
        return Err(UrlError::NoHost);
    }
    if host.contains(':') {
        // Only a bracketed IPv6 address gets here with colons, and it was checked.
        return Ok(());
    }
    let name = host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
    if name && !host.starts_with(['.', '-']) {
        Ok(())
    } else {
        Err(UrlError::BadHost)
    }
}
