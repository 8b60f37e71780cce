//! Parsing throughput, side by side with the `rsip` crate in the same run (BENCHMARKS.md).
//!
//! Two workloads per message:
//! - `parse`: bytes to a message, Request-URI included (rsip parses it eagerly; we parse it
//!   with `Request::uri`, so both do the same work);
//! - `parse+read`: then read what a phone reads of every message: top Via branch, From tag,
//!   To tag, Call-ID and CSeq, as typed values.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rsip::prelude::*;
use std::hint::black_box;

#[path = "support/messages.rs"]
mod messages;
use messages::{INVITE, REGISTER_OK};

fn ours_parse(bytes: &bytes::Bytes) -> usize {
    let message = sip::parse_datagram(bytes.clone()).expect("parses");
    match &message {
        sip::Message::Request(r) => r.uri().expect("uri").scheme().len(),
        sip::Message::Response(r) => r.status as usize,
    }
}

fn ours_parse_read(bytes: &bytes::Bytes) -> usize {
    use sip::header::{numeric::CSeq, tokens::CallId, From, To, Via};
    let message = sip::parse_datagram(bytes.clone()).expect("parses");
    let h = message.headers();
    let via = h.typed_first::<Via>().expect("via").expect("via");
    let from = h.typed::<From>().expect("from").expect("from");
    let to = h.typed::<To>().expect("to").expect("to");
    let call_id = h.typed::<CallId>().expect("call-id").expect("call-id");
    let cseq = h.typed::<CSeq>().expect("cseq").expect("cseq");
    let uri_len = match &message {
        sip::Message::Request(r) => r.uri().expect("uri").scheme().len(),
        sip::Message::Response(_) => 0,
    };
    via.branch().map_or(0, str::len)
        + from.tag().map_or(0, str::len)
        + to.tag().map_or(0, str::len)
        + call_id.0.len()
        + cseq.seq as usize
        + uri_len
}

fn rsip_parse(bytes: &[u8]) -> usize {
    let message = rsip::SipMessage::try_from(bytes).expect("rsip parses");
    message.headers().iter().count()
}

fn rsip_parse_read(bytes: &[u8]) -> usize {
    let message = rsip::SipMessage::try_from(bytes).expect("rsip parses");
    let via = message.via_header().expect("via").typed().expect("via");
    let from = message.from_header().expect("from").typed().expect("from");
    let to = message.to_header().expect("to").typed().expect("to");
    let call_id = message.call_id_header().expect("call-id");
    let cseq = message.cseq_header().expect("cseq").typed().expect("cseq");
    via.branch().map_or(0, |b| b.to_string().len())
        + from.tag().map_or(0, |t| t.value().len())
        + to.tag().map_or(0, |t| t.value().len())
        + call_id.value().len()
        + cseq.seq as usize
}

fn bench(c: &mut Criterion) {
    for (name, text) in [("invite_sdp", INVITE), ("register_200", REGISTER_OK)] {
        let bytes = bytes::Bytes::from_static(text.as_bytes());
        // The message is what it claims to be: its Content-Length is its body.
        let parsed = sip::parse_datagram(bytes.clone()).expect("parses");
        let declared = parsed.headers().get(&sip::HeaderName::ContentLength).and_then(|l| l.parse::<usize>().ok());
        assert_eq!(declared, Some(parsed.body().len()), "{name}: Content-Length must match the body");
        // Both must agree on what they read, or the comparison means nothing.
        assert_eq!(ours_parse_read(&bytes) - ours_uri_len(&bytes), rsip_parse_read(text.as_bytes()));
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(BenchmarkId::new("parse", "hardphone"), |b| b.iter(|| ours_parse(black_box(&bytes))));
        group.bench_function(BenchmarkId::new("parse", "rsip"), |b| b.iter(|| rsip_parse(black_box(text.as_bytes()))));
        group.bench_function(BenchmarkId::new("parse+read", "hardphone"), |b| {
            b.iter(|| ours_parse_read(black_box(&bytes)))
        });
        group.bench_function(BenchmarkId::new("parse+read", "rsip"), |b| {
            b.iter(|| rsip_parse_read(black_box(text.as_bytes())))
        });
        group.finish();
    }
}

fn ours_uri_len(bytes: &bytes::Bytes) -> usize {
    match sip::parse_datagram(bytes.clone()).expect("parses") {
        sip::Message::Request(r) => r.uri().expect("uri").scheme().len(),
        sip::Message::Response(_) => 0,
    }
}

/// A hostile request: a 14 KiB Via (under the 16 KiB limit) of 2,500 distinct parameters, parsed and validated as the
/// phone would. Duplicate detection must stay O(n log n): this is the guard against a
/// quadratic path coming back.
fn hostile(c: &mut Criterion) {
    let params: String = (0..2500).map(|i| format!(";p{i}")).collect();
    let text = format!(
        "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h{params}\r\nFrom: <sip:b@c>;tag=1\r\nTo: <sip:a@b>\r\n\
         Call-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    let bytes = bytes::Bytes::from(text);
    let policy = sip::UasPolicy::phone();
    let limits = sip::Limits::default();
    assert_eq!(sip::inspect_datagram(bytes.clone(), &policy, &limits).verdict, sip::Verdict::Ok);
    c.bench_function("hostile/via_2500_params", |b| {
        b.iter(|| sip::inspect_datagram(black_box(bytes.clone()), &policy, &limits).verdict)
    });
}

criterion_group!(benches, bench, hostile);
criterion_main!(benches);
