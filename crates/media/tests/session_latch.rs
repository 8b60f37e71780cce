//! Symmetric RTP latching (RFC 4961): a peer behind NAT, NAT rebinding, strangers, and latching
//! turned off.

mod session_sim;

use std::net::SocketAddr;
use std::time::Duration;

use media::session::{CodecKind, MediaSession, SessionEvent};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use session_sim::*;

fn latched(peer: &Peer) -> Vec<(SocketAddr, SocketAddr, bool)> {
    peer.events
        .iter()
        .filter_map(|(_, e)| match e {
            SessionEvent::Latched { from, previous, rtcp } => Some((*from, *previous, *rtcp)),
            _ => None,
        })
        .collect()
}

fn nat_sim(rtcp_mux: bool) -> Sim {
    let mut setup = Setup::new(CodecKind::Pcmu, 8000);
    setup.nat_b = true;
    setup.rtcp_mux = rtcp_mux;
    let mut sim = Sim::new(&setup);
    sim.a.mic = Box::new(sine(1000.0, 10_000.0, 8000));
    sim.b.mic = Box::new(sine(600.0, 10_000.0, 8000));
    sim
}

#[test]
fn natted_peer_is_latched_for_rtp_and_rtcp() {
    let mut sim = nat_sim(false);
    sim.run_for(Duration::from_secs(8));

    // B's SDP says 10.0.0.2, but its packets come from the NAT's public address: after five of
    // them A sends there, RTP first, RTCP once B's RTCP shows where it comes from.
    assert_eq!(latched(&sim.a), vec![(addr(B_NAT_RTP), addr(B_RTP), false), (addr(B_NAT_RTCP), addr(B_RTCP), true)]);
    assert_eq!(sim.a.session.remote_rtp(), addr(B_NAT_RTP));
    assert_eq!(sim.a.session.remote_rtcp(), addr(B_NAT_RTCP));

    // Before latching, A's packets went to the private address and were lost; after, all arrive.
    let sent = rtp_sent(&sim.ab);
    let first_delivered = sent.iter().position(|s| s.fate == Fate::Delivered).unwrap();
    assert!((5..=8).contains(&first_delivered), "{first_delivered} packets lost before latching");
    assert!(sent[..first_delivered].iter().all(|s| s.fate == Fate::Unroutable));
    assert!(sent[first_delivered..].iter().all(|s| s.fate == Fate::Delivered));
    let last_second = &sim.b.speaker[sim.b.speaker.len() - 8000..];
    assert!(rms(last_second) > 5000.0);
    assert!(sim.b.session.stats().rtcp_received > 0, "B hears A's RTCP once latched");
    // B is not behind NAT from its own view: it latched to where it already sent.
    assert_eq!(latched(&sim.b), vec![(addr(A_RTP), addr(A_RTP), false)]);
}

#[test]
fn natted_peer_with_rtcp_mux_latches_once() {
    let mut sim = nat_sim(true);
    sim.run_for(Duration::from_secs(8));
    assert_eq!(latched(&sim.a), vec![(addr(B_NAT_RTP), addr(B_RTP), false)]);
    assert_eq!(sim.a.session.remote_rtcp(), addr(B_NAT_RTP));
    let rtcp: Vec<&Sent> = sim.ab.log.iter().filter(|s| s.transmit.rtcp).collect();
    assert!(!rtcp.is_empty());
    assert!(rtcp.iter().all(|s| s.transmit.to == addr(B_NAT_RTP) && s.fate == Fate::Delivered));
}

#[test]
fn without_latching_we_keep_sending_to_the_sdp_address() {
    let mut sim = nat_sim(false);
    let mut setup = Setup::new(CodecKind::Pcmu, 8000);
    setup.nat_b = true;
    let mut config = config(&setup, B_RTP, B_RTCP, 8000);
    config.latch_after = None;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    sim.a.session = MediaSession::new(sim.t0, config, &mut rng).unwrap();
    sim.run_for(Duration::from_secs(2));
    assert!(latched(&sim.a).is_empty());
    assert!(rtp_sent(&sim.ab).iter().all(|s| s.fate == Fate::Unroutable));
    // B's audio still plays at A: without latching every source is accepted.
    assert!(rms(&sim.a.speaker[sim.a.speaker.len() - 4000..]) > 5000.0);
}

#[test]
fn a_stranger_cannot_take_the_call_over() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    sim.a.mic = Box::new(sine(1000.0, 10_000.0, 8000));
    sim.run_for(Duration::from_secs(1));
    let stranger = addr("198.51.100.66:7777");
    let noise = [0x00u8; 160];
    for i in 0..20u16 {
        sim.inject_to_b(stranger, &rtp_packet(i == 0, 0, 1000 + i, 16_000 + u32::from(i) * 160, 0xBAD_BAD, &noise));
        sim.run_for(Duration::from_millis(20));
    }
    sim.run_for(Duration::from_millis(500));
    let stats = sim.b.session.stats();
    assert_eq!(stats.foreign_source, 20);
    assert_eq!(sim.b.session.remote_rtp(), addr(A_RTP));
    assert_eq!(sim.b.session.remote_ssrc(), Some(sim.a.session.local_ssrc()));
    assert_eq!(latched(&sim.b).len(), 1);
    // The tone plays on, untouched.
    assert!(rms(&sim.b.speaker[sim.b.speaker.len() - 4000..]) > 6000.0);
}

#[test]
fn nat_rebinding_relatches_to_the_new_port() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    sim.a.mic = Box::new(sine(1000.0, 10_000.0, 8000));
    sim.run_for(Duration::from_secs(1));
    // A's NAT maps its port anew: same SSRC, same sequence, new source port.
    let rebound = addr("192.0.2.10:4444");
    sim.a.rtp_from = rebound;
    sim.a.reach.push(rebound);
    sim.run_for(Duration::from_secs(1));
    assert_eq!(latched(&sim.b), vec![(addr(A_RTP), addr(A_RTP), false), (rebound, addr(A_RTP), false)]);
    assert_eq!(sim.b.session.remote_rtp(), rebound);
    let stats = sim.b.session.stats();
    assert_eq!(stats.foreign_source, 0);
    assert_eq!(stats.packets_lost, 0);
}

#[test]
fn a_new_sdp_address_restarts_latching() {
    let mut sim = Sim::new(&Setup::new(CodecKind::Pcmu, 8000));
    sim.run_for(Duration::from_secs(1));
    // A re-INVITE moves A to another address; B is told, and latches there afresh.
    let moved = addr("192.0.2.20:6000");
    let moved_rtcp = addr("192.0.2.20:6001");
    sim.b.session.set_remote(moved, moved_rtcp);
    sim.a.rtp_from = moved;
    sim.a.rtcp_from = moved_rtcp;
    sim.a.reach = vec![moved, moved_rtcp];
    sim.run_for(Duration::from_secs(1));
    assert_eq!(latched(&sim.b).last(), Some(&(moved, moved, false)));
    assert_eq!(sim.b.session.stats().foreign_source, 0);
}
