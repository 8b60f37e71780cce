//! Jitter buffer: audio quality — no clicks at splice points, concealment that resembles what
//! was lost, and better SNR under loss than inserting silence.

mod jitter_sim;

use jitter_sim::{buffer, correlation, drain_time, find, max_step, run, sine, voiced, Device, Loss, Network, Sender};

/// Runs a sine through a rough network and returns (output, input's own largest step, stats).
fn rough_sine(rate: u32, freq: f64, seed: u64) -> (Vec<i16>, i32, media::jitter::JitterStats) {
    let (mut jb, _) = buffer(rate);
    let mut sender = Sender::new(rate);
    sender.drift = 0.003;
    let signal = sine(freq, 10_000.0, rate);
    let (sent, input) = sender.send(1500, &signal, |_, _| {});
    let mut net = Network::new(seed);
    net.loss = Loss::Gilbert { p: 0.04, r: 0.4 };
    net.jitter_ms = 60.0;
    let (arrivals, _) = net.deliver(&sent);
    let mut device = Device::new(rate);
    device.period = rate as usize / 100;
    let run = run(&mut jb, &sent, &arrivals, &device, drain_time(&sent), |_, _, _| {});
    (run.output, max_step(&input), jb.stats())
}

/// Every sample-to-sample step of the output stays within 1.1 times the sine's own largest step
/// (plus 1 for rounding), through concealment starts and ends, accelerate and expand, fades.
#[test]
fn splices_are_click_free_on_a_sine() {
    for (rate, freq) in [(8000, 150.0), (8000, 440.0), (8000, 1000.0), (16_000, 440.0), (48_000, 300.0)] {
        let (output, own_step, stats) = rough_sine(rate, freq, u64::from(rate) + freq as u64);
        assert!(stats.concealment_events >= 5, "{rate} Hz/{freq} Hz: {stats:?}");
        assert!(stats.accelerate_events + stats.expand_events >= 1, "{rate} Hz/{freq} Hz: {stats:?}");
        let bound = own_step + own_step / 10 + 1;
        let worst = max_step(&output);
        assert!(worst <= bound, "{rate} Hz/{freq} Hz: step {worst} > {bound} (own {own_step})");
    }
}

/// Accelerate and expand splices alone: a sine from a sender whose clock runs 2% fast, then one
/// 2% slow, so the buffer keeps removing and repeating periods.
#[test]
fn time_scaling_is_click_free_on_a_sine() {
    for (drift, freq) in [(0.02, 220.0), (-0.02, 220.0), (0.02, 700.0), (0.02, 75.0), (-0.02, 90.0)] {
        let (mut jb, _) = buffer(8000);
        let mut sender = Sender::new(8000);
        sender.drift = drift;
        let (sent, input) = sender.send(1500, &sine(freq, 10_000.0, 8000), |_, _| {});
        let mut net = Network::new(40);
        net.jitter_ms = 20.0;
        let (arrivals, _) = net.deliver(&sent);
        let run = run(&mut jb, &sent, &arrivals, &Device::new(8000), drain_time(&sent), |_, _, _| {});
        let stats = jb.stats();
        let splices = stats.accelerate_events + stats.expand_events;
        assert!(splices >= 40, "drift {drift}: {stats:?}");
        let own_step = max_step(&input);
        let worst = max_step(&run.output);
        assert!(worst <= own_step + own_step / 10 + 1, "drift {drift}, {freq} Hz: step {worst}, own {own_step}");
    }
}

/// Where `input`'s block `block` (of `len` samples) is in `output`, searching around `guess`:
/// the offset at which the block's second half matches exactly (the first half may hold an
/// overlap-add out of concealment).
fn locate_block(output: &[i16], input: &[i16], block: usize, len: usize, guess: usize) -> Option<usize> {
    let half = &input[block * len + len / 2..(block + 1) * len];
    let lo = guess.saturating_sub(400);
    let hi = (guess + 400).min(output.len().saturating_sub(len));
    (lo..hi).find(|&offset| output.get(offset + block * len + len / 2..offset + (block + 1) * len) == Some(half))
}

/// Signal-to-noise ratio in dB of the output against the input, aligned block by block.
fn aligned_snr(output: &[i16], input: &[i16], len: usize, blocks: usize) -> f64 {
    let mut offset = find(output, &input[..64]).expect("aligned start");
    let (mut signal, mut noise) = (0.0, 0.0);
    for block in 0..blocks {
        if let Some(found) = locate_block(output, input, block, len, offset) {
            offset = found;
        }
        let start = offset + block * len;
        for (k, &x) in input[block * len..(block + 1) * len].iter().enumerate() {
            let y = output.get(start + k).copied().unwrap_or(0);
            signal += f64::from(x).powi(2);
            noise += (f64::from(x) - f64::from(y)).powi(2);
        }
    }
    10.0 * (signal / noise.max(1.0)).log10()
}

/// With 20 ms losses in a voiced-like signal (five harmonics, gliding pitch, syllable envelope),
/// each concealed frame correlates with the lost original at 0.9 or more (pitch repetition in
/// phase; the attenuation after 10 ms scales but does not reshape it). Measured: 0.95–0.99.
#[test]
fn a_concealed_frame_resembles_the_lost_one() {
    let lost = [150usize, 333, 517, 702, 888];
    let (mut jb, _) = buffer(8000);
    let (sent, input) = Sender::new(8000).send(1000, &voiced, |_, _| {});
    let mut net = Network::new(31);
    let (mut arrivals, _) = net.deliver(&sent);
    arrivals.retain(|a| !lost.contains(&a.index));
    let run = run(&mut jb, &sent, &arrivals, &Device::new(8000), drain_time(&sent), |_, _, _| {});
    let offset = find(&run.output, &input[..64]).unwrap();
    for block in lost {
        let offset = locate_block(&run.output, &input, block + 1, 160, offset).expect("realigned after the loss");
        let original = &input[block * 160..(block + 1) * 160];
        let concealed = &run.output[offset + block * 160..offset + (block + 1) * 160];
        let score = correlation(original, concealed);
        assert!(score >= 0.9, "packet {block}: correlation {score:.3}");
    }
    assert_eq!(jb.stats().packets_lost, lost.len() as u64);
}

/// Under 3% random loss the output (aligned block by block with the input) has an SNR at least
/// 6 dB better than the same input with lost frames replaced by silence (measured: 22.1 dB
/// against 14.9 dB).
#[test]
fn three_percent_loss_beats_silence_insertion_by_6_db() {
    let (mut jb, _) = buffer(8000);
    let (sent, input) = Sender::new(8000).send(3000, &voiced, |_, _| {});
    let mut net = Network::new(32);
    net.loss = Loss::Random(0.03);
    let (arrivals, report) = net.deliver(&sent);
    let run = run(&mut jb, &sent, &arrivals, &Device::new(8000), drain_time(&sent), |_, _, _| {});
    let total: f64 = input.iter().map(|&x| f64::from(x).powi(2)).sum();
    let lost: f64 = report
        .dropped
        .iter()
        .flat_map(|&id| &input[id as usize * 160..(id as usize + 1) * 160])
        .map(|&x| f64::from(x).powi(2))
        .sum();
    let silence_snr = 10.0 * (total / lost).log10();
    let snr = aligned_snr(&run.output, &input, 160, 2990);
    assert!(snr >= silence_snr + 6.0, "SNR {snr:.1} dB vs {silence_snr:.1} dB with silence");
}
