//! SIP transports at the edge (RFC 3261 §18): one UDP socket and one TCP listener on the same
//! port, outbound TCP and TLS connections, and the table of connection-oriented *flows*.
//!
//! The transports move bytes and frames; every decision (which transport a request takes, whether
//! a response goes back on the flow the request came in on, keep-alive answers) belongs to the
//! sans-IO core. In particular RFC 3261 §18.1.1 — a request within 200 octets of the path MTU, or
//! larger than 1300 octets when the MTU is unknown, must go over a congestion-controlled transport
//! such as TCP — is the core's rule: [`Transports::send`] sends what it is given, on the transport
//! it is told.
//!
//! Streams are cut into messages by [`sip::StreamFramer`] with `sip::Limits::default()`: a flow
//! buffers at most one read (16 KiB) beyond `max_message_size`, and a peer that sends a frame
//! larger than that, or loses the framing, is disconnected ([`CloseReason::Framing`]).
//!
//! Each flow has a reader task; the events of all of them come out of
//! [`Transports::next_event`] in order, together with UDP datagrams. The event queue is bounded:
//! when the core stops taking events, readers stop reading and TCP flow control slows the peers.

mod error;
mod stream;
mod tls;

pub use sip::Transport;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{SocketAddr, SocketAddrV6};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{timeout, timeout_at, Instant};
use tokio_rustls::TlsConnector;
use tracing::{debug, info, warn};

pub use error::{CloseReason, TransportError};
pub use tls::{root_store, TlsSettings};

use stream::{read_loop, Internal, Reader};

/// Time allowed to open a connection: the TCP connect, plus the handshake for TLS.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for one write on a flow before the flow is given up.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Most flows open at once, inbound and outbound; connections accepted beyond it are dropped.
pub const MAX_FLOWS: usize = 256;
/// UDP ports tried when binding port 0 before giving up on finding one free for TCP too.
const BIND_ATTEMPTS: u32 = 8;
/// Events the reader tasks may queue ahead of the core.
const EVENT_QUEUE: usize = 64;
/// The largest UDP payload.
const MAX_DATAGRAM: usize = 65_535;
/// Time allowed to send TLS `close_notify` and FIN when we close a flow.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);

/// Where to send: an address (already resolved, RFC 3263 is the core's), a transport and, for
/// TLS, the name the server's certificate must carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Destination {
    /// The remote address.
    pub addr: SocketAddr,
    /// The transport.
    pub transport: Transport,
    /// For TLS: the SNI and the name the certificate is checked against (the domain of the SIP
    /// URI, RFC 5922). `None` checks the certificate against the IP address and sends no SNI.
    /// Ignored by UDP and TCP.
    pub server_name: Option<String>,
}

impl Destination {
    /// A UDP destination.
    pub fn udp(addr: SocketAddr) -> Self {
        Destination { addr, transport: Transport::Udp, server_name: None }
    }

    /// A TCP destination.
    pub fn tcp(addr: SocketAddr) -> Self {
        Destination { addr, transport: Transport::Tcp, server_name: None }
    }

    /// A TLS destination whose certificate must be valid for `server_name`.
    pub fn tls(addr: SocketAddr, server_name: impl Into<String>) -> Self {
        Destination { addr, transport: Transport::Tls, server_name: Some(server_name.into()) }
    }
}

/// A connection (TCP or TLS) in the flow table. Never reused within one [`Transports`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(u64);

impl FlowId {
    /// The flow's number, for cores that name flows by number.
    pub fn number(self) -> u64 {
        self.0
    }

    /// The flow numbered `number` (from [`FlowId::number`]); a number no flow has gives
    /// [`TransportError::UnknownFlow`] when used.
    pub fn from_number(number: u64) -> FlowId {
        FlowId(number)
    }
}

impl fmt::Display for FlowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "flow #{}", self.0)
    }
}

/// What the table knows about a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowInfo {
    /// TCP or TLS.
    pub transport: Transport,
    /// The peer's address.
    pub remote: SocketAddr,
    /// For TLS: the name the server's certificate was verified against.
    pub server_name: Option<String>,
    /// Whether the peer connected to us.
    pub inbound: bool,
}

/// What the transports deliver.
#[non_exhaustive]
#[derive(Debug)]
pub enum TransportEvent {
    /// A UDP datagram, unparsed (the core runs `sip::inspect_datagram` on it).
    Datagram {
        /// The sender (an IPv4-mapped IPv6 address is given as IPv4).
        from: SocketAddr,
        /// The address of our socket (the wildcard address when bound to one).
        local: SocketAddr,
        /// The payload.
        bytes: Bytes,
    },
    /// A peer connected to the TCP listener. Its frames follow as [`TransportEvent::Frame`].
    FlowOpened {
        /// The new flow.
        flow: FlowId,
        /// Its transport (TCP).
        transport: Transport,
        /// The peer.
        from: SocketAddr,
    },
    /// A frame from a TCP or TLS flow: a message, an invalid frame (the stream goes on), or a
    /// keep-alive. Pings are not answered here: the core answers one with `send_on(flow, "\r\n")`
    /// (RFC 5626 §4.4.1).
    Frame {
        /// The flow it came on; answer on it with [`Transports::send_on`] (RFC 3261 §18.2.2).
        flow: FlowId,
        /// TCP or TLS.
        transport: Transport,
        /// The peer.
        from: SocketAddr,
        /// The frame.
        frame: sip::Frame,
    },
    /// A flow ended without our asking: the peer closed or reset it, TLS failed, the framing was
    /// lost, or a write failed. The flow is out of the table.
    FlowClosed {
        /// The flow.
        flow: FlowId,
        /// TCP or TLS.
        transport: Transport,
        /// The peer.
        remote: SocketAddr,
        /// Why.
        reason: CloseReason,
    },
}

/// The key under which a flow is reused: a TLS flow only for the same server name, since its
/// certificate was checked against that name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FlowKey {
    transport: Transport,
    remote: SocketAddr,
    server_name: Option<String>,
}

impl FlowKey {
    fn of(info: &FlowInfo) -> Self {
        FlowKey { transport: info.transport, remote: info.remote, server_name: info.server_name.clone() }
    }
}

type Writer = Box<dyn AsyncWrite + Send + Unpin>;

struct FlowEntry {
    info: FlowInfo,
    writer: Writer,
    reader: JoinHandle<()>,
}

/// The UDP socket, the TCP listener and the flows.
///
/// Runs on any tokio runtime (the phone uses `current_thread`); must be created inside one.
pub struct Transports {
    udp: UdpSocket,
    local: SocketAddr,
    tls: TlsConnector,
    connect_timeout: Duration,
    write_timeout: Duration,
    flows: HashMap<FlowId, FlowEntry>,
    by_key: HashMap<FlowKey, FlowId>,
    last_flow: u64,
    events_tx: mpsc::Sender<Internal>,
    events_rx: mpsc::Receiver<Internal>,
    pending: VecDeque<TransportEvent>,
    listener: JoinHandle<()>,
    datagram: Box<[u8]>,
}

impl fmt::Debug for Transports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transports")
            .field("local", &self.local)
            .field("flows", &self.flows.len())
            .finish_non_exhaustive()
    }
}

/// What `next_event` woke up for.
enum Wake {
    Internal(Internal),
    Udp(std::io::Result<(usize, SocketAddr)>),
}

impl Transports {
    /// Binds a UDP socket and a TCP listener on `listen` (IPv4 or IPv6, as `listen` is) and
    /// loads the TLS roots. With port 0 the UDP socket picks a free port and TCP binds the same
    /// one; when that is taken for TCP, another UDP port is tried, a few times.
    pub async fn bind(listen: SocketAddr, tls: TlsSettings) -> Result<Transports, TransportError> {
        let tls = tls::connector(&tls)?;
        let (udp, listener) = bind_pair(listen).await?;
        let local = udp.local_addr().map_err(|source| TransportError::Bind {
            transport: Transport::Udp,
            addr: listen,
            source,
        })?;
        let (events_tx, events_rx) = mpsc::channel(EVENT_QUEUE);
        let listener = tokio::spawn(accept_loop(listener, events_tx.clone()));
        info!(%local, "SIP transports listening on UDP and TCP");
        Ok(Transports {
            udp,
            local,
            tls,
            connect_timeout: CONNECT_TIMEOUT,
            write_timeout: WRITE_TIMEOUT,
            flows: HashMap::new(),
            by_key: HashMap::new(),
            last_flow: 0,
            events_tx,
            events_rx,
            pending: VecDeque::new(),
            listener,
            datagram: vec![0; MAX_DATAGRAM].into_boxed_slice(),
        })
    }

    /// Changes the time allowed to open a connection (default [`CONNECT_TIMEOUT`]).
    pub fn set_connect_timeout(&mut self, timeout: Duration) {
        self.connect_timeout = timeout;
    }

    /// Changes the time allowed for one write (default [`WRITE_TIMEOUT`]).
    pub fn set_write_timeout(&mut self, timeout: Duration) {
        self.write_timeout = timeout;
    }

    /// The address both the UDP socket and the TCP listener are bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// What the table knows about an open flow.
    pub fn flow(&self, flow: FlowId) -> Option<&FlowInfo> {
        self.flows.get(&flow).map(|entry| &entry.info)
    }

    /// The open flows.
    pub fn flows(&self) -> impl Iterator<Item = (FlowId, &FlowInfo)> {
        self.flows.iter().map(|(&flow, entry)| (flow, &entry.info))
    }

    /// Sends one message (or keep-alive) to `to`.
    ///
    /// UDP sends one datagram and returns `None`. TCP and TLS reuse the open flow to the same
    /// address (and, for TLS, the same server name), or connect a new one within the connect
    /// timeout, then write the bytes; they return the flow. Which transport a request takes
    /// (RFC 3261 §18.1.1: TCP above 1300 octets) is the caller's decision.
    ///
    /// Not cancel-safe for TCP/TLS: cancelled mid-write, the stream may hold part of a message.
    pub async fn send(&mut self, to: Destination, bytes: Bytes) -> Result<Option<FlowId>, TransportError> {
        if to.transport == Transport::Udp {
            self.send_datagram(to.addr, &bytes).await?;
            return Ok(None);
        }
        let server_name = match to.transport {
            Transport::Tls => Some(tls::server_name(to.addr, to.server_name.as_deref())?),
            _ => None,
        };
        let key = FlowKey {
            transport: to.transport,
            remote: to.addr,
            server_name: server_name.as_ref().map(|name| name.to_str().into_owned()),
        };
        let flow = match self.reusable(&key) {
            Some(flow) => flow,
            None => self.connect(key, server_name).await?,
        };
        self.write(flow, &bytes).await?;
        Ok(Some(flow))
    }

    /// Writes on an open flow: a response on the connection its request came in on (RFC 3261
    /// §18.2.2), a keep-alive, a request on a registered flow (RFC 5626).
    pub async fn send_on(&mut self, flow: FlowId, bytes: Bytes) -> Result<(), TransportError> {
        self.write(flow, &bytes).await
    }

    /// Closes a flow: TLS `close_notify` and FIN are sent in the background, and nothing more
    /// is reported for it (no [`TransportEvent::FlowClosed`]). `false` when it was not open.
    pub fn close(&mut self, flow: FlowId) -> bool {
        let Some(mut entry) = self.remove(flow) else { return false };
        debug!(%flow, remote = %entry.info.remote, "closing flow");
        tokio::spawn(async move {
            let _ = timeout(SHUTDOWN_TIMEOUT, entry.writer.shutdown()).await;
        });
        true
    }

    /// The next event. Cancel-safe: it may be raced against timers in `tokio::select!` without
    /// losing a datagram or a frame.
    pub async fn next_event(&mut self) -> TransportEvent {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return event;
            }
            let wake = tokio::select! {
                Some(internal) = self.events_rx.recv() => Wake::Internal(internal),
                received = self.udp.recv_from(&mut self.datagram) => Wake::Udp(received),
            };
            match wake {
                Wake::Udp(Ok((n, from))) => {
                    let bytes = Bytes::copy_from_slice(&self.datagram[..n]);
                    return TransportEvent::Datagram { from: canonical(from), local: self.local, bytes };
                }
                Wake::Udp(Err(error)) => {
                    // ICMP errors from earlier sends surface here on some systems; none of them
                    // concerns a datagram to deliver. Pause so that a broken socket cannot spin.
                    warn!(%error, "UDP receive failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Wake::Internal(internal) => {
                    if let Some(event) = self.on_internal(internal) {
                        return event;
                    }
                }
            }
        }
    }

    fn on_internal(&mut self, internal: Internal) -> Option<TransportEvent> {
        match internal {
            Internal::Accepted { stream, from } => {
                let from = canonical(from);
                if self.flows.len() >= MAX_FLOWS {
                    warn!(%from, limit = MAX_FLOWS, "too many flows: inbound connection dropped");
                    return None;
                }
                let _ = stream.set_nodelay(true);
                let (reader, writer) = stream.into_split();
                let info = FlowInfo { transport: Transport::Tcp, remote: from, server_name: None, inbound: true };
                let flow = self.register(info, Box::new(reader), Box::new(writer));
                debug!(%flow, %from, "inbound TCP flow");
                Some(TransportEvent::FlowOpened { flow, transport: Transport::Tcp, from })
            }
            // Frames and ends of flows we closed ourselves are stale: dropped.
            Internal::Frame { flow, frame } => {
                let info = &self.flows.get(&flow)?.info;
                Some(TransportEvent::Frame { flow, transport: info.transport, from: info.remote, frame })
            }
            Internal::Closed { flow, reason } => {
                let entry = self.remove(flow)?;
                Some(TransportEvent::FlowClosed {
                    flow,
                    transport: entry.info.transport,
                    remote: entry.info.remote,
                    reason,
                })
            }
        }
    }

    async fn send_datagram(&self, to: SocketAddr, bytes: &[u8]) -> Result<(), TransportError> {
        let target = match (self.local, to) {
            // A dual-stack IPv6 socket reaches IPv4 peers through mapped addresses.
            (SocketAddr::V6(_), SocketAddr::V4(v4)) => {
                SocketAddr::V6(SocketAddrV6::new(v4.ip().to_ipv6_mapped(), v4.port(), 0, 0))
            }
            _ => to,
        };
        self.udp.send_to(bytes, target).await.map_err(|source| TransportError::UdpSend { to, source })?;
        Ok(())
    }

    /// The open flow for `key`, unless its reader has already ended (its end is still in the
    /// queue: it is reported, but the flow is not written to again).
    fn reusable(&mut self, key: &FlowKey) -> Option<FlowId> {
        let flow = *self.by_key.get(key)?;
        match self.flows.get(&flow) {
            Some(entry) if !entry.reader.is_finished() => Some(flow),
            _ => {
                self.by_key.remove(key);
                None
            }
        }
    }

    async fn connect(
        &mut self,
        key: FlowKey,
        server_name: Option<rustls_pki_types::ServerName<'static>>,
    ) -> Result<FlowId, TransportError> {
        if self.flows.len() >= MAX_FLOWS {
            return Err(TransportError::TooManyFlows { limit: MAX_FLOWS });
        }
        let to = key.remote;
        let timed_out = || TransportError::ConnectTimeout { to, transport: key.transport, after: self.connect_timeout };
        let deadline = Instant::now() + self.connect_timeout;
        let tcp = timeout_at(deadline, TcpStream::connect(to))
            .await
            .map_err(|_| timed_out())?
            .map_err(|source| TransportError::Connect { to, source })?;
        let _ = tcp.set_nodelay(true);
        let (reader, writer): (Reader, Writer) = match server_name {
            None => {
                let (reader, writer) = tcp.into_split();
                (Box::new(reader), Box::new(writer))
            }
            Some(server_name) => {
                let name = server_name.to_str().into_owned();
                let stream = timeout_at(deadline, self.tls.connect(server_name, tcp))
                    .await
                    .map_err(|_| timed_out())?
                    .map_err(|error| match stream::tls_error(&error) {
                    Some(source) => TransportError::TlsHandshake { to, server_name: name.clone(), source },
                    None => TransportError::TlsHandshakeIo { to, server_name: name.clone(), source: error },
                })?;
                let (reader, writer) = tokio::io::split(stream);
                (Box::new(reader), Box::new(writer))
            }
        };
        let info = FlowInfo { transport: key.transport, remote: to, server_name: key.server_name, inbound: false };
        let flow = self.register(info, reader, writer);
        debug!(%flow, %to, transport = %key.transport, "outbound flow connected");
        Ok(flow)
    }

    fn register(&mut self, info: FlowInfo, reader: Reader, writer: Writer) -> FlowId {
        self.last_flow += 1;
        let flow = FlowId(self.last_flow);
        let reader = tokio::spawn(read_loop(flow, reader, self.events_tx.clone()));
        self.by_key.insert(FlowKey::of(&info), flow);
        self.flows.insert(flow, FlowEntry { info, writer, reader });
        flow
    }

    /// Writes and flushes; a failure closes the flow and queues its [`TransportEvent::FlowClosed`].
    async fn write(&mut self, flow: FlowId, bytes: &[u8]) -> Result<(), TransportError> {
        let entry = self.flows.get_mut(&flow).ok_or(TransportError::UnknownFlow(flow))?;
        let to = entry.info.remote;
        let writer = &mut entry.writer;
        let written = timeout(self.write_timeout, async {
            writer.write_all(bytes).await?;
            writer.flush().await
        })
        .await;
        let (error, reason) = match written {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(source)) => {
                let kind = source.kind();
                (TransportError::Write { flow, to, source }, CloseReason::WriteFailed(kind))
            }
            Err(_) => (TransportError::WriteTimeout { flow, to, after: self.write_timeout }, CloseReason::WriteTimeout),
        };
        warn!(%flow, %to, %error, "write failed: flow closed");
        if let Some(entry) = self.remove(flow) {
            let (transport, remote) = (entry.info.transport, entry.info.remote);
            self.pending.push_back(TransportEvent::FlowClosed { flow, transport, remote, reason });
        }
        Err(error)
    }

    /// Takes a flow out of the table and stops its reader.
    fn remove(&mut self, flow: FlowId) -> Option<FlowEntry> {
        let entry = self.flows.remove(&flow)?;
        entry.reader.abort();
        let key = FlowKey::of(&entry.info);
        if self.by_key.get(&key) == Some(&flow) {
            self.by_key.remove(&key);
        }
        Some(entry)
    }
}

impl Drop for Transports {
    fn drop(&mut self) {
        self.listener.abort();
        for entry in self.flows.values() {
            entry.reader.abort();
        }
    }
}

/// Binds UDP and TCP on the same port (see [`Transports::bind`]).
async fn bind_pair(listen: SocketAddr) -> Result<(UdpSocket, TcpListener), TransportError> {
    let udp_error = |addr, source| TransportError::Bind { transport: Transport::Udp, addr, source };
    let tcp_error = |addr, source| TransportError::Bind { transport: Transport::Tcp, addr, source };
    if listen.port() != 0 {
        let udp = UdpSocket::bind(listen).await.map_err(|e| udp_error(listen, e))?;
        let tcp = TcpListener::bind(listen).await.map_err(|e| tcp_error(listen, e))?;
        return Ok((udp, tcp));
    }
    for _ in 0..BIND_ATTEMPTS {
        let udp = UdpSocket::bind(listen).await.map_err(|e| udp_error(listen, e))?;
        let addr = udp.local_addr().map_err(|e| udp_error(listen, e))?;
        match TcpListener::bind(addr).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
                debug!(%addr, "port free for UDP but not for TCP: trying another");
            }
            Err(error) => return Err(tcp_error(addr, error)),
        }
    }
    Err(TransportError::NoCommonPort { ip: listen.ip(), attempts: BIND_ATTEMPTS })
}

/// Hands accepted connections to `next_event`, which makes them flows.
async fn accept_loop(listener: TcpListener, events: mpsc::Sender<Internal>) {
    loop {
        match listener.accept().await {
            Ok((stream, from)) => {
                if events.send(Internal::Accepted { stream, from }).await.is_err() {
                    return;
                }
            }
            Err(error) => {
                // Out of file descriptors, a connection reset before accept...: go on, slowly.
                warn!(%error, "TCP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(v4.into(), v6.port()),
            None => addr,
        },
        SocketAddr::V4(_) => addr,
    }
}
