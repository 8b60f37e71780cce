//! The E-model (ITU-T G.107, simplified) and the end-of-call quality line.

mod session_sim;

use std::time::Duration;

use media::quality::{
    delay_impairment, effective_impairment, mos_from_r, r_factor, CallMeasurements, CodecImpairment, EModelInput,
    QualityReport,
};
use media::session::CodecKind;
use session_sim::*;

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn e_model_pieces() {
    // G.107 Annex B.
    assert!(close(mos_from_r(93.2), 4.409, 0.001));
    assert_eq!(mos_from_r(-5.0), 1.0);
    assert_eq!(mos_from_r(f64::NAN), 1.0);
    assert_eq!(mos_from_r(120.0), 4.5);
    let mut last = 1.0;
    for r in 1..100 {
        let mos = mos_from_r(f64::from(r));
        assert!(mos >= last);
        last = mos;
    }
    // Id: 0.024 d below 177.3 ms, steeper above.
    assert!(close(delay_impairment(100.0), 2.4, 1e-9));
    assert!(close(delay_impairment(300.0), 7.2 + 0.11 * 122.7, 1e-9));
    // Ie,eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl), G.113 Bpl for G.711 with and without PLC.
    assert!(close(effective_impairment(CodecImpairment::G711_PLC, 5.0, 1.0), 95.0 * 5.0 / 30.1, 1e-9));
    assert!(close(effective_impairment(CodecImpairment::G711, 5.0, 1.0), 95.0 * 5.0 / 9.3, 1e-9));
    assert_eq!(effective_impairment(CodecImpairment::G711_PLC, 0.0, 1.0), 0.0);
    let bursty = effective_impairment(CodecImpairment::G711_PLC, 5.0, 4.0);
    assert!(bursty > effective_impairment(CodecImpairment::G711_PLC, 5.0, 1.0));
    // Wideband: G.107.1 scale, divided by 1.29 for the MOS.
    let input = |codec, loss| EModelInput { codec, one_way_delay_ms: 0.0, loss_percent: loss, burst_ratio: 1.0 };
    assert!(close(r_factor(&input(CodecImpairment::G722_PLC, 0.0)), (129.0 - 13.0) / 1.29, 1e-9));
    assert!(close(r_factor(&input(CodecImpairment::G711_PLC, 0.0)), 93.2, 1e-9));
}

#[test]
fn quality_line_format() {
    let measured = CallMeasurements {
        packets_sent: 3000,
        packets_received: 2990,
        packets_expected: 3000,
        packets_lost: 10,
        jitter_ms: 4.2,
        rtt_ms: Some(12.4),
        concealed_ms: 60,
        local_delay_ms: 40.0,
        burst_ratio: 1.0,
        ..CallMeasurements::default()
    };
    let report = QualityReport::assess(measured, CodecImpairment::G711_PLC);
    let line = report.to_string();
    assert!(line.starts_with("quality: sent 3000 recv 2990 lost 0.3% jitter 4.2 ms rtt 12 ms conceal 60 ms MOS 4."));
    assert_eq!(
        line,
        format!("quality: sent 3000 recv 2990 lost 0.3% jitter 4.2 ms rtt 12 ms conceal 60 ms MOS {:.2}", report.mos)
    );
    assert!(close(report.one_way_delay_ms, 46.2, 1e-9));
    let unknown = QualityReport::assess(CallMeasurements { rtt_ms: None, ..measured }, CodecImpairment::G722_PLC);
    assert!(unknown.to_string().contains("rtt - ms"));
    assert!(unknown.to_string().ends_with("(wideband)"));
}

fn call(kind: CodecKind, loss: f64, seconds: u64) -> (Sim, QualityReport) {
    let mut sim = Sim::new(&Setup::new(kind, kind.sample_rate()));
    sim.a.mic = Box::new(sine(440.0, 8000.0, kind.sample_rate()));
    sim.b.mic = Box::new(sine(550.0, 8000.0, kind.sample_rate()));
    sim.ab.loss = loss;
    sim.ab.calm = 10;
    sim.run_for(Duration::from_secs(seconds));
    let quality = sim.b.session.quality();
    (sim, quality)
}

#[test]
fn clean_g711_call_scores_about_4_4() {
    let (sim, q) = call(CodecKind::Pcmu, 0.0, 12);
    assert!((4.3..=4.42).contains(&q.mos), "{q}");
    let b = sim.b.session.stats();
    let expected = format!(
        "quality: sent {} recv {} lost 0.0% jitter 0.0 ms rtt 60 ms conceal 0 ms MOS {:.2}",
        b.packets_sent, b.packets_received, q.mos
    );
    assert_eq!(q.to_string(), expected);
    assert_eq!(b.packets_received, b.packets_expected);
}

#[test]
fn five_percent_loss_scores_lower() {
    let (_, clean) = call(CodecKind::Pcmu, 0.0, 12);
    let (sim, lossy) = call(CodecKind::Pcmu, 0.05, 12);
    assert!((3.5..=6.5).contains(&lossy.loss_percent), "{lossy}");
    assert!(lossy.mos < clean.mos - 0.2, "{lossy} vs {clean}");
    assert!(lossy.mos > 3.2, "{lossy}");
    assert!(lossy.measured.concealed_ms > 0);
    let stats = sim.b.session.stats();
    assert_eq!(lossy.measured.packets_lost, stats.packets_lost);
    // What A hears of B's reports agrees with B's own count.
    let remote = sim.a.session.stats().remote_report.unwrap();
    assert!(remote.cumulative_lost > 0);
}

#[test]
fn clean_g722_call_is_rated_on_the_wideband_scale() {
    let (_, q) = call(CodecKind::G722, 0.0, 8);
    assert!(q.wideband);
    assert!((4.2..=4.4).contains(&q.mos), "{q}");
    assert!(q.to_string().ends_with("(wideband)"));
}
