//! Encode and decode of one 20 ms frame for PCMU, PCMA (160 samples at 8 kHz) and G.722
//! (320 samples at 16 kHz).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use media::codec::g711::{PcmaDecoder, PcmaEncoder, PcmuDecoder, PcmuEncoder};
use media::codec::g722::{G722Decoder, G722Encoder};
use media::codec::{Decoder, Encoder};

/// A 20 ms frame of a two-tone signal at `rate` Hz, about −10 dBFS.
fn frame(rate: u32) -> Vec<i16> {
    let samples = rate as usize / 50;
    (0..samples)
        .map(|n| {
            let t = n as f64 / f64::from(rate);
            let value = 7000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()
                + 3000.0 * (2.0 * std::f64::consts::PI * 2900.0 * t).sin();
            value as i16
        })
        .collect()
}

fn bench_codec(c: &mut Criterion, name: &str, encoder: &mut dyn Encoder, decoder: &mut dyn Decoder) {
    let pcm = frame(encoder.sample_rate());
    let mut payload = Vec::with_capacity(pcm.len());
    encoder.encode(&pcm, &mut payload);
    let mut decoded = Vec::with_capacity(pcm.len());

    let mut group = c.benchmark_group("codec_20ms");
    group.throughput(Throughput::Elements(pcm.len() as u64));
    group.bench_function(BenchmarkId::new("encode", name), |b| {
        b.iter(|| {
            payload.clear();
            encoder.encode(black_box(&pcm), &mut payload);
            black_box(&payload);
        })
    });
    group.bench_function(BenchmarkId::new("decode", name), |b| {
        b.iter(|| {
            decoded.clear();
            decoder.decode(black_box(&payload), &mut decoded).expect("valid payload");
            black_box(&decoded);
        })
    });
    group.finish();
}

fn codecs(c: &mut Criterion) {
    bench_codec(c, "pcmu", &mut PcmuEncoder::new(), &mut PcmuDecoder::new());
    bench_codec(c, "pcma", &mut PcmaEncoder::new(), &mut PcmaDecoder::new());
    bench_codec(c, "g722", &mut G722Encoder::new(), &mut G722Decoder::new());
}

criterion_group!(benches, codecs);
criterion_main!(benches);
