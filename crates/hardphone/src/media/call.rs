//! One call inside the audio engine: its RTP session, its socket and receiver thread, and its
//! period buffers (what we heard from it, what it hears from us).

use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use media::mix::MixedCall;
use media::session::{MediaSession, SessionConfig, SessionError};
use phone::core::CallId;
use rand_core::OsRng;
use sdp::NegotiatedAudio;
use tracing::{debug, info};

/// A datagram as it arrived: when, from where, what.
pub(super) type Arrival = (Instant, SocketAddr, Vec<u8>);

/// Reads a call's socket on its own thread, stamping every datagram with its arrival time, so
/// that the jitter buffer sees when a packet came rather than when the engine's next period
/// read it (a packet landing just after a period began would look 20 ms late); ends when the
/// engine has dropped the call (the channel closes).
pub(super) fn receive_thread(name: &str, socket: UdpSocket) -> std::io::Result<mpsc::Receiver<Arrival>> {
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
                    // Nothing for a while: stop once the engine has let the call go.
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

/// What the edge hands the engine to start a call's media.
#[derive(Debug)]
pub(super) struct NewCall {
    pub id: CallId,
    pub socket: UdpSocket,
    pub arrivals: mpsc::Receiver<Arrival>,
    pub config: SessionConfig,
    pub held: bool,
}

/// A call's media in the engine.
pub(super) struct CallAudio {
    pub id: CallId,
    name: String,
    session: MediaSession,
    socket: UdpSocket,
    arrivals: mpsc::Receiver<Arrival>,
    /// We hold the call (our SDP does not receive): it hears silence and is not heard.
    pub held: bool,
    /// It takes part in this period's mix (not held; in the conference if there is one).
    pub mixed: bool,
    /// This period's audio from the far end, at the device rate.
    pub heard: Vec<i16>,
    /// This period's audio for the far end.
    pub said: Vec<i16>,
    /// Audio for the far end not sent yet: packets are a ptime long, periods 20 ms.
    pending: Vec<i16>,
}

impl CallAudio {
    /// The call's media, `period` samples per engine period.
    pub fn new(call: NewCall, period: usize) -> Result<CallAudio, SessionError> {
        let session = MediaSession::new(Instant::now(), call.config, &mut OsRng)?;
        let frame = session.frame_len();
        let name = call.id.to_string();
        info!(call = %name, codec = session.send_codec().kind.name(), remote = %session.remote_rtp(), "media started");
        Ok(CallAudio {
            id: call.id,
            name,
            session,
            socket: call.socket,
            arrivals: call.arrivals,
            held: call.held,
            mixed: false,
            heard: vec![0; period],
            said: vec![0; period],
            pending: Vec::with_capacity(frame + period),
        })
    }

    /// Hands the datagrams that arrived to the session, runs its timers, and pulls this
    /// period's audio into [`CallAudio::heard`].
    pub fn receive(&mut self, now: Instant) {
        while let Ok((at, from, datagram)) = self.arrivals.try_recv() {
            if !datagram.is_empty() {
                self.session.handle_packet(at, from, &datagram);
            }
        }
        if self.session.poll_timeout().is_some_and(|at| at <= now) {
            self.session.handle_timeout(now);
        }
        self.session.pull_audio(now, &mut self.heard);
    }

    /// Sends [`CallAudio::said`]: whole packets of the call's ptime, the rest kept for the next
    /// period. Then sends what the session queued and logs its events.
    pub fn send(&mut self, now: Instant) {
        let frame = self.session.frame_len();
        if self.pending.is_empty() && self.said.len() == frame {
            let _ = self.session.send_audio(now, &self.said);
        } else {
            self.pending.extend_from_slice(&self.said);
            while self.pending.len() >= frame {
                let _ = self.session.send_audio(now, &self.pending[..frame]);
                self.pending.copy_within(frame.., 0);
                self.pending.truncate(self.pending.len() - frame);
            }
        }
        self.flush();
        while let Some(event) = self.session.poll_event() {
            info!(call = %self.name, ?event, "media event");
        }
    }

    /// Queues RFC 4733 events for `digits`.
    pub fn send_dtmf(&mut self, digits: &str) {
        if let Err(error) = self.session.send_dtmf(Instant::now(), digits) {
            tracing::warn!(call = %self.name, %error, "DTMF not sent");
        }
    }

    /// Follows a renegotiation: addresses, direction, the codec we send, and whether we hold it.
    pub fn update(&mut self, negotiated: &NegotiatedAudio) {
        let rtp = phone::media::endpoint(&negotiated.remote_rtp);
        if let Some(rtp) = rtp {
            self.session.set_remote(rtp, phone::media::endpoint(&negotiated.remote_rtcp).unwrap_or(rtp));
        }
        self.session.set_direction(Instant::now(), phone::media::direction(negotiated.direction));
        let _ = self.session.set_send_codec(negotiated.codec.payload_type);
        self.held = negotiated.held_locally;
    }

    /// The call's quality figures as JSON, for `hardphone ctl status`.
    pub fn quality_json(&self) -> serde_json::Value {
        let report = self.session.quality();
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

    /// Ends the call's media: RTCP BYE, and the quality line in the log.
    pub fn stop(mut self) {
        let _ = self.session.stop(Instant::now(), Some("call ended"));
        self.flush();
        info!(call = %self.name, quality = %self.session.quality(), "media stopped");
    }

    /// Sends what the session queued (RTP, and RTCP from the same socket).
    fn flush(&mut self) {
        while let Some(transmit) = self.session.poll_transmit() {
            if let Err(error) = self.socket.send_to(&transmit.bytes, transmit.to) {
                debug!(to = %transmit.to, %error, "media send failed");
            }
        }
    }
}

impl MixedCall for CallAudio {
    fn mixed(&self) -> bool {
        self.mixed
    }

    fn heard(&self) -> &[i16] {
        &self.heard
    }

    fn buffers(&mut self) -> (&[i16], &mut [i16]) {
        (&self.heard, &mut self.said)
    }
}
