//! Keep-alives on a flow to the registrar (RFC 5626 §4.4), sans-IO.
//!
//! On TCP and TLS the phone sends a CRLF CRLF "ping" and the server answers a CRLF "pong"; no pong
//! within 10 s means the flow is dead (RFC 5626 §4.4.1), and the phone re-registers at once on a
//! new one. On UDP the ping keeps the NAT binding open so the phone keeps ringing; no answer is
//! expected (most PBXs ignore a bare CRLF CRLF datagram; RFC 5626 §4.4.2's STUN is not used).
//! Each interval is drawn anew between 80% and 100% of the upper bound (RFC 5626 §4.4), so a
//! floor of phones does not ping in step.

use std::time::{Duration, Instant};

use rand_core::RngCore;

use crate::transport::Transport;

/// The ping: CRLF CRLF (RFC 5626 §4.4.1, §3.5.1).
pub const PING: &[u8] = b"\r\n\r\n";

/// How long a stream flow may leave a ping unanswered (RFC 5626 §4.4.1).
pub const PONG_TIMEOUT: Duration = Duration::from_secs(10);

/// What the caller does now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send [`PING`] on the flow.
    SendPing,
    /// No pong came: treat the flow as failed, close it and register again on a new one.
    FlowFailed,
}

/// The two timers of a flow's keep-alive, indexing its timer table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// When the next ping goes.
    Ping,
    /// When an unanswered ping means a dead flow (streams only).
    Pong,
}

/// The keep-alive of one flow.
#[derive(Debug, Clone)]
pub struct KeepAlive {
    transport: Transport,
    upper: Duration,
    timers: [Option<Instant>; 2],
}

impl KeepAlive {
    /// Keep-alives on a new flow of `transport`, at most `upper` apart (the configured interval,
    /// or the registrar's Flow-Timer, see [`KeepAlive::set_upper_bound`]).
    pub fn new(now: Instant, transport: Transport, upper: Duration, rng: &mut impl RngCore) -> KeepAlive {
        let mut keepalive = KeepAlive { transport, upper: upper.max(Duration::from_secs(1)), timers: [None; 2] };
        keepalive.schedule_ping(now, rng);
        keepalive
    }

    /// Takes the registrar's Flow-Timer (RFC 5626 §4.4: keep-alives at least that often) or a new
    /// configured interval. The next ping moves earlier if the new bound asks for it, never later:
    /// being told the same bound again (on every refresh) must not stretch the gap between pings.
    pub fn set_upper_bound(&mut self, now: Instant, upper: Duration, rng: &mut impl RngCore) {
        self.upper = upper.max(Duration::from_secs(1));
        let current = self.timers[Timer::Ping as usize];
        self.schedule_ping(now, rng);
        if let (Some(current), Some(new)) = (current, self.timers[Timer::Ping as usize]) {
            self.timers[Timer::Ping as usize] = Some(current.min(new));
        }
    }

    /// A pong (a lone CRLF) arrived: the flow is alive.
    pub fn handle_pong(&mut self) {
        self.timers[Timer::Pong as usize] = None;
    }

    /// When [`KeepAlive::handle_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.iter().flatten().min().copied()
    }

    /// What is due at `now`: a ping to send, or a dead flow. A missed pong wins over a ping.
    pub fn handle_timeout(&mut self, now: Instant, rng: &mut impl RngCore) -> Option<Action> {
        if self.timers[Timer::Pong as usize].is_some_and(|at| at <= now) {
            self.timers = [None; 2];
            return Some(Action::FlowFailed);
        }
        if self.timers[Timer::Ping as usize].is_some_and(|at| at <= now) {
            if self.transport.is_reliable() && self.timers[Timer::Pong as usize].is_none() {
                self.timers[Timer::Pong as usize] = now.checked_add(PONG_TIMEOUT);
            }
            self.schedule_ping(now, rng);
            return Some(Action::SendPing);
        }
        None
    }

    /// Arms the next ping between 80% and 100% of the upper bound from `now` (RFC 5626 §4.4).
    fn schedule_ping(&mut self, now: Instant, rng: &mut impl RngCore) {
        let upper = self.upper.as_millis().min(u128::from(u32::MAX)) as u64;
        let lower = upper * 4 / 5;
        let span = upper - lower + 1;
        let delay = lower + rng.next_u64() % span;
        self.timers[Timer::Ping as usize] = now.checked_add(Duration::from_millis(delay));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn run(
        keepalive: &mut KeepAlive,
        start: Instant,
        until: Duration,
        rng: &mut ChaCha8Rng,
    ) -> Vec<(Duration, Action)> {
        let mut log = Vec::new();
        while let Some(at) = keepalive.poll_timeout().filter(|at| *at <= start + until) {
            if let Some(action) = keepalive.handle_timeout(at, rng) {
                log.push((at - start, action));
            }
        }
        log
    }

    #[test]
    fn udp_pings_every_80_to_100_percent_of_the_interval_and_never_fails() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let t0 = Instant::now();
        let mut k = KeepAlive::new(t0, Transport::Udp, Duration::from_secs(25), &mut rng);
        let log = run(&mut k, t0, Duration::from_secs(3600), &mut rng);
        assert!(log.iter().all(|(_, a)| *a == Action::SendPing));
        let mut previous = Duration::ZERO;
        let mut gaps = Vec::new();
        for (at, _) in &log {
            gaps.push(*at - previous);
            previous = *at;
        }
        assert!(gaps.iter().all(|g| *g >= Duration::from_secs(20) && *g <= Duration::from_secs(25)), "{gaps:?}");
        assert!(gaps.windows(2).any(|w| w[0] != w[1]), "each interval is drawn anew");
        assert!((144..=180).contains(&log.len()), "{} pings in an hour", log.len());
    }

    #[test]
    fn a_stream_without_pong_fails_10_s_after_the_ping() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let t0 = Instant::now();
        let mut k = KeepAlive::new(t0, Transport::Tcp, Duration::from_secs(120), &mut rng);
        let ping_at = k.poll_timeout().unwrap();
        assert!(ping_at >= t0 + Duration::from_secs(96) && ping_at <= t0 + Duration::from_secs(120));
        assert_eq!(k.handle_timeout(ping_at, &mut rng), Some(Action::SendPing));
        assert_eq!(k.poll_timeout(), Some(ping_at + PONG_TIMEOUT));
        assert_eq!(k.handle_timeout(ping_at + Duration::from_secs(9), &mut rng), None);
        assert_eq!(k.handle_timeout(ping_at + PONG_TIMEOUT, &mut rng), Some(Action::FlowFailed));
        assert_eq!(k.poll_timeout(), None, "a failed flow is done");
    }

    #[test]
    fn pongs_keep_a_stream_alive() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let t0 = Instant::now();
        let mut k = KeepAlive::new(t0, Transport::Tls, Duration::from_secs(30), &mut rng);
        let mut now = t0;
        for _ in 0..100 {
            now = k.poll_timeout().unwrap();
            assert_eq!(k.handle_timeout(now, &mut rng), Some(Action::SendPing));
            k.handle_pong();
        }
        assert!(now > t0 + Duration::from_secs(2000));
    }

    #[test]
    fn the_same_bound_again_never_delays_the_next_ping() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let t0 = Instant::now();
        let mut k = KeepAlive::new(t0, Transport::Udp, Duration::from_secs(25), &mut rng);
        let due = k.poll_timeout().unwrap();
        k.set_upper_bound(due - Duration::from_secs(1), Duration::from_secs(25), &mut rng);
        assert_eq!(k.poll_timeout(), Some(due));
    }

    #[test]
    fn the_registrars_flow_timer_bounds_the_interval() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let t0 = Instant::now();
        let mut k = KeepAlive::new(t0, Transport::Tcp, Duration::from_secs(120), &mut rng);
        k.set_upper_bound(t0, Duration::from_secs(30), &mut rng);
        let next = k.poll_timeout().unwrap();
        assert!(next >= t0 + Duration::from_secs(24) && next <= t0 + Duration::from_secs(30));
    }
}
