//! Modifying a session (RFC 3264 §8): our `o=` version, and what changed in the peer's SDP.

use super::NegotiatedAudio;
use crate::model::SessionDescription;

/// Gives `candidate`, our next SDP in a session, the `o=` line of `previous` (the last SDP we
/// sent): the same username, session id and address, and the version incremented by one only if
/// the content differs (RFC 3264 §8: "If the version in the origin line does not increment, the
/// SDP MUST be identical"). Sending the very same SDP again keeps the version, as RFC 4317 §2.5
/// and §5.2 do.
///
/// The version wraps from `u64::MAX` to 0, which never happens in practice.
pub fn next_version(previous: &SessionDescription, mut candidate: SessionDescription) -> SessionDescription {
    candidate.origin = previous.origin.clone();
    if candidate != *previous {
        candidate.origin.session_version = previous.origin.session_version.wrapping_add(1);
    }
    candidate
}

/// How a peer's new SDP relates to its previous one (RFC 3264 §8).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RemoteSdpChange {
    /// Same origin and version, same content: a no-op offer (§8: "effectively a no-op").
    Unchanged,
    /// Same origin, another version: the session was modified.
    Modified,
    /// Same origin and version but different content, which §8 forbids; treat it as modified.
    ChangedWithoutNewVersion,
    /// Another username, session id or origin address: the SDP comes from another session (for
    /// example after a transfer by a back-to-back user agent); treat everything as new.
    NewOrigin,
}

/// Compares a peer's `next` SDP with its `previous` one.
pub fn classify_remote_sdp(previous: &SessionDescription, next: &SessionDescription) -> RemoteSdpChange {
    if !previous.origin.same_session(&next.origin) {
        RemoteSdpChange::NewOrigin
    } else if previous.origin.session_version != next.origin.session_version {
        RemoteSdpChange::Modified
    } else if previous == next {
        RemoteSdpChange::Unchanged
    } else {
        RemoteSdpChange::ChangedWithoutNewVersion
    }
}

/// What changed between two negotiated states of the audio stream, for the media engine to
/// follow (RFC 3264 §8.3: address, port, codecs, attributes; §8.4: hold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MediaChanges {
    /// The stream moved to another `m=` line.
    pub media_index: bool,
    /// The remote RTP host changed (§8.3.1).
    pub remote_address: bool,
    /// The remote RTP port changed (§8.3.1).
    pub remote_port: bool,
    /// The remote RTCP endpoint or rtcp-mux changed.
    pub remote_rtcp: bool,
    /// The codec (or its payload types or parameters) to send with changed (§8.3.2).
    pub codec: bool,
    /// The set of agreed codecs changed (§8.3.2).
    pub codecs: bool,
    /// The telephone-event format appeared, disappeared or changed.
    pub telephone_event: bool,
    /// The packet time changed (§8.3.4).
    pub ptime: bool,
    /// Our direction changed.
    pub direction: bool,
    /// Hold started or ended on either side (§8.4).
    pub hold: bool,
}

impl MediaChanges {
    /// Whether anything changed.
    pub fn any(&self) -> bool {
        *self != MediaChanges::default()
    }
}

impl NegotiatedAudio {
    /// What changed since `previous` (e.g. the result of the exchange before a re-INVITE).
    pub fn changes_since(&self, previous: &NegotiatedAudio) -> MediaChanges {
        MediaChanges {
            media_index: self.media_index != previous.media_index,
            remote_address: self.remote_rtp.host != previous.remote_rtp.host,
            remote_port: self.remote_rtp.port != previous.remote_rtp.port,
            remote_rtcp: self.remote_rtcp != previous.remote_rtcp || self.rtcp_mux != previous.rtcp_mux,
            codec: self.codec != previous.codec,
            codecs: self.codecs != previous.codecs,
            telephone_event: self.telephone_event != previous.telephone_event,
            ptime: self.ptime != previous.ptime || self.remote_maxptime != previous.remote_maxptime,
            direction: self.direction != previous.direction,
            hold: self.held_by_peer != previous.held_by_peer || self.held_locally != previous.held_locally,
        }
    }
}
