//! RFC 3263 end to end at the edge: the sans-IO locator asks, hickory-resolver asks a small
//! authoritative server on 127.0.0.1 that this test runs, and the targets come out in order.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use hardphone::dns::Dns;
use hickory_resolver::proto::op::Message;
use hickory_resolver::proto::rr::rdata::{A, NAPTR, SRV};
use hickory_resolver::proto::rr::{Name, RData, Record};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sip::locate::{LocateError, LocatePrefs, Locator};
use sip::Transport;
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

/// The zone the test server knows: (name, record data).
fn zone() -> Vec<(&'static str, RData)> {
    let name = |n: &str| Name::from_ascii(n).unwrap();
    let naptr = |order, service: &str, replacement: &str| {
        RData::NAPTR(NAPTR::new(
            order,
            10,
            b"s".to_vec().into(),
            service.as_bytes().into(),
            Box::new([]),
            name(replacement),
        ))
    };
    vec![
        // example.test: NAPTR prefers TCP, whose SRV gives two targets of different priority.
        ("example.test.", naptr(10, "SIP+D2T", "_sip._tcp.example.test.")),
        ("example.test.", naptr(20, "SIP+D2U", "_sip._udp.example.test.")),
        ("_sip._tcp.example.test.", RData::SRV(SRV::new(20, 0, 5080, name("backup.example.test.")))),
        ("_sip._tcp.example.test.", RData::SRV(SRV::new(10, 0, 5070, name("primary.example.test.")))),
        ("primary.example.test.", RData::A(A(Ipv4Addr::new(127, 0, 0, 10)))),
        ("backup.example.test.", RData::A(A(Ipv4Addr::new(127, 0, 0, 11)))),
        // srvonly.test: no NAPTR, a UDP SRV record.
        ("_sip._udp.srvonly.test.", RData::SRV(SRV::new(0, 0, 5062, name("pbx.srvonly.test.")))),
        ("pbx.srvonly.test.", RData::A(A(Ipv4Addr::new(127, 0, 0, 12)))),
        // plain.test: only an address.
        ("plain.test.", RData::A(A(Ipv4Addr::new(127, 0, 0, 13)))),
    ]
}

/// Answers every query from [`zone`]; an unknown name gets an empty NOERROR answer.
async fn serve(socket: UdpSocket) {
    let zone = zone();
    let mut buffer = vec![0u8; 4096];
    loop {
        let Ok((len, from)) = socket.recv_from(&mut buffer).await else { return };
        let Ok(query) = Message::from_vec(&buffer[..len]) else { continue };
        let mut response = Message::response(query.metadata.id, query.metadata.op_code);
        response.metadata.recursion_desired = query.metadata.recursion_desired;
        response.metadata.recursion_available = true;
        for q in &query.queries {
            response.add_query(q.clone());
            for (owner, data) in zone.iter().filter(|(owner, data)| {
                Name::from_ascii(owner).unwrap() == q.name && data.record_type() == q.query_type
            }) {
                response.add_answer(Record::from_rdata(Name::from_ascii(owner).unwrap(), 60, data.clone()));
            }
        }
        if let Ok(bytes) = response.to_vec() {
            let _ = socket.send_to(&bytes, from).await;
        }
    }
}

async fn server() -> (SocketAddr, JoinHandle<()>) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    (addr, tokio::spawn(serve(socket)))
}

async fn locate(dns: &Dns, target: &str) -> Result<Vec<(SocketAddr, Transport)>, LocateError> {
    let locator = Locator::new(target, LocatePrefs::default())?;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let run = dns.locate(locator, &mut rng);
    // A guard against a hang, not a timing assertion: a dead server costs one lookup timeout per
    // locator step (NAPTR, SRV, addresses), about 18 s.
    let targets = tokio::time::timeout(Duration::from_secs(60), run).await.expect("bounded")?;
    Ok(targets.as_slice().iter().map(|t| (t.addr, t.transport)).collect())
}

#[tokio::test]
async fn naptr_srv_and_address_records_give_ordered_targets() {
    let (addr, task) = server().await;
    let dns = Dns::with_nameserver(addr).unwrap();
    let found = locate(&dns, "example.test").await.unwrap();
    assert_eq!(
        found,
        [("127.0.0.10:5070".parse().unwrap(), Transport::Tcp), ("127.0.0.11:5080".parse().unwrap(), Transport::Tcp)],
        "NAPTR order picks TCP; SRV priority orders the targets"
    );
    task.abort();
}

#[tokio::test]
async fn srv_without_naptr_and_address_only_names() {
    let (addr, task) = server().await;
    let dns = Dns::with_nameserver(addr).unwrap();
    assert_eq!(locate(&dns, "srvonly.test").await.unwrap(), [("127.0.0.12:5062".parse().unwrap(), Transport::Udp)]);
    assert_eq!(locate(&dns, "plain.test").await.unwrap(), [("127.0.0.13:5060".parse().unwrap(), Transport::Udp)]);
    assert_eq!(locate(&dns, "plain.test:5099").await.unwrap(), [("127.0.0.13:5099".parse().unwrap(), Transport::Udp)]);
    task.abort();
}

#[tokio::test]
async fn an_unknown_name_is_not_found_and_a_dead_server_fails() {
    let (addr, task) = server().await;
    let dns = Dns::with_nameserver(addr).unwrap();
    assert!(matches!(locate(&dns, "nothing.test").await, Err(LocateError::NotFound)));
    task.abort();
    // A port nobody answers on: every lookup fails, and the locator says so.
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let dns = Dns::with_nameserver(silent.local_addr().unwrap()).unwrap();
    assert!(matches!(locate(&dns, "example.test").await, Err(LocateError::DnsFailed | LocateError::NotFound)));
}

#[tokio::test]
async fn ip_literals_need_no_dns() {
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let dns = Dns::with_nameserver(silent.local_addr().unwrap()).unwrap();
    assert_eq!(locate(&dns, "192.0.2.7").await.unwrap(), [("192.0.2.7:5060".parse().unwrap(), Transport::Udp)]);
}
