//! The audio engine's thread: one loop per period over the devices of the audio path, every
//! call, the tone and the ringer.

use std::collections::BTreeMap;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use audio::{AudioFormat, DeviceOpener};
use media::mix::{CallMix, Gain};
use media::tones::{Region, Ringtone, Tone, ToneGenerator};
use phone::core::CallId;
use phone::device::{AudioPath, VolumeOf, DEFAULT_VOLUME};
use sdp::NegotiatedAudio;
use tracing::warn;

use super::call::{CallAudio, NewCall};
use super::devices::{AudioDevices, Devices};

/// The engine's period: one capture read, one packet of a 20 ms call, one playback write.
pub(super) const PERIOD: Duration = Duration::from_millis(20);

/// What the edge tells the engine.
#[derive(Debug)]
pub(super) enum EngineCommand {
    /// A call's stream is up: run its media.
    AddCall(Box<NewCall>),
    /// A call's stream was renegotiated.
    Update(CallId, Box<NegotiatedAudio>),
    /// A call's media ended.
    RemoveCall(CallId),
    /// Send RFC 4733 DTMF on a call.
    Dtmf(CallId, String),
    /// Play this tone on the audio path (replacing any), or stop the tone.
    Tone(Option<(Tone, Region)>),
    /// Ring with this ringtone (replacing any), or stop ringing.
    Ring(Option<Ringtone>),
    /// Route the call audio and tones here.
    Path(AudioPath),
    /// Mute or unmute the microphone.
    Mute(bool),
    /// Set a volume, `0..=10`.
    Volume(VolumeOf, u8),
    /// Mix these calls together (empty: no conference).
    Conference(Vec<CallId>),
    /// Stop every call and close the devices.
    Shutdown,
}

/// What the engine shares with its handle.
#[derive(Debug, Default)]
pub(super) struct Board {
    /// Call quality figures by call, refreshed every second by the engine.
    pub quality: BTreeMap<CallId, serde_json::Value>,
    /// The conference: set by the handle, pruned by the engine as calls end.
    pub conference: Vec<CallId>,
}

/// The [`Board`] as both sides hold it.
pub(super) type SharedBoard = Arc<Mutex<Board>>;

/// The volumes, by [`VolumeOf`].
#[derive(Debug, Clone, Copy)]
struct Volumes {
    ringer: u8,
    handset: u8,
    speaker: u8,
    headset: u8,
}

impl Volumes {
    fn set(&mut self, of: VolumeOf, level: u8) {
        match of {
            VolumeOf::Ringer => self.ringer = level,
            VolumeOf::Handset => self.handset = level,
            VolumeOf::Speaker => self.speaker = level,
            VolumeOf::Headset => self.headset = level,
        }
    }

    /// The gain of what the path plays (calls and tones); silence with the path off.
    fn path_gain(&self, path: AudioPath) -> Gain {
        match path {
            AudioPath::Off => Gain::SILENT,
            AudioPath::Handset => Gain::from_volume(self.handset),
            AudioPath::Speaker => Gain::from_volume(self.speaker),
            AudioPath::Headset => Gain::from_volume(self.headset),
        }
    }
}

/// Scratch buffers of one period, made once.
struct Buffers {
    mic: Vec<i16>,
    tone: Vec<i16>,
    ring: Vec<i16>,
    out: Vec<i16>,
    mix: CallMix,
}

impl Buffers {
    fn new(period: usize) -> Buffers {
        Buffers {
            mic: vec![0; period],
            tone: vec![0; period],
            ring: vec![0; period],
            out: vec![0; period],
            mix: CallMix::new(period),
        }
    }
}

/// Everything the engine's thread owns.
pub(super) struct Engine {
    specs: AudioDevices,
    devices: Devices,
    period: usize,
    path: AudioPath,
    calls: Vec<CallAudio>,
    conference: Vec<CallId>,
    muted: bool,
    volumes: Volumes,
    tone: Option<ToneGenerator>,
    ring: Option<ToneGenerator>,
    buffers: Buffers,
    board: SharedBoard,
    next_report: Instant,
}

impl Engine {
    pub fn new(specs: AudioDevices, opener: Arc<DeviceOpener>, board: SharedBoard) -> Engine {
        let format = AudioFormat::mono_ms(specs.sample_rate, PERIOD.as_millis() as u32);
        let period = format.period_samples();
        Engine {
            devices: Devices { opener, format, path: None, ringer: None },
            specs,
            period,
            path: AudioPath::Handset,
            calls: Vec::new(),
            conference: Vec::new(),
            muted: false,
            volumes: Volumes {
                ringer: DEFAULT_VOLUME,
                handset: DEFAULT_VOLUME,
                speaker: DEFAULT_VOLUME,
                headset: DEFAULT_VOLUME,
            },
            tone: None,
            ring: None,
            buffers: Buffers::new(period),
            board,
            next_report: Instant::now(),
        }
    }

    /// The thread's loop: idle (blocked on the commands, no device open) while there is nothing
    /// to play or send; otherwise one [`Engine::tick`] per period.
    pub fn run(mut self, commands: mpsc::Receiver<EngineCommand>) {
        'run: loop {
            if !self.busy() {
                self.devices.close_all();
                let Ok(command) = commands.recv() else { break };
                if !self.handle(command) {
                    break;
                }
                continue;
            }
            loop {
                match commands.try_recv() {
                    Ok(command) => {
                        if !self.handle(command) {
                            break 'run;
                        }
                    }
                    Err(mpsc::TryRecvError::Disconnected) => break 'run,
                    Err(mpsc::TryRecvError::Empty) => break,
                }
            }
            if self.busy() {
                self.tick();
            }
        }
        for call in self.calls.drain(..) {
            call.stop();
        }
        self.devices.close_all();
    }

    /// Something to send or play: a call, a tone on a path, a ring.
    fn busy(&self) -> bool {
        self.path_needed() || self.ring.is_some()
    }

    /// The path's devices are needed: every call needs the engine's clock (its RTP flows even
    /// with the path off), and a tone needs a path to play on.
    fn path_needed(&self) -> bool {
        !self.calls.is_empty() || (self.tone.is_some() && self.path != AudioPath::Off)
    }

    /// Carries out one command; false to stop the engine.
    fn handle(&mut self, command: EngineCommand) -> bool {
        let rate = self.specs.sample_rate;
        match command {
            EngineCommand::AddCall(call) => {
                let id = call.id;
                self.remove_call(id);
                match CallAudio::new(*call, self.period) {
                    Ok(audio) => self.calls.push(audio),
                    Err(error) => warn!(call = %id, %error, "media session refused its configuration"),
                }
            }
            EngineCommand::Update(id, negotiated) => {
                if let Some(call) = self.calls.iter_mut().find(|c| c.id == id) {
                    call.update(&negotiated);
                }
            }
            EngineCommand::RemoveCall(id) => self.remove_call(id),
            EngineCommand::Dtmf(id, digits) => {
                if let Some(call) = self.calls.iter_mut().find(|c| c.id == id) {
                    call.send_dtmf(&digits);
                }
            }
            EngineCommand::Tone(Some((tone, region))) => self.tone = generator(ToneGenerator::new(tone, region, rate)),
            EngineCommand::Tone(None) => fade(&mut self.tone),
            EngineCommand::Ring(Some(ringtone)) => self.ring = generator(ToneGenerator::ringtone(ringtone, rate)),
            EngineCommand::Ring(None) => fade(&mut self.ring),
            EngineCommand::Path(path) => self.path = path,
            EngineCommand::Mute(muted) => self.muted = muted,
            EngineCommand::Volume(of, level) => self.volumes.set(of, level),
            EngineCommand::Conference(calls) => self.conference = calls,
            EngineCommand::Shutdown => return false,
        }
        true
    }

    /// Ends a call's media; a conference left with fewer than two calls ends too.
    fn remove_call(&mut self, id: CallId) {
        let Some(index) = self.calls.iter().position(|c| c.id == id) else { return };
        self.calls.remove(index).stop();
        prune(&mut self.conference, id);
        if let Ok(mut board) = self.board.lock() {
            board.quality.remove(&id);
            prune(&mut board.conference, id);
        }
    }

    /// One period: capture (which waits for the period), receive, mix, send, play.
    fn tick(&mut self) {
        let path = self.path_needed().then(|| self.specs.of(self.path));
        let shares_ringer = path.is_some_and(|p| p.output == self.specs.ringer);
        let ringer = (self.ring.is_some() && !shares_ringer).then_some(&self.specs.ringer);
        self.devices.ensure(path, ringer);
        match self.devices.path.as_mut() {
            Some(open) => {
                if open.capture.read_period(&mut self.buffers.mic).is_err() {
                    self.buffers.mic.fill(0);
                }
            }
            None => self.buffers.mic.fill(0),
        }
        let now = Instant::now();
        for call in &mut self.calls {
            call.receive(now);
        }
        self.mix();
        for call in &mut self.calls {
            call.send(now);
        }
        self.play();
        if now >= self.next_report {
            self.next_report = now + Duration::from_secs(1);
            self.report();
        }
    }

    /// What each call hears and what the path plays (`media::mix::CallMix`). A call is mixed
    /// when we do not hold it and, during a conference, when it is in it; the ringtone joins
    /// the path's output when the ringer is that device.
    fn mix(&mut self) {
        let conference = &self.conference;
        for call in &mut self.calls {
            call.mixed = !call.held && (conference.is_empty() || conference.contains(&call.id));
        }
        let b = &mut self.buffers;
        let gain = self.volumes.path_gain(self.path);
        let mic = (!self.muted).then_some(b.mic.as_slice());
        b.mix.route(mic, !conference.is_empty(), &mut self.calls, gain);
        if let Some(tone) = self.tone.as_mut() {
            tone.fill(&mut b.tone);
            b.mix.add_to_speaker(&b.tone, gain);
            if tone.is_finished() {
                self.tone = None;
            }
        }
        if let Some(ring) = self.ring.as_mut() {
            ring.fill(&mut b.ring);
            let ring_gain = Gain::from_volume(self.volumes.ringer);
            match self.devices.ringer {
                Some(_) => ring_gain.apply_in_place(&mut b.ring),
                None => b.mix.add_to_speaker(&b.ring, ring_gain),
            }
            if ring.is_finished() {
                self.ring = None;
            }
        }
        b.mix.write_speaker(&mut b.out);
    }

    /// Writes the period to the path's output, and the ringtone to the ringer when it has a
    /// device of its own.
    fn play(&mut self) {
        if let Some(open) = self.devices.path.as_mut() {
            let _ = open.playback.write_period(&self.buffers.out);
        }
        if let Some(ringer) = self.devices.ringer.as_mut() {
            let _ = ringer.playback.write_period(&self.buffers.ring);
        }
    }

    /// Publishes every call's quality figures.
    fn report(&self) {
        if let Ok(mut board) = self.board.lock() {
            for call in &self.calls {
                board.quality.insert(call.id, call.quality_json());
            }
        }
    }
}

/// Takes `call` out of `conference`, which ends when fewer than two calls are left.
fn prune(conference: &mut Vec<CallId>, call: CallId) {
    conference.retain(|c| *c != call);
    if conference.len() < 2 {
        conference.clear();
    }
}

/// A generator, or `None` (logged) when the tone cannot be made at the device's rate.
fn generator(made: Result<ToneGenerator, media::tones::ToneError>) -> Option<ToneGenerator> {
    made.map_err(|error| warn!(%error, "tone not played")).ok()
}

/// Fades the tone out (its generator ends after a few milliseconds and is dropped then).
fn fade(tone: &mut Option<ToneGenerator>) {
    if let Some(tone) = tone.as_mut() {
        tone.stop();
    }
}
