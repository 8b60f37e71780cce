//! The SIP transports over loopback: UDP, TCP (outbound, inbound, reuse, close, garbage) and the
//! TLS client against a test server with a CA made at test time.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hardphone::transport::{
    CloseReason, Destination, FlowId, TlsSettings, Transport, TransportError, TransportEvent, Transports,
};
use rustls::CertificateError;
use sip::{Frame, LimitError, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const LIMIT: Duration = Duration::from_secs(5);

const OPTIONS: &str = "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
To: <sip:bob@127.0.0.1>\r\n\
From: <sip:alice@127.0.0.1>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 63104 OPTIONS\r\n\
Content-Length: 0\r\n\r\n";

const MESSAGE: &str = "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK776asdhdt\r\n\
Max-Forwards: 70\r\n\
To: <sip:bob@127.0.0.1>\r\n\
From: <sip:alice@127.0.0.1>;tag=1928301774\r\n\
Call-ID: a84b4c76e66711\r\n\
CSeq: 1 MESSAGE\r\n\
Content-Type: text/plain\r\n\
Content-Length: 5\r\n\r\nhello";

const OK: &str = "SIP/2.0 200 OK\r\n\
Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK776asdhds\r\n\
To: <sip:bob@127.0.0.1>;tag=a6c85cf\r\n\
From: <sip:alice@127.0.0.1>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 63104 OPTIONS\r\n\
Content-Length: 0\r\n\r\n";

/// Every await in these tests is bounded.
async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future).await.expect("timed out")
}

fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn transports(tls: TlsSettings) -> Transports {
    within(Transports::bind(localhost(), tls)).await.expect("binds")
}

async fn plain() -> Transports {
    transports(TlsSettings { system_roots: false, ca_file: None }).await
}

/// The next event that is a frame, asserting it comes on `flow`.
async fn frame(t: &mut Transports, flow: FlowId) -> Frame {
    match within(t.next_event()).await {
        TransportEvent::Frame { flow: got, transport, frame, .. } => {
            assert_eq!(got, flow);
            assert_ne!(transport, Transport::Udp);
            frame
        }
        other => panic!("expected a frame, got {other:?}"),
    }
}

async fn opened(t: &mut Transports) -> (FlowId, SocketAddr) {
    match within(t.next_event()).await {
        TransportEvent::FlowOpened { flow, transport: Transport::Tcp, from } => (flow, from),
        other => panic!("expected an inbound flow, got {other:?}"),
    }
}

fn method(frame: &Frame) -> String {
    match frame {
        Frame::Message(Message::Request(request)) => request.method.to_string(),
        other => panic!("expected a request, got {other:?}"),
    }
}

fn is_response(frame: &Frame) -> bool {
    matches!(frame, Frame::Message(Message::Response(_)))
}

#[tokio::test]
async fn udp_exchanges_a_datagram_and_tcp_listens_on_the_same_port() {
    let mut a = plain().await;
    let mut b = plain().await;
    assert_ne!(a.local_addr().port(), 0);

    let flow = within(a.send(Destination::udp(b.local_addr()), Bytes::from_static(OPTIONS.as_bytes()))).await;
    assert_eq!(flow.expect("sent"), None, "UDP has no flow");
    match within(b.next_event()).await {
        TransportEvent::Datagram { from, local, bytes } => {
            assert_eq!(from, a.local_addr(), "sent from the bound socket");
            assert_eq!(local, b.local_addr());
            let message = sip::parse_datagram(bytes).expect("parses");
            assert!(matches!(message, Message::Request(r) if r.method.to_string() == "OPTIONS"));
        }
        other => panic!("expected a datagram, got {other:?}"),
    }

    // Port 0 gave TCP the same port: a connection to the UDP address is accepted.
    let _client = within(TcpStream::connect(a.local_addr())).await.expect("TCP on the UDP port");
    let (_, from) = opened(&mut a).await;
    assert_eq!(from, _client.local_addr().unwrap());
}

#[tokio::test]
async fn tcp_frames_messages_and_keepalives_reuses_the_flow_and_answers_on_it() {
    let mut a = plain().await;
    let mut b = plain().await;
    let to = Destination::tcp(b.local_addr());

    let first = within(a.send(to.clone(), Bytes::from_static(OPTIONS.as_bytes()))).await.unwrap().unwrap();
    let second = within(a.send(to.clone(), Bytes::from_static(MESSAGE.as_bytes()))).await.unwrap().unwrap();
    assert_eq!(first, second, "the second send reuses the connection");
    within(a.send_on(first, Bytes::from_static(b"\r\n\r\n"))).await.unwrap();
    assert_eq!(a.flow(first).unwrap().transport, Transport::Tcp);
    assert!(!a.flow(first).unwrap().inbound);

    let (inbound, from) = opened(&mut b).await;
    assert_eq!(b.flow(inbound).unwrap().remote, from);
    assert_eq!(method(&frame(&mut b, inbound).await), "OPTIONS");
    let message = frame(&mut b, inbound).await;
    assert_eq!(method(&message), "MESSAGE");
    assert!(matches!(&message, Frame::Message(Message::Request(r)) if &r.body[..] == b"hello"));
    assert_eq!(frame(&mut b, inbound).await, Frame::Ping);

    // The response goes back on the connection the request came in on (RFC 3261 §18.2.2).
    within(b.send_on(inbound, Bytes::from_static(OK.as_bytes()))).await.unwrap();
    assert!(is_response(&frame(&mut a, first).await));

    // b closes: a learns it; b reports nothing for a flow it closed itself.
    assert!(b.close(inbound));
    assert!(!b.close(inbound));
    match within(a.next_event()).await {
        TransportEvent::FlowClosed { flow, transport: Transport::Tcp, remote, reason: CloseReason::PeerClosed } => {
            assert_eq!((flow, remote), (first, b.local_addr()));
        }
        other => panic!("expected the flow to close, got {other:?}"),
    }
    assert!(a.flow(first).is_none());
    assert!(matches!(
        within(a.send_on(first, Bytes::from_static(b"\r\n"))).await,
        Err(TransportError::UnknownFlow(flow)) if flow == first
    ));

    // The next send opens a new flow.
    let third = within(a.send(to, Bytes::from_static(OPTIONS.as_bytes()))).await.unwrap().unwrap();
    assert_ne!(third, first);
    let (again, _) = opened(&mut b).await;
    assert_eq!(method(&frame(&mut b, again).await), "OPTIONS");
}

#[tokio::test]
async fn inbound_connection_is_framed_answered_with_send_on_and_its_close_reported() {
    let mut b = plain().await;
    let mut peer = within(TcpStream::connect(b.local_addr())).await.unwrap();
    // Two messages and a keep-alive back to back, in one write.
    let burst = format!("{OPTIONS}{MESSAGE}\r\n\r\n");
    within(peer.write_all(burst.as_bytes())).await.unwrap();

    let (flow, from) = opened(&mut b).await;
    assert_eq!(from, peer.local_addr().unwrap());
    assert_eq!(method(&frame(&mut b, flow).await), "OPTIONS");
    assert_eq!(method(&frame(&mut b, flow).await), "MESSAGE");
    assert_eq!(frame(&mut b, flow).await, Frame::Ping);

    within(b.send_on(flow, Bytes::from_static(OK.as_bytes()))).await.unwrap();
    let mut got = vec![0; OK.len()];
    within(peer.read_exact(&mut got)).await.unwrap();
    assert_eq!(got, OK.as_bytes());

    drop(peer);
    match within(b.next_event()).await {
        TransportEvent::FlowClosed { flow: closed, reason: CloseReason::PeerClosed, .. } => assert_eq!(closed, flow),
        other => panic!("expected the flow to close, got {other:?}"),
    }
    assert_eq!(b.flows().count(), 0);
}

#[tokio::test]
async fn endless_header_section_closes_the_connection_at_the_size_limit() {
    let mut b = plain().await;
    let mut peer = within(TcpStream::connect(b.local_addr())).await.unwrap();
    let mut garbage = b"OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n".to_vec();
    while garbage.len() < 100 * 1024 {
        garbage.extend_from_slice(b"X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    // The write may fail once b hangs up: it runs on its own.
    let writer = tokio::spawn(async move {
        let _ = peer.write_all(&garbage).await;
        let mut rest = Vec::new();
        // b closed the connection: the peer reads its end (or a reset).
        let _ = peer.read_to_end(&mut rest).await;
        rest.len()
    });

    let (flow, _) = opened(&mut b).await;
    match within(b.next_event()).await {
        TransportEvent::FlowClosed { flow: closed, reason: CloseReason::Framing(error), .. } => {
            assert_eq!(closed, flow);
            assert_eq!(error, LimitError::MessageTooLarge { limit: sip::Limits::default().max_message_size }.into());
        }
        other => panic!("expected the flow to close for framing, got {other:?}"),
    }
    assert!(b.flow(flow).is_none());
    assert_eq!(within(writer).await.unwrap(), 0, "nothing was sent back");
}

/// A CA, a certificate for "localhost" it signed, and the CA written to a PEM file.
struct TestPki {
    ca_file: PathBuf,
    chain: Vec<rustls_pki_types::CertificateDer<'static>>,
    key: rustls_pki_types::PrivateKeyDer<'static>,
}

impl TestPki {
    fn new(tag: &str) -> TestPki {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "Hardphone test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap().signed_by(&key, &ca, &ca_key).unwrap();
        let ca_file = std::env::temp_dir().join(format!("hardphone-transport-{tag}-{}.pem", std::process::id()));
        std::fs::write(&ca_file, ca.pem()).unwrap();
        TestPki {
            ca_file,
            chain: vec![leaf.der().clone()],
            key: rustls_pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        }
    }
}

impl Drop for TestPki {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca_file);
    }
}

/// A TLS server that answers every request with 200 OK, on as many connections as it gets.
async fn tls_server(pki: &TestPki) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(pki.chain.clone(), pki.key.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind(localhost()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut framer = sip::StreamFramer::new(sip::Limits::default());
                let mut buf = [0; 4096];
                while let Ok(n @ 1..) = tls.read(&mut buf).await {
                    framer.push(&buf[..n]);
                    while let Ok(Some(frame)) = framer.next_frame() {
                        if matches!(frame, Frame::Message(Message::Request(_))) {
                            let _ = tls.write_all(OK.as_bytes()).await;
                        }
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn tls_client_verifies_the_server_against_the_configured_ca() {
    let pki = TestPki::new("ok");
    let server = tls_server(&pki).await;
    let mut a = transports(TlsSettings { system_roots: false, ca_file: Some(pki.ca_file.clone()) }).await;

    let to = Destination::tls(server, "localhost");
    let flow = within(a.send(to.clone(), Bytes::from_static(OPTIONS.as_bytes()))).await.unwrap().unwrap();
    let info = a.flow(flow).unwrap();
    assert_eq!((info.transport, info.server_name.as_deref()), (Transport::Tls, Some("localhost")));
    assert!(is_response(&frame(&mut a, flow).await));

    let again = within(a.send(to, Bytes::from_static(OPTIONS.as_bytes()))).await.unwrap().unwrap();
    assert_eq!(again, flow, "the TLS flow is reused");
    assert!(is_response(&frame(&mut a, flow).await));
}

#[tokio::test]
async fn tls_client_refuses_a_certificate_for_another_name() {
    let pki = TestPki::new("name");
    let server = tls_server(&pki).await;
    let mut a = transports(TlsSettings { system_roots: false, ca_file: Some(pki.ca_file.clone()) }).await;

    let sent =
        within(a.send(Destination::tls(server, "sip.example.com"), Bytes::from_static(OPTIONS.as_bytes()))).await;
    match sent {
        Err(TransportError::TlsHandshake {
            to,
            server_name,
            source:
                rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
                ),
        }) => assert_eq!((to, server_name.as_str()), (server, "sip.example.com")),
        other => panic!("expected a name mismatch, got {other:?}"),
    }
    assert_eq!(a.flows().count(), 0);
}

#[tokio::test]
async fn tls_client_refuses_a_server_whose_ca_it_does_not_trust() {
    let pki = TestPki::new("noca");
    let server = tls_server(&pki).await;
    // The system roots only (possibly none on this machine): the test CA is unknown.
    let mut a = transports(TlsSettings::default()).await;

    let sent = within(a.send(Destination::tls(server, "localhost"), Bytes::from_static(OPTIONS.as_bytes()))).await;
    assert!(
        matches!(
            sent,
            Err(TransportError::TlsHandshake {
                source: rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
                ..
            })
        ),
        "{sent:?}"
    );
}

#[tokio::test]
async fn bad_ca_files_and_unreachable_peers_give_precise_errors() {
    let missing = std::env::temp_dir().join("hardphone-transport-no-such-ca.pem");
    let bound = Transports::bind(localhost(), TlsSettings { system_roots: false, ca_file: Some(missing) }).await;
    assert!(matches!(bound, Err(TransportError::CaFileRead { .. })), "{bound:?}");

    let empty = std::env::temp_dir().join(format!("hardphone-transport-empty-{}.pem", std::process::id()));
    std::fs::write(&empty, "no certificate here\n").unwrap();
    let bound = Transports::bind(localhost(), TlsSettings { system_roots: false, ca_file: Some(empty.clone()) }).await;
    let _ = std::fs::remove_file(&empty);
    assert!(matches!(bound, Err(TransportError::CaFileEmpty { .. })), "{bound:?}");

    // A port nobody listens on: take one and free it.
    let closed = TcpListener::bind(localhost()).await.unwrap().local_addr().unwrap();
    let mut a = plain().await;
    let sent = within(a.send(Destination::tcp(closed), Bytes::from_static(OPTIONS.as_bytes()))).await;
    assert!(matches!(sent, Err(TransportError::Connect { to, .. }) if to == closed), "{sent:?}");

    let sent = within(a.send(Destination::tls(closed, "not a name!"), Bytes::from_static(OPTIONS.as_bytes()))).await;
    assert!(matches!(sent, Err(TransportError::InvalidServerName { .. })), "{sent:?}");
}
