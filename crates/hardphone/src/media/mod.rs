//! The audio engine at the edge: one thread owns the sound devices of the current audio path
//! (a deskphone has one handset, one speaker, one headset) and moves audio between them, every
//! call's sans-IO RTP session (`media::session`) and UDP socket, the call-progress tone and the
//! ringer.
//!
//! The capture device is the clock: every 20 ms period it delivers one frame of the microphone
//! (a sound card, or a WAV file or null device keeping real time the same way). Each period the
//! engine hands every call the datagrams its receiver thread stamped on arrival and pulls one
//! period of its decoded audio (each session resamples between its codec's rate and the
//! devices'), then mixes (`media::mix`): each call hears the microphone, or silence while
//! muted or held (its RTP keeps flowing at the normal rate: Asterisk hangs up a session whose
//! RTP stops); in a local conference each call also hears the other calls of the conference;
//! the path's output plays the sum of the calls we do not hold, the tone, and the ringtone
//! when the ringer is that same device, saturated, at the path's volume. The ringer otherwise
//! has a device of its own (`audio.ringer`, else the speaker's output), opened only while it
//! rings. With nothing to play or send the thread sleeps on its command channel with every
//! device closed; the mixing allocates nothing per period.
//!
//! The main loop drives it through [`AudioEngine`], whose methods only post commands: they
//! never wait for the thread.

use std::net::UdpSocket;
use std::sync::{mpsc, Arc, Mutex};

use audio::DeviceOpener;
use media::tones::{Region, Ringtone, Tone};
use phone::core::CallId;
use phone::device::{AudioPath, VolumeOf, DEFAULT_VOLUME, MAX_VOLUME};
use sdp::NegotiatedAudio;
use serde_json::{json, Value};

mod call;
mod devices;
mod engine;

pub use devices::{AudioDevices, PathDevices};
pub use phone::media::session_config;

use call::{receive_thread, NewCall};
use engine::{Board, Engine, EngineCommand, SharedBoard};

/// The audio engine's thread, as the main loop sees it. Dropping it stops every call's media
/// (RTCP BYE, the quality line in the log), closes the devices and waits for the thread.
#[derive(Debug)]
pub struct AudioEngine {
    commands: mpsc::Sender<EngineCommand>,
    thread: Option<std::thread::JoinHandle<()>>,
    board: SharedBoard,
    state: AudioState,
    /// The devices' rate: each call's session resamples between it and its codec's.
    rate: u32,
}

/// What the engine was last told, for `hardphone ctl status` and the front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioState {
    /// Where the call audio and tones go.
    pub path: AudioPath,
    /// The microphone is muted.
    pub muted: bool,
    /// The tone playing.
    pub tone: Option<Tone>,
    /// The ringtone ringing.
    pub ringing: Option<Ringtone>,
    /// The calls mixed in a local conference (one that fewer than two calls are left in has
    /// ended).
    pub conference: Vec<CallId>,
    /// The volumes: ringer, handset, speaker, headset.
    pub volumes: [(VolumeOf, u8); 4],
}

impl Default for AudioState {
    /// The handset path (a phone driven by `hardphone ctl` alone talks on it), unmuted, silent,
    /// every volume at [`DEFAULT_VOLUME`].
    fn default() -> AudioState {
        AudioState {
            path: AudioPath::Handset,
            muted: false,
            tone: None,
            ringing: None,
            conference: Vec::new(),
            volumes: [VolumeOf::Ringer, VolumeOf::Handset, VolumeOf::Speaker, VolumeOf::Headset]
                .map(|of| (of, DEFAULT_VOLUME)),
        }
    }
}

impl AudioEngine {
    /// Starts the engine's thread for `devices`, opened through `opener`. It opens no device
    /// until there is something to play or send.
    pub fn start(devices: AudioDevices, opener: Arc<DeviceOpener>) -> std::io::Result<AudioEngine> {
        let rate = devices.sample_rate;
        let (commands, receiver) = mpsc::channel();
        let board: SharedBoard = Arc::new(Mutex::new(Board::default()));
        let engine = Engine::new(devices, opener, board.clone());
        let thread = std::thread::Builder::new().name("audio".into()).spawn(move || engine.run(receiver))?;
        Ok(AudioEngine { commands, thread: Some(thread), board, state: AudioState::default(), rate })
    }

    /// Starts call `call`'s media on `socket` (the port our SDP named) with `negotiated`;
    /// `Err` when no agreed codec is one we run or the peer's address is not an IP address.
    /// Dropping the returned handle ends the call's media (RTCP BYE, the quality line in the
    /// log).
    pub fn start_call(
        &mut self,
        call: CallId,
        socket: UdpSocket,
        negotiated: &NegotiatedAudio,
    ) -> std::io::Result<CallHandle> {
        let config = session_config(negotiated, self.rate)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::Unsupported, "no usable codec or address"))?;
        let arrivals = receive_thread(&call.to_string(), socket.try_clone()?)?;
        let held = negotiated.held_locally;
        self.post(EngineCommand::AddCall(Box::new(NewCall { id: call, socket, arrivals, config, held })));
        Ok(CallHandle { call, commands: self.commands.clone() })
    }

    /// Follows a renegotiation of `call` (hold, resume, a new address or codec).
    pub fn update_call(&mut self, call: CallId, negotiated: &NegotiatedAudio) {
        self.post(EngineCommand::Update(call, Box::new(negotiated.clone())));
    }

    /// Sends `digits` on `call` as RFC 4733 events (the caller checked they were negotiated).
    pub fn send_dtmf(&mut self, call: CallId, digits: &str) {
        self.post(EngineCommand::Dtmf(call, digits.to_owned()));
    }

    /// Plays `tone` of `region` on the audio path, over any call audio, replacing any tone.
    pub fn play_tone(&mut self, tone: Tone, region: Region) {
        self.state.tone = Some(tone);
        self.post(EngineCommand::Tone(Some((tone, region))));
    }

    /// Stops the tone (a 4 ms fade).
    pub fn stop_tone(&mut self) {
        self.state.tone = None;
        self.post(EngineCommand::Tone(None));
    }

    /// Rings with `ringtone` at ringer volume `volume` (`0..=10`), replacing any ring.
    pub fn ring(&mut self, ringtone: Ringtone, volume: u8) {
        self.set_volume(VolumeOf::Ringer, volume);
        self.state.ringing = Some(ringtone);
        self.post(EngineCommand::Ring(Some(ringtone)));
    }

    /// Stops ringing.
    pub fn stop_ring(&mut self) {
        self.state.ringing = None;
        self.post(EngineCommand::Ring(None));
    }

    /// Moves the call audio and tones to `path`: its devices replace the previous path's at the
    /// next period; calls go on. With [`AudioPath::Off`] calls hear silence and nothing plays.
    pub fn set_audio_path(&mut self, path: AudioPath) {
        self.state.path = path;
        self.post(EngineCommand::Path(path));
    }

    /// Mutes (`true`) or unmutes the microphone: muted, every call is sent silence at the
    /// normal packet rate.
    pub fn set_mute(&mut self, muted: bool) {
        self.state.muted = muted;
        self.post(EngineCommand::Mute(muted));
    }

    /// Whether the microphone is muted.
    pub fn muted(&self) -> bool {
        self.state.muted
    }

    /// Sets volume `of` to `level` (`0..=10`, higher is taken as 10; 5 is unity gain, each step
    /// 2 dB, 0 is silence: `media::mix::Gain::from_volume`).
    pub fn set_volume(&mut self, of: VolumeOf, level: u8) {
        let level = level.min(MAX_VOLUME);
        if let Some(slot) = self.state.volumes.iter_mut().find(|(o, _)| *o == of) {
            slot.1 = level;
        }
        self.post(EngineCommand::Volume(of, level));
    }

    /// Volume `of`'s level.
    pub fn volume(&self, of: VolumeOf) -> u8 {
        self.state.volumes.iter().find(|(o, _)| *o == of).map_or(DEFAULT_VOLUME, |(_, level)| *level)
    }

    /// Mixes `calls` in a local three-way (or larger) conference: each hears us and the others;
    /// we hear them all. Calls outside it are not heard and hear silence. Empty: no conference.
    pub fn set_conference(&mut self, calls: &[CallId]) {
        if let Ok(mut board) = self.board.lock() {
            board.conference = calls.to_vec();
        }
        self.post(EngineCommand::Conference(calls.to_vec()));
    }

    /// `call`'s latest quality figures (updated every second): packets, loss, jitter,
    /// round-trip time, concealment and the E-model MOS.
    pub fn quality(&self, call: CallId) -> Option<Value> {
        self.board.lock().ok().and_then(|board| board.quality.get(&call).cloned())
    }

    /// What the engine was last told; the conference as it is now.
    pub fn state(&self) -> AudioState {
        let mut state = self.state.clone();
        state.conference = self.board.lock().map(|board| board.conference.clone()).unwrap_or_default();
        state
    }

    /// The audio state as JSON: path, muted, tone, ringing, conference, volumes.
    pub fn status_json(&self) -> Value {
        let s = &self.state();
        let volumes: serde_json::Map<String, Value> =
            s.volumes.iter().map(|(of, level)| (format!("{of:?}").to_ascii_lowercase(), json!(level))).collect();
        json!({
            "path": path_name(s.path),
            "muted": s.muted,
            "tone": s.tone.map(|t| format!("{t:?}")),
            "ringing": s.ringing.map(|r| format!("{r:?}")),
            "conference": s.conference.iter().map(|c| c.0).collect::<Vec<u64>>(),
            "volumes": volumes,
        })
    }

    fn post(&self, command: EngineCommand) {
        if self.commands.send(command).is_err() {
            tracing::warn!("the audio engine has stopped");
        }
    }
}

/// A call's media in the engine: dropping it ends them.
#[derive(Debug)]
pub struct CallHandle {
    call: CallId,
    commands: mpsc::Sender<EngineCommand>,
}

impl CallHandle {
    /// The call.
    pub fn call(&self) -> CallId {
        self.call
    }
}

impl Drop for CallHandle {
    fn drop(&mut self) {
        let _ = self.commands.send(EngineCommand::RemoveCall(self.call));
    }
}

/// `handset`, `speaker`, `headset` or `off`.
pub fn path_name(path: AudioPath) -> &'static str {
    match path {
        AudioPath::Off => "off",
        AudioPath::Handset => "handset",
        AudioPath::Speaker => "speaker",
        AudioPath::Headset => "headset",
    }
}

impl Drop for AudioEngine {
    fn drop(&mut self) {
        let _ = self.commands.send(EngineCommand::Shutdown);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
