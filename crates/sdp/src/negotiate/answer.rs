//! Answering a peer's offer (RFC 3264 §6).

use super::offer::{disabled_copy, push_format_attributes};
use super::{
    declared_direction, first_voice, is_auxiliary, remote_endpoints, send_ptime, Capabilities, Codec, LocalMedia,
    NegotiatedAudio, NegotiatedCodec,
};
use crate::attribute::Attribute;
use crate::error::{Error, NegotiationError};
use crate::model::{MediaDescription, MediaType, RtpFormat, SessionDescription};

/// Answers `offer` (RFC 3264 §6) and says what was agreed.
///
/// - The answer has the offer's `m=` lines in the same order and the offer's `t=` lines
///   (RFC 3264 §6); its `o=`, `c=` and audio port are `local`'s.
/// - The first audio stream that is active, unicast, uses one of our transports and shares a
///   voice codec with us is accepted. Every other stream (video, further audio streams, streams
///   offered with port 0) is rejected with port 0 and its first format (RFC 3264 §6, §8.2).
/// - The accepted stream lists the codecs both sides support in OUR order of preference, with the
///   OFFERER's payload type numbers (RFC 3264 §6.1 says the answerer SHOULD keep them), then one
///   telephone-event format if offered (any payload type; the clock rate of the first codec
///   preferred). Our order deviates from the RECOMMENDED "offer order" of §6.1 on purpose: the
///   offerer SHOULD send with the answer's first codec (§7) and we send with it too, so both
///   directions use our preferred codec.
/// - The direction is the offer's reversed and limited by `local.direction` (§6.1: sendonly →
///   recvonly, recvonly → sendonly, inactive → inactive; our own hold wish also counts). A
///   `c=0.0.0.0` offer is read as not wanting to receive (§8.4).
/// - `a=ptime` echoes the offered ptime (unless above our maxptime), else ours.
///
/// Returns `Ok((answer, None))` only when the offer has no active stream at all (e.g. the
/// media-less offer of RFC 4317 §5.1, answered with no media); when it has active streams but no
/// usable audio, the offer is rejected with [`NegotiationError::NoCommonCodec`] (SIP 488).
pub fn answer_offer(
    offer: &SessionDescription,
    caps: &Capabilities,
    local: &LocalMedia,
) -> Result<(SessionDescription, Option<NegotiatedAudio>), Error> {
    caps.validate()?;
    let mut answer = local.session();
    answer.timings = offer.timings.clone();
    let mut negotiated = None;
    for (index, offered) in offer.media.iter().enumerate() {
        let plan = if negotiated.is_none() { AudioPlan::new(offer, offered, caps) } else { None };
        match plan {
            Some(plan) => {
                let (media, audio) = plan.accept(offer, offered, index, caps, local)?;
                answer.media.push(media);
                negotiated = Some(audio);
            }
            None => answer.media.push(disabled_copy(offered)),
        }
    }
    if negotiated.is_none() && offer.media.iter().any(|m| m.port != 0) {
        return Err(NegotiationError::NoCommonCodec.into());
    }
    Ok((answer, negotiated))
}

/// What we would accept of one offered audio stream.
struct AudioPlan<'a> {
    /// Offered formats we support, in our order, with our codec for each.
    codecs: Vec<(RtpFormat, &'a Codec)>,
    /// The offered telephone-event format we accept.
    telephone_event: Option<RtpFormat>,
}

impl<'a> AudioPlan<'a> {
    /// `None` when the stream is not audio, disabled, multicast, of a transport we do not
    /// speak, or has no voice codec in common with us.
    fn new(offer: &SessionDescription, offered: &MediaDescription, caps: &'a Capabilities) -> Option<Self> {
        if offered.media_type != MediaType::Audio || offered.port == 0 || !caps.accepts_transport(&offered.proto) {
            return None;
        }
        if offer.effective_connection(offered)?.is_multicast() {
            return None;
        }
        let formats = offered.rtp_formats();
        let mut codecs: Vec<(RtpFormat, &Codec)> = Vec::new();
        for codec in &caps.codecs {
            let found = formats
                .iter()
                .find(|f| !f.is_telephone_event() && f.same_codec(&codec.name, codec.clock_rate, codec.channels));
            if let Some(format) = found {
                if !codecs.iter().any(|(taken, _)| taken.payload_type == format.payload_type) {
                    codecs.push((format.clone(), codec));
                }
            }
        }
        let voice_rate = codecs.iter().find(|(_, codec)| !is_auxiliary(&codec.name))?.1.clock_rate;
        let telephone_event = caps.telephone_event.as_ref().and_then(|cap| {
            let events = || formats.iter().filter(|f| f.is_telephone_event());
            events().find(|f| f.clock_rate == voice_rate).or_else(|| events().find(|f| f.clock_rate == cap.clock_rate))
        });
        Some(AudioPlan { codecs, telephone_event: telephone_event.cloned() })
    }

    /// Our answer's audio section and the negotiated result.
    fn accept(
        self,
        offer: &SessionDescription,
        offered: &MediaDescription,
        index: usize,
        caps: &Capabilities,
        local: &LocalMedia,
    ) -> Result<(MediaDescription, NegotiatedAudio), Error> {
        let peer_direction = declared_direction(offer, offered);
        let direction = peer_direction.reversed().intersect(local.direction);
        let rtcp_mux = caps.rtcp_mux && offered.rtcp_mux();
        let mut media = MediaDescription::new(MediaType::Audio, local.port, offered.proto.clone(), Vec::new());
        let mut codecs = Vec::with_capacity(self.codecs.len());
        for (format, codec) in &self.codecs {
            add_format(&mut media, format, codec.fmtp.clone());
            codecs.push(agreed(&codec.name, format));
        }
        let telephone_event = self.telephone_event.map(|format| {
            add_format(&mut media, &format, caps.telephone_event.as_ref().and_then(|cap| cap.fmtp.clone()));
            agreed("telephone-event", &format)
        });
        let echoed = offered.ptime().filter(|&ptime| caps.maxptime.is_none_or(|max| ptime <= max));
        media.attributes.push(Attribute::Ptime(echoed.unwrap_or(caps.ptime)));
        if let Some(max) = caps.maxptime {
            media.attributes.push(Attribute::MaxPtime(max));
        }
        media.attributes.push(Attribute::Direction(direction));
        if rtcp_mux {
            media.attributes.push(Attribute::RtcpMux);
        }
        let (remote_rtp, remote_rtcp) = remote_endpoints(offer, offered, index, rtcp_mux)?;
        let codec = first_voice(&codecs).cloned().ok_or(NegotiationError::NoCommonCodec)?;
        let audio = NegotiatedAudio {
            media_index: index,
            remote_rtp,
            remote_rtcp,
            rtcp_mux,
            codec,
            codecs,
            telephone_event,
            ptime: send_ptime(offered, caps.ptime),
            remote_maxptime: offered.maxptime(),
            direction,
            held_by_peer: !peer_direction.receives(),
            held_locally: !local.direction.receives(),
        };
        Ok((media, audio))
    }
}

/// Lists an offered format in our answer: its payload type and encoding as offered, our fmtp.
fn add_format(media: &mut MediaDescription, offered: &RtpFormat, our_fmtp: Option<String>) {
    media.formats.push(offered.payload_type.to_string());
    push_format_attributes(media, &RtpFormat { fmtp: our_fmtp, ..offered.clone() });
}

/// An agreed codec when we answer: the offer's payload type both ways (RFC 3264 §6.1), the
/// offerer's fmtp.
fn agreed(name: &str, offered: &RtpFormat) -> NegotiatedCodec {
    NegotiatedCodec {
        name: name.to_owned(),
        clock_rate: offered.clock_rate,
        channels: offered.channel_count(),
        payload_type: offered.payload_type,
        receive_payload_type: offered.payload_type,
        fmtp: offered.fmtp.clone(),
    }
}
