//! The oracle over single header values.

use std::fmt::{Debug, Display};

use crate::digest::{verify, Algorithm, Authorization, Challenge, ClientAuth, DigestRequest, Qop, QopOptions};
use crate::grammar::{escapes_are_valid, percent_decode, split_commas, unquote};
use crate::header::*;
use crate::uri::{Host, SipUri, TelUri, Uri};
use crate::{HeaderName, Method, TypedHeader, Version};

/// Arbitrary text (lossily decoded) through every typed header, URI, digest and grammar parser:
/// nothing panics, and what parses prints back to what parses the same.
pub fn header_values(data: &[u8]) {
    header_value(&String::from_utf8_lossy(data));
}

fn header_value(value: &str) {
    typed::<Via>(value, |v| {
        let _ = (v.branch(), v.has_rfc3261_branch(), v.received(), v.rport(), v.maddr(), v.ttl(), v.host.is_ip());
    });
    typed::<From>(value, |a| name_addr(&a.0));
    typed::<To>(value, |a| name_addr(&a.0));
    typed::<Route>(value, |a| name_addr(&a.0));
    typed::<RecordRoute>(value, |a| name_addr(&a.0));
    typed::<ReferTo>(value, |a| name_addr(&a.0));
    typed::<ReferredBy>(value, |a| name_addr(&a.0));
    typed::<PAssertedIdentity>(value, |a| name_addr(&a.0));
    typed::<CallInfo>(value, |a| name_addr(&a.0));
    typed::<AlertInfo>(value, |a| name_addr(&a.0));
    typed::<Contact>(value, |c| {
        let _ = (c.expires(), c.q(), c.instance(), c.reg_id());
        if let Some(a) = c.addr() {
            name_addr(a);
        }
    });
    typed::<ContentType>(value, |c| media(&c.0));
    typed::<Accept>(value, |a| {
        media(&a.0);
        let _ = (a.q(), a.accepts(&a.0));
    });
    typed::<CSeq>(value, |_| {});
    typed::<MaxForwards>(value, |_| {});
    typed::<Expires>(value, |_| {});
    typed::<MinExpires>(value, |_| {});
    typed::<ContentLength>(value, |_| {});
    typed::<RSeq>(value, |_| {});
    typed::<RAck>(value, |_| {});
    typed::<SessionExpires>(value, |_| {});
    typed::<MinSe>(value, |_| {});
    typed::<RetryAfter>(value, |r| {
        let _ = r.duration();
    });
    typed::<Date>(value, |d| {
        let _ = d.unix_seconds();
    });
    typed::<Allow>(value, |_| {});
    typed::<Supported>(value, |_| {});
    typed::<Require>(value, |_| {});
    typed::<ProxyRequire>(value, |_| {});
    typed::<Unsupported>(value, |_| {});
    typed::<CallId>(value, |_| {});
    typed::<Event>(value, |e| {
        let _ = (e.id(), e.templates().count());
    });
    typed::<SubscriptionState>(value, |s| {
        let _ = (s.expires(), s.reason(), s.retry_after());
    });
    typed::<Replaces>(value, |_| {});
    typed::<AnswerMode>(value, |_| {});
    typed::<PrivAnswerMode>(value, |_| {});
    typed::<Reason>(value, |r| {
        let _ = r.text_unquoted();
    });
    typed::<Warning>(value, |w| {
        let _ = w.text_unquoted();
    });
    typed::<UserAgent>(value, |_| {});
    typed::<Server>(value, |_| {});
    other_parsers(value);
}

/// The URI, digest and grammar parsers on `value`.
fn other_parsers(value: &str) {
    if let Ok(a) = NameAddr::parse(value) {
        name_addr(&a);
    }
    if let Ok(params) = Params::parse(value) {
        let _ = (params.iter().count(), params.get("tag"), params.get_unquoted("q"), params.check_unique());
    }

    uri_round_trip(value);
    let _ = SipUri::parse(value);
    let _ = TelUri::parse(value);
    let _ = Host::parse(value).map(|h| h.to_string());
    let _ = Host::parse_with_port(value);

    if let Ok(challenge) = Challenge::parse(value) {
        let _ = challenge.to_string();
        if let Ok(mut client) = ClientAuth::new("alice", "secret", &challenge) {
            let credentials =
                client.authorize(&DigestRequest::new("INVITE", "sip:bob@example.com", b"v=0"), &mut CountingRng(0));
            let _ = credentials.to_string();
            let _ = client.update(&challenge);
        }
    }
    if let Ok(auth) = Authorization::parse(value) {
        let _ = (auth.to_string(), verify(&auth, "secret", "REGISTER", b""));
    }
    let _ = (Algorithm::parse(value), Qop::parse(value), QopOptions::parse(value));

    let _ = (unquote(value), percent_decode(value), escapes_are_valid(value), split_commas(value).count());
    let _ = (Version::parse(value), Method::from_token(value), HeaderName::from_bytes(value).to_string());
    let _ = crate::multipart::part_types(value.as_bytes(), "b").count();
}

fn typed<'a, T: TypedHeader<'a> + Display + Debug>(value: &'a str, check: impl Fn(&T)) {
    let one = |text: &'a str| {
        if let Ok(header) = T::parse(text) {
            check(&header);
            let _ = (header.to_string(), format!("{header:?}"));
        }
    };
    one(value);
    if T::LIST {
        for element in split_commas(value) {
            one(element);
        }
    }
}

fn name_addr(addr: &NameAddr<'_>) {
    let _ = (addr.display(), addr.tag(), addr.uri.scheme(), addr.to_string());
    uri_round_trip(addr.uri_text);
}

fn media(media: &MediaType<'_>) {
    let _ = (media.is("application", "sdp"), media.matches_range(media), media.param("boundary"), media.to_string());
}

fn uri_round_trip(text: &str) {
    let Ok(uri) = Uri::parse(text) else { return };
    let _ = uri.scheme();
    if let Some(sip) = uri.as_sip() {
        let _ = (sip.user_decoded(), sip.password_decoded(), sip.param("transport"), sip.transport(), sip.lr());
        let _ = (sip.maddr(), sip.user_param(), sip.method_param(), sip.equivalent(sip));
    }
    if let Some(tel) = uri.as_tel() {
        let _ = (tel.is_global(), tel.phone_context());
    }
    let printed = uri.to_string();
    match Uri::parse(&printed) {
        Ok(again) => assert_eq!(again, uri, "URI {text:?} prints as {printed:?}, which parses differently"),
        Err(e) => panic!("URI {text:?} prints as {printed:?}, which does not parse: {e}"),
    }
}

/// A deterministic RNG for cnonces.
struct CountingRng(u64);

impl rand_core::RngCore for CountingRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            *b = self.next_u64() as u8;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
