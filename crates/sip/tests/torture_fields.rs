//! Field values of the valid RFC 4475 / RFC 5118 vectors: parsing must not only succeed but read
//! what the RFC says the message holds.

mod common;

use std::net::{IpAddr, Ipv6Addr};

use common::{inspect, load, parse, Role};
use sip::header::media::ContentType;
use sip::header::numeric::{CSeq, MaxForwards};
use sip::header::tokens::CallId;
use sip::header::{Contact, From, RecordRoute, Route, To, Via};
use sip::uri::{Host, Uri};
use sip::{HeaderName, Message, Request};

fn request(dir: &str, file: &str) -> Request {
    match parse(dir, file) {
        Message::Request(r) => r,
        Message::Response(_) => panic!("{file} is a request"),
    }
}

#[test]
fn wsinv_reads_through_folds_case_and_compact_forms() {
    let r = request("rfc4475", "wsinv.dat");
    let vias: Vec<Via> = r.headers.typed_vec().unwrap();
    let branches: Vec<_> = vias.iter().map(|v| v.branch().unwrap()).collect();
    assert_eq!(branches, ["390skdjuw", "z9hG4bK9ikj8", "z9hG4bK30239"]);
    assert_eq!(vias[1].transport, "TCP");
    assert_eq!(vias[2].host, Host::V4("192.168.255.111".parse().unwrap()));
    let from: From = r.headers.typed().unwrap().unwrap();
    assert_eq!(from.display().as_deref(), Some("J Rosenberg \\\""));
    assert_eq!(from.tag(), Some("98asjd8"));
    let to: To = r.headers.typed().unwrap().unwrap();
    assert_eq!(to.tag(), Some("1918181833n"));
    assert_eq!(r.headers.typed::<MaxForwards>().unwrap(), Some(MaxForwards(68)));
    assert_eq!(r.headers.typed::<CSeq>().unwrap(), Some(CSeq { seq: 9, method: "INVITE" }));
    assert_eq!(r.headers.get(&HeaderName::ContentLength), Some("150"));
    assert_eq!(r.body.len(), 150);
    assert_eq!(r.headers.get(&HeaderName::Subject), Some(""));
    let odd = HeaderName::from_bytes("NewFangledHeader");
    assert_eq!(r.headers.get(&odd), Some("newfangled value\r\n continued newfangled value"));
    let unusual = HeaderName::from_bytes("UnknownHeaderWithUnusualValue");
    assert_eq!(r.headers.get(&unusual), Some(";;,,;;,;"));
    let contact = r.headers.typed_first::<Contact>().unwrap().unwrap();
    let addr = contact.addr().unwrap();
    assert_eq!(addr.display().as_deref(), Some("Quoted string \"\""));
    assert_eq!(addr.params.get("newparam"), Some(Some("newvalue")));
    assert!(addr.params.contains("secondparam"));
    assert_eq!(contact.q(), Some(0.33));
    let route: Route = r.headers.typed_first().unwrap().unwrap();
    assert!(route.uri.as_sip().unwrap().lr());
    let uri = r.uri().unwrap();
    assert!(uri.as_sip().unwrap().params.contains("unknownparam"));
}

#[test]
fn intmeth_keeps_unusual_tokens_and_the_quoted_nul() {
    let r = request("rfc4475", "intmeth.dat");
    assert_eq!(r.method.as_str(), "!interesting-Method0123456789_*+`.%indeed'~");
    let to: To = r.headers.typed().unwrap().unwrap();
    assert!(to.display_name.unwrap().contains("NUL:\\\0"));
    let sip_uri = *to.uri.as_sip().unwrap();
    assert_eq!(sip_uri.user, Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"));
    let ruri = r.uri().unwrap();
    assert_eq!(ruri.as_sip().unwrap().password, Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"));
    let call_id: CallId = r.headers.typed().unwrap().unwrap();
    assert_eq!(call_id.0, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    let from: From = r.headers.typed().unwrap().unwrap();
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(from.params.get_unquoted("fromParam''~+*_!.-%").as_deref(), Some("работающий"));
    let rejection = inspect(load("rfc4475", "intmeth.dat"), Role::Phone).rejection.unwrap();
    let allow = rejection.extra.iter().find(|(n, _)| *n == HeaderName::Allow).expect("501 carries Allow");
    assert!(allow.1.contains("INVITE"));
}

#[test]
fn escapes_are_decoded_once_and_only_through_accessors() {
    let r = request("rfc4475", "esc01.dat");
    let ruri = r.uri().unwrap();
    let ruri = ruri.as_sip().unwrap();
    assert_eq!(ruri.user, Some("sips%3Auser%40example.com"));
    assert_eq!(&*ruri.user_decoded().unwrap(), b"sips:user@example.com");
    let to: To = r.headers.typed().unwrap().unwrap();
    assert_eq!(&*to.uri.as_sip().unwrap().user_decoded().unwrap(), b"user");
    let contact = r.headers.typed_first::<Contact>().unwrap().unwrap();
    let uri = contact.addr().unwrap().uri;
    let params: Vec<_> = uri.as_sip().unwrap().params.iter().collect();
    assert_eq!(
        params.last().unwrap().1.map(|v| sip::grammar::percent_decode(v).into_owned()),
        Some(b"value%41".to_vec())
    );
}

#[test]
fn escaped_nul_does_not_truncate_and_contacts_stay_distinct() {
    let r = request("rfc4475", "escnull.dat");
    let contacts: Vec<Contact> = r.headers.typed_vec().unwrap();
    assert_eq!(contacts.len(), 2);
    let users: Vec<_> =
        contacts.iter().map(|c| c.addr().unwrap().uri.as_sip().unwrap().user_decoded().unwrap().into_owned()).collect();
    assert_eq!(users, [b"\0".to_vec(), b"\0\0".to_vec()]);
    let to: To = r.headers.typed().unwrap().unwrap();
    assert_eq!(&*to.uri.as_sip().unwrap().user_decoded().unwrap(), b"null-\0-null");
}

#[test]
fn percent_in_method_and_header_name_is_not_an_escape() {
    let r = request("rfc4475", "esc02.dat");
    assert_eq!(r.method.as_str(), "RE%47IST%45R");
    assert_ne!(r.method, sip::Method::Register);
    assert_eq!(r.headers.typed_vec::<Contact>().unwrap().len(), 2);
    assert_eq!(r.headers.count(&HeaderName::from_bytes("C%6Fntact")), 1);
}

#[test]
fn long_values_and_many_vias() {
    let r = request("rfc4475", "longreq.dat");
    let vias: Vec<Via> = r.headers.typed_vec().unwrap();
    assert!(vias.len() > 30, "{}", vias.len());
    let to: To = r.headers.typed().unwrap().unwrap();
    assert!(to.display().unwrap().starts_with("I have a user name of extremeextreme"));
    assert_eq!(to.uri.as_sip().unwrap().port, Some(6000));
    let from: From = r.headers.typed().unwrap().unwrap();
    assert!(from.uri.as_sip().unwrap().user.unwrap().len() > 100);
    assert!(from.tag().unwrap().len() > 50);
    assert!(r.headers.typed::<CallId>().unwrap().unwrap().0.len() > 100);
}

#[test]
fn trailing_octets_after_the_body_are_ignored() {
    let r = request("rfc4475", "dblreq.dat");
    assert_eq!(r.method, sip::Method::Register);
    assert!(r.body.is_empty());
}

#[test]
fn semicolon_in_user_part() {
    let r = request("rfc4475", "semiuri.dat");
    let uri = r.uri().unwrap();
    let sip_uri = uri.as_sip().unwrap();
    assert_eq!(&*sip_uri.user_decoded().unwrap(), b"user;par=u@example.net");
    assert_eq!(sip_uri.host, Host::Domain("example.com"));
    assert!(sip_uri.params.is_empty());
}

#[test]
fn unknown_transports_are_kept() {
    let r = request("rfc4475", "transports.dat");
    let transports: Vec<_> = r.headers.typed_vec::<Via>().unwrap().iter().map(|v| v.transport).collect();
    assert_eq!(transports, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
}

#[test]
fn binary_multipart_body_is_framed_by_content_length() {
    let r = request("rfc4475", "mpart01.dat");
    assert_eq!(r.body.len(), 553);
    assert!(r.body.ends_with(b"--7a9cbec02ceef655--\r\n"));
    let ct: ContentType = r.headers.typed().unwrap().unwrap();
    assert!(ct.0.is("multipart", "mixed"));
}

#[test]
fn responses_with_unusual_or_empty_reason() {
    let Message::Response(r) = parse("rfc4475", "unreason.dat") else { panic!() };
    assert_eq!(r.status, 200);
    assert_eq!(&*r.reason, "= 2**3 * 5**2 но сто девяносто девять - простое");
    let Message::Response(r) = parse("rfc4475", "noreason.dat") else { panic!() };
    assert_eq!((r.status, &*r.reason), (100, ""));
}

#[test]
fn rejections_name_the_fault_and_carry_the_right_headers() {
    let reason = |file| inspect(load("rfc4475", file), Role::Phone).reason;
    assert_eq!(reason("insuf.dat"), "Missing From header");
    assert!(reason("multi01.dat").contains("more than one value"), "{}", reason("multi01.dat"));
    assert!(reason("badinv01.dat").contains("Via"), "{}", reason("badinv01.dat"));
    assert_eq!(reason("clerr.dat"), "Content-Length larger than the body");
    assert_eq!(reason("ncl.dat"), "Malformed Content-Length");
    assert_eq!(reason("mcl01.dat"), "Conflicting Content-Length values");
    assert!(reason("scalar02.dat").contains("CSeq"), "{}", reason("scalar02.dat"));
    assert!(reason("quotbal.dat").contains("unterminated quoted string"), "{}", reason("quotbal.dat"));
    assert!(reason("ltgtruri.dat").starts_with("Bad Request-URI"), "{}", reason("ltgtruri.dat"));
    assert_eq!(reason("mismatch01.dat"), "CSeq method does not match the request method");
    assert_eq!(reason("badbranch.dat"), "Via branch is only the magic cookie");

    let bext = inspect(load("rfc4475", "bext01.dat"), Role::Phone).rejection.unwrap();
    let unsupported = bext.extra.iter().find(|(n, _)| *n == HeaderName::Unsupported).unwrap();
    assert_eq!(unsupported.1, "nothingSupportsThis, nothingSupportsThisEither", "Require tags only, not Proxy-Require");
    let invut = inspect(load("rfc4475", "invut.dat"), Role::Phone).rejection.unwrap();
    assert!(invut.extra.iter().any(|(n, v)| *n == HeaderName::Accept && v.contains("application/sdp")));
}

#[test]
fn rejection_response_echoes_the_request_and_adds_a_to_tag() {
    let inspection = inspect(load("rfc4475", "bext01.dat"), Role::Phone);
    let Some(Message::Request(request)) = &inspection.message else { panic!() };
    let response = inspection.rejection.unwrap().response_to(request, Some("t4g"));
    let bytes = response.to_bytes();
    let Message::Response(back) = Message::parse(bytes).unwrap() else { panic!() };
    assert_eq!(back.status, 420);
    let to: To = back.headers.typed().unwrap().unwrap();
    assert_eq!(to.tag(), Some("t4g"));
    assert_eq!(back.headers.typed_first::<Via>().unwrap().unwrap().branch(), Some("z9hG4bKkdjuw"));
    assert_eq!(back.headers.get(&HeaderName::CallId), request.headers.get(&HeaderName::CallId));
    assert!(back.headers.get(&HeaderName::Unsupported).is_some());
}

#[test]
fn rfc2543_invite_without_branch_tag_or_max_forwards() {
    let r = request("rfc4475", "inv2543.dat");
    let via = r.headers.typed_first::<Via>().unwrap().unwrap();
    assert_eq!(via.branch(), None);
    assert_eq!(r.headers.typed::<From>().unwrap().unwrap().tag(), None);
    assert_eq!(r.headers.typed::<MaxForwards>().unwrap(), None);
    assert_eq!(r.body.len(), 105, "no Content-Length over UDP: the body runs to the end of the datagram");
    let rr: RecordRoute = r.headers.typed_first().unwrap().unwrap();
    assert_eq!(rr.uri.as_sip().unwrap().maddr(), Some("ss1.example.com"));
}

#[test]
fn contact_params_versus_uri_params_and_escaped_route() {
    let contact = |file| {
        let r = request("rfc4475", file);
        let c = r.headers.typed_first::<Contact>().unwrap().unwrap();
        let addr = *c.addr().unwrap();
        (addr.params.contains("unknownparam"), addr.uri.as_sip().unwrap().params.contains("unknownparam"))
    };
    assert_eq!(contact("cparam01.dat"), (true, false));
    assert_eq!(contact("cparam02.dat"), (false, true));
    let r = request("rfc4475", "regescrt.dat");
    let c = r.headers.typed_first::<Contact>().unwrap().unwrap();
    let uri = c.addr().unwrap().uri;
    assert_eq!(uri.as_sip().unwrap().headers.get("Route"), Some("%3Csip:sip.example.com%3E"));
}

#[test]
fn unknown_schemes_in_headers_parse() {
    let r = request("rfc4475", "unksm2.dat");
    let to: To = r.headers.typed().unwrap().unwrap();
    assert_eq!(to.uri.scheme(), "isbn");
    let from: From = r.headers.typed().unwrap().unwrap();
    assert_eq!(from.uri.scheme(), "http");
    let contact = r.headers.typed_first::<Contact>().unwrap().unwrap();
    assert!(matches!(contact.addr().unwrap().uri, Uri::Absolute(_)));
}

#[test]
fn ipv6_references_in_request_uri_via_and_contact() {
    let v6 = |s: &str| s.parse::<Ipv6Addr>().unwrap();
    let r = request("rfc5118", "ipv6-good.dat");
    assert_eq!(r.uri().unwrap().as_sip().unwrap().host, Host::V6(v6("2001:db8::10")));
    let r = request("rfc5118", "port-ambiguous.dat");
    let uri = r.uri().unwrap();
    assert_eq!((uri.as_sip().unwrap().host, uri.as_sip().unwrap().port), (Host::V6(v6("2001:db8::10:5070")), None));
    let r = request("rfc5118", "port-unambiguous.dat");
    let uri = r.uri().unwrap();
    assert_eq!((uri.as_sip().unwrap().host, uri.as_sip().unwrap().port), (Host::V6(v6("2001:db8::10")), Some(5070)));
    for file in ["via-received-param-with-delim.dat", "via-received-param-no-delim.dat"] {
        let r = request("rfc5118", file);
        let via = r.headers.typed_first::<Via>().unwrap().unwrap();
        assert_eq!(via.received(), Some(IpAddr::V6(v6("2001:db8::9:255"))), "{file}");
    }
    let r = request("rfc5118", "mult-ip-in-header.dat");
    let hosts: Vec<_> = r.headers.typed_vec::<Via>().unwrap().iter().map(|v| v.host.is_ip()).collect();
    assert!(hosts.len() >= 2 && hosts.iter().all(|ip| *ip));
    let r = request("rfc5118", "ipv4-mapped-ipv6.dat");
    assert!(r.headers.typed_first::<Via>().unwrap().unwrap().to_string().contains("::ffff:192.0.2"));
    let r = request("rfc5118", "ipv6-bug-abnf-3-colons.dat");
    assert_eq!(r.uri().unwrap().as_sip().unwrap().host, Host::V6(v6("2001:db8::192.0.2.1")));
}

#[test]
fn ipv6_in_sdp_with_corrected_length_is_accepted() {
    let bytes = load("rfc5118", "ipv6-in-sdp.dat");
    let text = String::from_utf8(bytes).unwrap();
    let body_len = text.len() - text.find("\r\n\r\n").unwrap() - 4;
    let fixed = text.replace("Content-Length: 268", &format!("Content-Length: {body_len}"));
    assert_ne!(fixed, text, "the vector still declares 268");
    let inspection = sip::inspect_datagram(fixed.into_bytes(), &sip::UasPolicy::phone(), &sip::Limits::default());
    assert_eq!(inspection.verdict, sip::Verdict::Ok, "{}", inspection.reason);
    let Some(Message::Request(r)) = inspection.message else { panic!() };
    assert!(std::str::from_utf8(&r.body).unwrap().contains("c=IN IP6 2001:db8::20"));
}
