//! Call quality: the E-model of ITU-T G.107 in its usual simplified form, and the end-of-call
//! quality line.
//!
//! `R = Ro − Id − Ie,eff` with the default `Ro − Is + A = 93.2` (G.107 §7.7, Table 3 defaults),
//! where
//!
//! * `Id`, the delay impairment, is the widely used fit of Cole and Rosenbluth (2001) to G.107's
//!   `Idd` for a one-way mouth-to-ear delay `d` in ms with echo cancelled:
//!   `Id = 0.024 d + 0.11 (d − 177.3) H(d − 177.3)`;
//! * `Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl)` (G.107 §3.4, formula 7-29), with the
//!   codec's equipment impairment `Ie` and packet-loss robustness `Bpl` (ITU-T G.113 Appendix I),
//!   the effective loss `Ppl` in percent (lost and too-late packets) and the burst ratio `BurstR`
//!   of the observed loss pattern.
//!
//! Wideband codecs are rated on the wideband scale of ITU-T G.107.1 (`Ro = 129`, `Ie,eff` with
//! 129 in place of 95, the delay impairment scaled by 1.29) and, as G.107.1 does for its MOS,
//! divided by 1.29 before the conversion to MOS. A clean G.722 call therefore scores about 4.3 on
//! the wideband scale: the numbers of narrowband and wideband calls are not comparable, and the
//! quality line says which scale it uses.
//!
//! MOS follows G.107 Annex B: `MOS = 1 + 0.035 R + R (R − 60)(100 − R) · 7·10⁻⁶` for
//! `0 < R < 100`, 1 below and 4.5 above.

use std::fmt;

/// The G.107 default `Ro − Is + A` on the narrowband scale (G.107 §7.7).
pub const R_DEFAULT: f64 = 93.2;
/// The G.107.1 wideband `Ro`.
pub const R_WIDEBAND: f64 = 129.0;
/// The G.107.1 factor between the wideband and narrowband scales.
pub const WIDEBAND_SCALE: f64 = 1.29;

/// A codec's E-model planning values (ITU-T G.113 Appendix I; G.113 Appendix IV for wideband).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CodecImpairment {
    /// The equipment impairment factor `Ie` (`Ie,wb` for wideband codecs).
    pub ie: f64,
    /// The packet-loss robustness factor `Bpl`.
    pub bpl: f64,
    /// Rated on the G.107.1 wideband scale.
    pub wideband: bool,
}

impl CodecImpairment {
    /// G.711 without concealment: Ie 0, Bpl 4.3 (G.113 Appendix I, Table I.3).
    pub const G711: CodecImpairment = CodecImpairment { ie: 0.0, bpl: 4.3, wideband: false };
    /// G.711 with G.711 Appendix I style concealment, as our jitter buffer does: Ie 0, Bpl 25.1
    /// (G.113 Appendix I, Table I.3).
    pub const G711_PLC: CodecImpairment = CodecImpairment { ie: 0.0, bpl: 25.1, wideband: false };
    /// G.722 at 64 kbit/s with our concealment: Ie,wb 13 (G.113 Appendix IV, Table IV.1). G.113
    /// has no Bpl for G.722 with a waveform-repetition concealment like ours, so the G.711
    /// Appendix I value, 25.1, stands in for it: a documented approximation.
    pub const G722_PLC: CodecImpairment = CodecImpairment { ie: 13.0, bpl: 25.1, wideband: true };
    /// Opus at about 24 kbit/s wideband (SILK, RFC 6716) with libopus's concealment, as our
    /// session receives it: a documented approximation, as ITU-T G.113 has no Opus values.
    ///
    /// * `Ie,wb` 10: an assumption, not a measured value. Wideband Opus at 20–24 kbit/s is
    ///   commonly rated in listening tests about as well as or better than G.722 at 64 kbit/s,
    ///   whose G.113 Appendix IV value is 13; we take a little less than that.
    /// * `Bpl` 25.1: libopus's concealment extrapolates the codec's own parameters (LPC and
    ///   pitch for SILK), at least as robust as G.711 Appendix I's waveform repetition, whose
    ///   G.113 value stands in for it as it does for G.722.
    pub const OPUS_PLC: CodecImpairment = CodecImpairment { ie: 10.0, bpl: 25.1, wideband: true };
    /// Opus as [`CodecImpairment::OPUS_PLC`], with the in-band FEC of the packet after a loss
    /// decoded in its place. FEC recovers isolated losses at a lower bit rate but not bursts;
    /// assuming it restores about a third of the impact of random loss, `Bpl` becomes
    /// 25.1 / (1 − 1/3) ≈ 37.7 (`Ie,eff` scales with `Ppl / Bpl` at low loss). For when the
    /// jitter buffer decodes FEC ([`crate::codec::Decoder::decode_fec`]); it does not yet.
    pub const OPUS_FEC: CodecImpairment = CodecImpairment { ie: 10.0, bpl: 37.7, wideband: true };
}

/// What the E-model is computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EModelInput {
    /// The codec's planning values.
    pub codec: CodecImpairment,
    /// One-way mouth-to-ear delay in ms.
    pub one_way_delay_ms: f64,
    /// Effective packet loss `Ppl` in percent (0 to 100).
    pub loss_percent: f64,
    /// G.107 `BurstR`: 1 for random loss, more for bursty loss.
    pub burst_ratio: f64,
}

/// The delay impairment `Id` for a one-way delay of `d` ms (Cole–Rosenbluth fit to G.107).
pub fn delay_impairment(d: f64) -> f64 {
    let d = d.max(0.0);
    0.024 * d + if d > 177.3 { 0.11 * (d - 177.3) } else { 0.0 }
}

/// The effective equipment impairment `Ie,eff` (G.107 formula 7-29), on the codec's scale.
pub fn effective_impairment(codec: CodecImpairment, loss_percent: f64, burst_ratio: f64) -> f64 {
    let ppl = loss_percent.clamp(0.0, 100.0);
    let burst = if burst_ratio.is_finite() && burst_ratio > 0.0 { burst_ratio } else { 1.0 };
    let ceiling = if codec.wideband { R_WIDEBAND } else { 95.0 };
    if ppl == 0.0 {
        return codec.ie;
    }
    codec.ie + (ceiling - codec.ie) * ppl / (ppl / burst + codec.bpl)
}

/// The transmission rating `R` on the narrowband scale (wideband ratings divided by 1.29).
pub fn r_factor(input: &EModelInput) -> f64 {
    let id = delay_impairment(input.one_way_delay_ms);
    let ie_eff = effective_impairment(input.codec, input.loss_percent, input.burst_ratio);
    if input.codec.wideband {
        (R_WIDEBAND - WIDEBAND_SCALE * id - ie_eff) / WIDEBAND_SCALE
    } else {
        R_DEFAULT - id - ie_eff
    }
}

/// The estimated mean opinion score for a rating `r` (G.107 Annex B, formula B-4), never below 1.
pub fn mos_from_r(r: f64) -> f64 {
    if r.is_nan() || r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        // The cubic dips just below 1 for R under about 6.5; a MOS is never below 1.
        (1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7.0e-6).max(1.0)
    }
}

/// The measurements of one call a [`QualityReport`] is assessed from.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CallMeasurements {
    /// RTP packets we sent.
    pub packets_sent: u64,
    /// RTP packets we received (duplicates included, RFC 3550 A.3).
    pub packets_received: u64,
    /// RTP packets the peer's sequence numbers say it sent (RFC 3550 A.3).
    pub packets_expected: u64,
    /// Packets that never arrived.
    pub packets_lost: u64,
    /// Packets that arrived too late to play.
    pub packets_late: u64,
    /// Packets that arrived twice.
    pub packets_duplicate: u64,
    /// Interarrival jitter in ms (RFC 3550 A.8).
    pub jitter_ms: f64,
    /// Round-trip time in ms from RTCP (RFC 3550 §6.4.1), if known.
    pub rtt_ms: Option<f64>,
    /// Audio synthesized to conceal loss, in ms.
    pub concealed_ms: u64,
    /// Our end's share of the mouth-to-ear delay in ms: playout delay, packetization, codec and
    /// resampling. Half the round-trip time is added for the network.
    pub local_delay_ms: f64,
    /// G.107 `BurstR` of the loss pattern.
    pub burst_ratio: f64,
}

/// The end-of-call quality line: counts, loss, jitter, round-trip time, concealment and an
/// E-model MOS. Its `Display` is one line, e.g.
/// `quality: sent 3000 recv 2990 lost 0.3% jitter 4.2 ms rtt 12 ms conceal 60 ms MOS 4.38`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityReport {
    /// What was measured.
    pub measured: CallMeasurements,
    /// Network loss in percent of expected packets.
    pub loss_percent: f64,
    /// Effective loss for the E-model in percent: lost plus late.
    pub effective_loss_percent: f64,
    /// The one-way delay the E-model assumed, in ms.
    pub one_way_delay_ms: f64,
    /// The rating `R` on the narrowband scale.
    pub r_factor: f64,
    /// The MOS.
    pub mos: f64,
    /// Rated on the G.107.1 wideband scale.
    pub wideband: bool,
}

impl QualityReport {
    /// Assesses a call's measurements for `codec`.
    pub fn assess(measured: CallMeasurements, codec: CodecImpairment) -> Self {
        let percent = |n: u64| {
            if measured.packets_expected == 0 {
                0.0
            } else {
                (100.0 * n as f64 / measured.packets_expected as f64).min(100.0)
            }
        };
        let loss_percent = percent(measured.packets_lost);
        let effective_loss_percent = percent(measured.packets_lost + measured.packets_late);
        let one_way_delay_ms = measured.local_delay_ms + measured.rtt_ms.unwrap_or(0.0) / 2.0;
        let input = EModelInput {
            codec,
            one_way_delay_ms,
            loss_percent: effective_loss_percent,
            burst_ratio: measured.burst_ratio,
        };
        let r_factor = r_factor(&input);
        Self {
            measured,
            loss_percent,
            effective_loss_percent,
            one_way_delay_ms,
            r_factor,
            mos: mos_from_r(r_factor),
            wideband: codec.wideband,
        }
    }
}

impl fmt::Display for QualityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.measured;
        write!(
            f,
            "quality: sent {} recv {} lost {:.1}% jitter {:.1} ms ",
            m.packets_sent, m.packets_received, self.loss_percent, m.jitter_ms
        )?;
        match m.rtt_ms {
            Some(rtt) => write!(f, "rtt {rtt:.0} ms ")?,
            None => write!(f, "rtt - ms ")?,
        }
        write!(f, "conceal {} ms MOS {:.2}", m.concealed_ms, self.mos)?;
        if self.wideband {
            write!(f, " (wideband)")?;
        }
        Ok(())
    }
}
