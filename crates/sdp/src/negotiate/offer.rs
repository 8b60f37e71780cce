//! Building our offers (RFC 3264 §5) and re-offers (RFC 3264 §8).

use super::{next_version, Capabilities, LocalMedia};
use crate::attribute::{Attribute, Direction, Fmtp, RtpMap};
use crate::error::{Error, UsageError};
use crate::model::{MediaDescription, MediaType, RtpFormat, SessionDescription};
use crate::payload::{static_payload, static_payload_type, DYNAMIC_MIN, PAYLOAD_TYPE_MAX};

/// Builds an initial offer (RFC 3264 §5.1): our `o=` and `c=`, `t=0 0`, and one audio `m=` line
/// listing our codecs in preference order, then telephone-event, each with `a=rtpmap` (also for
/// static payload types) and `a=fmtp`, followed by `a=ptime`, `a=maxptime` (when set), the
/// direction, and `a=rtcp-mux` (when enabled).
pub fn make_offer(caps: &Capabilities, local: &LocalMedia) -> Result<SessionDescription, Error> {
    caps.validate()?;
    let formats = assign_payload_types(caps, None)?;
    let mut offer = local.session();
    offer.media.push(audio_section(caps, local.port, local.direction, &formats)?);
    Ok(offer)
}

/// Builds our next offer in a session (RFC 3264 §8), after `previous_local`, the last SDP we
/// sent (offer or answer).
///
/// - The `o=` line is the previous one; its version goes up by one only if the content changed
///   (see [`next_version`]); `local`'s session id and version are not used.
/// - Every previous `m=` line keeps its slot (RFC 3264 §8: the count never decreases). The audio
///   stream takes the slot of the previous active audio stream, else of a disabled audio stream
///   (RFC 3264 §8.1), else is appended. Every other slot is written disabled, port 0 with one
///   format (RFC 3264 §8.2).
/// - A codec that had a payload type in the previous audio stream keeps it, and no payload type
///   of that stream is reused for another codec (RFC 3264 §8.3.2).
pub fn make_reoffer(
    previous_local: &SessionDescription,
    caps: &Capabilities,
    local: &LocalMedia,
) -> Result<SessionDescription, Error> {
    caps.validate()?;
    let slot = audio_slot(previous_local);
    let previous_audio = slot.and_then(|index| previous_local.media.get(index));
    let formats = assign_payload_types(caps, previous_audio)?;
    let audio = audio_section(caps, local.port, local.direction, &formats)?;
    let mut offer = local.session();
    offer.media = previous_local.media.iter().map(disabled_copy).collect();
    match slot.and_then(|index| offer.media.get_mut(index)) {
        Some(media) => *media = audio,
        None => offer.media.push(audio),
    }
    Ok(next_version(previous_local, offer))
}

/// The slot of the audio stream in `previous`: the first active audio stream, else the first
/// disabled one.
fn audio_slot(previous: &SessionDescription) -> Option<usize> {
    let audio = |m: &&MediaDescription| m.media_type == MediaType::Audio;
    let active = previous.media.iter().position(|m| audio(&m) && m.port != 0);
    active.or_else(|| previous.media.iter().position(|m| audio(&m)))
}

/// A stream as it is written once disabled: port 0, one format, no attributes (RFC 3264 §8.2).
pub(super) fn disabled_copy(media: &MediaDescription) -> MediaDescription {
    let formats = media.formats.first().cloned().into_iter().collect();
    MediaDescription::new(media.media_type.clone(), 0, media.proto.clone(), formats)
}

/// Our codecs (then telephone-event) with the payload types they get in our offer.
fn assign_payload_types(caps: &Capabilities, previous: Option<&MediaDescription>) -> Result<Vec<RtpFormat>, Error> {
    let previous: Vec<RtpFormat> = previous.map(MediaDescription::rtp_formats).unwrap_or_default();
    let mut taken: Vec<u8> = previous.iter().map(|f| f.payload_type).collect();
    let mut wanted: Vec<RtpFormat> = caps
        .codecs
        .iter()
        .map(|c| format_of(c.preferred_pt, &c.name, c.clock_rate, c.channels, c.fmtp.as_deref()))
        .collect();
    if let Some(events) = &caps.telephone_event {
        wanted.push(format_of(events.preferred_pt, "telephone-event", events.clock_rate, 1, events.fmtp.as_deref()));
    }
    let mut assigned: Vec<RtpFormat> = Vec::with_capacity(wanted.len());
    for mut format in wanted {
        let (name, rate, channels) = (format.encoding_name.as_str(), format.clock_rate, format.channel_count());
        if assigned.iter().any(|a| a.same_codec(name, rate, channels)) {
            continue;
        }
        let pt = match previous.iter().find(|p| p.same_codec(name, rate, channels)) {
            Some(earlier) => earlier.payload_type,
            None => choose_payload_type(&format, &taken)?,
        };
        taken.push(pt);
        format.payload_type = pt;
        assigned.push(format);
    }
    Ok(assigned)
}

fn format_of(pt: u8, name: &str, clock_rate: u32, channels: u16, fmtp: Option<&str>) -> RtpFormat {
    RtpFormat {
        payload_type: pt,
        encoding_name: name.to_owned(),
        clock_rate,
        channels: Some(channels),
        fmtp: fmtp.map(str::to_owned),
    }
}

/// The preferred payload type if it is free and is either dynamic or this codec's static
/// assignment (RFC 3551 §6); else the codec's static payload type if free; else the first free
/// dynamic one (96–127).
fn choose_payload_type(format: &RtpFormat, taken: &[u8]) -> Result<u8, Error> {
    let (name, rate, channels) = (format.encoding_name.as_str(), format.clock_rate, format.channel_count());
    let preferred = format.payload_type;
    let static_match = static_payload(preferred).is_some_and(|s| {
        s.encoding_name.eq_ignore_ascii_case(name) && s.clock_rate == rate && s.channels.unwrap_or(1) == channels
    });
    if !taken.contains(&preferred) && (preferred >= DYNAMIC_MIN || static_match) {
        return Ok(preferred);
    }
    if let Some(pt) = static_payload_type(name, rate, channels).filter(|pt| !taken.contains(pt)) {
        return Ok(pt);
    }
    (DYNAMIC_MIN..=PAYLOAD_TYPE_MAX).find(|pt| !taken.contains(pt)).ok_or_else(|| UsageError::NoFreePayloadType.into())
}

/// The audio `m=` section of an offer.
fn audio_section(
    caps: &Capabilities,
    port: u16,
    direction: Direction,
    formats: &[RtpFormat],
) -> Result<MediaDescription, Error> {
    let proto = caps.transports.first().ok_or(UsageError::NoTransport)?;
    let pts = formats.iter().map(|f| f.payload_type.to_string()).collect();
    let mut media = MediaDescription::new(MediaType::Audio, port, proto.clone(), pts);
    for format in formats {
        push_format_attributes(&mut media, format);
    }
    media.attributes.push(Attribute::Ptime(caps.ptime));
    if let Some(max) = caps.maxptime {
        media.attributes.push(Attribute::MaxPtime(max));
    }
    media.attributes.push(Attribute::Direction(direction));
    if caps.rtcp_mux {
        media.attributes.push(Attribute::RtcpMux);
    }
    Ok(media)
}

/// `a=rtpmap` (channels written only when not one, RFC 8866 §6.6) and `a=fmtp` for a format.
pub(super) fn push_format_attributes(media: &mut MediaDescription, format: &RtpFormat) {
    media.attributes.push(Attribute::RtpMap(RtpMap {
        payload_type: format.payload_type,
        encoding_name: format.encoding_name.clone(),
        clock_rate: format.clock_rate,
        channels: format.channels.filter(|&c| c != 1),
    }));
    if let Some(params) = &format.fmtp {
        media
            .attributes
            .push(Attribute::Fmtp(Fmtp { format: format.payload_type.to_string(), params: params.clone() }));
    }
}
