//! The RTCP transmission interval (RFC 3550 §6.2, §6.3.1 and the `rtcp_interval` of A.7).

use std::time::Duration;

/// The RFC 3550 minimum interval between reports, Tmin (§6.2).
pub const MIN_INTERVAL: Duration = Duration::from_secs(5);
/// The e − 3/2 compensation for the randomization's effect on the mean (RFC 3550 §6.3.1, A.7).
const COMPENSATION: f64 = std::f64::consts::E - 1.5;

/// What the interval depends on (RFC 3550 §6.3 and A.7).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalInputs {
    /// Session members, ourselves included (2 once the peer is heard).
    pub members: u32,
    /// Members that sent RTP since the last report, ourselves included.
    pub senders: u32,
    /// The RTCP bandwidth, in octets per second: 5% of the session bandwidth (RFC 3550 §6.2).
    pub rtcp_bandwidth: f64,
    /// Whether we sent RTP since the last report.
    pub we_sent: bool,
    /// The average compound RTCP packet size, in octets, UDP and IP headers included (§6.3.3).
    pub avg_rtcp_size: f64,
    /// `true` before our first report: the minimum is halved (§6.2).
    pub initial: bool,
    /// The minimum interval (Tmin of §6.2, usually [`MIN_INTERVAL`]).
    pub min_interval: Duration,
}

/// The deterministic interval Td of RFC 3550 §6.3.1, before randomization.
pub fn deterministic(inputs: &IntervalInputs) -> Duration {
    let min = if inputs.initial { inputs.min_interval / 2 } else { inputs.min_interval };
    let mut bandwidth = inputs.rtcp_bandwidth;
    let mut n = f64::from(inputs.members.max(1));
    let senders = f64::from(inputs.senders);
    // Senders share a quarter of the RTCP bandwidth when they are at most a quarter of the
    // members (§6.2); in a two-party call they never are unless one side is silent.
    if inputs.senders > 0 && senders <= n * 0.25 {
        if inputs.we_sent {
            bandwidth *= 0.25;
            n = senders;
        } else {
            bandwidth *= 0.75;
            n -= senders;
        }
    }
    let seconds = if bandwidth > 0.0 { inputs.avg_rtcp_size * n / bandwidth } else { f64::INFINITY };
    let td = Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX);
    td.max(min)
}

/// The randomized interval of RFC 3550 §6.3.1: `td` times a factor uniform in [0.5, 1.5)
/// (`unit` is a uniform sample in [0, 1)), divided by e − 3/2.
pub fn randomized(td: Duration, unit: f64) -> Duration {
    let factor = (unit.clamp(0.0, 1.0) + 0.5) / COMPENSATION;
    Duration::try_from_secs_f64(td.as_secs_f64() * factor).unwrap_or(td)
}

/// The average RTCP size after sending or receiving a packet of `size` octets (RFC 3550
/// §6.3.3: avg = size/16 + 15/16 avg).
pub fn update_avg_size(avg: f64, size: usize) -> f64 {
    size as f64 / 16.0 + avg * 15.0 / 16.0
}
