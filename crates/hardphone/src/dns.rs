//! DNS at the edge: hickory-resolver answers the queries of the sans-IO RFC 3263 locator
//! (`sip::locate`), which decides what to ask and orders the targets.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use rand_core::RngCore;
use sip::locate::{Answer, LocateError, Locator, NaptrRecord, Query, RecordKind, SrvRecord, TargetList};
use tracing::debug;

/// Wait for one answer from a DNS server before asking again (the resolver tries twice).
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// Longest wait for one lookup, the resolver's retries included.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(6);

/// Most queries one location may take (NAPTR, a few SRV, A and AAAA of each target); a
/// locator that keeps asking beyond it is cut off.
const MAX_QUERIES: usize = 64;

/// Why the resolver could not be set up.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    /// The system configuration (`/etc/resolv.conf`) could not be read or used.
    #[error("cannot use the system DNS configuration: {0}")]
    System(#[source] hickory_resolver::net::NetError),
    /// The resolver could not be built from the given configuration.
    #[error("cannot build the DNS resolver: {0}")]
    Build(#[source] hickory_resolver::net::NetError),
}

/// The phone's DNS resolver.
pub struct Dns {
    resolver: TokioResolver,
}

impl std::fmt::Debug for Dns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Dns")
    }
}

impl Dns {
    /// A resolver using the system's configuration (`/etc/resolv.conf`).
    pub fn from_system() -> Result<Dns, DnsError> {
        let mut builder = Resolver::builder_tokio().map_err(DnsError::System)?;
        quick(builder.options_mut());
        Ok(Dns { resolver: builder.build().map_err(DnsError::Build)? })
    }

    /// A resolver asking only `server` over UDP (a configured DNS server, or a test's).
    pub fn with_nameserver(server: SocketAddr) -> Result<Dns, DnsError> {
        let mut udp = ConnectionConfig::udp();
        udp.port = server.port();
        let mut name_server = NameServerConfig::udp(server.ip());
        name_server.connections = vec![udp];
        let config = ResolverConfig::from_parts(None, vec![], vec![name_server]);
        let mut builder = Resolver::builder_with_config(config, TokioRuntimeProvider::default());
        quick(builder.options_mut());
        let resolver = builder.build().map_err(DnsError::Build)?;
        Ok(Dns { resolver })
    }

    /// Runs `locator` to the end and orders the targets with `rng` (RFC 2782 weights). The
    /// queries the locator has out at once (the SRV names of each transport, A and AAAA of each
    /// target) are asked together, so a dead DNS server costs one timeout per step, not one per
    /// query.
    pub async fn locate(&self, mut locator: Locator, rng: &mut impl RngCore) -> Result<TargetList, LocateError> {
        let mut asked = 0;
        while asked < MAX_QUERIES {
            let queries: Vec<Query> = std::iter::from_fn(|| locator.poll_query()).take(MAX_QUERIES - asked).collect();
            if queries.is_empty() {
                break;
            }
            asked += queries.len();
            let answers = futures_util::future::join_all(queries.iter().map(|q| self.answer(q))).await;
            for (query, answer) in queries.iter().zip(answers) {
                debug!(name = %query.name, kind = ?query.kind, ?answer, "DNS answer");
                locator.handle_answer(query, answer);
            }
        }
        locator.targets(rng)
    }

    /// One query's answer: the records, `NoRecords` for an empty or NXDOMAIN answer, `Failed`
    /// for anything else (timeout, SERVFAIL, a name that is not a DNS name).
    pub async fn answer(&self, query: &Query) -> Answer {
        let Ok(name) = Name::from_ascii(fully_qualified(&query.name)) else { return Answer::Failed };
        let kind = match query.kind {
            RecordKind::Naptr => RecordType::NAPTR,
            RecordKind::Srv => RecordType::SRV,
            RecordKind::A => RecordType::A,
            RecordKind::Aaaa => RecordType::AAAA,
        };
        match tokio::time::timeout(LOOKUP_TIMEOUT, self.resolver.lookup(name, kind)).await {
            Ok(Ok(lookup)) => to_answer(query.kind, lookup.answers().iter().map(|r| &r.data)),
            Ok(Err(error)) if error.is_no_records_found() => Answer::NoRecords,
            Ok(Err(_)) | Err(_) => Answer::Failed,
        }
    }
}

/// Resolver options for a phone: a short timeout and one retry, so that a dead server is
/// noticed in seconds and the next RFC 3263 step (or the backup registrar) is tried.
fn quick(options: &mut hickory_resolver::config::ResolverOpts) {
    options.timeout = QUERY_TIMEOUT;
    options.attempts = 2;
}

/// `name` with a final dot, so that no search domain is appended to it.
fn fully_qualified(name: &str) -> String {
    if name.ends_with('.') {
        name.to_owned()
    } else {
        format!("{name}.")
    }
}

/// The records of the kind asked for, as the locator takes them.
fn to_answer<'a>(kind: RecordKind, data: impl Iterator<Item = &'a RData>) -> Answer {
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let answer = match kind {
        RecordKind::Naptr => Answer::Naptr(
            data.filter_map(|d| match d {
                RData::NAPTR(n) => Some(NaptrRecord {
                    order: n.order,
                    preference: n.preference,
                    flags: text(&n.flags),
                    service: text(&n.services),
                    regexp: text(&n.regexp),
                    replacement: n.replacement.to_string(),
                }),
                _ => None,
            })
            .collect(),
        ),
        RecordKind::Srv => Answer::Srv(
            data.filter_map(|d| match d {
                RData::SRV(s) => Some(SrvRecord::new(s.priority, s.weight, s.port, &s.target.to_string())),
                _ => None,
            })
            .collect(),
        ),
        RecordKind::A => Answer::A(data.filter_map(|d| if let RData::A(a) = d { Some(a.0) } else { None }).collect()),
        RecordKind::Aaaa => {
            Answer::Aaaa(data.filter_map(|d| if let RData::AAAA(a) = d { Some(a.0) } else { None }).collect())
        }
    };
    let empty = match &answer {
        Answer::Naptr(v) => v.is_empty(),
        Answer::Srv(v) => v.is_empty(),
        Answer::A(v) => v.is_empty(),
        Answer::Aaaa(v) => v.is_empty(),
        _ => false,
    };
    if empty {
        Answer::NoRecords
    } else {
        answer
    }
}
