//! Whole calls between two in-process phones on a virtual clock: each phone's `Core` does the
//! signalling, a `media::session::MediaSession` per call carries the audio, and one seeded
//! network delays (10–60 ms, so packets reorder), loses and duplicates SIP and RTP alike.
//! Each phone's "microphone" is a tone of its own; the test checks what reaches the far
//! "speaker": the far tone, continuous through loss (concealment), silent where hold says so.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use media::session::MediaSession;
use phone::core::{CallId, CallState, Core, Output, Routes};
use phone::{Config, InstanceId};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sip::locate::Target;
use sip::{reply, Message, Method, Transport};

const RATE: u32 = 16_000;
const FRAME: usize = 320;
const TONES: [f64; 2] = [1000.0, 600.0];

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn sip_addr(i: usize) -> SocketAddr {
    format!("192.0.2.{}:5060", i + 1).parse().unwrap()
}

fn rtp_port(i: usize) -> u16 {
    40_000 + 2 * i as u16
}

/// A datagram in flight: (arrival, to phone, from, is RTP, bytes).
type Flight = (Instant, usize, SocketAddr, bool, Vec<u8>);

struct World {
    now: Instant,
    cores: [Core; 2],
    media: [Option<MediaSession>; 2],
    calls: [Option<CallId>; 2],
    states: [Vec<(Instant, CallState)>; 2],
    /// What each phone's speaker played, one sample per 1/16000 s from t0.
    speaker: [Vec<i16>; 2],
    wire: Vec<Flight>,
    net: ChaCha8Rng,
    rng: ChaCha8Rng,
    loss_percent: u32,
    phase: [f64; 2],
}

impl World {
    fn new(seed: u64, loss_percent: u32) -> World {
        let t0 = Instant::now();
        let make = |i: usize, user: &str| {
            let toml = format!(
                "[[accounts]]\nlabel = \"{user}\"\nserver = \"{}\"\nuser = \"{user}\"\npassword = \"pw\"\nauto_answer = \"{}\"\n",
                sip_addr(1 - i),
                if i == 1 { "always" } else { "off" }
            );
            let id = InstanceId::parse(&format!("urn:uuid:00000000-0000-4000-8000-00000000000{i}")).unwrap();
            let mut core = Core::new(&Config::from_toml(&toml).unwrap(), id, seed + i as u64);
            let target = Target { addr: sip_addr(1 - i), transport: Transport::Udp, host: "pbx".into() };
            core.try_start_account_on(t0, 0, Routes::single(target, sip_addr(i))).unwrap();
            core
        };
        World {
            now: t0,
            cores: [make(0, "alice"), make(1, "bob")],
            media: [None, None],
            calls: [None, None],
            states: [Vec::new(), Vec::new()],
            speaker: [Vec::new(), Vec::new()],
            wire: Vec::new(),
            net: ChaCha8Rng::seed_from_u64(seed),
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0xfeed),
            loss_percent,
            phase: [0.0, 0.0],
        }
    }

    /// Puts a datagram on the network: lost, duplicated, delayed 10–60 ms (reordering).
    fn send(&mut self, to: usize, from: SocketAddr, rtp: bool, bytes: Vec<u8>) {
        if self.net.next_u32() % 100 < self.loss_percent {
            return;
        }
        let copies = if self.net.next_u32() % 100 < 2 { 2 } else { 1 };
        for _ in 0..copies {
            let delay = ms(10 + self.net.next_u64() % 51);
            self.wire.push((self.now + delay, to, from, rtp, bytes.clone()));
        }
    }

    fn drain(&mut self) {
        for i in 0..2 {
            while let Some(output) = self.cores[i].poll_output() {
                self.output(i, output);
            }
        }
    }

    fn output(&mut self, i: usize, output: Output) {
        match output {
            Output::Transmit { bytes, .. } => {
                // REGISTERs are answered by a stand-in registrar, reliably.
                if let Ok(Message::Request(request)) = Message::parse(bytes.clone()) {
                    if request.method == Method::Register {
                        let ok = reply(&request, 200, "OK", Some("reg")).to_bytes();
                        self.wire.push((self.now + ms(5), i, sip_addr(1 - i), false, ok));
                        return;
                    }
                }
                self.send(1 - i, sip_addr(i), false, bytes.to_vec());
            }
            Output::Call(info) => {
                self.calls[i] = Some(info.id);
                self.states[i].push((self.now, info.state.clone()));
                if info.auto_answer {
                    self.cores[i].answer(self.now, info.id, rtp_port(i)).unwrap();
                }
            }
            Output::Media { media, .. } => match (media, self.media[i].as_mut()) {
                (None, _) => self.media[i] = None,
                (Some(m), Some(session)) => {
                    let config = phone::media::session_config(&m, RATE).unwrap();
                    session.set_remote(config.remote_rtp, config.remote_rtcp);
                    session.set_direction(self.now, config.direction);
                }
                (Some(m), None) => {
                    let config = phone::media::session_config(&m, RATE).expect("a codec we run");
                    self.media[i] = Some(MediaSession::new(self.now, config, &mut self.rng).unwrap());
                }
            },
            _ => {}
        }
    }

    /// One 20 ms tick: each phone's microphone frame goes out, arrivals are delivered, each
    /// speaker plays one frame.
    fn tick(&mut self) {
        let end = self.now + ms(20);
        for (i, tone) in TONES.iter().enumerate() {
            let mut frame = [0i16; FRAME];
            for sample in frame.iter_mut() {
                *sample = (8000.0 * self.phase[i].sin()) as i16;
                self.phase[i] += 2.0 * std::f64::consts::PI * tone / f64::from(RATE);
            }
            let mut out = Vec::new();
            if let Some(session) = self.media[i].as_mut() {
                let _ = session.send_audio(self.now, &frame);
                while let Some(t) = session.poll_transmit() {
                    out.push(t);
                }
            }
            for t in out {
                let to = if t.to.port() == rtp_port(0) || t.to.port() == rtp_port(0) + 1 { 0 } else { 1 };
                let from: SocketAddr = format!("192.0.2.{}:{}", i + 1, rtp_port(i)).parse().unwrap();
                self.send(to, from, true, t.bytes);
            }
        }
        // Deliver everything due before the end of the tick, and fire the cores' timers.
        loop {
            let next_wire = self.wire.iter().map(|w| w.0).filter(|at| *at < end).min();
            let next_timer = self.cores.iter().filter_map(Core::poll_timeout).filter(|at| *at < end).min();
            let Some(at) = [next_wire, next_timer].into_iter().flatten().min() else { break };
            self.now = self.now.max(at);
            while let Some(k) = self.wire.iter().position(|w| w.0 <= self.now) {
                let (_, to, from, rtp, bytes) = self.wire.remove(k);
                if rtp {
                    if let Some(session) = self.media[to].as_mut() {
                        session.handle_packet(self.now, from, &bytes);
                    }
                } else if let Ok(message) = Message::parse(bytes) {
                    self.cores[to].handle_message(self.now, Transport::Udp, from, None, message);
                }
                self.drain();
            }
            for core in &mut self.cores {
                core.handle_timeout(self.now);
            }
            self.drain();
        }
        self.now = end;
        for i in 0..2 {
            let mut out = [0i16; FRAME];
            if let Some(session) = self.media[i].as_mut() {
                if session.poll_timeout().is_some_and(|at| at <= self.now) {
                    session.handle_timeout(self.now);
                }
                session.pull_audio(self.now, &mut out);
            }
            self.speaker[i].extend_from_slice(&out);
        }
        self.drain();
    }

    fn run(&mut self, span: Duration) {
        let end = self.now + span;
        while self.now < end {
            self.tick();
        }
    }

    /// Phone `i`'s speaker between `from` and `to` (times since t0).
    fn heard(&self, i: usize, from: Duration, to: Duration) -> &[i16] {
        let at = |d: Duration| ((d.as_secs_f64() * f64::from(RATE)) as usize).min(self.speaker[i].len());
        &self.speaker[i][at(from)..at(to)]
    }

    fn state(&self, i: usize) -> Option<CallState> {
        self.states[i].last().map(|(_, s)| s.clone())
    }
}

/// The power share of `freq` in `samples` (Goertzel): near 1 for a pure tone at `freq`.
fn tone_share(samples: &[i16], freq: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / f64::from(RATE);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2, mut energy) = (0.0f64, 0.0f64, 0.0f64);
    for &x in samples {
        let x = f64::from(x);
        let s0 = x + coeff * s1 - s2;
        (s2, s1) = (s1, s0);
        energy += x * x;
    }
    if energy == 0.0 {
        return 0.0;
    }
    2.0 * (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (samples.len() as f64 * energy)
}

fn rms(samples: &[i16]) -> f64 {
    (samples.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / samples.len().max(1) as f64).sqrt()
}

/// A call with hold and resume over a lossy, reordering network; returns the world at the end.
fn call_with_hold(seed: u64, loss_percent: u32) -> World {
    let mut w = World::new(seed, loss_percent);
    w.run(ms(200));
    w.cores[0].dial(w.now, 0, "bob", rtp_port(0)).unwrap();
    w.drain();
    w.run(Duration::from_secs(6));
    assert_eq!(w.state(0), Some(CallState::Active), "seed {seed}: {:?}", w.states[0]);
    assert_eq!(w.state(1), Some(CallState::Active), "seed {seed}");
    let call = w.calls[0].unwrap();
    w.cores[0].set_hold(w.now, call, true).unwrap();
    w.drain();
    w.run(Duration::from_secs(4));
    assert_eq!(w.state(1), Some(CallState::RemoteHold), "seed {seed}: {:?}", w.states[1]);
    w.cores[0].set_hold(w.now, call, false).unwrap();
    w.drain();
    w.run(Duration::from_secs(4));
    assert_eq!(w.state(1), Some(CallState::Active), "seed {seed}");
    w.cores[0].hangup(w.now, call).unwrap();
    w.drain();
    w.run(Duration::from_secs(3));
    assert!(matches!(w.state(0), Some(CallState::Ended(_))), "seed {seed}");
    assert!(matches!(w.state(1), Some(CallState::Ended(_))), "seed {seed}");
    w
}

#[test]
fn each_side_hears_the_other_continuously_through_loss_and_reordering() {
    for seed in [1, 2, 3] {
        let w = call_with_hold(seed, 3);
        // Talking (2.5–6 s): every half second window carries the far tone; concealment fills
        // the 3% lost packets, so no window falls silent.
        for start in (2500..6000).step_by(500) {
            let (from, to) = (ms(start), ms(start + 500));
            let bob_hears = tone_share(w.heard(1, from, to), TONES[0]);
            let alice_hears = tone_share(w.heard(0, from, to), TONES[1]);
            assert!(bob_hears > 0.8, "seed {seed} at {start} ms: Bob hears Alice {bob_hears:.2}");
            assert!(alice_hears > 0.8, "seed {seed} at {start} ms: Alice hears Bob {alice_hears:.2}");
            assert!(rms(w.heard(1, from, to)) > 2000.0, "seed {seed}: no gap at {start} ms");
        }
    }
}

#[test]
fn hold_silences_the_held_direction_and_resume_brings_it_back() {
    let w = call_with_hold(7, 2);
    // Alice holds from ~6.2 s: she sends (sendonly), Bob's audio to her stops; resume ~10.2 s.
    let during = (ms(7_500), ms(10_000));
    assert!(rms(w.heard(0, during.0, during.1)) < 200.0, "Alice hears nothing while holding");
    assert!(tone_share(w.heard(1, during.0, during.1), TONES[0]) > 0.8, "Bob still hears Alice (music on hold)");
    let after = (ms(11_500), ms(14_000));
    assert!(tone_share(w.heard(0, after.0, after.1), TONES[1]) > 0.8, "after resume Alice hears Bob again");
}
