//! What goes wrong in the transports: [`TransportError`] for the calls that fail, [`CloseReason`]
//! for the flows that end on their own.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use super::{FlowId, Transport};

/// Every error the transport calls return. Sources (I/O, rustls, PEM) are kept whole.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The UDP socket or the TCP listener could not be bound.
    #[error("cannot bind {transport} on {addr}")]
    Bind {
        /// Which of the two sockets failed.
        transport: Transport,
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// With port 0, every free UDP port tried was taken for TCP.
    #[error("found no port free for both UDP and TCP on {ip} in {attempts} attempts")]
    NoCommonPort {
        /// The address bound.
        ip: IpAddr,
        /// Ports tried.
        attempts: u32,
    },
    /// The configured CA file cannot be read.
    #[error("cannot read the CA file {}", path.display())]
    CaFileRead {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The configured CA file is not valid PEM.
    #[error("the CA file {} is not valid PEM", path.display())]
    CaFilePem {
        /// The file.
        path: PathBuf,
        /// The PEM fault.
        source: rustls_pki_types::pem::Error,
    },
    /// The configured CA file holds no `CERTIFICATE` block.
    #[error("the CA file {} holds no certificate", path.display())]
    CaFileEmpty {
        /// The file.
        path: PathBuf,
    },
    /// A certificate of the CA file cannot serve as a trust anchor.
    #[error("a certificate in the CA file {} cannot be a trust anchor", path.display())]
    CaCertificate {
        /// The file.
        path: PathBuf,
        /// What rustls (webpki) said about it.
        source: rustls::Error,
    },
    /// rustls refused the client configuration (protocol versions of the `ring` provider).
    #[error("cannot build the TLS client configuration")]
    TlsConfig(#[source] rustls::Error),
    /// The TLS server name of a destination is neither a DNS name nor an IP address.
    #[error("{name:?} is not a valid TLS server name")]
    InvalidServerName {
        /// The name given.
        name: String,
        /// Why it is not one.
        source: rustls_pki_types::InvalidDnsNameError,
    },
    /// Sending a UDP datagram failed (unreachable, too large, wrong address family...).
    #[error("sending a UDP datagram to {to} failed")]
    UdpSend {
        /// The destination.
        to: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// The TCP connection (under TCP or TLS) could not be established.
    #[error("connecting to {to} over TCP failed")]
    Connect {
        /// The destination.
        to: SocketAddr,
        /// Why (refused, unreachable...).
        source: io::Error,
    },
    /// Connecting (TCP connect, plus the handshake for TLS) took longer than allowed.
    #[error("connecting to {to} over {transport} timed out after {after:?}")]
    ConnectTimeout {
        /// The destination.
        to: SocketAddr,
        /// TCP or TLS.
        transport: Transport,
        /// The time allowed.
        after: Duration,
    },
    /// The TLS handshake failed: certificate not valid for the name, unknown issuer, expired,
    /// no common protocol version, an alert from the server...
    #[error("TLS handshake with {to} as {server_name:?} failed")]
    TlsHandshake {
        /// The destination.
        to: SocketAddr,
        /// The name the certificate was checked against.
        server_name: String,
        /// The precise TLS fault.
        source: rustls::Error,
    },
    /// The connection broke during the TLS handshake (reset, closed) without a TLS error.
    #[error("the connection to {to} broke during the TLS handshake as {server_name:?}")]
    TlsHandshakeIo {
        /// The destination.
        to: SocketAddr,
        /// The name the certificate was to be checked against.
        server_name: String,
        /// Why.
        source: io::Error,
    },
    /// The flow is not open (never was, closed by us, or closed and already reported).
    #[error("{0} is not open")]
    UnknownFlow(FlowId),
    /// Writing on a flow failed; the flow is closed and a [`super::TransportEvent::FlowClosed`]
    /// follows.
    #[error("writing on {flow} to {to} failed")]
    Write {
        /// The flow, now closed.
        flow: FlowId,
        /// Its remote address.
        to: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// Writing on a flow took longer than allowed (the peer stopped reading); the flow is closed
    /// and a [`super::TransportEvent::FlowClosed`] follows.
    #[error("writing on {flow} to {to} timed out after {after:?}")]
    WriteTimeout {
        /// The flow, now closed.
        flow: FlowId,
        /// Its remote address.
        to: SocketAddr,
        /// The time allowed.
        after: Duration,
    },
    /// As many flows are open as allowed ([`super::MAX_FLOWS`]); no new connection is made.
    #[error("too many open connections (limit {limit})")]
    TooManyFlows {
        /// The limit.
        limit: usize,
    },
}

/// Why a flow ended without our asking ([`super::Transports::close`] reports nothing).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum CloseReason {
    /// The peer closed the connection (TCP FIN; for TLS also an end without `close_notify`,
    /// harmless for SIP, whose frames carry their length).
    #[error("the peer closed the connection")]
    PeerClosed,
    /// Reading failed (reset, timeout from the kernel...).
    #[error("the connection failed")]
    Io(#[source] io::Error),
    /// TLS failed after the handshake (bad record, alert from the peer...).
    #[error("TLS failed")]
    Tls(#[source] rustls::Error),
    /// The stream lost its framing (RFC 3261 §18.3) or a frame outgrew
    /// `sip::Limits::max_message_size`: the connection is closed.
    #[error("the stream lost its framing")]
    Framing(#[source] sip::Error),
    /// A write on the flow failed ([`TransportError::Write`] has the error).
    #[error("a write failed ({0:?})")]
    WriteFailed(io::ErrorKind),
    /// A write on the flow timed out ([`TransportError::WriteTimeout`]).
    #[error("a write timed out")]
    WriteTimeout,
}
