//! Interop with a real registrar: Kamailio on 127.0.0.1 with digest authentication. The test
//! writes Kamailio's configuration and users, starts it, and stops it by PID; `./scripts/test`
//! installs it. A REGISTER built by `sip`, sent by `hardphone::transport`, answers Kamailio's
//! challenge with `sip::digest` and must end with a binding in Kamailio's location table.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use hardphone::transport::{Destination, TlsSettings, TransportEvent, Transports};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sip::digest::{Challenge, ClientAuth, DigestRequest};
use sip::header::{Contact, WwwAuthenticate};
use sip::{Frame, HeaderName, Message, Method, Request, Response, Transport};

mod support;

use support::{location_table, start_kamailio, Kamailio, PASSWORD, USER};

fn request(
    method: Method,
    kamailio: u16,
    local: SocketAddr,
    transport: Transport,
    cseq: u32,
    extra: &[(HeaderName, String)],
) -> Request {
    let mut r = Request::new(method.clone(), format!("sip:127.0.0.1:{kamailio}")).unwrap();
    let h = &mut r.headers;
    h.push(
        HeaderName::Via,
        format!("SIP/2.0/{transport} {local};rport;branch=z9hG4bK-interop-{cseq}-{}", transport.as_str()),
    )
    .unwrap();
    h.push(HeaderName::MaxForwards, "70").unwrap();
    h.push(HeaderName::From, format!("<sip:{USER}@127.0.0.1>;tag=hp{cseq}")).unwrap();
    h.push(HeaderName::To, format!("<sip:{USER}@127.0.0.1>")).unwrap();
    h.push(HeaderName::CallId, format!("interop-{}@127.0.0.1", transport.as_str())).unwrap();
    h.push(HeaderName::CSeq, format!("{cseq} {method}")).unwrap();
    let param = if transport == Transport::Udp {
        String::new()
    } else {
        format!(";transport={}", transport.as_str().to_lowercase())
    };
    h.push(HeaderName::Contact, format!("<sip:{USER}@{local}{param}>;expires=300")).unwrap();
    for (name, value) in extra {
        h.push(name.clone(), value).unwrap();
    }
    h.push(HeaderName::ContentLength, "0").unwrap();
    r
}

/// The next response on `transports`, within a bounded wait.
async fn response(transports: &mut Transports) -> Response {
    for _ in 0..20 {
        let event =
            tokio::time::timeout(Duration::from_secs(5), transports.next_event()).await.expect("kamailio answers");
        let message = match event {
            TransportEvent::Datagram { bytes, .. } => Message::parse(bytes).ok(),
            TransportEvent::Frame { frame: Frame::Message(m), .. } => Some(m),
            _ => None,
        };
        if let Some(Message::Response(r)) = message {
            if r.status >= 200 {
                return r;
            }
        }
    }
    panic!("no final response");
}

async fn wait_until_up(transports: &mut Transports, kamailio: &Kamailio) {
    let local = transports.local_addr();
    let dest = Destination {
        addr: SocketAddr::from(([127, 0, 0, 1], kamailio.port)),
        transport: Transport::Udp,
        server_name: None,
    };
    for attempt in 0..50u32 {
        let options = request(Method::Options, kamailio.port, local, Transport::Udp, 100 + attempt, &[]);
        let _ = transports.send(dest.clone(), Bytes::from(options.to_bytes())).await;
        if let Ok(event) = tokio::time::timeout(Duration::from_millis(200), transports.next_event()).await {
            if matches!(event, TransportEvent::Datagram { .. }) {
                return;
            }
        }
    }
    let log = std::fs::read_to_string(kamailio.dir.join("kamailio.log")).unwrap_or_default();
    panic!("kamailio did not start:\n{log}");
}

/// Registers over `transport` and returns the 200 OK.
async fn register(transports: &mut Transports, kamailio: &Kamailio, transport: Transport, password: &str) -> Response {
    let local = transports.local_addr();
    let dest = Destination { addr: SocketAddr::from(([127, 0, 0, 1], kamailio.port)), transport, server_name: None };
    let first = request(Method::Register, kamailio.port, local, transport, 1, &[]);
    transports.send(dest.clone(), Bytes::from(first.to_bytes())).await.expect("send");
    let challenge_response = response(transports).await;
    assert_eq!(challenge_response.status, 401, "Kamailio challenges first");
    let WwwAuthenticate(challenge): WwwAuthenticate = challenge_response.headers.typed().unwrap().unwrap();
    let challenge: Challenge<'static> = challenge.into_owned();
    let mut auth = ClientAuth::new(USER, password, &challenge).expect("usable challenge");
    let uri = format!("sip:127.0.0.1:{}", kamailio.port);
    let credentials = auth.authorize(&DigestRequest::new("REGISTER", &uri, b""), &mut ChaCha8Rng::seed_from_u64(9));
    let second = request(
        Method::Register,
        kamailio.port,
        local,
        transport,
        2,
        &[(HeaderName::Authorization, credentials.to_string())],
    );
    transports.send(dest, Bytes::from(second.to_bytes())).await.expect("send");
    response(transports).await
}

#[tokio::test]
async fn registers_with_digest_over_udp_and_tcp() {
    let kamailio = start_kamailio();
    let mut transports = Transports::bind("127.0.0.1:0".parse().unwrap(), TlsSettings::default()).await.unwrap();
    wait_until_up(&mut transports, &kamailio).await;
    for transport in [Transport::Udp, Transport::Tcp] {
        let ok = register(&mut transports, &kamailio, transport, PASSWORD).await;
        assert_eq!(ok.status, 200, "{transport}: {}", ok.reason);
        let contacts: Vec<Contact> = ok.headers.typed_vec().unwrap();
        let local = transports.local_addr().to_string();
        assert!(
            contacts.iter().any(|c| c.addr().is_some_and(|a| a.uri_text.contains(&local)) && c.expires().is_some()),
            "{transport}: our binding is listed with its expiry: {contacts:?}"
        );
    }
    let table = location_table(&kamailio);
    assert!(table.contains(&format!("sip:{USER}@")), "location table: {table}");
}

#[tokio::test]
async fn a_wrong_password_is_challenged_again() {
    let kamailio = start_kamailio();
    let mut transports = Transports::bind("127.0.0.1:0".parse().unwrap(), TlsSettings::default()).await.unwrap();
    wait_until_up(&mut transports, &kamailio).await;
    let refused = register(&mut transports, &kamailio, Transport::Udp, "wrong").await;
    assert_eq!(refused.status, 401);
    assert!(!location_table(&kamailio).contains(&format!("sip:{USER}@")));
}
