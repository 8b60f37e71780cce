//! Oracles over whole messages: datagrams and streams.

use crate::header::{CSeq, CallId, Contact, From, To, Via};
use crate::{inspect_datagram, Frame, Headers, Limits, Message, StreamFramer, UasPolicy};

/// One UDP datagram as the phone receives it: inspection, then `parse(serialize(m)) == m`,
/// every typed accessor a phone reads, and the answer the phone would send (which must itself
/// round-trip).
pub fn datagram(data: &[u8]) {
    let inspection = inspect_datagram(data.to_vec(), &UasPolicy::phone(), &Limits::default());
    let _ = (inspection.verdict.as_str(), &inspection.reason, &inspection.method);
    let Some(message) = inspection.message else { return };

    let wire = message.to_bytes();
    let again = Message::parse(wire.clone()).unwrap_or_else(|e| {
        panic!("serialized message does not re-parse: {e}\nwire: {:?}", String::from_utf8_lossy(&wire))
    });
    assert_eq!(again, message, "re-parsed message differs\nwire: {:?}", String::from_utf8_lossy(&wire));

    touch_headers(message.headers());
    match &message {
        Message::Request(request) => {
            if let Ok(uri) = request.uri() {
                let _ = (uri.scheme(), uri.to_string());
                if let Some(sip) = uri.as_sip() {
                    let _ = (sip.user_decoded(), sip.transport(), sip.lr(), sip.maddr(), sip.equivalent(sip));
                }
            }
            let response = match &inspection.rejection {
                Some(rejection) => rejection.response_to(request, Some("fuzz-tag")),
                None => crate::reply(request, 200, "OK", Some("fuzz-tag")),
            };
            let wire = response.to_bytes();
            let parsed = Message::parse(wire.clone()).unwrap_or_else(|e| {
                panic!("our response does not parse: {e}\nwire: {:?}", String::from_utf8_lossy(&wire))
            });
            assert_eq!(parsed, Message::Response(response), "our response does not round-trip");
        }
        Message::Response(response) => {
            let _ = crate::validate_response(response);
        }
    }
}

fn touch_headers(headers: &Headers) {
    if let Ok(vias) = headers.typed_vec::<Via>() {
        for via in &vias {
            let _ = (via.branch(), via.has_rfc3261_branch(), via.received(), via.rport(), via.maddr(), via.ttl());
            let _ = via.to_string();
        }
    }
    let _ = headers.typed_first::<Via>();
    for addr in [headers.typed::<From>().ok().flatten().map(|f| f.0), headers.typed::<To>().ok().flatten().map(|t| t.0)]
        .into_iter()
        .flatten()
    {
        let _ = (addr.display(), addr.tag(), addr.uri.scheme(), addr.to_string());
    }
    if let Ok(Some(call_id)) = headers.typed::<CallId>() {
        let _ = call_id.to_string();
    }
    if let Ok(Some(cseq)) = headers.typed::<CSeq>() {
        let _ = (cseq.seq, cseq.method, cseq.to_string());
    }
    if let Ok(contacts) = headers.typed_vec::<Contact>() {
        for contact in &contacts {
            let _ = (contact.expires(), contact.q(), contact.instance(), contact.reg_id(), contact.to_string());
            if let Some(addr) = contact.addr() {
                let _ = (addr.uri.as_sip().map(|s| s.transport()), addr.tag());
            }
        }
    }
}

/// A byte stream cut into three reads at places the input's first two bytes choose: every
/// framed message round-trips, and the framer never yields more than the input holds.
pub fn stream(data: &[u8]) {
    let len = data.len();
    let a = data.first().map_or(0, |&b| b as usize * len / 256);
    let b = data.get(1).map_or(len, |&b| a + (b as usize * (len - a)) / 256);
    let chunks = [&data[..a], &data[a..b], &data[b..]];

    let mut framer = StreamFramer::new(Limits::default());
    let mut delivered = 0usize;
    'stream: for chunk in chunks {
        framer.push(chunk);
        loop {
            match framer.next_frame() {
                Ok(Some(Frame::Message(message))) => {
                    let wire = message.to_bytes();
                    let again = Message::parse(wire.clone()).unwrap_or_else(|e| {
                        panic!("framed message does not re-parse: {e}\nwire: {:?}", String::from_utf8_lossy(&wire))
                    });
                    assert_eq!(again, message, "framed message does not round-trip");
                    delivered += 1;
                }
                Ok(Some(Frame::Invalid(error))) => {
                    let _ = error.to_string();
                    delivered += 1;
                }
                Ok(Some(Frame::Ping | Frame::Pong)) => delivered += 1,
                Ok(None) => break,
                Err(_) => break 'stream,
            }
            assert!(delivered <= len / 2 + 1, "framer yields more frames than the input can hold");
        }
    }
    assert!(framer.buffered() <= len, "framer holds more than it was given");
}
