//! The media engine at the edge: one thread per call moving audio between the sound devices
//! (`audio`), the sans-IO RTP session (`media::session`) and the call's UDP socket.
//!
//! The capture device is the clock: every period it delivers one frame of the microphone (a
//! sound card, or a WAV file or null device keeping real time the same way), which is encoded
//! and sent; then every datagram that arrived is handed to the session, one frame is pulled
//! from its jitter buffer and written to the playback device. The call's signalling stays on
//! the main loop, which talks to the thread through a channel.

use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use audio::{AudioFormat, DeviceOpener, DeviceSpec};
use media::session::{MediaSession, SessionConfig};
use rand_core::OsRng;
use sdp::NegotiatedAudio;
use tracing::{debug, info, warn};

/// What the main loop tells a call's media thread.
#[derive(Debug)]
pub enum Command {
    /// The stream was renegotiated (hold, resume, a new address).
    Update(Box<NegotiatedAudio>),
    /// Send these DTMF digits (RFC 4733).
    Dtmf(String),
    /// Mute (`true`) or unmute the microphone: silence is sent meanwhile, so RTP keeps flowing.
    Mute(bool),
    /// The call ended: send RTCP BYE, log the quality line, close the devices.
    Stop,
}

/// The devices and rate a call's media uses.
#[derive(Debug, Clone)]
pub struct MediaDevices {
    /// The microphone.
    pub input: DeviceSpec,
    /// The speaker or earpiece.
    pub output: DeviceSpec,
    /// The rate both run at.
    pub sample_rate: u32,
}

/// A running call's media thread.
#[derive(Debug)]
pub struct MediaHandle {
    commands: mpsc::Sender<Command>,
    quality: Arc<Mutex<Option<serde_json::Value>>>,
}

impl MediaHandle {
    /// Sends `command` to the thread; false when it has ended.
    pub fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }

    /// The call's latest quality figures (updated every second): packets, loss, jitter,
    /// round-trip time, concealment and the E-model MOS.
    pub fn quality(&self) -> Option<serde_json::Value> {
        self.quality.lock().ok().and_then(|q| q.clone())
    }
}

/// The quality figures of a session as JSON, for `hardphone ctl status`.
fn quality_json(session: &MediaSession) -> serde_json::Value {
    let report = session.quality();
    let m = &report.measured;
    serde_json::json!({
        "packets_sent": m.packets_sent,
        "packets_received": m.packets_received,
        "loss_percent": (report.loss_percent * 100.0).round() / 100.0,
        "jitter_ms": (m.jitter_ms * 10.0).round() / 10.0,
        "rtt_ms": m.rtt_ms.map(|r| r.round()),
        "concealed_ms": m.concealed_ms,
        "mos": (report.mos * 100.0).round() / 100.0,
        "line": report.to_string(),
    })
}

impl Drop for MediaHandle {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
    }
}

pub use phone::media::session_config;

/// Starts the media of call `name` on `socket` (the port our SDP named) with `negotiated`.
pub fn start(
    name: String,
    socket: UdpSocket,
    negotiated: &NegotiatedAudio,
    devices: MediaDevices,
    opener: Arc<DeviceOpener>,
) -> std::io::Result<MediaHandle> {
    let config = session_config(negotiated, devices.sample_rate)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::Unsupported, "no usable codec or address"))?;
    // Arrival times matter to the jitter buffer: a receiver thread stamps each datagram as it
    // comes, instead of the media loop reading them all at its next period.
    let arrivals = receive_thread(&name, socket.try_clone()?)?;
    let (commands, receiver) = mpsc::channel();
    let quality = Arc::new(Mutex::new(None));
    let shared = quality.clone();
    std::thread::Builder::new().name(format!("media-{name}")).spawn(move || {
        run(name, socket, config, devices, opener, Links { commands: receiver, arrivals, quality: shared })
    })?;
    Ok(MediaHandle { commands, quality })
}

/// What ties a media thread to the rest of the phone.
struct Links {
    commands: mpsc::Receiver<Command>,
    arrivals: mpsc::Receiver<Arrival>,
    quality: Arc<Mutex<Option<serde_json::Value>>>,
}

/// A datagram as it arrived: when, from where, what.
type Arrival = (Instant, SocketAddr, Vec<u8>);

/// Reads the call's socket on its own thread, stamping every datagram with its arrival time;
/// ends when the media thread is gone (the channel closes).
fn receive_thread(name: &str, socket: UdpSocket) -> std::io::Result<mpsc::Receiver<Arrival>> {
    socket.set_read_timeout(Some(Duration::from_millis(200)))?;
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new().name(format!("rtp-{name}")).spawn(move || {
        let mut buffer = [0u8; 2048];
        loop {
            match socket.recv_from(&mut buffer) {
                Ok((len, from)) => {
                    if tx.send((Instant::now(), from, buffer[..len].to_vec())).is_err() {
                        return;
                    }
                }
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    // Nothing for a while: stop once the media thread has ended.
                    if tx.send((Instant::now(), SocketAddr::from(([0, 0, 0, 0], 0)), Vec::new())).is_err() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    })?;
    Ok(rx)
}

/// The media thread: one period per loop, paced by the capture device.
fn run(
    name: String,
    socket: UdpSocket,
    config: SessionConfig,
    devices: MediaDevices,
    opener: Arc<DeviceOpener>,
    links: Links,
) {
    let Links { commands, arrivals, quality } = links;
    let mut session = match MediaSession::new(Instant::now(), config.clone(), &mut OsRng) {
        Ok(session) => session,
        Err(error) => {
            warn!(call = %name, %error, "media session refused its configuration");
            return;
        }
    };
    let frame = session.frame_len();
    let format = AudioFormat::mono(devices.sample_rate, frame);
    let mut capture = opener.open_capture_or_null(&devices.input, format);
    let mut playback = opener.open_playback_or_null(&devices.output, format);
    info!(call = %name, codec = session.send_codec().kind.name(), remote = %session.remote_rtp(), "media started");
    let (mut mic, mut speaker) = (vec![0i16; frame], vec![0i16; frame]);
    let mut next_report = Instant::now();
    let mut muted = false;
    loop {
        match commands.try_recv() {
            Ok(Command::Update(negotiated)) => update(&mut session, &negotiated),
            Ok(Command::Dtmf(digits)) => {
                if let Err(error) = session.send_dtmf(Instant::now(), &digits) {
                    warn!(call = %name, %error, "DTMF not sent");
                }
            }
            Ok(Command::Mute(on)) => muted = on,
            Ok(Command::Stop) | Err(mpsc::TryRecvError::Disconnected) => break,
            Err(mpsc::TryRecvError::Empty) => {}
        }
        if capture.read_period(&mut mic).is_err() || muted {
            mic.fill(0);
        }
        let now = Instant::now();
        let _ = session.send_audio(now, &mic);
        while let Ok((at, from, datagram)) = arrivals.try_recv() {
            if !datagram.is_empty() {
                session.handle_packet(at, from, &datagram);
            }
        }
        if session.poll_timeout().is_some_and(|at| at <= now) {
            session.handle_timeout(now);
        }
        session.pull_audio(now, &mut speaker);
        let _ = playback.write_period(&speaker);
        flush(&mut session, &socket);
        while let Some(event) = session.poll_event() {
            info!(call = %name, ?event, "media event");
        }
        if now >= next_report {
            next_report = now + Duration::from_secs(1);
            if let Ok(mut slot) = quality.lock() {
                *slot = Some(quality_json(&session));
            }
        }
    }
    let _ = session.stop(Instant::now(), Some("call ended"));
    flush(&mut session, &socket);
    let _ = playback.close();
    info!(call = %name, quality = %session.quality(), "media stopped");
}

/// Sends what the session queued (RTP, and RTCP from the same socket).
fn flush(session: &mut MediaSession, socket: &UdpSocket) {
    while let Some(transmit) = session.poll_transmit() {
        if let Err(error) = socket.send_to(&transmit.bytes, transmit.to) {
            debug!(to = %transmit.to, %error, "media send failed");
        }
    }
}

/// Follows a renegotiation: addresses, direction and the codec we send.
fn update(session: &mut MediaSession, negotiated: &NegotiatedAudio) {
    let rtp = phone::media::endpoint(&negotiated.remote_rtp);
    if let Some(rtp) = rtp {
        session.set_remote(rtp, phone::media::endpoint(&negotiated.remote_rtcp).unwrap_or(rtp));
    }
    session.set_direction(Instant::now(), phone::media::direction(negotiated.direction));
    let _ = session.set_send_codec(negotiated.codec.payload_type);
}
