//! Shared helpers for the transaction tests: messages, a virtual clock, draining the layer.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sip::transaction::{Event, Input, Output, TransactionKey, TransactionLayer, Transport};
use sip::{parse_datagram, reply, Message, Request, Response};

/// A seeded RNG.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A request of `method` with `branch` on its Via (none when `None`), Call-ID `call_id`, CSeq
/// `seq` and one Route.
pub fn request_with(method: &str, branch: Option<&str>, call_id: &str, seq: u32) -> Request {
    let branch = branch.map(|b| format!(";branch={b}")).unwrap_or_default();
    let text = format!(
        "{method} sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP client.example.com:5060{branch}\r\n\
         Route: <sip:proxy.example.com;lr>\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\n\
         To: <sip:bob@example.com>\r\nCall-ID: {call_id}\r\nCSeq: {seq} {method}\r\nContent-Length: 0\r\n\r\n"
    );
    match parse_datagram(text.into_bytes()) {
        Ok(Message::Request(request)) => request,
        other => panic!("test request does not parse: {other:?}"),
    }
}

/// A request of `method` with RFC 3261 branch `branch`.
pub fn request(method: &str, branch: &str) -> Request {
    request_with(method, Some(branch), "c1@example.com", 1)
}

/// A response to `request` with To tag `b1` (as received: serialized and parsed back).
pub fn response(request: &Request, status: u16) -> Response {
    reparse(reply(request, status, sip::reason_phrase(status), Some("b1")))
}

/// `response` serialized and parsed back, as if received.
pub fn reparse(response: Response) -> Response {
    match parse_datagram(response.to_bytes()) {
        Ok(Message::Response(response)) => response,
        other => panic!("test response does not parse: {other:?}"),
    }
}

/// Input for a received `message` over UDP.
pub fn udp(message: impl Into<Msg>) -> Input {
    Input::Received { message: message.into().0, transport: Transport::Udp }
}

/// Input for a received `message` over TCP.
pub fn tcp(message: impl Into<Msg>) -> Input {
    Input::Received { message: message.into().0, transport: Transport::Tcp }
}

/// A message wrapper for `udp`/`tcp`.
pub struct Msg(pub Message);

impl From<Request> for Msg {
    fn from(r: Request) -> Msg {
        Msg(Message::Request(r))
    }
}

impl From<Response> for Msg {
    fn from(r: Response) -> Msg {
        Msg(Message::Response(r))
    }
}

/// Everything the layer has to say now.
pub fn drain(layer: &mut TransactionLayer) -> Vec<Output> {
    std::iter::from_fn(|| layer.poll_output()).collect()
}

/// What happened, milliseconds after the start of a test.
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    /// Milliseconds since the start.
    pub at: u64,
    /// The output.
    pub output: Output,
}

/// Wakes `layer` at each of its timeouts up to `start + until`, logging every output.
pub fn run_until(layer: &mut TransactionLayer, start: Instant, until: Duration) -> Vec<Logged> {
    let mut log = Vec::new();
    while let Some(at) = layer.poll_timeout().filter(|at| *at <= start + until) {
        layer.handle_timeout(at);
        let ms = u64::try_from((at - start).as_millis()).unwrap_or(u64::MAX);
        log.extend(drain(layer).into_iter().map(|output| Logged { at: ms, output }));
    }
    log
}

/// The times (in milliseconds) at which `log` transmits something.
pub fn transmit_times(log: &[Logged]) -> Vec<u64> {
    log.iter().filter(|l| matches!(l.output, Output::Transmit { .. })).map(|l| l.at).collect()
}

/// The time of the first event of `log` that `pred` accepts.
pub fn event_time(log: &[Logged], pred: impl Fn(&Event) -> bool) -> Option<u64> {
    log.iter().find(|l| matches!(&l.output, Output::Event(e) if pred(e))).map(|l| l.at)
}

/// The messages transmitted in `outputs`.
pub fn transmitted(outputs: &[Output]) -> Vec<Message> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Transmit { message, .. } => Some(message.clone()),
            Output::Event(_) => None,
        })
        .collect()
}

/// The events in `outputs`.
pub fn events(outputs: &[Output]) -> Vec<Event> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e.clone()),
            Output::Transmit { .. } => None,
        })
        .collect()
}

/// The key of the first `Event::Request` in `outputs`.
pub fn new_request_key(outputs: &[Output]) -> TransactionKey {
    events(outputs)
        .into_iter()
        .find_map(|e| match e {
            Event::Request { key, .. } => Some(key),
            _ => None,
        })
        .expect("a new request event")
}

/// Milliseconds as a `Duration`.
pub fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}
