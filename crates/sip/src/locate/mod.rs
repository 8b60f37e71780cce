//! Sans-IO location of SIP servers (RFC 3263 §4): which transport, address and port to send a
//! request to, and in what order to try the servers (RFC 2782, RFC 3263 §4.3).
//!
//! [`Locator`] never touches the network: it asks for DNS records with [`Locator::poll_query`],
//! is fed the answers with [`Locator::handle_answer`], and once [`Locator::is_finished`] gives a
//! [`TargetList`] ordered with the caller's random number generator. The edge owns the resolver,
//! its timeouts (report one as [`Answer::Failed`]) and its cache.
//!
//! ```
//! use sip::locate::{Answer, LocatePrefs, Locator, RecordKind, SrvRecord, Transport};
//! use rand_chacha::{rand_core::SeedableRng, ChaCha8Rng};
//!
//! let mut locator = Locator::new("example.com", LocatePrefs::default()).unwrap();
//! while let Some(query) = locator.poll_query() {
//!     let answer = match (query.kind, query.name.as_str()) {
//!         (RecordKind::Srv, "_sip._udp.example.com") => {
//!             Answer::Srv(vec![SrvRecord::new(0, 1, 5060, "sip1.example.com")])
//!         }
//!         (RecordKind::A, "sip1.example.com") => Answer::A(vec!["192.0.2.10".parse().unwrap()]),
//!         _ => Answer::NoRecords,
//!     };
//!     locator.handle_answer(&query, answer);
//! }
//! let targets = locator.targets(&mut ChaCha8Rng::seed_from_u64(7)).unwrap();
//! let first = targets.current().unwrap();
//! assert_eq!(first.addr, "192.0.2.10:5060".parse().unwrap());
//! assert_eq!((first.transport, first.host.as_str()), (Transport::Udp, "sip1.example.com"));
//! ```

mod locator;
mod order;
mod targets;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_order;

pub use locator::Locator;
pub use order::srv_order;
pub use targets::{Target, TargetList, DEFAULT_FAILBACK_INTERVAL};

pub use crate::transport::Transport;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Most SRV records kept from one answer (after sorting by priority, RFC 2782), so that a
/// hostile or broken DNS server cannot make the locator grow without bound. Records past the
/// bound that share the last kept priority are dropped before the weighted selection.
pub const MAX_SRV_RECORDS: usize = 16;

/// Most addresses kept per host name, and most targets in a [`TargetList`].
pub const MAX_ADDRESSES: usize = 16;

/// Longest host name accepted, in octets, not counting a final `.` (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 253;

impl Transport {
    /// The SRV owner-name prefix for this transport (RFC 3263 §4.2): `_sip._udp`, `_sip._tcp`,
    /// or `_sips._tcp` for TLS.
    pub fn srv_prefix(self) -> &'static str {
        match self {
            Transport::Udp => "_sip._udp",
            Transport::Tcp => "_sip._tcp",
            Transport::Tls => "_sips._tcp",
        }
    }

    /// The transport of a NAPTR service field (RFC 3263 §4.1), case-insensitively: `SIP+D2U`,
    /// `SIP+D2T` or `SIPS+D2T`. Others (`SIP+D2S`, `SIPS+D2U`, unknown) are `None`.
    pub fn from_naptr_service(service: &str) -> Option<Transport> {
        [("SIP+D2U", Transport::Udp), ("SIP+D2T", Transport::Tcp), ("SIPS+D2T", Transport::Tls)]
            .into_iter()
            .find_map(|(name, transport)| service.eq_ignore_ascii_case(name).then_some(transport))
    }
}

/// Which address families to look up and try first. RFC 3263 §4.2 says "A or AAAA" and leaves
/// the order open; the default prefers IPv6 (RFC 6724 §10.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IpFamily {
    /// Query AAAA and A; try each host's IPv6 addresses before its IPv4 ones.
    #[default]
    PreferV6,
    /// Query A and AAAA; try each host's IPv4 addresses before its IPv6 ones.
    PreferV4,
    /// Query A only.
    V4Only,
    /// Query AAAA only.
    V6Only,
}

/// How to locate a target: what RFC 3263 §4.1 reads from the URI and what the client supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocatePrefs {
    /// The transport asked for (a URI `transport` parameter or configuration), if any
    /// (RFC 3263 §4.1 first rule). With [`LocatePrefs::sips`], `Tcp` means TLS over TCP.
    pub transport: Option<Transport>,
    /// The target comes from a `sips:` URI: only TLS may be used (RFC 3263 §4.1, RFC 3261 §26.2.2).
    pub sips: bool,
    /// Whether this client can use TLS. When false, `SIPS+D2T` NAPTR records and `_sips._tcp`
    /// are not considered (RFC 3263 §4.1 "if the client supports TLS").
    pub tls_supported: bool,
    /// Which address families to query and try first.
    pub family: IpFamily,
}

impl Default for LocatePrefs {
    /// No transport asked for, a `sip:` target, TLS supported, IPv6 first.
    fn default() -> Self {
        LocatePrefs { transport: None, sips: false, tls_supported: true, family: IpFamily::PreferV6 }
    }
}

/// The type of a DNS resource record the locator asks for (RFC 3263 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// NAPTR (RFC 3403), for transport selection (RFC 3263 §4.1).
    Naptr,
    /// SRV (RFC 2782), for servers and ports (RFC 3263 §4.2).
    Srv,
    /// A (IPv4 addresses, RFC 1035), RFC 3263 §4.2.
    A,
    /// AAAA (IPv6 addresses, RFC 3596), RFC 3263 §4.2.
    Aaaa,
}

/// A DNS query the edge should perform for the locator (RFC 3263 §4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Query {
    /// The owner name to look up, e.g. `_sip._udp.example.com`.
    pub name: String,
    /// The record type.
    pub kind: RecordKind,
}

/// A NAPTR record (RFC 3403 §4.1) as RFC 3263 §4.1 uses it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NaptrRecord {
    /// `ORDER`: lower first.
    pub order: u16,
    /// `PREFERENCE`: lower first among equal orders.
    pub preference: u16,
    /// `FLAGS`: RFC 3263 needs `s` (the next lookup is SRV); other records are skipped.
    pub flags: String,
    /// `SERVICES`, e.g. `SIP+D2U`.
    pub service: String,
    /// `REGEXP`: RFC 3263 needs it empty; other records are skipped.
    pub regexp: String,
    /// `REPLACEMENT`: the SRV owner name to query next.
    pub replacement: String,
}

/// An SRV record (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SrvRecord {
    /// Lower is tried first (RFC 2782 "Priority").
    pub priority: u16,
    /// Relative share among equal priorities (RFC 2782 "Weight").
    pub weight: u16,
    /// The port of the service on the target.
    pub port: u16,
    /// The target host; `.` means the service is not available there (RFC 2782 "Target").
    pub target: String,
}

impl SrvRecord {
    /// An SRV record from its four fields (RFC 2782).
    pub fn new(priority: u16, weight: u16, port: u16, target: &str) -> SrvRecord {
        SrvRecord { priority, weight, port, target: target.to_owned() }
    }
}

impl NaptrRecord {
    /// A NAPTR record with flags `s` and an empty regexp, the form RFC 3263 §4.1 uses.
    pub fn sip(order: u16, preference: u16, service: &str, replacement: &str) -> NaptrRecord {
        NaptrRecord {
            order,
            preference,
            flags: "s".to_owned(),
            service: service.to_owned(),
            regexp: String::new(),
            replacement: replacement.to_owned(),
        }
    }
}

/// The edge's answer to a [`Query`] (RFC 3263 §4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Answer {
    /// NAPTR records.
    Naptr(Vec<NaptrRecord>),
    /// SRV records.
    Srv(Vec<SrvRecord>),
    /// IPv4 addresses.
    A(Vec<Ipv4Addr>),
    /// IPv6 addresses.
    Aaaa(Vec<Ipv6Addr>),
    /// The name exists with no record of that type, or does not exist (NODATA, NXDOMAIN).
    NoRecords,
    /// The lookup failed (timeout, SERVFAIL, REFUSED): the records may exist.
    Failed,
}

/// Why a target could not be located (RFC 3263 §4).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum LocateError {
    /// The target is not `host[:port]` (RFC 3261 §25.1 `hostport`).
    #[error("bad target: {0}")]
    BadTarget(crate::uri::UriError),
    /// The host name is longer than [`MAX_NAME_LEN`] octets (RFC 1035 §2.3.4).
    #[error("host name longer than {MAX_NAME_LEN} octets")]
    NameTooLong,
    /// A `sips:` target with UDP asked for: SIPS needs TLS (RFC 3261 §26.2.2, RFC 3263 §4.1).
    #[error("sips target cannot use UDP")]
    SipsOverUdp,
    /// TLS is needed (a `sips:` target or TLS asked for) but [`LocatePrefs::tls_supported`] is
    /// false.
    #[error("TLS needed but not supported")]
    TlsNotSupported,
    /// The URI's `transport` parameter names a transport this client does not support
    /// (RFC 3261 §19.1.1): only `udp`, `tcp` and `tls` are.
    #[error("unsupported transport")]
    UnsupportedTransport,
    /// [`Locator::targets`] was called before the DNS lookups finished (API misuse).
    #[error("DNS lookups still in progress")]
    InProgress,
    /// DNS answered, but with no usable address for the target (RFC 3263 §4.2).
    #[error("no address found for target")]
    NotFound,
    /// No usable address, and at least one lookup failed: retrying later may succeed.
    #[error("DNS lookup failed")]
    DnsFailed,
}
