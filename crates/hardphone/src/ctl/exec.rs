//! Carrying out control requests against the core, and what the edge knows besides it: each
//! account's last registration state, and each call's RTP socket and negotiated media.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::Instant;

use phone::core::{CallId, CallInfo, CallState, Core};
use sdp::NegotiatedAudio;
use serde_json::{json, Value};

use super::{error, Request};

/// One call's media at the edge: its RTP socket (bound before the SDP names its port) and
/// what was negotiated.
#[derive(Debug)]
pub struct CallMedia {
    /// The RTP socket.
    pub socket: UdpSocket,
    /// The negotiated audio, once known.
    pub negotiated: Option<NegotiatedAudio>,
}

/// What the edge keeps for the control interface and the media.
#[derive(Debug, Default)]
pub struct EdgeState {
    /// Each account's last registration state line.
    pub accounts: BTreeMap<usize, (String, String)>,
    /// The media of each call.
    pub media: BTreeMap<CallId, CallMedia>,
    /// The IP address RTP sockets bind to (the SIP listening address).
    pub bind_ip: Option<IpAddr>,
}

impl EdgeState {
    /// Binds an RTP socket for a new call (RFC 3550 §11 prefers an even port; any free port
    /// works with symmetric RTP) and returns its port.
    pub fn bind_media(&mut self) -> std::io::Result<(UdpSocket, u16)> {
        let ip = self.bind_ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0))?;
        let port = socket.local_addr()?.port();
        Ok((socket, port))
    }
}

/// Carries out `request`; the answer is one JSON value.
pub fn execute(core: &mut Core, edge: &mut EdgeState, request: Request) -> Value {
    let now = Instant::now();
    let calls = core.calls();
    match request {
        Request::Status => status(core, edge),
        Request::Dial { uri, account } => {
            let account = account.or_else(|| core.accounts().first().map(|a| a.index));
            let Some(account) = account else { return error("no account to dial from") };
            let (socket, port) = match edge.bind_media() {
                Ok(bound) => bound,
                Err(e) => return error(format!("cannot open an RTP socket: {e}")),
            };
            match core.dial(now, account, &uri, port) {
                Ok(call) => {
                    edge.media.insert(call, CallMedia { socket, negotiated: None });
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
            done(core.set_hold(now, call, true), call)
        }
        Request::Resume(call) => {
            let Some(call) = pick(&calls, call, |s| *s == CallState::Held) else { return error("no held call") };
            done(core.set_hold(now, call, false), call)
        }
        Request::Dtmf { .. } => error("DTMF needs the media engine, which is not wired into the phone yet"),
        Request::Transfer { uri, call } => {
            let Some(call) = pick(&calls, call, |s| *s == CallState::Active) else { return error("no active call") };
            done(core.transfer(now, call, &uri), call)
        }
    }
}

/// Answers `call` from a new RTP socket.
pub fn answer(core: &mut Core, edge: &mut EdgeState, call: CallId) -> Value {
    let (socket, port) = match edge.bind_media() {
        Ok(bound) => bound,
        Err(e) => return error(format!("cannot open an RTP socket: {e}")),
    };
    match core.answer(Instant::now(), call, port) {
        Ok(()) => {
            edge.media.insert(call, CallMedia { socket, negotiated: None });
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
            edge.media.insert(call, CallMedia { socket, negotiated: None });
            json!({ "ok": true, "call": call.0 })
        }
        Err(e) => error(e),
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

/// `{"ok":true,"accounts":[...],"calls":[...]}`.
fn status(core: &Core, edge: &EdgeState) -> Value {
    let accounts: Vec<Value> = core
        .accounts()
        .iter()
        .map(|a| {
            let state = edge.accounts.get(&a.index).map(|(_, s)| s.as_str()).unwrap_or("starting");
            json!({ "index": a.index, "label": a.label, "server": a.server, "state": state })
        })
        .collect();
    let calls: Vec<Value> = core
        .calls()
        .iter()
        .map(|c| {
            let media = edge.media.get(&c.id).and_then(|m| m.negotiated.as_ref());
            json!({
                "id": c.id.0,
                "account": c.account,
                "remote": c.remote,
                "direction": if c.outgoing { "outgoing" } else { "incoming" },
                "state": state_name(&c.state),
                "codec": media.map(|m| m.codec.name.clone()),
                "remote_rtp": media.map(|m| format!("{:?}:{}", m.remote_rtp.host, m.remote_rtp.port)),
            })
        })
        .collect();
    json!({ "ok": true, "accounts": accounts, "calls": calls })
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
