//! Symmetric RTP latching (RFC 4961 §3; the "comedia" behaviour of RFC 4145 §4 applied to RTP).
//!
//! Behind a NAT the peer's media comes from another address than its SDP says, and only packets
//! sent back to that address reach it. Until latched, packets from any address are played and we
//! send to the SDP address. A source address is believed once `after` valid packets in a row
//! (agreed payload type, sequence numbers moving forward by at most [`MAX_STEP`]) came from it
//! with one SSRC; we then send there. Once latched:
//!
//! * packets from the latched address are accepted, whatever their SSRC (the peer may restart
//!   its stream, RFC 3550 §8.2);
//! * packets from another address carrying the latched SSRC are accepted too (a NAT rebinding
//!   moves the peer's port mid-call), and the same count of them in a row re-latches there;
//! * packets from another address with another SSRC are dropped and counted: a stranger
//!   injecting media (the "RTP bleed" attack) cannot take the call over.
//!
//! A re-INVITE that changes the peer's address calls [`Latch::reset`].

use std::net::SocketAddr;

/// A candidate's next packet may skip this many sequence numbers (lost packets) and still count.
pub(super) const MAX_STEP: u16 = 16;

#[derive(Debug, Clone, Copy)]
struct Candidate {
    addr: SocketAddr,
    ssrc: u32,
    last_seq: u16,
    count: u32,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Open,
    Locked { addr: SocketAddr, ssrc: u32 },
}

/// What to do with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Play it.
    Accept,
    /// Play it, and send our RTP to this address from now on.
    Latch(SocketAddr),
    /// Drop it: a stranger's.
    Drop,
}

/// The latching state of one session.
#[derive(Debug, Clone)]
pub(super) struct Latch {
    after: Option<u32>,
    state: State,
    candidate: Option<Candidate>,
}

impl Latch {
    /// Latching after `after` packets in a row, or never.
    pub fn new(after: Option<u32>) -> Self {
        Self { after: after.filter(|&n| n > 0), state: State::Open, candidate: None }
    }

    /// Forgets the latched address (the peer's SDP changed).
    pub fn reset(&mut self) {
        self.state = State::Open;
        self.candidate = None;
    }

    /// The latched source, if any.
    pub fn latched(&self) -> Option<(SocketAddr, u32)> {
        match self.state {
            State::Locked { addr, ssrc } => Some((addr, ssrc)),
            State::Open => None,
        }
    }

    /// Judges a valid packet with `ssrc` and `seq` from `from`.
    pub fn on_packet(&mut self, from: SocketAddr, ssrc: u32, seq: u16) -> Verdict {
        let Some(after) = self.after else {
            return Verdict::Accept;
        };
        match self.state {
            State::Locked { addr, ssrc: locked } if from == addr => {
                if ssrc != locked {
                    self.state = State::Locked { addr, ssrc };
                }
                self.candidate = None;
                Verdict::Accept
            }
            State::Locked { ssrc: locked, .. } if ssrc != locked => Verdict::Drop,
            _ => {
                if self.count(from, ssrc, seq) >= after {
                    self.state = State::Locked { addr: from, ssrc };
                    self.candidate = None;
                    Verdict::Latch(from)
                } else {
                    Verdict::Accept
                }
            }
        }
    }

    /// Counts a packet towards its source's run; returns the run's length.
    fn count(&mut self, addr: SocketAddr, ssrc: u32, seq: u16) -> u32 {
        match self.candidate.as_mut() {
            Some(c) if c.addr == addr && c.ssrc == ssrc => {
                let step = seq.wrapping_sub(c.last_seq);
                if (1..=MAX_STEP).contains(&step) {
                    c.count += 1;
                    c.last_seq = seq;
                }
                // Duplicates and reordered packets neither count nor break the run.
                c.count
            }
            _ => {
                self.candidate = Some(Candidate { addr, ssrc, last_seq: seq, count: 1 });
                1
            }
        }
    }
}
