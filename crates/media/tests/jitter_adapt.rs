//! Jitter buffer: delay adaptation to jitter, delay spikes and clock drift, on a virtual clock
//! with seeded network models (see `jitter_sim`).

mod jitter_sim;

use std::time::Duration;

use jitter_sim::{buffer, drain_time, run, voiced, Device, Network, Sender};

/// Target and current delay (ms) sampled once per second of virtual time.
struct Trace {
    target: Vec<u32>,
    current: Vec<u32>,
    late: Vec<u64>,
}

fn trace_run(
    sender: &Sender,
    packets: usize,
    net: &mut Network,
    device: &Device,
) -> (Trace, media::jitter::JitterStats) {
    let (mut jb, _) = buffer(sender.rate);
    let (sent, _) = sender.send(packets, &voiced, |_, _| {});
    let (arrivals, _) = net.deliver(&sent);
    let mut trace = Trace { target: Vec::new(), current: Vec::new(), late: Vec::new() };
    let mut next_second = Duration::from_secs(1);
    run(&mut jb, &sent, &arrivals, device, drain_time(&sent), |at, jb, _| {
        if at >= next_second {
            let stats = jb.stats();
            trace.target.push(stats.target_delay_ms);
            trace.current.push(stats.current_delay_ms);
            trace.late.push(stats.late_discarded);
            next_second += Duration::from_secs(1);
        }
    });
    (trace, jb.stats())
}

#[test]
fn delay_settles_above_the_jitter_then_comes_back_down_slowly() {
    // 60 s of 0–40 ms jitter, then 240 s of none.
    let mut net = Network::new(21);
    net.jitter_ms = 40.0;
    net.jitter_span = Some((0, 3000));
    let (trace, stats) = trace_run(&Sender::new(8000), 15_000, &mut net, &Device::new(8000));
    let settled = trace.target[58];
    assert!((41..=120).contains(&settled), "target {settled} ms under 0–40 ms jitter");
    assert!(trace.current[58].abs_diff(settled) <= 20, "current {} vs target {settled}", trace.current[58]);
    // Settled: in the last 30 s of jitter, under 1% of packets came too late.
    let late_when_settled = trace.late[58] - trace.late[28];
    assert!(late_when_settled <= 15, "{late_when_settled} late packets of 1500");
    // Jitter stops at 60 s: the target comes down, but slowly.
    assert!(trace.target[65] + 5 >= settled, "dropped fast: {} -> {}", settled, trace.target[65]);
    assert!(trace.target[90] > trace.target[250]);
    assert!(trace.target[250] <= 30, "still {} ms after 190 s without jitter", trace.target[250]);
    assert!(trace.current[250] <= 40, "current delay still {} ms", trace.current[250]);
    assert!(stats.accelerate_events > 0);
}

#[test]
fn recurring_delay_spikes_raise_the_target_at_once_and_cost_no_audio() {
    // Every 4 s, 10 packets are held back 150 ms (then arrive in a burst).
    let mut net = Network::new(22);
    net.jitter_ms = 5.0;
    let sender = Sender::new(8000);
    let (mut jb, log) = buffer(8000);
    let (sent, _) = sender.send(2000, &voiced, |_, _| {});
    let (mut arrivals, _) = net.deliver(&sent);
    for arrival in &mut arrivals {
        let in_cycle = arrival.index % 200;
        if (100..110).contains(&in_cycle) {
            arrival.at = arrival.at.max(sent[arrival.index - in_cycle + 100].at + Duration::from_millis(180));
        }
    }
    arrivals.sort_by_key(|a| a.at);
    let mut targets = Vec::new();
    run(&mut jb, &sent, &arrivals, &Device::new(8000), drain_time(&sent), |at, jb, _| {
        if at.as_millis() % 1000 < 20 {
            targets.push(jb.stats().target_delay_ms);
        }
    });
    let stats = jb.stats();
    // Right after the first spike (at 2 s; its held-back packets are the recurring peaks) the
    // target covers the spikes, and keeps covering them while they recur.
    assert!(targets[..2].iter().all(|&t| t < 50), "targets {targets:?}");
    assert!(targets[3..].iter().all(|&t| (150..=400).contains(&t)), "targets {targets:?}");
    // The first spike was bridged by stretching: nothing lost, at most a handful late.
    assert!(stats.late_discarded <= 3, "{stats:?}");
    assert!(log.lock().unwrap().len() >= 1997);
}

fn drift_run(drift: f64) -> (Trace, media::jitter::JitterStats) {
    let mut sender = Sender::new(8000);
    sender.drift = drift;
    let mut net = Network::new(23);
    net.jitter_ms = 10.0;
    // Ten minutes at 50 packets a second.
    trace_run(&sender, 30_000, &mut net, &Device::new(8000))
}

#[test]
fn the_buffer_stays_bounded_under_half_a_percent_of_clock_drift_for_ten_minutes() {
    for drift in [0.005, -0.005] {
        let (trace, stats) = drift_run(drift);
        let after_start = &trace.current[5..595];
        let (low, high) = (after_start.iter().min().unwrap(), after_start.iter().max().unwrap());
        let target = trace.target[590];
        assert!(*high <= target + 30 && *low + 20 >= target, "drift {drift}: delay {low}..{high} ms, target {target}");
        assert!(stats.late_discarded <= 5, "drift {drift}: {stats:?}");
        // Half a percent of ten minutes is 3 s of audio to absorb.
        let absorbed = if drift > 0.0 { stats.accelerated_samples } else { stats.expanded_samples };
        assert!(absorbed >= 8 * 2500, "drift {drift}: only {absorbed} samples absorbed");
        assert!(stats.concealed_ms <= 500, "drift {drift}: {stats:?}");
    }
}

#[test]
fn a_device_clock_drifting_against_the_sender_is_absorbed_too() {
    let mut device = Device::new(8000);
    device.drift = 0.004;
    let mut net = Network::new(24);
    net.jitter_ms = 10.0;
    let (trace, stats) = trace_run(&Sender::new(8000), 10_000, &mut net, &device);
    let high = trace.current[5..195].iter().max().unwrap();
    assert!(*high <= trace.target[190] + 30, "delay up to {high} ms");
    assert!(stats.expanded_samples > 0);
    assert!(stats.late_discarded <= 5, "{stats:?}");
}
