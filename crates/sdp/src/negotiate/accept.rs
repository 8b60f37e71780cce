//! Processing the answer to our offer (RFC 3264 §7).

use super::DEFAULT_PTIME;
use super::{declared_direction, first_voice, remote_endpoints, send_ptime, NegotiatedAudio, NegotiatedCodec};
use crate::error::{Error, NegotiationError};
use crate::model::{MediaDescription, MediaType, RtpFormat, SessionDescription};

/// Checks `answer` against `our_offer` and says what was agreed for our audio stream.
///
/// Checks (each failure is a [`NegotiationError`], a peer fault):
/// - the same number of `m=` lines (RFC 3264 §6) and the same media type in each (§6.1);
/// - no stream we disabled with port 0 is accepted (§8.2);
/// - every accepted audio stream lists at least one codec we offered (§6.1). Formats the answer
///   adds that we did not offer are allowed by §6.1 and ignored; a codec counts as offered when
///   its encoding name, clock rate and channels match, whatever its payload type (§5.1).
///
/// The result describes the first accepted audio stream with a voice codec: we send with the
/// answer's first such codec and its payload type (§5.1, §7) and expect the peer to send with our
/// offer's numbers (§6.1); ptime is the answer's, else our offer's (§7). Our direction is what we
/// offered limited by the answer reversed; an answer that breaks the §6.1 direction table (e.g.
/// `sendrecv` to our `sendonly`) is not refused but limited the same way. A `c=0.0.0.0` answer
/// means we must not send (§8.4).
///
/// `Ok(None)` when our offer had no active audio stream (e.g. the media-less offer of RFC 4317
/// §5.1). [`NegotiationError::AudioRejected`] when the answer rejects all our audio streams.
pub fn accept_answer(
    our_offer: &SessionDescription,
    answer: &SessionDescription,
) -> Result<Option<NegotiatedAudio>, Error> {
    check_structure(our_offer, answer)?;
    let mut offered_audio = false;
    let mut accepted_audio = false;
    let mut result = None;
    for (index, (offered, answered)) in our_offer.media.iter().zip(&answer.media).enumerate() {
        if offered.media_type != MediaType::Audio || offered.port == 0 {
            continue;
        }
        offered_audio = true;
        if answered.port == 0 {
            continue;
        }
        accepted_audio = true;
        let codecs = matched_codecs(offered, answered);
        if codecs.is_empty() {
            return Err(NegotiationError::CodecNotOffered { index }.into());
        }
        if result.is_none() && first_voice(&codecs).is_some() {
            result = Some(negotiated(our_offer, offered, answer, answered, index, codecs)?);
        }
    }
    match (offered_audio, accepted_audio, result) {
        (false, _, _) => Ok(None),
        (true, false, _) => Err(NegotiationError::AudioRejected.into()),
        (true, true, None) => Err(NegotiationError::NoCommonCodec.into()),
        (true, true, Some(audio)) => Ok(Some(audio)),
    }
}

/// RFC 3264 §6, §6.1, §8.2: same `m=` count, same media types, no disabled stream revived.
fn check_structure(our_offer: &SessionDescription, answer: &SessionDescription) -> Result<(), NegotiationError> {
    if our_offer.media.len() != answer.media.len() {
        return Err(NegotiationError::MediaCountMismatch {
            offered: our_offer.media.len(),
            answered: answer.media.len(),
        });
    }
    for (index, (offered, answered)) in our_offer.media.iter().zip(&answer.media).enumerate() {
        if offered.media_type != answered.media_type {
            return Err(NegotiationError::MediaTypeMismatch { index });
        }
        if offered.port == 0 && answered.port != 0 {
            return Err(NegotiationError::DisabledStreamAccepted { index });
        }
    }
    Ok(())
}

/// The answer's formats that match one we offered, in the answer's order (telephone-event
/// included). A dynamic payload type the answer lists without rtpmap is read as ours.
fn matched_codecs(offered: &MediaDescription, answered: &MediaDescription) -> Vec<NegotiatedCodec> {
    let ours = offered.rtp_formats();
    let mut codecs: Vec<NegotiatedCodec> = Vec::new();
    for pt in answered.payload_types() {
        let theirs = answered.rtp_format(pt).or_else(|| ours.iter().find(|f| f.payload_type == pt).cloned());
        let Some(theirs) = theirs else { continue };
        let mine = ours.iter().find(|f| f.same_codec(&theirs.encoding_name, theirs.clock_rate, theirs.channel_count()));
        let Some(mine) = mine else { continue };
        if codecs.iter().any(|c| c.payload_type == pt) {
            continue;
        }
        codecs.push(agreed(mine, &theirs, answered));
    }
    codecs
}

/// An agreed codec when we offered: our name, the answer's payload type to send (RFC 3264 §5.1),
/// ours to receive (§6.1), the answer's fmtp.
fn agreed(mine: &RtpFormat, theirs: &RtpFormat, answered: &MediaDescription) -> NegotiatedCodec {
    NegotiatedCodec {
        name: mine.encoding_name.clone(),
        clock_rate: mine.clock_rate,
        channels: mine.channel_count(),
        payload_type: theirs.payload_type,
        receive_payload_type: mine.payload_type,
        fmtp: answered.fmtp(theirs.payload_type).map(|f| f.params.clone()),
    }
}

fn negotiated(
    our_offer: &SessionDescription,
    offered: &MediaDescription,
    answer: &SessionDescription,
    answered: &MediaDescription,
    index: usize,
    all: Vec<NegotiatedCodec>,
) -> Result<NegotiatedAudio, Error> {
    let ours = declared_direction(our_offer, offered);
    let theirs = declared_direction(answer, answered);
    let rtcp_mux = offered.rtcp_mux() && answered.rtcp_mux();
    let (remote_rtp, remote_rtcp) = remote_endpoints(answer, answered, index, rtcp_mux)?;
    let (telephone_event, codecs): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|c| c.name.eq_ignore_ascii_case("telephone-event"));
    let codec = first_voice(&codecs).cloned().ok_or(NegotiationError::NoCommonCodec)?;
    Ok(NegotiatedAudio {
        media_index: index,
        remote_rtp,
        remote_rtcp,
        rtcp_mux,
        codec,
        codecs,
        telephone_event: telephone_event.into_iter().next(),
        ptime: send_ptime(answered, offered.ptime().unwrap_or(DEFAULT_PTIME)),
        remote_maxptime: answered.maxptime(),
        direction: ours.intersect(theirs.reversed()),
        held_by_peer: !theirs.receives(),
        held_locally: !ours.receives(),
    })
}
