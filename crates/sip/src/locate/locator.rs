//! The RFC 3263 §4 state machine: NAPTR, then SRV, then A/AAAA, driven by the edge's answers.

use super::order::srv_order;
use super::targets::{Target, TargetList};
use super::{
    Answer, IpFamily, LocateError, LocatePrefs, NaptrRecord, Query, RecordKind, SrvRecord, Transport, MAX_ADDRESSES,
    MAX_NAME_LEN, MAX_SRV_RECORDS,
};
use crate::uri::{Host, SipUri};
use rand_core::RngCore;
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

/// Locates the servers for one target, following RFC 3263 §4.1 (transport) and §4.2 (port and
/// address), without doing any I/O.
///
/// - An IP address: done at once, with the port given or the transport's default.
/// - A host name with a port: A/AAAA of the host only.
/// - A host name with a transport asked for: SRV for that transport (`_sips._tcp` for TLS),
///   then, if there is none, A/AAAA of the host at the transport's default port.
/// - A host name alone: NAPTR of the host, keeping the `SIPS+D2T`, `SIP+D2T` and `SIP+D2U`
///   services this client may use, in order/preference order, then SRV of their replacements.
///   With no usable NAPTR record, SRV of `_sips._tcp` (if TLS is supported), `_sip._tcp` and
///   `_sip._udp` (only `_sips._tcp` for a `sips:` target). RFC 3263 §4.1 lets the client pick
///   any transport the server supports; this locator takes the first of that list with SRV
///   records, and does not merge priorities across transports. With no SRV record at all, A/AAAA
///   of the host at the default port, over UDP (TLS for a `sips:` target or when TLS was asked).
///
/// All queries of one step are issued together (the edge may run them concurrently); the first
/// candidate in preference order wins once every candidate before it has answered, and the
/// queries of that step still outstanding are then withdrawn: those not yet polled are never
/// handed out, answers to the others are ignored. An edge answering one query at a time thus
/// never sends `_sip._udp` when `_sips._tcp` has records. Answers to a query that was not
/// polled, or that was already answered, are ignored. An answer of the wrong
/// record type counts as a failed lookup. Names are written without a final `.` and are fully
/// qualified.
#[derive(Debug, Clone)]
pub struct Locator {
    /// The configured host name (or the address text of an IP literal).
    host: String,
    prefs: LocatePrefs,
    /// The transport used when no SRV record decides it (RFC 3263 §4.1, §4.2).
    default_transport: Transport,
    phase: Phase,
    /// Queries not yet handed out by `poll_query`.
    to_send: VecDeque<Query>,
    /// Queries handed out and not yet answered.
    asked: Vec<Query>,
    /// Some lookup failed (so an empty result is `DnsFailed`, not `NotFound`).
    failures: bool,
}

#[derive(Debug, Clone)]
enum Phase {
    /// Waiting for the NAPTR answer (RFC 3263 §4.1).
    Naptr,
    /// Waiting for SRV answers, candidates in preference order (RFC 3263 §4.1, §4.2).
    Srv(Vec<SrvCandidate>),
    /// Looking up addresses of the chosen records' hosts (RFC 3263 §4.2); final once no query
    /// is outstanding.
    Addresses(Resolution),
}

#[derive(Debug, Clone)]
struct SrvCandidate {
    name: String,
    transport: Transport,
    state: SrvState,
}

#[derive(Debug, Clone)]
enum SrvState {
    Pending,
    Empty,
    Found(Vec<SrvRecord>),
}

/// The chosen transport, the records (priority-sorted, bounded) and their hosts' addresses.
#[derive(Debug, Clone)]
struct Resolution {
    transport: Transport,
    records: Vec<SrvRecord>,
    hosts: Vec<HostAddrs>,
}

#[derive(Debug, Clone)]
struct HostAddrs {
    name: String,
    v6: Vec<IpAddr>,
    v4: Vec<IpAddr>,
}

impl Locator {
    /// A locator for a configured `host[:port]` (RFC 3261 §25.1 `hostport`, IPv6 in `[` `]`).
    pub fn new(target: &str, prefs: LocatePrefs) -> Result<Locator, LocateError> {
        let (host, port) = Host::parse_with_port(target).map_err(LocateError::BadTarget)?;
        Locator::from_host(host, port, prefs)
    }

    /// A locator for a SIP or SIPS URI: its `maddr` if present, else its host, its port, its
    /// `transport` parameter (else `prefs.transport`) and its scheme (RFC 3263 §4). An unknown
    /// `transport` value is [`LocateError::UnsupportedTransport`].
    pub fn from_sip_uri(uri: &SipUri<'_>, prefs: LocatePrefs) -> Result<Locator, LocateError> {
        let host = match uri.maddr() {
            Some(maddr) => Host::parse(maddr).map_err(LocateError::BadTarget)?,
            None => uri.host,
        };
        let transport = match uri.transport() {
            Some(param) => Some(Transport::from_param(param).ok_or(LocateError::UnsupportedTransport)?),
            None => prefs.transport,
        };
        Locator::from_host(host, uri.port, LocatePrefs { transport, sips: uri.secure || prefs.sips, ..prefs })
    }

    /// A locator for a parsed host and optional port (RFC 3263 §4.1, §4.2).
    pub fn from_host(host: Host<'_>, port: Option<u16>, prefs: LocatePrefs) -> Result<Locator, LocateError> {
        let asked = checked_transport(&prefs)?;
        if port == Some(0) {
            return Err(LocateError::BadTarget(crate::uri::UriError::BadPort));
        }
        let default_transport = asked.unwrap_or(if prefs.sips { Transport::Tls } else { Transport::Udp });
        let default_port = port.unwrap_or(default_transport.default_port());
        let ip = match host {
            Host::V4(ip) => Some(IpAddr::V4(ip)),
            Host::V6(ip) => Some(IpAddr::V6(ip)),
            Host::Domain(_) => None,
        };
        if let Some(ip) = ip {
            let name = ip.to_string();
            let mut hosts = vec![HostAddrs { name: name.clone(), v6: Vec::new(), v4: Vec::new() }];
            match ip {
                IpAddr::V4(_) => hosts[0].v4.push(ip),
                IpAddr::V6(_) => hosts[0].v6.push(ip),
            }
            let records = vec![SrvRecord::new(0, 0, default_port, &name)];
            let phase = Phase::Addresses(Resolution { transport: default_transport, records, hosts });
            return Ok(Locator::with_phase(name, prefs, default_transport, phase));
        }
        let name = normalize_name(&host.to_string()).ok_or(LocateError::NameTooLong)?;
        let mut locator = Locator::with_phase(name.clone(), prefs, default_transport, Phase::Naptr);
        match (port, asked) {
            (Some(port), _) => locator.resolve_hosts(default_transport, vec![SrvRecord::new(0, 0, port, &name)]),
            (None, Some(transport)) => locator.start_srv(vec![(srv_name(transport, &name), transport)]),
            (None, None) => locator.to_send.push_back(Query { name, kind: RecordKind::Naptr }),
        }
        Ok(locator)
    }

    fn with_phase(host: String, prefs: LocatePrefs, default_transport: Transport, phase: Phase) -> Locator {
        Locator { host, prefs, default_transport, phase, to_send: VecDeque::new(), asked: Vec::new(), failures: false }
    }

    /// The next DNS query to perform, if any. Every query handed out must eventually be
    /// answered with [`Locator::handle_answer`] (a timeout as [`Answer::Failed`]).
    pub fn poll_query(&mut self) -> Option<Query> {
        let query = self.to_send.pop_front()?;
        self.asked.push(query.clone());
        Some(query)
    }

    /// Feeds the answer to `query`. Returns false, changing nothing, when the query was not
    /// handed out by [`Locator::poll_query`], was already answered, or is no longer needed.
    pub fn handle_answer(&mut self, query: &Query, answer: Answer) -> bool {
        let Some(at) = self.asked.iter().position(|asked| asked == query) else {
            return false;
        };
        self.asked.swap_remove(at);
        let answer = if answer_fits(query.kind, &answer) {
            answer
        } else {
            self.failures = true;
            Answer::Failed
        };
        match query.kind {
            RecordKind::Naptr => self.on_naptr(answer),
            RecordKind::Srv => self.on_srv(&query.name, answer),
            RecordKind::A | RecordKind::Aaaa => self.on_addresses(&query.name, answer),
        }
        true
    }

    /// True once every lookup is done: [`Locator::targets`] then gives the result.
    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Addresses(_)) && self.to_send.is_empty() && self.asked.is_empty()
    }

    /// The servers to try, in RFC 2782 order (priorities ascending, weighted random order within
    /// a priority drawn from `rng`), each record's host's addresses in the order of
    /// [`LocatePrefs::family`], at most [`crate::locate::MAX_ADDRESSES`] targets, duplicates
    /// removed (RFC 3263 §4.2, §4.3). Each call draws a new order.
    ///
    /// [`LocateError::InProgress`] before [`Locator::is_finished`]; [`LocateError::DnsFailed`]
    /// or [`LocateError::NotFound`] when no address was found.
    pub fn targets<R: RngCore + ?Sized>(&self, rng: &mut R) -> Result<TargetList, LocateError> {
        let Phase::Addresses(resolution) = &self.phase else {
            return Err(LocateError::InProgress);
        };
        if !self.is_finished() {
            return Err(LocateError::InProgress);
        }
        let mut targets: Vec<Target> = Vec::new();
        for index in srv_order(&resolution.records, rng) {
            let record = &resolution.records[index];
            let Some(host) = resolution.hosts.iter().find(|host| host.name == record.target) else {
                continue;
            };
            let (first, second) = match self.prefs.family {
                IpFamily::PreferV4 => (&host.v4, &host.v6),
                _ => (&host.v6, &host.v4),
            };
            for &ip in first.iter().chain(second) {
                let target = Target {
                    addr: SocketAddr::new(ip, record.port),
                    transport: resolution.transport,
                    host: host.name.clone(),
                };
                if targets.len() < MAX_ADDRESSES && !targets.contains(&target) {
                    targets.push(target);
                }
            }
        }
        match (targets.is_empty(), self.failures) {
            (false, _) => Ok(TargetList::new(targets)),
            (true, true) => Err(LocateError::DnsFailed),
            (true, false) => Err(LocateError::NotFound),
        }
    }

    /// The NAPTR answer (RFC 3263 §4.1): the usable services, or the SRV fallback.
    fn on_naptr(&mut self, answer: Answer) {
        if !matches!(self.phase, Phase::Naptr) {
            return;
        }
        let records = match answer {
            Answer::Naptr(records) => records,
            _ => Vec::new(),
        };
        let candidates = usable_naptr(&records, &self.prefs);
        if candidates.is_empty() {
            self.start_srv(self.fallback_srv());
        } else {
            self.start_srv(candidates);
        }
    }

    /// The SRV lookups done when no NAPTR record is usable (RFC 3263 §4.1): `_sips._tcp` (if
    /// TLS is supported), then for a `sip:` target `_sip._tcp` and `_sip._udp`.
    fn fallback_srv(&self) -> Vec<(String, Transport)> {
        let mut transports = Vec::new();
        if self.prefs.tls_supported {
            transports.push(Transport::Tls);
        }
        if !self.prefs.sips {
            transports.extend([Transport::Tcp, Transport::Udp]);
        }
        transports.into_iter().map(|transport| (srv_name(transport, &self.host), transport)).collect()
    }

    /// Issues the SRV queries of `candidates`, in preference order.
    fn start_srv(&mut self, candidates: Vec<(String, Transport)>) {
        let candidates: Vec<SrvCandidate> = candidates
            .into_iter()
            .map(|(name, transport)| SrvCandidate { name, transport, state: SrvState::Pending })
            .collect();
        self.to_send.extend(candidates.iter().map(|c| Query { name: c.name.clone(), kind: RecordKind::Srv }));
        self.phase = Phase::Srv(candidates);
    }

    /// An SRV answer (RFC 2782, RFC 3263 §4.2); moves on once the winner is known.
    fn on_srv(&mut self, name: &str, answer: Answer) {
        let Phase::Srv(candidates) = &mut self.phase else {
            return;
        };
        let Some(candidate) = candidates.iter_mut().find(|c| c.name == name && matches!(c.state, SrvState::Pending))
        else {
            return;
        };
        let records = match answer {
            Answer::Srv(records) => usable_srv(records),
            _ => Vec::new(),
        };
        candidate.state = if records.is_empty() { SrvState::Empty } else { SrvState::Found(records) };
        let mut winner = None;
        for candidate in candidates.iter_mut() {
            match &mut candidate.state {
                SrvState::Pending => return,
                SrvState::Empty => {}
                SrvState::Found(records) => {
                    winner = Some((candidate.transport, std::mem::take(records)));
                    break;
                }
            }
        }
        match winner {
            Some((transport, records)) => self.resolve_hosts(transport, records),
            None => {
                let record = SrvRecord::new(0, 0, self.default_transport.default_port(), &self.host);
                self.resolve_hosts(self.default_transport, vec![record]);
            }
        }
    }

    /// Moves to the address step (RFC 3263 §4.2) for `records`, forgetting the queries of the
    /// earlier steps still outstanding.
    fn resolve_hosts(&mut self, transport: Transport, records: Vec<SrvRecord>) {
        self.to_send.clear();
        self.asked.clear();
        let mut hosts: Vec<HostAddrs> = Vec::new();
        for record in &records {
            if hosts.iter().all(|host| host.name != record.target) {
                hosts.push(HostAddrs { name: record.target.clone(), v6: Vec::new(), v4: Vec::new() });
            }
        }
        let kinds: &[RecordKind] = match self.prefs.family {
            IpFamily::PreferV6 => &[RecordKind::Aaaa, RecordKind::A],
            IpFamily::PreferV4 => &[RecordKind::A, RecordKind::Aaaa],
            IpFamily::V4Only => &[RecordKind::A],
            IpFamily::V6Only => &[RecordKind::Aaaa],
        };
        for host in &hosts {
            self.to_send.extend(kinds.iter().map(|&kind| Query { name: host.name.clone(), kind }));
        }
        self.phase = Phase::Addresses(Resolution { transport, records, hosts });
    }

    /// An A or AAAA answer (RFC 3263 §4.2): usable unicast addresses, at most
    /// [`MAX_ADDRESSES`] per family, duplicates dropped.
    fn on_addresses(&mut self, name: &str, answer: Answer) {
        let Phase::Addresses(resolution) = &mut self.phase else {
            return;
        };
        let Some(host) = resolution.hosts.iter_mut().find(|host| host.name == name) else {
            return;
        };
        let (list, found): (&mut Vec<IpAddr>, Vec<IpAddr>) = match answer {
            Answer::A(addrs) => (&mut host.v4, addrs.into_iter().map(IpAddr::V4).collect()),
            Answer::Aaaa(addrs) => (&mut host.v6, addrs.into_iter().map(IpAddr::V6).collect()),
            _ => return,
        };
        for ip in found {
            if list.len() >= MAX_ADDRESSES {
                break;
            }
            if usable_ip(ip) && !list.contains(&ip) {
                list.push(ip);
            }
        }
    }
}

/// The transport asked for, checked against the scheme and TLS support (RFC 3263 §4.1): a
/// `sips:` target turns TCP into TLS and refuses UDP.
fn checked_transport(prefs: &LocatePrefs) -> Result<Option<Transport>, LocateError> {
    let transport = match (prefs.transport, prefs.sips) {
        (Some(Transport::Udp), true) => return Err(LocateError::SipsOverUdp),
        (Some(Transport::Tcp), true) => Some(Transport::Tls),
        (transport, _) => transport,
    };
    if (prefs.sips || transport == Some(Transport::Tls)) && !prefs.tls_supported {
        return Err(LocateError::TlsNotSupported);
    }
    Ok(transport)
}

/// False for [`Answer::Failed`] and for an answer of another record type than asked.
fn answer_fits(kind: RecordKind, answer: &Answer) -> bool {
    matches!(
        (kind, answer),
        (_, Answer::NoRecords)
            | (RecordKind::Naptr, Answer::Naptr(_))
            | (RecordKind::Srv, Answer::Srv(_))
            | (RecordKind::A, Answer::A(_))
            | (RecordKind::Aaaa, Answer::Aaaa(_))
    )
}

/// The SRV owner name for `transport` at `host` (RFC 3263 §4.2).
fn srv_name(transport: Transport, host: &str) -> String {
    format!("{}.{host}", transport.srv_prefix())
}

/// A DNS name from the configuration or an answer, without its final `.`, if it is a host name
/// (RFC 3261 §25.1, `_` tolerated) of at most [`MAX_NAME_LEN`] octets.
fn normalize_name(name: &str) -> Option<String> {
    let bare = name.strip_suffix('.').unwrap_or(name);
    if bare.len() > MAX_NAME_LEN {
        return None;
    }
    matches!(Host::parse(bare), Ok(Host::Domain(_))).then(|| bare.to_owned())
}

/// The NAPTR records RFC 3263 §4.1 lets this client use, as SRV lookups in order/preference
/// order, one per transport: flags `s`, empty regexp, a supported service (only `SIPS+D2T` for
/// a `sips:` target, `SIPS+D2T` only if TLS is supported), a valid replacement.
fn usable_naptr(records: &[NaptrRecord], prefs: &LocatePrefs) -> Vec<(String, Transport)> {
    let mut usable: Vec<(&NaptrRecord, Transport, String)> = records
        .iter()
        .filter(|r| r.flags.eq_ignore_ascii_case("s") && r.regexp.is_empty())
        .filter_map(|r| Some((r, Transport::from_naptr_service(&r.service)?, normalize_name(&r.replacement)?)))
        .filter(|&(_, transport, _)| match transport {
            Transport::Tls => prefs.tls_supported,
            Transport::Udp | Transport::Tcp => !prefs.sips,
        })
        .collect();
    usable.sort_by_key(|(r, _, _)| (r.order, r.preference));
    let mut candidates: Vec<(String, Transport)> = Vec::new();
    for (_, transport, name) in usable {
        if candidates.iter().all(|&(_, seen)| seen != transport) {
            candidates.push((name, transport));
        }
    }
    candidates
}

/// The SRV records worth trying (RFC 2782): not the `.` target (service not available), a
/// valid target name, a non-zero port; sorted by priority, at most [`MAX_SRV_RECORDS`].
fn usable_srv(records: Vec<SrvRecord>) -> Vec<SrvRecord> {
    let mut usable: Vec<SrvRecord> = records
        .into_iter()
        .filter(|r| r.port != 0)
        .filter_map(|r| Some(SrvRecord { target: normalize_name(&r.target)?, ..r }))
        .collect();
    usable.sort_by_key(|r| r.priority);
    usable.truncate(MAX_SRV_RECORDS);
    usable
}

/// An address a request can be sent to: not unspecified, multicast or IPv4 broadcast.
fn usable_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !(v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast()),
        IpAddr::V6(v6) => !(v6.is_unspecified() || v6.is_multicast()),
    }
}
