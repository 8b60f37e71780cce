//! The fake registrar and the virtual-clock harness shared by the core's tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use phone::core::{Core, Located, Output, Routes};
use phone::{Config, InstanceId};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sip::digest;
use sip::header::{Authorization, Contact, Expires};
use sip::locate::Target;
use sip::name::HeaderName;
use sip::registration::RegistrationState;
use sip::{reason_phrase, reply, Message, Method, Request, Response, Transport};

pub const INSTANCE: &str = "urn:uuid:11111111-2222-4333-8444-555555555555";
pub const LOCAL: &str = "192.0.2.10:5060";

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

pub fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// A registrar answering REGISTER statelessly: 401 with a challenge, then 200 once the digest
/// checks against its password.
pub struct Registrar {
    pub addr: SocketAddr,
    pub password: String,
    pub online: bool,
    /// REGISTERs received: (time, request).
    pub registers: Vec<(Instant, Request)>,
    /// Bindings: Contact URI → expiry in seconds.
    pub bindings: BTreeMap<String, u32>,
    /// The Flow-Timer its 200s carry (RFC 5626 §4.4.1), if any.
    pub flow_timer: Option<u32>,
    /// When set, every REGISTER gets 503 with this Retry-After (an overloaded registrar).
    pub unavailable: Option<u32>,
    /// Bindings: Contact URI → when it lapses.
    pub expiry: BTreeMap<String, Instant>,
}

impl Registrar {
    pub fn new(address: &str, password: &str) -> Registrar {
        Registrar {
            addr: addr(address),
            password: password.into(),
            online: true,
            registers: Vec::new(),
            bindings: BTreeMap::new(),
            flow_timer: None,
            unavailable: None,
            expiry: BTreeMap::new(),
        }
    }

    /// A restart: every binding is lost (the registrar keeps them in memory).
    pub fn restart(&mut self) {
        self.bindings.clear();
        self.expiry.clear();
    }

    /// True when a binding is live at `now`: set and not yet expired (counted from the
    /// REGISTER that set it).
    pub fn bound_at(&self, now: Instant) -> bool {
        self.expiry.values().any(|until| now < *until)
    }

    pub fn answer(&mut self, now: Instant, request: &Request) -> Option<Response> {
        self.registers.push((now, request.clone()));
        if !self.online {
            return None;
        }
        if let Some(seconds) = self.unavailable {
            let mut response = reply(request, 503, reason_phrase(503), Some("reg1"));
            response.headers.push(HeaderName::RetryAfter, seconds.to_string()).unwrap();
            return Some(response);
        }
        let auth = request.headers.typed::<Authorization>().ok().flatten();
        let valid = auth.as_ref().is_some_and(|a| digest::verify(a, &self.password, "REGISTER", b""));
        if !valid {
            let mut response = reply(request, 401, reason_phrase(401), Some("reg1"));
            let challenge = "Digest realm=\"test\", nonce=\"n-1\", qop=\"auth\", algorithm=MD5";
            response.headers.push(HeaderName::WwwAuthenticate, challenge).unwrap();
            return Some(response);
        }
        let header = request.headers.typed::<Expires>().ok().flatten().map(|e| e.0);
        let mut response = reply(request, 200, "OK", Some("reg1"));
        for contact in request.headers.typed_all::<Contact>().filter_map(Result::ok) {
            let Some(addr) = contact.addr() else { continue };
            let expires = contact.expires().or(header).unwrap_or(3600);
            if expires == 0 {
                self.bindings.remove(addr.uri_text);
                self.expiry.remove(addr.uri_text);
            } else {
                self.bindings.insert(addr.uri_text.to_owned(), expires);
                self.expiry.insert(addr.uri_text.to_owned(), now + secs(expires.into()));
            }
        }
        if let Some(seconds) = self.flow_timer {
            response.headers.push(HeaderName::from_bytes("Flow-Timer"), seconds.to_string()).unwrap();
        }
        for (uri, expires) in &self.bindings {
            let value = format!("<{uri}>;+sip.instance=\"<{INSTANCE}>\";reg-id=1;expires={expires}");
            response.headers.push(HeaderName::Contact, value).unwrap();
        }
        Some(response)
    }
}

/// One Transmit: (time, to, transport, flow, bytes).
pub type Sent = (Instant, SocketAddr, Transport, Option<u64>, Vec<u8>);

/// The core, its registrars and everything it sent, driven on a virtual clock.
pub struct Harness {
    pub t0: Instant,
    pub now: Instant,
    pub core: Core,
    pub registrars: Vec<Registrar>,
    /// Every Transmit: (time, to, transport, flow, bytes).
    pub sent: Vec<Sent>,
    /// Every account state: (time, index, state).
    pub states: Vec<(Instant, usize, RegistrationState)>,
    pub stopped_at: Option<Instant>,
    /// The flow id the registrar answers on, for TCP tests.
    pub flow: Option<u64>,
    /// Percent of messages lost, each way (seeded by `net`).
    pub loss_percent: u32,
    pub net: ChaCha8Rng,
    /// Every other output (calls, media, message waiting, ...): (time, output).
    pub events: Vec<(Instant, Output)>,
}

impl Harness {
    pub fn new(toml: &str, registrars: Vec<Registrar>) -> Harness {
        let config = Config::from_toml(toml).unwrap();
        let core = Core::new(&config, InstanceId::parse(INSTANCE).unwrap(), 42);
        let t0 = Instant::now();
        Harness {
            t0,
            now: t0,
            core,
            registrars,
            sent: Vec::new(),
            states: Vec::new(),
            stopped_at: None,
            flow: None,
            loss_percent: 0,
            net: ChaCha8Rng::seed_from_u64(9),
            events: Vec::new(),
        }
    }

    /// Starts account `index` with the registrars `primary` as its server's targets and
    /// `backup` as its backup registrar's, over UDP.
    pub fn start_routes(&mut self, index: usize, primary: &[usize], backup: &[usize]) {
        let located = |r: &usize| Located {
            target: Target { addr: self.registrars[*r].addr, transport: Transport::Udp, host: format!("r{r}") },
            local: addr(LOCAL),
        };
        let routes =
            Routes { primary: primary.iter().map(located).collect(), backup: backup.iter().map(located).collect() };
        self.core.try_start_account_on(self.now, index, routes).unwrap();
        self.drive();
    }

    /// True when this message is lost on the way.
    fn lost(&mut self) -> bool {
        self.loss_percent > 0 && self.net.next_u32() % 100 < self.loss_percent
    }

    /// The REGISTERs the core sent (retransmissions included), with their destination.
    pub fn registers_sent(&self) -> Vec<(Instant, SocketAddr)> {
        self.sent.iter().filter(|(.., bytes)| bytes.starts_with(b"REGISTER ")).map(|(at, to, ..)| (*at, *to)).collect()
    }

    pub fn start(&mut self, index: usize, registrar: usize, transport: Transport) {
        let target = Target { addr: self.registrars[registrar].addr, transport, host: "pbx.example.com".into() };
        self.core.try_start_account(self.now, index, target, addr(LOCAL)).unwrap();
        self.drive();
    }

    /// Drains the core, lets the registrars answer, until quiet.
    pub fn drive(&mut self) {
        loop {
            let mut replies = Vec::new();
            while let Some(output) = self.core.poll_output() {
                match output {
                    Output::Transmit { to, transport, flow, bytes, .. } => {
                        self.sent.push((self.now, to, transport, flow, bytes.to_vec()));
                        if self.lost() {
                            continue;
                        }
                        let Some(registrar) = self.registrars.iter_mut().find(|r| r.addr == to) else { continue };
                        if let Ok(Message::Request(request)) = Message::parse(bytes) {
                            if request.method == Method::Register {
                                if let Some(response) = registrar.answer(self.now, &request) {
                                    replies.push((to, transport, response));
                                }
                            }
                        }
                    }
                    Output::AccountState { index, state, .. } => self.states.push((self.now, index, state)),
                    Output::Stopped => {
                        assert!(self.stopped_at.is_none(), "Stopped comes once");
                        self.stopped_at = Some(self.now);
                    }
                    other => self.events.push((self.now, other)),
                }
            }
            if replies.is_empty() {
                return;
            }
            for (from, transport, response) in replies {
                if self.lost() {
                    continue;
                }
                let flow = if transport.is_reliable() { self.flow } else { None };
                self.core.handle_message(self.now, transport, from, flow, Message::Response(response));
            }
        }
    }

    /// Runs every timer due up to `self.now + span`.
    pub fn run_for(&mut self, span: Duration) {
        let end = self.now + span;
        while let Some(at) = self.core.poll_timeout().filter(|at| *at <= end) {
            self.now = self.now.max(at);
            self.core.handle_timeout(self.now);
            self.drive();
        }
        self.now = end;
    }

    /// `request` arrives from the first registrar over UDP; returns what the core sent back.
    pub fn deliver(&mut self, text: &str) -> Vec<Response> {
        let before = self.sent.len();
        let message = Message::parse(text.as_bytes().to_vec()).unwrap();
        let from = self.registrars[0].addr;
        self.core.handle_message(self.now, Transport::Udp, from, None, message);
        self.drive();
        self.sent[before..]
            .iter()
            .filter(|(_, to, ..)| *to == from)
            .filter_map(|(.., bytes)| match Message::parse(bytes.clone()) {
                Ok(Message::Response(response)) => Some(response),
                _ => None,
            })
            .collect()
    }

    pub fn registered(&self, index: usize) -> bool {
        let last = self.states.iter().rev().find(|(_, i, _)| *i == index);
        matches!(last, Some((_, _, RegistrationState::Registered { .. })))
    }

    /// The times of the CRLF CRLF pings sent.
    pub fn pings(&self) -> Vec<Instant> {
        self.sent.iter().filter(|(.., bytes)| bytes.as_slice() == b"\r\n\r\n").map(|(at, ..)| *at).collect()
    }
}

/// A request as a server sends it to the phone (account 1001 at `LOCAL`): `from` and `to` are
/// whole header values; `extra` more header lines (each ending in CRLF); `content_type` and
/// `body` the body, if any.
pub struct Incoming<'a> {
    pub method: &'a str,
    pub call_id: &'a str,
    pub cseq: u32,
    pub from: &'a str,
    pub to: &'a str,
    pub extra: &'a str,
    pub content_type: Option<&'a str>,
    pub body: &'a str,
}

impl<'a> Incoming<'a> {
    /// `method` outside any dialog, from `<sip:pbx@pbx.example.com>;tag=pbx1`.
    pub fn new(method: &'a str, call_id: &'a str) -> Incoming<'a> {
        Incoming {
            method,
            call_id,
            cseq: 1,
            from: "<sip:pbx@pbx.example.com>;tag=pbx1",
            to: "<sip:1001@pbx.example.com>",
            extra: "",
            content_type: None,
            body: "",
        }
    }

    /// The request's text.
    pub fn text(&self) -> String {
        let Incoming { method, call_id, cseq, from, to, extra, content_type, body } = self;
        let content_type = content_type.map(|t| format!("Content-Type: {t}\r\n")).unwrap_or_default();
        format!(
            "{method} sip:1001@{LOCAL} SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-{call_id}-{cseq}\r\n\
             Max-Forwards: 70\r\n\
             From: {from}\r\n\
             To: {to}\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: {cseq} {method}\r\n\
             Contact: <sip:pbx@192.0.2.1:5060>\r\n\
             {extra}{content_type}\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }
}

impl Harness {
    /// `text` arrives from `from` over UDP; returns the responses the core sent back there
    /// (everything else it did lands in `sent` and `events`).
    pub fn deliver_from(&mut self, from: &str, text: &str) -> Vec<Response> {
        let before = self.sent.len();
        let message = Message::parse(text.as_bytes().to_vec()).unwrap();
        let from = addr(from);
        self.core.handle_message(self.now, Transport::Udp, from, None, message);
        self.drive();
        self.sent[before..]
            .iter()
            .filter(|(_, to, ..)| *to == from)
            .filter_map(|(.., bytes)| match Message::parse(bytes.clone()) {
                Ok(Message::Response(response)) => Some(response),
                _ => None,
            })
            .collect()
    }

    /// The requests the core sent (retransmissions included) whose method is `method`.
    pub fn requests_sent(&self, method: Method) -> Vec<(Instant, Request)> {
        self.sent
            .iter()
            .filter_map(|(at, _, _, _, bytes)| match Message::parse(bytes.clone()) {
                Ok(Message::Request(request)) if request.method == method => Some((*at, request)),
                _ => None,
            })
            .collect()
    }
}
