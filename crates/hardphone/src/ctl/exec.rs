//! Carrying out control requests against the core, and what the edge knows besides it: each
//! account's last registration state, each call's RTP socket and negotiated media, and the
//! audio engine (tones, ringer, audio path, mute, volumes, conference, every call's media).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Instant;

use audio::DeviceOpener;
use media::tones::Region;
use phone::core::{CallId, CallInfo, CallState, Core};
use sdp::NegotiatedAudio;
use serde_json::{json, Value};

use super::{error, Request};
use crate::media::{AudioDevices, AudioEngine, CallHandle};

/// One call's media at the edge: its RTP socket (bound before the SDP names its port; handed
/// to the audio engine when the stream is negotiated), what was negotiated, and the engine's
/// handle of it (dropping it ends the call's media).
#[derive(Debug)]
pub struct CallMedia {
    /// The RTP socket, until the audio engine takes it.
    pub socket: Option<UdpSocket>,
    /// The negotiated audio, once known.
    pub negotiated: Option<NegotiatedAudio>,
    /// The call's media in the audio engine, once started.
    pub engine: Option<CallHandle>,
    /// The microphone was muted by this call's hold (an agent session: RTP keeps flowing).
    pub muted: bool,
}

impl CallMedia {
    fn new(socket: UdpSocket) -> CallMedia {
        CallMedia { socket: Some(socket), negotiated: None, engine: None, muted: false }
    }
}

/// What the edge keeps for the control interface and the media.
#[derive(Debug)]
pub struct EdgeState {
    /// Each account's last registration state line.
    pub accounts: BTreeMap<usize, (String, String)>,
    /// The media of each call.
    pub media: BTreeMap<CallId, CallMedia>,
    /// The IP address RTP sockets bind to (the SIP listening address).
    pub bind_ip: Option<IpAddr>,
    /// The SIP listening address (for the local address of direct calls).
    pub listen: SocketAddr,
    /// The audio engine: call the audio methods of the deskphone's `DeviceOutput`s on it
    /// (`play_tone`, `ring`, `set_audio_path`, `set_mute`, `set_volume`, `set_conference`).
    pub audio: AudioEngine,
    /// Whose call-progress tones `hardphone ctl tone` plays (`audio.tone_region`).
    pub tone_region: Region,
    /// The provisioning's state, for `ctl status` (kept current by the loop).
    pub provisioning: Option<crate::provision::ProvisioningStatus>,
    /// A NOTIFY `Event: check-sync` came from this account's registrar: the loop hands it to
    /// the provisioning (`Provisioning::check_sync`).
    pub check_sync: Option<usize>,
}

impl EdgeState {
    /// The edge's state for the `[audio]` settings (an unparsable device name is `null`); starts
    /// the audio engine's thread, which opens no device until it has something to do.
    pub fn new(audio: &phone::config::AudioSettings) -> std::io::Result<EdgeState> {
        let devices = AudioDevices::from_settings(audio);
        Ok(EdgeState {
            accounts: BTreeMap::new(),
            media: BTreeMap::new(),
            bind_ip: None,
            listen: SocketAddr::from(([0, 0, 0, 0], 5060)),
            audio: AudioEngine::start(devices, Arc::new(DeviceOpener::default()))?,
            tone_region: region(audio.tone_region),
            provisioning: None,
            check_sync: None,
        })
    }

    /// A call's stream was negotiated, renegotiated (`Some`) or ended (`None`): start, update
    /// or stop its media in the audio engine.
    pub fn media_changed(&mut self, call: CallId, negotiated: Option<NegotiatedAudio>) {
        let Some(slot) = self.media.get_mut(&call) else { return };
        slot.negotiated = negotiated.clone();
        match (negotiated, slot.engine.is_some()) {
            (None, _) => slot.engine = None,
            (Some(negotiated), true) => self.audio.update_call(call, &negotiated),
            (Some(negotiated), false) => {
                let Some(socket) = slot.socket.take() else { return };
                match self.audio.start_call(call, socket, &negotiated) {
                    Ok(handle) => slot.engine = Some(handle),
                    Err(error) => tracing::warn!(%call, %error, "media not started"),
                }
            }
        }
    }

    /// Sends `digits` on `call` in its RTP stream (RFC 4733) when telephone-events were agreed
    /// on the clock of the codec we send and its media runs; false otherwise: then the caller
    /// sends them by SIP INFO (`Core::send_dtmf_info`).
    pub fn send_dtmf(&mut self, call: CallId, digits: &str) -> bool {
        let Some(media) = self.media.get(&call) else { return false };
        let in_rtp = media.negotiated.as_ref().is_some_and(phone::media::dtmf_in_rtp);
        if !in_rtp || media.engine.is_none() {
            return false;
        }
        self.audio.send_dtmf(call, digits);
        true
    }

    /// Binds an RTP socket for a new call (RFC 3550 §11 prefers an even port; any free port
    /// works with symmetric RTP) and returns its port.
    pub fn bind_media(&mut self) -> std::io::Result<(UdpSocket, u16)> {
        let ip = self.bind_ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0))?;
        let port = socket.local_addr()?.port();
        Ok((socket, port))
    }
}

/// The tone plan of a configured region.
pub fn region(region: phone::config::ToneRegion) -> Region {
    match region {
        phone::config::ToneRegion::Us => Region::Us,
        phone::config::ToneRegion::Uk => Region::Uk,
        phone::config::ToneRegion::Eu => Region::Eu,
    }
}

/// Carries out `request`; the answer is one JSON value.
pub fn execute(core: &mut Core, edge: &mut EdgeState, request: Request) -> Value {
    let now = Instant::now();
    let calls = core.calls();
    match request {
        Request::Status => status(core, edge),
        Request::Dial { uri, account } => {
            let direct = phone::core::direct_target(&uri);
            let account = account.or_else(|| core.accounts().first().map(|a| a.index));
            if account.is_none() && direct.is_none() {
                return error("no account to dial from (dial sip:user@IP for a direct call)");
            }
            let (socket, port) = match edge.bind_media() {
                Ok(bound) => bound,
                Err(e) => return error(format!("cannot open an RTP socket: {e}")),
            };
            let placed = match (direct, account) {
                (Some(to), _) => core.dial_direct(now, &uri, crate::run::local_address_to(to, edge.listen), port),
                (None, Some(account)) => core.dial(now, account, &uri, port),
                (None, None) => unreachable!("checked above"),
            };
            match placed {
                Ok(call) => {
                    edge.media.insert(call, CallMedia::new(socket));
                    json!({ "ok": true, "call": call.0 })
                }
                Err(e) => error(e),
            }
        }
        Request::Answer(call) => {
            let Some(call) = pick(&calls, call, |s| *s == CallState::Incoming) else { return error("no ringing call") };
            answer(core, edge, call)
        }
        Request::Hangup(call) => {
            let Some(call) = pick(&calls, call, |s| !matches!(s, CallState::Ended(_))) else {
                return error("no call to hang up");
            };
            done(core.hangup(now, call), call)
        }
        Request::Hold(call) => {
            let Some(call) = pick(&calls, call, |s| *s == CallState::Active) else { return error("no active call") };
            match core.set_hold(now, call, true) {
                Err(phone::CoreError::AgentSession(_)) => mute(edge, call, true),
                result => done(result, call),
            }
        }
        Request::Resume(call) => {
            let muted = |id: CallId| edge.media.get(&id).is_some_and(|m| m.muted);
            let agent = calls.iter().rev().find(|c| c.agent_session && muted(c.id)).map(|c| c.id.0);
            let named = call.or(agent);
            let Some(call) = pick(&calls, named, |s| *s == CallState::Held) else { return error("no held call") };
            match core.set_hold(now, call, false) {
                Err(phone::CoreError::AgentSession(_)) => mute(edge, call, false),
                result => done(result, call),
            }
        }
        Request::Dtmf { digits, call } => {
            let Some(call) = pick(&calls, call, |s| *s == CallState::Active) else { return error("no active call") };
            if edge.send_dtmf(call, &digits) {
                return json!({ "ok": true, "call": call.0, "via": "rtp" });
            }
            match core.send_dtmf_info(now, call, &digits) {
                Ok(()) => json!({ "ok": true, "call": call.0, "via": "info" }),
                Err(e) => error(e),
            }
        }
        Request::Transfer { uri, call } => {
            // `transfer call-N` is an attended transfer to call N (the consultation call): the
            // call transferred is the held one unless named.
            if let Some(consult) = uri.strip_prefix("call-").and_then(|n| n.parse::<u64>().ok()) {
                let Some(call) = pick(&calls, call, |s| *s == CallState::Held) else { return error("no held call") };
                return done(core.attended_transfer(now, call, CallId(consult)), call);
            }
            let Some(call) = pick(&calls, call, |s| *s == CallState::Active) else { return error("no active call") };
            done(core.transfer(now, call, &uri), call)
        }
        audio => execute_audio(core, edge, audio),
    }
}

/// Carries out the audio requests: mute, unmute, conference, tone, ring, path, volume.
fn execute_audio(core: &mut Core, edge: &mut EdgeState, request: Request) -> Value {
    match request {
        Request::Mute => edge.audio.set_mute(true),
        Request::Unmute => edge.audio.set_mute(false),
        Request::Conference(numbers) => {
            let calls = core.calls();
            let mut ids = Vec::with_capacity(numbers.len());
            for number in numbers {
                let Some(call) = calls.iter().find(|c| c.id.0 == number && !matches!(c.state, CallState::Ended(_)))
                else {
                    return error(format!("no call {number}"));
                };
                if call.state == CallState::Held {
                    if let Err(e) = core.set_hold(Instant::now(), call.id, false) {
                        return error(e);
                    }
                }
                ids.push(call.id);
            }
            edge.audio.set_conference(&ids);
        }
        Request::Tone(Some(tone)) => edge.audio.play_tone(tone, edge.tone_region),
        Request::Tone(None) => edge.audio.stop_tone(),
        Request::Ring(Some(ringtone)) => {
            let volume = edge.audio.volume(phone::device::VolumeOf::Ringer);
            edge.audio.ring(ringtone, volume);
        }
        Request::Ring(None) => edge.audio.stop_ring(),
        Request::Path(path) => edge.audio.set_audio_path(path),
        Request::Volume { of, level } => edge.audio.set_volume(of, level),
        other => return error(format!("not an audio request: {other:?}")),
    }
    json!({ "ok": true, "muted": edge.audio.muted(), "audio": edge.audio.status_json() })
}

/// Answers `call` from a new RTP socket.
pub fn answer(core: &mut Core, edge: &mut EdgeState, call: CallId) -> Value {
    let (socket, port) = match edge.bind_media() {
        Ok(bound) => bound,
        Err(e) => return error(format!("cannot open an RTP socket: {e}")),
    };
    match core.answer(Instant::now(), call, port) {
        Ok(()) => {
            edge.media.insert(call, CallMedia::new(socket));
            json!({ "ok": true, "call": call.0 })
        }
        Err(e) => error(e),
    }
}

/// Places the call a REFER on `referred_by` asked for, from a new RTP socket.
pub fn dial_for_transfer(core: &mut Core, edge: &mut EdgeState, referred_by: CallId, target: &str) -> Value {
    let (socket, port) = match edge.bind_media() {
        Ok(bound) => bound,
        Err(e) => return error(format!("cannot open an RTP socket: {e}")),
    };
    match core.dial_for_transfer(Instant::now(), referred_by, target, port) {
        Ok(call) => {
            edge.media.insert(call, CallMedia::new(socket));
            json!({ "ok": true, "call": call.0 })
        }
        Err(e) => error(e),
    }
}

/// An agent session's hold and resume: the microphone is muted or unmuted, RTP keeps flowing.
fn mute(edge: &mut EdgeState, call: CallId, muted: bool) -> Value {
    match edge.media.get_mut(&call) {
        Some(media) => {
            media.muted = muted;
            edge.audio.set_mute(muted);
            json!({ "ok": true, "call": call.0, "muted": muted })
        }
        None => error("the call has no media"),
    }
}

fn done(result: Result<(), phone::CoreError>, call: CallId) -> Value {
    match result {
        Ok(()) => json!({ "ok": true, "call": call.0 }),
        Err(e) => error(e),
    }
}

/// The call named, or else the newest one whose state `fits`.
fn pick(calls: &[CallInfo], named: Option<u64>, fits: impl Fn(&CallState) -> bool) -> Option<CallId> {
    match named {
        Some(n) => calls.iter().find(|c| c.id.0 == n).map(|c| c.id),
        None => calls.iter().rev().find(|c| fits(&c.state)).map(|c| c.id),
    }
}

/// `{"ok":true,"accounts":[...],"calls":[...],"provisioning":{...}}`.
fn status(core: &Core, edge: &EdgeState) -> Value {
    let accounts: Vec<Value> = core
        .accounts()
        .iter()
        .map(|a| {
            let state = edge.accounts.get(&a.index).map(|(_, s)| s.as_str()).unwrap_or("starting");
            let mwi =
                core.message_waiting(a.index).map(|m| json!({ "waiting": m.waiting, "new": m.new, "old": m.old }));
            json!({ "index": a.index, "label": a.label, "server": a.server, "state": state, "message_waiting": mwi })
        })
        .collect();
    let calls: Vec<Value> = core
        .calls()
        .iter()
        .map(|c| {
            let media = edge.media.get(&c.id).and_then(|m| m.negotiated.as_ref());
            let quality = edge.audio.quality(c.id);
            json!({
                "id": c.id.0,
                "account": c.account,
                "remote": c.remote,
                "direction": if c.outgoing { "outgoing" } else { "incoming" },
                "state": state_name(&c.state),
                "codec": media.map(|m| m.codec.name.clone()),
                "remote_rtp": media.map(|m| format!("{:?}:{}", m.remote_rtp.host, m.remote_rtp.port)),
                "quality": quality,
                "agent_session": c.agent_session,
                "muted": edge.media.get(&c.id).is_some_and(|m| m.muted),
            })
        })
        .collect();
    let provisioning = edge.provisioning.as_ref().map(|p| p.to_json(Instant::now()));
    json!({
        "ok": true,
        "accounts": accounts,
        "calls": calls,
        "muted": edge.audio.muted(),
        "audio": edge.audio.status_json(),
        "provisioning": provisioning,
    })
}

/// A call state as one word (plus the reason of an ended call).
pub fn state_name(state: &CallState) -> String {
    match state {
        CallState::Dialing => "dialing".into(),
        CallState::Ringing { early_media: false } => "ringing".into(),
        CallState::Ringing { early_media: true } => "early-media".into(),
        CallState::Incoming => "incoming".into(),
        CallState::Active => "active".into(),
        CallState::Held => "held".into(),
        CallState::RemoteHold => "remote-hold".into(),
        CallState::Ended(reason) => format!("ended: {reason:?}"),
        _ => "unknown".into(),
    }
}
