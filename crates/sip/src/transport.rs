//! The transports SIP runs over (RFC 3261 §18), one type for every layer: the transaction layer
//! asks whether it is reliable, server location which SRV names it has, the edge how to connect.

use std::fmt;

/// A transport protocol a SIP request can be sent over (RFC 3261 §18, RFC 3263 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// UDP: `SIP+D2U`, `_sip._udp` (RFC 3263 §4.1). Default port 5060.
    Udp,
    /// TCP: `SIP+D2T`, `_sip._tcp` (RFC 3263 §4.1). Default port 5060.
    Tcp,
    /// TLS over TCP: `SIPS+D2T`, `_sips._tcp` (RFC 3263 §4.1). Default port 5061.
    Tls,
}

impl Transport {
    /// True for TCP and TLS: the transport delivers or reports an error, so the transaction layer
    /// does not retransmit (RFC 3261 §17.1.1.2), and Timers D, I, J and K are zero.
    pub fn is_reliable(self) -> bool {
        self != Transport::Udp
    }

    /// The default port of the transport: 5061 for TLS, 5060 otherwise (RFC 3261 §19.1.2).
    pub fn default_port(self) -> u16 {
        match self {
            Transport::Tls => 5061,
            Transport::Udp | Transport::Tcp => 5060,
        }
    }

    /// Reads a `transport` URI parameter (RFC 3261 §19.1.1), case-insensitively: `udp`, `tcp`
    /// or `tls`. Any other value (`sctp`, `ws`, ...) is one we do not support: `None`.
    pub fn from_param(value: &str) -> Option<Transport> {
        [("udp", Transport::Udp), ("tcp", Transport::Tcp), ("tls", Transport::Tls)]
            .into_iter()
            .find_map(|(name, transport)| value.eq_ignore_ascii_case(name).then_some(transport))
    }
}

impl Transport {
    /// The Via `transport` token (RFC 3261 §20.42): `UDP`, `TCP` or `TLS`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        }
    }
}

impl fmt::Display for Transport {
    /// The Via `transport` token, as [`Transport::as_str`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
