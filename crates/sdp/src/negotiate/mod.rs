//! The offer/answer model (RFC 3264) for the audio of a call.
//!
//! A deskphone carries one audio stream per call. [`make_offer`] offers it; [`answer_offer`]
//! accepts the first usable audio stream of a peer's offer and rejects every other stream with
//! port 0 (RFC 3264 §6: a stream MAY be rejected for any reason); [`accept_answer`] checks the
//! peer's answer to our offer. Both give a [`NegotiatedAudio`]: where to send RTP and RTCP, with
//! which codec, payload types, packet time and direction. For re-INVITEs, [`make_reoffer`] and
//! [`next_version`] keep the `o=` line and the payload type numbers stable (RFC 3264 §8), and
//! [`classify_remote_sdp`] and [`NegotiatedAudio::changes_since`] tell what a peer changed.

use std::fmt::{self, Display, Formatter};
use std::net::IpAddr;

use crate::attribute::Direction;
use crate::error::{Error, NegotiationError, UsageError};
use crate::grammar::is_token;
use crate::model::{Connection, MediaDescription, Origin, SessionDescription};

mod accept;
mod answer;
mod offer;
mod update;

pub use accept::accept_answer;
pub use answer::answer_offer;
pub use offer::{make_offer, make_reoffer};
pub use update::{classify_remote_sdp, next_version, MediaChanges, RemoteSdpChange};

/// The packet time of RFC 3551 §4.5 (20 ms) when nobody says otherwise.
pub const DEFAULT_PTIME: u32 = 20;

/// One codec we can send and receive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Codec {
    /// The encoding name, e.g. `opus`, `G722`, `PCMU` (compared case-insensitively).
    pub name: String,
    /// The RTP clock rate (G722 is 8000, RFC 3551 §4.5.2; opus is 48000, RFC 7587 §7).
    pub clock_rate: u32,
    /// The channel count as written in `a=rtpmap` (opus is always 2, RFC 7587 §7).
    pub channels: u16,
    /// The `a=fmtp` parameters we send for it, if any.
    pub fmtp: Option<String>,
    /// The payload type we use in our own offers (a static one must match RFC 3551 §6; when it
    /// is taken or does not match, a free dynamic one is chosen).
    pub preferred_pt: u8,
}

impl Codec {
    /// A codec without format parameters.
    pub fn new(name: impl Into<String>, clock_rate: u32, channels: u16, preferred_pt: u8) -> Codec {
        Codec { name: name.into(), clock_rate, channels, fmtp: None, preferred_pt }
    }

    /// The same codec with `a=fmtp` parameters.
    pub fn with_fmtp(mut self, fmtp: impl Into<String>) -> Codec {
        self.fmtp = Some(fmtp.into());
        self
    }

    /// `opus/48000/2`, payload type 111, in-band FEC (RFC 7587 §6.1, §7).
    pub fn opus() -> Codec {
        Codec::new("opus", 48000, 2, 111).with_fmtp("useinbandfec=1")
    }

    /// `G722/8000`, static payload type 9 (RFC 3551 §4.5.2).
    pub fn g722() -> Codec {
        Codec::new("G722", 8000, 1, 9)
    }

    /// `PCMU/8000`, static payload type 0 (RFC 3551 §4.5.14).
    pub fn pcmu() -> Codec {
        Codec::new("PCMU", 8000, 1, 0)
    }

    /// `PCMA/8000`, static payload type 8 (RFC 3551 §4.5.14).
    pub fn pcma() -> Codec {
        Codec::new("PCMA", 8000, 1, 8)
    }

    fn is_valid(&self) -> bool {
        is_token(&self.name) && self.clock_rate > 0 && self.channels > 0 && fmtp_is_valid(self.fmtp.as_deref())
    }
}

fn fmtp_is_valid(fmtp: Option<&str>) -> bool {
    fmtp.is_none_or(|params| !params.contains(['\r', '\n', '\0']) && params.trim() == params)
}

/// RFC 4733 telephone events (DTMF) as we support them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TelephoneEventCap {
    /// The clock rate we offer (RFC 4733 §7.1.1; 8000 for narrowband codecs).
    pub clock_rate: u32,
    /// The payload type we use in our own offers.
    pub preferred_pt: u8,
    /// The events we receive, e.g. `0-16` (RFC 4733 §2.4.1).
    pub fmtp: Option<String>,
}

impl Default for TelephoneEventCap {
    /// `telephone-event/8000` on payload type 101 with events `0-16`.
    fn default() -> Self {
        TelephoneEventCap { clock_rate: 8000, preferred_pt: 101, fmtp: Some("0-16".to_owned()) }
    }
}

/// What we can do: codecs in order of preference, DTMF, packet time, transports. Only audio
/// streams are ever accepted; every other media type is rejected with port 0 (RFC 3264 §6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Capabilities {
    /// Our codecs, most preferred first (RFC 3264 §5.1: formats are listed in preference order).
    pub codecs: Vec<Codec>,
    /// Telephone events, if we send and receive them.
    pub telephone_event: Option<TelephoneEventCap>,
    /// The packet time we want to receive, in ms (RFC 3264 §5.1 `a=ptime`).
    pub ptime: u32,
    /// The longest packet time we accept, in ms, written as `a=maxptime` when set
    /// (RFC 8866 §6.5); an offered ptime above it is not echoed.
    pub maxptime: Option<u32>,
    /// The `m=` transport protocols we accept (our offers use the first); default `RTP/AVP`.
    pub transports: Vec<String>,
    /// Whether we offer and accept `a=rtcp-mux` (RFC 5761 §5.1.1).
    pub rtcp_mux: bool,
}

impl Default for Capabilities {
    /// opus, G722, PCMU, PCMA; telephone-event/8000 on 101; 20 ms; `RTP/AVP`; no rtcp-mux.
    fn default() -> Self {
        Capabilities::with_codecs(vec![Codec::opus(), Codec::g722(), Codec::pcmu(), Codec::pcma()])
    }
}

impl Capabilities {
    /// The given codecs with the defaults for everything else.
    pub fn with_codecs(codecs: Vec<Codec>) -> Capabilities {
        Capabilities {
            codecs,
            telephone_event: Some(TelephoneEventCap::default()),
            ptime: DEFAULT_PTIME,
            maxptime: None,
            transports: vec!["RTP/AVP".to_owned()],
            rtcp_mux: false,
        }
    }

    /// Checks for our own mistakes: no codec, an invalid codec, payload types above 127, a zero
    /// ptime or one above maxptime, no transport.
    pub fn validate(&self) -> Result<(), Error> {
        if self.codecs.is_empty() {
            return Err(UsageError::NoCodecs.into());
        }
        for (index, codec) in self.codecs.iter().enumerate() {
            if codec.preferred_pt > crate::payload::PAYLOAD_TYPE_MAX {
                return Err(UsageError::PayloadTypeOutOfRange { pt: codec.preferred_pt }.into());
            }
            if !codec.is_valid() {
                return Err(UsageError::InvalidCodec { index }.into());
            }
        }
        if let Some(events) = &self.telephone_event {
            if events.preferred_pt > crate::payload::PAYLOAD_TYPE_MAX {
                return Err(UsageError::PayloadTypeOutOfRange { pt: events.preferred_pt }.into());
            }
            if events.clock_rate == 0 || !fmtp_is_valid(events.fmtp.as_deref()) {
                return Err(UsageError::InvalidTelephoneEvent.into());
            }
        }
        if self.ptime == 0 || self.maxptime.is_some_and(|max| max < self.ptime) {
            return Err(UsageError::InvalidPtime.into());
        }
        if self.transports.is_empty() || !self.transports.iter().all(|t| t.split('/').all(is_token)) {
            return Err(UsageError::NoTransport.into());
        }
        Ok(())
    }

    fn accepts_transport(&self, proto: &str) -> bool {
        self.transports.iter().any(|t| t.eq_ignore_ascii_case(proto))
    }
}

/// Our side of the call: the `o=` fields, where we receive media, and the direction we want.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalMedia {
    /// The `o=` username (`-` by default, RFC 8866 §5.2).
    pub username: String,
    /// The `o=` session id.
    pub session_id: u64,
    /// The `o=` session version.
    pub session_version: u64,
    /// The address we receive RTP on (also written in `o=` and `c=`).
    pub address: IpAddr,
    /// The port we receive RTP on (RTCP on the next one unless rtcp-mux).
    pub port: u16,
    /// What we want to do: `SendOnly` or `Inactive` puts the peer on hold (RFC 3264 §8.4).
    pub direction: Direction,
}

impl LocalMedia {
    /// Username `-`, direction `sendrecv`.
    pub fn new(address: IpAddr, port: u16, session_id: u64, session_version: u64) -> LocalMedia {
        LocalMedia {
            username: "-".to_owned(),
            session_id,
            session_version,
            address,
            port,
            direction: Direction::SendRecv,
        }
    }

    /// The same with another direction.
    pub fn with_direction(mut self, direction: Direction) -> LocalMedia {
        self.direction = direction;
        self
    }

    /// The session part of our SDP: `o=`, `s=-`, `c=`, `t=0 0`.
    fn session(&self) -> SessionDescription {
        let origin = Origin::new(self.username.clone(), self.session_id, self.session_version, self.address);
        let mut session = SessionDescription::new(origin);
        session.connection = Some(Connection::from_ip(self.address));
        session
    }
}

/// A network host from a `c=` line: an IP address, or a name the I/O edge must resolve.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// An IP literal.
    Ip(IpAddr),
    /// A host name (RFC 8866 §5.7 allows FQDNs).
    Name(String),
}

impl Host {
    fn of(connection: &Connection) -> Host {
        connection.ip().map_or_else(|| Host::Name(connection.address.clone()), Host::Ip)
    }
}

impl Display for Host {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(ip) => ip.fmt(f),
            Host::Name(name) => f.write_str(name),
        }
    }
}

/// A transport address to send to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// The host.
    pub host: Host,
    /// The port.
    pub port: u16,
}

/// A codec both sides agreed on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NegotiatedCodec {
    /// The encoding name (ours when we answered, as we offered it when we offered).
    pub name: String,
    /// The RTP clock rate.
    pub clock_rate: u32,
    /// The channel count.
    pub channels: u16,
    /// The payload type we send with: the offer's when we answer (RFC 3264 §6.1), the answer's
    /// when we offered (RFC 3264 §5.1).
    pub payload_type: u8,
    /// The payload type we receive it with: always the offer's numbers (RFC 3264 §6.1).
    pub receive_payload_type: u8,
    /// The peer's `a=fmtp` parameters for it (what our sending must respect), if any.
    pub fmtp: Option<String>,
}

/// The outcome of an offer/answer exchange for the call's audio stream, from our point of view.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NegotiatedAudio {
    /// Which `m=` line (0-based) carries it.
    pub media_index: usize,
    /// Where to send RTP: the media-level `c=` over the session-level one (RFC 8866 §5.7).
    pub remote_rtp: Endpoint,
    /// Where to send RTCP: `a=rtcp` (RFC 3605), else the RTP port plus one (RFC 3264 §5.1), or
    /// the RTP endpoint itself with rtcp-mux.
    pub remote_rtcp: Endpoint,
    /// Whether both sides agreed on rtcp-mux (RFC 5761 §5.1.1).
    pub rtcp_mux: bool,
    /// The codec to send with: the first agreed voice codec (see [`answer_offer`] and
    /// [`accept_answer`] for the order).
    pub codec: NegotiatedCodec,
    /// Every agreed codec except telephone-event, in the answer's order of preference.
    pub codecs: Vec<NegotiatedCodec>,
    /// The agreed telephone-event format (RFC 4733), if any.
    pub telephone_event: Option<NegotiatedCodec>,
    /// The packet time to send with, in ms: the peer's `a=ptime`, else ours (RFC 3264 §6.1, §7),
    /// capped by the peer's `a=maxptime`.
    pub ptime: u32,
    /// The peer's `a=maxptime`, if any.
    pub remote_maxptime: Option<u32>,
    /// What we may do on the stream (RFC 3264 §6.1).
    pub direction: Direction,
    /// The peer does not want to receive: its SDP says sendonly or inactive, or its address is
    /// 0.0.0.0 (RFC 3264 §8.4). The peer has put us on hold.
    pub held_by_peer: bool,
    /// Our own SDP does not receive (sendonly or inactive): we have put the peer on hold.
    pub held_locally: bool,
}

impl NegotiatedAudio {
    /// Whether we may send RTP.
    pub fn can_send(&self) -> bool {
        self.direction.sends()
    }

    /// Whether we should expect RTP.
    pub fn can_receive(&self) -> bool {
        self.direction.receives()
    }

    /// Whether either side has put the call on hold (RFC 3264 §8.4).
    pub fn is_hold(&self) -> bool {
        self.held_by_peer || self.held_locally
    }
}

/// Encoding names that are not voice: a stream needs at least one voice codec to be usable.
const AUXILIARY_ENCODINGS: [&str; 5] = ["telephone-event", "CN", "red", "ulpfec", "rtx"];

fn is_auxiliary(name: &str) -> bool {
    AUXILIARY_ENCODINGS.iter().any(|aux| aux.eq_ignore_ascii_case(name))
}

/// The direction the author of `session` declared for `media`, with a `c=` of 0.0.0.0 (or `::`)
/// read as "do not send to me" (RFC 3264 §8.4).
fn declared_direction(session: &SessionDescription, media: &MediaDescription) -> Direction {
    let direction = session.effective_direction(media);
    match session.effective_connection(media) {
        Some(connection) if connection.is_unspecified() => direction.without_receive(),
        _ => direction,
    }
}

/// Where to send RTP and RTCP for stream `index` of the peer's `session`.
fn remote_endpoints(
    session: &SessionDescription,
    media: &MediaDescription,
    index: usize,
    rtcp_mux: bool,
) -> Result<(Endpoint, Endpoint), NegotiationError> {
    let connection = session.effective_connection(media).ok_or(NegotiationError::NoConnection { index })?;
    let rtp = Endpoint { host: Host::of(connection), port: media.port };
    let rtcp = match media.rtcp() {
        _ if rtcp_mux => rtp.clone(),
        Some(rtcp) => {
            let host = rtcp.connection.as_ref().map_or_else(|| rtp.host.clone(), Host::of);
            Endpoint { host, port: rtcp.port }
        }
        // RFC 3264 §5.1: RTCP goes to the port one higher; 65535 has none, so it stays.
        None => Endpoint { host: rtp.host.clone(), port: media.port.saturating_add(1) },
    };
    Ok((rtp, rtcp))
}

/// The packet time to send with: the peer's ptime, else `fallback`, capped by its maxptime.
fn send_ptime(peer: &MediaDescription, fallback: u32) -> u32 {
    let ptime = peer.ptime().unwrap_or(fallback);
    peer.maxptime().map_or(ptime, |max| ptime.min(max))
}

/// The first non-auxiliary codec of `codecs`.
fn first_voice(codecs: &[NegotiatedCodec]) -> Option<&NegotiatedCodec> {
    codecs.iter().find(|c| !is_auxiliary(&c.name))
}
