//! From a negotiated SDP stream (the `sdp` crate) to the media engine's session configuration
//! (the `media` crate): which codecs run with which payload types, events, ptime, direction and
//! addresses.

use std::net::SocketAddr;
use std::time::Duration;

use media::session::{AgreedCodec, CodecKind, Direction, SessionConfig, TelephoneEvent};
use sdp::NegotiatedAudio;

/// The media session configuration for `negotiated` at `device_rate` Hz: every agreed codec the
/// engine runs (the first one sends), RFC 4733 events, ptime, direction and addresses. `None`
/// when no agreed codec is one we run, or the peer named its address by host name.
pub fn session_config(negotiated: &NegotiatedAudio, device_rate: u32) -> Option<SessionConfig> {
    let agreed = |c: &sdp::NegotiatedCodec| {
        CodecKind::from_rtpmap(&c.name, c.clock_rate).map(|kind| AgreedCodec {
            kind,
            send_pt: c.payload_type,
            recv_pt: c.receive_payload_type,
        })
    };
    let mut codecs: Vec<AgreedCodec> = Vec::new();
    for codec in std::iter::once(&negotiated.codec).chain(&negotiated.codecs).filter_map(agreed) {
        if !codecs.iter().any(|c| c.recv_pt == codec.recv_pt) {
            codecs.push(codec);
        }
    }
    if codecs.is_empty() {
        return None;
    }
    let remote_rtp = endpoint(&negotiated.remote_rtp)?;
    let mut config = SessionConfig::new(codecs, remote_rtp, device_rate);
    config.remote_rtcp = endpoint(&negotiated.remote_rtcp).unwrap_or(config.remote_rtcp);
    config.rtcp_mux = negotiated.rtcp_mux;
    // RFC 4733 §2.5.1.2: events share the audio's clock; events on another clock than the
    // sending codec's are not used (DTMF then goes by SIP INFO, see `dtmf_in_rtp`).
    config.telephone_event = negotiated
        .telephone_event
        .as_ref()
        .filter(|_| dtmf_in_rtp(negotiated))
        .map(|t| TelephoneEvent { send_pt: t.payload_type, recv_pt: t.receive_payload_type });
    if let Some(opus) =
        std::iter::once(&negotiated.codec).chain(&negotiated.codecs).find(|c| c.name.eq_ignore_ascii_case("opus"))
    {
        config.opus = media::codec::opus::OpusParams::from_fmtp(opus.fmtp.as_deref().unwrap_or(""));
    }
    config.ptime = Duration::from_millis(u64::from(negotiated.ptime.clamp(10, 120) / 10 * 10));
    config.direction = direction(negotiated.direction);
    Some(config)
}

/// Whether DTMF goes in the RTP stream (RFC 4733): events were agreed on the clock of the codec
/// we send with. Otherwise it goes by SIP INFO.
pub fn dtmf_in_rtp(negotiated: &NegotiatedAudio) -> bool {
    negotiated.telephone_event.as_ref().is_some_and(|t| t.clock_rate == negotiated.codec.clock_rate)
}

/// An SDP endpoint with an IP literal as a socket address.
pub fn endpoint(endpoint: &sdp::Endpoint) -> Option<SocketAddr> {
    match &endpoint.host {
        sdp::Host::Ip(ip) => Some(SocketAddr::new(*ip, endpoint.port)),
        _ => None,
    }
}

/// Our SDP direction as the media engine's.
pub fn direction(direction: sdp::Direction) -> Direction {
    match direction {
        sdp::Direction::SendRecv => Direction::SendRecv,
        sdp::Direction::SendOnly => Direction::SendOnly,
        sdp::Direction::RecvOnly => Direction::RecvOnly,
        _ => Direction::Inactive,
    }
}
